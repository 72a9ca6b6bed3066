/* SPDX-License-Identifier: MIT */
/*
 * x86-64 operations for the ring buffer. Same op set as arch/aarch64.h:
 *
 *   RT_RSEQ_SIG                 the signature glibc registered
 *   rt_arch_copy_commit_at()    the restartable copy-and-commit sequence
 *   rt_arch_copy_commit()       the same, checking rseq->cpu_id
 *   rt_arch_cycles()            the cycle counter (TSC clock)
 *
 * rt_arch_copy_commit_at(rs, id, cpu, offp, expect, newv, dst, src, len):
 *   inside one restartable sequence, if *id == cpu, where id points into
 *   the rseq area rs (cpu_id: the thread still runs on `cpu`; mm_cid: it
 *   still has concurrency id `cpu`), and *offp == expect, copy len bytes
 *   (a non-zero multiple of 8) from src to dst and store *offp = newv as
 *   the last instruction of the sequence.
 *   Returns 0 when committed, 1 when *offp had changed, -1 when aborted
 *   (preempted, migrated, signalled, or *id != cpu).
 * rt_arch_copy_commit(rs, cpu, ...) is the same with id = &rs->cpu_id.
 *
 * Each sequence registers itself in the tables of rseq-tables.h.
 */
#ifndef RT_ARCH_X86_64_H
#define RT_ARCH_X86_64_H

#include <stdint.h>

#include "ringbuf/arch/rseq-tables.h"

#define RT_RSEQ_SIG 0x53053053

/* The 4 bytes before the abort label are the signature; ud1 makes a
 * fall-through into them trap. */
#define RT_RSEQ_ABORT(label, target)                                        \
	".pushsection __rseq_failure, \"ax\"\n\t"                           \
	".byte 0x0f, 0xb9, 0x3d\n\t"                                        \
	".long " RT_STR(RT_RSEQ_SIG) "\n\t"                                 \
	RT_STR(label) ":\n\t"                                               \
	"jmp " RT_STR(target) "\n\t"                                        \
	".popsection\n\t"

static inline __attribute__((always_inline)) int
rt_arch_copy_commit_at(void *rs, const uint32_t *id, uint32_t cpu, uint64_t *offp,
		       uint64_t expect, uint64_t newv, void *dst, const void *src, uint64_t len)
{
	__asm__ goto(
		RT_RSEQ_CS_TABLE(3, 1f, 2f, 4f)
		RT_RSEQ_EXIT_POINT(1f, %l[changed])
		/* Arm: the store of rseq_cs is the last instruction before
		 * start_ip, so a signal taken after it finds the IP in range. */
		"leaq 3b(%%rip), %%rax\n\t"
		"movq %%rax, 8(%[rs])\n\t"
		"1:\n\t"
		"cmpl %[cpu], (%[id])\n\t"       /* rseq->cpu_id (mm_cid) == cpu ? */
		"jnz 4f\n\t"
		"cmpq %[expect], (%[offp])\n\t"  /* offset unchanged ? */
		"jnz %l[changed]\n\t"
		"xorl %%ecx, %%ecx\n\t"
		"5:\n\t"
		"movq (%[src], %%rcx), %%rax\n\t"
		"movq %%rax, (%[dst], %%rcx)\n\t"
		"addq $8, %%rcx\n\t"
		"cmpq %[len], %%rcx\n\t"
		"jb 5b\n\t"
		/* Commit: a plain store is a release store on x86 (TSO). */
		"movq %[newv], (%[offp])\n\t"
		"2:\n\t"
		RT_RSEQ_ABORT(4, %l[aborted])
		:
		: [rs] "r"(rs), [id] "r"(id), [cpu] "r"(cpu), [offp] "r"(offp),
		  [expect] "r"(expect), [newv] "r"(newv), [dst] "r"(dst),
		  [src] "r"(src), [len] "r"(len)
		: "memory", "cc", "rax", "rcx"
		: changed, aborted);
	return 0;
changed:
	return 1;
aborted:
	RT_ABORTED(rs);
	return -1;
}

/* Indexed by CPU: the word checked is rseq->cpu_id (offset 4). */
static inline __attribute__((always_inline)) int
rt_arch_copy_commit(void *rs, uint32_t cpu, uint64_t *offp, uint64_t expect,
		    uint64_t newv, void *dst, const void *src, uint64_t len)
{
	return rt_arch_copy_commit_at(rs, (const uint32_t *)((char *)rs + 4), cpu, offp,
				      expect, newv, dst, src, len);
}

static inline uint64_t rt_arch_cycles(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#endif
