/* SPDX-License-Identifier: MIT */
/* libtp_dlself.so: a self-contained instrumented library (provider, probes
 * and call sites), loaded, used and unloaded repeatedly. */
#define RSEQTRACE_CREATE_PROBES
#include <rseqtrace/tracepoint.h>

RSEQTRACE_EVENT(dlself, work, DEBUG,
	RSEQTRACE_ARGS(int, i),
	RSEQTRACE_FIELDS(rseqtrace_field_integer(int, i, i)))

__attribute__((visibility("default"))) int dlself_work(int n)
{
	for (int i = 0; i < n; i++)
		rseqtrace(dlself, work, i);
	return rseqtrace_enabled(dlself, work);
}
