/* SPDX-License-Identifier: MIT */
/*
 * The oracle workload: T threads emit stress:ev (tid, seq, 0); some hop
 * between CPUs; a sender thread interrupts them with SIGUSR1, whose handler
 * emits stress:ev (tid, seq, 1) on top of whatever the thread was tracing;
 * every `big`-th event is a payload too large for the stack and must be
 * dropped and counted. Prints what was emitted and the session's figures.
 *
 * usage: tp_stress DIR MODE THREADS PER_THREAD SUBBUF NUM_SUBBUF DRAIN_MS
 *                  HOP SIGNALS BIG_EVERY PAUSE_EVERY
 *   MODE: auto | rseq | locked
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rseqtrace/session.h>

#include "stress_tp.h"

#define MAX_THREADS 64

struct worker {
	pthread_t th;
	int index;
	uint32_t tid;
	uint64_t normal, sig, big;
};

static struct worker workers[MAX_THREADS];
static long per_thread;
static int nthreads, hop, signals, big_every, pause_every;
static int running;
static pthread_barrier_t end_barrier;

static __thread struct worker *self;
static char big_payload[RSEQTRACE_MAX_PAYLOAD + 64];

static void on_signal(int sig)
{
	(void)sig;
	struct worker *w = self;
	if (w) {
		int saved = errno;
		rseqtrace(stress, ev, w->tid, w->sig, 1);
		w->sig++;
		errno = saved;
	}
}

static void *work(void *arg)
{
	struct worker *w = arg;
	w->tid = (uint32_t)gettid();
	self = w;
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	for (long i = 0; i < per_thread; i++) {
		if (hop && w->index % 2 == 0 && i % 500 == 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET((int)((i / 500 + w->index) % ncpu), &set);
			sched_setaffinity(0, sizeof set, &set);
		}
		if (big_every && i % big_every == big_every - 1) {
			rseqtrace(stress, blob, w->tid, 0, big_payload, sizeof big_payload);
			w->big++;
			continue;
		}
		rseqtrace(stress, ev, w->tid, w->normal, 0);
		w->normal++;
		if (pause_every && i % pause_every == pause_every - 1) {
			struct timespec ts = { 0, 200000 };
			nanosleep(&ts, NULL);
		}
	}
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	__atomic_fetch_sub(&running, 1, __ATOMIC_SEQ_CST);
	pthread_barrier_wait(&end_barrier);
	return NULL;
}

static void *sender(void *arg)
{
	(void)arg;
	while (__atomic_load_n(&running, __ATOMIC_SEQ_CST) > 0) {
		for (int i = 0; i < nthreads; i++)
			pthread_kill(workers[i].th, SIGUSR1);
		struct timespec ts = { 0, 20000 };
		nanosleep(&ts, NULL);
	}
	pthread_barrier_wait(&end_barrier);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 12) {
		fprintf(stderr, "usage: %s DIR MODE THREADS PER_THREAD SUBBUF NUM_SUBBUF DRAIN_MS "
			"HOP SIGNALS BIG_EVERY PAUSE_EVERY\n", argv[0]);
		return 2;
	}
	struct rseqtrace_session_config cfg = {
		.output = argv[1],
		.events = "stress:*",
		.loglevel = -1,
		.contexts = RSEQTRACE_CTX_VPID | RSEQTRACE_CTX_VTID,
		.mode = strcmp(argv[2], "rseq") == 0 ? RSEQTRACE_MODE_RSEQ
			: strcmp(argv[2], "locked") == 0 ? RSEQTRACE_MODE_LOCKED : RSEQTRACE_MODE_AUTO,
		.subbuf_size = (uint32_t)strtoul(argv[5], NULL, 0),
		.num_subbuf = (uint32_t)strtoul(argv[6], NULL, 0),
		.drain_period_ms = (unsigned)atoi(argv[7]),
	};
	nthreads = atoi(argv[3]);
	per_thread = atol(argv[4]);
	hop = atoi(argv[8]);
	signals = atoi(argv[9]);
	big_every = atoi(argv[10]);
	pause_every = atoi(argv[11]);
	if (nthreads < 1 || nthreads > MAX_THREADS)
		return 2;
	if (rseqtrace_session_start(&cfg) != 0) {
		fprintf(stderr, "session: %s\n", rseqtrace_session_error());
		return 1;
	}
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	sigaction(SIGUSR1, &sa, NULL);

	running = nthreads;
	pthread_barrier_init(&end_barrier, NULL, (unsigned)nthreads + (signals ? 1 : 0));
	for (int i = 0; i < nthreads; i++) {
		workers[i].index = i;
		pthread_create(&workers[i].th, NULL, work, &workers[i]);
	}
	pthread_t snd;
	if (signals)
		pthread_create(&snd, NULL, sender, NULL);
	for (int i = 0; i < nthreads; i++)
		pthread_join(workers[i].th, NULL);
	if (signals)
		pthread_join(snd, NULL);

	int stop = rseqtrace_session_stop();
	struct rseqtrace_session_stats st;
	rseqtrace_session_stats(&st);
	uint64_t emitted = 0, big = 0, sig = 0;
	for (int i = 0; i < nthreads; i++) {
		emitted += workers[i].normal + workers[i].sig + workers[i].big;
		big += workers[i].big;
		sig += workers[i].sig;
		printf("thread=%u:%llu:%llu ", workers[i].tid, (unsigned long long)workers[i].normal,
		       (unsigned long long)workers[i].sig);
	}
	printf("\nemitted=%llu big=%llu signal=%llu events=%llu discarded=%llu lost_full=%llu "
	       "lost_big=%llu lost_abort=%llu refused=%llu write_lost=%llu mode=%d stop=%d pid=%d\n",
	       (unsigned long long)emitted, (unsigned long long)big, (unsigned long long)sig,
	       (unsigned long long)st.events, (unsigned long long)st.discarded,
	       (unsigned long long)st.lost_full, (unsigned long long)st.lost_big,
	       (unsigned long long)st.lost_abort, (unsigned long long)st.refused,
	       (unsigned long long)st.write_lost, st.mode, stop, (int)getpid());
	if (stop)
		fprintf(stderr, "stop: %s\n", rseqtrace_session_error());
	return 0;
}
