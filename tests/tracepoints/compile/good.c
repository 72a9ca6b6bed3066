/* Positive control: the same shapes as the bad ones, all correct. */
#define RSEQTRACE_CREATE_PROBES
#include "common.h"
RSEQTRACE_ENUM(ct, e, RSEQTRACE_ENUM_VALUES(rseqtrace_enum_value("A", 0)))
RSEQTRACE_EVENT(ct, ev, INFO,
	RSEQTRACE_ARGS(int, i, const char *, s, const uint16_t *, p, unsigned, n, double, d),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(int, i, i)
		rseqtrace_field_string(s, s)
		rseqtrace_field_array(uint16_t, a, p, 4)
		rseqtrace_field_sequence(uint16_t, q, p, uint32_t, n)
		rseqtrace_field_float(double, d, d)
		rseqtrace_field_enum(ct, e, uint8_t, e, i)))
void f(void);
void f(void)
{
	uint16_t v[4] = { 0 };
	rseqtrace(ct, ev, 1, "x", v, 4, 1.0);
}
