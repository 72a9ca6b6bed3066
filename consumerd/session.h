/* SPDX-License-Identifier: MIT */
/*
 * Sessions: their state machine, the CLI commands, event rules, and the
 * operations that wait for applications to acknowledge a change before
 * the CLI is answered (ops). list.c renders sessions for `list` and stop.
 */
#ifndef RT_CONSUMERD_SESSION_H
#define RT_CONSUMERD_SESSION_H

#include <stdint.h>

#include "consumerd/text.h"
#include "protocol/codec.h"
#include "protocol/messages.h"
#include "ringbuf/ringbuf.h"

struct daemon;
struct conn;
struct trace;
struct event_desc;
struct relayd_link;

enum session_state { S_CREATED, S_ACTIVE, S_STOPPED };

struct rt_filter;

struct rule {
	char pattern[RT_PATTERN_MAX];
	int enable;
	uint32_t loglevel_type;
	int loglevel;
	/* enable-event --filter: the text as given and its parse (owned). */
	char *filter_text;
	struct rt_filter *filter;
	/* enable-event --exclude: names the pattern does not match (owned). */
	char (*excl)[RT_PATTERN_MAX];
	uint32_t nr_excl;
};

/* Process attribute trackers (track/untrack), one per attribute. */
enum track_policy { TRACK_ALL = 0, TRACK_NONE, TRACK_SET };
struct tracker {
	enum track_policy policy;
	uint32_t nr;
	uint32_t *values; /* TRACK_SET: the ids */
};

/* A channel (lttng's): its own buffer sets (per UID, or per process, as
 * the session's buffer type) and stream files NAME_<index>, one stream
 * class in the metadata of each trace directory, its contexts and event
 * rules. Its attributes are fixed when it is made; channels are made
 * before the session's first start only (so are LTTng-UST's). */
struct channel {
	struct channel *next;
	char name[RT_NAME_MAX];
	uint32_t stream_id;     /* its stream class in every trace directory */
	int enabled;            /* disable-channel: no event of it is recorded */
	uint32_t subbuf_size, num_subbuf;
	int overwrite;          /* stored: refused until the ring buffer has the mode */
	uint32_t switch_timer_us, read_timer_us, monitor_timer_us; /* shown, saved */
	uint64_t blocking_us;   /* RT_BLOCKING_*, or a timeout: sent to apps */
	uint64_t tracefile_size; /* stored: refused until the output rotates files */
	uint32_t tracefile_count;
	uint32_t contexts;      /* RT_CTX_*: fixed at the session's first start */
	struct rule *rules;
	uint32_t nr_rules;
};

struct session {
	struct session *next;
	uint64_t id;
	char name[RT_NAME_MAX];
	char output[RT_PATH_MAX];
	char created_at[32];    /* YYYYMMDD-HHMMSS */
	enum rt_buffers buffers; /* of every channel (one type per session, as lttng) */
	/* Defaults of the channels it makes (create's options, else the
	 * buffer type's): given says which create set (RT_CHA_*). */
	uint32_t subbuf_size, num_subbuf;
	uint64_t blocking_us;
	uint32_t given;
	enum rt_clock clock;
	enum session_state state;
	int started_once;
	int busy;               /* an operation awaits app acknowledgements */
	struct channel *channels; /* in the order they were made */
	uint32_t nr_channels;
	struct tracker trackers[RT_TRACK_NR];
	struct trace *traces;   /* of every channel */
	struct text warnings;   /* layout conflicts and the like, shown by list */
	uint32_t warnings_dropped; /* past the warnings' size cap: counted only */
	uint32_t untraced;      /* processes refused buffers (the memory cap...) */
	struct relayd_link *relayd; /* streamed to an lttng-relayd (output_relayd.c) */
	uint32_t live_us;
	/* Snapshot mode (flight recorder): overwrite-mode buffers, no drain;
	 * one snapshot output at most, as lttng 2.13 has. */
	int snapshot;
	struct snapshot_output {
		uint32_t id;            /* 0: none */
		char name[RT_NAME_MAX];
		char path[RT_PATH_MAX];
		uint64_t max_size;      /* 0: no limit */
	} snap_out;
	uint32_t snap_next_id;      /* the next output's id */
	uint64_t snapshots;         /* records taken: the N of NAME-DATE-TIME-N */
	char snap_dir[RT_PATH_MAX]; /* the record in progress */
	/* Session rotation (rotation.c): the current trace chunk, where new
	 * traces go (the output, then <output>/<begin>-<id>), and the
	 * rotation in progress (rot_phase 1: traces moving, 2: archiving). */
	uint64_t chunk_id;
	char chunk_dir[RT_PATH_MAX];
	char chunk_begin[32];       /* lttng's YYYYmmddTHHMMSS+HHMM */
	uint64_t chunk_begin_ms;
	uint64_t chunk_bytes;       /* the session's bytes written when it began */
	uint64_t rot_timer_us, rot_size; /* schedules, 0: off */
	int rot_phase;
	int rot_stopped;            /* rotated since it stopped: nothing more to archive */
	int rot_empty;              /* the chunk archived here had no trace data */
	char rot_name[96];          /* the archive: <begin>-<end>-<id> */
	char rot_from[RT_PATH_MAX]; /* the old chunk's directory */
};

/* An operation awaiting app acknowledgements. */
/* An operation awaiting app acknowledgements, then (stop, destroy,
 * shutdown) the drain threads' flushes, or (list of a started session) a
 * drain pass; each wait bounded by its deadline. */
enum op_kind { OP_ENABLE, OP_START, OP_STOP, OP_DESTROY, OP_SHUTDOWN, OP_LIST, OP_SNAPSHOT,
	       OP_ROTATE };
struct op {
	struct op *next;
	enum op_kind kind;
	uint64_t conn_id;       /* the CLI to answer, 0 if none */
	uint64_t req_seq;
	uint64_t session_id;
	uint64_t sync_seq;      /* every app must have acked this */
	uint64_t deadline_ms;
	int draining;           /* apps done: now waiting for the drain threads */
	int kv;                 /* OP_LIST: list --kv */
	struct text reply;      /* text prepared when the op was started */
};

/* Handles a CLI message; -1 if the connection must be closed. */
int cli_dispatch(struct daemon *d, struct conn *c, const struct rt_msg *m);
/* Completes the ops whose apps all answered (or are gone, or late);
 * force: every op, now. */
void ops_check(struct daemon *d, int force);
struct session *session_find_id(struct daemon *d, uint64_t id);
struct session *session_find(struct daemon *d, const char *name);
/* Immediately, without waiting for apps (daemon_free). */
void session_destroy_now(struct daemon *d, struct session *s);
/* SIGTERM: stops every session, then finishes. */
void daemon_shutdown(struct daemon *d);
/* Adds a line to what list shows of s; past a size cap, counts it only
 * (one client cannot grow it without bound). */
void session_warn(struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* channel.c */
struct channel *channel_find(const struct session *s, const char *name);
/* The channel a command names ("" = RT_DEFAULT_CHANNEL), made with the
 * session's defaults if it does not exist and the session was never
 * started. NULL with why (and *status) if it cannot be. */
struct channel *channel_get(struct daemon *d, struct session *s, const char *name,
			    int *status, char *why, size_t n);
void channel_free(struct channel *ch);
/* Frees ch's rules (their filters and exclusions) and leaves it none. */
void channel_rules_free(struct channel *ch);
int cmd_enable_channel(struct daemon *d, struct conn *c, const struct rt_msg *m);
int cmd_disable_channel(struct daemon *d, struct conn *c, const struct rt_msg *m);
/* Applies the channels' rules to every app linked to the session's traces. */
void session_update_apps(struct daemon *d, struct session *s);
/* Finds the session a command names, or answers the CLI why not. */
struct session *command_session(struct daemon *d, struct conn *c, uint64_t seq, const char *name);
/* Default geometry of a channel of a session with these buffers. */
void channel_default_geometry(enum rt_buffers b, uint32_t *subbuf, uint32_t *num);
/* Checks a geometry against the ring buffer's rules and the daemon's cap. */
int check_geometry(struct daemon *d, uint32_t subbuf, uint32_t num, char *why, size_t n);
/* Starts an op: every app with unsynchronized changes gets an APP_SYNC. */
void op_begin(struct daemon *d, enum op_kind kind, struct conn *c, uint64_t seq,
	      struct session *s, struct text *reply);
/*
 * Whether e is recorded in channel ch, with which filter programs: the
 * enable rules of ch that match e after the last disable rule that does
 * (none of a disabled channel). 1 and no programs (*n = 0): every hit; 1
 * and *n programs (in var, as APP_FILTER's variable part, *var_len bytes,
 * malloc'd): hits any accepts; 0: not recorded (no rule, or none whose
 * filter applies to e). Warnings go to s.
 */
int rules_filter(struct session *s, const struct channel *ch, const struct event_desc *e,
		 uint8_t **var, uint32_t *var_len, uint32_t *n);
/* Whether the process passes s's trackers. */
struct app;
int session_tracks(const struct session *s, const struct app *a);
/* "vpid, vtid" (sep ", ") or "vpid,vtid" (sep ","). */
void contexts_text(struct text *t, uint32_t contexts, const char *sep);
void describe_rule(struct text *t, const struct rule *r);
/* The trackers of s, for list (kv: key=value lines). */
void trackers_text(struct text *t, const struct session *s, int kv);

/* Answers `list SESSION` once a drain pass of the session's traces is
 * done, or at a short deadline: never later, whatever the disk does. */
int op_list_session(struct daemon *d, struct conn *c, uint64_t seq, struct session *s, int kv);

/* Answers `snapshot record` once the drain threads are done with every
 * trace of s, or at a deadline (snapshot.c posted the work). */
int op_snapshot_session(struct daemon *d, struct conn *c, uint64_t seq, struct session *s);

/* A directory a client may have us write to (the daemon's --restrict-output,
 * an existing ancestor we can write): 0, or -errno with why. */
int output_path_check(struct daemon *d, const char *path, char *why, size_t n);

/* snapshot.c: the flight recorder's commands */
void snapshot_session_init(struct session *s);
int cmd_snapshot(struct daemon *d, struct conn *c, const struct rt_msg *m);
/* The reply of a record whose work is done (late: not all of it). Status. */
int snapshot_report(struct daemon *d, struct session *s, int late, struct text *reply);

/* rotation.c: session rotation (lttng rotate, enable-rotation) */
void rotation_session_init(struct session *s);
int cmd_rotate(struct daemon *d, struct conn *c, const struct rt_msg *m);
/* OP_ROTATE: 1 while its phases are not done (drives them). */
int rotation_waiting(struct daemon *d, struct session *s);
int rotation_report(struct daemon *d, struct session *s, int late, struct text *reply);
/* When drain threads finish work: ends the rotations that outlived their
 * operation (rotation_report late) once their phases are done. */
void rotation_check(struct daemon *d);
/* The schedules, on the drain timer's tick. */
void rotation_tick(struct daemon *d);
/* Drain thread (DR_ARCHIVE): from (a chunk's ust/) into
 * <base>/archives/<name>/ust, that directory made fresh; then chunk (its
 * own directory, NULL for the output itself) removed. 0 or -errno, msg. */
int chunk_archive(const char *from, const char *base, const char *name, const char *chunk,
		  char *msg, size_t n);
/* Starts an op (a CLI's if c, else none) that answers when done. */
int op_wait_session(struct daemon *d, struct conn *c, uint64_t seq, struct session *s,
		    enum op_kind kind);

/* list.c */
int cmd_list(struct daemon *d, struct conn *c, const struct rt_msg *m);
void list_one_session(struct daemon *d, const struct session *s, int kv, struct text *t);
/* The counts stop prints. */
void session_summary(struct session *s, struct text *t);

#endif
