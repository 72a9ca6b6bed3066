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
 * guards the list of traces with buffers, each trace's work bits and
 * generations and its list of wake-up sockets; it is never held during
 * I/O. A trace's output and reader belong to the drain threads from
 * drainers_add() until the last thread closed it (t->dd->closed): the control
 * thread only posts work and reads the counts they publish
 * (trace_publish_cpu, under the trace's stats_lock).
 *
 * Which thread drains a CPU of a trace: whichever holds its claim
 * (t->dd->claimed[cpu], under claim_lock, which is never held during I/O
 * either). Skips, flushes and closes go to the CPU's home thread, k = cpu
 * % nr; drains, on a writer's wake-up or the drain timer, are the trace's
 * sleeper's (below), on every CPU of the trace, so that a wake-up reaches
 * the thread that drains with no relay.
 *
 * Wake-ups (ringbuf/layout.h, I5): reader_asleep is one word per buffer
 * set and a writer's datagram does not say which CPU it came from, so one
 * thread per trace, its sleeper (t->dd->sleeper, fixed at drainers_add,
 * spread round-robin over the threads), owns the set's sleep: it alone
 * stores reader_asleep (rt_reader_sleep before it waits, rt_reader_awake
 * after), it alone waits on the trace's wake-up sockets (in its own epoll
 * set), and rt_reader_sleep looks at every CPU of the set, so I5's
 * argument holds as with one consumer: of the sleeper going to sleep and a
 * writer closing a packet, one sees the other. The other threads never
 * touch the flag; their drains only lower readiness (consumed grows),
 * which can cost a wake-up that was not needed, never one that was. A
 * ready CPU that another thread is draining at that moment is not waited
 * on with the flag set (it would read as ready at once: a spin); the
 * sleeper asks for a kick (t->dd->claim_kick) and the thread that releases
 * the CPU writes the sleeper's eventfd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/time.h"
#include "common/trust.h"
#include "consumerd/daemon.h"
#include "consumerd/drain.h"
#include "consumerd/log.h"
#include "consumerd/output.h"
#include "consumerd/registry.h"
#include "consumerd/session.h"
#include "consumerd/trace.h"

/*
 * Wake-ups are per app and trace (issue 11 #10), and hints: each socket
 * may wake its sleeper at most WAKE_MAX_PER_S times a second. Past that it
 * leaves the sleeper's epoll set until the second is over and its trace is
 * polled every MUTED_POLL_MS meanwhile: reader_asleep is one per buffer
 * set, so a writer of the muted app may be the one that clears it, its
 * wake-up landing on the muted socket; polling keeps every other app's
 * events moving. A flood costs its trace at most 1000 / MUTED_POLL_MS
 * cheap drain attempts a second and the daemon no CPU to speak of, while
 * every other app's wake-ups arrive on sockets of their own. An honest app
 * that needs more has the drain timer, which drains at its shortest
 * period while half a buffer is ready.
 */
#define WAKE_MAX_PER_S 200
#define WAKE_WINDOW_MS 1000
#define MUTED_POLL_MS 5

/* The drain threads' state of one trace, from drainers_add until it
 * leaves their list (trace.h). */
struct trace_drain {
	/* Under the drainers' lock: */
	unsigned want[MAX_DRAINERS]; /* DR_* bits drain thread k has still to do */
	uint64_t posted, done[MAX_DRAINERS]; /* work generations: posted, done by k */
	uint32_t users;         /* drain threads working on it now, and holds */
	/* The other channels' traces of its directory, held (users) for the
	 * DR_SNAPSHOT or DR_ROTATE posted with them (drainers_post_with). */
	struct trace **with;
	uint32_t nr_with;
	int stopping;           /* a flush was posted: drains are skipped until resumed */
	int dclosing;           /* DR_CLOSE was posted */
	int out_closing;        /* a thread is closing its output */
	int closed;             /* its output is closed: the control thread unmaps */
	uint64_t skip_gen;      /* the generation of the last DR_SKIP posted */
	uint32_t sleeper;       /* the thread that owns its sleep (set once) */
	struct wake_src *wakes; /* its apps' wake-up sockets, in the sleeper's epoll set */
	struct drainers *dr;
	/* The sleeper's own: */
	int armed;              /* rt_reader_sleep() called, rt_reader_awake() due */
	int woken;              /* a writer woke it, or a muted socket's poll: drain */
	/* Atomic, stored by the control thread: its session records. */
	int active;
	/* Which thread drains a CPU now: claimed[cpu] and claim_kick under
	 * claim_lock, which is never held during I/O. */
	pthread_mutex_t claim_lock;
	pthread_cond_t claim_cv;
	int claim_kick;         /* the sleeper waits for a claimed CPU's release */
	uint8_t claimed[];
};

/* One app's wake-up socket for one trace, owned by the trace's sleeper. */
struct wake_src {
	struct wake_src *next;  /* in t->dd->wakes, under the drainers' lock */
	struct drainers *dr;
	struct trace *t;
	int fd;                 /* closed by the sleeper only */
	int dead;               /* atomic: dropped by the control thread */
	/* The sleeper's own: */
	int muted;              /* out of its epoll set until the window ends */
	uint32_t count;         /* wake-ups in the current window */
	uint64_t window_ms;     /* start of the current one-second window */
};

struct drainer {
	struct drainers *dr;
	uint32_t k;
	pthread_t thread;
	int epfd;               /* its eventfd and the wake-up sockets of its traces */
	int ev_fd;              /* written for: work, a dropped socket, a kick, quit */
	int dropped;            /* atomic: a wake-up socket of its traces was dropped */
	/* Its own: */
	uint32_t muted;         /* muted sockets */
	uint64_t poll_ms;       /* next poll of the traces of muted sockets */
	/* Under dr->lock (pinned read without it too): */
	pid_t tid;              /* 0 until it runs */
	int pinned;             /* to one CPU for a snapshot's share (pin); back to `allowed` */
	cpu_set_t allowed;
};

struct drainers {
	pthread_mutex_t lock;
	pthread_cond_t idle;    /* the control thread, at shutdown only */
	uint32_t nr, running, next_sleeper;
	struct drainer th[MAX_DRAINERS];
	int done_fd;            /* eventfd in the control thread's epoll set */
	int quit;
	int no_wakeup;          /* writers are never asked to wake us */
	int nice;               /* the drain threads' nice value (0: the daemon's) */
	struct trace *traces;   /* dnext */
	/* For the adaptive timer, since its last tick (atomics). */
	uint64_t packets;
	int half;
	uint64_t *writer_wakeups; /* the daemon's count (atomic adds) */
};

static void poke(struct drainer *th)
{
	uint64_t one = 1;
	if (write(th->ev_fd, &one, sizeof one) < 0 && errno != EAGAIN)
		logm(LOG_WARN, "drain thread: eventfd: %s", strerror(errno));
}

/*
 * A snapshot's shares run on different CPUs, each thread held on one
 * until its share is done (pin, unpin). Left to itself, the scheduler
 * queues a woken thread behind its waker on the waker's CPU while another
 * CPU idles (after a busy while it stops looking for idle ones), and
 * moves a share that slept on a lock or a directory the other holds to
 * the other's CPU: the shares were then written one after the other.
 * Under dr->lock. th on cpu, or on the next of `allowed` after *last if
 * cpu < 0; *last: the CPU taken. 0, or -1 if th was left as it was.
 */
static int pin(struct drainer *th, const cpu_set_t *allowed, int cpu, int *last)
{
	for (int i = 1; cpu < 0 && i <= CPU_SETSIZE; i++)
		if (CPU_ISSET((*last + i) % CPU_SETSIZE, allowed))
			cpu = (*last + i) % CPU_SETSIZE;
	if (cpu < 0)
		return -1;
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	if (!th->tid || sched_setaffinity(th->tid, sizeof one, &one) != 0)
		return -1;
	if (!th->pinned)
		th->allowed = *allowed;
	__atomic_store_n(&th->pinned, 1, __ATOMIC_RELAXED);
	*last = cpu;
	return 0;
}

static void unpin(struct drainers *dr, struct drainer *me)
{
	if (!__atomic_load_n(&me->pinned, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&dr->lock);
	if (me->pinned)
		sched_setaffinity(0, sizeof me->allowed, &me->allowed);
	__atomic_store_n(&me->pinned, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&dr->lock);
}

static void tell_control(struct drainers *dr)
{
	uint64_t one = 1;
	if (write(dr->done_fd, &one, sizeof one) < 0 && errno != EAGAIN)
		logm(LOG_WARN, "drain thread: eventfd: %s", strerror(errno));
}

/* ---- CPU claims ------------------------------------------------------------------- */

/* 1 once the calling thread holds cpu of t. Without wait, 0 if another
 * thread holds it; with kick, that thread will then poke the sleeper. */
static int claim_cpu(struct trace *t, uint32_t cpu, int wait, int kick)
{
	pthread_mutex_lock(&t->dd->claim_lock);
	while (t->dd->claimed[cpu]) {
		if (!wait) {
			if (kick)
				t->dd->claim_kick = 1;
			pthread_mutex_unlock(&t->dd->claim_lock);
			return 0;
		}
		pthread_cond_wait(&t->dd->claim_cv, &t->dd->claim_lock);
	}
	t->dd->claimed[cpu] = 1;
	pthread_mutex_unlock(&t->dd->claim_lock);
	return 1;
}

static void release_cpu(struct drainers *dr, struct trace *t, uint32_t cpu)
{
	pthread_mutex_lock(&t->dd->claim_lock);
	t->dd->claimed[cpu] = 0;
	int kick = t->dd->claim_kick;
	t->dd->claim_kick = 0;
	pthread_cond_broadcast(&t->dd->claim_cv);
	pthread_mutex_unlock(&t->dd->claim_lock);
	if (kick)
		poke(&dr->th[t->dd->sleeper]);
}

static void count_drain(struct drainers *dr, const struct trace *t, uint64_t got)
{
	__atomic_add_fetch(&dr->packets, got, __ATOMIC_RELAXED);
	/* Packets of this pass against half of one CPU's buffer. */
	if (got * 2 * t->bs.subbuf_size >= t->bs.buf_size)
		__atomic_store_n(&dr->half, 1, __ATOMIC_RELAXED);
}

/* ---- posted work -------------------------------------------------------------------- */

/* Session rotation, on the trace's sleeper, for its directory's every
 * channel (t and t->dd->with, held): every CPU of each claimed (one at a
 * time, in order; nobody else waits for a claim while holding one, and
 * one thread rotates a directory), what is committed flushed into the old
 * chunk, then each output moved to the new chunk's directory, where the
 * next packets go. The first move takes the shared directory and its
 * metadata; the others only close their channel's files, which are all
 * flushed already (no packet is written between the moves). */
static void rotate_group(struct drainers *dr, struct trace *t)
{
	uint32_t n = 1 + t->dd->nr_with;
	for (uint32_t i = 0; i < n; i++) {
		struct trace *g = i ? t->dd->with[i - 1] : t;
		for (uint32_t cpu = 0; g->rot && cpu < rt_nr_buffers(&g->bs); cpu++)
			claim_cpu(g, cpu, 1, 0);
	}
	for (uint32_t i = 0; i < n; i++) {
		struct trace *g = i ? t->dd->with[i - 1] : t;
		struct output *o = g->out;
		if (!g->rot)
			continue;
		g->rot->error = 0;
		g->rot->msg[0] = '\0';
		for (uint32_t cpu = 0; g->rot->flush && cpu < rt_nr_buffers(&g->bs); cpu++)
			o->ops->drain_cpu(o, cpu, 1);
	}
	for (uint32_t i = 0; i < n; i++) {
		struct trace *g = i ? t->dd->with[i - 1] : t;
		struct output *o = g->out;
		if (!g->rot)
			continue;
		if (!o->ops->move) {
			g->rot->error = -ENOTSUP;
			snprintf(g->rot->msg, sizeof g->rot->msg, "this trace cannot rotate");
		} else if (o->ops->move(o, g->rot->dir, g->rot->msg, sizeof g->rot->msg) != 0) {
			g->rot->error = -EIO;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		struct trace *g = i ? t->dd->with[i - 1] : t;
		for (uint32_t cpu = 0; g->rot && cpu < rt_nr_buffers(&g->bs); cpu++) {
			trace_publish_cpu(g, cpu);
			release_cpu(dr, g, cpu);
		}
	}
}

/* The old chunk into archives/ (rotation.c does it; here on a drain
 * thread, as the rename may wait for the disk). */
static void archive_chunk(struct trace *t)
{
	struct trace_rotation *r = t->rot;
	if (r)
		r->error = chunk_archive(r->arch_from, r->arch_base, r->arch_name, r->arch_chunk,
					 r->msg, sizeof r->msg);
}

/* By the sleeper, once the snapshot is open: DR_SNAPSHARE to the other
 * threads (at most one per buffer but its own), which take buffers of it
 * while it does, each on a CPU of its own (set, pin), or back from those
 * that did not start yet (clear: every buffer is taken, a thread that
 * waits for a CPU meanwhile must not hold the trace busy, and the answer,
 * until it runs for nothing). */
static void post_shares(struct drainers *dr, struct trace *t, int buffers, int set)
{
	uint32_t wake[MAX_DRAINERS], nwake = 0;
	struct drainer *me = &dr->th[t->dd->sleeper];
	cpu_set_t allowed;
	int cpu = set ? sched_getcpu() : -1;
	pthread_mutex_lock(&dr->lock);
	if (me->pinned)
		allowed = me->allowed;
	else if (cpu >= 0 && sched_getaffinity(0, sizeof allowed, &allowed) != 0)
		cpu = -1;
	if (cpu >= 0 && (!CPU_ISSET(cpu, &allowed) || CPU_COUNT(&allowed) < 2 ||
			 pin(me, &allowed, cpu, &cpu) != 0))
		cpu = -1; /* nowhere to spread them */
	for (uint32_t i = 1; i < dr->nr && (int)i < buffers; i++) {
		uint32_t k = (t->dd->sleeper + i) % dr->nr;
		if (!set) {
			t->dd->want[k] &= ~(unsigned)DR_SNAPSHARE;
			continue;
		}
		if (!t->dd->want[k])
			wake[nwake++] = k;
		t->dd->want[k] |= DR_SNAPSHARE;
		if (cpu >= 0)
			pin(&dr->th[k], &allowed, -1, &cpu);
	}
	pthread_mutex_unlock(&dr->lock);
	for (uint32_t i = 0; i < nwake; i++)
		poke(&dr->th[wake[i]]);
}

/* Returns 1 if the work posted with t->dd->with is over (its holds to drop). */
static int do_work(struct drainers *dr, struct trace *t, uint32_t k, unsigned bits, int stopping)
{
	struct output *o = t->out;
	uint64_t got = 0;
	int group_done = 0;
	if (stopping)
		bits &= ~(unsigned)DR_DRAIN;
	/* A snapshot: the sleeper opens it (its directory and metadata), then
	 * it and the other threads take its buffers one by one, at once; the
	 * reads are the snapshot's own (I8), so no CPU is claimed. The one
	 * that writes the last ends it. */
	if ((bits & DR_SNAPSHOT) && k == t->dd->sleeper) {
		int buffers = o->ops->snapshot_begin ? o->ops->snapshot_begin(o) : 0;
		if (buffers) {
			post_shares(dr, t, buffers, 1);
			group_done = o->ops->snapshot_share(o);
			post_shares(dr, t, buffers, 0);
		} else {
			group_done = 1;
		}
	}
	if ((bits & DR_SNAPSHARE) && o->ops->snapshot_share && o->ops->snapshot_share(o))
		group_done = 1;
	if ((bits & DR_ROTATE) && k == t->dd->sleeper) {
		rotate_group(dr, t);
		group_done = 1;
	}
	if ((bits & DR_ARCHIVE) && k == t->dd->sleeper)
		archive_chunk(t);
	bits &= ~(unsigned)(DR_SNAPSHOT | DR_SNAPSHARE | DR_ROTATE | DR_ARCHIVE);
	for (uint32_t cpu = k; bits && cpu < rt_nr_buffers(&t->bs); cpu += dr->nr) {
		/* A drain only: if another thread drains this CPU now, that
		 * is the drain. Anything else waits for the CPU. */
		if (!claim_cpu(t, cpu, bits != DR_DRAIN, 0))
			continue;
		if (bits & DR_SKIP)
			o->ops->skip_late_cpu(o, cpu);
		if (bits & DR_DRAIN) {
			int r = o->ops->drain_cpu(o, cpu, 0);
			got += r > 0 ? (uint64_t)r : 0;
		}
		if (bits & (DR_FLUSH | DR_SWITCH))
			o->ops->drain_cpu(o, cpu, 1);
		if (bits & DR_CLOSE)
			o->ops->close_cpu(o, cpu);
		trace_publish_cpu(t, cpu);
		release_cpu(dr, t, cpu);
	}
	count_drain(dr, t, got);
	return group_done;
}

static int all_done_but_users(const struct drainers *dr, const struct trace *t)
{
	for (uint32_t k = 0; k < dr->nr; k++)
		if (t->dd->want[k] || t->dd->done[k] < t->dd->posted)
			return 0;
	return 1;
}

static int all_done(const struct drainers *dr, const struct trace *t)
{
	return all_done_but_users(dr, t) && t->dd->users == 0;
}

/* Every thread did the last DR_SKIP posted (what came while the trace was
 * final is counted before anything is drained again). */
static int skip_done(const struct drainers *dr, const struct trace *t)
{
	for (uint32_t k = 0; k < dr->nr; k++)
		if (t->dd->done[k] < t->dd->skip_gen)
			return 0;
	return 1;
}

/* The sleeper may drain t when woken (under the drainers' lock): its
 * session records, no flush or close is posted, the last skip is done. */
static int wake_drains(const struct drainers *dr, const struct trace *t)
{
	const struct trace_drain *dd = t->dd;
	return __atomic_load_n(&dd->active, __ATOMIC_RELAXED) && !dd->stopping && !dd->dclosing &&
	       skip_done(dr, t);
}

/* Under the drainers' lock, by a thread that just stopped using t: 1 if
 * it is the one to close t's output (every thread did its DR_CLOSE and no
 * other uses t); it stays a user until close_output() is done, so the
 * trace is not idle, nor reaped, before its output is closed. */
static int closes_output(const struct drainers *dr, struct trace *t)
{
	struct trace_drain *dd = t->dd;
	if (!dd->dclosing || dd->out_closing || dd->users || !all_done_but_users(dr, t))
		return 0;
	t->dd->out_closing = 1;
	t->dd->users++;
	return 1;
}

/* The last thread done with a closed trace closes its output (the trace
 * file's close may wait for the disk: not on the control thread). Then,
 * under the drainers' lock (held on return), the trace is closed and the
 * caller no longer uses it: it may be reaped once the lock is released. */
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
	t->dd->closed = 1;
	t->dd->users--;
}

/* Under the drainers' lock: the holds of t's group work are given back;
 * a held trace closed meanwhile is closed by us (the lock is released and
 * taken again). */
static void drop_with(struct drainers *dr, struct trace *t)
{
	struct trace **with = t->dd->with;
	uint32_t n = t->dd->nr_with;
	t->dd->with = NULL;
	t->dd->nr_with = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct trace *h = with[i];
		h->dd->users--;
		if (closes_output(dr, h)) {
			pthread_mutex_unlock(&dr->lock);
			close_output(dr, h);
		}
	}
	free(with);
	if (n)
		tell_control(dr); /* the held traces are idle now */
}

static struct trace *next_work(struct drainers *dr, uint32_t k)
{
	for (struct trace *t = dr->traces; t; t = t->dnext)
		if (t->dd->want[k])
			return t;
	return NULL;
}

/* ---- the sleeper's wake-up sockets -------------------------------------------------- */

static void free_wake(struct drainer *me, struct wake_src *ws)
{
	if (ws->muted)
		me->muted--;
	else
		epoll_ctl(me->epfd, EPOLL_CTL_DEL, ws->fd, NULL);
	close(ws->fd);
	free(ws);
}

/* Under the drainers' lock: the dropped sockets of t (all with all). */
static void sweep_wakes(struct drainer *me, struct trace *t, int all)
{
	for (struct wake_src **pp = &t->dd->wakes; *pp;) {
		struct wake_src *ws = *pp;
		if (all || __atomic_load_n(&ws->dead, __ATOMIC_RELAXED)) {
			*pp = ws->next;
			free_wake(me, ws);
		} else {
			pp = &ws->next;
		}
	}
}

static void sweep_dropped(struct drainer *me)
{
	struct drainers *dr = me->dr;
	if (!__atomic_exchange_n(&me->dropped, 0, __ATOMIC_RELAXED))
		return;
	for (struct trace *t = dr->traces; t; t = t->dnext)
		if (t->dd->sleeper == me->k)
			sweep_wakes(me, t, 0);
}

/* A wake-up socket is readable: counted against its rate limit, then its
 * trace is drained. */
static void wake_event(struct drainer *me, struct wake_src *ws)
{
	if (__atomic_load_n(&ws->dead, __ATOMIC_RELAXED) || ws->muted)
		return; /* swept at the top of the loop */
	uint64_t now = rt_now_ms();
	if (now - ws->window_ms >= WAKE_WINDOW_MS) {
		ws->window_ms = now;
		ws->count = 0;
	}
	if (++ws->count > WAKE_MAX_PER_S) {
		epoll_ctl(me->epfd, EPOLL_CTL_DEL, ws->fd, NULL);
		ws->muted = 1;
		if (!me->muted++)
			me->poll_ms = now + MUTED_POLL_MS;
		return;
	}
	rt_wake_clear(ws->fd); /* a bounded number of datagrams */
	ws->t->dd->woken = 1;
	__atomic_add_fetch(me->dr->writer_wakeups, 1, __ATOMIC_RELAXED);
}

/* Muted sockets whose second is over go back in the epoll set; the traces
 * of those still muted are polled every MUTED_POLL_MS. Returns how long
 * the sleeper may wait (-1: no muted socket). */
static int muted_sockets(struct drainer *me)
{
	struct drainers *dr = me->dr;
	if (!me->muted)
		return -1;
	uint64_t now = rt_now_ms();
	int poll = now >= me->poll_ms;
	if (poll)
		me->poll_ms = now + MUTED_POLL_MS;
	pthread_mutex_lock(&dr->lock);
	for (struct trace *t = dr->traces; t; t = t->dnext) {
		if (t->dd->sleeper != me->k)
			continue;
		for (struct wake_src *ws = t->dd->wakes; ws; ws = ws->next) {
			if (!ws->muted)
				continue;
			if (now - ws->window_ms >= WAKE_WINDOW_MS) {
				struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ws };
				ws->muted = 0;
				me->muted--;
				ws->window_ms = now;
				ws->count = 0;
				if (epoll_ctl(me->epfd, EPOLL_CTL_ADD, ws->fd, &ev) != 0)
					logm(LOG_WARN, "drain thread: epoll: %s", strerror(errno));
			} else if (poll) {
				t->dd->woken = 1;
			}
		}
	}
	pthread_mutex_unlock(&dr->lock);
	if (!me->muted)
		return -1;
	return me->poll_ms > now ? (int)(me->poll_ms - now) : 0;
}

/* ---- the sleeper's drains -------------------------------------------------------------- */

/* Drains the CPUs of t that hold a closed sub-buffer, whichever thread's
 * home they are, unless another thread drains them now (then it kicks us
 * when it is done). Called with t->dd->users held. 1 if a CPU was busy. */
static int wake_drain(struct drainers *dr, struct trace *t)
{
	struct output *o = t->out;
	uint64_t got = 0;
	int busy = 0;
	for (uint32_t cpu = 0; cpu < rt_nr_buffers(&t->bs); cpu++) {
		if (!rt_cpu_closed(&t->bs, cpu) && !o->every_tick)
			continue;
		if (!claim_cpu(t, cpu, 0, 1)) {
			busy = 1;
			continue;
		}
		/* A flush or close posted since we looked waits for the
		 * claim and takes everything: nothing to add after it. */
		pthread_mutex_lock(&dr->lock);
		int ok = wake_drains(dr, t);
		pthread_mutex_unlock(&dr->lock);
		if (ok) {
			int r = o->ops->drain_cpu(o, cpu, 0);
			got += r > 0 ? (uint64_t)r : 0;
			trace_publish_cpu(t, cpu);
		}
		release_cpu(dr, t, cpu);
	}
	count_drain(dr, t, got);
	return busy;
}

/*
 * Before the sleeper waits, over the traces whose sleep it owns: a woken
 * trace, or one with a CPU ready already, is drained now; the others are
 * armed (reader_asleep set, I5). Returns 1 if the sleeper must not wait
 * (it drained: readiness must be looked at again).
 */
static int sleep_or_drain(struct drainer *me)
{
	struct drainers *dr = me->dr;
	int again = 0;
	pthread_mutex_lock(&dr->lock);
	for (struct trace *t = dr->traces; t; t = t->dnext) {
		if (t->dd->sleeper != me->k)
			continue;
		if (!wake_drains(dr, t)) {
			t->dd->woken = 0;
			continue;
		}
		int drain = t->dd->woken;
		t->dd->woken = 0;
		if (!drain && !dr->no_wakeup) {
			/* The flag, a fence, every CPU of the set (read.c). */
			if (rt_reader_sleep(&t->bs))
				drain = 1;
			else
				t->dd->armed = 1;
		}
		if (!drain)
			continue;
		uint64_t gen = t->dd->posted;
		t->dd->users++;
		pthread_mutex_unlock(&dr->lock);
		int busy = wake_drain(dr, t);
		pthread_mutex_lock(&dr->lock);
		t->dd->users--;
		int last = closes_output(dr, t);
		/* Work posted meanwhile may be waiting for us to be done. */
		int tell = t->dd->posted != gen && all_done(dr, t);
		if (last) {
			pthread_mutex_unlock(&dr->lock);
			close_output(dr, t); /* t stays listed while we hold the lock */
			tell = 1;
		}
		if (tell)
			tell_control(dr);
		pthread_cond_broadcast(&dr->idle);
		if (!busy)
			again = 1;
	}
	pthread_mutex_unlock(&dr->lock);
	return again;
}

static void awake_all(struct drainer *me)
{
	struct drainers *dr = me->dr;
	pthread_mutex_lock(&dr->lock);
	for (struct trace *t = dr->traces; t; t = t->dnext)
		if (t->dd->sleeper == me->k && t->dd->armed) {
			rt_reader_awake(&t->bs);
			t->dd->armed = 0;
		}
	pthread_mutex_unlock(&dr->lock);
}

/* ---- the drain threads ------------------------------------------------------------ */

static void *drainer_main(void *arg)
{
	struct drainer *me = arg;
	struct drainers *dr = me->dr;
	uint32_t k = me->k;
	pthread_mutex_lock(&dr->lock);
	me->tid = gettid();
	pthread_mutex_unlock(&dr->lock);
	/* Ahead of the writers on a CPU they share, where the system lets us
	 * (root, or RLIMIT_NICE): as many writers as CPUs, flat out, leave a
	 * drain at the same nice value too little of them to keep up with a
	 * burst (docs/design.md §12). Else as the daemon: said, not fatal. */
	if (dr->nice && setpriority(PRIO_PROCESS, (id_t)gettid(), dr->nice) != 0 && k == 0)
		logm(LOG_INFO, "drain threads at the daemon's priority: nice %d: %s", dr->nice,
		     strerror(errno));
	for (;;) {
		pthread_mutex_lock(&dr->lock);
		for (struct trace *t; (t = next_work(dr, k));) {
			unsigned bits = t->dd->want[k];
			uint64_t gen = t->dd->posted;
			int stopping = t->dd->stopping;
			t->dd->want[k] = 0;
			t->dd->users++;
			uint32_t sleeper = t->dd->sleeper;
			pthread_mutex_unlock(&dr->lock);

			/* A timer drain is the sleeper's, on every CPU (as a
			 * wake-up's): one thread drains a trace in the normal
			 * course, no claims bounced between threads. */
			int group_done = do_work(dr, t, k, k == sleeper ? bits & ~(unsigned)DR_DRAIN : bits,
						 stopping);
			if (bits & (DR_SNAPSHOT | DR_SNAPSHARE))
				unpin(dr, me);
			if ((bits & DR_DRAIN) && k == sleeper && !stopping)
				wake_drain(dr, t);

			pthread_mutex_lock(&dr->lock);
			/* Its apps' sockets go before the trace can be reaped. */
			if ((bits & DR_CLOSE) && t->dd->sleeper == k)
				sweep_wakes(me, t, 1);
			t->dd->done[k] = gen;
			t->dd->users--;
			if (group_done)
				drop_with(dr, t);
			int last = closes_output(dr, t);
			/* The control thread needs to hear of flushes, closes
			 * and a trace whose work is all done (to watch it
			 * again); not of each thread's share of a drain or a
			 * snapshot. */
			int tell = (bits & (DR_SKIP | DR_FLUSH | DR_CLOSE | DR_ROTATE | DR_ARCHIVE)) ||
				   all_done(dr, t);
			/* The sleeper waits for the skip before it drains. */
			int kick = (bits & DR_SKIP) && sleeper != k && skip_done(dr, t);
			pthread_mutex_unlock(&dr->lock);
			if (last) {
				close_output(dr, t);
				pthread_mutex_unlock(&dr->lock);
				tell = 1;
			}
			if (tell)
				tell_control(dr);
			if (kick)
				poke(&dr->th[sleeper]);
			pthread_mutex_lock(&dr->lock);
			pthread_cond_broadcast(&dr->idle);
		}
		sweep_dropped(me);
		int quit = dr->quit;
		pthread_mutex_unlock(&dr->lock);
		if (quit)
			break;

		unpin(dr, me); /* its share taken back before it ran */
		int timeout = muted_sockets(me);
		if (sleep_or_drain(me))
			timeout = 0;
		struct epoll_event evs[32];
		int n = epoll_wait(me->epfd, evs, 32, timeout);
		awake_all(me);
		for (int i = 0; i < n; i++) {
			uint64_t v;
			if (!evs[i].data.ptr) {
				if (read(me->ev_fd, &v, sizeof v) < 0 && errno != EAGAIN)
					logm(LOG_WARN, "drain thread: eventfd: %s",
					     strerror(errno));
			} else {
				wake_event(me, evs[i].data.ptr);
			}
		}
	}
	pthread_mutex_lock(&dr->lock);
	for (struct trace *t = dr->traces; t; t = t->dnext)
		if (t->dd->sleeper == k)
			sweep_wakes(me, t, 1);
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
	pthread_cond_init(&dr->idle, NULL);
	dr->nr = d->cfg.drain_threads ? d->cfg.drain_threads : online_cpus();
	if (dr->nr > MAX_DRAINERS)
		dr->nr = MAX_DRAINERS;
	dr->no_wakeup = d->cfg.no_wakeup;
	dr->nice = d->cfg.drain_nice;
	dr->writer_wakeups = &d->writer_wakeups;
	for (uint32_t k = 0; k < MAX_DRAINERS; k++)
		dr->th[k].epfd = dr->th[k].ev_fd = -1;
	d->dr = dr;
	dr->done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (dr->done_fd < 0 || daemon_watch(d, dr->done_fd, TAG_DRAINED) != 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		return -1;
	}
	for (uint32_t k = 0; k < dr->nr; k++) {
		struct drainer *th = &dr->th[k];
		th->dr = dr;
		th->k = k;
		th->epfd = epoll_create1(EPOLL_CLOEXEC);
		th->ev_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
		if (th->epfd < 0 || th->ev_fd < 0 ||
		    epoll_ctl(th->epfd, EPOLL_CTL_ADD, th->ev_fd, &ev) != 0) {
			snprintf(err, errlen, "drain threads: %s", strerror(errno));
			return -1;
		}
	}
	for (uint32_t k = 0; k < dr->nr; k++) {
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
	return t->dd && !all_done(dr, t);
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
	if (dr->running)
		drainers_wait_idle(d);
	pthread_mutex_lock(&dr->lock);
	dr->quit = 1;
	pthread_mutex_unlock(&dr->lock);
	for (uint32_t k = 0; k < dr->running; k++)
		poke(&dr->th[k]);
	for (uint32_t k = 0; k < dr->running; k++)
		pthread_join(dr->th[k].thread, NULL);
	if (dr->done_fd >= 0) {
		drainers_done(d); /* closed since the last look: reaped */
		daemon_unwatch(d, dr->done_fd);
		close(dr->done_fd);
	}
	for (uint32_t k = 0; k < MAX_DRAINERS; k++) {
		if (dr->th[k].epfd >= 0)
			close(dr->th[k].epfd);
		if (dr->th[k].ev_fd >= 0)
			close(dr->th[k].ev_fd);
	}
	pthread_cond_destroy(&dr->idle);
	pthread_mutex_destroy(&dr->lock);
	free(dr);
	d->dr = NULL;
}

int drainers_add(struct daemon *d, struct trace *t, int active)
{
	struct drainers *dr = d->dr;
	struct trace_drain *dd = calloc(1, sizeof *dd + t->bs.nr_max); /* room to grow */
	if (!dd)
		return -1;
	pthread_mutex_init(&dd->claim_lock, NULL);
	pthread_cond_init(&dd->claim_cv, NULL);
	dd->dr = dr;
	dd->active = active && !t->snapshot; /* a snapshot trace is never drained */
	pthread_mutex_lock(&dr->lock);
	dd->sleeper = dr->next_sleeper++ % dr->nr;
	t->dd = dd;
	t->dnext = dr->traces;
	dr->traces = t;
	pthread_mutex_unlock(&dr->lock);
	poke(&dr->th[dd->sleeper]); /* to arm it */
	return 0;
}

void drainers_set_active(struct trace *t, int active)
{
	active = active && !t->snapshot;
	if (!t->dd)
		return; /* closed */
	__atomic_store_n(&t->dd->active, active, __ATOMIC_RELAXED);
	/* The sleeper arms (or stops draining) it on its next pass. */
	poke(&t->dd->dr->th[t->dd->sleeper]);
}

struct wake_src *drainers_wake_add(struct daemon *d, struct trace *t, int rx)
{
	struct drainers *dr = d->dr;
	struct wake_src *ws = calloc(1, sizeof *ws);
	if (!ws) {
		close(rx);
		return NULL;
	}
	ws->dr = dr;
	ws->t = t;
	ws->fd = rx;
	ws->window_ms = rt_now_ms();
	pthread_mutex_lock(&dr->lock);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = ws };
	if (epoll_ctl(dr->th[t->dd->sleeper].epfd, EPOLL_CTL_ADD, rx, &ev) != 0) {
		pthread_mutex_unlock(&dr->lock);
		close(rx);
		free(ws);
		return NULL;
	}
	ws->next = t->dd->wakes;
	t->dd->wakes = ws;
	pthread_mutex_unlock(&dr->lock);
	return ws;
}

void drainers_wake_drop(struct wake_src *ws)
{
	if (!ws)
		return;
	struct drainers *dr = ws->dr;
	struct drainer *owner = &dr->th[ws->t->dd->sleeper];
	__atomic_store_n(&ws->dead, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&owner->dropped, 1, __ATOMIC_RELAXED);
	poke(owner);
}

/* A drain for t's sleeper when it is idle on t: only if a CPU has a
 * closed sub-buffer (waking threads for nothing is what a timer tick or a
 * polled trace would cost otherwise). */
static int drain_needed(const struct trace *t)
{
	if (t->out->every_tick)
		return 1;
	for (uint32_t cpu = 0; cpu < rt_nr_buffers(&t->bs); cpu++)
		if (rt_cpu_closed(&t->bs, cpu))
			return 1;
	return 0;
}

void drainers_post(struct daemon *d, struct trace *t, unsigned what)
{
	struct drainers *dr = d->dr;
	uint32_t wake[MAX_DRAINERS], nwake = 0;
	pthread_mutex_lock(&dr->lock);
	if (what & DR_FLUSH)
		t->dd->stopping = 1;
	if (what & DR_SKIP)
		t->dd->stopping = 0;
	if (what & DR_CLOSE)
		t->dd->dclosing = 1;
	uint64_t gen = ++t->dd->posted;
	if (what & DR_SKIP)
		t->dd->skip_gen = gen;
	/* Work the sleeper alone does (a snapshot's shares are posted by it). */
	int sleepers = !(what & ~(unsigned)(DR_SNAPSHOT | DR_ROTATE | DR_ARCHIVE));
	for (uint32_t k = 0; k < dr->nr; k++) {
		/* Nothing pending, nothing in progress (k sets done[k] when
		 * its work is over): k's reader positions are still. */
		int idle = !t->dd->want[k] && t->dd->done[k] == gen - 1;
		/* A drain is the sleeper's (drainer_main); a thread at work
		 * on t gets it too, so that its generation catches up. */
		if (idle && k != t->dd->sleeper && sleepers) {
			t->dd->done[k] = gen; /* nothing for k: done already */
			continue;
		}
		if (what == DR_DRAIN && idle && (k != t->dd->sleeper || !drain_needed(t))) {
			t->dd->done[k] = gen; /* nothing for k: done already */
			continue;
		}
		if (!t->dd->want[k])
			wake[nwake++] = k;
		t->dd->want[k] |= what;
	}
	pthread_mutex_unlock(&dr->lock);
	for (uint32_t i = 0; i < nwake; i++)
		poke(&dr->th[wake[i]]);
}

int drainers_post_with(struct daemon *d, struct trace *t, unsigned what, struct trace **with,
		       uint32_t n)
{
	struct drainers *dr = d->dr;
	struct trace **held = NULL;
	if (n && !(held = malloc(n * sizeof *held)))
		return -ENOMEM;
	pthread_mutex_lock(&dr->lock);
	if (t->dd->with) {
		pthread_mutex_unlock(&dr->lock);
		free(held);
		return -EBUSY;
	}
	for (uint32_t i = 0; i < n; i++) {
		held[i] = with[i];
		held[i]->dd->users++;
	}
	t->dd->with = held;
	t->dd->nr_with = n;
	pthread_mutex_unlock(&dr->lock);
	drainers_post(d, t, what);
	return 0;
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
		if ((*pp)->dd->closed && (*pp)->dd->users == 0) {
			found = *pp;
			*pp = found->dnext;
			break;
		}
	}
	pthread_mutex_unlock(&dr->lock);
	if (found) {
		/* No thread refers to it any more. */
		pthread_mutex_destroy(&found->dd->claim_lock);
		pthread_cond_destroy(&found->dd->claim_cv);
		free(found->dd);
		found->dd = NULL;
	}
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
	rotation_check(d);
}

/* ---- draining and flushing -------------------------------------------------------- */

void trace_drain(struct daemon *d, struct trace *t)
{
	if (t->mapped && !t->final && !t->flushing && !t->snapshot)
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

void trace_switch(struct daemon *d, struct trace *t)
{
	if (t->mapped && !t->final && !t->flushing)
		drainers_post(d, t, DR_SWITCH);
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

static int timer_ms(uint32_t us)
{
	return us ? (int)((us + 999u) / 1000u) : 0;
}

/* lttng's channel timers, on this tick: the switch timer closes the open
 * packets at its period (a reader sees data at most one period old); the
 * read timer bounds the tick's period (drain_period_ms), each tick drains. */
static void channel_timers(struct daemon *d, struct trace *t, uint64_t now)
{
	int sw = t->ch ? timer_ms(t->ch->switch_timer_us) : 0;
	if (sw && now >= t->next_switch_ms) {
		t->next_switch_ms = now + (uint64_t)sw;
		trace_switch(d, t);
	} else {
		trace_drain(d, t);
	}
}

int drain_period_ms(const struct daemon *d)
{
	int ms = 0;
	for (const struct session *s = d->sessions; s; s = s->next) {
		if (s->state != S_ACTIVE)
			continue;
		if (!ms)
			ms = d->drain_ms; /* every active session's timers bound it */
		/* A live stream is flushed at the first tick after it was idle
		 * for live_us (output_relayd.c): ticks at an eighth of it keep
		 * a viewer's wait within an eighth past the live timer (at
		 * drain_max_ms, as long as the timer itself). */
		int live = s->live_us ? timer_ms(s->live_us / 8) : 0;
		if (live && live < ms)
			ms = live;
		for (const struct channel *ch = s->channels; ch; ch = ch->next) {
			int sw = timer_ms(ch->switch_timer_us), rd = timer_ms(ch->read_timer_us);
			if (sw && sw < ms)
				ms = sw;
			if (rd && rd < ms)
				ms = rd;
		}
	}
	return ms;
}

void drain_all(struct daemon *d)
{
	struct drainers *dr = d->dr;
	uint64_t now = rt_now_ms();
	for (struct session *s = d->sessions; s; s = s->next)
		if (s->state == S_ACTIVE)
			for (struct trace *t = s->traces; t; t = t->next)
				channel_timers(d, t, now);
	rotation_tick(d);
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
