/* SPDX-License-Identifier: MIT */
/* A small provider for the compile tests. */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER ct_ust
#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "common_tp.h"
#if !defined(CT_UST_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define CT_UST_TP_H
#include <lttng/tracepoint.h>
TRACEPOINT_EVENT(ct_ust, ev, TP_ARGS(int, x), TP_FIELDS(ctf_integer(int, x, x)))
#endif
#include <lttng/tracepoint-event.h>
