/* SPDX-License-Identifier: MIT */
/* libtp_dlprobes.so: only the probes of dlprov. */
#define RSEQTRACE_CREATE_PROBES
#include "dl_tp.h"
