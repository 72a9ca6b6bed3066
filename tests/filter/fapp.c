/* SPDX-License-Identifier: MIT */
/*
 * The filter tests' instrumented program: for each line of FILE
 * ("i u l ul b f g s t", tab-separated, as test_oracle.py writes them; t
 * "<NULL>": a NULL pointer) it emits rtf:ev with n = the line's number (from 0), then rtf:noisy1,
 * rtf:noisy2, rtf:debug and rtf:keep with the same n. Prints "emitted=N
 * ev_enabled=E" (lines; whether rtf:ev's call sites are enabled at the end).
 *
 *   rt_fapp FILE [--hold PATH]   (--hold: then wait until PATH exists)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define RSEQTRACE_CREATE_PROBES
#include "ftp.h"

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	FILE *f = fopen(argv[1], "r");
	if (!f)
		return 2;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	uint32_t n = 0;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[len - 1] = 0;
		char *p = line, *v[9];
		for (int k = 0; k < 9; k++)
			v[k] = strsep(&p, "\t");
		if (!v[8])
			return 3;
		rseqtrace(rtf, ev, n, (int32_t)strtol(v[0], 0, 10), (uint16_t)strtoul(v[1], 0, 10),
			  (int64_t)strtoll(v[2], 0, 10), (uint64_t)strtoull(v[3], 0, 10),
			  (int8_t)strtol(v[4], 0, 10), strtod(v[5], 0), strtof(v[6], 0), v[7],
			  ftp_str(v[8]));
		rseqtrace(rtf, noisy1, n);
		rseqtrace(rtf, noisy2, n);
		rseqtrace(rtf, debug, n);
		rseqtrace(rtf, keep, n);
		n++;
	}
	free(line);
	fclose(f);
	printf("emitted=%u ev_enabled=%d\n", n, rseqtrace_enabled(rtf, ev));
	fflush(stdout);
	if (argc > 3 && strcmp(argv[2], "--hold") == 0) {
		struct stat st;
		for (int k = 0; k < 60000 && stat(argv[3], &st) != 0; k++)
			nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	return 0;
}
