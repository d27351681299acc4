/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * contend MNT READERS: a slow SPI transaction with everything else a user does meanwhile
 * (issue 12). The mount must already run spi/xfer slowly (e.g. 10 kbit/s: 65535 bytes take
 * 52 s). One thread writes 65535 bytes to MNT/spi/xfer; once it waits in that write(2),
 * READERS threads read gpio/N/value (N = i mod 9) at once while the main thread reads `stats`
 * 20 times in a row; then the writer gets a signal (handler without SA_RESTART, as Ctrl-C).
 * Prints one "ok:" or "FAIL:" line per check, and exits 0 when all hold:
 * - every `stats` read takes under 50 ms;
 * - every reader gets "0\n" or "1\n", or ETIMEDOUT (the queue deadline) — nothing else;
 * - the writer's write(2) fails with EINTR within 50 ms of the signal.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define XFER_SIZE 65535
#define STATS_READS 20
#define LIMIT_MS 50.0
#define READERS_MAX 256

static const char *mnt;
static int failures;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		failures++;
}

static void on_signal(int sig) { (void)sig; }

/* ---- the writer --------------------------------------------------------------------------- */

struct writer {
	pthread_t thread;
	_Atomic pid_t tid;
	int err; /* 0 when the write went through */
	double end_ms;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	char *buf = calloc(1, XFER_SIZE);
	char path[4096];
	int fd;

	w->tid = (pid_t)syscall(SYS_gettid);
	snprintf(path, sizeof(path), "%s/spi/xfer", mnt);
	fd = open(path, O_RDWR);
	if (fd < 0 || !buf) {
		w->err = errno;
	} else {
		ssize_t n = write(fd, buf, XFER_SIZE);

		w->err = n == XFER_SIZE ? 0 : n < 0 ? errno : EIO;
	}
	w->end_ms = now_ms();
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* The writer waits in its 65535-byte write(2): /proc shows the system call and its size. */
static int writer_blocked(const struct writer *w)
{
	char path[64], line[256];
	unsigned long nr, fd, addr, size;
	FILE *f;
	int ok = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)w->tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fgets(line, sizeof(line), f) && sscanf(line, "%lu %lx %lx %lx", &nr, &fd, &addr, &size) == 4)
		ok = nr == SYS_write && size == XFER_SIZE;
	fclose(f);
	return ok;
}

/* ---- the readers -------------------------------------------------------------------------- */

struct reader {
	pthread_t thread;
	unsigned pin;
	char value[16];
	int err;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	char path[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/gpio/%u/value", mnt, r->pin);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		r->err = errno;
		return NULL;
	}
	n = read(fd, r->value, sizeof(r->value) - 1);
	if (n < 0)
		r->err = errno;
	else
		r->value[n] = '\0';
	close(fd);
	return NULL;
}

static double read_stats_ms(void)
{
	char path[4096], buf[4096];
	double t0 = now_ms();
	int fd;

	snprintf(path, sizeof(path), "%s/stats", mnt);
	fd = open(path, O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof(buf)) <= 0) {
		check(0, "read stats: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return 0;
	}
	close(fd);
	return now_ms() - t0;
}

int main(int argc, char **argv)
{
	static struct reader readers[READERS_MAX];
	struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: Ctrl-C interrupts */
	struct writer w = { 0 };
	unsigned n_readers, got = 0, timed_out = 0;
	double worst = 0, t_signal;

	if (argc != 3 || (n_readers = (unsigned)atoi(argv[2])) == 0 || n_readers > READERS_MAX) {
		fprintf(stderr, "usage: contend MNT READERS (1..%d)\n", READERS_MAX);
		return 2;
	}
	mnt = argv[1];
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	pthread_create(&w.thread, NULL, writer_main, &w);
	for (int i = 0; i < 5000 && !(w.tid && writer_blocked(&w)); i++)
		usleep(1000); /* bounded wait for the writer to block, 5 s at most */
	if (!writer_blocked(&w)) {
		check(0, "the writer never waited in its 65535-byte write (err %s)", strerrorname_np(w.err));
		return 1;
	}

	for (unsigned i = 0; i < n_readers; i++) {
		readers[i].pin = i % 9;
		pthread_create(&readers[i].thread, NULL, reader_main, &readers[i]);
	}
	for (int i = 0; i < STATS_READS; i++) {
		double t = read_stats_ms();

		if (t > worst)
			worst = t;
	}
	check(worst < LIMIT_MS, "%d reads of stats during the transaction, %u readers queued: the slowest took %.1f ms "
	      "(limit %.0f)", STATS_READS, n_readers, worst, LIMIT_MS);
	for (unsigned i = 0; i < n_readers; i++) {
		pthread_join(readers[i].thread, NULL);
		if (!readers[i].err && (!strcmp(readers[i].value, "0\n") || !strcmp(readers[i].value, "1\n")))
			got++;
		else if (readers[i].err == ETIMEDOUT)
			timed_out++;
		else
			check(0, "reader of gpio/%u/value: %s '%s'", readers[i].pin,
			      readers[i].err ? strerrorname_np(readers[i].err) : "value", readers[i].value);
	}
	check(got + timed_out == n_readers, "%u readers: %u got their value, %u ETIMEDOUT (the queue deadline)",
	      n_readers, got, timed_out);
	check(writer_blocked(&w), "the transaction still runs after the readers are done");

	t_signal = now_ms();
	pthread_kill(w.thread, SIGUSR1);
	pthread_join(w.thread, NULL);
	check(w.err == EINTR && w.end_ms - t_signal < LIMIT_MS, "a signal ends the writer's write(2) with %s in %.1f ms "
	      "(want EINTR within %.0f ms)", w.err ? strerrorname_np(w.err) : "success", w.end_ms - t_signal, LIMIT_MS);
	return failures ? 1 : 0;
}
