/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one I/O thread per device. Callers hand it jobs and do not wait: a job's done()
 * callback gets its result, on whichever thread finishes it (the worker, or the thread that
 * withdrew it). A job runs all its exchanges back to back, never interleaved with another job,
 * except read-only jobs the running one lets in while it waits for the chip (worker_run_idle).
 * Jobs with the same key queued at the same time run back to back as one batch, so they can
 * share one exchange (coalescing).
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
/* Called exactly once per queued job with job->result set, never under the worker's lock:
 * on the worker thread after the run, or on the thread that withdrew or failed the job. The
 * job's memory is the caller's again from this call on. */
typedef void (*worker_done_fn)(struct worker_job *job);

struct worker_job {
	worker_job_fn run;
	worker_done_fn done;
	void *arg;
	/* Jobs with the same nonzero key queued at the same time run back to back with one batch
	 * number (worker_job_batch): run functions may share what the first one read. */
	uintptr_t coalesce_key;
	/* Reads only, with commands whose datasheet page lists no busy answer: may run while a
	 * long job waits for the chip (worker_run_idle). */
	bool idle_safe;
	/* How long the job may wait in the queue (ms): past it, it fails with -ETIMEDOUT without
	 * running. 0: WORKER_QUEUE_MS. */
	unsigned queue_ms;
	/* How long it may run (ms) before worker_job_cancelled() says so; its -EINTR is then
	 * -ETIMEDOUT. 0: no limit. A running job may extend it (worker_job_extend). */
	unsigned run_ms;
	int result;

	/* private to worker.c */
	_Atomic int state; /* changed under the worker's lock; read without it while spinning */
	_Atomic bool cancel;
	uint64_t queue_deadline_ns, run_deadline_ns; /* CLOCK_MONOTONIC; 0: none */
	uint64_t batch;
	struct worker_job *next;      /* queue */
	struct worker_job *followers; /* jobs in this one's batch, in the order they came */
};

/* The default queue wait of a job (ms): a request that found the device busy this long gets
 * ETIMEDOUT (the man page says so). */
#define WORKER_QUEUE_MS 30000u

/* Starts the thread. queue_max bounds the jobs waiting (not counting followers). */
int worker_start(void *ctx, unsigned queue_max, struct worker **out);
/* Fails everything queued with -ECONNABORTED, asks the running job to cancel (its -EINTR
 * becomes -ECONNABORTED) and waits for it, joins the thread, and returns once no caller is
 * still inside worker_call(). */
void worker_stop(struct worker *w);

/* Queue job; its done() gets the result. 0, or -errno and the job was not queued (done()
 * is not called): -ENODEV stopping, -EBUSY the queue is full, -EINTR cancelled already. */
int worker_submit(struct worker *w, struct worker_job *job);

/* Queue job and wait for it (threads other than FUSE's and the worker's: start-up, poll
 * sampling, the USB monitor). timeout_ms bounds both the queue wait and the run. Returns the
 * job's result. job->done must be NULL. */
int worker_call(struct worker *w, struct worker_job *job, unsigned timeout_ms);

/* What worker_cancel() did. */
enum worker_cancel_result {
	WORKER_CANCEL_NONE,      /* finished already, or not queued yet (submit will fail) */
	WORKER_CANCEL_WITHDRAWN, /* was queued: done() was called with -EINTR on this thread */
	WORKER_CANCEL_ASKED,     /* taken to run (next in its batch, or a long job an idle job runs
				  * inside): it stops at its next check */
	WORKER_CANCEL_RUNNING,   /* the job whose code runs now: it stops at its next check */
};
/* From any thread (a FUSE interrupt). */
enum worker_cancel_result worker_cancel(struct worker *w, struct worker_job *job);

/* Shutting down: fail every queued job with err and ask the running one to stop; whatever
 * error a job cancelled so ends with is reported as err. */
void worker_cancel_all(struct worker *w, int err);

/* The job running on the calling thread (innermost, when idle jobs run inside a long one),
 * or NULL when the caller is not a worker thread. */
struct worker_job *worker_running_job(void);

/* Cancelled, or past its run deadline. */
bool worker_job_cancelled(struct worker_job *job);
/* The running job needs run_ms more from now (a long SPI transaction). */
void worker_job_extend(struct worker_job *job, unsigned run_ms);
/* The batch the job runs in: equal for jobs coalesced together, unique otherwise. */
static inline uint64_t worker_job_batch(const struct worker_job *job) { return job->batch; }

/* On the worker thread, inside a job that waits for the chip until until_ns
 * (CLOCK_MONOTONIC): until reserve_ns before it, run idle-safe jobs as they are queued (and
 * fail queued jobs past their queue deadline); return then, or at once when the job is
 * cancelled or the worker stops. Returns how many jobs ran. */
unsigned worker_run_idle(struct worker *w, uint64_t until_ns, uint64_t reserve_ns);

/* Jobs run so far and runs saved by coalescing, for stats. */
void worker_counts(struct worker *w, uint64_t *runs, uint64_t *coalesced);
/* Jobs waiting in the queue now (followers not counted). */
unsigned worker_pending(struct worker *w);

#endif
