/* SPDX-License-Identifier: MIT */
/*
 * Draining: closed packets from a trace's buffers to its output, on the
 * adaptive drain timer and when writers wake the daemon (ringbuf.h,
 * invariant I5); taking everything committed at stop.
 *
 * The control thread decides, drain threads do: the writes to disk (and
 * the closes of trace files) happen on drain threads, so no control
 * request waits for a disk. Drain thread k owns CPUs k, k + n, k + 2n...
 * of every trace (their reader positions, stream files and counts); the
 * control thread posts work bits to a trace under the drainers' lock, and
 * is told through an eventfd when work is done. Every call here is
 * bounded; no lock is held during I/O; nothing needs a writer.
 */
#ifndef RT_CONSUMERD_DRAIN_H
#define RT_CONSUMERD_DRAIN_H

#include <stddef.h>
#include <stdint.h>

struct daemon;
struct trace;

#define MAX_DRAINERS 16

/* Work bits, done in this order by each drain thread on its CPUs. */
enum {
	DR_SKIP = 1,   /* count what came since the flush as late (at start) */
	DR_DRAIN = 2,  /* closed sub-buffers (skipped while stopping) */
	DR_FLUSH = 4,  /* everything committed, and unreported losses */
	DR_CLOSE = 8,  /* close the files; the last thread closes the output */
};

/* Threads: cfg.drain_threads (0: one per online CPU, at most MAX_DRAINERS). */
int drainers_start(struct daemon *d, char *err, size_t errlen);
/* Waits for every posted work, then ends the threads. */
void drainers_stop(struct daemon *d);
/* A new trace: listed until its output is closed. */
void drainers_add(struct daemon *d, struct trace *t);
void drainers_post(struct daemon *d, struct trace *t, unsigned what);
/* The eventfd is readable: finishes flushes, reaps closed traces. */
void drainers_done(struct daemon *d);
/* Blocks until every posted work is done, then drainers_done(). For
 * shutdown and forced ops only. */
void drainers_wait_idle(struct daemon *d);

/* No work posted to t is left undone. */
int trace_idle(struct daemon *d, struct trace *t);
/* Posts a drain of t's closed packets (if t is open and not final). */
void trace_drain(struct daemon *d, struct trace *t);
/* Posts a flush: t->flushing until done; then, in a stopped session, the
 * trace is final until trace_resume(). */
void trace_flush(struct daemon *d, struct trace *t);
/* At start: what came while final is counted as lost, then drains go on. */
void trace_resume(struct daemon *d, struct trace *t);
/* One pass of the drain timer over every started trace. */
void drain_all(struct daemon *d);
/* Before the event loop sleeps: asks writers of every started trace that
 * no drain thread is working on to wake us. 1 if a trace has enough ready
 * already (do not sleep). */
int traces_sleep(struct daemon *d);
/* After the sleep, whatever ended it. */
void traces_awake(struct daemon *d);
/* The wake-up socket of link `id` (an app's, for one trace) is readable:
 * counted against its rate limit, then its trace drained. */
void trace_woken(struct daemon *d, uint64_t id);
/* How long the event loop may sleep while a wake-up socket is muted (its
 * trace is polled; -1: none is muted). */
int wakes_timeout_ms(const struct daemon *d);
/* Puts muted wake-up sockets whose second is over back in the epoll set;
 * marks the traces of those still muted to be drained. */
void wakes_unmute(struct daemon *d);
/* Posts drains of the traces found ready or woken. */
void drain_woken(struct daemon *d);

#endif
