/* SPDX-License-Identifier: MIT */
/*
 * RCU for call sites: see rcu.h for the scheme and why it is safe.
 *
 * Invariants:
 *   R1  A reader slot's `ctr` is stored only by the thread that owns the
 *       slot (and by fork/exit cleanup when that thread no longer exists).
 *   R2  ctr != 0 while the owner is inside an outermost read-side section,
 *       and after it left one without read_unlock (siglongjmp out of a
 *       signal handler that interrupted it); each outermost section of a
 *       thread gets a new id (ids can repeat only when a signal handler
 *       interleaves with an outer lock, which makes an updater wait
 *       longer, never shorter). A left section's id stays until the
 *       owner's next read_lock finds it over (section_over) and starts a
 *       new one.
 *   R3  Slots are never freed: a slot seen by an updater stays readable.
 *   R4  `abandoned` is stored by updaters only: the id of a section an
 *       updater waited STALE_MS for while its thread ran (not stopped),
 *       taken as left by a longjmp. No grace period waits for that id
 *       again, and none that meets it completes: what such a grace period
 *       retires is freed after a later one that meets none (rt_rcu_defer).
 *       The owner's next read_lock from a frame as shallow as the
 *       abandoned section's (or from another stack) starts a new section
 *       instead of nesting in it, so its sections are waited for again. A
 *       deeper one nests: it may run on top of the section still (a probe
 *       preempted past STALE_MS that calls into another, or a signal handler
 *       on top of it), and a new section's unlock would clear the slot under
 *       it; nested, the abandoned id stays in the slot, and grace periods
 *       keep what they retire until it goes (never freed early).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <rseqtrace/tracepoint.h>

#include "ringbuf/ringbuf.h"
#include "tracepoints/rcu.h"

struct reader {
	uint64_t ctr;       /* R1, R2 */
	uint64_t abandoned; /* R4 */
	uint64_t gen;       /* owner-private: last section id */
	uintptr_t sp;       /* owner-private: stack pointer at the read_lock */
	uint64_t sp_id;     /* of section sp_id */
	uint32_t in_use;    /* claimed by a live thread (CAS 0 -> 1) */
	int32_t tid;
} __attribute__((aligned(64)));

/* How long an updater waits for a section of a running thread before it
 * takes it as left by a longjmp (R4). A probe's own work takes
 * microseconds, a locked-mode buffer lock at most 250 ms. */
#define STALE_MS 1000u

#define CHUNK 64
struct chunk {
	struct chunk *next;
	struct reader r[CHUNK];
};

static struct chunk first_chunk;
static struct chunk *chunks = &first_chunk; /* pushed with CAS, never popped (R3) */
static uint64_t overflow_readers;           /* readers that found no slot (out of memory) */
/* Readers fence until membarrier is known to work, and for good once it
 * failed (membarrier_lost). */
static int need_fence = 1;
static int mb_cmd = -1; /* what grace periods use; -1: none, readers fence */
static pthread_mutex_t gp_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rt_rcu_head *deferred; /* under gp_lock: for a grace period that completes */
static pthread_key_t exit_key;
static int exit_key_ok;

static __thread __attribute__((tls_model("initial-exec"))) struct reader *me;

#define TOKEN_NESTED 0ul
#define TOKEN_OVERFLOW 1ul

static void release_slot(void *p)
{
	struct reader *r = p;
	__atomic_store_n(&r->ctr, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&r->in_use, 0, __ATOMIC_RELEASE);
	if (me == r)
		me = NULL;
}

static struct reader *try_claim(struct chunk *c)
{
	for (int i = 0; i < CHUNK; i++) {
		struct reader *r = &c->r[i];
		uint32_t zero = 0;
		if (!__atomic_load_n(&r->in_use, __ATOMIC_RELAXED) &&
		    __atomic_compare_exchange_n(&r->in_use, &zero, 1, 0, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return r;
	}
	return NULL;
}

/* Async-signal-safe: CAS claims and mmap only. */
static struct reader *claim_slot(void)
{
	struct reader *r = NULL;
	for (struct chunk *c = __atomic_load_n(&chunks, __ATOMIC_ACQUIRE); c && !r; c = c->next)
		r = try_claim(c);
	if (!r) {
		struct chunk *c = mmap(NULL, sizeof *c, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (c == MAP_FAILED)
			return NULL;
		c->r[0].in_use = 1;
		r = &c->r[0];
		c->next = __atomic_load_n(&chunks, __ATOMIC_RELAXED);
		while (!__atomic_compare_exchange_n(&chunks, &c->next, c, 1, __ATOMIC_RELEASE,
						    __ATOMIC_RELAXED))
			;
	}
	r->tid = (int32_t)syscall(SYS_gettid);
	__atomic_store_n(&r->ctr, 0, __ATOMIC_RELAXED);
	if (me) { /* a signal handler registered this thread meanwhile */
		release_slot(r);
		return me;
	}
	me = r;
	if (exit_key_ok)
		pthread_setspecific(exit_key, r);
	return r;
}

/* This frame's stack pointer: every section begun from the same depth of
 * a call chain records the same value. */
static inline __attribute__((always_inline)) uintptr_t stack_pointer(void)
{
	uintptr_t sp;
#if defined(__x86_64__)
	__asm__ __volatile__("mov %%rsp, %0" : "=r"(sp));
#elif defined(__aarch64__)
	__asm__ __volatile__("mov %0, sp" : "=r"(sp));
#else
	sp = (uintptr_t)__builtin_frame_address(0);
#endif
	return sp;
}

/*
 * The slot shows section v although this read_lock (at stack pointer sp)
 * may not run on top of it: is v over? A signal handler that interrupted
 * v runs deeper in the same stack (its signal frame lies below the
 * interrupted code), or on an alternate signal stack. A read_lock as deep
 * as v's or shallower, on the same stack, means v's frame is gone: its
 * thread left it with a longjmp and will never unlock it. Deeper, we
 * cannot tell: we nest, even in a section updaters took as left (R4).
 * Async-signal-safe; the system call only when not deeper.
 */
static __attribute__((noinline, cold)) int section_over(const struct reader *r, uint64_t v,
							   uintptr_t sp)
{
	if (r->sp_id != v)
		/* v's stack pointer is not recorded (a handler interrupted
		 * lock_new): only the updaters' word settles it. */
		return __atomic_load_n(&r->abandoned, __ATOMIC_RELAXED) == v;
	if (sp < r->sp)
		return 0;
	stack_t ss;
	if (sigaltstack(NULL, &ss) != 0)
		return 0;
	if (ss.ss_flags & SS_DISABLE)
		return 1;
	/* Frames on the alternate stack live only while we run on it. */
	int here_alt = (ss.ss_flags & SS_ONSTACK) != 0;
	int v_alt = r->sp - (uintptr_t)ss.ss_sp < ss.ss_size;
	return !here_alt || v_alt;
}

/* A new section in slot r, whose thread this is and which shows none
 * live, at stack pointer sp. */
static inline __attribute__((always_inline)) unsigned long lock_new(struct reader *r, uintptr_t sp)
{
	/* No section of this thread is live: a count that a longjmp out of
	 * a nested section left behind is stale. */
	rt_nowait_depth = 0;
	uint64_t id = r->gen + 1;
	r->gen = id;
	/* sp_id first: a handler that interrupts us before the ctr store
	 * finds sp_id != ctr and trusts no sp (section_over). */
	r->sp_id = id;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	r->sp = sp;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&r->ctr, id, __ATOMIC_RELAXED);
	if (__builtin_expect(__atomic_load_n(&need_fence, __ATOMIC_RELAXED), 0))
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	else
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return (unsigned long)r;
}

/* The slot shows section cur: nested in it, or a new one if it is over. */
static __attribute__((noinline, cold)) unsigned long lock_busy(struct reader *r, uint64_t cur,
							       uintptr_t sp)
{
	if (section_over(r, cur, sp))
		return lock_new(r, sp);
	/* A signal handler on top of a section: its writes never wait for
	 * space (blocking mode), whatever the outer one is doing. */
	rt_nowait_depth++;
	return TOKEN_NESTED;
}

/* The thread's first section. */
static __attribute__((noinline, cold)) unsigned long lock_first(uintptr_t sp)
{
	struct reader *r = claim_slot();
	if (!r) {
		__atomic_fetch_add(&overflow_readers, 1, __ATOMIC_SEQ_CST);
		rt_nowait_depth++; /* nesting unknown: never wait */
		return TOKEN_OVERFLOW;
	}
	uint64_t cur = __atomic_load_n(&r->ctr, __ATOMIC_RELAXED);
	return cur ? lock_busy(r, cur, sp) : lock_new(r, sp);
}

/* The rare cases out of line, so that the common one saves no register. */
unsigned long rseqtrace__read_lock(void)
{
	uintptr_t sp = stack_pointer();
	struct reader *r = me;
	if (__builtin_expect(!r, 0))
		return lock_first(sp);
	uint64_t cur = __atomic_load_n(&r->ctr, __ATOMIC_RELAXED);
	if (__builtin_expect(cur != 0, 0))
		return lock_busy(r, cur, sp);
	return lock_new(r, sp);
}

void rseqtrace__read_unlock(unsigned long token)
{
	if (token == TOKEN_NESTED) {
		rt_nowait_depth--;
		return;
	}
	if (token == TOKEN_OVERFLOW) {
		__atomic_fetch_sub(&overflow_readers, 1, __ATOMIC_RELEASE);
		rt_nowait_depth--;
		return;
	}
	__atomic_store_n(&((struct reader *)token)->ctr, 0, __ATOMIC_RELEASE);
}

static long membarrier(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, 0);
}

void rt_rcu_init(void)
{
	if (pthread_key_create(&exit_key, release_slot) == 0)
		exit_key_ok = 1;
	long mask = membarrier(MEMBARRIER_CMD_QUERY);
	if (mask > 0 && (mask & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
	    membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0) {
		mb_cmd = MEMBARRIER_CMD_PRIVATE_EXPEDITED;
		need_fence = 0;
	} else if (mask > 0 && (mask & MEMBARRIER_CMD_GLOBAL)) {
		mb_cmd = MEMBARRIER_CMD_GLOBAL;
		need_fence = 0;
	}
}

/*
 * A full barrier in every thread of the process without membarrier: this
 * thread runs on every CPU in turn. Whatever ran on a CPU when we got there
 * was switched out, and the scheduler's context switch is a full barrier;
 * what runs there afterwards was switched in after it. 0, or -1 if a CPU
 * our threads may run on could not be visited.
 */
static int sched_barrier(void)
{
	cpu_set_t saved, one;
	if (sched_getaffinity(0, sizeof saved, &saved) != 0)
		return -1;
	int r = 0;
	long n = sysconf(_SC_NPROCESSORS_CONF);
	for (int cpu = 0; cpu < n && cpu < CPU_SETSIZE; cpu++) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		/* EINVAL: offline, or outside our cpuset (no thread of ours there). */
		if (sched_setaffinity(0, sizeof one, &one) != 0 && errno != EINVAL)
			r = -1;
	}
	if (sched_setaffinity(0, sizeof saved, &saved) != 0)
		r = -1;
	return r;
}

/*
 * membarrier failed although it worked when readers stopped fencing (a
 * seccomp filter installed since, say): readers that began a section
 * without a fence may have their slot's store still buffered while they
 * already read the old pointer. From now on readers fence again; the
 * sections that began without a fence get a barrier from the scheduler.
 * Under gp_lock.
 */
static void membarrier_lost(int err)
{
	mb_cmd = -1;
	__atomic_store_n(&need_fence, 1, __ATOMIC_SEQ_CST);
	fprintf(stderr, "rseqtrace: membarrier failed (%s): probes fence from now on\n",
		strerror(err));
	if (sched_barrier() != 0) {
		/* Not even that (sched_setaffinity refused too): a store leaves
		 * its CPU's store buffer within microseconds, so after this
		 * pause every section that began before is visible to the scan,
		 * and every reader sees need_fence. */
		struct timespec ts = { 0, 10000000 };
		nanosleep(&ts, NULL);
	}
}

/* A full barrier in every thread of the process: membarrier, or our own
 * when readers fence themselves. Under gp_lock. */
static void barrier_all(void)
{
	if (mb_cmd >= 0) {
		if (membarrier(mb_cmd) == 0)
			return;
		membarrier_lost(errno);
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void pause_briefly(unsigned round)
{
	if (round < 16) {
		sched_yield();
		return;
	}
	struct timespec ts = { 0, round < 100 ? 50000 : 1000000 };
	nanosleep(&ts, NULL);
}

static int thread_gone(int32_t tid)
{
	return tid > 0 && syscall(SYS_tgkill, getpid(), tid, 0) != 0 && errno == ESRCH;
}

/* Stopped by a signal or a debugger ('T' or 't' in /proc): inside a probe
 * maybe, and it goes on from there when resumed. */
static int thread_stopped(int32_t tid)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	const char *p = strrchr(buf, ')'); /* after the name, which may hold ')' */
	return p && p[1] == ' ' && (p[2] == 'T' || p[2] == 't');
}

/* Waits until r leaves section v: 0; 1 if v is taken as left by a longjmp
 * (R4, now or by an earlier grace period); -1 at the deadline. */
static int wait_reader(struct reader *r, uint64_t v, uint64_t deadline, int *warned)
{
	uint64_t start = now_ms();
	for (unsigned round = 0; __atomic_load_n(&r->ctr, __ATOMIC_ACQUIRE) == v; round++) {
		if (__atomic_load_n(&r->abandoned, __ATOMIC_RELAXED) == v)
			return 1;
		uint64_t t = now_ms();
		if (t >= deadline)
			return -1;
		if (t - start < STALE_MS) {
			pause_briefly(round);
			continue;
		}
		if (thread_gone(r->tid)) {
			/* Its owner died inside a section: nobody will clear it. */
			__atomic_compare_exchange_n(&r->ctr, &v, 0, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
			break;
		}
		if (!thread_stopped(r->tid)) {
			__atomic_store_n(&r->abandoned, v, __ATOMIC_RELAXED);
			fprintf(stderr, "rseqtrace: thread %d has been inside a probe for %u ms: taken as "
				"gone from it (a longjmp out of a signal handler?); what it could still "
				"use is freed once it leaves the probe, traces again from as shallow a frame, "
				"or exits\n", r->tid, STALE_MS);
			return 1;
		}
		if (!*warned) {
			*warned = 1;
			fprintf(stderr, "rseqtrace: waiting for thread %d (stopped) to leave a probe\n",
				r->tid);
		}
		pause_briefly(round);
	}
	return 0;
}

/* Readers without a slot (out of memory) are only counted: one that left
 * with a longjmp can only be outwaited. 0, or -1 if some stayed. */
static int wait_overflow(uint64_t deadline)
{
	uint64_t start = now_ms();
	for (unsigned round = 0; __atomic_load_n(&overflow_readers, __ATOMIC_ACQUIRE); round++) {
		uint64_t t = now_ms();
		if (t >= deadline || t - start >= STALE_MS)
			return -1;
		pause_briefly(round);
	}
	return 0;
}

static void run_deferred(struct rt_rcu_head *h)
{
	while (h) {
		struct rt_rcu_head *next = h->next;
		h->fn(h);
		h = next;
	}
}

int rt_rcu_synchronize_timeout(unsigned timeout_ms)
{
	uint64_t deadline = timeout_ms ? now_ms() + timeout_ms : UINT64_MAX;
	int warned = 0, incomplete = 0;
	pthread_mutex_lock(&gp_lock);
	/* Retired before this grace period began: free once it completes. */
	struct rt_rcu_head *due = deferred;
	deferred = NULL;
	barrier_all();
	for (struct chunk *c = __atomic_load_n(&chunks, __ATOMIC_ACQUIRE); c; c = c->next) {
		for (int i = 0; i < CHUNK; i++) {
			uint64_t v = __atomic_load_n(&c->r[i].ctr, __ATOMIC_ACQUIRE);
			if (!v || &c->r[i] == me)
				continue;
			int w = wait_reader(&c->r[i], v, deadline, &warned);
			if (w < 0)
				goto out;
			incomplete |= w;
		}
	}
	incomplete |= wait_overflow(deadline) != 0;
	barrier_all();
	if (!incomplete) {
		pthread_mutex_unlock(&gp_lock);
		run_deferred(due);
		return 0;
	}
out:
	while (due) { /* for a later grace period */
		struct rt_rcu_head *h = due;
		due = h->next;
		h->next = deferred;
		deferred = h;
	}
	pthread_mutex_unlock(&gp_lock);
	return -1;
}

int rt_rcu_synchronize(void)
{
	return rt_rcu_synchronize_timeout(0);
}

void rt_rcu_defer(struct rt_rcu_head *h, void (*fn)(struct rt_rcu_head *))
{
	h->fn = fn;
	pthread_mutex_lock(&gp_lock);
	h->next = deferred;
	deferred = h;
	pthread_mutex_unlock(&gp_lock);
}

void rt_rcu_after_fork_child(void)
{
	pthread_mutex_init(&gp_lock, NULL);
	for (struct chunk *c = chunks; c; c = c->next) {
		for (int i = 0; i < CHUNK; i++) {
			struct reader *r = &c->r[i];
			if (r == me) {
				r->tid = (int32_t)syscall(SYS_gettid);
				continue;
			}
			r->ctr = 0;
			r->abandoned = 0;
			r->in_use = 0;
		}
	}
	overflow_readers = 0;
	/* The registration belongs to the parent's mm: register again. Only
	 * this thread runs now, so switching readers to fences is safe. */
	if (mb_cmd == MEMBARRIER_CMD_PRIVATE_EXPEDITED &&
	    membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0) {
		mb_cmd = -1;
		need_fence = 1;
	}
}
