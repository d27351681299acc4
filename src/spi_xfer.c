/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The host's side of an SPI transaction over 0x42 chunks (see spi_xfer.h). Received data lags
 * the data sent, so bytes are collected from every answer until the engine says 0x10.
 */
#include <errno.h>
#include <string.h>

#include "spi_xfer.h"

struct run {
	spi_xfer_exchange_fn exchange;
	void *ctx;
	const struct spi_xfer_limits *limits;
	struct spi_xfer_stats *stats;
	uint8_t *rx;
	size_t n, got;
	uint8_t engine;
	bool answered;
};

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
