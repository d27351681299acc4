/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The 256-byte user EEPROM: 0x50 reads and 0x51 writes one byte per exchange, so every byte
 * read or written (and read back) is cached until device_invalidate() (see device.h).
 */
#include <errno.h>

#include "device_internal.h"
#include "util/log.h"

/* One byte from the chip into the cache. */
static int fetch(struct device *d, uint8_t addr)
{
	mcp2210_report req, resp;
	int ret;

	proto_encode_read_eeprom(req, addr);
	ret = device_command(d, req, resp);
	if (ret == 0)
		ret = proto_decode_read_eeprom(resp, addr, &d->eeprom[addr]);
	d->eeprom_valid[addr] = ret == 0;
	return device_errno(ret);
}

/* Write one byte and read it back: the chip answers 0x51 with success even when the cell did
 * not take the value, and a write must never be reported done when it was not. */
static int store(struct device *d, uint8_t addr, uint8_t value)
{
	mcp2210_report req, resp;
	int ret;

	proto_encode_write_eeprom(req, addr, value);
	ret = device_command(d, req, resp);
	if (ret == 0)
		ret = proto_decode_write_eeprom(resp);
	d->eeprom_valid[addr] = false;
	if (ret == 0)
		ret = fetch(d, addr);
	if (ret < 0)
		return device_errno(ret);
	if (d->eeprom[addr] != value) {
		log_err("EEPROM byte %u reads back 0x%02x after writing 0x%02x", addr, d->eeprom[addr], value);
		return -EIO;
	}
	return 0;
}

/* Read (src NULL) into dst or write src, byte by byte from off. POSIX: a transfer cut short
 * after some bytes returns their count; the next call then meets the error and returns it. */
static ssize_t transfer(struct device *d, size_t off, uint8_t *dst, const uint8_t *src, size_t len)
{
	int ret = device_check(d); /* the cache below must be of this device */
	size_t i;

	if (ret < 0)
		return ret;
	if (off > MCP2210_EEPROM_SIZE || len > MCP2210_EEPROM_SIZE - off)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		uint8_t addr = (uint8_t)(off + i);

		if (src)
			ret = store(d, addr, src[i]);
		else if (!d->eeprom_valid[addr] || !d->use_cache)
			ret = fetch(d, addr);
		if (ret < 0)
			break;
		if (dst)
			dst[i] = d->eeprom[addr];
	}
	return ret < 0 && i == 0 ? ret : (ssize_t)i;
}

ssize_t device_eeprom_read(struct device *d, size_t off, uint8_t *buf, size_t len)
{
	return transfer(d, off, buf, NULL, len);
}

ssize_t device_eeprom_write(struct device *d, size_t off, const uint8_t *buf, size_t len)
{
	return transfer(d, off, NULL, buf, len);
}
