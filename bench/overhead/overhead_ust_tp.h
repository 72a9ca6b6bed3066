/* SPDX-License-Identifier: MIT */
/*
 * overhead_tp.h's two events written the LTTng-UST way (a provider header
 * as LTTng-UST documents it): bench-overhead-ust builds overhead.c against
 * it and rseqtrace's LTTng-UST compatibility headers (compat/lttng-ust), so
 * that the cost of an LTTng-UST-style provider traced by rseqtrace is
 * measured beside the same events in rseqtrace's own macros and in
 * LTTng-UST. Same provider, events, loglevel and fields as overhead_tp.h.
 */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER bench

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./overhead_ust_tp.h"

#if !defined(OVERHEAD_UST_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define OVERHEAD_UST_TP_H

#include <stdint.h>

#include <lttng/tracepoint.h>

TRACEPOINT_EVENT(bench, int_str,
	TP_ARGS(int, my_int, const char *, my_str),
	TP_FIELDS(
		ctf_integer(int, my_int, my_int)
		ctf_string(my_str, my_str)))
TRACEPOINT_LOGLEVEL(bench, int_str, TRACE_INFO)

TRACEPOINT_EVENT(bench, four_ints,
	TP_ARGS(uint64_t, a, uint64_t, b, uint32_t, c, int32_t, d),
	TP_FIELDS(
		ctf_integer(uint64_t, a, a)
		ctf_integer(uint64_t, b, b)
		ctf_integer(uint32_t, c, c)
		ctf_integer(int32_t, d, d)))
TRACEPOINT_LOGLEVEL(bench, four_ints, TRACE_INFO)

#endif

#include <lttng/tracepoint-event.h>
