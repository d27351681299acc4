/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The only way mcp2210fs prints: leveled messages to stderr, syslog, or a sink set by a test.
 */
#ifndef MCP2210FS_LOG_H
#define MCP2210FS_LOG_H

#include <stdarg.h>

enum log_level { LOG_LEVEL_ERR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

/* Messages above this level are dropped. Default: LOG_LEVEL_WARN. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Replace the sink (NULL restores stderr). The sink gets the formatted message, no newline. */
typedef void (*log_sink_fn)(enum log_level level, const char *msg);
void log_set_sink(log_sink_fn sink);
/* From now on, messages go to syslog(3) (the journal) as ident[pid], facility LOG_DAEMON, at
 * the priority of their level: for a daemon with no terminal left. */
void log_to_syslog(const char *ident);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
