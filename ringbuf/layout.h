/* SPDX-License-Identifier: MIT */
/*
 * Shared-memory layout of one buffer set: one memfd holding a buffer for
 * every possible CPU, or (per-PID sets, rseq mode) for every concurrency
 * id (rseq mm_cid) the process could have: nr_cpus of them, of which only
 * those in use are ever touched or mapped (ringbuf.h, rt_bufset_grow).
 * Below, "CPU" is the buffer's index, whichever of the two it means.
 *
 *   +----------------------+ 0
 *   | struct rt_shm_header |   magic, version, geometry, mode, clock
 *   +----------------------+ RT_SHM_HEADER_SIZE
 *   | struct rt_cpu_ctl[0] |   writer line | consumer line
 *   | struct rt_cpu_ctl[1] |
 *   | ...                  |
 *   +----------------------+ data_offset (page aligned)
 *   | CPU 0: num_subbuf x subbuf_size bytes                      |
 *   | CPU 1: ...                                                 |
 *   +------------------------------------------------------------+ total_size
 *
 * Positions are free-running 64-bit byte counts; a position p lives at
 * data + cpu * buf_size + (p mod buf_size). They never wrap in practice
 * (2^64 bytes), so a compare of positions has no ABA problem.
 *
 * Per buffer (per CPU, or per mm_cid: what makes it safe is the same, one
 * writer at a time runs with that index, and the kernel aborts a sequence
 * whose thread was preempted, migrated or signalled), with
 * S = offset / subbuf_size and p = offset mod subbuf_size:
 *
 *   I1  Every byte below `offset` is committed. Sub-buffers before S are
 *       closed packets; S is open and holds [header, events) up to p,
 *       unless p == 0, which means "S not opened yet".
 *   I2  Only a writer that has just seen `offset` unchanged, on this CPU,
 *       inside one restartable sequence (or holding `lock` in locked mode)
 *       stores `offset`. Everything it copies lies at or above the old
 *       offset, so committed bytes are never written again until the
 *       consumer releases them.
 *   I3  consumed <= start(S), consumed is a multiple of subbuf_size, and a
 *       sub-buffer is opened only if start(S) - consumed < buf_size: the
 *       writer never enters a sub-buffer the consumer still owns.
 *   I4  The consumer owns [consumed, start(S)) and writes only `consumed`
 *       and the other fields of its own cache line, and `reader_asleep`.
 *
 * Wake-ups, one consumer per set: a CPU is "ready" when start(S) - consumed
 * >= W = rt_wake_threshold() (ringbuf.h), closed packets worth waking for.
 * The wake fd is process-local (struct rt_bufset): the daemon gives each
 * writer process a socket of its own per set.
 *
 *   I5  Only the consumer sets `reader_asleep`, before it sleeps, and it
 *       clears it when it wakes. Writers only clear it, with an exchange:
 *       of the writers that find it set, one clears it and signals the
 *       set's wake fd (one system call per sleep at most). The consumer
 *       stores 1, fences, then looks for a ready CPU and sleeps only if it
 *       finds none. A writer that committed a packet close fences, then
 *       loads the flag, and signals if the flag is set and its CPU is
 *       ready. Each side stores before it loads the other's word, so of a
 *       consumer going to sleep and a writer closing a packet at least one
 *       sees the other's store: the consumer finds the data and drains
 *       instead of sleeping, or the writer finds the flag and wakes it.
 *       While the consumer sleeps `consumed` stands still and readiness
 *       grows only by packet closes, so a sleeping consumer is never left
 *       with a ready CPU and no wake-up on its way. The flag is a hint in
 *       shared memory: the consumer never reads it back, and a scribbled
 *       value costs a spurious wake-up or a wait for the consumer's
 *       timer, nothing else.
 *
 * The daemon's reader (rt_read_committed, read.c) trusts none of this
 * memory; it needs no writer's cooperation and takes no lock:
 *
 *   I6  It keeps its own position `pos` per CPU, which may lie inside a
 *       sub-buffer. It takes the committed bytes from max(pos, start(P) +
 *       header) up to `offset` when the writers are in P = sub(pos) (I1),
 *       or up to P's closing content_size, bounded to P, once they left
 *       it; it copies them before checking them, builds every packet
 *       header itself, and publishes consumed = start(P), so I3 holds
 *       (pos <= offset). Of a packet header it reads only content_size.
 *       An offset that breaks I3 moves pos to the offset's sub-buffer;
 *       the sub-buffers skipped are counted, with the records found in
 *       them.
 *
 * Event headers (packet.h) carry the low 27 bits of a timestamp (compact)
 * or all of it (extended); a reader rebuilds a compact one as the smallest
 * value at or after the previous record's whose low bits match:
 *
 *   I7  A writer uses the compact form only when ts - timestamp_begin of
 *       the open packet < 2^27 (the header it read is committed, below
 *       `old`), and never for a packet's first record. Every record of the
 *       packet lies in [timestamp_begin, ts], so a compact record is less
 *       than 2^27 after the one before it, and decodes exactly from it, or
 *       from any timestamp between the packet's begin and its own. The
 *       daemon so never reads a shared timestamp_begin: it counts from the
 *       last timestamp it decoded on that CPU (every run it takes, writes
 *       or not, is decoded) and writes that as the packet's begin.
 *
 * Overwrite mode (flight recorder: rt_shm_header.overwrite) drops I3 for
 * the writers: a writer that finds the next sub-buffer not consumed opens
 * it anyway. The close before that open counts it in `overwritten`: once
 * the offset reaches s + buf_size, the packet at s can no longer be
 * copied intact (I8), reopened or not (a writer may close a packet and go
 * on in another buffer: another mm_cid, or out of retries). Nothing else
 * changes for them (the fast path is the same code). A snapshot copies what is there
 * (rt_snapshot_take, read.c), and the daemon's reader of an overwrite set
 * in a normal session, lapped, goes on from the oldest sub-buffer not
 * reused and checks each copy (rt_read_intact), by this rule:
 *
 *   I8  The bytes of the sub-buffer that starts at position s are stored
 *       only while offset is in [s, s + subbuf_size) (I2: a writer stores
 *       at or above the offset it saw unchanged) or, a lap later, once
 *       offset has reached s + buf_size (the writer opening the packet at
 *       s + buf_size sees that offset first). So a copy of [s, e) made
 *       while e <= offset, with offset loaded again after the copy (an
 *       acquire fence orders the copy's loads before it) still below
 *       s + buf_size, is exactly what was committed: intact. A copy that
 *       fails the check may be torn; it is not used, and is counted. In
 *       locked mode the lock holder keeps the same order (copy, then the
 *       release store of offset), so the rule holds there too; a scribbled
 *       offset can only make copies fail the check or hold garbage, which
 *       the daemon's walk rejects like any record (I6).
 */
#ifndef RT_LAYOUT_H
#define RT_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#define RT_SHM_MAGIC 0x72736571747263ull /* "rseqtrc" */
#define RT_LAYOUT_VERSION 2u /* 2: lock word instead of a pthread mutex */
#define RT_SHM_HEADER_SIZE 256u
#define RT_CACHE_LINE 128u /* two 64-byte lines: no adjacent-line prefetch sharing */
#define RT_MIN_SUBBUF 256u
#define RT_MAX_SUBBUF (64u << 20)
#define RT_MAX_NUM_SUBBUF 1024u
#define RT_MAX_CPUS 4096u

struct rt_shm_header {
	uint64_t magic;
	uint32_t version;
	uint32_t header_size; /* RT_SHM_HEADER_SIZE */
	uint32_t ctl_size;    /* sizeof(struct rt_cpu_ctl) */
	uint32_t nr_cpus;     /* possible CPUs */
	uint32_t subbuf_size; /* power of two */
	uint32_t num_subbuf;  /* power of two, >= 2 */
	uint32_t mode;        /* enum rt_mode */
	uint32_t clock;       /* enum rt_clock */
	uint64_t data_offset;
	uint64_t total_size;
	uint8_t uuid[16];     /* trace uuid, copied into every packet header */
	uint32_t stream_id;   /* CTF stream class id, copied into every packet */
	/* What a buffer's number means (enum rt_index in ringbuf.h): the CPU
	 * (0, and sets made before this field) or the writer thread's rseq
	 * mm_cid, for a set one process alone writes. nr_cpus then bounds
	 * the concurrency ids; which of them have memory is a matter between
	 * the set's creator and its process (APP_GROW), never read here. */
	uint32_t index;
	/* 1: flight recorder (overwrite mode, write.c rt_switch, I7): a writer
	 * that finds its next sub-buffer unconsumed reuses it. Was reserved
	 * (zero): older sets read as discard mode. */
	uint32_t overwrite;
	uint32_t reserved[11];
	/* Second cache line: the consumer's word, stored around its sleeps and
	 * read by writers once per packet they close (I5). Was reserved (zero)
	 * in sets made before wake-ups, which reads as "awake": compatible. */
	uint32_t reader_asleep;
	uint32_t reserved2[31];
};
_Static_assert(sizeof(struct rt_shm_header) == RT_SHM_HEADER_SIZE, "header size");
_Static_assert(offsetof(struct rt_shm_header, reader_asleep) == RT_CACHE_LINE,
	       "the consumer's word on a line of its own");

struct rt_cpu_writer {
	/* Free-running position of the next free byte (invariant I1). */
	uint64_t offset;
	/* Lost records by cause. Updated with atomic adds on drop paths only,
	 * never with rseq stores, so both kinds of update never meet on one word. */
	uint64_t lost_full;  /* next sub-buffer still owned by the consumer */
	uint64_t lost_big;   /* record larger than a sub-buffer's payload */
	uint64_t lost_abort; /* too many consecutive aborts (bounded retry) */
	/* Locked mode only: the writers' lock word (write.c), guards offset.
	 * 0 is free; otherwise the holder's TID, | RT_LOCK_WAITERS when a
	 * writer may sleep on it (futex). Every value is valid: a garbage word
	 * costs writers a bounded wait and is then broken. Only writers touch
	 * it; the consumer never takes, waits on, or hands it to the kernel. */
	uint32_t lock;
	uint32_t pad;
	/* Lost records, continued: malformed (shorter than the event header,
	 * or not a multiple of 8). Was zero padding: older sets read as 0. */
	uint64_t lost_invalid;
	/* Lost records, continued: the writer's index (its mm_cid) had no
	 * buffer mapped yet; more were asked for. Was zero padding. */
	uint64_t lost_nobuf;
	/* Overwrite mode: sub-buffers (packets) given up before the consumer
	 * took them, their records lost (I8): an atomic add after each packet
	 * close that committed an offset a buffer ahead of an unconsumed
	 * sub-buffer, which from then on no copy gets intact. Was zero padding. */
	uint64_t overwritten;
} __attribute__((aligned(RT_CACHE_LINE)));
#define RT_LOCK_WAITERS 0x80000000u

struct rt_cpu_reader {
	uint64_t consumed;          /* start of the oldest unreleased sub-buffer (I3) */
	uint64_t packets;           /* packets released by the consumer */
	uint64_t last_discarded;    /* events_discarded of the last released packet */
} __attribute__((aligned(RT_CACHE_LINE)));

struct rt_cpu_ctl {
	struct rt_cpu_writer w;
	struct rt_cpu_reader r;
};

#endif
