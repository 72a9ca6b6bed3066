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
 * this order, whatever order the RSEQTRACE_CTX_* bits were chosen in:
 * ip uint64, vpid int32, vtid int32, procname char[16]. ip comes first so
 * that every context is naturally aligned with no padding between them
 * (ip at 16, the others at multiples of 4).
 */
#ifndef RT_RECORD_H
#define RT_RECORD_H

#include <stdint.h>

#include <rseqtrace/types.h>

#define RT_PROCNAME_LEN 16u

static inline uint32_t rt_ctx_len(unsigned contexts)
{
	return ((contexts & RSEQTRACE_CTX_IP) ? 8u : 0u) +
	       ((contexts & RSEQTRACE_CTX_VPID) ? 4u : 0u) +
	       ((contexts & RSEQTRACE_CTX_VTID) ? 4u : 0u) +
	       ((contexts & RSEQTRACE_CTX_PROCNAME) ? RT_PROCNAME_LEN : 0u);
}

static inline uint32_t rt_hdr_len(unsigned contexts)
{
	return (16u + rt_ctx_len(contexts) + 7u) & ~7u;
}

/* The decoded (exact) length of a record with a payload of len bytes. */
static inline uint32_t rt_exact_len(unsigned contexts, uint32_t len)
{
	return len ? rt_hdr_len(contexts) + len : 16u + rt_ctx_len(contexts);
}

#endif
