/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Command-line and -o options of mcp2210fs (also usable from fstab), --help and --version.
 */
#ifndef MCP2210FS_OPTIONS_H
#define MCP2210FS_OPTIONS_H

#include "mount.h"

struct fuse_args;

/* Fills opt with defaults, then parses ours out of args (libfuse's stay in args).
 * 0, or -EINVAL after printing what is wrong. */
int options_parse(struct fuse_args *args, struct mount_options *opt);
void options_free(struct mount_options *opt);
void options_show_help(const char *progname);
void options_show_version(void);
/* Read the 8-character password from opt->password_file. 0 or -errno (message logged). */
int options_read_password(const struct mount_options *opt, char password[MCP2210_PASSWORD_LEN]);

#endif
