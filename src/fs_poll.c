/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * poll() on gpio/N/value (per its edge) and interrupt/count. The chip cannot tell the host
 * that a pin moved, so a thread samples the values every poll_interval, only while someone
 * is watching, and notifies the kernel (fuse_lowlevel_notify_poll) when one changed.
 * Like sysfs: read the file, then poll; an event stays pending until the file is read again.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include <fuse_lowlevel.h>

#include "fs.h"
#include "log.h"
#include "thread.h"

bool fs_poll_node(const struct fs_node *n) { return n->ops == &fs_gpio_value_ops || n->ops == &fs_irq_count_ops; }

static void wake(struct fs_file *f)
{
	f->event = true;
	if (f->ph) {
		int ret = fuse_lowlevel_notify_poll(f->ph);

		/* -ENOENT/-EBADF/-ENODEV: the poller or the mount went away, which is normal */
		if (ret < 0 && ret != -ENOENT && ret != -EBADF && ret != -ENODEV)
			log_warn("poll notification failed: %s", strerror(-ret));
		fuse_pollhandle_destroy(f->ph);
		f->ph = NULL;
	}
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

static int levels_job(struct mount *m, void *arg) { return device_gpio_levels(&m->dev, arg); }

static int count_job(struct mount *m, void *arg)
{
	mcp2210_report req, resp;
	int ret;

	proto_encode_get_gp6_count(req, false);
	ret = device_command(&m->dev, req, resp);
	return ret == 0 ? proto_decode_get_gp6_count(resp, arg) : ret;
}

/* One round: read what the watchers need, compare, wake. */
static void sample(struct fs *fs)
{
	bool want_levels = false, want_count = false, have_levels, have_count;
	uint16_t levels = 0, count = 0;

	pthread_mutex_lock(&fs->poll.lock);
	for (struct fs_file *f = fs->poll.watched; f; f = f->watch_next) {
		if (f->node->ops == &fs_gpio_value_ops)
			want_levels = true;
		else
			want_count = true;
	}
	pthread_mutex_unlock(&fs->poll.lock);

	have_levels = want_levels && mount_run(fs->mount, levels_job, &levels) == 0;
	have_count = want_count && mount_run(fs->mount, count_job, &count) == 0;

	pthread_mutex_lock(&fs->poll.lock);
	for (struct fs_file *f = fs->poll.watched; f; f = f->watch_next) {
		bool is_pin = f->node->ops == &fs_gpio_value_ops;
		unsigned now;

		if (is_pin ? !have_levels : !have_count)
			continue;
		now = is_pin ? (levels >> f->node->arg) & 1u : count;
		if (!f->baseline_valid) {
			f->baseline = now;
			f->baseline_valid = true;
			continue;
		}
		if (f->event || now == f->baseline)
			continue;
		if (!is_pin || edge_fires(atomic_load(&fs->mount->edge[f->node->arg]), f->baseline, now))
			wake(f);
		f->baseline = now;
	}
	pthread_mutex_unlock(&fs->poll.lock);
}

static void *poll_main(void *arg)
{
	struct fs *fs = arg;
	unsigned interval = fs->mount->opt.poll_interval_ms;

	pthread_mutex_lock(&fs->poll.lock);
	while (!fs->poll.stop) {
		struct timespec next;

		if (!fs->poll.watched) {
			pthread_cond_wait(&fs->poll.cond, &fs->poll.lock);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &next);
		next.tv_nsec += (long)(interval % 1000) * 1000000L;
		next.tv_sec += interval / 1000 + next.tv_nsec / 1000000000L;
		next.tv_nsec %= 1000000000L;
		pthread_mutex_unlock(&fs->poll.lock);
		sample(fs);
		pthread_mutex_lock(&fs->poll.lock);
		while (!fs->poll.stop && pthread_cond_timedwait(&fs->poll.cond, &fs->poll.lock, &next) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&fs->poll.lock);
	return NULL;
}

int fs_poll_start(struct fs *fs)
{
	pthread_condattr_t attr;
	int ret;

	pthread_mutex_init(&fs->poll.lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&fs->poll.cond, &attr);
	pthread_condattr_destroy(&attr);
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
	unsigned revents;

	pthread_mutex_lock(&fs->poll.lock);
	if (!f->watched) {
		f->watched = true;
		f->watch_next = fs->poll.watched;
		fs->poll.watched = f;
		pthread_cond_broadcast(&fs->poll.cond);
	}
	if (ph) {
		if (f->ph)
			fuse_pollhandle_destroy(f->ph);
		f->ph = ph;
	}
	/* sysfs reports a change as POLLPRI|POLLERR; POLLIN too so plain poll(POLLIN) users wake */
	revents = f->event ? POLLPRI | POLLERR | POLLIN : 0;
	pthread_mutex_unlock(&fs->poll.lock);
	return revents;
}

void fs_poll_rearm(struct fs *fs, struct fs_file *f, unsigned value)
{
	pthread_mutex_lock(&fs->poll.lock);
	f->event = false;
	f->baseline = value;
	f->baseline_valid = true;
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
