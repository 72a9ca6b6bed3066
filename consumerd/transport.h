/* SPDX-License-Identifier: MIT */
/*
 * Connections: the listening socket, accepting (peer credentials checked),
 * reading records, answering, refusing, and handing each decoded message
 * to the CLI commands (session.h) or the app registry (registry.h) by the
 * connection's role, fixed by its first message.
 *
 * What one peer can take is bounded: connections per process, connections
 * whose role is not known yet (the oldest is let go for a newer one) and
 * established ones (apps cannot take the CLI's reserve); a connection that
 * sends nothing, or does not read its answer, for cfg.peer_timeout_ms is
 * closed; answers wait in a queue of their own per connection, which is
 * not read from until its queue is sent; out of descriptors, accepting
 * pauses instead of spinning.
 */
#ifndef RT_CONSUMERD_TRANSPORT_H
#define RT_CONSUMERD_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct daemon;
struct app;
struct rt_msg_buf;

enum conn_role { CONN_NEW, CONN_CLI, CONN_APP };
struct reply_out;
struct conn {
	struct conn *next;
	struct daemon *d;
	uint64_t id;
	int fd;
	enum conn_role role;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	struct app *app;
	int closing;
	struct reply_out *out;  /* answers not sent yet, oldest first */
	size_t out_bytes;
	uint64_t deadline_ms;   /* closed if still waiting on the peer then (0: none) */
};

/* Binds and listens on the daemon's socket (d->lfd). 0, or -1 with err. */
int transport_listen(struct daemon *d, char *err, size_t errlen);
/* Accepts every pending connection. */
void transport_accept(struct daemon *d);
/* Stops accepting: new apps see no socket and do not wait for us. */
void transport_unlisten(struct daemon *d);
/* d->conn_tfd fired: closes connections past their deadline, resumes
 * accepting after a pause. */
void transport_tick(struct daemon *d);

struct conn *conn_add(struct daemon *d, int fd, pid_t pid, uid_t uid);
void conn_close(struct daemon *d, struct conn *c);
struct conn *conn_find(struct daemon *d, uint64_t id);
/* Handles one received record; returns -1 if the conn must be closed. */
int conn_dispatch(struct daemon *d, struct conn *c, const void *buf, size_t n,
		  int *fds, uint32_t nfds);
/* The event loop's events (EPOLLIN, EPOLLOUT, ...) for c: sends what is
 * queued, reads and dispatches what c sent (a bounded number of records). */
void conn_event(struct daemon *d, struct conn *c, uint32_t events);
/* Answers a CLI request with text, in as many REPLY records as it needs:
 * what the socket does not take now is queued and sent as the peer reads.
 * Returns 0, or -1 if the connection is to be closed (c->closing). */
int send_reply(struct conn *c, uint64_t seq, int status, const char *text);
/* Sends one record (to an app) with its descriptors; what the socket does
 * not take now is queued behind anything queued before and sent as the
 * peer reads (it has peer_timeout_ms each time to make room). 0, or
 * -errno: nothing sent or queued. */
int send_record(struct conn *c, struct rt_msg_buf *b, const int *fds, uint32_t nfds);
/* The same with a formatted text (an error); returns 0: the connection
 * stays usable. */
int send_replyf(struct conn *c, uint64_t seq, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
