/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The worker's view of the chip on the emulated MCP2210: operations cost the protocol minimum
 * of exchanges once the cache is warm, errors map to the errno a user sees, and a failure or
 * a cancel never leaves the chip out of step.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "device.h"
#include "emu/emu.h"
#include "device_spi_xfer.h"
#include "worker.h"
#include "check_main.h"

struct rig {
	struct emu *emu;
	struct transport *t;
	struct device dev;
};

static void rig_up_clocked(struct rig *r, bool realtime)
{
	struct emu_config cfg = { .frame_ns = EMU_DEFAULT_FRAME_NS };
	struct mcp2210_chip_settings cs = { .gpio_direction = 0x1FF & ~(1u << 4) };

	ck_assert_int_eq(emu_new(&cfg, &r->emu), 0);
	ck_assert_int_eq(emu_attach_spec(r->emu, EMU_DEFAULT_PERIPHERALS), 0);
	ck_assert_int_eq(transport_emu_new(r->emu, realtime, &r->t), 0);
	device_init(&r->dev, r->t, 100);
	cs.pin_function[1] = MCP2210_PIN_CS;
	ck_assert_int_eq(device_recover(&r->dev), 0);
	ck_assert_int_eq(device_set_chip_settings(&r->dev, &cs), 0);
}

/* The emulator's clock in virtual time: waits cost nothing. */
static void rig_up(struct rig *r) { rig_up_clocked(r, false); }

static void rig_down(struct rig *r)
{
	transport_free(r->t);
	emu_free(r->emu);
}

static uint64_t chip_exchanges(struct rig *r)
{
	struct emu_counters c;

	emu_counters_get(r->emu, &c);
	return c.exchanges;
}

/* With a warm cache a GPIO write and a GPIO read are one exchange each. */
START_TEST(test_gpio_one_exchange)
{
	struct rig r;
	uint16_t levels;
	uint64_t before;

	rig_up(&r);
	before = chip_exchanges(&r);
	ck_assert_int_eq(device_gpio_write(&r.dev, 4, true), 0);
	ck_assert_uint_eq(chip_exchanges(&r) - before, 1);
	ck_assert_uint_eq(emu_pin_levels(r.emu) >> 4 & 1, 1);
	before = chip_exchanges(&r);
	ck_assert_int_eq(device_gpio_levels(&r.dev, &levels), 0);
	ck_assert_uint_eq(chip_exchanges(&r) - before, 1);
	ck_assert_uint_eq(levels >> 4 & 1, 1);
	rig_down(&r);
}
END_TEST

/* A protection written to NVRAM is what device_nvram_access reports at once, though the live
 * chip settings read before (and cached) still hold the old access byte. */
START_TEST(test_nvram_access_now)
{
	struct mcp2210_chip_settings cs, nv = { .gpio_direction = 0x1FF, .access = MCP2210_ACCESS_PASSWORD };
	mcp2210_report req, resp;
	uint8_t access = 0xFF;
	struct rig r;

	rig_up(&r);
	ck_assert_int_eq(device_nvram_access(&r.dev, &access), 0);
	ck_assert_uint_eq(access, MCP2210_ACCESS_NONE);
	ck_assert_int_eq(device_chip_settings(&r.dev, &cs), 0);
	memcpy(nv.password, "secret12", MCP2210_PASSWORD_LEN);
	ck_assert_int_eq(proto_encode_set_nvram_chip(req, &nv), 0);
	ck_assert_int_eq(device_command(&r.dev, req, resp), 0);
	ck_assert_int_eq(device_nvram_access(&r.dev, &access), 0);
	ck_assert_uint_eq(access, MCP2210_ACCESS_PASSWORD);
	rig_down(&r);
}
END_TEST

/* Writing an input or a chip select is refused like sysfs does, and changes nothing. */
START_TEST(test_gpio_write_needs_output)
{
	struct rig r;

	rig_up(&r);
	emu_set_input(r.emu, 5, false);
	ck_assert_int_eq(device_gpio_write(&r.dev, 5, true), -EPERM);
	ck_assert_int_eq(device_gpio_write(&r.dev, 1, true), -EPERM);
	ck_assert_int_eq(device_gpio_direction(&r.dev, 8, true, true), -EPERM);
	ck_assert_uint_eq(emu_pin_levels(r.emu) >> 5 & 1, 0);
	rig_down(&r);
}
END_TEST

/* "high": the pin becomes an output already at 1. */
START_TEST(test_gpio_direction_high)
{
	struct rig r;

	rig_up(&r);
	ck_assert_int_eq(device_gpio_direction(&r.dev, 6, true, true), 0);
	ck_assert_uint_eq(emu_pin_levels(r.emu) >> 6 & 1, 1);
	ck_assert_int_eq(device_gpio_direction(&r.dev, 6, false, false), 0);
	ck_assert_int_eq(device_gpio_write(&r.dev, 6, true), -EPERM);
	rig_down(&r);
}
END_TEST

/* SPI: ceil(N/60)+1 exchanges with unchanged settings, one more (0x40) when N changes. */
START_TEST(test_spi_exchange_count)
{
	struct rig r;
	uint8_t tx[1000], rx[1000];
	struct mcp2210_spi_settings ss;
	uint64_t before;

	rig_up(&r);
	ck_assert_int_eq(device_spi_settings(&r.dev, &ss), 0);
	ss.cs_active = 0x1FF & ~(1u << 1);
	ss.bitrate = 12000000;
	ck_assert_int_eq(device_set_spi_settings(&r.dev, &ss), 0);
	for (size_t i = 0; i < sizeof(tx); i++)
		tx[i] = (uint8_t)(i * 13);
	before = chip_exchanges(&r);
	ck_assert_int_eq(device_spi_transfer(&r.dev, NULL, tx, rx, sizeof(tx)), (ssize_t)sizeof(tx));
	ck_assert_mem_eq(rx, tx, sizeof(tx));
	ck_assert_uint_eq(chip_exchanges(&r) - before, 1 + 17 + 1);
	before = chip_exchanges(&r);
	ck_assert_int_eq(device_spi_transfer(&r.dev, NULL, tx, rx, sizeof(tx)), (ssize_t)sizeof(tx));
	ck_assert_uint_eq(chip_exchanges(&r) - before, 17 + 1);
	ck_assert_int_eq(device_spi_transfer(&r.dev, NULL, tx, rx, 65536), -EFBIG);
	rig_down(&r);
}
END_TEST

/* A slow SPI clock costs waiting, not USB traffic: at 100 kbit/s, with the chip's clock
 * following the wall clock in 1 ms frames, the host paces its chunks so that each is taken at
 * once and the last poll finds the transaction done: still ceil(N/60)+1 exchanges. */
START_TEST(test_spi_slow_clock_paced)
{
	static const size_t sizes[] = { 1000, 61, 15 };
	struct rig r;
	uint8_t tx[1000], rx[1000];
	struct mcp2210_spi_settings ss;

	rig_up_clocked(&r, true);
	ck_assert_int_eq(device_spi_settings(&r.dev, &ss), 0);
	ss.cs_active = 0x1FF & ~(1u << 1);
	ss.bitrate = 100000;
	for (size_t i = 0; i < sizeof(tx); i++)
		tx[i] = (uint8_t)(i * 7 + 1);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];
		uint64_t before;

		ss.bytes_per_transaction = (uint16_t)n;
		ck_assert_int_eq(device_set_spi_settings(&r.dev, &ss), 0);
		before = chip_exchanges(&r);
		ck_assert_int_eq(device_spi_transfer(&r.dev, NULL, tx, rx, n), (ssize_t)n);
		ck_assert_mem_eq(rx, tx, n);
		ck_assert_uint_eq(chip_exchanges(&r) - before, (n + 59) / 60 + 1);
	}
	rig_down(&r);
}
END_TEST

/* The cache, and so spi/bitrate, holds the rate the chip answered: 5 MHz asked, 12 MHz / 3
 * run (issue 11, item 4); transfers are paced by it. */
START_TEST(test_spi_bitrate_echo)
{
	struct rig r;
	struct mcp2210_spi_settings ss, got;
	uint64_t before;

	rig_up(&r);
	ck_assert_int_eq(device_spi_settings(&r.dev, &ss), 0);
	ss.bitrate = 5000000;
	ck_assert_int_eq(device_set_spi_settings(&r.dev, &ss), 0);
	before = chip_exchanges(&r);
	ck_assert_int_eq(device_spi_settings(&r.dev, &got), 0);
	ck_assert_uint_eq(got.bitrate, 4000000);
	ck_assert_uint_eq(chip_exchanges(&r), before);
	rig_down(&r);
}
END_TEST

/* Another program left `ff ff` / `fd ff` in the chip-select fields: a transfer that must change
 * bytes-per-transaction writes them back as they were (issue 11, item 3), and CS1 works. */
START_TEST(test_spi_keeps_cs_high_bits)
{
	const mcp2210_report other = { 0x40, [4] = 0x00, 0x1B, 0xB7, 0x00, 0xFF, 0xFF, 0xFD, 0xFF, [18] = 0x08 };
	const mcp2210_report get = { 0x41 };
	uint8_t tx[3] = { 1, 2, 3 }, rx[3];
	mcp2210_report resp;
	struct rig r;

	rig_up(&r);
	ck_assert_int_eq(emu_exchange(r.emu, other, resp, EMU_IN_FIRST), 0);
	device_invalidate(&r.dev);
	ck_assert_int_eq(device_spi_transfer(&r.dev, NULL, tx, rx, sizeof(tx)), (ssize_t)sizeof(tx));
	ck_assert_mem_eq(rx, tx, sizeof(tx)); /* the loopback on CS1 was selected */
	ck_assert_int_eq(emu_exchange(r.emu, get, resp, EMU_IN_FIRST), 0);
	ck_assert_mem_eq(resp + 8, ((const uint8_t[]){ 0xFF, 0xFF, 0xFD, 0xFF }), 4);
	ck_assert_uint_eq(resp[18], 3);
	rig_down(&r);
}
END_TEST

/* ---- EEPROM, NVRAM and the password -------------------------------------------------------- */

static uint64_t chip_commands(struct rig *r, uint8_t cmd)
{
	struct emu_counters c;

	emu_counters_get(r->emu, &c);
	return c.per_command[cmd];
}

/* Another host's write of one EEPROM byte, behind this device's back. */
static void other_host_writes_eeprom(struct rig *r, uint8_t addr, uint8_t value)
{
	mcp2210_report req, resp;

	proto_encode_write_eeprom(req, addr, value);
	ck_assert_int_eq(emu_exchange(r->emu, req, resp, EMU_IN_FIRST), 0);
	ck_assert_int_eq(proto_decode_write_eeprom(resp), 0);
}

/* Written bytes are read back once (0x51 then 0x50 each) and then served from the cache; after
 * device_invalidate() they come from the chip again, with what the chip holds by then. */
START_TEST(test_eeprom_cache_readback)
{
	const uint8_t data[3] = { 0x12, 0x34, 0x56 };
	uint8_t buf[4] = { 0 };
	uint64_t before;
	struct rig r;

	rig_up(&r);
	before = chip_exchanges(&r);
	ck_assert_int_eq(device_eeprom_write(&r.dev, 100, data, sizeof(data)), (ssize_t)sizeof(data));
	ck_assert_uint_eq(chip_exchanges(&r) - before, 2 * sizeof(data));
	before = chip_exchanges(&r);
	ck_assert_int_eq(device_eeprom_read(&r.dev, 100, buf, sizeof(data)), (ssize_t)sizeof(data));
	ck_assert_mem_eq(buf, data, sizeof(data));
	ck_assert_uint_eq(chip_exchanges(&r), before);
	/* another host changes a byte: the cache cannot know, until it is dropped */
	other_host_writes_eeprom(&r, 101, 0xA5);
	ck_assert_int_eq(device_eeprom_read(&r.dev, 100, buf, sizeof(data)), (ssize_t)sizeof(data));
	ck_assert_uint_eq(buf[1], 0x34);
	device_invalidate(&r.dev);
	before = chip_exchanges(&r);
	ck_assert_int_eq(device_eeprom_read(&r.dev, 100, buf, sizeof(data)), (ssize_t)sizeof(data));
	ck_assert_mem_eq(buf, ((const uint8_t[]){ 0x12, 0xA5, 0x56 }), sizeof(data));
	ck_assert_uint_eq(chip_exchanges(&r) - before, sizeof(data));
	/* the last byte: a read up to 256 works, one past it is refused */
	ck_assert_int_eq(device_eeprom_read(&r.dev, 255, buf, 1), 1);
	ck_assert_uint_eq(buf[0], 0xFF); /* factory-fresh */
	ck_assert_int_eq(device_eeprom_read(&r.dev, 255, buf, 2), -EINVAL);
	rig_down(&r);
}
END_TEST

/* A cell that does not take its value (0x51 answers success) is EIO, never success, and the
 * cache holds what the chip read back, not the value asked for. */
START_TEST(test_eeprom_silent_write_is_eio)
{
	const uint8_t value = 0x3C;
	uint8_t got = 0;
	uint64_t before;
	struct rig r;

	rig_up(&r);
	emu_fault_arm(r.emu, EMU_FAULT_SILENT_WRITE, 1);
	ck_assert_int_eq(device_eeprom_write(&r.dev, 7, &value, 1), -EIO);
	before = chip_exchanges(&r);
	ck_assert_int_eq(device_eeprom_read(&r.dev, 7, &got, 1), 1);
	ck_assert_uint_eq(got, (uint8_t)~value); /* what the chip really holds */
	ck_assert_uint_eq(chip_exchanges(&r), before);
	ck_assert_int_eq(device_eeprom_write(&r.dev, 7, &value, 1), 1);
	ck_assert_int_eq(device_eeprom_read(&r.dev, 7, &got, 1), 1);
	ck_assert_uint_eq(got, value);
	rig_down(&r);
}
END_TEST

/* Edits used by the NVRAM tests: ctx says what to change. */
static int edit_gp4_output(void *ctx, struct mcp2210_chip_settings *chip, struct mcp2210_spi_settings *spi)
{
	(void)ctx;
	(void)spi;
	chip->gpio_direction &= (uint16_t)~(1u << 4);
	return 0;
}

static int edit_spi_mode(void *ctx, struct mcp2210_chip_settings *chip, struct mcp2210_spi_settings *spi)
{
	(void)chip;
	spi->mode = *(const uint8_t *)ctx;
	return 0;
}

static int edit_nothing(void *ctx, struct mcp2210_chip_settings *chip, struct mcp2210_spi_settings *spi)
{
	(void)ctx;
	(void)chip;
	(void)spi;
	return 0;
}

static int edit_refused(void *ctx, struct mcp2210_chip_settings *chip, struct mcp2210_spi_settings *spi)
{
	(void)ctx;
	chip->gpio_direction = 0;
	spi->mode = 1;
	return -EINVAL; /* as text that does not parse */
}

static int edit_product(void *ctx, struct device_usb *u)
{
	return proto_usb_string_from_utf8(&u->product, ctx);
}

/* An NVRAM write that reads back different is reported (EIO), block by block; a write that
 * reads back as written succeeds and shows in NVRAM. */
START_TEST(test_nvram_verify)
{
	struct mcp2210_chip_settings chip;
	struct mcp2210_spi_settings spi;
	struct device_usb u;
	char text[64];
	uint8_t mode = 2;
	struct rig r;

	rig_up(&r);
	emu_fault_arm(r.emu, EMU_FAULT_SILENT_WRITE, 1);
	ck_assert_int_eq(device_nvram_edit_settings(&r.dev, edit_gp4_output, NULL), -EIO);
	emu_fault_arm(r.emu, EMU_FAULT_SILENT_WRITE, 1);
	ck_assert_int_eq(device_nvram_edit_settings(&r.dev, edit_spi_mode, &mode), -EIO);
	emu_fault_arm(r.emu, EMU_FAULT_SILENT_WRITE, 1);
	ck_assert_int_eq(device_nvram_edit_usb(&r.dev, edit_product, (char[]){ "Test Bridge" }), -EIO);

	ck_assert_int_eq(device_nvram_edit_settings(&r.dev, edit_gp4_output, NULL), 0);
	ck_assert_int_eq(device_nvram_edit_settings(&r.dev, edit_spi_mode, &mode), 0);
	ck_assert_int_eq(device_nvram_edit_usb(&r.dev, edit_product, (char[]){ "Test Bridge" }), 0);
	ck_assert_int_eq(device_nvram_settings(&r.dev, &chip, &spi), 0);
	ck_assert_uint_eq(chip.gpio_direction >> 4 & 1, 0);
	ck_assert_uint_eq(spi.mode, 2);
	ck_assert_int_eq(device_nvram_usb(&r.dev, &u), 0);
	ck_assert_int_gt(proto_usb_string_to_utf8(&u.product, text, sizeof(text)), 0);
	ck_assert_str_eq(text, "Test Bridge");
	rig_down(&r);
}
END_TEST

/* Flash is written only for a change: an edit that changes nothing, or is refused, sends no
 * 0x60 at all. */
START_TEST(test_nvram_no_change_no_write)
{
	struct mcp2210_chip_settings chip, chip2;
	struct mcp2210_spi_settings spi, spi2;
	uint64_t writes;
	struct rig r;

	rig_up(&r);
	ck_assert_int_eq(device_nvram_settings(&r.dev, &chip, &spi), 0);
	writes = chip_commands(&r, MCP2210_CMD_SET_NVRAM);
	ck_assert_int_eq(device_nvram_edit_settings(&r.dev, edit_nothing, NULL), 0);
	ck_assert_int_eq(device_nvram_edit_settings(&r.dev, edit_refused, NULL), -EINVAL);
	ck_assert_int_eq(device_nvram_edit_usb(&r.dev, edit_product, (char[]){ "MCP2210 USB to SPI Master" }), 0);
	ck_assert_int_eq(device_nvram_set_access(&r.dev, MCP2210_ACCESS_NONE), 0);
	ck_assert_uint_eq(chip_commands(&r, MCP2210_CMD_SET_NVRAM), writes);
	ck_assert_int_eq(device_nvram_settings(&r.dev, &chip2, &spi2), 0);
	ck_assert(proto_chip_settings_equal(&chip2, &chip));
	ck_assert(proto_spi_settings_equal(&spi2, &spi));
	rig_down(&r);
}
END_TEST

static uint8_t password_attempts(struct rig *r)
{
	struct mcp2210_chip_status st;

	ck_assert_int_eq(device_chip_status(&r->dev, &st), 0);
	return st.password_attempts;
}

/* Protect the chip with "secret12", then power it up again with a device that knows no
 * password, as a new mount without -o password_file finds it. */
static void protect_and_forget(struct rig *r)
{
	uint8_t access = 0;

	device_set_password(&r->dev, "secret12");
	ck_assert_int_eq(device_nvram_set_access(&r->dev, MCP2210_ACCESS_PASSWORD), 0);
	ck_assert_int_eq(device_nvram_access(&r->dev, &access), 0);
	ck_assert_uint_eq(access, MCP2210_ACCESS_PASSWORD);
	device_forget_password(&r->dev);
	emu_power_cycle(r->emu);
	device_invalidate(&r->dev);
}

/* Figure 3-11 (DS22288A p. 33): wrong passwords 1 to 5 are EACCES and counted, the 6th and
 * later are refused unseen (EPERM) until power-up, the right one included. */
START_TEST(test_unlock_wrong_password)
{
	const uint8_t byte = 0x42;
	struct rig r;

	rig_up(&r);
	protect_and_forget(&r);
	ck_assert_int_eq(device_eeprom_write(&r.dev, 0, &byte, 1), -EACCES);
	ck_assert_int_eq(device_nvram_edit_usb(&r.dev, edit_product, (char[]){ "Locked Out" }), -EACCES);
	ck_assert_int_eq(device_nvram_edit_settings(&r.dev, edit_gp4_output, NULL), -EACCES);
	for (unsigned i = 1; i <= MCP2210_PASSWORD_ATTEMPTS_MAX; i++) {
		ck_assert_int_eq(device_nvram_unlock(&r.dev, "wrongpw1"), -EACCES);
		ck_assert_uint_eq(password_attempts(&r), i);
	}
	ck_assert_int_eq(device_nvram_unlock(&r.dev, "wrongpw6"), -EPERM);
	ck_assert_int_eq(device_nvram_unlock(&r.dev, "secret12"), -EPERM);
	ck_assert_uint_eq(password_attempts(&r), MCP2210_PASSWORD_ATTEMPTS_MAX);
	ck_assert(!r.dev.have_password);
	ck_assert_int_eq(device_eeprom_write(&r.dev, 0, &byte, 1), -EACCES);
	emu_power_cycle(r.emu);
	ck_assert_uint_eq(password_attempts(&r), 0);
	ck_assert_int_eq(device_nvram_unlock(&r.dev, "secret12"), 0);
	rig_down(&r);
}
END_TEST

/* The right password allows writes, and is remembered: after another power-up the next write
 * gives it again by itself (one 0x70), and the chip block written keeps it. */
START_TEST(test_unlock_remembered)
{
	const uint8_t byte = 0x42;
	uint8_t got = 0, mode = 1;
	uint64_t passwords;
	struct rig r;

	rig_up(&r);
	protect_and_forget(&r);
	ck_assert_int_eq(device_nvram_unlock(&r.dev, "secret12"), 0);
	ck_assert(r.dev.have_password);
	ck_assert_int_eq(device_eeprom_write(&r.dev, 0, &byte, 1), 1);
	ck_assert_int_eq(device_eeprom_read(&r.dev, 0, &got, 1), 1);
	ck_assert_uint_eq(got, byte);
	emu_power_cycle(r.emu);
	device_invalidate(&r.dev);
	passwords = chip_commands(&r, MCP2210_CMD_SEND_PASSWORD);
	ck_assert_int_eq(device_nvram_edit_settings(&r.dev, edit_gp4_output, NULL), 0);
	ck_assert_uint_eq(chip_commands(&r, MCP2210_CMD_SEND_PASSWORD) - passwords, 1);
	ck_assert_int_eq(device_nvram_edit_settings(&r.dev, edit_spi_mode, &mode), 0);
	/* the chip block was rewritten with the password: it still unlocks a fresh power-up */
	device_forget_password(&r.dev);
	emu_power_cycle(r.emu);
	ck_assert_int_eq(device_nvram_unlock(&r.dev, "wrongpw1"), -EACCES);
	ck_assert_int_eq(device_nvram_unlock(&r.dev, "secret12"), 0);
	ck_assert_int_eq(device_nvram_set_access(&r.dev, MCP2210_ACCESS_NONE), 0);
	rig_down(&r);
}
END_TEST

/* On a chip that is not protected 0x70 succeeds (p. 32) and nothing is remembered; protection
 * cannot be asked for without a password to give the chip. */
START_TEST(test_unlock_unprotected)
{
	uint8_t access = 0xFF;
	struct rig r;

	rig_up(&r);
	ck_assert_int_eq(device_nvram_unlock(&r.dev, "anything"), 0);
	ck_assert(!r.dev.have_password);
	ck_assert_int_eq(device_nvram_set_access(&r.dev, MCP2210_ACCESS_PASSWORD), -EPERM);
	ck_assert_int_eq(device_nvram_access(&r.dev, &access), 0);
	ck_assert_uint_eq(access, MCP2210_ACCESS_NONE);
	rig_down(&r);
}
END_TEST

/* ---- the host's loop against other plausible chips ---------------------------------------- */

/* A loopback chip scripted to answer as silicon might (DS22288A p. 55): 0xF8 to every
 * busy_every-th request (chunks and polls alike), polls answered 0x30 with at most poll_bytes
 * of a chunk at a time, or 0x10 too early (a chip whose bytes-per-transaction is not n). */
struct fake_chip {
	uint8_t data[MCP2210_SPI_TRANSACTION_MAX];
	size_t n, taken, given;
	unsigned requests, busy_every, poll_bytes;
	bool early_finish;
};

static int fake_exchange(void *ctx, const mcp2210_report req, mcp2210_report resp)
{
	struct fake_chip *c = ctx;
	struct mcp2210_spi_chunk rx = { .engine = MCP2210_ENGINE_STARTED };
	size_t len = req[1], m = c->taken - c->given;

	ck_assert_uint_eq(req[0], 0x42);
	if (c->busy_every && ++c->requests % c->busy_every == 0) {
		proto_answer_status(resp, 0x42, MCP2210_STATUS_BUSY);
		return 0;
	}
	if (c->taken > 0) {
		if (len == 0 && c->poll_bytes && m > c->poll_bytes)
			m = c->poll_bytes;
		rx.len = (uint8_t)m;
		memcpy(rx.data, c->data + c->given, m);
		c->given += m;
		rx.engine = c->early_finish || (len == 0 && c->given == c->n) ? MCP2210_ENGINE_FINISHED
										: MCP2210_ENGINE_PENDING;
	}
	if (len > c->n - c->taken)
		len = c->n - c->taken;
	memcpy(c->data + c->taken, req + 4, len);
	c->taken += len;
	proto_answer_spi_transfer(resp, &rx);
	return 0;
}

static const struct spi_xfer_limits fake_limits = { .busy_max = 3, .idle_polls_max = 3 };

/* 0xF8 answers mid-transfer, to chunks and polls: byte-exact, one exchange more per 0xF8. */
START_TEST(test_spi_xfer_busy_mid_transfer)
{
	static struct fake_chip c = { .n = 65535, .busy_every = 7 };
	static uint8_t tx[65535], rx[65535];
	struct spi_xfer_stats st = { 0 };

	for (size_t i = 0; i < sizeof(tx); i++)
		tx[i] = (uint8_t)(i * 31 + (i >> 8));
	ck_assert_int_eq(spi_xfer_run(fake_exchange, &c, tx, rx, sizeof(tx), &fake_limits, &st), 65535);
	ck_assert_mem_eq(rx, tx, sizeof(tx));
	ck_assert_uint_gt(st.busy, 100);
	ck_assert_uint_eq(st.exchanges, (65535 + 59) / 60 + 1 + st.busy);
}
END_TEST

/* Polls answered with a few bytes of a chunk at a time (0x30), then 0x10: byte-exact. */
START_TEST(test_spi_xfer_partial_polls)
{
	static struct fake_chip c = { .n = 1000, .poll_bytes = 7 };
	uint8_t tx[1000], rx[1000];
	struct spi_xfer_stats st = { 0 };

	for (size_t i = 0; i < sizeof(tx); i++)
		tx[i] = (uint8_t)(i ^ 0x5A);
	ck_assert_int_eq(spi_xfer_run(fake_exchange, &c, tx, rx, sizeof(tx), &fake_limits, &st), 1000);
	ck_assert_mem_eq(rx, tx, sizeof(tx));
	ck_assert_uint_eq(st.exchanges, 17 + (40 + 6) / 7); /* 17 chunks, the last 40 bytes by 7 */
}
END_TEST

/* "Finished" before the last chunk: -EPROTO at once, no chunk sent into a new transaction. */
START_TEST(test_spi_xfer_finished_too_early)
{
	static struct fake_chip c = { .n = 200, .early_finish = true };
	uint8_t tx[200] = { 0 }, rx[200];
	struct spi_xfer_stats st = { 0 };

	ck_assert_int_eq(spi_xfer_run(fake_exchange, &c, tx, rx, sizeof(tx), &fake_limits, &st), -EPROTO);
	ck_assert_uint_eq(st.exchanges, 2);
}
END_TEST

/* No answer: -ETIMEDOUT, and the next operation works. A late answer is drained. */
START_TEST(test_timeout_then_in_step)
{
	struct rig r;
	uint16_t levels;

	rig_up(&r);
	emu_fault_arm(r.emu, EMU_FAULT_NO_ANSWER, 1);
	ck_assert_int_eq(device_gpio_levels(&r.dev, &levels), -ETIMEDOUT);
	ck_assert_int_eq(device_gpio_levels(&r.dev, &levels), 0);
	/* the write's own exchange answers late: the chip acted, the caller hears ETIMEDOUT */
	ck_assert_int_eq(device_chip_settings(&r.dev, &(struct mcp2210_chip_settings){ 0 }), 0);
	emu_fault_arm(r.emu, EMU_FAULT_LATE_ANSWER, 1);
	ck_assert_int_eq(device_gpio_write(&r.dev, 4, true), -ETIMEDOUT);
	ck_assert_int_eq(device_gpio_levels(&r.dev, &levels), 0);
	ck_assert_uint_eq(levels >> 4 & 1, 1);
	ck_assert_uint_ge(r.dev.stats.drained, 1);
	rig_down(&r);
}
END_TEST

/* A wrong echo or a garbled answer is EIO; the one after is right. */
START_TEST(test_bad_answers_are_eio)
{
	struct rig r;
	uint16_t levels;

	rig_up(&r);
	emu_fault_arm(r.emu, EMU_FAULT_WRONG_ECHO, 1);
	ck_assert_int_eq(device_gpio_levels(&r.dev, &levels), -EIO);
	emu_fault_arm(r.emu, EMU_FAULT_CORRUPT, 1);
	ck_assert_int_eq(device_gpio_levels(&r.dev, &levels), -EIO);
	ck_assert_int_eq(device_gpio_levels(&r.dev, &levels), 0);
	rig_down(&r);
}
END_TEST

/* Busy a few times is retried unseen; busy beyond the bound is EBUSY. */
START_TEST(test_busy_retried_then_ebusy)
{
	struct rig r;
	uint16_t levels;

	rig_up(&r);
	emu_fault_arm(r.emu, EMU_FAULT_BUSY, 3);
	ck_assert_int_eq(device_gpio_levels(&r.dev, &levels), 0);
	ck_assert_uint_eq(r.dev.stats.retries, 3);
	emu_fault_arm(r.emu, EMU_FAULT_BUSY, DEVICE_DEFAULT_BUSY_RETRIES + 1);
	ck_assert_int_eq(device_gpio_levels(&r.dev, &levels), -EBUSY);
	ck_assert_int_eq(device_gpio_levels(&r.dev, &levels), 0);
	rig_down(&r);
}
END_TEST

/* Unplugged mid-transaction: ENODEV at once. */
START_TEST(test_unplug_is_enodev)
{
	struct rig r;
	uint8_t tx[600] = { 0 }, rx[600];

	rig_up(&r);
	emu_fault_arm(r.emu, EMU_FAULT_DISCONNECT, 3);
	ck_assert_int_eq(device_spi_transfer(&r.dev, NULL, tx, rx, sizeof(tx)), -ENODEV);
	ck_assert_int_eq(device_gpio_write(&r.dev, 4, true), -ENODEV);
	rig_down(&r);
}
END_TEST

/* A chip a vanished host left mid-transfer is put right by device_recover(). */
START_TEST(test_recover_stuck_chip)
{
	struct rig r;
	uint8_t tx[100] = { 1, 2, 3 }, rx[100];
	mcp2210_report req, resp;

	rig_up(&r);
	ck_assert_int_eq(device_spi_transfer(&r.dev, NULL, tx, rx, 4), 4);
	ck_assert_int_eq(proto_encode_spi_transfer(req, tx, 2), 0);
	ck_assert_int_eq(device_exchange(&r.dev, req, resp), 0); /* 2 of 4 bytes, then gone */
	emu_host_vanished(r.emu);
	device_invalidate(&r.dev);
	ck_assert_int_eq(device_recover(&r.dev), 0);
	ck_assert_int_eq(device_spi_transfer(&r.dev, NULL, tx, rx, 4), 4);
	ck_assert_mem_eq(rx, tx, 4);
	rig_down(&r);
}
END_TEST

/* A cancelled job stops its SPI transaction between exchanges, sends 0x11, and the next
 * transaction is unaffected. */
static int cancelled_spi_job(void *ctx, struct worker_job *job)
{
	struct rig *r = ctx;
	static uint8_t tx[6000], rx[6000];

	atomic_store(&job->cancel, true); /* as if the caller was interrupted at once */
	return (int)device_spi_transfer(&r->dev, job, tx, rx, sizeof(tx));
}

START_TEST(test_cancel_aborts_transfer)
{
	struct rig r;
	struct worker *w;
	struct worker_job job = { .run = cancelled_spi_job };
	uint8_t tx[8] = { 8, 7, 6, 5, 4, 3, 2, 1 }, rx[8];

	rig_up(&r);
	ck_assert_int_eq(worker_start(&r, 4, &w), 0);
	ck_assert_int_eq(worker_call(w, &job, 5000), -EINTR);
	worker_stop(w);
	ck_assert_int_eq(device_spi_transfer(&r.dev, NULL, tx, rx, sizeof(tx)), (ssize_t)sizeof(tx));
	ck_assert_mem_eq(rx, tx, sizeof(tx));
	rig_down(&r);
}
END_TEST

/* A transport in front of the emulator's that loses the next cancel (0x11) it is given. */
struct lose_cancel {
	struct transport base;
	struct transport *inner;
	struct emu *emu;
	bool armed;
};

static int lose_cancel_exchange(struct transport *t, const mcp2210_report req, mcp2210_report resp, unsigned ms)
{
	struct lose_cancel *l = (struct lose_cancel *)t;

	if (l->armed && req[0] == MCP2210_CMD_CANCEL_SPI) {
		l->armed = false;
		emu_fault_arm(l->emu, EMU_FAULT_NO_ANSWER, 1);
	}
	return transport_exchange(l->inner, req, resp, ms);
}

static int lose_cancel_drain(struct transport *t) { return transport_drain(((struct lose_cancel *)t)->inner); }

static void lose_cancel_free(struct transport *t) { (void)t; }

static const struct transport_ops lose_cancel_ops = {
	.name = "lose-cancel", .exchange = lose_cancel_exchange, .drain = lose_cancel_drain, .free = lose_cancel_free,
};

/* A transaction fails mid-way and the cancel sent after it is lost too: the chip is still in
 * that transaction and refuses new SPI settings (0xF8) until it gets a cancel. The next
 * transaction must send that cancel first, whatever its length, instead of failing with EBUSY
 * until the chip is power cycled (found by the soak test). */
START_TEST(test_lost_cancel_resent)
{
	struct rig r;
	struct lose_cancel l = { .base = { .ops = &lose_cancel_ops, .in_first = true } };
	uint8_t tx[600], rx[600];
	struct mcp2210_spi_settings ss;

	rig_up(&r);
	l.inner = r.t;
	l.emu = r.emu;
	r.dev.transport = &l.base;
	ck_assert_int_eq(device_spi_settings(&r.dev, &ss), 0);
	ss.cs_active = 0x1FF & ~(1u << 1);
	ss.bitrate = 12000000;
	ck_assert_int_eq(device_set_spi_settings(&r.dev, &ss), 0);
	for (size_t i = 0; i < sizeof(tx); i++)
		tx[i] = (uint8_t)(i * 7 + 1);
	emu_fault_arm(r.emu, EMU_FAULT_SPI_STALL, 1);
	l.armed = true;
	ck_assert_int_eq(device_spi_transfer(&r.dev, NULL, tx, rx, sizeof(tx)), -EBUSY);
	ck_assert(!l.armed); /* the cancel was sent, and lost */
	ck_assert_int_eq(device_spi_transfer(&r.dev, NULL, tx, rx, 100), 100);
	ck_assert_mem_eq(rx, tx, 100);
	ck_assert_int_eq(device_spi_transfer(&r.dev, NULL, tx, rx, sizeof(tx)), (ssize_t)sizeof(tx));
	ck_assert_mem_eq(rx, tx, sizeof(tx));
	rig_down(&r);
}
END_TEST

static Suite *device_suite(void)
{
	Suite *s = suite_create("device");
	TCase *tc = tcase_create("operations");

	tcase_add_test(tc, test_gpio_one_exchange);
	tcase_add_test(tc, test_gpio_write_needs_output);
	tcase_add_test(tc, test_nvram_access_now);
	tcase_add_test(tc, test_gpio_direction_high);
	tcase_add_test(tc, test_spi_exchange_count);
	tcase_add_test(tc, test_spi_slow_clock_paced);
	tcase_add_test(tc, test_spi_bitrate_echo);
	tcase_add_test(tc, test_spi_keeps_cs_high_bits);
	tcase_add_test(tc, test_spi_xfer_busy_mid_transfer);
	tcase_add_test(tc, test_spi_xfer_partial_polls);
	tcase_add_test(tc, test_spi_xfer_finished_too_early);
	suite_add_tcase(s, tc);
	tc = tcase_create("memory");
	tcase_add_test(tc, test_eeprom_cache_readback);
	tcase_add_test(tc, test_eeprom_silent_write_is_eio);
	tcase_add_test(tc, test_nvram_verify);
	tcase_add_test(tc, test_nvram_no_change_no_write);
	tcase_add_test(tc, test_unlock_wrong_password);
	tcase_add_test(tc, test_unlock_remembered);
	tcase_add_test(tc, test_unlock_unprotected);
	suite_add_tcase(s, tc);
	tc = tcase_create("failures");
	tcase_add_test(tc, test_timeout_then_in_step);
	tcase_add_test(tc, test_bad_answers_are_eio);
	tcase_add_test(tc, test_busy_retried_then_ebusy);
	tcase_add_test(tc, test_unplug_is_enodev);
	tcase_add_test(tc, test_recover_stuck_chip);
	tcase_add_test(tc, test_cancel_aborts_transfer);
	tcase_add_test(tc, test_lost_cancel_resent);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(device_suite)
