/* SPDX-License-Identifier: MIT */
/*
 * A classic-BPF seccomp filter for tests: the listed system calls fail with
 * a chosen errno, as a sandbox's or a container runtime's profile makes
 * them; every other call is allowed. Used by tp_rcu (membarrier denied)
 * and rt_seccomp_exec (rseq denied).
 */
#ifndef RT_TESTS_SECCOMP_DENY_H
#define RT_TESTS_SECCOMP_DENY_H
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define RT_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define RT_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "seccomp_deny.h: no audit architecture for this target"
#endif

#define RT_DENY_MAX 8

/* Installs the filter for this thread, or with flags
 * SECCOMP_FILTER_FLAG_TSYNC for every thread; the filter is inherited by
 * children and kept across execve. System call numbers are compared only
 * for this architecture (the numbers of another ABI are other calls): a
 * call made through another one is allowed. 0, or -1 with errno. */
static inline int rt_deny_syscalls(const long *nrs, int n, int err, unsigned flags)
{
	if (n < 0 || n > RT_DENY_MAX || err <= 0 || (unsigned)err > SECCOMP_RET_DATA) {
		errno = EINVAL;
		return -1;
	}
	struct sock_filter f[4 + 2 * RT_DENY_MAX + 1];
	int k = 0;
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, RT_AUDIT_ARCH, 1, 0);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	for (int i = 0; i < n; i++) {
		f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nrs[i], 0, 1);
		f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
						      SECCOMP_RET_ERRNO | (uint32_t)err);
	}
	f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = (unsigned short)k, .filter = f };
	/* Without CAP_SYS_ADMIN the kernel takes a filter only from a thread
	 * that can gain no privileges by execve. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (r > 0) /* TSYNC: the id of a thread that could not take the filter */
		errno = EAGAIN;
	return r == 0 ? 0 : -1;
}
#endif
