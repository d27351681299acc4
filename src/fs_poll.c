/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * poll() on gpio/N/value (per its edge and active_low) and interrupt/count. The chip cannot
 * tell the host that a pin moved, so a thread samples the values every poll_interval, only
 * while someone waits in poll() for them, and notifies the kernel (fuse_lowlevel_notify_poll)
 * when one changed. Like sysfs: read the file, then poll; an event stays pending until the
 * file is read again.
 *
 * FUSE says when a poll() starts waiting (a poll handle) but never when it gives up (a
 * timeout, or a poll() that returned and whose caller went on with the file open). So a
 * handle that came with an event already pending is not sampled for, and a handle is
 * "probed" when its file is read and after FS_POLL_PROBE_MS: notified, which makes every
 * process still waiting on the file poll again (and hand us a new handle), while a poll()
 * that is over hears nothing and the sampling stops.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include <fuse_lowlevel.h>

#include "util/clock.h"
#include "fs.h"
#include "util/log.h"
#include "util/thread.h"

/* The files whose text is one number (a value op) are the ones poll() watches. */
bool fs_poll_node(const struct fs_node *n) { return n->ops && n->ops->value; }

/* How long a waiting poll handle is sampled for before the kernel is asked, by a probe,
 * whether anyone still waits on it. */
#define FS_POLL_PROBE_MS 1000u

static bool is_pin(const struct fs_file *f) { return f->node->ops == &fs_gpio_value_ops; }

/* Someone waits in poll() on f and nothing is pending yet: f needs samples. */
static bool wants_samples(const struct fs_file *f) { return f->ph && f->waiting && !f->event; }

/* Notify the kernel on f's handle, which is then spent. */
static void notify(struct fs_file *f)
{
	int ret = fuse_lowlevel_notify_poll(f->ph);

	/* -ENOENT/-EBADF/-ENODEV: the poller or the mount went away, which is normal */
	if (ret < 0 && ret != -ENOENT && ret != -EBADF && ret != -ENODEV)
		log_warn("poll notification failed: %s", strerror(-ret));
	fuse_pollhandle_destroy(f->ph);
	f->ph = NULL;
	f->waiting = false;
}

static void wake(struct fs_file *f)
{
	f->event = true;
	if (f->ph)
		notify(f);
}

/* Whoever still waits on f polls again; a poll() that is over does not. */
static void probe(struct fs_file *f)
{
	if (f->ph)
		notify(f);
}

static bool edge_fires(unsigned edge, unsigned old, unsigned now)
{
	switch (edge) {
	case MOUNT_EDGE_RISING:
		return !old && now;
	case MOUNT_EDGE_FALLING:
		return old && !now;
	case MOUNT_EDGE_BOTH:
		return old != now;
	default:
		return false;
	}
}

/* One round: read what the waiting pollers need (or only what `only` needs: a poll that does
 * not wait), compare, wake. */
static void sample(struct fs *fs, const struct fs_file *only)
{
	bool want_levels = false, want_count = false, have_levels, have_count;
	uint16_t levels = 0, count = 0;

	pthread_mutex_lock(&fs->poll.lock);
	for (struct fs_file *f = fs->poll.watched; f; f = f->watch_next) {
		if (only ? f != only : !wants_samples(f))
			continue;
		if (is_pin(f))
			want_levels = true;
		else
			want_count = true;
	}
	pthread_mutex_unlock(&fs->poll.lock);

	have_levels = want_levels && fs_gpio_levels(fs->mount, &levels) == 0;
	have_count = want_count && fs_irq_count(fs->mount, &count) == 0;

	pthread_mutex_lock(&fs->poll.lock);
	for (struct fs_file *f = fs->poll.watched; f; f = f->watch_next) {
		unsigned now, invert;

		if ((only ? f != only : !wants_samples(f)) || (is_pin(f) ? !have_levels : !have_count))
			continue;
		now = is_pin(f) ? (levels >> f->node->arg) & 1u : count;
		if (!f->baseline_valid) {
			f->baseline = now;
			f->baseline_valid = true;
			continue;
		}
		if (f->event || now == f->baseline)
			continue;
		/* edges are those of value as read, i.e. after active_low (sysfs ABI) */
		invert = is_pin(f) && atomic_load(&fs->mount->active_low[f->node->arg]) ? 1u : 0u;
		if (!is_pin(f) ||
		    edge_fires(atomic_load(&fs->mount->edge[f->node->arg]), f->baseline ^ invert, now ^ invert))
			wake(f);
		f->baseline = now;
	}
	pthread_mutex_unlock(&fs->poll.lock);
}

/* Under the poll lock: probe handles sampled for long enough; is anyone left to sample for? */
static bool anyone_waiting(struct fs *fs)
{
	uint64_t now = mono_now_ms();
	bool any = false;

	for (struct fs_file *f = fs->poll.watched; f; f = f->watch_next) {
		if (wants_samples(f) && now - f->waiting_since >= FS_POLL_PROBE_MS)
			probe(f);
		any = any || wants_samples(f);
	}
	return any;
}

static void *poll_main(void *arg)
{
	struct fs *fs = arg;
	unsigned interval = fs->mount->opt.poll_interval_ms;

	pthread_mutex_lock(&fs->poll.lock);
	while (!fs->poll.stop) {
		struct timespec next;

		if (!anyone_waiting(fs)) {
			pthread_cond_wait(&fs->poll.cond, &fs->poll.lock);
			continue;
		}
		next = mono_deadline_ms(interval);
		pthread_mutex_unlock(&fs->poll.lock);
		sample(fs, NULL);
		pthread_mutex_lock(&fs->poll.lock);
		while (!fs->poll.stop && pthread_cond_timedwait(&fs->poll.cond, &fs->poll.lock, &next) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&fs->poll.lock);
	return NULL;
}

int fs_poll_start(struct fs *fs)
{
	int ret;

	pthread_mutex_init(&fs->poll.lock, NULL);
	mono_cond_init(&fs->poll.cond);
	ret = thread_start(&fs->poll.thread, poll_main, fs);
	if (ret) {
		log_err("cannot start the poll thread: %s", strerror(ret));
		return -ret;
	}
	fs->poll.started = true;
	return 0;
}

void fs_poll_stop(struct fs *fs)
{
	if (!fs->poll.started)
		return;
	pthread_mutex_lock(&fs->poll.lock);
	fs->poll.stop = true;
	pthread_cond_broadcast(&fs->poll.cond);
	pthread_mutex_unlock(&fs->poll.lock);
	pthread_join(fs->poll.thread, NULL);
	fs->poll.started = false;
}

unsigned fs_poll_watch(struct fs *fs, struct fs_file *f, struct fuse_pollhandle *ph)
{
	bool pending;

	pthread_mutex_lock(&fs->poll.lock);
	if (!f->watched) {
		f->watched = true;
		f->watch_next = fs->poll.watched;
		fs->poll.watched = f;
	}
	if (ph) {
		if (f->ph)
			fuse_pollhandle_destroy(f->ph);
		f->ph = ph;
		/* with an event pending this poll() returns at once: the handle waits for a probe */
		f->waiting = !f->event;
		f->waiting_since = mono_now_ms();
		if (f->waiting)
			pthread_cond_broadcast(&fs->poll.cond);
	}
	pending = f->event;
	pthread_mutex_unlock(&fs->poll.lock);
	/* sysfs reports a change as POLLPRI|POLLERR; POLLIN too so plain poll(POLLIN) users wake */
	return pending ? POLLPRI | POLLERR | POLLIN : 0;
}

unsigned fs_poll_sample_now(struct fs *fs, struct fs_file *f)
{
	bool pending;

	sample(fs, f);
	pthread_mutex_lock(&fs->poll.lock);
	pending = f->event;
	pthread_mutex_unlock(&fs->poll.lock);
	return pending ? POLLPRI | POLLERR | POLLIN : 0;
}

void fs_poll_rearm(struct fs *fs, struct fs_file *f, unsigned value)
{
	pthread_mutex_lock(&fs->poll.lock);
	f->event = false;
	/* value is as read; a pin's baseline is its physical level */
	f->baseline = is_pin(f) && atomic_load(&fs->mount->active_low[f->node->arg]) ? value ^ 1u : value;
	f->baseline_valid = true;
	probe(f); /* the reader is not waiting in poll(): whoever still is polls again */
	pthread_mutex_unlock(&fs->poll.lock);
}

void fs_poll_release(struct fs *fs, struct fs_file *f)
{
	pthread_mutex_lock(&fs->poll.lock);
	for (struct fs_file **pp = &fs->poll.watched; *pp; pp = &(*pp)->watch_next) {
		if (*pp == f) {
			*pp = f->watch_next;
			break;
		}
	}
	if (f->ph)
		fuse_pollhandle_destroy(f->ph);
	f->ph = NULL;
	pthread_mutex_unlock(&fs->poll.lock);
}
