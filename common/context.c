/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "common/context.h"

const struct rt_context rt_contexts[RT_NR_CONTEXTS] = {
	{ "ip", RT_CTX_IP, 8, 0, 16, 0, 1 },
	{ "vpid", RT_CTX_VPID, 4, 1, 10, 0, 1 },
	{ "vtid", RT_CTX_VTID, 4, 1, 10, 0, 1 },
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
