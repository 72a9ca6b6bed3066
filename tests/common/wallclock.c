/* SPDX-License-Identifier: MIT */
/* See wallclock.h. This definition of clock_gettime takes the place of the
 * C library's in the program and, exported, in its shared libraries. */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tests/common/wallclock.h"

static int64_t offset_ns;

void wallclock_step(int64_t ns)
{
	__atomic_add_fetch(&offset_ns, ns, __ATOMIC_SEQ_CST);
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	if (syscall(SYS_clock_gettime, id, ts) != 0)
		return -1;
	if (id != CLOCK_REALTIME && id != CLOCK_REALTIME_COARSE)
		return 0;
	int64_t ns = (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec +
		     __atomic_load_n(&offset_ns, __ATOMIC_RELAXED);
	ts->tv_sec = (time_t)(ns / 1000000000);
	ts->tv_nsec = (long)(ns % 1000000000);
	return 0;
}
