/* SPDX-License-Identifier: MIT */
/*
 * librseqtrace-pthread-wrapper.so: preload it to trace pthread mutexes
 * (pthread_tp.h): lock request and acquisition, trylock, unlock, each
 * with the mutex address, the caller and the status.
 *
 * The real functions are found with dlsym(RTLD_NEXT) in the constructor,
 * or at the first call if another constructor locks first. glibc's dlsym
 * locks with the loader's internal locks, never through
 * pthread_mutex_lock, so resolving cannot recurse into this file.
 * Mutexes taken by librseqtrace (its registry, its session, locked-mode
 * buffers: recognized by the caller's address or by the mutex's) and any
 * lock taken while this thread writes an event are not traced (probes.h). Locks glibc takes internally (stdio, pthread_cond_wait
 * re-acquiring its mutex) do not go through these symbols and are not
 * seen, as with LTTng-UST's wrapper.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RSEQTRACE_CREATE_PROBES
#include "pthread_tp.h"
#undef RSEQTRACE_CREATE_PROBES
#include "statedump_tp.h"

#include "probes/probes.h"

#define EXPORT __attribute__((visibility("default")))
#define unlikely(x) __builtin_expect(!!(x), 0)

typedef int mutex_fn(pthread_mutex_t *);

static mutex_fn *real_lock, *real_trylock, *real_unlock;
static uint8_t sd_seen; /* probes.h: rt_probes_sd_check */

static void resolve(void)
{
	mutex_fn *l = (mutex_fn *)dlsym(RTLD_NEXT, "pthread_mutex_lock");
	mutex_fn *t = (mutex_fn *)dlsym(RTLD_NEXT, "pthread_mutex_trylock");
	mutex_fn *u = (mutex_fn *)dlsym(RTLD_NEXT, "pthread_mutex_unlock");
	if (!l || !t || !u) {
		static const char msg[] = "librseqtrace-pthread-wrapper: pthread_mutex_* not found\n";
		ssize_t r = write(2, msg, sizeof msg - 1);
		(void)r;
		abort();
	}
	__atomic_store_n(&real_trylock, t, __ATOMIC_RELAXED);
	__atomic_store_n(&real_unlock, u, __ATOMIC_RELAXED);
	__atomic_store_n(&real_lock, l, __ATOMIC_RELEASE);
}

static inline void ensure_real(void)
{
	if (unlikely(!__atomic_load_n(&real_lock, __ATOMIC_ACQUIRE)))
		resolve();
}

#define REAL(fn) __atomic_load_n(&real_##fn, __ATOMIC_RELAXED)

/* May this call be traced? Then the caller must call rt_probes_leave().
 * Not a call from librseqtrace, nor on one of its static mutexes (its
 * calls may be tail calls, whose return address is its caller's). */
static inline int begin(const pthread_mutex_t *mutex, const void *ip)
{
	if (rt_probes_from_tracer(ip) || rt_probes_from_tracer(mutex) || !rt_probes_enter())
		return 0;
	rt_probes_sd_check(&sd_seen, rseqtrace_enabled(lttng_ust_statedump, start));
	return 1;
}

/* Tracing went off: let the state dump notice, so the next enabling dumps. */
static void __attribute__((noinline)) sd_untraced(void)
{
	if (rt_probes_enter()) {
		rt_probes_sd_check(&sd_seen, rseqtrace_enabled(lttng_ust_statedump, start));
		rt_probes_leave();
	}
}

#define ANY_ENABLED()                                                         \
	(rseqtrace_enabled(rseqtrace_pthread, pthread_mutex_lock_req) |       \
	 rseqtrace_enabled(rseqtrace_pthread, pthread_mutex_lock_acq) |       \
	 rseqtrace_enabled(rseqtrace_pthread, pthread_mutex_trylock) |        \
	 rseqtrace_enabled(rseqtrace_pthread, pthread_mutex_unlock))

static inline void maybe_sd_untraced(void)
{
	if (unlikely(__atomic_load_n(&sd_seen, __ATOMIC_RELAXED)))
		sd_untraced();
}

EXPORT int pthread_mutex_lock(pthread_mutex_t *mutex)
{
	const void *ip = __builtin_return_address(0);
	ensure_real();
	if (!unlikely(ANY_ENABLED())) {
		maybe_sd_untraced();
		return REAL(lock)(mutex);
	}
	int saved_errno = errno;
	if (begin(mutex, ip)) {
		rseqtrace(rseqtrace_pthread, pthread_mutex_lock_req, mutex, ip);
		rt_probes_leave();
	}
	errno = saved_errno;
	int r = REAL(lock)(mutex);
	saved_errno = errno;
	if (begin(mutex, ip)) {
		rseqtrace(rseqtrace_pthread, pthread_mutex_lock_acq, mutex, r, ip);
		rt_probes_leave();
	}
	errno = saved_errno;
	return r;
}

EXPORT int pthread_mutex_trylock(pthread_mutex_t *mutex)
{
	const void *ip = __builtin_return_address(0);
	ensure_real();
	int r = REAL(trylock)(mutex);
	if (!unlikely(rseqtrace_enabled(rseqtrace_pthread, pthread_mutex_trylock))) {
		maybe_sd_untraced();
		return r;
	}
	int saved_errno = errno;
	if (begin(mutex, ip)) {
		rseqtrace(rseqtrace_pthread, pthread_mutex_trylock, mutex, r, ip);
		rt_probes_leave();
	}
	errno = saved_errno;
	return r;
}

EXPORT int pthread_mutex_unlock(pthread_mutex_t *mutex)
{
	const void *ip = __builtin_return_address(0);
	ensure_real();
	int r = REAL(unlock)(mutex);
	if (!unlikely(rseqtrace_enabled(rseqtrace_pthread, pthread_mutex_unlock))) {
		maybe_sd_untraced();
		return r;
	}
	int saved_errno = errno;
	if (begin(mutex, ip)) {
		rseqtrace(rseqtrace_pthread, pthread_mutex_unlock, mutex, r, ip);
		rt_probes_leave();
	}
	errno = saved_errno;
	return r;
}

static void after_fork_child(void)
{
	__atomic_store_n(&sd_seen, 0, __ATOMIC_RELAXED);
}

static void __attribute__((constructor)) pthread_wrapper_init(void)
{
	ensure_real();
	pthread_atfork(NULL, NULL, after_fork_child);
}
