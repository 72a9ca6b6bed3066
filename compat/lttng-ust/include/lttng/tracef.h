/* SPDX-License-Identifier: MIT */
/*
 * <lttng/tracef.h> for rseqtrace: tracef(fmt, ...) records the formatted
 * text as the event lttng_ust_tracef:event (field msg), as LTTng-UST does.
 * Disabled, a call costs one load and a not-taken branch; enabled, the text
 * is formatted by librseqtrace (on its stack up to 512 bytes, else on the
 * heap) and traced from there.
 */
#ifndef RSEQTRACE_UST_TRACEF_H
#define RSEQTRACE_UST_TRACEF_H

#include <stdarg.h>

#include <lttng/ust-api-compat.h>

/* The provider header declares here; it instantiates only in librseqtrace. */
#ifdef LTTNG_UST_TRACEPOINT_CREATE_PROBES
#undef LTTNG_UST_TRACEPOINT_CREATE_PROBES
#include <lttng/tp/lttng-ust-tracef.h>
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#else
#include <lttng/tp/lttng-ust-tracef.h>
#endif

RSEQTRACE__API void rseqtrace_ust_tracef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
RSEQTRACE__API void rseqtrace_ust_vtracef(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));

#define lttng_ust_tracef(fmt, ...)                                          \
	do {                                                                \
		if (rseqtrace_enabled(lttng_ust_tracef, event))             \
			rseqtrace_ust_tracef(fmt, ##__VA_ARGS__);           \
	} while (0)
#define lttng_ust_vtracef(fmt, ap)                                          \
	do {                                                                \
		if (rseqtrace_enabled(lttng_ust_tracef, event))             \
			rseqtrace_ust_vtracef(fmt, ap);                     \
	} while (0)

#if LTTNG_UST_COMPAT_API(0)
#define tracef lttng_ust_tracef
#endif

#endif
