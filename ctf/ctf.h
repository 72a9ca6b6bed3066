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
 *                                <dir>/<channel>_<cpu>
 *   ctf_channel_flush()          at stop: closes partial packets, drains
 *
 * Event descriptions come in parsed and validated (desc_wire.h), never as
 * pointers into an application. The uuid given to rt_bufset_create() must
 * be ctf_trace_uuid(), the stream id the one of the stream class.
 *
 * What a drain writes is checked first, on a private copy of the packet,
 * so a buggy or hostile writer of the shared memory cannot make the trace
 * unreadable: every record must have a declared id, a length (header.len,
 * see eventdesc/record.h) its description decodes exactly, and a
 * timestamp inside its packet and not before the previous one; the packet
 * is cut before the first record that fails, and the cut is counted.
 * Header fields (uuid, stream instance, cpu, sequence number) are rewritten
 * from what the consumer knows. content_size is set to the exact end of
 * the last event, packet_size to that rounded up to 8 bytes, so partial
 * packets take no padding on disk.
 *
 * Loss accounting, so that babeltrace2's discarded-event reports add up to
 * exactly what was lost: events_discarded in each written packet is the
 * ring buffer's cumulative count for that CPU plus the events of packets
 * this writer failed to write (disk full). babeltrace2 cannot report a
 * non-zero count in the first packet of a stream, so a stream whose first
 * packet carries losses starts with an empty packet that carries none.
 *
 * Durability: packets are written whole, at the end of their file; a
 * failed or short write is truncated away, so a stream file always holds
 * whole packets and the trace stays readable if the process dies between
 * packets or the disk fills. Metadata blocks are appended the same way.
 *
 * Thread safety: a ctf_trace may be shared by threads (metadata appends
 * and drains of different channels). One thread at a time per channel.
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

struct ctf_trace_config {
	const char *output;          /* session directory, created (mode 0700) if missing */
	const char *path;            /* optional: this exact directory instead of the layout */
	enum ctf_buffering buffering;
	uint32_t uid;                /* per-UID */
	int32_t pid;                 /* per-PID: vpid, procname and the directory name */
	const char *procname;
	const char *trace_name;      /* env trace_name: the session name */
	const char *hostname;        /* NULL: this host */
	enum rt_clock clock;
	uint64_t tsc_freq;           /* RT_CLOCK_TSC: Hz; 0 measures it (20 ms) */
	const uint8_t *uuid;         /* 16 bytes; NULL: random */
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
 * -errno of the metadata write (nothing half-written stays in the file). */
#define CTF_MAX_EVENT_ID (1u << 20)
int ctf_trace_add_event(struct ctf_trace *t, uint32_t stream_id, uint32_t event_id,
			const struct rt_desc *d);

/* Frees t; every channel must have been closed. Returns the first write
 * error the trace met (0 if none). */
int ctf_trace_close(struct ctf_trace *t);

/* Binds bs (which must carry the trace's uuid and this stream id) to a
 * stream class; stream files are created at the first packet. name is a
 * file-name-safe channel name ([A-Za-z0-9_.-], like "channel0"). */
int ctf_channel_open(struct ctf_trace *t, const char *name, uint32_t stream_id,
		     struct rt_bufset *bs, struct ctf_channel **out, char *err, size_t errlen);

/* Writes every closed packet of every CPU. Returns the number of packets
 * written, or -errno of the first write failure of this call (the others
 * were still attempted; see ctf_channel_stats()). Never blocks on writers. */
int ctf_channel_drain(struct ctf_channel *c);
/* Closes every CPU's partial packet (rt_flush), then drains. For the end of
 * tracing: call it when no writer can run any more (detached channel) so
 * nothing is left behind. */
int ctf_channel_flush(struct ctf_channel *c);

struct ctf_channel_stats {
	uint64_t packets;          /* written, synthetic ones not included */
	uint64_t events;           /* records written */
	uint64_t bytes;            /* stream bytes written */
	uint64_t discarded;        /* sum over CPUs of the last events_discarded written */
	uint64_t lost_unreported;  /* losses not yet in any written packet (flush to report) */
	uint64_t write_lost;       /* events of packets that could not be written */
	uint64_t corrupt_packets;  /* rejected by the reader or cut short */
	uint64_t write_errors;
	int last_errno;
	char last_error[256];
};
void ctf_channel_stats(const struct ctf_channel *c, struct ctf_channel_stats *st);
/* Records written to the stream file of one CPU. */
uint64_t ctf_channel_cpu_events(const struct ctf_channel *c, uint32_t cpu);
/* Closes the stream files. Does not unmap bs. */
void ctf_channel_close(struct ctf_channel *c);

/* The realtime - CLOCK_MONOTONIC offset in ns, as the metadata states it. */
int64_t ctf_monotonic_offset_ns(void);

#endif
