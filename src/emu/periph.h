/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SPI peripherals the emulated MCP2210 can have on its chip-select lines. A peripheral sees
 * what a real part sees: CS going active, one byte per 8 clocks (MOSI in, MISO out) and CS
 * going inactive, each with the emulator's virtual time in nanoseconds.
 */
#ifndef MCP2210FS_EMU_PERIPH_H
#define MCP2210FS_EMU_PERIPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct emu_periph;

struct emu_periph_ops {
	const char *type; /* "loopback", "flash", "shiftreg" */
	/* CS went active. mode is the SPI mode 0..3 the bridge clocks with. */
	void (*select)(struct emu_periph *p, unsigned mode, uint64_t now_ns);
	/* One byte while selected: returns what the part drives on MISO. */
	uint8_t (*transfer)(struct emu_periph *p, uint8_t mosi, uint64_t now_ns);
	/* CS went inactive: the moment 25-series flashes and 74HC595s act. */
	void (*deselect)(struct emu_periph *p, uint64_t now_ns);
	/* One line of "key=value" pairs describing the visible state, for tests and demos.
	 * Returns the length snprintf would, like snprintf. */
	int (*describe)(const struct emu_periph *p, uint64_t now_ns, char *buf, size_t size);
	void (*free)(struct emu_periph *p);
};

struct emu_periph {
	const struct emu_periph_ops *ops;
};

/* Constructors return NULL when out of memory. */
struct emu_periph *emu_loopback_new(void);

/* A 25-series serial flash (W25Q80-like, 1 MiB, JEDEC ID EF 40 14): 0x9F JEDEC ID, 0x03 read,
 * 0x05 status (bit 0 BUSY, bit 1 WEL), 0x06 write enable, 0x04 write disable, 0x02 page program
 * (wraps within its 256-byte page), 0x20 4 KiB sector erase, 0xC7/0x60 chip erase.
 * Program and erase run on CS release when WEL is set and keep BUSY for a simulated time. */
#define EMU_FLASH_SIZE (1u << 20)
#define EMU_FLASH_PAGE 256u
#define EMU_FLASH_SECTOR 4096u
#define EMU_FLASH_PROGRAM_NS 700000ull     /* tPP, typical */
#define EMU_FLASH_SECTOR_ERASE_NS 45000000ull /* tSE, typical */
#define EMU_FLASH_CHIP_ERASE_NS 2000000000ull /* tCE, typical for 1 MiB */
struct emu_periph *emu_flash_new(void);
/* Direct access for tests and the demo: copy out len bytes at addr (wrapping at the end). */
void emu_flash_peek(const struct emu_periph *p, uint32_t addr, uint8_t *buf, size_t len);
bool emu_flash_busy(const struct emu_periph *p, uint64_t now_ns);

/* A chain of 1..4 74HC595 shift registers with SRCLK on SCK, SER on MOSI, QH' on MISO and RCLK
 * on CS: the outputs latch what was shifted in when CS rises. */
#define EMU_SHIFTREG_MAX_CHAIN 4
struct emu_periph *emu_shiftreg_new(unsigned chain_len);
/* The latched outputs, first register of the chain in bits 0..7. */
uint32_t emu_shiftreg_outputs(const struct emu_periph *p);

void emu_periph_free(struct emu_periph *p);

#endif
