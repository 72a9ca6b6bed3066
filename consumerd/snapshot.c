/* SPDX-License-Identifier: MIT */
/*
 * The flight recorder's commands (lttng snapshot): the session's snapshot
 * output, and `snapshot record`, which arms every trace's snapshot output
 * (output_snapshot.c) with a new directory NAME-YYYYMMDD-HHMMSS-N below
 * the output, as lttng names them (the first channel's trace of each trace
 * directory armed with the other channels'), posts DR_SNAPSHOT to the drain threads
 * and answers once they are done (op_snapshot_session), or at a deadline:
 * the control thread never touches the disk, and the applications are
 * never paused. Each record is a complete trace: metadata, and the newest
 * intact packets of every buffer (ringbuf/layout.h, I8).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/url.h"

#include "consumerd/daemon.h"
#include "consumerd/drain.h"
#include "consumerd/log.h"
#include "consumerd/output.h"
#include "consumerd/session.h"
#include "consumerd/trace.h"
#include "consumerd/transport.h"

static void snapshot_output_set(struct session *s, const char *name, const char *path,
				uint64_t max_size)
{
	s->snap_out.id = s->snap_next_id++;
	if (name && *name)
		snprintf(s->snap_out.name, sizeof s->snap_out.name, "%s", name);
	else
		snprintf(s->snap_out.name, sizeof s->snap_out.name, "snapshot-%u", s->snap_out.id);
	snprintf(s->snap_out.path, sizeof s->snap_out.path, "%s", path);
	s->snap_out.max_size = max_size;
}

/* lttng create --snapshot: the session's output is its default snapshot
 * output, snapshot-1 (none with --no-output: no output). */
void snapshot_session_init(struct session *s)
{
	s->snapshot = 1;
	s->snap_next_id = 1;
	if (s->output[0])
		snapshot_output_set(s, NULL, s->output, 0);
}

/* indent: lttng's, 4 in list-output, 2 in add-output. */
static void describe_output(struct text *t, const struct snapshot_output *o, int indent)
{
	text_add(t, "%*s[%u] %s: %s", indent, "", o->id, o->name, o->path);
	if (o->max_size)
		text_add(t, " (max size: %llu bytes)", (unsigned long long)o->max_size);
	text_add(t, "\n");
}

static int list_output(struct conn *c, uint64_t seq, struct session *s)
{
	struct text t = { 0 };
	text_add(&t, "Snapshot output list for session %s\n", s->name);
	if (s->snap_out.id)
		describe_output(&t, &s->snap_out, 4);
	else
		text_add(&t, "    None\n"); /* lttng's */
	int r = send_reply(c, seq, 0, t.oom ? "out of memory" : t.s);
	text_free(&t);
	return r;
}

static int is_net(const char *path)
{
	return strncmp(path, "net://", 6) == 0 || strncmp(path, "net6://", 7) == 0;
}

/* A relayd output (the CLI sent a numeric host: the daemon never resolves
 * names), or a local directory we may write. */
static int output_check(struct daemon *d, const char *path, char *why, size_t n)
{
	char host[256];
	uint16_t ctrl, data;
	if (!is_net(path))
		return output_path_check(d, path, why, n);
	if (rt_parse_relayd_url(path, host, sizeof host, &ctrl, &data) != 0) {
		snprintf(why, n, "bad relayd URL %s", path);
		return -EINVAL;
	}
	return 0;
}

/* What a snapshot to a relayd needs: lttng files it under
 * HOSTNAME/SESSION-DATE/NAME-DATE-N/ on the relayd. */
static void relayd_config(const struct session *s, const char *url, const char *subdir,
			  struct relayd_link_config *lc)
{
	memset(lc, 0, sizeof *lc);
	rt_parse_relayd_url(url, lc->host, sizeof lc->host, &lc->ctrl_port, &lc->data_port);
	if (s->relayd) /* create -U: its --hostname */
		snprintf(lc->hostname, sizeof lc->hostname, "%s", relayd_link_hostname(s->relayd));
	else if (gethostname(lc->hostname, sizeof lc->hostname - 1) != 0 ||
		 !rt_session_name_ok(lc->hostname))
		snprintf(lc->hostname, sizeof lc->hostname, "localhost");
	snprintf(lc->session_name, sizeof lc->session_name, "%s", s->name);
	snprintf(lc->created_at, sizeof lc->created_at, "%s", s->created_at);
	snprintf(lc->subdir, sizeof lc->subdir, "%s", subdir);
}

static int add_output(struct daemon *d, struct conn *c, uint64_t seq, struct session *s,
		      const struct rt_msg_snapshot *m)
{
	char why[RT_PATH_MAX + 128];
	if (s->snap_out.id)
		return send_replyf(c, seq, -EEXIST, "Snapshot output already exists (one per session: "
				   "rseqtrace snapshot del-output %u first)", s->snap_out.id);
	if (!m->output[0])
		return send_replyf(c, seq, -EINVAL, "add-output needs a directory");
	int r = output_check(d, m->output, why, sizeof why);
	if (r)
		return send_replyf(c, seq, r, "%s", why);
	snapshot_output_set(s, m->name, m->output, m->max_size);
	struct text t = { 0 };
	text_add(&t, "Snapshot output successfully added for session %s\n", s->name);
	describe_output(&t, &s->snap_out, 2);
	r = send_reply(c, seq, 0, t.oom ? "added" : t.s);
	text_free(&t);
	return r;
}

static int del_output(struct conn *c, uint64_t seq, struct session *s, uint32_t id)
{
	if (!s->snap_out.id || s->snap_out.id != id)
		return send_replyf(c, seq, -ENOENT, "session %s has no snapshot output %u "
				   "(see: rseqtrace snapshot list-output)", s->name, id);
	memset(&s->snap_out, 0, sizeof s->snap_out);
	return send_replyf(c, seq, 0, "Snapshot output id %u successfully deleted for session %s",
			   id, s->name);
}

static int record(struct daemon *d, struct conn *c, uint64_t seq, struct session *s,
		  const struct rt_msg_snapshot *m)
{
	char why[RT_PATH_MAX + 128];
	/* As lttng (LTTNG_ERR_START_SESSION_ONCE); no record number is used. */
	if (!s->started_once)
		return send_replyf(c, seq, -EINVAL, "Session needs to be started once: rseqtrace "
				   "start %s", s->name);
	const char *path = m->output[0] ? m->output : s->snap_out.path;
	if (!m->output[0] && !s->snap_out.id)
		return send_replyf(c, seq, -ENOENT, "session %s has no snapshot output: give a "
				   "directory, or rseqtrace snapshot add-output DIR", s->name);
	const char *name = m->name[0] ? m->name : m->output[0] ? "snapshot" : s->snap_out.name;
	uint64_t max_size = m->max_size ? m->max_size : m->output[0] ? 0 : s->snap_out.max_size;
	int r = m->output[0] || is_net(path) ? output_check(d, path, why, sizeof why) : 0;
	if (r)
		return send_replyf(c, seq, r, "%s", why);
	uint32_t streams = 0;
	for (struct trace *t = s->traces; t; t = t->next) {
		if (!t->mapped)
			continue;
		if (!trace_idle(d, t))
			return send_replyf(c, seq, -EBUSY, "the previous snapshot of session %s is "
					   "still being written; try again", s->name);
		streams += t->nr_cpus;
	}
	/* lttng's rule: the size is shared by the streams, and each must
	 * hold a packet at least. */
	uint64_t budget = max_size && streams ? max_size / streams : 0;
	if (max_size && streams && budget < s->subbuf_size)
		return send_replyf(c, seq, -EINVAL, "Invalid snapshot size. Cannot fit at least one "
				   "packet per stream: max size %llu bytes is less than a sub-buffer "
				   "(%u bytes) for each of the %u buffers", (unsigned long long)max_size,
				   s->subbuf_size, streams);
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
	char subdir[256];
	int w = snprintf(subdir, sizeof subdir, "%s-%s-%llu", name, stamp,
			 (unsigned long long)s->snapshots);
	struct relayd_link_config lc;
	if (is_net(path)) {
		relayd_config(s, path, subdir, &lc);
		if (w >= 0 && (size_t)w < sizeof subdir)
			w = snprintf(s->snap_dir, sizeof s->snap_dir, "%s/%s/%s-%s/%s", path,
				     lc.hostname, lc.session_name, lc.created_at, subdir);
	} else if (w >= 0 && (size_t)w < sizeof subdir) {
		w = snprintf(s->snap_dir, sizeof s->snap_dir, "%s/%s", path, subdir);
	}
	if (w < 0 || (size_t)w >= sizeof s->snap_dir - 256)
		return send_replyf(c, seq, -ENAMETOOLONG, "snapshot path too long");
	s->snapshots++;
	logm(LOG_INFO, "session %s: snapshot %s", s->name, s->snap_dir);
	/* One trace directory per owner: its first channel's trace writes
	 * every channel's (trace_group). */
	for (struct trace *t = s->traces; t; t = t->next) {
		struct trace *with[TRACE_GROUP_MAX];
		struct output *outs[TRACE_GROUP_MAX];
		int n = t->mapped ? trace_group(s, t, with, TRACE_GROUP_MAX) : -1;
		if (n < 0)
			continue;
		for (int i = 0; i < n; i++)
			outs[i] = with[i]->out;
		r = is_net(path) ? output_snapshot_arm_net(t->out, &lc, budget, outs, (uint32_t)n)
				 : output_snapshot_arm(t->out, s->snap_dir, budget, outs, (uint32_t)n);
		if (r != 0 ||
		    drainers_post_with(d, t, DR_SNAPSHOT, with, (uint32_t)n) != 0)
			trace_set_error(t, "out of memory for a snapshot: this trace is left out");
	}
	return op_snapshot_session(d, c, seq, s);
}

int snapshot_report(struct daemon *d, struct session *s, int late, struct text *reply)
{
	(void)d;
	struct ctf_snapshot_stats sum = { 0 };
	int status = 0, traces = 0;
	text_add(reply, "Snapshot recorded %sfor session %s in %s\n",
		 late ? "(not complete yet) " : "successfully ", s->name, s->snap_dir);
	for (struct trace *t = s->traces; t; t = t->next) {
		struct trace *with[TRACE_GROUP_MAX];
		if (!t->mapped || trace_group(s, t, with, TRACE_GROUP_MAX) < 0)
			continue; /* its directory's first channel reports it */
		struct snapshot_result r;
		output_snapshot_result(t->out, &r);
		if (r.error == -EINPROGRESS) {
			status = -EIO;
			text_add(reply, "  %s: still being written (a slow disk?)\n", t->dir);
			continue;
		}
		if (r.error) {
			status = -EIO;
			text_add(reply, "  error: %s\n", r.msg[0] ? r.msg : strerror(-r.error));
		}
		traces++;
		snapshot_stats_add(&sum, &r.st);
	}
	if (!traces) {
		text_add(reply, "  no buffers yet (no application registered): nothing recorded\n");
		return status;
	}
	text_add(reply, "  %d trace(s): %llu events in %llu packets (%llu bytes); "
		 "discarded events: %llu\n", traces, (unsigned long long)sum.events,
		 (unsigned long long)sum.packets, (unsigned long long)sum.bytes,
		 (unsigned long long)sum.discarded);
	text_add(reply, "  overwritten packets (the oldest, lost): %llu; reused while copied: %llu; "
		 "left out for the max size: %llu\n", (unsigned long long)sum.overwritten,
		 (unsigned long long)sum.changed, (unsigned long long)sum.trimmed);
	return status;
}

int cmd_snapshot(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	const struct rt_msg_snapshot *x = m->body;
	uint64_t seq = m->hdr.seq;
	struct session *s = command_session(d, c, seq, x->session);
	if (!s)
		return 0;
	if (!s->snapshot)
		return send_replyf(c, seq, -EINVAL, "Snapshot command can't be applied to a "
				   "non-snapshot session: session %s is not in snapshot mode (create "
				   "it with: rseqtrace create NAME --snapshot)", s->name);
	switch (x->action) {
	case RT_SNAP_RECORD: return record(d, c, seq, s, x);
	case RT_SNAP_ADD_OUTPUT: return add_output(d, c, seq, s, x);
	case RT_SNAP_DEL_OUTPUT: return del_output(c, seq, s, x->id);
	case RT_SNAP_LIST_OUTPUT: return list_output(c, seq, s);
	}
	return -1;
}
