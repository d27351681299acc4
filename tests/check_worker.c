/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The worker thread and its queue: jobs run one at a time in FIFO order, deadlines withdraw
 * queued jobs and cancel running ones, interrupts withdraw, identical reads coalesce, the
 * queue is bounded, and stopping fails what is left.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include <check.h>

#include "check_main.h"
#include "util/clock.h"
#include "worker.h"

/* The context every job sees: a gate a test can hold closed, and a log of job steps. */
struct bench {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool gate_open;
	bool gate_entered;
	int log[64];
	unsigned nlog;
	unsigned reads;
};

static struct bench bench;

static void bench_init(void)
{
	pthread_mutex_init(&bench.lock, NULL);
	mono_cond_init(&bench.cond);
	bench.gate_open = false;
	bench.gate_entered = false;
	bench.nlog = 0;
	bench.reads = 0;
}

static void log_step(int v)
{
	pthread_mutex_lock(&bench.lock);
	if (bench.nlog < 64)
		bench.log[bench.nlog++] = v;
	pthread_mutex_unlock(&bench.lock);
}

/* Blocks the worker until the test opens the gate, or until cancelled. */
static int gate_job(void *ctx, struct worker_job *job)
{
	struct bench *b = ctx;
	int ret = 0;

	pthread_mutex_lock(&b->lock);
	b->gate_entered = true;
	pthread_cond_broadcast(&b->cond);
	while (!b->gate_open) {
		struct timespec ts;

		if (worker_job_cancelled(job)) {
			ret = -EINTR;
			break;
		}
		/* wake up now and then to look at the cancel flag, as a job between exchanges does */
		ts = mono_deadline_ms(1);
		pthread_cond_timedwait(&b->cond, &b->lock, &ts);
	}
	pthread_mutex_unlock(&b->lock);
	return ret;
}

static void open_gate(void)
{
	pthread_mutex_lock(&bench.lock);
	bench.gate_open = true;
	pthread_cond_broadcast(&bench.cond);
	pthread_mutex_unlock(&bench.lock);
}

static void wait_gate_entered(void)
{
	pthread_mutex_lock(&bench.lock);
	while (!bench.gate_entered)
		pthread_cond_wait(&bench.cond, &bench.lock);
	pthread_mutex_unlock(&bench.lock);
}

/* Three steps: start, middle, end. Interleaving would show in the log. */
static int step_job(void *ctx, struct worker_job *job)
{
	int id = (int)(intptr_t)job->arg;

	log_step(id * 10 + 1);
	sched_yield();
	log_step(id * 10 + 2);
	sched_yield();
	log_step(id * 10 + 3);
	return id;
}

struct caller {
	pthread_t thread;
	struct worker *w;
	struct worker_job job;
	unsigned timeout_ms;
	int result;
	unsigned value; /* output of read_job */
};

static void *call_thread(void *arg)
{
	struct caller *c = arg;

	c->result = worker_call(c->w, &c->job, c->timeout_ms);
	return NULL;
}

static void start_caller(struct caller *c, struct worker *w, worker_job_fn fn, intptr_t arg)
{
	c->w = w;
	c->job = (struct worker_job){ .run = fn, .arg = (void *)arg };
	c->timeout_ms = c->timeout_ms ? c->timeout_ms : 10000;
	ck_assert_int_eq(pthread_create(&c->thread, NULL, call_thread, c), 0);
}

static void wait_pending(struct worker *w, unsigned n)
{
	while (worker_pending(w) != n)
		sched_yield();
}

static struct worker *start_worker(unsigned queue_max)
{
	struct worker *w;

	bench_init();
	ck_assert_int_eq(worker_start(&bench, queue_max, &w), 0);
	return w;
}

/* Callers queued one after the other run in that order, each job whole. */
START_TEST(test_fifo_and_whole_jobs)
{
	struct worker *w = start_worker(8);
	struct caller gate = { 0 }, c[4] = { 0 };

	start_caller(&gate, w, gate_job, 0);
	wait_gate_entered();
	for (int i = 0; i < 4; i++) {
		start_caller(&c[i], w, step_job, i + 1);
		wait_pending(w, (unsigned)i + 1);
	}
	open_gate();
	pthread_join(gate.thread, NULL);
	for (int i = 0; i < 4; i++) {
		pthread_join(c[i].thread, NULL);
		ck_assert_int_eq(c[i].result, i + 1);
	}
	ck_assert_uint_eq(bench.nlog, 12);
	for (int i = 0; i < 12; i++)
		ck_assert_int_eq(bench.log[i], (i / 3 + 1) * 10 + i % 3 + 1);
	worker_stop(w);
}
END_TEST

/* A job still queued at its deadline is withdrawn and never runs. */
START_TEST(test_deadline_withdraws_queued)
{
	struct worker *w = start_worker(8);
	struct caller gate = { 0 }, late = { .timeout_ms = 30 };

	start_caller(&gate, w, gate_job, 0);
	wait_gate_entered();
	start_caller(&late, w, step_job, 7);
	pthread_join(late.thread, NULL);
	ck_assert_int_eq(late.result, -ETIMEDOUT);
	ck_assert_uint_eq(worker_pending(w), 0);
	open_gate();
	pthread_join(gate.thread, NULL);
	ck_assert_uint_eq(bench.nlog, 0);
	worker_stop(w);
}
END_TEST

/* A running job past its deadline is asked to cancel; the call reports the timeout. */
START_TEST(test_deadline_cancels_running)
{
	struct worker *w = start_worker(8);
	struct caller gate = { .timeout_ms = 30 };

	start_caller(&gate, w, gate_job, 0);
	pthread_join(gate.thread, NULL);
	ck_assert_int_eq(gate.result, -ETIMEDOUT);
	worker_stop(w);
}
END_TEST

/* An interrupt withdraws a queued job (-EINTR) and stops a running one. */
START_TEST(test_cancel_queued_and_running)
{
	struct worker *w = start_worker(8);
	struct caller gate = { 0 }, queued = { 0 };

	start_caller(&gate, w, gate_job, 0);
	wait_gate_entered();
	start_caller(&queued, w, step_job, 3);
	wait_pending(w, 1);
	worker_cancel(w, &queued.job);
	pthread_join(queued.thread, NULL);
	ck_assert_int_eq(queued.result, -EINTR);
	worker_cancel(w, &gate.job);
	pthread_join(gate.thread, NULL);
	ck_assert_int_eq(gate.result, -EINTR);
	ck_assert_uint_eq(bench.nlog, 0);
	worker_stop(w);
}
END_TEST

/* A read that, as mount_run_shared() does, reads once per batch: jobs coalesced with the one
 * that read take its value. */
static int read_job(void *ctx, struct worker_job *job)
{
	static uint64_t batch_read;
	static unsigned value;
	struct bench *b = ctx;

	if (b->reads == 0 || worker_job_batch(job) != batch_read) {
		value = 1000 + ++b->reads;
		batch_read = worker_job_batch(job);
	}
	((struct caller *)job->arg)->value = value;
	return 0;
}

/* Identical reads queued together run as one batch: read once, every caller gets the value. */
START_TEST(test_coalescing)
{
	struct worker *w = start_worker(8);
	struct caller gate = { 0 }, c[4] = { 0 };
	uint64_t runs, coalesced;

	start_caller(&gate, w, gate_job, 0);
	wait_gate_entered();
	for (int i = 0; i < 4; i++) {
		c[i].w = w;
		c[i].timeout_ms = 10000;
		c[i].job = (struct worker_job){ .run = read_job, .arg = &c[i], .coalesce_key = 42 };
		ck_assert_int_eq(pthread_create(&c[i].thread, NULL, call_thread, &c[i]), 0);
	}
	/* the first queues, the others follow it: wait until all four are in */
	for (;;) {
		worker_counts(w, &runs, &coalesced);
		if (coalesced == 3)
			break;
		sched_yield();
	}
	ck_assert_uint_eq(worker_pending(w), 1);
	open_gate();
	pthread_join(gate.thread, NULL);
	for (int i = 0; i < 4; i++) {
		pthread_join(c[i].thread, NULL);
		ck_assert_int_eq(c[i].result, 0);
		ck_assert_uint_eq(c[i].value, 1001);
	}
	ck_assert_uint_eq(bench.reads, 1);
	worker_stop(w);
}
END_TEST

/* The queue is bounded: a caller that finds it full gets -EBUSY at once. */
START_TEST(test_queue_bounded)
{
	struct worker *w = start_worker(1);
	struct caller gate = { 0 }, first = { 0 }, second = { .timeout_ms = 30 };

	start_caller(&gate, w, gate_job, 0);
	wait_gate_entered();
	start_caller(&first, w, step_job, 1);
	wait_pending(w, 1);
	start_caller(&second, w, step_job, 2);
	pthread_join(second.thread, NULL);
	ck_assert_int_eq(second.result, -EBUSY);
	open_gate();
	pthread_join(gate.thread, NULL);
	pthread_join(first.thread, NULL);
	ck_assert_int_eq(first.result, 1);
	worker_stop(w);
}
END_TEST

/* Stopping cancels the running job and fails queued ones, both with -ECONNABORTED (the
 * errno a FUSE caller gets when its daemon goes), and refuses new ones. */
START_TEST(test_stop_fails_queued)
{
	struct worker *w = start_worker(8);
	struct caller gate = { 0 }, queued = { 0 };

	start_caller(&gate, w, gate_job, 0);
	wait_gate_entered();
	start_caller(&queued, w, step_job, 5);
	wait_pending(w, 1);
	worker_stop(w);
	pthread_join(gate.thread, NULL);
	pthread_join(queued.thread, NULL);
	ck_assert_int_eq(gate.result, -ECONNABORTED);
	ck_assert_int_eq(queued.result, -ECONNABORTED);
	ck_assert_uint_eq(bench.nlog, 0);
}
END_TEST

/* ---- asynchronous jobs: nobody waits, done() gets the result --------------------------- */

struct async_job {
	struct worker_job job; /* first */
	pthread_t done_thread;
	int done_calls;
	int result;
};

static void async_done(struct worker_job *job)
{
	struct async_job *a = (struct async_job *)job;

	pthread_mutex_lock(&bench.lock);
	a->done_thread = pthread_self();
	a->done_calls++;
	a->result = job->result;
	pthread_cond_broadcast(&bench.cond);
	pthread_mutex_unlock(&bench.lock);
}

static void async_init(struct async_job *a, worker_job_fn fn, intptr_t arg)
{
	*a = (struct async_job){ .job = { .run = fn, .done = async_done, .arg = (void *)arg } };
}

/* The gate job runs (and holds the worker) and next waits queued behind it. */
static void submit_behind_gate(struct worker *w, struct async_job *gate, struct async_job *next, intptr_t arg)
{
	async_init(gate, gate_job, 0);
	async_init(next, step_job, arg);
	ck_assert_int_eq(worker_submit(w, &gate->job), 0);
	wait_gate_entered();
	ck_assert_int_eq(worker_submit(w, &next->job), 0); /* the gate is still closed: no wait */
}

static void wait_done(struct async_job *a)
{
	pthread_mutex_lock(&bench.lock);
	while (!a->done_calls)
		pthread_cond_wait(&bench.cond, &bench.lock);
	pthread_mutex_unlock(&bench.lock);
}

/* submit returns at once, even behind a job that does not end; done() comes from the worker
 * thread, once, with the job's result. */
START_TEST(test_submit_does_not_wait)
{
	struct worker *w = start_worker(8);
	struct async_job gate, step;

	submit_behind_gate(w, &gate, &step, 4);
	ck_assert_int_eq(step.done_calls, 0);
	open_gate();
	wait_done(&step);
	ck_assert_int_eq(gate.done_calls, 1);
	ck_assert_int_eq(step.done_calls, 1);
	ck_assert_int_eq(step.result, 4);
	ck_assert(!pthread_equal(step.done_thread, pthread_self()));
	worker_stop(w);
}
END_TEST

/* Cancelling a queued job answers it at once, on the cancelling thread, with -EINTR; one not
 * submitted yet cannot be submitted any more (an interrupt that came first). */
START_TEST(test_cancel_answers_on_caller)
{
	struct worker *w = start_worker(8);
	struct async_job gate, queued, early;

	submit_behind_gate(w, &gate, &queued, 2);
	async_init(&early, step_job, 3);
	ck_assert_int_eq(worker_cancel(w, &queued.job), WORKER_CANCEL_WITHDRAWN);
	ck_assert_int_eq(queued.done_calls, 1);
	ck_assert_int_eq(queued.result, -EINTR);
	ck_assert(pthread_equal(queued.done_thread, pthread_self()));
	ck_assert_int_eq(worker_cancel(w, &early.job), WORKER_CANCEL_NONE);
	ck_assert_int_eq(worker_submit(w, &early.job), -EINTR);
	ck_assert_int_eq(early.done_calls, 0);
	ck_assert_int_eq(worker_cancel(w, &gate.job), WORKER_CANCEL_RUNNING);
	wait_done(&gate);
	ck_assert_int_eq(gate.result, -EINTR);
	ck_assert_uint_eq(bench.nlog, 0);
	worker_stop(w);
}
END_TEST

/* A long job that waits for the chip lets queued idle-safe jobs run inside it, in order, and
 * no other: those wait for it to end. */
static struct worker *idle_worker;

static int long_job(void *ctx, struct worker_job *job)
{
	struct timespec now;

	(void)ctx, (void)job;
	log_step(1);
	wait_pending(idle_worker, 2);
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* 200 ms for idle work, of which the read takes a few µs: the call returns at the end */
	ck_assert_uint_eq(worker_run_idle(idle_worker, (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec +
							       200000000u, 0), 1);
	log_step(2);
	return 0;
}

START_TEST(test_idle_safe_jobs_run_inside)
{
	struct async_job lng, write, read;

	idle_worker = start_worker(8);
	async_init(&lng, long_job, 0);
	async_init(&write, step_job, 5);
	async_init(&read, step_job, 6);
	read.job.idle_safe = true;
	ck_assert_int_eq(worker_submit(idle_worker, &lng.job), 0);
	ck_assert_int_eq(worker_submit(idle_worker, &write.job), 0);
	ck_assert_int_eq(worker_submit(idle_worker, &read.job), 0);
	wait_done(&write);
	ck_assert_int_eq(lng.result, 0);
	ck_assert_int_eq(read.result, 6);
	ck_assert_uint_eq(bench.nlog, 8);
	/* long job starts, the read runs whole inside it, the long job ends, then the write */
	ck_assert_int_eq(bench.log[0], 1);
	ck_assert_int_eq(bench.log[1], 61);
	ck_assert_int_eq(bench.log[3], 63);
	ck_assert_int_eq(bench.log[4], 2);
	ck_assert_int_eq(bench.log[5], 51);
	worker_stop(idle_worker);
}
END_TEST

/* Shutting down: the running job and the queued one both get the given error. */
START_TEST(test_cancel_all_reports_err)
{
	struct worker *w = start_worker(8);
	struct async_job gate, queued;

	submit_behind_gate(w, &gate, &queued, 1);
	worker_cancel_all(w, -ECONNABORTED);
	ck_assert_int_eq(queued.result, -ECONNABORTED);
	wait_done(&gate);
	ck_assert_int_eq(gate.result, -ECONNABORTED);
	ck_assert_int_eq(worker_submit(w, &queued.job), -ECONNABORTED);
	worker_stop(w);
}
END_TEST

static Suite *worker_suite(void)
{
	Suite *s = suite_create("worker");
	TCase *tc = tcase_create("queue");

	tcase_add_test(tc, test_fifo_and_whole_jobs);
	tcase_add_test(tc, test_deadline_withdraws_queued);
	tcase_add_test(tc, test_deadline_cancels_running);
	tcase_add_test(tc, test_cancel_queued_and_running);
	tcase_add_test(tc, test_coalescing);
	tcase_add_test(tc, test_queue_bounded);
	tcase_add_test(tc, test_stop_fails_queued);
	tcase_add_test(tc, test_submit_does_not_wait);
	tcase_add_test(tc, test_cancel_answers_on_caller);
	tcase_add_test(tc, test_idle_safe_jobs_run_inside);
	tcase_add_test(tc, test_cancel_all_reports_err);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(worker_suite)
