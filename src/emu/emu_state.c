/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated chip's persistent state file: NVRAM, user EEPROM and the serial number as
 * "key=hex" lines. NVRAM blocks are stored as the 64-byte answers the chip would give for them,
 * so loading goes through the codec's own validating decoders. Saved atomically (temp+rename).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu/emu_internal.h"

#define STATE_MAGIC "mcp2210-emulator-state 1"
#define STATE_LINE_MAX 1024

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
	size_t len;
	char *tmp;
	FILE *f;
	int ret;

	if (!e->state_file)
		return 0;
	len = strlen(e->state_file) + sizeof(".tmp");
	tmp = malloc(len);
	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, len, "%s.tmp", e->state_file);
	f = fopen(tmp, "w");
	if (!f) {
		ret = -errno;
		goto out_free;
	}
	ret = write_state(f, e);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		ret = ret ? ret : -errno;
	if (fclose(f) != 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, e->state_file) != 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
out_free:
	free(tmp);
	return ret;
}

/* One "key=value" line into the NVRAM image; -EINVAL for anything unexpected. */
static int load_line(struct emu_nvram *nv, char *serial, char *line)
{
	char *value = strchr(line, '=');
	mcp2210_report r;
	char password[MCP2210_PASSWORD_LEN];

	if (!value)
		return -EINVAL;
	*value++ = '\0';
	if (strcmp(line, "serial") == 0)
		return emu_serial_set(serial, value);
	if (strcmp(line, "eeprom") == 0)
		return hex_get(value, nv->eeprom, sizeof(nv->eeprom));
	if (strcmp(line, "password") == 0) {
		if (hex_get(value, (uint8_t *)password, sizeof(password)) < 0)
			return -EINVAL;
		memcpy(nv->chip.password, password, sizeof(password));
		return 0;
	}
	if (hex_get(value, r, sizeof(r)) < 0)
		return -EINVAL;
	if (strcmp(line, "nvram_chip") == 0) {
		memcpy(password, nv->chip.password, sizeof(password));
		if (proto_decode_get_nvram_chip(r, &nv->chip) < 0)
			return -EINVAL;
		memcpy(nv->chip.password, password, sizeof(password));
		return 0;
	}
	if (strcmp(line, "nvram_spi") == 0)
		return proto_decode_get_nvram_spi(r, &nv->spi) < 0 ? -EINVAL : 0;
	if (strcmp(line, "usb_key") == 0)
		return proto_decode_get_nvram_usb_key(r, &nv->usb_key) < 0 ? -EINVAL : 0;
	if (strcmp(line, "manufacturer") == 0)
		return proto_decode_get_nvram_string(r, MCP2210_NVRAM_MANUFACTURER, &nv->manufacturer) < 0 ? -EINVAL : 0;
	if (strcmp(line, "product") == 0)
		return proto_decode_get_nvram_string(r, MCP2210_NVRAM_PRODUCT, &nv->product) < 0 ? -EINVAL : 0;
	return -EINVAL;
}

/* Fills e->nvram and e->serial from the file; -ENOENT when there is none yet. A damaged file
 * is refused whole rather than half loaded. */
int emu_state_load(struct emu *e)
{
	struct emu_nvram nv = e->nvram;
	char serial[EMU_SERIAL_MAX + 1];
	char line[STATE_LINE_MAX];
	int ret = 0;
	FILE *f;

	memcpy(serial, e->serial, sizeof(serial));
	f = fopen(e->state_file, "r");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f) || strcmp(line, STATE_MAGIC "\n") != 0)
		ret = -EINVAL;
	while (!ret && fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		if (len == 0 || line[len - 1] != '\n') {
			ret = -EINVAL;
			break;
		}
		line[len - 1] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		ret = load_line(&nv, serial, line);
	}
	if (!ret && ferror(f))
		ret = -EIO;
	fclose(f);
	if (ret)
		return ret;
	e->nvram = nv;
	memcpy(e->serial, serial, sizeof(serial));
	return 0;
}
