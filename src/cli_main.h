/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's entry point (main.c), for the programs built on it: mcp2210fs itself and the
 * benchmark's baseline, which differ only in the policy they pass.
 */
#ifndef MCP2210FS_MAIN_H
#define MCP2210FS_MAIN_H

#include "mount.h"

/* Everything main() does: argv as the user gave it (options, mount point), the device driven
 * as policy says. Returns the process's exit status: 0 after a clean stop (unmount, SIGTERM,
 * SIGINT, -o exit_on_unplug), --help, --version or --list; 1 when the start failed (the
 * reason logged). */
int mcp2210fs_main(int argc, char *argv[], enum mount_policy policy);

#endif
