/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef MCP2210FS_BENCH_FLASH_RSS_H
#define MCP2210FS_BENCH_FLASH_RSS_H

/* Growth of this process's resident set, in MiB, from creating an emulated 1 MiB flash,
 * reading all of it and chip-erasing it; negative when /proc cannot be read or out of memory.
 * Run it before anything else allocates much, so freed heap is not reused. */
double bench_flash_rss_growth_mib(void);

#endif
