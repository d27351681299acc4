/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mcp2210fs: the daemon with every optimisation on (see cli_main.c for its life).
 */
#include "cli_main.h"

int main(int argc, char *argv[]) { return mcp2210fs_main(argc, argv, MOUNT_OPTIMISED); }
