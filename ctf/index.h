/* SPDX-License-Identifier: MIT */
/*
 * CTF packet index, format 1.1, as lttng writes index/<stream>.idx and as
 * babeltrace2 reads it to seek: a file header, then one entry per packet,
 * every field big-endian. The stream file writer (stream.c) and the relayd
 * output (net/relayd.h: SEND_INDEX carries the same fields but the offset)
 * build their entries here, from the packet header we wrote ourselves.
 */
#ifndef RT_CTF_INDEX_H
#define RT_CTF_INDEX_H

#include <stdint.h>

#include "ringbuf/packet.h"

#define CTF_INDEX_MAGIC 0xC1F1DCC1u
#define CTF_INDEX_MAJOR 1u
#define CTF_INDEX_MINOR 1u
#define CTF_INDEX_HEADER_LEN 16u  /* magic, major, minor, entry length: u32 each */
#define CTF_INDEX_ENTRY_LEN 72u   /* nine u64: 1.0's seven, instance id, seq num */

struct ctf_index_entry {
	uint64_t offset;            /* of the packet in its stream file, bytes */
	uint64_t packet_size;       /* bits */
	uint64_t content_size;      /* bits */
	uint64_t timestamp_begin;
	uint64_t timestamp_end;
	uint64_t events_discarded;
	uint64_t stream_id;         /* the stream class */
	uint64_t stream_instance_id;
	uint64_t packet_seq_num;
};

/* The entry of packet pk, written at `offset` of its stream file. */
void ctf_index_of_packet(const struct rt_packet *pk, uint64_t offset, struct ctf_index_entry *e);
void ctf_index_header_encode(uint8_t out[CTF_INDEX_HEADER_LEN]);
void ctf_index_entry_encode(const struct ctf_index_entry *e, uint8_t out[CTF_INDEX_ENTRY_LEN]);

void ctf_put_be64(uint8_t *p, uint64_t v);
void ctf_put_be32(uint8_t *p, uint32_t v);

#endif
