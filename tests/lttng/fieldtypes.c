/* SPDX-License-Identifier: MIT */
/*
 * fieldtypes ROUNDS: emits every event of fieldtypes_tp.h ROUNDS times,
 * cycling through extreme values (integer limits, NaN and infinities,
 * NULL and UTF-8 strings, empty, NULL and long sequences). Exit 3
 * if the events are not enabled at start.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "fieldtypes_tp.h"

/* No empty string: babeltrace2 2.0.4 decodes an empty string field as the
 * value the same field had in an earlier event (LTTng's traces too; the
 * bytes are right, babeltrace 1.5 prints ""), so bt2 cannot compare it. */
static const char *const strings[] = { "e", "hello", "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93",
				       "a longer string, sixty-four characters long, for the payload.." };
static const float floats[] = { 0.0f, -1.5f, FLT_MAX, INFINITY };
static const double doubles[] = { -0.0, 3.141592653589793, -INFINITY, NAN };

static void emit_round(int r)
{
	int k = r % 4;
	int8_t s8[] = { INT8_MIN, -1, 0, INT8_MAX };
	uint8_t u8[] = { 0, 1, 0x80, UINT8_MAX };
	int16_t s16[] = { INT16_MIN, -2, 2, INT16_MAX };
	uint16_t u16[] = { 0, 0x1234, 0x8000, UINT16_MAX };
	int32_t s32[] = { INT32_MIN, -3, 3, INT32_MAX };
	uint32_t u32[] = { 0, 0xdeadbeef, 0x80000000u, UINT32_MAX };
	int64_t s64[] = { INT64_MIN, -4, 4, INT64_MAX };
	uint64_t u64[] = { 0, 0x0123456789abcdefull, 1ull << 63, UINT64_MAX };
	rseqtrace(fieldtypes, ints, s8[k], u8[k], s16[k], u16[k], s32[k], u32[k], s64[k], u64[k]);
	rseqtrace(fieldtypes, reals, floats[k], doubles[k]);
	rseqtrace(fieldtypes, strings, strings[k], k % 2 ? NULL : strings[(k + 1) % 4]);

	int16_t a[4] = { (int16_t)-r, INT16_MIN, INT16_MAX, (int16_t)k };
	uint8_t bytes[3] = { 0x00, (uint8_t)r, 0xff };
	rseqtrace(fieldtypes, arrays, a, bytes, "abcde");

	int64_t v[40];
	for (int i = 0; i < 40; i++)
		v[i] = (int64_t)(i * 1000003) * (i % 2 ? -1 : 1);
	uint32_t n = (uint32_t)(k * 13); /* 0, 13, 26, 39 */
	const unsigned char blob[5] = { 0xde, 0xad, 0xbe, 0xef, (unsigned char)r };
	rseqtrace(fieldtypes, sequences, k == 3 ? NULL : v, n, "text!", (size_t)(k + 1),
		  k == 2 ? NULL : blob, (size_t)(k + 1));

	int states[] = { 0, 1, -50, 1500 };
	rseqtrace(fieldtypes, states, states[k]);
	rseqtrace(fieldtypes, nothing);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 4;
	if (!rseqtrace_enabled(fieldtypes, ints) || !rseqtrace_enabled(fieldtypes, nothing)) {
		fprintf(stderr, "fieldtypes: the events are not enabled at start\n");
		return 3;
	}
	for (int r = 0; r < rounds; r++)
		emit_round(r);
	return 0;
}
