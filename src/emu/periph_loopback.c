/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A wire from MOSI to MISO: every byte clocked out comes straight back, in any SPI mode.
 * It counts the bytes it has seen so a test or demo can tell traffic reached it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "emu/periph.h"

struct loopback {
	struct emu_periph base;
	uint64_t bytes;
};

static void loopback_select(struct emu_periph *p, unsigned mode, uint64_t now_ns)
{
	(void)p;
	(void)mode;
	(void)now_ns;
}

static uint8_t loopback_transfer(struct emu_periph *p, uint8_t mosi, uint64_t now_ns)
{
	struct loopback *l = (struct loopback *)p;

	(void)now_ns;
	l->bytes++;
	return mosi;
}

static void loopback_deselect(struct emu_periph *p, uint64_t now_ns)
{
	(void)p;
	(void)now_ns;
}

static int loopback_describe(const struct emu_periph *p, uint64_t now_ns, char *buf, size_t size)
{
	const struct loopback *l = (const struct loopback *)p;

	(void)now_ns;
	return snprintf(buf, size, "type=loopback bytes=%" PRIu64, l->bytes);
}

static void loopback_free(struct emu_periph *p)
{
	free(p);
}

static const struct emu_periph_ops loopback_ops = {
	.type = "loopback",
	.select = loopback_select,
	.transfer = loopback_transfer,
	.deselect = loopback_deselect,
	.describe = loopback_describe,
	.free = loopback_free,
};

struct emu_periph *emu_loopback_new(void)
{
	struct loopback *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->base.ops = &loopback_ops;
	return &l->base;
}
