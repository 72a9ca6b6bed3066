/* SPDX-License-Identifier: MIT */
/*
 * The record check (check.h): each record's end found by decoding it,
 * on the daemon's private copy, exactly as a CTF reader will.
 */
#include <string.h>

#include "ctf/check.h"
#include "ringbuf/packet.h"

/* Records are little-endian (packet.h) as the hosts are: loads, not a
 * byte loop, on the path every record takes. */
static uint64_t read_le(const uint8_t *p, unsigned n)
{
	_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "records are read in place");
	uint8_t v1;
	uint16_t v2;
	uint32_t v4;
	uint64_t v8;
	switch (n) {
	case 1: memcpy(&v1, p, 1); return v1;
	case 2: memcpy(&v2, p, 2); return v2;
	case 4: memcpy(&v4, p, 4); return v4;
	case 8: memcpy(&v8, p, 8); return v8;
	}
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static size_t align_up(size_t o, size_t a)
{
	return (o + a - 1) & ~(a - 1);
}

/* The first zero byte of the word w, as its index, or 8 if none: the
 * lowest byte whose "has a zero" bit is set is the first zero (borrows
 * only reach bytes above it). */
static inline unsigned first_zero(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t zero = (w - ones) & ~w & highs;
	return zero ? (unsigned)__builtin_ctzll(zero) >> 3 : 8;
}

/* Strings longer than a word: the next 24 bytes a word at a time, longer
 * ones by memchr. Out of line, the first word is tried inline. */
static size_t __attribute__((noinline)) string_end_long(const uint8_t *rec, size_t pos, size_t avail)
{
	for (int n = 0; n < 3 && avail - pos >= 8; n++, pos += 8) {
		uint64_t w;
		memcpy(&w, rec + pos, 8);
		unsigned z = first_zero(w);
		if (z < 8)
			return pos + z + 1;
	}
	if (pos >= avail)
		return 0;
	const uint8_t *nul = memchr(rec + pos, 0, avail - pos);
	return nul ? (size_t)(nul - rec) + 1 : 0;
}

/* Just past the NUL of the string at rec[pos, avail) (pos <= avail), or 0
 * if there is none. Strings in records are mostly short: one word. */
static inline size_t string_end(const uint8_t *rec, size_t pos, size_t avail)
{
	if (__builtin_expect(avail - pos >= 8, 1)) {
		uint64_t w;
		memcpy(&w, rec + pos, 8);
		unsigned z = first_zero(w);
		if (__builtin_expect(z < 8, 1))
			return pos + z + 1;
		pos += 8;
	}
	return string_end_long(rec, pos, avail);
}

size_t ctf_string_end(const uint8_t *rec, size_t pos, size_t avail)
{
	return string_end(rec, pos, avail);
}

/* The fields after the fixed prefix, any kind: record_end's general case. */
static size_t __attribute__((noinline)) var_fields_end(const struct ctf_ev *ev, const uint8_t *rec,
						       size_t pos, size_t avail)
{
	for (uint32_t i = ev->first_var; i < ev->nr; i++) {
		const struct ctf_fl *f = &ev->f[i];
		switch (f->kind) {
		case RSEQTRACE_FIELD_STRING:
			pos = string_end(rec, pos, avail);
			if (!pos)
				return 0;
			break;
		case RSEQTRACE_FIELD_SEQUENCE: {
			pos = align_up(pos, f->lsize);
			if (pos + f->lsize > avail)
				return 0;
			uint64_t n = read_le(rec + pos, f->lsize);
			pos = align_up(pos + f->lsize, f->esize);
			if (pos > avail || n > (avail - pos) / f->esize)
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
		if (pos > avail)
			return 0;
	}
	return pos;
}

/* The exact end of the staged record rec[0, avail) of event ev (record.h),
 * or 0 if its payload does not decode within avail. The common shapes
 * first: fixed, or a fixed prefix then strings only (no per-field switch). */
static inline size_t record_end(const struct ctf_ev *ev, const uint8_t *rec, size_t avail)
{
	if (ev->fixed)
		return ev->exact_len <= avail ? ev->exact_len : 0;
	size_t pos = ev->var_start;
	if (pos > avail)
		return 0;
	if (!ev->tail_strings)
		return var_fields_end(ev, rec, pos, avail);
	for (uint32_t n = ev->tail_strings; n; n--) {
		pos = string_end(rec, pos, avail);
		if (!pos)
			return 0;
	}
	return pos;
}

/*
 * The record at p[at, len) (ringbuf/packet.h): its event, timestamp and
 * where its staged form starts, or NULL if its header does not fit or
 * names no declared event. A compact timestamp is rebuilt as CTF readers
 * do: the smallest value >= prev whose low bits match. The compact form
 * is the staged record less its first 8 bytes, so offsets count from
 * at - 8 then (at >= 8 always: runs start after a packet header; those 8
 * bytes are never read, the payload starts after the header).
 */
static inline const struct ctf_ev *header(const struct ctf_stream_class *cls, const uint8_t *p,
					  size_t at, size_t len, uint64_t prev, uint64_t *ts,
					  size_t *origin)
{
	if (len - at < 4)
		return NULL;
	uint32_t word = (uint32_t)read_le(p + at, 4), id;
	if (__builtin_expect((word & RT_EH_EXTENDED) != RT_EH_EXTENDED, 1)) {
		id = word & RT_EH_EXTENDED;
		uint64_t t = (prev & ~(uint64_t)RT_EH_TS_MASK) | (word >> RT_EH_ID_BITS);
		*ts = t < prev ? t + RT_EH_TS_MASK + 1 : t;
		*origin = at - RT_EH_COMPACT_SKIP;
	} else { /* one a packet, or after a long gap */
		if (len - at < RT_EH_ROOM)
			return NULL;
		id = word >> RT_EH_ID_BITS;
		*ts = read_le(p + at + 4, 8);
		*origin = at;
	}
	return id < cls->nr_events ? cls->ev[id] : NULL;
}

int ctf_decode(const struct ctf_stream_class *cls, const uint8_t *p, size_t at, size_t len,
	       uint64_t prev, struct rec_view *r)
{
	size_t origin = at;
	const struct ctf_ev *ev = header(cls, p, at, len, prev, &r->ts, &origin);
	size_t end = ev ? record_end(ev, p + origin, len - origin) : 0;
	r->end = origin + end;
	return end != 0;
}

/*
 * Records carry no length: stops at the first record that the metadata
 * could not decode or whose timestamp is before the previous one or after
 * `now`, nothing after it can be delimited.
 */
size_t ctf_walk(const struct ctf_stream_class *cls, const uint8_t *pkt, size_t from, size_t len,
		uint64_t base, uint64_t now, struct walk_result *w)
{
	size_t at = from, last_end = from;
	volatile size_t step = 0;
	uint64_t prev = base, events = 0;
	int cut = 0;
	while (at < len) {
		uint64_t ts;
		size_t origin, end;
		const struct ctf_ev *ev = header(cls, pkt, at, len, prev, &ts, &origin);
		if (!ev || ts < prev || ts > now ||
		    !(end = record_end(ev, pkt + origin, len - origin))) {
			cut = 1;
			break;
		}
		prev = ts;
		last_end = origin + end;
		/* Where the next record starts depends on this one's last
		 * string, a chain of loads from record to record. Records of
		 * a run mostly have the size of the one before: when this one
		 * does, `at += step` (step read through a volatile, so the
		 * compiler cannot fold it into `at = next`) lets the CPU
		 * predict the branch and start on the next record before this
		 * one's string is scanned. Either way at = next. */
		size_t next = align_up(last_end, 8);
		if (__builtin_expect(next - at == step, 1)) {
			at += step;
		} else {
			step = next - at;
			at = next;
		}
		events++;
	}
	w->events = events;
	w->last_ts = prev;
	w->cut = cut;
	return last_end;
}
