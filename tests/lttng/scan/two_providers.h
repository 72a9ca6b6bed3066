#ifndef TWO_H
#define TWO_H
#include <rseqtrace/tracepoint.h>
RSEQTRACE_EVENT(one, a, INFO, RSEQTRACE_ARGS(), RSEQTRACE_FIELDS())
RSEQTRACE_EVENT(two, b, INFO, RSEQTRACE_ARGS(), RSEQTRACE_FIELDS())
#endif
