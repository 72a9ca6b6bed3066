/* SPDX-License-Identifier: MIT */
/* The provider of the ip-context test (tp_ip_app, libtp_iplib.so). */
#ifndef IP_TP_H
#define IP_TP_H

#include <rseqtrace/tracepoint.h>

RSEQTRACE_EVENT(iptest, hit, INFO,
	RSEQTRACE_ARGS(int, n, int, which),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(int, n, n)
		rseqtrace_field_integer(int, which, which)))

/* No payload: the record ends with its contexts. */
RSEQTRACE_EVENT(iptest, empty, INFO,
	RSEQTRACE_ARGS(),
	RSEQTRACE_FIELDS())

/* A payload whose length is not a multiple of 8. */
RSEQTRACE_EVENT(iptest, text, INFO,
	RSEQTRACE_ARGS(const char *, s),
	RSEQTRACE_FIELDS(rseqtrace_field_string(s, s)))

/* Traced from a shared library: its call site is in libtp_iplib.so. */
RSEQTRACE_EVENT(iptest, lib, INFO,
	RSEQTRACE_ARGS(int, n),
	RSEQTRACE_FIELDS(rseqtrace_field_integer(int, n, n)))

#endif
