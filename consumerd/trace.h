/* SPDX-License-Identifier: MIT */
/*
 * Traces: one buffer set, one output (output.h), and the event ids of that
 * trace. The buffers' reader keeps its positions in our memory and builds
 * packet headers itself (ringbuf/layout.h, I6): what an application
 * scribbles on the buffers costs the records it touched, counted, and
 * never the trace or another CPU.
 */
#ifndef RT_CONSUMERD_TRACE_H
#define RT_CONSUMERD_TRACE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "consumerd/drain.h"
#include "consumerd/registry.h"
#include "protocol/messages.h"
#include "ringbuf/ringbuf.h"

struct daemon;
struct session;
struct output;
struct wake_src;
struct trace_drain;

/* Counts of one trace, or of one CPU of it. discarded = lost_full +
 * lost_big + lost_abort + lost_nobuf + lost_invalid + corrupt_events +
 * late_events + unwritten_events,
 * the events lost by cause (ctf.h, struct ctf_losses). */
struct cpu_stats {
	uint64_t packets, bytes, events, discarded, pending_discarded;
	uint64_t corrupt_packets, unwritten_events;
	uint64_t corrupt_events, late_events, counter_resets;
	uint64_t overwritten_packets; /* overwrite mode: reused before the daemon took them */
	uint64_t lost_full, lost_big, lost_abort, lost_nobuf, lost_invalid;
	uint64_t subbufs;       /* sub-buffers consumed (per CPU) */
};

struct trace_event {
	struct event_desc desc; /* our own copy */
	uint32_t id;
};

struct trace {
	struct trace *next;
	struct session *s;
	struct channel *ch;     /* its channel, of s (NULL once s is destroyed) */
	uint8_t uuid[16];       /* its trace directory's (shared by its channels) */
	uint64_t key;           /* channel key sent to apps; unique per daemon */
	struct app *owner;      /* per-PID trace: its app (NULL once gone) */
	pid_t owner_pid;
	char owner_name[RT_PROCNAME_MAX];
	int per_pid;
	/* Its session is in snapshot mode: overwrite-mode buffers that no
	 * drain, timer or wake-up reads; only DR_SNAPSHOT does (drain.h). */
	int snapshot;
	uint32_t contexts;      /* RT_CTX_*: its stream class, and what apps record */
	enum rt_mode mode;      /* of its buffers, kept after they are closed */
	char *dir;              /* where its files are */
	struct output *out;
	struct rt_bufset bs;    /* bs.wake_fd: -1 (each link has its own) */
	uint64_t buffer_bytes;  /* bs's size, in the daemon's buffer_memory while mapped */
	int mapped;             /* bs and out are open */
	/* Flushed at stop: its files and counts are final, nothing more is
	 * taken until the next start, which counts what came late as lost. */
	int final;
	/* Per CPU, and the event table: while mapped only. A closed trace
	 * (its app gone, or its session destroyed) keeps its path and counts,
	 * which is all `list` shows of it: nothing else grows with exited
	 * processes. */
	uint32_t nr_cpus;       /* buffers in use: bs.nr_cpus (cpu[] has bs.nr_max) */
	uint32_t index;         /* enum rt_index of its buffers, kept after close */
	uint32_t nr_buffers;    /* the most it had in use, kept after close */
	uint32_t grow_refused;  /* the largest buffer count refused (the cap), logged */
	struct cpu_stats *cpu;
	struct cpu_stats total; /* refreshed after each drain, kept after close */
	struct trace_event **events; /* by id */
	void *by_name;          /* tsearch tree of events, by name */
	uint32_t nr_events, cap_events;
	uint32_t refused_events;  /* never declared: a layout conflict or the metadata cap */
	uint64_t max_metadata;  /* the daemon's cap, for messages */
	int metadata_full;      /* the cap was reached (logged once) */
	struct link *links;
	char *error;            /* first error, shown by stop and list (NULL: none) */

	/* Shared with the drain threads (drain.c); everything above is the
	 * control thread's, except out and bs's reader side, which belong to
	 * the drain threads (each CPU to the thread holding its claim) while
	 * the trace is listed. Under the drainers' lock: */
	struct trace *dnext;    /* in the drainers' list: from create to closed */
	/* The drain threads' state of it (work bits, claims, its sleeper and
	 * wake-up sockets: drain.c), from drainers_add until it leaves their
	 * list: not kept for the closed traces that list shows. */
	struct trace_drain *dd;
	/* Session rotation (rotation.c), allocated at the trace's first one:
	 * what the drain thread doing DR_ROTATE / DR_ARCHIVE needs and tells
	 * (a closed trace keeps one pointer of it, nothing more). */
	struct trace_rotation *rot;
	/* Control thread only: */
	int flushing;           /* a flush was posted and is not done */
	int closing;            /* DR_CLOSE posted: the buffers go when closed */
	uint64_t next_switch_ms; /* its channel's switch timer: the next switch due */
	/* Published by the drain threads, under stats_lock (never held during
	 * I/O); trace_refresh_stats() copies it into total, cpu and error. */
	pthread_mutex_t stats_lock;
	struct cpu_stats *pub_cpu;
	char *pub_error;
};

/* Set by the control thread before it posts DR_ROTATE / DR_ARCHIVE, read
 * by the drain thread doing it; error and msg written by that thread,
 * read by the control thread once the trace is idle. */
struct trace_rotation {
	char *dir;              /* the new chunk's session directory */
	int flush;              /* take the open sub-buffers first (the session records) */
	/* DR_ARCHIVE: the old chunk's ust/, the session's output, the
	 * archive's name, the chunk's own directory to remove (or NULL). */
	char *arch_from, *arch_base, *arch_name, *arch_chunk;
	int error;
	char msg[512];
};

/* Creates buffers and output of channel ch of s, for owner's process
 * (NULL: per-UID), and adds the trace to s. The traces of one owner share
 * a directory and its metadata. NULL with err. */
struct trace *trace_create(struct daemon *d, struct session *s, struct channel *ch,
			   struct app *owner, char *err, size_t errlen);
/* Unlinks its apps (APP_CHANNEL_DEL), removes it from s, closes it and
 * frees it (once the drain threads closed it: until then it waits in the
 * daemon's list of dying traces). */
void trace_destroy(struct daemon *d, struct trace *t);
/* Has the drain threads close its output (asynchronously: the disk may be
 * slow), then trace_closed() unmaps the buffers and frees the per-CPU state
 * and event table; the trace, its path and its counts stay. */
void trace_close_buffers(struct daemon *d, struct trace *t);
/* Copies what the drain threads published into total, cpu and error. */
void trace_refresh_stats(struct trace *t);
/* Drain thread: publishes the counts of one CPU it owns (no I/O). */
void trace_publish_cpu(struct trace *t, uint32_t cpu);
/* The channels of one trace directory (one owner) are snapshot and
 * rotated together, by the first mapped trace of s's list: if t is that
 * one, the others (at most max, TRACE_GROUP_MAX is every channel) into
 * with, and their number; else -1. */
#define TRACE_GROUP_MAX 64
int trace_group(struct session *s, struct trace *t, struct trace **with, uint32_t max);
/* The drain threads closed t's output: the control thread unmaps its
 * buffers, and frees it if it was destroyed. */
void trace_reap(struct daemon *d, struct trace *t);
/* Gives an mm_cid-indexed trace nr buffers (more memory, within the cap).
 * 0, or -1 with why (the count stays). */
int trace_grow(struct daemon *d, struct trace *t, uint32_t nr, char *why, size_t n);
/* The id of event e of app a in t, declared in its metadata if new;
 * REFUSED_ID if the name is taken by another layout or the metadata cap is
 * reached (for good), NO_ID if it could not be declared now. O(log n). */
uint32_t trace_event_id(struct trace *t, struct app *a, const struct event_desc *e);
void trace_set_error(struct trace *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The trace of channel ch of session s that app a is linked to or owns,
 * if any. */
struct channel;
struct trace *trace_for_app(struct session *s, const struct channel *ch, struct app *a);

#endif
