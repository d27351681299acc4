/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * read_intr PATH [SIZE]: a caller blocked in a long spi/xfer write must get EINTR promptly when
 * a signal arrives (the daemon aborts the transaction on the FUSE interrupt). Opens PATH
 * O_RDWR, arms SIGALRM (handler installed WITHOUT SA_RESTART) for 200 ms, writes SIZE bytes
 * (default 65535) in one write(2); prints the outcome ("EINTR", "OK", ...) and the elapsed time
 * as "result=NAME elapsed_ms=N". Exit 0 only when the write failed with EINTR within 1000 ms.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "util/clock.h"

#define ALARM_MS 200
#define LIMIT_MS 1000

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct itimerval it = { .it_value = { .tv_sec = 0, .tv_usec = ALARM_MS * 1000 } };
	unsigned long size = 65535;
	const char *result;
	long long t0, elapsed;
	uint8_t *buf;
	ssize_t w;
	int fd, err;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: read_intr PATH [SIZE]\n");
		return 2;
	}
	if (argc == 3) {
		char *end;

		size = strtoul(argv[2], &end, 0);
		if (end == argv[2] || *end || size == 0 || size > 65535) {
			fprintf(stderr, "read_intr: bad SIZE\n");
			return 2;
		}
	}
	buf = malloc(size);
	if (!buf)
		return 2;
	for (unsigned long i = 0; i < size; i++)
		buf[i] = (uint8_t)(i * 13 + 1);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: the interrupted write must come back with EINTR */
	if (sigaction(SIGALRM, &sa, NULL) < 0) {
		perror("sigaction");
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		printf("result=%s elapsed_ms=0 (open)\n", strerrorname_np(errno));
		return 1;
	}
	t0 = (long long)mono_now_ms();
	if (setitimer(ITIMER_REAL, &it, NULL) < 0) {
		perror("setitimer");
		return 2;
	}
	w = write(fd, buf, size);
	err = errno;
	elapsed = (long long)mono_now_ms() - t0;
	close(fd);
	free(buf);
	if (w < 0)
		result = strerrorname_np(err);
	else if ((unsigned long)w == size)
		result = "OK";
	else
		result = "SHORT";
	printf("result=%s elapsed_ms=%lld alarms=%d\n", result, elapsed, (int)alarms);
	return w < 0 && err == EINTR && elapsed < LIMIT_MS ? 0 : 1;
}
