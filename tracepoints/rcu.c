/* SPDX-License-Identifier: MIT */
/*
 * RCU for call sites: see rcu.h for the scheme and why it is safe.
 *
 * Invariants:
 *   R1  A reader slot's `ctr` is stored only by the thread that owns the
 *       slot (and by fork/exit cleanup when that thread no longer exists).
 *   R2  ctr != 0 exactly while the owner is inside an outermost read-side
 *       section; each outermost section of a thread gets a new id (ids can
 *       repeat only when a signal handler interleaves with an outer lock,
 *       which makes an updater wait longer, never shorter).
 *   R3  Slots are never freed: a slot seen by an updater stays readable.
 */
#define _GNU_SOURCE
#include <errno.h>
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
	uint64_t ctr;    /* R1, R2 */
	uint64_t gen;    /* owner-private: last section id */
	uint32_t in_use; /* claimed by a live thread (CAS 0 -> 1) */
	int32_t tid;
} __attribute__((aligned(64)));

#define CHUNK 64
struct chunk {
	struct chunk *next;
	struct reader r[CHUNK];
};

static struct chunk first_chunk;
static struct chunk *chunks = &first_chunk; /* pushed with CAS, never popped (R3) */
static uint64_t overflow_readers;           /* readers that found no slot (out of memory) */
static int need_fence = 1;                  /* until membarrier is known to work */
static int mb_cmd = -1;
static pthread_mutex_t gp_lock = PTHREAD_MUTEX_INITIALIZER;
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

unsigned long rseqtrace__read_lock(void)
{
	struct reader *r = me;
	if (__builtin_expect(!r, 0)) {
		r = claim_slot();
		if (!r) {
			__atomic_fetch_add(&overflow_readers, 1, __ATOMIC_SEQ_CST);
			rt_nowait_depth++; /* nesting unknown: never wait */
			return TOKEN_OVERFLOW;
		}
	}
	if (__atomic_load_n(&r->ctr, __ATOMIC_RELAXED)) {
		/* A signal handler on top of a section: its writes never
		 * wait for space (blocking mode), whatever the outer one
		 * is doing. */
		rt_nowait_depth++;
		return TOKEN_NESTED;
	}
	uint64_t id = r->gen + 1;
	r->gen = id;
	__atomic_store_n(&r->ctr, id, __ATOMIC_RELAXED);
	if (__builtin_expect(need_fence, 0))
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	else
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
	return (unsigned long)r;
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

/* A full barrier in every thread of the process (or our own, when readers
 * fence themselves). */
static void barrier_all(void)
{
	if (mb_cmd < 0 || membarrier(mb_cmd) != 0)
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

/* Waits until r leaves the section it was in (id v). 0, or -1 on timeout. */
static int wait_reader(struct reader *r, uint64_t v, uint64_t deadline, int *warned)
{
	uint64_t start = now_ms();
	for (unsigned round = 0; __atomic_load_n(&r->ctr, __ATOMIC_ACQUIRE) == v; round++) {
		uint64_t t = now_ms();
		if (t >= deadline)
			return -1;
		if (t - start > 1000 && thread_gone(r->tid)) {
			/* Its owner died inside a section (longjmp out of a
			 * handler, or killed): nobody will clear it. */
			__atomic_compare_exchange_n(&r->ctr, &v, 0, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
			break;
		}
		if (t - start > 2000 && !*warned) {
			*warned = 1;
			fprintf(stderr, "rseqtrace: waiting for thread %d to leave a probe\n", r->tid);
		}
		pause_briefly(round);
	}
	return 0;
}

int rt_rcu_synchronize_timeout(unsigned timeout_ms)
{
	uint64_t deadline = timeout_ms ? now_ms() + timeout_ms : UINT64_MAX;
	int warned = 0, r = 0;
	pthread_mutex_lock(&gp_lock);
	barrier_all();
	for (struct chunk *c = __atomic_load_n(&chunks, __ATOMIC_ACQUIRE); c && !r; c = c->next) {
		for (int i = 0; i < CHUNK && !r; i++) {
			uint64_t v = __atomic_load_n(&c->r[i].ctr, __ATOMIC_ACQUIRE);
			if (v && &c->r[i] != me)
				r = wait_reader(&c->r[i], v, deadline, &warned);
		}
	}
	for (unsigned round = 0; !r && __atomic_load_n(&overflow_readers, __ATOMIC_ACQUIRE); round++) {
		if (now_ms() >= deadline)
			r = -1;
		pause_briefly(round);
	}
	barrier_all();
	pthread_mutex_unlock(&gp_lock);
	return r;
}

void rt_rcu_synchronize(void)
{
	rt_rcu_synchronize_timeout(0);
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
