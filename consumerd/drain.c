/* SPDX-License-Identifier: MIT */
/*
 * Draining (drain.h). The CTF writer takes committed records from the
 * buffers' own reader position, checks them on a private copy and writes
 * packets whose headers it builds itself (ctf/ctf.h); an impossible writer
 * offset makes the reader resynchronize, counted, and the other CPUs and
 * applications go on. A drain reads at most one buffer's worth per CPU and
 * call, so writers that keep filling cannot hold it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>

#include "consumerd/daemon.h"
#include "consumerd/log.h"
#include "consumerd/drain.h"
#include "consumerd/output.h"
#include "consumerd/session.h"
#include "consumerd/trace.h"

/* ---- draining and flushing -------------------------------------------------------- */

/* Returns the packets written (for the drain timer). */
int trace_drain(struct trace *t)
{
	if (!t->mapped || t->final)
		return 0;
	int r = t->out->ops->drain(t->out);
	trace_refresh_stats(t);
	return r > 0 ? r : 0;
}

/* Takes everything committed, the open sub-buffers too, without any
 * writer's help and without a lock (ringbuf/layout.h, I6): a writer that
 * is stopped, dead or hostile cannot hold it. In a stopped session the
 * trace is then final until the next start. */
void trace_flush(struct trace *t)
{
	if (!t->mapped || t->final)
		return;
	int r = t->out->ops->flush(t->out);
	trace_refresh_stats(t);
	t->final = t->s->state != S_ACTIVE;
	if (r < 0) {
		struct ctf_channel_stats st;
		t->out->ops->stats(t->out, &st);
		trace_set_error(t, "%s", st.last_error[0] ? st.last_error : "flush failed");
	}
}

/* At start: what writers committed while the trace was final is counted
 * as lost (late) and reported in the next packet, never written. */
void trace_resume(struct trace *t)
{
	if (!t->mapped || !t->final)
		return;
	uint64_t late = t->out->ops->skip_late(t->out);
	if (late)
		logm(LOG_INFO, "session %s, trace %s: %llu events came after stop; counted as "
			       "discarded", t->s->name, t->dir, (unsigned long long)late);
	t->final = 0;
	trace_refresh_stats(t);
}

/*
 * The drain timer: adaptive between drain_min_ms and drain_max_ms. A pass
 * that finds half of a CPU's buffer ready goes straight to the shortest
 * period; one that finds some packets to at most 10 ms; one that finds
 * none doubles the period. A quiet session costs one wakeup per
 * drain_max_ms; a writer that speeds up is caught within one period.
 */
#define BUSY_MS 10
void drain_all(struct daemon *d)
{
	int any = 0, half = 0;
	for (struct session *s = d->sessions; s; s = s->next) {
		if (s->state != S_ACTIVE)
			continue;
		for (struct trace *t = s->traces; t; t = t->next) {
			int got = trace_drain(t);
			any |= got > 0;
			/* Packets of this pass against half of one CPU's buffer. */
			if (t->mapped && (uint64_t)got * 2 * t->bs.subbuf_size >= t->bs.buf_size)
				half = 1;
		}
	}
	d->drain_passes++;
	int ms = d->drain_ms;
	if (half)
		ms = d->cfg.drain_min_ms;
	else if (any)
		ms = ms < BUSY_MS ? ms : BUSY_MS;
	else
		ms *= 2;
	if (ms < d->cfg.drain_min_ms)
		ms = d->cfg.drain_min_ms;
	if (ms > d->cfg.drain_max_ms)
		ms = d->cfg.drain_max_ms;
	d->drain_ms = ms;
}

/* ---- wake-ups ---------------------------------------------------------------------- */

static int trace_readable(const struct trace *t)
{
	return t->mapped && t->wake_rx >= 0 && !t->final;
}

/* Writers wake us once half a buffer is ready on a CPU (ringbuf.h,
 * invariant I5). A trace that has that much ready already is drained by
 * drain_woken(), and the loop does not sleep. */
int traces_sleep(struct daemon *d)
{
	int ready = 0;
	if (d->cfg.no_wakeup)
		return 0;
	for (struct session *s = d->sessions; s; s = s->next) {
		if (s->state != S_ACTIVE)
			continue;
		for (struct trace *t = s->traces; t; t = t->next) {
			if (!trace_readable(t))
				continue;
			if (rt_reader_sleep(&t->bs)) {
				t->woken = 1;
				ready = 1;
			} else {
				t->armed = 1;
			}
		}
	}
	return ready;
}

/* After the sleep, whatever ended it: writers stop signalling. */
void traces_awake(struct daemon *d)
{
	for (struct session *s = d->sessions; s; s = s->next)
		for (struct trace *t = s->traces; t; t = t->next)
			if (t->armed) {
				if (t->mapped)
					rt_reader_awake(&t->bs);
				t->armed = 0;
			}
}

/* Trace `key`'s wake-up socket is readable: a writer woke us (or an app
 * sent something of its own accord: that costs it a drain pass, nothing
 * else). */
void trace_woken(struct daemon *d, uint64_t key)
{
	for (struct session *s = d->sessions; s; s = s->next)
		for (struct trace *t = s->traces; t; t = t->next)
			if (t->key == key && t->wake_rx >= 0) {
				rt_wake_clear(t->wake_rx);
				t->woken = s->state == S_ACTIVE;
				d->writer_wakeups++;
				return;
			}
}

void drain_woken(struct daemon *d)
{
	for (struct session *s = d->sessions; s; s = s->next)
		for (struct trace *t = s->traces; t; t = t->next)
			if (t->woken) {
				t->woken = 0;
				if (s->state == S_ACTIVE)
					trace_drain(t);
			}
}
