/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The worker thread and its FIFO job queue (see worker.h). One mutex guards the queue and
 * every job's state; `work` wakes the thread, `done` wakes worker_call() waiters (broadcast:
 * they are few and each rechecks its own job). done() callbacks run after the lock is let go,
 * because they reply to FUSE, which may call back into worker_cancel() under its own locks.
 *
 * Handing a job over costs a thread wake-up, several microseconds when the worker sleeps: as
 * much as a whole exchange with an emulated chip. So the worker spins a little before
 * sleeping, but only while new jobs have lately come that soon after the last one. With real
 * USB (1 ms frames) it does not spin.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"
#include "util/log.h"
#include "worker_spin.h"
#include "util/thread.h"
#include "worker.h"

#define SPIN_NS 50000u /* the most the worker spins before it sleeps */
#define SWEEP_LINGER_NS 1000000000u /* the sweeper sleeps for good after this long without jobs */
#define NEST_MAX 2     /* a long job and one idle job inside it */

enum { JOB_IDLE, JOB_QUEUED, JOB_RUNNING, JOB_DONE };

struct worker {
	void *ctx;
	pthread_t thread;
	pthread_t sweeper; /* fails queued jobs at their queue deadline, whatever the worker does */
	pthread_mutex_t lock; /* protects everything below and every job's state/next/followers */
	pthread_cond_t work;
	pthread_cond_t sweep;  /* wakes the sweeper: a job that must end before it would wake */
	uint64_t sweep_at;     /* CLOCK_MONOTONIC ns the sweeper wakes at; UINT64_MAX: not before signalled */
	uint64_t last_enqueue_ns;
	pthread_cond_t done;
	struct worker_job *head, *tail;
	struct worker_job *running[NEST_MAX]; /* the job running, and one idle job inside it */
	unsigned depth;
	unsigned queued, queue_max;
	unsigned callers; /* threads inside worker_call(): stop waits for them to leave */
	bool stopping;
	int abort_err; /* -errno for everything from now on (shutting down), or 0 */
	uint64_t runs, coalesced, batches;
	struct spin_avg idle_ns; /* recent idle times of the worker, to decide whether spinning pays */
	_Atomic unsigned enqueued; /* counts submissions: the idle worker spins on it */
};

static _Thread_local struct worker_job *running_job;

/* ---- finishing: under the lock mark, after it call done() -------------------------------- */

/* Jobs finished under the lock, waiting for their done() (linked through next). */
struct finished {
	struct worker_job *head;
};

static void settle(struct worker *w, struct finished *fin, struct worker_job *job, int result)
{
	job->result = result;
	job->state = JOB_DONE;
	if (job->done) {
		job->next = fin->head;
		fin->head = job;
	} else {
		pthread_cond_broadcast(&w->done); /* a worker_call() waits for it */
	}
}

static void call_done(struct finished *fin)
{
	struct worker_job *job = fin->head;

	while (job) {
		struct worker_job *next = job->next;

		job->done(job); /* may free job */
		job = next;
	}
	fin->head = NULL;
}

static void settle_group(struct worker *w, struct finished *fin, struct worker_job *leader, int result)
{
	struct worker_job *f = leader->followers;

	while (f) {
		struct worker_job *next = f->next;

		settle(w, fin, f, result);
		f = next;
	}
	settle(w, fin, leader, result);
}

/* ---- the queue ---------------------------------------------------------------------------- */

static bool unlink_follower(struct worker_job *leader, struct worker_job *job)
{
	for (struct worker_job **fp = &leader->followers; *fp; fp = &(*fp)->next) {
		if (*fp == job) {
			*fp = job->next;
			return true;
		}
	}
	return false;
}

/* Take the leader at *pp (prev before it, NULL at the head) out of the queue; its first
 * follower, if any, leads the rest in its place. */
static void unlink_leader(struct worker *w, struct worker_job **pp, struct worker_job *prev)
{
	struct worker_job *job = *pp, *lead = job->followers;

	if (lead) {
		lead->followers = lead->next;
		lead->next = job->next;
		*pp = lead;
		if (w->tail == job)
			w->tail = lead;
		return;
	}
	*pp = job->next;
	if (w->tail == job)
		w->tail = prev;
	w->queued--;
}

/* Take a queued job out, leader or follower. False if it is not waiting in the queue. */
static bool withdraw(struct worker *w, struct worker_job *job)
{
	for (struct worker_job **pp = &w->head, *prev = NULL; *pp; prev = *pp, pp = &(*pp)->next) {
		if (*pp == job) {
			unlink_leader(w, pp, prev);
			return true;
		}
		if (unlink_follower(*pp, job))
			return true;
	}
	return false;
}

/* Fail every queued job past its queue deadline with -ETIMEDOUT. */
static void sweep(struct worker *w, struct finished *fin)
{
	uint64_t now = mono_now_ns();
	struct worker_job **pp = &w->head, *prev = NULL;

	while (*pp) {
		struct worker_job *q = *pp;

		for (struct worker_job **fp = &q->followers; *fp;) {
			struct worker_job *f = *fp;

			if (now < f->queue_deadline_ns) {
				fp = &f->next;
				continue;
			}
			*fp = f->next;
			settle(w, fin, f, -ETIMEDOUT);
		}
		if (now < q->queue_deadline_ns) {
			prev = q;
			pp = &q->next;
			continue;
		}
		unlink_leader(w, pp, prev);
		settle(w, fin, q, -ETIMEDOUT);
	}
}

/* Take the first queued leader (the first idle-safe one, if asked), with its followers. */
static struct worker_job *take(struct worker *w, bool idle_safe_only)
{
	for (struct worker_job **pp = &w->head, *prev = NULL; *pp; prev = *pp, pp = &(*pp)->next) {
		struct worker_job *job = *pp;

		if (idle_safe_only && !job->idle_safe)
			continue;
		*pp = job->next;
		if (w->tail == job)
			w->tail = prev;
		w->queued--;
		job->next = NULL;
		job->state = JOB_RUNNING;
		for (struct worker_job *f = job->followers; f; f = f->next)
			f->state = JOB_RUNNING;
		w->runs++;
		return job;
	}
	return NULL;
}

/* ---- running ------------------------------------------------------------------------------ */

static void run_one(struct worker *w, struct worker_job *job, uint64_t batch)
{
	struct finished fin = { NULL };
	int result = 0;
	bool ran = false;

	pthread_mutex_lock(&w->lock);
	if (w->abort_err)
		result = w->abort_err;
	else if (atomic_load(&job->cancel))
		result = -EINTR;
	else if (mono_now_ns() >= job->queue_deadline_ns)
		result = -ETIMEDOUT;
	if (result == 0) {
		w->running[w->depth++] = job;
		ran = true;
	}
	pthread_mutex_unlock(&w->lock);

	if (ran) {
		struct worker_job *outer = running_job;

		job->batch = batch;
		job->run_deadline_ns = job->run_ms ? mono_after_ms(job->run_ms) : 0;
		running_job = job;
		result = job->run(w->ctx, job);
		running_job = outer;
		if (result == -EINTR && !atomic_load(&job->cancel))
			result = -ETIMEDOUT; /* stopped by its run deadline */
	}

	pthread_mutex_lock(&w->lock);
	if (ran)
		w->depth--;
	if (result < 0 && w->abort_err && atomic_load(&job->cancel))
		result = w->abort_err; /* whatever ended a job the stop cancelled: the stop */
	settle(w, &fin, job, result);
	pthread_mutex_unlock(&w->lock);
	call_done(&fin);
}

/* A leader and its followers, back to back, sharing one batch number. */
static void run_batch(struct worker *w, struct worker_job *leader)
{
	struct worker_job *job = leader, *next = leader->followers;
	uint64_t batch;

	pthread_mutex_lock(&w->lock);
	batch = ++w->batches;
	pthread_mutex_unlock(&w->lock);
	while (job) {
		struct worker_job *after = job == leader ? next : job->next;

		run_one(w, job, batch); /* job may be freed by its done() */
		job = after;
	}
}

/* With the queue empty: spin (unlocked) while new work usually comes soon, then sleep. */
static void wait_for_work(struct worker *w)
{
	uint64_t t0 = mono_now_ns();

	if (!w->head && spin_avg_below(&w->idle_ns, SPIN_NS)) {
		unsigned seen = atomic_load(&w->enqueued);

		pthread_mutex_unlock(&w->lock);
		spin_while_equal(&w->enqueued, seen, t0 + SPIN_NS);
		pthread_mutex_lock(&w->lock);
	}
	while (!w->head && !w->stopping)
		pthread_cond_wait(&w->work, &w->lock);
	spin_avg_add(&w->idle_ns, mono_now_ns() - t0, 4 * SPIN_NS);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct finished fin = { NULL };
		struct worker_job *job;

		wait_for_work(w);
		if (w->stopping)
			break;
		sweep(w, &fin);
		job = take(w, false);
		pthread_mutex_unlock(&w->lock);
		call_done(&fin);
		if (job)
			run_batch(w, job);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* The earliest queue deadline of the jobs waiting, or UINT64_MAX. */
static uint64_t earliest_deadline(const struct worker *w)
{
	uint64_t at = UINT64_MAX;

	for (const struct worker_job *q = w->head; q; q = q->next)
		for (const struct worker_job *f = q; f; f = f == q ? q->followers : f->next)
			if (f->queue_deadline_ns < at)
				at = f->queue_deadline_ns;
	return at;
}

/* A job may wait behind one that runs for minutes (a slow SPI transaction): its queue
 * deadline must not wait for the worker. While jobs come, this thread wakes at the earliest
 * deadline, or once a second; a second after the last job it sleeps until signalled. */
static void *sweeper_main(void *arg)
{
	struct worker *w = arg;

	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		struct finished fin = { NULL };
		uint64_t now, at;

		sweep(w, &fin);
		pthread_mutex_unlock(&w->lock);
		call_done(&fin);
		pthread_mutex_lock(&w->lock);
		now = mono_now_ns();
		at = earliest_deadline(w);
		if (at == UINT64_MAX && now - w->last_enqueue_ns < SWEEP_LINGER_NS)
			at = now + SWEEP_LINGER_NS;
		w->sweep_at = at;
		if (w->stopping)
			break;
		if (at == UINT64_MAX) {
			pthread_cond_wait(&w->sweep, &w->lock);
		} else {
			struct timespec ts = ns_timespec(at);

			pthread_cond_timedwait(&w->sweep, &w->lock, &ts);
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

unsigned worker_run_idle(struct worker *w, uint64_t until_ns, uint64_t reserve_ns)
{
	struct worker_job *outer = running_job;
	uint64_t end = until_ns > reserve_ns ? until_ns - reserve_ns : 0;
	unsigned ran = 0;

	pthread_mutex_lock(&w->lock);
	while (!w->stopping && w->depth < NEST_MAX && !(outer && worker_job_cancelled(outer)) && mono_now_ns() < end) {
		struct finished fin = { NULL };
		struct worker_job *job;

		sweep(w, &fin);
		job = take(w, true);
		if (job || fin.head) {
			pthread_mutex_unlock(&w->lock);
			call_done(&fin);
			if (job) {
				run_batch(w, job);
				ran++;
			}
			pthread_mutex_lock(&w->lock);
			continue;
		}
		/* nothing to do yet: wait for a submission (or a cancel) until the end, a second at
		 * most at a time */
		{
			uint64_t at = end - mono_now_ns() > 1000000000u ? mono_now_ns() + 1000000000u : end;
			struct timespec ts = ns_timespec(at);

			pthread_cond_timedwait(&w->work, &w->lock, &ts);
		}
	}
	pthread_mutex_unlock(&w->lock);
	return ran;
}

/* ---- the interface ------------------------------------------------------------------------ */

int worker_start(void *ctx, unsigned queue_max, struct worker **out)
{
	struct worker *w = calloc(1, sizeof(*w));
	int ret;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->ctx = ctx;
	w->queue_max = queue_max ? queue_max : 1;
	spin_avg_init(&w->idle_ns, SPIN_NS);
	pthread_mutex_init(&w->lock, NULL);
	mono_cond_init(&w->work);
	mono_cond_init(&w->done);
	mono_cond_init(&w->sweep);
	w->sweep_at = UINT64_MAX;
	ret = thread_start(&w->thread, worker_main, w);
	if (ret == 0) {
		ret = thread_start(&w->sweeper, sweeper_main, w);
		if (ret) {
			pthread_mutex_lock(&w->lock);
			w->stopping = true;
			pthread_cond_broadcast(&w->work);
			pthread_mutex_unlock(&w->lock);
			pthread_join(w->thread, NULL);
		}
	}
	if (ret) {
		log_err("cannot start the worker's threads: %s", strerror(ret));
		pthread_cond_destroy(&w->sweep);
		pthread_cond_destroy(&w->done);
		pthread_cond_destroy(&w->work);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return -ret;
	}
	*out = w;
	return 0;
}

/* Under the lock: fail what is queued with err, ask what runs to stop. */
static void abort_all(struct worker *w, struct finished *fin, int err)
{
	w->abort_err = err;
	for (unsigned i = 0; i < w->depth; i++)
		atomic_store(&w->running[i]->cancel, true);
	while (w->head) {
		struct worker_job *job = w->head;

		w->head = job->next;
		settle_group(w, fin, job, err);
	}
	w->tail = NULL;
	w->queued = 0;
}

void worker_stop(struct worker *w)
{
	struct finished fin = { NULL };

	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	abort_all(w, &fin, w->abort_err ? w->abort_err : -ECONNABORTED);
	pthread_cond_broadcast(&w->work);
	pthread_cond_signal(&w->sweep);
	pthread_mutex_unlock(&w->lock);
	call_done(&fin);
	pthread_join(w->thread, NULL);
	pthread_join(w->sweeper, NULL);
	pthread_mutex_lock(&w->lock);
	while (w->callers)
		pthread_cond_wait(&w->done, &w->lock);
	pthread_mutex_unlock(&w->lock);
	pthread_cond_destroy(&w->sweep);
	pthread_cond_destroy(&w->done);
	pthread_cond_destroy(&w->work);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static struct worker_job *find_leader(struct worker *w, uintptr_t key)
{
	for (struct worker_job *q = w->head; key && q; q = q->next)
		if (q->coalesce_key == key)
			return q;
	return NULL;
}

/* Under the lock. */
static int enqueue(struct worker *w, struct worker_job *job)
{
	struct worker_job *leader;

	if (w->abort_err || w->stopping)
		return w->abort_err ? w->abort_err : -ENODEV;
	if (atomic_load(&job->cancel))
		return -EINTR;
	job->next = NULL;
	job->followers = NULL;
	w->last_enqueue_ns = mono_now_ns();
	job->queue_deadline_ns = w->last_enqueue_ns + (uint64_t)(job->queue_ms ? job->queue_ms : WORKER_QUEUE_MS) * 1000000u;
	leader = find_leader(w, job->coalesce_key);
	if (leader) {
		struct worker_job **fp = &leader->followers;

		while (*fp)
			fp = &(*fp)->next;
		*fp = job;
		w->coalesced++;
	} else {
		if (w->queued >= w->queue_max)
			return -EBUSY;
		if (w->tail)
			w->tail->next = job;
		else
			w->head = job;
		w->tail = job;
		w->queued++;
	}
	job->state = JOB_QUEUED;
	if (job->queue_deadline_ns < w->sweep_at)
		pthread_cond_signal(&w->sweep);
	atomic_fetch_add(&w->enqueued, 1);
	pthread_cond_signal(&w->work);
	return 0;
}

int worker_submit(struct worker *w, struct worker_job *job)
{
	int ret;

	pthread_mutex_lock(&w->lock);
	ret = enqueue(w, job);
	pthread_mutex_unlock(&w->lock);
	if (ret == -EBUSY)
		log_warn("%u requests wait for the device already: refused (EBUSY)", w->queue_max);
	return ret;
}

int worker_call(struct worker *w, struct worker_job *job, unsigned timeout_ms)
{
	int ret;

	job->done = NULL;
	job->queue_ms = job->run_ms = timeout_ms;
	job->state = JOB_IDLE;
	atomic_store(&job->cancel, false);
	pthread_mutex_lock(&w->lock);
	w->callers++;
	ret = enqueue(w, job);
	if (ret == 0) {
		while (job->state != JOB_DONE)
			pthread_cond_wait(&w->done, &w->lock);
		ret = job->result;
	}
	if (--w->callers == 0 && w->stopping)
		pthread_cond_broadcast(&w->done);
	pthread_mutex_unlock(&w->lock);
	return ret;
}

enum worker_cancel_result worker_cancel(struct worker *w, struct worker_job *job)
{
	struct finished fin = { NULL };
	enum worker_cancel_result what = WORKER_CANCEL_NONE;

	pthread_mutex_lock(&w->lock);
	if (job->state == JOB_QUEUED && withdraw(w, job)) {
		settle(w, &fin, job, -EINTR);
		what = WORKER_CANCEL_WITHDRAWN;
	} else if (job->state == JOB_RUNNING) {
		atomic_store(&job->cancel, true);
		pthread_cond_broadcast(&w->work); /* a long job may be waiting in worker_run_idle() */
		what = w->depth && w->running[w->depth - 1] == job ? WORKER_CANCEL_RUNNING : WORKER_CANCEL_ASKED;
	} else if (job->state == JOB_IDLE) {
		atomic_store(&job->cancel, true); /* not submitted yet: submit fails with -EINTR */
	}
	pthread_mutex_unlock(&w->lock);
	call_done(&fin);
	return what;
}

void worker_cancel_all(struct worker *w, int err)
{
	struct finished fin = { NULL };

	pthread_mutex_lock(&w->lock);
	abort_all(w, &fin, err);
	pthread_cond_broadcast(&w->work);
	pthread_mutex_unlock(&w->lock);
	call_done(&fin);
}

struct worker_job *worker_running_job(void) { return running_job; }

bool worker_job_cancelled(struct worker_job *job)
{
	return atomic_load(&job->cancel) || (job->run_deadline_ns && mono_now_ns() >= job->run_deadline_ns);
}

void worker_job_extend(struct worker_job *job, unsigned run_ms)
{
	uint64_t until = mono_after_ms(run_ms);

	if (job->run_deadline_ns && job->run_deadline_ns < until)
		job->run_deadline_ns = until;
}

void worker_counts(struct worker *w, uint64_t *runs, uint64_t *coalesced)
{
	pthread_mutex_lock(&w->lock);
	*runs = w->runs;
	*coalesced = w->coalesced;
	pthread_mutex_unlock(&w->lock);
}

unsigned worker_pending(struct worker *w)
{
	unsigned n;

	pthread_mutex_lock(&w->lock);
	n = w->queued;
	pthread_mutex_unlock(&w->lock);
	return n;
}
