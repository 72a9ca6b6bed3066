/* SPDX-License-Identifier: MIT */
/* Events carrying (thread, sequence) for the oracle tests. */
#ifndef STRESS_TP_H
#define STRESS_TP_H

#include <stddef.h>
#include <stdint.h>

#include <rseqtrace/tracepoint.h>

/* kind 0: thread code, 1: signal handler */
RSEQTRACE_EVENT(stress, ev, INFO,
	RSEQTRACE_ARGS(uint32_t, tid, uint64_t, seq, uint8_t, kind),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint32_t, tid, tid)
		rseqtrace_field_integer(uint64_t, seq, seq)
		rseqtrace_field_integer(uint8_t, kind, kind)))

RSEQTRACE_EVENT(stress, blob, INFO,
	RSEQTRACE_ARGS(uint32_t, tid, uint64_t, seq, const void *, p, size_t, n),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint32_t, tid, tid)
		rseqtrace_field_integer(uint64_t, seq, seq)
		rseqtrace_field_blob(data, p, n)))

#endif
