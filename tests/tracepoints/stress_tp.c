/* SPDX-License-Identifier: MIT */
#define RSEQTRACE_CREATE_PROBES
#include "stress_tp.h"
