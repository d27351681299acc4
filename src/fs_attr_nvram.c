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
#include "log.h"
#include "settings_text.h"

static int nvram_get(struct mount *m, uint8_t sub, mcp2210_report resp)
{
	mcp2210_report req;
	int ret = proto_encode_get_nvram(req, sub);

	return ret < 0 ? ret : device_command(&m->dev, req, resp);
}

static int nvram_settings_get(struct mount *m, struct settings *s)
{
	mcp2210_report resp;
	int ret = nvram_get(m, MCP2210_NVRAM_CHIP, resp);

	if (ret == 0)
		ret = proto_decode_get_nvram_chip(resp, &s->chip);
	if (ret == 0)
		ret = nvram_get(m, MCP2210_NVRAM_SPI, resp);
	if (ret == 0)
		ret = proto_decode_get_nvram_spi(resp, &s->spi);
	return device_errno(ret);
}

/* The chip's three refusals of a password (DS22288A p. 33, figure 3-11), told apart in the log
 * and at the file: 0xFD, a wrong one, tries 1 to 5 (EACCES; after the 5th the chip takes none
 * until power-up, so we ask 0x10 for the count to say so); 0xFB, refused without looking after
 * 5 wrong ones, until power-up (EPERM); 0xFC, permanently locked (EPERM). */
static int password_refused(struct mount *m, const char *what, uint8_t status)
{
	struct mcp2210_chip_status st = { 0 };
	mcp2210_report req, resp;

	switch (status) {
	case MCP2210_STATUS_WRONG_PASSWORD:
		proto_encode_get_status(req);
		if (device_command(&m->dev, req, resp) < 0 || proto_decode_get_status(resp, &st) < 0)
			log_warn("%s: wrong password", what);
		else if (st.password_attempts < MCP2210_PASSWORD_ATTEMPTS_MAX)
			log_warn("%s: wrong password (%u of %d tries since power-up)", what, st.password_attempts,
				 MCP2210_PASSWORD_ATTEMPTS_MAX);
		else
			log_err("%s: wrong password, the %uth since power-up: the chip now refuses every password "
				"until it is power-cycled",
				what, st.password_attempts);
		return -EACCES;
	case MCP2210_STATUS_ACCESS_REJECTED:
		log_err("%s: the chip is permanently locked; no password unlocks it", what);
		return -EPERM;
	default:
		log_err("%s: the chip refuses passwords after %d wrong ones until it is power-cycled", what,
			MCP2210_PASSWORD_ATTEMPTS_MAX);
		return -EPERM;
	}
}

/* 0x70 with password: 0, or -errno with the refusal told apart (password_refused()). */
static int send_password(struct mount *m, const char *what, const char password[MCP2210_PASSWORD_LEN])
{
	mcp2210_report req, resp;
	int ret;

	proto_encode_send_password(req, password);
	ret = device_command(&m->dev, req, resp);
	if (ret == -EACCES || ret == -EPERM)
		return password_refused(m, what, resp[1]);
	return device_errno(ret);
}

/* Give the password if the chip wants one and we have it; the chip's own answer to the write
 * decides the rest (0xFB -> EACCES). */
static int unlock_if_needed(struct mount *m, const struct mcp2210_chip_settings *nv)
{
	if (nv->access != MCP2210_ACCESS_PASSWORD || !m->have_password)
		return 0;
	return send_password(m, "password_file", m->password);
}

static int nvram_set(struct mount *m, mcp2210_report req, uint8_t sub)
{
	mcp2210_report resp;
	int ret = device_command(&m->dev, req, resp);

	if (ret == 0)
		ret = proto_decode_set_nvram(resp, sub);
	return device_errno(ret);
}

/* Write the chip block keeping access control as it is (and its password). */
static int write_chip_block(struct mount *m, struct mcp2210_chip_settings *cs)
{
	mcp2210_report req;
	int ret;

	if (cs->access == MCP2210_ACCESS_PASSWORD) {
		/* 0x60/0x20 carries the password to keep: without it the chip's would be lost */
		if (!m->have_password) {
			log_err("nvram: the chip's power-up settings are password-protected: write the password to "
				"nvram/unlock first (or mount with -o password_file=)");
			return -EACCES;
		}
		memcpy(cs->password, m->password, MCP2210_PASSWORD_LEN);
	}
	ret = proto_encode_set_nvram_chip(req, cs);
	return ret < 0 ? ret : nvram_set(m, req, MCP2210_NVRAM_CHIP);
}

/* NVRAM writes are answered before anyone knows the flash took them: read back, and call a
 * difference what it is (EIO) rather than success. */
static int verify_settings(struct mount *m, const struct settings *want)
{
	struct settings got = { 0 };
	int ret = nvram_settings_get(m, &got);

	if (ret == 0 && !settings_equal(&got, want)) {
		log_err("NVRAM power-up settings read back different from what was written");
		ret = -EIO;
	}
	return ret;
}

/* ---- nvram/settings ---------------------------------------------------------------------- */

static int nv_settings_get_job(struct mount *m, void *arg) { return nvram_settings_get(m, arg); }

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

static int nv_settings_set_job(struct mount *m, void *arg)
{
	struct settings cur, want;
	int ret = nvram_settings_get(m, &cur);

	if (ret < 0)
		return ret;
	want = cur;
	if (settings_parse(arg, &want) < 0)
		return -EINVAL;
	ret = unlock_if_needed(m, &cur.chip);
	if (ret == 0 && memcmp(&want.chip, &cur.chip, sizeof(cur.chip)) != 0)
		ret = write_chip_block(m, &want.chip);
	if (ret == 0 && memcmp(&want.spi, &cur.spi, sizeof(cur.spi)) != 0) {
		mcp2210_report req;

		ret = proto_encode_set_nvram_spi(req, &want.spi);
		if (ret == 0)
			ret = nvram_set(m, req, MCP2210_NVRAM_SPI);
	}
	return ret < 0 ? ret : verify_settings(m, &want);
}

static int nv_settings_store(struct mount *m, const struct fs_node *n, char *value)
{
	(void)n;
	return mount_run(m, nv_settings_set_job, value);
}

const struct fs_node_ops fs_nvram_settings_ops = { .show = nv_settings_show, .store = nv_settings_store, .size = TEXT_MAX, .multiline = true, .check = settings_check };

/* ---- nvram/usb --------------------------------------------------------------------------- */

struct usb_block {
	struct mcp2210_usb_key key;
	struct mcp2210_usb_string manufacturer, product;
};

static int usb_get(struct mount *m, struct usb_block *u)
{
	mcp2210_report resp;
	int ret = nvram_get(m, MCP2210_NVRAM_USB_KEY, resp);

	if (ret == 0)
		ret = proto_decode_get_nvram_usb_key(resp, &u->key);
	if (ret == 0)
		ret = nvram_get(m, MCP2210_NVRAM_MANUFACTURER, resp);
	if (ret == 0)
		ret = proto_decode_get_nvram_string(resp, MCP2210_NVRAM_MANUFACTURER, &u->manufacturer);
	if (ret == 0)
		ret = nvram_get(m, MCP2210_NVRAM_PRODUCT, resp);
	if (ret == 0)
		ret = proto_decode_get_nvram_string(resp, MCP2210_NVRAM_PRODUCT, &u->product);
	return device_errno(ret);
}

static bool string_equal(const struct mcp2210_usb_string *a, const struct mcp2210_usb_string *b)
{
	return a->len == b->len && memcmp(a->units, b->units, a->len * sizeof(a->units[0])) == 0;
}

static bool usb_equal(const struct usb_block *a, const struct usb_block *b)
{
	return a->key.vid == b->key.vid && a->key.pid == b->key.pid && a->key.power == b->key.power &&
	       a->key.current_2ma == b->key.current_2ma && string_equal(&a->manufacturer, &b->manufacturer) &&
	       string_equal(&a->product, &b->product);
}

static int usb_get_job(struct mount *m, void *arg) { return usb_get(m, arg); }

static int usb_show(struct mount *m, const struct fs_node *n, struct text *out)
{
	char man[128], prod[128];
	struct usb_block u = { 0 };
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
	struct usb_block *u;
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

static int usb_set_job(struct mount *m, void *arg)
{
	struct usb_block cur, want;
	struct usb_parse parse = { .u = &want };
	struct settings nv = { 0 };
	mcp2210_report req;
	int ret = usb_get(m, &cur);

	if (ret == 0)
		ret = nvram_settings_get(m, &nv);
	if (ret < 0)
		return ret;
	want = cur;
	if (text_each_pair(arg, usb_pair, &parse) < 0)
		return -EINVAL;
	ret = unlock_if_needed(m, &nv.chip);
	if (ret == 0 && memcmp(&want.key, &cur.key, sizeof(cur.key)) != 0) {
		ret = proto_encode_set_nvram_usb_key(req, &want.key);
		if (ret == 0)
			ret = nvram_set(m, req, MCP2210_NVRAM_USB_KEY);
	}
	if (ret == 0 && memcmp(&want.manufacturer, &cur.manufacturer, sizeof(cur.manufacturer)) != 0) {
		ret = proto_encode_set_nvram_string(req, MCP2210_NVRAM_MANUFACTURER, &want.manufacturer);
		if (ret == 0)
			ret = nvram_set(m, req, MCP2210_NVRAM_MANUFACTURER);
	}
	if (ret == 0 && memcmp(&want.product, &cur.product, sizeof(cur.product)) != 0) {
		ret = proto_encode_set_nvram_string(req, MCP2210_NVRAM_PRODUCT, &want.product);
		if (ret == 0)
			ret = nvram_set(m, req, MCP2210_NVRAM_PRODUCT);
	}
	if (ret == 0) {
		struct usb_block got = { 0 };

		ret = usb_get(m, &got);
		if (ret == 0 && !usb_equal(&got, &want)) {
			log_err("NVRAM USB parameters read back different from what was written");
			ret = -EIO;
		}
	}
	return ret;
}

static int usb_check(char *value)
{
	struct usb_block scratch = { 0 };
	struct usb_parse parse = { .u = &scratch };

	return text_each_pair(value, usb_pair, &parse);
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

static int access_show(struct mount *m, const struct fs_node *n, struct text *out)
{
	struct settings s = { 0 };
	int ret;

	(void)n;
	ret = mount_run(m, nv_settings_get_job, &s);
	if (ret == 0)
		text_printf(out, "%s\n", s.chip.access == MCP2210_ACCESS_LOCKED ? "locked"
					 : s.chip.access == MCP2210_ACCESS_PASSWORD ? "password" : "none");
	return ret;
}

static int access_job(struct mount *m, void *arg)
{
	struct settings cur = { 0 };
	int ret;

	if (*(uint8_t *)arg == MCP2210_ACCESS_PASSWORD && !m->have_password) {
		log_err("nvram/access: password protection needs the password: mount with -o password_file=");
		return -EPERM;
	}
	ret = nvram_settings_get(m, &cur);

	if (ret == 0)
		ret = unlock_if_needed(m, &cur.chip);
	if (ret < 0 || cur.chip.access == *(uint8_t *)arg)
		return ret;
	cur.chip.access = *(uint8_t *)arg;
	ret = write_chip_block(m, &cur.chip);
	return ret < 0 ? ret : verify_settings(m, &cur);
}

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

/* A password the chip accepted is what later writes of the chip block must carry to keep
 * it (write_chip_block): remember it for this mount. 0x70 also answers success when the chip
 * is not protected at all (DS22288A p. 32): then there is nothing to remember. */
static int unlock_job(struct mount *m, void *arg)
{
	uint8_t access;
	int ret = send_password(m, "nvram/unlock", arg);

	if (ret == 0)
		ret = device_nvram_access(&m->dev, &access);
	if (ret < 0)
		return ret;
	if (access != MCP2210_ACCESS_PASSWORD) {
		log_info("nvram/unlock: the chip is not password-protected: nothing to unlock");
		return 0;
	}
	memcpy(m->password, arg, MCP2210_PASSWORD_LEN);
	m->have_password = true;
	log_info("nvram/unlock: password accepted; NVRAM writes of this mount will give it");
	return 0;
}

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
