/* SPDX-License-Identifier: MIT */
/*
 * The RCU of the call sites (tracepoints/rcu.c, built into this program).
 *
 * With membarrier() denied by a seccomp filter:
 *
 *   tp_rcu start SECONDS               denied before rt_rcu_init()
 *   tp_rcu after SECONDS               denied after rt_rcu_init() registered
 *                                      (grace periods then see it fail)
 *   tp_rcu after-noaffinity SECONDS    the same, with sched_setaffinity()
 *                                      denied too
 *
 * Readers take a read-side section, load a shared pointer and read the
 * object for a while; the updater publishes a new object, waits for a
 * grace period with rt_rcu_synchronize() and poisons the old one if it
 * completed (as the library's callers free only then: a reader kept out
 * of its CPU past STALE_MS on a loaded machine is taken as gone and the
 * grace period says so). A reader that finds poison is a use after free:
 * a complete grace period did not wait for it. Readers and the updater run on different CPUs so that their stores
 * and loads race for real.
 *
 *   tp_rcu abandoned
 *
 * A section kept past STALE_MS by a running thread is taken as left (R4)
 * and the grace period says it is incomplete; a read_lock deeper in that
 * same section (a probe calling into another) nests in it: after its
 * unlock no grace period completes while the outer section goes on, and
 * one does once it ends.
 *
 *   tp_rcu nesting
 *
 * A signal handler's read_lock on top of a section nests in it, whether
 * the handler runs on the thread's stack or on an alternate signal stack
 * above or below it; a section left with siglongjmp out of such a handler
 * is over for the thread's next read_lock from the same frame.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <rseqtrace/tracepoint.h>

#include "tests/common/seccomp_deny.h"
#include "tracepoints/rcu.h"

#define LIVE 0x11111111u
#define DEAD 0xdeadbeefu
#define POOL 4
#define READERS 2

struct obj {
	uint32_t magic;
} __attribute__((aligned(64)));

static struct obj pool[POOL];
/* Lines the updater dirties and readers store to just before they enter a
 * section: the readers' stores queue behind the misses, so the store that
 * marks a section busy becomes visible late, while the load that follows
 * it is served at once. That is exactly the reordering that membarrier (or
 * a fence) must cover; without it the window is a few nanoseconds wide. */
#define NOISE 48
static struct {
	uint64_t v;
} __attribute__((aligned(64))) noise[NOISE];
static struct obj *shared;
static int done;
static uint64_t sections[READERS], poisoned[READERS];

/* The tracepoint header (rcu.c's and ours) registers the object's call
 * sites with librseqtrace, which is not linked here: there are none. */
void rseqtrace__register_tracepoints(struct rseqtrace_tracepoint *const *start,
				     struct rseqtrace_tracepoint *const *stop)
{
	(void)start;
	(void)stop;
}

void rseqtrace__unregister_tracepoints(struct rseqtrace_tracepoint *const *start,
				       struct rseqtrace_tracepoint *const *stop)
{
	(void)start;
	(void)stop;
}

/* Denies each listed system call with EPERM, in every thread (TSYNC). */
static void deny(const long *nrs, int n)
{
	if (rt_deny_syscalls(nrs, n, EPERM, SECCOMP_FILTER_FLAG_TSYNC) != 0) {
		printf("FAIL: cannot install the seccomp filter: %s\n", strerror(errno));
		exit(1);
	}
}

static void pin(int cpu)
{
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	sched_setaffinity(0, sizeof one, &one);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *reader(void *arg)
{
	int i = (int)(intptr_t)arg;
	while (!__atomic_load_n(&done, __ATOMIC_RELAXED)) {
		for (int k = 0; k < NOISE; k++)
			__atomic_store_n(&noise[k].v, (uint64_t)k, __ATOMIC_RELAXED);
		unsigned long t = rseqtrace__read_lock();
		struct obj *p = __atomic_load_n(&shared, __ATOMIC_ACQUIRE);
		/* Stay a while: the updater's poisoning comes a few
		 * microseconds after its look at our slot. */
		for (int k = 0; k < 400; k++)
			if (__atomic_load_n(&p->magic, __ATOMIC_RELAXED) != LIVE) {
				poisoned[i]++;
				break;
			}
		rseqtrace__read_unlock(t);
		sections[i]++;
	}
	return NULL;
}

static int membarrier_race(const char *mode, double seconds)
{
	static const long mb[] = { __NR_membarrier };
	static const long mb_aff[] = { __NR_membarrier, __NR_sched_setaffinity };
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpu < 2) {
		printf("FAIL: needs 2 CPUs to race readers against the updater\n");
		return 1;
	}

	if (!strcmp(mode, "start"))
		deny(mb, 1);
	else if (strcmp(mode, "after") && strcmp(mode, "after-noaffinity"))
		return 2;
	rt_rcu_init();
	for (int i = 0; i < POOL; i++)
		pool[i].magic = LIVE;
	shared = &pool[0];

	pthread_t th[READERS];
	for (int i = 0; i < READERS; i++) {
		pthread_create(&th[i], NULL, reader, (void *)(intptr_t)i);
		/* Readers on CPU 1.., the updater on CPU 0. */
		cpu_set_t set;
		CPU_ZERO(&set);
		for (int c = 1; c < ncpu; c++)
			CPU_SET(c, &set);
		pthread_setaffinity_np(th[i], sizeof set, &set);
	}
	/* A first grace period with membarrier working (registered). */
	rt_rcu_synchronize();
	if (!strcmp(mode, "after"))
		deny(mb, 1);
	else if (!strcmp(mode, "after-noaffinity"))
		deny(mb_aff, 2);
	pin(0); /* denied in after-noaffinity: then the scheduler decides */
	errno = 0;
	long q = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	if (q != -1 || errno != EPERM) {
		printf("FAIL: membarrier is not denied (%ld, %s)\n", q, strerror(errno));
		return 1;
	}

	uint64_t grace_periods = 0, incomplete = 0;
	double t0 = now();
	for (unsigned next = 1; now() - t0 < seconds; next = (next + 1) % POOL) {
		struct obj *n = &pool[next];
		for (int k = 0; k < NOISE; k++)
			__atomic_store_n(&noise[k].v, (uint64_t)next, __ATOMIC_RELAXED);
		__atomic_store_n(&n->magic, LIVE, __ATOMIC_RELAXED);
		struct obj *old = __atomic_exchange_n(&shared, n, __ATOMIC_SEQ_CST);
		if (rt_rcu_synchronize() == 0)
			__atomic_store_n(&old->magic, DEAD, __ATOMIC_RELAXED);
		else
			incomplete++; /* kept, as the library keeps what it retired */
		grace_periods++;
	}
	__atomic_store_n(&done, 1, __ATOMIC_RELAXED);
	uint64_t secs = 0, bad = 0;
	for (int i = 0; i < READERS; i++) {
		pthread_join(th[i], NULL);
		secs += sections[i];
		bad += poisoned[i];
	}
	printf("%s: %llu grace periods (%llu incomplete), %llu read-side sections, %llu saw a "
	       "freed object\n", mode, (unsigned long long)grace_periods,
	       (unsigned long long)incomplete, (unsigned long long)secs, (unsigned long long)bad);
	int ok = bad == 0 && grace_periods > 100 && secs > 100;
	printf("%s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}

/* ---- nesting ---------------------------------------------------------------- */

static int failures;
static volatile unsigned long inner;
static volatile int jump_back;
static sigjmp_buf jb;

#define EXPECT(cond, ...)                                                   \
	do {                                                                \
		if (!(cond)) {                                              \
			printf("FAIL: ");                                   \
			printf(__VA_ARGS__);                                \
			printf("\n");                                       \
			failures++;                                         \
		}                                                           \
	} while (0)

static void on_usr1(int sig)
{
	(void)sig;
	inner = rseqtrace__read_lock();
	rseqtrace__read_unlock(inner);
	if (jump_back)
		siglongjmp(jb, 1);
}

struct stacks {
	const char *where;
	char *thread_stack, *alt_stack; /* alt_stack NULL: the thread's own */
	size_t size;
};

static void *nesting_cases(void *arg)
{
	const struct stacks *st = arg;
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigemptyset(&sa.sa_mask);
	if (st->alt_stack) {
		stack_t ss = { .ss_sp = st->alt_stack, .ss_size = st->size };
		sigaltstack(&ss, NULL);
		sa.sa_flags = SA_ONSTACK;
	}
	sigaction(SIGUSR1, &sa, NULL);

	/* A handler on top of a section nests in it. */
	unsigned long outer = rseqtrace__read_lock();
	inner = 99;
	raise(SIGUSR1);
	rseqtrace__read_unlock(outer);
	EXPECT(outer != 0 && inner == 0, "%s: a handler on top of a section took a section of its "
	       "own (token %lu), so a grace period could end under the outer one", st->where, inner);

	/* Left with siglongjmp from the handler: the next read_lock from the
	 * same frame finds the section over and starts a new one. */
	volatile unsigned long left = 0;
	jump_back = 1;
	if (sigsetjmp(jb, 1) == 0) {
		left = rseqtrace__read_lock();
		raise(SIGUSR1); /* jumps back to sigsetjmp */
	}
	jump_back = 0;
	unsigned long again = rseqtrace__read_lock();
	rseqtrace__read_unlock(again);
	EXPECT(left != 0 && again != 0, "%s: after a siglongjmp out of a section, the next "
	       "read_lock from the same frame still nests in it", st->where);
	inner = 0;
	raise(SIGUSR1);
	EXPECT(inner != 0, "%s: the section left with siglongjmp still shows in the slot",
	       st->where);

	if (st->alt_stack) {
		stack_t off = { .ss_flags = SS_DISABLE };
		sigaltstack(&off, NULL);
	}
	return NULL;
}

static void run_in_thread(struct stacks *st)
{
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setstack(&a, st->thread_stack, st->size);
	pthread_t t;
	if (pthread_create(&t, &a, nesting_cases, st) != 0) {
		printf("FAIL: pthread_create\n");
		exit(1);
	}
	pthread_join(t, NULL);
	pthread_attr_destroy(&a);
}

static int nesting(void)
{
	rt_rcu_init();
	size_t size = 1 << 20;
	char *m = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		printf("FAIL: mmap\n");
		return 1;
	}
	struct stacks cases[] = {
		{ "thread stack", m, NULL, size },
		{ "alternate stack above", m, m + size, size },
		{ "alternate stack below", m + size, m, size },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		run_in_thread(&cases[i]);
	printf("%s\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}

/* ---- abandoned ------------------------------------------------------------- */

static int phase; /* 1: in the outer section; 2: nested done; 3: left it */

static void wait_phase(int want)
{
	while (__atomic_load_n(&phase, __ATOMIC_ACQUIRE) != want)
		sched_yield();
}

static __attribute__((noinline)) void deeper_probe(void)
{
	volatile char frame[256]; /* deeper than the outer section's frame */
	frame[0] = 1;
	rseqtrace__read_unlock(rseqtrace__read_lock());
	(void)frame[0];
}

static void *long_section(void *arg)
{
	(void)arg;
	unsigned long t = rseqtrace__read_lock();
	__atomic_store_n(&phase, 1, __ATOMIC_RELEASE);
	/* Running, not stopped, past STALE_MS: the updater gives up on us. */
	double t0 = now();
	while (now() - t0 < 1.6)
		;
	deeper_probe();
	__atomic_store_n(&phase, 2, __ATOMIC_RELEASE);
	wait_phase(10);
	rseqtrace__read_unlock(t);
	__atomic_store_n(&phase, 3, __ATOMIC_RELEASE);
	return NULL;
}

static int abandoned(void)
{
	rt_rcu_init();
	pthread_t th;
	pthread_create(&th, NULL, long_section, NULL);
	wait_phase(1);
	int first = rt_rcu_synchronize(); /* gives up after STALE_MS */
	wait_phase(2);
	int during = rt_rcu_synchronize();
	__atomic_store_n(&phase, 10, __ATOMIC_RELEASE);
	wait_phase(3);
	int after = rt_rcu_synchronize();
	pthread_join(th, NULL);
	printf("grace periods: %d while the section ran past STALE_MS, %d after a deeper "
	       "read_lock in it, %d once it ended (0: complete)\n", first, during, after);
	int ok = first != 0 && during != 0 && after == 0;
	printf("%s\n", ok ? "PASS" : "FAIL: a grace period completed while a section ran, or "
			     "none after it ended");
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "nesting"))
		return nesting();
	if (argc == 2 && !strcmp(argv[1], "abandoned"))
		return abandoned();
	if (argc == 3)
		return membarrier_race(argv[1], atof(argv[2]));
	return 2;
}
