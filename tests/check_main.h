/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one main() of every Check program: one SRunner over the program's suites, output level
 * from CK_VERBOSITY, exit status for the automake test driver.
 */
#ifndef MCP2210FS_TESTS_CHECK_MAIN_H
#define MCP2210FS_TESTS_CHECK_MAIN_H

#include <stdlib.h>

#include <check.h>

typedef Suite *(*check_suite_fn)(void);

static inline int check_run(const check_suite_fn *suites, size_t n)
{
	SRunner *sr = srunner_create(suites[0]());
	int failed;

	for (size_t i = 1; i < n; i++)
		srunner_add_suite(sr, suites[i]());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#define CHECK_MAIN(...)                                                                            \
	int main(void)                                                                             \
	{                                                                                          \
		static const check_suite_fn suites[] = { __VA_ARGS__ };                            \
		return check_run(suites, sizeof(suites) / sizeof(suites[0]));                      \
	}

#endif
