/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * emulator/: the outside world of an emulated chip, so that demos and tests can drive pins,
 * pull the cable, power-cycle, hand the bus to another master and inject faults through the
 * same tree users see.
 */
#include <errno.h>
#include <string.h>

#include "emu/emu.h"
#include "fs.h"

/* ---- inputs ------------------------------------------------------------------------------ */

static int inputs_show(struct mount *m, const struct fs_node *n, struct text *out)
{
	(void)n;
	for (unsigned pin = 0; pin < MCP2210_PIN_COUNT; pin++)
		text_printf(out, "gp%u=%u\n", pin, emu_input_level(m->emu, pin));
	return 0;
}

/* "6=1", or several pairs separated by blanks or newlines, set in order (a pulse is
 * "6=0 6=1 6=0"); all checked before any is set. */
struct input_list {
	unsigned pins[MCP2210_PIN_COUNT * 4], levels[MCP2210_PIN_COUNT * 4], count;
};

static int inputs_parse(char *value, struct input_list *l)
{
	char *save = NULL;

	l->count = 0;
	for (char *tok = strtok_r(value, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		char *eq = strchr(tok, '=');
		unsigned long pin;
		bool level;

		if (l->count == sizeof(l->pins) / sizeof(l->pins[0]) || !eq)
			return -EINVAL;
		*eq = '\0';
		if (text_uint(tok, 0, MCP2210_PIN_COUNT - 1, &pin) < 0 || text_bool(eq + 1, &level) < 0)
			return -EINVAL;
		l->pins[l->count] = (unsigned)pin;
		l->levels[l->count++] = (unsigned)level;
	}
	return l->count ? 0 : -EINVAL;
}

static int inputs_check(char *value)
{
	struct input_list l;

	return inputs_parse(value, &l);
}

static int inputs_store(struct mount *m, const struct fs_node *n, char *value)
{
	struct input_list l;

	(void)n;
	if (inputs_parse(value, &l) < 0)
		return -EINVAL;
	for (unsigned i = 0; i < l.count; i++)
		emu_set_input(m->emu, l.pins[i], l.levels[i]);
	return 0;
}

const struct fs_node_ops fs_emu_inputs_ops = { .show = inputs_show, .store = inputs_store, .size = TEXT_MAX, .multiline = true, .check = inputs_check, .local = true };

/* ---- power and cable ---------------------------------------------------------------------- */

/* A power cycle comes between two operations, on the worker, so that a test can rely on
 * what it does to the chip: it waits for the operation in progress (and its queue deadline
 * applies). The device cache is dropped in step; the transport learns the new USB identity
 * from the emulator itself (emu_usb_listen()). */
static int power_cycle_job(struct mount *m, void *arg)
{
	(void)arg;
	emu_power_cycle(m->emu);
	mount_invalidate(m);
	return 0;
}

static int power_cycle_store(struct mount *m, const struct fs_node *n, char *value)
{
	(void)n;
	if (strcmp(value, "1") != 0)
		return -EINVAL;
	return mount_run_offline(m, power_cycle_job, NULL);
}

const struct fs_node_ops fs_emu_power_cycle_ops = { .store = power_cycle_store, .size = TEXT_MAX };

static int plugged_show(struct mount *m, const struct fs_node *n, struct text *out)
{
	(void)n;
	text_printf(out, "%d\n", emu_plugged(m->emu) ? 1 : 0);
	return 0;
}

static int plugged_store(struct mount *m, const struct fs_node *n, char *value)
{
	bool plug;

	(void)n;
	if (text_bool(value, &plug) < 0)
		return -EINVAL;
	if (plug == emu_plugged(m->emu))
		return 0;
	/* The cable is not the chip: pulling it does not wait behind queued jobs, and a chip
	 * plugged back in is a new one to the device layer (mount_changed). */
	if (!plug) {
		emu_unplug(m->emu);
		return 0;
	}
	emu_replug(m->emu); /* the transport learns the new USB identity from the emulator */
	mount_changed(m);
	return 0;
}

const struct fs_node_ops fs_emu_plugged_ops = { .show = plugged_show, .store = plugged_store, .size = TEXT_MAX, .local = true };

static int external_master_show(struct mount *m, const struct fs_node *n, struct text *out)
{
	(void)n;
	/* the request as written (GP8 held low); status shows whether the bus was handed over */
	text_printf(out, "%d\n", emu_input_level(m->emu, 8) ? 0 : 1);
	return 0;
}

static int external_master_store(struct mount *m, const struct fs_node *n, char *value)
{
	bool wants;

	(void)n;
	if (text_bool(value, &wants) < 0)
		return -EINVAL;
	emu_set_external_master(m->emu, wants); /* the hand-over itself is the chip's (emu_bus.c) */
	return 0;
}

const struct fs_node_ops fs_emu_external_master_ops = { .show = external_master_show, .store = external_master_store, .size = TEXT_MAX, .local = true };

/* ---- peripherals and faults -------------------------------------------------------------- */

static int peripherals_show(struct mount *m, const struct fs_node *n, struct text *out)
{
	(void)n;
	for (unsigned cs = 0; cs < 8; cs++) {
		char line[256];

		if (emu_describe_periph(m->emu, cs, line, sizeof(line)) > 0)
			text_printf(out, "cs%u: %s\n", cs, line);
	}
	return 0;
}

const struct fs_node_ops fs_emu_peripherals_ops = { .show = peripherals_show, .size = TEXT_MAX, .local = true };

static const char *const fault_names[EMU_FAULT_KIND_COUNT] = {
	[EMU_FAULT_NO_ANSWER] = "no_answer",   [EMU_FAULT_LATE_ANSWER] = "late_answer",
	[EMU_FAULT_CORRUPT] = "corrupt",       [EMU_FAULT_WRONG_ECHO] = "wrong_echo",
	[EMU_FAULT_BUSY] = "busy",             [EMU_FAULT_SPI_STALL] = "spi_stall",
	[EMU_FAULT_DISCONNECT] = "disconnect", [EMU_FAULT_EEPROM_WRITE] = "eeprom_write",
	[EMU_FAULT_SILENT_WRITE] = "silent_write",
};

/* Every line is checked before any fault is armed: a bad line arms nothing. */
struct fault_parse {
	unsigned count[EMU_FAULT_KIND_COUNT];
	bool seen[EMU_FAULT_KIND_COUNT];
};

static int fault_pair(void *ctx, const char *key, const char *value)
{
	struct fault_parse *p = ctx;
	int kind = text_enum(key, fault_names, EMU_FAULT_KIND_COUNT);
	unsigned long count;

	if (kind < 0 || p->seen[kind] || text_uint(value, 0, 1000000, &count) < 0)
		return -EINVAL;
	p->seen[kind] = true;
	p->count[kind] = (unsigned)count;
	return 0;
}

static int faults_check(char *value)
{
	struct fault_parse p = { 0 };

	return text_each_pair(value, fault_pair, &p);
}

static int faults_store(struct mount *m, const struct fs_node *n, char *value)
{
	struct fault_parse p = { 0 };
	int ret = text_each_pair(value, fault_pair, &p);

	(void)n;
	if (ret < 0)
		return ret;
	for (unsigned kind = 0; kind < EMU_FAULT_KIND_COUNT; kind++)
		if (p.seen[kind])
			emu_fault_arm(m->emu, (enum emu_fault)kind, p.count[kind]);
	return 0;
}

const struct fs_node_ops fs_emu_faults_ops = { .store = faults_store, .size = TEXT_MAX, .multiline = true, .check = faults_check, .local = true };

/* ---- counters: what the emulated chip saw on its USB side, for benchmarks and tests ------ */

static int counters_show(struct mount *m, const struct fs_node *n, struct text *out)
{
	struct emu_counters c;

	(void)n;
	emu_counters_get(m->emu, &c);
	text_printf(out, "exchanges: %llu\nframes: %llu\ncommands: %llu\nspi_bytes: %llu\nfaults: %llu\ntime_us: %llu\n",
		    (unsigned long long)c.exchanges, (unsigned long long)c.frames, (unsigned long long)c.commands,
		    (unsigned long long)c.spi_bytes, (unsigned long long)c.faults,
		    (unsigned long long)(emu_now(m->emu) / 1000u));
	return 0;
}

static int counters_store(struct mount *m, const struct fs_node *n, char *value)
{
	(void)n;
	if (strcmp(value, "0") != 0)
		return -EINVAL;
	emu_counters_reset(m->emu);
	return 0;
}

const struct fs_node_ops fs_emu_counters_ops = { .show = counters_show, .store = counters_store, .size = TEXT_MAX, .local = true };
