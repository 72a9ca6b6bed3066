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
 * Every record begins with this header. The writer stores the timestamp
 * itself (after it has read the buffer offset it will commit against), so
 * callers only fill in the id and leave room for the timestamp.
 */
struct rt_event_header {
	uint32_t id;
	uint32_t len;       /* the record's exact length before padding to 8 */
	uint64_t timestamp;
};

#define RT_EVENT_HEADER_LEN ((uint32_t)sizeof(struct rt_event_header))

_Static_assert(sizeof(struct rt_packet_open) == 56, "packet open layout");
_Static_assert(sizeof(struct rt_packet_close) == 32, "packet close layout");
_Static_assert(sizeof(struct rt_packet) % 8 == 0, "records stay 8-aligned");
_Static_assert(sizeof(struct rt_event_header) == 16, "event header layout");

#endif
