/* SPDX-License-Identifier: MIT */
/*
 * The LTTng-UST compatibility headers' library side (compat/lttng-ust):
 * the probes of tracef()'s and tracelog()'s events, instantiated from the
 * compatibility headers themselves, and the functions their call sites
 * call once the event is enabled.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#include <lttng/tp/lttng-ust-tracef.h>
#include <lttng/tp/lttng-ust-tracelog.h>
#undef LTTNG_UST_TRACEPOINT_CREATE_PROBES
#include <lttng/tracef.h>
#include <lttng/tracelog.h>

/* The text on the stack when it fits (the common case), else on the heap. */
#define UST_MSG_STACK 512

/* Formats into buf or, when longer, a heap copy; returns the text and its
 * length (-1 if it cannot be formatted); *heap is what to free. */
static const char *format(char *buf, const char *fmt, va_list ap, int *len, char **heap)
{
	va_list again;
	va_copy(again, ap);
	*heap = NULL;
	int n = vsnprintf(buf, UST_MSG_STACK, fmt, ap);
	if (n >= UST_MSG_STACK) {
		if (vasprintf(heap, fmt, again) >= 0) {
			buf = *heap;
		} else {
			*heap = NULL; /* undefined after a failure */
			n = -1;
		}
	}
	va_end(again);
	*len = n;
	return buf;
}

void rseqtrace_ust_vtracef(const char *fmt, va_list ap)
{
	char buf[UST_MSG_STACK], *heap;
	int n;
	const char *msg = format(buf, fmt, ap, &n, &heap);
	if (n >= 0)
		rseqtrace(lttng_ust_tracef, event, msg, (unsigned int)n);
	free(heap);
}

void rseqtrace_ust_tracef(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rseqtrace_ust_vtracef(fmt, ap);
	va_end(ap);
}

#define UST_LEVEL(L)                                                                      \
	case LTTNG_UST_TRACEPOINT_LOGLEVEL_##L:                                           \
		rseqtrace(lttng_ust_tracelog, LTTNG_UST_TRACEPOINT_LOGLEVEL_##L, file, line, \
			  func, msg, (unsigned int)n);                                    \
		break;

void rseqtrace_ust_vtracelog(int level, const char *file, int line, const char *func,
			     const char *fmt, va_list ap)
{
	char buf[UST_MSG_STACK], *heap;
	int n;
	const char *msg = format(buf, fmt, ap, &n, &heap);
	if (n >= 0) {
		switch (level) {
			UST_LEVEL(EMERG)
			UST_LEVEL(ALERT)
			UST_LEVEL(CRIT)
			UST_LEVEL(ERR)
			UST_LEVEL(WARNING)
			UST_LEVEL(NOTICE)
			UST_LEVEL(INFO)
			UST_LEVEL(DEBUG_SYSTEM)
			UST_LEVEL(DEBUG_PROGRAM)
			UST_LEVEL(DEBUG_PROCESS)
			UST_LEVEL(DEBUG_MODULE)
			UST_LEVEL(DEBUG_UNIT)
			UST_LEVEL(DEBUG_FUNCTION)
			UST_LEVEL(DEBUG_LINE)
			UST_LEVEL(DEBUG)
		}
	}
	free(heap);
}

void rseqtrace_ust_tracelog(int level, const char *file, int line, const char *func,
			    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rseqtrace_ust_vtracelog(level, file, line, func, fmt, ap);
	va_end(ap);
}
