/* SPDX-License-Identifier: MIT */
/* snapshot record | add-output | del-output | list-output (lttng snapshot). */
#define _GNU_SOURCE
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/size.h"
#include "common/url.h"

static const char help[] =
"Usage: rseqtrace snapshot record [-s SESSION] [-n NAME] [-m SIZE] [DIR | -C URL -D URL]\n"
"       rseqtrace snapshot add-output [-s SESSION] [-n NAME] [-m SIZE] DIR | -C URL -D URL\n"
"       rseqtrace snapshot del-output [-s SESSION] ID\n"
"       rseqtrace snapshot list-output [-s SESSION]\n"
"Flight recorder, for a session made with 'rseqtrace create NAME --snapshot':\n"
"record writes what its buffers hold now as a complete trace in a new\n"
"directory NAME-YYYYMMDD-HHMMSS-N below DIR, or below the session's snapshot\n"
"output (by default its -o directory, named snapshot-1). The traced programs\n"
"go on meanwhile; packets they overwrite during the copy are left out.\n"
"  -s, --session SESSION  the session (default: the current one)\n"
"  -n, --name NAME        the output's name (the directory's prefix)\n"
"  -m, --max-size SIZE    at most SIZE bytes (k, M, G), shared by the buffers;\n"
"                         the newest packets are kept\n"
"  DIR                    a directory, or file://DIR, or net://HOST[:CTRL[:DATA]]:\n"
"                         an lttng-relayd, which files it under\n"
"                         HOSTNAME/SESSION-DATE/NAME-DATE-N/\n"
"  -C, --ctrl-url tcp://HOST:PORT, -D, --data-url tcp://HOST:PORT\n"
"                         the relayd's two ports given apart\n"
"lttng: lttng snapshot record|add-output|del-output|list-output, same options\n";

/* -C tcp://HOST:PORT -D tcp://HOST:PORT as one net://HOST:CTRL:DATA. */
static int ctrl_data_url(const char *ctrl_url, const char *data_url, char *out, size_t n)
{
	char host[RT_HOST_MAX], other[RT_HOST_MAX];
	uint16_t c, d, unused;
	if (!ctrl_url || !data_url) {
		cli_error("--ctrl-url and --data-url go together");
		return -1;
	}
	if (rt_parse_relayd_url(ctrl_url, host, sizeof host, &c, &unused) != 0 ||
	    strncmp(ctrl_url, "tcp", 3) != 0 ||
	    rt_parse_relayd_url(data_url, other, sizeof other, &unused, &d) != 0 ||
	    strncmp(data_url, "tcp", 3) != 0) {
		cli_error("bad URL '%s' or '%s': use tcp://HOST:PORT", ctrl_url, data_url);
		return -1;
	}
	if (strcmp(host, other) != 0) {
		cli_error("%s: the control and data URLs must name one host (%s)", data_url, host);
		return -1;
	}
	int v6 = strchr(host, ':') != NULL;
	int w = snprintf(out, n, "net://%s%s%s:%u:%u", v6 ? "[" : "", host, v6 ? "]" : "", c, d);
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

/* net://HOST[:CTRL[:DATA]] as the daemon takes it: both ports, and the
 * host's address (the daemon resolves no names: a lookup has no timeout). */
int snapshot_net_output(const char *in, char *out, size_t n)
{
	char host[RT_HOST_MAX], addr[NI_MAXHOST];
	uint16_t ctrl, data;
	if (rt_parse_relayd_url(in, host, sizeof host, &ctrl, &data) != 0 ||
	    strncmp(in, "net", 3) != 0) {
		cli_error("bad URL '%s': use net://HOST[:CTRL_PORT[:DATA_PORT]]", in);
		return -1;
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	int g = getaddrinfo(host, NULL, &hints, &ai);
	if (g) {
		cli_error("%s: %s", host, gai_strerror(g));
		return -1;
	}
	g = getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof addr, NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(ai);
	if (g) {
		cli_error("%s: %s", host, gai_strerror(g));
		return -1;
	}
	int v6 = strchr(addr, ':') != NULL;
	int w = snprintf(out, n, "net://%s%s%s:%u:%u", v6 ? "[" : "", addr, v6 ? "]" : "", ctrl, data);
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

static int usage(void)
{
	fprintf(stderr, "Try 'rseqtrace snapshot --help'.\n");
	return EXIT_USAGE;
}

int cmd_snapshot(int argc, char **argv, const char *home)
{
	static const struct option opts[] = {
		{ "session", required_argument, 0, 's' },
		{ "name", required_argument, 0, 'n' },
		{ "max-size", required_argument, 0, 'm' },
		{ "ctrl-url", required_argument, 0, 'C' },
		{ "data-url", required_argument, 0, 'D' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(help, stdout);
		return EXIT_OK;
	}
	if (argc < 2) {
		cli_error("snapshot needs an action: record, add-output, del-output or list-output");
		return usage();
	}
	static const char *const actions[] = { "record", "add-output", "del-output", "list-output" };
	struct rt_msg_snapshot m = { 0 };
	uint32_t a = 0;
	while (a < 4 && strcmp(argv[1], actions[a]) != 0)
		a++;
	if (a == 4) {
		cli_error("unknown snapshot action '%s'", argv[1]);
		return usage();
	}
	m.action = a;
	int o;
	const char *ctrl_url = NULL, *data_url = NULL;
	optind = 1;
	argc--, argv++;
	while ((o = getopt_long(argc, argv, "s:n:m:C:D:h", opts, NULL)) != -1) {
		switch (o) {
		case 'C': ctrl_url = optarg; break;
		case 'D': data_url = optarg; break;
		case 's':
			if (copy_name(m.session, sizeof m.session, optarg, "session name") != 0)
				return EXIT_USAGE;
			break;
		case 'n':
			if (copy_name(m.name, sizeof m.name, optarg, "output name") != 0)
				return EXIT_USAGE;
			break;
		case 'm':
			if (rt_parse_size(optarg, &m.max_size) != 0 || m.max_size == 0) {
				cli_error("--max-size '%s': not a size (examples: 64k, 16M, 1G)", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: return usage();
		}
	}
	int nargs = argc - optind, urls = ctrl_url || data_url;
	if ((urls && (nargs || (a != RT_SNAP_RECORD && a != RT_SNAP_ADD_OUTPUT))) ||
	    (a == RT_SNAP_ADD_OUTPUT && !urls && nargs != 1) ||
	    (a == RT_SNAP_LIST_OUTPUT && (nargs || m.name[0] || m.max_size)) ||
	    (a == RT_SNAP_DEL_OUTPUT && (nargs != 1 || m.name[0] || m.max_size)) ||
	    (a == RT_SNAP_RECORD && nargs > 1)) {
		cli_error("wrong arguments for snapshot %s", actions[a]);
		return usage();
	}
	if (a == RT_SNAP_DEL_OUTPUT) {
		char *end;
		unsigned long id = strtoul(argv[optind], &end, 10);
		if (!*argv[optind] || *end || id == 0 || id > UINT32_MAX) {
			cli_error("del-output needs the output's id (see: rseqtrace snapshot list-output)");
			return EXIT_USAGE;
		}
		m.id = (uint32_t)id;
	} else if (urls) {
		char url[300];
		if (ctrl_data_url(ctrl_url, data_url, url, sizeof url) != 0 ||
		    snapshot_net_output(url, m.output, sizeof m.output) != 0)
			return EXIT_USAGE;
	} else if (nargs && (strncmp(argv[optind], "net", 3) == 0
			     ? snapshot_net_output(argv[optind], m.output, sizeof m.output)
			     : output_arg(argv[optind], m.output, sizeof m.output)) != 0) {
		return EXIT_USAGE;
	}
	static struct rt_msg_buf b;
	rt_msg_init(&b, RT_MSG_SNAPSHOT, 0);
	rt_msg_put(&b, &m, sizeof m);
	return cli_run(home, &b);
}
