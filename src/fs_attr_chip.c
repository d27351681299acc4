/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The chip as a whole: info, status, stats, settings and the user EEPROM.
 */
#include <errno.h>

#include "fs.h"
#include "fs_settings_text.h"
#include "worker.h"

/* ---- info: identity only, no exchange --------------------------------------------------- */

/* What the device enumerated with (works while it is gone): a change written to nvram/usb
 * shows here only after the next enumeration, as it does on the bus (see nvram/usb). */
static int info_show(struct mount *m, const struct fs_node *n, struct text *out)
{
	struct transport_identity id = { 0 };

	(void)n;
	mount_identity(m, &id);
	text_printf(out, "vendor_id: %04x\nproduct_id: %04x\nmanufacturer: %s\nproduct: %s\nserial: %s\ntransport: %s\n",
		    id.vid, id.pid, id.manufacturer, id.product, id.serial, m->transport->ops->name);
	if (id.bus) /* on a USB bus: not the in-process emulated chip */
		text_printf(out, "bus: %03u\naddress: %03u\n", id.bus, id.address);
	return 0;
}

const struct fs_node_ops fs_info_ops = { .show = info_show, .size = TEXT_MAX, .local = true };

/* ---- status ------------------------------------------------------------------------------ */

struct status_out {
	struct mcp2210_chip_status st;
	uint8_t access;
};

/* access: what NVRAM holds now, which governs writes at once (see device_nvram_access) */
static int status_job(struct mount *m, void *arg)
{
	struct status_out *o = arg;
	int ret = device_chip_status(&m->dev, &o->st);

	return ret < 0 ? ret : device_nvram_access(&m->dev, &o->access);
}

/* What the password means right now, in one word a script can test. */
static const char *password_state(const struct status_out *o)
{
	if (o->access == MCP2210_ACCESS_LOCKED)
		return "blocked"; /* 0x70 answers 0xFC whatever the password (DS22288A p. 33) */
	if (o->access != MCP2210_ACCESS_PASSWORD)
		return "none";
	if (o->st.password_guessed)
		return "accepted";
	/* 5 wrong tries made: the next answers 0xFB until power-up (figure 3-11) */
	return o->st.password_attempts >= MCP2210_PASSWORD_ATTEMPTS_MAX ? "blocked" : "required";
}

static int status_show(struct mount *m, const struct fs_node *n, struct text *out)
{
	static const char *const owners[] = { "none", "bridge", "external" };
	struct status_out o = { 0 };
	int ret;

	(void)n;
	ret = mount_gone(m) ? -ENODEV : mount_run_shared(m, (uintptr_t)status_job, status_job, &o, sizeof(o));
	/* Gone before, or found gone by this very read: either way that is the answer, even if
	 * the device is back by now (it was not there when asked). */
	if (ret == -ENODEV) {
		text_printf(out, "device: gone\n");
		return 0;
	}
	if (ret < 0)
		return ret;
	text_printf(out, "device: present\nbus_owner: %s\nbus_release_request: %s\naccess: %s\n"
			 "password_attempts: %u\npassword_guessed: %s\npassword: %s\n",
		    owners[o.st.bus_owner % 3], o.st.bus_release_pending ? "yes" : "no",
		    o.access == MCP2210_ACCESS_LOCKED ? "locked" : o.access == MCP2210_ACCESS_PASSWORD ? "password" : "none",
		    o.st.password_attempts, o.st.password_guessed ? "yes" : "no", password_state(&o));
	return 0;
}

const struct fs_node_ops fs_status_ops = { .show = status_show, .size = TEXT_MAX };

/* ---- stats: the worker's counters, read at once (no job: never behind a long transfer) ---- */

static int stats_show(struct mount *m, const struct fs_node *n, struct text *out)
{
	const struct device_stats *o = &m->dev.stats;
	uint64_t runs, coalesced;

	(void)n;
	worker_counts(m->worker, &runs, &coalesced);
	text_printf(out, "exchanges: %llu\nretries: %llu\ntimeouts: %llu\nerrors: %llu\ndrained: %llu\nspi_bytes: %llu\n"
			 "jobs: %llu\ncoalesced: %llu\n",
		    (unsigned long long)o->exchanges, (unsigned long long)o->retries,
		    (unsigned long long)o->timeouts, (unsigned long long)o->errors,
		    (unsigned long long)o->drained, (unsigned long long)o->spi_bytes, (unsigned long long)runs,
		    (unsigned long long)coalesced);
	return 0;
}

const struct fs_node_ops fs_stats_ops = { .show = stats_show, .size = TEXT_MAX, .local = true };

/* ---- settings ----------------------------------------------------------------------------- */

static int settings_get_job(struct mount *m, void *arg)
{
	struct settings *s = arg;
	int ret = device_chip_settings(&m->dev, &s->chip);

	return ret < 0 ? ret : device_spi_settings(&m->dev, &s->spi);
}

static int settings_show(struct mount *m, const struct fs_node *n, struct text *out)
{
	struct settings s = { 0 };
	int ret;

	(void)n;
	ret = mount_run(m, settings_get_job, &s);
	if (ret == 0)
		settings_format(&s, out);
	return ret;
}

/* Parse on top of the live values and apply, in one job: nobody changes the chip between the
 * read and the write, and nothing is sent unless every line is valid. */
static int settings_set_job(struct mount *m, void *arg)
{
	return device_edit_settings(&m->dev, settings_parse_onto, arg);
}

static int settings_store(struct mount *m, const struct fs_node *n, char *value)
{
	(void)n;
	return mount_run(m, settings_set_job, value);
}

const struct fs_node_ops fs_settings_ops = { .show = settings_show, .store = settings_store, .size = TEXT_MAX, .multiline = true, .check = settings_check };

/* ---- eeprom: 256 bytes, cached byte by byte once read or written ------------------------- */

struct eeprom_io {
	uint8_t *dst;       /* read into */
	const uint8_t *src; /* or write from */
	size_t off, len;
	size_t done; /* bytes read or written before a failure */
};

static int eeprom_job(struct mount *m, void *arg)
{
	struct eeprom_io *io = arg;
	ssize_t ret = io->src ? device_eeprom_write(&m->dev, io->off, io->src, io->len)
			      : device_eeprom_read(&m->dev, io->off, io->dst, io->len);

	if (ret < 0)
		return (int)ret;
	io->done = (size_t)ret;
	return 0;
}

/* The bytes done (a transfer cut short after some bytes returns their count, as POSIX has
 * it), or the error when none was. */
static ssize_t eeprom_result(int ret, const struct eeprom_io *io)
{
	return ret < 0 && io->done == 0 ? ret : (ssize_t)io->done;
}

static ssize_t eeprom_read(struct mount *m, struct fs_file *f, char *buf, size_t size, off_t off)
{
	struct eeprom_io io = { .dst = (uint8_t *)buf, .off = (size_t)off, .len = size };
	int ret;

	(void)f;
	if (off < 0 || off >= MCP2210_EEPROM_SIZE)
		return 0;
	if (io.len > MCP2210_EEPROM_SIZE - io.off)
		io.len = MCP2210_EEPROM_SIZE - io.off;
	ret = mount_run(m, eeprom_job, &io);
	return eeprom_result(ret, &io);
}

static ssize_t eeprom_write(struct mount *m, struct fs_file *f, const char *buf, size_t size, off_t off)
{
	struct eeprom_io io = { .src = (const uint8_t *)buf, .off = (size_t)off, .len = size };
	int ret;

	(void)f;
	if (off < 0 || off >= MCP2210_EEPROM_SIZE)
		return size ? -EFBIG : 0;
	if (io.len > MCP2210_EEPROM_SIZE - io.off)
		io.len = MCP2210_EEPROM_SIZE - io.off;
	ret = mount_run(m, eeprom_job, &io);
	return eeprom_result(ret, &io);
}

const struct fs_node_ops fs_eeprom_ops = { .read = eeprom_read, .write = eeprom_write, .size = MCP2210_EEPROM_SIZE };
