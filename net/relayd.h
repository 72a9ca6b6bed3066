/* SPDX-License-Identifier: MIT */
/*
 * A client of an unmodified lttng-relayd (2.x): the consumer side of its
 * protocol, implemented from the protocol facts in docs/design.md §16 (no
 * lttng-tools code). Two TCP connections: control (commands, one reply
 * each, except SEND_METADATA) and data (packets, no reply). Every integer
 * on the wire is big-endian.
 *
 * We announce protocol 2.10: the oldest minor that gives 80-byte indexes
 * (stream_instance_id, packet_seq_num) and for which the relayd supplies
 * the trace chunk itself (an "anonymous" chunk), so the 2.4 CREATE_SESSION
 * and 2.2 ADD_STREAM layouts serve; a relayd answering an older minor
 * (>= 4, indexes) gets what that minor knows (64-byte indexes below 8).
 * The fallback, for a relayd that would drop the pre-2.11 layouts:
 * announcing RELAYD_MINOR_NEW, the 2.11 CREATE_SESSION (a session uuid, the
 * relayd makes host/session-date/ itself), CREATE_TRACE_CHUNK 0 and the
 * 2.11 ADD_STREAM with domain-relative paths.
 *
 * Every reply is hostile input: it is read with a timeout into a buffer
 * of the exact size the command's reply has, and its code checked
 * (relayd_parse_*: pure functions, fuzzed by tests/net/fuzz_relayd.c). Any
 * failure leaves the connection broken (c->err): later calls return it at
 * once; the caller makes a new connection.
 *
 * Not thread-safe: the caller serializes calls on one connection (the data
 * socket and the control socket may be used by two threads at once).
 */
#ifndef RT_NET_RELAYD_H
#define RT_NET_RELAYD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "ctf/index.h"

#define RELAYD_MAJOR 2u
#define RELAYD_MINOR 10u       /* what we announce */
#define RELAYD_MIN_MINOR 4u    /* the oldest with indexes */
#define RELAYD_MINOR_CHUNKS 11u /* from here: trace chunks and the 2.11 layouts */
#define RELAYD_MINOR_NEW 13u   /* what we announce for the 2.11 path (2.13's) */
#define RELAYD_OK 10u          /* LTTNG_OK */
#define RELAYD_SESSION_NAME_MAX 255  /* CREATE_SESSION 2.4: char[255] with its NUL */
#define RELAYD_HOSTNAME_MAX 64
#define RELAYD_CHANNEL_MAX 264        /* ADD_STREAM 2.2 */
#define RELAYD_PATH_MAX 4096
#define RELAYD_NO_SEQ UINT64_MAX      /* a beacon's net_seq_num; "no packet" */

enum relayd_cmd {
	RELAYD_ADD_STREAM = 1,
	RELAYD_CREATE_SESSION = 2,
	RELAYD_VERSION = 5,
	RELAYD_SEND_METADATA = 6,
	RELAYD_CLOSE_STREAM = 7,
	RELAYD_SEND_INDEX = 13,
	RELAYD_STREAMS_SENT = 16,
	RELAYD_CREATE_TRACE_CHUNK = 19,
};

struct relayd_conn {
	int ctrl, data;
	uint32_t minor;        /* negotiated: min(ours, theirs) */
	uint32_t their_minor;  /* what the relayd announced */
	int timeout_ms;        /* of every connect, send and reply */
	int err;               /* first failure (-errno, -EPROTO): the connection is dead */
	char why[160];         /* what failed, for `list` and the CLI */
};

/* Sizes of the replies and of the fixed payloads (the wire's, packed). */
#define RELAYD_HDR_LEN 24u
#define RELAYD_DATA_HDR_LEN 32u
#define RELAYD_GENERIC_REPLY_LEN 4u
#define RELAYD_VERSION_LEN 8u
#define RELAYD_STATUS_LEN 12u          /* u64 id/handle, u32 code */
#define RELAYD_CREATE_2_4_LEN 327u
#define RELAYD_ADD_STREAM_2_2_LEN 4376u
#define RELAYD_INDEX_LEN 80u
#define RELAYD_INDEX_OLD_LEN 64u       /* minor < 8 */

/* Replies (pure; p holds exactly what was read, n bytes). 0 or -EPROTO. */
int relayd_parse_generic(const uint8_t *p, size_t n);
int relayd_parse_version(const uint8_t *p, size_t n, uint32_t *minor);
int relayd_parse_status(const uint8_t *p, size_t n, uint64_t *id);

/* Connects both sockets (each with the timeout) and negotiates the
 * version. 0 or -errno with c->why set; c->ctrl/c->data are -1 on failure. */
int relayd_connect(struct relayd_conn *c, const char *host, uint16_t ctrl_port,
		   uint16_t data_port, int timeout_ms, uint32_t announce);
/* The same on sockets already connected (tests, fuzzing). announce:
 * RELAYD_MINOR, or RELAYD_MINOR_NEW for the 2.11 path. */
int relayd_start(struct relayd_conn *c, int ctrl, int data, int timeout_ms, uint32_t announce);
/* One session per connection. name and hostname: path-safe (relayd_name_ok). */
int relayd_create_session(struct relayd_conn *c, const char *name, const char *hostname,
			  uint32_t live_timer_us, uint64_t *session_id);
/* base: the session's directory (host/session-date), used before 2.11;
 * rel: the trace's path below it (ust/uid/0/64-bit). */
int relayd_add_stream(struct relayd_conn *c, const char *channel, const char *base,
		      const char *rel, uint64_t *handle);
int relayd_streams_sent(struct relayd_conn *c);
/* Metadata bytes appended to the metadata stream (no reply). */
int relayd_send_metadata(struct relayd_conn *c, uint64_t handle, const void *buf, size_t len);
/* One packet on the data socket: iov (n pieces, len bytes in all). */
int relayd_send_packet(struct relayd_conn *c, uint64_t handle, uint64_t net_seq,
		       const struct iovec *iov, int n, size_t len);
/* Its index (e->offset is not sent: the relayd knows it). A beacon: an
 * entry with packet_size 0 and timestamp_end now, net_seq RELAYD_NO_SEQ. */
int relayd_send_index(struct relayd_conn *c, uint64_t handle, uint64_t net_seq,
		      const struct ctf_index_entry *e);
/* last_seq: the last net_seq_num sent on it (RELAYD_NO_SEQ: none). */
int relayd_close_stream(struct relayd_conn *c, uint64_t handle, uint64_t last_seq);
void relayd_close(struct relayd_conn *c);

/* A session or host name the relayd makes a path of: non-empty, no '/',
 * no leading '.', printable, shorter than max. */
int relayd_name_ok(const char *s, size_t max);

#endif
