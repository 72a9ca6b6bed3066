#define RSEQTRACE_CREATE_PROBES
#include "common.h"
RSEQTRACE_EVENT(ct, ev, LOUD, RSEQTRACE_ARGS(int, i),
	RSEQTRACE_FIELDS(rseqtrace_field_integer(int, i, i)))
