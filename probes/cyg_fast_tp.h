/* SPDX-License-Identifier: MIT */
/*
 * rseqtrace_cyg_profile_fast: the smaller events of
 * librseqtrace-cyg-profile-fast.so, as LTTng-UST's
 * lttng_ust_cyg_profile_fast: the entry records the function only, the
 * exit records nothing (the reader pairs it with the innermost open
 * entry of the same thread, so use a vtid context).
 */
#ifndef RSEQTRACE_PROBES_CYG_FAST_TP_H
#define RSEQTRACE_PROBES_CYG_FAST_TP_H

#include <stdint.h>

#include <rseqtrace/tracepoint.h>

RSEQTRACE_EVENT(rseqtrace_cyg_profile_fast, func_entry, DEBUG_FUNCTION,
	RSEQTRACE_ARGS(void *, func_addr),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer_hex(uint64_t, addr, (uintptr_t)func_addr)))

RSEQTRACE_EVENT(rseqtrace_cyg_profile_fast, func_exit, DEBUG_FUNCTION,
	RSEQTRACE_ARGS(),
	RSEQTRACE_FIELDS())

#endif
