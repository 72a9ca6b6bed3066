/* SPDX-License-Identifier: MIT */
/*
 * librseqtrace-cyg-profile.so: preload it into a program built with
 * -finstrument-functions to record every function entry and exit
 * (cyg_tp.h). The hooks run around every instrumented call, in any
 * thread and in signal handlers: untraced they cost one load and a
 * branch; traced, one event; errno is preserved. This file must not be
 * instrumented itself (it is not built with -finstrument-functions, and
 * the hooks say no_instrument_function in case it ever is).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>

#define RSEQTRACE_CREATE_PROBES
#include "cyg_tp.h"
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

static RT_NO_INSTRUMENT __attribute__((noinline)) void trace_entry(void *fn, void *site)
{
	int saved_errno = errno;
	rt_probes_sd_check(&sd_seen, rseqtrace_enabled(lttng_ust_statedump, start));
	rseqtrace(rseqtrace_cyg_profile, func_entry, fn, site);
	errno = saved_errno;
}

static RT_NO_INSTRUMENT __attribute__((noinline)) void trace_exit(void *fn, void *site)
{
	int saved_errno = errno;
	rseqtrace(rseqtrace_cyg_profile, func_exit, fn, site);
	errno = saved_errno;
}

EXPORT RT_NO_INSTRUMENT void __cyg_profile_func_enter(void *fn, void *site)
{
	if (unlikely(rseqtrace_enabled(rseqtrace_cyg_profile, func_entry)))
		trace_entry(fn, site);
	else if (unlikely(__atomic_load_n(&sd_seen, __ATOMIC_RELAXED)))
		sd_untraced();
}

EXPORT RT_NO_INSTRUMENT void __cyg_profile_func_exit(void *fn, void *site)
{
	if (unlikely(rseqtrace_enabled(rseqtrace_cyg_profile, func_exit)))
		trace_exit(fn, site);
}

static RT_NO_INSTRUMENT void after_fork_child(void)
{
	__atomic_store_n(&sd_seen, 0, __ATOMIC_RELAXED);
}

static RT_NO_INSTRUMENT __attribute__((constructor)) void cyg_profile_init(void)
{
	pthread_atfork(NULL, NULL, after_fork_child);
}
