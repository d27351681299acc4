/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated chip's persistent state file: NVRAM, user EEPROM and the serial number as
 * "key=hex" lines. NVRAM blocks are stored as the 64-byte answers the chip would give for them,
 * so loading goes through the codec's own validating decoders. The file itself (lock, atomic
 * replacement) is emu_state_file.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu/emu_internal.h"
#include "util/log.h"

#define STATE_MAGIC "mcp2210-emulator-state 1"
#define STATE_LINE_MAX 1024
#define STATE_FILE_MAX 4096 /* what write_state() writes is about 1.6 KB */

static void hex_put(FILE *f, const char *key, const uint8_t *data, size_t len)
{
	fprintf(f, "%s=", key);
	for (size_t i = 0; i < len; i++)
		fprintf(f, "%02x", data[i]);
	fputc('\n', f);
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int hex_get(const char *hex, uint8_t *data, size_t len)
{
	if (strlen(hex) != 2 * len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		data[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int write_state(FILE *f, const struct emu *e)
{
	const struct emu_nvram *nv = &e->nvram;
	mcp2210_report r;

	fprintf(f, "%s\nserial=%s\n", STATE_MAGIC, e->serial);
	proto_answer_nvram_chip(r, &nv->chip);
	hex_put(f, "nvram_chip", r, sizeof(r));
	hex_put(f, "password", (const uint8_t *)nv->chip.password, MCP2210_PASSWORD_LEN);
	proto_answer_nvram_spi(r, &nv->spi);
	hex_put(f, "nvram_spi", r, sizeof(r));
	proto_answer_nvram_usb_key(r, &nv->usb_key);
	hex_put(f, "usb_key", r, sizeof(r));
	proto_answer_nvram_string(r, MCP2210_NVRAM_MANUFACTURER, &nv->manufacturer);
	hex_put(f, "manufacturer", r, sizeof(r));
	proto_answer_nvram_string(r, MCP2210_NVRAM_PRODUCT, &nv->product);
	hex_put(f, "product", r, sizeof(r));
	hex_put(f, "eeprom", nv->eeprom, sizeof(nv->eeprom));
	return ferror(f) ? -EIO : 0;
}

int emu_state_save(struct emu *e)
{
	char buf[STATE_FILE_MAX];
	long len = -1;
	FILE *f;
	int ret;

	if (!e->state_file)
		return 0;
	f = fmemopen(buf, sizeof(buf), "w");
	if (!f)
		return -errno;
	ret = write_state(f, e);
	if (!ret && fflush(f) == 0)
		len = ftell(f);
	fclose(f);
	if (!ret)
		ret = len > 0 && (size_t)len < sizeof(buf) ? emu_state_replace(e, buf, (size_t)len) : -EOVERFLOW;
	explicit_bzero(buf, sizeof(buf)); /* it held the password */
	return ret;
}

/* One "key=value" line into the NVRAM image: NULL, or why it cannot be loaded. */
static const char *load_line(struct emu_nvram *nv, char *serial, char *line)
{
	char *value = strchr(line, '=');
	mcp2210_report r;
	char password[MCP2210_PASSWORD_LEN];

	if (!value)
		return "expected key=value";
	*value++ = '\0';
	if (strcmp(line, "serial") == 0)
		return emu_serial_set(serial, value) < 0 ? "serial: not 1 to 31 printable ASCII characters" : NULL;
	if (strcmp(line, "eeprom") == 0)
		return hex_get(value, nv->eeprom, sizeof(nv->eeprom)) < 0 ? "eeprom: expected 512 hex digits" : NULL;
	if (strcmp(line, "password") == 0) {
		if (hex_get(value, (uint8_t *)password, sizeof(password)) < 0)
			return "password: expected 16 hex digits";
		memcpy(nv->chip.password, password, sizeof(password));
		return NULL;
	}
	if (strcmp(line, "nvram_chip") && strcmp(line, "nvram_spi") && strcmp(line, "usb_key") &&
	    strcmp(line, "manufacturer") && strcmp(line, "product"))
		return "unknown key";
	if (hex_get(value, r, sizeof(r)) < 0)
		return "expected 128 hex digits (a 64-byte report)";
	if (strcmp(line, "nvram_chip") == 0) {
		memcpy(password, nv->chip.password, sizeof(password));
		if (proto_decode_get_nvram_chip(r, &nv->chip) < 0)
			return "nvram_chip: not a valid chip settings answer";
		memcpy(nv->chip.password, password, sizeof(password));
		return NULL;
	}
	if (strcmp(line, "nvram_spi") == 0)
		return proto_decode_get_nvram_spi(r, &nv->spi) < 0 ? "nvram_spi: not a valid SPI settings answer" : NULL;
	if (strcmp(line, "usb_key") == 0)
		return proto_decode_get_nvram_usb_key(r, &nv->usb_key) < 0 ? "usb_key: not a valid USB key answer" : NULL;
	if (strcmp(line, "manufacturer") == 0)
		return proto_decode_get_nvram_string(r, MCP2210_NVRAM_MANUFACTURER, &nv->manufacturer) < 0
			       ? "manufacturer: not a valid string answer"
			       : NULL;
	return proto_decode_get_nvram_string(r, MCP2210_NVRAM_PRODUCT, &nv->product) < 0
		       ? "product: not a valid string answer"
		       : NULL;
}

/* Every line of f into nv and serial: NULL, or why not (line number in *lineno). */
static const char *load_lines(FILE *f, struct emu_nvram *nv, char *serial, unsigned *lineno)
{
	char line[STATE_LINE_MAX];
	const char *why = NULL;

	*lineno = 1;
	if (!fgets(line, sizeof(line), f) || strcmp(line, STATE_MAGIC "\n") != 0)
		return "not an emulator state file (the first line must be \"" STATE_MAGIC "\")";
	while (!why && fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		++*lineno;
		if (len == 0 || line[len - 1] != '\n')
			return "too long, or cut short (no newline at its end)";
		line[len - 1] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		why = load_line(nv, serial, line);
	}
	explicit_bzero(line, sizeof(line));
	return why;
}

/* Fills e->nvram and e->serial from the locked file; a damaged file is refused whole rather
 * than half loaded, and the log says which line and why. */
static int emu_state_load(struct emu *e)
{
	struct emu_nvram nv = e->nvram;
	char serial[EMU_SERIAL_MAX + 1];
	const char *why;
	unsigned lineno;
	int fd, ret = 0;
	FILE *f;

	memcpy(serial, e->serial, sizeof(serial));
	fd = lseek(e->state_fd, 0, SEEK_SET) == 0 ? dup(e->state_fd) : -1;
	f = fd >= 0 ? fdopen(fd, "r") : NULL;
	if (!f) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		log_err("emulator: cannot read %s: %s", e->state_file, strerror(-ret));
		return ret;
	}
	why = load_lines(f, &nv, serial, &lineno);
	if (ferror(f)) {
		ret = -EIO;
		log_err("emulator: cannot read %s: %s", e->state_file, strerror(EIO));
	} else if (why) {
		ret = -EINVAL;
		log_err("emulator: %s line %u: %s", e->state_file, lineno, why);
	}
	fclose(f);
	if (!ret) {
		e->nvram = nv;
		memcpy(e->serial, serial, sizeof(serial));
	}
	explicit_bzero(&nv, sizeof(nv));
	return ret;
}

int emu_state_start(struct emu *e, const char *serial)
{
	for (unsigned tries = 0; tries < 4; tries++) {
		int ret = emu_state_open(e);

		if (ret == 0) {
			ret = emu_state_load(e);
			if (ret == 0 && serial && strcmp(serial, e->serial) != 0) {
				log_err("emulator: %s holds the chip with serial %s, not %s", e->state_file, e->serial,
					serial);
				ret = -EEXIST;
			}
			return ret;
		}
		if (ret != -ENOENT)
			return ret;
		ret = emu_state_save(e); /* a new chip; -EEXIST: another process made one meanwhile */
		if (ret != -EEXIST)
			return ret;
	}
	return -EBUSY;
}
