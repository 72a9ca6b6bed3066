# SPDX-License-Identifier: MIT
"""The compact event header (ringbuf/packet.h), read by babeltrace2.

gaps   tp_gaps emits 40 event classes (ids 31 and up take the extended
       header) 10 ms apart in one packet that lasts past 2^27 ns, then
       events of both kinds 150 ms apart. Every timestamp babeltrace2
       decodes must be exact: between the clock the program read just
       before the event and the one it read just after (carried by the
       next event).
hello  the bench's event (an int and "hello", contexts vpid, vtid,
       procname) takes at most 40 bytes in the stream files, LTTng-UST's
       size for it, but for the first of each packet, which has the
       extended header (+8; LTTng-UST's first event of a packet carries
       the full timestamp too); the figure is printed."""
import glob
import os
import re
import struct
import sys

from tptest import Trace, babeltrace_cli, check, metadata_text, parse_kv, run, workdir

prog, mode = sys.argv[1], sys.argv[2]
ENV = {"RSEQTRACE_EVENTS": "gaps:*", "RSEQTRACE_CONTEXT": "vpid,vtid,procname"}


def event_ids(meta):
    """name -> id, from the metadata's event blocks."""
    ids = {}
    for m in re.finditer(r'event \{\s*name = "([^"]+)";\s*id = (\d+);', meta):
        ids[m.group(1)] = int(m.group(2))
    return ids


if mode == "gaps":
    out = workdir("tp-gaps")
    r = run([prog, "gaps"], env=dict(ENV, RSEQTRACE_INPROC=out))
    n = parse_kv(r.stdout)["events"]
    babeltrace_cli(out)
    t = Trace(out)
    t.check_timestamps()
    check(t.total_discarded() == 0, "discarded: %r" % t.discarded)
    ev = [(ts, name, p) for _, ts, name, p, _ in t.events]
    want = ["gaps:e%d" % i for i in range(40)] + \
        ["gaps:e%d" % i for i in (1, 2, 35, 3, 36, 36, 4, 4, 30, 31)] + ["gaps:e0"]
    check(len(ev) == n == len(want), "%d events in the trace, %d emitted, %d expected"
          % (len(ev), n, len(want)))
    check([name for _, name, _ in ev] == want, "events out of order or misnamed: %r"
          % [name for _, name, _ in ev])
    for k in range(len(ev) - 1):
        ts, name, p = ev[k]
        after = ev[k + 1][2]["prev_after"]
        check(p["before"] <= ts <= after,
              "event %d (%s) decoded at %d, emitted in [%d, %d] (off by %d ns)"
              % (k, name, ts, p["before"], after,
                 ts - after if ts > after else ts - p["before"]))
    ids = event_ids(metadata_text(out))
    used = {ids[name] for _, name, _ in ev}
    check(max(used) >= 31 and min(used) < 31, "event ids %r: both header forms not used" % used)
    first = ev[0][0]
    late = [name for ts, name, _ in ev[:40] if ts - first >= 2 ** 27 and ids[name] < 31]
    check(late, "no event with a compact-capable id came 2^27 ns after the first")
    print("gaps: %d events exact to the ns, ids %d..%d, gaps of 150 ms, %d events past "
          "2^27 ns into a packet" % (len(ev), min(used), max(used), len(late)))
elif mode == "hello":
    out = workdir("tp-hello")
    N = 20000
    run([prog, "hello", str(N)], env=dict(ENV, RSEQTRACE_INPROC=out))
    babeltrace_cli(out)
    t = Trace(out)
    hello = [p for _, _, name, p, _ in t.events if name == "gaps:hello"]
    check(len(hello) == N and all(p["s"] == "hello" for p in hello),
          "%d hello events of %d decoded" % (len(hello), N))
    check([p["n"] for p in hello] == list(range(N)), "hello events out of order")
    # Records only: each packet's content minus its 88-byte header. The
    # last record of a packet is not padded, so at most 40 on average.
    files = [f for f in glob.glob(os.path.join(out, "**", "channel0_*"), recursive=True)
             if not f.endswith(".idx")]
    check(files, "no stream file under %s" % out)
    records = total = packets = 0
    for f in files:
        data = open(f, "rb").read()
        total += len(data)
        off = 0
        while off < len(data):
            content, size = struct.unpack_from("<QQ", data, off + 64)
            check(0 < content <= size and size % 8 == 0, "%s: packet at %d: content %d, size %d bits"
                  % (f, off, content, size))
            records += content // 8 - 88
            packets += content // 8 > 88
            off += size // 8
    per = records / N
    check(records <= 40 * N + 8 * packets,
          "%d bytes of records for %d events in %d packets: more than 40 each, + 8 a packet"
          % (records, N, packets))
    print("hello: %.3f bytes/event of records, %.3f with packet headers (%d events, %d packets)"
          % (per, total / N, N, packets))
