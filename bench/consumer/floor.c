/* SPDX-License-Identifier: MIT */
/*
 * The kernel's floor under a consumer: only what the kernel must do for a
 * trace's bytes, with no tracer around it. Packets of a sub-buffer's size
 * are write()n from memory to a new file in DIR (write), or send()n on a
 * loopback TCP connection to a reader process (send); the CPU time this
 * process spends on it (the reader's is not counted, as the relayd's is
 * not a consumer's) is divided by the events those bytes would hold.
 *
 *   consumer-floor write|direct DIR [MIB [PACKET_KIB [BYTES_PER_EVENT]]]
 *   consumer-floor send [MIB [PACKET_KIB [BYTES_PER_EVENT]]]
 *
 * Defaults: 512 MiB in 1 MiB packets (rseqtrace's default sub-buffer), 40
 * bytes per event (the consumer benchmark's int+string event with three
 * contexts). Prints key=value lines: mode, bytes, events, cpu_ns,
 * ns_per_event.
 *
 * The file gets the hints both consumers give a trace file (rseqtraced's
 * let_go in ctf/stream.c, lttng-consumerd's per sub-buffer): writeback
 * started every 4 MiB and the range written before it dropped from the
 * page cache, so the cache does not fill with dirty pages (whose reclaim
 * would cost more than the write). direct: the file is O_DIRECT (rseqtraced
 * --direct-io), the device reads the packets where they lie, no copy into
 * the page cache and no hints. The packets come from a buffer of 8
 * sub-buffers (a per-CPU ring at rseqtrace's defaults), in turn, as a
 * consumer takes them.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RING_PACKETS 8
#define LET_GO ((off_t)4 << 20)

static void die(const char *what)
{
	fprintf(stderr, "consumer-floor: %s: %s\n", what, strerror(errno));
	exit(1);
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Writes or sends all of p[0, n) on fd. */
static void put_all(int fd, const uint8_t *p, size_t n, int sock)
{
	while (n) {
		ssize_t w = sock ? send(fd, p, n, MSG_NOSIGNAL) : write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die(sock ? "send" : "write");
		p += w;
		n -= (size_t)w;
	}
}

/* The same hints as rseqtraced's let_go (ctf/stream.c). */
static void let_go(int fd, off_t size, off_t *flushed, off_t *dropped)
{
	if (size - *flushed < LET_GO)
		return;
	if (*flushed > *dropped)
		posix_fadvise(fd, *dropped, *flushed - *dropped, POSIX_FADV_DONTNEED);
	*dropped = *flushed;
	sync_file_range(fd, *flushed, size - *flushed, SYNC_FILE_RANGE_WRITE);
	*flushed = size;
}

/* Whether the file system says how to write fd direct (statx
 * STATX_DIOALIGN), as rseqtraced asks before it goes direct: tmpfs takes
 * O_DIRECT but gives no alignment, and copies into its pages all the same. */
static int really_direct(int fd)
{
	struct statx st;
	return statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &st) == 0 &&
	       (st.stx_mask & STATX_DIOALIGN) && st.stx_dio_offset_align;
}

/* The reader end of a loopback connection: a child that reads until EOF. */
static int loopback_reader(pid_t *child)
{
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &al))
		die("loopback listener");
	*child = fork();
	if (*child < 0)
		die("fork");
	if (*child == 0) {
		static uint8_t buf[1 << 20];
		int c = accept(l, NULL, NULL);
		if (c < 0)
			_exit(1);
		for (;;) {
			ssize_t r = recv(c, buf, sizeof buf, 0);
			if (r == 0)
				_exit(0);
			if (r < 0 && errno != EINTR)
				_exit(1);
		}
	}
	close(l);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a))
		die("connect to the reader");
	return s;
}

static unsigned long arg(char **argv, int argc, int i, unsigned long dflt)
{
	if (i >= argc)
		return dflt;
	char *end;
	unsigned long v = strtoul(argv[i], &end, 10);
	if (*end || !v) {
		fprintf(stderr, "consumer-floor: bad number \"%s\"\n", argv[i]);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	const char *mode = argc >= 2 ? argv[1] : "";
	int sock = !strcmp(mode, "send"), direct = !strcmp(mode, "direct");
	if (!sock && ((!direct && strcmp(mode, "write")) || argc < 3)) {
		fprintf(stderr, "usage: consumer-floor write|direct DIR [MIB [PACKET_KIB [BYTES_PER_EVENT]]]\n"
				"       consumer-floor send [MIB [PACKET_KIB [BYTES_PER_EVENT]]]\n");
		return 2;
	}
	int a0 = sock ? 2 : 3;
	size_t total = arg(argv, argc, a0, 512) << 20, packet = arg(argv, argc, a0 + 1, 1024) << 10;
	unsigned long per_event = arg(argv, argc, a0 + 2, 40);
	if (packet % 4096 || total < packet) {
		fprintf(stderr, "consumer-floor: PACKET_KIB: whole pages, at most MIB\n");
		return 2;
	}
	uint8_t *ring; /* page-aligned: a direct write reads it in place */
	if ((errno = posix_memalign((void **)&ring, 4096, RING_PACKETS * packet)))
		die("malloc");
	/* Every page present and not the zero page, as a ring written to. */
	for (size_t i = 0; i < RING_PACKETS * packet; i++)
		ring[i] = (uint8_t)(i * 131 + 7);

	int fd;
	pid_t reader = 0;
	char path[4096];
	if (sock) {
		fd = loopback_reader(&reader);
	} else {
		snprintf(path, sizeof path, "%s/consumer-floor.XXXXXX", argv[2]);
		fd = mkostemp(path, O_CLOEXEC | (direct ? O_DIRECT : 0));
		if (fd < 0)
			die(path);
		if (direct && !really_direct(fd)) {
			/* As rseqtraced --direct-io, which stays buffered there. */
			unlink(path);
			fprintf(stderr, "consumer-floor: %s: no direct I/O on this file system\n", argv[2]);
			return 3;
		}
	}
	off_t size = 0, flushed = 0, dropped = 0;
	uint64_t t0 = cpu_ns();
	for (size_t n = 0; n < total / packet; n++) {
		put_all(fd, ring + (n % RING_PACKETS) * packet, packet, sock);
		size += (off_t)packet;
		if (!sock && !direct)
			let_go(fd, size, &flushed, &dropped);
	}
	uint64_t spent = cpu_ns() - t0;
	close(fd);
	if (sock) {
		int st;
		if (waitpid(reader, &st, 0) != reader || !WIFEXITED(st) || WEXITSTATUS(st))
			die("the reader failed");
	} else {
		unlink(path);
	}
	uint64_t bytes = (uint64_t)size, events = bytes / per_event;
	printf("mode=%s\nbytes=%llu\nevents=%llu\ncpu_ns=%llu\nns_per_event=%.2f\n",
	       mode, (unsigned long long)bytes, (unsigned long long)events,
	       (unsigned long long)spent, (double)spent / (double)events);
	free(ring);
	return 0;
}
