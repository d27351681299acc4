/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mcp2210fs-naive: the benchmark's baseline, never installed. The same daemon from the same
 * objects as mcp2210fs, with every optimisation off (MOUNT_NAIVE: OUT before IN, nothing
 * cached, no coalescing), so that `make bench` can show what each one gains. It takes the
 * options mcp2210fs takes; users never see the baseline in mcp2210fs --help.
 */
#include "cli_main.h"

int main(int argc, char *argv[]) { return mcp2210fs_main(argc, argv, MOUNT_NAIVE); }
