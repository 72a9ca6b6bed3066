/* SPDX-License-Identifier: MIT */
/*
 * librseqtrace-cyg-profile-fast.so: the smaller variant of
 * librseqtrace-cyg-profile.so, as LTTng-UST's -fast one (cyg_fast_tp.h:
 * the entry records the function only, the exit nothing). Preload it
 * into a program built with -finstrument-functions. The hooks run around
 * every instrumented call, in any
 * thread and in signal handlers: untraced they cost one load and a
 * branch; traced, one event; errno is preserved. This file must not be
 * instrumented itself (it is not built with -finstrument-functions, and
 * the hooks say no_instrument_function in case it ever is).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>

#define RSEQTRACE_CREATE_PROBES
#include "cyg_fast_tp.h"
#undef RSEQTRACE_CREATE_PROBES
#include "statedump_tp.h"

#include "probes/probes.h"

#define EXPORT __attribute__((visibility("default")))
#define unlikely(x) __builtin_expect(!!(x), 0)

static uint8_t sd_seen; /* probes.h: rt_probes_sd_check */

static RT_NO_INSTRUMENT __attribute__((noinline, cold)) void sd_untraced(void)
{
	int saved_errno = errno;
	rt_probes_sd_check(&sd_seen, rseqtrace_enabled(lttng_ust_statedump, start));
	errno = saved_errno;
}

static RT_NO_INSTRUMENT __attribute__((noinline)) void trace_entry(void *fn)
{
	int saved_errno = errno;
	rt_probes_sd_check(&sd_seen, rseqtrace_enabled(lttng_ust_statedump, start));
	rseqtrace(rseqtrace_cyg_profile_fast, func_entry, fn);
	errno = saved_errno;
}

static RT_NO_INSTRUMENT __attribute__((noinline)) void trace_exit(void)
{
	int saved_errno = errno;
	rseqtrace(rseqtrace_cyg_profile_fast, func_exit);
	errno = saved_errno;
}

EXPORT RT_NO_INSTRUMENT void __cyg_profile_func_enter(void *fn, void *site)
{
	if (unlikely(rseqtrace_enabled(rseqtrace_cyg_profile_fast, func_entry)))
		trace_entry(fn);
	else if (unlikely(__atomic_load_n(&sd_seen, __ATOMIC_RELAXED)))
		sd_untraced();
}

EXPORT RT_NO_INSTRUMENT void __cyg_profile_func_exit(void *fn, void *site)
{
	if (unlikely(rseqtrace_enabled(rseqtrace_cyg_profile_fast, func_exit)))
		trace_exit();
}

static RT_NO_INSTRUMENT void after_fork_child(void)
{
	__atomic_store_n(&sd_seen, 0, __ATOMIC_RELAXED);
}

static RT_NO_INSTRUMENT __attribute__((constructor)) void cyg_profile_init(void)
{
	pthread_atfork(NULL, NULL, after_fork_child);
}
