/* SPDX-License-Identifier: MIT */
/*
 * A thread that leaves probes with siglongjmp must not leave anything
 * waiting for it. The main thread traces in a loop while a timer signal
 * every 300 us runs a handler that traces and jumps back into the loop
 * (1,400 jumps, some out of a probe the signal interrupted); then one more
 * jump certainly out of a probe (lj:trap's field expression raises the
 * signal). The main thread then traces no more, and other threads, each
 * watched by a deadline (10 s), do:
 *
 *   tp_longjmp DIR PROBES_SO stop      rseqtrace_session_stop()
 *   tp_longjmp DIR PROBES_SO dlclose   dlclose() of a provider library
 *   tp_longjmp DIR PROBES_SO fork      dlclose() in one thread, fork() in
 *                                      another (it waits for the registry
 *                                      the first holds), the child exits
 *   tp_longjmp DIR PROBES_SO daemon READY GO   no session of its own: the
 *                                      daemon's (tests/daemon/test_longjmp.py);
 *                                      creates READY after the jumps, waits
 *                                      for GO (the test ran `rseqtrace stop`),
 *                                      then does what fork does
 *   tp_longjmp DIR PROBES_SO recover   the main thread traces again first,
 *                                      then dlclose(): the new sections
 *                                      show the old one over, so nothing
 *                                      waits for it (no "taken as gone")
 *
 * After it the main thread traces again (the session still runs but in
 * stop mode). Prints PASS, or FAIL with what stayed blocked; the trace is
 * checked by check_longjmp.py.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rseqtrace/session.h>

#define RSEQTRACE_CREATE_PROBES
#include "longjmp_tp.h"

#define JUMPS 1400
#define DEADLINE_S 10.0

static sigjmp_buf env;
static volatile sig_atomic_t jumps, armed, trapped;
static uint64_t seq;

int lj_hook(int x)
{
	if (armed) {
		armed = 0;
		raise(SIGUSR1); /* its handler jumps out of this probe */
	}
	return x;
}

static void jump_out(int sig)
{
	rseqtrace(lj, ev, (uint64_t)sig, 1); /* a probe on top of the one we leave */
	if (sig == SIGUSR1)
		trapped = 1;
	else
		jumps++;
	siglongjmp(env, 1);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the other threads' work, each with a deadline --------------------- */

struct job {
	const char *what;
	void *(*fn)(void *);
	void *arg;
	pthread_t th;
	int done;
	double took;
};

static void *run_job(void *arg)
{
	struct job *j = arg;
	double t0 = now();
	j->fn(j->arg);
	j->took = now() - t0;
	__atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void start_job(struct job *j)
{
	/* The timer's signals are for the main thread only. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_create(&j->th, NULL, run_job, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Waits for the jobs until the deadline: a job still running then is
 * blocked for good (a grace period waiting for the jumping thread). */
static int wait_jobs(struct job *jobs, int n)
{
	double t0 = now();
	int pending = n;
	while (pending && now() - t0 < DEADLINE_S) {
		usleep(10000);
		pending = 0;
		for (int i = 0; i < n; i++)
			pending += !__atomic_load_n(&jobs[i].done, __ATOMIC_ACQUIRE);
	}
	for (int i = 0; i < n; i++) {
		if (!__atomic_load_n(&jobs[i].done, __ATOMIC_ACQUIRE))
			printf("FAIL: %s still blocked after %.0f s\n", jobs[i].what, DEADLINE_S);
		else
			printf("%s returned after %.2f s\n", jobs[i].what, jobs[i].took);
	}
	if (pending)
		_exit(1);
	for (int i = 0; i < n; i++)
		pthread_join(jobs[i].th, NULL);
	return 0;
}

static void *do_stop(void *arg)
{
	(void)arg;
	int r = rseqtrace_session_stop();
	if (r != 0)
		printf("stop: %s\n", rseqtrace_session_error());
	return NULL;
}

static void *do_dlclose(void *h)
{
	dlclose(h);
	return NULL;
}

static int child_status = -1;
static void *do_fork(void *arg)
{
	(void)arg;
	usleep(100000); /* while the dlclose waits for its grace period */
	pid_t pid = fork();
	if (pid == 0)
		_exit(0);
	int st;
	if (pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		child_status = WEXITSTATUS(st);
	return NULL;
}

/* ---- main --------------------------------------------------------------- */

/* The jumping thread traces again (kind 2); check_longjmp.py finds every
 * one in the trace if the session still runs. */
static void trace_again(int running)
{
	printf("again_first=%llu again_count=%d running=%d\n", (unsigned long long)seq, 1000,
	       running);
	for (int i = 0; i < 1000; i++)
		rseqtrace(lj, ev, seq++, 2);
}

static void storm(void)
{
	struct sigaction sa = { .sa_handler = jump_out };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGALRM };
	sev._sigev_un._tid = gettid(); /* sigev_notify_thread_id: glibc 2.36 lacks the name */
	timer_t timer;
	if (timer_create(CLOCK_MONOTONIC, &sev, &timer) != 0) {
		perror("timer_create");
		exit(2);
	}
	/* The timer only once env is set: the first signal may come at once. */
	if (sigsetjmp(env, 1) == 0) {
		struct itimerspec its = { { 0, 300000 }, { 0, 300000 } };
		timer_settime(timer, 0, &its, NULL);
	}
	while (jumps < JUMPS) {
		rseqtrace(lj, ev, seq++, 0);
		/* Some work between events: a trace babeltrace2 reads quickly. */
		for (volatile int spin = 0; spin < 4000; spin++)
			;
	}
	/* A signal still pending jumps back above, where the loop ends again. */
	timer_delete(timer);
	signal(SIGALRM, SIG_IGN);
	/* And once out of a probe for sure. */
	if (sigsetjmp(env, 1) == 0) {
		armed = 1;
		rseqtrace(lj, trap, 7);
	}
}

/* Creates path, then waits (a minute at most) for go to appear. */
static void handshake(const char *path, const char *go)
{
	FILE *f = fopen(path, "w");
	if (f)
		fclose(f);
	for (int i = 0; i < 6000 && access(go, F_OK) != 0; i++)
		usleep(10000);
}

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *mode = argv[3];
	int daemon = !strcmp(mode, "daemon");
	if (argc != (daemon ? 6 : 4))
		return 2;
	struct rseqtrace_session_config cfg = {
		.output = argv[1], .events = "*", .loglevel = -1,
		.subbuf_size = 256 << 10, .num_subbuf = 8, .drain_period_ms = 10,
	};
	if (!daemon && rseqtrace_session_start(&cfg) != 0) {
		printf("FAIL: start: %s\n", rseqtrace_session_error());
		return 1;
	}
	void *h = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		printf("FAIL: dlopen: %s\n", dlerror());
		return 1;
	}

	storm();
	printf("%d jumps out of signal handlers, %s out of a probe\n", (int)jumps,
	       trapped ? "one certainly" : "none certainly");
	if (!trapped) {
		printf("FAIL: lj:trap's probe did not run\n");
		return 1;
	}
	if (daemon)
		handshake(argv[4], argv[5]); /* the test stops the daemon's session */

	/* recover: the thread traces again at once, from a frame no deeper
	 * than the probe it left: its next section shows the old one over,
	 * and nothing ever waits for it. Otherwise it traces again at the
	 * end, the old section still open in between. */
	int recover = !strcmp(mode, "recover");
	int running = !daemon && strcmp(mode, "stop") != 0; /* our own session */
	if (recover)
		trace_again(running);
	struct job jobs[2] = { 0 };
	int n = 0;
	if (!strcmp(mode, "stop")) {
		jobs[n++] = (struct job){ .what = "rseqtrace_session_stop", .fn = do_stop };
	} else if (!strcmp(mode, "dlclose") || recover) {
		jobs[n++] = (struct job){ .what = "dlclose", .fn = do_dlclose, .arg = h };
	} else if (!strcmp(mode, "fork") || daemon) {
		jobs[n++] = (struct job){ .what = "dlclose", .fn = do_dlclose, .arg = h };
		jobs[n++] = (struct job){ .what = "fork", .fn = do_fork };
	} else {
		return 2;
	}
	for (int i = 0; i < n; i++)
		start_job(&jobs[i]);
	wait_jobs(jobs, n);
	if (jobs[n - 1].fn == do_fork && child_status != 0) {
		printf("FAIL: the fork child exited with %d\n", child_status);
		return 1;
	}
	if (!recover)
		trace_again(running);
	if (running) {
		struct job stop = { .what = "the final rseqtrace_session_stop", .fn = do_stop };
		start_job(&stop);
		wait_jobs(&stop, 1);
	}
	printf("PASS\n");
	return 0;
}
