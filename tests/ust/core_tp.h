/* SPDX-License-Identifier: MIT */
/* rseqtrace's own dialect: an event class with instances, network byte
 * order fields and a (void) argument list (the core capabilities the
 * LTTng-UST compatibility headers map onto). */
#ifndef CORE_TP_H
#define CORE_TP_H

#include <stdint.h>

#include <rseqtrace/tracepoint.h>

RSEQTRACE_EVENT_CLASS(core_ust, io,
	RSEQTRACE_ARGS(int, fd, uint32_t, len_be),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(int, fd, fd)
		rseqtrace_field_integer_network(uint32_t, len, len_be)))
RSEQTRACE_EVENT_INSTANCE(core_ust, io, read, DEBUG, RSEQTRACE_ARGS(int, fd, uint32_t, len_be))
RSEQTRACE_EVENT_INSTANCE(core_ust, io, write, NOTICE, RSEQTRACE_ARGS(int, fd, uint32_t, len_be))

RSEQTRACE_EVENT(core_ust, net, INFO,
	RSEQTRACE_ARGS(const uint16_t *, w, uint8_t, n),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer_network_hex(uint16_t, first, w[0])
		rseqtrace_field_array_network(uint16_t, a, w, 2)
		rseqtrace_field_array_network_hex(uint16_t, ah, w, 2)
		rseqtrace_field_sequence_network(uint16_t, s, w, uint8_t, n)
		rseqtrace_field_sequence_network_hex(uint16_t, sh, w, uint8_t, n)))

RSEQTRACE_EVENT(core_ust, nothing, ERR, RSEQTRACE_ARGS(void), RSEQTRACE_FIELDS())
#endif
