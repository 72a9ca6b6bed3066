/* SPDX-License-Identifier: MIT */
/*
 * rseqtrace's LTTng-UST compatibility headers: which API generation is
 * visible. As with LTTng-UST 2.13, the pre-2.13 names (TRACEPOINT_EVENT,
 * ctf_integer, tracepoint(), TP_ARGS, ...) are defined unless the program
 * defines LTTNG_UST_COMPAT_API_VERSION to 1 or more before any include.
 */
#ifndef RSEQTRACE_UST_API_COMPAT_H
#define RSEQTRACE_UST_API_COMPAT_H

#ifndef LTTNG_UST_COMPAT_API_VERSION
#define LTTNG_UST_COMPAT_API_VERSION 0
#endif

#define LTTNG_UST_COMPAT_API(major) (LTTNG_UST_COMPAT_API_VERSION <= (major))

#endif
