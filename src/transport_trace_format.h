/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The line format of an exchange trace (-o trace=FILE, mcp2210-replay), documented in
 * doc/trace-format.md: writing and reading one line. Pure: no I/O, no allocation.
 */
#ifndef MCP2210FS_TRACE_FORMAT_H
#define MCP2210FS_TRACE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "proto/proto.h"

#define TRACE_MAGIC "# mcp2210fs trace 1"
/* "T+" 20 digits ".nnn" " > " and 64 bytes of "xx " */
#define TRACE_LINE_MAX 256

enum trace_kind {
	TRACE_BLANK,   /* empty line or "# ..." comment (header lines are comments too) */
	TRACE_REQUEST, /* ">": a report the host sent */
	TRACE_ANSWER,  /* "<": the report that answered it */
	TRACE_TIMEOUT, /* "! timeout": no answer within the host's timeout */
	TRACE_ERROR,   /* "! error NAME": the exchange failed (NAME e.g. ENODEV) */
	TRACE_DRAINED, /* "! drained N": N stale answers thrown away after a timeout/wrong echo */
};

struct trace_line {
	enum trace_kind kind;
	uint64_t ns;         /* the T+ time */
	mcp2210_report data; /* REQUEST, ANSWER: the 64 bytes (those not written are 0) */
	unsigned count;      /* DRAINED */
	char error[16];      /* ERROR: the name as written */
};

/* One line, without its newline, into buf (at least TRACE_LINE_MAX bytes). Trailing zero
 * bytes of a report are not written (at least one byte is). ns is written in microseconds,
 * with three decimals only when it is not a whole number of them. */
void trace_format_report(char *buf, size_t size, uint64_t ns, enum trace_kind kind, const mcp2210_report r);
/* "! timeout" for -ETIMEDOUT, "! error NAME" for any other -errno. */
void trace_format_event(char *buf, size_t size, uint64_t ns, int err);
void trace_format_drained(char *buf, size_t size, uint64_t ns, unsigned count);

/* Parse one line (with or without its newline). 0, or -EINVAL for a line that is not in the
 * format (out->kind undefined then). */
int trace_parse_line(const char *line, struct trace_line *out);

#endif
