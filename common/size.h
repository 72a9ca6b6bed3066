/* SPDX-License-Identifier: MIT */
/* Sizes and durations as users write them, for the CLI's and the daemon's
 * options. */
#ifndef RT_COMMON_SIZE_H
#define RT_COMMON_SIZE_H

#include <stdint.h>

/* "4096", "4k", "4K", "1M", "2m", "1G" (optionally "KiB"/"MB"-style
 * suffixes): 0, or -1 if s is not a size or overflows. */
int rt_parse_size(const char *s, uint64_t *out);

/* A duration as lttng takes one (its timers, --live, rotation periods):
 * microseconds, or a number with us, ms, s, m (minutes) or h: 0, or -1 if
 * s is not a duration or overflows. */
int rt_parse_duration_us(const char *s, uint64_t *out);

#endif
