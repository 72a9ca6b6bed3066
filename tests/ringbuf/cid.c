/* SPDX-License-Identifier: MIT */
/*
 * A buffer set indexed by mm_cid, written by this thread:
 *
 *   rb_cid registered     rseq is registered and fills mm_cid: one record
 *                         commits into buffer mm_cid, a second buffer is
 *                         asked for by a writer that finds none (counted)
 *   rb_cid unregistered   run with GLIBC_TUNABLES=glibc.pthread.rseq=0: an
 *                         unregistered thread's mm_cid reads 0 and the
 *                         kernel aborts nothing, so the write must be
 *                         refused (RT_E_MODE) with nothing stored
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "oracle.h"

static struct rt_bufset make(uint32_t nr_cpus, uint32_t ready)
{
	struct rt_params p = { .subbuf_size = 4096, .num_subbuf = 2, .mode = RT_MODE_RSEQ,
			       .index = RT_INDEX_CID, .nr_cpus = nr_cpus, .nr_ready = ready };
	struct rt_bufset bs;
	char err[200] = "";
	int r = rt_bufset_create(&p, &bs, err, sizeof err);
	if (r != RT_OK)
		die("rt_bufset_create: %s (%s)", rt_strerror(r), err);
	return bs;
}

static int write_one(struct rt_bufset *bs)
{
	uint64_t rec[4] = { 1 };
	return rt_write(bs, rec, sizeof rec);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		die("usage: rb_cid registered|unregistered");
	if (!strcmp(argv[1], "unregistered")) {
		if (rt_rseq_usable())
			die("rseq is registered: run with GLIBC_TUNABLES=glibc.pthread.rseq=0");
		struct rt_bufset bs = make(2, 2);
		/* Packets open, so that the inlined attempt is the one made. */
		for (uint32_t c = 0; c < 2; c++)
			if (rt_packet_open(&bs, NULL, c, 0) != 0)
				die("rt_packet_open failed");
		int r = write_one(&bs);
		uint64_t off0 = bs.ctl[0].w.offset, off1 = bs.ctl[1].w.offset;
		printf("unregistered: rt_write %s, offsets %llu %llu\n", rt_strerror(r),
		       (unsigned long long)off0, (unsigned long long)off1);
		if (r != RT_E_MODE || off0 != RT_PACKET_HEADER_LEN || off1 != RT_PACKET_HEADER_LEN)
			die("an unregistered thread wrote an mm_cid set (%s)", rt_strerror(r));
		rt_bufset_unmap(&bs);
		return 0;
	}
	if (!rt_cid_usable())
		die("this kernel does not fill rseq mm_cid (or RSEQTRACE_CID=0)");
	uint32_t cid = *(volatile uint32_t *)((char *)rt_rseq_area() + RT_RSEQ_MM_CID);
	/* Exactly this thread's buffer: the set has cid + 1 buffers. */
	struct rt_bufset bs = make(cid + 2, cid + 1);
	int r = write_one(&bs);
	if (r != RT_OK || bs.ctl[cid].w.offset == 0)
		die("registered, mm_cid %u: rt_write %s, offset %llu", cid, rt_strerror(r),
		    (unsigned long long)bs.ctl[cid].w.offset);
	rt_bufset_unmap(&bs);
	/* No buffer for this thread's mm_cid yet: counted, and asked for. */
	if (cid == 0) {
		printf("registered: mm_cid 0, committed\n");
		return 0;
	}
	bs = make(cid + 1, cid);
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	bs.grow_fd = efd;
	r = write_one(&bs);
	uint64_t asked = 0;
	if (r != RT_E_NOBUF || bs.ctl[cid].w.lost_nobuf != 1 || bs.want != cid + 1 ||
	    read(efd, &asked, sizeof asked) != sizeof asked || asked != 1)
		die("registered, mm_cid %u, %u buffers: rt_write %s, lost_nobuf %llu, want %u",
		    cid, cid, rt_strerror(r), (unsigned long long)bs.ctl[cid].w.lost_nobuf, bs.want);
	printf("registered: mm_cid %u, committed; with no buffer: counted and asked for\n", cid);
	rt_bufset_unmap(&bs);
	return 0;
}
