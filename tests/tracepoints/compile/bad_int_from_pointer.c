#define RSEQTRACE_CREATE_PROBES
#include "common.h"
RSEQTRACE_EVENT(ct, ev, INFO, RSEQTRACE_ARGS(const char *, s),
	RSEQTRACE_FIELDS(rseqtrace_field_integer(int, i, s)))
