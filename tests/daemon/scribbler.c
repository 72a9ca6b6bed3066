/* SPDX-License-Identifier: MIT */
/*
 * A hostile application: registers with the daemon like librseqtrace does,
 * takes the shared buffers it is given, and writes garbage into them.
 *
 *   scribbler MODE SECONDS      MODE: random | words | counters | consumed |
 *                                     offsets | locks | headers | holdlocks
 *
 * random    random bytes over the control blocks and the data
 * words     random 64-bit words over everything after the set's header:
 *           offsets, counters, lock words, records (issue 11, item 4)
 * counters  absurd values in the lost-event counters
 * consumed  misaligned and far-off values in every CPU's `consumed`
 * offsets   impossible writer offsets (behind `consumed`, far ahead)
 * locks     garbage in the locked-mode lock words
 * headers   every packet header field: magic, uuid, stream id, sizes,
 *           timestamps, sequence numbers, events_discarded; records untouched
 * holdlocks registers without rseq (so it gets locked-mode buffers of its
 *           own), takes every CPU's buffer lock and holds it, like a writer
 *           stopped inside a locked write
 * prefix    once: in every CPU's open sub-buffer, 512 bytes of random words
 *           at the writers' offset, and the offset moved past them, as a
 *           scribbler leaves things when it stops; prints prefixed=CPU...
 * prefix-odd the same, with the offset moved 509 bytes: off the 8-byte grid
 * invalid   once: counts 5 malformed records on every CPU, as the ring
 *           buffer does when handed a record of a bad length (rt_drop with
 *           RT_E_INVAL; the tracepoint macros never do); prints invalid=N
 * It acknowledges the daemon's syncs so stop does not wait for it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "protocol/codec.h"
#include "ringbuf/ringbuf.h"

static uint64_t rbuf[RT_MSG_MAX / 8];
static struct rt_msg_buf sbuf;
static char *map;
static size_t map_len;

static uint64_t rnd(void)
{
	static uint64_t x = 88172645463325252ull;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

static int sock_connect(void)
{
	char dir[RT_PATH_MAX];
	struct sockaddr_un sa;
	if (rt_sock_dir(dir, sizeof dir, getenv) || rt_sock_addr(dir, &sa))
		return -1;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		return -1;
	return fd;
}

/* Applies what the daemon sends: keeps the first buffer set, acks syncs. */
static void pump(int fd, int wait_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	while (poll(&p, 1, wait_ms) > 0) {
		int fds[RT_MSG_MAX_FDS];
		uint32_t nfds;
		ssize_t n = rt_msg_recv(fd, rbuf, fds, &nfds, MSG_DONTWAIT);
		if (n <= 0) {
			if (n == -EAGAIN)
				continue;
			exit(0); /* daemon gone */
		}
		struct rt_msg m;
		if (rt_msg_decode(rbuf, (size_t)n, nfds, &m, NULL, 0) != 0)
			exit(3);
		if (m.hdr.type == RT_MSG_APP_CHANNEL && !map) {
			struct stat st;
			fstat(fds[0], &st);
			map_len = (size_t)st.st_size;
			map = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
			if (map == MAP_FAILED)
				exit(4);
		}
		for (uint32_t i = 0; i < nfds; i++)
			close(fds[i]);
		if (m.hdr.type == RT_MSG_APP_SYNC) {
			rt_msg_init(&sbuf, RT_MSG_APP_SYNC_ACK, m.hdr.seq);
			rt_msg_send(fd, &sbuf, -1, 0);
		}
		wait_ms = 0;
	}
}

static void scribble(const char *mode)
{
	struct rt_shm_header *h = (struct rt_shm_header *)map;
	uint32_t cpus = h->nr_cpus;
	struct rt_cpu_ctl *ctl = (struct rt_cpu_ctl *)(map + RT_SHM_HEADER_SIZE);
	if (!strcmp(mode, "random")) {
		for (int i = 0; i < 4096; i++)
			map[RT_SHM_HEADER_SIZE + rnd() % (map_len - RT_SHM_HEADER_SIZE)] = (char)rnd();
	} else if (!strcmp(mode, "words")) {
		size_t words = (map_len - RT_SHM_HEADER_SIZE) / 8;
		for (int i = 0; i < 512; i++)
			((uint64_t *)(map + RT_SHM_HEADER_SIZE))[rnd() % words] = rnd();
	} else if (!strcmp(mode, "counters")) {
		for (uint32_t c = 0; c < cpus; c++)
			ctl[c].w.lost_full = rnd() % 2 ? rnd() : ctl[c].w.lost_full - 1000;
	} else if (!strcmp(mode, "consumed")) {
		for (uint32_t c = 0; c < cpus; c++)
			ctl[c].r.consumed = rnd() % 3 ? ctl[c].r.consumed + 8 : rnd();
	} else if (!strcmp(mode, "offsets")) {
		for (uint32_t c = 0; c < cpus; c++)
			ctl[c].w.offset = rnd() % 2 ? rnd() : ctl[c].r.consumed - 4096;
	} else if (!strcmp(mode, "locks")) {
		for (uint32_t c = 0; c < cpus; c++)
			memset(&ctl[c].w.lock, (int)rnd(), sizeof ctl[c].w.lock);
	} else if (!strcmp(mode, "holdlocks")) {
		/* Held as a live writer holds it: our TID in the word. */
		for (uint32_t c = 0; c < cpus; c++)
			__atomic_store_n(&ctl[c].w.lock, (uint32_t)gettid(), __ATOMIC_RELEASE);
	} else if (!strncmp(mode, "prefix", 6)) {
		static int done;
		uint32_t sub = h->subbuf_size;
		for (uint32_t c = 0; c < cpus && !done; c++) {
			uint64_t off = ctl[c].w.offset, in_sub = off % sub;
			if (in_sub < sizeof(struct rt_packet) || in_sub + 512 + 1024 > sub)
				continue; /* not open, or no room left for the honest writer */
			char *data = map + h->data_offset + (size_t)c * sub * h->num_subbuf;
			uint64_t at = off % ((uint64_t)sub * h->num_subbuf);
			for (int i = 0; i < 64; i++)
				((uint64_t *)(data + at))[i] = rnd();
			uint64_t jump = strcmp(mode, "prefix-odd") ? 512 : 509;
			__atomic_store_n(&ctl[c].w.offset, off + jump, __ATOMIC_RELEASE);
			printf("prefixed=%u\n", c);
		}
		done = 1;
	} else if (!strcmp(mode, "invalid")) {
		static int done;
		for (uint32_t c = 0; c < cpus && !done; c++)
			__atomic_fetch_add(&ctl[c].w.lost_invalid, 5, __ATOMIC_RELAXED);
		if (!done)
			printf("invalid=%u\n", 5 * cpus);
		done = 1;
	} else if (!strcmp(mode, "headers")) {
		char *data = map + h->data_offset;
		size_t len = map_len - h->data_offset;
		for (size_t off = 0; off + sizeof(struct rt_packet) < len; off += h->subbuf_size) {
			struct rt_packet *pk = (struct rt_packet *)(data + off);
			pk->open.magic = (uint32_t)rnd();
			pk->open.uuid[rnd() % 16] ^= 0xff;
			pk->open.stream_id = (uint32_t)rnd();
			pk->open.stream_instance_id = rnd();
			pk->open.packet_seq_num = rnd();
			pk->open.cpu_id = (uint32_t)rnd();
			pk->close.content_size = rnd();
			pk->close.packet_size = rnd();
			pk->close.events_discarded = rnd();
			pk->open.timestamp_begin = rnd();
			pk->close.timestamp_end = rnd();
		}
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: scribbler random|words|counters|consumed|offsets|locks|headers|"
				"holdlocks|prefix|prefix-odd|invalid SECONDS\n");
		return 2;
	}
	int fd = sock_connect();
	if (fd < 0) {
		perror("scribbler: connect");
		return 1;
	}
	struct rt_msg_app_register r = { .vpid = (uint32_t)getpid(), .ppid = 1,
					 .flags = strcmp(argv[1], "holdlocks") ? RT_APP_RSEQ : 0,
					 .bits_per_long = 64, .nr_start = 1 };
	snprintf(r.procname, sizeof r.procname, "scribbler");
	rt_msg_init(&sbuf, RT_MSG_APP_REGISTER, 1);
	rt_msg_put(&sbuf, &r, sizeof r);
	rt_msg_send(fd, &sbuf, -1, 0);
	rt_msg_init(&sbuf, RT_MSG_APP_READY_REQ, 2);
	rt_msg_send(fd, &sbuf, -1, 0);
	pump(fd, 2000);
	if (!map) {
		fprintf(stderr, "scribbler: no buffers received (is a session started?)\n");
		return 1;
	}
	scribble(argv[1]);
	printf("mapped\n");
	fflush(stdout);
	time_t end = time(NULL) + atoi(argv[2]);
	while (time(NULL) < end) {
		scribble(argv[1]);
		pump(fd, 1);
	}
	printf("done\n");
	return 0;
}
