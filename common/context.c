/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "common/context.h"

const struct rt_context rt_contexts[RT_NR_CONTEXTS] = {
	{ "ip", RT_CTX_IP, 8, 0, 16, 0, 1 },
	{ "pthread_id", RT_CTX_PTHREAD_ID, 8, 0, 10, 0, 1 },   /* unsigned long */
	{ "cgroup_ns", RT_CTX_CGROUP_NS, 8, 0, 10, 0, 1 },     /* ino_t */
	{ "ipc_ns", RT_CTX_IPC_NS, 8, 0, 10, 0, 1 },
	{ "mnt_ns", RT_CTX_MNT_NS, 8, 0, 10, 0, 1 },
	{ "net_ns", RT_CTX_NET_NS, 8, 0, 10, 0, 1 },
	{ "pid_ns", RT_CTX_PID_NS, 8, 0, 10, 0, 1 },
	{ "time_ns", RT_CTX_TIME_NS, 8, 0, 10, 0, 1 },
	{ "user_ns", RT_CTX_USER_NS, 8, 0, 10, 0, 1 },
	{ "uts_ns", RT_CTX_UTS_NS, 8, 0, 10, 0, 1 },
	{ "vpid", RT_CTX_VPID, 4, 1, 10, 0, 1 },               /* pid_t */
	{ "vtid", RT_CTX_VTID, 4, 1, 10, 0, 1 },
	{ "cpu_id", RT_CTX_CPU_ID, 4, 1, 10, 0, 1 },           /* int */
	{ "vuid", RT_CTX_VUID, 4, 0, 10, 0, 1 },               /* uid_t */
	{ "veuid", RT_CTX_VEUID, 4, 0, 10, 0, 1 },
	{ "vsuid", RT_CTX_VSUID, 4, 0, 10, 0, 1 },
	{ "vgid", RT_CTX_VGID, 4, 0, 10, 0, 1 },               /* gid_t */
	{ "vegid", RT_CTX_VEGID, 4, 0, 10, 0, 1 },
	{ "vsgid", RT_CTX_VSGID, 4, 0, 10, 0, 1 },
	{ "procname", RT_CTX_PROCNAME, 1, 0, 10, 1, RT_PROCNAME_LEN },
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
