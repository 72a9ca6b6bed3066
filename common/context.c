/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/context.h"

const struct rt_context rt_contexts[RT_NR_CONTEXTS] = {
	{ "ip", RT_CTX_IP, 8, 0, 16, 0, 1, 0, 0 },
	{ "pthread_id", RT_CTX_PTHREAD_ID, 8, 0, 10, 0, 1, 0, 0 },   /* unsigned long */
	{ "cgroup_ns", RT_CTX_CGROUP_NS, 8, 0, 10, 0, 1, 0, 0 },     /* ino_t */
	{ "ipc_ns", RT_CTX_IPC_NS, 8, 0, 10, 0, 1, 0, 0 },
	{ "mnt_ns", RT_CTX_MNT_NS, 8, 0, 10, 0, 1, 0, 0 },
	{ "net_ns", RT_CTX_NET_NS, 8, 0, 10, 0, 1, 0, 0 },
	{ "pid_ns", RT_CTX_PID_NS, 8, 0, 10, 0, 1, 0, 0 },
	{ "time_ns", RT_CTX_TIME_NS, 8, 0, 10, 0, 1, 0, 0 },
	{ "user_ns", RT_CTX_USER_NS, 8, 0, 10, 0, 1, 0, 0 },
	{ "uts_ns", RT_CTX_UTS_NS, 8, 0, 10, 0, 1, 0, 0 },
	/* uint64: PERF_TYPE_HARDWARE 0 / PERF_TYPE_SOFTWARE 1, PERF_COUNT_* */
	{ "perf:thread:cpu-cycles", 1u << 20, 8, 0, 10, 0, 1, 0, 0 },
	{ "perf:thread:instructions", 1u << 21, 8, 0, 10, 0, 1, 0, 1 },
	{ "perf:thread:cache-references", 1u << 22, 8, 0, 10, 0, 1, 0, 2 },
	{ "perf:thread:cache-misses", 1u << 23, 8, 0, 10, 0, 1, 0, 3 },
	{ "perf:thread:branch-instructions", 1u << 24, 8, 0, 10, 0, 1, 0, 4 },
	{ "perf:thread:branch-misses", 1u << 25, 8, 0, 10, 0, 1, 0, 5 },
	{ "perf:thread:bus-cycles", 1u << 26, 8, 0, 10, 0, 1, 0, 6 },
	{ "perf:thread:task-clock", 1u << 27, 8, 0, 10, 0, 1, 1, 1 },
	{ "perf:thread:page-fault", 1u << 28, 8, 0, 10, 0, 1, 1, 2 },
	{ "perf:thread:context-switches", 1u << 29, 8, 0, 10, 0, 1, 1, 3 },
	{ "vpid", RT_CTX_VPID, 4, 1, 10, 0, 1, 0, 0 },               /* pid_t */
	{ "vtid", RT_CTX_VTID, 4, 1, 10, 0, 1, 0, 0 },
	{ "cpu_id", RT_CTX_CPU_ID, 4, 1, 10, 0, 1, 0, 0 },           /* int */
	{ "vuid", RT_CTX_VUID, 4, 0, 10, 0, 1, 0, 0 },               /* uid_t */
	{ "veuid", RT_CTX_VEUID, 4, 0, 10, 0, 1, 0, 0 },
	{ "vsuid", RT_CTX_VSUID, 4, 0, 10, 0, 1, 0, 0 },
	{ "vgid", RT_CTX_VGID, 4, 0, 10, 0, 1, 0, 0 },               /* gid_t */
	{ "vegid", RT_CTX_VEGID, 4, 0, 10, 0, 1, 0, 0 },
	{ "vsgid", RT_CTX_VSGID, 4, 0, 10, 0, 1, 0, 0 },
	{ "procname", RT_CTX_PROCNAME, 1, 0, 10, 1, RT_PROCNAME_LEN, 0, 0 },
};

uint32_t rt_context_bit(const char *name, size_t n)
{
	for (unsigned i = 0; i < RT_NR_CONTEXTS; i++)
		if (strlen(rt_contexts[i].name) == n && strncmp(name, rt_contexts[i].name, n) == 0)
			return rt_contexts[i].bit;
	return 0;
}

uint32_t rt_ctx_len(uint32_t contexts)
{
	uint32_t len = 0;
	for (unsigned i = 0; i < RT_NR_CONTEXTS; i++)
		if (contexts & rt_contexts[i].bit)
			len += rt_contexts[i].size * rt_contexts[i].count;
	return len;
}

const char *rt_context_field(const struct rt_context *x, char out[64])
{
	size_t i = 0;
	for (; x->name[i] && i < 63; i++)
		out[i] = x->name[i] == ':' || x->name[i] == '-' ? '_' : x->name[i];
	out[i] = 0;
	return out;
}

int rt_perf_open(const struct rt_context *x)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof a);
	a.size = sizeof a;
	a.type = x->perf_type;
	a.config = x->perf_config;
	/* User space only: what perf_event_paranoid 2 (the usual default)
	 * allows a process on its own threads. */
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	long fd = syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : (int)fd;
}
