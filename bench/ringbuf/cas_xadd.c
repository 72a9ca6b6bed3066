/* SPDX-License-Identifier: MIT */
/* Set-up and checks of the cmpxchg + xadd comparison scheme (cas_xadd.h). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cas_xadd.h"

int cas_set_create(struct cas_set *cs, uint32_t subbuf_size, uint32_t num_subbuf,
		   enum rt_clock clock, char *err, size_t errlen)
{
	struct rt_params p = {
		.subbuf_size = subbuf_size,
		.num_subbuf = num_subbuf,
		.mode = RT_MODE_LOCKED, /* never rseq-written; flush takes the lock */
		.clock = clock,
	};
	memset(cs, 0, sizeof *cs);
	int r = rt_bufset_create(&p, &cs->bs, err, errlen);
	if (r)
		return r;
	size_t n = (size_t)cs->bs.nr_cpus * num_subbuf;
	cs->cc = aligned_alloc(64, n * sizeof *cs->cc);
	if (!cs->cc) {
		rt_bufset_unmap(&cs->bs);
		snprintf(err, errlen, "out of memory for %zu commit counters", n);
		return RT_E_SYS;
	}
	memset(cs->cc, 0, n * sizeof *cs->cc);
	cs->num_subbuf = num_subbuf;
	return RT_OK;
}

void cas_set_destroy(struct cas_set *cs)
{
	free(cs->cc);
	rt_bufset_unmap(&cs->bs);
}

int cas_check_commits(const struct cas_set *cs, uint32_t cpu, char *err, size_t errlen)
{
	const struct rt_cpu_ctl *c = &cs->bs.ctl[cpu];
	uint64_t sb = cs->bs.subbuf_size;
	uint64_t off = __atomic_load_n(&c->w.offset, __ATOMIC_ACQUIRE);
	uint64_t in_sub = off & (sb - 1);
	for (uint64_t pos = c->r.consumed; pos < off - in_sub; pos += sb) {
		uint64_t n = __atomic_load_n(&cas_counter(cs, cpu, pos)->count, __ATOMIC_ACQUIRE);
		if (n != sb) {
			snprintf(err, errlen, "cpu %u: closed sub-buffer at %llu has %llu of %llu bytes committed",
				 cpu, (unsigned long long)pos, (unsigned long long)n,
				 (unsigned long long)sb);
			return -1;
		}
	}
	uint64_t n = __atomic_load_n(&cas_counter(cs, cpu, off)->count, __ATOMIC_ACQUIRE);
	if (in_sub && n != in_sub) {
		snprintf(err, errlen, "cpu %u: open sub-buffer has %llu of %llu bytes committed",
			 cpu, (unsigned long long)n, (unsigned long long)in_sub);
		return -1;
	}
	return 0;
}

void cas_release(struct cas_set *cs, uint32_t cpu)
{
	uint64_t consumed = cs->bs.ctl[cpu].r.consumed;
	__atomic_store_n(&cas_counter(cs, cpu, consumed)->count, 0, __ATOMIC_RELAXED);
}
