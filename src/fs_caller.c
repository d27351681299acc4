/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How many bytes the write(2) a FUSE request came from really carries. The kernel's FUSE
 * client cuts a direct-I/O write into requests of at most max_pages memory pages, each piece
 * of a writev(2) taking a page of its own, and the pieces arrive as ordinary consecutive
 * WRITE requests. The caller waits in its system call until the first is answered, so its
 * arguments can be read from /proc/TID/syscall and its iovec array from its memory.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "fs.h"

#define IOV_READ_MAX 1024 /* IOV_MAX on Linux */

/* The number and first three arguments of the system call thread tid is blocked in. */
static int caller_syscall(pid_t tid, long *nr, unsigned long args[3])
{
	char path[48];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%ld/syscall", (long)tid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	n = fscanf(f, "%ld 0x%lx 0x%lx 0x%lx", nr, &args[0], &args[1], &args[2]);
	fclose(f);
	return n == 4 ? 0 : -EINVAL;
}

/* The bytes of the caller's iovec array at addr, count entries. */
static int caller_iov_total(pid_t tid, unsigned long addr, unsigned long count, size_t *total)
{
	static _Thread_local struct iovec iov[IOV_READ_MAX];
	struct iovec local = { iov, count * sizeof(iov[0]) };
	struct iovec remote = { (void *)addr, count * sizeof(iov[0]) };

	if (count == 0 || count > IOV_READ_MAX)
		return -EINVAL;
	if (process_vm_readv(tid, &local, 1, &remote, 1, 0) != (ssize_t)local.iov_len)
		return -errno;
	*total = 0;
	for (unsigned long i = 0; i < count; i++)
		*total += iov[i].iov_len;
	return 0;
}

size_t fs_caller_write_total(pid_t tid, size_t size)
{
	unsigned long args[3] = { 0, 0, 0 };
	size_t total = size;
	long nr = -1;

	if (tid <= 0 || caller_syscall(tid, &nr, args) < 0)
		return size;
	if (nr == SYS_write || nr == SYS_pwrite64)
		return args[2];
	if (nr == SYS_writev || nr == SYS_pwritev
#ifdef SYS_pwritev2
	    || nr == SYS_pwritev2
#endif
	) {
		if (caller_iov_total(tid, args[1], args[2], &total) < 0)
			return size;
	}
	return total;
}
