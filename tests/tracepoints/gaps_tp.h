/* SPDX-License-Identifier: MIT */
/* 40 events, so that ids 31 and above (the extended event header,
 * ringbuf/packet.h) are used, and the bench's event (an int and a string),
 * for the compact header test (check_gaps.py). Generated text: edit
 * the loop in the commit that made it, or by hand consistently. */
#ifndef GAPS_TP_H
#define GAPS_TP_H

#include <stdint.h>

#include <rseqtrace/tracepoint.h>

#define GAPS_EVENTS 40

RSEQTRACE_EVENT(gaps, e0, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e1, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e2, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e3, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e4, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e5, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e6, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e7, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e8, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e9, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e10, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e11, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e12, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e13, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e14, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e15, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e16, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e17, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e18, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e19, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e20, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e21, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e22, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e23, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e24, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e25, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e26, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e27, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e28, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e29, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e30, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e31, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e32, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e33, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e34, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e35, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e36, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e37, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e38, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))
RSEQTRACE_EVENT(gaps, e39, INFO,
	RSEQTRACE_ARGS(uint64_t, before, uint64_t, prev_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, before, before)
		rseqtrace_field_integer(uint64_t, prev_after, prev_after)))

RSEQTRACE_EVENT(gaps, hello, INFO,
	RSEQTRACE_ARGS(int, n, const char *, s),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(int, n, n)
		rseqtrace_field_string(s, s)))

/* rseqtrace(gaps, e<i>, before, prev_after) for i in [0, GAPS_EVENTS). */
static inline void gaps_emit(int i, uint64_t before, uint64_t prev_after)
{
	switch (i) {
	case 0: rseqtrace(gaps, e0, before, prev_after); break;
	case 1: rseqtrace(gaps, e1, before, prev_after); break;
	case 2: rseqtrace(gaps, e2, before, prev_after); break;
	case 3: rseqtrace(gaps, e3, before, prev_after); break;
	case 4: rseqtrace(gaps, e4, before, prev_after); break;
	case 5: rseqtrace(gaps, e5, before, prev_after); break;
	case 6: rseqtrace(gaps, e6, before, prev_after); break;
	case 7: rseqtrace(gaps, e7, before, prev_after); break;
	case 8: rseqtrace(gaps, e8, before, prev_after); break;
	case 9: rseqtrace(gaps, e9, before, prev_after); break;
	case 10: rseqtrace(gaps, e10, before, prev_after); break;
	case 11: rseqtrace(gaps, e11, before, prev_after); break;
	case 12: rseqtrace(gaps, e12, before, prev_after); break;
	case 13: rseqtrace(gaps, e13, before, prev_after); break;
	case 14: rseqtrace(gaps, e14, before, prev_after); break;
	case 15: rseqtrace(gaps, e15, before, prev_after); break;
	case 16: rseqtrace(gaps, e16, before, prev_after); break;
	case 17: rseqtrace(gaps, e17, before, prev_after); break;
	case 18: rseqtrace(gaps, e18, before, prev_after); break;
	case 19: rseqtrace(gaps, e19, before, prev_after); break;
	case 20: rseqtrace(gaps, e20, before, prev_after); break;
	case 21: rseqtrace(gaps, e21, before, prev_after); break;
	case 22: rseqtrace(gaps, e22, before, prev_after); break;
	case 23: rseqtrace(gaps, e23, before, prev_after); break;
	case 24: rseqtrace(gaps, e24, before, prev_after); break;
	case 25: rseqtrace(gaps, e25, before, prev_after); break;
	case 26: rseqtrace(gaps, e26, before, prev_after); break;
	case 27: rseqtrace(gaps, e27, before, prev_after); break;
	case 28: rseqtrace(gaps, e28, before, prev_after); break;
	case 29: rseqtrace(gaps, e29, before, prev_after); break;
	case 30: rseqtrace(gaps, e30, before, prev_after); break;
	case 31: rseqtrace(gaps, e31, before, prev_after); break;
	case 32: rseqtrace(gaps, e32, before, prev_after); break;
	case 33: rseqtrace(gaps, e33, before, prev_after); break;
	case 34: rseqtrace(gaps, e34, before, prev_after); break;
	case 35: rseqtrace(gaps, e35, before, prev_after); break;
	case 36: rseqtrace(gaps, e36, before, prev_after); break;
	case 37: rseqtrace(gaps, e37, before, prev_after); break;
	case 38: rseqtrace(gaps, e38, before, prev_after); break;
	case 39: rseqtrace(gaps, e39, before, prev_after); break;
	}
}

#endif
