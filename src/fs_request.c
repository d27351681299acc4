/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * read, write, flush and poll requests on files (see fs.h): each becomes a job, and its reply
 * is sent when the job ends, by the thread that ends it. Requests on files that need the
 * device run on the worker thread; a FUSE thread only checks the request, queues it and goes
 * back to reading the next one, so it never waits for the chip, and a FUSE INTERRUPT is always
 * read: a queued request is withdrawn and answered EINTR at once, a running one is asked to
 * stop (mount_cancel). Files that never use the device (fs_node_ops.local) are served at once
 * on the FUSE thread, through the same code.
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <fuse_lowlevel.h>

#include "fs.h"
#include "util/log.h"

struct fs_request {
	struct worker_job job; /* first: the job is the request */
	fuse_req_t req;
	struct fs *fs;
	struct fs_file *f;
	enum fs_request_op op;
	size_t size; /* read: bytes asked; write: bytes given */
	off_t off;
	char *buf; /* read: room for the answer; write: a copy of the data */
	ssize_t ret; /* read/write: bytes; poll: events */
};

/* Buffers of a whole transaction's size, kept for the next request: a write's data must be
 * copied (libfuse reuses its buffer once the operation returns), and a fresh 64 KiB
 * allocation per transaction costs page faults each time (and grows a sanitizer build's
 * quarantine). Smaller buffers come from malloc. */
#define BIG_BUF MCP2210_SPI_TRANSACTION_MAX
#define BIG_BUFS_KEPT 8
static _Atomic(char *) big_bufs[BIG_BUFS_KEPT]; /* each slot empty (NULL) or a kept buffer */

static char *buf_get(size_t size)
{
	if (size <= 4096 || size > BIG_BUF)
		return malloc(size ? size : 1);
	for (unsigned i = 0; i < BIG_BUFS_KEPT; i++) {
		char *buf = atomic_exchange(&big_bufs[i], NULL);

		if (buf)
			return buf;
	}
	return malloc(BIG_BUF);
}

static void buf_put(char *buf, size_t size)
{
	for (unsigned i = 0; buf && size > 4096 && size <= BIG_BUF && i < BIG_BUFS_KEPT; i++) {
		char *empty = NULL;

		if (atomic_compare_exchange_strong(&big_bufs[i], &empty, buf))
			return;
	}
	free(buf);
}

void fs_request_cleanup(void)
{
	for (unsigned i = 0; i < BIG_BUFS_KEPT; i++)
		free(atomic_exchange(&big_bufs[i], NULL));
}

/* Set on a thread while it runs our interrupt callback: libfuse holds the request's lock. */
static _Thread_local bool in_interrupt;

static void on_interrupt(fuse_req_t req, void *data)
{
	struct fs_request *r = data;

	(void)req;
	in_interrupt = true;
	mount_cancel(r->fs->mount, &r->job);
	in_interrupt = false;
}

static void reply(const struct fs_request *r, int result)
{
	if (result < 0) {
		fuse_reply_err(r->req, -result);
		return;
	}
	switch (r->op) {
	case FS_REQ_READ:
		fuse_reply_buf(r->req, r->buf, (size_t)r->ret);
		break;
	case FS_REQ_WRITE:
		fuse_reply_write(r->req, (size_t)r->ret);
		break;
	case FS_REQ_FLUSH:
		fuse_reply_err(r->req, 0);
		break;
	case FS_REQ_POLL:
		fuse_reply_poll(r->req, (unsigned)r->ret);
		break;
	}
}

static void request_done(struct worker_job *job)
{
	struct fs_request *r = (struct fs_request *)job;

	/* An interrupt callback may be using r on another thread: this waits for it to return
	 * (libfuse runs it under the request's lock). Inside the callback itself it would wait
	 * for its own thread. */
	if (!in_interrupt)
		fuse_req_interrupt_func(r->req, NULL, NULL);
	reply(r, job->result);
	if (r->op == FS_REQ_WRITE && r->buf)
		explicit_bzero(r->buf, r->size); /* it may be the NVRAM password (nvram/unlock) */
	buf_put(r->buf, r->size);
	free(r);
}

/* The request itself, with the device (on the worker) or without (local files); under the
 * file's lock. */
static ssize_t serve_locked(struct fs_request *r)
{
	struct mount *m = r->fs->mount;
	struct fs_file *f = r->f;
	const struct fs_node_ops *ops = f->node->ops;
	ssize_t ret = 0;

	switch (r->op) {
	case FS_REQ_READ:
		ret = ops->read ? ops->read(m, f, r->buf, r->size, r->off) : fs_text_read(m, f, r->buf, r->size, r->off);
		if (ret >= 0 && r->off == 0 && fs_poll_node(f->node))
			fs_poll_rearm(r->fs, f, f->shown);
		break;
	case FS_REQ_WRITE:
		ret = ops->write ? ops->write(m, f, r->buf, r->size, r->off) : fs_text_write(m, f, r->buf, r->size);
		if (ret > 0)
			fs_touch_written(r->fs, f->node);
		break;
	case FS_REQ_FLUSH:
		ret = fs_text_flush(m, f);
		break;
	case FS_REQ_POLL:
		ret = fs_poll_sample_now(r->fs, f);
		break;
	}
	return ret;
}

static ssize_t serve(struct fs_request *r)
{
	struct fs_file *f = r->f;
	ssize_t ret;

	pthread_mutex_lock(&f->lock);
	ret = serve_locked(r);
	pthread_mutex_unlock(&f->lock);
	return ret;
}

/* Under the file's lock: can this request of a file that uses the device be served without
 * it? The received bytes of spi/xfer are the open file's own, and a close owes the chip
 * something only when lines wait to be applied (fs_text_flush). */
static bool needs_no_device(const struct fs_request *r)
{
	const struct fs_node_ops *ops = r->f->node->ops;

	switch (r->op) {
	case FS_REQ_READ:
		return ops->stream;
	case FS_REQ_FLUSH:
		return !ops->multiline || r->f->pending_len == 0;
	default:
		return false;
	}
}

/* Served on the FUSE thread (a local file, or a request that needs no device): reply now.
 * The file's lock is free again: after the reply the file may be released at any moment. */
static void answer_here(struct fs_request *r)
{
	r->job.result = r->ret < 0 ? (int)r->ret : 0;
	request_done(&r->job);
}

/* Serve r on this FUSE thread if it needs no device, without waiting for the file's lock (a
 * job of this file may hold it for a whole transaction). True when r was answered. */
static bool served_here(struct fs_request *r)
{
	struct fs_file *f = r->f;
	bool here;

	if (pthread_mutex_trylock(&f->lock) != 0)
		return false;
	here = needs_no_device(r);
	if (here) {
		mount_serving_fuse(true);
		r->ret = serve_locked(r);
		mount_serving_fuse(false);
	}
	pthread_mutex_unlock(&f->lock);
	if (here)
		answer_here(r);
	return here;
}

static int request_run(void *ctx, struct worker_job *job)
{
	struct fs_request *r = (struct fs_request *)job;

	(void)ctx;
	r->ret = serve(r);
	return r->ret < 0 ? (int)r->ret : 0;
}

void fs_request(fuse_req_t req, struct fs_file *f, enum fs_request_op op, const char *data, size_t size, off_t off)
{
	struct fs *fs = fuse_req_userdata(req);
	const struct fs_node_ops *ops = f->node->ops;
	/* a read gets no more than the file can hold (the kernel asks for pages) */
	size_t room = op == FS_REQ_READ && ops->size > 0 && size > (size_t)ops->size ? (size_t)ops->size : size;
	bool has_data = op == FS_REQ_READ || op == FS_REQ_WRITE;
	struct fs_request *r = malloc(sizeof(*r));
	char *buf = has_data ? buf_get(room) : NULL;
	int ret;

	if (!r || (has_data && !buf)) {
		buf_put(buf, room);
		free(r);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	*r = (struct fs_request){
		.job = { .run = request_run, .done = request_done },
		.req = req, .fs = fs, .f = f, .op = op, .size = room, .off = off, .buf = buf,
	};
	if (op == FS_REQ_WRITE)
		memcpy(r->buf, data, size);
	if (ops->local) {
		mount_serving_fuse(true);
		request_run(fs->mount, &r->job);
		mount_serving_fuse(false);
		answer_here(r);
		return;
	}
	if (served_here(r))
		return;
	/* Reads (at offset 0: the value itself) of the same kind queued together share one
	 * exchange; reads change nothing, so they may run in a long transaction's idle time. */
	if (op == FS_REQ_POLL || (op == FS_REQ_READ && !ops->stream)) {
		r->job.idle_safe = true;
		r->job.coalesce_key = op == FS_REQ_READ && off == 0 ? (uintptr_t)ops : 0;
	}
	fuse_req_interrupt_func(req, on_interrupt, r);
	ret = mount_queue(fs->mount, &r->job);
	if (ret < 0) {
		r->job.result = ret;
		request_done(&r->job);
	}
}
