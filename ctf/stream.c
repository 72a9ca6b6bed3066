/* SPDX-License-Identifier: MIT */
/*
 * Stream files: committed records (rt_read_committed, invariant I6) become
 * CTF packets, checked on a private copy, under a packet header built here
 * from our own state only, written whole at the end of <dir>/<channel>_<cpu>.
 * Nothing of the shared packet header is used but the bounded content_size.
 *
 * Per CPU stream, invariants between calls:
 *   S1  The file holds exactly `size` bytes of whole packets.
 *   S2  `reported` is the events_discarded of the last packet in the file
 *       (non-decreasing), `last_ts` its timestamp_end (every record written
 *       after it is stamped no earlier), `seq` the number of packets in it.
 *   S3  lost(s) = ring + extra + corrupt + late, each non-decreasing:
 *       `ring` the ring buffer's lost counters as sampled (a jump no writer
 *       could make is not taken, and counted in `counter_resets`), `extra`
 *       events of packets that could not be written, `corrupt` records cut
 *       or skipped because they could not be trusted, `late` records
 *       committed while the channel was stopped. Every packet written
 *       reports lost(s) >= reported.
 *   S4  `dec_ts` is the timestamp of the last record decoded (written,
 *       cut or skipped) in the sub-buffer the reader is in, or that
 *       packet's timestamp_begin: the base of the next compact timestamp
 *       when the next run starts inside that sub-buffer (I7).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "ctf/ctf_int.h"
#include "eventdesc/record.h"

struct cpu_stream {
	int fd;
	off_t size;
	uint64_t seq;
	uint64_t reported;
	uint64_t last_ts;
	uint64_t dec_ts;      /* S4 */
	uint64_t ring, extra, corrupt, late; /* S3 */
	uint64_t ring_cause[RT_LOST_CAUSES]; /* ring, by cause (full, big, abort) */
	uint64_t ring_seen[RT_LOST_CAUSES];  /* raw lost counters at the last sample */
	uint64_t ring_ns;     /* CLOCK_MONOTONIC of the last sample */
	uint64_t counter_resets;
	uint64_t events;      /* records written to this CPU's stream file */
};

static uint64_t stream_lost(const struct cpu_stream *s)
{
	return s->ring + s->extra + s->corrupt + s->late;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct ctf_channel {
	struct ctf_trace *trace;
	struct ctf_stream_class *cls;
	struct rt_bufset *bs;
	char name[64];
	void *pkt;
	struct cpu_stream *cpu;
	struct ctf_channel_stats st;
};

static uint64_t count_run(void *arg, const void *from, uint64_t len);

static int check_name(const char *s)
{
	if (!s || !*s || strlen(s) >= 48 || *s == '.')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return 0;
	return 1;
}

int ctf_channel_open(struct ctf_trace *t, const char *name, uint32_t stream_id,
		     struct rt_bufset *bs, struct ctf_channel **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!check_name(name)) {
		snprintf(err, errlen, "bad channel name \"%s\"", name ? name : "");
		return -EINVAL;
	}
	pthread_mutex_lock(&t->lock);
	struct ctf_stream_class *cls = ctf_find_class(t, stream_id);
	pthread_mutex_unlock(&t->lock);
	if (!cls) {
		snprintf(err, errlen, "channel %s: stream class %u is not declared", name, stream_id);
		return -ENOENT;
	}
	if (bs->hdr->stream_id != stream_id || memcmp(bs->hdr->uuid, t->uuid, 16) != 0 ||
	    bs->clock != t->clock) {
		snprintf(err, errlen, "channel %s: buffers made for another trace, stream or clock", name);
		return -EINVAL;
	}
	struct ctf_channel *c = calloc(1, sizeof *c);
	if (!c || !(c->pkt = malloc(bs->subbuf_size)) ||
	    !(c->cpu = calloc(bs->nr_cpus, sizeof *c->cpu))) {
		if (c)
			free(c->pkt);
		free(c);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (rt_reader_init(bs) != RT_OK) {
		free(c->cpu);
		free(c->pkt);
		free(c);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	uint64_t now = mono_ns();
	for (uint32_t i = 0; i < bs->nr_cpus; i++) {
		c->cpu[i].fd = -1;
		rt_lost_counts(&bs->ctl[i], c->cpu[i].ring_seen);
		c->cpu[i].ring_ns = now;
	}
	c->trace = t;
	c->cls = cls;
	c->bs = bs;
	bs->count_records = count_run;
	bs->count_arg = c;
	snprintf(c->name, sizeof c->name, "%s", name);
	pthread_mutex_lock(&t->lock);
	t->channels++;
	pthread_mutex_unlock(&t->lock);
	*out = c;
	return 0;
}

static void __attribute__((format(printf, 3, 4)))
record_error(struct ctf_channel *c, int e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->st.last_error, sizeof c->st.last_error, fmt, ap);
	va_end(ap);
	c->st.last_errno = e;
	c->st.write_errors++;
	pthread_mutex_lock(&c->trace->lock);
	if (!c->trace->first_error)
		c->trace->first_error = -e;
	pthread_mutex_unlock(&c->trace->lock);
}

/* ---- checking a packet ------------------------------------------------------ */

static uint64_t read_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static size_t align_up(size_t o, size_t a)
{
	return (o + a - 1) & ~(a - 1);
}

/*
 * Where the record whose header is at rec ends, in bytes from rec, if it
 * decodes within avail bytes; 0 if not. Offsets of the description are
 * staged ones (eventdesc/record.h): `shift` (8 for a compact header, 0
 * for an extended one) bytes past rec's.
 */
static size_t record_end(const struct ctf_ev *ev, const uint8_t *rec, size_t avail, size_t shift)
{
	size_t lim = avail + shift; /* in staged offsets */
	if (ev->fixed)
		return ev->exact_len <= lim ? ev->exact_len - shift : 0;
	size_t pos = ev->payload_at;
	for (uint32_t i = 0; i < ev->nr; i++) {
		const struct ctf_fl *f = &ev->f[i];
		switch (f->kind) {
		case RSEQTRACE_FIELD_STRING: {
			if (pos >= lim)
				return 0;
			const uint8_t *nul = memchr(rec + pos - shift, 0, lim - pos);
			if (!nul)
				return 0;
			pos = (size_t)(nul - rec) + shift + 1;
			break;
		}
		case RSEQTRACE_FIELD_SEQUENCE: {
			pos = align_up(pos, f->lsize);
			if (pos + f->lsize > lim)
				return 0;
			uint64_t n = read_le(rec + pos - shift, f->lsize);
			pos = align_up(pos + f->lsize, f->esize);
			if (pos > lim || n > (lim - pos) / f->esize)
				return 0;
			pos += (size_t)n * f->esize;
			break;
		}
		case RSEQTRACE_FIELD_ARRAY:
			pos = align_up(pos, f->esize) + (size_t)f->esize * f->count;
			break;
		default:
			pos = align_up(pos, f->esize) + f->esize;
		}
		if (pos > lim)
			return 0;
	}
	return pos - shift;
}

/*
 * Decodes the record at rec (avail bytes there) after one stamped prev:
 * its id and timestamp (packet.h), and its exact length, the one pass
 * that both finds its end and checks it against its description. 0 if it
 * does not decode. The trace lock is held (event tables).
 */
static size_t decode_record(const struct ctf_stream_class *cls, const uint8_t *rec, size_t avail,
			    uint64_t prev, uint64_t *ts)
{
	uint32_t id;
	uint32_t hl = rt_event_decode(rec, avail, prev, &id, ts);
	const struct ctf_ev *ev = hl && id < cls->nr_events ? cls->ev[id] : NULL;
	return ev ? record_end(ev, rec, avail, RT_EVENT_HEADER_LEN - hl) : 0;
}

/* Records a run of len bytes holds, up to the first that does not decode
 * (the run is untrusted: it counts what is lost, no more). rt_bufset's
 * count_records, for the runs the reader skips, and ours after a cut. */
static uint64_t count_run(void *arg, const void *from, uint64_t len)
{
	struct ctf_channel *c = arg;
	const uint8_t *p = from;
	uint64_t n = 0, ts = 0;
	size_t at = 0, end;
	pthread_mutex_lock(&c->trace->lock);
	while (at < len && (end = decode_record(c->cls, p + at, len - at, ts, &ts)) != 0) {
		n++;
		at += align_up(end, 8);
	}
	pthread_mutex_unlock(&c->trace->lock);
	return n;
}

/*
 * Walks the records at pkt[from, len), decoding compact timestamps from
 * `base` (I7). Returns the exact end of the last good record; counts good
 * records in *events and sets *last_ts to the last one's timestamp (base
 * if none). Stops at the first record that the metadata could not decode
 * or whose timestamp is before the previous one, before `floor` (the
 * stream's last written timestamp) or after `now`, setting *cut.
 */
static size_t walk(struct ctf_channel *c, const uint8_t *pkt, size_t from, size_t len,
		   uint64_t base, uint64_t floor, uint64_t now, uint64_t *events, uint64_t *last_ts,
		   int *cut)
{
	const struct ctf_stream_class *cls = c->cls;
	size_t at = from, last_end = from;
	uint64_t prev = base;
	*events = 0;
	*cut = 0;
	pthread_mutex_lock(&c->trace->lock);
	while (at < len) {
		uint64_t ts;
		size_t end = decode_record(cls, pkt + at, len - at, prev, &ts);
		if (!end || ts < prev || ts < floor || ts > now) {
			*cut = 1;
			break;
		}
		prev = ts;
		last_end = at + end;
		at += align_up(end, 8);
		(*events)++;
	}
	pthread_mutex_unlock(&c->trace->lock);
	*last_ts = prev;
	return last_end;
}

/* ---- writing -------------------------------------------------------------- */

static int open_stream(struct ctf_channel *c, uint32_t cpu)
{
	struct cpu_stream *s = &c->cpu[cpu];
	if (s->fd >= 0)
		return 0;
	/* In the checked trace directory, a new file: never an existing one,
	 * never through a symlink someone placed at its name. */
	char name[80];
	snprintf(name, sizeof name, "%s_%u", c->name, cpu);
	s->fd = openat(c->trace->dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		       0600);
	if (s->fd < 0) {
		int e = errno;
		record_error(c, e, "cannot create %s/%s: %s", c->trace->dir, name, strerror(e));
		return -e;
	}
	return 0;
}

/* Writes iov at the end of the stream, whole or not at all (S1). */
static int write_whole(struct ctf_channel *c, uint32_t cpu, struct iovec *iov, int n, size_t total)
{
	struct cpu_stream *s = &c->cpu[cpu];
	size_t done = 0;
	while (done < total) {
		/* skip what was written */
		size_t skip = done;
		struct iovec v[2];
		int k = 0;
		for (int i = 0; i < n; i++) {
			if (skip >= iov[i].iov_len) {
				skip -= iov[i].iov_len;
				continue;
			}
			v[k].iov_base = (char *)iov[i].iov_base + skip;
			v[k].iov_len = iov[i].iov_len - skip;
			skip = 0;
			k++;
		}
		ssize_t w = pwritev(s->fd, v, k, s->size + (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : ENOSPC;
			if (ftruncate(s->fd, s->size) != 0) {
				/* cannot shrink: further packets would follow garbage */
				close(s->fd);
				s->fd = -1;
				record_error(c, e, "%s_%u: write failed and cannot truncate: %s",
					     c->name, cpu, strerror(e));
				return -e;
			}
			record_error(c, e, "cannot write %s/%s_%u: %s", c->trace->dir, c->name, cpu,
				     strerror(e));
			return -e;
		}
		done += (size_t)w;
	}
	s->size += (off_t)total;
	return 0;
}

/*
 * Writes c->pkt as one packet: `content` bytes, records from
 * RT_PACKET_HEADER_LEN, `events` of them, stamped [begin, end]. Every
 * header field comes from our own state.
 */
static int write_packet(struct ctf_channel *c, uint32_t cpu, size_t content, uint64_t events,
			uint64_t begin, uint64_t end)
{
	struct cpu_stream *s = &c->cpu[cpu];
	struct rt_packet *pk = c->pkt;
	uint64_t discarded = stream_lost(s);
	if (discarded < s->reported)
		discarded = s->reported; /* cannot happen (S3); never go back */
	*pk = (struct rt_packet){
		.open = {
			.magic = RT_CTF_MAGIC,
			.stream_id = c->cls->id,
			.stream_instance_id = cpu,
			.timestamp_begin = begin,
			.cpu_id = cpu,
		},
		.close = {
			.timestamp_end = end,
			.content_size = (uint64_t)content * 8,
			.packet_size = (uint64_t)align_up(content, 8) * 8,
			.events_discarded = discarded,
		},
	};
	memcpy(pk->open.uuid, c->trace->uuid, 16);

	/* babeltrace2 cannot count losses in a stream's first packet: lead
	 * with an empty one that reports none. */
	struct rt_packet lead = *pk;
	int with_lead = s->seq == 0 && discarded > 0;
	if (with_lead) {
		lead.open.packet_seq_num = 0;
		lead.close.timestamp_end = begin;
		lead.close.content_size = lead.close.packet_size = RT_PACKET_HEADER_LEN * 8;
		lead.close.events_discarded = 0;
	}
	pk->open.packet_seq_num = s->seq + (uint64_t)with_lead;

	struct iovec iov[2];
	int n = 0;
	if (with_lead)
		iov[n++] = (struct iovec){ &lead, sizeof lead };
	iov[n++] = (struct iovec){ pk, align_up(content, 8) };
	size_t total = (with_lead ? sizeof lead : 0) + align_up(content, 8);

	int r = open_stream(c, cpu);
	if (r == 0)
		r = write_whole(c, cpu, iov, n, total);
	if (r) {
		s->extra += events; /* S3 */
		c->st.write_lost += events;
		return r;
	}
	s->seq += (uint64_t)n;
	s->reported = discarded;
	s->last_ts = end;
	c->st.packets++;
	c->st.events += events;
	s->events += events;
	c->st.bytes += total;
	return 0;
}

/*
 * Takes the ring buffer's lost counters into `ring` (S3). They are
 * written by applications: an increase larger than writers could have
 * made since the last sample (one drop per 8 ns, plus slack), or a
 * decrease, is not taken; it is counted as a reset of that CPU's counters
 * and counting goes on from the new value.
 */
static void sample_losses(struct ctf_channel *c, uint32_t cpu)
{
	struct cpu_stream *s = &c->cpu[cpu];
	uint64_t raw[RT_LOST_CAUSES], delta[RT_LOST_CAUSES], sum = 0, now = mono_ns();
	rt_lost_counts(&c->bs->ctl[cpu], raw);
	uint64_t bound = (now - s->ring_ns) / 8 + 65536;
	int sane = 1;
	for (int i = 0; i < RT_LOST_CAUSES; i++) {
		delta[i] = raw[i] - s->ring_seen[i];
		sane &= delta[i] <= bound;
		sum += delta[i];
	}
	if (sane && sum <= bound) {
		s->ring += sum;
		for (int i = 0; i < RT_LOST_CAUSES; i++)
			s->ring_cause[i] += delta[i];
	} else {
		s->counter_resets++;
		c->st.counter_resets++;
	}
	memcpy(s->ring_seen, raw, sizeof raw);
	s->ring_ns = now;
}

/* Records that could not be trusted: counted, never written (S3). */
static void count_corrupt(struct ctf_channel *c, uint32_t cpu, uint64_t records, uint64_t packets)
{
	c->cpu[cpu].corrupt += records;
	c->st.corrupt_events += records;
	c->st.corrupt_packets += packets;
}

/*
 * The base of the run's first compact timestamp (I7, S4): the writers'
 * timestamp_begin at a sub-buffer's first record, else the last one we
 * decoded there. The writers' is in shared memory: one that cannot be
 * right (before what we wrote last, or after the run was taken) is not
 * taken, and the last timestamp of the stream stands in for it, right as
 * long as the packet's events follow it within 2^27 ns: a scribbled
 * header may cost that app's events their exact time, not the events.
 */
static uint64_t decode_base(const struct cpu_stream *s, const struct rt_committed *cm)
{
	uint64_t last = s->dec_ts > s->last_ts ? s->dec_ts : s->last_ts;
	if (!cm->at_open)
		return s->dec_ts;
	return cm->begin >= s->last_ts && cm->begin <= cm->now ? cm->begin : last;
}

/*
 * One run of committed records: copied, checked, written as one packet
 * (or as nothing if no record is good). 0 or -errno of the write.
 */
static int take_run(struct ctf_channel *c, uint32_t cpu, const struct rt_committed *cm)
{
	struct cpu_stream *s = &c->cpu[cpu];
	if (cm->resynced)
		count_corrupt(c, cpu, cm->skipped_records, cm->skipped);
	uint8_t *pkt = c->pkt;
	size_t len = (size_t)(cm->end - cm->pos);
	/* Our copy first: what we check is what we write. */
	memcpy(pkt + RT_PACKET_HEADER_LEN, rt_cpu_data(c->bs, cpu, cm->pos), len);
	len += RT_PACKET_HEADER_LEN;
	uint64_t events, last_ts, base = decode_base(s, cm);
	int cut;
	size_t content = walk(c, pkt, RT_PACKET_HEADER_LEN, len, base, s->last_ts, cm->now, &events,
			      &last_ts, &cut);
	s->dec_ts = last_ts; /* S4 */
	if (cm->bad_close) {
		/* Walked to the sub-buffer's end: what follows the last record
		 * is an older lap's, and a cut there is expected. */
		count_corrupt(c, cpu, 0, 1);
	} else if (cut) {
		size_t rest = len - align_up(content, 8);
		uint64_t lost = count_run(c, pkt + align_up(content, 8), rest);
		count_corrupt(c, cpu, lost ? lost : 1, 1);
	}
	sample_losses(c, cpu);
	if (!events)
		return 0;
	/* The base babeltrace2 decodes the first compact timestamp from (I7);
	 * raised to the last packet's end, the first record's is unchanged. */
	return write_packet(c, cpu, content, events, base > s->last_ts ? base : s->last_ts, last_ts);
}

/* Takes what is committed on one CPU, closed sub-buffers only unless
 * partial. At most one buffer's worth per call: writers that keep filling
 * (or an application storing offsets) cannot hold us on one CPU. */
static int drain_cpu(struct ctf_channel *c, uint32_t cpu, int partial, int *written)
{
	int first_err = 0;
	uint64_t per_cpu = c->bs->buf_size / c->bs->subbuf_size + 1;
	struct rt_committed cm;
	for (uint64_t n = 0; n < per_cpu && rt_read_committed(c->bs, cpu, partial, &cm) > 0; n++) {
		uint64_t packets = c->st.packets;
		int r = take_run(c, cpu, &cm);
		rt_read_advance(c->bs, cpu, &cm);
		if (r && !first_err)
			first_err = r;
		*written += (int)(c->st.packets - packets);
		if (!cm.closed)
			break;
	}
	return first_err;
}

/* Drains, then writes an empty packet on every CPU whose losses no
 * written packet reports yet. */
static int drain_all(struct ctf_channel *c, int partial)
{
	int written = 0, first_err = 0;
	for (uint32_t cpu = 0; cpu < c->bs->nr_cpus; cpu++) {
		int r = drain_cpu(c, cpu, partial, &written);
		if (r && !first_err)
			first_err = r;
		if (!partial)
			continue;
		struct cpu_stream *s = &c->cpu[cpu];
		sample_losses(c, cpu);
		if (stream_lost(s) != s->reported) {
			uint64_t ts = rt_clock_read(c->bs->clock);
			if (ts < s->last_ts)
				ts = s->last_ts;
			r = write_packet(c, cpu, RT_PACKET_HEADER_LEN, 0, ts, ts);
			if (r == 0)
				written++;
			else if (!first_err)
				first_err = r;
		}
	}
	return first_err ? first_err : written;
}

int ctf_channel_drain(struct ctf_channel *c)
{
	return drain_all(c, 0);
}

int ctf_channel_flush(struct ctf_channel *c)
{
	return drain_all(c, 1);
}

/* Skips everything committed on cpu, returning the records counted there.
 * They are decoded in place for their timestamps too: the next run may
 * start inside the same sub-buffer (S4). */
static uint64_t skip_cpu(struct ctf_channel *c, uint32_t cpu)
{
	struct cpu_stream *s = &c->cpu[cpu];
	uint64_t n = 0, nsub = c->bs->buf_size / c->bs->subbuf_size;
	struct rt_committed cm;
	for (uint64_t i = 0; i <= nsub && rt_read_committed(c->bs, cpu, 1, &cm) > 0; i++) {
		const uint8_t *run = (const void *)rt_cpu_data(c->bs, cpu, cm.pos);
		size_t len = (size_t)(cm.end - cm.pos);
		uint64_t events;
		int cut;
		size_t end = walk(c, run, 0, len, decode_base(s, &cm), 0, UINT64_MAX, &events,
				  &s->dec_ts, &cut);
		n += cm.skipped_records + events;
		if (cut)
			n += count_run(c, run + align_up(end, 8), len - align_up(end, 8));
		rt_read_advance(c->bs, cpu, &cm);
	}
	return n;
}

uint64_t ctf_channel_skip_late(struct ctf_channel *c)
{
	uint64_t total = 0;
	for (uint32_t cpu = 0; cpu < c->bs->nr_cpus; cpu++) {
		uint64_t n = skip_cpu(c, cpu);
		c->cpu[cpu].late += n;
		total += n;
		sample_losses(c, cpu);
	}
	c->st.late_events += total;
	return total;
}

void ctf_channel_stats(const struct ctf_channel *c, struct ctf_channel_stats *st)
{
	*st = c->st;
	st->discarded = 0;
	st->lost_unreported = 0;
	/* Our own counts only: nothing here moves unless we drained. */
	for (uint32_t cpu = 0; cpu < c->bs->nr_cpus; cpu++) {
		const struct cpu_stream *s = &c->cpu[cpu];
		st->discarded += s->reported;
		st->lost_unreported += stream_lost(s) - s->reported;
	}
}

void ctf_channel_cpu_losses(const struct ctf_channel *c, uint32_t cpu, struct ctf_losses *out)
{
	memset(out, 0, sizeof *out);
	if (cpu >= c->bs->nr_cpus)
		return;
	const struct cpu_stream *s = &c->cpu[cpu];
	*out = (struct ctf_losses){
		.full = s->ring_cause[RT_LOST_FULL],
		.big = s->ring_cause[RT_LOST_BIG],
		.abort = s->ring_cause[RT_LOST_ABORT],
		.corrupt = s->corrupt,
		.late = s->late,
		.unwritten = s->extra,
		.total = stream_lost(s),
		.reported = s->reported,
	};
}

uint64_t ctf_channel_cpu_events(const struct ctf_channel *c, uint32_t cpu)
{
	return cpu < c->bs->nr_cpus ? c->cpu[cpu].events : 0;
}

void ctf_channel_close(struct ctf_channel *c)
{
	if (!c)
		return;
	for (uint32_t cpu = 0; cpu < c->bs->nr_cpus; cpu++)
		if (c->cpu[cpu].fd >= 0)
			close(c->cpu[cpu].fd);
	pthread_mutex_lock(&c->trace->lock);
	c->trace->channels--;
	pthread_mutex_unlock(&c->trace->lock);
	free(c->cpu);
	free(c->pkt);
	free(c);
}
