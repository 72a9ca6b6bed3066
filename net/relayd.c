/* SPDX-License-Identifier: MIT */
/* lttng-relayd client (relayd.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "net/relayd.h"

/* ---- encoding ----------------------------------------------------------------- */

static uint64_t get_be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static void hdr_encode(uint8_t *p, uint32_t cmd, uint64_t size)
{
	memset(p, 0, RELAYD_HDR_LEN);      /* circuit_id 0, cmd_version 0 */
	ctf_put_be64(p + 8, size);
	ctf_put_be32(p + 16, cmd);
}

int relayd_parse_generic(const uint8_t *p, size_t n)
{
	return n == RELAYD_GENERIC_REPLY_LEN && get_be(p, 4) == RELAYD_OK ? 0 : -EPROTO;
}

int relayd_parse_version(const uint8_t *p, size_t n, uint32_t *minor)
{
	if (n != RELAYD_VERSION_LEN || get_be(p, 4) != RELAYD_MAJOR)
		return -EPROTO;
	uint64_t m = get_be(p + 4, 4);
	if (m < RELAYD_MIN_MINOR)
		return -EPROTO;
	*minor = m < RELAYD_MINOR_NEW ? (uint32_t)m : RELAYD_MINOR_NEW; /* capped by the caller */
	return 0;
}

int relayd_parse_status(const uint8_t *p, size_t n, uint64_t *id)
{
	if (n != RELAYD_STATUS_LEN || get_be(p + 8, 4) != RELAYD_OK)
		return -EPROTO;
	*id = get_be(p, 8);
	return 0;
}

int relayd_name_ok(const char *s, size_t max)
{
	size_t n = s ? strnlen(s, max) : 0;
	if (n == 0 || n >= max || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || (unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

/* ---- I/O with a deadline ------------------------------------------------------- */

static int fail(struct relayd_conn *c, int e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct relayd_conn *c, int e, const char *fmt, ...)
{
	if (c->err)
		return c->err;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof c->why, fmt, ap);
	va_end(ap);
	c->err = e;
	return e;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(int fd, short ev, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = fd, .events = ev };
		int r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

/* All of iov, non-blocking sends under one deadline. */
static int send_all(struct relayd_conn *c, int fd, struct iovec *iov, int n, const char *what)
{
	if (c->err)
		return c->err;
	int64_t deadline = now_ms() + c->timeout_ms;
	while (n > 0) {
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)n };
		ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			int e = errno == EAGAIN ? wait_fd(fd, POLLOUT, deadline) : -errno;
			if (e)
				return fail(c, e, "sending %s: %s", what, strerror(-e));
			continue;
		}
		size_t left = (size_t)w;
		while (n > 0 && left >= iov->iov_len) {
			left -= iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + left;
			iov->iov_len -= left;
		}
	}
	return 0;
}

static int recv_all(struct relayd_conn *c, uint8_t *buf, size_t len, const char *what)
{
	if (c->err)
		return c->err;
	int64_t deadline = now_ms() + c->timeout_ms;
	size_t got = 0;
	while (got < len) {
		ssize_t r = recv(c->ctrl, buf + got, len - got, MSG_DONTWAIT);
		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == 0)
			return fail(c, -ECONNRESET, "%s: the relayd closed the connection", what);
		if (errno == EINTR)
			continue;
		int e = errno == EAGAIN ? wait_fd(c->ctrl, POLLIN, deadline) : -errno;
		if (e)
			return fail(c, e, "%s: %s", what, e == -ETIMEDOUT ? "no reply" : strerror(-e));
	}
	return 0;
}

/* A command on the control socket: header, fixed part, optional bytes. */
static int command(struct relayd_conn *c, uint32_t cmd, const void *fixed, size_t flen,
		   const void *extra, size_t elen, const char *what)
{
	uint8_t h[RELAYD_HDR_LEN];
	hdr_encode(h, cmd, flen + elen);
	struct iovec iov[3] = { { h, sizeof h }, { (void *)fixed, flen }, { (void *)extra, elen } };
	return send_all(c, c->ctrl, iov, elen ? 3 : 2, what);
}

static int reply_generic(struct relayd_conn *c, const char *what)
{
	uint8_t r[RELAYD_GENERIC_REPLY_LEN];
	int e = recv_all(c, r, sizeof r, what);
	if (!e && relayd_parse_generic(r, sizeof r))
		e = fail(c, -EPROTO, "%s: refused by the relayd (code %u)", what,
			 (unsigned)get_be(r, 4));
	return e;
}

static int reply_status(struct relayd_conn *c, uint64_t *id, const char *what)
{
	uint8_t r[RELAYD_STATUS_LEN];
	int e = recv_all(c, r, sizeof r, what);
	if (!e && relayd_parse_status(r, sizeof r, id))
		e = fail(c, -EPROTO, "%s: refused by the relayd (code %u)", what,
			 (unsigned)get_be(r + 8, 4));
	return e;
}

/* ---- connection ------------------------------------------------------------------ */

static int connect_one(const char *host, uint16_t port, int64_t deadline, int *fd_out, char *why,
		       size_t whylen)
{
	char ps[8];
	snprintf(ps, sizeof ps, "%u", port);
	/* numeric only: a name lookup could block past any timeout */
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV | AI_NUMERICHOST };
	struct addrinfo *ai;
	int g = getaddrinfo(host, ps, &hints, &ai);
	if (g) {
		snprintf(why, whylen, "cannot resolve %s: %s", host, gai_strerror(g));
		return -EHOSTUNREACH;
	}
	int e = -ECONNREFUSED;
	for (struct addrinfo *a = ai; a; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				a->ai_protocol);
		if (fd < 0) {
			e = -errno;
			continue;
		}
		int r = connect(fd, a->ai_addr, a->ai_addrlen);
		if (r < 0 && errno == EINPROGRESS) {
			r = wait_fd(fd, POLLOUT, deadline);
			if (r == 0) {
				int so = 0;
				socklen_t sl = sizeof so;
				getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl);
				r = so ? -so : 0;
			}
		} else if (r < 0) {
			r = -errno;
		}
		if (r == 0) {
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			*fd_out = fd;
			freeaddrinfo(ai);
			return 0;
		}
		close(fd);
		e = r;
	}
	freeaddrinfo(ai);
	snprintf(why, whylen, "cannot connect to %s:%u: %s", host, port,
		 e == -ETIMEDOUT ? "timed out" : strerror(-e));
	return e;
}

int relayd_start(struct relayd_conn *c, int ctrl, int data, int timeout_ms, uint32_t announce)
{
	*c = (struct relayd_conn){ .ctrl = ctrl, .data = data, .timeout_ms = timeout_ms };
	uint8_t v[RELAYD_VERSION_LEN];
	ctf_put_be32(v, RELAYD_MAJOR);
	ctf_put_be32(v + 4, announce);
	int e = command(c, RELAYD_VERSION, v, sizeof v, NULL, 0, "VERSION");
	if (!e)
		e = recv_all(c, v, sizeof v, "VERSION");
	if (e)
		return e;
	c->their_minor = (uint32_t)get_be(v + 4, 4);
	if (relayd_parse_version(v, sizeof v, &c->minor))
		return fail(c, -EPROTO, "relayd protocol %u.%u: %u.%u or later 2.x wanted",
			    (unsigned)get_be(v, 4), (unsigned)get_be(v + 4, 4), RELAYD_MAJOR,
			    RELAYD_MIN_MINOR);
	if (c->minor > announce)
		c->minor = announce; /* both use the smaller */
	return 0;
}

int relayd_connect(struct relayd_conn *c, const char *host, uint16_t ctrl_port,
		   uint16_t data_port, int timeout_ms, uint32_t announce)
{
	*c = (struct relayd_conn){ .ctrl = -1, .data = -1, .timeout_ms = timeout_ms };
	int64_t deadline = now_ms() + timeout_ms;
	int ctrl = -1, data = -1;
	int e = connect_one(host, ctrl_port, deadline, &ctrl, c->why, sizeof c->why);
	if (!e)
		e = connect_one(host, data_port, deadline, &data, c->why, sizeof c->why);
	if (e) {
		if (ctrl >= 0)
			close(ctrl);
		c->err = e;
		return e;
	}
	e = relayd_start(c, ctrl, data, timeout_ms, announce);
	if (e) {
		char why[sizeof c->why];
		memcpy(why, c->why, sizeof why);
		relayd_close(c);
		memcpy(c->why, why, sizeof why);
		c->err = e;
	}
	return e;
}

void relayd_close(struct relayd_conn *c)
{
	if (c->ctrl >= 0)
		close(c->ctrl);
	if (c->data >= 0)
		close(c->data);
	c->ctrl = c->data = -1;
	if (!c->err)
		c->err = -ENOTCONN;
}

/* ---- commands ---------------------------------------------------------------------- */

/* 2.11: lengths, the live timer, a session uuid, then the names; the
 * reply carries the output path (bounded, read and dropped); then the
 * trace chunk every stream is created in. */
static int create_session_2_11(struct relayd_conn *c, const char *name, const char *hostname,
			       uint32_t live_timer_us, uint64_t *session_id)
{
	uint8_t p[59] = { 0 };
	size_t nl = strlen(name) + 1, hl = strlen(hostname) + 1;
	ctf_put_be32(p, (uint32_t)nl);
	ctf_put_be32(p + 4, (uint32_t)hl);
	ctf_put_be32(p + 8, 1);                    /* base path: "" (the relayd's default) */
	ctf_put_be32(p + 12, live_timer_us);
	/* p[16] snapshot 0, p[17] name_contains_creation_time 0 */
	if (getrandom(p + 18, 16, 0) != 16)
		return fail(c, -EIO, "no random session uuid");
	p[18] |= 1;                                /* never nil */
	uint64_t now = (uint64_t)time(NULL);
	ctf_put_be64(p + 34, now ^ (uint64_t)getpid() << 32); /* the session id on our side */
	ctf_put_be64(p + 42, now);                 /* creation time */
	/* p[50..58]: current chunk id, not set */
	char names[RELAYD_SESSION_NAME_MAX + RELAYD_HOSTNAME_MAX + 1];
	memcpy(names, name, nl);
	memcpy(names + nl, hostname, hl);
	names[nl + hl] = '\0';
	int e = command(c, RELAYD_CREATE_SESSION, p, sizeof p, names, nl + hl + 1, "CREATE_SESSION");
	if (!e)
		e = reply_status(c, session_id, "CREATE_SESSION");
	uint8_t lenb[4];
	if (!e)
		e = recv_all(c, lenb, sizeof lenb, "CREATE_SESSION");
	uint64_t plen = e ? 0 : get_be(lenb, 4);
	if (!e && plen > RELAYD_PATH_MAX)
		e = fail(c, -EPROTO, "CREATE_SESSION: output path of %llu bytes",
			 (unsigned long long)plen);
	uint8_t path[RELAYD_PATH_MAX];
	if (!e && plen)
		e = recv_all(c, path, (size_t)plen, "CREATE_SESSION");
	if (e)
		return e;
	uint8_t ch[20] = { 0 };                    /* chunk 0, created now, no name */
	ctf_put_be64(ch + 8, now);
	e = command(c, RELAYD_CREATE_TRACE_CHUNK, ch, sizeof ch, NULL, 0, "CREATE_TRACE_CHUNK");
	return e ? e : reply_generic(c, "CREATE_TRACE_CHUNK");
}

int relayd_create_session(struct relayd_conn *c, const char *name, const char *hostname,
			  uint32_t live_timer_us, uint64_t *session_id)
{
	if (!relayd_name_ok(name, RELAYD_SESSION_NAME_MAX) ||
	    !relayd_name_ok(hostname, RELAYD_HOSTNAME_MAX))
		return fail(c, -EINVAL, "session or host name not usable as a relayd path");
	if (c->minor >= RELAYD_MINOR_CHUNKS)
		return create_session_2_11(c, name, hostname, live_timer_us, session_id);
	uint8_t p[RELAYD_CREATE_2_4_LEN] = { 0 };
	memcpy(p, name, strlen(name));
	memcpy(p + RELAYD_SESSION_NAME_MAX, hostname, strlen(hostname));
	ctf_put_be32(p + RELAYD_SESSION_NAME_MAX + RELAYD_HOSTNAME_MAX, live_timer_us);
	/* snapshot: 0 (the relayd keeps no index for snapshot sessions) */
	int e = command(c, RELAYD_CREATE_SESSION, p, sizeof p, NULL, 0, "CREATE_SESSION");
	return e ? e : reply_status(c, session_id, "CREATE_SESSION");
}

int relayd_add_stream(struct relayd_conn *c, const char *channel, const char *base,
		      const char *rel, uint64_t *handle)
{
	char path[RELAYD_PATH_MAX];
	int w = c->minor >= RELAYD_MINOR_CHUNKS ? snprintf(path, sizeof path, "%s", rel)
						: snprintf(path, sizeof path, "%s/%s", base, rel);
	size_t cl = strlen(channel), pl = w > 0 ? (size_t)w : 0;
	if (cl == 0 || cl >= RELAYD_CHANNEL_MAX || pl == 0 || pl >= RELAYD_PATH_MAX)
		return fail(c, -EINVAL, "stream name or path too long");
	int e;
	if (c->minor >= RELAYD_MINOR_CHUNKS) {
		/* lengths with their NUL, tracefile size and count 0, chunk 0 */
		uint8_t p[32] = { 0 };
		char names[RELAYD_CHANNEL_MAX + RELAYD_PATH_MAX];
		ctf_put_be32(p, (uint32_t)cl + 1);
		ctf_put_be32(p + 4, (uint32_t)pl + 1);
		memcpy(names, channel, cl + 1);
		memcpy(names + cl + 1, path, pl + 1);
		e = command(c, RELAYD_ADD_STREAM, p, sizeof p, names, cl + pl + 2, "ADD_STREAM");
	} else {
		uint8_t *p = calloc(1, RELAYD_ADD_STREAM_2_2_LEN);
		if (!p)
			return -ENOMEM;
		memcpy(p, channel, cl);
		memcpy(p + RELAYD_CHANNEL_MAX, path, pl);
		/* tracefile size and count: 0, one file per stream */
		e = command(c, RELAYD_ADD_STREAM, p, RELAYD_ADD_STREAM_2_2_LEN, NULL, 0, "ADD_STREAM");
		free(p);
	}
	return e ? e : reply_status(c, handle, "ADD_STREAM");
}

int relayd_streams_sent(struct relayd_conn *c)
{
	int e = command(c, RELAYD_STREAMS_SENT, NULL, 0, NULL, 0, "STREAMS_SENT");
	return e ? e : reply_generic(c, "STREAMS_SENT");
}

int relayd_send_metadata(struct relayd_conn *c, uint64_t handle, const void *buf, size_t len)
{
	uint8_t p[12];
	ctf_put_be64(p, handle);
	ctf_put_be32(p + 8, 0); /* padding */
	return command(c, RELAYD_SEND_METADATA, p, sizeof p, buf, len, "SEND_METADATA");
}

int relayd_send_packet(struct relayd_conn *c, uint64_t handle, uint64_t net_seq,
		       const struct iovec *iov, int n, size_t len)
{
	if (n > 4 || len > UINT32_MAX)
		return -EINVAL;
	uint8_t h[RELAYD_DATA_HDR_LEN] = { 0 };
	ctf_put_be64(h + 8, handle);
	ctf_put_be64(h + 16, net_seq);
	ctf_put_be32(h + 24, (uint32_t)len);
	struct iovec v[5] = { { h, sizeof h } };
	memcpy(v + 1, iov, (size_t)n * sizeof *iov);
	return send_all(c, c->data, v, n + 1, "a packet");
}

int relayd_send_index(struct relayd_conn *c, uint64_t handle, uint64_t net_seq,
		      const struct ctf_index_entry *e)
{
	uint8_t p[RELAYD_INDEX_LEN];
	const uint64_t v[10] = { handle, net_seq, e->packet_size, e->content_size,
				 e->timestamp_begin, e->timestamp_end, e->events_discarded,
				 e->stream_id, e->stream_instance_id, e->packet_seq_num };
	for (int i = 0; i < 10; i++)
		ctf_put_be64(p + 8 * i, v[i]);
	size_t len = c->minor >= 8 ? RELAYD_INDEX_LEN : RELAYD_INDEX_OLD_LEN;
	int r = command(c, RELAYD_SEND_INDEX, p, len, NULL, 0, "SEND_INDEX");
	return r ? r : reply_generic(c, "SEND_INDEX");
}

int relayd_close_stream(struct relayd_conn *c, uint64_t handle, uint64_t last_seq)
{
	uint8_t p[16];
	ctf_put_be64(p, handle);
	ctf_put_be64(p + 8, last_seq);
	int e = command(c, RELAYD_CLOSE_STREAM, p, sizeof p, NULL, 0, "CLOSE_STREAM");
	return e ? e : reply_generic(c, "CLOSE_STREAM");
}
