/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nvram/: the chip's power-up settings, USB identity and access control. Writes wear the
 * chip's flash, so the tree makes these files writable only with -o nvram=rw; a protected chip
 * is unlocked before each write with the password from -o password_file, or the one the chip
 * accepted through nvram/unlock (kept in memory for the mount, never shown or stored).
 */
#include <errno.h>
#include <string.h>

#include "fs.h"
#include "fs_settings_text.h"

/* ---- nvram/settings ---------------------------------------------------------------------- */

static int nv_settings_get_job(struct mount *m, void *arg)
{
	struct settings *s = arg;

	return device_nvram_settings(&m->dev, &s->chip, &s->spi);
}

static int nv_settings_show(struct mount *m, const struct fs_node *n, struct text *out)
{
	struct settings s = { 0 };
	int ret;

	(void)n;
	ret = mount_run(m, nv_settings_get_job, &s);
	if (ret == 0)
		settings_format(&s, out);
	return ret;
}

/* Parse on top of the power-up values and write, in one job (see device_nvram_edit_settings). */
static int nv_settings_set_job(struct mount *m, void *arg)
{
	return device_nvram_edit_settings(&m->dev, settings_parse_onto, arg);
}

static int nv_settings_store(struct mount *m, const struct fs_node *n, char *value)
{
	(void)n;
	return mount_run(m, nv_settings_set_job, value);
}

const struct fs_node_ops fs_nvram_settings_ops = { .show = nv_settings_show, .store = nv_settings_store, .size = TEXT_MAX, .multiline = true, .check = settings_check };

/* ---- nvram/usb --------------------------------------------------------------------------- */

static int usb_get_job(struct mount *m, void *arg) { return device_nvram_usb(&m->dev, arg); }

static int usb_show(struct mount *m, const struct fs_node *n, struct text *out)
{
	char man[128], prod[128];
	struct device_usb u = { 0 };
	int ret;

	(void)n;
	ret = mount_run(m, usb_get_job, &u);
	if (ret < 0)
		return ret;
	if (proto_usb_string_to_utf8(&u.manufacturer, man, sizeof(man)) < 0 ||
	    proto_usb_string_to_utf8(&u.product, prod, sizeof(prod)) < 0)
		return -EIO;
	text_printf(out, "vid=0x%04x\npid=0x%04x\npower=%s\nremote_wakeup=%d\ncurrent_ma=%u\nmanufacturer=%s\nproduct=%s\n",
		    u.key.vid, u.key.pid, u.key.power & MCP2210_POWER_SELF ? "self" : "bus",
		    u.key.power & MCP2210_POWER_REMOTE_WAKEUP ? 1 : 0, u.key.current_2ma * 2u, man, prod);
	return 0;
}

enum usb_key_name { U_VID, U_PID, U_POWER, U_WAKEUP, U_CURRENT, U_MANUFACTURER, U_PRODUCT, U_COUNT };

static const char *const usb_key_names[U_COUNT] = {
	"vid", "pid", "power", "remote_wakeup", "current_ma", "manufacturer", "product",
};

struct usb_parse {
	struct device_usb *u;
	bool seen[U_COUNT];
};

/* One "key=value" line of nvram/usb; each key at most once, like settings. */
static int usb_pair(void *ctx, const char *key, const char *value)
{
	static const char *const power_names[] = { "bus", "self" };
	struct usb_parse *p = ctx;
	struct mcp2210_usb_key *k = &p->u->key;
	int which = text_enum(key, usb_key_names, U_COUNT);
	unsigned long v = 0;
	bool wakeup;
	int power;

	if (which < 0 || p->seen[which])
		return -EINVAL;
	p->seen[which] = true;
	switch (which) {
	case U_VID:
	case U_PID:
		if (text_uint(value, 0, 0xFFFF, &v) < 0)
			return -EINVAL;
		*(which == U_VID ? &k->vid : &k->pid) = (uint16_t)v;
		return 0;
	case U_POWER:
		power = text_enum(value, power_names, 2);
		if (power < 0)
			return -EINVAL;
		k->power = (uint8_t)((k->power & MCP2210_POWER_REMOTE_WAKEUP) | (power ? MCP2210_POWER_SELF : MCP2210_POWER_BUS));
		return 0;
	case U_WAKEUP:
		if (text_bool(value, &wakeup) < 0)
			return -EINVAL;
		k->power = (uint8_t)((k->power & ~MCP2210_POWER_REMOTE_WAKEUP) | (wakeup ? MCP2210_POWER_REMOTE_WAKEUP : 0));
		return 0;
	case U_CURRENT:
		if (text_uint(value, 2, 510, &v) < 0 || v % 2)
			return -EINVAL;
		k->current_2ma = (uint8_t)(v / 2);
		return 0;
	default:
		return proto_usb_string_from_utf8(which == U_MANUFACTURER ? &p->u->manufacturer : &p->u->product, value) < 0
			       ? -EINVAL
			       : 0;
	}
}

/* The lines written, on top of the identity the chip holds (each key at most once). */
static int usb_parse(void *text, struct device_usb *u)
{
	struct usb_parse parse = { .u = u };

	return text_each_pair(text, usb_pair, &parse) < 0 ? -EINVAL : 0;
}

static int usb_set_job(struct mount *m, void *arg) { return device_nvram_edit_usb(&m->dev, usb_parse, arg); }

static int usb_check(char *value)
{
	struct device_usb scratch = { 0 };

	return usb_parse(value, &scratch);
}

static int usb_store(struct mount *m, const struct fs_node *n, char *value)
{
	(void)n;
	return mount_run(m, usb_set_job, value);
}

const struct fs_node_ops fs_nvram_usb_ops = { .show = usb_show, .store = usb_store, .size = TEXT_MAX, .multiline = true, .check = usb_check };

/* ---- nvram/access and nvram/unlock ------------------------------------------------------- */

static const char *const access_names[] = { "none", "password", "locked" };
static const uint8_t access_values[] = { MCP2210_ACCESS_NONE, MCP2210_ACCESS_PASSWORD, MCP2210_ACCESS_LOCKED };

static int access_get_job(struct mount *m, void *arg) { return device_nvram_access(&m->dev, arg); }

static int access_show(struct mount *m, const struct fs_node *n, struct text *out)
{
	uint8_t access = 0;
	int ret;

	(void)n;
	ret = mount_run(m, access_get_job, &access);
	if (ret == 0)
		text_printf(out, "%s\n", access == MCP2210_ACCESS_LOCKED ? "locked"
					 : access == MCP2210_ACCESS_PASSWORD ? "password" : "none");
	return ret;
}

static int access_job(struct mount *m, void *arg) { return device_nvram_set_access(&m->dev, *(uint8_t *)arg); }

static int access_store(struct mount *m, const struct fs_node *n, char *value)
{
	int which = text_enum(value, access_names, 3);
	uint8_t access;

	(void)n;
	if (which < 0)
		return -EINVAL;
	if (which == 2 && !m->opt.allow_permanent_lock)
		return -EPERM;
	access = access_values[which];
	return mount_run(m, access_job, &access);
}

const struct fs_node_ops fs_nvram_access_ops = { .show = access_show, .store = access_store, .size = TEXT_MAX };

static int unlock_job(struct mount *m, void *arg) { return device_nvram_unlock(&m->dev, arg); }

static int unlock_store(struct mount *m, const struct fs_node *n, char *value)
{
	char password[MCP2210_PASSWORD_LEN];
	int ret;

	(void)n;
	if (strlen(value) != MCP2210_PASSWORD_LEN)
		return -EINVAL;
	memcpy(password, value, sizeof(password));
	explicit_bzero(value, MCP2210_PASSWORD_LEN);
	ret = mount_run(m, unlock_job, password);
	explicit_bzero(password, sizeof(password));
	return ret;
}

const struct fs_node_ops fs_nvram_unlock_ops = { .store = unlock_store, .size = TEXT_MAX };
