/* SPDX-License-Identifier: MIT */
/*
 * libprobes_early.so: a library the test programs link, whose constructor
 * starts a thread that allocates (and locks a mutex) in a loop until
 * early_thread_stop(). Being a dependency of the program and not of the
 * preloaded wrapper, it is initialized before the wrapper and before
 * librseqtrace: its thread runs while they start up and register.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static pthread_t early;
static int stop;
static int started;
static pid_t early_tid;
static unsigned long rounds;
static char *volatile last; /* keeps the allocations from being optimized away */
static pthread_mutex_t early_lock = PTHREAD_MUTEX_INITIALIZER;

static void *early_main(void *arg)
{
	(void)arg;
	__atomic_store_n(&early_tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		char *p = malloc(24 + rounds % 64);
		if (p)
			memset(p, 1, 24);
		last = p;
		pthread_mutex_lock(&early_lock);
		rounds++;
		pthread_mutex_unlock(&early_lock);
		free(p);
		/* Flat out through start-up, then gently. */
		if (rounds > 2000) {
			struct timespec ts = { 0, 50000 };
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

static void __attribute__((constructor)) early_init(void)
{
	started = pthread_create(&early, NULL, early_main, NULL) == 0;
}

/* Waits (at most 10 s) until the thread has run `more` rounds from now:
 * the program calls it from main, when tracing is on. */
void early_thread_wait(unsigned long more)
{
	pthread_mutex_lock(&early_lock);
	unsigned long until = rounds + more;
	pthread_mutex_unlock(&early_lock);
	for (int i = 0; started && i < 100000; i++) {
		pthread_mutex_lock(&early_lock);
		unsigned long now = rounds;
		pthread_mutex_unlock(&early_lock);
		if (now >= until)
			return;
		struct timespec ts = { 0, 100000 };
		nanosleep(&ts, NULL);
	}
}

/* Stops and joins the thread; returns its tid (0 if none ran). */
pid_t early_thread_stop(unsigned long *n)
{
	if (!started)
		return 0;
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	pthread_join(early, NULL);
	started = 0;
	*n = rounds;
	return early_tid;
}
