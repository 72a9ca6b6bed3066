/* SPDX-License-Identifier: MIT */
/*
 * rseqtrace_cyg_profile: function entry and exit, from the hooks that
 * gcc and clang call in code built with -finstrument-functions
 * (librseqtrace-cyg-profile.so). Same names and fields as LTTng-UST's
 * lttng_ust_cyg_profile provider: addr is the function, call_site the
 * return address in its caller.
 */
#ifndef RSEQTRACE_PROBES_CYG_TP_H
#define RSEQTRACE_PROBES_CYG_TP_H

#include <stdint.h>

#include <rseqtrace/tracepoint.h>

RSEQTRACE_EVENT(rseqtrace_cyg_profile, func_entry, DEBUG_FUNCTION,
	RSEQTRACE_ARGS(void *, func_addr, void *, call_site),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer_hex(uint64_t, addr, (uintptr_t)func_addr)
		rseqtrace_field_integer_hex(uint64_t, call_site, (uintptr_t)call_site)))

RSEQTRACE_EVENT(rseqtrace_cyg_profile, func_exit, DEBUG_FUNCTION,
	RSEQTRACE_ARGS(void *, func_addr, void *, call_site),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer_hex(uint64_t, addr, (uintptr_t)func_addr)
		rseqtrace_field_integer_hex(uint64_t, call_site, (uintptr_t)call_site)))

#endif
