/* SPDX-License-Identifier: MIT */
/*
 * Every field macro and every loglevel family once: built for rseqtrace and
 * for LTTng-UST, the two traces must decode to the same values.
 */
#ifndef FIELDTYPES_TP_H
#define FIELDTYPES_TP_H

#include <stddef.h>
#include <stdint.h>

#include <rseqtrace/tracepoint.h>

RSEQTRACE_ENUM(fieldtypes, state,
	RSEQTRACE_ENUM_VALUES(
		rseqtrace_enum_value("OFF", 0)
		rseqtrace_enum_value("ON", 1)
		rseqtrace_enum_range("NEGATIVE", -100, -1)
		rseqtrace_enum_range("BIG", 1000, 2000)))

RSEQTRACE_EVENT(fieldtypes, ints, WARNING,
	RSEQTRACE_ARGS(int8_t, s8, uint8_t, u8, int16_t, s16, uint16_t, u16,
		       int32_t, s32, uint32_t, u32, int64_t, s64, uint64_t, u64),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(int8_t, s8, s8)
		rseqtrace_field_integer(uint8_t, u8, u8)
		rseqtrace_field_integer(int16_t, s16, s16)
		rseqtrace_field_integer(uint16_t, u16, u16)
		rseqtrace_field_integer(int32_t, s32, s32)
		rseqtrace_field_integer(uint32_t, u32, u32)
		rseqtrace_field_integer(int64_t, s64, s64)
		rseqtrace_field_integer(uint64_t, u64, u64)
		rseqtrace_field_integer_hex(uint64_t, u64_hex, u64)
		rseqtrace_field_integer_hex(int32_t, s32_hex, s32)))

RSEQTRACE_EVENT(fieldtypes, reals, ERR,
	RSEQTRACE_ARGS(float, f, double, d),
	RSEQTRACE_FIELDS(
		rseqtrace_field_float(float, f, f)
		rseqtrace_field_float(double, d, d)))

RSEQTRACE_EVENT(fieldtypes, strings, CRIT,
	RSEQTRACE_ARGS(const char *, s, const char *, maybe_null),
	RSEQTRACE_FIELDS(
		rseqtrace_field_string(s, s)
		rseqtrace_field_string(maybe_null, maybe_null)))

RSEQTRACE_EVENT(fieldtypes, arrays, ALERT,
	RSEQTRACE_ARGS(const int16_t *, a, const uint8_t *, bytes, const char *, text),
	RSEQTRACE_FIELDS(
		rseqtrace_field_array(int16_t, a4, a, 4)
		rseqtrace_field_array_hex(uint8_t, hex3, bytes, 3)
		rseqtrace_field_array_text(char, text5, text, 5)))

RSEQTRACE_EVENT(fieldtypes, sequences, EMERG,
	RSEQTRACE_ARGS(const int64_t *, v, uint32_t, n, const char *, text, size_t, tn,
		       const void *, blob, size_t, bn),
	RSEQTRACE_FIELDS(
		rseqtrace_field_sequence(int64_t, v, v, uint32_t, n)
		rseqtrace_field_sequence_hex(int64_t, vhex, v, uint8_t, n)
		rseqtrace_field_sequence_text(char, text, text, uint16_t, tn)
		rseqtrace_field_blob(blob, blob, bn)))

RSEQTRACE_EVENT(fieldtypes, states, DEBUG_FUNCTION,
	RSEQTRACE_ARGS(int, s),
	RSEQTRACE_FIELDS(
		rseqtrace_field_enum(fieldtypes, state, int16_t, state, s)))

RSEQTRACE_EVENT(fieldtypes, nothing, NOTICE,
	RSEQTRACE_ARGS(),
	RSEQTRACE_FIELDS())

#endif
