/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Leveled logging with a replaceable sink: stderr, syslog(3) for the daemon in the background,
 * or a test's. Messages are formatted into one buffer and written with one call so that lines
 * from several threads do not interleave.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <syslog.h>

#include "util/log.h"

static _Atomic int log_level = LOG_LEVEL_WARN;
static _Atomic(log_sink_fn) log_sink;

void log_set_level(enum log_level level) { atomic_store(&log_level, (int)level); }

enum log_level log_get_level(void) { return (enum log_level)atomic_load(&log_level); }

void log_set_sink(log_sink_fn sink) { atomic_store(&log_sink, sink); }

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = { "error", "warning", "info", "debug" };
	char msg[1024];
	va_list ap;

	if ((int)level > atomic_load(&log_level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	log_sink_fn sink = atomic_load(&log_sink);
	if (sink)
		sink(level, msg);
	else
		fprintf(stderr, "mcp2210fs: %s: %s\n", prefix[level], msg);
}

static void syslog_sink(enum log_level level, const char *msg)
{
	static const int priority[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

	syslog(priority[level], "%s", msg);
}

void log_to_syslog(const char *ident)
{
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_set_sink(syslog_sink);
}
