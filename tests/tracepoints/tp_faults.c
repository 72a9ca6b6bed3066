/* SPDX-License-Identifier: MIT */
/*
 * Faults around the in-process session.
 *
 *   tp_faults fsize DIR LIMIT N   the stream files hit RLIMIT_FSIZE mid-trace
 *                                 (short writes, then EFBIG)
 *   tp_faults fork DIR N          a forked child traces into the parent's
 *                                 buffers and exits; the parent finishes
 *   tp_faults firstloss DIR N     the first event of the stream is dropped
 *                                 (too big), then N are recorded: the loss
 *                                 sits in the stream's first packet
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rseqtrace/session.h>

#include "stress_tp.h"

static void emit(long n, uint8_t kind, int pause_every)
{
	uint32_t tid = (uint32_t)gettid();
	for (long i = 0; i < n; i++) {
		rseqtrace(stress, ev, tid, (uint64_t)i, kind);
		if (pause_every && i % pause_every == pause_every - 1) {
			struct timespec ts = { 0, 100000 };
			nanosleep(&ts, NULL);
		}
	}
}

static void report(long emitted, int stop, pid_t child)
{
	struct rseqtrace_session_stats st;
	rseqtrace_session_stats(&st);
	printf("emitted=%ld events=%llu discarded=%llu write_lost=%llu unreported=%llu "
	       "write_errors=%llu lost=%llu stop=%d pid=%d child=%d\n", emitted,
	       (unsigned long long)st.events, (unsigned long long)st.discarded,
	       (unsigned long long)st.write_lost, (unsigned long long)st.unreported,
	       (unsigned long long)st.write_errors,
	       (unsigned long long)(st.lost_full + st.lost_big + st.lost_abort), stop,
	       (int)getpid(), (int)child);
	if (stop)
		fprintf(stderr, "stop: %s\n", rseqtrace_session_error());
}

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	struct rseqtrace_session_config cfg = {
		.output = argv[2], .events = "stress:*", .loglevel = -1,
		.contexts = RSEQTRACE_CTX_VPID | RSEQTRACE_CTX_VTID,
		.subbuf_size = 4096, .num_subbuf = 8, .drain_period_ms = 2,
	};
	if (strcmp(argv[1], "fsize") == 0 && argc == 5) {
		if (rseqtrace_session_start(&cfg) != 0) {
			fprintf(stderr, "%s\n", rseqtrace_session_error());
			return 1;
		}
		/* After the start: the limit applies to the buffers' memfd too. */
		signal(SIGXFSZ, SIG_IGN);
		struct rlimit rl = { (rlim_t)atol(argv[3]), (rlim_t)atol(argv[3]) };
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			return 2;
		long n = atol(argv[4]);
		emit(n, 0, 40);
		report(n, rseqtrace_session_stop(), 0);
		return 0;
	}
	if (strcmp(argv[1], "fork") == 0) {
		cfg.subbuf_size = 64 << 10;
		if (rseqtrace_session_start(&cfg) != 0) {
			fprintf(stderr, "%s\n", rseqtrace_session_error());
			return 1;
		}
		long n = atol(argv[3]);
		emit(n, 0, 0);
		pid_t child = fork();
		if (child == 0) {
			/* Only async-signal-safe calls in the child of a threaded
			 * process: tracing is, and so is _exit (exit would run
			 * LeakSanitizer, whose allocator lock may have been held
			 * by another thread at fork time). */
			emit(2 * n, 2, 0);
			_exit(rseqtrace_session_stop() == -ENOENT ? 0 : 3); /* not the child's to stop */
		}
		int status = 0;
		waitpid(child, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "child failed: status 0x%x\n", status);
			return 1;
		}
		emit(n, 1, 0);
		report(4 * n, rseqtrace_session_stop(), child);
		return 0;
	}
	if (strcmp(argv[1], "firstloss") == 0) {
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(0, &one);
		sched_setaffinity(0, sizeof one, &one); /* one stream */
		if (rseqtrace_session_start(&cfg) != 0) {
			fprintf(stderr, "%s\n", rseqtrace_session_error());
			return 1;
		}
		static char big[RSEQTRACE_MAX_PAYLOAD + 1];
		rseqtrace(stress, blob, (uint32_t)gettid(), 0, big, sizeof big);
		long n = atol(argv[3]);
		emit(n, 0, 0);
		report(n + 1, rseqtrace_session_stop(), 0);
		return 0;
	}
	return 2;
}
