/* SPDX-License-Identifier: MIT */
#define RSEQTRACE_CREATE_PROBES
#include "hdr_tp.h"
