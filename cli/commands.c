/* SPDX-License-Identifier: MIT */
/* create, enable-event, disable-event, track, untrack, start, stop, destroy, list. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/context.h"
#include "common/size.h"

int cli_run(const char *home, struct rt_msg_buf *b)
{
	struct client c;
	if (client_connect(&c, home) != 0)
		return EXIT_FAIL;
	char *text = NULL;
	int st = client_request(&c, b, &text);
	client_close(&c);
	if (text)
		cli_print_reply(st, text);
	free(text);
	return st == 0 ? EXIT_OK : EXIT_FAIL;
}

int cli_usage_error(const char *cmd)
{
	fprintf(stderr, "Try 'rseqtrace %s --help'.\n", cmd);
	return EXIT_USAGE;
}

/* A request that has a fixed part only. */
static int request(const char *home, uint16_t type, const void *body, size_t len)
{
	static struct rt_msg_buf b;
	rt_msg_init(&b, type, 0);
	rt_msg_put(&b, body, len);
	return cli_run(home, &b);
}

/* The optional session name after the options: at most one. */
static int session_arg(int argc, char **argv, const char *cmd, char *session, size_t n)
{
	if (argc - optind > 1) {
		cli_error("%s takes at most one session name", cmd);
		return cli_usage_error(cmd);
	}
	if (optind < argc && copy_name(session, n, argv[optind], "session name") != 0)
		return EXIT_USAGE;
	return EXIT_OK;
}


static const struct option buffer_options[] = {
	{ "buffers-uid", no_argument, 0, OPT_BUF_UID },
	{ "buffers-pid", no_argument, 0, OPT_BUF_PID },
	{ "subbuf-size", required_argument, 0, OPT_SUBBUF },
	{ "num-subbuf", required_argument, 0, OPT_NUMSUB },
	{ "clock", required_argument, 0, OPT_CLOCK },
	{ "blocking-timeout", required_argument, 0, OPT_BLOCKING },
};

int cmd_create(int argc, char **argv, const char *home)
{
	static const char help[] =
"Usage: rseqtrace create [NAME] [-o DIR] [--buffers-uid|--buffers-pid]\n"
"                        [--subbuf-size SIZE] [--num-subbuf N] [--clock monotonic|tsc]\n"
"                        [--blocking-timeout USEC|inf] [--snapshot [--no-output]]\n"
"                        [-U URL | -C URL -D URL] [--live[=USEC]] [--hostname NAME]\n"
"Create a tracing session (not started yet) and make it the current one.\n"
"  NAME                 session name (default auto-YYYYMMDD-HHMMSS)\n"
"  -o, --output DIR     where the trace goes (default\n"
"                       ~/rseqtrace-traces/NAME-YYYYMMDD-HHMMSS); file://DIR too\n"
"  --snapshot           flight recorder: buffers in overwrite mode keep the\n"
"                       latest events, nothing is written until\n"
"                       'rseqtrace snapshot record' (DIR is its snapshot output)\n"
"  --no-output          with --snapshot: no directory and no snapshot output;\n"
"                       records go where 'snapshot record DIR' or\n"
"                       'snapshot add-output' says\n"
"  --buffers-uid        one buffer per CPU shared by all your processes (default)\n"
"  --buffers-pid        buffers of their own for each process\n"
"  --subbuf-size SIZE   sub-buffer (= packet) size, a power of two, k/M suffixes\n"
"                       (default 1M per-UID, 256k per-PID)\n"
"  --num-subbuf N       sub-buffers per CPU, a power of two (default 8 per-UID,\n"
"                       4 per-PID)\n"
"  --clock CLOCK        monotonic (default) or tsc\n"
"  --blocking-timeout USEC|inf\n"
"                       a writer that finds its buffer full waits up to USEC\n"
"                       microseconds for room (inf: until there is room or the\n"
"                       session stops), then drops the event (counted); 0, the\n"
"                       default, drops at once (discard mode). Never in a writer\n"
"                       nested in a signal handler, which always discards\n"
"  -U, --set-url net://HOST[:CTRL_PORT[:DATA_PORT]]\n"
"                       stream to the lttng-relayd there (ports 5342, 5343 by\n"
"                       default) instead of writing files; it must be running\n"
"  -C, --ctrl-url tcp://HOST:PORT, -D, --data-url tcp://HOST:PORT\n"
"                       the same, the two ports given apart\n"
"  --live[=USEC]        live session: viewers (babeltrace2 -i lttng-live) see\n"
"                       events within USEC microseconds (or 500ms, 2s...;\n"
"                       default 1000000);\n"
"                       without a URL, streams to net://127.0.0.1\n"
"  --hostname NAME      the host name the relayd files the trace under\n"
"                       (default: this host's)\n"
"lttng: lttng create NAME -o DIR + lttng enable-channel -u --buffers-uid ...\n";
	struct option opts[18] = {
		{ "output", required_argument, 0, 'o' },
		{ "help", no_argument, 0, 'h' },
		{ "set-url", required_argument, 0, 'U' },
		{ "ctrl-url", required_argument, 0, 'C' },
		{ "data-url", required_argument, 0, 'D' },
		{ "live", optional_argument, 0, OPT_LIVE },
		{ "hostname", required_argument, 0, OPT_HOSTNAME },
		{ "snapshot", no_argument, 0, OPT_SNAPSHOT },
		{ "no-output", no_argument, 0, OPT_NO_OUTPUT },
	};
	_Static_assert(9 + sizeof buffer_options / sizeof buffer_options[0] < 18, "options");
	memcpy(opts + 9, buffer_options, sizeof buffer_options);
	struct rt_msg_create cr = { 0 };
	struct buffer_opts bo = { 0 };
	struct net_opts no = { 0 };
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "o:hU:C:D:", opts, NULL)) != -1) {
		if (o == 'h') {
			fputs(help, stdout);
			return EXIT_OK;
		}
		if (o == 'o') {
			if (output_arg(optarg, cr.output, sizeof cr.output) != 0)
				return EXIT_USAGE;
			continue;
		}
		if (o == OPT_SNAPSHOT || o == OPT_NO_OUTPUT) {
			cr.flags |= o == OPT_SNAPSHOT ? RT_CREATE_SNAPSHOT : RT_CREATE_NO_OUTPUT;
			continue;
		}
		uint64_t us;
		/* lttng takes `--live 2s` as `--live=2s` (its optional argument
		 * is the next word when that word is a duration). */
		if (o == OPT_LIVE && !optarg && optind < argc &&
		    rt_parse_duration_us(argv[optind], &us) == 0)
			optarg = argv[optind++];
		int r = parse_buffer_opt(o, optarg, &bo);
		if (r == 0)
			r = parse_net_opt(o, optarg, &no);
		if (r < 0)
			return EXIT_USAGE;
		if (r == 0)
			return cli_usage_error("create");
	}
	if (argc - optind > 1) {
		cli_error("create takes one session name, got '%s' too", argv[optind + 1]);
		return cli_usage_error("create");
	}
	if (optind < argc && copy_name(cr.name, sizeof cr.name, argv[optind], "session name") != 0)
		return EXIT_USAGE;
	cr.buffers = bo.buffers;
	cr.subbuf_size = bo.subbuf_size;
	cr.num_subbuf = bo.num_subbuf;
	cr.clock = bo.clock;
	cr.blocking_us = bo.blocking_us;
	if (net_opts_apply(&no, &cr) != 0)
		return EXIT_FAIL;
	return request(home, RT_MSG_CREATE, &cr, sizeof cr);
}

int cmd_rule(int argc, char **argv, const char *home, int enable)
{
	static const char enable_help[] =
"Usage: rseqtrace enable-event [-u] [-s NAME] [-c CHANNEL] PATTERN...\n"
"                              [--loglevel LEVEL | --loglevel-only LEVEL]\n"
"                              [--filter EXPR] [--exclude NAME[,NAME]...]\n"
"       rseqtrace enable-event [-u] [-s NAME] [-c CHANNEL] -a\n"
"Record the events whose names match a PATTERN ('*' matches anything:\n"
"'myprov:*', '*'), in processes running now and started later.\n"
"  -s, --session NAME      the session (default: the current one)\n"
"  -c, --channel CHANNEL   the channel (default: channel0, made if needed\n"
"                          before the first start; see enable-channel)\n"
"  -a, --all               every event (same as '*')\n"
"  --loglevel LEVEL        only events at least as severe as LEVEL\n"
"  --loglevel-only LEVEL   only events of exactly LEVEL\n"
"  -f, --filter EXPR       only hits for which EXPR is true (lttng's filter\n"
"                          grammar: fields, $ctx.vpid/vtid/procname/cpu_id/...,\n"
"                          == != < <= > >= && || ! & | ^ ~ << >> + - * / %%,\n"
"                          \"glob*\" strings); false for an event without such\n"
"                          fields. Example: --filter 'size > 4096 && name == \"a*\"'\n"
"  -x, --exclude NAMES     not these events (comma-separated names or patterns),\n"
"                          with a PATTERN that has a '*': 'prov:*' -x 'prov:noisy*'\n"
"LEVEL: 0..14 or TRACE_EMERG, TRACE_ALERT, TRACE_CRIT, TRACE_ERR, TRACE_WARNING,\n"
"TRACE_NOTICE, TRACE_INFO, TRACE_DEBUG_SYSTEM, ..., TRACE_DEBUG_LINE, TRACE_DEBUG.\n"
"The last rule of a channel that matches an event decides (see\n"
"disable-event). An event enabled in two channels is recorded in both.\n"
"lttng: lttng enable-event -u [-s NAME] [-c CHANNEL] PATTERN [--loglevel ...]\n";
	static const char disable_help[] =
"Usage: rseqtrace disable-event [-u] [-s NAME] [-c CHANNEL] PATTERN...\n"
"       rseqtrace disable-event [-u] [-s NAME] [-c CHANNEL] -a\n"
"Stop recording the events whose names match a PATTERN (added as a rule\n"
"of the channel, default channel0, that wins over earlier ones); -a\n"
"removes every rule of the channel.\n"
"lttng: lttng disable-event -u [-s NAME] [-c CHANNEL] PATTERN | -a\n";
	static const struct option opts[] = {
		{ "session", required_argument, 0, 's' },
		{ "channel", required_argument, 0, 'c' },
		{ "userspace", no_argument, 0, 'u' },
		{ "kernel", no_argument, 0, 'k' },
		{ "all", no_argument, 0, 'a' },
		{ "loglevel", required_argument, 0, OPT_LOGLEVEL },
		{ "loglevel-only", required_argument, 0, OPT_LOGLEVEL_ONLY },
		{ "filter", required_argument, 0, 'f' },
		{ "exclude", required_argument, 0, 'x' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *cmd = enable ? "enable-event" : "disable-event";
	struct rt_msg_rule r = { 0 };
	int all = 0, o;
	const char *filter = NULL, *exclude = NULL;
	optind = 1;
	while ((o = getopt_long(argc, argv, "s:c:ukahf:x:", opts, NULL)) != -1) {
		switch (o) {
		case 'f':
		case 'x':
			if (!enable) {
				cli_error("disable-event takes no --%s", o == 'f' ? "filter" : "exclude");
				return cli_usage_error(cmd);
			}
			if (o == 'f')
				filter = optarg;
			else
				exclude = optarg;
			break;
		case 's':
			if (copy_name(r.session, sizeof r.session, optarg, "session name") != 0)
				return EXIT_USAGE;
			break;
		case 'c':
			if (copy_name(r.channel, sizeof r.channel, optarg, "channel name") != 0)
				return EXIT_USAGE;
			break;
		case 'u': break;
		case 'k': return refuse_domain("-k");
		case 'a': all = 1; break;
		case OPT_LOGLEVEL:
		case OPT_LOGLEVEL_ONLY:
			if (!enable) {
				cli_error("disable-event takes no loglevel");
				return cli_usage_error(cmd);
			}
			if (r.loglevel_type != RT_LOGLEVEL_ALL) {
				cli_error("give --loglevel or --loglevel-only, once");
				return cli_usage_error(cmd);
			}
			if (parse_loglevel(optarg, &r.loglevel) != 0)
				return EXIT_USAGE;
			r.loglevel_type = o == OPT_LOGLEVEL ? RT_LOGLEVEL_RANGE : RT_LOGLEVEL_SINGLE;
			break;
		case 'h': fputs(enable ? enable_help : disable_help, stdout); return EXIT_OK;
		default: return cli_usage_error(cmd);
		}
	}
	int npat = argc - optind;
	if (all && npat) {
		cli_error("give patterns or -a, not both");
		return cli_usage_error(cmd);
	}
	if (!all && !npat) {
		cli_error("%s needs at least one event pattern (or -a for all)", cmd);
		return cli_usage_error(cmd);
	}
	if (npat > (int)RT_MAX_PATTERNS) {
		cli_error("at most %u patterns at once", RT_MAX_PATTERNS);
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++)
		if (check_pattern(argv[i]) != 0)
			return EXIT_USAGE;
	/* The exclusions, comma-separated, each a pattern. */
	char excl[RT_MAX_EXCLUSIONS][RT_PATTERN_MAX];
	for (const char *p = exclude; p && *p;) {
		size_t n = strcspn(p, ",");
		if (r.nr_exclusions == RT_MAX_EXCLUSIONS || n >= RT_PATTERN_MAX) {
			cli_error("at most %u exclusions of %u characters", RT_MAX_EXCLUSIONS,
				  RT_PATTERN_MAX - 1);
			return EXIT_USAGE;
		}
		memcpy(excl[r.nr_exclusions], p, n);
		excl[r.nr_exclusions][n] = 0;
		if (check_pattern(excl[r.nr_exclusions]) != 0)
			return EXIT_USAGE;
		r.nr_exclusions++;
		p += n + (p[n] == ',');
	}
	if (filter) {
		if (check_filter(filter) != 0)
			return EXIT_USAGE;
		r.filter_len = (uint32_t)strlen(filter) + 1;
	}
	static struct rt_msg_buf b;
	rt_msg_init(&b, enable ? RT_MSG_ENABLE : RT_MSG_DISABLE, 0);
	if (all && !enable) {
		r.flags = RT_RULE_ALL;
		rt_msg_put(&b, &r, sizeof r);
		return cli_run(home, &b);
	}
	r.count = all ? 1 : (uint32_t)npat;
	rt_msg_put(&b, &r, sizeof r);
	if (all)
		rt_msg_put(&b, "*", 2);
	for (int i = optind; i < argc; i++)
		rt_msg_put(&b, argv[i], strlen(argv[i]) + 1);
	for (uint32_t i = 0; i < r.nr_exclusions; i++)
		rt_msg_put(&b, excl[i], strlen(excl[i]) + 1);
	if (filter)
		rt_msg_put(&b, filter, r.filter_len);
	return cli_run(home, &b);
}

/* A comma-separated list of ids, appended to b; their count, or -1. */
static int put_ids(struct rt_msg_buf *b, const char *list, const char *what)
{
	int n = 0;
	for (const char *p = list; *p;) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(p, &end, 10);
		if (end == p || (*end && *end != ',') || errno || v > UINT32_MAX || *p == '-') {
			cli_error("bad %s list '%s': comma-separated numbers", what, list);
			return -1;
		}
		if (n == (int)RT_TRACK_MAX_VALUES) {
			cli_error("at most %u values at once", RT_TRACK_MAX_VALUES);
			return -1;
		}
		uint32_t x = (uint32_t)v;
		rt_msg_put(b, &x, sizeof x);
		n++;
		p = *end ? end + 1 : end;
	}
	if (!n)
		cli_error("empty %s list", what);
	return n ? n : -1;
}

int cmd_track(int argc, char **argv, const char *home, int track)
{
	static const char help[] =
"Usage: rseqtrace track|untrack [-u] [-s NAME] (--vpid | --vuid | --vgid) (LIST | --all)\n"
"Choose the processes a session records, by process ID, user ID or group ID\n"
"(lttng 2.13's process attribute trackers). A session tracks every process at\n"
"first; 'track --vpid 12,34' records those only (the list grows with each\n"
"track), 'untrack --vpid 12' takes one out, 'untrack --vpid --all' records\n"
"none, 'track --vpid --all' every one again. A process must pass all three.\n"
"An untracked process's events stay disabled in it (the disabled cost).\n"
"  -s, --session NAME   the session (default: the current one)\n"
"  -u, --userspace      accepted for lttng's sake (user space is all there is)\n"
"lttng: lttng track -u --vpid 12,34 | --all\n";
	static const struct option opts[] = {
		{ "session", required_argument, 0, 's' },
		{ "userspace", no_argument, 0, 'u' },
		{ "vpid", optional_argument, 0, OPT_VPID },
		{ "vuid", optional_argument, 0, OPT_VUID },
		{ "vgid", optional_argument, 0, OPT_VGID },
		{ "all", no_argument, 0, 'a' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *cmd = track ? "track" : "untrack";
	struct rt_msg_track t = { 0 };
	const char *list = NULL;
	int attr = -1, all = 0, o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "s:uah", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			if (copy_name(t.session, sizeof t.session, optarg, "session name") != 0)
				return EXIT_USAGE;
			break;
		case 'u': break;
		case 'a': all = 1; break;
		case OPT_VPID:
		case OPT_VUID:
		case OPT_VGID:
			if (attr >= 0) {
				cli_error("give one of --vpid, --vuid, --vgid");
				return cli_usage_error(cmd);
			}
			attr = o == OPT_VPID ? RT_TRACK_VPID : o == OPT_VUID ? RT_TRACK_VUID : RT_TRACK_VGID;
			list = optarg;
			break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: return cli_usage_error(cmd);
		}
	}
	/* --vpid 12 (a separate argument) as well as --vpid=12. */
	if (attr >= 0 && !list && optind < argc)
		list = argv[optind++];
	if (attr < 0 || !!list == all || optind < argc) {
		cli_error("%s needs one of --vpid, --vuid, --vgid with a LIST or --all", cmd);
		return cli_usage_error(cmd);
	}
	static struct rt_msg_buf b;
	rt_msg_init(&b, track ? RT_MSG_TRACK : RT_MSG_UNTRACK, 0);
	t.attr = (uint32_t)attr;
	t.flags = all ? RT_TRACK_ALL : 0;
	rt_msg_put(&b, &t, sizeof t);
	if (!all) {
		int n = put_ids(&b, list, "id");
		if (n < 0)
			return EXIT_USAGE;
		t.count = (uint32_t)n; /* known once the list is parsed: patch it in */
		memcpy(b.payload + offsetof(struct rt_msg_track, count), &t.count, sizeof t.count);
	}
	return cli_run(home, &b);
}

int cmd_add_context(int argc, char **argv, const char *home)
{
	static const char help[] =
"Usage: rseqtrace add-context [-u] [-s NAME] [-c CHANNEL] -t TYPE [-t TYPE]...\n"
"Record TYPE with every event of a channel (default: every channel of the\n"
"session, channel0 made if it has none), from the session's first start\n"
"on; a session that has been started keeps its contexts.\n"
"  -s, --session NAME   the session (default: the current one)\n"
"  -c, --channel NAME   the channel\n"
"  -t, --type TYPE      one of: " RT_CONTEXT_NAMES "\n"
"                       (repeatable, or a comma list; lttng's names and fields)\n"
"Channels record vpid, vtid and procname by default. ip is the address the\n"
"tracepoint's call returns to, in the function that traced: with the\n"
"lttng_ust_statedump:* events enabled (librseqtrace-probes.so emits them),\n"
"'babeltrace2 --debug-info TRACE' shows the binary, function and source line.\n"
"lttng: lttng add-context -u [-s NAME] [-c CHANNEL] -t ip\n";
	static const struct option opts[] = {
		{ "session", required_argument, 0, 's' },
		{ "channel", required_argument, 0, 'c' },
		{ "userspace", no_argument, 0, 'u' },
		{ "kernel", no_argument, 0, 'k' },
		{ "type", required_argument, 0, 't' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct rt_msg_context x = { 0 };
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "s:c:ukt:h", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			if (copy_name(x.session, sizeof x.session, optarg, "session name") != 0)
				return EXIT_USAGE;
			break;
		case 'c':
			if (copy_name(x.channel, sizeof x.channel, optarg, "channel name") != 0)
				return EXIT_USAGE;
			break;
		case 'u': break;
		case 'k': return refuse_domain("-k");
		case 't':
			if (parse_context(optarg, &x.contexts) != 0)
				return EXIT_USAGE;
			break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: return cli_usage_error("add-context");
		}
	}
	if (optind < argc) {
		cli_error("unexpected argument '%s' (contexts are given with -t TYPE)", argv[optind]);
		return cli_usage_error("add-context");
	}
	if (!x.contexts) {
		cli_error("add-context needs at least one -t TYPE (" RT_CONTEXT_NAMES ")");
		return cli_usage_error("add-context");
	}
	return request(home, RT_MSG_ADD_CONTEXT, &x, sizeof x);
}

int cmd_session_op(int argc, char **argv, const char *home, uint16_t type)
{
	const char *cmd = type == RT_MSG_START ? "start" : type == RT_MSG_STOP ? "stop" : "destroy";
	static const char *const helps[] = {
"Usage: rseqtrace start [NAME]\n"
"Start tracing in a session (default: the current one). Returns once every\n"
"registered process records.\nlttng: lttng start [NAME]\n",
"Usage: rseqtrace stop [NAME]\n"
"Stop tracing. Returns once every partial sub-buffer is flushed and the\n"
"trace on disk is complete and readable; prints what was recorded.\n"
"lttng: lttng stop [NAME]\n",
"Usage: rseqtrace destroy [NAME]\n"
"Stop (if needed) and destroy a session. The trace stays on disk.\n"
"lttng: lttng destroy [NAME]\n",
	};
	const char *help = helps[type == RT_MSG_START ? 0 : type == RT_MSG_STOP ? 1 : 2];
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (o == 'h') {
			fputs(help, stdout);
			return EXIT_OK;
		}
		return cli_usage_error(cmd);
	}
	struct rt_msg_session s = { 0 };
	int r = session_arg(argc, argv, cmd, s.session, sizeof s.session);
	if (r != EXIT_OK)
		return r;
	return request(home, type, &s, sizeof s);
}

int cmd_list(int argc, char **argv, const char *home, int mi)
{
	static const char help[] =
"Usage: rseqtrace [--mi xml] list [NAME] [--kv]\n"
"Show sessions (state, output directory, channels with their attributes,\n"
"event rules, traces with recorded and discarded events per stream) and the\n"
"registered processes.\n"
"  --kv        key=value lines for scripts\n"
"  --mi xml    (before list) lttng's machine interface XML\n"
"lttng: lttng [--mi xml] list [NAME]\n";
	static const struct option opts[] = {
		{ "kv", no_argument, 0, OPT_KV },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct rt_msg_session s = { 0 };
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (o == 'h') {
			fputs(help, stdout);
			return EXIT_OK;
		}
		if (o != OPT_KV)
			return cli_usage_error("list");
		s.flags |= RT_LIST_KV;
	}
	int r = session_arg(argc, argv, "list", s.session, sizeof s.session);
	if (r != EXIT_OK)
		return r;
	if (mi && (s.flags & RT_LIST_KV)) {
		cli_error("give --kv or --mi xml, not both");
		return cli_usage_error("list");
	}
	if (mi)
		return mi_list(home, s.session, 0, "list");
	return request(home, RT_MSG_LIST, &s, sizeof s);
}
