/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Live chip settings (0x20/0x21) and SPI transfer settings (0x41/0x40), served from the
 * device's cache once read (see device.h).
 */
#include <errno.h>
#include <string.h>

#include "device_internal.h"

/* How to read one cached block from the chip. */
struct cached_block {
	void (*encode)(mcp2210_report req);
	int (*decode)(const mcp2210_report resp, void *out);
};

static int decode_chip(const mcp2210_report resp, void *out) { return proto_decode_get_chip_settings(resp, out); }
static int decode_spi(const mcp2210_report resp, void *out) { return proto_decode_get_spi_settings(resp, out); }

static const struct cached_block chip_block = { proto_encode_get_chip_settings, decode_chip };
static const struct cached_block spi_block = { proto_encode_get_spi_settings, decode_spi };

/* *out (size bytes) from *cache if valid (and the device still there), else read from the
 * chip into the cache first. */
static int cached_read(struct device *d, const struct cached_block *b, bool *valid, void *cache, void *out,
		       size_t size)
{
	int ret = device_check(d);

	if (ret == 0 && !(*valid && d->use_cache)) {
		mcp2210_report req, resp;

		b->encode(req);
		ret = device_command(d, req, resp);
		if (ret == 0)
			ret = device_errno(b->decode(resp, cache));
		*valid = ret == 0;
	}
	if (ret == 0)
		memcpy(out, cache, size);
	return ret;
}

int device_chip_settings(struct device *d, struct mcp2210_chip_settings *cs)
{
	return cached_read(d, &chip_block, &d->chip_valid, &d->chip, cs, sizeof(*cs));
}

int device_spi_settings(struct device *d, struct mcp2210_spi_settings *ss)
{
	return cached_read(d, &spi_block, &d->spi_valid, &d->spi, ss, sizeof(*ss));
}

int device_set_chip_settings(struct device *d, const struct mcp2210_chip_settings *cs)
{
	mcp2210_report req, resp;
	int ret = proto_encode_set_chip_settings(req, cs);

	if (ret < 0)
		return ret;
	ret = device_settled_command(d, req, resp);
	if (ret == 0) {
		d->chip = *cs;
		d->chip.gpio_direction |= 1u << 8; /* GP8 is input only whatever was asked */
		d->chip_valid = true;
	}
	return ret;
}

int device_set_spi_settings(struct device *d, const struct mcp2210_spi_settings *ss)
{
	mcp2210_report req, resp;
	int ret = proto_encode_set_spi_settings(req, ss);

	if (ret == 0)
		ret = device_settled_command(d, req, resp);
	if (ret == 0) /* the chip's echo is the truth */
		ret = device_errno(proto_decode_set_spi_settings(resp, &d->spi));
	if (ret == 0)
		d->spi_valid = true;
	return ret;
}

int device_edit_settings(struct device *d, device_settings_edit_fn edit, void *ctx)
{
	struct mcp2210_chip_settings cur_chip, chip;
	struct mcp2210_spi_settings cur_spi, spi;
	int ret = device_chip_settings(d, &cur_chip);

	if (ret == 0)
		ret = device_spi_settings(d, &cur_spi);
	if (ret < 0)
		return ret;
	chip = cur_chip;
	spi = cur_spi;
	ret = edit(ctx, &chip, &spi);
	if (ret == 0 && !proto_chip_settings_equal(&chip, &cur_chip))
		ret = device_set_chip_settings(d, &chip);
	if (ret == 0 && !proto_spi_settings_equal(&spi, &cur_spi))
		ret = device_set_spi_settings(d, &spi);
	return ret;
}
