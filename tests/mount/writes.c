/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Writes the way shells and programs make them, for the mounted tests (issue 13 items 1, 2
 * and 5): several write(2)s on one open file, appends, read-then-write, writev, splice and
 * sendfile, and many open spi/xfer files at once. Prints one word per outcome: "OK" or the
 * errno's name (fsop's convention); exit status 0 when every call succeeded, 1 otherwise.
 *
 *   writes pieces PATH PIECE...    O_WRONLY: one write(2) per PIECE, then close(2); prints
 *                                  the outcome of each write, then "close=" and close's
 *   writes append PATH DATA        O_WRONLY|O_APPEND: one write(2) of DATA, then close(2)
 *   writes rplus PATH DATA         O_RDWR: read(2) to end of file, then one write(2) of DATA
 *                                  (at the offset the read left), then close(2)
 *   writes writev PATH N SIZE      O_RDWR: one writev(2) of N pieces of SIZE pattern bytes,
 *                                  then read(2) to end of file; prints "wrote=W read=R" and
 *                                  "same" when the bytes read are the bytes written
 *   writes splice PATH HEX         O_RDWR: one write(2) of the bytes, then splice(2) and
 *                                  sendfile(2) from the file into a pipe, then read(2);
 *                                  prints "splice=X sendfile=Y read=N bytes..." where X, Y
 *                                  are "data", "0" or an errno name
 *   writes hold PATH COUNT SIZE PID  opens COUNT files O_RDWR, writes SIZE pattern bytes to
 *                                  each, keeping them all open unread; prints "ok=A", then
 *                                  "NAME=B" per errno seen and "rss_kb=" of process PID
 *
 * PIECE and DATA understand fsop's escapes (\n, \xHH ...); HEX is pairs of hex digits.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/types.h>
#include <unistd.h>

#include "bytes.h"

#define READ_MAX (2u * 65536u)

static const char *outcome(int ok) { return ok ? "OK" : strerrorname_np(errno); }

/* One write(2) of the unescaped s; prints its outcome. 1 on success. */
static int write_piece(int fd, const char *s)
{
	uint8_t *buf = malloc(strlen(s) + 1);
	ssize_t len = buf ? unescape(s, buf) : -1, w;
	int ok;

	if (len < 0) {
		free(buf);
		fprintf(stderr, "writes: bad escape or no memory\n");
		exit(2);
	}
	w = write(fd, buf, (size_t)len);
	ok = w == len;
	if (w >= 0 && !ok)
		printf("SHORT%zd ", w);
	else
		printf("%s ", outcome(ok));
	free(buf);
	return ok;
}

static int finish(int fd, int ok)
{
	int closed = close(fd) == 0;

	printf("close=%s\n", outcome(closed));
	return ok && closed ? 0 : 1;
}

static int do_pieces(const char *path, int flags, int count, char **pieces)
{
	int fd = open(path, flags), ok = 1;

	if (fd < 0) {
		printf("open=%s\n", outcome(0));
		return 1;
	}
	for (int i = 0; i < count; i++)
		ok &= write_piece(fd, pieces[i]);
	return finish(fd, ok);
}

static int do_rplus(const char *path, const char *data)
{
	char buf[4096];
	int fd = open(path, O_RDWR);
	ssize_t r;

	if (fd < 0) {
		printf("open=%s\n", outcome(0));
		return 1;
	}
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		;
	if (r < 0) {
		printf("read=%s\n", outcome(0));
		close(fd);
		return 1;
	}
	return finish(fd, write_piece(fd, data));
}

static ssize_t read_all(int fd, uint8_t *buf, size_t size)
{
	size_t got = 0;
	ssize_t r;

	while (got < size && (r = read(fd, buf + got, size - got)) > 0)
		got += (size_t)r;
	return got;
}

static int do_writev(const char *path, size_t n, size_t size)
{
	struct iovec *iov = calloc(n ? n : 1, sizeof(*iov));
	uint8_t *out = malloc(n * size + 1), *in = malloc(READ_MAX);
	int fd = open(path, O_RDWR), ret = 1;
	ssize_t w, r;

	if (!iov || !out || !in || fd < 0) {
		printf("setup=%s\n", outcome(0));
		goto out;
	}
	for (size_t i = 0; i < n * size; i++)
		out[i] = pattern(i);
	for (size_t i = 0; i < n; i++) {
		iov[i].iov_base = out + i * size;
		iov[i].iov_len = size;
	}
	w = writev(fd, iov, (int)n);
	if (w < 0) {
		printf("writev=%s\n", outcome(0));
		goto out;
	}
	r = read_all(fd, in, READ_MAX);
	printf("wrote=%zd read=%zd %s\n", w, r, r == w && memcmp(in, out, (size_t)r) == 0 ? "same" : "different");
	ret = w == (ssize_t)(n * size) ? 0 : 1;
out:
	if (fd >= 0)
		close(fd);
	free(iov);
	free(out);
	free(in);
	return ret;
}

/* The daemon's resident memory in kB (VmRSS), or -1. */
static long rss_kb(const char *pid)
{
	char path[64], line[128];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static int do_splice(const char *path, const char *hex)
{
	uint8_t out[256], in[256];
	ssize_t len = strlen(hex) / 2 < sizeof(out) ? parse_hex(hex, out) : -1;
	int fd = open(path, O_RDWR), p[2];
	ssize_t s;

	if (len < 0 || fd < 0 || pipe(p) < 0 || write(fd, out, (size_t)len) != len) {
		printf("setup=%s\n", outcome(0));
		return 1;
	}
	s = splice(fd, NULL, p[1], NULL, sizeof(in), 0);
	printf("splice=%s ", s < 0 ? strerrorname_np(errno) : s == 0 ? "0" : "data");
	s = sendfile(p[1], fd, NULL, sizeof(in));
	printf("sendfile=%s", s < 0 ? strerrorname_np(errno) : s == 0 ? "0" : "data");
	/* what neither took is still there for read(2) */
	s = read(fd, in, sizeof(in));
	printf(" read=%zd", s);
	for (ssize_t i = 0; i < s; i++)
		printf(" %02x", in[i]);
	printf("\n");
	close(fd);
	return 0;
}

/* Opens count files, each with one transaction's bytes unread; prints the outcomes and the
 * daemon's memory while they are all open. */
static int do_hold(const char *path, int count, size_t size, const char *pid)
{
	uint8_t *buf = malloc(size ? size : 1);
	int *fds = calloc((size_t)count, sizeof(int));
	int seen[256] = { 0 }, ok = 0;

	if (!buf || !fds)
		return 1;
	for (size_t i = 0; i < size; i++)
		buf[i] = pattern(i);
	for (int i = 0; i < count; i++) {
		fds[i] = open(path, O_RDWR);
		if (fds[i] < 0 || write(fds[i], buf, size) != (ssize_t)size)
			seen[errno & 255]++;
		else
			ok++;
	}
	printf("ok=%d", ok);
	for (int e = 1; e < 256; e++)
		if (seen[e])
			printf(" %s=%d", strerrorname_np(e), seen[e]);
	printf(" rss_kb=%ld\n", rss_kb(pid));
	for (int i = 0; i < count; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	const char *op = argc > 2 ? argv[1] : "";

	if (!strcmp(op, "pieces") && argc >= 4)
		return do_pieces(argv[2], O_WRONLY, argc - 3, argv + 3);
	if (!strcmp(op, "append") && argc == 4)
		return do_pieces(argv[2], O_WRONLY | O_APPEND, 1, argv + 3);
	if (!strcmp(op, "rplus") && argc == 4)
		return do_rplus(argv[2], argv[3]);
	if (!strcmp(op, "writev") && argc == 5)
		return do_writev(argv[2], strtoul(argv[3], NULL, 10), strtoul(argv[4], NULL, 10));
	if (!strcmp(op, "splice") && argc == 4)
		return do_splice(argv[2], argv[3]);
	if (!strcmp(op, "hold") && argc == 6)
		return do_hold(argv[2], atoi(argv[3]), strtoul(argv[4], NULL, 10), argv[5]);
	fprintf(stderr, "usage: writes pieces|append|rplus|writev|splice|hold PATH ...\n");
	return 2;
}
