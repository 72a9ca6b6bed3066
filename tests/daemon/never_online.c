/* SPDX-License-Identifier: MIT */
/*
 * CPUs that are possible but never come online (issue 17): a buffer set
 * has a buffer for every possible CPU, and the daemon's drain and flush
 * must take such a CPU's (empty) buffer like any other: nothing written,
 * no error, no wait. The machine's possible CPUs are all online, so the
 * set is made with two CPUs more than it has (CPUs with no sysfs
 * directory, as a possible-but-absent CPU on a real host): the CTF path
 * (ctf_channel_drain, ctf_channel_flush) and the trusting consumer's
 * rt_flush, in rseq and locked mode.
 *
 *   rt_never_online DIR
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctf/ctf.h"
#include "ringbuf/ringbuf.h"
#include "tests/check.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void one_mode(const char *tmp, enum rt_mode mode)
{
	uint32_t real = (uint32_t)rt_possible_cpus(), extra = real + 2;
	struct rt_params p = { .subbuf_size = 4096, .num_subbuf = 4, .mode = mode,
			       .clock = RT_CLOCK_MONOTONIC, .nr_cpus = extra };
	struct rt_bufset bs;
	char err[256], dir[4096], path[4200];
	CHECK(rt_bufset_create(&p, &bs, err, sizeof err) == RT_OK, "create: %s", err);
	snprintf(dir, sizeof dir, "%s/never-online-%d-%d", tmp, (int)mode, (int)getpid());
	struct ctf_trace_config cfg = { .path = dir, .clock = RT_CLOCK_MONOTONIC, .uuid = p.uuid };
	struct ctf_trace *t;
	struct ctf_channel *c;
	CHECK(ctf_trace_create(&cfg, &t, err, sizeof err) == 0, "trace: %s", err);
	CHECK(ctf_trace_add_stream_class(t, 0, 0) == 0, "stream class");
	CHECK(ctf_channel_open(t, "channel0", 0, &bs, &c, err, sizeof err) == 0, "open: %s", err);
	double t0 = now();
	CHECK(ctf_channel_drain(c) == 0, "drain");
	CHECK(ctf_channel_flush(c) >= 0, "flush");
	CHECK(ctf_channel_drain(c) == 0, "drain after flush");
	for (uint32_t cpu = real; cpu < extra; cpu++) {
		int r = rt_flush(&bs, cpu);
		CHECK(r == 0, "mode %d: rt_flush(never-online CPU %u) = %d (%s)", (int)mode, cpu, r,
		      rt_strerror(r));
	}
	CHECK(now() - t0 < 2.0, "mode %d: %.1f s to drain and flush nothing", (int)mode, now() - t0);
	struct ctf_channel_stats st;
	ctf_channel_stats(c, &st);
	CHECK(st.packets == 0 && st.events == 0 && st.write_errors == 0 && st.corrupt_packets == 0 &&
	      st.discarded == 0 && st.lost_unreported == 0, "mode %d: stats %llu packets, %llu "
	      "events, %llu errors", (int)mode, (unsigned long long)st.packets,
	      (unsigned long long)st.events, (unsigned long long)st.write_errors);
	for (uint32_t cpu = 0; cpu < extra; cpu++) {
		struct stat sb;
		snprintf(path, sizeof path, "%s/channel0_%u", dir, cpu);
		CHECK(stat(path, &sb) != 0, "mode %d: a stream file for empty CPU %u", (int)mode, cpu);
	}
	ctf_channel_close(c);
	CHECK(ctf_trace_close(t) == 0, "trace close");
	rt_bufset_unmap(&bs);
}

int main(int argc, char **argv)
{
	const char *tmp = argc > 1 ? argv[1] : "/tmp";
	one_mode(tmp, RT_MODE_RSEQ);
	one_mode(tmp, RT_MODE_LOCKED);
	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	else
		printf("never-online CPUs: drained and flushed with nothing, no error\n");
	return failures != 0;
}
