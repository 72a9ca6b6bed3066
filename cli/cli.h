/* SPDX-License-Identifier: MIT */
/* rseqtrace, the command-line client of rseqtraced. */
#ifndef RT_CLI_H
#define RT_CLI_H

#include <stdint.h>

#include "protocol/codec.h"

/* Exit statuses of the CLI itself (record exits with its command's). */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* client.c */
struct client {
	int fd;
	uint64_t seq;
	char dir[RT_PATH_MAX];
};
/* Connects to the daemon of dir (NULL: the default directory). Prints a
 * clear error and returns -1 if there is none. */
int client_connect(struct client *c, const char *dir);
void client_close(struct client *c);
/* Sends b, collects the whole answer into *text (malloc'd). Returns the
 * daemon's status (0 or -errno), or -EPROTO/-ETIMEDOUT/-ECONNRESET with a
 * message printed if the daemon did not answer. */
int client_request(struct client *c, struct rt_msg_buf *b, char **text);
/* Prints an error in the CLI's one format. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_print_reply(int status, const char *text);

/* options.c: parsing shared by create and record */
struct buffer_opts {
	uint32_t buffers, subbuf_size, num_subbuf, clock;
	uint64_t blocking_us; /* RT_BLOCKING_* or a timeout in us */
};
/* Returns 1 if opt was a buffer option (consuming arg), 0 if not, -1 on error. */
int parse_buffer_opt(int opt, const char *arg, struct buffer_opts *b);
int parse_loglevel(const char *s, int32_t *out);
/* "ip", "vpid,vtid", ...: ORs the RT_CTX_* bits into *bits. */
int parse_context(const char *s, uint32_t *bits);
int check_pattern(const char *p);
/* A filter expression the daemon may take: 1..RT_FILTER_TEXT_MAX-1
 * printable ASCII characters (tabs too). 0, or -1 printed. */
int check_filter(const char *f);
int absolute_path(const char *in, char *out, size_t n);
int copy_name(char *dst, size_t n, const char *name, const char *what);
/* -k/--kernel and friends: lttng's other domains, refused with one message. */
int refuse_domain(const char *opt);
/* One request, its answer printed; the CLI's exit status. */
int cli_run(const char *home, struct rt_msg_buf *b);
int cli_usage_error(const char *cmd);
/* An output given as DIR or file://DIR (lttng's local URL): absolute. */
int output_arg(const char *in, char *out, size_t n);

/* commands.c */
int cmd_create(int argc, char **argv, const char *home);
int cmd_rule(int argc, char **argv, const char *home, int enable);
int cmd_track(int argc, char **argv, const char *home, int track);
int cmd_session_op(int argc, char **argv, const char *home, uint16_t type);
int cmd_list(int argc, char **argv, const char *home, int mi);
int cmd_add_context(int argc, char **argv, const char *home);
/* view.c */
int cmd_status(int argc, char **argv, const char *home, int mi);
int cmd_view(int argc, char **argv, const char *home);
/* mi.c: --mi xml of list (name "": every session) and status (current). */
int mi_list(const char *home, const char *name, int current, const char *cmd);
const char *mi_loglevel_type(uint32_t loglevel_type);
/* lttng's <process_attr_trackers> of s: typed as in a list, else as in a
 * session file (save.c). w is an xmlTextWriterPtr. */
struct _xmlTextWriter;
struct m_session;
void mi_trackers(struct _xmlTextWriter *w, const struct m_session *s, int typed);
/* save.c */
int cmd_save(int argc, char **argv, const char *home);
int cmd_load(int argc, char **argv, const char *home);
/* channel.c */
int cmd_channel(int argc, char **argv, const char *home, int enable);

/* rotation.c: action is enum rt_rotate_action */
int cmd_rotation(int argc, char **argv, const char *home, int action);

/* snapshot.c */
int cmd_snapshot(int argc, char **argv, const char *home);

/* record.c */
int cmd_record(int argc, char **argv);

/* Long options numbered from here, shared by create and record. */
enum {
	OPT_BUF_UID = 300, OPT_BUF_PID, OPT_SUBBUF, OPT_NUMSUB, OPT_CLOCK, OPT_BLOCKING,
	OPT_LOGLEVEL, OPT_LOGLEVEL_ONLY, OPT_KV, OPT_HOME,
	OPT_DISCARD, OPT_OVERWRITE, OPT_SWITCH_TIMER, OPT_READ_TIMER, OPT_MONITOR_TIMER,
	OPT_TRACEFILE_SIZE, OPT_TRACEFILE_COUNT, OPT_OUTPUT_TYPE, OPT_BUF_GLOBAL,
	OPT_EXCLUDE, OPT_VPID, OPT_VUID, OPT_VGID, OPT_SNAPSHOT, OPT_NO_OUTPUT,
	OPT_LIVE = 400, OPT_HOSTNAME,
};

/* snapshot.c: net://HOST[:CTRL[:DATA]] as the daemon takes it (numeric
 * host, both ports) in out. 0, or -1 printed. */
int snapshot_net_output(const char *in, char *out, size_t n);

/* netout.c: create's relayd options */
struct net_opts {
	char host[RT_HOST_MAX];
	uint16_t ctrl, data;
	unsigned url;              /* 1: -U, 2: -C, 4: -D */
	uint32_t live_us;
	char hostname[RT_HOSTNAME_MAX];
};
/* 1 if opt was one of them (consuming arg), 0 if not, -1 on error. */
int parse_net_opt(int opt, const char *arg, struct net_opts *n);
/* Fills cr's relayd fields and checks that a relayd answers. 0 or -1. */
int net_opts_apply(struct net_opts *n, struct rt_msg_create *cr);

#endif
