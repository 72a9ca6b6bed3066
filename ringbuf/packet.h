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
 * Every record begins with an event header in one of two forms (CTF: a
 * 5-bit enum tag `id` and a variant on it, ctf/trace.c), as LTTng's
 * compact header:
 *
 *   compact    u32 { id:5 (0..30), ts:27 (the timestamp's low 27 bits) }
 *   extended   u32 { 31:5, id:27 }, u64 timestamp (at byte 4)
 *
 * and records start 8-aligned. A reader rebuilds a compact timestamp as
 * the smallest value at or after the previous event's (or the packet's
 * timestamp_begin) whose low 27 bits match, so a writer uses the compact
 * form only when ts - timestamp_begin of the open packet < 2^27, and not
 * for the packet's first record (layout.h, I7): every event of the packet
 * lies in [timestamp_begin, ts], so the gap from any of them is smaller
 * still.
 *
 * Writers stage a record with RT_EH_ROOM bytes of header room in front of
 * the contexts; word 0 holds rt_eh_extended(id), set by the caller. Both
 * forms end at an offset = 4 (mod 8), so everything after the header has
 * the same alignment in both: the extended form is the staged record
 * whole, the compact one its last len - 8 bytes, with the compact word
 * stored at byte 8. rt_write() picks the form and stores the timestamp;
 * neither store changes word 0, so a retry stages the same record.
 */
struct rt_event_header {
	uint32_t word;     /* rt_eh_extended(id) */
	uint32_t ts[2];    /* room: the extended timestamp, or the compact word in ts[1] */
};

#define RT_EH_ROOM ((uint32_t)sizeof(struct rt_event_header)) /* 12 */
#define RT_EH_COMPACT_SKIP 8u /* the compact form starts this far into the staged record */
#define RT_EH_ID_BITS 5
#define RT_EH_EXTENDED 31u    /* the tag of the extended form; ids 0..30 may be compact */
#define RT_EH_TS_BITS 27
#define RT_EH_TS_MASK ((1u << RT_EH_TS_BITS) - 1)
#define RT_EH_MAX_ID ((1u << (32 - RT_EH_ID_BITS)) - 1)
/* The shortest record a writer stages: the header room, padded to 8. */
#define RT_MIN_RECORD 16u

static inline uint32_t rt_eh_extended(uint32_t id)
{
	return RT_EH_EXTENDED | id << RT_EH_ID_BITS;
}

_Static_assert(sizeof(struct rt_packet_open) == 56, "packet open layout");
_Static_assert(sizeof(struct rt_packet_close) == 32, "packet close layout");
_Static_assert(sizeof(struct rt_packet) % 8 == 0, "records stay 8-aligned");
_Static_assert(sizeof(struct rt_event_header) == 12, "event header room");

#endif
