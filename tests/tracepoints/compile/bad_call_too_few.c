#include "common.h"
RSEQTRACE_EVENT(ct, ev, INFO, RSEQTRACE_ARGS(int, i, const char *, s),
	RSEQTRACE_FIELDS(rseqtrace_field_integer(int, i, i)))
void f(void);
void f(void) { rseqtrace(ct, ev, 1); }
