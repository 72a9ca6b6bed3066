/* SPDX-License-Identifier: MIT */
/*
 * Traces: one buffer set, one CTF trace directory (ctf/), and the
 * event ids of that trace.
 *
 * The CTF writer drains closed sub-buffers into packets after checking
 * every record on a private copy, cuts bad packets, writes whole packets
 * only (a full disk truncates back to the last one) and accounts losses.
 * The ring buffer's reader keeps its positions in our memory, so what an
 * application scribbles on the consumer line is never read back. Around
 * that, this file keeps the daemon safe from applications that write the
 * writer's side:
 *  - a writer offset that is impossible (behind the reader, or more than a
 *    buffer ahead) marks the trace broken: it is reported and its buffers
 *    are read no more (the reader would skip through garbage);
 *  - ctf_channel_drain reads at most one buffer's worth per CPU and call,
 *    so an offset made impossible after that check cannot hold it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctf/ctf.h"
#include "consumerd/daemon.h"

#define CHANNEL_NAME "channel0"
#define STREAM_ID 0u

/* The protocol's context bits are the library's: apps hand them to
 * rt_channel_create and the CTF writer takes them as they are. */
_Static_assert(RT_CTX_VPID == RSEQTRACE_CTX_VPID && RT_CTX_VTID == RSEQTRACE_CTX_VTID &&
	       RT_CTX_PROCNAME == RSEQTRACE_CTX_PROCNAME && RT_CTX_IP == RSEQTRACE_CTX_IP &&
	       RT_CTX_ALL == RSEQTRACE_CTX_ALL, "context bits");

void trace_set_error(struct trace *t, const char *fmt, ...)
{
	if (t->error[0])
		return; /* the first error is the one that explains the others */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->error, sizeof t->error, fmt, ap);
	va_end(ap);
	logm(LOG_ERR, "session %s, trace %s: %s", t->s->name, t->dir, t->error);
}

struct trace *trace_for_app(struct session *s, struct app *a)
{
	for (struct trace *t = s->traces; t; t = t->next)
		for (struct link *l = t->links; l; l = l->next)
			if (l->app == a)
				return t;
	for (struct trace *t = s->traces; t; t = t->next)
		if (t->owner == a)
			return t;
	return NULL;
}

/* ---- creation ------------------------------------------------------------- */

/* The first directory of path that does not exist yet ("" if all do): what
 * to remove if creating the trace fails. */
static void first_missing(const char *path, char *out, size_t n)
{
	char p[RT_PATH_MAX];
	snprintf(p, sizeof p, "%s", path);
	out[0] = '\0';
	for (;;) {
		struct stat st;
		if (stat(p, &st) == 0)
			return;
		snprintf(out, n, "%s", p);
		char *slash = strrchr(p, '/');
		if (!slash || slash == p)
			return;
		*slash = '\0';
	}
}

/* Removes dir's metadata and the directories from dir up to top, if empty. */
static void remove_created(const char *dir, const char *top)
{
	if (!top[0] || !dir[0])
		return;
	char p[RT_PATH_MAX + 16];
	snprintf(p, sizeof p, "%s/metadata", dir);
	unlink(p);
	snprintf(p, sizeof p, "%s", dir);
	size_t tl = strlen(top);
	while (strlen(p) >= tl && strncmp(p, top, tl) == 0) {
		if (rmdir(p) != 0)
			return;
		char *slash = strrchr(p, '/');
		if (!slash)
			return;
		*slash = '\0';
	}
}

/* The wake-up socket (ringbuf.h): writers of every app signal bs.wake_fd,
 * which apps get with the memfd; our end is in the epoll set, tagged with
 * the trace's key (a trace gone by the time its event is read is simply
 * not found). */
static int wake_open(struct daemon *d, struct trace *t)
{
	if (rt_wake_pair(&t->wake_rx, &t->bs.wake_fd) != RT_OK)
		return -1;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_WAKE | t->key };
	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, t->wake_rx, &ev);
}

static void wake_close(struct daemon *d, struct trace *t)
{
	if (t->wake_rx < 0)
		return;
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, t->wake_rx, NULL);
	close(t->wake_rx);
	t->wake_rx = -1;
}

static void expected_dir(struct daemon *d, struct session *s, struct app *owner, char *out, size_t n)
{
	int w = owner ? snprintf(out, n, "%s/ust/pid", s->output)
		      : snprintf(out, n, "%s/ust/uid/%u/64-bit", s->output, (unsigned)d->uid);
	if (w < 0 || (size_t)w >= n)
		out[0] = '\0';
}

struct trace *trace_create(struct daemon *d, struct session *s, struct app *owner,
			   char *err, size_t errlen)
{
	struct trace *t = calloc(1, sizeof *t);
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->s = s;
	t->key = d->next_id++;
	t->owner = owner;
	t->per_pid = owner != NULL;
	t->contexts = s->contexts;
	t->bs.fd = -1;
	t->wake_rx = -1;
	if (owner) {
		t->owner_pid = owner->pid;
		snprintf(t->owner_name, sizeof t->owner_name, "%s", owner->procname);
	}
	uint8_t uuid[16];
	char created[RT_PATH_MAX], where[RT_PATH_MAX];
	expected_dir(d, s, owner, where, sizeof where);
	first_missing(where, created, sizeof created);
	if (getrandom(uuid, sizeof uuid, 0) != (ssize_t)sizeof uuid) {
		snprintf(err, errlen, "getrandom: %s", strerror(errno));
		goto fail;
	}
	uuid[6] = (uuid[6] & 0x0f) | 0x40; /* RFC 4122 version 4 */
	uuid[8] = (uuid[8] & 0x3f) | 0x80;

	struct rt_params p = {
		.subbuf_size = s->subbuf_size,
		.num_subbuf = s->num_subbuf,
		.mode = owner && !owner->rseq ? RT_MODE_LOCKED : RT_MODE_RSEQ,
		.clock = s->clock,
		.stream_id = STREAM_ID,
	};
	memcpy(p.uuid, uuid, sizeof uuid);
	if (rt_bufset_create(&p, &t->bs, err, errlen) != RT_OK)
		goto fail;
	if (wake_open(d, t) != 0) {
		snprintf(err, errlen, "cannot create the wake-up socket: %s", strerror(errno));
		goto fail;
	}
	t->nr_cpus = t->bs.nr_cpus;
	t->mode = (enum rt_mode)t->bs.mode;
	t->guard = calloc(t->nr_cpus, sizeof *t->guard);
	t->cpu = calloc(t->nr_cpus, sizeof *t->cpu);
	if (!t->guard || !t->cpu) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	struct ctf_trace_config cfg = {
		.output = s->output,
		.buffering = owner ? CTF_PER_PID : CTF_PER_UID,
		.uid = (uint32_t)d->uid,
		.pid = owner ? (int32_t)owner->pid : 0,
		.procname = owner ? owner->procname : NULL,
		.trace_name = s->name,
		.clock = s->clock,
		.uuid = uuid,
	};
	int r = ctf_trace_create(&cfg, &t->ct, err, errlen);
	if (r != 0)
		goto fail;
	snprintf(t->dir, sizeof t->dir, "%s", ctf_trace_dir(t->ct));
	r = ctf_trace_add_stream_class(t->ct, STREAM_ID, t->contexts);
	if (r != 0) {
		snprintf(err, errlen, "cannot write %s/metadata: %s", t->dir, strerror(-r));
		goto fail;
	}
	if (ctf_channel_open(t->ct, CHANNEL_NAME, STREAM_ID, &t->bs, &t->ch, err, errlen) != 0)
		goto fail;
	t->mapped = 1;
	t->next = s->traces;
	s->traces = t;
	logm(LOG_INFO, "session %s: trace %s (%s buffers, %u CPUs)", s->name, t->dir,
	     t->mode == RT_MODE_LOCKED ? "locked" : "rseq", t->nr_cpus);
	return t;
fail:
	wake_close(d, t);
	if (t->ct) {
		ctf_trace_close(t->ct);
		remove_created(t->dir, created);
	}
	if (t->bs.hdr)
		rt_bufset_unmap(&t->bs);
	free(t->guard);
	free(t->cpu);
	free(t);
	return NULL;
}

/* ---- statistics ----------------------------------------------------------------- */

static void refresh_stats(struct trace *t)
{
	if (!t->mapped)
		return;
	struct ctf_channel_stats st;
	ctf_channel_stats(t->ch, &st);
	t->total = (struct cpu_stats){
		.packets = st.packets,
		.bytes = st.bytes,
		.events = st.events,
		.discarded = st.discarded,
		.pending_discarded = st.lost_unreported,
		.corrupt_packets = st.corrupt_packets,
		.unwritten_events = st.write_lost,
	};
	for (uint32_t c = 0; c < t->nr_cpus; c++) {
		struct rt_cpu_stats cs;
		rt_cpu_stats(&t->bs, c, &cs);
		t->cpu[c].packets = cs.packets;
		t->cpu[c].events = ctf_channel_cpu_events(t->ch, c);
		t->cpu[c].discarded = cs.lost_full + cs.lost_big + cs.lost_abort;
	}
	if (st.write_errors && st.last_error[0])
		trace_set_error(t, "%s", st.last_error);
}

void trace_totals(const struct trace *t, struct cpu_stats *sum)
{
	*sum = t->total;
}

/* ---- guarding against impossible writer offsets ----------------------------------- */

static uint64_t reader_pos(const struct trace *t, uint32_t cpu)
{
	struct rt_cpu_stats cs;
	rt_cpu_stats(&t->bs, cpu, &cs);
	return cs.consumed; /* the reader's own copy once it has started */
}

/* Before a drain: no writer offset is impossible. 0 if the trace can be read. */
static int guard_before(struct trace *t)
{
	for (uint32_t c = 0; c < t->nr_cpus; c++) {
		struct cpu_guard *g = &t->guard[c];
		if (g->broken)
			return -1;
		uint64_t pos = reader_pos(t, c);
		uint64_t off = __atomic_load_n(&t->bs.ctl[c].w.offset, __ATOMIC_ACQUIRE);
		uint64_t closed = off & ~(t->bs.subbuf_size - 1);
		if (closed < pos || closed - pos > t->bs.buf_size) {
			g->broken = 1;
			trace_set_error(t, "the buffer of CPU %u was corrupted by an application (write "
					   "position %llu, read position %llu): no longer read", c,
					(unsigned long long)off, (unsigned long long)pos);
			return -1;
		}
	}
	return 0;
}

/* ---- draining and flushing -------------------------------------------------------- */

/* Returns the packets written (for the drain timer). */
int trace_drain(struct daemon *d, struct trace *t)
{
	(void)d;
	if (!t->mapped || guard_before(t) != 0)
		return 0;
	int r = ctf_channel_drain(t->ch);
	refresh_stats(t);
	return r > 0 ? r : 0;
}

/* Closes every CPU's partial packet (rt_flush pins us to each CPU in rseq
 * mode, which makes the close atomic against that CPU's writers of every
 * process), then drains. */
void trace_flush(struct daemon *d, struct trace *t)
{
	(void)d;
	if (!t->mapped || guard_before(t) != 0)
		return;
	/* A locked-mode CPU whose lock stays held (a stopped writer, a
	 * scribbled lock word) is skipped by rt_flush after a short wait and
	 * reported here; the others are flushed. */
	int r = ctf_channel_flush(t->ch);
	refresh_stats(t);
	if (r == -EAGAIN || r == -EIO) {
		struct ctf_channel_stats st;
		ctf_channel_stats(t->ch, &st);
		trace_set_error(t, "%s", st.last_error[0] ? st.last_error : "flush failed");
	}
}

void trace_close_buffers(struct daemon *d, struct trace *t)
{
	if (!t->mapped)
		return;
	wake_close(d, t);
	refresh_stats(t);
	ctf_channel_close(t->ch);
	int r = ctf_trace_close(t->ct);
	if (r != 0)
		trace_set_error(t, "trace %s: %s", t->dir, strerror(r < 0 ? -r : r));
	rt_bufset_unmap(&t->bs);
	t->ch = NULL;
	t->ct = NULL;
	t->mapped = 0;
}

static void send_del(struct daemon *d, struct trace *t, struct link *l)
{
	struct rt_msg_buf *b = malloc(sizeof *b);
	if (!b)
		return;
	rt_msg_init(b, RT_MSG_APP_CHANNEL_DEL, 0);
	struct rt_msg_app_key k = { .key = t->key };
	rt_msg_put(b, &k, sizeof k);
	app_send(d, l->app, b, -1);
	l->sent_channel = 0;
	free(b);
}

static void link_free(struct link *l)
{
	free(l->ids);
	free(l->enabled);
	free(l);
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
			send_del(d, t, l);
		link_free(l);
	}
	trace_close_buffers(d, t);
	for (uint32_t i = 0; i < t->nr_events; i++)
		event_desc_free(&t->events[i].desc);
	free(t->events);
	free(t->guard);
	free(t->cpu);
	free(t);
}

/* ---- apps and event ids ----------------------------------------------------------- */

static struct link *link_of(struct trace *t, struct app *a)
{
	for (struct link *l = t->links; l; l = l->next)
		if (l->app == a)
			return l;
	return NULL;
}

int trace_link_app(struct daemon *d, struct trace *t, struct app *a)
{
	if (link_of(t, a))
		return 0;
	struct link *l = calloc(1, sizeof *l);
	if (!l)
		return -1;
	l->app = a;
	l->next = t->links;
	t->links = l;
	struct rt_msg_buf *b = malloc(sizeof *b);
	if (!b)
		return -1;
	rt_msg_init(b, RT_MSG_APP_CHANNEL, 0);
	struct rt_msg_app_channel ch = {
		.key = t->key,
		.flags = (t->s->state == S_ACTIVE ? RT_CHAN_ACTIVE : 0) |
			 (t->per_pid ? RT_CHAN_PER_PID : 0),
		.contexts = t->contexts,
	};
	rt_msg_put(b, &ch, sizeof ch);
	int fds[2] = { t->bs.fd, t->bs.wake_fd };
	int r = app_send_fds(d, a, b, fds, 2);
	free(b);
	l->sent_channel = r == 0;
	return r;
}

void trace_unlink_app(struct trace *t, struct app *a)
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

/*
 * The id of app event e in trace t: the id already given to an event of
 * that name, or a new id whose description is appended to the metadata
 * now, before any app is told the id (so no packet can precede it).
 * NO_ID if the name is taken by a different layout, or the metadata could
 * not be written.
 */
static uint32_t event_id(struct trace *t, struct app *a, const struct event_desc *e)
{
	for (uint32_t i = 0; i < t->nr_events; i++) {
		struct trace_event *te = &t->events[i];
		if (strcmp(te->desc.name, e->name) != 0)
			continue;
		if (event_desc_same_layout(&te->desc, e))
			return te->id;
		logm(LOG_WARN, "session %s: %s[%d] describes event %s with another field layout "
			       "than an earlier process: not recorded from this process",
		     t->s->name, a->procname, (int)a->pid, e->name);
		text_add(&t->s->warnings, "    event %s from %s[%d]: field layout differs from "
					  "the one already in the trace; not recorded\n",
			 e->name, a->procname, (int)a->pid);
		return NO_ID;
	}
	if (!t->mapped || t->nr_events >= CTF_MAX_EVENT_ID)
		return NO_ID;
	if (t->nr_events == t->cap_events) {
		uint32_t cap = t->cap_events ? t->cap_events * 2 : 16;
		struct trace_event *n = realloc(t->events, cap * sizeof *n);
		if (!n)
			return NO_ID;
		t->events = n;
		t->cap_events = cap;
	}
	struct trace_event *te = &t->events[t->nr_events];
	char why[160];
	if (event_desc_parse(e->wire, e->wire_len, &te->desc, why, sizeof why) != 0)
		return NO_ID;
	te->id = t->nr_events;
	int r = ctf_trace_add_event(t->ct, STREAM_ID, te->id, te->desc.parsed);
	if (r != 0) {
		trace_set_error(t, "cannot add event %s to %s/metadata: %s", e->name, t->dir,
				strerror(-r));
		event_desc_free(&te->desc);
		return NO_ID;
	}
	t->nr_events++;
	return te->id;
}

static int grow_link(struct link *l, uint32_t n)
{
	if (l->nr >= n)
		return 0;
	uint32_t *ids = realloc(l->ids, n * sizeof *ids);
	if (!ids)
		return -1;
	l->ids = ids;
	uint8_t *en = realloc(l->enabled, n);
	if (!en)
		return -1;
	l->enabled = en;
	for (uint32_t i = l->nr; i < n; i++) {
		l->ids[i] = NO_ID;
		l->enabled[i] = 0;
	}
	l->nr = n;
	return 0;
}

/* Brings the app's enable flags for this trace in line with the rules. */
int trace_update_app(struct daemon *d, struct trace *t, struct app *a)
{
	struct link *l = link_of(t, a);
	if (!l || !l->sent_channel || grow_link(l, a->nr_events) != 0)
		return -1;
	struct rt_msg_buf *b = malloc(sizeof *b);
	if (!b)
		return -1;
	struct rt_msg_app_enable hdr = { .key = t->key };
	int r = 0;
	for (uint32_t i = 0; i <= a->nr_events && r == 0; i++) {
		int flush = i == a->nr_events || hdr.count == RT_ENABLE_MAX;
		if (flush && hdr.count) {
			memcpy(b->payload, &hdr, sizeof hdr);
			r = app_send(d, a, b, -1);
			hdr.count = 0;
		}
		if (i == a->nr_events)
			break;
		int want = rules_enabled(t->s, &a->events[i]);
		if (want && l->ids[i] == NO_ID)
			l->ids[i] = event_id(t, a, &a->events[i]);
		if (l->ids[i] == NO_ID)
			want = 0;
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

/*
 * The drain timer: adaptive between drain_min_ms and drain_max_ms. A pass
 * that finds half of a CPU's buffer ready goes straight to the shortest
 * period; one that finds some packets to at most 10 ms; one that finds
 * none doubles the period. A quiet session costs one wakeup per
 * drain_max_ms; a writer that speeds up is caught within one period.
 */
#define BUSY_MS 10
void drain_all(struct daemon *d)
{
	int any = 0, half = 0;
	for (struct session *s = d->sessions; s; s = s->next) {
		if (s->state != S_ACTIVE)
			continue;
		for (struct trace *t = s->traces; t; t = t->next) {
			int got = trace_drain(d, t);
			any |= got > 0;
			/* Packets of this pass against half of one CPU's buffer. */
			if (t->mapped && (uint64_t)got * 2 * t->bs.subbuf_size >= t->bs.buf_size)
				half = 1;
		}
	}
	d->drain_passes++;
	int ms = d->drain_ms;
	if (half)
		ms = d->cfg.drain_min_ms;
	else if (any)
		ms = ms < BUSY_MS ? ms : BUSY_MS;
	else
		ms *= 2;
	if (ms < d->cfg.drain_min_ms)
		ms = d->cfg.drain_min_ms;
	if (ms > d->cfg.drain_max_ms)
		ms = d->cfg.drain_max_ms;
	d->drain_ms = ms;
}

/* ---- wake-ups ---------------------------------------------------------------------- */

static int trace_readable(const struct trace *t)
{
	if (!t->mapped || t->wake_rx < 0)
		return 0;
	for (uint32_t c = 0; c < t->nr_cpus; c++)
		if (t->guard[c].broken)
			return 0;
	return 1;
}

/*
 * Before the event loop sleeps: asks the writers of every started trace to
 * wake us once half a buffer is ready on a CPU (ringbuf.h, invariant I5).
 * Returns 1 if a trace has that much ready already: then the loop must not
 * sleep, and drain_woken() drains it.
 */
int traces_sleep(struct daemon *d)
{
	int ready = 0;
	if (d->cfg.no_wakeup)
		return 0;
	for (struct session *s = d->sessions; s; s = s->next) {
		if (s->state != S_ACTIVE)
			continue;
		for (struct trace *t = s->traces; t; t = t->next) {
			if (!trace_readable(t))
				continue;
			if (rt_reader_sleep(&t->bs)) {
				t->woken = 1;
				ready = 1;
			} else {
				t->armed = 1;
			}
		}
	}
	return ready;
}

/* After the sleep, whatever ended it: writers stop signalling. */
void traces_awake(struct daemon *d)
{
	for (struct session *s = d->sessions; s; s = s->next)
		for (struct trace *t = s->traces; t; t = t->next)
			if (t->armed) {
				if (t->mapped)
					rt_reader_awake(&t->bs);
				t->armed = 0;
			}
}

/* Trace `key`'s wake-up socket is readable: a writer woke us (or an app
 * sent something of its own accord: that costs it a drain pass, nothing
 * else). */
void trace_woken(struct daemon *d, uint64_t key)
{
	for (struct session *s = d->sessions; s; s = s->next)
		for (struct trace *t = s->traces; t; t = t->next)
			if (t->key == key && t->wake_rx >= 0) {
				rt_wake_clear(t->wake_rx);
				t->woken = s->state == S_ACTIVE;
				d->writer_wakeups++;
				return;
			}
}

void drain_woken(struct daemon *d)
{
	for (struct session *s = d->sessions; s; s = s->next)
		for (struct trace *t = s->traces; t; t = t->next)
			if (t->woken) {
				t->woken = 0;
				if (s->state == S_ACTIVE)
					trace_drain(d, t);
			}
}
