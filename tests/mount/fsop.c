/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One file-system operation with an exactly checkable outcome, for the mounted tests: prints
 * "OK" (or the data read) on success, the errno's name ("EINVAL", "EPERM", ...) on failure.
 * A shell redirection cannot tell EINVAL from EPERM portably; this can.
 *
 *   fsop write PATH DATA            one write(2) of DATA at offset 0 (O_WRONLY)
 *   fsop pwrite PATH OFFSET DATA    one pwrite(2) of DATA at OFFSET (O_WRONLY)
 *   fsop read PATH                  read(2) to end of file, print what was read (O_RDONLY)
 *   fsop pread PATH OFFSET N        one pread(2) of up to N bytes at OFFSET, print them
 *   fsop xfer PATH HEX              O_RDWR: one write of the bytes, then read to end of file;
 *                                   prints the bytes read as "xx xx ..", or "empty"
 *   fsop writesize PATH N           O_RDWR: one write(2) of N pattern bytes
 *   fsop loop65535 PATH             O_RDWR: one 65535-byte write, read all back, compare
 *   fsop syscalls                   prints this architecture's system call numbers of read,
 *                                   write, pread64, pwrite64, readv and writev (for
 *                                   /proc/PID/syscall, whose numbers differ per architecture)
 *
 * DATA understands the escapes \n \r \t \\ and \xHH, so "1\n\n" is two newlines; a shell's
 * command substitution would have eaten them. HEX is pairs of hex digits, spaces allowed.
 * A short write prints "SHORT n". Exit status 0 on success, 1 on an error, 2 on bad usage.
 * "fsop -t OP ..." also prints "ms=N" on stderr: how long OP took.
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
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "bytes.h"
#include "util/clock.h"

#define XFER_MAX 65535u
/* Reads collect at most this much: one transaction's bytes and a margin to see extras. */
#define READ_MAX (2u * 65536u)

static int usage(void)
{
	fprintf(stderr, "usage: fsop write PATH DATA | pwrite PATH OFFSET DATA | read PATH |\n"
			"       pread PATH OFFSET N | xfer PATH HEX | writesize PATH N |\n"
			"       loop65535 PATH | syscalls\n");
	return 2;
}

static int fail_errno(int err)
{
	printf("%s\n", strerrorname_np(err));
	return 1;
}

static int parse_size(const char *s, size_t max, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v > max)
		return -1;
	*out = (size_t)v;
	return 0;
}

/* Reads until end of file (read returns 0) into buf; total or -errno. */
static ssize_t read_all(int fd, uint8_t *buf, size_t size)
{
	size_t got = 0;

	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);

		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static int report_write(ssize_t w, size_t len)
{
	if (w < 0)
		return fail_errno(errno);
	if ((size_t)w != len) {
		printf("SHORT %zd\n", w);
		return 1;
	}
	printf("OK\n");
	return 0;
}

static int do_write(const char *path, off_t off, const char *data, int positional)
{
	size_t cap = strlen(data) + 1;
	uint8_t *buf = malloc(cap);
	ssize_t len, w;
	int fd, ret;

	if (!buf)
		return fail_errno(ENOMEM);
	len = unescape(data, buf);
	if (len < 0) {
		free(buf);
		fprintf(stderr, "fsop: bad escape in DATA\n");
		return 2;
	}
	fd = open(path, O_WRONLY);
	if (fd < 0) {
		free(buf);
		return fail_errno(errno);
	}
	w = positional ? pwrite(fd, buf, (size_t)len, off) : write(fd, buf, (size_t)len);
	if (w < 0) {
		ret = fail_errno(errno);
		close(fd);
	} else if (close(fd) < 0) {
		/* A FUSE flush error is part of the outcome a user sees. */
		ret = fail_errno(errno);
	} else {
		ret = report_write(w, (size_t)len);
	}
	free(buf);
	return ret;
}

static int do_read(const char *path)
{
	uint8_t *buf = malloc(READ_MAX);
	ssize_t n;
	int fd;

	if (!buf)
		return fail_errno(ENOMEM);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		free(buf);
		return fail_errno(errno);
	}
	n = read_all(fd, buf, READ_MAX);
	close(fd);
	if (n < 0) {
		free(buf);
		return fail_errno((int)-n);
	}
	fwrite(buf, 1, (size_t)n, stdout);
	free(buf);
	return 0;
}

static int do_pread(const char *path, const char *off_s, const char *n_s)
{
	size_t off, n;
	uint8_t *buf;
	ssize_t r;
	int fd;

	if (parse_size(off_s, SIZE_MAX / 2, &off) || parse_size(n_s, READ_MAX, &n))
		return usage();
	buf = malloc(n + 1);
	if (!buf)
		return fail_errno(ENOMEM);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		free(buf);
		return fail_errno(errno);
	}
	r = pread(fd, buf, n, (off_t)off);
	if (r < 0) {
		int err = errno;

		close(fd);
		free(buf);
		return fail_errno(err);
	}
	close(fd);
	fwrite(buf, 1, (size_t)r, stdout);
	free(buf);
	return 0;
}

static void print_hex(const uint8_t *buf, size_t n)
{
	if (n == 0) {
		printf("empty\n");
		return;
	}
	for (size_t i = 0; i < n; i++)
		printf("%s%02x", i ? " " : "", buf[i]);
	printf("\n");
}

static int do_xfer(const char *path, const char *hex)
{
	size_t cap = strlen(hex) / 2 + 1;
	uint8_t *out = malloc(cap), *in = malloc(READ_MAX);
	ssize_t len, n;
	int fd, ret = 1;

	if (!out || !in) {
		ret = fail_errno(ENOMEM);
		goto out_free;
	}
	len = parse_hex(hex, out);
	if (len < 0) {
		fprintf(stderr, "fsop: bad HEX\n");
		ret = 2;
		goto out_free;
	}
	fd = open(path, O_RDWR);
	if (fd < 0) {
		ret = fail_errno(errno);
		goto out_free;
	}
	if (len > 0) {
		ssize_t w = write(fd, out, (size_t)len);

		if (w < 0 || w != len) {
			ret = report_write(w, (size_t)len);
			goto out_close;
		}
	}
	n = read_all(fd, in, READ_MAX);
	if (n < 0) {
		ret = fail_errno((int)-n);
		goto out_close;
	}
	print_hex(in, (size_t)n);
	ret = 0;
out_close:
	close(fd);
out_free:
	free(out);
	free(in);
	return ret;
}

static int do_writesize(const char *path, const char *n_s)
{
	size_t n;
	uint8_t *buf;
	int fd, ret;

	if (parse_size(n_s, 16u << 20, &n))
		return usage();
	buf = malloc(n + 1);
	if (!buf)
		return fail_errno(ENOMEM);
	for (size_t i = 0; i < n; i++)
		buf[i] = pattern(i);
	fd = open(path, O_RDWR);
	if (fd < 0) {
		free(buf);
		return fail_errno(errno);
	}
	ret = report_write(write(fd, buf, n), n);
	close(fd);
	free(buf);
	return ret;
}

static int do_loop65535(const char *path)
{
	uint8_t *out = malloc(XFER_MAX), *in = malloc(READ_MAX);
	ssize_t w, n;
	int fd, ret = 1;

	if (!out || !in) {
		ret = fail_errno(ENOMEM);
		goto out_free;
	}
	for (size_t i = 0; i < XFER_MAX; i++)
		out[i] = pattern(i);
	fd = open(path, O_RDWR);
	if (fd < 0) {
		ret = fail_errno(errno);
		goto out_free;
	}
	w = write(fd, out, XFER_MAX);
	if (w != (ssize_t)XFER_MAX) {
		ret = report_write(w, XFER_MAX);
		goto out_close;
	}
	n = read_all(fd, in, READ_MAX);
	if (n < 0) {
		ret = fail_errno((int)-n);
		goto out_close;
	}
	if ((size_t)n != XFER_MAX) {
		printf("LENGTH %zd\n", n);
		goto out_close;
	}
	for (size_t i = 0; i < XFER_MAX; i++) {
		if (in[i] != out[i]) {
			printf("MISMATCH at offset %zu: sent %02x got %02x\n", i, out[i], in[i]);
			goto out_close;
		}
	}
	printf("OK\n");
	ret = 0;
out_close:
	close(fd);
out_free:
	free(out);
	free(in);
	return ret;
}

/* The system calls through which a process waits for the daemon in a read or a write. */
static int do_syscalls(void)
{
	printf("%ld %ld %ld %ld %ld %ld\n", (long)SYS_read, (long)SYS_write, (long)SYS_pread64,
	       (long)SYS_pwrite64, (long)SYS_readv, (long)SYS_writev);
	return 0;
}

static int run_op(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";
	size_t off;

	if (!strcmp(op, "write") && argc == 4)
		return do_write(argv[2], 0, argv[3], 0);
	if (!strcmp(op, "pwrite") && argc == 5) {
		if (parse_size(argv[3], SIZE_MAX / 2, &off))
			return usage();
		return do_write(argv[2], (off_t)off, argv[4], 1);
	}
	if (!strcmp(op, "read") && argc == 3)
		return do_read(argv[2]);
	if (!strcmp(op, "pread") && argc == 5)
		return do_pread(argv[2], argv[3], argv[4]);
	if (!strcmp(op, "xfer") && argc == 4)
		return do_xfer(argv[2], argv[3]);
	if (!strcmp(op, "writesize") && argc == 4)
		return do_writesize(argv[2], argv[3]);
	if (!strcmp(op, "loop65535") && argc == 3)
		return do_loop65535(argv[2]);
	if (!strcmp(op, "syscalls") && argc == 2)
		return do_syscalls();
	return usage();
}

/* "fsop -t OP ...": also print on stderr how long OP took, "ms=N", from its open to its
 * last system call: the test's bound is on the operation, not on starting a process. */
int main(int argc, char **argv)
{
	uint64_t t0;
	int ret;

	if (argc < 2 || strcmp(argv[1], "-t") != 0)
		return run_op(argc, argv);
	t0 = mono_now_ns();
	ret = run_op(argc - 1, argv + 1);
	fflush(stdout);
	fprintf(stderr, "ms=%ld\n", (long)((mono_now_ns() - t0) / MONO_NS_PER_MS));
	return ret;
}
