/* SPDX-License-Identifier: MIT */
/*
 * Local-file output (output.h): the session's directory, in lttng's layout
 * (ust/uid/UID/64-bit/ or ust/pid/NAME-PID-STAMP/), a metadata file and one
 * stream file per CPU, written by the CTF writer (ctf/ctf.h), which checks
 * every packet on a private copy, writes whole packets only (a full disk
 * truncates back to the last one) and accounts losses.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "consumerd/output.h"

/* A trace directory, shared by the outputs of its channels; closed by the
 * last (outputs are closed by the drain threads, in any order). */
struct local_trace {
	struct ctf_trace *ct;
	atomic_int refs;
};

struct output_local {
	struct output o;
	struct local_trace *lt;
	struct ctf_channel *ch;
	uint32_t stream_id;
};

static struct output_local *local(const struct output *o)
{
	return (struct output_local *)o;
}

static int local_add_event(struct output *o, uint32_t id, const struct rt_desc *d)
{
	return ctf_trace_add_event(local(o)->lt->ct, local(o)->stream_id, id, d);
}

static int local_drain_cpu(struct output *o, uint32_t cpu, int partial)
{
	return ctf_channel_drain_cpu(local(o)->ch, cpu, partial);
}

static uint64_t local_skip_late_cpu(struct output *o, uint32_t cpu)
{
	return ctf_channel_skip_late_cpu(local(o)->ch, cpu);
}

static void local_cpu_stats(const struct output *o, uint32_t cpu, struct ctf_channel_stats *st)
{
	ctf_channel_cpu_stats(local(o)->ch, cpu, st);
}

static void local_cpu_losses(const struct output *o, uint32_t cpu, struct ctf_losses *out)
{
	ctf_channel_cpu_losses(local(o)->ch, cpu, out);
}

static void local_close_cpu(struct output *o, uint32_t cpu)
{
	ctf_channel_close_cpu(local(o)->ch, cpu);
}

static int trace_unref(struct local_trace *lt)
{
	if (atomic_fetch_sub(&lt->refs, 1) != 1)
		return 0;
	int r = ctf_trace_close(lt->ct);
	free(lt);
	return r;
}

static int local_snapshot_cpu(struct output *o, uint32_t cpu, uint64_t budget,
			      struct ctf_snapshot_stats *st)
{
	return ctf_channel_snapshot_cpu(local(o)->ch, cpu, budget, st);
}

/* 1 if the trace directory is below session_output already. */
static int trace_below(const struct ctf_trace *ct, const char *session_output)
{
	const char *dir = ctf_trace_dir(ct);
	size_t n = strlen(session_output);
	return strncmp(dir, session_output, n) == 0 && dir[n] == '/';
}

/* Rotation: the channels of a directory are moved one after the other by
 * one thread, every CPU of theirs taken and flushed (drain.c,
 * rotate_group): the first moves the shared directory and its metadata,
 * the next find it moved and only start new stream files there. */
static int local_move(struct output *o, const char *session_output, char *err, size_t errlen)
{
	struct output_local *l = local(o);
	ctf_channel_move(l->ch);
	int r = trace_below(l->lt->ct, session_output) ? 0 :
		ctf_trace_move(l->lt->ct, session_output, err, errlen);
	if (!r)
		snprintf(o->dir, sizeof o->dir, "%s", ctf_trace_dir(l->lt->ct));
	return r;
}

static int local_close(struct output *o)
{
	struct output_local *l = local(o);
	ctf_channel_close(l->ch);
	int r = trace_unref(l->lt);
	free(l);
	return r;
}

static const struct output_ops local_ops = {
	.add_event = local_add_event,
	.drain_cpu = local_drain_cpu,
	.skip_late_cpu = local_skip_late_cpu,
	.cpu_stats = local_cpu_stats,
	.cpu_losses = local_cpu_losses,
	.close_cpu = local_close_cpu,
	.snapshot_cpu = local_snapshot_cpu,
	.move = local_move,
	.close = local_close,
};

/* The first directory of path that does not exist yet ("" if all do): what
 * to remove if creating the trace fails. */
static void first_missing(const char *path, char *out, size_t n)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "%s", path);
	out[0] = '\0';
	for (;;) {
		struct stat st;
		if (stat(p, &st) == 0)
			return;
		snprintf(out, n, "%s", p);
		char *slash = strrchr(p, '/');
		if (!slash || slash == p)
			return;
		*slash = '\0';
	}
}

/* Removes dir's metadata, its empty index/ and the directories from dir up to top, if empty. */
static void remove_created(const char *dir, const char *top)
{
	if (!top[0] || !dir[0])
		return;
	char p[PATH_MAX + 16];
	snprintf(p, sizeof p, "%s/metadata", dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/index", dir);
	rmdir(p);
	snprintf(p, sizeof p, "%s", dir);
	size_t tl = strlen(top);
	while (strlen(p) >= tl && strncmp(p, top, tl) == 0) {
		if (rmdir(p) != 0)
			return;
		char *slash = strrchr(p, '/');
		if (!slash)
			return;
		*slash = '\0';
	}
}

/* The part of the layout that exists before the trace is created. */
static void layout_parent(const struct output_config *cfg, char *out, size_t n)
{
	int w = cfg->per_pid ? snprintf(out, n, "%s/ust/pid", cfg->session_output)
			     : snprintf(out, n, "%s/ust/uid/%u/64-bit", cfg->session_output,
					(unsigned)cfg->uid);
	if (w < 0 || (size_t)w >= n)
		out[0] = '\0';
}

/* A new trace directory and its metadata, in lttng's layout. */
static int trace_open(const struct output_config *cfg, struct local_trace **out,
		      char *err, size_t errlen)
{
	struct local_trace *lt = calloc(1, sizeof *lt);
	if (!lt) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	struct ctf_trace_config tc = {
		.output = cfg->session_output,
		.buffering = cfg->per_pid ? CTF_PER_PID : CTF_PER_UID,
		.uid = cfg->uid,
		.pid = cfg->per_pid ? cfg->pid : 0,
		.vpid = cfg->per_pid ? cfg->vpid : 0,
		.procname = cfg->per_pid ? cfg->procname : NULL,
		.trace_name = cfg->session_name,
		.clock = cfg->clock,
		.uuid = cfg->uuid,
		.max_metadata = cfg->max_metadata,
		.direct_io = cfg->direct_io,
		.index_cid = cfg->index_cid,
		.snapshot = cfg->snapshot,
	};
	int r = ctf_trace_create(&tc, &lt->ct, err, errlen);
	if (r != 0) {
		free(lt);
		return r;
	}
	atomic_init(&lt->refs, 1);
	*out = lt;
	return 0;
}

int output_local_open(const struct output_config *cfg, struct rt_bufset *bs,
		      struct output **out, char *err, size_t errlen)
{
	*out = NULL;
	struct output_local *l = calloc(1, sizeof *l);
	if (!l) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	l->o.ops = &local_ops;
	l->stream_id = cfg->stream_id;
	char created[PATH_MAX] = "", where[PATH_MAX];
	int r;
	if (cfg->share) {
		l->lt = local(cfg->share)->lt;
		atomic_fetch_add(&l->lt->refs, 1);
	} else {
		layout_parent(cfg, where, sizeof where);
		first_missing(where, created, sizeof created);
		r = trace_open(cfg, &l->lt, err, errlen);
		if (r != 0) {
			free(l);
			return r;
		}
	}
	snprintf(l->o.dir, sizeof l->o.dir, "%s", ctf_trace_dir(l->lt->ct));
	r = ctf_trace_add_stream_class(l->lt->ct, cfg->stream_id, cfg->contexts);
	if (r != 0)
		snprintf(err, errlen, "cannot write %s/metadata: %s", l->o.dir, strerror(-r));
	else
		r = ctf_channel_open(l->lt->ct, cfg->channel, cfg->stream_id, bs, &l->ch, err, errlen);
	if (r == 0)
		ctf_channel_set_tracefiles(l->ch, cfg->tracefile_size, cfg->tracefile_count);
	if (r != 0) {
		trace_unref(l->lt);
		/* A directory of ours alone; one shared keeps its metadata. */
		remove_created(l->o.dir, created);
		free(l);
		return r;
	}
	*out = &l->o;
	return 0;
}
