/* SPDX-License-Identifier: MIT */
/*
 * rseqtrace record -- CMD ARGS...: a private daemon in a private socket
 * directory, a session that is started before CMD runs (CMD's librseqtrace
 * registers in its constructor and waits for its buffers, so main() is
 * traced from its first line), then stop, a summary, and CMD's status.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"

#define DAEMON_START_TIMEOUT_MS 10000
#define DAEMON_EXIT_TIMEOUT_MS 30000

static const char help[] =
"Usage: rseqtrace record [-o DIR] [-n NAME] [-e PATTERN]... [-t CONTEXT]... [--loglevel LEVEL]\n"
"                        [--buffers-uid|--buffers-pid] [--subbuf-size SIZE]\n"
"                        [--num-subbuf N] [--clock monotonic|tsc]\n"
"                        [--blocking-timeout USEC|inf] [--] CMD [ARG]...\n"
"Run CMD with tracing on from its first instruction, with a private daemon,\n"
"then print a summary. Exits with CMD's status (128+N if signal N killed it).\n"
"  -o, --output DIR       trace directory (default\n"
"                         ~/rseqtrace-traces/NAME-YYYYMMDD-HHMMSS)\n"
"  -n, --name NAME        session name (default: CMD's name)\n"
"  -e, --event PATTERN    events to record (repeatable; default '*')\n"
"  -t, --context TYPE     also record TYPE with every event: ip, cpu_id,\n"
"                         pthread_id, vuid... (add-context --help lists them;\n"
"                         repeatable; vpid, vtid, procname always are)\n"
"                         -t ip: 'babeltrace2 --debug-info' then names the\n"
"                         function of each call site (see add-context --help)\n"
"  --loglevel LEVEL       only events at least as severe as LEVEL\n"
"  --loglevel-only LEVEL  only events of exactly LEVEL\n"
"  buffer options         as for 'rseqtrace create'\n"
"  -v, --verbose          show the private daemon's log at the end\n"
"Child processes of CMD are traced too (they inherit RSEQTRACE_HOME).\n"
"lttng: lttng create + enable-event + start + run + stop + destroy, in one.\n";

struct record {
	char dir[RT_PATH_MAX];       /* private socket directory */
	char log[RT_PATH_MAX + 32];
	char daemon_bin[PATH_MAX];
	pid_t daemon;
	struct client c;
	char name[RT_NAME_MAX];
	char output[RT_PATH_MAX];
	struct buffer_opts bo;
	const char *patterns[RT_MAX_PATTERNS];
	int npat;
	struct rt_msg_rule rule;
	uint32_t contexts;           /* RT_CTX_* to add, 0 for the defaults */
	int verbose;
};

static volatile sig_atomic_t child_pid;

static void forward_signal(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

static int executable(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

/* $RSEQTRACED, next to this binary, in the build tree, then $PATH. */
static int find_daemon(char *out, size_t n)
{
	const char *env = getenv("RSEQTRACED");
	if (env && *env) {
		snprintf(out, n, "%s", env);
		return executable(out) ? 0 : -1;
	}
	char self[PATH_MAX];
	ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
	if (k > 0) {
		self[k] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			static const char *const rel[] = { "rseqtraced", "../consumerd/rseqtraced" };
			for (unsigned i = 0; i < 2; i++) {
				int w = snprintf(out, n, "%s/%s", self, rel[i]);
				if (w > 0 && (size_t)w < n && executable(out))
					return 0;
			}
		}
	}
	const char *path = getenv("PATH");
	for (const char *p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p;) {
		size_t len = strcspn(p, ":");
		snprintf(out, n, "%.*s/rseqtraced", (int)len, p);
		if (len && executable(out))
			return 0;
		p += len + (p[len] == ':');
	}
	return -1;
}

static int make_private_dir(struct record *r)
{
	const char *bases[] = { getenv("XDG_RUNTIME_DIR"), getenv("TMPDIR"), "/tmp" };
	for (unsigned i = 0; i < 3; i++) {
		if (!bases[i] || bases[i][0] != '/')
			continue;
		int w = snprintf(r->dir, sizeof r->dir, "%s/rseqtrace-record-XXXXXX", bases[i]);
		if (w < 0 || (size_t)w + 1 + sizeof RT_SOCK_NAME >= sizeof(((struct sockaddr_un *)0)->sun_path))
			continue;
		if (mkdtemp(r->dir)) {
			snprintf(r->log, sizeof r->log, "%s/rseqtraced.log", r->dir);
			return 0;
		}
	}
	cli_error("cannot create a private directory for the daemon: %s", strerror(errno));
	return -1;
}

static void remove_private_dir(struct record *r, int keep_log)
{
	char p[RT_PATH_MAX + 32];
	snprintf(p, sizeof p, "%s/%s", r->dir, RT_SOCK_NAME);
	unlink(p);
	snprintf(p, sizeof p, "%s/%s", r->dir, RT_LOCK_NAME);
	unlink(p);
	if (keep_log)
		return;
	unlink(r->log);
	rmdir(r->dir);
}

static void show_log(struct record *r)
{
	FILE *f = fopen(r->log, "r");
	if (!f)
		return;
	char line[1024];
	fprintf(stderr, "rseqtrace: --- daemon log (%s) ---\n", r->log);
	while (fgets(line, sizeof line, f))
		fputs(line, stderr);
	fclose(f);
}

static int start_daemon(struct record *r)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0) {
		cli_error("pipe: %s", strerror(errno));
		return -1;
	}
	pid_t parent = getpid();
	r->daemon = fork();
	if (r->daemon < 0) {
		cli_error("fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (r->daemon == 0) {
		/* Own session: the terminal's ^C goes to CMD, not to the daemon,
		 * which must outlive CMD to finish the trace. It ends with us. */
		setsid();
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		int fd = fcntl(p[1], F_DUPFD, 3); /* without close-on-exec */
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		char fdarg[16];
		snprintf(fdarg, sizeof fdarg, "%d", fd);
		execl(r->daemon_bin, "rseqtraced", "--home", r->dir, "--ready-fd", fdarg, "--log",
		      r->log, (char *)NULL);
		fprintf(stderr, "rseqtrace: error: cannot run %s: %s\n", r->daemon_bin, strerror(errno));
		_exit(127);
	}
	close(p[1]);
	struct pollfd pf = { .fd = p[0], .events = POLLIN };
	char c = 0;
	int ok = poll(&pf, 1, DAEMON_START_TIMEOUT_MS) == 1 && read(p[0], &c, 1) == 1;
	close(p[0]);
	if (!ok) {
		cli_error("the private daemon (%s) did not start", r->daemon_bin);
		show_log(r);
		kill(r->daemon, SIGKILL);
		waitpid(r->daemon, NULL, 0);
		r->daemon = 0;
		return -1;
	}
	return 0;
}

static int stop_daemon(struct record *r)
{
	if (r->daemon <= 0)
		return 0;
	kill(r->daemon, SIGTERM);
	int st = 0;
	for (int waited = 0; waited < DAEMON_EXIT_TIMEOUT_MS; waited += 10) {
		pid_t w = waitpid(r->daemon, &st, WNOHANG);
		if (w == r->daemon) {
			r->daemon = 0;
			return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
		}
		usleep(10000);
	}
	cli_error("the private daemon did not exit; killing it");
	kill(r->daemon, SIGKILL);
	waitpid(r->daemon, NULL, 0);
	r->daemon = 0;
	return -1;
}

/* One request; prints the daemon's error if any. Returns its status. */
static int request(struct record *r, struct rt_msg_buf *b, char **text)
{
	char *t = NULL;
	int st = client_request(&r->c, b, &t);
	if (st != 0 && t)
		cli_print_reply(st, t);
	if (text)
		*text = t;
	else
		free(t);
	return st;
}

static int setup_session(struct record *r)
{
	static struct rt_msg_buf b;
	struct rt_msg_create cr = {
		.buffers = r->bo.buffers, .subbuf_size = r->bo.subbuf_size,
		.num_subbuf = r->bo.num_subbuf, .clock = r->bo.clock,
		.blocking_us = r->bo.blocking_us,
	};
	snprintf(cr.name, sizeof cr.name, "%s", r->name);
	snprintf(cr.output, sizeof cr.output, "%s", r->output);
	rt_msg_init(&b, RT_MSG_CREATE, 0);
	rt_msg_put(&b, &cr, sizeof cr);
	if (request(r, &b, NULL) != 0)
		return -1;
	if (r->contexts) {
		struct rt_msg_context x = { .contexts = r->contexts };
		rt_msg_init(&b, RT_MSG_ADD_CONTEXT, 0);
		rt_msg_put(&b, &x, sizeof x);
		if (request(r, &b, NULL) != 0)
			return -1;
	}
	rt_msg_init(&b, RT_MSG_ENABLE, 0);
	struct rt_msg_rule rule = r->rule;
	rule.count = r->npat ? (uint32_t)r->npat : 1;
	rt_msg_put(&b, &rule, sizeof rule);
	if (!r->npat)
		rt_msg_put(&b, "*", 2);
	for (int i = 0; i < r->npat; i++)
		rt_msg_put(&b, r->patterns[i], strlen(r->patterns[i]) + 1);
	if (request(r, &b, NULL) != 0)
		return -1;
	struct rt_msg_session s = { 0 };
	rt_msg_init(&b, RT_MSG_START, 0);
	rt_msg_put(&b, &s, sizeof s);
	return request(r, &b, NULL) == 0 ? 0 : -1;
}

static int run_command(char **cmd, const char *dir, int *status)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, fwd = { .sa_handler = forward_signal };
	struct sigaction old_int, old_quit, old_term, old_hup;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	sigaction(SIGTERM, &fwd, &old_term);
	sigaction(SIGHUP, &fwd, &old_hup);
	pid_t pid = fork();
	if (pid < 0) {
		cli_error("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		sigaction(SIGHUP, &old_hup, NULL);
		setenv(RT_HOME_ENV, dir, 1);
		execvp(cmd[0], cmd);
		int e = errno;
		fprintf(stderr, "rseqtrace: error: cannot run '%s': %s\n", cmd[0], strerror(e));
		_exit(e == ENOENT ? 127 : 126);
	}
	child_pid = pid;
	pid_t w;
	do
		w = waitpid(pid, status, 0);
	while (w < 0 && errno == EINTR);
	child_pid = 0;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	return w == pid ? 0 : -1;
}

static const char *kv(const char *text, const char *key, char *out, size_t n)
{
	size_t k = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, k) == 0 && p[k] == '=') {
			size_t len = strcspn(p + k + 1, "\n");
			snprintf(out, n, "%.*s", (int)len, p + k + 1);
			return out;
		}
	}
	snprintf(out, n, "?");
	return NULL;
}

static void human(char *out, size_t n, const char *bytes)
{
	unsigned long long b = strtoull(bytes, NULL, 10);
	if (b >= 10ull << 20)
		snprintf(out, n, "%.1f MiB", (double)b / (1 << 20));
	else if (b >= 10ull << 10)
		snprintf(out, n, "%.1f KiB", (double)b / (1 << 10));
	else
		snprintf(out, n, "%llu bytes", b);
}

/* stop, the summary, destroy. Returns -1 if the trace has an error. */
static int finish_session(struct record *r, const char *cmd, int status)
{
	static struct rt_msg_buf b;
	struct rt_msg_session s = { 0 };
	rt_msg_init(&b, RT_MSG_STOP, 0);
	rt_msg_put(&b, &s, sizeof s);
	char *stop_text = NULL;
	int bad = request(r, &b, &stop_text) != 0;
	free(stop_text);
	snprintf(s.session, sizeof s.session, "%s", r->name);
	s.flags = RT_LIST_KV;
	rt_msg_init(&b, RT_MSG_LIST, 0);
	rt_msg_put(&b, &s, sizeof s);
	char *text = NULL;
	if (request(r, &b, &text) == 0 && text) {
		char ev[32], di[32], by[32], pk[32], out[RT_PATH_MAX], hb[32];
		kv(text, "events", ev, sizeof ev);
		kv(text, "discarded", di, sizeof di);
		kv(text, "bytes", by, sizeof by);
		kv(text, "packets", pk, sizeof pk);
		kv(text, "output", out, sizeof out);
		human(hb, sizeof hb, by);
		if (WIFSIGNALED(status))
			fprintf(stderr, "rseqtrace: '%s' was killed by signal %d (%s)\n", cmd,
				WTERMSIG(status), strsignal(WTERMSIG(status)));
		else
			fprintf(stderr, "rseqtrace: '%s' exited with status %d\n", cmd,
				WEXITSTATUS(status));
		fprintf(stderr, "rseqtrace: %s events recorded, %s discarded, %s in %s packets\n",
			ev, di, hb, pk);
		for (const char *p = text; (p = strstr(p, "error=")); p += 6) {
			fprintf(stderr, "rseqtrace: trace error: %.*s\n", (int)strcspn(p + 6, "\n"), p + 6);
			bad = 1;
		}
		if (strcmp(pk, "0") == 0)
			fprintf(stderr, "rseqtrace: nothing recorded (is '%s' linked with librseqtrace "
					"and instrumented?)\n", cmd);
		else
			fprintf(stderr, "rseqtrace: trace in %s\nrseqtrace: view it with: babeltrace2 %s\n",
				out, out);
	} else {
		bad = 1;
	}
	free(text);
	rt_msg_init(&b, RT_MSG_DESTROY, 0);
	memset(&s, 0, sizeof s);
	snprintf(s.session, sizeof s.session, "%s", r->name);
	rt_msg_put(&b, &s, sizeof s);
	bad |= request(r, &b, NULL) != 0;
	return bad ? -1 : 0;
}

/* CMD's basename, made a valid session name. */
static void default_name(const char *cmd, char *out, size_t n)
{
	const char *base = strrchr(cmd, '/');
	base = base ? base + 1 : cmd;
	size_t i = 0;
	for (; base[i] && i < 40 && i < n - 1; i++) {
		char c = base[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			 c == '_' || ((c == '.' || c == '-') && i > 0);
		out[i] = ok ? c : '_';
	}
	out[i] = '\0';
	if (!i)
		snprintf(out, n, "record");
}

int cmd_record(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, 0, 'o' },
		{ "name", required_argument, 0, 'n' },
		{ "event", required_argument, 0, 'e' },
		{ "context", required_argument, 0, 't' },
		{ "loglevel", required_argument, 0, OPT_LOGLEVEL },
		{ "loglevel-only", required_argument, 0, OPT_LOGLEVEL_ONLY },
		{ "buffers-uid", no_argument, 0, OPT_BUF_UID },
		{ "buffers-pid", no_argument, 0, OPT_BUF_PID },
		{ "subbuf-size", required_argument, 0, OPT_SUBBUF },
		{ "num-subbuf", required_argument, 0, OPT_NUMSUB },
		{ "clock", required_argument, 0, OPT_CLOCK },
		{ "blocking-timeout", required_argument, 0, OPT_BLOCKING },
		{ "verbose", no_argument, 0, 'v' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	static struct record r;
	memset(&r, 0, sizeof r);
	r.c.fd = -1;
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "+o:n:e:t:vh", opts, NULL)) != -1) {
		switch (o) {
		case 'o':
			if (absolute_path(optarg, r.output, sizeof r.output) != 0)
				return EXIT_USAGE;
			break;
		case 'n':
			if (copy_name(r.name, sizeof r.name, optarg, "session name") != 0)
				return EXIT_USAGE;
			break;
		case 'e':
			if (check_pattern(optarg) != 0)
				return EXIT_USAGE;
			if (r.npat == (int)RT_MAX_PATTERNS) {
				cli_error("at most %u -e patterns", RT_MAX_PATTERNS);
				return EXIT_USAGE;
			}
			r.patterns[r.npat++] = optarg;
			break;
		case 't':
			if (parse_context(optarg, &r.contexts) != 0)
				return EXIT_USAGE;
			break;
		case OPT_LOGLEVEL:
		case OPT_LOGLEVEL_ONLY:
			if (r.rule.loglevel_type != RT_LOGLEVEL_ALL) {
				cli_error("give --loglevel or --loglevel-only, once");
				return EXIT_USAGE;
			}
			if (parse_loglevel(optarg, &r.rule.loglevel) != 0)
				return EXIT_USAGE;
			r.rule.loglevel_type = o == OPT_LOGLEVEL ? RT_LOGLEVEL_RANGE : RT_LOGLEVEL_SINGLE;
			break;
		case 'v': r.verbose = 1; break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: {
			int k = parse_buffer_opt(o, optarg, &r.bo);
			if (k < 0)
				return EXIT_USAGE;
			if (k == 0) {
				fprintf(stderr, "Try 'rseqtrace record --help'.\n");
				return EXIT_USAGE;
			}
		}
		}
	}
	if (optind >= argc) {
		cli_error("record needs a command to run: rseqtrace record [OPTIONS] -- CMD [ARG]...");
		return EXIT_USAGE;
	}
	char **cmd = argv + optind;
	if (!r.name[0])
		default_name(cmd[0], r.name, sizeof r.name);
	if (find_daemon(r.daemon_bin, sizeof r.daemon_bin) != 0) {
		cli_error("cannot find rseqtraced (looked at $RSEQTRACED, next to rseqtrace, and in $PATH)");
		return EXIT_FAIL;
	}
	if (make_private_dir(&r) != 0)
		return EXIT_FAIL;
	if (start_daemon(&r) != 0) {
		remove_private_dir(&r, 1);
		return EXIT_FAIL;
	}
	if (client_connect(&r.c, r.dir) != 0 || setup_session(&r) != 0) {
		client_close(&r.c);
		stop_daemon(&r);
		remove_private_dir(&r, 0);
		return EXIT_FAIL; /* CMD was not run */
	}
	int status = 0;
	if (run_command(cmd, r.dir, &status) != 0) {
		client_close(&r.c);
		stop_daemon(&r);
		remove_private_dir(&r, 0);
		return EXIT_FAIL;
	}
	int bad = finish_session(&r, cmd[0], status);
	client_close(&r.c);
	bad |= stop_daemon(&r);
	if (r.verbose || bad)
		show_log(&r);
	remove_private_dir(&r, 0);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
