/* SPDX-License-Identifier: MIT */
#define RSEQTRACE_CREATE_PROBES
#include "fieldtypes_tp.h"
