/* SPDX-License-Identifier: MIT */
/*
 * The layout of one record in a channel, shared by the writer (emit.c) and
 * the CTF writer that describes and checks it (ctf/):
 *
 *   0                16                           hdr_len (8-aligned)       len
 *   +----------------+----------------------------+--+----------------------+---+
 *   | rt_event_header| ip? vpid? vtid? procname?  |0 | payload (if any)     | 0 |
 *   +----------------+----------------------------+--+----------------------+---+
 *
 * header.id is the event's id in the channel, header.len the exact length
 * the CTF description decodes: hdr_len + payload length when there is a
 * payload (CTF aligns a non-empty payload struct to 8), 16 + ctx length
 * when there is none. Each present context follows the previous one, in
 * the order of common/context.h's table, whatever order the
 * RSEQTRACE_CTX_* bits were chosen in: ip uint64, vpid int32, vtid int32,
 * procname char[16].
 */
#ifndef RT_RECORD_H
#define RT_RECORD_H

#include <stdint.h>

#include "common/context.h"

/* Where the payload starts: after the header and ctx_len bytes of
 * contexts (rt_ctx_len), rounded up to 8. */
static inline uint32_t rt_hdr_len(uint32_t ctx_len)
{
	return (16u + ctx_len + 7u) & ~7u;
}

/* The decoded (exact) length of a record with a payload of len bytes. */
static inline uint32_t rt_exact_len(uint32_t ctx_len, uint32_t len)
{
	return len ? rt_hdr_len(ctx_len) + len : 16u + ctx_len;
}

#endif
