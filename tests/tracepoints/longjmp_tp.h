/* SPDX-License-Identifier: MIT */
/* Events of tp_longjmp.c: lj:ev from the program and its signal handlers;
 * lj:trap evaluates lj_hook() inside its probe, where the test raises a
 * signal whose handler jumps out of the probe. */
#ifndef LONGJMP_TP_H
#define LONGJMP_TP_H

#include <stdint.h>

#include <rseqtrace/tracepoint.h>

int lj_hook(int x);

RSEQTRACE_EVENT(lj, ev, INFO,
	RSEQTRACE_ARGS(uint64_t, seq, uint8_t, kind),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint64_t, seq, seq)
		rseqtrace_field_integer(uint8_t, kind, kind)))

RSEQTRACE_EVENT(lj, trap, INFO,
	RSEQTRACE_ARGS(int, x),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(int, x, lj_hook(x))))

#endif
