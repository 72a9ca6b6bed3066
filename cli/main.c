/* SPDX-License-Identifier: MIT */
/* rseqtrace: the command dispatcher and the overall help. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void usage(FILE *f)
{
	fputs(
"Usage: rseqtrace [--home DIR] COMMAND [OPTION]... [ARG]...\n"
"Trace instrumented programs with per-CPU rseq buffers; read traces with babeltrace2.\n"
"\n"
"One-shot (no daemon needed):\n"
"  record [-o DIR] [-e PATTERN]... [-t CONTEXT]... -- CMD ARGS...\n"
"                   run CMD traced from its first instruction, print a summary\n"
"\n"
"Sessions (talk to your rseqtraced; start it with: rseqtraced --daemonize):\n"
"  create [NAME]    create a session (and make it current)      lttng create\n"
"  enable-channel C make a channel (its own buffers and files)   lttng enable-channel -u\n"
"  disable-channel C stop recording a channel's events          lttng disable-channel -u\n"
"  enable-event P.. record events matching patterns             lttng enable-event -u\n"
"  disable-event P.. stop recording them                        lttng disable-event -u\n"
"  add-context -t T also record T (ip, cpu_id, vuid, ...)      lttng add-context -u\n"
"  track --vpid L   record only these processes (--vuid, --vgid) lttng track -u\n"
"  untrack --vpid L stop recording them (--all: none)           lttng untrack -u\n"
"  start [NAME]     start tracing                               lttng start\n"
"  stop [NAME]      stop, flush, complete the trace on disk     lttng stop\n"
"  destroy [NAME]   stop and forget a session (trace stays)     lttng destroy\n"
"  list [NAME]      sessions, channels, counts, processes       lttng list\n"
"  status           the current session                         lttng status\n"
"  view [NAME]      babeltrace2 (or --viewer) on its trace      lttng view\n"
"  save [NAME]      save sessions to lttng's XML (-o DIR, --all) lttng save\n"
"  load [NAME]      make sessions from a saved file (-i PATH)   lttng load\n"
"  snapshot ACTION  record what a --snapshot session's buffers   lttng snapshot\n"
"                   hold; add-output, del-output, list-output\n"
"  rotate [NAME]    archive the trace so far, go on in a new     lttng rotate\n"
"                   chunk; enable-rotation --timer/--size,\n"
"                   disable-rotation\n"
"\n"
"  --mi xml         lttng's machine interface output (list, status)\n"
"  --home DIR       the daemon's socket directory (default: $RSEQTRACE_HOME,\n"
"                   else $XDG_RUNTIME_DIR/rseqtrace, else ~/.rseqtrace)\n"
"  -h, --help       this help; 'rseqtrace COMMAND --help' for a command\n"
"\n"
"Example:\n"
"  rseqtrace record -- ./examples/hello\n"
"  babeltrace2 ~/rseqtrace-traces/hello-*\n", f);
}

int main(int argc, char **argv)
{
	const char *home = NULL;
	int mi = 0;
	int i = 1;
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("rseqtrace 0.1.0 (protocol %u)\n", RT_PROTO_VERSION);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "--home") == 0 && i + 1 < argc) {
			home = argv[i + 1];
			i += 2;
			continue;
		}
		if ((strcmp(argv[i], "--mi") == 0 || strcmp(argv[i], "-m") == 0) && i + 1 < argc) {
			if (strcmp(argv[i + 1], "xml") != 0) {
				cli_error("--mi '%s': the machine interface is xml (as lttng's)", argv[i + 1]);
				return EXIT_USAGE;
			}
			mi = 1;
			i += 2;
			continue;
		}
		if (strcmp(argv[i], "--mi=xml") == 0) {
			mi = 1;
			i++;
			continue;
		}
		if (strncmp(argv[i], "--home=", 7) == 0) {
			home = argv[i] + 7;
			i++;
			continue;
		}
		cli_error("unknown option '%s'", argv[i]);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[i];
	int cargc = argc - i;
	char **cargv = argv + i;
	if (mi && strcmp(cmd, "list") != 0 && strcmp(cmd, "status") != 0) {
		cli_error("--mi xml: only list and status have machine interface output");
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "create") == 0)
		return cmd_create(cargc, cargv, home);
	if (strcmp(cmd, "enable-event") == 0)
		return cmd_rule(cargc, cargv, home, 1);
	if (strcmp(cmd, "disable-event") == 0)
		return cmd_rule(cargc, cargv, home, 0);
	if (strcmp(cmd, "enable-channel") == 0)
		return cmd_channel(cargc, cargv, home, 1);
	if (strcmp(cmd, "disable-channel") == 0)
		return cmd_channel(cargc, cargv, home, 0);
	if (strcmp(cmd, "track") == 0 || strcmp(cmd, "untrack") == 0)
		return cmd_track(cargc, cargv, home, cmd[0] == 't');
	if (strcmp(cmd, "add-context") == 0)
		return cmd_add_context(cargc, cargv, home);
	if (strcmp(cmd, "start") == 0)
		return cmd_session_op(cargc, cargv, home, RT_MSG_START);
	if (strcmp(cmd, "stop") == 0)
		return cmd_session_op(cargc, cargv, home, RT_MSG_STOP);
	if (strcmp(cmd, "destroy") == 0)
		return cmd_session_op(cargc, cargv, home, RT_MSG_DESTROY);
	if (strcmp(cmd, "list") == 0)
		return cmd_list(cargc, cargv, home, mi);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(cargc, cargv, home, mi);
	if (strcmp(cmd, "view") == 0)
		return cmd_view(cargc, cargv, home);
	if (strcmp(cmd, "save") == 0)
		return cmd_save(cargc, cargv, home);
	if (strcmp(cmd, "load") == 0)
		return cmd_load(cargc, cargv, home);
	if (strcmp(cmd, "snapshot") == 0)
		return cmd_snapshot(cargc, cargv, home);
	if (strcmp(cmd, "rotate") == 0)
		return cmd_rotation(cargc, cargv, home, RT_ROT_NOW);
	if (strcmp(cmd, "enable-rotation") == 0)
		return cmd_rotation(cargc, cargv, home, RT_ROT_ENABLE);
	if (strcmp(cmd, "disable-rotation") == 0)
		return cmd_rotation(cargc, cargv, home, RT_ROT_DISABLE);
	if (strcmp(cmd, "record") == 0) {
		if (home)
			cli_error("record runs a private daemon; --home does not apply");
		return home ? EXIT_USAGE : cmd_record(cargc, cargv);
	}
	if (strcmp(cmd, "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	cli_error("unknown command '%s'", cmd);
	usage(stderr);
	return EXIT_USAGE;
}
