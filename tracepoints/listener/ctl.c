/* SPDX-License-Identifier: MIT */
/*
 * The application side of the control protocol (protocol/messages.h):
 * registration with rseqtraced, and the listener thread that applies what
 * the daemon sends (buffers, enable flags, start/stop).
 *
 * Never endangers the application:
 *  - no daemon socket at start: no wait, tracing stays off; a thread waits
 *    (polling the socket path for 5 s, then inotify, else a slow poll)
 *    for a daemon to appear and registers then;
 *  - every exchange with the daemon has a deadline (RSEQTRACE_REGISTER_
 *    TIMEOUT_MS, default 3000): past it the connection is dropped and
 *    tracing turns off;
 *  - the daemon going away (kill -9) closes the socket: every channel is
 *    stopped and destroyed (after an RCU grace period), the app runs on
 *    untraced, and registers again with the next daemon;
 *  - everything the daemon sends is validated (rt_msg_decode, then
 *    rt_bufset_map for buffers) and a bad message drops the connection.
 *
 * Synchronous registration, so that `record` traces main() from its first
 * line: the constructor registers and waits for APP_READY, by which time
 * every enabled event is attached. Providers register after librseqtrace's
 * constructor (their own constructors run later), so each event that
 * appears later is sent right away by the registering thread, which then
 * waits for APP_READY too: when dlopen() or the app's constructors return,
 * their events trace.
 *
 * Locks, in this order: the registry lock (runtime.h), then `io`. The
 * registry callback runs with the registry lock held; the listener takes
 * the registry lock before `io` when it applies messages. So while one
 * thread talks to the daemon nobody else reads the socket, and attaching
 * an event from either thread never deadlocks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/trust.h"
#include "protocol/codec.h"
#include "tracepoints/runtime.h"

#define DEFAULT_TIMEOUT_MS 3000
#define RETRY_POLL_MS 5000
#define EARLY_POLL_MS 500     /* socket polls while no inotify watch yet */
#define INOTIFY_AFTER_MS 5000 /* then inotify */
#define RETRY_MAX_MS 300000
#define DESTROY_TIMEOUT_MS 1000

struct ctl_chan {
	uint64_t key;
	struct rt_channel *ch;
	int per_pid;
	uint32_t asked; /* mm_cid sets: the buffer count last asked for (APP_GROW) */
	/* Per event index: its filter in this channel (APP_FILTER; NULL:
	 * none; FILTER_REFUSED: a program we refused, the event stays off). */
	struct rt_fset **filters;
	uint32_t nr_filters;
};
#define FILTER_REFUSED ((struct rt_fset *)1)

static struct {
	pthread_mutex_t io;   /* after the registry lock; guards all below */
	int fd;               /* connection to the daemon, -1 if none */
	int ready;            /* registered: the first APP_READY arrived on fd */
	uint64_t readies;     /* APP_READY messages received on fd */
	uint64_t seq;
	uint64_t *handles;    /* our event index -> registry handle (0: gone) */
	uint32_t nr, cap;
	struct ctl_chan *chans;
	uint32_t nr_chans, cap_chans;
	int timeout_ms;       /* RSEQTRACE_REGISTER_TIMEOUT_MS: how long start-up waits */
	int disabled;         /* RSEQTRACE_DAEMON=0 */
	int listener_running;
	/* Writers of mm_cid-indexed sets signal it when a thread's mm_cid has
	 * no buffer yet (rt_bufset.grow_fd); the listener asks the daemon. */
	int grow_efd;
	int cid;              /* registered with RT_APP_CID */
	sigset_t fork_mask;   /* the signal mask around fork (before_fork) */
	char dir[RT_PATH_MAX];
	uint64_t rbuf[RT_MSG_MAX / 8];
	struct rt_msg_buf sbuf;
} ctl = { .io = PTHREAD_MUTEX_INITIALIZER, .fd = -1, .grow_efd = -1 };

/* ---- time ------------------------------------------------------------- */

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int left_ms(uint64_t deadline)
{
	uint64_t now = mono_ms();
	return now >= deadline ? 0 : (int)(deadline - now);
}

/* ---- channels ---------------------------------------------------------------- */

static struct ctl_chan *chan_find(uint64_t key)
{
	for (uint32_t i = 0; i < ctl.nr_chans; i++)
		if (ctl.chans[i].key == key)
			return &ctl.chans[i];
	return NULL;
}

static void chan_drop_filters(struct ctl_chan *c)
{
	for (uint32_t i = 0; i < c->nr_filters; i++)
		if (c->filters[i] != FILTER_REFUSED)
			rt_fset_put(c->filters[i]);
	free(c->filters);
	c->filters = NULL;
	c->nr_filters = 0;
}

static void chan_remove(struct ctl_chan *c)
{
	/* Waits until no probe writes into it, then unmaps; on a timeout
	 * (a thread stopped in a probe) it is freed after a later grace
	 * period, never under a writer. */
	rt_channel_destroy(c->ch, DESTROY_TIMEOUT_MS);
	chan_drop_filters(c);
	*c = ctl.chans[--ctl.nr_chans];
}

static void chans_remove_all(int per_pid_only)
{
	for (uint32_t i = ctl.nr_chans; i-- > 0;)
		if (!per_pid_only || ctl.chans[i].per_pid)
			chan_remove(&ctl.chans[i]);
}

/* ---- connection ----------------------------------------------------------- */

static void disconnect(void)
{
	if (ctl.fd >= 0)
		close(ctl.fd);
	ctl.fd = -1;
	ctl.ready = 0;
	ctl.readies = 0;
	ctl.nr = 0;
	chans_remove_all(0);
}

/* Sends b (its seq set by the caller), waiting for room until the deadline. */
static int send_msg(struct rt_msg_buf *b, uint64_t deadline)
{
	for (;;) {
		int r = rt_msg_send(ctl.fd, b, -1, MSG_DONTWAIT);
		if (r != -EAGAIN)
			return r;
		struct pollfd p = { .fd = ctl.fd, .events = POLLOUT };
		if (poll(&p, 1, left_ms(deadline)) <= 0)
			return -ETIMEDOUT;
	}
}

static int index_of(uint64_t handle, uint32_t *out)
{
	if (ctl.nr == ctl.cap) {
		uint32_t cap = ctl.cap ? ctl.cap * 2 : 64;
		uint64_t *h = realloc(ctl.handles, cap * sizeof *h);
		if (!h)
			return -ENOMEM;
		ctl.handles = h;
		ctl.cap = cap;
	}
	*out = ctl.nr;
	ctl.handles[ctl.nr++] = handle;
	return 0;
}

/* Sends one event description (APP_EVENTS with one entry). */
static int send_event(const struct rt_event_info *info, uint64_t deadline)
{
	if (info->desc_len > RT_DESC_MAX)
		return 0; /* the daemon would refuse it: leave it untraced */
	uint32_t index;
	if (index_of(info->handle, &index) != 0)
		return -ENOMEM;
	struct rt_msg_buf *b = &ctl.sbuf;
	rt_msg_init(b, RT_MSG_APP_EVENTS, ++ctl.seq);
	struct rt_msg_app_events ev = { .first = index, .count = 1 };
	struct rt_msg_desc_len dl = { .len = info->desc_len };
	rt_msg_put(b, &ev, sizeof ev);
	rt_msg_put(b, &dl, sizeof dl);
	rt_msg_put(b, info->desc, info->desc_len);
	rt_msg_put(b, NULL, rt_pad8(info->desc_len) - info->desc_len);
	return send_msg(b, deadline);
}

/* ---- applying the daemon's messages -------------------------------------------- */

/* The daemon's wake-up socket: our writers send to it with MSG_DONTWAIT
 * (never blocks, whatever it is); anything but a socket is dropped, and
 * the daemon's timer drains our buffers then. */
static int wake_fd_checked(int fd)
{
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
		return fd;
	close(fd);
	return -1;
}

/* fds: the buffer set's memfd and the wake-up socket (rt_msg_decode made
 * sure both came). Takes both. */
static int on_channel(const struct rt_msg *m, const int *fds)
{
	const struct rt_msg_app_channel *c = m->body;
	struct ctl_chan *have = chan_find(c->key);
	if (have) {
		/* A forked child keeps the shared buffers it inherited, but
		 * wakes the daemon on a socket of its own (each process has
		 * one, issue 11 #10): the new one takes the inherited one's
		 * descriptor number in one step (dup3), so a writer sending at
		 * that moment reaches one socket or the other, never a
		 * descriptor that was closed and reused. */
		const struct rt_bufset *bs = rt_channel_bufset(have->ch);
		int wake = wake_fd_checked(fds[1]);
		if (wake >= 0 && bs->wake_fd >= 0)
			dup3(wake, bs->wake_fd, O_CLOEXEC);
		if (wake >= 0)
			close(wake);
		close(fds[0]);
		return 0;
	}
	struct rt_bufset bs;
	char err[200];
	if (rt_bufset_map_some(fds[0], c->nr_ready, &bs, err, sizeof err) != RT_OK) {
		fprintf(stderr, "rseqtrace: bad buffers from the daemon (%s): tracing off\n", err);
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	/* mm_cid ids are unique within this process only: such a set must be
	 * ours alone, and only if we said our threads can index by them. */
	if (bs.index == RT_INDEX_CID && (!(c->flags & RT_CHAN_PER_PID) || !ctl.cid)) {
		fprintf(stderr, "rseqtrace: the daemon sent %s buffers indexed by mm_cid: "
				"tracing off\n", ctl.cid ? "shared" : "unasked-for");
		rt_bufset_unmap(&bs);
		close(fds[1]);
		return -1;
	}
	bs.grow_fd = ctl.grow_efd;
	bs.wake_fd = wake_fd_checked(fds[1]); /* before any writer sees bs */
	/* Blocking mode (decoded: INF or a bounded number of us). */
	bs.wait_ns = c->blocking_us == RT_BLOCKING_INF ? RT_WAIT_FOREVER : c->blocking_us * 1000u;
	if (ctl.nr_chans == ctl.cap_chans) {
		uint32_t cap = ctl.cap_chans ? ctl.cap_chans * 2 : 4;
		struct ctl_chan *n = realloc(ctl.chans, cap * sizeof *n);
		if (!n) {
			rt_bufset_unmap(&bs);
			return -1;
		}
		ctl.chans = n;
		ctl.cap_chans = cap;
	}
	char name[32];
	snprintf(name, sizeof name, "daemon-%llu", (unsigned long long)c->key);
	struct rt_channel *ch = rt_channel_create(&bs, c->contexts, name, 1, err, sizeof err);
	if (!ch) {
		fprintf(stderr, "rseqtrace: cannot use the daemon's buffers (%s): tracing off\n", err);
		rt_bufset_unmap(&bs);
		return -1;
	}
	ctl.chans[ctl.nr_chans++] = (struct ctl_chan){
		.key = c->key, .ch = ch, .per_pid = (c->flags & RT_CHAN_PER_PID) != 0,
	};
	if (c->flags & RT_CHAN_ACTIVE)
		rt_channel_set_active(ch, 1);
	return 0;
}

/* APP_GROWN: value buffers of an mm_cid set are ready. Fewer than we
 * have, or more than the set's header allows, is a daemon we stop
 * trusting (the connection is dropped, tracing goes off). */
static int on_grown(const struct rt_msg *m)
{
	const struct rt_msg_app_key *k = m->body;
	struct ctl_chan *c = chan_find(k->key);
	struct rt_bufset *bs = c ? rt_channel_bufset(c->ch) : NULL;
	if (!bs || bs->index != RT_INDEX_CID) {
		fprintf(stderr, "rseqtrace: the daemon grew channel %llu, not an mm_cid channel of "
				"ours: tracing off\n", (unsigned long long)k->key);
		return -1;
	}
	if (k->value < bs->nr_cpus || k->value > bs->nr_max) {
		fprintf(stderr, "rseqtrace: the daemon says %u buffers are ready, we have %u of at "
				"most %u: tracing off\n", k->value, bs->nr_cpus, bs->nr_max);
		return -1;
	}
	char err[200];
	if (rt_bufset_grow(bs, k->value, err, sizeof err) != RT_OK) {
		fprintf(stderr, "rseqtrace: %s: tracing off\n", err);
		return -1;
	}
	return 0;
}

/* Asks for the buffers writers want and nobody asked for yet. */
static int ask_growth(uint64_t deadline)
{
	uint64_t n;
	if (read(ctl.grow_efd, &n, sizeof n) < 0 && errno != EAGAIN)
		return 0;
	for (uint32_t i = 0; i < ctl.nr_chans; i++) {
		struct ctl_chan *c = &ctl.chans[i];
		struct rt_bufset *bs = rt_channel_bufset(c->ch);
		uint32_t want = __atomic_load_n(&bs->want, __ATOMIC_RELAXED);
		if (bs->index != RT_INDEX_CID || want <= bs->nr_cpus || want <= c->asked)
			continue;
		rt_msg_init(&ctl.sbuf, RT_MSG_APP_GROW, ++ctl.seq);
		struct rt_msg_app_key k = { .key = c->key, .value = want };
		rt_msg_put(&ctl.sbuf, &k, sizeof k);
		if (send_msg(&ctl.sbuf, deadline) != 0)
			return -1;
		c->asked = want;
	}
	return 0;
}

static int on_enable(const struct rt_msg *m)
{
	const struct rt_msg_app_enable *e = m->body;
	struct ctl_chan *c = chan_find(e->key);
	if (!c)
		return -1; /* the daemon never names a channel it did not send */
	for (uint32_t i = 0; i < e->count; i++) {
		struct rt_msg_enable_entry en;
		memcpy(&en, m->var + i * sizeof en, sizeof en);
		if (en.index >= ctl.nr)
			return -1;
		uint64_t h = ctl.handles[en.index];
		if (!h)
			continue; /* unloaded since */
		struct rt_fset *f = en.index < c->nr_filters ? c->filters[en.index] : NULL;
		if (en.enabled && f != FILTER_REFUSED)
			rt_event_attach(h, c->ch, en.id, f);
		else
			rt_event_detach(h, c->ch);
	}
	return 0;
}

/* The slot of event `index` in c's filter table, grown as needed. */
static struct rt_fset **filter_slot(struct ctl_chan *c, uint32_t index)
{
	if (index >= c->nr_filters) {
		uint32_t n = index + 1 > 2 * c->nr_filters ? index + 1 : 2 * c->nr_filters;
		struct rt_fset **t = realloc(c->filters, n * sizeof *t);
		if (!t)
			return NULL;
		memset(t + c->nr_filters, 0, (n - c->nr_filters) * sizeof *t);
		c->filters = t;
		c->nr_filters = n;
	}
	return &c->filters[index];
}

/*
 * APP_FILTER: programs from another process. rt_fset_bind verifies each
 * against our own description of the event (filter/program.h); one we
 * refuse turns that event off in that channel and is said on stderr: the
 * rest of the app's tracing goes on.
 */
static int on_filter(const struct rt_msg *m)
{
	const struct rt_msg_app_filter *fm = m->body;
	struct ctl_chan *c = chan_find(fm->key);
	if (!c || fm->index >= ctl.nr)
		return -1; /* the daemon never names a channel or an event we did not send */
	uint64_t h = ctl.handles[fm->index];
	struct rt_fset **slot = filter_slot(c, fm->index);
	if (!h || !slot)
		return 0; /* unloaded since; or no memory: the event keeps what it had */
	struct rt_fset *f = NULL;
	if (fm->count) {
		const void *progs[RT_FILTER_PROGS_MAX];
		uint32_t lens[RT_FILTER_PROGS_MAX], off = 0;
		for (uint32_t i = 0; i < fm->count; i++) {
			struct rt_msg_desc_len dl;
			memcpy(&dl, m->var + off, sizeof dl); /* rt_msg_decode checked the framing */
			progs[i] = m->var + off + sizeof dl;
			lens[i] = dl.len;
			off += (uint32_t)sizeof dl + rt_pad8(dl.len);
		}
		char err[200];
		f = rt_fset_bind(h, progs, lens, fm->count, err, sizeof err);
		if (!f) {
			fprintf(stderr, "rseqtrace: filter for event %u refused: %s: event off in "
					"channel %llu\n", fm->index, err, (unsigned long long)c->key);
			f = FILTER_REFUSED;
		}
	}
	if (*slot != FILTER_REFUSED)
		rt_fset_put(*slot);
	*slot = f;
	if (f == FILTER_REFUSED)
		rt_event_detach(h, c->ch);
	else
		rt_event_set_filter(h, c->ch, f); /* -ENOENT if not attached: kept for APP_ENABLE */
	return 0;
}

static int on_key(const struct rt_msg *m)
{
	const struct rt_msg_app_key *k = m->body;
	struct ctl_chan *c = chan_find(k->key);
	if (!c)
		return m->hdr.type == RT_MSG_APP_CHANNEL_DEL ? 0 : -1;
	if (m->hdr.type == RT_MSG_APP_ACTIVE)
		rt_channel_set_active(c->ch, (int)k->value);
	else
		chan_remove(c);
	return 0;
}

/* 0 if APP_READY lets us trace (perhaps not every event: said once). */
static int ready_status(const struct rt_msg_app_ready *r)
{
	static int told;
	if (r->status != -E2BIG)
		return r->status;
	if (!told)
		fprintf(stderr, "rseqtrace: the daemon keeps %u event descriptions per process: "
				"events past them are not traced\n", r->events_max);
	told = 1;
	return 0;
}

/* Applies one message, taking its descriptors (fds: as many as
 * rt_msg_decode requires for its type). Returns 1 for APP_READY, 0 for
 * others, -1 if the connection must be dropped. */
static int apply(const struct rt_msg *m, const int *fds, uint64_t deadline)
{
	switch (m->hdr.type) {
	case RT_MSG_APP_READY:
		if (ready_status(m->body) != 0)
			return -1;
		ctl.ready = 1;
		ctl.readies++;
		return 1;
	case RT_MSG_APP_CHANNEL:
		return on_channel(m, fds);
	case RT_MSG_APP_ENABLE:
		return on_enable(m);
	case RT_MSG_APP_FILTER:
		return on_filter(m);
	case RT_MSG_APP_ACTIVE:
	case RT_MSG_APP_CHANNEL_DEL:
		return on_key(m);
	case RT_MSG_APP_GROWN:
		return on_grown(m);
	case RT_MSG_APP_SYNC:
		/* Everything before it is applied: say so, with its seq. */
		rt_msg_init(&ctl.sbuf, RT_MSG_APP_SYNC_ACK, m->hdr.seq);
		return send_msg(&ctl.sbuf, deadline);
	case RT_MSG_REPLY: /* a refusal (another user's daemon, shutting down) */
		return -1;
	}
	return -1; /* anything else has no business here */
}

/*
 * Receives and applies messages until none is waiting (until_ready == 0)
 * or until one more APP_READY arrived (until_ready == 1), by the deadline.
 * Returns 0, or -1 after dropping the connection.
 */
static int pump(int until_ready, uint64_t deadline)
{
	uint64_t readies = ctl.readies;
	for (;;) {
		int fds[RT_MSG_MAX_FDS];
		uint32_t nfds;
		ssize_t n = rt_msg_recv(ctl.fd, ctl.rbuf, fds, &nfds, MSG_DONTWAIT);
		if (n == -EAGAIN) {
			if (!until_ready)
				return 0;
			struct pollfd p = { .fd = ctl.fd, .events = POLLIN };
			int w = left_ms(deadline);
			if (w > 0 && poll(&p, 1, w) > 0)
				continue;
			fprintf(stderr, "rseqtrace: the daemon did not answer within %d ms: tracing off\n",
				ctl.timeout_ms);
			disconnect();
			return -1;
		}
		struct rt_msg m;
		int r = -1;
		if (n > 0 && rt_msg_decode(ctl.rbuf, (size_t)n, nfds, &m, NULL, 0) == 0) {
			nfds = 0; /* apply() owns them now */
			r = apply(&m, fds, deadline);
		}
		for (uint32_t i = 0; i < nfds; i++)
			close(fds[i]);
		if (r < 0) {
			disconnect(); /* daemon gone, or it sent garbage */
			return -1;
		}
		if (until_ready && ctl.readies > readies)
			return 0;
	}
}

/* ---- registration ------------------------------------------------------------- */

struct reg_walk {
	uint64_t deadline;
	int err;
};

static void send_each(void *arg, enum rt_reg_change change, const struct rt_event_info *info)
{
	struct reg_walk *w = arg;
	if (change == RT_REG_ADDED && !w->err)
		w->err = send_event(info, w->deadline);
}

static int send_ready_req(uint64_t deadline)
{
	rt_msg_init(&ctl.sbuf, RT_MSG_APP_READY_REQ, ++ctl.seq);
	return send_msg(&ctl.sbuf, deadline);
}

/* Why we would not talk to what listens there: one line, once, and only
 * with RSEQTRACE_DEBUG set (the library is quiet by default). */
static void refused(const char *why)
{
	static int said;
	const char *dbg = secure_getenv("RSEQTRACE_DEBUG");
	if (said || !dbg || !*dbg || !strcmp(dbg, "0"))
		return;
	said = 1;
	fprintf(stderr, "rseqtrace: not registering with the daemon under %s: %s: tracing off\n",
		ctl.dir, why);
}

/* A connected socket to a daemon we trust, or -errno (-ENOENT: no daemon
 * socket; -EPERM: the directory is not ours alone, or the listener is
 * neither us nor root). Checked before anything is sent: whoever listens
 * there gets every event. */
static int try_connect(void)
{
	struct sockaddr_un sa;
	if (rt_sock_addr(ctl.dir, &sa) != 0)
		return -ENAMETOOLONG;
	char why[RT_PATH_MAX + 128];
	int dfd = rt_dir_open_checked(ctl.dir, geteuid(), RT_DIR_PRIVATE, why, sizeof why);
	if (dfd == -ENOENT)
		return -ENOENT;
	if (dfd < 0) {
		refused(why);
		return -EPERM;
	}
	close(dfd);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	if (rt_peer_check(fd, geteuid(), why, sizeof why) != 0) {
		refused(why);
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* This process's threads now (/proc/self/stat, field 20), 1 if unknown. */
static int thread_count(void)
{
	char buf[1024];
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* the name may hold spaces and parentheses */
	for (int field = 2; p && field < 20; field++)
		p = strchr(p + 1, ' ');
	int t = p ? atoi(p + 1) : 1;
	return t > 0 ? t : 1;
}

/*
 * How many buffers an mm_cid set starts with: the kernel keeps mm_cid below
 * both the process's thread count and the CPUs it may run on. One thread
 * more than now, as most traced programs start one and each growth costs
 * the events written meanwhile (lost_nobuf); the rest on demand.
 */
static uint32_t start_buffers(void)
{
	cpu_set_t set;
	int n = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
	int t = thread_count() + 1;
	if (t < n)
		n = t;
	return n < 1 ? 1 : n > (int)RT_MAX_INDEX ? RT_MAX_INDEX : (uint32_t)n;
}

/* Connects and registers; the caller holds the registry lock and io.
 * Returns 0 once APP_READY arrived, -1 if there is no socket, -3 if nobody
 * listens on it (a stale one), -2 if the daemon accepted the connection
 * but the registration failed, or we refused it (retried less and less
 * often, like a daemon that does not answer). */
static int do_register(int timeout_ms)
{
	int fd = try_connect();
	if (fd < 0)
		return fd == -ENOENT || fd == -ENOTDIR ? -1 : fd == -EPERM ? -2 : -3;
	ctl.fd = fd;
	ctl.nr = 0;
	uint64_t deadline = mono_ms() + (uint64_t)timeout_ms;
	int rseq = rt_mode_default() == RT_MODE_RSEQ;
	ctl.cid = rseq && ctl.grow_efd >= 0 && rt_cid_usable();
	struct rt_msg_app_register r = {
		.vpid = (uint32_t)getpid(),
		.ppid = (uint32_t)getppid(),
		.flags = (rseq ? RT_APP_RSEQ : 0) | (ctl.cid ? RT_APP_CID : 0),
		.bits_per_long = 64,
		.nr_start = start_buffers(),
	};
	char comm[RT_PROCNAME_MAX] = "";
	prctl(PR_GET_NAME, comm);
	memcpy(r.procname, comm, sizeof comm - 1);
	rt_msg_init(&ctl.sbuf, RT_MSG_APP_REGISTER, ++ctl.seq);
	rt_msg_put(&ctl.sbuf, &r, sizeof r);
	struct reg_walk w = { .deadline = deadline };
	if (send_msg(&ctl.sbuf, deadline) == 0) {
		rt_registry_foreach(send_each, &w);
		if (!w.err && send_ready_req(deadline) == 0 && pump(1, deadline) == 0)
			return 0;
	}
	if (ctl.fd >= 0)
		disconnect();
	return -2;
}

/* How long the listener gives the daemon when nobody waits on it. */
static int listen_timeout(void)
{
	return ctl.timeout_ms > 0 ? ctl.timeout_ms : DEFAULT_TIMEOUT_MS;
}

/* Registry callback: with the registry lock held, in the thread that
 * loads or unloads a provider. */
static void on_registry(void *arg, enum rt_reg_change change, const struct rt_event_info *info)
{
	(void)arg;
	pthread_mutex_lock(&ctl.io);
	if (change == RT_REG_REMOVED) {
		for (uint32_t i = 0; i < ctl.nr; i++)
			if (ctl.handles[i] == info->handle)
				ctl.handles[i] = 0;
	} else if (ctl.fd >= 0 && ctl.ready) {
		/* With a timeout of 0 nobody waits: the listener takes the
		 * answer when it comes. */
		uint64_t deadline = mono_ms() + (uint64_t)listen_timeout();
		if (send_event(info, deadline) != 0 || send_ready_req(deadline) != 0)
			disconnect();
		else if (ctl.timeout_ms > 0)
			pump(1, mono_ms() + (uint64_t)ctl.timeout_ms);
	}
	pthread_mutex_unlock(&ctl.io);
}

/* ---- the listener thread --------------------------------------------------------- */

/* Waits until the socket may have appeared: inotify on the directory (or
 * its parent while it does not exist), and a slow poll as a fallback.
 * stale: a socket file is there but nobody answered on it. */
static void wait_for_daemon(int ino, int stale, int wait_ms)
{
	char parent[RT_PATH_MAX];
	snprintf(parent, sizeof parent, "%s", ctl.dir);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	int w1 = -1, w2 = -1;
	if (ino >= 0) {
		w1 = inotify_add_watch(ino, ctl.dir, IN_CREATE | IN_MOVED_TO | IN_ATTRIB);
		w2 = inotify_add_watch(ino, parent, IN_CREATE | IN_MOVED_TO);
	}
	struct sockaddr_un sa;
	struct stat st;
	int there = rt_sock_addr(ctl.dir, &sa) == 0 && stat(sa.sun_path, &st) == 0 &&
		    S_ISSOCK(st.st_mode);
	struct pollfd p = { .fd = ino, .events = POLLIN };
	if ((!there || stale) && poll(&p, ino >= 0 ? 1 : 0, wait_ms) > 0) {
		char buf[4096] __attribute__((aligned(8)));
		while (read(ino, buf, sizeof buf) > 0)
			;
		usleep(20000); /* let the daemon finish bind() + listen() */
	}
	if (w1 >= 0)
		inotify_rm_watch(ino, w1);
	if (w2 >= 0)
		inotify_rm_watch(ino, w2);
}

/* arg: what the last registration attempt returned (0 if none). */
static void *listener(void *arg)
{
	/* An inotify instance makes the process's exit wait for the kernel's
	 * fsnotify grace period (~6 ms): short-lived programs would pay that
	 * for nothing. So the first seconds poll the socket path, and only a
	 * process that lives on waits for its daemon with inotify. */
	int ino = -1;
	uint64_t born = mono_ms();
	/* The constructor (or fork child) tried already: how did it go? */
	int failed = (int)(intptr_t)arg;
	int wait_ms = RETRY_POLL_MS;
	for (;;) {
		pthread_mutex_lock(&ctl.io);
		int fd = ctl.fd;
		pthread_mutex_unlock(&ctl.io);
		if (fd < 0) {
			if (ino < 0 && mono_ms() - born >= INOTIFY_AFTER_MS)
				ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
			wait_for_daemon(ino, failed == -2 || failed == -3,
					ino < 0 && wait_ms > EARLY_POLL_MS ? EARLY_POLL_MS : wait_ms);
			rt_registry_lock();
			pthread_mutex_lock(&ctl.io);
			/* Nobody waits for this one: give a slow daemon time. */
			int r = ctl.fd < 0 ? do_register(listen_timeout()) : 0;
			pthread_mutex_unlock(&ctl.io);
			rt_registry_unlock();
			failed = r;
			/* A daemon that accepts but never answers is retried
			 * less and less often: each try holds up dlopen(). */
			if (r == -2 && wait_ms < RETRY_MAX_MS)
				wait_ms *= 2;
			else if (r == 0)
				wait_ms = RETRY_POLL_MS;
			continue;
		}
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
				       { .fd = ctl.grow_efd, .events = POLLIN } };
		if (poll(p, ctl.grow_efd >= 0 ? 2 : 1, -1) < 0 && errno != EINTR)
			usleep(100000);
		rt_registry_lock();
		pthread_mutex_lock(&ctl.io);
		if (ctl.fd == fd && (p[1].revents & POLLIN) &&
		    ask_growth(mono_ms() + (uint64_t)listen_timeout()) != 0)
			disconnect();
		if (ctl.fd == fd)
			pump(0, mono_ms() + (uint64_t)listen_timeout());
		pthread_mutex_unlock(&ctl.io);
		rt_registry_unlock();
	}
	return NULL;
}

static void start_listener(int last)
{
	pthread_attr_t a;
	pthread_t t;
	sigset_t all, old;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&a, 256 * 1024);
	/* The app's signals are for the app's threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	ctl.listener_running = pthread_create(&t, &a, listener, (void *)(intptr_t)last) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&a);
	if (ctl.listener_running)
		pthread_setname_np(t, "rseqtrace-ctl");
}

/* ---- fork ------------------------------------------------------------------------ */

/* Signals stay blocked from here (the first prepare handler: registered
 * last) until the child has dropped its parent's per-PID channels: an
 * mm_cid set is safe only for the threads of one process, and a child's
 * handler tracing into its parent's set would share ids with it. */
static void before_fork(void)
{
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &ctl.fork_mask);
	rt_registry_lock();
	pthread_mutex_lock(&ctl.io);
}

static void after_fork_parent(void)
{
	pthread_mutex_unlock(&ctl.io);
	rt_registry_unlock();
	pthread_sigmask(SIG_SETMASK, &ctl.fork_mask, NULL);
}

/* Only this thread survives. The child keeps the shared (per-UID) buffers
 * with their ids, drops its parent's per-PID ones, and registers as
 * itself, waiting like the constructor does. */
static void after_fork_child(void)
{
	pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
	ctl.io = fresh;
	if (ctl.fd >= 0)
		close(ctl.fd);
	ctl.fd = -1;
	ctl.ready = 0;
	ctl.readies = 0;
	ctl.nr = 0;
	chans_remove_all(1);
	pthread_sigmask(SIG_SETMASK, &ctl.fork_mask, NULL);
	/* An eventfd of our own: the parent's listener reads the inherited
	 * one. Same number, so nothing holds a closed one. */
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd >= 0 && ctl.grow_efd >= 0) {
		dup3(efd, ctl.grow_efd, O_CLOEXEC);
		close(efd);
	} else if (efd >= 0) {
		ctl.grow_efd = efd;
	}
	ctl.listener_running = 0;
	if (ctl.disabled)
		return;
	int last = 0;
	rt_registry_lock();
	pthread_mutex_lock(&ctl.io);
	if (ctl.timeout_ms > 0)
		last = do_register(ctl.timeout_ms);
	pthread_mutex_unlock(&ctl.io);
	rt_registry_unlock();
	start_listener(last);
}

/* ---- start ----------------------------------------------------------------------- */

static int env_timeout(void)
{
	const char *s = secure_getenv("RSEQTRACE_REGISTER_TIMEOUT_MS");
	if (!s || !*s)
		return DEFAULT_TIMEOUT_MS;
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < 0)
		return DEFAULT_TIMEOUT_MS;
	return v > 60000 ? 60000 : (int)v;
}

__attribute__((constructor(65535))) static void rt_ctl_init(void)
{
	const char *off = secure_getenv("RSEQTRACE_DAEMON");
	const char *inproc = secure_getenv("RSEQTRACE_INPROC");
	if ((off && strcmp(off, "0") == 0) || (inproc && *inproc)) {
		ctl.disabled = 1; /* asked not to, or tracing in-process */
		return;
	}
	if (rt_sock_dir(ctl.dir, sizeof ctl.dir, secure_getenv) != 0)
		return; /* nowhere to look: tracing stays off */
	ctl.timeout_ms = env_timeout();
	ctl.grow_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); /* -1: no mm_cid sets */
	if (rt_registry_subscribe(on_registry, NULL) != 0)
		return;
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
	int last = 0;
	rt_registry_lock();
	pthread_mutex_lock(&ctl.io);
	if (ctl.timeout_ms > 0)
		last = do_register(ctl.timeout_ms); /* no socket: returns at once */
	pthread_mutex_unlock(&ctl.io);
	rt_registry_unlock();
	start_listener(last);
}
