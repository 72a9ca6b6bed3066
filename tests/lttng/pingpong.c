/* SPDX-License-Identifier: MIT */
/*
 * Ping-pong between two processes through two FIFOs, each hop traced:
 * the process that holds the ball records pingpong:hop(seq) and passes the
 * ball on, so hop seq happens before hop seq + 1 in real time. Built once
 * for rseqtrace and once for LTTng-UST, one process of each, the merged
 * timeline of the two traces must list the hops in seq order: this is
 * what shows that the two tracers' clocks agree.
 *
 *   pingpong ROLE ROUNDS IN_FIFO OUT_FIFO
 *
 * ROLE 0 serves (records even seqs), ROLE 1 returns (odd seqs). Each
 * records ROUNDS hops. Exit 3 if the event is not enabled at start (the
 * tracer was not ready), 2 on a FIFO error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pingpong_tp.h"

#ifdef RSEQTRACE_BACKEND_LTTNG
#define TRACER "lttng-ust"
#else
#define TRACER "rseqtrace"
#endif

static int open_fifo(const char *path, int flags)
{
	int fd;
	do
		fd = open(path, flags);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		fprintf(stderr, "pingpong: %s: %s\n", path, strerror(errno));
	return fd;
}

static int pass_ball(int fd)
{
	char b = 'b';
	ssize_t n;
	do
		n = write(fd, &b, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

static int catch_ball(int fd)
{
	char b;
	ssize_t n;
	do
		n = read(fd, &b, 1);
	while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: pingpong ROLE ROUNDS IN_FIFO OUT_FIFO\n");
		return 2;
	}
	int role = atoi(argv[1]) != 0;
	long rounds = atol(argv[2]);
	if (!rseqtrace_enabled(pingpong, hop)) {
		fprintf(stderr, "pingpong (%s): pingpong:hop is not enabled at start\n", TRACER);
		return 3;
	}
	/* Both open the serve direction first: the opens pair up, no deadlock. */
	int in, out;
	if (role == 0) {
		out = open_fifo(argv[4], O_WRONLY);
		in = out < 0 ? -1 : open_fifo(argv[3], O_RDONLY);
	} else {
		in = open_fifo(argv[3], O_RDONLY);
		out = in < 0 ? -1 : open_fifo(argv[4], O_WRONLY);
	}
	if (in < 0 || out < 0)
		return 2;
	for (long k = 0; k < rounds; k++) {
		if (role == 1 && catch_ball(in) != 0)
			return 2;
		rseqtrace(pingpong, hop, (uint32_t)(2 * k + role), TRACER);
		if (pass_ball(out) != 0)
			return 2;
		if (role == 0 && catch_ball(in) != 0)
			return 2;
	}
	return 0;
}
