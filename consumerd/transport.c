/* SPDX-License-Identifier: MIT */
/* Connections (transport.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "consumerd/daemon.h"
#include "consumerd/log.h"
#include "consumerd/registry.h"
#include "consumerd/session.h"
#include "consumerd/transport.h"
#include "protocol/codec.h"

#define MAX_CONNS 4096
#define MSGS_PER_WAKEUP 64

int transport_listen(struct daemon *d, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	if (rt_sock_addr(d->cfg.dir, &sa) != 0) {
		snprintf(err, errlen, "socket path under %s is too long", d->cfg.dir);
		return -1;
	}
	snprintf(d->sock_path, sizeof d->sock_path, "%s", sa.sun_path);
	/* We hold the lock: a socket file left here is stale. */
	unlink(sa.sun_path);
	d->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->lfd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	mode_t old = umask(0177);
	int r = bind(d->lfd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (r != 0) {
		snprintf(err, errlen, "bind %s: %s", sa.sun_path, strerror(errno));
		return -1;
	}
	if (listen(d->lfd, 128) != 0) {
		snprintf(err, errlen, "listen: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void transport_unlisten(struct daemon *d)
{
	if (d->lfd < 0)
		return;
	unlink(d->sock_path);
	daemon_unwatch(d, d->lfd);
	close(d->lfd);
	d->lfd = -1;
}

struct conn *conn_add(struct daemon *d, int fd, pid_t pid, uid_t uid)
{
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->id = d->next_id++;
	c->fd = fd;
	c->pid = pid;
	c->uid = uid;
	if (daemon_watch(d, fd, TAG_CONN_MIN + c->id) != 0 && !d->cfg.no_listen) {
		free(c);
		return NULL;
	}
	c->next = d->conns;
	d->conns = c;
	return c;
}

struct conn *conn_find(struct daemon *d, uint64_t id)
{
	for (struct conn *c = d->conns; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

void conn_close(struct daemon *d, struct conn *c)
{
	for (struct conn **pp = &d->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	if (c->app) {
		app_gone(d, c->app);
		c->app = NULL;
	}
	daemon_unwatch(d, c->fd);
	close(c->fd);
	free(c);
	ops_check(d, 0); /* an op may have waited for this app */
}

static int reply_record(int fd, struct rt_msg_buf *b, uint64_t seq, int status, uint32_t flags,
			const char *text, size_t n)
{
	rt_msg_init(b, RT_MSG_REPLY, seq);
	struct rt_msg_reply rep = { .status = status, .flags = flags, .text_len = (uint32_t)n + 1 };
	rt_msg_put(b, &rep, sizeof rep);
	rt_msg_put(b, text, n);
	rt_msg_put(b, NULL, 1);
	return rt_msg_send(fd, b, -1, MSG_DONTWAIT);
}

int send_reply(struct conn *c, uint64_t seq, int status, const char *text)
{
	struct rt_msg_buf *b = malloc(sizeof *b);
	if (!b) {
		c->closing = 1;
		return -1;
	}
	size_t left = strlen(text);
	const size_t chunk = sizeof b->payload - sizeof(struct rt_msg_reply) - 1;
	int r = 0;
	do {
		size_t n = left < chunk ? left : chunk;
		r = reply_record(c->fd, b, seq, status, left > n ? RT_REPLY_MORE : 0, text, n);
		text += n;
		left -= n;
	} while (r == 0 && left);
	free(b);
	if (r != 0) {
		logm(LOG_WARN, "cannot answer pid %d: %s", (int)c->pid, strerror(-r));
		c->closing = 1;
	}
	return r;
}

int send_replyf(struct conn *c, uint64_t seq, int status, const char *fmt, ...)
{
	char msg[RT_PATH_MAX + 256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	send_reply(c, seq, status, msg);
	return 0; /* the connection stays usable */
}

/* Answers why, then closes. Reading is shut down and what the peer sent
 * already is discarded first: closing with unread data would reset the
 * connection before the peer reads our answer. */
static void refuse(struct daemon *d, int fd, const char *why)
{
	shutdown(fd, SHUT_RD);
	for (int i = 0; i < 64; i++) {
		int fds[RT_MSG_MAX_FDS];
		uint32_t nfds;
		ssize_t n = rt_msg_recv(fd, d->rx_buf, fds, &nfds, MSG_DONTWAIT);
		for (uint32_t k = 0; k < nfds; k++)
			close(fds[k]);
		if (n <= 0 && n != -EPROTO)
			break;
	}
	struct rt_msg_buf *b = malloc(sizeof *b);
	if (b) {
		reply_record(fd, b, 0, -EACCES, 0, why, strlen(why));
		free(b);
	}
	close(fd);
}

static int count_conns(const struct daemon *d)
{
	int n = 0;
	for (const struct conn *c = d->conns; c; c = c->next)
		n++;
	return n;
}

void transport_accept(struct daemon *d)
{
	for (;;) {
		int fd = accept4(d->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				logm(LOG_WARN, "accept: %s", strerror(errno));
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		struct ucred cr;
		socklen_t len = sizeof cr;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || len != sizeof cr) {
			logm(LOG_WARN, "no peer credentials on a connection: refused");
			close(fd);
			continue;
		}
		if (cr.uid != d->uid) {
			logm(LOG_WARN, "refused a connection from uid %u (pid %d): this daemon serves uid %u only",
			     (unsigned)cr.uid, (int)cr.pid, (unsigned)d->uid);
			refuse(d, fd, "permission denied: this rseqtraced belongs to another user");
			continue;
		}
		if (d->quit || count_conns(d) >= MAX_CONNS) {
			refuse(d, fd, d->quit ? "the daemon is shutting down" : "too many connections");
			continue;
		}
		if (!conn_add(d, fd, cr.pid, cr.uid)) {
			logm(LOG_ERR, "out of memory for a connection");
			close(fd);
		}
	}
}

static int is_cli_type(uint16_t t)
{
	return t >= RT_MSG_CREATE && t <= RT_MSG_ADD_CONTEXT;
}

static int is_app_type(uint16_t t)
{
	return t == RT_MSG_APP_REGISTER || t == RT_MSG_APP_EVENTS ||
	       t == RT_MSG_APP_READY_REQ || t == RT_MSG_APP_SYNC_ACK;
}

int conn_dispatch(struct daemon *d, struct conn *c, const void *buf, size_t n,
		  int *fds, uint32_t nfds)
{
	struct rt_msg *m = malloc(sizeof *m);
	char why[128];
	int r = -1;
	if (!m)
		goto out;
	if (rt_msg_decode(buf, n, nfds, m, why, sizeof why) != 0) {
		logm(LOG_WARN, "pid %d sent a malformed message (%s): connection closed",
		     (int)c->pid, why);
		goto out;
	}
	uint16_t t = m->hdr.type;
	if (c->role == CONN_NEW)
		c->role = t == RT_MSG_APP_REGISTER ? CONN_APP : CONN_CLI;
	if (c->role == CONN_CLI && is_cli_type(t))
		r = cli_dispatch(d, c, m);
	else if (c->role == CONN_APP && is_app_type(t))
		r = app_dispatch(d, c, m);
	else
		logm(LOG_WARN, "pid %d sent message type %u out of place: connection closed",
		     (int)c->pid, t);
out:
	for (uint32_t i = 0; i < nfds; i++)
		close(fds[i]); /* peers never send us descriptors we keep */
	free(m);
	return r;
}

void conn_read(struct daemon *d, struct conn *c)
{
	for (int i = 0; i < MSGS_PER_WAKEUP; i++) {
		int fds[RT_MSG_MAX_FDS];
		uint32_t nfds;
		ssize_t n = rt_msg_recv(c->fd, d->rx_buf, fds, &nfds, MSG_DONTWAIT);
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			if (n < 0 && n != -ECONNRESET)
				logm(LOG_WARN, "pid %d: %s: connection closed", (int)c->pid,
				     n == -EPROTO ? "truncated message or stray control data"
						  : strerror((int)-n));
			conn_close(d, c);
			return;
		}
		if (conn_dispatch(d, c, d->rx_buf, (size_t)n, fds, nfds) != 0 || c->closing) {
			conn_close(d, c);
			return;
		}
	}
}
