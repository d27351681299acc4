/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * NVRAM: the power-up settings, the USB identity and access control (0x61 reads, 0x60
 * writes), and the password (0x70) a protected chip wants before any write. Writes wear the
 * chip's flash and are answered before anyone knows the flash took them: only changed blocks
 * are written, and each write is read back (see device.h).
 */
#include <errno.h>
#include <string.h>

#include "device_internal.h"
#include "util/log.h"

/* 0x61 with sub: the answer, to be decoded by the caller. 0 or -errno. */
static int nvram_get(struct device *d, uint8_t sub, mcp2210_report resp)
{
	mcp2210_report req;
	int ret = proto_encode_get_nvram(req, sub);

	return ret < 0 ? ret : device_command(d, req, resp);
}

/* 0x60 request req, of block sub: 0 or -errno. */
static int nvram_set(struct device *d, const mcp2210_report req, uint8_t sub)
{
	mcp2210_report resp;
	int ret = device_command(d, req, resp);

	if (ret == 0)
		ret = proto_decode_set_nvram(resp, sub);
	return device_errno(ret);
}

int device_nvram_settings(struct device *d, struct mcp2210_chip_settings *chip, struct mcp2210_spi_settings *spi)
{
	mcp2210_report resp;
	int ret = nvram_get(d, MCP2210_NVRAM_CHIP, resp);

	if (ret == 0)
		ret = proto_decode_get_nvram_chip(resp, chip);
	if (ret == 0)
		ret = nvram_get(d, MCP2210_NVRAM_SPI, resp);
	if (ret == 0)
		ret = proto_decode_get_nvram_spi(resp, spi);
	return device_errno(ret);
}

int device_nvram_access(struct device *d, uint8_t *access)
{
	struct mcp2210_chip_settings nv;
	mcp2210_report resp;
	int ret = nvram_get(d, MCP2210_NVRAM_CHIP, resp);

	if (ret == 0)
		ret = proto_decode_get_nvram_chip(resp, &nv);
	if (ret == 0)
		*access = nv.access;
	return device_errno(ret);
}

/* ---- the password ------------------------------------------------------------------------- */

void device_set_password(struct device *d, const char password[MCP2210_PASSWORD_LEN])
{
	memcpy(d->password, password, MCP2210_PASSWORD_LEN);
	d->have_password = true;
}

void device_forget_password(struct device *d)
{
	explicit_bzero(d->password, sizeof(d->password));
	d->have_password = false;
}

/* The chip's three refusals of a password (DS22288A p. 33, figure 3-11), told apart in the log
 * and at the file: 0xFD, a wrong one, tries 1 to 5 (EACCES; after the 5th the chip takes none
 * until power-up, so we ask 0x10 for the count to say so); 0xFB, refused without looking after
 * 5 wrong ones, until power-up (EPERM); 0xFC, permanently locked (EPERM). */
static int password_refused(struct device *d, const char *what, uint8_t status)
{
	struct mcp2210_chip_status st = { 0 };

	switch (status) {
	case MCP2210_STATUS_WRONG_PASSWORD:
		if (device_chip_status(d, &st) < 0)
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

/* 0x70 with password (what names its source in the log): 0, or -errno with the refusal told
 * apart (password_refused()). */
static int send_password(struct device *d, const char *what, const char password[MCP2210_PASSWORD_LEN])
{
	mcp2210_report req, resp;
	int ret;

	proto_encode_send_password(req, password);
	ret = device_command(d, req, resp);
	if (ret == -EACCES || ret == -EPERM)
		return password_refused(d, what, resp[1]);
	return ret;
}

/* Give the password if the chip wants one (access, as NVRAM holds it) and we have it; the
 * chip's own answer to the write decides the rest (0xFB -> EACCES). */
static int unlock_if_needed(struct device *d, uint8_t access)
{
	if (access != MCP2210_ACCESS_PASSWORD || !d->have_password)
		return 0;
	return send_password(d, "password_file", d->password);
}

/* A password a protected chip accepted is what later writes of the chip block must carry to
 * keep it (write_chip_block): remember it for this mount. 0x70 also answers success when the
 * chip is not protected at all (DS22288A p. 32): then there is nothing to remember. */
int device_nvram_unlock(struct device *d, const char password[MCP2210_PASSWORD_LEN])
{
	uint8_t access;
	int ret = send_password(d, "nvram/unlock", password);

	if (ret == 0)
		ret = device_nvram_access(d, &access);
	if (ret != 0)
		return ret;
	if (access != MCP2210_ACCESS_PASSWORD) {
		log_info("nvram/unlock: the chip is not password-protected: nothing to unlock");
		return 0;
	}
	device_set_password(d, password);
	log_info("nvram/unlock: password accepted; NVRAM writes of this mount will give it");
	return 0;
}

/* ---- power-up settings and access control -------------------------------------------------- */

/* Write the chip block keeping access control as it is (and its password). */
static int write_chip_block(struct device *d, struct mcp2210_chip_settings *cs)
{
	mcp2210_report req;
	int ret;

	if (cs->access == MCP2210_ACCESS_PASSWORD) {
		/* 0x60/0x20 carries the password to keep: without it the chip's would be lost */
		if (!d->have_password) {
			log_err("nvram: the chip's power-up settings are password-protected: write the password to "
				"nvram/unlock first (or mount with -o password_file=)");
			return -EACCES;
		}
		memcpy(cs->password, d->password, MCP2210_PASSWORD_LEN);
	}
	ret = proto_encode_set_nvram_chip(req, cs);
	return ret < 0 ? ret : nvram_set(d, req, MCP2210_NVRAM_CHIP);
}

static int write_spi_block(struct device *d, const struct mcp2210_spi_settings *ss)
{
	mcp2210_report req;
	int ret = proto_encode_set_nvram_spi(req, ss);

	return ret < 0 ? ret : nvram_set(d, req, MCP2210_NVRAM_SPI);
}

/* Read back what was written, and call a difference what it is (EIO) rather than success. */
static int verify_settings(struct device *d, const struct mcp2210_chip_settings *chip,
			   const struct mcp2210_spi_settings *spi)
{
	struct mcp2210_chip_settings got_chip;
	struct mcp2210_spi_settings got_spi;
	int ret = device_nvram_settings(d, &got_chip, &got_spi);

	if (ret == 0 && !(proto_chip_settings_equal(&got_chip, chip) && proto_spi_settings_equal(&got_spi, spi))) {
		log_err("NVRAM power-up settings read back different from what was written");
		ret = -EIO;
	}
	return ret;
}

int device_nvram_edit_settings(struct device *d, device_settings_edit_fn edit, void *ctx)
{
	struct mcp2210_chip_settings cur_chip, chip;
	struct mcp2210_spi_settings cur_spi, spi;
	bool written = false;
	int ret = device_nvram_settings(d, &cur_chip, &cur_spi);

	if (ret < 0)
		return ret;
	chip = cur_chip;
	spi = cur_spi;
	ret = edit(ctx, &chip, &spi);
	if (ret == 0)
		ret = unlock_if_needed(d, cur_chip.access);
	if (ret == 0 && !proto_chip_settings_equal(&chip, &cur_chip)) {
		ret = write_chip_block(d, &chip);
		written = true;
	}
	if (ret == 0 && !proto_spi_settings_equal(&spi, &cur_spi)) {
		ret = write_spi_block(d, &spi);
		written = true;
	}
	return ret < 0 || !written ? ret : verify_settings(d, &chip, &spi);
}

static int set_access(void *ctx, struct mcp2210_chip_settings *chip, struct mcp2210_spi_settings *spi)
{
	(void)spi;
	chip->access = *(const uint8_t *)ctx;
	return 0;
}

int device_nvram_set_access(struct device *d, uint8_t access)
{
	if (access == MCP2210_ACCESS_PASSWORD && !d->have_password) {
		log_err("nvram/access: password protection needs the password: mount with -o password_file=");
		return -EPERM;
	}
	return device_nvram_edit_settings(d, set_access, &access);
}

/* ---- the USB identity ---------------------------------------------------------------------- */

int device_nvram_usb(struct device *d, struct device_usb *u)
{
	mcp2210_report resp;
	int ret = nvram_get(d, MCP2210_NVRAM_USB_KEY, resp);

	if (ret == 0)
		ret = proto_decode_get_nvram_usb_key(resp, &u->key);
	if (ret == 0)
		ret = nvram_get(d, MCP2210_NVRAM_MANUFACTURER, resp);
	if (ret == 0)
		ret = proto_decode_get_nvram_string(resp, MCP2210_NVRAM_MANUFACTURER, &u->manufacturer);
	if (ret == 0)
		ret = nvram_get(d, MCP2210_NVRAM_PRODUCT, resp);
	if (ret == 0)
		ret = proto_decode_get_nvram_string(resp, MCP2210_NVRAM_PRODUCT, &u->product);
	return device_errno(ret);
}

static bool usb_equal(const struct device_usb *a, const struct device_usb *b)
{
	return proto_usb_key_equal(&a->key, &b->key) && proto_usb_string_equal(&a->manufacturer, &b->manufacturer) &&
	       proto_usb_string_equal(&a->product, &b->product);
}

/* One string block (sub MCP2210_NVRAM_MANUFACTURER or _PRODUCT), if it changed. */
static int write_string(struct device *d, uint8_t sub, const struct mcp2210_usb_string *want,
			const struct mcp2210_usb_string *cur)
{
	mcp2210_report req;
	int ret;

	if (proto_usb_string_equal(want, cur))
		return 0;
	ret = proto_encode_set_nvram_string(req, sub, want);
	return ret < 0 ? ret : nvram_set(d, req, sub);
}

int device_nvram_edit_usb(struct device *d, device_usb_edit_fn edit, void *ctx)
{
	struct device_usb cur, want, got;
	uint8_t access;
	int ret = device_nvram_usb(d, &cur);

	if (ret == 0)
		ret = device_nvram_access(d, &access);
	if (ret < 0)
		return ret;
	want = cur;
	ret = edit(ctx, &want);
	if (ret == 0)
		ret = unlock_if_needed(d, access);
	if (ret < 0 || usb_equal(&want, &cur))
		return ret;
	if (!proto_usb_key_equal(&want.key, &cur.key)) {
		mcp2210_report req;

		ret = proto_encode_set_nvram_usb_key(req, &want.key);
		if (ret == 0)
			ret = nvram_set(d, req, MCP2210_NVRAM_USB_KEY);
	}
	if (ret == 0)
		ret = write_string(d, MCP2210_NVRAM_MANUFACTURER, &want.manufacturer, &cur.manufacturer);
	if (ret == 0)
		ret = write_string(d, MCP2210_NVRAM_PRODUCT, &want.product, &cur.product);
	if (ret == 0)
		ret = device_nvram_usb(d, &got);
	if (ret == 0 && !usb_equal(&got, &want)) {
		log_err("NVRAM USB parameters read back different from what was written");
		ret = -EIO;
	}
	return ret;
}
