/* SPDX-License-Identifier: MIT */
/*
 * Draining (drain.h). The CTF writer takes committed records from the
 * buffers' own reader position, checks them and writes packets whose
 * headers it builds itself (ctf/ctf.h); an impossible writer offset makes
 * the reader resynchronize, counted, and the other CPUs and applications
 * go on. A drain reads at most one buffer's worth per CPU and call, so
 * writers that keep filling cannot hold it.
 *
 * Who owns what: the control thread owns the daemon, sessions and traces
 * (trace.h says which fields drain threads touch). struct drainers' lock
 * guards the list of traces with buffers and each trace's work bits and
 * generations; it is never held during I/O. A trace's output and reader
 * belong to the drain threads from drainers_add() until the last thread
 * closed it (t->closed): the control thread only posts work and reads the
 * counts they publish (trace_publish_cpu, under the trace's stats_lock).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/time.h"
#include "consumerd/daemon.h"
#include "consumerd/drain.h"
#include "consumerd/log.h"
#include "consumerd/output.h"
#include "consumerd/registry.h"
#include "consumerd/session.h"
#include "consumerd/trace.h"

struct drainer {
	struct drainers *dr;
	uint32_t k;
	pthread_t thread;
};

struct drainers {
	pthread_mutex_t lock;
	pthread_cond_t work;    /* drain threads: a trace has bits for them */
	pthread_cond_t idle;    /* the control thread, at shutdown only */
	uint32_t nr, running;
	struct drainer th[MAX_DRAINERS];
	int done_fd;            /* eventfd in the control thread's epoll set */
	int quit;
	struct trace *traces;   /* dnext */
	/* For the adaptive timer, since its last tick (atomics). */
	uint64_t packets;
	int half;
};

/* ---- the drain threads ------------------------------------------------------------ */

static void do_work(struct drainers *dr, struct trace *t, uint32_t k, unsigned bits, int stopping)
{
	struct output *o = t->out;
	uint64_t got = 0;
	for (uint32_t cpu = k; cpu < t->bs.nr_cpus; cpu += dr->nr) {
		if (bits & DR_SKIP)
			o->ops->skip_late_cpu(o, cpu);
		if ((bits & DR_DRAIN) && !stopping) {
			int r = o->ops->drain_cpu(o, cpu, 0);
			got += r > 0 ? (uint64_t)r : 0;
		}
		if (bits & DR_FLUSH)
			o->ops->drain_cpu(o, cpu, 1);
		if (bits & DR_CLOSE)
			o->ops->close_cpu(o, cpu);
		trace_publish_cpu(t, cpu);
	}
	__atomic_add_fetch(&dr->packets, got, __ATOMIC_RELAXED);
	/* Packets of this pass against half of one CPU's buffer. */
	if (got * 2 * t->bs.subbuf_size >= t->bs.buf_size)
		__atomic_store_n(&dr->half, 1, __ATOMIC_RELAXED);
}

static int all_done_but_users(const struct drainers *dr, const struct trace *t)
{
	for (uint32_t k = 0; k < dr->nr; k++)
		if (t->want[k] || t->done[k] < t->posted)
			return 0;
	return 1;
}

static int all_done(const struct drainers *dr, const struct trace *t)
{
	return all_done_but_users(dr, t) && t->users == 0;
}

static void tell_control(struct drainers *dr)
{
	uint64_t one = 1;
	if (write(dr->done_fd, &one, sizeof one) < 0 && errno != EAGAIN)
		logm(LOG_WARN, "drain thread: eventfd: %s", strerror(errno));
}

/* The last thread done with a closed trace closes its output (the trace
 * file's close may wait for the disk: not on the control thread). */
static void close_output(struct drainers *dr, struct trace *t)
{
	int r = t->out->ops->close(t->out);
	char *error = NULL;
	if (r != 0 && asprintf(&error, "trace %s: %s", t->dir, strerror(r < 0 ? -r : r)) < 0)
		error = NULL;
	pthread_mutex_lock(&t->stats_lock);
	if (error && !t->pub_error) {
		t->pub_error = error;
		error = NULL;
	}
	pthread_mutex_unlock(&t->stats_lock);
	free(error);
	pthread_mutex_lock(&dr->lock);
	t->closed = 1;
	t->users--;
	pthread_mutex_unlock(&dr->lock);
}

static struct trace *next_work(struct drainers *dr, uint32_t k)
{
	for (struct trace *t = dr->traces; t; t = t->dnext)
		if (t->want[k])
			return t;
	return NULL;
}

static void *drainer_main(void *arg)
{
	struct drainer *me = arg;
	struct drainers *dr = me->dr;
	uint32_t k = me->k;
	pthread_mutex_lock(&dr->lock);
	for (;;) {
		struct trace *t = next_work(dr, k);
		if (!t) {
			if (dr->quit)
				break;
			pthread_cond_wait(&dr->work, &dr->lock);
			continue;
		}
		unsigned bits = t->want[k];
		uint64_t gen = t->posted;
		int stopping = t->stopping;
		t->want[k] = 0;
		t->users++;
		pthread_mutex_unlock(&dr->lock);

		do_work(dr, t, k, bits, stopping);

		pthread_mutex_lock(&dr->lock);
		t->done[k] = gen;
		/* Still a user while closing: the trace is not idle (nor
		 * reaped) before its output is closed. */
		int last = (bits & DR_CLOSE) && t->users == 1 && all_done_but_users(dr, t);
		if (!last)
			t->users--;
		/* The control thread needs to hear of flushes, closes and
		 * a trace whose work is all done (to watch it again); not of
		 * each thread's share of a drain. */
		int tell = (bits & (DR_SKIP | DR_FLUSH | DR_CLOSE)) || all_done(dr, t);
		pthread_mutex_unlock(&dr->lock);
		if (last) {
			close_output(dr, t);
			tell = 1;
		}
		if (tell)
			tell_control(dr);
		pthread_mutex_lock(&dr->lock);
		pthread_cond_broadcast(&dr->idle);
	}
	pthread_mutex_unlock(&dr->lock);
	ctf_thread_done();
	return NULL;
}

/* ---- the control thread's side ------------------------------------------------------ */

static uint32_t online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (uint32_t)n : 1;
}

int drainers_start(struct daemon *d, char *err, size_t errlen)
{
	struct drainers *dr = calloc(1, sizeof *dr);
	if (!dr) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&dr->lock, NULL);
	pthread_cond_init(&dr->work, NULL);
	pthread_cond_init(&dr->idle, NULL);
	dr->nr = d->cfg.drain_threads ? d->cfg.drain_threads : online_cpus();
	if (dr->nr > MAX_DRAINERS)
		dr->nr = MAX_DRAINERS;
	d->dr = dr;
	dr->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (dr->done_fd < 0 || daemon_watch(d, dr->done_fd, TAG_DRAINED) != 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		return -1;
	}
	for (uint32_t k = 0; k < dr->nr; k++) {
		dr->th[k] = (struct drainer){ .dr = dr, .k = k };
		int r = pthread_create(&dr->th[k].thread, NULL, drainer_main, &dr->th[k]);
		if (r != 0) {
			snprintf(err, errlen, "cannot start drain threads: %s", strerror(r));
			return -1;
		}
		dr->running++;
	}
	return 0;
}

static int trace_busy(const struct drainers *dr, const struct trace *t)
{
	return !all_done(dr, t);
}

int trace_idle(struct daemon *d, struct trace *t)
{
	pthread_mutex_lock(&d->dr->lock);
	int busy = trace_busy(d->dr, t);
	pthread_mutex_unlock(&d->dr->lock);
	return !busy;
}

void drainers_wait_idle(struct daemon *d)
{
	struct drainers *dr = d->dr;
	if (!dr)
		return;
	pthread_mutex_lock(&dr->lock);
	for (;;) {
		int busy = 0;
		for (struct trace *t = dr->traces; t && !busy; t = t->dnext)
			busy = trace_busy(dr, t);
		if (!busy || !dr->running)
			break;
		pthread_cond_wait(&dr->idle, &dr->lock);
	}
	pthread_mutex_unlock(&dr->lock);
	drainers_done(d);
}

void drainers_stop(struct daemon *d)
{
	struct drainers *dr = d->dr;
	if (!dr)
		return;
	drainers_wait_idle(d);
	pthread_mutex_lock(&dr->lock);
	dr->quit = 1;
	pthread_cond_broadcast(&dr->work);
	pthread_mutex_unlock(&dr->lock);
	for (uint32_t k = 0; k < dr->running; k++)
		pthread_join(dr->th[k].thread, NULL);
	drainers_done(d); /* closed since the last look: reaped */
	if (dr->done_fd >= 0) {
		daemon_unwatch(d, dr->done_fd);
		close(dr->done_fd);
	}
	pthread_cond_destroy(&dr->work);
	pthread_cond_destroy(&dr->idle);
	pthread_mutex_destroy(&dr->lock);
	free(dr);
	d->dr = NULL;
}

void drainers_add(struct daemon *d, struct trace *t)
{
	struct drainers *dr = d->dr;
	pthread_mutex_lock(&dr->lock);
	t->dnext = dr->traces;
	dr->traces = t;
	pthread_mutex_unlock(&dr->lock);
}

/* A drain for thread k that is idle on t: only if one of its CPUs has a
 * closed sub-buffer (waking threads for nothing is what a timer tick or a
 * polled trace would cost otherwise). */
static int drain_needed(const struct drainers *dr, const struct trace *t, uint32_t k)
{
	for (uint32_t cpu = k; cpu < t->bs.nr_cpus; cpu += dr->nr)
		if (rt_cpu_closed(&t->bs, cpu))
			return 1;
	return 0;
}

void drainers_post(struct daemon *d, struct trace *t, unsigned what)
{
	struct drainers *dr = d->dr;
	int woken = 0;
	pthread_mutex_lock(&dr->lock);
	if (what & DR_FLUSH)
		t->stopping = 1;
	if (what & DR_SKIP)
		t->stopping = 0;
	uint64_t gen = ++t->posted;
	for (uint32_t k = 0; k < dr->nr; k++) {
		/* Nothing pending, nothing in progress (k sets done[k] when
		 * its work is over): k's reader positions are still. */
		int idle = !t->want[k] && t->done[k] == gen - 1;
		if (what == DR_DRAIN && idle && !drain_needed(dr, t, k)) {
			t->done[k] = gen; /* nothing for k: done already */
			continue;
		}
		t->want[k] |= what;
		woken = 1;
	}
	if (woken)
		pthread_cond_broadcast(&dr->work);
	pthread_mutex_unlock(&dr->lock);
}

/* Flushes done: final in a stopped session. */
static void flushes_done(struct daemon *d)
{
	struct drainers *dr = d->dr;
	for (struct session *s = d->sessions; s; s = s->next) {
		for (struct trace *t = s->traces; t; t = t->next) {
			if (!t->pub_cpu)
				continue;
			if (t->flushing) {
				pthread_mutex_lock(&dr->lock);
				int busy = trace_busy(dr, t);
				pthread_mutex_unlock(&dr->lock);
				if (!busy) {
					t->flushing = 0;
					t->final = s->state != S_ACTIVE;
				}
			}
			trace_refresh_stats(t);
		}
	}
}

/* Traces whose output the drain threads closed leave their list. */
static struct trace *take_closed(struct drainers *dr)
{
	pthread_mutex_lock(&dr->lock);
	struct trace *found = NULL;
	for (struct trace **pp = &dr->traces; *pp; pp = &(*pp)->dnext) {
		if ((*pp)->closed && (*pp)->users == 0) {
			found = *pp;
			*pp = found->dnext;
			break;
		}
	}
	pthread_mutex_unlock(&dr->lock);
	return found;
}

void drainers_done(struct daemon *d)
{
	struct drainers *dr = d->dr;
	uint64_t n;
	if (read(dr->done_fd, &n, sizeof n) < 0 && errno != EAGAIN)
		logm(LOG_WARN, "eventfd read: %s", strerror(errno));
	flushes_done(d);
	for (struct trace *t; (t = take_closed(dr));)
		trace_reap(d, t);
	ops_check(d, 0);
}

/* ---- draining and flushing -------------------------------------------------------- */

void trace_drain(struct daemon *d, struct trace *t)
{
	if (t->mapped && !t->final && !t->flushing)
		drainers_post(d, t, DR_DRAIN);
}

/* Takes everything committed, the open sub-buffers too, without any
 * writer's help and without a lock (ringbuf/layout.h, I6): a writer that
 * is stopped, dead or hostile cannot hold it. In a stopped session the
 * trace is then final until the next start. */
void trace_flush(struct daemon *d, struct trace *t)
{
	if (!t->mapped || t->final)
		return;
	t->flushing = 1;
	drainers_post(d, t, DR_FLUSH);
}

/* At start: what writers committed while the trace was final is counted
 * as lost (late) and reported in the next packet, never written. */
void trace_resume(struct daemon *d, struct trace *t)
{
	if (!t->mapped || !t->final)
		return;
	t->final = 0;
	drainers_post(d, t, DR_SKIP);
}

/*
 * The drain timer: adaptive between drain_min_ms and drain_max_ms. A tick
 * after which half of a CPU's buffer was found ready goes straight to the
 * shortest period; one after which some packets were written to at most
 * 10 ms; one with none doubles the period. A quiet session costs one
 * wakeup per drain_max_ms; a writer that speeds up is caught within one
 * period.
 */
#define BUSY_MS 10
void drain_all(struct daemon *d)
{
	struct drainers *dr = d->dr;
	for (struct session *s = d->sessions; s; s = s->next)
		if (s->state == S_ACTIVE)
			for (struct trace *t = s->traces; t; t = t->next)
				trace_drain(d, t);
	d->drain_passes++;
	uint64_t got = __atomic_exchange_n(&dr->packets, 0, __ATOMIC_RELAXED);
	int half = __atomic_exchange_n(&dr->half, 0, __ATOMIC_RELAXED);
	int ms = d->drain_ms;
	if (half)
		ms = d->cfg.drain_min_ms;
	else if (got)
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
	return t->mapped && !t->final && !t->flushing;
}

/* Writers wake us once half a buffer is ready on a CPU (ringbuf.h,
 * invariant I5). A trace that has that much ready already gets a drain
 * posted by drain_woken(), and the loop does not sleep; one a drain
 * thread is working on gets a drain posted, and the loop sleeps until a
 * thread says it is done (the eventfd): no spinning on work in progress. */
int traces_sleep(struct daemon *d)
{
	int ready = 0;
	if (d->cfg.no_wakeup)
		return 0;
	struct drainers *dr = d->dr;
	for (struct session *s = d->sessions; s; s = s->next) {
		if (s->state != S_ACTIVE)
			continue;
		for (struct trace *t = s->traces; t; t = t->next) {
			if (!trace_readable(t))
				continue;
			pthread_mutex_lock(&dr->lock);
			int busy = trace_busy(dr, t);
			pthread_mutex_unlock(&dr->lock);
			if (!rt_reader_sleep(&t->bs)) {
				t->armed = 1;
			} else if (busy) {
				/* A thread is at work on it: post more (an idle
				 * thread takes its CPUs now) and sleep until a
				 * thread tells us it is done. */
				trace_drain(d, t);
			} else {
				t->woken = 1;
				ready = 1;
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
					trace_drain(d, t);
			}
}
