/* SPDX-License-Identifier: MIT */
/*
 * One program, built twice from these sources: against LTTng-UST
 * (ustapp-lttng) and against rseqtrace's LTTng-UST compatibility headers
 * (ustapp). `ustapp N` emits N rounds of every event of ust_tp.h and
 * modern_tp.h, tracef() and tracelog() at every level (LTTng-UST 2.13
 * compiles tracelog() with the LTTNG_UST_TRACEPOINT_LOGLEVEL_ names only),
 * with values that
 * depend on the round only, so the two traces must decode the same.
 */
#include <arpa/inet.h>
#include <float.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <lttng/tracef.h>
#include <lttng/tracelog.h>

#include "modern_tp.h"
#include "ust_tp.h"

static void legacy(int r)
{
	static const int8_t a8[3] = { INT8_MIN, -1, INT8_MAX };
	static const uint16_t a16[3] = { 0, 0x8000, UINT16_MAX };
	static const int32_t a32[3] = { INT32_MIN, 0, INT32_MAX };
	static const uint64_t a64[3] = { 0, 1, UINT64_MAX };
	static const int64_t v64[4] = { INT64_MIN, -1, 1, INT64_MAX };
	uint16_t words_be[3] = { htons(1), htons(0x1234), htons((uint16_t)r) };
	size_t n = (size_t)(r % 4);

	tracepoint(ust_fields, ints, (int8_t)(INT8_MIN + r), (uint8_t)(UINT8_MAX - r),
		   (int16_t)(INT16_MIN + r), (uint16_t)(UINT16_MAX - r), INT32_MIN + r,
		   UINT32_MAX - (uint32_t)r, INT64_MIN + r, UINT64_MAX - (uint64_t)r);
	tracepoint(ust_fields, ints, 0, 0, 0, 0, 0, 0, 0, 0);
	tracepoint(ust_fields, network, htons((uint16_t)(8080 + r)), htonl(0xC0A80001u + (uint32_t)r),
		   0x0102030405060708ull + (uint64_t)r, words_be, (unsigned)(r % 4));
	tracepoint(ust_fields, reals, 1.5f * (float)r, -1.0 / 3.0 * r);
	tracepoint(ust_fields, reals, FLT_MAX, DBL_MIN);
	tracepoint(ust_fields, strings, r % 2 ? "odd" : "even, with \"quotes\" and \xc3\xa9", NULL);
	tracepoint(ust_fields, strings, "", "not null");
	tracepoint(ust_fields, arrays, a8, a16, a32, a64, "hello!");
	tracepoint(ust_fields, sequences, a8, a16, a32, v64, n, "some text", (unsigned)(r % 10));
	tracepoint(ust_fields, enums, r % 25, (uint8_t)(r * 50), r % 2 ? 1 : 0x100000000ULL + (uint64_t)r);
	tracepoint(ust_fields, enums, -5, 255, 7);
	tracepoint(ust_fields, enums, -4, 1, 0xffffffffffffULL);
	tracepoint(ust_fields, request_begin, r, "/index.html");
	tracepoint(ust_fields, request_retry, r, "/again");
	tracepoint(ust_fields, request_end, r, "/index.html");
	if (tracepoint_enabled(ust_fields, misc))
		do_tracepoint(ust_fields, misc, (void *)(uintptr_t)(0xdeadbeef00ull + (unsigned)r), r * 7, r);
	tracepoint(ust_fields, noargs);
	tracepoint(ust_fields, voidargs);
}

static void modern(int r)
{
	static const uint32_t v[4] = { 1, 0x80000000u, UINT32_MAX, 42 };
	lttng_ust_tracepoint(ust_modern, everything, INT64_MIN / (r + 1), 2.0 * r, "modern",
			     v, (uint16_t)(r % 5), htonl(0x7f000001u), r % 25);
	lttng_ust_tracepoint(ust_modern, op_start, (uint32_t)r, 0);
	lttng_ust_tracepoint(ust_modern, op_stop, (uint32_t)r, -r);
	if (lttng_ust_tracepoint_enabled(ust_modern, plain))
		lttng_ust_do_tracepoint(ust_modern, plain, r);
}

static void vtext(int level_err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (level_err)
		lttng_ust_vtracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_ERR, fmt, ap);
	else
		lttng_ust_vtracef(fmt, ap);
	va_end(ap);
}

static void text(int r)
{
	vtext(0, "vtracef %d %s", r, "va_list");
	vtext(1, "vtracelog %d", r);
	tracef("round %d of %s", r, "ustapp");
	tracef("%s", "");
	tracef("long: %0700d", r);
	lttng_ust_tracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_EMERG, "emerg %d", r);
	lttng_ust_tracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_ALERT, "alert %d", r);
	lttng_ust_tracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_CRIT, "crit %d", r);
	lttng_ust_tracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_ERR, "err %d", r);
	lttng_ust_tracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_WARNING, "warning %d", r);
	lttng_ust_tracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_NOTICE, "notice %d", r);
	lttng_ust_tracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_INFO, "info %d", r);
	lttng_ust_tracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_SYSTEM, "debug_system %d", r);
	lttng_ust_tracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_PROGRAM, "debug_program %d", r);
	lttng_ust_tracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_PROCESS, "debug_process %d", r);
	lttng_ust_tracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_MODULE, "debug_module %d", r);
	lttng_ust_tracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_UNIT, "debug_unit %d", r);
	lttng_ust_tracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_FUNCTION, "debug_function %d", r);
	lttng_ust_tracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_LINE, "debug_line %d", r);
	lttng_ust_tracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG, "debug %d", r);
	lttng_ust_tracelog(LTTNG_UST_TRACEPOINT_LOGLEVEL_INFO, "2.13 spelling %d", r);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 3;
	for (int r = 0; r < rounds; r++) {
		legacy(r);
		modern(r);
		text(r);
	}
	printf("ustapp: %d rounds\n", rounds);
	return 0;
}
