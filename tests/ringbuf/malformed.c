/* SPDX-License-Identifier: MIT */
/*
 * Records shorter than their event header, or of a length that is not a
 * multiple of 8, handed to every write path (rt_write, rt_write_slow,
 * rt_write_locked): each must be refused with RT_E_INVAL and counted as
 * lost_invalid on the writer's CPU, must leave the buffer's offset where
 * it was, and must not be touched past its end (rt_write stores the
 * timestamp at bytes 8..15 of a record). The valid records around them
 * read back intact, and the last packet reports the refused ones as
 * discarded.
 *
 *   rb_malformed rseq|locked
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "expect.h"


enum path { VIA_WRITE, VIA_SLOW, VIA_LOCKED };
static const char *const path_name[] = { "rt_write", "rt_write_slow", "rt_write_locked" };

static int write_via(enum path p, struct rt_bufset *bs, void *rec, uint32_t len)
{
	switch (p) {
	case VIA_WRITE: return rt_write(bs, rec, len);
	case VIA_SLOW: return rt_write_slow(bs, rec, len);
	case VIA_LOCKED: return rt_write_locked(bs, rec, len);
	}
	return 0;
}

static uint64_t total_invalid(const struct rt_bufset *bs)
{
	uint64_t n = 0;
	for (uint32_t c = 0; c < bs->nr_cpus; c++) {
		struct rt_cpu_stats st;
		rt_cpu_stats(bs, c, &st);
		n += st.lost_invalid;
	}
	return n;
}

static uint64_t total_offset(const struct rt_bufset *bs)
{
	uint64_t n = 0;
	for (uint32_t c = 0; c < bs->nr_cpus; c++)
		n += __atomic_load_n(&bs->ctl[c].w.offset, __ATOMIC_RELAXED);
	return n;
}

/* One malformed record of len bytes, followed in memory by a canary. */
static void try_malformed(struct rt_bufset *bs, enum path p, uint32_t len, uint64_t *refused)
{
	union {
		struct rt_event_header h;
		unsigned char b[64];
	} buf;
	memset(buf.b, 0xA5, sizeof buf.b); /* the id too: len may not even cover it */
	uint64_t off = total_offset(bs), inv = total_invalid(bs);
	int r = write_via(p, bs, &buf, len);
	EXPECT(r == RT_E_INVAL, "%s(len %u) returned %d (%s), not RT_E_INVAL", path_name[p], len, r,
	       rt_strerror(r));
	EXPECT(total_offset(bs) == off, "%s(len %u) moved the offset by %llu bytes", path_name[p],
	       len, (unsigned long long)(total_offset(bs) - off));
	EXPECT(total_invalid(bs) == inv + 1, "%s(len %u): lost_invalid went from %llu to %llu",
	       path_name[p], len, (unsigned long long)inv, (unsigned long long)total_invalid(bs));
	int touched = 0;
	for (uint32_t i = len; i < sizeof buf.b; i++)
		touched += buf.b[i] != 0xA5;
	EXPECT(!touched, "%s(len %u) wrote %d bytes past the record's end", path_name[p], len,
	       touched);
	*refused += total_invalid(bs) - inv;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2 || (strcmp(argv[1], "rseq") && strcmp(argv[1], "locked")))
		die("usage: rb_malformed rseq|locked");
	int locked = !strcmp(argv[1], "locked");
	if (!locked && !rt_rseq_usable())
		die("rseq is not usable here: the rseq case cannot run");
	/* One CPU: every record and every drop on the same buffer. */
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof one, &one);

	struct rt_params par = { .subbuf_size = 4096, .num_subbuf = 4,
				 .mode = locked ? RT_MODE_LOCKED : RT_MODE_RSEQ };
	struct rt_bufset bs;
	char err[256] = "";
	if (rt_bufset_create(&par, &bs, err, sizeof err) != RT_OK)
		die("rt_bufset_create: %s", err);
	struct oracle o;
	if (oracle_init(&o, &bs, 1, 1000) != 0)
		die("oracle_init");

	static const uint32_t bad_lens[] = { 0, 8, 4, 12, 20, 44 };
	enum path paths[3] = { VIA_WRITE, VIA_SLOW, VIA_LOCKED };
	int npaths = locked ? 3 : 2; /* rt_write_locked refuses an rseq set (RT_E_MODE) */
	uint64_t refused = 0, seq = 0, written = 0;
	uint64_t rec[8];
	for (int p = 0; p < npaths; p++) {
		for (size_t i = 0; i < sizeof bad_lens / sizeof bad_lens[0]; i++) {
			rec_build(rec, 0, seq, 48);
			EXPECT(rt_write(&bs, rec, 48) == RT_OK, "valid record %llu not written",
			       (unsigned long long)seq);
			seq++;
			written++;
			try_malformed(&bs, paths[p], bad_lens[i], &refused);
		}
	}
	rec_build(rec, 0, seq, 48);
	EXPECT(rt_write(&bs, rec, 48) == RT_OK, "last valid record not written");
	written++;

	oracle_final(&o);
	struct loss l;
	oracle_losses(&o, &l);
	printf("%s: %llu valid records written, %llu read; %llu malformed refused, "
	       "lost_invalid %llu, total lost %llu\n", argv[1], (unsigned long long)written,
	       (unsigned long long)o.records, (unsigned long long)refused,
	       (unsigned long long)l.invalid, (unsigned long long)l.total);
	EXPECT(o.errors == 0, "the buffer does not check: %s", o.first_error);
	EXPECT(o.records == written, "wrote %llu valid records, read %llu",
	       (unsigned long long)written, (unsigned long long)o.records);
	uint64_t expected = (uint64_t)npaths * (sizeof bad_lens / sizeof bad_lens[0]);
	EXPECT(l.invalid == expected && l.total == expected,
	       "%llu malformed records, lost_invalid %llu, all causes %llu",
	       (unsigned long long)expected, (unsigned long long)l.invalid,
	       (unsigned long long)l.total);
	oracle_fini(&o);
	rt_bufset_unmap(&bs);
	printf("%s\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}
