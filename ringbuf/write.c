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
#include <stddef.h>
#include <string.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <time.h>

#include "common/time.h"
#include "ringbuf/ringbuf.h"

uint64_t rt_lost_total(const struct rt_cpu_ctl *c)
{
	return __atomic_load_n(&c->w.lost_full, __ATOMIC_RELAXED) +
	       __atomic_load_n(&c->w.lost_big, __ATOMIC_RELAXED) +
	       __atomic_load_n(&c->w.lost_abort, __ATOMIC_RELAXED) +
	       __atomic_load_n(&c->w.lost_invalid, __ATOMIC_RELAXED) +
	       __atomic_load_n(&c->w.lost_nobuf, __ATOMIC_RELAXED);
}

void rt_lost_counts(const struct rt_cpu_ctl *c, uint64_t out[RT_LOST_CAUSES])
{
	out[RT_LOST_FULL] = __atomic_load_n(&c->w.lost_full, __ATOMIC_RELAXED);
	out[RT_LOST_BIG] = __atomic_load_n(&c->w.lost_big, __ATOMIC_RELAXED);
	out[RT_LOST_ABORT] = __atomic_load_n(&c->w.lost_abort, __ATOMIC_RELAXED);
	out[RT_LOST_NOBUF] = __atomic_load_n(&c->w.lost_nobuf, __ATOMIC_RELAXED);
	out[RT_LOST_INVALID] = __atomic_load_n(&c->w.lost_invalid, __ATOMIC_RELAXED);
}

/* Lost counters take atomic adds from every mode and every process: they
 * are never stored by a sequence, so the two kinds of update cannot race. */
int rt_drop(struct rt_bufset *bs, uint32_t cpu, int status)
{
	struct rt_cpu_writer *w = &bs->ctl[cpu].w;
	uint64_t *counter = status == RT_E_FULL ? &w->lost_full
			    : status == RT_E_BIG ? &w->lost_big
			    : status == RT_E_INVAL ? &w->lost_invalid
			    : status == RT_E_NOBUF ? &w->lost_nobuf
						 : &w->lost_abort;
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
	return status;
}

/* Counted in the control line of idx, which exists for every index the
 * header allows (the control lines are mapped whole), so the loss is
 * reported by that buffer's first packet once it has memory. An index
 * beyond the header's count (a kernel bound we did not expect) is counted
 * on buffer 0. The eventfd write, once per index wanted, is
 * async-signal-safe and leaves errno alone. */
int rt_drop_nobuf(struct rt_bufset *bs, uint32_t idx)
{
	rt_drop(bs, idx < bs->nr_max ? idx : 0, RT_E_NOBUF);
	if (idx >= bs->nr_max)
		return RT_E_NOBUF;
	uint32_t want = __atomic_load_n(&bs->want, __ATOMIC_RELAXED);
	while (want < idx + 1)
		if (__atomic_compare_exchange_n(&bs->want, &want, idx + 1, 1,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
			if (bs->grow_fd >= 0) {
				int saved = errno;
				uint64_t one = 1;
				ssize_t r = write(bs->grow_fd, &one, sizeof one);
				(void)r; /* a full eventfd already says "look" */
				errno = saved;
			}
			break;
		}
	return RT_E_NOBUF;
}

/* Every write path checks the record before it touches it: RT_OK, or the
 * cause it is dropped for. A record shorter than its header room would
 * have its timestamp stored past its end and be committed as a torn event. */
static int record_size_check(const struct rt_bufset *bs, uint32_t len)
{
	if (len < RT_MIN_RECORD || (len & 7) != 0)
		return RT_E_INVAL;
	return len > rt_max_record(bs) ? RT_E_BIG : RT_OK;
}

/* rs == NULL: the caller holds the buffer's lock (locked mode), or is the
 * consumer writing to an offline CPU's buffer, which has no writers. */
static int commit(struct rt_bufset *bs, void *rs, uint32_t cpu, uint64_t old,
		  uint64_t newv, void *dst, const void *src, uint32_t len)
{
	uint64_t *offp = &bs->ctl[cpu].w.offset;
	if (rs)
		return rt_arch_copy_commit_at(rs, rt_index_word(bs, rs), cpu, offp, old, newv,
					      dst, src, len);
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
	uint64_t end = start + bs->subbuf_size;
	int r = commit(bs, rs, cpu, old, end, rt_cpu_data(bs, cpu, start) +
		       offsetof(struct rt_packet, close), &pc, sizeof pc);
	if (r != 0)
		return r;
	/* Overwrite mode (I8): from this offset on, the sub-buffer a lap
	 * behind (end - buf_size, the next one's memory) can no longer be
	 * copied intact, whether or not a writer ever opens the next packet:
	 * it is lost from here, so counted here (once: only the close that
	 * committed reaches end). */
	if (bs->overwrite &&
	    end - __atomic_load_n(&bs->ctl[cpu].r.consumed, __ATOMIC_ACQUIRE) >= bs->buf_size)
		__atomic_fetch_add(&bs->ctl[cpu].w.overwritten, 1, __ATOMIC_RELAXED);
	wake_reader(bs, cpu, end);
	return 0;
}

/*
 * The record did not fit at `old` (or no packet is open): close the
 * current packet, or open the next one if the consumer has released it,
 * or (overwrite mode, I8) reuse it (counted by the close before it).
 * Returns 0 to make the caller look at the offset again, or RT_E_FULL,
 * not counted yet: the caller waits for space or drops.
 */
int rt_switch(struct rt_bufset *bs, void *rs, uint32_t cpu, uint64_t old)
{
	if ((old & (bs->subbuf_size - 1)) != 0) {
		rt_packet_close(bs, rs, cpu, old);
		return 0;
	}
	uint64_t consumed = __atomic_load_n(&bs->ctl[cpu].r.consumed, __ATOMIC_ACQUIRE);
	if (old - consumed >= bs->buf_size && !bs->overwrite) /* invariant I3 */
		return RT_E_FULL;
	rt_packet_open(bs, rs, cpu, old);
	return 0;
}

__thread __attribute__((tls_model("initial-exec"))) int rt_nowait_depth;

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A writer's wait for space (blocking mode), over several attempts. */
struct space_wait {
	uint64_t deadline; /* CLOCK_MONOTONIC ns; 0: not started */
	uint64_t sleep_ns; /* the next sleep */
};

#define RT_WAIT_FIRST_NS 1000u    /* 1 us, doubling up to */
#define RT_WAIT_MAX_NS 1000000u   /* 1 ms: what a stop or a deadline may wait */

/*
 * The buffer was full. In blocking mode, sleeps a little and returns 1 to
 * retry (the retry reads the consumer's published position again);
 * returns 0 to drop: discard mode, a writer nested on top of another of
 * its thread (it would wait with that write or wait half done), the
 * deadline passed, or the channel stopped. A sleep, never a futex or a
 * lock in shared memory: what other processes write there cannot make a
 * writer wait past its own deadline. The sleeps grow from 1 us to 1 ms,
 * so a consumer that frees space soon costs little latency and one that
 * does not costs little CPU.
 */
static int wait_for_space(const struct rt_bufset *bs, struct space_wait *w, int nested)
{
	if (!bs->wait_ns || nested || rt_nowait_depth > 0)
		return 0;
	if (bs->wait_while && !__atomic_load_n(bs->wait_while, __ATOMIC_ACQUIRE))
		return 0;
	uint64_t now = mono_ns();
	if (!w->deadline) {
		w->deadline = bs->wait_ns > UINT64_MAX - now ? UINT64_MAX : now + bs->wait_ns;
		w->sleep_ns = RT_WAIT_FIRST_NS;
	}
	if (now >= w->deadline)
		return 0;
	uint64_t ns = w->sleep_ns < w->deadline - now ? w->sleep_ns : w->deadline - now;
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
	int saved = errno;
	nanosleep(&ts, NULL); /* a signal cuts it short: the caller just retries */
	errno = saved;
	if (w->sleep_ns < RT_WAIT_MAX_NS)
		w->sleep_ns *= 2;
	return 1;
}

/*
 * rt_write() after its one inlined attempt failed, or for a locked set:
 * the full loop. Every iteration either commits, switches packets (which
 * moves the offset, or drops on a full buffer), or failed its sequence;
 * RT_MAX_TRIES bounds them all.
 */
int rt_write_slow(struct rt_bufset *bs, void *rec, uint32_t len)
{
	if (bs->mode != RT_MODE_RSEQ)
		return rt_write_locked(bs, rec, len);

	struct rseq *rs = rt_rseq_area();
	if ((int32_t)rs->cpu_id < 0)
		return RT_E_MODE; /* no rseq in this thread: never mix modes */
	int cid = bs->index == RT_INDEX_CID;
	uint32_t cpu = rt_index_of(bs, rs);
	int bad = record_size_check(bs, len);
	if (bad)
		return rt_drop(bs, cid ? (cpu < bs->nr_max ? cpu : 0) : cpu % bs->nr_cpus, bad);

	struct space_wait w = { 0 };
	for (int tries = 0; tries < RT_MAX_TRIES; tries++) {
		cpu = rt_index_of(bs, rs);
		if (cpu >= __atomic_load_n(&bs->nr_cpus, __ATOMIC_ACQUIRE)) {
			if (cid) /* a concurrency id with no buffer yet */
				return rt_drop_nobuf(bs, cpu);
			cpu %= bs->nr_cpus; /* a CPU the set was not sized for */
			break;
		}
		uint64_t *offp = &bs->ctl[cpu].w.offset;
		uint64_t old = __atomic_load_n(offp, __ATOMIC_RELAXED);
		uint64_t in_sub = old & (bs->subbuf_size - 1);
		if (!rt_fits(bs, in_sub, len)) {
			if (rt_switch(bs, rs, cpu, old) == RT_E_FULL) {
				/* Outside any sequence. A wait is not a failed
				 * attempt: its deadline bounds it. */
				if (!wait_for_space(bs, &w, 0))
					return rt_drop(bs, cpu, RT_E_FULL);
				tries--;
			}
			continue;
		}
		char *dst = rt_cpu_data(bs, cpu, old);
		uint32_t skip = rt_stamp(bs, rec, dst - in_sub, in_sub); /* after `old` */
		if (commit(bs, rs, cpu, old, old + len - skip, dst, (char *)rec + skip, len - skip) == 0)
			return RT_OK;
	}
	return rt_drop(bs, cpu, RT_E_ABORT);
}

/* ---- Locked mode ------------------------------------------------------ */

/*
 * The lock word (layout.h): 0 free, else the holder's TID, with
 * RT_LOCK_WAITERS set once a writer may sleep on it. It lives in memory
 * every process of the set can write, so every value must be harmless:
 * a waiter spins a little, sleeps on the futex, and gives up after
 * RT_LOCK_WAIT_MS of CLOCK_MONOTONIC in all (dropping its record, counted
 * as an abort). A waiter that timed out takes the lock over if its holder
 * does not exist (a writer killed inside its write, or a scribbled word):
 * the commit is one store, so a dead holder left the buffer consistent.
 * Nothing here lets the kernel walk the word (no robust list, no PI).
 */
#define RT_LOCK_WAIT_MS 250
#define RT_LOCK_SPINS 100

/*
 * Locks this thread holds, innermost last. A signal handler that traces on
 * top of a locked write must not wait for a lock its own thread holds: it
 * takes the buffer of the next CPU instead. initial-exec TLS: no allocation
 * on first use, safe in a signal handler.
 */
#define RT_MAX_NESTING 4
static __thread __attribute__((tls_model("initial-exec")))
uint32_t *held_locks[RT_MAX_NESTING];
static __thread __attribute__((tls_model("initial-exec"))) int held_depth;
/* This thread's TID, cached: a system call per locked write otherwise.
 * Reset in a fork's child, whose one thread has a new TID. */
static __thread __attribute__((tls_model("initial-exec"))) uint32_t my_tid_cache;

static void forget_tid(void)
{
	my_tid_cache = 0;
}

__attribute__((constructor)) static void register_fork_handler(void)
{
	pthread_atfork(NULL, NULL, forget_tid);
}

static uint32_t my_tid(void)
{
	if (!my_tid_cache)
		my_tid_cache = (uint32_t)syscall(SYS_gettid) & ~RT_LOCK_WAITERS;
	return my_tid_cache;
}

static int held_by_me(uint32_t *lk)
{
	for (int i = 0; i < held_depth; i++)
		if (held_locks[i] == lk)
			return 1;
	return 0;
}

/* Whether the holder a lock word names may still release it. kill(tid, 0)
 * finds any thread by TID; EPERM means it exists (another user's). Only a
 * thread that holds no lock waits, so our own TID in the word is a
 * scribble. (A holder in another PID namespace may be taken for dead:
 * then two writers share a buffer for a while, which costs that buffer's
 * records, checked by the consumer, and nothing else.) */
static int holder_alive(uint32_t v)
{
	uint32_t tid = v & ~RT_LOCK_WAITERS;
	if (tid == 0 || tid > (1u << 22) || tid == my_tid()) /* PID_MAX_LIMIT */
		return 0;
	int saved = errno;
	int alive = kill((pid_t)tid, 0) == 0 || errno == EPERM;
	errno = saved;
	return alive;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__)
	__builtin_ia32_pause();
#else
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

static int futex_wait(uint32_t *lk, uint32_t v, uint64_t ns)
{
	struct timespec rel = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
	/* Shared, not private: the word is in memory of several processes.
	 * The timeout is relative, on CLOCK_MONOTONIC. */
	return (int)syscall(SYS_futex, lk, FUTEX_WAIT, v, &rel, NULL, 0);
}

/* Takes a lock word: 0, or RT_E_ABORT after wait_ms (0: one attempt). */
static int lock_word(uint32_t *lk, uint32_t wait_ms)
{
	uint32_t me = my_tid(), v = 0;
	if (__atomic_compare_exchange_n(lk, &v, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return 0;
	if (wait_ms == 0)
		return RT_E_ABORT;
	for (int i = 0; i < RT_LOCK_SPINS; i++) {
		cpu_relax();
		v = 0;
		if (__atomic_load_n(lk, __ATOMIC_RELAXED) == 0 &&
		    __atomic_compare_exchange_n(lk, &v, me, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return 0;
	}
	int saved = errno;
	uint64_t until = rt_now_ns() + (uint64_t)wait_ms * 1000000u, now;
	while ((now = rt_now_ns()) < until) {
		v = __atomic_load_n(lk, __ATOMIC_RELAXED);
		if (v == 0) {
			/* Woken waiters take it marked: others may still sleep. */
			if (__atomic_compare_exchange_n(lk, &v, me | RT_LOCK_WAITERS, 0,
							__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
				break;
			continue;
		}
		if (!(v & RT_LOCK_WAITERS) &&
		    !__atomic_compare_exchange_n(lk, &v, v | RT_LOCK_WAITERS, 0,
						 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			continue;
		futex_wait(lk, v | RT_LOCK_WAITERS, until - now);
	}
	if (now >= until) {
		/* Timed out: a holder that no longer exists never releases. */
		v = __atomic_load_n(lk, __ATOMIC_RELAXED);
		if (v == 0 || holder_alive(v) ||
		    !__atomic_compare_exchange_n(lk, &v, me | RT_LOCK_WAITERS, 0,
						 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			errno = saved;
			return RT_E_ABORT;
		}
	}
	errno = saved;
	return 0;
}

/* Releases a lock word this thread holds; leaves it alone if another
 * writer took it over meanwhile. */
static void unlock_word(uint32_t *lk)
{
	uint32_t me = my_tid();
	uint32_t v = __atomic_load_n(lk, __ATOMIC_RELAXED);
	/* Only waiters change the word under us, by adding their flag: two
	 * attempts suffice. */
	for (int i = 0; i < 2 && (v & ~RT_LOCK_WAITERS) == me; i++) {
		if (__atomic_compare_exchange_n(lk, &v, 0, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) {
			if (v & RT_LOCK_WAITERS) {
				int saved = errno;
				syscall(SYS_futex, lk, FUTEX_WAKE, 1, NULL, NULL, 0);
				errno = saved;
			}
			return;
		}
	}
}

/* For a consumer in the writers' own process (tests, in-process tools):
 * never for the daemon, which never takes a lock in shared memory. */
int rt_lock_cpu(struct rt_bufset *bs, uint32_t cpu)
{
	return lock_word(&bs->ctl[cpu].w.lock, RT_LOCK_WAIT_MS);
}

void rt_unlock_cpu(struct rt_bufset *bs, uint32_t cpu)
{
	unlock_word(&bs->ctl[cpu].w.lock);
}

/* One locked attempt: RT_OK, a drop (counted), or RT_E_FULL (not counted;
 * *cpu says where), after the lock is released. */
static int write_locked_once(struct rt_bufset *bs, void *rec, uint32_t len, uint32_t *cpu_out)
{
	uint32_t cpu = rt_current_cpu() % bs->nr_cpus;
	*cpu_out = cpu;
	int bad = record_size_check(bs, len);
	if (bad)
		return rt_drop(bs, cpu, bad);

	if (held_depth >= RT_MAX_NESTING)
		return rt_drop(bs, cpu, RT_E_ABORT);
	/* Nested over a write of this thread (a signal handler): never block,
	 * since this thread holds, or is taking, another buffer's lock; try the
	 * buffers in turn and drop if every one is busy. */
	int nested = held_depth > 0;
	uint32_t i;
	for (i = 0; i < bs->nr_cpus; i++, cpu = (cpu + 1) % bs->nr_cpus) {
		uint32_t *lk = &bs->ctl[cpu].w.lock;
		if (held_by_me(lk))
			continue;
		/* Published before the lock call: a signal landing inside it
		 * must see this lock as ours. */
		held_locks[held_depth] = lk;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		held_depth++;
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		int r = lock_word(lk, nested ? 0 : RT_LOCK_WAIT_MS);
		if (r == 0)
			break;
		held_depth--;
		if (!nested)
			return rt_drop(bs, cpu, RT_E_ABORT);
	}
	if (i == bs->nr_cpus)
		return rt_drop(bs, cpu, RT_E_ABORT);
	*cpu_out = cpu;

	int status = RT_E_ABORT;
	uint64_t *offp = &bs->ctl[cpu].w.offset;
	/* At most: close, open, write. */
	for (int step = 0; step < 3; step++) {
		uint64_t old = __atomic_load_n(offp, __ATOMIC_RELAXED);
		uint64_t in_sub = old & (bs->subbuf_size - 1);
		if (!rt_fits(bs, in_sub, len)) {
			status = rt_switch(bs, NULL, cpu, old);
			if (status < 0)
				break;
			status = RT_E_ABORT;
			continue;
		}
		char *dst = rt_cpu_data(bs, cpu, old);
		uint32_t skip = rt_stamp(bs, rec, dst - in_sub, in_sub);
		commit(bs, NULL, cpu, old, old + len - skip, dst, (char *)rec + skip, len - skip);
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

/* Waits for space with no lock held: other writers of that CPU go on. */
int rt_write_locked(struct rt_bufset *bs, void *rec, uint32_t len)
{
	if (bs->mode != RT_MODE_LOCKED)
		return RT_E_MODE;
	struct space_wait w = { 0 };
	for (;;) {
		uint32_t cpu;
		int r = write_locked_once(bs, rec, len, &cpu);
		if (r != RT_E_FULL)
			return r;
		if (!wait_for_space(bs, &w, held_depth > 0))
			return rt_drop(bs, cpu, RT_E_FULL);
	}
}
