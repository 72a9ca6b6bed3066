/* SPDX-License-Identifier: MIT */
/*
 * librseqtrace-libc-wrapper.so: preload it to trace the C allocator
 * (libc_tp.h). Each function calls the next definition in the lookup
 * order (glibc's, found with dlsym(RTLD_NEXT)) and records one event.
 *
 * Safety, in the order things happen in a process:
 *   - Before the real functions are known (the dynamic loader and libc
 *     allocate before any constructor runs), the first call resolves them.
 *     dlsym itself may allocate: while this thread resolves, allocations
 *     come from a static bootstrap arena (zeroed, never reused; its blocks
 *     are never handed to glibc: free ignores them, realloc copies out).
 *   - Call sites stay disabled until this library's constructor registers
 *     its events, so early calls cost a load and a branch.
 *   - Recursion: librseqtrace (or another wrapper) allocating while an
 *     event is written is passed through untraced (probes.h, P1/P2);
 *     allocations made by librseqtrace itself are not traced.
 *   - Threads: no lock anywhere; the nesting count is initial-exec TLS,
 *     present in threads that existed before the constructor ran.
 *   - fork: nothing is held across a call, so the child inherits nothing
 *     half-done; librseqtrace handles its own state.
 * free is recorded before the block goes back to glibc and the others
 * after they return, so in the trace an address is freed before another
 * thread can be seen receiving it (realloc's implicit free excepted).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RSEQTRACE_CREATE_PROBES
#include "libc_tp.h"
#undef RSEQTRACE_CREATE_PROBES
#include "statedump_tp.h"

#include "probes/probes.h"

#define EXPORT __attribute__((visibility("default")))
#define unlikely(x) __builtin_expect(!!(x), 0)

/* ---- the real allocator ------------------------------------------------ */

struct real_alloc {
	void *(*malloc)(size_t);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void (*free)(void *);
	void *(*memalign)(size_t, size_t);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
};

/* Written (same values by whichever threads resolve) before `ready` is
 * set with release; read after `ready` is seen with acquire. */
static struct real_alloc real;
static int ready;
static __thread __attribute__((tls_model("initial-exec"))) int resolving;

#define REAL(fn) __atomic_load_n(&real.fn, __ATOMIC_RELAXED)

static void die(const char *msg)
{
	ssize_t r = write(2, msg, strlen(msg));
	(void)r;
	abort();
}

static void resolve(void)
{
	resolving = 1;
#define LOOKUP(fn) __atomic_store_n(&real.fn, (__typeof__(real.fn))dlsym(RTLD_NEXT, #fn), \
				    __ATOMIC_RELAXED)
	LOOKUP(malloc);
	LOOKUP(calloc);
	LOOKUP(realloc);
	LOOKUP(free);
	LOOKUP(memalign);
	LOOKUP(posix_memalign);
	LOOKUP(aligned_alloc);
	LOOKUP(valloc);
	LOOKUP(pvalloc);
#undef LOOKUP
	resolving = 0;
	if (!REAL(malloc) || !REAL(calloc) || !REAL(realloc) || !REAL(free) || !REAL(memalign) ||
	    !REAL(posix_memalign))
		die("librseqtrace-libc-wrapper: the C library's allocator was not found\n");
	__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
}

/* 1 when the real functions may be called; 0 while this thread is inside
 * dlsym (use the bootstrap arena). */
static inline int have_real(void)
{
	if (__builtin_expect(__atomic_load_n(&ready, __ATOMIC_ACQUIRE), 1))
		return 1;
	if (resolving)
		return 0;
	resolve();
	return 1;
}

/* ---- bootstrap arena ------------------------------------------------------ */

#define ARENA_SIZE (64u << 10)
static char arena[ARENA_SIZE] __attribute__((aligned(64)));
static size_t arena_used; /* only grows: blocks are never reused */

/* Each block is preceded by its size (for realloc). Lock-free. */
static void *arena_alloc(size_t size, size_t align)
{
	if (align < 16)
		align = 16;
	if ((align & (align - 1)) || align > 4096)
		return NULL;
	if (size == 0)
		size = 1;
	size_t old = __atomic_load_n(&arena_used, __ATOMIC_RELAXED), start;
	do {
		start = (old + sizeof(size_t) + align - 1) & ~(align - 1);
		if (start >= ARENA_SIZE || size > ARENA_SIZE - start)
			return NULL;
	} while (!__atomic_compare_exchange_n(&arena_used, &old, start + size, 1, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	memcpy(arena + start - sizeof(size_t), &size, sizeof size);
	return arena + start;
}

static inline int in_arena(const void *p)
{
	return (uintptr_t)p - (uintptr_t)arena < ARENA_SIZE;
}

static size_t arena_block_size(const void *p)
{
	size_t s;
	memcpy(&s, (const char *)p - sizeof s, sizeof s);
	return s;
}

/* While resolving, every block is an arena block (or NULL). */
static void *arena_realloc(void *ptr, size_t size)
{
	void *p = arena_alloc(size, 16);
	if (p && ptr && in_arena(ptr)) {
		size_t old = arena_block_size(ptr);
		memcpy(p, ptr, old < size ? old : size);
	}
	return p;
}

/* ---- tracing -------------------------------------------------------------- */

static uint8_t sd_seen; /* probes.h: rt_probes_sd_check */

/* Records one event unless this thread is already inside a probe or the
 * call came from librseqtrace. errno is the caller's, untouched. */
#define TRACE(event, ip, ...)                                                           \
	do {                                                                            \
		if (unlikely(rseqtrace_enabled(rseqtrace_libc, event))) {               \
			if (!rt_probes_from_tracer(ip) && rt_probes_enter()) {          \
				int saved_errno = errno;                                \
				rt_probes_sd_check(&sd_seen,                            \
						   rseqtrace_enabled(lttng_ust_statedump, start)); \
				rseqtrace(rseqtrace_libc, event, __VA_ARGS__, ip);      \
				errno = saved_errno;                                    \
				rt_probes_leave();                                      \
			}                                                               \
		} else if (unlikely(__atomic_load_n(&sd_seen, __ATOMIC_RELAXED))) {     \
			sd_untraced();                                                  \
		}                                                                       \
	} while (0)

/* Tracing went off: let the state dump notice, so the next enabling dumps. */
static void __attribute__((noinline)) sd_untraced(void)
{
	if (rt_probes_enter()) {
		int saved_errno = errno;
		rt_probes_sd_check(&sd_seen, rseqtrace_enabled(lttng_ust_statedump, start));
		errno = saved_errno;
		rt_probes_leave();
	}
}

/* ---- the wrappers ------------------------------------------------------------ */

EXPORT void *malloc(size_t size)
{
	const void *ip = __builtin_return_address(0);
	if (unlikely(!have_real()))
		return arena_alloc(size, 16);
	void *p = REAL(malloc)(size);
	TRACE(malloc, ip, size, p);
	return p;
}

EXPORT void free(void *ptr)
{
	const void *ip = __builtin_return_address(0);
	if (unlikely(in_arena(ptr)))
		return;
	TRACE(free, ip, ptr);
	if (unlikely(!have_real()))
		return; /* only arena blocks exist while resolving */
	REAL(free)(ptr);
}

EXPORT void *calloc(size_t nmemb, size_t size)
{
	const void *ip = __builtin_return_address(0);
	if (unlikely(!have_real())) {
		size_t total;
		if (__builtin_mul_overflow(nmemb, size, &total))
			return NULL;
		return arena_alloc(total, 16); /* arena memory is zero */
	}
	void *p = REAL(calloc)(nmemb, size);
	TRACE(calloc, ip, nmemb, size, p);
	return p;
}

/* A block of the bootstrap arena moves to the real allocator; the trace
 * shows it as a new allocation (in_ptr 0), the arena never appearing. */
static void *realloc_from_arena(void *ptr, size_t size, const void *ip)
{
	void *p = REAL(malloc)(size);
	if (p) {
		size_t old = arena_block_size(ptr);
		memcpy(p, ptr, old < size ? old : size);
	}
	TRACE(realloc, ip, NULL, size, p);
	return p;
}

EXPORT void *realloc(void *ptr, size_t size)
{
	const void *ip = __builtin_return_address(0);
	if (unlikely(!have_real()))
		return arena_realloc(ptr, size);
	if (unlikely(in_arena(ptr)))
		return realloc_from_arena(ptr, size, ip);
	void *p = REAL(realloc)(ptr, size);
	TRACE(realloc, ip, ptr, size, p);
	return p;
}

EXPORT void *memalign(size_t alignment, size_t size)
{
	const void *ip = __builtin_return_address(0);
	if (unlikely(!have_real()))
		return arena_alloc(size, alignment);
	void *p = REAL(memalign)(alignment, size);
	TRACE(memalign, ip, alignment, size, p);
	return p;
}

EXPORT int posix_memalign(void **memptr, size_t alignment, size_t size)
{
	const void *ip = __builtin_return_address(0);
	if (unlikely(!have_real())) {
		if (alignment % sizeof(void *) || (alignment & (alignment - 1)) || !alignment)
			return EINVAL;
		void *p = arena_alloc(size, alignment);
		if (!p)
			return ENOMEM;
		*memptr = p;
		return 0;
	}
	int r = REAL(posix_memalign)(memptr, alignment, size);
	TRACE(posix_memalign, ip, r == 0 ? *memptr : NULL, alignment, size, r);
	return r;
}

EXPORT void *aligned_alloc(size_t alignment, size_t size)
{
	const void *ip = __builtin_return_address(0);
	if (unlikely(!have_real()))
		return arena_alloc(size, alignment);
	void *p = REAL(aligned_alloc) ? REAL(aligned_alloc)(alignment, size)
				      : REAL(memalign)(alignment, size);
	TRACE(aligned_alloc, ip, alignment, size, p);
	return p;
}

/* glibc's valloc and pvalloc do not go through memalign: recorded as
 * memalign with the page size. */
EXPORT void *valloc(size_t size)
{
	const void *ip = __builtin_return_address(0);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	if (unlikely(!have_real()))
		return arena_alloc(size, page);
	void *p = REAL(valloc) ? REAL(valloc)(size) : REAL(memalign)(page, size);
	TRACE(memalign, ip, page, size, p);
	return p;
}

EXPORT void *pvalloc(size_t size)
{
	const void *ip = __builtin_return_address(0);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t rounded = (size + page - 1) & ~(page - 1);
	if (rounded < size)
		rounded = size; /* let glibc fail it */
	if (unlikely(!have_real()))
		return arena_alloc(rounded, page);
	void *p = REAL(pvalloc) ? REAL(pvalloc)(size) : REAL(memalign)(page, rounded);
	TRACE(memalign, ip, page, size, p);
	return p;
}

/* ---- start-up ------------------------------------------------------------------ */

static void after_fork_child(void)
{
	__atomic_store_n(&sd_seen, 0, __ATOMIC_RELAXED);
}

/* Resolve before the program starts threads of its own. */
static void __attribute__((constructor)) libc_wrapper_init(void)
{
	if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE))
		resolve();
	pthread_atfork(NULL, NULL, after_fork_child);
}
