/* SPDX-License-Identifier: MIT */
/*
 * Instantiates the inline write path, rt_write(), so that its restartable
 * sequence and tables are emitted; the ABI tests check them in the object
 * (aarch64, cross-compiled) and in a linked executable (both architectures).
 */
#include "ringbuf/ringbuf.h"

int rt_abi_write(struct rt_bufset *bs, void *rec, uint32_t len)
{
	return rt_write(bs, rec, len);
}

/* Writes one record to a fresh buffer set: 0 when it was committed. */
int main(void)
{
	struct rt_params p = { .subbuf_size = 4096, .num_subbuf = 2 };
	struct rt_bufset bs;
	if (rt_bufset_create(&p, &bs, NULL, 0) != RT_OK)
		return 2;
	struct {
		struct rt_event_header h;
		uint32_t pad;
	} rec = { .h = { .word = rt_eh_extended(1) } };
	int r = rt_abi_write(&bs, &rec, sizeof rec);
	rt_bufset_unmap(&bs);
	return r == RT_OK ? 0 : 1;
}
