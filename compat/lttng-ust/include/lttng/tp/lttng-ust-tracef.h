/* SPDX-License-Identifier: MIT */
/*
 * The event tracef() records, as LTTng-UST records it: lttng_ust_tracef:event,
 * loglevel DEBUG, one field `msg`, the formatted text as a sequence of char
 * (unsigned 32-bit length, shown as text). Its probe is in librseqtrace
 * (tracepoints/ust.c); call sites see the declaration only.
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER lttng_ust_tracef
#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE <lttng/tp/lttng-ust-tracef.h>

#if !defined(RSEQTRACE_UST_TP_TRACEF_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define RSEQTRACE_UST_TP_TRACEF_H

#include <lttng/tracepoint.h>

LTTNG_UST_TRACEPOINT_EVENT(lttng_ust_tracef, event,
	LTTNG_UST_TP_ARGS(const char *, msg, unsigned int, len),
	LTTNG_UST_TP_FIELDS(lttng_ust_field_sequence_text(char, msg, msg, unsigned int, len)))
LTTNG_UST_TRACEPOINT_LOGLEVEL(lttng_ust_tracef, event, LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG)

#endif

#include <lttng/tracepoint-event.h>
