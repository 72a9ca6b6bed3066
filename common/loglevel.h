/* SPDX-License-Identifier: MIT */
/* The 15 loglevels, lttng's: 0 EMERG (most severe) .. 14 DEBUG. */
#ifndef RT_COMMON_LOGLEVEL_H
#define RT_COMMON_LOGLEVEL_H

#define RT_LOGLEVEL_COUNT 15

/* "INFO" for 6; NULL if out of range. */
const char *rt_loglevel_name(int level);
/* "6", "INFO", "info" or "TRACE_INFO" -> 6; -1 if none of these. */
int rt_loglevel_parse(const char *s);

#endif
