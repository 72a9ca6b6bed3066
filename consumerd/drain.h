/* SPDX-License-Identifier: MIT */
/*
 * Draining: closed packets from a trace's buffers to its output, on the
 * adaptive drain timer and when writers wake the daemon (ringbuf.h,
 * invariant I5); taking everything committed at stop.
 *
 * The control thread decides, drain threads do: the writes to disk (and
 * the closes of trace files) happen on drain threads, so no control
 * request waits for a disk. Each trace has one sleeper thread that waits
 * on the trace's wake-up sockets itself and drains every CPU of the trace
 * when woken or when the drain timer posts a drain (drain.c). Drain thread
 * k is the home of CPUs k, k + n, k + 2n... of every trace for skips,
 * flushes and closes. The control thread posts work bits under the
 * drainers' lock, wakes the threads concerned through their eventfds, and
 * is told through its own eventfd when work is done. Every call here is
 * bounded; no lock the control thread takes is held during I/O; nothing
 * needs a writer.
 */
#ifndef RT_CONSUMERD_DRAIN_H
#define RT_CONSUMERD_DRAIN_H

#include <stddef.h>
#include <stdint.h>

struct daemon;
struct trace;
struct wake_src;

#define MAX_DRAINERS 16

/* Work bits, done in this order by each drain thread on its CPUs. */
enum {
	DR_SKIP = 1,   /* count what came since the flush as late (at start) */
	DR_DRAIN = 2,  /* closed sub-buffers (skipped while stopping) */
	DR_FLUSH = 4,  /* everything committed, and unreported losses */
	DR_CLOSE = 8,  /* close the files; the last thread closes the output */
	DR_SWITCH = 16, /* the open packets too, the session recording on (switch timer) */
	DR_SNAPSHOT = 32, /* flight recorder: the trace's sleeper opens a snapshot
			   * (output ops->snapshot_begin) and posts DR_SNAPSHARE */
	DR_ROTATE = 64,   /* session rotation: the sleeper takes every CPU of the
			   * trace and of those held with it (drainers_post_with),
			   * flushes them (t->rot->flush) and moves the outputs to
			   * t->rot->dir */
	DR_ARCHIVE = 128, /* then: the old chunk's files into archives/ (t->arch_*) */
	DR_SNAPSHARE = 256, /* posted by the sleeper: take buffers of the snapshot
			     * begun (ops->snapshot_share) while it does */
};

/* Threads: cfg.drain_threads (0: one per online CPU, at most MAX_DRAINERS). */
int drainers_start(struct daemon *d, char *err, size_t errlen);
/* Waits for every posted work, then ends the threads. */
void drainers_stop(struct daemon *d);
/* A new trace (its session recording or not): listed until its output is
 * closed. 0, or -1 out of memory. */
int drainers_add(struct daemon *d, struct trace *t, int active);
void drainers_post(struct daemon *d, struct trace *t, unsigned what);
/* Posts what (DR_SNAPSHOT, DR_ROTATE) to t, for the n traces of with too
 * (trace_group), which are held until t's sleeper did it: not closed nor
 * reaped meanwhile, nor idle. 0, -ENOMEM, or -EBUSY (a hold is on). */
int drainers_post_with(struct daemon *d, struct trace *t, unsigned what, struct trace **with,
		       uint32_t n);
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
/* Posts a switch: t's open packets are closed and written as a flush
 * does, while its session records on (the channel's switch timer). */
void trace_switch(struct daemon *d, struct trace *t);
/* The drain timer's period: the adaptive one, or shorter for a started
 * channel's switch or read timer (ms, 0 if nothing records). */
int drain_period_ms(const struct daemon *d);
/* One pass of the drain timer over every started trace. */
void drain_all(struct daemon *d);
/* The session of t starts or stops recording (the sleeper drains it on
 * writers' wake-ups only while it records). */
void drainers_set_active(struct trace *t, int active);
/* Hands rx, the daemon's end of an app's wake-up socket for t, to t's
 * sleeper thread, which waits on it and rate-limits it (drain.c). NULL if
 * that failed (rx is closed then). */
struct wake_src *drainers_wake_add(struct daemon *d, struct trace *t, int rx);
/* The socket is no longer wanted: its sleeper closes it soon (ws may be
 * NULL). ws must not be used after. */
void drainers_wake_drop(struct wake_src *ws);

#endif
