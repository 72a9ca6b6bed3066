/* SPDX-License-Identifier: MIT */
/*
 * The rseqtrace control protocol: every message between the CLI, the
 * daemon (rseqtraced) and instrumented applications, in one header.
 *
 * Transport: a SOCK_SEQPACKET UNIX socket, so one message is one record
 * and a short or long record is detected by the kernel (MSG_TRUNC). Each
 * record is a struct rt_msg_hdr followed by exactly hdr.len payload bytes;
 * the payload is a fixed part (one struct per type, a multiple of 8 bytes)
 * and, for some types, a variable part. File descriptors travel as
 * SCM_RIGHTS with the daemon-to-app CHANNEL message only (the buffer set's
 * memfd and its wake-up socket); hdr.nfds says how many the sender
 * attached and must match.
 *
 * Everything received is hostile until rt_msg_decode() has accepted it:
 * the magic and version, the payload length against the type, NUL
 * termination inside every fixed-size string, the character set of names,
 * every count against the bytes present, every enum and every reserved
 * field (zero), the number of descriptors. A receiver that gets a message
 * rt_msg_decode() refuses closes that connection and carries on.
 *
 *   CLI -> daemon            daemon -> CLI
 *   CREATE, ENABLE, DISABLE, REPLY (one or more, RT_REPLY_MORE on all
 *   START, STOP, DESTROY,    but the last), hdr.seq echoes the request
 *   LIST, ADD_CONTEXT
 *
 *   app -> daemon            daemon -> app
 *   APP_REGISTER             APP_CHANNEL (+2 fds), APP_CHANNEL_DEL,
 *   APP_EVENTS ...           APP_ENABLE, APP_ACTIVE,
 *   APP_READY_REQ            APP_READY (answers APP_READY_REQ),
 *   APP_SYNC_ACK             APP_SYNC (the app answers APP_SYNC_ACK with
 *                            the same seq once it applied everything before)
 *
 * An application connection begins with APP_REGISTER; a CLI connection
 * sends anything else. The role of a connection never changes.
 */
#ifndef RT_PROTOCOL_H
#define RT_PROTOCOL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#define RT_PROTO_MAGIC 0x50435452u /* "RTCP" little-endian */
#define RT_PROTO_VERSION 2u /* 2: APP_CHANNEL carries the wake-up socket */

#define RT_MSG_MAX 65536u         /* header + payload, one record */
#define RT_MSG_MAX_FDS 2u
#define RT_NAME_MAX 64u           /* session name, NUL included */
#define RT_PATH_MAX 4096u         /* output directory, NUL included */
#define RT_PATTERN_MAX 256u       /* one event pattern, NUL included */
#define RT_MAX_PATTERNS 64u       /* patterns per ENABLE/DISABLE */
#define RT_PROCNAME_MAX 16u       /* like the kernel's comm, NUL included */
#define RT_MAX_APP_EVENTS 65536u  /* event descriptions per application */
#define RT_DESC_MAX 16384u        /* one event description */
#define RT_ENABLE_MAX 2048u       /* entries per APP_ENABLE */

#define RT_SOCK_NAME "rseqtraced.sock"
#define RT_LOCK_NAME "rseqtraced.lock"
#define RT_HOME_ENV "RSEQTRACE_HOME"

enum rt_msg_type {
	/* CLI -> daemon */
	RT_MSG_CREATE = 1,
	RT_MSG_ENABLE = 2,
	RT_MSG_DISABLE = 3,
	RT_MSG_START = 4,
	RT_MSG_STOP = 5,
	RT_MSG_DESTROY = 6,
	RT_MSG_LIST = 7,
	RT_MSG_ADD_CONTEXT = 8,
	/* daemon -> CLI */
	RT_MSG_REPLY = 16,
	/* app -> daemon */
	RT_MSG_APP_REGISTER = 32,
	RT_MSG_APP_EVENTS = 33,
	RT_MSG_APP_READY_REQ = 34,
	RT_MSG_APP_SYNC_ACK = 35,
	/* daemon -> app */
	RT_MSG_APP_READY = 48,
	RT_MSG_APP_CHANNEL = 49,
	RT_MSG_APP_CHANNEL_DEL = 50,
	RT_MSG_APP_ENABLE = 51,
	RT_MSG_APP_ACTIVE = 52,
	RT_MSG_APP_SYNC = 53,
};

struct rt_msg_hdr {
	uint32_t magic;   /* RT_PROTO_MAGIC */
	uint16_t version; /* RT_PROTO_VERSION */
	uint16_t type;    /* enum rt_msg_type */
	uint32_t len;     /* payload bytes after this header */
	uint32_t nfds;    /* descriptors attached with SCM_RIGHTS */
	uint64_t seq;     /* request number, echoed by the answer */
};

/* ---- CLI messages ----------------------------------------------------- */

enum rt_buffers { RT_BUFFERS_UID = 0, RT_BUFFERS_PID = 1 };
enum rt_loglevel_type {
	RT_LOGLEVEL_ALL = 0,    /* any loglevel */
	RT_LOGLEVEL_RANGE = 1,  /* loglevel at least as severe (<=) as the given one */
	RT_LOGLEVEL_SINGLE = 2, /* exactly the given loglevel */
};
#define RT_LOGLEVEL_MIN 0  /* TRACE_EMERG */
#define RT_LOGLEVEL_MAX 14 /* TRACE_DEBUG */

struct rt_msg_create {
	char name[RT_NAME_MAX];     /* "" = auto-YYYYMMDD-HHMMSS */
	char output[RT_PATH_MAX];   /* absolute, or "" for the default */
	uint32_t buffers;           /* enum rt_buffers */
	uint32_t subbuf_size;       /* 0 = default; else a power of two */
	uint32_t num_subbuf;        /* 0 = default; else a power of two */
	uint32_t clock;             /* enum rt_clock (ringbuf.h) */
	uint32_t reserved[2];
};

#define RT_RULE_ALL 1u /* DISABLE: every rule, no pattern follows */

/* ENABLE and DISABLE. Variable part: `count` NUL-terminated patterns,
 * back to back, filling it exactly. */
struct rt_msg_rule {
	char session[RT_NAME_MAX];  /* "" = the current session */
	uint32_t loglevel_type;     /* enum rt_loglevel_type; ALL for DISABLE */
	int32_t loglevel;
	uint32_t count;
	uint32_t flags;             /* RT_RULE_ALL (DISABLE only) */
};

#define RT_LIST_KV 1u /* LIST: key=value lines for scripts instead of prose */

/* ADD_CONTEXT: fields recorded with every event of the session's traces,
 * added before its first start (RT_CTX_* below). */
struct rt_msg_context {
	char session[RT_NAME_MAX];  /* "" = the current session */
	uint32_t contexts;          /* RT_CTX_*, at least one */
	uint32_t reserved;
};

/* START, STOP, DESTROY, LIST. */
struct rt_msg_session {
	char session[RT_NAME_MAX];  /* "" = current (LIST: all sessions) */
	uint32_t flags;             /* LIST: RT_LIST_KV */
	uint32_t reserved;
};

#define RT_REPLY_MORE 1u /* more REPLY records follow for this request */

/* Variable part: text_len bytes of text, NUL-terminated, filling it. */
struct rt_msg_reply {
	int32_t status;   /* 0, or a negative errno value */
	uint32_t flags;   /* RT_REPLY_MORE */
	uint32_t text_len;
	uint32_t reserved;
};

/* ---- Application messages ---------------------------------------------- */

#define RT_APP_RSEQ 1u /* every thread of the app can write rseq buffers */

struct rt_msg_app_register {
	uint32_t vpid;   /* getpid() in the app's namespace (SO_PEERCRED wins) */
	uint32_t ppid;
	uint32_t flags;  /* RT_APP_RSEQ */
	uint32_t bits_per_long;
	char procname[RT_PROCNAME_MAX];
};

/* Variable part: `count` entries, each a struct rt_msg_desc_len followed
 * by len bytes of event description (tracepoints/desc_wire.h) and zero
 * padding up to a multiple of 8. Indices are first .. first+count-1 and
 * continue the app's previous APP_EVENTS exactly. */
struct rt_msg_app_events {
	uint32_t first;
	uint32_t count;
};

struct rt_msg_desc_len {
	uint32_t len;
	uint32_t reserved;
};

#define RT_CHAN_ACTIVE 1u  /* the session is started */
#define RT_CHAN_PER_PID 2u /* a buffer set of this process alone */
#define RT_CHAN_FLAGS (RT_CHAN_ACTIVE | RT_CHAN_PER_PID)

/* The values of RSEQTRACE_CTX_* (include/rseqtrace/types.h). */
#define RT_CTX_VPID 1u
#define RT_CTX_VTID 2u
#define RT_CTX_PROCNAME 4u
#define RT_CTX_IP 8u
#define RT_CTX_ALL (RT_CTX_VPID | RT_CTX_VTID | RT_CTX_PROCNAME | RT_CTX_IP)

/* Carries two descriptors: the buffer set's memfd, then the sending end
 * of the set's wake-up socket (ringbuf.h, rt_wake_pair), which the app
 * stores in its rt_bufset for its writers. `key` names the channel in
 * later messages; keys are never reused by one daemon. */
struct rt_msg_app_channel {
	uint64_t key;
	uint32_t flags;    /* RT_CHAN_* */
	uint32_t contexts; /* RT_CTX_* fields after every event header */
};

/* APP_CHANNEL_DEL (value 0) and APP_ACTIVE (value 0 or 1). */
struct rt_msg_app_key {
	uint64_t key;
	uint32_t value;
	uint32_t reserved;
};

/* Variable part: `count` struct rt_msg_enable_entry. */
struct rt_msg_app_enable {
	uint64_t key;
	uint32_t count;
	uint32_t reserved;
};

struct rt_msg_enable_entry {
	uint32_t index;   /* the app's event index */
	uint32_t id;      /* the event id in this channel's metadata */
	uint32_t enabled; /* 0 or 1 */
	uint32_t reserved;
};

struct rt_msg_app_ready {
	int32_t status; /* 0, or a negative errno value: tracing stays off */
	uint32_t reserved;
};

/* ---- Decoding ----------------------------------------------------------- */

/* A decoded message. Pointers point into the caller's receive buffer. */
struct rt_msg {
	struct rt_msg_hdr hdr;
	const void *body;  /* the fixed part, NULL when the type has none */
	const char *var;   /* the variable part */
	uint32_t var_len;
	/* ENABLE/DISABLE: the patterns; REPLY: strs[0] is the text. */
	uint32_t nstr;
	const char *strs[RT_MAX_PATTERNS];
};

static inline uint32_t rt_pad8(uint32_t n)
{
	return (n + 7u) & ~7u;
}

static inline int rt_proto_fail(char *err, size_t errlen, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", what);
	return -EPROTO;
}

/* s[0..cap) holds a NUL and only zero bytes after it (so no data hides). */
static inline int rt_fixed_str_ok(const char *s, size_t cap)
{
	const char *nul = memchr(s, '\0', cap);
	if (!nul)
		return 0;
	for (const char *p = nul; p < s + cap; p++)
		if (*p)
			return 0;
	return 1;
}

/* Session names: [A-Za-z0-9_.-], not starting with '.' or '-'. */
static inline int rt_session_name_ok(const char *s)
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

/* Event patterns: [A-Za-z0-9_:.*-], 1..RT_PATTERN_MAX-1 characters. '*'
 * matches any run of characters, so "prov:*" and "*" work as in lttng. */
static inline int rt_pattern_ok(const char *s)
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

/* Glob match with '*' only. Iterative with one backtrack point: linear
 * in practice, never exponential. */
static inline int rt_proto_match(const char *pat, const char *name)
{
	const char *star = NULL, *resume = NULL;
	while (*name) {
		if (*pat == '*') {
			star = pat++;
			resume = name;
		} else if (*pat == *name) {
			pat++;
			name++;
		} else if (star) {
			pat = star + 1;
			name = ++resume;
		} else {
			return 0;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

/* Splits var into exactly `count` non-empty NUL-terminated strings. */
static inline int rt_split_strings(struct rt_msg *m, uint32_t count)
{
	const char *p = m->var, *end = m->var + m->var_len;
	m->nstr = 0;
	while (p < end) {
		const char *nul = memchr(p, '\0', (size_t)(end - p));
		if (!nul || nul == p || m->nstr == count)
			return 0;
		m->strs[m->nstr++] = p;
		p = nul + 1;
	}
	return m->nstr == count;
}

static inline int rt_check_rule(struct rt_msg *m, uint16_t type)
{
	const struct rt_msg_rule *r = m->body;
	if (!rt_fixed_str_ok(r->session, sizeof r->session))
		return 0;
	if (r->session[0] && !rt_session_name_ok(r->session))
		return 0;
	if (type == RT_MSG_DISABLE) {
		if (r->loglevel_type != RT_LOGLEVEL_ALL || r->loglevel != 0 ||
		    (r->flags & ~RT_RULE_ALL))
			return 0;
		if (r->flags & RT_RULE_ALL)
			return r->count == 0 && m->var_len == 0;
	} else {
		if (r->flags || r->loglevel_type > RT_LOGLEVEL_SINGLE)
			return 0;
		if (r->loglevel_type == RT_LOGLEVEL_ALL ? r->loglevel != 0
		    : r->loglevel < RT_LOGLEVEL_MIN || r->loglevel > RT_LOGLEVEL_MAX)
			return 0;
	}
	if (r->count == 0 || r->count > RT_MAX_PATTERNS || !rt_split_strings(m, r->count))
		return 0;
	for (uint32_t i = 0; i < m->nstr; i++)
		if (!rt_pattern_ok(m->strs[i]))
			return 0;
	return 1;
}

static inline int rt_check_create(const struct rt_msg_create *c)
{
	if (!rt_fixed_str_ok(c->name, sizeof c->name) ||
	    !rt_fixed_str_ok(c->output, sizeof c->output))
		return 0;
	if (c->name[0] && !rt_session_name_ok(c->name))
		return 0;
	if (c->output[0] && c->output[0] != '/')
		return 0;
	if (c->buffers > RT_BUFFERS_PID || c->clock > 1 || c->reserved[0] || c->reserved[1])
		return 0;
	/* Geometry is checked against ringbuf limits by the daemon, which
	 * answers with a message a user can act on. */
	return 1;
}

static inline int rt_check_events(struct rt_msg *m)
{
	const struct rt_msg_app_events *e = m->body;
	if (e->count == 0 || e->count > RT_MAX_APP_EVENTS ||
	    e->first > RT_MAX_APP_EVENTS - e->count)
		return 0;
	uint32_t off = 0;
	for (uint32_t i = 0; i < e->count; i++) {
		struct rt_msg_desc_len dl;
		if (m->var_len - off < sizeof dl)
			return 0;
		memcpy(&dl, m->var + off, sizeof dl);
		off += sizeof dl;
		if (dl.reserved || dl.len == 0 || dl.len > RT_DESC_MAX ||
		    rt_pad8(dl.len) > m->var_len - off)
			return 0;
		for (uint32_t p = dl.len; p < rt_pad8(dl.len); p++)
			if (m->var[off + p])
				return 0;
		off += rt_pad8(dl.len);
	}
	return off == m->var_len;
}

static inline int rt_check_enable(const struct rt_msg *m)
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
static inline uint32_t rt_msg_fixed_size(uint16_t type, int *has_var, uint32_t *nfds)
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
	case RT_MSG_REPLY: *has_var = 1; return sizeof(struct rt_msg_reply);
	case RT_MSG_APP_REGISTER: return sizeof(struct rt_msg_app_register);
	case RT_MSG_APP_EVENTS: *has_var = 1; return sizeof(struct rt_msg_app_events);
	case RT_MSG_APP_READY_REQ:
	case RT_MSG_APP_SYNC_ACK:
	case RT_MSG_APP_SYNC: return 0;
	case RT_MSG_APP_READY: return sizeof(struct rt_msg_app_ready);
	case RT_MSG_APP_CHANNEL: *nfds = 2; return sizeof(struct rt_msg_app_channel);
	case RT_MSG_APP_CHANNEL_DEL:
	case RT_MSG_APP_ACTIVE: return sizeof(struct rt_msg_app_key);
	case RT_MSG_APP_ENABLE: *has_var = 1; return sizeof(struct rt_msg_app_enable);
	}
	return UINT32_MAX;
}

/* The checks that depend on the type, after the framing is known good. */
static inline int rt_check_body(struct rt_msg *m)
{
	const void *b = m->body;
	switch (m->hdr.type) {
	case RT_MSG_CREATE:
		return rt_check_create(b);
	case RT_MSG_ENABLE:
	case RT_MSG_DISABLE:
		return rt_check_rule(m, m->hdr.type);
	case RT_MSG_START:
	case RT_MSG_STOP:
	case RT_MSG_DESTROY:
	case RT_MSG_LIST: {
		const struct rt_msg_session *s = b;
		uint32_t allowed = m->hdr.type == RT_MSG_LIST ? RT_LIST_KV : 0;
		return rt_fixed_str_ok(s->session, sizeof s->session) &&
		       (!s->session[0] || rt_session_name_ok(s->session)) &&
		       !(s->flags & ~allowed) && !s->reserved;
	}
	case RT_MSG_ADD_CONTEXT: {
		const struct rt_msg_context *x = b;
		return rt_fixed_str_ok(x->session, sizeof x->session) &&
		       (!x->session[0] || rt_session_name_ok(x->session)) &&
		       x->contexts && !(x->contexts & ~RT_CTX_ALL) && !x->reserved;
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
		return !(r->flags & ~RT_APP_RSEQ) && r->bits_per_long == 64 &&
		       r->vpid != 0 && rt_fixed_str_ok(r->procname, sizeof r->procname);
	}
	case RT_MSG_APP_EVENTS:
		return rt_check_events(m);
	case RT_MSG_APP_READY: {
		const struct rt_msg_app_ready *r = b;
		return r->status <= 0 && r->status >= -4095 && !r->reserved;
	}
	case RT_MSG_APP_CHANNEL: {
		const struct rt_msg_app_channel *c = b;
		return c->key != 0 && !(c->flags & ~RT_CHAN_FLAGS) && !(c->contexts & ~RT_CTX_ALL);
	}
	case RT_MSG_APP_CHANNEL_DEL:
	case RT_MSG_APP_ACTIVE: {
		const struct rt_msg_app_key *k = b;
		uint32_t maxv = m->hdr.type == RT_MSG_APP_ACTIVE ? 1 : 0;
		return k->key != 0 && k->value <= maxv && !k->reserved;
	}
	case RT_MSG_APP_ENABLE:
		return ((const struct rt_msg_app_enable *)b)->key != 0 && rt_check_enable(m);
	default:
		return 1; /* bodiless types */
	}
}

/*
 * Validates a received record of n bytes that came with nfds descriptors.
 * buf must be 8-byte aligned. Returns 0 and fills *m, or -EPROTO with a
 * reason in err. The caller owns (and on failure closes) the descriptors.
 */
static inline int rt_msg_decode(const void *buf, size_t n, uint32_t nfds,
				struct rt_msg *m, char *err, size_t errlen)
{
	memset(m, 0, offsetof(struct rt_msg, strs));
	if (n < sizeof m->hdr)
		return rt_proto_fail(err, errlen, "message shorter than its header");
	if (n > RT_MSG_MAX)
		return rt_proto_fail(err, errlen, "message longer than the protocol allows");
	memcpy(&m->hdr, buf, sizeof m->hdr);
	if (m->hdr.magic != RT_PROTO_MAGIC)
		return rt_proto_fail(err, errlen, "bad magic (not an rseqtrace peer)");
	if (m->hdr.version != RT_PROTO_VERSION)
		return rt_proto_fail(err, errlen, "unsupported protocol version");
	if (m->hdr.len != n - sizeof m->hdr)
		return rt_proto_fail(err, errlen, "length field disagrees with the record size");
	int has_var;
	uint32_t want_fds;
	uint32_t fixed = rt_msg_fixed_size(m->hdr.type, &has_var, &want_fds);
	if (fixed == UINT32_MAX)
		return rt_proto_fail(err, errlen, "unknown message type");
	if (m->hdr.nfds != want_fds || nfds != want_fds)
		return rt_proto_fail(err, errlen, "wrong number of file descriptors");
	if (m->hdr.len < fixed || (!has_var && m->hdr.len != fixed))
		return rt_proto_fail(err, errlen, "payload size does not fit the type");
	const char *p = (const char *)buf + sizeof m->hdr;
	m->body = fixed ? p : NULL;
	m->var = p + fixed;
	m->var_len = m->hdr.len - fixed;
	if (!rt_check_body(m))
		return rt_proto_fail(err, errlen, "invalid field in payload");
	return 0;
}

/* ---- Encoding and transport -------------------------------------------- */

/* A message under construction: header, fixed part, variable part. */
struct rt_msg_buf {
	union {
		struct rt_msg_hdr hdr;
		uint64_t align;
	};
	char payload[RT_MSG_MAX - sizeof(struct rt_msg_hdr)];
	uint32_t used; /* payload bytes */
};

static inline void rt_msg_init(struct rt_msg_buf *b, uint16_t type, uint64_t seq)
{
	memset(&b->hdr, 0, sizeof b->hdr);
	b->hdr.magic = RT_PROTO_MAGIC;
	b->hdr.version = RT_PROTO_VERSION;
	b->hdr.type = type;
	b->hdr.seq = seq;
	b->used = 0;
}

/* Appends n bytes (zero bytes if p is NULL). -EMSGSIZE if they do not fit. */
static inline int rt_msg_put(struct rt_msg_buf *b, const void *p, size_t n)
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

static inline size_t rt_msg_room(const struct rt_msg_buf *b)
{
	return sizeof b->payload - b->used;
}

/* Sends the record with nfds (<= RT_MSG_MAX_FDS) descriptors attached, in
 * that order. flags: MSG_DONTWAIT or 0. Returns 0 or a negative errno value. */
static inline int rt_msg_send_fds(int sock, struct rt_msg_buf *b, const int *fds,
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

/* The same with one descriptor attached when fd >= 0, none otherwise. */
static inline int rt_msg_send(int sock, struct rt_msg_buf *b, int fd, int flags)
{
	return rt_msg_send_fds(sock, b, &fd, fd >= 0 ? 1 : 0, flags);
}

/*
 * Receives one record into buf (8-aligned, RT_MSG_MAX bytes). Descriptors
 * go to fds (up to RT_MSG_MAX_FDS) and their count to *nfds. Returns the
 * record size, 0 at end of stream, -EPROTO for a truncated record or
 * unexpected control data (any received descriptors are closed then),
 * or another negative errno value (-EAGAIN for a non-blocking socket).
 */
static inline ssize_t rt_msg_recv(int sock, void *buf, int *fds, uint32_t *nfds, int flags)
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

/* ---- Where the daemon listens ---------------------------------------- */

/*
 * The per-user socket directory: $RSEQTRACE_HOME if set, else
 * $XDG_RUNTIME_DIR/rseqtrace, else $HOME/.rseqtrace. Returns 0, or -1 if
 * none is set or the path is too long for a UNIX socket address.
 * getenv_fn: getenv, or secure_getenv in set-user-ID programs.
 */
static inline int rt_sock_dir(char *out, size_t n, char *(*getenv_fn)(const char *))
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

static inline int rt_sock_addr(const char *dir, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	int w = snprintf(sa->sun_path, sizeof sa->sun_path, "%s/%s", dir, RT_SOCK_NAME);
	return w > 0 && (size_t)w < sizeof sa->sun_path ? 0 : -1;
}

#endif
