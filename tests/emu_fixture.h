/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared helpers for the emulator's Check tests: make an emulator, run one exchange and check
 * it went through, and SPI transactions through the host's spi_xfer_run().
 */
#ifndef MCP2210FS_TESTS_EMU_FIXTURE_H
#define MCP2210FS_TESTS_EMU_FIXTURE_H

#include <check.h>

#include "emu/emu.h"
#include "device_spi_xfer.h"

/* A fresh emulator with no state file; frame_ns 0 switches the timing model off. */
struct emu *fx_emu_new(uint64_t frame_ns);
/* A fresh emulator with a state file in a new temporary directory (path written to path). */
struct emu *fx_emu_new_with_state(char *path, size_t size);

/* One exchange, IN submitted first; fails the test if the emulator does not answer. */
void fx_xchg(struct emu *e, const mcp2210_report req, mcp2210_report resp);
/* 0x51: write one user EEPROM byte; returns the answer's status byte. */
uint8_t fx_write_eeprom(struct emu *e, uint8_t addr, uint8_t value);
/* 0x50: the user EEPROM byte at addr (the answer checked). */
uint8_t fx_read_eeprom(struct emu *e, uint8_t addr);

/* Send a request whose leading bytes are head (the rest 0) and get the answer. */
void fx_raw(struct emu *e, mcp2210_report resp, const uint8_t *head, size_t len);
#define FX_RAW(e, resp, ...) \
	fx_raw(e, resp, (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))
/* The answer echoes cmd and carries status. */
void fx_expect(const mcp2210_report resp, uint8_t cmd, uint8_t status);

/* Designate pins (bit n = GPn) as chip selects, everything else GPIO input. */
void fx_use_cs(struct emu *e, uint16_t cs_pins);
/* Give one pin another designation (0x20, then 0x21 with everything else as read). GP8 with
 * MCP2210_PIN_DEDICATED is the bus release request an external master asserts. */
void fx_designate(struct emu *e, unsigned pin, uint8_t function);
/* Live SPI settings: bitrate, mode, chip selects active low on cs_pins, N bytes per transaction. */
void fx_spi_setup(struct emu *e, uint32_t bitrate, uint8_t mode, uint16_t cs_pins, uint16_t n);

/* One SPI transaction of n bytes on the current settings (bytes per transaction must already be
 * n); returns the number of bytes received, or -errno. */
long fx_spi_transfer(struct emu *e, const uint8_t *tx, uint8_t *rx, size_t n, struct spi_xfer_stats *st);
/* Same, but first sets bytes per transaction to n with 0x40 (one more exchange). */
long fx_spi_xfer(struct emu *e, const uint8_t *tx, uint8_t *rx, size_t n, struct spi_xfer_stats *st);

#endif
