/* SPDX-License-Identifier: MIT */
/* lttng's URLs for a relay daemon, as `lttng create` takes them. */
#ifndef RT_COMMON_URL_H
#define RT_COMMON_URL_H

#include <stddef.h>
#include <stdint.h>

#define RT_RELAYD_CTRL_PORT 5342
#define RT_RELAYD_DATA_PORT 5343

/* net://HOST[:CTRL[:DATA]] (net6:// too), or tcp://HOST:PORT (tcp6://: one
 * port, for -C / -D: both ports are set to it). HOST: a name, IPv4, or
 * [IPv6]. A trace path after the ports is not supported. 0 or -EINVAL. */
int rt_parse_relayd_url(const char *url, char *host, size_t hostlen, uint16_t *ctrl,
			uint16_t *data);

#endif
