/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one I/O thread per device. Callers (FUSE threads) hand it jobs and wait, with a
 * deadline; a job runs all its exchanges back to back, never interleaved with another job.
 * Identical reads queued at the same time share one run (coalescing).
 */
#ifndef MCP2210FS_WORKER_H
#define MCP2210FS_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct worker;
struct worker_job;

/* Runs on the worker thread with the context given to worker_start(); returns 0 or -errno.
 * Long jobs check worker_job_cancelled() between exchanges. */
typedef int (*worker_job_fn)(void *ctx, struct worker_job *job);
/* Copies a finished job's output into a follower that shared its run. */
typedef void (*worker_copy_fn)(struct worker_job *dst, const struct worker_job *src);

struct worker_job {
	worker_job_fn run;
	void *arg;
	/* Jobs with the same nonzero key, queued at once, are run once; copy (required with a
	 * key) gives the followers the leader's output. */
	uintptr_t coalesce_key;
	worker_copy_fn copy;
	int result;

	/* private to worker.c */
	_Atomic int state; /* changed under the worker's lock; read without it while spinning */
	_Atomic bool cancel;
	struct worker_job *next;      /* queue */
	struct worker_job *followers; /* jobs sharing this one's run */
};

/* Starts the thread. queue_max bounds the jobs waiting (not counting followers). */
int worker_start(void *ctx, unsigned queue_max, struct worker **out);
/* Fails everything queued with -ENODEV, asks the running job to cancel and waits for it,
 * joins the thread, and returns once no caller is still inside worker_call(). */
void worker_stop(struct worker *w);

/* Queue job and wait for it. After timeout_ms a job still queued is withdrawn (-ETIMEDOUT);
 * a running one is asked to cancel and waited for. Returns the job's result. */
int worker_call(struct worker *w, struct worker_job *job, unsigned timeout_ms);

/* From any thread (a FUSE interrupt): withdraw the job if still queued (its call returns
 * -EINTR) or ask the running job to stop. Harmless on a finished job. */
void worker_cancel(struct worker *w, struct worker_job *job);

/* Shutting down: fail every queued job with -EINTR and ask the running one to stop. */
void worker_cancel_all(struct worker *w);

static inline bool worker_job_cancelled(struct worker_job *job) { return atomic_load(&job->cancel); }

/* Jobs run so far and runs saved by coalescing, for stats. */
void worker_counts(struct worker *w, uint64_t *runs, uint64_t *coalesced);
/* Jobs waiting in the queue now (followers not counted). */
unsigned worker_pending(struct worker *w);

#endif
