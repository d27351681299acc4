/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * errno -> its symbolic name ("EINVAL"), so the mounted tests compare error names exactly
 * instead of locale-dependent strerror() text. Shared by the helpers in tests/mount/.
 */
#ifndef MCP2210FS_TESTS_MOUNT_ERRNAME_H
#define MCP2210FS_TESTS_MOUNT_ERRNAME_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

static inline const char *errname(int e)
{
#if defined(__GLIBC__) && defined(__GLIBC_MINOR__) && \
	(__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
	const char *name = strerrorname_np(e);

	if (name)
		return name;
#else
	/* The errors the daemon's interface documents, and a few a broken mount gives. */
	static const struct {
		int err;
		const char *name;
	} table[] = {
		{ EPERM, "EPERM" },   { ENOENT, "ENOENT" },   { EINTR, "EINTR" },
		{ EIO, "EIO" },       { ENXIO, "ENXIO" },     { EBADF, "EBADF" },
		{ EAGAIN, "EAGAIN" }, { ENOMEM, "ENOMEM" },   { EACCES, "EACCES" },
		{ EFAULT, "EFAULT" }, { EBUSY, "EBUSY" },     { EEXIST, "EEXIST" },
		{ ENODEV, "ENODEV" }, { ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" },
		{ EINVAL, "EINVAL" }, { EFBIG, "EFBIG" },     { ENOSPC, "ENOSPC" },
		{ ESPIPE, "ESPIPE" }, { EROFS, "EROFS" },     { ERANGE, "ERANGE" },
		{ ENOSYS, "ENOSYS" }, { ENOTCONN, "ENOTCONN" }, { ETIMEDOUT, "ETIMEDOUT" },
		{ EOPNOTSUPP, "EOPNOTSUPP" }, { ECONNABORTED, "ECONNABORTED" },
	};

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].err == e)
			return table[i].name;
#endif
	{
		static char buf[32];

		snprintf(buf, sizeof(buf), "E#%d", e);
		return buf;
	}
}

#endif
