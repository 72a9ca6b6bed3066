/* SPDX-License-Identifier: MIT */
/*
 * Filter programs: what the daemon's compiler (filter/compile.h) makes of
 * an `enable-event --filter` expression for one event, and what the
 * application verifies, binds to its own description of that event and
 * runs on the probe's arguments (the fields' values) before it stages the
 * record.
 *
 * A program comes from another process: rt_fp_bind() checks every byte
 * before anything runs it (see there), so the interpreter needs no check
 * that the verifier made.
 *
 * Layout (little-endian, no padding):
 *   struct rt_fp_hdr
 *   nr_insns x struct rt_fp_insn
 *   nr_consts x 8 bytes (int64 or IEEE double, by the instruction that names it)
 *   str_len bytes of string literals, each NUL-terminated (the last byte is NUL)
 *
 * A stack machine over three value types (int64, double, string): every
 * instruction says the types it takes, so the verifier knows the type of
 * every stack slot at every instruction. Jumps go forward only, so a
 * program runs each instruction at most once: its time is bounded by its
 * length (and the string comparisons by the strings' lengths).
 */
#ifndef RT_FILTER_PROGRAM_H
#define RT_FILTER_PROGRAM_H

#include <stddef.h>
#include <stdint.h>

#include <rseqtrace/types.h>

#define RT_FP_MAGIC 0x50465452u /* "RTFP" */
#define RT_FP_VERSION 1u
#define RT_FP_MAX_INSNS 1024u
#define RT_FP_MAX_CONSTS 256u
#define RT_FP_MAX_STRS 4096u   /* bytes of string literals */
#define RT_FP_MAX_LIT 255u     /* one literal, NUL excluded */
#define RT_FP_MAX_STACK 32u
/* String comparisons per program: each costs up to its subject's length
 * times its pattern's (a glob), so their number is bounded too. */
#define RT_FP_MAX_STR_OPS 64u
#define RT_FP_MAX_BYTES (sizeof(struct rt_fp_hdr) + RT_FP_MAX_INSNS * 8u + \
			 RT_FP_MAX_CONSTS * 8u + RT_FP_MAX_STRS)
/* Programs per event and channel: one per matching rule with a filter;
 * the event is recorded if any accepts it. */
#define RT_FP_MAX_PER_EVENT 16u

struct rt_fp_hdr {
	uint32_t magic;     /* RT_FP_MAGIC */
	uint16_t version;   /* RT_FP_VERSION */
	uint16_t nr_insns;  /* 1..RT_FP_MAX_INSNS */
	uint16_t nr_consts; /* 0..RT_FP_MAX_CONSTS */
	uint16_t reserved;
	uint32_t str_len;   /* 0..RT_FP_MAX_STRS */
};

struct rt_fp_insn {
	uint8_t op;   /* enum rt_fp_op */
	uint8_t type; /* LOAD_FIELD: enum rt_fp_ftype; CMP_*: enum rt_fp_cond; STR_*: 0 ==, 1 != */
	uint16_t a;   /* PUSH_INT/FLOAT: constant index; LOAD_FIELD: field index; LOAD_CTX:
		       * enum rt_fp_ctx; I2F: 0 the top slot, 1 the one below */
	uint32_t b;   /* PUSH_STR: offset in the strings; JF/JT: target instruction */
};

/* Stack types: I int64, F double, S string. "pops" left to right. */
enum rt_fp_op {
	RT_FP_PUSH_INT = 1,   /* -> I */
	RT_FP_PUSH_FLOAT,     /* -> F */
	RT_FP_PUSH_STR,       /* -> S (a pattern when compared with STR_MATCH) */
	RT_FP_LOAD_FIELD,     /* -> I, F or S: a payload field, of the type the insn says */
	RT_FP_LOAD_CTX,       /* -> I or S */
	RT_FP_I2F,            /* I -> F, at slot a (0 top, 1 below it) */
	RT_FP_NEG_I,          /* I -> I (wraps) */
	RT_FP_NEG_F,          /* F -> F */
	RT_FP_NOT_I,          /* I -> I: x == 0 */
	RT_FP_NOT_F,          /* F -> I: x == 0 */
	RT_FP_BNOT,           /* I -> I */
	RT_FP_BOOL_I,         /* I -> I: x != 0 */
	RT_FP_BOOL_F,         /* F -> I: x != 0 */
	RT_FP_ADD,            /* I I -> I, and the ones below, wrapping */
	RT_FP_SUB,
	RT_FP_MUL,
	RT_FP_DIV,            /* truncates; a zero divisor makes the program false */
	RT_FP_MOD,
	RT_FP_SHL,            /* on the uint64 bits; a count outside 0..63: false */
	RT_FP_SHR,
	RT_FP_BAND,
	RT_FP_BOR,
	RT_FP_BXOR,
	RT_FP_CMP_I,          /* I I -> I, by type (enum rt_fp_cond) */
	RT_FP_CMP_F,          /* F F -> I */
	RT_FP_STR_EQ,         /* S S -> I: the same bytes (type 1: not) */
	RT_FP_STR_MATCH,      /* S S -> I: the first matches the second as a glob (type 1: not) */
	RT_FP_JF,             /* I: 0 jumps to b keeping it, else pops it */
	RT_FP_JT,             /* I: non-zero jumps to b keeping it, else pops it */
	RT_FP_RET,            /* I: the last instruction; non-zero records the event */
	RT_FP_NR_OPS
};

enum rt_fp_cond { RT_FP_EQ, RT_FP_NE, RT_FP_LT, RT_FP_LE, RT_FP_GT, RT_FP_GE, RT_FP_NR_CONDS };

/* A field's type as a program names it; the app checks it against its own
 * description of the event. Enums are their container's integer. */
enum rt_fp_ftype {
	RT_FP_S8 = 1, RT_FP_U8, RT_FP_S16, RT_FP_U16, RT_FP_S32, RT_FP_U32, RT_FP_S64, RT_FP_U64,
	RT_FP_F32, RT_FP_F64, RT_FP_STRING,
};
#define RT_FP_BE 0x80u /* or-ed into an integer type: stored big-endian */

/* Context fields ($ctx.NAME), computed by the app when a program asks. */
enum rt_fp_ctx {
	RT_FP_CTX_VPID = 1,   /* I */
	RT_FP_CTX_VTID,       /* I */
	RT_FP_CTX_PROCNAME,   /* S */
	RT_FP_CTX_CPU_ID,     /* I */
	RT_FP_CTX_PTHREAD_ID, /* I */
	RT_FP_CTX_IP,         /* I */
	/* Real, effective, saved user then group ids (env->ids). */
	RT_FP_CTX_VUID, RT_FP_CTX_VEUID, RT_FP_CTX_VSUID,
	RT_FP_CTX_VGID, RT_FP_CTX_VEGID, RT_FP_CTX_VSGID,
	/* Namespace inodes, in common/context.h's order (env->ns). */
	RT_FP_CTX_CGROUP_NS, RT_FP_CTX_IPC_NS, RT_FP_CTX_MNT_NS, RT_FP_CTX_NET_NS,
	RT_FP_CTX_PID_NS, RT_FP_CTX_TIME_NS, RT_FP_CTX_USER_NS, RT_FP_CTX_UTS_NS,
	RT_FP_NR_CTX
};
#define RT_FP_CTX_BIT(c) (1u << (c))
#define RT_FP_CTX_IDS(k) (7u << (RT_FP_CTX_VUID + 3 * (k))) /* k: 0 uids, 1 gids */
#define RT_FP_CTX_NS (0xffu << RT_FP_CTX_CGROUP_NS)

/* The program type of a payload field (kind: enum rseqtrace_field_kind),
 * 0 if programs cannot read that kind (arrays, sequences). Both sides use
 * it: the compiler on the daemon's parsed description, the app on its own. */
uint8_t rt_fp_field_type(uint32_t kind, uint8_t size, uint8_t is_signed, uint8_t encoding);

/* A verified program bound to one event's static description. */
struct rt_fp;

/*
 * Verifies n bytes as a program for an event described by desc, and binds
 * it. Checks: the length against the header; magic, version, reserved;
 * the counts within the limits; every opcode and type code; constants and
 * string offsets in range, each literal NUL-terminated within
 * RT_FP_MAX_LIT bytes; every field index below desc->nr_fields and its
 * type equal to the field's own; every jump forward to an instruction of
 * the program; the stack depth (1..RT_FP_MAX_STACK) and the type of every
 * slot each instruction reads, the same on every path into an instruction;
 * at most RT_FP_MAX_STR_OPS string comparisons;
 * RET last and only there, with one int on the stack. NULL on any defect,
 * with the reason in err. Free with rt_fp_free().
 */
struct rt_fp *rt_fp_bind(const void *prog, size_t n, const struct rseqtrace_event_desc *desc,
			 char *err, size_t errlen);
void rt_fp_free(struct rt_fp *f);
/* The context fields f reads ($ctx.*, RT_FP_CTX_BIT of each): only those
 * does the caller need to fill in the environment. */
uint32_t rt_fp_reads_ctx(const struct rt_fp *f);

/* What a program reads: the fields' values and the contexts. */
struct rt_fp_env {
	/* The probe's argument view: slot k holds field k as
	 * union rseqtrace_arg says (rseqtrace/types.h). */
	const union rseqtrace_arg *args;
	const void *ip;      /* the call site */
	/* Set only when a program reads them (rt_fp_reads_ctx): */
	int64_t vpid, vtid;
	const char *procname; /* NUL-terminated */
	uint32_t ids[2][3];   /* getresuid, getresgid */
	uint64_t ns[8];       /* RT_FP_CTX_CGROUP_NS.. */
};

/* Whether a and b are in an order a condition mask allows: bit 0 less,
 * 1 equal, 2 greater (3 unordered, for doubles). No branch. */
static inline int rt_fp_holds(uint8_t mask, int64_t a, int64_t b)
{
	return mask >> ((a > b) - (a < b) + 1) & 1;
}

/*
 * Every bound program starts with this (rseqtrace/types.h). `set` when the
 * whole program is one integer field compared with a constant,
 * the most common filter: rt_fp_run then answers inline, without a call
 * or a dispatch, and so can the probe (a tagged rt's struct
 * rseqtrace_quick).
 */
static inline const struct rseqtrace_quick *rt_fp_quick_of(const struct rt_fp *f)
{
	return (const struct rseqtrace_quick *)(const void *)f;
}

int rt_fp_run_program(const struct rt_fp *f, const struct rt_fp_env *env);

/* 1: record the event; 0: not (false, or stopped: a zero divisor, a shift
 * count out of range). No allocation, no lock, no system call: runs
 * inside probes. */
static inline int rt_fp_run(const struct rt_fp *f, const struct rt_fp_env *env)
{
	const struct rseqtrace_quick *q = rt_fp_quick_of(f);
	if (q->set)
		return rseqtrace__quick_holds(q, env->args);
	return rt_fp_run_program(f, env);
}

#endif
