/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gpio/N/{value,direction,function,edge,active_low} and interrupt/{count,mode}, as the sysfs
 * GPIO ABI has them (Documentation/ABI/obsolete/sysfs-gpio; gpiolib-sysfs.c).
 */
#include <errno.h>
#include <string.h>

#include "fs.h"
#include "util/log.h"
#include "fs_settings_text.h"

/* ---- value ------------------------------------------------------------------------------- */

static int levels_job(struct mount *m, void *arg) { return device_gpio_levels(&m->dev, arg); }

/* Pin levels change outside the host's control: never cached, but concurrent readers of any
 * pin and the poll sampler share one 0x31. */
int fs_gpio_levels(struct mount *m, uint16_t *levels)
{
	return mount_run_shared(m, (uintptr_t)levels_job, levels_job, levels, sizeof(*levels));
}

static int value_get(struct mount *m, const struct fs_node *n, unsigned *out)
{
	uint16_t levels = 0;
	int ret = fs_gpio_levels(m, &levels);

	if (ret == 0)
		*out = ((unsigned)(levels >> n->arg) & 1u) ^ atomic_load(&m->active_low[n->arg]);
	return ret;
}

struct pin_write {
	unsigned pin;
	bool level, output; /* level: the physical one */
};

static int value_job(struct mount *m, void *arg)
{
	struct pin_write *w = arg;

	return device_gpio_write(&m->dev, w->pin, w->level);
}

static int value_store(struct mount *m, const struct fs_node *n, char *value)
{
	struct pin_write w = { .pin = (unsigned)n->arg };
	bool v;

	if (text_bool(value, &v) < 0)
		return -EINVAL;
	w.level = v ^ atomic_load(&m->active_low[n->arg]);
	return mount_run(m, value_job, &w);
}

const struct fs_node_ops fs_gpio_value_ops = { .value = value_get, .store = value_store, .size = TEXT_MAX };

/* ---- direction --------------------------------------------------------------------------- */

static int chip_job(struct mount *m, void *arg) { return device_chip_settings(&m->dev, arg); }

static int direction_show(struct mount *m, const struct fs_node *n, struct text *out)
{
	struct mcp2210_chip_settings cs = { 0 };
	int ret = mount_run(m, chip_job, &cs);

	if (ret == 0)
		text_printf(out, "%s\n", (cs.gpio_direction >> n->arg) & 1 ? "in" : "out");
	return ret;
}

static int direction_job(struct mount *m, void *arg)
{
	struct pin_write *w = arg;

	return device_gpio_direction(&m->dev, w->pin, w->output, w->level);
}

/* As gpiolib-sysfs: "out" is "low", and "high"/"low" are physical levels whatever
 * active_low says (gpiod_direction_output_raw). */
static int direction_store(struct mount *m, const struct fs_node *n, char *value)
{
	static const char *const names[] = { "in", "out", "low", "high" };
	struct pin_write w = { .pin = (unsigned)n->arg };
	int which = text_enum(value, names, 4);

	if (which < 0)
		return -EINVAL;
	w.output = which != 0;
	w.level = which == 3;
	return mount_run(m, direction_job, &w);
}

const struct fs_node_ops fs_gpio_direction_ops = { .show = direction_show, .store = direction_store, .size = TEXT_MAX };

/* ---- function ---------------------------------------------------------------------------- */

static int function_show(struct mount *m, const struct fs_node *n, struct text *out)
{
	struct mcp2210_chip_settings cs = { 0 };
	int ret = mount_run(m, chip_job, &cs);
	char name[SETTINGS_FUNCTION_MAX];

	if (ret < 0)
		return ret;
	settings_function_format((unsigned)n->arg, cs.pin_function[n->arg], name);
	text_printf(out, "%s\n", name);
	return 0;
}

struct function_write {
	unsigned pin;
	uint8_t function;
};

/* 0x21 rewrites every pin's value and direction: send back the ones we know so that changing
 * one pin's function moves nothing else. */
static int function_job(struct mount *m, void *arg)
{
	struct function_write *w = arg;
	struct mcp2210_chip_settings cs = { 0 };
	int ret = device_chip_settings(&m->dev, &cs);

	if (ret < 0 || cs.pin_function[w->pin] == w->function)
		return ret;
	cs.pin_function[w->pin] = w->function;
	return device_set_chip_settings(&m->dev, &cs);
}

static int function_store(struct mount *m, const struct fs_node *n, char *value)
{
	struct function_write w = { .pin = (unsigned)n->arg };
	int f = settings_function_parse(w.pin, value);

	if (f < 0)
		return -EINVAL;
	w.function = (uint8_t)f;
	return mount_run(m, function_job, &w);
}

const struct fs_node_ops fs_gpio_function_ops = { .show = function_show, .store = function_store, .size = TEXT_MAX };

/* ---- edge (for poll on value) ------------------------------------------------------------ */

static const char *const edge_names[] = { "none", "rising", "falling", "both" };

static int edge_show(struct mount *m, const struct fs_node *n, struct text *out)
{
	text_printf(out, "%s\n", edge_names[atomic_load(&m->edge[n->arg]) & 3]);
	return 0;
}

static int edge_store(struct mount *m, const struct fs_node *n, char *value)
{
	int e = text_enum(value, edge_names, 4);

	if (e < 0)
		return -EINVAL;
	atomic_store(&m->edge[n->arg], (unsigned char)e);
	return 0;
}

const struct fs_node_ops fs_gpio_edge_ops = { .show = edge_show, .store = edge_store, .size = TEXT_MAX, .local = true };

/* ---- active_low: host-side polarity of value and edge -------------------------------------- */

static int active_low_show(struct mount *m, const struct fs_node *n, struct text *out)
{
	text_printf(out, "%d\n", atomic_load(&m->active_low[n->arg]) ? 1 : 0);
	return 0;
}

static int active_low_store(struct mount *m, const struct fs_node *n, char *value)
{
	bool v;

	if (text_bool(value, &v) < 0)
		return -EINVAL;
	atomic_store(&m->active_low[n->arg], v);
	return 0;
}

const struct fs_node_ops fs_gpio_active_low_ops = { .show = active_low_show, .store = active_low_store, .size = TEXT_MAX, .local = true };

/* ---- interrupt/count and interrupt/mode -------------------------------------------------- */

struct count_io {
	bool reset;
	uint16_t count;
};

static int count_job(struct mount *m, void *arg)
{
	struct count_io *io = arg;

	return device_event_count(&m->dev, io->reset, &io->count);
}

/* Concurrent readers and the poll sampler share one 0x12 (a reset never shares: count_store). */
int fs_irq_count(struct mount *m, uint16_t *count)
{
	struct count_io io = { 0 };
	int ret = mount_run_shared(m, (uintptr_t)count_job, count_job, &io, sizeof(io));

	*count = io.count;
	return ret;
}

static int count_get(struct mount *m, const struct fs_node *n, unsigned *out)
{
	uint16_t count = 0;
	int ret;

	(void)n;
	ret = fs_irq_count(m, &count);
	if (ret == 0)
		*out = count;
	return ret;
}

static int count_store(struct mount *m, const struct fs_node *n, char *value)
{
	struct count_io io = { .reset = true };

	(void)n;
	if (strcmp(value, "0") != 0)
		return -EINVAL;
	return mount_run(m, count_job, &io);
}

const struct fs_node_ops fs_irq_count_ops = { .value = count_get, .store = count_store, .size = TEXT_MAX };

static int irq_mode_show(struct mount *m, const struct fs_node *n, struct text *out)
{
	struct mcp2210_chip_settings cs = { 0 };
	int ret = mount_run(m, chip_job, &cs);

	(void)n;
	if (ret == 0)
		text_printf(out, "%s\n", settings_irq_mode_names[cs.irq_mode % 5]);
	return ret;
}

/* The chip counts only with GP6 in its dedicated function (DS22288A p. 53): a counting mode
 * for a GP6 that is not the interrupt input would silently count nothing, so it is refused
 * (EPERM, the pin's role), as spi/cs refuses a pin that is not a chip select. */
static int irq_mode_job(struct mount *m, void *arg)
{
	struct mcp2210_chip_settings cs = { 0 };
	int ret = device_chip_settings(&m->dev, &cs);

	if (ret == 0 && *(uint8_t *)arg != 0 && cs.pin_function[6] != MCP2210_PIN_DEDICATED) {
		const char *name = settings_function_name(6, cs.pin_function[6]);

		log_warn("interrupt/mode: GP6 is not the interrupt input (its function is %s): write interrupt to "
			 "gpio/6/function first",
			 name ? name : "gpio");
		return -EPERM;
	}
	if (ret < 0 || cs.irq_mode == *(uint8_t *)arg)
		return ret;
	cs.irq_mode = *(uint8_t *)arg;
	return device_set_chip_settings(&m->dev, &cs);
}

static int irq_mode_store(struct mount *m, const struct fs_node *n, char *value)
{
	int mode = text_enum(value, settings_irq_mode_names, 5);
	uint8_t v = (uint8_t)mode;

	(void)n;
	if (mode < 0)
		return -EINVAL;
	return mount_run(m, irq_mode_job, &v);
}

const struct fs_node_ops fs_irq_mode_ops = { .show = irq_mode_show, .store = irq_mode_store, .size = TEXT_MAX };
