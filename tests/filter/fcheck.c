/* SPDX-License-Identifier: MIT */
/*
 * The filter compiler, verifier and interpreter in one process, for the
 * oracle (oracle.py): the event rtf:ev's real probe fills its argument
 * view (this file stands in for librseqtrace's entry points), the daemon's
 * compiler makes the program from the event's description as the daemon
 * sees it, the app's binder verifies it against the static description,
 * and the interpreter runs it on the probe's argument view.
 *
 * stdin, one command a line; stdout, one answer a line:
 *   X EXPR                      ERR msg | NA msg | OK
 *   V i u l ul b f g s t        (tab-separated after "V\t"; t "<NULL>": a NULL
 *                               pointer) 1 | 0
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fstub.h"

static void set_expr(const struct rt_desc *d, const char *text)
{
	char err[300];
	rt_fp_free(prog);
	stub_set(NULL);
	struct rt_filter *f = rt_filter_parse(text, err, sizeof err);
	if (!f) {
		printf("ERR %s\n", err);
		return;
	}
	uint8_t *p;
	size_t n;
	int r = rt_filter_compile(f, d, &p, &n, err, sizeof err);
	rt_filter_free(f);
	if (r <= 0) {
		printf("%s %s\n", r == 0 ? "NA" : "BIG", err);
		return;
	}
	stub_set(rt_fp_bind(p, n, &rseqtrace__desc_rtf__ev, err, sizeof err));
	free(p);
	if (!prog) {
		printf("REFUSED %s\n", err); /* a compiler bug: the oracle fails on it */
		return;
	}
	printf("OK\n");
}

static void run_values(char *line)
{
	char *v[9];
	for (int k = 0; k < 9; k++) {
		v[k] = strsep(&line, "\t");
		if (!v[k]) {
			printf("BADLINE\n");
			return;
		}
	}
	result = -2;
	rseqtrace__probe_rtf__ev(&rseqtrace__ev_rtf__ev, NULL, 7, (int32_t)strtol(v[0], 0, 10),
				 (uint16_t)strtoul(v[1], 0, 10), (int64_t)strtoll(v[2], 0, 10),
				 (uint64_t)strtoull(v[3], 0, 10), (int8_t)strtol(v[4], 0, 10),
				 strtod(v[5], 0), strtof(v[6], 0), v[7], ftp_str(v[8]));
	printf("%d\n", stub_answer());
}

int main(void)
{
	stub_init();
	struct rt_desc *d = daemon_desc();
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = 0;
		if (line[0] == 'X' && line[1] == ' ')
			set_expr(d, line + 2);
		else if (line[0] == 'V' && line[1] == '\t' && prog)
			run_values(line + 2);
		else
			printf("?\n");
		fflush(stdout);
	}
	free(line);
	rt_fp_free(prog);
	rt_desc_free(d);
	return 0;
}
