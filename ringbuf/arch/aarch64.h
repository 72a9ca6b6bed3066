/* SPDX-License-Identifier: MIT */
/*
 * aarch64 operations for the ring buffer: the op set of arch/x86_64.h
 * (see there for the contract). Cross-compiled with gcc-aarch64-linux-gnu
 * and run in rseq mode on an arm64 kernel under qemu-system-aarch64
 * (scripts/aarch64-vm, ctest aarch64.qemu_rseq).
 */
#ifndef RT_ARCH_AARCH64_H
#define RT_ARCH_AARCH64_H

#include <stdint.h>

#include "ringbuf/arch/rseq-tables.h"

/* BRK #0x45E0, little-endian instruction encoding. */
#define RT_RSEQ_SIG 0xd428bc00

#define RT_RSEQ_ABORT(label, target)                                        \
	".pushsection __rseq_failure, \"ax\"\n\t"                           \
	".inst " RT_STR(RT_RSEQ_SIG) "\n\t"                                 \
	RT_STR(label) ":\n\t"                                               \
	"b " RT_STR(target) "\n\t"                                          \
	".popsection\n\t"

static inline __attribute__((always_inline)) int
rt_arch_copy_commit_at(void *rs, const uint32_t *id, uint32_t cpu, uint64_t *offp,
		       uint64_t expect, uint64_t newv, void *dst, const void *src, uint64_t len)
{
	__asm__ goto(
		RT_RSEQ_CS_TABLE(3, 1f, 2f, 4f)
		RT_RSEQ_EXIT_POINT(1f, %l[changed])
		"adrp x9, 3b\n\t"
		"add x9, x9, :lo12:3b\n\t"
		"str x9, [%[rs], #8]\n\t"
		"1:\n\t"
		"ldr w10, [%[id]]\n\t"
		"cmp w10, %w[cpu]\n\t"
		"bne 4f\n\t"
		"ldr x10, [%[offp]]\n\t"
		"cmp x10, %[expect]\n\t"
		"bne %l[changed]\n\t"
		"mov x11, #0\n\t"
		"5:\n\t"
		"ldr x10, [%[src], x11]\n\t"
		"str x10, [%[dst], x11]\n\t"
		"add x11, x11, #8\n\t"
		"cmp x11, %[len]\n\t"
		"b.lo 5b\n\t"
		/* Commit with release semantics: the copy is visible first. */
		"stlr %[newv], [%[offp]]\n\t"
		"2:\n\t"
		RT_RSEQ_ABORT(4, %l[aborted])
		:
		: [rs] "r"(rs), [id] "r"(id), [cpu] "r"(cpu), [offp] "r"(offp),
		  [expect] "r"(expect), [newv] "r"(newv), [dst] "r"(dst),
		  [src] "r"(src), [len] "r"(len)
		: "memory", "cc", "x9", "x10", "x11"
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
	uint64_t v;
	__asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(v) : : "memory");
	return v;
}

#endif
