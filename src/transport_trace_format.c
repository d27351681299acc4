/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Exchange traces, one line at a time (doc/trace-format.md):
 *   T+<µs> > <hex bytes>      the request      T+<µs> ! timeout       no answer came
 *   T+<µs> < <hex bytes>      its answer       T+<µs> ! error ENODEV  the exchange failed
 *   T+<µs> ! drained <n>      stale answers thrown away
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport_trace_format.h"

static int put_time(char *buf, size_t size, uint64_t ns)
{
	if (ns % 1000)
		return snprintf(buf, size, "T+%llu.%03llu", (unsigned long long)(ns / 1000),
				(unsigned long long)(ns % 1000));
	return snprintf(buf, size, "T+%llu", (unsigned long long)(ns / 1000));
}

void trace_format_report(char *buf, size_t size, uint64_t ns, enum trace_kind kind, const mcp2210_report r)
{
	size_t len = MCP2210_REPORT_SIZE, pos;

	while (len > 1 && r[len - 1] == 0)
		len--;
	pos = (size_t)put_time(buf, size, ns);
	pos += (size_t)snprintf(buf + pos, pos < size ? size - pos : 0, " %c", kind == TRACE_REQUEST ? '>' : '<');
	for (size_t i = 0; i < len && pos < size; i++)
		pos += (size_t)snprintf(buf + pos, size - pos, " %02x", r[i]);
}

static const char *errno_name(int err)
{
	switch (err) {
	case ENODEV:
		return "ENODEV";
	case EIO:
		return "EIO";
	case EPROTO:
		return "EPROTO";
	case ENOMEM:
		return "ENOMEM";
	case EINTR:
		return "EINTR";
	case EBUSY:
		return "EBUSY";
	default:
		return NULL;
	}
}

void trace_format_event(char *buf, size_t size, uint64_t ns, int err)
{
	size_t pos = (size_t)put_time(buf, size, ns);
	const char *name = errno_name(-err);

	if (pos >= size)
		return;
	if (err == -ETIMEDOUT)
		snprintf(buf + pos, size - pos, " ! timeout");
	else if (name)
		snprintf(buf + pos, size - pos, " ! error %s", name);
	else
		snprintf(buf + pos, size - pos, " ! error E%d", -err);
}

void trace_format_drained(char *buf, size_t size, uint64_t ns, unsigned count)
{
	size_t pos = (size_t)put_time(buf, size, ns);

	if (pos < size)
		snprintf(buf + pos, size - pos, " ! drained %u", count);
}

static int parse_time(const char **p, uint64_t *ns)
{
	char *end;
	unsigned long long us, frac = 0;

	if (strncmp(*p, "T+", 2) != 0 || (*p)[2] < '0' || (*p)[2] > '9')
		return -EINVAL;
	errno = 0;
	us = strtoull(*p + 2, &end, 10);
	if (errno || us > UINT64_MAX / 1000)
		return -EINVAL;
	if (*end == '.') {
		const char *f = end + 1;

		for (int i = 0; i < 3; i++, f++) {
			if (*f < '0' || *f > '9')
				return -EINVAL;
			frac = frac * 10 + (unsigned)(*f - '0');
		}
		end = (char *)f;
	}
	*ns = us * 1000 + frac;
	*p = end;
	return 0;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Bytes as pairs of hex digits separated by blanks; at least 1, at most 64. */
static int parse_hex(const char *p, mcp2210_report out)
{
	size_t n = 0;

	memset(out, 0, MCP2210_REPORT_SIZE);
	for (;;) {
		while (is_space(*p))
			p++;
		if (!*p)
			return n ? 0 : -EINVAL;
		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) || n == MCP2210_REPORT_SIZE ||
		    (p[2] && !is_space(p[2])))
			return -EINVAL;
		out[n++] = (uint8_t)strtoul((char[3]){ p[0], p[1], '\0' }, NULL, 16);
		p += 2;
	}
}

static int parse_event(const char *p, struct trace_line *out)
{
	if (strncmp(p, "timeout", 7) == 0 && strspn(p + 7, " \t\r\n") == strlen(p + 7)) {
		out->kind = TRACE_TIMEOUT;
		return 0;
	}
	if (strncmp(p, "error ", 6) == 0) {
		size_t len;

		p += 6;
		len = strcspn(p, " \t\r\n");
		if (len == 0 || len >= sizeof(out->error) || strspn(p + len, " \t\r\n") != strlen(p + len))
			return -EINVAL;
		memcpy(out->error, p, len);
		out->error[len] = '\0';
		out->kind = TRACE_ERROR;
		return 0;
	}
	if (strncmp(p, "drained ", 8) == 0 && p[8] >= '0' && p[8] <= '9') {
		char *end;
		unsigned long n;

		errno = 0;
		n = strtoul(p + 8, &end, 10);
		if (errno || n > 1000000 || strspn(end, " \t\r\n") != strlen(end))
			return -EINVAL;
		out->count = (unsigned)n;
		out->kind = TRACE_DRAINED;
		return 0;
	}
	return -EINVAL;
}

int trace_parse_line(const char *line, struct trace_line *out)
{
	const char *p = line + strspn(line, " \t");

	memset(out, 0, sizeof(*out));
	if (!*p || *p == '#' || *p == '\n' || *p == '\r') {
		out->kind = TRACE_BLANK;
		return 0;
	}
	if (parse_time(&p, &out->ns) < 0 || *p != ' ')
		return -EINVAL;
	p += strspn(p, " \t");
	switch (*p) {
	case '>':
	case '<':
		out->kind = *p == '>' ? TRACE_REQUEST : TRACE_ANSWER;
		return parse_hex(p + 1, out->data);
	case '!':
		return parse_event(p + 1 + strspn(p + 1, " \t"), out);
	default:
		return -EINVAL;
	}
}
