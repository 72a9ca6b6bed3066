/* SPDX-License-Identifier: MIT */
/* Describes rtd:seq with another field layout than tapp does: the daemon
 * must warn and keep the trace readable (this process's rtd:seq is not
 * recorded). Emits N events. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define RSEQTRACE_CREATE_PROBES
#include <rseqtrace/tracepoint.h>

RSEQTRACE_EVENT(rtd, seq, INFO,
	RSEQTRACE_ARGS(const char *, text),
	RSEQTRACE_FIELDS(
		rseqtrace_field_string(text, text)))

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100;
	for (long i = 0; i < n; i++)
		rseqtrace(rtd, seq, "another layout");
	printf("emitted=%ld\n", n);
	return 0;
}
