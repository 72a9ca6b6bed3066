# SPDX-License-Identifier: MIT
"""The oracle on a decoded trace: threads (some hopping CPUs) and signal
handlers trace (tid, seq); every (tid, kind, seq) appears at most once and
was emitted, recorded + discarded (as babeltrace2 reports it) = emitted,
exactly, timestamps never go back and stay inside their packets.

usage: check_stress.py PROG SCENARIO
  oracle   4 threads, hops, signals, payloads too big; rseq (auto)
  locked   the same in locked mode
  tunables the same with glibc's rseq disabled: auto must pick locked
  loss     tiny buffers and a slow drain: many drops, exactly reported
  refused  rseq buffers in threads that cannot use rseq: every event
           refused and counted
  wake     a paced thread writes 25 buffers' worth while the drain period
           is 20 s: only writers' wake-ups drain, and nothing may be lost
  nowake   the same with RSEQTRACE_WAKEUP=0 (the control): most is lost,
           or `wake` could not tell wake-ups from the period
"""
import sys

from tptest import Trace, babeltrace_cli, check, parse_kv, run, workdir

prog, scenario = sys.argv[1], sys.argv[2]
RSEQ, LOCKED = 1, 2
NO_RSEQ = {"GLIBC_TUNABLES": "glibc.pthread.rseq=0"}
# mode threads per_thread subbuf num drain_ms hop signals big_every pause_every
runs = {
    "oracle": ("auto", 4, 40000, 65536, 8, 5, 1, 1, 997, 50, {}, RSEQ),
    "locked": ("locked", 4, 40000, 65536, 8, 5, 1, 1, 997, 50, {}, LOCKED),
    "tunables": ("auto", 4, 30000, 65536, 8, 5, 1, 1, 997, 50, NO_RSEQ, LOCKED),
    "loss": ("auto", 2, 60000, 512, 2, 50, 0, 1, 0, 0, {}, RSEQ),
    "refused": ("rseq", 2, 2000, 4096, 4, 5, 0, 0, 0, 0, NO_RSEQ, RSEQ),
    "wake": ("auto", 1, 40000, 16384, 4, 20000, 0, 0, 0, 5, {}, RSEQ),
    "nowake": ("auto", 1, 40000, 16384, 4, 20000, 0, 0, 0, 5, {"RSEQTRACE_WAKEUP": "0"}, RSEQ),
}
mode, th, n, sb, nsb, drain, hop, sig, big, pause, env, want_mode = runs[scenario]
out = workdir("tp-" + scenario)
r = run([prog, out, mode, str(th), str(n), str(sb), str(nsb), str(drain), str(hop), str(sig),
         str(big), str(pause)], env=env)
st = parse_kv(r.stdout)
threads = {}
for tok in r.stdout.split():
    if tok.startswith("thread="):
        tid, normal, sigs = (int(x) for x in tok[7:].split(":"))
        threads[tid] = (normal, sigs)
check(len(threads) == th, "expected %d threads in %r" % (th, r.stdout))
check(st["mode"] == want_mode, "buffer mode %d, expected %d" % (st["mode"], want_mode))
emitted = st["emitted"]
lost = st["lost_full"] + st["lost_big"] + st["lost_abort"]

if scenario == "refused":
    # Nothing can be written; every refusal is counted where the trace and
    # the statistics see it. Stop needs no rseq of its own: the consumer
    # takes what is committed without running the writers' sequences, so
    # it succeeds and reports the losses.
    check(st["refused"] == emitted and st["lost_abort"] == emitted,
          "refused %d, lost_abort %d, emitted %d" % (st["refused"], st["lost_abort"], emitted))
    check(st["events"] == 0, "%d events written by threads without rseq" % st["events"])
    check(st["stop"] == 0, "stop failed without rseq: %r" % r.stderr)
    check(st["discarded"] == emitted, "discarded %d in the trace, emitted %d" % (st["discarded"], emitted))
    babeltrace_cli(out, allow_discard_warnings=True)
    print("PASS: %d refusals counted" % emitted)
    sys.exit(0)

babeltrace_cli(out, allow_discard_warnings=True)
t = Trace(out)
t.check_timestamps()
seen = set()
recorded_sig = 0
for s, ts, name, p, ctx in t.events:
    check(name == "stress:ev", "unexpected event %s (payloads too big must be dropped)" % name)
    key = (p["tid"], p["kind"], p["seq"])
    check(key not in seen, "(tid, kind, seq) %r recorded twice" % (key,))
    seen.add(key)
    check(p["tid"] in threads, "unknown tid %d" % p["tid"])
    check(p["seq"] < threads[p["tid"]][p["kind"]], "seq %r was never emitted" % (key,))
    check(ctx["vtid"] == p["tid"] and ctx["vpid"] == st["pid"], "contexts %r for %r" % (ctx, key))
    recorded_sig += p["kind"] == 1

recorded, discarded = len(t.events), t.total_discarded()
check(recorded == st["events"], "babeltrace2 decodes %d events, the writer wrote %d"
      % (recorded, st["events"]))
check(discarded == st["discarded"], "babeltrace2 reports %d discarded, the writer %d"
      % (discarded, st["discarded"]))
check(discarded == lost, "discarded %d != buffer drops %d (full %d, big %d, abort %d)"
      % (discarded, lost, st["lost_full"], st["lost_big"], st["lost_abort"]))
check(recorded + discarded == emitted, "recorded %d + discarded %d != emitted %d"
      % (recorded, discarded, emitted))
check(st["lost_big"] == st["big"], "too-big drops %d, too-big events %d" % (st["lost_big"], st["big"]))
check(st["refused"] == 0 and st["stop"] == 0, "refused %d, stop %d" % (st["refused"], st["stop"]))
if sig and scenario != "loss":
    check(st["signal"] > 0 and recorded_sig > 0, "no signal handler event recorded")
if scenario == "loss":
    check(st["lost_full"] > 1000, "the loss run dropped only %d events" % st["lost_full"])
if scenario == "wake":
    check(discarded == 0 and recorded == emitted, "wake-ups: %d of %d events discarded"
          % (discarded, emitted))
if scenario == "nowake":
    check(discarded > emitted // 2, "only %d of %d events discarded without wake-ups: the "
          "wake scenario cannot tell them from the drain period" % (discarded, emitted))
print("PASS %s: emitted %d = recorded %d + discarded %d (signal handlers %d, too big %d)"
      % (scenario, emitted, recorded, discarded, st["signal"], st["big"]))
