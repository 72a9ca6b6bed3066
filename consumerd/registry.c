/* SPDX-License-Identifier: MIT */
/* The per-app registry (registry.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "consumerd/daemon.h"
#include "consumerd/drain.h"
#include "consumerd/log.h"
#include "consumerd/registry.h"
#include "consumerd/session.h"
#include "consumerd/trace.h"
#include "consumerd/transport.h"
#include "eventdesc/desc_wire.h"
#include "protocol/codec.h"

/* ---- event descriptions ------------------------------------------------- */

/* Validated by the desc_wire parser before anything else looks at them. */
int event_desc_parse(const void *wire, uint32_t len, struct event_desc *out,
		     char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	struct rt_desc *d = rt_desc_parse(wire, len, err, errlen);
	if (!d)
		return -1;
	if (d->loglevel < RT_LOGLEVEL_MIN || d->loglevel > RT_LOGLEVEL_MAX) {
		snprintf(err, errlen, "loglevel %d out of range", (int)d->loglevel);
		rt_desc_free(d);
		return -1;
	}
	out->wire = malloc(len);
	if (!out->wire) {
		snprintf(err, errlen, "out of memory");
		rt_desc_free(d);
		return -1;
	}
	memcpy(out->wire, wire, len);
	out->wire_len = len;
	out->parsed = d;
	out->name = d->name;
	out->loglevel = d->loglevel;
	return 0;
}

void event_desc_free(struct event_desc *e)
{
	if (e->parsed)
		rt_desc_free(e->parsed);
	free(e->wire);
	memset(e, 0, sizeof *e);
}

int event_desc_same_layout(const struct event_desc *a, const struct event_desc *b)
{
	return rt_desc_same_layout(a->parsed, b->parsed);
}

/* ---- apps --------------------------------------------------------------- */

/* Sends b (and fds) to the app, or queues it while its socket is full (a
 * burst of enables can outgrow the socket buffer of a listener that reads
 * slowly); an app that does not read for peer_timeout_ms is dropped
 * (transport.c), as is one the daemon cannot send to. */
int app_send_fds(struct app *a, struct rt_msg_buf *b, const int *fds, uint32_t nfds)
{
	if (!a->conn || a->conn->closing)
		return -1;
	int r = send_record(a->conn, b, fds, nfds);
	if (r != 0) {
		logm(LOG_WARN, "pid %d (%s): cannot send (%s): dropping the application",
		     (int)a->pid, a->procname, strerror(-r));
		a->conn->closing = 1;
		return -1;
	}
	a->dirty = 1;
	return 0;
}

int app_send(struct app *a, struct rt_msg_buf *b, int fd)
{
	return app_send_fds(a, b, &fd, fd >= 0 ? 1 : 0);
}

struct app *app_by_id(struct daemon *d, uint64_t id)
{
	for (struct conn *c = d->conns; c; c = c->next)
		if (c->app && c->app->id == id)
			return c->app;
	return NULL;
}

uint64_t app_sync(struct daemon *d, struct app *a)
{
	struct rt_msg_buf *b = malloc(sizeof *b);
	if (!b)
		return 0;
	uint64_t seq = d->next_sync++;
	rt_msg_init(b, RT_MSG_APP_SYNC, seq);
	int r = app_send(a, b, -1);
	free(b);
	if (r != 0)
		return 0;
	a->sync_sent = seq;
	a->dirty = 0;
	return seq;
}

static void clean_procname(char *dst, const char *src)
{
	size_t i = 0;
	for (; src[i] && i < RT_PROCNAME_MAX - 1; i++) {
		unsigned char ch = (unsigned char)src[i];
		/* It ends up in file names and in the metadata's strings. */
		dst[i] = ch > ' ' && ch < 127 && ch != '/' && ch != '"' && ch != '\\' ? (char)ch : '_';
	}
	dst[i] = '\0';
	if (!i)
		snprintf(dst, RT_PROCNAME_MAX, "unknown");
}

/*
 * An app in a time namespace reads CLOCK_MONOTONIC with that namespace's
 * offset; its records carry those timestamps. The kernel says which
 * (/proc/PID/timens_offsets, Linux 5.6+: "monotonic SECONDS NANOSECONDS",
 * or the clock's number, 1). 0 when the file is absent (no time
 * namespaces) or unreadable (logged: the app is traced as if in ours).
 */
static int64_t mono_offset_of(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/timens_offsets", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f) {
		if (errno != ENOENT || access("/proc/self/timens_offsets", F_OK) == 0)
			logm(LOG_WARN, "pid %d: cannot read %s (%s): its time namespace is not "
				       "checked", (int)pid, path, strerror(errno));
		return 0;
	}
	char name[32];
	long long sec, nsec;
	int64_t off = 0;
	while (fscanf(f, "%31s %lld %lld", name, &sec, &nsec) == 3)
		if (!strcmp(name, "monotonic") || !strcmp(name, "1"))
			off = (int64_t)sec * 1000000000 + (int64_t)nsec;
	fclose(f);
	return off;
}

static int on_register(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	const struct rt_msg_app_register *r = m->body;
	if (c->app)
		return -1;
	struct app *a = calloc(1, sizeof *a);
	if (!a)
		return -1;
	a->conn = c;
	a->id = d->next_id++;
	a->pid = c->pid; /* the kernel's word, not the app's */
	a->uid = c->uid;
	a->gid = c->gid;
	a->vpid = (pid_t)r->vpid;
	a->ppid = (pid_t)r->ppid;
	a->rseq = (r->flags & RT_APP_RSEQ) != 0;
	a->cid = (r->flags & RT_APP_CID) != 0; /* decoded: only with RT_APP_RSEQ */
	a->nr_start = r->nr_start;          /* decoded: 1..RT_MAX_INDEX */
	clean_procname(a->procname, r->procname);
	a->mono_offset_ns = mono_offset_of(a->pid);
	c->app = a;
	logm(LOG_INFO, "application %s[%d] registered (%s)", a->procname, (int)a->pid,
	     !a->rseq ? "no rseq: locked-mode per-PID buffers" :
	     a->cid ? "rseq, mm_cid" : "rseq");
	return 0;
}

static int grow_events(struct app *a, uint32_t n)
{
	if (n <= a->cap_events)
		return 0;
	uint32_t cap = a->cap_events ? a->cap_events : 64;
	while (cap < n)
		cap *= 2;
	struct event_desc *ev = realloc(a->events, (size_t)cap * sizeof *ev);
	if (!ev)
		return -1;
	a->events = ev;
	a->cap_events = cap;
	return 0;
}

/* Descriptions past the cap are counted, not kept: the app is told at its
 * next APP_READY, and the daemon logs it once per app. */
static void refuse_events(struct daemon *d, struct app *a, uint32_t n)
{
	if (!a->refused_events)
		logm(LOG_WARN, "%s[%d] describes more than %u events: the others are refused and "
			       "not traced (rseqtraced --max-app-events)",
		     a->procname, (int)a->pid, d->cfg.max_app_events);
	a->refused_events += n;
}

static int on_events(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	const struct rt_msg_app_events *e = m->body;
	struct app *a = c->app;
	if (!a || e->first != a->nr_events + a->refused_events) {
		logm(LOG_WARN, "pid %d: event descriptions out of order", (int)c->pid);
		return -1;
	}
	uint32_t room = d->cfg.max_app_events - a->nr_events;
	uint32_t keep = a->refused_events ? 0 : e->count < room ? e->count : room;
	if (grow_events(a, a->nr_events + keep) != 0)
		return -1;
	uint32_t off = 0;
	for (uint32_t i = 0; i < keep; i++) {
		struct rt_msg_desc_len dl;
		memcpy(&dl, m->var + off, sizeof dl);
		off += sizeof dl;
		char why[160];
		if (event_desc_parse(m->var + off, dl.len, &a->events[a->nr_events], why,
				     sizeof why) != 0) {
			logm(LOG_WARN, "pid %d: invalid event description #%u (%s): connection closed",
			     (int)c->pid, a->nr_events, why);
			return -1;
		}
		a->nr_events++;
		off += rt_pad8(dl.len);
	}
	if (keep < e->count)
		refuse_events(d, a, e->count - keep);
	return 0; /* enabled at the next APP_READY_REQ, in as few records as can be */
}

static void untraced(struct session *s, const struct app *a, const char *why)
{
	logm(LOG_WARN, "session %s: %s[%d] not traced: %s", s->name, a->procname, (int)a->pid,
	     why);
	s->untraced++;
	session_warn(s, "    %s[%d] not traced: %s\n", a->procname, (int)a->pid, why);
}

/* The trace app's events of channel ch go to in session s, created if
 * needed: the shared one for rseq apps of a per-UID session, else one of
 * its own.
 * None for an app whose monotonic clock is not ours: its timestamps would
 * sit at the wrong time in its own trace, and in a shared buffer they
 * would break the order every other writer's records are checked by. */
static struct trace *trace_of(struct daemon *d, struct session *s, struct channel *ch,
			      struct app *a)
{
	struct trace *t = trace_for_app(s, ch, a);
	if (t)
		return t;
	if (s->clock == RT_CLOCK_MONOTONIC && a->mono_offset_ns) {
		char why[192];
		snprintf(why, sizeof why, "it runs in a time namespace whose CLOCK_MONOTONIC is "
					  "%+.3f s off the daemon's (a session with --clock tsc "
					  "traces it)", (double)a->mono_offset_ns / 1e9);
		untraced(s, a, why);
		return NULL;
	}
	if (s->buffers == RT_BUFFERS_UID && a->rseq) {
		for (t = s->traces; t; t = t->next)
			if (!t->per_pid && t->ch == ch)
				return t;
		return NULL;
	}
	char why[RT_PATH_MAX + 128];
	t = trace_create(d, s, ch, a, why, sizeof why);
	if (!t)
		untraced(s, a, why);
	return t;
}

void app_attach_session(struct daemon *d, struct session *s, struct app *a)
{
	if (!s->started_once)
		return; /* its traces are made at the first start */
	for (struct channel *ch = s->channels; ch; ch = ch->next) {
		struct trace *t = trace_of(d, s, ch, a);
		if (!t)
			return; /* not traced (said once): nor in its other channels */
		if (t->mapped && app_link_trace(d, t, a) == 0)
			app_update_trace(t, a, 0);
	}
}

void app_attach_sessions(struct daemon *d, struct app *a)
{
	for (struct session *s = d->sessions; s; s = s->next)
		app_attach_session(d, s, a);
}

/* The first APP_READY_REQ ends registration; later ones are sync points
 * after APP_EVENTS (a dlopen): by the time APP_READY is sent, every
 * APP_ENABLE for those events is, too. The events are enabled here, not
 * as each APP_EVENTS arrives: the app sends them without reading (one
 * record per event), so answering each would fill its socket, and a full
 * socket drops the app. */
static int on_ready_req(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	struct app *a = c->app;
	if (!a)
		return -1;
	if (!a->ready) {
		a->ready = 1;
		app_attach_sessions(d, a);
	} else {
		for (struct session *s = d->sessions; s; s = s->next)
			for (struct trace *t = s->traces; t; t = t->next)
				if (t->mapped)
					app_update_trace(t, a, a->updated);
	}
	a->updated = a->nr_events;
	struct rt_msg_buf *b = malloc(sizeof *b);
	if (!b)
		return -1;
	rt_msg_init(b, RT_MSG_APP_READY, m->hdr.seq);
	struct rt_msg_app_ready r = { 0 };
	if (a->refused_events) {
		r.status = -E2BIG;
		r.events_max = d->cfg.max_app_events;
	}
	rt_msg_put(b, &r, sizeof r);
	app_send(a, b, -1);
	free(b);
	a->dirty = 0; /* READY answers a request: everything before it is applied */
	return 0;
}

static int on_sync_ack(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	struct app *a = c->app;
	if (!a || m->hdr.seq <= a->acked || m->hdr.seq > a->sync_sent)
		return -1; /* an ack for nothing we asked */
	a->acked = m->hdr.seq;
	ops_check(d, 0);
	return 0;
}

/*
 * APP_GROW: a thread of the app has an mm_cid its per-PID set has no
 * buffer for yet. The key must name an mm_cid set this app owns and the
 * count stay within the set's header (rt_bufset_grow checks it again);
 * anything else closes the connection, as any bad message does. Past the
 * memory cap the answer keeps the count: the app keeps counting those
 * events as lost (lost_nobuf) and does not ask again for that count.
 */
static int on_grow(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	const struct rt_msg_app_key *k = m->body;
	struct app *a = c->app;
	struct trace *t = NULL;
	for (struct session *s = d->sessions; s && !t; s = s->next)
		for (t = s->traces; t; t = t->next)
			if (t->key == k->key)
				break;
	if (!t || t->owner != a || !t->mapped || t->bs.index != RT_INDEX_CID) {
		logm(LOG_WARN, "%s[%d] asked to grow channel %llu, not an mm_cid channel of its own: "
			       "connection closed", a->procname, (int)a->pid, (unsigned long long)k->key);
		return -1;
	}
	if (k->value > t->bs.nr_max) {
		logm(LOG_WARN, "%s[%d] asked for %u buffers, its set has %u: connection closed",
		     a->procname, (int)a->pid, k->value, t->bs.nr_max);
		return -1;
	}
	char why[256];
	if (trace_grow(d, t, k->value, why, sizeof why) != 0 && k->value > t->grow_refused) {
		t->grow_refused = k->value; /* said once per count asked for */
		logm(LOG_WARN, "%s[%d]: %s", a->procname, (int)a->pid, why);
	}
	struct rt_msg_buf *b = malloc(sizeof *b);
	if (!b)
		return -1;
	rt_msg_init(b, RT_MSG_APP_GROWN, 0);
	struct rt_msg_app_key ans = { .key = t->key, .value = t->bs.nr_cpus };
	rt_msg_put(b, &ans, sizeof ans);
	int r = app_send(a, b, -1);
	free(b);
	return r;
}

int app_dispatch(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	if (m->hdr.type != RT_MSG_APP_REGISTER && !c->app)
		return -1;
	switch (m->hdr.type) {
	case RT_MSG_APP_REGISTER: return on_register(d, c, m);
	case RT_MSG_APP_EVENTS: return on_events(d, c, m);
	case RT_MSG_APP_READY_REQ: return on_ready_req(d, c, m);
	case RT_MSG_APP_SYNC_ACK: return on_sync_ack(d, c, m);
	case RT_MSG_APP_GROW: return on_grow(d, c, m);
	}
	return -1;
}

/* The app is gone (exit, kill -9, or dropped): everything it committed is
 * in the buffers; its own buffers are flushed, drained and released. */
void app_gone(struct daemon *d, struct app *a)
{
	logm(LOG_INFO, "application %s[%d] unregistered", a->procname, (int)a->pid);
	for (struct session *s = d->sessions; s; s = s->next) {
		for (struct trace *t = s->traces; t; t = t->next) {
			app_unlink_trace(t, a);
			if (t->owner != a)
				continue;
			t->owner = NULL;
			trace_flush(d, t);
			trace_close_buffers(d, t);
		}
	}
	for (uint32_t i = 0; i < a->nr_events; i++)
		event_desc_free(&a->events[i]);
	free(a->events);
	free(a);
}

/* ---- app x trace links and event ids -------------------------------------- */

void app_unlink_channel(struct trace *t, struct link *l)
{
	struct rt_msg_buf *b = malloc(sizeof *b);
	if (!b)
		return;
	rt_msg_init(b, RT_MSG_APP_CHANNEL_DEL, 0);
	struct rt_msg_app_key k = { .key = t->key };
	rt_msg_put(b, &k, sizeof k);
	app_send(l->app, b, -1);
	l->sent_channel = 0;
	free(b);
}

void link_free(struct link *l)
{
	drainers_wake_drop(l->wake); /* the drain thread closes it */
	for (uint32_t i = 0; l->filt && i < l->nr; i++)
		free(l->filt[i]);
	free(l->filt);
	free(l->filt_len);
	free(l->ids);
	free(l->enabled);
	free(l);
}

static struct link *link_of(struct trace *t, struct app *a)
{
	for (struct link *l = t->links; l; l = l->next)
		if (l->app == a)
			return l;
	return NULL;
}

int app_link_trace(struct daemon *d, struct trace *t, struct app *a)
{
	if (link_of(t, a))
		return 0;
	struct link *l = calloc(1, sizeof *l);
	if (!l)
		return -1;
	l->app = a;
	l->next = t->links;
	t->links = l;
	/* A wake-up socket per app and trace: what one app sends on it (a
	 * flood) wakes us for this link only, rate-limited (drain.c), and
	 * never delays another app's wake-up. */
	int wake_rx = -1, wake_tx = -1;
	if (!t->mapped || rt_wake_pair(&wake_rx, &wake_tx) != RT_OK)
		return -1;
	/* To the trace's sleeper thread, which waits on it itself. */
	l->wake = drainers_wake_add(d, t, wake_rx);
	struct rt_msg_buf *b = malloc(sizeof *b);
	if (!b || !l->wake) {
		free(b);
		close(wake_tx);
		return -1;
	}
	rt_msg_init(b, RT_MSG_APP_CHANNEL, 0);
	struct rt_msg_app_channel ch = {
		.key = t->key,
		.flags = (t->s->state == S_ACTIVE ? RT_CHAN_ACTIVE : 0) |
			 (t->per_pid ? RT_CHAN_PER_PID : 0),
		.contexts = t->contexts,
		.blocking_us = t->ch->blocking_us,
		.nr_ready = t->bs.nr_cpus,
	};
	rt_msg_put(b, &ch, sizeof ch);
	int fds[2] = { t->bs.fd, wake_tx };
	int r = app_send_fds(a, b, fds, 2);
	close(wake_tx);
	free(b);
	l->sent_channel = r == 0;
	return r;
}

void app_unlink_trace(struct trace *t, struct app *a)
{
	for (struct link **pp = &t->links; *pp; pp = &(*pp)->next) {
		if ((*pp)->app == a) {
			struct link *l = *pp;
			*pp = l->next;
			link_free(l);
			return;
		}
	}
}

static int grow_link(struct link *l, uint32_t n)
{
	if (l->nr >= n)
		return 0;
	if (n > l->cap) {
		uint32_t cap = l->cap ? l->cap : 64;
		while (cap < n)
			cap *= 2;
		uint32_t *ids = realloc(l->ids, cap * sizeof *ids);
		if (!ids)
			return -1;
		l->ids = ids;
		uint8_t *en = realloc(l->enabled, cap);
		if (!en)
			return -1;
		l->enabled = en;
		uint8_t **fl = realloc(l->filt, cap * sizeof *fl);
		if (!fl)
			return -1;
		l->filt = fl;
		uint32_t *fll = realloc(l->filt_len, cap * sizeof *fll);
		if (!fll)
			return -1;
		l->filt_len = fll;
		l->cap = cap;
	}
	for (uint32_t i = l->nr; i < n; i++) {
		l->ids[i] = NO_ID;
		l->enabled[i] = 0;
		l->filt[i] = NULL;
		l->filt_len[i] = 0;
	}
	l->nr = n;
	return 0;
}

/* APP_FILTER for event i of a in t, if its filter differs from the one
 * last sent. Takes nothing; 0 or -1 (not sent: the event stays off). */
static int send_filter(struct trace *t, struct app *a, struct link *l, uint32_t i,
		       const uint8_t *var, uint32_t len, uint32_t n)
{
	if (len == l->filt_len[i] && (!len || memcmp(var, l->filt[i], len) == 0))
		return 0;
	struct rt_msg_buf *b = malloc(sizeof *b);
	uint8_t *copy = len ? malloc(len) : NULL;
	if (!b || (len && !copy)) {
		free(b);
		free(copy);
		return -1;
	}
	rt_msg_init(b, RT_MSG_APP_FILTER, 0);
	struct rt_msg_app_filter fm = { .key = t->key, .index = i, .count = n };
	rt_msg_put(b, &fm, sizeof fm);
	int r = rt_msg_put(b, var, len);
	if (r == 0)
		r = app_send(a, b, -1);
	free(b);
	if (r != 0) {
		free(copy);
		return -1;
	}
	if (len)
		memcpy(copy, var, len);
	free(l->filt[i]);
	l->filt[i] = copy;
	l->filt_len[i] = len;
	return 0;
}

int app_update_trace(struct trace *t, struct app *a, uint32_t from)
{
	struct link *l = link_of(t, a);
	if (!l || !l->sent_channel || grow_link(l, a->nr_events) != 0)
		return -1;
	struct rt_msg_buf *b = malloc(sizeof *b);
	if (!b)
		return -1;
	struct rt_msg_app_enable hdr = { .key = t->key };
	int r = 0;
	for (uint32_t i = from; i <= a->nr_events && r == 0; i++) {
		int flush = i == a->nr_events || hdr.count == RT_ENABLE_MAX;
		if (flush && hdr.count) {
			memcpy(b->payload, &hdr, sizeof hdr);
			r = app_send(a, b, -1);
			hdr.count = 0;
		}
		if (i == a->nr_events)
			break;
		uint8_t *fv = NULL;
		uint32_t fv_len = 0, nprog = 0;
		int want = session_tracks(t->s, a) &&
			   rules_filter(t->s, t->ch, &a->events[i], &fv, &fv_len, &nprog);
		if (want && l->ids[i] == NO_ID)
			l->ids[i] = trace_event_id(t, a, &a->events[i]);
		if (l->ids[i] == NO_ID || l->ids[i] == REFUSED_ID)
			want = 0;
		/* The filter goes first: the event is never on unfiltered. */
		if (want && send_filter(t, a, l, i, fv, fv_len, nprog) != 0)
			want = 0;
		free(fv);
		if (want == l->enabled[i])
			continue;
		if (hdr.count == 0) {
			rt_msg_init(b, RT_MSG_APP_ENABLE, 0);
			rt_msg_put(b, &hdr, sizeof hdr);
		}
		struct rt_msg_enable_entry en = {
			.index = i, .id = l->ids[i], .enabled = (uint32_t)want,
		};
		rt_msg_put(b, &en, sizeof en);
		l->enabled[i] = (uint8_t)want;
		hdr.count++;
	}
	free(b);
	return r;
}
