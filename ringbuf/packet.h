/* SPDX-License-Identifier: MIT */
/*
 * The binary layout of one CTF packet and of the event header, exactly as
 * the writers put it in shared memory and the consumer copies it to disk.
 * The CTF metadata (ctf/) describes these structs field by field:
 * change one, change the other, and bump RT_LAYOUT_VERSION in layout.h.
 *
 * A sub-buffer is one packet:
 *
 *   0        4                  20        24            32
 *   +--------+------------------+---------+-------------+
 *   | magic  | uuid[16]         |stream_id| instance_id |   packet header
 *   +--------+------------------+---------+-------------+
 *   | timestamp_begin | packet_seq_num | cpu_id | pad   |   packet context,
 *   +-----------------+----------------+--------+-------+   written at open
 *   | timestamp_end | content_size | packet_size | events_discarded |
 *   +---------------+--------------+-------------+------------------+
 *   |                                 written at close (one copy)   |
 *   | event | event | ...                       | unused ...        |
 *   +-------+-------+---------------------------+-------------------+
 *   ^ packet start      content_size (bits) ----^  packet_size -----^
 *
 * All fields are native-endian (little-endian on x86-64 and aarch64) and
 * naturally aligned, so the CTF description needs no padding fields.
 */
#ifndef RT_PACKET_H
#define RT_PACKET_H

#include <stdint.h>

#define RT_CTF_MAGIC 0xC1FC1FC1u

/* Fields written when a packet is opened. */
struct rt_packet_open {
	uint32_t magic;
	uint8_t uuid[16];
	uint32_t stream_id;
	uint64_t stream_instance_id; /* the CPU number */
	uint64_t timestamp_begin;
	uint64_t packet_seq_num;
	uint32_t cpu_id;
	uint32_t pad;
};

/* Fields written when a packet is closed: contiguous, so one copy does it. */
struct rt_packet_close {
	uint64_t timestamp_end;
	uint64_t content_size;     /* bits, header included */
	uint64_t packet_size;      /* bits, the whole sub-buffer */
	uint64_t events_discarded; /* cumulative per stream (CTF snapshot) */
};

struct rt_packet {
	struct rt_packet_open open;
	struct rt_packet_close close;
};

#define RT_PACKET_HEADER_LEN ((uint32_t)sizeof(struct rt_packet))

/*
 * Every record begins with an event header in one of two forms, one
 * little-endian 32-bit word w first (CTF: a 5-bit id, then a variant):
 *
 *   compact   w = id | ts27 << 5        id 0..30, ts27 = timestamp mod 2^27
 *   extended  w = 31 | id << 5, then the u64 timestamp at offset 4
 *
 * 4 or 12 bytes: both end at 4 mod 8 from the record's 8-aligned start,
 * so what follows is laid out the same in both. A writer stages the
 * extended form (RT_EVENT_HEADER_LEN bytes of room, the word set with
 * rt_event_word) and commits the compact one, when it is safe, by
 * copying from 8 bytes in (layout.h, I7). A consumer decodes a compact
 * timestamp as CTF does: the smallest value not before the previous
 * event's timestamp (or the packet's timestamp_begin) with those low bits.
 */
#define RT_EV_EXTENDED 31u
#define RT_EV_TS_BITS 27u
#define RT_EV_TS_RANGE (1ull << RT_EV_TS_BITS)
#define RT_EV_MAX_ID ((1u << 27) - 1)
#define RT_EVENT_HEADER_LEN 12u /* the staged (extended) form */
#define RT_EV_COMPACT_SKIP 8u   /* the compact form starts this far into it */

/* The staged first word for event id (at most RT_EV_MAX_ID). */
static inline uint32_t rt_event_word(uint32_t id)
{
	return id << 5 | RT_EV_EXTENDED;
}

/* Decodes the header at p (avail bytes readable there) after an event or
 * packet stamped prev. Returns the header's length, 4 or 12, and sets *id
 * and *ts; 0 when avail is too short. */
static inline uint32_t rt_event_decode(const void *p, uint64_t avail, uint64_t prev,
				       uint32_t *id, uint64_t *ts)
{
	uint32_t w;
	if (avail < 4)
		return 0;
	__builtin_memcpy(&w, p, 4);
	if ((w & RT_EV_EXTENDED) != RT_EV_EXTENDED) {
		uint64_t t = (prev & ~(RT_EV_TS_RANGE - 1)) | (w >> 5);
		*id = w & RT_EV_EXTENDED;
		*ts = t < prev ? t + RT_EV_TS_RANGE : t;
		return 4;
	}
	if (avail < RT_EVENT_HEADER_LEN)
		return 0;
	*id = w >> 5;
	__builtin_memcpy(ts, (const char *)p + 4, 8);
	return RT_EVENT_HEADER_LEN;
}

_Static_assert(sizeof(struct rt_packet_open) == 56, "packet open layout");
_Static_assert(sizeof(struct rt_packet_close) == 32, "packet close layout");
_Static_assert(sizeof(struct rt_packet) % 8 == 0, "records stay 8-aligned");

#endif
