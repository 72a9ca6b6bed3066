/* SPDX-License-Identifier: MIT */
/*
 * Encoding, decoding and validation of protocol records (messages.h), and
 * sending and receiving them with their descriptors.
 *
 * Everything received is hostile until rt_msg_decode() has accepted it:
 * the magic and version, the payload length against the type, NUL
 * termination inside every fixed-size string, the character set of names,
 * every count against the bytes present, every enum and every reserved
 * field (zero), the number of descriptors.
 */
#ifndef RT_PROTOCOL_CODEC_H
#define RT_PROTOCOL_CODEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "protocol/messages.h"

/* A decoded message. Pointers point into the caller's receive buffer. */
struct rt_msg {
	struct rt_msg_hdr hdr;
	const void *body;  /* the fixed part, NULL when the type has none */
	const char *var;   /* the variable part */
	uint32_t var_len;
	/* ENABLE/DISABLE: the patterns, then the exclusions (nexcl of them);
	 * REPLY: strs[0] is the text. */
	uint32_t nstr, nexcl;
	const char *filter; /* ENABLE: the filter expression, or NULL */
	const char *strs[RT_MAX_PATTERNS + RT_MAX_EXCLUSIONS];
};

/* A message under construction: header, fixed part, variable part. */
struct rt_msg_buf {
	union {
		struct rt_msg_hdr hdr;
		uint64_t align;
	};
	char payload[RT_MSG_MAX - sizeof(struct rt_msg_hdr)];
	uint32_t used; /* payload bytes */
};

/* Variable parts are padded to multiples of 8 (APP_EVENTS). */
static inline uint32_t rt_pad8(uint32_t n)
{
	return (n + 7u) & ~7u;
}

/* Session names: [A-Za-z0-9_.-], not starting with '.' or '-'. */
int rt_session_name_ok(const char *s);
/* Event patterns: [A-Za-z0-9_:.*-], 1..RT_PATTERN_MAX-1 characters. '*'
 * matches any run of characters (common/glob.h), so "prov:*" and "*" work
 * as in lttng. */
int rt_pattern_ok(const char *s);
/* A blocking timeout: RT_BLOCKING_INF or at most RT_BLOCKING_MAX_US. */
int rt_blocking_ok(uint64_t us);

/*
 * Validates a received record of n bytes that came with nfds descriptors.
 * buf must be 8-byte aligned. Returns 0 and fills *m, or -EPROTO with a
 * reason in err. The caller owns (and on failure closes) the descriptors.
 * A receiver that gets a message this refuses closes that connection and
 * carries on.
 */
int rt_msg_decode(const void *buf, size_t n, uint32_t nfds, struct rt_msg *m,
		  char *err, size_t errlen);

void rt_msg_init(struct rt_msg_buf *b, uint16_t type, uint64_t seq);
/* Appends n bytes (zero bytes if p is NULL). -EMSGSIZE if they do not fit. */
int rt_msg_put(struct rt_msg_buf *b, const void *p, size_t n);

/* Sends the record with nfds (<= RT_MSG_MAX_FDS) descriptors attached, in
 * that order. flags: MSG_DONTWAIT or 0. Returns 0 or a negative errno value. */
int rt_msg_send_fds(int sock, struct rt_msg_buf *b, const int *fds, uint32_t nfds, int flags);
/* The same with one descriptor attached when fd >= 0, none otherwise. */
int rt_msg_send(int sock, struct rt_msg_buf *b, int fd, int flags);
/*
 * Receives one record into buf (8-aligned, RT_MSG_MAX bytes). Descriptors
 * go to fds (up to RT_MSG_MAX_FDS) and their count to *nfds. Returns the
 * record size, 0 at end of stream, -EPROTO for a truncated record or
 * unexpected control data (any received descriptors are closed then),
 * or another negative errno value (-EAGAIN for a non-blocking socket).
 */
ssize_t rt_msg_recv(int sock, void *buf, int *fds, uint32_t *nfds, int flags);

/*
 * Where the daemon listens: the per-user socket directory,
 * $RSEQTRACE_HOME if set, else $XDG_RUNTIME_DIR/rseqtrace, else
 * $HOME/.rseqtrace. Returns 0, or -1 if none is set or the path is too
 * long for a UNIX socket address. getenv_fn: getenv, or secure_getenv in
 * set-user-ID programs.
 */
int rt_sock_dir(char *out, size_t n, char *(*getenv_fn)(const char *));
int rt_sock_addr(const char *dir, struct sockaddr_un *sa);

#endif
