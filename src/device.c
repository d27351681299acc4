/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Strict exchanges and cached device operations for the worker thread (see device.h).
 * The cache holds only what the host alone changes; it is filled from the chip's own answers
 * and dropped after any failure, so it can be stale only if something else drove the chip.
 */
#include <errno.h>
#include <string.h>

#include "device.h"
#include "log.h"
#include "spi_xfer.h"
#include "worker.h"

void device_init(struct device *d, struct transport *t, unsigned timeout_ms)
{
	memset(d, 0, sizeof(*d));
	d->transport = t;
	d->timeout_ms = timeout_ms ? timeout_ms : DEVICE_DEFAULT_TIMEOUT_MS;
	d->busy_retries = DEVICE_DEFAULT_BUSY_RETRIES;
	d->use_cache = true;
}

void device_invalidate(struct device *d)
{
	d->chip_valid = false;
	d->spi_valid = false;
}

/* After a timeout or a wrong echo the chip may still send the answer we gave up on: throw
 * away whatever is waiting so the next exchange pairs up again. */
static void drain(struct device *d)
{
	int n = transport_drain(d->transport);

	if (n > 0) {
		d->stats.drained += (uint64_t)n;
		log_info("drained %d stale report(s)", n);
	}
}

int device_exchange(struct device *d, const mcp2210_report req, mcp2210_report resp)
{
	int ret;

	if (d->abandoned) {
		d->abandoned = false;
		drain(d);
	}
	ret = transport_exchange(d->transport, req, resp, d->timeout_ms);
	d->stats.exchanges++;
	if (ret == 0 && proto_cmd(resp) == proto_cmd(req))
		return 0;
	device_invalidate(d);
	if (ret == -ETIMEDOUT) {
		d->stats.timeouts++;
		log_warn("no answer to %s (0x%02x) within %u ms", proto_cmd_name(req[0]), req[0], d->timeout_ms);
		drain(d);
		return ret;
	}
	if (ret == -EINTR) {
		log_info("%s (0x%02x) abandoned: the request was interrupted while its answer was late",
			 proto_cmd_name(req[0]), req[0]);
		d->abandoned = true;
		return ret;
	}
	d->stats.errors++;
	if (ret < 0)
		return ret;
	log_warn("answer to 0x%02x echoes 0x%02x: out of step, draining", req[0], resp[0]);
	drain(d);
	return -EIO;
}

int device_command(struct device *d, const mcp2210_report req, mcp2210_report resp)
{
	for (unsigned tries = 0;; tries++) {
		int ret = device_exchange(d, req, resp);

		if (ret < 0)
			return ret;
		ret = proto_check_answer(resp, proto_cmd(req));
		if (ret == 0)
			return 0;
		if (ret != -EAGAIN) {
			log_warn("%s (0x%02x): %s (0x%02x)", proto_cmd_name(req[0]), req[0], proto_status_name(resp[1]),
				 resp[1]);
			return device_errno(ret);
		}
		if (tries >= d->busy_retries) {
			log_warn("%s (0x%02x): still busy after %u retries", proto_cmd_name(req[0]), req[0], tries);
			return -EBUSY;
		}
		d->stats.retries++;
	}
}

int device_check(struct device *d)
{
	int ret = transport_check(d->transport);

	if (ret < 0)
		device_invalidate(d);
	return ret;
}

int device_recover(struct device *d)
{
	struct mcp2210_chip_status st;
	mcp2210_report req, resp;
	int ret;

	drain(d);
	proto_encode_cancel_spi(req);
	ret = device_command(d, req, resp);
	if (ret == 0)
		ret = proto_decode_cancel_spi(resp, &st);
	if (ret == 0)
		d->spi_cancel_pending = false;
	return ret;
}

/* How to read one cached block from the chip. */
struct cached_block {
	void (*encode)(mcp2210_report req);
	int (*decode)(const mcp2210_report resp, void *out);
};

static int decode_chip(const mcp2210_report resp, void *out) { return proto_decode_get_chip_settings(resp, out); }
static int decode_spi(const mcp2210_report resp, void *out) { return proto_decode_get_spi_settings(resp, out); }

static const struct cached_block chip_block = { proto_encode_get_chip_settings, decode_chip };
static const struct cached_block spi_block = { proto_encode_get_spi_settings, decode_spi };

/* Serve *cache if valid (and the device still there), else read it from the chip first. */
static int cached_read(struct device *d, const struct cached_block *b, bool *valid, void *cache)
{
	mcp2210_report req, resp;
	int ret = device_check(d);

	if (ret < 0 || (*valid && d->use_cache))
		return ret;
	b->encode(req);
	ret = device_command(d, req, resp);
	if (ret == 0)
		ret = b->decode(resp, cache);
	if (ret < 0)
		return device_errno(ret);
	*valid = true;
	return 0;
}

int device_chip_settings(struct device *d, struct mcp2210_chip_settings *cs)
{
	int ret = cached_read(d, &chip_block, &d->chip_valid, &d->chip);

	if (ret < 0)
		return ret;
	*cs = d->chip;
	return 0;
}

int device_nvram_access(struct device *d, uint8_t *access)
{
	struct mcp2210_chip_settings nv;
	mcp2210_report req, resp;
	int ret = proto_encode_get_nvram(req, MCP2210_NVRAM_CHIP);

	if (ret == 0)
		ret = device_command(d, req, resp);
	if (ret == 0)
		ret = proto_decode_get_nvram_chip(resp, &nv);
	if (ret == 0)
		*access = nv.access;
	return device_errno(ret);
}

int device_spi_settings(struct device *d, struct mcp2210_spi_settings *ss)
{
	int ret = cached_read(d, &spi_block, &d->spi_valid, &d->spi);

	if (ret < 0)
		return ret;
	*ss = d->spi;
	return 0;
}

/* 0x11 for a transaction left behind by a cancel that failed (see spi_cancel_pending). */
static int spi_settle(struct device *d)
{
	mcp2210_report req, resp;
	int ret;

	if (!d->spi_cancel_pending)
		return 0;
	proto_encode_cancel_spi(req);
	ret = device_command(d, req, resp);
	if (ret == 0)
		d->spi_cancel_pending = false;
	return device_errno(ret);
}

/* A settings change, which a chip stuck in a transaction would refuse: settle it first. */
static int settled_command(struct device *d, const mcp2210_report req, mcp2210_report resp)
{
	int ret = spi_settle(d);

	return ret < 0 ? ret : device_command(d, req, resp);
}

int device_set_chip_settings(struct device *d, const struct mcp2210_chip_settings *cs)
{
	mcp2210_report req, resp;
	int ret = proto_encode_set_chip_settings(req, cs);

	if (ret < 0)
		return ret;
	ret = settled_command(d, req, resp);
	if (ret < 0)
		return ret;
	d->chip = *cs;
	d->chip.gpio_direction |= 1u << 8; /* GP8 is input only whatever was asked */
	d->chip_valid = true;
	return 0;
}

int device_set_spi_settings(struct device *d, const struct mcp2210_spi_settings *ss)
{
	mcp2210_report req, resp;
	int ret = proto_encode_set_spi_settings(req, ss);

	if (ret < 0)
		return ret;
	ret = settled_command(d, req, resp);
	if (ret == 0)
		ret = proto_decode_set_spi_settings(resp, &d->spi); /* the chip's echo is the truth */
	if (ret < 0)
		return device_errno(ret);
	d->spi_valid = true;
	return 0;
}

int device_gpio_levels(struct device *d, uint16_t *levels)
{
	mcp2210_report req, resp;
	int ret;

	proto_encode_get_gpio_values(req);
	ret = device_command(d, req, resp);
	if (ret == 0)
		ret = proto_decode_get_gpio_values(resp, levels);
	return device_errno(ret);
}

static int set_latch(struct device *d, uint16_t latch)
{
	mcp2210_report req, resp;
	uint16_t levels;
	int ret;

	proto_encode_set_gpio_values(req, latch);
	ret = device_command(d, req, resp);
	if (ret == 0)
		ret = proto_decode_set_gpio_values(resp, &levels);
	if (ret < 0)
		return device_errno(ret);
	d->chip.gpio_value = latch;
	return 0;
}

static uint16_t with_bit(uint16_t v, unsigned pin, bool on)
{
	return on ? (uint16_t)(v | 1u << pin) : (uint16_t)(v & ~(1u << pin));
}

int device_gpio_write(struct device *d, unsigned pin, bool level)
{
	struct mcp2210_chip_settings cs;
	int ret;

	if (pin >= MCP2210_PIN_COUNT)
		return -EINVAL;
	ret = device_chip_settings(d, &cs);
	if (ret < 0)
		return ret;
	if (cs.pin_function[pin] != MCP2210_PIN_GPIO || (cs.gpio_direction >> pin & 1))
		return -EPERM;
	return set_latch(d, with_bit(cs.gpio_value, pin, level));
}

int device_gpio_direction(struct device *d, unsigned pin, bool output, bool level)
{
	struct mcp2210_chip_settings cs;
	mcp2210_report req, resp;
	uint16_t dirs;
	int ret;

	if (pin >= MCP2210_PIN_COUNT)
		return -EINVAL;
	ret = device_chip_settings(d, &cs);
	if (ret < 0)
		return ret;
	if (cs.pin_function[pin] != MCP2210_PIN_GPIO || (output && pin == 8))
		return -EPERM;
	/* Latch first, then direction: the pin comes up at its level with no glitch. A latch that
	 * already holds the level costs nothing. */
	if (output && (((cs.gpio_value >> pin) & 1) != level || !d->use_cache)) {
		ret = set_latch(d, with_bit(cs.gpio_value, pin, level));
		if (ret < 0)
			return ret;
	}
	dirs = with_bit(cs.gpio_direction, pin, !output);
	proto_encode_set_gpio_directions(req, dirs);
	ret = device_command(d, req, resp);
	if (ret == 0)
		ret = proto_decode_set_gpio_directions(resp);
	if (ret < 0)
		return device_errno(ret);
	d->chip.gpio_direction = dirs;
	return 0;
}

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
	if (spi_settle(d) < 0)
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
	ret = spi_settle(d);
	if (ret == 0)
		ret = device_spi_settings(d, &ss);
	if (ret < 0)
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
		return device_errno(ret);
	}
	d->stats.spi_bytes += (uint64_t)ret;
	return ret;
}
