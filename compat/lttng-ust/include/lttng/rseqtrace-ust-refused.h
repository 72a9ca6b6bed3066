/* SPDX-License-Identifier: MIT */
/*
 * LTTng-UST options rseqtrace refuses, by name. No include guard: read by
 * <lttng/tracepoint.h> and again by <lttng/tracepoint-event.h>, since a
 * probe file may define them after the provider header was first read.
 */
#if defined(LTTNG_UST_TP_IP_PARAM) || defined(TP_IP_PARAM)
#error "LTTNG_UST_TP_IP_PARAM (TP_IP_PARAM) is not supported by rseqtrace: the ip context is always the call site"
#endif
#if defined(LTTNG_UST_TP_SESSION_CHECK) || defined(TP_SESSION_CHECK)
#error "LTTNG_UST_TP_SESSION_CHECK (TP_SESSION_CHECK) is not supported by rseqtrace"
#endif
