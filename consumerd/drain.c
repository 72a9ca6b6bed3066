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

#include "common/time.h"
#include "consumerd/daemon.h"
#include "consumerd/log.h"
#include "consumerd/drain.h"
#include "consumerd/output.h"
#include "consumerd/registry.h"
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
	return t->mapped && !t->final;
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

/*
 * Wake-ups are per app and trace (issue 11 #10), and hints: each link may
 * wake us at most WAKE_MAX_PER_S times a second. Past that its socket
 * leaves the epoll set until the second is over (wakes_unmute) and the
 * trace is polled meanwhile, so an app that floods its socket costs its
 * trace a few hundred drain attempts a second and the daemon no CPU to
 * speak of, while every other app's wake-ups arrive on sockets of their
 * own. An honest app that needs more
 * has the drain timer, which drains at its shortest period while half a
 * buffer is ready.
 */
#define WAKE_MAX_PER_S 200
#define WAKE_WINDOW_MS 1000

static struct link *link_by_wake_id(struct daemon *d, uint64_t id, struct trace **tp)
{
	for (struct session *s = d->sessions; s; s = s->next)
		for (struct trace *t = s->traces; t; t = t->next)
			for (struct link *l = t->links; l; l = l->next)
				if (l->wake_id == id && l->wake_rx >= 0) {
					*tp = t;
					return l;
				}
	return NULL;
}

void trace_woken(struct daemon *d, uint64_t id)
{
	struct trace *t;
	struct link *l = link_by_wake_id(d, id, &t);
	if (!l)
		return;
	uint64_t now = rt_now_ms();
	if (now - l->wake_window_ms >= WAKE_WINDOW_MS) {
		l->wake_window_ms = now;
		l->wake_count = 0;
	}
	if (++l->wake_count > WAKE_MAX_PER_S) {
		daemon_unwatch(d, l->wake_rx);
		l->wake_muted = 1;
		uint64_t back = l->wake_window_ms + WAKE_WINDOW_MS;
		if (!d->wake_unmute_ms || back < d->wake_unmute_ms)
			d->wake_unmute_ms = back;
		return;
	}
	rt_wake_clear(l->wake_rx); /* a bounded number of datagrams */
	t->woken = t->s->state == S_ACTIVE;
	d->writer_wakeups++;
}

/* While a link is muted its trace is drained every MUTED_POLL_MS: the
 * reader_asleep flag is one per buffer set, so a writer of the muted app
 * may be the one that clears it, its wake-up landing on the muted socket;
 * polling keeps every other app's events moving meanwhile (a flood costs
 * its trace at most 1000 / MUTED_POLL_MS cheap drain passes a second). */
#define MUTED_POLL_MS 5

int wakes_timeout_ms(const struct daemon *d)
{
	if (!d->wake_unmute_ms)
		return -1;
	uint64_t now = rt_now_ms();
	uint64_t left = d->wake_unmute_ms > now ? d->wake_unmute_ms - now : 0;
	return left < MUTED_POLL_MS ? (int)left : MUTED_POLL_MS;
}

void wakes_unmute(struct daemon *d)
{
	if (!d->wake_unmute_ms)
		return;
	uint64_t now = rt_now_ms(), next = 0;
	for (struct session *s = d->sessions; s; s = s->next)
		for (struct trace *t = s->traces; t; t = t->next)
			for (struct link *l = t->links; l; l = l->next) {
				if (!l->wake_muted || l->wake_rx < 0)
					continue;
				uint64_t back = l->wake_window_ms + WAKE_WINDOW_MS;
				if (now >= back) {
					l->wake_muted = 0;
					daemon_watch(d, l->wake_rx, TAG_WAKE | l->wake_id);
					continue;
				}
				if (!next || back < next)
					next = back;
				t->woken = s->state == S_ACTIVE;
			}
	d->wake_unmute_ms = next;
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
