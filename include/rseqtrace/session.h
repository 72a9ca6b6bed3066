/* SPDX-License-Identifier: MIT */
/*
 * In-process tracing, without a daemon: librseqtrace creates the buffers in
 * this process, enables the events that match a pattern list, drains the
 * buffers into a CTF trace from a thread of its own, and finishes the trace
 * at rseqtrace_session_stop() or at exit.
 *
 * From the environment (read when librseqtrace is loaded):
 *   RSEQTRACE_INPROC=DIR         start a session writing under DIR
 *   RSEQTRACE_EVENTS=P1,P2       patterns ('*' wildcard), default "*"
 *   RSEQTRACE_LOGLEVEL=LEVEL     only events of LEVEL or more severe
 *   RSEQTRACE_CONTEXT=vpid,vtid,procname,ip   contexts of every event (default
 *                                none); `babeltrace2 --debug-info` resolves
 *                                ip to binary/function/line with vpid,ip
 *                                and the lttng_ust_statedump events
 *   RSEQTRACE_SUBBUF_SIZE=N, RSEQTRACE_NUM_SUBBUF=N   (k, M suffixes)
 *   RSEQTRACE_CLOCK=monotonic|tsc
 *   RSEQTRACE_LOCKED=1           locked buffers instead of rseq
 * The trace goes to DIR/ust/pid/<procname>-<pid>-<datetime>/ (per-process
 * buffers); `babeltrace2 DIR` reads it.
 *
 * A forked child keeps writing into the parent's buffers (the parent's
 * session drains them); it never starts, stops or extends that session.
 */
#ifndef RSEQTRACE_SESSION_H
#define RSEQTRACE_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <rseqtrace/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RSEQTRACE_PUBLIC __attribute__((visibility("default")))

enum rseqtrace_buffer_mode {
	RSEQTRACE_MODE_AUTO = 0,   /* rseq if this process can use it, else locked */
	RSEQTRACE_MODE_RSEQ = 1,
	RSEQTRACE_MODE_LOCKED = 2,
};

enum rseqtrace_clock {
	RSEQTRACE_CLOCK_MONOTONIC = 0,
	RSEQTRACE_CLOCK_TSC = 1,
};

struct rseqtrace_session_config {
	const char *output;       /* directory for the trace (created) */
	const char *path;         /* optional: the trace directory itself, no layout */
	const char *events;       /* comma-separated patterns; NULL: "*" */
	int loglevel;             /* < 0: any; else this level or more severe */
	unsigned contexts;        /* RSEQTRACE_CTX_* */
	uint32_t subbuf_size;     /* 0: 256 KiB */
	uint32_t num_subbuf;      /* 0: 4 */
	enum rseqtrace_buffer_mode mode;
	enum rseqtrace_clock clock;
	unsigned drain_period_ms; /* 0: 100; the drain thread polls faster while busy */
	const char *name;         /* trace_name in the metadata; NULL: the process name */
};

/* Starts the process's session (one at a time). 0, or -errno with a message
 * from rseqtrace_session_error(). */
RSEQTRACE_PUBLIC int rseqtrace_session_start(const struct rseqtrace_session_config *cfg);
/* Stops recording, flushes every partial packet, finishes the trace. 0, or
 * -errno of the first write error (the trace written so far stays readable),
 * -ENOENT if no session runs. */
RSEQTRACE_PUBLIC int rseqtrace_session_stop(void);
RSEQTRACE_PUBLIC const char *rseqtrace_session_error(void);
/* The trace directory of the running (or last) session, or NULL. */
RSEQTRACE_PUBLIC const char *rseqtrace_session_path(void);

struct rseqtrace_session_stats {
	uint64_t events;     /* written to the trace */
	uint64_t discarded;  /* reported in the trace as discarded */
	uint64_t lost_full, lost_big, lost_abort; /* the buffers' drop counters */
	uint64_t refused;    /* threads that could not write the buffers' mode (in lost_abort) */
	uint64_t write_lost; /* events of packets the disk did not take */
	uint64_t unreported; /* losses no written packet reports (the disk stayed full) */
	uint64_t packets;
	uint64_t bytes;
	uint64_t write_errors;
	uint32_t enabled_events;
	int mode;            /* enum rseqtrace_buffer_mode actually used */
};
/* 0, or -ENOENT if no session ran. After stop: the final figures. */
RSEQTRACE_PUBLIC int rseqtrace_session_stats(struct rseqtrace_session_stats *st);

/* Lists registered events: cb(name, loglevel, enabled) for each. Returns
 * how many there were. */
RSEQTRACE_PUBLIC int rseqtrace_list_events(void (*cb)(void *arg, const char *name, int loglevel,
						      int enabled), void *arg);

/* "INFO" or "TRACE_INFO" (any case) or "6" -> 6; -1 if unknown. */
RSEQTRACE_PUBLIC int rseqtrace_loglevel_parse(const char *s);
RSEQTRACE_PUBLIC const char *rseqtrace_loglevel_name(int level);

#ifdef __cplusplus
}
#endif

#endif
