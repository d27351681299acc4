/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mcp2210fs-bench (issue 5): mounts emulated MCP2210s, optimised (mcp2210fs) and naive (the
 * baseline, bench/naive.c, when it is built), and a minimal libfuse file system; drives them only through their files and prints one
 * table (exchanges and frames per operation against the protocol minimum, throughput, daemon
 * cost, scale, memory), every figure next to its target, and writes a CSV copy of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flash_rss.h"
#include "mnt.h"

#define CHUNK 60             /* SPI data bytes in one 64-byte report */
#define XFER_MAX 65535       /* the largest SPI transaction, "64 KiB" in the issue */
#define FRAME_US 1000        /* the 1 ms full-speed frame of the timing model */
#define SCALE_DEVICES 8
#define MAX_STEPS 64
#define MAX_ROWS 160
#define LAT_CAP (1u << 21)   /* latency samples kept per run */
#define RSS_TARGET_MIB 8.0

struct config {
	const char *daemon;
	const char *naive; /* the same daemon with every optimisation off (bench/naive.c) */
	const char *minfs;
	const char *harness; /* tests/usb-emu-run, for section 6; NULL: not built */
	const char *csv;
	bool quick;
	bool have_minfs;
	double loop_s; /* length of a timed GPIO or latency loop */
	double spi_s;  /* length of a timed SPI loop (each client finishes its transaction) */
};

/* ---- the daemons ---------------------------------------------------------------------------- */

static struct mnt *daemon_start(const struct config *cfg, unsigned frame_us, bool naive, const char *tag)
{
	char opts[64];
	const char *pre[] = { naive ? cfg->naive : cfg->daemon, "--emulate", "-f", "-o", opts, NULL };

	snprintf(opts, sizeof(opts), "emu_frame_us=%u", frame_us);
	return mnt_start(pre, tag);
}

/* The daemon on its libusb path, on the harness's device 1, its counters from the harness. */
static struct mnt *harness_start(const struct config *cfg, bool naive, const char *tag)
{
	char ctl[96];
	/* umockdev's ioctl round trips make an exchange far slower than on a host controller, more
	 * so on a loaded machine: a longer exchange timeout, which changes no frame count. */
	const char *pre[] = { cfg->harness, "--frame-us", "1000", "--control", ctl, "--", naive ? cfg->naive : cfg->daemon,
			      "-f", "-o", "serial=0000000001,timeout=5000", NULL };
	struct mnt *m;

	snprintf(ctl, sizeof(ctl), "/tmp/mcp2210fs-bench-%d-%s.ctl", (int)getpid(), tag);
	m = mnt_start(pre, tag);
	if (m)
		snprintf(m->harness_ctl, sizeof(m->harness_ctl), "%s", ctl);
	return m;
}

static struct mnt *minfs_start(const struct config *cfg)
{
	const char *pre[] = { cfg->minfs, "-f", NULL };

	return mnt_start(pre, "minfs");
}

/* ---- SPI through spi/xfer ------------------------------------------------------------------- */

/* One transaction: one write(2), then read back what was clocked in. The loopback on CS1
 * echoes MOSI, so the answer must equal what was sent. */
static int xfer_once(int fd, const unsigned char *tx, unsigned char *rx, size_t n)
{
	ssize_t w = write(fd, tx, n);
	size_t got = 0;

	if (w < 0)
		return -errno;
	if ((size_t)w != n)
		return -EIO;
	while (got < n) {
		ssize_t r = read(fd, rx + got, n - got);

		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		got += (size_t)r;
	}
	return memcmp(tx, rx, n) == 0 ? 0 : -EILSEQ;
}

static unsigned char *pattern_new(void)
{
	unsigned char *p = malloc(XFER_MAX);

	for (size_t i = 0; p && i < XFER_MAX; i++)
		p[i] = (unsigned char)(i * 7 + (i >> 8));
	return p;
}

/* Chip select CS1 (the loopback) and the bit rate; the rate the chip really uses, or -errno. */
static long spi_setup(const struct mnt *m, const char *bitrate)
{
	char text[32];
	int ret;

	if ((ret = mnt_write(m, "gpio/1/function", "cs")) < 0 || (ret = mnt_write(m, "spi/cs", "1")) < 0 ||
	    (ret = mnt_write(m, "spi/bitrate", bitrate)) < 0)
		return ret;
	return mnt_read(m, "spi/bitrate", text, sizeof(text)) < 0 ? -EIO : strtol(text, NULL, 10);
}

/* ---- the table -------------------------------------------------------------------------------- */

enum cmp { CMP_INFO, CMP_AT_MOST, CMP_AT_LEAST };

/* One figure: up to two values (v[1] e.g. frames next to exchanges), the same from the naive
 * daemon, and a target compared with each value that has one. */
struct row {
	int sec;
	char name[56];
	char unit[20];
	double v[2], naive[2], tgt[2];
	enum cmp cmp;
	char target[24];
	const char *status; /* "skip", "ERR": overrides the verdict */
	char note[112];
};

static struct row rows[MAX_ROWS];
static size_t nrows;
static bool naive_available;

static const char *const section_titles[] = {
	"",
	"1. Exchanges/frames per operation, 1 ms frame model (min = protocol minimum; frames = exchanges with IN first)",
	"2. Throughput, 1 ms frame model",
	"3. Daemon cost, emu_frame_us=0: pread(fd, 8, 0) on gpio/0/value; value/value2 = mcp2210fs/minimal FUSE fs",
	"4. Scale: 8 emulated devices mounted at once, one client each, 1 ms frame model",
	"5. Memory: peak RSS (VmHWM) of the daemon, one daemon per mounted device",
	"6. USB path: the daemon through libusb under tests/usb-emu-run (umockdev), 1 ms frames, vs in-process (section 1)",
};

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

static PRINTF_LIKE(3, 4) struct row *row_new(int sec, const char *unit, const char *fmt, ...)
{
	struct row *r = &rows[nrows < MAX_ROWS ? nrows++ : MAX_ROWS - 1];
	va_list ap;

	memset(r, 0, sizeof(*r));
	r->sec = sec;
	r->v[0] = r->v[1] = r->naive[0] = r->naive[1] = r->tgt[0] = r->tgt[1] = NAN;
	snprintf(r->unit, sizeof(r->unit), "%s", unit);
	va_start(ap, fmt);
	vsnprintf(r->name, sizeof(r->name), fmt, ap);
	va_end(ap);
	return r;
}

static PRINTF_LIKE(5, 6) void row_target(struct row *r, enum cmp cmp, double t0, double t1, const char *fmt, ...)
{
	va_list ap;

	r->cmp = cmp;
	r->tgt[0] = t0;
	r->tgt[1] = t1;
	va_start(ap, fmt);
	vsnprintf(r->target, sizeof(r->target), fmt, ap);
	va_end(ap);
}

static PRINTF_LIKE(2, 3) void row_note(struct row *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->note, sizeof(r->note), fmt, ap);
	va_end(ap);
}

static const char *verdict(const struct row *r)
{
	if (r->status)
		return r->status;
	if (r->cmp == CMP_INFO)
		return "info";
	for (int i = 0; i < 2; i++) {
		if (isnan(r->tgt[i]))
			continue;
		if (isnan(r->v[i]))
			return "ERR";
		if (r->cmp == CMP_AT_MOST ? r->v[i] > r->tgt[i] : r->v[i] < r->tgt[i])
			return "MISS";
	}
	return "PASS";
}

static void fmt_num(double v, char *buf, size_t size)
{
	double a = v < 0 ? -v : v;

	if (isnan(v))
		snprintf(buf, size, "-");
	else if (a >= 100 || v == (double)(long long)v)
		snprintf(buf, size, "%.0f", v);
	else if (a >= 10)
		snprintf(buf, size, "%.1f", v);
	else
		snprintf(buf, size, "%.2f", v);
}

static void fmt_pair(const double v[2], char *buf, size_t size)
{
	char a[24], b[24];

	fmt_num(v[0], a, sizeof(a));
	fmt_num(v[1], b, sizeof(b));
	snprintf(buf, size, isnan(v[1]) ? "%s" : "%s/%s", a, b);
}

static void fmt_ratio1(double naive, double opt, char *buf, size_t size)
{
	if (isnan(naive) || isnan(opt))
		snprintf(buf, size, "-");
	else if (opt == 0)
		snprintf(buf, size, naive == 0 ? "=" : "inf");
	else
		snprintf(buf, size, "%.2f", naive / opt);
}

static void fmt_ratio(const struct row *r, char *buf, size_t size)
{
	char a[16], b[16];

	fmt_ratio1(r->naive[0], r->v[0], a, sizeof(a));
	fmt_ratio1(r->naive[1], r->v[1], b, sizeof(b));
	snprintf(buf, size, isnan(r->naive[1]) ? "%s" : "%s/%s", a, b);
}

static void print_table(void)
{
	char value[40], naive[40], ratio[40];
	int sec = 0;

	printf("%-48s %-17s %-14s %-16s %-5s %-17s %-11s %s\n", "figure", "value", "unit", "target", "ok", "naive",
	       "naive/opt", "protocol minimum / note");
	for (size_t i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];

		if (r->sec != sec)
			printf("== %s\n", section_titles[sec = r->sec]);
		fmt_pair(r->v, value, sizeof(value));
		fmt_pair(r->naive, naive, sizeof(naive));
		fmt_ratio(r, ratio, sizeof(ratio));
		if (!naive_available)
			printf("%-48s %-17s %-14s %-16s %-5s %-29s %s\n", r->name, value, r->unit, r->target, verdict(r),
			       "naive: not available", r->note);
		else
			printf("%-48s %-17s %-14s %-16s %-5s %-17s %-11s %s\n", r->name, value, r->unit, r->target,
			       verdict(r), naive, ratio, r->note);
	}
}

static void csv_str(FILE *f, const char *s, const char *sep)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fprintf(f, "\"%s", sep);
}

static void csv_num(FILE *f, double v)
{
	if (!isnan(v))
		fprintf(f, "%.6g", v);
	fputc(',', f);
}

static int write_csv(const char *path)
{
	FILE *f = fopen(path, "w");
	char ratio[40];

	if (!f)
		return -errno;
	fprintf(f, "section,figure,unit,value,value2,target,verdict,naive,naive2,naive_over_opt,note\n");
	for (size_t i = 0; i < nrows; i++) {
		const struct row *r = &rows[i];

		fmt_ratio(r, ratio, sizeof(ratio));
		fprintf(f, "%d,", r->sec);
		csv_str(f, r->name, ",");
		csv_str(f, r->unit, ",");
		csv_num(f, r->v[0]);
		csv_num(f, r->v[1]);
		csv_str(f, r->target, ",");
		csv_str(f, verdict(r), ",");
		if (naive_available) {
			csv_num(f, r->naive[0]);
			csv_num(f, r->naive[1]);
			csv_str(f, ratio, ",");
		} else {
			fprintf(f, ",,");
			csv_str(f, "naive: not available", ",");
		}
		csv_str(f, r->note, "\n");
	}
	return fclose(f) == 0 ? 0 : -errno;
}

/* ---- measurements ----------------------------------------------------------------------------- */

/* Section 1: one operation through the file system, counted by the emulated chip. */
enum step_kind { STEP_READ, STEP_WRITE, STEP_EEPROM_BYTE, STEP_BITRATE, STEP_XFER };

struct step {
	char name[56];    /* empty: set-up, not reported */
	enum step_kind kind;
	const char *path; /* READ, WRITE */
	const char *value; /* WRITE, BITRATE */
	int min;          /* protocol minimum in exchanges; frames = exchanges with IN submitted first */
	char why[112];
	size_t len;       /* XFER */
	bool slow;        /* skipped with --quick */
	bool wall_row;    /* also report wall time against the SPI clock */
	int wall_reps;    /* wall time: best of this many runs (scheduler noise) */
};

struct sample {
	bool done;
	int err;
	double ex, fr, wall_s, bitrate;
};

/* A device under test: its mount and an open spi/xfer. */
struct dev {
	struct mnt *m;
	int xfer_fd;
	long bitrate;
	unsigned char *tx, *rx;
	unsigned char eeprom_next;
};

#define STEP(n, k, p, v, m, w) { .name = n, .kind = k, .path = p, .value = v, .min = m, .why = w }
#define R STEP_READ
#define W STEP_WRITE

static const struct step fixed_steps[] = {
	STEP("read settings, first (cold cache)", R, "settings", NULL, 2, "0x20 chip + 0x41 SPI settings, then cached"),
	STEP("read settings, second (cached)", R, "settings", NULL, 0, "all host-owned state comes from the cache"),
	STEP("read info", R, "info", NULL, 0, "USB identity is known since open"),
	STEP("read a GPIO value", R, "gpio/0/value", NULL, 1, "0x31 get GPIO value; IN submitted first: 1 frame"),
	STEP("", W, "gpio/4/direction", "out", 0, ""),
	STEP("write a GPIO value", W, "gpio/4/value", "1", 1, "0x30 set GPIO value, latch from the cache (no read)"),
	STEP("change a direction", W, "gpio/5/direction", "out", 1, "0x32 set GPIO direction; latch unchanged, no 0x30"),
	STEP("change a pin function", W, "gpio/0/function", "cs", 1, "0x21 set chip settings, built from the cache"),
	STEP("", W, "gpio/6/function", "interrupt", 0, ""),
	STEP("read interrupt/count", R, "interrupt/count", NULL, 1, "0x12 get event count (no reset)"),
	STEP("read the eeprom, first (256 B)", R, "eeprom", NULL, 256, "0x50 reads one byte per exchange"),
	STEP("read the eeprom, second", R, "eeprom", NULL, 0, "cached after its first full read"),
	STEP("write one eeprom byte", STEP_EEPROM_BYTE, "eeprom", NULL, 2, "0x51 write, then 0x50 read back (writes are verified)"),
};

#undef STEP
#undef R
#undef W

static const size_t spi_sizes[] = { 4, 60, 61, 1000, XFER_MAX };

static size_t step_add(struct step *steps, size_t n, const struct step *s)
{
	if (n < MAX_STEPS)
		steps[n++] = *s;
	return n;
}

/* At each bit rate: every size right after a length change (a 1-byte transaction before it),
 * then again with unchanged settings. */
static size_t spi_steps(struct step *steps, size_t n, const char *bitrate, const char *label, bool clock_bound)
{
	struct step s = { .kind = STEP_BITRATE, .value = bitrate };

	n = step_add(steps, n, &s);
	for (size_t i = 0; i < sizeof(spi_sizes) / sizeof(spi_sizes[0]); i++) {
		size_t len = spi_sizes[i];
		int chunks = (int)((len + CHUNK - 1) / CHUNK);
		struct step x = { .kind = STEP_XFER, .len = 1 };

		n = step_add(steps, n, &x);
		x.len = len;
		x.slow = clock_bound && len == XFER_MAX;
		x.min = chunks + 2;
		snprintf(x.name, sizeof(x.name), "SPI %zu B @%s, after length change", len, label);
		snprintf(x.why, sizeof(x.why), "ceil(%zu/60)+1 = %d (0x42; +1 collects) +1 0x40 new length", len, chunks + 1);
		n = step_add(steps, n, &x);
		x.min = chunks + 1;
		x.wall_row = clock_bound;
		x.wall_reps = len < XFER_MAX ? 3 : 1;
		snprintf(x.name, sizeof(x.name), "SPI %zu B @%s, unchanged", len, label);
		snprintf(x.why, sizeof(x.why), "ceil(%zu/60)+1 0x42%s; 0x40 skipped", len,
			 clock_bound ? ", host waits for the clock (no busy)" : "");
		n = step_add(steps, n, &x);
	}
	return n;
}

static size_t steps_build(struct step *steps)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(fixed_steps) / sizeof(fixed_steps[0]); i++)
		n = step_add(steps, n, &fixed_steps[i]);
	n = spi_steps(steps, n, "12000000", "12M", false);
	return spi_steps(steps, n, "100000", "100k", true);
}

/* Section 6: operations of section 1 again, on the USB path (names as in section 1). */
static const struct step usb_steps[] = {
	{ .name = "read a GPIO value", .kind = STEP_READ, .path = "gpio/0/value", .min = 1 },
	{ .kind = STEP_BITRATE, .value = "12000000" },
	{ .kind = STEP_XFER, .len = XFER_MAX },
	{ .name = "SPI 65535 B @12M, unchanged", .kind = STEP_XFER, .len = XFER_MAX, .min = 1094 },
};
#define USB_STEPS (sizeof(usb_steps) / sizeof(usb_steps[0]))

static int eeprom_byte_write(struct dev *d)
{
	int fd = mnt_open(d->m, "eeprom", O_WRONLY), ret = 0;

	if (fd < 0)
		return fd;
	if (pwrite(fd, &d->eeprom_next, 1, 16) != 1)
		ret = -errno;
	close(fd);
	return ret;
}

/* Unmeasured preparation: the byte written must differ from the one stored. */
static void step_prepare(struct dev *d, const struct step *s)
{
	int fd;

	if (s->kind != STEP_EEPROM_BYTE || (fd = mnt_open(d->m, "eeprom", O_RDONLY)) < 0)
		return;
	if (pread(fd, &d->eeprom_next, 1, 16) == 1)
		d->eeprom_next ^= 0xff;
	close(fd);
}

static int step_run(struct dev *d, const struct step *s)
{
	char buf[4096];
	ssize_t n;

	switch (s->kind) {
	case STEP_READ:
		n = mnt_read(d->m, s->path, buf, sizeof(buf));
		return n < 0 ? (int)n : 0;
	case STEP_WRITE:
		return mnt_write(d->m, s->path, s->value);
	case STEP_EEPROM_BYTE:
		return eeprom_byte_write(d);
	case STEP_BITRATE:
		d->bitrate = spi_setup(d->m, s->value);
		return d->bitrate < 0 ? (int)d->bitrate : 0;
	case STEP_XFER:
		return xfer_once(d->xfer_fd, d->tx, d->rx, s->len);
	}
	return -EINVAL;
}

static void step_measure(struct dev *d, const struct step *s, struct sample *out)
{
	struct mnt_counters a, b;
	double t0, t1;

	step_prepare(d, s);
	if (mnt_counters_get(d->m, &a) < 0) {
		out->err = -EIO;
		return;
	}
	t0 = mnt_now_s();
	out->err = step_run(d, s);
	t1 = mnt_now_s();
	if (mnt_counters_get(d->m, &b) < 0 && !out->err)
		out->err = -EIO;
	out->done = true;
	out->ex = (double)(b.exchanges - a.exchanges);
	out->fr = (double)(b.frames - a.frames);
	out->wall_s = t1 - t0;
	out->bitrate = (double)d->bitrate;
}

static int dev_open(struct dev *d, struct mnt *m)
{
	memset(d, 0, sizeof(*d));
	d->m = m;
	d->tx = pattern_new();
	d->rx = malloc(XFER_MAX);
	d->xfer_fd = mnt_open(m, "spi/xfer", O_RDWR);
	return d->tx && d->rx && d->xfer_fd >= 0 ? 0 : -ENOMEM;
}

static void dev_close(struct dev *d)
{
	if (d->xfer_fd >= 0)
		close(d->xfer_fd);
	free(d->tx);
	free(d->rx);
}

static void steps_run(struct mnt *m, const struct step *steps, size_t n, bool quick, struct sample *out)
{
	struct dev d;

	if (dev_open(&d, m) < 0) {
		fprintf(stderr, "mcp2210fs-bench: cannot open spi/xfer\n");
		dev_close(&d);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (quick && steps[i].slow)
			continue;
		step_measure(&d, &steps[i], &out[i]);
		for (int r = 1; r < steps[i].wall_reps; r++) {
			struct sample again = { 0 };

			step_measure(&d, &steps[i], &again);
			if (!again.err && again.wall_s < out[i].wall_s)
				out[i].wall_s = again.wall_s;
		}
		if (out[i].err && steps[i].name[0] == '\0')
			fprintf(stderr, "mcp2210fs-bench: set-up step failed: %s\n", strerror(-out[i].err));
	}
	dev_close(&d);
}

/* Sections 2 to 4: client threads, each with its own open file, in a timed loop. */
enum client_kind { CLIENT_PREAD, CLIENT_XFER };

struct run {
	pthread_barrier_t start;
	atomic_bool stop;
};

struct client {
	pthread_t thread;
	enum client_kind kind;
	int fd;
	unsigned char *tx, *rx; /* XFER */
	double *lat;            /* per-operation latency in s, when not NULL */
	size_t nlat;
	uint64_t ops;
	double elapsed;
	int err;
	struct run *run;
};

struct run_result {
	int err;
	uint64_t ops;
	double elapsed, rate; /* operations per second, all clients together */
	struct mnt_counters delta; /* of the mount given to clients_run */
};

static int client_op(struct client *c)
{
	char buf[8];
	ssize_t n;

	if (c->kind == CLIENT_XFER)
		return xfer_once(c->fd, c->tx, c->rx, XFER_MAX);
	n = pread(c->fd, buf, sizeof(buf), 0);
	return n > 0 ? 0 : n == 0 ? -EIO : -errno;
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	double t0, t;

	if (c->kind == CLIENT_XFER) /* sets the transaction length before the clock starts */
		c->err = client_op(c);
	pthread_barrier_wait(&c->run->start);
	t0 = t = mnt_now_s();
	while (!c->err && !atomic_load(&c->run->stop)) {
		double t1;

		c->err = client_op(c);
		t1 = mnt_now_s();
		if (c->err)
			break;
		if (c->lat && c->nlat < LAT_CAP)
			c->lat[c->nlat++] = t1 - t;
		c->ops++;
		t = t1;
	}
	c->elapsed = mnt_now_s() - t0;
	return NULL;
}

/* Client i opens rel on mounts[i]; XFER clients get their own buffers. */
static int clients_open(struct client *c, size_t n, struct mnt *const *mounts, enum client_kind kind,
			const char *rel)
{
	memset(c, 0, n * sizeof(*c));
	for (size_t i = 0; i < n; i++)
		c[i].fd = -1;
	for (size_t i = 0; i < n; i++) {
		c[i].kind = kind;
		c[i].fd = mnt_open(mounts[i], rel, kind == CLIENT_XFER ? O_RDWR : O_RDONLY);
		if (c[i].fd < 0)
			return c[i].fd;
		if (kind == CLIENT_XFER && (!(c[i].tx = pattern_new()) || !(c[i].rx = malloc(XFER_MAX))))
			return -ENOMEM;
	}
	return 0;
}

static void clients_close(struct client *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (c[i].fd >= 0)
			close(c[i].fd);
		free(c[i].tx);
		free(c[i].rx);
		c[i].fd = -1;
		c[i].tx = c[i].rx = NULL;
	}
}

static void run_aggregate(const struct client *c, size_t n, struct run_result *res)
{
	for (size_t i = 0; i < n; i++) {
		res->ops += c[i].ops;
		if (c[i].elapsed > res->elapsed)
			res->elapsed = c[i].elapsed;
		if (c[i].err && !res->err)
			res->err = c[i].err;
	}
	res->rate = res->elapsed > 0 ? (double)res->ops / res->elapsed : NAN;
}

/* Starts the clients together, lets them run for secs, stops them and sums up. When count_on is
 * given, the emulated chip's counters are taken around the timed part. */
static void clients_run(struct client *c, size_t n, double secs, const struct mnt *count_on, struct run_result *res)
{
	struct run run;
	struct mnt_counters a = { 0 }, b = { 0 };
	sigset_t saved;

	memset(res, 0, sizeof(*res));
	pthread_barrier_init(&run.start, NULL, (unsigned)n + 1);
	atomic_init(&run.stop, false);
	mnt_signals_block(true, &saved);
	for (size_t i = 0; i < n; i++) {
		c[i].run = &run;
		if (pthread_create(&c[i].thread, NULL, client_main, &c[i]) != 0) {
			fprintf(stderr, "mcp2210fs-bench: cannot start a client thread\n");
			exit(1);
		}
	}
	mnt_signals_block(false, &saved);
	pthread_barrier_wait(&run.start);
	if (count_on)
		mnt_counters_get(count_on, &a);
	mnt_sleep_s(secs);
	atomic_store(&run.stop, true);
	for (size_t i = 0; i < n; i++)
		pthread_join(c[i].thread, NULL);
	if (count_on)
		mnt_counters_get(count_on, &b);
	pthread_barrier_destroy(&run.start);
	res->delta = (struct mnt_counters){ .exchanges = b.exchanges - a.exchanges, .frames = b.frames - a.frames,
					    .spi_bytes = b.spi_bytes - a.spi_bytes, .faults = b.faults - a.faults,
					    .time_us = b.time_us - a.time_us };
	run_aggregate(c, n, res);
}

/* One kind of client on each of mounts[0..n-1] (the same mount repeated for concurrency). */
static int clients_measure(struct mnt *const *mounts, size_t n, enum client_kind kind, const char *rel, double secs,
			   const struct mnt *count_on, struct run_result *res)
{
	struct client c[SCALE_DEVICES];
	int ret = clients_open(c, n, mounts, kind, rel);

	if (ret == 0)
		clients_run(c, n, secs, count_on, res);
	else
		res->err = ret;
	clients_close(c, n);
	return res->err;
}

/* ---- the sections, per daemon ------------------------------------------------------------------ */

static const int reader_counts[] = { 1, 2, 4, 8 };
#define NREADERS (sizeof(reader_counts) / sizeof(reader_counts[0]))

struct latency {
	int err;
	double ops_s, p50, p90, p99, max, cpu_per_op;
};

struct scale {
	int err;
	double gpio_rate, spi_bps, hwm_max, hwm_mean;
};

/* GPIO reads while a long transaction runs (section 2): latency in ms. */
struct busy_read {
	int err;
	unsigned reads;
	double p50, max;
};

/* Everything measured on one kind of daemon (optimised or naive). */
struct results {
	bool valid;
	struct sample s1[MAX_STEPS];
	struct run_result spi12;
	long spi12_bitrate;
	struct run_result readers[NREADERS];
	long long coalesced[NREADERS];
	struct latency lat;
	struct scale scale;
	double hwm_frames, hwm_cost;
	struct sample usb[USB_STEPS]; /* section 6 */
	struct busy_read busy;
};

static void measure_spi(struct mnt *m, const struct config *cfg, struct results *r)
{
	struct mnt *one[1] = { m };

	r->spi12_bitrate = spi_setup(m, "12000000");
	if (r->spi12_bitrate < 0)
		r->spi12.err = (int)r->spi12_bitrate;
	else
		clients_measure(one, 1, CLIENT_XFER, "spi/xfer", cfg->spi_s, m, &r->spi12);
}

static void measure_readers(struct mnt *m, const struct config *cfg, struct results *r)
{
	struct mnt *same[SCALE_DEVICES];

	for (size_t i = 0; i < SCALE_DEVICES; i++)
		same[i] = m;
	for (size_t i = 0; i < NREADERS; i++) {
		long long c0 = mnt_stats_get(m, "coalesced");

		clients_measure(same, (size_t)reader_counts[i], CLIENT_PREAD, "gpio/0/value", cfg->loop_s, m,
				&r->readers[i]);
		r->coalesced[i] = c0 < 0 ? -1 : mnt_stats_get(m, "coalesced") - c0;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double percentile(const double *sorted, size_t n, double q)
{
	return n ? sorted[(size_t)(q * (double)(n - 1) + 0.5)] : NAN;
}

/* A 65535-byte transaction on spi/xfer, in the background. */
struct busy_writer {
	struct mnt *m;
	_Atomic bool done;
	int err;
};

static void *busy_writer_main(void *arg)
{
	struct busy_writer *bw = arg;
	unsigned char *tx = calloc(1, XFER_MAX);
	int fd = mnt_open(bw->m, "spi/xfer", O_RDWR);

	bw->err = fd < 0 ? fd : !tx ? -ENOMEM : write(fd, tx, XFER_MAX) == XFER_MAX ? 0 : -errno;
	if (fd >= 0)
		close(fd);
	free(tx);
	atomic_store(&bw->done, true);
	return NULL;
}

/* GPIO reads, one every 10 ms, while a 65535-byte transaction runs at 100 kbit/s (5.2 s of
 * clocking): the optimised daemon reads in the transaction's idle time, the naive one queues
 * the read behind it. */
static void measure_busy_read(struct mnt *m, struct busy_read *out)
{
	struct busy_writer bw = { .m = m };
	double lat[1000];
	unsigned n = 0;
	pthread_t thread;
	char buf[16];
	int fd;

	memset(out, 0, sizeof(*out));
	if ((out->err = (int)spi_setup(m, "100000")) < 0)
		return;
	out->err = 0;
	if ((fd = mnt_open(m, "gpio/0/value", O_RDONLY)) < 0 || pthread_create(&thread, NULL, busy_writer_main, &bw)) {
		out->err = fd < 0 ? fd : -EAGAIN;
		if (fd >= 0)
			close(fd);
		return;
	}
	mnt_sleep_s(0.2); /* the transaction is under way */
	while (!atomic_load(&bw.done) && n < sizeof(lat) / sizeof(lat[0])) {
		double t0 = mnt_now_s();

		if (pread(fd, buf, sizeof(buf), 0) <= 0) {
			out->err = -errno;
			break;
		}
		lat[n++] = (mnt_now_s() - t0) * 1e3;
		mnt_sleep_s(0.01);
	}
	pthread_join(thread, NULL);
	close(fd);
	if (!out->err)
		out->err = bw.err;
	qsort(lat, n, sizeof(double), cmp_double);
	out->reads = n;
	out->p50 = percentile(lat, n, 0.5);
	out->max = n ? lat[n - 1] : NAN;
}

/* Sections 1 and 2 on one daemon in the 1 ms frame model. */
static void measure_frames(struct mnt *m, const struct config *cfg, const struct step *steps, size_t nsteps,
			   struct results *r)
{
	fprintf(stderr, "  per-operation counts\n");
	steps_run(m, steps, nsteps, cfg->quick, r->s1);
	fprintf(stderr, "  SPI throughput\n");
	measure_spi(m, cfg, r);
	fprintf(stderr, "  concurrent GPIO readers\n");
	measure_readers(m, cfg, r);
	fprintf(stderr, "  GPIO reads during a 100 kbit/s transaction\n");
	measure_busy_read(m, &r->busy);
	r->hwm_frames = mnt_proc_hwm_mib(m->pid);
	r->valid = true;
}

/* Section 6: the same daemon on its libusb path under the USB harness, frames counted there. */
static void measure_usb(const struct config *cfg, bool naive, struct results *r)
{
	struct mnt *m = harness_start(cfg, naive, naive ? "usb-naive" : "usb-opt");

	if (!m) {
		fprintf(stderr, "mcp2210fs-bench: the daemon did not mount under %s: %s\n", cfg->harness,
			mnt_last_log_line);
		return;
	}
	steps_run(m, usb_steps, USB_STEPS, false, r->usb);
	mnt_stop(m, true);
}

/* Section 3: one client, pread on an open file, latencies in µs; the daemon's CPU per call. */
static void measure_latency(struct mnt *m, const char *rel, const struct config *cfg, struct latency *out)
{
	struct mnt *one[1] = { m };
	struct client c;
	struct run_result res;
	double cpu0, cpu1;

	memset(out, 0, sizeof(*out));
	clients_measure(one, 1, CLIENT_PREAD, rel, 0.1, NULL, &res); /* warm up */
	if ((out->err = clients_open(&c, 1, one, CLIENT_PREAD, rel)) < 0 || !(c.lat = malloc(LAT_CAP * sizeof(double)))) {
		out->err = out->err ? out->err : -ENOMEM;
		clients_close(&c, 1);
		return;
	}
	cpu0 = mnt_proc_cpu_s(m->pid);
	clients_run(&c, 1, cfg->loop_s, NULL, &res);
	cpu1 = mnt_proc_cpu_s(m->pid);
	qsort(c.lat, c.nlat, sizeof(double), cmp_double);
	out->err = res.err;
	out->ops_s = res.rate;
	out->p50 = percentile(c.lat, c.nlat, 0.50) * 1e6;
	out->p90 = percentile(c.lat, c.nlat, 0.90) * 1e6;
	out->p99 = percentile(c.lat, c.nlat, 0.99) * 1e6;
	out->max = c.nlat ? c.lat[c.nlat - 1] * 1e6 : NAN;
	out->cpu_per_op = res.ops ? (cpu1 - cpu0) / (double)res.ops * 1e6 : NAN;
	free(c.lat);
	clients_close(&c, 1);
}

static void scale_stop(struct mnt **devs, size_t n, struct scale *s)
{
	double sum = 0;

	s->hwm_max = 0;
	for (size_t i = 0; i < n; i++) {
		double h = mnt_proc_hwm_mib(devs[i]->pid);

		sum += h;
		if (h > s->hwm_max || isnan(h))
			s->hwm_max = h;
		mnt_stop(devs[i], true);
	}
	s->hwm_mean = sum / (double)n;
}

/* Section 4: 8 daemons, one client each: GPIO reads, then 64 KiB loopback transactions. */
static void measure_scale(const struct config *cfg, bool naive, struct scale *s)
{
	struct mnt *devs[SCALE_DEVICES];
	struct run_result gpio, spi;
	size_t n;

	memset(s, 0, sizeof(*s));
	for (n = 0; n < SCALE_DEVICES; n++)
		if (!(devs[n] = daemon_start(cfg, FRAME_US, naive, naive ? "scale-naive" : "scale")))
			break;
	for (size_t i = 0; i < n && !s->err; i++)
		if (spi_setup(devs[i], "12000000") < 0)
			s->err = -EIO;
	if (n < SCALE_DEVICES && !s->err)
		s->err = -ENODEV;
	if (!s->err)
		s->err = clients_measure(devs, n, CLIENT_PREAD, "gpio/0/value", cfg->loop_s, NULL, &gpio);
	if (!s->err)
		s->err = clients_measure(devs, n, CLIENT_XFER, "spi/xfer", cfg->spi_s, NULL, &spi);
	if (!s->err) {
		s->gpio_rate = gpio.rate;
		s->spi_bps = spi.rate * XFER_MAX;
	}
	scale_stop(devs, n, s);
}

/* Section 3 for the optimised and naive daemon and the minimal file system. */
static void measure_cost(const struct config *cfg, struct results *opt, struct results *naive, struct latency *minfs,
			 double *minfs_hwm)
{
	struct results *rs[2] = { opt, naive };

	for (int i = 0; i < 2; i++) {
		struct mnt *m;

		if (!rs[i]->valid)
			continue;
		m = daemon_start(cfg, 0, i == 1, i ? "cost-naive" : "cost");
		if (!m) {
			rs[i]->lat.err = -ENODEV;
			continue;
		}
		measure_latency(m, "gpio/0/value", cfg, &rs[i]->lat);
		rs[i]->hwm_cost = mnt_proc_hwm_mib(m->pid);
		mnt_stop(m, true);
	}
	minfs->err = -ENOENT;
	*minfs_hwm = NAN;
	if (cfg->have_minfs) {
		struct mnt *m = minfs_start(cfg);

		if (m) {
			measure_latency(m, "value", cfg, minfs);
			*minfs_hwm = mnt_proc_hwm_mib(m->pid);
			mnt_stop(m, true);
		}
	}
}

/* ---- rows ------------------------------------------------------------------------------------- */

static void put_sample(double v[2], const struct sample *s)
{
	if (s->done && !s->err) {
		v[0] = s->ex;
		v[1] = s->fr;
	}
}

/* The model's fastest transaction when the SPI clock is the limit, in ms: a chunk goes out at a
 * frame start, the next one at the first frame start after it is clocked (the chip answers busy
 * before that), and one more frame collects the last bytes. */
static double model_wall_ms(size_t len, double bitrate)
{
	const uint64_t frame = FRAME_US * 1000ull, byte_ns = (uint64_t)((8e9 + bitrate - 1) / bitrate);
	uint64_t t = 0;

	for (size_t sent = 0; sent < len; sent += CHUNK) {
		uint64_t end = t + (len - sent < CHUNK ? len - sent : CHUNK) * byte_ns;
		uint64_t next = (end + frame - 1) / frame * frame;

		t = next > t + frame ? next : t + frame;
	}
	return (double)(t + frame) / 1e6;
}

static void wall_row(const struct step *st, const struct sample *opt, const struct sample *naive)
{
	struct row *r = row_new(1, "ms", "  wall time / SPI clock 8N/bitrate");

	if (opt->done && !opt->err) {
		double min = model_wall_ms(st->len, opt->bitrate);
		char best[24] = "";
		double slack = min * 1.01 + FRAME_US / 1e3;

		r->v[0] = opt->wall_s * 1e3;
		r->v[1] = 8.0 * (double)st->len / opt->bitrate * 1e3;
		row_target(r, CMP_AT_MOST, slack, NAN, "<= %.1f", slack);
		if (st->wall_reps > 1)
			snprintf(best, sizeof(best), "; best of %d", st->wall_reps);
		row_note(r, "wall/clock %.2f; model min %.1f ms (slack 1 frame + 1 %%)%s", r->v[0] / r->v[1], min, best);
	}
	if (naive && naive->done && !naive->err) {
		r->naive[0] = naive->wall_s * 1e3;
		r->naive[1] = 8.0 * (double)st->len / naive->bitrate * 1e3;
	}
	if (!opt->done)
		r->status = "skip";
}

static void rows_section1(const struct step *steps, size_t n, const struct results *opt, const struct results *naive)
{
	for (size_t i = 0; i < n; i++) {
		const struct sample *o = &opt->s1[i], *nv = naive ? &naive->s1[i] : NULL;
		struct row *r;

		if (!steps[i].name[0])
			continue;
		r = row_new(1, "ex/fr", "%s", steps[i].name);
		row_target(r, CMP_AT_MOST, steps[i].min, steps[i].min, "min %d/%d", steps[i].min, steps[i].min);
		row_note(r, "%s", steps[i].why);
		put_sample(r->v, o);
		if (nv)
			put_sample(r->naive, nv);
		if (!o->done) {
			r->status = "skip";
			row_note(r, "skipped with --quick (%.1f s per transaction)", 8.0 * (double)steps[i].len / 1e5);
		} else if (o->err) {
			row_note(r, "error: %s", strerror(-o->err));
		}
		if (steps[i].wall_row)
			wall_row(&steps[i], o, nv);
	}
}

static double spi_limit(long bitrate)
{
	double clock = (double)bitrate / 8.0, frames = (double)CHUNK * 1e6 / FRAME_US;

	return clock < frames ? clock : frames;
}

static void spi_row(struct row *r, double bps, double naive_bps, long bitrate)
{
	double limit = spi_limit(bitrate);

	r->v[0] = bps;
	r->v[1] = bps / limit * 100.0;
	r->naive[0] = naive_bps;
	r->naive[1] = naive_bps / limit * 100.0;
}

static double xfer_bps(const struct run_result *r, bool virtual_time)
{
	double secs = virtual_time ? (double)r->delta.time_us / 1e6 : r->elapsed;

	return r->err || secs <= 0 ? NAN : (double)r->ops * XFER_MAX / secs;
}

/* The 65535-byte transaction at 100 kbit/s from section 1, as a throughput. */
static double clock_bound_bps(const struct step *steps, size_t n, const struct results *r, long *bitrate)
{
	for (size_t i = 0; r && i < n; i++)
		if (steps[i].wall_row && steps[i].len == XFER_MAX && r->s1[i].done && !r->s1[i].err) {
			*bitrate = (long)r->s1[i].bitrate;
			return XFER_MAX / r->s1[i].wall_s;
		}
	return NAN;
}

static void rows_spi(const struct step *steps, size_t n, const struct results *opt, const struct results *naive)
{
	static const char *const clocks[] = { "wall clock", "virtual time" };
	long slow_rate = 100000, unused;
	struct row *r;

	for (int v = 0; v < 2; v++) {
		r = row_new(2, "B/s | % limit", "SPI 64 KiB xfers @12M, %s", clocks[v]);
		spi_row(r, xfer_bps(&opt->spi12, v), naive ? xfer_bps(&naive->spi12, v) : NAN, opt->spi12_bitrate);
		row_target(r, CMP_AT_LEAST, NAN, 95.0, ">= 95 %%");
		row_note(r, "limit %.0f B/s: 60 B per 1 ms frame; %llu xfers", spi_limit(opt->spi12_bitrate),
			 (unsigned long long)opt->spi12.ops);
		if (opt->spi12.err)
			row_note(r, "error: %s", strerror(-opt->spi12.err));
	}
	r = row_new(2, "B/s | % limit", "SPI 64 KiB xfer @100k, wall clock");
	spi_row(r, clock_bound_bps(steps, n, opt, &slow_rate), clock_bound_bps(steps, n, naive, &unused), slow_rate);
	row_target(r, CMP_INFO, NAN, NAN, "- (issue: 12M)");
	row_note(r, "limit %.0f B/s = SPI clock; whole chunks in 1 ms frames cap it at 96 %%", spi_limit(slow_rate));
	if (isnan(r->v[0]))
		r->status = "skip";
}

static void rows_readers(const struct results *opt, const struct results *naive)
{
	double one = opt->readers[0].rate, naive_one = naive ? naive->readers[0].rate : NAN;

	for (size_t i = 0; i < NREADERS; i++) {
		const struct run_result *o = &opt->readers[i];
		struct row *r = row_new(2, "reads/s | x 1", "GPIO reads, %d concurrent client%s", reader_counts[i],
					i ? "s" : "");

		r->v[0] = o->err ? NAN : o->rate;
		r->v[1] = r->v[0] / one;
		if (naive) {
			r->naive[0] = naive->readers[i].err ? NAN : naive->readers[i].rate;
			r->naive[1] = r->naive[0] / naive_one;
		}
		if (reader_counts[i] == SCALE_DEVICES)
			row_target(r, CMP_AT_LEAST, NAN, 3.0, ">= 3 x 1 client");
		row_note(r, "%.2f exchanges/read, %lld coalesced%s%s", o->ops ? (double)o->delta.exchanges / (double)o->ops : NAN,
			 opt->coalesced[i], o->err ? "; error: " : "", o->err ? strerror(-o->err) : "");
	}
}

static void rows_busy_read(const struct results *opt, const struct results *naive)
{
	const struct busy_read *o = &opt->busy;
	struct row *r = row_new(2, "ms p50 | max", "GPIO read during 64 KiB SPI @100 kbit/s");

	r->v[0] = o->err ? NAN : o->p50;
	r->v[1] = o->err ? NAN : o->max;
	if (naive && !naive->busy.err) {
		r->naive[0] = naive->busy.p50;
		r->naive[1] = naive->busy.max;
	}
	/* a read waits at most for the next gap between chunks: a chunk clocks 4.8 ms */
	row_target(r, CMP_AT_MOST, 5.0, 50.0, "<= 5 | 50 ms");
	row_note(r, "%u reads, one per 10 ms; the transaction clocks 5.2 s%s%s", o->reads, o->err ? "; error: " : "",
		 o->err ? strerror(-o->err) : "");
}

static void rows_cost(const struct results *opt, const struct results *naive, const struct latency *minfs)
{
	static const char *const names[] = { "latency p50", "latency p90", "latency p99", "latency max" };
	const struct latency *o = &opt->lat, *nv = naive ? &naive->lat : NULL;
	const double ov[] = { o->p50, o->p90, o->p99, o->max }, mv[] = { minfs->p50, minfs->p90, minfs->p99, minfs->max };
	const double nvv[] = { nv ? nv->p50 : NAN, nv ? nv->p90 : NAN, nv ? nv->p99 : NAN, nv ? nv->max : NAN };
	bool have_minfs = !minfs->err;
	struct row *r = row_new(3, "ops/s", "pread ops/s, 1 client");

	r->v[0] = o->err ? NAN : o->ops_s;
	r->v[1] = have_minfs ? minfs->ops_s : NAN;
	r->naive[0] = nv ? nv->ops_s : NAN;
	if (have_minfs)
		row_target(r, CMP_AT_LEAST, r->v[1] / 1.3, NAN, ">= minfs/1.3");
	if (have_minfs)
		row_note(r, "mean latency ratio %.2f", r->v[1] / r->v[0]);
	else
		row_note(r, "minimal FUSE fs not available");
	for (int i = 0; i < 4; i++) {
		r = row_new(3, "us", "pread %s", names[i]);
		r->v[0] = o->err ? NAN : ov[i];
		r->v[1] = have_minfs ? mv[i] : NAN;
		r->naive[0] = nvv[i];
		if (have_minfs && i < 3)
			row_target(r, CMP_AT_MOST, 1.3 * mv[i], NAN, "<= 1.3 x minfs");
		if (have_minfs)
			row_note(r, "ratio %.2f%s", ov[i] / mv[i], i == 3 ? " (one outlier: no target)" : "");
	}
	r = row_new(3, "us CPU/op", "daemon CPU time per pread (utime+stime)");
	r->v[0] = o->cpu_per_op;
	r->v[1] = have_minfs ? minfs->cpu_per_op : NAN;
	r->naive[0] = nv ? nv->cpu_per_op : NAN;
	row_note(r, "/proc/PID/stat deltas over the loop; no target in the issue");
}

static void scale_row(const char *name, const char *unit, double agg, double one, double naive_agg,
		      double naive_one, int err)
{
	struct row *r = row_new(4, unit, "%s", name);

	r->v[0] = err ? NAN : agg;
	r->v[1] = r->v[0] / one;
	r->naive[0] = naive_agg;
	r->naive[1] = naive_agg / naive_one;
	row_target(r, CMP_AT_LEAST, NAN, 6.0, ">= 6 x 1 device");
	if (err)
		row_note(r, "error: %s", strerror(-err));
	else
		row_note(r, "1 device (section 2, 1 client): %.0f", one);
}

static void rows_scale(const struct results *opt, const struct results *naive)
{
	const struct scale *o = &opt->scale, *nv = naive ? &naive->scale : NULL;
	double one_spi = xfer_bps(&opt->spi12, false), naive_one_spi = naive ? xfer_bps(&naive->spi12, false) : NAN;

	scale_row("8 devices: GPIO reads/s, aggregate", "reads/s | x 1", o->gpio_rate, opt->readers[0].rate,
		  nv && !nv->err ? nv->gpio_rate : NAN, naive ? naive->readers[0].rate : NAN, o->err);
	scale_row("8 devices: SPI 64 KiB xfers B/s, aggregate", "B/s | x 1", o->spi_bps, one_spi,
		  nv && !nv->err ? nv->spi_bps : NAN, naive_one_spi, o->err);
}

static struct row *rss_row(const char *name, double mib, double naive_mib)
{
	struct row *r = row_new(5, "MiB", "%s", name);

	r->v[0] = mib;
	r->naive[0] = naive_mib;
	row_target(r, CMP_AT_MOST, RSS_TARGET_MIB, NAN, "<= 8 MiB");
	return r;
}

static void rows_memory(const struct results *opt, const struct results *naive, double minfs_hwm,
			double flash_growth)
{
	struct row *r;

	r = rss_row("peak RSS, device of sections 1-2", opt->hwm_frames, naive ? naive->hwm_frames : NAN);
	row_note(r, "after every operation, 64 KiB xfers, 8 readers");
	r = rss_row("peak RSS, device of section 3", opt->hwm_cost, naive ? naive->hwm_cost : NAN);
	row_note(r, "after the emu_frame_us=0 loop");
	r = rss_row("peak RSS, largest of the 8 devices", opt->scale.hwm_max, naive ? naive->scale.hwm_max : NAN);
	row_note(r, "section 4; mean of the 8: %.2f MiB", opt->scale.hwm_mean);
	r = row_new(5, "MiB", "peak RSS, minimal FUSE fs (reference)");
	r->v[0] = minfs_hwm;
	row_note(r, "libfuse alone, for comparison");
	r = row_new(5, "MiB", "RSS growth, emulated 1 MiB flash untouched");
	r->v[0] = flash_growth < 0 ? NAN : flash_growth;
	row_note(r, "created, read whole, chip-erased; how much the kernel backs (THP, zero page) is its own");
}

/* Section 6: per operation, what the harness's frame model counted through real libusb next to
 * the in-process model's count for the same operation in section 1; they must be equal. */
static const struct sample *section1_sample(const struct step *steps, size_t n, const struct results *r,
					    const char *name)
{
	for (size_t i = 0; r && i < n; i++)
		if (strcmp(steps[i].name, name) == 0)
			return &r->s1[i];
	return NULL;
}

static bool same_counts(const struct sample *usb, const struct sample *in)
{
	return usb && in && usb->done && !usb->err && in->done && !in->err && usb->ex == in->ex && usb->fr == in->fr;
}

static double ratio(double num, double den) { return den > 0 ? num / den : NAN; }

static void rows_usb(const struct step *steps, size_t n, const struct results *opt, const struct results *naive,
		     bool have_harness)
{
	const struct results *res[2] = { opt, naive };
	const struct sample *last = &opt->usb[USB_STEPS - 1], *last_naive = naive ? &naive->usb[USB_STEPS - 1] : NULL;
	double usb[2][2] = { { 0 } }, in[2][2] = { { 0 } }; /* [opt/naive][exchanges/frames] */
	bool agree = have_harness;
	struct row *r;

	for (size_t i = 0; i < USB_STEPS; i++) {
		double in_ex[2] = { NAN, NAN }, in_fr[2] = { NAN, NAN };
		const struct sample *bad;
		bool row_ok = have_harness;

		if (!usb_steps[i].name[0])
			continue;
		r = row_new(6, "ex/fr", "%s via USB", usb_steps[i].name);
		snprintf(r->target, sizeof(r->target), "= in-process");
		for (int k = 0; k < 2 && res[k]; k++) {
			const struct sample *u = &res[k]->usb[i], *p = section1_sample(steps, n, res[k], usb_steps[i].name);

			put_sample(k ? r->naive : r->v, u);
			row_ok = row_ok && same_counts(u, p);
			if (p && p->done && !p->err) {
				in_ex[k] = p->ex;
				in_fr[k] = p->fr;
			}
			if (!same_counts(u, p))
				continue;
			usb[k][0] += u->ex;
			usb[k][1] += u->fr;
			in[k][0] += p->ex;
			in[k][1] += p->fr;
		}
		agree = agree && row_ok;
		r->status = !have_harness ? "skip" : row_ok ? "PASS" : "MISS";
		bad = opt->usb[i].err ? &opt->usb[i] : naive && naive->usb[i].err ? &naive->usb[i] : NULL;
		row_note(r, "in-process %.0f/%.0f, naive %.0f/%.0f%s%s", in_ex[0], in_fr[0], in_ex[1], in_fr[1],
			 bad ? "; USB error: " : "", bad ? strerror(-bad->err) : "");
	}
	r = row_new(6, "fr/ex", "frames per exchange, USB | in-process");
	r->v[0] = ratio(usb[0][1], usb[0][0]);
	r->v[1] = ratio(in[0][1], in[0][0]);
	r->naive[0] = ratio(usb[1][1], usb[1][0]);
	r->naive[1] = ratio(in[1][1], in[1][0]);
	snprintf(r->target, sizeof(r->target), "equal");
	r->status = !have_harness ? "skip" : agree ? "PASS" : "MISS";
	row_note(r, have_harness ? "IN first 1, OUT first (naive) 2: one frame model (emu_out_framed) on both paths"
				 : "skipped: tests/usb-emu-run not built (needs umockdev; make check builds it)");
	r = row_new(6, "ms/ex", "  wall time per exchange, SPI 64 KiB via USB");
	r->v[0] = last->done && !last->err ? ratio(last->wall_s * 1e3, last->ex) : NAN;
	if (last_naive && last_naive->done && !last_naive->err)
		r->naive[0] = ratio(last_naive->wall_s * 1e3, last_naive->ex);
	row_note(r, "host time: each URB is an ioctl round trip through umockdev (and this load); frames above are the model's");
}

/* ---- main ------------------------------------------------------------------------------------- */

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [--daemon PATH] [--naive PATH] [--minfs PATH] [--out FILE.csv] [--harness PATH] [--quick]\n"
		"Benchmark mcp2210fs on emulated devices (issue 5) and print one table.\n"
		"  --daemon PATH   the mcp2210fs to run (default ./mcp2210fs)\n"
		"  --naive PATH    its baseline, every optimisation off (default mcp2210fs-naive next to this program)\n"
		"  --minfs PATH    the minimal FUSE fs (default mcp2210fs-minfs next to this program)\n"
		"  --out FILE.csv  the CSV copy of the table (default bench-results.csv)\n"
		"  --harness PATH  tests/usb-emu-run: section 6 runs the daemon on its USB path under it\n"
		"  --quick         short loops, skip the 5 s transaction at 100 kbit/s (under a minute)\n",
		prog);
}

static char minfs_default[PATH_MAX], naive_default[PATH_MAX];

/* The program called name in this program's directory, into path[PATH_MAX]. */
static const char *next_to_self(char *path, const char *name)
{
	ssize_t n = readlink("/proc/self/exe", path, PATH_MAX - 32);
	char *slash;

	path[n > 0 ? n : 0] = '\0';
	slash = strrchr(path, '/');
	snprintf(slash ? slash + 1 : path, 32, "%s", name);
	return path;
}

static int parse_args(int argc, char *argv[], struct config *cfg)
{
	*cfg = (struct config){ .daemon = "./mcp2210fs", .naive = next_to_self(naive_default, "mcp2210fs-naive"),
				.minfs = next_to_self(minfs_default, "mcp2210fs-minfs"), .csv = "bench-results.csv" };
	for (int i = 1; i < argc; i++) {
		bool has_value = i + 1 < argc;

		if (strcmp(argv[i], "--quick") == 0)
			cfg->quick = true;
		else if (strcmp(argv[i], "--daemon") == 0 && has_value)
			cfg->daemon = argv[++i];
		else if (strcmp(argv[i], "--naive") == 0 && has_value)
			cfg->naive = argv[++i];
		else if (strcmp(argv[i], "--minfs") == 0 && has_value)
			cfg->minfs = argv[++i];
		else if (strcmp(argv[i], "--out") == 0 && has_value)
			cfg->csv = argv[++i];
		else if (strcmp(argv[i], "--harness") == 0 && has_value)
			cfg->harness = argv[++i];
		else
			return -EINVAL;
	}
	cfg->loop_s = cfg->quick ? 0.3 : 1.0;
	cfg->spi_s = cfg->quick ? 0.5 : 2.0;
	cfg->have_minfs = access(cfg->minfs, X_OK) == 0;
	if (cfg->harness && access(cfg->harness, X_OK) != 0)
		cfg->harness = NULL;
	return 0;
}

static int setup(const struct config *cfg)
{
	return mnt_setup("mcp2210fs-bench", cfg->quick ? 90 : 240);
}

static void build_rows(const struct step *steps, size_t nsteps, const struct results *opt, const struct results *naive,
		       const struct latency *minfs, double minfs_hwm, double flash_growth, bool have_harness)
{
	rows_section1(steps, nsteps, opt, naive);
	rows_spi(steps, nsteps, opt, naive);
	rows_readers(opt, naive);
	rows_busy_read(opt, naive);
	rows_cost(opt, naive, minfs);
	rows_scale(opt, naive);
	rows_memory(opt, naive, minfs_hwm, flash_growth);
	rows_usb(steps, nsteps, opt, naive, have_harness);
}

static struct results res_opt, res_naive;

int main(int argc, char *argv[])
{
	struct step steps[MAX_STEPS];
	size_t nsteps = steps_build(steps);
	struct config cfg;
	struct latency minfs;
	double minfs_hwm, flash_growth, t0 = mnt_now_s();
	struct mnt *opt, *naive;
	int ret;

	if (parse_args(argc, argv, &cfg) < 0) {
		usage(argv[0]);
		return 2;
	}
	if (setup(&cfg) < 0)
		return 1;
	flash_growth = bench_flash_rss_growth_mib();
	setvbuf(stdout, NULL, _IOLBF, 0);
	fprintf(stderr, "mcp2210fs-bench: %s, daemon %s%s\n[1-2] 1 ms frame model, optimised\n",
		cfg.quick ? "quick" : "full", cfg.daemon, cfg.have_minfs ? "" : "; minimal FUSE fs not found");
	if (!(opt = daemon_start(&cfg, FRAME_US, false, "opt"))) {
		fprintf(stderr, "mcp2210fs-bench: cannot mount %s: %s\n", cfg.daemon, mnt_last_log_line);
		return 1;
	}
	measure_frames(opt, &cfg, steps, nsteps, &res_opt);
	mnt_stop(opt, true);
	naive = daemon_start(&cfg, FRAME_US, true, "naive");
	naive_available = naive != NULL;
	fprintf(stderr, naive ? "[1-2] naive\n" : "naive: not available (%s)\n", mnt_last_log_line);
	if (naive) {
		measure_frames(naive, &cfg, steps, nsteps, &res_naive);
		mnt_stop(naive, true);
	}
	fprintf(stderr, "[3] daemon cost, emu_frame_us=0\n");
	measure_cost(&cfg, &res_opt, &res_naive, &minfs, &minfs_hwm);
	fprintf(stderr, "[4] scale, %d devices\n", SCALE_DEVICES);
	measure_scale(&cfg, false, &res_opt.scale);
	if (naive_available)
		measure_scale(&cfg, true, &res_naive.scale);
	if (cfg.harness) {
		fprintf(stderr, "[6] USB path under %s\n", cfg.harness);
		measure_usb(&cfg, false, &res_opt);
		if (naive_available)
			measure_usb(&cfg, true, &res_naive);
	}
	build_rows(steps, nsteps, &res_opt, naive_available ? &res_naive : NULL, &minfs, minfs_hwm, flash_growth,
		   cfg.harness != NULL);
	print_table();
	ret = write_csv(cfg.csv);
	if (ret < 0)
		fprintf(stderr, "mcp2210fs-bench: cannot write %s: %s\n", cfg.csv, strerror(-ret));
	fprintf(stderr, "mcp2210fs-bench: done in %.0f s; CSV in %s\n", mnt_now_s() - t0, cfg.csv);
	return ret < 0 ? 1 : 0;
}
