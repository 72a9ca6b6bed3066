/* SPDX-License-Identifier: MIT */
/* The daemon's log (log.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

FILE *log_file_open(const char *path, char *why, size_t n)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(why, n, "%s", errno == ELOOP ? "it is a symbolic link" : strerror(errno));
		return NULL;
	}
	struct stat st;
	const char *bad = NULL;
	if (fstat(fd, &st) != 0)
		bad = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		bad = "not a regular file";
	else if (st.st_uid != geteuid())
		bad = "it belongs to another user";
	else if (st.st_nlink != 1)
		bad = "it has other hard links";
	FILE *f = bad ? NULL : fdopen(fd, "a");
	if (!f) {
		snprintf(why, n, "%s", bad ? bad : strerror(errno));
		close(fd);
	}
	return f;
}
