/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The FUSE session loop as the command line asked for it (-s, clone_fd, max_threads,
 * max_idle_threads). Shared with the benchmark's minimal file system, so that the two are
 * measured with the very same loop.
 */
#ifndef MCP2210FS_FUSE_SERVE_H
#define MCP2210FS_FUSE_SERVE_H

#include <fuse_lowlevel.h>

/* Runs the loop until the session ends; 0 or a negative errno (libfuse's result). */
int fuse_serve(struct fuse_session *se, const struct fuse_cmdline_opts *cmd);

#endif
