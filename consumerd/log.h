/* SPDX-License-Identifier: MIT */
/* The daemon's log: one line per message, local time, level, text. */
#ifndef RT_CONSUMERD_LOG_H
#define RT_CONSUMERD_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };
/* f: NULL for stderr. The log is the process's, like stderr: it outlives
 * any one daemon instance (the fuzz harness makes many). */
void log_open(FILE *f, int level);
/* Opens path for appending, the safe way: never through a symlink at its
 * name (O_NOFOLLOW), created 0600, and an existing file must be a regular
 * file of ours with one link (not a hard link to someone's file). NULL
 * with why. */
FILE *log_file_open(const char *path, char *why, size_t n);
void logm(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A condition a peer can repeat as fast as it likes (a flood of
 * connections): logged at most once per interval, each line saying how
 * many more times it happened since the last one. Zero-initialized. */
struct log_every {
	uint64_t last_ms; /* when the last line was written, 0: never */
	uint64_t skipped; /* occurrences not logged since */
};
void logm_every(struct log_every *e, uint64_t interval_ms, int level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
