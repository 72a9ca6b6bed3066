/* SPDX-License-Identifier: MIT */
/* Event descriptions from applications: validated by the desc_wire parser
 * (eventdesc/desc_wire.h) before anything else looks at them. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "consumerd/daemon.h"
#include "eventdesc/desc_wire.h"

int event_desc_parse(const void *wire, uint32_t len, struct event_desc *out,
		     char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	struct rt_desc *d = rt_desc_parse(wire, len, err, errlen);
	if (!d)
		return -1;
	if (d->loglevel < RT_LOGLEVEL_MIN || d->loglevel > RT_LOGLEVEL_MAX) {
		snprintf(err, errlen, "loglevel %d out of range", (int)d->loglevel);
		rt_desc_free(d);
		return -1;
	}
	out->wire = malloc(len);
	if (!out->wire) {
		snprintf(err, errlen, "out of memory");
		rt_desc_free(d);
		return -1;
	}
	memcpy(out->wire, wire, len);
	out->wire_len = len;
	out->parsed = d;
	out->name = d->name;
	out->loglevel = d->loglevel;
	return 0;
}

void event_desc_free(struct event_desc *e)
{
	if (e->parsed)
		rt_desc_free(e->parsed);
	free(e->wire);
	memset(e, 0, sizeof *e);
}

int event_desc_same_layout(const struct event_desc *a, const struct event_desc *b)
{
	return rt_desc_same_layout(a->parsed, b->parsed);
}
