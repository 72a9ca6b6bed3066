/* SPDX-License-Identifier: MIT */
#include "common/time.h"

uint64_t rt_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t rt_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct timespec rt_ms_timespec(uint64_t ms)
{
	return (struct timespec){
		.tv_sec = (time_t)(ms / 1000),
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};
}

struct timespec rt_timespec_add_ms(struct timespec t, uint64_t ms)
{
	struct timespec d = rt_ms_timespec(ms);
	t.tv_sec += d.tv_sec;
	t.tv_nsec += d.tv_nsec;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

struct timespec rt_deadline_ms(uint64_t ms)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return rt_timespec_add_ms(now, ms);
}
