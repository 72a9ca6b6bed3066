#define RSEQTRACE_CREATE_PROBES
#include "common.h"
RSEQTRACE_EVENT(ct, ev, INFO, RSEQTRACE_ARGS(int, i),
	RSEQTRACE_FIELDS(rseqtrace_field_string(s, i)))
