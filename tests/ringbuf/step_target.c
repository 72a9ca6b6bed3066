/* SPDX-License-Identifier: MIT */
/*
 * The program the single-step test runs under gdb (step.py). gdb stops at
 * traced_write() and single-steps through the rt_write inside it; every
 * step preempts the restartable sequence, so the write must end by itself
 * (bounded retries) and be either committed or dropped and counted. This
 * program checks which, against the buffer's counters and contents.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "oracle.h"

static struct rt_bufset bs;

__attribute__((noinline)) int traced_write(void *rec, uint32_t len)
{
	int r = rt_write(&bs, rec, len);
	__asm__ volatile("" ::: "memory"); /* keep the call a call */
	return r;
}

static uint32_t cpu_of_records(struct oracle *o, uint32_t *records)
{
	*records = 0;
	for (uint32_t cpu = 0; cpu < bs.nr_cpus; cpu++) {
		oracle_drain(o, cpu);
		rt_flush(&bs, cpu);
		oracle_drain(o, cpu);
		*records += (uint32_t)o->cpu[cpu].records;
	}
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	int tsc = argc > 1 && !strcmp(argv[1], "tsc");
	char err[256] = "";
	struct rt_params p = {
		.subbuf_size = 4096, .num_subbuf = 4, .mode = RT_MODE_AUTO,
		.clock = tsc ? RT_CLOCK_TSC : RT_CLOCK_MONOTONIC,
	};
	int r = rt_bufset_create(&p, &bs, err, sizeof err);
	if (r != RT_OK)
		die("rt_bufset_create: %s (%s)", rt_strerror(r), err);
	if (bs.mode != RT_MODE_RSEQ)
		die("the set is not in rseq mode: this test single-steps the rseq write");

	uint64_t rec[8];
	/* A first write opens a packet, so the stepped one takes the fast path. */
	rec_build(rec, 0, 0, 48);
	if ((r = rt_write(&bs, rec, 48)) != RT_OK)
		die("first write: %s", rt_strerror(r));

	struct rt_cpu_stats before[64], after;
	uint32_t n = bs.nr_cpus < 64 ? bs.nr_cpus : 64;
	for (uint32_t c = 0; c < n; c++)
		rt_cpu_stats(&bs, c, &before[c]);
	rec_build(rec, 0, 1, 56);
	r = traced_write(rec, 56);
	printf("stepped write returned %d (%s)\n", r, rt_strerror(r));

	/* The write may have moved to another CPU (between steps, or after
	 * them) and opened a packet there first. */
	uint64_t moved = 0, aborts = 0, other_lost = 0, opened = 0;
	for (uint32_t c = 0; c < n; c++) {
		rt_cpu_stats(&bs, c, &after);
		moved += after.offset - before[c].offset;
		opened += before[c].offset == 0 && after.offset != 0;
		aborts += after.lost_abort - before[c].lost_abort;
		other_lost += after.lost_full - before[c].lost_full + after.lost_big - before[c].lost_big;
	}
	struct oracle o;
	if (oracle_init(&o, &bs, 1, 2) != 0)
		die("out of memory");
	uint32_t records;
	cpu_of_records(&o, &records);
	int seen = seqmap_get(&o.seen, 0, 1);
	printf("offsets moved %llu bytes (%llu packets opened), lost_abort +%llu, records read %u, "
	       "stepped record read %d\n",
	       (unsigned long long)moved, (unsigned long long)opened, (unsigned long long)aborts,
	       records, seen);
	moved -= opened * RT_PACKET_HEADER_LEN;
	if (o.errors)
		die("the buffer does not check: %s", o.first_error);
	if (other_lost)
		die("unexpected full/big losses");
	if (r == RT_OK && moved == 56 && aborts == 0 && seen && records == 2) {
		printf("RESULT: committed\n");
		return 0;
	}
	if (r == RT_E_ABORT && moved == 0 && aborts == 1 && !seen && records == 1) {
		printf("RESULT: dropped and counted\n");
		return 0;
	}
	die("inconsistent outcome");
}
