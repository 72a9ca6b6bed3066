/* SPDX-License-Identifier: MIT */
#ifndef TPROV_TP_H
#define TPROV_TP_H
#include <rseqtrace/tracepoint.h>

RSEQTRACE_EVENT(rtdlib, late, NOTICE,
	RSEQTRACE_ARGS(uint64_t, seq, const char *, msg),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, seq, seq)
		rseqtrace_field_string(msg, msg)))
#endif
