/* SPDX-License-Identifier: MIT */
/* The control: the same provider and call site compile. */
#define TRACEPOINT_CREATE_PROBES
#define TRACEPOINT_DEFINE
#include "common_tp.h"
void f(int x);
void f(int x) { tracepoint(ct_ust, ev, x); }
