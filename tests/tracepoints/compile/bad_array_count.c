#define RSEQTRACE_CREATE_PROBES
#include "common.h"
RSEQTRACE_EVENT(ct, ev, INFO, RSEQTRACE_ARGS(const int *, p, int, n),
	RSEQTRACE_FIELDS(rseqtrace_field_array(int, a, p, n)))
