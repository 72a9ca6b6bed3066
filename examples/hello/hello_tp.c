/* SPDX-License-Identifier: MIT */
/* Instantiates the "hello" provider: its probes and descriptions live here. */
#define RSEQTRACE_CREATE_PROBES
#include "hello_tp.h"
