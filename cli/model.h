/* SPDX-License-Identifier: MIT */
/*
 * A session as the CLI sees it: read from the daemon's `list --kv`
 * (status, view, --mi xml, save) or from a session file (load). One model
 * for all of them, so what is saved is what list shows.
 */
#ifndef RT_CLI_MODEL_H
#define RT_CLI_MODEL_H

#include <stdint.h>

#include "protocol/messages.h"

struct m_rule {
	int enable;
	char pattern[RT_PATTERN_MAX];
	uint32_t loglevel_type; /* enum rt_loglevel_type */
	int32_t loglevel;
	char filter[RT_FILTER_TEXT_MAX]; /* "" = none */
	uint32_t nr_excl;
	char excl[RT_MAX_EXCLUSIONS][RT_PATTERN_MAX];
};

/* A process attribute tracker (lttng 2.13): every process, none, or the
 * processes whose attribute is one of values. */
enum m_track_policy { M_TRACK_ALL, M_TRACK_NONE, M_TRACK_SET };
struct m_tracker {
	uint32_t policy;        /* enum m_track_policy */
	uint32_t nr;
	uint32_t values[RT_TRACK_MAX_VALUES];
};

struct m_channel {
	char name[RT_NAME_MAX];
	int enabled;
	uint32_t subbuf_size, num_subbuf;
	int overwrite;
	uint32_t switch_timer_us, read_timer_us, monitor_timer_us;
	uint64_t blocking_us;   /* RT_BLOCKING_INF for inf */
	uint64_t tracefile_size;
	uint32_t tracefile_count;
	uint32_t contexts;      /* RT_CTX_* */
	struct m_rule *rules;
	uint32_t nr_rules;
	uint64_t events, discarded; /* list: its traces' counts */
};

struct m_session {
	char name[RT_NAME_MAX];
	char state[16];         /* created, active, stopped */
	char output[RT_PATH_MAX];
	int per_pid;
	int tsc;
	/* Snapshot mode (lttng create --snapshot) and its one snapshot output
	 * ("" path: none): a directory or net://ADDR:CTRL:DATA. */
	int snapshot;
	char snap_name[RT_NAME_MAX];
	char snap_path[RT_PATH_MAX];
	uint64_t snap_max_size;
	int snap_outputs_seen;  /* load: the file had <snapshot_outputs> */
	uint32_t live_us;       /* streamed live to a relayd: its live timer; 0: not live */
	uint64_t rot_timer_us, rot_size; /* rotation schedules (enable-rotation); 0: none */
	struct m_tracker trackers[RT_TRACK_NR]; /* by enum rt_track_attr */
	struct m_channel *channels;
	uint32_t nr_channels;
};

struct m_list {
	struct m_session *sessions;
	uint32_t nr;
};

/* Asks the daemon for `list --kv` of one session (name, or "" with
 * current: the current one; "" without: every session) and parses it.
 * 0, or -1 with the error printed. */
int model_fetch(const char *home, const char *name, int current, struct m_list *out);
/* Parses `list --kv` text. 0, or -1 (printed) if it is not what the
 * daemon writes. */
int model_parse(const char *text, struct m_list *out);
void model_free(struct m_list *l);
/* Appends a zeroed channel / rule; NULL when out of memory. */
struct m_channel *model_add_channel(struct m_session *s);
struct m_rule *model_add_rule(struct m_channel *c);

#endif
