/* SPDX-License-Identifier: MIT */
/*
 * What the ready-made probes share, from librseqtrace-probes.so (every
 * wrapper links it, so one copy exists per process):
 *
 *   - a per-thread nesting count: a wrapper traces only at depth 0, so an
 *     allocation or a mutex taken while an event is being written (by
 *     librseqtrace, or by another wrapper's probe) is passed through
 *     untraced instead of recursing;
 *   - the address range of librseqtrace itself: calls coming from there
 *     (its registry and session locks, the drain thread, locked-mode
 *     buffer locks) are the tracer's own and stay out of the trace;
 *   - the state dump (statedump_tp.h), done once per enabling of the
 *     lttng_ust_statedump events and again in a forked child.
 *
 * Invariants:
 *   P1  rseqtrace_probes_nesting is touched only by its own thread
 *       (initial-exec TLS: no allocation, usable from malloc and signal
 *       handlers, also in threads created before the probes were loaded).
 *   P2  A wrapper increments it before it enters librseqtrace and
 *       decrements it after; nothing in between returns early.
 */
#ifndef RSEQTRACE_PROBES_H
#define RSEQTRACE_PROBES_H

#include <stdint.h>

#define RT_PROBES_API __attribute__((visibility("default")))
#define RT_NO_INSTRUMENT __attribute__((no_instrument_function))

extern __thread __attribute__((tls_model("initial-exec"))) unsigned rseqtrace_probes_nesting;

/* [lo, lo + span) covers librseqtrace's mapped segments; span is 0 until
 * librseqtrace-probes.so's constructor ran. */
extern uintptr_t rseqtrace_probes_rt_lo, rseqtrace_probes_rt_span;

/*
 * Called by a wrapper when the lttng_ust_statedump:start enabled byte it
 * sees (`enabled`) differs from what it saw last. Dumps the mapped objects
 * if the state dump is enabled and this enabling (or this process, after a
 * fork) has not had its dump yet; one thread dumps, the others go on.
 * Returns the value the wrapper should remember.
 */
RT_PROBES_API uint8_t rseqtrace_probes_statedump_poll(uint8_t enabled);

/* 1 if the call came from inside librseqtrace. */
static inline int RT_NO_INSTRUMENT rt_probes_from_tracer(const void *ip)
{
	return (uintptr_t)ip - rseqtrace_probes_rt_lo <
	       __atomic_load_n(&rseqtrace_probes_rt_span, __ATOMIC_RELAXED);
}

/* Enters a probe: 1 if this thread may trace now (depth 0), and then the
 * caller must call rt_probes_leave(). */
static inline int RT_NO_INSTRUMENT rt_probes_enter(void)
{
	if (rseqtrace_probes_nesting)
		return 0;
	rseqtrace_probes_nesting = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return 1;
}

static inline void RT_NO_INSTRUMENT rt_probes_leave(void)
{
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	rseqtrace_probes_nesting = 0;
}

/*
 * The wrapper side of the state dump trigger. Each wrapper keeps a private
 * "what I last saw" byte (reset in its fork child handler) and passes its
 * own call-site view of lttng_ust_statedump:start (it includes
 * statedump_tp.h):
 *   traced path:    rt_probes_sd_check(&seen, rseqtrace_enabled(lttng_ust_statedump, start));
 *   untraced path:  the same, only when `seen` is set,
 * so that a disabling is noticed and the next enabling dumps again.
 */
static inline void RT_NO_INSTRUMENT rt_probes_sd_check(uint8_t *seen, int enabled)
{
	if (__builtin_expect((uint8_t)enabled != __atomic_load_n(seen, __ATOMIC_RELAXED), 0))
		__atomic_store_n(seen, rseqtrace_probes_statedump_poll((uint8_t)enabled),
				 __ATOMIC_RELAXED);
}

#endif
