/* SPDX-License-Identifier: MIT */
/*
 * Time for timeouts and deadlines: CLOCK_MONOTONIC only, which setting the
 * wall clock does not move. Wall-clock time is for names and stamps.
 */
#ifndef RT_COMMON_TIME_H
#define RT_COMMON_TIME_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in milliseconds, in nanoseconds. */
uint64_t rt_now_ms(void);
uint64_t rt_now_ns(void);
/* A duration as a timespec (timerfd periods, relative waits). */
struct timespec rt_ms_timespec(uint64_t ms);
/* t + ms, normalized. */
struct timespec rt_timespec_add_ms(struct timespec t, uint64_t ms);
/* CLOCK_MONOTONIC now + ms: for pthread_mutex_clocklock and the like. */
struct timespec rt_deadline_ms(uint64_t ms);

#endif
