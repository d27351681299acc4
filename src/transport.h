/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One ops table, several transports: how the worker thread reaches a chip. A transport moves
 * one 64-byte request and its 64-byte answer; it knows nothing of what they mean. Only the
 * worker thread calls a transport once it is open.
 */
#ifndef MCP2210FS_TRANSPORT_H
#define MCP2210FS_TRANSPORT_H

#include <stdbool.h>

#include "proto.h"

struct transport;

struct transport_ops {
	const char *name;
	/* One exchange: send req, wait up to timeout_ms for an IN report. 0 with resp filled
	 * (whatever it holds: the caller checks the echo), -ETIMEDOUT, -ENODEV (device gone),
	 * -EIO (anything else, logged here with the detail). */
	int (*exchange)(struct transport *t, const mcp2210_report req, mcp2210_report resp, unsigned timeout_ms);
	/* Throw away IN reports that arrived late (after a timeout or a wrong echo). Returns how
	 * many, with those the transport threw away by itself since the last call (opening the
	 * device), or -errno. */
	int (*drain)(struct transport *t);
	/* Optional: is the device still the one we talk to? 0, or -ENODEV once it was unplugged
	 * (learnt without an exchange, e.g. from hotplug events). */
	int (*check)(struct transport *t);
	/* Optional, for traces (transport_trace.c): when the last exchange's request went out and
	 * when the exchange ended (answer, timeout or error), in ns on the device's own clock, e.g.
	 * an emulated chip's virtual time since power-up. NULL: the transport has no clock of its
	 * own, and the trace uses the host's CLOCK_MONOTONIC around the call. */
	void (*times)(struct transport *t, uint64_t *out_ns, uint64_t *end_ns);
	/* Optional, from any thread: an exchange in progress whose answer is already later than
	 * the bus normally takes (lost) ends now with -EINTR instead of waiting out its timeout;
	 * an answer on its way is never cut. No effect on later exchanges. */
	void (*abort)(struct transport *t);
	void (*free)(struct transport *t);
};

struct transport {
	const struct transport_ops *ops;
	/* Submit the IN transfer before the OUT one (the default). False only for the naive
	 * baseline of the benchmark: it costs one more USB frame per exchange. */
	bool in_first;
	/* Length of the bus's frame: reports go out at frame boundaries and an answer comes back
	 * at the end of the frame that carried the request. 0: no timing at all (the emulator
	 * with -o emu_frame_us=0 answers at once and clocks SPI in no time). */
	uint64_t frame_ns;
};

static inline int transport_exchange(struct transport *t, const mcp2210_report req, mcp2210_report resp,
				     unsigned timeout_ms)
{
	return t->ops->exchange(t, req, resp, timeout_ms);
}

static inline int transport_drain(struct transport *t) { return t->ops->drain(t); }

static inline int transport_check(struct transport *t) { return t->ops->check ? t->ops->check(t) : 0; }

static inline void transport_abort(struct transport *t)
{
	if (t->ops->abort)
		t->ops->abort(t);
}

static inline void transport_free(struct transport *t)
{
	if (t)
		t->ops->free(t);
}

/* A trace of every exchange through inner (doc/trace-format.md), written to path: the
 * returned transport forwards each call to inner (which it does not own) and appends what
 * went and came to the file. header: extra "# key: value" lines for the file's head, or NULL.
 * 0, or -errno with the reason logged (the file cannot be created, -ENOMEM). A write error
 * later is logged once; exchanges go on. Worker thread only, as every transport. */
int transport_trace_new(struct transport *inner, const char *path, const char *header, struct transport **out);

/* The in-process emulated chip (transport_emu.c). The transport does not own the emulator.
 * With realtime, virtual time follows the wall clock: an exchange returns no earlier than the
 * emulator's frames say, and time between exchanges passes for the chip too. */
struct emu;
int transport_emu_new(struct emu *e, bool realtime, struct transport **out);

#endif
