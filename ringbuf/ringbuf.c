/* SPDX-License-Identifier: MIT */
/*
 * Buffer-set creation, mapping and validation. Everything read from shared
 * memory is checked before it is used: the memfd may come from, or be
 * shared with, a process that scribbles on it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "ringbuf/ringbuf.h"

__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t errlen, int status, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return status;
}

const char *rt_strerror(int status)
{
	switch (status) {
	case RT_OK: return "ok";
	case RT_E_FULL: return "buffer full (record discarded)";
	case RT_E_BIG: return "record larger than a sub-buffer (discarded)";
	case RT_E_ABORT: return "too many aborted attempts (record discarded)";
	case RT_E_MODE: return "this thread cannot write this buffer's mode";
	case RT_E_INVAL: return "invalid argument or buffer header";
	case RT_E_SYS: return "system call failed";
	case RT_E_CORRUPT: return "shared memory is inconsistent";
	case RT_E_NOBUF: return "no buffer for this concurrency id yet (record discarded)";
	}
	return "unknown status";
}

int rt_possible_cpus(void)
{
	/* "0-3" or "0,2-5": the highest listed CPU + 1. */
	int max = -1;
	FILE *f = fopen("/sys/devices/system/cpu/possible", "r");
	if (f) {
		char line[256];
		if (fgets(line, sizeof line, f)) {
			for (char *p = line; *p;) {
				if (*p < '0' || *p > '9') {
					p++; /* '-' and ',' separate numbers */
					continue;
				}
				char *end;
				long v = strtol(p, &end, 10);
				if (v > max && v < RT_MAX_CPUS)
					max = (int)v;
				p = end;
			}
		}
		fclose(f);
	}
	if (max < 0)
		max = get_nprocs_conf() - 1;
	return max + 1;
}

uint32_t rt_current_cpu(void)
{
	if (__rseq_size > 0 && (int32_t)rt_rseq_area()->cpu_id >= 0)
		return rt_rseq_area()->cpu_id;
	int c = sched_getcpu();
	return c < 0 ? 0 : (uint32_t)c;
}

int rt_rseq_usable(void)
{
	return __rseq_size > 0 && (int32_t)rt_rseq_area()->cpu_id >= 0;
}

#ifndef AT_RSEQ_FEATURE_SIZE
#define AT_RSEQ_FEATURE_SIZE 27
#endif

/*
 * The kernel fills the rseq fields up to its feature size (the aux vector;
 * 0 there means a kernel before 6.3: 20 bytes, no mm_cid). glibc 2.35-2.39
 * report __rseq_size 32 and 2.40 reports 20 while both register a 32-byte
 * area, so for those two values the kernel's size, capped at 32, is what
 * is filled; any other __rseq_size is glibc's own statement (librseq
 * decides the same way). mm_cid is at 24..28.
 */
int rt_cid_usable(void)
{
	const char *force = getenv("RSEQTRACE_CID");
	if (force && strcmp(force, "0") == 0)
		return 0;
	if (!rt_rseq_usable())
		return 0;
	unsigned long size = __rseq_size;
	if (size == 20 || size == 32) {
		unsigned long kernel = getauxval(AT_RSEQ_FEATURE_SIZE);
		size = kernel < 32 ? kernel : 32;
	}
	return size >= RT_RSEQ_MM_CID + 4;
}

enum rt_mode rt_mode_default(void)
{
	const char *force = getenv("RSEQTRACE_LOCKED");
	if (force && strcmp(force, "1") == 0)
		return RT_MODE_LOCKED;
	return rt_rseq_usable() ? RT_MODE_RSEQ : RT_MODE_LOCKED;
}

static int is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

int rt_check_geometry(uint32_t nr_cpus, uint32_t subbuf, uint32_t num, char *err, size_t errlen)
{
	if (nr_cpus == 0 || nr_cpus > RT_MAX_CPUS)
		return fail(err, errlen, RT_E_INVAL, "bad CPU count %u", nr_cpus);
	if (!is_pow2(subbuf))
		return fail(err, errlen, RT_E_INVAL,
			    "sub-buffer size %u is not a power of two (try 64k, 256k, 1M)", subbuf);
	if (subbuf < RT_MIN_SUBBUF || subbuf > RT_MAX_SUBBUF)
		return fail(err, errlen, RT_E_INVAL,
			    "sub-buffer size %u must be between %u bytes and %u MiB",
			    subbuf, RT_MIN_SUBBUF, RT_MAX_SUBBUF >> 20);
	if (!is_pow2(num) || num < 2 || num > RT_MAX_NUM_SUBBUF)
		return fail(err, errlen, RT_E_INVAL,
			    "sub-buffer count %u must be a power of two between 2 and %u",
			    num, RT_MAX_NUM_SUBBUF);
	return RT_OK;
}

static uint64_t data_offset(uint32_t nr_cpus)
{
	uint64_t end = RT_SHM_HEADER_SIZE + (uint64_t)nr_cpus * sizeof(struct rt_cpu_ctl);
	return (end + 4095) & ~4095ull;
}

uint64_t rt_bufset_bytes(uint32_t nr_cpus, uint32_t subbuf, uint32_t num)
{
	return data_offset(nr_cpus) + (uint64_t)nr_cpus * subbuf * num;
}

/*
 * Maps the first `used` bytes of the set's file at the start of `size`
 * bytes of address space, the rest reserved (PROT_NONE, private,
 * MAP_NORESERVE: neither memory nor a file mapping) for rt_bufset_grow.
 */
static void *map_reserved(int fd, uint64_t size, uint64_t used, int populate)
{
	int flags = MAP_SHARED | (populate ? MAP_POPULATE : 0);
	if (used == size)
		return mmap(NULL, size, PROT_READ | PROT_WRITE, flags, fd, 0);
	void *base = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return base;
	if (mmap(base, used, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, 0) == MAP_FAILED) {
		int e = errno;
		munmap(base, size);
		errno = e;
		return MAP_FAILED;
	}
	return base;
}

static uint32_t fast_path(uint32_t mode, uint32_t index)
{
	if (mode != RT_MODE_RSEQ)
		return RT_FAST_NONE;
	return index == RT_INDEX_CID ? RT_FAST_CID : RT_FAST_CPU;
}

static void set_view(struct rt_bufset *bs, void *base, int fd, size_t size)
{
	struct rt_shm_header *h = base;
	bs->hdr = h;
	bs->ctl = (struct rt_cpu_ctl *)((char *)base + RT_SHM_HEADER_SIZE);
	bs->data = (char *)base + h->data_offset;
	bs->subbuf_size = h->subbuf_size;
	bs->buf_size = (uint64_t)h->subbuf_size * h->num_subbuf;
	bs->nr_cpus = h->nr_cpus;
	bs->nr_max = h->nr_cpus;
	bs->index = h->index;
	bs->fast = fast_path(h->mode, h->index);
	bs->mode = h->mode;
	bs->clock = h->clock;
	bs->overwrite = h->overwrite;
	bs->fd = fd;
	bs->wake_fd = -1;
	bs->grow_fd = -1;
	bs->want = 0;
	bs->wait_ns = 0;
	bs->wait_while = NULL;
	bs->map_size = size;
	bs->rd = NULL;
}

int rt_bufset_create(const struct rt_params *p, struct rt_bufset *bs,
		     char *err, size_t errlen)
{
	uint32_t nr_cpus = p->nr_cpus ? p->nr_cpus : (uint32_t)rt_possible_cpus();
	int r = rt_check_geometry(nr_cpus, p->subbuf_size, p->num_subbuf, err, errlen);
	if (r)
		return r;
	enum rt_mode mode = p->mode == RT_MODE_AUTO ? rt_mode_default() : p->mode;
	if (mode != RT_MODE_RSEQ && mode != RT_MODE_LOCKED)
		return fail(err, errlen, RT_E_INVAL, "bad mode %d", (int)p->mode);
	if (p->clock > RT_CLOCK_NONE)
		return fail(err, errlen, RT_E_INVAL, "bad clock %d", (int)p->clock);
	if (p->index != RT_INDEX_CPU && (p->index != RT_INDEX_CID || mode != RT_MODE_RSEQ))
		return fail(err, errlen, RT_E_INVAL, "bad index %d for mode %d", (int)p->index, (int)mode);
	uint32_t ready = p->index == RT_INDEX_CID && p->nr_ready ? p->nr_ready : nr_cpus;
	if (ready > nr_cpus)
		return fail(err, errlen, RT_E_INVAL, "%u buffers ready of %u", ready, nr_cpus);

	uint64_t doff = data_offset(nr_cpus);
	uint64_t size = rt_bufset_bytes(nr_cpus, p->subbuf_size, p->num_subbuf);
	int fd = memfd_create("rseqtrace-buffers", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return fail(err, errlen, RT_E_SYS, "memfd_create: %s", strerror(errno));
	if (ftruncate(fd, (off_t)size) != 0) {
		int e = errno;
		close(fd);
		return fail(err, errlen, RT_E_SYS, "cannot size buffers to %llu bytes: %s",
			    (unsigned long long)size, strerror(e));
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
		int e = errno;
		close(fd);
		return fail(err, errlen, RT_E_SYS, "cannot seal buffers: %s", strerror(e));
	}
	uint64_t buf_size = (uint64_t)p->subbuf_size * p->num_subbuf;
	/* Only the buffers in use: the file is sparse, the rest costs no
	 * memory until rt_bufset_grow maps it. */
	uint64_t used = doff + ready * buf_size;
	void *base = map_reserved(fd, size, used, 0);
	if (base == MAP_FAILED) {
		int e = errno;
		close(fd);
		return fail(err, errlen, RT_E_SYS, "cannot map %llu bytes of buffers: %s",
			    (unsigned long long)size, strerror(e));
	}
	/* Fault the pages in now, in the creator, rather than in traced
	 * threads' first writes (twice the cost of an event otherwise). */
	madvise(base, used, MADV_POPULATE_WRITE);
	struct rt_shm_header *h = base;
	h->version = RT_LAYOUT_VERSION;
	h->header_size = RT_SHM_HEADER_SIZE;
	h->ctl_size = sizeof(struct rt_cpu_ctl);
	h->nr_cpus = nr_cpus;
	h->subbuf_size = p->subbuf_size;
	h->num_subbuf = p->num_subbuf;
	h->mode = mode;
	h->clock = p->clock;
	h->data_offset = doff;
	h->total_size = size;
	memcpy(h->uuid, p->uuid, sizeof h->uuid);
	h->stream_id = p->stream_id;
	h->index = p->index;
	h->overwrite = p->overwrite != 0;
	set_view(bs, base, fd, size);
	bs->nr_cpus = ready;
	/* Lock words start at 0, free: the memfd is zero-filled. */
	/* The magic last: a reader that sees it sees a complete header. */
	__atomic_store_n(&h->magic, RT_SHM_MAGIC, __ATOMIC_RELEASE);
	return RT_OK;
}

int rt_bufset_map(int fd, struct rt_bufset *bs, char *err, size_t errlen)
{
	return rt_bufset_map_some(fd, 0, bs, err, errlen);
}

int rt_bufset_map_some(int fd, uint32_t nr, struct rt_bufset *bs, char *err, size_t errlen)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return fail(err, errlen, RT_E_SYS, "fstat: %s", strerror(errno));
	if ((uint64_t)st.st_size < RT_SHM_HEADER_SIZE)
		return fail(err, errlen, RT_E_INVAL,
			    "buffer memory too small (%lld bytes) for its header",
			    (long long)st.st_size);
	/* Unsealed memory could shrink under us and fault on access. */
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & (F_SEAL_SHRINK | F_SEAL_GROW)) != (F_SEAL_SHRINK | F_SEAL_GROW))
		return fail(err, errlen, RT_E_INVAL, "buffer memory is not sealed against resizing");

	struct rt_shm_header h;
	if (pread(fd, &h, sizeof h, 0) != (ssize_t)sizeof h)
		return fail(err, errlen, RT_E_SYS, "cannot read buffer header");
	if (h.magic != RT_SHM_MAGIC)
		return fail(err, errlen, RT_E_INVAL, "bad buffer magic 0x%llx",
			    (unsigned long long)h.magic);
	if (h.version != RT_LAYOUT_VERSION || h.header_size != RT_SHM_HEADER_SIZE ||
	    h.ctl_size != sizeof(struct rt_cpu_ctl))
		return fail(err, errlen, RT_E_INVAL,
			    "buffer layout version %u (header %u, control %u) is not ours (%u)",
			    h.version, h.header_size, h.ctl_size, RT_LAYOUT_VERSION);
	int r = rt_check_geometry(h.nr_cpus, h.subbuf_size, h.num_subbuf, err, errlen);
	if (r)
		return r;
	if (h.mode != RT_MODE_RSEQ && h.mode != RT_MODE_LOCKED)
		return fail(err, errlen, RT_E_INVAL, "bad buffer mode %u", h.mode);
	if (h.clock > RT_CLOCK_NONE)
		return fail(err, errlen, RT_E_INVAL, "bad buffer clock %u", h.clock);
	if (h.index != RT_INDEX_CPU && (h.index != RT_INDEX_CID || h.mode != RT_MODE_RSEQ))
		return fail(err, errlen, RT_E_INVAL, "bad buffer index %u for mode %u", h.index, h.mode);
	if (h.overwrite > 1)
		return fail(err, errlen, RT_E_INVAL, "bad buffer overwrite flag %u", h.overwrite);
	if (h.index == RT_INDEX_CPU ? nr != 0 && nr != h.nr_cpus : nr > h.nr_cpus)
		return fail(err, errlen, RT_E_INVAL, "%u buffers to map, the set has %u", nr, h.nr_cpus);
	if (nr == 0)
		nr = h.nr_cpus;
	uint64_t doff = data_offset(h.nr_cpus);
	uint64_t size = rt_bufset_bytes(h.nr_cpus, h.subbuf_size, h.num_subbuf);
	if (h.data_offset != doff || h.total_size != size)
		return fail(err, errlen, RT_E_INVAL, "inconsistent buffer geometry");
	if ((uint64_t)st.st_size != size)
		return fail(err, errlen, RT_E_INVAL,
			    "buffer memory is %lld bytes, its header says %llu",
			    (long long)st.st_size, (unsigned long long)size);

	uint64_t used = doff + (uint64_t)nr * h.subbuf_size * h.num_subbuf;
	void *base = map_reserved(fd, size, used, 1);
	if (base == MAP_FAILED)
		return fail(err, errlen, RT_E_SYS, "mmap: %s", strerror(errno));
	/* Use the copy we validated, not what the mapping says now. */
	set_view(bs, base, fd, size);
	bs->data = (char *)base + doff;
	bs->subbuf_size = h.subbuf_size;
	bs->buf_size = (uint64_t)h.subbuf_size * h.num_subbuf;
	bs->nr_cpus = nr;
	bs->nr_max = h.nr_cpus;
	bs->index = h.index;
	bs->fast = fast_path(h.mode, h.index);
	bs->mode = h.mode;
	bs->clock = h.clock;
	return RT_OK;
}

int rt_bufset_grow(struct rt_bufset *bs, uint32_t nr, char *err, size_t errlen)
{
	if (bs->index != RT_INDEX_CID || nr > bs->nr_max)
		return fail(err, errlen, RT_E_INVAL, "cannot grow to %u buffers (%s set of %u)", nr,
			    bs->index == RT_INDEX_CID ? "an mm_cid" : "a per-CPU", bs->nr_max);
	uint32_t have = bs->nr_cpus;
	if (nr <= have)
		return RT_OK;
	uint64_t from = (uint64_t)(bs->data - (char *)bs->hdr) + have * bs->buf_size;
	uint64_t len = (uint64_t)(nr - have) * bs->buf_size;
	char *at = (char *)bs->hdr + from;
	if (mmap(at, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, bs->fd, (off_t)from) ==
	    MAP_FAILED)
		return fail(err, errlen, RT_E_SYS, "cannot map buffers %u..%u: %s", have, nr - 1,
			    strerror(errno));
	/* Faulted here, not in the writers' first records. */
	madvise(at, len, MADV_POPULATE_WRITE);
	/* The mapping before the count that lets writers use it. */
	__atomic_store_n(&bs->nr_cpus, nr, __ATOMIC_RELEASE);
	return RT_OK;
}

void rt_bufset_unmap(struct rt_bufset *bs)
{
	if (bs->hdr)
		munmap(bs->hdr, bs->map_size);
	if (bs->fd >= 0)
		close(bs->fd);
	if (bs->hdr && bs->wake_fd >= 0)
		close(bs->wake_fd);
	free(bs->rd);
	memset(bs, 0, sizeof *bs);
	bs->fd = -1;
	bs->grow_fd = -1;
	bs->wake_fd = -1;
}
