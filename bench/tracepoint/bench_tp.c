/* SPDX-License-Identifier: MIT */
/*
 * Tracepoint cost, in one run: an empty loop against a disabled call site,
 * then enabled events (int + string, four integers; the shapes measured for
 * LTTng-UST in docs/design.md §14) in rseq mode and in locked mode, with ratios.
 *
 * One thread pinned to CPU 0 writes N events per run into 4 x 4 MiB
 * buffers, which hold them all: nothing is dropped (checked) and, by
 * default, the drain thread does its work at stop, so what is timed is the
 * writer alone (pass DRAIN_PERIOD_MS to let it run during the loop; on a
 * 2-vCPU VM its 4 MiB copies on the sibling CPU add noise, not cost). Each
 * figure is the median of REPS runs, configurations interleaved.
 *
 * usage: bench_tp [N] [REPS] [OUTPUT_DIR] [DRAIN_PERIOD_MS]
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rseqtrace/session.h>

#include "bench/overhead/overhead_tp.h" /* bench/overhead: the same events, also built for LTTng-UST */

static long n_events = 300000;
static int reps = 7;
static const char *outdir = "/tmp/rseqtrace-bench";
static uint64_t total_drops;
static unsigned drain_ms = 600000; /* drain at stop: measure the writer alone */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp);
	return v[n / 2];
}

static double minimum(const double *v, int n)
{
	double m = v[0];
	for (int i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

enum loop { EMPTY, DISABLED, CLOCK, INT_STR, FOUR_INTS };

static double __attribute__((noinline)) run_loop(enum loop what, long n)
{
	uint64_t t0 = now_ns();
	switch (what) {
	case EMPTY:
		for (long i = 0; i < n; i++)
			__asm__ volatile("" ::: "memory");
		break;
	case DISABLED:
		for (long i = 0; i < n; i++) {
			__asm__ volatile("" ::: "memory");
			rseqtrace(bench, int_str, (int)i, "hello");
		}
		break;
	case CLOCK:
		for (long i = 0; i < n; i++) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			__asm__ volatile("" : : "r"(ts.tv_nsec) : "memory");
		}
		break;
	case INT_STR:
		for (long i = 0; i < n; i++)
			rseqtrace(bench, int_str, (int)i, "hello");
		break;
	case FOUR_INTS:
		for (long i = 0; i < n; i++)
			rseqtrace(bench, four_ints, (uint64_t)i, (uint64_t)i * 3, 7, (int32_t)-i);
		break;
	}
	return (double)(now_ns() - t0) / (double)n;
}

static double measure_plain(enum loop what, long n)
{
	double v[64];
	for (int r = 0; r < reps; r++)
		v[r] = run_loop(what, n);
	return median(v, reps);
}

struct traced {
	enum loop what;
	enum rseqtrace_buffer_mode mode;
	enum rseqtrace_clock clock;
	double runs[64];
	int used_mode;
};

/* One run in a session of its own (buffers start empty, allocated up
 * front), after the drain thread has settled into its idle back-off. */
static double traced_run(struct traced *t)
{
	struct rseqtrace_session_config cfg = {
		.output = outdir, .events = "bench:*", .loglevel = -1,
		.subbuf_size = 4u << 20, .num_subbuf = 4, .mode = t->mode, .clock = t->clock,
		.drain_period_ms = drain_ms,
	};
	if (rseqtrace_session_start(&cfg) != 0) {
		fprintf(stderr, "session: %s\n", rseqtrace_session_error());
		exit(1);
	}
	struct timespec settle = { 0, 30000000 };
	nanosleep(&settle, NULL);
	run_loop(t->what, 1000); /* first touch of the thread's contexts */
	double ns = run_loop(t->what, n_events);
	struct rseqtrace_session_stats st;
	rseqtrace_session_stop();
	rseqtrace_session_stats(&st);
	total_drops += st.discarded + st.unreported;
	if (st.events != (uint64_t)n_events + 1000)
		fprintf(stderr, "warning: %llu events recorded of %ld\n",
			(unsigned long long)st.events, n_events + 1000);
	t->used_mode = st.mode;
	return ns;
}

/* Runs every configuration once per round, so drift hits all alike. */
static void measure_traced(struct traced *t, int n)
{
	for (int r = 0; r < reps; r++)
		for (int i = 0; i < n; i++)
			t[i].runs[r] = traced_run(&t[i]);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		n_events = atol(argv[1]);
	if (argc > 2)
		reps = atoi(argv[2]) > 0 && atoi(argv[2]) < 64 ? atoi(argv[2]) : 7;
	if (argc > 3)
		outdir = argv[3];
	if (argc > 4)
		drain_ms = (unsigned)atoi(argv[4]);
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	sched_setaffinity(0, sizeof one, &one);

	long loops = 200000000;
	double empty = measure_plain(EMPTY, loops);
	double disabled = measure_plain(DISABLED, loops);
	double clk = measure_plain(CLOCK, 2000000);
	struct traced t[] = {
		{ .what = INT_STR, .mode = RSEQTRACE_MODE_RSEQ, .clock = RSEQTRACE_CLOCK_MONOTONIC },
		{ .what = INT_STR, .mode = RSEQTRACE_MODE_LOCKED, .clock = RSEQTRACE_CLOCK_MONOTONIC },
		{ .what = FOUR_INTS, .mode = RSEQTRACE_MODE_RSEQ, .clock = RSEQTRACE_CLOCK_MONOTONIC },
		{ .what = FOUR_INTS, .mode = RSEQTRACE_MODE_LOCKED, .clock = RSEQTRACE_CLOCK_MONOTONIC },
		{ .what = INT_STR, .mode = RSEQTRACE_MODE_RSEQ, .clock = RSEQTRACE_CLOCK_TSC },
		{ .what = FOUR_INTS, .mode = RSEQTRACE_MODE_RSEQ, .clock = RSEQTRACE_CLOCK_TSC },
	};
	measure_traced(t, 6);
	double is_rseq = median(t[0].runs, reps), is_lock = median(t[1].runs, reps);
	double fi_rseq = median(t[2].runs, reps), fi_lock = median(t[3].runs, reps);
	double is_tsc = median(t[4].runs, reps), fi_tsc = median(t[5].runs, reps);
	int m_rseq = t[0].used_mode, m_locked = t[1].used_mode;

	printf("bench/tracepoint: 1 thread on CPU 0, median of %d runs; enabled runs write %ld events\n"
	       "into 4 x 4 MiB per-CPU buffers (in-process session, drain period %u ms).\n\n", reps,
	       n_events, drain_ms);
	double mn[6];
	for (int i = 0; i < 6; i++)
		mn[i] = minimum(t[i].runs, reps);
	printf("%-44s %8s %8s\n", "", "median", "min");
	printf("%-44s %8.3f\n", "empty loop", empty);
	printf("%-44s %8.3f           %+.3f ns vs the empty loop (x%.2f)\n",
	       "disabled tracepoint (int+string)", disabled, disabled - empty, disabled / empty);
	printf("%-44s %8.2f\n", "clock_gettime(CLOCK_MONOTONIC)", clk);
	printf("%-44s %8.2f %8.2f  clock + %.1f ns\n", "enabled int+string, rseq, monotonic",
	       is_rseq, mn[0], is_rseq - clk);
	printf("%-44s %8.2f %8.2f  x%.2f the rseq median\n", "enabled int+string, locked, monotonic",
	       is_lock, mn[1], is_lock / is_rseq);
	printf("%-44s %8.2f %8.2f  clock + %.1f ns\n", "enabled four ints, rseq, monotonic",
	       fi_rseq, mn[2], fi_rseq - clk);
	printf("%-44s %8.2f %8.2f  x%.2f the rseq median\n", "enabled four ints, locked, monotonic",
	       fi_lock, mn[3], fi_lock / fi_rseq);
	printf("%-44s %8.2f %8.2f\n", "enabled int+string, rseq, tsc clock", is_tsc, mn[4]);
	printf("%-44s %8.2f %8.2f\n", "enabled four ints, rseq, tsc clock", fi_tsc, mn[5]);
	printf("\nLTTng-UST 2.13.5 on this machine kind (docs/design.md §14, not measured here): int+string ~105 ns,\n"
	       "four ints ~117-125 ns, disabled 0.34 ns -> rseqtrace int+string x%.1f, four ints x%.1f faster.\n",
	       105.0 / is_rseq, 121.0 / fi_rseq);
	printf("modes used: rseq runs %s, locked runs %s; events dropped in all runs: %llu\n",
	       m_rseq == RSEQTRACE_MODE_RSEQ ? "rseq" : "NOT rseq (rseq unavailable)",
	       m_locked == RSEQTRACE_MODE_LOCKED ? "locked" : "?", (unsigned long long)total_drops);
	return 0;
}
