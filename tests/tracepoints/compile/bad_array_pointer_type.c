#define RSEQTRACE_CREATE_PROBES
#include "common.h"
RSEQTRACE_EVENT(ct, ev, INFO, RSEQTRACE_ARGS(const double *, p),
	RSEQTRACE_FIELDS(rseqtrace_field_array(uint32_t, a, p, 2)))
