/* SPDX-License-Identifier: MIT */
/*
 * Every context against what the program knows: each ctxtest:hit event
 * carries, in its payload, the thread's tid and pthread_self(), the CPU
 * sched_getcpu() gave just before and just after the call, and the ids
 * getresuid/getresgid gave just before it. tests/daemon/test_contexts.py
 * checks each context field of the trace against these. Two threads; when
 * run as root, the second half of the events is traced with effective ids
 * 65534 (set*id() changes them in every thread; the contexts must follow).
 * Usage: tp_ctx_app N
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RSEQTRACE_CREATE_PROBES
#include <rseqtrace/tracepoint.h>

RSEQTRACE_EVENT(ctxtest, hit, INFO,
	RSEQTRACE_ARGS(int, seq, int, tid, uint64_t, pthread, int, cpu_before, const unsigned *, ids),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(int, seq, seq)
		rseqtrace_field_integer(int, tid, tid)
		rseqtrace_field_integer(uint64_t, pthread, pthread)
		rseqtrace_field_integer(int, cpu_before, cpu_before)
		rseqtrace_field_integer(unsigned, uid, ids[0])
		rseqtrace_field_integer(unsigned, euid, ids[1])
		rseqtrace_field_integer(unsigned, suid, ids[2])
		rseqtrace_field_integer(unsigned, gid, ids[3])
		rseqtrace_field_integer(unsigned, egid, ids[4])
		rseqtrace_field_integer(unsigned, sgid, ids[5])))

/* sched_getcpu() after each call, by seq: the trace's cpu_id must be one
 * of before/after (a migration in between cannot be excluded). */
RSEQTRACE_EVENT(ctxtest, after, INFO,
	RSEQTRACE_ARGS(int, seq, int, cpu_after),
	RSEQTRACE_FIELDS(
		rseqtrace_field_integer(int, seq, seq)
		rseqtrace_field_integer(int, cpu_after, cpu_after)))

static int n;
static pthread_barrier_t half;

static void hits(int base, int from, int to)
{
	int tid = (int)syscall(SYS_gettid);
	for (int i = from; i < to; i++) {
		unsigned ids[6];
		getresuid(&ids[0], &ids[1], &ids[2]);
		getresgid(&ids[3], &ids[4], &ids[5]);
		int before = sched_getcpu();
		rseqtrace(ctxtest, hit, base + i, tid, (uint64_t)pthread_self(), before, ids);
		rseqtrace(ctxtest, after, base + i, sched_getcpu());
	}
}

static void *thread(void *arg)
{
	int base = (int)(intptr_t)arg;
	hits(base, 0, n / 2);
	pthread_barrier_wait(&half);  /* main changes the ids */
	pthread_barrier_wait(&half);
	hits(base, n / 2, n);
	return NULL;
}

int main(int argc, char **argv)
{
	n = argc > 1 ? atoi(argv[1]) : 100;
	pthread_t t[2];
	pthread_barrier_init(&half, NULL, 3);
	for (intptr_t i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, thread, (void *)(i * 100000)) != 0)
			return 1;
	pthread_barrier_wait(&half);
	int changed = geteuid() == 0 && setegid(65534) == 0 && seteuid(65534) == 0;
	pthread_barrier_wait(&half);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	if (changed && (seteuid(0) != 0 || setegid(0) != 0))
		return 1;
	printf("n=%d pid=%d changed=%d\n", n, (int)getpid(), changed);
	return 0;
}
