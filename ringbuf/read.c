/* SPDX-License-Identifier: MIT */
/*
 * The reader side of a buffer set, for its one consumer: its own copy of
 * the consumer positions, taking and releasing closed sub-buffers, closing
 * partial packets (flush), and the consumer's half of the wake-up protocol
 * (invariant I5). The shared memory it reads is checked before use: the
 * writers are other processes, any of which may scribble on it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ringbuf/ringbuf.h"

/* The consumer's own positions start where the shared copy says (a
 * consumer may map a set another one has read), on the sub-buffer grid.
 * A consumer that made the set calls it before handing the memfd out, so
 * that nothing an application wrote is ever taken for a position. */
int rt_reader_init(struct rt_bufset *bs)
{
	if (bs->rd)
		return RT_OK;
	/* For every index the set may grow to: their control lines are
	 * mapped from the start. */
	bs->rd = calloc(bs->nr_max, sizeof *bs->rd);
	if (!bs->rd)
		return RT_E_SYS;
	for (uint32_t c = 0; c < bs->nr_max; c++) {
		const struct rt_cpu_reader *r = &bs->ctl[c].r;
		bs->rd[c].consumed = __atomic_load_n(&r->consumed, __ATOMIC_ACQUIRE) &
				     ~(bs->subbuf_size - 1);
		bs->rd[c].pos = bs->rd[c].consumed;
		bs->rd[c].last_discarded = r->last_discarded;
		bs->rd[c].packets = r->packets;
	}
	return RT_OK;
}

int rt_read_next(struct rt_bufset *bs, uint32_t cpu, void *out, uint32_t *len)
{
	if (cpu >= rt_nr_buffers(bs))
		return RT_E_INVAL;
	if (!bs->rd && rt_reader_init(bs) != RT_OK)
		return RT_E_SYS;
	struct rt_cpu_ctl *c = &bs->ctl[cpu];
	uint64_t consumed = bs->rd[cpu].consumed;
	/* Acquire: every byte below the offset is visible (invariant I1). */
	uint64_t off = __atomic_load_n(&c->w.offset, __ATOMIC_ACQUIRE);
	uint64_t closed_end = off & ~(bs->subbuf_size - 1);
	if (closed_end == consumed)
		return 0;
	if (closed_end < consumed || closed_end - consumed > bs->buf_size)
		return RT_E_CORRUPT; /* a writer stored an impossible offset */

	memcpy(out, rt_cpu_data(bs, cpu, consumed), bs->subbuf_size);
	const struct rt_packet *pk = out;
	uint64_t bits = pk->close.content_size;
	*len = 0;
	if (pk->open.magic != RT_CTF_MAGIC || pk->open.stream_id != bs->hdr->stream_id ||
	    pk->open.packet_seq_num != consumed / bs->subbuf_size ||
	    pk->open.cpu_id != cpu || pk->close.packet_size != bs->subbuf_size * 8 ||
	    bits % 64 != 0 || bits < RT_PACKET_HEADER_LEN * 8 || bits > bs->subbuf_size * 8 ||
	    pk->close.timestamp_end < pk->open.timestamp_begin)
		return RT_E_CORRUPT;
	*len = (uint32_t)(bits / 8);
	return 1;
}

void rt_read_release(struct rt_bufset *bs, uint32_t cpu, const void *pkt)
{
	if (cpu >= rt_nr_buffers(bs) || (!bs->rd && rt_reader_init(bs) != RT_OK))
		return;
	struct rt_reader_pos *rd = &bs->rd[cpu];
	struct rt_cpu_reader *shared = &bs->ctl[cpu].r;
	const struct rt_packet *pk = pkt;
	if (pk && pk->open.magic == RT_CTF_MAGIC)
		rd->last_discarded = pk->close.events_discarded;
	rd->packets++;
	rd->consumed += bs->subbuf_size;
	rd->pos = rd->consumed;
	shared->last_discarded = rd->last_discarded;
	shared->packets = rd->packets;
	/* Release: our copy is done before the writer may reuse the space. */
	__atomic_store_n(&shared->consumed, rd->consumed, __ATOMIC_RELEASE);
}

void rt_cpu_stats(const struct rt_bufset *bs, uint32_t cpu, struct rt_cpu_stats *st)
{
	const struct rt_cpu_ctl *c = &bs->ctl[cpu];
	st->offset = __atomic_load_n(&c->w.offset, __ATOMIC_ACQUIRE);
	st->consumed = bs->rd ? bs->rd[cpu].consumed
			      : __atomic_load_n(&c->r.consumed, __ATOMIC_ACQUIRE);
	st->lost_full = __atomic_load_n(&c->w.lost_full, __ATOMIC_RELAXED);
	st->lost_big = __atomic_load_n(&c->w.lost_big, __ATOMIC_RELAXED);
	st->lost_abort = __atomic_load_n(&c->w.lost_abort, __ATOMIC_RELAXED);
	st->lost_invalid = __atomic_load_n(&c->w.lost_invalid, __ATOMIC_RELAXED);
	st->lost_nobuf = __atomic_load_n(&c->w.lost_nobuf, __ATOMIC_RELAXED);
	st->packets = bs->rd ? bs->rd[cpu].packets : c->r.packets;
	st->overwritten = __atomic_load_n(&c->w.overwritten, __ATOMIC_RELAXED);
}

/* ---- Committed bytes: the daemon's reader (invariant I6) ------------------ */

static uint64_t sub_start(const struct rt_bufset *bs, uint64_t pos)
{
	return pos & ~(bs->subbuf_size - 1);
}

/* Hands every sub-buffer before the reader's own back to the writers (I3). */
static void publish(struct rt_bufset *bs, uint32_t cpu)
{
	struct rt_reader_pos *rd = &bs->rd[cpu];
	struct rt_cpu_reader *shared = &bs->ctl[cpu].r;
	uint64_t start = sub_start(bs, rd->pos);
	if (start == rd->consumed)
		return;
	uint64_t n = (start - rd->consumed) / bs->subbuf_size;
	rd->packets += n < bs->buf_size / bs->subbuf_size ? n : 1;
	/* Atomic: a daemon thread that does not drain this CPU may look at
	 * its readiness (rt_cpu_closed). */
	__atomic_store_n(&rd->consumed, start, __ATOMIC_RELAXED);
	shared->packets = rd->packets;
	/* Release: our copies are done before the writers may reuse the space. */
	__atomic_store_n(&shared->consumed, start, __ATOMIC_RELEASE);
}

/* The end of the records of a closed sub-buffer, from its closing fields
 * (written by an application: bounded, and flagged when impossible). */
static uint64_t closed_end(const struct rt_bufset *bs, uint32_t cpu, uint64_t start, int *bad)
{
	const struct rt_packet *pk = (const void *)rt_cpu_data(bs, cpu, start);
	uint64_t bits = __atomic_load_n(&pk->close.content_size, __ATOMIC_RELAXED);
	/* Byte-exact, not 8-byte aligned: writers that an application left
	 * an unaligned offset close at an unaligned end. */
	*bad = bits % 8 != 0 || bits < RT_PACKET_HEADER_LEN * 8 || bits > bs->subbuf_size * 8;
	return *bad ? start + bs->subbuf_size : start + bits / 8;
}

/* Records in the sub-buffers [from, to) skipped by a resynchronization. */
static uint64_t count_skipped(const struct rt_bufset *bs, uint32_t cpu, uint64_t from, uint64_t to)
{
	uint64_t n = 0, nsub = bs->buf_size / bs->subbuf_size;
	for (uint64_t s = from, i = 0; s != to && i < nsub; s += bs->subbuf_size, i++) {
		int bad;
		uint64_t len = closed_end(bs, cpu, s, &bad) - s - RT_PACKET_HEADER_LEN;
		const char *recs = rt_cpu_data(bs, cpu, s) + RT_PACKET_HEADER_LEN;
		n += bs->count_records ? bs->count_records(bs->count_arg, recs, len) : len != 0;
	}
	return n;
}

int rt_read_committed(struct rt_bufset *bs, uint32_t cpu, int partial, struct rt_committed *cm)
{
	if (cpu >= rt_nr_buffers(bs))
		return RT_E_INVAL;
	if (!bs->rd && rt_reader_init(bs) != RT_OK)
		return RT_E_SYS;
	struct rt_reader_pos *rd = &bs->rd[cpu];
	memset(cm, 0, sizeof *cm);
	/* A scribbled `consumed` would keep writers out of the buffer (I3):
	 * restore ours. */
	uint64_t *shared = &bs->ctl[cpu].r.consumed;
	if (__atomic_load_n(shared, __ATOMIC_RELAXED) != rd->consumed)
		__atomic_store_n(shared, rd->consumed, __ATOMIC_RELEASE);
	/* Acquire: every byte below the offset is visible (I1). The clock
	 * after it: no record committed below it can be stamped later. */
	uint64_t off = __atomic_load_n(&bs->ctl[cpu].w.offset, __ATOMIC_ACQUIRE);
	cm->now = rt_clock_read(bs->clock);
	uint64_t start = sub_start(bs, rd->pos);
	uint64_t ahead = off - start;
	if (bs->overwrite && ahead > bs->buf_size && off > start) {
		/* Overwrite mode (I8): the writers lapped us. Go on from the
		 * oldest sub-buffer they have not reused; the ones between
		 * were overwritten, counted in packets. */
		uint64_t back = bs->buf_size - bs->subbuf_size, to = sub_start(bs, off) - back;
		cm->overwritten = (to - start) / bs->subbuf_size;
		rd->pos = to;
		publish(bs, cpu);
		start = to;
		ahead = off - to;
	} else if (ahead > bs->buf_size) {
		/* Behind us, or more than a buffer ahead: I3 makes either
		 * impossible, so an application stored it. Go on from the
		 * sub-buffer the writers are in; what lies between is lost. */
		uint64_t to = sub_start(bs, off), nsub = bs->buf_size / bs->subbuf_size;
		uint64_t dist = (to - start) / bs->subbuf_size;
		if (to - start <= 2 * bs->buf_size && to - start >= bs->subbuf_size) {
			cm->skipped = dist;
			/* the buffer holds at most its last lap of them */
			cm->skipped_records = count_skipped(bs, cpu, dist > nsub ? to - bs->buf_size
									       : start, to);
		} else {
			cm->skipped = nsub;
		}
		cm->resynced = 1;
		rd->pos = to;
		publish(bs, cpu);
		start = to;
		ahead = off - to;
	}
	cm->pos = rd->pos - start < RT_PACKET_HEADER_LEN ? start + RT_PACKET_HEADER_LEN : rd->pos;
	if (ahead >= bs->subbuf_size) {
		cm->closed = 1;
		cm->end = closed_end(bs, cpu, start, &cm->bad_close);
		if (cm->end < cm->pos) {
			cm->bad_close = 1; /* ends before what we already read */
			cm->end = cm->pos;
		}
		return 1;
	}
	if (!partial || ahead <= cm->pos - start)
		return 0; /* not opened, or nothing after what we read */
	cm->end = off;
	return 1;
}

void rt_read_advance(struct rt_bufset *bs, uint32_t cpu, const struct rt_committed *cm)
{
	struct rt_reader_pos *rd = &bs->rd[cpu];
	rd->pos = cm->closed ? sub_start(bs, cm->pos) + bs->subbuf_size : cm->end;
	publish(bs, cpu);
}

/* ---- Snapshots (overwrite mode, invariant I8) ---------------------------- */

void rt_snapshot_range(const struct rt_bufset *bs, uint32_t cpu, uint64_t *first, uint64_t *off)
{
	/* Acquire: every byte below it is visible (I1). */
	*off = __atomic_load_n(&bs->ctl[cpu].w.offset, __ATOMIC_ACQUIRE);
	uint64_t s = sub_start(bs, *off), back = bs->buf_size - bs->subbuf_size;
	/* The sub-buffer a lap behind s shares its memory: the writers are
	 * reusing it, or about to (I8, even with *off on the grid: a writer
	 * that saw it may be writing the next packet's header), so the oldest
	 * worth copying is the next. The writers counted it as overwritten
	 * when their close reached s (write.c, rt_packet_close). */
	*first = s >= back ? s - back : 0;
}

int rt_read_intact(const struct rt_bufset *bs, uint32_t cpu, uint64_t pos)
{
	/* The caller's loads before the offset's (I8): a seqlock's read side. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	uint64_t now = __atomic_load_n(&bs->ctl[cpu].w.offset, __ATOMIC_RELAXED);
	/* Reused meanwhile, or an offset gone back: not intact. */
	return now - sub_start(bs, pos) < bs->buf_size;
}

int rt_snapshot_take(const struct rt_bufset *bs, uint32_t cpu, uint64_t start, uint64_t off,
		     void *out)
{
	if (start & (bs->subbuf_size - 1) || off < start)
		return RT_E_INVAL;
	int closed = off - start >= bs->subbuf_size;
	uint64_t n = closed ? bs->subbuf_size : off - start;
	memcpy(out, rt_cpu_data(bs, cpu, start), n);
	if (!rt_read_intact(bs, cpu, start))
		return RT_E_ABORT;
	if (closed) {
		uint64_t bits = ((const struct rt_packet *)out)->close.content_size;
		if (bits % 8 != 0 || bits < RT_PACKET_HEADER_LEN * 8 || bits > bs->subbuf_size * 8)
			return 0; /* impossible closing fields: nothing to trust */
		n = bits / 8;
	}
	return n > RT_PACKET_HEADER_LEN ? (int)(n - RT_PACKET_HEADER_LEN) : 0;
}

/* ---- Wake-ups (invariant I5) -------------------------------------------- */

int rt_wake_pair(int *rx, int *tx)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
		return RT_E_SYS;
	/* One direction: writers send, the consumer receives. */
	shutdown(sv[0], SHUT_WR);
	shutdown(sv[1], SHUT_RD);
	*rx = sv[0];
	*tx = sv[1];
	return RT_OK;
}

uint64_t rt_cpu_closed(const struct rt_bufset *bs, uint32_t cpu)
{
	const struct rt_cpu_ctl *c = &bs->ctl[cpu];
	uint64_t off = __atomic_load_n(&c->w.offset, __ATOMIC_RELAXED);
	uint64_t consumed = bs->rd ? __atomic_load_n(&bs->rd[cpu].consumed, __ATOMIC_RELAXED)
				   : __atomic_load_n(&c->r.consumed, __ATOMIC_RELAXED);
	return (off & ~(uint64_t)(bs->subbuf_size - 1)) - consumed;
}

/* A CPU whose closed, unreleased packets reach the threshold. An
 * impossible offset is the drain's to report, not a reason to stay awake
 * (a consumer that kept finding it "ready" would spin). */
static int cpu_ready(const struct rt_bufset *bs, uint32_t cpu)
{
	uint64_t n = rt_cpu_closed(bs, cpu);
	return n >= rt_wake_threshold(bs) && n <= bs->buf_size;
}

int rt_reader_sleep(struct rt_bufset *bs)
{
	__atomic_store_n(&bs->hdr->reader_asleep, 1, __ATOMIC_RELAXED);
	/* The flag before the offsets: pairs with the writer's fence between
	 * its close and its load of the flag (I5). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (uint32_t c = 0; c < bs->nr_cpus; c++) {
		if (cpu_ready(bs, c)) {
			__atomic_store_n(&bs->hdr->reader_asleep, 0, __ATOMIC_RELAXED);
			return 1;
		}
	}
	return 0;
}

void rt_reader_awake(struct rt_bufset *bs)
{
	__atomic_store_n(&bs->hdr->reader_asleep, 0, __ATOMIC_RELAXED);
}

int rt_wake_clear(int rx)
{
	char b[8];
	int n = 0;
	while (n < 64 && recv(rx, b, sizeof b, MSG_DONTWAIT) >= 0)
		n++;
	return n;
}

/* ---- Flush (consumer side) ------------------------------------------- */

/*
 * One step of a flush; rs as for rt_packet_open(). Returns 1 when a packet was
 * closed, 0 when there is nothing to close, 2 to be called again.
 * A packet with no event is closed only to report losses that no released
 * packet reported yet, and only when the consumer has drained everything
 * before it (otherwise a later packet will report them).
 */
static int flush_step(struct rt_bufset *bs, void *rs, uint32_t cpu)
{
	struct rt_cpu_ctl *c = &bs->ctl[cpu];
	uint64_t old = __atomic_load_n(&c->w.offset, __ATOMIC_ACQUIRE);
	uint64_t in_sub = old & (bs->subbuf_size - 1);
	uint64_t consumed = bs->rd ? bs->rd[cpu].consumed : c->r.consumed;
	uint64_t reported = bs->rd ? bs->rd[cpu].last_discarded : c->r.last_discarded;
	int drained = old - in_sub == consumed;
	int unreported = drained && rt_lost_total(c) != reported;

	if (in_sub == 0) {
		if (!unreported)
			return 0;
		rt_packet_open(bs, rs, cpu, old);
		return 2;
	}
	if (in_sub == RT_PACKET_HEADER_LEN && !unreported)
		return 0;
	return rt_packet_close(bs, rs, cpu, old) == 0 ? 1 : 2;
}

static int cpu_online(uint32_t cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	/* A CPU we may run on is online; only then can writers be on it. */
	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_ISSET(cpu, &set))
		return 1;
	char path[64], v = '1';
	snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%u/online", cpu);
	FILE *f = fopen(path, "r");
	if (f) {
		if (fread(&v, 1, 1, f) != 1)
			v = '1';
		fclose(f);
	} else if (errno == ENOENT) {
		/* No online file: a CPU that cannot go offline (cpu0), or one
		 * that is possible but not present (no directory at all). */
		*strrchr(path, '/') = '\0';
		return access(path, F_OK) == 0;
	}
	return v != '0';
}

/* Flush steps until one closes a packet or finds nothing to close (each
 * step that asks for another moved the offset: a few at most). rs as for
 * flush_step(). */
static int flush_steps(struct rt_bufset *bs, void *rs, uint32_t cpu)
{
	int r, step = 0;
	while ((r = flush_step(bs, rs, cpu)) == 2 && ++step < 4)
		;
	return r == 2 ? RT_E_ABORT : r;
}

int rt_flush_idle(struct rt_bufset *bs, uint32_t cpu)
{
	if (cpu >= bs->nr_cpus)
		return RT_E_INVAL;
	return flush_steps(bs, NULL, cpu);
}

int rt_flush(struct rt_bufset *bs, uint32_t cpu)
{
	if (cpu >= rt_nr_buffers(bs))
		return RT_E_INVAL;
	/* A concurrency id is not a place a consumer can go to: only the
	 * daemon's reader, which needs no writer (I6), takes such sets. */
	if (bs->index == RT_INDEX_CID)
		return RT_E_MODE;
	int r = 0;
	if (bs->mode == RT_MODE_LOCKED) {
		/* A writer may hold the lock and be stopped (SIGSTOP, a
		 * debugger): rt_lock_cpu waits a bounded time. Only for a
		 * consumer that trusts the writers (in-process): the daemon
		 * reads committed bytes instead and never takes this lock. */
		if (rt_lock_cpu(bs, cpu) != 0)
			return RT_E_ABORT; /* busy: try again later */
		r = flush_steps(bs, NULL, cpu);
		rt_unlock_cpu(bs, cpu);
		return r;
	}

	/* rseq mode: run the same sequences as the writers, from the CPU the
	 * buffer belongs to, so they are atomic against every writer there. */
	cpu_set_t saved, one;
	if (sched_getaffinity(0, sizeof saved, &saved) != 0)
		return RT_E_SYS;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (sched_setaffinity(0, sizeof one, &one) != 0) {
		if (cpu_online(cpu))
			return RT_E_SYS; /* online but not ours to run on */
		return flush_steps(bs, NULL, cpu); /* offline: no writer can be on it */
	}
	if (!rt_rseq_usable()) {
		sched_setaffinity(0, sizeof saved, &saved);
		return RT_E_MODE;
	}
	struct rseq *rs = rt_rseq_area();
	r = RT_E_ABORT;
	for (int tries = 0; tries < 100 * RT_MAX_TRIES; tries++) {
		if (__atomic_load_n(&rs->cpu_id, __ATOMIC_RELAXED) != cpu) {
			sched_yield(); /* not migrated yet */
			continue;
		}
		int s = flush_step(bs, rs, cpu);
		if (s != 2) {
			r = s;
			break;
		}
	}
	sched_setaffinity(0, sizeof saved, &saved);
	return r;
}
