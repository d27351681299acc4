/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * spi/: the transfer file and the SPI transfer settings, each a read-modify-write of the live
 * settings in one job (0x40 is sent only when something changes).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "util/log.h"
#include "fs_settings_text.h"

/* ---- xfer -------------------------------------------------------------------------------- */

struct xfer {
	const uint8_t *tx;
	uint8_t *rx;
	size_t n;
};

static int xfer_job(struct mount *m, void *arg)
{
	struct xfer *x = arg;
	ssize_t ret = device_spi_transfer(&m->dev, worker_running_job(), x->tx, x->rx, x->n);

	return ret < 0 ? (int)ret : 0;
}

/* Long enough for the slowest legal transaction: 65535 bytes at 1500 bit/s plus the delays
 * is about 6 minutes; every exchange within it still has its own timeout. */
#define XFER_DEADLINE_MS (10u * 60u * 1000u)

/* Received bytes wait in the daemon until read: at most this many in all open spi/xfer files
 * together (64 transactions of the largest size), so that many open files cannot exhaust its
 * memory. A transaction that would exceed it is refused before it starts: ENOBUFS. */
#define XFER_HELD_MAX (4ul << 20)

static void rx_drop(struct mount *m, struct fs_file *f)
{
	if (f->rx)
		atomic_fetch_sub(&m->xfer_held, f->rx_len);
	free(f->rx);
	f->rx = NULL;
	f->rx_len = f->rx_off = 0;
}

void fs_spi_xfer_release(struct mount *m, struct fs_file *f) { rx_drop(m, f); }

static int rx_reserve(struct mount *m, size_t size)
{
	if (atomic_fetch_add(&m->xfer_held, size) + size <= XFER_HELD_MAX)
		return 0;
	atomic_fetch_sub(&m->xfer_held, size);
	log_warn("spi/xfer: %lu received bytes already wait unread in open files: transaction refused (ENOBUFS)",
		 XFER_HELD_MAX);
	return -ENOBUFS;
}

static ssize_t xfer_write(struct mount *m, struct fs_file *f, const char *buf, size_t size, off_t off)
{
	struct xfer x = { (const uint8_t *)buf, NULL, size };
	int ret;

	(void)off;
	if (size > MCP2210_SPI_TRANSACTION_MAX)
		return -EFBIG;
	rx_drop(m, f);
	if (size == 0)
		return 0;
	/* Opened write-only: the received bytes are dropped at once and not counted. */
	if (f->readable && rx_reserve(m, size) < 0)
		return -ENOBUFS;
	x.rx = malloc(size);
	ret = x.rx ? mount_run_for(m, xfer_job, &x, XFER_DEADLINE_MS) : -ENOMEM;
	if (ret < 0 || !f->readable) {
		free(x.rx);
		if (f->readable)
			atomic_fetch_sub(&m->xfer_held, size);
		return ret < 0 ? ret : (ssize_t)size;
	}
	f->rx = x.rx;
	f->rx_len = size;
	return (ssize_t)size;
}

static ssize_t xfer_read(struct mount *m, struct fs_file *f, char *buf, size_t size, off_t off)
{
	(void)off;
	if (f->rx_off >= f->rx_len) /* nothing pending */
		return 0;
	if (size > f->rx_len - f->rx_off)
		size = f->rx_len - f->rx_off;
	memcpy(buf, f->rx + f->rx_off, size);
	f->rx_off += size;
	if (f->rx_off == f->rx_len) /* all taken: the memory goes back at once */
		rx_drop(m, f);
	return (ssize_t)size;
}

/* st_size is the largest transaction: with 0 the kernel would answer splice and sendfile with
 * 0 bytes without asking; now they ask and get EINVAL (fs_read). */
const struct fs_node_ops fs_spi_xfer_ops = { .read = xfer_read, .write = xfer_write, .size = MCP2210_SPI_TRANSACTION_MAX, .stream = true };

/* ---- settings attributes ----------------------------------------------------------------- */

enum spi_field { F_BITRATE, F_MODE, F_CS, F_CS_IDLE, F_CS_ACTIVE, F_DELAY_CS_DATA, F_DELAY_DATA_CS, F_DELAY_BYTES };

static int spi_get_job(struct mount *m, void *arg) { return device_spi_settings(&m->dev, arg); }

static void show_cs(const struct mcp2210_spi_settings *ss, struct text *out)
{
	uint16_t diff = (ss->cs_idle ^ ss->cs_active) & 0xFF;
	bool first = true;

	for (unsigned cs = 0; cs < 8; cs++) {
		if (diff >> cs & 1) {
			text_printf(out, "%s%u", first ? "" : ",", cs);
			first = false;
		}
	}
	text_printf(out, "%s\n", first ? "none" : "");
}

static int spi_show(struct mount *m, enum spi_field field, struct text *out)
{
	struct mcp2210_spi_settings ss = { 0 };
	int ret = mount_run(m, spi_get_job, &ss);

	if (ret < 0)
		return ret;
	switch (field) {
	case F_BITRATE:
		text_printf(out, "%u\n", (unsigned)ss.bitrate);
		break;
	case F_MODE:
		text_printf(out, "%u\n", ss.mode);
		break;
	case F_CS:
		show_cs(&ss, out);
		break;
	case F_CS_IDLE:
		text_printf(out, "0x%03x\n", ss.cs_idle & MCP2210_PIN_MASK);
		break;
	case F_CS_ACTIVE:
		text_printf(out, "0x%03x\n", ss.cs_active & MCP2210_PIN_MASK);
		break;
	case F_DELAY_CS_DATA:
		text_printf(out, "%u\n", ss.delay_cs_to_data * 100u);
		break;
	case F_DELAY_DATA_CS:
		text_printf(out, "%u\n", ss.delay_data_to_cs * 100u);
		break;
	case F_DELAY_BYTES:
		text_printf(out, "%u\n", ss.delay_between_bytes * 100u);
		break;
	}
	return 0;
}

/* "0,3" or "none" -> mask of CS0..CS7. Empty items ("0,,1", "0,") are errors. */
static int parse_cs_list(char *s, uint16_t *mask)
{
	*mask = 0;
	if (strcmp(s, "none") == 0)
		return 0;
	for (char *item = s, *next; item; item = next) {
		unsigned long cs;

		next = strchr(item, ',');
		if (next)
			*next++ = '\0';
		if (text_uint(item, 0, 7, &cs) < 0)
			return -EINVAL;
		*mask |= (uint16_t)(1u << cs);
	}
	return 0;
}

/* Fold the written value into the settings; -EINVAL if it is not valid for the field. */
static int spi_parse(enum spi_field field, char *value, struct mcp2210_spi_settings *ss)
{
	unsigned long v;
	uint16_t mask;

	switch (field) {
	case F_BITRATE:
		if (text_uint(value, MCP2210_BITRATE_MIN, MCP2210_BITRATE_MAX, &v) < 0)
			return -EINVAL;
		ss->bitrate = (uint32_t)v;
		return 0;
	case F_MODE:
		if (text_uint(value, 0, 3, &v) < 0)
			return -EINVAL;
		ss->mode = (uint8_t)v;
		return 0;
	case F_CS:
		if (parse_cs_list(value, &mask) < 0)
			return -EINVAL;
		ss->cs_idle = settings_pins_set(ss->cs_idle, MCP2210_PIN_MASK);
		ss->cs_active = settings_pins_set(ss->cs_active, MCP2210_PIN_MASK & ~mask);
		return 0;
	case F_CS_IDLE:
	case F_CS_ACTIVE:
		if (text_uint(value, 0, MCP2210_PIN_MASK, &v) < 0)
			return -EINVAL;
		if (field == F_CS_IDLE)
			ss->cs_idle = settings_pins_set(ss->cs_idle, (uint16_t)v);
		else
			ss->cs_active = settings_pins_set(ss->cs_active, (uint16_t)v);
		return 0;
	case F_DELAY_CS_DATA:
		return settings_delay_parse(value, &ss->delay_cs_to_data);
	case F_DELAY_DATA_CS:
		return settings_delay_parse(value, &ss->delay_data_to_cs);
	case F_DELAY_BYTES:
		return settings_delay_parse(value, &ss->delay_between_bytes);
	}
	return -EINVAL;
}

struct spi_store {
	enum spi_field field;
	char *value;
};

/* spi/cs names chip selects: a pin that is not one (its function is gpio or dedicated) would
 * not move during a transaction, so naming it is refused (EPERM, the pin's role) rather than
 * accepted and silently ignored, or its function changed behind the user's back. The raw
 * masks (cs_idle, cs_active, settings) are taken as written. */
static int cs_pins_check(struct mount *m, uint16_t selected)
{
	struct mcp2210_chip_settings cs;
	int ret = device_chip_settings(&m->dev, &cs);

	for (unsigned pin = 0; ret == 0 && pin < MCP2210_PIN_COUNT; pin++) {
		const char *name = settings_function_name(pin, cs.pin_function[pin]);

		if (!(selected >> pin & 1) || cs.pin_function[pin] == MCP2210_PIN_CS)
			continue;
		log_warn("spi/cs: GP%u is not a chip select (its function is %s): write cs to gpio/%u/function first",
			 pin, name ? name : "gpio", pin);
		ret = -EPERM;
	}
	return ret;
}

static int spi_set_job(struct mount *m, void *arg)
{
	struct spi_store *st = arg;
	struct mcp2210_spi_settings cur, want;
	int ret = device_spi_settings(&m->dev, &cur);

	if (ret < 0)
		return ret;
	want = cur;
	if (spi_parse(st->field, st->value, &want) < 0)
		return -EINVAL;
	if (st->field == F_CS && (ret = cs_pins_check(m, (want.cs_idle ^ want.cs_active) & MCP2210_PIN_MASK)) < 0)
		return ret;
	if (proto_spi_settings_equal(&want, &cur))
		return 0;
	return device_set_spi_settings(&m->dev, &want);
}

static int spi_store(struct mount *m, enum spi_field field, char *value)
{
	struct spi_store st = { field, value };

	return mount_run(m, spi_set_job, &st);
}

#define SPI_ATTR(name, field)                                                                      \
	static int name##_show(struct mount *m, const struct fs_node *n, struct text *out)         \
	{                                                                                          \
		(void)n;                                                                           \
		return spi_show(m, field, out);                                                    \
	}                                                                                          \
	static int name##_store(struct mount *m, const struct fs_node *n, char *value)             \
	{                                                                                          \
		(void)n;                                                                           \
		return spi_store(m, field, value);                                                 \
	}                                                                                          \
	const struct fs_node_ops fs_spi_##name##_ops = { .show = name##_show, .store = name##_store, .size = TEXT_MAX }

SPI_ATTR(bitrate, F_BITRATE);
SPI_ATTR(mode, F_MODE);
SPI_ATTR(cs, F_CS);
SPI_ATTR(cs_idle, F_CS_IDLE);
SPI_ATTR(cs_active, F_CS_ACTIVE);
SPI_ATTR(delay_cs_to_data, F_DELAY_CS_DATA);
SPI_ATTR(delay_data_to_cs, F_DELAY_DATA_CS);
SPI_ATTR(delay_between_bytes, F_DELAY_BYTES);
