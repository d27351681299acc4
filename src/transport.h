/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One ops table, several transports: how the worker thread reaches a chip. A transport moves
 * one 64-byte request and its 64-byte answer, knowing nothing of what they mean; it also tells
 * whether the device is there and what it enumerated as, and gets it back after an unplug.
 * Only the worker thread exchanges; the other operations say which thread may call them.
 */
#ifndef MCP2210FS_TRANSPORT_H
#define MCP2210FS_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/proto.h"

struct transport;

/* The USB identity a device enumerated with: what a host reads from its descriptors. It stays
 * until the device enumerates again (replugged, power cycled): a change written to NVRAM shows
 * only then, as on the bus. */
struct transport_identity {
	uint16_t vid, pid;
	uint8_t bus, address; /* where it sits, as lsusb numbers them (1..255); 0, 0 for a device on
			       * no bus: the in-process emulated chip */
	char manufacturer[128], product[128], serial[128]; /* UTF-8, "" when the device has none */
};

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

	/* The device's comings and goings. Every transport has all five. */

	/* Any thread: whether the device is there, as far as the transport knows without an
	 * exchange. False from the moment it learnt that the device went (an exchange or check()
	 * met -ENODEV, the emulated cable was pulled) until it is back: from then on every
	 * exchange fails with -ENODEV at once. */
	bool (*present)(struct transport *t);
	/* Any thread: the identity the device enumerated with; while it is gone, the last one. */
	void (*identity)(struct transport *t, struct transport_identity *id);
	/* For one monitor thread: return when the device's presence changes, after ms at most, or
	 * at once (now and from then on) after wake(). True when the worker thread should now look
	 * at the device: check() while it is present, reconnect() while it is gone (the transport
	 * learns some comings and goings only there, e.g. libusb's hotplug events while the
	 * device is open, or a rescan where there are none); false when there is nothing to look
	 * at (woken, or nothing happened that present() does not already tell). Never at the same
	 * time as reconnect(). */
	bool (*wait)(struct transport *t, unsigned ms);
	/* Any thread: end the current wait() and every later one at once (before free()). */
	void (*wake)(struct transport *t);
	/* Worker thread: find the lost device again (the same one: its VID:PID and serial) and
	 * take it back. 0 once it is there again (or was never lost), -ENODEV while it is absent,
	 * other -errno on failure (logged). */
	int (*reconnect)(struct transport *t);

	void (*free)(struct transport *t);
};

struct transport {
	const struct transport_ops *ops;
	/* Submit the IN transfer before the OUT one (the default). False only for the benchmark's
	 * naive baseline (MOUNT_NAIVE, bench/naive.c): it costs one more USB frame per exchange. */
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
static inline bool transport_present(struct transport *t) { return t->ops->present(t); }

static inline void transport_identity(struct transport *t, struct transport_identity *id) { t->ops->identity(t, id); }

static inline bool transport_wait(struct transport *t, unsigned ms) { return t->ops->wait(t, ms); }

static inline void transport_wake(struct transport *t) { t->ops->wake(t); }

static inline int transport_reconnect(struct transport *t) { return t->ops->reconnect(t); }

static inline void transport_free(struct transport *t)
{
	if (t)
		t->ops->free(t);
}

/* A trace of every exchange through inner (doc/trace-format.md), written to path: the
 * returned transport forwards each call to inner (which it does not own) and appends what
 * went and came to the file. header: extra "# key: value" lines for the file's head, or NULL.
 * 0, or -errno with the reason logged (the file cannot be created, -ENOMEM). A write error
 * later is logged once; exchanges go on. The device's comings and goings are inner's, forwarded
 * unrecorded. */
int transport_trace_new(struct transport *inner, const char *path, const char *header, struct transport **out);

/* The in-process emulated chip (transport_emu.c). The transport does not own the emulator (free
 * the transport first), and learns its unplugs, replugs and power cycles from it
 * (emu_usb_listen(): one transport per emulator). With realtime, virtual time follows the wall
 * clock: an exchange returns no earlier than the emulator's frames say, and time between
 * exchanges passes for the chip too. 0 or -ENOMEM. */
struct emu;
int transport_emu_new(struct emu *e, bool realtime, struct transport **out);

#endif
