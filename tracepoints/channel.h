/* SPDX-License-Identifier: MIT */
/*
 * Private to librseqtrace: a channel and the per-event attachment list
 * that probes read under RCU (see runtime.h for the model).
 */
#ifndef RT_CHANNEL_H
#define RT_CHANNEL_H

#include <stdint.h>

#include "filter/program.h"
#include "ringbuf/ringbuf.h"
#include "tracepoints/rcu.h"
#include "tracepoints/runtime.h"

struct rt_channel {
	struct rt_bufset bs;
	uint32_t contexts;
	uint32_t ctx_len;  /* bytes of context after the event header */
	uint32_t ctx_end;  /* where they end in a staged record (record.h) */
	uint8_t active;    /* read by probes; written under the registry lock */
	uint8_t owns_mapping;
	uint64_t refused;  /* RT_E_MODE refusals */
	uint64_t too_big;  /* payloads larger than the probe's stack staging */
	char name[64];
	struct rt_channel *next; /* the registry's list of live channels */
	struct rt_rcu_head rcu;  /* destroyed after a later grace period */
};

/* Filter programs of one event in one channel (filter/program.h), bound
 * to the event: a hit is written if any accepts it. Reference-counted:
 * every attachment list that names it and the listener's table hold one. */
struct rt_fset {
	uint32_t refs;
	uint32_t nr;
	uint32_t reads_ctx; /* the $ctx fields its programs read (RT_FP_CTX_BIT) */
	struct rt_fp *p[];
};

/* Immutable once published in rseqtrace_event.rt; replaced, never edited. */
struct rt_attach {
	struct rt_channel *chan;
	uint32_t id;
	uint32_t hdr_len; /* where the payload starts in this channel (record.h) */
	struct rt_fset *filter; /* NULL: every hit */
	/* The filter when it is one quick program (set: a field against
	 * a constant), copied here so that a filtered hit follows no pointer
	 * to it (filter/program.h). */
	struct rseqtrace_quick quick;
};

struct rt_ev_state {
	/* First: the probe reads it behind a tagged rt (rseqtrace/types.h).
	 * The attachments' quick filter when they all have the same one, else
	 * all zeros, which holds for every value (registry.c, common_quick). */
	struct rseqtrace_quick quick;
	struct rt_rcu_head rcu; /* updater-only: unpublished, waiting for a grace period */
	uint32_t nr;
	struct rt_attach a[];
};

/* Or-ed into the list's address in rseqtrace_event.rt when some attachment
 * has a filter: the probe then checks the list's quick filter and hands
 * the filters its arguments (rseqtrace__filter) before it stages anything.
 * The probe loads rt once per hit, so the tag and the list it sees always
 * agree. */
#define RT_EV_FILTERED 1u

/* Registry internals used by the library's init code. */
void rt_registry_after_fork_child(void);
void rt_registry_before_fork(void);
void rt_registry_after_fork_parent(void);
void rt_emit_after_fork_child(void);
/* perf.c: counter i of the perf:thread:* contexts for the calling thread
 * (0 if the kernel refused it); the forked child's are closed. */
uint64_t rt_perf_value(unsigned i);
void rt_perf_after_fork_child(void);

#endif
