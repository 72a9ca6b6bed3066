/* SPDX-License-Identifier: MIT */
/*
 * Instrumented applications: registration, event descriptions, attaching
 * them to the traces of every started session, acknowledgements.
 *
 * Registration: APP_REGISTER, APP_EVENTS..., APP_READY_REQ. The daemon
 * answers APP_READY_REQ with APP_CHANNEL/APP_ENABLE for every started
 * session, then APP_READY: the app's constructor waits for APP_READY
 * (bounded), so events from the first line of main() are traced.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "consumerd/daemon.h"

/* Sends b (and fds) to the app; a full socket means the app's listener is
 * stuck, and a stuck app is dropped rather than waited for. */
int app_send_fds(struct daemon *d, struct app *a, struct rt_msg_buf *b, const int *fds,
		 uint32_t nfds)
{
	if (!a->conn || a->conn->closing)
		return -1;
	int r = rt_msg_send_fds(a->conn->fd, b, fds, nfds, MSG_DONTWAIT);
	if (r != 0) {
		logm(LOG_WARN, "pid %d (%s): cannot send (%s): dropping the application",
		     (int)a->pid, a->procname, strerror(-r));
		a->conn->closing = 1;
		return -1;
	}
	a->dirty = 1;
	(void)d;
	return 0;
}

int app_send(struct daemon *d, struct app *a, struct rt_msg_buf *b, int fd)
{
	return app_send_fds(d, a, b, &fd, fd >= 0 ? 1 : 0);
}

uint64_t app_sync(struct daemon *d, struct app *a)
{
	struct rt_msg_buf *b = malloc(sizeof *b);
	if (!b)
		return 0;
	uint64_t seq = d->next_sync++;
	rt_msg_init(b, RT_MSG_APP_SYNC, seq);
	int r = app_send(d, a, b, -1);
	free(b);
	if (r != 0)
		return 0;
	a->sync_sent = seq;
	a->dirty = 0;
	return seq;
}

static void clean_procname(char *dst, const char *src)
{
	size_t i = 0;
	for (; src[i] && i < RT_PROCNAME_MAX - 1; i++) {
		unsigned char ch = (unsigned char)src[i];
		/* It ends up in file names and in the metadata's strings. */
		dst[i] = ch > ' ' && ch < 127 && ch != '/' && ch != '"' && ch != '\\' ? (char)ch : '_';
	}
	dst[i] = '\0';
	if (!i)
		snprintf(dst, RT_PROCNAME_MAX, "unknown");
}

static int on_register(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	const struct rt_msg_app_register *r = m->body;
	if (c->app)
		return -1;
	struct app *a = calloc(1, sizeof *a);
	if (!a)
		return -1;
	a->conn = c;
	a->id = d->next_id++;
	a->pid = c->pid; /* the kernel's word, not the app's */
	a->uid = c->uid;
	a->vpid = (pid_t)r->vpid;
	a->ppid = (pid_t)r->ppid;
	a->rseq = (r->flags & RT_APP_RSEQ) != 0;
	clean_procname(a->procname, r->procname);
	c->app = a;
	logm(LOG_INFO, "application %s[%d] registered (%s)", a->procname, (int)a->pid,
	     a->rseq ? "rseq" : "no rseq: locked-mode per-PID buffers");
	return 0;
}

static int on_events(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	const struct rt_msg_app_events *e = m->body;
	struct app *a = c->app;
	if (!a || e->first != a->nr_events) {
		logm(LOG_WARN, "pid %d: event descriptions out of order", (int)c->pid);
		return -1;
	}
	struct event_desc *ev = realloc(a->events, (size_t)(a->nr_events + e->count) * sizeof *ev);
	if (!ev)
		return -1;
	a->events = ev;
	uint32_t off = 0;
	for (uint32_t i = 0; i < e->count; i++) {
		struct rt_msg_desc_len dl;
		memcpy(&dl, m->var + off, sizeof dl);
		off += sizeof dl;
		char why[160];
		if (event_desc_parse(m->var + off, dl.len, &ev[a->nr_events], why, sizeof why) != 0) {
			logm(LOG_WARN, "pid %d: invalid event description #%u (%s): connection closed",
			     (int)c->pid, a->nr_events, why);
			return -1;
		}
		a->nr_events++;
		off += rt_pad8(dl.len);
	}
	if (a->ready)
		for (struct session *s = d->sessions; s; s = s->next)
			for (struct trace *t = s->traces; t; t = t->next)
				if (t->mapped)
					trace_update_app(d, t, a);
	return 0;
}

/* The trace app's events go to in session s, created if needed: the
 * shared one for rseq apps of a per-UID session, else one of its own. */
static struct trace *trace_of(struct daemon *d, struct session *s, struct app *a)
{
	struct trace *t = trace_for_app(s, a);
	if (t)
		return t;
	if (s->buffers == RT_BUFFERS_UID && a->rseq) {
		for (t = s->traces; t; t = t->next)
			if (!t->per_pid)
				return t;
		return NULL;
	}
	char why[RT_PATH_MAX + 128];
	t = trace_create(d, s, a, why, sizeof why);
	if (!t) {
		logm(LOG_WARN, "session %s: no buffers for %s[%d]: %s", s->name, a->procname,
		     (int)a->pid, why);
		text_add(&s->warnings, "    %s[%d] not traced: %s\n", a->procname, (int)a->pid, why);
	}
	return t;
}

void app_attach_sessions(struct daemon *d, struct app *a)
{
	for (struct session *s = d->sessions; s; s = s->next) {
		if (!s->started_once)
			continue; /* its traces are made at the first start */
		struct trace *t = trace_of(d, s, a);
		if (!t || !t->mapped)
			continue;
		if (trace_link_app(d, t, a) == 0)
			trace_update_app(d, t, a);
	}
}

/* The first APP_READY_REQ ends registration; later ones are sync points
 * after APP_EVENTS (a dlopen): by the time APP_READY is sent, every
 * APP_ENABLE for those events is, too. */
static int on_ready_req(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	struct app *a = c->app;
	if (!a)
		return -1;
	if (!a->ready) {
		a->ready = 1;
		app_attach_sessions(d, a);
	}
	struct rt_msg_buf *b = malloc(sizeof *b);
	if (!b)
		return -1;
	rt_msg_init(b, RT_MSG_APP_READY, m->hdr.seq);
	struct rt_msg_app_ready r = { 0 };
	rt_msg_put(b, &r, sizeof r);
	app_send(d, a, b, -1);
	free(b);
	a->dirty = 0; /* READY answers a request: everything before it is applied */
	return 0;
}

static int on_sync_ack(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	struct app *a = c->app;
	if (!a || m->hdr.seq <= a->acked || m->hdr.seq > a->sync_sent)
		return -1; /* an ack for nothing we asked */
	a->acked = m->hdr.seq;
	ops_check(d, 0);
	return 0;
}

int app_dispatch(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	if (m->hdr.type != RT_MSG_APP_REGISTER && !c->app)
		return -1;
	switch (m->hdr.type) {
	case RT_MSG_APP_REGISTER: return on_register(d, c, m);
	case RT_MSG_APP_EVENTS: return on_events(d, c, m);
	case RT_MSG_APP_READY_REQ: return on_ready_req(d, c, m);
	case RT_MSG_APP_SYNC_ACK: return on_sync_ack(d, c, m);
	}
	return -1;
}

/* The app is gone (exit, kill -9, or dropped): everything it committed is
 * in the buffers; its own buffers are flushed, drained and released. */
void app_gone(struct daemon *d, struct app *a)
{
	logm(LOG_INFO, "application %s[%d] unregistered", a->procname, (int)a->pid);
	for (struct session *s = d->sessions; s; s = s->next) {
		for (struct trace *t = s->traces; t; t = t->next) {
			trace_unlink_app(t, a);
			if (t->owner != a)
				continue;
			t->owner = NULL;
			trace_flush(d, t);
			trace_drain(d, t);
			trace_close_buffers(d, t);
		}
	}
	for (uint32_t i = 0; i < a->nr_events; i++)
		event_desc_free(&a->events[i]);
	free(a->events);
	free(a);
}
