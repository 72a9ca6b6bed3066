/* SPDX-License-Identifier: MIT */
/*
 * A multi-threaded program that forks, for the libc wrapper test:
 *
 *   alloc_prog ORACLE THREADS ROUNDS
 *
 * The main thread calls every wrapped function once with recognizable
 * arguments (main_allocs), worker threads allocate and free in a loop
 * (worker_allocs), the main thread forks while they run and the child
 * allocates (child_allocs) and exits through exit(). A thread started by
 * a library constructor (early_thread.c) allocates from before main.
 * Everything the trace must show is written to ORACLE as
 * `kind key=value ...`; stdout carries only results that do not depend on
 * tracing (it must be the same with and without the wrapper), and the
 * numbers of threads and open descriptors at start (a wrapper with no
 * session must add neither).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
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
static int rounds;
static int fork_now;
static int workers_ready;

static int tid(void)
{
	return (int)syscall(SYS_gettid);
}

/* Entries of a /proc directory; `own` is subtracted (opendir's descriptor). */
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

/* A checksum that proves the allocator's contract held (zeroed calloc,
 * realloc keeps the contents). */
static unsigned long sum(const unsigned char *p, size_t n)
{
	unsigned long s = 0;
	for (size_t i = 0; i < n; i++)
		s = s * 31 + p[i];
	return s;
}

static __attribute__((noinline)) void main_allocs(void)
{
	int t = tid();
	unsigned char *m = malloc(111111);
	memset(m, 7, 111111);
	ORACLE("malloc tid=%d size=111111 ptr=%p\n", t, (void *)m);
	unsigned char *c = calloc(3, 37037);
	ORACLE("calloc tid=%d nmemb=3 size=37037 ptr=%p\n", t, (void *)c);
	uintptr_t m_addr = (uintptr_t)m;
	unsigned char *r = realloc(m, 222222);
	ORACLE("realloc tid=%d in_ptr=0x%lx size=222222 ptr=%p\n", t, (unsigned long)m_addr, (void *)r);
	void *a = memalign(64, 3333);
	ORACLE("memalign tid=%d alignment=64 size=3333 ptr=%p\n", t, a);
	void *pm = NULL;
	int rc = posix_memalign(&pm, 128, 4444);
	ORACLE("posix_memalign tid=%d out_ptr=%p alignment=128 size=4444 result=%d\n", t, pm, rc);
	void *bad = (void *)0x1;
	int rc2 = posix_memalign(&bad, 3, 5555);
	ORACLE("posix_memalign tid=%d out_ptr=0x0 alignment=3 size=5555 result=%d\n", t, rc2);
	void *al = aligned_alloc(256, 6656);
	ORACLE("aligned_alloc tid=%d alignment=256 size=6656 ptr=%p\n", t, al);
	printf("calloc zero: %lu\n", sum(c, 3 * 37037));
	printf("realloc kept: %lu\n", sum(r, 111111));
	printf("posix_memalign: %d %d aligned=%d\n", rc, rc2 == EINVAL,
	       ((uintptr_t)pm % 128) == 0 && ((uintptr_t)al % 256) == 0 && ((uintptr_t)a % 64) == 0);
	void *frees[] = { r, c, a, pm, al };
	for (int i = 0; i < 5; i++) {
		ORACLE("free tid=%d ptr=%p\n", t, frees[i]);
		free(frees[i]);
	}
}

static __attribute__((noinline)) void worker_allocs(int w)
{
	int t = tid();
	for (int i = 0; i < rounds; i++) {
		size_t size = 40000 + (size_t)w * 1000 + (size_t)i;
		char *p = malloc(size);
		p[0] = (char)i;
		ORACLE("malloc tid=%d size=%zu ptr=%p\n", t, size, (void *)p);
		if (i == rounds / 2) {
			__atomic_store_n(&fork_now, 1, __ATOMIC_RELEASE);
		}
		ORACLE("free tid=%d ptr=%p\n", t, (void *)p);
		free(p);
	}
}

static void *worker(void *arg)
{
	int w = (int)(intptr_t)arg;
	ORACLE("thread tid=%d\n", tid());
	__atomic_fetch_add(&workers_ready, 1, __ATOMIC_ACQ_REL);
	worker_allocs(w);
	return NULL;
}

static __attribute__((noinline)) void child_allocs(void)
{
	int t = tid();
	ORACLE("child tid=%d\n", t);
	char *p = malloc(77777);
	ORACLE("malloc tid=%d size=77777 ptr=%p\n", t, (void *)p);
	char *q = calloc(7, 1111);
	ORACLE("calloc tid=%d nmemb=7 size=1111 ptr=%p\n", t, (void *)q);
	ORACLE("free tid=%d ptr=%p\n", t, (void *)p);
	free(p);
	ORACLE("free tid=%d ptr=%p\n", t, (void *)q);
	free(q);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: alloc_prog ORACLE THREADS ROUNDS\n");
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
	main_allocs();

	pthread_t th[64];
	if (nthreads > 64)
		nthreads = 64;
	for (int i = 0; i < nthreads; i++)
		pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
	/* fork while the workers allocate */
	/* Under AddressSanitizer, whose allocator is not fork-safe, the
	 * test environment asks to fork once the workers are done. */
	int fork_late = getenv("PROBES_FORK_AFTER_JOIN") != NULL;
	if (fork_late) {
		for (int i = 0; i < nthreads; i++)
			pthread_join(th[i], NULL);
	}
	while (nthreads && !__atomic_load_n(&fork_now, __ATOMIC_ACQUIRE))
		sched_yield();
	pthread_mutex_lock(&oracle_lock); /* the child must not inherit it held */
	fflush(oracle);
	fflush(stdout);
	pid_t child = fork();
	pthread_mutex_unlock(&oracle_lock);
	if (child == 0) {
		ORACLE("process pid=%d tid=%d\n", (int)getpid(), tid());
		child_allocs();
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
	printf("workers: %d x %d rounds, early thread ran: %d\n", nthreads, rounds, et > 0);
	return 0;
}
