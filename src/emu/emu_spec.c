/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Wiring SPI peripherals to the emulated chip from a text spec, "TYPE@CS[:TYPE@CS...]", as the
 * daemon's -o peripherals= option and the tests give it. All or nothing.
 */
#include <errno.h>
#include <string.h>

#include "emu/emu_internal.h"

static struct emu_periph *shiftreg_new(void) { return emu_shiftreg_new(1); }

typedef struct emu_periph *(*periph_ctor)(void);

static periph_ctor find_type(const char *type, size_t len)
{
	static const struct {
		const char *name;
		periph_ctor make;
	} types[] = {
		{ "loopback", emu_loopback_new },
		{ "flash", emu_flash_new },
		{ "shiftreg", shiftreg_new },
	};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (len == strlen(types[i].name) && strncmp(type, types[i].name, len) == 0)
			return types[i].make;
	return NULL;
}

int emu_attach_spec(struct emu *e, const char *spec)
{
	struct emu_periph *made[EMU_CS_LINES] = { 0 };
	const char *p = spec;
	int ret = 0;

	while (*p && !ret) {
		size_t len = strcspn(p, ":,");
		const char *at = memchr(p, '@', len);
		periph_ctor make = at ? find_type(p, (size_t)(at - p)) : NULL;
		unsigned cs;

		/* TYPE@D, one digit 0..7 */
		if (!make || at + 2 != p + len || at[1] < '0' || at[1] > '7') {
			ret = -EINVAL;
			break;
		}
		cs = (unsigned)(at[1] - '0');
		if (made[cs] || emu_periph_at(e, cs)) {
			ret = -EBUSY;
			break;
		}
		made[cs] = make();
		if (!made[cs])
			ret = -ENOMEM;
		p += len;
		if (*p)
			p++;
	}
	for (unsigned cs = 0; cs < EMU_CS_LINES; cs++) {
		if (!made[cs])
			continue;
		if (ret)
			emu_periph_free(made[cs]);
		else
			ret = emu_attach(e, cs, made[cs]);
	}
	return ret;
}
