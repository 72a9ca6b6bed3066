/* SPDX-License-Identifier: MIT */
/*
 * rseqtraced: one event loop, the control thread, owns everything below;
 * drain threads (drain.c) write the traces' packets, each owning some CPUs
 * of every trace's buffers and stream files, and are handed work through
 * one lock (struct drainers) and publish counts under one lock per trace
 * (trace.h): the control thread never waits for the disk. All of the daemon's state is one struct daemon, made by
 * daemon_new() and undone, whole, by daemon_free(). The objects and who
 * points at whom:
 *
 *   struct daemon ── conns ─── struct conn (CLI or app role)   transport.h
 *        │                        └── struct app (role app)    registry.h
 *        ├── ops (operations waiting for apps' acknowledgements) session.h
 *        └── sessions ── struct session ── rules               session.h
 *                             └── traces ── struct trace (one buffer set,
 *                                  │          one output)       trace.h
 *                                  └── links ── struct link (app x trace:
 *                                                the app's event ids there)
 *
 * A per-UID session has one shared trace for every rseq-capable app, and
 * one per-PID trace (locked mode) for each app without rseq; a per-PID
 * session has one trace per app. A trace outlives its app (its files stay
 * and `list` still shows its counts) but releases its buffers when the app
 * is gone and everything was drained.
 */
#ifndef RT_CONSUMERD_DAEMON_H
#define RT_CONSUMERD_DAEMON_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include "consumerd/log.h"
#include "protocol/messages.h"

struct conn;
struct session;
struct op;

struct daemon_config {
	char dir[RT_PATH_MAX];        /* socket directory */
	int drain_min_ms, drain_max_ms;
	int ack_timeout_ms;
	/* Caps on what clients can make the daemon hold (0: the default). */
	uint64_t max_buffer_memory;   /* shared buffers of every session, in bytes */
	uint32_t max_app_events;      /* event descriptions kept per application */
	uint64_t max_metadata;        /* bytes of one trace's metadata file */
	const char *restrict_output;  /* if set, outputs must be under it (fuzzing) */
	int no_listen;                /* fuzzing: no socket, no signals */
	int ready_fd;                 /* write a byte here once listening */
	int no_wakeup;                /* drain on the timer only (for comparison) */
	uint32_t drain_threads;       /* 0: one per online CPU, at most MAX_DRAINERS */
	int direct_io;                /* stream files written with O_DIRECT where allowed */
	int drain_nice;               /* the drain threads' nice value; 0: the daemon's */
	int peer_timeout_ms;          /* a peer that sends no first message, or
	                                 reads none of an answer, for this long is
	                                 closed (0: the default, 5000) */
};

struct daemon {
	struct daemon_config cfg;
	uid_t uid;
	int epfd, lfd, sigfd, drain_tfd, op_tfd, lock_fd;
	/* Connection limits (transport.c): conn_tfd ticks while a connection
	 * has a deadline or accepting is paused; spare_fd is kept open to be
	 * given up to answer a connection when out of descriptors. */
	int conn_tfd, spare_fd;
	int conn_tfd_armed;
	uint64_t accept_resume_ms;    /* accepting paused until then (0: not) */
	uint32_t conns_by_role[3];    /* enum conn_role */
	/* What peers can repeat at will is logged once per interval. */
	struct log_every log_other_uid, log_refused, log_evicted, log_no_fds, log_silent,
		log_unread;
	char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint64_t *rx_buf;             /* RT_MSG_MAX bytes: one received record */
	struct conn *conns;
	struct session *sessions;
	struct trace *dying;          /* destroyed, waiting for the drain threads to close them */
	struct drainers *dr;          /* the drain threads (drain.c) */
	uint64_t current_session;
	struct op *ops;
	int ops_running;              /* ops_check() is completing ops */
	uint64_t next_id;             /* conns, apps, sessions, trace keys */
	uint64_t next_sync;
	int drain_ms;
	int drain_armed_ms;           /* the drain timer's period now (0: off) */
	int quit;                     /* shutting down */
	int done;                     /* leave the loop */
	uint32_t nr_cpus;
	uint64_t buffer_memory;       /* bytes of every buffer set mapped now */
	uint64_t wakeups, drain_passes;
	uint64_t writer_wakeups;      /* atomic: counted by the drain threads */
};

/* epoll tags: connections are TAG_CONN_MIN + their id. (Apps' wake-up
 * sockets are in the drain threads' epoll sets, drain.c.) */
#define TAG_LISTEN 1ull
#define TAG_SIGNAL 2ull
#define TAG_DRAIN 3ull
#define TAG_OPS 4ull
#define TAG_CONNS 5ull
#define TAG_DRAINED 6ull
#define TAG_CONN_MIN 16ull

#define DEFAULT_MAX_APP_EVENTS 16384u
#define DEFAULT_MAX_METADATA (64ull << 20)
#define MAX_BUFFER_MEMORY_ENV "RSEQTRACE_MAX_BUFFER_MEMORY"
/* Half of MemTotal: what the daemon may map as buffers by default. */
uint64_t default_buffer_memory(void);

/* NULL with a reason in err. With cfg->no_listen (fuzzing) no socket,
 * lock file or signal handling: connections are added by the caller. */
struct daemon *daemon_new(const struct daemon_config *cfg, char *err, size_t errlen);
int daemon_run(struct daemon *d);
/* Drops every session (flushed and drained), connection and descriptor. */
void daemon_free(struct daemon *d);
/* Watches fd for input in the event loop, tagged with tag. 0 or -1. */
int daemon_watch(struct daemon *d, int fd, uint64_t tag);
/* Changes what fd is watched for (EPOLLIN, EPOLLOUT). 0 or -1. */
int daemon_rewatch(struct daemon *d, int fd, uint64_t tag, uint32_t events);
void daemon_unwatch(struct daemon *d, int fd);
void daemon_update_timers(struct daemon *d);

#endif
