/* SPDX-License-Identifier: MIT */
/*
 * The record check (ctf/check.c) against records built here:
 *  - ctf_string_end at every start, NUL position and length around word
 *    boundaries, the buffer ending at a PROT_NONE page: a read past
 *    `avail` faults;
 *  - ctf_walk over a run of records of every shape the checker knows
 *    (fixed, fixed prefix then strings, strings then fixed, sequence;
 *    compact and extended headers; sizes changing from record to record),
 *    cut at every length: exactly the records that end within it, cut
 *    when one starts within it and does not; and hostile records (no NUL,
 *    undeclared id, time going back or after `now`) cut the run there.
 * Usage: rt_ctf_check DIR (a scratch directory for the trace's metadata).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ctf/check.h"
#include "ctf/ctf_int.h"
#include "eventdesc/desc_wire.h"
#include "ringbuf/packet.h"
#include "tests/check.h"

static size_t page;
static uint8_t *guarded; /* room: 3 pages, then a PROT_NONE one */
static size_t room;

/* n bytes ending where the PROT_NONE page starts. */
static uint8_t *at_guard(const void *src, size_t n)
{
	uint8_t *p = guarded + room - n;
	memcpy(p, src, n);
	return p;
}

static void test_string_end(void)
{
	uint8_t buf[160];
	for (size_t avail = 0; avail <= 100; avail++)
		for (size_t pos = 0; pos <= avail; pos++)
			for (size_t nul = pos; nul <= avail; nul++) { /* avail: none */
				memset(buf, 'x', avail);
				if (pos)
					buf[pos - 1] = 0; /* before the string: never seen */
				if (nul < avail)
					buf[nul] = 0;
				const uint8_t *p = at_guard(buf, avail);
				size_t want = nul < avail ? nul + 1 : 0;
				size_t got = ctf_string_end(p, pos, avail);
				CHECK(got == want, "string_end(pos %zu, avail %zu, nul %zu) = %zu, not %zu",
				      pos, avail, nul, got, want);
			}
}

/* ---- records ---------------------------------------------------------------- */

enum { EV_INT_STR, EV_INT, EV_STR_STR, EV_STR_INT, EV_SEQ, NR_EV };

static struct rt_field int32_field(const char *name)
{
	return (struct rt_field){ .name = (char *)name, .kind = RSEQTRACE_FIELD_INTEGER,
				  .elem = { .size = 4, .base = 10, .is_signed = 1 } };
}

static struct rt_field string_field(const char *name)
{
	return (struct rt_field){ .name = (char *)name, .kind = RSEQTRACE_FIELD_STRING,
				  .elem = { .size = 1, .base = 10, .encoding = 1 } };
}

static struct rt_field seq_field(const char *name)
{
	return (struct rt_field){ .name = (char *)name, .kind = RSEQTRACE_FIELD_SEQUENCE,
				  .elem = { .size = 1, .base = 10 },
				  .length = { .size = 2, .base = 10 } };
}

static void add_event(struct ctf_trace *t, uint32_t id, const char *name, struct rt_field *f,
		      uint32_t n)
{
	struct rt_desc d = { .provider = "t", .event = (char *)name, .name = (char *)name,
			     .signature = "", .loglevel = 13, .nr_fields = n, .fields = f };
	int r = ctf_trace_add_event(t, 0, id, &d);
	CHECK(r == 0, "add event %s: %d", name, r);
}

struct built {
	uint8_t buf[8192]; /* within `room` */
	size_t from, len;        /* records at buf[from, len) */
	size_t at[200], end[200]; /* where each record starts (header) and ends exactly */
	uint64_t ts[200];
	uint32_t id[200];
	int n;
};

static size_t align8(size_t o)
{
	return (o + 7) & ~(size_t)7;
}

static void put_str(struct built *b, size_t *pos, size_t n, char c)
{
	memset(b->buf + *pos, c, n);
	b->buf[*pos + n] = 0;
	*pos += n + 1;
}

static void put_u32(struct built *b, size_t *pos, uint32_t v)
{
	*pos = (*pos + 3) & ~(size_t)3;
	memcpy(b->buf + *pos, &v, 4);
	*pos += 4;
}

/* Appends a record of event id at the next 8-aligned offset, its string
 * lengths (and sequence length) slen. */
static void add_record(struct built *b, const struct ctf_stream_class *cls, uint32_t id,
		       int extended, uint64_t ts, size_t slen)
{
	size_t at = b->n ? align8(b->end[b->n - 1]) : b->from;
	size_t origin = extended ? at : at - RT_EH_COMPACT_SKIP;
	uint32_t word = extended ? rt_eh_extended(id) : id | (uint32_t)(ts & RT_EH_TS_MASK) << RT_EH_ID_BITS;
	memcpy(b->buf + at, &word, 4);
	if (extended)
		memcpy(b->buf + at + 4, &ts, 8);
	size_t pos = origin + cls->ev[id]->payload_start;
	switch (id) {
	case EV_INT_STR: put_u32(b, &pos, 7); put_str(b, &pos, slen, 'a'); break;
	case EV_INT: put_u32(b, &pos, 8); break;
	case EV_STR_STR: put_str(b, &pos, slen, 'b'); put_str(b, &pos, slen / 2, 'c'); break;
	case EV_STR_INT: put_str(b, &pos, slen, 'd'); put_u32(b, &pos, 9); break;
	case EV_SEQ: {
		uint16_t n = (uint16_t)slen;
		pos = (pos + 1) & ~(size_t)1;
		memcpy(b->buf + pos, &n, 2);
		pos += 2;
		memset(b->buf + pos, 'e', slen);
		pos += slen;
		break;
	}
	}
	b->at[b->n] = at;
	b->end[b->n] = pos;
	b->ts[b->n] = ts;
	b->id[b->n] = id;
	b->n++;
	b->len = pos;
}

/* Records of every shape, sizes changing now and then (the walk predicts
 * each record's size from the one before), a few extended headers. */
static void build(struct built *b, const struct ctf_stream_class *cls)
{
	memset(b, 0, sizeof *b);
	b->from = 64;
	uint64_t ts = 1000;
	unsigned seed = 1;
	for (int i = 0; i < 120; i++) {
		seed = seed * 1103515245u + 12345u;
		uint32_t id = i < 40 ? EV_INT_STR : (seed >> 16) % NR_EV;
		size_t slen = i < 20 ? 5 : (seed >> 8) % 23;
		ts += (seed >> 4) % 50;
		add_record(b, cls, id, i == 0 || i % 37 == 0, ts, slen);
	}
}

static void walk_at_every_length(const struct ctf_stream_class *cls)
{
	static struct built b;
	build(&b, cls);
	for (size_t len = b.from; len <= b.len; len++) {
		int k = 0;
		while (k < b.n && b.end[k] <= len)
			k++;
		size_t want_end = k ? b.end[k - 1] : b.from;
		int want_cut = k < b.n && b.at[k] < len;
		const uint8_t *p = at_guard(b.buf, len);
		struct walk_result w;
		size_t end = ctf_walk(cls, p, b.from, len, 999, UINT64_MAX, &w);
		CHECK(end == want_end && w.events == (uint64_t)k && w.cut == want_cut &&
			      w.last_ts == (k ? b.ts[k - 1] : 999),
		      "walk to %zu: end %zu events %llu cut %d, not %zu %d %d", len, end,
		      (unsigned long long)w.events, w.cut, want_end, k, want_cut);
	}
}

/* The run is cut at record k, made hostile by spoil: k records are good. */
static void walk_cut_at(const struct ctf_stream_class *cls, int k, uint64_t now,
			void (*spoil)(struct built *, int), const char *what)
{
	static struct built b;
	build(&b, cls);
	if (spoil)
		spoil(&b, k);
	struct walk_result w;
	size_t end = ctf_walk(cls, at_guard(b.buf, b.len), b.from, b.len, 999, now, &w);
	CHECK(w.cut && w.events == (uint64_t)k && end == b.end[k - 1] && w.last_ts == b.ts[k - 1],
	      "%s at %d: events %llu cut %d end %zu", what, k, (unsigned long long)w.events, w.cut, end);
}

/* Record k's strings (it has some) and everything after it lose their NULs. */
static void no_nul(struct built *b, int k)
{
	memset(b->buf + b->at[k] + 4, 'z', b->len - b->at[k] - 4);
}

static void undeclared(struct built *b, int k)
{
	uint32_t word;
	memcpy(&word, b->buf + b->at[k], 4);
	word = (word & ~RT_EH_EXTENDED) | (NR_EV + 3);
	memcpy(b->buf + b->at[k], &word, 4);
}

static void back_in_time(struct built *b, int k)
{
	/* record 74 has an extended header (74 % 37 == 0) */
	uint64_t ts = b->ts[k - 1] - 1;
	memcpy(b->buf + b->at[k] + 4, &ts, 8);
}

static void test_walk(const char *dir)
{
	struct ctf_trace_config cfg = { .path = dir, .trace_name = "check", .procname = "check" };
	struct ctf_trace *t;
	char err[256];
	if (ctf_trace_create(&cfg, &t, err, sizeof err) != 0) {
		CHECK(0, "ctf_trace_create: %s", err);
		return;
	}
	CHECK(ctf_trace_add_stream_class(t, 0, 0) == 0, "stream class");
	struct rt_field int_str[] = { int32_field("x"), string_field("s") };
	struct rt_field int_only[] = { int32_field("x") };
	struct rt_field str_str[] = { string_field("s"), string_field("u") };
	struct rt_field str_int[] = { string_field("s"), int32_field("x") };
	struct rt_field seq[] = { seq_field("q") };
	add_event(t, EV_INT_STR, "int_str", int_str, 2);
	add_event(t, EV_INT, "int", int_only, 1);
	add_event(t, EV_STR_STR, "str_str", str_str, 2);
	add_event(t, EV_STR_INT, "str_int", str_int, 2);
	add_event(t, EV_SEQ, "seq", seq, 1);
	const struct ctf_stream_class *cls = ctf_find_class(t, 0);
	CHECK(cls && cls->nr_events >= NR_EV, "class");
	if (!cls || cls->nr_events < NR_EV)
		return;
	/* The shapes the checker takes its short ways for. */
	CHECK(cls->ev[EV_INT]->fixed, "int: fixed");
	CHECK(cls->ev[EV_INT_STR]->tail_strings == 1, "int_str: 1 tail string");
	CHECK(cls->ev[EV_STR_STR]->tail_strings == 2, "str_str: 2 tail strings");
	CHECK(cls->ev[EV_STR_INT]->tail_strings == 0, "str_int: general");
	CHECK(cls->ev[EV_SEQ]->tail_strings == 0, "seq: general");

	walk_at_every_length(cls);
	static struct built b;
	build(&b, cls);
	for (int k = 1; k < b.n; k++)
		if (b.id[k] != EV_INT && b.id[k] != EV_SEQ)
			walk_cut_at(cls, k, UINT64_MAX, no_nul, "no NUL");
	for (int k = 1; k < b.n; k += 5)
		walk_cut_at(cls, k, UINT64_MAX, undeclared, "undeclared id");
	walk_cut_at(cls, 74, UINT64_MAX, back_in_time, "time going back");
	for (int k = 1; k < b.n; k += 11)
		if (b.ts[k] > b.ts[k - 1])
			walk_cut_at(cls, k, b.ts[k] - 1, NULL, "after now");
	ctf_trace_close(t);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	page = (size_t)sysconf(_SC_PAGESIZE);
	room = 3 * page;
	guarded = mmap(NULL, room + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (guarded == MAP_FAILED || mprotect(guarded + room, page, PROT_NONE) != 0) {
		perror("mmap");
		return 1;
	}
	test_string_end();
	char dir[4096];
	snprintf(dir, sizeof dir, "%s/check-trace-%d", argv[1], (int)getpid());
	test_walk(dir);
	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	else
		printf("ok\n");
	return failures != 0;
}
