/* SPDX-License-Identifier: MIT */
/*
 * For the filter tests that run programs in one process (fcheck.c,
 * fverify.c): librseqtrace's entry points replaced, so that rtf:ev's real
 * probe, its event tagged as filtered (stub_init) as for one channel whose
 * filter is the program in `prog` (stub_set), checks the list's quick
 * filter and hands its argument view to the program, whose answer lands
 * in `result` (stub_run).
 */
#ifndef FSTUB_H
#define FSTUB_H
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RSEQTRACE_CREATE_PROBES
#include "ftp.h"

#include "eventdesc/desc_wire.h"
#include "filter/compile.h"
#include "filter/program.h"

static struct rt_fp *prog;
static int result;
/* What librseqtrace publishes first in the attachment list of one
 * channel whose filter is prog: its quick form, or all zeros (holds for
 * every value) if it has none. */
static struct rseqtrace_quick stub_quick;

/* librseqtrace's entry points, as the probe calls them. */
unsigned long rseqtrace__read_lock(void) { return 0; }
void rseqtrace__read_unlock(unsigned long t) { (void)t; }
void rseqtrace__register_tracepoints(struct rseqtrace_tracepoint *const *a,
				     struct rseqtrace_tracepoint *const *b) { (void)a; (void)b; }
void rseqtrace__unregister_tracepoints(struct rseqtrace_tracepoint *const *a,
				       struct rseqtrace_tracepoint *const *b) { (void)a; (void)b; }
void rseqtrace__register_events(struct rseqtrace_event *const *a, struct rseqtrace_event *const *b)
{ (void)a; (void)b; }
void rseqtrace__unregister_events(struct rseqtrace_event *const *a,
				  struct rseqtrace_event *const *b) { (void)a; (void)b; }
void rseqtrace__drop_big(const void *rt, uint32_t first, const void *ip,
			 union rseqtrace_arg *args)
{
	(void)rt, (void)first, (void)ip, (void)args;
	result = -1;
}
void rseqtrace__emit(const void *rt, uint32_t first, const void *ip,
		     union rseqtrace_arg *args, char *payload, size_t len)
{
	(void)rt, (void)first, (void)ip, (void)args, (void)payload, (void)len;
	result = -3; /* staged: the filter stub never lets it */
}
/* The program's answer; 0: the probe stages nothing. */
uint32_t rseqtrace__filter(const void *rt, const void *ip, union rseqtrace_arg *args)
{
	(void)rt;
	struct rt_fp_env env = { .args = args, .ip = ip, .vpid = 1, .vtid = 2,
				 .procname = "fcheck", /* test_oracle.py's CTX_VALUES: */
				 .ids = { { 1000, 1001, 1002 }, { 2000, 2001, 2002 } } };
	for (unsigned k = 0; k < 8; k++)
		env.ns[k] = 4026531835u + k;
	result = rt_fp_run(prog, &env);
	if (stub_quick.set && !result)
		result = -4; /* the probe's quick filter let it through */
	return 0;
}

/* rtf:ev as librseqtrace shows it to its probe when a channel filters it. */
static void stub_init(void)
{
	rseqtrace__ev_rtf__ev.rt = (void *)((uintptr_t)&stub_quick + 1);
}

static void stub_set(struct rt_fp *f)
{
	prog = f;
	stub_quick = f ? *rt_fp_quick_of(f) : (struct rseqtrace_quick){ 0 };
}

/* After a call of the probe with result = -2: what it made of the hit,
 * 1 or 0 (-2: the program did not run although no quick filter stopped
 * the hit; -4: the quick filter let through a hit the program rejects). */
static int stub_answer(void)
{
	return result == -2 && stub_quick.set ? 0 : result;
}

/* rtf:ev's description as the daemon has it: flattened and parsed. */
static struct rt_desc *daemon_desc(void)
{
	static char blob[8192];
	char err[200];
	ssize_t n = rt_desc_flatten(&rseqtrace__desc_rtf__ev, blob, sizeof blob);
	struct rt_desc *d = n > 0 ? rt_desc_parse(blob, (size_t)n, err, sizeof err) : NULL;
	if (!d) {
		fprintf(stderr, "fcheck: description: %s\n", n > 0 ? err : "flatten failed");
		exit(2);
	}
	return d;
}

#endif
