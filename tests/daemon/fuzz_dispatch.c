/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target over the daemon's decoder and dispatcher: the bytes
 * are cut into control messages and fed, as received records, to
 * connections of a real (non-listening) daemon instance, exactly as
 * conn_read() feeds them. The same file, without libFuzzer, is the
 * corpus replay test (replay_main.c).
 *
 * Input: a sequence of chunks
 *   u8  op:   bits 0-1 connection slot (4 peers at once, e.g. a CLI and
 *             apps), bit 2 attach a descriptor, bit 3 run a drain pass
 *             and finish pending operations after this record,
 *             bit 4 close the slot's connection first
 *   u16 len (little-endian), then len bytes: the record.
 * Every input starts from an empty daemon; outputs are confined to a
 * private temporary directory that is emptied after each input.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "consumerd/daemon.h"
#include "consumerd/drain.h"
#include "consumerd/log.h"
#include "consumerd/session.h"
#include "consumerd/transport.h"
#include "protocol/codec.h"

#define SLOTS 4

static struct daemon *d;
static char out_root[64];
static struct daemon_config config;
static int peer[SLOTS] = { -1, -1, -1, -1 };
static struct conn *conns[SLOTS];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level > 0)
		remove(path);
	return 0;
}

static void init_once(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	snprintf(out_root, sizeof out_root, "/tmp/rseqtrace-fuzz-XXXXXX");
	if (!mkdtemp(out_root)) {
		perror("mkdtemp");
		abort();
	}
	/* Default outputs ($HOME/rseqtrace-traces/...) land in the sandbox. */
	setenv("HOME", out_root, 1);
	/* RT_FUZZ_LOG=1: the daemon's log on stderr, to see what a seed does. */
	const char *verbose = getenv("RT_FUZZ_LOG");
	log_open(verbose && *verbose == '1' ? stderr : fopen("/dev/null", "w"), LOG_DEBUG);
	struct daemon_config cfg = {
		.drain_min_ms = 1, .drain_max_ms = 50, .ack_timeout_ms = 1000,
		.max_buffer_memory = 4u << 20, .restrict_output = out_root,
		/* Small caps, so that inputs reach the refusals (issue 11 #6). */
		.max_app_events = 8, .max_metadata = 16u << 10,
		.no_listen = 1, .ready_fd = -1,
	};
	snprintf(cfg.dir, sizeof cfg.dir, "%s", out_root);
	config = cfg;
}

/* Every input starts from a new daemon. */
static void daemon_start(void)
{
	char err[256];
	d = daemon_new(&config, err, sizeof err);
	if (!d) {
		fprintf(stderr, "daemon_new: %s\n", err);
		abort();
	}
}

/* Reads and discards what the daemon sent to slot i (closing descriptors). */
static void drain_peer(int i)
{
	static uint64_t buf[RT_MSG_MAX / 8];
	int fds[RT_MSG_MAX_FDS];
	uint32_t nfds;
	while (peer[i] >= 0 && rt_msg_recv(peer[i], buf, fds, &nfds, MSG_DONTWAIT) > 0)
		for (uint32_t k = 0; k < nfds; k++)
			close(fds[k]);
}

static void close_slot(int i)
{
	if (conns[i]) {
		conn_close(d, conns[i]);
		conns[i] = NULL;
	}
	if (peer[i] >= 0) {
		drain_peer(i);
		close(peer[i]);
		peer[i] = -1;
	}
}

static struct conn *slot(int i)
{
	if (conns[i])
		return conns[i];
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	conns[i] = conn_add(d, sv[0], getpid(), geteuid());
	if (!conns[i])
		abort();
	peer[i] = sv[1];
	return conns[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint64_t rec[RT_MSG_MAX / 8 + 1];
	init_once();
	daemon_start();
	size_t off = 0;
	while (size - off >= 3) {
		uint8_t op = data[off];
		size_t len = (size_t)data[off + 1] | (size_t)data[off + 2] << 8;
		off += 3;
		if (len > size - off)
			len = size - off;
		int i = op & 3;
		if (op & 16)
			close_slot(i);
		struct conn *c = slot(i);
		memcpy(rec, data + off, len);
		off += len;
		int fds[1];
		uint32_t nfds = 0;
		if (op & 4) {
			fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
			nfds = fds[0] >= 0;
		}
		if (conn_dispatch(d, c, rec, len, fds, nfds) != 0 || c->closing)
			close_slot(i);
		else
			drain_peer(i);
		if (op & 8) {
			drain_all(d);
			ops_check(d, 1);
		}
	}
	for (int i = 0; i < SLOTS; i++)
		close_slot(i);
	daemon_free(d);
	d = NULL;
	nftw(out_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
