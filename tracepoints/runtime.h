/* SPDX-License-Identifier: MIT */
/*
 * librseqtrace's internal runtime API: what a control thread inside the
 * traced process (the in-process session of session.c, or the daemon
 * listener) uses to see the registered events and to route them into
 * buffers. Not installed; link it into librseqtrace (sources placed in
 * tracepoints/listener/ are built into the library; see CMakeLists.txt).
 *
 * Model
 *   - An *event* is a probe with its description, registered when the
 *     shared object that instantiates its provider is loaded (including
 *     dlopen) and removed when it is unloaded (dlclose, exit). Each gets a
 *     handle, unique for the life of the process, never reused.
 *   - A *channel* is a mapped buffer set (struct rt_bufset) plus the event
 *     contexts (ip, vpid, vtid, procname: eventdesc/record.h) its records carry.
 *   - An event *attached* to a channel with an id writes every hit there
 *     while the channel is active; the id is what the CTF metadata of that
 *     channel's stream class calls the event. An event may be attached to
 *     several channels (several sessions), each with its own id.
 *   - Call sites are enabled while their event has an attachment to an
 *     active channel; otherwise they cost one load and a branch.
 *
 * Concurrency
 *   - All functions here are thread-safe and may block briefly; none may
 *     be called from a signal handler or from inside a probe.
 *   - Probes read attachments under RCU (rcu.h): attach/detach/destroy
 *     publish a new attachment list and wait for a grace period before
 *     freeing the old one, so a channel can be detached, its buffers
 *     replaced or unmapped, while other threads are in probes.
 *   - Registry callbacks run with the registry lock held (a recursive
 *     mutex), inside dlopen()/dlclose() or exit() when a provider comes or
 *     goes. They may call the functions of this header (the lock is
 *     recursive) but must not wait for another thread that could need the
 *     registry (e.g. a synchronous round trip to a thread that calls
 *     rt_event_attach): hand the work to your own thread instead.
 *     Lock order: registry lock, then your locks.
 *
 * Record format (every writer into a channel must follow it, see
 * record.h): 12 bytes of event header room whose first word is
 * rt_eh_extended(id) (ringbuf/packet.h; rt_write picks the header's form
 * and stores the timestamp), the channel's contexts, zeros up to the
 * payload, aligned as its largest field, the payload, zeros up to 8.
 * Records carry no length: the CTF writer finds each one's end by
 * decoding it.
 */
#ifndef RT_RUNTIME_H
#define RT_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include <rseqtrace/types.h>

#include "ringbuf/ringbuf.h"

#define RT_INTERNAL __attribute__((visibility("hidden")))

/* ---- events -------------------------------------------------------------- */

struct rt_event_info {
	uint64_t handle;
	const char *name;     /* "provider:event" */
	const char *provider;
	const char *event;
	int loglevel;
	const void *desc;     /* the description as a desc_wire.h blob */
	uint32_t desc_len;
};

enum rt_reg_change {
	RT_REG_ADDED = 1,   /* registered; attach it if you want it */
	RT_REG_REMOVED = 2, /* gone: already detached everywhere, no probe runs any more */
};

/* `info` and what it points to are valid during the call only. */
typedef void (*rt_reg_cb)(void *arg, enum rt_reg_change change, const struct rt_event_info *info);

/* Calls cb(ADDED) for every event registered now, then for every later
 * change until rt_registry_unsubscribe(), all under the registry lock, so
 * nothing is missed or seen twice. 0, or -ENOMEM. */
RT_INTERNAL int rt_registry_subscribe(rt_reg_cb cb, void *arg);
/* After it returns, cb is not running and will not be called again. */
RT_INTERNAL void rt_registry_unsubscribe(rt_reg_cb cb, void *arg);
/* cb(ADDED) for each event registered now. */
RT_INTERNAL void rt_registry_foreach(rt_reg_cb cb, void *arg);
/* Holds the registry lock across several calls (recursive). */
RT_INTERNAL void rt_registry_lock(void);
RT_INTERNAL void rt_registry_unlock(void);

struct rt_channel;

struct rt_fset;

/* Records hits of the event into ch with this id (changes the id and the
 * filter if attached already), those that filter accepts (NULL: all; the
 * list takes a reference). 0, -ENOENT (no such handle, or unregistered),
 * -EINVAL (an id past RT_EH_MAX_ID), -ENOMEM. */
RT_INTERNAL int rt_event_attach(uint64_t handle, struct rt_channel *ch, uint32_t id,
				struct rt_fset *filter);
/* Changes the filter of an attached event (NULL: none). 0, -ENOENT (not
 * attached to ch), -ENOMEM. */
RT_INTERNAL int rt_event_set_filter(uint64_t handle, struct rt_channel *ch, struct rt_fset *filter);
/* Verifies n (1..RT_FP_MAX_PER_EVENT) filter programs received for the
 * event and binds them to its description (filter/program.h): a set with
 * one reference, or NULL with the reason in err (a defect in any one). */
RT_INTERNAL struct rt_fset *rt_fset_bind(uint64_t handle, const void *const *progs,
					 const uint32_t *lens, uint32_t n, char *err, size_t errlen);
RT_INTERNAL void rt_fset_put(struct rt_fset *f);
/* 0, -ENOENT (no such event or not attached to ch). Returns once no probe
 * can write this event into ch any more. */
RT_INTERNAL int rt_event_detach(uint64_t handle, struct rt_channel *ch);
/* 1 if the event's call sites are enabled, 0 if not, -ENOENT. */
RT_INTERNAL int rt_event_enabled(uint64_t handle);

/* ---- channels ------------------------------------------------------------ */

/*
 * Wraps a mapped buffer set, taken by value: from then on use
 * rt_channel_bufset(ch) (writers, and a consumer in this process, such as
 * ctf_channel_open) and never the caller's copy, which must not have been
 * read from (rt_read_next allocates consumer state inside the struct).
 * With owns_mapping, rt_channel_destroy() unmaps it (rt_bufset_unmap)
 * once no probe can be writing to it. `name` is for messages only.
 * Created inactive. NULL on error, with a message in err.
 */
RT_INTERNAL struct rt_channel *rt_channel_create(const struct rt_bufset *bs, unsigned contexts,
						 const char *name, int owns_mapping,
						 char *err, size_t errlen);
/* Starts (1) or stops (0) recording into ch for every attached event. On
 * return from a stop, no probe writes into ch any more (but a thread
 * stopped inside one by a debugger; one gone from it with a longjmp is
 * not waited for: rcu.h). */
RT_INTERNAL void rt_channel_set_active(struct rt_channel *ch, int active);
/*
 * Detaches ch from every event, waits until no probe can be writing into
 * it (at most timeout_ms, 0 = no limit), then unmaps (if owned) and frees.
 * Returns 0, or -ETIMEDOUT: a thread stayed inside a probe (stopped under a
 * debugger, or gone from it with a longjmp: rcu.h); the channel and its
 * mapping are then freed after a later grace period, never under a writer.
 */
RT_INTERNAL int rt_channel_destroy(struct rt_channel *ch, unsigned timeout_ms);
RT_INTERNAL struct rt_bufset *rt_channel_bufset(struct rt_channel *ch);
RT_INTERNAL unsigned rt_channel_contexts(const struct rt_channel *ch);

struct rt_channel_counts {
	uint64_t refused; /* RT_E_MODE: this thread cannot write the set's mode (also in lost_abort) */
	uint64_t too_big; /* payload above RSEQTRACE_MAX_PAYLOAD (also in lost_big) */
};
RT_INTERNAL void rt_channel_counts(const struct rt_channel *ch, struct rt_channel_counts *out);

/* ---- helpers ------------------------------------------------------------- */

/* Process identity as the contexts record it (kept right across fork). */
RT_INTERNAL int32_t rt_vpid(void);

#endif
