/* SPDX-License-Identifier: MIT */
/*
 * The events tracelog() records, as LTTng-UST 2.13 records them: one event
 * per loglevel, lttng_ust_tracelog:LTTNG_UST_TRACEPOINT_LOGLEVEL_<LEVEL>
 * with that loglevel, all instances of one class with the fields line
 * (int), file and func (strings) and msg (the formatted text, as
 * tracef's). The probes are in librseqtrace (tracepoints/ust.c).
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER lttng_ust_tracelog
#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE <lttng/tp/lttng-ust-tracelog.h>

#if !defined(RSEQTRACE_UST_TP_TRACELOG_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define RSEQTRACE_UST_TP_TRACELOG_H

#include <lttng/tracepoint.h>

#define RSEQTRACE__UST_TRACELOG_ARGS \
	LTTNG_UST_TP_ARGS(const char *, file, int, line, const char *, func, const char *, msg, \
			  unsigned int, len)

LTTNG_UST_TRACEPOINT_EVENT_CLASS(lttng_ust_tracelog, rseqtrace_tlclass,
	RSEQTRACE__UST_TRACELOG_ARGS,
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(int, line, line)
		lttng_ust_field_string(file, file)
		lttng_ust_field_string(func, func)
		lttng_ust_field_sequence_text(char, msg, msg, unsigned int, len)))

#define RSEQTRACE__UST_TRACELOG_LEVEL(level)                                             \
	LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(lttng_ust_tracelog, rseqtrace_tlclass,        \
					    lttng_ust_tracelog, LTTNG_UST_TRACEPOINT_LOGLEVEL_##level, \
					    RSEQTRACE__UST_TRACELOG_ARGS)                 \
	LTTNG_UST_TRACEPOINT_LOGLEVEL(lttng_ust_tracelog, LTTNG_UST_TRACEPOINT_LOGLEVEL_##level, \
				      LTTNG_UST_TRACEPOINT_LOGLEVEL_##level)

RSEQTRACE__UST_TRACELOG_LEVEL(EMERG)
RSEQTRACE__UST_TRACELOG_LEVEL(ALERT)
RSEQTRACE__UST_TRACELOG_LEVEL(CRIT)
RSEQTRACE__UST_TRACELOG_LEVEL(ERR)
RSEQTRACE__UST_TRACELOG_LEVEL(WARNING)
RSEQTRACE__UST_TRACELOG_LEVEL(NOTICE)
RSEQTRACE__UST_TRACELOG_LEVEL(INFO)
RSEQTRACE__UST_TRACELOG_LEVEL(DEBUG_SYSTEM)
RSEQTRACE__UST_TRACELOG_LEVEL(DEBUG_PROGRAM)
RSEQTRACE__UST_TRACELOG_LEVEL(DEBUG_PROCESS)
RSEQTRACE__UST_TRACELOG_LEVEL(DEBUG_MODULE)
RSEQTRACE__UST_TRACELOG_LEVEL(DEBUG_UNIT)
RSEQTRACE__UST_TRACELOG_LEVEL(DEBUG_FUNCTION)
RSEQTRACE__UST_TRACELOG_LEVEL(DEBUG_LINE)
RSEQTRACE__UST_TRACELOG_LEVEL(DEBUG)

#endif

#include <lttng/tracepoint-event.h>
