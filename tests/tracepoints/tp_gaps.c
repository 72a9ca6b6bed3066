/* SPDX-License-Identifier: MIT */
/*
 * The compact event header (ringbuf/packet.h) against time, for
 * check_gaps.py. `gaps`: every event carries the clock read just before
 * it (before) and the one read just after the previous event returned
 * (prev_after), so the reader can check each event's timestamp to the
 * nanosecond: before <= ts <= the next event's prev_after. One packet
 * lasts about 400 ms (events 10 ms apart: past 2^27 ns from its begin
 * even ids below 31 need the extended form), then events of both kinds
 * come 150 ms apart (gaps over 2^27 ns). 40 event classes: ids 31 and up
 * are always extended. `hello N`: N events of the bench's kind (an int
 * and "hello"), for the bytes per event.
 * Traced through the environment: RSEQTRACE_INPROC, RSEQTRACE_EVENTS.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gaps_tp.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

static uint64_t after;
static int emitted;

static void one(int i)
{
	uint64_t before = mono_ns();
	gaps_emit(i, before, after);
	after = mono_ns();
	emitted++;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "hello") == 0) {
		int n = atoi(argv[2]);
		for (int i = 0; i < n; i++)
			rseqtrace(gaps, hello, i, "hello");
		printf("events=%d\n", n);
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "paced") == 0) {
		uint64_t end = mono_ns() + strtoull(argv[2], NULL, 10) * 1000000u;
		long us = atol(argv[3]);
		while (mono_ns() < end) {
			one(emitted % 2 ? 35 : 0);
			struct timespec ts = { 0, us * 1000L };
			nanosleep(&ts, NULL);
		}
		one(0);
		printf("events=%d\n", emitted);
		return 0;
	}
	if (argc != 2 || strcmp(argv[1], "gaps") != 0) {
		fprintf(stderr, "usage: tp_gaps gaps | hello N | paced MS US\n");
		return 2;
	}
	for (int i = 0; i < GAPS_EVENTS; i++) {
		one(i);
		sleep_ms(10);
	}
	static const int after_gap[] = { 1, 2, 35, 3, 36, 36, 4, 4, 30, 31 };
	for (size_t k = 0; k < sizeof after_gap / sizeof after_gap[0]; k++) {
		sleep_ms(150);
		one(after_gap[k]);
	}
	one(0); /* closes the previous event's window */
	printf("events=%d\n", emitted);
	return 0;
}
