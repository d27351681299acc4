/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * GPIO pins: levels (0x31), the output latch (0x30) and directions (0x32), the latch and
 * directions kept in the live chip settings cache (see device.h).
 */
#include <errno.h>

#include "device_internal.h"

int device_gpio_levels(struct device *d, uint16_t *levels)
{
	mcp2210_report req, resp;
	int ret;

	proto_encode_get_gpio_values(req);
	ret = device_command(d, req, resp);
	return device_errno(ret < 0 ? ret : proto_decode_get_gpio_values(resp, levels));
}

static int set_latch(struct device *d, uint16_t latch)
{
	mcp2210_report req, resp;
	uint16_t levels;
	int ret;

	proto_encode_set_gpio_values(req, latch);
	ret = device_command(d, req, resp);
	if (ret == 0)
		ret = proto_decode_set_gpio_values(resp, &levels);
	if (ret < 0)
		return device_errno(ret);
	d->chip.gpio_value = latch;
	return 0;
}

static uint16_t with_bit(uint16_t v, unsigned pin, bool on)
{
	return on ? (uint16_t)(v | 1u << pin) : (uint16_t)(v & ~(1u << pin));
}

/* The chip settings, for a change to GPIO pin `pin`: -EINVAL for a pin above 8, -EPERM for
 * one that is not a GPIO. */
static int gpio_pin(struct device *d, unsigned pin, struct mcp2210_chip_settings *cs)
{
	int ret = pin < MCP2210_PIN_COUNT ? device_chip_settings(d, cs) : -EINVAL;

	return ret == 0 && cs->pin_function[pin] != MCP2210_PIN_GPIO ? -EPERM : ret;
}

int device_gpio_write(struct device *d, unsigned pin, bool level)
{
	struct mcp2210_chip_settings cs;
	int ret = gpio_pin(d, pin, &cs);

	if (ret < 0)
		return ret;
	if (cs.gpio_direction >> pin & 1)
		return -EPERM;
	return set_latch(d, with_bit(cs.gpio_value, pin, level));
}

int device_gpio_direction(struct device *d, unsigned pin, bool output, bool level)
{
	struct mcp2210_chip_settings cs;
	mcp2210_report req, resp;
	uint16_t dirs;
	int ret = gpio_pin(d, pin, &cs);

	if (ret < 0)
		return ret;
	if (output && pin == 8)
		return -EPERM;
	/* Latch first, then direction: the pin comes up at its level with no glitch. A latch that
	 * already holds the level costs nothing. */
	if (output && (((cs.gpio_value >> pin) & 1) != level || !d->use_cache)) {
		ret = set_latch(d, with_bit(cs.gpio_value, pin, level));
		if (ret < 0)
			return ret;
	}
	dirs = with_bit(cs.gpio_direction, pin, !output);
	proto_encode_set_gpio_directions(req, dirs);
	ret = device_command(d, req, resp);
	if (ret == 0)
		ret = proto_decode_set_gpio_directions(resp);
	if (ret < 0)
		return device_errno(ret);
	d->chip.gpio_direction = dirs;
	return 0;
}
