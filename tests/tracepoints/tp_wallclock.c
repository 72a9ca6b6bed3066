/* SPDX-License-Identifier: MIT */
/*
 * The in-process session's drain thread, when it has no wake-up socket
 * (out of descriptors: socketpair fails in this program), drains on its
 * period. With the wall clock set back an hour (wallclock.h) it must still
 * drain on time: its waits are on CLOCK_MONOTONIC.
 *
 * usage: tp_wallclock DIR    prints PASS or FAIL with what it saw
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rseqtrace/session.h>

#include "stress_tp.h"
#include "tests/common/wallclock.h"

/* Takes the place of the C library's for librseqtrace too (exported). */
int socketpair(int domain, int type, int protocol, int sv[2])
{
	(void)domain;
	(void)type;
	(void)protocol;
	(void)sv;
	errno = EMFILE;
	return -1;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Ahead by an hour: as if the real clock were set back an hour right
	 * after every deadline the session computes. */
	wallclock_step(3600 * 1000000000ll);
	struct rseqtrace_session_config cfg = {
		.output = argv[1], .events = "stress:*", .loglevel = -1,
		.subbuf_size = 4096, .num_subbuf = 4, .drain_period_ms = 10,
	};
	if (rseqtrace_session_start(&cfg) != 0) {
		printf("FAIL: start: %s\n", rseqtrace_session_error());
		return 1;
	}
	/* Two full sub-buffers and more: closed packets for the drain thread. */
	uint32_t tid = (uint32_t)gettid();
	for (uint64_t i = 0; i < 250; i++)
		rseqtrace(stress, ev, tid, i, 0);
	struct rseqtrace_session_stats st = { 0 };
	double t0 = now();
	while (now() - t0 < 5 && rseqtrace_session_stats(&st) == 0 && st.packets == 0)
		usleep(10000);
	double waited = now() - t0;
	printf("drained %llu packets %.2f s after the events (drain period 10 ms)\n",
	       (unsigned long long)st.packets, waited);
	int ok = st.packets > 0;
	int r = rseqtrace_session_stop();
	if (r != 0)
		printf("stop: %s\n", rseqtrace_session_error());
	rseqtrace_session_stats(&st);
	printf("events=%llu lost=%llu\n", (unsigned long long)st.events,
	       (unsigned long long)(st.lost_full + st.lost_big + st.lost_abort));
	ok = ok && r == 0 && st.events == 250;
	printf("%s\n", ok ? "PASS" : "FAIL: the drain thread did not drain on its period");
	return ok ? 0 : 1;
}
