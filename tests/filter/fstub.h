/* SPDX-License-Identifier: MIT */
/*
 * For the filter tests that run programs in one process (fcheck.c,
 * fverify.c): librseqtrace's entry points replaced, so that rtf:ev's real
 * probe, its event tagged as filtered (stub_init), hands its argument view
 * to the program in `prog`, whose answer lands in `result` (-2: not run).
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
	return 0;
}

/* rtf:ev as librseqtrace shows it to its probe when a channel filters it. */
static void stub_init(void)
{
	rseqtrace__ev_rtf__ev.rt = (void *)(uintptr_t)1;
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
