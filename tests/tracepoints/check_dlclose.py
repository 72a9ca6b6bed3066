# SPDX-License-Identifier: MIT
"""dlclose of a provider library while other threads trace its events: no
crash, no dangling registry entry (tp_dlclose checks those after every
unload), and a trace that babeltrace2 reads, with each recorded hit
emitted exactly once and every event of the self-contained library."""
import sys

from tptest import Trace, babeltrace_cli, check, metadata_text, parse_kv, run, workdir

prog, probes, selfso = sys.argv[1:4]
out = workdir("tp-dlclose")
r = run([prog, out, probes, selfso, "100"])
st = parse_kv(r.stdout)
attempts = {}
for tok in r.stdout.split():
    if tok.startswith("thread="):
        tid, n = (int(x) for x in tok[7:].split(":"))
        attempts[tid] = n
check(st["stop"] == 0, "session stop failed: %s" % r.stderr)
babeltrace_cli(out)
t = Trace(out)
t.check_timestamps()
hits, selfs, seen = 0, 0, set()
for s, ts, name, p, ctx in t.events:
    if name == "dlprov:hit":
        key = (p["tid"], p["seq"])
        check(key not in seen, "hit %r recorded twice" % (key,))
        seen.add(key)
        check(p["tid"] in attempts and p["seq"] < attempts[p["tid"]], "hit %r never emitted" % (key,))
        check(ctx["vtid"] == p["tid"] and p["from"] == "library probe", "bad hit %r %r" % (p, ctx))
        hits += 1
    elif name == "dlself:work":
        selfs += 1
    else:
        check(False, "unexpected event %s" % name)
check(t.total_discarded() == 0 and st["discarded"] == 0, "events were discarded")
check(hits > 1000, "only %d hits recorded while the probes were loaded" % hits)
check(selfs == st["self"], "dlself:work recorded %d times, emitted %d" % (selfs, st["self"]))
check(hits + selfs == st["events"], "decoded %d, written %d" % (hits + selfs, st["events"]))
meta = metadata_text(out)
for ev in ("dlprov:hit", "dlself:work"):
    check(meta.count('name = "%s";' % ev) == 1, "%s declared %d times in the metadata"
          % (ev, meta.count('name = "%s";' % ev)))
print("PASS: 100 load/unload rounds, %d hits from %d attempts, %d library events"
      % (hits, sum(attempts.values()), selfs))
