/* SPDX-License-Identifier: MIT */
/* The control protocol's codec: see codec.h and messages.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "protocol/codec.h"

const char *const rt_track_names[RT_TRACK_NR] = { "vpid", "vuid", "vgid" };

static int fail(char *err, size_t errlen, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", what);
	return -EPROTO;
}

/* s[0..cap) holds a NUL and only zero bytes after it (so no data hides). */
static int fixed_str_ok(const char *s, size_t cap)
{
	const char *nul = memchr(s, '\0', cap);
	if (!nul)
		return 0;
	for (const char *p = nul; p < s + cap; p++)
		if (*p)
			return 0;
	return 1;
}

int rt_session_name_ok(const char *s)
{
	if (!*s || *s == '.' || *s == '-')
		return 0;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

int rt_pattern_ok(const char *s)
{
	size_t n = 0;
	for (; s[n]; n++) {
		char c = s[n];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == ':' || c == '.' ||
		      c == '*' || c == '-'))
			return 0;
	}
	return n > 0 && n < RT_PATTERN_MAX;
}


/* A fixed-size name field: "" or a valid name (rt_session_name_ok). */
static int name_field_ok(const char *s, size_t cap)
{
	return fixed_str_ok(s, cap) && (!s[0] || rt_session_name_ok(s));
}

/* Splits the start of var into exactly `count` non-empty NUL-terminated
 * strings; returns the bytes they take, 0 if they are not there. */
static uint32_t split_strings(struct rt_msg *m, uint32_t count)
{
	const char *p = m->var, *end = m->var + m->var_len;
	m->nstr = 0;
	while (m->nstr < count) {
		const char *nul = p < end ? memchr(p, '\0', (size_t)(end - p)) : NULL;
		if (!nul || nul == p)
			return 0;
		m->strs[m->nstr++] = p;
		p = nul + 1;
	}
	return (uint32_t)(p - m->var);
}

/* A filter expression: printable ASCII and tabs (one line), NUL-terminated,
 * exactly n bytes; the daemon parses it. */
static int filter_text_ok(const char *s, uint32_t n)
{
	if (n < 2 || n > RT_FILTER_TEXT_MAX || s[n - 1] != '\0')
		return 0;
	for (uint32_t i = 0; i + 1 < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(c >= 0x20 && c < 0x7f) && c != '\t')
			return 0;
	}
	return 1;
}

static int check_rule(struct rt_msg *m, uint16_t type)
{
	const struct rt_msg_rule *r = m->body;
	if (!name_field_ok(r->session, sizeof r->session) ||
	    !name_field_ok(r->channel, sizeof r->channel))
		return 0;
	if (type == RT_MSG_DISABLE) {
		if (r->loglevel_type != RT_LOGLEVEL_ALL || r->loglevel != 0 ||
		    (r->flags & ~RT_RULE_ALL) || r->nr_exclusions || r->filter_len)
			return 0;
		if (r->flags & RT_RULE_ALL)
			return r->count == 0 && m->var_len == 0;
	} else {
		if (r->flags || r->loglevel_type > RT_LOGLEVEL_SINGLE)
			return 0;
		if (r->loglevel_type == RT_LOGLEVEL_ALL ? r->loglevel != 0
		    : r->loglevel < RT_LOGLEVEL_MIN || r->loglevel > RT_LOGLEVEL_MAX)
			return 0;
		if (r->nr_exclusions > RT_MAX_EXCLUSIONS ||
		    (r->filter_len && (r->filter_len < 2 || r->filter_len > RT_FILTER_TEXT_MAX)))
			return 0;
	}
	if (r->count == 0 || r->count > RT_MAX_PATTERNS)
		return 0;
	uint32_t used = split_strings(m, r->count + r->nr_exclusions);
	if (!used || m->var_len - used != r->filter_len)
		return 0;
	m->nstr = r->count;
	m->nexcl = r->nr_exclusions;
	for (uint32_t i = 0; i < m->nstr + m->nexcl; i++)
		if (!rt_pattern_ok(m->strs[i]))
			return 0;
	if (r->filter_len) {
		m->filter = m->var + used;
		if (!filter_text_ok(m->filter, r->filter_len))
			return 0;
	}
	return 1;
}

static int check_channel(const struct rt_msg_channel *c, uint16_t type)
{
	if (!name_field_ok(c->session, sizeof c->session) || !c->channel[0] ||
	    !name_field_ok(c->channel, sizeof c->channel) || c->reserved)
		return 0;
	if (type == RT_MSG_DISABLE_CHANNEL)
		return !c->set && !c->subbuf_size && !c->num_subbuf && !c->overwrite &&
		       !c->switch_timer_us && !c->read_timer_us && !c->monitor_timer_us &&
		       !c->buffers && !c->blocking_us && !c->tracefile_size && !c->tracefile_count;
	/* Every attribute not set is zero: no data hides in the message. */
	const struct {
		uint32_t bit;
		uint64_t v;
	} attr[] = {
		{ RT_CHA_SUBBUF, c->subbuf_size },
		{ RT_CHA_NUM_SUBBUF, c->num_subbuf },
		{ RT_CHA_OVERWRITE, c->overwrite },
		{ RT_CHA_SWITCH_TIMER, c->switch_timer_us },
		{ RT_CHA_READ_TIMER, c->read_timer_us },
		{ RT_CHA_MONITOR_TIMER, c->monitor_timer_us },
		{ RT_CHA_BLOCKING, c->blocking_us },
		{ RT_CHA_TRACEFILE_SIZE, c->tracefile_size },
		{ RT_CHA_TRACEFILE_COUNT, c->tracefile_count },
		{ RT_CHA_BUFFERS, c->buffers },
	};
	for (size_t i = 0; i < sizeof attr / sizeof attr[0]; i++)
		if (!(c->set & attr[i].bit) && attr[i].v)
			return 0;
	return !(c->set & ~RT_CHA_ALL) && c->overwrite <= 1 && c->buffers <= RT_BUFFERS_PID &&
	       rt_blocking_ok(c->blocking_us);
}

static int check_track(const struct rt_msg *m)
{
	const struct rt_msg_track *t = m->body;
	if (!fixed_str_ok(t->session, sizeof t->session) ||
	    (t->session[0] && !rt_session_name_ok(t->session)))
		return 0;
	if (t->attr >= RT_TRACK_NR || (t->flags & ~RT_TRACK_ALL) || t->reserved)
		return 0;
	if (t->flags & RT_TRACK_ALL ? t->count != 0
	    : t->count == 0 || t->count > RT_TRACK_MAX_VALUES)
		return 0;
	return (uint64_t)t->count * 4 == m->var_len;
}

/* The variable part is exactly count blobs, each a struct rt_msg_desc_len
 * (len 1..max, reserved 0), len bytes and zero padding to 8 (APP_EVENTS'
 * descriptions, APP_FILTER's programs). */
static int check_blobs(const struct rt_msg *m, uint32_t count, uint32_t max)
{
	uint32_t off = 0;
	for (uint32_t i = 0; i < count; i++) {
		struct rt_msg_desc_len dl;
		if (m->var_len - off < sizeof dl)
			return 0;
		memcpy(&dl, m->var + off, sizeof dl);
		off += sizeof dl;
		if (dl.reserved || dl.len == 0 || dl.len > max || rt_pad8(dl.len) > m->var_len - off)
			return 0;
		for (uint32_t p = dl.len; p < rt_pad8(dl.len); p++)
			if (m->var[off + p])
				return 0;
		off += rt_pad8(dl.len);
	}
	return off == m->var_len;
}

/* APP_FILTER: count programs, each a length, its bytes and zero padding. */
static int check_app_filter(const struct rt_msg *m)
{
	const struct rt_msg_app_filter *f = m->body;
	if (f->key == 0 || f->count > RT_FILTER_PROGS_MAX || f->index >= RT_MAX_APP_EVENTS)
		return 0;
	return check_blobs(m, f->count, RT_FILTER_PROG_MAX);
}

int rt_blocking_ok(uint64_t us)
{
	return us == RT_BLOCKING_INF || us <= RT_BLOCKING_MAX_US;
}

static int check_create(const struct rt_msg_create *c)
{
	if (!fixed_str_ok(c->name, sizeof c->name) ||
	    !fixed_str_ok(c->output, sizeof c->output))
		return 0;
	if (c->name[0] && !rt_session_name_ok(c->name))
		return 0;
	if (c->output[0] && c->output[0] != '/')
		return 0;
	if (!fixed_str_ok(c->relayd_host, sizeof c->relayd_host) ||
	    !fixed_str_ok(c->hostname, sizeof c->hostname))
		return 0;
	if (c->relayd_host[0] ? c->output[0] || !c->relayd_ctrl || !c->relayd_data ||
				(c->hostname[0] && !rt_session_name_ok(c->hostname))
			      : c->hostname[0] || c->relayd_ctrl || c->relayd_data || c->live_us)
		return 0;
	/* numeric: the daemon never resolves a name (the CLI did) */
	uint8_t a[16];
	if (c->relayd_host[0] && inet_pton(AF_INET, c->relayd_host, a) != 1 &&
	    inet_pton(AF_INET6, c->relayd_host, a) != 1)
		return 0;
	if (c->buffers > RT_BUFFERS_PID || c->clock > RT_MSG_CLOCK_TSC ||
	    (c->flags & ~(RT_CREATE_SNAPSHOT | RT_CREATE_NO_OUTPUT)) ||
	    !rt_blocking_ok(c->blocking_us))
		return 0;
	/* Geometry is checked by the daemon (rt_check_geometry), which
	 * answers with a message a user can act on. */
	return 1;
}

static int check_events(struct rt_msg *m)
{
	const struct rt_msg_app_events *e = m->body;
	if (e->count == 0 || e->count > RT_MAX_APP_EVENTS ||
	    e->first > RT_MAX_APP_EVENTS - e->count)
		return 0;
	return check_blobs(m, e->count, RT_DESC_MAX);
}

static int check_enable(const struct rt_msg *m)
{
	const struct rt_msg_app_enable *e = m->body;
	if (e->reserved || e->count == 0 || e->count > RT_ENABLE_MAX ||
	    (uint64_t)e->count * sizeof(struct rt_msg_enable_entry) != m->var_len)
		return 0;
	for (uint32_t i = 0; i < e->count; i++) {
		struct rt_msg_enable_entry en;
		memcpy(&en, m->var + i * sizeof en, sizeof en);
		if (en.enabled > 1 || en.reserved || en.index >= RT_MAX_APP_EVENTS)
			return 0;
	}
	return 1;
}

/* Fixed-part size of each type, and the descriptors it must carry.
 * Returns 0 for an unknown type. has_var: a variable part may follow. */
static uint32_t fixed_size(uint16_t type, int *has_var, uint32_t *nfds)
{
	*has_var = 0;
	*nfds = 0;
	switch (type) {
	case RT_MSG_CREATE: return sizeof(struct rt_msg_create);
	case RT_MSG_ENABLE:
	case RT_MSG_DISABLE: *has_var = 1; return sizeof(struct rt_msg_rule);
	case RT_MSG_START:
	case RT_MSG_STOP:
	case RT_MSG_DESTROY:
	case RT_MSG_LIST: return sizeof(struct rt_msg_session);
	case RT_MSG_ADD_CONTEXT: return sizeof(struct rt_msg_context);
	case RT_MSG_ENABLE_CHANNEL:
	case RT_MSG_DISABLE_CHANNEL: return sizeof(struct rt_msg_channel);
	case RT_MSG_TRACK:
	case RT_MSG_UNTRACK: *has_var = 1; return sizeof(struct rt_msg_track);
	case RT_MSG_APP_FILTER: *has_var = 1; return sizeof(struct rt_msg_app_filter);
	case RT_MSG_SNAPSHOT: return sizeof(struct rt_msg_snapshot);
	case RT_MSG_ROTATE: return sizeof(struct rt_msg_rotate);
	case RT_MSG_REPLY: *has_var = 1; return sizeof(struct rt_msg_reply);
	case RT_MSG_APP_REGISTER: return sizeof(struct rt_msg_app_register);
	case RT_MSG_APP_EVENTS: *has_var = 1; return sizeof(struct rt_msg_app_events);
	case RT_MSG_APP_READY_REQ:
	case RT_MSG_APP_SYNC_ACK:
	case RT_MSG_APP_SYNC: return 0;
	case RT_MSG_APP_READY: return sizeof(struct rt_msg_app_ready);
	case RT_MSG_APP_CHANNEL: *nfds = 2; return sizeof(struct rt_msg_app_channel);
	case RT_MSG_APP_CHANNEL_DEL:
	case RT_MSG_APP_ACTIVE:
	case RT_MSG_APP_GROW:
	case RT_MSG_APP_GROWN: return sizeof(struct rt_msg_app_key);
	case RT_MSG_APP_ENABLE: *has_var = 1; return sizeof(struct rt_msg_app_enable);
	}
	return UINT32_MAX;
}

/* The checks that depend on the type, after the framing is known good. */
static int check_body(struct rt_msg *m)
{
	const void *b = m->body;
	switch (m->hdr.type) {
	case RT_MSG_CREATE:
		return check_create(b);
	case RT_MSG_ENABLE:
	case RT_MSG_DISABLE:
		return check_rule(m, m->hdr.type);
	case RT_MSG_START:
	case RT_MSG_STOP:
	case RT_MSG_DESTROY:
	case RT_MSG_LIST: {
		const struct rt_msg_session *s = b;
		uint32_t allowed = m->hdr.type == RT_MSG_LIST ? RT_LIST_KV | RT_LIST_CURRENT : 0;
		return fixed_str_ok(s->session, sizeof s->session) &&
		       (!s->session[0] || rt_session_name_ok(s->session)) &&
		       !(s->flags & ~allowed) && !s->reserved;
	}
	case RT_MSG_ADD_CONTEXT: {
		const struct rt_msg_context *x = b;
		return name_field_ok(x->session, sizeof x->session) &&
		       name_field_ok(x->channel, sizeof x->channel) &&
		       x->contexts && !(x->contexts & ~RT_CTX_ALL) && !x->reserved;
	}
	case RT_MSG_ENABLE_CHANNEL:
	case RT_MSG_DISABLE_CHANNEL:
		return check_channel(b, m->hdr.type);
	case RT_MSG_ROTATE: {
		const struct rt_msg_rotate *x = b;
		return fixed_str_ok(x->session, sizeof x->session) &&
		       (!x->session[0] || rt_session_name_ok(x->session)) &&
		       !(x->flags & ~RT_ROTATE_NO_WAIT) && (x->action == RT_ROT_NOW || !x->flags) &&
		       x->action <= RT_ROT_DISABLE &&
		       (x->action == RT_ROT_NOW ? !x->timer_us && !x->size : x->timer_us || x->size);
	}
	case RT_MSG_SNAPSHOT: {
		const struct rt_msg_snapshot *x = b;
		return fixed_str_ok(x->session, sizeof x->session) &&
		       (!x->session[0] || rt_session_name_ok(x->session)) &&
		       fixed_str_ok(x->name, sizeof x->name) &&
		       (!x->name[0] || rt_session_name_ok(x->name)) &&
		       fixed_str_ok(x->output, sizeof x->output) &&
		       (!x->output[0] || x->output[0] == '/' || !strncmp(x->output, "net://", 6)) &&
		       x->action <= RT_SNAP_LIST_OUTPUT;
	}
	case RT_MSG_REPLY: {
		const struct rt_msg_reply *r = b;
		if ((r->flags & ~RT_REPLY_MORE) || r->reserved || r->status > 0 ||
		    r->status < -4095 || r->text_len != m->var_len || r->text_len == 0 ||
		    m->var[m->var_len - 1] != '\0' || memchr(m->var, '\0', m->var_len - 1))
			return 0;
		m->nstr = 1;
		m->strs[0] = m->var;
		return 1;
	}
	case RT_MSG_APP_REGISTER: {
		const struct rt_msg_app_register *r = b;
		return !(r->flags & ~RT_APP_FLAGS) && r->bits_per_long == 64 &&
		       (!(r->flags & RT_APP_CID) || (r->flags & RT_APP_RSEQ)) &&
		       r->nr_start >= 1 && r->nr_start <= RT_MAX_INDEX && !r->reserved &&
		       r->vpid != 0 && fixed_str_ok(r->procname, sizeof r->procname);
	}
	case RT_MSG_APP_EVENTS:
		return check_events(m);
	case RT_MSG_TRACK:
	case RT_MSG_UNTRACK:
		return check_track(m);
	case RT_MSG_APP_FILTER:
		return check_app_filter(m);
	case RT_MSG_APP_READY: {
		const struct rt_msg_app_ready *r = b;
		return r->status <= 0 && r->status >= -4095 &&
		       (r->status == -E2BIG ? r->events_max != 0 : !r->events_max);
	}
	case RT_MSG_APP_CHANNEL: {
		const struct rt_msg_app_channel *c = b;
		return c->key != 0 && !(c->flags & ~RT_CHAN_FLAGS) && !(c->contexts & ~RT_CTX_ALL) &&
		       rt_blocking_ok(c->blocking_us) && c->nr_ready >= 1 &&
		       c->nr_ready <= RT_MAX_INDEX && !c->reserved;
	}
	case RT_MSG_APP_CHANNEL_DEL:
	case RT_MSG_APP_ACTIVE: {
		const struct rt_msg_app_key *k = b;
		uint32_t maxv = m->hdr.type == RT_MSG_APP_ACTIVE ? 1 : 0;
		return k->key != 0 && k->value <= maxv && !k->reserved;
	}
	case RT_MSG_APP_GROW:
	case RT_MSG_APP_GROWN: {
		const struct rt_msg_app_key *k = b;
		return k->key != 0 && k->value >= 1 && k->value <= RT_MAX_INDEX && !k->reserved;
	}
	case RT_MSG_APP_ENABLE:
		return ((const struct rt_msg_app_enable *)b)->key != 0 && check_enable(m);
	default:
		return 1; /* bodiless types */
	}
}

int rt_msg_decode(const void *buf, size_t n, uint32_t nfds,
				struct rt_msg *m, char *err, size_t errlen)
{
	memset(m, 0, offsetof(struct rt_msg, strs));
	if (n < sizeof m->hdr)
		return fail(err, errlen, "message shorter than its header");
	if (n > RT_MSG_MAX)
		return fail(err, errlen, "message longer than the protocol allows");
	memcpy(&m->hdr, buf, sizeof m->hdr);
	if (m->hdr.magic != RT_PROTO_MAGIC)
		return fail(err, errlen, "bad magic (not an rseqtrace peer)");
	if (m->hdr.version != RT_PROTO_VERSION)
		return fail(err, errlen, "unsupported protocol version");
	if (m->hdr.len != n - sizeof m->hdr)
		return fail(err, errlen, "length field disagrees with the record size");
	int has_var;
	uint32_t want_fds;
	uint32_t fixed = fixed_size(m->hdr.type, &has_var, &want_fds);
	if (fixed == UINT32_MAX)
		return fail(err, errlen, "unknown message type");
	if (m->hdr.nfds != want_fds || nfds != want_fds)
		return fail(err, errlen, "wrong number of file descriptors");
	if (m->hdr.len < fixed || (!has_var && m->hdr.len != fixed))
		return fail(err, errlen, "payload size does not fit the type");
	const char *p = (const char *)buf + sizeof m->hdr;
	m->body = fixed ? p : NULL;
	m->var = p + fixed;
	m->var_len = m->hdr.len - fixed;
	if (!check_body(m))
		return fail(err, errlen, "invalid field in payload");
	return 0;
}

/* ---- Encoding and transport -------------------------------------------- */

void rt_msg_init(struct rt_msg_buf *b, uint16_t type, uint64_t seq)
{
	memset(&b->hdr, 0, sizeof b->hdr);
	b->hdr.magic = RT_PROTO_MAGIC;
	b->hdr.version = RT_PROTO_VERSION;
	b->hdr.type = type;
	b->hdr.seq = seq;
	b->used = 0;
}

int rt_msg_put(struct rt_msg_buf *b, const void *p, size_t n)
{
	if (n > sizeof b->payload - b->used)
		return -EMSGSIZE;
	if (p)
		memcpy(b->payload + b->used, p, n);
	else
		memset(b->payload + b->used, 0, n);
	b->used += (uint32_t)n;
	return 0;
}


int rt_msg_send_fds(int sock, struct rt_msg_buf *b, const int *fds,
				  uint32_t nfds, int flags)
{
	if (nfds > RT_MSG_MAX_FDS)
		return -EINVAL;
	b->hdr.len = b->used;
	b->hdr.nfds = nfds;
	struct iovec iov[2] = {
		{ .iov_base = &b->hdr, .iov_len = sizeof b->hdr },
		{ .iov_base = b->payload, .iov_len = b->used },
	};
	union {
		char buf[CMSG_SPACE(sizeof(int) * RT_MSG_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = b->used ? 2 : 1 };
	if (nfds > 0) {
		memset(&ctl, 0, sizeof ctl);
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	ssize_t r;
	do
		r = sendmsg(sock, &mh, flags | MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return (size_t)r == sizeof b->hdr + b->used ? 0 : -EMSGSIZE;
}

int rt_msg_send(int sock, struct rt_msg_buf *b, int fd, int flags)
{
	return rt_msg_send_fds(sock, b, &fd, fd >= 0 ? 1 : 0, flags);
}

ssize_t rt_msg_recv(int sock, void *buf, int *fds, uint32_t *nfds, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = RT_MSG_MAX };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf,
	};
	*nfds = 0;
	ssize_t r;
	do
		r = recvmsg(sock, &mh, flags | MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	int bad = (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0)) {
			bad = 1;
			continue;
		}
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
			if (*nfds < RT_MSG_MAX_FDS)
				fds[(*nfds)++] = fd;
			else {
				close(fd);
				bad = 1;
			}
		}
	}
	if (bad) {
		for (uint32_t i = 0; i < *nfds; i++)
			close(fds[i]);
		*nfds = 0;
		return -EPROTO;
	}
	return r;
}

int rt_sock_dir(char *out, size_t n, char *(*getenv_fn)(const char *))
{
	const char *h = getenv_fn(RT_HOME_ENV);
	int w;
	if (h && *h)
		w = snprintf(out, n, "%s", h);
	else if ((h = getenv_fn("XDG_RUNTIME_DIR")) && *h == '/')
		w = snprintf(out, n, "%s/rseqtrace", h);
	else if ((h = getenv_fn("HOME")) && *h == '/')
		w = snprintf(out, n, "%s/.rseqtrace", h);
	else
		return -1;
	/* The socket path must fit in sun_path with "/" RT_SOCK_NAME. */
	if (w < 0 || (size_t)w >= n ||
	    (size_t)w + 1 + sizeof RT_SOCK_NAME > sizeof(((struct sockaddr_un *)0)->sun_path))
		return -1;
	return 0;
}

int rt_sock_addr(const char *dir, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	int w = snprintf(sa->sun_path, sizeof sa->sun_path, "%s/%s", dir, RT_SOCK_NAME);
	return w > 0 && (size_t)w < sizeof sa->sun_path ? 0 : -1;
}
