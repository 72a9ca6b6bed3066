/* SPDX-License-Identifier: MIT */
/* create's network options (lttng's): -U/--set-url, -C/--ctrl-url,
 * -D/--data-url, --live[=USEC], --hostname; and the check, before the
 * daemon is asked, that an lttng-relayd answers there: a user learns at
 * create that it is not running, and the daemon itself never waits on the
 * network in its control thread. */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/size.h"
#include "common/url.h"

#define PROBE_TIMEOUT_MS 3000
#define DEFAULT_LIVE_US 1000000u /* lttng's default live timer */

static int set_host(struct net_opts *n, const char *url, const char *host)
{
	if (n->host[0] && strcmp(n->host, host) != 0) {
		cli_error("%s: the control and data URLs must name one host (%s)", url, n->host);
		return -1;
	}
	snprintf(n->host, sizeof n->host, "%s", host);
	return 0;
}

int parse_net_opt(int opt, const char *arg, struct net_opts *n)
{
	char host[RT_HOST_MAX];
	uint16_t c, d;
	switch (opt) {
	case 'U':
	case 'C':
	case 'D':
		if (rt_parse_relayd_url(arg, host, sizeof host, &c, &d) != 0 ||
		    (opt == 'U') != (strncmp(arg, "net", 3) == 0)) {
			cli_error("bad URL '%s': use %s", arg,
				  opt == 'U' ? "net://HOST[:CTRL_PORT[:DATA_PORT]]" : "tcp://HOST:PORT");
			return -1;
		}
		if (set_host(n, arg, host) != 0)
			return -1;
		if (opt != 'D')
			n->ctrl = c;
		if (opt != 'C')
			n->data = d;
		n->url |= opt == 'U' ? 1 : opt == 'C' ? 2 : 4;
		return 1;
	case OPT_LIVE: {
		n->live_us = DEFAULT_LIVE_US;
		if (arg) {
			uint64_t v;
			if (rt_parse_duration_us(arg, &v) != 0 || v == 0 || v > UINT32_MAX) {
				cli_error("--live '%s': give the live timer in microseconds (or with "
					  "us, ms, s, m, h; > 0)", arg);
				return -1;
			}
			n->live_us = (uint32_t)v;
		}
		return 1;
	}
	case OPT_HOSTNAME:
		if (copy_name(n->hostname, sizeof n->hostname, arg, "host name") != 0)
			return -1;
		return 1;
	}
	return 0;
}

/* A TCP connection to host:port within the timeout, closed at once; the
 * address that answered, numeric, in addr (the daemon never resolves
 * names: a lookup has no timeout). */
static int probe(const char *host, uint16_t port, char *addr, size_t al, char *why, size_t wl)
{
	char ps[8];
	snprintf(ps, sizeof ps, "%u", port);
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *ai;
	int g = getaddrinfo(host, ps, &hints, &ai);
	if (g) {
		snprintf(why, wl, "%s", gai_strerror(g));
		return -1;
	}
	int ok = -1;
	snprintf(why, wl, "no address");
	for (struct addrinfo *a = ai; a && ok; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		int r = connect(fd, a->ai_addr, a->ai_addrlen);
		int e = r == 0 ? 0 : errno;
		if (e == EINPROGRESS) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			socklen_t sl = sizeof e;
			if (poll(&p, 1, PROBE_TIMEOUT_MS) != 1)
				e = ETIMEDOUT;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) != 0)
				e = errno;
		}
		close(fd);
		if (e == 0)
			ok = getnameinfo(a->ai_addr, a->ai_addrlen, addr, (socklen_t)al, NULL, 0,
					 NI_NUMERICHOST) == 0 ? 0 : -1;
		else
			snprintf(why, wl, "%s", strerror(e));
	}
	freeaddrinfo(ai);
	return ok;
}

int net_opts_apply(struct net_opts *n, struct rt_msg_create *cr)
{
	if (!n->url && !n->live_us && !n->hostname[0])
		return 0;
	if ((n->url & 6) && (n->url & 1)) {
		cli_error("give either --set-url or both --ctrl-url and --data-url");
		return -1;
	}
	if ((n->url & 6) && (n->url & 6) != 6) {
		cli_error("--ctrl-url and --data-url go together");
		return -1;
	}
	if (!n->url) {
		if (!n->live_us) {
			cli_error("--hostname is for a session streamed to a relayd (--set-url)");
			return -1;
		}
		/* lttng: --live alone streams to the local relayd */
		snprintf(n->host, sizeof n->host, "127.0.0.1");
		n->ctrl = RT_RELAYD_CTRL_PORT;
		n->data = RT_RELAYD_DATA_PORT;
	}
	if (cr->output[0]) {
		cli_error("-o and a relayd URL exclude each other: the relayd writes the trace");
		return -1;
	}
	snprintf(cr->hostname, sizeof cr->hostname, "%s", n->hostname);
	cr->relayd_ctrl = n->ctrl;
	cr->relayd_data = n->data;
	cr->live_us = n->live_us;
	char why[256];
	for (int i = 0; i < 2; i++) {
		uint16_t port = i ? n->data : n->ctrl;
		if (probe(i ? cr->relayd_host : n->host, port, cr->relayd_host,
			  sizeof cr->relayd_host, why, sizeof why) != 0) {
			cli_error("no lttng-relayd answers at %s:%u (%s port): %s; start one "
				  "(lttng-relayd -d) or give its URL", n->host, port,
				  i ? "data" : "control", why);
			return -1;
		}
	}
	return 0;
}
