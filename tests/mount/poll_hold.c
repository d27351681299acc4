/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * poll_hold PATH MODE TIMEOUT_MS: waits for a change of PATH the way programs do, then keeps
 * PATH open, so a test can see what the file system does for a file nobody polls any more.
 * Opens PATH and reads it (arming, as sysfs requires), then by MODE:
 *   poll        poll() once; read PATH again from offset 0; hold
 *   poll-noread poll() once; hold (no read)
 *   epollet     epoll with EPOLLET: wait; read again; wait again (a second change); hold
 * Prints one line per step, flushed at once: "armed" just before each wait, then "woke" or
 * "timeout" after it, "read V" after each re-read, "holding" when it holds PATH open; it
 * holds until its standard input reaches end of file, then prints "done" and exits 0.
 * A failed call prints the errno's name and exits 1.
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
#include <sys/epoll.h>
#include <unistd.h>

static int fail(const char *what)
{
	int err = errno;

	printf("%s\n", strerrorname_np(err));
	fprintf(stderr, "poll_hold: %s: %s\n", what, strerrorname_np(err));
	return 1;
}

/* Read the value from offset 0 (re-arming); prints "read V" unless quiet. */
static int reread(int fd, int quiet)
{
	char buf[64];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (!quiet)
		printf("read %s\n", buf);
	return 0;
}

static int wait_poll(int fd, int timeout)
{
	struct pollfd pfd = { .fd = fd, .events = POLLPRI | POLLERR };
	int n;

	printf("armed\n");
	n = poll(&pfd, 1, timeout);
	if (n >= 0)
		printf("%s\n", n ? "woke" : "timeout");
	return n;
}

static int wait_epoll(int ep, int timeout)
{
	struct epoll_event ev;
	int n;

	printf("armed\n");
	n = epoll_wait(ep, &ev, 1, timeout);
	if (n >= 0)
		printf("%s\n", n ? "woke" : "timeout");
	return n;
}

static int epollet(int fd, int timeout)
{
	struct epoll_event ev = { .events = EPOLLPRI | EPOLLERR | EPOLLET };
	int ep = epoll_create1(0);

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	if (wait_epoll(ep, timeout) < 0 || reread(fd, 0) < 0 || wait_epoll(ep, timeout) < 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	char *end;
	long timeout;
	int fd, ret;
	char c;

	if (argc != 4) {
		fprintf(stderr, "usage: poll_hold PATH poll|poll-noread|epollet TIMEOUT_MS\n");
		return 2;
	}
	timeout = strtol(argv[3], &end, 10);
	if (end == argv[3] || *end || timeout < 0 || timeout > 600000) {
		fprintf(stderr, "poll_hold: bad TIMEOUT_MS\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = open(argv[1], O_RDONLY);
	if (fd < 0)
		return fail("open");
	if (reread(fd, 1) < 0)
		return fail("read");
	if (!strcmp(argv[2], "poll") || !strcmp(argv[2], "poll-noread")) {
		ret = wait_poll(fd, (int)timeout);
		if (ret >= 0 && !strcmp(argv[2], "poll"))
			ret = reread(fd, 0);
	} else if (!strcmp(argv[2], "epollet")) {
		ret = epollet(fd, (int)timeout);
	} else {
		fprintf(stderr, "poll_hold: unknown mode %s\n", argv[2]);
		return 2;
	}
	if (ret < 0)
		return fail(argv[2]);
	printf("holding\n");
	while (read(STDIN_FILENO, &c, 1) > 0)
		;
	close(fd);
	printf("done\n");
	return 0;
}
