/* SPDX-License-Identifier: MIT */
/* Option values: sizes, loglevels, patterns, paths. Each error says what
 * was wrong and what would be right. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/context.h"
#include "common/loglevel.h"
#include "common/size.h"

/* lttng's --blocking-timeout: 0 (discard), inf, or a duration. */
static int parse_blocking(const char *arg, uint64_t *us)
{
	if (strcmp(arg, "inf") == 0) {
		*us = RT_BLOCKING_INF;
		return 1;
	}
	uint64_t v;
	if (rt_parse_duration_us(arg, &v) != 0 || !rt_blocking_ok(v) || v == RT_BLOCKING_INF) {
		cli_error("--blocking-timeout '%s': give microseconds (or with us, ms, s, m, h; 0 "
			  "to %u us; 0 discards, the default) or inf", arg, RT_BLOCKING_MAX_US);
		return -1;
	}
	*us = v;
	return 1;
}

int parse_buffer_opt(int opt, const char *arg, struct buffer_opts *b)
{
	uint64_t v;
	switch (opt) {
	case OPT_BUF_UID: b->buffers = RT_BUFFERS_UID; return 1;
	case OPT_BUF_PID: b->buffers = RT_BUFFERS_PID; return 1;
	case OPT_SUBBUF:
	case OPT_NUMSUB:
		/* The daemon checks the geometry and says what is wrong. */
		if (rt_parse_size(arg, &v) != 0 || v > UINT32_MAX) {
			cli_error("--%s '%s': not a size (examples: 4096, 64k, 1M)",
				  opt == OPT_SUBBUF ? "subbuf-size" : "num-subbuf", arg);
			return -1;
		}
		*(opt == OPT_SUBBUF ? &b->subbuf_size : &b->num_subbuf) = (uint32_t)v;
		return 1;
	case OPT_CLOCK:
		if (strcmp(arg, "monotonic") == 0)
			b->clock = RT_MSG_CLOCK_MONOTONIC;
		else if (strcmp(arg, "tsc") == 0)
			b->clock = RT_MSG_CLOCK_TSC;
		else {
			cli_error("--clock '%s': choose monotonic or tsc", arg);
			return -1;
		}
		return 1;
	case OPT_BLOCKING:
		return parse_blocking(arg, &b->blocking_us);
	}
	return 0;
}

int parse_loglevel(const char *s, int32_t *out)
{
	int v = rt_loglevel_parse(s);
	if (v >= 0) {
		*out = v;
		return 0;
	}
	fprintf(stderr, "rseqtrace: error: unknown loglevel '%s'; use 0..14 or one of:", s);
	for (int i = 0; i < RT_LOGLEVEL_COUNT; i++)
		fprintf(stderr, " TRACE_%s", rt_loglevel_name(i));
	fputc('\n', stderr);
	return -1;
}

int parse_context(const char *s, uint32_t *bits)
{
	const char *p = s;
	do {
		size_t n = strcspn(p, ",");
		uint32_t bit = rt_context_bit(p, n);
		if (!bit) {
			cli_error("unknown context '%.*s': choose one of " RT_CONTEXT_NAMES
				  " (lttng add-context -u -t TYPE names)", (int)n, p);
			return -1;
		}
		*bits |= bit;
		p += n;
	} while (*p++ == ',');
	return 0;
}

int check_pattern(const char *p)
{
	if (rt_pattern_ok(p))
		return 0;
	if (!*p)
		cli_error("empty event pattern");
	else if (strlen(p) >= RT_PATTERN_MAX)
		cli_error("event pattern longer than %u characters", RT_PATTERN_MAX - 1);
	else
		cli_error("bad event pattern '%s': use letters, digits, '_', ':', '.', '-' and the "
			  "wildcard '*' (examples: 'myprov:*', 'myprov:start', '*')", p);
	return -1;
}

int check_filter(const char *f)
{
	size_t n = strlen(f);
	if (n == 0 || n >= RT_FILTER_TEXT_MAX) {
		cli_error("a filter expression has 1 to %u characters", RT_FILTER_TEXT_MAX - 1);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (!((unsigned char)f[i] >= 0x20 && (unsigned char)f[i] < 0x7f) && f[i] != '\t') {
			cli_error("a filter expression is one line of printable ASCII");
			return -1;
		}
	return 0;
}

int absolute_path(const char *in, char *out, size_t n)
{
	int w;
	if (in[0] == '/') {
		w = snprintf(out, n, "%s", in);
	} else {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof cwd)) {
			cli_error("getcwd: %s", strerror(errno));
			return -1;
		}
		w = snprintf(out, n, "%s/%s", strcmp(cwd, "/") ? cwd : "", in);
	}
	/* The daemon adds ust/uid/N/64-bit/channel0_N below it. */
	if (w < 0 || (size_t)w >= n - 256) {
		cli_error("output path too long");
		return -1;
	}
	return 0;
}

int copy_name(char *dst, size_t n, const char *name, const char *what)
{
	if (strlen(name) >= n || !rt_session_name_ok(name)) {
		cli_error("bad %s '%s': use at most %zu letters, digits, '_', '.' or '-', not "
			  "starting with '.' or '-'", what, name, n - 1);
		return -1;
	}
	snprintf(dst, n, "%s", name);
	return 0;
}

int refuse_domain(const char *opt)
{
	cli_error("%s: rseqtrace traces user space only (lttng's -u domain)", opt);
	return EXIT_USAGE;
}

int output_arg(const char *in, char *out, size_t n)
{
	if (strncmp(in, "file://", 7) == 0)
		in += 7;
	else if (strstr(in, "://")) {
		cli_error("'%s': only local outputs (DIR or file://DIR) are supported", in);
		return -1;
	}
	return absolute_path(in, out, n);
}
