/* SPDX-License-Identifier: MIT */
/*
 * A provider in LTTng-UST's pre-2.13 API, written from LTTng-UST's
 * documentation (the provider header pattern, every ctf_* field macro,
 * enums, an event class with instances, loglevels). It is compiled
 * unchanged against LTTng-UST and against rseqtrace's compatibility
 * headers (compat/lttng-ust/include); tests/ust/check_ust.py compares the
 * two traces.
 */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER ust_fields

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./ust_tp.h"

#if !defined(UST_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define UST_TP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lttng/tracepoint.h>

TRACEPOINT_ENUM(ust_fields, color,
	TP_ENUM_VALUES(
		ctf_enum_value("RED", 0)
		ctf_enum_value("GREEN", 1)
		ctf_enum_range("BLUES", 10, 19)
		ctf_enum_auto("AFTER_BLUES")
		ctf_enum_auto("NEXT")
		ctf_enum_value("NEGATIVE", -5)
		ctf_enum_auto("MINUS_FOUR")
	)
)

TRACEPOINT_ENUM(ust_fields, count8,
	TP_ENUM_VALUES(
		ctf_enum_auto("ZERO")
		ctf_enum_auto("ONE")
		ctf_enum_range("MANY", 2, 200)
		ctf_enum_value("MAX", 255)
	)
)

TRACEPOINT_ENUM(ust_fields, wide,
	TP_ENUM_VALUES(
		ctf_enum_value("SMALL", 1)
		ctf_enum_range("HUGE", 0x100000000ULL, 0xffffffffffffULL)
	)
)

TRACEPOINT_EVENT(ust_fields, ints,
	TP_ARGS(int8_t, s8, uint8_t, u8, int16_t, s16, uint16_t, u16,
		int32_t, s32, uint32_t, u32, int64_t, s64, uint64_t, u64),
	TP_FIELDS(
		ctf_integer(int8_t, s8, s8)
		ctf_integer(uint8_t, u8, u8)
		ctf_integer(int16_t, s16, s16)
		ctf_integer(uint16_t, u16, u16)
		ctf_integer(int32_t, s32, s32)
		ctf_integer(uint32_t, u32, u32)
		ctf_integer(int64_t, s64, s64)
		ctf_integer(uint64_t, u64, u64)
		ctf_integer_hex(int8_t, s8_hex, s8)
		ctf_integer_hex(uint16_t, u16_hex, u16)
		ctf_integer_hex(int32_t, s32_hex, s32)
		ctf_integer_hex(uint64_t, u64_hex, u64)
		ctf_integer(char, c, s8)
		ctf_integer(long, l, s64)
		ctf_integer(unsigned short, us, u16)
		ctf_integer(bool, b, s32 != 0)
		ctf_integer(int, sum, s8 + s16)
		ctf_integer_nowrite(int32_t, s32_filter_only, s32)
	)
)
TRACEPOINT_LOGLEVEL(ust_fields, ints, TRACE_WARNING)

TRACEPOINT_EVENT(ust_fields, network,
	TP_ARGS(uint16_t, port_be, uint32_t, addr_be, uint64_t, big_be, const uint16_t *, words_be,
		unsigned int, n),
	TP_FIELDS(
		ctf_integer_network(uint16_t, port, port_be)
		ctf_integer_network_hex(uint32_t, addr, addr_be)
		ctf_integer_network(uint64_t, big, big_be)
		ctf_integer_network(int32_t, signed_addr, addr_be)
		ctf_integer_network(uint8_t, byte, port_be)
		ctf_array_network(uint16_t, words, words_be, 3)
		ctf_array_network_hex(uint16_t, words_hex, words_be, 3)
		ctf_sequence_network(uint16_t, wseq, words_be, unsigned int, n)
		ctf_sequence_network_hex(uint16_t, wseq_hex, words_be, uint8_t, n)
		ctf_array_network_nowrite(uint16_t, nw_a, words_be, 3)
		ctf_array_network_nowrite_hex(uint16_t, nw_ah, words_be, 3)
		ctf_sequence_network_nowrite(uint16_t, nw_s, words_be, unsigned int, n)
		ctf_sequence_network_nowrite_hex(uint16_t, nw_sh, words_be, unsigned int, n)
	)
)
TRACEPOINT_LOGLEVEL(ust_fields, network, TRACE_NOTICE)

/* No TRACEPOINT_LOGLEVEL: LTTng-UST's default. */
TRACEPOINT_EVENT(ust_fields, reals,
	TP_ARGS(float, f, double, d),
	TP_FIELDS(
		ctf_float(float, f, f)
		ctf_float(double, d, d)
		ctf_float(double, f_as_double, f)
		ctf_float_nowrite(double, d_filter_only, d)
	)
)

TRACEPOINT_EVENT(ust_fields, strings,
	TP_ARGS(const char *, s, const char *, maybe_null),
	TP_FIELDS(
		ctf_string(s, s)
		ctf_string(maybe_null, maybe_null)
		ctf_string_nowrite(s_filter_only, s)
	)
)
TRACEPOINT_LOGLEVEL(ust_fields, strings, TRACE_CRIT)

TRACEPOINT_EVENT(ust_fields, arrays,
	TP_ARGS(const int8_t *, a8, const uint16_t *, a16, const int32_t *, a32, const uint64_t *, a64,
		const char *, text),
	TP_FIELDS(
		ctf_array(int8_t, a8, a8, 3)
		ctf_array(uint8_t, ua8, a8, 3)
		ctf_array(uint16_t, a16, a16, 3)
		ctf_array(int16_t, sa16, a16, 3)
		ctf_array(int32_t, a32, a32, 3)
		ctf_array(uint32_t, ua32, a32, 3)
		ctf_array(uint64_t, a64, a64, 3)
		ctf_array(int64_t, sa64, a64, 3)
		ctf_array_hex(int8_t, a8_hex, a8, 3)
		ctf_array_hex(uint16_t, a16_hex, a16, 3)
		ctf_array_hex(int32_t, a32_hex, a32, 3)
		ctf_array_hex(uint64_t, a64_hex, a64, 3)
		ctf_array_text(char, text, text, 6)
		ctf_array_nowrite(int32_t, a32_filter_only, a32, 3)
		ctf_array_nowrite_hex(int32_t, a32h_filter_only, a32, 3)
		ctf_array_text_nowrite(char, text_filter_only, text, 6)
	)
)
TRACEPOINT_LOGLEVEL(ust_fields, arrays, TRACE_ALERT)

TRACEPOINT_EVENT(ust_fields, sequences,
	TP_ARGS(const int8_t *, v8, const uint16_t *, v16, const int32_t *, v32, const int64_t *, v64,
		size_t, n, const char *, text, unsigned int, tn),
	TP_FIELDS(
		ctf_sequence(int8_t, v8, v8, uint8_t, n)
		ctf_sequence(uint16_t, v16, v16, uint16_t, n)
		ctf_sequence(int32_t, v32, v32, uint32_t, n)
		ctf_sequence(int64_t, v64, v64, size_t, n)
		ctf_sequence(uint64_t, uv64, v64, uint64_t, n)
		ctf_sequence_hex(int8_t, v8_hex, v8, unsigned int, n)
		ctf_sequence_hex(uint16_t, v16_hex, v16, unsigned int, n)
		ctf_sequence_hex(int32_t, v32_hex, v32, unsigned char, n)
		ctf_sequence_hex(int64_t, v64_hex, v64, unsigned long, n)
		ctf_sequence_text(char, text, text, unsigned int, tn)
		ctf_sequence_text(unsigned char, utext, text, size_t, tn)
		ctf_sequence_nowrite(int32_t, v32_filter_only, v32, unsigned int, n)
		ctf_sequence_nowrite_hex(int32_t, v32h_filter_only, v32, unsigned int, n)
		ctf_sequence_text_nowrite(char, text_filter_only, text, unsigned int, tn)
	)
)
TRACEPOINT_LOGLEVEL(ust_fields, sequences, TRACE_EMERG)

TRACEPOINT_EVENT(ust_fields, enums,
	TP_ARGS(int, color, uint8_t, count, uint64_t, w),
	TP_FIELDS(
		ctf_enum(ust_fields, color, int, color, color)
		ctf_enum(ust_fields, color, int64_t, color64, color)
		ctf_enum(ust_fields, count8, uint8_t, count, count)
		ctf_enum(ust_fields, wide, uint64_t, wide, w)
		ctf_enum_nowrite(ust_fields, color, int, color_filter_only, color)
	)
)
TRACEPOINT_LOGLEVEL(ust_fields, enums, TRACE_DEBUG_PROCESS)

/* An event class and its instances. */
TRACEPOINT_EVENT_CLASS(ust_fields, request,
	TP_ARGS(int, id, const char *, path),
	TP_FIELDS(
		ctf_integer(int, id, id)
		ctf_string(path, path)
	)
)
TRACEPOINT_EVENT_INSTANCE(ust_fields, request, request_begin,
	TP_ARGS(int, id, const char *, path))
TRACEPOINT_LOGLEVEL(ust_fields, request_begin, TRACE_DEBUG_FUNCTION)
TRACEPOINT_EVENT_INSTANCE(ust_fields, request, request_end,
	TP_ARGS(int, id, const char *, path))
TRACEPOINT_LOGLEVEL(ust_fields, request_end, TRACE_INFO)
TRACEPOINT_EVENT_INSTANCE(ust_fields, request, request_retry,
	TP_ARGS(int, id, const char *, path))

TRACEPOINT_EVENT(ust_fields, misc,
	TP_ARGS(void *, p, int, ignored, int, x),
	TP_FIELDS(
		ctf_integer_hex(void *, p, p)
		ctf_integer(const void *, p_dec, p)
		ctf_unused(ignored)
		ctf_integer(int, x, x)
	)
)
TRACEPOINT_LOGLEVEL(ust_fields, misc, TRACE_DEBUG)
TRACEPOINT_MODEL_EMF_URI(ust_fields, misc, "http://example.com/model/misc")

TRACEPOINT_EVENT(ust_fields, noargs, TP_ARGS(), TP_FIELDS())
TRACEPOINT_LOGLEVEL(ust_fields, noargs, TRACE_DEBUG_SYSTEM)

TRACEPOINT_EVENT(ust_fields, voidargs, TP_ARGS(void), TP_FIELDS())

#endif /* UST_TP_H */

#include <lttng/tracepoint-event.h>
