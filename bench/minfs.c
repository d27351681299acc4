/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mcp2210fs-minfs: the smallest libfuse low-level file system that serves what the benchmark
 * reads from mcp2210fs (one file, "value", holding "0\n", opened direct_io), with mcp2210fs's
 * libfuse options and multi-threaded loop, so the benchmark can tell FUSE's cost from the daemon's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fuse_lowlevel.h>

#include "cli_fuse_serve.h"

#define VALUE_INO 2

static const char value[] = "0\n";

static int fill_stat(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_blksize = 4096;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else if (ino == VALUE_INO) {
		st->st_mode = S_IFREG | 0644;
		st->st_nlink = 1;
		st->st_size = sizeof(value) - 1;
	} else {
		return -ENOENT;
	}
	return 0;
}

/* As mcp2210fs's init: 64 KiB writes, reads not sent asynchronously. */
static void minfs_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	if (conn->max_write < 65536)
		conn->max_write = 65536;
	conn->want &= ~(unsigned)FUSE_CAP_ASYNC_READ;
}

static void minfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e = { .ino = VALUE_INO, .attr_timeout = 3600, .entry_timeout = 3600 };

	if (parent != FUSE_ROOT_ID || strcmp(name, "value") != 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_stat(e.ino, &e.attr);
	fuse_reply_entry(req, &e);
}

static void minfs_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (fill_stat(ino, &st) < 0)
		fuse_reply_err(req, ENOENT);
	else
		fuse_reply_attr(req, &st, 3600);
}

static void minfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != VALUE_INO) {
		fuse_reply_err(req, ino == FUSE_ROOT_ID ? EISDIR : ENOENT);
		return;
	}
	fi->direct_io = 1;
	fuse_reply_open(req, fi);
}

static void minfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	size_t len = sizeof(value) - 1;

	(void)ino;
	(void)fi;
	if ((size_t)off >= len)
		fuse_reply_buf(req, NULL, 0);
	else
		fuse_reply_buf(req, value + off, size < len - (size_t)off ? size : len - (size_t)off);
}

static const struct fuse_lowlevel_ops minfs_ops = {
	.init = minfs_init,
	.lookup = minfs_lookup,
	.getattr = minfs_getattr,
	.open = minfs_open,
	.read = minfs_read,
};

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts cmd = { 0 };
	struct fuse_session *se;
	int ret = 1;

	if (fuse_parse_cmdline(&args, &cmd) != 0 || !cmd.mountpoint) {
		fprintf(stderr, "usage: %s [-f] [-o option...] MOUNTPOINT\n", argv[0]);
		goto out_args;
	}
	if (fuse_opt_add_arg(&args, "-odefault_permissions") != 0 || fuse_opt_add_arg(&args, "-ofsname=minfs") != 0 ||
	    fuse_opt_add_arg(&args, "-osubtype=minfs") != 0)
		goto out_args;
	se = fuse_session_new(&args, &minfs_ops, sizeof(minfs_ops), NULL);
	if (!se)
		goto out_args;
	if (fuse_set_signal_handlers(se) != 0)
		goto out_session;
	if (fuse_session_mount(se, cmd.mountpoint) != 0)
		goto out_signals;
	if (fuse_daemonize(cmd.foreground) == 0)
		ret = fuse_serve(se, &cmd) >= 0 ? 0 : 1;
	fuse_session_unmount(se);
out_signals:
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
out_args:
	free(cmd.mountpoint);
	fuse_opt_free_args(&args);
	return ret;
}
