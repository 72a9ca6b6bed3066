/* SPDX-License-Identifier: MIT */
/*
 * The filter compiler (the daemon's side): lttng's filter expressions
 * (`enable-event --filter`), parsed and type-checked once when the rule
 * is made, then compiled for each event the rule matches, against that
 * event's description, into a program (filter/program.h).
 *
 * Grammar, loosest first (lttng-enable-event(1), with the integer
 * arithmetic lttng parses but refuses):
 *   ||   &&   == !=   < <= > >=   |   ^   &   << >>   + -   * / %
 *   unary - + ! ~   ( )   literals: integers (decimal, 0x hex, 0 octal),
 *   floats, "strings" (\" and \\ escapes; * is a glob, \* a star)
 *   operands: FIELD (a payload field), $ctx.NAME (vpid, vtid, procname,
 *   cpu_id, pthread_id, ip), $app.PROVIDER:NAME (application contexts:
 *   none exist here, so such an operand is missing)
 *
 * Types: integers (every integer and enum field, as int64), floats, strings.
 * Arithmetic (+ - * / %) and bitwise operators take integers (wrapping;
 * bitwise on the uint64 bits); comparisons take two numbers (an integer
 * beside a float is compared as a double) or, for == and !=, two strings
 * (a string literal is a glob; two literals are refused); ! && || take
 * numbers. A zero divisor or a shift count outside 0..63 makes the
 * expression false, as in lttng.
 *
 * An expression that is wrong whatever the event (syntax, a type error
 * between literals or contexts, an unknown $ctx field, too large) is
 * refused when the rule is made. One that cannot apply to a given event
 * (it has no such field, or the field's type does not fit) is false for
 * that event, as lttng makes a missing field false: a rule is a pattern
 * over events that may not be loaded yet, so it cannot be refused for
 * them.
 */
#ifndef RT_FILTER_COMPILE_H
#define RT_FILTER_COMPILE_H

#include <stddef.h>
#include <stdint.h>

#include "eventdesc/desc_wire.h"

#define RT_FILTER_MAX_TEXT 4095u  /* bytes of expression */
#define RT_FILTER_MAX_NODES 1024u
#define RT_FILTER_MAX_DEPTH 64u   /* nesting of parentheses and unary operators */

struct rt_filter;

/* Parses and checks an expression. NULL with a message in err. */
struct rt_filter *rt_filter_parse(const char *text, char *err, size_t errlen);
void rt_filter_free(struct rt_filter *f);

/*
 * The program of f for the event described by d: 1 and a malloc'd
 * program in *out (*len bytes); 0 if f cannot apply to that event (the
 * reason in err); -1 if it does not fit in a program (too large) or no
 * memory (the reason in err).
 */
int rt_filter_compile(const struct rt_filter *f, const struct rt_desc *d, uint8_t **out,
		      size_t *len, char *err, size_t errlen);

#endif
