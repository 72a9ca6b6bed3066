/* SPDX-License-Identifier: MIT */
/* Events for tp_header: the bench's event shape, and 40 events (ids past
 * 30 take the extended header) that carry the clock read before them. */
#ifndef HDR_TP_H
#define HDR_TP_H
#include <stdint.h>
#include <rseqtrace/tracepoint.h>

RSEQTRACE_EVENT(hdr, int_str, INFO,
	RSEQTRACE_ARGS(int, my_int, const char *, my_str),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(int, my_int, my_int)
		rseqtrace_field_string(my_str, my_str)))

#define HDR_EVENT(k)                                                   \
	RSEQTRACE_EVENT(hdr, e##k, INFO,                               \
		RSEQTRACE_ARGS(uint64_t, t, uint32_t, n),              \
		RSEQTRACE_FIELDS(                                      \
			rseqtrace_field_integer(uint64_t, t, t)        \
			rseqtrace_field_integer(uint32_t, n, n)))
#define HDR_EVENTS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) \
	X(10) X(11) X(12) X(13) X(14) X(15) X(16) X(17) X(18) X(19)      \
	X(20) X(21) X(22) X(23) X(24) X(25) X(26) X(27) X(28) X(29)      \
	X(30) X(31) X(32) X(33) X(34) X(35) X(36) X(37) X(38) X(39)
HDR_EVENTS(HDR_EVENT)
#endif
