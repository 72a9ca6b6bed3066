/* SPDX-License-Identifier: MIT */
/* One event per compile test; BAD selects the defect under test. */
#include <stdint.h>
#include <rseqtrace/tracepoint.h>
