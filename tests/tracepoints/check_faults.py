# SPDX-License-Identifier: MIT
"""Faults: stream files that stop growing mid-trace (RLIMIT_FSIZE: a short
write, then EFBIG) must leave a trace babeltrace2 reads, whole packets
only, with the lost packets' events reported as discarded; a forked child
traces into its parent's buffers and its events reach the parent's trace."""
import os
import sys

from tptest import Trace, babeltrace_cli, check, parse_kv, run, trace_dirs, workdir

prog, what = sys.argv[1], sys.argv[2]
out = workdir("tp-" + what)
if what == "fsize":
    limit = 40000
    r = run([prog, "fsize", out, str(limit), "30000"])
    st = parse_kv(r.stdout)
    check(st["stop"] != 0 and "File too large" in r.stderr,
          "stop did not report the write failure: %r" % r.stderr)
    check(st["write_errors"] > 0 and st["write_lost"] > 0, "no write failure seen: %r" % st)
    for d in trace_dirs(out):
        for f in os.listdir(d):
            check(os.path.getsize(os.path.join(d, f)) <= limit, "%s exceeds the limit" % f)
    babeltrace_cli(out, allow_discard_warnings=True)
    t = Trace(out)
    t.check_timestamps()
    recorded, discarded = len(t.events), t.total_discarded()
    check(recorded == st["events"] and discarded == st["discarded"],
          "decoded %d/%d, writer says %d/%d" % (recorded, discarded, st["events"], st["discarded"]))
    check(recorded + discarded + st["unreported"] == st["emitted"],
          "recorded %d + discarded %d + unreported %d != emitted %d"
          % (recorded, discarded, st["unreported"], st["emitted"]))
    check(recorded > 0, "nothing was written before the limit")
    print("PASS fsize: recorded %d, discarded %d (of which %d lost to the full file), "
          "unreported %d (the file never had room again)"
          % (recorded, discarded, st["write_lost"] - st["unreported"], st["unreported"]))
elif what == "firstloss":
    # babeltrace2 cannot count losses reported by a stream's first packet
    # (it says "may have discarded" without a number); the writer leads
    # such a stream with an empty packet, so the count is exact.
    r = run([prog, "firstloss", out, "10"])
    st = parse_kv(r.stdout)
    check(st["stop"] == 0 and st["lost"] == 1, "figures: %r" % st)
    babeltrace_cli(out, allow_discard_warnings=True)
    t = Trace(out)  # fails on a discarded-events report without a count
    t.check_timestamps()
    check(len(t.events) == 10 and t.total_discarded() == 1,
          "recorded %d, discarded %r" % (len(t.events), t.discarded))
    print("PASS firstloss: the loss in the first packet is counted (1)")
elif what == "fork":
    n = 500
    r = run([prog, "fork", out, str(n)])
    st = parse_kv(r.stdout)
    check(st["stop"] == 0, "stop failed: %s" % r.stderr)
    babeltrace_cli(out)
    t = Trace(out)
    t.check_timestamps()
    by = {}
    for s, ts, name, p, ctx in t.events:
        by.setdefault((ctx["vpid"], p["kind"]), []).append(p["seq"])
    check(sorted(by.get((st["pid"], 0), [])) == list(range(n)), "parent before fork")
    check(sorted(by.get((st["pid"], 1), [])) == list(range(n)), "parent after fork")
    check(sorted(by.get((st["child"], 2), [])) == list(range(2 * n)),
          "child events: %d of %d" % (len(by.get((st["child"], 2), [])), 2 * n))
    check(len(t.events) == 4 * n and t.total_discarded() == 0, "totals")
    print("PASS fork: the child's %d events are in the parent's trace with its vpid" % (2 * n))
