/* SPDX-License-Identifier: MIT */
/*
 * <lttng/tracelog.h> for rseqtrace: tracelog(LEVEL, fmt, ...) records the
 * formatted text with the call's file, line and function as the event
 * lttng_ust_tracelog:LTTNG_UST_TRACEPOINT_LOGLEVEL_<LEVEL>, as LTTng-UST 2.13
 * does. LEVEL is TRACE_<LEVEL> or LTTNG_UST_TRACEPOINT_LOGLEVEL_<LEVEL>
 * (both name the same event; LTTng-UST 2.13 itself accepts only the latter).
 * Disabled, a call costs one load and a not-taken branch.
 */
#ifndef RSEQTRACE_UST_TRACELOG_H
#define RSEQTRACE_UST_TRACELOG_H

#include <stdarg.h>

#include <lttng/ust-api-compat.h>

#ifdef LTTNG_UST_TRACEPOINT_CREATE_PROBES
#undef LTTNG_UST_TRACEPOINT_CREATE_PROBES
#include <lttng/tp/lttng-ust-tracelog.h>
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#else
#include <lttng/tp/lttng-ust-tracelog.h>
#endif

RSEQTRACE__API void rseqtrace_ust_tracelog(int level, const char *file, int line, const char *func,
					   const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
RSEQTRACE__API void rseqtrace_ust_vtracelog(int level, const char *file, int line, const char *func,
					    const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

/* level is expanded first (TRACE_INFO is LTTNG_UST_TRACEPOINT_LOGLEVEL_INFO),
 * then names the event's tracepoint. */
#define lttng_ust_tracelog(level, fmt, ...)                                              \
	do {                                                                             \
		if (rseqtrace_enabled(lttng_ust_tracelog, level))                        \
			rseqtrace_ust_tracelog(level, __FILE__, __LINE__, __func__, fmt, \
					       ##__VA_ARGS__);                           \
	} while (0)
#define lttng_ust_vtracelog(level, fmt, ap)                                               \
	do {                                                                              \
		if (rseqtrace_enabled(lttng_ust_tracelog, level))                         \
			rseqtrace_ust_vtracelog(level, __FILE__, __LINE__, __func__, fmt, ap); \
	} while (0)

#if LTTNG_UST_COMPAT_API(0)
#define tracelog lttng_ust_tracelog
#endif

#endif
