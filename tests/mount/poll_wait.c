/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * poll_wait PATH TIMEOUT_MS [READY_FILE]: the sysfs way of waiting for a change. Opens PATH,
 * reads it once (arming, as sysfs requires), registers with poll() once without waiting, then
 * (if READY_FILE is given) creates READY_FILE containing "armed" so a test knows the waiter is
 * in place, and poll()s for POLLPRI|POLLIN|POLLERR with TIMEOUT_MS.
 * Prints "woke" and exits 0 when poll() reported an event, "timeout" and exits 1 when not;
 * "spurious" (exit 1) when poll() reported an event before anything could have changed;
 * the errno name (exit 1) when a call failed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail(const char *what, int err)
{
	printf("%s\n", strerrorname_np(err));
	fprintf(stderr, "poll_wait: %s: %s\n", what, strerrorname_np(err));
	return 1;
}

/* Writes "armed" to a temporary name and renames it, so a reader never sees half a file. */
static int signal_ready(const char *path)
{
	size_t n = strlen(path) + 8;
	char *tmp = malloc(n);
	int fd, ret = 0;

	if (!tmp)
		return -ENOMEM;
	snprintf(tmp, n, "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "armed\n", 6) != 6 || close(fd) < 0 || rename(tmp, path) < 0)
		ret = -errno;
	free(tmp);
	return ret;
}

int main(int argc, char **argv)
{
	char buf[4096];
	struct pollfd pfd;
	char *end;
	long timeout;
	int fd, n, ret;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: poll_wait PATH TIMEOUT_MS [READY_FILE]\n");
		return 2;
	}
	timeout = strtol(argv[2], &end, 10);
	if (end == argv[2] || *end || timeout < 0 || timeout > 600000) {
		fprintf(stderr, "poll_wait: bad TIMEOUT_MS\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0)
		return fail("open", errno);
	if (read(fd, buf, sizeof(buf)) < 0)
		return fail("read", errno);

	pfd = (struct pollfd){ .fd = fd, .events = POLLPRI | POLLIN | POLLERR };
	/* Register before announcing readiness: an event after "armed" must wake the real wait.
	 * Nothing has changed since the read, so this must not report an event. */
	n = poll(&pfd, 1, 0);
	if (n < 0)
		return fail("poll", errno);
	if (n > 0) {
		printf("spurious\n");
		fprintf(stderr, "poll_wait: poll() reported revents 0x%x right after the read\n",
			(unsigned)pfd.revents);
		return 1;
	}
	if (argc == 4) {
		ret = signal_ready(argv[3]);
		if (ret < 0)
			return fail("ready file", -ret);
	}
	n = poll(&pfd, 1, (int)timeout);
	if (n < 0)
		return fail("poll", errno);
	close(fd);
	if (n == 0) {
		printf("timeout\n");
		return 1;
	}
	printf("woke\n");
	fprintf(stderr, "poll_wait: revents 0x%x\n", (unsigned)pfd.revents);
	return 0;
}
