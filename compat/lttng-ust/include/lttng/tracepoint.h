/* SPDX-License-Identifier: MIT */
/*
 * <lttng/tracepoint.h> for programs instrumented for LTTng-UST 2.13 that
 * trace with rseqtrace: the provider headers, probe files and call sites
 * stay as they are; the program is built with this directory first on its
 * include path (`pkg-config --cflags rseqtrace-ust`) and linked with
 * -lrseqtrace-ust -lrseqtrace instead of -llttng-ust (`pkg-config --libs
 * rseqtrace-ust`; librseqtrace-ust holds tracef() and tracelog()).
 *
 * Both API generations are here: the 2.13 names (LTTNG_UST_TRACEPOINT_EVENT,
 * lttng_ust_field_integer, lttng_ust_tracepoint(), ...) and, unless
 * LTTNG_UST_COMPAT_API_VERSION is 1 or more, the older ones
 * (TRACEPOINT_EVENT, ctf_integer, tracepoint(), ...).
 *
 * Everything maps onto rseqtrace's own tracepoint machinery
 * (<rseqtrace/tracepoint.h>): a field macro expands to one of its field
 * tuples, an event to its call-site tracepoint and, in the probe file, to
 * its event class and instance. The multi-read of the provider header that
 * instantiates the probes is <lttng/tracepoint-event.h>.
 *
 * What the trace holds is what LTTng-UST records for the same program: the
 * same event names ("provider:event"), loglevels (LTTNG_UST_TRACEPOINT_LOGLEVEL,
 * DEBUG_LINE when none is given), field names, types, byte order (the
 * _network fields are big-endian), enum mappings and values. _nowrite and
 * unused fields are not recorded (as LTTng-UST, which only filters on them).
 *
 * Not supported, refused at compile time with a message naming it:
 * LTTNG_UST_TP_IP_PARAM / TP_IP_PARAM, LTTNG_UST_TP_SESSION_CHECK /
 * TP_SESSION_CHECK, C++ translation units. Differences that compile: the
 * TRACEPOINT_PROVIDER of a header is not checked against its events'
 * providers; TRACEPOINT_MODEL_EMF_URI is accepted and not recorded;
 * TRACEPOINT_DEFINE and TRACEPOINT_PROBE_DYNAMIC_LINKAGE are accepted and
 * change nothing (every shared object's call sites are linked to the
 * probes by librseqtrace, wherever the probes were loaded from, so every
 * object with call sites links -lrseqtrace); field expressions are
 * evaluated once, when the event is enabled; a sequence's length type must
 * be unsigned.
 */
#ifndef RSEQTRACE_UST_TRACEPOINT_H
#define RSEQTRACE_UST_TRACEPOINT_H

#ifdef __cplusplus
#error "rseqtrace's LTTng-UST compatibility headers are C only: build C++ providers against LTTng-UST"
#endif

#include <lttng/ust-api-compat.h>

/* What LTTng-UST's <lttng/tracepoint.h> makes visible, which providers
 * and call sites may rely on. */
#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <rseqtrace/tracepoint.h>

#include <lttng/rseqtrace-ust-refused.h>

/* ---- loglevels: LTTng-UST's 15, the same numbers as rseqtrace's -------- */

enum lttng_ust_tracepoint_loglevel {
	LTTNG_UST_TRACEPOINT_LOGLEVEL_EMERG = RSEQTRACE_LOGLEVEL_EMERG,
	LTTNG_UST_TRACEPOINT_LOGLEVEL_ALERT = RSEQTRACE_LOGLEVEL_ALERT,
	LTTNG_UST_TRACEPOINT_LOGLEVEL_CRIT = RSEQTRACE_LOGLEVEL_CRIT,
	LTTNG_UST_TRACEPOINT_LOGLEVEL_ERR = RSEQTRACE_LOGLEVEL_ERR,
	LTTNG_UST_TRACEPOINT_LOGLEVEL_WARNING = RSEQTRACE_LOGLEVEL_WARNING,
	LTTNG_UST_TRACEPOINT_LOGLEVEL_NOTICE = RSEQTRACE_LOGLEVEL_NOTICE,
	LTTNG_UST_TRACEPOINT_LOGLEVEL_INFO = RSEQTRACE_LOGLEVEL_INFO,
	LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_SYSTEM = RSEQTRACE_LOGLEVEL_DEBUG_SYSTEM,
	LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_PROGRAM = RSEQTRACE_LOGLEVEL_DEBUG_PROGRAM,
	LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_PROCESS = RSEQTRACE_LOGLEVEL_DEBUG_PROCESS,
	LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_MODULE = RSEQTRACE_LOGLEVEL_DEBUG_MODULE,
	LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_UNIT = RSEQTRACE_LOGLEVEL_DEBUG_UNIT,
	LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_FUNCTION = RSEQTRACE_LOGLEVEL_DEBUG_FUNCTION,
	LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_LINE = RSEQTRACE_LOGLEVEL_DEBUG_LINE,
	LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG = RSEQTRACE_LOGLEVEL_DEBUG,
};
/* An event without LTTNG_UST_TRACEPOINT_LOGLEVEL has LTTng-UST's default. */
#define RSEQTRACE__UST_LOGLEVEL_DEFAULT LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_LINE

#if LTTNG_UST_COMPAT_API(0)
#define TRACE_EMERG LTTNG_UST_TRACEPOINT_LOGLEVEL_EMERG
#define TRACE_ALERT LTTNG_UST_TRACEPOINT_LOGLEVEL_ALERT
#define TRACE_CRIT LTTNG_UST_TRACEPOINT_LOGLEVEL_CRIT
#define TRACE_ERR LTTNG_UST_TRACEPOINT_LOGLEVEL_ERR
#define TRACE_WARNING LTTNG_UST_TRACEPOINT_LOGLEVEL_WARNING
#define TRACE_NOTICE LTTNG_UST_TRACEPOINT_LOGLEVEL_NOTICE
#define TRACE_INFO LTTNG_UST_TRACEPOINT_LOGLEVEL_INFO
#define TRACE_DEBUG_SYSTEM LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_SYSTEM
#define TRACE_DEBUG_PROGRAM LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_PROGRAM
#define TRACE_DEBUG_PROCESS LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_PROCESS
#define TRACE_DEBUG_MODULE LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_MODULE
#define TRACE_DEBUG_UNIT LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_UNIT
#define TRACE_DEBUG_FUNCTION LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_FUNCTION
#define TRACE_DEBUG_LINE LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_LINE
#define TRACE_DEBUG LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG
#endif

/* ---- argument, field and enum lists ------------------------------------ */

/* (type, name) pairs, at most 10, or `void`: one parenthesized list, as
 * RSEQTRACE_ARGS. */
#define LTTNG_UST_TP_ARGS(...) (__VA_ARGS__)
#define LTTNG_UST_TP_FIELDS(...) __VA_ARGS__
#define LTTNG_UST_TP_ENUM_VALUES(...) __VA_ARGS__

/* ---- fields: each one of rseqtrace's field tuples ----------------------- */

/*
 * Integers: as LTTng-UST, the type may also be a pointer (recorded as an
 * unsigned integer of its size, e.g. `ctf_integer_hex(void *, p, p)`);
 * RSEQTRACE__UST_INT turns it into uintptr_t and hands the field to
 * rseqtrace's integer passes.
 */
#define lttng_ust_field_integer(type, name, expr) (RSEQTRACE__UST_INT, type, name, expr, 10, 0)
#define lttng_ust_field_integer_hex(type, name, expr) (RSEQTRACE__UST_INT, type, name, expr, 16, 0)
#define lttng_ust_field_integer_network(type, name, expr) \
	(RSEQTRACE__UST_INT, type, name, expr, 10, RSEQTRACE_ENCODING_BIG_ENDIAN)
#define lttng_ust_field_integer_network_hex(type, name, expr) \
	(RSEQTRACE__UST_INT, type, name, expr, 16, RSEQTRACE_ENCODING_BIG_ENDIAN)
#define lttng_ust_field_float(type, name, expr) rseqtrace_field_float(type, name, expr)
#define lttng_ust_field_string(name, expr) rseqtrace_field_string(name, expr)
#define lttng_ust_field_array(type, name, src, length) rseqtrace_field_array(type, name, RSEQTRACE__UST_SRC(src), length)
#define lttng_ust_field_array_hex(type, name, src, length) \
	rseqtrace_field_array_hex(type, name, RSEQTRACE__UST_SRC(src), length)
#define lttng_ust_field_array_text(type, name, src, length) \
	rseqtrace_field_array_text(type, name, RSEQTRACE__UST_SRC(src), length)
#define lttng_ust_field_array_network(type, name, src, length) \
	rseqtrace_field_array_network(type, name, RSEQTRACE__UST_SRC(src), length)
#define lttng_ust_field_array_network_hex(type, name, src, length) \
	rseqtrace_field_array_network_hex(type, name, RSEQTRACE__UST_SRC(src), length)
#define lttng_ust_field_sequence(type, name, src, length_type, length) \
	rseqtrace_field_sequence(type, name, RSEQTRACE__UST_SRC(src), length_type, length)
#define lttng_ust_field_sequence_hex(type, name, src, length_type, length) \
	rseqtrace_field_sequence_hex(type, name, RSEQTRACE__UST_SRC(src), length_type, length)
#define lttng_ust_field_sequence_text(type, name, src, length_type, length) \
	rseqtrace_field_sequence_text(type, name, RSEQTRACE__UST_SRC(src), length_type, length)
#define lttng_ust_field_sequence_network(type, name, src, length_type, length) \
	rseqtrace_field_sequence_network(type, name, RSEQTRACE__UST_SRC(src), length_type, length)
#define lttng_ust_field_sequence_network_hex(type, name, src, length_type, length) \
	rseqtrace_field_sequence_network_hex(type, name, RSEQTRACE__UST_SRC(src), length_type, length)
#define lttng_ust_field_enum(provider, enum_name, type, name, expr) \
	rseqtrace_field_enum(provider, enum_name, type, name, expr)

/* As LTTng-UST, which copies an array's or sequence's source bytes, any
 * pointer is accepted (a char * for uint8_t elements, a void *). */
#define RSEQTRACE__UST_SRC(src) ((const void *)(src))

/*
 * Declared, not recorded: LTTng-UST evaluates _nowrite fields only for
 * filters and leaves them (and unused fields) out of the trace and its
 * metadata. Here they record nothing and evaluate nothing; the
 * expressions are only named (sizeof) so that arguments used nowhere
 * else draw no warning.
 */
#define lttng_ust_field_unused(expr) (RSEQTRACE__UST_SKIP, expr)
#define lttng_ust_field_unused_nowrite(expr) (RSEQTRACE__UST_SKIP, expr)
#define lttng_ust_field_integer_nowrite(type, name, expr) (RSEQTRACE__UST_SKIP, expr)
#define lttng_ust_field_float_nowrite(type, name, expr) (RSEQTRACE__UST_SKIP, expr)
#define lttng_ust_field_string_nowrite(name, expr) (RSEQTRACE__UST_SKIP, expr)
#define lttng_ust_field_enum_nowrite(provider, enum_name, type, name, expr) (RSEQTRACE__UST_SKIP, expr)
#define lttng_ust_field_array_nowrite(type, name, src, length) (RSEQTRACE__UST_SKIP, src)
#define lttng_ust_field_array_nowrite_hex(type, name, src, length) (RSEQTRACE__UST_SKIP, src)
#define lttng_ust_field_array_text_nowrite(type, name, src, length) (RSEQTRACE__UST_SKIP, src)
#define lttng_ust_field_array_network_nowrite(type, name, src, length) (RSEQTRACE__UST_SKIP, src)
#define lttng_ust_field_array_network_nowrite_hex(type, name, src, length) (RSEQTRACE__UST_SKIP, src)
#define lttng_ust_field_sequence_nowrite(type, name, src, length_type, length) \
	(RSEQTRACE__UST_SKIP, src)(RSEQTRACE__UST_SKIP, length)
#define lttng_ust_field_sequence_nowrite_hex(type, name, src, length_type, length) \
	(RSEQTRACE__UST_SKIP, src)(RSEQTRACE__UST_SKIP, length)
#define lttng_ust_field_sequence_text_nowrite(type, name, src, length_type, length) \
	(RSEQTRACE__UST_SKIP, src)(RSEQTRACE__UST_SKIP, length)
#define lttng_ust_field_sequence_network_nowrite(type, name, src, length_type, length) \
	(RSEQTRACE__UST_SKIP, src)(RSEQTRACE__UST_SKIP, length)
#define lttng_ust_field_sequence_network_nowrite_hex(type, name, src, length_type, length) \
	(RSEQTRACE__UST_SKIP, src)(RSEQTRACE__UST_SKIP, length)

/*
 * Enum entries. Each carries a number unique in the translation unit
 * (__COUNTER__, taken once when the entry list is expanded), which names
 * the C enumerator that computes an _auto entry's value: one more than the
 * end of the entry before it, 0 for the first, as CTF and LTTng-UST count.
 */
#define lttng_ust_field_enum_value(label, value) (RSEQTRACE__UST_ENTRY, label, value, value, __COUNTER__)
#define lttng_ust_field_enum_range(label, first, last) \
	(RSEQTRACE__UST_ENTRY, label, first, last, __COUNTER__)
#define lttng_ust_field_enum_auto(label) (RSEQTRACE__UST_AUTO, label, __COUNTER__)

#if LTTNG_UST_COMPAT_API(0)
#define TP_ARGS LTTNG_UST_TP_ARGS
#define TP_FIELDS LTTNG_UST_TP_FIELDS
#define TP_ENUM_VALUES LTTNG_UST_TP_ENUM_VALUES
#define ctf_integer lttng_ust_field_integer
#define ctf_integer_hex lttng_ust_field_integer_hex
#define ctf_integer_network lttng_ust_field_integer_network
#define ctf_integer_network_hex lttng_ust_field_integer_network_hex
#define ctf_integer_nowrite lttng_ust_field_integer_nowrite
#define ctf_float lttng_ust_field_float
#define ctf_float_nowrite lttng_ust_field_float_nowrite
#define ctf_array lttng_ust_field_array
#define ctf_array_hex lttng_ust_field_array_hex
#define ctf_array_network lttng_ust_field_array_network
#define ctf_array_network_hex lttng_ust_field_array_network_hex
#define ctf_array_text lttng_ust_field_array_text
#define ctf_array_nowrite lttng_ust_field_array_nowrite
#define ctf_array_nowrite_hex lttng_ust_field_array_nowrite_hex
#define ctf_array_network_nowrite lttng_ust_field_array_network_nowrite
#define ctf_array_network_nowrite_hex lttng_ust_field_array_network_nowrite_hex
#define ctf_array_text_nowrite lttng_ust_field_array_text_nowrite
#define ctf_sequence lttng_ust_field_sequence
#define ctf_sequence_hex lttng_ust_field_sequence_hex
#define ctf_sequence_network lttng_ust_field_sequence_network
#define ctf_sequence_network_hex lttng_ust_field_sequence_network_hex
#define ctf_sequence_text lttng_ust_field_sequence_text
#define ctf_sequence_nowrite lttng_ust_field_sequence_nowrite
#define ctf_sequence_nowrite_hex lttng_ust_field_sequence_nowrite_hex
#define ctf_sequence_network_nowrite lttng_ust_field_sequence_network_nowrite
#define ctf_sequence_network_nowrite_hex lttng_ust_field_sequence_network_nowrite_hex
#define ctf_sequence_text_nowrite lttng_ust_field_sequence_text_nowrite
#define ctf_string lttng_ust_field_string
#define ctf_string_nowrite lttng_ust_field_string_nowrite
#define ctf_unused lttng_ust_field_unused
#define ctf_unused_nowrite lttng_ust_field_unused_nowrite
#define ctf_enum lttng_ust_field_enum
#define ctf_enum_nowrite lttng_ust_field_enum_nowrite
#define ctf_enum_value lttng_ust_field_enum_value
#define ctf_enum_range lttng_ust_field_enum_range
#define ctf_enum_auto lttng_ust_field_enum_auto
#endif

/* ---- the passes of the compatibility kinds (see RSEQTRACE__FOR_EACH) ---- */

#define RSEQTRACE__UST_ISPTR(type) (__builtin_classify_type((type)0) == 5)
/* The integer type recorded for `type`: itself, or uintptr_t for a pointer. */
#define RSEQTRACE__UST_ITYPE(type) \
	__typeof__(__builtin_choose_expr(RSEQTRACE__UST_ISPTR(type), (uintptr_t)0, (type)0))
#define RSEQTRACE__UST_IVAL(type, expr) \
	__builtin_choose_expr(RSEQTRACE__UST_ISPTR(type), (uintptr_t)(expr), (expr))

#define RSEQTRACE__UST_INT_DESC(type, name, expr, base, enc) \
	RSEQTRACE__INT_DESC(RSEQTRACE__UST_ITYPE(type), name, expr, base, enc)
#define RSEQTRACE__UST_INT_NAME(type, name, ...) char name;
#define RSEQTRACE__UST_INT_VALUE(type, name, expr, base, enc) \
	RSEQTRACE__INT_VALUE(RSEQTRACE__UST_ITYPE(type), name, RSEQTRACE__UST_IVAL(type, expr), base, enc)
#define RSEQTRACE__UST_INT_ARG(type, name, expr, base, enc) \
	RSEQTRACE__INT_ARG(RSEQTRACE__UST_ITYPE(type), name, expr, base, enc)
#define RSEQTRACE__UST_INT_QSEL(type, name, expr, base, enc) \
	RSEQTRACE__INT_QSEL(RSEQTRACE__UST_ITYPE(type), name, expr, base, enc)
#define RSEQTRACE__UST_INT_SIZE(type, name, expr, base, enc) \
	RSEQTRACE__INT_SIZE(RSEQTRACE__UST_ITYPE(type), name, expr, base, enc)
#define RSEQTRACE__UST_INT_WRITE(type, name, expr, base, enc) \
	RSEQTRACE__INT_WRITE(RSEQTRACE__UST_ITYPE(type), name, expr, base, enc)
#define RSEQTRACE__UST_INT_PARAM(type, name, expr, base, enc) \
	RSEQTRACE__INT_PARAM(RSEQTRACE__UST_ITYPE(type), name, expr, base, enc)
#define RSEQTRACE__UST_INT_PASS(type, name, ...) , rseqtrace__v_##name

#define RSEQTRACE__UST_SKIP_DESC(expr)
#define RSEQTRACE__UST_SKIP_NAME(expr)
#define RSEQTRACE__UST_SKIP_VALUE(expr) (void)sizeof(expr);
#define RSEQTRACE__UST_SKIP_ARG(expr)
#define RSEQTRACE__UST_SKIP_QSEL(expr)
#define RSEQTRACE__UST_SKIP_SIZE(expr)
#define RSEQTRACE__UST_SKIP_WRITE(expr)
#define RSEQTRACE__UST_SKIP_PARAM(expr)
#define RSEQTRACE__UST_SKIP_PASS(expr)

/* Enum entries: pass DESC (rseqtrace's entries) and pass CHAIN (the C
 * enumerators that number the _auto entries). */
#define RSEQTRACE__CHAIN_A(...) RSEQTRACE__ONE(CHAIN, __VA_ARGS__) RSEQTRACE__CHAIN_B
#define RSEQTRACE__CHAIN_B(...) RSEQTRACE__ONE(CHAIN, __VA_ARGS__) RSEQTRACE__CHAIN_A
#define RSEQTRACE__CHAIN_A_END
#define RSEQTRACE__CHAIN_B_END
#define RSEQTRACE__UST_ENTRY_DESC(label, first, last, id) RSEQTRACE__ENTRY_DESC(label, first, last)
#define RSEQTRACE__UST_ENTRY_CHAIN(label, first, last, id) rseqtrace__ust_ec_##id = (long long)(last),
#define RSEQTRACE__UST_AUTO_DESC(label, id) RSEQTRACE__ENTRY_DESC(label, rseqtrace__ust_ec_##id, rseqtrace__ust_ec_##id)
#define RSEQTRACE__UST_AUTO_CHAIN(label, id) rseqtrace__ust_ec_##id,

#define RSEQTRACE__UST_ENUM_DEFINE(P, N, values)                                          \
	__extension__ enum { RSEQTRACE__CAT(rseqtrace__ust_ec0_, __COUNTER__) = -1,       \
			     RSEQTRACE__FOR_EACH(CHAIN, values) };                         \
	static const struct rseqtrace_enum_entry rseqtrace__enum_entries_##P##__##N[] = { \
		RSEQTRACE__FOR_EACH(DESC, values) };                                      \
	static const struct rseqtrace_enum_desc rseqtrace__enum_##P##__##N = {          \
		.name = #N,                                                             \
		.nr_entries = sizeof(rseqtrace__enum_entries_##P##__##N) /              \
			      sizeof(rseqtrace__enum_entries_##P##__##N[0]),            \
		.entries = rseqtrace__enum_entries_##P##__##N,                          \
	};

/* ---- call sites ------------------------------------------------------------ */

/* Disabled: one load and a not-taken branch, no argument evaluated. */
#define lttng_ust_tracepoint_enabled(provider, name) rseqtrace_enabled(provider, name)
#define lttng_ust_tracepoint(provider, name, ...) rseqtrace(provider, name, ##__VA_ARGS__)
/* Meant after a tracepoint_enabled() test; checking again costs one load. */
#define lttng_ust_do_tracepoint(provider, name, ...) rseqtrace(provider, name, ##__VA_ARGS__)

#if LTTNG_UST_COMPAT_API(0)
#define tracepoint lttng_ust_tracepoint
#define do_tracepoint lttng_ust_do_tracepoint
#define tracepoint_enabled lttng_ust_tracepoint_enabled
#endif

/* ---- provider description macros ----------------------------------------- */

#if LTTNG_UST_COMPAT_API(0)
#define TRACEPOINT_EVENT LTTNG_UST_TRACEPOINT_EVENT
#define TRACEPOINT_EVENT_CLASS LTTNG_UST_TRACEPOINT_EVENT_CLASS
#define TRACEPOINT_EVENT_INSTANCE(provider, class, name, args) \
	LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(provider, class, provider, name, args)
#define TRACEPOINT_LOGLEVEL LTTNG_UST_TRACEPOINT_LOGLEVEL
#define TRACEPOINT_ENUM LTTNG_UST_TRACEPOINT_ENUM
#define TRACEPOINT_MODEL_EMF_URI LTTNG_UST_TRACEPOINT_MODEL_EMF_URI
#endif

/* The declaring meaning of the provider macros (call sites only), which
 * <lttng/tracepoint-event.h> changes for its passes and sets back after. */
#include <lttng/rseqtrace-ust-declare.h>

#endif /* RSEQTRACE_UST_TRACEPOINT_H */
