/* SPDX-License-Identifier: MIT */
/*
 * Snapshot-mode output (output.h): the flight recorder's trace. Its
 * buffers are in overwrite mode and nobody drains them; a snapshot opens
 * a local output (output_local.c) in the armed directory and declares
 * the events (snap_begin, on the trace's sleeper), then every drain
 * thread writes what its share of the CPUs' buffers holds
 * (ctf_channel_snapshot_cpu, ringbuf/layout.h I8), the CPUs at once,
 * and the last one closes it (snap_share): each snapshot is a complete
 * trace of its own; to an lttng-relayd (net://),
 * the same through a network output (output_relayd.c) with a relayd
 * session of its own, as lttng does. The channels of one trace directory
 * are written together, by the snapshot output of the first (armed with
 * the others'): one directory, one metadata with a stream class per
 * channel, each channel's NAME_<cpu> files. The writers are never waited
 * for and never paused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumerd/output.h"

struct snap_event {
	uint32_t id;
	const struct rt_desc *d; /* the trace's, which outlives us */
};

struct output_snapshot {
	struct output o;
	struct rt_bufset *bs;
	struct output_config cfg;   /* its strings point to ours below */
	char session_output[PATH_MAX], session_name[64], procname[64];
	uint8_t uuid[16];
	pthread_mutex_t lock;       /* everything below */
	struct snap_event *ev;
	uint32_t nr_ev, cap_ev;
	char dir[PATH_MAX];         /* armed: the next snapshot's session directory */
	int net;                    /* armed for a relayd: lc, not dir */
	struct relayd_link_config lc;
	uint64_t budget;
	struct output **with;       /* armed: the other channels' snapshot outputs */
	uint32_t nr_with;
	struct snap_run *run;       /* the snapshot being written */
	struct snapshot_result res;
};

static struct output_snapshot *snap(const struct output *o)
{
	return (struct output_snapshot *)o;
}

static int snap_add_event(struct output *o, uint32_t id, const struct rt_desc *d)
{
	struct output_snapshot *s = snap(o);
	pthread_mutex_lock(&s->lock);
	if (s->nr_ev == s->cap_ev) {
		uint32_t cap = s->cap_ev ? 2 * s->cap_ev : 64;
		struct snap_event *p = realloc(s->ev, cap * sizeof *p);
		if (!p) {
			pthread_mutex_unlock(&s->lock);
			return -ENOMEM;
		}
		s->ev = p;
		s->cap_ev = cap;
	}
	s->ev[s->nr_ev++] = (struct snap_event){ id, d };
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* Nothing is drained: the buffers are read by snapshots only. */
static int snap_drain_cpu(struct output *o, uint32_t cpu, int partial)
{
	(void)o, (void)cpu, (void)partial;
	return 0;
}

static uint64_t snap_skip_late_cpu(struct output *o, uint32_t cpu)
{
	(void)o, (void)cpu;
	return 0;
}

static void snap_cpu_stats(const struct output *o, uint32_t cpu, struct ctf_channel_stats *st)
{
	(void)o, (void)cpu;
	memset(st, 0, sizeof *st);
}

/* The ring's counters, as they are (a snapshot reports them too). */
static void snap_cpu_losses(const struct output *o, uint32_t cpu, struct ctf_losses *out)
{
	uint64_t raw[RT_LOST_CAUSES];
	rt_lost_counts(&snap(o)->bs->ctl[cpu], raw);
	memset(out, 0, sizeof *out);
	out->full = raw[RT_LOST_FULL];
	out->big = raw[RT_LOST_BIG];
	out->abort = raw[RT_LOST_ABORT];
	out->nobuf = raw[RT_LOST_NOBUF];
	out->invalid = raw[RT_LOST_INVALID];
	out->total = out->full + out->big + out->abort + out->nobuf + out->invalid;
}

static void snap_close_cpu(struct output *o, uint32_t cpu)
{
	(void)o, (void)cpu;
}

static void finish_run(struct output_snapshot *s, struct snap_run *run);

static int snap_close(struct output *o)
{
	struct output_snapshot *s = snap(o);
	if (s->run) /* begun, its shares never run (cannot happen: they hold the trace) */
		finish_run(s, s->run);
	pthread_mutex_destroy(&s->lock);
	free(s->with);
	free(s->ev);
	free(s);
	return 0;
}

static void set_error(struct snapshot_result *res, int r, const char *what, const char *why)
{
	if (!r || res->error)
		return;
	res->error = r < 0 ? r : -r;
	snprintf(res->msg, sizeof res->msg, "%.200s: %.3800s", what,
		 why ? why : strerror(r < 0 ? -r : r));
}

/* The snapshot being written: opened by snap_begin; its buffers, one
 * (channel, CPU) after the other, taken by whichever drain thread asks
 * first (snap_share); closed by the one that wrote the last. */
struct snap_run {
	struct output **with;        /* the armed array (freed at the end) */
	uint64_t budget;
	/* Under the output's lock: */
	uint32_t next, total;        /* buffers taken, to take */
	uint32_t left;               /* buffers not written yet */
	struct snapshot_result res;
	uint32_t nr;                 /* channels: [0] is o's own */
	struct snap_chan {
		struct output_snapshot *src;
		struct output *out;  /* NULL: could not be opened */
		uint32_t cpus;       /* its buffers, as they were at the start */
	} ch[];
};

/* Channel w's event descriptions to lo's metadata (w may be lo's own). */
static void describe_channel(struct output_snapshot *w, struct output *lo,
			     struct snapshot_result *res)
{
	pthread_mutex_lock(&w->lock);
	for (uint32_t i = 0; i < w->nr_ev; i++) {
		int r = lo->ops->add_event(lo, w->ev[i].id, w->ev[i].d);
		if (r && !res->error) {
			res->error = r;
			snprintf(res->msg, sizeof res->msg, "cannot describe event %u: %s",
				 w->ev[i].id, strerror(-r));
		}
	}
	pthread_mutex_unlock(&w->lock);
}

/* A snapshot's output for one channel: local files, or, with relayd, a
 * network output (lttng's way: a relayd session for this snapshot alone,
 * ended when its last stream closes, its link's last reference). */
static int open_output(struct output_config *cfg, struct rt_bufset *bs,
		       const struct relayd_link_config *lc, struct output **out, char *why,
		       size_t n)
{
	if (!lc)
		return output_local_open(cfg, bs, out, why, n);
	/* (cfg->relayd, create -U's link, is the session's, not a snapshot's.)
	 * A channel that shares another's output shares its link. */
	struct relayd_link *link = cfg->share ? NULL : relayd_link_new(lc);
	if (!cfg->share && !link)
		return -ENOMEM;
	cfg->relayd = link;
	int r = output_relayd_open(cfg, bs, out, why, n);
	relayd_link_put(link); /* the output holds its own */
	return r;
}

/* The run is over: the other channels' outputs, then lo (the last
 * reference: the metadata and the directory) closed, the result published. */
static void finish_run(struct output_snapshot *s, struct snap_run *run)
{
	for (uint32_t i = run->nr; i-- > 0;)
		if (run->ch[i].out)
			set_error(&run->res, run->ch[i].out->ops->close(run->ch[i].out), run->res.dir,
				  NULL);
	free(run->with);
	pthread_mutex_lock(&s->lock);
	s->res = run->res;
	s->run = NULL;
	pthread_mutex_unlock(&s->lock);
	free(run);
}

/* On the trace's sleeper: the directory, its metadata and every channel's
 * output (the others' share lo's directory). The buffers to write (by
 * snap_share), or 0 if the snapshot is over (result published). */
static int snap_begin(struct output *o)
{
	struct output_snapshot *s = snap(o);
	struct output_config cfg = s->cfg;
	char dir[PATH_MAX];
	struct relayd_link_config lc;
	pthread_mutex_lock(&s->lock);
	snprintf(dir, sizeof dir, "%s", s->dir);
	int net = s->net;
	lc = s->lc;
	struct output **with = s->with;
	uint32_t nr_with = s->nr_with;
	s->with = NULL;
	s->nr_with = 0;
	uint64_t budget = s->budget;
	pthread_mutex_unlock(&s->lock);
	struct snap_run *run = calloc(1, sizeof *run + (1 + (size_t)nr_with) * sizeof run->ch[0]);
	if (!run) {
		struct snapshot_result res = { .error = -ENOMEM };
		snprintf(res.msg, sizeof res.msg, "out of memory for a snapshot");
		free(with);
		pthread_mutex_lock(&s->lock);
		s->res = res;
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	run->with = with;
	run->budget = budget;
	struct snapshot_result *res = &run->res;
	cfg.session_output = dir;
	cfg.snapshot = 1;
	struct output *lo = NULL;
	int r = open_output(&cfg, s->bs, net ? &lc : NULL, &lo, res->msg, sizeof res->msg);
	if (r) {
		res->error = r;
		if (!res->msg[0])
			snprintf(res->msg, sizeof res->msg, "%s", strerror(-r));
		finish_run(s, run);
		return 0;
	}
	snprintf(res->dir, sizeof res->dir, "%s", lo->dir);
	run->nr = 1 + nr_with;
	run->ch[0] = (struct snap_chan){ s, lo, rt_nr_buffers(s->bs) };
	describe_channel(s, lo, res);
	for (uint32_t i = 0; i < nr_with; i++) {
		struct output_snapshot *w = snap(with[i]);
		struct output_config wcfg = w->cfg;
		char why[PATH_MAX + 128];
		wcfg.session_output = dir;
		wcfg.share = lo; /* its stream class in lo's directory and metadata */
		run->ch[1 + i].src = w;
		r = open_output(&wcfg, w->bs, net ? &lc : NULL, &run->ch[1 + i].out, why, sizeof why);
		if (r)
			set_error(res, r, wcfg.channel, why);
		else
			describe_channel(w, run->ch[1 + i].out, res);
		run->ch[1 + i].cpus = r ? 0 : rt_nr_buffers(w->bs);
	}
	/* To a relayd, every channel's streams are added (one relayd session,
	 * one STREAMS_SENT) before the first packet is copied. */
	if (net && (r = output_relayd_connect(lo, res->msg, sizeof res->msg)) != 0) {
		res->error = r;
		finish_run(s, run);
		return 0;
	}
	for (uint32_t c = 0; c < run->nr; c++)
		run->total += run->ch[c].cpus;
	if (!run->total) {
		finish_run(s, run);
		return 0;
	}
	run->left = run->total;
	pthread_mutex_lock(&s->lock);
	s->run = run;
	pthread_mutex_unlock(&s->lock);
	return (int)(run->total < INT32_MAX ? run->total : INT32_MAX);
}

/* On any drain thread, several at once: takes the run's next buffer and
 * writes it (ctf_channel_snapshot_cpu: copied, checked, I8) and closes its
 * file, until none is left to take; the buffers are only read. 1 if it
 * wrote the last one (the snapshot is over, its result published). */
static int snap_share(struct output *o)
{
	struct output_snapshot *s = snap(o);
	for (;;) {
		/* Once every buffer is taken the run may end (and be freed) at
		 * any time: it is looked at again under the lock. */
		pthread_mutex_lock(&s->lock);
		struct snap_run *run = s->run;
		if (!run || run->next == run->total) {
			pthread_mutex_unlock(&s->lock);
			return 0;
		}
		uint32_t i = run->next++, c = 0;
		pthread_mutex_unlock(&s->lock);
		while (i >= run->ch[c].cpus)
			i -= run->ch[c++].cpus;
		struct output *lo = run->ch[c].out;
		struct ctf_snapshot_stats st = { 0 };
		int r = lo->ops->snapshot_cpu(lo, i, run->budget, &st);
		lo->ops->close_cpu(lo, i);
		pthread_mutex_lock(&s->lock);
		set_error(&run->res, r, lo->dir, NULL);
		snapshot_stats_add(&run->res.st, &st);
		int last = --run->left == 0;
		pthread_mutex_unlock(&s->lock);
		if (last) {
			finish_run(s, run);
			return 1;
		}
	}
}

static const struct output_ops snap_ops = {
	.add_event = snap_add_event,
	.drain_cpu = snap_drain_cpu,
	.skip_late_cpu = snap_skip_late_cpu,
	.cpu_stats = snap_cpu_stats,
	.cpu_losses = snap_cpu_losses,
	.close_cpu = snap_close_cpu,
	.close = snap_close,
	.snapshot_begin = snap_begin,
	.snapshot_share = snap_share,
};

int output_snapshot_open(const struct output_config *cfg, struct rt_bufset *bs,
			 struct output **out, char *err, size_t errlen)
{
	*out = NULL;
	struct output_snapshot *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->o.ops = &snap_ops;
	s->bs = bs;
	s->cfg = *cfg;
	snprintf(s->session_output, sizeof s->session_output, "%s", cfg->session_output);
	snprintf(s->session_name, sizeof s->session_name, "%s",
		 cfg->session_name ? cfg->session_name : "");
	snprintf(s->procname, sizeof s->procname, "%s", cfg->procname ? cfg->procname : "");
	memcpy(s->uuid, cfg->uuid, sizeof s->uuid);
	s->cfg.session_output = s->session_output;
	s->cfg.session_name = s->session_name;
	s->cfg.procname = cfg->procname ? s->procname : NULL;
	s->cfg.uuid = s->uuid;
	s->cfg.share = NULL; /* a sibling's is a snapshot output: snap_record shares */
	pthread_mutex_init(&s->lock, NULL);
	snprintf(s->o.dir, sizeof s->o.dir, "%s", cfg->session_output);
	*out = &s->o;
	return 0;
}

int output_snapshot_arm(struct output *o, const char *dir, uint64_t cpu_budget,
			struct output **with, uint32_t nr_with)
{
	struct output_snapshot *s = snap(o);
	struct output **copy = NULL;
	if (nr_with && !(copy = malloc(nr_with * sizeof *copy)))
		return -ENOMEM;
	for (uint32_t i = 0; i < nr_with; i++)
		copy[i] = with[i];
	pthread_mutex_lock(&s->lock);
	snprintf(s->dir, sizeof s->dir, "%s", dir);
	s->net = 0;
	s->budget = cpu_budget;
	free(s->with);
	s->with = copy;
	s->nr_with = nr_with;
	memset(&s->res, 0, sizeof s->res);
	s->res.error = -EINPROGRESS;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int output_snapshot_arm_net(struct output *o, const struct relayd_link_config *lc,
			    uint64_t cpu_budget, struct output **with, uint32_t nr_with)
{
	struct output_snapshot *s = snap(o);
	if (output_snapshot_arm(o, "", cpu_budget, with, nr_with) != 0)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	s->net = 1;
	s->lc = *lc;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

void output_snapshot_result(struct output *o, struct snapshot_result *r)
{
	struct output_snapshot *s = snap(o);
	pthread_mutex_lock(&s->lock);
	*r = s->res;
	pthread_mutex_unlock(&s->lock);
}
