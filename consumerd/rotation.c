/* SPDX-License-Identifier: MIT */
/*
 * Session rotation (lttng rotate, enable-rotation, disable-rotation): the
 * trace so far becomes a self-contained archive, <output>/archives/
 * <begin>-<end>-<id>, as lttng names it, and tracing goes on into a new
 * chunk, <output>/<begin>-<id+1>, with nothing lost or written twice: for
 * each trace directory, the drain thread of its first channel's trace takes
 * every CPU of every channel, flushes what is committed into the old chunk,
 * and moves the directory (metadata copied, packet numbers and loss counts
 * going on) and each channel's files to the new one (DR_ROTATE); then one drain thread
 * moves the old chunk's ust/ into the archive (DR_ARCHIVE). The control
 * thread only posts and waits (OP_ROTATE), bounded; the applications are
 * not involved. Chunk 0 is the output itself, as in lttng.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/time.h"
#include "common/trust.h"
#include "consumerd/daemon.h"
#include "consumerd/drain.h"
#include "consumerd/log.h"
#include "consumerd/output.h"
#include "consumerd/session.h"
#include "consumerd/trace.h"
#include "consumerd/transport.h"

/* lttng's chunk time: YYYYmmddTHHMMSS+HHMM, local time. */
static void chunk_stamp(char *out, size_t n)
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(out, n, "%Y%m%dT%H%M%S%z", &tm);
}

void rotation_session_init(struct session *s)
{
	snprintf(s->chunk_dir, sizeof s->chunk_dir, "%s", s->output);
	chunk_stamp(s->chunk_begin, sizeof s->chunk_begin);
	s->chunk_begin_ms = rt_now_ms();
}

static uint64_t session_bytes(struct session *s)
{
	uint64_t n = 0;
	for (struct trace *t = s->traces; t; t = t->next) {
		trace_refresh_stats(t);
		n += t->total.bytes;
	}
	return n;
}

int chunk_archive(const char *from, const char *base, const char *name, const char *chunk,
		  char *msg, size_t n)
{
	char why[RT_PATH_MAX + 256], below[160], to[RT_PATH_MAX + 200];
	snprintf(below, sizeof below, "archives/%.140s", name);
	int fd = rt_dir_open_below(base, below, geteuid(), 1, NULL, why, sizeof why);
	if (fd < 0) {
		snprintf(msg, n, "cannot create the archive: %.400s", why);
		return fd;
	}
	close(fd);
	snprintf(to, sizeof to, "%s/%s/ust", base, below);
	int r = 0;
	if (rename(from, to) != 0) {
		r = -errno;
		if (r == -ENOENT) {
			/* Nothing was written in this chunk (no application yet):
			 * no archive, rather than one no reader can open. */
			snprintf(to, sizeof to, "%s/%s", base, below);
			rmdir(to);
			snprintf(msg, n, "no trace data in this chunk: nothing archived");
		} else {
			snprintf(msg, n, "cannot move %.200s to %.200s: %s", from, to, strerror(-r));
			return r;
		}
	}
	if (chunk)
		rmdir(chunk); /* <output>/<begin>-<id>, empty now */
	return r;
}

static void set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src ? strdup(src) : NULL;
}

/* Phase 1: every trace to the new chunk, flushed into the old one first.
 * The operation answers c once the archive is complete, or, with no_wait
 * (rotate --no-wait), at once: it goes on as a scheduled one does, and
 * `list` shows it ongoing meanwhile. */
static int rotate_begin(struct daemon *d, struct conn *c, uint64_t seq, struct session *s,
			int no_wait)
{
	char end[32], next[RT_PATH_MAX];
	chunk_stamp(end, sizeof end);
	uint64_t id = s->chunk_id;
	int w = snprintf(next, sizeof next, "%s/%s-%llu", s->output, end,
			 (unsigned long long)(id + 1));
	if (w < 0 || (size_t)w >= sizeof next - 256)
		return c ? send_replyf(c, seq, -ENAMETOOLONG, "output path too long") : 0;
	snprintf(s->rot_name, sizeof s->rot_name, "%s-%s-%llu", s->chunk_begin, end,
		 (unsigned long long)id);
	snprintf(s->rot_from, sizeof s->rot_from, "%s", s->chunk_dir);
	for (struct trace *t = s->traces; t; t = t->next) {
		if (!t->mapped)
			continue;
		if (!t->rot && !(t->rot = calloc(1, sizeof *t->rot))) {
			trace_set_error(t, "out of memory for a rotation: it stays in the old chunk");
			continue;
		}
		set_str(&t->rot->dir, next);
		t->rot->flush = s->state == S_ACTIVE && !t->final;
	}
	/* A trace directory moves once, with every channel's files: its first
	 * channel's trace rotates them all (trace_group, drain.c). */
	for (struct trace *t = s->traces; t; t = t->next) {
		struct trace *with[TRACE_GROUP_MAX];
		int n = t->mapped && t->rot ? trace_group(s, t, with, TRACE_GROUP_MAX) : -1;
		if (n >= 0 && drainers_post_with(d, t, DR_ROTATE, with, (uint32_t)n) != 0)
			trace_set_error(t, "out of memory for a rotation: it stays in the old chunk");
	}
	/* Traces made from now on (a new per-PID app) start in the new chunk. */
	snprintf(s->chunk_dir, sizeof s->chunk_dir, "%s", next);
	snprintf(s->chunk_begin, sizeof s->chunk_begin, "%s", end);
	s->chunk_begin_ms = rt_now_ms();
	s->chunk_id = id + 1;
	s->chunk_bytes = session_bytes(s);
	s->rot_stopped = s->state != S_ACTIVE;
	s->rot_phase = 1;
	logm(LOG_INFO, "session %s: rotation %llu (archives/%s)", s->name, (unsigned long long)id,
	     s->rot_name);
	if (!no_wait)
		return op_wait_session(d, c, seq, s, OP_ROTATE);
	op_wait_session(d, NULL, 0, s, OP_ROTATE);
	return send_replyf(c, seq, 0, "Rotation ongoing for session %s", s->name);
}

/* Phase 2: the old chunk's ust/ into the archive, on a drain thread if
 * the session has a trace with buffers (else here: nothing is being
 * written there, and the rename is the one disk operation left). */
static void archive_begin(struct daemon *d, struct session *s)
{
	char from[RT_PATH_MAX + 8];
	snprintf(from, sizeof from, "%s/ust", s->rot_from);
	const char *chunk = strcmp(s->rot_from, s->output) ? s->rot_from : NULL;
	s->rot_phase = 2;
	s->rot_empty = 0;
	for (struct trace *t = s->traces; t; t = t->next) {
		if (!t->mapped || !t->rot)
			continue;
		set_str(&t->rot->arch_from, from);
		set_str(&t->rot->arch_base, s->output);
		set_str(&t->rot->arch_name, s->rot_name);
		set_str(&t->rot->arch_chunk, chunk);
		drainers_post(d, t, DR_ARCHIVE);
		return;
	}
	char msg[512];
	int r = chunk_archive(from, s->output, s->rot_name, chunk, msg, sizeof msg);
	s->rot_empty = r == -ENOENT;
	if (r && r != -ENOENT)
		session_warn(s, "rotation: %s", msg);
}

int rotation_waiting(struct daemon *d, struct session *s)
{
	for (struct trace *t = s->traces; t; t = t->next)
		if (t->mapped && !trace_idle(d, t))
			return 1;
	if (s->rot_phase == 1) {
		archive_begin(d, s);
		for (struct trace *t = s->traces; t; t = t->next)
			if (t->mapped && !trace_idle(d, t))
				return 1;
	}
	return 0;
}

/* Every phase done: the traces go on where they moved; errors in reply,
 * or, with nobody to tell (a rotation that outlived its operation), as
 * the session's warnings. */
static int rotation_end(struct daemon *d, struct session *s, struct text *reply)
{
	int status = 0;
	int empty = s->rot_empty;
	for (struct trace *t = s->traces; t; t = t->next) {
		if (!t->mapped || !t->rot || !trace_idle(d, t))
			continue;
		if (t->rot->error == -ENOENT) {
			empty = 1;
		} else if (t->rot->error) {
			status = -EIO;
			if (reply)
				text_add(reply, "error: %s\n", t->rot->msg);
			else
				session_warn(s, "rotation: %s", t->rot->msg);
		}
		char *dir = strdup(t->out->dir); /* where it goes on */
		if (dir) {
			free(t->dir);
			t->dir = dir;
		}
	}
	if (!reply)
		logm(LOG_INFO, "session %s: rotation to archives/%s complete", s->name, s->rot_name);
	else if (empty)
		text_add(reply, "Session %s rotated: its chunk had no trace data, nothing was "
				"archived\n", s->name);
	else
		text_add(reply, "Trace chunk archive for session %s is now readable at "
				"%s/archives/%s\n", s->name, s->output, s->rot_name);
	s->rot_phase = 0;
	return status;
}

/* Late (the disk did not take it within the operation's wait): the
 * operation answers, the rotation goes on (rot_phase stays; `list` shows
 * it), and rotation_check ends it once the drain threads are done. */
int rotation_report(struct daemon *d, struct session *s, int late, struct text *reply)
{
	if (!late)
		return rotation_end(d, s, reply);
	text_add(reply, "warning: the rotation is not complete yet (a slow disk?): the "
			"archive is %s/archives/%s once it is\n", s->output, s->rot_name);
	return -EIO;
}

void rotation_check(struct daemon *d)
{
	for (struct session *s = d->sessions; s; s = s->next)
		if (s->rot_phase && !s->busy && !rotation_waiting(d, s))
			rotation_end(d, s, NULL);
}

/* lttng's lines, one per schedule changed. */
static int schedule_reply(struct conn *c, uint64_t seq, struct session *s, int enabled,
			  uint64_t timer_us, uint64_t size)
{
	struct text t = { 0 };
	if (timer_us && enabled)
		text_add(&t, "Enabled periodic rotations every %llu us on session %s\n",
			 (unsigned long long)timer_us, s->name);
	if (size && enabled)
		text_add(&t, "Enabled size-based rotations every %llu bytes written on session %s\n",
			 (unsigned long long)size, s->name);
	if (timer_us && !enabled)
		text_add(&t, "Disabled periodic rotation on session %s\n", s->name);
	if (size && !enabled)
		text_add(&t, "Disabled size-based rotation on session %s\n", s->name);
	int r = send_reply(c, seq, 0, t.oom ? "done" : t.s);
	text_free(&t);
	return r;
}

int cmd_rotate(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	const struct rt_msg_rotate *x = m->body;
	uint64_t seq = m->hdr.seq;
	struct session *s = command_session(d, c, seq, x->session);
	if (!s)
		return 0;
	if (s->snapshot)
		return send_replyf(c, seq, -EINVAL, "session %s is in snapshot mode: it has no "
				   "trace chunks to rotate (rseqtrace snapshot record)", s->name);
	/* The relayd keeps a streamed session's trace; its chunks would move
	 * there (lttng's relayd rotation commands), which rseqtrace does not
	 * send: refused rather than archiving nothing here. */
	if (s->relayd && x->action != RT_ROT_DISABLE)
		return send_replyf(c, seq, -ENOTSUP, "session %s streams to a relayd (%s): rotating "
				   "a streamed session is not supported; rotate a session that "
				   "writes local files", s->name, s->output);
	switch (x->action) {
	case RT_ROT_ENABLE:
		/* As lttng: a schedule is set once (disable-rotation first). */
		if (x->timer_us && s->rot_timer_us)
			return send_replyf(c, seq, -EEXIST, "A periodic rotation schedule is "
					   "already set on session %s", s->name);
		if (x->size && s->rot_size)
			return send_replyf(c, seq, -EEXIST, "A size-based rotation schedule is "
					   "already set on session %s", s->name);
		if (x->timer_us)
			s->rot_timer_us = x->timer_us;
		if (x->size)
			s->rot_size = x->size;
		return schedule_reply(c, seq, s, 1, x->timer_us, x->size);
	case RT_ROT_DISABLE:
		if (x->timer_us && !s->rot_timer_us)
			return send_replyf(c, seq, -ENOENT, "No periodic rotation schedule active "
					   "on session %s", s->name);
		if (x->size && !s->rot_size)
			return send_replyf(c, seq, -ENOENT, "No size-based rotation schedule "
					   "active on session %s", s->name);
		if (x->timer_us)
			s->rot_timer_us = 0;
		if (x->size)
			s->rot_size = 0;
		return schedule_reply(c, seq, s, 0, x->timer_us, x->size);
	}
	if (!s->started_once)
		return send_replyf(c, seq, -EINVAL, "session %s was never started: nothing to "
				   "rotate", s->name);
	if (s->rot_phase)
		return send_replyf(c, seq, -EBUSY, "session '%s' is busy: a rotation is ongoing "
				   "(archives/%s); try again", s->name, s->rot_name);
	if (s->state != S_ACTIVE && s->rot_stopped)
		return send_replyf(c, seq, -EINVAL, "Session was already rotated once since it "
				   "became inactive (%s: nothing new to archive)", s->name);
	return rotate_begin(d, c, seq, s, x->flags & RT_ROTATE_NO_WAIT);
}

void rotation_tick(struct daemon *d)
{
	uint64_t now = rt_now_ms();
	for (struct session *s = d->sessions; s; s = s->next) {
		if (s->state != S_ACTIVE || s->busy || s->rot_phase || s->snapshot ||
		    (!s->rot_timer_us && !s->rot_size))
			continue;
		int due = s->rot_timer_us && now - s->chunk_begin_ms >= s->rot_timer_us / 1000;
		if (!due && s->rot_size)
			due = session_bytes(s) - s->chunk_bytes >= s->rot_size;
		if (due)
			rotate_begin(d, NULL, 0, s, 0);
	}
}
