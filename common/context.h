/* SPDX-License-Identifier: MIT */
/*
 * Event contexts: the fields a channel records after every event header.
 * The bits are the protocol's and the public RSEQTRACE_CTX_* values
 * (include/rseqtrace/types.h); the table is in record order (see
 * eventdesc/record.h): ip first, so that every context is naturally aligned
 * with no padding between them.
 */
#ifndef RT_COMMON_CONTEXT_H
#define RT_COMMON_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#define RT_CTX_VPID 1u
#define RT_CTX_VTID 2u
#define RT_CTX_PROCNAME 4u
#define RT_CTX_IP 8u
#define RT_CTX_ALL (RT_CTX_VPID | RT_CTX_VTID | RT_CTX_PROCNAME | RT_CTX_IP)

#define RT_PROCNAME_LEN 16u /* the procname context: the thread's comm */

struct rt_context {
	const char *name;   /* as lttng add-context -t names it */
	uint32_t bit;
	/* The field, as CTF describes it: count integers of size bytes. */
	uint8_t size, is_signed, base, text;
	uint32_t count;
};

#define RT_NR_CONTEXTS 4u
extern const struct rt_context rt_contexts[RT_NR_CONTEXTS];

/* The bit of the context named by the n bytes at name, 0 if none. */
uint32_t rt_context_bit(const char *name, size_t n);
/* Bytes of the contexts in `contexts` in a record. */
uint32_t rt_ctx_len(uint32_t contexts);

#endif
