/* SPDX-License-Identifier: MIT */
/*
 * The daemon's socket, connections and event loop.
 *
 * One thread, one epoll set: the listening socket, every connection, a
 * signalfd (SIGTERM/SIGINT/SIGHUP), the drain timer (armed only while a
 * session is started), the deadline timer of operations that wait for
 * applications, and each trace's wake-up socket. With no started session
 * and no pending operation the loop sleeps in epoll_wait with no timeout:
 * an idle daemon uses no CPU.
 *
 * Draining: before each sleep the loop tells the writers of every started
 * trace that it sleeps (traces_sleep, ringbuf.h invariant I5); the writer
 * that closes a packet leaving half a CPU's buffer ready wakes it, once.
 * The timer stays, as the bound on how long a quieter trace's events wait
 * in the buffers, and as the backstop for writers that do not wake us.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "consumerd/daemon.h"

#define MAX_CONNS 4096
#define MSGS_PER_WAKEUP 64

/* Tags of the epoll entries that are not connections. */
#define TAG_LISTEN 1ull
#define TAG_SIGNAL 2ull
#define TAG_DRAIN 3ull
#define TAG_OPS 4ull
#define TAG_CONN_MIN 16ull

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

uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
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
	struct stat st;
	if (lstat(dir, &st) != 0)
		return fail(err, errlen, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(err, errlen, "%s is not a directory", dir);
	if (st.st_uid != uid)
		return fail(err, errlen, "%s belongs to uid %u, not to us (uid %u)", dir,
			    (unsigned)st.st_uid, (unsigned)uid);
	if (st.st_mode & 077)
		return fail(err, errlen,
			    "%s is accessible to other users (mode %03o); run: chmod 700 %s",
			    dir, (unsigned)(st.st_mode & 0777), dir);
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

static int epoll_add(int epfd, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int open_listener(struct daemon *d, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	if (rt_sock_addr(d->cfg.dir, &sa) != 0)
		return fail(err, errlen, "socket path under %s is too long", d->cfg.dir);
	snprintf(d->sock_path, sizeof d->sock_path, "%s", sa.sun_path);
	/* We hold the lock: a socket file left here is stale. */
	unlink(sa.sun_path);
	d->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->lfd < 0)
		return fail(err, errlen, "socket: %s", strerror(errno));
	mode_t old = umask(0177);
	int r = bind(d->lfd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (r != 0)
		return fail(err, errlen, "bind %s: %s", sa.sun_path, strerror(errno));
	if (listen(d->lfd, 128) != 0)
		return fail(err, errlen, "listen: %s", strerror(errno));
	return 0;
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

int daemon_init(struct daemon *d, const struct daemon_config *cfg, char *err, size_t errlen)
{
	memset(d, 0, sizeof *d);
	d->cfg = *cfg;
	d->uid = geteuid();
	d->epfd = d->lfd = d->sigfd = d->drain_tfd = d->op_tfd = d->lock_fd = -1;
	d->next_id = 1;
	d->next_sync = 1;
	d->drain_ms = cfg->drain_max_ms;
	d->nr_cpus = (uint32_t)rt_possible_cpus();
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->drain_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	d->op_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->epfd < 0 || d->drain_tfd < 0 || d->op_tfd < 0)
		return fail(err, errlen, "epoll/timerfd: %s", strerror(errno));
	if (epoll_add(d->epfd, d->drain_tfd, TAG_DRAIN) || epoll_add(d->epfd, d->op_tfd, TAG_OPS))
		return fail(err, errlen, "epoll_ctl: %s", strerror(errno));
	if (cfg->no_listen)
		return 0;
	if (prepare_dir(cfg->dir, d->uid, err, errlen) || take_lock(d, err, errlen) ||
	    open_listener(d, err, errlen) || open_signals(d, err, errlen))
		return -1;
	if (epoll_add(d->epfd, d->lfd, TAG_LISTEN) || epoll_add(d->epfd, d->sigfd, TAG_SIGNAL))
		return fail(err, errlen, "epoll_ctl: %s", strerror(errno));
	if (!rt_rseq_usable())
		logm(LOG_WARN, "this daemon has no rseq registration: partial sub-buffers of "
			       "rseq buffers cannot be flushed (is GLIBC_TUNABLES=glibc.pthread.rseq=0 set?)");
	return 0;
}

/* ---- Connections -------------------------------------------------------- */

struct conn *conn_add(struct daemon *d, int fd, pid_t pid, uid_t uid)
{
	struct conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->id = d->next_id++;
	c->fd = fd;
	c->pid = pid;
	c->uid = uid;
	if (epoll_add(d->epfd, fd, TAG_CONN_MIN + c->id) != 0 && !d->cfg.no_listen) {
		free(c);
		return NULL;
	}
	c->next = d->conns;
	d->conns = c;
	return c;
}

struct conn *conn_find(struct daemon *d, uint64_t id)
{
	for (struct conn *c = d->conns; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

void conn_close(struct daemon *d, struct conn *c)
{
	for (struct conn **pp = &d->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	if (c->app) {
		app_gone(d, c->app);
		c->app = NULL;
	}
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
	ops_check(d, 0); /* an op may have waited for this app */
}

/* Answers why, then closes. Reading is shut down and what the peer sent
 * already is discarded first: closing with unread data would reset the
 * connection before the peer reads our answer. */
static void refuse(int fd, const char *why)
{
	static uint64_t junk[RT_MSG_MAX / 8];
	shutdown(fd, SHUT_RD);
	for (int i = 0; i < 64; i++) {
		int fds[RT_MSG_MAX_FDS];
		uint32_t nfds;
		ssize_t n = rt_msg_recv(fd, junk, fds, &nfds, MSG_DONTWAIT);
		for (uint32_t k = 0; k < nfds; k++)
			close(fds[k]);
		if (n <= 0 && n != -EPROTO)
			break;
	}
	struct rt_msg_buf *b = malloc(sizeof *b);
	if (b) {
		rt_msg_init(b, RT_MSG_REPLY, 0);
		struct rt_msg_reply r = { .status = -EACCES, .text_len = (uint32_t)strlen(why) + 1 };
		rt_msg_put(b, &r, sizeof r);
		rt_msg_put(b, why, r.text_len);
		rt_msg_send(fd, b, -1, MSG_DONTWAIT);
		free(b);
	}
	close(fd);
}

static int count_conns(const struct daemon *d)
{
	int n = 0;
	for (const struct conn *c = d->conns; c; c = c->next)
		n++;
	return n;
}

static void accept_all(struct daemon *d)
{
	for (;;) {
		int fd = accept4(d->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				logm(LOG_WARN, "accept: %s", strerror(errno));
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		struct ucred cr;
		socklen_t len = sizeof cr;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || len != sizeof cr) {
			logm(LOG_WARN, "no peer credentials on a connection: refused");
			close(fd);
			continue;
		}
		if (cr.uid != d->uid) {
			logm(LOG_WARN, "refused a connection from uid %u (pid %d): this daemon serves uid %u only",
			     (unsigned)cr.uid, (int)cr.pid, (unsigned)d->uid);
			refuse(fd, "permission denied: this rseqtraced belongs to another user");
			continue;
		}
		if (d->quit || count_conns(d) >= MAX_CONNS) {
			refuse(fd, d->quit ? "the daemon is shutting down" : "too many connections");
			continue;
		}
		if (!conn_add(d, fd, cr.pid, cr.uid)) {
			logm(LOG_ERR, "out of memory for a connection");
			close(fd);
		}
	}
}

static int is_cli_type(uint16_t t)
{
	return t >= RT_MSG_CREATE && t <= RT_MSG_ADD_CONTEXT;
}

static int is_app_type(uint16_t t)
{
	return t == RT_MSG_APP_REGISTER || t == RT_MSG_APP_EVENTS ||
	       t == RT_MSG_APP_READY_REQ || t == RT_MSG_APP_SYNC_ACK;
}

int conn_dispatch(struct daemon *d, struct conn *c, const void *buf, size_t n,
		  int *fds, uint32_t nfds)
{
	struct rt_msg *m = malloc(sizeof *m);
	char why[128];
	int r = -1;
	if (!m)
		goto out;
	if (rt_msg_decode(buf, n, nfds, m, why, sizeof why) != 0) {
		logm(LOG_WARN, "pid %d sent a malformed message (%s): connection closed",
		     (int)c->pid, why);
		goto out;
	}
	uint16_t t = m->hdr.type;
	if (c->role == CONN_NEW)
		c->role = t == RT_MSG_APP_REGISTER ? CONN_APP : CONN_CLI;
	if (c->role == CONN_CLI && is_cli_type(t))
		r = cli_dispatch(d, c, m);
	else if (c->role == CONN_APP && is_app_type(t))
		r = app_dispatch(d, c, m);
	else
		logm(LOG_WARN, "pid %d sent message type %u out of place: connection closed",
		     (int)c->pid, t);
out:
	for (uint32_t i = 0; i < nfds; i++)
		close(fds[i]); /* peers never send us descriptors we keep */
	free(m);
	return r;
}

void conn_read(struct daemon *d, struct conn *c)
{
	static uint64_t buf[RT_MSG_MAX / 8];
	for (int i = 0; i < MSGS_PER_WAKEUP; i++) {
		int fds[RT_MSG_MAX_FDS];
		uint32_t nfds;
		ssize_t n = rt_msg_recv(c->fd, buf, fds, &nfds, MSG_DONTWAIT);
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			if (n < 0 && n != -ECONNRESET)
				logm(LOG_WARN, "pid %d: %s: connection closed", (int)c->pid,
				     n == -EPROTO ? "truncated message or stray control data"
						  : strerror((int)-n));
			conn_close(d, c);
			return;
		}
		if (conn_dispatch(d, c, buf, (size_t)n, fds, nfds) != 0 || c->closing) {
			conn_close(d, c);
			return;
		}
	}
}

/* ---- Timers --------------------------------------------------------------- */

static void arm(int tfd, int period_ms, int one_shot_ms)
{
	struct itimerspec it = { 0 };
	if (period_ms > 0) {
		it.it_interval.tv_sec = period_ms / 1000;
		it.it_interval.tv_nsec = (long)(period_ms % 1000) * 1000000;
		it.it_value = it.it_interval;
	} else if (one_shot_ms >= 0) {
		int ms = one_shot_ms > 0 ? one_shot_ms : 1;
		it.it_value.tv_sec = ms / 1000;
		it.it_value.tv_nsec = (long)(ms % 1000) * 1000000;
	}
	timerfd_settime(tfd, 0, &it, NULL);
}

void daemon_update_timers(struct daemon *d)
{
	static int armed_ms = -1;
	int active = 0;
	for (struct session *s = d->sessions; s; s = s->next)
		active |= s->state == S_ACTIVE;
	int want = active ? d->drain_ms : 0;
	if (want != armed_ms) {
		arm(d->drain_tfd, want, -1);
		armed_ms = want;
	}
	uint64_t first = UINT64_MAX;
	for (struct op *o = d->ops; o; o = o->next)
		if (o->deadline_ms < first)
			first = o->deadline_ms;
	if (first == UINT64_MAX) {
		arm(d->op_tfd, 0, -1);
	} else {
		uint64_t now = now_ms();
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
		/* Data ready already: look at the other fds, but do not sleep. */
		int ready = traces_sleep(d);
		int n = epoll_wait(d->epfd, evs, 64, ready ? 0 : -1);
		traces_awake(d);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			logm(LOG_ERR, "epoll_wait: %s", strerror(errno));
			return 1;
		}
		d->wakeups += !ready;
		for (int i = 0; i < n && !d->done; i++) {
			uint64_t tag = evs[i].data.u64;
			if (tag & TAG_WAKE) {
				trace_woken(d, tag & ~TAG_WAKE);
			} else if (tag == TAG_LISTEN) {
				accept_all(d);
			} else if (tag == TAG_SIGNAL) {
				handle_signals(d);
			} else if (tag == TAG_DRAIN) {
				read_timer(d->drain_tfd);
				drain_all(d);
			} else if (tag == TAG_OPS) {
				read_timer(d->op_tfd);
				ops_check(d, 0);
			} else {
				struct conn *c = conn_find(d, tag - TAG_CONN_MIN);
				if (c)
					conn_read(d, c);
			}
		}
		if (!d->done)
			drain_woken(d);
	}
	return 0;
}

void daemon_reset(struct daemon *d)
{
	ops_check(d, 1);
	while (d->sessions)
		session_destroy_now(d, d->sessions);
	while (d->conns)
		conn_close(d, d->conns);
	ops_check(d, 1);
	d->next_id = 1;
	d->next_sync = 1;
	d->current_session = 0;
}

void daemon_fini(struct daemon *d)
{
	daemon_reset(d);
	if (d->lfd >= 0) {
		unlink(d->sock_path);
		close(d->lfd);
	}
	if (d->lock_fd >= 0)
		close(d->lock_fd); /* the lock file stays: unlinking it would race */
	int fds[] = { d->epfd, d->sigfd, d->drain_tfd, d->op_tfd };
	for (unsigned i = 0; i < sizeof fds / sizeof fds[0]; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}
