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

/* Just past the NUL of the string at rec[pos, avail) (pos <= avail), or 0
 * if there is none. Strings in records are mostly short: the first 32
 * bytes a word at a time, longer ones by memchr. */
size_t ctf_string_end(const uint8_t *rec, size_t pos, size_t avail)
{
	for (int n = 0; n < 4 && avail - pos >= 8; n++, pos += 8) {
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

/* The exact end of the staged record rec[0, avail) of event ev (record.h),
 * or 0 if its payload does not decode within avail. */
static size_t record_end(const struct ctf_ev *ev, const uint8_t *rec, size_t avail)
{
	if (ev->fixed)
		return ev->exact_len <= avail ? ev->exact_len : 0;
	size_t pos = ev->var_start;
	if (pos > avail)
		return 0;
	for (uint32_t i = ev->first_var; i < ev->nr; i++) {
		const struct ctf_fl *f = &ev->f[i];
		switch (f->kind) {
		case RSEQTRACE_FIELD_STRING:
			pos = ctf_string_end(rec, pos, avail);
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

/* The compact timestamp in word rebuilt as CTF readers do: the smallest
 * value >= prev whose low bits match. */
static inline uint64_t compact_ts(uint32_t word, uint64_t prev)
{
	uint64_t t = (prev & ~(uint64_t)RT_EH_TS_MASK) | (word >> RT_EH_ID_BITS);
	return t < prev ? t + RT_EH_TS_MASK + 1 : t;
}

/*
 * The record at p[at, len) (ringbuf/packet.h), any form and shape: 1 if
 * its header names a declared event and its payload decodes within len.
 * The compact form is the staged record less its first 8 bytes, so
 * offsets count from at - 8 then (at >= 8 always: runs start after a
 * packet header; those 8 bytes are never read, the payload starts after
 * the header).
 */
static int __attribute__((noinline)) decode(const struct ctf_stream_class *cls, const uint8_t *p,
					    size_t at, size_t len, uint64_t prev, struct rec_view *r)
{
	if (len - at < 4)
		return 0;
	uint32_t word = (uint32_t)read_le(p + at, 4), id;
	size_t origin;
	if ((word & RT_EH_EXTENDED) != RT_EH_EXTENDED) {
		id = word & RT_EH_EXTENDED;
		r->ts = compact_ts(word, prev);
		origin = at - RT_EH_COMPACT_SKIP;
	} else {
		if (len - at < RT_EH_ROOM)
			return 0;
		id = word >> RT_EH_ID_BITS;
		r->ts = read_le(p + at + 4, 8);
		origin = at;
	}
	const struct ctf_ev *ev = id < cls->nr_events ? cls->ev[id] : NULL;
	size_t end = ev ? record_end(ev, p + origin, len - origin) : 0;
	r->end = origin + end;
	return end != 0;
}

int ctf_decode(const struct ctf_stream_class *cls, const uint8_t *p, size_t at, size_t len,
	       uint64_t prev, struct rec_view *r)
{
	return decode(cls, p, at, len, prev, r);
}

/*
 * The end of the staged record rec[0, avail) of ev when it has a common
 * shape and every string ends in its first word: fixed, or a fixed prefix
 * then strings only (tail_strings), no per-field switch. 0: anything else,
 * for decode() to settle (never a verdict: the short way only accepts).
 */
static inline size_t short_end(const struct ctf_ev *ev, const uint8_t *rec, size_t avail)
{
	if (ev->fixed)
		return ev->exact_len <= avail ? ev->exact_len : 0;
	size_t pos = ev->var_start;
	uint32_t n = ev->tail_strings;
	if (!n)
		return 0;
	do {
		if (pos + 8 > avail)
			return 0;
		uint64_t w;
		memcpy(&w, rec + pos, 8);
		unsigned z = first_zero(w);
		if (z == 8)
			return 0;
		pos += z + 1;
	} while (--n);
	return pos;
}

/*
 * Records carry no length: stops at the first record that the metadata
 * could not decode or whose timestamp is before the previous one or after
 * `now`, nothing after it can be delimited. The common record (compact
 * header, common shape) is checked in line, any other by decode().
 */
size_t ctf_walk(const struct ctf_stream_class *cls, const uint8_t *pkt, size_t from, size_t len,
		uint64_t base, uint64_t now, struct walk_result *w)
{
	struct ctf_ev *const *evs = cls->ev;
	uint32_t nr_events = cls->nr_events;
	size_t at = from, last_end = from;
	volatile size_t step = 0;
	uint64_t prev = base, events = 0;
	int cut = 0;
	while (at < len) {
		uint64_t ts;
		size_t end = 0;
		uint32_t word, id;
		if (__builtin_expect(len - at >= 4, 1)) {
			word = (uint32_t)read_le(pkt + at, 4);
			id = word & RT_EH_EXTENDED;
			if (id != RT_EH_EXTENDED && id < nr_events && evs[id]) {
				size_t origin = at - RT_EH_COMPACT_SKIP;
				end = short_end(evs[id], pkt + origin, len - origin);
				end = end ? origin + end : 0;
				ts = compact_ts(word, prev);
			}
		}
		if (__builtin_expect(!end, 0)) {
			struct rec_view r;
			if (!decode(cls, pkt, at, len, prev, &r)) {
				cut = 1;
				break;
			}
			ts = r.ts;
			end = r.end;
		}
		if (ts < prev || ts > now) {
			cut = 1;
			break;
		}
		prev = ts;
		last_end = end;
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
