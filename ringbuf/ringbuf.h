/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU shared-memory ring buffers written with restartable sequences.
 *
 * A buffer set (struct rt_bufset) is one memfd with a buffer for every
 * possible CPU; layout.h draws it and states the invariants, packet.h gives
 * the packet format. Writers hand rt_write() a record they serialized on
 * their own stack; the consumer takes closed sub-buffers with
 * rt_read_next()/rt_read_release() and closes partial ones with rt_flush().
 *
 * The write fast path is below, whole, in rt_write(): no lock-prefixed
 * instruction, no system call, one restartable sequence per record.
 */
#ifndef RT_RINGBUF_H
#define RT_RINGBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/rseq.h>
#include <time.h>

#include "ringbuf/layout.h"
#include "ringbuf/packet.h"

#if defined(__x86_64__)
#include "ringbuf/arch/x86_64.h"
#elif defined(__aarch64__)
#include "ringbuf/arch/aarch64.h"
#else
#error "rseqtrace supports x86-64 and aarch64"
#endif

enum rt_mode {
	RT_MODE_AUTO = 0,   /* creation only: rseq if this thread can use it */
	RT_MODE_RSEQ = 1,   /* copy-and-commit in restartable sequences */
	RT_MODE_LOCKED = 2, /* the same under a robust process-shared mutex */
};

/* What a buffer's number is (rt_shm_header.index). Concurrency ids are
 * unique only among the threads of one process (one mm): an RT_INDEX_CID
 * set is written by one process alone (per-PID buffers), never shared. */
enum rt_index {
	RT_INDEX_CPU = 0,   /* the CPU the writer runs on (rseq cpu_id) */
	RT_INDEX_CID = 1,   /* the writer thread's rseq mm_cid: rseq mode only */
};

/* rt_bufset.fast: which inlined attempt rt_write makes. */
enum rt_fast {
	RT_FAST_NONE = 0, /* locked mode: the slow path only */
	RT_FAST_CPU = 1,  /* rseq, indexed by cpu_id_start, checked against cpu_id */
	RT_FAST_CID = 2,  /* rseq, indexed and checked by mm_cid */
};

enum rt_clock {
	RT_CLOCK_MONOTONIC = 0, /* CLOCK_MONOTONIC, ns */
	RT_CLOCK_TSC = 1,       /* the cycle counter */
	RT_CLOCK_NONE = 2,      /* benchmarks only: every timestamp is 0 */
};

/* Results. Writers retry a bounded number of times, and wait for space
 * only in blocking mode, bounded by their deadline (write.c). */
enum rt_status {
	RT_OK = 0,
	RT_E_FULL = -1,    /* dropped: next sub-buffer not consumed yet (counted) */
	RT_E_BIG = -2,     /* dropped: record larger than a sub-buffer (counted) */
	RT_E_ABORT = -3,   /* dropped: RT_MAX_TRIES failed attempts (counted) */
	RT_E_MODE = -4,    /* refused: this thread cannot write this set's mode */
	RT_E_INVAL = -5,   /* bad argument or bad shared-memory header; a
			    * malformed record is dropped (counted) with it */
	RT_E_SYS = -6,     /* a system call failed, errno set */
	RT_E_CORRUPT = -7, /* the consumer found inconsistent shared memory */
	RT_E_NOBUF = -8,   /* dropped: no buffer for this mm_cid yet (counted;
			    * more were asked for, rt_bufset.grow_fd) */
};

/* rt_bufset.wait_ns: wait until the consumer makes room or the set's
 * wait_while byte clears. */
#define RT_WAIT_FOREVER UINT64_MAX

/*
 * Writers of this thread that must never wait for space: the tracepoint
 * layer counts here the probes running on top of another probe of the same
 * thread (a signal handler that interrupted one), whose thread may be in
 * the middle of a write or a wait of its own. initial-exec TLS: no
 * allocation, safe in a signal handler.
 */
extern __thread int rt_nowait_depth __attribute__((tls_model("initial-exec")));

/* Attempts per record before it is dropped and counted as RT_E_ABORT.
 * Under a debugger's single-step every attempt aborts; this bound is what
 * keeps such a thread moving. */
#define RT_MAX_TRIES 64

struct rt_params {
	uint32_t subbuf_size; /* power of two, RT_MIN_SUBBUF..RT_MAX_SUBBUF */
	uint32_t num_subbuf;  /* power of two, 2..RT_MAX_NUM_SUBBUF */
	enum rt_mode mode;
	enum rt_clock clock;
	uint8_t uuid[16];
	uint32_t stream_id;
	uint32_t nr_cpus;     /* 0: the number of possible CPUs */
	enum rt_index index;  /* RT_INDEX_CID: rseq mode only */
	uint32_t nr_ready;    /* RT_INDEX_CID: buffers populated at first (0: all) */
	int overwrite;        /* flight recorder: reuse unconsumed sub-buffers (I8) */
};

/* The process-local view of a mapped buffer set. Read-only after mapping,
 * except for the consumer's positions (rd): a set that has been read from
 * must not be copied, or the copies would read the same packets twice. */
struct rt_bufset {
	struct rt_shm_header *hdr;
	struct rt_cpu_ctl *ctl;
	char *data;
	uint64_t subbuf_size;
	uint64_t buf_size; /* per CPU: subbuf_size * num_subbuf */
	/* Buffers usable now (indices below it are mapped). The header's
	 * count (nr_max) for CPU-indexed sets; for RT_INDEX_CID sets it
	 * grows (rt_bufset_grow, a release store; writers load it relaxed:
	 * a stale value only sends them to the slow path). */
	uint32_t nr_cpus;
	uint32_t nr_max;   /* the header's count: indices that may ever exist */
	uint32_t index;    /* enum rt_index */
	uint32_t fast;     /* rt_write's inlined path: enum rt_fast, from mode and index */
	uint32_t mode;
	uint32_t clock;
	int fd;
	/* Writers signal it when a sleeping consumer has data (invariant I5):
	 * the sending end of the consumer's rt_wake_pair(), or -1 for none.
	 * Set by whoever maps the set, before writers use it; closed by
	 * rt_bufset_unmap. */
	int wake_fd;
	/* Blocking mode (write.c), set by whoever maps the set, before writers
	 * use it: how long a writer that finds its buffer full waits for the
	 * consumer, in ns (0: never, it drops; RT_WAIT_FOREVER: no limit), and
	 * while what byte stays non-zero (the channel's active flag: stopping
	 * it lets every waiter go; NULL: no such condition). */
	uint64_t wait_ns;
	const uint8_t *wait_while;
	/* RT_INDEX_CID: a writer whose mm_cid has no buffer yet raises `want`
	 * (atomic max, indices wanted) and, if it raised it, writes 1 to
	 * grow_fd (an eventfd of whoever maps the set, not owned; -1: none),
	 * whose reader asks the set's creator for more (rt_bufset_grow). */
	int grow_fd;
	uint32_t want;
	size_t map_size;
	/* Consumer only, allocated by its first rt_read_next: the positions it
	 * trusts. The copies in shared memory are published for writers and
	 * never read back, so an application that scribbles on them cannot
	 * make the consumer skip or re-read packets. */
	struct rt_reader_pos *rd;
	/* Consumer only: the records in len bytes of committed records from
	 * `from`, the start of a sub-buffer's records (a bounded walk). Only a
	 * reader that knows the events can delimit records (packet.h: no
	 * length in the header), so the one that decodes them sets this, for
	 * the sub-buffers rt_read_committed skips; NULL counts a non-empty
	 * run as one record. */
	uint64_t (*count_records)(void *arg, const void *from, uint64_t len);
	void *count_arg;
	/* The header's overwrite flag (I8), read once at mapping: only the
	 * packet switch (write.c) looks at it. */
	uint32_t overwrite;
};

struct rt_reader_pos {
	uint64_t consumed; /* published: pos's sub-buffer (I3) */
	uint64_t pos;      /* the next byte to read (I6): may be inside a sub-buffer */
	uint64_t last_discarded;
	uint64_t packets;
};

struct rt_cpu_stats {
	uint64_t offset, consumed;
	uint64_t lost_full, lost_big, lost_abort, lost_invalid, lost_nobuf;
	uint64_t packets;
	uint64_t overwritten; /* packets given up unconsumed (overwrite mode, I8) */
};

/* Creation and mapping (ringbuf.c). Errors are written to err, if given. */
int rt_bufset_create(const struct rt_params *p, struct rt_bufset *bs,
		     char *err, size_t errlen);
int rt_bufset_map(int fd, struct rt_bufset *bs, char *err, size_t errlen);
/* The same, mapping only the first nr buffers of an RT_INDEX_CID set
 * (1..nr_max; RT_E_INVAL otherwise). The rest of the set's size is
 * reserved address space (PROT_NONE, private: no memory, no file pages)
 * that rt_bufset_grow maps in place, so no pointer into the set moves.
 * For a CPU-indexed set nr must be 0 or its count: every buffer is mapped. */
int rt_bufset_map_some(int fd, uint32_t nr, struct rt_bufset *bs, char *err, size_t errlen);
/* Maps and populates buffers [bs->nr_cpus, nr) of an RT_INDEX_CID set,
 * then publishes nr_cpus = nr. RT_OK, RT_E_INVAL (nr beyond the header's
 * count, or not a CID set), RT_E_SYS. A smaller nr changes nothing. */
int rt_bufset_grow(struct rt_bufset *bs, uint32_t nr, char *err, size_t errlen);
void rt_bufset_unmap(struct rt_bufset *bs); /* also closes the fd */
int rt_possible_cpus(void);
/* The one check of a set's geometry (nr_cpus, sub-buffer size and count),
 * for creation, mapping, and the daemon's answer to a CLI: RT_OK, or
 * RT_E_INVAL with a sentence a user can act on in err. */
int rt_check_geometry(uint32_t nr_cpus, uint32_t subbuf, uint32_t num, char *err, size_t errlen);
/* The bytes rt_bufset_create maps for that geometry (checked first). */
uint64_t rt_bufset_bytes(uint32_t nr_cpus, uint32_t subbuf, uint32_t num);
const char *rt_strerror(int status);

/* The CPU this thread runs on (rseq's, else sched_getcpu's; 0 if neither
 * knows), for drops counted outside a restartable sequence. */
uint32_t rt_current_cpu(void);
/* Whether this thread can write an RT_MODE_RSEQ buffer set. */
int rt_rseq_usable(void);
/* Whether this thread can write an RT_INDEX_CID set: rseq usable and the
 * kernel fills mm_cid (its rseq feature size reaches it, as librseq
 * decides), unless RSEQTRACE_CID=0 forces CPU indexing. */
int rt_cid_usable(void);
/* RT_MODE_LOCKED if RSEQTRACE_LOCKED=1 or rseq is unusable, else RSEQ. */
enum rt_mode rt_mode_default(void);

/* Reader side, one consumer per buffer set (read.c). */
/* Copies the oldest closed sub-buffer of cpu into out (subbuf_size bytes).
 * Returns 1 and the packet's length in bytes, 0 if none is closed,
 * RT_E_CORRUPT if the packet or the control block is inconsistent (the
 * packet is still consumed by rt_read_release; the caller counts it). */
int rt_read_next(struct rt_bufset *bs, uint32_t cpu, void *out, uint32_t *len);
void rt_read_release(struct rt_bufset *bs, uint32_t cpu, const void *pkt);
/* Closes cpu's partial packet, if it has events or unreported losses,
 * while writers of any process may still be writing. Returns 1 if a packet
 * was closed, 0 if there was nothing to close, <0 on error: RT_E_ABORT
 * when a locked-mode buffer's lock is held (it never waits for it: try
 * again later, a bounded number of times). */
int rt_flush(struct rt_bufset *bs, uint32_t cpu);
/* The same with plain stores, for a caller that knows no writer can run
 * (it joined them all): the only flush an mm_cid set has in-process, as a
 * concurrency id is not a place a consumer can go to. */
int rt_flush_idle(struct rt_bufset *bs, uint32_t cpu);
/* Allocates the reader's private positions (idempotent). */
int rt_reader_init(struct rt_bufset *bs);

/*
 * The reader for a consumer that trusts no writer (the daemon), invariant
 * I6 in layout.h: it takes what is committed from its own position, never
 * takes a lock, never needs a writer to close a packet, and builds packet
 * headers itself. rt_read_committed() describes the next run of committed
 * records, [pos, end) in the buffer, all in one sub-buffer; the caller
 * copies and checks them, then calls rt_read_advance(). With partial 0
 * only sub-buffers the writers have left are returned.
 * Returns 1 (a run, possibly empty when closed), 0 (nothing), <0.
 */
struct rt_committed {
	uint64_t pos, end;        /* positions: rt_cpu_data() gives the bytes */
	uint64_t now;             /* the set's clock after the offset was read */
	int closed;               /* the writers left this sub-buffer */
	int bad_close;            /* its closing fields were impossible */
	int resynced;             /* the writer's offset was impossible */
	uint64_t skipped;         /* sub-buffers skipped to resynchronize */
	uint64_t skipped_records; /* records counted in them */
	uint64_t overwritten;     /* overwrite mode: sub-buffers the writers reused
				   * before we read them (I8), skipped */
};
int rt_read_committed(struct rt_bufset *bs, uint32_t cpu, int partial, struct rt_committed *cm);
void rt_read_advance(struct rt_bufset *bs, uint32_t cpu, const struct rt_committed *cm);
/* After reading from the sub-buffer that holds pos: whether what was read
 * is what the writers committed there, i.e. they have not reused it since
 * (I8; overwrite mode). An acquire fence, then a load of the offset. */
int rt_read_intact(const struct rt_bufset *bs, uint32_t cpu, uint64_t pos);
/*
 * Flight recorder (invariant I8, overwrite mode): copies of what a buffer
 * holds now, taken without the writers' help while they go on writing.
 * rt_snapshot_range() gives the positions to copy on cpu: [*first, *off),
 * every sub-buffer from *first (on the grid) to the one *off is in, the
 * oldest at most a buffer's lap behind. rt_snapshot_take() copies the
 * sub-buffer at start (whole if closed at *off, else up to off) to out
 * (subbuf_size bytes), then checks I8. Returns the length in bytes of the
 * records, which lie at out + RT_PACKET_HEADER_LEN (bounded, and 0 when
 * the closing content_size is impossible), or RT_E_ABORT if the writers
 * reused the sub-buffer during the copy: nothing of it may be used. The
 * records are the application's, unchecked: the caller walks them.
 */
void rt_snapshot_range(const struct rt_bufset *bs, uint32_t cpu, uint64_t *first, uint64_t *off);
int rt_snapshot_take(const struct rt_bufset *bs, uint32_t cpu, uint64_t start, uint64_t off,
		     void *out);
void rt_cpu_stats(const struct rt_bufset *bs, uint32_t cpu, struct rt_cpu_stats *st);
uint64_t rt_lost_total(const struct rt_cpu_ctl *c);
/* The lost counters one by one, indexed by enum rt_lost_cause. */
enum rt_lost_cause {
	RT_LOST_FULL, RT_LOST_BIG, RT_LOST_ABORT, RT_LOST_NOBUF, RT_LOST_INVALID, RT_LOST_CAUSES
};
void rt_lost_counts(const struct rt_cpu_ctl *c, uint64_t out[RT_LOST_CAUSES]);

/*
 * Wake-ups (invariant I5): a consumer that waits for data rather than only
 * polling on a timer. Writers pay nothing on the fast path; a writer that
 * closes a packet pays a fence and a load, and a system call only when the
 * consumer sleeps and the CPU is ready, once per sleep.
 *
 *   rt_wake_pair(&rx, &bs->wake_fd);      once per writer process; tx goes
 *   for (;;) {                             to it with the set's memfd
 *           if (!rt_reader_sleep(bs))
 *                   poll rx for POLLIN, with a timeout (latency backstop);
 *           rt_reader_awake(bs);
 *           rt_wake_clear(rx);
 *           drain with rt_read_next/rt_read_release;
 *   }
 *
 * The wake fd is one end of a connected AF_UNIX datagram socket pair, not
 * an eventfd: writers send with MSG_DONTWAIT, which no other holder of the
 * descriptor can turn into a blocking call (a file's O_NONBLOCK is shared
 * by every process that holds it, and any of them may clear it), and the
 * consumer reads its own end with MSG_DONTWAIT likewise.
 */
/* Closed bytes on one CPU that are worth a wake-up: half of its buffer. */
static inline uint64_t rt_wake_threshold(const struct rt_bufset *bs)
{
	return bs->buf_size / 2;
}
/* rx: the consumer's end; tx: for rt_bufset.wake_fd. Both close-on-exec,
 * non-blocking. RT_OK or RT_E_SYS (errno set). */
int rt_wake_pair(int *rx, int *tx);
/* Before waiting on rx: 1 if a CPU is ready (do not wait, drain), 0 if a
 * writer will signal once one is. */
int rt_reader_sleep(struct rt_bufset *bs);
/* Bytes of closed sub-buffers on cpu not released by the consumer, as the
 * writers' offset says (0: nothing to drain; more than buf_size: an
 * impossible offset, for the drain to resynchronize). Consumer side, from
 * any thread: a drain of that CPU running meanwhile makes it stale, never
 * torn. */
uint64_t rt_cpu_closed(const struct rt_bufset *bs, uint32_t cpu);
/* After waiting on rx, whatever ended the wait. */
void rt_reader_awake(struct rt_bufset *bs);
/* Reads what is pending on rx without blocking (at most a bounded number
 * of datagrams per call; a level-triggered poll reports the rest). Returns
 * the number read. */
int rt_wake_clear(int rx);

/* Slow paths of the writer (write.c). rt_packet_open/close are also the
 * flush's (read.c): rs is the caller's rseq area, or NULL when it holds the
 * buffer's lock or the CPU is offline (no writer can run there). */
int rt_switch(struct rt_bufset *bs, void *rs, uint32_t cpu, uint64_t old);
int rt_packet_open(struct rt_bufset *bs, void *rs, uint32_t cpu, uint64_t old);
int rt_packet_close(struct rt_bufset *bs, void *rs, uint32_t cpu, uint64_t old);
int rt_write_locked(struct rt_bufset *bs, void *rec, uint32_t len);
int rt_write_slow(struct rt_bufset *bs, void *rec, uint32_t len);
int rt_drop(struct rt_bufset *bs, uint32_t cpu, int status);
/* An RT_INDEX_CID writer found no buffer for index idx: counts the drop
 * (RT_E_NOBUF) and asks for idx + 1 buffers. Never blocks. */
int rt_drop_nobuf(struct rt_bufset *bs, uint32_t idx);
int rt_lock_cpu(struct rt_bufset *bs, uint32_t cpu);
void rt_unlock_cpu(struct rt_bufset *bs, uint32_t cpu);

/* The largest record rt_write accepts for this set. A packet never fills
 * to its last byte: a commit that reached the end of a sub-buffer would
 * look closed without its closing fields (invariant I1). */
static inline uint32_t rt_max_record(const struct rt_bufset *bs)
{
	return (uint32_t)bs->subbuf_size - RT_PACKET_HEADER_LEN - 8;
}

/* A record of len bytes fits in the open packet, in_sub bytes into its
 * sub-buffer: a packet is open (in_sub != 0) and the record ends before
 * the sub-buffer's last byte (invariant I1). Otherwise: switch packets. */
static inline int rt_fits(const struct rt_bufset *bs, uint64_t in_sub, uint32_t len)
{
	return in_sub != 0 && in_sub + len < bs->subbuf_size;
}

static inline struct rseq *rt_rseq_area(void)
{
	return (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
}

/* Buffers in use now, for a thread other than the one that grows the set
 * (rt_bufset_grow publishes the count after mapping the buffers). */
static inline uint32_t rt_nr_buffers(const struct rt_bufset *bs)
{
	return __atomic_load_n(&bs->nr_cpus, __ATOMIC_ACQUIRE);
}

/* Offsets in struct rseq (uapi): glibc 2.36's <sys/rseq.h> stops at flags. */
#define RT_RSEQ_CPU_ID 4
#define RT_RSEQ_MM_CID 24

/* The word of this thread's rseq area that a set's index is checked
 * against inside the sequence: cpu_id, or mm_cid. */
static inline const uint32_t *rt_index_word(const struct rt_bufset *bs, const void *rs)
{
	return (const uint32_t *)((const char *)rs +
				  (bs->index == RT_INDEX_CID ? RT_RSEQ_MM_CID : RT_RSEQ_CPU_ID));
}

/*
 * The buffer this thread writes: cpu_id_start, or mm_cid. An RT_INDEX_CID
 * set also needs the thread registered: an unregistered thread's mm_cid
 * reads 0 and the kernel would abort nothing, so its cpu_id (-1, -2) sends
 * it to the slow path (UINT32_MAX), which refuses it. Registration does
 * not change under a running thread, so checking it before the sequence
 * is enough; for CPU indexing the sequence's cpu_id compare does it.
 */
static inline uint32_t rt_index_of(const struct rt_bufset *bs, const struct rseq *rs)
{
	if (bs->index == RT_INDEX_CID)
		return (int32_t)__atomic_load_n(&rs->cpu_id, __ATOMIC_RELAXED) < 0 ? UINT32_MAX :
		       __atomic_load_n(rt_index_word(bs, rs), __ATOMIC_RELAXED);
	return __atomic_load_n(&rs->cpu_id_start, __ATOMIC_RELAXED);
}

static inline uint64_t rt_clock_read(uint32_t clock)
{
	if (clock == RT_CLOCK_MONOTONIC) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	}
	return clock == RT_CLOCK_TSC ? rt_arch_cycles() : 0;
}

static inline char *rt_cpu_data(const struct rt_bufset *bs, uint32_t cpu, uint64_t pos)
{
	return bs->data + (uint64_t)cpu * bs->buf_size + (pos & (bs->buf_size - 1));
}

/*
 * Stamps a staged record (packet.h) to be committed in_sub bytes into the
 * open packet whose header is at pkt, and returns how many of its leading
 * bytes not to copy: RT_EH_COMPACT_SKIP for the compact form, 0 for the
 * extended. The first record of a packet is always extended, so a reader
 * needs no packet header to decode the rest (I7, layout.h). Called after
 * the load of `old`, like every timestamp: whoever reserves in this
 * buffer after that load moves `offset`, the commit then fails and the
 * caller stamps again, later. So timestamps in a buffer never go back.
 * The packet's timestamp_begin is committed data below `old` (I1).
 */
static inline __attribute__((always_inline)) uint32_t
rt_stamp(const struct rt_bufset *bs, void *rec, const char *pkt, uint64_t in_sub)
{
	struct rt_event_header *eh = rec;
	uint64_t ts = rt_clock_read(bs->clock);
	uint64_t begin = __atomic_load_n((const uint64_t *)(pkt + offsetof(struct rt_packet,
									      open.timestamp_begin)),
					 __ATOMIC_RELAXED);
	uint32_t id = eh->word >> RT_EH_ID_BITS;
	if (__builtin_expect(id < RT_EH_EXTENDED && ts - begin <= RT_EH_TS_MASK &&
			     in_sub != RT_PACKET_HEADER_LEN, 1)) {
		eh->ts[1] = id | (uint32_t)ts << RT_EH_ID_BITS;
		return RT_EH_COMPACT_SKIP;
	}
	memcpy(eh->ts, &ts, sizeof ts);
	return 0;
}

/* rt_write's one attempt at buffer `cpu`, checked in the sequence against
 * the rseq word id (cpu_id or mm_cid): 0 when committed. */
static inline __attribute__((always_inline)) int
rt_write_at(struct rt_bufset *bs, struct rseq *rs, const uint32_t *id, uint32_t cpu,
	    void *rec, uint32_t len)
{
	/* One unsigned compare bounds len on both sides: a record shorter
	 * than its header room wraps around to a huge value. */
	if (__builtin_expect(cpu < __atomic_load_n(&bs->nr_cpus, __ATOMIC_RELAXED) &&
			     len - RT_MIN_RECORD <= rt_max_record(bs) - RT_MIN_RECORD &&
			     (len & 7) == 0, 1)) {
		uint64_t *offp = &bs->ctl[cpu].w.offset;
		uint64_t old = __atomic_load_n(offp, __ATOMIC_RELAXED);
		uint64_t in_sub = old & (bs->subbuf_size - 1);
		if (__builtin_expect(rt_fits(bs, in_sub, len), 1)) {
			char *dst = rt_cpu_data(bs, cpu, old);
			uint32_t skip = rt_stamp(bs, rec, dst - in_sub, in_sub);
			return rt_arch_copy_commit_at(rs, id, cpu, offp, old, old + len - skip, dst,
						      (char *)rec + skip, len - skip);
		}
	}
	return -1;
}

/*
 * Writes one record (at most rt_max_record() bytes): rec points to len
 * staged bytes (len a multiple of 8, rec 4-aligned) that begin with a
 * struct rt_event_header whose word is rt_eh_extended(id) (packet.h); the
 * header's form and timestamp are chosen here, and the buffer takes len
 * or len - 8 bytes.
 * Returns RT_OK or a negative rt_status; every drop is counted in the
 * buffer of the CPU it happened on, a malformed record (shorter than
 * RT_MIN_RECORD, or len not a multiple of 8) too, as RT_E_INVAL.
 *
 * This is the common case, one attempt, inlined at the call site;
 * rt_write_slow() (write.c) has the same loop with the packet switch, the
 * bounded retries, locked mode and the drops. Per-CPU sets test one word
 * (bs->fast) as before mm_cid indexing existed; mm_cid sets a second.
 */
static inline int rt_write(struct rt_bufset *bs, void *rec, uint32_t len)
{
	if (__builtin_expect(bs->fast == RT_FAST_CPU, 1)) {
		struct rseq *rs = rt_rseq_area();
		uint32_t cpu = __atomic_load_n(&rs->cpu_id_start, __ATOMIC_RELAXED);
		/* An unregistered thread reads cpu_id -1 or -2 in the
		 * sequence and aborts before storing anything. */
		if (rt_write_at(bs, rs, (const uint32_t *)((char *)rs + RT_RSEQ_CPU_ID), cpu,
				rec, len) == 0)
			return RT_OK;
	} else if (bs->fast == RT_FAST_CID) {
		struct rseq *rs = rt_rseq_area();
		uint32_t cid = rt_index_of(bs, rs); /* UINT32_MAX if unregistered */
		if (rt_write_at(bs, rs, (const uint32_t *)((char *)rs + RT_RSEQ_MM_CID), cid,
				rec, len) == 0)
			return RT_OK;
	}
	return rt_write_slow(bs, rec, len);
}

#endif
