/* SPDX-License-Identifier: MIT */
/* Not supported: must not compile, with a message naming it. */
#define LTTNG_UST_TP_SESSION_CHECK
#define TRACEPOINT_CREATE_PROBES
#define TRACEPOINT_DEFINE
#include "common_tp.h"
