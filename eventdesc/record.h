/* SPDX-License-Identifier: MIT */
/*
 * The layout of one record in a channel, shared by the writer (emit.c) and
 * the CTF writer that describes and checks it (ctf/). As staged by the
 * writer, in the extended form (ringbuf/packet.h):
 *
 *   0      4           12     ctx start  ctx end     payload_at           len
 *   +------+-----------+------+--+--------+------+--+---------------+-------+
 *   | word | timestamp | ip? vpid? vtid? procname? |0| payload        | 0..7 |
 *   +------+-----------+------+--------------------+--+---------------+-------+
 *
 * The compact form is the same bytes from 8 on, with its 4-byte header
 * there: both headers end at 4 mod 8 from an 8-aligned record start, so
 * every offset below keeps its alignment, and is given in the staged
 * (extended) form; subtract 8 for a compact record. The contexts form a
 * CTF struct aligned to its largest member (8 with ip, else 4 or 1), in
 * the order of common/context.h's table whatever order the RSEQTRACE_CTX_*
 * bits were chosen in: ip uint64, vpid int32, vtid int32, procname
 * char[16]. The payload is a CTF struct aligned to its largest field
 * (rt_field_align), laid out from payload_at, which is that alignment
 * (the probe serializes from an 8-aligned offset 0). Records are padded
 * to 8 bytes with zeros; the CTF event header is declared 64-bit aligned,
 * so readers skip that padding. No length is stored: a reader decodes a
 * record to find its end.
 */
#ifndef RT_RECORD_H
#define RT_RECORD_H

#include <stdint.h>

#include <rseqtrace/types.h>

#include "common/context.h"

/* The staged header's length: RT_EVENT_HEADER_LEN (ringbuf/packet.h). */
#define RT_REC_HEADER 12u
/* How much shorter a compact record is than its staged form. */
#define RT_REC_COMPACT_SKIP 8u

/* Where the contexts start: after the header, aligned for ip. */
static inline uint32_t rt_ctx_start(uint32_t contexts)
{
	return contexts & RT_CTX_IP ? 16u : RT_REC_HEADER;
}

/* The CTF alignment, in bytes, of a payload field of this kind with
 * elements (or integer) of esize bytes and a sequence length of lsize. */
static inline uint32_t rt_field_align(uint32_t kind, uint32_t esize, uint32_t lsize)
{
	if (kind == RSEQTRACE_FIELD_STRING)
		return 1;
	if (kind == RSEQTRACE_FIELD_SEQUENCE && lsize > esize)
		return lsize;
	return esize;
}

/* Where a payload aligned to palign (a power of two up to 8) starts, after
 * ctx_len bytes of contexts (rt_ctx_len). */
static inline uint32_t rt_payload_at(uint32_t contexts, uint32_t ctx_len, uint32_t palign)
{
	return (rt_ctx_start(contexts) + ctx_len + palign - 1) & ~(palign - 1);
}

#endif
