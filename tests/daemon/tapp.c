/* SPDX-License-Identifier: MIT */
/*
 * The instrumented program the daemon tests drive. Every event carries
 * (role, seq) so the test can check each one arrives exactly once:
 *
 *   tapp [--role R] [--events N] [--threads T] [--fork] [--wait FILE]
 *        [--done FILE] [--forever --progress FILE] [--big] [--sleep-us U]
 *        [--exit CODE] [--signal SIG] [--dlopen LIB] [--spam-wake] [--hold FILE]
 *
 * The first statement of main() emits rtd:first, so `record` can show it
 * traces from the very start. With --fork, a child (role R+100) emits N
 * events too and the parent waits for it. --dlopen loads a provider library
 * after the other events and emits N of its events (tprov.c). Prints
 * "emitted=N" per process. --spam-wake: a hostile app; while it emits, a
 * thread clears O_NONBLOCK on every datagram socket it holds (the daemon's
 * wake-up socket) and sends on it in a loop; prints "spammed=N".
 * --handler-signals N FILE: pinned to one CPU; after 300 ms a thread sends
 * N SIGUSR1 to the emitting thread, one at a time, whose handler emits an
 * event of role 999; each handler must return within 5 s. FILE then gets
 * "handled=K stuck=S" (K handlers returned, S did not in time).
 * --hold FILE: once everything is emitted and printed, waits for FILE
 * before exiting (a live process whose events are all written).
 * Under an in-process session (RSEQTRACE_INPROC) it also prints
 * "session_mode=rseq" or "session_mode=locked", the buffers' mode.
 * --widen: before its threads start, the process (started under
 * `taskset -c 0`, say) may run on every CPU: its threads' mm_cids can
 * then pass the buffers it registered with.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RSEQTRACE_CREATE_PROBES
#include "tapp_tp.h"
#include <rseqtrace/session.h>

static uint32_t role;
static uint64_t events = 1000;
static int threads = 1, do_fork, forever, big, spam_wake, widen;
static const char *wait_file, *done_file, *progress_file, *dlopen_path, *hold_file;
static long sleep_us;

/* Waits for the test to create path; gives up after a minute, so a
 * failed test leaves no process behind. */
static void wait_for(const char *path)
{
	struct stat st;
	for (int i = 0; path && stat(path, &st) != 0; i++) {
		if (i > 30000) {
			fprintf(stderr, "tapp: %s never appeared\n", path);
			exit(3);
		}
		usleep(2000);
	}
}

static void touch(const char *path)
{
	if (!path)
		return;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		close(fd);
}

static void progress(uint64_t n)
{
	char tmp[4096], buf[32];
	snprintf(tmp, sizeof tmp, "%s.tmp", progress_file);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return;
	int len = snprintf(buf, sizeof buf, "%llu\n", (unsigned long long)n);
	if (write(fd, buf, (size_t)len) != len)
		perror("progress");
	close(fd);
	rename(tmp, progress_file);
}

static uint64_t emit(uint32_t r)
{
	static const char text[200] = "the quick brown fox jumps over the lazy dog, again and again";
	uint64_t n = 0;
	for (; forever || n < events; n++) {
		if (big)
			rseqtrace(rtd, big, r, n, text);
		else
			rseqtrace(rtd, seq, r, n);
		if (sleep_us)
			usleep((useconds_t)sleep_us);
		if (forever && progress_file && n % 256 == 0)
			progress(n);
	}
	return n;
}

static int spam_fds[16], nr_spam_fds;
static volatile int spam_stop;
static uint64_t spammed;

/* Datagram sockets among our descriptors: the wake-up sockets the daemon
 * gave us (the control connection is SOCK_SEQPACKET). */
static void find_wake_sockets(void)
{
	for (int fd = 3; fd < 1024 && nr_spam_fds < 16; fd++) {
		int type;
		socklen_t len = sizeof type;
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_DGRAM)
			spam_fds[nr_spam_fds++] = fd;
	}
}

static void *spam_main(void *arg)
{
	(void)arg;
	for (int i = 0; i < nr_spam_fds; i++)
		fcntl(spam_fds[i], F_SETFL, fcntl(spam_fds[i], F_GETFL) & ~O_NONBLOCK);
	while (!spam_stop)
		for (int i = 0; i < nr_spam_fds; i++)
			if (send(spam_fds[i], "spam", 4, MSG_DONTWAIT) > 0)
				spammed++;
	return NULL;
}

static int handler_signals;
static const char *handler_file;
static pthread_t emitter;
static volatile uint64_t handled;

static void on_usr1(int sig)
{
	(void)sig;
	rseqtrace(rtd, seq, 999, handled);
	__atomic_fetch_add(&handled, 1, __ATOMIC_RELEASE);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void *signaller_main(void *arg)
{
	(void)arg;
	usleep(300000);
	int stuck = 0;
	for (int i = 0; i < handler_signals && !stuck; i++) {
		uint64_t before = __atomic_load_n(&handled, __ATOMIC_ACQUIRE), t0 = mono_ms();
		pthread_kill(emitter, SIGUSR1);
		while (__atomic_load_n(&handled, __ATOMIC_ACQUIRE) == before && !stuck) {
			if (mono_ms() - t0 > 5000)
				stuck = 1;
			usleep(1000);
		}
	}
	FILE *f = fopen(handler_file, "w");
	if (f) {
		fprintf(f, "handled=%llu stuck=%d\n", (unsigned long long)handled, stuck);
		fclose(f);
	}
	return NULL;
}

static void *thread_main(void *arg)
{
	return (void *)(uintptr_t)emit((uint32_t)(uintptr_t)arg);
}

int main(int argc, char **argv)
{
	rseqtrace(rtd, first, (int32_t)getpid());
	int exit_code = 0, sig = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--role") && v) role = (uint32_t)atoi(argv[++i]);
		else if (!strcmp(a, "--events") && v) events = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(a, "--threads") && v) threads = atoi(argv[++i]);
		else if (!strcmp(a, "--fork")) do_fork = 1;
		else if (!strcmp(a, "--wait") && v) wait_file = argv[++i];
		else if (!strcmp(a, "--done") && v) done_file = argv[++i];
		else if (!strcmp(a, "--forever")) forever = 1;
		else if (!strcmp(a, "--progress") && v) progress_file = argv[++i];
		else if (!strcmp(a, "--big")) big = 1;
		else if (!strcmp(a, "--sleep-us") && v) sleep_us = atol(argv[++i]);
		else if (!strcmp(a, "--exit") && v) exit_code = atoi(argv[++i]);
		else if (!strcmp(a, "--signal") && v) sig = atoi(argv[++i]);
		else if (!strcmp(a, "--dlopen") && v) dlopen_path = argv[++i];
		else if (!strcmp(a, "--spam-wake")) spam_wake = 1;
		else if (!strcmp(a, "--hold") && v) hold_file = argv[++i];
		else if (!strcmp(a, "--widen")) widen = 1;
		else if (!strcmp(a, "--handler-signals") && i + 2 < argc) {
			handler_signals = atoi(argv[++i]);
			handler_file = argv[++i];
		}
		else {
			fprintf(stderr, "tapp: bad argument %s\n", a);
			return 2;
		}
	}
	if (wait_file) {
		/* In main(): every constructor ran, so our events are registered
		 * and the daemon answered them (or tracing is off). */
		char ready[4096];
		snprintf(ready, sizeof ready, "%s.ready", wait_file);
		int fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
	}
	wait_for(wait_file);
	pid_t child = -1;
	if (do_fork) {
		child = fork();
		if (child == 0) {
			uint64_t n = emit(role + 100);
			printf("emitted=%llu\n", (unsigned long long)n);
			fflush(stdout);
			_exit(0);
		}
	}
	pthread_t spammer;
	if (spam_wake) {
		find_wake_sockets();
		pthread_create(&spammer, NULL, spam_main, NULL);
	}
	pthread_t signaller;
	if (handler_signals) {
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(sched_getcpu(), &one);
		sched_setaffinity(0, sizeof one, &one);
		signal(SIGUSR1, on_usr1);
		emitter = pthread_self();
		pthread_create(&signaller, NULL, signaller_main, NULL);
	}
	if (widen) {
		cpu_set_t all;
		CPU_ZERO(&all);
		for (int c = 0; c < CPU_SETSIZE; c++)
			CPU_SET(c, &all);
		if (sched_setaffinity(0, sizeof all, &all) != 0)
			perror("tapp: sched_setaffinity");
	}
	pthread_t t[64];
	if (threads > 64)
		threads = 64;
	for (int i = 1; i < threads; i++)
		pthread_create(&t[i], NULL, thread_main, (void *)(uintptr_t)role);
	uint64_t total = emit(role);
	if (dlopen_path) {
		/* A provider loaded mid-run; its events count as emitted too. */
		void *h = dlopen(dlopen_path, RTLD_NOW);
		void (*fn)(uint64_t) = h ? (void (*)(uint64_t))dlsym(h, "tprov_emit") : NULL;
		if (!fn) {
			fprintf(stderr, "tapp: %s\n", dlerror());
			return 1;
		}
		fn(events);
		printf("dlopen_emitted=%llu\n", (unsigned long long)events);
		dlclose(h);
	}
	for (int i = 1; i < threads; i++) {
		void *r;
		pthread_join(t[i], &r);
		total += (uint64_t)(uintptr_t)r;
	}
	if (child > 0)
		waitpid(child, NULL, 0);
	if (handler_signals)
		pthread_join(signaller, NULL);
	if (spam_wake) {
		spam_stop = 1;
		pthread_join(spammer, NULL);
		printf("spammed=%llu\n", (unsigned long long)spammed);
	}
	printf("emitted=%llu\n", (unsigned long long)total);
	struct rseqtrace_session_stats st;
	if (rseqtrace_session_stats(&st) == 0)
		printf("session_mode=%s\n", st.mode == RSEQTRACE_MODE_LOCKED ? "locked"
					   : st.mode == RSEQTRACE_MODE_RSEQ ? "rseq" : "auto");
	fflush(stdout);
	touch(done_file);
	wait_for(hold_file);
	if (sig)
		raise(sig);
	return exit_code;
}
