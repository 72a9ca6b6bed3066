/* SPDX-License-Identifier: MIT */
/*
 * A multi-threaded program that forks, for the pthread wrapper test:
 *
 *   mutex_prog ORACLE THREADS ROUNDS
 *
 * Workers lock and unlock one shared mutex ROUNDS times each
 * (worker_locks); the main thread fails a trylock on a mutex another
 * thread holds, then succeeds (trylock_test), relocks and over-unlocks an
 * error-checking mutex (errorcheck_test), and forks while the workers run;
 * the child locks a mutex of its own (child_locks). ORACLE gets what the
 * trace must show; stdout only what tracing must not change.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t early_thread_stop(unsigned long *n);
void early_thread_wait(unsigned long more);

static FILE *oracle;
static pthread_mutex_t oracle_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t shared = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t child_mutex = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static int rounds;
static int fork_now;
static int holder_state; /* 1: holding `held`, 2: may release */

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

static __attribute__((noinline)) void worker_locks(void)
{
	for (int i = 0; i < rounds; i++) {
		pthread_mutex_lock(&shared);
		counter++;
		pthread_mutex_unlock(&shared);
		if (i == rounds / 2)
			__atomic_store_n(&fork_now, 1, __ATOMIC_RELEASE);
	}
}

static void *worker(void *arg)
{
	(void)arg;
	ORACLE("worker tid=%d mutex=%p rounds=%d\n", tid(), (void *)&shared, rounds);
	worker_locks();
	return NULL;
}

static __attribute__((noinline)) void holder_locks(void)
{
	pthread_mutex_lock(&held);
	__atomic_store_n(&holder_state, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&holder_state, __ATOMIC_ACQUIRE) != 2)
		sched_yield();
	pthread_mutex_unlock(&held);
}

static void *holder(void *arg)
{
	(void)arg;
	ORACLE("holder tid=%d mutex=%p\n", tid(), (void *)&held);
	holder_locks();
	return NULL;
}

static __attribute__((noinline)) void trylock_test(void)
{
	pthread_t h;
	pthread_create(&h, NULL, holder, NULL);
	while (__atomic_load_n(&holder_state, __ATOMIC_ACQUIRE) != 1)
		sched_yield();
	int busy = pthread_mutex_trylock(&held);
	__atomic_store_n(&holder_state, 2, __ATOMIC_RELEASE);
	pthread_join(h, NULL);
	int ok = pthread_mutex_trylock(&held);
	int un = pthread_mutex_unlock(&held);
	ORACLE("trylock tid=%d mutex=%p busy=%d ok=%d unlock=%d\n", tid(), (void *)&held, busy, ok, un);
	printf("trylock: busy=%d ok=%d unlock=%d\n", busy == EBUSY, ok, un);
}

static __attribute__((noinline)) void errorcheck_test(void)
{
	pthread_mutexattr_t a;
	pthread_mutex_t m;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&m, &a);
	int l1 = pthread_mutex_lock(&m);
	int l2 = pthread_mutex_lock(&m);
	int u1 = pthread_mutex_unlock(&m);
	int u2 = pthread_mutex_unlock(&m);
	ORACLE("errorcheck tid=%d mutex=%p lock1=%d lock2=%d unlock1=%d unlock2=%d\n", tid(),
	       (void *)&m, l1, l2, u1, u2);
	printf("errorcheck: %d %d %d %d\n", l1, l2 == EDEADLK, u1, u2 == EPERM);
	pthread_mutex_destroy(&m);
}

static __attribute__((noinline)) void child_locks(void)
{
	for (int i = 0; i < 10; i++) {
		pthread_mutex_lock(&child_mutex);
		pthread_mutex_unlock(&child_mutex);
	}
	ORACLE("child tid=%d mutex=%p rounds=10\n", tid(), (void *)&child_mutex);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: mutex_prog ORACLE THREADS ROUNDS\n");
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
	trylock_test();
	errorcheck_test();

	pthread_t th[64];
	if (nthreads > 64)
		nthreads = 64;
	for (int i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	/* Under AddressSanitizer, whose allocator is not fork-safe, the
	 * test environment asks to fork once the workers are done. */
	int fork_late = getenv("PROBES_FORK_AFTER_JOIN") != NULL;
	if (fork_late) {
		for (int i = 0; i < nthreads; i++)
			pthread_join(th[i], NULL);
	}
	while (nthreads && !__atomic_load_n(&fork_now, __ATOMIC_ACQUIRE))
		sched_yield();
	pthread_mutex_lock(&oracle_lock);
	fflush(oracle);
	fflush(stdout);
	pid_t child = fork();
	pthread_mutex_unlock(&oracle_lock);
	if (child == 0) {
		/* The child's first unlock is of oracle_lock, held across fork. */
		ORACLE("process pid=%d tid=%d inherited=%p\n", (int)getpid(), tid(), (void *)&oracle_lock);
		child_locks();
		fclose(oracle);
		exit(0);
	}
	int status = -1;
	waitpid(child, &status, 0);
	for (int i = 0; !fork_late && i < nthreads; i++)
		pthread_join(th[i], NULL);
	early_thread_wait(20);
	unsigned long early_rounds = 0;
	pid_t et = early_thread_stop(&early_rounds);
	ORACLE("early tid=%d rounds=%lu\n", (int)et, early_rounds);
	fclose(oracle);
	printf("child: exited=%d status=%d\n", WIFEXITED(status), WEXITSTATUS(status));
	printf("counter: %ld (expected %ld)\n", counter, (long)nthreads * rounds);
	return 0;
}
