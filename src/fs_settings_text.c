/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * settings / nvram/settings text (see settings_text.h). One table describes every key: its
 * name, its kind and where it lives, so formatting and parsing cannot drift apart.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "fs_settings_text.h"

const char *const settings_irq_mode_names[5] = { "off", "falling", "rising", "low_pulses", "high_pulses" };

/* Dedicated function names, from doc/protocol.md's pin table (GP0/GP1 have none). */
static const char *const dedicated_names[MCP2210_PIN_COUNT] = {
	NULL, NULL, "suspend", "spi_led", "low_power", "usb_cfg", "interrupt", "bus_release_ack", "bus_release_request",
};

const char *settings_function_name(unsigned pin, uint8_t function)
{
	switch (function) {
	case MCP2210_PIN_GPIO:
		return "gpio";
	case MCP2210_PIN_CS:
		return pin < 8 ? "cs" : NULL;
	case MCP2210_PIN_DEDICATED:
		return dedicated_names[pin];
	default:
		return NULL;
	}
}

void settings_function_format(unsigned pin, uint8_t function, char buf[SETTINGS_FUNCTION_MAX])
{
	const char *name = settings_function_name(pin, function);

	if (name)
		snprintf(buf, SETTINGS_FUNCTION_MAX, "%s", name);
	else
		snprintf(buf, SETTINGS_FUNCTION_MAX, "0x%02x", function);
}

int settings_function_parse(unsigned pin, const char *name)
{
	unsigned long byte;

	for (uint8_t f = MCP2210_PIN_GPIO; f <= MCP2210_PIN_DEDICATED; f++) {
		const char *n = settings_function_name(pin, f);

		if (n && strcmp(n, name) == 0)
			return f;
	}
	if (text_uint(name, 0, 0xFF, &byte) < 0)
		return -EINVAL;
	return (int)byte;
}

uint16_t settings_pins_set(uint16_t field, uint16_t pins)
{
	return (uint16_t)((field & ~MCP2210_PIN_MASK) | (pins & MCP2210_PIN_MASK));
}

int settings_delay_parse(const char *s, uint16_t *units)
{
	unsigned long us;
	int ret = text_uint(s, 0, 65535ul * 100, &us);

	if (ret == 0)
		*units = (uint16_t)((us + 99) / 100);
	return ret;
}

/* gpio_direction's bit for GP8, input only (datasheet rev C, p. 1: "eight general purpose
 * I/O pins, one input only pin"; rev A counted 9 GPIO; doc/protocol.md, "Pins"): always 1. */
#define GP8_INPUT (1u << 8)

enum kind { K_FUNCTION, K_MASK, K_DIRS, K_BOOL, K_IRQ, K_BITRATE, K_MODE, K_DELAY };

struct key {
	const char *name;
	enum kind kind;
	size_t offset; /* in struct settings */
	unsigned pin;  /* K_FUNCTION */
};

#define CHIP(f) offsetof(struct settings, chip.f)
#define SPI(f) offsetof(struct settings, spi.f)
#define FUNC(n) { "gp" #n "_function", K_FUNCTION, CHIP(pin_function[n]), n }

static const struct key keys[] = {
	FUNC(0), FUNC(1), FUNC(2), FUNC(3), FUNC(4), FUNC(5), FUNC(6), FUNC(7), FUNC(8),
	{ "gpio_value", K_MASK, CHIP(gpio_value), 0 },
	{ "gpio_direction", K_DIRS, CHIP(gpio_direction), 0 },
	{ "remote_wakeup", K_BOOL, CHIP(remote_wakeup), 0 },
	{ "interrupt_mode", K_IRQ, CHIP(irq_mode), 0 },
	{ "spi_bus_hold", K_BOOL, CHIP(spi_bus_hold), 0 },
	{ "spi_bitrate", K_BITRATE, SPI(bitrate), 0 },
	{ "spi_mode", K_MODE, SPI(mode), 0 },
	{ "spi_cs_idle", K_MASK, SPI(cs_idle), 0 },
	{ "spi_cs_active", K_MASK, SPI(cs_active), 0 },
	{ "spi_delay_cs_to_data_us", K_DELAY, SPI(delay_cs_to_data), 0 },
	{ "spi_delay_data_to_cs_us", K_DELAY, SPI(delay_data_to_cs), 0 },
	{ "spi_delay_between_bytes_us", K_DELAY, SPI(delay_between_bytes), 0 },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static void format_key(const struct key *k, const struct settings *s, struct text *out)
{
	const void *p = (const char *)s + k->offset;

	switch (k->kind) {
	case K_FUNCTION: {
		char name[SETTINGS_FUNCTION_MAX];

		settings_function_format(k->pin, *(const uint8_t *)p, name);
		text_printf(out, "%s=%s\n", k->name, name);
		break;
	}
	case K_MASK:
		text_printf(out, "%s=0x%03x\n", k->name, *(const uint16_t *)p & MCP2210_PIN_MASK);
		break;
	case K_DIRS: /* GP8 reads as the input it is, so that the text written back is accepted */
		text_printf(out, "%s=0x%03x\n", k->name, (*(const uint16_t *)p & MCP2210_PIN_MASK) | GP8_INPUT);
		break;
	case K_BOOL:
		text_printf(out, "%s=%d\n", k->name, *(const bool *)p ? 1 : 0);
		break;
	case K_IRQ:
		text_printf(out, "%s=%s\n", k->name, settings_irq_mode_names[*(const uint8_t *)p % 5]);
		break;
	case K_BITRATE:
		text_printf(out, "%s=%u\n", k->name, (unsigned)*(const uint32_t *)p);
		break;
	case K_MODE:
		text_printf(out, "%s=%u\n", k->name, (unsigned)*(const uint8_t *)p);
		break;
	case K_DELAY:
		text_printf(out, "%s=%u\n", k->name, (unsigned)*(const uint16_t *)p * 100u);
		break;
	}
}

void settings_format(const struct settings *s, struct text *out)
{
	for (size_t i = 0; i < NKEYS; i++)
		format_key(&keys[i], s, out);
}

static int parse_key(const struct key *k, const char *v, struct settings *s)
{
	void *p = (char *)s + k->offset;
	unsigned long n;
	int ret;

	switch (k->kind) {
	case K_FUNCTION:
		ret = settings_function_parse(k->pin, v);
		if (ret >= 0)
			*(uint8_t *)p = (uint8_t)ret;
		return ret < 0 ? ret : 0;
	case K_MASK:
		ret = text_uint(v, 0, MCP2210_PIN_MASK, &n);
		if (!ret)
			*(uint16_t *)p = settings_pins_set(*(uint16_t *)p, (uint16_t)n);
		return ret;
	case K_DIRS: /* as gpio/8/direction: GP8 cannot be made an output */
		ret = text_uint(v, 0, MCP2210_PIN_MASK, &n);
		if (!ret && !(n & GP8_INPUT))
			ret = -EINVAL;
		if (!ret)
			*(uint16_t *)p = (uint16_t)n;
		return ret;
	case K_BOOL:
		return text_bool(v, (bool *)p);
	case K_IRQ:
		ret = text_enum(v, settings_irq_mode_names, 5);
		if (ret >= 0)
			*(uint8_t *)p = (uint8_t)ret;
		return ret < 0 ? ret : 0;
	case K_BITRATE:
		ret = text_uint(v, MCP2210_BITRATE_MIN, MCP2210_BITRATE_MAX, &n);
		if (!ret)
			*(uint32_t *)p = (uint32_t)n;
		return ret;
	case K_MODE:
		ret = text_uint(v, 0, 3, &n);
		if (!ret)
			*(uint8_t *)p = (uint8_t)n;
		return ret;
	case K_DELAY:
		return settings_delay_parse(v, (uint16_t *)p);
	}
	return -EINVAL;
}

struct parse_state {
	struct settings *s;
	bool seen[NKEYS];
};

static int parse_pair(void *ctx, const char *key, const char *value)
{
	struct parse_state *st = ctx;

	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].name, key) != 0)
			continue;
		if (st->seen[i])
			return -EINVAL;
		st->seen[i] = true;
		return parse_key(&keys[i], value, st->s);
	}
	return -EINVAL;
}

int settings_parse(char *text, struct settings *s)
{
	struct parse_state st = { .s = s };

	return text_each_pair(text, parse_pair, &st);
}

int settings_check(char *text)
{
	struct settings scratch = { 0 };

	return settings_parse(text, &scratch);
}

int settings_parse_onto(void *text, struct mcp2210_chip_settings *chip, struct mcp2210_spi_settings *spi)
{
	struct settings s = { *chip, *spi };

	if (settings_parse(text, &s) < 0)
		return -EINVAL;
	*chip = s.chip;
	*spi = s.spi;
	return 0;
}
