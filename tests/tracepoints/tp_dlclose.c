/* SPDX-License-Identifier: MIT */
/*
 * Three threads trace dlprov:hit from the program's call sites without a
 * pause while the main thread loads and unloads the library that holds the
 * probes, and a self-contained instrumented library, ROUNDS times. After
 * each unload: the call site is disabled, the registry lists no event of
 * the library, and the library is gone from the address space.
 *
 * usage: tp_dlclose DIR PROBES_SO SELF_SO ROUNDS
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rseqtrace/session.h>

#include "dl_tp.h"

#define THREADS 3

static int stop;
static uint64_t attempts[THREADS];
static uint32_t tids[THREADS];

static void *tracer(void *arg)
{
	int i = (int)(intptr_t)arg;
	tids[i] = (uint32_t)gettid();
	uint64_t seq = 0;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		rseqtrace(dlprov, hit, tids[i], seq);
		seq++;
		if (seq % 8 == 0) {
			struct timespec ts = { 0, 20000 };
			nanosleep(&ts, NULL);
		}
	}
	attempts[i] = seq;
	return NULL;
}

static void sleep_us(long us)
{
	struct timespec ts = { 0, us * 1000 };
	nanosleep(&ts, NULL);
}

static int registered;
static void count_ours(void *arg, const char *name, int level, int enabled)
{
	(void)arg;
	(void)level;
	(void)enabled;
	if (strncmp(name, "dlprov:", 7) == 0 || strncmp(name, "dlself:", 7) == 0)
		registered++;
}

static int mapped(const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	int found = 0;
	while (f && fgets(line, sizeof line, f))
		found |= strstr(line, base) != NULL;
	if (f)
		fclose(f);
	return found;
}

static int die(const char *what, int round)
{
	fprintf(stderr, "round %d: %s\n", round, what);
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc != 5)
		return 2;
	struct rseqtrace_session_config cfg = {
		.output = argv[1], .events = "dl*", .loglevel = -1, .contexts = RSEQTRACE_CTX_VTID,
		.subbuf_size = 256 << 10, .num_subbuf = 8, .drain_period_ms = 5,
	};
	if (rseqtrace_session_start(&cfg) != 0)
		die(rseqtrace_session_error(), -1);
	int rounds = atoi(argv[4]);
	uint64_t self_expected = 0;
	pthread_t th[THREADS];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, tracer, (void *)(intptr_t)i);

	for (int r = 0; r < rounds; r++) {
		if (rseqtrace_enabled(dlprov, hit))
			die("enabled before the probes are loaded", r);
		void *h = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
		if (!h)
			die(dlerror(), r);
		if (!rseqtrace_enabled(dlprov, hit))
			die("not enabled once the probes are loaded", r);
		sleep_us(1000 + r % 7 * 300);

		void *s = dlopen(argv[3], RTLD_NOW | RTLD_LOCAL);
		if (!s)
			die(dlerror(), r);
		int (*work)(int) = (int (*)(int))dlsym(s, "dlself_work");
		if (!work || work(10) != 1)
			die("dlself_work missing or its event not enabled", r);
		self_expected += 10;
		dlclose(s);

		dlclose(h); /* while the threads keep tracing dlprov:hit */
		if (rseqtrace_enabled(dlprov, hit))
			die("still enabled after dlclose", r);
		registered = 0;
		rseqtrace_list_events(count_ours, NULL);
		if (registered)
			die("the registry still lists an event of an unloaded library", r);
		if (mapped(argv[2]) || mapped(argv[3]))
			die("a library is still mapped after dlclose", r);
		sleep_us(300);
	}
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	int r = rseqtrace_session_stop();
	struct rseqtrace_session_stats st;
	rseqtrace_session_stats(&st);
	for (int i = 0; i < THREADS; i++)
		printf("thread=%u:%llu ", tids[i], (unsigned long long)attempts[i]);
	printf("\nself=%llu events=%llu discarded=%llu stop=%d\n", (unsigned long long)self_expected,
	       (unsigned long long)st.events, (unsigned long long)st.discarded, r);
	return 0;
}
