/* SPDX-License-Identifier: MIT */
/*
 * Channels (session.h): enable-channel, disable-channel, and the default
 * channel enable-event, disable-event and add-context make when they name
 * none. A channel is made before the session's first start only, as
 * LTTng-UST's are: its traces (buffer sets, stream class) are made with
 * the session's, and its attributes never change afterwards.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/context.h"
#include "consumerd/daemon.h"
#include "consumerd/log.h"
#include "consumerd/session.h"
#include "consumerd/trace.h"
#include "consumerd/transport.h"

#define MAX_CHANNELS 64
/* A snapshot or a rotation takes every channel of a trace directory. */
_Static_assert(MAX_CHANNELS - 1 <= TRACE_GROUP_MAX, "trace_group holds every channel");
#define DEFAULT_CONTEXTS (RT_CTX_VPID | RT_CTX_VTID | RT_CTX_PROCNAME)

struct channel *channel_find(const struct session *s, const char *name)
{
	for (struct channel *ch = s->channels; ch; ch = ch->next)
		if (strcmp(ch->name, name) == 0)
			return ch;
	return NULL;
}

void channel_free(struct channel *ch)
{
	channel_rules_free(ch);
	free(ch);
}

/* What the ring buffer and the output cannot do: refused by name. */
static int unsupported(const struct rt_msg_channel *a, char *why, size_t n)
{
	if ((a->set & RT_CHA_TRACEFILE_COUNT) && a->tracefile_count &&
	    !((a->set & RT_CHA_TRACEFILE_SIZE) && a->tracefile_size)) {
		snprintf(why, n, "--tracefile-count needs --tracefile-size");
		return 1;
	}
	return 0;
}

/* Makes channel `name` of s with attributes a (NULL: the defaults). */
static struct channel *channel_new(struct daemon *d, struct session *s, const char *name,
				   const struct rt_msg_channel *a, int *status, char *why, size_t n)
{
	static const struct rt_msg_channel none;
	if (!a)
		a = &none;
	*status = -EINVAL;
	if (s->started_once) {
		*status = -EBUSY;
		snprintf(why, n, "session '%s' has been started: channel '%s' cannot be added "
				 "(channels are made before the first start, as in lttng: "
				 "\"Tracing already started\")", s->name, name);
		return NULL;
	}
	if (s->nr_channels >= MAX_CHANNELS) {
		*status = -E2BIG;
		snprintf(why, n, "session '%s' has %d channels, the most it may have", s->name,
			 MAX_CHANNELS);
		return NULL;
	}
	if (unsupported(a, why, n))
		return NULL;
	enum rt_buffers buffers = (a->set & RT_CHA_BUFFERS) ? (enum rt_buffers)a->buffers : s->buffers;
	if (buffers != s->buffers && s->channels) {
		snprintf(why, n, "session '%s' has per-%s buffers (channel '%s'): one buffer type "
				 "per session, as in lttng", s->name,
			 s->buffers == RT_BUFFERS_PID ? "PID" : "UID", s->channels->name);
		return NULL;
	}
	uint32_t subbuf, num;
	channel_default_geometry(buffers, &subbuf, &num);
	if (s->given & RT_CHA_SUBBUF)
		subbuf = s->subbuf_size;
	if (s->given & RT_CHA_NUM_SUBBUF)
		num = s->num_subbuf;
	if (a->set & RT_CHA_SUBBUF)
		subbuf = a->subbuf_size;
	if (a->set & RT_CHA_NUM_SUBBUF)
		num = a->num_subbuf;
	if (!check_geometry(d, subbuf, num, why, n))
		return NULL;
	struct channel *ch = calloc(1, sizeof *ch);
	if (!ch) {
		*status = -ENOMEM;
		snprintf(why, n, "out of memory");
		return NULL;
	}
	snprintf(ch->name, sizeof ch->name, "%s", name);
	ch->stream_id = s->nr_channels;
	ch->enabled = 1;
	ch->subbuf_size = subbuf;
	ch->num_subbuf = num;
	/* A snapshot session's channels overwrite unless told (lttng's). */
	ch->overwrite = (a->set & RT_CHA_OVERWRITE) ? (int)a->overwrite : s->snapshot;
	ch->tracefile_size = a->tracefile_size;
	ch->tracefile_count = a->tracefile_count;
	ch->switch_timer_us = a->switch_timer_us;
	ch->read_timer_us = a->read_timer_us;
	ch->monitor_timer_us = a->monitor_timer_us;
	ch->blocking_us = (a->set & RT_CHA_BLOCKING) ? a->blocking_us : s->blocking_us;
	ch->contexts = DEFAULT_CONTEXTS;
	s->buffers = buffers;
	struct channel **pp = &s->channels;
	while (*pp)
		pp = &(*pp)->next;
	*pp = ch;
	s->nr_channels++;
	logm(LOG_INFO, "session %s: channel %s made (%u x %u bytes, per-%s)", s->name, ch->name,
	     num, subbuf, buffers == RT_BUFFERS_PID ? "PID" : "UID");
	return ch;
}

struct channel *channel_get(struct daemon *d, struct session *s, const char *name,
			    int *status, char *why, size_t n)
{
	int named = name[0] != '\0';
	if (!named)
		name = RT_DEFAULT_CHANNEL;
	struct channel *ch = channel_find(s, name);
	if (ch)
		return ch;
	if (!named && s->channels) {
		/* lttng's rule: the default channel is not made beside others. */
		*status = -ENOENT;
		snprintf(why, n, "session '%s' has channels and no %s: name one with -c CHANNEL "
				 "(lttng: \"Non-default channel exists within session\")", s->name,
			 RT_DEFAULT_CHANNEL);
		return NULL;
	}
	return channel_new(d, s, name, NULL, status, why, n);
}

static void describe_channel(struct text *t, const struct channel *ch, enum rt_buffers b)
{
	text_add(t, "per-%s, %u x %u bytes, %s", b == RT_BUFFERS_PID ? "PID" : "UID",
		 ch->num_subbuf, ch->subbuf_size, ch->overwrite ? "overwrite" : "discard");
	if (ch->blocking_us == RT_BLOCKING_INF)
		text_add(t, ", blocking timeout inf");
	else if (ch->blocking_us)
		text_add(t, ", blocking timeout %llu us", (unsigned long long)ch->blocking_us);
}

int cmd_enable_channel(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	const struct rt_msg_channel *a = m->body;
	uint64_t seq = m->hdr.seq;
	struct session *s = command_session(d, c, seq, a->session);
	if (!s)
		return 0;
	struct channel *ch = channel_find(s, a->channel);
	struct text t = { 0 };
	if (ch) {
		if (a->set)
			return send_replyf(c, seq, -EEXIST,
					 "channel '%s' already exists in session '%s': its attributes "
					 "are set when it is made", ch->name, s->name);
		if (ch->enabled)
			return send_replyf(c, seq, -EALREADY, "channel '%s' is already enabled in "
					 "session '%s'", ch->name, s->name);
		ch->enabled = 1;
		text_add(&t, "Channel %s enabled in session %s\n", ch->name, s->name);
		session_update_apps(d, s);
		op_begin(d, OP_ENABLE, c, seq, s, &t);
		return 0;
	}
	char why[256];
	int status;
	ch = channel_new(d, s, a->channel, a, &status, why, sizeof why);
	if (!ch)
		return send_replyf(c, seq, status, "%s", why);
	text_add(&t, "Channel %s enabled in session %s (", ch->name, s->name);
	describe_channel(&t, ch, s->buffers);
	text_add(&t, ")\n");
	send_reply(c, seq, 0, t.oom ? "channel enabled" : t.s);
	text_free(&t);
	return 0;
}

/* Like lttng's: the channel stays, its events are no longer recorded
 * (apps are told to disable them) until it is enabled again. */
int cmd_disable_channel(struct daemon *d, struct conn *c, const struct rt_msg *m)
{
	const struct rt_msg_channel *a = m->body;
	uint64_t seq = m->hdr.seq;
	struct session *s = command_session(d, c, seq, a->session);
	if (!s)
		return 0;
	struct channel *ch = channel_find(s, a->channel);
	if (!ch)
		return send_replyf(c, seq, -ENOENT, "no channel named '%s' in session '%s'",
				 a->channel, s->name);
	if (!ch->enabled)
		return send_replyf(c, seq, -EALREADY, "channel '%s' is already disabled in "
				 "session '%s'", ch->name, s->name);
	ch->enabled = 0;
	struct text t = { 0 };
	text_add(&t, "Channel %s disabled in session %s\n", ch->name, s->name);
	session_update_apps(d, s);
	op_begin(d, OP_ENABLE, c, seq, s, &t);
	return 0;
}
