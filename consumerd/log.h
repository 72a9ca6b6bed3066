/* SPDX-License-Identifier: MIT */
/* The daemon's log: one line per message, local time, level, text. */
#ifndef RT_CONSUMERD_LOG_H
#define RT_CONSUMERD_LOG_H

#include <stdio.h>

enum { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };
/* f: NULL for stderr. The log is the process's, like stderr: it outlives
 * any one daemon instance (the fuzz harness makes many). */
void log_open(FILE *f, int level);
void logm(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
