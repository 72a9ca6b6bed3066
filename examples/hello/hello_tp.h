/* SPDX-License-Identifier: MIT */
/* The "hello" provider: a few events of different shapes. */
#ifndef HELLO_TP_H
#define HELLO_TP_H

#include <stdint.h>

#include <rseqtrace/tracepoint.h>

RSEQTRACE_ENUM(hello, mood,
	RSEQTRACE_ENUM_VALUES(
		rseqtrace_enum_value("GRUMPY", 0)
		rseqtrace_enum_value("CALM", 1)
		rseqtrace_enum_range("CHEERFUL", 2, 9)))

/* An integer and a string. */
RSEQTRACE_EVENT(hello, greeting, INFO,
	RSEQTRACE_ARGS(int, count, const char *, who),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(int, count, count)
		rseqtrace_field_string(who, who)))

/* Numbers: hex display, floating point, an enum. */
RSEQTRACE_EVENT(hello, measure, DEBUG,
	RSEQTRACE_ARGS(uint64_t, address, double, ratio, int, mood),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer_hex(uint64_t, address, address)
		rseqtrace_field_float(double, ratio, ratio)
		rseqtrace_field_float(float, ratio_f, (float)ratio)
		rseqtrace_field_enum(hello, mood, uint8_t, mood, mood)))

/* Arrays and sequences, and a byte blob. */
RSEQTRACE_EVENT(hello, batch, NOTICE,
	RSEQTRACE_ARGS(const uint32_t *, values, size_t, n, const void *, raw, size_t, raw_len),
	RSEQTRACE_FIELDS(
		rseqtrace_field_array(uint32_t, first3, values, 3)
		rseqtrace_field_sequence(uint32_t, values, values, uint16_t, n)
		rseqtrace_field_array_text(char, tag, "batch!!!", 8)
		rseqtrace_field_blob(raw, raw, raw_len)))

/* No argument at all. */
RSEQTRACE_EVENT(hello, tick, DEBUG_LINE,
	RSEQTRACE_ARGS(),
	RSEQTRACE_FIELDS())

#endif
