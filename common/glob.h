/* SPDX-License-Identifier: MIT */
#ifndef RT_COMMON_GLOB_H
#define RT_COMMON_GLOB_H

/*
 * lttng's event-name patterns: '*' matches any run of characters (none
 * included), anywhere in the pattern; '\*' is a literal star; every other
 * character matches itself. 1 on match. Iterative with one backtrack
 * point: linear in practice, never exponential.
 */
int rt_glob_match(const char *pattern, const char *name);

#endif
