/* SPDX-License-Identifier: MIT */
/* enable-channel, disable-channel: lttng's flags and names. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/size.h"

/* A timer period (rt_parse_duration_us). */
static int parse_period(const char *opt, const char *arg, uint32_t *us)
{
	uint64_t v;
	if (rt_parse_duration_us(arg, &v) != 0 || v > UINT32_MAX) {
		cli_error("--%s '%s': give a period in microseconds (or with us, ms, s, m, h), at "
			  "most %u us", opt, arg, UINT32_MAX);
		return -1;
	}
	*us = (uint32_t)v;
	return 0;
}

static int parse_count(const char *opt, const char *arg, uint64_t max, uint64_t *out)
{
	if (rt_parse_size(arg, out) != 0 || *out > max) {
		cli_error("--%s '%s': not a size or count (examples: 4096, 64k, 1M)", opt, arg);
		return -1;
	}
	return 0;
}

/* Sets one attribute of c from option o; -1 on a bad value. */
static int channel_opt(int o, const char *arg, struct rt_msg_channel *c)
{
	struct buffer_opts bo = { 0 };
	uint64_t v;
	switch (o) {
	case OPT_DISCARD:
	case OPT_OVERWRITE:
		c->set |= RT_CHA_OVERWRITE;
		c->overwrite = o == OPT_OVERWRITE;
		return 0;
	case OPT_BUF_UID:
	case OPT_BUF_PID:
		c->set |= RT_CHA_BUFFERS;
		c->buffers = o == OPT_BUF_PID ? RT_BUFFERS_PID : RT_BUFFERS_UID;
		return 0;
	case OPT_SUBBUF:
	case OPT_NUMSUB:
		if (parse_buffer_opt(o, arg, &bo) < 0)
			return -1;
		c->set |= o == OPT_SUBBUF ? RT_CHA_SUBBUF : RT_CHA_NUM_SUBBUF;
		*(o == OPT_SUBBUF ? &c->subbuf_size : &c->num_subbuf) =
			o == OPT_SUBBUF ? bo.subbuf_size : bo.num_subbuf;
		return 0;
	case OPT_BLOCKING:
		if (parse_buffer_opt(o, arg, &bo) < 0)
			return -1;
		c->set |= RT_CHA_BLOCKING;
		c->blocking_us = bo.blocking_us;
		return 0;
	case OPT_SWITCH_TIMER:
		c->set |= RT_CHA_SWITCH_TIMER;
		return parse_period("switch-timer", arg, &c->switch_timer_us);
	case OPT_READ_TIMER:
		c->set |= RT_CHA_READ_TIMER;
		return parse_period("read-timer", arg, &c->read_timer_us);
	case OPT_MONITOR_TIMER:
		c->set |= RT_CHA_MONITOR_TIMER;
		return parse_period("monitor-timer", arg, &c->monitor_timer_us);
	case OPT_TRACEFILE_SIZE:
		c->set |= RT_CHA_TRACEFILE_SIZE;
		return parse_count("tracefile-size", arg, UINT64_MAX, &c->tracefile_size);
	case OPT_TRACEFILE_COUNT:
		if (parse_count("tracefile-count", arg, UINT32_MAX, &v) != 0)
			return -1;
		c->set |= RT_CHA_TRACEFILE_COUNT;
		c->tracefile_count = (uint32_t)v;
		return 0;
	case OPT_OUTPUT_TYPE:
		if (strcmp(arg, "mmap") == 0)
			return 0;
		cli_error("--output '%s': rseqtrace channels are mmap only", arg);
		return -1;
	case OPT_BUF_GLOBAL:
		return refuse_domain("--buffers-global");
	}
	return -1;
}

int cmd_channel(int argc, char **argv, const char *home, int enable)
{
	static const char enable_help[] =
"Usage: rseqtrace enable-channel [-u] [-s NAME] [--discard | --overwrite]\n"
"           [--buffers-uid | --buffers-pid] [--subbuf-size SIZE] [--num-subbuf N]\n"
"           [--switch-timer US] [--read-timer US] [--monitor-timer US]\n"
"           [--blocking-timeout US|inf] [--tracefile-size SIZE]\n"
"           [--tracefile-count N] CHANNEL[,CHANNEL]...\n"
"Make a channel (its own buffers and stream files CHANNEL_<cpu> in the\n"
"session's trace), or enable a disabled one again. Channels are made\n"
"before the session's first start; their attributes never change.\n"
"  -s, --session NAME      the session (default: the current one)\n"
"  --discard               a full buffer drops new events (the default)\n"
"  --overwrite             a full buffer overwrites its oldest packet (the default\n"
"                          in a --snapshot session; packets lost show as a gap)\n"
"  --buffers-uid|--buffers-pid  one buffer type per session (default: create's)\n"
"  --subbuf-size SIZE      sub-buffer size, a power of two, k/M suffixes\n"
"  --num-subbuf N          sub-buffers per buffer, a power of two\n"
"  --switch-timer, --read-timer, --monitor-timer US\n"
"                          lttng's timer periods (us, or with us/ms/s/m/h):\n"
"                          kept, shown and saved; the drain threads wake on\n"
"                          their own\n"
"  --blocking-timeout US|inf  a writer waits that long for room (0: discard;\n"
"                          us, or with us/ms/s/m/h)\n"
"  --tracefile-size SIZE   stream files CHANNEL_<cpu>_<n> of at most SIZE bytes\n"
"  --tracefile-count N     at most N of them per stream, the oldest removed\n"
"lttng: lttng enable-channel -u [-s NAME] ... CHANNEL\n";
	static const char disable_help[] =
"Usage: rseqtrace disable-channel [-u] [-s NAME] CHANNEL[,CHANNEL]...\n"
"Stop recording the events of a channel (its rules stay; enable-channel\n"
"CHANNEL records them again).\n"
"lttng: lttng disable-channel -u [-s NAME] CHANNEL\n";
	static const struct option opts[] = {
		{ "session", required_argument, 0, 's' },
		{ "userspace", no_argument, 0, 'u' },
		{ "kernel", no_argument, 0, 'k' },
		{ "help", no_argument, 0, 'h' },
		{ "discard", no_argument, 0, OPT_DISCARD },
		{ "overwrite", no_argument, 0, OPT_OVERWRITE },
		{ "buffers-uid", no_argument, 0, OPT_BUF_UID },
		{ "buffers-pid", no_argument, 0, OPT_BUF_PID },
		{ "buffers-global", no_argument, 0, OPT_BUF_GLOBAL },
		{ "subbuf-size", required_argument, 0, OPT_SUBBUF },
		{ "num-subbuf", required_argument, 0, OPT_NUMSUB },
		{ "switch-timer", required_argument, 0, OPT_SWITCH_TIMER },
		{ "read-timer", required_argument, 0, OPT_READ_TIMER },
		{ "monitor-timer", required_argument, 0, OPT_MONITOR_TIMER },
		{ "blocking-timeout", required_argument, 0, OPT_BLOCKING },
		{ "tracefile-size", required_argument, 0, OPT_TRACEFILE_SIZE },
		{ "tracefile-count", required_argument, 0, OPT_TRACEFILE_COUNT },
		{ "output", required_argument, 0, OPT_OUTPUT_TYPE },
		{ 0, 0, 0, 0 },
	};
	const char *cmd = enable ? "enable-channel" : "disable-channel";
	struct rt_msg_channel c = { 0 };
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "s:ukh", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			if (copy_name(c.session, sizeof c.session, optarg, "session name") != 0)
				return EXIT_USAGE;
			break;
		case 'u': break;
		case 'k': return refuse_domain("-k");
		case 'h': fputs(enable ? enable_help : disable_help, stdout); return EXIT_OK;
		case '?': return cli_usage_error(cmd);
		default:
			if (!enable) {
				cli_error("disable-channel takes no channel attributes");
				return cli_usage_error(cmd);
			}
			if (channel_opt(o, optarg, &c) != 0)
				return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		cli_error("%s needs one channel name (or a comma-separated list)", cmd);
		return cli_usage_error(cmd);
	}
	/* CHANNEL[,CHANNEL]...: checked first, then one request each. */
	char *list = argv[optind], *save = NULL;
	for (char *p = list; *p; p++)
		if (*p == ',' && (p == list || p[1] == ',' || !p[1])) {
			cli_error("empty channel name in '%s'", list);
			return EXIT_USAGE;
		}
	int status = EXIT_OK;
	for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		if (copy_name(c.channel, sizeof c.channel, name, "channel name") != 0)
			return EXIT_USAGE;
		static struct rt_msg_buf b;
		rt_msg_init(&b, enable ? RT_MSG_ENABLE_CHANNEL : RT_MSG_DISABLE_CHANNEL, 0);
		rt_msg_put(&b, &c, sizeof c);
		if (cli_run(home, &b) != EXIT_OK)
			status = EXIT_FAIL;
	}
	return status;
}
