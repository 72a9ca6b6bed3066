/* SPDX-License-Identifier: MIT */
/*
 * The record check: records carry no length (ringbuf/packet.h, layout.h
 * I7), so the daemon finds each one's end by decoding it against the
 * event's description, on its private copy; what does not decode, or
 * whose timestamp goes back or lies after `now`, cuts the run (stream.c,
 * docs/design.md §10). Private to the CTF writer.
 */
#ifndef RT_CTF_CHECK_H
#define RT_CTF_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "ctf/ctf_int.h"

/* A record as decoded: its timestamp and where it ends exactly. */
struct rec_view {
	uint64_t ts;
	size_t end;
};

/* What a walk found: good records, the last one's timestamp (the base if
 * none), and whether it stopped at a record it could not trust. */
struct walk_result {
	uint64_t events;
	uint64_t last_ts;
	int cut;
};

/* Just past the NUL of the string at rec[pos, avail), or 0 if there is
 * none; reads nothing at or past avail. */
size_t ctf_string_end(const uint8_t *rec, size_t pos, size_t avail);

/* Decodes the record at p[at, len): 1 if its header names a declared
 * event and its payload decodes within len, with its timestamp rebuilt
 * from prev. Under the trace lock (registrations grow cls->ev). */
int ctf_decode(const struct ctf_stream_class *cls, const uint8_t *p, size_t at, size_t len,
	       uint64_t prev, struct rec_view *r);

/* Walks the records at pkt[from, len) from the timestamp base; returns the
 * exact end of the last good record. Under the trace lock. */
size_t ctf_walk(const struct ctf_stream_class *cls, const uint8_t *pkt, size_t from, size_t len,
		uint64_t base, uint64_t now, struct walk_result *w);

#endif
