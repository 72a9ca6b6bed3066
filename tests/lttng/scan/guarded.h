/* A provider header: RSEQTRACE_EVENT(notme, x, ...) in a comment does not count. */
#if !defined(GUARDED_TP_H)
#define GUARDED_TP_H
#include <rseqtrace/tracepoint.h>
// RSEQTRACE_EVENT(neither, y, INFO, RSEQTRACE_ARGS(), RSEQTRACE_FIELDS())
RSEQTRACE_ENUM(good, e, RSEQTRACE_ENUM_VALUES(rseqtrace_enum_value("A", 0)))
RSEQTRACE_EVENT( good, z, INFO, RSEQTRACE_ARGS(), RSEQTRACE_FIELDS())
#endif
