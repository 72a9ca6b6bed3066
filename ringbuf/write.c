/* SPDX-License-Identifier: MIT */
/*
 * The writer's slow paths: opening and closing packets (the sub-buffer
 * switch), counting drops, and locked mode. The fast path is rt_write() in
 * ringbuf.h; everything here runs once per sub-buffer or on failure. The
 * consumer's flush (read.c) runs the same packet open and close.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "ringbuf/ringbuf.h"

uint64_t rt_lost_total(const struct rt_cpu_ctl *c)
{
	return __atomic_load_n(&c->w.lost_full, __ATOMIC_RELAXED) +
	       __atomic_load_n(&c->w.lost_big, __ATOMIC_RELAXED) +
	       __atomic_load_n(&c->w.lost_abort, __ATOMIC_RELAXED);
}

/* Lost counters take atomic adds from every mode and every process: they
 * are never stored by a sequence, so the two kinds of update cannot race. */
int rt_drop(struct rt_bufset *bs, uint32_t cpu, int status)
{
	struct rt_cpu_writer *w = &bs->ctl[cpu].w;
	uint64_t *counter = status == RT_E_FULL ? &w->lost_full
			    : status == RT_E_BIG ? &w->lost_big
						 : &w->lost_abort;
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
	return status;
}

/* rs == NULL: the caller holds the buffer's lock (locked mode), or is the
 * consumer writing to an offline CPU's buffer, which has no writers. */
static int commit(struct rt_bufset *bs, void *rs, uint32_t cpu, uint64_t old,
		  uint64_t newv, void *dst, const void *src, uint32_t len)
{
	uint64_t *offp = &bs->ctl[cpu].w.offset;
	if (rs)
		return rt_arch_copy_commit(rs, cpu, offp, old, newv, dst, src, len);
	if (__atomic_load_n(offp, __ATOMIC_RELAXED) != old)
		return 1;
	memcpy(dst, src, len);
	__atomic_store_n(offp, newv, __ATOMIC_RELEASE);
	return 0;
}

int rt_packet_open(struct rt_bufset *bs, void *rs, uint32_t cpu, uint64_t old)
{
	struct rt_packet_open po = {
		.magic = RT_CTF_MAGIC,
		.stream_id = bs->hdr->stream_id,
		.stream_instance_id = cpu,
		.packet_seq_num = old / bs->subbuf_size,
		.cpu_id = cpu,
	};
	memcpy(po.uuid, bs->hdr->uuid, sizeof po.uuid);
	/* After the load of `old`, like every timestamp (see rt_write). */
	po.timestamp_begin = rt_clock_read(bs->clock);
	return commit(bs, rs, cpu, old, old + RT_PACKET_HEADER_LEN,
		      rt_cpu_data(bs, cpu, old), &po, sizeof po);
}

/*
 * After a packet close this writer committed, outside any restartable
 * sequence (invariant I5): wakes a sleeping consumer if this CPU is ready.
 * A fence and a load of a line writers share read-only; the rest only when
 * the consumer sleeps. Never blocks (MSG_DONTWAIT whatever the descriptor's
 * flags), never raises SIGPIPE, and leaves errno as the application had it.
 */
static void wake_reader(struct rt_bufset *bs, uint32_t cpu, uint64_t closed_end)
{
	if (bs->wake_fd < 0)
		return;
	uint32_t *asleep = &bs->hdr->reader_asleep;
	/* Our offset store before the flag load: pairs with the consumer's
	 * fence between its flag store and its offset loads. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!__atomic_load_n(asleep, __ATOMIC_RELAXED))
		return;
	uint64_t consumed = __atomic_load_n(&bs->ctl[cpu].r.consumed, __ATOMIC_RELAXED);
	if (closed_end - consumed < rt_wake_threshold(bs))
		return;
	if (!__atomic_exchange_n(asleep, 0, __ATOMIC_RELAXED))
		return; /* another writer is waking it */
	int saved = errno;
	send(bs->wake_fd, "", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	errno = saved;
}

int rt_packet_close(struct rt_bufset *bs, void *rs, uint32_t cpu, uint64_t old)
{
	uint64_t in_sub = old & (bs->subbuf_size - 1);
	uint64_t start = old - in_sub;
	struct rt_packet_close pc = {
		.content_size = in_sub * 8,
		.packet_size = bs->subbuf_size * 8,
		.events_discarded = rt_lost_total(&bs->ctl[cpu]),
	};
	pc.timestamp_end = rt_clock_read(bs->clock);
	int r = commit(bs, rs, cpu, old, start + bs->subbuf_size,
		       rt_cpu_data(bs, cpu, start) + offsetof(struct rt_packet, close),
		       &pc, sizeof pc);
	if (r == 0)
		wake_reader(bs, cpu, start + bs->subbuf_size);
	return r;
}

/*
 * The record did not fit at `old` (or no packet is open): close the
 * current packet, or open the next one if the consumer has released it.
 * Returns 0 to make the caller look at the offset again, or RT_E_FULL.
 */
int rt_switch(struct rt_bufset *bs, void *rs, uint32_t cpu, uint64_t old)
{
	if ((old & (bs->subbuf_size - 1)) != 0) {
		rt_packet_close(bs, rs, cpu, old);
		return 0;
	}
	uint64_t consumed = __atomic_load_n(&bs->ctl[cpu].r.consumed, __ATOMIC_ACQUIRE);
	if (old - consumed >= bs->buf_size) /* invariant I3 */
		return rt_drop(bs, cpu, RT_E_FULL);
	rt_packet_open(bs, rs, cpu, old);
	return 0;
}

/*
 * rt_write() after its one inlined attempt failed, or for a locked set:
 * the full loop. Every iteration either commits, switches packets (which
 * moves the offset, or drops on a full buffer), or failed its sequence;
 * RT_MAX_TRIES bounds them all.
 */
int rt_write_slow(struct rt_bufset *bs, void *rec, uint32_t len)
{
	if (len < RT_EVENT_HEADER_LEN || (len & 7) != 0)
		return RT_E_INVAL;
	if (bs->mode != RT_MODE_RSEQ)
		return rt_write_locked(bs, rec, len);

	struct rseq *rs = rt_rseq_area();
	if ((int32_t)rs->cpu_id < 0)
		return RT_E_MODE; /* no rseq in this thread: never mix modes */
	uint32_t cpu = __atomic_load_n(&rs->cpu_id_start, __ATOMIC_RELAXED) % bs->nr_cpus;
	if (len > rt_max_record(bs))
		return rt_drop(bs, cpu, RT_E_BIG);

	struct rt_event_header *eh = rec;
	for (int tries = 0; tries < RT_MAX_TRIES; tries++) {
		cpu = __atomic_load_n(&rs->cpu_id_start, __ATOMIC_RELAXED);
		if (cpu >= bs->nr_cpus) {
			cpu %= bs->nr_cpus; /* a CPU the set was not sized for */
			break;
		}
		uint64_t *offp = &bs->ctl[cpu].w.offset;
		uint64_t old = __atomic_load_n(offp, __ATOMIC_RELAXED);
		uint64_t in_sub = old & (bs->subbuf_size - 1);
		if (in_sub == 0 || in_sub + len >= bs->subbuf_size) {
			int r = rt_switch(bs, rs, cpu, old);
			if (r < 0)
				return r;
			continue;
		}
		eh->timestamp = rt_clock_read(bs->clock); /* after `old`: see rt_write */
		if (rt_arch_copy_commit(rs, cpu, offp, old, old + len,
					rt_cpu_data(bs, cpu, old), rec, len) == 0)
			return RT_OK;
	}
	return rt_drop(bs, cpu, RT_E_ABORT);
}

/* ---- Locked mode ------------------------------------------------------ */

/*
 * Locks this thread holds, innermost last. A signal handler that traces on
 * top of a locked write must not wait for a lock its own thread holds: it
 * takes the buffer of the next CPU instead. initial-exec TLS: no allocation
 * on first use, safe in a signal handler.
 */
#define RT_MAX_NESTING 4
static __thread __attribute__((tls_model("initial-exec")))
pthread_mutex_t *held_locks[RT_MAX_NESTING];
static __thread __attribute__((tls_model("initial-exec"))) int held_depth;

static int held_by_me(pthread_mutex_t *lk)
{
	for (int i = 0; i < held_depth; i++)
		if (held_locks[i] == lk)
			return 1;
	return 0;
}

static uint32_t current_cpu(void)
{
	struct rseq *rs = rt_rseq_area();
	if (__rseq_size > 0 && (int32_t)rs->cpu_id >= 0)
		return rs->cpu_id;
	int c = sched_getcpu();
	return c < 0 ? 0 : (uint32_t)c;
}

/* Locks a buffer's mutex. A writer that died holding it left the buffer
 * consistent (its commit is one store), so the lock is simply recovered. */
int rt_lock_cpu(struct rt_bufset *bs, uint32_t cpu)
{
	pthread_mutex_t *lk = &bs->ctl[cpu].w.lock;
	int r = pthread_mutex_lock(lk);
	if (r == EOWNERDEAD)
		r = pthread_mutex_consistent(lk);
	return r;
}

void rt_unlock_cpu(struct rt_bufset *bs, uint32_t cpu)
{
	pthread_mutex_unlock(&bs->ctl[cpu].w.lock);
}

/*
 * A writer waits for a buffer's lock at most RT_LOCK_WAIT_MS, then drops
 * its record (counted as an abort): locked mode must not block the
 * application for ever either, whatever happens to the holder (stopped by
 * a debugger, or killed at a point where the kernel's robust-futex
 * clean-up wakes no waiter).
 */
#define RT_LOCK_WAIT_MS 250

static int lock_bounded(pthread_mutex_t *lk)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += RT_LOCK_WAIT_MS * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
	}
	return pthread_mutex_clocklock(lk, CLOCK_MONOTONIC, &until);
}

int rt_write_locked(struct rt_bufset *bs, void *rec, uint32_t len)
{
	if (bs->mode != RT_MODE_LOCKED)
		return RT_E_MODE;
	uint32_t cpu = current_cpu() % bs->nr_cpus;
	if (len > rt_max_record(bs))
		return rt_drop(bs, cpu, RT_E_BIG);

	if (held_depth >= RT_MAX_NESTING)
		return rt_drop(bs, cpu, RT_E_ABORT);
	/* Nested over a write of this thread (a signal handler): never block,
	 * since this thread holds, or is taking, another buffer's lock; try the
	 * buffers in turn and drop if every one is busy. */
	int nested = held_depth > 0;
	uint32_t i;
	for (i = 0; i < bs->nr_cpus; i++, cpu = (cpu + 1) % bs->nr_cpus) {
		pthread_mutex_t *lk = &bs->ctl[cpu].w.lock;
		if (held_by_me(lk))
			continue;
		/* Published before the lock call: a signal landing inside it
		 * must see this lock as ours. */
		held_locks[held_depth] = lk;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		held_depth++;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		int r = nested ? pthread_mutex_trylock(lk) : lock_bounded(lk);
		if (r == EOWNERDEAD)
			r = pthread_mutex_consistent(lk);
		if (r == 0)
			break;
		held_depth--;
		if (!nested)
			return rt_drop(bs, cpu, RT_E_ABORT);
	}
	if (i == bs->nr_cpus)
		return rt_drop(bs, cpu, RT_E_ABORT);

	int status = RT_E_ABORT;
	struct rt_event_header *eh = rec;
	uint64_t *offp = &bs->ctl[cpu].w.offset;
	/* At most: close, open, write. */
	for (int step = 0; step < 3; step++) {
		uint64_t old = __atomic_load_n(offp, __ATOMIC_RELAXED);
		uint64_t in_sub = old & (bs->subbuf_size - 1);
		if (in_sub == 0 || in_sub + len >= bs->subbuf_size) {
			status = rt_switch(bs, NULL, cpu, old);
			if (status < 0)
				break;
			status = RT_E_ABORT;
			continue;
		}
		eh->timestamp = rt_clock_read(bs->clock);
		commit(bs, NULL, cpu, old, old + len, rt_cpu_data(bs, cpu, old), rec, len);
		status = RT_OK;
		break;
	}

	rt_unlock_cpu(bs, cpu);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	held_depth--;
	if (status == RT_E_ABORT)
		rt_drop(bs, cpu, RT_E_ABORT);
	return status;
}
