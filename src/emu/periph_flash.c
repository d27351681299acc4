/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A 25-series SPI NOR flash modelled on the Winbond W25Q80 (1 MiB, JEDEC ID EF 40 14).
 * Program and erase act when CS is released and keep the part busy for the datasheet's
 * typical time, measured in the emulator's virtual time.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/periph.h"

enum flash_instr {
	FLASH_PAGE_PROGRAM = 0x02,
	FLASH_READ = 0x03,
	FLASH_WRITE_DISABLE = 0x04,
	FLASH_READ_STATUS = 0x05,
	FLASH_WRITE_ENABLE = 0x06,
	FLASH_SECTOR_ERASE = 0x20,
	FLASH_CHIP_ERASE_ALT = 0x60,
	FLASH_JEDEC_ID = 0x9f,
	FLASH_CHIP_ERASE = 0xc7,
};

#define FLASH_STATUS_BUSY 0x01
#define FLASH_STATUS_WEL 0x02
#define FLASH_ADDR_MASK (EMU_FLASH_SIZE - 1)
#define FLASH_ADDR_BYTES 3

/* Manufacturer Winbond, memory type SPI NOR, capacity 2^0x14 bytes. */
static const uint8_t flash_jedec_id[] = { 0xef, 0x40, 0x14 };

/* What one CS-low period has seen; reset when CS goes active. */
struct flash_selection {
	bool ignored;    /* wrong SPI mode, or an instruction other than 0x05 while busy */
	uint8_t instr;   /* 0: no instruction byte yet (0x00 is not an instruction either) */
	uint64_t nbytes; /* bytes clocked, the instruction included */
	uint32_t addr;   /* the address bytes, then the read pointer */
};

struct flash {
	struct emu_periph base;
	/* The complement of the array: calloc()ed zero pages read as erased 0xFF bytes and cost
	 * no memory until something is programmed there. */
	uint8_t *inv;
	bool wel;
	uint64_t busy_until_ns;
	struct flash_selection sel;
	uint8_t page[EMU_FLASH_PAGE]; /* page program data by column, 0xFF where none was sent */
};

static uint8_t flash_get(const struct flash *f, uint32_t addr)
{
	return (uint8_t)~f->inv[addr & FLASH_ADDR_MASK];
}

static bool flash_busy(const struct flash *f, uint64_t now_ns)
{
	return now_ns < f->busy_until_ns;
}

static uint8_t flash_status(const struct flash *f, uint64_t now_ns)
{
	return (flash_busy(f, now_ns) ? FLASH_STATUS_BUSY : 0) | (f->wel ? FLASH_STATUS_WEL : 0);
}

static void flash_program(struct flash *f)
{
	uint32_t start = f->sel.addr & FLASH_ADDR_MASK & ~(EMU_FLASH_PAGE - 1);

	/* Programming only clears bits: new = old & data, so ~new = ~old | ~data. */
	for (uint32_t i = 0; i < EMU_FLASH_PAGE; i++)
		f->inv[start + i] |= (uint8_t)~f->page[i];
}

static void flash_erase(struct flash *f, uint32_t start, uint32_t len)
{
	/* Writing only bytes not yet erased keeps never-programmed memory unallocated. */
	for (uint32_t i = start; i < start + len; i++)
		if (f->inv[i])
			f->inv[i] = 0;
}

/* Runs the program or erase the selection asked for; returns how long the part is then busy,
 * 0 when nothing was done. */
static uint64_t flash_execute(struct flash *f)
{
	/* Page program needs at least one data byte. Erases run only when CS rises right after
	 * their last byte (W25Q80 datasheet, Sector Erase and Chip Erase). */
	switch (f->sel.instr) {
	case FLASH_PAGE_PROGRAM:
		if (f->sel.nbytes < 1 + FLASH_ADDR_BYTES + 1)
			return 0;
		flash_program(f);
		return EMU_FLASH_PROGRAM_NS;
	case FLASH_SECTOR_ERASE:
		if (f->sel.nbytes != 1 + FLASH_ADDR_BYTES)
			return 0;
		flash_erase(f, f->sel.addr & FLASH_ADDR_MASK & ~(EMU_FLASH_SECTOR - 1), EMU_FLASH_SECTOR);
		return EMU_FLASH_SECTOR_ERASE_NS;
	case FLASH_CHIP_ERASE:
	case FLASH_CHIP_ERASE_ALT:
		if (f->sel.nbytes != 1)
			return 0;
		flash_erase(f, 0, EMU_FLASH_SIZE);
		return EMU_FLASH_CHIP_ERASE_NS;
	default:
		return 0;
	}
}

static void flash_select(struct emu_periph *p, unsigned mode, uint64_t now_ns)
{
	struct flash *f = (struct flash *)p;

	(void)now_ns;
	/* The part samples on the rising edge: in modes 1 and 2 it sees garbage. */
	f->sel = (struct flash_selection){ .ignored = mode == 1 || mode == 2 };
}

static uint8_t flash_transfer(struct emu_periph *p, uint8_t mosi, uint64_t now_ns)
{
	struct flash *f = (struct flash *)p;
	uint64_t n = f->sel.nbytes++;

	if (f->sel.ignored)
		return 0xff;
	if (n == 0) {
		/* While busy the part accepts nothing but Read Status Register. */
		if (flash_busy(f, now_ns) && mosi != FLASH_READ_STATUS) {
			f->sel.ignored = true;
			return 0xff;
		}
		f->sel.instr = mosi;
		if (mosi == FLASH_PAGE_PROGRAM)
			memset(f->page, 0xff, sizeof(f->page));
		return 0xff;
	}

	switch (f->sel.instr) {
	case FLASH_JEDEC_ID:
		return n <= sizeof(flash_jedec_id) ? flash_jedec_id[n - 1] : 0xff;
	case FLASH_READ_STATUS:
		return flash_status(f, now_ns);
	case FLASH_READ:
	case FLASH_PAGE_PROGRAM:
	case FLASH_SECTOR_ERASE:
		if (n <= FLASH_ADDR_BYTES) {
			f->sel.addr = f->sel.addr << 8 | mosi;
			return 0xff;
		}
		if (f->sel.instr == FLASH_READ)
			return flash_get(f, f->sel.addr++);
		/* Data past the end of the page wraps to its start (W25Q80 datasheet, Page
		 * Program): later bytes overwrite earlier ones in the same column. */
		if (f->sel.instr == FLASH_PAGE_PROGRAM)
			f->page[(f->sel.addr + (n - 1 - FLASH_ADDR_BYTES)) % EMU_FLASH_PAGE] = mosi;
		return 0xff;
	default:
		return 0xff;
	}
}

static void flash_deselect(struct emu_periph *p, uint64_t now_ns)
{
	struct flash *f = (struct flash *)p;
	uint64_t busy_ns;

	if (f->sel.ignored)
		return;
	if (f->sel.instr == FLASH_WRITE_ENABLE) {
		f->wel = true;
	} else if (f->sel.instr == FLASH_WRITE_DISABLE) {
		f->wel = false;
	} else if (f->wel) {
		busy_ns = flash_execute(f);
		if (busy_ns) {
			f->wel = false;
			f->busy_until_ns = now_ns + busy_ns;
		}
	}
}

static int flash_describe(const struct emu_periph *p, uint64_t now_ns, char *buf, size_t size)
{
	const struct flash *f = (const struct flash *)p;

	return snprintf(buf, size, "type=flash jedec=%02x%02x%02x status=0x%02x busy=%d wel=%d",
			flash_jedec_id[0], flash_jedec_id[1], flash_jedec_id[2], flash_status(f, now_ns),
			flash_busy(f, now_ns), f->wel);
}

static void flash_free(struct emu_periph *p)
{
	struct flash *f = (struct flash *)p;

	free(f->inv);
	free(f);
}

static const struct emu_periph_ops flash_ops = {
	.type = "flash",
	.select = flash_select,
	.transfer = flash_transfer,
	.deselect = flash_deselect,
	.describe = flash_describe,
	.free = flash_free,
};

struct emu_periph *emu_flash_new(void)
{
	struct flash *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->inv = calloc(EMU_FLASH_SIZE, 1);
	if (!f->inv)
		goto err_free_flash;
	f->base.ops = &flash_ops;
	return &f->base;

err_free_flash:
	free(f);
	return NULL;
}

/* Passing another type of peripheral is a programming error. */
static const struct flash *flash_of(const struct emu_periph *p)
{
	assert(p->ops == &flash_ops);
	return (const struct flash *)p;
}

void emu_flash_peek(const struct emu_periph *p, uint32_t addr, uint8_t *buf, size_t len)
{
	const struct flash *f = flash_of(p);

	for (size_t i = 0; i < len; i++)
		buf[i] = flash_get(f, (uint32_t)(addr + i));
}

bool emu_flash_busy(const struct emu_periph *p, uint64_t now_ns)
{
	return flash_busy(flash_of(p), now_ns);
}
