/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xfer_many PATH NPROC NTRANS [UNTIL]: NPROC processes, each with its own O_RDWR open of spi/xfer
 * on a loopback chip select, run NTRANS transactions (and, with UNTIL, go on until the file UNTIL
 * exists, so that a test can overlap them with a fixed amount of other work) of random length
 * 1..4096 with a pattern unique
 * to (process, transaction) and check every byte comes back to the process that sent it:
 * transactions must never interleave and received bytes never cross open files.
 * Prints "transactions=T mismatches=K errors=E"; exit 0 only when K == 0 and E == 0.
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
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define LEN_MAX 4096u

struct result {
	unsigned long transactions;
	unsigned long mismatches;
	unsigned long errors;
};

/* xorshift32: each (process, transaction) gets its own reproducible stream. */
static uint32_t next_rand(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static void run_child(const char *path, unsigned proc, unsigned ntrans, const char *until,
		      struct result *res)
{
	uint8_t out[LEN_MAX], in[LEN_MAX + 1];
	int fd = open(path, O_RDWR);

	if (fd < 0) {
		fprintf(stderr, "xfer_many[%u]: open: %s\n", proc, strerrorname_np(errno));
		res->errors++;
		return;
	}
	for (unsigned t = 0; t < ntrans || (until && access(until, F_OK) != 0); t++) {
		uint32_t seed = (uint32_t)getpid() * 2654435761u ^ (proc + 1) * 40503u ^ (t + 1) * 69069u;
		size_t len, got = 0;
		ssize_t w;

		if (!seed)
			seed = 1;
		len = 1 + next_rand(&seed) % LEN_MAX;
		/* Byte 0 and 1 name the process and transaction; the rest comes from the stream. */
		for (size_t i = 0; i < len; i++)
			out[i] = (uint8_t)next_rand(&seed);
		out[0] = (uint8_t)proc;
		if (len > 1)
			out[1] = (uint8_t)t;

		res->transactions++;
		w = write(fd, out, len);
		if (w != (ssize_t)len) {
			fprintf(stderr, "xfer_many[%u] #%u: write %zu bytes: %s\n", proc, t, len,
				w < 0 ? strerrorname_np(errno) : "short");
			res->errors++;
			continue;
		}
		while (got < len + 1) {
			/* Ask for one byte more than sent: nothing may follow this transaction's bytes. */
			ssize_t r = read(fd, in + got, len + 1 - got);

			if (r < 0) {
				fprintf(stderr, "xfer_many[%u] #%u: read: %s\n", proc, t, strerrorname_np(errno));
				res->errors++;
				break;
			}
			if (r == 0)
				break;
			got += (size_t)r;
		}
		if (got != len || memcmp(in, out, len)) {
			size_t i = 0;

			while (i < got && i < len && in[i] == out[i])
				i++;
			fprintf(stderr, "xfer_many[%u] #%u: %zu bytes sent, %zu back, first difference at %zu\n",
				proc, t, len, got, i);
			res->mismatches++;
		}
	}
	close(fd);
}

static int parse_uint(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v == 0 || v > 100000)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int main(int argc, char **argv)
{
	struct result *res, sum = { 0, 0, 0 };
	unsigned nproc, ntrans;

	if ((argc != 4 && argc != 5) || parse_uint(argv[2], &nproc) || parse_uint(argv[3], &ntrans) ||
	    nproc > 256) {
		fprintf(stderr, "usage: xfer_many PATH NPROC NTRANS [UNTIL]\n");
		return 2;
	}
	res = mmap(NULL, nproc * sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	memset(res, 0, nproc * sizeof(*res));
	fflush(stdout);
	for (unsigned p = 0; p < nproc; p++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			sum.errors++;
			break;
		}
		if (pid == 0) {
			run_child(argv[1], p, ntrans, argc == 5 ? argv[4] : NULL, &res[p]);
			_exit(0);
		}
	}
	for (;;) {
		int status;
		pid_t pid = wait(&status);

		if (pid < 0)
			break;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			sum.errors++;
	}
	for (unsigned p = 0; p < nproc; p++) {
		sum.transactions += res[p].transactions;
		sum.mismatches += res[p].mismatches;
		sum.errors += res[p].errors;
	}
	printf("transactions=%lu mismatches=%lu errors=%lu\n", sum.transactions, sum.mismatches,
	       sum.errors);
	return sum.mismatches == 0 && sum.errors == 0 ? 0 : 1;
}
