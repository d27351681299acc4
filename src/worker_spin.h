/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Brief busy-waiting, for the worker's hand-offs (see worker.c): a yield for the loop, and a
 * moving average that says whether a wait is usually short enough to spin. Times are
 * mono_now_ns() (clock.h).
 */
#ifndef MCP2210FS_SPIN_H
#define MCP2210FS_SPIN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sched.h>

#include "util/clock.h"

/* One turn of a spin: let any other runnable thread have this CPU. With few CPUs the thread
 * we wait for may be queued behind us on this very one; a plain busy loop then holds it off
 * for the whole budget (the bench's p99 went from 17 us to over 100 us on 2 CPUs). */
static inline void spin_pause(void) { sched_yield(); }

/* Exponential moving average of durations, weight 1/8; samples are capped so that one long
 * idle spell does not hide a burst that follows it. */
struct spin_avg {
	uint64_t ns;
};

static inline void spin_avg_init(struct spin_avg *a, uint64_t ns) { a->ns = ns; }

static inline void spin_avg_add(struct spin_avg *a, uint64_t sample_ns, uint64_t cap_ns)
{
	if (sample_ns > cap_ns)
		sample_ns = cap_ns;
	a->ns = a->ns - a->ns / 8 + sample_ns / 8;
}

static inline bool spin_avg_below(const struct spin_avg *a, uint64_t ns) { return a->ns < ns; }

/* Spin while *v still equals seen, until the monotonic clock reaches until_ns. */
static inline void spin_while_equal(_Atomic unsigned *v, unsigned seen, uint64_t until_ns)
{
	while (atomic_load(v) == seen && mono_now_ns() < until_ns)
		spin_pause();
}

#endif
