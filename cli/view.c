/* SPDX-License-Identifier: MIT */
/* status (the current session, as lttng status) and view (a viewer on a
 * session's trace, as lttng view). */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/model.h"

int cmd_status(int argc, char **argv, const char *home, int mi)
{
	static const char help[] =
"Usage: rseqtrace [--mi xml] status\n"
"Show the current session as 'rseqtrace list NAME' does: its channels with\n"
"their attributes, event rules, traces and per-stream counts.\n"
"lttng: lttng status\n";
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
		return cli_usage_error("status");
	}
	if (optind < argc) {
		cli_error("status takes no argument (it shows the current session; see list NAME)");
		return cli_usage_error("status");
	}
	if (mi)
		return mi_list(home, "", 1, "status");
	static struct rt_msg_buf b;
	struct rt_msg_session s = { .flags = RT_LIST_CURRENT };
	rt_msg_init(&b, RT_MSG_LIST, 0);
	rt_msg_put(&b, &s, sizeof s);
	return cli_run(home, &b);
}

/* Runs viewer (a command line: words split on spaces, as lttng does) on
 * path; does not return unless it cannot be run. */
static int run_viewer(const char *viewer, const char *path)
{
	char *copy = strdup(viewer), *save = NULL;
	char *args[64];
	int n = 0;
	for (char *w = copy ? strtok_r(copy, " ", &save) : NULL; w && n < 62;
	     w = strtok_r(NULL, " ", &save))
		args[n++] = w;
	if (!n) {
		cli_error("--viewer: empty command");
		return EXIT_USAGE;
	}
	args[n++] = (char *)path;
	args[n] = NULL;
	fflush(stdout);
	execvp(args[0], args);
	cli_error("cannot run the viewer '%s': %m (install babeltrace2, or give --viewer CMD)",
		  args[0]);
	free(copy);
	return EXIT_FAIL;
}

int cmd_view(int argc, char **argv, const char *home)
{
	static const char help[] =
"Usage: rseqtrace view [NAME] [-e|--viewer CMD] [-t|--trace-path PATH]\n"
"Run a trace viewer (default babeltrace2) on a session's trace (default: the\n"
"current session), once it is stopped.\n"
"  -e, --viewer CMD       the viewer command line; the trace path is appended\n"
"  -t, --trace-path PATH  view this trace directory instead\n"
"lttng: lttng view [NAME] [--viewer CMD] [--trace-path PATH]\n";
	static const struct option opts[] = {
		{ "viewer", required_argument, 0, 'e' },
		{ "trace-path", required_argument, 0, 't' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *viewer = "babeltrace2", *path = NULL;
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "e:t:h", opts, NULL)) != -1) {
		switch (o) {
		case 'e': viewer = optarg; break;
		case 't': path = optarg; break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: return cli_usage_error("view");
		}
	}
	char name[RT_NAME_MAX] = "";
	if (argc - optind > 1 || (optind < argc && path)) {
		cli_error("view takes one session name, or --trace-path");
		return cli_usage_error("view");
	}
	if (optind < argc && copy_name(name, sizeof name, argv[optind], "session name") != 0)
		return EXIT_USAGE;
	if (path)
		return run_viewer(viewer, path);
	struct m_list l;
	if (model_fetch(home, name, 1, &l) != 0)
		return EXIT_FAIL;
	if (l.nr != 1) {
		model_free(&l);
		cli_error("the daemon's list names no session");
		return EXIT_FAIL;
	}
	struct m_session *s = &l.sessions[0];
	int r;
	if (strcmp(s->state, "active") == 0) {
		cli_error("session %s is active: stop it first (rseqtrace stop %s); its trace is "
			  "complete once stopped", s->name, s->name);
		r = EXIT_FAIL;
	} else if (strcmp(s->state, "created") == 0) {
		cli_error("session %s was never started: it has no trace yet", s->name);
		r = EXIT_FAIL;
	} else {
		char out[RT_PATH_MAX];
		snprintf(out, sizeof out, "%s", s->output);
		model_free(&l);
		return run_viewer(viewer, out);
	}
	model_free(&l);
	return r;
}
