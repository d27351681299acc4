/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers for the emulator's Check tests (see emu_fixture.h). The SPI transaction here is the
 * sheet's algorithm written independently of the emulator, so the two check each other.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu_fixture.h"

struct emu *fx_emu_new(uint64_t frame_ns)
{
	struct emu_config cfg = { .frame_ns = frame_ns };
	struct emu *e;

	ck_assert_int_eq(emu_new(&cfg, &e), 0);
	return e;
}

struct emu *fx_emu_new_with_state(char *path, size_t size)
{
	char dir[] = "/tmp/mcp2210-emu-XXXXXX";
	struct emu_config cfg = { .frame_ns = 0 };
	struct emu *e;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_lt(snprintf(path, size, "%s/chip.state", dir), (int)size);
	cfg.state_file = path;
	ck_assert_int_eq(emu_new(&cfg, &e), 0);
	return e;
}

void fx_xchg(struct emu *e, const mcp2210_report req, mcp2210_report resp)
{
	ck_assert_int_eq(emu_exchange(e, req, resp, EMU_IN_FIRST), 0);
	ck_assert_uint_eq(resp[0], req[0]);
}

uint8_t fx_write_eeprom(struct emu *e, uint8_t addr, uint8_t value)
{
	mcp2210_report req, resp;

	proto_encode_write_eeprom(req, addr, value);
	fx_xchg(e, req, resp);
	return resp[1];
}

uint8_t fx_read_eeprom(struct emu *e, uint8_t addr)
{
	mcp2210_report req, resp;
	uint8_t value;

	proto_encode_read_eeprom(req, addr);
	fx_xchg(e, req, resp);
	ck_assert_int_eq(proto_decode_read_eeprom(resp, addr, &value), 0);
	return value;
}

void fx_raw(struct emu *e, mcp2210_report resp, const uint8_t *head, size_t len)
{
	mcp2210_report req = { 0 };

	memcpy(req, head, len);
	fx_xchg(e, req, resp);
}

void fx_expect(const mcp2210_report resp, uint8_t cmd, uint8_t status)
{
	ck_assert_uint_eq(resp[0], cmd);
	ck_assert_uint_eq(resp[1], status);
}

void fx_use_cs(struct emu *e, uint16_t cs_pins)
{
	struct mcp2210_chip_settings cs = { .gpio_direction = MCP2210_PIN_MASK };
	mcp2210_report req, resp;

	for (unsigned pin = 0; pin < MCP2210_PIN_COUNT; pin++)
		cs.pin_function[pin] = (cs_pins >> pin) & 1 ? MCP2210_PIN_CS : MCP2210_PIN_GPIO;
	ck_assert_int_eq(proto_encode_set_chip_settings(req, &cs), 0);
	fx_xchg(e, req, resp);
	ck_assert_int_eq(proto_decode_set_chip_settings(resp), 0);
}

void fx_designate(struct emu *e, unsigned pin, uint8_t function)
{
	struct mcp2210_chip_settings cs;
	mcp2210_report req, resp;

	proto_encode_get_chip_settings(req);
	fx_xchg(e, req, resp);
	ck_assert_int_eq(proto_decode_get_chip_settings(resp, &cs), 0);
	cs.pin_function[pin] = function;
	ck_assert_int_eq(proto_encode_set_chip_settings(req, &cs), 0);
	fx_xchg(e, req, resp);
	ck_assert_int_eq(proto_decode_set_chip_settings(resp), 0);
}

static void set_spi(struct emu *e, const struct mcp2210_spi_settings *ss)
{
	struct mcp2210_spi_settings echo;
	mcp2210_report req, resp;

	ck_assert_int_eq(proto_encode_set_spi_settings(req, ss), 0);
	fx_xchg(e, req, resp);
	ck_assert_int_eq(proto_decode_set_spi_settings(resp, &echo), 0);
	ck_assert_uint_eq(echo.bytes_per_transaction, ss->bytes_per_transaction);
}

void fx_spi_setup(struct emu *e, uint32_t bitrate, uint8_t mode, uint16_t cs_pins, uint16_t n)
{
	struct mcp2210_spi_settings ss = {
		.bitrate = bitrate,
		.mode = mode,
		.cs_idle = MCP2210_PIN_MASK,
		.cs_active = (uint16_t)(MCP2210_PIN_MASK & ~cs_pins),
		.bytes_per_transaction = n,
	};

	set_spi(e, &ss);
}

static int exchange(void *ctx, const mcp2210_report req, mcp2210_report resp)
{
	return emu_exchange(ctx, req, resp, EMU_IN_FIRST);
}

long fx_spi_transfer(struct emu *e, const uint8_t *tx, uint8_t *rx, size_t n, struct spi_xfer_stats *st)
{
	/* generous: 100 kbit/s at 1 ms frames needs a few F8 per chunk */
	const struct spi_xfer_limits limits = { .busy_max = 100, .idle_polls_max = 100 };

	return spi_xfer_run(exchange, e, tx, rx, n, &limits, st);
}

long fx_spi_xfer(struct emu *e, const uint8_t *tx, uint8_t *rx, size_t n, struct spi_xfer_stats *st)
{
	struct mcp2210_spi_settings ss;
	mcp2210_report req, resp;

	proto_encode_get_spi_settings(req);
	fx_xchg(e, req, resp);
	ck_assert_int_eq(proto_decode_get_spi_settings(resp, &ss), 0);
	ss.bytes_per_transaction = (uint16_t)n;
	set_spi(e, &ss);
	return fx_spi_transfer(e, tx, rx, n, st);
}
