/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static uint64_t payload_word(uint32_t stream, uint64_t seq, uint32_t i)
{
	return mix64(stream * 0x9e3779b97f4a7c15ull + seq * 0x632be59bd9b4e019ull + i);
}

static uint64_t rec_sum(const struct rec *r, uint32_t len)
{
	uint64_t h = mix64(((uint64_t)r->stream << 32) | r->len);
	h = mix64(h ^ r->seq);
	for (uint32_t i = 0; i < (len - REC_FIXED) / 8; i++)
		h = mix64(h ^ r->payload[i]);
	return h;
}

void rec_build(void *buf, uint32_t stream, uint64_t seq, uint32_t len)
{
	struct rec *r = buf;
	r->h = (struct rt_event_header){ .word = rt_eh_extended(rec_id(stream)) };
	r->stream = stream;
	r->pad = 0;
	r->len = len;
	r->seq = seq;
	for (uint32_t i = 0; i < (len - REC_FIXED) / 8; i++)
		r->payload[i] = payload_word(stream, seq, i);
	r->sum = rec_sum(r, len);
}

size_t seqmap_bytes(uint32_t nr_streams, uint64_t max_seq)
{
	return (size_t)nr_streams * ((max_seq + 7) / 8);
}

void seqmap_init(struct seqmap *m, uint32_t nr_streams, uint64_t max_seq, void *mem)
{
	m->nr_streams = nr_streams;
	m->max_seq = max_seq;
	m->bits = mem;
	memset(mem, 0, seqmap_bytes(nr_streams, max_seq));
}

static uint8_t *seqmap_byte(const struct seqmap *m, uint32_t stream, uint64_t seq)
{
	return m->bits + (size_t)stream * ((m->max_seq + 7) / 8) + seq / 8;
}

int seqmap_set(struct seqmap *m, uint32_t stream, uint64_t seq)
{
	uint8_t *b = seqmap_byte(m, stream, seq), bit = (uint8_t)(1u << (seq % 8));
	int was = (*b & bit) != 0;
	*b |= bit;
	return was;
}

int seqmap_get(const struct seqmap *m, uint32_t stream, uint64_t seq)
{
	return (*seqmap_byte(m, stream, seq) >> (seq % 8)) & 1;
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "FATAL: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

void oracle_error(struct oracle *o, const char *fmt, ...)
{
	va_list ap;
	if (o->errors++ < 20) {
		va_start(ap, fmt);
		fprintf(stderr, "ERROR: ");
		vfprintf(stderr, fmt, ap);
		fprintf(stderr, "\n");
		va_end(ap);
	}
	if (o->errors == 1) {
		va_start(ap, fmt);
		vsnprintf(o->first_error, sizeof o->first_error, fmt, ap);
		va_end(ap);
	}
}

int oracle_init(struct oracle *o, struct rt_bufset *bs, uint32_t nr_streams, uint64_t max_seq)
{
	memset(o, 0, sizeof *o);
	o->bs = bs;
	void *mem = malloc(seqmap_bytes(nr_streams, max_seq));
	o->cpu = calloc(bs->nr_max, sizeof *o->cpu) /* room to grow */;
	o->pkt = aligned_alloc(64, bs->subbuf_size);
	if (!mem || !o->cpu || !o->pkt)
		return -1;
	seqmap_init(&o->seen, nr_streams, max_seq, mem);
	return 0;
}

void oracle_fini(struct oracle *o)
{
	free(o->seen.bits);
	free(o->cpu);
	free(o->pkt);
}

int rec_decode(const char *p, uint32_t avail, uint64_t prev, struct rec_at *out)
{
	uint32_t word;
	if (avail < 4)
		return 0;
	memcpy(&word, p, 4);
	if ((word & RT_EH_EXTENDED) != RT_EH_EXTENDED) {
		/* The smallest time >= prev with these low bits, as CTF reads it. */
		uint64_t low = word >> RT_EH_ID_BITS, mod = (uint64_t)RT_EH_TS_MASK + 1;
		out->ts = (prev & ~(mod - 1)) | low;
		if (out->ts < prev)
			out->ts += mod;
		out->id = word & RT_EH_EXTENDED;
		out->r = (const struct rec *)(p - RT_EH_COMPACT_SKIP);
		out->stored = RT_EH_COMPACT_SKIP; /* less: the record's len is staged */
	} else {
		if (avail < RT_EH_ROOM)
			return 0;
		memcpy(&out->ts, p + 4, 8);
		out->id = word >> RT_EH_ID_BITS;
		out->r = (const struct rec *)p;
		out->stored = 0;
	}
	return 1;
}

/* Checks one record at p with avail bytes left in the packet; returns the
 * bytes it takes, or 0 when the rest of the packet cannot be parsed. */
static uint32_t check_record(struct oracle *o, uint32_t cpu, const struct rt_packet *pk,
			     const char *p, uint32_t avail)
{
	struct oracle_cpu *c = &o->cpu[cpu];
	struct rec_at at;
	if (avail < REC_FIXED - RT_EH_COMPACT_SKIP || !rec_decode(p, avail, c->last_ts, &at)) {
		oracle_error(o, "cpu %u packet %llu: %u stray bytes at the end", cpu,
			     (unsigned long long)pk->open.packet_seq_num, avail);
		return 0;
	}
	const struct rec *r = at.r;
	uint32_t stored = r->len - at.stored;
	if (r->len < REC_FIXED || r->len % 8 || stored > avail || at.id != rec_id(r->stream)) {
		oracle_error(o, "cpu %u packet %llu: bad record header id %#x len %u (avail %u)",
			     cpu, (unsigned long long)pk->open.packet_seq_num, at.id, r->len, avail);
		return 0;
	}
	if (rec_sum(r, r->len) != r->sum) {
		oracle_error(o, "cpu %u: record stream %u seq %llu len %u: checksum mismatch",
			     cpu, r->stream, (unsigned long long)r->seq, r->len);
		return stored;
	}
	for (uint32_t i = 0; i < (r->len - REC_FIXED) / 8; i++)
		if (r->payload[i] != payload_word(r->stream, r->seq, i)) {
			oracle_error(o, "cpu %u: record stream %u seq %llu: payload word %u wrong",
				     cpu, r->stream, (unsigned long long)r->seq, i);
			return stored;
		}
	if (r->stream >= o->seen.nr_streams || r->seq >= o->seen.max_seq) {
		oracle_error(o, "cpu %u: record (stream %u, seq %llu) out of range", cpu,
			     r->stream, (unsigned long long)r->seq);
		return stored;
	}
	if (seqmap_set(&o->seen, r->stream, r->seq))
		oracle_error(o, "cpu %u: record (stream %u, seq %llu) read twice", cpu,
			     r->stream, (unsigned long long)r->seq);
	uint64_t ts = at.ts;
	if (ts < c->last_ts)
		oracle_error(o, "cpu %u: timestamp goes back %llu -> %llu (stream %u seq %llu)",
			     cpu, (unsigned long long)c->last_ts, (unsigned long long)ts,
			     r->stream, (unsigned long long)r->seq);
	if (ts < pk->open.timestamp_begin || ts > pk->close.timestamp_end)
		oracle_error(o, "cpu %u packet %llu: event timestamp %llu outside [%llu, %llu]",
			     cpu, (unsigned long long)pk->open.packet_seq_num,
			     (unsigned long long)ts, (unsigned long long)pk->open.timestamp_begin,
			     (unsigned long long)pk->close.timestamp_end);
	c->last_ts = ts;
	c->records++;
	o->records++;
	return stored;
}

void oracle_packet(struct oracle *o, uint32_t cpu, const void *pkt, uint32_t len)
{
	const struct rt_packet *pk = pkt;
	struct oracle_cpu *c = &o->cpu[cpu];
	const struct rt_shm_header *h = o->bs->hdr;
	unsigned long long n = pk->open.packet_seq_num;

	o->packets++;
	c->packets++;
	CHECK(o, pk->open.magic == RT_CTF_MAGIC, "cpu %u packet %llu: magic %#x", cpu, n,
	      pk->open.magic);
	CHECK(o, memcmp(pk->open.uuid, h->uuid, 16) == 0, "cpu %u packet %llu: uuid differs", cpu, n);
	CHECK(o, pk->open.stream_id == h->stream_id, "cpu %u packet %llu: stream id %u", cpu, n,
	      pk->open.stream_id);
	CHECK(o, pk->open.stream_instance_id == cpu && pk->open.cpu_id == cpu,
	      "cpu %u packet %llu: instance %llu cpu_id %u", cpu, n,
	      (unsigned long long)pk->open.stream_instance_id, pk->open.cpu_id);
	CHECK(o, n == c->next_pkt_seq, "cpu %u: packet seq %llu, expected %llu", cpu, n,
	      (unsigned long long)c->next_pkt_seq);
	c->next_pkt_seq = n + 1;
	CHECK(o, pk->close.packet_size == o->bs->subbuf_size * 8, "cpu %u packet %llu: packet_size %llu",
	      cpu, n, (unsigned long long)pk->close.packet_size);
	uint64_t bits = pk->close.content_size;
	if (bits % 64 || bits < RT_PACKET_HEADER_LEN * 8 || bits > o->bs->subbuf_size * 8 ||
	    bits / 8 != len) {
		oracle_error(o, "cpu %u packet %llu: content_size %llu bits, read length %u", cpu, n,
			     (unsigned long long)bits, len);
		return;
	}
	CHECK(o, pk->open.timestamp_begin <= pk->close.timestamp_end,
	      "cpu %u packet %llu: begins %llu after it ends %llu", cpu, n,
	      (unsigned long long)pk->open.timestamp_begin,
	      (unsigned long long)pk->close.timestamp_end);
	CHECK(o, pk->open.timestamp_begin >= c->last_ts,
	      "cpu %u packet %llu: begins %llu before the previous packet's last time %llu", cpu, n,
	      (unsigned long long)pk->open.timestamp_begin, (unsigned long long)c->last_ts);
	c->last_ts = pk->open.timestamp_begin;
	CHECK(o, pk->close.events_discarded >= c->last_discarded,
	      "cpu %u packet %llu: events_discarded goes back %llu -> %llu", cpu, n,
	      (unsigned long long)c->last_discarded,
	      (unsigned long long)pk->close.events_discarded);
	c->last_discarded = pk->close.events_discarded;

	const char *p = (const char *)pkt + RT_PACKET_HEADER_LEN;
	const char *end = (const char *)pkt + len;
	while (p < end) {
		uint32_t l = check_record(o, cpu, pk, p, (uint32_t)(end - p));
		if (l == 0)
			break;
		p += l;
	}
	if (pk->close.timestamp_end > c->last_ts)
		c->last_ts = pk->close.timestamp_end;
}

uint64_t oracle_drain(struct oracle *o, uint32_t cpu)
{
	uint64_t n = 0;
	/* More than a buffer's worth in one call would mean the reader was
	 * overtaken; the bound keeps a broken buffer from holding us here. */
	uint64_t bound = 4 * (o->bs->buf_size / o->bs->subbuf_size);
	for (; n < bound; n++) {
		uint32_t len = 0;
		int r = rt_read_next(o->bs, cpu, o->pkt, &len);
		if (r == 0)
			break;
		if (r < 0) {
			oracle_error(o, "cpu %u: rt_read_next: %s", cpu, rt_strerror(r));
			if (r != RT_E_CORRUPT)
				break;
		} else {
			oracle_packet(o, cpu, o->pkt, len);
		}
		rt_read_release(o->bs, cpu, o->pkt);
	}
	return n;
}

void oracle_final(struct oracle *o)
{
	for (int round = 0; round < 8; round++) {
		int moved = 0;
		for (uint32_t cpu = 0; cpu < o->bs->nr_cpus; cpu++) {
			moved |= oracle_drain(o, cpu) > 0;
			/* The writers are joined: an mm_cid set's buffers
			 * are flushed without them. */
			int r = o->bs->index == RT_INDEX_CID ? rt_flush_idle(o->bs, cpu)
							     : rt_flush(o->bs, cpu);
			if (r < 0)
				oracle_error(o, "rt_flush(cpu %u): %s", cpu, rt_strerror(r));
			moved |= r == 1;
			moved |= oracle_drain(o, cpu) > 0;
		}
		if (!moved)
			return;
	}
	oracle_error(o, "flush and drain still find packets after 8 rounds");
}

void oracle_losses(struct oracle *o, struct loss *l)
{
	memset(l, 0, sizeof *l);
	for (uint32_t cpu = 0; cpu < o->bs->nr_cpus; cpu++) {
		struct rt_cpu_stats st;
		rt_cpu_stats(o->bs, cpu, &st);
		uint64_t lost = st.lost_full + st.lost_big + st.lost_abort + st.lost_invalid +
				st.lost_nobuf;
		l->full += st.lost_full;
		l->big += st.lost_big;
		l->abort += st.lost_abort;
		l->invalid += st.lost_invalid;
		l->nobuf += st.lost_nobuf;
		CHECK(o, o->cpu[cpu].last_discarded == lost,
		      "cpu %u: last packet reports %llu events discarded, counters say %llu", cpu,
		      (unsigned long long)o->cpu[cpu].last_discarded, (unsigned long long)lost);
		/* Drained and flushed: at most an empty open packet is left. */
		uint64_t in_sub = st.offset % o->bs->subbuf_size;
		CHECK(o, (in_sub == 0 || in_sub == RT_PACKET_HEADER_LEN) &&
			 st.consumed == st.offset - in_sub,
		      "cpu %u: after the final flush, consumed %llu, offset %llu", cpu,
		      (unsigned long long)st.consumed, (unsigned long long)st.offset);
	}
	l->total = l->full + l->big + l->abort + l->invalid + l->nobuf;
}
