/* SPDX-License-Identifier: MIT */
/*
 * --mi xml for list and status: lttng 2.13's machine interface document
 * (schema lttng-mi 4.1), with the elements a user-space session has. The
 * shape is that of `lttng --mi xml list [NAME]`, element for element, so
 * a script written for lttng reads ours; it is stable (docs/design.md
 * §12). Written with libxml2, which escapes what needs it (paths).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/model.h"
#include "cli/xml.h"
#include "common/loglevel.h"

#define MI_NS "https://lttng.org/xml/ns/lttng-mi"
#define MI_SCHEMA MI_NS " https://lttng.org/xml/schemas/lttng-mi/4/lttng-mi-4.1.xsd"

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

const char *mi_loglevel_type(uint32_t t)
{
	return t == RT_LOGLEVEL_RANGE ? "RANGE" : t == RT_LOGLEVEL_SINGLE ? "SINGLE" : "ALL";
}

static void mi_event(xmlTextWriterPtr w, const struct m_rule *r)
{
	char ll[40];
	start(w, "event");
	el(w, "name", r->pattern);
	el(w, "type", "TRACEPOINT");
	el(w, "enabled", r->enable ? "true" : "false");
	if (r->filter[0])
		el(w, "filter_expression", r->filter);
	if (r->loglevel_type != RT_LOGLEVEL_ALL) {
		snprintf(ll, sizeof ll, "TRACE_%s", rt_loglevel_name(r->loglevel));
		el(w, "loglevel", ll);
		el(w, "loglevel_type", mi_loglevel_type(r->loglevel_type));
	}
	start(w, "exclusions");
	for (uint32_t i = 0; i < r->nr_excl; i++)
		el(w, "exclusion", r->excl[i]);
	end(w);
	end(w);
}

/* <process_attr_trackers> as lttng 2.13 writes it, in a session file
 * (save.c) and in a list: an element for each tracker that does not track
 * every process (empty values: it tracks none); each value is
 * <ATTR><id>N</id></ATTR> in a file, <ATTR><type><id>N</id></type></ATTR>
 * in a list (typed). */
void mi_trackers(xmlTextWriterPtr w, const struct m_session *s, int typed)
{
	start(w, "process_attr_trackers");
	for (unsigned a = 0; a < RT_TRACK_NR; a++) {
		const struct m_tracker *t = &s->trackers[a];
		char tag[48];
		if (t->policy == M_TRACK_ALL)
			continue;
		snprintf(tag, sizeof tag, "%s_process_attr_tracker", rt_track_names[a]);
		start(w, tag);
		start(w, "process_attr_values");
		for (uint32_t i = 0; t->policy == M_TRACK_SET && i < t->nr; i++) {
			start(w, rt_track_names[a]);
			if (typed)
				start(w, "type");
			elu(w, "id", t->values[i]);
			if (typed)
				end(w);
			end(w);
		}
		end(w);
		end(w);
	}
	end(w);
}

static void mi_channel(xmlTextWriterPtr w, const struct m_channel *c)
{
	start(w, "channel");
	el(w, "name", c->name);
	el(w, "enabled", c->enabled ? "true" : "false");
	start(w, "attributes");
	el(w, "overwrite_mode", c->overwrite ? "OVERWRITE" : "DISCARD");
	elu(w, "subbuffer_size", c->subbuf_size);
	elu(w, "subbuffer_count", c->num_subbuf);
	elu(w, "switch_timer_interval", c->switch_timer_us);
	elu(w, "read_timer_interval", c->read_timer_us);
	elu(w, "monitor_timer_interval", c->monitor_timer_us);
	/* lttng writes -1 for "wait forever". */
	if (c->blocking_us == RT_BLOCKING_INF)
		el(w, "blocking_timeout", "-1");
	else
		elu(w, "blocking_timeout", c->blocking_us);
	el(w, "output_type", "MMAP");
	elu(w, "tracefile_size", c->tracefile_size);
	elu(w, "tracefile_count", c->tracefile_count);
	elu(w, "live_timer_interval", 0);
	elu(w, "discarded_events", c->discarded);
	elu(w, "lost_packets", 0);
	end(w);
	start(w, "events");
	for (uint32_t i = 0; i < c->nr_rules; i++)
		mi_event(w, &c->rules[i]);
	end(w);
	end(w);
}

static void mi_session(xmlTextWriterPtr w, const struct m_session *s, int detail)
{
	start(w, "session");
	el(w, "name", s->name);
	el(w, "path", s->output);
	el(w, "enabled", strcmp(s->state, "active") == 0 ? "true" : "false");
	elu(w, "snapshot_mode", s->snapshot ? 1 : 0);
	elu(w, "live_timer_interval", 0);
	if (detail) {
		start(w, "domains");
		start(w, "domain");
		el(w, "type", "UST");
		el(w, "buffer_type", s->per_pid ? "PER_PID" : "PER_UID");
		mi_trackers(w, s, 1);
		start(w, "channels");
		for (uint32_t i = 0; i < s->nr_channels; i++)
			mi_channel(w, &s->channels[i]);
		end(w);
		end(w);
		end(w);
	}
	end(w);
}

int mi_list(const char *home, const char *name, int current, const char *cmd)
{
	(void)cmd; /* lttng's status answers with a list document too */
	struct m_list l;
	if (xml_load() != 0 || model_fetch(home, name, current, &l) != 0)
		return EXIT_FAIL;
	xmlBufferPtr buf = libxml2.xmlBufferCreate();
	xmlTextWriterPtr w = buf ? libxml2.xmlNewTextWriterMemory(buf, 0) : NULL;
	if (!w) {
		cli_error("out of memory");
		model_free(&l);
		return EXIT_FAIL;
	}
	libxml2.xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL);
	start(w, "command");
	libxml2.xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns", BAD_CAST MI_NS);
	libxml2.xmlTextWriterWriteAttribute(w, BAD_CAST "xmlns:xsi",
					    BAD_CAST "http://www.w3.org/2001/XMLSchema-instance");
	libxml2.xmlTextWriterWriteAttribute(w, BAD_CAST "xsi:schemaLocation", BAD_CAST MI_SCHEMA);
	libxml2.xmlTextWriterWriteAttribute(w, BAD_CAST "schemaVersion", BAD_CAST "4.1");
	el(w, "name", "list");
	start(w, "output");
	start(w, "sessions");
	for (uint32_t i = 0; i < l.nr; i++)
		mi_session(w, &l.sessions[i], name[0] || current);
	end(w);
	end(w);
	end(w);
	libxml2.xmlTextWriterEndDocument(w);
	libxml2.xmlFreeTextWriter(w);
	fputs((const char *)libxml2.xmlBufferContent(buf), stdout);
	libxml2.xmlBufferFree(buf);
	model_free(&l);
	return EXIT_OK;
}
