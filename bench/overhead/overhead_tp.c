/* SPDX-License-Identifier: MIT */
#define RSEQTRACE_CREATE_PROBES
#include "overhead_tp.h"
