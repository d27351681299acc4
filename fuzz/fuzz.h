/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared by the libFuzzer targets: an invariant check that is never compiled out (unlike
 * assert() under NDEBUG) and says which invariant broke before libFuzzer saves the input.
 */
#ifndef MCP2210FS_FUZZ_H
#define MCP2210FS_FUZZ_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond)                                                                     \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "fuzz: invariant violated at %s:%d: %s\n", __FILE__, \
				__LINE__, #cond);                                            \
			abort();                                                             \
		}                                                                            \
	} while (0)

#define FUZZ_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
