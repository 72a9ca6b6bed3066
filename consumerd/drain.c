/* SPDX-License-Identifier: MIT */
/*
 * Draining (drain.h). The CTF writer drains closed sub-buffers into
 * packets after checking every record on a private copy. Around that, this
 * file keeps the daemon safe from applications that write the writer's
 * side of the buffers:
 *  - a writer offset that is impossible (behind the reader, or more than a
 *    buffer ahead) marks the trace broken: it is reported and its buffers
 *    are read no more (the reader would skip through garbage);
 *  - a drain reads at most one buffer's worth per CPU and call, so an
 *    offset made impossible after that check cannot hold it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>

#include "consumerd/daemon.h"
#include "consumerd/drain.h"
#include "consumerd/output.h"
#include "consumerd/session.h"
#include "consumerd/trace.h"

/* ---- guarding against impossible writer offsets ----------------------------------- */

static uint64_t reader_pos(const struct trace *t, uint32_t cpu)
{
	struct rt_cpu_stats cs;
	rt_cpu_stats(&t->bs, cpu, &cs);
	return cs.consumed; /* the reader's own copy once it has started */
}

/* Before a drain: no writer offset is impossible. 0 if the trace can be read. */
static int guard_before(struct trace *t)
{
	for (uint32_t c = 0; c < t->nr_cpus; c++) {
		struct cpu_guard *g = &t->guard[c];
		if (g->broken)
			return -1;
		uint64_t pos = reader_pos(t, c);
		uint64_t off = __atomic_load_n(&t->bs.ctl[c].w.offset, __ATOMIC_ACQUIRE);
		uint64_t closed = off & ~(t->bs.subbuf_size - 1);
		if (closed < pos || closed - pos > t->bs.buf_size) {
			g->broken = 1;
			trace_set_error(t, "the buffer of CPU %u was corrupted by an application (write "
					   "position %llu, read position %llu): no longer read", c,
					(unsigned long long)off, (unsigned long long)pos);
			return -1;
		}
	}
	return 0;
}

/* ---- draining and flushing -------------------------------------------------------- */

/* Returns the packets written (for the drain timer). */
int trace_drain(struct trace *t)
{
	if (!t->mapped || guard_before(t) != 0)
		return 0;
	int r = t->out->ops->drain(t->out);
	trace_refresh_stats(t);
	return r > 0 ? r : 0;
}

/* Closes every CPU's partial packet (rt_flush pins us to each CPU in rseq
 * mode, which makes the close atomic against that CPU's writers of every
 * process), then drains. */
void trace_flush(struct trace *t)
{
	if (!t->mapped || guard_before(t) != 0)
		return;
	/* A locked-mode CPU whose lock stays held (a stopped writer, a
	 * scribbled lock word) is skipped by rt_flush after a short wait and
	 * reported here; the others are flushed. */
	int r = t->out->ops->flush(t->out);
	trace_refresh_stats(t);
	if (r == -EAGAIN || r == -EIO) {
		struct ctf_channel_stats st;
		t->out->ops->stats(t->out, &st);
		trace_set_error(t, "%s", st.last_error[0] ? st.last_error : "flush failed");
	}
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
	if (!t->mapped || t->wake_rx < 0)
		return 0;
	for (uint32_t c = 0; c < t->nr_cpus; c++)
		if (t->guard[c].broken)
			return 0;
	return 1;
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
