/* SPDX-License-Identifier: MIT */
/*
 * Tracepoints: define a provider's events in a header, instantiate the
 * provider in one .c file, trace with one macro.
 *
 *   // hello_tp.h
 *   #ifndef HELLO_TP_H
 *   #define HELLO_TP_H
 *   #include <rseqtrace/tracepoint.h>
 *
 *   RSEQTRACE_ENUM(hello, color,
 *       RSEQTRACE_ENUM_VALUES(rseqtrace_enum_value("RED", 0)
 *                             rseqtrace_enum_range("WARM", 1, 9)))
 *
 *   RSEQTRACE_EVENT(hello, greeting, INFO,
 *       RSEQTRACE_ARGS(int, count, const char *, who),
 *       RSEQTRACE_FIELDS(
 *           rseqtrace_field_integer(int, count, count)
 *           rseqtrace_field_string(who, who)))
 *   #endif
 *
 *   // hello_tp.c: the one translation unit that instantiates the provider
 *   #define RSEQTRACE_CREATE_PROBES
 *   #include "hello_tp.h"
 *
 *   // anywhere, in any shared object:
 *   rseqtrace(hello, greeting, n, "world");
 *
 * Disabled, a call site costs one byte load and a not-taken branch and
 * evaluates none of its arguments. Enabled, it calls an out-of-line
 * function that takes its return address (the call site, for the `ip`
 * context), enters an RCU read-side section and calls the probe, which
 * evaluates the fields' expressions and passes their values to its
 * staging function, which computes the record size, serializes the
 * fields onto its stack with CTF alignment and hands the record to
 * librseqtrace (one restartable sequence per channel). When a channel has
 * a filter for the event, the probe first checks the event's quick filter
 * (rseqtrace/types.h: an integer field's range, when every channel's
 * filter is that one) and returns if it rejects the hit, having called
 * nothing; then the fields' values go to the filters (rseqtrace__filter)
 * and nothing is staged if no channel records the hit. Without a filter
 * that costs one predictable branch.
 *
 * The probe may live in another shared object than the call sites (a
 * provider library loaded with dlopen and unloaded with dlclose while
 * other threads trace): call sites reach it through their tracepoint
 * object, which librseqtrace links and unlinks, and an unload waits for
 * every thread to leave the probe.
 *
 * Rules: include the provider header with RSEQTRACE_CREATE_PROBES defined
 * in exactly one .c file per provider (before any other inclusion of it in
 * that file), and #undef RSEQTRACE_CREATE_PROBES before including other
 * providers' headers there. Argument types are checked against the
 * prototype at every call site, field types and names at compile time in
 * the instantiating file. Link with -lrseqtrace.
 */
/* Built with -DRSEQTRACE_BACKEND_LTTNG, the same provider headers and call
 * sites become LTTng-UST tracepoints (see rseqtrace/lttng.h). */
#ifdef RSEQTRACE_BACKEND_LTTNG
#include <rseqtrace/lttng.h>
#else

#ifndef RSEQTRACE_TRACEPOINT_H
#define RSEQTRACE_TRACEPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rseqtrace/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Records are staged on the probe's stack: payloads above this size are
 * dropped and counted as too big. Define it before including to change it. */
#ifndef RSEQTRACE_MAX_PAYLOAD
#define RSEQTRACE_MAX_PAYLOAD 16384u
#endif
/* Room the probe leaves in front of the payload for the event header and
 * every event context at once (16 + 20 8-byte, 9 4-byte, procname 16;
 * common/context.h): stack only, never copied. */
#define RSEQTRACE__HDR_RESERVE 232u

/* ---- librseqtrace entry points used by the expansions ------------------ */

/* GCC on x86 calls them through the GOT rather than a PLT stub (noplt):
 * one jump less on every hit of a position-independent program. */
#if defined(__GNUC__) && !defined(__clang__) && (defined(__x86_64__) || defined(__i386__))
#define RSEQTRACE__API __attribute__((visibility("default"), noplt))
#else
#define RSEQTRACE__API __attribute__((visibility("default")))
#endif

RSEQTRACE__API unsigned long rseqtrace__read_lock(void);
RSEQTRACE__API void rseqtrace__read_unlock(unsigned long token);
/*
 * rt: the event's `rt` as the probe loaded it, tagged as filtered (bit 0);
 * ip: the call site's return address (the ip context, $ctx.ip); args: the
 * fields' values (union rseqtrace_arg), read only. Returns 1 + the index
 * of the first channel that records this hit (active, and its filter, if
 * any, accepts args), 0 if none does: the probe then stages nothing.
 * (args is not const: GCC would take an event without a field a filter
 * reads, whose view no store fills, for a read of uninitialized memory.)
 */
RSEQTRACE__API uint32_t rseqtrace__filter(const void *rt, const void *ip,
					  union rseqtrace_arg *args);
/*
 * Writes the staged record into every channel of rt that records it.
 * first: what rseqtrace__filter returned (that channel records it, those
 * before do not; the filters of those after run on args), or 0 when rt is
 * not tagged (no filter anywhere; args is then not read).
 */
RSEQTRACE__API void rseqtrace__emit(const void *rt, uint32_t first, const void *ip,
				    union rseqtrace_arg *args, char *payload, size_t len);
/* The payload is too big to stage: counted lost in every channel that
 * would record it (as rseqtrace__emit picks them). */
RSEQTRACE__API void rseqtrace__drop_big(const void *rt, uint32_t first, const void *ip,
				        union rseqtrace_arg *args);
RSEQTRACE__API void rseqtrace__register_tracepoints(struct rseqtrace_tracepoint *const *start,
						   struct rseqtrace_tracepoint *const *stop);
RSEQTRACE__API void rseqtrace__unregister_tracepoints(struct rseqtrace_tracepoint *const *start,
						     struct rseqtrace_tracepoint *const *stop);
RSEQTRACE__API void rseqtrace__register_events(struct rseqtrace_event *const *start,
					      struct rseqtrace_event *const *stop);
RSEQTRACE__API void rseqtrace__unregister_events(struct rseqtrace_event *const *start,
						struct rseqtrace_event *const *stop);

/*
 * Aligns o to a (a power of two), zeroing the gap, then copies n bytes (zeros
 * when v is NULL). The gap is zeroed with one 8-byte store: the staging
 * buffer has RSEQTRACE__SLACK spare bytes at its end for it (rseqtrace__emit
 * also zeroes the padding after the last field with one store there).
 */
static inline size_t rseqtrace__put(char *p, size_t o, const void *v, size_t n, size_t a)
{
	size_t at = (o + a - 1) & ~(a - 1);
	if (a > 1 && at != o) {
		uint64_t zero = 0;
		memcpy(p + o, &zero, 8);
	}
	if (n) {
		if (v)
			memcpy(p + at, v, n);
		else
			memset(p + at, 0, n);
	}
	return at + n;
}

/* strlen(s) + 1, or more than max when s is longer: short strings are
 * measured inline, long ones by the C library. */
static inline size_t rseqtrace__strsize(const char *s, size_t max)
{
	for (size_t i = 0; i < 16; i++)
		if (!s[i])
			return i + 1;
	return strnlen(s, max) + 1;
}

/* Copies a string of n bytes (NUL included, as measured above). */
static inline size_t rseqtrace__put_str(char *p, size_t o, const char *s, size_t n)
{
	if (n <= 16) {
		for (size_t i = 0; i < n; i++)
			p[o + i] = s[i];
	} else {
		memcpy(p + o, s, n);
	}
	p[o + n - 1] = 0; /* the string may have changed since it was measured */
	return o + n;
}

#define RSEQTRACE__SLACK 8u

/* A function, so that narrow length types draw no -Wtype-limits. */
static inline int rseqtrace__too_many(uint64_t n, uint64_t max)
{
	return n > max;
}

static inline size_t rseqtrace__align(size_t o, size_t a)
{
	return (o + a - 1) & ~(a - 1);
}

/* ---- preprocessor helpers ---------------------------------------------- */

#define RSEQTRACE__CAT_(a, b) a##b
#define RSEQTRACE__CAT(a, b) RSEQTRACE__CAT_(a, b)
#define RSEQTRACE__STR_(...) #__VA_ARGS__
#define RSEQTRACE__STR(...) RSEQTRACE__STR_(__VA_ARGS__)

/* Integer types: int, char, bool, enums (not pointers, not floats). GCC
 * classifies all of them as 1 (integer); clang gives bool 4 (boolean). */
#define RSEQTRACE__IS_INT(type) ((__builtin_classify_type((type)0) == 1 ||    \
				  __builtin_classify_type((type)0) == 4) &&   \
				 (sizeof(type) == 1 || sizeof(type) == 2 || \
				  sizeof(type) == 4 || sizeof(type) == 8))
#define RSEQTRACE__IS_SIGNED(type) ((type)-1 < (type)1)
#define RSEQTRACE__IS_FLOAT(type) _Generic((type)0, float: 1, double: 1, default: 0)

/* Argument lists are (type, name) pairs, at most 10. */
#define RSEQTRACE__NARGS(...) RSEQTRACE__NARGS_(_, ##__VA_ARGS__, 20, 19, 18, 17, 16, 15, 14, \
			13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define RSEQTRACE__NARGS_(_0, _1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, \
			  _15, _16, _17, _18, _19, _20, n, ...) n

#define RSEQTRACE__DECL(...) RSEQTRACE__CAT(RSEQTRACE__DECL_, RSEQTRACE__NARGS(__VA_ARGS__))(__VA_ARGS__)
#define RSEQTRACE__TAIL(...) RSEQTRACE__CAT(RSEQTRACE__TAIL_, RSEQTRACE__NARGS(__VA_ARGS__))(__VA_ARGS__)
#define RSEQTRACE__NAMES(...) RSEQTRACE__CAT(RSEQTRACE__NAMES_, RSEQTRACE__NARGS(__VA_ARGS__))(__VA_ARGS__)

#define RSEQTRACE__DECL_0() void
#define RSEQTRACE__DECL_1(v) v /* (void): LTTng-UST's spelling of no arguments */
#define RSEQTRACE__DECL_2(t1, a1) t1 a1
#define RSEQTRACE__DECL_4(t1, a1, ...) t1 a1, RSEQTRACE__DECL_2(__VA_ARGS__)
#define RSEQTRACE__DECL_6(t1, a1, ...) t1 a1, RSEQTRACE__DECL_4(__VA_ARGS__)
#define RSEQTRACE__DECL_8(t1, a1, ...) t1 a1, RSEQTRACE__DECL_6(__VA_ARGS__)
#define RSEQTRACE__DECL_10(t1, a1, ...) t1 a1, RSEQTRACE__DECL_8(__VA_ARGS__)
#define RSEQTRACE__DECL_12(t1, a1, ...) t1 a1, RSEQTRACE__DECL_10(__VA_ARGS__)
#define RSEQTRACE__DECL_14(t1, a1, ...) t1 a1, RSEQTRACE__DECL_12(__VA_ARGS__)
#define RSEQTRACE__DECL_16(t1, a1, ...) t1 a1, RSEQTRACE__DECL_14(__VA_ARGS__)
#define RSEQTRACE__DECL_18(t1, a1, ...) t1 a1, RSEQTRACE__DECL_16(__VA_ARGS__)
#define RSEQTRACE__DECL_20(t1, a1, ...) t1 a1, RSEQTRACE__DECL_18(__VA_ARGS__)

#define RSEQTRACE__TAIL_0()
#define RSEQTRACE__TAIL_1(v)
#define RSEQTRACE__TAIL_2(t1, a1) , t1 a1
#define RSEQTRACE__TAIL_4(t1, a1, ...) , t1 a1 RSEQTRACE__TAIL_2(__VA_ARGS__)
#define RSEQTRACE__TAIL_6(t1, a1, ...) , t1 a1 RSEQTRACE__TAIL_4(__VA_ARGS__)
#define RSEQTRACE__TAIL_8(t1, a1, ...) , t1 a1 RSEQTRACE__TAIL_6(__VA_ARGS__)
#define RSEQTRACE__TAIL_10(t1, a1, ...) , t1 a1 RSEQTRACE__TAIL_8(__VA_ARGS__)
#define RSEQTRACE__TAIL_12(t1, a1, ...) , t1 a1 RSEQTRACE__TAIL_10(__VA_ARGS__)
#define RSEQTRACE__TAIL_14(t1, a1, ...) , t1 a1 RSEQTRACE__TAIL_12(__VA_ARGS__)
#define RSEQTRACE__TAIL_16(t1, a1, ...) , t1 a1 RSEQTRACE__TAIL_14(__VA_ARGS__)
#define RSEQTRACE__TAIL_18(t1, a1, ...) , t1 a1 RSEQTRACE__TAIL_16(__VA_ARGS__)
#define RSEQTRACE__TAIL_20(t1, a1, ...) , t1 a1 RSEQTRACE__TAIL_18(__VA_ARGS__)

#define RSEQTRACE__NAMES_0()
#define RSEQTRACE__NAMES_1(v)
#define RSEQTRACE__NAMES_2(t1, a1) , a1
#define RSEQTRACE__NAMES_4(t1, a1, ...) , a1 RSEQTRACE__NAMES_2(__VA_ARGS__)
#define RSEQTRACE__NAMES_6(t1, a1, ...) , a1 RSEQTRACE__NAMES_4(__VA_ARGS__)
#define RSEQTRACE__NAMES_8(t1, a1, ...) , a1 RSEQTRACE__NAMES_6(__VA_ARGS__)
#define RSEQTRACE__NAMES_10(t1, a1, ...) , a1 RSEQTRACE__NAMES_8(__VA_ARGS__)
#define RSEQTRACE__NAMES_12(t1, a1, ...) , a1 RSEQTRACE__NAMES_10(__VA_ARGS__)
#define RSEQTRACE__NAMES_14(t1, a1, ...) , a1 RSEQTRACE__NAMES_12(__VA_ARGS__)
#define RSEQTRACE__NAMES_16(t1, a1, ...) , a1 RSEQTRACE__NAMES_14(__VA_ARGS__)
#define RSEQTRACE__NAMES_18(t1, a1, ...) , a1 RSEQTRACE__NAMES_16(__VA_ARGS__)
#define RSEQTRACE__NAMES_20(t1, a1, ...) , a1 RSEQTRACE__NAMES_18(__VA_ARGS__)

/* ---- user-facing description macros ------------------------------------- */

#define RSEQTRACE_ARGS(...) (__VA_ARGS__)
#define RSEQTRACE_FIELDS(...) __VA_ARGS__
#define RSEQTRACE_ENUM_VALUES(...) __VA_ARGS__

/*
 * Fields. Each expands to a tuple (kind, ...) that the passes below walk
 * (RSEQTRACE__FOR_EACH); kind is one of RSEQTRACE__INT, __FLOAT, __STRING,
 * __ARRAY, __SEQ, __ENUM. `expr`, `ptr` and `length` are expressions over
 * the event's arguments, evaluated once, only when the event is enabled
 * (in a channel), before any filter runs.
 */
#define rseqtrace_field_integer(type, name, expr) (RSEQTRACE__INT, type, name, expr, 10, 0)
#define rseqtrace_field_integer_hex(type, name, expr) (RSEQTRACE__INT, type, name, expr, 16, 0)
#define rseqtrace_field_float(type, name, expr) (RSEQTRACE__FLOAT, type, name, expr)
#define rseqtrace_field_string(name, expr) (RSEQTRACE__STRING, name, expr)
/* count: an integer constant expression */
#define rseqtrace_field_array(type, name, ptr, count) (RSEQTRACE__ARRAY, type, name, ptr, count, 10, 0)
#define rseqtrace_field_array_hex(type, name, ptr, count) (RSEQTRACE__ARRAY, type, name, ptr, count, 16, 0)
#define rseqtrace_field_array_text(type, name, ptr, count) (RSEQTRACE__ARRAY, type, name, ptr, count, 10, 1)
/* length_type: an unsigned integer type; a NULL ptr records length 0 */
#define rseqtrace_field_sequence(type, name, ptr, length_type, length) \
	(RSEQTRACE__SEQ, type, name, ptr, length_type, length, 10, 0)
#define rseqtrace_field_sequence_hex(type, name, ptr, length_type, length) \
	(RSEQTRACE__SEQ, type, name, ptr, length_type, length, 16, 0)
#define rseqtrace_field_sequence_text(type, name, ptr, length_type, length) \
	(RSEQTRACE__SEQ, type, name, ptr, length_type, length, 10, 1)
/* Network byte order, as LTTng-UST's _network fields: the value (each
 * element) already is big-endian (htonl() and the like, a packet's bytes);
 * its bytes are copied as they are and described as big-endian
 * (byte_order = be). A sequence's length stays native. */
#define RSEQTRACE__BE RSEQTRACE_ENCODING_BIG_ENDIAN
#define rseqtrace_field_integer_network(type, name, expr) \
	(RSEQTRACE__INT, type, name, expr, 10, RSEQTRACE__BE)
#define rseqtrace_field_integer_network_hex(type, name, expr) \
	(RSEQTRACE__INT, type, name, expr, 16, RSEQTRACE__BE)
#define rseqtrace_field_array_network(type, name, ptr, count) \
	(RSEQTRACE__ARRAY, type, name, ptr, count, 10, RSEQTRACE__BE)
#define rseqtrace_field_array_network_hex(type, name, ptr, count) \
	(RSEQTRACE__ARRAY, type, name, ptr, count, 16, RSEQTRACE__BE)
#define rseqtrace_field_sequence_network(type, name, ptr, length_type, length) \
	(RSEQTRACE__SEQ, type, name, ptr, length_type, length, 10, RSEQTRACE__BE)
#define rseqtrace_field_sequence_network_hex(type, name, ptr, length_type, length) \
	(RSEQTRACE__SEQ, type, name, ptr, length_type, length, 16, RSEQTRACE__BE)
/* enum_name: declared with RSEQTRACE_ENUM(provider, enum_name, ...) */
#define rseqtrace_field_enum(provider, enum_name, type, name, expr) \
	(RSEQTRACE__ENUM, provider, enum_name, type, name, expr)
/* Bytes shown in hex: a sequence of uint8_t with a 32-bit length. */
#define rseqtrace_field_blob(name, ptr, length) \
	(RSEQTRACE__SEQ, uint8_t, name, ptr, uint32_t, length, 16, 0)

#define rseqtrace_enum_value(label, value) (RSEQTRACE__ENTRY, label, value, value)
#define rseqtrace_enum_range(label, first, last) (RSEQTRACE__ENTRY, label, first, last)

/* ---- one walk over a list of tuples ------------------------------------- */

/*
 * RSEQTRACE__FOR_EACH(PASS, list) expands RSEQTRACE__<kind>_<PASS>(...) for
 * each tuple (kind, ...) of list, in order: one walk serves every pass
 * below (DESC, NAME, VALUE, QSEL, PARAM, PASS, ARG, SIZE, WRITE over an
 * event's fields, DESC over an enum's entries). The walk is a ping-pong between two macros, PASS_A and
 * PASS_B, each taking the next tuple from the list that follows it, ended
 * by pasting _END to the last one: linear, with no limit on the length of
 * the list. The preprocessor has no way to hand PASS along such a walk
 * other than in the macros' names, so each pass names its pair below.
 */
#define RSEQTRACE__FOR_EACH(PASS, list) RSEQTRACE__END(RSEQTRACE__CAT(RSEQTRACE__##PASS, _A) list)
#define RSEQTRACE__END(...) RSEQTRACE__END_(__VA_ARGS__)
#define RSEQTRACE__END_(...) __VA_ARGS__##_END
#define RSEQTRACE__ONE(PASS, kind, ...) RSEQTRACE__CAT(kind, _##PASS)(__VA_ARGS__)

#define RSEQTRACE__DESC_A(...) RSEQTRACE__ONE(DESC, __VA_ARGS__) RSEQTRACE__DESC_B
#define RSEQTRACE__DESC_B(...) RSEQTRACE__ONE(DESC, __VA_ARGS__) RSEQTRACE__DESC_A
#define RSEQTRACE__NAME_A(...) RSEQTRACE__ONE(NAME, __VA_ARGS__) RSEQTRACE__NAME_B
#define RSEQTRACE__NAME_B(...) RSEQTRACE__ONE(NAME, __VA_ARGS__) RSEQTRACE__NAME_A
#define RSEQTRACE__VALUE_A(...) RSEQTRACE__ONE(VALUE, __VA_ARGS__) RSEQTRACE__VALUE_B
#define RSEQTRACE__VALUE_B(...) RSEQTRACE__ONE(VALUE, __VA_ARGS__) RSEQTRACE__VALUE_A
#define RSEQTRACE__QSEL_A(...) RSEQTRACE__ONE(QSEL, __VA_ARGS__) RSEQTRACE__QSEL_B
#define RSEQTRACE__QSEL_B(...) RSEQTRACE__ONE(QSEL, __VA_ARGS__) RSEQTRACE__QSEL_A
#define RSEQTRACE__ARG_A(...) RSEQTRACE__ONE(ARG, __VA_ARGS__) RSEQTRACE__ARG_B
#define RSEQTRACE__ARG_B(...) RSEQTRACE__ONE(ARG, __VA_ARGS__) RSEQTRACE__ARG_A
#define RSEQTRACE__SIZE_A(...) RSEQTRACE__ONE(SIZE, __VA_ARGS__) RSEQTRACE__SIZE_B
#define RSEQTRACE__SIZE_B(...) RSEQTRACE__ONE(SIZE, __VA_ARGS__) RSEQTRACE__SIZE_A
#define RSEQTRACE__WRITE_A(...) RSEQTRACE__ONE(WRITE, __VA_ARGS__) RSEQTRACE__WRITE_B
#define RSEQTRACE__WRITE_B(...) RSEQTRACE__ONE(WRITE, __VA_ARGS__) RSEQTRACE__WRITE_A
#define RSEQTRACE__PARAM_A(...) RSEQTRACE__ONE(PARAM, __VA_ARGS__) RSEQTRACE__PARAM_B
#define RSEQTRACE__PARAM_B(...) RSEQTRACE__ONE(PARAM, __VA_ARGS__) RSEQTRACE__PARAM_A
#define RSEQTRACE__PASS_A(...) RSEQTRACE__ONE(PASS, __VA_ARGS__) RSEQTRACE__PASS_B
#define RSEQTRACE__PASS_B(...) RSEQTRACE__ONE(PASS, __VA_ARGS__) RSEQTRACE__PASS_A
#define RSEQTRACE__DESC_A_END
#define RSEQTRACE__DESC_B_END
#define RSEQTRACE__NAME_A_END
#define RSEQTRACE__NAME_B_END
#define RSEQTRACE__VALUE_A_END
#define RSEQTRACE__VALUE_B_END
#define RSEQTRACE__QSEL_A_END
#define RSEQTRACE__QSEL_B_END
#define RSEQTRACE__ARG_A_END
#define RSEQTRACE__ARG_B_END
#define RSEQTRACE__SIZE_A_END
#define RSEQTRACE__SIZE_B_END
#define RSEQTRACE__WRITE_A_END
#define RSEQTRACE__WRITE_B_END
#define RSEQTRACE__PARAM_A_END
#define RSEQTRACE__PARAM_B_END
#define RSEQTRACE__PASS_A_END
#define RSEQTRACE__PASS_B_END

/* ---- pass DESC: static field descriptions --------------------------------- */

#define RSEQTRACE__INTD(type, base, enc) \
	{ sizeof(type), RSEQTRACE__IS_SIGNED(type), base, enc }

#define RSEQTRACE__INT_DESC(type, name_, expr, base, enc) \
	{ .name = #name_, .kind = RSEQTRACE_FIELD_INTEGER, .elem = RSEQTRACE__INTD(type, base, enc) },
#define RSEQTRACE__FLOAT_DESC(type, name_, expr) \
	{ .name = #name_, .kind = RSEQTRACE_FIELD_FLOAT, .elem = { sizeof(type), 1, 10, 0 } },
#define RSEQTRACE__STRING_DESC(name_, expr) \
	{ .name = #name_, .kind = RSEQTRACE_FIELD_STRING, .elem = { 1, 0, 10, 1 } },
#define RSEQTRACE__ARRAY_DESC(type, name_, ptr, count_, base, enc) \
	{ .name = #name_, .kind = RSEQTRACE_FIELD_ARRAY, .count = (count_), \
	  .elem = RSEQTRACE__INTD(type, base, enc) },
#define RSEQTRACE__SEQ_DESC(type, name_, ptr, ltype, length_, base, enc) \
	{ .name = #name_, .kind = RSEQTRACE_FIELD_SEQUENCE, .elem = RSEQTRACE__INTD(type, base, enc), \
	  .length = RSEQTRACE__INTD(ltype, 10, 0) },
#define RSEQTRACE__ENUM_DESC(prov, ename, type, name_, expr) \
	{ .name = #name_, .kind = RSEQTRACE_FIELD_ENUM, .elem = RSEQTRACE__INTD(type, 10, 0), \
	  .enumeration = &rseqtrace__enum_##prov##__##ename },

/* ---- pass NAME: one struct member per field, so duplicates do not compile */

#define RSEQTRACE__INT_NAME(type, name, ...) char name;
#define RSEQTRACE__FLOAT_NAME(type, name, ...) char name;
#define RSEQTRACE__STRING_NAME(name, ...) char name;
#define RSEQTRACE__ARRAY_NAME(type, name, ...) char name;
#define RSEQTRACE__SEQ_NAME(type, name, ...) char name;
#define RSEQTRACE__ENUM_NAME(prov, ename, type, name, ...) char name;

/* ---- pass VALUE: type checks, one evaluation of each argument ---------- */

#define RSEQTRACE__INT_VALUE(type, name, expr, base, enc)                       \
	_Static_assert(RSEQTRACE__IS_INT(type),                                       \
		       "field " #name ": not an integer type of 1, 2, 4 or 8 bytes"); \
	type rseqtrace__v_##name = (expr);
#define RSEQTRACE__FLOAT_VALUE(type, name, expr)                                 \
	_Static_assert(RSEQTRACE__IS_FLOAT(type), "field " #name ": not float or double"); \
	type rseqtrace__v_##name = (expr);
/* A NULL string is recorded (and filtered) as "(null)": ARG, SIZE. */
#define RSEQTRACE__STRING_VALUE(name, expr) const char *rseqtrace__v_##name = (expr);
#define RSEQTRACE__ARRAY_VALUE(type, name, ptr, count, base, enc)             \
	_Static_assert(RSEQTRACE__IS_INT(type),                                        \
		       "field " #name ": elements must be integers of 1, 2, 4 or 8 bytes"); \
	_Static_assert((count) > 0 && (count) <= RSEQTRACE_MAX_PAYLOAD,                \
		       "field " #name ": count must be a constant in [1, RSEQTRACE_MAX_PAYLOAD]"); \
	_Static_assert(((enc) & RSEQTRACE_ENCODING_UTF8) == 0 || sizeof(type) == 1,    \
		       "field " #name ": text needs 8-bit elements"); \
	const type *rseqtrace__v_##name = (ptr);
#define RSEQTRACE__SEQ_VALUE(type, name, ptr, ltype, length, base, enc)       \
	_Static_assert(RSEQTRACE__IS_INT(type),                                        \
		       "field " #name ": elements must be integers of 1, 2, 4 or 8 bytes"); \
	_Static_assert(RSEQTRACE__IS_INT(ltype) && !RSEQTRACE__IS_SIGNED(ltype),       \
		       "field " #name ": the length type must be an unsigned integer"); \
	_Static_assert(((enc) & RSEQTRACE_ENCODING_UTF8) == 0 || sizeof(type) == 1,    \
		       "field " #name ": text needs 8-bit elements"); \
	const type *rseqtrace__v_##name = (ptr);                                       \
	ltype rseqtrace__n_##name = (length);                                          \
	if (!rseqtrace__v_##name)                                                      \
		rseqtrace__n_##name = 0;
#define RSEQTRACE__ENUM_VALUE(prov, ename, type, name, expr)                  \
	_Static_assert(RSEQTRACE__IS_INT(type),                                        \
		       "field " #name ": an enum's container must be an integer type"); \
	type rseqtrace__v_##name = (expr);

/* ---- passes PARAM and PASS: the values handed to the staging function ---- */

#define RSEQTRACE__INT_PARAM(type, name, expr, base, enc) , type rseqtrace__v_##name
#define RSEQTRACE__FLOAT_PARAM(type, name, expr) , type rseqtrace__v_##name
#define RSEQTRACE__STRING_PARAM(name, expr) , const char *rseqtrace__v_##name
#define RSEQTRACE__ARRAY_PARAM(type, name, ptr, count, base, enc) , const type *rseqtrace__v_##name
#define RSEQTRACE__SEQ_PARAM(type, name, ptr, ltype, length, base, enc) \
	, const type *rseqtrace__v_##name, ltype rseqtrace__n_##name
#define RSEQTRACE__ENUM_PARAM(prov, ename, type, name, expr) , type rseqtrace__v_##name

#define RSEQTRACE__INT_PASS(type, name, ...) , rseqtrace__v_##name
#define RSEQTRACE__FLOAT_PASS(type, name, ...) , rseqtrace__v_##name
#define RSEQTRACE__STRING_PASS(name, ...) , rseqtrace__v_##name
#define RSEQTRACE__ARRAY_PASS(type, name, ...) , rseqtrace__v_##name
#define RSEQTRACE__SEQ_PASS(type, name, ...) , rseqtrace__v_##name, rseqtrace__n_##name
#define RSEQTRACE__ENUM_PASS(prov, ename, type, name, ...) , rseqtrace__v_##name

/* ---- pass QSEL: the value of the field the quick filter compares ------------
 * (rseqtrace/types.h) among the integer fields, whose index librseqtrace
 * guarantees: the first one's unless another is named, so with one
 * integer field it is taken without a look at the index. */

#define RSEQTRACE__INT_QSEL(type, name, expr, base, enc)                         \
	if (!rseqtrace__nint++ || rseqtrace__q->field == rseqtrace__k)                 \
		rseqtrace__qv = (int64_t)rseqtrace__v_##name;                          \
	rseqtrace__k++;
#define RSEQTRACE__FLOAT_QSEL(type, name, expr) rseqtrace__k++;
#define RSEQTRACE__STRING_QSEL(name, expr) rseqtrace__k++;
#define RSEQTRACE__ARRAY_QSEL(type, name, ptr, count, base, enc) rseqtrace__k++;
#define RSEQTRACE__SEQ_QSEL(type, name, ptr, ltype, length, base, enc) rseqtrace__k++;
#define RSEQTRACE__ENUM_QSEL(prov, ename, type, name, expr) \
	RSEQTRACE__INT_QSEL(type, name, expr, 10, 0)

/* ---- pass ARG: the argument view a filter reads (union rseqtrace_arg) ------
 * Arrays' and sequences' slots hold 0: no filter reads them. */

#define RSEQTRACE__INT_ARG(type, name, expr, base, enc) \
	rseqtrace__args[rseqtrace__k++].i = (int64_t)rseqtrace__v_##name;
#define RSEQTRACE__FLOAT_ARG(type, name, expr) \
	rseqtrace__args[rseqtrace__k++].f = (double)rseqtrace__v_##name;
#define RSEQTRACE__STRING_ARG(name, expr) \
	rseqtrace__args[rseqtrace__k++].s = rseqtrace__v_##name ? rseqtrace__v_##name : "(null)";
#define RSEQTRACE__ARRAY_ARG(type, name, ptr, count, base, enc) rseqtrace__args[rseqtrace__k++].i = 0;
#define RSEQTRACE__SEQ_ARG(type, name, ptr, ltype, length, base, enc) rseqtrace__args[rseqtrace__k++].i = 0;
#define RSEQTRACE__ENUM_ARG(prov, ename, type, name, expr) \
	rseqtrace__args[rseqtrace__k++].i = (int64_t)rseqtrace__v_##name;

/* ---- pass SIZE: the payload's size ----------------------------------------- */

#define RSEQTRACE__INT_SIZE(type, name, expr, base, enc) \
	rseqtrace__len = rseqtrace__align(rseqtrace__len, sizeof(type)) + sizeof(type);
#define RSEQTRACE__FLOAT_SIZE(type, name, expr) \
	rseqtrace__len = rseqtrace__align(rseqtrace__len, sizeof(type)) + sizeof(type);
#define RSEQTRACE__STRING_SIZE(name, expr)                                     \
	if (!rseqtrace__v_##name)                                                      \
		rseqtrace__v_##name = "(null)";                                        \
	size_t rseqtrace__n_##name = rseqtrace__strsize(rseqtrace__v_##name, RSEQTRACE_MAX_PAYLOAD); \
	rseqtrace__len += rseqtrace__n_##name;
#define RSEQTRACE__ARRAY_SIZE(type, name, ptr, count, base, enc) \
	rseqtrace__len = rseqtrace__align(rseqtrace__len, sizeof(type)) + sizeof(type) * (count);
#define RSEQTRACE__SEQ_SIZE(type, name, ptr, ltype, length, base, enc)        \
	if (rseqtrace__too_many(rseqtrace__n_##name, RSEQTRACE_MAX_PAYLOAD / sizeof(type))) \
		rseqtrace__big = 1;                                                    \
	else                                                                           \
		rseqtrace__len = rseqtrace__align(rseqtrace__align(rseqtrace__len, sizeof(ltype)) + \
						  sizeof(ltype), sizeof(type)) +       \
				 sizeof(type) * (size_t)rseqtrace__n_##name;
#define RSEQTRACE__ENUM_SIZE(prov, ename, type, name, expr) \
	rseqtrace__len = rseqtrace__align(rseqtrace__len, sizeof(type)) + sizeof(type);

/* ---- pass WRITE: serialization --------------------------------------------- */

#define RSEQTRACE__INT_WRITE(type, name, expr, base, enc) \
	rseqtrace__o = rseqtrace__put(rseqtrace__p, rseqtrace__o, &rseqtrace__v_##name, sizeof(type), sizeof(type));
#define RSEQTRACE__FLOAT_WRITE(type, name, expr) \
	rseqtrace__o = rseqtrace__put(rseqtrace__p, rseqtrace__o, &rseqtrace__v_##name, sizeof(type), sizeof(type));
#define RSEQTRACE__STRING_WRITE(name, expr)                                    \
	rseqtrace__o = rseqtrace__put_str(rseqtrace__p, rseqtrace__o, rseqtrace__v_##name, \
					  rseqtrace__n_##name);
#define RSEQTRACE__ARRAY_WRITE(type, name, ptr, count, base, enc)              \
	rseqtrace__o = rseqtrace__put(rseqtrace__p, rseqtrace__o, rseqtrace__v_##name, \
				      sizeof(type) * (count), sizeof(type));
#define RSEQTRACE__SEQ_WRITE(type, name, ptr, ltype, length, base, enc)        \
	rseqtrace__o = rseqtrace__put(rseqtrace__p, rseqtrace__o, &rseqtrace__n_##name, \
				      sizeof(ltype), sizeof(ltype));                   \
	rseqtrace__o = rseqtrace__put(rseqtrace__p, rseqtrace__o, rseqtrace__v_##name, \
				      sizeof(type) * (size_t)rseqtrace__n_##name, sizeof(type));
#define RSEQTRACE__ENUM_WRITE(prov, ename, type, name, expr) \
	rseqtrace__o = rseqtrace__put(rseqtrace__p, rseqtrace__o, &rseqtrace__v_##name, sizeof(type), sizeof(type));

/* ---- enum entries (pass DESC) ----------------------------------------------- */

#define RSEQTRACE__ENTRY_DESC(label, first, last) { label, (int64_t)(first), (int64_t)(last) },

/* ---- the call-site side, in every translation unit --------------------- */

#define RSEQTRACE__TP(P, E) rseqtrace__tp_##P##__##E

/*
 * rseqtrace__call_P__E is out of line (noinline), so its return address is
 * in the function that holds the call site: that is the `ip` context. The
 * probe gets it as its second argument.
 */
#define RSEQTRACE__DECLARE_TP(P, E, args)                                              \
	__attribute__((weak, visibility("hidden"))) struct rseqtrace_tracepoint        \
		RSEQTRACE__TP(P, E) = { .abi = RSEQTRACE_ABI_VERSION,                  \
					.name = #P ":" #E,                             \
					.signature = RSEQTRACE__STR args };            \
	static struct rseqtrace_tracepoint *rseqtrace__tpp_##P##__##E                  \
		__attribute__((section("rseqtrace_tracepoints"), used,                 \
			       aligned(sizeof(void *)))) = &RSEQTRACE__TP(P, E);       \
	typedef void rseqtrace__probe_t_##P##__##E(struct rseqtrace_event *rseqtrace__ev, \
						   const void *rseqtrace__ip           \
						   RSEQTRACE__TAIL args);              \
	static __attribute__((noinline, unused)) void rseqtrace__call_##P##__##E(      \
		RSEQTRACE__DECL args)                                                  \
	{                                                                              \
		unsigned long rseqtrace__t = rseqtrace__read_lock();                   \
		/* (after the call: no register kept across it) */                     \
		const void *rseqtrace__ip = __builtin_return_address(0);               \
		struct rseqtrace_event *rseqtrace__e =                                 \
			__atomic_load_n(&RSEQTRACE__TP(P, E).event, __ATOMIC_ACQUIRE);  \
		if (rseqtrace__e)                                                      \
			((rseqtrace__probe_t_##P##__##E *)rseqtrace__e->probe)(        \
				rseqtrace__e, rseqtrace__ip RSEQTRACE__NAMES args);    \
		rseqtrace__read_unlock(rseqtrace__t);                                  \
	}

/* ---- the probe side, in the instantiating translation unit ---------------- */

/*
 * An event class (C) holds the fields and the typed probe; each instance
 * (E) of it is an event of its own: a description (name, loglevel, the
 * class's fields), the probe side and its section entry. An event is a
 * class instantiated once under its own name. An instance (P:E) may take
 * its class from another provider (CP). level is a constant expression
 * (enum rseqtrace_loglevel).
 */
#define RSEQTRACE__DEFINE_CLASS(P, C, args_, fields_)                                   \
	static const struct rseqtrace_field_desc rseqtrace__fields_##P##__##C[] = {     \
		RSEQTRACE__FOR_EACH(DESC, fields_){ .name = 0 } };                            \
	struct rseqtrace__names_##P##__##C {                                            \
		char rseqtrace__none;                                                   \
		RSEQTRACE__FOR_EACH(NAME, fields_)                                               \
	};                                                                              \
	_Pragma("GCC diagnostic push")                                                  \
	_Pragma("GCC diagnostic error \"-Wint-conversion\"")                            \
	_Pragma("GCC diagnostic error \"-Wincompatible-pointer-types\"")                \
	/* The hit's record, from the fields' values: a function of its own, so  \
	 * that a hit the probe's quick filter rejects sets up no frame for it.  \
	 * Filtered (rt tagged): the filters first, on the argument view. */      \
	static __attribute__((noinline, unused)) void rseqtrace__stage_##P##__##C(      \
		const void *rseqtrace__rt, const void *rseqtrace__ip                    \
		RSEQTRACE__FOR_EACH(PARAM, fields_))                                    \
	{                                                                               \
		union rseqtrace_arg rseqtrace__args[sizeof(rseqtrace__fields_##P##__##C) / \
						    sizeof(rseqtrace__fields_##P##__##C[0])]; \
		uint32_t rseqtrace__first = 0;                                          \
		if (__builtin_expect((uintptr_t)rseqtrace__rt & 1, 0)) {                \
			size_t rseqtrace__k = 0;                                        \
			RSEQTRACE__FOR_EACH(ARG, fields_)                                        \
			(void)rseqtrace__k;                                             \
			rseqtrace__first = rseqtrace__filter(rseqtrace__rt, rseqtrace__ip, \
							     rseqtrace__args);          \
			if (!rseqtrace__first)                                          \
				return;                                                 \
		}                                                                       \
		size_t rseqtrace__len = 0;                                              \
		int rseqtrace__big = 0;                                                 \
		RSEQTRACE__FOR_EACH(SIZE, fields_)                                               \
		if (rseqtrace__big || rseqtrace__len > RSEQTRACE_MAX_PAYLOAD) {         \
			rseqtrace__drop_big(rseqtrace__rt, rseqtrace__first, rseqtrace__ip, \
					    rseqtrace__args);                           \
			return;                                                         \
		}                                                                       \
		/* alloca rather than a VLA: programs built with -Wvla stay quiet;  \
		 * 16-byte aligned, so the payload is 8-aligned. */                   \
		char *rseqtrace__p = (char *)__builtin_alloca(RSEQTRACE__HDR_RESERVE +  \
				rseqtrace__len + RSEQTRACE__SLACK + 8) + RSEQTRACE__HDR_RESERVE; \
		size_t rseqtrace__o = 0;                                                \
		RSEQTRACE__FOR_EACH(WRITE, fields_)                                               \
		rseqtrace__emit(rseqtrace__rt, rseqtrace__first, rseqtrace__ip, rseqtrace__args, \
				rseqtrace__p, rseqtrace__o);                            \
	}                                                                               \
	static __attribute__((unused)) void rseqtrace__probe_##P##__##C(                \
		struct rseqtrace_event *rseqtrace__ev, const void *rseqtrace__ip        \
		RSEQTRACE__TAIL args_)                                                  \
	{                                                                               \
		const void *rseqtrace__rt = __atomic_load_n(&rseqtrace__ev->rt, __ATOMIC_ACQUIRE); \
		if (!rseqtrace__rt)                                                     \
			return;                                                         \
		RSEQTRACE__FOR_EACH(VALUE, fields_)                                              \
		/* Filtered: the filters read the values before anything is staged, \
		 * so a rejected hit costs no string measured, nothing copied; one \
		 * the list's quick filter rejects, not even a call or a frame. */    \
		if (__builtin_expect((uintptr_t)rseqtrace__rt & 1, 0)) {                \
			const struct rseqtrace_quick *rseqtrace__q = (const struct rseqtrace_quick *) \
				(const void *)((uintptr_t)rseqtrace__rt - 1);           \
			int64_t rseqtrace__qv = 0;                                      \
			size_t rseqtrace__k = 0, rseqtrace__nint = 0;                   \
			RSEQTRACE__FOR_EACH(QSEL, fields_)                                       \
			(void)rseqtrace__q, (void)rseqtrace__k;                         \
			/* (no integer field, no quick filter) */                       \
			if (rseqtrace__nint && !rseqtrace__quick_holds_value(rseqtrace__q, rseqtrace__qv)) \
				return;                                                 \
		}                                                                       \
		rseqtrace__stage_##P##__##C(rseqtrace__rt, rseqtrace__ip                \
					    RSEQTRACE__FOR_EACH(PASS, fields_));        \
	}                                                                               \
	_Pragma("GCC diagnostic pop")

#define RSEQTRACE__DEFINE_INSTANCE(CP, C, P, E, level, args_)                          \
	static const struct rseqtrace_event_desc rseqtrace__desc_##P##__##E = {         \
		.abi = RSEQTRACE_ABI_VERSION,                                           \
		.loglevel = (level),                                                    \
		.provider = #P,                                                         \
		.name = #E,                                                             \
		.signature = RSEQTRACE__STR args_,                                       \
		.nr_fields = sizeof(rseqtrace__fields_##CP##__##C) /                    \
				     sizeof(rseqtrace__fields_##CP##__##C[0]) - 1,      \
		.fields = rseqtrace__fields_##CP##__##C,                                \
	};                                                                              \
	static struct rseqtrace_event rseqtrace__ev_##P##__##E = {                      \
		.desc = &rseqtrace__desc_##P##__##E,                                    \
		.probe = (void (*)(void))rseqtrace__probe_##CP##__##C,                  \
	};                                                                              \
	static struct rseqtrace_event *rseqtrace__evp_##P##__##E                        \
		__attribute__((section("rseqtrace_events"), used,                       \
			       aligned(sizeof(void *)))) = &rseqtrace__ev_##P##__##E;

#define RSEQTRACE__DEFINE_PROBE(P, E, L, args_, fields_) \
	RSEQTRACE__DEFINE_CLASS(P, E, args_, fields_)    \
	RSEQTRACE__DEFINE_INSTANCE(P, E, P, E, RSEQTRACE_LOGLEVEL_##L, args_)

#define RSEQTRACE__DEFINE_ENUM(P, N, values_)                                            \
	static const struct rseqtrace_enum_entry rseqtrace__enum_entries_##P##__##N[] = { \
		RSEQTRACE__FOR_EACH(DESC, values_) };                                            \
	static const struct rseqtrace_enum_desc rseqtrace__enum_##P##__##N = {          \
		.name = #N,                                                             \
		.nr_entries = sizeof(rseqtrace__enum_entries_##P##__##N) /              \
			      sizeof(rseqtrace__enum_entries_##P##__##N[0]),            \
		.entries = rseqtrace__enum_entries_##P##__##N,                          \
	};

/* ---- the user-facing macros ------------------------------------------------ */

/*
 * RSEQTRACE_EVENT(provider, event, LEVEL, RSEQTRACE_ARGS(type, name, ...),
 *                 RSEQTRACE_FIELDS(rseqtrace_field_...(...) ...))
 * LEVEL is a loglevel name without prefix: EMERG ... INFO ... DEBUG.
 * provider and event are C identifiers; the event's name is "provider:event".
 */
#define RSEQTRACE_EVENT(provider, event, level, args, fields) \
	RSEQTRACE__DECLARE_TP(provider, event, args)          \
	RSEQTRACE__EVENT_PROBE(provider, event, level, args, fields)

/*
 * Events that share their arguments and fields: one class, any number of
 * instances, each an event "provider:event" of its own (its own loglevel,
 * its own call sites); the fields and the probe's code exist once.
 *
 * RSEQTRACE_EVENT_CLASS(provider, class, RSEQTRACE_ARGS(...), RSEQTRACE_FIELDS(...))
 * RSEQTRACE_EVENT_INSTANCE(provider, class, event, LEVEL, RSEQTRACE_ARGS(...))
 *
 * An instance's arguments are the class's, spelled the same.
 */
#define RSEQTRACE_EVENT_CLASS(provider, class, args, fields) \
	RSEQTRACE__CLASS_PROBE(provider, class, args, fields)
#define RSEQTRACE_EVENT_INSTANCE(provider, class, event, level, args) \
	RSEQTRACE__DECLARE_TP(provider, event, args)                  \
	RSEQTRACE__INSTANCE_PROBE(provider, class, event, RSEQTRACE_LOGLEVEL_##level, args)

/* RSEQTRACE_ENUM(provider, name, RSEQTRACE_ENUM_VALUES(rseqtrace_enum_value(...) ...)) */
#define RSEQTRACE_ENUM(provider, name, values) RSEQTRACE__ENUM_DEF(provider, name, values)

#define rseqtrace_enabled(provider, event) \
	((int)__builtin_expect(__atomic_load_n(&RSEQTRACE__TP(provider, event).enabled, __ATOMIC_RELAXED), 0))

/* The empty asm after the call keeps it from being a tail call (a jump),
 * which would make the return address, the `ip` context, point into the
 * caller's caller. It is on the enabled path only: the disabled path stays
 * one load and a not-taken branch. */
#define rseqtrace(provider, event, ...)                                   \
	do {                                                              \
		if (rseqtrace_enabled(provider, event)) {                 \
			rseqtrace__call_##provider##__##event(__VA_ARGS__); \
			__asm__ __volatile__("");                         \
		}                                                         \
	} while (0)

/* This shared object's call sites, registered by every file that includes
 * this header (librseqtrace counts them per shared object). */
extern struct rseqtrace_tracepoint *const __start_rseqtrace_tracepoints[]
	__attribute__((weak, visibility("hidden")));
extern struct rseqtrace_tracepoint *const __stop_rseqtrace_tracepoints[]
	__attribute__((weak, visibility("hidden")));

static void __attribute__((constructor, used)) rseqtrace__tracepoints_init(void)
{
	rseqtrace__register_tracepoints(__start_rseqtrace_tracepoints, __stop_rseqtrace_tracepoints);
}

static void __attribute__((destructor, used)) rseqtrace__tracepoints_fini(void)
{
	rseqtrace__unregister_tracepoints(__start_rseqtrace_tracepoints, __stop_rseqtrace_tracepoints);
}

#ifdef __cplusplus
}
#endif

#endif /* RSEQTRACE_TRACEPOINT_H */

/* ---- outside the guard: what this inclusion defines ---------------------- */

#undef RSEQTRACE__EVENT_PROBE
#undef RSEQTRACE__CLASS_PROBE
#undef RSEQTRACE__INSTANCE_PROBE
#undef RSEQTRACE__ENUM_DEF
#ifdef RSEQTRACE_CREATE_PROBES
#define RSEQTRACE__EVENT_PROBE(P, E, L, args, fields) RSEQTRACE__DEFINE_PROBE(P, E, L, args, fields)
#define RSEQTRACE__CLASS_PROBE(P, C, args, fields) RSEQTRACE__DEFINE_CLASS(P, C, args, fields)
#define RSEQTRACE__INSTANCE_PROBE(P, C, E, level, args) RSEQTRACE__DEFINE_INSTANCE(P, C, P, E, level, args)
#define RSEQTRACE__ENUM_DEF(P, N, values) RSEQTRACE__DEFINE_ENUM(P, N, values)
#ifndef RSEQTRACE__PROBES_INIT_DEFINED
#define RSEQTRACE__PROBES_INIT_DEFINED
extern struct rseqtrace_event *const __start_rseqtrace_events[]
	__attribute__((weak, visibility("hidden")));
extern struct rseqtrace_event *const __stop_rseqtrace_events[]
	__attribute__((weak, visibility("hidden")));
static void __attribute__((constructor, used)) rseqtrace__probes_init(void)
{
	rseqtrace__register_events(__start_rseqtrace_events, __stop_rseqtrace_events);
}
static void __attribute__((destructor, used)) rseqtrace__probes_fini(void)
{
	rseqtrace__unregister_events(__start_rseqtrace_events, __stop_rseqtrace_events);
}
#endif
#else
#define RSEQTRACE__EVENT_PROBE(P, E, L, args, fields)
#define RSEQTRACE__CLASS_PROBE(P, C, args, fields)
#define RSEQTRACE__INSTANCE_PROBE(P, C, E, level, args)
#define RSEQTRACE__ENUM_DEF(P, N, values)
#endif

#endif /* RSEQTRACE_BACKEND_LTTNG */
