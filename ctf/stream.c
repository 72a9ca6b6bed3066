/* SPDX-License-Identifier: MIT */
/*
 * Stream files: committed records (rt_read_committed, invariant I6) become
 * CTF packets, checked on a private copy, under a packet header built here
 * from our own state only, written whole at the end of <dir>/<channel>_<cpu>.
 * Nothing of the shared packet header is used but the bounded content_size.
 *
 * Per CPU stream, invariants between calls:
 *   S1  The file holds exactly `size` bytes of whole packets.
 *   S2  `reported` is the events_discarded of the last packet in the file
 *       (non-decreasing), `last_ts` its timestamp_end (every record written
 *       after it is stamped no earlier), `seq` the number of packets in it.
 *   S3  lost(s) = ring + extra + corrupt + late, each non-decreasing:
 *       `ring` the ring buffer's lost counters as sampled (a jump no writer
 *       could make is not taken, and counted in `counter_resets`), `extra`
 *       events of packets that could not be written, `corrupt` records cut
 *       or skipped because they could not be trusted, `late` records
 *       committed while the channel was stopped. Every packet written
 *       reports lost(s) >= reported.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "ctf/check.h"
#include "ctf/ctf_int.h"
#include "ctf/index.h"
#include "eventdesc/record.h"

struct cpu_stream {
	int fd;
	off_t size;
	uint32_t dio;         /* fd is O_DIRECT: packets padded to this file offset alignment
			       * (0: buffered) */
	int idx_fd;           /* index/<channel>_<cpu>.idx: one entry per packet in the file */
	uint64_t idx_entries; /* entries in it (packets in the stream file it indexes) */
	int idx_dropped;      /* the index could not be kept whole and was removed */
	uint64_t floor;       /* a live beacon said nothing before this (ctf_channel_cpu_floor) */
	uint64_t seq;
	uint64_t reported;
	uint64_t last_ts;
	uint64_t dec_ts;      /* the last timestamp decoded on this CPU (run_base, I7) */
	uint64_t ring, extra, corrupt, late; /* S3 */
	uint64_t ring_cause[RT_LOST_CAUSES]; /* ring, by cause (enum rt_lost_cause) */
	uint64_t ring_seen[RT_LOST_CAUSES];  /* raw lost counters at the last sample */
	uint64_t ring_ns;     /* CLOCK_MONOTONIC of the last sample */
	/* This CPU's share of struct ctf_channel_stats: one drain thread owns
	 * a CPU's stream, so its counts are its own (ctf.h, thread safety). */
	uint64_t counter_resets;
	uint64_t events;      /* records written to this CPU's stream file */
	uint64_t packets, bytes, write_lost, corrupt_packets, corrupt_events, late_events;
	off_t flushed;        /* writeback started up to here; dropped from the cache up to
			       * the previous such mark (let_go) */
	off_t dropped;
	uint64_t file_index;  /* tracefiles: the file being written is the file_index-th */
	uint64_t overwritten; /* overwrite mode: packets reused before we took them */
};

static uint64_t stream_lost(const struct cpu_stream *s)
{
	return s->ring + s->extra + s->corrupt + s->late;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct ctf_channel {
	struct ctf_trace *trace;
	struct ctf_stream_class *cls;
	struct rt_bufset *bs;
	char name[64];
	struct cpu_stream *cpu;
	/* lttng's --tracefile-size/--tracefile-count: a stream goes to files
	 * <name>_<cpu>_<n> of at most tf_size bytes (a packet larger than that
	 * alone), n counting modulo tf_count (0: no limit), the oldest file
	 * removed when its number comes round again. 0: one file <name>_<cpu>. */
	uint64_t tf_size;
	uint32_t tf_count;
	pthread_mutex_t err_lock; /* the fields below, written by any CPU's thread */
	uint64_t write_errors;
	int last_errno;
	char last_error[256];
};

/*
 * Stream files are written with O_DIRECT where the file system allows it
 * (open_stream): the device then reads our private copy in place, with no
 * copy into the page cache and no dirty pages to write back. Every buffer
 * a direct write reads is aligned to DIO_MAX and a whole number of DIO_MAX
 * long; a file system asking more than that is written buffered.
 */
#define DIO_MAX 4096u

struct dio_buf {
	uint8_t *p;
	size_t size;
};

/* The private copy of a run is per thread: threads drain different CPUs
 * of one channel at once. Grown to the largest sub-buffer seen. lead_buf
 * holds a lead packet (write_packet); snap_buf a snapshot's copy of a
 * whole buffer (ctf_channel_snapshot_cpu), kept too up to SNAP_KEEP_MAX:
 * memory new to the process costs a page fault per 4 KiB written, which
 * was half of a snapshot's time (madvise(MADV_FREE) after each snapshot,
 * to lend it back, measured 15 % more daemon time per record). */
static __thread struct dio_buf scratch, lead_buf, snap_buf;
#define SNAP_KEEP_MAX (16u << 20)

static uint64_t count_records(void *arg, const void *from, uint64_t len);

/* b's buffer, of at least n bytes (its content is not kept). */
static uint8_t *dio_buf_get(struct dio_buf *b, size_t n)
{
	if (n > b->size) {
		void *p;
		n = (n + DIO_MAX - 1) & ~(size_t)(DIO_MAX - 1);
		if (posix_memalign(&p, DIO_MAX, n) != 0)
			return NULL;
		free(b->p);
		b->p = p;
		b->size = n;
	}
	return b->p;
}

static uint8_t *scratch_get(size_t n)
{
	return dio_buf_get(&scratch, n);
}

void ctf_thread_done(void)
{
	free(scratch.p);
	free(lead_buf.p);
	free(snap_buf.p);
	scratch = lead_buf = snap_buf = (struct dio_buf){ 0 };
}

static int check_name(const char *s)
{
	if (!s || !*s || strlen(s) >= 48 || *s == '.')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' || *s == '.'))
			return 0;
	return 1;
}

int ctf_channel_open(struct ctf_trace *t, const char *name, uint32_t stream_id,
		     struct rt_bufset *bs, struct ctf_channel **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!check_name(name)) {
		snprintf(err, errlen, "bad channel name \"%s\"", name ? name : "");
		return -EINVAL;
	}
	pthread_rwlock_rdlock(&t->lock);
	struct ctf_stream_class *cls = ctf_find_class(t, stream_id);
	pthread_rwlock_unlock(&t->lock);
	if (!cls) {
		snprintf(err, errlen, "channel %s: stream class %u is not declared", name, stream_id);
		return -ENOENT;
	}
	if (bs->hdr->stream_id != stream_id || memcmp(bs->hdr->uuid, t->uuid, 16) != 0 ||
	    bs->clock != t->clock) {
		snprintf(err, errlen, "channel %s: buffers made for another trace, stream or clock", name);
		return -EINVAL;
	}
	struct ctf_channel *c = calloc(1, sizeof *c);
	if (!c || !(c->cpu = calloc(bs->nr_max, sizeof *c->cpu))) { /* room to grow */
		free(c);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (rt_reader_init(bs) != RT_OK) {
		free(c->cpu);
		free(c);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	uint64_t now = mono_ns();
	for (uint32_t i = 0; i < bs->nr_max; i++) {
		c->cpu[i].fd = -1;
		c->cpu[i].idx_fd = -1;
		rt_lost_counts(&bs->ctl[i], c->cpu[i].ring_seen);
		c->cpu[i].ring_ns = now;
	}
	pthread_mutex_init(&c->err_lock, NULL);
	bs->count_records = count_records;
	bs->count_arg = c;
	c->trace = t;
	c->cls = cls;
	c->bs = bs;
	snprintf(c->name, sizeof c->name, "%s", name);
	pthread_rwlock_wrlock(&t->lock);
	t->channels++;
	pthread_rwlock_unlock(&t->lock);
	*out = c;
	return 0;
}

static void __attribute__((format(printf, 3, 4)))
record_error(struct ctf_channel *c, int e, const char *fmt, ...)
{
	va_list ap;
	pthread_mutex_lock(&c->err_lock);
	va_start(ap, fmt);
	vsnprintf(c->last_error, sizeof c->last_error, fmt, ap);
	va_end(ap);
	c->last_errno = e;
	c->write_errors++;
	pthread_mutex_unlock(&c->err_lock);
	pthread_rwlock_wrlock(&c->trace->lock);
	if (!c->trace->first_error)
		c->trace->first_error = -e;
	pthread_rwlock_unlock(&c->trace->lock);
}

/* ---- checking a packet ------------------------------------------------------ */

static size_t align_up(size_t o, size_t a)
{
	return (o + a - 1) & ~(a - 1);
}

/*
 * Walks the records at pkt[from, len) under the trace lock (ctf_walk):
 * returns the exact end of the last good record, sets *events, *last_ts
 * (base if none) and *cut.
 */
static size_t walk(struct ctf_channel *c, const uint8_t *pkt, size_t from, size_t len,
		   uint64_t base, uint64_t now, uint64_t *events, uint64_t *last_ts, int *cut)
{
	struct walk_result w;
	pthread_rwlock_rdlock(&c->trace->lock);
	size_t end = ctf_walk(c->cls, pkt, from, len, base, now, &w);
	pthread_rwlock_unlock(&c->trace->lock);
	*events = w.events;
	*last_ts = w.last_ts;
	*cut = w.cut;
	return end;
}

/* bs->count_records, for sub-buffers skipped by a resynchronization:
 * records delimited by decoding them, from `from`, RT_PACKET_HEADER_LEN
 * into its sub-buffer; what follows one that does not decode counts as
 * one more. */
static uint64_t count_records(void *arg, const void *from, uint64_t len)
{
	struct ctf_channel *c = arg;
	const uint8_t *p = (const uint8_t *)from - RT_PACKET_HEADER_LEN;
	uint64_t n = 0;
	size_t at = RT_PACKET_HEADER_LEN, end = RT_PACKET_HEADER_LEN + (size_t)len;
	pthread_rwlock_rdlock(&c->trace->lock);
	while (at < end) {
		struct rec_view r;
		n++;
		if (!ctf_decode(c->cls, p, at, end, 0, &r))
			break;
		at = align_up(r.end, 8);
	}
	pthread_rwlock_unlock(&c->trace->lock);
	return n;
}

/*
 * The timestamp a run's compact headers count from (I7, layout.h): the
 * last one decoded on this CPU, and never before the stream's last (S2),
 * which is also the packet's timestamp_begin. A run that starts a packet
 * starts with an extended header: it counts from nothing before it. A run
 * that starts inside one follows records this CPU's walks decoded (drawn
 * out, skipped as late or cut: all decoded), whose timestamps lie between
 * the packet's begin and its own, which decode the same from any of them.
 * Nothing of the shared packet header is read.
 */
static uint64_t run_base(const struct cpu_stream *s)
{
	return s->dec_ts > s->last_ts ? s->dec_ts : s->last_ts;
}

/*
 * Walks a run where it lies in the buffer, for what is not written: the
 * records that decode, plus one for what follows a cut, and the last
 * timestamp for the next run. Reads shared memory that writers may still
 * change: every value is checked before use, as in our copy.
 */
static uint64_t walk_in_place(struct ctf_channel *c, uint32_t cpu, const struct rt_committed *cm)
{
	struct cpu_stream *s = &c->cpu[cpu];
	uint64_t start = cm->pos & ~(uint64_t)(c->bs->subbuf_size - 1), events, last_ts;
	int cut;
	walk(c, (const uint8_t *)rt_cpu_data(c->bs, cpu, start), (size_t)(cm->pos - start),
	     (size_t)(cm->end - start), run_base(s), cm->now, &events, &last_ts, &cut);
	if (!cm->bad_close) /* its timestamps may be an older lap's: see take_run */
		s->dec_ts = last_ts;
	return events + (uint64_t)cut;
}

/* ---- writing -------------------------------------------------------------- */

/* The index is a help to readers, not the trace: one that cannot be kept
 * whole is removed (babeltrace2 then reads the stream file's packet
 * headers instead), never left saying less than the stream holds. */
static void drop_index(struct ctf_channel *c, uint32_t cpu, int e)
{
	struct cpu_stream *s = &c->cpu[cpu];
	char name[96];
	snprintf(name, sizeof name, "%s_%u.idx", c->name, cpu);
	close(s->idx_fd);
	s->idx_fd = -1;
	s->idx_dropped = 1;
	unlinkat(c->trace->index_fd, name, 0);
	record_error(c, e, "%s/index/%s: %s; index removed", c->trace->dir, name, strerror(e));
}

/* Writes all of buf at the end of the index (its size is known from the
 * packets it indexes: header + one entry per packet). */
static int index_append(struct cpu_stream *s, const uint8_t *buf, size_t len, off_t at)
{
	size_t done = 0;
	while (done < len) {
		ssize_t w = pwrite(s->idx_fd, buf + done, len - done, at + (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -ENOSPC;
		done += (size_t)w;
	}
	return 0;
}

static void open_index(struct ctf_channel *c, uint32_t cpu, const char *stream_name)
{
	struct cpu_stream *s = &c->cpu[cpu];
	if (c->trace->index_fd < 0 || s->idx_dropped)
		return;
	char name[112];
	snprintf(name, sizeof name, "%s.idx", stream_name);
	s->idx_fd = openat(c->trace->index_fd, name,
			   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (s->idx_fd < 0) {
		s->idx_dropped = 1;
		record_error(c, errno, "cannot create %s/index/%s: %s", c->trace->dir, name,
			     strerror(errno));
		return;
	}
	s->idx_entries = 0;
	uint8_t hdr[CTF_INDEX_HEADER_LEN];
	ctf_index_header_encode(hdr);
	int r = index_append(s, hdr, sizeof hdr, 0);
	if (r)
		drop_index(c, cpu, -r);
}

/* The index entries of the n packets just written (S1: the stream had
 * `before` bytes, s->seq - n packets). */
static void index_packets(struct ctf_channel *c, uint32_t cpu, const struct ctf_index_entry *e,
			  int n)
{
	struct cpu_stream *s = &c->cpu[cpu];
	if (s->idx_fd < 0)
		return;
	uint8_t buf[2 * CTF_INDEX_ENTRY_LEN];
	for (int i = 0; i < n; i++)
		ctf_index_entry_encode(&e[i], buf + i * CTF_INDEX_ENTRY_LEN);
	/* Its own count: packet numbers skip overwritten packets, and a
	 * tracefile's index starts anew with its file. */
	off_t at = CTF_INDEX_HEADER_LEN + (off_t)s->idx_entries * CTF_INDEX_ENTRY_LEN;
	int r = index_append(s, buf, (size_t)n * CTF_INDEX_ENTRY_LEN, at);
	if (r)
		drop_index(c, cpu, -r);
	else
		s->idx_entries += (uint64_t)n;
}

/*
 * Puts fd in O_DIRECT if its file system says how to write it so
 * (statx STATX_DIOALIGN, Linux >= 6.1: 0 where it does not, as tmpfs) and
 * our buffers meet that (DIO_MAX). The file offset alignment every packet
 * is padded to, or 0: the file stays buffered.
 */
static uint32_t go_direct(int fd)
{
#ifdef STATX_DIOALIGN
	struct statx st;
	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &st) != 0 ||
	    !(st.stx_mask & STATX_DIOALIGN))
		return 0;
	uint32_t mem = st.stx_dio_mem_align, off = st.stx_dio_offset_align;
	if (!mem || !off || mem > DIO_MAX || off > DIO_MAX || (mem & (mem - 1)) ||
	    (off & (off - 1)))
		return 0;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_DIRECT) != 0)
		return 0;
	return off < 8 ? 8 : off;
#else
	(void)fd;
	return 0;
#endif
}

/* A direct write was refused (EINVAL): the file goes on buffered, its
 * packets still padded, which costs room, never a packet. */
static void leave_direct(struct cpu_stream *s)
{
	int fl = fcntl(s->fd, F_GETFL);
	if (fl >= 0)
		fcntl(s->fd, F_SETFL, fl & ~O_DIRECT);
	s->dio = 0;
}

static int open_stream(struct ctf_channel *c, uint32_t cpu)
{
	struct cpu_stream *s = &c->cpu[cpu];
	if (s->fd >= 0)
		return 0;
	/* In the checked trace directory, a new file: never an existing one,
	 * never through a symlink someone placed at its name. */
	char name[96];
	if (!c->tf_size) {
		snprintf(name, sizeof name, "%s_%u", c->name, cpu);
	} else {
		uint64_t n = c->tf_count ? s->file_index % c->tf_count : s->file_index;
		snprintf(name, sizeof name, "%s_%u_%llu", c->name, cpu, (unsigned long long)n);
		/* The oldest file, when its number comes round: ours (the
		 * directory is checked), removed by name, whatever it is now. */
		if (c->tf_count && s->file_index >= c->tf_count) {
			unlinkat(c->trace->dir_fd, name, 0);
			if (c->trace->index_fd >= 0) {
				char idx[112];
				snprintf(idx, sizeof idx, "%s.idx", name);
				unlinkat(c->trace->index_fd, idx, 0);
			}
		}
	}
	s->fd = openat(c->trace->dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		       0600);
	if (s->fd < 0) {
		int e = errno;
		record_error(c, e, "cannot create %s/%s: %s", c->trace->dir, name, strerror(e));
		return -e;
	}
	s->dio = c->trace->direct_io ? go_direct(s->fd) : 0;
	open_index(c, cpu, name);
	return 0;
}

/* Once LET_GO bytes more are written, the stream starts their writeback
 * (not waiting for it) and drops from the page cache what an earlier call
 * started: a trace's pages are written and reused instead of piling up as
 * dirty cache (the kernel's copy into pages never touched before cost us
 * three times LTTng's, which does the same). Hints: errors are ignored. */
#define LET_GO ((off_t)4 << 20)

static void let_go(struct cpu_stream *s)
{
	if (s->size - s->flushed < LET_GO)
		return;
	if (s->flushed > s->dropped)
		posix_fadvise(s->fd, s->dropped, s->flushed - s->dropped, POSIX_FADV_DONTNEED);
	s->dropped = s->flushed;
	sync_file_range(s->fd, s->flushed, s->size - s->flushed, SYNC_FILE_RANGE_WRITE);
	s->flushed = s->size;
}

/* Writes iov at the end of the stream, whole or not at all (S1). */
static int write_whole(struct ctf_channel *c, uint32_t cpu, struct iovec *iov, int n, size_t total)
{
	struct cpu_stream *s = &c->cpu[cpu];
	size_t done = 0;
	while (done < total) {
		/* skip what was written */
		size_t skip = done;
		struct iovec v[2];
		int k = 0;
		for (int i = 0; i < n; i++) {
			if (skip >= iov[i].iov_len) {
				skip -= iov[i].iov_len;
				continue;
			}
			v[k].iov_base = (char *)iov[i].iov_base + skip;
			v[k].iov_len = iov[i].iov_len - skip;
			skip = 0;
			k++;
		}
		ssize_t w = pwritev(s->fd, v, k, s->size + (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EINVAL && s->dio) {
			leave_direct(s);
			continue;
		}
		if (w <= 0) {
			int e = w < 0 ? errno : ENOSPC;
			if (ftruncate(s->fd, s->size) != 0) {
				/* cannot shrink: further packets would follow garbage */
				close(s->fd);
				s->fd = -1;
				record_error(c, e, "%s_%u: write failed and cannot truncate: %s",
					     c->name, cpu, strerror(e));
				return -e;
			}
			record_error(c, e, "cannot write %s/%s_%u: %s", c->trace->dir, c->name, cpu,
				     strerror(e));
			return -e;
		}
		done += (size_t)w;
	}
	s->size += (off_t)total;
	if (!s->dio)
		let_go(s);
	return 0;
}

/* The stream file's index is done with (its file is): the next file
 * opens its own. */
static void close_index(struct cpu_stream *s)
{
	if (s->idx_fd >= 0)
		close(s->idx_fd);
	s->idx_fd = -1;
}

/* Tracefiles: a packet that would take the file past tf_size starts the
 * next one (unless the file is empty): every file begins with a whole
 * packet and is read on its own. */
static void next_tracefile(struct ctf_channel *c, uint32_t cpu, size_t total)
{
	struct cpu_stream *s = &c->cpu[cpu];
	if (!c->tf_size || s->fd < 0 || s->size == 0 || (uint64_t)s->size + total <= c->tf_size)
		return;
	close(s->fd);
	s->fd = -1;
	close_index(s);
	s->size = s->flushed = s->dropped = 0;
	s->file_index++;
}

/*
 * Writes pkt (RT_PACKET_HEADER_LEN bytes for the header, then the records)
 * as one packet: `content` bytes, records from RT_PACKET_HEADER_LEN,
 * `events` of them, stamped [begin, end]. Every header field comes from
 * our own state. pkt's buffer holds align_up(content, 8) bytes at least;
 * `room`: the bytes it has from pkt if pkt is DIO_MAX-aligned, else 0.
 * In a direct file the packet is padded with zeros to the file's offset
 * alignment (packet_size > content_size, as CTF allows), from a buffer
 * the device can read: pkt's if it can, else scratch.
 */
static int write_packet(struct ctf_channel *c, uint32_t cpu, void *pkt, size_t room,
			size_t content, uint64_t events, uint64_t begin, uint64_t end)
{
	struct cpu_stream *s = &c->cpu[cpu];
	/* Open first: whether it is direct says the padding. */
	int r = c->trace->sink ? 0 : open_stream(c, cpu);
	size_t pad = s->dio ? s->dio : 8, size = align_up(content, pad);
	if (!r && s->dio && (room < size || ((uintptr_t)pkt & (DIO_MAX - 1)))) {
		uint8_t *to = scratch_get(size);
		if (to)
			memcpy(to + RT_PACKET_HEADER_LEN, (uint8_t *)pkt + RT_PACKET_HEADER_LEN,
			       content - RT_PACKET_HEADER_LEN);
		else
			r = -ENOMEM;
		pkt = to;
	}
	uint64_t discarded = stream_lost(s);
	if (discarded < s->reported)
		discarded = s->reported; /* cannot happen (S3); never go back */
	/* babeltrace2 cannot count losses in a stream's first packet: lead
	 * with an empty one that reports none. */
	int with_lead = s->seq == 0 && discarded > 0;
	uint8_t *lead = NULL;
	if (!r && with_lead && !(lead = dio_buf_get(&lead_buf, pad)))
		r = -ENOMEM;
	if (r) {
		if (r == -ENOMEM)
			record_error(c, ENOMEM, "%s_%u: out of memory", c->name, cpu);
		s->extra += events; /* S3 */
		s->write_lost += events;
		return r;
	}
	memset((uint8_t *)pkt + content, 0, size - content);
	struct rt_packet *pk = pkt;
	*pk = (struct rt_packet){
		.open = {
			.magic = RT_CTF_MAGIC,
			.stream_id = c->cls->id,
			.stream_instance_id = cpu,
			.timestamp_begin = begin,
			.cpu_id = cpu,
			.packet_seq_num = s->seq + (uint64_t)with_lead,
		},
		.close = {
			.timestamp_end = end,
			.content_size = (uint64_t)content * 8,
			.packet_size = (uint64_t)size * 8,
			.events_discarded = discarded,
		},
	};
	memcpy(pk->open.uuid, c->trace->uuid, 16);

	struct iovec iov[2];
	struct ctf_index_entry idx[2];
	int n = 0;
	uint64_t at = (uint64_t)s->size;
	size_t total = size;
	if (with_lead) {
		struct rt_packet *lp = (struct rt_packet *)lead;
		memset(lead, 0, pad);
		*lp = *pk;
		lp->open.packet_seq_num = 0;
		lp->close.timestamp_end = begin;
		lp->close.content_size = RT_PACKET_HEADER_LEN * 8;
		lp->close.packet_size = align_up(RT_PACKET_HEADER_LEN, pad) * 8;
		lp->close.events_discarded = 0;
		iov[n] = (struct iovec){ lead, align_up(RT_PACKET_HEADER_LEN, pad) };
		ctf_index_of_packet(lp, at, &idx[n]);
		at += iov[n].iov_len;
		total += iov[n].iov_len;
		n++;
	}
	iov[n] = (struct iovec){ pk, size };
	ctf_index_of_packet(pk, at, &idx[n]);
	n++;

	if (c->trace->sink) {
		r = c->trace->sink->packets(c->trace->sink->arg, c->cls->id, cpu, iov, idx, n);
		if (r == 0)
			s->size += (off_t)total;
	} else {
		next_tracefile(c, cpu, total);
		r = open_stream(c, cpu);
		if (r == 0)
			r = write_whole(c, cpu, iov, n, total);
	}
	if (r) {
		s->extra += events; /* S3 */
		s->write_lost += events;
		return r;
	}
	s->seq += (uint64_t)n;
	index_packets(c, cpu, idx, n);
	s->reported = discarded;
	s->last_ts = end;
	s->packets++;
	s->events += events;
	s->bytes += total;
	return 0;
}

/*
 * Takes the ring buffer's lost counters into `ring` (S3). They are
 * written by applications: an increase larger than writers could have
 * made since the last sample (one drop per 8 ns, plus slack), or a
 * decrease, is not taken; it is counted as a reset of that CPU's counters
 * and counting goes on from the new value.
 */
static void sample_losses(struct ctf_channel *c, uint32_t cpu)
{
	struct cpu_stream *s = &c->cpu[cpu];
	uint64_t raw[RT_LOST_CAUSES], delta[RT_LOST_CAUSES], sum = 0, now = mono_ns();
	rt_lost_counts(&c->bs->ctl[cpu], raw);
	uint64_t bound = (now - s->ring_ns) / 8 + 65536;
	int sane = 1;
	for (int i = 0; i < RT_LOST_CAUSES; i++) {
		delta[i] = raw[i] - s->ring_seen[i];
		sane &= delta[i] <= bound;
		sum += delta[i];
	}
	if (sane && sum <= bound) {
		s->ring += sum;
		for (int i = 0; i < RT_LOST_CAUSES; i++)
			s->ring_cause[i] += delta[i];
	} else {
		s->counter_resets++;
	}
	memcpy(s->ring_seen, raw, sizeof raw);
	s->ring_ns = now;
}

/* Overwrite mode: packets the writers reused before we took them. Their
 * numbers are skipped, so a reader sees the gap (babeltrace2: "discarded
 * packets"), as in LTTng's overwrite mode. */
static void count_overwritten(struct ctf_channel *c, uint32_t cpu, uint64_t packets)
{
	c->cpu[cpu].overwritten += packets;
	c->cpu[cpu].seq += packets;
}

/* Records that could not be trusted: counted, never written (S3). */
static void count_corrupt(struct ctf_channel *c, uint32_t cpu, uint64_t records, uint64_t packets)
{
	struct cpu_stream *s = &c->cpu[cpu];
	s->corrupt += records;
	s->corrupt_events += records;
	s->corrupt_packets += packets;
}

static int take_copy(struct ctf_channel *c, uint32_t cpu, uint8_t *pkt, size_t room, size_t len,
		     uint64_t now);

/*
 * One run of committed records: copied, checked, written as one packet
 * (or as nothing if no record is good). 0 or -errno of the write.
 */
static int take_run(struct ctf_channel *c, uint32_t cpu, const struct rt_committed *cm)
{
	struct cpu_stream *s = &c->cpu[cpu];
	if (cm->resynced)
		count_corrupt(c, cpu, cm->skipped_records, cm->skipped);
	if (cm->overwritten)
		count_overwritten(c, cpu, cm->overwritten);
	if (cm->bad_close) {
		/* Where its records end is unknown: past the last one of this
		 * lap, an older lap's compact records would decode as well,
		 * later than they are. None is written, each that decodes is
		 * counted (an older lap's too: the count errs high, never low),
		 * and the next packet starts with an extended header. */
		count_corrupt(c, cpu, walk_in_place(c, cpu, cm), 1);
		sample_losses(c, cpu);
		return 0;
	}
	size_t len = (size_t)(cm->end - cm->pos);
	uint8_t *pkt = scratch_get(RT_PACKET_HEADER_LEN + len);
	if (!pkt) {
		/* Not written and not left in the buffer: counted. */
		uint64_t n = walk_in_place(c, cpu, cm);
		s->extra += n;
		s->write_lost += n;
		record_error(c, ENOMEM, "%s_%u: out of memory", c->name, cpu);
		return -ENOMEM;
	}
	/* Our copy first: what we check is what we write. */
	memcpy(pkt + RT_PACKET_HEADER_LEN, rt_cpu_data(c->bs, cpu, cm->pos), len);
	if (c->bs->overwrite && !rt_read_intact(c->bs, cpu, cm->pos)) {
		/* The writers reused the sub-buffer under our copy (I8):
		 * nothing of it is used, it counts as overwritten. */
		count_overwritten(c, cpu, 1);
		return 0;
	}
	return take_copy(c, cpu, pkt, scratch.size, len + RT_PACKET_HEADER_LEN, cm->now);
}

/*
 * Records at pkt[RT_PACKET_HEADER_LEN, len), our private copy, taken when
 * the set's clock read `now`: checked, written as one packet (or as
 * nothing if no record is good). `room` as write_packet's. 0 or -errno of
 * the write.
 */
static int take_copy(struct ctf_channel *c, uint32_t cpu, uint8_t *pkt, size_t room, size_t len,
		     uint64_t now)
{
	struct cpu_stream *s = &c->cpu[cpu];
	uint64_t events, last_ts, base = run_base(s);
	int cut;
	size_t content = walk(c, pkt, RT_PACKET_HEADER_LEN, len, base, now, &events,
			      &last_ts, &cut);
	s->dec_ts = last_ts;
	if (cut)
		/* The rest of the run cannot be delimited: one record lost at
		 * least, counted as one. A later run starts where the
		 * writers' offset was, on a record again. */
		count_corrupt(c, cpu, 1, 1);
	sample_losses(c, cpu);
	if (!events)
		return 0;
	/* begin = base: a reader decodes our compact headers from it as we
	 * did (no earlier than the previous packet's end, S2). */
	uint64_t begin = base;
	if (s->floor > base) {
		/* After a live beacon at floor the packet may not begin
		 * before it; any time up to its first record decodes it. */
		struct rec_view r;
		pthread_rwlock_rdlock(&c->trace->lock);
		int ok = ctf_decode(c->cls, pkt, RT_PACKET_HEADER_LEN, len, base, &r);
		pthread_rwlock_unlock(&c->trace->lock);
		if (ok && r.ts >= s->floor)
			begin = s->floor;
	}
	return write_packet(c, cpu, pkt, room, content, events, begin, last_ts);
}

/* Takes what is committed on one CPU, closed sub-buffers only unless
 * partial. At most one buffer's worth per call: writers that keep filling
 * (or an application storing offsets) cannot hold us on one CPU. */
static int drain_cpu(struct ctf_channel *c, uint32_t cpu, int partial, int *written)
{
	/* The events these packets hold are described in the file first; if
	 * that fails no packet is written (its events could not be read), and
	 * they wait in the buffer, where writers count what no longer fits. */
	int m = ctf_trace_write_metadata(c->trace);
	if (m) {
		record_error(c, -m, "cannot write %s/metadata: %s", c->trace->dir, strerror(-m));
		return m;
	}
	int first_err = 0;
	uint64_t per_cpu = c->bs->buf_size / c->bs->subbuf_size + 1;
	struct rt_committed cm;
	for (uint64_t n = 0; n < per_cpu && rt_read_committed(c->bs, cpu, partial, &cm) > 0; n++) {
		uint64_t packets = c->cpu[cpu].packets;
		int r = take_run(c, cpu, &cm);
		rt_read_advance(c->bs, cpu, &cm);
		if (r && !first_err)
			first_err = r;
		*written += (int)(c->cpu[cpu].packets - packets);
		if (!cm.closed)
			break;
	}
	return first_err;
}

/* Drains one CPU; with partial (flush) then writes an empty packet if
 * its losses are not reported by a written packet yet. Packets written,
 * or -errno of the first failure. */
int ctf_channel_drain_cpu(struct ctf_channel *c, uint32_t cpu, int partial)
{
	int written = 0;
	int r = drain_cpu(c, cpu, partial, &written);
	/* Every pass, packets or not: the shorter the time between two
	 * samples, the fewer drops a scribbled counter can hide. */
	sample_losses(c, cpu);
	if (!partial)
		return r ? r : written;
	struct cpu_stream *s = &c->cpu[cpu];
	if (stream_lost(s) != s->reported) {
		int w = ctf_channel_empty_packet_cpu(c, cpu);
		if (w == 0)
			written++;
		else if (!r)
			r = w;
	}
	return r ? r : written;
}

/* Stamped with the last timestamp decoded or written, not the clock: the
 * records still in the buffer may be older than now, and the next packet
 * may not begin before this one ends (S2). */
int ctf_channel_empty_packet_cpu(struct ctf_channel *c, uint32_t cpu)
{
	struct rt_packet pk;
	uint64_t ts = run_base(&c->cpu[cpu]);
	return write_packet(c, cpu, &pk, 0, RT_PACKET_HEADER_LEN, 0, ts, ts);
}

void ctf_channel_cpu_floor(struct ctf_channel *c, uint32_t cpu, uint64_t ts)
{
	if (cpu < c->bs->nr_max && ts > c->cpu[cpu].floor)
		c->cpu[cpu].floor = ts;
}

uint64_t ctf_channel_cpu_last_ts(const struct ctf_channel *c, uint32_t cpu)
{
	return cpu < c->bs->nr_max ? c->cpu[cpu].last_ts : 0;
}

/*
 * Flight recorder (ringbuf/layout.h, I8): the sub-buffers cpu holds now,
 * copied oldest first to private memory while writers go on, each kept
 * only if the writers did not reach it during its copy; of those, the run
 * after the last one that changed (consecutive packets, the newest), cut
 * from its oldest end to `budget` bytes (0: no cut), is checked and
 * written like any drain's (take_copy). The stream's events_discarded are
 * the ring's counters as sampled now. 0 or -errno.
 */
int ctf_channel_snapshot_cpu(struct ctf_channel *c, uint32_t cpu, uint64_t budget,
			     struct ctf_snapshot_stats *st)
{
	const struct rt_bufset *bs = c->bs;
	int m = ctf_trace_write_metadata(c->trace);
	if (m) {
		record_error(c, -m, "cannot write %s/metadata: %s", c->trace->dir, strerror(-m));
		return m;
	}
	uint64_t nsub = bs->buf_size / bs->subbuf_size, first, off;
	rt_snapshot_range(bs, cpu, &first, &off);
	/* After the offset: no record below it is stamped later. */
	uint64_t now = rt_clock_read(bs->clock);
	uint64_t n = (off - first) / bs->subbuf_size + 1;
	if (n > nsub)
		n = nsub;
	/* A dio_buf's alignment: packets are written from where they lie
	 * when their sub-buffers are whole multiples of it (write_packet). */
	size_t room = bs->subbuf_size % DIO_MAX ? 0 : bs->subbuf_size;
	uint8_t *copy = dio_buf_get(&snap_buf, bs->buf_size);
	int32_t *len = malloc(nsub * sizeof *len);
	if (!copy || !len) {
		free(len);
		record_error(c, ENOMEM, "%s_%u: out of memory for a snapshot", c->name, cpu);
		return -ENOMEM;
	}
	uint64_t keep = 0;
	for (uint64_t i = 0; i < n; i++) {
		len[i] = rt_snapshot_take(bs, cpu, first + i * bs->subbuf_size, off,
					  copy + i * bs->subbuf_size);
		if (len[i] < 0)
			keep = i + 1;
	}
	/* Those that changed, and the older ones: a snapshot has no hole. */
	st->changed += keep;
	uint64_t bytes = 0, from = n;
	while (from > keep) {
		uint64_t b = RT_PACKET_HEADER_LEN + (uint64_t)len[from - 1];
		if (budget && bytes + b > budget)
			break;
		bytes += b;
		from--;
	}
	st->trimmed += from - keep;
	st->overwritten += __atomic_load_n(&bs->ctl[cpu].w.overwritten, __ATOMIC_RELAXED);
	sample_losses(c, cpu);
	struct cpu_stream *s = &c->cpu[cpu];
	uint64_t packets = s->packets, events = s->events, wbytes = s->bytes;
	int r = 0;
	for (uint64_t i = from; i < n; i++) {
		if (len[i] <= 0)
			continue; /* not opened, or nothing to trust */
		int w = take_copy(c, cpu, copy + i * bs->subbuf_size, room,
				  RT_PACKET_HEADER_LEN + (size_t)len[i], now);
		if (w && !r)
			r = w;
	}
	/* Losses no packet reported: an empty packet says them. */
	if (stream_lost(s) != s->reported) {
		struct rt_packet pk;
		uint64_t ts = now < s->last_ts ? s->last_ts : now;
		int w = write_packet(c, cpu, &pk, 0, RT_PACKET_HEADER_LEN, 0, ts, ts);
		if (w && !r)
			r = w;
	}
	st->packets += s->packets - packets;
	st->events += s->events - events;
	st->bytes += s->bytes - wbytes;
	st->discarded += s->reported;
	free(len);
	if (snap_buf.size > SNAP_KEEP_MAX) {
		free(snap_buf.p);
		snap_buf = (struct dio_buf){ 0 };
	}
	return r;
}

static int drain_every_cpu(struct ctf_channel *c, int partial)
{
	int written = 0, first_err = 0;
	for (uint32_t cpu = 0; cpu < rt_nr_buffers(c->bs); cpu++) {
		int r = ctf_channel_drain_cpu(c, cpu, partial);
		if (r >= 0)
			written += r;
		else if (!first_err)
			first_err = r;
	}
	return first_err ? first_err : written;
}

int ctf_channel_drain(struct ctf_channel *c)
{
	return drain_every_cpu(c, 0);
}

int ctf_channel_flush(struct ctf_channel *c)
{
	return drain_every_cpu(c, 1);
}

uint64_t ctf_channel_skip_late_cpu(struct ctf_channel *c, uint32_t cpu)
{
	struct cpu_stream *s = &c->cpu[cpu];
	uint64_t n = 0, nsub = c->bs->buf_size / c->bs->subbuf_size;
	struct rt_committed cm;
	/* Decoded, not only skipped: reading resumes inside the last packet,
	 * whose compact headers count from these records (run_base). */
	for (uint64_t i = 0; i <= nsub && rt_read_committed(c->bs, cpu, 1, &cm) > 0; i++) {
		n += cm.skipped_records + walk_in_place(c, cpu, &cm);
		rt_read_advance(c->bs, cpu, &cm);
	}
	s->late += n;
	s->late_events += n;
	sample_losses(c, cpu);
	return n;
}

uint64_t ctf_channel_skip_late(struct ctf_channel *c)
{
	uint64_t total = 0;
	for (uint32_t cpu = 0; cpu < rt_nr_buffers(c->bs); cpu++)
		total += ctf_channel_skip_late_cpu(c, cpu);
	return total;
}

static void add_cpu_stats(const struct ctf_channel *c, uint32_t cpu, struct ctf_channel_stats *st)
{
	const struct cpu_stream *s = &c->cpu[cpu];
	st->packets += s->packets;
	st->events += s->events;
	st->bytes += s->bytes;
	st->discarded += s->reported;
	st->lost_unreported += stream_lost(s) - s->reported;
	st->write_lost += s->write_lost;
	st->corrupt_packets += s->corrupt_packets;
	st->corrupt_events += s->corrupt_events;
	st->late_events += s->late_events;
	st->counter_resets += s->counter_resets;
	st->overwritten_packets += s->overwritten;
}

static void error_stats(const struct ctf_channel *c, struct ctf_channel_stats *st)
{
	struct ctf_channel *w = (struct ctf_channel *)c; /* the lock only */
	pthread_mutex_lock(&w->err_lock);
	st->write_errors = c->write_errors;
	st->last_errno = c->last_errno;
	memcpy(st->last_error, c->last_error, sizeof st->last_error);
	pthread_mutex_unlock(&w->err_lock);
}

void ctf_channel_cpu_stats(const struct ctf_channel *c, uint32_t cpu, struct ctf_channel_stats *st)
{
	memset(st, 0, sizeof *st);
	if (cpu < rt_nr_buffers(c->bs))
		add_cpu_stats(c, cpu, st);
	error_stats(c, st);
}

void ctf_channel_stats(const struct ctf_channel *c, struct ctf_channel_stats *st)
{
	/* Our own counts only: nothing here moves unless we drained. */
	memset(st, 0, sizeof *st);
	for (uint32_t cpu = 0; cpu < rt_nr_buffers(c->bs); cpu++)
		add_cpu_stats(c, cpu, st);
	error_stats(c, st);
}

void ctf_channel_cpu_losses(const struct ctf_channel *c, uint32_t cpu, struct ctf_losses *out)
{
	memset(out, 0, sizeof *out);
	if (cpu >= rt_nr_buffers(c->bs))
		return;
	const struct cpu_stream *s = &c->cpu[cpu];
	*out = (struct ctf_losses){
		.full = s->ring_cause[RT_LOST_FULL],
		.big = s->ring_cause[RT_LOST_BIG],
		.abort = s->ring_cause[RT_LOST_ABORT],
		.nobuf = s->ring_cause[RT_LOST_NOBUF],
		.invalid = s->ring_cause[RT_LOST_INVALID],
		.corrupt = s->corrupt,
		.late = s->late,
		.unwritten = s->extra,
		.total = stream_lost(s),
		.reported = s->reported,
	};
}

uint64_t ctf_channel_cpu_events(const struct ctf_channel *c, uint32_t cpu)
{
	return cpu < rt_nr_buffers(c->bs) ? c->cpu[cpu].events : 0;
}

void ctf_channel_move(struct ctf_channel *c)
{
	for (uint32_t cpu = 0; cpu < rt_nr_buffers(c->bs); cpu++) {
		struct cpu_stream *s = &c->cpu[cpu];
		if (s->fd >= 0) {
			close(s->fd);
			s->fd = -1;
		}
		close_index(s);
		s->size = s->flushed = s->dropped = 0;
		s->file_index = 0;
	}
}

void ctf_channel_set_tracefiles(struct ctf_channel *c, uint64_t size, uint32_t count)
{
	c->tf_size = size;
	c->tf_count = size ? count : 0;
}

void ctf_channel_close_cpu(struct ctf_channel *c, uint32_t cpu)
{
	if (cpu >= rt_nr_buffers(c->bs))
		return;
	if (c->cpu[cpu].fd >= 0) {
		close(c->cpu[cpu].fd);
		c->cpu[cpu].fd = -1;
	}
	if (c->cpu[cpu].idx_fd >= 0) {
		close(c->cpu[cpu].idx_fd);
		c->cpu[cpu].idx_fd = -1;
	}
}

void ctf_channel_close(struct ctf_channel *c)
{
	if (!c)
		return;
	for (uint32_t cpu = 0; cpu < rt_nr_buffers(c->bs); cpu++)
		ctf_channel_close_cpu(c, cpu);
	c->bs->count_records = NULL;
	pthread_rwlock_wrlock(&c->trace->lock);
	c->trace->channels--;
	pthread_rwlock_unlock(&c->trace->lock);
	pthread_mutex_destroy(&c->err_lock);
	free(c->cpu);
	free(c);
}
