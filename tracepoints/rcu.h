/* SPDX-License-Identifier: MIT */
/*
 * Read-copy-update for the tracing fast path.
 *
 * Readers are call sites on their way into a probe, in any thread and in
 * signal handlers. They never block, never allocate with malloc and use no
 * lock-prefixed instruction: a reader stores a section id into a slot its
 * own thread owns (rseqtrace__read_lock) and clears it when done. An
 * updater publishes a new pointer, then rt_rcu_synchronize() waits until
 * every slot it saw busy has changed, after which nothing can still use
 * what the old pointer led to (an unlinked probe, a detached channel and
 * its buffers).
 *
 * Memory ordering: the reader's "store id; load pointer" and the updater's
 * "store pointer; load id" are separated by membarrier() on the updater
 * side, which puts a full barrier into every running thread of the
 * process, so readers need only a compiler barrier (store-buffering is
 * ruled out: either the updater sees the id or the reader sees the new
 * pointer). Where membarrier is unavailable (decided at init), readers
 * fence. Where it fails later (a seccomp filter installed after the
 * registration), readers go back to fencing, and the sections that began
 * without a fence get one from the scheduler: the updater runs once on
 * every CPU, each CPU's context switch being a full barrier (rcu.c).
 *
 * Why not liburcu: urcu-bp registers a thread on its first read-side
 * section under a mutex that a concurrent grace period holds, so a probe
 * could block; urcu-memb needs explicit per-thread registration, which
 * threads of an instrumented program never do. Here registration is a
 * lock-free claim of a slot (mmap for a new chunk; async-signal-safe).
 */
#ifndef RT_RCU_H
#define RT_RCU_H

#include <stdint.h>

/*
 * Waits for all read-side sections that began before the call: returns 0
 * when it did. A thread that leaves a section with a longjmp (out of a
 * signal handler that interrupted a probe) never unlocks it: its next
 * read_lock notices (rcu.c, section_over), and an updater that waited
 * STALE_MS (1 s) for a section of a running thread takes it as left, and
 * does not wait for it again. Then the grace period did not complete:
 * returns -1, and the caller must not free what readers may still use,
 * but hand it to rt_rcu_defer(). A thread stopped inside a probe (a
 * debugger, SIGSTOP) is waited for until it goes on. Never call it from a
 * read-side section or from a signal handler.
 */
int rt_rcu_synchronize(void);
/* Same, giving up after timeout_ms (a reader stopped by a debugger or
 * SIGSTOP) with -1. */
int rt_rcu_synchronize_timeout(unsigned timeout_ms);

/* Something an incomplete grace period could not free. */
struct rt_rcu_head {
	struct rt_rcu_head *next;
	void (*fn)(struct rt_rcu_head *);
};
/* Calls fn(h) after a later grace period that completes (from the thread
 * that runs it); never, if none does. */
void rt_rcu_defer(struct rt_rcu_head *h, void (*fn)(struct rt_rcu_head *));
/* Fork child: only the calling thread survives, so only its slot is live. */
void rt_rcu_after_fork_child(void);
void rt_rcu_init(void);

#endif
