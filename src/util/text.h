/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Strict parsing and growing-buffer formatting for the text attributes of the file tree.
 * A value is accepted with or without one trailing newline; anything else is -EINVAL.
 */
#ifndef MCP2210FS_TEXT_H
#define MCP2210FS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TEXT_MAX 4096 /* the largest text attribute read or written */

/* A fixed buffer that formats with appends and remembers overflow. */
struct text {
	char buf[TEXT_MAX];
	size_t len;
	bool overflow;
};

void text_init(struct text *t);
void text_printf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copy a written value into out (NUL-terminated) without its one optional trailing newline.
 * -EINVAL for an empty value, an embedded NUL, one that does not fit, or (unless multiline)
 * an embedded newline. */
int text_value(const char *data, size_t len, bool multiline, char *out, size_t size);

/* The one number parser of mcp2210fs (file writes and -o options alike): the whole string
 * is an unsigned number within [min, max], or -EINVAL (no blanks, signs, suffixes, empty
 * strings or overflow). base 0: decimal, or hexadecimal after 0x/0X; base 16: hexadecimal
 * with or without 0x (USB IDs as lsusb prints them); base 10: decimal only. */
int text_number(const char *s, int base, unsigned long min, unsigned long max, unsigned long *out);
/* text_number(s, 0, ...): what every file takes. */
int text_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);
/* The one flag parser: "0" is false, "1" true, anything else -EINVAL ("01", "0x1", "true",
 * blanks), as sysfs GPIO takes value and active_low. *out is set only on success. */
int text_bool(const char *s, bool *out);
/* Index of s in names[n], or -EINVAL. */
int text_enum(const char *s, const char *const *names, unsigned n);

/* Split "key=value" lines: calls fn for each non-blank line; stops at its first error.
 * Lines without '=' are -EINVAL. The buffer is modified. fn only records what it parsed:
 * the caller applies it after every line passed, so a bad line changes nothing. */
int text_each_pair(char *s, int (*fn)(void *ctx, const char *key, const char *value), void *ctx);

#endif
