/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libfuse low-level operations over the node table: lookup, attributes, directory listing,
 * open/read/write/flush/release; text attributes in fs_text.c. Every operation replies exactly
 * once. Files are opened direct_io: nothing is cached by the kernel, and a write(2) from one
 * buffer of up to max_write bytes arrives as one request (see fs_init for what the kernel
 * splits).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fuse_lowlevel.h>

#include "fs.h"
#include "util/log.h"

static struct fs *fs_of(fuse_req_t req) { return fuse_req_userdata(req); }

static const struct fs_node *node_of(struct fs *fs, fuse_ino_t ino)
{
	return ino >= 1 && ino <= fs->tree.count ? &fs->tree.nodes[ino - 1] : NULL;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct timespec to_timespec(int64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / 1000000000), .tv_nsec = (long)(ns % 1000000000) };
}

static int64_t from_timespec(const struct timespec *ts) { return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec; }

static void fill_times(const struct fs *fs, const struct fs_node *n, struct stat *st)
{
	const struct fs_times *t = &fs->times[n - fs->tree.nodes];
	int64_t base = atomic_load(&fs->mount_ns), a = atomic_load(&t->atime), m = atomic_load(&t->mtime),
		c = atomic_load(&t->ctime);

	st->st_atim = to_timespec(a ? a : base);
	st->st_mtim = to_timespec(m ? m : base);
	st->st_ctim = to_timespec(c ? c : base);
}

void fs_touch_written(struct fs *fs, const struct fs_node *n)
{
	struct fs_times *t = &fs->times[n - fs->tree.nodes];
	int64_t now = now_ns();

	atomic_store(&t->mtime, now);
	atomic_store(&t->ctime, now);
}

static void fill_stat(const struct fs *fs, const struct fs_node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = (ino_t)(n - fs->tree.nodes) + 1;
	st->st_mode = n->mode;
	st->st_nlink = S_ISDIR(n->mode) ? 2 : 1;
	st->st_uid = getuid();
	st->st_gid = getgid();
	/* -o gid=GROUP: a hardware group may use the device as the owner does */
	if (fs->mount->opt.gid >= 0) {
		st->st_gid = (gid_t)fs->mount->opt.gid;
		if (n->mode & S_IWUSR)
			st->st_mode |= S_IWGRP;
	}
	st->st_size = n->ops ? n->ops->size : 0;
	st->st_blksize = 4096;
	fill_times(fs, n, st);
}

static void fs_init(void *userdata, struct fuse_conn_info *conn)
{
	atomic_store(&((struct fs *)userdata)->mount_ns, now_ns());
	/* A 65535-byte SPI frame must reach us as one write. */
	if (conn->max_write < 65536)
		conn->max_write = 65536;
	conn->want &= ~(unsigned)FUSE_CAP_ASYNC_READ;
}

static void fs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fs *fs = fs_of(req);
	struct fuse_entry_param e = { 0 };
	int idx = fs_tree_lookup(&fs->tree, (unsigned)(parent - 1), name);

	if (idx < 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	e.ino = (fuse_ino_t)idx + 1;
	e.attr_timeout = 3600;
	e.entry_timeout = 3600;
	fill_stat(fs, &fs->tree.nodes[idx], &e.attr);
	fuse_reply_entry(req, &e);
}

static void fs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	const struct fs_node *n = node_of(fs, ino);
	struct stat st;

	(void)fi;
	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_stat(fs, n, &st);
	fuse_reply_attr(req, &st, 3600);
}

/* Truncation comes with `echo x > file` (O_TRUNC): nothing to truncate, accept it. Times are
 * set as sysfs lets its owner set them (touch, utimensat; the kernel checks who may, with
 * default_permissions) and kept for the mount's life. Mode and owner changes are refused. */
static void fs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	const struct fs_node *n = node_of(fs, ino);
	struct fs_times *t;
	struct stat st;
	int64_t now = now_ns();

	(void)fi;
	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (to_set & ~(FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW |
		       FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	t = &fs->times[n - fs->tree.nodes];
	if (to_set & FUSE_SET_ATTR_ATIME)
		atomic_store(&t->atime, (to_set & FUSE_SET_ATTR_ATIME_NOW) ? now : from_timespec(&attr->st_atim));
	if (to_set & FUSE_SET_ATTR_MTIME)
		atomic_store(&t->mtime, (to_set & FUSE_SET_ATTR_MTIME_NOW) ? now : from_timespec(&attr->st_mtim));
	if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME))
		atomic_store(&t->ctime, now);
	fill_stat(fs, n, &st);
	fuse_reply_attr(req, &st, 3600);
}

/* The tree is fixed. What sysfs answers its owner (root; the kernel answers everyone else
 * EACCES from the directory's mode, here as there): creating a file EACCES (the VFS's answer
 * for a directory without a create operation), every other change of a name EPERM. */
static void fs_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, struct fuse_file_info *fi)
{
	(void)parent, (void)name, (void)mode, (void)fi;
	fuse_reply_err(req, EACCES);
}

static void fs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	(void)parent, (void)name, (void)mode, (void)rdev;
	fuse_reply_err(req, EPERM);
}

static void fs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	(void)parent, (void)name, (void)mode;
	fuse_reply_err(req, EPERM);
}

static void fs_remove(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent, (void)name;
	fuse_reply_err(req, EPERM);
}

static void fs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	(void)link, (void)parent, (void)name;
	fuse_reply_err(req, EPERM);
}

static void fs_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent, const char *newname,
		      unsigned int flags)
{
	(void)parent, (void)name, (void)newparent, (void)newname, (void)flags;
	fuse_reply_err(req, EPERM);
}

static void fs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	(void)ino, (void)newparent, (void)newname;
	fuse_reply_err(req, EPERM);
}

static void fs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	const struct fs_node *dir = node_of(fs, ino);
	char *buf;
	size_t used = 0;

	(void)fi;
	if (!dir || !S_ISDIR(dir->mode)) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	buf = malloc(size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* Offsets: 1 ".", 2 "..", then 3 + node index. */
	for (off_t i = off; i < (off_t)fs->tree.count + 3; i++) {
		const struct fs_node *n;
		const char *name;
		struct stat st;
		size_t len;

		if (i == 0 || i == 1) {
			n = i == 0 ? dir : &fs->tree.nodes[dir->parent];
			name = i == 0 ? "." : "..";
		} else if (i == 2) {
			continue;
		} else {
			n = &fs->tree.nodes[i - 3];
			if (i - 3 == 0 || n->parent != (unsigned)(dir - fs->tree.nodes))
				continue;
			name = n->name;
		}
		fill_stat(fs, n, &st);
		len = fuse_add_direntry(req, buf + used, size - used, name, &st, i + 1);
		if (len > size - used)
			break;
		used += len;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void link_open(struct fs *fs, struct fs_file *f)
{
	pthread_mutex_lock(&fs->open_lock);
	f->open_prev = NULL;
	f->open_next = fs->open_files;
	if (fs->open_files)
		fs->open_files->open_prev = f;
	fs->open_files = f;
	pthread_mutex_unlock(&fs->open_lock);
}

static void free_file(struct fs *fs, struct fs_file *f)
{
	pthread_mutex_lock(&fs->open_lock);
	if (f->open_prev)
		f->open_prev->open_next = f->open_next;
	else
		fs->open_files = f->open_next;
	if (f->open_next)
		f->open_next->open_prev = f->open_prev;
	pthread_mutex_unlock(&fs->open_lock);
	fs_poll_release(fs, f);
	fs_text_release(f);
	fs_spi_xfer_release(fs->mount, f);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static void fs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs *fs = fs_of(req);
	const struct fs_node *n = node_of(fs, ino);
	struct fs_file *f;
	int acc = fi->flags & O_ACCMODE;

	if (!n || S_ISDIR(n->mode)) {
		fuse_reply_err(req, n ? EISDIR : ENOENT);
		return;
	}
	/* The tree's modes are the policy even for root (nvram read-only without -o nvram=rw). */
	if ((acc != O_RDONLY && !(n->mode & 0222)) || (acc != O_WRONLY && !(n->mode & 0444))) {
		fuse_reply_err(req, acc != O_RDONLY && n->erofs ? EROFS : EACCES);
		return;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	f->node = n;
	link_open(fs, f);
	f->readable = acc != O_WRONLY;
	f->writable = acc != O_RDONLY;
	pthread_mutex_init(&f->lock, NULL);
	fi->fh = (uintptr_t)f;
	fi->direct_io = 1;
	fi->nonseekable = 0;
	if (fuse_reply_open(req, fi) == -ENOENT) /* the caller went away: nobody will release it */
		free_file(fs, f);
}

static void fs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs_file *f = (struct fs_file *)(uintptr_t)fi->fh;

	(void)ino;
	if (f)
		free_file(fs_of(req), f);
	fuse_reply_err(req, 0);
}

void fs_close_all(struct fs *fs)
{
	while (fs->open_files)
		free_file(fs, fs->open_files);
}

static void fs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fs_file *f = (struct fs_file *)(uintptr_t)fi->fh;
	const struct fs_node_ops *ops = f->node->ops;

	(void)ino;
	if (!ops->read && !ops->show && !ops->value) {
		fuse_reply_err(req, EACCES);
		return;
	}
	/* Only read(2) comes with a lock owner; the page cache's reads (splice, sendfile, mmap)
	 * come without, and a stream's bytes have no place in it: an error, not a silent 0. */
	if (ops->stream && fi->lock_owner == 0) {
		log_warn("%s: splice, sendfile and mmap cannot read it (the kernel's page cache would): "
			 "use read(2)", f->node->name);
		fuse_reply_err(req, EINVAL);
		return;
	}
	fs_request(req, f, FS_REQ_READ, NULL, size, off);
}

static void fs_write(fuse_req_t req, fuse_ino_t ino, const char *data, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct fs_file *f = (struct fs_file *)(uintptr_t)fi->fh;
	const struct fs_node_ops *ops = f->node->ops;

	(void)ino;
	if (!ops->write && !ops->store) {
		fuse_reply_err(req, EACCES);
		return;
	}
	/* A stream's write(2) is one unit (an SPI transaction): if the kernel cut it into several
	 * requests (a writev(2) of more than 256 pages), refuse the first before anything is sent.
	 * A cut's first request holds FS_CUT_MIN pages or more of one byte or more: smaller ones
	 * are whole. */
	if (ops->stream && size >= FS_CUT_MIN) {
		size_t total = fs_caller_write_total(fuse_req_ctx(req)->pid, size);

		if (total > size) {
			log_warn("%s: the kernel cut a write of %zu bytes into requests of %zu: refused (a writev of "
				 "fewer pieces, or one buffer, arrives whole)", f->node->name, total, size);
			fuse_reply_err(req, total > MCP2210_SPI_TRANSACTION_MAX ? EFBIG : EMSGSIZE);
			return;
		}
	}
	fs_request(req, f, FS_REQ_WRITE, data, size, off);
}

/* close(2) of any descriptor, dups included: fs_text_flush() says what a text file owes. */
static void fs_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fs_file *f = (struct fs_file *)(uintptr_t)fi->fh;

	(void)ino;
	if (!f->node->ops->store || !f->writable) { /* nothing written, nothing owed */
		fuse_reply_err(req, 0);
		return;
	}
	fs_request(req, f, FS_REQ_FLUSH, NULL, 0, 0);
}

static void fs_poll(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi, struct fuse_pollhandle *ph)
{
	struct fs_file *f = (struct fs_file *)(uintptr_t)fi->fh;
	unsigned events;

	(void)ino;
	if (!fs_poll_node(f->node)) {
		if (ph)
			fuse_pollhandle_destroy(ph);
		fuse_reply_poll(req, POLLIN | POLLOUT);
		return;
	}
	events = fs_poll_watch(fs_of(req), f, ph);
	if (events || ph) {
		fuse_reply_poll(req, events);
		return;
	}
	fs_request(req, f, FS_REQ_POLL, NULL, 0, 0); /* a poll that does not wait: look now */
}

const struct fuse_lowlevel_ops fs_lowlevel_ops = {
	.poll = fs_poll,
	.init = fs_init,
	.lookup = fs_lookup,
	.getattr = fs_getattr,
	.setattr = fs_setattr,
	.create = fs_create,
	.mknod = fs_mknod,
	.mkdir = fs_mkdir,
	.unlink = fs_remove,
	.rmdir = fs_remove,
	.symlink = fs_symlink,
	.rename = fs_rename,
	.link = fs_link,
	.readdir = fs_readdir,
	.open = fs_open,
	.release = fs_release,
	.read = fs_read,
	.write = fs_write,
	.flush = fs_flush,
};
