/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What every emulated SPI peripheral shares. Each type lives in its own periph_<type>.c
 * behind a struct emu_periph_ops.
 */
#include "emu/periph.h"

void emu_periph_free(struct emu_periph *p)
{
	if (p)
		p->ops->free(p);
}
