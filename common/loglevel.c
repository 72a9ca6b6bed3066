/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include <stdlib.h>
#include <strings.h>

#include "common/loglevel.h"

static const char *const level_names[RT_LOGLEVEL_COUNT] = {
	"EMERG", "ALERT", "CRIT", "ERR", "WARNING", "NOTICE", "INFO", "DEBUG_SYSTEM",
	"DEBUG_PROGRAM", "DEBUG_PROCESS", "DEBUG_MODULE", "DEBUG_UNIT", "DEBUG_FUNCTION",
	"DEBUG_LINE", "DEBUG",
};

const char *rt_loglevel_name(int level)
{
	if (level < 0 || level >= RT_LOGLEVEL_COUNT)
		return NULL;
	return level_names[level];
}

int rt_loglevel_parse(const char *s)
{
	if (!s || !*s)
		return -1;
	char *end;
	long v = strtol(s, &end, 10);
	if (*end == 0)
		return v >= 0 && v < RT_LOGLEVEL_COUNT ? (int)v : -1;
	if (strncasecmp(s, "TRACE_", 6) == 0)
		s += 6;
	for (int i = 0; i < RT_LOGLEVEL_COUNT; i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return i;
	return -1;
}
