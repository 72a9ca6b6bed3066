/* SPDX-License-Identifier: MIT */
/*
 * Draining: closed packets from a trace's buffers to its output, on the
 * adaptive drain timer and when writers wake the daemon (ringbuf.h,
 * invariant I5); taking everything committed at stop. Every call is bounded
 * and needs nothing from a writer: no lock is taken, no packet closed by
 * anyone but the daemon.
 */
#ifndef RT_CONSUMERD_DRAIN_H
#define RT_CONSUMERD_DRAIN_H

#include <stdint.h>

struct daemon;
struct trace;

/* Writes t's closed packets; returns how many (for the drain timer). */
int trace_drain(struct trace *t);
/* Writes everything committed, open sub-buffers included; in a stopped
 * session the trace is then final until trace_resume(). */
void trace_flush(struct trace *t);
/* At start: counts what came while final as lost, and drains again. */
void trace_resume(struct trace *t);
/* One pass of the drain timer over every started trace. */
void drain_all(struct daemon *d);
/* Before the event loop sleeps: asks writers of every started trace to
 * wake us. 1 if a trace has enough ready already (do not sleep). */
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
/* Drains the traces found ready or woken. */
void drain_woken(struct daemon *d);

#endif
