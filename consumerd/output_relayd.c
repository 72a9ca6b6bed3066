/* SPDX-License-Identifier: MIT */
/*
 * Network output (output.h): a trace streamed to an unmodified
 * lttng-relayd (net/relayd.h) instead of written to files. The CTF writer
 * (ctf/) builds and checks packets exactly as for files; its sink here
 * sends each one on the data connection with its index (ctf/index.h) on
 * the control connection, and the metadata as TSDL packets, so that it can
 * grow during a live session.
 *
 * A session's traces share one link (one control and one data connection,
 * one relayd session). No network I/O happens on the daemon's control
 * thread: the link is made by the first drain thread that needs it, with
 * a timeout, and a trace adds its streams (all of them, then STREAMS_SENT)
 * and its metadata the first time it drains on a new link. While the link
 * is down, drains take nothing out of the buffers (writers count what no
 * longer fits, as with a stalled disk); a packet taken when the link broke
 * is counted as unwritten. A link that failed is made again once
 * relayd_link_retry() allows it (at the session's next start): a new relayd
 * session, whose streams begin with the next packet.
 *
 * Live (live_us > 0): every stream gets an empty packet first (a viewer
 * waits for every stream), and a stream that sent nothing for live_us
 * drains what is committed in its open sub-buffer, or, if there is
 * nothing, sends a beacon: an index with no packet that says "nothing
 * until now", so the viewer's muxer does not wait on a quiet CPU.
 *
 * Locks: link->io (held during network I/O, by drain threads only) orders
 * everything on the connections; link->st (never held during I/O) guards
 * the state `list` shows.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consumerd/log.h"
#include "consumerd/output.h"
#include "net/relayd.h"

#define CONNECT_TIMEOUT_MS 3000
#define METADATA_PACKET_MAX 65536  /* TSDL bytes per metadata packet */
#define METADATA_MAGIC 0x75D11D57u
#define METADATA_HEADER_LEN 37u

struct relayd_link {
	pthread_mutex_t io;
	struct relayd_conn conn;      /* under io */
	uint64_t gen;                 /* relayd sessions made; under io */
	int refs;                     /* under st */
	pthread_mutex_t st;
	int up;                       /* under st */
	int may_connect;              /* under st: a (re)connection is allowed */
	int new_protocol;             /* under io: use the 2.11 layouts (relayd.h) */
	char why[200];                /* under st: why it is down */
	struct relayd_link_config cfg;
};

struct net_stream {
	uint64_t handle;
	uint64_t next_seq;            /* net_seq_num of the next packet */
	uint64_t last_send_ns;        /* CLOCK_MONOTONIC of its last packet or beacon */
	int need_first;               /* live: an empty packet before anything */
};

/* A trace directory on the relayd: its metadata stream, shared by the
 * outputs of its channels (as output_local.c's), freed by the last. */
struct net_trace {
	int refs;                     /* under link->io */
	struct relayd_link *link;
	struct ctf_trace *ct;
	struct ctf_sink sink;
	char base[512];               /* host/session-date: the session's directory */
	char path[1024];              /* the trace's path below it (ust/uid/0/64-bit) */
	uint64_t gen;                 /* the link's gen its metadata stream was added in */
	uint64_t meta_handle;
	char *meta;                   /* all metadata so far, resent on a new link */
	size_t meta_len, meta_cap, meta_sent;
	uint8_t uuid[16];
	struct output_relayd *chans;  /* its channels' outputs, under link->io */
};

/* One channel's streams in a net_trace. */
struct output_relayd {
	struct output o;
	struct net_trace *nt;
	struct relayd_link *link;     /* nt->link */
	struct ctf_channel *ch;
	struct rt_bufset *bs;
	uint32_t stream_id;
	char channel[64];
	uint64_t gen;                 /* the link's gen its streams were added in; 0: none */
	uint32_t nr;                  /* streams: bs->nr_max */
	struct net_stream *st;
	struct output_relayd *next;   /* in nt->chans */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the link ------------------------------------------------------------------------- */

struct relayd_link *relayd_link_new(const struct relayd_link_config *cfg)
{
	struct relayd_link *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	pthread_mutex_init(&l->io, NULL);
	pthread_mutex_init(&l->st, NULL);
	l->conn.ctrl = l->conn.data = -1;
	l->refs = 1;
	l->may_connect = 1;
	l->cfg = *cfg;
	/* RSEQTRACE_RELAYD_PROTOCOL=2.11: the 2.11 path from the start (tests) */
	const char *proto = getenv("RSEQTRACE_RELAYD_PROTOCOL");
	l->new_protocol = proto && strcmp(proto, "2.11") == 0;
	snprintf(l->why, sizeof l->why, "not connected yet");
	return l;
}

static struct relayd_link *link_get(struct relayd_link *l)
{
	pthread_mutex_lock(&l->st);
	l->refs++;
	pthread_mutex_unlock(&l->st);
	return l;
}

void relayd_link_put(struct relayd_link *l)
{
	if (!l)
		return;
	pthread_mutex_lock(&l->st);
	int last = --l->refs == 0;
	pthread_mutex_unlock(&l->st);
	if (!last)
		return;
	/* Closing the control connection ends the relayd session. */
	relayd_close(&l->conn);
	pthread_mutex_destroy(&l->io);
	pthread_mutex_destroy(&l->st);
	free(l);
}

void relayd_link_retry(struct relayd_link *l)
{
	pthread_mutex_lock(&l->st);
	l->may_connect = 1;
	pthread_mutex_unlock(&l->st);
}

const char *relayd_link_hostname(const struct relayd_link *l)
{
	return l->cfg.hostname; /* set once, at creation */
}

int relayd_link_status(struct relayd_link *l, char *why, size_t n)
{
	pthread_mutex_lock(&l->st);
	int up = l->up;
	snprintf(why, n, "%s", up ? "" : l->why);
	pthread_mutex_unlock(&l->st);
	return up;
}

/* Under io: the connection failed; drains stop until a retry. */
static void link_down(struct relayd_link *l)
{
	pthread_mutex_lock(&l->st);
	if (l->up) {
		snprintf(l->why, sizeof l->why, "%s", l->conn.why[0] ? l->conn.why : "failed");
		logm(LOG_WARN, "relayd %s:%u: link down: %s", l->cfg.host, l->cfg.ctrl_port, l->why);
	}
	l->up = 0;
	pthread_mutex_unlock(&l->st);
	relayd_close(&l->conn);
}

/* Under io: a link that works, made if it may be. 0 or -ENOTCONN. */
static int link_ready(struct relayd_link *l)
{
	if (l->conn.ctrl >= 0 && !l->conn.err)
		return 0;
	pthread_mutex_lock(&l->st);
	int may = l->may_connect;
	l->may_connect = 0;
	pthread_mutex_unlock(&l->st);
	if (!may)
		return -ENOTCONN;
	const struct relayd_link_config *c = &l->cfg;
	uint64_t sid;
	uint32_t announce = l->new_protocol ? RELAYD_MINOR_NEW : RELAYD_MINOR;
	int e = relayd_connect(&l->conn, c->host, c->ctrl_port, c->data_port, CONNECT_TIMEOUT_MS,
			       announce);
	if (!e)
		e = relayd_create_session(&l->conn, c->session_name, c->hostname, c->live_us, &sid);
	if (e == -EPROTO && announce == RELAYD_MINOR &&
	    l->conn.their_minor >= RELAYD_MINOR_CHUNKS) {
		/* A relayd that refuses the pre-2.11 session: its own layouts, once. */
		relayd_close(&l->conn);
		l->new_protocol = 1;
		e = relayd_connect(&l->conn, c->host, c->ctrl_port, c->data_port, CONNECT_TIMEOUT_MS,
				   RELAYD_MINOR_NEW);
		if (!e)
			e = relayd_create_session(&l->conn, c->session_name, c->hostname, c->live_us,
						  &sid);
	}
	pthread_mutex_lock(&l->st);
	l->up = !e;
	if (e)
		snprintf(l->why, sizeof l->why, "%s", l->conn.why);
	pthread_mutex_unlock(&l->st);
	if (e) {
		logm(LOG_WARN, "relayd %s:%u: %s", c->host, c->ctrl_port, l->conn.why);
		relayd_close(&l->conn);
		return -ENOTCONN;
	}
	logm(LOG_INFO, "relayd %s:%u: session %s of %s, protocol 2.%u (the relayd's 2.%u)", c->host,
	     c->ctrl_port, c->session_name, c->hostname, l->conn.minor, l->conn.their_minor);
	l->gen++;
	return 0;
}

/* ---- metadata ---------------------------------------------------------------------------- */

/* Sends meta[from, to) as TSDL packets (header, then the text). */
static int send_metadata(struct net_trace *r, size_t from, size_t to)
{
	struct relayd_conn *c = &r->link->conn;
	while (from < to) {
		size_t n = to - from < METADATA_PACKET_MAX ? to - from : METADATA_PACKET_MAX;
		uint8_t *p = malloc(METADATA_HEADER_LEN + n);
		if (!p)
			return -ENOMEM;
		uint32_t bits = (uint32_t)((METADATA_HEADER_LEN + n) * 8);
		/* native order, as the trace's: the reader finds it from the magic */
		uint32_t magic = METADATA_MAGIC, zero = 0;
		memcpy(p, &magic, 4);
		memcpy(p + 4, r->uuid, 16);
		memcpy(p + 20, &zero, 4);                  /* checksum */
		memcpy(p + 24, &bits, 4);                  /* content_size */
		memcpy(p + 28, &bits, 4);                  /* packet_size */
		p[32] = p[33] = p[34] = 0;                 /* compression, encryption, checksum */
		p[35] = 1;                                 /* CTF 1.8 */
		p[36] = 8;
		memcpy(p + METADATA_HEADER_LEN, r->meta + from, n);
		int e = relayd_send_metadata(c, r->meta_handle, p, METADATA_HEADER_LEN + n);
		free(p);
		if (e)
			return e;
		from += n;
	}
	return 0;
}

static int sink_metadata(void *arg, const char *text, size_t len)
{
	struct net_trace *r = arg;
	int e = 0;
	/* Drain threads only (ctf_trace_write_metadata), under the trace's
	 * write lock; io orders it with the sends of r->meta. */
	pthread_mutex_lock(&r->link->io);
	if (r->meta_len + len > r->meta_cap) {
		size_t cap = r->meta_cap ? r->meta_cap : 16384;
		while (cap < r->meta_len + len)
			cap *= 2;
		char *p = realloc(r->meta, cap);
		if (!p) {
			e = -ENOMEM;
			goto out;
		}
		r->meta = p;
		r->meta_cap = cap;
	}
	memcpy(r->meta + r->meta_len, text, len);
	r->meta_len += len;
	/* Sent before the next packet or at the next link made, by
	 * streams_ready(). */
out:
	pthread_mutex_unlock(&r->link->io);
	return e;
}

/* ---- streams ------------------------------------------------------------------------------ */

/* Under io: r's streams added on the current link. */
static int add_streams(struct output_relayd *r)
{
	struct relayd_link *l = r->link;
	int e = 0;
	for (uint32_t i = 0; !e && i < r->nr; i++) {
		char name[96];
		snprintf(name, sizeof name, "%s_%u", r->channel, i);
		e = relayd_add_stream(&l->conn, name, r->nt->base, r->nt->path, &r->st[i].handle);
		r->st[i].next_seq = 0;
		r->st[i].need_first = l->cfg.live_us > 0;
		r->st[i].last_send_ns = mono_ns();
	}
	return e;
}

/* Under io: the trace's metadata stream and this channel's streams exist
 * on the current link, and the metadata is all sent. The streams of every
 * channel the trace has then are added together, before one STREAMS_SENT,
 * as lttng does: a snapshot of several channels is one relayd session
 * whose streams are all announced before its first packet. 0 or -ENOTCONN. */
static int streams_ready(struct output_relayd *r)
{
	struct relayd_link *l = r->link;
	struct net_trace *nt = r->nt;
	if (link_ready(l))
		return -ENOTCONN;
	struct relayd_conn *c = &l->conn;
	int e = 0;
	if (nt->gen != l->gen) {
		e = relayd_add_stream(c, "metadata", nt->base, nt->path, &nt->meta_handle);
		if (!e) {
			nt->gen = l->gen;
			nt->meta_sent = 0;
		}
	}
	if (!e && r->gen != l->gen) {
		/* r is in chans (output_relayd_open put it there) */
		for (struct output_relayd *ch = nt->chans; !e && ch; ch = ch->next)
			if (ch->gen != l->gen)
				e = add_streams(ch);
		if (!e)
			e = relayd_streams_sent(c);
		for (struct output_relayd *ch = nt->chans; !e && ch; ch = ch->next)
			ch->gen = l->gen;
	}
	if (!e && nt->meta_sent < nt->meta_len) {
		e = send_metadata(nt, nt->meta_sent, nt->meta_len);
		if (!e)
			nt->meta_sent = nt->meta_len;
	}
	if (e) {
		link_down(l);
		return -ENOTCONN;
	}
	return 0;
}

/* From the CTF writer, on the drain thread that owns cpu; io is not held. */
static int sink_packets(void *arg, uint32_t stream_id, uint32_t cpu, const struct iovec *iov,
			const struct ctf_index_entry *idx, int n)
{
	struct net_trace *nt = arg;
	struct relayd_link *l = nt->link;
	int e = 0;
	pthread_mutex_lock(&l->io);
	struct output_relayd *r = nt->chans;
	while (r && r->stream_id != stream_id)
		r = r->next;
	if (!r || cpu >= r->nr || streams_ready(r)) {
		e = -ENOTCONN;
		goto out;
	}
	struct net_stream *s = &r->st[cpu];
	for (int i = 0; i < n && !e; i++) {
		e = relayd_send_packet(&l->conn, s->handle, s->next_seq, &iov[i], 1, iov[i].iov_len);
		if (!e)
			e = relayd_send_index(&l->conn, s->handle, s->next_seq, &idx[i]);
		if (!e)
			s->next_seq++;
	}
	if (e) {
		link_down(l);
		e = -ENOTCONN;
	} else {
		s->last_send_ns = mono_ns();
	}
out:
	pthread_mutex_unlock(&l->io);
	return e;
}

/* ---- output ops ------------------------------------------------------------------------- */

static struct output_relayd *net(const struct output *o)
{
	return (struct output_relayd *)o;
}

static int net_add_event(struct output *o, uint32_t id, const struct rt_desc *d)
{
	return ctf_trace_add_event(net(o)->nt->ct, net(o)->stream_id, id, d);
}

/* A beacon: "no packet on this stream up to ts". */
static void beacon(struct output_relayd *r, uint32_t cpu, uint64_t ts)
{
	struct relayd_link *l = r->link;
	pthread_mutex_lock(&l->io);
	struct net_stream *s = &r->st[cpu];
	if (r->gen == l->gen && !l->conn.err && l->conn.ctrl >= 0) {
		struct ctf_index_entry e = {
			.timestamp_begin = ts,
			.timestamp_end = ts,
			.stream_id = r->stream_id,
			.stream_instance_id = cpu,
		};
		if (relayd_send_index(&l->conn, s->handle, RELAYD_NO_SEQ, &e))
			link_down(l);
		else
			s->last_send_ns = mono_ns();
	}
	pthread_mutex_unlock(&l->io);
}

static int net_drain_cpu(struct output *o, uint32_t cpu, int partial)
{
	struct output_relayd *r = net(o);
	struct relayd_link *l = r->link;
	if (cpu >= r->nr)
		return 0;
	pthread_mutex_lock(&l->io);
	int e = streams_ready(r);
	int first = !e && r->st[cpu].need_first;
	r->st[cpu].need_first = 0;
	uint64_t idle = mono_ns() - r->st[cpu].last_send_ns;
	pthread_mutex_unlock(&l->io);
	if (e)
		return e; /* nothing taken: it waits in the buffer */
	int written = 0;
	if (first && ctf_channel_empty_packet_cpu(r->ch, cpu) == 0)
		written++;
	uint64_t live_ns = (uint64_t)l->cfg.live_us * 1000;
	int due = live_ns && idle >= live_ns;
	uint64_t ts = due ? rt_clock_read(r->bs->clock) : 0;
	int n = ctf_channel_drain_cpu(r->ch, cpu, partial || due);
	if (due && n == 0 && ts >= ctf_channel_cpu_last_ts(r->ch, cpu)) {
		/* the stream's next packet begins no earlier than the beacon */
		ctf_channel_cpu_floor(r->ch, cpu, ts);
		beacon(r, cpu, ts);
	}
	return n < 0 ? n : n + written;
}

static int net_snapshot_cpu(struct output *o, uint32_t cpu, uint64_t budget,
			    struct ctf_snapshot_stats *st)
{
	return ctf_channel_snapshot_cpu(net(o)->ch, cpu, budget, st);
}

int output_relayd_connect(struct output *o, char *why, size_t n)
{
	struct output_relayd *r = net(o);
	pthread_mutex_lock(&r->link->io);
	int e = streams_ready(r);
	pthread_mutex_unlock(&r->link->io);
	if (e) {
		char down[200];
		relayd_link_status(r->link, down, sizeof down);
		snprintf(why, n, "relayd %s:%u: %s", r->link->cfg.host, r->link->cfg.ctrl_port, down);
	}
	return e;
}

static uint64_t net_skip_late_cpu(struct output *o, uint32_t cpu)
{
	return ctf_channel_skip_late_cpu(net(o)->ch, cpu);
}

static void net_cpu_stats(const struct output *o, uint32_t cpu, struct ctf_channel_stats *st)
{
	ctf_channel_cpu_stats(net(o)->ch, cpu, st);
}

static void net_cpu_losses(const struct output *o, uint32_t cpu, struct ctf_losses *out)
{
	ctf_channel_cpu_losses(net(o)->ch, cpu, out);
}

static void net_close_cpu(struct output *o, uint32_t cpu)
{
	(void)o;
	(void)cpu; /* the streams close with the trace (net_close) */
}

/* Under io: r leaves its trace's list. */
static void unlink_chan(struct output_relayd *r)
{
	for (struct output_relayd **pp = &r->nt->chans; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
}

/* The last channel gone: the trace's last metadata, its metadata stream
 * closed, the link's reference dropped. */
static int trace_unref(struct net_trace *nt)
{
	struct relayd_link *l = nt->link;
	pthread_mutex_lock(&l->io);
	int last = --nt->refs == 0;
	pthread_mutex_unlock(&l->io);
	if (!last)
		return 0;
	int ret = ctf_trace_close(nt->ct); /* hands over the last metadata */
	pthread_mutex_lock(&l->io);
	if (nt->gen == l->gen && !l->conn.err && l->conn.ctrl >= 0) {
		int e = 0;
		if (nt->meta_sent < nt->meta_len)
			e = send_metadata(nt, nt->meta_sent, nt->meta_len);
		if (!e) /* the relayd closes metadata once its last byte is in */
			e = relayd_close_stream(&l->conn, nt->meta_handle, RELAYD_NO_SEQ);
		if (e)
			link_down(l);
	}
	pthread_mutex_unlock(&l->io);
	relayd_link_put(l);
	free(nt->meta);
	free(nt);
	return ret;
}

static int net_close(struct output *o)
{
	struct output_relayd *r = net(o);
	struct relayd_link *l = r->link;
	ctf_channel_close(r->ch);
	pthread_mutex_lock(&l->io);
	unlink_chan(r);
	if (r->gen == l->gen && !l->conn.err && l->conn.ctrl >= 0) {
		int e = 0;
		for (uint32_t i = 0; !e && i < r->nr; i++)
			e = relayd_close_stream(&l->conn, r->st[i].handle, r->st[i].next_seq - 1);
		if (e)
			link_down(l);
	}
	pthread_mutex_unlock(&l->io);
	int ret = trace_unref(r->nt);
	free(r->st);
	free(r);
	return ret;
}

static const struct output_ops relayd_ops = {
	.add_event = net_add_event,
	.drain_cpu = net_drain_cpu,
	.skip_late_cpu = net_skip_late_cpu,
	.cpu_stats = net_cpu_stats,
	.cpu_losses = net_cpu_losses,
	.close_cpu = net_close_cpu,
	.close = net_close,
	.snapshot_cpu = net_snapshot_cpu,
};

/* The trace's path on the relayd below host/session-date/, lttng's layout. */
static int relayd_path(const struct output_config *cfg, const struct relayd_link_config *lc,
		       char *out, size_t n)
{
	int w;
	if (cfg->per_pid) {
		char name[64];
		snprintf(name, sizeof name, "%s", cfg->procname && *cfg->procname ? cfg->procname : "proc");
		for (char *c = name; *c; c++)
			if (*c == '/' || (unsigned char)*c <= ' ' || (c == name && *c == '.'))
				*c = '_';
		char dt[32];
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		strftime(dt, sizeof dt, "%Y%m%d-%H%M%S", &tm);
		w = snprintf(out, n, "ust/pid/%s-%d-%s", name, (int)cfg->pid, dt);
	} else {
		w = snprintf(out, n, "ust/uid/%u/64-bit", (unsigned)cfg->uid);
	}
	return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
}

/* A new trace on the relayd: its CTF writer with a sink, no network I/O. */
static int trace_new(const struct output_config *cfg, struct net_trace **out, char *err,
		     size_t errlen)
{
	struct relayd_link *l = cfg->relayd;
	struct net_trace *nt = calloc(1, sizeof *nt);
	if (!nt) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	nt->link = l; /* its reference is taken once made */
	nt->refs = 1;
	memcpy(nt->uuid, cfg->uuid, 16);
	int bw = snprintf(nt->base, sizeof nt->base, "%s/%s-%s", l->cfg.hostname,
			  l->cfg.session_name, l->cfg.created_at);
	char path[sizeof nt->path - sizeof l->cfg.subdir];
	if (bw < 0 || (size_t)bw >= sizeof nt->base || relayd_path(cfg, &l->cfg, path, sizeof path)) {
		snprintf(err, errlen, "relayd path too long");
		free(nt);
		return -ENAMETOOLONG;
	}
	snprintf(nt->path, sizeof nt->path, "%s%s%s", l->cfg.subdir, l->cfg.subdir[0] ? "/" : "",
		 path);
	char name[1800];
	snprintf(name, sizeof name, "net://%s:%u/%s/%s", l->cfg.host, l->cfg.ctrl_port, nt->base,
		 nt->path);
	nt->sink = (struct ctf_sink){ .metadata = sink_metadata, .packets = sink_packets, .arg = nt };
	struct ctf_trace_config tc = {
		.path = name,
		.buffering = cfg->per_pid ? CTF_PER_PID : CTF_PER_UID,
		.uid = cfg->uid,
		.pid = cfg->per_pid ? cfg->pid : 0,
		.vpid = cfg->per_pid ? cfg->vpid : 0,
		.procname = cfg->per_pid ? cfg->procname : NULL,
		.trace_name = cfg->session_name,
		.hostname = l->cfg.hostname,
		.clock = cfg->clock,
		.uuid = cfg->uuid,
		.max_metadata = cfg->max_metadata,
		.index_cid = cfg->index_cid,
		.sink = &nt->sink,
	};
	int e = ctf_trace_create(&tc, &nt->ct, err, errlen);
	if (e) {
		free(nt);
		return e;
	}
	link_get(l);
	*out = nt;
	return 0;
}

int output_relayd_open(const struct output_config *cfg, struct rt_bufset *bs,
		       struct output **out, char *err, size_t errlen)
{
	*out = NULL;
	struct output_relayd *r = calloc(1, sizeof *r);
	if (r)
		r->st = calloc(bs->nr_max, sizeof *r->st);
	if (!r || !r->st) {
		if (r)
			free(r);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r->o.ops = &relayd_ops;
	r->o.every_tick = 1;
	r->stream_id = cfg->stream_id;
	r->bs = bs;
	r->nr = bs->nr_max;
	snprintf(r->channel, sizeof r->channel, "%s", cfg->channel ? cfg->channel : "channel0");
	int e = 0;
	if (cfg->share) {
		r->nt = net(cfg->share)->nt;
		pthread_mutex_lock(&r->nt->link->io);
		r->nt->refs++;
		pthread_mutex_unlock(&r->nt->link->io);
	} else {
		e = trace_new(cfg, &r->nt, err, errlen);
	}
	if (e) {
		free(r->st);
		free(r);
		return e;
	}
	struct net_trace *nt = r->nt;
	r->link = nt->link;
	snprintf(r->o.dir, sizeof r->o.dir, "%s", ctf_trace_dir(nt->ct));
	e = ctf_trace_add_stream_class(nt->ct, cfg->stream_id, cfg->contexts);
	if (e)
		snprintf(err, errlen, "cannot describe the stream class: %s", strerror(-e));
	else
		e = ctf_channel_open(nt->ct, r->channel, cfg->stream_id, bs, &r->ch, err, errlen);
	if (e) {
		trace_unref(nt);
		free(r->st);
		free(r);
		return e;
	}
	pthread_mutex_lock(&r->link->io);
	r->next = nt->chans;
	nt->chans = r;
	pthread_mutex_unlock(&r->link->io);
	*out = &r->o;
	return 0;
}
