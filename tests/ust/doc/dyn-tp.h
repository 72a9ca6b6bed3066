/* SPDX-License-Identifier: MIT */
/* A provider for dynamic linkage: the probes live in a shared object the
 * application never links (preloaded, or opened with dlopen). */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER dyn_prov

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./dyn-tp.h"

#if !defined(DYN_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define DYN_TP_H

#include <lttng/tracepoint.h>

TRACEPOINT_EVENT(dyn_prov, tick,
    TP_ARGS(int, n, const char *, where),
    TP_FIELDS(
        ctf_integer(int, n, n)
        ctf_string(where, where)
    )
)
TRACEPOINT_LOGLEVEL(dyn_prov, tick, TRACE_INFO)

#endif

#include <lttng/tracepoint-event.h>
