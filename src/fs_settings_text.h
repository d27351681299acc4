/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The "key=value" text of `settings` and `nvram/settings`: every chip and SPI setting a user
 * can change. Reading gives text that, written back, restores exactly that state; a write may
 * name any subset of the keys, each at most once.
 */
#ifndef MCP2210FS_SETTINGS_TEXT_H
#define MCP2210FS_SETTINGS_TEXT_H

#include "proto/proto.h"
#include "util/text.h"

struct settings {
	struct mcp2210_chip_settings chip;
	struct mcp2210_spi_settings spi;
};

void settings_format(const struct settings *s, struct text *out);
/* Apply the lines of text (modified in place) on top of *s. -EINVAL for an unknown or
 * repeated key or a bad value; *s is then unspecified (parse into a copy). */
int settings_parse(char *text, struct settings *s);
/* Whether settings_parse would accept text (modified in place): 0 or -EINVAL. */
int settings_check(char *text);

/* settings_parse() of text (a char *, modified in place) on top of chip and spi, as the device
 * layer's edits take it (device_settings_edit_fn): 0, or -EINVAL and both left as they were. */
int settings_parse_onto(void *text, struct mcp2210_chip_settings *chip, struct mcp2210_spi_settings *spi);

/* Pin function names: "gpio", "cs", or the pin's dedicated function; NULL where the pin has
 * no such role (cs on GP8, dedicated on GP0/GP1, any byte above 0x02). */
const char *settings_function_name(unsigned pin, uint8_t function);
/* The text of a designation byte: its name, or "0xNN" for a byte the pin has no name for (a
 * chip holds whatever another tool sent it; issue 11, item 10), so that it reads back as
 * itself and survives being written back. */
#define SETTINGS_FUNCTION_MAX 24
void settings_function_format(unsigned pin, uint8_t function, char buf[SETTINGS_FUNCTION_MAX]);
/* A name of settings_function_name() for this pin, or a byte 0..255 in decimal or 0x-hex:
 * the designation byte, or -EINVAL. */
int settings_function_parse(unsigned pin, const char *name);

extern const char *const settings_irq_mode_names[5];

/* A pin mask field after a user wrote pins (bits 0..8): bits 9..15 stay as the chip had them,
 * since the file tree cannot name them (a chip keeps `ff ff` written by another program in its
 * 16-bit chip-select fields; rewriting the rest must not change them). */
uint16_t settings_pins_set(uint16_t field, uint16_t pins);

/* SPI delays: the chip counts 100 µs; users write µs, rounded up. */
int settings_delay_parse(const char *s, uint16_t *units);

#endif
