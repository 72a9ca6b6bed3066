/* SPDX-License-Identifier: MIT */
/*
 * The LTTng-UST backend of the tracepoint macros: the same provider header
 * (RSEQTRACE_EVENT, RSEQTRACE_ENUM, rseqtrace_field_*) and the same call
 * sites (rseqtrace(), rseqtrace_enabled()) compile into LTTng-UST 2.13
 * tracepoints, which `lttng create; lttng enable-event -u 'prov:*';
 * lttng start` records into LTTng's own buffers. Nothing of librseqtrace is
 * linked; link -llttng-ust -ldl instead.
 *
 * Use it through CMake (cmake/RseqtraceLttng.cmake):
 *
 *   add_executable(hello-lttng hello.c)
 *   rseqtrace_lttng_backend(hello-lttng PROVIDERS hello_tp.h)
 *
 * which compiles the target's sources with RSEQTRACE_BACKEND_LTTNG defined
 * (<rseqtrace/tracepoint.h> then includes this header instead), and adds one
 * generated translation unit per provider header that instantiates the
 * LTTng-UST probes (LTTNG_UST_TRACEPOINT_CREATE_PROBES and _DEFINE). By
 * hand: define LTTNG_UST_TRACEPOINT_PROVIDER and _INCLUDE as LTTng-UST
 * documents, in a wrapper header that #undefs the provider header's include
 * guard and includes it, and build that wrapper once with
 * LTTNG_UST_TRACEPOINT_CREATE_PROBES and LTTNG_UST_TRACEPOINT_DEFINE.
 *
 * Every field type maps one to one:
 *
 *   rseqtrace_field_integer[_hex]       lttng_ust_field_integer[_hex]
 *   rseqtrace_field_float               lttng_ust_field_float
 *   rseqtrace_field_string              lttng_ust_field_string
 *   rseqtrace_field_array[_hex|_text]   lttng_ust_field_array[_hex|_text]
 *   rseqtrace_field_sequence[_hex|_text] lttng_ust_field_sequence[_hex|_text]
 *   rseqtrace_field_enum, RSEQTRACE_ENUM lttng_ust_field_enum, LTTNG_UST_TRACEPOINT_ENUM
 *   rseqtrace_field_blob                lttng_ust_field_sequence_hex(uint8_t, .., uint32_t, ..)
 *   event loglevel LEVEL                LTTNG_UST_TRACEPOINT_LOGLEVEL_LEVEL (same 15 levels)
 *
 * What differs (LTTng-UST's rules apply in this backend):
 *   - One provider per header: LTTng-UST instantiates a header for exactly
 *     one LTTNG_UST_TRACEPOINT_PROVIDER (the CMake helper checks it).
 *   - The header must be re-readable: an #ifndef/#define include guard (the
 *     helper #undefs it) or none; `#pragma once` cannot work.
 *   - Field expressions are evaluated several times (LTTng-UST computes the
 *     size, the alignment and then serializes), not once: no side effects.
 *   - The user's RSEQTRACE_CREATE_PROBES file compiles to nothing useful;
 *     the probes come from the generated file. Each other shared object
 *     with call sites needs LTTNG_UST_TRACEPOINT_DEFINE once (the helper
 *     does it for the target it is given).
 *   - Array sources must not be NULL (rseqtrace records zeros); a NULL
 *     sequence or blob source still records length 0 (kept here).
 *   - RSEQTRACE_MAX_PAYLOAD does not apply: LTTng-UST drops (and counts as
 *     discarded) events larger than a sub-buffer.
 *   - Contexts (vpid, vtid, procname) are LTTng channel contexts:
 *     `lttng add-context -u -t vpid -t vtid -t procname`.
 *   - enum_auto and model EMF URIs have no rseqtrace spelling; network
 *     byte order fields and event classes map to LTTng-UST's.
 */
#ifndef RSEQTRACE_LTTNG_H
#define RSEQTRACE_LTTNG_H

#ifndef RSEQTRACE_BACKEND_LTTNG
#define RSEQTRACE_BACKEND_LTTNG 1
#endif

#include <stdint.h>

#include <lttng/tracepoint.h>

#include <rseqtrace/types.h>

#define RSEQTRACE_ARGS(...) (__VA_ARGS__)
#define RSEQTRACE_FIELDS(...) __VA_ARGS__
#define RSEQTRACE_ENUM_VALUES(...) __VA_ARGS__

/*
 * Expanded again at every pass of LTTng-UST's multi-read of the provider
 * header: the LTTNG_UST_* names below are redefined by each pass, and
 * macro arguments are expanded at the point of use, so each pass sees its
 * own meaning of them.
 */
#define RSEQTRACE_EVENT(provider, event, level, args, fields)                                 \
	LTTNG_UST_TRACEPOINT_EVENT(provider, event, LTTNG_UST_TP_ARGS args,                   \
				   LTTNG_UST_TP_FIELDS(fields))                               \
	LTTNG_UST_TRACEPOINT_LOGLEVEL(provider, event, LTTNG_UST_TRACEPOINT_LOGLEVEL_##level)

#define RSEQTRACE_EVENT_CLASS(provider, class, args, fields) \
	LTTNG_UST_TRACEPOINT_EVENT_CLASS(provider, class, LTTNG_UST_TP_ARGS args, LTTNG_UST_TP_FIELDS(fields))
#define RSEQTRACE_EVENT_INSTANCE(provider, class, event, level, args)                       \
	LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(provider, class, provider, event, LTTNG_UST_TP_ARGS args) \
	LTTNG_UST_TRACEPOINT_LOGLEVEL(provider, event, LTTNG_UST_TRACEPOINT_LOGLEVEL_##level)

#define RSEQTRACE_ENUM(provider, name, values) \
	LTTNG_UST_TRACEPOINT_ENUM(provider, name, LTTNG_UST_TP_ENUM_VALUES(values))

/* rseqtrace records a NULL sequence as empty; LTTng-UST would read NULL. */
#define RSEQTRACE__LTTNG_LENGTH(ptr, length) ((ptr) ? (length) : 0)

#define rseqtrace_field_integer(type, name, expr) lttng_ust_field_integer(type, name, expr)
#define rseqtrace_field_integer_hex(type, name, expr) lttng_ust_field_integer_hex(type, name, expr)
#define rseqtrace_field_float(type, name, expr) lttng_ust_field_float(type, name, expr)
#define rseqtrace_field_string(name, expr) lttng_ust_field_string(name, expr)
#define rseqtrace_field_array(type, name, ptr, count) lttng_ust_field_array(type, name, ptr, count)
#define rseqtrace_field_array_hex(type, name, ptr, count) \
	lttng_ust_field_array_hex(type, name, ptr, count)
#define rseqtrace_field_array_text(type, name, ptr, count) \
	lttng_ust_field_array_text(type, name, ptr, count)
#define rseqtrace_field_sequence(type, name, ptr, length_type, length) \
	lttng_ust_field_sequence(type, name, ptr, length_type, RSEQTRACE__LTTNG_LENGTH(ptr, length))
#define rseqtrace_field_sequence_hex(type, name, ptr, length_type, length) \
	lttng_ust_field_sequence_hex(type, name, ptr, length_type, RSEQTRACE__LTTNG_LENGTH(ptr, length))
#define rseqtrace_field_sequence_text(type, name, ptr, length_type, length) \
	lttng_ust_field_sequence_text(type, name, ptr, length_type, RSEQTRACE__LTTNG_LENGTH(ptr, length))
#define rseqtrace_field_integer_network(type, name, expr) \
	lttng_ust_field_integer_network(type, name, expr)
#define rseqtrace_field_integer_network_hex(type, name, expr) \
	lttng_ust_field_integer_network_hex(type, name, expr)
#define rseqtrace_field_array_network(type, name, ptr, count) \
	lttng_ust_field_array_network(type, name, ptr, count)
#define rseqtrace_field_array_network_hex(type, name, ptr, count) \
	lttng_ust_field_array_network_hex(type, name, ptr, count)
#define rseqtrace_field_sequence_network(type, name, ptr, length_type, length) \
	lttng_ust_field_sequence_network(type, name, ptr, length_type, RSEQTRACE__LTTNG_LENGTH(ptr, length))
#define rseqtrace_field_sequence_network_hex(type, name, ptr, length_type, length) \
	lttng_ust_field_sequence_network_hex(type, name, ptr, length_type, RSEQTRACE__LTTNG_LENGTH(ptr, length))
#define rseqtrace_field_enum(provider, enum_name, type, name, expr) \
	lttng_ust_field_enum(provider, enum_name, type, name, expr)
#define rseqtrace_field_blob(name, ptr, length) \
	lttng_ust_field_sequence_hex(uint8_t, name, ptr, uint32_t, RSEQTRACE__LTTNG_LENGTH(ptr, length))

#define rseqtrace_enum_value(label, value) lttng_ust_field_enum_value(label, value)
#define rseqtrace_enum_range(label, first, last) lttng_ust_field_enum_range(label, first, last)

/* Call sites: disabled, one load and a not-taken branch, no argument evaluated. */
#define rseqtrace_enabled(provider, event) ((int)lttng_ust_tracepoint_enabled(provider, event))
#define rseqtrace(provider, event, ...) lttng_ust_tracepoint(provider, event, ##__VA_ARGS__)

#endif /* RSEQTRACE_LTTNG_H */
