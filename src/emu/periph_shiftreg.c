/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A daisy chain of 74HC595s: SER = MOSI, SRCLK = SCK, QH' of the last register = MISO and
 * RCLK = CS, so the outputs take what was shifted in when CS is released.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/periph.h"

struct shiftreg {
	struct emu_periph base;
	unsigned chain_len;
	bool ignored;                          /* this selection clocks on the wrong edge */
	uint8_t shift[EMU_SHIFTREG_MAX_CHAIN]; /* [0] is the register whose SER is MOSI */
	uint8_t latch[EMU_SHIFTREG_MAX_CHAIN]; /* the storage registers driving QA..QH */
};

static void shiftreg_select(struct emu_periph *p, unsigned mode, uint64_t now_ns)
{
	struct shiftreg *s = (struct shiftreg *)p;

	(void)now_ns;
	/* The 74HC595 shifts on the rising SRCLK edge: only modes 0 and 3 present data there. */
	s->ignored = mode == 1 || mode == 2;
}

/*
 * Bytes go MSB first, so after 8 clocks the first bit sent sits in QH and the byte reads
 * the same on QH..QA. The master samples QH' before each shifting edge: what it receives is
 * the old content of the last register, the oldest byte in the chain.
 */
static uint8_t shiftreg_transfer(struct emu_periph *p, uint8_t mosi, uint64_t now_ns)
{
	struct shiftreg *s = (struct shiftreg *)p;
	uint8_t out;

	(void)now_ns;
	if (s->ignored)
		return 0xff;
	out = s->shift[s->chain_len - 1];
	memmove(&s->shift[1], &s->shift[0], s->chain_len - 1);
	s->shift[0] = mosi;
	return out;
}

static void shiftreg_deselect(struct emu_periph *p, uint64_t now_ns)
{
	struct shiftreg *s = (struct shiftreg *)p;

	(void)now_ns;
	if (!s->ignored)
		memcpy(s->latch, s->shift, s->chain_len);
}

static uint32_t shiftreg_outputs(const struct shiftreg *s)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < s->chain_len; i++)
		v |= (uint32_t)s->latch[i] << (8 * i);
	return v;
}

static int shiftreg_describe(const struct emu_periph *p, uint64_t now_ns, char *buf, size_t size)
{
	const struct shiftreg *s = (const struct shiftreg *)p;

	(void)now_ns;
	return snprintf(buf, size, "type=shiftreg chain=%u outputs=0x%0*" PRIx32, s->chain_len,
			(int)(2 * s->chain_len), shiftreg_outputs(s));
}

static void shiftreg_free(struct emu_periph *p)
{
	free(p);
}

static const struct emu_periph_ops shiftreg_ops = {
	.type = "shiftreg",
	.select = shiftreg_select,
	.transfer = shiftreg_transfer,
	.deselect = shiftreg_deselect,
	.describe = shiftreg_describe,
	.free = shiftreg_free,
};

struct emu_periph *emu_shiftreg_new(unsigned chain_len)
{
	struct shiftreg *s;

	if (chain_len < 1 || chain_len > EMU_SHIFTREG_MAX_CHAIN)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->base.ops = &shiftreg_ops;
	s->chain_len = chain_len;
	return &s->base;
}

uint32_t emu_shiftreg_outputs(const struct emu_periph *p)
{
	assert(p->ops == &shiftreg_ops);
	return shiftreg_outputs((const struct shiftreg *)p);
}
