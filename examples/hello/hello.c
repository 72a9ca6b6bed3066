/* SPDX-License-Identifier: MIT */
/*
 * hello: traces a few events of different shapes.
 *
 *   RSEQTRACE_INPROC=/tmp/traces ./hello [count]   # trace in-process
 *   babeltrace2 /tmp/traces
 */
#include <stdio.h>
#include <stdlib.h>

#include "hello_tp.h"

int main(int argc, char **argv)
{
	int count = argc > 1 ? atoi(argv[1]) : 5;
	uint32_t values[8] = { 1, 2, 3, 5, 8, 13, 21, 34 };
	const unsigned char raw[4] = { 0xde, 0xad, 0xbe, 0xef };

	for (int i = 0; i < count; i++) {
		rseqtrace(hello, greeting, i, "world");
		rseqtrace(hello, measure, (uint64_t)(uintptr_t)&values[i % 8], i / 3.0, i % 4);
		rseqtrace(hello, batch, values, (size_t)(i % 9), raw, sizeof raw);
		rseqtrace(hello, tick);
	}
	printf("hello: %d rounds of 4 events\n", count);
	return 0;
}
