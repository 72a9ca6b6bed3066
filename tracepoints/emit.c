/* SPDX-License-Identifier: MIT */
/*
 * The enabled path after the probe: the filters, run on the fields'
 * values before anything is staged (rseqtrace__filter; the probe checked
 * the list's quick filter itself, rseqtrace/types.h), then, for
 * every active channel the event is attached to that records the hit, the
 * event header and the channel's contexts put in front of the payload the
 * probe staged and the record written with rt_write(). Runs inside the
 * call site's RCU read-side section, in any thread or signal handler: no
 * locks, no allocation, no system call after a thread's first event
 * (contexts are cached per thread) but those a filter's $ctx ids need.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rseqtrace/tracepoint.h>

#include "tracepoints/channel.h"
#include "eventdesc/record.h"
#include "filter/program.h"

/* The largest header room, contexts and padding (record.h) stay within
 * the room the probe leaves in front of its 8-aligned payload. */
_Static_assert(RSEQTRACE__HDR_RESERVE >= ((16 + 20 * 8 + 9 * 4 + RT_PROCNAME_LEN + 7) & ~7),
	       "header reserve");
_Static_assert(RSEQTRACE__HDR_RESERVE % 8 == 0, "payload stays 8-aligned");
_Static_assert(RT_RECORD_HDR_ROOM == RT_EH_ROOM, "record.h and packet.h agree");

static int32_t cached_pid;
static __thread __attribute__((tls_model("initial-exec"))) int32_t cached_tid;
static __thread __attribute__((tls_model("initial-exec"))) char cached_comm[RT_PROCNAME_LEN + 1];

int32_t rt_vpid(void)
{
	int32_t p = __atomic_load_n(&cached_pid, __ATOMIC_RELAXED);
	if (!p) {
		p = (int32_t)getpid();
		__atomic_store_n(&cached_pid, p, __ATOMIC_RELAXED);
	}
	return p;
}

static int32_t vtid(void)
{
	if (!cached_tid)
		cached_tid = (int32_t)syscall(SYS_gettid);
	return cached_tid;
}

/* The thread's name when it first traced (prctl is async-signal-safe). */
static const char *procname(void)
{
	if (!cached_comm[RT_PROCNAME_LEN]) {
		char name[RT_PROCNAME_LEN + 1] = { 0 };
		prctl(PR_GET_NAME, name);
		memcpy(cached_comm, name, RT_PROCNAME_LEN);
		cached_comm[RT_PROCNAME_LEN] = 1;
	}
	return cached_comm;
}

void rt_emit_after_fork_child(void)
{
	__atomic_store_n(&cached_pid, (int32_t)getpid(), __ATOMIC_RELAXED);
	cached_tid = 0;
	rt_perf_after_fork_child();
}

/* The inode of the calling thread's namespace i (as `lsns` shows it), 0
 * if /proc is not there. Read once per thread: a thread that unshare()s or
 * setns()es after its first event keeps recording its first ones
 * (LTTng-UST resets its cache in wrappers of those calls; we have none). */
static uint64_t ns_inode(unsigned i)
{
	/* Whole paths: no snprintf in what may be a signal handler. */
	static const char *const paths[] = {
		"/proc/thread-self/ns/cgroup", "/proc/thread-self/ns/ipc", "/proc/thread-self/ns/mnt",
		"/proc/thread-self/ns/net", "/proc/thread-self/ns/pid", "/proc/thread-self/ns/time",
		"/proc/thread-self/ns/user", "/proc/thread-self/ns/uts",
	};
	static __thread __attribute__((tls_model("initial-exec"))) uint64_t cache[8];
	static __thread __attribute__((tls_model("initial-exec"))) uint8_t cached;
	if (!(cached & (1u << i))) {
		struct stat st;
		cache[i] = stat(paths[i], &st) == 0 ? (uint64_t)st.st_ino : 0;
		cached |= (uint8_t)(1u << i);
	}
	return cache[i];
}

/* A context's value for this event. Ids are read at every event (one
 * system call for the three of a kind): set*id() can change them at any
 * time and a stale id would be a wrong trace. */
static void context_value(uint32_t bit, char *c, const void *ip, uint32_t ids[2][3], int have[2])
{
	if (bit & (RT_CTX_UIDS | RT_CTX_GIDS)) {
		int k = (bit & RT_CTX_GIDS) != 0;
		if (!have[k]) {
			if (k)
				syscall(SYS_getresgid, &ids[1][0], &ids[1][1], &ids[1][2]);
			else
				syscall(SYS_getresuid, &ids[0][0], &ids[0][1], &ids[0][2]);
			have[k] = 1;
		}
		unsigned j = (bit & (RT_CTX_VUID | RT_CTX_VGID)) ? 0 :
			     (bit & (RT_CTX_VEUID | RT_CTX_VEGID)) ? 1 : 2;
		memcpy(c, &ids[k][j], 4);
		return;
	}
	if (bit & RT_CTX_PERF) {
		uint64_t v = rt_perf_value((unsigned)__builtin_ctz(bit >> RT_CTX_PERF_FIRST));
		memcpy(c, &v, 8);
		return;
	}
	if (bit & RT_CTX_NS) {
		uint64_t v = ns_inode((unsigned)__builtin_ctz(bit / RT_CTX_CGROUP_NS));
		memcpy(c, &v, 8);
		return;
	}
	uint64_t v8;
	int32_t v4;
	switch (bit) {
	case RT_CTX_IP: v8 = (uint64_t)(uintptr_t)ip; memcpy(c, &v8, 8); break;
	case RT_CTX_PTHREAD_ID: v8 = (uint64_t)pthread_self(); memcpy(c, &v8, 8); break;
	case RT_CTX_VPID: v4 = rt_vpid(); memcpy(c, &v4, 4); break;
	case RT_CTX_VTID: v4 = vtid(); memcpy(c, &v4, 4); break;
	case RT_CTX_CPU_ID: v4 = (int32_t)rt_current_cpu(); memcpy(c, &v4, 4); break;
	case RT_CTX_PROCNAME: memcpy(c, procname(), RT_PROCNAME_LEN); break;
	}
}

/* Any contexts, in the order of common/context.h (eventdesc/record.h),
 * then zeros up to the payload at hdr_len. cpu_id is the CPU this thread
 * runs on now; rt_write may record on another if the thread migrates in
 * between. */
static void fill_every_context(const struct rt_channel *ch, char *rec, const void *ip,
			       uint32_t hdr_len)
{
	char *c = rec + RT_EH_ROOM;
	if (rt_ctx_start(ch->contexts) > RT_EH_ROOM) {
		memset(c, 0, 4); /* up to 16: the first context is 8-aligned */
		c += 4;
	}
	uint32_t ids[2][3];
	int have[2] = { 0, 0 };
	for (unsigned i = 0; i < RT_NR_CONTEXTS; i++) {
		const struct rt_context *x = &rt_contexts[i];
		if (!(ch->contexts & x->bit))
			continue;
		context_value(x->bit, c, ip, ids, have);
		c += x->size * x->count;
	}
	memset(c, 0, (size_t)(rec + hdr_len - c));
}

#define CLASSIC_CONTEXTS (RSEQTRACE_CTX_IP | RSEQTRACE_CTX_VPID | RSEQTRACE_CTX_VTID | \
			  RSEQTRACE_CTX_PROCNAME)

/* The default contexts and ip straight, the others through the table: a
 * channel pays for the contexts it records only. */
static void fill_context(const struct rt_channel *ch, char *rec, const void *ip, uint32_t hdr_len)
{
	if (__builtin_expect(ch->contexts & ~CLASSIC_CONTEXTS, 0)) {
		fill_every_context(ch, rec, ip, hdr_len);
		return;
	}
	char *c = rec + RT_EH_ROOM;
	if (ch->contexts & RSEQTRACE_CTX_IP) {
		uint64_t v = (uint64_t)(uintptr_t)ip;
		memset(c, 0, 4); /* up to 16: the ip is 8-aligned */
		memcpy(c + 4, &v, 8);
		c += 12;
	}
	if (ch->contexts & RSEQTRACE_CTX_VPID) {
		int32_t v = rt_vpid();
		memcpy(c, &v, 4);
		c += 4;
	}
	if (ch->contexts & RSEQTRACE_CTX_VTID) {
		int32_t v = vtid();
		memcpy(c, &v, 4);
		c += 4;
	}
	if (ch->contexts & RSEQTRACE_CTX_PROCNAME) {
		memcpy(c, procname(), RT_PROCNAME_LEN);
		c += RT_PROCNAME_LEN;
	}
	memset(c, 0, (size_t)(rec + hdr_len - c));
}

/* The attachment list behind the probe's tagged pointer (ev->rt). */
static const struct rt_ev_state *attachments(const void *rt)
{
	return (const struct rt_ev_state *)((uintptr_t)rt & ~(uintptr_t)RT_EV_FILTERED);
}

/* The $ctx fields the programs read (ids cost a system call each kind);
 * the others stay unset. */
static __attribute__((noinline)) void fill_ctx(struct rt_fp_env *env, uint32_t want)
{
	env->vpid = rt_vpid();
	env->vtid = vtid();
	env->procname = procname();
	if (want & RT_FP_CTX_IDS(0))
		syscall(SYS_getresuid, &env->ids[0][0], &env->ids[0][1], &env->ids[0][2]);
	if (want & RT_FP_CTX_IDS(1))
		syscall(SYS_getresgid, &env->ids[1][0], &env->ids[1][1], &env->ids[1][2]);
	for (unsigned i = 0; want & RT_FP_CTX_NS && i < 8; i++)
		if (want & RT_FP_CTX_BIT(RT_FP_CTX_CGROUP_NS + i))
			env->ns[i] = ns_inode(i);
}

/* Whether a filter accepts the hit's arguments: any of its programs.
 * Nothing is zeroed that no program reads. */
static inline int accepted(const struct rt_fset *f, const void *ip, union rseqtrace_arg *args)
{
	struct rt_fp_env env;
	env.args = args;
	env.ip = ip;
	if (__builtin_expect(f->reads_ctx != 0, 0))
		fill_ctx(&env, f->reads_ctx);
	for (uint32_t i = 0; i < f->nr; i++)
		if (rt_fp_run(f->p[i], &env))
			return 1;
	return 0;
}

/* Whether attachment i records this hit: its channel is active and its
 * filter, if any, accepts the arguments. `known`: the index the probe's
 * rseqtrace__filter found accepting (its filter is not run again). */
static inline __attribute__((always_inline)) int records(const struct rt_attach *a, uint32_t i,
							 uint32_t known, const void *ip,
							 union rseqtrace_arg *args)
{
	if (!__atomic_load_n(&a->chan->active, __ATOMIC_RELAXED))
		return 0;
	if (!a->filter || i == known)
		return 1;
	if (a->quick.set)
		return rseqtrace__quick_holds(&a->quick, args);
	return accepted(a->filter, ip, args);
}

static __attribute__((noinline)) uint32_t filter_from(const struct rt_ev_state *st, uint32_t i,
						      const void *ip, union rseqtrace_arg *args)
{
	for (; i < st->nr; i++)
		if (records(&st->a[i], i, UINT32_MAX, ip, args))
			return i + 1;
	return 0;
}

/* A leaf while the filters are quick ones (a field against a constant):
 * no frame, no call; the others, and a channel without a filter, in
 * filter_from. */
uint32_t rseqtrace__filter(const void *rt, const void *ip, union rseqtrace_arg *args)
{
	const struct rt_ev_state *st = attachments(rt);
	for (const struct rt_attach *a = st->a, *end = a + st->nr; a < end; a++) {
		if (!__atomic_load_n(&a->chan->active, __ATOMIC_RELAXED))
			continue;
		if (!a->quick.set)
			return filter_from(st, (uint32_t)(a - st->a), ip, args);
		if (rseqtrace__quick_holds(&a->quick, args))
			return (uint32_t)(a - st->a) + 1;
	}
	return 0;
}

/* first: rseqtrace__filter's answer (1 + the index of the first channel
 * that records the hit), or 0 when no attachment has a filter. */
void rseqtrace__emit(const void *rt, uint32_t first, const void *ip,
		     union rseqtrace_arg *args, char *payload, size_t len)
{
	const struct rt_ev_state *st = attachments(rt);
	/* Zero the padding after the last field with one 8-byte store into
	 * the staging buffer's slack (RSEQTRACE__SLACK): a store only, since
	 * loading the word the probe has just written byte by byte would
	 * stall store forwarding (~3 ns an event). */
	uint64_t zero = 0;
	memcpy(payload + len, &zero, 8);
	uint32_t known = first - 1; /* UINT32_MAX when first is 0 */
	for (uint32_t i = first ? known : 0; i < st->nr; i++) {
		const struct rt_attach *a = &st->a[i];
		if (!records(a, i, known, ip, args))
			continue;
		struct rt_channel *ch = a->chan;
		uint32_t hdr_len = a->hdr_len;
		char *rec = payload - hdr_len;
		((struct rt_event_header *)rec)->word = rt_eh_extended(a->id);
		fill_context(ch, rec, ip, hdr_len);
		int r = rt_write(&ch->bs, rec, (hdr_len + (uint32_t)len + 7) & ~7u);
		if (__builtin_expect(r == RT_E_MODE, 0)) {
			/* Counted where the trace sees it (events_discarded)
			 * and per channel, so it is never silent. */
			rt_drop(&ch->bs, rt_current_cpu() % ch->bs.nr_cpus, RT_E_MODE);
			__atomic_fetch_add(&ch->refused, 1, __ATOMIC_RELAXED);
		}
	}
}

/* Counted in the channels that would record the hit only: one whose
 * filter rejects it loses nothing. */
void rseqtrace__drop_big(const void *rt, uint32_t first, const void *ip,
			 union rseqtrace_arg *args)
{
	const struct rt_ev_state *st = attachments(rt);
	uint32_t known = first - 1;
	for (uint32_t i = first ? known : 0; i < st->nr; i++) {
		const struct rt_attach *a = &st->a[i];
		if (!records(a, i, known, ip, args))
			continue;
		struct rt_channel *ch = a->chan;
		rt_drop(&ch->bs, rt_current_cpu() % ch->bs.nr_cpus, RT_E_BIG);
		__atomic_fetch_add(&ch->too_big, 1, __ATOMIC_RELAXED);
	}
}
