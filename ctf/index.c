/* SPDX-License-Identifier: MIT */
/* CTF packet index entries (index.h). */
#include "ctf/index.h"

void ctf_put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

void ctf_put_be32(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

void ctf_index_of_packet(const struct rt_packet *pk, uint64_t offset, struct ctf_index_entry *e)
{
	*e = (struct ctf_index_entry){
		.offset = offset,
		.packet_size = pk->close.packet_size,
		.content_size = pk->close.content_size,
		.timestamp_begin = pk->open.timestamp_begin,
		.timestamp_end = pk->close.timestamp_end,
		.events_discarded = pk->close.events_discarded,
		.stream_id = pk->open.stream_id,
		.stream_instance_id = pk->open.stream_instance_id,
		.packet_seq_num = pk->open.packet_seq_num,
	};
}

void ctf_index_header_encode(uint8_t out[CTF_INDEX_HEADER_LEN])
{
	ctf_put_be32(out, CTF_INDEX_MAGIC);
	ctf_put_be32(out + 4, CTF_INDEX_MAJOR);
	ctf_put_be32(out + 8, CTF_INDEX_MINOR);
	ctf_put_be32(out + 12, CTF_INDEX_ENTRY_LEN);
}

void ctf_index_entry_encode(const struct ctf_index_entry *e, uint8_t out[CTF_INDEX_ENTRY_LEN])
{
	const uint64_t v[9] = { e->offset, e->packet_size, e->content_size, e->timestamp_begin,
				e->timestamp_end, e->events_discarded, e->stream_id,
				e->stream_instance_id, e->packet_seq_num };
	for (int i = 0; i < 9; i++)
		ctf_put_be64(out + 8 * i, v[i]);
}
