/* SPDX-License-Identifier: MIT */
/*
 * Internal to rseqtrace's LTTng-UST compatibility headers (no guard: read
 * again to set the meaning back). The provider macros as every file that
 * includes a provider header sees them: an event declares its call-site
 * tracepoint (rseqtrace's, a hidden weak object per shared object) and
 * the function its call sites call; nothing else has code.
 */
#undef LTTNG_UST_TRACEPOINT_EVENT
#undef LTTNG_UST_TRACEPOINT_EVENT_CLASS
#undef LTTNG_UST_TRACEPOINT_EVENT_INSTANCE
#undef LTTNG_UST_TRACEPOINT_LOGLEVEL
#undef LTTNG_UST_TRACEPOINT_ENUM
#undef LTTNG_UST_TRACEPOINT_MODEL_EMF_URI

#define LTTNG_UST_TRACEPOINT_EVENT(provider, name, args, fields) \
	RSEQTRACE__DECLARE_TP(provider, name, args)
#define LTTNG_UST_TRACEPOINT_EVENT_CLASS(provider, name, args, fields)
#define LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(class_provider, class, provider, name, args) \
	RSEQTRACE__DECLARE_TP(provider, name, args)
#define LTTNG_UST_TRACEPOINT_LOGLEVEL(provider, name, level)
#define LTTNG_UST_TRACEPOINT_ENUM(provider, name, values)
#define LTTNG_UST_TRACEPOINT_MODEL_EMF_URI(provider, name, uri)
