/* SPDX-License-Identifier: MIT */
/*
 * The rseqtrace control protocol: every message between the CLI, the
 * daemon (rseqtraced) and instrumented applications. Definitions only;
 * encoding, decoding and validation are in codec.h.
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
 * Everything received is hostile until rt_msg_decode() (codec.h) has accepted it:
 * the magic and version, the payload length against the type, NUL
 * termination inside every fixed-size string, the character set of names,
 * every count against the bytes present, every enum and every reserved
 * field (zero), the number of descriptors. A receiver that gets a message
 * rt_msg_decode() (codec.h) refuses closes that connection and carries on.
 *
 *   CLI -> daemon            daemon -> CLI
 *   CREATE, ENABLE, DISABLE, REPLY (one or more, RT_REPLY_MORE on all
 *   START, STOP, DESTROY,    but the last), hdr.seq echoes the request
 *   LIST, ADD_CONTEXT,
 *   ENABLE_CHANNEL,
 *   DISABLE_CHANNEL, TRACK, UNTRACK
 *
 *   app -> daemon            daemon -> app
 *   APP_REGISTER             APP_CHANNEL (+2 fds), APP_CHANNEL_DEL,
 *   APP_EVENTS ...           APP_FILTER, APP_ENABLE, APP_ACTIVE,
 *   APP_READY_REQ            APP_READY (answers APP_READY_REQ),
 *   APP_SYNC_ACK             APP_SYNC (the app answers APP_SYNC_ACK with
 *                            the same seq once it applied everything before)
 *
 * An application connection begins with APP_REGISTER; a CLI connection
 * sends anything else. The role of a connection never changes.
 */
#ifndef RT_PROTOCOL_MESSAGES_H
#define RT_PROTOCOL_MESSAGES_H

#include <stdint.h>

#include "common/context.h"
#include "common/loglevel.h"

#define RT_PROTO_MAGIC 0x50435452u /* "RTCP" little-endian */
#define RT_PROTO_VERSION 9u /* 5: channels; 6: CREATE to a relayd; 7: filters, exclusions (ENABLE), APP_FILTER, TRACK/UNTRACK; 8: SNAPSHOT, ROTATE, snapshot sessions; 9: ROTATE's flags (no-wait) */

#define RT_MSG_MAX 65536u         /* header + payload, one record */
#define RT_MSG_MAX_FDS 2u
#define RT_NAME_MAX 64u           /* session name, NUL included */
#define RT_PATH_MAX 4096u         /* output directory, NUL included */
#define RT_HOST_MAX 256u          /* a relayd's host name or address, NUL included */
#define RT_HOSTNAME_MAX 64u       /* the name a relayd files traces under, NUL included */
#define RT_PATTERN_MAX 256u       /* one event pattern, NUL included */
#define RT_MAX_PATTERNS 64u       /* patterns per ENABLE/DISABLE */
#define RT_PROCNAME_MAX 16u       /* like the kernel's comm, NUL included */
#define RT_MAX_APP_EVENTS 65536u  /* event descriptions per application */
#define RT_DESC_MAX 16384u        /* one event description */
#define RT_ENABLE_MAX 2048u       /* entries per APP_ENABLE */
#define RT_FILTER_TEXT_MAX 4096u  /* a filter expression, NUL included */
#define RT_MAX_EXCLUSIONS 64u     /* exclusion patterns per ENABLE */
#define RT_FILTER_PROGS_MAX 16u   /* programs per APP_FILTER (filter/program.h RT_FP_MAX_PER_EVENT) */
#define RT_FILTER_PROG_MAX 16384u /* bytes of one program (at least RT_FP_MAX_BYTES) */

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
	RT_MSG_ENABLE_CHANNEL = 9,
	RT_MSG_DISABLE_CHANNEL = 10,
	RT_MSG_TRACK = 11,
	RT_MSG_UNTRACK = 12,
	RT_MSG_SNAPSHOT = 13,   /* snapshot record / add-output / del-output / list-output */
	RT_MSG_ROTATE = 14,     /* rotate / enable-rotation / disable-rotation */
	/* daemon -> CLI */
	RT_MSG_REPLY = 16,
	/* app -> daemon */
	RT_MSG_APP_REGISTER = 32,
	RT_MSG_APP_EVENTS = 33,
	RT_MSG_APP_READY_REQ = 34,
	RT_MSG_APP_SYNC_ACK = 35,
	RT_MSG_APP_GROW = 36,
	/* daemon -> app */
	RT_MSG_APP_READY = 48,
	RT_MSG_APP_CHANNEL = 49,
	RT_MSG_APP_CHANNEL_DEL = 50,
	RT_MSG_APP_ENABLE = 51,
	RT_MSG_APP_ACTIVE = 52,
	RT_MSG_APP_SYNC = 53,
	RT_MSG_APP_GROWN = 54,
	RT_MSG_APP_FILTER = 55,
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
enum rt_msg_clock { RT_MSG_CLOCK_MONOTONIC = 0, RT_MSG_CLOCK_TSC = 1 };
enum rt_loglevel_type {
	RT_LOGLEVEL_ALL = 0,    /* any loglevel */
	RT_LOGLEVEL_RANGE = 1,  /* loglevel at least as severe (<=) as the given one */
	RT_LOGLEVEL_SINGLE = 2, /* exactly the given loglevel */
};
#define RT_LOGLEVEL_MIN 0                       /* TRACE_EMERG */
#define RT_LOGLEVEL_MAX (RT_LOGLEVEL_COUNT - 1) /* TRACE_DEBUG */

struct rt_msg_create {
	char name[RT_NAME_MAX];     /* "" = auto-YYYYMMDD-HHMMSS */
	char output[RT_PATH_MAX];   /* absolute, or "" for the default */
	uint32_t buffers;           /* enum rt_buffers */
	uint32_t subbuf_size;       /* 0 = default; else a power of two */
	uint32_t num_subbuf;        /* 0 = default; else a power of two */
	uint32_t clock;             /* enum rt_msg_clock */
	uint32_t flags;             /* RT_CREATE_* */
	uint64_t blocking_us;       /* RT_BLOCKING_*, or a timeout in us */
	/* Streaming to an lttng-relayd instead of files (output then ""). */
	char relayd_host[RT_HOST_MAX];   /* numeric IPv4/IPv6; "" = local files */
	char hostname[RT_HOSTNAME_MAX];  /* the relayd files it under it; "" = ours */
	uint16_t relayd_ctrl, relayd_data; /* ports */
	uint32_t live_us;                /* live timer; 0 = not live */
};

/* Snapshot mode (lttng create --snapshot): its channels are in overwrite
 * mode by default and no drain empties them; `snapshot record` writes
 * what they hold. */
#define RT_CREATE_SNAPSHOT 1u
/* lttng create --no-output, for a snapshot session: no default snapshot
 * output (records name one, or go to one added later), no directory. */
#define RT_CREATE_NO_OUTPUT 2u

enum rt_snapshot_action {
	RT_SNAP_RECORD = 0,
	RT_SNAP_ADD_OUTPUT = 1,
	RT_SNAP_DEL_OUTPUT = 2,
	RT_SNAP_LIST_OUTPUT = 3,
};

/* SNAPSHOT: lttng snapshot's actions. */
struct rt_msg_snapshot {
	char session[RT_NAME_MAX];  /* "" = the current session */
	char name[RT_NAME_MAX];     /* output name ("" = snapshot-ID); RECORD: overrides it */
	char output[RT_PATH_MAX];   /* absolute directory, or net://ADDR:CTRL:DATA (numeric); RECORD: "" = the session's output */
	uint64_t max_size;          /* bytes of the snapshot at most, 0 = no limit */
	uint32_t action;            /* enum rt_snapshot_action */
	uint32_t id;                /* DEL_OUTPUT: the output's id */
};

enum rt_rotate_action {
	RT_ROT_NOW = 0,     /* lttng rotate */
	RT_ROT_ENABLE = 1,  /* enable-rotation: timer_us and/or size non-zero */
	RT_ROT_DISABLE = 2, /* disable-rotation: the schedules whose field is non-zero */
};

/* ROTATE: session rotation (lttng rotate, enable-rotation, disable-rotation). */
struct rt_msg_rotate {
	char session[RT_NAME_MAX];  /* "" = the current session */
	uint64_t timer_us;          /* a rotation every timer_us microseconds */
	uint64_t size;              /* a rotation when the chunk reaches size bytes */
	uint32_t action;            /* enum rt_rotate_action */
	uint32_t flags;             /* RT_ROTATE_*; RT_ROT_NOW only */
};

/* rotate --no-wait (lttng's): the answer once the rotation is started, not
 * once the archive is complete. */
#define RT_ROTATE_NO_WAIT 1u

/* Blocking timeout of a channel (lttng's enable-channel --blocking-timeout):
 * how long a writer that finds its buffer full waits for the consumer
 * before it drops the event (counted). */
#define RT_BLOCKING_NONE 0u              /* discard at once (the default) */
#define RT_BLOCKING_INF UINT64_MAX        /* wait until there is room or the session stops */
#define RT_BLOCKING_MAX_US 2147483647u   /* a finite timeout at most this (~36 min) */

#define RT_RULE_ALL 1u /* DISABLE: every rule, no pattern follows */

/* ENABLE and DISABLE. Variable part: `count` NUL-terminated patterns,
 * then `nr_exclusions` exclusion patterns (ENABLE only), back to back,
 * then (ENABLE only) filter_len bytes of filter expression, printable
 * ASCII, NUL-terminated; filling it exactly. A rule with exclusions has
 * patterns with a '*' only (lttng's rule). */
struct rt_msg_rule {
	char session[RT_NAME_MAX];  /* "" = the current session */
	uint32_t loglevel_type;     /* enum rt_loglevel_type; ALL for DISABLE */
	int32_t loglevel;
	uint32_t count;
	uint32_t flags;             /* RT_RULE_ALL (DISABLE only) */
	char channel[RT_NAME_MAX];  /* "" = RT_DEFAULT_CHANNEL */
	uint32_t nr_exclusions;     /* 0..RT_MAX_EXCLUSIONS */
	uint32_t filter_len;        /* 0 (no filter) or 2..RT_FILTER_TEXT_MAX, NUL included */
};

/* TRACK and UNTRACK (lttng's process attribute trackers). Variable part:
 * count uint32 values (ids), none with RT_TRACK_ALL. */
enum rt_track_attr { RT_TRACK_VPID = 0, RT_TRACK_VUID = 1, RT_TRACK_VGID = 2, RT_TRACK_NR };
/* Their names, as lttng spells them (codec.c): "vpid", "vuid", "vgid". */
extern const char *const rt_track_names[RT_TRACK_NR];
#define RT_TRACK_ALL 1u
#define RT_TRACK_MAX_VALUES 1024u
struct rt_msg_track {
	char session[RT_NAME_MAX];  /* "" = the current session */
	uint32_t attr;              /* enum rt_track_attr */
	uint32_t flags;             /* RT_TRACK_ALL */
	uint32_t count;             /* 0 with RT_TRACK_ALL, else 1..RT_TRACK_MAX_VALUES */
	uint32_t reserved;
};

#define RT_LIST_KV 1u /* LIST: key=value lines for scripts instead of prose */
#define RT_LIST_CURRENT 2u /* LIST: session "" is the current one (status), not all */

/* ADD_CONTEXT: fields recorded with every event of the session's traces,
 * added before its first start (RT_CTX_* below). */
struct rt_msg_context {
	char session[RT_NAME_MAX];  /* "" = the current session */
	uint32_t contexts;          /* RT_CTX_*, at least one */
	uint32_t reserved;
	char channel[RT_NAME_MAX];  /* "" = every channel (RT_DEFAULT_CHANNEL if none) */
};

/* The channel enable-event and friends use when none is named, created
 * on first use with the session's defaults, as lttng's. */
#define RT_DEFAULT_CHANNEL "channel0"

/* ENABLE_CHANNEL: creates a channel (each attribute whose RT_CHA_* bit is
 * in `set`; the others take the session's defaults), or enables an
 * existing one (then no attribute may be set). DISABLE_CHANNEL: `set` 0,
 * every attribute 0. Channel names follow the session names' rules. */
#define RT_CHA_SUBBUF 1u
#define RT_CHA_NUM_SUBBUF 2u
#define RT_CHA_OVERWRITE 4u       /* overwrite: 0 discard, 1 overwrite */
#define RT_CHA_SWITCH_TIMER 8u
#define RT_CHA_READ_TIMER 16u
#define RT_CHA_MONITOR_TIMER 32u
#define RT_CHA_BLOCKING 64u
#define RT_CHA_TRACEFILE_SIZE 128u
#define RT_CHA_TRACEFILE_COUNT 256u
#define RT_CHA_BUFFERS 512u
#define RT_CHA_ALL 1023u
struct rt_msg_channel {
	char session[RT_NAME_MAX];  /* "" = the current session */
	char channel[RT_NAME_MAX];
	uint32_t set;               /* RT_CHA_* */
	uint32_t subbuf_size;       /* a power of two (checked by the daemon) */
	uint32_t num_subbuf;
	uint32_t overwrite;         /* 0 or 1 */
	uint32_t switch_timer_us;   /* lttng's timers, in microseconds; 0 = off */
	uint32_t read_timer_us;
	uint32_t monitor_timer_us;
	uint32_t buffers;           /* enum rt_buffers */
	uint64_t blocking_us;       /* RT_BLOCKING_*, or a timeout in us */
	uint64_t tracefile_size;    /* bytes, 0 = unlimited */
	uint32_t tracefile_count;   /* 0 = unlimited */
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
#define RT_APP_CID 2u  /* ... and per-PID buffers indexed by rseq mm_cid (needs RT_APP_RSEQ) */
#define RT_APP_FLAGS (RT_APP_RSEQ | RT_APP_CID)

struct rt_msg_app_register {
	uint32_t vpid;   /* getpid() in the app's namespace (SO_PEERCRED wins) */
	uint32_t ppid;
	uint32_t flags;  /* RT_APP_* */
	uint32_t bits_per_long;
	char procname[RT_PROCNAME_MAX];
	/* How many mm_cid buffers a per-PID set starts with (1..RT_MAX_INDEX):
	 * the app's guess at its concurrency, min(CPUs it may run on, its
	 * threads + 1). More come on demand (APP_GROW). */
	uint32_t nr_start;
	uint32_t reserved;
};

/* Bound on buffer counts and indices on the wire (ringbuf's RT_MAX_CPUS). */
#define RT_MAX_INDEX 4096u

/* Variable part: `count` entries, each a struct rt_msg_desc_len followed
 * by len bytes of event description (eventdesc/desc_wire.h) and zero
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

/* Contexts: RT_CTX_* (common/context.h), the values of RSEQTRACE_CTX_*. */

/* Carries two descriptors: the buffer set's memfd, then the sending end
 * of a wake-up socket (ringbuf.h, rt_wake_pair) made for this app and this
 * set alone, which the app stores in its rt_bufset for its writers (a
 * forked child that has the channel already puts its own in place of the
 * inherited one). `key` names the channel in
 * later messages; keys are never reused by one daemon. */
struct rt_msg_app_channel {
	uint64_t key;
	uint32_t flags;    /* RT_CHAN_* */
	uint32_t contexts; /* RT_CTX_* fields after every event header */
	uint64_t blocking_us; /* RT_BLOCKING_*, or a timeout in us */
	/* Buffers ready to map (1..RT_MAX_INDEX): for a set indexed by
	 * mm_cid, the first nr_ready; for a per-CPU set, all of them (its
	 * count). The app checks it against the set's header. */
	uint32_t nr_ready;
	uint32_t reserved;
};

/*
 * APP_GROW (app -> daemon) and APP_GROWN (the answer) use struct
 * rt_msg_app_key: key = an mm_cid-indexed per-PID channel of this app,
 * value = a buffer count, 1..RT_MAX_INDEX on the wire. GROW: "a thread of
 * mine has mm_cid value - 1: I need value buffers". GROWN: "value buffers
 * are ready" (at least as many as before; fewer than asked means refused:
 * the daemon's memory cap). Each side checks value against the set's
 * header count and its own state; out of range closes the connection.
 */

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

/*
 * APP_FILTER: the filter of event `index` in channel `key` from now on,
 * for the event's current attachment and its next ones: `count`
 * programs (filter/program.h), the event recorded if any accepts it; 0:
 * no filter. Sent before the APP_ENABLE that enables the event, and when
 * the session's rules change it. Variable part: count x {struct
 * rt_msg_desc_len (len 1..RT_FILTER_PROG_MAX), program, zero pad to 8}.
 * The app verifies each program against its own description of the
 * event: a program it refuses disables that event in that channel (said
 * on stderr), the connection stays.
 */
struct rt_msg_app_filter {
	uint64_t key;
	uint32_t index;
	uint32_t count; /* 0..RT_FILTER_PROGS_MAX */
};

/* status -E2BIG: registered, but the app described more events than the
 * daemon keeps per application (rseqtraced --max-app-events): those from
 * index events_max on are not traced. Any other negative status: tracing
 * stays off. events_max is 0 unless status is -E2BIG. */
struct rt_msg_app_ready {
	int32_t status; /* 0, -E2BIG, or a negative errno value */
	uint32_t events_max;
};

#endif
