/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A mounted device's life and the bridge from FUSE threads to its worker thread. The FUSE
 * request being served is kept per thread so that mount_run() can hook the request's
 * interrupt to the job it queues.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <fuse_lowlevel.h>

#include "emu/emu.h"
#include "util/log.h"
#include "mount.h"
#include "util/thread.h"
#include "transport.h"
#include "transport_usb.h"
#include "worker.h"

/* Requests waiting for the device (coalesced reads not counted): far more than any FUSE
 * thread pool, since no thread waits for its request; past it, EBUSY. */
#define MOUNT_QUEUE_MAX 1024
#define MOUNT_RESCAN_MS 500 /* how often a lost USB device is looked for (when no hotplug event says) */

/* A piece of work for the worker thread and how to run it. */
struct call {
	mount_fn fn;
	void *arg;
	uintptr_t share_key; /* nonzero: a read whose result a batch shares (mount_run_shared) */
	size_t out_size;
	bool offline; /* runs while the device is gone */
};

static int call_now(struct mount *m, const struct call *c)
{
	/* a plain load first: the exchange (a locked instruction) only after a replug */
	if (atomic_load(&m->changed) && atomic_exchange(&m->changed, false))
		mount_invalidate(m);
	/* A device that is gone fails everything at once, cached values included. */
	if (!c->offline && !transport_present(m->transport))
		return -ENODEV;
	return c->fn(m, c->arg);
}

/* A shared read on the worker: the first job of a batch reads, the others of the same batch
 * (coalesced with it) take its result. */
static int call_shared(struct mount *m, const struct call *c, const struct worker_job *job)
{
	struct mount_share *s = &m->share;
	int ret;

	if (s->valid && s->batch == worker_job_batch(job) && s->key == c->share_key && s->size == c->out_size) {
		memcpy(c->arg, s->out, c->out_size);
		return s->ret;
	}
	ret = call_now(m, c);
	/* an interrupted read is the interrupted request's own: the others read again */
	s->valid = c->out_size <= sizeof(s->out) && ret != -EINTR;
	if (s->valid) {
		s->batch = worker_job_batch(job);
		s->key = c->share_key;
		s->size = c->out_size;
		s->ret = ret;
		memcpy(s->out, c->arg, c->out_size);
	}
	return ret;
}

static int call_on_worker(struct mount *m, const struct call *c, const struct worker_job *job)
{
	return c->share_key ? call_shared(m, c, job) : call_now(m, c);
}

static int call_job(void *ctx, struct worker_job *job) { return call_on_worker(ctx, job->arg, job); }

/* Set while this thread serves a FUSE request itself (a local file, fs_request.c). */
static _Thread_local bool serving_fuse;

void mount_serving_fuse(bool on) { serving_fuse = on; }

/* On the worker thread (inside a FUSE request's job) the call runs at once, as part of that
 * job; any other thread queues it and waits. A FUSE thread never gets here: the fs layer
 * queues its requests (mount_queue) and never waits for the chip. */
static int run_call(struct mount *m, const struct call *c, unsigned deadline_ms)
{
	struct worker_job *running = worker_running_job();
	struct worker_job job = { .run = call_job, .arg = (void *)c, .coalesce_key = c->share_key,
				  .idle_safe = c->share_key != 0 };

	/* A local file's show() or store() that needs the device is a bug: it would wait. */
	assert(running || !serving_fuse);
	if (running) {
		if (deadline_ms > MOUNT_DEADLINE_MS)
			worker_job_extend(running, deadline_ms);
		return call_on_worker(m, c, running);
	}
	return worker_call(m->worker, &job, deadline_ms);
}

int mount_run_for(struct mount *m, mount_fn fn, void *arg, unsigned deadline_ms)
{
	struct call c = { .fn = fn, .arg = arg };

	return run_call(m, &c, deadline_ms);
}

int mount_run(struct mount *m, mount_fn fn, void *arg) { return mount_run_for(m, fn, arg, MOUNT_DEADLINE_MS); }

int mount_run_shared(struct mount *m, uintptr_t key, mount_fn fn, void *arg, size_t out_size)
{
	struct call c = { .fn = fn, .arg = arg, .share_key = m->policy == MOUNT_NAIVE ? 0 : key, .out_size = out_size };

	return run_call(m, &c, MOUNT_DEADLINE_MS);
}

int mount_run_offline(struct mount *m, mount_fn fn, void *arg)
{
	struct call c = { .fn = fn, .arg = arg, .offline = true };

	return run_call(m, &c, MOUNT_DEADLINE_MS);
}

int mount_queue(struct mount *m, struct worker_job *job)
{
	if (!job->run_ms)
		job->run_ms = MOUNT_DEADLINE_MS;
	if (m->policy == MOUNT_NAIVE)
		job->coalesce_key = 0;
	return worker_submit(m->worker, job);
}

enum worker_cancel_result mount_cancel(struct mount *m, struct worker_job *job)
{
	enum worker_cancel_result what = worker_cancel(m->worker, job);

	/* Its code runs now: it stops at its next exchange, and one waiting for an answer that was
	 * lost stops waiting now (the answer, if it comes, is drained before the next exchange).
	 * Not for a job that waits its turn in a batch or under an idle job: the exchange in
	 * progress is another request's. */
	if (what == WORKER_CANCEL_RUNNING)
		transport_abort(m->dev.transport);
	return what;
}

void mount_cancel_all(struct mount *m, int err)
{
	worker_cancel_all(m->worker, err);
	transport_abort(m->dev.transport); /* nobody waits out a lost answer any more */
}

/* While an SPI transaction waits for the chip to clock (device.h): queued reads use the bus. A
 * read is one exchange: its request waits for the next frame and its answer ends that frame,
 * two frames at most. One that could not end before the transaction's next chunk is due
 * waits for the next gap, so the transaction is not slowed. */
static void run_idle(void *ctx, uint64_t until_ns)
{
	struct mount *m = ctx;
	uint64_t frame = m->transport->frame_ns;

	worker_run_idle(m->worker, until_ns, 2 * (frame ? frame : 1000000u));
}

void mount_invalidate(struct mount *m) { device_invalidate(&m->dev); }

void mount_changed(struct mount *m) { atomic_store(&m->changed, true); }

void mount_identity(struct mount *m, struct transport_identity *id) { transport_identity(m->transport, id); }

bool mount_gone(struct mount *m) { return m->transport && !transport_present(m->transport); }

static int recover_job(struct mount *m, void *arg)
{
	(void)arg;
	return device_recover(&m->dev);
}

/* The same device is back: nothing cached survives a power cycle, and a chip that was not
 * power cycled may be mid-transfer. Nothing else is re-applied: what the chip says is the
 * truth from now on. */
static int reconnect_job(struct mount *m, void *arg)
{
	int ret = transport_reconnect(m->transport);

	(void)arg;
	if (ret < 0)
		return ret;
	mount_invalidate(m);
	ret = device_recover(&m->dev);
	if (ret < 0)
		log_warn("could not reset the chip's SPI engine after it came back: %s", strerror(-ret));
	return 0;
}

/* An idle device's departure may be only an event waiting to be taken in (libusb's hotplug
 * events, which the worker owns while the device is there): take it in. No USB traffic. */
static int look_job(struct mount *m, void *arg)
{
	(void)arg;
	return device_check(&m->dev);
}

/* Waits for the device's comings and goings, and has the worker look when the transport says
 * so: at a device still there (look_job), or for one that is gone (reconnect_job), unless
 * -o exit_on_unplug says to leave. */
static void *monitor_main(void *arg)
{
	struct mount *m = arg;

	while (!atomic_load(&m->monitor_stop)) {
		bool look = transport_wait(m->transport, MOUNT_RESCAN_MS);

		if (look && !atomic_load(&m->monitor_stop) && transport_present(m->transport))
			mount_run(m, look_job, NULL);
		if (atomic_load(&m->monitor_stop) || transport_present(m->transport))
			continue;
		if (m->opt.exit_on_unplug) {
			log_warn("the device is gone: exiting (-o exit_on_unplug)");
			if (m->on_unplug)
				m->on_unplug(m);
			break;
		}
		if (look)
			mount_run_offline(m, reconnect_job, NULL); /* -ENODEV: not back yet */
	}
	return NULL;
}

static void usb_select(const struct mount_options *opt, struct transport_usb_select *sel)
{
	sel->vid = opt->vid;
	sel->pid = opt->pid;
	sel->serial = opt->serial;
	sel->bus = opt->bus;
	sel->address = opt->address;
}

int mount_list(const struct mount_options *opt)
{
	struct transport_usb_select sel;

	usb_select(opt, &sel);
	return transport_usb_list(&sel, stdout);
}

/* What to do about an emulator that would not start (the emulator logged the detail). */
static const char *emu_error_hint(int err)
{
	switch (err) {
	case -EBUSY:
		return ": another mcp2210fs uses this state file (one file, one emulated chip, one mount)";
	case -EEXIST:
		return ": -o serial names another chip; leave it out to use the file's, or use another state file";
	default:
		return "";
	}
}

static int start_emulator(struct mount *m)
{
	struct emu_config cfg = {
		.state_file = m->opt.state_file,
		.serial = m->opt.serial,
		.serial_default = "EMU0000001",
		.frame_ns = (uint64_t)m->opt.emu_frame_us * 1000u,
	};
	int ret;

	if (cfg.serial && !emu_serial_valid(cfg.serial)) {
		log_err("-o serial: the emulated chip's serial must be 1 to 31 printable ASCII characters (no newline, "
			"no control character)");
		return -EINVAL;
	}
	ret = emu_new(&cfg, &m->emu);
	if (ret < 0) {
		const char *hint = emu_error_hint(ret);

		/* with a hint of its own, strerror()'s words ("File exists") would only mislead */
		log_err("cannot create the emulated MCP2210%s%s%s%s", cfg.state_file ? " from " : "",
			cfg.state_file ? cfg.state_file : "", *hint ? "" : ": ", *hint ? hint : strerror(-ret));
		return ret;
	}
	ret = emu_attach_spec(m->emu, m->opt.peripherals ? m->opt.peripherals : EMU_DEFAULT_PERIPHERALS);
	if (ret < 0) {
		log_err("bad -o peripherals=%s: expected TYPE@CS[:TYPE@CS...], TYPE loopback|flash|shiftreg, CS 0..7",
			m->opt.peripherals);
		goto err_emu;
	}
	/* Real time even without frames: a flash erase must still take its 45 ms. */
	ret = transport_emu_new(m->emu, true, &m->transport);
	if (ret == 0)
		return 0;
err_emu:
	emu_free(m->emu);
	m->emu = NULL;
	return ret;
}

static int start_usb(struct mount *m)
{
	struct transport_usb_select sel;

	usb_select(&m->opt, &sel);
	return transport_usb_new(&sel, &m->transport);
}

/* -o trace=FILE: the device talks through a trace of the transport. For an emulated chip the
 * head of the file says how to make the same chip again (mcp2210-replay reads it). */
static int start_trace(struct mount *m)
{
	char header[256] = "";

	if (!m->opt.trace_file)
		return 0;
	if (m->emu)
		snprintf(header, sizeof(header), "# peripherals: %s\n# state: %s\n",
			 m->opt.peripherals ? m->opt.peripherals : EMU_DEFAULT_PERIPHERALS,
			 m->opt.state_file ? m->opt.state_file : "(power-up defaults)");
	return transport_trace_new(m->transport, m->opt.trace_file, header, &m->trace);
}

/* Bring up the device (emulated or USB), the worker, and recover a chip a previous host left
 * mid-transfer; then the thread that watches for unplug and return. */
int mount_start(struct mount *m)
{
	int ret;

	ret = m->opt.emulate ? start_emulator(m) : start_usb(m);
	if (ret < 0)
		return ret;
	if (m->policy == MOUNT_NAIVE) /* the benchmark's baseline: what other drivers do */
		m->transport->in_first = false;
	ret = start_trace(m);
	if (ret < 0)
		goto err_transport;
	device_init(&m->dev, m->trace ? m->trace : m->transport, m->opt.timeout_ms);
	if (m->policy == MOUNT_NAIVE)
		m->dev.use_cache = false;
	m->dev.idle = run_idle;
	m->dev.idle_ctx = m;
	if (m->opt.have_password)
		device_set_password(&m->dev, m->opt.password);
	explicit_bzero(m->opt.password, sizeof(m->opt.password));
	m->opt.have_password = false;
	ret = worker_start(m, MOUNT_QUEUE_MAX, &m->worker);
	if (ret < 0)
		goto err_transport;
	ret = mount_run(m, recover_job, NULL);
	if (ret < 0)
		log_warn("could not reset the chip's SPI engine at start: %s", strerror(-ret));
	atomic_store(&m->monitor_stop, false);
	ret = thread_start(&m->monitor, monitor_main, m);
	if (ret) {
		log_err("cannot start the device monitor thread: %s", strerror(ret));
		ret = -ret;
		goto err_worker;
	}
	m->monitor_started = true;
	return 0;

err_worker:
	worker_stop(m->worker);
	m->worker = NULL;
err_transport:
	transport_free(m->trace);
	m->trace = NULL;
	transport_free(m->transport);
	m->transport = NULL;
	emu_free(m->emu);
	m->emu = NULL;
	return ret;
}

void mount_stop(struct mount *m)
{
	/* First end what is queued or running (the monitor may wait on a job too) */
	if (m->worker)
		mount_cancel_all(m, -ECONNABORTED);
	if (m->monitor_started) {
		atomic_store(&m->monitor_stop, true);
		transport_wake(m->transport);
		pthread_join(m->monitor, NULL);
		m->monitor_started = false;
	}
	worker_stop(m->worker);
	m->worker = NULL;
	transport_free(m->trace);
	m->trace = NULL;
	transport_free(m->transport);
	m->transport = NULL;
	emu_free(m->emu);
	m->emu = NULL;
	device_forget_password(&m->dev); /* never outlives the mount */
}
