/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Text attribute helpers (see text.h). Parsing is strict on purpose: scripts that write a
 * wrong value get EINVAL, never a silently different setting.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/text.h"

void text_init(struct text *t)
{
	t->len = 0;
	t->overflow = false;
	t->buf[0] = '\0';
}

void text_printf(struct text *t, const char *fmt, ...)
{
	size_t room = sizeof(t->buf) - t->len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		t->overflow = true;
		t->len = sizeof(t->buf) - 1;
	} else {
		t->len += (size_t)n;
	}
}

int text_value(const char *data, size_t len, bool multiline, char *out, size_t size)
{
	if (len > 0 && data[len - 1] == '\n')
		len--;
	if (len == 0 || len >= size || memchr(data, '\0', len) || (!multiline && memchr(data, '\n', len)))
		return -EINVAL;
	memcpy(out, data, len);
	out[len] = '\0';
	return 0;
}

int text_number(const char *s, int base, unsigned long min, unsigned long max, unsigned long *out)
{
	bool prefix = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	const char *digits = prefix && base != 10 ? s + 2 : s;
	unsigned long v;
	char *end;

	if (base == 0)
		base = prefix ? 16 : 10;
	/* strtoul would accept leading blanks, signs and a second 0x: users' typos must not pass */
	if (!(base == 16 ? isxdigit((unsigned char)digits[0]) : isdigit((unsigned char)digits[0])) ||
	    (base == 16 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')))
		return -EINVAL;
	errno = 0;
	v = strtoul(digits, &end, base);
	if (errno || *end || end == digits || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int text_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	return text_number(s, 0, min, max, out);
}

int text_bool(const char *s, bool *out)
{
	if ((s[0] != '0' && s[0] != '1') || s[1] != '\0')
		return -EINVAL;
	*out = s[0] == '1';
	return 0;
}

int text_enum(const char *s, const char *const *names, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (names[i] && strcmp(s, names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

int text_each_pair(char *s, int (*fn)(void *ctx, const char *key, const char *value), void *ctx)
{
	char *save = NULL;

	for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		int ret;

		if (!eq)
			return -EINVAL;
		*eq = '\0';
		ret = fn(ctx, line, eq + 1);
		if (ret < 0)
			return ret;
	}
	return 0;
}
