/* SPDX-License-Identifier: MIT */
/*
 * One benchmark program, built twice from the same source and provider
 * header: overhead (rseqtrace) and overhead-lttng (LTTng-UST). The tracing
 * session is set up outside (bench/overhead/overhead.py); this program only
 * emits and measures.
 *
 *   overhead loop     EVENT N THREADS   the loop without a tracepoint
 *   overhead disabled EVENT N THREADS   tracepoints compiled in, not enabled
 *   overhead enabled  EVENT N THREADS   every event enabled (exit 3 if not)
 *   overhead sustain  EVENT MS THREADS [RATE]  emit for MS milliseconds, flat out or
 *                                       at RATE events/s per thread (sleeping when ahead)
 *   overhead hold     EVENT N THREADS   THREADS threads emit N events each at once, then
 *                                       "ready" is printed and the process waits for EOF
 *                                       on stdin (the memory table)
 *   overhead clock    EVENT N THREADS   clock_gettime(CLOCK_MONOTONIC) in the loop, no tracepoint
 *   overhead tsc      EVENT N THREADS   rdtsc in the loop, no tracepoint
 *
 * EVENT is str (bench:int_str, an int and "hello") or ints (bench:four_ints),
 * the shapes of the LTTng-UST baseline (docs/design.md §14). N is per thread.
 * Threads start together (barrier) and are not pinned.
 *
 * Prints one line of key=value. cpu_ns_per_event (the figure the harness
 * reports) is the threads' CPU time (CLOCK_THREAD_CPUTIME_ID) over the events
 * they emitted, so it stays the cost of an event with more threads than
 * CPUs; wall_ns_per_event_per_thread is each thread's wall time per event
 * (LTTng's baseline figure), averaged over threads. With an in-process
 * rseqtrace session (RSEQTRACE_INPROC) the session is stopped at the end
 * and its counts printed (inproc_*).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* OVERHEAD_UST (bench-overhead-ust): the same events from an LTTng-UST-style
 * provider and call sites, through rseqtrace's LTTng-UST compatibility headers. */
#ifdef OVERHEAD_UST
#include "overhead_ust_tp.h"
#define EMIT tracepoint
#else
#include "overhead_tp.h"
#define EMIT rseqtrace
#endif

#ifdef RSEQTRACE_BACKEND_LTTNG
#define BACKEND "lttng-ust"
#else
#include <rseqtrace/session.h>
#define BACKEND "rseqtrace"
#endif

#define MAX_THREADS 64

enum mode { LOOP, DISABLED, ENABLED, SUSTAIN, HOLD, CLOCK, TSC };
enum event { INT_STR, FOUR_INTS };

struct thread_result {
	uint64_t emitted;
	uint64_t cpu_ns;
	uint64_t wall_ns;
};

static enum mode mode;
static enum event event;
static long amount; /* events per thread, or milliseconds for sustain */
static double rate;  /* sustain: events/s per thread, 0 = flat out */
static int nr_threads;
static pthread_barrier_t start_line;
static atomic_int stop_flag;
static struct thread_result results[MAX_THREADS];

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void __attribute__((noinline)) loop_only(long n)
{
	for (long i = 0; i < n; i++)
		__asm__ volatile("" : : "r"(i) : "memory");
}

/* The floor under an enabled event: its timestamp. */
static void __attribute__((noinline)) clock_only(long n)
{
	for (long i = 0; i < n; i++) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		__asm__ volatile("" : : "r"(ts.tv_nsec) : "memory");
	}
}

static void __attribute__((noinline)) tsc_only(long n)
{
	for (long i = 0; i < n; i++) {
#if defined(__x86_64__)
		uint32_t lo, hi;
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		__asm__ volatile("" : : "r"(lo), "r"(hi) : "memory");
#elif defined(__aarch64__)
		uint64_t v;
		__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v) : : "memory");
		__asm__ volatile("" : : "r"(v) : "memory");
#else
		__asm__ volatile("" : : "r"(i) : "memory");
#endif
	}
}

static void __attribute__((noinline)) emit_n(long n, uint32_t id)
{
	if (event == INT_STR)
		for (long i = 0; i < n; i++)
			EMIT(bench, int_str, (int)i, "hello");
	else
		for (long i = 0; i < n; i++)
			EMIT(bench, four_ints, (uint64_t)i, (uint64_t)i * 3, id, (int32_t)-i);
}

/* Paced: sleeps while more than 20 us ahead of rate since t0. */
static void keep_pace(uint64_t n, uint64_t t0)
{
	uint64_t due = t0 + (uint64_t)((double)n * 1e9 / rate);
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	if (due > now + 20000) {
		struct timespec d = { (time_t)((due - now) / 1000000000u), (long)((due - now) % 1000000000u) };
		nanosleep(&d, NULL);
	}
}

/* Emits in batches of 64 until told to stop: returns how many. */
static uint64_t __attribute__((noinline)) emit_until_stopped(uint32_t id)
{
	uint64_t n = 0, t0 = clock_ns(CLOCK_MONOTONIC);
	while (!atomic_load_explicit(&stop_flag, memory_order_relaxed)) {
		emit_n(64, id);
		n += 64;
		if (rate > 0)
			keep_pace(n, t0);
	}
	return n;
}

static void *worker(void *arg)
{
	uint32_t id = (uint32_t)(uintptr_t)arg;
	struct thread_result *r = &results[id];
	pthread_barrier_wait(&start_line);
	uint64_t w0 = clock_ns(CLOCK_MONOTONIC), c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	if (mode == LOOP || mode == CLOCK || mode == TSC) {
		if (mode == LOOP)
			loop_only(amount);
		else if (mode == CLOCK)
			clock_only(amount);
		else
			tsc_only(amount);
		r->emitted = (uint64_t)amount;
	} else if (mode == SUSTAIN) {
		r->emitted = emit_until_stopped(id);
	} else {
		emit_n(amount, id);
		r->emitted = (uint64_t)amount;
	}
	r->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	r->wall_ns = clock_ns(CLOCK_MONOTONIC) - w0;
	return NULL;
}

static int event_enabled(void)
{
	return event == INT_STR ? rseqtrace_enabled(bench, int_str) : rseqtrace_enabled(bench, four_ints);
}

static int parse_args(int argc, char **argv)
{
	static const char *const modes[] = { "loop", "disabled", "enabled", "sustain", "hold", "clock", "tsc" };
	if (argc != 5 && argc != 6)
		return -1;
	int m = -1;
	for (int i = 0; i < (int)(sizeof modes / sizeof modes[0]); i++)
		if (strcmp(argv[1], modes[i]) == 0)
			m = i;
	if (m < 0)
		return -1;
	mode = (enum mode)m;
	if (strcmp(argv[2], "str") == 0)
		event = INT_STR;
	else if (strcmp(argv[2], "ints") == 0)
		event = FOUR_INTS;
	else
		return -1;
	amount = atol(argv[3]);
	nr_threads = atoi(argv[4]);
	if (amount <= 0 || nr_threads < 1 || nr_threads > MAX_THREADS)
		return -1;
	if (argc == 6) {
		rate = atof(argv[5]);
		if (mode != SUSTAIN || !(rate > 0))
			return -1;
	}
	return 0;
}

/* Emits, says so, and keeps the process (and its buffers) alive until stdin closes. */
static void *hold_worker(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&start_line);
	emit_n(amount, 0);
	return NULL;
}

/* The threads run together, so that each may get a buffer of its own
 * (per-CPU, or per mm_cid), as a process's threads do. */
static int hold(void)
{
	pthread_t th[MAX_THREADS];
	pthread_barrier_init(&start_line, NULL, (unsigned)nr_threads);
	for (int i = 1; i < nr_threads; i++)
		if (pthread_create(&th[i], NULL, hold_worker, NULL) != 0) {
			perror("pthread_create");
			return 1;
		}
	hold_worker(NULL);
	for (int i = 1; i < nr_threads; i++)
		pthread_join(th[i], NULL);
	printf("ready pid=%d\n", (int)getpid());
	fflush(stdout);
	char c;
	while (read(0, &c, 1) > 0)
		;
	return 0;
}

static void print_inproc_stats(void)
{
#ifndef RSEQTRACE_BACKEND_LTTNG
	if (!rseqtrace_session_path())
		return;
	int rc = rseqtrace_session_stop();
	struct rseqtrace_session_stats st;
	if (rseqtrace_session_stats(&st) != 0)
		return;
	printf(" inproc_stop=%d inproc_events=%llu inproc_discarded=%llu inproc_unreported=%llu inproc_mode=%s",
	       rc, (unsigned long long)st.events, (unsigned long long)st.discarded,
	       (unsigned long long)st.unreported,
	       st.mode == RSEQTRACE_MODE_RSEQ ? "rseq" : st.mode == RSEQTRACE_MODE_LOCKED ? "locked" : "?");
#endif
}

int main(int argc, char **argv)
{
	if (parse_args(argc, argv) != 0) {
		fprintf(stderr, "usage: %s loop|disabled|enabled|sustain|hold|clock|tsc str|ints N THREADS [RATE]\n", argv[0]);
		return 2;
	}
	int enabled = event_enabled();
	if ((mode == ENABLED || mode == SUSTAIN || mode == HOLD) && !enabled) {
		fprintf(stderr, "overhead (%s): the event is not enabled at start\n", BACKEND);
		return 3;
	}
	if (mode == DISABLED && enabled) {
		fprintf(stderr, "overhead (%s): the event is enabled in a disabled run\n", BACKEND);
		return 3;
	}
	if (mode == HOLD)
		return hold();

	pthread_barrier_init(&start_line, NULL, (unsigned)nr_threads + 1);
	pthread_t th[MAX_THREADS];
	for (int i = 0; i < nr_threads; i++)
		if (pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i) != 0) {
			perror("pthread_create");
			return 1;
		}
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	pthread_barrier_wait(&start_line);
	if (mode == SUSTAIN) {
		struct timespec d = { amount / 1000, (amount % 1000) * 1000000 };
		while (nanosleep(&d, &d) != 0)
			;
		atomic_store(&stop_flag, 1);
	}
	for (int i = 0; i < nr_threads; i++)
		pthread_join(th[i], NULL);
	uint64_t elapsed = clock_ns(CLOCK_MONOTONIC) - t0;

	uint64_t emitted = 0, cpu = 0;
	double per_thread = 0;
	for (int i = 0; i < nr_threads; i++) {
		emitted += results[i].emitted;
		cpu += results[i].cpu_ns;
		per_thread += (double)results[i].wall_ns / (double)results[i].emitted;
	}
	printf("backend=%s mode=%s event=%s threads=%d emitted=%llu elapsed_ns=%llu cpu_ns_per_event=%.3f "
	       "wall_ns_per_event_per_thread=%.3f wall_ns_per_event=%.3f enabled=%d",
	       BACKEND, argv[1], argv[2], nr_threads, (unsigned long long)emitted,
	       (unsigned long long)elapsed, (double)cpu / (double)emitted, per_thread / nr_threads,
	       (double)elapsed / (double)emitted, enabled);
	print_inproc_stats();
	printf("\n");
	return 0;
}
