/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The bytes the mounted tests' helpers write: escapes (\n, \xHH ...), hex pairs and the
 * test pattern. Shared by the helpers in tests/mount/.
 */
#ifndef MCP2210FS_TESTS_MOUNT_BYTES_H
#define MCP2210FS_TESTS_MOUNT_BYTES_H

#include <ctype.h>
#include <stdint.h>
#include <sys/types.h>

static inline int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes DATA's escapes into buf (at least strlen(s) bytes); returns the length or -1. */
static inline ssize_t unescape(const char *s, uint8_t *buf)
{
	size_t n = 0;

	while (*s) {
		if (*s != '\\') {
			buf[n++] = (uint8_t)*s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'n':
			buf[n++] = '\n';
			break;
		case 'r':
			buf[n++] = '\r';
			break;
		case 't':
			buf[n++] = '\t';
			break;
		case '\\':
			buf[n++] = '\\';
			break;
		case 'x':
			if (hexval(s[1]) < 0 || hexval(s[2]) < 0)
				return -1;
			buf[n++] = (uint8_t)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 2;
			break;
		default:
			return -1;
		}
		s++;
	}
	return (ssize_t)n;
}

/* Parses "9f 00 0a" or "9f000a" into buf (at least strlen(s) / 2 bytes); length or -1. */
static inline ssize_t parse_hex(const char *s, uint8_t *buf)
{
	size_t n = 0;

	while (*s) {
		if (isspace((unsigned char)*s)) {
			s++;
			continue;
		}
		if (hexval(s[0]) < 0 || hexval(s[1]) < 0)
			return -1;
		buf[n++] = (uint8_t)(hexval(s[0]) * 16 + hexval(s[1]));
		s += 2;
	}
	return (ssize_t)n;
}

/* The byte at position i of a write: never constant, never a period of 256 or 2^n. */
static inline uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + i / 251 + 0x5a);
}

#endif
