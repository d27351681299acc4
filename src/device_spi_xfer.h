/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One SPI transaction as the host runs it (doc/protocol.md, "SPI transfer engine"): send the
 * data in 0x42 chunks of up to 60 bytes, resend a chunk the chip refused with 0xF8, then poll
 * with empty 0x42 until the engine reports 0x10, collecting exactly N received bytes.
 * Bytes-per-transaction must already be N. Pure logic over an exchange callback.
 */
#ifndef MCP2210FS_SPI_XFER_H
#define MCP2210FS_SPI_XFER_H

#include <sys/types.h>

#include "proto/proto.h"

/* One request/answer exchange: 0 with resp filled, or -errno. */
typedef int (*spi_xfer_exchange_fn)(void *ctx, const mcp2210_report req, mcp2210_report resp);

struct spi_xfer_stats {
	unsigned exchanges;    /* 0x42 exchanges, busy answers included */
	unsigned busy;         /* 0xF8 answers */
	uint8_t first_engine;  /* engine status of the first accepted answer */
	uint8_t first_len;     /* received bytes in it */
};

/* Bounds on the loop, so a stuck chip cannot hold the caller forever: 0xF8 answers in a row,
 * and empty polls without progress. On either the caller should cancel (0x11). */
struct spi_xfer_limits {
	unsigned busy_max;
	unsigned idle_polls_max;
	/* Pacing, so that a slow SPI clock costs waiting rather than USB traffic: the time the
	 * chip needs per byte and before the first / after the last byte (all 0: no waiting).
	 * The next 0x42 is sent only once the chip should have clocked the previous chunk. */
	uint64_t byte_ns, lead_ns, tail_ns;
	/* The USB frame: waits are whole frames from the answer (see spi_xfer.c). 0: a chip
	 * without timing (the emulator with frames off, whose SPI takes no time): no waiting. */
	uint64_t frame_ns;
	/* Optional: asked while waiting; true stops the transaction with -EINTR. */
	bool (*cancelled)(void *ctx);
	/* Optional: called when the transaction would wait for the chip until until_ns
	 * (CLOCK_MONOTONIC), before it does; other work may use the bus meanwhile (never SPI,
	 * chip selects or pins: CS stays asserted and the chip keeps clocking what it has). */
	void (*idle)(void *ctx, uint64_t until_ns);
};

/* Returns n, or -errno: the exchange's error, the chip's status mapped by the status table,
 * -EBUSY when a limit ran out, -EPROTO when the chip returned more bytes than were sent, said
 * "finished" before the last chunk or with fewer than n bytes. stats may be NULL. */
ssize_t spi_xfer_run(spi_xfer_exchange_fn exchange, void *ctx, const uint8_t *tx, uint8_t *rx, size_t n,
		     const struct spi_xfer_limits *limits, struct spi_xfer_stats *stats);

#endif
