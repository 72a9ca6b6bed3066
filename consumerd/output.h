/* SPDX-License-Identifier: MIT */
/*
 * Where a trace goes: the interface between a trace's buffers and its
 * CTF output. Local files (output_local.c: a trace directory, metadata,
 * one stream file per CPU, written with the CTF writer of ctf/) is the one
 * implementation now; a snapshot (flight recorder) or a network stream to
 * a relay daemon are others behind the same calls.
 *
 * Every call is bounded: it never waits on an application (the buffers'
 * writers) without a short limit, and reports errors in stats rather than
 * failing the trace.
 */
#ifndef RT_CONSUMERD_OUTPUT_H
#define RT_CONSUMERD_OUTPUT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "ctf/ctf.h"
#include "ringbuf/ringbuf.h"

struct output;

struct output_ops {
	/* Declares event class id of the stream (metadata), before any
	 * packet that uses it. 0, -EFBIG (the metadata cap), or -errno. */
	int (*add_event)(struct output *o, uint32_t id, const struct rt_desc *d);
	/* One CPU at a time: each CPU is owned by one drain thread at a time,
	 * and different CPUs are worked on at once.
	 * Writes the CPU's closed sub-buffers; with partial (a flush) also
	 * what is committed in the open one, and the losses not reported yet;
	 * needs no writer. Packets written, or -errno. */
	int (*drain_cpu)(struct output *o, uint32_t cpu, int partial);
	/* Skips what was committed since the flush, counted as lost (late). */
	uint64_t (*skip_late_cpu)(struct output *o, uint32_t cpu);
	/* Counts of one CPU (the error fields are the output's). */
	void (*cpu_stats)(const struct output *o, uint32_t cpu, struct ctf_channel_stats *st);
	/* Events lost on one CPU, by cause. */
	void (*cpu_losses)(const struct output *o, uint32_t cpu, struct ctf_losses *out);
	/* Closes the CPU's file (which may wait for the disk). */
	void (*close_cpu)(struct output *o, uint32_t cpu);
	/* Frees o; returns the first write error it met (0 if none). The
	 * buffers stay mapped: they are the caller's. */
	int (*close)(struct output *o);
	/* Flight recorder (NULL where it does not apply). snapshot_cpu: what
	 * the CPU's buffer holds now to its stream (ctf_channel_snapshot_cpu).
	 * A snapshot output writes the whole trace to the directory the
	 * control thread armed (output_snapshot_arm), on the drain threads:
	 * snapshot_begin, on one, opens it (the directory, the metadata) and
	 * returns the buffers to write, or 0 if the snapshot is over already
	 * (failed, or nothing to write: the result is published);
	 * snapshot_share, on any number of threads at once, writes buffers
	 * until none is left to take; the one that wrote the last closes it,
	 * publishes the result and returns 1. */
	int (*snapshot_cpu)(struct output *o, uint32_t cpu, uint64_t budget,
			    struct ctf_snapshot_stats *st);
	int (*snapshot_begin)(struct output *o);
	int (*snapshot_share)(struct output *o);
	/* Session rotation (NULL where it does not apply): the trace goes on
	 * below another session directory, same layout; what was written
	 * stays, a trace of its own. Every CPU's owner idle. 0 or -errno. */
	int (*move)(struct output *o, const char *session_output, char *err, size_t errlen);
};

struct output {
	const struct output_ops *ops;
	/* drain_cpu on every CPU at every drain timer tick, not only where a
	 * sub-buffer closed (a network output: its link, live beacons). */
	int every_tick;
	char dir[PATH_MAX];      /* where it is, for messages and `list` */
};

struct relayd_link;

struct output_config {
	const char *session_output;  /* the session's directory */
	int per_pid;                 /* per-PID layout (else per-UID) */
	uint32_t uid;
	int32_t pid;                 /* per-PID: the app's pid (the daemon's view) and name */
	int32_t vpid;                /* per-PID: its pid in its own PID namespace */
	const char *procname;
	const char *session_name;
	enum rt_clock clock;
	const uint8_t *uuid;         /* the buffer set's */
	uint32_t stream_id;          /* the channel's stream class */
	const char *channel;         /* its name: stream files NAME_<index> */
	/* Another channel's open output whose trace directory and metadata
	 * this one shares (its stream class added there); NULL: a new one. */
	struct output *share;
	uint32_t contexts;           /* RT_CTX_* every record carries */
	uint64_t max_metadata;       /* add_event fails with -EFBIG past it */
	int direct_io;               /* stream files O_DIRECT where allowed (ctf.h) */
	int index_cid;               /* buffers indexed by mm_cid (ctf.h) */
	struct relayd_link *relayd;  /* non-NULL: stream to this relayd (output_relayd_open) */
	uint64_t tracefile_size;     /* ctf_channel_set_tracefiles; 0: one file per stream */
	uint32_t tracefile_count;
	int snapshot;                /* ctf_trace_config's */
};

/* Creates the trace directory and its metadata (or, with cfg->share,
 * adds a stream class to that one's) and binds bs (mapped, made with
 * cfg->uuid and stream id). On failure nothing is left on disk that was
 * not there. 0, or -errno with a message in err. The directory and
 * metadata are closed with the last output that shares them. */
int output_local_open(const struct output_config *cfg, struct rt_bufset *bs,
		      struct output **out, char *err, size_t errlen);

/* Network output (output_relayd.c): a session's link to an lttng-relayd,
 * shared by its traces, made by a drain thread when first needed. */
struct relayd_link_config {
	char host[256];
	uint16_t ctrl_port, data_port;
	uint32_t live_us;            /* 0: not live */
	char hostname[64];           /* the relayd files the trace under it */
	char session_name[256];
	char created_at[32];         /* YYYYMMDD-HHMMSS */
	/* A directory between the session's and the traces' (a snapshot's
	 * NAME-YYYYMMDD-HHMMSS-N), or "". */
	char subdir[256];
};
struct relayd_link *relayd_link_new(const struct relayd_link_config *cfg);
/* The session drops its reference (outputs hold their own). */
void relayd_link_put(struct relayd_link *l);
/* At start: a link that failed may be made again by the next drain. */
void relayd_link_retry(struct relayd_link *l);
/* The name the relayd files the session's traces under (--hostname). */
const char *relayd_link_hostname(const struct relayd_link *l);
/* 1 if up; else 0 with why it is down. Never waits on the network. */
int relayd_link_status(struct relayd_link *l, char *why, size_t n);
/* Binds bs to a trace streamed over cfg->relayd. No network I/O. */
int output_relayd_open(const struct output_config *cfg, struct rt_bufset *bs,
		       struct output **out, char *err, size_t errlen);
/* A drain thread: makes o's link and its streams now (a snapshot, which
 * must know before it copies). 0, or -ENOTCONN with why. */
int output_relayd_connect(struct output *o, char *why, size_t n);
/*
 * Snapshot mode (output_snapshot.c): nothing is drained and nothing goes
 * to disk until a snapshot; the set is in overwrite mode. It keeps the
 * event descriptions it is given (they belong to the trace's event table,
 * which outlives the output) and, at each snapshot, writes a complete
 * trace below the armed directory in the usual layout, with a local
 * output of its own. Opening it touches no disk.
 */
int output_snapshot_open(const struct output_config *cfg, struct rt_bufset *bs,
			 struct output **out, char *err, size_t errlen);
/* Control thread, before it posts DR_SNAPSHOT: where the next snapshot
 * goes (a session output directory of its own), the bytes each CPU's
 * stream may take (0: no limit), and the snapshot outputs of the other
 * channels of o's trace directory, written with o's (held by the caller
 * until it is done). Memory only; 0 or -ENOMEM. */
int output_snapshot_arm(struct output *o, const char *dir, uint64_t cpu_budget,
			struct output **with, uint32_t nr_with);
/* The same for a snapshot sent to an lttng-relayd (net://): a relayd
 * session of its own (lc) for o's trace directory, every channel's streams
 * in it, its traces below lc->subdir. 0 or -ENOMEM. */
int output_snapshot_arm_net(struct output *o, const struct relayd_link_config *lc,
			    uint64_t cpu_budget, struct output **with, uint32_t nr_with);
struct snapshot_result {
	struct ctf_snapshot_stats st;
	int error;                   /* 0, or -errno */
	char dir[PATH_MAX];          /* the trace directory written */
	char msg[PATH_MAX + 128];    /* why it failed */
};
static inline void snapshot_stats_add(struct ctf_snapshot_stats *to,
				      const struct ctf_snapshot_stats *from)
{
	to->packets += from->packets;
	to->events += from->events;
	to->bytes += from->bytes;
	to->discarded += from->discarded;
	to->overwritten += from->overwritten;
	to->changed += from->changed;
	to->trimmed += from->trimmed;
}
/* The last snapshot's outcome (control thread, once the trace is idle). */
void output_snapshot_result(struct output *o, struct snapshot_result *r);

#endif
