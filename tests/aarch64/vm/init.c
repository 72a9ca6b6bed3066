/* SPDX-License-Identifier: MIT */
/*
 * /init of the initramfs scripts/aarch64-vm boots: mounts /proc and /sys,
 * starts a CPU load, runs the tests listed in /tests (one a line: a name,
 * a time bound in seconds, then the program in /bin and its arguments,
 * blank-separated) one after the other with their output on the console,
 * and powers off. It prints lines the script parses:
 *
 *   === KERNEL <release> <machine>, <n> CPUs online
 *   === RUN <name>
 *   === RESULT <name> PASS|FAIL <how it ended> <seconds> s
 *   === KERNEL-ABORTS <name> <n>
 *   === DONE <passed> passed <failed> failed
 *
 * where n counts the kernel's rseq_ip_fixup trace events while the test ran:
 * each is an rseq critical section the kernel aborted (it moved the IP to
 * the abort handler), in whatever process. The tests are the only programs
 * here with critical sections.
 *
 * A test that outlives its time bound is killed and fails; the script's
 * own time bound on qemu covers the rest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 64

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void power_off(void)
{
	fflush(stdout);
	sync();
	reboot(RB_POWER_OFF);
	_exit(1); /* init exiting panics the kernel: qemu -no-reboot ends too */
}

#define TRACEFS "/sys/kernel/tracing"

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* Turns the rseq_ip_fixup event on; 0, or -1 with the reason printed. */
static int trace_setup(void)
{
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL) != 0) {
		printf("=== TRACE mount tracefs: %s\n", strerror(errno));
		return -1;
	}
	if (write_file(TRACEFS "/buffer_size_kb", "64") != 0 ||
	    write_file(TRACEFS "/events/rseq/rseq_ip_fixup/enable", "1") != 0) {
		printf("=== TRACE enable rseq_ip_fixup: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* Empties the buffers: their entry and overrun counts restart at 0. */
static void trace_reset(void)
{
	write_file(TRACEFS "/trace", "");
}

/* Events recorded since trace_reset(): per CPU, the entries still in the
 * buffer plus those overwritten. -1 if unreadable. */
static long long trace_count(void)
{
	long long total = 0;
	int cpus = 0;
	for (int cpu = 0; cpu < 4096; cpu++) {
		char path[128], line[128];
		snprintf(path, sizeof path, TRACEFS "/per_cpu/cpu%d/stats", cpu);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		cpus++;
		while (fgets(line, sizeof line, f)) {
			long long v;
			if (sscanf(line, "entries: %lld", &v) == 1 ||
			    sscanf(line, "overrun: %lld", &v) == 1)
				total += v;
		}
		fclose(f);
	}
	return cpus ? total : -1;
}

/* A process that only spins, so that writers are preempted by something
 * other than each other. */
static pid_t start_load(void)
{
	pid_t pid = fork();
	if (pid == 0)
		for (volatile unsigned long n = 0;; n++)
			;
	return pid;
}

/* Runs one test; returns 1 if it passed. */
static int run(char *name, char **argv, int limit_s, int tracing)
{
	char path[256];
	snprintf(path, sizeof path, "/bin/%s", argv[0]);
	printf("=== RUN %s\n", name);
	fflush(stdout);
	if (tracing)
		trace_reset();
	double t0 = now();
	pid_t pid = fork();
	if (pid < 0) {
		printf("=== RESULT %s FAIL fork: %s 0 s\n", name, strerror(errno));
		return 0;
	}
	if (pid == 0) {
		execv(path, argv);
		printf("exec %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	int status = 0, killed = 0;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (!killed && now() - t0 > limit_s) {
			kill(pid, SIGKILL);
			killed = 1;
		}
		usleep(20000);
	}
	char how[64];
	if (killed)
		snprintf(how, sizeof how, "timeout-%ds", limit_s);
	else if (WIFEXITED(status))
		snprintf(how, sizeof how, "exit-%d", WEXITSTATUS(status));
	else
		snprintf(how, sizeof how, "signal-%d", WTERMSIG(status));
	int pass = !killed && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	printf("=== RESULT %s %s %s %.1f s\n", name, pass ? "PASS" : "FAIL", how, now() - t0);
	if (tracing)
		printf("=== KERNEL-ABORTS %s %lld\n", name, trace_count());
	fflush(stdout);
	return pass;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	struct utsname u;
	uname(&u);
	printf("=== KERNEL %s %s, %ld CPUs online\n", u.release, u.machine,
	       sysconf(_SC_NPROCESSORS_ONLN));

	FILE *f = fopen("/tests", "r");
	if (!f) {
		printf("=== DONE 0 passed 1 failed (no /tests: %s)\n", strerror(errno));
		power_off();
	}
	int tracing = trace_setup() == 0;
	pid_t load = start_load();
	int passed = 0, failed = 0;
	char line[1024];
	while (fgets(line, sizeof line, f)) {
		char *args[MAX_ARGS + 1], *save = NULL;
		char *name = strtok_r(line, " \t\n", &save);
		if (!name || name[0] == '#')
			continue;
		char *limit = strtok_r(NULL, " \t\n", &save);
		int limit_s = limit ? atoi(limit) : 0;
		int n = 0;
		for (char *a; n < MAX_ARGS && (a = strtok_r(NULL, " \t\n", &save));)
			args[n++] = a;
		args[n] = NULL;
		if (n == 0 || limit_s <= 0) {
			printf("=== RESULT %s FAIL bad-line 0 s\n", name);
			failed++;
			continue;
		}
		if (run(name, args, limit_s, tracing))
			passed++;
		else
			failed++;
	}
	if (load > 0)
		kill(load, SIGKILL);
	printf("=== DONE %d passed %d failed\n", passed, failed);
	power_off();
}
