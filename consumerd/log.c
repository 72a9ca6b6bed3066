/* SPDX-License-Identifier: MIT */
/* The daemon's log (log.h). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "common/time.h"
#include "consumerd/log.h"

static FILE *log_file;
static int log_level = LOG_INFO;

void log_open(FILE *f, int level)
{
	log_file = f;
	log_level = level;
}

static void vlogm(int level, const char *fmt, va_list ap, const char *tail)
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
	flockfile(f);
	fprintf(f, "%s.%03ld rseqtraced: %s: ", when, ts.tv_nsec / 1000000, names[level]);
	vfprintf(f, fmt, ap);
	fputs(tail, f);
	fputc('\n', f);
	funlockfile(f);
	fflush(f);
}

void logm(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlogm(level, fmt, ap, "");
	va_end(ap);
}

void logm_every(struct log_every *e, uint64_t interval_ms, int level, const char *fmt, ...)
{
	uint64_t now = rt_now_ms();
	if (e->last_ms && now - e->last_ms < interval_ms) {
		e->skipped++;
		return;
	}
	char tail[96] = "";
	if (e->skipped)
		snprintf(tail, sizeof tail, " (and %llu more times in the last %llu s)",
			 (unsigned long long)e->skipped,
			 (unsigned long long)(now - e->last_ms + 500) / 1000);
	e->last_ms = now ? now : 1;
	e->skipped = 0;
	va_list ap;
	va_start(ap, fmt);
	vlogm(level, fmt, ap, tail);
	va_end(ap);
}
