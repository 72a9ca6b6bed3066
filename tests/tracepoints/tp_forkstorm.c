/* SPDX-License-Identifier: MIT */
/*
 * Fork storms during session changes: a deadlock between the fork handlers
 * and a thread that changes the session or the registry fails the test
 * (an alarm ends it, naming what was stuck) instead of hanging it.
 *
 * For SECONDS, at the same time:
 *   - 3 threads fork in a loop; each child traces one event and exits, the
 *     parent waits for it;
 *   - one thread starts and stops the in-process session (enables every
 *     event, creates the buffers, flushes, tears down);
 *   - one thread loads and unloads a provider library (events registered
 *     and removed: attach and detach inside the session's callback);
 *   - one thread traces the program's call sites without a pause.
 * Every loop must have made progress, and every child must have exited 0.
 *
 * usage: tp_forkstorm DIR PROBES_SO SECONDS
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rseqtrace/session.h>

#include "dl_tp.h"
#include "stress_tp.h"

#define FORKERS 3

static const char *probes_so;
static char dir[4096];
static int stop;
static uint64_t forks[FORKERS], bad_children, sessions, start_errors, dl_rounds, traced;
/* What each loop is doing now, for the alarm's report. */
static const char *volatile doing[FORKERS + 3];

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_alarm(int sig)
{
	(void)sig;
	char msg[1024];
	int n = snprintf(msg, sizeof msg, "FAIL: deadlock (no progress for the alarm's time):");
	for (int i = 0; i < FORKERS + 3; i++)
		n += snprintf(msg + n, sizeof msg - (size_t)n, " [%s]", doing[i] ? doing[i] : "-");
	n += snprintf(msg + n, sizeof msg - (size_t)n, "\n");
	if (write(1, msg, (size_t)n) < 0)
		_exit(3);
	_exit(1);
}

static void *forker(void *arg)
{
	int i = (int)(intptr_t)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		doing[i] = "fork";
		pid_t pid = fork();
		if (pid == 0) {
			rseqtrace(stress, ev, (uint32_t)gettid(), 0, 0);
			_exit(0);
		}
		doing[i] = "waitpid";
		int st = 0;
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			__atomic_fetch_add(&bad_children, 1, __ATOMIC_RELAXED);
		forks[i]++;
	}
	doing[i] = "done";
	return NULL;
}

static void *session_loop(void *arg)
{
	(void)arg;
	const char *volatile *me = &doing[FORKERS];
	struct rseqtrace_session_config cfg = {
		.output = dir, .events = "*", .loglevel = -1,
		.subbuf_size = 4096, .num_subbuf = 4, .drain_period_ms = 5,
	};
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		*me = "session start";
		if (rseqtrace_session_start(&cfg) != 0) {
			start_errors++;
			fprintf(stderr, "start: %s\n", rseqtrace_session_error());
			continue;
		}
		*me = "session running";
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
		*me = "session stop";
		rseqtrace_session_stop();
		sessions++;
	}
	*me = "done";
	return NULL;
}

static void *dl_loop(void *arg)
{
	(void)arg;
	const char *volatile *me = &doing[FORKERS + 1];
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		*me = "dlopen";
		void *h = dlopen(probes_so, RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			fprintf(stderr, "dlopen: %s\n", dlerror());
			exit(1);
		}
		*me = "dlclose";
		dlclose(h);
		dl_rounds++;
	}
	*me = "done";
	return NULL;
}

static void *trace_loop(void *arg)
{
	(void)arg;
	const char *volatile *me = &doing[FORKERS + 2];
	uint32_t tid = (uint32_t)gettid();
	*me = "tracing";
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		rseqtrace(stress, ev, tid, traced, 0);
		rseqtrace(dlprov, hit, tid, traced);
		traced++;
	}
	*me = "done";
	return NULL;
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	probes_so = argv[2];
	double seconds = atof(argv[3]);
	snprintf(dir, sizeof dir, "%s/forkstorm-XXXXXX", argv[1]);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	signal(SIGALRM, on_alarm);
	/* Generous: a round of each loop takes milliseconds. */
	alarm((unsigned)seconds + 20);

	pthread_t th[FORKERS + 3];
	for (int i = 0; i < FORKERS; i++)
		pthread_create(&th[i], NULL, forker, (void *)(intptr_t)i);
	pthread_create(&th[FORKERS], NULL, session_loop, NULL);
	pthread_create(&th[FORKERS + 1], NULL, dl_loop, NULL);
	pthread_create(&th[FORKERS + 2], NULL, trace_loop, NULL);
	double t0 = now();
	while (now() - t0 < seconds)
		usleep(50000);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	for (int i = 0; i < FORKERS + 3; i++)
		pthread_join(th[i], NULL);
	alarm(0);

	uint64_t all_forks = 0;
	for (int i = 0; i < FORKERS; i++)
		all_forks += forks[i];
	printf("forks=%llu bad_children=%llu sessions=%llu start_errors=%llu dl_rounds=%llu "
	       "traced=%llu\n", (unsigned long long)all_forks, (unsigned long long)bad_children,
	       (unsigned long long)sessions, (unsigned long long)start_errors,
	       (unsigned long long)dl_rounds, (unsigned long long)traced);
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	int ok = bad_children == 0 && start_errors == 0 && sessions > 0 && dl_rounds > 0 &&
		 traced > 0;
	for (int i = 0; i < FORKERS; i++)
		ok = ok && forks[i] > 0;
	printf("%s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}
