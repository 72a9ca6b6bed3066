/* SPDX-License-Identifier: MIT */
/*
 * librseqtrace-probes.so: what every ready-made probe shares (probes.h)
 * and the state dump of the objects mapped in the process (statedump_tp.h).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define RSEQTRACE_CREATE_PROBES
#include "statedump_tp.h"
#undef RSEQTRACE_CREATE_PROBES

#include "probes/probes.h"

RT_PROBES_API __thread __attribute__((tls_model("initial-exec"))) unsigned rseqtrace_probes_nesting;
RT_PROBES_API uintptr_t rseqtrace_probes_rt_lo, rseqtrace_probes_rt_span;

/* 1 once the current enabling (in this process) has had its dump, or one
 * is running. Reset when the state dump is seen disabled and in a fork
 * child. */
static int dumped;

struct span {
	uintptr_t lo, hi;        /* PT_LOAD segments, link-time addresses */
	const ElfW(Phdr) *first; /* the lowest PT_LOAD */
};

static int load_span(const struct dl_phdr_info *info, struct span *s)
{
	s->lo = UINTPTR_MAX;
	s->hi = 0;
	s->first = NULL;
	for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_vaddr < s->lo) {
			s->lo = ph->p_vaddr;
			s->first = ph;
		}
		if (ph->p_vaddr + ph->p_memsz > s->hi)
			s->hi = ph->p_vaddr + ph->p_memsz;
	}
	return s->first != NULL;
}

/* The GNU build id of a mapped object, read from its PT_NOTE segments in
 * memory. Returns its length (0: none) and points *id at it. */
static size_t build_id(const struct dl_phdr_info *info, const uint8_t **id)
{
	for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		size_t al = ph->p_align == 8 ? 8 : 4;
		const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
		size_t left = ph->p_memsz;
		while (left >= sizeof(ElfW(Nhdr))) {
			const ElfW(Nhdr) *nh = (const void *)p;
			size_t name = (nh->n_namesz + al - 1) & ~(al - 1);
			size_t desc = (nh->n_descsz + al - 1) & ~(al - 1);
			if (name > left || desc > left - sizeof *nh - name ||
			    sizeof *nh + name + desc > left)
				break;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    memcmp(p + sizeof *nh, "GNU", 4) == 0 && nh->n_descsz > 0 &&
			    nh->n_descsz <= 64) {
				*id = (const uint8_t *)p + sizeof *nh + name;
				return nh->n_descsz;
			}
			p += sizeof *nh + name + desc;
			left -= sizeof *nh + name + desc;
		}
	}
	return 0;
}

struct dump_ctx {
	unsigned index;
	char exe[PATH_MAX];
	char path[PATH_MAX];
};

/* An absolute path for a loaded object's name: the main program is "" (use
 * /proc/self/exe), the vDSO has no '/' (no file: skipped), relative names
 * are joined to the current directory (best effort). NULL to skip. */
static const char *object_path(struct dump_ctx *c, const char *name, int first)
{
	if (!name || !*name)
		return first && c->exe[0] ? c->exe : NULL;
	if (!strchr(name, '/'))
		return NULL;
	if (name[0] == '/')
		return name;
	if (!getcwd(c->path, sizeof c->path))
		return name;
	size_t n = strlen(c->path);
	if (n + 1 + strlen(name) >= sizeof c->path)
		return name;
	c->path[n] = '/';
	strcpy(c->path + n + 1, name);
	return c->path;
}

static int dump_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct dump_ctx *c = arg;
	int first = c->index++ == 0;
	struct span s;
	const char *path = object_path(c, info->dlpi_name, first);
	if (!path || !load_span(info, &s))
		return 0;
	/* The ELF header is mapped at the start of a segment of file offset 0. */
	int is_pic = info->dlpi_addr != 0;
	if (s.first->p_offset == 0 && s.first->p_filesz >= sizeof(ElfW(Ehdr))) {
		const ElfW(Ehdr) *eh = (const void *)(info->dlpi_addr + s.lo);
		is_pic = eh->e_type == ET_DYN;
	}
	const uint8_t *id = NULL;
	size_t id_len = build_id(info, &id);
	uint64_t baddr = (uint64_t)(info->dlpi_addr + s.lo);
	rseqtrace(lttng_ust_statedump, bin_info, baddr, (uint64_t)(s.hi - s.lo), path,
		  (uint8_t)is_pic, (uint8_t)(id_len != 0), 0);
	if (id_len)
		rseqtrace(lttng_ust_statedump, build_id, baddr, id, id_len);
	return 0;
}

static void dump(void)
{
	/* Not on the stack (8 KiB, and this may run in any thread), not
	 * with malloc (this may run inside malloc). */
	struct dump_ctx *ctx = mmap(NULL, sizeof *ctx, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ctx == MAP_FAILED)
		return;
	/* Nothing this thread does during the dump is traced by a wrapper. */
	rseqtrace_probes_nesting++;
	ssize_t n = readlink("/proc/self/exe", ctx->exe, sizeof ctx->exe - 1);
	ctx->exe[n > 0 ? n : 0] = 0;
	rseqtrace(lttng_ust_statedump, start);
	dl_iterate_phdr(dump_object, ctx);
	rseqtrace(lttng_ust_statedump, end);
	rseqtrace_probes_nesting--;
	munmap(ctx, sizeof *ctx);
}

uint8_t rseqtrace_probes_statedump_poll(uint8_t enabled)
{
	(void)enabled; /* the caller's view; ours is authoritative */
	if (!rseqtrace_enabled(lttng_ust_statedump, start)) {
		__atomic_store_n(&dumped, 0, __ATOMIC_RELAXED);
		return 0;
	}
	int no = 0;
	if (__atomic_compare_exchange_n(&dumped, &no, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		dump();
	return 1;
}

/* ---- librseqtrace's own address range ---------------------------------- */

static int find_tracer(struct dl_phdr_info *info, size_t size, void *arg)
{
	uintptr_t target = (uintptr_t)arg;
	struct span s;
	if (!load_span(info, &s))
		return 0;
	uintptr_t lo = info->dlpi_addr + s.lo, hi = info->dlpi_addr + s.hi;
	if (target < lo || target >= hi)
		return 0;
	rseqtrace_probes_rt_lo = lo;
	__atomic_store_n(&rseqtrace_probes_rt_span, hi - lo, __ATOMIC_RELEASE);
	return 1;
}

static void after_fork_child(void)
{
	__atomic_store_n(&dumped, 0, __ATOMIC_RELAXED);
}

/* Defined after the provider's registration constructor (above, from
 * statedump_tp.h), so it runs after it: the events are registered, and
 * enabled if a session wants them. */
static void __attribute__((constructor)) probes_init(void)
{
	dl_iterate_phdr(find_tracer, (void *)(uintptr_t)&rseqtrace__read_lock);
	pthread_atfork(NULL, NULL, after_fork_child);
	rseqtrace_probes_statedump_poll(1);
}
