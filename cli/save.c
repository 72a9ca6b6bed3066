/* SPDX-License-Identifier: MIT */
/*
 * save and load, in lttng's session XML (the schema lttng-tools ships,
 * session.xsd): a file `lttng load` reads, and what `lttng save` writes
 * for a user-space session loads here. save writes what `list --kv` says
 * (cli/model.h), always every attribute and in one order, so save -> load
 * -> save gives the same bytes. load reads the file with libxml2 (no
 * network, no entities, no DTD) into the same model, refuses by name any
 * element rseqtrace cannot honour, then replays it as the CLI's requests
 * (create, enable-channel, add-context, enable-event, disable-channel,
 * untrack/track, start; a snapshot session's output: snapshot del-output
 * and add-output).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/model.h"
#include "cli/xml.h"
#include "common/context.h"
#include "common/url.h"

#define SESSION_FILE_MAX (16u << 20)
#define SUFFIX ".lttng"

/* lttng's context type name (session.xsd event_context_type_type, and what
 * lttng save writes for the newer ones): ours in capitals. */
static const char *ctx_xml(const struct rt_context *x, char out[32])
{
	size_t i = 0;
	for (; x->name[i] && i < 31; i++)
		out[i] = (char)toupper((unsigned char)x->name[i]);
	out[i] = 0;
	return out;
}

/* ---- save ---------------------------------------------------------------- */

static void elu(xmlTextWriterPtr w, const char *name, unsigned long long v);
static void el(xmlTextWriterPtr w, const char *name, const char *v);

/* lttng's <perf> element (session.xsd event_perf_context_type): the
 * counter's perf_event_attr type and config, and its field name. */
static void save_perf(xmlTextWriterPtr w, const struct rt_context *x)
{
	char field[64];
	libxml2.xmlTextWriterStartElement(w, BAD_CAST "perf");
	elu(w, "type", x->perf_type);
	elu(w, "config", x->perf_config);
	el(w, "name", rt_context_field(x, field));
	libxml2.xmlTextWriterEndElement(w);
}

static void el(xmlTextWriterPtr w, const char *name, const char *v)
{
	libxml2.xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST v);
}

static void elu(xmlTextWriterPtr w, const char *name, unsigned long long v)
{
	libxml2.xmlTextWriterWriteFormatElement(w, BAD_CAST name, "%llu", v);
}

static void start(xmlTextWriterPtr w, const char *name)
{
	libxml2.xmlTextWriterStartElement(w, BAD_CAST name);
}

static void end(xmlTextWriterPtr w)
{
	libxml2.xmlTextWriterEndElement(w);
}

/* A rule's <filter> and <exclusions>, where lttng puts them (after the
 * loglevel; no element for what the rule does not have). */
static void save_rule_extras(xmlTextWriterPtr w, const struct m_rule *r)
{
	if (r->filter[0])
		el(w, "filter", r->filter);
	if (!r->nr_excl)
		return;
	start(w, "exclusions");
	for (uint32_t i = 0; i < r->nr_excl; i++)
		el(w, "exclusion", r->excl[i]);
	end(w);
}

static void save_channel(xmlTextWriterPtr w, const struct m_channel *c, uint32_t live_us)
{
	start(w, "channel");
	el(w, "name", c->name);
	el(w, "enabled", c->enabled ? "true" : "false");
	el(w, "overwrite_mode", c->overwrite ? "OVERWRITE" : "DISCARD");
	elu(w, "subbuffer_size", c->subbuf_size);
	elu(w, "subbuffer_count", c->num_subbuf);
	elu(w, "switch_timer_interval", c->switch_timer_us);
	elu(w, "read_timer_interval", c->read_timer_us);
	el(w, "output_type", "MMAP");
	if (c->blocking_us == RT_BLOCKING_INF)
		el(w, "blocking_timeout", "-1");
	else
		elu(w, "blocking_timeout", c->blocking_us);
	elu(w, "monitor_timer_interval", c->monitor_timer_us);
	elu(w, "tracefile_size", c->tracefile_size);
	elu(w, "tracefile_count", c->tracefile_count);
	elu(w, "live_timer_interval", live_us); /* lttng: the session's, in each channel */
	start(w, "events");
	for (uint32_t i = 0; i < c->nr_rules; i++) {
		const struct m_rule *r = &c->rules[i];
		start(w, "event");
		el(w, "name", r->pattern);
		el(w, "enabled", r->enable ? "true" : "false");
		el(w, "type", "TRACEPOINT");
		el(w, "loglevel_type", mi_loglevel_type(r->loglevel_type));
		libxml2.xmlTextWriterWriteFormatElement(w, BAD_CAST "loglevel", "%d",
							r->loglevel_type == RT_LOGLEVEL_ALL ? -1 :
							r->loglevel);
		save_rule_extras(w, r);
		end(w);
	}
	end(w);
	start(w, "contexts");
	for (size_t i = 0; i < RT_NR_CONTEXTS; i++) {
		char xml[32];
		if (!(c->contexts & rt_contexts[i].bit))
			continue;
		start(w, "context");
		if (rt_contexts[i].bit & RT_CTX_PERF)
			save_perf(w, &rt_contexts[i]);
		else
			el(w, "type", ctx_xml(&rt_contexts[i], xml));
		end(w);
	}
	end(w);
	end(w);
}

/* net://ADDR:CTRL:DATA (the daemon's form, numeric) as lttng's URIs. */
static void save_net_output(xmlTextWriterPtr w, const char *url)
{
	char host[RT_HOST_MAX], uri[RT_HOST_MAX + 32];
	uint16_t ctrl, data;
	rt_parse_relayd_url(url, host, sizeof host, &ctrl, &data);
	int v6 = strchr(host, ':') != NULL;
	start(w, "net_output");
	snprintf(uri, sizeof uri, "tcp%c://%s%s%s:%u/", v6 ? '6' : '4', v6 ? "[" : "", host,
		 v6 ? "]" : "", ctrl);
	el(w, "control_uri", uri);
	snprintf(uri, sizeof uri, "tcp%c://%s%s%s:%u/", v6 ? '6' : '4', v6 ? "[" : "", host,
		 v6 ? "]" : "", data);
	el(w, "data_uri", uri);
	end(w);
}

static void save_consumer_output(xmlTextWriterPtr w, const char *path)
{
	start(w, "consumer_output");
	el(w, "enabled", "true");
	start(w, "destination");
	if (strncmp(path, "net", 3) == 0)
		save_net_output(w, path);
	else
		el(w, "path", path);
	end(w);
	end(w);
}

/* A snapshot session's output, as lttng 2.13 saves it: its snapshot
 * outputs (ours has one at most), not the session's directory. */
static void save_snapshot_outputs(xmlTextWriterPtr w, const struct m_session *s)
{
	start(w, "snapshot_outputs");
	if (s->snap_path[0]) {
		start(w, "output");
		el(w, "name", s->snap_name);
		elu(w, "max_size", s->snap_max_size);
		save_consumer_output(w, s->snap_path);
		end(w);
	}
	end(w);
}

/* The document of one session; NULL (printed) if it cannot be written. */
static xmlBufferPtr save_document(const struct m_session *s)
{
	if (s->tsc) {
		cli_error("session %s uses --clock tsc, which lttng's session XML cannot say: not "
			  "saved", s->name);
		return NULL;
	}
	xmlBufferPtr buf = libxml2.xmlBufferCreate();
	xmlTextWriterPtr w = buf ? libxml2.xmlNewTextWriterMemory(buf, 0) : NULL;
	if (!w) {
		libxml2.xmlBufferFree(buf);
		cli_error("out of memory");
		return NULL;
	}
	libxml2.xmlTextWriterSetIndent(w, 1);
	libxml2.xmlTextWriterSetIndentString(w, BAD_CAST "\t");
	libxml2.xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL);
	start(w, "sessions");
	start(w, "session");
	el(w, "name", s->name);
	start(w, "domains");
	start(w, "domain");
	el(w, "type", "UST");
	el(w, "buffer_type", s->per_pid ? "PER_PID" : "PER_UID");
	start(w, "channels");
	for (uint32_t i = 0; i < s->nr_channels; i++)
		save_channel(w, &s->channels[i], s->live_us);
	end(w);
	mi_trackers(w, s, 0);
	end(w);
	end(w);
	el(w, "started", strcmp(s->state, "active") == 0 ? "true" : "false");
	if (s->snapshot || s->live_us || s->rot_timer_us || s->rot_size) {
		start(w, "attributes");
		if (s->snapshot)
			el(w, "snapshot_mode", "true");
		if (s->live_us)
			elu(w, "live_timer_interval", s->live_us);
		if (s->rot_timer_us || s->rot_size) {
			start(w, "rotation_schedules");
			if (s->rot_timer_us) {
				start(w, "periodic");
				elu(w, "time_us", s->rot_timer_us);
				end(w);
			}
			if (s->rot_size) {
				start(w, "size_threshold");
				elu(w, "bytes", s->rot_size);
				end(w);
			}
			end(w);
		}
		end(w);
	}
	/* lttng saves no <output> for a snapshot session without one. */
	if (!s->snapshot || s->snap_path[0]) {
		start(w, "output");
		if (s->snapshot)
			save_snapshot_outputs(w, s);
		else
			save_consumer_output(w, s->output);
		end(w);
	}
	end(w);
	end(w);
	libxml2.xmlTextWriterEndDocument(w);
	libxml2.xmlFreeTextWriter(w);
	return buf;
}

/* ~/.rseqtrace/sessions, made (0700) if missing: the default of both. */
static int default_dir(char *out, size_t n, int make)
{
	const char *h = getenv("HOME");
	if (!h || h[0] != '/') {
		cli_error("no HOME for the default sessions directory: give -o/-i");
		return -1;
	}
	snprintf(out, n, "%s/.rseqtrace", h);
	if (make)
		mkdir(out, 0700);
	snprintf(out, n, "%s/.rseqtrace/sessions", h);
	if (make && mkdir(out, 0700) != 0 && errno != EEXIST) {
		cli_error("cannot make %s: %m", out);
		return -1;
	}
	return 0;
}

/* Writes buf to dir/NAME.lttng through a temporary file (a reader never
 * sees half a file); an existing one only with force. */
static int write_file(const char *dir, const char *name, xmlBufferPtr buf, int force)
{
	char path[PATH_MAX], tmp[PATH_MAX + 16];
	snprintf(path, sizeof path, "%s/%s" SUFFIX, dir, name);
	snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
	if (!force && access(path, F_OK) == 0) {
		cli_error("%s exists: give -f to overwrite it", path);
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		cli_error("cannot write %s: %m", tmp);
		return -1;
	}
	const char *p = (const char *)libxml2.xmlBufferContent(buf);
	size_t len = (size_t)libxml2.xmlBufferLength(buf);
	/* lttng's files end at the closing tag: so do ours (byte-stable). */
	while (len && p[len - 1] == '\n')
		len--;
	ssize_t w = write(fd, p, len);
	int ok = w == (ssize_t)len && fsync(fd) == 0;
	if (close(fd) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0) {
		cli_error("cannot write %s: %m", path);
		unlink(tmp);
		return -1;
	}
	printf("Session %s saved in %s\n", name, path);
	return 0;
}

int cmd_save(int argc, char **argv, const char *home)
{
	static const char help[] =
"Usage: rseqtrace save [NAME | -a] [-o DIR] [-f]\n"
"Save sessions (default: every one) as DIR/NAME.lttng in lttng's session\n"
"XML: channels and their attributes, contexts, event rules with their\n"
"filters and exclusions, trackers, output, and whether it is started.\n"
"'rseqtrace load' and 'lttng load' read it.\n"
"  -o, --output-path DIR  the directory (default ~/.rseqtrace/sessions)\n"
"  -a, --all              every session\n"
"  -f, --force            overwrite an existing file\n"
"lttng: lttng save [NAME] [-o DIR] [-f]\n";
	static const struct option opts[] = {
		{ "output-path", required_argument, 0, 'o' },
		{ "all", no_argument, 0, 'a' },
		{ "force", no_argument, 0, 'f' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	char dir[PATH_MAX] = "", name[RT_NAME_MAX] = "";
	int force = 0, all = 0, o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "o:afh", opts, NULL)) != -1) {
		switch (o) {
		case 'o':
			if (absolute_path(optarg, dir, sizeof dir) != 0)
				return EXIT_USAGE;
			break;
		case 'a': all = 1; break;
		case 'f': force = 1; break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: return cli_usage_error("save");
		}
	}
	if (argc - optind > 1 || (all && optind < argc)) {
		cli_error("save takes one session name, or --all");
		return cli_usage_error("save");
	}
	if (optind < argc && copy_name(name, sizeof name, argv[optind], "session name") != 0)
		return EXIT_USAGE;
	if (xml_load() != 0 || (!dir[0] && default_dir(dir, sizeof dir, 1) != 0))
		return EXIT_FAIL;
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		cli_error("%s is not a directory", dir);
		return EXIT_FAIL;
	}
	struct m_list l;
	/* Each session's own list: the whole list shows no channels. */
	struct m_list names;
	if (model_fetch(home, name, 0, &names) != 0)
		return EXIT_FAIL;
	int status = EXIT_OK;
	if (!names.nr) {
		cli_error("no session to save");
		status = EXIT_FAIL;
	}
	for (uint32_t i = 0; i < names.nr && status == EXIT_OK; i++) {
		if (model_fetch(home, names.sessions[i].name, 0, &l) != 0 || l.nr != 1) {
			status = EXIT_FAIL;
			break;
		}
		xmlBufferPtr doc = save_document(&l.sessions[0]);
		if (!doc || write_file(dir, l.sessions[0].name, doc, force) != 0)
			status = EXIT_FAIL;
		libxml2.xmlBufferFree(doc);
		model_free(&l);
	}
	model_free(&names);
	return status;
}

/* ---- load: the file into the model ---------------------------------------- */

struct loader {
	const char *path;
	const char *only;       /* load this session only ("" = all) */
	int failed;
};

static int is(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static int unsupported(struct loader *ld, const xmlNode *n, const char *where, const char *why)
{
	cli_error("%s:%ld: <%s>%s%s: %s", ld->path, libxml2.xmlGetLineNo(n),
		  (const char *)n->name, where[0] ? " in " : "", where, why);
	ld->failed = 1;
	return -1;
}

/* The element's text, trimmed, in out (truncated to n). */
static const char *text(const xmlNode *n, char *out, size_t n_out)
{
	xmlChar *c = libxml2.xmlNodeGetContent(n);
	const char *s = c ? (const char *)c : "";
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	size_t len = strlen(s);
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' ||
		       s[len - 1] == '\r'))
		len--;
	snprintf(out, n_out, "%.*s", (int)len, s);
	(*libxml2.free_fn)(c);
	return out;
}

/* The element's text in out, or refused if it does not fit (a name or a
 * pattern cut short would silently be another one). */
static int text_fit(struct loader *ld, const xmlNode *n, const char *where, char *out, size_t size)
{
	char tmp[(RT_PATH_MAX > RT_FILTER_TEXT_MAX ? RT_PATH_MAX : RT_FILTER_TEXT_MAX) + 2];
	text(n, tmp, sizeof tmp);
	if (strlen(tmp) >= size) {
		char why[64];
		snprintf(why, sizeof why, "longer than rseqtrace takes (%zu characters)", size - 1);
		return unsupported(ld, n, where, why);
	}
	memcpy(out, tmp, strlen(tmp) + 1);
	return 0;
}

static int boolean(const xmlNode *n)
{
	char v[16];
	text(n, v, sizeof v);
	return !strcmp(v, "true") || !strcmp(v, "1");
}

/* An unsigned number of the file, at most max. */
static int number(struct loader *ld, const xmlNode *n, const char *where, uint64_t max,
		  uint64_t *out)
{
	char v[32], *end;
	text(n, v, sizeof v);
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (!v[0] || *end || v[0] == '-' || errno || x > max)
		return unsupported(ld, n, where, "not a number rseqtrace takes");
	*out = x;
	return 0;
}

static int has_children(const xmlNode *n)
{
	for (const xmlNode *c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return 1;
	return 0;
}

static int load_exclusions(struct loader *ld, const xmlNode *list, struct m_rule *r,
			   const char *where)
{
	for (const xmlNode *n = list->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!is(n, "exclusion"))
			return unsupported(ld, n, where, "not supported by rseqtrace");
		if (r->nr_excl == RT_MAX_EXCLUSIONS)
			return unsupported(ld, n, where, "more exclusions than rseqtrace takes (64)");
		if (text_fit(ld, n, where, r->excl[r->nr_excl], RT_PATTERN_MAX) != 0)
			return -1;
		if (check_pattern(r->excl[r->nr_excl]) != 0)
			return unsupported(ld, n, where, "not an event name or pattern");
		r->nr_excl++;
	}
	return 0;
}

static int load_event(struct loader *ld, const xmlNode *ev, struct m_channel *c, const char *where)
{
	struct m_rule *r = model_add_rule(c);
	if (!r)
		return unsupported(ld, ev, where, "out of memory");
	r->enable = 1;
	char v[RT_PATTERN_MAX];
	for (const xmlNode *n = ev->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is(n, "name")) {
			if (text_fit(ld, n, where, r->pattern, sizeof r->pattern) != 0)
				return -1;
		} else if (is(n, "enabled")) {
			r->enable = boolean(n);
		} else if (is(n, "type")) {
			if (strcmp(text(n, v, sizeof v), "TRACEPOINT") != 0)
				return unsupported(ld, n, where, "only TRACEPOINT events are traced");
		} else if (is(n, "loglevel_type")) {
			text(n, v, sizeof v);
			if (!strcmp(v, "ALL"))
				r->loglevel_type = RT_LOGLEVEL_ALL;
			else if (!strcmp(v, "RANGE"))
				r->loglevel_type = RT_LOGLEVEL_RANGE;
			else if (!strcmp(v, "SINGLE"))
				r->loglevel_type = RT_LOGLEVEL_SINGLE;
			else
				return unsupported(ld, n, where, "loglevel type is ALL, RANGE or SINGLE");
		} else if (is(n, "loglevel")) {
			text(n, v, sizeof v);
			r->loglevel = (int32_t)strtol(v, NULL, 10);
		} else if (is(n, "filter")) {
			if (text_fit(ld, n, where, r->filter, sizeof r->filter) != 0)
				return -1;
			if (check_filter(r->filter) != 0)
				return unsupported(ld, n, where, "not a filter rseqtrace takes");
		} else if (is(n, "exclusions")) {
			if (load_exclusions(ld, n, r, where) != 0)
				return -1;
		} else {
			return unsupported(ld, n, where, "not supported by rseqtrace");
		}
	}
	if (r->loglevel_type == RT_LOGLEVEL_ALL)
		r->loglevel = 0;
	else if (r->loglevel < RT_LOGLEVEL_MIN || r->loglevel > RT_LOGLEVEL_MAX)
		return unsupported(ld, ev, where, "loglevel out of range (0..14)");
	if (!r->pattern[0])
		return unsupported(ld, ev, where, "an event needs a <name>");
	return 0;
}

/* A <perf> context: known by its field name (perf_thread_task_clock). */
static int load_perf(struct loader *ld, const xmlNode *perf, struct m_channel *c,
		     const char *where)
{
	char v[64] = "", field[64];
	for (const xmlNode *n = perf->children; n; n = n->next)
		if (is(n, "name"))
			text(n, v, sizeof v);
	for (size_t i = 0; i < RT_NR_CONTEXTS; i++) {
		if ((rt_contexts[i].bit & RT_CTX_PERF) &&
		    strcmp(v, rt_context_field(&rt_contexts[i], field)) == 0) {
			c->contexts |= rt_contexts[i].bit;
			return 0;
		}
	}
	char why[160];
	snprintf(why, sizeof why, "perf counter '%s' is not supported (see rseqtrace add-context "
				  "--help for those that are)", v);
	return unsupported(ld, perf, where, why);
}

static int load_contexts(struct loader *ld, const xmlNode *list, struct m_channel *c,
			 const char *where)
{
	char v[64];
	for (const xmlNode *x = list->children; x; x = x->next) {
		if (x->type != XML_ELEMENT_NODE)
			continue;
		if (!is(x, "context"))
			return unsupported(ld, x, where, "not supported by rseqtrace");
		for (const xmlNode *n = x->children; n; n = n->next) {
			if (n->type != XML_ELEMENT_NODE)
				continue;
			if (is(n, "perf")) {
				if (load_perf(ld, n, c, where))
					return -1;
				continue;
			}
			if (!is(n, "type"))
				return unsupported(ld, n, where, "application contexts are not supported");
			text(n, v, sizeof v);
			size_t i = 0;
			char xml[32];
			while (i < RT_NR_CONTEXTS && strcmp(v, ctx_xml(&rt_contexts[i], xml)) != 0)
				i++;
			if (i == RT_NR_CONTEXTS) {
				char why[160];
				snprintf(why, sizeof why, "context %s is not supported (see rseqtrace "
							  "add-context --help for those that are)", v);
				return unsupported(ld, n, where, why);
			}
			c->contexts |= rt_contexts[i].bit;
		}
	}
	return 0;
}

static int load_channel(struct loader *ld, const xmlNode *ch, struct m_session *s)
{
	struct m_channel *c = model_add_channel(s);
	if (!c)
		return unsupported(ld, ch, s->name, "out of memory");
	c->enabled = 1;
	c->subbuf_size = c->num_subbuf = 0; /* 0: the daemon's default */
	for (const xmlNode *n = ch->children; n; n = n->next)
		if (is(n, "name") && text_fit(ld, n, s->name, c->name, sizeof c->name) != 0)
			return -1;
	char where[2 * RT_NAME_MAX + 32], v[32];
	snprintf(where, sizeof where, "channel %s of session %s", c->name, s->name);
	uint64_t x;
	for (const xmlNode *n = ch->children; n && !ld->failed; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || is(n, "name"))
			continue;
		if (is(n, "enabled")) {
			c->enabled = boolean(n);
		} else if (is(n, "overwrite_mode")) {
			c->overwrite = strcmp(text(n, v, sizeof v), "OVERWRITE") == 0;
		} else if (is(n, "subbuffer_size")) {
			if (number(ld, n, where, UINT32_MAX, &x) == 0)
				c->subbuf_size = (uint32_t)x;
		} else if (is(n, "subbuffer_count")) {
			if (number(ld, n, where, UINT32_MAX, &x) == 0)
				c->num_subbuf = (uint32_t)x;
		} else if (is(n, "switch_timer_interval")) {
			if (number(ld, n, where, UINT32_MAX, &x) == 0)
				c->switch_timer_us = (uint32_t)x;
		} else if (is(n, "read_timer_interval")) {
			if (number(ld, n, where, UINT32_MAX, &x) == 0)
				c->read_timer_us = (uint32_t)x;
		} else if (is(n, "monitor_timer_interval")) {
			if (number(ld, n, where, UINT32_MAX, &x) == 0)
				c->monitor_timer_us = (uint32_t)x;
		} else if (is(n, "blocking_timeout")) {
			if (strcmp(text(n, v, sizeof v), "-1") == 0)
				c->blocking_us = RT_BLOCKING_INF;
			else if (number(ld, n, where, RT_BLOCKING_MAX_US, &x) == 0)
				c->blocking_us = x;
		} else if (is(n, "output_type")) {
			if (strcmp(text(n, v, sizeof v), "MMAP") != 0)
				unsupported(ld, n, where, "channels are mmap only");
		} else if (is(n, "tracefile_size")) {
			if (number(ld, n, where, UINT64_MAX, &x) == 0)
				c->tracefile_size = x;
		} else if (is(n, "tracefile_count")) {
			if (number(ld, n, where, UINT32_MAX, &x) == 0)
				c->tracefile_count = (uint32_t)x;
		} else if (is(n, "live_timer_interval")) {
			/* the session's (<attributes>), repeated by lttng */
			if (number(ld, n, where, UINT32_MAX, &x) != 0)
				break;
		} else if (is(n, "events")) {
			for (const xmlNode *e = n->children; e && !ld->failed; e = e->next) {
				if (is(e, "event"))
					load_event(ld, e, c, where);
				else if (e->type == XML_ELEMENT_NODE)
					unsupported(ld, e, where, "not supported by rseqtrace");
			}
		} else if (is(n, "contexts")) {
			load_contexts(ld, n, c, where);
		} else {
			unsupported(ld, n, where, "not supported by rseqtrace");
		}
	}
	return ld->failed ? -1 : 0;
}

/* A tracked value: <id>N</id>, or for a user or group <name>NAME</name>,
 * which is looked up here (lttng saves ids; a hand-written file may not). */
static int load_track_value(struct loader *ld, const xmlNode *v, unsigned attr, uint32_t *out,
			    const char *where)
{
	for (const xmlNode *n = v->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		uint64_t x;
		if (is(n, "id")) {
			if (number(ld, n, where, UINT32_MAX, &x) != 0)
				return -1;
			*out = (uint32_t)x;
			return 0;
		}
		if (!is(n, "name") || attr == RT_TRACK_VPID)
			return unsupported(ld, n, where, "not supported by rseqtrace");
		char name[256];
		if (text_fit(ld, n, where, name, sizeof name) != 0)
			return -1;
		struct passwd *pw = attr == RT_TRACK_VUID ? getpwnam(name) : NULL;
		struct group *gr = attr == RT_TRACK_VGID ? getgrnam(name) : NULL;
		if (!pw && !gr)
			return unsupported(ld, n, where, attr == RT_TRACK_VUID ? "no such user" :
									      "no such group");
		*out = pw ? (uint32_t)pw->pw_uid : (uint32_t)gr->gr_gid;
		return 0;
	}
	return unsupported(ld, v, where, "a tracked value needs an <id>");
}

/* lttng 2.13's <process_attr_trackers>: a vpid/vuid/vgid tracker element
 * means the session tracks the listed values only (none if empty); an
 * absent one, every process. */
static int load_trackers(struct loader *ld, const xmlNode *list, struct m_session *s)
{
	for (const xmlNode *n = list->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		unsigned a = 0;
		char tag[48];
		while (a < RT_TRACK_NR &&
		       (snprintf(tag, sizeof tag, "%s_process_attr_tracker", rt_track_names[a]), !is(n, tag)))
			a++;
		if (a == RT_TRACK_NR)
			return unsupported(ld, n, s->name, "only the vpid, vuid and vgid trackers of "
							   "user space are supported");
		struct m_tracker *t = &s->trackers[a];
		t->policy = M_TRACK_NONE;
		t->nr = 0;
		for (const xmlNode *vals = n->children; vals; vals = vals->next) {
			if (vals->type != XML_ELEMENT_NODE)
				continue;
			if (!is(vals, "process_attr_values"))
				return unsupported(ld, vals, s->name, "not supported by rseqtrace");
			for (const xmlNode *v = vals->children; v; v = v->next) {
				if (v->type != XML_ELEMENT_NODE)
					continue;
				if (!is(v, rt_track_names[a]))
					return unsupported(ld, v, s->name, "not supported by rseqtrace");
				if (t->nr == RT_TRACK_MAX_VALUES)
					return unsupported(ld, v, s->name, "more values than a tracker holds "
									   "(1024)");
				if (load_track_value(ld, v, a, &t->values[t->nr], s->name) != 0)
					return -1;
				t->nr++;
				t->policy = M_TRACK_SET;
			}
		}
	}
	return 0;
}

static int load_domain(struct loader *ld, const xmlNode *d, struct m_session *s)
{
	char type[32] = "", v[32];
	for (const xmlNode *n = d->children; n; n = n->next)
		if (is(n, "type"))
			text(n, type, sizeof type);
	int ust = strcmp(type, "UST") == 0;
	for (const xmlNode *n = d->children; n && !ld->failed; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || is(n, "type"))
			continue;
		if (is(n, "buffer_type")) {
			text(n, v, sizeof v);
			if (ust && strcmp(v, "PER_UID") && strcmp(v, "PER_PID"))
				return unsupported(ld, n, s->name, "buffers are PER_UID or PER_PID");
			if (ust)
				s->per_pid = strcmp(v, "PER_PID") == 0;
		} else if (is(n, "channels") && !ust) {
			if (has_children(n)) {
				char why[96];
				snprintf(why, sizeof why, "the %s domain is not traced (user space only)",
					 type);
				return unsupported(ld, n, s->name, why);
			}
		} else if (is(n, "channels")) {
			for (const xmlNode *c = n->children; c && !ld->failed; c = c->next) {
				if (is(c, "channel"))
					load_channel(ld, c, s);
				else if (c->type == XML_ELEMENT_NODE)
					unsupported(ld, c, s->name, "not supported by rseqtrace");
			}
		} else if (is(n, "process_attr_trackers") && ust) {
			if (load_trackers(ld, n, s) != 0)
				return -1;
		} else if ((is(n, "process_attr_trackers") || is(n, "trackers")) && !has_children(n)) {
			continue;
		} else if (is(n, "trackers")) {
			return unsupported(ld, n, s->name, "lttng's trackers of before 2.12 are not "
							   "supported (lttng 2.13 saves process_attr_trackers)");
		} else if (is(n, "process_attr_trackers")) {
			char why[96];
			snprintf(why, sizeof why, "the %s domain is not traced (user space only)", type);
			return unsupported(ld, n, s->name, why);
		} else {
			return unsupported(ld, n, s->name, "not supported by rseqtrace");
		}
	}
	return ld->failed ? -1 : 0;
}

/* lttng's tcp4://ADDR:PORT/ (tcp6://[ADDR]:PORT/) of a net_output: its
 * host and port (no trace path after it), 0 or -1. */
static int net_uri(const char *uri, char *host, size_t n, uint16_t *port)
{
	char url[RT_HOST_MAX + 32];
	const char *rest = strncmp(uri, "tcp4://", 7) == 0 ? uri + 7 :
			   strncmp(uri, "tcp6://", 7) == 0 ? uri + 7 : NULL;
	size_t len = rest ? strlen(rest) : 0;
	if (!rest || (len && rest[len - 1] == '/' && --len == 0) ||
	    snprintf(url, sizeof url, "tcp://%.*s", (int)len, rest) >= (int)sizeof url)
		return -1;
	uint16_t data;
	return rt_parse_relayd_url(url, host, n, port, &data) == 0 ? 0 : -1;
}

/* <net_output> as net://HOST:CTRL:DATA, the host resolved (as snapshot
 * add-output does). */
static int load_net_output(struct loader *ld, const xmlNode *net, const char *where, char *out,
			   size_t size)
{
	char uri[2][RT_HOST_MAX + 32], host[2][RT_HOST_MAX];
	uint16_t port[2];
	int got = 0;
	for (const xmlNode *n = net->children; n; n = n->next) {
		int i = is(n, "control_uri") ? 0 : is(n, "data_uri") ? 1 : -1;
		if (i < 0 && n->type == XML_ELEMENT_NODE)
			return unsupported(ld, n, where, "not supported by rseqtrace");
		if (i < 0)
			continue;
		text(n, uri[i], sizeof uri[i]);
		if (net_uri(uri[i], host[i], sizeof host[i], &port[i]) != 0)
			return unsupported(ld, n, where, "not tcp4://ADDR:PORT/ or tcp6://[ADDR]:PORT/ "
							 "(a trace path is not supported)");
		got |= 1 << i;
	}
	if (got != 3)
		return unsupported(ld, net, where, "needs a control_uri and a data_uri");
	if (strcmp(host[0], host[1]) != 0)
		return unsupported(ld, net, where, "the control and data URIs must name one host");
	char url[2 * RT_HOST_MAX];
	int v6 = strchr(host[0], ':') != NULL;
	snprintf(url, sizeof url, "net://%s%s%s:%u:%u", v6 ? "[" : "", host[0], v6 ? "]" : "",
		 port[0], port[1]);
	if (snapshot_net_output(url, out, size) != 0) {
		ld->failed = 1;
		return -1;
	}
	return 0;
}

/* A <consumer_output>'s destination: a path, or (net_ok) a relayd. */
static int load_consumer_output(struct loader *ld, const xmlNode *co, const char *where,
				int net_ok, char *out, size_t size)
{
	for (const xmlNode *c = co->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || is(c, "enabled"))
			continue;
		if (!is(c, "destination"))
			return unsupported(ld, c, where, "not supported by rseqtrace");
		for (const xmlNode *p = c->children; p; p = p->next) {
			if (is(p, "path")) {
				if (text_fit(ld, p, where, out, size) != 0)
					return -1;
			} else if (is(p, "net_output") && net_ok) {
				if (load_net_output(ld, p, where, out, size) != 0)
					return -1;
			} else if (p->type == XML_ELEMENT_NODE) {
				return unsupported(ld, p, where, "not supported by rseqtrace");
			}
		}
	}
	return 0;
}

/* <snapshot_outputs>: one <output> at most, as rseqtrace keeps. */
static int load_snapshot_outputs(struct loader *ld, const xmlNode *list, struct m_session *s)
{
	for (const xmlNode *o = list->children; o; o = o->next) {
		if (o->type != XML_ELEMENT_NODE)
			continue;
		if (!is(o, "output"))
			return unsupported(ld, o, s->name, "not supported by rseqtrace");
		if (s->snap_path[0])
			return unsupported(ld, o, s->name, "a second snapshot output: rseqtrace keeps "
							 "one per session");
		for (const xmlNode *n = o->children; n; n = n->next) {
			if (n->type != XML_ELEMENT_NODE)
				continue;
			if (is(n, "name")) {
				if (text_fit(ld, n, s->name, s->snap_name, sizeof s->snap_name) != 0)
					return -1;
				char tmp[RT_NAME_MAX];
				if (copy_name(tmp, sizeof tmp, s->snap_name, "snapshot output name") != 0)
					return unsupported(ld, n, s->name, "not a snapshot output name");
			} else if (is(n, "max_size")) {
				if (number(ld, n, s->name, UINT64_MAX, &s->snap_max_size) != 0)
					return -1;
			} else if (is(n, "consumer_output")) {
				if (load_consumer_output(ld, n, s->name, 1, s->snap_path,
							 sizeof s->snap_path) != 0)
					return -1;
			} else {
				return unsupported(ld, n, s->name, "not supported by rseqtrace");
			}
		}
		if (!s->snap_path[0])
			return unsupported(ld, o, s->name, "a snapshot output needs a destination");
		if (!s->snap_name[0])
			return unsupported(ld, o, s->name, "a snapshot output needs a name");
	}
	s->snap_outputs_seen = 1;
	return 0;
}

static int load_output(struct loader *ld, const xmlNode *out, struct m_session *s)
{
	for (const xmlNode *n = out->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is(n, "snapshot_outputs")) {
			if (load_snapshot_outputs(ld, n, s) != 0)
				return -1;
		} else if (!is(n, "consumer_output")) {
			return unsupported(ld, n, s->name, "not supported by rseqtrace");
		} else if (load_consumer_output(ld, n, s->name, 1, s->output, sizeof s->output) != 0) {
			return -1;
		}
	}
	return 0;
}

/* <rotation_schedules>: one <periodic> and one <size_threshold> at most,
 * as a session holds. */
static int load_rotation_schedules(struct loader *ld, const xmlNode *list, struct m_session *s)
{
	for (const xmlNode *r = list->children; r; r = r->next) {
		if (r->type != XML_ELEMENT_NODE)
			continue;
		int periodic = is(r, "periodic");
		if (!periodic && !is(r, "size_threshold"))
			return unsupported(ld, r, s->name, "not supported by rseqtrace");
		uint64_t *v = periodic ? &s->rot_timer_us : &s->rot_size;
		if (*v)
			return unsupported(ld, r, s->name, "a second schedule of one kind: a session "
							 "has one of each");
		for (const xmlNode *n = r->children; n; n = n->next) {
			if (n->type != XML_ELEMENT_NODE)
				continue;
			if (!is(n, periodic ? "time_us" : "bytes"))
				return unsupported(ld, n, s->name, "not supported by rseqtrace");
			if (number(ld, n, s->name, UINT64_MAX, v) != 0)
				return -1;
		}
		if (!*v)
			return unsupported(ld, r, s->name, periodic ? "a periodic rotation needs a "
							 "time_us above 0" : "a size rotation needs bytes above 0");
	}
	return 0;
}

static int load_attributes(struct loader *ld, const xmlNode *a, struct m_session *s)
{
	for (const xmlNode *n = a->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is(n, "snapshot_mode")) {
			s->snapshot = boolean(n);
			continue;
		}
		if (is(n, "live_timer_interval")) {
			uint64_t x;
			if (number(ld, n, s->name, UINT32_MAX, &x) != 0)
				return -1;
			s->live_us = (uint32_t)x;
			continue;
		}
		if (is(n, "rotation_schedules")) {
			if (load_rotation_schedules(ld, n, s) != 0)
				return -1;
			continue;
		}
		return unsupported(ld, n, s->name, "not supported by rseqtrace");
	}
	return 0;
}

static int load_session(struct loader *ld, const xmlNode *x, struct m_session *s)
{
	for (const xmlNode *n = x->children; n; n = n->next)
		if (is(n, "name") && text_fit(ld, n, "", s->name, sizeof s->name) != 0)
			return -1;
	snprintf(s->state, sizeof s->state, "created");
	for (const xmlNode *n = x->children; n && !ld->failed; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || is(n, "name"))
			continue;
		if (is(n, "domains")) {
			for (const xmlNode *d = n->children; d && !ld->failed; d = d->next) {
				if (is(d, "domain"))
					load_domain(ld, d, s);
				else if (d->type == XML_ELEMENT_NODE)
					unsupported(ld, d, s->name, "not supported by rseqtrace");
			}
		} else if (is(n, "started")) {
			if (boolean(n))
				snprintf(s->state, sizeof s->state, "active");
		} else if (is(n, "output")) {
			load_output(ld, n, s);
		} else if (is(n, "attributes")) {
			load_attributes(ld, n, s);
		} else {
			unsupported(ld, n, s->name, "not supported by rseqtrace");
		}
	}
	/* lttng saves a snapshot session's snapshot outputs, and those only
	 * (no <output> at all when it has none: create --no-output). */
	if (!ld->failed && s->snap_outputs_seen && !s->snapshot)
		unsupported(ld, x, s->name, "<snapshot_outputs> without snapshot mode");
	int streamed = strncmp(s->output, "net", 3) == 0;
	if (!ld->failed && s->live_us && !streamed)
		unsupported(ld, x, s->name, "a live timer without a relayd output (lttng's live "
					    "sessions stream to a relayd)");
	if (!ld->failed && (s->rot_timer_us || s->rot_size) && (streamed || s->snapshot))
		unsupported(ld, x, s->name, streamed ? "rotation schedules of a session streamed to "
					    "a relayd: rseqtrace rotates sessions that write local files"
					    : "rotation schedules of a snapshot session");
	return ld->failed ? -1 : 0;
}

/* The sessions of one file (those named ld->only, if set) into l. */
static int load_file(struct loader *ld, struct m_list *l)
{
	struct stat st;
	if (stat(ld->path, &st) != 0 || st.st_size > SESSION_FILE_MAX) {
		cli_error("%s: %s", ld->path, errno && st.st_size <= SESSION_FILE_MAX ?
			  strerror(errno) : "larger than a session file may be (16 MiB)");
		return -1;
	}
	xmlDocPtr doc = libxml2.xmlReadFile(ld->path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
				    XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *e = libxml2.xmlGetLastError();
		cli_error("%s: not a session file: %s", ld->path,
			  e && e->message ? e->message : "XML error");
		return -1;
	}
	const xmlNode *root = libxml2.xmlDocGetRootElement(doc);
	if (!root || !is(root, "sessions")) {
		cli_error("%s: not a session file (its root is not <sessions>)", ld->path);
		libxml2.xmlFreeDoc(doc);
		return -1;
	}
	for (const xmlNode *n = root->children; n && !ld->failed; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!is(n, "session")) {
			unsupported(ld, n, "", "not supported by rseqtrace");
			break;
		}
		char name[RT_NAME_MAX] = "";
		for (const xmlNode *c = n->children; c; c = c->next)
			if (is(c, "name") && text_fit(ld, c, "", name, sizeof name) != 0)
				break;
		if (ld->failed)
			break;
		if (ld->only[0] && strcmp(name, ld->only) != 0)
			continue;
		struct m_session *s = realloc(l->sessions, (l->nr + 1) * sizeof *s);
		if (!s) {
			ld->failed = 1;
			break;
		}
		l->sessions = s;
		memset(&s[l->nr], 0, sizeof *s);
		load_session(ld, n, &s[l->nr++]);
	}
	libxml2.xmlFreeDoc(doc);
	return ld->failed ? -1 : 0;
}

/* ---- load: the model to the daemon ------------------------------------------ */

/* One request; its answer printed only if it failed (or if loud). */
static int send_request(const char *home, struct rt_msg_buf *b, int loud)
{
	struct client c;
	if (client_connect(&c, home) != 0)
		return -1;
	char *text = NULL;
	int st = client_request(&c, b, &text);
	client_close(&c);
	if (text && (st != 0 || loud))
		cli_print_reply(st, text);
	free(text);
	return st;
}

static int send_body(const char *home, uint16_t type, const void *body, size_t len,
		     const char *pattern, int loud)
{
	static struct rt_msg_buf b;
	rt_msg_init(&b, type, 0);
	rt_msg_put(&b, body, len);
	if (pattern)
		rt_msg_put(&b, pattern, strlen(pattern) + 1);
	return send_request(home, &b, loud);
}

static int replay_channel(const char *home, const struct m_session *s, const struct m_channel *c)
{
	struct rt_msg_channel m = { 0 };
	snprintf(m.session, sizeof m.session, "%s", s->name);
	if (copy_name(m.channel, sizeof m.channel, c->name, "channel name") != 0)
		return -1;
	m.set = RT_CHA_SWITCH_TIMER | RT_CHA_READ_TIMER | RT_CHA_MONITOR_TIMER | RT_CHA_BLOCKING;
	m.switch_timer_us = c->switch_timer_us;
	m.read_timer_us = c->read_timer_us;
	m.monitor_timer_us = c->monitor_timer_us;
	m.blocking_us = c->blocking_us;
	if (c->subbuf_size) {
		m.set |= RT_CHA_SUBBUF;
		m.subbuf_size = c->subbuf_size;
	}
	if (c->num_subbuf) {
		m.set |= RT_CHA_NUM_SUBBUF;
		m.num_subbuf = c->num_subbuf;
	}
	if (c->overwrite) {
		m.set |= RT_CHA_OVERWRITE;
		m.overwrite = 1;
	}
	if (c->tracefile_size) {
		m.set |= RT_CHA_TRACEFILE_SIZE;
		m.tracefile_size = c->tracefile_size;
	}
	if (c->tracefile_count) {
		m.set |= RT_CHA_TRACEFILE_COUNT;
		m.tracefile_count = c->tracefile_count;
	}
	if (send_body(home, RT_MSG_ENABLE_CHANNEL, &m, sizeof m, NULL, 0) != 0)
		return -1;
	if (c->contexts) {
		struct rt_msg_context x = { .contexts = c->contexts };
		snprintf(x.session, sizeof x.session, "%s", s->name);
		snprintf(x.channel, sizeof x.channel, "%s", c->name);
		if (send_body(home, RT_MSG_ADD_CONTEXT, &x, sizeof x, NULL, 0) != 0)
			return -1;
	}
	for (uint32_t i = 0; i < c->nr_rules; i++) {
		const struct m_rule *r = &c->rules[i];
		if (check_pattern(r->pattern) != 0)
			return -1;
		struct rt_msg_rule rule = { .count = 1 };
		snprintf(rule.session, sizeof rule.session, "%s", s->name);
		snprintf(rule.channel, sizeof rule.channel, "%s", c->name);
		if (r->enable) {
			rule.loglevel_type = r->loglevel_type;
			rule.loglevel = r->loglevel;
			rule.nr_exclusions = r->nr_excl;
			rule.filter_len = r->filter[0] ? (uint32_t)strlen(r->filter) + 1 : 0;
		}
		/* As enable-event sends it: the pattern, the exclusions, the filter. */
		static struct rt_msg_buf b;
		rt_msg_init(&b, r->enable ? RT_MSG_ENABLE : RT_MSG_DISABLE, 0);
		rt_msg_put(&b, &rule, sizeof rule);
		rt_msg_put(&b, r->pattern, strlen(r->pattern) + 1);
		for (uint32_t x = 0; x < rule.nr_exclusions; x++)
			rt_msg_put(&b, r->excl[x], strlen(r->excl[x]) + 1);
		if (rule.filter_len)
			rt_msg_put(&b, r->filter, rule.filter_len);
		if (send_request(home, &b, 0) != 0)
			return -1;
	}
	if (!c->enabled) {
		struct rt_msg_channel d = { 0 };
		snprintf(d.session, sizeof d.session, "%s", s->name);
		snprintf(d.channel, sizeof d.channel, "%s", c->name);
		if (send_body(home, RT_MSG_DISABLE_CHANNEL, &d, sizeof d, NULL, 0) != 0)
			return -1;
	}
	return 0;
}

/* A tracker that does not track every process: untrack --all, then
 * track its values (a tracker holds no more than one request takes). */
static int replay_tracker(const char *home, const struct m_session *s, unsigned attr)
{
	const struct m_tracker *t = &s->trackers[attr];
	if (t->policy == M_TRACK_ALL)
		return 0;
	struct rt_msg_track m = { .attr = attr, .flags = RT_TRACK_ALL };
	snprintf(m.session, sizeof m.session, "%s", s->name);
	if (send_body(home, RT_MSG_UNTRACK, &m, sizeof m, NULL, 0) != 0)
		return -1;
	m.flags = 0;
	m.count = t->policy == M_TRACK_SET ? t->nr : 0;
	if (!m.count)
		return 0;
	static struct rt_msg_buf b;
	rt_msg_init(&b, RT_MSG_TRACK, 0);
	rt_msg_put(&b, &m, sizeof m);
	rt_msg_put(&b, t->values, m.count * sizeof t->values[0]);
	return send_request(home, &b, 0) != 0 ? -1 : 0;
}

/* create --snapshot made snapshot-1, the session's directory; another
 * output (a name, a size, a relayd) replaces it, as a user would with
 * del-output and add-output (lttng numbers it 2 too). None: the session
 * was made with --no-output. */
static int replay_snapshot_output(const char *home, const struct m_session *s)
{
	if (!s->snap_path[0])
		return 0; /* made with --no-output */
	int local = strncmp(s->snap_path, "net", 3) != 0;
	if (local && !strcmp(s->snap_name, "snapshot-1") && !s->snap_max_size)
		return 0;
	struct rt_msg_snapshot m = { .action = RT_SNAP_DEL_OUTPUT, .id = 1 };
	snprintf(m.session, sizeof m.session, "%s", s->name);
	if (send_body(home, RT_MSG_SNAPSHOT, &m, sizeof m, NULL, 0) != 0)
		return -1;
	if (!s->snap_path[0])
		return 0;
	m.action = RT_SNAP_ADD_OUTPUT;
	m.id = 0;
	m.max_size = s->snap_max_size;
	snprintf(m.name, sizeof m.name, "%s", s->snap_name);
	if (local ? absolute_path(s->snap_path, m.output, sizeof m.output) != 0
		  : snprintf(m.output, sizeof m.output, "%s", s->snap_path) >= (int)sizeof m.output)
		return -1;
	return send_body(home, RT_MSG_SNAPSHOT, &m, sizeof m, NULL, 0) != 0 ? -1 : 0;
}

/* Makes session s in the daemon (replacing one of that name with force);
 * a session half made is destroyed again. */
static int replay_session(const char *home, const struct m_session *s, int force)
{
	struct rt_msg_session ss = { 0 };
	if (copy_name(ss.session, sizeof ss.session, s->name, "session name") != 0)
		return -1;
	if (force) {
		/* No session of that name: nothing to replace, not an error. */
		static struct rt_msg_buf b;
		rt_msg_init(&b, RT_MSG_DESTROY, 0);
		rt_msg_put(&b, &ss, sizeof ss);
		struct client c;
		char *text = NULL;
		if (client_connect(&c, home) == 0) {
			client_request(&c, &b, &text);
			client_close(&c);
		}
		free(text);
	}
	struct rt_msg_create cr = { .buffers = s->per_pid ? RT_BUFFERS_PID : RT_BUFFERS_UID };
	snprintf(cr.name, sizeof cr.name, "%s", s->name);
	if (!s->snapshot && strncmp(s->output, "net", 3) == 0) {
		/* As create --set-url [--live]: the relayd must answer now. */
		struct net_opts n = { .live_us = s->live_us };
		if (parse_net_opt('U', s->output, &n) != 1 || net_opts_apply(&n, &cr) != 0)
			return -1;
	} else {
		/* A snapshot session's directory is its snapshot output's, if local. */
		const char *out = !s->snapshot ? s->output
			: strncmp(s->snap_path, "net", 3) ? s->snap_path : "";
		if (out[0] && absolute_path(out, cr.output, sizeof cr.output) != 0)
			return -1;
	}
	if (s->snapshot)
		cr.flags |= RT_CREATE_SNAPSHOT;
	if (s->snapshot && !s->snap_path[0])
		cr.flags |= RT_CREATE_NO_OUTPUT;
	if (send_body(home, RT_MSG_CREATE, &cr, sizeof cr, NULL, 0) != 0)
		return -1;
	int r = s->snapshot ? replay_snapshot_output(home, s) : 0;
	for (uint32_t i = 0; i < s->nr_channels && !r; i++)
		r = replay_channel(home, s, &s->channels[i]);
	for (unsigned a = 0; a < RT_TRACK_NR && !r; a++)
		r = replay_tracker(home, s, a);
	if (!r && (s->rot_timer_us || s->rot_size)) {
		struct rt_msg_rotate rot = { .action = RT_ROT_ENABLE, .timer_us = s->rot_timer_us,
					     .size = s->rot_size };
		snprintf(rot.session, sizeof rot.session, "%s", s->name);
		r = send_body(home, RT_MSG_ROTATE, &rot, sizeof rot, NULL, 0) ? -1 : 0;
	}
	if (!r && strcmp(s->state, "active") == 0)
		r = send_body(home, RT_MSG_START, &ss, sizeof ss, NULL, 0) ? -1 : 0;
	if (r) {
		send_body(home, RT_MSG_DESTROY, &ss, sizeof ss, NULL, 0);
		return -1;
	}
	printf("Session %s loaded\n", s->name);
	return 0;
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n > k && strcmp(s + n - k, suffix) == 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int cmd_load(int argc, char **argv, const char *home)
{
	static const char help[] =
"Usage: rseqtrace load [NAME | -a] [-i PATH] [-f]\n"
"Make the sessions (default: every one) of a session file in lttng's XML\n"
"(written by 'rseqtrace save' or 'lttng save'). What rseqtrace cannot do\n"
"(kernel channels and trackers, rotation of a session streamed to a relayd,\n"
"...) is refused,\n"
"naming the element, and nothing of that session is made.\n"
"  -i, --input-path PATH  a file, or a directory of *.lttng files (default\n"
"                         ~/.rseqtrace/sessions)\n"
"  -a, --all              every session\n"
"  -f, --force            replace a session of the same name\n"
"lttng: lttng load [NAME] [-i PATH] [-f]\n";
	static const struct option opts[] = {
		{ "input-path", required_argument, 0, 'i' },
		{ "all", no_argument, 0, 'a' },
		{ "force", no_argument, 0, 'f' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	char in[PATH_MAX] = "", name[RT_NAME_MAX] = "";
	int force = 0, all = 0, o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "i:afh", opts, NULL)) != -1) {
		switch (o) {
		case 'i':
			if (absolute_path(optarg, in, sizeof in) != 0)
				return EXIT_USAGE;
			break;
		case 'a': all = 1; break;
		case 'f': force = 1; break;
		case 'h': fputs(help, stdout); return EXIT_OK;
		default: return cli_usage_error("load");
		}
	}
	if (argc - optind > 1 || (all && optind < argc)) {
		cli_error("load takes one session name, or --all");
		return cli_usage_error("load");
	}
	if (optind < argc && copy_name(name, sizeof name, argv[optind], "session name") != 0)
		return EXIT_USAGE;
	if (xml_load() != 0 || (!in[0] && default_dir(in, sizeof in, 0) != 0))
		return EXIT_FAIL;
	struct m_list l = { 0 };
	struct loader ld = { .only = name };
	struct stat st;
	if (stat(in, &st) != 0) {
		cli_error("%s: %m", in);
		return EXIT_FAIL;
	}
	if (S_ISDIR(st.st_mode)) {
		struct dirent **ents;
		int n = scandir(in, &ents, NULL, by_name);
		if (n < 0) {
			cli_error("%s: %m", in);
			return EXIT_FAIL;
		}
		for (int i = 0; i < n; i++) {
			char path[PATH_MAX];
			if (!ld.failed && has_suffix(ents[i]->d_name, SUFFIX) &&
			    snprintf(path, sizeof path, "%s/%s", in, ents[i]->d_name) < (int)sizeof path) {
				ld.path = path;
				load_file(&ld, &l);
			}
			free(ents[i]);
		}
		free(ents);
	} else {
		ld.path = in;
		load_file(&ld, &l);
	}
	int status = ld.failed ? EXIT_FAIL : EXIT_OK;
	if (!ld.failed && !l.nr) {
		cli_error(name[0] ? "no session named '%s' in %s" : "no session in %s%s",
			  name[0] ? name : in, name[0] ? in : "");
		status = EXIT_FAIL;
	}
	for (uint32_t i = 0; i < l.nr && status == EXIT_OK; i++)
		if (replay_session(home, &l.sessions[i], force) != 0)
			status = EXIT_FAIL;
	model_free(&l);
	return status;
}
