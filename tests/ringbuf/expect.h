/* SPDX-License-Identifier: MIT */
/* EXPECT(cond, fmt, ...) for the ring-buffer test programs: prints the
 * file, line and message on stdout, counts the failure in `failures`,
 * goes on. (oracle.h's CHECK takes the oracle as well.) */
#ifndef RT_TESTS_RINGBUF_EXPECT_H
#define RT_TESTS_RINGBUF_EXPECT_H

#include <stdio.h>

static int failures;

#define EXPECT(cond, ...)                                                   \
	do {                                                                \
		if (!(cond)) {                                              \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);         \
			printf(__VA_ARGS__);                                \
			printf("\n");                                       \
			failures++;                                         \
		}                                                           \
	} while (0)

#endif
