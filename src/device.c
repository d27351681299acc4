/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Strict exchanges for the worker thread, and the cache they keep honest (see device.h). The
 * cache holds only what the host alone changes; it is filled from the chip's own answers and
 * dropped after any failure, so it can be stale only if something else drove the chip.
 */
#include <errno.h>
#include <string.h>

#include "device_internal.h"
#include "util/log.h"

void device_init(struct device *d, struct transport *t, unsigned timeout_ms)
{
	memset(d, 0, sizeof(*d));
	d->transport = t;
	d->timeout_ms = timeout_ms ? timeout_ms : DEVICE_DEFAULT_TIMEOUT_MS;
	d->busy_retries = DEVICE_DEFAULT_BUSY_RETRIES;
	d->use_cache = true;
}

void device_forget_live(struct device *d)
{
	d->chip_valid = false;
	d->spi_valid = false;
}

void device_invalidate(struct device *d)
{
	device_forget_live(d);
	memset(d->eeprom_valid, 0, sizeof(d->eeprom_valid));
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
	device_forget_live(d);
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
	return device_errno(ret);
}

int device_spi_settle(struct device *d)
{
	mcp2210_report req, resp;
	int ret;

	if (!d->spi_cancel_pending)
		return 0;
	proto_encode_cancel_spi(req);
	ret = device_command(d, req, resp);
	if (ret == 0)
		d->spi_cancel_pending = false;
	return ret;
}

int device_settled_command(struct device *d, const mcp2210_report req, mcp2210_report resp)
{
	int ret = device_spi_settle(d);

	return ret < 0 ? ret : device_command(d, req, resp);
}
