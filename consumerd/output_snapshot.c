/* SPDX-License-Identifier: MIT */
/*
 * Snapshot-mode output (output.h): the flight recorder's trace. Its
 * buffers are in overwrite mode and nobody drains them; a snapshot, on a
 * drain thread, opens a local output (output_local.c) in the armed
 * directory, declares the events, writes what every CPU's buffer holds
 * (ctf_channel_snapshot_cpu, ringbuf/layout.h I8) and closes it: each
 * snapshot is a complete trace of its own; to an lttng-relayd (net://),
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

static int snap_close(struct output *o)
{
	struct output_snapshot *s = snap(o);
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

/* Channel w's buffers as a stream class of lo's trace (w may be lo's own). */
static void record_channel(struct output_snapshot *w, struct output *lo, uint64_t budget,
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
	for (uint32_t cpu = 0; cpu < rt_nr_buffers(w->bs); cpu++)
		set_error(res, lo->ops->snapshot_cpu(lo, cpu, budget, &res->st), lo->dir, NULL);
	for (uint32_t cpu = 0; cpu < rt_nr_buffers(w->bs); cpu++)
		lo->ops->close_cpu(lo, cpu);
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

/* On a drain thread: the whole trace, one channel and CPU after the other.
 * The other channels' outputs are held by the drain threads meanwhile
 * (drainers_post_with); their buffers are only read (I8). To a relayd,
 * every channel's streams are added (one relayd session, one STREAMS_SENT)
 * before the first packet is copied. */
static void snap_record(struct output *o)
{
	struct output_snapshot *s = snap(o);
	struct snapshot_result res = { 0 };
	struct output_config cfg = s->cfg;
	char dir[PATH_MAX];
	struct relayd_link_config lc;
	pthread_mutex_lock(&s->lock);
	snprintf(dir, sizeof dir, "%s", s->dir);
	uint64_t budget = s->budget;
	int net = s->net;
	lc = s->lc;
	struct output **with = s->with;
	uint32_t nr_with = s->nr_with;
	s->with = NULL;
	s->nr_with = 0;
	pthread_mutex_unlock(&s->lock);
	cfg.session_output = dir;
	struct output *lo = NULL, **wo = NULL;
	int r = nr_with && !(wo = calloc(nr_with, sizeof *wo)) ? -ENOMEM : 0;
	if (!r)
		r = open_output(&cfg, s->bs, net ? &lc : NULL, &lo, res.msg, sizeof res.msg);
	if (r) {
		res.error = r;
		if (!res.msg[0])
			snprintf(res.msg, sizeof res.msg, "%s", strerror(-r));
		goto out;
	}
	snprintf(res.dir, sizeof res.dir, "%s", lo->dir);
	for (uint32_t i = 0; i < nr_with; i++) {
		struct output_snapshot *w = snap(with[i]);
		struct output_config wcfg = w->cfg;
		char why[PATH_MAX + 128];
		wcfg.session_output = dir;
		wcfg.share = lo; /* its stream class in lo's directory and metadata */
		set_error(&res, open_output(&wcfg, w->bs, net ? &lc : NULL, &wo[i], why, sizeof why),
			  wcfg.channel, why);
	}
	if (net && (r = output_relayd_connect(lo, res.msg, sizeof res.msg)) != 0) {
		res.error = r;
		goto close;
	}
	record_channel(s, lo, budget, &res);
	for (uint32_t i = 0; i < nr_with; i++)
		if (wo[i])
			record_channel(snap(with[i]), wo[i], budget, &res);
close:
	for (uint32_t i = 0; i < nr_with; i++)
		if (wo[i])
			set_error(&res, wo[i]->ops->close(wo[i]), res.dir, NULL);
	/* The last reference: the metadata and the directory are closed. */
	set_error(&res, lo->ops->close(lo), res.dir, NULL);
out:
	free(wo);
	free(with);
	pthread_mutex_lock(&s->lock);
	s->res = res;
	pthread_mutex_unlock(&s->lock);
}

static const struct output_ops snap_ops = {
	.add_event = snap_add_event,
	.drain_cpu = snap_drain_cpu,
	.skip_late_cpu = snap_skip_late_cpu,
	.cpu_stats = snap_cpu_stats,
	.cpu_losses = snap_cpu_losses,
	.close_cpu = snap_close_cpu,
	.close = snap_close,
	.snapshot = snap_record,
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
