/* SPDX-License-Identifier: MIT */
/*
 * Hostile shared memory and mode checks. One case per run:
 *
 *   header             bad headers and memfds: rt_bufset_map must refuse each
 *                      with a clear message (checked for a keyword), never crash
 *   scribble-ctl       random bytes over the per-CPU control blocks,
 *   scribble-plausible offsets and consumer positions that look almost right,
 *   scribble-data      random bytes over the packets,
 *   scribble-all       all of it: then the reader (bounded), rt_flush and a few
 *                      writes must return RT_E_CORRUPT or valid packets, never
 *                      crash, never hang
 *   misaligned-consumed  the smallest reproduction of one such case
 *   mode-mismatch      a process where rseq is off (GLIBC_TUNABLES) must refuse
 *                      to write an rseq-mode set: RT_E_MODE, nothing written
 *   dead-lock-owner    a locked-mode writer killed while holding a buffer's
 *                      lock: writers and flush recover the lock, nothing hangs
 *   stopped-lock-owner a locked-mode writer stopped while holding a lock:
 *                      the consumer's rt_flush must still return
 *   scribble-lock      another process writes garbage over every lock word
 *                      (random bytes, a dead holder's TID with the waiters
 *                      flag, the writer's own TID, a live TID) while a locked-mode
 *                      writer writes: every write returns within a bound,
 *                      every drop is counted, writing resumes once the
 *                      scribbling stops (garbage left in place), and what
 *                      was written reads back intact
 *   stopped-lock-owner-clockstep  the same while the wall clock is set back
 *                      an hour (wallclock.h): rt_flush's wait is on
 *                      CLOCK_MONOTONIC, so it still ends within its bound
 *
 * Each case runs in a child so a crash is reported as a failure of the case.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "oracle.h"
#include "expect.h"
#include "tests/common/wallclock.h"


static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void create(struct rt_bufset *bs, uint32_t subbuf, uint32_t nsub, enum rt_mode mode)
{
	char err[256] = "";
	struct rt_params p = {.subbuf_size = subbuf, .num_subbuf = nsub, .mode = mode,
			      .stream_id = 9, .uuid = {9, 9, 9}};
	int r = rt_bufset_create(&p, bs, err, sizeof err);
	if (r != RT_OK)
		die("rt_bufset_create: %s (%s)", rt_strerror(r), err);
}

/* Moves the set's mapping in front of an inaccessible guard page, so that
 * reading past the end of the last CPU's buffer faults instead of quietly
 * reading whatever mapping happens to follow. */
static void guard_after(struct rt_bufset *bs)
{
	size_t size = bs->map_size, page = 4096;
	char *base = mmap(NULL, size + page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	if (mmap(base, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, bs->fd, 0) != base)
		die("mmap fixed: %s", strerror(errno));
	ptrdiff_t delta = base - (char *)bs->hdr;
	munmap(bs->hdr, size);
	bs->hdr = (struct rt_shm_header *)base;
	bs->ctl = (struct rt_cpu_ctl *)((char *)bs->ctl + delta);
	bs->data += delta;
	/* rt_bufset_unmap unmaps map_size bytes: the guard goes with it. */
	bs->map_size = size + page;
}

static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof set, &set) != 0)
		die("sched_setaffinity(%d): %s", cpu, strerror(errno));
}

static void unpin(void)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	for (int c = 0; c < CPU_SETSIZE; c++)
		CPU_SET(c, &set);
	sched_setaffinity(0, sizeof set, &set);
}

/* Writes n records on every CPU we may run on. */
static void fill(struct rt_bufset *bs, uint32_t n)
{
	cpu_set_t allowed;
	uint64_t rec[64];
	uint64_t seq = 0;
	sched_getaffinity(0, sizeof allowed, &allowed);
	for (uint32_t c = 0; c < bs->nr_cpus; c++) {
		if (!CPU_ISSET(c, &allowed))
			continue;
		pin((int)c);
		for (uint32_t i = 0; i < n; i++, seq++) {
			uint32_t len = REC_FIXED + 8 * (uint32_t)(seq % 9);
			rec_build(rec, 0, seq, len);
			rt_write(bs, rec, len);
		}
	}
	sched_setaffinity(0, sizeof allowed, &allowed);
}

/* ---- header ----------------------------------------------------------- */

static int memfd_with(const void *img, size_t img_len, off_t size, int seal)
{
	int fd = memfd_create("rt-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		die("memfd_create: %s", strerror(errno));
	if (ftruncate(fd, size) != 0)
		die("ftruncate: %s", strerror(errno));
	size_t n = img_len < (size_t)size ? img_len : (size_t)size;
	if (n && pwrite(fd, img, n, 0) != (ssize_t)n)
		die("pwrite: %s", strerror(errno));
	if (seal && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) != 0)
		die("F_ADD_SEALS: %s", strerror(errno));
	return fd;
}

/* Maps fd, expects failure with a message containing `word`. */
static void expect_refused(const char *what, int fd, const char *word)
{
	struct rt_bufset bs;
	char err[256];
	memset(err, 0, sizeof err);
	memset(&bs, 0, sizeof bs);
	int r = rt_bufset_map(fd, &bs, err, sizeof err);
	printf("%-28s -> %-4d \"%s\"\n", what, r, err);
	EXPECT(r < 0, "%s: rt_bufset_map accepted it", what);
	EXPECT(r == RT_E_INVAL || r == RT_E_SYS, "%s: status %d", what, r);
	EXPECT(strlen(err) >= 10, "%s: no useful message", what);
	EXPECT(strstr(err, word) != NULL, "%s: message \"%s\" does not mention \"%s\"", what, err,
	       word);
	if (r == RT_OK)
		rt_bufset_unmap(&bs);
	else if (fd >= 0)
		close(fd);
}

enum field { F_NONE, F_MAGIC, F_VERSION, F_HDRSIZE, F_CTLSIZE, F_NRCPUS0, F_NRCPUSBIG,
	     F_SUBBUF3, F_SUBBUFSMALL, F_NSUB1, F_NSUB3, F_MODE, F_CLOCK, F_DATAOFF, F_TOTAL };

static void patch(struct rt_shm_header *h, enum field f)
{
	switch (f) {
	case F_NONE: break;
	case F_MAGIC: h->magic ^= 0x100; break;
	case F_VERSION: h->version = RT_LAYOUT_VERSION + 1; break;
	case F_HDRSIZE: h->header_size = 128; break;
	case F_CTLSIZE: h->ctl_size = 64; break;
	case F_NRCPUS0: h->nr_cpus = 0; break;
	case F_NRCPUSBIG: h->nr_cpus = RT_MAX_CPUS + 1; break;
	case F_SUBBUF3: h->subbuf_size = 3000; break;
	case F_SUBBUFSMALL: h->subbuf_size = 64; break;
	case F_NSUB1: h->num_subbuf = 1; break;
	case F_NSUB3: h->num_subbuf = 3; break;
	case F_MODE: h->mode = 7; break;
	case F_CLOCK: h->clock = 9; break;
	case F_DATAOFF: h->data_offset += 4096; break;
	case F_TOTAL: h->total_size += 4096; break;
	}
}

static int case_header(void)
{
	struct rt_bufset bs;
	create(&bs, 4096, 4, RT_MODE_AUTO);
	size_t size = bs.map_size;
	char *img = malloc(size);
	if (!img || pread(bs.fd, img, size, 0) != (ssize_t)size)
		die("cannot copy the set");

	/* The harness itself: an unmodified copy, sealed, maps. */
	{
		int fd = memfd_with(img, size, (off_t)size, 1);
		struct rt_bufset ok;
		char err[256] = "";
		int r = rt_bufset_map(fd, &ok, err, sizeof err);
		EXPECT(r == RT_OK, "an intact copy does not map: %s", err);
		if (r == RT_OK) {
			EXPECT(ok.nr_cpus == bs.nr_cpus && ok.subbuf_size == 4096 &&
				       ok.buf_size == 4 * 4096 && ok.mode == bs.mode,
			       "the mapped view differs from the creator's");
			rt_bufset_unmap(&ok);
		}
	}
	static const struct {
		enum field f;
		const char *what, *word;
	} fields[] = {
		{F_MAGIC, "wrong magic", "magic"},
		{F_VERSION, "wrong layout version", "version"},
		{F_HDRSIZE, "wrong header size", "header"},
		{F_CTLSIZE, "wrong control block size", "control"},
		{F_NRCPUS0, "zero CPUs", "CPU"},
		{F_NRCPUSBIG, "too many CPUs", "CPU"},
		{F_SUBBUF3, "sub-buffer not a power of 2", "sub-buffer size"},
		{F_SUBBUFSMALL, "sub-buffer too small", "sub-buffer size"},
		{F_NSUB1, "one sub-buffer", "sub-buffer count"},
		{F_NSUB3, "3 sub-buffers", "sub-buffer count"},
		{F_MODE, "unknown mode", "mode"},
		{F_CLOCK, "unknown clock", "clock"},
		{F_DATAOFF, "data offset inconsistent", "geometry"},
		{F_TOTAL, "total size inconsistent", "geometry"},
	};
	for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
		char *copy = malloc(size);
		memcpy(copy, img, size);
		patch((struct rt_shm_header *)copy, fields[i].f);
		expect_refused(fields[i].what, memfd_with(copy, size, (off_t)size, 1),
			       fields[i].word);
		free(copy);
	}
	/* Geometry that agrees with itself but not with the file. */
	{
		char *copy = malloc(size);
		memcpy(copy, img, size);
		struct rt_shm_header *h = (struct rt_shm_header *)copy;
		h->num_subbuf *= 2;
		h->total_size += (uint64_t)h->nr_cpus * h->subbuf_size * (h->num_subbuf / 2);
		expect_refused("geometry larger than file", memfd_with(copy, size, (off_t)size, 1),
			       "header says");
		free(copy);
	}
	expect_refused("empty memfd", memfd_with(img, 0, 0, 1), "too small");
	expect_refused("truncated inside header", memfd_with(img, size, 100, 1), "too small");
	expect_refused("truncated after header", memfd_with(img, size, (off_t)size - 4096, 1),
		       "header says");
	expect_refused("one page too long", memfd_with(img, size, (off_t)size + 4096, 1),
		       "header says");
	expect_refused("unsealed memfd", memfd_with(img, size, (off_t)size, 0), "sealed");
	{
		/* Sealed against growing only: it could still shrink under us. */
		int fd = memfd_create("rt-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
		if (ftruncate(fd, (off_t)size) != 0 || pwrite(fd, img, size, 0) != (ssize_t)size ||
		    fcntl(fd, F_ADD_SEALS, F_SEAL_GROW) != 0)
			die("cannot build a half-sealed memfd");
		expect_refused("sealed against growth only", fd, "sealed");
	}
	{
		char path[] = "/tmp/rt-corrupt-XXXXXX";
		int fd = mkstemp(path);
		if (fd < 0 || pwrite(fd, img, size, 0) != (ssize_t)size)
			die("cannot write a regular file");
		unlink(path);
		expect_refused("regular file", fd, "sealed");
	}
	{
		int p[2];
		if (pipe(p) != 0)
			die("pipe");
		close(p[1]);
		expect_refused("a pipe", p[0], "");
	}
	expect_refused("closed fd", 1000, "fstat");
	free(img);
	rt_bufset_unmap(&bs);
	return failures;
}

/* ---- scribbling ------------------------------------------------------- */

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void scribble_ctl(struct rt_bufset *bs, int n)
{
	for (int i = 0; i < n; i++) {
		uint32_t cpu = (uint32_t)(rnd() % bs->nr_cpus);
		size_t off = rnd() % sizeof(struct rt_cpu_ctl);
		((uint8_t *)&bs->ctl[cpu])[off] = (uint8_t)rnd(); /* the lock too */
	}
}

static void scribble_plausible(struct rt_bufset *bs)
{
	uint32_t cpu = (uint32_t)(rnd() % bs->nr_cpus);
	struct rt_cpu_ctl *c = &bs->ctl[cpu];
	uint64_t base = (rnd() % 64) * bs->subbuf_size;
	switch (rnd() % 4) {
	case 0: /* consumer position off the sub-buffer grid */
		c->r.consumed = base + 8 * (rnd() % (bs->buf_size / 8));
		c->w.offset = c->r.consumed + rnd() % (bs->buf_size + bs->subbuf_size);
		break;
	case 1: /* consumer ahead of the writer */
		c->w.offset = base + rnd() % bs->subbuf_size;
		c->r.consumed = c->w.offset + bs->subbuf_size * (1 + rnd() % 4);
		break;
	case 2: /* writer more than a buffer ahead */
		c->r.consumed = base;
		c->w.offset = base + bs->buf_size + bs->subbuf_size * (1 + rnd() % 4);
		break;
	default: /* extreme values */
		c->w.offset = rnd() % 2 ? ~0ull - rnd() % 4096 : rnd();
		c->r.consumed = rnd() % 2 ? ~0ull - rnd() % 4096 : rnd();
		break;
	}
}

static void scribble_data(struct rt_bufset *bs, int n)
{
	uint64_t size = bs->buf_size * bs->nr_cpus;
	for (int i = 0; i < n; i++) {
		uint64_t off = rnd() % size;
		if (rnd() % 2) /* aim at packet headers, where it hurts */
			off = off / bs->subbuf_size * bs->subbuf_size +
			      rnd() % RT_PACKET_HEADER_LEN;
		bs->data[off] = (uint8_t)rnd();
	}
}

/* Reads everything it is given, staying inside the packet. */
static uint64_t walk_packet(const void *pkt, uint32_t len)
{
	const char *p = (const char *)pkt + RT_PACKET_HEADER_LEN, *end = (const char *)pkt + len;
	uint64_t sum = 0;
	uint64_t prev = 0;
	while (end - p >= (long)REC_FIXED) {
		struct rec_at at;
		if (!rec_decode(p, (uint32_t)(end - p), prev, &at))
			break;
		uint32_t stored = at.r->len - at.stored;
		if (at.r->len < REC_FIXED || at.r->len % 8 || stored > (uint64_t)(end - p))
			break;
		for (uint32_t i = 0; i < stored / 8; i++)
			sum += ((const uint64_t *)p)[i];
		prev = at.ts;
		p += stored;
	}
	return sum;
}

struct read_result {
	uint64_t packets, corrupt, records_sum;
};

/* The consumer's loop, bounded: more packets than a buffer holds means it
 * is being fed garbage, and it moves on. */
static void bounded_read(struct rt_bufset *bs, void *pkt, struct read_result *rr)
{
	uint32_t bound = 2 * (uint32_t)(bs->buf_size / bs->subbuf_size) + 2;
	for (uint32_t cpu = 0; cpu < bs->nr_cpus; cpu++) {
		for (uint32_t i = 0; i < bound; i++) {
			uint32_t len = ~0u;
			double t0 = now();
			int r = rt_read_next(bs, cpu, pkt, &len);
			EXPECT(now() - t0 < 1.0, "rt_read_next took %.1f s", now() - t0);
			if (r == 0)
				break;
			if (r == 1) {
				EXPECT(len >= RT_PACKET_HEADER_LEN && len <= bs->subbuf_size &&
					       len % 8 == 0,
				       "rt_read_next accepted a packet of %u bytes", len);
				if (len <= bs->subbuf_size)
					rr->records_sum += walk_packet(pkt, len);
				rr->packets++;
			} else {
				EXPECT(r == RT_E_CORRUPT, "rt_read_next returned %d", r);
				rr->corrupt++;
			}
			rt_read_release(bs, cpu, pkt);
		}
	}
}

static void write_some(struct rt_bufset *bs, int n)
{
	uint64_t rec[16];
	for (int i = 0; i < n; i++) {
		rec_build(rec, 1, (uint64_t)i, 64);
		int r = rt_write(bs, rec, 64);
		EXPECT(r == RT_OK || r == RT_E_FULL || r == RT_E_ABORT,
		       "rt_write on scribbled memory returned %d", r);
	}
}

static int case_scribble(const char *how, int iterations)
{
	struct read_result rr = {0};
	uint64_t flushes = 0;
	double t0 = now();
	for (int it = 0; it < iterations; it++) {
		struct rt_bufset bs;
		create(&bs, 4096, 4, RT_MODE_AUTO);
		guard_after(&bs);
		fill(&bs, 150);
		void *pkt = malloc(bs.subbuf_size);
		if (!strcmp(how, "ctl"))
			scribble_ctl(&bs, 1 + (int)(rnd() % 64));
		else if (!strcmp(how, "plausible"))
			scribble_plausible(&bs);
		else if (!strcmp(how, "data"))
			scribble_data(&bs, 1 + (int)(rnd() % 256));
		else {
			scribble_ctl(&bs, 1 + (int)(rnd() % 64));
			scribble_plausible(&bs);
			scribble_data(&bs, 1 + (int)(rnd() % 256));
		}
		bounded_read(&bs, pkt, &rr);
		for (uint32_t cpu = 0; cpu < bs.nr_cpus; cpu++) {
			double t1 = now();
			int r = rt_flush(&bs, cpu);
			EXPECT(now() - t1 < 2.0, "rt_flush took %.1f s", now() - t1);
			EXPECT(r >= RT_E_CORRUPT && r <= 1, "rt_flush returned %d", r);
			flushes += r == 1;
		}
		write_some(&bs, 40);
		bounded_read(&bs, pkt, &rr);
		free(pkt);
		rt_bufset_unmap(&bs);
		if (failures)
			break;
	}
	printf("scribble-%s: %d iterations in %.1f s: %llu packets read, %llu refused as corrupt, "
	       "%llu flushes\n",
	       how, iterations, now() - t0, (unsigned long long)rr.packets,
	       (unsigned long long)rr.corrupt, (unsigned long long)flushes);
	EXPECT(rr.corrupt > 0 || !strcmp(how, "data"),
	       "no scribble was ever detected: the test did not bite");
	return failures;
}

/* The consumer position in shared memory is off the sub-buffer grid, near
 * the end of the last CPU's buffer; the writer's offset is one sub-buffer
 * further. rt_read_next copies subbuf_size bytes from there. */
static int case_misaligned_consumed(void)
{
	struct rt_bufset bs;
	create(&bs, 4096, 4, RT_MODE_AUTO);
	guard_after(&bs);
	uint32_t cpu = bs.nr_cpus - 1;
	bs.ctl[cpu].r.consumed = bs.buf_size - 8;
	bs.ctl[cpu].w.offset = bs.buf_size + 8;
	void *pkt = malloc(bs.subbuf_size);
	uint32_t len = 0;
	printf("last CPU %u: consumed %llu, offset %llu, buffer %llu bytes; reading...\n", cpu,
	       (unsigned long long)bs.ctl[cpu].r.consumed,
	       (unsigned long long)bs.ctl[cpu].w.offset, (unsigned long long)bs.buf_size);
	int r = rt_read_next(&bs, cpu, pkt, &len);
	printf("rt_read_next returned %d\n", r);
	EXPECT(r == RT_E_CORRUPT, "a misaligned consumer position was not refused (%d)", r);
	free(pkt);
	rt_bufset_unmap(&bs);
	return failures;
}

/* ---- mode mismatch ---------------------------------------------------- */

static void *write_from_thread(void *arg)
{
	uint64_t rec[8];
	rec_build(rec, 0, 1, 48);
	return (void *)(intptr_t)rt_write(arg, rec, 48);
}

/* In a process started with glibc's rseq registration off. */
static int child_mode_mismatch(int fd)
{
	printf("child: __rseq_size %u, rseq usable %d, default mode %d\n", __rseq_size,
	       rt_rseq_usable(), (int)rt_mode_default());
	EXPECT(!rt_rseq_usable(), "GLIBC_TUNABLES=glibc.pthread.rseq=0 left rseq usable");
	EXPECT(rt_mode_default() == RT_MODE_LOCKED, "default mode without rseq is not locked");
	struct rt_bufset bs;
	char err[256] = "";
	int r = rt_bufset_map(fd, &bs, err, sizeof err);
	if (r != RT_OK)
		die("child: rt_bufset_map: %s", err);
	EXPECT(bs.mode == RT_MODE_RSEQ, "the set is not in rseq mode");
	uint64_t rec[8];
	rec_build(rec, 0, 0, 48);
	r = rt_write(&bs, rec, 48);
	printf("child: rt_write from the main thread: %d (%s)\n", r, rt_strerror(r));
	EXPECT(r == RT_E_MODE, "rt_write returned %d, expected RT_E_MODE", r);
	pthread_t t;
	void *res;
	pthread_create(&t, NULL, write_from_thread, &bs);
	pthread_join(t, &res);
	r = (int)(intptr_t)res;
	printf("child: rt_write from a new thread: %d (%s)\n", r, rt_strerror(r));
	EXPECT(r == RT_E_MODE, "rt_write from a thread returned %d, expected RT_E_MODE", r);
	r = rt_flush(&bs, 0);
	printf("child: rt_flush: %d (%s)\n", r, rt_strerror(r));
	EXPECT(r == RT_E_MODE, "rt_flush returned %d, expected RT_E_MODE", r);
	return failures;
}

static int case_mode_mismatch(void)
{
	if (!rt_rseq_usable()) {
		printf("FAIL: rseq is not usable in this process, so an rseq-mode set cannot "
		       "be made here (run outside valgrind, with rseq)\n");
		return 1;
	}
	struct rt_bufset bs;
	create(&bs, 4096, 4, RT_MODE_RSEQ);
	pid_t pid = fork();
	if (pid == 0) {
		char fdarg[16];
		snprintf(fdarg, sizeof fdarg, "%d", bs.fd);
		fcntl(bs.fd, F_SETFD, 0); /* the memfd is close-on-exec */
		setenv("GLIBC_TUNABLES", "glibc.pthread.rseq=0", 1);
		execl("/proc/self/exe", "rb_corrupt", "child-mode-mismatch", fdarg, (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	EXPECT(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child failed (status %#x)", st);
	for (uint32_t c = 0; c < bs.nr_cpus; c++) {
		struct rt_cpu_stats s;
		rt_cpu_stats(&bs, c, &s);
		EXPECT(s.offset == 0, "cpu %u: the refused writer moved the offset to %llu", c,
		       (unsigned long long)s.offset);
		printf("cpu %u: offset %llu, lost full %llu big %llu abort %llu\n", c,
		       (unsigned long long)s.offset, (unsigned long long)s.lost_full,
		       (unsigned long long)s.lost_big, (unsigned long long)s.lost_abort);
	}
	rt_bufset_unmap(&bs);
	return failures;
}

/* ---- dead lock owner -------------------------------------------------- */

static int case_dead_lock_owner(void)
{
	struct rt_bufset bs;
	create(&bs, 4096, 4, RT_MODE_LOCKED);
	int p[2];
	if (pipe(p) != 0)
		die("pipe");
	for (uint32_t cpu = 0; cpu < bs.nr_cpus; cpu++) {
		pid_t pid = fork();
		if (pid == 0) {
			if (rt_lock_cpu(&bs, cpu) != 0)
				_exit(1);
			char c = 'L';
			if (write(p[1], &c, 1) != 1)
				_exit(1);
			pause();
			_exit(0);
		}
		char c;
		if (read(p[0], &c, 1) != 1)
			die("the child did not take the lock");
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	printf("every CPU's lock is held by a dead process; writing and flushing...\n");
	alarm(20); /* a hang here is the failure; SIGALRM kills the case */
	uint64_t rec[8];
	uint32_t written = 0;
	cpu_set_t allowed;
	sched_getaffinity(0, sizeof allowed, &allowed);
	for (uint32_t cpu = 0; cpu < bs.nr_cpus; cpu++) {
		if (!CPU_ISSET(cpu, &allowed))
			continue;
		pin((int)cpu);
		rec_build(rec, 0, written, 48);
		int r = rt_write(&bs, rec, 48);
		EXPECT(r == RT_OK, "rt_write after the lock owner died: %d", r);
		written += r == RT_OK;
	}
	unpin();
	struct oracle o;
	if (oracle_init(&o, &bs, 1, 64) != 0)
		die("out of memory");
	oracle_final(&o);
	alarm(0);
	printf("wrote %u records, read %llu\n", written, (unsigned long long)o.records);
	EXPECT(o.errors == 0, "the buffer does not check: %s", o.first_error);
	EXPECT(o.records == written, "wrote %u, read %llu", written, (unsigned long long)o.records);
	oracle_fini(&o);
	rt_bufset_unmap(&bs);
	return failures;
}

/* ---- stopped lock owner ----------------------------------------------- */

/* A locked-mode writer stopped while holding a buffer's lock (SIGSTOP, or a
 * debugger breakpoint inside the write): the consumer's rt_flush must not
 * wait for it forever. Any status is fine, as long as it returns.
 * clock_step_ns: the flusher's wall clock runs that far ahead of the real
 * one, as if the real one had been set back by it during the wait. */
static int case_stopped_lock_owner(int64_t clock_step_ns)
{
	struct rt_bufset bs;
	create(&bs, 4096, 4, RT_MODE_LOCKED);
	pid_t pid = fork();
	if (pid == 0) {
		if (rt_lock_cpu(&bs, 0) != 0)
			_exit(1);
		raise(SIGSTOP);
		rt_unlock_cpu(&bs, 0);
		_exit(0);
	}
	int st;
	if (waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st))
		die("the child did not stop");
	printf("cpu 0's lock is held by stopped process %d; flushing cpu 0...\n", (int)pid);
	pid_t flusher = fork();
	if (flusher == 0) {
		wallclock_step(clock_step_ns);
		_exit(rt_flush(&bs, 0) <= 1 ? 0 : 1);
	}
	double t0 = now();
	int ended = 0;
	while (!ended && now() - t0 < 10) {
		ended = waitpid(flusher, &st, WNOHANG) == flusher;
		usleep(10000);
	}
	if (!ended) {
		kill(flusher, SIGKILL);
		waitpid(flusher, &st, 0);
	}
	printf("rt_flush %s after %.1f s\n", ended ? "returned" : "still waiting", now() - t0);
	EXPECT(ended, "rt_flush waits for a stopped writer's lock");
	kill(pid, SIGCONT);
	waitpid(pid, &st, 0);
	rt_bufset_unmap(&bs);
	return failures;
}

/* ---- scribbled lock words --------------------------------------------- */

static pid_t dead_tid(void)
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	return pid;
}

static void scribble_locks(struct rt_bufset *bs, double seconds, pid_t victim)
{
	pid_t dead = dead_tid();
	double t0 = now();
	while (now() - t0 < seconds) {
		for (uint32_t c = 0; c < bs->nr_cpus; c++) {
			uint8_t *lk = (uint8_t *)&bs->ctl[c].w.lock;
			uint32_t w;
			switch (rnd() % 5) {
			case 0: /* random bytes over the whole lock */
				for (size_t i = 0; i < sizeof bs->ctl[c].w.lock; i++)
					lk[i] = (uint8_t)rnd();
				continue;
			case 1: w = 0x80000000u | (uint32_t)dead; break;
			case 2: w = (uint32_t)victim; break;
			case 3: w = (uint32_t)getpid(); break; /* alive: never broken */
			default: w = (uint32_t)rnd(); break;
			}
			memcpy(lk, &w, sizeof w);
		}
		usleep(1000);
	}
}

#define LOCK_MAX_SEQ (1u << 22)

static void drain_all_cpus(struct oracle *o, struct rt_bufset *bs)
{
	for (uint32_t c = 0; c < bs->nr_cpus; c++)
		oracle_drain(o, c);
}

static int case_scribble_lock(void)
{
	struct rt_bufset bs;
	create(&bs, 4096, 4, RT_MODE_LOCKED);
	struct oracle o;
	if (oracle_init(&o, &bs, 1, LOCK_MAX_SEQ) != 0)
		die("out of memory");
	pid_t victim = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		scribble_locks(&bs, 1.5, victim);
		_exit(0);
	}
	alarm(60); /* a hang here is the failure; SIGALRM kills the case */
	uint64_t rec[16], seq = 0, ok = 0, dropped = 0;
	double slowest = 0, t0 = now();
	int st;
	/* While the scribbler runs, and 1 s after it left its garbage. */
	double stop_at = 1e9;
	while (now() < stop_at && seq < LOCK_MAX_SEQ - 256) {
		if (stop_at > 1e8 && waitpid(pid, &st, WNOHANG) == pid)
			stop_at = now() + 1.0;
		double t1 = now();
		rec_build(rec, 0, seq, 64);
		int r = rt_write(&bs, rec, 64);
		double took = now() - t1;
		if (took > slowest)
			slowest = took;
		if (r == RT_OK) {
			ok++;
			seq++;
		} else {
			EXPECT(r == RT_E_ABORT || r == RT_E_FULL, "rt_write returned %d", r);
			dropped++;
		}
		if (seq % 64 == 0)
			drain_all_cpus(&o, &bs);
		usleep(50);
	}
	uint64_t ok_before_end = ok;
	/* The scribbler is gone and left garbage: writes go through again. */
	uint64_t after_ok = 0;
	for (int i = 0; i < 200; i++) {
		rec_build(rec, 0, seq, 64);
		if (rt_write(&bs, rec, 64) == RT_OK) {
			after_ok++;
			seq++;
		} else {
			dropped++;
		}
		drain_all_cpus(&o, &bs);
	}
	ok += after_ok;
	uint64_t lost = 0;
	for (uint32_t c = 0; c < bs.nr_cpus; c++)
		lost += rt_lost_total(&bs.ctl[c]);
	double tf = now();
	oracle_final(&o);
	alarm(0);
	printf("%.1f s: %llu written, %llu dropped (counted %llu), slowest write %.3f s, "
	       "%llu of 200 after the scribbler left, flush+read %.2f s, %llu read\n",
	       tf - t0, (unsigned long long)ok, (unsigned long long)dropped,
	       (unsigned long long)lost, slowest, (unsigned long long)after_ok, now() - tf,
	       (unsigned long long)o.records);
	EXPECT(slowest < 1.0, "a write waited %.2f s on a scribbled lock", slowest);
	EXPECT(lost == dropped, "dropped %llu, counted %llu", (unsigned long long)dropped,
	       (unsigned long long)lost);
	EXPECT(ok_before_end > 0, "nothing was written while the locks were scribbled");
	EXPECT(after_ok >= 190, "only %llu of 200 writes after the scribbler left",
	       (unsigned long long)after_ok);
	EXPECT(o.errors == 0, "the buffer does not check: %s", o.first_error);
	EXPECT(o.records == ok, "wrote %llu, read %llu", (unsigned long long)ok,
	       (unsigned long long)o.records);
	oracle_fini(&o);
	rt_bufset_unmap(&bs);
	return failures;
}

/* ---- main ------------------------------------------------------------- */

static int run_case(const char *name)
{
	if (!strcmp(name, "header"))
		return case_header();
	if (!strncmp(name, "scribble-", 9) && strcmp(name, "scribble-lock"))
		return case_scribble(name + 9, 300);
	if (!strcmp(name, "misaligned-consumed"))
		return case_misaligned_consumed();
	if (!strcmp(name, "mode-mismatch"))
		return case_mode_mismatch();
	if (!strcmp(name, "dead-lock-owner"))
		return case_dead_lock_owner();
	if (!strcmp(name, "stopped-lock-owner"))
		return case_stopped_lock_owner(0);
	if (!strcmp(name, "stopped-lock-owner-clockstep"))
		return case_stopped_lock_owner(3600 * 1000000000ll);
	if (!strcmp(name, "scribble-lock"))
		return case_scribble_lock();
	die("unknown case %s", name);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "child-mode-mismatch"))
		return child_mode_mismatch(atoi(argv[2])) ? 1 : 0;
	if (argc != 2) {
		fprintf(stderr, "usage: rb_corrupt header|scribble-ctl|scribble-plausible|"
				"scribble-data|scribble-all|misaligned-consumed|mode-mismatch|"
				"dead-lock-owner|stopped-lock-owner|stopped-lock-owner-clockstep|"
				"scribble-lock\n");
		return 2;
	}
	pid_t pid = fork();
	if (pid == 0)
		_exit(run_case(argv[1]) ? 1 : 0);
	int st;
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st)) {
		printf("FAIL: case %s crashed with signal %d (%s)\n", argv[1], WTERMSIG(st),
		       strsignal(WTERMSIG(st)));
		return 1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		printf("FAIL: case %s\n", argv[1]);
		return 1;
	}
	printf("PASS: case %s\n", argv[1]);
	return 0;
}
