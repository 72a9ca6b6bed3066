/* SPDX-License-Identifier: MIT */
/* The CLI's model of sessions (model.h), from `list --kv`. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/model.h"

static void *grow(void *p, uint32_t n, size_t size)
{
	void *q = realloc(p, (n + 1) * size);
	if (q)
		memset((char *)q + n * size, 0, size);
	return q;
}

static struct m_session *add_session(struct m_list *l)
{
	struct m_session *s = grow(l->sessions, l->nr, sizeof *s);
	if (!s)
		return NULL;
	l->sessions = s;
	return &s[l->nr++];
}

struct m_channel *model_add_channel(struct m_session *s)
{
	struct m_channel *c = grow(s->channels, s->nr_channels, sizeof *c);
	if (!c)
		return NULL;
	s->channels = c;
	return &c[s->nr_channels++];
}

struct m_rule *model_add_rule(struct m_channel *c)
{
	struct m_rule *r = grow(c->rules, c->nr_rules, sizeof *r);
	if (!r)
		return NULL;
	c->rules = r;
	return &r[c->nr_rules++];
}

void model_free(struct m_list *l)
{
	for (uint32_t i = 0; i < l->nr; i++) {
		for (uint32_t j = 0; j < l->sessions[i].nr_channels; j++)
			free(l->sessions[i].channels[j].rules);
		free(l->sessions[i].channels);
	}
	free(l->sessions);
	l->sessions = NULL;
	l->nr = 0;
}

/* The value of key in a line of space-separated key=value words. */
static const char *word(const char *line, const char *key, char *out, size_t n)
{
	size_t k = strlen(key);
	for (const char *p = line; p && *p; p = strchr(p, ' '), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, k) == 0 && p[k] == '=') {
			size_t len = strcspn(p + k + 1, " \n");
			snprintf(out, n, "%.*s", (int)len, p + k + 1);
			return out;
		}
	}
	out[0] = '\0';
	return NULL;
}

static uint64_t num(const char *line, const char *key)
{
	char v[32];
	if (!word(line, key, v, sizeof v))
		return 0;
	return strcmp(v, "inf") == 0 ? RT_BLOCKING_INF : strtoull(v, NULL, 10);
}

static struct m_channel *find_channel(struct m_session *s, const char *name)
{
	for (uint32_t i = 0; i < s->nr_channels; i++)
		if (strcmp(s->channels[i].name, name) == 0)
			return &s->channels[i];
	return NULL;
}

static int parse_channel(struct m_session *s, const char *line)
{
	struct m_channel *c = model_add_channel(s);
	char v[64];
	if (!c)
		return -1;
	word(line, "channel", c->name, sizeof c->name);
	c->enabled = (int)num(line, "enabled");
	c->subbuf_size = (uint32_t)num(line, "subbuf_size");
	c->num_subbuf = (uint32_t)num(line, "num_subbuf");
	c->overwrite = (int)num(line, "overwrite");
	c->switch_timer_us = (uint32_t)num(line, "switch_timer");
	c->read_timer_us = (uint32_t)num(line, "read_timer");
	c->monitor_timer_us = (uint32_t)num(line, "monitor_timer");
	c->blocking_us = num(line, "blocking_timeout");
	c->tracefile_size = num(line, "tracefile_size");
	c->tracefile_count = (uint32_t)num(line, "tracefile_count");
	if (word(line, "contexts", v, sizeof v) && strcmp(v, "none") != 0 &&
	    parse_context(v, &c->contexts) != 0)
		return -1;
	return 0;
}

/* rule=enable|disable PATTERN LOGLEVEL_TYPE LOGLEVEL CHANNEL */
static int parse_rule(struct m_session *s, const char *v)
{
	char what[16], pattern[RT_PATTERN_MAX], chan[RT_NAME_MAX];
	unsigned lt;
	int ll;
	if (sscanf(v, "%15s %255s %u %d %63s", what, pattern, &lt, &ll, chan) != 5)
		return -1;
	struct m_channel *c = find_channel(s, chan);
	struct m_rule *r = c ? model_add_rule(c) : NULL;
	if (!r)
		return -1;
	r->enable = strcmp(what, "enable") == 0;
	snprintf(r->pattern, sizeof r->pattern, "%s", pattern);
	r->loglevel_type = lt;
	r->loglevel = ll;
	return 0;
}

/* Rule k of the session, counting through its channels in order (how
 * rule_filter= and rule_exclude= name the rule= lines). */
static struct m_rule *nth_rule(struct m_session *s, unsigned long k)
{
	for (uint32_t i = 0; i < s->nr_channels; i++) {
		if (k < s->channels[i].nr_rules)
			return &s->channels[i].rules[k];
		k -= s->channels[i].nr_rules;
	}
	return NULL;
}

/* rule_filter=K EXPR (the rest of the line) or rule_exclude=K PATTERN */
static int parse_rule_extra(struct m_session *s, const char *v, int is_filter)
{
	char *end;
	unsigned long k = strtoul(v, &end, 10);
	struct m_rule *r = nth_rule(s, k);
	if (!r || *end != ' ')
		return -1;
	if (is_filter) {
		snprintf(r->filter, sizeof r->filter, "%s", end + 1);
		return 0;
	}
	if (r->nr_excl == RT_MAX_EXCLUSIONS)
		return -1;
	snprintf(r->excl[r->nr_excl++], RT_PATTERN_MAX, "%s", end + 1);
	return 0;
}

/* tracker=vpid all|none|ID,ID,... */
static int parse_tracker(struct m_session *s, const char *v)
{
	size_t n = strcspn(v, " ");
	unsigned a = 0;
	while (a < RT_TRACK_NR && (strlen(rt_track_names[a]) != n || strncmp(v, rt_track_names[a], n)))
		a++;
	if (a == RT_TRACK_NR || v[n] != ' ')
		return -1;
	struct m_tracker *t = &s->trackers[a];
	const char *p = v + n + 1;
	t->nr = 0;
	if (!strcmp(p, "all") || !strcmp(p, "none")) {
		t->policy = !strcmp(p, "all") ? M_TRACK_ALL : M_TRACK_NONE;
		return 0;
	}
	t->policy = M_TRACK_SET;
	while (*p) {
		char *end;
		unsigned long x = strtoul(p, &end, 10);
		if (end == p || t->nr == RT_TRACK_MAX_VALUES || x > UINT32_MAX)
			return -1;
		t->values[t->nr++] = (uint32_t)x;
		p = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return 0;
}

static int parse_line(struct m_session *s, const char *line)
{
	const char *eq = strchr(line, '=');
	if (!eq)
		return 0;
	size_t k = (size_t)(eq - line);
	const char *v = eq + 1;
	char name[RT_NAME_MAX];
	if (k == 5 && !strncmp(line, "state", k))
		snprintf(s->state, sizeof s->state, "%s", v);
	else if (k == 6 && !strncmp(line, "output", k))
		snprintf(s->output, sizeof s->output, "%s", v);
	else if (k == 7 && !strncmp(line, "buffers", k))
		s->per_pid = strcmp(v, "pid") == 0;
	else if (k == 5 && !strncmp(line, "clock", k))
		s->tsc = strcmp(v, "tsc") == 0;
	else if (k == 8 && !strncmp(line, "snapshot", k))
		s->snapshot = strcmp(v, "1") == 0;
	else if (k == 15 && !strncmp(line, "snapshot_output", k))
		snprintf(s->snap_path, sizeof s->snap_path, "%s", v);
	else if (k == 20 && !strncmp(line, "snapshot_output_name", k))
		snprintf(s->snap_name, sizeof s->snap_name, "%s", v);
	else if (k == 24 && !strncmp(line, "snapshot_output_max_size", k))
		s->snap_max_size = strtoull(v, NULL, 10);
	else if (k == 10 && !strncmp(line, "live_timer", k))
		s->live_us = (uint32_t)strtoul(v, NULL, 10);
	else if (k == 14 && !strncmp(line, "rotation_timer", k))
		s->rot_timer_us = strtoull(v, NULL, 10);
	else if (k == 13 && !strncmp(line, "rotation_size", k))
		s->rot_size = strtoull(v, NULL, 10);
	else if (k == 7 && !strncmp(line, "channel", k))
		return parse_channel(s, line);
	else if (k == 4 && !strncmp(line, "rule", k))
		return parse_rule(s, v);
	else if (k == 11 && !strncmp(line, "rule_filter", k))
		return parse_rule_extra(s, v, 1);
	else if (k == 12 && !strncmp(line, "rule_exclude", k))
		return parse_rule_extra(s, v, 0);
	else if (k == 7 && !strncmp(line, "tracker", k))
		return parse_tracker(s, v);
	else if (k == 5 && !strncmp(line, "trace", k) && word(line, "channel", name, sizeof name)) {
		struct m_channel *c = find_channel(s, name);
		if (c) {
			c->events += num(line, "events");
			c->discarded += num(line, "discarded");
		}
	}
	return 0;
}

int model_parse(const char *text, struct m_list *out)
{
	memset(out, 0, sizeof *out);
	struct m_session *s = NULL;
	char *copy = strdup(text), *save = NULL;
	if (!copy)
		return -1;
	int r = 0;
	for (char *line = strtok_r(copy, "\n", &save); line && !r;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "session=", 8) == 0) {
			s = add_session(out);
			if (!s)
				r = -1;
			else
				snprintf(s->name, sizeof s->name, "%s", line + 8);
		} else if (s) {
			r = parse_line(s, line);
		}
	}
	free(copy);
	if (r) {
		cli_error("cannot read the daemon's list output (out of memory, or another version?)");
		model_free(out);
	}
	return r;
}

int model_fetch(const char *home, const char *name, int current, struct m_list *out)
{
	static struct rt_msg_buf b;
	struct rt_msg_session s = { .flags = RT_LIST_KV | (current ? RT_LIST_CURRENT : 0) };
	snprintf(s.session, sizeof s.session, "%s", name);
	rt_msg_init(&b, RT_MSG_LIST, 0);
	rt_msg_put(&b, &s, sizeof s);
	struct client c;
	if (client_connect(&c, home) != 0)
		return -1;
	char *text = NULL;
	int st = client_request(&c, &b, &text);
	client_close(&c);
	if (st != 0) {
		if (text)
			cli_print_reply(st, text);
		free(text);
		return -1;
	}
	int r = model_parse(text ? text : "", out);
	free(text);
	return r;
}
