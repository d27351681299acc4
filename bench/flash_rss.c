/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated 25-series flash's memory cost while untouched: its array is the complement of
 * what the flash holds, so an erased flash is calloc()ed zero pages that the kernel need not
 * back. How much of that the resident set shows is the allocator's and the kernel's business,
 * so it is a figure for `make bench`, not an assertion of a unit test.
 */
#include <math.h>
#include <stdint.h>
#include <unistd.h>

#include "emu/periph.h"
#include "flash_rss.h"
#include "mnt.h"

static void send(struct emu_periph *p, const uint8_t *bytes, size_t n)
{
	p->ops->select(p, 0, 0);
	for (size_t i = 0; i < n; i++)
		p->ops->transfer(p, bytes[i], 0);
	p->ops->deselect(p, 0);
}

double bench_flash_rss_growth_mib(void)
{
	static const uint8_t read_cmd[] = { 0x03, 0, 0, 0 }, wren = 0x06, chip_erase = 0xc7;
	double before = mnt_proc_rss_mib(getpid()), after;
	struct emu_periph *p;

	if (isnan(before) || !(p = emu_flash_new()))
		return -1;
	/* Read the whole array in one selection, then chip-erase it. */
	p->ops->select(p, 0, 0);
	for (size_t i = 0; i < sizeof(read_cmd); i++)
		p->ops->transfer(p, read_cmd[i], 0);
	for (uint32_t i = 0; i < EMU_FLASH_SIZE; i++)
		p->ops->transfer(p, 0, 0);
	p->ops->deselect(p, 0);
	send(p, &wren, 1);
	send(p, &chip_erase, 1);
	after = mnt_proc_rss_mib(getpid());
	emu_periph_free(p);
	return isnan(after) ? -1 : after - before;
}
