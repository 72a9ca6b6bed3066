/* SPDX-License-Identifier: MIT */
/*
 * The perf:thread:* contexts: one perf_event_open() counter per thread and
 * counter, opened at the thread's first event that records it (a system
 * call then, as the other per-thread caches), read at every event with
 * rdpmc through the counter's mmap'd page where the kernel allows it (a
 * hardware counter on x86, cap_user_rdpmc), else with read(). A counter
 * the kernel refuses to this thread (seccomp, a limit reached) records 0:
 * the daemon refused add-context already if it refuses them all (no PMU,
 * perf_event_paranoid). Closed at the thread's exit (a key destructor) and
 * in a forked child, whose inherited descriptors count the parent's thread.
 */
#define _GNU_SOURCE
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/context.h"
#include "tracepoints/channel.h"

struct perf_thread {
	int fd[RT_NR_PERF];
	struct perf_event_mmap_page *page[RT_NR_PERF];
	uint32_t tried;  /* counters opened (or refused) in this thread */
	int keyed;       /* the destructor will close them */
};

static __thread __attribute__((tls_model("initial-exec"))) struct perf_thread self;
static pthread_key_t exit_key;
static int have_key;

static void close_all(struct perf_thread *p)
{
	for (unsigned i = 0; i < RT_NR_PERF; i++) {
		if (!(p->tried & (1u << i)))
			continue;
		if (p->page[i])
			munmap(p->page[i], (size_t)sysconf(_SC_PAGESIZE));
		if (p->fd[i] >= 0)
			close(p->fd[i]);
		p->page[i] = NULL;
	}
	p->tried = 0;
}

static void at_thread_exit(void *arg)
{
	close_all(arg);
}

static void __attribute__((constructor)) perf_init(void)
{
	have_key = pthread_key_create(&exit_key, at_thread_exit) == 0;
}

void rt_perf_after_fork_child(void)
{
	close_all(&self);
}

static void open_counter(unsigned i)
{
	const struct rt_context *x = rt_contexts;
	while (x->bit != 1u << (RT_CTX_PERF_FIRST + i))
		x++;
	self.tried |= 1u << i;
	self.fd[i] = rt_perf_open(x);
	self.page[i] = NULL;
	if (self.fd[i] >= 0 && x->perf_type == PERF_TYPE_HARDWARE) {
		void *p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ, MAP_SHARED, self.fd[i], 0);
		self.page[i] = p == MAP_FAILED ? NULL : p;
	}
	if (!self.keyed && have_key) {
		/* A store into the thread's key slot: no allocation. */
		self.keyed = pthread_setspecific(exit_key, &self) == 0;
	}
}

#if defined(__x86_64__) || defined(__i386__)
static uint64_t rdpmc(uint32_t counter)
{
	uint32_t lo, hi;
	__asm__ __volatile__("rdpmc" : "=a"(lo), "=d"(hi) : "c"(counter));
	return (uint64_t)hi << 32 | lo;
}

/* The counter through its page (the kernel's seqlock protocol, bounded
 * retries); 0 when rdpmc is not allowed for it now. */
static int read_page(const struct perf_event_mmap_page *pc, uint64_t *v)
{
	for (int tries = 0; tries < 4; tries++) {
		uint32_t seq = __atomic_load_n(&pc->lock, __ATOMIC_ACQUIRE);
		uint32_t idx = __atomic_load_n(&pc->index, __ATOMIC_RELAXED);
		if (!pc->cap_user_rdpmc || !idx)
			return 0;
		int64_t count = pc->offset;
		uint32_t width = pc->pmc_width;
		int64_t pmc = (int64_t)(rdpmc(idx - 1) << (64 - width)) >> (64 - width);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&pc->lock, __ATOMIC_RELAXED) == seq) {
			*v = (uint64_t)(count + pmc);
			return 1;
		}
	}
	return 0;
}
#else
static int read_page(const struct perf_event_mmap_page *pc, uint64_t *v)
{
	(void)pc;
	(void)v;
	return 0;
}
#endif

uint64_t rt_perf_value(unsigned i)
{
	if (!(self.tried & (1u << i)))
		open_counter(i);
	if (self.fd[i] < 0)
		return 0;
	uint64_t v;
	if (self.page[i] && read_page(self.page[i], &v))
		return v;
	return read(self.fd[i], &v, sizeof v) == (ssize_t)sizeof v ? v : 0;
}
