/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host's side of an SPI transaction over 0x42 chunks (see spi_xfer.h). Received data lags
 * the data sent, so bytes are collected from every answer until the engine says 0x10. What a
 * chip may answer to a request, and how each is taken here (DS22288A p. 55, figure 3-23):
 * 0xF8 "cannot accept data for the moment" to a chunk or a poll while the engine still clocks:
 * the same request again, counted against busy_max; 0x30 with any number of bytes (a whole
 * chunk, part of one, none): collected, and a poll without progress counts against
 * idle_polls_max; 0x20 with no data to the first chunk; 0x10 with the last bytes.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"
#include "device_spi_xfer.h"

struct run {
	spi_xfer_exchange_fn exchange;
	void *ctx;
	const struct spi_xfer_limits *limits;
	struct spi_xfer_stats *stats;
	uint8_t *rx;
	size_t n, got;
	uint8_t engine;
	bool answered;
	uint64_t ready_ns; /* CLOCK_MONOTONIC time the chip should be done with what it has */
};

/* Wait until the chip can take more; on real hardware the USB round trip is usually longer.
 * Long waits (slow clocks, long delays) are cut in slices so that a cancel is seen. */
#define PACE_SLICE_NS 20000000ull

static int pace(const struct run *r)
{
	for (;;) {
		uint64_t now = mono_now_ns(), until;
		struct timespec ts;

		if (!r->ready_ns || now >= r->ready_ns)
			return 0;
		if (r->limits->cancelled && r->limits->cancelled(r->ctx))
			return -EINTR;
		if (r->limits->idle) { /* other work uses the bus until shortly before ready_ns */
			r->limits->idle(r->ctx, r->ready_ns);
			now = mono_now_ns();
			if (now >= r->ready_ns)
				return 0;
			if (r->limits->cancelled && r->limits->cancelled(r->ctx))
				return -EINTR;
		}
		until = r->ready_ns - now > PACE_SLICE_NS ? now + PACE_SLICE_NS : r->ready_ns;
		ts = ns_timespec(until);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
}

/* When to send the request after a chunk that takes clock_ns to clock, taken in the exchange
 * that just ended. The chip started clocking when the request arrived, at the start of the
 * frame whose end brought the answer: one frame before now. A request only leaves at a frame
 * boundary, so the chip must have clocked the chunk by the first boundary that is a whole
 * number of frames after now; waking a quarter frame before that boundary puts the request
 * on it, neither a frame early (one more exchange, 0xF8) nor, by oversleeping, a frame late. */
static uint64_t ready_after(const struct spi_xfer_limits *limits, uint64_t clock_ns)
{
	uint64_t now = mono_now_ns(), frame = limits->frame_ns;

	if (clock_ns <= frame)
		return 0;
	return now + (clock_ns - frame + frame - 1) / frame * frame - frame / 4;
}

/* One 0x42 with len bytes, resent while the chip answers 0xF8 (bounded). */
static int step(struct run *r, const uint8_t *data, size_t len)
{
	struct mcp2210_spi_chunk chunk;
	mcp2210_report req, resp;
	unsigned busy = 0;
	int ret;

	ret = proto_encode_spi_transfer(req, data, len);
	if (ret < 0)
		return ret;
	ret = pace(r);
	if (ret < 0)
		return ret;
	for (;;) {
		ret = r->exchange(r->ctx, req, resp);
		if (ret < 0)
			return ret;
		r->stats->exchanges++;
		ret = proto_decode_spi_transfer(resp, &chunk);
		if (ret != -EAGAIN)
			break;
		r->stats->busy++;
		if (++busy > r->limits->busy_max)
			return -EBUSY;
	}
	if (ret < 0)
		return ret;
	if (!r->answered) {
		r->answered = true;
		r->stats->first_engine = chunk.engine;
		r->stats->first_len = chunk.len;
	}
	if (chunk.len > r->n - r->got)
		return -EPROTO;
	memcpy(r->rx + r->got, chunk.data, chunk.len);
	r->got += chunk.len;
	r->engine = chunk.engine;
	return 0;
}

ssize_t spi_xfer_run(spi_xfer_exchange_fn exchange, void *ctx, const uint8_t *tx, uint8_t *rx, size_t n,
		     const struct spi_xfer_limits *limits, struct spi_xfer_stats *stats)
{
	struct spi_xfer_stats unused = { 0 };
	struct run r = {
		.exchange = exchange, .ctx = ctx, .limits = limits, .stats = stats ? stats : &unused,
		.rx = rx, .n = n,
	};
	unsigned idle = 0;
	size_t sent = 0;
	int ret;

	if (n == 0 || n > MCP2210_SPI_TRANSACTION_MAX)
		return -EINVAL;
	while (sent < n) {
		size_t len = n - sent < MCP2210_SPI_CHUNK_MAX ? n - sent : MCP2210_SPI_CHUNK_MAX;

		ret = step(&r, tx + sent, len);
		if (ret < 0)
			return ret;
		/* 0x10 is "transfer ended": not before the last chunk was taken, or the next chunk
		 * would start another transaction (a chip whose bytes-per-transaction is not n). */
		if (r.engine == MCP2210_ENGINE_FINISHED && sent + len < n)
			return -EPROTO;
		if (limits->byte_ns && limits->frame_ns) /* without frames (timing) nothing to wait for */
			r.ready_ns = ready_after(limits, (sent ? 0 : limits->lead_ns) + len * limits->byte_ns +
								 (sent + len == n ? limits->tail_ns : 0));
		sent += len;
	}
	while (r.engine != MCP2210_ENGINE_FINISHED) {
		size_t before = r.got;

		ret = step(&r, NULL, 0);
		if (ret < 0)
			return ret;
		idle = r.got == before ? idle + 1 : 0;
		if (idle > limits->idle_polls_max)
			return -EBUSY;
	}
	/* The chip says finished: it must have given back exactly what was clocked. */
	return r.got == n ? (ssize_t)n : -EPROTO;
}
