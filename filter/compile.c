/* SPDX-License-Identifier: MIT */
/* The filter compiler: lexer, parser, type checker, code generator (compile.h). */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter/compile.h"
#include "filter/program.h"

enum kind { N_INT = 1, N_FLOAT, N_STR, N_FIELD, N_CTX, N_APP, N_UNARY, N_BINARY };

/* Binary operators, also the token codes of the lexer. */
enum op {
	O_OR = 1, O_AND, O_EQ, O_NE, O_LT, O_LE, O_GT, O_GE, O_BOR, O_BXOR, O_BAND,
	O_SHL, O_SHR, O_ADD, O_SUB, O_MUL, O_DIV, O_MOD, O_NOT, O_BNOT, O_LP, O_RP,
};

struct node {
	uint8_t kind, op;
	uint16_t ctx;      /* N_CTX */
	struct node *l, *r;
	int64_t i;
	double f;
	const char *s;     /* N_STR: the glob text; N_FIELD, N_APP: the name */
};

/* A parsed expression: its nodes and the text of its names and literals,
 * in one allocation the size of what it holds (a session keeps one per
 * rule: parsing uses room for the largest, then keeps only this). */
struct rt_filter {
	struct node *root;
	uint32_t nr;
	struct node *nodes;
	char *text; /* names and literals, NUL-separated */
};

/* ---- lexer ---------------------------------------------------------------- */

enum tok { T_END, T_INT, T_FLOAT, T_STR, T_FIELD, T_CTX, T_APP, T_OP };

struct parser {
	const char *p;
	char *out;        /* where the next name or literal is copied */
	struct rt_filter *f;
	enum tok tok;
	int op;
	int64_t i;
	double fl;
	const char *s;
	unsigned depth;
	char *err;
	size_t errlen;
	int failed;
};

static void perr(struct parser *ps, const char *fmt, ...)
{
	if (ps->failed)
		return;
	ps->failed = 1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ps->err, ps->errlen, fmt, ap);
	va_end(ap);
}

static const struct { const char *text; int op; } ops[] = {
	{ "||", O_OR }, { "&&", O_AND }, { "==", O_EQ }, { "!=", O_NE }, { "<=", O_LE },
	{ ">=", O_GE }, { "<<", O_SHL }, { ">>", O_SHR }, { "<", O_LT }, { ">", O_GT },
	{ "|", O_BOR }, { "^", O_BXOR }, { "&", O_BAND }, { "+", O_ADD }, { "-", O_SUB },
	{ "*", O_MUL }, { "/", O_DIV }, { "%", O_MOD }, { "!", O_NOT }, { "~", O_BNOT },
	{ "(", O_LP }, { ")", O_RP },
};

static int ident_start(char c) { return isalpha((unsigned char)c) || c == '_'; }
static int ident_char(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* Copies an identifier to the text area. */
static const char *take_ident(struct parser *ps)
{
	const char *start = ps->out;
	while (ident_char(*ps->p))
		*ps->out++ = *ps->p++;
	*ps->out++ = 0;
	return start;
}

static void lex_number(struct parser *ps)
{
	const char *b = ps->p;
	int hex = b[0] == '0' && (b[1] == 'x' || b[1] == 'X');
	const char *e = b;
	int is_float = 0;
	while (isalnum((unsigned char)*e) || *e == '.' ||
	       (!hex && (*e == '+' || *e == '-') && (e[-1] == 'e' || e[-1] == 'E'))) {
		if (*e == '.' || (!hex && (*e == 'e' || *e == 'E')))
			is_float = 1;
		e++;
	}
	char buf[128];
	if ((size_t)(e - b) >= sizeof buf) {
		perr(ps, "number too long: %.20s...", b);
		return;
	}
	memcpy(buf, b, (size_t)(e - b));
	buf[e - b] = 0;
	char *end;
	errno = 0;
	if (is_float) {
		ps->fl = strtod(buf, &end);
		ps->tok = T_FLOAT;
		if (*end || !isfinite(ps->fl))
			perr(ps, "bad float literal '%s'", buf);
	} else {
		unsigned long long v = strtoull(buf, &end, 0);
		ps->tok = T_INT;
		ps->i = (int64_t)v;
		if (*end || errno == ERANGE)
			perr(ps, "bad integer literal '%s' (at most 64 bits)", buf);
	}
	ps->p = e;
}

/* A string literal: \" and \\ stand for " and \, \* stays (a literal
 * star for the glob); any other escape is refused. */
static void lex_string(struct parser *ps)
{
	const char *start = ps->out;
	ps->p++;
	size_t n = 0;
	for (;;) {
		char c = *ps->p;
		if (!c) {
			perr(ps, "string literal not closed");
			return;
		}
		ps->p++;
		if (c == '"')
			break;
		if (c == '\\') {
			char d = *ps->p;
			if (d == '"' || d == '\\') {
				c = d;
				ps->p++;
			} else if (d == '*') {
				*ps->out++ = '\\';
				n++;
				c = '*';
				ps->p++;
			} else {
				perr(ps, "unknown escape '\\%c' in a string literal (\\\", \\\\, \\*)",
				     d ? d : ' ');
				return;
			}
		}
		*ps->out++ = c;
		n++;
	}
	*ps->out++ = 0;
	if (n > RT_FP_MAX_LIT)
		perr(ps, "string literal longer than %u bytes", RT_FP_MAX_LIT);
	ps->tok = T_STR;
	ps->s = start;
}

static void next(struct parser *ps)
{
	if (ps->failed) {
		ps->tok = T_END;
		return;
	}
	while (isspace((unsigned char)*ps->p))
		ps->p++;
	char c = *ps->p;
	if (!c) {
		ps->tok = T_END;
		return;
	}
	if (isdigit((unsigned char)c) || (c == '.' && isdigit((unsigned char)ps->p[1]))) {
		lex_number(ps);
		return;
	}
	if (c == '"') {
		lex_string(ps);
		return;
	}
	if (ident_start(c)) {
		ps->tok = T_FIELD;
		ps->s = take_ident(ps);
		if (*ps->p == '[' || *ps->p == '.')
			perr(ps, "'%s%c': array indexes and nested fields are not supported", ps->s,
			     *ps->p);
		return;
	}
	if (strncmp(ps->p, "$ctx.", 5) == 0 && ident_start(ps->p[5])) {
		ps->p += 5;
		ps->tok = T_CTX;
		ps->s = take_ident(ps);
		return;
	}
	if (strncmp(ps->p, "$app.", 5) == 0 && ident_start(ps->p[5])) {
		ps->p += 5;
		const char *prov = take_ident(ps);
		if (*ps->p != ':' || !ident_start(ps->p[1])) {
			perr(ps, "$app.%s: expected $app.PROVIDER:NAME", prov);
			return;
		}
		ps->out[-1] = ':';
		ps->p++;
		take_ident(ps);
		ps->tok = T_APP;
		ps->s = prov;
		return;
	}
	for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
		size_t n = strlen(ops[k].text);
		if (strncmp(ps->p, ops[k].text, n) == 0) {
			ps->p += n;
			ps->tok = T_OP;
			ps->op = ops[k].op;
			return;
		}
	}
	perr(ps, "unexpected character '%c'", c);
	ps->tok = T_END;
}

/* ---- parser ---------------------------------------------------------------- */

static struct node *new_node(struct parser *ps, uint8_t kind)
{
	if (ps->f->nr >= RT_FILTER_MAX_NODES) {
		perr(ps, "expression too large (more than %u terms)", RT_FILTER_MAX_NODES);
		return NULL;
	}
	struct node *n = &ps->f->nodes[ps->f->nr++];
	memset(n, 0, sizeof *n);
	n->kind = kind;
	return n;
}

static const struct { const char *name; uint16_t id; } ctx_names[] = {
	{ "vpid", RT_FP_CTX_VPID }, { "vtid", RT_FP_CTX_VTID },
	{ "procname", RT_FP_CTX_PROCNAME }, { "cpu_id", RT_FP_CTX_CPU_ID },
	{ "pthread_id", RT_FP_CTX_PTHREAD_ID }, { "ip", RT_FP_CTX_IP },
	{ "vuid", RT_FP_CTX_VUID }, { "veuid", RT_FP_CTX_VEUID }, { "vsuid", RT_FP_CTX_VSUID },
	{ "vgid", RT_FP_CTX_VGID }, { "vegid", RT_FP_CTX_VEGID }, { "vsgid", RT_FP_CTX_VSGID },
	{ "cgroup_ns", RT_FP_CTX_CGROUP_NS }, { "ipc_ns", RT_FP_CTX_IPC_NS },
	{ "mnt_ns", RT_FP_CTX_MNT_NS }, { "net_ns", RT_FP_CTX_NET_NS },
	{ "pid_ns", RT_FP_CTX_PID_NS }, { "time_ns", RT_FP_CTX_TIME_NS },
	{ "user_ns", RT_FP_CTX_USER_NS }, { "uts_ns", RT_FP_CTX_UTS_NS },
};

static struct node *parse_or(struct parser *ps);

static struct node *parse_primary(struct parser *ps)
{
	struct node *n = NULL;
	switch (ps->tok) {
	case T_INT:
		if ((n = new_node(ps, N_INT)))
			n->i = ps->i;
		break;
	case T_FLOAT:
		if ((n = new_node(ps, N_FLOAT)))
			n->f = ps->fl;
		break;
	case T_STR:
	case T_FIELD:
	case T_APP:
		if ((n = new_node(ps, ps->tok == T_STR ? N_STR : ps->tok == T_FIELD ? N_FIELD : N_APP)))
			n->s = ps->s;
		break;
	case T_CTX:
		for (size_t k = 0; k < sizeof ctx_names / sizeof ctx_names[0]; k++)
			if (strcmp(ps->s, ctx_names[k].name) == 0 && (n = new_node(ps, N_CTX)))
				n->ctx = ctx_names[k].id;
		/* A counter is read when the record is written, after the
		 * filter ran: a filter could only read a second, other value. */
		if (!n && strncmp(ps->s, "perf", 4) == 0 && (!ps->s[4] || ps->s[4] == '_'))
			perr(ps, "cannot filter on perf counters ($ctx.%s): record them with "
				 "add-context -t perf:thread:NAME instead", ps->s);
		else if (!n)
			perr(ps, "unknown context field $ctx.%s (vpid, vtid, procname, cpu_id, "
				 "pthread_id, ip, vuid, veuid, vsuid, vgid, vegid, vsgid, cgroup_ns, "
				 "ipc_ns, mnt_ns, net_ns, pid_ns, time_ns, user_ns, uts_ns)", ps->s);
		break;
	case T_OP:
		if (ps->op == O_LP) {
			next(ps);
			n = parse_or(ps);
			if (ps->tok != T_OP || ps->op != O_RP) {
				perr(ps, "expected ')'");
				return NULL;
			}
			break;
		}
		perr(ps, "expected an operand before '%.10s'", ps->p - 1);
		return NULL;
	case T_END:
		perr(ps, "expression ends where an operand is expected");
		return NULL;
	}
	next(ps);
	return n;
}

static struct node *parse_unary(struct parser *ps)
{
	if (++ps->depth > RT_FILTER_MAX_DEPTH) {
		perr(ps, "expression nested deeper than %u", RT_FILTER_MAX_DEPTH);
		return NULL;
	}
	struct node *n;
	if (ps->tok == T_OP && (ps->op == O_SUB || ps->op == O_ADD || ps->op == O_NOT ||
				ps->op == O_BNOT)) {
		int op = ps->op;
		next(ps);
		struct node *sub = parse_unary(ps);
		n = sub ? new_node(ps, N_UNARY) : NULL;
		if (n) {
			n->op = (uint8_t)op;
			n->l = sub;
		}
	} else {
		n = parse_primary(ps);
	}
	ps->depth--;
	return ps->failed ? NULL : n;
}

/* Binary levels, tightest last: each level's operators. */
static const int levels[][5] = {
	{ O_OR }, { O_AND }, { O_EQ, O_NE }, { O_LT, O_LE, O_GT, O_GE }, { O_BOR }, { O_BXOR },
	{ O_BAND }, { O_SHL, O_SHR }, { O_ADD, O_SUB }, { O_MUL, O_DIV, O_MOD },
};
#define NR_LEVELS (sizeof levels / sizeof levels[0])

static int at_level(const struct parser *ps, unsigned lvl)
{
	if (ps->tok != T_OP)
		return 0;
	for (int k = 0; k < 5 && levels[lvl][k]; k++)
		if (levels[lvl][k] == ps->op)
			return 1;
	return 0;
}

static struct node *parse_level(struct parser *ps, unsigned lvl)
{
	if (lvl == NR_LEVELS)
		return parse_unary(ps);
	struct node *l = parse_level(ps, lvl + 1);
	while (l && !ps->failed && at_level(ps, lvl)) {
		int op = ps->op;
		next(ps);
		struct node *r = parse_level(ps, lvl + 1);
		struct node *n = r ? new_node(ps, N_BINARY) : NULL;
		if (!n)
			return NULL;
		n->op = (uint8_t)op;
		n->l = l;
		n->r = r;
		l = n;
	}
	return ps->failed ? NULL : l;
}

static struct node *parse_or(struct parser *ps)
{
	if (++ps->depth > RT_FILTER_MAX_DEPTH) {
		perr(ps, "expression nested deeper than %u", RT_FILTER_MAX_DEPTH);
		return NULL;
	}
	struct node *n = parse_level(ps, 0);
	ps->depth--;
	return n;
}

/* ---- types ------------------------------------------------------------------ */

enum { TY_ERR = 0, TY_I, TY_F, TY_S, TY_ANY };

struct typer {
	const struct rt_desc *d; /* NULL: fields are of any type */
	char *err;
	size_t errlen;
	int failed;
};

static int terr(struct typer *t, const char *fmt, ...)
{
	if (!t->failed) {
		t->failed = 1;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(t->err, t->errlen, fmt, ap);
		va_end(ap);
	}
	return TY_ERR;
}

static const char *op_text(int op)
{
	for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
		if (ops[k].op == op)
			return ops[k].text;
	return "?";
}

static const struct rt_field *find_field(const struct rt_desc *d, const char *name, uint32_t *idx)
{
	for (uint32_t i = 0; i < d->nr_fields; i++)
		if (strcmp(d->fields[i].name, name) == 0) {
			*idx = i;
			return &d->fields[i];
		}
	return NULL;
}

static uint8_t ftype(const struct rt_field *fd)
{
	return rt_fp_field_type(fd->kind, fd->elem.size, fd->elem.is_signed, fd->elem.encoding);
}

static int is_num(int ty) { return ty == TY_I || ty == TY_F || ty == TY_ANY; }

static int type_of(struct typer *t, const struct node *n);

static int type_unary(struct typer *t, const struct node *n)
{
	int a = type_of(t, n->l);
	if (a == TY_ERR)
		return TY_ERR;
	if (n->op == O_BNOT)
		return a == TY_I || a == TY_ANY ? TY_I : terr(t, "'~' takes an integer");
	if (!is_num(a))
		return terr(t, "'%s' takes a number, not a string", op_text(n->op));
	return n->op == O_NOT ? TY_I : a;
}

static int type_binary(struct typer *t, const struct node *n)
{
	int a = type_of(t, n->l), b = a == TY_ERR ? TY_ERR : type_of(t, n->r);
	if (a == TY_ERR || b == TY_ERR)
		return TY_ERR;
	switch (n->op) {
	case O_OR: case O_AND: case O_LT: case O_LE: case O_GT: case O_GE:
		if (!is_num(a) || !is_num(b))
			return terr(t, "'%s' takes numbers, not strings", op_text(n->op));
		return TY_I;
	case O_EQ: case O_NE:
		if (a == TY_S || b == TY_S) {
			if (!(a == TY_S || a == TY_ANY) || !(b == TY_S || b == TY_ANY))
				return terr(t, "'%s' compares a string with a number", op_text(n->op));
			if (n->l->kind == N_STR && n->r->kind == N_STR)
				return terr(t, "'%s' compares two string literals", op_text(n->op));
		}
		return TY_I;
	default: /* arithmetic and bitwise */
		if (!(a == TY_I || a == TY_ANY) || !(b == TY_I || b == TY_ANY))
			return terr(t, "'%s' takes integers", op_text(n->op));
		return TY_I;
	}
}

static int type_of(struct typer *t, const struct node *n)
{
	switch (n->kind) {
	case N_INT: return TY_I;
	case N_FLOAT: return TY_F;
	case N_STR: return TY_S;
	case N_CTX: return n->ctx == RT_FP_CTX_PROCNAME ? TY_S : TY_I;
	case N_APP:
		return t->d ? terr(t, "no application context $app.%s", n->s) : TY_ANY;
	case N_FIELD: {
		if (!t->d)
			return TY_ANY;
		uint32_t idx;
		const struct rt_field *fd = find_field(t->d, n->s, &idx);
		if (!fd)
			return terr(t, "%s has no field '%s'", t->d->name, n->s);
		uint8_t ft = ftype(fd);
		if (!ft)
			return terr(t, "%s: field '%s' is an array or a sequence", t->d->name, n->s);
		ft &= (uint8_t)~RT_FP_BE;
		return ft == RT_FP_STRING ? TY_S : ft >= RT_FP_F32 ? TY_F : TY_I;
	}
	case N_UNARY: return type_unary(t, n);
	default: return type_binary(t, n);
	}
}

static int check_top(struct typer *t, const struct node *root)
{
	int ty = type_of(t, root);
	if (ty == TY_S)
		return terr(t, "the expression is a string, not a condition");
	return ty;
}

/* An upper bound of the stack a node's code needs (the code of a binary
 * node holds one value while it computes the other). */
static unsigned stack_need(const struct node *n)
{
	if (n->kind == N_UNARY)
		return stack_need(n->l);
	if (n->kind != N_BINARY)
		return 1;
	unsigned a = stack_need(n->l), b = stack_need(n->r);
	return 1 + (a > b ? a : b);
}

/* Whether every event's program of f fits the program limits, from
 * bounds that do not depend on the event: at most 3 instructions a node
 * and 2 at the end, a constant a number, the literals' bytes. So a
 * filter that passes here never fails to compile. */
static int fits(const struct rt_filter *f, char *err, size_t errlen)
{
	uint32_t consts = 0, strs = 0;
	for (uint32_t i = 0; i < f->nr; i++) {
		const struct node *n = &f->nodes[i];
		consts += n->kind == N_INT || n->kind == N_FLOAT;
		strs += n->kind == N_STR ? (uint32_t)strlen(n->s) + 1 : 0;
	}
	const char *what = NULL;
	if (3 * f->nr + 2 > RT_FP_MAX_INSNS)
		what = "terms";
	else if (consts > RT_FP_MAX_CONSTS)
		what = "number literals";
	else if (strs > RT_FP_MAX_STRS)
		what = "bytes of string literals";
	else if (stack_need(f->root) > RT_FP_MAX_STACK)
		what = "levels of operands";
	if (what)
		snprintf(err, errlen, "expression too large for a filter program: too many %s "
				      "(at most %u terms, %u numbers, %u bytes of strings, %u levels)",
			 what, (RT_FP_MAX_INSNS - 2) / 3, RT_FP_MAX_CONSTS, RT_FP_MAX_STRS,
			 RT_FP_MAX_STACK);
	return what == NULL;
}

static struct rt_filter *compact(const struct rt_filter *f, size_t text_len);

struct rt_filter *rt_filter_parse(const char *text, char *err, size_t errlen)
{
	size_t n = strlen(text);
	if (n > RT_FILTER_MAX_TEXT) {
		snprintf(err, errlen, "filter expression of %zu bytes (at most %u)", n, RT_FILTER_MAX_TEXT);
		return NULL;
	}
	/* Names and literals are never longer than the text, plus NULs. */
	struct rt_filter *f = calloc(1, sizeof *f);
	struct node *nodes = calloc(RT_FILTER_MAX_NODES, sizeof *nodes);
	char *names = calloc(1, 2 * n + 2);
	if (!f || !nodes || !names) {
		free(f);
		free(nodes);
		free(names);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->nodes = nodes;
	f->text = names;
	struct parser ps = { .p = text, .out = f->text, .f = f, .err = err, .errlen = errlen };
	next(&ps);
	f->root = parse_or(&ps);
	if (!ps.failed && ps.tok != T_END)
		perr(&ps, "unexpected '%.20s' after the expression", ps.p - (ps.tok == T_OP ? 1 : 0));
	if (!ps.failed && !f->root)
		perr(&ps, "empty expression");
	struct typer ty = { .err = err, .errlen = errlen };
	struct rt_filter *kept = NULL;
	if (!ps.failed && check_top(&ty, f->root) != TY_ERR && fits(f, err, errlen)) {
		kept = compact(f, (size_t)(ps.out - f->text));
		if (!kept)
			snprintf(err, errlen, "out of memory");
	}
	free(nodes);
	free(names);
	free(f);
	return kept;
}

/* f's nodes and text copied into one allocation of their size. */
static struct rt_filter *compact(const struct rt_filter *f, size_t text_len)
{
	struct rt_filter *c = malloc(sizeof *c + f->nr * sizeof(struct node) + text_len);
	if (!c)
		return NULL;
	c->nr = f->nr;
	c->nodes = (struct node *)(c + 1);
	c->text = (char *)(c->nodes + f->nr);
	memcpy(c->text, f->text, text_len);
	for (uint32_t i = 0; i < f->nr; i++) {
		struct node n = f->nodes[i];
		if (n.l)
			n.l = c->nodes + (n.l - f->nodes);
		if (n.r)
			n.r = c->nodes + (n.r - f->nodes);
		if (n.s)
			n.s = c->text + (n.s - f->text);
		c->nodes[i] = n;
	}
	c->root = c->nodes + (f->root - f->nodes);
	return c;
}

void rt_filter_free(struct rt_filter *f)
{
	free(f);
}

/* ---- code generation ---------------------------------------------------------- */

struct gen {
	struct typer t;
	struct rt_fp_insn insns[RT_FP_MAX_INSNS];
	uint32_t nr_insns;
	uint64_t consts[RT_FP_MAX_CONSTS];
	uint32_t nr_consts;
	char strs[RT_FP_MAX_STRS];
	uint32_t str_len;
	int depth, max_depth;
	uint32_t str_ops;
	int full;
};

static uint32_t emit(struct gen *g, uint8_t op, uint8_t type, uint16_t a, uint32_t b, int push)
{
	if ((op == RT_FP_STR_EQ || op == RT_FP_STR_MATCH) && ++g->str_ops > RT_FP_MAX_STR_OPS)
		g->full = 1;
	if (g->nr_insns >= RT_FP_MAX_INSNS) {
		g->full = 1;
		return 0;
	}
	g->depth += push;
	if (g->depth > g->max_depth)
		g->max_depth = g->depth;
	g->insns[g->nr_insns] = (struct rt_fp_insn){ op, type, a, b };
	return g->nr_insns++;
}

static uint16_t add_const(struct gen *g, const void *v)
{
	if (g->nr_consts >= RT_FP_MAX_CONSTS) {
		g->full = 1;
		return 0;
	}
	memcpy(&g->consts[g->nr_consts], v, 8);
	return (uint16_t)g->nr_consts++;
}

static uint32_t add_str(struct gen *g, const char *s)
{
	size_t n = strlen(s) + 1;
	if (n > RT_FP_MAX_STRS - g->str_len) {
		g->full = 1;
		return 0;
	}
	memcpy(g->strs + g->str_len, s, n);
	g->str_len += (uint32_t)n;
	return g->str_len - (uint32_t)n;
}

static int gen_node(struct gen *g, const struct node *n);

static void to_bool(struct gen *g, int ty)
{
	emit(g, ty == TY_F ? RT_FP_BOOL_F : RT_FP_BOOL_I, 0, 0, 0, 0);
}

static uint8_t cond_of(int op)
{
	switch (op) {
	case O_EQ: return RT_FP_EQ;
	case O_NE: return RT_FP_NE;
	case O_LT: return RT_FP_LT;
	case O_LE: return RT_FP_LE;
	case O_GT: return RT_FP_GT;
	default: return RT_FP_GE;
	}
}

static int gen_compare(struct gen *g, const struct node *n)
{
	if (type_of(&g->t, n->l) == TY_S) {
		uint8_t ne = n->op == O_NE;
		if (n->r->kind == N_STR || n->l->kind == N_STR) {
			/* The literal is the glob, whichever side it is on. */
			const struct node *lit = n->r->kind == N_STR ? n->r : n->l;
			gen_node(g, lit == n->r ? n->l : n->r);
			gen_node(g, lit);
			emit(g, RT_FP_STR_MATCH, ne, 0, 0, -1);
		} else {
			gen_node(g, n->l);
			gen_node(g, n->r);
			emit(g, RT_FP_STR_EQ, ne, 0, 0, -1);
		}
		return TY_I;
	}
	int a = gen_node(g, n->l);
	int b = gen_node(g, n->r);
	if (a == TY_I && b == TY_I) {
		emit(g, RT_FP_CMP_I, cond_of(n->op), 0, 0, -1);
	} else {
		if (a == TY_I)
			emit(g, RT_FP_I2F, 0, 1, 0, 0);
		if (b == TY_I)
			emit(g, RT_FP_I2F, 0, 0, 0, 0);
		emit(g, RT_FP_CMP_F, cond_of(n->op), 0, 0, -1);
	}
	return TY_I;
}

static int gen_binary(struct gen *g, const struct node *n)
{
	if (n->op == O_AND || n->op == O_OR) {
		to_bool(g, gen_node(g, n->l));
		uint32_t j = emit(g, n->op == O_AND ? RT_FP_JF : RT_FP_JT, 0, 0, 0, -1);
		to_bool(g, gen_node(g, n->r));
		if (!g->full)
			g->insns[j].b = g->nr_insns;
		return TY_I;
	}
	if (n->op >= O_EQ && n->op <= O_GE)
		return gen_compare(g, n);
	static const uint8_t code[] = {
		[O_BOR] = RT_FP_BOR, [O_BXOR] = RT_FP_BXOR, [O_BAND] = RT_FP_BAND, [O_SHL] = RT_FP_SHL,
		[O_SHR] = RT_FP_SHR, [O_ADD] = RT_FP_ADD, [O_SUB] = RT_FP_SUB, [O_MUL] = RT_FP_MUL,
		[O_DIV] = RT_FP_DIV, [O_MOD] = RT_FP_MOD,
	};
	gen_node(g, n->l);
	gen_node(g, n->r);
	emit(g, code[n->op], 0, 0, 0, -1);
	return TY_I;
}

static int gen_node(struct gen *g, const struct node *n)
{
	switch (n->kind) {
	case N_INT:
		emit(g, RT_FP_PUSH_INT, 0, add_const(g, &n->i), 0, 1);
		return TY_I;
	case N_FLOAT:
		emit(g, RT_FP_PUSH_FLOAT, 0, add_const(g, &n->f), 0, 1);
		return TY_F;
	case N_STR:
		emit(g, RT_FP_PUSH_STR, 0, 0, add_str(g, n->s), 1);
		return TY_S;
	case N_CTX:
		emit(g, RT_FP_LOAD_CTX, 0, n->ctx, 0, 1);
		return n->ctx == RT_FP_CTX_PROCNAME ? TY_S : TY_I;
	case N_FIELD: {
		uint32_t idx = 0;
		const struct rt_field *fd = find_field(g->t.d, n->s, &idx);
		uint8_t ft = ftype(fd); /* type_of checked both */
		emit(g, RT_FP_LOAD_FIELD, ft, (uint16_t)idx, 0, 1);
		ft &= (uint8_t)~RT_FP_BE;
		return ft == RT_FP_STRING ? TY_S : ft >= RT_FP_F32 ? TY_F : TY_I;
	}
	case N_UNARY: {
		int a = gen_node(g, n->l);
		switch (n->op) {
		case O_SUB: emit(g, a == TY_F ? RT_FP_NEG_F : RT_FP_NEG_I, 0, 0, 0, 0); return a;
		case O_ADD: return a;
		case O_NOT: emit(g, a == TY_F ? RT_FP_NOT_F : RT_FP_NOT_I, 0, 0, 0, 0); return TY_I;
		default: emit(g, RT_FP_BNOT, 0, 0, 0, 0); return TY_I;
		}
	}
	default:
		return gen_binary(g, n);
	}
}

int rt_filter_compile(const struct rt_filter *f, const struct rt_desc *d, uint8_t **out,
		      size_t *len, char *err, size_t errlen)
{
	struct gen *g = calloc(1, sizeof *g);
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	g->t = (struct typer){ .d = d, .err = err, .errlen = errlen };
	if (d->nr_fields > UINT16_MAX || check_top(&g->t, f->root) == TY_ERR) {
		free(g);
		return 0;
	}
	if (gen_node(g, f->root) == TY_F)
		to_bool(g, TY_F);
	emit(g, RT_FP_RET, 0, 0, 0, -1);
	if (g->full || g->max_depth > (int)RT_FP_MAX_STACK) {
		snprintf(err, errlen, "more than %u string comparisons for this event",
			 RT_FP_MAX_STR_OPS);
		free(g);
		return -1;
	}
	struct rt_fp_hdr h = { .magic = RT_FP_MAGIC, .version = RT_FP_VERSION,
			       .nr_insns = (uint16_t)g->nr_insns, .nr_consts = (uint16_t)g->nr_consts,
			       .str_len = g->str_len };
	size_t n = sizeof h + g->nr_insns * 8u + g->nr_consts * 8u + g->str_len;
	uint8_t *p = malloc(n);
	if (!p) {
		free(g);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(p, &h, sizeof h);
	memcpy(p + sizeof h, g->insns, g->nr_insns * 8u);
	memcpy(p + sizeof h + g->nr_insns * 8u, g->consts, g->nr_consts * 8u);
	memcpy(p + sizeof h + g->nr_insns * 8u + g->nr_consts * 8u, g->strs, g->str_len);
	free(g);
	*out = p;
	*len = n;
	return 1;
}
