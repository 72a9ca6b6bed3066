# SPDX-License-Identifier: MIT
"""Compact and extended event headers (ringbuf/packet.h) through babeltrace2.

gaps: every event's timestamp decodes to the clock its payload carries
(read just before it, so a few microseconds earlier), although bursts lie
150 ms (> 2^27 ns) apart in one packet; both header forms are on disk,
extended ones for ids past 30 and for ids below 31 after a long gap.
bytes: the bench's event (int + "hello", vpid, vtid, procname) takes at
most LTTng's 40 bytes on disk; the figure is printed."""
import os
import struct
import sys

from tptest import Trace, babeltrace_cli, check, parse_kv, run, trace_dirs, workdir

prog, mode = sys.argv[1], sys.argv[2]
PACKET_HEADER = 88  # struct rt_packet (ringbuf/packet.h)


def packets(root):
    """(content bytes after the packet header, padded size) per packet."""
    for d in trace_dirs(root):
        for name in sorted(os.listdir(d)):
            path = os.path.join(d, name)
            if name == "metadata" or not os.path.isfile(path):
                continue
            data = open(path, "rb").read()
            at = 0
            while at < len(data):
                content, size = struct.unpack_from("<QQ", data, at + 64)
                yield data[at + PACKET_HEADER:at + content // 8], size // 8 - PACKET_HEADER
                at += size // 8


def header_forms(root, record_len):
    """(compact ids, extended ids) of records whose length, by form, is
    record_len(compact) bytes padded to 8."""
    compact, extended = [], []
    for body, _ in packets(root):
        at = 0
        while at < len(body):
            w, = struct.unpack_from("<I", body, at)
            if w & 31 != 31:
                compact.append(w & 31)
                at += record_len(True)
            else:
                extended.append(w >> 5)
                at += record_len(False)
    return compact, extended


if mode == "gaps":
    out = workdir("tp-header-gaps")
    r = run([prog, "gaps"], env={"RSEQTRACE_INPROC": out, "RSEQTRACE_EVENTS": "hdr:e*"})
    n = parse_kv(r.stdout)["events"]
    babeltrace_cli(out)
    t = Trace(out)
    t.check_timestamps()
    check(len(t.events) == int(n), "%d events decoded, %s emitted" % (len(t.events), n))
    check(t.total_discarded() == 0, "discarded events: %r" % t.discarded)
    worst = 0
    for _, ts, name, p, _ in t.events:
        check(name == "hdr:e%d" % p["n"], "%s carries n=%d" % (name, p["n"]))
        # A wrong decode is off by a multiple of 2^27 ns (134 ms).
        check(p["t"] <= ts < p["t"] + (1 << 26),
              "%s: timestamp %d, clock read before it %d (off by %d ns)"
              % (name, ts, p["t"], ts - p["t"]))
        worst = max(worst, ts - p["t"])
    # payload u64 t, u32 n at 8-aligned staged offset 16: 24 bytes compact, 32 extended
    compact, extended = header_forms(out, lambda c: 24 if c else 32)
    check(len(compact) + len(extended) == int(n), "walked %d records on disk, %s emitted"
          % (len(compact) + len(extended), n))
    check(compact and max(compact) < 31, "compact headers: %d" % len(compact))
    check(any(i >= 31 for i in extended), "no extended header for an id past 30")
    check(any(i < 31 for i in extended), "no extended header after a gap of 150 ms")
    print("OK: %s events exact (worst %d ns after the clock read before them); "
          "%d compact headers, %d extended (%d of them ids below 31)"
          % (n, worst, len(compact), len(extended), sum(i < 31 for i in extended)))
elif mode == "bytes":
    out = workdir("tp-header-bytes")
    # 4 MiB of buffers hold them all: nothing is dropped
    r = run([prog, "bytes", "50000"], env={"RSEQTRACE_INPROC": out, "RSEQTRACE_EVENTS": "hdr:int_str",
                                           "RSEQTRACE_CONTEXT": "vpid,vtid,procname",
                                           "RSEQTRACE_SUBBUF_SIZE": "1M", "RSEQTRACE_NUM_SUBBUF": "4"})
    n = int(parse_kv(r.stdout)["events"])
    t = Trace(out)
    check(len(t.events) == n, "%d events decoded, %d emitted" % (len(t.events), n))
    for _, _, _, p, c in t.events[:3] + t.events[-3:]:
        check(p == {"my_int": p["my_int"], "my_str": "hello"} and set(c) == {"vpid", "vtid", "procname"},
              "event decoded as %r %r" % (p, c))
    on_disk = sum(size for _, size in packets(out))
    per_event = on_disk / n
    print("bytes per event on disk (int + \"hello\", vpid, vtid, procname): %.2f "
          "(LTTng-UST: 40)" % per_event)
    check(per_event <= 40, "%.2f bytes per event, more than LTTng's 40" % per_event)
else:
    sys.exit("usage: check_header.py PROG gaps|bytes")
