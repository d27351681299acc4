/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mcp2210fs-soak (issue 6): one emulated MCP2210 with a loopback on CS1, 16 clients doing a
 * random mix of every kind of operation for a bounded time while a thread injects random faults
 * through emulator/. Fails on a daemon crash, an operation slower than its bound, a wrong byte,
 * an errno the faults do not explain, a short read or write, or daemon RSS growth.
 */
#include <errno.h>
#include <fcntl.h>
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mnt.h"

#define PROG "mcp2210fs-soak"
#define CLIENTS_MAX 16
#define EEPROM_SIZE 256
#define XFER_MAX 65535
#define XFER_TYPICAL 4096     /* most transactions are 1..4096 bytes, 1 in 64 up to 65535 */
#define BITRATE 12000000      /* the chip's fastest clock: a 64 KiB transaction takes 44 ms */
#define ERRNO_MAX 134
#define HANG_S 30.0           /* an operation still running after this is a hang */
#define RSS_MARGIN_MIB 2.0    /* daemon RSS may grow by this much from warm-up to the end */
#define ASAN_QUARANTINE_MIB 4 /* see sanitizer_env() */
#define ASAN_RSS_EXTRA_MIB 8  /* the quarantine and ASan's per-size free lists, see sanitizer_env() */
#define QUIET_ROUNDS 3        /* per operation kind and client, after the faults stop */
#define VIOLATIONS_SHOWN 40
#define PROGRESS_S 10.0       /* a progress line this often */
#define WARMUP_MAX 0.3        /* of the run, at most, to let RSS settle */
#define SETTLED_MIB 0.1       /* RSS growth in a second that counts as settled */

#ifndef __has_feature
#define __has_feature(x) 0
#endif
/* Built with the sanitizers (CI): the daemon is too, and everything runs 2-3 times slower. */
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/* ---- configuration ------------------------------------------------------------------------- */

struct config {
	const char *daemon;
	double seconds;
	unsigned clients;
	unsigned timeout_ms;
	/* 0 by default: the chip answers at once, so every second holds as many operations (and
	 * interleavings with faults) as the host can run. The 1 ms frame timing is the bench's
	 * subject and check_emu_timing's; --frame-us=1000 soaks in it too. */
	unsigned frame_us;
	uint64_t seed;
	double slow; /* SANITIZED: allowances for CPU time are multiplied by this */
};

static struct config cfg;

/* Under AddressSanitizer freed memory is held in a quarantine (256 MiB by default) before it is
 * reused, which reads as RSS growth until it is full, and the allocator's per-size free lists
 * keep filling for tens of seconds after the warm-up (+2.5 to +4.3 MiB in the last 15 s of
 * 20 s runs): the daemon gets a 4 MiB quarantine (a use after free is still caught within the
 * last 4 MiB freed) and RSS may grow by 8 MiB more. With --frame-us the daemon frees so little
 * per second that a short run does not get that far. Leaks are LeakSanitizer's to find, at the
 * daemon's exit, whose status must be 0. */
static double rss_margin_mib(void) { return RSS_MARGIN_MIB + (SANITIZED ? ASAN_RSS_EXTRA_MIB : 0); }

static void sanitizer_env(void)
{
	if (SANITIZED) {
		const char *old = getenv("ASAN_OPTIONS");
		char opts[512];

		snprintf(opts, sizeof(opts), "%s%squarantine_size_mb=%d", old ? old : "", old && *old ? ":" : "",
			 ASAN_QUARANTINE_MIB);
		setenv("ASAN_OPTIONS", opts, 1);
	}
}

/* The latency bound of one operation, from what the emulated chip did while it ran (read from
 * emulator/counters just before and just after it, so the window covers the operation):
 *   BASE_MS                             scheduling, FUSE and the client's own work
 * + (faults fired + 1) x timeout x 1.25  each injected fault costs at most one exchange timeout;
 *                                       +1 for one that fired before and was still being waited
 *                                       out when the operation started
 * + SPI bytes clocked x 8/bitrate x 1.25  the host waits for the clock of every transaction,
 *                                       its own and those queued ahead of it
 * + exchanges x (EXCHANGE_US + 2 frames)  every exchange the one worker did meanwhile
 * BASE_MS and EXCHANGE_US are CPU time: x3 under the sanitizers. */
#define BASE_MS 250.0
#define EXCHANGE_US 50.0

static double bound_s(long long faults, long long spi_bytes, long long exchanges)
{
	return cfg.slow * BASE_MS / 1e3 + (double)(faults + 1) * cfg.timeout_ms / 1e3 * 1.25 +
	       (double)spi_bytes * 8.0 / BITRATE * 1.25 +
	       (double)exchanges * (cfg.slow * EXCHANGE_US + 2.0 * cfg.frame_us) / 1e6;
}

/* ---- the device's configuration, also its power-up settings --------------------------------- */

/* GP1 is CS1 (the loopback), GP0 and GP2..GP5 are outputs each owned by one client, GP6 counts
 * falling edges, GP7 is an input, GP8 the bus release request through which the injected
 * external master takes the bus (src/emu/emu_bus.c). Written to settings and nvram/settings at the start,
 * so a power cycle or a replug brings back exactly this. */
static const char config_text[] = "gp0_function=gpio\n"
				  "gp1_function=cs\n"
				  "gp2_function=gpio\n"
				  "gp3_function=gpio\n"
				  "gp4_function=gpio\n"
				  "gp5_function=gpio\n"
				  "gp6_function=interrupt\n"
				  "gp7_function=gpio\n"
				  "gp8_function=bus_release_request\n"
				  "gpio_value=0x000\n"
				  "gpio_direction=0x1c2\n"
				  "interrupt_mode=falling\n"
				  "spi_bitrate=12000000\n"
				  "spi_mode=0\n"
				  "spi_cs_idle=0x1ff\n"
				  "spi_cs_active=0x1fd\n";

static const int owned_pins[] = { 0, 2, 3, 4, 5 };
#define OWNED_PINS (sizeof(owned_pins) / sizeof(owned_pins[0]))

/* What the files must read while the device is present: settings without its gpio_value line
 * (the owners move the latch), nvram/settings and info exactly. */
static char ref_settings[4096], ref_nvram[4096], ref_info[1024];
static char ref_function[9][32], ref_direction[9][8];

static struct mnt *mnt;

/* ---- violations ----------------------------------------------------------------------------- */

static atomic_uint violations;

static PRINTF_LIKE(1, 2) void violation(const char *fmt, ...)
{
	unsigned n = atomic_fetch_add(&violations, 1);
	char line[512];
	va_list ap;

	if (n >= VIOLATIONS_SHOWN)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: FAIL: %s\n", PROG, line);
}

/* ---- random numbers ------------------------------------------------------------------------- */

static uint64_t rnd(uint64_t *s) /* xorshift64* */
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static unsigned rnd_in(uint64_t *s, unsigned lo, unsigned hi) { return lo + (unsigned)(rnd(s) % (hi - lo + 1)); }

/* ---- the operations -------------------------------------------------------------------------- */

enum op {
	OP_XFER,
	OP_GPIO_READ,
	OP_GPIO_WRITE,
	OP_DIRECTION,
	OP_FUNCTION,
	OP_INTERRUPT,
	OP_SETTINGS,
	OP_SETTINGS_WRITE,
	OP_NVRAM,
	OP_STATUS,
	OP_STATS,
	OP_INFO,
	OP_EEPROM_READ,
	OP_EEPROM_WRITE,
	OP_COUNT,
};

struct tally {
	uint64_t ops, ok;
	uint64_t err[ERRNO_MAX + 1]; /* by errno; the last slot counts larger ones */
	double max_s, bound_at_max_s;
	double worst_ratio, worst_s, worst_bound_s;
};

struct client {
	pthread_t thread;
	unsigned id;
	uint64_t rng;
	int xfer_fd, eeprom_fd, counters_fd;
	int pin;                 /* owned output pin, or -1 */
	unsigned eeprom_off, eeprom_len; /* owned EEPROM bytes */
	uint8_t eeprom[EEPROM_SIZE];
	bool known[EEPROM_SIZE]; /* the chip holds eeprom[i] for sure */
	uint8_t *tx, *rx;
	uint64_t spi_verified;
	bool quiet;              /* faults are off: every operation must succeed */
	_Atomic double started;  /* the running operation's start, 0 when idle (for the watchdog) */
	_Atomic int running;
	atomic_bool finished;
	struct tally tally[OP_COUNT];
};

static struct client clients[CLIENTS_MAX];
static atomic_bool stop;
/* During warm-up 1 transaction in 4 is a long one: every FUSE thread the daemon will ever start
 * gets started, and its allocator sees the largest buffers, before RSS is first measured. */
static atomic_bool warming;
/* What the injector does over a span of time, each counted up at its start and at its end
 * (odd while it lasts), so that a client can tell whether it overlapped its operation: only a
 * power cycle or an unplug may take a pin's level, only an unplug explains ENODEV, only the
 * external master (or a fault) EBUSY. */
enum window { W_POWER_CYCLE, W_UNPLUG, W_EXTERNAL_MASTER, W_COUNT };

static atomic_uint windows[W_COUNT];

static void windows_now(unsigned seq[W_COUNT])
{
	for (int w = 0; w < W_COUNT; w++)
		seq[w] = atomic_load(&windows[w]);
}

/* Whether window w was open at some time between the snapshots before and after. */
static bool overlapped(const unsigned before[W_COUNT], const unsigned after[W_COUNT], enum window w)
{
	return before[w] % 2 || before[w] != after[w];
}

/* Reads a text file like cat(1); the text or -errno. */
static ssize_t read_text(const char *rel, char *buf, size_t size) { return mnt_read(mnt, rel, buf, size); }

static void text_violation(const struct client *c, const char *rel, const char *want, const char *got)
{
	violation("client %u: %s reads \"%.*s\", expected \"%.*s\"", c->id, rel, (int)strcspn(got, "\n"), got,
		  (int)strcspn(want, "\n"), want);
}

/* Reads rel and compares it with want; with skip, the line starting with skip is left out. */
static int read_expect(struct client *c, const char *rel, const char *want, const char *skip)
{
	char text[4096], kept[4096];
	size_t len = 0;
	ssize_t n = read_text(rel, text, sizeof(text));

	if (n < 0)
		return (int)n;
	for (const char *p = text; *p;) {
		size_t l = strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n');

		if (!skip || strncmp(p, skip, strlen(skip)) != 0) {
			memcpy(kept + len, p, l);
			len += l;
		}
		p += l;
	}
	kept[len] = '\0';
	if (strcmp(kept, want) != 0)
		text_violation(c, rel, want, kept);
	return 0;
}

static int read_bit(struct client *c, const char *rel, int *bit)
{
	char text[16];
	ssize_t n = read_text(rel, text, sizeof(text));

	if (n < 0)
		return (int)n;
	if (strcmp(text, "0\n") != 0 && strcmp(text, "1\n") != 0) {
		text_violation(c, rel, "0 or 1", text);
		return 0;
	}
	*bit = text[0] - '0';
	return 0;
}

/* One transaction on the loopback: write(2), then read back every byte and one more read that
 * must find nothing. A failed write leaves nothing to read. */
static int op_xfer(struct client *c)
{
	unsigned big = atomic_load(&warming) ? 4 : 64;
	size_t len = rnd(&c->rng) % big == 0 ? rnd_in(&c->rng, XFER_TYPICAL + 1, XFER_MAX) : rnd_in(&c->rng, 1, XFER_TYPICAL);
	size_t got = 0;
	ssize_t w, r;

	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = rnd(&c->rng);

		memcpy(c->tx + i, &v, len - i < 8 ? len - i : 8);
	}
	c->tx[0] = (uint8_t)c->id;
	w = write(c->xfer_fd, c->tx, len);
	if (w < 0) {
		int err = errno;

		r = read(c->xfer_fd, c->rx, 1);
		if (r != 0)
			violation("client %u: read after a failed %zu-byte transaction (%s) gives %zd", c->id, len,
				  strerrorname_np(err), r);
		return -err;
	}
	if ((size_t)w != len) {
		violation("client %u: short write to spi/xfer: %zd of %zu bytes reported as success", c->id, w, len);
		return 0;
	}
	while (got < len) {
		r = read(c->xfer_fd, c->rx + got, len - got);
		if (r <= 0) {
			violation("client %u: spi/xfer read after a %zu-byte transaction: %s at byte %zu", c->id, len,
				  r < 0 ? strerrorname_np(errno) : "end of file", got);
			return 0;
		}
		got += (size_t)r;
	}
	if (memcmp(c->tx, c->rx, len) != 0) {
		size_t i = 0;

		while (c->tx[i] == c->rx[i])
			i++;
		violation("client %u: %zu-byte transaction: byte %zu came back 0x%02x, sent 0x%02x", c->id, len, i, c->rx[i],
			  c->tx[i]);
		return 0;
	}
	r = read(c->xfer_fd, c->rx, 1);
	if (r != 0)
		violation("client %u: spi/xfer gives %zd more after all %zu bytes of a transaction", c->id, r, len);
	c->spi_verified += len;
	return 0;
}

static int op_gpio_read(struct client *c)
{
	char rel[32];
	int bit;

	snprintf(rel, sizeof(rel), "gpio/%u/value", rnd_in(&c->rng, 0, 8));
	return read_bit(c, rel, &bit);
}

/* The owner drives its pin and reads it back: the same level unless the chip was power cycled
 * or unplugged meanwhile. */
static int op_gpio_write(struct client *c)
{
	char rel[32];
	int level = (int)(rnd(&c->rng) & 1), bit = -1, ret;
	unsigned before[W_COUNT], after[W_COUNT];

	if (c->pin < 0)
		return op_gpio_read(c);
	snprintf(rel, sizeof(rel), "gpio/%d/value", c->pin);
	windows_now(before);
	ret = mnt_write(mnt, rel, level ? "1" : "0");
	if (ret == 0)
		ret = read_bit(c, rel, &bit);
	windows_now(after);
	if (ret == 0 && bit >= 0 && bit != level && !overlapped(before, after, W_POWER_CYCLE) &&
	    !overlapped(before, after, W_UNPLUG))
		violation("client %u: GP%d written %d reads back %d", c->id, c->pin, level, bit);
	return ret;
}

static int op_direction(struct client *c)
{
	unsigned pin = rnd_in(&c->rng, 0, 8);
	char rel[32];

	snprintf(rel, sizeof(rel), "gpio/%u/direction", pin);
	return read_expect(c, rel, ref_direction[pin], NULL);
}

static int op_function(struct client *c)
{
	unsigned pin = rnd_in(&c->rng, 0, 8);
	char rel[32];

	snprintf(rel, sizeof(rel), "gpio/%u/function", pin);
	return read_expect(c, rel, ref_function[pin], NULL);
}

static int op_interrupt(struct client *c)
{
	char text[32], *end;
	ssize_t n = read_text("interrupt/count", text, sizeof(text));

	if (n < 0)
		return (int)n;
	errno = 0;
	(void)strtoul(text, &end, 10);
	if (end == text || strcmp(end, "\n") != 0 || errno)
		text_violation(c, "interrupt/count", "a count", text);
	return 0;
}

/* Writes back every key but gpio_value with the values it has: all or nothing, and nothing to
 * send when the cache is right. */
static int op_settings_write(struct client *c)
{
	(void)c;
	return mnt_write(mnt, "settings", ref_settings);
}

static int op_status(struct client *c)
{
	char text[512];
	ssize_t n = read_text("status", text, sizeof(text));

	if (n < 0)
		return (int)n;
	if (strcmp(text, "device: gone\n") != 0 &&
	    (strncmp(text, "device: present\nbus_owner: ", 27) != 0 || !strstr(text, "password_guessed: ")))
		text_violation(c, "status", "device: present|gone ...", text);
	return 0;
}

static int op_stats(struct client *c)
{
	char text[512];
	ssize_t n = read_text("stats", text, sizeof(text));

	if (n < 0)
		return (int)n;
	if (mnt_kv_get(text, "exchanges") < 0 || mnt_kv_get(text, "coalesced") < 0)
		text_violation(c, "stats", "exchanges: N ... coalesced: N", text);
	return 0;
}

/* Counted as the errno of an EEPROM read or write cut short whose next call worked: ESTALE,
 * which the daemon never returns, so the tally shows such cuts apart. */
#define SOAK_CUT ESTALE

/* A read or write cut short (POSIX: the count of bytes done; the next call reports the error)
 * is partial success, and its cut needs a cause like any error: the error of the next call
 * on the rest, or, when that call works (the device back already), SOAK_CUT. */
static int short_count_cause(struct client *c, const char *what, ssize_t n, unsigned len, unsigned off)
{
	uint8_t rest[EEPROM_SIZE];
	ssize_t again;

	if (n == 0) {
		violation("client %u: eeprom %s of %u bytes at %u returns 0", c->id, what, len, off);
		return 0;
	}
	again = pread(c->eeprom_fd, rest, len - (size_t)n, off + (unsigned)n);
	return again < 0 ? -errno : -SOAK_CUT;
}

/* A region of the client's own bytes; every byte it knows must read back as written. */
static int op_eeprom_read(struct client *c)
{
	uint8_t buf[EEPROM_SIZE];
	unsigned off = c->eeprom_off + rnd_in(&c->rng, 0, c->eeprom_len - 1);
	unsigned len = rnd_in(&c->rng, 1, c->eeprom_off + c->eeprom_len - off);
	ssize_t n = pread(c->eeprom_fd, buf, len, off);
	int ret = 0;

	if (n < 0)
		return -errno;
	if ((size_t)n != len) {
		ret = short_count_cause(c, "read", n, len, off);
		len = (unsigned)n; /* the bytes before the cut are good */
	}
	for (unsigned i = 0; i < len; i++)
		if (c->known[off + i] && buf[i] != c->eeprom[off + i])
			violation("client %u: eeprom byte %u reads 0x%02x, was written 0x%02x", c->id, off + i, buf[i],
				  c->eeprom[off + i]);
	return ret;
}

/* A failed write may have changed any of its bytes: they are unknown until written again. */
static int op_eeprom_write(struct client *c)
{
	uint8_t buf[EEPROM_SIZE];
	unsigned off = c->eeprom_off + rnd_in(&c->rng, 0, c->eeprom_len - 1);
	unsigned len = rnd_in(&c->rng, 1, c->eeprom_off + c->eeprom_len - off);
	ssize_t n;

	for (unsigned i = 0; i < len; i++)
		buf[i] = (uint8_t)rnd(&c->rng);
	n = pwrite(c->eeprom_fd, buf, len, off);
	for (unsigned i = 0; i < len; i++) {
		/* a write cut short wrote the bytes it counts; the byte where it stopped is unknown */
		c->known[off + i] = n >= 0 && (ssize_t)i < n;
		c->eeprom[off + i] = buf[i];
	}
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return short_count_cause(c, "write", n, len, off);
	return 0;
}

static int op_settings(struct client *c) { return read_expect(c, "settings", ref_settings, "gpio_value="); }

static int op_nvram(struct client *c) { return read_expect(c, "nvram/settings", ref_nvram, NULL); }

static int op_info(struct client *c) { return read_expect(c, "info", ref_info, NULL); }

struct op_kind {
	const char *name;
	unsigned weight;
	bool device; /* reaches the chip: may fail with the errnos of a faulty device */
	int (*run)(struct client *c); /* 0 or -errno; reports what it finds wrong */
};

static const struct op_kind ops[OP_COUNT] = {
	[OP_XFER] = { "spi/xfer", 30, true, op_xfer },
	[OP_GPIO_READ] = { "gpio value read", 12, true, op_gpio_read },
	[OP_GPIO_WRITE] = { "gpio value write", 10, true, op_gpio_write },
	[OP_DIRECTION] = { "gpio direction read", 5, true, op_direction },
	[OP_FUNCTION] = { "gpio function read", 3, true, op_function },
	[OP_INTERRUPT] = { "interrupt/count", 5, true, op_interrupt },
	[OP_SETTINGS] = { "settings read", 5, true, op_settings },
	[OP_SETTINGS_WRITE] = { "settings write", 2, true, op_settings_write },
	[OP_NVRAM] = { "nvram/settings read", 2, true, op_nvram },
	[OP_STATUS] = { "status", 5, true, op_status },
	[OP_STATS] = { "stats", 4, false, op_stats },
	[OP_INFO] = { "info", 4, false, op_info },
	[OP_EEPROM_READ] = { "eeprom read", 7, true, op_eeprom_read },
	[OP_EEPROM_WRITE] = { "eeprom write", 6, true, op_eeprom_write },
};

/* What happened while an operation ran. */
struct span {
	long long faults;     /* injected faults that fired (the chip's count) */
	bool unplugged;       /* the cable was out, or being pulled or put back, at some time */
	bool external_master; /* another SPI master owned the bus at some time */
};

/* Each error must have a cause that overlapped the operation: a fault that fired in one of its
 * own exchanges (ETIMEDOUT: no or a late answer; EIO: a garbled or misrouted answer, a failed or
 * silently wrong EEPROM write; EBUSY: an SPI stall), the cable out (ENODEV) or the bus taken
 * (EBUSY). Never EINVAL, EINTR, EPERM, and nothing from operations that do not reach the chip. */
static bool explained(enum op op, int err, const struct span *s)
{
	if (!ops[op].device)
		return false;
	switch (err) {
	case ENODEV:
		return s->unplugged;
	case EBUSY:
		return s->faults > 0 || s->external_master;
	case ETIMEDOUT:
	case EIO:
		return s->faults > 0;
	case SOAK_CUT:
		return s->faults > 0 || s->unplugged;
	default:
		return false;
	}
}

static int counters_now(struct client *c, struct mnt_counters *k)
{
	char text[512];
	ssize_t n = pread(c->counters_fd, text, sizeof(text) - 1, 0);

	if (n <= 0) {
		violation("client %u: emulator/counters: %s", c->id, n < 0 ? strerrorname_np(errno) : "empty");
		return -1;
	}
	text[n] = '\0';
	mnt_counters_parse(text, k);
	return 0;
}

static void tally_op(struct client *c, enum op op, int ret, double lat, double bound, const struct span *s)
{
	struct tally *t = &c->tally[op];
	double ratio = lat / bound;

	t->ops++;
	if (ret == 0)
		t->ok++;
	else
		t->err[-ret < ERRNO_MAX ? -ret : ERRNO_MAX]++;
	if (lat > t->max_s) {
		t->max_s = lat;
		t->bound_at_max_s = bound;
	}
	if (ratio > t->worst_ratio) {
		t->worst_ratio = ratio;
		t->worst_s = lat;
		t->worst_bound_s = bound;
	}
	if (ret < 0 && (c->quiet || !explained(op, -ret, s)))
		violation("client %u: %s: %s%s (meanwhile %lld faults fired%s%s)", c->id, ops[op].name,
			  strerrorname_np(-ret),
			  c->quiet ? " after the faults stopped" : ": not explained by what was injected", s->faults,
			  s->unplugged ? ", unplugged" : "", s->external_master ? ", external master" : "");
}

/* One operation between two looks at the chip's counters. */
static void op_measure(struct client *c, enum op op)
{
	unsigned before[W_COUNT], after[W_COUNT];
	struct mnt_counters a, b;
	double t0, t1, bound;
	struct span s;
	int ret;

	windows_now(before);
	if (counters_now(c, &a) < 0)
		return;
	t0 = mnt_now_s();
	atomic_store(&c->started, t0);
	atomic_store(&c->running, (int)op);
	ret = ops[op].run(c);
	t1 = mnt_now_s();
	atomic_store(&c->started, 0.0);
	if (counters_now(c, &b) < 0)
		return;
	windows_now(after);
	s = (struct span){ .faults = b.faults - a.faults, .unplugged = overlapped(before, after, W_UNPLUG),
			   .external_master = overlapped(before, after, W_EXTERNAL_MASTER) };
	bound = bound_s(s.faults, b.spi_bytes - a.spi_bytes, b.exchanges - a.exchanges);
	tally_op(c, op, ret, t1 - t0, bound, &s);
	if (t1 - t0 > bound)
		violation("client %u: %s took %.1f ms, bound %.1f ms (meanwhile %lld faults fired, %lld SPI bytes, %lld exchanges)",
			  c->id, ops[op].name, (t1 - t0) * 1e3, bound * 1e3, b.faults - a.faults, b.spi_bytes - a.spi_bytes,
			  b.exchanges - a.exchanges);
}

static enum op op_pick(struct client *c)
{
	unsigned total = 0, r;

	for (int i = 0; i < OP_COUNT; i++)
		total += ops[i].weight;
	r = (unsigned)(rnd(&c->rng) % total);
	for (int i = 0; i < OP_COUNT; i++) {
		if (r < ops[i].weight)
			return (enum op)i;
		r -= ops[i].weight;
	}
	return OP_INFO;
}

static void *client_main(void *arg)
{
	struct client *c = arg;

	if (c->quiet) {
		for (int r = 0; r < QUIET_ROUNDS; r++)
			for (int op = 0; op < OP_COUNT; op++)
				op_measure(c, (enum op)op);
		atomic_store(&c->finished, true);
		return NULL;
	}
	while (!atomic_load(&stop))
		op_measure(c, op_pick(c));
	atomic_store(&c->finished, true);
	return NULL;
}

static int client_open(struct client *c, unsigned id, unsigned n)
{
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->rng = cfg.seed ^ (0x9e3779b97f4a7c15ull * (id + 1));
	c->pin = id < OWNED_PINS ? owned_pins[id] : -1;
	c->eeprom_len = EEPROM_SIZE / n;
	c->eeprom_off = id * c->eeprom_len;
	c->tx = malloc(XFER_MAX);
	c->rx = malloc(XFER_MAX);
	c->xfer_fd = mnt_open(mnt, "spi/xfer", O_RDWR);
	c->eeprom_fd = mnt_open(mnt, "eeprom", O_RDWR);
	c->counters_fd = mnt_open(mnt, "emulator/counters", O_RDONLY);
	if (!c->tx || !c->rx || c->xfer_fd < 0 || c->eeprom_fd < 0 || c->counters_fd < 0)
		return -1;
	return 0;
}

static void client_close(struct client *c)
{
	if (c->xfer_fd > 0)
		close(c->xfer_fd);
	if (c->eeprom_fd > 0)
		close(c->eeprom_fd);
	if (c->counters_fd > 0)
		close(c->counters_fd);
	free(c->tx);
	free(c->rx);
}

/* ---- the fault injector ---------------------------------------------------------------------- */

enum fault {
	F_NO_ANSWER,
	F_LATE_ANSWER,
	F_CORRUPT,
	F_WRONG_ECHO,
	F_BUSY,
	F_SPI_STALL,
	F_DISCONNECT,
	F_EEPROM_WRITE,
	F_SILENT_WRITE,
	F_EXTERNAL_MASTER,
	F_POWER_CYCLE,
	F_COUNT,
};

/* Counts for emulator/faults, kept small: busy up to 5 is retried by the daemon (it allows 50). */
static const struct {
	const char *name;
	unsigned min, max;
} faults[F_COUNT] = {
	[F_NO_ANSWER] = { "no_answer", 1, 2 },     [F_LATE_ANSWER] = { "late_answer", 1, 2 },
	[F_CORRUPT] = { "corrupt", 1, 3 },         [F_WRONG_ECHO] = { "wrong_echo", 1, 3 },
	[F_BUSY] = { "busy", 1, 5 },               [F_SPI_STALL] = { "spi_stall", 1, 1 },
	[F_DISCONNECT] = { "disconnect", 0, 3 },   [F_EEPROM_WRITE] = { "eeprom_write", 1, 2 },
	[F_SILENT_WRITE] = { "silent_write", 1, 1 }, [F_EXTERNAL_MASTER] = { "external_master", 0, 0 },
	[F_POWER_CYCLE] = { "power_cycle", 0, 0 },
};

struct injector {
	pthread_t thread;
	uint64_t rng;
	uint64_t count[F_COUNT], units[F_COUNT];
	uint64_t input_changes;
	uint64_t direct_unplugs; /* disconnects by writing 0 to emulator/plugged */
	double unplugged_s;
};

static struct injector inj;

static void world_write(const char *rel, const char *value)
{
	int ret = mnt_write(mnt, rel, value);

	if (ret < 0)
		violation("fault injector: writing \"%s\" to %s: %s", value, rel, strerrorname_np(-ret));
}

/* Sleeps up to s, less when the run ends. */
static void nap(double s)
{
	double until = mnt_now_s() + s;

	for (double left = s; !atomic_load(&stop) && left > 0; left = until - mnt_now_s())
		mnt_sleep_s(left < 0.01 ? left : 0.01);
}

/* Pulls the cable: half the time at once (emulator/plugged, while the worker may be in the
 * middle of an exchange), else by a disconnect armed to happen after a few more reports. Waits
 * for it to happen, keeps the cable out for 5..50 ms and plugs it back in. */
static void unplug_replug(unsigned count, bool direct)
{
	char value[32], text[8];
	double t0 = mnt_now_s(), deadline = t0 + 5.0;

	snprintf(value, sizeof(value), "disconnect=%u", count);
	world_write(direct ? "emulator/plugged" : "emulator/faults", direct ? "0" : value);
	while (mnt_read(mnt, "emulator/plugged", text, sizeof(text)) > 0 && text[0] == '1') {
		if (mnt_now_s() > deadline) {
			violation("fault injector: an armed disconnect did not happen within 5 s");
			break;
		}
		mnt_sleep_s(0.001);
	}
	mnt_sleep_s(rnd_in(&inj.rng, 5, 50) / 1e3);
	world_write("emulator/plugged", "1");
	inj.unplugged_s += mnt_now_s() - t0;
}

static void inject(enum fault f)
{
	unsigned count = rnd_in(&inj.rng, faults[f].min, faults[f].max);
	char value[48];

	bool direct = f == F_DISCONNECT && rnd(&inj.rng) & 1;

	inj.count[f]++;
	inj.units[f] += direct ? 0 : count;
	inj.direct_unplugs += direct;
	switch (f) {
	case F_DISCONNECT:
		atomic_fetch_add(&windows[W_UNPLUG], 1);
		unplug_replug(count, direct);
		atomic_fetch_add(&windows[W_UNPLUG], 1);
		break;
	case F_POWER_CYCLE:
		atomic_fetch_add(&windows[W_POWER_CYCLE], 1);
		world_write("emulator/power_cycle", "1");
		atomic_fetch_add(&windows[W_POWER_CYCLE], 1);
		break;
	case F_EXTERNAL_MASTER:
		atomic_fetch_add(&windows[W_EXTERNAL_MASTER], 1);
		world_write("emulator/external_master", "1");
		mnt_sleep_s(rnd_in(&inj.rng, 5, 50) / 1e3);
		world_write("emulator/external_master", "0");
		atomic_fetch_add(&windows[W_EXTERNAL_MASTER], 1);
		break;
	default:
		snprintf(value, sizeof(value), "%s=%u", faults[f].name, count);
		world_write("emulator/faults", value);
		break;
	}
}

static void *injector_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		nap(rnd_in(&inj.rng, 20, 200) / 1e3);
		if (atomic_load(&stop))
			break;
		inject((enum fault)(rnd(&inj.rng) % F_COUNT));
		/* The world outside: GP6 edges for interrupt/count, GP7 for its readers. */
		if (rnd(&inj.rng) % 4 == 0) {
			char value[16];

			snprintf(value, sizeof(value), "6=%u 7=%u", (unsigned)(rnd(&inj.rng) & 1), (unsigned)(rnd(&inj.rng) & 1));
			world_write("emulator/inputs", value);
			inj.input_changes++;
		}
	}
	return NULL;
}

/* Every kind disarmed (a disconnect has always happened by now), the bus ours, the cable in. */
static void faults_off(void)
{
	char text[512];
	size_t len = 0;

	for (int f = 0; f < F_COUNT; f++)
		if (faults[f].max > 0 && f != F_DISCONNECT)
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%s=0\n", faults[f].name);
	world_write("emulator/faults", text);
	world_write("emulator/external_master", "0");
	world_write("emulator/plugged", "1");
}

/* ---- set-up ------------------------------------------------------------------------------------ */

static struct mnt *daemon_start(void)
{
	char opts[160];
	const char *pre[] = { cfg.daemon, "--emulate", "-f", "-o", opts, NULL };

	/* No state file: the emulated chip keeps NVRAM and EEPROM across power cycles anyway, and
	 * saving the file (with fsync) on every EEPROM byte would put disk latency, which no bound
	 * can predict, into the operations. */
	snprintf(opts, sizeof(opts), "emu_frame_us=%u,timeout=%u,nvram=rw,peripherals=loopback@1", cfg.frame_us,
		 cfg.timeout_ms);
	return mnt_start(pre, "soak");
}

/* settings and nvram/settings get the configuration; every reference text is read back. */
static int configure(void)
{
	char text[4096];
	int ret;

	if ((ret = mnt_write(mnt, "settings", config_text)) < 0 || (ret = mnt_write(mnt, "nvram/settings", config_text)) < 0) {
		fprintf(stderr, "%s: cannot configure the device: %s\n", PROG, strerrorname_np(-ret));
		return -1;
	}
	if (read_text("nvram/settings", ref_nvram, sizeof(ref_nvram)) < 0 || read_text("settings", text, sizeof(text)) < 0 ||
	    read_text("info", ref_info, sizeof(ref_info)) < 0) {
		fprintf(stderr, "%s: cannot read the configuration back\n", PROG);
		return -1;
	}
	if (strcmp(text, ref_nvram) != 0) {
		fprintf(stderr, "%s: settings and nvram/settings differ after configuring:\n%s---\n%s", PROG, text, ref_nvram);
		return -1;
	}
	/* Without the gpio_value line. */
	{
		const char *g = strstr(text, "gpio_value=");
		size_t at = g ? (size_t)(g - text) : strlen(text);

		snprintf(ref_settings, sizeof(ref_settings), "%.*s%s", (int)at, text,
			 g ? g + strcspn(g, "\n") + 1 : "");
	}
	for (unsigned pin = 0; pin < 9; pin++) {
		char rel[32];

		snprintf(rel, sizeof(rel), "gpio/%u/function", pin);
		if (read_text(rel, ref_function[pin], sizeof(ref_function[pin])) < 0)
			return -1;
		snprintf(rel, sizeof(rel), "gpio/%u/direction", pin);
		if (read_text(rel, ref_direction[pin], sizeof(ref_direction[pin])) < 0)
			return -1;
	}
	return 0;
}

/* ---- the run ------------------------------------------------------------------------------------ */

/* Why the run was cut short (a dead daemon, a hang), repeated last: the clients' violations
 * that follow it can fill the ones shown. */
static char fatal[256];

static bool daemon_alive(void)
{
	int status;

	if (mnt->pid > 0 && waitpid(mnt->pid, &status, WNOHANG) == mnt->pid) {
		if (WIFSIGNALED(status))
			snprintf(fatal, sizeof(fatal), "the daemon died: signal %d (%s)", WTERMSIG(status),
				 strsignal(WTERMSIG(status)));
		else
			snprintf(fatal, sizeof(fatal), "the daemon exited with status %d", WEXITSTATUS(status));
		violation("%s", fatal);
		mnt->pid = 0;
		return false;
	}
	return mnt->pid > 0;
}

/* The main thread's watch while clients run: the daemon alive, no operation hung. */
static bool watch(unsigned n, double until)
{
	while (mnt_now_s() < until) {
		mnt_sleep_s(0.05);
		if (!daemon_alive())
			return false;
		for (unsigned i = 0; i < n; i++) {
			double s = atomic_load(&clients[i].started);

			if (s > 0 && mnt_now_s() - s > HANG_S) {
				snprintf(fatal, sizeof(fatal), "client %u: %s still running after %.0f s: hung", i,
					 ops[atomic_load(&clients[i].running)].name, HANG_S);
				violation("%s", fatal);
				return false;
			}
		}
	}
	return true;
}

/* Racy sums, for a progress line only. */
static void progress(unsigned n, double at)
{
	uint64_t done = 0, failed = 0, injected = 0;

	for (unsigned i = 0; i < n; i++)
		for (int op = 0; op < OP_COUNT; op++) {
			done += clients[i].tally[op].ops;
			failed += clients[i].tally[op].ops - clients[i].tally[op].ok;
		}
	for (int f = 0; f < F_COUNT; f++)
		injected += inj.count[f];
	printf("%s: %3.0f s: %llu operations, %llu failed, %llu faults injected, daemon RSS %.2f MiB\n", PROG, at,
	       (unsigned long long)done, (unsigned long long)failed, (unsigned long long)injected,
	       mnt_proc_rss_mib(mnt->pid));
}

static bool clients_finished(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!atomic_load(&clients[i].finished))
			return false;
	return true;
}

static void threads_start(unsigned n, bool quiet)
{
	sigset_t saved;

	atomic_store(&stop, false);
	mnt_signals_block(true, &saved);
	for (unsigned i = 0; i < n; i++) {
		clients[i].quiet = quiet;
		atomic_store(&clients[i].finished, false);
		if (pthread_create(&clients[i].thread, NULL, client_main, &clients[i]) != 0) {
			fprintf(stderr, "%s: cannot start a client thread\n", PROG);
			exit(1);
		}
	}
	if (!quiet && pthread_create(&inj.thread, NULL, injector_main, NULL) != 0) {
		fprintf(stderr, "%s: cannot start the fault injector\n", PROG);
		exit(1);
	}
	mnt_signals_block(false, &saved);
}

/* At least min_s, then until the daemon's RSS grew by less than SETTLED_MIB in a second (the
 * allocator has all it will keep), at most until max_s: the RSS then is the start figure. A
 * leak never settles, and still shows as growth after max_s. */
static bool warm_up(unsigned n, double t0, double min_s, double max_s, double *rss)
{
	bool ok = watch(n, t0 + min_s);
	double prev = mnt_proc_rss_mib(mnt->pid);

	*rss = prev;
	while (ok && mnt_now_s() + 1.0 <= t0 + max_s) {
		ok = watch(n, mnt_now_s() + 1.0);
		*rss = mnt_proc_rss_mib(mnt->pid);
		if (*rss - prev < SETTLED_MIB)
			break;
		prev = *rss;
	}
	atomic_store(&warming, false);
	return ok;
}

/* Starts the clients (and the injector unless quiet), watches them for seconds (quiet ones end
 * by themselves), stops them. False after a hang or a dead daemon: the daemon is then ended, so
 * that every client's system call returns, and the caller reports and exits. */
static bool run_phase(unsigned n, double seconds, bool quiet, double warmup_s, double *rss_start)
{
	double t0 = mnt_now_s();
	bool ok = true;

	atomic_store(&warming, !quiet);
	threads_start(n, quiet);
	if (!quiet) {
		ok = warm_up(n, t0, warmup_s, seconds * WARMUP_MAX, rss_start);
		warmup_s = mnt_now_s() - t0;
		printf("%s: daemon RSS after %.1f s of warm-up: %.2f MiB\n", PROG, warmup_s, *rss_start);
		for (double t = t0 + warmup_s + PROGRESS_S; ok && t < t0 + seconds + PROGRESS_S; t += PROGRESS_S) {
			ok = watch(n, t < t0 + seconds ? t : t0 + seconds);
			if (ok && t < t0 + seconds)
				progress(n, t - t0);
		}
	}
	atomic_store(&stop, true);
	while (ok && !clients_finished(n))
		ok = watch(n, mnt_now_s() + 0.05);
	if (!ok && mnt->pid > 0) /* its log stays for the report */
		kill(mnt->pid, SIGKILL);
	if (!quiet)
		pthread_join(inj.thread, NULL);
	for (unsigned i = 0; i < n; i++)
		pthread_join(clients[i].thread, NULL);
	return ok;
}

/* After the faults: power cycle, then the chip itself (no cache) must hold what was written. */
static void final_checks(unsigned n)
{
	uint8_t chip[EEPROM_SIZE];
	unsigned known = 0;
	ssize_t got;
	int fd;

	world_write("emulator/power_cycle", "1");
	if ((got = read_expect(&clients[0], "settings", ref_settings, "gpio_value=")) < 0 ||
	    (got = read_expect(&clients[0], "nvram/settings", ref_nvram, NULL)) < 0)
		violation("settings after the power cycle: %s", strerrorname_np((int)-got));
	fd = mnt_open(mnt, "eeprom", O_RDONLY);
	got = fd < 0 ? fd : pread(fd, chip, sizeof(chip), 0);
	if (fd >= 0)
		close(fd);
	if (got != EEPROM_SIZE) {
		violation("eeprom read after the power cycle: %s", got < 0 ? strerrorname_np(errno) : "short");
		return;
	}
	for (unsigned i = 0; i < n; i++)
		for (unsigned b = clients[i].eeprom_off; b < clients[i].eeprom_off + clients[i].eeprom_len; b++) {
			if (!clients[i].known[b])
				continue;
			known++;
			if (chip[b] != clients[i].eeprom[b])
				violation("after a power cycle eeprom byte %u is 0x%02x, client %u wrote 0x%02x", b, chip[b], i,
					  clients[i].eeprom[b]);
		}
	printf("%s: after a final power cycle: settings as configured, %u known EEPROM bytes checked on the chip\n",
	       PROG, known);
}

/* ---- the summary --------------------------------------------------------------------------------- */

static void tally_merge(struct tally *sum, const struct tally *t)
{
	sum->ops += t->ops;
	sum->ok += t->ok;
	for (int e = 0; e <= ERRNO_MAX; e++)
		sum->err[e] += t->err[e];
	if (t->max_s > sum->max_s) {
		sum->max_s = t->max_s;
		sum->bound_at_max_s = t->bound_at_max_s;
	}
	if (t->worst_ratio > sum->worst_ratio) {
		sum->worst_ratio = t->worst_ratio;
		sum->worst_s = t->worst_s;
		sum->worst_bound_s = t->worst_bound_s;
	}
}

static void errors_text(const uint64_t *err, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int e = 1; e <= ERRNO_MAX && len < size; e++)
		if (err[e])
			len += (size_t)snprintf(buf + len, size - len, "%s%s %llu", len ? ", " : "",
						e == ERRNO_MAX ? "other" : strerrorname_np(e),
						(unsigned long long)err[e]);
	if (!len)
		snprintf(buf, size, "-");
}

static void print_summary(unsigned n, double rss_start, double rss_end, double hwm)
{
	struct tally all = { 0 }, kind;
	uint64_t spi = 0, injected = 0;
	char errs[256];

	printf("\n%-20s %9s %9s  %-40s %11s %11s %9s\n", "operation", "count", "ok", "errors by errno", "max ms",
	       "bound ms", "worst");
	for (int op = 0; op < OP_COUNT; op++) {
		memset(&kind, 0, sizeof(kind));
		for (unsigned i = 0; i < n; i++)
			tally_merge(&kind, &clients[i].tally[op]);
		tally_merge(&all, &kind);
		errors_text(kind.err, errs, sizeof(errs));
		printf("%-20s %9llu %9llu  %-40s %11.1f %11.1f %8.0f%%\n", ops[op].name, (unsigned long long)kind.ops,
		       (unsigned long long)kind.ok, errs, kind.max_s * 1e3, kind.bound_at_max_s * 1e3, kind.worst_ratio * 100);
	}
	errors_text(all.err, errs, sizeof(errs));
	printf("%-20s %9llu %9llu  %s\n", "all", (unsigned long long)all.ops, (unsigned long long)all.ok, errs);
	printf("(max ms: the slowest operation and the bound it had; worst: the highest latency/bound, %.1f of %.1f ms)\n",
	       all.worst_s * 1e3, all.worst_bound_s * 1e3);
	printf("\n%-20s %9s %9s  (units: the counts written to emulator/faults)\n", "fault injected", "times", "units");
	for (int f = 0; f < F_COUNT; f++) {
		printf("%-20s %9llu %9llu\n", faults[f].name, (unsigned long long)inj.count[f],
		       (unsigned long long)inj.units[f]);
		injected += inj.count[f];
	}
	printf("%-20s %9llu   (%llu of the disconnects by emulator/plugged, the others armed; unplugged %.1f s in all;\n"
	       "%-20s %9s    + %llu input changes on GP6/GP7)\n",
	       "all", (unsigned long long)injected, (unsigned long long)inj.direct_unplugs, inj.unplugged_s, "", "",
	       (unsigned long long)inj.input_changes);
	for (unsigned i = 0; i < n; i++)
		spi += clients[i].spi_verified;
	printf("\nSPI bytes sent and verified byte-exact on the loopback: %llu\n", (unsigned long long)spi);
	printf("daemon RSS: %.2f MiB after warm-up, %.2f MiB at the end (%+.2f MiB; allowed +%.1f MiB); peak %.2f MiB\n",
	       rss_start, rss_end, rss_end - rss_start, rss_margin_mib(), hwm);
}

static void print_device_figures(void)
{
	char text[1024];

	if (read_text("stats", text, sizeof(text)) >= 0)
		printf("\ndaemon stats:\n%s", text);
	if (read_text("emulator/counters", text, sizeof(text)) >= 0)
		printf("emulator counters:\n%s", text);
}

/* ---- main ---------------------------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [--seconds N] [--daemon PATH] [--clients N] [--timeout-ms MS] [--frame-us US] [--seed N]\n"
		"Soak mcp2210fs (issue 6): one emulated MCP2210, N clients doing random operations while random\n"
		"faults are injected; exit 0 only if nothing crashed, hung, was too slow, returned a wrong byte\n"
		"or an unexpected errno, and the daemon's RSS stayed flat.\n"
		"  --seconds N      how long the clients run (default $SOAK_SECONDS, else 60)\n"
		"  --daemon PATH    the mcp2210fs to run (default ./mcp2210fs)\n"
		"  --clients N      client threads, 1..%d (default %d)\n"
		"  --timeout-ms MS  the daemon's -o timeout (default 100)\n"
		"  --frame-us US    the emulator's -o emu_frame_us (default 0: answers at once)\n"
		"  --seed N         seed of the random choices (default: from the clock; printed)\n",
		PROG, CLIENTS_MAX, CLIENTS_MAX);
}

static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	return s[0] && !*end && !errno && *out <= max ? 0 : -1;
}

static int parse_args(int argc, char *argv[])
{
	const char *env = getenv("SOAK_SECONDS");
	unsigned long long v;

	cfg = (struct config){ .daemon = "./mcp2210fs", .seconds = 60, .clients = CLIENTS_MAX, .timeout_ms = 100,
			       .seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32), .slow = SANITIZED ? 3.0 : 1.0 };
	if (env && *env) {
		if (parse_uint(env, 86400, &v) < 0 || v == 0)
			return -1;
		cfg.seconds = (double)v;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			exit(0);
		}
		if (!val)
			return -1;
		i++;
		if (strcmp(a, "--daemon") == 0)
			cfg.daemon = val;
		else if (strcmp(a, "--seconds") == 0 && parse_uint(val, 86400, &v) == 0 && v > 0)
			cfg.seconds = (double)v;
		else if (strcmp(a, "--clients") == 0 && parse_uint(val, CLIENTS_MAX, &v) == 0 && v > 0)
			cfg.clients = (unsigned)v;
		else if (strcmp(a, "--timeout-ms") == 0 && parse_uint(val, 10000, &v) == 0 && v > 0)
			cfg.timeout_ms = (unsigned)v;
		else if (strcmp(a, "--frame-us") == 0 && parse_uint(val, 10000, &v) == 0)
			cfg.frame_us = (unsigned)v;
		else if (strcmp(a, "--seed") == 0 && parse_uint(val, UINT64_MAX, &v) == 0 && v > 0)
			cfg.seed = v;
		else
			return -1;
	}
	return 0;
}

int main(int argc, char *argv[])
{
	double warmup, rss_start = NAN, rss_end, hwm, t0;
	unsigned n, fails;
	bool ok;
	int status;

	if (parse_args(argc, argv) < 0) {
		usage(stderr);
		return 2;
	}
	n = cfg.clients;
	warmup = cfg.seconds < 10 ? 1.0 : cfg.seconds < 50 ? cfg.seconds / 10 : 5.0;
	if (mnt_setup(PROG, (unsigned)cfg.seconds + 180) < 0)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	sanitizer_env();
	printf("%s: %u clients for %.0f s, -o timeout=%u,emu_frame_us=%u, seed %llu%s\n", PROG, n, cfg.seconds,
	       cfg.timeout_ms, cfg.frame_us, (unsigned long long)cfg.seed, SANITIZED ? ", sanitizer build" : "");
	printf("%s: bound per operation = %.0f ms + (faults fired + 1) x %.0f ms + SPI bytes clocked x %.2f us"
	       " + exchanges x %.0f us (counted by the chip while it ran)\n",
	       PROG, cfg.slow * BASE_MS, cfg.timeout_ms * 1.25, 8e6 / BITRATE * 1.25,
	       cfg.slow * EXCHANGE_US + 2.0 * cfg.frame_us);
	mnt = daemon_start();
	if (!mnt) {
		fprintf(stderr, "%s: cannot mount %s: %s\n", PROG, cfg.daemon, mnt_last_log_line);
		return 1;
	}
	if (configure() < 0)
		return 1;
	for (unsigned i = 0; i < n; i++)
		if (client_open(&clients[i], i, n) < 0) {
			fprintf(stderr, "%s: cannot open the files of client %u\n", PROG, i);
			return 1;
		}
	inj.rng = cfg.seed ^ 0x5851f42d4c957f2dull;
	t0 = mnt_now_s();
	ok = run_phase(n, cfg.seconds, false, warmup, &rss_start);
	printf("%s: faults stop after %.1f s; every operation must now succeed\n", PROG, mnt_now_s() - t0);
	if (ok) {
		faults_off();
		ok = run_phase(n, 0, true, 0, NULL);
	}
	rss_end = ok ? mnt_proc_rss_mib(mnt->pid) : NAN;
	hwm = ok ? mnt_proc_hwm_mib(mnt->pid) : NAN;
	if (ok) {
		final_checks(n);
		print_device_figures();
	}
	print_summary(n, rss_start, rss_end, hwm);
	if (ok && !(rss_end - rss_start <= rss_margin_mib()))
		violation("daemon RSS grew from %.2f to %.2f MiB (more than %.1f MiB)", rss_start, rss_end, rss_margin_mib());
	if (ok && !mnt_is_mounted(mnt))
		violation("the mount is gone at the end");
	for (unsigned i = 0; i < n; i++)
		client_close(&clients[i]);
	if (ok) {
		status = mnt_unmount(mnt, 10.0);
		if (status == -ETIMEDOUT)
			violation("the daemon did not exit within 10 s of fusermount3 -u");
		else if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			violation("the daemon ended with %s %d after fusermount3 -u",
				  status >= 0 && WIFSIGNALED(status) ? "signal" : "status",
				  status < 0 ? status : WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		else
			printf("%s: unmounted; the daemon exited with status 0\n", PROG);
	}
	fails = atomic_load(&violations);
	if (fails) {
		fprintf(stderr, "%s: the daemon's log ends:\n", PROG);
		mnt_log_tail(mnt, 12, "  | ");
	}
	mnt_stop(mnt, false);
	if (fatal[0])
		fprintf(stderr, "%s: FAIL: %s\n", PROG, fatal);
	printf("%s: %s\n", PROG, fails ? "FAIL" : "PASS");
	if (fails > VIOLATIONS_SHOWN)
		fprintf(stderr, "%s: %u violations (the first %d shown above)\n", PROG, fails, VIOLATIONS_SHOWN);
	else if (fails)
		fprintf(stderr, "%s: %u violation%s (shown above)\n", PROG, fails, fails == 1 ? "" : "s");
	return fails ? 1 : 0;
}
