/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The chip as the worker thread sees it: strict exchanges (echo checked, stale answers
 * drained, 0xF8 retried a bounded number of times, status mapped to errno), a cache of what
 * only the host changes, and the operations jobs are made of. Only the worker thread calls
 * these functions; nothing here locks.
 */
#ifndef MCP2210FS_DEVICE_H
#define MCP2210FS_DEVICE_H

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "proto.h"
#include "transport.h"

struct worker_job;

/* Counted by the worker, read by anyone at any time: `stats` never waits behind a long job. */
struct device_stats {
	_Atomic uint64_t exchanges;
	_Atomic uint64_t retries;  /* 0xF8 answers retried */
	_Atomic uint64_t timeouts;
	_Atomic uint64_t errors;   /* exchanges that failed otherwise */
	_Atomic uint64_t drained;  /* stale IN reports thrown away */
	_Atomic uint64_t spi_bytes;
};

struct device {
	struct transport *transport;
	unsigned timeout_ms;   /* per exchange */
	unsigned busy_retries; /* 0xF8 answers accepted before EBUSY */
	bool use_cache;        /* false only for the benchmark's naive baseline */

	/* What only the host changes, valid until an error or a reconnect. */
	bool chip_valid;
	struct mcp2210_chip_settings chip; /* gpio_value = latch, gpio_direction = directions */
	bool spi_valid;
	struct mcp2210_spi_settings spi;
	/* A failed transaction's cancel (0x11) failed too: the chip may still be in it, refusing
	 * SPI and chip settings (0xF8) until it gets one. Sent again before the next of those. */
	bool spi_cancel_pending;
	/* An exchange was abandoned (cancelled while its answer was late): drain before the next. */
	bool abandoned;
	/* Optional: while an SPI transaction waits for the chip to clock, until until_ns
	 * (CLOCK_MONOTONIC), other work may use the bus with commands that do not touch SPI, chip
	 * selects or pins (mount.c runs queued reads). */
	void (*idle)(void *ctx, uint64_t until_ns);
	void *idle_ctx;

	struct device_stats stats;
};

#define DEVICE_DEFAULT_TIMEOUT_MS 1000
#define DEVICE_DEFAULT_BUSY_RETRIES 50

/* A decoder's -EPROTO (a malformed answer) is EIO at the file interface; other codes stand.
 * What passes here is 0 or -errno, never a count: the assert tells the reader and clang's
 * analyser so, which cannot see into the callees in other files that produced it. */
static inline int device_errno(int ret)
{
	assert(ret <= 0);
	return ret == -EPROTO ? -EIO : ret;
}

void device_init(struct device *d, struct transport *t, unsigned timeout_ms);
/* Forget the cache (after an error, a power cycle, a reconnect). */
void device_invalidate(struct device *d);

/* One exchange with the echo byte checked: 0 (any status), or -ETIMEDOUT/-ENODEV/-EIO, or
 * -EINTR when the running job was cancelled while the answer was late (transport abort). */
int device_exchange(struct device *d, const mcp2210_report req, mcp2210_report resp);
/* One command to success: 0xF8 retried, other statuses as -errno (EBUSY, EACCES, EIO). */
int device_command(struct device *d, const mcp2210_report req, mcp2210_report resp);

/* Before serving anything from a cache: -ENODEV (cache dropped) if the device went away. */
int device_check(struct device *d);

/* At start: a chip left mid-transfer by an earlier host answers 0xF8 until 0x11. */
int device_recover(struct device *d);

int device_chip_settings(struct device *d, struct mcp2210_chip_settings *cs);
/* The NVRAM access control byte (MCP2210_ACCESS_*), read from NVRAM (0x61/0x20) every time:
 * the protection NVRAM writes are checked against ("the one stored in the chip", DS22288A
 * p. 18), which a write to nvram/access changes at once. Not from the live chip settings
 * (0x20, cached): those are RAM "copied from NVRAM at power-up or Reset" (p. 11). 0 or -errno. */
int device_nvram_access(struct device *d, uint8_t *access);
int device_spi_settings(struct device *d, struct mcp2210_spi_settings *ss);
/* Apply live chip settings with 0x21 (remember: it rewrites GPIO values and directions). */
int device_set_chip_settings(struct device *d, const struct mcp2210_chip_settings *cs);
/* The cache takes the chip's 0x40 echo, not the request: a chip runs and answers a rounded bit
 * rate (public report; the emulator's model is emu_spi_bitrate()), which is what spi/bitrate
 * then reads back and what paces transfers. */
int device_set_spi_settings(struct device *d, const struct mcp2210_spi_settings *ss);

/* Pin levels now, bit n = GPn (never cached). */
int device_gpio_levels(struct device *d, uint16_t *levels);
/* Drive a GPIO output: -EPERM unless the pin is a GPIO output. */
int device_gpio_write(struct device *d, unsigned pin, bool level);
/* Make a GPIO pin an input, or an output at a level set before the switch (glitch-free).
 * -EPERM for a pin that is not a GPIO, or an output on GP8. */
int device_gpio_direction(struct device *d, unsigned pin, bool output, bool level);

/* One SPI transaction of n bytes with the current chip selects, mode and rate. Checks
 * worker_job_cancelled(job) between exchanges: on cancel, or any failure mid-transaction, the
 * transfer is aborted with 0x11 so the chip is ready for the next one. Returns n or -errno
 * (-EINTR when cancelled). job may be NULL. */
ssize_t device_spi_transfer(struct device *d, struct worker_job *job, const uint8_t *tx, uint8_t *rx, size_t n);

#endif
