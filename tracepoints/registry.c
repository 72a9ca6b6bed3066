/* SPDX-License-Identifier: MIT */
/*
 * The registry: probes (events with their descriptions) and call sites
 * (tracepoints) of every loaded shared object, the links between them,
 * channels, and which events write into which channel with which id.
 *
 * Invariants, all kept under reg_lock:
 *   G1  Of the registered events with one name, exactly the first is
 *       primary; the others (a provider instantiated twice) are duplicates:
 *       never linked, never announced. Removing the primary promotes the
 *       next duplicate.
 *   G2  A tracepoint's `event` is the primary of its name when the
 *       signatures agree, else NULL; `enabled` is set only while `event`
 *       is set and that event has an attachment to an active channel.
 *   G3  An event's attachment list (ev->rt) is replaced, never edited; an
 *       old list is freed only after a grace period (rcu.h). The same holds
 *       for a channel and its mapping once it is in no list.
 *   G4  Subscribers see ADDED exactly once per primary and REMOVED once
 *       when it goes, in order, because both happen under reg_lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rseqtrace/tracepoint.h>

#include "tracepoints/channel.h"
#include "eventdesc/desc_wire.h"
#include "eventdesc/record.h"
#include "tracepoints/rcu.h"
#include "eventdesc/record.h"
#include "filter/program.h"
#include "tracepoints/runtime.h"

struct range {
	struct range *next;
	const void *start;
	unsigned refs;
};

struct ev_entry {
	struct ev_entry *next;
	struct rseqtrace_event *ev;
	uint64_t handle;
	char *name;
	void *blob;
	uint32_t blob_len;
	int duplicate;
	uint8_t enabled;
	struct rt_ev_state *state;
};

struct tp_entry {
	struct tp_entry *next;
	struct rseqtrace_tracepoint *tp;
	struct ev_entry *linked;
	int warned;
};

struct sub {
	struct sub *next;
	rt_reg_cb cb;
	void *arg;
};

static pthread_mutex_t reg_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static struct range *tp_ranges, *ev_ranges;
static struct ev_entry *events;
static struct tp_entry *tps;
static struct sub *subs;
static struct rt_channel *channels;
static uint64_t next_handle = 1;

void rt_registry_lock(void)
{
	pthread_mutex_lock(&reg_lock);
}

void rt_registry_unlock(void)
{
	pthread_mutex_unlock(&reg_lock);
}

/* ---- ranges: one per shared object, counted per including file ---------- */

/* 1 if the range was registered already (now counted once more). */
static int range_get(struct range **list, const void *start)
{
	for (struct range *r = *list; r; r = r->next) {
		if (r->start == start) {
			r->refs++;
			return 1;
		}
	}
	struct range *r = calloc(1, sizeof *r);
	if (r) { /* without memory we register again next time: harmless */
		r->start = start;
		r->refs = 1;
		r->next = *list;
		*list = r;
	}
	return 0;
}

/* 1 if this was the last reference (unregister now). */
static int range_put(struct range **list, const void *start)
{
	for (struct range **pp = list; *pp; pp = &(*pp)->next) {
		struct range *r = *pp;
		if (r->start != start)
			continue;
		if (--r->refs)
			return 0;
		*pp = r->next;
		free(r);
		return 1;
	}
	return 1;
}

/* ---- events and tracepoints ------------------------------------------------ */

static struct ev_entry *find_primary(const char *name)
{
	for (struct ev_entry *e = events; e; e = e->next)
		if (!e->duplicate && strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

static struct ev_entry *find_handle(uint64_t handle)
{
	for (struct ev_entry *e = events; e; e = e->next)
		if (e->handle == handle)
			return e;
	return NULL;
}

static void link_tp(struct tp_entry *t)
{
	struct ev_entry *e = find_primary(t->tp->name);
	if (!e)
		return;
	const char *want = t->tp->signature ? t->tp->signature : "";
	const char *have = e->ev->desc->signature ? e->ev->desc->signature : "";
	if (strcmp(want, have) != 0) {
		if (!t->warned)
			fprintf(stderr, "rseqtrace: %s: call sites expect (%s) but the probe takes (%s):"
				" not linked\n", t->tp->name, want, have);
		t->warned = 1;
		return;
	}
	t->linked = e;
	__atomic_store_n(&t->tp->event, e->ev, __ATOMIC_RELEASE);
	__atomic_store_n(&t->tp->enabled, e->enabled, __ATOMIC_RELEASE);
}

static void unlink_tp(struct tp_entry *t)
{
	__atomic_store_n(&t->tp->enabled, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&t->tp->event, NULL, __ATOMIC_RELEASE);
	t->linked = NULL;
}

static void link_all(struct ev_entry *e)
{
	for (struct tp_entry *t = tps; t; t = t->next)
		if (!t->linked && strcmp(t->tp->name, e->name) == 0)
			link_tp(t);
}

/* G2: recompute from the attachment list and the channels' states. */
static void update_enabled(struct ev_entry *e)
{
	uint8_t on = 0;
	for (uint32_t i = 0; e->state && i < e->state->nr; i++)
		if (__atomic_load_n(&e->state->a[i].chan->active, __ATOMIC_RELAXED))
			on = 1;
	e->enabled = on;
	for (struct tp_entry *t = tps; t; t = t->next)
		if (t->linked == e)
			__atomic_store_n(&t->tp->enabled, on, __ATOMIC_RELEASE);
}

static void notify(enum rt_reg_change change, const struct ev_entry *e)
{
	const struct rseqtrace_event_desc *d = e->ev->desc;
	struct rt_event_info info = {
		.handle = e->handle,
		.name = e->name,
		.provider = d->provider,
		.event = d->name,
		.loglevel = d->loglevel,
		.desc = e->blob,
		.desc_len = e->blob_len,
	};
	for (struct sub *s = subs; s; s = s->next)
		s->cb(s->arg, change, &info);
}

static void free_entry(struct ev_entry *e)
{
	free(e->name);
	free(e->blob);
	free(e);
}

static void fset_get(struct rt_fset *f)
{
	if (f)
		__atomic_fetch_add(&f->refs, 1, __ATOMIC_RELAXED);
}

void rt_fset_put(struct rt_fset *f)
{
	if (!f || __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (uint32_t i = 0; i < f->nr; i++)
		rt_fp_free(f->p[i]);
	free(f);
}

static void free_state(struct rt_rcu_head *h)
{
	struct rt_ev_state *st = (struct rt_ev_state *)((char *)h - offsetof(struct rt_ev_state, rcu));
	for (uint32_t i = 0; i < st->nr; i++)
		rt_fset_put(st->a[i].filter);
	free(st);
}

/* G3: frees unpublished lists (chained on their rcu.next) now if a grace
 * period completed since they were unpublished, else after a later one. */
static void free_states(struct rt_rcu_head *list, int grace_done)
{
	while (list) {
		struct rt_rcu_head *h = list;
		list = h->next;
		if (grace_done)
			free_state(h);
		else
			rt_rcu_defer(h, free_state);
	}
}

/* Flattens and validates the static description: what the registry hands
 * out is exactly what a daemon would accept. */
static struct ev_entry *new_entry(struct rseqtrace_event *ev)
{
	const struct rseqtrace_event_desc *d = ev->desc;
	if (!d || d->abi != RSEQTRACE_ABI_VERSION) {
		fprintf(stderr, "rseqtrace: a provider built for ABI %u is ignored (library ABI %u)\n",
			d ? d->abi : 0, RSEQTRACE_ABI_VERSION);
		return NULL;
	}
	ssize_t n = rt_desc_flatten(d, NULL, 0);
	struct ev_entry *e = calloc(1, sizeof *e);
	if (!e || n < 0 || !(e->blob = malloc((size_t)n)) ||
	    rt_desc_flatten(d, e->blob, (size_t)n) != n) {
		fprintf(stderr, "rseqtrace: %s:%s: cannot represent its description\n",
			d->provider, d->name);
		if (e)
			free_entry(e);
		return NULL;
	}
	e->blob_len = (uint32_t)n;
	char err[256];
	struct rt_desc *check = rt_desc_parse(e->blob, (size_t)n, err, sizeof err);
	if (!check) {
		fprintf(stderr, "rseqtrace: %s:%s: invalid description: %s\n", d->provider, d->name, err);
		free_entry(e);
		return NULL;
	}
	e->name = check->name;
	check->name = NULL;
	rt_desc_free(check);
	e->ev = ev;
	e->handle = next_handle++;
	return e;
}

static void add_event(struct rseqtrace_event *ev)
{
	struct ev_entry *e = new_entry(ev);
	if (!e)
		return;
	e->duplicate = find_primary(e->name) != NULL;
	if (e->duplicate)
		fprintf(stderr, "rseqtrace: %s is instantiated twice; the second probe is ignored\n",
			e->name);
	struct ev_entry **tail = &events;
	while (*tail)
		tail = &(*tail)->next;
	*tail = e;
	ev->reg = e;
	if (!e->duplicate) {
		link_all(e);
		notify(RT_REG_ADDED, e);
	}
}

void rseqtrace__register_events(struct rseqtrace_event *const *start,
				struct rseqtrace_event *const *stop)
{
	if (!start || stop <= start)
		return;
	pthread_mutex_lock(&reg_lock);
	if (!range_get(&ev_ranges, start))
		for (struct rseqtrace_event *const *p = start; p < stop; p++)
			if (*p && !(*p)->reg)
				add_event(*p);
	pthread_mutex_unlock(&reg_lock);
}

/* Unlists e (already unlinked from its shared object's view) and returns
 * its attachment list for freeing after a grace period. */
static struct rt_ev_state *remove_event(struct ev_entry *e)
{
	for (struct ev_entry **pp = &events; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	}
	for (struct tp_entry *t = tps; t; t = t->next)
		if (t->linked == e)
			unlink_tp(t);
	__atomic_store_n(&e->ev->rt, NULL, __ATOMIC_RELEASE);
	e->ev->reg = NULL;
	struct rt_ev_state *st = e->state;
	e->state = NULL;
	e->enabled = 0;
	return st;
}

void rseqtrace__unregister_events(struct rseqtrace_event *const *start,
				  struct rseqtrace_event *const *stop)
{
	if (!start || stop <= start)
		return;
	pthread_mutex_lock(&reg_lock);
	if (!range_put(&ev_ranges, start)) {
		pthread_mutex_unlock(&reg_lock);
		return;
	}
	struct rt_rcu_head *garbage = NULL;
	struct ev_entry *gone = NULL;
	for (struct rseqtrace_event *const *p = start; p < stop; p++) {
		struct ev_entry *e = *p ? (*p)->reg : NULL;
		if (!e)
			continue;
		struct rt_ev_state *st = remove_event(e);
		if (st) {
			st->rcu.next = garbage;
			garbage = &st->rcu;
		}
		e->next = gone;
		gone = e;
	}
	/* No probe of this object can start now (G2); wait for those running,
	 * then tell subscribers (G4) and promote duplicates (G1). The wait is
	 * bounded (rcu.h): the object goes away after it whatever happens. */
	int grace_done = rt_rcu_synchronize() == 0;
	while (gone) {
		struct ev_entry *e = gone;
		gone = e->next;
		if (!e->duplicate) {
			notify(RT_REG_REMOVED, e);
			struct ev_entry *d = find_primary(e->name) ? NULL : events;
			for (; d; d = d->next) {
				if (d->duplicate && strcmp(d->name, e->name) == 0) {
					d->duplicate = 0;
					link_all(d);
					notify(RT_REG_ADDED, d);
					break;
				}
			}
		}
		free_entry(e);
	}
	free_states(garbage, grace_done);
	pthread_mutex_unlock(&reg_lock);
}

void rseqtrace__register_tracepoints(struct rseqtrace_tracepoint *const *start,
				     struct rseqtrace_tracepoint *const *stop)
{
	if (!start || stop <= start)
		return;
	pthread_mutex_lock(&reg_lock);
	if (!range_get(&tp_ranges, start)) {
		unsigned foreign = 0, foreign_abi = 0;
		for (struct rseqtrace_tracepoint *const *p = start; p < stop; p++) {
			/* Every file that includes a provider header holds a
			 * pointer to the object's one (weak) tracepoint. */
			if (!*p || (*p)->reg || !(*p)->name)
				continue;
			/* Built against other headers: its call sites would call
			 * our probes with another argument list. Never linked. */
			if ((*p)->abi != RSEQTRACE_ABI_VERSION) {
				struct rseqtrace_tracepoint *const *q = start;
				while (q < p && *q != *p)
					q++;
				foreign += q == p; /* each tracepoint once */
				foreign_abi = (*p)->abi;
				continue;
			}
			struct tp_entry *t = calloc(1, sizeof *t);
			if (!t)
				continue; /* stays disabled */
			t->tp = *p;
			(*p)->reg = t;
			t->next = tps;
			tps = t;
			link_tp(t);
		}
		if (foreign)
			fprintf(stderr, "rseqtrace: %u call site%s built with other rseqtrace headers "
				"(ABI %u, library ABI %u) stay%s disabled: rebuild them\n",
				foreign, foreign == 1 ? "" : "s", foreign_abi, RSEQTRACE_ABI_VERSION,
				foreign == 1 ? "s" : "");
	}
	pthread_mutex_unlock(&reg_lock);
}

void rseqtrace__unregister_tracepoints(struct rseqtrace_tracepoint *const *start,
				       struct rseqtrace_tracepoint *const *stop)
{
	if (!start || stop <= start)
		return;
	pthread_mutex_lock(&reg_lock);
	if (range_put(&tp_ranges, start)) {
		/* The call sites go with their object: nothing of theirs can
		 * run any more, so no grace period is needed. */
		for (struct rseqtrace_tracepoint *const *p = start; p < stop; p++) {
			struct tp_entry *t = *p ? (*p)->reg : NULL;
			if (!t)
				continue;
			unlink_tp(t);
			for (struct tp_entry **pp = &tps; *pp; pp = &(*pp)->next) {
				if (*pp == t) {
					*pp = t->next;
					break;
				}
			}
			(*p)->reg = NULL;
			free(t);
		}
	}
	pthread_mutex_unlock(&reg_lock);
}

/* ---- subscribers -------------------------------------------------------------- */

int rt_registry_subscribe(rt_reg_cb cb, void *arg)
{
	struct sub *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->cb = cb;
	s->arg = arg;
	pthread_mutex_lock(&reg_lock);
	struct sub **tail = &subs;
	while (*tail)
		tail = &(*tail)->next;
	*tail = s;
	struct sub *saved = subs;
	subs = s; /* replay to the new subscriber only */
	s->next = NULL;
	for (struct ev_entry *e = events; e; e = e->next)
		if (!e->duplicate)
			notify(RT_REG_ADDED, e);
	subs = saved;
	pthread_mutex_unlock(&reg_lock);
	return 0;
}

void rt_registry_unsubscribe(rt_reg_cb cb, void *arg)
{
	pthread_mutex_lock(&reg_lock);
	for (struct sub **pp = &subs; *pp; pp = &(*pp)->next) {
		if ((*pp)->cb == cb && (*pp)->arg == arg) {
			struct sub *s = *pp;
			*pp = s->next;
			free(s);
			break;
		}
	}
	pthread_mutex_unlock(&reg_lock);
}

void rt_registry_foreach(rt_reg_cb cb, void *arg)
{
	struct sub one = { .cb = cb, .arg = arg };
	pthread_mutex_lock(&reg_lock);
	struct sub *saved = subs;
	subs = &one;
	for (struct ev_entry *e = events; e; e = e->next)
		if (!e->duplicate)
			notify(RT_REG_ADDED, e);
	subs = saved;
	pthread_mutex_unlock(&reg_lock);
}

/* ---- attachments ------------------------------------------------------------ */

static int state_index(const struct rt_ev_state *st, const struct rt_channel *ch)
{
	for (uint32_t i = 0; st && i < st->nr; i++)
		if (st->a[i].chan == ch)
			return (int)i;
	return -1;
}

/* The list as probes see it: tagged if any attachment has a filter (bit
 * 0 of a malloc'ed address is free). */
_Static_assert(_Alignof(struct rt_ev_state) > RT_EV_FILTERED, "tag bit");
_Static_assert(offsetof(struct rt_ev_state, quick) == 0, "a tagged rt leads to the quick filter");
static void *tagged(struct rt_ev_state *st)
{
	uintptr_t tag = 0;
	for (uint32_t i = 0; st && i < st->nr; i++)
		if (st->a[i].filter)
			tag = RT_EV_FILTERED;
	return (void *)((uintptr_t)st | tag);
}

/* The quick filter every hit that st records passes: the attachments'
 * own when they all have the same one (their filter is that one quick
 * program), else all zeros, which holds for every value. */
static struct rseqtrace_quick common_quick(const struct rt_ev_state *st)
{
	struct rseqtrace_quick all = { 0 }, q = st->a[0].quick;
	for (uint32_t i = 0; i < st->nr; i++) {
		const struct rseqtrace_quick *a = &st->a[i].quick;
		if (!a->set || a->lo != q.lo || a->rest != q.rest || a->field != q.field)
			return all;
	}
	return q;
}

/* G3: publish a new list, return the old one. */
static struct rt_ev_state *publish(struct ev_entry *e, struct rt_ev_state *st)
{
	struct rt_ev_state *old = e->state;
	e->state = st;
	if (st)
		st->quick = common_quick(st);
	__atomic_store_n(&e->ev->rt, tagged(st), __ATOMIC_RELEASE);
	update_enabled(e);
	return old;
}

/* A copy of e's list without ch (NULL if it becomes empty), or (void *)-1
 * without memory. */
static struct rt_ev_state *without(const struct rt_ev_state *st, const struct rt_channel *ch)
{
	if (st->nr == 1)
		return NULL;
	struct rt_ev_state *n = malloc(sizeof *n + (st->nr - 1) * sizeof n->a[0]);
	if (!n)
		return (struct rt_ev_state *)-1;
	n->nr = 0;
	for (uint32_t i = 0; i < st->nr; i++)
		if (st->a[i].chan != ch) {
			fset_get(st->a[i].filter);
			n->a[n->nr++] = st->a[i];
		}
	return n;
}

/* The payload's alignment: its largest field's (record.h). */
static uint32_t payload_align(const struct rseqtrace_event_desc *d)
{
	uint32_t a = 1;
	for (uint32_t i = 0; i < d->nr_fields; i++) {
		const struct rseqtrace_field_desc *f = &d->fields[i];
		uint32_t fa = rt_field_align(f->kind, f->elem.size, f->length.size);
		if (fa > a)
			a = fa;
	}
	return a;
}

/* Publishes e's list with ch attached (id, filter); keep_id: ch must be
 * attached already and keeps its id. Under reg_lock; returns the old list
 * (to free after a grace period), or an errno value cast. */
static int republish(struct ev_entry *e, struct rt_channel *ch, uint32_t id, int keep_id,
		     struct rt_fset *filter, struct rt_ev_state **old)
{
	const struct rt_ev_state *cur = e->state;
	uint32_t nr = cur ? cur->nr : 0;
	int at = state_index(cur, ch);
	if (keep_id && at < 0)
		return -ENOENT;
	struct rt_ev_state *n = malloc(sizeof *n + (nr + (at < 0)) * sizeof n->a[0]);
	if (!n)
		return -ENOMEM;
	n->nr = nr;
	for (uint32_t i = 0; i < nr; i++) {
		n->a[i] = cur->a[i];
		if ((int)i != at)
			fset_get(n->a[i].filter);
	}
	fset_get(filter);
	struct rt_attach a = { ch, keep_id ? cur->a[at].id : id,
			       rt_payload_start(ch->ctx_end, payload_align(e->ev->desc)), filter,
			       { 0 } };
	if (filter && filter->nr == 1)
		a.quick = *rt_fp_quick_of(filter->p[0]);
	if (at < 0)
		n->a[n->nr++] = a;
	else
		n->a[at] = a;
	*old = publish(e, n);
	return 0;
}

static int attach(uint64_t handle, struct rt_channel *ch, uint32_t id, int keep_id,
		  struct rt_fset *filter)
{
	pthread_mutex_lock(&reg_lock);
	struct ev_entry *e = find_handle(handle);
	struct rt_ev_state *old = NULL;
	int r = !e || e->duplicate ? -ENOENT : republish(e, ch, id, keep_id, filter, &old);
	pthread_mutex_unlock(&reg_lock);
	if (old) {
		/* The old list's entry for ch keeps its reference to the
		 * old filter until the list is freed. */
		old->rcu.next = NULL;
		free_states(&old->rcu, rt_rcu_synchronize() == 0);
	}
	return r;
}

int rt_event_attach(uint64_t handle, struct rt_channel *ch, uint32_t id, struct rt_fset *filter)
{
	return attach(handle, ch, id, 0, filter);
}

int rt_event_set_filter(uint64_t handle, struct rt_channel *ch, struct rt_fset *filter)
{
	return attach(handle, ch, 0, 1, filter);
}

struct rt_fset *rt_fset_bind(uint64_t handle, const void *const *progs, const uint32_t *lens,
			     uint32_t n, char *err, size_t errlen)
{
	if (n < 1 || n > RT_FP_MAX_PER_EVENT) {
		snprintf(err, errlen, "%u filter programs for one event", n);
		return NULL;
	}
	/* Read by every filtered hit: on cache lines of its own. */
	size_t size = (sizeof(struct rt_fset) + n * sizeof(struct rt_fp *) + 63) & ~(size_t)63;
	struct rt_fset *f = aligned_alloc(64, size);
	if (f)
		memset(f, 0, size);
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->refs = 1;
	pthread_mutex_lock(&reg_lock);
	struct ev_entry *e = find_handle(handle);
	if (!e || e->duplicate)
		snprintf(err, errlen, "no such event");
	for (uint32_t i = 0; e && !e->duplicate && i < n; i++) {
		f->p[i] = rt_fp_bind(progs[i], lens[i], e->ev->desc, err, errlen);
		if (!f->p[i])
			break;
		f->reads_ctx |= rt_fp_reads_ctx(f->p[i]);
		f->nr++;
	}
	pthread_mutex_unlock(&reg_lock);
	if (f->nr != n) {
		rt_fset_put(f);
		return NULL;
	}
	return f;
}

int rt_event_detach(uint64_t handle, struct rt_channel *ch)
{
	pthread_mutex_lock(&reg_lock);
	struct ev_entry *e = find_handle(handle);
	if (!e || e->duplicate || state_index(e->state, ch) < 0) {
		pthread_mutex_unlock(&reg_lock);
		return -ENOENT;
	}
	struct rt_ev_state *n = without(e->state, ch);
	if (n == (struct rt_ev_state *)-1) {
		pthread_mutex_unlock(&reg_lock);
		return -ENOMEM;
	}
	struct rt_ev_state *old = publish(e, n);
	pthread_mutex_unlock(&reg_lock);
	old->rcu.next = NULL;
	free_states(&old->rcu, rt_rcu_synchronize() == 0);
	return 0;
}

int rt_event_enabled(uint64_t handle)
{
	pthread_mutex_lock(&reg_lock);
	struct ev_entry *e = find_handle(handle);
	int r = !e ? -ENOENT : e->enabled;
	pthread_mutex_unlock(&reg_lock);
	return r;
}

/* ---- channels ------------------------------------------------------------------ */

struct rt_channel *rt_channel_create(const struct rt_bufset *bs, unsigned contexts,
				     const char *name, int owns_mapping, char *err, size_t errlen)
{
	if (!bs || !bs->hdr || (contexts & ~(unsigned)RSEQTRACE_CTX_ALL)) {
		snprintf(err, errlen, "channel %s: no buffers or unknown contexts 0x%x",
			 name ? name : "?", contexts);
		return NULL;
	}
	uint32_t ctx_end = rt_ctx_end(contexts);
	if (rt_payload_start(ctx_end, 8) > RSEQTRACE__HDR_RESERVE || ctx_end + 16 > rt_max_record(bs)) {
		snprintf(err, errlen, "channel %s: sub-buffers of %llu bytes are too small",
			 name ? name : "?", (unsigned long long)bs->subbuf_size);
		return NULL;
	}
	struct rt_channel *ch = calloc(1, sizeof *ch);
	if (!ch) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ch->bs = *bs;
	/* Blocking writers (bs->wait_ns) give up once the channel stops. */
	ch->bs.wait_while = &ch->active;
	ch->contexts = contexts;
	ch->ctx_len = rt_ctx_len(contexts);
	ch->ctx_end = ctx_end;
	ch->owns_mapping = owns_mapping != 0;
	snprintf(ch->name, sizeof ch->name, "%s", name ? name : "channel");
	pthread_mutex_lock(&reg_lock);
	ch->next = channels;
	channels = ch;
	pthread_mutex_unlock(&reg_lock);
	return ch;
}

void rt_channel_set_active(struct rt_channel *ch, int active)
{
	pthread_mutex_lock(&reg_lock);
	__atomic_store_n(&ch->active, active ? 1 : 0, __ATOMIC_RELEASE);
	for (struct ev_entry *e = events; e; e = e->next)
		if (state_index(e->state, ch) >= 0)
			update_enabled(e);
	pthread_mutex_unlock(&reg_lock);
	if (!active)
		rt_rcu_synchronize();
}

static void free_channel(struct rt_rcu_head *h)
{
	struct rt_channel *ch = (struct rt_channel *)((char *)h - offsetof(struct rt_channel, rcu));
	if (ch->owns_mapping)
		rt_bufset_unmap(&ch->bs);
	free(ch);
}

int rt_channel_destroy(struct rt_channel *ch, unsigned timeout_ms)
{
	struct rt_rcu_head *garbage = NULL;
	int oom = 0;
	pthread_mutex_lock(&reg_lock);
	__atomic_store_n(&ch->active, 0, __ATOMIC_RELEASE);
	for (struct ev_entry *e = events; e; e = e->next) {
		if (state_index(e->state, ch) < 0)
			continue;
		struct rt_ev_state *n = without(e->state, ch);
		if (n == (struct rt_ev_state *)-1) {
			/* Keep the list; the channel stays referenced but
			 * inactive, so it must never be freed. */
			oom = 1;
			update_enabled(e);
			continue;
		}
		struct rt_ev_state *old = publish(e, n);
		old->rcu.next = garbage;
		garbage = &old->rcu;
	}
	for (struct rt_channel **pp = &channels; *pp; pp = &(*pp)->next) {
		if (*pp == ch) {
			*pp = ch->next;
			break;
		}
	}
	pthread_mutex_unlock(&reg_lock);
	int grace_done = rt_rcu_synchronize_timeout(timeout_ms) == 0;
	free_states(garbage, grace_done);
	if (oom)
		return -ENOMEM;
	if (!grace_done) {
		fprintf(stderr, "rseqtrace: channel %s: a thread stays inside a probe; "
			"its buffers stay mapped until it leaves\n", ch->name);
		rt_rcu_defer(&ch->rcu, free_channel);
		return -ETIMEDOUT;
	}
	free_channel(&ch->rcu);
	return 0;
}

struct rt_bufset *rt_channel_bufset(struct rt_channel *ch)
{
	return &ch->bs;
}

unsigned rt_channel_contexts(const struct rt_channel *ch)
{
	return ch->contexts;
}

void rt_channel_counts(const struct rt_channel *ch, struct rt_channel_counts *out)
{
	out->refused = __atomic_load_n(&ch->refused, __ATOMIC_RELAXED);
	out->too_big = __atomic_load_n(&ch->too_big, __ATOMIC_RELAXED);
}

/* ---- fork ---------------------------------------------------------------------- */

void rt_registry_before_fork(void)
{
	pthread_mutex_lock(&reg_lock);
}

void rt_registry_after_fork_parent(void)
{
	pthread_mutex_unlock(&reg_lock);
}

void rt_registry_after_fork_child(void)
{
	/* The lock's owner is the parent thread's id: make a fresh one. The
	 * data is consistent, since we held it across fork. */
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&reg_lock, &a);
	pthread_mutexattr_destroy(&a);
}
