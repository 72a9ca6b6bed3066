#define RSEQTRACE_CREATE_PROBES
#include "common.h"
RSEQTRACE_EVENT(ct, ev, INFO, RSEQTRACE_ARGS(double, d),
	RSEQTRACE_FIELDS(rseqtrace_field_integer(double, x, d)))
