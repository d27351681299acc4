/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The worker thread and its FIFO job queue (see worker.h). One mutex and two condition
 * variables: `work` wakes the thread, `done` wakes waiters (broadcast: waiters are few and
 * each rechecks its own job).
 *
 * Handing a job over costs two thread wake-ups, each several microseconds when the other
 * thread sleeps: as much as a whole exchange with an emulated chip. So both sides spin a
 * little before sleeping, but only while it pays: a caller while callers have lately had their
 * results within the spin budget, the worker while new jobs have lately come that soon after the
 * last one. With real USB (1 ms frames) neither spins.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "spin.h"
#include "thread.h"
#include "worker.h"

#define SPIN_NS 50000u /* the most either side spins before it sleeps */

enum { JOB_IDLE, JOB_QUEUED, JOB_RUNNING, JOB_DONE };

struct worker {
	void *ctx;
	pthread_t thread;
	pthread_mutex_t lock; /* protects everything below and every job's state/next/followers */
	pthread_cond_t work;
	pthread_cond_t done;
	struct worker_job *head, *tail;
	struct worker_job *running; /* its followers can still be withdrawn */
	unsigned queued, queue_max;
	unsigned callers; /* threads inside worker_call(): stop waits for them to leave */
	bool stopping;
	uint64_t runs, coalesced;
	/* Recent waits of callers and idle times of the worker (moving averages), to decide
	 * whether spinning pays. */
	struct spin_avg wait_ns, idle_ns;
	_Atomic unsigned enqueued; /* counts enqueue(): the idle worker spins on it */
};

static void finish(struct worker_job *job, int result)
{
	job->result = result;
	job->state = JOB_DONE;
}

/* With the queue empty: spin (unlocked) while new work usually comes soon, then sleep. */
static void wait_for_work(struct worker *w)
{
	uint64_t t0 = spin_now_ns();

	if (!w->head && spin_avg_below(&w->idle_ns, SPIN_NS)) {
		unsigned seen = atomic_load(&w->enqueued);

		pthread_mutex_unlock(&w->lock);
		spin_while_equal(&w->enqueued, seen, t0 + SPIN_NS);
		pthread_mutex_lock(&w->lock);
	}
	while (!w->head && !w->stopping)
		pthread_cond_wait(&w->work, &w->lock);
	spin_avg_add(&w->idle_ns, spin_now_ns() - t0, 4 * SPIN_NS);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		struct worker_job *job, *f;
		int result;

		wait_for_work(w);
		if (w->stopping)
			break;
		job = w->head;
		w->head = job->next;
		if (!w->head)
			w->tail = NULL;
		w->queued--;
		job->state = JOB_RUNNING;
		w->running = job;
		w->runs++;
		pthread_mutex_unlock(&w->lock);

		result = job->run(w->ctx, job);

		pthread_mutex_lock(&w->lock);
		w->running = NULL;
		for (f = job->followers; f; f = f->next) {
			if (result == 0)
				job->copy(f, job);
			finish(f, result);
		}
		finish(job, result);
		pthread_cond_broadcast(&w->done);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

int worker_start(void *ctx, unsigned queue_max, struct worker **out)
{
	struct worker *w = calloc(1, sizeof(*w));
	int ret;

	*out = NULL;
	if (!w)
		return -ENOMEM;
	w->ctx = ctx;
	w->queue_max = queue_max ? queue_max : 1;
	spin_avg_init(&w->wait_ns, SPIN_NS);
	spin_avg_init(&w->idle_ns, SPIN_NS);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->work, NULL);
	{
		pthread_condattr_t attr;

		pthread_condattr_init(&attr);
		pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		pthread_cond_init(&w->done, &attr);
		pthread_condattr_destroy(&attr);
	}
	ret = thread_start(&w->thread, worker_main, w);
	if (ret) {
		log_err("cannot start the worker thread: %s", strerror(ret));
		pthread_cond_destroy(&w->done);
		pthread_cond_destroy(&w->work);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return -ret;
	}
	*out = w;
	return 0;
}

/* Fail a queued job and its followers. */
static void fail_queued(struct worker_job *job, int err)
{
	for (struct worker_job *f = job->followers; f; f = f->next)
		finish(f, err);
	finish(job, err);
}

void worker_stop(struct worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	if (w->running)
		atomic_store(&w->running->cancel, true);
	for (struct worker_job *job = w->head; job; job = job->next)
		fail_queued(job, -ENODEV);
	w->head = w->tail = NULL;
	w->queued = 0;
	pthread_cond_broadcast(&w->work);
	pthread_cond_broadcast(&w->done);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_lock(&w->lock);
	while (w->callers)
		pthread_cond_wait(&w->done, &w->lock);
	pthread_mutex_unlock(&w->lock);
	pthread_cond_destroy(&w->done);
	pthread_cond_destroy(&w->work);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

/* Take job out of the queue, or out of its leader's followers. Returns false if it was not
 * waiting there (running or finished). */
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

static bool withdraw(struct worker *w, struct worker_job *job)
{
	if (w->running && unlink_follower(w->running, job))
		return true;
	for (struct worker_job **pp = &w->head, *prev = NULL; *pp; prev = *pp, pp = &(*pp)->next) {
		struct worker_job *q = *pp;

		if (q == job) {
			*pp = job->next;
			if (w->tail == job)
				w->tail = prev;
			w->queued--;
			/* Followers cannot be left without a leader: the first one leads now. */
			if (job->followers) {
				struct worker_job *lead = job->followers;

				lead->followers = lead->next;
				lead->next = *pp;
				*pp = lead;
				if (w->tail == prev)
					w->tail = lead;
				w->queued++;
			}
			return true;
		}
		if (unlink_follower(q, job))
			return true;
	}
	return false;
}

static struct worker_job *find_leader(struct worker *w, uintptr_t key)
{
	for (struct worker_job *q = w->head; key && q; q = q->next)
		if (q->coalesce_key == key)
			return q;
	return NULL;
}

static int enqueue(struct worker *w, struct worker_job *job, const struct timespec *deadline)
{
	struct worker_job *leader;

	job->state = JOB_QUEUED;
	job->next = NULL;
	job->followers = NULL;
	atomic_store(&job->cancel, false);
	leader = find_leader(w, job->coalesce_key);
	if (leader) {
		job->next = leader->followers;
		leader->followers = job;
		w->coalesced++;
		return 0;
	}
	while (w->queued >= w->queue_max && !w->stopping)
		if (pthread_cond_timedwait(&w->done, &w->lock, deadline) == ETIMEDOUT)
			return -EBUSY;
	if (w->stopping)
		return -ENODEV;
	if (w->tail)
		w->tail->next = job;
	else
		w->head = job;
	w->tail = job;
	w->queued++;
	atomic_fetch_add(&w->enqueued, 1);
	pthread_cond_signal(&w->work);
	return 0;
}

/* Alone in the queue while callers' waits have lately been short: spin (unlocked) a while
 * for the result. A spin that ends empty-handed makes for a long wait, and so stops the next
 * ones: a busy CPU is not taken from the worker for nothing. */
static void spin_for_result(struct worker *w, struct worker_job *job)
{
	if (job->state != JOB_QUEUED || w->queued > 1 || w->running || !spin_avg_below(&w->wait_ns, SPIN_NS))
		return;
	pthread_mutex_unlock(&w->lock);
	spin_while_int_in(&job->state, JOB_QUEUED, JOB_RUNNING, spin_now_ns() + SPIN_NS);
	pthread_mutex_lock(&w->lock);
}

int worker_call(struct worker *w, struct worker_job *job, unsigned timeout_ms)
{
	struct timespec deadline;
	uint64_t t0 = spin_now_ns();
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->lock);
	if (w->stopping) {
		pthread_mutex_unlock(&w->lock);
		return -ENODEV;
	}
	w->callers++;
	ret = enqueue(w, job, &deadline);
	if (ret < 0) {
		job->state = JOB_IDLE;
		goto out;
	}
	spin_for_result(w, job);
	while (job->state != JOB_DONE) {
		if (pthread_cond_timedwait(&w->done, &w->lock, &deadline) != ETIMEDOUT)
			continue;
		if (withdraw(w, job)) {
			finish(job, -ETIMEDOUT);
			break;
		}
		/* Running: ask it to stop and wait; its exchanges have their own timeouts. */
		atomic_store(&job->cancel, true);
		while (job->state != JOB_DONE)
			pthread_cond_wait(&w->done, &w->lock);
		if (job->result == -EINTR)
			job->result = -ETIMEDOUT;
	}
	ret = job->result;
	spin_avg_add(&w->wait_ns, spin_now_ns() - t0, 4 * SPIN_NS);
out:
	if (--w->callers == 0 && w->stopping)
		pthread_cond_broadcast(&w->done);
	pthread_mutex_unlock(&w->lock);
	return ret;
}

void worker_cancel(struct worker *w, struct worker_job *job)
{
	pthread_mutex_lock(&w->lock);
	if (job->state == JOB_QUEUED && withdraw(w, job)) {
		finish(job, -EINTR);
		pthread_cond_broadcast(&w->done);
	} else if (job->state == JOB_RUNNING) {
		atomic_store(&job->cancel, true);
	}
	pthread_mutex_unlock(&w->lock);
}

void worker_cancel_all(struct worker *w)
{
	pthread_mutex_lock(&w->lock);
	if (w->running)
		atomic_store(&w->running->cancel, true);
	for (struct worker_job *job = w->head; job; job = job->next)
		fail_queued(job, -EINTR);
	w->head = w->tail = NULL;
	w->queued = 0;
	pthread_cond_broadcast(&w->done);
	pthread_mutex_unlock(&w->lock);
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
