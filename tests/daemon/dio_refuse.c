/* SPDX-License-Identifier: MIT */
/*
 * LD_PRELOAD shim: every pwritev to a file open with O_DIRECT fails with
 * EINVAL, as on a file system that takes O_DIRECT at open and refuses the
 * writes. tests/daemon/test_odirect.py runs the daemon under it: its
 * stream files must go on buffered, losing nothing.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/uio.h>

ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t at)
{
	static ssize_t (*real)(int, const struct iovec *, int, off_t);
	if (!real)
		real = (ssize_t (*)(int, const struct iovec *, int, off_t))dlsym(RTLD_NEXT, "pwritev");
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && (fl & O_DIRECT)) {
		errno = EINVAL;
		return -1;
	}
	return real(fd, iov, n, at);
}
