/* SPDX-License-Identifier: MIT */
/*
 * CTF 1.8 writer: turns buffer sets (ringbuf/) into a trace directory that
 * the unmodified babeltrace2 reads.
 *
 *   ctf_trace_create()           directory + metadata preamble (trace block
 *                                with uuid and packet header, env, clock)
 *   ctf_trace_add_stream_class() one stream class per channel: packet
 *                                context, event header, event contexts
 *   ctf_trace_add_event()        appends one event class, at any time
 *                                (before any packet that uses its id)
 *   ctf_channel_open()           binds a mapped rt_bufset to a stream class
 *   ctf_channel_drain()          writes closed sub-buffers as packets to
 *                                <dir>/<channel>_<cpu>, and their entries
 *                                to <dir>/index/<channel>_<cpu>.idx (index.h)
 *   ctf_channel_flush()          at stop: also takes the open sub-buffers'
 *                                committed records, and reports losses
 *   ctf_channel_skip_late()      at restart: counts as lost what writers
 *                                committed while the channel was stopped
 *
 * Event descriptions come in parsed and validated (desc_wire.h), never as
 * pointers into an application. The uuid given to rt_bufset_create() must
 * be ctf_trace_uuid(), the stream id the one of the stream class.
 *
 * The shared memory is written by applications, so nothing in it is
 * trusted (ringbuf/layout.h, I6): the reader takes committed records from
 * its own position, without a lock and without a writer's help, and a
 * drain checks them on a private copy: every record must have a declared
 * id, a length (header.len, see eventdesc/record.h) its description
 * decodes exactly, and a timestamp not before the previous one of its
 * stream and not after the moment the records were taken; the run is cut
 * before the first record that fails, and the records cut are counted as
 * lost (corrupt). Every packet header field is written from our own state
 * (magic, uuid, stream id, instance, cpu, sequence number, timestamps
 * from the records, sizes, events_discarded). content_size is the exact
 * end of the last event, packet_size that rounded up to 8 bytes, so
 * partial packets take no padding on disk.
 *
 * Loss accounting, so that babeltrace2's discarded-event reports add up to
 * exactly what was lost: events_discarded in each written packet is the
 * ring buffer's cumulative count for that CPU (sampled; impossible jumps
 * of these application-written counters are not taken but counted as
 * counter resets), plus the events of packets this writer failed to write
 * (disk full), records it could not trust, and records that came late. babeltrace2 cannot report a
 * non-zero count in the first packet of a stream, so a stream whose first
 * packet carries losses starts with an empty packet that carries none.
 *
 * Durability: packets are written whole, at the end of their file; a
 * failed or short write is truncated away, so a stream file always holds
 * whole packets and the trace stays readable if the process dies between
 * packets or the disk fills. Metadata blocks are appended the same way.
 *
 * Thread safety: a ctf_trace may be shared by threads (metadata appends
 * and drains of different channels). One thread at a time per CPU of a
 * channel (the _cpu calls below).
 */
#ifndef RT_CTF_H
#define RT_CTF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <rseqtrace/types.h>

#include "eventdesc/desc_wire.h"
#include "ringbuf/ringbuf.h"

enum ctf_buffering {
	CTF_PER_UID = 0, /* <output>/ust/uid/<uid>/64-bit/ */
	CTF_PER_PID = 1, /* <output>/ust/pid/<procname>-<pid>-<YYYYMMDD-HHMMSS>/ */
};

struct iovec;
struct ctf_index_entry;

/* Where packets and metadata go instead of files (a network output,
 * consumerd/output_relayd.c). With a sink the trace makes no directory. */
struct ctf_sink {
	/* New metadata text, whole TSDL blocks, in order. 0 or -errno (the
	 * trace keeps no error: the sink resends what it was given). */
	int (*metadata)(void *arg, const char *text, size_t len);
	/* n (1 or 2) packets of CPU cpu's stream of stream class (channel)
	 * stream_id, iov[i] each, with their index entries (offsets as in a
	 * stream file). 0, or -errno: the packets' events are counted as
	 * unwritten. */
	int (*packets)(void *arg, uint32_t stream_id, uint32_t cpu, const struct iovec *iov,
		       const struct ctf_index_entry *idx, int n);
	void *arg;
};

struct ctf_trace_config {
	const char *output;          /* session directory, created (mode 0700) if missing */
	const char *path;            /* optional: this exact directory instead of the layout */
	enum ctf_buffering buffering;
	uint32_t uid;                /* per-UID */
	int32_t pid;                 /* per-PID: the directory name and buffering id */
	int32_t vpid;                /* per-PID: env vpid, the process's pid in its own PID
	                                namespace (as its events' vpid); 0: pid */
	const char *procname;
	const char *trace_name;      /* env trace_name: the session name */
	const char *hostname;        /* NULL: this host */
	enum rt_clock clock;
	uint64_t tsc_freq;           /* RT_CLOCK_TSC: Hz; 0 measures it (20 ms) */
	const uint8_t *uuid;         /* 16 bytes; NULL: random */
	uint64_t max_metadata;       /* bytes the metadata file may reach; 0: no cap */
	/* The streams are the writers' mm_cid buffers, not CPUs: packets'
	 * cpu_id is then a concurrency id (env rseqtrace_buffer_index). */
	int index_cid;
	/* Stream files written with O_DIRECT where the file system gives an
	 * alignment (statx), packets padded to it: no page-cache copy, but a
	 * drain then waits for the device. 0: through the page cache. */
	int direct_io;
	const struct ctf_sink *sink;  /* NULL: files (path: the name in messages) */
	/* A snapshot's trace, answered as soon as its files are written: the
	 * close does not fsync the metadata, and no index is written (lttng
	 * writes neither for a snapshot; stream files are never synced, here
	 * as in any trace). */
	int snapshot;
};

struct ctf_trace;
struct ctf_channel;

/* 0 or -errno, with a message in err. Refuses a directory that already
 * holds a metadata file. */
int ctf_trace_create(const struct ctf_trace_config *cfg, struct ctf_trace **out,
		     char *err, size_t errlen);
const char *ctf_trace_dir(const struct ctf_trace *t);
void ctf_trace_uuid(const struct ctf_trace *t, uint8_t uuid[16]);

/* Declares stream class `stream_id` whose records carry `contexts`
 * (RSEQTRACE_CTX_*). 0, -EEXIST, or -errno of the metadata write. */
int ctf_trace_add_stream_class(struct ctf_trace *t, uint32_t stream_id, unsigned contexts);

/* Appends event class `event_id` of stream class `stream_id`, described by
 * d (not kept). Ids need not be dense (at most CTF_MAX_EVENT_ID).
 * 0, -EEXIST (id in use), -ENOENT (no such stream class), -EINVAL, or
 * -EFBIG (the block would take the metadata past cfg->max_metadata), or
 * -errno of the metadata write (nothing half-written stays in the file). */
#define CTF_MAX_EVENT_ID (1u << 20)
int ctf_trace_add_event(struct ctf_trace *t, uint32_t stream_id, uint32_t event_id,
			const struct rt_desc *d);

/* Session rotation: the trace goes on in a new directory, the same layout
 * below `output`, with a copy of the metadata written so far (the old
 * directory keeps its complete metadata and stream files: a trace of its
 * own). Every CPU of its channels must be moved first (no stream file
 * open). Packet numbers, timestamps and loss counts go on. 0 or -errno;
 * on failure the trace stays where it was. */
int ctf_trace_move(struct ctf_trace *t, const char *output, char *err, size_t errlen);
/* Closes the stream files; each CPU's next packet starts a new file in the
 * trace's directory of that moment (ctf_trace_move). Every CPU's owner
 * must be idle. */
void ctf_channel_move(struct ctf_channel *c);

/* Frees t; every channel must have been closed. Returns the first write
 * error the trace met (0 if none). */
int ctf_trace_close(struct ctf_trace *t);
/* Writes the metadata described since the last call (ctf_trace_add_event
 * and ctf_trace_add_stream_class only describe it in memory): every drain
 * does, before its packets, and the close. 0, or the trace's first write
 * error (the file then ends after the last whole block). */
int ctf_trace_write_metadata(struct ctf_trace *t);

/* Binds bs (which must carry the trace's uuid and this stream id) to a
 * stream class; stream files are created at the first packet. name is a
 * file-name-safe channel name ([A-Za-z0-9_.-], like "channel0"). */
int ctf_channel_open(struct ctf_trace *t, const char *name, uint32_t stream_id,
		     struct rt_bufset *bs, struct ctf_channel **out, char *err, size_t errlen);

/* lttng's --tracefile-size/--tracefile-count, before the first packet:
 * each stream goes to files <name>_<cpu>_<n> of at most size bytes (one
 * packet larger than that goes alone), each starting at a packet; n counts
 * modulo count (0: unbounded) and the oldest file is removed when its
 * number comes round. size 0: one file <name>_<cpu> (the default). */
void ctf_channel_set_tracefiles(struct ctf_channel *c, uint64_t size, uint32_t count);

/* Writes every closed sub-buffer of every CPU. Returns the number of
 * packets written, or -errno of the first write failure of this call (the
 * others were still attempted; see ctf_channel_stats()). Never blocks on
 * writers, never takes a lock in shared memory. */
int ctf_channel_drain(struct ctf_channel *c);
/* Drains everything committed, the open sub-buffers too, and writes an
 * empty packet where losses are not reported yet. Needs no writer to
 * close anything: what is committed when it runs is in the trace. */
int ctf_channel_flush(struct ctf_channel *c);
/* Skips (and counts as lost) everything committed since the last flush:
 * for a channel that was stopped, before it is drained again. Returns the
 * records skipped. */
uint64_t ctf_channel_skip_late(struct ctf_channel *c);

struct ctf_channel_stats {
	uint64_t packets;          /* written, synthetic ones not included */
	uint64_t events;           /* records written */
	uint64_t bytes;            /* stream bytes written */
	uint64_t discarded;        /* sum over CPUs of the last events_discarded written */
	uint64_t lost_unreported;  /* losses not yet in any written packet (flush to report) */
	uint64_t write_lost;       /* events of packets that could not be written */
	uint64_t corrupt_packets;  /* runs cut short, sub-buffers skipped */
	uint64_t corrupt_events;   /* records not written: could not be trusted */
	uint64_t late_events;      /* records committed while stopped, skipped */
	uint64_t counter_resets;   /* impossible jumps of the lost counters */
	uint64_t overwritten_packets; /* overwrite mode: reused by writers before taken */
	uint64_t write_errors;
	int last_errno;
	char last_error[256];
};
void ctf_channel_stats(const struct ctf_channel *c, struct ctf_channel_stats *st);
/* Events lost on one CPU, by cause: total = the sum of the causes (S3). */
struct ctf_losses {
	uint64_t full;      /* the writer found the buffer full (discard mode, or its wait timed out) */
	uint64_t big;       /* larger than a sub-buffer, or than the probe's staging buffer */
	uint64_t abort;     /* too many failed attempts, or a thread that cannot write the set's mode */
	uint64_t nobuf;     /* the writer's mm_cid had no buffer yet (more were asked for) */
	uint64_t invalid;   /* a malformed record handed to the ring buffer (bad length) */
	uint64_t corrupt;   /* records that could not be trusted */
	uint64_t late;      /* committed while the channel was stopped */
	uint64_t unwritten; /* in packets the output failed to write */
	uint64_t total;
	uint64_t reported;  /* of total, in the stream file's events_discarded */
};
/* Records written to the stream file of one CPU; events lost on it. */
uint64_t ctf_channel_cpu_events(const struct ctf_channel *c, uint32_t cpu);
void ctf_channel_cpu_losses(const struct ctf_channel *c, uint32_t cpu, struct ctf_losses *out);
/* Flight recorder: writes to the stream file of cpu what its buffer holds
 * now (an overwrite-mode set that nobody drains, ringbuf/layout.h I8):
 * the newest run of intact sub-buffers, at most budget bytes of them (0:
 * no limit), checked like any drain's. Adds to *st. 0 or -errno. */
struct ctf_snapshot_stats {
	uint64_t packets, events, bytes;
	uint64_t discarded;   /* events_discarded of the streams' last packets */
	uint64_t overwritten; /* packets the writers reused before the snapshot */
	uint64_t changed;     /* reused during their copy, or older than one that was: not written */
	uint64_t trimmed;     /* intact sub-buffers left out for the budget */
};
int ctf_channel_snapshot_cpu(struct ctf_channel *c, uint32_t cpu, uint64_t budget,
			     struct ctf_snapshot_stats *st);
/* Closes the stream files. Does not unmap bs. */
void ctf_channel_close(struct ctf_channel *c);

/* The same, one CPU at a time: threads may work on different CPUs of one
 * channel at once (each CPU's stream is owned by one thread at a time);
 * ctf_channel_stats() and the whole-channel calls need every CPU's owner
 * to be idle. Returns as the whole-channel calls do. */
int ctf_channel_drain_cpu(struct ctf_channel *c, uint32_t cpu, int partial);
uint64_t ctf_channel_skip_late_cpu(struct ctf_channel *c, uint32_t cpu);
/* One CPU's counts (the error fields are the channel's). */
void ctf_channel_cpu_stats(const struct ctf_channel *c, uint32_t cpu, struct ctf_channel_stats *st);
void ctf_channel_close_cpu(struct ctf_channel *c, uint32_t cpu);
/* Writes an empty packet (header and context only) on one CPU's stream,
 * stamped with the stream's last timestamp (0 at first, never later than a
 * record still in the buffer): a live viewer's first packet of a stream.
 * 0 or -errno. */
int ctf_channel_empty_packet_cpu(struct ctf_channel *c, uint32_t cpu);
/* A live beacon told readers that nothing comes before ts on this CPU:
 * a later packet begins no earlier than ts when its first record allows
 * it (a record stamped before ts, committed after the beacon, does not). */
void ctf_channel_cpu_floor(struct ctf_channel *c, uint32_t cpu, uint64_t ts);
/* The last packet's timestamp_end on one CPU (0: none yet). */
uint64_t ctf_channel_cpu_last_ts(const struct ctf_channel *c, uint32_t cpu);
/* Frees the calling thread's private packet copy (at thread exit). */
void ctf_thread_done(void);

/* The realtime - CLOCK_MONOTONIC offset in ns, as the metadata states it. */
int64_t ctf_monotonic_offset_ns(void);

#endif
