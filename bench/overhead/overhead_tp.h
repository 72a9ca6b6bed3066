/* SPDX-License-Identifier: MIT */
/*
 * The two event shapes of the LTTng-UST baseline (docs/design.md §14),
 * written once: built for rseqtrace and, through rseqtrace_lttng_backend(),
 * for LTTng-UST. bench/tracepoint uses them too.
 */
#ifndef OVERHEAD_TP_H
#define OVERHEAD_TP_H

#include <stdint.h>

#include <rseqtrace/tracepoint.h>

RSEQTRACE_EVENT(bench, int_str, INFO,
	RSEQTRACE_ARGS(int, my_int, const char *, my_str),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(int, my_int, my_int)
		rseqtrace_field_string(my_str, my_str)))

RSEQTRACE_EVENT(bench, four_ints, INFO,
	RSEQTRACE_ARGS(uint64_t, a, uint64_t, b, uint32_t, c, int32_t, d),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, a, a)
		rseqtrace_field_integer(uint64_t, b, b)
		rseqtrace_field_integer(uint32_t, c, c)
		rseqtrace_field_integer(int32_t, d, d)))

#endif
