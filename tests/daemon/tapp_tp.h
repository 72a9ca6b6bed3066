/* SPDX-License-Identifier: MIT */
/* The test program's provider: a few shapes, each event carries (role, seq). */
#ifndef TAPP_TP_H
#define TAPP_TP_H
#include <rseqtrace/tracepoint.h>

RSEQTRACE_EVENT(rtd, first, INFO,
	RSEQTRACE_ARGS(int32_t, pid),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(int32_t, pid, pid)))

RSEQTRACE_EVENT(rtd, seq, INFO,
	RSEQTRACE_ARGS(uint32_t, role, uint64_t, seq),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint32_t, role, role)
		rseqtrace_field_integer(uint64_t, seq, seq)))

RSEQTRACE_EVENT(rtd, big, DEBUG,
	RSEQTRACE_ARGS(uint32_t, role, uint64_t, seq, const char *, text),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint32_t, role, role)
		rseqtrace_field_integer(uint64_t, seq, seq)
		rseqtrace_field_array_text(char, text, text, 200)))
#endif
