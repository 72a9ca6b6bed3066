/* SPDX-License-Identifier: MIT */
/*
 *   rt_seccomp_exec ENOSYS|EPERM CMD ARGS...
 *
 * Runs CMD (execvp, same pid) under a seccomp filter that makes rseq(2)
 * fail with that errno, as a sandbox's or container runtime's profile
 * may. glibc's registration then fails in every thread of CMD
 * (__rseq_size 0, cpu_id -2), so librseqtrace must write locked mode.
 * A filter can only make rseq fail: it cannot make it succeed without
 * registering.
 *
 * Before the exec it checks that the filter answers: rseq with arguments
 * the kernel itself would refuse with EINVAL (this thread is registered
 * already) fails with the chosen errno instead. Exit 126 if the filter
 * cannot be installed or does not answer, 127 if CMD cannot be run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/common/seccomp_deny.h"

static int errno_named(const char *name)
{
	if (!strcmp(name, "ENOSYS"))
		return ENOSYS;
	if (!strcmp(name, "EPERM"))
		return EPERM;
	return 0;
}

int main(int argc, char **argv)
{
	int err = argc > 2 ? errno_named(argv[1]) : 0;
	if (!err) {
		fprintf(stderr, "usage: rt_seccomp_exec ENOSYS|EPERM CMD ARGS...\n");
		return 2;
	}
	static const long rseq_nr[] = { __NR_rseq };
	if (rt_deny_syscalls(rseq_nr, 1, err, 0) != 0) {
		fprintf(stderr, "rt_seccomp_exec: cannot install the filter: %s\n", strerror(errno));
		return 126;
	}
	errno = 0;
	long r = syscall(__NR_rseq, NULL, 0, 0, 0);
	if (r != -1 || errno != err) {
		fprintf(stderr, "rt_seccomp_exec: rseq not denied by the filter (%ld, %s)\n", r,
			strerror(errno));
		return 126;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "rt_seccomp_exec: %s: %s\n", argv[2], strerror(errno));
	return 127;
}
