/* SPDX-License-Identifier: MIT */
/* Provider whose probes live in a library loaded and unloaded at run time
 * (dl_probes.c) while the program's call sites keep tracing. */
#ifndef DL_TP_H
#define DL_TP_H

#include <stdint.h>

#include <rseqtrace/tracepoint.h>

RSEQTRACE_EVENT(dlprov, hit, INFO,
	RSEQTRACE_ARGS(uint32_t, tid, uint64_t, seq),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint32_t, tid, tid)
		rseqtrace_field_integer(uint64_t, seq, seq)
		rseqtrace_field_string(from, "library probe")))

#endif
