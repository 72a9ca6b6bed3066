/* SPDX-License-Identifier: MIT */
/*
 * Event contexts: the fields a channel records after every event header.
 * The bits are the protocol's and the public RSEQTRACE_CTX_* values
 * (include/rseqtrace/types.h); the table is in record order (see
 * eventdesc/record.h): the 8-byte ones first, then the 4-byte ones, then
 * procname, so that every context is naturally aligned with no padding
 * between them. Names, sizes, signedness and bases are LTTng-UST 2.13's.
 */
#ifndef RT_COMMON_CONTEXT_H
#define RT_COMMON_CONTEXT_H

#include <stddef.h>
#include <stdint.h>

#define RT_CTX_VPID 1u
#define RT_CTX_VTID 2u
#define RT_CTX_PROCNAME 4u
#define RT_CTX_IP 8u
#define RT_CTX_CPU_ID (1u << 4)
#define RT_CTX_PTHREAD_ID (1u << 5)
#define RT_CTX_VUID (1u << 6)
#define RT_CTX_VEUID (1u << 7)
#define RT_CTX_VSUID (1u << 8)
#define RT_CTX_VGID (1u << 9)
#define RT_CTX_VEGID (1u << 10)
#define RT_CTX_VSGID (1u << 11)
#define RT_CTX_CGROUP_NS (1u << 12)
#define RT_CTX_IPC_NS (1u << 13)
#define RT_CTX_MNT_NS (1u << 14)
#define RT_CTX_NET_NS (1u << 15)
#define RT_CTX_PID_NS (1u << 16)
#define RT_CTX_TIME_NS (1u << 17)
#define RT_CTX_USER_NS (1u << 18)
#define RT_CTX_UTS_NS (1u << 19)
/* perf:thread:* counters (perf_event_open per thread, LTTng-UST's names). */
#define RT_CTX_PERF_FIRST 20u
#define RT_NR_PERF 10u
#define RT_CTX_PERF (((1u << RT_NR_PERF) - 1) << RT_CTX_PERF_FIRST)
#define RT_CTX_ALL ((1u << (RT_CTX_PERF_FIRST + RT_NR_PERF)) - 1)
/* The contexts read with getresuid / getresgid on every event. */
#define RT_CTX_UIDS (RT_CTX_VUID | RT_CTX_VEUID | RT_CTX_VSUID)
#define RT_CTX_GIDS (RT_CTX_VGID | RT_CTX_VEGID | RT_CTX_VSGID)
#define RT_CTX_NS (RT_CTX_CGROUP_NS | RT_CTX_IPC_NS | RT_CTX_MNT_NS | RT_CTX_NET_NS | \
		   RT_CTX_PID_NS | RT_CTX_TIME_NS | RT_CTX_USER_NS | RT_CTX_UTS_NS)
/* The 8-byte contexts, first in a record (8-aligned: eventdesc/record.h). */
#define RT_CTX_WIDE (RT_CTX_IP | RT_CTX_PTHREAD_ID | RT_CTX_NS | RT_CTX_PERF)

#define RT_PROCNAME_LEN 16u /* the procname context: the thread's comm */

struct rt_context {
	const char *name;   /* as lttng add-context -t names it */
	uint32_t bit;
	/* The field, as CTF describes it: count integers of size bytes. */
	uint8_t size, is_signed, base, text;
	uint32_t count;
	/* perf:thread:* only: perf_event_attr's type and config. */
	uint32_t perf_type;
	uint64_t perf_config;
};

#define RT_NR_CONTEXTS (20u + RT_NR_PERF)
/* For messages: every name rt_context_bit knows. */
#define RT_CONTEXT_NAMES "ip, vpid, vtid, procname, pthread_id, cpu_id, vuid, veuid, vsuid, " \
	"vgid, vegid, vsgid, cgroup_ns, ipc_ns, mnt_ns, net_ns, pid_ns, time_ns, user_ns, uts_ns, " \
	"perf:thread:{cpu-cycles,instructions,cache-references,cache-misses," \
	"branch-instructions,branch-misses,bus-cycles,task-clock,page-fault,context-switches}"
extern const struct rt_context rt_contexts[RT_NR_CONTEXTS];

/* The bit of the context named by the n bytes at name, 0 if none. */
uint32_t rt_context_bit(const char *name, size_t n);
/* Bytes of the contexts in `contexts` in a record. */
uint32_t rt_ctx_len(uint32_t contexts);
/* Its CTF field name without the leading '_' (LTTng-UST's: perf:thread:
 * task-clock is perf_thread_task_clock). */
const char *rt_context_field(const struct rt_context *x, char out[64]);
/* A perf counter of the calling thread, user space only: its descriptor,
 * or -errno (perf_event_paranoid, no PMU, seccomp). */
int rt_perf_open(const struct rt_context *x);

#endif
