/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * -o trace=FILE: a transport that forwards every call to the real one (USB or emulated) and
 * writes what went and came to a text file, one line per report, in the format of
 * doc/trace-format.md. mcp2210-replay (src/tools/replay.c) feeds such a file to an emulated chip.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"
#include "util/log.h"
#include "transport_trace_format.h"
#include "transport.h"

struct transport_trace {
	struct transport base;
	struct transport *inner;
	FILE *f;
	char *path;
	uint64_t t0_ns; /* CLOCK_MONOTONIC when the trace began, for a transport without a clock */
	uint64_t last_ns; /* when the last exchange ended, on the trace's clock */
	bool failed;    /* a write failed: logged once, nothing more written */
};

/* After each exchange: the file holds every complete line, also if the daemon is killed. */
static void trace_flush(struct transport_trace *t, int printed)
{
	if (t->failed)
		return;
	if (printed < 0 || fflush(t->f) != 0 || ferror(t->f)) {
		log_err("trace %s: write failed (%s): no more exchanges are recorded", t->path, strerror(errno));
		t->failed = true;
	}
}

static int trace_exchange_op(struct transport *base, const mcp2210_report req, mcp2210_report resp,
			     unsigned timeout_ms)
{
	struct transport_trace *t = (struct transport_trace *)base;
	uint64_t out_ns = mono_now_ns() - t->t0_ns, end_ns;
	char line[TRACE_LINE_MAX];
	int ret, printed;

	ret = transport_exchange(t->inner, req, resp, timeout_ms);
	end_ns = mono_now_ns() - t->t0_ns;
	if (t->inner->ops->times)
		t->inner->ops->times(t->inner, &out_ns, &end_ns);
	t->last_ns = end_ns;
	if (t->failed)
		return ret;
	trace_format_report(line, sizeof(line), out_ns, TRACE_REQUEST, req);
	printed = fprintf(t->f, "%s\n", line);
	if (printed >= 0) {
		if (ret == 0)
			trace_format_report(line, sizeof(line), end_ns, TRACE_ANSWER, resp);
		else
			trace_format_event(line, sizeof(line), end_ns, ret);
		printed = fprintf(t->f, "%s\n", line);
	}
	trace_flush(t, printed);
	return ret;
}

static int trace_drain_op(struct transport *base)
{
	struct transport_trace *t = (struct transport_trace *)base;
	int n = transport_drain(t->inner);

	if (n > 0 && !t->failed) { /* stale answers that were there belong to the record */
		char line[TRACE_LINE_MAX];

		trace_format_drained(line, sizeof(line), t->last_ns, n);
		trace_flush(t, fprintf(t->f, "%s\n", line));
	}
	return n;
}


/* The device's comings and goings are the inner transport's: forwarded as they are. */
static struct transport *inner_of(struct transport *base) { return ((struct transport_trace *)base)->inner; }

static int trace_check_op(struct transport *base) { return transport_check(inner_of(base)); }

static bool trace_present_op(struct transport *base) { return transport_present(inner_of(base)); }

static void trace_identity_op(struct transport *base, struct transport_identity *id)
{
	transport_identity(inner_of(base), id);
}

static bool trace_wait_op(struct transport *base, unsigned ms) { return transport_wait(inner_of(base), ms); }

static void trace_wake_op(struct transport *base) { transport_wake(inner_of(base)); }

static int trace_reconnect_op(struct transport *base) { return transport_reconnect(inner_of(base)); }

static void trace_free_op(struct transport *base)
{
	struct transport_trace *t = (struct transport_trace *)base;

	if (fclose(t->f) != 0 && !t->failed)
		log_err("trace %s: closing failed: %s", t->path, strerror(errno));
	free(t->path);
	free(t);
}

static void trace_abort_op(struct transport *base)
{
	transport_abort(((struct transport_trace *)base)->inner);
}

static const struct transport_ops trace_ops = {
	.name = "trace",
	.exchange = trace_exchange_op,
	.drain = trace_drain_op,
	.check = trace_check_op,
	.abort = trace_abort_op,
	.present = trace_present_op,
	.identity = trace_identity_op,
	.wait = trace_wait_op,
	.wake = trace_wake_op,
	.reconnect = trace_reconnect_op,
	.free = trace_free_op,
};

int transport_trace_new(struct transport *inner, const char *path, const char *header, struct transport **out)
{
	struct transport_trace *t = calloc(1, sizeof(*t));
	time_t now = time(NULL);
	char started[32] = "?";
	struct tm tm;
	int ret;

	*out = NULL;
	if (!t || !(t->path = strdup(path))) {
		free(t);
		return -ENOMEM;
	}
	t->f = fopen(path, "we");
	if (!t->f) {
		ret = -errno;
		log_err("cannot open the trace file %s: %s", path, strerror(errno));
		free(t->path);
		free(t);
		return ret;
	}
	t->base = (struct transport){ .ops = &trace_ops, .in_first = inner->in_first, .frame_ns = inner->frame_ns };
	t->inner = inner;
	t->t0_ns = mono_now_ns();
	if (gmtime_r(&now, &tm))
		strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	ret = fprintf(t->f,
		      "%s\n# started: %s\n# transport: %s\n# clock: %s\n# frame_us: %llu\n# order: %s\n%s",
		      TRACE_MAGIC, started, inner->ops->name, inner->ops->times ? "device" : "host",
		      (unsigned long long)(inner->frame_ns / 1000), inner->in_first ? "in-first" : "out-first",
		      header ? header : "");
	if (ret < 0 || fflush(t->f) != 0) {
		ret = -(errno ? errno : EIO);
		log_err("cannot write the trace file %s: %s", path, strerror(-ret));
		fclose(t->f);
		free(t->path);
		free(t);
		return ret;
	}
	*out = &t->base;
	return 0;
}
