/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated MCP2210 behind the transport interface. In real-time mode the emulator's
 * virtual clock is kept in step with CLOCK_MONOTONIC: idle time is handed to the chip before
 * each exchange, and the caller sleeps until the frames the exchange cost are over. The
 * emulated cable is the emulator's: it tells this transport when it is pulled or the chip
 * powers up (emu_usb_listen()), and answers for presence and identity.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/clock.h"
#include "emu/emu.h"
#include "util/log.h"
#include "transport.h"

struct transport_emu {
	struct transport base;
	struct emu *emu;
	bool realtime;
	uint64_t t0_ns; /* wall clock at virtual time 0 */
	uint64_t out_ns, end_ns; /* virtual times of the last exchange, for traces */
	/* transport_abort() while the host waits for an answer that will not come */
	pthread_mutex_t abort_lock;
	pthread_cond_t abort_cond;
	_Atomic unsigned aborts; /* transport_abort() calls so far, counted under abort_lock */

	/* Lock order: the emulator's lock, then this one (the listener runs under the first). */
	pthread_mutex_t lock; /* protects the two below; `changed` goes with them */
	pthread_cond_t changed;
	bool plugged; /* as the emulator last told */
	bool woken;
};

/* The answer was lost: a real host waits its whole timeout, unless the request is abandoned
 * (emu_abort_op). -ETIMEDOUT, or -EINTR when abandoned. */
static int wait_lost(struct transport_emu *t, unsigned aborts_seen, uint64_t wall_ns)
{
	struct timespec ts = ns_timespec(wall_ns);
	bool aborted;

	pthread_mutex_lock(&t->abort_lock);
	while (t->aborts == aborts_seen && pthread_cond_timedwait(&t->abort_cond, &t->abort_lock, &ts) != ETIMEDOUT)
		;
	aborted = t->aborts != aborts_seen;
	pthread_mutex_unlock(&t->abort_lock);
	return aborted ? -EINTR : -ETIMEDOUT;
}

static void emu_abort_op(struct transport *base)
{
	struct transport_emu *t = (struct transport_emu *)base;

	pthread_mutex_lock(&t->abort_lock);
	t->aborts++;
	pthread_cond_signal(&t->abort_cond);
	pthread_mutex_unlock(&t->abort_lock);
}

static int emu_exchange_op(struct transport *base, const mcp2210_report req, mcp2210_report resp, unsigned timeout_ms)
{
	struct transport_emu *t = (struct transport_emu *)base;
	unsigned aborts = atomic_load(&t->aborts);
	int ret;

	if (t->realtime) /* hand the chip the time that passed since it last saw the host */
		emu_follow(t->emu, mono_now_ns() - t->t0_ns);
	t->out_ns = emu_now(t->emu);
	ret = emu_exchange(t->emu, req, resp, base->in_first ? EMU_IN_FIRST : EMU_OUT_FIRST);
	if (ret == -ETIMEDOUT) {
		/* No answer: a real host waits its whole timeout, unless it abandons the request;
		 * then only the time that passed passes for the chip too. */
		log_debug("emulator: no answer to 0x%02x within %u ms", req[0], timeout_ms);
		if (t->realtime) {
			ret = wait_lost(t, aborts, t->t0_ns + emu_now(t->emu) + (uint64_t)timeout_ms * 1000000ull);
			emu_follow(t->emu, mono_now_ns() - t->t0_ns);
		} else {
			emu_advance(t->emu, (uint64_t)timeout_ms * 1000000ull);
		}
		t->end_ns = emu_now(t->emu);
		return ret;
	}
	t->end_ns = emu_now(t->emu);
	if (t->realtime)
		mono_sleep_until(t->t0_ns + t->end_ns); /* without frames the end is usually past */
	return ret;
}

static int emu_drain_op(struct transport *base)
{
	struct transport_emu *t = (struct transport_emu *)base;
	mcp2210_report stale;
	int n = 0, ret;

	while ((ret = emu_in(t->emu, stale)) == 0)
		n++;
	return ret == -EAGAIN ? n : ret;
}

/* The chip's virtual clock is the trace's: a replay on a fresh chip reproduces it exactly. */
static void emu_times_op(struct transport *base, uint64_t *out_ns, uint64_t *end_ns)
{
	const struct transport_emu *t = (const struct transport_emu *)base;

	*out_ns = t->out_ns;
	*end_ns = t->end_ns;
}

static bool emu_present_op(struct transport *base) { return emu_plugged(((struct transport_emu *)base)->emu); }

/* Before a cached value is served: the cable may have been pulled since the last exchange. */
static int emu_check_op(struct transport *base) { return emu_present_op(base) ? 0 : -ENODEV; }

static void emu_identity_op(struct transport *base, struct transport_identity *id)
{
	const struct transport_emu *t = (const struct transport_emu *)base;
	struct mcp2210_usb_string man, prod;
	struct mcp2210_usb_key key;
	char serial[32];

	*id = (struct transport_identity){ 0 }; /* bus and address 0: on no bus */
	emu_usb_enumerated(t->emu, &key, &man, &prod, serial);
	id->vid = key.vid;
	id->pid = key.pid;
	if (proto_usb_string_to_utf8(&man, id->manufacturer, sizeof(id->manufacturer)) < 0)
		id->manufacturer[0] = '\0';
	if (proto_usb_string_to_utf8(&prod, id->product, sizeof(id->product)) < 0)
		id->product[0] = '\0';
	snprintf(id->serial, sizeof(id->serial), "%s", serial);
}

/* The emulator's listener, under its lock: nothing here may call the emulator. */
static void emu_changed(void *arg, bool plugged)
{
	struct transport_emu *t = arg;

	pthread_mutex_lock(&t->lock);
	t->plugged = plugged;
	pthread_cond_broadcast(&t->changed);
	pthread_mutex_unlock(&t->lock);
}

/* Nothing is ever for the worker to look at: the emulator tells of every change at once, and
 * the chip comes back only through the emulator (emulator/plugged, on the worker). */
static bool emu_wait_op(struct transport *base, unsigned ms)
{
	struct transport_emu *t = (struct transport_emu *)base;
	struct timespec ts = mono_deadline_ms(ms);
	bool was;

	pthread_mutex_lock(&t->lock);
	was = t->plugged;
	while (!t->woken && t->plugged == was)
		if (pthread_cond_timedwait(&t->changed, &t->lock, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&t->lock);
	return false;
}

static void emu_wake_op(struct transport *base)
{
	struct transport_emu *t = (struct transport_emu *)base;

	pthread_mutex_lock(&t->lock);
	t->woken = true;
	pthread_cond_broadcast(&t->changed);
	pthread_mutex_unlock(&t->lock);
}

/* There is nothing to open again: the chip is back once the emulator's cable is in. */
static int emu_reconnect_op(struct transport *base) { return emu_present_op(base) ? 0 : -ENODEV; }

static void emu_free_op(struct transport *base)
{
	struct transport_emu *t = (struct transport_emu *)base;

	pthread_cond_destroy(&t->abort_cond);
	pthread_mutex_destroy(&t->abort_lock);
	emu_usb_listen(t->emu, NULL, NULL);
	pthread_cond_destroy(&t->changed);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static const struct transport_ops emu_ops = {
	.name = "emulator",
	.exchange = emu_exchange_op,
	.drain = emu_drain_op,
	.check = emu_check_op,
	.times = emu_times_op,
	.abort = emu_abort_op,
	.present = emu_present_op,
	.identity = emu_identity_op,
	.wait = emu_wait_op,
	.wake = emu_wake_op,
	.reconnect = emu_reconnect_op,
	.free = emu_free_op,
};

int transport_emu_new(struct emu *e, bool realtime, struct transport **out)
{
	struct transport_emu *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return -ENOMEM;
	t->base.ops = &emu_ops;
	t->base.in_first = true;
	t->base.frame_ns = emu_frame_ns(e);
	t->emu = e;
	t->realtime = realtime;
	t->t0_ns = mono_now_ns() - emu_now(e);
	pthread_mutex_init(&t->abort_lock, NULL);
	mono_cond_init(&t->abort_cond);
	pthread_mutex_init(&t->lock, NULL);
	mono_cond_init(&t->changed);
	t->plugged = emu_plugged(e);
	emu_usb_listen(e, emu_changed, t);
	*out = &t->base;
	return 0;
}
