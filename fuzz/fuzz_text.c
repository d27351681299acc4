/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the text parsers (src/util/text.c, src/fs_settings_text.c): the input is a
 * value written to an attribute. Each parser is compared with an independent reading of its
 * contract, and settings text that parses must format to text that parses back to the same
 * settings (and formats to the same text again).
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fs_settings_text.h"
#include "util/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- text_value --------------------------------------------------------------------------- */

static void fuzz_value(const uint8_t *data, size_t size, bool multiline, size_t out_size)
{
	const char *in = (const char *)data;
	size_t len = size > 0 && in[size - 1] == '\n' ? size - 1 : size;
	bool ok = len > 0 && len < out_size && !memchr(in, '\0', len) && (multiline || !memchr(in, '\n', len));
	char *out = malloc(out_size); /* exactly out_size: ASan sees a write past it */
	int ret;

	FUZZ_CHECK(out);
	ret = text_value(in, size, multiline, out, out_size);
	FUZZ_CHECK(ret == (ok ? 0 : -EINVAL));
	if (ok)
		FUZZ_CHECK(memcmp(out, in, len) == 0 && out[len] == '\0');
	free(out);
}

/* ---- numbers ------------------------------------------------------------------------------ */

static int digit(char c, unsigned base)
{
	int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;

	return d < (int)base ? d : -1;
}

/* Whole-string decimal or 0x/0X hex, no sign, no blanks, no overflow, within [min, max]. */
static int ref_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned base = 10;
	unsigned long v = 0;
	const char *p = s;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		return -EINVAL;
	for (; *p; p++) {
		int d = digit(*p, base);

		if (d < 0 || v > (ULONG_MAX - (unsigned long)d) / base)
			return -EINVAL;
		v = v * base + (unsigned long)d;
	}
	if (v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static void fuzz_uint(const char *s)
{
	static const struct {
		unsigned long min, max;
	} ranges[] = {
		{ 0, ULONG_MAX }, { 0, 1 }, { 0, 3 }, { 0, 0x1FF }, { 1500, 12000000 }, { 0, 6553500 }, { 7, 7 },
	};

	for (size_t i = 0; i < FUZZ_ARRAY_SIZE(ranges); i++) {
		unsigned long got = 0xDEAD, want = 0;
		int ret = text_uint(s, ranges[i].min, ranges[i].max, &got);
		int ref = ref_uint(s, ranges[i].min, ranges[i].max, &want);

		FUZZ_CHECK(ret == ref);
		FUZZ_CHECK(ret < 0 ? got == 0xDEAD : got == want);
	}
}

static void fuzz_delay(const char *s)
{
	unsigned long us;
	uint16_t units = 0xBEEF;
	int ret = settings_delay_parse(s, &units);
	int ref = ref_uint(s, 0, 65535ul * 100, &us);

	FUZZ_CHECK(ret == ref);
	if (ret < 0) {
		FUZZ_CHECK(units == 0xBEEF);
		return;
	}
	/* µs rounded up to whole 100 µs units. */
	FUZZ_CHECK((unsigned long)units * 100 >= us && (unsigned long)units * 100 < us + 100);
}

/* ---- names -------------------------------------------------------------------------------- */

static void fuzz_names(const char *s)
{
	int want = -EINVAL;
	int ret;

	for (unsigned pin = 0; pin < MCP2210_PIN_COUNT; pin++) {
		char back[SETTINGS_FUNCTION_MAX];
		unsigned long byte;
		bool named = false;

		want = -EINVAL;
		for (uint8_t f = 0; f <= 2; f++) {
			const char *name = settings_function_name(pin, f);

			if (name && strcmp(name, s) == 0 && want < 0) {
				want = f;
				named = true;
			}
		}
		/* else a raw designation byte, 0..255 */
		if (want < 0 && ref_uint(s, 0, 0xFF, &byte) == 0)
			want = (int)byte;
		ret = settings_function_parse(pin, s);
		FUZZ_CHECK(ret == want);
		if (named)
			FUZZ_CHECK(strcmp(settings_function_name(pin, (uint8_t)ret), s) == 0);
		if (ret >= 0) { /* what is shown parses back to the same byte */
			settings_function_format(pin, (uint8_t)ret, back);
			FUZZ_CHECK(settings_function_parse(pin, back) == ret);
		}
	}
	FUZZ_CHECK(settings_function_parse(MCP2210_PIN_COUNT - 1, "cs") == -EINVAL); /* GP8: no CS */

	want = -EINVAL;
	for (unsigned i = 0; i < 5; i++)
		if (want < 0 && strcmp(settings_irq_mode_names[i], s) == 0)
			want = (int)i;
	FUZZ_CHECK(text_enum(s, settings_irq_mode_names, 5) == want);
}

/* ---- key=value lines ---------------------------------------------------------------------- */

struct pairs {
	const char *orig; /* the text before text_each_pair() cut it up */
	char *buf;
	size_t calls;
};

static int count_pair(void *ctx, const char *key, const char *value)
{
	struct pairs *p = ctx;

	/* key and value are the parts of one line, split at its first '='. */
	FUZZ_CHECK(!strchr(key, '\n') && !strchr(key, '=') && !strchr(value, '\n'));
	FUZZ_CHECK(value == key + strlen(key) + 1 && p->orig[value - 1 - p->buf] == '=');
	p->calls++;
	return 0;
}

static void fuzz_pairs(const char *s)
{
	size_t len = strlen(s);
	size_t lines = 0;
	bool ok = true;
	struct pairs p = { .orig = s, .buf = malloc(len + 1) };
	int ret;

	FUZZ_CHECK(p.buf);
	memcpy(p.buf, s, len + 1);
	/* Reference: every non-empty line needs an '='. */
	for (const char *line = s; *line;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);

		if (n) {
			if (!memchr(line, '=', n)) {
				ok = false;
				break;
			}
			lines++;
		}
		line += n + (nl ? 1 : 0);
	}
	ret = text_each_pair(p.buf, count_pair, &p);
	FUZZ_CHECK(ret == (ok ? 0 : -EINVAL));
	if (ok)
		FUZZ_CHECK(p.calls == lines);
	free(p.buf);
}

/* ---- settings text ------------------------------------------------------------------------ */

/* Two valid bases that differ in every field the text names, and agree on the others. */
static const struct settings base_a = {
	.chip = { .gpio_direction = 0x1FF, .access = MCP2210_ACCESS_PASSWORD, .password = "secret!" },
	.spi = { .bitrate = 1000000, .cs_idle = 0x1FF, .bytes_per_transaction = 4 },
};
static const struct settings base_b = {
	.chip = {
		.pin_function = { 1, 1, 2, 1, 2, 2, 2, 2, 2 },
		.gpio_value = 0x0A5,
		.gpio_direction = 0x10E,
		.remote_wakeup = true,
		.irq_mode = MCP2210_IRQ_LOW_PULSES,
		.spi_bus_hold = true,
		.access = MCP2210_ACCESS_PASSWORD,
		.password = "secret!",
	},
	.spi = {
		.bitrate = 12000000,
		.cs_idle = 0x0FE,
		.cs_active = 0x101,
		.delay_cs_to_data = 1,
		.delay_data_to_cs = 2,
		.delay_between_bytes = 65535,
		.bytes_per_transaction = 4,
		.mode = 3,
	},
};

/* The fields the text carries. */
static bool text_fields_equal(const struct settings *a, const struct settings *b)
{
	const struct mcp2210_chip_settings *x = &a->chip, *y = &b->chip;
	const struct mcp2210_spi_settings *p = &a->spi, *q = &b->spi;

	return memcmp(x->pin_function, y->pin_function, sizeof(x->pin_function)) == 0 &&
	       x->gpio_value == y->gpio_value && x->gpio_direction == y->gpio_direction &&
	       x->remote_wakeup == y->remote_wakeup && x->irq_mode == y->irq_mode &&
	       x->spi_bus_hold == y->spi_bus_hold && p->bitrate == q->bitrate && p->mode == q->mode &&
	       p->cs_idle == q->cs_idle && p->cs_active == q->cs_active &&
	       p->delay_cs_to_data == q->delay_cs_to_data && p->delay_data_to_cs == q->delay_data_to_cs &&
	       p->delay_between_bytes == q->delay_between_bytes;
}

static bool other_fields_equal(const struct settings *a, const struct settings *b)
{
	return a->chip.access == b->chip.access && memcmp(a->chip.password, b->chip.password, MCP2210_PASSWORD_LEN) == 0 &&
	       a->spi.bytes_per_transaction == b->spi.bytes_per_transaction;
}

static void fuzz_settings(const char *s, bool use_b)
{
	const struct settings *base = use_b ? &base_b : &base_a, *other = use_b ? &base_a : &base_b;
	struct settings st = *base, again = *other, third = *base;
	struct text *t = malloc(sizeof(*t)), *t2 = malloc(sizeof(*t2));
	size_t len = strlen(s);
	char *buf = malloc(len + 1);
	int ret;

	FUZZ_CHECK(t && t2 && buf);
	memcpy(buf, s, len + 1);
	ret = settings_parse(buf, &st);
	FUZZ_CHECK(ret == 0 || ret == -EINVAL);
	if (ret < 0)
		goto out;
	/* Every accepted value is one the chip takes; what the text does not name is kept. */
	FUZZ_CHECK(proto_chip_settings_check(&st.chip) == 0 && proto_spi_settings_check(&st.spi) == 0);
	FUZZ_CHECK(other_fields_equal(&st, base));

	text_init(t);
	settings_format(&st, t);
	FUZZ_CHECK(!t->overflow && t->len == strlen(t->buf));
	/* Read back onto settings that differ in every field: the text must set them all. */
	free(buf);
	buf = malloc(t->len + 1);
	FUZZ_CHECK(buf);
	memcpy(buf, t->buf, t->len + 1);
	FUZZ_CHECK(settings_parse(buf, &again) == 0);
	FUZZ_CHECK(text_fields_equal(&st, &again));
	memcpy(buf, t->buf, t->len + 1);
	FUZZ_CHECK(settings_parse(buf, &third) == 0 && text_fields_equal(&st, &third));
	text_init(t2);
	settings_format(&again, t2);
	FUZZ_CHECK(t2->len == t->len && memcmp(t2->buf, t->buf, t->len) == 0);
out:
	free(buf);
	free(t2);
	free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	fuzz_value(data, size, false, TEXT_MAX);
	fuzz_value(data, size, true, TEXT_MAX);
	fuzz_value(data, size, true, 1 + (size ? data[0] % 16 : 0));
	fuzz_value(data, size, false, 1 + (size ? data[size - 1] % 16 : 0));

	/* The other parsers take the C string a write leaves: up to the first NUL, without the
	 * trailing newline (as text_value() gives it when it accepts the value). */
	s = malloc(size + 1);
	FUZZ_CHECK(s);
	memcpy(s, data, size);
	s[size] = '\0';
	if (size && s[size - 1] == '\n' && !memchr(s, '\0', size))
		s[size - 1] = '\0';
	fuzz_uint(s);
	fuzz_delay(s);
	fuzz_names(s);
	fuzz_pairs(s);
	fuzz_settings(s, false);
	fuzz_settings(s, true);
	free(s);
	return 0;
}
