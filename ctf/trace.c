/* SPDX-License-Identifier: MIT */
/*
 * Trace directory and TSDL metadata (CTF 1.8, plain text): the preamble
 * (trace, env, clock), one stream block per channel, one event block per
 * event class, appended as they come.
 *
 * The packet header and context described here are ringbuf/packet.h field
 * for field; the event header is packet.h's compact/extended pair (a
 * 5-bit tag and a variant, as LTTng-UST's); event contexts and the
 * payload follow eventdesc/record.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/trust.h"
#include "ctf/ctf_int.h"
#include "eventdesc/record.h"

#ifndef RSEQTRACE_VERSION_MAJOR
#define RSEQTRACE_VERSION_MAJOR 0
#define RSEQTRACE_VERSION_MINOR 0
#define RSEQTRACE_VERSION_PATCH 0
#endif

_Static_assert(sizeof(struct rt_packet) == 88, "packet layout described below");
_Static_assert(RT_RECORD_HDR_ROOM == RT_EH_ROOM, "record.h and packet.h agree");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "metadata says byte_order = le");

/* ---- string builder -------------------------------------------------------- */

struct sb {
	char *s;
	size_t len, cap;
	int oom;
};

static void __attribute__((format(printf, 2, 0))) sb_vadd(struct sb *b, const char *fmt, va_list ap)
{
	if (b->oom)
		return;
	for (;;) {
		va_list aq;
		va_copy(aq, ap);
		int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, aq);
		va_end(aq);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if (b->s && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)n;
		char *s = realloc(b->s, cap);
		if (!s) {
			b->oom = 1;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

static void __attribute__((format(printf, 2, 3))) sb_add(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vadd(b, fmt, ap);
	va_end(ap);
}

/* A TSDL string literal's body: quotes and backslashes escaped, control
 * characters replaced (they come from users and hostnames). */
static void sb_quoted(struct sb *b, const char *s)
{
	sb_add(b, "\"");
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			sb_add(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			sb_add(b, "?");
		else
			sb_add(b, "%c", c);
	}
	sb_add(b, "\"");
}

/* ---- metadata file ------------------------------------------------------------ */

/* Queues the whole block for the file, or nothing; called under t->lock.
 * A block that would pass the cap is refused: the metadata a hostile
 * application can make us write is bounded. */
static int append(struct ctf_trace *t, struct sb *b)
{
	if (b->oom)
		return -ENOMEM;
	if (t->meta_max && t->meta_reserved + b->len > t->meta_max)
		return -EFBIG;
	if (t->pend_len + b->len > t->pend_cap) {
		size_t cap = t->pend_cap ? t->pend_cap : 4096;
		while (cap < t->pend_len + b->len)
			cap *= 2;
		char *p = realloc(t->pend, cap);
		if (!p)
			return -ENOMEM;
		t->pend = p;
		t->pend_cap = cap;
	}
	memcpy(t->pend + t->pend_len, b->s, b->len);
	t->pend_len += b->len;
	t->meta_reserved += b->len;
	return 0;
}

int ctf_trace_write_metadata(struct ctf_trace *t)
{
	pthread_mutex_lock(&t->write_lock);
	pthread_rwlock_wrlock(&t->lock);
	char *s = t->pend;
	size_t len = t->pend_len;
	t->pend = NULL;
	t->pend_len = t->pend_cap = 0;
	pthread_rwlock_unlock(&t->lock);
	if (t->sink) {
		int e = len ? t->sink->metadata(t->sink->arg, s, len) : 0;
		pthread_mutex_unlock(&t->write_lock);
		free(s);
		return e;
	}
	int r = t->meta_error;
	size_t done = 0;
	while (!r && done < len) {
		ssize_t w = pwrite(t->meta_fd, s + done, len - done, t->meta_size + (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			/* The file ends where the last whole block did; the
			 * rest is not written and the trace keeps the error. */
			r = w < 0 ? -errno : -ENOSPC;
			if (ftruncate(t->meta_fd, t->meta_size) != 0) {
				/* the file now ends in a partial block */
			}
			t->meta_error = r;
			pthread_rwlock_wrlock(&t->lock);
			if (!t->first_error)
				t->first_error = r;
			pthread_rwlock_unlock(&t->lock);
			break;
		}
		done += (size_t)w;
	}
	if (!r)
		t->meta_size += (off_t)done;
	pthread_mutex_unlock(&t->write_lock);
	free(s);
	return r;
}

/* ---- helpers --------------------------------------------------------------------- */

static void uuid_str(const uint8_t u[16], char out[37])
{
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

static void random_uuid(uint8_t u[16])
{
	if (getrandom(u, 16, 0) != 16) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_sec;
		for (int i = 0; i < 16; i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			u[i] = (uint8_t)(x >> 56);
		}
	}
	u[6] = (u[6] & 0x0f) | 0x40; /* version 4 */
	u[8] = (u[8] & 0x3f) | 0x80; /* RFC 4122 variant */
}

/* The kernel's boot id, as LTTng uses it for its monotonic clock's uuid:
 * babeltrace2 then puts our events and LTTng's on one timeline. */
static int boot_id(char out[37])
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
	if (!f)
		return -1;
	int ok = fgets(out, 37, f) && strlen(out) == 36;
	fclose(f);
	for (int i = 0; ok && i < 36; i++)
		ok = (i == 8 || i == 13 || i == 18 || i == 23) ? out[i] == '-'
			: ((out[i] >= '0' && out[i] <= '9') || (out[i] >= 'a' && out[i] <= 'f'));
	return ok ? 0 : -1;
}

static int64_t ns_of(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

int64_t ctf_monotonic_offset_ns(void)
{
	/* The sample with the tightest bracket wins. */
	int64_t best = 0, best_gap = INT64_MAX;
	for (int i = 0; i < 8; i++) {
		struct timespec m0, r, m1;
		clock_gettime(CLOCK_MONOTONIC, &m0);
		clock_gettime(CLOCK_REALTIME, &r);
		clock_gettime(CLOCK_MONOTONIC, &m1);
		int64_t gap = ns_of(&m1) - ns_of(&m0);
		if (gap < best_gap) {
			best_gap = gap;
			best = ns_of(&r) - (ns_of(&m0) + gap / 2);
		}
	}
	return best;
}

static uint64_t measure_tsc_hz(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/cpu0/tsc_freq_khz", "r");
	unsigned long long khz = 0;
	if (f) {
		if (fscanf(f, "%llu", &khz) != 1)
			khz = 0;
		fclose(f);
		if (khz)
			return khz * 1000;
	}
	struct timespec t0, t1, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t c0 = rt_arch_cycles();
	do
		clock_gettime(CLOCK_MONOTONIC, &now);
	while (ns_of(&now) - ns_of(&t0) < 20000000);
	uint64_t c1 = rt_arch_cycles();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	int64_t ns = ns_of(&t1) - ns_of(&t0);
	return ns > 0 ? (uint64_t)((double)(c1 - c0) * 1e9 / (double)ns) : 1000000000u;
}

/* iso: 20241124T201600+0100 (env), else 20241124-201600 (directory names). */
static void datetime(char *out, size_t n, int iso)
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	if (iso)
		strftime(out, n, "%Y%m%dT%H%M%S%z", &tm);
	else
		strftime(out, n, "%Y%m%d-%H%M%S", &tm);
}

/* ---- preamble ----------------------------------------------------------------------- */

/* enc: rseqtrace_encoding, with RSEQTRACE_ENCODING_BIG_ENDIAN or-ed in for
 * LTTng-UST's network byte order fields (the trace itself is little-endian). */
static const char *int_tsdl(char *buf, size_t n, unsigned size, int is_signed, unsigned base,
			    unsigned enc)
{
	snprintf(buf, n, "integer { size = %u; align = %u; signed = %s; encoding = %s; base = %u;%s }",
		 size * 8, size * 8, is_signed ? "true" : "false",
		 (enc & RSEQTRACE_ENCODING_UTF8) ? "UTF8" : "none", base,
		 (enc & RSEQTRACE_ENCODING_BIG_ENDIAN) ? " byte_order = be;" : "");
	return buf;
}

static void clock_block(struct sb *b, const struct ctf_trace_config *cfg, const char **clock_name)
{
	if (cfg->clock == RT_CLOCK_TSC) {
		uint64_t hz = cfg->tsc_freq ? cfg->tsc_freq : measure_tsc_hz();
		struct timespec r;
		uint64_t tsc = rt_arch_cycles();
		clock_gettime(CLOCK_REALTIME, &r);
		/* realtime = offset_s + (offset + cycles) / hz */
		int64_t off_s = (int64_t)r.tv_sec - (int64_t)(tsc / hz);
		int64_t off = (int64_t)((double)r.tv_nsec * (double)hz / 1e9) - (int64_t)(tsc % hz);
		if (off < 0) {
			off += (int64_t)hz;
			off_s -= 1;
		}
		*clock_name = "tsc";
		sb_add(b, "clock {\n\tname = \"tsc\";\n\tdescription = \"Cycle counter\";\n"
			  "\tfreq = %llu;\n\tprecision = 1;\n\toffset_s = %lld;\n\toffset = %lld;\n"
			  "\tabsolute = TRUE;\n};\n\n",
		       (unsigned long long)hz, (long long)off_s, (long long)off);
		return;
	}
	char bid[37];
	*clock_name = "monotonic";
	sb_add(b, "clock {\n\tname = \"monotonic\";\n");
	if (boot_id(bid) == 0)
		sb_add(b, "\tuuid = \"%s\";\n", bid);
	sb_add(b, "\tdescription = \"Monotonic Clock\";\n\tfreq = 1000000000; /* Hz */\n"
		  "\tprecision = 1;\n\t/* clock value offset from the epoch: offset * (1/freq) */\n"
		  "\toffset = %lld;\n\tabsolute = TRUE;\n};\n\n",
	       (long long)ctf_monotonic_offset_ns());
}

static void preamble(struct sb *b, const struct ctf_trace *t, const struct ctf_trace_config *cfg)
{
	char u[37], host[256] = "", created[64];
	uuid_str(t->uuid, u);
	if (cfg->hostname)
		snprintf(host, sizeof host, "%s", cfg->hostname);
	else if (gethostname(host, sizeof host - 1) != 0)
		snprintf(host, sizeof host, "unknown");
	datetime(created, sizeof created, 1);

	sb_add(b, "/* CTF 1.8 */\n\n"
		  "typealias integer { size = 8; align = 8; signed = false; } := uint8_t;\n"
		  "typealias integer { size = 32; align = 32; signed = false; } := uint32_t;\n"
		  "typealias integer { size = 64; align = 64; signed = false; } := uint64_t;\n\n"
		  "trace {\n\tmajor = 1;\n\tminor = 8;\n\tuuid = \"%s\";\n\tbyte_order = le;\n"
		  "\tpacket.header := struct {\n"
		  "\t\tuint32_t magic;\n\t\tuint8_t  uuid[16];\n\t\tuint32_t stream_id;\n"
		  "\t\tuint64_t stream_instance_id;\n\t};\n};\n\n", u);

	sb_add(b, "env {\n\thostname = ");
	sb_quoted(b, host);
	sb_add(b, ";\n\tdomain = \"ust\";\n\ttracer_name = \"rseqtrace\";\n"
		  "\ttracer_major = %d;\n\ttracer_minor = %d;\n\ttracer_patchlevel = %d;\n"
		  "\ttracer_buffering_scheme = \"%s\";\n\ttracer_buffering_id = %lld;\n"
		  "\tarchitecture_bit_width = %d;\n\ttrace_name = ",
	       RSEQTRACE_VERSION_MAJOR, RSEQTRACE_VERSION_MINOR, RSEQTRACE_VERSION_PATCH,
	       cfg->buffering == CTF_PER_PID ? "pid" : "uid",
	       cfg->buffering == CTF_PER_PID ? (long long)cfg->pid : (long long)cfg->uid,
	       (int)(8 * sizeof(void *)));
	sb_quoted(b, cfg->trace_name ? cfg->trace_name : "rseqtrace");
	sb_add(b, ";\n\ttrace_creation_datetime = \"%s\";\n", created);
	if (cfg->buffering == CTF_PER_PID) {
		sb_add(b, "\tvpid = %d;\n\tprocname = ", (int)(cfg->vpid ? cfg->vpid : cfg->pid));
		sb_quoted(b, cfg->procname ? cfg->procname : "");
		sb_add(b, ";\n\tvpid_datetime = \"%s\";\n", created);
	}
	/* What a stream (channel0_N) and a packet's cpu_id number: the CPU,
	 * or the writer thread's rseq mm_cid (per-PID buffers, Linux 6.3+). */
	sb_add(b, "\trseqtrace_buffer_index = \"%s\";\n", cfg->index_cid ? "mm_cid" : "cpu");
	sb_add(b, "};\n\n");

	const char *clk;
	clock_block(b, cfg, &clk);
	sb_add(b, "typealias integer { size = 64; align = 64; signed = false; map = clock.%s.value; }"
		  " := uint64_clock_t;\n", clk);
	/* The event header's (ringbuf/packet.h). */
	sb_add(b, "typealias integer { size = %u; align = 1; signed = false; map = clock.%s.value; }"
		  " := uint27_clock_t;\n", RT_EH_TS_BITS, clk);
	sb_add(b, "typealias integer { size = 64; align = 1; signed = false; map = clock.%s.value; }"
		  " := uint64_clock_packed_t;\n\n", clk);
}

/* ---- trace ------------------------------------------------------------------------ */

static int __attribute__((format(printf, 4, 5)))
set_err(char *err, size_t errlen, int e, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return e;
}

/* Where the trace goes: the directory every check starts from (the
 * session's output, or cfg->path) and the layout under it ("" for path).
 * attempt > 0: the per-PID name with a suffix. 0 or -ENAMETOOLONG. */
static int trace_below(const struct ctf_trace_config *cfg, int attempt, const char *dt,
		       char *out, size_t n)
{
	int w;
	if (cfg->path) {
		w = snprintf(out, n, "%s", "");
	} else if (cfg->buffering == CTF_PER_PID) {
		char name[64], suffix[16] = "";
		/* a process name becomes a path component: no '/' */
		snprintf(name, sizeof name, "%s", cfg->procname && *cfg->procname ? cfg->procname : "proc");
		for (char *c = name; *c; c++)
			if (*c == '/' || (unsigned char)*c < 0x20 || (c == name && *c == '.'))
				*c = '_';
		if (attempt)
			snprintf(suffix, sizeof suffix, "-%d", attempt);
		w = snprintf(out, n, "ust/pid/%s-%d-%s%s", name, (int)cfg->pid, dt, suffix);
	} else {
		w = snprintf(out, n, "ust/uid/%u/%d-bit", cfg->uid, (int)(8 * sizeof(void *)));
	}
	return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
}

/*
 * Opens the trace directory (t->dir_fd, t->dir) the safe way (common/trust.h):
 * no symlink followed at or under the output directory, every directory
 * there ours and not writable by others, created 0700; the trace's own
 * directory (the last of the layout) must not exist yet, so nothing
 * another user prepared is used. Per-process directories are named to the
 * second: a second trace of the same process in that second gets a suffix.
 */
static int open_trace_dir(struct ctf_trace *t, const struct ctf_trace_config *cfg,
			  char *err, size_t errlen)
{
	const char *base = cfg->path ? cfg->path : cfg->output;
	char dt[32], below[256], why[4096 + 256];
	datetime(dt, sizeof dt, 0);
	for (int attempt = 0;; attempt++) {
		if (trace_below(cfg, attempt, dt, below, sizeof below) != 0)
			return set_err(err, errlen, -ENAMETOOLONG, "%s: path too long", base);
		int fd = rt_dir_open_below(base, below, geteuid(), !cfg->path, NULL, why, sizeof why);
		if (fd == -EEXIST && !cfg->path && cfg->buffering == CTF_PER_PID && attempt < 100)
			continue;
		if (fd < 0)
			return set_err(err, errlen, fd, "cannot create the trace directory: %s", why);
		if (asprintf(&t->dir, "%s%s%s", base, *below ? "/" : "", below) < 0 ||
		    !(t->below = strdup(below))) {
			close(fd);
			free(t->dir);
			t->dir = NULL;
			return set_err(err, errlen, -ENOMEM, "out of memory");
		}
		t->dir_fd = fd;
		return 0;
	}
}

int ctf_trace_create(const struct ctf_trace_config *cfg, struct ctf_trace **out,
		     char *err, size_t errlen)
{
	*out = NULL;
	if ((!cfg->output && !cfg->path && !cfg->sink) || (cfg->clock != RT_CLOCK_MONOTONIC && cfg->clock != RT_CLOCK_TSC))
		return set_err(err, errlen, -EINVAL, "no output directory, or unknown clock");
	struct ctf_trace *t = calloc(1, sizeof *t);
	if (!t)
		return set_err(err, errlen, -ENOMEM, "out of memory");
	/* Walks read the event tables at once; one that adds an event waits
	 * for those under way, not for every one to come. */
	pthread_rwlockattr_t ra;
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&t->lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	pthread_mutex_init(&t->write_lock, NULL);
	t->meta_fd = -1;
	t->dir_fd = -1;
	t->index_fd = -1;
	t->clock = cfg->clock;
	t->meta_max = cfg->max_metadata;
	t->direct_io = cfg->direct_io;
	t->snapshot = cfg->snapshot;
	if (cfg->uuid)
		memcpy(t->uuid, cfg->uuid, 16);
	else
		random_uuid(t->uuid);

	const char *meta = "metadata";
	t->sink = cfg->sink;
	if (t->sink) {
		struct sb b = { 0 };
		preamble(&b, t, cfg);
		int r = append(t, &b);
		free(b.s);
		t->dir = strdup(cfg->path ? cfg->path : "");
		if (!r && !t->dir)
			r = -ENOMEM;
		if (!r) {
			*out = t;
			return 0;
		}
		set_err(err, errlen, r, "cannot describe the trace: %s", strerror(-r));
		pthread_rwlock_destroy(&t->lock);
		pthread_mutex_destroy(&t->write_lock);
		free(t->pend);
		free(t->dir);
		free(t);
		return r;
	}
	int r = open_trace_dir(t, cfg, err, errlen);
	if (r)
		goto fail;
	t->meta_fd = openat(t->dir_fd, meta, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
	if (t->meta_fd < 0) {
		r = -errno;
		set_err(err, errlen, r, "cannot create %s/%s: %s", t->dir, meta, strerror(-r));
		goto fail;
	}
	/* In our fresh trace directory: nobody else can have put it there. */
	if (!cfg->snapshot && mkdirat(t->dir_fd, "index", 0700) == 0)
		t->index_fd = openat(t->dir_fd, "index", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct sb b = { 0 };
	preamble(&b, t, cfg);
	r = append(t, &b);
	free(b.s);
	if (!r)
		r = ctf_trace_write_metadata(t);
	if (r) {
		set_err(err, errlen, r, "cannot write %s/%s: %s", t->dir, meta, strerror(-r));
		close(t->meta_fd);
		unlinkat(t->dir_fd, meta, 0);
		t->meta_fd = -1;
		goto fail;
	}
	*out = t;
	return 0;
fail:
	if (t->index_fd >= 0)
		close(t->index_fd);
	if (t->dir_fd >= 0) {
		unlinkat(t->dir_fd, "index", AT_REMOVEDIR);
		close(t->dir_fd);
	}
	pthread_rwlock_destroy(&t->lock);
	pthread_mutex_destroy(&t->write_lock);
	free(t->pend);
	free(t->dir);
	free(t->below);
	free(t);
	return r;
}

const char *ctf_trace_dir(const struct ctf_trace *t)
{
	return t->dir;
}

void ctf_trace_uuid(const struct ctf_trace *t, uint8_t uuid[16])
{
	memcpy(uuid, t->uuid, 16);
}

struct ctf_stream_class *ctf_find_class(struct ctf_trace *t, uint32_t id)
{
	for (struct ctf_stream_class *c = t->classes; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

int ctf_trace_add_stream_class(struct ctf_trace *t, uint32_t stream_id, unsigned contexts)
{
	if (contexts & ~(unsigned)RSEQTRACE_CTX_ALL)
		return -EINVAL;
	pthread_rwlock_wrlock(&t->lock);
	int r = -EEXIST;
	if (ctf_find_class(t, stream_id))
		goto out;
	struct ctf_stream_class *c = calloc(1, sizeof *c);
	r = -ENOMEM;
	if (!c)
		goto out;
	c->id = stream_id;
	c->contexts = contexts;
	c->ctx_len = rt_ctx_len(contexts);
	c->ctx_end = rt_ctx_end(contexts);

	struct sb b = { 0 };
	sb_add(&b, "stream {\n\tid = %u;\n"
		   "\tpacket.context := struct {\n"
		   "\t\tuint64_clock_t timestamp_begin;\n"
		   "\t\tuint64_t packet_seq_num;\n"
		   "\t\tuint32_t cpu_id;\n"
		   "\t\tuint64_clock_t timestamp_end;\n"
		   "\t\tuint64_t content_size;\n"
		   "\t\tuint64_t packet_size;\n"
		   "\t\tuint64_t events_discarded;\n"
		   "\t};\n"
		   /* packet.h: both forms end at 4 (mod 8) after an 8-aligned
		    * start; the extended timestamp is at byte 4, 32-bit aligned,
		    * and described bit-aligned so that the extended struct does
		    * not move its id to the next 32-bit boundary. */
		   "\tevent.header := struct {\n"
		   "\t\tenum : integer { size = %u; align = 1; signed = false; }"
		   " { compact = 0 ... %u, extended = %u } id;\n"
		   "\t\tvariant <id> {\n"
		   "\t\t\tstruct { uint27_clock_t timestamp; } compact;\n"
		   "\t\t\tstruct {\n"
		   "\t\t\t\tinteger { size = %u; align = 1; signed = false; } id;\n"
		   "\t\t\t\tuint64_clock_packed_t timestamp;\n"
		   "\t\t\t} extended;\n"
		   "\t\t} v;\n"
		   "\t} align(64);\n", stream_id, RT_EH_ID_BITS, RT_EH_EXTENDED - 1, RT_EH_EXTENDED,
		   32 - RT_EH_ID_BITS);
	if (contexts) {
		/* In record order (common/context.h). The names are
		 * LTTng-UST's: babeltrace2's debug-info filter needs an
		 * unsigned `ip` and an int32 `vpid` in this scope. */
		sb_add(&b, "\tevent.context := struct {\n");
		for (unsigned i = 0; i < RT_NR_CONTEXTS; i++) {
			const struct rt_context *x = &rt_contexts[i];
			if (!(contexts & x->bit))
				continue;
			char type[128], count[16] = "";
			int_tsdl(type, sizeof type, x->size, x->is_signed, x->base, x->text);
			if (x->count > 1)
				snprintf(count, sizeof count, "[%u]", x->count);
			char field[64];
			sb_add(&b, "\t\t%s _%s%s;\n", type, rt_context_field(x, field), count);
		}
		sb_add(&b, "\t};\n");
	}
	sb_add(&b, "};\n\n");
	r = append(t, &b);
	free(b.s);
	if (r) {
		free(c);
		goto out;
	}
	c->next = t->classes;
	t->classes = c;
out:
	pthread_rwlock_unlock(&t->lock);
	return r;
}

/* ---- event classes ----------------------------------------------------------------- */

static void field_tsdl(struct sb *b, const struct rt_field *f)
{
	char it[160], lt[160];
	const struct rt_int_type *e = &f->elem;
	switch (f->kind) {
	case RSEQTRACE_FIELD_INTEGER:
		sb_add(b, "\t\t%s _%s;\n", int_tsdl(it, sizeof it, e->size, e->is_signed, e->base, e->encoding), f->name);
		break;
	case RSEQTRACE_FIELD_FLOAT:
		if (e->size == 4)
			sb_add(b, "\t\tfloating_point { exp_dig = 8; mant_dig = 24; align = 32; } _%s;\n", f->name);
		else
			sb_add(b, "\t\tfloating_point { exp_dig = 11; mant_dig = 53; align = 64; } _%s;\n", f->name);
		break;
	case RSEQTRACE_FIELD_STRING:
		sb_add(b, "\t\tstring { encoding = UTF8; } _%s;\n", f->name);
		break;
	case RSEQTRACE_FIELD_ARRAY:
		sb_add(b, "\t\t%s _%s[%u];\n", int_tsdl(it, sizeof it, e->size, e->is_signed, e->base, e->encoding),
		       f->name, f->count);
		break;
	case RSEQTRACE_FIELD_SEQUENCE:
		sb_add(b, "\t\t%s __%s_length;\n", int_tsdl(lt, sizeof lt, f->length.size, 0, 10, 0), f->name);
		sb_add(b, "\t\t%s _%s[ __%s_length ];\n",
		       int_tsdl(it, sizeof it, e->size, e->is_signed, e->base, e->encoding), f->name, f->name);
		break;
	case RSEQTRACE_FIELD_ENUM:
		sb_add(b, "\t\tenum : %s {\n", int_tsdl(it, sizeof it, e->size, e->is_signed, e->base, 0));
		for (uint32_t i = 0; i < f->nr_entries; i++) {
			const struct rt_enum_entry *en = &f->entries[i];
			sb_add(b, "\t\t\t");
			sb_quoted(b, en->label);
			if (e->is_signed)
				sb_add(b, " = %lld", (long long)en->first);
			else
				sb_add(b, " = %llu", (unsigned long long)en->first);
			if (en->last != en->first) {
				if (e->is_signed)
					sb_add(b, " ... %lld", (long long)en->last);
				else
					sb_add(b, " ... %llu", (unsigned long long)en->last);
			}
			sb_add(b, ",\n");
		}
		sb_add(b, "\t\t} _%s;\n", f->name);
		break;
	}
}

static size_t align_up(size_t o, size_t a)
{
	return (o + a - 1) & ~(a - 1);
}

/* What the record checker needs, with the exact length when it is fixed:
 * the payload starts at the contexts' end aligned to its largest field
 * (record.h), as CTF aligns the `fields` structure. */
static struct ctf_ev *compile(const struct rt_desc *d, const struct ctf_stream_class *c)
{
	struct ctf_ev *ev = calloc(1, sizeof *ev + d->nr_fields * sizeof ev->f[0]);
	if (!ev)
		return NULL;
	ev->nr = d->nr_fields;
	ev->fixed = 1;
	uint32_t align = 1;
	for (uint32_t i = 0; i < d->nr_fields; i++) {
		const struct rt_field *f = &d->fields[i];
		uint32_t a = rt_field_align(f->kind, f->elem.size, f->length.size);
		align = a > align ? a : align;
	}
	ev->payload_start = rt_payload_start(c->ctx_end, align);
	size_t pos = ev->payload_start;
	for (uint32_t i = 0; i < d->nr_fields; i++) {
		const struct rt_field *f = &d->fields[i];
		struct ctf_fl *l = &ev->f[i];
		l->kind = (uint8_t)f->kind;
		l->esize = f->elem.size;
		l->lsize = f->length.size;
		l->count = f->count;
		switch (f->kind) {
		case RSEQTRACE_FIELD_INTEGER:
		case RSEQTRACE_FIELD_FLOAT:
		case RSEQTRACE_FIELD_ENUM:
			pos = align_up(pos, l->esize) + l->esize;
			break;
		case RSEQTRACE_FIELD_ARRAY:
			pos = align_up(pos, l->esize) + (size_t)l->esize * l->count;
			break;
		default:
			if (ev->fixed) {
				ev->first_var = i;
				ev->var_start = (uint32_t)pos;
			}
			ev->fixed = 0;
		}
	}
	ev->exact_len = (uint32_t)pos;
	uint32_t i = ev->first_var;
	while (!ev->fixed && i < ev->nr && ev->f[i].kind == RSEQTRACE_FIELD_STRING)
		i++;
	if (!ev->fixed && i == ev->nr)
		ev->tail_strings = ev->nr - ev->first_var;
	return ev;
}

int ctf_trace_add_event(struct ctf_trace *t, uint32_t stream_id, uint32_t event_id,
			const struct rt_desc *d)
{
	if (!d || event_id >= CTF_MAX_EVENT_ID)
		return -EINVAL;
	pthread_rwlock_wrlock(&t->lock);
	int r = -ENOENT;
	struct ctf_stream_class *c = ctf_find_class(t, stream_id);
	if (!c)
		goto out;
	r = -EEXIST;
	if (event_id < c->nr_events && c->ev[event_id])
		goto out;
	r = -ENOMEM;
	if (event_id >= c->nr_events) {
		uint32_t n = c->nr_events ? c->nr_events : 64;
		while (n <= event_id)
			n *= 2;
		struct ctf_ev **ev = realloc(c->ev, n * sizeof *ev);
		if (!ev)
			goto out;
		memset(ev + c->nr_events, 0, (n - c->nr_events) * sizeof *ev);
		c->ev = ev;
		c->nr_events = n;
	}
	struct ctf_ev *ev = compile(d, c);
	if (!ev)
		goto out;

	struct sb b = { 0 };
	sb_add(&b, "event {\n\tname = ");
	sb_quoted(&b, d->name);
	sb_add(&b, ";\n\tid = %u;\n\tstream_id = %u;\n\tloglevel = %d;\n\tfields := struct {\n",
	       event_id, stream_id, (int)d->loglevel);
	for (uint32_t i = 0; i < d->nr_fields; i++)
		field_tsdl(&b, &d->fields[i]);
	/* Aligned as its largest field, as record.h places it. */
	sb_add(&b, "\t};\n};\n\n");
	r = append(t, &b);
	free(b.s);
	if (r) {
		free(ev);
		goto out;
	}
	c->ev[event_id] = ev;
out:
	pthread_rwlock_unlock(&t->lock);
	return r;
}

int ctf_trace_close(struct ctf_trace *t)
{
	if (!t)
		return 0;
	if (t->meta_fd >= 0 || t->sink)
		ctf_trace_write_metadata(t);
	int r = t->first_error;
	if (t->meta_fd >= 0 && !t->snapshot && fsync(t->meta_fd) != 0 && !r && errno != EINVAL)
		r = -errno;
	if (t->meta_fd >= 0)
		close(t->meta_fd);
	if (t->index_fd >= 0)
		close(t->index_fd);
	if (t->dir_fd >= 0)
		close(t->dir_fd);
	while (t->classes) {
		struct ctf_stream_class *c = t->classes;
		t->classes = c->next;
		for (uint32_t i = 0; i < c->nr_events; i++)
			free(c->ev[i]);
		free(c->ev);
		free(c);
	}
	pthread_rwlock_destroy(&t->lock);
	pthread_mutex_destroy(&t->write_lock);
	free(t->pend);
	free(t->dir);
	free(t->below);
	free(t);
	return r;
}

/* Copies the metadata file of `from` (a directory fd) into fd: n bytes. */
static int copy_metadata(int from_dir, int fd, off_t n)
{
	int in = openat(from_dir, "metadata", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return -errno;
	char buf[65536];
	off_t done = 0;
	int r = 0;
	while (!r && done < n) {
		size_t want = n - done < (off_t)sizeof buf ? (size_t)(n - done) : sizeof buf;
		ssize_t got = pread(in, buf, want, done);
		if (got <= 0) {
			r = got < 0 ? -errno : -EIO;
			break;
		}
		for (ssize_t w = 0; !r && w < got;) {
			ssize_t k = pwrite(fd, buf + w, (size_t)(got - w), done + w);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				r = k < 0 ? -errno : -ENOSPC;
			else
				w += k;
		}
		done += got;
	}
	close(in);
	return r;
}

int ctf_trace_move(struct ctf_trace *t, const char *output, char *err, size_t errlen)
{
	int r = ctf_trace_write_metadata(t);
	if (r)
		return set_err(err, errlen, r, "cannot write %s/metadata: %s", t->dir, strerror(-r));
	char why[4096 + 256], *dir = NULL;
	int dfd = rt_dir_open_below(output, t->below, geteuid(), 1, NULL, why, sizeof why);
	if (dfd < 0)
		return set_err(err, errlen, dfd, "cannot create the trace directory: %s", why);
	int mfd = openat(dfd, "metadata", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	pthread_mutex_lock(&t->write_lock);
	r = mfd < 0 ? -errno : copy_metadata(t->dir_fd, mfd, t->meta_size);
	if (!r && asprintf(&dir, "%s%s%s", output, *t->below ? "/" : "", t->below) < 0)
		r = -ENOMEM;
	if (r) {
		pthread_mutex_unlock(&t->write_lock);
		if (mfd >= 0) {
			close(mfd);
			unlinkat(dfd, "metadata", 0);
		}
		close(dfd);
		return set_err(err, errlen, r, "cannot copy the metadata to %s/%s: %s", output,
			       t->below, strerror(-r));
	}
	if (fsync(t->meta_fd) != 0) {
		/* the old chunk's metadata is complete in the page cache */
	}
	close(t->meta_fd);
	close(t->dir_fd);
	t->meta_fd = mfd;
	t->dir_fd = dfd;
	if (t->index_fd >= 0) {
		/* The streams' next index files go with them. */
		close(t->index_fd);
		t->index_fd = mkdirat(dfd, "index", 0700) == 0 ?
			      openat(dfd, "index", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	}
	pthread_mutex_unlock(&t->write_lock);
	pthread_rwlock_wrlock(&t->lock);
	free(t->dir);
	t->dir = dir;
	pthread_rwlock_unlock(&t->lock);
	return 0;
}
