/* SPDX-License-Identifier: MIT */
/*
 * LD_PRELOAD shim: this process's wall clock reads an hour ahead, as if it
 * had been set back by an hour after every read. A wait whose deadline is
 * computed from CLOCK_REALTIME then lasts an hour more; one computed from
 * CLOCK_MONOTONIC does not move. tests/daemon/test_faults.py runs the
 * daemon under it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <time.h>

#define SHIFT_S 3600

int clock_gettime(clockid_t id, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	if (!real)
		real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	int r = real(id, ts);
	if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += SHIFT_S;
	return r;
}

time_t time(time_t *t)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (t)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
