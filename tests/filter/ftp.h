/* SPDX-License-Identifier: MIT */
/* The filter tests' provider: one event with a field of every type a
 * filter reads (n numbers the hits), and a few names for exclusions. */
#ifndef FTP_H
#define FTP_H
#include <string.h>

#include <rseqtrace/tracepoint.h>

RSEQTRACE_ENUM(rtf, kind,
	RSEQTRACE_ENUM_VALUES(rseqtrace_enum_value("ZERO", 0)
			      rseqtrace_enum_range("SOME", 1, 100)))

RSEQTRACE_EVENT(rtf, ev, INFO,
	RSEQTRACE_ARGS(uint32_t, n, int32_t, i, uint16_t, u, int64_t, l, uint64_t, ul,
		       int8_t, b, double, f, float, g, const char *, s, const char *, t),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint32_t, n, n)
		rseqtrace_field_string(s, s)
		rseqtrace_field_integer(int32_t, i, i)
		rseqtrace_field_integer(uint16_t, u, u)
		rseqtrace_field_integer(int64_t, l, l)
		rseqtrace_field_string(t, t)
		rseqtrace_field_integer(uint64_t, ul, ul)
		rseqtrace_field_integer(int8_t, b, b)
		rseqtrace_field_float(double, f, f)
		rseqtrace_field_float(float, g, g)
		rseqtrace_field_sequence(uint8_t, seq, (const uint8_t *)s, uint16_t, strlen(s))
		rseqtrace_field_enum(rtf, kind, uint8_t, e, u % 101)
		rseqtrace_field_integer_network(uint32_t, be, __builtin_bswap32((uint32_t)i))))

/* A values line's spelling of a NULL string (for t only: s is also
 * seq's source, whose length is strlen(s)); the probe records "(null)". */
static inline const char *ftp_str(const char *v)
{
	return v[0] == '<' && !strcmp(v, "<NULL>") ? NULL : v;
}

/* Names for exclusions: rtf:noisy1, rtf:noisy2, rtf:debug, rtf:keep. */
RSEQTRACE_EVENT_CLASS(rtf, one, RSEQTRACE_ARGS(uint32_t, n),
	RSEQTRACE_FIELDS(rseqtrace_field_integer(uint32_t, n, n)))
RSEQTRACE_EVENT_INSTANCE(rtf, one, noisy1, INFO, RSEQTRACE_ARGS(uint32_t, n))
RSEQTRACE_EVENT_INSTANCE(rtf, one, noisy2, INFO, RSEQTRACE_ARGS(uint32_t, n))
RSEQTRACE_EVENT_INSTANCE(rtf, one, debug, INFO, RSEQTRACE_ARGS(uint32_t, n))
RSEQTRACE_EVENT_INSTANCE(rtf, one, keep, INFO, RSEQTRACE_ARGS(uint32_t, n))
#endif
