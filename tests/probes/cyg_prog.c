/* SPDX-License-Identifier: MIT */
/*
 * Built with -finstrument-functions, for the cyg-profile tests:
 *
 *   cyg_prog ORACLE THREADS ROUNDS
 *
 * Workers call top() ROUNDS times (top calls mid 3 times, mid calls leaf
 * twice); the main thread recurses (rec), takes a signal whose handler
 * calls leaf on top of an instrumented function (signal_test), and forks
 * while the workers run; the child calls top() and leaves through exit().
 * ORACLE gets the thread ids; stdout only what tracing must not change.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t early_thread_stop(unsigned long *n);

static FILE *oracle;
static pthread_mutex_t oracle_lock = PTHREAD_MUTEX_INITIALIZER;
static int rounds;
static int fork_now;
static volatile sig_atomic_t signal_sum;

static int tid(void)
{
	return (int)syscall(SYS_gettid);
}

static int count_dir(const char *path, int own)
{
	DIR *d = opendir(path);
	int n = 0;
	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - own;
}

#define ORACLE(...)                                   \
	do {                                          \
		pthread_mutex_lock(&oracle_lock);     \
		fprintf(oracle, __VA_ARGS__);         \
		pthread_mutex_unlock(&oracle_lock);   \
	} while (0)

__attribute__((noinline)) long leaf(long x)
{
	__asm__ volatile("" : "+r"(x));
	return x * 3 + 1;
}

__attribute__((noinline)) long mid(long x)
{
	return leaf(x) + leaf(x + 1);
}

__attribute__((noinline)) long top(long x)
{
	return mid(x) + mid(x + 2) + mid(x + 4);
}

__attribute__((noinline)) long rec(int depth)
{
	if (depth == 0)
		return 1;
	return 2 * rec(depth - 1);
}

static void on_signal(int sig)
{
	signal_sum += (sig_atomic_t)leaf(sig);
}

__attribute__((noinline)) void signal_test(void)
{
	signal(SIGUSR1, on_signal);
	raise(SIGUSR1);
}

static void *worker(void *arg)
{
	long s = 0;
	(void)arg;
	ORACLE("worker tid=%d\n", tid());
	for (int i = 0; i < rounds; i++) {
		s += top(i);
		if (i == rounds / 2)
			__atomic_store_n(&fork_now, 1, __ATOMIC_RELEASE);
	}
	return (void *)(intptr_t)s;
}

__attribute__((noinline)) void child_work(void)
{
	ORACLE("child tid=%d\n", tid());
	long s = top(100);
	fclose(oracle);
	exit(s > 0 ? 0 : 1);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: cyg_prog ORACLE THREADS ROUNDS\n");
		return 2;
	}
	printf("start: threads=%d fds=%d\n", count_dir("/proc/self/task", 0), count_dir("/proc/self/fd", 1));
	/* Appends, one write per line: parent and child share the offset. */
	oracle = fopen(argv[1], "a");
	if (!oracle)
		return 3;
	setvbuf(oracle, NULL, _IOLBF, 0);
	int nthreads = atoi(argv[2]);
	rounds = atoi(argv[3]);
	ORACLE("process pid=%d tid=%d\n", (int)getpid(), tid());
	printf("rec: %ld\n", rec(5));
	signal_test();
	printf("signal: %d\n", (int)signal_sum);

	pthread_t th[64];
	void *results[64];
	if (nthreads > 64)
		nthreads = 64;
	for (int i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	/* Under AddressSanitizer, whose allocator is not fork-safe, the
	 * test environment asks to fork once the workers are done. */
	int fork_late = getenv("PROBES_FORK_AFTER_JOIN") != NULL;
	if (fork_late) {
		for (int i = 0; i < nthreads; i++)
			pthread_join(th[i], &results[i]);
	}
	while (nthreads && !__atomic_load_n(&fork_now, __ATOMIC_ACQUIRE))
		sched_yield();
	pthread_mutex_lock(&oracle_lock);
	fflush(oracle);
	fflush(stdout);
	pid_t child = fork();
	pthread_mutex_unlock(&oracle_lock);
	if (child == 0) {
		ORACLE("process pid=%d tid=%d\n", (int)getpid(), tid());
		child_work();
	}
	int status = -1;
	waitpid(child, &status, 0);
	long total = 0;
	for (int i = 0; i < nthreads; i++) {
		if (!fork_late)
			pthread_join(th[i], &results[i]);
		total += (long)(intptr_t)results[i];
	}
	unsigned long early_rounds = 0;
	pid_t et = early_thread_stop(&early_rounds);
	ORACLE("early tid=%d rounds=%lu\n", (int)et, early_rounds);
	fclose(oracle);
	printf("child: exited=%d status=%d\n", WIFEXITED(status), WEXITSTATUS(status));
	printf("total: %ld\n", total);
	return 0;
}
