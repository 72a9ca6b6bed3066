/* SPDX-License-Identifier: MIT */
/*
 * The comparison write path: LTTng-UST's reserve/commit scheme, written
 * from its description (not its code) over our buffer layout, so that the
 * benchmark compares commit schemes and nothing else.
 *
 * Per record:
 *   1. cpu = rseq cpu_id (the cheapest CPU read there is; LTTng 2.13 pays
 *      more for sched_getcpu(), so this favours the comparison scheme);
 *   2. reserve: load offset, read the clock, `lock cmpxchg` the offset from
 *      old to old + len (retry on failure with a fresh clock read);
 *   3. write the record in place at the reserved position;
 *   4. commit: `lock xadd` len onto the commit counter of the record's
 *      sub-buffer (one counter per sub-buffer, each on its own cache line).
 *
 * Sub-buffer switch, as LTTng does it: the reservation that does not fit
 * reserves in one cmpxchg the rest of the old sub-buffer (padding) plus the
 * header of the next one plus the record; the winner then writes the old
 * packet's closing fields and commits the padding, writes the new header
 * and commits it, then writes and commits its record. A sub-buffer is
 * complete when its counter has grown by subbuf_size.
 *
 * Unlike copy-and-commit, `offset` does not say what is committed: a reader
 * must also wait for the counter. The benchmark reads only after all
 * writers have stopped, and checks the counters then (cas_check_commits).
 */
#ifndef BENCH_CAS_XADD_H
#define BENCH_CAS_XADD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ringbuf/ringbuf.h"

#define CAS_CLOCK_NONE (-1)

struct cas_commit {
	uint64_t count; /* bytes committed in this sub-buffer, cumulative */
} __attribute__((aligned(64)));

struct cas_set {
	struct rt_bufset bs;    /* RT_MODE_LOCKED set; its lock is never taken */
	struct cas_commit *cc;  /* nr_cpus * num_subbuf counters */
	uint32_t num_subbuf;
};

int cas_set_create(struct cas_set *cs, uint32_t subbuf_size, uint32_t num_subbuf,
		   enum rt_clock clock, char *err, size_t errlen);
void cas_set_destroy(struct cas_set *cs);
/* After the writers stopped: every sub-buffer between consumed and offset
 * is committed whole, the open one up to offset. Returns 0, or -1 with a
 * message in err. */
int cas_check_commits(const struct cas_set *cs, uint32_t cpu, char *err, size_t errlen);
/* The reader releases the sub-buffer at `consumed`: its counter restarts. */
void cas_release(struct cas_set *cs, uint32_t cpu);

static inline struct cas_commit *cas_counter(const struct cas_set *cs, uint32_t cpu,
					     uint64_t pos)
{
	uint64_t sub = (pos / cs->bs.subbuf_size) & (cs->num_subbuf - 1);
	return &cs->cc[(uint64_t)cpu * cs->num_subbuf + sub];
}

/* The same word-by-word copy as the rseq sequence's. The empty asm keeps
 * the compiler from turning the loop into a memcpy call or vector code. */
static inline void cas_copy_words(void *dst, const void *src, uint32_t len)
{
	uint64_t *d = dst;
	const uint64_t *s = src;
	for (uint32_t i = 0; i < len / 8; i++) {
		uint64_t v = s[i];
		__asm__("" : "+r"(v));
		d[i] = v;
	}
}

/* Writes the packet's closing fields for a packet that ends at `end`. */
static inline void cas_close_packet(struct cas_set *cs, uint32_t cpu, uint64_t end,
				    uint64_t ts)
{
	struct rt_bufset *bs = &cs->bs;
	uint64_t in_sub = end & (bs->subbuf_size - 1);
	uint64_t start = end - in_sub;
	struct rt_packet_close pc = {
		.timestamp_end = ts,
		.content_size = in_sub * 8,
		.packet_size = bs->subbuf_size * 8,
		.events_discarded = rt_lost_total(&bs->ctl[cpu]),
	};
	memcpy(rt_cpu_data(bs, cpu, start) + offsetof(struct rt_packet, close), &pc, sizeof pc);
	__atomic_fetch_add(&cas_counter(cs, cpu, start)->count, bs->subbuf_size - in_sub,
			   __ATOMIC_RELEASE);
}

static inline void cas_open_packet(struct cas_set *cs, uint32_t cpu, uint64_t start,
				   uint64_t ts)
{
	struct rt_bufset *bs = &cs->bs;
	struct rt_packet_open po = {
		.magic = RT_CTF_MAGIC,
		.stream_id = bs->hdr->stream_id,
		.stream_instance_id = cpu,
		.timestamp_begin = ts,
		.packet_seq_num = start / bs->subbuf_size,
		.cpu_id = cpu,
	};
	memcpy(po.uuid, bs->hdr->uuid, sizeof po.uuid);
	memcpy(rt_cpu_data(bs, cpu, start), &po, sizeof po);
	__atomic_fetch_add(&cas_counter(cs, cpu, start)->count, RT_PACKET_HEADER_LEN,
			   __ATOMIC_RELEASE);
}

static inline uint64_t cas_clock(int clock)
{
	return clock == CAS_CLOCK_NONE ? 0 : rt_clock_read((uint32_t)clock);
}

/*
 * Writes one record as rt_write() does (same argument contract and status
 * codes); clock is an enum rt_clock or CAS_CLOCK_NONE (no per-record clock
 * read: packet timestamps still come from the set's clock).
 */
static inline __attribute__((always_inline)) int
cas_write(struct cas_set *cs, void *rec, uint32_t len, int clock)
{
	struct rt_bufset *bs = &cs->bs;
	struct rseq *rs = rt_rseq_area();
	int32_t c = (int32_t)__atomic_load_n(&rs->cpu_id, __ATOMIC_RELAXED);
	uint32_t cpu = (c < 0 ? 0 : (uint32_t)c) % bs->nr_cpus;
	if (__builtin_expect(len >= bs->subbuf_size - RT_PACKET_HEADER_LEN, 0))
		return rt_drop(bs, cpu, RT_E_BIG);

	uint64_t *offp = &bs->ctl[cpu].w.offset;
	uint64_t old = __atomic_load_n(offp, __ATOMIC_RELAXED);
	uint64_t at, ts;
	int opens;
	for (;;) {
		uint64_t in_sub = old & (bs->subbuf_size - 1);
		opens = __builtin_expect(in_sub == 0 || in_sub + len >= bs->subbuf_size, 0);
		at = old;
		if (opens) {
			uint64_t start = old - in_sub + (in_sub ? bs->subbuf_size : 0);
			uint64_t consumed = __atomic_load_n(&bs->ctl[cpu].r.consumed,
							    __ATOMIC_ACQUIRE);
			if (start - consumed >= bs->buf_size)
				return rt_drop(bs, cpu, RT_E_FULL);
			at = start + RT_PACKET_HEADER_LEN;
		}
		ts = cas_clock(clock);
		if (__builtin_expect(opens, 0) && clock == CAS_CLOCK_NONE)
			ts = rt_clock_read(bs->clock);
		/* lock cmpxchg; on failure `old` is reloaded. */
		if (__atomic_compare_exchange_n(offp, &old, at + len, 0, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			break;
	}
	if (__builtin_expect(opens, 0)) {
		if (old & (bs->subbuf_size - 1))
			cas_close_packet(cs, cpu, old, ts);
		cas_open_packet(cs, cpu, at - RT_PACKET_HEADER_LEN, ts);
	}
	struct rt_event_header *eh = rec; /* always the extended form */
	memcpy(eh->ts, &ts, sizeof ts);
	cas_copy_words(rt_cpu_data(bs, cpu, at), rec, len);
	/* lock xadd; release: the record is visible before its commit. */
	__atomic_fetch_add(&cas_counter(cs, cpu, at)->count, len, __ATOMIC_RELEASE);
	return RT_OK;
}

#endif
