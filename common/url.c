/* SPDX-License-Identifier: MIT */
/* lttng-relayd URLs (url.h). */
#include <errno.h>
#include <string.h>

#include "common/url.h"

static int parse_port(const char *s, const char *end, uint16_t *out)
{
	if (s == end || end - s > 5)
		return -EINVAL;
	unsigned v = 0;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(*s - '0');
	}
	if (v == 0 || v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

int rt_parse_relayd_url(const char *url, char *host, size_t hostlen, uint16_t *ctrl, uint16_t *data)
{
	static const char *const schemes[] = { "net://", "net6://", "tcp://", "tcp6://" };
	size_t sl = 0;
	int tcp = 0;
	for (int i = 0; i < 4; i++)
		if (!strncmp(url, schemes[i], strlen(schemes[i]))) {
			sl = strlen(schemes[i]);
			tcp = i >= 2;
		}
	if (!sl)
		return -EINVAL;
	const char *h = url + sl, *he, *rest;
	if (*h == '[') {
		he = strchr(h, ']');
		if (!he)
			return -EINVAL;
		h++;
		rest = he + 1;
	} else {
		he = h + strcspn(h, ":/");
		rest = he;
	}
	size_t hl = (size_t)(he - h);
	if (hl == 0 || hl >= hostlen)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	for (size_t i = 0; i < hl; i++)
		if ((unsigned char)host[i] <= ' ' || host[i] == '/')
			return -EINVAL;
	*ctrl = RT_RELAYD_CTRL_PORT;
	*data = RT_RELAYD_DATA_PORT;
	uint16_t ports[2];
	int np = 0;
	while (*rest == ':' && np < 2) {
		const char *p = rest + 1, *pe = p + strcspn(p, ":/");
		if (parse_port(p, pe, &ports[np++]))
			return -EINVAL;
		rest = pe;
	}
	if (*rest) /* a trace path or a third port: not supported */
		return -EINVAL;
	if (tcp) {
		if (np != 1)
			return -EINVAL;
		*ctrl = *data = ports[0];
	} else {
		if (np >= 1)
			*ctrl = ports[0];
		if (np == 2)
			*data = ports[1];
	}
	return 0;
}
