/* SPDX-License-Identifier: MIT */
#define RSEQTRACE_CREATE_PROBES
#include "bench_prov.h"
