/* SPDX-License-Identifier: MIT */
/*
 * rseqtraced internals: one single-threaded event loop owns everything
 * below; no locks. The objects and who points at whom:
 *
 *   struct daemon ── conns ─── struct conn (CLI or app role)
 *        │                        └── struct app (role app)
 *        └── sessions ── struct session ── rules
 *                             └── traces ── struct trace (one buffer set,
 *                                  │          one CTF trace directory)
 *                                  └── links ── struct link (app x trace:
 *                                                the app's event ids there)
 *
 * A per-UID session has one shared trace for every rseq-capable app, and
 * one per-PID trace (locked mode) for each app without rseq; a per-PID
 * session has one trace per app. A trace outlives its app (its files stay
 * and `list` still shows its counts) but releases its buffers when the app
 * is gone and everything was drained.
 */
#ifndef RT_DAEMON_H
#define RT_DAEMON_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "protocol/codec.h"
#include "ringbuf/ringbuf.h"

struct daemon;
struct session;
struct trace;
struct app;

/* ---- log.c -------------------------------------------------------------- */
enum { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };
void log_open(FILE *f, int level);
void logm(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- text.c: growable strings for replies and metadata ------------------ */
struct text {
	char *s;
	size_t len, cap;
	int oom;
};
void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void text_free(struct text *t);

/* ---- event descriptions (events.c) --------------------------------------- */
/* What the daemon knows of one event an app described: the blob as the
 * app sent it (eventdesc/desc_wire.h) and its validated parse. */
struct rt_desc;
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

/* ---- apps (app.c) ------------------------------------------------------- */
struct app {
	struct conn *conn;
	uint64_t id;
	pid_t pid, vpid, ppid;
	uid_t uid;
	char procname[RT_PROCNAME_MAX];
	int rseq;                /* the app can write rseq buffers */
	int ready;               /* APP_READY sent */
	uint32_t nr_events;
	struct event_desc *events;
	uint64_t acked;          /* highest APP_SYNC seq acknowledged */
	uint64_t sync_sent;      /* highest APP_SYNC seq sent */
	int dirty;               /* messages sent since the last APP_SYNC */
};

/* ---- connections (server.c) --------------------------------------------- */
enum conn_role { CONN_NEW, CONN_CLI, CONN_APP };
struct conn {
	struct conn *next;
	uint64_t id;
	int fd;
	enum conn_role role;
	pid_t pid;
	uid_t uid;
	struct app *app;
	int closing;
};

/* ---- sessions and traces (session.c, trace.c) ---------------------------- */
enum session_state { S_CREATED, S_ACTIVE, S_STOPPED };

struct rule {
	char pattern[RT_PATTERN_MAX];
	int enable;
	uint32_t loglevel_type;
	int loglevel;
};

/* App x trace: which of the app's events go to this trace, with which id. */
struct link {
	struct link *next;
	struct app *app;
	uint32_t *ids;      /* per app event index: id in the trace, or NO_ID */
	uint8_t *enabled;   /* per app event index: as last sent to the app */
	uint32_t nr;        /* entries in ids/enabled */
	int sent_channel;   /* APP_CHANNEL sent */
};
#define NO_ID UINT32_MAX

/* Counts of one trace, or of one CPU of it. */
struct cpu_stats {
	uint64_t packets, bytes, events, discarded, pending_discarded;
	uint64_t corrupt_packets, unwritten_events;
};

/* What the daemon found wrong with one CPU's buffer. */
struct cpu_guard {
	int broken; /* the writer's offset became impossible: no longer read */
};

struct trace_event {
	struct event_desc desc; /* our own copy */
	uint32_t id;
};

struct ctf_trace;
struct ctf_channel;

struct trace {
	struct trace *next;
	struct session *s;
	uint64_t key;           /* channel key sent to apps; unique per daemon */
	struct app *owner;      /* per-PID trace: its app (NULL once gone) */
	pid_t owner_pid;
	char owner_name[RT_PROCNAME_MAX];
	int per_pid;
	uint32_t contexts;      /* RT_CTX_*: its stream class, and what apps record */
	enum rt_mode mode;      /* of its buffers, kept after they are closed */
	char dir[RT_PATH_MAX];
	struct ctf_trace *ct;
	struct ctf_channel *ch;
	struct rt_bufset bs;    /* bs.wake_fd: the writers' end, sent to apps */
	int mapped;             /* bs, ch and ct are open */
	int wake_rx;            /* our end of the wake-up socket, in the epoll set */
	int armed;              /* rt_reader_sleep() called, rt_reader_awake() due */
	int woken;              /* a writer woke us, or data was ready: drain */
	uint32_t nr_cpus;
	struct cpu_guard *guard;
	struct cpu_stats *cpu;  /* per CPU: packets and discarded (kept after close) */
	struct cpu_stats total; /* refreshed after each drain, kept after close */
	struct trace_event *events;
	uint32_t nr_events, cap_events;
	struct link *links;
	char error[256];        /* first error, shown by stop and list */
};

struct session {
	struct session *next;
	uint64_t id;
	char name[RT_NAME_MAX];
	char output[RT_PATH_MAX];
	char created_at[32];    /* YYYYMMDD-HHMMSS */
	enum rt_buffers buffers;
	uint32_t subbuf_size, num_subbuf;
	enum rt_clock clock;
	uint32_t contexts;      /* RT_CTX_*: fixed at the first start */
	enum session_state state;
	int started_once;
	int busy;               /* an operation awaits app acknowledgements */
	struct rule *rules;
	uint32_t nr_rules;
	struct trace *traces;
	struct text warnings;   /* layout conflicts and the like, shown by list */
};

/* ---- operations awaiting app acknowledgements (session.c) ----------------- */
enum op_kind { OP_ENABLE, OP_START, OP_STOP, OP_DESTROY, OP_SHUTDOWN };
struct op {
	struct op *next;
	enum op_kind kind;
	uint64_t conn_id;       /* the CLI to answer, 0 if none */
	uint64_t req_seq;
	uint64_t session_id;
	uint64_t sync_seq;      /* every app must have acked this */
	uint64_t deadline_ms;
	struct text reply;      /* text prepared when the op was started */
};

/* ---- the daemon ----------------------------------------------------------- */
struct daemon_config {
	char dir[RT_PATH_MAX];        /* socket directory */
	int drain_min_ms, drain_max_ms;
	int ack_timeout_ms;
	uint64_t max_buffer_bytes;    /* per buffer set */
	const char *restrict_output;  /* if set, outputs must be under it (fuzzing) */
	int no_listen;                /* fuzzing: no socket, no signals */
	int ready_fd;                 /* write a byte here once listening */
	int no_wakeup;                /* drain on the timer only (for comparison) */
};

struct daemon {
	struct daemon_config cfg;
	uid_t uid;
	int epfd, lfd, sigfd, drain_tfd, op_tfd, lock_fd;
	char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct conn *conns;
	struct session *sessions;
	uint64_t current_session;
	struct op *ops;
	uint64_t next_id;             /* conns, apps, sessions, trace keys */
	uint64_t next_sync;
	int drain_ms;
	int quit;                     /* shutting down */
	int done;                     /* leave the loop */
	uint32_t nr_cpus;
	uint64_t wakeups, drain_passes, writer_wakeups;
};

/* epoll tag of a trace's wake-up socket: this bit | the trace's key. */
#define TAG_WAKE (1ull << 63)

/* server.c */
int daemon_init(struct daemon *d, const struct daemon_config *cfg, char *err, size_t errlen);
int daemon_run(struct daemon *d);
void daemon_fini(struct daemon *d);
void daemon_reset(struct daemon *d);      /* fuzzing: drop every session and conn */
struct conn *conn_add(struct daemon *d, int fd, pid_t pid, uid_t uid);
void conn_close(struct daemon *d, struct conn *c);
struct conn *conn_find(struct daemon *d, uint64_t id);
/* Handles one received record; returns -1 if the conn must be closed. */
int conn_dispatch(struct daemon *d, struct conn *c, const void *buf, size_t n,
		  int *fds, uint32_t nfds);
void conn_read(struct daemon *d, struct conn *c);
uint64_t now_ms(void);
void daemon_update_timers(struct daemon *d);

/* session.c: CLI commands and ops */
int cli_dispatch(struct daemon *d, struct conn *c, const struct rt_msg *m);
int send_reply(struct daemon *d, struct conn *c, uint64_t seq, int status, const char *text);
void ops_check(struct daemon *d, int force);
struct session *session_find_id(struct daemon *d, uint64_t id);
void session_destroy_now(struct daemon *d, struct session *s);
void daemon_shutdown(struct daemon *d);
int rules_enabled(const struct session *s, const struct event_desc *e);

/* app.c */
int app_dispatch(struct daemon *d, struct conn *c, const struct rt_msg *m);
void app_gone(struct daemon *d, struct app *a);
int app_send(struct daemon *d, struct app *a, struct rt_msg_buf *b, int fd);
int app_send_fds(struct daemon *d, struct app *a, struct rt_msg_buf *b, const int *fds,
		 uint32_t nfds);
uint64_t app_sync(struct daemon *d, struct app *a);
void app_attach_sessions(struct daemon *d, struct app *a);

/* trace.c */
struct trace *trace_create(struct daemon *d, struct session *s, struct app *owner,
			   char *err, size_t errlen);
void trace_destroy(struct daemon *d, struct trace *t);
void trace_close_buffers(struct daemon *d, struct trace *t);
int trace_link_app(struct daemon *d, struct trace *t, struct app *a);
void trace_unlink_app(struct trace *t, struct app *a);
int trace_update_app(struct daemon *d, struct trace *t, struct app *a);
int trace_drain(struct daemon *d, struct trace *t);
void trace_flush(struct daemon *d, struct trace *t);
void trace_totals(const struct trace *t, struct cpu_stats *sum);
void trace_set_error(struct trace *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct trace *trace_for_app(struct session *s, struct app *a);
void drain_all(struct daemon *d);
int traces_sleep(struct daemon *d);
void traces_awake(struct daemon *d);
void trace_woken(struct daemon *d, uint64_t key);
void drain_woken(struct daemon *d);

#endif
