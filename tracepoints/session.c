/* SPDX-License-Identifier: MIT */
/*
 * The in-process session (include/rseqtrace/session.h): one buffer set in
 * this process, one CTF trace, a drain thread.
 *
 * Lock order: registry lock, then S.lock, then S.out_lock, the order of
 * the fork handlers (init.c). Registry callbacks arrive with the registry
 * lock held and take S.lock; a path that calls into the registry while it
 * holds S.lock (the start, which creates the channel) takes the registry
 * lock first.
 *   S.lock      session state, event ids, the metadata appends
 *   S.out_lock  the CTF channel (drains and statistics)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rseqtrace/session.h>

#include "common/context.h"
#include "common/glob.h"
#include "common/loglevel.h"
#include "tracepoints/channel.h"
#include "ctf/ctf.h"
#include "eventdesc/desc_wire.h"
#include "tracepoints/runtime.h"
#include "tracepoints/session_int.h"

struct known {
	struct known *next;
	struct rt_desc *desc;
	uint32_t id;
};

/* IDLE -> RUNNING -> STOPPING (one stop claimed it; still draining) ->
 * FLUSHING (channel inactive: the drain thread flushes) -> FLUSHED -> IDLE */
enum phase { IDLE, RUNNING, STOPPING, FLUSHING, FLUSHED };

static struct {
	pthread_mutex_t lock;
	pthread_mutex_t out_lock;
	pthread_cond_t cond;
	enum phase phase;
	int inherited;      /* a fork child: the parent owns the session */
	int exit_hook;
	char **patterns;
	int nr_patterns;
	int loglevel;
	unsigned period_ms;
	struct ctf_trace *trace;
	struct ctf_channel *out;
	struct rt_channel *chan;
	struct known *known;
	uint32_t next_id;
	uint32_t enabled;
	int mode;
	pthread_t drainer;
	int wake_rx;        /* the drain thread's end of the wake-up socket, or -1 */
	int no_wakeup;      /* RSEQTRACE_WAKEUP=0: writers are never asked to wake it */
	int flush_result;
	char path[4096];
	char error[512];
	struct rseqtrace_session_stats last;
	int have_stats;
} S = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.out_lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.wake_rx = -1,
};

static int __attribute__((format(printf, 2, 3))) set_error(int e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(S.error, sizeof S.error, fmt, ap);
	va_end(ap);
	return e;
}

const char *rseqtrace_session_error(void)
{
	return S.error;
}

const char *rseqtrace_session_path(void)
{
	return S.path[0] ? S.path : NULL;
}

/* ---- patterns --------------------------------------------------------------- */

static void free_patterns(void)
{
	for (int i = 0; i < S.nr_patterns; i++)
		free(S.patterns[i]);
	free(S.patterns);
	S.patterns = NULL;
	S.nr_patterns = 0;
}

static int parse_patterns(const char *list)
{
	if (!list || !*list)
		list = "*";
	char *copy = strdup(list);
	if (!copy)
		return -ENOMEM;
	int n = 1;
	for (const char *c = copy; *c; c++)
		n += *c == ',';
	S.patterns = calloc((size_t)n, sizeof *S.patterns);
	if (!S.patterns) {
		free(copy);
		return -ENOMEM;
	}
	char *save = NULL;
	for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save))
		if (!(S.patterns[S.nr_patterns++] = strdup(tok))) {
			free(copy);
			return -ENOMEM;
		}
	free(copy);
	return 0;
}

static int wanted(const struct rt_event_info *ev)
{
	if (S.loglevel >= 0 && ev->loglevel > S.loglevel)
		return 0;
	for (int i = 0; i < S.nr_patterns; i++)
		if (rt_glob_match(S.patterns[i], ev->name))
			return 1;
	return 0;
}

/* ---- registry callback: new events get an id, metadata, then enabled ------ */

static int id_for(struct rt_desc *d, uint32_t *id, int *is_new)
{
	for (struct known *k = S.known; k; k = k->next) {
		if (strcmp(k->desc->name, d->name) == 0 && rt_desc_same_layout(k->desc, d)) {
			*id = k->id;
			*is_new = 0;
			return 0;
		}
	}
	struct known *k = calloc(1, sizeof *k);
	if (!k)
		return -ENOMEM;
	int r = ctf_trace_add_event(S.trace, 0, S.next_id, d);
	if (r) {
		free(k);
		return r;
	}
	k->desc = d;
	k->id = S.next_id++;
	k->next = S.known;
	S.known = k;
	*id = k->id;
	*is_new = 1;
	return 0;
}

static void on_registry(void *arg, enum rt_reg_change change, const struct rt_event_info *ev)
{
	(void)arg;
	if (change != RT_REG_ADDED)
		return; /* a removed event is already detached */
	pthread_mutex_lock(&S.lock);
	if (S.phase != RUNNING || S.inherited || !wanted(ev)) {
		pthread_mutex_unlock(&S.lock);
		return;
	}
	char err[256];
	struct rt_desc *d = rt_desc_parse(ev->desc, ev->desc_len, err, sizeof err);
	uint32_t id = 0;
	int is_new = 0, r = d ? id_for(d, &id, &is_new) : -EINVAL;
	if (!is_new)
		rt_desc_free(d);
	if (r == 0)
		r = rt_event_attach(ev->handle, S.chan, id, NULL);
	if (r == 0)
		S.enabled++;
	else
		fprintf(stderr, "rseqtrace: cannot enable %s: %s\n", ev->name,
			d ? strerror(-r) : err);
	pthread_mutex_unlock(&S.lock);
}

/* ---- drain thread ------------------------------------------------------------ */

/* On CLOCK_MONOTONIC: a wall clock set back must not stall the drains. */
static void wait_ms(unsigned ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	pthread_cond_clockwait(&S.cond, &S.lock, CLOCK_MONOTONIC, &ts);
}

/*
 * Waits up to ms for work, with S.lock held (released while waiting): for
 * a writer's wake-up once half a CPU's buffer is ready (ringbuf.h,
 * invariant I5), for a stop, or for the period to pass. Without a wake-up
 * socket, for a stop or the period.
 */
static void wait_for_work(unsigned ms)
{
	if (S.wake_rx < 0) {
		wait_ms(ms);
		return;
	}
	struct rt_bufset *bs = rt_channel_bufset(S.chan);
	if (!S.no_wakeup) {
		pthread_mutex_lock(&S.out_lock); /* the reader's positions */
		int ready = rt_reader_sleep(bs);
		pthread_mutex_unlock(&S.out_lock);
		if (ready)
			return;
	}
	pthread_mutex_unlock(&S.lock);
	struct pollfd p = { .fd = S.wake_rx, .events = POLLIN };
	poll(&p, 1, (int)ms);
	rt_reader_awake(bs);
	rt_wake_clear(S.wake_rx);
	pthread_mutex_lock(&S.lock);
}

/* Ends a wait_for_work() early: the phase changed. */
static void kick_drainer(void)
{
	if (S.wake_rx >= 0)
		send(rt_channel_bufset(S.chan)->wake_fd, "", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void *drain_main(void *arg)
{
	(void)arg;
	unsigned period = 1;
	pthread_mutex_lock(&S.lock);
	while (S.phase == RUNNING || S.phase == STOPPING) {
		wait_for_work(period);
		if (S.phase != RUNNING && S.phase != STOPPING)
			break;
		pthread_mutex_unlock(&S.lock);
		pthread_mutex_lock(&S.out_lock);
		int r = ctf_channel_drain(S.out);
		pthread_mutex_unlock(&S.out_lock);
		/* With wake-ups, writers call us once half a buffer is ready: the
		 * period only bounds how long fewer closed packets wait. Without,
		 * busy: poll again soon; idle: back off to the period. */
		if (S.wake_rx >= 0)
			period = S.period_ms;
		else
			period = r > 0 ? 1 : (period * 2 > S.period_ms ? S.period_ms : period * 2);
		pthread_mutex_lock(&S.lock);
	}
	/* The channel is inactive now: no writer is left, flush everything. */
	pthread_mutex_unlock(&S.lock);
	pthread_mutex_lock(&S.out_lock);
	int r = ctf_channel_flush(S.out);
	pthread_mutex_unlock(&S.out_lock);
	pthread_mutex_lock(&S.lock);
	S.flush_result = r < 0 ? r : 0;
	S.phase = FLUSHED;
	pthread_cond_broadcast(&S.cond);
	pthread_mutex_unlock(&S.lock);
	ctf_thread_done(); /* this thread's packet copy (ctf/stream.c) */
	return NULL;
}

/* ---- start / stop --------------------------------------------------------------- */

static void session_exit(void)
{
	if (!S.inherited)
		rseqtrace_session_stop();
}

static int make_channel(const struct rseqtrace_session_config *cfg, const char *procname)
{
	struct ctf_trace_config tc = {
		.output = cfg->output,
		.path = cfg->path,
		.buffering = CTF_PER_PID,
		.uid = (uint32_t)getuid(),
		.pid = rt_vpid(),
		.procname = procname,
		.trace_name = cfg->name ? cfg->name : procname,
		.clock = cfg->clock == RSEQTRACE_CLOCK_TSC ? RT_CLOCK_TSC : RT_CLOCK_MONOTONIC,
	};
	char err[512];
	int r = ctf_trace_create(&tc, &S.trace, err, sizeof err);
	if (r)
		return set_error(r, "%s", err);
	snprintf(S.path, sizeof S.path, "%s", ctf_trace_dir(S.trace));
	unsigned ctx = cfg->contexts & RSEQTRACE_CTX_ALL;
	r = ctf_trace_add_stream_class(S.trace, 0, ctx);
	if (r)
		return set_error(r, "cannot write the metadata of %s: %s", S.path, strerror(-r));

	struct rt_params p = {
		.subbuf_size = cfg->subbuf_size ? cfg->subbuf_size : 256u << 10,
		.num_subbuf = cfg->num_subbuf ? cfg->num_subbuf : 4,
		.mode = cfg->mode == RSEQTRACE_MODE_RSEQ ? RT_MODE_RSEQ
			: cfg->mode == RSEQTRACE_MODE_LOCKED ? RT_MODE_LOCKED : RT_MODE_AUTO,
		.clock = tc.clock,
		.stream_id = 0,
	};
	ctf_trace_uuid(S.trace, p.uuid);
	struct rt_bufset bs;
	r = rt_bufset_create(&p, &bs, err, sizeof err);
	if (r)
		return set_error(r == RT_E_SYS ? -ENOMEM : -EINVAL, "buffers: %s", err);
	/* Without a socket (out of descriptors) the drain thread polls,
	 * adapting its period as it goes. RSEQTRACE_WAKEUP=0, to compare:
	 * writers are never asked to wake it, it drains on its period. */
	const char *wake = getenv("RSEQTRACE_WAKEUP");
	S.no_wakeup = wake && strcmp(wake, "0") == 0;
	if (rt_wake_pair(&S.wake_rx, &bs.wake_fd) != RT_OK)
		S.wake_rx = -1;
	S.mode = (int)bs.mode;
	S.chan = rt_channel_create(&bs, ctx, "channel0", 1, err, sizeof err);
	if (!S.chan) {
		rt_bufset_unmap(&bs);
		return set_error(-EINVAL, "%s", err);
	}
	r = ctf_channel_open(S.trace, "channel0", 0, rt_channel_bufset(S.chan), &S.out, err, sizeof err);
	if (r)
		return set_error(r, "%s", err);
	return 0;
}

/* Frees the session's state; returns the channel for the caller to destroy
 * once S.lock is released (rt_channel_destroy takes the registry lock). */
static struct rt_channel *teardown(void)
{
	if (S.out)
		ctf_channel_close(S.out);
	S.out = NULL;
	if (S.trace)
		ctf_trace_close(S.trace);
	S.trace = NULL;
	struct rt_channel *chan = S.chan;
	S.chan = NULL;
	if (S.wake_rx >= 0)
		close(S.wake_rx); /* the drain thread is gone; writers' end: with chan */
	S.wake_rx = -1;
	while (S.known) {
		struct known *k = S.known;
		S.known = k->next;
		rt_desc_free(k->desc);
		free(k);
	}
	free_patterns();
	return chan;
}

int rseqtrace_session_start(const struct rseqtrace_session_config *cfg)
{
	if (!cfg || (!cfg->output && !cfg->path))
		return set_error(-EINVAL, "no output directory");
	rt_registry_lock(); /* before S.lock: make_channel creates a channel */
	pthread_mutex_lock(&S.lock);
	if (S.phase != IDLE || S.inherited) {
		pthread_mutex_unlock(&S.lock);
		rt_registry_unlock();
		return set_error(-EBUSY, "a session is already running in this process");
	}
	char procname[64];
	snprintf(procname, sizeof procname, "%s", program_invocation_short_name);
	S.path[0] = 0;
	S.have_stats = 0;
	S.known = NULL;
	S.next_id = 0;
	S.enabled = 0;
	S.loglevel = cfg->loglevel;
	S.period_ms = cfg->drain_period_ms ? cfg->drain_period_ms : 100;
	int r = parse_patterns(cfg->events);
	if (r == 0)
		r = make_channel(cfg, procname);
	if (r == 0) {
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		S.phase = RUNNING;
		r = -pthread_create(&S.drainer, NULL, drain_main, NULL);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (r) {
			S.phase = IDLE;
			set_error(r, "cannot start the drain thread: %s", strerror(-r));
		}
	}
	if (r) {
		struct rt_channel *chan = teardown();
		pthread_mutex_unlock(&S.lock);
		rt_registry_unlock();
		if (chan)
			rt_channel_destroy(chan, 10000);
		return r;
	}
	if (!S.exit_hook)
		S.exit_hook = atexit(session_exit) == 0;
	struct rt_channel *chan = S.chan;
	pthread_mutex_unlock(&S.lock);
	rt_registry_unlock();

	/* Without S.lock: subscribing replays the events to on_registry,
	 * which takes it. */
	rt_channel_set_active(chan, 1);
	r = rt_registry_subscribe(on_registry, NULL);
	if (r) {
		rseqtrace_session_stop();
		return set_error(r, "out of memory");
	}
	return 0;
}

static void collect_stats(struct rseqtrace_session_stats *st)
{
	struct ctf_channel_stats cs;
	ctf_channel_stats(S.out, &cs);
	struct rt_channel_counts cc;
	rt_channel_counts(S.chan, &cc);
	memset(st, 0, sizeof *st);
	struct rt_bufset *bs = rt_channel_bufset(S.chan);
	for (uint32_t cpu = 0; cpu < bs->nr_cpus; cpu++) {
		struct rt_cpu_stats c;
		rt_cpu_stats(bs, cpu, &c);
		st->lost_full += c.lost_full;
		st->lost_big += c.lost_big;
		st->lost_abort += c.lost_abort;
	}
	st->events = cs.events;
	st->discarded = cs.discarded;
	st->refused = cc.refused;
	st->write_lost = cs.write_lost;
	st->unreported = cs.lost_unreported;
	st->packets = cs.packets;
	st->bytes = cs.bytes;
	st->write_errors = cs.write_errors;
	st->enabled_events = S.enabled;
	st->mode = S.mode;
}

int rseqtrace_session_stop(void)
{
	pthread_mutex_lock(&S.lock);
	if (S.phase != RUNNING || S.inherited) {
		pthread_mutex_unlock(&S.lock);
		return -ENOENT;
	}
	S.phase = STOPPING; /* this call owns the stop */
	struct rt_channel *chan = S.chan;
	pthread_mutex_unlock(&S.lock);

	rt_registry_unsubscribe(on_registry, NULL);
	rt_channel_set_active(chan, 0); /* returns when no probe writes into it */

	pthread_mutex_lock(&S.lock);
	S.phase = FLUSHING;
	pthread_cond_broadcast(&S.cond);
	kick_drainer();
	while (S.phase != FLUSHED)
		pthread_cond_wait(&S.cond, &S.lock);
	pthread_mutex_unlock(&S.lock);
	pthread_join(S.drainer, NULL);

	pthread_mutex_lock(&S.lock);
	pthread_mutex_lock(&S.out_lock);
	collect_stats(&S.last);
	S.have_stats = 1;
	struct ctf_channel_stats cs;
	ctf_channel_stats(S.out, &cs);
	pthread_mutex_unlock(&S.out_lock);
	int r = S.flush_result;
	ctf_channel_close(S.out);
	S.out = NULL;
	int tr = ctf_trace_close(S.trace);
	S.trace = NULL;
	if (!r)
		r = tr;
	if (r)
		set_error(r, "%s", cs.last_error[0] ? cs.last_error : strerror(-r));
	struct rt_channel *c = teardown();
	S.phase = IDLE;
	pthread_mutex_unlock(&S.lock);
	/* Unmap outside S.lock: it may wait for a grace period. */
	rt_channel_destroy(c, 10000);
	return r;
}

int rseqtrace_session_stats(struct rseqtrace_session_stats *st)
{
	pthread_mutex_lock(&S.lock);
	int r = 0;
	if (S.phase != IDLE) {
		pthread_mutex_lock(&S.out_lock);
		collect_stats(st);
		pthread_mutex_unlock(&S.out_lock);
	} else if (S.have_stats) {
		*st = S.last;
	} else {
		r = -ENOENT;
	}
	pthread_mutex_unlock(&S.lock);
	return r;
}

/* ---- environment ---------------------------------------------------------------- */

static uint32_t env_size(const char *name, uint32_t dflt)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return dflt;
	char *end;
	unsigned long long n = strtoull(v, &end, 0);
	if (*end == 'k' || *end == 'K')
		n <<= 10;
	else if (*end == 'm' || *end == 'M')
		n <<= 20;
	return n > UINT32_MAX ? dflt : (uint32_t)n;
}

/* RSEQTRACE_CONTEXT: names separated by commas (or spaces); an unknown
 * name is reported and ignored. */
static unsigned env_contexts(void)
{
	const char *v = getenv("RSEQTRACE_CONTEXT");
	unsigned ctx = 0;
	while (v && *v) {
		size_t n = strcspn(v, ", ");
		uint32_t bit = rt_context_bit(v, n);
		ctx |= bit;
		if (!bit && n)
			fprintf(stderr, "rseqtrace: RSEQTRACE_CONTEXT: unknown context \"%.*s\" "
				"(known: " RT_CONTEXT_NAMES ")\n", (int)n, v);
		v += n + (v[n] != '\0');
	}
	return ctx;
}

void rt_session_from_env(void)
{
	const char *dir = getenv("RSEQTRACE_INPROC");
	if (!dir || !*dir)
		return;
	const char *lvl = getenv("RSEQTRACE_LOGLEVEL");
	const char *clk = getenv("RSEQTRACE_CLOCK");
	struct rseqtrace_session_config cfg = {
		.output = dir,
		.events = getenv("RSEQTRACE_EVENTS"),
		.loglevel = lvl && *lvl ? rt_loglevel_parse(lvl) : -1,
		.contexts = env_contexts(),
		.subbuf_size = env_size("RSEQTRACE_SUBBUF_SIZE", 0),
		.num_subbuf = env_size("RSEQTRACE_NUM_SUBBUF", 0),
		.clock = clk && strcmp(clk, "tsc") == 0 ? RSEQTRACE_CLOCK_TSC : RSEQTRACE_CLOCK_MONOTONIC,
	};
	if (lvl && *lvl && cfg.loglevel < 0)
		fprintf(stderr, "rseqtrace: unknown loglevel \"%s\"\n", lvl);
	if (rseqtrace_session_start(&cfg) != 0)
		fprintf(stderr, "rseqtrace: RSEQTRACE_INPROC=%s: %s\n", dir, S.error);
}

/* ---- fork -------------------------------------------------------------------------- */

void rt_session_before_fork(void)
{
	pthread_mutex_lock(&S.lock);
	pthread_mutex_lock(&S.out_lock);
}

void rt_session_after_fork_parent(void)
{
	pthread_mutex_unlock(&S.out_lock);
	pthread_mutex_unlock(&S.lock);
}

void rt_session_after_fork_child(void)
{
	pthread_mutex_init(&S.lock, NULL);
	pthread_mutex_init(&S.out_lock, NULL);
	pthread_cond_init(&S.cond, NULL);
	if (S.phase != IDLE)
		S.inherited = 1;
}
