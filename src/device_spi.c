/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SPI transactions (0x42), paced by the rate the chip runs and aborted with 0x11 on a cancel
 * or a failure, so the chip is always ready for the next one (see device.h).
 */
#include <errno.h>

#include "device_internal.h"
#include "util/log.h"
#include "device_spi_xfer.h"
#include "worker.h"

struct spi_ctx {
	struct device *d;
	struct worker_job *job;
};

static int spi_exchange(void *arg, const mcp2210_report req, mcp2210_report resp)
{
	struct spi_ctx *c = arg;

	if (c->job && worker_job_cancelled(c->job))
		return -EINTR;
	return device_exchange(c->d, req, resp);
}

static bool spi_cancelled(void *arg)
{
	struct spi_ctx *c = arg;

	return c->job && worker_job_cancelled(c->job);
}

static void spi_idle(void *arg, uint64_t until_ns)
{
	struct spi_ctx *c = arg;

	c->d->idle(c->d->idle_ctx, until_ns);
}

static void spi_abort(struct device *d)
{
	d->spi_cancel_pending = true;
	if (device_spi_settle(d) < 0)
		log_warn("could not cancel the aborted SPI transfer: will again before the next one");
}

ssize_t device_spi_transfer(struct device *d, struct worker_job *job, const uint8_t *tx, uint8_t *rx, size_t n)
{
	struct spi_xfer_limits limits = {
		.busy_max = d->busy_retries, .idle_polls_max = d->busy_retries, .cancelled = spi_cancelled,
	};
	struct spi_xfer_stats st = { 0 };
	struct spi_ctx ctx = { d, job };
	struct mcp2210_spi_settings ss;
	ssize_t ret;

	if (n == 0 || n > MCP2210_SPI_TRANSACTION_MAX)
		return n ? -EFBIG : -EINVAL;
	ret = device_spi_settle(d);
	if (ret == 0)
		ret = device_spi_settings(d, &ss);
	if (ret != 0)
		return ret;
	/* Re-sending 0x40 before every transfer is the classic bottleneck: only when N changes. */
	if (ss.bytes_per_transaction != n || !d->use_cache) {
		ss.bytes_per_transaction = (uint16_t)n;
		ret = device_set_spi_settings(d, &ss);
		if (ret < 0)
			return ret;
		ss = d->spi; /* the echo: the rate the chip runs paces the transfer below */
		if (ss.bytes_per_transaction != n) {
			log_warn("the chip answered %u bytes per transaction for %zu: not transferring",
				 ss.bytes_per_transaction, n);
			d->spi_valid = false;
			return -EIO;
		}
	}
	if (d->use_cache) { /* the naive baseline polls as other drivers do */
		limits.byte_ns = (8000000000ull + ss.bitrate - 1) / ss.bitrate + ss.delay_between_bytes * 100000ull;
		limits.lead_ns = ss.delay_cs_to_data * 100000ull;
		limits.tail_ns = ss.delay_data_to_cs * 100000ull;
		limits.frame_ns = d->transport->frame_ns;
		if (d->idle)
			limits.idle = spi_idle;
	}
	ret = spi_xfer_run(spi_exchange, &ctx, tx, rx, n, &limits, &st);
	d->stats.retries += st.busy;
	if (ret < 0) {
		if (ret != -ENODEV)
			spi_abort(d);
		return device_errno((int)ret);
	}
	d->stats.spi_bytes += (uint64_t)ret;
	return ret;
}
