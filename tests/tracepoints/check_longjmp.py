# SPDX-License-Identifier: MIT
"""A thread that jumps out of probes (siglongjmp from signal handlers)
blocks nothing: tp_longjmp checks that stop, dlclose or fork return within
its deadline; here, that its run passed and that the trace is readable and
holds every event the jumping thread emitted once it traced again."""
import sys

from tptest import Trace, babeltrace_cli, check, parse_kv, run, workdir

prog, probes, mode = sys.argv[1:4]
out = workdir("tp-longjmp-" + mode)
r = run([prog, out, probes, mode], timeout=100)
print(r.stdout.strip())
check("PASS" in r.stdout.split(), "tp_longjmp did not pass:\n%s\n%s" % (r.stdout, r.stderr))
st = parse_kv(r.stdout)
if mode == "recover":
    check("taken as gone" not in r.stderr,
          "a grace period waited for the section the thread had left, although the thread "
          "traced again from a shallower frame:\n%s" % r.stderr)
babeltrace_cli(out, allow_discard_warnings=True)
t = Trace(out)
t.check_timestamps()
again = sorted(p["seq"] for s, ts, name, p, ctx in t.events if name == "lj:ev" and p["kind"] == 2)
storm = sum(1 for s, ts, name, p, ctx in t.events if name == "lj:ev" and p["kind"] == 0)
check(storm > 0, "none of the events traced during the jumps was recorded")
if st["running"]:
    first, n = st["again_first"], st["again_count"]
    check(again == list(range(first, first + n)),
          "after the jumps, %d of the %d events the thread emitted were recorded" % (len(again), n))
else:
    check(not again, "events recorded after the session stopped")
print("PASS: %d events of the storm, %d after it" % (storm, len(again)))
