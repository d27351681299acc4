/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the codec (src/proto*.c): the first 64 input bytes (zero padded) are
 * handed to every answer decoder, every request parser and, read as field values, to every
 * encoder; the whole input and the report also go through the UTF-8/UTF-16 converters.
 * Each result is compared with an independent reading of doc/protocol.md, and
 * whatever decodes is re-encoded by the other side and must decode to the same values.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proto/proto.h"

#define SENTINEL 0x5A

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- independent references ------------------------------------------------------------ */

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The sheet's status table, written out again rather than taken from proto_status.c. */
static int ref_status_errno(uint8_t status)
{
	switch (status) {
	case 0x00: return 0;
	case 0xF7: return -EBUSY;
	case 0xF8: return -EAGAIN;
	case 0xF9: return -EIO;
	case 0xFA: return -EIO;
	case 0xFB: case 0xFD: return -EACCES;
	case 0xFC: return -EPERM; /* 0x70 only: permanently locked (p. 32) */
	default: return -EPROTO;
	}
}

/* What proto_check_answer() must give: -EPROTO for a wrong echo, else the status's errno. */
static int ref_check(const mcp2210_report r, uint8_t cmd)
{
	return r[0] != cmd ? -EPROTO : ref_status_errno(r[1]);
}

/* Every value an answer decoder may return. */
static bool decoder_ret_known(int ret)
{
	return ret == 0 || ret == -EPROTO || ret == -EBUSY || ret == -EAGAIN || ret == -EIO || ret == -EACCES ||
	       ret == -EPERM;
}

/* A decoder's result given the echo/status check and whether the payload is well formed. */
static void check_decoded(int ret, int base, bool payload_ok)
{
	FUZZ_CHECK(decoder_ret_known(ret));
	if (base < 0)
		FUZZ_CHECK(ret == base);
	else
		FUZZ_CHECK(ret == (payload_ok ? 0 : -EPROTO));
}

/* Request parsers answer 0 or -EINVAL, nothing else. */
static void check_parsed(int ret, bool ok)
{
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	FUZZ_CHECK(ret == (ok ? 0 : -EINVAL));
}

static bool ref_access_ok(uint8_t a) { return a == 0x00 || a == 0x40 || a == 0x80; }

/* Chip settings bytes 4..18 as an answer or a 0x60/0x20 request carries them. Every
 * designation byte (4..12) is valid: a chip keeps whatever byte it is sent. */
static bool ref_chip_bytes_ok(const mcp2210_report r, bool with_access)
{
	return ((r[17] >> 1) & 7) <= 4 && (!with_access || ref_access_ok(r[18]));
}

/* What the encoders send: any 16-bit chip-select fields, a rate a chip may have answered. */
static bool ref_spi_valid(uint32_t rate, uint16_t bytes, uint8_t mode)
{
	return rate != 0 && rate <= 12000000 && bytes != 0 && mode <= 3;
}

static bool ref_spi_bytes_plausible(const mcp2210_report r) { return le32(&r[4]) != 0 && r[20] <= 3; }

static bool ref_string_bytes_ok(const mcp2210_report r)
{
	return r[4] >= 2 && r[4] % 2 == 0 && r[4] <= 2 * MCP2210_STRING_MAX_UNITS + 2 && r[5] == 0x03;
}

static bool ref_power_ok(uint8_t p)
{
	return (p & ~0xE0u) == 0 && ((p & 0xC0) == 0x80 || (p & 0xC0) == 0x40);
}

static bool is_string_sub(unsigned sub) { return sub == 0x40 || sub == 0x50; }
static bool is_nvram_sub(unsigned sub) { return sub == 0x10 || sub == 0x20 || sub == 0x30 || is_string_sub(sub); }

/* Strict UTF-8 per Unicode table 3-7. Returns the UTF-16 units of s (NUL-terminated) or -1. */
static int ref_utf8_units(const uint8_t *s)
{
	int units = 0;

	while (*s) {
		uint8_t c = s[0];
		uint8_t lo = 0x80, hi = 0xBF;
		int n;

		if (c < 0x80) {
			n = 0;
		} else if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			if (c == 0xE0)
				lo = 0xA0;
			else if (c == 0xED)
				hi = 0x9F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			if (c == 0xF0)
				lo = 0x90;
			else if (c == 0xF4)
				hi = 0x8F;
		} else {
			return -1;
		}
		for (int i = 1; i <= n; i++) {
			uint8_t min = i == 1 ? lo : 0x80, max = i == 1 ? hi : 0xBF;

			if (s[i] < min || s[i] > max)
				return -1;
		}
		units += n == 3 ? 2 : 1;
		s += 1 + n;
	}
	return units;
}

/* UTF-8 bytes the units need (excluding the NUL), or -1 for a lone surrogate or U+0000. */
static int ref_utf16_bytes(const struct mcp2210_usb_string *s)
{
	int need = 0;

	for (unsigned i = 0; i < s->len; i++) {
		uint16_t u = s->units[i];

		if (u >= 0xD800 && u <= 0xDBFF) {
			if (i + 1 >= s->len || s->units[i + 1] < 0xDC00 || s->units[i + 1] > 0xDFFF)
				return -1;
			need += 4;
			i++;
		} else if ((u >= 0xDC00 && u <= 0xDFFF) || u == 0) {
			return -1;
		} else {
			need += u < 0x80 ? 1 : u < 0x800 ? 2 : 3;
		}
	}
	return need;
}

/* ---- structure comparison (field by field: struct copies need not copy padding) -------- */

static bool chip_equal(const struct mcp2210_chip_settings *a, const struct mcp2210_chip_settings *b,
		       bool with_access, bool with_password)
{
	if (memcmp(a->pin_function, b->pin_function, sizeof(a->pin_function)) != 0)
		return false;
	if (a->gpio_value != b->gpio_value || a->gpio_direction != b->gpio_direction ||
	    a->remote_wakeup != b->remote_wakeup || a->irq_mode != b->irq_mode || a->spi_bus_hold != b->spi_bus_hold)
		return false;
	if (with_access && a->access != b->access)
		return false;
	return !with_password || memcmp(a->password, b->password, sizeof(a->password)) == 0;
}

static bool spi_equal(const struct mcp2210_spi_settings *a, const struct mcp2210_spi_settings *b)
{
	return a->bitrate == b->bitrate && a->cs_idle == b->cs_idle && a->cs_active == b->cs_active &&
	       a->delay_cs_to_data == b->delay_cs_to_data && a->delay_data_to_cs == b->delay_data_to_cs &&
	       a->delay_between_bytes == b->delay_between_bytes &&
	       a->bytes_per_transaction == b->bytes_per_transaction && a->mode == b->mode;
}

static bool key_equal(const struct mcp2210_usb_key *a, const struct mcp2210_usb_key *b)
{
	return a->vid == b->vid && a->pid == b->pid && a->power == b->power && a->current_2ma == b->current_2ma;
}

static bool string_equal(const struct mcp2210_usb_string *a, const struct mcp2210_usb_string *b)
{
	return a->len == b->len && memcmp(a->units, b->units, a->len * sizeof(a->units[0])) == 0;
}

static bool status_equal(const struct mcp2210_chip_status *a, const struct mcp2210_chip_status *b)
{
	return a->bus_release_pending == b->bus_release_pending && a->bus_owner == b->bus_owner &&
	       a->password_attempts == b->password_attempts && a->password_guessed == b->password_guessed;
}

/* Decoders write their outputs only on success: fill them with a pattern first. */
static void fill(void *p, size_t n) { memset(p, SENTINEL, n); }

static bool untouched(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != SENTINEL)
			return false;
	return true;
}

/* ---- answer decoders -------------------------------------------------------------------- */

/* Sub-command and address arguments worth trying on a report: every valid sub-command, the
 * bytes where the report could echo one, and the ends of the range. */
static size_t arguments(const mcp2210_report r, uint8_t *args)
{
	static const uint8_t fixed[] = { 0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0xFF };
	size_t n = 0;

	memcpy(args, fixed, sizeof(fixed));
	n = sizeof(fixed);
	args[n++] = r[1];
	args[n++] = r[2];
	args[n++] = (uint8_t)(r[2] + 1);
	args[n++] = (uint8_t)(r[2] - 1);
	args[n++] = r[3];
	return n;
}
#define MAX_ARGUMENTS 13

static void fuzz_chip_status(const mcp2210_report r, uint8_t cmd)
{
	int (*decode)(const mcp2210_report, struct mcp2210_chip_status *) =
		cmd == MCP2210_CMD_GET_STATUS ? proto_decode_get_status : proto_decode_cancel_spi;
	struct mcp2210_chip_status st, st2;
	mcp2210_report again;
	int ret;

	fill(&st, sizeof(st));
	ret = decode(r, &st);
	check_decoded(ret, ref_check(r, cmd), r[2] <= 1 && r[3] <= 2 && r[5] <= 1);
	if (ret < 0) {
		FUZZ_CHECK(untouched(&st, sizeof(st)));
		return;
	}
	proto_answer_chip_status(again, cmd, &st);
	FUZZ_CHECK(memcmp(again, r, 6) == 0);
	FUZZ_CHECK(decode(again, &st2) == 0 && status_equal(&st, &st2));
}

static void fuzz_gp6_count(const mcp2210_report r)
{
	uint16_t count = 0x5A5A, count2;
	mcp2210_report again;
	int ret = proto_decode_get_gp6_count(r, &count);

	check_decoded(ret, ref_check(r, MCP2210_CMD_GET_GP6_COUNT), true);
	if (ret < 0) {
		FUZZ_CHECK(count == 0x5A5A);
		return;
	}
	FUZZ_CHECK(count == le16(&r[4]));
	proto_answer_gp6_count(again, count);
	FUZZ_CHECK(proto_decode_get_gp6_count(again, &count2) == 0 && count2 == count);
}

/* 0x20 and 0x61/0x20 answers. */
static void fuzz_chip_settings(const mcp2210_report r, bool nvram)
{
	struct mcp2210_chip_settings cs, cs2;
	mcp2210_report again;
	int base, ret;

	fill(&cs, sizeof(cs));
	if (nvram) {
		base = ref_check(r, MCP2210_CMD_GET_NVRAM);
		if (base == 0 && r[2] != MCP2210_NVRAM_CHIP)
			base = -EPROTO;
		ret = proto_decode_get_nvram_chip(r, &cs);
	} else {
		base = ref_check(r, MCP2210_CMD_GET_CHIP_SETTINGS);
		ret = proto_decode_get_chip_settings(r, &cs);
	}
	check_decoded(ret, base, ref_chip_bytes_ok(r, true));
	if (ret < 0) {
		FUZZ_CHECK(untouched(&cs, sizeof(cs)));
		return;
	}
	FUZZ_CHECK(proto_chip_settings_check(&cs) == 0);
	/* The password is never part of an answer. */
	for (unsigned i = 0; i < MCP2210_PASSWORD_LEN; i++)
		FUZZ_CHECK(cs.password[i] == 0);
	if (nvram)
		proto_answer_nvram_chip(again, &cs);
	else
		proto_answer_chip_settings(again, &cs);
	/* Re-encoded: the same bytes, except pin registers read back with bits 9..15 set and
	 * the unused top bits of byte 17 cleared. */
	FUZZ_CHECK(memcmp(&again[4], &r[4], MCP2210_PIN_COUNT) == 0);
	FUZZ_CHECK((le16(&again[13]) & 0x1FF) == (le16(&r[13]) & 0x1FF) && (again[14] & 0xFE) == 0xFE);
	FUZZ_CHECK((le16(&again[15]) & 0x1FF) == (le16(&r[15]) & 0x1FF) && (again[16] & 0xFE) == 0xFE);
	FUZZ_CHECK(again[17] == (r[17] & 0x1F) && again[18] == r[18]);
	ret = nvram ? proto_decode_get_nvram_chip(again, &cs2) : proto_decode_get_chip_settings(again, &cs2);
	FUZZ_CHECK(ret == 0 && chip_equal(&cs, &cs2, true, true));
}

/* 0x30, 0x31, 0x33 answers carry a pin register; 0x21, 0x32 and the rest only a status. */
static void fuzz_pins(const mcp2210_report r, uint8_t cmd)
{
	int (*decode)(const mcp2210_report, uint16_t *) =
		cmd == MCP2210_CMD_SET_GPIO_VALUES   ? proto_decode_set_gpio_values :
		cmd == MCP2210_CMD_GET_GPIO_VALUES   ? proto_decode_get_gpio_values :
						       proto_decode_get_gpio_directions;
	uint16_t pins = 0x5A5A, pins2;
	mcp2210_report again;
	int ret = decode(r, &pins);

	check_decoded(ret, ref_check(r, cmd), true);
	if (ret < 0) {
		FUZZ_CHECK(pins == 0x5A5A);
		return;
	}
	FUZZ_CHECK(pins == (le16(&r[4]) & MCP2210_PIN_MASK));
	proto_answer_pins(again, cmd, pins);
	FUZZ_CHECK(decode(again, &pins2) == 0 && pins2 == pins);
}

static void fuzz_status_only(const mcp2210_report r)
{
	static const struct {
		uint8_t cmd;
		int (*decode)(const mcp2210_report);
	} decoders[] = {
		{ MCP2210_CMD_SET_CHIP_SETTINGS, proto_decode_set_chip_settings },
		{ MCP2210_CMD_SET_GPIO_DIRECTIONS, proto_decode_set_gpio_directions },
		{ MCP2210_CMD_WRITE_EEPROM, proto_decode_write_eeprom },
		{ MCP2210_CMD_SEND_PASSWORD, proto_decode_send_password },
		{ MCP2210_CMD_REQUEST_BUS_RELEASE, proto_decode_request_bus_release },
	};

	for (size_t i = 0; i < FUZZ_ARRAY_SIZE(decoders); i++) {
		mcp2210_report again;
		int ret = decoders[i].decode(r);

		check_decoded(ret, ref_check(r, decoders[i].cmd), true);
		proto_answer_status(again, decoders[i].cmd, r[1]);
		FUZZ_CHECK(decoders[i].decode(again) == ref_status_errno(r[1]));
	}
}

/* 0x40, 0x41 and 0x61/0x10 answers. */
static void fuzz_spi_settings(const mcp2210_report r, uint8_t cmd)
{
	int (*decode)(const mcp2210_report, struct mcp2210_spi_settings *) =
		cmd == MCP2210_CMD_SET_SPI_SETTINGS ? proto_decode_set_spi_settings :
		cmd == MCP2210_CMD_GET_SPI_SETTINGS ? proto_decode_get_spi_settings :
						      proto_decode_get_nvram_spi;
	struct mcp2210_spi_settings ss, ss2;
	mcp2210_report again;
	int base = ref_check(r, cmd);
	int ret;

	if (cmd == MCP2210_CMD_GET_NVRAM && base == 0 && r[2] != MCP2210_NVRAM_SPI)
		base = -EPROTO;
	fill(&ss, sizeof(ss));
	ret = decode(r, &ss);
	check_decoded(ret, base, ref_spi_bytes_plausible(r));
	if (ret < 0) {
		FUZZ_CHECK(untouched(&ss, sizeof(ss)));
		return;
	}
	if (cmd == MCP2210_CMD_GET_NVRAM) {
		proto_answer_nvram_spi(again, &ss);
		FUZZ_CHECK(again[2] == MCP2210_NVRAM_SPI);
	} else {
		proto_answer_spi_settings(again, cmd, &ss);
		FUZZ_CHECK(again[2] == 0x11);
	}
	FUZZ_CHECK(memcmp(&again[4], &r[4], 4) == 0 && memcmp(&again[12], &r[12], 9) == 0);
	FUZZ_CHECK(le16(&again[8]) == le16(&r[8]) && le16(&again[10]) == le16(&r[10])); /* 16 bits kept */
	FUZZ_CHECK(decode(again, &ss2) == 0 && spi_equal(&ss, &ss2));
}

static void fuzz_spi_transfer_answer(const mcp2210_report r)
{
	struct mcp2210_spi_chunk rx, rx2;
	mcp2210_report again;
	int ret;

	fill(&rx, sizeof(rx));
	ret = proto_decode_spi_transfer(r, &rx);
	check_decoded(ret, ref_check(r, MCP2210_CMD_SPI_TRANSFER),
		      r[2] <= MCP2210_SPI_CHUNK_MAX && (r[3] == 0x10 || r[3] == 0x20 || r[3] == 0x30));
	if (ret < 0) {
		FUZZ_CHECK(untouched(&rx, sizeof(rx)));
		return;
	}
	FUZZ_CHECK(rx.len == r[2] && rx.engine == r[3] && memcmp(rx.data, &r[4], rx.len) == 0);
	proto_answer_spi_transfer(again, &rx);
	FUZZ_CHECK(memcmp(again, r, 4 + rx.len) == 0);
	FUZZ_CHECK(proto_decode_spi_transfer(again, &rx2) == 0 && rx2.len == rx.len && rx2.engine == rx.engine &&
		   memcmp(rx2.data, rx.data, rx.len) == 0);
}

static void fuzz_eeprom_answer(const mcp2210_report r)
{
	int base = ref_check(r, MCP2210_CMD_READ_EEPROM);
	uint8_t args[MAX_ARGUMENTS];
	size_t nargs = arguments(r, args);

	for (size_t k = 0; k < nargs; k++) {
		uint8_t addr = args[k], value = 0x5A, value2;
		mcp2210_report again;
		int ret = proto_decode_read_eeprom(r, addr, &value);

		check_decoded(ret, base, r[2] == addr);
		if (ret < 0) {
			FUZZ_CHECK(value == 0x5A);
			continue;
		}
		FUZZ_CHECK(value == r[3]);
		proto_answer_read_eeprom(again, addr, value);
		FUZZ_CHECK(proto_decode_read_eeprom(again, addr, &value2) == 0 && value2 == value);
	}
}

static void fuzz_nvram_answers(const mcp2210_report r)
{
	int base_set = ref_check(r, MCP2210_CMD_SET_NVRAM);
	int base_get = ref_check(r, MCP2210_CMD_GET_NVRAM);
	struct mcp2210_usb_key key, key2;
	uint8_t args[MAX_ARGUMENTS];
	size_t nargs = arguments(r, args);
	mcp2210_report again;
	int ret;

	for (size_t k = 0; k < nargs; k++) {
		uint8_t sub = args[k];
		struct mcp2210_usb_string s, s2;

		ret = proto_decode_set_nvram(r, sub);
		check_decoded(ret, base_set, r[2] == sub);
		if (ret == 0) {
			proto_answer_set_nvram(again, sub);
			FUZZ_CHECK(proto_decode_set_nvram(again, sub) == 0);
		}

		fill(&s, sizeof(s));
		ret = proto_decode_get_nvram_string(r, sub, &s);
		if (!is_string_sub(sub)) {
			FUZZ_CHECK(ret == -EINVAL && untouched(&s, sizeof(s)));
			continue;
		}
		check_decoded(ret, base_get, r[2] == sub && ref_string_bytes_ok(r));
		if (ret < 0) {
			FUZZ_CHECK(untouched(&s, sizeof(s)));
			continue;
		}
		FUZZ_CHECK(s.len == (r[4] - 2) / 2);
		for (unsigned i = 0; i < s.len; i++)
			FUZZ_CHECK(s.units[i] == le16(&r[6 + 2 * i]));
		proto_answer_nvram_string(again, sub, &s);
		FUZZ_CHECK(memcmp(again, r, 3) == 0 && memcmp(&again[4], &r[4], 2 + 2 * s.len) == 0);
		FUZZ_CHECK(proto_decode_get_nvram_string(again, sub, &s2) == 0 && string_equal(&s, &s2));
	}

	fill(&key, sizeof(key));
	ret = proto_decode_get_nvram_usb_key(r, &key);
	check_decoded(ret, base_get, r[2] == MCP2210_NVRAM_USB_KEY);
	if (ret < 0) {
		FUZZ_CHECK(untouched(&key, sizeof(key)));
		return;
	}
	/* bits 4..0 of the power byte are don't care in this answer (DS22288A p. 29) */
	FUZZ_CHECK(key.vid == le16(&r[12]) && key.pid == le16(&r[14]) && key.power == (r[29] & 0xE0) &&
		   key.current_2ma == r[30]);
	proto_answer_nvram_usb_key(again, &key);
	FUZZ_CHECK(proto_decode_get_nvram_usb_key(again, &key2) == 0 && key_equal(&key, &key2));
}

static void fuzz_decoders(const mcp2210_report r)
{
	for (unsigned cmd = 0; cmd < 256; cmd++) {
		int ret = proto_check_answer(r, (uint8_t)cmd);

		FUZZ_CHECK(decoder_ret_known(ret) && ret == ref_check(r, (uint8_t)cmd));
	}
	FUZZ_CHECK(proto_status_errno(r[1]) == ref_status_errno(r[1]));
	FUZZ_CHECK(proto_status_name(r[1]) != NULL);
	(void)proto_cmd_name(r[0]);

	fuzz_chip_status(r, MCP2210_CMD_GET_STATUS);
	fuzz_chip_status(r, MCP2210_CMD_CANCEL_SPI);
	fuzz_gp6_count(r);
	fuzz_chip_settings(r, false);
	fuzz_chip_settings(r, true);
	fuzz_pins(r, MCP2210_CMD_SET_GPIO_VALUES);
	fuzz_pins(r, MCP2210_CMD_GET_GPIO_VALUES);
	fuzz_pins(r, MCP2210_CMD_GET_GPIO_DIRECTIONS);
	fuzz_status_only(r);
	fuzz_spi_settings(r, MCP2210_CMD_SET_SPI_SETTINGS);
	fuzz_spi_settings(r, MCP2210_CMD_GET_SPI_SETTINGS);
	fuzz_spi_settings(r, MCP2210_CMD_GET_NVRAM);
	fuzz_spi_transfer_answer(r);
	fuzz_eeprom_answer(r);
	fuzz_nvram_answers(r);
}

/* ---- request parsers (device side) ------------------------------------------------------ */

static void fuzz_parsers(const mcp2210_report r)
{
	struct mcp2210_chip_settings cs, cs2;
	struct mcp2210_spi_settings ss, ss2;
	struct mcp2210_spi_chunk tx, tx2;
	struct mcp2210_usb_key key, key2;
	struct mcp2210_usb_string s, s2;
	char pw[MCP2210_PASSWORD_LEN], pw2[MCP2210_PASSWORD_LEN];
	uint8_t addr, value, addr2, value2, sub;
	uint16_t v, v2;
	bool flag, flag2, valid;
	mcp2210_report req;
	int ret;

	ret = proto_parse_get_gp6_count(r, &flag);
	check_parsed(ret, r[0] == 0x12);
	if (!ret) {
		FUZZ_CHECK(flag == (r[1] == 0));
		proto_encode_get_gp6_count(req, flag);
		FUZZ_CHECK(proto_parse_get_gp6_count(req, &flag2) == 0 && flag2 == flag);
	}

	fill(&cs, sizeof(cs));
	ret = proto_parse_set_chip_settings(r, &cs);
	check_parsed(ret, r[0] == 0x21 && ref_chip_bytes_ok(r, false));
	if (ret < 0) {
		FUZZ_CHECK(untouched(&cs, sizeof(cs)));
	} else {
		/* 0x21 does not carry byte 18 (access) nor a password. */
		FUZZ_CHECK(cs.access == 0 && memcmp(&r[4], cs.pin_function, MCP2210_PIN_COUNT) == 0);
		FUZZ_CHECK(proto_encode_set_chip_settings(req, &cs) == 0 && req[18] == 0);
		FUZZ_CHECK(proto_parse_set_chip_settings(req, &cs2) == 0 && chip_equal(&cs, &cs2, true, true));
	}

	for (uint8_t cmd = 0x30; cmd <= 0x32; cmd += 2) {
		ret = cmd == 0x30 ? proto_parse_set_gpio_values(r, &v) : proto_parse_set_gpio_directions(r, &v);
		check_parsed(ret, r[0] == cmd);
		if (ret)
			continue;
		FUZZ_CHECK(v == (le16(&r[4]) & 0x1FF));
		if (cmd == 0x30) {
			proto_encode_set_gpio_values(req, v);
			ret = proto_parse_set_gpio_values(req, &v2);
		} else {
			proto_encode_set_gpio_directions(req, v);
			ret = proto_parse_set_gpio_directions(req, &v2);
		}
		FUZZ_CHECK(ret == 0 && v2 == v);
	}

	/* SPI settings are parsed as sent, every value (the chip has no answer for a bad one). */
	fill(&ss, sizeof(ss));
	ret = proto_parse_set_spi_settings(r, &ss);
	check_parsed(ret, r[0] == 0x40);
	if (ret < 0) {
		FUZZ_CHECK(untouched(&ss, sizeof(ss)));
	} else {
		FUZZ_CHECK(ss.bitrate == le32(&r[4]) && ss.cs_idle == le16(&r[8]) && ss.cs_active == le16(&r[10]) &&
			   ss.bytes_per_transaction == le16(&r[18]) && ss.mode == r[20]);
		valid = ref_spi_valid(ss.bitrate, ss.bytes_per_transaction, ss.mode);
		FUZZ_CHECK(proto_encode_set_spi_settings(req, &ss) == (valid ? 0 : -EINVAL));
		if (valid)
			FUZZ_CHECK(proto_parse_set_spi_settings(req, &ss2) == 0 && spi_equal(&ss, &ss2));
	}

	fill(&tx, sizeof(tx));
	ret = proto_parse_spi_transfer(r, &tx);
	check_parsed(ret, r[0] == 0x42 && r[1] <= MCP2210_SPI_CHUNK_MAX);
	if (ret < 0) {
		FUZZ_CHECK(untouched(&tx, sizeof(tx)));
	} else {
		FUZZ_CHECK(tx.len == r[1] && memcmp(tx.data, &r[4], tx.len) == 0);
		FUZZ_CHECK(proto_encode_spi_transfer(req, tx.data, tx.len) == 0);
		FUZZ_CHECK(proto_parse_spi_transfer(req, &tx2) == 0 && tx2.len == tx.len &&
			   memcmp(tx2.data, tx.data, tx.len) == 0);
	}

	ret = proto_parse_read_eeprom(r, &addr);
	check_parsed(ret, r[0] == 0x50);
	if (!ret) {
		FUZZ_CHECK(addr == r[1]);
		proto_encode_read_eeprom(req, addr);
		FUZZ_CHECK(proto_parse_read_eeprom(req, &addr2) == 0 && addr2 == addr);
	}
	ret = proto_parse_write_eeprom(r, &addr, &value);
	check_parsed(ret, r[0] == 0x51);
	if (!ret) {
		FUZZ_CHECK(addr == r[1] && value == r[2]);
		proto_encode_write_eeprom(req, addr, value);
		FUZZ_CHECK(proto_parse_write_eeprom(req, &addr2, &value2) == 0 && addr2 == addr && value2 == value);
	}

	ret = proto_parse_nvram_sub(r, &sub);
	check_parsed(ret, (r[0] == 0x60 || r[0] == 0x61) && is_nvram_sub(r[1]));
	if (!ret) {
		FUZZ_CHECK(sub == r[1]);
		FUZZ_CHECK(proto_encode_get_nvram(req, sub) == 0 && proto_parse_nvram_sub(req, &addr2) == 0 &&
			   addr2 == sub);
	}

	fill(&ss, sizeof(ss));
	ret = proto_parse_set_nvram_spi(r, &ss);
	check_parsed(ret, r[0] == 0x60 && r[1] == 0x10);
	if (ret < 0) {
		FUZZ_CHECK(untouched(&ss, sizeof(ss)));
	} else if (ref_spi_valid(ss.bitrate, ss.bytes_per_transaction, ss.mode)) {
		FUZZ_CHECK(proto_encode_set_nvram_spi(req, &ss) == 0);
		FUZZ_CHECK(proto_parse_set_nvram_spi(req, &ss2) == 0 && spi_equal(&ss, &ss2));
	}

	fill(&cs, sizeof(cs));
	ret = proto_parse_set_nvram_chip(r, &cs);
	check_parsed(ret, r[0] == 0x60 && r[1] == 0x20 && ref_chip_bytes_ok(r, true));
	if (ret < 0) {
		FUZZ_CHECK(untouched(&cs, sizeof(cs)));
	} else {
		static const char zero[MCP2210_PASSWORD_LEN];

		FUZZ_CHECK(cs.access == r[18]);
		FUZZ_CHECK(memcmp(cs.password, cs.access == 0x40 ? (const char *)&r[19] : zero, MCP2210_PASSWORD_LEN) == 0);
		FUZZ_CHECK(proto_encode_set_nvram_chip(req, &cs) == 0);
		FUZZ_CHECK(proto_parse_set_nvram_chip(req, &cs2) == 0 && chip_equal(&cs, &cs2, true, true));
	}

	fill(&key, sizeof(key));
	ret = proto_parse_set_nvram_usb_key(r, &key);
	check_parsed(ret, r[0] == 0x60 && r[1] == 0x30 && ref_power_ok(r[8]));
	if (ret < 0) {
		FUZZ_CHECK(untouched(&key, sizeof(key)));
	} else {
		FUZZ_CHECK(key.vid == le16(&r[4]) && key.pid == le16(&r[6]) && key.power == r[8] &&
			   key.current_2ma == r[9]);
		FUZZ_CHECK(proto_encode_set_nvram_usb_key(req, &key) == 0);
		FUZZ_CHECK(proto_parse_set_nvram_usb_key(req, &key2) == 0 && key_equal(&key, &key2));
	}

	fill(&s, sizeof(s));
	ret = proto_parse_set_nvram_string(r, &s);
	check_parsed(ret, r[0] == 0x60 && is_string_sub(r[1]) && ref_string_bytes_ok(r));
	if (ret < 0) {
		FUZZ_CHECK(untouched(&s, sizeof(s)));
	} else {
		FUZZ_CHECK(s.len <= MCP2210_STRING_MAX_UNITS);
		FUZZ_CHECK(proto_encode_set_nvram_string(req, r[1], &s) == 0);
		FUZZ_CHECK(memcmp(req, r, 2) == 0 && memcmp(&req[4], &r[4], 2 + 2 * s.len) == 0);
		FUZZ_CHECK(proto_parse_set_nvram_string(req, &s2) == 0 && string_equal(&s, &s2));
	}

	ret = proto_parse_send_password(r, pw);
	check_parsed(ret, r[0] == 0x70);
	if (!ret) {
		FUZZ_CHECK(memcmp(pw, &r[4], MCP2210_PASSWORD_LEN) == 0);
		proto_encode_send_password(req, pw);
		FUZZ_CHECK(proto_parse_send_password(req, pw2) == 0 && memcmp(pw, pw2, sizeof(pw)) == 0);
	}

	ret = proto_parse_request_bus_release(r, &flag);
	check_parsed(ret, r[0] == 0x80);
	if (!ret) {
		FUZZ_CHECK(flag == (r[1] != 0));
		proto_encode_request_bus_release(req, flag);
		FUZZ_CHECK(proto_parse_request_bus_release(req, &flag2) == 0 && flag2 == flag);
	}
}

/* ---- encoders, with the report's bytes as (unchecked) field values ----------------------- */

static bool only_cmd(const mcp2210_report req, uint8_t cmd)
{
	if (req[0] != cmd)
		return false;
	for (unsigned i = 1; i < MCP2210_REPORT_SIZE; i++)
		if (req[i])
			return false;
	return true;
}

static void fuzz_encoders(const mcp2210_report r)
{
	struct mcp2210_chip_settings cs = { 0 }, cs2;
	struct mcp2210_spi_settings ss = { 0 }, ss2;
	struct mcp2210_usb_key key = { 0 }, key2;
	struct mcp2210_usb_string s = { 0 }, s2;
	struct mcp2210_spi_chunk tx;
	uint8_t args[MAX_ARGUMENTS];
	size_t nargs;
	mcp2210_report req, resp;
	bool valid;
	int ret;

	proto_encode_get_status(req);
	FUZZ_CHECK(only_cmd(req, 0x10));
	proto_encode_cancel_spi(req);
	FUZZ_CHECK(only_cmd(req, 0x11));
	proto_encode_get_chip_settings(req);
	FUZZ_CHECK(only_cmd(req, 0x20));
	proto_encode_get_gpio_values(req);
	FUZZ_CHECK(only_cmd(req, 0x31));
	proto_encode_get_gpio_directions(req);
	FUZZ_CHECK(only_cmd(req, 0x33));
	proto_encode_get_spi_settings(req);
	FUZZ_CHECK(only_cmd(req, 0x41));

	for (unsigned i = 0; i < MCP2210_PIN_COUNT; i++)
		cs.pin_function[i] = r[4 + i];
	cs.gpio_value = le16(&r[13]);
	cs.gpio_direction = le16(&r[15]);
	cs.remote_wakeup = r[17] & 1;
	cs.irq_mode = r[18];
	cs.spi_bus_hold = r[19] & 1;
	cs.access = r[20];
	memcpy(cs.password, &r[21], MCP2210_PASSWORD_LEN);
	valid = !(cs.gpio_value & ~0x1FFu) && !(cs.gpio_direction & ~0x1FFu) &&
		cs.irq_mode <= 4 && ref_access_ok(cs.access);
	FUZZ_CHECK(proto_chip_settings_check(&cs) == (valid ? 0 : -EINVAL));
	ret = proto_encode_set_chip_settings(req, &cs);
	FUZZ_CHECK(ret == (valid ? 0 : -EINVAL));
	if (valid) {
		FUZZ_CHECK(proto_parse_set_chip_settings(req, &cs2) == 0 && chip_equal(&cs, &cs2, false, false));
		FUZZ_CHECK(cs2.access == 0);
		FUZZ_CHECK(proto_encode_set_nvram_chip(req, &cs) == 0);
		FUZZ_CHECK(proto_parse_set_nvram_chip(req, &cs2) == 0 && chip_equal(&cs, &cs2, true, cs.access == 0x40));
		if (cs.access != 0x40)
			for (unsigned i = 0; i < MCP2210_PASSWORD_LEN; i++)
				FUZZ_CHECK(req[19 + i] == 0 && cs2.password[i] == 0);
		proto_answer_chip_settings(resp, &cs);
		FUZZ_CHECK(proto_decode_get_chip_settings(resp, &cs2) == 0 && chip_equal(&cs, &cs2, true, false));
		proto_answer_nvram_chip(resp, &cs);
		FUZZ_CHECK(proto_decode_get_nvram_chip(resp, &cs2) == 0 && chip_equal(&cs, &cs2, true, false));
	} else {
		FUZZ_CHECK(proto_encode_set_nvram_chip(req, &cs) == -EINVAL);
	}

	ss.bitrate = le32(&r[32]);
	ss.cs_idle = le16(&r[36]);
	ss.cs_active = le16(&r[38]);
	ss.delay_cs_to_data = le16(&r[40]);
	ss.delay_data_to_cs = le16(&r[42]);
	ss.delay_between_bytes = le16(&r[44]);
	ss.bytes_per_transaction = le16(&r[46]);
	ss.mode = r[48];
	valid = ref_spi_valid(ss.bitrate, ss.bytes_per_transaction, ss.mode);
	FUZZ_CHECK(proto_spi_settings_check(&ss) == (valid ? 0 : -EINVAL));
	FUZZ_CHECK(proto_encode_set_spi_settings(req, &ss) == (valid ? 0 : -EINVAL));
	if (valid) {
		FUZZ_CHECK(proto_parse_set_spi_settings(req, &ss2) == 0 && spi_equal(&ss, &ss2));
		FUZZ_CHECK(proto_encode_set_nvram_spi(req, &ss) == 0);
		FUZZ_CHECK(proto_parse_set_nvram_spi(req, &ss2) == 0 && spi_equal(&ss, &ss2));
		proto_answer_spi_settings(resp, MCP2210_CMD_GET_SPI_SETTINGS, &ss);
		FUZZ_CHECK(proto_decode_get_spi_settings(resp, &ss2) == 0 && spi_equal(&ss, &ss2));
		proto_answer_nvram_spi(resp, &ss);
		FUZZ_CHECK(proto_decode_get_nvram_spi(resp, &ss2) == 0 && spi_equal(&ss, &ss2));
	} else {
		FUZZ_CHECK(proto_encode_set_nvram_spi(req, &ss) == -EINVAL);
	}

	key.vid = le16(&r[50]);
	key.pid = le16(&r[52]);
	key.power = r[54];
	key.current_2ma = r[55];
	valid = ref_power_ok(key.power);
	FUZZ_CHECK(proto_encode_set_nvram_usb_key(req, &key) == (valid ? 0 : -EINVAL));
	if (valid)
		FUZZ_CHECK(proto_parse_set_nvram_usb_key(req, &key2) == 0 && key_equal(&key, &key2));
	proto_answer_nvram_usb_key(resp, &key);
	key.power &= 0xE0; /* don't care bits, dropped at decode */
	FUZZ_CHECK(proto_decode_get_nvram_usb_key(resp, &key2) == 0 && key_equal(&key, &key2));

	s.len = r[1];
	for (unsigned i = 0; i < MCP2210_STRING_MAX_UNITS; i++)
		s.units[i] = le16(&r[2 + 2 * i]);
	nargs = arguments(r, args);
	for (size_t k = 0; k < nargs; k++) {
		uint8_t sub = args[k];

		valid = is_string_sub(sub) && s.len <= MCP2210_STRING_MAX_UNITS;
		FUZZ_CHECK(proto_encode_set_nvram_string(req, sub, &s) == (valid ? 0 : -EINVAL));
		if (valid)
			FUZZ_CHECK(proto_parse_set_nvram_string(req, &s2) == 0 && string_equal(&s, &s2));
		ret = proto_encode_get_nvram(req, sub);
		FUZZ_CHECK(ret == (is_nvram_sub(sub) ? 0 : -EINVAL));
		if (!is_string_sub(sub))
			continue;
		/* The answer encoder clamps what the request encoder refuses. */
		proto_answer_nvram_string(resp, sub, &s);
		FUZZ_CHECK(proto_decode_get_nvram_string(resp, sub, &s2) == 0);
		FUZZ_CHECK(s2.len == (s.len > MCP2210_STRING_MAX_UNITS ? MCP2210_STRING_MAX_UNITS : s.len));
		FUZZ_CHECK(memcmp(s2.units, s.units, s2.len * sizeof(s.units[0])) == 0);
	}

	ret = proto_encode_spi_transfer(req, &r[4], r[1]);
	FUZZ_CHECK(ret == (r[1] <= MCP2210_SPI_CHUNK_MAX ? 0 : -EINVAL));
	if (!ret)
		FUZZ_CHECK(proto_parse_spi_transfer(req, &tx) == 0 && tx.len == r[1] &&
			   memcmp(tx.data, &r[4], tx.len) == 0);
	FUZZ_CHECK(proto_encode_spi_transfer(req, NULL, r[1]) == (r[1] == 0 ? 0 : -EINVAL));
}

/* ---- UTF-8 <-> UTF-16 -------------------------------------------------------------------- */

/* data as a C string (up to its first NUL). */
static void fuzz_from_utf8(const uint8_t *data, size_t size)
{
	char *str = malloc(size + 1);
	char out[4 * MCP2210_STRING_MAX_UNITS + 1];
	struct mcp2210_usb_string s;
	int units, ret;

	FUZZ_CHECK(str);
	memcpy(str, data, size);
	str[size] = '\0';
	units = ref_utf8_units((const uint8_t *)str);
	fill(&s, sizeof(s));
	ret = proto_usb_string_from_utf8(&s, str);
	FUZZ_CHECK(ret == (units >= 0 && units <= MCP2210_STRING_MAX_UNITS ? 0 : -EINVAL));
	if (ret < 0) {
		FUZZ_CHECK(untouched(&s, sizeof(s)));
		free(str);
		return;
	}
	FUZZ_CHECK(s.len == units);
	/* Strict in both directions: the units come back as exactly the same bytes. */
	ret = proto_usb_string_to_utf8(&s, out, sizeof(out));
	FUZZ_CHECK(ret >= 0 && (size_t)ret == strlen(str) && strcmp(out, str) == 0);
	free(str);
}

/* Units from the report, converted into a buffer of exactly r[0] bytes. */
static void fuzz_to_utf8(const mcp2210_report r)
{
	struct mcp2210_usb_string s = { 0 }, back;
	size_t size = r[0];
	char *buf = malloc(size ? size : 1);
	int need, ret;

	FUZZ_CHECK(buf);
	s.len = r[1] & 0x1F; /* up to 31: also lengths the structure cannot hold */
	for (unsigned i = 0; i < MCP2210_STRING_MAX_UNITS; i++)
		s.units[i] = le16(&r[2 + 2 * i]);
	need = s.len > MCP2210_STRING_MAX_UNITS ? -1 : ref_utf16_bytes(&s);
	memset(buf, SENTINEL, size);
	ret = proto_usb_string_to_utf8(&s, buf, size);
	if (need < 0) {
		FUZZ_CHECK(ret == -EINVAL);
	} else if ((size_t)need + 1 > size) {
		FUZZ_CHECK(ret == -ENOSPC);
	} else {
		FUZZ_CHECK(ret == need && strlen(buf) == (size_t)need);
		FUZZ_CHECK(proto_usb_string_from_utf8(&back, buf) == 0 && string_equal(&s, &back));
	}
	if (ret < 0)
		FUZZ_CHECK(untouched(buf, size));
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mcp2210_report r = { 0 };

	memcpy(r, data, size < sizeof(r) ? size : sizeof(r));
	fuzz_decoders(r);
	fuzz_parsers(r);
	fuzz_encoders(r);
	fuzz_to_utf8(r);
	fuzz_from_utf8(data, size);
	if (size > MCP2210_REPORT_SIZE)
		fuzz_from_utf8(data + MCP2210_REPORT_SIZE, size - MCP2210_REPORT_SIZE);
	return 0;
}
