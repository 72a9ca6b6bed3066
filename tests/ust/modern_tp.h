/* SPDX-License-Identifier: MIT */
/*
 * A provider in LTTng-UST 2.13's API (LTTNG_UST_ names only; the older
 * names are hidden with LTTNG_UST_COMPAT_API_VERSION 1), written from its
 * documentation; compiled unchanged against LTTng-UST and against
 * rseqtrace's compatibility headers.
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER ust_modern

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./modern_tp.h"

#if !defined(MODERN_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define MODERN_TP_H

#include <stdint.h>

#include <lttng/tracepoint.h>

LTTNG_UST_TRACEPOINT_ENUM(ust_modern, state,
	LTTNG_UST_TP_ENUM_VALUES(
		lttng_ust_field_enum_auto("IDLE")
		lttng_ust_field_enum_auto("RUNNING")
		lttng_ust_field_enum_range("BLOCKED", 10, 20)
		lttng_ust_field_enum_auto("DEAD")
	)
)

LTTNG_UST_TRACEPOINT_EVENT(ust_modern, everything,
	LTTNG_UST_TP_ARGS(int64_t, i, double, d, const char *, s, const uint32_t *, v, uint16_t, n,
			  uint32_t, addr_be, int, st),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(int64_t, i, i)
		lttng_ust_field_integer_hex(int64_t, i_hex, i)
		lttng_ust_field_integer_network(uint32_t, addr, addr_be)
		lttng_ust_field_integer_network_hex(uint32_t, addr_hex, addr_be)
		lttng_ust_field_integer_nowrite(int64_t, i_filter_only, i)
		lttng_ust_field_float(double, d, d)
		lttng_ust_field_float_nowrite(double, d_filter_only, d)
		lttng_ust_field_string(s, s)
		lttng_ust_field_string_nowrite(s_filter_only, s)
		lttng_ust_field_array(uint32_t, a, v, 2)
		lttng_ust_field_array_hex(uint32_t, a_hex, v, 2)
		lttng_ust_field_array_network(uint32_t, a_net, v, 2)
		lttng_ust_field_array_network_hex(uint32_t, a_net_hex, v, 2)
		lttng_ust_field_array_text(char, a_text, s, 2)
		lttng_ust_field_array_nowrite(uint32_t, a_filter_only, v, 2)
		lttng_ust_field_array_nowrite_hex(uint32_t, ah_filter_only, v, 2)
		lttng_ust_field_array_network_nowrite(uint32_t, an_filter_only, v, 2)
		lttng_ust_field_array_network_nowrite_hex(uint32_t, anh_filter_only, v, 2)
		lttng_ust_field_array_text_nowrite(char, at_filter_only, s, 2)
		lttng_ust_field_sequence(uint32_t, q, v, uint16_t, n)
		lttng_ust_field_sequence_hex(uint32_t, q_hex, v, uint16_t, n)
		lttng_ust_field_sequence_network(uint32_t, q_net, v, uint16_t, n)
		lttng_ust_field_sequence_network_hex(uint32_t, q_net_hex, v, uint16_t, n)
		lttng_ust_field_sequence_text(char, q_text, s, uint16_t, n)
		lttng_ust_field_sequence_nowrite(uint32_t, q_filter_only, v, uint16_t, n)
		lttng_ust_field_sequence_nowrite_hex(uint32_t, qh_filter_only, v, uint16_t, n)
		lttng_ust_field_sequence_network_nowrite(uint32_t, qn_filter_only, v, uint16_t, n)
		lttng_ust_field_sequence_network_nowrite_hex(uint32_t, qnh_filter_only, v, uint16_t, n)
		lttng_ust_field_sequence_text_nowrite(char, qt_filter_only, s, uint16_t, n)
		lttng_ust_field_enum(ust_modern, state, int, st, st)
		lttng_ust_field_enum_nowrite(ust_modern, state, int, st_filter_only, st)
		lttng_ust_field_unused(n)
		lttng_ust_field_unused_nowrite(st)
	)
)
LTTNG_UST_TRACEPOINT_LOGLEVEL(ust_modern, everything, LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_UNIT)

LTTNG_UST_TRACEPOINT_EVENT_CLASS(ust_modern, op,
	LTTNG_UST_TP_ARGS(uint32_t, id, int, status),
	LTTNG_UST_TP_FIELDS(
		lttng_ust_field_integer(uint32_t, id, id)
		lttng_ust_field_integer(int, status, status)
	)
)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(ust_modern, op, ust_modern, op_start,
	LTTNG_UST_TP_ARGS(uint32_t, id, int, status))
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(ust_modern, op, ust_modern, op_stop,
	LTTNG_UST_TP_ARGS(uint32_t, id, int, status))
LTTNG_UST_TRACEPOINT_LOGLEVEL(ust_modern, op_start, LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_PROGRAM)
LTTNG_UST_TRACEPOINT_LOGLEVEL(ust_modern, op_stop, LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_MODULE)

LTTNG_UST_TRACEPOINT_EVENT(ust_modern, plain,
	LTTNG_UST_TP_ARGS(int, x),
	LTTNG_UST_TP_FIELDS(lttng_ust_field_integer(int, x, x)))
LTTNG_UST_TRACEPOINT_LOGLEVEL(ust_modern, plain, LTTNG_UST_TRACEPOINT_LOGLEVEL_ERR)
LTTNG_UST_TRACEPOINT_MODEL_EMF_URI(ust_modern, plain, "http://example.com/model/plain")

#endif /* MODERN_TP_H */

#include <lttng/tracepoint-event.h>
