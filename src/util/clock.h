/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The monotonic clock, written once: now in nanoseconds, deadlines some milliseconds from now
 * in the forms clock_nanosleep(TIMER_ABSTIME) and pthread_cond_timedwait() take, condition
 * variables that wait on this clock, and nanoseconds as struct timespec or struct timeval.
 * Header-only, so that the test and bench programs that link none of the libraries use it
 * too. All times here are CLOCK_MONOTONIC: they never jump when the wall clock is set.
 */
#ifndef MCP2210FS_CLOCK_H
#define MCP2210FS_CLOCK_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/time.h>
#include <time.h>

#define MONO_NS_PER_MS 1000000ull
#define MONO_NS_PER_S 1000000000ull

/* Now, in ns since an arbitrary start (the system's boot on Linux). */
static inline uint64_t mono_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * MONO_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* Now, in ms (mono_now_ns() / 10^6). */
static inline uint64_t mono_now_ms(void) { return mono_now_ns() / MONO_NS_PER_MS; }

/* ms milliseconds from now, in ns (as mono_now_ns()). */
static inline uint64_t mono_after_ms(unsigned ms) { return mono_now_ns() + (uint64_t)ms * MONO_NS_PER_MS; }

/* ns nanoseconds as a struct timespec: a time on this clock (a deadline) or a duration. */
static inline struct timespec ns_timespec(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / MONO_NS_PER_S), .tv_nsec = (long)(ns % MONO_NS_PER_S) };
}

/* A duration of ns nanoseconds as a struct timeval (libusb's timeouts), rounded down to whole
 * microseconds. */
static inline struct timeval ns_timeval(uint64_t ns)
{
	return (struct timeval){ .tv_sec = (time_t)(ns / MONO_NS_PER_S),
				 .tv_usec = (suseconds_t)(ns % MONO_NS_PER_S / 1000u) };
}

/* ms milliseconds from now as a deadline for pthread_cond_timedwait() on a condition variable
 * made by mono_cond_init(), or for clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME). */
static inline struct timespec mono_deadline_ms(unsigned ms) { return ns_timespec(mono_after_ms(ms)); }

/* Sleep until the time ns (as mono_now_ns()); signals do not cut it short. Returns at once,
 * without a system call, when that time has passed. */
static inline void mono_sleep_until(uint64_t ns)
{
	struct timespec ts = ns_timespec(ns);

	if (mono_now_ns() >= ns)
		return;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* pthread_cond_init() for a condition variable whose timed waits take deadlines on this clock
 * (mono_deadline_ms()) instead of the wall clock's. 0 or an error number, as
 * pthread_cond_init(). */
static inline int mono_cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t attr;
	int ret;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	ret = pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
	return ret;
}

#endif
