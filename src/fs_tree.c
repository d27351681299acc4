/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The node table that *is* the file tree of DESIGN.md. Inode numbers are table index + 1, so
 * the root is FUSE_ROOT_ID.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "emu/emu.h"
#include "fs.h"

#define DIR_MODE (S_IFDIR | 0755)
#define RO (S_IFREG | 0444)
#define RW (S_IFREG | 0644)
#define WO (S_IFREG | 0200)

static int add(struct fs_tree *t, unsigned parent, const char *name, mode_t mode, const struct fs_node_ops *ops,
	       int arg)
{
	struct fs_node *n;

	if (t->count == FS_MAX_NODES)
		return -ENOSPC;
	n = &t->nodes[t->count];
	snprintf(n->name, sizeof(n->name), "%s", name);
	n->parent = parent;
	n->mode = mode;
	n->ops = ops;
	n->arg = arg;
	n->erofs = false;
	return (int)t->count++;
}

struct entry {
	const char *name;
	mode_t mode;
	const struct fs_node_ops *ops;
};

static int add_all(struct fs_tree *t, unsigned parent, const struct entry *e, size_t n, int arg)
{
	for (size_t i = 0; i < n; i++) {
		int ret = add(t, parent, e[i].name, e[i].mode, e[i].ops, arg);

		if (ret < 0)
			return ret;
	}
	return 0;
}

#define ADD_ALL(t, parent, entries, arg) add_all(t, parent, entries, sizeof(entries) / sizeof(entries[0]), arg)

int fs_tree_build(struct fs_tree *t, const struct mount *m)
{
	const mode_t nv_rw = m->opt.nvram_rw ? RW : RO;
	const struct entry top[] = {
		{ "info", RO, &fs_info_ops },
		{ "status", RO, &fs_status_ops },
		{ "stats", RO, &fs_stats_ops },
		{ "settings", RW, &fs_settings_ops },
		{ "eeprom", RW, &fs_eeprom_ops },
	};
	const struct entry spi[] = {
		{ "xfer", S_IFREG | 0644, &fs_spi_xfer_ops },
		{ "bitrate", RW, &fs_spi_bitrate_ops },
		{ "mode", RW, &fs_spi_mode_ops },
		{ "cs", RW, &fs_spi_cs_ops },
		{ "cs_idle", RW, &fs_spi_cs_idle_ops },
		{ "cs_active", RW, &fs_spi_cs_active_ops },
		{ "delay_cs_to_data_us", RW, &fs_spi_delay_cs_to_data_ops },
		{ "delay_data_to_cs_us", RW, &fs_spi_delay_data_to_cs_ops },
		{ "delay_between_bytes_us", RW, &fs_spi_delay_between_bytes_ops },
	};
	const struct entry pin[] = {
		{ "value", RW, &fs_gpio_value_ops },
		{ "direction", RW, &fs_gpio_direction_ops },
		{ "function", RW, &fs_gpio_function_ops },
		{ "edge", RW, &fs_gpio_edge_ops },
		{ "active_low", RW, &fs_gpio_active_low_ops },
	};
	const struct entry irq[] = {
		{ "count", RW, &fs_irq_count_ops },
		{ "mode", RW, &fs_irq_mode_ops },
	};
	const struct entry nvram[] = {
		{ "settings", nv_rw, &fs_nvram_settings_ops },
		{ "usb", nv_rw, &fs_nvram_usb_ops },
		{ "access", nv_rw, &fs_nvram_access_ops },
		{ "unlock", WO, &fs_nvram_unlock_ops },
	};
	const struct entry emulator[] = {
		{ "inputs", RW, &fs_emu_inputs_ops },
		{ "power_cycle", WO, &fs_emu_power_cycle_ops },
		{ "plugged", RW, &fs_emu_plugged_ops },
		{ "external_master", RW, &fs_emu_external_master_ops },
		{ "peripherals", RO, &fs_emu_peripherals_ops },
		{ "faults", WO, &fs_emu_faults_ops },
		{ "counters", RW, &fs_emu_counters_ops },
	};
	int dir, gpio, ret;

	t->count = 0;
	add(t, 0, "", DIR_MODE, NULL, 0); /* root */
	ret = ADD_ALL(t, 0, top, 0);
	if (ret < 0 || (dir = add(t, 0, "spi", DIR_MODE, NULL, 0)) < 0 || (ret = ADD_ALL(t, (unsigned)dir, spi, 0)) < 0)
		return ret < 0 ? ret : dir;
	gpio = add(t, 0, "gpio", DIR_MODE, NULL, 0);
	for (int p = 0; gpio >= 0 && p < MCP2210_PIN_COUNT; p++) {
		char name[4];

		snprintf(name, sizeof(name), "%d", p);
		dir = add(t, (unsigned)gpio, name, DIR_MODE, NULL, p);
		if (dir < 0 || (ret = ADD_ALL(t, (unsigned)dir, pin, p)) < 0)
			return dir < 0 ? dir : ret;
	}
	if ((dir = add(t, 0, "interrupt", DIR_MODE, NULL, 0)) < 0 || (ret = ADD_ALL(t, (unsigned)dir, irq, 0)) < 0)
		return dir < 0 ? dir : ret;
	if ((dir = add(t, 0, "nvram", DIR_MODE, NULL, 0)) < 0 || (ret = ADD_ALL(t, (unsigned)dir, nvram, 0)) < 0)
		return dir < 0 ? dir : ret;
	/* An NVRAM file without write bits lacks them only because -o nvram=rw was not given
	 * (nv_rw): refuse writing it as a read-only mount would. */
	for (unsigned i = (unsigned)dir + 1; i < t->count; i++)
		t->nodes[i].erofs = !(t->nodes[i].mode & 0222);
	if (m->opt.emulate) {
		if ((dir = add(t, 0, "emulator", DIR_MODE, NULL, 0)) < 0 ||
		    (ret = ADD_ALL(t, (unsigned)dir, emulator, 0)) < 0)
			return dir < 0 ? dir : ret;
	}
	return 0;
}

int fs_tree_lookup(const struct fs_tree *t, unsigned dir, const char *name)
{
	for (unsigned i = 1; i < t->count; i++)
		if (t->nodes[i].parent == dir && strcmp(t->nodes[i].name, name) == 0)
			return (int)i;
	return -1;
}
