#define RSEQTRACE_CREATE_PROBES
#include "common.h"
RSEQTRACE_EVENT(ct, ev, INFO, RSEQTRACE_ARGS(const int *, p, int, n),
	RSEQTRACE_FIELDS(rseqtrace_field_sequence(int, a, p, int, n)))
