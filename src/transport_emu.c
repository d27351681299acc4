/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated MCP2210 behind the transport interface. In real-time mode the emulator's
 * virtual clock is kept in step with CLOCK_MONOTONIC: idle time is handed to the chip before
 * each exchange, and the caller sleeps until the frames the exchange cost are over.
 */
#include <errno.h>
#include <stdlib.h>

#include "clock.h"
#include "emu/emu.h"
#include "log.h"
#include "transport.h"

struct transport_emu {
	struct transport base;
	struct emu *emu;
	bool realtime;
	uint64_t t0_ns; /* wall clock at virtual time 0 */
	uint64_t out_ns, end_ns; /* virtual times of the last exchange, for traces */
};

static int emu_exchange_op(struct transport *base, const mcp2210_report req, mcp2210_report resp, unsigned timeout_ms)
{
	struct transport_emu *t = (struct transport_emu *)base;
	int ret;

	if (t->realtime) /* hand the chip the time that passed since it last saw the host */
		emu_follow(t->emu, mono_now_ns() - t->t0_ns);
	t->out_ns = emu_now(t->emu);
	ret = emu_exchange(t->emu, req, resp, base->in_first ? EMU_IN_FIRST : EMU_OUT_FIRST);
	if (ret == -ETIMEDOUT) {
		/* No answer: a real host waits its whole timeout. */
		emu_advance(t->emu, (uint64_t)timeout_ms * 1000000ull);
		log_debug("emulator: no answer to 0x%02x within %u ms", req[0], timeout_ms);
	}
	t->end_ns = emu_now(t->emu);
	if (t->realtime) /* without frames the end is usually past: no system call */
		mono_sleep_until(t->t0_ns + t->end_ns);
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

static void emu_free_op(struct transport *base) { free(base); }

static const struct transport_ops emu_ops = {
	.name = "emulator",
	.exchange = emu_exchange_op,
	.drain = emu_drain_op,
	.times = emu_times_op,
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
	*out = &t->base;
	return 0;
}
