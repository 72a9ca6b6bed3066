/* SPDX-License-Identifier: MIT */
/*
 * Emits every field type with edge values (check_types.py holds the same
 * values and compares them with what babeltrace2 decodes). Traced through
 * the environment: RSEQTRACE_INPROC, RSEQTRACE_EVENTS=types:*, contexts.
 */
#define _GNU_SOURCE
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rseqtrace/session.h>

#include "types_tp.h"

static int side_effects;

static int touch(void)
{
	return ++side_effects;
}

int main(void)
{
	if (!rseqtrace_enabled(types, ints) || rseqtrace_enabled(other, skipped)) {
		fprintf(stderr, "enable state wrong: ints %d skipped %d\n",
			rseqtrace_enabled(types, ints), rseqtrace_enabled(other, skipped));
		return 2;
	}
	rseqtrace(other, skipped, touch());
	if (side_effects != 0) {
		fprintf(stderr, "a disabled call site evaluated its argument\n");
		return 2;
	}

	rseqtrace(types, ints, INT8_MIN, UINT8_MAX, INT16_MIN, UINT16_MAX, INT32_MIN, UINT32_MAX,
		  INT64_MIN, UINT64_MAX);
	rseqtrace(types, ints, INT8_MAX, 0, INT16_MAX, 0, INT32_MAX, 0, INT64_MAX, 0);
	rseqtrace(types, ints, -1, 0xab, -2, 0xbeef, -3, 0xdeadbeef, -4, 0x0123456789abcdefull);

	rseqtrace(types, reals, NAN, NAN);
	rseqtrace(types, reals, INFINITY, -INFINITY);
	rseqtrace(types, reals, -0.0f, 4.9406564584124654e-324); /* smallest denormal */
	rseqtrace(types, reals, FLT_MAX, DBL_MAX);
	rseqtrace(types, reals, 1.5f, -2.25);

	static char long_utf8[3001];
	const char *piece = "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89 ";
	size_t pl = strlen(piece), at = 0;
	while (at + pl <= 3000) {
		memcpy(long_utf8 + at, piece, pl);
		at += pl;
	}
	long_utf8[at] = 0;
	rseqtrace(types, strings, "", long_utf8);
	rseqtrace(types, strings, NULL, "x");
	rseqtrace(types, strings, "h\xc3\xa9llo", "");

	int16_t a4[4] = { INT16_MIN, -1, 0, INT16_MAX };
	uint8_t h5[5] = { 0, 1, 0x7f, 0x80, 0xff };
	rseqtrace(types, arrays, a4, h5, "abcdef");

	static int64_t v[1000];
	for (int i = 0; i < 1000; i++)
		v[i] = (int64_t)i * i * (i % 2 ? -1 : 1) * 1000003;
	v[999] = INT64_MIN;
	uint16_t h[3] = { 0, 0xabcd, 0xffff };
	rseqtrace(types, seqs, v, 0, "", 0, h, 0);
	rseqtrace(types, seqs, v, 1000, "text!", 5, h, 3);
	rseqtrace(types, seqs, NULL, 5, NULL, 9, NULL, 7);

	rseqtrace(types, enums, -5, 1, 7);
	rseqtrace(types, enums, 0, UINT64_MAX, 8);
	rseqtrace(types, enums, 1, 42, 9);
	rseqtrace(types, enums, 127, 0x8000000000000000ull, 7);

	unsigned char all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (unsigned char)i;
	rseqtrace(types, blobs, all, sizeof all);
	rseqtrace(types, blobs, NULL, 0);
	rseqtrace(types, blobs, "\0\xff", 2);

	rseqtrace(types, empty);
	rseqtrace(types, align, 0xa1, 0xb2b2b2b2b2b2b2b2ull, 0xc3c3, 0xd4d4d4d4, 0.125);
	rseqtrace(types, ten, 1, 2, 3, 4, 5, 6, 7, 8, 9, "ten");

	static char big[64];
	rseqtrace(types, huge, big, 16);

	printf("pid=%d tid=%d\n", (int)getpid(), (int)gettid());
	return 0;
}
