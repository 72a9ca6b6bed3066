/* SPDX-License-Identifier: MIT */
/* Filter programs: the verifier, the binder and the interpreter (program.h). */
#define _GNU_SOURCE
#include <byteswap.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/glob.h"
#include "filter/program.h"

enum { T_NONE = 0, T_I, T_F, T_S };

struct rt_fp {
	struct rseqtrace_quick quick; /* first: rt_fp_run reads it (program.h) */
	struct rt_fp_hdr h;
	const struct rt_fp_insn *insns;
	const unsigned char *consts;
	const char *strs;
	/* The program type of each field of the event (rt_fp_field_type),
	 * what the verifier checks loads against; bind time only. */
	const uint8_t *ftype;
	uint32_t nr_fields;
	/* The instructions decoded once, after the verifier accepted them:
	 * constants and string addresses inline, loads of fields resolved
	 * (X_LOAD, X_LOAD_BE). What rt_fp_run runs. */
	struct xin *x;
	uint32_t reads_ctx;
	_Alignas(16) unsigned char bytes[]; /* the program, then x[] */
};

/*
 * A decoded instruction: op is an rt_fp_op or one of these:
 *   X_LOAD        a field's slot as it is (LOAD_FIELD but network order ints)
 *   X_LOAD_BE     an integer field in network byte order
 *   X_FCMP        an integer field against a constant (LOAD_FIELD, PUSH_INT,
 *                 CMP_I, in either order) -> 0/1
 *   X_FGLOB       a string field against a literal (LOAD_FIELD, PUSH_STR,
 *                 STR_MATCH) -> 0/1
 * and each of the two fused with what follows it (a BOOL_I on its 0/1
 * dropped): _JF, _JT (the jump), _RET (the program's end). A comparison
 * so costs one dispatch instead of three to five: most filters are a
 * few of them joined by && and ||.
 */
enum {
	X_LOAD = RT_FP_NR_OPS, X_LOAD_BE,
	X_FCMP, X_FCMP_JF, X_FCMP_JT, X_FCMP_RET,
	X_FGLOB, X_FGLOB_JF, X_FGLOB_JT, X_FGLOB_RET,
	X_NR_OPS
};
struct xin {
	union rseqtrace_arg imm; /* PUSH_*, X_FCMP*, X_FGLOB*: the constant */
	uint16_t b;   /* JF/JT and the fused jumps: the target */
	uint16_t a;   /* as the instruction's; fused: the field */
	uint8_t op;
	uint8_t type; /* as the instruction's; CMP_*, X_FCMP*: a condition mask
		       * (cond_mask); X_LOAD_BE: size | 0x10 signed */
	uint8_t n;    /* fused: the instructions it stands for */
	uint8_t pad;
};

uint8_t rt_fp_field_type(uint32_t kind, uint8_t size, uint8_t is_signed, uint8_t encoding)
{
	switch (kind) {
	case RSEQTRACE_FIELD_INTEGER:
	case RSEQTRACE_FIELD_ENUM: {
		uint8_t t;
		switch (size) {
		case 1: t = RT_FP_S8; break;
		case 2: t = RT_FP_S16; break;
		case 4: t = RT_FP_S32; break;
		case 8: t = RT_FP_S64; break;
		default: return 0;
		}
		t = (uint8_t)(t + !is_signed);
		if (kind == RSEQTRACE_FIELD_INTEGER && (encoding & RSEQTRACE_ENCODING_BIG_ENDIAN) &&
		    size > 1)
			t |= RT_FP_BE;
		return t;
	}
	case RSEQTRACE_FIELD_FLOAT:
		return size == 4 ? RT_FP_F32 : size == 8 ? RT_FP_F64 : 0;
	case RSEQTRACE_FIELD_STRING:
		return RT_FP_STRING;
	}
	return 0;
}

static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}


static int stack_type_of(uint8_t ft)
{
	uint8_t t = ft & (uint8_t)~RT_FP_BE;
	if (t >= RT_FP_S8 && t <= RT_FP_U64)
		return T_I;
	return t == RT_FP_F32 || t == RT_FP_F64 ? T_F : T_S;
}

/* What one instruction pops and pushes: in[] (top last), out. */
struct effect {
	int nin;
	int in[2];
	int out; /* T_NONE: pushes nothing */
};

static int effect_of(const struct rt_fp *f, const struct rt_fp_insn *in, uint32_t pc,
		     struct effect *e, char *err, size_t errlen)
{
	*e = (struct effect){ 0 };
	switch (in->op) {
	case RT_FP_PUSH_INT:
	case RT_FP_PUSH_FLOAT:
		if (in->a >= f->h.nr_consts)
			return bad(err, errlen, "insn %u: constant %u of %u", pc, in->a, f->h.nr_consts);
		e->out = in->op == RT_FP_PUSH_INT ? T_I : T_F;
		return 0;
	case RT_FP_PUSH_STR: {
		if (in->b >= f->h.str_len)
			return bad(err, errlen, "insn %u: string offset %u past %u", pc, in->b, f->h.str_len);
		size_t left = f->h.str_len - in->b;
		const char *nul = memchr(f->strs + in->b, 0, left < RT_FP_MAX_LIT + 1 ? left : RT_FP_MAX_LIT + 1);
		if (!nul)
			return bad(err, errlen, "insn %u: string literal longer than %u bytes", pc, RT_FP_MAX_LIT);
		e->out = T_S;
		return 0;
	}
	case RT_FP_LOAD_FIELD: {
		if (in->a >= f->nr_fields)
			return bad(err, errlen, "insn %u: field %u, the event has %u", pc, in->a, f->nr_fields);
		uint8_t own = f->ftype[in->a];
		if (!own || own != in->type)
			return bad(err, errlen, "insn %u: field %u read as type %u, it is %u", pc,
				   in->a, in->type, own);
		e->out = stack_type_of(own);
		return 0;
	}
	case RT_FP_LOAD_CTX:
		if (in->a < 1 || in->a >= RT_FP_NR_CTX)
			return bad(err, errlen, "insn %u: unknown context %u", pc, in->a);
		e->out = in->a == RT_FP_CTX_PROCNAME ? T_S : T_I;
		return 0;
	case RT_FP_I2F:
		if (in->a > 1)
			return bad(err, errlen, "insn %u: conversion of slot %u", pc, in->a);
		if (in->a == 0) {
			*e = (struct effect){ 1, { T_I }, T_F };
		} else {
			/* Below the top: checked by the caller (depth 2). */
			*e = (struct effect){ 0, { 0 }, T_NONE };
		}
		return 0;
	case RT_FP_NEG_I: case RT_FP_NOT_I: case RT_FP_BNOT: case RT_FP_BOOL_I:
		*e = (struct effect){ 1, { T_I }, T_I };
		return 0;
	case RT_FP_NEG_F:
		*e = (struct effect){ 1, { T_F }, T_F };
		return 0;
	case RT_FP_NOT_F: case RT_FP_BOOL_F:
		*e = (struct effect){ 1, { T_F }, T_I };
		return 0;
	case RT_FP_ADD: case RT_FP_SUB: case RT_FP_MUL: case RT_FP_DIV: case RT_FP_MOD:
	case RT_FP_SHL: case RT_FP_SHR: case RT_FP_BAND: case RT_FP_BOR: case RT_FP_BXOR:
		*e = (struct effect){ 2, { T_I, T_I }, T_I };
		return 0;
	case RT_FP_CMP_I:
	case RT_FP_CMP_F:
		if (in->type >= RT_FP_NR_CONDS)
			return bad(err, errlen, "insn %u: condition %u", pc, in->type);
		*e = (struct effect){ 2, { in->op == RT_FP_CMP_I ? T_I : T_F,
					 in->op == RT_FP_CMP_I ? T_I : T_F }, T_I };
		return 0;
	case RT_FP_STR_EQ:
	case RT_FP_STR_MATCH:
		if (in->type > 1)
			return bad(err, errlen, "insn %u: string comparison %u", pc, in->type);
		*e = (struct effect){ 2, { T_S, T_S }, T_I };
		return 0;
	case RT_FP_JF:
	case RT_FP_JT:
	case RT_FP_RET:
		*e = (struct effect){ 1, { T_I }, T_NONE };
		return 0;
	}
	return bad(err, errlen, "insn %u: unknown opcode %u", pc, in->op);
}

/* The abstract stack: the type of each slot. */
struct astack {
	int depth; /* -1: no path reaches here yet */
	uint8_t t[RT_FP_MAX_STACK];
};

static int same_stack(const struct astack *a, const struct astack *b)
{
	return a->depth == b->depth && memcmp(a->t, b->t, (size_t)a->depth) == 0;
}

/*
 * One pass in program order: jumps go forward only, so every path into
 * an instruction is known by the time it is reached (the fall-through
 * from the one before, and the jumps recorded in at[]).
 */
static int verify_flow(const struct rt_fp *f, char *err, size_t errlen)
{
	uint32_t n = f->h.nr_insns;
	struct astack *at = malloc(n * sizeof *at);
	if (!at)
		return bad(err, errlen, "out of memory");
	for (uint32_t i = 0; i < n; i++)
		at[i].depth = -1;
	struct astack cur = { .depth = 0 };
	int r = -1;
	uint32_t str_ops = 0;
	for (uint32_t pc = 0; pc < n; pc++) {
		const struct rt_fp_insn *in = &f->insns[pc];
		if ((in->op == RT_FP_STR_EQ || in->op == RT_FP_STR_MATCH) &&
		    ++str_ops > RT_FP_MAX_STR_OPS) {
			bad(err, errlen, "more than %u string comparisons", RT_FP_MAX_STR_OPS);
			goto out;
		}
		if (at[pc].depth >= 0 && !same_stack(&at[pc], &cur)) {
			bad(err, errlen, "insn %u: paths join with different stacks", pc);
			goto out;
		}
		struct effect e;
		if (effect_of(f, in, pc, &e, err, errlen) != 0)
			goto out;
		if (in->op == RT_FP_I2F && in->a == 1) {
			if (cur.depth < 2 || cur.t[cur.depth - 2] != T_I) {
				bad(err, errlen, "insn %u: converts a slot that is not an int", pc);
				goto out;
			}
			cur.t[cur.depth - 2] = T_F;
			continue;
		}
		if (cur.depth < e.nin) {
			bad(err, errlen, "insn %u: pops %d of %d slots", pc, e.nin, cur.depth);
			goto out;
		}
		for (int k = 0; k < e.nin; k++)
			if (cur.t[cur.depth - e.nin + k] != e.in[k]) {
				bad(err, errlen, "insn %u: operand of the wrong type", pc);
				goto out;
			}
		if (in->op == RT_FP_JF || in->op == RT_FP_JT) {
			if (in->b <= pc || in->b >= n) {
				bad(err, errlen, "insn %u: jump to %u (forward, inside the program only)",
				    pc, in->b);
				goto out;
			}
			if (at[in->b].depth < 0)
				at[in->b] = cur; /* taken: the value stays */
			else if (!same_stack(&at[in->b], &cur)) {
				bad(err, errlen, "insn %u: paths join with different stacks", in->b);
				goto out;
			}
		}
		if (in->op == RT_FP_RET) {
			if (pc != n - 1 || cur.depth != 1) {
				bad(err, errlen, "insn %u: return before the end or with %d slots", pc,
				    cur.depth);
				goto out;
			}
			r = 0;
			goto out;
		}
		cur.depth -= e.nin;
		if (e.out) {
			if (cur.depth >= (int)RT_FP_MAX_STACK) {
				bad(err, errlen, "insn %u: stack deeper than %u", pc, RT_FP_MAX_STACK);
				goto out;
			}
			cur.t[cur.depth++] = (uint8_t)e.out;
		}
	}
	bad(err, errlen, "the program does not end with a return");
out:
	free(at);
	return r;
}

static const uint8_t int_size[] = { 0, 1, 1, 2, 2, 4, 4, 8, 8 };

/* A condition as the set of orders that satisfy it: bit 0 less, 1 equal,
 * 2 greater, 3 unordered (a NaN): a comparison indexes it, no branch. */
static const uint8_t cond_mask[RT_FP_NR_CONDS] = {
	[RT_FP_EQ] = 0x2, [RT_FP_NE] = 0xd, [RT_FP_LT] = 0x1,
	[RT_FP_LE] = 0x3, [RT_FP_GT] = 0x4, [RT_FP_GE] = 0x6,
};

/* The same condition with its operands swapped: less and greater trade. */
static uint8_t mirrored(uint8_t m)
{
	return (uint8_t)((m & 0xa) | (m & 1) << 2 | (m >> 2 & 1));
}

static int native_int(const struct rt_fp_insn *in)
{
	uint8_t t = in->type;
	return in->op == RT_FP_LOAD_FIELD && t >= RT_FP_S8 && t <= RT_FP_U64;
}

/*
 * Fuses the comparison at pc (X_FCMP, X_FGLOB), with what follows, if no
 * jump lands inside it. The verifier checked the instructions it stands
 * for, and what it does is theirs: the same value left on the stack, the
 * same jump taken.
 */
static void fuse(struct rt_fp *f, uint32_t pc, const uint8_t *target)
{
	const struct rt_fp_insn *in = &f->insns[pc];
	uint32_t n = f->h.nr_insns;
	if (pc + 2 >= n || target[pc + 1] || target[pc + 2])
		return;
	struct xin *x = &f->x[pc];
	uint8_t op;
	if (in[2].op == RT_FP_CMP_I && native_int(&in[0]) && in[1].op == RT_FP_PUSH_INT) {
		*x = (struct xin){ .imm = f->x[pc + 1].imm, .a = in[0].a, .type = f->x[pc + 2].type };
		op = X_FCMP;
	} else if (in[2].op == RT_FP_CMP_I && in[0].op == RT_FP_PUSH_INT && native_int(&in[1])) {
		*x = (struct xin){ .imm = f->x[pc].imm, .a = in[1].a,
				   .type = mirrored(f->x[pc + 2].type) };
		op = X_FCMP;
	} else if (in[2].op == RT_FP_STR_MATCH && in[0].op == RT_FP_LOAD_FIELD &&
		   in[1].op == RT_FP_PUSH_STR) {
		*x = (struct xin){ .imm = f->x[pc + 1].imm, .a = in[0].a, .type = in[2].type };
		op = X_FGLOB;
	} else {
		return;
	}
	uint32_t next = pc + 3;
	if (next < n && !target[next] && f->insns[next].op == RT_FP_BOOL_I)
		next++; /* of a 0/1: nothing */
	if (next < n && !target[next] &&
	    (f->insns[next].op == RT_FP_JF || f->insns[next].op == RT_FP_JT)) {
		op = (uint8_t)(op + (f->insns[next].op == RT_FP_JF ? 1 : 2));
		x->b = (uint16_t)f->insns[next].b;
		next++;
	} else if (next < n && f->insns[next].op == RT_FP_RET) {
		op = (uint8_t)(op + 3);
	}
	x->op = op;
	x->n = (uint8_t)(next - pc);
}

/* field <mask> k (rt_fp_holds) as the range rseqtrace__quick_holds checks:
 * each condition holds on one range of values modulo 2^64 (!= k: from
 * k + 1 to k - 1), or on none (< INT64_MIN, > INT64_MAX): not set then,
 * the interpreter answers. */
static struct rseqtrace_quick quick_range(uint8_t mask, int64_t k, uint16_t field)
{
	const uint64_t min = (uint64_t)INT64_MIN, max = (uint64_t)INT64_MAX, u = (uint64_t)k;
	struct rseqtrace_quick none = { 0 };
	uint64_t lo, hi;
	mask &= 7; /* (bit 3, unordered, is for doubles) */
	if (mask == 5) {
		lo = u + 1;
		hi = u - 1;
	} else {
		if (mask & 1)
			lo = min;
		else if (mask & 2)
			lo = u;
		else if (u == max)
			return none;
		else
			lo = u + 1;
		if (mask & 4)
			hi = max;
		else if (mask & 2)
			hi = u;
		else if (u == min)
			return none;
		else
			hi = u - 1;
		if (!mask)
			return none;
	}
	return (struct rseqtrace_quick){ .lo = lo, .rest = UINT64_MAX - (hi - lo), .field = field,
					 .set = 1 };
}

/* After verification: the decoded form rt_fp_run runs. */
static void decode(struct rt_fp *f)
{
	uint8_t target[RT_FP_MAX_INSNS] = { 0 };
	for (uint32_t pc = 0; pc < f->h.nr_insns; pc++) {
		const struct rt_fp_insn *in = &f->insns[pc];
		struct xin *x = &f->x[pc];
		*x = (struct xin){ .b = (uint16_t)in->b, .a = in->a, .op = in->op, .type = in->type };
		switch (in->op) {
		case RT_FP_PUSH_INT:
		case RT_FP_PUSH_FLOAT:
			memcpy(&x->imm, f->consts + (size_t)in->a * 8, 8);
			break;
		case RT_FP_PUSH_STR:
			x->imm.s = f->strs + in->b;
			break;
		case RT_FP_LOAD_CTX:
			f->reads_ctx |= RT_FP_CTX_BIT(in->a);
			break;
		case RT_FP_LOAD_FIELD: {
			uint8_t t = in->type & (uint8_t)~RT_FP_BE;
			if (!(in->type & RT_FP_BE)) {
				x->op = X_LOAD;
				break;
			}
			x->op = X_LOAD_BE;
			x->type = (uint8_t)(int_size[t] | ((t - RT_FP_S8) % 2 == 0 ? 0x10 : 0));
			break;
		}
		case RT_FP_CMP_I:
		case RT_FP_CMP_F:
			x->type = cond_mask[in->type];
			break;
		case RT_FP_JF:
		case RT_FP_JT:
			target[in->b] = 1;
			break;
		}
	}
	for (uint32_t pc = 0; pc < f->h.nr_insns; pc++)
		fuse(f, pc, target);
	if (f->x[0].op == X_FCMP_RET)
		f->quick = quick_range(f->x[0].type, f->x[0].imm.i, f->x[0].a);
}

uint32_t rt_fp_reads_ctx(const struct rt_fp *f)
{
	return f->reads_ctx;
}

struct rt_fp *rt_fp_bind(const void *prog, size_t n, const struct rseqtrace_event_desc *desc,
			 char *err, size_t errlen)
{
	struct rt_fp_hdr h;
	if (n < sizeof h || n > RT_FP_MAX_BYTES) {
		bad(err, errlen, "program of %zu bytes (%zu..%zu)", n, sizeof h, (size_t)RT_FP_MAX_BYTES);
		return NULL;
	}
	memcpy(&h, prog, sizeof h);
	if (h.magic != RT_FP_MAGIC || h.version != RT_FP_VERSION || h.reserved) {
		bad(err, errlen, "not a filter program of version %u", RT_FP_VERSION);
		return NULL;
	}
	if (h.nr_insns < 1 || h.nr_insns > RT_FP_MAX_INSNS || h.nr_consts > RT_FP_MAX_CONSTS ||
	    h.str_len > RT_FP_MAX_STRS) {
		bad(err, errlen, "program counts out of range");
		return NULL;
	}
	size_t want = sizeof h + (size_t)h.nr_insns * 8 + (size_t)h.nr_consts * 8 + h.str_len;
	if (want != n) {
		bad(err, errlen, "program of %zu bytes, its header says %zu", n, want);
		return NULL;
	}
	if (h.str_len && ((const char *)prog)[n - 1] != 0) {
		bad(err, errlen, "string literals not NUL-terminated");
		return NULL;
	}
	uint32_t nf = desc->nr_fields;
	uint8_t *ftype = malloc(nf ? nf : 1);
	if (!ftype) {
		bad(err, errlen, "out of memory");
		return NULL;
	}
	for (uint32_t i = 0; i < nf; i++) {
		const struct rseqtrace_field_desc *fd = &desc->fields[i];
		ftype[i] = rt_fp_field_type(fd->kind, fd->elem.size, fd->elem.is_signed,
					    fd->elem.encoding);
	}
	size_t xoff = (n + 15) & ~(size_t)15;
	/* Read by every filtered hit: on cache lines of its own. */
	size_t size = (sizeof(struct rt_fp) + xoff + (size_t)h.nr_insns * sizeof(struct xin) + 63) &
		      ~(size_t)63;
	struct rt_fp *f = aligned_alloc(64, size);
	if (f)
		memset(f, 0, size);
	if (!f) {
		free(ftype);
		bad(err, errlen, "out of memory");
		return NULL;
	}
	memcpy(f->bytes, prog, n);
	f->h = h;
	f->insns = (const struct rt_fp_insn *)(f->bytes + sizeof h);
	f->consts = f->bytes + sizeof h + (size_t)h.nr_insns * 8;
	f->strs = (const char *)f->consts + (size_t)h.nr_consts * 8;
	f->ftype = ftype;
	f->nr_fields = nf;
	f->x = (struct xin *)(f->bytes + xoff);
	int r = verify_flow(f, err, errlen);
	f->ftype = NULL;
	free(ftype);
	if (r != 0) {
		free(f);
		return NULL;
	}
	decode(f);
	return f;
}

void rt_fp_free(struct rt_fp *f)
{
	free(f);
}

/* ---- the interpreter ------------------------------------------------------- */

/* An integer of a network byte order field: its slot holds the bytes as
 * the probe had them (the value converted to int64_t); how: size | 0x10
 * signed. */
static inline int64_t int_be(int64_t slot, uint8_t how)
{
	uint32_t size = how & 0xf;
	uint64_t v = (uint64_t)slot;
	v = size == 2 ? bswap_16((uint16_t)v) : size == 4 ? bswap_32((uint32_t)v) :
	    size == 8 ? bswap_64(v) : (uint8_t)v;
	if ((how & 0x10) && size < 8) {
		uint32_t sh = 64 - 8 * size;
		return (int64_t)(v << sh) >> sh;
	}
	return (int64_t)v;
}

static void load_ctx(uint16_t which, const struct rt_fp_env *env, union rseqtrace_arg *out)
{
	switch (which) {
	case RT_FP_CTX_VPID: out->i = env->vpid; break;
	case RT_FP_CTX_VTID: out->i = env->vtid; break;
	case RT_FP_CTX_PROCNAME: out->s = env->procname; break;
	case RT_FP_CTX_CPU_ID: out->i = sched_getcpu(); break;
	case RT_FP_CTX_PTHREAD_ID: out->i = (int64_t)pthread_self(); break;
	case RT_FP_CTX_IP: out->i = (int64_t)(uintptr_t)env->ip; break;
	default:
		if (which < RT_FP_CTX_CGROUP_NS)
			out->i = env->ids[which >= RT_FP_CTX_VGID][(which - RT_FP_CTX_VUID) % 3];
		else
			out->i = (int64_t)env->ns[which - RT_FP_CTX_CGROUP_NS];
		break;
	}
}

/* The order of a and b (NaN: unordered) in a condition mask (cond_mask). */
static inline int float_holds(uint8_t mask, double a, double b)
{
	unsigned order = __builtin_isunordered(a, b) ? 3u : (unsigned)(a == b) + 2u * (a > b);
	return mask >> order & 1;
}

/* -1: the program stops, false (a zero divisor, a shift out of range). */
static int int_op(uint8_t op, int64_t a, int64_t b, int64_t *r)
{
	uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
	switch (op) {
	case RT_FP_ADD: *r = (int64_t)(ua + ub); return 0;
	case RT_FP_SUB: *r = (int64_t)(ua - ub); return 0;
	case RT_FP_MUL: *r = (int64_t)(ua * ub); return 0;
	case RT_FP_DIV:
	case RT_FP_MOD:
		if (b == 0)
			return -1;
		if (a == INT64_MIN && b == -1)
			*r = op == RT_FP_DIV ? INT64_MIN : 0;
		else
			*r = op == RT_FP_DIV ? a / b : a % b;
		return 0;
	case RT_FP_SHL:
	case RT_FP_SHR:
		if (b < 0 || b > 63)
			return -1;
		*r = (int64_t)(op == RT_FP_SHL ? ua << b : ua >> b);
		return 0;
	case RT_FP_BAND: *r = (int64_t)(ua & ub); return 0;
	case RT_FP_BOR: *r = (int64_t)(ua | ub); return 0;
	default: *r = (int64_t)(ua ^ ub); return 0;
	}
}

/* Whether x, an X_FCMP*, holds: an integer field against a constant. */
static inline int fcmp_holds(const struct xin *x, const struct rt_fp_env *env)
{
	return rt_fp_holds(x->type, env->args[x->a].i, x->imm.i);
}

/*
 * Threaded: each instruction's code ends with its own jump to the next
 * one's (GNU C computed goto), which the branch predictor learns per
 * instruction rather than through one shared switch.
 */
int rt_fp_run_program(const struct rt_fp *f, const struct rt_fp_env *env)
{
	static const void *const code[X_NR_OPS] = {
		[RT_FP_PUSH_INT] = &&push, [RT_FP_PUSH_FLOAT] = &&push, [RT_FP_PUSH_STR] = &&push,
		[X_LOAD] = &&load, [X_LOAD_BE] = &&load_be,
		[RT_FP_LOAD_CTX] = &&load_ctx, [RT_FP_I2F] = &&i2f, [RT_FP_NEG_I] = &&neg_i,
		[RT_FP_NEG_F] = &&neg_f, [RT_FP_NOT_I] = &&not_i, [RT_FP_NOT_F] = &&not_f,
		[RT_FP_BNOT] = &&bnot, [RT_FP_BOOL_I] = &&bool_i, [RT_FP_BOOL_F] = &&bool_f,
		[RT_FP_ADD] = &&int_op, [RT_FP_SUB] = &&int_op, [RT_FP_MUL] = &&int_op,
		[RT_FP_DIV] = &&int_op, [RT_FP_MOD] = &&int_op, [RT_FP_SHL] = &&int_op,
		[RT_FP_SHR] = &&int_op, [RT_FP_BAND] = &&int_op, [RT_FP_BOR] = &&int_op,
		[RT_FP_BXOR] = &&int_op, [RT_FP_CMP_I] = &&cmp_i, [RT_FP_CMP_F] = &&cmp_f,
		[RT_FP_STR_EQ] = &&str_cmp, [RT_FP_STR_MATCH] = &&str_cmp, [RT_FP_JF] = &&jump,
		[RT_FP_JT] = &&jump, [RT_FP_RET] = &&ret,
		[X_FCMP] = &&fcmp, [X_FCMP_JF] = &&fcmp_jf, [X_FCMP_JT] = &&fcmp_jt,
		[X_FCMP_RET] = &&fcmp_ret, [X_FGLOB] = &&fglob, [X_FGLOB_JF] = &&fglob_jf,
		[X_FGLOB_JT] = &&fglob_jt, [X_FGLOB_RET] = &&fglob_ret,
	};
	/* The verifier bounds the stack and types every slot each
	 * instruction reads; jumps go forward inside the program. */
	union rseqtrace_arg st[RT_FP_MAX_STACK];
	union rseqtrace_arg *top = st - 1;
	const struct xin *x = f->x;
#define NEXT goto *code[(++x)->op]
/* The fused comparisons' ends, c their 0/1: pushed, or the jump they
 * stand for (JF keeps a 0 where it lands, JT a 1), or the answer. */
#define PUSHED(c) do { (++top)->i = (c); x += x->n; goto *code[x->op]; } while (0)
#define JF(c) do { if (c) { x += x->n; } else { (++top)->i = 0; x = f->x + x->b; } \
		   goto *code[x->op]; } while (0)
#define JT(c) do { if (c) { (++top)->i = 1; x = f->x + x->b; } else { x += x->n; } \
		   goto *code[x->op]; } while (0)
#define FCMP fcmp_holds(x, env)
#define FGLOB (rt_glob_match(x->imm.s, env->args[x->a].s) ^ x->type)
	goto *code[x->op];
push:
	(++top)->i = x->imm.i; /* the 8 bytes of an int, a double or a pointer */
	NEXT;
load:
	*++top = env->args[x->a]; /* the verifier checked the index and the type */
	NEXT;
load_be:
	(++top)->i = int_be(env->args[x->a].i, x->type);
	NEXT;
load_ctx:
	load_ctx(x->a, env, ++top);
	NEXT;
i2f:
	top[-(int)x->a].f = (double)top[-(int)x->a].i;
	NEXT;
neg_i:
	top->i = (int64_t)(0 - (uint64_t)top->i);
	NEXT;
neg_f:
	top->f = -top->f;
	NEXT;
not_i:
	top->i = top->i == 0;
	NEXT;
not_f:
	top->i = top->f == 0;
	NEXT;
bnot:
	top->i = (int64_t)~(uint64_t)top->i;
	NEXT;
bool_i:
	top->i = top->i != 0;
	NEXT;
bool_f:
	top->i = top->f != 0;
	NEXT;
int_op: {
	int64_t r;
	if (int_op(x->op, top[-1].i, top[0].i, &r) != 0)
		return 0;
	(--top)->i = r;
	NEXT;
}
cmp_i:
	top--;
	top->i = rt_fp_holds(x->type, top[0].i, top[1].i);
	NEXT;
cmp_f:
	top--;
	top->i = float_holds(x->type, top[0].f, top[1].f);
	NEXT;
str_cmp: {
	int eq = x->op == RT_FP_STR_EQ ? strcmp(top[-1].s, top[0].s) == 0
				       : rt_glob_match(top[0].s, top[-1].s);
	(--top)->i = x->type ? !eq : eq;
	NEXT;
}
jump:
	if ((top->i != 0) == (x->op == RT_FP_JT)) {
		x = f->x + x->b;
		goto *code[x->op];
	}
	top--;
	NEXT;
ret:
	return top->i != 0;
fcmp:
	PUSHED(FCMP);
fcmp_jf:
	JF(FCMP);
fcmp_jt:
	JT(FCMP);
fcmp_ret:
	return FCMP;
fglob:
	PUSHED(FGLOB);
fglob_jf:
	JF(FGLOB);
fglob_jt:
	JT(FGLOB);
fglob_ret:
	return FGLOB;
#undef NEXT
#undef PUSHED
#undef JF
#undef JT
#undef FCMP
#undef FGLOB
}
