/* SPDX-License-Identifier: MIT */
/*
 * Connections: the listening socket, accepting (peer credentials checked),
 * reading records, answering, refusing, and handing each decoded message
 * to the CLI commands (session.h) or the app registry (registry.h) by the
 * connection's role, fixed by its first message.
 */
#ifndef RT_CONSUMERD_TRANSPORT_H
#define RT_CONSUMERD_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct daemon;
struct app;

enum conn_role { CONN_NEW, CONN_CLI, CONN_APP };
struct conn {
	struct conn *next;
	uint64_t id;
	int fd;
	enum conn_role role;
	pid_t pid;
	uid_t uid;
	struct app *app;
	int closing;
};

/* Binds and listens on the daemon's socket (d->lfd). 0, or -1 with err. */
int transport_listen(struct daemon *d, char *err, size_t errlen);
/* Accepts every pending connection. */
void transport_accept(struct daemon *d);
/* Stops accepting: new apps see no socket and do not wait for us. */
void transport_unlisten(struct daemon *d);

struct conn *conn_add(struct daemon *d, int fd, pid_t pid, uid_t uid);
void conn_close(struct daemon *d, struct conn *c);
struct conn *conn_find(struct daemon *d, uint64_t id);
/* Handles one received record; returns -1 if the conn must be closed. */
int conn_dispatch(struct daemon *d, struct conn *c, const void *buf, size_t n,
		  int *fds, uint32_t nfds);
/* Reads and dispatches what c sent (a bounded number of records). */
void conn_read(struct daemon *d, struct conn *c);
/* Answers a CLI request with text, in as many REPLY records as it needs.
 * A CLI that does not read its answers is closed rather than waited for. */
int send_reply(struct conn *c, uint64_t seq, int status, const char *text);
/* The same with a formatted text (an error); returns 0: the connection
 * stays usable. */
int send_replyf(struct conn *c, uint64_t seq, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
