/* SPDX-License-Identifier: MIT */
#define RSEQTRACE_CREATE_PROBES
#include "pingpong_tp.h"
