/* SPDX-License-Identifier: MIT */
#define RSEQTRACE_CREATE_PROBES
#include "core_tp.h"

#include <arpa/inet.h>

int main(void)
{
	uint16_t w[2] = { htons(0x1234), htons(7) };
	rseqtrace(core_ust, read, 3, htonl(4096));
	rseqtrace(core_ust, write, 4, htonl(1));
	rseqtrace(core_ust, net, w, 2);
	rseqtrace(core_ust, nothing);
	return 0;
}
