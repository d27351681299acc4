/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated MCP2210's live command set (status, chip settings, GPIO, GP6 counter, SPI
 * settings, EEPROM, bus release, unknown commands), one behaviour per test. Expected bytes come
 * from doc/protocol.md and the team's decisions where the sheet is silent.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "emu_fixture.h"
#include "check_main.h"

#define CS1 (1u << 1)
#define TXN_LEN 120u      /* two full 0x42 chunks */
#define POLL_MAX 1000u    /* 0x42 polls before a transaction counts as stuck */

static struct emu *emu;

static void setup(void)
{
	emu = fx_emu_new(0);
}

static void teardown(void)
{
	emu_free(emu);
	emu = NULL;
}

/* ---- helpers ---------------------------------------------------------------------------- */

#define RAW(resp, ...) FX_RAW(emu, resp, __VA_ARGS__)

static void get_status(struct mcp2210_chip_status *st)
{
	mcp2210_report req, resp;

	proto_encode_get_status(req);
	fx_xchg(emu, req, resp);
	ck_assert_int_eq(proto_decode_get_status(resp, st), 0);
}

static uint8_t bus_owner(void)
{
	struct mcp2210_chip_status st;

	get_status(&st);
	return st.bus_owner;
}

static void get_chip(struct mcp2210_chip_settings *cs)
{
	mcp2210_report req, resp;

	proto_encode_get_chip_settings(req);
	fx_xchg(emu, req, resp);
	ck_assert_int_eq(proto_decode_get_chip_settings(resp, cs), 0);
}

static void set_chip(const struct mcp2210_chip_settings *cs)
{
	mcp2210_report req, resp;

	ck_assert_int_eq(proto_encode_set_chip_settings(req, cs), 0);
	fx_xchg(emu, req, resp);
	ck_assert_int_eq(proto_decode_set_chip_settings(resp), 0);
}

/* Chip settings with every pin a GPIO input: the factory state to start changes from. */
static struct mcp2210_chip_settings all_inputs(void)
{
	return (struct mcp2210_chip_settings){ .gpio_direction = MCP2210_PIN_MASK };
}

static void get_spi(struct mcp2210_spi_settings *ss)
{
	mcp2210_report req, resp;

	proto_encode_get_spi_settings(req);
	fx_xchg(emu, req, resp);
	ck_assert_int_eq(proto_decode_get_spi_settings(resp, ss), 0);
}

static void set_spi(const struct mcp2210_spi_settings *ss)
{
	struct mcp2210_spi_settings echo;
	mcp2210_report req, resp;

	ck_assert_int_eq(proto_encode_set_spi_settings(req, ss), 0);
	fx_xchg(emu, req, resp);
	ck_assert_int_eq(proto_decode_set_spi_settings(resp, &echo), 0);
}

static void set_directions(uint16_t inputs)
{
	mcp2210_report req, resp;

	proto_encode_set_gpio_directions(req, inputs);
	fx_xchg(emu, req, resp);
	ck_assert_int_eq(proto_decode_set_gpio_directions(resp), 0);
}

static uint16_t set_values(uint16_t values)
{
	mcp2210_report req, resp;
	uint16_t levels;

	proto_encode_set_gpio_values(req, values);
	fx_xchg(emu, req, resp);
	ck_assert_int_eq(proto_decode_set_gpio_values(resp, &levels), 0);
	return levels & MCP2210_PIN_MASK;
}

/* Pin levels by 0x31; they must agree with what the emulator shows on the pins. */
static uint16_t get_levels(void)
{
	mcp2210_report req, resp;
	uint16_t levels;

	proto_encode_get_gpio_values(req);
	fx_xchg(emu, req, resp);
	ck_assert_int_eq(proto_decode_get_gpio_values(resp, &levels), 0);
	levels &= MCP2210_PIN_MASK;
	ck_assert_uint_eq(levels, emu_pin_levels(emu) & MCP2210_PIN_MASK);
	return levels;
}

static uint16_t gp6_count(bool reset)
{
	mcp2210_report req, resp;
	uint16_t count;

	proto_encode_get_gp6_count(req, reset);
	fx_xchg(emu, req, resp);
	ck_assert_int_eq(proto_decode_get_gp6_count(resp, &count), 0);
	return count;
}

static void bus_release(bool gp7_level, uint8_t status)
{
	mcp2210_report req, resp;

	proto_encode_request_bus_release(req, gp7_level);
	fx_xchg(emu, req, resp);
	fx_expect(resp, MCP2210_CMD_REQUEST_BUS_RELEASE, status);
}

/* One 0x42 chunk of len bytes (pattern data); returns the engine status. */
static uint8_t spi_chunk(size_t len)
{
	uint8_t data[MCP2210_SPI_CHUNK_MAX];
	struct mcp2210_spi_chunk rx;
	mcp2210_report req, resp;

	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(0xA0 + i);
	ck_assert_int_eq(proto_encode_spi_transfer(req, data, len), 0);
	fx_xchg(emu, req, resp);
	ck_assert_int_eq(proto_decode_spi_transfer(resp, &rx), 0);
	return rx.engine;
}

/* A 120-byte transaction on CS1 with only its first chunk sent: "in progress". */
static void start_transaction(void)
{
	fx_use_cs(emu, CS1);
	fx_spi_setup(emu, MCP2210_BITRATE_MAX, 0, CS1, TXN_LEN);
	spi_chunk(MCP2210_SPI_CHUNK_MAX);
}

/* Send the second half of start_transaction()'s data and poll until the engine is done. */
static void finish_transaction(void)
{
	uint8_t engine = spi_chunk(MCP2210_SPI_CHUNK_MAX);

	for (unsigned polls = 0; engine != MCP2210_ENGINE_FINISHED; polls++) {
		ck_assert_uint_lt(polls, POLL_MAX);
		engine = spi_chunk(0);
	}
}

static void set_input(unsigned pin, bool level)
{
	ck_assert_int_eq(emu_set_input(emu, pin, level), 0);
}

/* ---- 0x10 / 0x11 / 0x80: chip status and the bus ------------------------------------------ */

START_TEST(test_status_factory_raw)
{
	mcp2210_report resp;

	RAW(resp, MCP2210_CMD_GET_STATUS);
	fx_expect(resp, 0x10, 0x00);
	ck_assert_uint_eq(resp[2], 0x01); /* no release request: inverted */
	ck_assert_uint_eq(resp[3], 0x00);
	ck_assert_uint_eq(resp[4], 0x00);
	ck_assert_uint_eq(resp[5], 0x00);
}
END_TEST

START_TEST(test_status_bus_release_request)
{
	struct mcp2210_chip_settings cs = all_inputs();
	mcp2210_report resp;

	/* GP8 as a plain GPIO: driving it low is no request. */
	set_input(8, 0);
	RAW(resp, MCP2210_CMD_GET_STATUS);
	ck_assert_uint_eq(resp[2], 0x01);

	cs.pin_function[8] = MCP2210_PIN_DEDICATED;
	set_chip(&cs);
	RAW(resp, MCP2210_CMD_GET_STATUS);
	ck_assert_uint_eq(resp[2], 0x00);
	set_input(8, 1);
	RAW(resp, MCP2210_CMD_GET_STATUS);
	ck_assert_uint_eq(resp[2], 0x01);
}
END_TEST

START_TEST(test_status_owner_during_transaction)
{
	ck_assert_uint_eq(bus_owner(), MCP2210_BUS_OWNER_NONE);
	start_transaction();
	ck_assert_uint_eq(bus_owner(), MCP2210_BUS_OWNER_BRIDGE);
	finish_transaction();
	ck_assert_uint_eq(bus_owner(), MCP2210_BUS_OWNER_NONE);
}
END_TEST

START_TEST(test_status_owner_external)
{
	mcp2210_report resp;

	fx_designate(emu, 8, MCP2210_PIN_DEDICATED);
	emu_set_external_master(emu, true);
	RAW(resp, MCP2210_CMD_GET_STATUS);
	ck_assert_uint_eq(resp[3], 0x02);
	emu_set_external_master(emu, false);
	ck_assert_uint_eq(bus_owner(), MCP2210_BUS_OWNER_NONE);
}
END_TEST

START_TEST(test_status_bus_hold_until_release)
{
	struct mcp2210_chip_settings cs = all_inputs();
	uint8_t tx[4] = { 1, 2, 3, 4 }, rx[4];

	cs.pin_function[1] = MCP2210_PIN_CS;
	cs.spi_bus_hold = true;
	set_chip(&cs);
	fx_spi_setup(emu, MCP2210_BITRATE_MAX, 0, CS1, sizeof(tx));
	ck_assert_int_eq(fx_spi_transfer(emu, tx, rx, sizeof(tx), NULL), (long)sizeof(tx));
	ck_assert_uint_eq(bus_owner(), MCP2210_BUS_OWNER_BRIDGE);
	bus_release(false, MCP2210_STATUS_OK);
	ck_assert_uint_eq(bus_owner(), MCP2210_BUS_OWNER_NONE);
}
END_TEST

START_TEST(test_bus_release_idle_raw)
{
	mcp2210_report resp;

	RAW(resp, MCP2210_CMD_REQUEST_BUS_RELEASE, 0x01);
	fx_expect(resp, 0x80, 0x00);
	ck_assert_uint_eq(bus_owner(), MCP2210_BUS_OWNER_NONE);
}
END_TEST

START_TEST(test_cancel_then_new_transaction)
{
	uint8_t tx[TXN_LEN], rx[TXN_LEN];
	mcp2210_report resp;

	ck_assert_int_eq(emu_attach(emu, 1, emu_loopback_new()), 0);
	start_transaction();
	ck_assert_uint_eq(emu_pin_levels(emu) & CS1, 0); /* CS1 asserted */
	RAW(resp, MCP2210_CMD_CANCEL_SPI);
	fx_expect(resp, 0x11, 0x00);
	ck_assert_uint_eq(resp[2], 0x01);
	ck_assert_uint_eq(bus_owner(), MCP2210_BUS_OWNER_NONE);
	ck_assert_uint_eq(emu_pin_levels(emu) & CS1, CS1); /* released */

	for (size_t i = 0; i < sizeof(tx); i++)
		tx[i] = (uint8_t)(i * 7 + 3);
	ck_assert_int_eq(fx_spi_transfer(emu, tx, rx, sizeof(tx), NULL), (long)sizeof(tx));
	ck_assert_mem_eq(rx, tx, sizeof(tx));
}
END_TEST

/* Issue 11 item 12, evaluation kit user's guide DS52057A p. 18: a request on GP8 mid-transaction
 * lets the transaction finish; then the external master has the bus (0x10 byte 3 = 02, GP7
 * acknowledges low, 0x42 answers F7) until it lets GP8 go. */
START_TEST(test_bus_handover_after_transaction)
{
	uint8_t tx[4] = { 1, 2, 3, 4 }, rx[4];
	mcp2210_report resp;

	ck_assert_int_eq(emu_attach(emu, 1, emu_loopback_new()), 0);
	start_transaction();
	fx_designate(emu, 7, MCP2210_PIN_DEDICATED);
	fx_designate(emu, 8, MCP2210_PIN_DEDICATED);
	ck_assert_uint_eq(emu_pin_levels(emu) & 0x080, 0x080); /* GP7 idles high */
	emu_set_external_master(emu, true);
	RAW(resp, 0x10);
	ck_assert_uint_eq(resp[2], 0x00); /* request pending */
	ck_assert_uint_eq(resp[3], 0x01); /* the bridge finishes first */
	finish_transaction();
	RAW(resp, 0x10);
	ck_assert_uint_eq(resp[2], 0x00);
	ck_assert_uint_eq(resp[3], 0x02);
	ck_assert_uint_eq(emu_pin_levels(emu) & 0x080, 0x000); /* acknowledged on GP7 */
	ck_assert(emu_external_master(emu));
	RAW(resp, 0x42, 4, 0, 0, 0x01, 0x02, 0x03, 0x04);
	fx_expect(resp, 0x42, 0xF7);

	emu_set_external_master(emu, false);
	RAW(resp, 0x10);
	ck_assert_uint_eq(resp[2], 0x01);
	ck_assert_uint_eq(resp[3], 0x00);
	ck_assert_uint_eq(emu_pin_levels(emu) & 0x080, 0x080);
	fx_spi_setup(emu, MCP2210_BITRATE_MAX, 0, CS1, sizeof(tx));
	ck_assert_int_eq(fx_spi_transfer(emu, tx, rx, sizeof(tx), NULL), (long)sizeof(tx));
	ck_assert_mem_eq(rx, tx, sizeof(tx));
}
END_TEST

/* The host may cancel instead of finishing (0x11): the bus goes over at once. */
START_TEST(test_bus_handover_on_cancel)
{
	mcp2210_report resp;

	start_transaction();
	fx_designate(emu, 8, MCP2210_PIN_DEDICATED);
	emu_set_external_master(emu, true);
	ck_assert_uint_eq(bus_owner(), MCP2210_BUS_OWNER_BRIDGE);
	RAW(resp, 0x11);
	fx_expect(resp, 0x11, 0x00);
	ck_assert_uint_eq(bus_owner(), MCP2210_BUS_OWNER_EXTERNAL);
}
END_TEST

/* A request on GP8 as a plain GPIO reaches nobody: the bus stays the bridge's. */
START_TEST(test_bus_request_needs_dedicated_gp8)
{
	uint8_t tx[4] = { 0x9F, 0, 0, 0 }, rx[4];
	mcp2210_report resp;

	emu_set_external_master(emu, true);
	RAW(resp, 0x10);
	ck_assert_uint_eq(resp[2], 0x01);
	ck_assert_uint_eq(resp[3], 0x00);
	ck_assert(!emu_external_master(emu));
	ck_assert_int_eq(fx_spi_transfer(emu, tx, rx, sizeof(tx), NULL), (long)sizeof(tx));
}
END_TEST

static Suite *suite_status(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_status_factory_raw);
	tcase_add_test(tc, test_status_bus_release_request);
	tcase_add_test(tc, test_status_owner_during_transaction);
	tcase_add_test(tc, test_status_owner_external);
	tcase_add_test(tc, test_bus_handover_after_transaction);
	tcase_add_test(tc, test_bus_handover_on_cancel);
	tcase_add_test(tc, test_bus_request_needs_dedicated_gp8);
	tcase_add_test(tc, test_status_bus_hold_until_release);
	tcase_add_test(tc, test_bus_release_idle_raw);
	tcase_add_test(tc, test_cancel_then_new_transaction);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- 0x20 / 0x21: live chip settings ------------------------------------------------------ */

START_TEST(test_chip_settings_factory_raw)
{
	mcp2210_report resp;

	RAW(resp, MCP2210_CMD_GET_CHIP_SETTINGS);
	fx_expect(resp, 0x20, 0x00);
	for (unsigned i = 4; i <= 12; i++)
		ck_assert_uint_eq(resp[i], MCP2210_PIN_GPIO);
	ck_assert_uint_eq(resp[14] & 0xFE, 0xFE); /* latch bits 9..15 read back set */
	ck_assert_uint_eq(resp[15], 0xFF);        /* all inputs */
	ck_assert_uint_eq(resp[16], 0xFF);
	ck_assert_uint_eq(resp[17], 0x00);
	ck_assert_uint_eq(resp[18], MCP2210_ACCESS_NONE);
}
END_TEST

START_TEST(test_chip_settings_roundtrip)
{
	const struct mcp2210_chip_settings want = {
		.pin_function = { MCP2210_PIN_CS, MCP2210_PIN_CS, MCP2210_PIN_DEDICATED, MCP2210_PIN_GPIO,
				  MCP2210_PIN_GPIO, MCP2210_PIN_DEDICATED, MCP2210_PIN_DEDICATED,
				  MCP2210_PIN_GPIO, MCP2210_PIN_DEDICATED },
		.gpio_value = 0x0AA,
		.gpio_direction = 0x1C3,
		.remote_wakeup = true,
		.irq_mode = MCP2210_IRQ_LOW_PULSES,
		.spi_bus_hold = true,
	};
	struct mcp2210_chip_settings got;
	mcp2210_report resp;

	set_chip(&want);
	get_chip(&got);
	ck_assert_mem_eq(got.pin_function, want.pin_function, sizeof(want.pin_function));
	ck_assert_uint_eq(got.gpio_value & MCP2210_PIN_MASK, want.gpio_value);
	ck_assert_uint_eq(got.gpio_direction & MCP2210_PIN_MASK, want.gpio_direction);
	ck_assert(got.remote_wakeup);
	ck_assert_uint_eq(got.irq_mode, MCP2210_IRQ_LOW_PULSES);
	ck_assert(got.spi_bus_hold);
	/* byte 17: bit4 wake-up, bits3..1 = 3, bit0 hold */
	RAW(resp, MCP2210_CMD_GET_CHIP_SETTINGS);
	ck_assert_uint_eq(resp[17], 0x17);
	ck_assert_uint_eq(resp[13], 0xAA);
	ck_assert_uint_eq(resp[15], 0xC3);
}
END_TEST

START_TEST(test_chip_settings_rewrite_live_gpio)
{
	struct mcp2210_chip_settings cs = all_inputs();
	mcp2210_report req, resp;
	uint16_t inputs;

	set_directions(0x100);
	set_values(0x0FF);
	cs.gpio_direction = 0x1F0;
	cs.gpio_value = 0x005;
	set_chip(&cs);

	proto_encode_get_gpio_directions(req);
	fx_xchg(emu, req, resp);
	ck_assert_int_eq(proto_decode_get_gpio_directions(resp, &inputs), 0);
	ck_assert_uint_eq(inputs & MCP2210_PIN_MASK, 0x1F0);
	ck_assert_uint_eq(get_levels(), 0x105); /* GP8 reads its pull-up */
}
END_TEST

START_TEST(test_chip_settings_access_byte_not_live)
{
	struct mcp2210_chip_settings cs = all_inputs();
	mcp2210_report req, resp;

	ck_assert_int_eq(proto_encode_set_chip_settings(req, &cs), 0);
	req[18] = MCP2210_ACCESS_PASSWORD;
	fx_xchg(emu, req, resp);
	fx_expect(resp, 0x21, 0x00);
	RAW(resp, MCP2210_CMD_GET_CHIP_SETTINGS);
	ck_assert_uint_eq(resp[18], MCP2210_ACCESS_NONE);

	emu_power_cycle(emu);
	RAW(resp, MCP2210_CMD_WRITE_EEPROM, 0x00, 0x12);
	fx_expect(resp, 0x51, 0x00);
}
END_TEST

/* Issue 11 item 10: the chip keeps whatever designation byte 0x21 sends (the datasheet names
 * 0x00..0x02 only, p. 40), and 0x20 gives it back: here every byte on every pin, GP8's 0x01
 * (a chip select it does not have) among them. */
START_TEST(test_chip_settings_any_designation)
{
	mcp2210_report resp;

	for (unsigned pin = 0; pin < MCP2210_PIN_COUNT; pin++) {
		for (unsigned byte = 0; byte <= 0xFF; byte++) {
			uint8_t req[MCP2210_REPORT_SIZE] = { 0x21 };

			req[4 + pin] = (uint8_t)byte;
			req[15] = 0xFF; /* all inputs */
			req[16] = 0x01;
			fx_raw(emu, resp, req, sizeof(req));
			fx_expect(resp, 0x21, 0x00);
			RAW(resp, 0x20);
			fx_expect(resp, 0x20, 0x00);
			ck_assert_uint_eq(resp[4 + pin], byte);
		}
	}
}
END_TEST

/* A pin whose byte names no function at it is not driven by the chip: GP8 "chip select" and
 * GP3 0x07 read what the outside drives. */
START_TEST(test_chip_settings_no_function_floats)
{
	mcp2210_report resp;

	set_directions(0x100); /* GP0..GP7 outputs, latch 0 */
	RAW(resp, 0x21, 0, 0, 0, 0, 0, 0, 0x07, 0, 0, 0, 0, 0x01, 0x00, 0x00, 0x00, 0x01);
	fx_expect(resp, 0x21, 0x00);
	set_input(3, 1);
	set_input(8, 0);
	ck_assert_uint_eq(get_levels() & 0x108, 0x008);
	set_input(3, 0);
	set_input(8, 1);
	ck_assert_uint_eq(get_levels() & 0x108, 0x100);
}
END_TEST

static Suite *suite_chip_settings(void)
{
	Suite *s = suite_create("chip settings");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_chip_settings_factory_raw);
	tcase_add_test(tc, test_chip_settings_roundtrip);
	tcase_add_test(tc, test_chip_settings_rewrite_live_gpio);
	tcase_add_test(tc, test_chip_settings_access_byte_not_live);
	tcase_add_test(tc, test_chip_settings_any_designation);
	tcase_add_test(tc, test_chip_settings_no_function_floats);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- 0x30..0x33: GPIO --------------------------------------------------------------------- */

START_TEST(test_gpio_set_values_raw)
{
	mcp2210_report resp;

	set_directions(0x1F0); /* GP0..GP3 outputs */
	set_input(5, 1);
	RAW(resp, MCP2210_CMD_SET_GPIO_VALUES, 0, 0, 0, 0xFF, 0x01);
	fx_expect(resp, 0x30, 0x00);
	ck_assert_uint_eq(resp[4], 0x2F);        /* outputs high, GP5 driven high from outside */
	ck_assert_uint_eq(resp[5] & 0x01, 0x01); /* GP8 input, pulled up (the bus release request) */
	RAW(resp, MCP2210_CMD_GET_GPIO_VALUES);
	fx_expect(resp, 0x31, 0x00);
	ck_assert_uint_eq(resp[4], 0x2F);
	ck_assert_uint_eq(resp[5] & 0x01, 0x01);
}
END_TEST

START_TEST(test_gpio_latch_applies_when_output)
{
	set_input(3, 1);
	ck_assert_uint_eq(set_values(0x010), 0x108); /* inputs: outside levels only (GP8 pulled up) */
	set_directions(MCP2210_PIN_MASK & ~0x018u);  /* GP3, GP4 become outputs */
	ck_assert_uint_eq(get_levels(), 0x110);      /* GP4 "high", GP3 "low" */
}
END_TEST

START_TEST(test_gpio_inputs_read_outside)
{
	set_input(0, 1);
	set_input(2, 1);
	set_input(8, 1);
	ck_assert_uint_eq(get_levels(), 0x105);
	set_directions(MCP2210_PIN_MASK & ~0x001u);
	ck_assert_uint_eq(get_levels(), 0x104); /* GP0 now drives its latch, 0 */
}
END_TEST

START_TEST(test_gpio_directions_raw)
{
	mcp2210_report resp;
	uint16_t inputs;

	RAW(resp, MCP2210_CMD_SET_GPIO_DIRECTIONS, 0, 0, 0, 0x00, 0x00);
	fx_expect(resp, 0x32, 0x00);
	RAW(resp, MCP2210_CMD_GET_GPIO_DIRECTIONS);
	fx_expect(resp, 0x33, 0x00);
	ck_assert_uint_eq(resp[4], 0x00);
	ck_assert_uint_eq(resp[5], 0xFF); /* GP8 input only; bits 9..15 read back set */
	ck_assert_int_eq(proto_decode_get_gpio_directions(resp, &inputs), 0);
	ck_assert_uint_eq(inputs & MCP2210_PIN_MASK, 0x100);
}
END_TEST

START_TEST(test_gpio_cs_pin_levels)
{
	const struct mcp2210_spi_settings ss = {
		.bitrate = MCP2210_BITRATE_MAX,
		.cs_idle = 0x1FE,   /* CS0 active high, CS1 active low */
		.cs_active = 0x1FD,
		.bytes_per_transaction = TXN_LEN,
	};

	fx_use_cs(emu, 0x003);
	set_directions(MCP2210_PIN_MASK & ~0x003u);
	set_values(0x001); /* latch of a chip select does not show */
	set_spi(&ss);
	ck_assert_uint_eq(get_levels() & 0x003, 0x002);
	spi_chunk(MCP2210_SPI_CHUNK_MAX);
	ck_assert_uint_eq(get_levels() & 0x003, 0x001);
	finish_transaction();
	ck_assert_uint_eq(get_levels() & 0x003, 0x002);
}
END_TEST

START_TEST(test_gpio_dedicated_levels)
{
	struct mcp2210_chip_settings cs = { .gpio_direction = 0x100, .gpio_value = MCP2210_PIN_MASK };
	const uint16_t dedicated = 0x0B4; /* GP2, GP4, GP5, GP7 */

	for (unsigned pin = 0; pin < MCP2210_PIN_COUNT; pin++)
		if (dedicated >> pin & 1)
			cs.pin_function[pin] = MCP2210_PIN_DEDICATED;
	set_chip(&cs);
	set_input(2, 1);
	set_input(4, 1);
	bus_release(true, MCP2210_STATUS_OK);
	ck_assert_uint_eq(get_levels() & dedicated, 0x0A0); /* GP5 USBCFG 1, GP7 ACK 1 */
	bus_release(false, MCP2210_STATUS_OK);
	ck_assert_uint_eq(get_levels() & dedicated, 0x020);
}
END_TEST

/* DS22288A p. 49, note 1: 0x30 acts only on pins designated GPIO. With GP0 a chip select and
 * GP3 dedicated, 30 .. ff 01 leaves their latch bits at 0: the 0x20 answer's byte 13 (the
 * GPIO values) reads f6, not ff. */
START_TEST(test_gpio_set_values_gpio_pins_only_raw)
{
	mcp2210_report resp;

	RAW(resp, 0x21, 0, 0, 0, 0x01, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01);
	fx_expect(resp, 0x21, 0x00);
	RAW(resp, 0x30, 0, 0, 0, 0xFF, 0x01);
	fx_expect(resp, 0x30, 0x00);
	RAW(resp, 0x20);
	fx_expect(resp, 0x20, 0x00);
	ck_assert_uint_eq(resp[13], 0xF6);
	ck_assert_uint_eq(resp[14] & 0x01, 0x01);
}
END_TEST

/* 0x31 reads a chip select's level too (the note of p. 48 cannot restrict a read): CS1 idle
 * high, asserted low during a transaction, high again after. */
START_TEST(test_gpio_read_cs_level)
{
	fx_use_cs(emu, CS1);
	fx_spi_setup(emu, MCP2210_BITRATE_MAX, 0, CS1, TXN_LEN);
	ck_assert_uint_eq(get_levels() & CS1, CS1);
	spi_chunk(MCP2210_SPI_CHUNK_MAX);
	ck_assert_uint_eq(get_levels() & CS1, 0);
	finish_transaction();
	ck_assert_uint_eq(get_levels() & CS1, CS1);
}
END_TEST

/* Issue 11 item 11: no chip select in the transaction (idle = active masks), GP2 a GPIO output
 * driven low, one byte a5, GP2 high: the 74HC595 on GP2 latches a5 on that rising edge. */
START_TEST(test_gpio_output_as_chip_select_shiftreg)
{
	const struct mcp2210_spi_settings ss = {
		.bitrate = MCP2210_BITRATE_MAX, .cs_idle = 0x1FF, .cs_active = 0x1FF, .bytes_per_transaction = 1,
	};
	uint8_t tx[1] = { 0xA5 }, rx[1];
	struct emu_periph *sr = emu_shiftreg_new(1);

	ck_assert_ptr_nonnull(sr);
	ck_assert_int_eq(emu_attach(emu, 2, sr), 0);
	set_spi(&ss);
	set_values(0x000);
	set_directions(MCP2210_PIN_MASK & ~0x004u); /* GP2 an output, low */
	ck_assert_int_eq(fx_spi_transfer(emu, tx, rx, sizeof(tx), NULL), 1);
	ck_assert_uint_eq(emu_shiftreg_outputs(sr), 0x00); /* not latched while GP2 is low */
	set_values(0x004);
	ck_assert_uint_eq(emu_shiftreg_outputs(sr), 0xA5);
}
END_TEST

/* The same with a 25-series flash on GP4: 9f 00 00 00 -> ff ef 40 14 (its JEDEC ID). */
START_TEST(test_gpio_output_as_chip_select_flash)
{
	const struct mcp2210_spi_settings ss = {
		.bitrate = MCP2210_BITRATE_MAX, .cs_idle = 0x1FF, .cs_active = 0x1FF, .bytes_per_transaction = 4,
	};
	const uint8_t tx[4] = { 0x9F, 0, 0, 0 }, want[4] = { 0xFF, 0xEF, 0x40, 0x14 };
	uint8_t rx[4];

	ck_assert_int_eq(emu_attach(emu, 4, emu_flash_new()), 0);
	set_spi(&ss);
	ck_assert_int_eq(fx_spi_transfer(emu, tx, rx, sizeof(rx), NULL), 4);
	ck_assert_uint_eq(rx[1], 0xFF); /* GP4 an input, pulled up: the flash is not selected */
	set_values(0x000);
	set_directions(MCP2210_PIN_MASK & ~0x010u);
	ck_assert_int_eq(fx_spi_transfer(emu, tx, rx, sizeof(rx), NULL), 4);
	ck_assert_mem_eq(rx, want, sizeof(want));
	set_values(0x010);
}
END_TEST

static Suite *suite_gpio(void)
{
	Suite *s = suite_create("gpio");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_gpio_set_values_raw);
	tcase_add_test(tc, test_gpio_latch_applies_when_output);
	tcase_add_test(tc, test_gpio_inputs_read_outside);
	tcase_add_test(tc, test_gpio_directions_raw);
	tcase_add_test(tc, test_gpio_cs_pin_levels);
	tcase_add_test(tc, test_gpio_dedicated_levels);
	tcase_add_test(tc, test_gpio_set_values_gpio_pins_only_raw);
	tcase_add_test(tc, test_gpio_read_cs_level);
	tcase_add_test(tc, test_gpio_output_as_chip_select_shiftreg);
	tcase_add_test(tc, test_gpio_output_as_chip_select_flash);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- 0x12: GP6 event counter -------------------------------------------------------------- */

/* GP6 starts at `start`, then gets the interrupt mode and (or not) its dedicated function. */
static void gp6_setup(bool start, uint8_t mode, uint8_t function)
{
	struct mcp2210_chip_settings cs = all_inputs();

	set_input(6, start);
	cs.pin_function[6] = function;
	cs.irq_mode = mode;
	set_chip(&cs);
}

/* edges level changes on GP6, the first away from start. */
static void gp6_toggle(bool start, unsigned edges)
{
	for (unsigned i = 1; i <= edges; i++)
		set_input(6, (i & 1) ? !start : start);
}

/* Each case's sequence makes a wrong edge or a pulse counted at the wrong end give another
 * number: pulses end at the edge back to the start level. */
static const struct {
	uint8_t mode;
	bool start;
	uint16_t count;
} gp6_cases[] = {
	{ MCP2210_IRQ_OFF, 0, 0 },
	{ MCP2210_IRQ_FALLING, 1, 3 },     /* 1 -> 0,1,0,1,0 */
	{ MCP2210_IRQ_RISING, 0, 3 },      /* 0 -> 1,0,1,0,1 */
	{ MCP2210_IRQ_LOW_PULSES, 1, 2 },  /* third low pulse has not ended */
	{ MCP2210_IRQ_HIGH_PULSES, 0, 2 }, /* third high pulse has not ended */
};

START_TEST(test_gp6_modes)
{
	gp6_setup(gp6_cases[_i].start, gp6_cases[_i].mode, MCP2210_PIN_DEDICATED);
	gp6_toggle(gp6_cases[_i].start, 5);
	ck_assert_uint_eq(gp6_count(false), gp6_cases[_i].count);
}
END_TEST

START_TEST(test_gp6_needs_dedicated)
{
	gp6_setup(1, MCP2210_IRQ_FALLING, MCP2210_PIN_GPIO);
	gp6_toggle(1, 5);
	ck_assert_uint_eq(gp6_count(false), 0);
}
END_TEST

static void expect_count_raw(uint8_t arg, uint16_t count)
{
	mcp2210_report resp;

	RAW(resp, MCP2210_CMD_GET_GP6_COUNT, arg);
	fx_expect(resp, 0x12, 0x00);
	ck_assert_uint_eq(resp[4], count & 0xFF);
	ck_assert_uint_eq(resp[5], count >> 8);
}

START_TEST(test_gp6_read_reset_raw)
{
	gp6_setup(1, MCP2210_IRQ_FALLING, MCP2210_PIN_DEDICATED);
	gp6_toggle(1, 4);
	expect_count_raw(0x01, 2); /* read only */
	expect_count_raw(0xFF, 2);
	expect_count_raw(0x00, 2); /* read, then reset */
	expect_count_raw(0x01, 0);
	gp6_toggle(1, 2);
	ck_assert_uint_eq(gp6_count(true), 1);
	ck_assert_uint_eq(gp6_count(false), 0);
}
END_TEST

START_TEST(test_gp6_saturates)
{
	gp6_setup(0, MCP2210_IRQ_RISING, MCP2210_PIN_DEDICATED);
	gp6_toggle(0, 2 * 0x10001u); /* 65537 rising edges */
	expect_count_raw(0x01, 0xFFFF);
}
END_TEST

static Suite *suite_gp6(void)
{
	Suite *s = suite_create("gp6 counter");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_gp6_modes, 0, (int)(sizeof(gp6_cases) / sizeof(gp6_cases[0])));
	tcase_add_test(tc, test_gp6_needs_dedicated);
	tcase_add_test(tc, test_gp6_read_reset_raw);
	tcase_add_test(tc, test_gp6_saturates);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- 0x40 / 0x41 / 0x42: SPI settings and the engine's refusals --------------------------- */

START_TEST(test_spi_settings_factory_raw)
{
	static const uint8_t factory[17] = {
		0x40, 0x42, 0x0F, 0x00, /* 1 000 000 bit/s */
		0xFF, 0x01,             /* cs_idle 0x1FF */
		0x00, 0x00,             /* cs_active */
		0, 0, 0, 0, 0, 0,       /* no delays */
		0x04, 0x00,             /* 4 bytes per transaction */
		0x00,                   /* mode 0 */
	};
	mcp2210_report resp;

	RAW(resp, MCP2210_CMD_GET_SPI_SETTINGS);
	fx_expect(resp, 0x41, 0x00);
	ck_assert_uint_eq(resp[2], 0x11);
	ck_assert_mem_eq(resp + 4, factory, sizeof(factory));
}
END_TEST

START_TEST(test_spi_settings_echo_raw)
{
	const struct mcp2210_spi_settings want = {
		.bitrate = 12000000,
		.cs_idle = 0x1FF,
		.cs_active = 0x1FD,
		.delay_cs_to_data = 1,
		.delay_data_to_cs = 2,
		.delay_between_bytes = 3,
		.bytes_per_transaction = 120,
		.mode = 3,
	};
	static const uint8_t bitrate_12m[4] = { 0x00, 0x1B, 0xB7, 0x00 }; /* the sheet's example */
	struct mcp2210_spi_settings got;
	mcp2210_report req, resp;

	ck_assert_int_eq(proto_encode_set_spi_settings(req, &want), 0);
	ck_assert_mem_eq(req + 4, bitrate_12m, sizeof(bitrate_12m));
	fx_xchg(emu, req, resp);
	fx_expect(resp, 0x40, 0x00);
	ck_assert_mem_eq(resp + 4, req + 4, 17);
	get_spi(&got);
	ck_assert_uint_eq(got.bitrate, want.bitrate);
	ck_assert_uint_eq(got.cs_idle & MCP2210_PIN_MASK, want.cs_idle);
	ck_assert_uint_eq(got.cs_active & MCP2210_PIN_MASK, want.cs_active);
	ck_assert_uint_eq(got.delay_cs_to_data, want.delay_cs_to_data);
	ck_assert_uint_eq(got.delay_data_to_cs, want.delay_data_to_cs);
	ck_assert_uint_eq(got.delay_between_bytes, want.delay_between_bytes);
	ck_assert_uint_eq(got.bytes_per_transaction, want.bytes_per_transaction);
	ck_assert_uint_eq(got.mode, want.mode);
}
END_TEST

/* Requests the chip refuses with 0xF8 while a transaction is in progress. */
static void build_set_spi(mcp2210_report req)
{
	const struct mcp2210_spi_settings ss = {
		.bitrate = 1500, .cs_idle = MCP2210_PIN_MASK, .bytes_per_transaction = 8,
	};

	ck_assert_int_eq(proto_encode_set_spi_settings(req, &ss), 0);
}

static void build_bus_release(mcp2210_report req)
{
	proto_encode_request_bus_release(req, false);
}

static void build_set_nvram_spi(mcp2210_report req)
{
	const struct mcp2210_spi_settings ss = {
		.bitrate = 1500, .cs_idle = MCP2210_PIN_MASK, .bytes_per_transaction = 8,
	};

	ck_assert_int_eq(proto_encode_set_nvram_spi(req, &ss), 0);
}

static const struct {
	void (*build)(mcp2210_report req);
	uint16_t nvram_bytes; /* NVRAM bytes per transaction once the request went through */
} busy_requests[] = {
	{ build_set_spi, 4 },
	{ build_bus_release, 4 },
	{ build_set_nvram_spi, 8 },
};

START_TEST(test_busy_during_transaction)
{
	struct mcp2210_spi_settings live, nv;
	mcp2210_report req, resp;

	start_transaction();
	busy_requests[_i].build(req);
	fx_xchg(emu, req, resp);
	ck_assert_uint_eq(resp[1], MCP2210_STATUS_BUSY);
	if (req[0] == MCP2210_CMD_SET_NVRAM) /* `60 f8 10`: the sub-command echoed (p. 16, table 3-6) */
		ck_assert_uint_eq(resp[2], MCP2210_NVRAM_SPI);
	ck_assert_uint_eq(bus_owner(), MCP2210_BUS_OWNER_BRIDGE);
	get_spi(&live);
	ck_assert_uint_eq(live.bytes_per_transaction, TXN_LEN);

	finish_transaction();
	fx_xchg(emu, req, resp);
	ck_assert_uint_eq(resp[1], MCP2210_STATUS_OK);
	proto_encode_get_nvram(req, MCP2210_NVRAM_SPI);
	fx_xchg(emu, req, resp);
	ck_assert_int_eq(proto_decode_get_nvram_spi(resp, &nv), 0);
	ck_assert_uint_eq(nv.bytes_per_transaction, busy_requests[_i].nvram_bytes);
}
END_TEST

START_TEST(test_spi_external_master_raw)
{
	uint8_t tx[4] = { 0x9F, 0, 0, 0 }, rx[4];
	mcp2210_report resp;

	fx_designate(emu, 8, MCP2210_PIN_DEDICATED);
	emu_set_external_master(emu, true);
	RAW(resp, MCP2210_CMD_SPI_TRANSFER, 4, 0, 0, 0x9F, 0, 0, 0);
	fx_expect(resp, 0x42, MCP2210_STATUS_BUS_NOT_AVAILABLE);
	emu_set_external_master(emu, false);
	ck_assert_int_eq(fx_spi_transfer(emu, tx, rx, sizeof(tx), NULL), (long)sizeof(tx));
}
END_TEST

START_TEST(test_spi_transfer_too_long_raw)
{
	mcp2210_report resp;

	RAW(resp, MCP2210_CMD_SPI_TRANSFER, MCP2210_SPI_CHUNK_MAX + 1);
	fx_expect(resp, 0x42, MCP2210_STATUS_UNKNOWN_COMMAND);
	ck_assert_uint_eq(bus_owner(), MCP2210_BUS_OWNER_NONE);
}
END_TEST

static Suite *suite_spi(void)
{
	Suite *s = suite_create("spi settings");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_spi_settings_factory_raw);
	tcase_add_test(tc, test_spi_settings_echo_raw);
	tcase_add_loop_test(tc, test_busy_during_transaction, 0,
			    (int)(sizeof(busy_requests) / sizeof(busy_requests[0])));
	tcase_add_test(tc, test_spi_external_master_raw);
	tcase_add_test(tc, test_spi_transfer_too_long_raw);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- 0x50 / 0x51: user EEPROM ------------------------------------------------------------- */

static void expect_eeprom_raw(uint8_t addr, uint8_t value)
{
	mcp2210_report resp;

	RAW(resp, MCP2210_CMD_READ_EEPROM, addr);
	fx_expect(resp, 0x50, 0x00);
	ck_assert_uint_eq(resp[2], addr);
	ck_assert_uint_eq(resp[3], value);
}

static void write_eeprom_raw(uint8_t addr, uint8_t value, uint8_t status)
{
	mcp2210_report resp;

	RAW(resp, MCP2210_CMD_WRITE_EEPROM, addr, value);
	fx_expect(resp, 0x51, status);
}

START_TEST(test_eeprom_factory_raw)
{
	for (unsigned addr = 0; addr < MCP2210_EEPROM_SIZE; addr++)
		expect_eeprom_raw((uint8_t)addr, 0xFF);
}
END_TEST

START_TEST(test_eeprom_write_read_raw)
{
	write_eeprom_raw(0x10, 0xA5, 0x00);
	write_eeprom_raw(0xFF, 0x00, 0x00);
	expect_eeprom_raw(0x0F, 0xFF);
	expect_eeprom_raw(0x10, 0xA5);
	expect_eeprom_raw(0x11, 0xFF);
	expect_eeprom_raw(0xFF, 0x00);
	expect_eeprom_raw(0x00, 0xFF);
}
END_TEST

START_TEST(test_eeprom_write_fault)
{
	emu_fault_arm(emu, EMU_FAULT_EEPROM_WRITE, 1);
	write_eeprom_raw(0x20, 0x00, MCP2210_STATUS_EEPROM_WRITE_FAILED);
	expect_eeprom_raw(0x20, 0xFF);
	write_eeprom_raw(0x20, 0x00, 0x00);
	expect_eeprom_raw(0x20, 0x00);
}
END_TEST

static Suite *suite_eeprom(void)
{
	Suite *s = suite_create("eeprom");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_eeprom_factory_raw);
	tcase_add_test(tc, test_eeprom_write_read_raw);
	tcase_add_test(tc, test_eeprom_write_fault);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- unknown commands --------------------------------------------------------------------- */

static const uint8_t unknown_cmds[] = { 0x00, 0x99, 0x13, 0x43 };

START_TEST(test_unknown_command)
{
	mcp2210_report resp;

	RAW(resp, unknown_cmds[_i]);
	fx_expect(resp, unknown_cmds[_i], MCP2210_STATUS_UNKNOWN_COMMAND);
}
END_TEST

static Suite *suite_unknown(void)
{
	Suite *s = suite_create("unknown commands");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_unknown_command, 0, (int)sizeof(unknown_cmds));
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite_status, suite_chip_settings, suite_gpio, suite_gp6, suite_spi, suite_eeprom, suite_unknown)
