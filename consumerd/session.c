/* SPDX-License-Identifier: MIT */
/*
 * Sessions (session.h): the CLI commands, event rules, and the operations
 * that wait for applications to acknowledge a change before the CLI is
 * answered.
 *
 * A command that changes what applications do (enable, disable, start,
 * stop, destroy) sends its messages, then one APP_SYNC per application,
 * and becomes an op. The op completes when every application it waits
 * for answered APP_SYNC_ACK (so it applied everything before), went away,
 * or the deadline passed; only then does stop flush and drain, and only
 * then is the CLI answered. Nothing here blocks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "common/context.h"
#include "common/glob.h"
#include "common/loglevel.h"
#include "common/time.h"
#include "common/trust.h"
#include "consumerd/daemon.h"
#include "consumerd/drain.h"
#include "consumerd/log.h"
#include "consumerd/output.h"
#include "consumerd/registry.h"
#include "consumerd/session.h"
#include "consumerd/trace.h"
#include "consumerd/transport.h"
#include "filter/compile.h"
#include "filter/program.h"
#include "ringbuf/ringbuf.h"

#define MAX_SESSIONS 256
#define MAX_RULES 1024
#define MAX_WARNINGS_TEXT 16384
/* Default geometry (bench/consumer burst1, README): a per-UID set serves
 * every process of a user, and our writers fill it about three times as
 * fast as LTTng-UST's fill theirs (~1 GB/s for the bench's event), so it
 * holds as many milliseconds of a burst as LTTng's 4 x 512 KiB only at 8 MiB
 * per CPU: 8 x 1 MiB (4 x 256 KiB lost 19-38 % of a 2 M-event burst on a busy
 * 2-CPU machine; 8 x 1 MiB lost nothing in 4 runs of 5). Per-PID sets
 * multiply by processes: 4 x 256 KiB. */
#define DEFAULT_UID_SUBBUF (1024u * 1024)
#define DEFAULT_UID_NUM_SUBBUF 8u
#define DEFAULT_PID_SUBBUF (256u * 1024)
#define DEFAULT_PID_NUM_SUBBUF 4u

void channel_default_geometry(enum rt_buffers b, uint32_t *subbuf, uint32_t *num)
{
	*subbuf = b == RT_BUFFERS_PID ? DEFAULT_PID_SUBBUF : DEFAULT_UID_SUBBUF;
	*num = b == RT_BUFFERS_PID ? DEFAULT_PID_NUM_SUBBUF : DEFAULT_UID_NUM_SUBBUF;
}

/* ---- Rules ---------------------------------------------------------------- */

static int rule_matches(const struct rule *r, const struct event_desc *e)
{
	if (!rt_glob_match(r->pattern, e->name))
		return 0;
	for (uint32_t i = 0; i < r->nr_excl; i++)
		if (rt_glob_match(r->excl[i], e->name))
			return 0;
	switch (r->loglevel_type) {
	case RT_LOGLEVEL_RANGE: return e->loglevel <= r->loglevel;
	case RT_LOGLEVEL_SINGLE: return e->loglevel == r->loglevel;
	default: return 1;
	}
}

/* Appends one program to APP_FILTER's variable part. */
static int put_program(uint8_t **var, uint32_t *len, const uint8_t *p, size_t n)
{
	uint32_t add = (uint32_t)sizeof(struct rt_msg_desc_len) + rt_pad8((uint32_t)n);
	uint8_t *v = realloc(*var, *len + add);
	if (!v)
		return -1;
	struct rt_msg_desc_len dl = { .len = (uint32_t)n };
	memcpy(v + *len, &dl, sizeof dl);
	memcpy(v + *len + sizeof dl, p, n);
	memset(v + *len + sizeof dl + n, 0, add - sizeof dl - n);
	*var = v;
	*len += add;
	return 0;
}

int rules_filter(struct session *s, const struct channel *ch, const struct event_desc *e,
		 uint8_t **var, uint32_t *var_len, uint32_t *n)
{
	*var = NULL;
	*var_len = 0;
	*n = 0;
	int any = 0;
	for (uint32_t i = ch->enabled ? ch->nr_rules : 0; i-- > 0;) {
		const struct rule *r = &ch->rules[i];
		if (!rule_matches(r, e))
			continue;
		if (!r->enable)
			break;
		if (!r->filter) {
			free(*var);
			*var = NULL;
			*var_len = 0;
			*n = 0;
			return 1; /* every hit, whatever other rules filter */
		}
		uint8_t *prog;
		size_t len;
		char why[256];
		int c = rt_filter_compile(r->filter, e->parsed, &prog, &len, why, sizeof why);
		if (c < 0)
			session_warn(s, "filter '%s' on %s: %s: the rule is off for it", r->filter_text,
				     e->name, why);
		if (c <= 0)
			continue; /* cannot apply to this event: false for it, as lttng */
		if (*n == RT_FILTER_PROGS_MAX ||
		    *var_len + sizeof(struct rt_msg_desc_len) + rt_pad8((uint32_t)len) >
			    RT_MSG_MAX - sizeof(struct rt_msg_hdr) - sizeof(struct rt_msg_app_filter)) {
			session_warn(s, "%s: more filters than one event can carry (%u, %u bytes): "
					"filter '%s' left out", e->name, RT_FILTER_PROGS_MAX,
				     RT_MSG_MAX, r->filter_text);
			free(prog);
			continue;
		}
		if (put_program(var, var_len, prog, len) != 0) {
			free(prog);
			continue;
		}
		free(prog);
		(*n)++;
		any = 1;
	}
	return any;
}

static int tracker_allows(const struct tracker *t, uint32_t v)
{
	if (t->policy == TRACK_ALL)
		return 1;
	for (uint32_t i = 0; t->policy == TRACK_SET && i < t->nr; i++)
		if (t->values[i] == v)
			return 1;
	return 0;
}

int session_tracks(const struct session *s, const struct app *a)
{
	return tracker_allows(&s->trackers[RT_TRACK_VPID], (uint32_t)a->vpid) &&
	       tracker_allows(&s->trackers[RT_TRACK_VUID], (uint32_t)a->uid) &&
	       tracker_allows(&s->trackers[RT_TRACK_VGID], (uint32_t)a->gid);
}

void session_warn(struct session *s, const char *fmt, ...)
{
	if (s->warnings.len >= MAX_WARNINGS_TEXT) {
		s->warnings_dropped++;
		return;
	}
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	text_add(&s->warnings, "%s", line);
}

/* ---- Lookup ---------------------------------------------------------------- */

struct session *session_find_id(struct daemon *d, uint64_t id)
{
	for (struct session *s = d->sessions; s; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

struct session *session_find(struct daemon *d, const char *name)
{
	if (!name[0])
		return session_find_id(d, d->current_session);
	for (struct session *s = d->sessions; s; s = s->next)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

struct session *command_session(struct daemon *d, struct conn *c, uint64_t seq, const char *name)
{
	struct session *s = session_find(d, name);
	if (!s) {
		if (name[0])
			send_replyf(c, seq, -ENOENT, "no session named '%s' (see: rseqtrace list)", name);
		else
			send_replyf(c, seq, -ENOENT,
				  "no current session: create one (rseqtrace create NAME) or name it with -s NAME");
		return NULL;
	}
	if (s->busy && s->rot_phase) {
		send_replyf(c, seq, -EBUSY, "session '%s' is busy: a rotation is ongoing "
			    "(archives/%s); try again", s->name, s->rot_name);
		return NULL;
	}
	if (s->busy) {
		send_replyf(c, seq, -EBUSY,
			  "session '%s' is busy waiting for applications; try again", s->name);
		return NULL;
	}
	return s;
}

/* ---- Ops ------------------------------------------------------------------ */

struct op_wait {
	uint64_t app_id;
	uint64_t seq;
};

struct op_full {
	struct op op;
	struct op_wait *waits;
	uint32_t nr_waits;
};

void op_begin(struct daemon *d, enum op_kind kind, struct conn *c, uint64_t seq,
	      struct session *s, struct text *reply)
{
	struct op_full *o = calloc(1, sizeof *o);
	if (!o) {
		if (c)
			send_reply(c, seq, -ENOMEM, "out of memory");
		text_free(reply);
		return;
	}
	o->op.kind = kind;
	o->op.conn_id = c ? c->id : 0;
	o->op.req_seq = seq;
	o->op.session_id = s ? s->id : 0;
	o->op.deadline_ms = rt_now_ms() + (uint64_t)d->cfg.ack_timeout_ms;
	if (reply)
		o->op.reply = *reply;
	uint32_t n = 0;
	for (struct conn *k = d->conns; k; k = k->next)
		n += k->app != NULL;
	o->waits = n ? calloc(n, sizeof *o->waits) : NULL;
	for (struct conn *k = d->conns; k && o->waits; k = k->next) {
		struct app *a = k->app;
		if (!a || !a->dirty)
			continue;
		uint64_t sq = app_sync(d, a);
		if (sq)
			o->waits[o->nr_waits++] = (struct op_wait){ a->id, sq };
	}
	if (s)
		s->busy = 1;
	o->op.next = d->ops;
	d->ops = &o->op;
	ops_check(d, 0);
}

/* How long stop, destroy and shutdown wait for the drain threads to take
 * the buffers to disk before answering (the trace is completed later
 * anyway), and list for a drain pass. */
#define DISK_WAIT_MS 10000
#define LIST_WAIT_MS 1000

static int op_flushes(const struct op *o)
{
	return o->kind == OP_STOP || o->kind == OP_DESTROY || o->kind == OP_SHUTDOWN;
}

/* The sessions an op works on: one, or every one (shutdown). */
static int op_covers(const struct op *o, const struct session *s)
{
	return o->kind == OP_SHUTDOWN || o->session_id == s->id;
}

static void op_post_flushes(struct daemon *d, struct op_full *o)
{
	for (struct session *s = d->sessions; s; s = s->next) {
		if (!op_covers(&o->op, s))
			continue;
		for (struct trace *t = s->traces; t; t = t->next) {
			trace_flush(d, t);
			/* Destroyed: answered once its files are closed. */
			if (o->op.kind == OP_DESTROY)
				trace_close_buffers(d, t);
		}
	}
}

static int op_draining(struct daemon *d, struct op_full *o)
{
	for (struct session *s = d->sessions; s; s = s->next) {
		if (!op_covers(&o->op, s))
			continue;
		if (o->op.kind == OP_ROTATE)
			return rotation_waiting(d, s);
		for (struct trace *t = s->traces; t; t = t->next)
			if (o->op.kind == OP_LIST || o->op.kind == OP_SNAPSHOT ? !trace_idle(d, t)
									      : t->flushing || t->closing)
				return 1;
	}
	return 0;
}

static int op_waiting(struct daemon *d, struct op_full *o)
{
	if (o->op.draining)
		return op_draining(d, o);
	for (uint32_t i = 0; i < o->nr_waits; i++) {
		struct app *a = app_by_id(d, o->waits[i].app_id);
		if (a && a->acked < o->waits[i].seq)
			return 1;
	}
	return 0;
}

static void op_report_late(struct daemon *d, struct op_full *o)
{
	for (uint32_t i = 0; i < o->nr_waits; i++) {
		struct app *a = app_by_id(d, o->waits[i].app_id);
		if (a && a->acked < o->waits[i].seq)
			logm(LOG_WARN, "pid %d (%s) did not acknowledge within %d ms; going on without it",
			     (int)a->pid, a->procname, d->cfg.ack_timeout_ms);
	}
}

static void session_free(struct daemon *d, struct session *s);

static void op_complete(struct daemon *d, struct op_full *o)
{
	struct session *s = session_find_id(d, o->op.session_id);
	struct text *reply = &o->op.reply;
	int status = 0;
	if (s && o->op.kind != OP_LIST)
		s->busy = 0;
	switch (o->op.kind) {
	case OP_ENABLE:
	case OP_START:
		break;
	case OP_LIST:
		if (s)
			list_one_session(d, s, o->op.kv, reply);
		else
			status = -ENOENT;
		break;
	case OP_SNAPSHOT:
		if (s)
			status = snapshot_report(d, s, op_draining(d, o), reply);
		break;
	case OP_ROTATE:
		if (s)
			status = rotation_report(d, s, op_draining(d, o), reply);
		break;
	case OP_STOP:
	case OP_DESTROY:
		if (!s)
			break;
		if (s->started_once)
			session_summary(s, reply);
		if (op_draining(d, o))
			text_add(reply, "warning: the trace is not complete yet: its disk did not take "
					"the buffers within %d s; they are written as it does\n",
				 DISK_WAIT_MS / 1000);
		for (struct trace *t = s->traces; t; t = t->next)
			if (t->error)
				status = -EIO;
		if (o->op.kind == OP_DESTROY)
			session_free(d, s);
		break;
	case OP_SHUTDOWN:
		while (d->sessions) {
			struct session *x = d->sessions;
			struct text sum = { 0 };
			session_summary(x, &sum);
			if (sum.s)
				logm(LOG_INFO, "session %s at shutdown:\n%s", x->name, sum.s);
			text_free(&sum);
			session_free(d, x);
		}
		d->done = 1;
		break;
	}
	struct conn *c = o->op.conn_id ? conn_find(d, o->op.conn_id) : NULL;
	if (c)
		send_reply(c, o->op.req_seq, status,
			   reply->oom ? "out of memory" : reply->s ? reply->s : "");
	text_free(reply);
	free(o->waits);
	free(o);
}

void ops_check(struct daemon *d, int force)
{
	if (d->ops_running)
		return; /* completing an op may close conns, which calls us */
	d->ops_running = 1;
	uint64_t now = rt_now_ms();
	for (int again = 1; again;) {
		again = 0;
		for (struct op **pp = &d->ops; *pp; pp = &(*pp)->next) {
			struct op_full *o = (struct op_full *)*pp;
			int late = now >= o->op.deadline_ms;
			if (!force && !late && op_waiting(d, o))
				continue;
			if (late && !force && !o->op.draining)
				op_report_late(d, o);
			if (!o->op.draining && op_flushes(&o->op)) {
				/* The apps applied the change: now the buffers go
				 * to disk, on the drain threads. */
				o->op.draining = 1;
				o->op.deadline_ms = now + DISK_WAIT_MS;
				op_post_flushes(d, o);
				if (!force) {
					again = 1;
					break;
				}
			}
			if (force && o->op.draining)
				drainers_wait_idle(d);
			if (late && !force && o->op.draining && o->op.kind != OP_LIST)
				logm(LOG_WARN, "the drain threads did not flush within %d s (a slow or "
					       "stalled disk?): answering; the trace is completed as it can be",
				     DISK_WAIT_MS / 1000);
			*pp = o->op.next;
			op_complete(d, o);
			again = 1;
			break;
		}
	}
	d->ops_running = 0;
}

int op_list_session(struct daemon *d, struct conn *c, uint64_t seq, struct session *s, int kv)
{
	struct op_full *o = calloc(1, sizeof *o);
	if (!o)
		return send_replyf(c, seq, -ENOMEM, "out of memory");
	o->op.kind = OP_LIST;
	o->op.conn_id = c->id;
	o->op.req_seq = seq;
	o->op.session_id = s->id;
	o->op.kv = kv;
	o->op.draining = 1;
	o->op.deadline_ms = rt_now_ms() + LIST_WAIT_MS;
	for (struct trace *t = s->traces; t; t = t->next)
		trace_drain(d, t);
	o->op.next = d->ops;
	d->ops = &o->op;
	ops_check(d, 0);
	return 0;
}

/* An op that answers (c, if any) once the drain threads did the work
 * posted for s (a snapshot, a rotation), or at DISK_WAIT_MS. */
int op_wait_session(struct daemon *d, struct conn *c, uint64_t seq, struct session *s,
		    enum op_kind kind)
{
	struct op_full *o = calloc(1, sizeof *o);
	if (!o)
		return c ? send_replyf(c, seq, -ENOMEM, "out of memory") : 0;
	o->op.kind = kind;
	o->op.conn_id = c ? c->id : 0;
	o->op.req_seq = seq;
	o->op.session_id = s->id;
	o->op.draining = 1;
	o->op.deadline_ms = rt_now_ms() + DISK_WAIT_MS;
	s->busy = 1;
	o->op.next = d->ops;
	d->ops = &o->op;
	ops_check(d, 0);
	return 0;
}

int op_snapshot_session(struct daemon *d, struct conn *c, uint64_t seq, struct session *s)
{
	return op_wait_session(d, c, seq, s, OP_SNAPSHOT);
}

/* ---- Create ---------------------------------------------------------------- */

static void stamp(char *out, size_t n)
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(out, n, "%Y%m%d-%H%M%S", &tm);
}

static const char *home_dir(void)
{
	const char *h = getenv("HOME");
	if (h && *h == '/')
		return h;
	struct passwd *pw = getpwuid(geteuid());
	return pw && pw->pw_dir ? pw->pw_dir : NULL;
}

/* The nearest existing ancestor of path must be a directory we can write
 * (so that start can create the rest), unless path itself exists. */
static int output_usable(const char *path, char *why, size_t n)
{
	/* An existing output directory must be a real directory of ours that
	 * nobody else can write (start checks it again, and every directory
	 * under it, as it creates the trace: this is the early, clear error). */
	struct stat lst;
	if (lstat(path, &lst) == 0) {
		int fd = rt_dir_open_checked(path, geteuid(), RT_DIR_NO_OTHER_WRITE, why, n);
		if (fd < 0)
			return 0;
		close(fd);
	}
	char p[RT_PATH_MAX];
	snprintf(p, sizeof p, "%s", path);
	for (;;) {
		struct stat st;
		if (stat(p, &st) == 0) {
			if (!S_ISDIR(st.st_mode)) {
				snprintf(why, n, "%s is not a directory", p);
				return 0;
			}
			if (access(p, W_OK | X_OK) != 0) {
				snprintf(why, n, "cannot write in %s: %s", p, strerror(errno));
				return 0;
			}
			return 1;
		}
		if (errno == ENOTDIR) {
			snprintf(why, n, "%s: a part of this path is not a directory", path);
			return 0;
		}
		if (errno != ENOENT) {
			snprintf(why, n, "%s: %s", p, strerror(errno));
			return 0;
		}
		char *slash = strrchr(p, '/');
		if (!slash || slash == p) {
			snprintf(why, n, "no existing directory above %s", path);
			return 0;
		}
		*slash = '\0';
	}
}

static int has_trace_already(const char *dir)
{
	char p[RT_PATH_MAX + 8];
	struct stat st;
	snprintf(p, sizeof p, "%s/ust", dir);
	return stat(p, &st) == 0;
}

int check_geometry(struct daemon *d, uint32_t subbuf, uint32_t num, char *why, size_t n)
{
	if (rt_check_geometry(d->nr_cpus, subbuf, num, why, n) != RT_OK)
		return 0;
	uint64_t total = rt_bufset_bytes(d->nr_cpus, subbuf, num);
	if (total > d->cfg.max_buffer_memory) {
		snprintf(why, n,
			 "%u x %u bytes on %u CPUs is %llu MiB of buffers, more than the daemon's "
			 "cap of %llu MiB for all sessions (rseqtraced --max-buffer-memory)",
			 num, subbuf, d->nr_cpus, (unsigned long long)(total >> 20),
			 (unsigned long long)(d->cfg.max_buffer_memory >> 20));
		return 0;
	}
	return 1;
}

static int under_prefix(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(path, prefix, n) == 0 && (path[n] == '/' || path[n] == '\0') &&
	       !strstr(path, "/..");
}

int output_path_check(struct daemon *d, const char *path, char *why, size_t n)
{
	if (d->cfg.restrict_output && !under_prefix(path, d->cfg.restrict_output)) {
		snprintf(why, n, "output must be under %s", d->cfg.restrict_output);
		return -EPERM;
	}
	return output_usable(path, why, n) ? 0 : -EACCES;
}

static int count_sessions(const struct daemon *d)
{
	int n = 0;
	for (const struct session *s = d->sessions; s; s = s->next)
		n++;
	return n;
}

/* A network session: its link to the relayd (made later, by a drain
 * thread; the CLI checked that the relayd answers). */
static int relayd_for(struct session *s, const struct rt_msg_create *cr, char *why, size_t n)
{
	struct relayd_link_config lc = { .ctrl_port = cr->relayd_ctrl, .data_port = cr->relayd_data,
					 .live_us = cr->live_us };
	snprintf(lc.host, sizeof lc.host, "%s", cr->relayd_host);
	snprintf(lc.session_name, sizeof lc.session_name, "%s", s->name);
	snprintf(lc.created_at, sizeof lc.created_at, "%s", s->created_at);
	if (cr->hostname[0])
		snprintf(lc.hostname, sizeof lc.hostname, "%s", cr->hostname);
	else if (gethostname(lc.hostname, sizeof lc.hostname - 1) != 0 ||
		 !rt_session_name_ok(lc.hostname))
		snprintf(lc.hostname, sizeof lc.hostname, "localhost");
	int w = snprintf(s->output, sizeof s->output, "net://%s%s%s:%u:%u", strchr(lc.host, ':') ? "[" : "",
			 lc.host, strchr(lc.host, ':') ? "]" : "", lc.ctrl_port, lc.data_port);
	if (w < 0 || (size_t)w >= sizeof s->output) {
		snprintf(why, n, "relayd host too long");
		return -ENAMETOOLONG;
	}
	s->relayd = relayd_link_new(&lc);
	s->live_us = cr->live_us;
	if (!s->relayd) {
		snprintf(why, n, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int cmd_create(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	const struct rt_msg_create *cr = m->body;
	uint64_t seq = m->hdr.seq;
	char why[RT_PATH_MAX + 128];
	struct session *s = calloc(1, sizeof *s);
	if (!s)
		return send_replyf(c, seq, -ENOMEM, "out of memory");
	stamp(s->created_at, sizeof s->created_at);
	if (cr->name[0])
		snprintf(s->name, sizeof s->name, "%s", cr->name);
	else
		snprintf(s->name, sizeof s->name, "auto-%s", s->created_at);
	int status = 0;
	if (session_find(d, s->name) && (cr->name[0] || s->name[0])) {
		status = -EEXIST;
		snprintf(why, sizeof why, "a session named '%s' already exists", s->name);
	} else if (count_sessions(d) >= MAX_SESSIONS) {
		status = -EMFILE;
		snprintf(why, sizeof why, "too many sessions (%d)", MAX_SESSIONS);
	}
	channel_default_geometry((enum rt_buffers)cr->buffers, &s->subbuf_size, &s->num_subbuf);
	if (cr->subbuf_size) {
		s->subbuf_size = cr->subbuf_size;
		s->given |= RT_CHA_SUBBUF;
	}
	if (cr->num_subbuf) {
		s->num_subbuf = cr->num_subbuf;
		s->given |= RT_CHA_NUM_SUBBUF;
	}
	if (!status && !check_geometry(d, s->subbuf_size, s->num_subbuf, why, sizeof why))
		status = -EINVAL;
	int no_output = cr->flags & RT_CREATE_NO_OUTPUT;
	if (!status && no_output && (!(cr->flags & RT_CREATE_SNAPSHOT) || cr->output[0] ||
				     cr->relayd_host[0])) {
		status = -EINVAL;
		snprintf(why, sizeof why, "--no-output is for a snapshot session without -o or a "
			 "URL (its records go where snapshot record or add-output says); a "
			 "normal session's trace must go somewhere");
	}
	if (!status && cr->relayd_host[0]) {
		status = relayd_for(s, cr, why, sizeof why);
	} else if (!status && !no_output) {
		if (cr->output[0]) {
			snprintf(s->output, sizeof s->output, "%s", cr->output);
		} else {
			const char *h = home_dir();
			int w = h ? snprintf(s->output, sizeof s->output, "%s/rseqtrace-traces/%s-%s",
					     h, s->name, s->created_at) : -1;
			if (w < 0 || (size_t)w >= sizeof s->output) {
				status = -ENAMETOOLONG;
				snprintf(why, sizeof why, "no home directory for the default output; use -o DIR");
			}
		}
	}
	if (!status && !s->relayd && !no_output) {
		size_t len = strlen(s->output);
		while (len > 1 && s->output[len - 1] == '/')
			s->output[--len] = '\0';
		if (len > RT_PATH_MAX - 256) {
			status = -ENAMETOOLONG;
			snprintf(why, sizeof why, "output path too long (at most %u bytes)",
				 RT_PATH_MAX - 256);
		}
		if (status) {
		} else if (d->cfg.restrict_output && !under_prefix(s->output, d->cfg.restrict_output)) {
			status = -EPERM;
			snprintf(why, sizeof why, "output must be under %s", d->cfg.restrict_output);
		} else if (!output_usable(s->output, why, sizeof why)) {
			status = -EACCES;
		} else if (has_trace_already(s->output)) {
			status = -EEXIST;
			snprintf(why, sizeof why, "%s already holds a trace; choose another -o", s->output);
		} else {
			for (struct session *o = d->sessions; o; o = o->next) {
				if (strcmp(o->output, s->output) == 0) {
					status = -EEXIST;
					snprintf(why, sizeof why, "session '%s' already writes to %s",
						 o->name, s->output);
				}
			}
		}
	}
	if (status) {
		relayd_link_put(s->relayd);
		free(s);
		return send_replyf(c, seq, status, "%s", why);
	}
	s->id = d->next_id++;
	s->buffers = (enum rt_buffers)cr->buffers;
	s->clock = cr->clock == RT_MSG_CLOCK_TSC ? RT_CLOCK_TSC : RT_CLOCK_MONOTONIC;
	s->blocking_us = cr->blocking_us;
	rotation_session_init(s);
	if (cr->flags & RT_CREATE_SNAPSHOT)
		snapshot_session_init(s);
	s->state = S_CREATED;
	s->next = d->sessions;
	d->sessions = s;
	d->current_session = s->id;
	logm(LOG_INFO, "session %s created: output %s, per-%s buffers, %u x %u bytes", s->name,
	     s->output, s->buffers == RT_BUFFERS_PID ? "PID" : "UID", s->num_subbuf, s->subbuf_size);
	struct text t = { 0 };
	if (s->snapshot) {
		text_add(&t, "Snapshot session %s created.\n", s->name);
		if (s->snap_out.id)
			text_add(&t, "Default snapshot output set to %s\n", s->output);
		text_add(&t, "Buffers are in overwrite mode; nothing is written until "
			     "'rseqtrace snapshot record'.\n");
	}
	else if (s->relayd)
		text_add(&t, "Session %s created.\nTraces will be streamed to %s%s\n", s->name,
			 s->output, s->live_us ? " (live)" : "");
	else
		text_add(&t, "Session %s created.\nTraces will be written in %s\n", s->name, s->output);
	send_reply(c, seq, 0, t.oom ? "created" : t.s);
	text_free(&t);
	return 0;
}

/* ---- Enable / disable ------------------------------------------------------ */

/* A rule as list, stop and the answers show it: pattern and loglevel
 * (the filter and exclusions go here too: one rendering of a rule). */
void describe_rule(struct text *t, const struct rule *r)
{
	text_add(t, "%s", r->pattern);
	for (uint32_t i = 0; i < r->nr_excl; i++)
		text_add(t, "%s%s", i ? ", " : " (excluding ", r->excl[i]);
	if (r->nr_excl)
		text_add(t, ")");
	if (r->loglevel_type == RT_LOGLEVEL_RANGE)
		text_add(t, " (loglevel <= TRACE_%s)", rt_loglevel_name(r->loglevel));
	else if (r->loglevel_type == RT_LOGLEVEL_SINGLE)
		text_add(t, " (loglevel == TRACE_%s)", rt_loglevel_name(r->loglevel));
	if (r->filter_text)
		text_add(t, " (filter: %s)", r->filter_text);
}

void session_update_apps(struct daemon *d, struct session *s)
{
	for (struct trace *t = s->traces; t; t = t->next)
		for (struct link *l = t->links; l; l = l->next)
			app_update_trace(t, l->app, 0);
}

static void rule_free(struct rule *r)
{
	free(r->filter_text);
	rt_filter_free(r->filter);
	free(r->excl);
}

void channel_rules_free(struct channel *ch)
{
	for (uint32_t i = 0; i < ch->nr_rules; i++)
		rule_free(&ch->rules[i]);
	free(ch->rules);
	ch->rules = NULL;
	ch->nr_rules = 0;
}

static int same_rule(const struct rule *a, const struct rule *b)
{
	if (strcmp(a->pattern, b->pattern) != 0 || a->loglevel_type != b->loglevel_type ||
	    a->loglevel != b->loglevel || a->nr_excl != b->nr_excl ||
	    !a->filter_text != !b->filter_text ||
	    (a->filter_text && strcmp(a->filter_text, b->filter_text) != 0))
		return 0;
	return !a->nr_excl || memcmp(a->excl, b->excl, a->nr_excl * sizeof a->excl[0]) == 0;
}

/* Takes r's allocations (on failure too). */
static int add_rule(struct channel *s, struct rule *r)
{
	for (uint32_t i = 0; i < s->nr_rules; i++) {
		struct rule *o = &s->rules[i];
		if (same_rule(o, r)) {
			/* Same rule again: move it last, where it decides. */
			rule_free(o);
			memmove(o, o + 1, (s->nr_rules - i - 1) * sizeof *o);
			s->rules[s->nr_rules - 1] = *r;
			return 0;
		}
	}
	struct rule *n = s->nr_rules < MAX_RULES ? realloc(s->rules, (s->nr_rules + 1) * sizeof *n)
						  : NULL;
	if (!n) {
		rule_free(r);
		return -1;
	}
	s->rules = n;
	s->rules[s->nr_rules++] = *r;
	return 0;
}

/* lttng's rule: exclusions go with a pattern that has a '*', and each
 * must be able to match something the pattern does: it starts with the
 * pattern's text before its first '*'. */
static int check_exclusions(const struct rt_msg *m, char *why, size_t n)
{
	for (uint32_t i = 0; m->nexcl && i < m->nstr; i++) {
		const char *pat = m->strs[i], *star = strchr(pat, '*');
		if (!star) {
			snprintf(why, n, "exclusions need a pattern with a '*': '%s' has none", pat);
			return -1;
		}
		for (uint32_t k = 0; k < m->nexcl; k++) {
			const char *x = m->strs[m->nstr + k];
			if (strncmp(x, pat, (size_t)(star - pat)) != 0) {
				snprintf(why, n, "exclusion '%s' cannot match an event of '%s'", x, pat);
				return -1;
			}
		}
	}
	return 0;
}

/* A rule for pattern i of an ENABLE/DISABLE, with its own copies. */
static int make_rule(const struct rt_msg *m, uint32_t i, int enable, struct rule *rule,
		     char *why, size_t n)
{
	const struct rt_msg_rule *r = m->body;
	*rule = (struct rule){ .enable = enable, .loglevel_type = r->loglevel_type,
			       .loglevel = r->loglevel, .nr_excl = m->nexcl };
	snprintf(rule->pattern, sizeof rule->pattern, "%s", m->strs[i]);
	if (m->nexcl && !(rule->excl = calloc(m->nexcl, sizeof rule->excl[0])))
		goto oom;
	for (uint32_t k = 0; k < m->nexcl; k++)
		snprintf(rule->excl[k], sizeof rule->excl[k], "%s", m->strs[m->nstr + k]);
	if (m->filter) {
		rule->filter = rt_filter_parse(m->filter, why, n);
		if (!rule->filter) {
			rule_free(rule);
			return -EINVAL;
		}
		if (!(rule->filter_text = strdup(m->filter)))
			goto oom;
	}
	return 0;
oom:
	rule_free(rule);
	snprintf(why, n, "out of memory");
	return -ENOMEM;
}

static int cmd_rule(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	const struct rt_msg_rule *r = m->body;
	uint64_t seq = m->hdr.seq;
	int enable = m->hdr.type == RT_MSG_ENABLE;
	struct session *s = command_session(d, c, seq, r->session);
	if (!s)
		return 0;
	char why[300];
	int status;
	struct channel *ch = channel_get(d, s, r->channel, &status, why, sizeof why);
	if (!ch)
		return send_replyf(c, seq, status, "%s", why);
	struct text t = { 0 };
	if (!enable && (r->flags & RT_RULE_ALL)) {
		channel_rules_free(ch);
		text_add(&t, "All events disabled in channel %s of session %s\n", ch->name, s->name);
	} else {
		if (ch->nr_rules + m->nstr > MAX_RULES) {
			return send_replyf(c, seq, -E2BIG, "channel '%s' of session '%s' has too many "
					 "event rules (%d)", ch->name, s->name, MAX_RULES);
		}
		if (check_exclusions(m, why, sizeof why) != 0)
			return send_replyf(c, seq, -EINVAL, "%s", why);
		/* Every rule is made before any is added: a bad filter adds none. */
		struct rule rules[RT_MAX_PATTERNS];
		for (uint32_t i = 0; i < m->nstr; i++) {
			int e = make_rule(m, i, enable, &rules[i], why, sizeof why);
			if (e) {
				while (i-- > 0)
					rule_free(&rules[i]);
				return send_replyf(c, seq, e, e == -EINVAL ? "invalid filter: %s" : "%s",
						   why);
			}
		}
		for (uint32_t i = 0; i < m->nstr; i++) {
			text_add(&t, "Event rule ");
			describe_rule(&t, &rules[i]);
			text_add(&t, " %s in channel %s of session %s\n",
				 enable ? "enabled" : "disabled", ch->name, s->name);
			if (add_rule(ch, &rules[i]) != 0) {
				while (++i < m->nstr)
					rule_free(&rules[i]);
				text_free(&t);
				return send_replyf(c, seq, -ENOMEM, "out of memory");
			}
		}
	}
	session_update_apps(d, s);
	op_begin(d, OP_ENABLE, c, seq, s, &t);
	return 0;
}

/* ---- Trackers ------------------------------------------------------------------ */


static int tracker_has(const struct tracker *tr, uint32_t v)
{
	for (uint32_t i = 0; i < tr->nr; i++)
		if (tr->values[i] == v)
			return 1;
	return 0;
}

/*
 * lttng 2.13's process attribute trackers: a session starts tracking
 * every process; `track --all` goes back to that, `untrack --all` tracks
 * none; tracking values makes (or grows) an inclusion set, untracking
 * takes values out of it. An untracked process's events stay disabled in
 * it: it pays the disabled-tracepoint cost only.
 */
static int cmd_track(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	const struct rt_msg_track *tm = m->body;
	uint64_t seq = m->hdr.seq;
	int track = m->hdr.type == RT_MSG_TRACK;
	struct session *s = command_session(d, c, seq, tm->session);
	if (!s)
		return 0;
	struct tracker *tr = &s->trackers[tm->attr];
	const char *name = rt_track_names[tm->attr];
	struct text t = { 0 };
	if (tm->flags & RT_TRACK_ALL) {
		free(tr->values);
		*tr = (struct tracker){ .policy = track ? TRACK_ALL : TRACK_NONE };
		text_add(&t, "All %ss %stracked in session %s\n", name, track ? "" : "un", s->name);
	} else {
		const uint32_t *v = (const uint32_t *)(const void *)m->var;
		if (!track && tr->policy != TRACK_SET)
			return send_replyf(c, seq, -EINVAL, "the %s tracker of session %s tracks %s: "
					   "no value to untrack", name, s->name,
					   tr->policy == TRACK_ALL ? "all processes" : "none");
		for (uint32_t i = 0; i < tm->count; i++) {
			uint32_t x;
			memcpy(&x, v + i, 4);
			if (track && tr->policy == TRACK_SET && tracker_has(tr, x))
				continue;
			if (!track) {
				for (uint32_t k = 0; k < tr->nr; k++)
					if (tr->values[k] == x)
						tr->values[k--] = tr->values[--tr->nr];
				text_add(&t, "%s %u untracked in session %s\n", name, x, s->name);
				continue;
			}
			if (tr->policy != TRACK_SET) {
				free(tr->values);
				*tr = (struct tracker){ .policy = TRACK_SET };
			}
			if (tr->nr >= RT_TRACK_MAX_VALUES) {
				text_free(&t);
				return send_replyf(c, seq, -E2BIG, "the %s tracker holds %u values at most",
						   name, RT_TRACK_MAX_VALUES);
			}
			uint32_t *nv = realloc(tr->values, (tr->nr + 1) * sizeof *nv);
			if (!nv) {
				text_free(&t);
				return send_replyf(c, seq, -ENOMEM, "out of memory");
			}
			tr->values = nv;
			tr->values[tr->nr++] = x;
			text_add(&t, "%s %u tracked in session %s\n", name, x, s->name);
		}
	}
	session_update_apps(d, s);
	op_begin(d, OP_ENABLE, c, seq, s, &t);
	return 0;
}

void trackers_text(struct text *t, const struct session *s, int kv)
{
	for (unsigned a = 0; a < RT_TRACK_NR; a++) {
		const struct tracker *tr = &s->trackers[a];
		text_add(t, kv ? "tracker=%s " : "    %s: ", rt_track_names[a]);
		if (tr->policy != TRACK_SET)
			text_add(t, "%s", tr->policy == TRACK_ALL ? "all" : "none");
		for (uint32_t i = 0; tr->policy == TRACK_SET && i < tr->nr; i++)
			text_add(t, "%s%u", i ? "," : "", tr->values[i]);
		if (tr->policy == TRACK_SET && !tr->nr)
			text_add(t, "none");
		text_add(t, "\n");
	}
}

/* ---- Contexts ------------------------------------------------------------------ */

void contexts_text(struct text *t, uint32_t contexts, const char *sep)
{
	int first = 1;
	for (unsigned i = 0; i < RT_NR_CONTEXTS; i++) {
		if (!(contexts & rt_contexts[i].bit))
			continue;
		text_add(t, "%s%s", first ? "" : sep, rt_contexts[i].name);
		first = 0;
	}
	if (first)
		text_add(t, "none");
}

static void add_contexts(const struct session *s, struct channel *ch, uint32_t contexts,
			 struct text *t)
{
	for (unsigned i = 0; i < RT_NR_CONTEXTS; i++) {
		uint32_t bit = rt_contexts[i].bit;
		if (contexts & bit)
			text_add(t, (ch->contexts & bit)
				 ? "Context %s is already recorded in channel %s of session %s\n"
				 : "Context %s added to channel %s of session %s\n",
				 rt_contexts[i].name, ch->name, s->name);
	}
	ch->contexts |= contexts;
	text_add(t, "Every event of channel %s records: ", ch->name);
	contexts_text(t, ch->contexts, ", ");
	text_add(t, "\n");
}

/* A perf:thread:* counter the kernel refuses here (no such PMU event,
 * perf_event_paranoid > 2, seccomp) is refused at add-context, naming it
 * (LTTng-UST leaves such a field out of its apps' traces instead): the
 * daemon runs on the apps' machine, so what it is refused they are too. */
static int perf_refused(uint32_t contexts, char *why, size_t n)
{
	for (unsigned i = 0; i < RT_NR_CONTEXTS; i++) {
		const struct rt_context *x = &rt_contexts[i];
		if (!(contexts & x->bit & RT_CTX_PERF))
			continue;
		int fd = rt_perf_open(x);
		if (fd >= 0) {
			close(fd);
			continue;
		}
		snprintf(why, n, "context %s: perf_event_open refused it on this machine (%s)%s",
			 x->name, strerror(-fd),
			 fd == -EACCES || fd == -EPERM ? ": see /proc/sys/kernel/perf_event_paranoid" :
			 fd == -ENOENT ? ": no such counter here (a virtual machine without a PMU?)" : "");
		return 1;
	}
	return 0;
}

/*
 * Adds contexts to the named channel, or (none named) to every channel of
 * the session, made first if there is none, as lttng's add-context does.
 * Like lttng, only before the session's first start: a channel's stream
 * class (and so every record's layout) is fixed when its traces are made.
 */
static int cmd_add_context(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	const struct rt_msg_context *x = m->body;
	struct session *s = command_session(d, c, m->hdr.seq, x->session);
	if (!s)
		return 0;
	if (s->started_once)
		return send_replyf(c, m->hdr.seq, -EBUSY,
				 "session '%s' has been started: contexts can only be added before "
				 "its first start (create a new session)", s->name);
	char why[256];
	int status;
	if (perf_refused(x->contexts, why, sizeof why))
		return send_replyf(c, m->hdr.seq, -EINVAL, "%s", why);
	struct channel *one = NULL;
	if (x->channel[0] || !s->channels) {
		one = channel_get(d, s, x->channel, &status, why, sizeof why);
		if (!one)
			return send_replyf(c, m->hdr.seq, status, "%s", why);
	}
	struct text t = { 0 };
	for (struct channel *ch = s->channels; ch; ch = ch->next)
		if (!one || ch == one)
			add_contexts(s, ch, x->contexts, &t);
	logm(LOG_INFO, "session %s: contexts 0x%x added to %s", s->name, x->contexts,
	     one ? one->name : "every channel");
	send_reply(c, m->hdr.seq, 0, t.oom ? "context added" : t.s);
	text_free(&t);
	return 0;
}

/* ---- Start / stop / destroy ---------------------------------------------------- */

static void send_active(struct daemon *d, struct session *s, int active)
{
	for (struct trace *t = s->traces; t; t = t->next) {
		for (struct link *l = t->links; l; l = l->next) {
			if (!l->sent_channel)
				continue;
			struct rt_msg_buf *b = malloc(sizeof *b);
			if (!b)
				continue;
			rt_msg_init(b, RT_MSG_APP_ACTIVE, 0);
			struct rt_msg_app_key k = { .key = t->key, .value = (uint32_t)active };
			rt_msg_put(b, &k, sizeof k);
			app_send(l->app, b, -1);
			free(b);
		}
	}
}

/* Creates the session's traces: the shared per-UID one and one per app
 * that needs its own buffers. On failure nothing stays behind. */
static int session_open_traces(struct daemon *d, struct session *s, char *why, size_t n)
{
	for (struct channel *ch = s->channels; ch && s->buffers == RT_BUFFERS_UID; ch = ch->next)
		if (!trace_create(d, s, ch, NULL, why, n))
			return -1;
	s->started_once = 1;
	for (struct conn *c = d->conns; c; c = c->next)
		if (c->app && c->app->ready)
			app_attach_session(d, s, c->app);
	return 0;
}

/* The session starts or stops recording; the CLI is answered once every
 * app has acknowledged (op_begin). */
static void session_switch(struct daemon *d, struct conn *c, uint64_t seq, struct session *s,
			   int active)
{
	s->state = active ? S_ACTIVE : S_STOPPED;
	for (struct trace *t = s->traces; t; t = t->next)
		drainers_set_active(t, active);
	send_active(d, s, active);
	logm(LOG_INFO, "session %s %s", s->name, active ? "started" : "stopping");
	struct text t = { 0 };
	text_add(&t, "Tracing %s for session %s\n", active ? "started" : "stopped", s->name);
	op_begin(d, active ? OP_START : OP_STOP, c, seq, s, &t);
}

static int cmd_start(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	const struct rt_msg_session *r = m->body;
	struct session *s = command_session(d, c, m->hdr.seq, r->session);
	if (!s)
		return 0;
	if (s->state == S_ACTIVE)
		return send_replyf(c, m->hdr.seq, -EALREADY, "session '%s' is already started",
				 s->name);
	if (!s->started_once) {
		char why[RT_PATH_MAX + 128];
		int status;
		/* Events enabled after the start go to channel0, which exists
		 * from the start then (lttng makes none and refuses it later). */
		if (!s->channels && !channel_get(d, s, "", &status, why, sizeof why))
			return send_replyf(c, m->hdr.seq, status, "cannot start session '%s': %s",
					 s->name, why);
		if (session_open_traces(d, s, why, sizeof why) != 0) {
			while (s->traces)
				trace_destroy(d, s->traces);
			return send_replyf(c, m->hdr.seq, -EIO, "cannot start session '%s': %s",
					 s->name, why);
		}
	}
	if (s->relayd)
		relayd_link_retry(s->relayd);
	for (struct trace *t = s->traces; t; t = t->next)
		trace_resume(d, t);
	session_switch(d, c, m->hdr.seq, s, 1);
	return 0;
}

static int cmd_stop(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	const struct rt_msg_session *r = m->body;
	struct session *s = command_session(d, c, m->hdr.seq, r->session);
	if (!s)
		return 0;
	if (s->state != S_ACTIVE)
		return send_replyf(c, m->hdr.seq, -EALREADY, "session '%s' is not started",
				 s->name);
	session_switch(d, c, m->hdr.seq, s, 0);
	return 0;
}

static void send_channel_del(struct daemon *d, struct session *s)
{
	for (struct trace *t = s->traces; t; t = t->next) {
		for (struct link *l = t->links; l; l = l->next)
			if (l->sent_channel)
				app_unlink_channel(t, l);
	}
}

static void session_free(struct daemon *d, struct session *s)
{
	for (struct session **pp = &d->sessions; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	while (s->traces)
		trace_destroy(d, s->traces);
	if (d->current_session == s->id)
		d->current_session = 0;
	logm(LOG_INFO, "session %s destroyed", s->name);
	while (s->channels) {
		struct channel *ch = s->channels;
		s->channels = ch->next;
		channel_free(ch);
	}
	for (unsigned a = 0; a < RT_TRACK_NR; a++)
		free(s->trackers[a].values);
	text_free(&s->warnings);
	relayd_link_put(s->relayd); /* the traces' outputs hold theirs until closed */
	free(s);
}

void session_destroy_now(struct daemon *d, struct session *s)
{
	send_channel_del(d, s);
	for (struct trace *t = s->traces; t; t = t->next)
		trace_flush(d, t);
	session_free(d, s); /* its traces are closed after the flush */
}

static int cmd_destroy(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	const struct rt_msg_session *r = m->body;
	struct session *s = command_session(d, c, m->hdr.seq, r->session);
	if (!s)
		return 0;
	struct text t = { 0 };
	if (s->state == S_ACTIVE) {
		s->state = S_STOPPED;
		for (struct trace *tr = s->traces; tr; tr = tr->next)
			drainers_set_active(tr, 0);
		send_active(d, s, 0);
		text_add(&t, "Tracing stopped for session %s\n", s->name);
	}
	send_channel_del(d, s);
	if (s->started_once && s->output[0])
		text_add(&t, "Session %s destroyed; its trace is in %s\n", s->name, s->output);
	else if (s->started_once)
		text_add(&t, "Session %s destroyed\n", s->name);
	else
		text_add(&t, "Session %s destroyed (it was never started: no trace)\n", s->name);
	if (d->current_session == s->id)
		d->current_session = 0;
	op_begin(d, OP_DESTROY, c, m->hdr.seq, s, &t);
	return 0;
}

void daemon_shutdown(struct daemon *d)
{
	if (d->quit)
		return;
	d->quit = 1;
	transport_unlisten(d);
	for (struct session *s = d->sessions; s; s = s->next) {
		if (s->state == S_ACTIVE) {
			s->state = S_STOPPED;
			for (struct trace *t = s->traces; t; t = t->next)
				drainers_set_active(t, 0);
			send_active(d, s, 0);
		}
		send_channel_del(d, s);
	}
	op_begin(d, OP_SHUTDOWN, NULL, 0, NULL, NULL);
}

int cli_dispatch(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	if (d->quit && m->hdr.type != RT_MSG_LIST)
		return send_replyf(c, m->hdr.seq, -ESHUTDOWN, "the daemon is shutting down");
	switch (m->hdr.type) {
	case RT_MSG_CREATE: return cmd_create(d, c, m);
	case RT_MSG_ENABLE:
	case RT_MSG_DISABLE: return cmd_rule(d, c, m);
	case RT_MSG_TRACK:
	case RT_MSG_UNTRACK: return cmd_track(d, c, m);
	case RT_MSG_START: return cmd_start(d, c, m);
	case RT_MSG_STOP: return cmd_stop(d, c, m);
	case RT_MSG_DESTROY: return cmd_destroy(d, c, m);
	case RT_MSG_LIST: return cmd_list(d, c, m);
	case RT_MSG_ADD_CONTEXT: return cmd_add_context(d, c, m);
	case RT_MSG_ENABLE_CHANNEL: return cmd_enable_channel(d, c, m);
	case RT_MSG_DISABLE_CHANNEL: return cmd_disable_channel(d, c, m);
	case RT_MSG_SNAPSHOT: return cmd_snapshot(d, c, m);
	case RT_MSG_ROTATE: return cmd_rotate(d, c, m);
	}
	return -1;
}
