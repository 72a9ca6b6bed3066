/* SPDX-License-Identifier: MIT */
/* Traces (trace.h): buffers, output, event ids, counts, the first error. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <search.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "consumerd/daemon.h"
#include "consumerd/drain.h"
#include "consumerd/log.h"
#include "consumerd/output.h"
#include "consumerd/registry.h"
#include "consumerd/session.h"
#include "consumerd/trace.h"

/* The protocol's context bits are the library's: apps hand them to
 * rt_channel_create and the CTF writer takes them as they are. */
_Static_assert(RT_CTX_VPID == RSEQTRACE_CTX_VPID && RT_CTX_VTID == RSEQTRACE_CTX_VTID &&
	       RT_CTX_PROCNAME == RSEQTRACE_CTX_PROCNAME && RT_CTX_IP == RSEQTRACE_CTX_IP &&
	       RT_CTX_ALL == RSEQTRACE_CTX_ALL, "context bits");

void trace_set_error(struct trace *t, const char *fmt, ...)
{
	if (t->error)
		return; /* the first error is the one that explains the others */
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&t->error, fmt, ap) < 0)
		t->error = NULL;
	va_end(ap);
	logm(LOG_ERR, "session %s, trace %s: %s", t->s ? t->s->name : "(destroyed)", t->dir ? t->dir : "?",
	     t->error ? t->error : "out of memory");
}

struct trace *trace_for_app(struct session *s, const struct channel *ch, struct app *a)
{
	for (struct trace *t = s->traces; t; t = t->next)
		for (struct link *l = t->links; l && t->ch == ch; l = l->next)
			if (l->app == a)
				return t;
	for (struct trace *t = s->traces; t; t = t->next)
		if (t->owner == a && t->ch == ch)
			return t;
	return NULL;
}

/* The open trace of another channel whose directory a trace of s for
 * owner (NULL: per-UID) shares: one metadata, one stream class per
 * channel, as lttng lays them out. */
static struct trace *trace_sibling(struct session *s, const struct app *owner)
{
	for (struct trace *t = s->traces; t; t = t->next)
		if (t->mapped && t->owner == owner && t->per_pid == (owner != NULL))
			return t;
	return NULL;
}

int trace_group(struct session *s, struct trace *t, struct trace **with, uint32_t max)
{
	if (trace_sibling(s, t->owner) != t)
		return -1;
	uint32_t n = 0;
	for (struct trace *g = t->next; g && n < max; g = g->next)
		if (g->mapped && g->owner == t->owner && g->per_pid == t->per_pid)
			with[n++] = g;
	return (int)n;
}

/* Refuses a buffer set that would take the daemon's buffers past the cap,
 * before anything is mapped. Every set is counted while mapped, per-UID,
 * per-PID and locked-mode alike (trace_close_buffers gives it back). */
static int reserve_buffer_memory(struct daemon *d, uint64_t need, char *err, size_t errlen)
{
	uint64_t cap = d->cfg.max_buffer_memory;
	if (d->buffer_memory + need <= cap)
		return 0;
	snprintf(err, errlen,
		 "%.1f MiB more of buffers would pass the daemon's cap of %llu MiB "
		 "(%.1f MiB in use; rseqtraced --max-buffer-memory)",
		 (double)need / (1 << 20), (unsigned long long)(cap >> 20),
		 (double)d->buffer_memory / (1 << 20));
	return -1;
}

struct trace *trace_create(struct daemon *d, struct session *s, struct channel *ch,
			   struct app *owner, char *err, size_t errlen)
{
	struct trace *sib = trace_sibling(s, owner);
	struct trace *t = calloc(1, sizeof *t);
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->s = s;
	t->ch = ch;
	t->key = d->next_id++;
	t->owner = owner;
	t->per_pid = owner != NULL;
	t->snapshot = s->snapshot;
	t->contexts = ch->contexts;
	t->max_metadata = d->cfg.max_metadata;
	t->bs.fd = -1;
	pthread_mutex_init(&t->stats_lock, NULL);
	if (owner) {
		t->owner_pid = owner->pid;
		snprintf(t->owner_name, sizeof t->owner_name, "%s", owner->procname);
	}
	uint8_t *uuid = t->uuid;
	if (sib) {
		memcpy(uuid, sib->uuid, sizeof t->uuid); /* one trace, one uuid */
	} else if (getrandom(uuid, sizeof t->uuid, 0) != (ssize_t)sizeof t->uuid) {
		snprintf(err, errlen, "getrandom: %s", strerror(errno));
		goto fail;
	} else {
		uuid[6] = (uuid[6] & 0x0f) | 0x40; /* RFC 4122 version 4 */
		uuid[8] = (uuid[8] & 0x3f) | 0x80;
	}

	struct rt_params p = {
		.subbuf_size = ch->subbuf_size,
		.num_subbuf = ch->num_subbuf,
		.mode = owner && !owner->rseq ? RT_MODE_LOCKED : RT_MODE_RSEQ,
		.clock = s->clock,
		.stream_id = ch->stream_id,
		.overwrite = ch->overwrite, /* snapshot sessions: nobody drains it */
	};
	/* A process's own rseq buffers, indexed by its threads' mm_cid:
	 * no two of its threads run with one id at a time, and the ids stay
	 * below its thread count and its allowed CPUs. It starts with a
	 * buffer per CPU it may run on and asks for more (APP_GROW). */
	uint32_t ready = d->nr_cpus;
	if (owner && owner->rseq && owner->cid) {
		p.index = RT_INDEX_CID;
		ready = owner->nr_start < d->nr_cpus ? owner->nr_start : d->nr_cpus;
		p.nr_ready = ready;
	}
	memcpy(p.uuid, uuid, sizeof t->uuid);
	uint64_t need = rt_bufset_bytes(d->nr_cpus, ch->subbuf_size, ch->num_subbuf) -
			(uint64_t)(d->nr_cpus - ready) * ch->subbuf_size * ch->num_subbuf;
	if (reserve_buffer_memory(d, need, err, errlen) != 0)
		goto fail;
	/* bs.wake_fd stays -1: each app gets a wake-up socket of its own
	 * (app_link_trace), and our own flushes need not wake us. */
	if (rt_bufset_create(&p, &t->bs, err, errlen) != RT_OK)
		goto fail;
	t->buffer_bytes = need; /* what is populated, not the address space reserved */
	d->buffer_memory += t->buffer_bytes;
	t->nr_cpus = t->bs.nr_cpus;
	t->index = t->bs.index;
	t->nr_buffers = t->nr_cpus;
	t->mode = (enum rt_mode)t->bs.mode;
	/* Room for every buffer an mm_cid set may grow to. */
	t->cpu = calloc(t->bs.nr_max, sizeof *t->cpu);
	t->pub_cpu = calloc(t->bs.nr_max, sizeof *t->pub_cpu);
	if (!t->cpu || !t->pub_cpu) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	struct output_config cfg = {
		.session_output = s->chunk_dir[0] ? s->chunk_dir : s->output,
		.per_pid = owner != NULL,
		.uid = (uint32_t)d->uid,
		.pid = owner ? (int32_t)owner->pid : 0,
		.vpid = owner ? (int32_t)owner->vpid : 0,
		.procname = owner ? owner->procname : NULL,
		.session_name = s->name,
		.clock = s->clock,
		.uuid = uuid,
		.stream_id = ch->stream_id,
		.channel = ch->name,
		.share = sib ? sib->out : NULL,
		.contexts = t->contexts,
		.max_metadata = d->cfg.max_metadata,
		.direct_io = d->cfg.direct_io,
		.index_cid = t->index == RT_INDEX_CID,
		.relayd = s->relayd,
		.tracefile_size = s->snapshot ? 0 : ch->tracefile_size,
		.tracefile_count = ch->tracefile_count,
	};
	if ((s->snapshot ? output_snapshot_open : s->relayd ? output_relayd_open
			   : output_local_open)(&cfg, &t->bs, &t->out, err, errlen) != 0)
		goto fail;
	t->dir = strdup(t->out->dir);
	if (!t->dir) {
		snprintf(err, errlen, "out of memory");
		t->out->ops->close(t->out);
		goto fail;
	}
	if (drainers_add(d, t, s->state == S_ACTIVE) != 0) {
		snprintf(err, errlen, "out of memory");
		t->out->ops->close(t->out);
		goto fail;
	}
	t->mapped = 1;
	t->next = s->traces;
	s->traces = t;
	logm(LOG_INFO, "session %s: trace %s (%s buffers, %u %s)", s->name, t->dir,
	     t->mode == RT_MODE_LOCKED ? "locked" : "rseq", t->nr_cpus,
	     t->index == RT_INDEX_CID ? "by mm_cid" : "CPUs");
	return t;
fail:
	if (t->bs.hdr) {
		d->buffer_memory -= t->buffer_bytes;
		rt_bufset_unmap(&t->bs);
	}
	free(t->cpu);
	free(t->pub_cpu);
	pthread_mutex_destroy(&t->stats_lock);
	free(t);
	return NULL;
}

/* ---- statistics ----------------------------------------------------------------- */

void trace_refresh_stats(struct trace *t)
{
	if (!t->pub_cpu)
		return;
	struct cpu_stats sum = { 0 };
	char *error = NULL;
	pthread_mutex_lock(&t->stats_lock);
	for (uint32_t c = 0; c < t->nr_cpus; c++) {
		const struct cpu_stats *p = &t->pub_cpu[c];
		sum.packets += p->packets;
		sum.bytes += p->bytes;
		sum.events += p->events;
		sum.discarded += p->discarded;
		sum.pending_discarded += p->pending_discarded;
		sum.corrupt_packets += p->corrupt_packets;
		sum.unwritten_events += p->unwritten_events;
		sum.corrupt_events += p->corrupt_events;
		sum.late_events += p->late_events;
		sum.counter_resets += p->counter_resets;
		sum.overwritten_packets += p->overwritten_packets;
		sum.lost_full += p->lost_full;
		sum.lost_big += p->lost_big;
		sum.lost_abort += p->lost_abort;
		sum.lost_nobuf += p->lost_nobuf;
		sum.lost_invalid += p->lost_invalid;
		t->cpu[c] = *p;
		t->cpu[c].packets = p->subbufs;
		t->cpu[c].discarded = p->discarded + p->pending_discarded;
	}
	if (t->pub_error && !t->error)
		error = strdup(t->pub_error);
	pthread_mutex_unlock(&t->stats_lock);
	t->total = sum;
	if (error) {
		trace_set_error(t, "%s", error);
		free(error);
	}
}

/* Our own counts only (the shared lost counters are an application's to
 * scribble): nothing here moves unless we drained. Called by the CPU's
 * drain thread; the lock is held for copies only. */
void trace_publish_cpu(struct trace *t, uint32_t cpu)
{
	struct ctf_channel_stats st;
	struct rt_cpu_stats cs;
	struct ctf_losses l;
	t->out->ops->cpu_stats(t->out, cpu, &st);
	t->out->ops->cpu_losses(t->out, cpu, &l);
	rt_cpu_stats(&t->bs, cpu, &cs);
	struct cpu_stats p = {
		.packets = st.packets,
		.bytes = st.bytes,
		.events = st.events,
		.discarded = st.discarded,
		.pending_discarded = st.lost_unreported,
		.corrupt_packets = st.corrupt_packets,
		.unwritten_events = st.write_lost,
		.corrupt_events = st.corrupt_events,
		.late_events = st.late_events,
		.counter_resets = st.counter_resets,
		.overwritten_packets = st.overwritten_packets,
		.lost_full = l.full,
		.lost_big = l.big,
		.lost_abort = l.abort,
		.lost_nobuf = l.nobuf,
		.lost_invalid = l.invalid,
		.subbufs = cs.packets,
	};
	char *error = st.write_errors && st.last_error[0] ? strdup(st.last_error) : NULL;
	pthread_mutex_lock(&t->stats_lock);
	t->pub_cpu[cpu] = p;
	if (error && !t->pub_error) {
		t->pub_error = error;
		error = NULL;
	}
	pthread_mutex_unlock(&t->stats_lock);
	free(error);
}

int trace_grow(struct daemon *d, struct trace *t, uint32_t nr, char *why, size_t n)
{
	if (nr <= t->bs.nr_cpus)
		return 0;
	uint64_t more = (uint64_t)(nr - t->bs.nr_cpus) * t->bs.buf_size;
	if (reserve_buffer_memory(d, more, why, n) != 0)
		return -1;
	if (rt_bufset_grow(&t->bs, nr, why, n) != RT_OK)
		return -1;
	t->buffer_bytes += more;
	d->buffer_memory += more;
	t->nr_cpus = t->bs.nr_cpus;
	t->nr_buffers = t->nr_cpus;
	return 0;
}

/* ---- closing ---------------------------------------------------------------------- */

static void noop_free(void *p)
{
	(void)p;
}

static void free_events(struct trace *t)
{
	tdestroy(t->by_name, noop_free); /* the nodes' keys are t->events[] */
	t->by_name = NULL;
	for (uint32_t i = 0; t->events && i < t->nr_events; i++) {
		event_desc_free(&t->events[i]->desc);
		free(t->events[i]);
	}
	free(t->events);
	t->events = NULL;
	t->cap_events = 0; /* nr_events stays: list shows it */
}

void trace_close_buffers(struct daemon *d, struct trace *t)
{
	if (!t->mapped)
		return;
	/* Its apps' wake-ups no longer matter: their sockets go now (the
	 * sleeper closes them, at the latest when it closes the trace). */
	for (struct link *l = t->links; l; l = l->next) {
		drainers_wake_drop(l->wake);
		l->wake = NULL;
	}
	t->mapped = 0;
	t->closing = 1;
	/* Not in the trace and never will be if the trace was final: what
	 * came since stop is counted as late. */
	drainers_post(d, t, (t->final ? DR_SKIP : 0) | DR_CLOSE);
}

/* The drain threads closed t's output: nothing but us refers to it now. */
static void trace_closed(struct daemon *d, struct trace *t)
{
	trace_refresh_stats(t);
	if (t->total.late_events)
		logm(LOG_INFO, "trace %s: %llu events came after a stop and are not in the trace",
		     t->dir, (unsigned long long)t->total.late_events);
	t->closing = 0;
	t->flushing = 0; /* done before the close (drain.h: the order of work bits) */
	t->out = NULL;
	d->buffer_memory -= t->buffer_bytes;
	rt_bufset_unmap(&t->bs);
	free_events(t);
	free(t->cpu);
	t->cpu = NULL;
	free(t->pub_cpu);
	t->pub_cpu = NULL;
	t->nr_cpus = 0;
}

static void trace_free(struct trace *t)
{
	free_events(t);
	free(t->cpu);
	free(t->pub_cpu);
	free(t->pub_error);
	pthread_mutex_destroy(&t->stats_lock);
	free(t->dir);
	if (t->rot) {
		free(t->rot->dir);
		free(t->rot->arch_from);
		free(t->rot->arch_base);
		free(t->rot->arch_name);
		free(t->rot->arch_chunk);
		free(t->rot);
	}
	free(t->error);
	free(t);
}

void trace_destroy(struct daemon *d, struct trace *t)
{
	struct session *s = t->s;
	for (struct trace **pp = &s->traces; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	while (t->links) {
		struct link *l = t->links;
		t->links = l->next;
		if (l->sent_channel)
			app_unlink_channel(t, l);
		link_free(l);
	}
	trace_close_buffers(d, t);
	if (t->closing) {
		/* The drain threads still hold it: freed when closed. */
		t->s = NULL;
		t->ch = NULL;
		t->next = d->dying;
		d->dying = t;
		return;
	}
	trace_free(t);
}

void trace_reap(struct daemon *d, struct trace *t)
{
	trace_closed(d, t);
	if (t->s)
		return;
	for (struct trace **pp = &d->dying; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	trace_free(t);
}

/* ---- event ids ------------------------------------------------------------------- */

/*
 * The event table of a trace is indexed by name with glibc's tsearch (a
 * red-black tree, also in musl): O(log n) whatever names an application
 * picks, where a hash table with an unkeyed hash could be flooded with
 * colliding names, and no code of our own. The tree's keys are the
 * struct trace_event of t->events[], each allocated once, so they never move.
 */
static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct trace_event *)a)->desc.name,
		      ((const struct trace_event *)b)->desc.name);
}

static struct trace_event *event_named(struct trace *t, const char *name)
{
	struct trace_event key = { .desc.name = name };
	struct trace_event **found = tfind(&key, &t->by_name, by_name);
	return found ? *found : NULL;
}

static uint32_t refuse(struct trace *t)
{
	t->refused_events++;
	return REFUSED_ID;
}

/* The metadata cap is reached: said once per trace, in the log and list. */
static uint32_t metadata_full(struct trace *t, const struct app *a, const char *name)
{
	if (!t->metadata_full) {
		/* The cap as the user wrote it: 64 MiB, or 16 KiB. */
		int mib = !(t->max_metadata & ((1u << 20) - 1));
		unsigned long long cap = t->max_metadata >> (mib ? 20 : 10);
		const char *unit = mib ? "MiB" : "KiB";
		t->metadata_full = 1;
		logm(LOG_WARN, "session %s, trace %s: metadata cap of %llu %s reached with event %s "
			       "of %s[%d]: new event classes are not recorded (rseqtraced --max-metadata)",
		     t->s->name, t->dir, cap, unit, name, a->procname, (int)a->pid);
		session_warn(t->s, "    %s: the metadata reached its cap of %llu %s: events first "
				   "seen after that are not recorded (rseqtraced --max-metadata)\n",
			     t->dir, cap, unit);
	}
	return refuse(t);
}

static int grow_table(struct trace *t)
{
	if (t->nr_events < t->cap_events)
		return 0;
	uint32_t cap = t->cap_events ? t->cap_events * 2 : 16;
	struct trace_event **n = realloc(t->events, cap * sizeof *n);
	if (!n)
		return -1;
	t->events = n;
	t->cap_events = cap;
	return 0;
}

/*
 * The id of app event e in trace t: the id already given to an event of
 * that name, or a new id whose description is appended to the metadata
 * now, before any app is told the id (so no packet can precede it).
 */
uint32_t trace_event_id(struct trace *t, struct app *a, const struct event_desc *e)
{
	struct trace_event *te = event_named(t, e->name);
	if (te) {
		if (event_desc_same_layout(&te->desc, e))
			return te->id;
		logm(LOG_WARN, "session %s: %s[%d] describes event %s with another field layout "
			       "than an earlier process: not recorded from this process",
		     t->s->name, a->procname, (int)a->pid, e->name);
		session_warn(t->s, "    event %s from %s[%d]: field layout differs from "
				   "the one already in the trace; not recorded\n",
			     e->name, a->procname, (int)a->pid);
		return refuse(t);
	}
	if (!t->mapped)
		return NO_ID;
	if (t->nr_events >= CTF_MAX_EVENT_ID || t->metadata_full)
		return refuse(t);
	te = grow_table(t) == 0 ? calloc(1, sizeof *te) : NULL;
	char why[160];
	if (!te || event_desc_parse(e->wire, e->wire_len, &te->desc, why, sizeof why) != 0) {
		free(te);
		return NO_ID;
	}
	te->id = t->nr_events;
	int r = t->out->ops->add_event(t->out, te->id, te->desc.parsed);
	if (r == 0 && tsearch(te, &t->by_name, by_name)) {
		t->events[t->nr_events++] = te;
		return te->id;
	}
	event_desc_free(&te->desc);
	free(te);
	if (r == -EFBIG)
		return metadata_full(t, a, e->name);
	trace_set_error(t, "cannot add event %s to %s/metadata: %s", e->name, t->dir,
			strerror(r ? -r : ENOMEM));
	return r ? NO_ID : refuse(t); /* declared but not indexed: never again */
}
