/* SPDX-License-Identifier: MIT */
/*
 * The layout of one record in a channel, shared by the writer (emit.c) and
 * the CTF writer that describes and checks it (ctf/). Offsets are those of
 * the staged record (ringbuf/packet.h), whose start is 8-aligned:
 *
 *   0          12 (16 with ip...)     ctx_end    hdr_len                 end
 *   +----------+---------------------------+---+------------------+---+
 *   | header   | 8-byte? 4-byte? procname? | 0 | payload (if any) | 0 |
 *   +----------+---------------------------+---+------------------+---+
 *
 * The header room is RT_EH_ROOM (12) bytes: the extended form fills it, the
 * compact one is its last 4 bytes and the record as stored starts 8 bytes
 * later; both forms end at 4 (mod 8), so every offset below keeps its
 * alignment in either. Each present context follows the previous one, in
 * the order of common/context.h's table, whatever order the
 * RSEQTRACE_CTX_* bits were chosen in: the 8-byte ones (ip, pthread_id,
 * the namespaces; 8-aligned, so from 16), then the 4-byte ones (vpid, vtid,
 * cpu_id, the ids), then procname char[16]. The payload starts at
 * hdr_len, ctx_end aligned to the payload's alignment, the largest of its
 * fields' (CTF aligns a structure so; rt_field_align); the staged record
 * is padded with zeros to 8 bytes. A record carries no length: a reader
 * finds its end by decoding it (ctf/stream.c).
 */
#ifndef RT_RECORD_H
#define RT_RECORD_H

#include <stdint.h>

#include <rseqtrace/types.h>

#include "common/context.h"

/* ringbuf/packet.h's RT_EH_ROOM (checked where both are seen: emit.c,
 * ctf/trace.c); eventdesc/ stays below ringbuf/. */
#define RT_RECORD_HDR_ROOM 12u

/* Where the contexts start: the 8-byte ones (ip, pthread_id, the
 * namespaces) come first, 8-aligned. */
static inline uint32_t rt_ctx_start(uint32_t contexts)
{
	return (contexts & RT_CTX_WIDE) ? 16u : RT_RECORD_HDR_ROOM;
}

/* Where they end, a multiple of 4. */
static inline uint32_t rt_ctx_end(uint32_t contexts)
{
	return rt_ctx_start(contexts) + rt_ctx_len(contexts);
}

/* A payload field's alignment in bytes, as its CTF description has it
 * (ctf/trace.c): integers, floats and enums their size, arrays their
 * element's, a sequence the larger of its length's and element's, a
 * string 1. */
static inline uint32_t rt_field_align(uint32_t kind, uint32_t esize, uint32_t lsize)
{
	switch (kind) {
	case RSEQTRACE_FIELD_STRING:
		return 1;
	case RSEQTRACE_FIELD_SEQUENCE:
		return esize > lsize ? esize : lsize;
	default:
		return esize ? esize : 1;
	}
}

/* Where a payload of alignment `align` (a power of two <= 8) starts. */
static inline uint32_t rt_payload_start(uint32_t ctx_end, uint32_t align)
{
	return (ctx_end + align - 1) & ~(align - 1);
}

#endif
