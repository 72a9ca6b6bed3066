/* SPDX-License-Identifier: MIT */
/*
 * The tables every restartable sequence registers, the same on every
 * architecture (only addresses and pointer sizes go in them):
 *
 *   __rseq_cs                 the descriptor the kernel reads
 *                             { u32 version = 0; u32 flags = 0;
 *                               u64 start_ip, post_commit_offset, abort_ip }
 *   __rseq_cs_ptr_array       a pointer to each descriptor
 *   __rseq_exit_point_array   (start_ip, exit_ip) for each jump out of a
 *                             sequence to C code
 *
 * The last two are the conventions debuggers and librseq use to find
 * critical sections; the kernel does not read them.
 */
#ifndef RT_ARCH_RSEQ_TABLES_H
#define RT_ARCH_RSEQ_TABLES_H

#define RT_STR_(x) #x
#define RT_STR(x) RT_STR_(x)

/* desc: label of the descriptor; start/post_commit/abort: code labels. */
#define RT_RSEQ_CS_TABLE(desc, start, post_commit, abort)                  \
	".pushsection __rseq_cs, \"aw\"\n\t"                                \
	".balign 32\n\t"                                                    \
	RT_STR(desc) ":\n\t"                                                \
	".long 0x0, 0x0\n\t"                                                \
	".quad " RT_STR(start) ", (" RT_STR(post_commit) " - " RT_STR(start) "), " RT_STR(abort) "\n\t" \
	".popsection\n\t"                                                   \
	".pushsection __rseq_cs_ptr_array, \"aw\"\n\t"                      \
	".quad " RT_STR(desc) "b\n\t"                                        \
	".popsection\n\t"

#define RT_RSEQ_EXIT_POINT(start, exit)                                     \
	".pushsection __rseq_exit_point_array, \"aw\"\n\t"                  \
	".quad " RT_STR(start) ", " RT_STR(exit) "\n\t"                     \
	".popsection\n\t"

/*
 * Test builds only: with -DRT_TEST_ABORT_HOOK=name, every sequence that
 * lands on its abort handler calls name(rseq area) before returning -1, so
 * a test can count the aborts that really happened (tests/aarch64/vm).
 * The library never defines it.
 */
#ifdef RT_TEST_ABORT_HOOK
void RT_TEST_ABORT_HOOK(void *rs);
#define RT_ABORTED(rs) RT_TEST_ABORT_HOOK(rs)
#else
#define RT_ABORTED(rs) ((void)(rs))
#endif

#endif
