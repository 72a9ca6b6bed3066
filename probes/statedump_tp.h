/* SPDX-License-Identifier: MIT */
/*
 * The state dump: one bin_info (and build_id) event per object mapped in
 * the process, between a start and an end event, emitted by
 * librseqtrace-probes.so when these events become enabled and again in a
 * forked child. Tools turn the addresses the other probes record (ip,
 * addr, call_site) into a binary, a function and a source line with it.
 *
 * The provider name and the fields are LTTng-UST's on purpose:
 * babeltrace2's debug-info filter (flt.lttng-utils.debug-info) looks for
 * events named exactly lttng_ust_statedump:{start,bin_info,build_id} with
 * these fields. (The filter also needs `ip` and `vpid` in the stream's
 * event context, which rseqtrace channels do not record yet; until they
 * do, probes/rseqtrace-resolve does the resolution.)
 */
#ifndef RSEQTRACE_PROBES_STATEDUMP_TP_H
#define RSEQTRACE_PROBES_STATEDUMP_TP_H

#include <stddef.h>
#include <stdint.h>

#include <rseqtrace/tracepoint.h>

RSEQTRACE_EVENT(lttng_ust_statedump, start, INFO,
	RSEQTRACE_ARGS(),
	RSEQTRACE_FIELDS())

/* baddr: where the object's first PT_LOAD segment is mapped; memsz: the
 * span of its PT_LOAD segments; is_pic: ET_DYN (addresses are relative to
 * baddr in the file). */
RSEQTRACE_EVENT(lttng_ust_statedump, bin_info, INFO,
	RSEQTRACE_ARGS(uint64_t, baddr, uint64_t, memsz, const char *, path,
		       uint8_t, is_pic, uint8_t, has_build_id, uint8_t, has_debug_link),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer_hex(uint64_t, baddr, baddr)
		rseqtrace_field_integer(uint64_t, memsz, memsz)
		rseqtrace_field_string(path, path)
		rseqtrace_field_integer(uint8_t, is_pic, is_pic)
		rseqtrace_field_integer(uint8_t, has_build_id, has_build_id)
		rseqtrace_field_integer(uint8_t, has_debug_link, has_debug_link)))

RSEQTRACE_EVENT(lttng_ust_statedump, build_id, INFO,
	RSEQTRACE_ARGS(uint64_t, baddr, const uint8_t *, id, size_t, len),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer_hex(uint64_t, baddr, baddr)
		rseqtrace_field_sequence_hex(uint8_t, build_id, id, size_t, len)))

RSEQTRACE_EVENT(lttng_ust_statedump, end, INFO,
	RSEQTRACE_ARGS(),
	RSEQTRACE_FIELDS())

#endif
