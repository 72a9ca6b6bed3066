/* SPDX-License-Identifier: MIT */
/* CHECK(cond, fmt, ...) for the C tests: reports the file, line and a
 * message, counts the failure in `failures`, goes on. */
#ifndef RT_TESTS_CHECK_H
#define RT_TESTS_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond, ...)                                                     \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                        \
			fputc('\n', stderr);                                 \
			failures++;                                          \
		}                                                            \
	} while (0)

#endif
