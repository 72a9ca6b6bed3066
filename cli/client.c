/* SPDX-License-Identifier: MIT */
/* Talking to rseqtraced: connect, one request, its whole answer. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/trust.h"

/* Long enough for a stop that waits for applications and flushes. */
#define ANSWER_TIMEOUT_MS 120000

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("rseqtrace: error: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void cli_print_reply(int status, const char *text)
{
	if (status == 0) {
		fputs(text, stdout);
		if (*text && text[strlen(text) - 1] != '\n')
			fputc('\n', stdout);
		return;
	}
	size_t n = strlen(text);
	while (n && text[n - 1] == '\n')
		n--;
	fprintf(stderr, "rseqtrace: error: %.*s\n", (int)n, text);
}

int client_connect(struct client *c, const char *dir)
{
	memset(c, 0, sizeof *c);
	c->fd = -1;
	if (dir)
		snprintf(c->dir, sizeof c->dir, "%s", dir);
	else if (rt_sock_dir(c->dir, sizeof c->dir, getenv) != 0) {
		cli_error("cannot tell where the daemon listens: set %s, XDG_RUNTIME_DIR or HOME",
			  RT_HOME_ENV);
		return -1;
	}
	struct sockaddr_un sa;
	if (rt_sock_addr(c->dir, &sa) != 0) {
		cli_error("socket path under %s is too long", c->dir);
		return -1;
	}
	/* Whoever could create or replace the socket would get our requests
	 * (and, for `record`, the whole trace): the directory must be ours
	 * alone, and the daemon ours or root's. A missing directory is "no
	 * daemon", said below. */
	char why[RT_PATH_MAX + 128];
	int dfd = rt_dir_open_checked(c->dir, geteuid(), RT_DIR_PRIVATE, why, sizeof why);
	if (dfd < 0 && dfd != -ENOENT && dfd != -EACCES) { /* those: said by connect() */
		cli_error("refusing to use the daemon's socket directory: %s\n"
			  "It must be a directory of yours with mode 0700 (chmod 700 %s), "
			  "or set %s to one", why, c->dir, RT_HOME_ENV);
		return -1;
	}
	if (dfd >= 0)
		close(dfd);
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		cli_error("socket: %s", strerror(errno));
		return -1;
	}
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		if (rt_peer_check(c->fd, geteuid(), why, sizeof why) == 0)
			return 0;
		cli_error("refusing to talk to %s: %s", sa.sun_path, why);
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	int e = errno;
	struct stat st;
	if (e == ENOENT || (e == ECONNREFUSED && stat(sa.sun_path, &st) == 0))
		cli_error("no rseqtrace daemon is running for this user (%s %s).\n"
			  "Start one with: rseqtraced --daemonize", sa.sun_path,
			  e == ENOENT ? "does not exist" : "is a stale socket");
	else if (e == EACCES || e == EPERM)
		cli_error("cannot connect to %s: permission denied (is it another user's daemon?)",
			  sa.sun_path);
	else
		cli_error("cannot connect to %s: %s", sa.sun_path, strerror(e));
	close(c->fd);
	c->fd = -1;
	return -1;
}

void client_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

int client_request(struct client *c, struct rt_msg_buf *b, char **text)
{
	*text = NULL;
	b->hdr.seq = ++c->seq;
	int r = rt_msg_send(c->fd, b, -1, 0);
	/* A daemon that refuses us (another user's) answers, then closes
	 * before our request arrives: its answer is still there to read. */
	if (r != 0 && r != -EPIPE && r != -ECONNRESET) {
		cli_error("cannot send to the daemon: %s", strerror(-r));
		return r;
	}
	static uint64_t buf[RT_MSG_MAX / 8];
	size_t len = 0;
	char *all = NULL;
	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int pr = poll(&p, 1, r ? 1000 : ANSWER_TIMEOUT_MS);
		if (pr <= 0 && r) {
			cli_error("cannot send to the daemon: %s", strerror(-r));
			free(all);
			return r;
		}
		if (pr <= 0) {
			cli_error("the daemon did not answer within %d s", ANSWER_TIMEOUT_MS / 1000);
			free(all);
			return -ETIMEDOUT;
		}
		int fds[RT_MSG_MAX_FDS];
		uint32_t nfds;
		ssize_t n = rt_msg_recv(c->fd, buf, fds, &nfds, 0);
		struct rt_msg m;
		char why[128];
		if (n <= 0 || rt_msg_decode(buf, (size_t)n, nfds, &m, why, sizeof why) != 0 ||
		    m.hdr.type != RT_MSG_REPLY || (m.hdr.seq != c->seq && m.hdr.seq != 0)) {
			if (n == 0 || n == -ECONNRESET)
				cli_error("the daemon closed the connection without answering");
			else
				cli_error("unexpected answer from the daemon (%s)",
					  n < 0 ? strerror((int)-n) : why);
			for (uint32_t i = 0; i < nfds; i++)
				close(fds[i]);
			free(all);
			return -EPROTO;
		}
		const struct rt_msg_reply *rep = m.body;
		size_t tl = rep->text_len - 1;
		char *grown = realloc(all, len + tl + 1);
		if (!grown) {
			free(all);
			cli_error("out of memory");
			return -ENOMEM;
		}
		all = grown;
		memcpy(all + len, m.strs[0], tl + 1);
		len += tl;
		if (!(rep->flags & RT_REPLY_MORE) || m.hdr.seq == 0) {
			*text = all;
			return rep->status;
		}
	}
}
