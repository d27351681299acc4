/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Check tests for the MCP2210 codec (proto_*.c) and the status table (proto_status.c).
 * Expected bytes are written out by hand from doc/protocol.md, never produced by
 * the code under test; round trips then tie the host and device halves together.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"
#include "check_main.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SENTINEL 0xA5

/* ---- fixtures: values and the bytes the sheet says they become ------------------------- */

/* 12 Mbit/s is 00 1B B7 00 at bytes 4..7 (the sheet's worked example). */
static const struct mcp2210_spi_settings spi_example = {
	.bitrate = 12000000,
	.cs_idle = 0x01FF,
	.cs_active = 0x01FE,
	.delay_cs_to_data = 0x0102,
	.delay_data_to_cs = 0x0304,
	.delay_between_bytes = 0x0506,
	.bytes_per_transaction = 0x1234,
	.mode = 3,
};

#define SPI_EXAMPLE_BYTES                                                               \
	[4] = 0x00, [5] = 0x1B, [6] = 0xB7, [7] = 0x00, [8] = 0xFF, [9] = 0x01,         \
	[10] = 0xFE, [11] = 0x01, [12] = 0x02, [13] = 0x01, [14] = 0x04, [15] = 0x03,   \
	[16] = 0x06, [17] = 0x05, [18] = 0x34, [19] = 0x12, [20] = 0x03

static const struct mcp2210_chip_settings chip_example = {
	.pin_function = { 1, 1, 0, 2, 0, 0, 2, 2, 0 },
	.gpio_value = 0x0105,
	.gpio_direction = 0x01F0,
	.remote_wakeup = true,
	.irq_mode = MCP2210_IRQ_LOW_PULSES,
	.spi_bus_hold = true,
	.access = MCP2210_ACCESS_PASSWORD,
	.password = { 's', 'e', 'c', 'r', 'e', 't', '1', '2' },
};

/* Bytes 4..17; byte 17 = 0x10 wake-up | 011 << 1 low pulses | 0x01 bus hold = 0x17. */
#define CHIP_EXAMPLE_PINS                                                               \
	[4] = 0x01, [5] = 0x01, [6] = 0x00, [7] = 0x02, [8] = 0x00, [9] = 0x00,         \
	[10] = 0x02, [11] = 0x02, [12] = 0x00
#define CHIP_EXAMPLE_REQUEST_BYTES                                                      \
	CHIP_EXAMPLE_PINS, [13] = 0x05, [14] = 0x01, [15] = 0xF0, [16] = 0x01, [17] = 0x17
/* As the chip reads it back: bits 9..15 of 13..16 set. */
#define CHIP_EXAMPLE_ANSWER_BYTES                                                       \
	CHIP_EXAMPLE_PINS, [13] = 0x05, [14] = 0xFF, [15] = 0xF0, [16] = 0xFF, [17] = 0x17, \
	[18] = 0x40
#define PASSWORD_BYTES                                                                  \
	[19] = 's', [20] = 'e', [21] = 'c', [22] = 'r', [23] = 'e', [24] = 't', [25] = '1', \
	[26] = '2'

static const struct mcp2210_usb_key key_factory = {
	.vid = MCP2210_VID_FACTORY,
	.pid = MCP2210_PID_FACTORY,
	.power = MCP2210_POWER_BUS,
	.current_2ma = 50,
};

static const struct mcp2210_usb_key key_other = {
	.vid = 0x1234,
	.pid = 0xABCD,
	.power = MCP2210_POWER_SELF | MCP2210_POWER_REMOTE_WAKEUP,
	.current_2ma = 250,
};

static void assert_chip_eq(const struct mcp2210_chip_settings *a,
			   const struct mcp2210_chip_settings *b)
{
	ck_assert_mem_eq(a->pin_function, b->pin_function, MCP2210_PIN_COUNT);
	ck_assert_uint_eq(a->gpio_value, b->gpio_value);
	ck_assert_uint_eq(a->gpio_direction, b->gpio_direction);
	ck_assert_int_eq(a->remote_wakeup, b->remote_wakeup);
	ck_assert_uint_eq(a->irq_mode, b->irq_mode);
	ck_assert_int_eq(a->spi_bus_hold, b->spi_bus_hold);
	ck_assert_uint_eq(a->access, b->access);
	ck_assert_mem_eq(a->password, b->password, MCP2210_PASSWORD_LEN);
}

static void assert_spi_eq(const struct mcp2210_spi_settings *a,
			  const struct mcp2210_spi_settings *b)
{
	ck_assert_uint_eq(a->bitrate, b->bitrate);
	ck_assert_uint_eq(a->cs_idle, b->cs_idle);
	ck_assert_uint_eq(a->cs_active, b->cs_active);
	ck_assert_uint_eq(a->delay_cs_to_data, b->delay_cs_to_data);
	ck_assert_uint_eq(a->delay_data_to_cs, b->delay_data_to_cs);
	ck_assert_uint_eq(a->delay_between_bytes, b->delay_between_bytes);
	ck_assert_uint_eq(a->bytes_per_transaction, b->bytes_per_transaction);
	ck_assert_uint_eq(a->mode, b->mode);
}

/* A report full of garbage, so that the tests see every encoder zero it. */
static void dirty(mcp2210_report r)
{
	memset(r, 0xAA, MCP2210_REPORT_SIZE);
}

/* An answer with echo and status set, the rest zero. */
static void answer(mcp2210_report r, uint8_t cmd, uint8_t status)
{
	memset(r, 0, MCP2210_REPORT_SIZE);
	r[0] = cmd;
	r[1] = status;
}

/* ---- status table ---------------------------------------------------------------------- */

static const struct {
	uint8_t status;
	int err;
} status_cases[] = {
	{ 0x00, 0 },       { 0xF7, -EBUSY },  { 0xF8, -EAGAIN }, { 0xF9, -EIO },
	{ 0xFA, -EIO },    { 0xFB, -EACCES }, { 0xFC, -EPERM }, { 0xFD, -EACCES },
	{ 0x01, -EPROTO }, { 0x10, -EPROTO }, { 0xF6, -EPROTO }, { 0xFE, -EPROTO },
	{ 0xFF, -EPROTO },
};

START_TEST(test_status_errno)
{
	for (size_t i = 0; i < ARRAY_SIZE(status_cases); i++)
		ck_assert_int_eq(proto_status_errno(status_cases[i].status), status_cases[i].err);
}
END_TEST

START_TEST(test_status_unknown_everywhere)
{
	static const uint8_t known[] = { 0x00, 0xF7, 0xF8, 0xF9, 0xFA, 0xFB, 0xFC, 0xFD };
	int unknown = 0;

	for (unsigned s = 0; s < 256; s++) {
		bool is_known = memchr(known, (int)s, sizeof(known)) != NULL;

		if (is_known) {
			ck_assert_str_ne(proto_status_name((uint8_t)s), "unknown status");
			continue;
		}
		ck_assert_int_eq(proto_status_errno((uint8_t)s), -EPROTO);
		ck_assert_str_eq(proto_status_name((uint8_t)s), "unknown status");
		unknown++;
	}
	ck_assert_int_eq(unknown, 256 - 8);
}
END_TEST

START_TEST(test_status_names)
{
	ck_assert_str_eq(proto_status_name(0x00), "success");
	ck_assert_str_eq(proto_status_name(0xF7), "bus not available");
	ck_assert_str_eq(proto_status_name(0xF8), "busy");
	ck_assert_str_eq(proto_status_name(0xFD), "wrong password");
}
END_TEST

START_TEST(test_cmd_names)
{
	static const uint8_t cmds[] = { 0x10, 0x11, 0x12, 0x20, 0x21, 0x30, 0x31, 0x32, 0x33,
					0x40, 0x41, 0x42, 0x50, 0x51, 0x60, 0x61, 0x70, 0x80 };

	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		ck_assert_ptr_nonnull(proto_cmd_name(cmds[i]));
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(proto_cmd_name(cmds[i]), proto_cmd_name(cmds[j]));
	}
	ck_assert_str_eq(proto_cmd_name(0x10), "get chip status");
	ck_assert_str_eq(proto_cmd_name(0x42), "transfer SPI data");
	ck_assert_ptr_null(proto_cmd_name(0x00));
	ck_assert_ptr_null(proto_cmd_name(0x13));
	ck_assert_ptr_null(proto_cmd_name(0xFF));
}
END_TEST

static Suite *suite_status(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, test_status_errno);
	tcase_add_test(tc, test_status_unknown_everywhere);
	tcase_add_test(tc, test_status_names);
	tcase_add_test(tc, test_cmd_names);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- request encoders: exact bytes ----------------------------------------------------- */

START_TEST(test_encode_no_payload)
{
	static const struct {
		void (*encode)(mcp2210_report);
		uint8_t cmd;
	} cases[] = {
		{ proto_encode_get_status, 0x10 },
		{ proto_encode_cancel_spi, 0x11 },
		{ proto_encode_get_chip_settings, 0x20 },
		{ proto_encode_get_gpio_values, 0x31 },
		{ proto_encode_get_gpio_directions, 0x33 },
		{ proto_encode_get_spi_settings, 0x41 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		mcp2210_report req, exp = { 0 };

		dirty(req);
		cases[i].encode(req);
		exp[0] = cases[i].cmd;
		ck_assert_mem_eq(req, exp, MCP2210_REPORT_SIZE);
		ck_assert_uint_eq(proto_cmd(req), cases[i].cmd);
	}
}
END_TEST

START_TEST(test_encode_gp6_count_reset_byte)
{
	const mcp2210_report reset = { [0] = 0x12, [1] = 0x00 };
	const mcp2210_report keep = { [0] = 0x12, [1] = 0xFF };
	mcp2210_report req;

	dirty(req);
	proto_encode_get_gp6_count(req, true);
	ck_assert_mem_eq(req, reset, MCP2210_REPORT_SIZE);
	dirty(req);
	proto_encode_get_gp6_count(req, false);
	ck_assert_mem_eq(req, keep, MCP2210_REPORT_SIZE);
}
END_TEST

START_TEST(test_encode_set_chip_settings)
{
	/* Byte 18 (access 0x40 here) is not sent with 0x21, nor the password. */
	const mcp2210_report exp = { [0] = 0x21, CHIP_EXAMPLE_REQUEST_BYTES };
	mcp2210_report req;

	dirty(req);
	ck_assert_int_eq(proto_encode_set_chip_settings(req, &chip_example), 0);
	ck_assert_mem_eq(req, exp, MCP2210_REPORT_SIZE);
}
END_TEST

START_TEST(test_encode_chip_byte17)
{
	static const struct {
		bool wakeup;
		uint8_t irq;
		bool hold;
		uint8_t byte17;
	} cases[] = {
		{ false, 0, false, 0x00 }, { true, 0, false, 0x10 }, { false, 1, false, 0x02 },
		{ false, 2, false, 0x04 }, { false, 3, false, 0x06 }, { false, 4, false, 0x08 },
		{ false, 0, true, 0x01 },  { true, 4, true, 0x19 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct mcp2210_chip_settings cs = { 0 };
		mcp2210_report req;

		cs.remote_wakeup = cases[i].wakeup;
		cs.irq_mode = cases[i].irq;
		cs.spi_bus_hold = cases[i].hold;
		ck_assert_int_eq(proto_encode_set_chip_settings(req, &cs), 0);
		ck_assert_uint_eq(req[17], cases[i].byte17);
	}
}
END_TEST

START_TEST(test_encode_gpio_registers)
{
	const mcp2210_report values = { [0] = 0x30, [4] = 0x55, [5] = 0x01 };
	const mcp2210_report dirs = { [0] = 0x32, [4] = 0xF0, [5] = 0x00 };
	const mcp2210_report all = { [0] = 0x30, [4] = 0xFF, [5] = 0x01 };
	mcp2210_report req;

	dirty(req);
	proto_encode_set_gpio_values(req, 0x0155);
	ck_assert_mem_eq(req, values, MCP2210_REPORT_SIZE);
	dirty(req);
	proto_encode_set_gpio_directions(req, 0x00F0);
	ck_assert_mem_eq(req, dirs, MCP2210_REPORT_SIZE);
	/* Bits 9..15 have no pin and are not sent. */
	proto_encode_set_gpio_values(req, 0xFFFF);
	ck_assert_mem_eq(req, all, MCP2210_REPORT_SIZE);
}
END_TEST

START_TEST(test_encode_spi_settings_12mbit)
{
	const mcp2210_report exp = { [0] = 0x40, SPI_EXAMPLE_BYTES };
	mcp2210_report req;

	dirty(req);
	ck_assert_int_eq(proto_encode_set_spi_settings(req, &spi_example), 0);
	ck_assert_mem_eq(req, exp, MCP2210_REPORT_SIZE);
	ck_assert_uint_eq(req[4], 0x00);
	ck_assert_uint_eq(req[5], 0x1B);
	ck_assert_uint_eq(req[6], 0xB7);
	ck_assert_uint_eq(req[7], 0x00);
}
END_TEST

START_TEST(test_encode_spi_transfer)
{
	const mcp2210_report exp3 = { [0] = 0x42, [1] = 3, [4] = 0x9F, [5] = 0x00, [6] = 0x55 };
	const mcp2210_report exp0 = { [0] = 0x42, [1] = 0 };
	const uint8_t data[3] = { 0x9F, 0x00, 0x55 };
	uint8_t full[60];
	mcp2210_report req;

	dirty(req);
	ck_assert_int_eq(proto_encode_spi_transfer(req, data, sizeof(data)), 0);
	ck_assert_mem_eq(req, exp3, MCP2210_REPORT_SIZE);
	dirty(req);
	ck_assert_int_eq(proto_encode_spi_transfer(req, NULL, 0), 0);
	ck_assert_mem_eq(req, exp0, MCP2210_REPORT_SIZE);
	/* 60 bytes end exactly at byte 63. */
	for (size_t i = 0; i < sizeof(full); i++)
		full[i] = (uint8_t)(i + 1);
	ck_assert_int_eq(proto_encode_spi_transfer(req, full, sizeof(full)), 0);
	ck_assert_uint_eq(req[1], 60);
	ck_assert_uint_eq(req[2], 0);
	ck_assert_uint_eq(req[3], 0);
	ck_assert_mem_eq(&req[4], full, sizeof(full));
}
END_TEST

START_TEST(test_encode_eeprom)
{
	const mcp2210_report rd = { [0] = 0x50, [1] = 0xC3 };
	const mcp2210_report wr = { [0] = 0x51, [1] = 0xC3, [2] = 0x5A };
	mcp2210_report req;

	dirty(req);
	proto_encode_read_eeprom(req, 0xC3);
	ck_assert_mem_eq(req, rd, MCP2210_REPORT_SIZE);
	dirty(req);
	proto_encode_write_eeprom(req, 0xC3, 0x5A);
	ck_assert_mem_eq(req, wr, MCP2210_REPORT_SIZE);
}
END_TEST

START_TEST(test_encode_nvram_spi)
{
	const mcp2210_report exp = { [0] = 0x60, [1] = 0x10, SPI_EXAMPLE_BYTES };
	mcp2210_report req;

	dirty(req);
	ck_assert_int_eq(proto_encode_set_nvram_spi(req, &spi_example), 0);
	ck_assert_mem_eq(req, exp, MCP2210_REPORT_SIZE);
}
END_TEST

START_TEST(test_encode_nvram_chip_password)
{
	const mcp2210_report with_pw = { [0] = 0x60, [1] = 0x20, CHIP_EXAMPLE_REQUEST_BYTES,
					 [18] = 0x40, PASSWORD_BYTES };
	const mcp2210_report none = { [0] = 0x60, [1] = 0x20, CHIP_EXAMPLE_REQUEST_BYTES,
				      [18] = 0x00 };
	const mcp2210_report locked = { [0] = 0x60, [1] = 0x20, CHIP_EXAMPLE_REQUEST_BYTES,
					[18] = 0x80 };
	struct mcp2210_chip_settings cs = chip_example;
	mcp2210_report req;

	dirty(req);
	ck_assert_int_eq(proto_encode_set_nvram_chip(req, &cs), 0);
	ck_assert_mem_eq(req, with_pw, MCP2210_REPORT_SIZE);
	/* A password left in the structure is not sent without password protection. */
	cs.access = MCP2210_ACCESS_NONE;
	dirty(req);
	ck_assert_int_eq(proto_encode_set_nvram_chip(req, &cs), 0);
	ck_assert_mem_eq(req, none, MCP2210_REPORT_SIZE);
	cs.access = MCP2210_ACCESS_LOCKED;
	dirty(req);
	ck_assert_int_eq(proto_encode_set_nvram_chip(req, &cs), 0);
	ck_assert_mem_eq(req, locked, MCP2210_REPORT_SIZE);
}
END_TEST

START_TEST(test_encode_nvram_usb_key_offsets)
{
	/* Request: VID at 4..5, PID 6..7, power 8, current 9 (the answer uses 12..15, 29, 30). */
	const mcp2210_report exp = { [0] = 0x60, [1] = 0x30, [4] = 0xD8, [5] = 0x04, [6] = 0xDE,
				     [7] = 0x00, [8] = 0x80, [9] = 50 };
	const mcp2210_report exp2 = { [0] = 0x60, [1] = 0x30, [4] = 0x34, [5] = 0x12, [6] = 0xCD,
				      [7] = 0xAB, [8] = 0x60, [9] = 250 };
	const struct mcp2210_usb_key key = key_other;
	mcp2210_report req;

	dirty(req);
	ck_assert_int_eq(proto_encode_set_nvram_usb_key(req, &key_factory), 0);
	ck_assert_mem_eq(req, exp, MCP2210_REPORT_SIZE);
	dirty(req);
	ck_assert_int_eq(proto_encode_set_nvram_usb_key(req, &key), 0);
	ck_assert_mem_eq(req, exp2, MCP2210_REPORT_SIZE);
}
END_TEST

START_TEST(test_encode_nvram_string_layout)
{
	/* "Ab": [4] = 2 * 2 + 2 = 6, [5] = 0x03, then UTF-16LE. */
	const mcp2210_report product = { [0] = 0x60, [1] = 0x40, [4] = 6, [5] = 0x03,
					 [6] = 'A', [7] = 0, [8] = 'b', [9] = 0 };
	const mcp2210_report empty = { [0] = 0x60, [1] = 0x50, [4] = 2, [5] = 0x03 };
	struct mcp2210_usb_string s = { .len = 2, .units = { 'A', 'b' } };
	mcp2210_report req;

	dirty(req);
	ck_assert_int_eq(proto_encode_set_nvram_string(req, 0x40, &s), 0);
	ck_assert_mem_eq(req, product, MCP2210_REPORT_SIZE);
	s.len = 0;
	dirty(req);
	ck_assert_int_eq(proto_encode_set_nvram_string(req, 0x50, &s), 0);
	ck_assert_mem_eq(req, empty, MCP2210_REPORT_SIZE);
	/* 29 units: [4] = 60, the last unit at 62..63. */
	s.len = 29;
	for (size_t i = 0; i < 29; i++)
		s.units[i] = (uint16_t)(0x0400 + i);
	ck_assert_int_eq(proto_encode_set_nvram_string(req, 0x50, &s), 0);
	ck_assert_uint_eq(req[4], 60);
	ck_assert_uint_eq(req[5], 0x03);
	ck_assert_uint_eq(req[6], 0x00);
	ck_assert_uint_eq(req[7], 0x04);
	ck_assert_uint_eq(req[62], 0x1C);
	ck_assert_uint_eq(req[63], 0x04);
}
END_TEST

START_TEST(test_encode_get_nvram)
{
	static const uint8_t subs[] = { 0x10, 0x20, 0x30, 0x40, 0x50 };

	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		mcp2210_report req, exp = { [0] = 0x61 };

		exp[1] = subs[i];
		dirty(req);
		ck_assert_int_eq(proto_encode_get_nvram(req, subs[i]), 0);
		ck_assert_mem_eq(req, exp, MCP2210_REPORT_SIZE);
	}
}
END_TEST

START_TEST(test_encode_send_password)
{
	const mcp2210_report exp = { [0] = 0x70, [4] = 's', [5] = 'e', [6] = 'c', [7] = 'r',
				     [8] = 'e', [9] = 't', [10] = '1', [11] = '2' };
	mcp2210_report req;

	dirty(req);
	proto_encode_send_password(req, chip_example.password);
	ck_assert_mem_eq(req, exp, MCP2210_REPORT_SIZE);
}
END_TEST

START_TEST(test_encode_bus_release)
{
	const mcp2210_report high = { [0] = 0x80, [1] = 0x01 };
	const mcp2210_report low = { [0] = 0x80, [1] = 0x00 };
	mcp2210_report req;

	dirty(req);
	proto_encode_request_bus_release(req, true);
	ck_assert_mem_eq(req, high, MCP2210_REPORT_SIZE);
	dirty(req);
	proto_encode_request_bus_release(req, false);
	ck_assert_mem_eq(req, low, MCP2210_REPORT_SIZE);
}
END_TEST

static Suite *suite_encode(void)
{
	Suite *s = suite_create("encode");
	TCase *tc = tcase_create("requests");

	tcase_add_test(tc, test_encode_no_payload);
	tcase_add_test(tc, test_encode_gp6_count_reset_byte);
	tcase_add_test(tc, test_encode_set_chip_settings);
	tcase_add_test(tc, test_encode_chip_byte17);
	tcase_add_test(tc, test_encode_gpio_registers);
	tcase_add_test(tc, test_encode_spi_settings_12mbit);
	tcase_add_test(tc, test_encode_spi_transfer);
	tcase_add_test(tc, test_encode_eeprom);
	tcase_add_test(tc, test_encode_nvram_spi);
	tcase_add_test(tc, test_encode_nvram_chip_password);
	tcase_add_test(tc, test_encode_nvram_usb_key_offsets);
	tcase_add_test(tc, test_encode_nvram_string_layout);
	tcase_add_test(tc, test_encode_get_nvram);
	tcase_add_test(tc, test_encode_send_password);
	tcase_add_test(tc, test_encode_bus_release);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- answer encoders (device side): exact bytes ---------------------------------------- */

START_TEST(test_answer_status)
{
	const mcp2210_report exp = { [0] = 0x42, [1] = 0xF8 };
	mcp2210_report resp;

	dirty(resp);
	proto_answer_status(resp, 0x42, 0xF8);
	ck_assert_mem_eq(resp, exp, MCP2210_REPORT_SIZE);
}
END_TEST

START_TEST(test_answer_chip_status_inverted)
{
	const mcp2210_report none = { [0] = 0x10, [2] = 0x01, [3] = 1, [4] = 3, [5] = 0 };
	const mcp2210_report pending = { [0] = 0x11, [2] = 0x00, [3] = 2, [4] = 5, [5] = 1 };
	struct mcp2210_chip_status st = { false, MCP2210_BUS_OWNER_BRIDGE, 3, false };
	mcp2210_report resp;

	dirty(resp);
	proto_answer_chip_status(resp, 0x10, &st);
	ck_assert_mem_eq(resp, none, MCP2210_REPORT_SIZE);
	st = (struct mcp2210_chip_status){ true, MCP2210_BUS_OWNER_EXTERNAL, 5, true };
	dirty(resp);
	proto_answer_chip_status(resp, 0x11, &st);
	ck_assert_mem_eq(resp, pending, MCP2210_REPORT_SIZE);
}
END_TEST

START_TEST(test_answer_gp6_count)
{
	const mcp2210_report exp = { [0] = 0x12, [4] = 0x34, [5] = 0x12 };
	mcp2210_report resp;

	dirty(resp);
	proto_answer_gp6_count(resp, 0x1234);
	ck_assert_mem_eq(resp, exp, MCP2210_REPORT_SIZE);
}
END_TEST

START_TEST(test_answer_chip_settings_readback)
{
	/* Bits 9..15 of 13..16 read back set; byte 18 present; never the password. */
	const mcp2210_report live = { [0] = 0x20, CHIP_EXAMPLE_ANSWER_BYTES };
	const mcp2210_report nvram = { [0] = 0x61, [2] = 0x20, CHIP_EXAMPLE_ANSWER_BYTES };
	mcp2210_report resp;

	dirty(resp);
	proto_answer_chip_settings(resp, &chip_example);
	ck_assert_mem_eq(resp, live, MCP2210_REPORT_SIZE);
	dirty(resp);
	proto_answer_nvram_chip(resp, &chip_example);
	ck_assert_mem_eq(resp, nvram, MCP2210_REPORT_SIZE);
}
END_TEST

START_TEST(test_answer_pins_readback)
{
	static const uint8_t cmds[] = { 0x30, 0x31, 0x33 };

	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		mcp2210_report resp, exp = { [4] = 0x05, [5] = 0xFE };

		exp[0] = cmds[i];
		dirty(resp);
		proto_answer_pins(resp, cmds[i], 0x0005);
		ck_assert_mem_eq(resp, exp, MCP2210_REPORT_SIZE);
	}
}
END_TEST

START_TEST(test_answer_spi_settings)
{
	const mcp2210_report set = { [0] = 0x40, [2] = 0x11, SPI_EXAMPLE_BYTES };
	const mcp2210_report get = { [0] = 0x41, [2] = 0x11, SPI_EXAMPLE_BYTES };
	/* Byte 2 of a 0x61 answer is the sub echo. */
	const mcp2210_report nvram = { [0] = 0x61, [2] = 0x10, SPI_EXAMPLE_BYTES };
	mcp2210_report resp;

	dirty(resp);
	proto_answer_spi_settings(resp, 0x40, &spi_example);
	ck_assert_mem_eq(resp, set, MCP2210_REPORT_SIZE);
	dirty(resp);
	proto_answer_spi_settings(resp, 0x41, &spi_example);
	ck_assert_mem_eq(resp, get, MCP2210_REPORT_SIZE);
	dirty(resp);
	proto_answer_nvram_spi(resp, &spi_example);
	ck_assert_mem_eq(resp, nvram, MCP2210_REPORT_SIZE);
}
END_TEST

START_TEST(test_answer_spi_transfer)
{
	const mcp2210_report exp = { [0] = 0x42, [2] = 2, [3] = 0x30, [4] = 0xEF, [5] = 0x40 };
	struct mcp2210_spi_chunk rx = { .len = 2, .engine = 0x30, .data = { 0xEF, 0x40, 0x77 } };
	mcp2210_report resp;

	dirty(resp);
	proto_answer_spi_transfer(resp, &rx);
	ck_assert_mem_eq(resp, exp, MCP2210_REPORT_SIZE);
	/* An impossible length is clamped, never written past byte 63. */
	rx.len = 200;
	proto_answer_spi_transfer(resp, &rx);
	ck_assert_uint_eq(resp[2], 60);
}
END_TEST

START_TEST(test_answer_eeprom_and_set_nvram)
{
	const mcp2210_report rd = { [0] = 0x50, [2] = 0x7F, [3] = 0x99 };
	const mcp2210_report set = { [0] = 0x60, [2] = 0x30 };
	const mcp2210_report busy = { [0] = 0x60, [1] = 0xF8, [2] = 0x10 }; /* p. 16, table 3-6 */
	mcp2210_report resp;

	dirty(resp);
	proto_answer_read_eeprom(resp, 0x7F, 0x99);
	ck_assert_mem_eq(resp, rd, MCP2210_REPORT_SIZE);
	dirty(resp);
	proto_answer_set_nvram(resp, 0x30);
	ck_assert_mem_eq(resp, set, MCP2210_REPORT_SIZE);
	dirty(resp);
	proto_answer_set_nvram_status(resp, 0x10, 0xF8);
	ck_assert_mem_eq(resp, busy, MCP2210_REPORT_SIZE);
}
END_TEST

START_TEST(test_answer_usb_key_offsets)
{
	/* Answer: VID at 12..13, PID 14..15, power 29, current 30. */
	const mcp2210_report exp = { [0] = 0x61, [2] = 0x30, [12] = 0xD8, [13] = 0x04,
				     [14] = 0xDE, [15] = 0x00, [29] = 0x80, [30] = 50 };
	mcp2210_report resp;

	dirty(resp);
	proto_answer_nvram_usb_key(resp, &key_factory);
	ck_assert_mem_eq(resp, exp, MCP2210_REPORT_SIZE);
}
END_TEST

START_TEST(test_answer_string_layout)
{
	const mcp2210_report exp = { [0] = 0x61, [2] = 0x50, [4] = 8, [5] = 0x03, [6] = 'M',
				     [7] = 0, [8] = 0x3D, [9] = 0xD8, [10] = 0x00, [11] = 0xDE };
	struct mcp2210_usb_string s = { .len = 3, .units = { 'M', 0xD83D, 0xDE00 } };
	mcp2210_report resp;

	dirty(resp);
	proto_answer_nvram_string(resp, 0x50, &s);
	ck_assert_mem_eq(resp, exp, MCP2210_REPORT_SIZE);
	/* An impossible length is clamped to 29 units, never written past byte 63. */
	s.len = 200;
	proto_answer_nvram_string(resp, 0x40, &s);
	ck_assert_uint_eq(resp[4], 60);
}
END_TEST

static Suite *suite_answer(void)
{
	Suite *s = suite_create("answer");
	TCase *tc = tcase_create("device");

	tcase_add_test(tc, test_answer_status);
	tcase_add_test(tc, test_answer_chip_status_inverted);
	tcase_add_test(tc, test_answer_gp6_count);
	tcase_add_test(tc, test_answer_chip_settings_readback);
	tcase_add_test(tc, test_answer_pins_readback);
	tcase_add_test(tc, test_answer_spi_settings);
	tcase_add_test(tc, test_answer_spi_transfer);
	tcase_add_test(tc, test_answer_eeprom_and_set_nvram);
	tcase_add_test(tc, test_answer_usb_key_offsets);
	tcase_add_test(tc, test_answer_string_layout);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- answer decoders: bytes from the sheet --------------------------------------------- */

START_TEST(test_decode_chip_status)
{
	static const uint8_t cmds[] = { 0x10, 0x11 };

	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		int (*decode)(const mcp2210_report, struct mcp2210_chip_status *) =
			cmds[i] == 0x10 ? proto_decode_get_status : proto_decode_cancel_spi;
		struct mcp2210_chip_status st;
		mcp2210_report resp;

		/* [2] = 0x01: no bus-release request (inverted). */
		answer(resp, cmds[i], 0x00);
		resp[2] = 0x01;
		resp[3] = 2;
		resp[4] = 4;
		resp[5] = 0;
		ck_assert_int_eq(decode(resp, &st), 0);
		ck_assert(!st.bus_release_pending);
		ck_assert_uint_eq(st.bus_owner, MCP2210_BUS_OWNER_EXTERNAL);
		ck_assert_uint_eq(st.password_attempts, 4);
		ck_assert(!st.password_guessed);
		/* [2] = 0x00: pending. */
		resp[2] = 0x00;
		resp[3] = 0;
		resp[5] = 1;
		ck_assert_int_eq(decode(resp, &st), 0);
		ck_assert(st.bus_release_pending);
		ck_assert_uint_eq(st.bus_owner, MCP2210_BUS_OWNER_NONE);
		ck_assert(st.password_guessed);
	}
}
END_TEST

START_TEST(test_decode_gp6_count)
{
	mcp2210_report resp;
	uint16_t count = 0;

	answer(resp, 0x12, 0x00);
	resp[4] = 0xCD;
	resp[5] = 0xAB;
	ck_assert_int_eq(proto_decode_get_gp6_count(resp, &count), 0);
	ck_assert_uint_eq(count, 0xABCD);
}
END_TEST

START_TEST(test_decode_chip_settings_factory)
{
	/* Factory: all GPIO, all inputs; pin registers read back 0xFFFF. */
	const mcp2210_report live = { [0] = 0x20, [13] = 0xFF, [14] = 0xFF, [15] = 0xFF,
				      [16] = 0xFF };
	const mcp2210_report nvram = { [0] = 0x61, [2] = 0x20, [13] = 0xFF, [14] = 0xFF,
				       [15] = 0xFF, [16] = 0xFF, [17] = 0x02, [18] = 0x80 };
	struct mcp2210_chip_settings cs;

	ck_assert_int_eq(proto_decode_get_chip_settings(live, &cs), 0);
	for (size_t i = 0; i < MCP2210_PIN_COUNT; i++)
		ck_assert_uint_eq(cs.pin_function[i], MCP2210_PIN_GPIO);
	ck_assert_uint_eq(cs.gpio_value, 0x1FF);
	ck_assert_uint_eq(cs.gpio_direction, 0x1FF);
	ck_assert_uint_eq(cs.irq_mode, 0);
	ck_assert(!cs.remote_wakeup);
	ck_assert(!cs.spi_bus_hold);
	ck_assert_uint_eq(cs.access, 0);
	ck_assert_int_eq(proto_decode_get_nvram_chip(nvram, &cs), 0);
	ck_assert_uint_eq(cs.irq_mode, MCP2210_IRQ_FALLING);
	ck_assert_uint_eq(cs.access, MCP2210_ACCESS_LOCKED);
}
END_TEST

START_TEST(test_decode_chip_settings_example)
{
	/* Bytes past 18 (even a password) are never taken from an answer. */
	const mcp2210_report live = { [0] = 0x20, CHIP_EXAMPLE_ANSWER_BYTES, PASSWORD_BYTES };
	struct mcp2210_chip_settings exp = chip_example, cs;

	memset(exp.password, 0, sizeof(exp.password));
	ck_assert_int_eq(proto_decode_get_chip_settings(live, &cs), 0);
	assert_chip_eq(&cs, &exp);
}
END_TEST

START_TEST(test_decode_pins_masked)
{
	mcp2210_report resp;
	uint16_t v = 0;

	answer(resp, 0x30, 0x00);
	resp[4] = 0x05;
	resp[5] = 0xFE;
	ck_assert_int_eq(proto_decode_set_gpio_values(resp, &v), 0);
	ck_assert_uint_eq(v, 0x005);
	resp[0] = 0x31;
	resp[5] = 0xFF;
	ck_assert_int_eq(proto_decode_get_gpio_values(resp, &v), 0);
	ck_assert_uint_eq(v, 0x105);
	resp[0] = 0x33;
	resp[4] = 0xFF;
	ck_assert_int_eq(proto_decode_get_gpio_directions(resp, &v), 0);
	ck_assert_uint_eq(v, 0x1FF);
}
END_TEST

START_TEST(test_decode_spi_settings)
{
	const mcp2210_report get = { [0] = 0x41, [2] = 0x11, SPI_EXAMPLE_BYTES };
	/* Chip-select fields with bits 9..15 set, as a real chip keeps `ff ff` (issue 11, item 3):
	 * all 16 bits come through, so that writing the structure back keeps them. */
	mcp2210_report high = { [0] = 0x40, [2] = 0x11, SPI_EXAMPLE_BYTES };
	const mcp2210_report nvram = { [0] = 0x61, [2] = 0x10, SPI_EXAMPLE_BYTES };
	struct mcp2210_spi_settings ss, want = spi_example;
	mcp2210_report req;

	high[9] = 0xFF;
	high[11] = 0xFF;

	ck_assert_int_eq(proto_decode_get_spi_settings(get, &ss), 0);
	assert_spi_eq(&ss, &spi_example);
	ck_assert_uint_eq(ss.bitrate, 12000000);
	ck_assert_int_eq(proto_decode_set_spi_settings(high, &ss), 0);
	want.cs_idle = 0xFFFF;
	want.cs_active = 0xFFFE;
	assert_spi_eq(&ss, &want);
	ck_assert_int_eq(proto_encode_set_spi_settings(req, &ss), 0);
	ck_assert_mem_eq(req + 8, high + 8, 4);
	ck_assert_int_eq(proto_decode_get_nvram_spi(nvram, &ss), 0);
	assert_spi_eq(&ss, &spi_example);
}
END_TEST

START_TEST(test_decode_spi_transfer)
{
	static const uint8_t engines[] = { 0x10, 0x20, 0x30 };
	struct mcp2210_spi_chunk rx;
	mcp2210_report resp;

	for (size_t i = 0; i < ARRAY_SIZE(engines); i++) {
		answer(resp, 0x42, 0x00);
		resp[2] = 3;
		resp[3] = engines[i];
		resp[4] = 0xEF;
		resp[5] = 0x40;
		resp[6] = 0x18;
		ck_assert_int_eq(proto_decode_spi_transfer(resp, &rx), 0);
		ck_assert_uint_eq(rx.len, 3);
		ck_assert_uint_eq(rx.engine, engines[i]);
		ck_assert_uint_eq(rx.data[0], 0xEF);
		ck_assert_uint_eq(rx.data[1], 0x40);
		ck_assert_uint_eq(rx.data[2], 0x18);
	}
	/* m = 60 reads up to byte 63. */
	resp[2] = 60;
	resp[63] = 0x3C;
	ck_assert_int_eq(proto_decode_spi_transfer(resp, &rx), 0);
	ck_assert_uint_eq(rx.len, 60);
	ck_assert_uint_eq(rx.data[59], 0x3C);
}
END_TEST

START_TEST(test_decode_eeprom)
{
	mcp2210_report resp;
	uint8_t v = 0;

	answer(resp, 0x50, 0x00);
	resp[2] = 0xFE;
	resp[3] = 0x42;
	ck_assert_int_eq(proto_decode_read_eeprom(resp, 0xFE, &v), 0);
	ck_assert_uint_eq(v, 0x42);
	answer(resp, 0x51, 0x00);
	ck_assert_int_eq(proto_decode_write_eeprom(resp), 0);
	answer(resp, 0x51, 0xFA);
	ck_assert_int_eq(proto_decode_write_eeprom(resp), -EIO);
	answer(resp, 0x51, 0xFB);
	ck_assert_int_eq(proto_decode_write_eeprom(resp), -EACCES);
}
END_TEST

START_TEST(test_decode_status_only)
{
	mcp2210_report resp;

	answer(resp, 0x21, 0x00);
	ck_assert_int_eq(proto_decode_set_chip_settings(resp), 0);
	answer(resp, 0x32, 0x00);
	ck_assert_int_eq(proto_decode_set_gpio_directions(resp), 0);
	answer(resp, 0x70, 0x00);
	ck_assert_int_eq(proto_decode_send_password(resp), 0);
	answer(resp, 0x70, 0xFD);
	ck_assert_int_eq(proto_decode_send_password(resp), -EACCES);
	answer(resp, 0x70, 0xFB);
	ck_assert_int_eq(proto_decode_send_password(resp), -EACCES);
	answer(resp, 0x80, 0x00);
	ck_assert_int_eq(proto_decode_request_bus_release(resp), 0);
	answer(resp, 0x80, 0xF8);
	ck_assert_int_eq(proto_decode_request_bus_release(resp), -EAGAIN);
	answer(resp, 0x60, 0x00);
	resp[2] = 0x40;
	ck_assert_int_eq(proto_decode_set_nvram(resp, 0x40), 0);
}
END_TEST

START_TEST(test_decode_usb_key_offsets)
{
	const mcp2210_report ans = { [0] = 0x61, [2] = 0x30, [12] = 0xD8, [13] = 0x04,
				     [14] = 0xDE, [15] = 0x00, [29] = 0x80, [30] = 50 };
	/* The request layout read as an answer yields nothing: the offsets differ. */
	const mcp2210_report req_layout = { [0] = 0x61, [2] = 0x30, [4] = 0xD8, [5] = 0x04,
					    [6] = 0xDE, [7] = 0x00, [8] = 0x80, [9] = 50 };
	struct mcp2210_usb_key key;

	ck_assert_int_eq(proto_decode_get_nvram_usb_key(ans, &key), 0);
	ck_assert_uint_eq(key.vid, 0x04D8);
	ck_assert_uint_eq(key.pid, 0x00DE);
	ck_assert_uint_eq(key.power, 0x80);
	ck_assert_uint_eq(key.current_2ma, 50);
	ck_assert_int_eq(proto_decode_get_nvram_usb_key(req_layout, &key), 0);
	ck_assert_uint_eq(key.vid, 0);
	ck_assert_uint_eq(key.pid, 0);
	ck_assert_uint_eq(key.power, 0);
	ck_assert_uint_eq(key.current_2ma, 0);
}
END_TEST

/* Byte 29 bits 4..0 of the 0x61/0x30 answer are "don't care" (DS22288A p. 29) and must be 0
 * in the 0x60/0x30 request (p. 18): whatever a chip returns there, the key read back can be
 * written again, with those bits 0 (issue 11, item 9). */
START_TEST(test_usb_key_dont_care_bits)
{
	const mcp2210_report ans = { [0] = 0x61, [2] = 0x30, [12] = 0xD8, [13] = 0x04,
				     [14] = 0xDE, [15] = 0x00, [29] = 0xBF, [30] = 50 };
	struct mcp2210_usb_key key;
	mcp2210_report req;

	ck_assert_int_eq(proto_decode_get_nvram_usb_key(ans, &key), 0);
	ck_assert_uint_eq(key.power, 0xA0); /* bus powered, remote wake-up */
	ck_assert_int_eq(proto_encode_set_nvram_usb_key(req, &key), 0);
	ck_assert_uint_eq(req[8], 0xA0);
}
END_TEST

/* The 0xF8 answer to 0x60/0x10 echoes the sub-command (p. 16, table 3-6); one that does not is
 * still "busy": the status comes first. */
START_TEST(test_decode_set_nvram_busy)
{
	const mcp2210_report echoed = { [0] = 0x60, [1] = 0xF8, [2] = 0x10 };
	const mcp2210_report bare = { [0] = 0x60, [1] = 0xF8 };

	ck_assert_int_eq(proto_decode_set_nvram(echoed, 0x10), -EAGAIN);
	ck_assert_int_eq(proto_decode_set_nvram(bare, 0x10), -EAGAIN);
}
END_TEST

START_TEST(test_decode_factory_strings)
{
	static const char *const texts[] = { "MCP2210 USB to SPI Master",
					     "Microchip Technology Inc." };
	static const uint8_t subs[] = { 0x40, 0x50 };

	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		size_t n = strlen(texts[i]);
		struct mcp2210_usb_string s;
		mcp2210_report resp;
		char buf[64];

		answer(resp, 0x61, 0x00);
		resp[2] = subs[i];
		resp[4] = (uint8_t)(2 * n + 2);
		resp[5] = 0x03;
		for (size_t k = 0; k < n; k++)
			resp[6 + 2 * k] = (uint8_t)texts[i][k];
		ck_assert_int_eq(proto_decode_get_nvram_string(resp, subs[i], &s), 0);
		ck_assert_uint_eq(s.len, n);
		ck_assert_int_eq(proto_usb_string_to_utf8(&s, buf, sizeof(buf)), (int)n);
		ck_assert_str_eq(buf, texts[i]);
	}
}
END_TEST

START_TEST(test_decode_string_max)
{
	struct mcp2210_usb_string s;
	mcp2210_report resp;

	answer(resp, 0x61, 0x00);
	resp[2] = 0x40;
	resp[4] = 60;
	resp[5] = 0x03;
	resp[62] = 0x34;
	resp[63] = 0x12;
	ck_assert_int_eq(proto_decode_get_nvram_string(resp, 0x40, &s), 0);
	ck_assert_uint_eq(s.len, 29);
	ck_assert_uint_eq(s.units[28], 0x1234);
	resp[4] = 2;
	ck_assert_int_eq(proto_decode_get_nvram_string(resp, 0x40, &s), 0);
	ck_assert_uint_eq(s.len, 0);
}
END_TEST

static Suite *suite_decode(void)
{
	Suite *s = suite_create("decode");
	TCase *tc = tcase_create("answers");

	tcase_add_test(tc, test_decode_chip_status);
	tcase_add_test(tc, test_decode_gp6_count);
	tcase_add_test(tc, test_decode_chip_settings_factory);
	tcase_add_test(tc, test_decode_chip_settings_example);
	tcase_add_test(tc, test_decode_pins_masked);
	tcase_add_test(tc, test_decode_spi_settings);
	tcase_add_test(tc, test_decode_spi_transfer);
	tcase_add_test(tc, test_decode_eeprom);
	tcase_add_test(tc, test_decode_status_only);
	tcase_add_test(tc, test_decode_usb_key_offsets);
	tcase_add_test(tc, test_usb_key_dont_care_bits);
	tcase_add_test(tc, test_decode_set_nvram_busy);
	tcase_add_test(tc, test_decode_factory_strings);
	tcase_add_test(tc, test_decode_string_max);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- round trips: host encoder -> device parser, device answer -> host decoder ---------- */

START_TEST(test_rt_gp6_count)
{
	mcp2210_report r;
	bool reset = false;
	uint16_t count = 0;

	proto_encode_get_gp6_count(r, true);
	ck_assert_int_eq(proto_parse_get_gp6_count(r, &reset), 0);
	ck_assert(reset);
	proto_encode_get_gp6_count(r, false);
	ck_assert_int_eq(proto_parse_get_gp6_count(r, &reset), 0);
	ck_assert(!reset);
	proto_answer_gp6_count(r, 65535);
	ck_assert_int_eq(proto_decode_get_gp6_count(r, &count), 0);
	ck_assert_uint_eq(count, 65535);
}
END_TEST

START_TEST(test_rt_chip_status)
{
	static const uint8_t cmds[] = { 0x10, 0x11 };

	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		for (int pending = 0; pending <= 1; pending++) {
			const struct mcp2210_chip_status in = {
				pending, MCP2210_BUS_OWNER_BRIDGE, 2, !pending
			};
			struct mcp2210_chip_status out;
			mcp2210_report r;

			proto_answer_chip_status(r, cmds[i], &in);
			if (cmds[i] == 0x10)
				ck_assert_int_eq(proto_decode_get_status(r, &out), 0);
			else
				ck_assert_int_eq(proto_decode_cancel_spi(r, &out), 0);
			ck_assert_int_eq(out.bus_release_pending, in.bus_release_pending);
			ck_assert_uint_eq(out.bus_owner, in.bus_owner);
			ck_assert_uint_eq(out.password_attempts, in.password_attempts);
			ck_assert_int_eq(out.password_guessed, in.password_guessed);
		}
	}
}
END_TEST

START_TEST(test_rt_chip_settings_live)
{
	struct mcp2210_chip_settings exp = chip_example, out;
	mcp2210_report r;

	/* 0x21 carries neither access nor password: they come back as 0. */
	ck_assert_int_eq(proto_encode_set_chip_settings(r, &chip_example), 0);
	ck_assert_int_eq(proto_parse_set_chip_settings(r, &out), 0);
	exp.access = 0;
	memset(exp.password, 0, sizeof(exp.password));
	assert_chip_eq(&out, &exp);
	/* 0x20 answer: access comes back, the password does not. */
	proto_answer_chip_settings(r, &chip_example);
	ck_assert_int_eq(proto_decode_get_chip_settings(r, &out), 0);
	exp.access = chip_example.access;
	assert_chip_eq(&out, &exp);
	answer(r, 0x21, 0x00);
	ck_assert_int_eq(proto_decode_set_chip_settings(r), 0);
}
END_TEST

START_TEST(test_rt_chip_settings_nvram)
{
	struct mcp2210_chip_settings exp = chip_example, out;
	mcp2210_report r;

	ck_assert_int_eq(proto_encode_set_nvram_chip(r, &chip_example), 0);
	ck_assert_int_eq(proto_parse_set_nvram_chip(r, &out), 0);
	assert_chip_eq(&out, &chip_example);
	proto_answer_set_nvram(r, 0x20);
	ck_assert_int_eq(proto_decode_set_nvram(r, 0x20), 0);
	proto_answer_nvram_chip(r, &chip_example);
	ck_assert_int_eq(proto_decode_get_nvram_chip(r, &out), 0);
	memset(exp.password, 0, sizeof(exp.password));
	assert_chip_eq(&out, &exp);
}
END_TEST

START_TEST(test_rt_gpio)
{
	static const uint8_t get_cmds[] = { 0x30, 0x31, 0x33 };
	uint16_t v = 0;
	mcp2210_report r;

	proto_encode_set_gpio_values(r, 0x1A5);
	ck_assert_int_eq(proto_parse_set_gpio_values(r, &v), 0);
	ck_assert_uint_eq(v, 0x1A5);
	proto_encode_set_gpio_directions(r, 0x15A);
	ck_assert_int_eq(proto_parse_set_gpio_directions(r, &v), 0);
	ck_assert_uint_eq(v, 0x15A);
	answer(r, 0x32, 0x00);
	ck_assert_int_eq(proto_decode_set_gpio_directions(r), 0);
	for (size_t i = 0; i < ARRAY_SIZE(get_cmds); i++) {
		proto_answer_pins(r, get_cmds[i], 0x0C3);
		v = 0;
		if (get_cmds[i] == 0x30)
			ck_assert_int_eq(proto_decode_set_gpio_values(r, &v), 0);
		else if (get_cmds[i] == 0x31)
			ck_assert_int_eq(proto_decode_get_gpio_values(r, &v), 0);
		else
			ck_assert_int_eq(proto_decode_get_gpio_directions(r, &v), 0);
		ck_assert_uint_eq(v, 0x0C3);
	}
}
END_TEST

START_TEST(test_rt_spi_settings)
{
	struct mcp2210_spi_settings out;
	mcp2210_report r;

	ck_assert_int_eq(proto_encode_set_spi_settings(r, &spi_example), 0);
	ck_assert_int_eq(proto_parse_set_spi_settings(r, &out), 0);
	assert_spi_eq(&out, &spi_example);
	proto_answer_spi_settings(r, 0x40, &spi_example);
	ck_assert_int_eq(proto_decode_set_spi_settings(r, &out), 0);
	assert_spi_eq(&out, &spi_example);
	proto_answer_spi_settings(r, 0x41, &spi_example);
	ck_assert_int_eq(proto_decode_get_spi_settings(r, &out), 0);
	assert_spi_eq(&out, &spi_example);
	ck_assert_int_eq(proto_encode_set_nvram_spi(r, &spi_example), 0);
	ck_assert_int_eq(proto_parse_set_nvram_spi(r, &out), 0);
	assert_spi_eq(&out, &spi_example);
	proto_answer_nvram_spi(r, &spi_example);
	ck_assert_int_eq(proto_decode_get_nvram_spi(r, &out), 0);
	assert_spi_eq(&out, &spi_example);
}
END_TEST

START_TEST(test_rt_spi_transfer)
{
	uint8_t data[60];
	struct mcp2210_spi_chunk chunk, out;
	mcp2210_report r;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0xF0 - i);
	for (size_t n = 0; n <= 60; n += 15) {
		ck_assert_int_eq(proto_encode_spi_transfer(r, data, n), 0);
		ck_assert_int_eq(proto_parse_spi_transfer(r, &chunk), 0);
		ck_assert_uint_eq(chunk.len, n);
		ck_assert_mem_eq(chunk.data, data, n);
		chunk.engine = n == 60 ? MCP2210_ENGINE_FINISHED : MCP2210_ENGINE_PENDING;
		proto_answer_spi_transfer(r, &chunk);
		ck_assert_int_eq(proto_decode_spi_transfer(r, &out), 0);
		ck_assert_uint_eq(out.len, n);
		ck_assert_uint_eq(out.engine, chunk.engine);
		ck_assert_mem_eq(out.data, data, n);
	}
}
END_TEST

START_TEST(test_rt_eeprom)
{
	uint8_t addr = 0, value = 0;
	mcp2210_report r;

	proto_encode_read_eeprom(r, 0xFF);
	ck_assert_int_eq(proto_parse_read_eeprom(r, &addr), 0);
	ck_assert_uint_eq(addr, 0xFF);
	proto_answer_read_eeprom(r, addr, 0x00);
	value = 1;
	ck_assert_int_eq(proto_decode_read_eeprom(r, 0xFF, &value), 0);
	ck_assert_uint_eq(value, 0x00);
	proto_encode_write_eeprom(r, 0x00, 0xFF);
	ck_assert_int_eq(proto_parse_write_eeprom(r, &addr, &value), 0);
	ck_assert_uint_eq(addr, 0x00);
	ck_assert_uint_eq(value, 0xFF);
	proto_answer_status(r, 0x51, 0x00);
	ck_assert_int_eq(proto_decode_write_eeprom(r), 0);
}
END_TEST

START_TEST(test_rt_nvram_sub)
{
	static const uint8_t subs[] = { 0x10, 0x20, 0x30, 0x40, 0x50 };

	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		uint8_t sub = 0;
		mcp2210_report r;

		ck_assert_int_eq(proto_encode_get_nvram(r, subs[i]), 0);
		ck_assert_int_eq(proto_parse_nvram_sub(r, &sub), 0);
		ck_assert_uint_eq(sub, subs[i]);
		proto_answer_set_nvram(r, subs[i]);
		ck_assert_int_eq(proto_decode_set_nvram(r, subs[i]), 0);
	}
}
END_TEST

START_TEST(test_rt_usb_key)
{
	const struct mcp2210_usb_key key = key_other;
	struct mcp2210_usb_key out;
	uint8_t sub = 0;
	mcp2210_report r;

	ck_assert_int_eq(proto_encode_set_nvram_usb_key(r, &key), 0);
	ck_assert_int_eq(proto_parse_nvram_sub(r, &sub), 0);
	ck_assert_uint_eq(sub, 0x30);
	ck_assert_int_eq(proto_parse_set_nvram_usb_key(r, &out), 0);
	ck_assert_mem_eq(&out, &key, sizeof(key));
	proto_answer_nvram_usb_key(r, &key);
	ck_assert_int_eq(proto_decode_get_nvram_usb_key(r, &out), 0);
	ck_assert_uint_eq(out.vid, key.vid);
	ck_assert_uint_eq(out.pid, key.pid);
	ck_assert_uint_eq(out.power, key.power);
	ck_assert_uint_eq(out.current_2ma, key.current_2ma);
}
END_TEST

START_TEST(test_rt_strings)
{
	static const char *const texts[] = {
		"", "x", "Gr\xc3\xbc\xc3\x9f\x65 \xe2\x82\xac", "\xf0\x9f\x98\x80 ok",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ012",
	};
	static const uint8_t subs[] = { 0x40, 0x50 };

	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		for (size_t k = 0; k < ARRAY_SIZE(subs); k++) {
			struct mcp2210_usb_string s, out;
			mcp2210_report r;
			char buf[128];

			ck_assert_int_eq(proto_usb_string_from_utf8(&s, texts[i]), 0);
			ck_assert_int_eq(proto_encode_set_nvram_string(r, subs[k], &s), 0);
			ck_assert_int_eq(proto_parse_set_nvram_string(r, &out), 0);
			ck_assert_uint_eq(out.len, s.len);
			ck_assert_mem_eq(out.units, s.units, 2u * s.len);
			proto_answer_nvram_string(r, subs[k], &s);
			ck_assert_int_eq(proto_decode_get_nvram_string(r, subs[k], &out), 0);
			ck_assert_int_eq(proto_usb_string_to_utf8(&out, buf, sizeof(buf)),
					 (int)strlen(texts[i]));
			ck_assert_str_eq(buf, texts[i]);
		}
	}
}
END_TEST

START_TEST(test_rt_password_and_bus_release)
{
	char pw[MCP2210_PASSWORD_LEN];
	bool level = false;
	mcp2210_report r;

	proto_encode_send_password(r, chip_example.password);
	ck_assert_int_eq(proto_parse_send_password(r, pw), 0);
	ck_assert_mem_eq(pw, chip_example.password, sizeof(pw));
	proto_answer_status(r, 0x70, 0x00);
	ck_assert_int_eq(proto_decode_send_password(r), 0);
	proto_encode_request_bus_release(r, true);
	ck_assert_int_eq(proto_parse_request_bus_release(r, &level), 0);
	ck_assert(level);
	proto_encode_request_bus_release(r, false);
	ck_assert_int_eq(proto_parse_request_bus_release(r, &level), 0);
	ck_assert(!level);
	proto_answer_status(r, 0x80, 0x00);
	ck_assert_int_eq(proto_decode_request_bus_release(r), 0);
}
END_TEST

static Suite *suite_roundtrip(void)
{
	Suite *s = suite_create("roundtrip");
	TCase *tc = tcase_create("host-device");

	tcase_add_test(tc, test_rt_gp6_count);
	tcase_add_test(tc, test_rt_chip_status);
	tcase_add_test(tc, test_rt_chip_settings_live);
	tcase_add_test(tc, test_rt_chip_settings_nvram);
	tcase_add_test(tc, test_rt_gpio);
	tcase_add_test(tc, test_rt_spi_settings);
	tcase_add_test(tc, test_rt_spi_transfer);
	tcase_add_test(tc, test_rt_eeprom);
	tcase_add_test(tc, test_rt_nvram_sub);
	tcase_add_test(tc, test_rt_usb_key);
	tcase_add_test(tc, test_rt_strings);
	tcase_add_test(tc, test_rt_password_and_bus_release);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- rejects --------------------------------------------------------------------------- */

/* Every decoder, wrapped so that the output is checked to stay untouched on error. */
#define DECODER(fn, type, ...)                                                          \
	static int dec_##fn(const mcp2210_report r)                                     \
	{                                                                               \
		type out;                                                               \
		unsigned char ref[sizeof(out)];                                         \
		int ret;                                                                \
		memset(&out, SENTINEL, sizeof(out));                                    \
		memset(ref, SENTINEL, sizeof(ref));                                     \
		ret = proto_decode_##fn(r, __VA_ARGS__);                                \
		if (ret < 0)                                                            \
			ck_assert_mem_eq(&out, ref, sizeof(out));                       \
		return ret;                                                             \
	}

DECODER(get_status, struct mcp2210_chip_status, &out)
DECODER(cancel_spi, struct mcp2210_chip_status, &out)
DECODER(get_gp6_count, uint16_t, &out)
DECODER(get_chip_settings, struct mcp2210_chip_settings, &out)
DECODER(set_gpio_values, uint16_t, &out)
DECODER(get_gpio_values, uint16_t, &out)
DECODER(get_gpio_directions, uint16_t, &out)
DECODER(set_spi_settings, struct mcp2210_spi_settings, &out)
DECODER(get_spi_settings, struct mcp2210_spi_settings, &out)
DECODER(spi_transfer, struct mcp2210_spi_chunk, &out)
DECODER(read_eeprom, uint8_t, 0x10, &out)
DECODER(get_nvram_spi, struct mcp2210_spi_settings, &out)
DECODER(get_nvram_chip, struct mcp2210_chip_settings, &out)
DECODER(get_nvram_usb_key, struct mcp2210_usb_key, &out)
DECODER(get_nvram_string, struct mcp2210_usb_string, 0x40, &out)

static int dec_get_nvram_string_mfr(const mcp2210_report r)
{
	struct mcp2210_usb_string out;

	return proto_decode_get_nvram_string(r, 0x50, &out);
}

static int dec_set_nvram(const mcp2210_report r)
{
	return proto_decode_set_nvram(r, 0x20);
}

static const struct {
	uint8_t cmd;
	uint8_t sub; /* byte 2 of a valid answer */
	int (*decode)(const mcp2210_report r);
} decoders[] = {
	{ 0x10, 0x01, dec_get_status },
	{ 0x11, 0x01, dec_cancel_spi },
	{ 0x12, 0, dec_get_gp6_count },
	{ 0x20, 0, dec_get_chip_settings },
	{ 0x21, 0, proto_decode_set_chip_settings },
	{ 0x30, 0, dec_set_gpio_values },
	{ 0x31, 0, dec_get_gpio_values },
	{ 0x32, 0, proto_decode_set_gpio_directions },
	{ 0x33, 0, dec_get_gpio_directions },
	{ 0x40, 0x11, dec_set_spi_settings },
	{ 0x41, 0x11, dec_get_spi_settings },
	{ 0x42, 0, dec_spi_transfer },
	{ 0x50, 0x10, dec_read_eeprom },
	{ 0x51, 0, proto_decode_write_eeprom },
	{ 0x60, 0x20, dec_set_nvram },
	{ 0x61, 0x10, dec_get_nvram_spi },
	{ 0x61, 0x20, dec_get_nvram_chip },
	{ 0x61, 0x30, dec_get_nvram_usb_key },
	{ 0x61, 0x40, dec_get_nvram_string },
	{ 0x61, 0x50, dec_get_nvram_string_mfr },
	{ 0x70, 0, proto_decode_send_password },
	{ 0x80, 0, proto_decode_request_bus_release },
};

/* A minimal answer that every decoder accepts: the fields a decoder insists on are valid. */
static void valid_answer(mcp2210_report r, size_t i)
{
	answer(r, decoders[i].cmd, 0x00);
	r[2] = decoders[i].sub;
	switch (decoders[i].cmd) {
	case 0x40:
	case 0x41:
		r[4] = 0x60; /* 1 000 000 bit/s = 40 42 0F 00 */
		r[5] = 0xE3;
		r[6] = 0x16;
		break;
	case 0x42:
		r[3] = 0x20;
		break;
	case 0x61:
		if (decoders[i].sub == 0x10)
			r[4] = 0xDC; /* 1500 bit/s */
		else if (decoders[i].sub >= 0x40)
			r[4] = 2, r[5] = 0x03;
		break;
	default:
		break;
	}
}

START_TEST(test_reject_valid_baseline)
{
	mcp2210_report r;

	valid_answer(r, (size_t)_i);
	ck_assert_int_eq(decoders[_i].decode(r), 0);
}
END_TEST

START_TEST(test_reject_wrong_echo)
{
	mcp2210_report r;

	valid_answer(r, (size_t)_i);
	r[0] = decoders[_i].cmd ^ 0x01; /* often another real command: 0x10 <-> 0x11 ... */
	ck_assert_int_eq(decoders[_i].decode(r), -EPROTO);
	r[0] = 0x00;
	ck_assert_int_eq(decoders[_i].decode(r), -EPROTO);
	r[0] = 0xFF;
	ck_assert_int_eq(decoders[_i].decode(r), -EPROTO);
}
END_TEST

START_TEST(test_reject_status)
{
	for (size_t k = 1; k < ARRAY_SIZE(status_cases); k++) {
		mcp2210_report r;

		valid_answer(r, (size_t)_i);
		r[1] = status_cases[k].status;
		ck_assert_int_eq(decoders[_i].decode(r), status_cases[k].err);
		ck_assert_int_eq(proto_check_answer(r, decoders[_i].cmd), status_cases[k].err);
	}
}
END_TEST

START_TEST(test_reject_chip_status_fields)
{
	struct mcp2210_chip_status st = { 0 };
	mcp2210_report r;

	answer(r, 0x10, 0x00);
	r[2] = 0x02; /* bus release byte is 0x00 or 0x01 only */
	ck_assert_int_eq(proto_decode_get_status(r, &st), -EPROTO);
	r[2] = 0xFF;
	ck_assert_int_eq(proto_decode_get_status(r, &st), -EPROTO);
	r[2] = 0x01;
	r[3] = 3; /* bus owner 0..2 */
	ck_assert_int_eq(proto_decode_get_status(r, &st), -EPROTO);
	r[3] = 2;
	r[5] = 2; /* password guessed 0/1 */
	ck_assert_int_eq(proto_decode_get_status(r, &st), -EPROTO);
	r[0] = 0x11;
	ck_assert_int_eq(proto_decode_cancel_spi(r, &st), -EPROTO);
	r[5] = 1;
	ck_assert_int_eq(proto_decode_cancel_spi(r, &st), 0);
}
END_TEST

START_TEST(test_reject_chip_settings_fields)
{
	struct mcp2210_chip_settings cs;
	mcp2210_report r;

	answer(r, 0x20, 0x00);
	r[12] = 0x03; /* a designation byte the datasheet does not name is carried as is (issue 11) */
	ck_assert_int_eq(proto_decode_get_chip_settings(r, &cs), 0);
	ck_assert_uint_eq(cs.pin_function[8], 0x03);
	r[17] = 0x0A; /* interrupt mode 101 */
	ck_assert_int_eq(proto_decode_get_chip_settings(r, &cs), -EPROTO);
	r[17] = 0x0E; /* interrupt mode 111 */
	ck_assert_int_eq(proto_decode_get_chip_settings(r, &cs), -EPROTO);
	r[17] = 0x08;
	r[18] = 0x20; /* access 0x00, 0x40 or 0x80 */
	ck_assert_int_eq(proto_decode_get_chip_settings(r, &cs), -EPROTO);
	r[18] = 0xC0;
	ck_assert_int_eq(proto_decode_get_chip_settings(r, &cs), -EPROTO);
	r[0] = 0x61;
	r[2] = 0x20;
	ck_assert_int_eq(proto_decode_get_nvram_chip(r, &cs), -EPROTO);
	r[18] = 0x40;
	ck_assert_int_eq(proto_decode_get_nvram_chip(r, &cs), 0);
}
END_TEST

START_TEST(test_reject_spi_settings_fields)
{
	struct mcp2210_spi_settings ss;
	mcp2210_report r = { [0] = 0x41, [2] = 0x11, SPI_EXAMPLE_BYTES };

	r[20] = 4; /* mode 0..3 */
	ck_assert_int_eq(proto_decode_get_spi_settings(r, &ss), -EPROTO);
	r[20] = 0;
	r[4] = r[5] = r[6] = r[7] = 0; /* bit rate 0 */
	ck_assert_int_eq(proto_decode_get_spi_settings(r, &ss), -EPROTO);
	r[0] = 0x40;
	ck_assert_int_eq(proto_decode_set_spi_settings(r, &ss), -EPROTO);
	r[0] = 0x61;
	r[2] = 0x10;
	ck_assert_int_eq(proto_decode_get_nvram_spi(r, &ss), -EPROTO);
}
END_TEST

START_TEST(test_reject_spi_transfer_fields)
{
	static const uint8_t bad_engines[] = { 0x00, 0x01, 0x11, 0x40, 0xFF };
	struct mcp2210_spi_chunk rx;
	mcp2210_report r;

	answer(r, 0x42, 0x00);
	r[3] = 0x10;
	r[2] = 61; /* m > 60 */
	ck_assert_int_eq(proto_decode_spi_transfer(r, &rx), -EPROTO);
	r[2] = 0xFF;
	ck_assert_int_eq(proto_decode_spi_transfer(r, &rx), -EPROTO);
	r[2] = 60;
	ck_assert_int_eq(proto_decode_spi_transfer(r, &rx), 0);
	for (size_t i = 0; i < ARRAY_SIZE(bad_engines); i++) {
		r[3] = bad_engines[i];
		ck_assert_int_eq(proto_decode_spi_transfer(r, &rx), -EPROTO);
	}
	/* 0xF8: the engine is busy, retried by the worker. */
	answer(r, 0x42, 0xF8);
	ck_assert_int_eq(proto_decode_spi_transfer(r, &rx), -EAGAIN);
	answer(r, 0x42, 0xF7);
	ck_assert_int_eq(proto_decode_spi_transfer(r, &rx), -EBUSY);
}
END_TEST

START_TEST(test_reject_eeprom_address)
{
	uint8_t v = SENTINEL;
	mcp2210_report r;

	answer(r, 0x50, 0x00);
	r[2] = 0x11;
	r[3] = 0x22;
	ck_assert_int_eq(proto_decode_read_eeprom(r, 0x10, &v), -EPROTO);
	ck_assert_uint_eq(v, SENTINEL);
	ck_assert_int_eq(proto_decode_read_eeprom(r, 0x11, &v), 0);
	ck_assert_uint_eq(v, 0x22);
}
END_TEST

START_TEST(test_reject_nvram_sub_echo)
{
	static const uint8_t subs[] = { 0x10, 0x20, 0x30, 0x40, 0x50 };
	struct mcp2210_spi_settings ss;
	struct mcp2210_chip_settings cs;
	struct mcp2210_usb_key key;
	struct mcp2210_usb_string s;
	mcp2210_report r;

	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		answer(r, 0x60, 0x00);
		r[2] = subs[i];
		for (size_t k = 0; k < ARRAY_SIZE(subs); k++)
			ck_assert_int_eq(proto_decode_set_nvram(r, subs[k]), i == k ? 0 : -EPROTO);
	}
	/* Each 0x61 answer, valid except for the echo. */
	answer(r, 0x61, 0x00);
	r[4] = 0xDC;
	r[5] = 0x05;
	r[2] = 0x20;
	ck_assert_int_eq(proto_decode_get_nvram_spi(r, &ss), -EPROTO);
	r[4] = 0x00;
	r[5] = 0x00;
	r[2] = 0x10;
	ck_assert_int_eq(proto_decode_get_nvram_chip(r, &cs), -EPROTO);
	ck_assert_int_eq(proto_decode_get_nvram_usb_key(r, &key), -EPROTO);
	r[4] = 2;
	r[5] = 0x03;
	r[2] = 0x50;
	ck_assert_int_eq(proto_decode_get_nvram_string(r, 0x40, &s), -EPROTO);
	r[2] = 0x40;
	ck_assert_int_eq(proto_decode_get_nvram_string(r, 0x50, &s), -EPROTO);
	ck_assert_int_eq(proto_decode_get_nvram_string(r, 0x40, &s), 0);
	/* Not a string sub at all: a caller bug. */
	ck_assert_int_eq(proto_decode_get_nvram_string(r, 0x30, &s), -EINVAL);
}
END_TEST

START_TEST(test_reject_string_bytes)
{
	static const uint8_t bad_len[] = { 0, 1, 3, 7, 59, 61, 62, 64, 0xFF };
	struct mcp2210_usb_string s;
	mcp2210_report r;

	answer(r, 0x61, 0x00);
	r[2] = 0x40;
	r[5] = 0x03;
	for (size_t i = 0; i < ARRAY_SIZE(bad_len); i++) {
		r[4] = bad_len[i];
		ck_assert_int_eq(proto_decode_get_nvram_string(r, 0x40, &s), -EPROTO);
		/* The device side refuses the same in a 0x60 request. */
		r[0] = 0x60;
		r[1] = 0x40;
		ck_assert_int_eq(proto_parse_set_nvram_string(r, &s), -EINVAL);
		r[0] = 0x61;
		r[1] = 0x00;
	}
	r[4] = 4;
	r[5] = 0x02; /* not a string descriptor */
	ck_assert_int_eq(proto_decode_get_nvram_string(r, 0x40, &s), -EPROTO);
	r[5] = 0x00;
	ck_assert_int_eq(proto_decode_get_nvram_string(r, 0x40, &s), -EPROTO);
	r[5] = 0x03;
	ck_assert_int_eq(proto_decode_get_nvram_string(r, 0x40, &s), 0);
	ck_assert_uint_eq(s.len, 1);
}
END_TEST

START_TEST(test_reject_encode_chip_settings)
{
	struct mcp2210_chip_settings bad[5];
	mcp2210_report req;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		bad[i] = chip_example;
	bad[0].irq_mode = 5;
	bad[1].access = 0x20;
	bad[2].access = 0xC0;
	bad[3].gpio_value = 0x200;
	bad[4].gpio_direction = 0xFFFF;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		ck_assert_int_eq(proto_chip_settings_check(&bad[i]), -EINVAL);
		ck_assert_int_eq(proto_encode_set_chip_settings(req, &bad[i]), -EINVAL);
		ck_assert_uint_eq(req[0], 0); /* not a command the chip would take */
		ck_assert_int_eq(proto_encode_set_nvram_chip(req, &bad[i]), -EINVAL);
		ck_assert_uint_eq(req[0], 0);
	}
	ck_assert_int_eq(proto_chip_settings_check(&chip_example), 0);
}
END_TEST

START_TEST(test_reject_encode_spi_settings)
{
	struct mcp2210_spi_settings bad[4], ok = spi_example;
	mcp2210_report req;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		bad[i] = spi_example;
	bad[0].bitrate = 12000001;
	bad[1].mode = 4;
	bad[2].bytes_per_transaction = 0;
	bad[3].bitrate = 0;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		ck_assert_int_eq(proto_spi_settings_check(&bad[i]), -EINVAL);
		ck_assert_int_eq(proto_encode_set_spi_settings(req, &bad[i]), -EINVAL);
		ck_assert_uint_eq(req[0], 0);
		ck_assert_int_eq(proto_encode_set_nvram_spi(req, &bad[i]), -EINVAL);
		ck_assert_uint_eq(req[0], 0);
	}
	/* What a chip may answer can be written back: a rounded rate below the 1500 bit/s users
	 * may ask for, bits 9..15 of the chip-select fields. */
	ok.bitrate = 1464;
	ok.cs_idle = 0xFFFF;
	ok.cs_active = 0x200;
	ck_assert_int_eq(proto_encode_set_spi_settings(req, &ok), 0);
	ck_assert_uint_eq(req[9], 0xFF);
	ck_assert_uint_eq(req[11], 0x02);
	/* The limits themselves are fine. */
	ok.bitrate = 1500;
	ok.bytes_per_transaction = 1;
	ck_assert_int_eq(proto_encode_set_spi_settings(req, &ok), 0);
	ok.bitrate = 12000000;
	ok.bytes_per_transaction = 65535;
	ck_assert_int_eq(proto_encode_set_spi_settings(req, &ok), 0);
}
END_TEST

START_TEST(test_reject_encode_others)
{
	static const uint8_t bad_subs[] = { 0x00, 0x11, 0x21, 0x60, 0xFF };
	static const uint8_t bad_power[] = { 0x00, 0xC0, 0xE0, 0x20, 0x90, 0x81, 0x48, 0xA1 };
	static const uint8_t ok_power[] = { 0x80, 0x40, 0xA0, 0x60 };
	struct mcp2210_usb_string s = { .len = 30 };
	struct mcp2210_usb_key key = key_factory;
	uint8_t data[61] = { 0 };
	mcp2210_report req;

	ck_assert_int_eq(proto_encode_spi_transfer(req, data, 61), -EINVAL);
	ck_assert_uint_eq(req[0], 0);
	ck_assert_int_eq(proto_encode_spi_transfer(req, data, 60), 0);
	ck_assert_int_eq(proto_encode_set_nvram_string(req, 0x40, &s), -EINVAL);
	s.len = 29;
	ck_assert_int_eq(proto_encode_set_nvram_string(req, 0x40, &s), 0);
	ck_assert_int_eq(proto_encode_set_nvram_string(req, 0x30, &s), -EINVAL);
	ck_assert_int_eq(proto_encode_set_nvram_string(req, 0x10, &s), -EINVAL);
	for (size_t i = 0; i < ARRAY_SIZE(bad_subs); i++) {
		ck_assert_int_eq(proto_encode_get_nvram(req, bad_subs[i]), -EINVAL);
		ck_assert_uint_eq(req[0], 0);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad_power); i++) {
		key.power = bad_power[i];
		ck_assert_int_eq(proto_encode_set_nvram_usb_key(req, &key), -EINVAL);
		ck_assert_uint_eq(req[0], 0);
	}
	for (size_t i = 0; i < ARRAY_SIZE(ok_power); i++) {
		key.power = ok_power[i];
		ck_assert_int_eq(proto_encode_set_nvram_usb_key(req, &key), 0);
	}
}
END_TEST

START_TEST(test_reject_parse)
{
	struct mcp2210_chip_settings cs;
	struct mcp2210_spi_settings ss;
	struct mcp2210_spi_chunk chunk;
	struct mcp2210_usb_key key;
	struct mcp2210_usb_string s;
	uint16_t v;
	uint8_t sub, addr, value;
	bool b;
	char pw[MCP2210_PASSWORD_LEN];
	mcp2210_report r = { [0] = 0x42, [1] = 61 };

	/* 0x42 with n > 60 */
	ck_assert_int_eq(proto_parse_spi_transfer(r, &chunk), -EINVAL);
	r[1] = 0xFF;
	ck_assert_int_eq(proto_parse_spi_transfer(r, &chunk), -EINVAL);
	/* settings out of range */
	memset(r, 0, sizeof(r));
	r[0] = 0x21;
	r[4] = 3; /* any designation byte is taken (issue 11, item 10) */
	ck_assert_int_eq(proto_parse_set_chip_settings(r, &cs), 0);
	r[4] = 0;
	r[17] = 0x0C; /* interrupt mode 110 */
	ck_assert_int_eq(proto_parse_set_chip_settings(r, &cs), -EINVAL);
	r[0] = 0x60;
	r[1] = 0x20;
	r[17] = 0;
	r[18] = 0x41;
	ck_assert_int_eq(proto_parse_set_nvram_chip(r, &cs), -EINVAL);
	r[18] = 0x80;
	ck_assert_int_eq(proto_parse_set_nvram_chip(r, &cs), 0);
	/* SPI settings: the chip has no answer for a bad value (p. 37, p. 16), so the parser
	 * hands over every value as sent and the emulator decides what the chip keeps. */
	memset(r, 0, sizeof(r));
	r[0] = 0x40;
	r[4] = 0xE8; /* 1000 bit/s */
	r[5] = 0x03;
	r[8] = 0xFF; /* idle CS ff ff */
	r[9] = 0xFF;
	r[20] = 4;
	ck_assert_int_eq(proto_parse_set_spi_settings(r, &ss), 0);
	ck_assert_uint_eq(ss.bitrate, 1000);
	ck_assert_uint_eq(ss.cs_idle, 0xFFFF);
	ck_assert_uint_eq(ss.bytes_per_transaction, 0);
	ck_assert_uint_eq(ss.mode, 4);
	r[0] = 0x60;
	r[1] = 0x10;
	ck_assert_int_eq(proto_parse_set_nvram_spi(r, &ss), 0);
	ck_assert_uint_eq(ss.cs_idle, 0xFFFF);
	/* bad power option */
	memset(r, 0, sizeof(r));
	r[0] = 0x60;
	r[1] = 0x30;
	r[8] = 0xC0;
	ck_assert_int_eq(proto_parse_set_nvram_usb_key(r, &key), -EINVAL);
	/* bad sub */
	r[0] = 0x61;
	r[1] = 0x31;
	ck_assert_int_eq(proto_parse_nvram_sub(r, &sub), -EINVAL);
	r[0] = 0x60;
	r[1] = 0x00;
	ck_assert_int_eq(proto_parse_nvram_sub(r, &sub), -EINVAL);
	r[1] = 0x30;
	r[4] = 2;
	r[5] = 0x03;
	ck_assert_int_eq(proto_parse_set_nvram_string(r, &s), -EINVAL);
	r[1] = 0x50;
	ck_assert_int_eq(proto_parse_set_nvram_string(r, &s), 0);
	/* a report of another command */
	memset(r, 0, sizeof(r));
	r[0] = 0x10;
	ck_assert_int_eq(proto_parse_get_gp6_count(r, &b), -EINVAL);
	ck_assert_int_eq(proto_parse_set_gpio_values(r, &v), -EINVAL);
	ck_assert_int_eq(proto_parse_set_gpio_directions(r, &v), -EINVAL);
	ck_assert_int_eq(proto_parse_read_eeprom(r, &addr), -EINVAL);
	ck_assert_int_eq(proto_parse_write_eeprom(r, &addr, &value), -EINVAL);
	ck_assert_int_eq(proto_parse_send_password(r, pw), -EINVAL);
	ck_assert_int_eq(proto_parse_request_bus_release(r, &b), -EINVAL);
	ck_assert_int_eq(proto_parse_nvram_sub(r, &sub), -EINVAL);
	r[0] = 0x61; /* a get, not a set */
	r[1] = 0x10;
	ck_assert_int_eq(proto_parse_set_nvram_spi(r, &ss), -EINVAL);
}
END_TEST

START_TEST(test_parse_pins_masked)
{
	const mcp2210_report values = { [0] = 0x30, [4] = 0xFF, [5] = 0xFF };
	const mcp2210_report chip = { [0] = 0x21, [13] = 0xFF, [14] = 0xFF, [15] = 0x00,
				      [16] = 0xFE };
	struct mcp2210_chip_settings cs;
	uint16_t v = 0;

	/* Bits 9..15 have no pin: a host sending them back as read is not refused. */
	ck_assert_int_eq(proto_parse_set_gpio_values(values, &v), 0);
	ck_assert_uint_eq(v, 0x1FF);
	ck_assert_int_eq(proto_parse_set_chip_settings(chip, &cs), 0);
	ck_assert_uint_eq(cs.gpio_value, 0x1FF);
	ck_assert_uint_eq(cs.gpio_direction, 0x000);
}
END_TEST

static Suite *suite_reject(void)
{
	Suite *s = suite_create("reject");
	TCase *tc_all = tcase_create("every decoder");
	TCase *tc = tcase_create("fields");
	int n = (int)ARRAY_SIZE(decoders);

	tcase_add_loop_test(tc_all, test_reject_valid_baseline, 0, n);
	tcase_add_loop_test(tc_all, test_reject_wrong_echo, 0, n);
	tcase_add_loop_test(tc_all, test_reject_status, 0, n);
	suite_add_tcase(s, tc_all);
	tcase_add_test(tc, test_reject_chip_status_fields);
	tcase_add_test(tc, test_reject_chip_settings_fields);
	tcase_add_test(tc, test_reject_spi_settings_fields);
	tcase_add_test(tc, test_reject_spi_transfer_fields);
	tcase_add_test(tc, test_reject_eeprom_address);
	tcase_add_test(tc, test_reject_nvram_sub_echo);
	tcase_add_test(tc, test_reject_string_bytes);
	tcase_add_test(tc, test_reject_encode_chip_settings);
	tcase_add_test(tc, test_reject_encode_spi_settings);
	tcase_add_test(tc, test_reject_encode_others);
	tcase_add_test(tc, test_reject_parse);
	tcase_add_test(tc, test_parse_pins_masked);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- UTF-8 <-> UTF-16 ------------------------------------------------------------------ */

START_TEST(test_utf8_ascii_and_bmp)
{
	struct mcp2210_usb_string s;

	ck_assert_int_eq(proto_usb_string_from_utf8(&s, ""), 0);
	ck_assert_uint_eq(s.len, 0);
	/* "aé€": 61 / C3 A9 / E2 82 AC */
	ck_assert_int_eq(proto_usb_string_from_utf8(&s, "a\xc3\xa9\xe2\x82\xac"), 0);
	ck_assert_uint_eq(s.len, 3);
	ck_assert_uint_eq(s.units[0], 0x0061);
	ck_assert_uint_eq(s.units[1], 0x00E9);
	ck_assert_uint_eq(s.units[2], 0x20AC);
	/* U+0080, U+07FF, U+0800, U+FFFF: the edges of each form */
	ck_assert_int_eq(proto_usb_string_from_utf8(&s, "\xc2\x80\xdf\xbf"
							    "\xe0\xa0\x80\xef\xbf\xbf"), 0);
	ck_assert_uint_eq(s.len, 4);
	ck_assert_uint_eq(s.units[0], 0x0080);
	ck_assert_uint_eq(s.units[1], 0x07FF);
	ck_assert_uint_eq(s.units[2], 0x0800);
	ck_assert_uint_eq(s.units[3], 0xFFFF);
}
END_TEST

START_TEST(test_utf8_non_bmp)
{
	struct mcp2210_usb_string s;
	char buf[16];

	/* U+1F600 = F0 9F 98 80 = D83D DE00 */
	ck_assert_int_eq(proto_usb_string_from_utf8(&s, "\xf0\x9f\x98\x80"), 0);
	ck_assert_uint_eq(s.len, 2);
	ck_assert_uint_eq(s.units[0], 0xD83D);
	ck_assert_uint_eq(s.units[1], 0xDE00);
	/* U+10000 = D800 DC00, U+10FFFF = DBFF DFFF */
	ck_assert_int_eq(proto_usb_string_from_utf8(&s, "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"), 0);
	ck_assert_uint_eq(s.len, 4);
	ck_assert_uint_eq(s.units[0], 0xD800);
	ck_assert_uint_eq(s.units[1], 0xDC00);
	ck_assert_uint_eq(s.units[2], 0xDBFF);
	ck_assert_uint_eq(s.units[3], 0xDFFF);
	ck_assert_int_eq(proto_usb_string_to_utf8(&s, buf, sizeof(buf)), 8);
	ck_assert_str_eq(buf, "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");
	s = (struct mcp2210_usb_string){ .len = 3, .units = { 0xD83D, 0xDE00, 'x' } };
	ck_assert_int_eq(proto_usb_string_to_utf8(&s, buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "\xf0\x9f\x98\x80x");
}
END_TEST

START_TEST(test_utf8_length_limit)
{
	char text[200];
	struct mcp2210_usb_string s;

	memset(text, 'a', 29);
	text[29] = '\0';
	ck_assert_int_eq(proto_usb_string_from_utf8(&s, text), 0);
	ck_assert_uint_eq(s.len, 29);
	text[29] = 'a';
	text[30] = '\0';
	s.len = 7;
	ck_assert_int_eq(proto_usb_string_from_utf8(&s, text), -EINVAL);
	ck_assert_uint_eq(s.len, 7); /* untouched */
	/* 14 non-BMP characters = 28 units, plus one = 29; one more non-BMP = 30. */
	text[0] = '\0';
	for (int i = 0; i < 14; i++)
		strcat(text, "\xf0\x9f\x98\x80");
	strcat(text, "z");
	ck_assert_int_eq(proto_usb_string_from_utf8(&s, text), 0);
	ck_assert_uint_eq(s.len, 29);
	text[strlen(text) - 1] = '\0';
	strcat(text, "\xf0\x9f\x98\x80");
	ck_assert_int_eq(proto_usb_string_from_utf8(&s, text), -EINVAL);
	/* A surrogate pair is not split at the limit: 28 units + a pair = 30. */
	memset(text, 'a', 28);
	strcpy(&text[28], "\xf0\x9f\x98\x80");
	ck_assert_int_eq(proto_usb_string_from_utf8(&s, text), -EINVAL);
}
END_TEST

static const char *const malformed[] = {
	"\x80",                 /* lone continuation byte */
	"a\xbf",                /* continuation after ASCII */
	"\xc0\x80",             /* overlong NUL */
	"\xc1\xbf",             /* overlong U+007F */
	"\xe0\x80\xaf",         /* overlong '/' in three bytes */
	"\xe0\x9f\xbf",         /* overlong U+07FF */
	"\xf0\x80\x80\xaf",     /* overlong '/' in four bytes */
	"\xf0\x8f\xbf\xbf",     /* overlong U+FFFF */
	"\xed\xa0\x80",         /* U+D800, a lone high surrogate */
	"\xed\xbf\xbf",         /* U+DFFF, a lone low surrogate */
	"\xed\xa0\xbd\xed\xb8\x80", /* CESU-8 surrogate pair */
	"\xf4\x90\x80\x80",     /* U+110000 */
	"\xf5\x80\x80\x80",     /* lead byte beyond U+10FFFF */
	"\xf8\x88\x80\x80\x80", /* five-byte form */
	"\xfe",
	"\xff",
	"\xe2\x82",             /* truncated at the end */
	"\xe2\x28\xa1",         /* bad second byte */
	"\xe2\x82\x28",         /* bad third byte */
	"\xf0\x9f\x98",         /* truncated four-byte form */
	"ok\xc3",               /* truncated after good text */
};

START_TEST(test_utf8_malformed)
{
	struct mcp2210_usb_string s = { .len = 1, .units = { 0x1234 } };

	ck_assert_int_eq(proto_usb_string_from_utf8(&s, malformed[_i]), -EINVAL);
	ck_assert_uint_eq(s.len, 1);
	ck_assert_uint_eq(s.units[0], 0x1234);
}
END_TEST

START_TEST(test_utf16_lone_surrogates)
{
	static const struct mcp2210_usb_string bad[] = {
		{ .len = 1, .units = { 0xD800 } },              /* high at the end */
		{ .len = 2, .units = { 0xD83D, 'a' } },          /* high, then not low */
		{ .len = 2, .units = { 0xD83D, 0xD83D } },       /* high, high */
		{ .len = 1, .units = { 0xDC00 } },              /* lone low */
		{ .len = 2, .units = { 'a', 0xDFFF } },          /* low after BMP */
		{ .len = 3, .units = { 0xDE00, 0xD83D, 'x' } },  /* pair in the wrong order */
		{ .len = 2, .units = { 'a', 0x0000 } },          /* NUL: not in a C string */
		{ .len = 30 },                                  /* too long */
	};
	char buf[64];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(buf, 'Q', sizeof(buf));
		ck_assert_int_eq(proto_usb_string_to_utf8(&bad[i], buf, sizeof(buf)), -EINVAL);
		ck_assert_int_eq(buf[0], 'Q'); /* untouched */
	}
}
END_TEST

START_TEST(test_utf16_buffer_size)
{
	const struct mcp2210_usb_string s = { .len = 3, .units = { 'a', 0x00E9, 0x20AC } };
	const struct mcp2210_usb_string empty = { .len = 0 };
	char buf[8];

	/* "aé€" is 1 + 2 + 3 = 6 bytes and needs 7 with the NUL. */
	ck_assert_int_eq(proto_usb_string_to_utf8(&s, buf, 7), 6);
	ck_assert_str_eq(buf, "a\xc3\xa9\xe2\x82\xac");
	memset(buf, 'Q', sizeof(buf));
	ck_assert_int_eq(proto_usb_string_to_utf8(&s, buf, 6), -ENOSPC);
	ck_assert_int_eq(buf[0], 'Q');
	ck_assert_int_eq(proto_usb_string_to_utf8(&empty, buf, 1), 0);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(proto_usb_string_to_utf8(&empty, buf, 0), -ENOSPC);
}
END_TEST

START_TEST(test_utf8_max_output)
{
	/* 29 units of U+FFFF: 87 bytes, the longest a USB string can become. */
	struct mcp2210_usb_string s = { .len = 29 };
	char buf[88];

	for (size_t i = 0; i < 29; i++)
		s.units[i] = 0xFFFF;
	ck_assert_int_eq(proto_usb_string_to_utf8(&s, buf, sizeof(buf)), 87);
	ck_assert_int_eq(proto_usb_string_to_utf8(&s, buf, 87), -ENOSPC);
}
END_TEST

static Suite *suite_utf8(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("conversions");

	tcase_add_test(tc, test_utf8_ascii_and_bmp);
	tcase_add_test(tc, test_utf8_non_bmp);
	tcase_add_test(tc, test_utf8_length_limit);
	tcase_add_loop_test(tc, test_utf8_malformed, 0, (int)ARRAY_SIZE(malformed));
	tcase_add_test(tc, test_utf16_lone_surrogates);
	tcase_add_test(tc, test_utf16_buffer_size);
	tcase_add_test(tc, test_utf8_max_output);
	suite_add_tcase(s, tc);
	return s;
}

/* ---- equality: what decides whether a write is needed ------------------------------------ */

/* Settings that hold the same values are equal whatever lies in padding, a password (never
 * answered by the chip) or string units past len: no false difference costs a flash write. */
START_TEST(test_equal_same_values)
{
	struct mcp2210_chip_settings c1, c2;
	struct mcp2210_spi_settings s1, s2;
	struct mcp2210_usb_string u1, u2;
	struct mcp2210_usb_key k1 = key_other, k2 = key_other;

	memset(&c1, 0x00, sizeof(c1));
	memset(&c2, 0xFF, sizeof(c2));
	c1.gpio_value = c2.gpio_value = chip_example.gpio_value;
	c1.gpio_direction = c2.gpio_direction = chip_example.gpio_direction;
	memcpy(c1.pin_function, chip_example.pin_function, sizeof(c1.pin_function));
	memcpy(c2.pin_function, chip_example.pin_function, sizeof(c2.pin_function));
	c1.remote_wakeup = c2.remote_wakeup = true;
	c1.irq_mode = c2.irq_mode = MCP2210_IRQ_RISING;
	c1.spi_bus_hold = c2.spi_bus_hold = false;
	c1.access = c2.access = MCP2210_ACCESS_PASSWORD;
	ck_assert(memcmp(&c1, &c2, sizeof(c1)) != 0);
	ck_assert(proto_chip_settings_equal(&c1, &c2));
	memset(&s1, 0x00, sizeof(s1));
	memset(&s2, 0xFF, sizeof(s2));
	s1.bitrate = s2.bitrate = spi_example.bitrate;
	s1.cs_idle = s2.cs_idle = spi_example.cs_idle;
	s1.cs_active = s2.cs_active = spi_example.cs_active;
	s1.delay_cs_to_data = s2.delay_cs_to_data = spi_example.delay_cs_to_data;
	s1.delay_data_to_cs = s2.delay_data_to_cs = spi_example.delay_data_to_cs;
	s1.delay_between_bytes = s2.delay_between_bytes = spi_example.delay_between_bytes;
	s1.bytes_per_transaction = s2.bytes_per_transaction = spi_example.bytes_per_transaction;
	s1.mode = s2.mode = spi_example.mode;
	ck_assert(proto_spi_settings_equal(&s1, &s2));
	ck_assert(proto_usb_key_equal(&k1, &k2));
	memset(&u1, 0x00, sizeof(u1));
	memset(&u2, 0xFF, sizeof(u2));
	ck_assert_int_eq(proto_usb_string_from_utf8(&u1, "Bridge"), 0);
	ck_assert_int_eq(proto_usb_string_from_utf8(&u2, "Bridge"), 0);
	u2.units[u2.len] = 'x'; /* past the string */
	ck_assert(proto_usb_string_equal(&u1, &u2));
}
END_TEST

/* Any one value that differs makes the structures differ. */
START_TEST(test_equal_each_field)
{
	struct mcp2210_chip_settings c[8];
	struct mcp2210_spi_settings sp[8];
	struct mcp2210_usb_key k[4];
	struct mcp2210_usb_string a, b;

	for (size_t i = 0; i < ARRAY_SIZE(c); i++)
		c[i] = chip_example;
	c[0].pin_function[8] ^= 1;
	c[1].gpio_value ^= 0x100;
	c[2].gpio_direction ^= 1;
	c[3].remote_wakeup = !c[3].remote_wakeup;
	c[4].irq_mode = MCP2210_IRQ_OFF;
	c[5].spi_bus_hold = !c[5].spi_bus_hold;
	c[6].access = MCP2210_ACCESS_NONE;
	c[7].password[0] ^= 1; /* not a value the chip answers */
	for (size_t i = 0; i < 7; i++)
		ck_assert_msg(!proto_chip_settings_equal(&c[i], &chip_example), "chip field %zu", i);
	ck_assert(proto_chip_settings_equal(&c[7], &chip_example));
	for (size_t i = 0; i < ARRAY_SIZE(sp); i++)
		sp[i] = spi_example;
	sp[0].bitrate--;
	sp[1].cs_idle ^= 0x8000;
	sp[2].cs_active ^= 1;
	sp[3].delay_cs_to_data++;
	sp[4].delay_data_to_cs++;
	sp[5].delay_between_bytes++;
	sp[6].bytes_per_transaction++;
	sp[7].mode = 0;
	for (size_t i = 0; i < ARRAY_SIZE(sp); i++)
		ck_assert_msg(!proto_spi_settings_equal(&sp[i], &spi_example), "spi field %zu", i);
	for (size_t i = 0; i < ARRAY_SIZE(k); i++)
		k[i] = key_other;
	k[0].vid ^= 1;
	k[1].pid ^= 1;
	k[2].power = MCP2210_POWER_SELF;
	k[3].current_2ma--;
	for (size_t i = 0; i < ARRAY_SIZE(k); i++)
		ck_assert_msg(!proto_usb_key_equal(&k[i], &key_other), "key field %zu", i);
	ck_assert_int_eq(proto_usb_string_from_utf8(&a, "Bridge"), 0);
	ck_assert_int_eq(proto_usb_string_from_utf8(&b, "Bridgf"), 0);
	ck_assert(!proto_usb_string_equal(&a, &b));
	ck_assert_int_eq(proto_usb_string_from_utf8(&b, "Bridge2"), 0);
	ck_assert(!proto_usb_string_equal(&a, &b));
	b.len = a.len; /* "Bridge" again, with a unit past len left over */
	ck_assert(proto_usb_string_equal(&a, &b));
}
END_TEST

static Suite *suite_equal(void)
{
	Suite *s = suite_create("equal");
	TCase *tc = tcase_create("fields");

	tcase_add_test(tc, test_equal_same_values);
	tcase_add_test(tc, test_equal_each_field);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(suite_status, suite_encode, suite_answer, suite_decode, suite_roundtrip, suite_reject, suite_utf8,
	   suite_equal)
