/* SPDX-License-Identifier: MIT */
/*
 * Oracle test of overwrite mode and snapshots (invariant I8, layout.h).
 *
 * T writer threads (default: one per CPU we may use), thread i pinned to online CPU i % ncpu (so each stream
 * lives in one buffer), each write N self-checking records (oracle.h) into
 * an overwrite-mode set that no consumer drains, while the main thread takes
 * snapshots in a loop: per buffer, rt_snapshot_range, then every sub-buffer
 * copied oldest first with rt_snapshot_take; the copies that failed the
 * I8 check, and every one before the last that failed, are left out, so a
 * snapshot is a run of consecutive packets. Each snapshot is checked:
 *
 *   - every record intact (checksum, payload), none twice, packets
 *     consecutive, timestamps never go back;
 *   - per stream (CPU-indexed sets): the records form a gap-free run of
 *     sequence numbers, except for the records the writer saw dropped,
 *     that ends at or after the last record its writer had committed
 *     before the buffer's range was taken (when it is the CPU's only
 *     writer and no copy of that buffer failed), and no later than what it had
 *     committed after the copy;
 *
 * and, after the writers are joined, a last snapshot in which no copy may
 * fail: per buffer, overwritten == the packets before the first one kept
 * (nothing was consumed, every earlier packet was reused, counted once),
 * and each stream's run ends with its last record; then once more with
 * every open packet closed (the offset on the sub-buffer grid: the packet
 * a lap behind is given up, though not reused yet). Also --mode locked
 * (the same rule under the writers' lock) and --index cid (mm_cid
 * buffers: a thread's buffer may change, so the per-stream run is not
 * checked there, only the records and the packets).
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oracle.h"

static struct rt_bufset bs;
static uint32_t nr_threads, nr_online;
static uint64_t nr_records = 200000;
static int index_cid;

struct writer {
	pthread_t thread;
	uint32_t id;
	uint64_t done;     /* records finished (stored release, read acquire) */
	uint64_t dropped;  /* statuses other than RT_OK */
	uint8_t *drop_map; /* per seq: 1 if rt_write did not return RT_OK */
} __attribute__((aligned(128)));
static struct writer *writers;

static uint32_t rec_len(uint64_t seq)
{
	return REC_FIXED + 8 * (uint32_t)(seq % 7);
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	cpu_set_t one;
	CPU_ZERO(&one);
	CPU_SET(w->id % nr_online, &one);
	if (!index_cid && sched_setaffinity(0, sizeof one, &one) != 0)
		die("sched_setaffinity: cannot pin writer %u", w->id);
	uint64_t buf[(REC_FIXED + 64) / 8];
	for (uint64_t seq = 0; seq < nr_records; seq++) {
		rec_build(buf, w->id, seq, rec_len(seq));
		if (rt_write(&bs, buf, rec_len(seq)) != RT_OK) {
			__atomic_store_n(&w->drop_map[seq], 1, __ATOMIC_RELAXED);
			w->dropped++;
		}
		__atomic_store_n(&w->done, seq + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* One buffer's snapshot: copies and checks. Returns the copies that failed. */
struct snap_buf {
	char *copy;          /* buf_size bytes: the sub-buffers copied */
	int32_t *len;        /* per sub-buffer: records' bytes, or <0 (failed) */
};

static uint64_t snapshot_cpu(struct oracle *o, struct snap_buf *sb, uint32_t cpu, int final)
{
	uint64_t before[nr_threads];
	for (uint32_t i = 0; i < nr_threads; i++)
		before[i] = __atomic_load_n(&writers[i].done, __ATOMIC_ACQUIRE);
	uint64_t first, off, nsub = bs.buf_size / bs.subbuf_size, failed = 0;
	rt_snapshot_range(&bs, cpu, &first, &off);
	uint64_t n = (off - first) / bs.subbuf_size + 1, keep = 0;
	if (n > nsub)
		oracle_error(o, "cpu %u: range [%llu, %llu) more than a buffer", cpu,
			     (unsigned long long)first, (unsigned long long)off);
	for (uint64_t i = 0; i < n && i < nsub; i++) {
		char *dst = sb->copy + i * bs.subbuf_size;
		sb->len[i] = rt_snapshot_take(&bs, cpu, first + i * bs.subbuf_size, off, dst);
		if (sb->len[i] < 0) {
			if (sb->len[i] != RT_E_ABORT)
				oracle_error(o, "cpu %u: rt_snapshot_take: %s", cpu, rt_strerror(sb->len[i]));
			failed++;
			keep = i + 1; /* a run of consecutive packets: after the last failure */
		}
	}
	if (final && failed)
		oracle_error(o, "cpu %u: %llu copies failed with no writer running", cpu,
			     (unsigned long long)failed);
	uint64_t after[nr_threads];
	for (uint32_t i = 0; i < nr_threads; i++)
		after[i] = __atomic_load_n(&writers[i].done, __ATOMIC_ACQUIRE);

	o->cpu[cpu].next_pkt_seq = (first / bs.subbuf_size) + keep;
	for (uint64_t i = keep; i < n && i < nsub; i++) {
		struct rt_packet *pk = (void *)(sb->copy + i * bs.subbuf_size);
		uint32_t len = RT_PACKET_HEADER_LEN + (uint32_t)sb->len[i];
		if (first + (i + 1) * bs.subbuf_size > off) {
			/* The open packet: no closing fields yet, as the
			 * daemon would write them. */
			if (off - (first + i * bs.subbuf_size) < RT_PACKET_HEADER_LEN)
				break; /* not opened */
			pk->close.content_size = (uint64_t)len * 8;
			pk->close.packet_size = bs.subbuf_size * 8;
			pk->close.timestamp_end = UINT64_MAX;
			pk->close.events_discarded = o->cpu[cpu].last_discarded;
		}
		oracle_packet(o, cpu, pk, len);
	}
	if (final) {
		uint64_t ow = __atomic_load_n(&bs.ctl[cpu].w.overwritten, __ATOMIC_RELAXED);
		CHECK(o, ow == first / bs.subbuf_size,
		      "cpu %u: overwritten %llu, but the oldest packet kept is %llu", cpu,
		      (unsigned long long)ow, (unsigned long long)(first / bs.subbuf_size));
	}
	if (index_cid)
		return failed;
	/* Per stream of this CPU: a gap-free run up to what was written. */
	for (uint32_t s = 0; s < nr_threads; s++) {
		if (s % nr_online != cpu)
			continue;
		uint64_t lo = UINT64_MAX, hi = 0, seen = 0, holes = 0;
		for (uint64_t q = 0; q < after[s] && q < nr_records; q++)
			if (seqmap_get(&o->seen, s, q)) {
				lo = lo == UINT64_MAX ? q : lo;
				hi = q;
				seen++;
			}
		/* One stream alone on the CPU and no copy failed: everything
		 * committed in the last lap is there, its last record too. */
		int whole = failed == 0 && nr_threads <= nr_online;
		if (!seen) {
			CHECK(o, before[s] == 0 || !whole,
			      "stream %u: nothing in a snapshot of cpu %u after %llu records", s, cpu,
			      (unsigned long long)before[s]);
			continue;
		}
		for (uint64_t q = lo; q <= hi; q++)
			if (!seqmap_get(&o->seen, s, q) &&
			    !__atomic_load_n(&writers[s].drop_map[q], __ATOMIC_RELAXED))
				holes++;
		CHECK(o, holes == 0, "stream %u: %llu records missing in [%llu, %llu]", s,
		      (unsigned long long)holes, (unsigned long long)lo, (unsigned long long)hi);
		/* The last record committed before the range was taken. */
		uint64_t last = before[s];
		while (last > 0 && __atomic_load_n(&writers[s].drop_map[last - 1], __ATOMIC_RELAXED))
			last--;
		CHECK(o, !whole || last == 0 || hi + 1 >= last,
		      "stream %u: snapshot ends at %llu, %llu were written before it", s,
		      (unsigned long long)hi, (unsigned long long)last);
		CHECK(o, hi < after[s] + 1, "stream %u: seq %llu before it was written (%llu)", s,
		      (unsigned long long)hi, (unsigned long long)after[s]);
		if (final)
			CHECK(o, hi + 1 == last, "stream %u: final snapshot ends at %llu of %llu", s,
			      (unsigned long long)hi, (unsigned long long)last);
	}
	return failed;
}

static void reset(struct oracle *o)
{
	memset(o->seen.bits, 0, seqmap_bytes(o->seen.nr_streams, o->seen.max_seq));
	memset(o->cpu, 0, bs.nr_max * sizeof *o->cpu);
	o->records = o->packets = 0;
}

int main(int argc, char **argv)
{
	uint32_t subbuf = 4096, nsub = 4;
	enum rt_mode mode = RT_MODE_RSEQ;
	static const struct option opts[] = {
		{ "threads", 1, 0, 't' }, { "records", 1, 0, 'n' }, { "subbuf", 1, 0, 's' },
		{ "nsub", 1, 0, 'k' }, { "mode", 1, 0, 'm' }, { "index", 1, 0, 'i' }, { 0 }
	};
	for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
		switch (c) {
		case 't': nr_threads = (uint32_t)atoi(optarg); break;
		case 'n': nr_records = strtoull(optarg, NULL, 0); break;
		case 's': subbuf = (uint32_t)atoi(optarg); break;
		case 'k': nsub = (uint32_t)atoi(optarg); break;
		case 'm': mode = strcmp(optarg, "locked") == 0 ? RT_MODE_LOCKED : RT_MODE_RSEQ; break;
		case 'i': index_cid = strcmp(optarg, "cid") == 0; break;
		default: die("usage: rb_snapshot [--threads T] [--records N] [--subbuf B] [--nsub K] "
			     "[--mode rseq|locked] [--index cpu|cid]");
		}
	}
	if (mode == RT_MODE_RSEQ && !rt_rseq_usable())
		die("rseq is not usable here");
	if (index_cid && !rt_cid_usable())
		die("mm_cid indexing is not usable here");
	cpu_set_t set;
	sched_getaffinity(0, sizeof set, &set);
	nr_online = (uint32_t)CPU_COUNT(&set);
	/* Writer i runs on the i % nr_online-th CPU we may use: renumber. */
	uint32_t cpus[CPU_SETSIZE], k = 0;
	for (uint32_t c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			cpus[k++] = c;
	if (!nr_threads)
		nr_threads = nr_online;
	if (!index_cid && cpus[nr_online - 1] != nr_online - 1)
		die("the test needs CPUs 0..%u (got a sparse affinity mask)", nr_online - 1);

	struct rt_params p = { .subbuf_size = subbuf, .num_subbuf = nsub, .mode = mode,
			       .index = index_cid ? RT_INDEX_CID : RT_INDEX_CPU, .overwrite = 1 };
	char err[256] = "";
	int r = rt_bufset_create(&p, &bs, err, sizeof err);
	if (r != RT_OK)
		die("rt_bufset_create: %s (%s)", rt_strerror(r), err);
	if (!bs.overwrite)
		die("the set is not in overwrite mode");

	struct oracle o;
	if (oracle_init(&o, &bs, nr_threads, nr_records) != 0)
		die("out of memory");
	struct snap_buf sb = { aligned_alloc(64, bs.buf_size), calloc(nsub, sizeof(int32_t)) };
	writers = aligned_alloc(_Alignof(struct writer), nr_threads * sizeof *writers);
	if (writers)
		memset(writers, 0, nr_threads * sizeof *writers);
	if (!sb.copy || !sb.len || !writers)
		die("out of memory");
	for (uint32_t i = 0; i < nr_threads; i++) {
		writers[i].id = i;
		writers[i].drop_map = calloc(nr_records, 1);
		if (!writers[i].drop_map || pthread_create(&writers[i].thread, NULL, writer_main, &writers[i]))
			die("cannot start writer %u", i);
	}

	uint64_t snapshots = 0, failed = 0, packets = 0, records = 0;
	for (int running = 1; running;) {
		running = 0;
		for (uint32_t i = 0; i < nr_threads; i++)
			running |= __atomic_load_n(&writers[i].done, __ATOMIC_ACQUIRE) < nr_records;
		reset(&o);
		for (uint32_t c = 0; c < rt_nr_buffers(&bs); c++)
			failed += snapshot_cpu(&o, &sb, c, 0);
		snapshots++;
		packets += o.packets;
		records += o.records;
		if (o.errors)
			break;
	}
	for (uint32_t i = 0; i < nr_threads; i++)
		pthread_join(writers[i].thread, NULL);
	if (!o.errors) {
		reset(&o);
		for (uint32_t c = 0; c < rt_nr_buffers(&bs); c++)
			snapshot_cpu(&o, &sb, c, 1);
	}
	/* Again with every open packet closed: a buffer whose offset is on the
	 * sub-buffer grid, as a writer leaves it that closed a packet and went
	 * on elsewhere (another mm_cid, or out of retries) and as a flush
	 * leaves it. The packet a lap behind is given up there though not
	 * reused yet: counted already. */
	for (uint32_t c = 0; !o.errors && c < rt_nr_buffers(&bs); c++) {
		int fr = index_cid ? rt_flush_idle(&bs, c) : rt_flush(&bs, c);
		if (fr < 0)
			oracle_error(&o, "rt_flush(cpu %u): %s", c, rt_strerror(fr));
	}
	if (!o.errors) {
		reset(&o);
		for (uint32_t c = 0; c < rt_nr_buffers(&bs); c++)
			snapshot_cpu(&o, &sb, c, 1);
	}
	uint64_t dropped = 0, overwritten = 0;
	for (uint32_t i = 0; i < nr_threads; i++)
		dropped += writers[i].dropped;
	for (uint32_t c = 0; c < rt_nr_buffers(&bs); c++) {
		struct rt_cpu_stats st;
		rt_cpu_stats(&bs, c, &st);
		overwritten += st.overwritten;
		/* In overwrite mode no writer ever finds its buffer full. */
		CHECK(&o, st.lost_full == 0, "cpu %u: %llu lost to a full buffer in overwrite mode", c,
		      (unsigned long long)st.lost_full);
	}
	CHECK(&o, snapshots > 1, "only %llu snapshots while writing", (unsigned long long)snapshots);
	CHECK(&o, overwritten > 0, "nothing was overwritten");
	printf("%llu snapshots while writing: %llu packets, %llu records, %llu copies failed (I8); "
	       "final snapshot %llu packets, %llu records; overwritten %llu packets; dropped %llu\n",
	       (unsigned long long)snapshots, (unsigned long long)packets,
	       (unsigned long long)records, (unsigned long long)failed,
	       (unsigned long long)o.packets, (unsigned long long)o.records,
	       (unsigned long long)overwritten, (unsigned long long)dropped);
	int failed_run = o.errors != 0;
	if (failed_run)
		printf("FAIL: %llu errors, first: %s\n", (unsigned long long)o.errors, o.first_error);
	else
		printf("PASS\n");
	for (uint32_t i = 0; i < nr_threads; i++)
		free(writers[i].drop_map);
	free(writers);
	free(sb.copy);
	free(sb.len);
	oracle_fini(&o);
	rt_bufset_unmap(&bs);
	return failed_run;
}
