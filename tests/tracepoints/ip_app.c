/* SPDX-License-Identifier: MIT */
/*
 * The ip context: call sites in known functions (built with -O2 -g, see
 * CMakeLists.txt), one of them in a shared library. Prints where those
 * functions are and what became of a call site and a probe built for
 * another ABI:
 *   alpha=0x.. beta=0x.. lib=0x.. n=N pid=P old_linked=0|1 new_linked=0|1
 *   old_probe_registered=0|1
 * check_ip.py checks each event's ip against these addresses, and what
 * `babeltrace2 --debug-info` makes of them (with the state dump of
 * librseqtrace-probes.so, which this program links).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define RSEQTRACE_CREATE_PROBES
#include "ip_tp.h"

void ip_lib_caller(int n);

/* rseqtrace() is the last statement: without the barrier in the macro,
 * gcc -O2 would jump to the out-of-line call (a tail call) and the ip
 * would point into main. */
__attribute__((noinline)) void ip_caller_alpha(int n)
{
	rseqtrace(iptest, hit, n, 1);
}

__attribute__((noinline)) void ip_caller_beta(int n)
{
	rseqtrace(iptest, hit, n, 2);
	rseqtrace(iptest, empty);
	rseqtrace(iptest, text, n & 1 ? "odd" : "even!");
}

/* A call site built for ABI 0 (the reserved byte of ABI 1 headers):
 * librseqtrace must never link it to the probe, whose arguments differ. */
static struct rseqtrace_tracepoint old_tp = { .abi = 0, .name = "iptest:hit" };
static struct rseqtrace_tracepoint *const old_list[] = { &old_tp };

/* A probe built for ABI 4 (it read no quick filter behind a tagged rt):
 * librseqtrace must refuse it, and so never call it. */
static void old_probe(void)
{
	abort();
}
static const struct rseqtrace_event_desc old_desc = {
	.abi = 4, .loglevel = RSEQTRACE_LOGLEVEL_INFO, .provider = "iptest", .name = "old",
	.signature = "int, n", .nr_fields = 0, .fields = NULL,
};
static struct rseqtrace_event old_ev = { .desc = &old_desc, .probe = old_probe };
static struct rseqtrace_event *const old_evs[] = { &old_ev };

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10;
	old_tp.signature = rseqtrace__tp_iptest__hit.signature;
	rseqtrace__register_tracepoints(old_list, old_list + 1);
	rseqtrace__register_events(old_evs, old_evs + 1);
	for (int i = 0; i < n; i++) {
		ip_caller_alpha(i);
		ip_caller_beta(i);
		ip_lib_caller(i);
	}
	printf("alpha=%p beta=%p lib=%p n=%d pid=%d old_linked=%d new_linked=%d "
	       "old_probe_registered=%d\n",
	       (void *)(uintptr_t)ip_caller_alpha, (void *)(uintptr_t)ip_caller_beta,
	       (void *)(uintptr_t)ip_lib_caller, n, (int)getpid(),
	       __atomic_load_n(&old_tp.event, __ATOMIC_ACQUIRE) != NULL,
	       __atomic_load_n(&rseqtrace__tp_iptest__hit.event, __ATOMIC_ACQUIRE) != NULL,
	       old_ev.reg != NULL);
	rseqtrace__unregister_events(old_evs, old_evs + 1);
	rseqtrace__unregister_tracepoints(old_list, old_list + 1);
	return 0;
}
