/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated MCP2210's non-volatile side: NVRAM power-up values (0x60/0x61), what a power
 * cycle loads from them, the state file that keeps NVRAM and EEPROM across processes, the
 * USB identity, and password protection (0x70). Expected bytes come from
 * doc/protocol.md and the team's decisions where the sheet is silent.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "emu_fixture.h"
#include "check_main.h"

#define PASSWORD "s3cret!!"
#define WRONG_PASSWORD "guess123"
#define EEPROM_ADDR 0x42

static struct emu *emu;
static char state_path[256];

static void setup(void)
{
	emu = fx_emu_new(0);
}

static void teardown(void)
{
	if (emu)
		emu_free(emu);
	emu = NULL;
}

/* Power-up values the tests write; every field differs from the factory value. */
static const struct mcp2210_spi_settings test_spi = {
	.bitrate = 3000000,
	.cs_idle = 0x1FF,
	.cs_active = 0x1EF,
	.delay_cs_to_data = 10,
	.delay_data_to_cs = 20,
	.delay_between_bytes = 30,
	.bytes_per_transaction = 16,
	.mode = 1,
};

static const struct mcp2210_chip_settings test_chip = {
	.pin_function = { MCP2210_PIN_CS, MCP2210_PIN_GPIO, MCP2210_PIN_GPIO, MCP2210_PIN_GPIO,
			  MCP2210_PIN_CS, MCP2210_PIN_GPIO, MCP2210_PIN_DEDICATED, MCP2210_PIN_DEDICATED,
			  MCP2210_PIN_GPIO },
	.gpio_value = 0x00F,
	.gpio_direction = 0x1F0,
	.remote_wakeup = true,
	.irq_mode = MCP2210_IRQ_RISING,
};

static const struct mcp2210_usb_key test_key = {
	.vid = 0x1234,
	.pid = 0xABCD,
	.power = MCP2210_POWER_SELF | MCP2210_POWER_REMOTE_WAKEUP,
	.current_2ma = 0xFA,
};

#define TEST_PRODUCT "Tëst ✓"  /* UTF-16: 0054 00EB 0073 0074 0020 2713 */
#define TEST_MANUFACTURER "Ünit Labs"

/* ---- helpers ---------------------------------------------------------------------------- */

#define RAW(resp, ...) FX_RAW(emu, resp, __VA_ARGS__)

static void expect_zero(const mcp2210_report resp, unsigned from, unsigned to)
{
	for (unsigned i = from; i <= to; i++)
		ck_assert_uint_eq(resp[i], 0);
}

/* Send a request, return its status byte (the echo checked). */
static uint8_t send(const mcp2210_report req)
{
	mcp2210_report resp;

	fx_xchg(emu, req, resp);
	return resp[1];
}

static void get_nvram_raw(uint8_t sub, mcp2210_report resp)
{
	mcp2210_report req;

	ck_assert_int_eq(proto_encode_get_nvram(req, sub), 0);
	fx_xchg(emu, req, resp);
	fx_expect(resp, 0x61, 0x00);
}

static void make_string(struct mcp2210_usb_string *s, const char *utf8)
{
	ck_assert_int_eq(proto_usb_string_from_utf8(s, utf8), 0);
}

static void expect_string(const struct mcp2210_usb_string *s, const char *utf8)
{
	char buf[4 * MCP2210_STRING_MAX_UNITS + 1];

	ck_assert_int_ge(proto_usb_string_to_utf8(s, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, utf8);
}

/* 0x60 with the test value of sub (NVRAM string subs take their test string). */
static void build_set_nvram(uint8_t sub, mcp2210_report req)
{
	struct mcp2210_usb_string s;

	switch (sub) {
	case MCP2210_NVRAM_SPI:
		ck_assert_int_eq(proto_encode_set_nvram_spi(req, &test_spi), 0);
		break;
	case MCP2210_NVRAM_CHIP:
		ck_assert_int_eq(proto_encode_set_nvram_chip(req, &test_chip), 0);
		break;
	case MCP2210_NVRAM_USB_KEY:
		ck_assert_int_eq(proto_encode_set_nvram_usb_key(req, &test_key), 0);
		break;
	default:
		make_string(&s, sub == MCP2210_NVRAM_PRODUCT ? TEST_PRODUCT : TEST_MANUFACTURER);
		ck_assert_int_eq(proto_encode_set_nvram_string(req, sub, &s), 0);
		break;
	}
}

static const uint8_t nvram_subs[] = {
	MCP2210_NVRAM_SPI, MCP2210_NVRAM_CHIP, MCP2210_NVRAM_USB_KEY,
	MCP2210_NVRAM_PRODUCT, MCP2210_NVRAM_MANUFACTURER,
};
#define NVRAM_SUB_COUNT ((int)sizeof(nvram_subs))

static void set_nvram(uint8_t sub)
{
	mcp2210_report req, resp;

	build_set_nvram(sub, req);
	fx_xchg(emu, req, resp);
	fx_expect(resp, 0x60, 0x00);
	ck_assert_uint_eq(resp[2], sub);
}

static void set_nvram_all(void)
{
	for (int i = 0; i < NVRAM_SUB_COUNT; i++)
		set_nvram(nvram_subs[i]);
}

static void expect_spi_eq(const struct mcp2210_spi_settings *got, const struct mcp2210_spi_settings *want)
{
	ck_assert_uint_eq(got->bitrate, want->bitrate);
	ck_assert_uint_eq(got->cs_idle & MCP2210_PIN_MASK, want->cs_idle);
	ck_assert_uint_eq(got->cs_active & MCP2210_PIN_MASK, want->cs_active);
	ck_assert_uint_eq(got->delay_cs_to_data, want->delay_cs_to_data);
	ck_assert_uint_eq(got->delay_data_to_cs, want->delay_data_to_cs);
	ck_assert_uint_eq(got->delay_between_bytes, want->delay_between_bytes);
	ck_assert_uint_eq(got->bytes_per_transaction, want->bytes_per_transaction);
	ck_assert_uint_eq(got->mode, want->mode);
}

/* Everything but the password, which the chip never returns. */
static void expect_chip_eq(const struct mcp2210_chip_settings *got, const struct mcp2210_chip_settings *want)
{
	ck_assert_mem_eq(got->pin_function, want->pin_function, sizeof(want->pin_function));
	ck_assert_uint_eq(got->gpio_value & MCP2210_PIN_MASK, want->gpio_value);
	ck_assert_uint_eq(got->gpio_direction & MCP2210_PIN_MASK, want->gpio_direction);
	ck_assert_uint_eq(got->remote_wakeup, want->remote_wakeup);
	ck_assert_uint_eq(got->irq_mode, want->irq_mode);
	ck_assert_uint_eq(got->spi_bus_hold, want->spi_bus_hold);
	ck_assert_uint_eq(got->access, want->access);
}

static void nvram_spi(struct mcp2210_spi_settings *ss)
{
	mcp2210_report resp;

	get_nvram_raw(MCP2210_NVRAM_SPI, resp);
	ck_assert_int_eq(proto_decode_get_nvram_spi(resp, ss), 0);
}

static void nvram_chip(struct mcp2210_chip_settings *cs)
{
	mcp2210_report resp;

	get_nvram_raw(MCP2210_NVRAM_CHIP, resp);
	ck_assert_int_eq(proto_decode_get_nvram_chip(resp, cs), 0);
}

static void live_spi(struct mcp2210_spi_settings *ss)
{
	mcp2210_report req, resp;

	proto_encode_get_spi_settings(req);
	fx_xchg(emu, req, resp);
	ck_assert_int_eq(proto_decode_get_spi_settings(resp, ss), 0);
}

static void live_chip(struct mcp2210_chip_settings *cs)
{
	mcp2210_report req, resp;

	proto_encode_get_chip_settings(req);
	fx_xchg(emu, req, resp);
	ck_assert_int_eq(proto_decode_get_chip_settings(resp, cs), 0);
}

/* NVRAM reads back exactly the test values of every sub. */
static void expect_nvram_test_values(void)
{
	struct mcp2210_spi_settings ss;
	struct mcp2210_chip_settings cs;
	struct mcp2210_usb_key key;
	struct mcp2210_usb_string s;
	mcp2210_report resp;

	nvram_spi(&ss);
	expect_spi_eq(&ss, &test_spi);
	nvram_chip(&cs);
	expect_chip_eq(&cs, &test_chip);
	get_nvram_raw(MCP2210_NVRAM_USB_KEY, resp);
	ck_assert_int_eq(proto_decode_get_nvram_usb_key(resp, &key), 0);
	ck_assert_uint_eq(key.vid, test_key.vid);
	ck_assert_uint_eq(key.pid, test_key.pid);
	ck_assert_uint_eq(key.power, test_key.power);
	ck_assert_uint_eq(key.current_2ma, test_key.current_2ma);
	get_nvram_raw(MCP2210_NVRAM_PRODUCT, resp);
	ck_assert_int_eq(proto_decode_get_nvram_string(resp, MCP2210_NVRAM_PRODUCT, &s), 0);
	expect_string(&s, TEST_PRODUCT);
	get_nvram_raw(MCP2210_NVRAM_MANUFACTURER, resp);
	ck_assert_int_eq(proto_decode_get_nvram_string(resp, MCP2210_NVRAM_MANUFACTURER, &s), 0);
	expect_string(&s, TEST_MANUFACTURER);
}

/* Live settings equal the test power-up values, as after a power cycle. */
static void expect_live_test_values(void)
{
	struct mcp2210_spi_settings ss;
	struct mcp2210_chip_settings cs;

	live_spi(&ss);
	expect_spi_eq(&ss, &test_spi);
	live_chip(&cs);
	expect_chip_eq(&cs, &test_chip);
}

static void expect_identity(uint16_t vid, uint16_t pid, const char *manufacturer, const char *product,
			    const char *serial)
{
	struct mcp2210_usb_string m, p;
	struct mcp2210_usb_key key;
	char sn[32];

	emu_usb_identity(emu, &key, &m, &p, sn);
	ck_assert_uint_eq(key.vid, vid);
	ck_assert_uint_eq(key.pid, pid);
	expect_string(&m, manufacturer);
	expect_string(&p, product);
	ck_assert_str_eq(sn, serial);
}

static void write_eeprom(uint8_t addr, uint8_t value, uint8_t status)
{
	ck_assert_uint_eq(fx_write_eeprom(emu, addr, value), status);
}

static uint8_t read_eeprom(uint8_t addr) { return fx_read_eeprom(emu, addr); }

/* emu_free, then a new emulator on the same state file: a power cycle across processes. */
static int reopen(const char *serial)
{
	const struct emu_config cfg = { .state_file = state_path, .serial = serial };

	teardown();
	return emu_new(&cfg, &emu);
}

/* ---- factory NVRAM and identity ----------------------------------------------------------- */

START_TEST(test_factory_spi_raw)
{
	static const uint8_t factory[17] = {
		0x40, 0x42, 0x0F, 0x00, 0xFF, 0x01, 0x00, 0x00, /* 1 Mbit/s, cs_idle 0x1FF, active 0 */
		0, 0, 0, 0, 0, 0, 0x04, 0x00, 0x00,             /* no delays, 4 bytes, mode 0 */
	};
	mcp2210_report resp;

	get_nvram_raw(MCP2210_NVRAM_SPI, resp);
	ck_assert_mem_eq(resp + 4, factory, sizeof(factory));
}
END_TEST

START_TEST(test_factory_chip_raw)
{
	mcp2210_report resp;

	get_nvram_raw(MCP2210_NVRAM_CHIP, resp);
	expect_zero(resp, 4, 12);              /* all GPIO */
	ck_assert_uint_eq(resp[15], 0xFF);     /* all inputs */
	ck_assert_uint_eq(resp[16] & 0x01, 0x01);
	ck_assert_uint_eq(resp[17], 0x00);
	ck_assert_uint_eq(resp[18], MCP2210_ACCESS_NONE);
	expect_zero(resp, 19, 26);
}
END_TEST

START_TEST(test_factory_usb_key_raw)
{
	mcp2210_report resp;

	get_nvram_raw(MCP2210_NVRAM_USB_KEY, resp);
	ck_assert_uint_eq(resp[12], 0xD8);
	ck_assert_uint_eq(resp[13], 0x04);
	ck_assert_uint_eq(resp[14], 0xDE);
	ck_assert_uint_eq(resp[15], 0x00);
	ck_assert_uint_eq(resp[29], MCP2210_POWER_BUS);
	ck_assert_uint_eq(resp[30], 50); /* 100 mA */
}
END_TEST

static const struct {
	uint8_t sub;
	const char *text;
} factory_strings[] = {
	{ MCP2210_NVRAM_PRODUCT, "MCP2210 USB to SPI Master" },
	{ MCP2210_NVRAM_MANUFACTURER, "Microchip Technology Inc." },
};

START_TEST(test_factory_strings_raw)
{
	const char *text = factory_strings[_i].text;
	size_t len = strlen(text);
	mcp2210_report resp;

	get_nvram_raw(factory_strings[_i].sub, resp);
	ck_assert_uint_eq(resp[4], 2 * len + 2);
	ck_assert_uint_eq(resp[5], 0x03);
	for (size_t i = 0; i < len; i++) {
		ck_assert_uint_eq(resp[6 + 2 * i], (uint8_t)text[i]);
		ck_assert_uint_eq(resp[7 + 2 * i], 0x00);
	}
}
END_TEST

START_TEST(test_factory_identity)
{
	struct mcp2210_usb_string m, p;
	struct mcp2210_usb_key key;
	char sn[32];

	expect_identity(MCP2210_VID_FACTORY, MCP2210_PID_FACTORY, "Microchip Technology Inc.",
			"MCP2210 USB to SPI Master", "0000000000");
	emu_usb_identity(emu, &key, &m, &p, sn);
	ck_assert_uint_eq(key.power, MCP2210_POWER_BUS);
	ck_assert_uint_eq(key.current_2ma, 50);
}
END_TEST

START_TEST(test_identity_serial_from_config)
{
	const struct emu_config cfg = { .serial = "SN-4711" };

	teardown();
	ck_assert_int_eq(emu_new(&cfg, &emu), 0);
	expect_identity(MCP2210_VID_FACTORY, MCP2210_PID_FACTORY, "Microchip Technology Inc.",
			"MCP2210 USB to SPI Master", "SN-4711");
}
END_TEST

static Suite *suite_factory(void)
{
	Suite *s = suite_create("factory");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_factory_spi_raw);
	tcase_add_test(tc, test_factory_chip_raw);
	tcase_add_test(tc, test_factory_usb_key_raw);
	tcase_add_loop_test(tc, test_factory_strings_raw, 0, 2);
	tcase_add_test(tc, test_factory_identity);
	tcase_add_test(tc, test_identity_serial_from_config);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- 0x60 / 0x61 ---------------------------------------------------------------------------- */

START_TEST(test_nvram_set_answer_raw)
{
	mcp2210_report req, resp;

	build_set_nvram(nvram_subs[_i], req);
	fx_xchg(emu, req, resp);
	fx_expect(resp, 0x60, 0x00);
	ck_assert_uint_eq(resp[2], nvram_subs[_i]);
}
END_TEST

START_TEST(test_nvram_roundtrip)
{
	set_nvram_all();
	expect_nvram_test_values();
}
END_TEST

START_TEST(test_nvram_usb_key_raw)
{
	mcp2210_report resp;

	set_nvram(MCP2210_NVRAM_USB_KEY);
	get_nvram_raw(MCP2210_NVRAM_USB_KEY, resp);
	ck_assert_uint_eq(resp[12], 0x34);
	ck_assert_uint_eq(resp[13], 0x12);
	ck_assert_uint_eq(resp[14], 0xCD);
	ck_assert_uint_eq(resp[15], 0xAB);
	ck_assert_uint_eq(resp[29], 0x60);
	ck_assert_uint_eq(resp[30], 0xFA);
}
END_TEST

START_TEST(test_nvram_string_raw)
{
	static const uint8_t utf16[] = { 0x54, 0x00, 0xEB, 0x00, 0x73, 0x00, 0x74, 0x00, 0x20, 0x00, 0x13, 0x27 };
	mcp2210_report resp;

	set_nvram(MCP2210_NVRAM_PRODUCT);
	get_nvram_raw(MCP2210_NVRAM_PRODUCT, resp);
	ck_assert_uint_eq(resp[4], sizeof(utf16) + 2);
	ck_assert_uint_eq(resp[5], 0x03);
	ck_assert_mem_eq(resp + 6, utf16, sizeof(utf16));
}
END_TEST

START_TEST(test_nvram_string_28_units)
{
	const char *text = "ABCDEFGHIJKLMNOPQRSTUVWXYZ01"; /* the sheet's safe maximum */
	struct mcp2210_usb_string s;
	mcp2210_report req, resp;

	make_string(&s, text);
	ck_assert_int_eq(proto_encode_set_nvram_string(req, MCP2210_NVRAM_MANUFACTURER, &s), 0);
	ck_assert_uint_eq(send(req), 0x00);
	get_nvram_raw(MCP2210_NVRAM_MANUFACTURER, resp);
	ck_assert_uint_eq(resp[4], 58);
	ck_assert_int_eq(proto_decode_get_nvram_string(resp, MCP2210_NVRAM_MANUFACTURER, &s), 0);
	expect_string(&s, text);
}
END_TEST

START_TEST(test_nvram_bad_sub_raw)
{
	const uint8_t cmd = _i ? MCP2210_CMD_GET_NVRAM : MCP2210_CMD_SET_NVRAM;
	mcp2210_report resp;

	RAW(resp, cmd, 0x99);
	fx_expect(resp, cmd, MCP2210_STATUS_UNKNOWN_COMMAND);
}
END_TEST

static Suite *suite_nvram(void)
{
	Suite *s = suite_create("nvram");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_nvram_set_answer_raw, 0, NVRAM_SUB_COUNT);
	tcase_add_test(tc, test_nvram_roundtrip);
	tcase_add_test(tc, test_nvram_usb_key_raw);
	tcase_add_test(tc, test_nvram_string_raw);
	tcase_add_test(tc, test_nvram_string_28_units);
	tcase_add_loop_test(tc, test_nvram_bad_sub_raw, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- power cycle ---------------------------------------------------------------------------- */

START_TEST(test_nvram_not_live_before_power_cycle)
{
	struct mcp2210_spi_settings ss;
	struct mcp2210_chip_settings cs;

	set_nvram_all();
	live_spi(&ss);
	ck_assert_uint_eq(ss.bitrate, 1000000);
	ck_assert_uint_eq(ss.bytes_per_transaction, 4);
	live_chip(&cs);
	for (unsigned pin = 0; pin < MCP2210_PIN_COUNT; pin++)
		ck_assert_uint_eq(cs.pin_function[pin], MCP2210_PIN_GPIO);
	ck_assert_uint_eq(cs.gpio_direction & MCP2210_PIN_MASK, MCP2210_PIN_MASK);
}
END_TEST

START_TEST(test_power_cycle_loads_nvram)
{
	struct mcp2210_chip_settings live, nv;

	set_nvram_all();
	emu_power_cycle(emu);
	expect_live_test_values();
	live_chip(&live);
	nvram_chip(&nv);
	expect_chip_eq(&live, &nv);
	expect_identity(test_key.vid, test_key.pid, TEST_MANUFACTURER, TEST_PRODUCT, "0000000000");
}
END_TEST

static uint16_t gp6_count(void)
{
	mcp2210_report req, resp;
	uint16_t count;

	proto_encode_get_gp6_count(req, false);
	fx_xchg(emu, req, resp);
	ck_assert_int_eq(proto_decode_get_gp6_count(resp, &count), 0);
	return count;
}

static void gp6_rising_edge(void)
{
	ck_assert_int_eq(emu_set_input(emu, 6, 0), 0);
	ck_assert_int_eq(emu_set_input(emu, 6, 1), 0);
}

START_TEST(test_power_cycle_resets_gp6_counter)
{
	mcp2210_report req, resp;

	/* test_chip counts rising edges on GP6: live now, and again after the power cycle */
	set_nvram(MCP2210_NVRAM_CHIP);
	ck_assert_int_eq(proto_encode_set_chip_settings(req, &test_chip), 0);
	fx_xchg(emu, req, resp);
	fx_expect(resp, 0x21, 0x00);
	gp6_rising_edge();
	gp6_rising_edge();
	ck_assert_uint_eq(gp6_count(), 2);
	emu_power_cycle(emu);
	ck_assert_uint_eq(gp6_count(), 0);
	gp6_rising_edge();
	ck_assert_uint_eq(gp6_count(), 1);
}
END_TEST

START_TEST(test_power_cycle_keeps_eeprom)
{
	write_eeprom(EEPROM_ADDR, 0x5A, 0x00);
	emu_power_cycle(emu);
	ck_assert_uint_eq(read_eeprom(EEPROM_ADDR), 0x5A);
}
END_TEST

static Suite *suite_power_cycle(void)
{
	Suite *s = suite_create("power cycle");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_nvram_not_live_before_power_cycle);
	tcase_add_test(tc, test_power_cycle_loads_nvram);
	tcase_add_test(tc, test_power_cycle_resets_gp6_counter);
	tcase_add_test(tc, test_power_cycle_keeps_eeprom);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- state file ----------------------------------------------------------------------------- */

static void state_setup(void)
{
	emu = fx_emu_new_with_state(state_path, sizeof(state_path));
}

/* Remove the state file and the temporary directory fx_emu_new_with_state() made for it. */
static void state_teardown(void)
{
	char *slash = strrchr(state_path, '/');

	teardown();
	unlink(state_path);
	if (slash) {
		*slash = '\0';
		rmdir(state_path);
	}
}

START_TEST(test_state_file_created_factory)
{
	struct stat st;

	ck_assert_int_eq(stat(state_path, &st), 0);
	expect_identity(MCP2210_VID_FACTORY, MCP2210_PID_FACTORY, "Microchip Technology Inc.",
			"MCP2210 USB to SPI Master", "0000000000");
	ck_assert_uint_eq(read_eeprom(0), 0xFF);
}
END_TEST

START_TEST(test_state_file_keeps_nvram_eeprom)
{
	set_nvram_all();
	write_eeprom(EEPROM_ADDR, 0x5A, 0x00);
	write_eeprom(0xFF, 0x00, 0x00);
	ck_assert_int_eq(reopen(NULL), 0);
	expect_nvram_test_values();
	expect_live_test_values();
	ck_assert_uint_eq(read_eeprom(EEPROM_ADDR), 0x5A);
	ck_assert_uint_eq(read_eeprom(0xFF), 0x00);
	ck_assert_uint_eq(read_eeprom(0x00), 0xFF);
	expect_identity(test_key.vid, test_key.pid, TEST_MANUFACTURER, TEST_PRODUCT, "0000000000");
}
END_TEST

START_TEST(test_state_file_keeps_serial)
{
	ck_assert_int_eq(reopen("OTHER-SERIAL"), -EEXIST); /* another chip's serial: refused */
	ck_assert_int_eq(reopen(NULL), 0);
	expect_identity(MCP2210_VID_FACTORY, MCP2210_PID_FACTORY, "Microchip Technology Inc.",
			"MCP2210 USB to SPI Master", "0000000000");
}
END_TEST

static void overwrite_garbage(void)
{
	FILE *f = fopen(state_path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs("this is no MCP2210 state\n\x01\x02\xff", f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

static void truncate_half(void)
{
	struct stat st;

	ck_assert_int_eq(stat(state_path, &st), 0);
	ck_assert_int_gt(st.st_size, 1);
	ck_assert_int_eq(truncate(state_path, st.st_size / 2), 0);
}

static void (*const corruptions[])(void) = { overwrite_garbage, truncate_half };

START_TEST(test_state_file_corrupt)
{
	set_nvram_all();
	write_eeprom(EEPROM_ADDR, 0x5A, 0x00);
	teardown();
	corruptions[_i]();
	ck_assert_int_eq(reopen(NULL), -EINVAL);
}
END_TEST

static Suite *suite_state_file(void)
{
	Suite *s = suite_create("state file");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, state_setup, state_teardown);
	tcase_add_test(tc, test_state_file_created_factory);
	tcase_add_test(tc, test_state_file_keeps_nvram_eeprom);
	tcase_add_test(tc, test_state_file_keeps_serial);
	tcase_add_loop_test(tc, test_state_file_corrupt, 0, (int)(sizeof(corruptions) / sizeof(corruptions[0])));
	suite_add_tcase(s, tc);
	return s;
}

/* ---- access control ------------------------------------------------------------------------- */

/* 0x60/0x20 with the factory chip settings, access and PASSWORD. */
static uint8_t try_set_access(uint8_t access)
{
	struct mcp2210_chip_settings cs;
	mcp2210_report req;

	nvram_chip(&cs);
	cs.access = access;
	memcpy(cs.password, PASSWORD, MCP2210_PASSWORD_LEN);
	ck_assert_int_eq(proto_encode_set_nvram_chip(req, &cs), 0);
	return send(req);
}

static void set_access(uint8_t access)
{
	ck_assert_uint_eq(try_set_access(access), 0x00);
}

static uint8_t send_password(const char *password)
{
	char pw[MCP2210_PASSWORD_LEN];
	mcp2210_report req;

	memcpy(pw, password, sizeof(pw));
	proto_encode_send_password(req, pw);
	return send(req);
}

static void get_status(struct mcp2210_chip_status *st)
{
	mcp2210_report req, resp;

	proto_encode_get_status(req);
	fx_xchg(emu, req, resp);
	ck_assert_int_eq(proto_decode_get_status(resp, st), 0);
}

static void expect_attempts(uint8_t attempts, bool guessed)
{
	struct mcp2210_chip_status st;

	get_status(&st);
	ck_assert_uint_eq(st.password_attempts, attempts);
	ck_assert_uint_eq(st.password_guessed, guessed);
}

/* The writes protection blocks, each with the read that shows whether it changed anything. */
static void build_eeprom_write(uint8_t sub, mcp2210_report req)
{
	proto_encode_write_eeprom(req, EEPROM_ADDR, 0x00);
}

static void build_eeprom_read(uint8_t sub, mcp2210_report req)
{
	proto_encode_read_eeprom(req, EEPROM_ADDR);
}

static void build_get_nvram(uint8_t sub, mcp2210_report req)
{
	ck_assert_int_eq(proto_encode_get_nvram(req, sub), 0);
}

static const struct {
	uint8_t sub;
	void (*write)(uint8_t sub, mcp2210_report req);
	void (*read)(uint8_t sub, mcp2210_report req);
} blocked_writes[] = {
	{ MCP2210_NVRAM_SPI, build_set_nvram, build_get_nvram },
	{ MCP2210_NVRAM_CHIP, build_set_nvram, build_get_nvram },
	{ MCP2210_NVRAM_USB_KEY, build_set_nvram, build_get_nvram },
	{ MCP2210_NVRAM_PRODUCT, build_set_nvram, build_get_nvram },
	{ MCP2210_NVRAM_MANUFACTURER, build_set_nvram, build_get_nvram },
	{ 0, build_eeprom_write, build_eeprom_read },
};
#define BLOCKED_WRITE_COUNT ((int)(sizeof(blocked_writes) / sizeof(blocked_writes[0])))

/* Write case i; returns its status. The matching read must answer the same before and after
 * a refused write. */
static uint8_t try_write(int i)
{
	mcp2210_report req, before, after;
	uint8_t status;

	blocked_writes[i].read(blocked_writes[i].sub, req);
	fx_xchg(emu, req, before);
	blocked_writes[i].write(blocked_writes[i].sub, req);
	status = send(req);
	blocked_writes[i].read(blocked_writes[i].sub, req);
	fx_xchg(emu, req, after);
	if (status != 0x00)
		ck_assert_mem_eq(after, before, MCP2210_REPORT_SIZE);
	return status;
}

static void expect_all_writes(uint8_t status)
{
	for (int i = 0; i < BLOCKED_WRITE_COUNT; i++)
		ck_assert_uint_eq(try_write(i), status);
}

START_TEST(test_password_setter_stays_unlocked)
{
	set_access(MCP2210_ACCESS_PASSWORD);
	expect_all_writes(0x00);
}
END_TEST

START_TEST(test_password_blocks_after_power_cycle)
{
	set_access(MCP2210_ACCESS_PASSWORD);
	emu_power_cycle(emu);
	ck_assert_uint_eq(try_write(_i), MCP2210_STATUS_BLOCKED);
}
END_TEST

START_TEST(test_password_reads_still_work)
{
	mcp2210_report resp;

	set_access(MCP2210_ACCESS_PASSWORD);
	emu_power_cycle(emu);
	for (int i = 0; i < NVRAM_SUB_COUNT; i++)
		get_nvram_raw(nvram_subs[i], resp);
	ck_assert_uint_eq(read_eeprom(EEPROM_ADDR), 0xFF);
	RAW(resp, MCP2210_CMD_GET_CHIP_SETTINGS);
	ck_assert_uint_eq(resp[18], MCP2210_ACCESS_PASSWORD);
}
END_TEST

START_TEST(test_password_never_returned)
{
	mcp2210_report resp;

	set_access(MCP2210_ACCESS_PASSWORD);
	get_nvram_raw(MCP2210_NVRAM_CHIP, resp);
	ck_assert_uint_eq(resp[18], MCP2210_ACCESS_PASSWORD);
	expect_zero(resp, 19, 26);
	emu_power_cycle(emu);
	get_nvram_raw(MCP2210_NVRAM_CHIP, resp);
	expect_zero(resp, 19, 26);
}
END_TEST

/* DS22288A p. 33, figure 3-11: wrong tries 1..5 answer 0xFD and count up; from then on every
 * password, the right one too, answers 0xFB and the count stays at 5 until power-up. */
START_TEST(test_password_wrong_attempts)
{
	set_access(MCP2210_ACCESS_PASSWORD);
	emu_power_cycle(emu);
	for (uint8_t i = 1; i <= 5; i++) {
		ck_assert_uint_eq(send_password(WRONG_PASSWORD), 0xFD);
		expect_attempts(i, false);
	}
	ck_assert_uint_eq(send_password(WRONG_PASSWORD), 0xFB);
	expect_attempts(5, false);
	ck_assert_uint_eq(send_password(PASSWORD), 0xFB);
	expect_attempts(5, false);
	expect_all_writes(MCP2210_STATUS_BLOCKED);
}
END_TEST

/* The same sequence as raw reports: 70 00 00 00 + 8 characters -> 70 FD, ... 70 FB. */
START_TEST(test_password_sequence_raw)
{
	static const uint8_t want[] = { 0xFD, 0xFD, 0xFD, 0xFD, 0xFD, 0xFB, 0xFB };
	mcp2210_report resp;

	set_access(MCP2210_ACCESS_PASSWORD);
	emu_power_cycle(emu);
	for (size_t i = 0; i < sizeof(want); i++) {
		RAW(resp, 0x70, 0, 0, 0, 'g', 'u', 'e', 's', 's', '1', '2', '3');
		fx_expect(resp, 0x70, want[i]);
	}
	RAW(resp, 0x10);
	ck_assert_uint_eq(resp[4], 5); /* attempts */
	ck_assert_uint_eq(resp[5], 0); /* not guessed */
}
END_TEST

/* A wrong try before the right one: 0xFD, then 0x00 with the count kept. */
START_TEST(test_password_right_after_wrong_raw)
{
	mcp2210_report resp;

	set_access(MCP2210_ACCESS_PASSWORD);
	emu_power_cycle(emu);
	RAW(resp, 0x70, 0, 0, 0, 'g', 'u', 'e', 's', 's', '1', '2', '3');
	fx_expect(resp, 0x70, 0xFD);
	RAW(resp, 0x70, 0, 0, 0, 's', '3', 'c', 'r', 'e', 't', '!', '!');
	fx_expect(resp, 0x70, 0x00);
	RAW(resp, 0x10);
	ck_assert_uint_eq(resp[4], 1);
	ck_assert_uint_eq(resp[5], 1);
}
END_TEST

START_TEST(test_password_power_cycle_unblocks)
{
	set_access(MCP2210_ACCESS_PASSWORD);
	emu_power_cycle(emu);
	for (unsigned i = 0; i < MCP2210_PASSWORD_ATTEMPTS_MAX; i++)
		send_password(WRONG_PASSWORD);
	emu_power_cycle(emu);
	expect_attempts(0, false);
	ck_assert_uint_eq(send_password(PASSWORD), 0x00);
	expect_attempts(0, true);
	expect_all_writes(0x00);
}
END_TEST

START_TEST(test_password_unprotected_raw)
{
	mcp2210_report resp;

	RAW(resp, MCP2210_CMD_SEND_PASSWORD, 0, 0, 0, 'a', 'n', 'y', 't', 'h', 'i', 'n', 'g');
	fx_expect(resp, 0x70, 0x00);
}
END_TEST

START_TEST(test_password_removed)
{
	set_access(MCP2210_ACCESS_PASSWORD);
	emu_power_cycle(emu);
	ck_assert_uint_eq(send_password(PASSWORD), 0x00);
	set_access(MCP2210_ACCESS_NONE);
	emu_power_cycle(emu);
	expect_all_writes(0x00);
	ck_assert_uint_eq(send_password(WRONG_PASSWORD), 0x00);
}
END_TEST

START_TEST(test_locked_forever)
{
	mcp2210_report resp;

	set_access(MCP2210_ACCESS_LOCKED);
	for (int cycle = 0; cycle < 2; cycle++) {
		emu_power_cycle(emu);
		/* figure 3-11: a permanently locked chip answers 0x70 with 0xFC (table 3-29) */
		ck_assert_uint_eq(send_password(PASSWORD), 0xFC);
		expect_all_writes(MCP2210_STATUS_BLOCKED);
		ck_assert_uint_eq(try_set_access(MCP2210_ACCESS_NONE), MCP2210_STATUS_BLOCKED);
		get_nvram_raw(MCP2210_NVRAM_CHIP, resp);
		ck_assert_uint_eq(resp[18], MCP2210_ACCESS_LOCKED);
		ck_assert_uint_eq(read_eeprom(EEPROM_ADDR), 0xFF);
	}
}
END_TEST

static Suite *suite_access(void)
{
	Suite *s = suite_create("access");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_password_setter_stays_unlocked);
	tcase_add_loop_test(tc, test_password_blocks_after_power_cycle, 0, BLOCKED_WRITE_COUNT);
	tcase_add_test(tc, test_password_reads_still_work);
	tcase_add_test(tc, test_password_never_returned);
	tcase_add_test(tc, test_password_wrong_attempts);
	tcase_add_test(tc, test_password_sequence_raw);
	tcase_add_test(tc, test_password_right_after_wrong_raw);
	tcase_add_test(tc, test_password_power_cycle_unblocks);
	tcase_add_test(tc, test_password_unprotected_raw);
	tcase_add_test(tc, test_password_removed);
	tcase_add_test(tc, test_locked_forever);
	suite_add_tcase(s, tc);
	return s;
}

START_TEST(test_protection_survives_state_file)
{
	set_access(MCP2210_ACCESS_PASSWORD);
	ck_assert_int_eq(reopen(NULL), 0);
	expect_all_writes(MCP2210_STATUS_BLOCKED);
	ck_assert_uint_eq(send_password(PASSWORD), 0x00);
	expect_all_writes(0x00);
}
END_TEST

static Suite *suite_access_state(void)
{
	Suite *s = suite_create("access with state file");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, state_setup, state_teardown);
	tcase_add_test(tc, test_protection_survives_state_file);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite_factory, suite_nvram, suite_power_cycle, suite_state_file, suite_access, suite_access_state)
