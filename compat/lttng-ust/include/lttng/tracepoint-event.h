/* SPDX-License-Identifier: MIT */
/*
 * <lttng/tracepoint-event.h> for rseqtrace (no include guard: a provider
 * header includes it at its end, every time it is read).
 *
 * In the one file that defines LTTNG_UST_TRACEPOINT_CREATE_PROBES (or
 * TRACEPOINT_CREATE_PROBES) before including a provider header, this reads
 * the provider header (LTTNG_UST_TRACEPOINT_INCLUDE) again, once per pass,
 * with LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ defined and the provider
 * macros meaning something else each time:
 *
 *   1. enums: rseqtrace enum descriptions (the _auto values computed);
 *   2. classes: an event class per TRACEPOINT_EVENT_CLASS and per
 *      TRACEPOINT_EVENT (the fields and the typed probe, rseqtrace's
 *      RSEQTRACE__DEFINE_CLASS);
 *   3. the default loglevel of each event, as a constant
 *      rseqtrace__ust_ll_<provider>__<event> at file scope;
 *   4. in the body of one function that is never called, each
 *      TRACEPOINT_LOGLEVEL declares the same constant again, shadowing the
 *      default; then each event and instance defines its rseqtrace event
 *      (RSEQTRACE__DEFINE_INSTANCE: description, probe side, section
 *      entry; static objects, so the function's body only gives them a
 *      scope) with the loglevel it finds in scope. A TRACEPOINT_LOGLEVEL may
 *      so come anywhere in the header, as with LTTng-UST.
 *
 * Everywhere else this file does nothing: the provider macros only declare
 * the call sites (rseqtrace-ust-declare.h).
 */
#include <lttng/ust-api-compat.h>

#if LTTNG_UST_COMPAT_API(0)
#if defined(TRACEPOINT_CREATE_PROBES) && !defined(LTTNG_UST_TRACEPOINT_CREATE_PROBES)
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#endif
#if defined(TRACEPOINT_INCLUDE) && !defined(LTTNG_UST_TRACEPOINT_INCLUDE)
#define LTTNG_UST_TRACEPOINT_INCLUDE TRACEPOINT_INCLUDE
#endif
#endif

#ifdef LTTNG_UST_TRACEPOINT_CREATE_PROBES

#ifndef LTTNG_UST_TRACEPOINT_INCLUDE
#error "LTTNG_UST_TRACEPOINT_INCLUDE (or TRACEPOINT_INCLUDE) must name the provider header"
#endif
#include <lttng/rseqtrace-ust-refused.h>

#include <lttng/tracepoint.h>

/* The constructor that registers this file's probes with librseqtrace. */
#ifdef RSEQTRACE_CREATE_PROBES
#include <rseqtrace/tracepoint.h>
#else
#define RSEQTRACE_CREATE_PROBES
#include <rseqtrace/tracepoint.h>
#undef RSEQTRACE_CREATE_PROBES
#include <rseqtrace/tracepoint.h>
#endif

#undef LTTNG_UST_TRACEPOINT_CREATE_PROBES
#undef TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ
#if LTTNG_UST_COMPAT_API(0)
#define TRACEPOINT_HEADER_MULTI_READ
#endif

#define RSEQTRACE__UST_LL(provider, name) rseqtrace__ust_ll_##provider##__##name

/* ---- pass 1: enums ---------------------------------------------------------- */
#undef LTTNG_UST_TRACEPOINT_EVENT
#undef LTTNG_UST_TRACEPOINT_EVENT_CLASS
#undef LTTNG_UST_TRACEPOINT_EVENT_INSTANCE
#undef LTTNG_UST_TRACEPOINT_LOGLEVEL
#undef LTTNG_UST_TRACEPOINT_ENUM
#undef LTTNG_UST_TRACEPOINT_MODEL_EMF_URI
#define LTTNG_UST_TRACEPOINT_EVENT(provider, name, args, fields)
#define LTTNG_UST_TRACEPOINT_EVENT_CLASS(provider, name, args, fields)
#define LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(class_provider, class, provider, name, args)
#define LTTNG_UST_TRACEPOINT_LOGLEVEL(provider, name, level)
#define LTTNG_UST_TRACEPOINT_ENUM(provider, name, values) RSEQTRACE__UST_ENUM_DEFINE(provider, name, values)
#define LTTNG_UST_TRACEPOINT_MODEL_EMF_URI(provider, name, uri)
#include LTTNG_UST_TRACEPOINT_INCLUDE

/* ---- pass 2: event classes ---------------------------------------------------- */
#undef LTTNG_UST_TRACEPOINT_EVENT
#undef LTTNG_UST_TRACEPOINT_EVENT_CLASS
#undef LTTNG_UST_TRACEPOINT_ENUM
#define LTTNG_UST_TRACEPOINT_EVENT(provider, name, args, fields) \
	RSEQTRACE__DEFINE_CLASS(provider, name, args, fields)
#define LTTNG_UST_TRACEPOINT_EVENT_CLASS(provider, name, args, fields) \
	RSEQTRACE__DEFINE_CLASS(provider, name, args, fields)
#define LTTNG_UST_TRACEPOINT_ENUM(provider, name, values)
#include LTTNG_UST_TRACEPOINT_INCLUDE

/* ---- pass 3: default loglevels -------------------------------------------------- */
#undef LTTNG_UST_TRACEPOINT_EVENT
#undef LTTNG_UST_TRACEPOINT_EVENT_CLASS
#undef LTTNG_UST_TRACEPOINT_EVENT_INSTANCE
#define LTTNG_UST_TRACEPOINT_EVENT(provider, name, args, fields) \
	enum { RSEQTRACE__UST_LL(provider, name) = RSEQTRACE__UST_LOGLEVEL_DEFAULT };
#define LTTNG_UST_TRACEPOINT_EVENT_CLASS(provider, name, args, fields)
#define LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(class_provider, class, provider, name, args) \
	enum { RSEQTRACE__UST_LL(provider, name) = RSEQTRACE__UST_LOGLEVEL_DEFAULT };
#include LTTNG_UST_TRACEPOINT_INCLUDE

/* ---- pass 4: loglevels, then events and instances, in one scope --------------- */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
static __attribute__((used, unused)) void RSEQTRACE__CAT(rseqtrace__ust_events_, __COUNTER__)(void)
{
#undef LTTNG_UST_TRACEPOINT_EVENT
#undef LTTNG_UST_TRACEPOINT_EVENT_INSTANCE
#undef LTTNG_UST_TRACEPOINT_LOGLEVEL
#define LTTNG_UST_TRACEPOINT_EVENT(provider, name, args, fields)
#define LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(class_provider, class, provider, name, args)
#define LTTNG_UST_TRACEPOINT_LOGLEVEL(provider, name, level) \
	enum { RSEQTRACE__UST_LL(provider, name) = (level) };
#include LTTNG_UST_TRACEPOINT_INCLUDE

#undef LTTNG_UST_TRACEPOINT_EVENT
#undef LTTNG_UST_TRACEPOINT_EVENT_INSTANCE
#undef LTTNG_UST_TRACEPOINT_LOGLEVEL
#define LTTNG_UST_TRACEPOINT_EVENT(provider, name, args, fields) \
	RSEQTRACE__DEFINE_INSTANCE(provider, name, provider, name, RSEQTRACE__UST_LL(provider, name), args)
#define LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(class_provider, class, provider, name, args) \
	RSEQTRACE__DEFINE_INSTANCE(class_provider, class, provider, name,                \
				   RSEQTRACE__UST_LL(provider, name), args)
#define LTTNG_UST_TRACEPOINT_LOGLEVEL(provider, name, level)
#include LTTNG_UST_TRACEPOINT_INCLUDE
}
#pragma GCC diagnostic pop

/* ---- back to declaring ----------------------------------------------------------- */
#include <lttng/rseqtrace-ust-declare.h>
#undef RSEQTRACE__UST_LL
#undef LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ
#undef TRACEPOINT_HEADER_MULTI_READ
#undef LTTNG_UST_TRACEPOINT_INCLUDE
#undef TRACEPOINT_INCLUDE
/* As LTTng-UST: the next provider header included here instantiates too. */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES

#endif /* LTTNG_UST_TRACEPOINT_CREATE_PROBES */
