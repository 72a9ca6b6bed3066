/* SPDX-License-Identifier: MIT */
/*
 * The daemon: its state, made and undone whole, and its event loop.
 *
 * The control thread, one epoll set: the listening socket, every
 * connection, a signalfd (SIGTERM/SIGINT/SIGHUP), the drain timer (armed
 * only while a session is started), the deadline timer of operations that
 * wait for applications or drain threads, and the drain threads' eventfd.
 * It decides what to drain; drain threads (drain.c) do the writing. With
 * no started session and no pending operation the loop sleeps in
 * epoll_wait with no timeout: an idle daemon uses no CPU.
 *
 * Draining: writers' wake-ups never come here. Each trace's sleeper
 * thread tells its writers that it sleeps (ringbuf.h invariant I5) and
 * waits on the trace's wake-up sockets itself; the writer that closes a
 * packet leaving half a CPU's buffer ready wakes it, once, and it drains.
 * The control thread's drain timer stays, as the bound on how long a
 * quieter trace's events wait in the buffers, and as the backstop for
 * writers that do not wake us.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/time.h"
#include "common/trust.h"
#include "consumerd/daemon.h"
#include "consumerd/drain.h"
#include "consumerd/log.h"
#include "consumerd/session.h"
#include "consumerd/transport.h"
#include "ringbuf/ringbuf.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* The directory exists, is ours, is a real directory and nobody else can
 * enter it. We create only its last component, mode 0700. */
static int prepare_dir(const char *dir, uid_t uid, char *err, size_t errlen)
{
	if (mkdir(dir, 0700) == 0) {
		if (chmod(dir, 0700) != 0)
			return fail(err, errlen, "chmod %s: %s", dir, strerror(errno));
	} else if (errno != EEXIST) {
		return fail(err, errlen, "cannot create socket directory %s: %s", dir,
			    strerror(errno));
	}
	char why[RT_PATH_MAX + 128];
	int fd = rt_dir_open_checked(dir, uid, RT_DIR_PRIVATE, why, RT_PATH_MAX + 128);
	if (fd < 0)
		return fail(err, errlen, "unsafe socket directory: %s (it must be yours, mode 0700: "
			    "chmod 700 %s)", why, dir);
	close(fd);
	return 0;
}

static int take_lock(struct daemon *d, char *err, size_t errlen)
{
	char path[RT_PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/%s", d->cfg.dir, RT_LOCK_NAME);
	d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (d->lock_fd < 0)
		return fail(err, errlen, "cannot open %s: %s", path, strerror(errno));
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		char pid[32] = "?";
		ssize_t n = pread(d->lock_fd, pid, sizeof pid - 1, 0);
		pid[n > 0 ? n : 1] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		return fail(err, errlen, "another rseqtraced (pid %s) already serves %s",
			    pid, d->cfg.dir);
	}
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
	if (ftruncate(d->lock_fd, 0) != 0 || pwrite(d->lock_fd, pid, (size_t)n, 0) != n)
		logm(LOG_WARN, "cannot write pid to %s: %s", path, strerror(errno));
	return 0;
}

int daemon_watch(struct daemon *d, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };
	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int daemon_rewatch(struct daemon *d, int fd, uint64_t tag, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };
	return epoll_ctl(d->epfd, EPOLL_CTL_MOD, fd, &ev);
}

void daemon_unwatch(struct daemon *d, int fd)
{
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
}

static int open_signals(struct daemon *d, char *err, size_t errlen)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return fail(err, errlen, "sigprocmask: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0)
		return fail(err, errlen, "signalfd: %s", strerror(errno));
	return 0;
}

static int daemon_open(struct daemon *d, char *err, size_t errlen)
{
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->drain_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	d->op_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	d->conn_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->epfd < 0 || d->drain_tfd < 0 || d->op_tfd < 0 || d->conn_tfd < 0)
		return fail(err, errlen, "epoll/timerfd: %s", strerror(errno));
	if (daemon_watch(d, d->drain_tfd, TAG_DRAIN) || daemon_watch(d, d->op_tfd, TAG_OPS) ||
	    daemon_watch(d, d->conn_tfd, TAG_CONNS))
		return fail(err, errlen, "epoll_ctl: %s", strerror(errno));
	if (d->cfg.no_listen)
		return 0;
	if (prepare_dir(d->cfg.dir, d->uid, err, errlen) || take_lock(d, err, errlen) ||
	    transport_listen(d, err, errlen) || open_signals(d, err, errlen))
		return -1;
	if (daemon_watch(d, d->lfd, TAG_LISTEN) || daemon_watch(d, d->sigfd, TAG_SIGNAL))
		return fail(err, errlen, "epoll_ctl: %s", strerror(errno));
	if (!rt_rseq_usable())
		logm(LOG_WARN, "this daemon has no rseq registration: partial sub-buffers of "
			       "rseq buffers cannot be flushed (is GLIBC_TUNABLES=glibc.pthread.rseq=0 set?)");
	return 0;
}

uint64_t default_buffer_memory(void)
{
	struct sysinfo si;
	return sysinfo(&si) == 0 ? (uint64_t)si.totalram * si.mem_unit / 2 : 1ull << 30;
}

struct daemon *daemon_new(const struct daemon_config *cfg, char *err, size_t errlen)
{
	struct daemon *d = calloc(1, sizeof *d);
	if (!d) {
		fail(err, errlen, "out of memory");
		return NULL;
	}
	d->cfg = *cfg;
	if (!d->cfg.max_buffer_memory)
		d->cfg.max_buffer_memory = default_buffer_memory();
	if (!d->cfg.max_app_events)
		d->cfg.max_app_events = DEFAULT_MAX_APP_EVENTS;
	if (!d->cfg.max_metadata)
		d->cfg.max_metadata = DEFAULT_MAX_METADATA;
	d->uid = geteuid();
	d->epfd = d->lfd = d->sigfd = d->drain_tfd = d->op_tfd = d->lock_fd = -1;
	d->conn_tfd = d->spare_fd = -1;
	if (d->cfg.peer_timeout_ms <= 0)
		d->cfg.peer_timeout_ms = 5000;
	d->next_id = 1;
	d->next_sync = 1;
	d->drain_ms = cfg->drain_max_ms;
	d->nr_cpus = (uint32_t)rt_possible_cpus();
	d->rx_buf = malloc(RT_MSG_MAX);
	if (!d->rx_buf) {
		fail(err, errlen, "out of memory");
		daemon_free(d);
		return NULL;
	}
	if (daemon_open(d, err, errlen) != 0 || drainers_start(d, err, errlen) != 0) {
		daemon_free(d);
		return NULL;
	}
	return d;
}

void daemon_free(struct daemon *d)
{
	if (!d)
		return;
	ops_check(d, 1);
	while (d->sessions)
		session_destroy_now(d, d->sessions);
	while (d->conns)
		conn_close(d, d->conns);
	ops_check(d, 1);
	drainers_stop(d); /* every trace closed: the dying ones are freed */
	transport_unlisten(d);
	if (d->lock_fd >= 0)
		close(d->lock_fd); /* the lock file stays: unlinking it would race */
	int fds[] = { d->epfd, d->sigfd, d->drain_tfd, d->op_tfd, d->conn_tfd };
	for (unsigned i = 0; i < sizeof fds / sizeof fds[0]; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(d->rx_buf);
	free(d);
}

/* ---- Timers --------------------------------------------------------------- */

/* period_ms > 0: periodic; else one_shot_ms >= 0: once (0 means 1 ms);
 * else disarmed. */
static void arm(int tfd, int period_ms, int one_shot_ms)
{
	struct itimerspec it = { 0 };
	if (period_ms > 0) {
		it.it_interval = rt_ms_timespec((uint64_t)period_ms);
		it.it_value = it.it_interval;
	} else if (one_shot_ms >= 0) {
		it.it_value = rt_ms_timespec(one_shot_ms > 0 ? (uint64_t)one_shot_ms : 1);
	}
	timerfd_settime(tfd, 0, &it, NULL);
}

void daemon_update_timers(struct daemon *d)
{
	int want = drain_period_ms(d);
	if (want != d->drain_armed_ms) {
		arm(d->drain_tfd, want, -1);
		d->drain_armed_ms = want;
	}
	uint64_t first = UINT64_MAX;
	for (struct op *o = d->ops; o; o = o->next)
		if (o->deadline_ms < first)
			first = o->deadline_ms;
	if (first == UINT64_MAX) {
		arm(d->op_tfd, 0, -1);
	} else {
		uint64_t now = rt_now_ms();
		arm(d->op_tfd, 0, first > now ? (int)(first - now) : 0);
	}
}

static void read_timer(int tfd)
{
	uint64_t ticks;
	if (read(tfd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
		logm(LOG_WARN, "timerfd read: %s", strerror(errno));
}

static void handle_signals(struct daemon *d)
{
	struct signalfd_siginfo si;
	while (read(d->sigfd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (d->quit) {
			logm(LOG_WARN, "second signal %u: finishing without waiting for applications",
			     si.ssi_signo);
			ops_check(d, 1);
			continue;
		}
		logm(LOG_INFO, "signal %u from pid %u: stopping sessions and shutting down",
		     si.ssi_signo, si.ssi_pid);
		daemon_shutdown(d);
	}
}

int daemon_run(struct daemon *d)
{
	logm(LOG_INFO, "listening on %s (pid %d, uid %u, %u possible CPUs)", d->sock_path,
	     (int)getpid(), (unsigned)d->uid, d->nr_cpus);
	if (d->cfg.ready_fd >= 0) {
		if (write(d->cfg.ready_fd, "1", 1) != 1)
			logm(LOG_WARN, "cannot signal readiness: %s", strerror(errno));
		close(d->cfg.ready_fd);
		d->cfg.ready_fd = -1;
	}
	struct epoll_event evs[64];
	while (!d->done) {
		daemon_update_timers(d);
		int n = epoll_wait(d->epfd, evs, 64, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			logm(LOG_ERR, "epoll_wait: %s", strerror(errno));
			return 1;
		}
		d->wakeups++;
		for (int i = 0; i < n && !d->done; i++) {
			uint64_t tag = evs[i].data.u64;
			if (tag == TAG_LISTEN) {
				transport_accept(d);
			} else if (tag == TAG_SIGNAL) {
				handle_signals(d);
			} else if (tag == TAG_DRAIN) {
				read_timer(d->drain_tfd);
				drain_all(d);
			} else if (tag == TAG_DRAINED) {
				drainers_done(d);
			} else if (tag == TAG_OPS) {
				read_timer(d->op_tfd);
				ops_check(d, 0);
			} else if (tag == TAG_CONNS) {
				read_timer(d->conn_tfd);
				transport_tick(d);
			} else {
				struct conn *c = conn_find(d, tag - TAG_CONN_MIN);
				if (c)
					conn_event(d, c, evs[i].events);
			}
		}
	}
	return 0;
}
