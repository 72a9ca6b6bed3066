/* SPDX-License-Identifier: MIT */
/*
 * Hostile filter programs against the app's verifier (rt_fp_bind): each
 * defect the verifier must catch, crafted by hand, is refused with a
 * reason; then mutants of good programs (every byte flipped, truncations,
 * random bytes) are either refused or, accepted, run on rtf:ev's
 * arguments and answer 0 or 1 (the sanitizer build checks they read nothing
 * out of bounds). Exit 0 on success.
 */
#include <stdint.h>

#include "fstub.h"
#include "tests/check.h"

/* A program under construction. */
struct pb {
	struct rt_fp_hdr h;
	struct rt_fp_insn in[RT_FP_MAX_INSNS + 2];
	uint64_t k[RT_FP_MAX_CONSTS + 2];
	char s[64];
	uint8_t bytes[RT_FP_MAX_BYTES + 64];
};

static void pb_init(struct pb *p)
{
	memset(p, 0, sizeof *p);
	p->h = (struct rt_fp_hdr){ .magic = RT_FP_MAGIC, .version = RT_FP_VERSION };
}

static void op(struct pb *p, uint8_t o, uint8_t t, uint16_t a, uint32_t b)
{
	p->in[p->h.nr_insns++] = (struct rt_fp_insn){ o, t, a, b };
}

static size_t pb_bytes(struct pb *p)
{
	size_t n = 0;
	memcpy(p->bytes, &p->h, sizeof p->h);
	n += sizeof p->h;
	memcpy(p->bytes + n, p->in, p->h.nr_insns * 8u);
	n += p->h.nr_insns * 8u;
	memcpy(p->bytes + n, p->k, p->h.nr_consts * 8u);
	n += p->h.nr_consts * 8u;
	memcpy(p->bytes + n, p->s, p->h.str_len);
	return n + p->h.str_len;
}

/* Field indexes of rtf:ev (ftp.h). */
enum { F_N, F_S, F_I, F_U, F_L, F_T, F_UL, F_B, F_F, F_G, F_SEQ, F_E, F_BE };

static void refused(struct pb *p, const char *what)
{
	char err[200] = "";
	struct rt_fp *f = rt_fp_bind(p->bytes, pb_bytes(p), &rseqtrace__desc_rtf__ev, err,
				     sizeof err);
	CHECK(!f, "accepted: %s", what);
	CHECK(!f == !!err[0], "refused without a reason: %s", what);
	rt_fp_free(f);
}

static void accepted(struct pb *p, const char *what)
{
	char err[200] = "";
	struct rt_fp *f = rt_fp_bind(p->bytes, pb_bytes(p), &rseqtrace__desc_rtf__ev, err,
				     sizeof err);
	CHECK(f, "refused (%s): %s", err, what);
	rt_fp_free(f);
}

static void crafted(void)
{
	struct pb p;
	/* The baseline: i == 1, accepted. */
	pb_init(&p);
	p.h.nr_consts = 1;
	p.k[0] = 1;
	op(&p, RT_FP_LOAD_FIELD, RT_FP_S32, F_I, 0);
	op(&p, RT_FP_PUSH_INT, 0, 0, 0);
	op(&p, RT_FP_CMP_I, RT_FP_EQ, 0, 0);
	op(&p, RT_FP_RET, 0, 0, 0);
	accepted(&p, "i == 1");

	struct pb q = p;
	q.h.magic ^= 1;
	refused(&q, "bad magic");
	q = p;
	q.h.version = 2;
	refused(&q, "bad version");
	q = p;
	q.h.reserved = 1;
	refused(&q, "reserved field set");
	q = p;
	q.in[0].a = 13;
	refused(&q, "field index past the event's fields");
	q = p;
	q.in[0].a = 0xffff;
	refused(&q, "field index 65535");
	q = p;
	q.in[0].type = RT_FP_S64;
	refused(&q, "field read with another type");
	q = p;
	q.in[0].a = F_S;
	refused(&q, "string field read as an int");
	q = p;
	q.in[0].a = F_SEQ;
	q.in[0].type = RT_FP_U8;
	refused(&q, "sequence field");
	q = p;
	q.in[1].a = 1;
	refused(&q, "constant index past the constants");
	q = p;
	q.in[2].op = RT_FP_CMP_F;
	refused(&q, "float comparison of ints");
	q = p;
	q.in[2].type = RT_FP_NR_CONDS;
	refused(&q, "unknown condition");
	q = p;
	q.in[2].op = 0;
	refused(&q, "opcode 0");
	q = p;
	q.in[2].op = RT_FP_NR_OPS;
	refused(&q, "unknown opcode");
	q = p;
	q.in[0].op = RT_FP_LOAD_CTX;
	q.in[0].a = RT_FP_NR_CTX;
	refused(&q, "unknown context");
	q = p;
	q.h.nr_insns = 3;
	refused(&q, "no return");
	q = p;
	q.in[2].op = RT_FP_RET;
	refused(&q, "return with two values on the stack");
	q = p;
	op(&q, RT_FP_RET, 0, 0, 0);
	refused(&q, "return before the end");
	q = p;
	q.h.nr_insns = 0;
	refused(&q, "no instruction");

	/* Lengths. */
	q = p;
	size_t n = pb_bytes(&q);
	char err[200];
	for (size_t cut = 0; cut < n; cut++)
		CHECK(!rt_fp_bind(q.bytes, cut, &rseqtrace__desc_rtf__ev, err, sizeof err),
		      "truncated to %zu accepted", cut);
	CHECK(!rt_fp_bind(q.bytes, n + 8, &rseqtrace__desc_rtf__ev, err, sizeof err),
	      "trailing bytes accepted");
	q.h.nr_insns = RT_FP_MAX_INSNS + 1;
	refused(&q, "too many instructions");
	q = p;
	q.h.nr_consts = RT_FP_MAX_CONSTS + 1;
	refused(&q, "too many constants");

	/* Jumps: backward, to itself, past the end, joining different stacks. */
	pb_init(&q);
	op(&q, RT_FP_LOAD_FIELD, RT_FP_S32, F_I, 0);
	op(&q, RT_FP_JF, 0, 0, 3);
	op(&q, RT_FP_LOAD_FIELD, RT_FP_S32, F_I, 0);
	op(&q, RT_FP_RET, 0, 0, 0);
	accepted(&q, "i && i");
	struct pb j = q;
	j.in[1].b = 0;
	refused(&j, "backward jump");
	j = q;
	j.in[1].b = 1;
	refused(&j, "jump to itself");
	j = q;
	j.in[1].b = 4;
	refused(&j, "jump past the end");
	j = q;
	j.in[1].b = 0xffffffffu;
	refused(&j, "jump far past the end");
	j = q; /* taken: [int]; fall-through: [] then a float: they meet at RET */
	j.in[2] = (struct rt_fp_insn){ RT_FP_LOAD_FIELD, RT_FP_F64, F_F, 0 };
	refused(&j, "paths join with an int and a float");

	/* Stack: underflow, overflow, types. */
	pb_init(&q);
	op(&q, RT_FP_CMP_I, RT_FP_EQ, 0, 0);
	op(&q, RT_FP_RET, 0, 0, 0);
	refused(&q, "stack underflow");
	pb_init(&q);
	for (unsigned k = 0; k < RT_FP_MAX_STACK + 1; k++)
		op(&q, RT_FP_LOAD_FIELD, RT_FP_S32, F_I, 0);
	for (unsigned k = 0; k < RT_FP_MAX_STACK; k++)
		op(&q, RT_FP_BAND, 0, 0, 0);
	op(&q, RT_FP_RET, 0, 0, 0);
	refused(&q, "stack of 33");
	pb_init(&q);
	op(&q, RT_FP_LOAD_FIELD, RT_FP_STRING, F_S, 0);
	op(&q, RT_FP_RET, 0, 0, 0);
	refused(&q, "return of a string");
	pb_init(&q);
	op(&q, RT_FP_LOAD_FIELD, RT_FP_STRING, F_S, 0);
	op(&q, RT_FP_I2F, 0, 0, 0);
	op(&q, RT_FP_BOOL_F, 0, 0, 0);
	op(&q, RT_FP_RET, 0, 0, 0);
	refused(&q, "a string converted to a float");
	pb_init(&q);
	op(&q, RT_FP_LOAD_FIELD, RT_FP_STRING, F_S, 0);
	op(&q, RT_FP_LOAD_FIELD, RT_FP_S32, F_I, 0);
	op(&q, RT_FP_I2F, 0, 1, 0);
	op(&q, RT_FP_RET, 0, 0, 0);
	refused(&q, "I2F below the top on a string");

	/* Strings: offset out of range, not terminated, too long. */
	pb_init(&q);
	memcpy(q.s, "ab", 3);
	q.h.str_len = 3;
	op(&q, RT_FP_LOAD_FIELD, RT_FP_STRING, F_S, 0);
	op(&q, RT_FP_PUSH_STR, 0, 0, 0);
	op(&q, RT_FP_STR_MATCH, 0, 0, 0);
	op(&q, RT_FP_RET, 0, 0, 0);
	accepted(&q, "s == \"ab\"");
	j = q;
	j.in[1].b = 3;
	refused(&j, "string offset past the strings");
	j = q;
	j.s[2] = 'c';
	refused(&j, "strings not NUL-terminated");
	j = q;
	j.in[2].type = 2;
	refused(&j, "string comparison kind 2");
	/* The number of string comparisons (each up to 16 KiB x 255). */
	pb_init(&j);
	memcpy(j.s, "a*", 3);
	j.h.str_len = 3;
	for (unsigned k = 0; k <= RT_FP_MAX_STR_OPS; k++) {
		op(&j, RT_FP_LOAD_FIELD, RT_FP_STRING, F_S, 0);
		op(&j, RT_FP_PUSH_STR, 0, 0, 0);
		op(&j, RT_FP_STR_MATCH, 0, 0, 0);
		if (k)
			op(&j, RT_FP_BAND, 0, 0, 0);
	}
	op(&j, RT_FP_RET, 0, 0, 0);
	refused(&j, "65 string comparisons");
	j.h.nr_insns = (uint16_t)(j.h.nr_insns - 5);
	op(&j, RT_FP_RET, 0, 0, 0);
	accepted(&j, "64 string comparisons");
}

/* Runs f on a few hits' arguments: each answer must be 0 or 1. */
static void run_on_records(struct rt_fp *f)
{
	static const char *words[] = { "", "a", "hello", "a*b", "xyzzy-long-string-value" };
	stub_set(f);
	for (int k = 0; k < 5; k++) {
		result = -2;
		rseqtrace__probe_rtf__ev(&rseqtrace__ev_rtf__ev, NULL, (uint32_t)k, k - 2,
					 (uint16_t)(k * 1000), -k, (uint64_t)k << 60, (int8_t)-k,
					 k * 0.5, (float)k, words[k], words[4 - k]);
		int a = stub_answer();
		CHECK(a == 0 || a == 1, "an accepted mutant answered %d", a);
	}
	stub_set(NULL);
}

static uint64_t rng = 88172645463325252ull;
static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void mutants(const char *expr, unsigned *accepted_n, unsigned *total)
{
	char err[300];
	struct rt_desc *d = daemon_desc();
	struct rt_filter *flt = rt_filter_parse(expr, err, sizeof err);
	CHECK(flt, "%s: %s", expr, err);
	uint8_t *p;
	size_t n;
	CHECK(flt && rt_filter_compile(flt, d, &p, &n, err, sizeof err) == 1, "%s: %s", expr, err);
	if (!flt)
		return;
	rt_filter_free(flt);
	rt_desc_free(d);
	uint8_t *m = malloc(n + 64);
	for (size_t i = 0; i < n; i++)
		for (int bit = 0; bit < 8; bit++) {
			memcpy(m, p, n);
			m[i] ^= (uint8_t)(1u << bit);
			struct rt_fp *f = rt_fp_bind(m, n, &rseqtrace__desc_rtf__ev, err, sizeof err);
			(*total)++;
			if (f) {
				(*accepted_n)++;
				run_on_records(f);
				rt_fp_free(f);
			}
		}
	for (int r = 0; r < 20000; r++) {
		memcpy(m, p, n);
		int flips = 1 + (int)(next_rand() % 4);
		for (int k = 0; k < flips; k++)
			m[16 + next_rand() % (n - 16)] = (uint8_t)next_rand();
		struct rt_fp *f = rt_fp_bind(m, n, &rseqtrace__desc_rtf__ev, err, sizeof err);
		(*total)++;
		if (f) {
			(*accepted_n)++;
			run_on_records(f);
			rt_fp_free(f);
		}
	}
	free(m);
	free(p);
}

int main(void)
{
	stub_init();
	crafted();
	unsigned acc = 0, total = 0;
	const char *exprs[] = {
		"i == 1 && s == \"he*\"",
		"(l / i > 3 || ul << b != 0) && !(f < 2.5) || e == be",
		"t != s && $ctx.procname == \"f*\" && $ctx.vpid + $ctx.vtid * 2 % 3 >= u",
		"g >= -1.5 || ~n ^ 7 | 3 & 1",
	};
	for (size_t k = 0; k < sizeof exprs / sizeof exprs[0]; k++)
		mutants(exprs[k], &acc, &total);
	printf("mutants: %u, accepted and run: %u\n", total, acc);
	CHECK(acc > 0 && acc < total, "mutants all accepted or all refused (%u of %u)", acc, total);
	if (failures)
		printf("%d failed\n", failures);
	return failures ? 1 : 0;
}
