/* SPDX-License-Identifier: MIT */
/*
 * Whom we trust, checked with the kernel's word: a directory is "mine" if
 * it is a real directory (not a symlink) owned by my uid that nobody else
 * may change (or, for the socket directory, enter); a socket peer is "mine"
 * if SO_PEERCRED names my uid or root. Used by the daemon, the CLI and the
 * library (socket directory, peer), and by the CTF writer (output paths).
 */
#ifndef RT_COMMON_TRUST_H
#define RT_COMMON_TRUST_H

#include <stddef.h>
#include <sys/types.h>

/* Mode bits that make a directory unsafe: the socket directory must be
 * 0700 (nobody else enters), an output directory must not be writable by
 * group or others (nobody else plants or swaps entries). */
#define RT_DIR_PRIVATE 077
#define RT_DIR_NO_OTHER_WRITE 022

/* fd (opened on path, which only names it in messages) is a directory
 * owned by uid with none of the `forbid` mode bits. 0, or -errno with why. */
int rt_dir_check_fd(int fd, const char *path, uid_t uid, mode_t forbid, char *why, size_t n);
/* Opens path as a directory (O_PATH), not following a symlink in its last
 * component, and checks it as above. The fd (O_CLOEXEC), or -errno with
 * why naming the path and what is wrong. */
int rt_dir_open_checked(const char *path, uid_t uid, mode_t forbid, char *why, size_t n);
/* The process at the other end of connected socket fd runs as uid or as
 * root. 0, or -errno with why. */
int rt_peer_check(int fd, uid_t uid, char *why, size_t n);

/* Opens (creating if missing, 0700) the directory `path` and every
 * directory under it named by `below` ("a/b/c", may be NULL or ""),
 * relative to checked directory fds, never following a symlink at or
 * under `path`: each of them must be a directory owned by uid, not
 * writable by group or others. Directories above `path` are the user's
 * choice and are traversed as named, but a symlink among them is followed
 * only if it belongs to uid or root (a link planted in a shared directory
 * such as /tmp is refused). With `fresh`, the last directory must not
 * exist yet (-EEXIST). *created: 1 if the call created that last one.
 * A relative path starts from the working directory.
 * The fd of the last directory (O_CLOEXEC), or -errno with why. */
int rt_dir_open_below(const char *path, const char *below, uid_t uid, int fresh, int *created,
		      char *why, size_t n);

#endif
