#pragma once
#include <rseqtrace/tracepoint.h>
RSEQTRACE_EVENT(p, z, INFO, RSEQTRACE_ARGS(), RSEQTRACE_FIELDS())
