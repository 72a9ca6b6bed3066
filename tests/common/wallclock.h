/* SPDX-License-Identifier: MIT */
/*
 * A wall clock a test can step without touching the system's (other
 * programs on the machine keep the real one): a program linked with
 * wallclock.c sees CLOCK_REALTIME moved by the sum of its steps, through
 * clock_gettime, in its own code and in the libraries it loads. The
 * kernel's timed waits on CLOCK_REALTIME still run on the real clock, so a
 * deadline computed from the stepped clock is exactly what the real clock
 * being set by -step right after the computation would do to it.
 */
#ifndef RT_TEST_WALLCLOCK_H
#define RT_TEST_WALLCLOCK_H

#include <stdint.h>

void wallclock_step(int64_t ns);

#endif
