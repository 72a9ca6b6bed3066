/* SPDX-License-Identifier: MIT */
#define RSEQTRACE_CREATE_PROBES
#include "gaps_tp.h"
