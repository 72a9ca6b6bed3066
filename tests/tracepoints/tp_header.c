/* SPDX-License-Identifier: MIT */
/*
 * The event header's two forms (ringbuf/packet.h), checked by
 * check_header.py through babeltrace2:
 *
 *   tp_header gaps    40 events (ids 0..39 or so: extended past 30), each
 *                     carrying CLOCK_MONOTONIC read just before it, in
 *                     bursts 150 ms apart (more than 2^27 ns) inside one
 *                     long packet: every timestamp must decode exactly.
 *   tp_header bytes   N int + "hello" events (the bench's shape), for the
 *                     bytes per event on disk.
 *
 * Traced through the environment (RSEQTRACE_INPROC, RSEQTRACE_EVENTS).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rseqtrace/session.h>

#include "hdr_tp.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec d = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&d, &d) != 0)
		;
}

#define EMIT(k) rseqtrace(hdr, e##k, mono_ns(), k);

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "bytes")) {
		long n = atol(argv[2]);
		for (long i = 0; i < n; i++)
			rseqtrace(hdr, int_str, (int)i, "hello");
		printf("events=%ld\n", n);
		return rseqtrace_session_stop() == 0 ? 0 : 1;
	}
	if (argc != 2 || strcmp(argv[1], "gaps"))
		return 2;
	int bursts = 0, singles = 0;
	for (int round = 0; round < 3; round++) {
		HDR_EVENTS(EMIT) /* a burst of every id */
		bursts++;
		sleep_ms(150);
		rseqtrace(hdr, e3, mono_ns(), 3);
		rseqtrace(hdr, e35, mono_ns(), 35);
		singles += 2;
		sleep_ms(150);
	}
	printf("events=%d\n", bursts * 40 + singles);
	return rseqtrace_session_stop() == 0 ? 0 : 1;
}
