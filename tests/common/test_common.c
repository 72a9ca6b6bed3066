/* SPDX-License-Identifier: MIT */
/* The common/ helpers: one glob matcher, one loglevel table, one context
 * table, the monotonic-time helpers. Exits 1 on the first failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rseqtrace/types.h>

#include "common/context.h"
#include "common/glob.h"
#include "common/loglevel.h"
#include "common/time.h"

static int failures;

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                          \
		}                                                            \
	} while (0)

static void test_glob(void)
{
	/* '*' anywhere, any run of characters, none included */
	CHECK(rt_glob_match("*", ""));
	CHECK(rt_glob_match("*", "prov:ev"));
	CHECK(rt_glob_match("prov:*", "prov:ev"));
	CHECK(rt_glob_match("prov:*", "prov:"));
	CHECK(!rt_glob_match("prov:*", "prox:ev"));
	CHECK(rt_glob_match("*:ev", "prov:ev"));
	CHECK(rt_glob_match("p*v:*e*", "prov:event"));
	CHECK(rt_glob_match("a*b*c", "aXbYbZc"));
	CHECK(!rt_glob_match("a*b*c", "aXbYbZ"));
	CHECK(rt_glob_match("**", "x"));
	CHECK(!rt_glob_match("", "x"));
	CHECK(rt_glob_match("", ""));
	CHECK(rt_glob_match("exact", "exact"));
	CHECK(!rt_glob_match("exact", "exactly"));
	/* '\*' is a literal star */
	CHECK(rt_glob_match("a\\*b", "a*b"));
	CHECK(!rt_glob_match("a\\*b", "aXb"));
	CHECK(!rt_glob_match("a\\*b", "ab"));
	CHECK(rt_glob_match("a\\**", "a*anything"));
	CHECK(!rt_glob_match("a\\**", "ab"));
	CHECK(rt_glob_match("*\\*", "x*"));
	/* linear, not exponential: many stars against a long mismatch */
	char name[4096];
	memset(name, 'a', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	CHECK(!rt_glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*b", name));
}

static void test_loglevel(void)
{
	CHECK(RT_LOGLEVEL_COUNT == 15);
	CHECK(strcmp(rt_loglevel_name(0), "EMERG") == 0);
	CHECK(strcmp(rt_loglevel_name(6), "INFO") == 0);
	CHECK(strcmp(rt_loglevel_name(14), "DEBUG") == 0);
	CHECK(rt_loglevel_name(-1) == NULL && rt_loglevel_name(15) == NULL);
	CHECK(rt_loglevel_parse("6") == 6);
	CHECK(rt_loglevel_parse("INFO") == 6);
	CHECK(rt_loglevel_parse("info") == 6);
	CHECK(rt_loglevel_parse("TRACE_INFO") == 6);
	CHECK(rt_loglevel_parse("trace_debug_line") == 13);
	CHECK(rt_loglevel_parse("15") == -1);
	CHECK(rt_loglevel_parse("-1") == -1);
	CHECK(rt_loglevel_parse("LOUD") == -1);
	CHECK(rt_loglevel_parse("") == -1);
	for (int i = 0; i < RT_LOGLEVEL_COUNT; i++)
		CHECK(rt_loglevel_parse(rt_loglevel_name(i)) == i);
}

static void test_context(void)
{
	CHECK(rt_context_bit("ip", 2) == RT_CTX_IP);
	CHECK(rt_context_bit("vpid,vtid", 4) == RT_CTX_VPID);
	CHECK(rt_context_bit("procname", 8) == RT_CTX_PROCNAME);
	CHECK(rt_context_bit("vtid", 4) == RT_CTX_VTID);
	CHECK(rt_context_bit("vpi", 3) == 0);
	CHECK(rt_context_bit("pid", 3) == 0);
	CHECK(rt_ctx_len(0) == 0);
	CHECK(rt_ctx_len(RT_CTX_IP) == 8);
	CHECK(rt_ctx_len(RT_CTX_VPID | RT_CTX_VTID) == 8);
	CHECK(rt_ctx_len(RT_CTX_ALL) == 20 * 8 + 9 * 4 + RT_PROCNAME_LEN);
	CHECK(rt_context_bit("perf:thread:task-clock", 22) == RSEQTRACE_CTX_PERF_TASK_CLOCK);
	char field[64];
	for (unsigned i = 0; i < RT_NR_CONTEXTS; i++)
		if (rt_contexts[i].bit == RSEQTRACE_CTX_PERF_CPU_CYCLES)
			CHECK(strcmp(rt_context_field(&rt_contexts[i], field), "perf_thread_cpu_cycles") == 0);
	CHECK(rt_context_bit("cpu_id", 6) == RT_CTX_CPU_ID);
	CHECK(rt_context_bit("pthread_id", 10) == RT_CTX_PTHREAD_ID);
	CHECK(rt_context_bit("vsgid", 5) == RT_CTX_VSGID);
	CHECK(rt_context_bit("uts_ns", 6) == RT_CTX_UTS_NS);
	/* record order: 8-byte ones first, so every context is naturally aligned */
	CHECK(rt_contexts[0].bit == RT_CTX_IP);
	uint32_t all = 0, off = 16;
	for (unsigned i = 0; i < RT_NR_CONTEXTS; i++) {
		all |= rt_contexts[i].bit;
		CHECK(off % rt_contexts[i].size == 0);
		off += rt_contexts[i].size * rt_contexts[i].count;
	}
	CHECK(all == RT_CTX_ALL);
}

static void test_time(void)
{
	struct timespec t = { .tv_sec = 5, .tv_nsec = 999000000L };
	struct timespec u = rt_timespec_add_ms(t, 2);
	CHECK(u.tv_sec == 6 && u.tv_nsec == 1000000L);
	u = rt_timespec_add_ms(t, 2500);
	CHECK(u.tv_sec == 8 && u.tv_nsec == 499000000L);
	struct timespec d = rt_ms_timespec(1234);
	CHECK(d.tv_sec == 1 && d.tv_nsec == 234000000L);
	uint64_t a = rt_now_ms();
	struct timespec dl = rt_deadline_ms(1000);
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t ahead = (int64_t)(dl.tv_sec - now.tv_sec) * 1000 + (dl.tv_nsec - now.tv_nsec) / 1000000;
	CHECK(ahead > 500 && ahead <= 1000);
	CHECK(rt_now_ms() >= a);
}

int main(void)
{
	test_glob();
	test_loglevel();
	test_context();
	test_time();
	if (failures)
		return 1;
	printf("common: all checks passed\n");
	return 0;
}
