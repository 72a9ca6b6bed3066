/* SPDX-License-Identifier: MIT */
/*
 * librseqtrace's start-up (before any instrumented object registers, since
 * those depend on it), fork handling, and small public helpers.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rseqtrace/session.h>

#include "common/loglevel.h"
#include "tracepoints/channel.h"
#include "tracepoints/rcu.h"
#include "tracepoints/runtime.h"
#include "tracepoints/session_int.h"

/*
 * Fork: the library's locks are held across fork() so the child inherits
 * consistent data; the child rebuilds its locks, keeps only its own RCU
 * slot, and refreshes its pid and tid.
 *
 * Lock order, the one every path follows (a path that took them the other
 * way round would deadlock with a fork):
 *   registry lock (registry.c, recursive)
 *     -> the daemon listener's io lock (listener/ctl.c)
 *     -> the in-process session's S.lock -> S.out_lock (session.c)
 *       -> the RCU grace-period lock (rcu.c; not held across fork)
 * pthread_atfork runs prepare handlers in reverse order of registration:
 * the listener's (registered by a later constructor) takes registry, io;
 * then ours takes registry (again) and the session's.
 */
static void before_fork(void)
{
	rt_registry_before_fork();
	rt_session_before_fork();
}

static void after_fork_parent(void)
{
	rt_session_after_fork_parent();
	rt_registry_after_fork_parent();
}

static void after_fork_child(void)
{
	rt_rcu_after_fork_child();
	rt_emit_after_fork_child();
	rt_session_after_fork_child();
	rt_registry_after_fork_child();
}

static void __attribute__((constructor(101))) rseqtrace_init(void)
{
	rt_rcu_init();
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
	rt_session_from_env();
}

/* ---- public helpers ------------------------------------------------------- */

int rseqtrace_loglevel_parse(const char *s)
{
	return rt_loglevel_parse(s);
}

const char *rseqtrace_loglevel_name(int level)
{
	return rt_loglevel_name(level);
}

struct list_ctx {
	void (*cb)(void *, const char *, int, int);
	void *arg;
	int n;
};

static void list_one(void *arg, enum rt_reg_change change, const struct rt_event_info *ev)
{
	struct list_ctx *l = arg;
	(void)change;
	l->n++;
	if (l->cb)
		l->cb(l->arg, ev->name, ev->loglevel, rt_event_enabled(ev->handle) == 1);
}

int rseqtrace_list_events(void (*cb)(void *arg, const char *name, int loglevel, int enabled),
			  void *arg)
{
	struct list_ctx l = { cb, arg, 0 };
	rt_registry_foreach(list_one, &l);
	return l.n;
}
