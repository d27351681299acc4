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

/* "6=1", or several pairs separated by blanks or newlines; all checked before any is set. */
static int inputs_store(struct mount *m, const struct fs_node *n, char *value)
{
	unsigned pins[MCP2210_PIN_COUNT * 4], levels[MCP2210_PIN_COUNT * 4], count = 0;
	char *save = NULL;

	(void)n;
	for (char *tok = strtok_r(value, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		if (count == sizeof(pins) / sizeof(pins[0]) || strlen(tok) != 3 || tok[0] < '0' || tok[0] > '8' ||
		    tok[1] != '=' || (tok[2] != '0' && tok[2] != '1'))
			return -EINVAL;
		pins[count] = (unsigned)(tok[0] - '0');
		levels[count++] = (unsigned)(tok[2] - '0');
	}
	if (count == 0)
		return -EINVAL;
	for (unsigned i = 0; i < count; i++)
		emu_set_input(m->emu, pins[i], levels[i]);
	return 0;
}

const struct fs_node_ops fs_emu_inputs_ops = { .show = inputs_show, .store = inputs_store, .size = TEXT_MAX, .multiline = true };

/* ---- power and cable: on the worker, so the device cache is dropped in step --------------- */

static int power_cycle_job(struct mount *m, void *arg)
{
	(void)arg;
	emu_power_cycle(m->emu);
	mount_invalidate(m);
	mount_enumerated(m);
	return 0;
}

static int power_cycle_store(struct mount *m, const struct fs_node *n, char *value)
{
	(void)n;
	if (strcmp(value, "1") != 0)
		return -EINVAL;
	return mount_run(m, power_cycle_job, NULL);
}

const struct fs_node_ops fs_emu_power_cycle_ops = { .store = power_cycle_store, .size = TEXT_MAX };

static int plug_job(struct mount *m, void *arg)
{
	if (*(bool *)arg) {
		emu_replug(m->emu);
		mount_enumerated(m);
	} else {
		emu_unplug(m->emu);
	}
	mount_invalidate(m);
	return 0;
}

static int bool_value(const char *value, bool *out)
{
	if (strcmp(value, "0") != 0 && strcmp(value, "1") != 0)
		return -EINVAL;
	*out = value[0] == '1';
	return 0;
}

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
	if (bool_value(value, &plug) < 0)
		return -EINVAL;
	if (plug == emu_plugged(m->emu))
		return 0;
	/* Unplugging must not wait behind queued jobs: that is the point of pulling the cable. */
	if (!plug) {
		emu_unplug(m->emu);
		return 0;
	}
	return mount_run(m, plug_job, &plug);
}

const struct fs_node_ops fs_emu_plugged_ops = { .show = plugged_show, .store = plugged_store, .size = TEXT_MAX };

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
	if (bool_value(value, &wants) < 0)
		return -EINVAL;
	emu_set_external_master(m->emu, wants); /* the hand-over itself is the chip's (emu_bus.c) */
	return 0;
}

const struct fs_node_ops fs_emu_external_master_ops = { .show = external_master_show, .store = external_master_store, .size = TEXT_MAX };

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

const struct fs_node_ops fs_emu_peripherals_ops = { .show = peripherals_show, .size = TEXT_MAX };

static const char *const fault_names[EMU_FAULT_KIND_COUNT] = {
	[EMU_FAULT_NO_ANSWER] = "no_answer",   [EMU_FAULT_LATE_ANSWER] = "late_answer",
	[EMU_FAULT_CORRUPT] = "corrupt",       [EMU_FAULT_WRONG_ECHO] = "wrong_echo",
	[EMU_FAULT_BUSY] = "busy",             [EMU_FAULT_SPI_STALL] = "spi_stall",
	[EMU_FAULT_DISCONNECT] = "disconnect", [EMU_FAULT_EEPROM_WRITE] = "eeprom_write",
	[EMU_FAULT_SILENT_WRITE] = "silent_write",
};

static int fault_pair(void *ctx, const char *key, const char *value)
{
	struct mount *m = ctx;
	int kind = text_enum(key, fault_names, EMU_FAULT_KIND_COUNT);
	unsigned long count;

	if (kind < 0 || text_uint(value, 0, 1000000, &count) < 0)
		return -EINVAL;
	emu_fault_arm(m->emu, (enum emu_fault)kind, (unsigned)count);
	return 0;
}

static int faults_store(struct mount *m, const struct fs_node *n, char *value)
{
	(void)n;
	return text_each_pair(value, fault_pair, m);
}

const struct fs_node_ops fs_emu_faults_ops = { .store = faults_store, .size = TEXT_MAX, .multiline = true };

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

const struct fs_node_ops fs_emu_counters_ops = { .show = counters_show, .store = counters_store, .size = TEXT_MAX };
