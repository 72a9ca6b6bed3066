/* SPDX-License-Identifier: MIT */
/*
 * The daemon made, run and freed twice in one process (as the fuzz harness
 * and the corpus replay do for every input): the second daemon must behave
 * exactly like the first. A CLI conversation (create, enable, start, list)
 * through the real dispatcher gets the same replies, the drain timer is
 * armed while the session runs, and daemon_free, called while the session
 * still runs, leaves no descriptor behind (and, in the sanitizer build, no
 * allocation).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "consumerd/daemon.h"
#include "consumerd/log.h"
#include "consumerd/transport.h"
#include "protocol/codec.h"
#include "tests/check.h"


static int fd_count(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static struct rt_msg_buf out_buf;
static uint64_t in_buf[RT_MSG_MAX / 8];

/* Sends the request to the daemon as received on c, appends the replies'
 * status and text to log. */
static void request(struct daemon *d, struct conn *c, int peer, char *log, size_t cap)
{
	out_buf.hdr.len = out_buf.used;
	memcpy(in_buf, &out_buf.hdr, sizeof out_buf.hdr);
	memcpy((char *)in_buf + sizeof out_buf.hdr, out_buf.payload, out_buf.used);
	int r = conn_dispatch(d, c, in_buf, sizeof out_buf.hdr + out_buf.used, NULL, 0);
	CHECK(r == 0 && !c->closing, "request type %u: connection dropped", out_buf.hdr.type);
	for (;;) {
		int fds[RT_MSG_MAX_FDS];
		uint32_t nfds;
		ssize_t n = rt_msg_recv(peer, in_buf, fds, &nfds, MSG_DONTWAIT);
		if (n <= 0)
			break;
		struct rt_msg m;
		if (rt_msg_decode(in_buf, (size_t)n, nfds, &m, NULL, 0) != 0)
			break;
		const struct rt_msg_reply *rep = m.body;
		size_t used = strlen(log);
		snprintf(log + used, cap - used, "[%d] %s", rep->status, m.strs[0]);
		if (!(rep->flags & RT_REPLY_MORE))
			break;
	}
}

static int timer_armed(int tfd)
{
	struct itimerspec it;
	return timerfd_gettime(tfd, &it) == 0 &&
	       (it.it_interval.tv_sec || it.it_interval.tv_nsec);
}

/* One daemon's life; the replies, with the output directory as "OUT". */
static void run_once(const char *root, int round, char *log, size_t cap)
{
	char out[512];
	snprintf(out, sizeof out, "%s/out%d", root, round);
	struct daemon_config cfg = {
		.drain_min_ms = 1, .drain_max_ms = 50, .ack_timeout_ms = 1000,
		.max_buffer_memory = 4u << 20, .restrict_output = root, .no_listen = 1,
		.ready_fd = -1,
	};
	snprintf(cfg.dir, sizeof cfg.dir, "%s", root);
	char err[256];
	struct daemon *d = daemon_new(&cfg, err, sizeof err);
	CHECK(d, "daemon_new: %s", err);
	if (!d)
		return;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	struct conn *c = conn_add(d, sv[0], getpid(), geteuid());

	struct rt_msg_create cr = { .subbuf_size = 4096, .num_subbuf = 4 };
	snprintf(cr.name, sizeof cr.name, "r");
	snprintf(cr.output, sizeof cr.output, "%s", out);
	rt_msg_init(&out_buf, RT_MSG_CREATE, 1);
	rt_msg_put(&out_buf, &cr, sizeof cr);
	request(d, c, sv[1], log, cap);

	struct rt_msg_rule rule = { .count = 1 };
	rt_msg_init(&out_buf, RT_MSG_ENABLE, 2);
	rt_msg_put(&out_buf, &rule, sizeof rule);
	rt_msg_put(&out_buf, "rtd:*", 6);
	request(d, c, sv[1], log, cap);

	struct rt_msg_session s = { 0 };
	rt_msg_init(&out_buf, RT_MSG_START, 3);
	rt_msg_put(&out_buf, &s, sizeof s);
	request(d, c, sv[1], log, cap);
	daemon_update_timers(d);
	CHECK(timer_armed(d->drain_tfd), "round %d: the drain timer is not armed while started",
	      round);

	struct rt_msg_session kv = { .flags = RT_LIST_KV };
	rt_msg_init(&out_buf, RT_MSG_LIST, 4);
	rt_msg_put(&out_buf, &kv, sizeof kv);
	request(d, c, sv[1], log, cap);

	/* Freed while the session runs, as the fuzz harness leaves it: the
	 * next daemon must not inherit anything of it. */
	daemon_free(d);
	close(sv[1]);

	/* The replies name the output and the trace's uuid-free paths only. */
	for (char *p; (p = strstr(log, out));) {
		memcpy(p, "OUT", 3);
		memmove(p + 3, p + strlen(out), strlen(p + strlen(out)) + 1);
	}
}

int main(void)
{
	char root[] = "/tmp/rseqtrace-restart-XXXXXX";
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	log_open(fopen("/dev/null", "w"), LOG_DEBUG);
	static char first[1 << 16], second[1 << 16];
	int fds0 = fd_count();
	run_once(root, 1, first, sizeof first);
	int fds1 = fd_count();
	run_once(root, 2, second, sizeof second);
	int fds2 = fd_count();
	CHECK(fds1 == fds0 && fds2 == fds0, "descriptors: %d before, %d and %d after", fds0, fds1,
	      fds2);
	CHECK(strstr(first, "[0] Tracing started") && strstr(first, "state=active"),
	      "the conversation did not run:\n%s", first);
	CHECK(strcmp(first, second) == 0, "the second daemon answered otherwise:\n--- first\n%s\n"
	      "--- second\n%s", first, second);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", root);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", root);
	if (failures)
		return 1;
	printf("restart: two daemons, same replies, no descriptor left\n");
	return 0;
}
