/* SPDX-License-Identifier: MIT */
/*
 * Draining: closed packets from a trace's buffers to its output, on the
 * adaptive drain timer and when writers wake the daemon (ringbuf.h,
 * invariant I5); flushing partial packets at stop. Every call is bounded:
 * a locked-mode buffer whose lock an application holds is skipped after a
 * short wait, never waited for.
 */
#ifndef RT_CONSUMERD_DRAIN_H
#define RT_CONSUMERD_DRAIN_H

#include <stdint.h>

struct daemon;
struct trace;

/* Writes t's closed packets; returns how many (for the drain timer). */
int trace_drain(struct trace *t);
/* Closes every CPU's partial packet, then drains. */
void trace_flush(struct trace *t);
/* One pass of the drain timer over every started trace. */
void drain_all(struct daemon *d);
/* Before the event loop sleeps: asks writers of every started trace to
 * wake us. 1 if a trace has enough ready already (do not sleep). */
int traces_sleep(struct daemon *d);
/* After the sleep, whatever ended it. */
void traces_awake(struct daemon *d);
/* Trace `key`'s wake-up socket is readable. */
void trace_woken(struct daemon *d, uint64_t key);
/* Drains the traces found ready or woken. */
void drain_woken(struct daemon *d);

#endif
