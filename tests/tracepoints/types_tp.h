/* SPDX-License-Identifier: MIT */
/* A provider with every field type, for the round-trip test. */
#ifndef TYPES_TP_H
#define TYPES_TP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rseqtrace/tracepoint.h>

RSEQTRACE_ENUM(types, sign,
	RSEQTRACE_ENUM_VALUES(
		rseqtrace_enum_range("NEG", -128, -1)
		rseqtrace_enum_value("ZERO", 0)
		rseqtrace_enum_range("POS", 1, 127)
		rseqtrace_enum_value("ONE", 1)))

RSEQTRACE_ENUM(types, big,
	RSEQTRACE_ENUM_VALUES(
		rseqtrace_enum_value("SMALL", 1)
		rseqtrace_enum_range("HUGE", 0x8000000000000000ull, 0xffffffffffffffffull)))

RSEQTRACE_ENUM(types, quoted,
	RSEQTRACE_ENUM_VALUES(
		rseqtrace_enum_value("say \"hi\" \\ ok", 7)
		rseqtrace_enum_value("\xc3\xbcnic\xc3\xb6" "de \xe2\x9c\x93", 8)))

RSEQTRACE_EVENT(types, ints, WARNING,
	RSEQTRACE_ARGS(int8_t, a, uint8_t, b, int16_t, c, uint16_t, d, int32_t, e, uint32_t, f,
		       int64_t, g, uint64_t, h),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(int8_t, i8, a)
		rseqtrace_field_integer(uint8_t, u8, b)
		rseqtrace_field_integer(int16_t, i16, c)
		rseqtrace_field_integer(uint16_t, u16, d)
		rseqtrace_field_integer(int32_t, i32, e)
		rseqtrace_field_integer(uint32_t, u32, f)
		rseqtrace_field_integer(int64_t, i64, g)
		rseqtrace_field_integer(uint64_t, u64, h)
		rseqtrace_field_integer_hex(uint8_t, x8, b)
		rseqtrace_field_integer_hex(uint64_t, x64, h)
		rseqtrace_field_integer_hex(int32_t, xi32, e)
		rseqtrace_field_integer(bool, flag, a != 0)))

RSEQTRACE_EVENT(types, reals, DEBUG_FUNCTION,
	RSEQTRACE_ARGS(float, f, double, d),
	RSEQTRACE_FIELDS(
		rseqtrace_field_float(float, f, f)
		rseqtrace_field_float(double, d, d)))

RSEQTRACE_EVENT(types, strings, NOTICE,
	RSEQTRACE_ARGS(const char *, s1, const char *, s2),
	RSEQTRACE_FIELDS(
		rseqtrace_field_string(first, s1)
		rseqtrace_field_string(second, s2)))

RSEQTRACE_EVENT(types, arrays, INFO,
	RSEQTRACE_ARGS(const int16_t *, a, const uint8_t *, b, const char *, t),
	RSEQTRACE_FIELDS(
		rseqtrace_field_array(int16_t, a4, a, 4)
		rseqtrace_field_array_hex(uint8_t, h5, b, 5)
		rseqtrace_field_array_text(char, t6, t, 6)
		rseqtrace_field_array(uint64_t, none, (const uint64_t *)NULL, 1)))

RSEQTRACE_EVENT(types, seqs, DEBUG,
	RSEQTRACE_ARGS(const int64_t *, v, size_t, n, const char *, txt, uint8_t, tn,
		       const uint16_t *, h, unsigned, hn),
	RSEQTRACE_FIELDS(
		rseqtrace_field_sequence(int64_t, v, v, uint32_t, n)
		rseqtrace_field_sequence_text(char, txt, txt, uint8_t, tn)
		rseqtrace_field_sequence_hex(uint16_t, h, h, uint64_t, hn)))

RSEQTRACE_EVENT(types, enums, EMERG,
	RSEQTRACE_ARGS(int, s, uint64_t, b, unsigned, q),
	RSEQTRACE_FIELDS(
		rseqtrace_field_enum(types, sign, int8_t, sign, s)
		rseqtrace_field_enum(types, big, uint64_t, big, b)
		rseqtrace_field_enum(types, quoted, uint32_t, quoted, q)))

RSEQTRACE_EVENT(types, blobs, ALERT,
	RSEQTRACE_ARGS(const void *, p, size_t, n),
	RSEQTRACE_FIELDS(rseqtrace_field_blob(data, p, n)))

RSEQTRACE_EVENT(types, empty, CRIT, RSEQTRACE_ARGS(), RSEQTRACE_FIELDS())

RSEQTRACE_EVENT(types, align, DEBUG_LINE,
	RSEQTRACE_ARGS(uint8_t, a, uint64_t, b, uint16_t, c, uint32_t, d, double, e),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(uint8_t, a, a)
		rseqtrace_field_integer(uint64_t, b, b)
		rseqtrace_field_integer(uint8_t, c0, a)
		rseqtrace_field_integer(uint16_t, c, c)
		rseqtrace_field_integer(uint8_t, d0, a)
		rseqtrace_field_integer(uint32_t, d, d)
		rseqtrace_field_integer(uint8_t, e0, a)
		rseqtrace_field_float(double, e, e)
		rseqtrace_field_string(s, "x")
		rseqtrace_field_integer(uint16_t, after_string, c)))

RSEQTRACE_EVENT(types, ten, DEBUG_SYSTEM,
	RSEQTRACE_ARGS(int, a1, int, a2, int, a3, int, a4, int, a5, int, a6, int, a7, int, a8,
		       int, a9, const char *, a10),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(int, sum, a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9)
		rseqtrace_field_string(last, a10)))

/* Larger than RSEQTRACE_MAX_PAYLOAD when n is: dropped and counted. */
RSEQTRACE_EVENT(types, huge, DEBUG,
	RSEQTRACE_ARGS(const void *, p, size_t, n),
	RSEQTRACE_FIELDS(rseqtrace_field_blob(data, p, n)))

/* Not enabled by the test: its arguments must never be evaluated. */
RSEQTRACE_EVENT(other, skipped, INFO,
	RSEQTRACE_ARGS(int, x),
	RSEQTRACE_FIELDS(rseqtrace_field_integer(int, x, x)))

#endif
