/* SPDX-License-Identifier: MIT */
/*
 * Counts the restartable-sequence aborts of a test program. Linked into the
 * programs scripts/aarch64-vm runs, whose ring buffer is compiled with
 * -DRT_TEST_ABORT_HOOK=rt_test_aborted (ringbuf/arch/rseq-tables.h): every
 * sequence that lands on its abort handler calls it, whether the kernel
 * moved the IP there (preemption, migration, signal inside the sequence) or
 * the sequence's own cpu_id check branched there. At exit the process
 * prints one line the script parses:
 *
 *   rseq aborts: N at the abort handlers (pid P)
 *
 * /init counts the kernel's side (its rseq_ip_fixup trace event); N is at
 * least that.
 */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

void rt_test_aborted(void *rs);

static uint64_t aborts;

void rt_test_aborted(void *rs)
{
	(void)rs;
	__atomic_fetch_add(&aborts, 1, __ATOMIC_RELAXED);
}

__attribute__((destructor)) static void print_aborts(void)
{
	printf("rseq aborts: %llu at the abort handlers (pid %d)\n",
	       (unsigned long long)__atomic_load_n(&aborts, __ATOMIC_RELAXED), (int)getpid());
	fflush(stdout);
}
