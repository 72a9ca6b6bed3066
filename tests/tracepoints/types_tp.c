/* SPDX-License-Identifier: MIT */
#define RSEQTRACE_CREATE_PROBES
#include "types_tp.h"
