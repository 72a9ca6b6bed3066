/* SPDX-License-Identifier: MIT */
/* Connections (transport.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/time.h"
#include "consumerd/daemon.h"
#include "consumerd/log.h"
#include "consumerd/registry.h"
#include "consumerd/session.h"
#include "consumerd/transport.h"
#include "protocol/codec.h"

/* Connections past their first message (apps and CLIs); apps may not
 * take the last CLI_RESERVE of them. */
#define MAX_CONNS 4096
#define CLI_RESERVE 64
/* Connections that sent nothing yet. When full, the oldest is closed for
 * a new one: an honest peer speaks right after connecting. */
#define MAX_NEW_CONNS 256
/* From one process (SO_PEERCRED pid): an app holds one, a CLI one. The
 * daemon serves one uid only, so MAX_CONNS is the per-uid cap. */
#define MAX_CONNS_PER_PID 32
#define MSGS_PER_WAKEUP 64
#define ACCEPTS_PER_WAKEUP 64
/* Out of descriptors: how long the listening socket is not polled. */
#define ACCEPT_PAUSE_MS 250
/* The period of conn_tfd while anything is timed. */
#define TICK_MS 250
/* Queued answer text per connection. */
#define OUT_MAX_BYTES (256u << 20)
/* Repeated conditions (refusals, timeouts, EMFILE): one log line per. */
#define LOG_EVERY_MS 10000

/* What a connection has still to send, oldest first: an answer's text
 * (text[off..len) is what is left), or a whole record to an app (rec, with
 * descriptors of its own, closed once sent). len counts toward
 * OUT_MAX_BYTES. */
struct reply_out {
	struct reply_out *next;
	uint64_t seq;
	int32_t status;
	size_t len, off;
	struct rt_msg_buf *rec;
	int fds[RT_MSG_MAX_FDS];
	uint32_t nfds;
	char text[];
};

static void out_free(struct reply_out *o)
{
	for (uint32_t i = 0; i < o->nfds; i++)
		close(o->fds[i]);
	free(o->rec);
	free(o);
}

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
	/* Each connection is a descriptor: let the caps above, not the
	 * default soft limit (often 1024), bound them. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	d->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
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
	d->accept_resume_ms = 0;
	if (d->spare_fd >= 0)
		close(d->spare_fd);
	d->spare_fd = -1;
}

/* conn_tfd ticks while something is timed; transport_tick stops it. */
static void tick_start(struct daemon *d)
{
	if (d->conn_tfd_armed || d->conn_tfd < 0)
		return;
	struct itimerspec it = { .it_interval = rt_ms_timespec(TICK_MS),
				 .it_value = rt_ms_timespec(TICK_MS) };
	if (timerfd_settime(d->conn_tfd, 0, &it, NULL) == 0)
		d->conn_tfd_armed = 1;
}

static void tick_stop(struct daemon *d)
{
	struct itimerspec it = { 0 };
	timerfd_settime(d->conn_tfd, 0, &it, NULL);
	d->conn_tfd_armed = 0;
}

static void set_deadline(struct conn *c)
{
	c->deadline_ms = rt_now_ms() + (uint64_t)c->d->cfg.peer_timeout_ms;
	tick_start(c->d);
}

struct conn *conn_add(struct daemon *d, int fd, pid_t pid, uid_t uid)
{
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->d = d;
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
	d->conns_by_role[CONN_NEW]++;
	set_deadline(c); /* for its first message */
	return c;
}

static void set_role(struct daemon *d, struct conn *c, enum conn_role role)
{
	d->conns_by_role[c->role]--;
	d->conns_by_role[role]++;
	c->role = role;
	c->deadline_ms = 0;
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
	d->conns_by_role[c->role]--;
	if (c->app) {
		app_gone(d, c->app);
		c->app = NULL;
	}
	while (c->out) {
		struct reply_out *o = c->out;
		c->out = o->next;
		out_free(o);
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

/* Sends what c's queue holds until it is empty or the peer's socket is
 * full; then watches c for input, or for room to send (and not for input:
 * a peer that does not read its answers gets no more of them). The peer
 * has peer_timeout_ms to make room each time. 0, or -1: close c. */
static int conn_flush(struct conn *c)
{
	if (!c->out)
		return 0;
	struct rt_msg_buf *b = malloc(sizeof *b);
	if (!b)
		return -1;
	const size_t chunk = sizeof b->payload - sizeof(struct rt_msg_reply) - 1;
	int r = 0, progress = 0;
	while (c->out) {
		struct reply_out *o = c->out;
		if (o->rec) {
			r = rt_msg_send_fds(c->fd, o->rec, o->fds, o->nfds, MSG_DONTWAIT);
			if (r != 0)
				break;
			progress = 1;
			c->out = o->next;
			c->out_bytes -= o->len;
			out_free(o);
			continue;
		}
		size_t n = o->len - o->off < chunk ? o->len - o->off : chunk;
		int more = o->off + n < o->len;
		r = reply_record(c->fd, b, o->seq, o->status, more ? RT_REPLY_MORE : 0,
				 o->text + o->off, n);
		if (r != 0)
			break;
		progress = 1;
		o->off += n;
		if (!more) {
			c->out = o->next;
			c->out_bytes -= o->len;
			out_free(o);
		}
	}
	free(b);
	if (r != 0 && r != -EAGAIN) {
		logm(LOG_WARN, "cannot answer pid %d: %s", (int)c->pid, strerror(-r));
		return -1;
	}
	if (!c->out)
		c->deadline_ms = 0;
	else if (progress || !c->deadline_ms)
		set_deadline(c);
	daemon_rewatch(c->d, c->fd, TAG_CONN_MIN + c->id, c->out ? EPOLLOUT : EPOLLIN);
	return 0;
}

/* Appends o to c's queue and sends what the socket takes. 0, or -1: c is
 * to be closed (c->closing). */
static int queue_out(struct conn *c, struct reply_out *o)
{
	struct reply_out **pp = &c->out;
	while (*pp)
		pp = &(*pp)->next;
	*pp = o;
	c->out_bytes += o->len;
	if (conn_flush(c) != 0) {
		c->closing = 1;
		return -1;
	}
	return 0;
}

int send_reply(struct conn *c, uint64_t seq, int status, const char *text)
{
	if (c->closing)
		return -1;
	size_t len = strlen(text);
	struct reply_out *o = NULL;
	if (c->out_bytes + len <= OUT_MAX_BYTES)
		o = malloc(sizeof *o + len + 1);
	if (!o) {
		logm(LOG_WARN, "cannot answer pid %d: %s", (int)c->pid,
		     c->out_bytes + len > OUT_MAX_BYTES ? "too many answers it did not read"
							: "out of memory");
		c->closing = 1;
		return -1;
	}
	*o = (struct reply_out){ .seq = seq, .status = status, .len = len };
	memcpy(o->text, text, len + 1);
	return queue_out(c, o);
}

int send_record(struct conn *c, struct rt_msg_buf *b, const int *fds, uint32_t nfds)
{
	if (c->closing || nfds > RT_MSG_MAX_FDS)
		return -EINVAL;
	if (!c->out) {
		int r = rt_msg_send_fds(c->fd, b, fds, nfds, MSG_DONTWAIT);
		if (r != -EAGAIN)
			return r;
	}
	/* The socket is full, or older records wait: queue a copy, with
	 * descriptors of its own (the caller keeps and closes its own). */
	struct reply_out *o = NULL;
	if (c->out_bytes + sizeof *b <= OUT_MAX_BYTES && (o = calloc(1, sizeof *o)))
		o->rec = malloc(sizeof *b);
	if (!o || !o->rec) {
		free(o);
		return c->out_bytes + sizeof *b > OUT_MAX_BYTES ? -ENOBUFS : -ENOMEM;
	}
	memcpy(o->rec, b, sizeof *b);
	o->len = sizeof *b;
	for (; o->nfds < nfds; o->nfds++) {
		o->fds[o->nfds] = fcntl(fds[o->nfds], F_DUPFD_CLOEXEC, 0);
		if (o->fds[o->nfds] < 0) {
			int e = errno;
			out_free(o);
			return -e;
		}
	}
	return queue_out(c, o) == 0 ? 0 : -EPIPE;
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

/* Answers why, before the caller closes fd. Reading is shut down and what
 * the peer sent already is discarded first: closing with unread data would
 * reset the connection before the peer reads our answer. */
static void last_words(struct daemon *d, int fd, const char *why)
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
}

static void refuse(struct daemon *d, int fd, const char *why)
{
	last_words(d, fd, why);
	close(fd);
}

/* The same for a connection we hold. */
static void conn_refuse(struct daemon *d, struct conn *c, const char *why)
{
	last_words(d, c->fd, why);
	conn_close(d, c);
}

static int conns_of_pid(const struct daemon *d, pid_t pid)
{
	int n = 0;
	for (const struct conn *c = d->conns; c; c = c->next)
		n += c->pid == pid;
	return n;
}

static struct conn *oldest_new_conn(struct daemon *d)
{
	struct conn *old = NULL;
	for (struct conn *c = d->conns; c; c = c->next)
		if (c->role == CONN_NEW && (!old || c->id < old->id))
			old = c;
	return old;
}

/* Out of descriptors (EMFILE and the like): accept would fail again at
 * once, and the listening socket stays readable, so the loop would spin.
 * Tell the connections waiting in the backlog why (with the spare
 * descriptor, given up for each), then stop polling the listening socket
 * for ACCEPT_PAUSE_MS; the connections we have are served meanwhile. */
static void accept_pause(struct daemon *d, int err)
{
	int answered = 0;
	for (int i = 0; i < ACCEPTS_PER_WAKEUP && d->spare_fd >= 0; i++) {
		close(d->spare_fd);
		int fd = accept4(d->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			refuse(d, fd, "the daemon is out of file descriptors: try again later");
			answered++;
		}
		d->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			break;
	}
	logm_every(&d->log_no_fds, LOG_EVERY_MS, LOG_WARN,
		   "accept: %s with %u connections open: not accepting for %d ms at a time, "
		   "%d waiting connections told so", strerror(err),
		   d->conns_by_role[CONN_NEW] + d->conns_by_role[CONN_CLI] +
			   d->conns_by_role[CONN_APP], ACCEPT_PAUSE_MS, answered);
	daemon_unwatch(d, d->lfd);
	d->accept_resume_ms = rt_now_ms() + ACCEPT_PAUSE_MS;
	tick_start(d);
}

/* Makes room for a new connection among those that sent nothing yet by
 * closing the oldest of them. Returns how many were closed (0 or 1). */
static int make_room(struct daemon *d)
{
	if (d->conns_by_role[CONN_NEW] < MAX_NEW_CONNS)
		return 0;
	conn_refuse(d, oldest_new_conn(d), "closed: no request yet, and newer connections wait");
	return 1;
}

void transport_accept(struct daemon *d)
{
	int refused = 0, evicted = 0;
	pid_t refused_pid = 0;
	for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		int fd = accept4(d->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				accept_pause(d, errno);
			break;
		}
		struct ucred cr;
		socklen_t len = sizeof cr;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || len != sizeof cr) {
			logm(LOG_WARN, "no peer credentials on a connection: refused");
			close(fd);
			continue;
		}
		if (cr.uid != d->uid) {
			logm_every(&d->log_other_uid, LOG_EVERY_MS, LOG_WARN,
				   "refused a connection from uid %u (pid %d): this daemon serves uid %u only",
				   (unsigned)cr.uid, (int)cr.pid, (unsigned)d->uid);
			refuse(d, fd, "permission denied: this rseqtraced belongs to another user");
			continue;
		}
		if (d->quit) {
			refuse(d, fd, "the daemon is shutting down");
			continue;
		}
		if (conns_of_pid(d, cr.pid) >= MAX_CONNS_PER_PID) {
			refuse(d, fd, "too many connections from this process");
			refused++;
			refused_pid = cr.pid;
			continue;
		}
		evicted += make_room(d);
		struct conn *nc = conn_add(d, fd, cr.pid, cr.uid);
		if (!nc) {
			logm(LOG_ERR, "out of memory for a connection");
			close(fd);
		} else {
			nc->gid = cr.gid; /* for the vgid tracker */
		}
	}
	if (refused)
		logm_every(&d->log_refused, LOG_EVERY_MS, LOG_WARN,
			   "refused %d connections from pid %d: more than %d from one process",
			   refused, (int)refused_pid, MAX_CONNS_PER_PID);
	if (evicted)
		logm_every(&d->log_evicted, LOG_EVERY_MS, LOG_WARN,
			   "%d connections sent nothing yet: closed the oldest %d for newer ones",
			   MAX_NEW_CONNS, evicted);
}

/* A connection's first message gives it its role, within that role's
 * budget; NULL, or why not. */
static const char *role_full(const struct daemon *d, enum conn_role role)
{
	uint32_t established = d->conns_by_role[CONN_CLI] + d->conns_by_role[CONN_APP];
	if (role == CONN_APP && d->conns_by_role[CONN_APP] >= MAX_CONNS - CLI_RESERVE)
		return "too many applications connected";
	if (established >= MAX_CONNS)
		return "too many connections";
	return NULL;
}

void transport_tick(struct daemon *d)
{
	uint64_t now = rt_now_ms();
	int timed = 0, silent = 0, unread = 0;
	if (d->accept_resume_ms && d->lfd >= 0) {
		if (now >= d->accept_resume_ms) {
			d->accept_resume_ms = 0;
			if (daemon_watch(d, d->lfd, TAG_LISTEN) != 0)
				logm(LOG_ERR, "cannot watch the listening socket again: %s",
				     strerror(errno));
		} else {
			timed = 1;
		}
	}
	/* Closing a connection may complete operations: start over each time. */
	for (int again = 1; again;) {
		again = 0;
		for (struct conn *c = d->conns; c; c = c->next) {
			if (!c->deadline_ms)
				continue;
			if (now < c->deadline_ms) {
				timed = 1;
				continue;
			}
			if (c->role == CONN_NEW) {
				conn_refuse(d, c, "closed: no request within the timeout");
				silent++;
			} else {
				conn_close(d, c); /* its socket is full: no last words */
				unread++;
			}
			again = 1;
			break;
		}
	}
	if (!timed)
		tick_stop(d);
	if (silent)
		logm_every(&d->log_silent, LOG_EVERY_MS, LOG_WARN,
			   "closed %d connections that sent nothing within %d ms", silent,
			   d->cfg.peer_timeout_ms);
	if (unread)
		logm_every(&d->log_unread, LOG_EVERY_MS, LOG_WARN,
			   "closed %d connections that did not read their answers for %d ms", unread,
			   d->cfg.peer_timeout_ms);
}

static int is_cli_type(uint16_t t)
{
	return t >= RT_MSG_CREATE && t <= RT_MSG_ROTATE;
}

static int is_app_type(uint16_t t)
{
	return t == RT_MSG_APP_REGISTER || t == RT_MSG_APP_EVENTS ||
	       t == RT_MSG_APP_READY_REQ || t == RT_MSG_APP_SYNC_ACK || t == RT_MSG_APP_GROW;
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
	if (c->role == CONN_NEW) {
		enum conn_role role = t == RT_MSG_APP_REGISTER ? CONN_APP : CONN_CLI;
		const char *full = role_full(d, role);
		if (full) {
			logm_every(&d->log_refused, LOG_EVERY_MS, LOG_WARN, "refused pid %d: %s",
				   (int)c->pid, full);
			last_words(d, c->fd, full); /* overwrites buf: m is not used after */
			goto out;
		}
		set_role(d, c, role);
	}
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

static void conn_read(struct daemon *d, struct conn *c)
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
		if (c->out)
			return; /* no more requests until it has read its answers */
	}
}

void conn_event(struct daemon *d, struct conn *c, uint32_t events)
{
	if (c->out) {
		if (conn_flush(c) != 0) {
			conn_close(d, c);
			return;
		}
		if (c->out)
			return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		conn_read(d, c);
}
