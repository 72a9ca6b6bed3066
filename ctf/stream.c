/* SPDX-License-Identifier: MIT */
/*
 * Stream files: closed sub-buffers become CTF packets, checked and fixed up
 * on a private copy, written whole at the end of <dir>/<channel>_<cpu>.
 *
 * Per CPU stream, invariants between calls:
 *   S1  The file holds exactly `size` bytes of whole packets.
 *   S2  `reported` is the events_discarded of the last packet in the file
 *       (non-decreasing), `last_ts` its timestamp_end, `seq` the number of
 *       packets in it.
 *   S3  `extra` counts events of packets that could not be written; every
 *       later packet reports them on top of the ring buffer's count.
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
	uint64_t extra;
	uint64_t events; /* records written to this CPU's stream file */
};

struct ctf_channel {
	struct ctf_trace *trace;
	struct ctf_stream_class *cls;
	struct rt_bufset *bs;
	char name[64];
	void *pkt;
	struct cpu_stream *cpu;
	struct ctf_channel_stats st;
};

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
	for (uint32_t i = 0; i < bs->nr_cpus; i++)
		c->cpu[i].fd = -1;
	c->trace = t;
	c->cls = cls;
	c->bs = bs;
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

/* 1 if the payload decodes to exactly len bytes. */
static int payload_ok(const struct ctf_ev *ev, const uint8_t *rec, size_t len, size_t hdr_len)
{
	if (ev->fixed)
		return len == ev->exact_len;
	size_t pos = hdr_len;
	for (uint32_t i = 0; i < ev->nr; i++) {
		const struct ctf_fl *f = &ev->f[i];
		switch (f->kind) {
		case RSEQTRACE_FIELD_STRING: {
			if (pos >= len)
				return 0;
			const uint8_t *nul = memchr(rec + pos, 0, len - pos);
			if (!nul)
				return 0;
			pos = (size_t)(nul - rec) + 1;
			break;
		}
		case RSEQTRACE_FIELD_SEQUENCE: {
			pos = align_up(pos, f->lsize);
			if (pos + f->lsize > len)
				return 0;
			uint64_t n = read_le(rec + pos, f->lsize);
			pos = align_up(pos + f->lsize, f->esize);
			if (pos > len || n > (len - pos) / f->esize)
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
		if (pos > len)
			return 0;
	}
	return pos == len;
}

/*
 * Walks the records of a packet of `len` bytes. Returns the exact end of
 * the last good record; counts good records in *events. Stops at the first
 * record that the metadata could not decode or whose timestamp is out of
 * order, setting *cut.
 */
static size_t walk(struct ctf_channel *c, const uint8_t *pkt, size_t len, uint64_t begin,
		   uint64_t end, uint64_t *events, int *cut)
{
	const struct ctf_stream_class *cls = c->cls;
	size_t at = RT_PACKET_HEADER_LEN, last_end = RT_PACKET_HEADER_LEN;
	uint64_t prev_ts = begin;
	*events = 0;
	*cut = 0;
	pthread_mutex_lock(&c->trace->lock);
	while (at < len) {
		struct rt_event_header eh;
		if (len - at < sizeof eh) {
			*cut = 1;
			break;
		}
		memcpy(&eh, pkt + at, sizeof eh);
		size_t rl = eh.len;
		const struct ctf_ev *ev = eh.id < cls->nr_events ? cls->ev[eh.id] : NULL;
		if (!ev || rl < 16 + cls->ctx_len || align_up(rl, 8) > len - at ||
		    eh.timestamp < prev_ts || eh.timestamp > end ||
		    !payload_ok(ev, pkt + at, rl, cls->hdr_len)) {
			*cut = 1;
			break;
		}
		prev_ts = eh.timestamp;
		last_end = at + rl;
		at += align_up(rl, 8);
		(*events)++;
	}
	pthread_mutex_unlock(&c->trace->lock);
	return last_end;
}

/* ---- writing -------------------------------------------------------------- */

static int open_stream(struct ctf_channel *c, uint32_t cpu)
{
	struct cpu_stream *s = &c->cpu[cpu];
	if (s->fd >= 0)
		return 0;
	char path[4096];
	snprintf(path, sizeof path, "%s/%s_%u", c->trace->dir, c->name, cpu);
	s->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (s->fd < 0) {
		int e = errno;
		record_error(c, e, "cannot create %s: %s", path, strerror(e));
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

static int write_packet(struct ctf_channel *c, uint32_t cpu, uint32_t len)
{
	struct cpu_stream *s = &c->cpu[cpu];
	struct rt_packet *pk = c->pkt;
	uint64_t begin = pk->open.timestamp_begin, end = pk->close.timestamp_end;
	if (begin < s->last_ts)
		begin = s->last_ts; /* never back in time across packets */
	if (end < begin)
		end = begin;
	uint64_t events;
	int cut;
	size_t content = walk(c, c->pkt, len, begin, end, &events, &cut);
	if (cut)
		c->st.corrupt_packets++;

	uint64_t discarded = pk->close.events_discarded + s->extra;
	if (discarded < s->reported)
		discarded = s->reported;
	memcpy(pk->open.uuid, c->trace->uuid, 16);
	pk->open.stream_instance_id = cpu;
	pk->open.cpu_id = cpu;
	pk->open.pad = 0;
	pk->open.timestamp_begin = begin;
	pk->close.timestamp_end = end;
	pk->close.content_size = (uint64_t)content * 8;
	pk->close.packet_size = (uint64_t)align_up(content, 8) * 8;
	pk->close.events_discarded = discarded;

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

int ctf_channel_drain(struct ctf_channel *c)
{
	int written = 0, first_err = 0;
	/* At most one buffer's worth per CPU and call: writers that keep
	 * filling (or an application storing impossible offsets) cannot hold
	 * the drain on one CPU for ever; the next call takes the rest. */
	uint64_t per_cpu = c->bs->buf_size / c->bs->subbuf_size;
	for (uint32_t cpu = 0; cpu < c->bs->nr_cpus; cpu++) {
		for (uint64_t n = 0; n < per_cpu; n++) {
			uint32_t len = 0;
			int r = rt_read_next(c->bs, cpu, c->pkt, &len);
			if (r == 0)
				break;
			/* Our copy is private: hand the sub-buffer back now. */
			rt_read_release(c->bs, cpu, c->pkt);
			if (r < 0) {
				c->st.corrupt_packets++;
				continue;
			}
			r = write_packet(c, cpu, len);
			if (r == 0)
				written++;
			else if (!first_err)
				first_err = r;
		}
	}
	return first_err ? first_err : written;
}

int ctf_channel_flush(struct ctf_channel *c)
{
	/* Round 1 closes partial packets. rt_flush reports losses in an empty
	 * packet only once everything before it is drained, so round 2 (after
	 * the drain) closes that one; round 3 catches losses that raced in. */
	int first_err = 0, total = 0;
	for (int round = 0; round < 3; round++) {
		int closed = 0;
		for (uint32_t cpu = 0; cpu < c->bs->nr_cpus; cpu++) {
			int r = rt_flush(c->bs, cpu);
			/* Locked mode: a writer of another process holds the
			 * buffer (busy, not an error); try a few more times. */
			for (int busy = 0; r == RT_E_ABORT && busy < 20; busy++) {
				struct timespec ts = { 0, 5000000 };
				nanosleep(&ts, NULL);
				r = rt_flush(c->bs, cpu);
			}
			if (r > 0)
				closed++;
			if (r < 0 && !first_err) {
				first_err = r == RT_E_SYS ? -EIO : -EAGAIN;
				snprintf(c->st.last_error, sizeof c->st.last_error,
					 "cannot flush CPU %u of %s: %s", cpu, c->name, rt_strerror(r));
			}
		}
		int r = ctf_channel_drain(c);
		if (r < 0 && !first_err)
			first_err = r;
		if (r > 0)
			total += r;
		if (!closed && r <= 0)
			break;
	}
	return first_err ? first_err : total;
}

void ctf_channel_stats(const struct ctf_channel *c, struct ctf_channel_stats *st)
{
	*st = c->st;
	st->discarded = 0;
	st->lost_unreported = 0;
	for (uint32_t cpu = 0; cpu < c->bs->nr_cpus; cpu++) {
		const struct cpu_stream *s = &c->cpu[cpu];
		uint64_t total = rt_lost_total(&c->bs->ctl[cpu]) + s->extra;
		st->discarded += s->reported;
		if (total > s->reported)
			st->lost_unreported += total - s->reported;
	}
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
