/* SPDX-License-Identifier: MIT */
/* Not supported: must not compile, with a message naming it. */
#define TP_IP_PARAM ip
#define TRACEPOINT_CREATE_PROBES
#define TRACEPOINT_DEFINE
#include "common_tp.h"
