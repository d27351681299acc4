/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The checks on a mount point that FUSE itself does not make.
 */
#ifndef MCP2210FS_MOUNTPOINT_H
#define MCP2210FS_MOUNTPOINT_H

/* 0 when mcp2210fs can be mounted on path (an absolute path, as libfuse resolved it); else
 * -errno with the reason logged: -ENOTDIR for anything but a directory (the file tree's root
 * is a directory: on a regular file every access would fail with EIO), -EBUSY when an
 * mcp2210fs is mounted there already (a second one would stack on it unnoticed), or the
 * errno of stat(2). */
int mountpoint_check(const char *path);

#endif
