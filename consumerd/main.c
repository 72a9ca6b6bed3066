/* SPDX-License-Identifier: MIT */
/* rseqtraced: command line, daemonizing, and the event loop's start. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/size.h"
#include "consumerd/daemon.h"
#include "consumerd/drain.h"
#include "consumerd/log.h"
#include "protocol/codec.h"

static void usage(FILE *f)
{
	fprintf(f,
"Usage: rseqtraced [OPTION]...\n"
"The rseqtrace session daemon: one per user. It owns tracing sessions and\n"
"their shared-memory buffers, hands buffers to instrumented applications,\n"
"and writes CTF traces that babeltrace2 reads. Runs in the foreground\n"
"unless --daemonize is given. SIGTERM or SIGINT stops every session,\n"
"flushes its buffers and leaves readable traces.\n"
"\n"
"  -d, --daemonize        detach; return once the socket is ready\n"
"  -l, --log FILE         log to FILE (default: stderr; with --daemonize,\n"
"                         DIR/rseqtraced.log)\n"
"      --home DIR         socket directory (default: $%s, else\n"
"                         $XDG_RUNTIME_DIR/rseqtrace, else ~/.rseqtrace)\n"
"      --drain-max-ms N   longest drain period while a session is started\n"
"                         (default 200); the period halves down to\n"
"      --drain-min-ms N   (default 1) while buffers fill up\n"
"      --drain-threads N  threads writing traces to disk (default: one per\n"
"                         online CPU, at most 16)\n"
"      --drain-nice N     the drain threads' nice value, -20..19 (default -10:\n"
"                         ahead of the traced programs where the system\n"
"                         allows it, e.g. as root; 0: the daemon's own)\n"
"      --no-writer-wakeup drain on the timer only: writers never wake the\n"
"                         daemon when half a buffer is ready (for comparison)\n"
"      --ack-timeout-ms N how long start/stop wait for applications (default 2000)\n"
"      --peer-timeout-ms N close a connection that sends no request, or does\n"
"                         not read its answer, for N ms (default 5000)\n"
"      --max-buffer-memory SIZE\n"
"                         shared buffers of all sessions together (default\n"
"                         $%s, else half of the RAM: %llu MiB here);\n"
"                         what would pass it is refused\n"
"      --max-app-events N event descriptions kept per application (default\n"
"                         %u); the application is told about the others\n"
"      --direct-io        write stream files with O_DIRECT where the file\n"
"                         system allows it: about 40 %% less CPU per event,\n"
"                         but a drain waits for the device, so a disk that\n"
"                         other writers keep busy loses events sooner\n"
"      --max-metadata SIZE\n"
"                         metadata of one trace (default %llu MiB); event\n"
"                         classes past it are not recorded\n"
"  -v, --verbose          log debug messages\n"
"  -q, --quiet            log errors and warnings only\n"
"      --ready-fd N       write one byte to descriptor N once listening\n"
"  -h, --help             this help\n"
"      --version          print the version\n"
"\n"
"The lttng equivalent is lttng-sessiond (+ lttng-consumerd).\n", RT_HOME_ENV,
		MAX_BUFFER_MEMORY_ENV, (unsigned long long)(default_buffer_memory() >> 20),
		DEFAULT_MAX_APP_EVENTS, (unsigned long long)(DEFAULT_MAX_METADATA >> 20));
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* A size (512M, 4G, 65536) of at least one page. */
static int parse_size_opt(const char *s, uint64_t *out)
{
	return rt_parse_size(s, out) != 0 || *out < 4096 ? -1 : 0;
}

/* Forks twice; the original process waits for the daemon to be listening
 * (or to fail) and exits with that status. Returns the write end of the
 * readiness pipe in the daemon. */
static int daemonize(void)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0) {
		perror("rseqtraced: pipe");
		exit(1);
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("rseqtraced: fork");
		exit(1);
	}
	if (pid > 0) {
		close(p[1]);
		char c;
		ssize_t n = read(p[0], &c, 1);
		waitpid(pid, NULL, 0);
		exit(n == 1 ? 0 : 1);
	}
	close(p[0]);
	if (setsid() < 0)
		_exit(1);
	pid = fork();
	if (pid != 0)
		_exit(pid < 0);
	if (chdir("/") != 0)
		_exit(1);
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		if (null > 1)
			close(null);
	}
	return p[1];
}

int main(int argc, char **argv)
{
	enum { O_HOME = 256, O_DMIN, O_DMAX, O_ACK, O_READY, O_VERSION, O_NOWAKE, O_PEER,
	       O_MAXMEM, O_MAXEV, O_MAXMETA, O_DTHREADS, O_DIRECTIO, O_DNICE };
	static const struct option opts[] = {
		{ "daemonize", no_argument, 0, 'd' },
		{ "log", required_argument, 0, 'l' },
		{ "home", required_argument, 0, O_HOME },
		{ "drain-min-ms", required_argument, 0, O_DMIN },
		{ "drain-max-ms", required_argument, 0, O_DMAX },
		{ "ack-timeout-ms", required_argument, 0, O_ACK },
		{ "ready-fd", required_argument, 0, O_READY },
		{ "verbose", no_argument, 0, 'v' },
		{ "quiet", no_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' },
		{ "version", no_argument, 0, O_VERSION },
		{ "no-writer-wakeup", no_argument, 0, O_NOWAKE },
		{ "peer-timeout-ms", required_argument, 0, O_PEER },
		{ "max-buffer-memory", required_argument, 0, O_MAXMEM },
		{ "max-app-events", required_argument, 0, O_MAXEV },
		{ "max-metadata", required_argument, 0, O_MAXMETA },
		{ "drain-threads", required_argument, 0, O_DTHREADS },
		{ "direct-io", no_argument, 0, O_DIRECTIO },
		{ "drain-nice", required_argument, 0, O_DNICE },
		{ 0, 0, 0, 0 },
	};
	struct daemon_config cfg = {
		.drain_min_ms = 1, .drain_max_ms = 200, .ack_timeout_ms = 2000, .ready_fd = -1,
		.drain_nice = -10,
	};
	const char *log_path = NULL, *home = NULL;
	const char *max_mem = getenv(MAX_BUFFER_MEMORY_ENV);
	int detach = 0, level = LOG_INFO, o, max_events = DEFAULT_MAX_APP_EVENTS, threads = 0;
	if (max_mem && !*max_mem)
		max_mem = NULL;
	while ((o = getopt_long(argc, argv, "dl:vqh", opts, NULL)) != -1) {
		int bad = 0;
		const char *name = NULL;
		switch (o) {
		case 'd': detach = 1; break;
		case 'l': log_path = optarg; break;
		case O_HOME: home = optarg; break;
		case O_DMIN: bad = parse_int(optarg, 1, 60000, &cfg.drain_min_ms); break;
		case O_DMAX: bad = parse_int(optarg, 1, 60000, &cfg.drain_max_ms); break;
		case O_ACK: bad = parse_int(optarg, 1, 600000, &cfg.ack_timeout_ms); break;
		case O_READY: bad = parse_int(optarg, 0, 1 << 20, &cfg.ready_fd); break;
		case O_PEER: bad = parse_int(optarg, 1, 600000, &cfg.peer_timeout_ms); break;
		case 'v': level = LOG_DEBUG; break;
		case 'q': level = LOG_WARN; break;
		case 'h': usage(stdout); return 0;
		case O_NOWAKE: cfg.no_wakeup = 1; break;
		case O_DIRECTIO: cfg.direct_io = 1; break;
		case O_DNICE: bad = parse_int(optarg, -20, 19, &cfg.drain_nice); break;
		case O_MAXMEM: max_mem = optarg; break;
		case O_MAXEV: bad = parse_int(optarg, 1, RT_MAX_APP_EVENTS, &max_events); break;
		case O_DTHREADS: bad = parse_int(optarg, 1, MAX_DRAINERS, &threads); break;
		case O_MAXMETA:
			bad = parse_size_opt(optarg, &cfg.max_metadata);
			break;
		case O_VERSION: printf("rseqtraced 0.1.0 (protocol %u)\n", RT_PROTO_VERSION); return 0;
		default: usage(stderr); return 2;
		}
		for (const struct option *p = opts; bad && p->name; p++)
			if (p->val == o)
				name = p->name;
		if (bad) {
			fprintf(stderr, "rseqtraced: bad value '%s' for --%s\n", optarg, name);
			return 2;
		}
	}
	cfg.max_app_events = (uint32_t)max_events;
	cfg.drain_threads = (uint32_t)threads;
	if (max_mem && parse_size_opt(max_mem, &cfg.max_buffer_memory) != 0) {
		fprintf(stderr, "rseqtraced: bad value '%s' for --max-buffer-memory (or $%s): "
				"a size such as 512M or 4G\n", max_mem, MAX_BUFFER_MEMORY_ENV);
		return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "rseqtraced: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (cfg.drain_min_ms > cfg.drain_max_ms)
		cfg.drain_min_ms = cfg.drain_max_ms;
	if (home) {
		if (setenv(RT_HOME_ENV, home, 1) != 0) {
			perror("rseqtraced: setenv");
			return 1;
		}
	}
	if (rt_sock_dir(cfg.dir, sizeof cfg.dir, getenv) != 0) {
		fprintf(stderr, "rseqtraced: no socket directory: set %s, XDG_RUNTIME_DIR or HOME "
				"(the path must stay under %zu bytes)\n", RT_HOME_ENV,
			sizeof(((struct sockaddr_un *)0)->sun_path) - sizeof RT_SOCK_NAME - 1);
		return 1;
	}
	/* The log is opened before detaching, so a refused path is reported
	 * on the terminal and nothing forks. */
	char def[RT_PATH_MAX + 32];
	if (detach && !log_path) {
		snprintf(def, sizeof def, "%s/rseqtraced.log", cfg.dir);
		mkdir(cfg.dir, 0700); /* checked when the daemon starts */
		log_path = def;
	}
	FILE *logf = NULL;
	if (log_path) {
		char why[RT_PATH_MAX + 128];
		logf = log_file_open(log_path, why, sizeof why);
		if (!logf) {
			fprintf(stderr, "rseqtraced: cannot use log %s: %s\n", log_path, why);
			return 1;
		}
		setvbuf(logf, NULL, _IOLBF, 0);
	}
	if (detach) {
		cfg.ready_fd = daemonize();
		dup2(fileno(logf), 2);
		fclose(logf);
		logf = NULL;
	}
	log_open(logf, level);

	char err[RT_PATH_MAX + 256];
	struct daemon *d = daemon_new(&cfg, err, sizeof err);
	if (!d) {
		logm(LOG_ERR, "%s", err);
		if (logf)
			fprintf(stderr, "rseqtraced: %s\n", err);
		return 1;
	}
	int r = daemon_run(d);
	unsigned long long wakeups = d->wakeups, passes = d->drain_passes,
			   writer_wakeups = __atomic_load_n(&d->writer_wakeups, __ATOMIC_RELAXED);
	daemon_free(d);
	logm(LOG_INFO, "exiting (%llu wakeups, %llu drain passes, %llu writer wake-ups)",
	     wakeups, passes, writer_wakeups);
	if (logf)
		fclose(logf);
	return r;
}
