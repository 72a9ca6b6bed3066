/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/trust.h"

static int say(char *why, size_t n, int e, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int say(char *why, size_t n, int e, const char *fmt, ...)
{
	if (why && n) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, n, fmt, ap);
		va_end(ap);
	}
	return -e;
}

static int check_stat(const struct stat *st, const char *path, uid_t uid, mode_t forbid,
		      char *why, size_t n)
{
	if (S_ISLNK(st->st_mode))
		return say(why, n, ELOOP, "%s is a symbolic link", path);
	if (!S_ISDIR(st->st_mode))
		return say(why, n, ENOTDIR, "%s is not a directory", path);
	if (st->st_uid != uid)
		return say(why, n, EPERM, "%s belongs to uid %u, not to uid %u", path,
			   (unsigned)st->st_uid, (unsigned)uid);
	if (st->st_mode & forbid)
		return say(why, n, EPERM, "%s is %s other users (mode %03o)", path,
			   forbid == RT_DIR_NO_OTHER_WRITE ? "writable by" : "accessible to",
			   (unsigned)(st->st_mode & 07777));
	return 0;
}

int rt_dir_check_fd(int fd, const char *path, uid_t uid, mode_t forbid, char *why, size_t n)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return say(why, n, errno, "%s: %s", path, strerror(errno));
	return check_stat(&st, path, uid, forbid, why, n);
}

/* Why opening a directory with O_NOFOLLOW failed, in words. */
static int open_failed(int at, const char *name, const char *shown, int e, char *why, size_t n)
{
	struct stat st;
	if ((e == ELOOP || e == ENOTDIR) && fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return check_stat(&st, shown, st.st_uid, 0, why, n) ?: say(why, n, e, "%s: %s",
									shown, strerror(e));
	if (e == ENOENT)
		return say(why, n, e, "%s does not exist", shown);
	return say(why, n, e, "%s: %s", shown, strerror(e));
}

int rt_dir_open_checked(const char *path, uid_t uid, mode_t forbid, char *why, size_t n)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return open_failed(AT_FDCWD, path, path, errno, why, n);
	int r = rt_dir_check_fd(fd, path, uid, forbid, why, n);
	if (r != 0) {
		close(fd);
		return r;
	}
	return fd;
}

int rt_peer_check(int fd, uid_t uid, char *why, size_t n)
{
	struct ucred cr;
	socklen_t len = sizeof cr;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || len != sizeof cr)
		return say(why, n, EPERM, "no peer credentials on the connection");
	if (cr.uid != uid && cr.uid != 0)
		return say(why, n, EPERM, "the process listening there (pid %d) runs as uid %u, "
				"not as uid %u or root", (int)cr.pid, (unsigned)cr.uid, (unsigned)uid);
	return 0;
}

/* ---- walking an output path ------------------------------------------------ */

/* One directory above the checked part: any owner (/, /tmp, /home), but a
 * symlink only if uid or root made it. Takes at; returns the new fd. */
static int step_above(int at, const char *name, const char *shown, uid_t uid, char *why, size_t n)
{
	int fd = openat(at, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		if (mkdirat(at, name, 0700) != 0 && errno != EEXIST)
			return say(why, n, errno, "cannot create %s: %s", shown, strerror(errno));
		fd = openat(at, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return say(why, n, errno, "%s: %s", shown, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return say(why, n, e, "%s: %s", shown, strerror(e));
	}
	if (S_ISLNK(st.st_mode)) {
		close(fd);
		if (st.st_uid != uid && st.st_uid != 0)
			return say(why, n, EPERM, "%s is a symbolic link made by uid %u: not followed",
				   shown, (unsigned)st.st_uid);
		fd = openat(at, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return say(why, n, errno, "%s: %s", shown, strerror(errno));
	} else if (!S_ISDIR(st.st_mode)) {
		close(fd);
		return say(why, n, ENOTDIR, "%s is not a directory", shown);
	}
	return fd;
}

/* One directory of the checked part: ours, not a symlink, created 0700 if
 * missing. */
static int step_checked(int at, const char *name, const char *shown, uid_t uid, int fresh,
			int *created, char *why, size_t n)
{
	*created = 0;
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return say(why, n, EINVAL, "%s: '.' or '..' in an output path", shown);
	if (mkdirat(at, name, 0700) == 0)
		*created = 1;
	else if (errno != EEXIST)
		return say(why, n, errno, "cannot create %s: %s", shown, strerror(errno));
	else if (fresh)
		return say(why, n, EEXIST, "%s exists already", shown);
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return open_failed(at, name, shown, errno, why, n);
	int r = rt_dir_check_fd(fd, shown, uid, RT_DIR_NO_OTHER_WRITE, why, n);
	if (r != 0) {
		close(fd);
		return r;
	}
	return fd;
}

int rt_dir_open_below(const char *path, const char *below, uid_t uid, int fresh, int *created,
		      char *why, size_t n)
{
	char full[4096];
	int w = snprintf(full, sizeof full, "%s%s%s", path, below && *below ? "/" : "",
			 below ? below : "");
	if (!path[0])
		return say(why, n, EINVAL, "empty output path");
	if (w < 0 || (size_t)w >= sizeof full)
		return say(why, n, ENAMETOOLONG, "%s: path too long", path);
	/* Where the checked part starts: the last component of path. */
	size_t plen = strlen(path);
	while (plen > 1 && path[plen - 1] == '/')
		plen--;
	size_t leaf = plen;
	while (leaf > 0 && path[leaf - 1] != '/')
		leaf--;
	/* A relative path starts from the working directory, like open(). */
	int at = open(path[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (at < 0)
		return say(why, n, errno, "%s: %s", path[0] == '/' ? "/" : ".", strerror(errno));
	int made = 0;
	size_t i = strspn(full, "/");
	while (full[i]) {
		size_t end = i;
		while (full[end] && full[end] != '/')
			end++;
		int last = full[end] == '\0' || full[end + strspn(full + end, "/")] == '\0';
		char name[256];
		if (end - i >= sizeof name) {
			close(at);
			return say(why, n, ENAMETOOLONG, "%.*s: name too long", (int)end, full);
		}
		memcpy(name, full + i, end - i);
		name[end - i] = '\0';
		char c = full[end];
		full[end] = '\0';
		int fd = i < leaf ? step_above(at, name, full, uid, why, n)
				  : step_checked(at, name, full, uid, fresh && last, &made, why, n);
		full[end] = c;
		close(at);
		if (fd < 0)
			return fd;
		at = fd;
		i = end + strspn(full + end, "/");
	}
	if (i <= leaf || leaf == plen) { /* path was "/": nothing checked */
		close(at);
		return say(why, n, EINVAL, "%s: not a usable output directory", path);
	}
	if (created)
		*created = made;
	return at;
}
