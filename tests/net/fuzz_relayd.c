/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target over the relayd client's reply handling (net/relayd.h):
 * the input is everything a hostile relayd sends on the control socket, in
 * one stream (truncated replies, wrong codes, wrong versions, garbage);
 * the client runs a whole session against it (version, create session,
 * two streams, streams sent, metadata, a packet and its index, a beacon,
 * closes) and must fail cleanly, never crash, hang or leak. The first
 * byte picks the path (odd: 2.13 announced, the 2.11 layouts, whose
 * session reply carries a path, then a trace chunk); the rest is what the
 * relayd sends. The whole input,
 * NUL-terminated, is also parsed as a URL. Replayed by ctest
 * (net_fuzz_replay) from tests/net/corpus; scripts/fuzz-relayd runs it.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/url.h"
#include "net/relayd.h"

static void conversation(struct relayd_conn *c)
{
	uint64_t sid, h[2];
	if (relayd_create_session(c, "sess", "host", 1000000, &sid) ||
	    relayd_add_stream(c, "metadata", "host/sess", "ust/uid/0/64-bit", &h[0]) ||
	    relayd_add_stream(c, "channel0_0", "host/sess", "ust/uid/0/64-bit", &h[1]) ||
	    relayd_streams_sent(c))
		return;
	static const char meta[] = "/* CTF 1.8 */";
	relayd_send_metadata(c, h[0], meta, sizeof meta - 1);
	uint8_t pkt[88] = { 0 };
	struct iovec iov = { pkt, sizeof pkt };
	struct ctf_index_entry e = { .packet_size = 704, .content_size = 704 };
	if (relayd_send_packet(c, h[1], 0, &iov, 1, sizeof pkt) || relayd_send_index(c, h[1], 0, &e))
		return;
	e.packet_size = e.content_size = 0;
	if (relayd_send_index(c, h[1], RELAYD_NO_SEQ, &e))
		return;
	relayd_close_stream(c, h[1], 0);
	relayd_close_stream(c, h[0], RELAYD_NO_SEQ);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *url = malloc(size + 1);
	if (url) {
		memcpy(url, data, size);
		url[size] = '\0';
		char host[256];
		uint16_t cp, dp;
		rt_parse_relayd_url(url, host, sizeof host, &cp, &dp);
		free(url);
	}
	int ctrl[2], dat[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, ctrl))
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, dat)) {
		close(ctrl[0]);
		close(ctrl[1]);
		return 0;
	}
	int big = 1 << 20;
	setsockopt(ctrl[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
	setsockopt(ctrl[0], SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	/* The first byte picks the path: 2.10 (pre-2.11 layouts) or 2.11+. */
	uint32_t announce = size && (data[0] & 1) ? RELAYD_MINOR_NEW : RELAYD_MINOR;
	if (size) {
		data++;
		size--;
	}
	/* The relayd's whole side, then its end of the stream. */
	size_t done = 0;
	while (done < size) {
		ssize_t w = write(ctrl[1], data + done, size - done);
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	shutdown(ctrl[1], SHUT_WR);
	struct relayd_conn c;
	if (relayd_start(&c, ctrl[0], dat[0], 200, announce) == 0)
		conversation(&c);
	relayd_close(&c);
	close(ctrl[1]);
	close(dat[1]);
	return 0;
}
