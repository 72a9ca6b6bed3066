/* SPDX-License-Identifier: MIT */
/* The ping-pong provider: written once, built for rseqtrace and for LTTng-UST. */
#ifndef PINGPONG_TP_H
#define PINGPONG_TP_H

#include <stdint.h>

#include <rseqtrace/tracepoint.h>

/* One hop of the ball: seq counts hops across both processes. */
RSEQTRACE_EVENT(pingpong, hop, INFO,
	RSEQTRACE_ARGS(uint32_t, seq, const char *, tracer),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint32_t, seq, seq)
		rseqtrace_field_string(tracer, tracer)))

#endif
