/* SPDX-License-Identifier: MIT */
/* The daemon's log (log.h). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "consumerd/log.h"

static FILE *log_file;
static int log_level = LOG_INFO;

void log_open(FILE *f, int level)
{
	log_file = f;
	log_level = level;
}

void logm(int level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	FILE *f = log_file ? log_file : stderr;
	if (level > log_level)
		return;
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	char when[32];
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	va_list ap;
	va_start(ap, fmt);
	flockfile(f);
	fprintf(f, "%s.%03ld rseqtraced: %s: ", when, ts.tv_nsec / 1000000, names[level]);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	funlockfile(f);
	fflush(f);
	va_end(ap);
}
