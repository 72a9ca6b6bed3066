/* SPDX-License-Identifier: MIT */
/*
 * The per-app registry: instrumented applications (registration, their
 * event descriptions, acknowledgements), the app x trace links, and the
 * event ids each trace gives the events of each app.
 *
 * Registration: APP_REGISTER, APP_EVENTS..., APP_READY_REQ. The daemon
 * answers APP_READY_REQ with APP_CHANNEL/APP_ENABLE for every started
 * session, then APP_READY: the app's constructor waits for APP_READY
 * (bounded), so events from the first line of main() are traced.
 */
#ifndef RT_CONSUMERD_REGISTRY_H
#define RT_CONSUMERD_REGISTRY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "protocol/codec.h"

struct daemon;
struct conn;
struct trace;
struct rt_desc;

/* What the daemon knows of one event an app described: the blob as the
 * app sent it (eventdesc/desc_wire.h) and its validated parse. */
struct event_desc {
	const char *name;       /* parsed->name */
	int loglevel;
	uint8_t *wire;
	uint32_t wire_len;
	struct rt_desc *parsed;
};
/* Validates and parses one description. 0, or -1 with a reason in err. */
int event_desc_parse(const void *wire, uint32_t len, struct event_desc *out,
		     char *err, size_t errlen);
void event_desc_free(struct event_desc *d);
int event_desc_same_layout(const struct event_desc *a, const struct event_desc *b);

struct app {
	struct conn *conn;
	uint64_t id;
	pid_t pid, vpid, ppid;
	uid_t uid;
	gid_t gid;
	char procname[RT_PROCNAME_MAX];
	int rseq;                /* the app can write rseq buffers */
	int64_t mono_offset_ns;  /* its CLOCK_MONOTONIC minus ours (a time namespace) */
	int cid;                 /* ... indexed by its threads' mm_cid (RT_APP_CID) */
	uint32_t nr_start;       /* mm_cid buffers to start with (its guess) */
	int ready;               /* APP_READY sent */
	uint32_t nr_events, cap_events;
	struct event_desc *events;  /* the first cfg.max_app_events described */
	uint32_t refused_events;    /* described past the cap: counted, not kept */
	uint32_t updated;           /* events[0..updated) enabled as the rules say */
	uint64_t acked;          /* highest APP_SYNC seq acknowledged */
	uint64_t sync_sent;      /* highest APP_SYNC seq sent */
	int dirty;               /* messages sent since the last APP_SYNC */
};

/* App x trace: which of the app's events go to this trace, with which id. */
struct link {
	struct link *next;
	struct app *app;
	uint32_t *ids;      /* per app event index: id in the trace, or NO_ID */
	uint8_t *enabled;   /* per app event index: as last sent to the app */
	/* per app event index: APP_FILTER's variable part as last sent
	 * (NULL, 0: none) */
	uint8_t **filt;
	uint32_t *filt_len;
	uint32_t nr, cap;   /* entries in ids/enabled, room for */
	int sent_channel;   /* APP_CHANNEL sent */
	/* This app's own wake-up socket for this trace (issue 11 #10): our
	 * end, owned by the trace's sleeper thread, in its epoll set (drain.c,
	 * which rate-limits it); the other end went to the app with
	 * APP_CHANNEL. NULL: none. */
	struct wake_src *wake;
};
#define NO_ID UINT32_MAX
#define REFUSED_ID (UINT32_MAX - 1) /* never to be given: not asked again */

/* Handles a message of an app connection; -1 if it must be closed. */
int app_dispatch(struct daemon *d, struct conn *c, const struct rt_msg *m);
/* The app is gone: its own buffers are flushed, drained and released. */
void app_gone(struct daemon *d, struct app *a);
struct app *app_by_id(struct daemon *d, uint64_t id);
/* Sends b (and fds); a stuck app is dropped rather than waited for. */
int app_send(struct app *a, struct rt_msg_buf *b, int fd);
int app_send_fds(struct app *a, struct rt_msg_buf *b, const int *fds, uint32_t nfds);
/* Sends APP_SYNC; returns its seq, 0 if it could not be sent. */
uint64_t app_sync(struct daemon *d, struct app *a);
/* Links the app to the traces of session s (if it was started), or of
 * every started session. */
void app_attach_session(struct daemon *d, struct session *s, struct app *a);
void app_attach_sessions(struct daemon *d, struct app *a);

/* Sends t's channel to a (APP_CHANNEL with the memfd and a wake-up socket
 * of its own, whose other end the daemon watches). */
int app_link_trace(struct daemon *d, struct trace *t, struct app *a);
void app_unlink_trace(struct trace *t, struct app *a);
/* Sends APP_CHANNEL_DEL for t to the app of link l. */
void app_unlink_channel(struct trace *t, struct link *l);
/* Brings the app's enable flags for t in line with the session's rules,
 * for its events from index `from` on (0 after a rule change; the first
 * new one at APP_READY_REQ, so describing n events costs O(n log n)). */
int app_update_trace(struct trace *t, struct app *a, uint32_t from);
void link_free(struct link *l);

#endif
