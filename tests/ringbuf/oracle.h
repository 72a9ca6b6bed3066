/* SPDX-License-Identifier: MIT */
/*
 * The test oracle for the ring buffer: a self-checking record format and a
 * reader that verifies every packet and record it drains.
 *
 * A record is, staged (ringbuf/packet.h)
 *
 *   struct rt_event_header   word = rt_eh_extended(rec_id(stream)), room for
 *                            the timestamp, filled by rt_write
 *   u32 len                  its staged length in bytes
 *   u32 stream, u32 pad      who wrote it
 *   u64 seq                  the stream's sequence number
 *   u64 sum                  checksum of stream, len, seq and the payload
 *   u64 payload[]            (len - REC_FIXED) / 8 words derived from
 *                            (stream, seq, index)
 *
 * so the reader can tell an intact record from any torn or foreign one
 * without knowing anything the writer knew. Even streams use an id that
 * may take the compact header, odd ones one that never does: both forms
 * are written and checked.
 */
#ifndef RT_TEST_ORACLE_H
#define RT_TEST_ORACLE_H

#include <stdint.h>
#include <stdio.h>

#include "ringbuf/ringbuf.h"

#define REC_ID 0x5ecu      /* always extended */
#define REC_ID_SMALL 3u    /* compact when the timestamp allows */
#define REC_FIXED 40u

struct rec {
	struct rt_event_header h;
	uint32_t len;
	uint32_t stream;
	uint32_t pad;
	uint64_t seq;
	uint64_t sum;
	uint64_t payload[];
};

static inline uint32_t rec_id(uint32_t stream)
{
	return stream % 2 ? REC_ID : REC_ID_SMALL;
}

/* Fills buf (8-aligned, len bytes, len a multiple of 8 >= REC_FIXED).
 * Pure computation: safe in a signal handler. */
void rec_build(void *buf, uint32_t stream, uint64_t seq, uint32_t len);

/*
 * The record stored at p, avail bytes before the end of its packet: its
 * staged view (which starts 8 bytes before p in the compact form: only
 * its header is not there), its event id, its timestamp rebuilt from prev
 * (the previous event's, or the packet's timestamp_begin), and the bytes
 * it takes at p. 0 if not even its header fits.
 */
struct rec_at {
	const struct rec *r;
	uint32_t id, stored;
	uint64_t ts;
};
int rec_decode(const char *p, uint32_t avail, uint64_t prev, struct rec_at *out);

/* A bitmap of sequence numbers per stream. */
struct seqmap {
	uint32_t nr_streams;
	uint64_t max_seq;
	uint8_t *bits; /* nr_streams * bytes_per_stream */
};
size_t seqmap_bytes(uint32_t nr_streams, uint64_t max_seq);
void seqmap_init(struct seqmap *m, uint32_t nr_streams, uint64_t max_seq, void *mem);
/* Sets the bit; returns its previous value. Not atomic: one writer per stream. */
int seqmap_set(struct seqmap *m, uint32_t stream, uint64_t seq);
int seqmap_get(const struct seqmap *m, uint32_t stream, uint64_t seq);

struct oracle_cpu {
	uint64_t next_pkt_seq;   /* packet_seq_num expected next */
	uint64_t last_ts;        /* last timestamp seen (events and packets) */
	uint64_t last_discarded; /* events_discarded of the last packet */
	uint64_t packets;
	uint64_t records;
};

struct oracle {
	struct rt_bufset *bs;
	struct seqmap seen;
	struct oracle_cpu *cpu;
	void *pkt; /* one sub-buffer, for rt_read_next */
	uint64_t records;
	uint64_t packets;
	uint64_t errors;
	char first_error[512];
};

int oracle_init(struct oracle *o, struct rt_bufset *bs, uint32_t nr_streams, uint64_t max_seq);
void oracle_fini(struct oracle *o);
void oracle_error(struct oracle *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Checks one packet of cpu (its header, context and every record). */
void oracle_packet(struct oracle *o, uint32_t cpu, const void *pkt, uint32_t len);
/* Reads and checks every closed packet of cpu. Returns how many. */
uint64_t oracle_drain(struct oracle *o, uint32_t cpu);
/* Drains every CPU, flushes, drains again until nothing moves. */
void oracle_final(struct oracle *o);

/* Losses as the writers' counters and as the trace tells them. */
struct loss {
	uint64_t full, big, abort, invalid, nobuf; /* rt_cpu_stats, summed over CPUs */
	uint64_t total;
};
/* Sums the lost counters and checks per CPU that they equal the
 * events_discarded of the CPU's last packet (what babeltrace reports). */
void oracle_losses(struct oracle *o, struct loss *l);

#define CHECK(o, cond, ...)                                                 \
	do {                                                                \
		if (!(cond))                                                \
			oracle_error((o), __VA_ARGS__);                     \
	} while (0)

/* Prints a fatal message and exits with status 1. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
