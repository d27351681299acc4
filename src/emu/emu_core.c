/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The emulated MCP2210's life cycle and the outside world's handles on it: creation from a
 * state file, power-up from NVRAM, virtual time, pins driven from outside, peripherals,
 * unplug/replug and the host vanishing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emu/emu_internal.h"

#define EMU_DEFAULT_SERIAL "0000000000"

bool emu_serial_valid(const char *value)
{
	size_t len = strlen(value);

	if (len == 0 || len > EMU_SERIAL_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (value[i] < 0x20 || value[i] > 0x7e)
			return false;
	return true;
}

int emu_serial_set(char serial[EMU_SERIAL_MAX + 1], const char *value)
{
	if (!emu_serial_valid(value))
		return -EINVAL;
	memcpy(serial, value, strlen(value) + 1);
	return 0;
}

int emu_new(const struct emu_config *cfg, struct emu **out)
{
	struct emu *e;
	int ret;

	*out = NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->cfg = *cfg;
	e->cfg.state_file = NULL;
	e->cfg.serial = NULL;
	e->cfg.serial_default = NULL;
	e->state_fd = -1;
	if (cfg->state_file) {
		e->state_file = emu_state_target(cfg->state_file);
		if (!e->state_file) {
			ret = -errno;
			goto err_free;
		}
	}
	ret = emu_serial_set(e->serial, cfg->serial ? cfg->serial
						     : cfg->serial_default ? cfg->serial_default : EMU_DEFAULT_SERIAL);
	if (ret < 0)
		goto err_free_path;
	emu_nvram_factory(&e->nvram);
	if (e->state_file) {
		ret = emu_state_start(e, cfg->serial);
		if (ret < 0)
			goto err_free_path;
	}
	ret = pthread_mutex_init(&e->lock, NULL);
	if (ret) {
		ret = -ret;
		goto err_free_path;
	}
	e->plugged = true;
	/* The board pulls the bus release request (GP8, active low) up: no request until an
	 * external master asserts it (emu_bus.c). */
	e->external = 1u << 8;
	emu_power_up(e);
	*out = e;
	return 0;

err_free_path:
	emu_state_close(e);
	free(e->state_file);
err_free:
	free(e);
	return ret;
}

void emu_free(struct emu *e)
{
	if (!e)
		return;
	for (unsigned i = 0; i < EMU_CS_LINES; i++)
		emu_periph_free(e->periph[i]);
	pthread_mutex_destroy(&e->lock);
	emu_state_close(e);
	free(e->state_file);
	explicit_bzero(&e->nvram, sizeof(e->nvram));
	free(e);
}

/* Power-up: the live settings are the NVRAM's power-up values (datasheet: the chip loads them
 * at reset); GP8 is input only on current silicon. */
void emu_power_up(struct emu *e)
{
	const struct mcp2210_chip_settings *nv = &e->nvram.chip;

	emu_spi_reset(e);
	e->live = *nv;
	memset(e->live.password, 0, sizeof(e->live.password));
	e->latch = nv->gpio_value & MCP2210_PIN_MASK;
	e->direction = (nv->gpio_direction & MCP2210_PIN_MASK) | (1u << 8);
	e->spi = e->nvram.spi;
	emu_spi_settings_take(&e->spi, true);
	e->gp6_count = 0;
	e->gp7_ack = true; /* the bus release acknowledge idles high (emu_bus.c) */
	e->external_master = false;
	e->password_attempts = 0;
	e->password_guessed = false;
	e->bus_held = false;
	emu_usb_flush(e);
	e->faults.hold_next_in = false;
	emu_sync(e);
	/* Enumeration follows power-up: the host reads the descriptors NVRAM holds now. */
	e->enumerated_key = e->nvram.usb_key;
	e->enumerated_manufacturer = e->nvram.manufacturer;
	e->enumerated_product = e->nvram.product;
	emu_usb_changed(e);
}

void emu_usb_changed(struct emu *e)
{
	if (e->listener)
		e->listener(e->listener_arg, e->plugged);
}

void emu_settle(struct emu *e)
{
	emu_bus_sync(e);
	emu_gpio_cs_update(e, e->now_ns);
}

void emu_sync(struct emu *e)
{
	emu_spi_sync(e);
	emu_settle(e);
}

uint64_t emu_now(const struct emu *e)
{
	struct emu *m = (struct emu *)e; /* the lock is not part of the observable state */
	uint64_t now;

	pthread_mutex_lock(&m->lock);
	now = m->now_ns;
	pthread_mutex_unlock(&m->lock);
	return now;
}

uint64_t emu_frame_ns(const struct emu *e) { return e->cfg.frame_ns; /* fixed at creation */ }

void emu_advance(struct emu *e, uint64_t ns)
{
	pthread_mutex_lock(&e->lock);
	e->now_ns += ns;
	emu_sync(e);
	pthread_mutex_unlock(&e->lock);
}

int emu_set_input(struct emu *e, unsigned pin, bool level)
{
	if (pin >= MCP2210_PIN_COUNT)
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	emu_sync(e);
	emu_gpio_input_changed(e, pin, level);
	emu_sync(e);
	pthread_mutex_unlock(&e->lock);
	return 0;
}

uint16_t emu_pin_levels(struct emu *e)
{
	uint16_t levels;

	pthread_mutex_lock(&e->lock);
	emu_sync(e);
	levels = emu_gpio_levels(e);
	pthread_mutex_unlock(&e->lock);
	return levels;
}

bool emu_input_level(struct emu *e, unsigned pin)
{
	bool level;

	pthread_mutex_lock(&e->lock);
	level = pin < MCP2210_PIN_COUNT && (e->external >> pin & 1);
	pthread_mutex_unlock(&e->lock);
	return level;
}

bool emu_external_master(struct emu *e)
{
	bool owns;

	pthread_mutex_lock(&e->lock);
	emu_sync(e);
	owns = e->external_master;
	pthread_mutex_unlock(&e->lock);
	return owns;
}

/* The external master's request line is GP8's outside level, active low. */
void emu_set_external_master(struct emu *e, bool wants_bus)
{
	emu_set_input(e, 8, !wants_bus);
}

int emu_attach(struct emu *e, unsigned cs, struct emu_periph *p)
{
	int ret = 0;

	if (cs >= EMU_CS_LINES || !p) {
		emu_periph_free(p);
		return -EINVAL;
	}
	pthread_mutex_lock(&e->lock);
	if (e->periph[cs]) {
		ret = -EBUSY;
		emu_periph_free(p);
	} else {
		e->periph[cs] = p;
		/* A board pulls a peripheral's chip-select line up, so that a pin left as an input
		 * does not select it (peripherals follow the line whatever drives it). A line
		 * driven low selects the part the moment it is wired in. */
		e->external |= (uint16_t)(1u << cs);
		emu_gpio_cs_update(e, e->now_ns);
	}
	pthread_mutex_unlock(&e->lock);
	return ret;
}

struct emu_periph *emu_periph_at(struct emu *e, unsigned cs)
{
	struct emu_periph *p;

	if (cs >= EMU_CS_LINES)
		return NULL;
	pthread_mutex_lock(&e->lock);
	p = e->periph[cs];
	pthread_mutex_unlock(&e->lock);
	return p;
}

int emu_describe_periph(struct emu *e, unsigned cs, char *buf, size_t size)
{
	int ret = 0;

	if (cs >= EMU_CS_LINES)
		return 0;
	pthread_mutex_lock(&e->lock);
	if (e->periph[cs])
		ret = e->periph[cs]->ops->describe(e->periph[cs], e->now_ns, buf, size);
	pthread_mutex_unlock(&e->lock);
	return ret;
}

void emu_power_cycle(struct emu *e)
{
	pthread_mutex_lock(&e->lock);
	emu_power_up(e);
	pthread_mutex_unlock(&e->lock);
}

void emu_unplug(struct emu *e)
{
	pthread_mutex_lock(&e->lock);
	e->plugged = false;
	emu_usb_flush(e);
	emu_usb_changed(e);
	pthread_mutex_unlock(&e->lock);
}

/* The MCP2210 is bus powered: plugging it back in is a power-up. */
void emu_replug(struct emu *e)
{
	pthread_mutex_lock(&e->lock);
	e->plugged = true;
	e->faults.disconnect_armed = false;
	emu_power_up(e);
	pthread_mutex_unlock(&e->lock);
}

bool emu_plugged(struct emu *e)
{
	bool plugged;

	pthread_mutex_lock(&e->lock);
	plugged = e->plugged;
	pthread_mutex_unlock(&e->lock);
	return plugged;
}

void emu_host_vanished(struct emu *e)
{
	pthread_mutex_lock(&e->lock);
	emu_sync(e);
	if (e->engine.active)
		e->engine.orphaned = true;
	emu_usb_flush(e);
	pthread_mutex_unlock(&e->lock);
}

void emu_usb_listen(struct emu *e, void (*fn)(void *arg, bool plugged), void *arg)
{
	pthread_mutex_lock(&e->lock);
	e->listener = fn;
	e->listener_arg = arg;
	pthread_mutex_unlock(&e->lock);
}

static void usb_identity(struct emu *e, bool enumerated, struct mcp2210_usb_key *key,
			 struct mcp2210_usb_string *manufacturer, struct mcp2210_usb_string *product, char serial[32])
{
	pthread_mutex_lock(&e->lock);
	if (key)
		*key = enumerated ? e->enumerated_key : e->nvram.usb_key;
	if (manufacturer)
		*manufacturer = enumerated ? e->enumerated_manufacturer : e->nvram.manufacturer;
	if (product)
		*product = enumerated ? e->enumerated_product : e->nvram.product;
	if (serial)
		memcpy(serial, e->serial, sizeof(e->serial));
	pthread_mutex_unlock(&e->lock);
}

void emu_usb_identity(struct emu *e, struct mcp2210_usb_key *key, struct mcp2210_usb_string *manufacturer,
		      struct mcp2210_usb_string *product, char serial[32])
{
	usb_identity(e, false, key, manufacturer, product, serial);
}

void emu_usb_enumerated(struct emu *e, struct mcp2210_usb_key *key, struct mcp2210_usb_string *manufacturer,
			struct mcp2210_usb_string *product, char serial[32])
{
	usb_identity(e, true, key, manufacturer, product, serial);
}

void emu_counters_get(struct emu *e, struct emu_counters *c)
{
	pthread_mutex_lock(&e->lock);
	*c = e->counters;
	pthread_mutex_unlock(&e->lock);
}

void emu_counters_reset(struct emu *e)
{
	pthread_mutex_lock(&e->lock);
	memset(&e->counters, 0, sizeof(e->counters));
	pthread_mutex_unlock(&e->lock);
}
