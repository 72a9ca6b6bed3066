/* SPDX-License-Identifier: MIT */
/* rotate, enable-rotation, disable-rotation (lttng's). */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/size.h"

static const char rotate_help[] =
"Usage: rseqtrace rotate [--no-wait] [SESSION]\n"
"Archive the session's trace so far: its files become a self-contained trace in\n"
"OUTPUT/archives/BEGIN-END-ID (lttng's names), and tracing goes on into a new\n"
"chunk, OUTPUT/BEGIN-ID, with nothing lost or written twice. Prints the archive's\n"
"path once it is complete. Once per stop for a stopped session.\n"
"  -n, --no-wait  return once the rotation is started, without the path; until\n"
"                 it is complete, 'rseqtrace list SESSION' shows it ongoing\n"
"                 and the session's other commands are refused as busy\n"
"lttng: lttng rotate [--no-wait] [SESSION]\n";

static const char enable_help[] =
"Usage: rseqtrace enable-rotation [-s SESSION] [--timer USEC] [--size SIZE]\n"
"Rotate the session automatically: every USEC microseconds (or 10s, 1h...),\n"
"and/or whenever its current chunk has SIZE bytes (k, M, G) written (checked\n"
"on the drain timer).\n"
"lttng: lttng enable-rotation [-s SESSION] [--timer=USEC] [--size=SIZE]\n";

static const char disable_help[] =
"Usage: rseqtrace disable-rotation [-s SESSION] [--timer] [--size]\n"
"Remove the session's timer and/or size rotation schedule.\n"
"lttng: lttng disable-rotation [-s SESSION] [--timer] [--size]\n";

static int send_rotate(const char *home, const struct rt_msg_rotate *r)
{
	static struct rt_msg_buf b;
	rt_msg_init(&b, RT_MSG_ROTATE, 0);
	rt_msg_put(&b, r, sizeof *r);
	return cli_run(home, &b);
}

static int usage(const char *cmd)
{
	fprintf(stderr, "Try 'rseqtrace %s --help'.\n", cmd);
	return EXIT_USAGE;
}

int cmd_rotation(int argc, char **argv, const char *home, int action)
{
	const char *cmd = action == RT_ROT_NOW ? "rotate" : action == RT_ROT_ENABLE ?
			  "enable-rotation" : "disable-rotation";
	const char *help = action == RT_ROT_NOW ? rotate_help : action == RT_ROT_ENABLE ?
			   enable_help : disable_help;
	int has_arg = action == RT_ROT_ENABLE ? required_argument : no_argument;
	struct option opts[] = {
		{ "session", required_argument, 0, 's' },
		{ "timer", has_arg, 0, 't' },
		{ "size", has_arg, 0, 'z' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
		{ 0, 0, 0, 0 },
	};
	if (action == RT_ROT_NOW) {
		opts[0] = opts[3];
		opts[1] = (struct option){ "no-wait", no_argument, 0, 'n' };
		opts[2] = opts[4];
	}
	struct rt_msg_rotate r = { .action = (uint32_t)action };
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, action == RT_ROT_NOW ? "nh" : "s:h", opts, NULL)) != -1) {
		switch (o) {
		case 'n':
			r.flags |= RT_ROTATE_NO_WAIT;
			break;
		case 's':
			if (copy_name(r.session, sizeof r.session, optarg, "session name") != 0)
				return EXIT_USAGE;
			break;
		case 't':
		case 'z':
			if (action == RT_ROT_DISABLE) {
				*(o == 't' ? &r.timer_us : &r.size) = 1;
				break;
			}
			uint64_t v;
			if (o == 't') {
				if (rt_parse_duration_us(optarg, &v) != 0 || v == 0) {
					cli_error("--timer '%s': give a period in microseconds (or with "
						  "us, ms, s, m, h)", optarg);
					return EXIT_USAGE;
				}
			} else if (rt_parse_size(optarg, &v) != 0 || v == 0) {
				cli_error("--size '%s': not a size (examples: 64k, 16M, 1G)", optarg);
				return EXIT_USAGE;
			}
			*(o == 't' ? &r.timer_us : &r.size) = v;
			break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: return usage(cmd);
		}
	}
	if (action == RT_ROT_NOW) {
		if (argc - optind > 1) {
			cli_error("rotate takes at most one session name");
			return usage(cmd);
		}
		if (optind < argc &&
		    copy_name(r.session, sizeof r.session, argv[optind], "session name") != 0)
			return EXIT_USAGE;
	} else if (optind < argc || (!r.timer_us && !r.size)) {
		cli_error("%s needs --timer and/or --size", cmd);
		return usage(cmd);
	}
	return send_rotate(home, &r);
}
