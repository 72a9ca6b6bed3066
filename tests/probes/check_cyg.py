#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""librseqtrace-cyg-profile.so (full) or -fast.so (fast) preloaded into
cyg_prog, built with -finstrument-functions (worker threads, recursion, a
signal handler calling an instrumented function, a fork while the workers
run): in every thread entries and exits nest exactly; the functions and
call sites resolve to the right names; the counts are the program's; the
output is the untraced run's.

    check_cyg.py CYG_PROG full|fast inproc|record"""
import os
import sys

from probetest import (Trace, babeltrace_cli, check, check_statedump, fail, func_of, lib,
                       parse_oracle, quiet_env, resolve, run, run_traced, same_output, workdir)

THREADS, ROUNDS = 4, 300


def main():
    prog, mode, via = sys.argv[1], sys.argv[2], sys.argv[3]
    provider = "rseqtrace_cyg_profile" if mode == "full" else "rseqtrace_cyg_profile_fast"
    w = workdir("cyg-%s-%s" % (mode, via))
    home = os.path.join(w, "home")
    os.makedirs(home)
    trace_dir = os.path.join(w, "trace")
    args = [str(THREADS), str(ROUNDS)]
    ref = run([prog, os.path.join(w, "oracle.ref")] + args, quiet_env(home))
    oracle_path = os.path.join(w, "oracle")
    r = run_traced(via, [prog, oracle_path] + args,
                   [lib("cyg-profile" if mode == "full" else "cyg-profile-fast")], home, trace_dir,
                   [provider + ":*", "lttng_ust_statedump:*"])
    same_output(r, ref)

    babeltrace_cli(trace_dir)
    t = Trace(trace_dir)
    check(t.discarded == 0, "%d events discarded" % t.discarded)
    res = resolve(trace_dir)
    orc = parse_oracle(oracle_path)
    procs = [o for o in orc if o["kind"] == "process"]
    check(len(procs) == 2, "oracle names %d processes" % len(procs))
    parent, child = procs[0]["pid"], procs[1]["pid"]
    main_tid = procs[0]["tid"]
    workers = [o["tid"] for o in orc if o["kind"] == "worker"]
    child_tid = [o["tid"] for o in orc if o["kind"] == "child"][0]
    check(len(workers) == THREADS, "oracle names %d workers" % len(workers))
    vpid_of = {main_tid: parent, child_tid: child}
    for tid in workers:
        vpid_of[tid] = parent

    by_thread = {}
    for ev in res:
        if ev["name"].startswith("rseqtrace_cyg_profile"):
            check(ev["name"].startswith(provider + ":"), "event of the other variant: %r" % ev)
            tid = ev["context"]["vtid"]
            check(tid in vpid_of, "event from a thread that runs no instrumented code: %r" % ev)
            check(ev["vpid"] == vpid_of[tid], "thread %d's event in process %d" % (tid, ev["vpid"]))
            by_thread.setdefault(tid, []).append(ev)
    check(set(by_thread) == set(vpid_of), "threads with events %r, expected %r"
          % (sorted(by_thread), sorted(vpid_of)))

    counts = {}
    for tid, evs in by_thread.items():
        counts[tid] = replay(tid, evs, mode, child_tid)

    for tid in workers:
        c = counts[tid]
        check((c.get("top"), c.get("mid"), c.get("leaf"), c.get("worker")) ==
              (ROUNDS, 3 * ROUNDS, 6 * ROUNDS, 1), "worker %d calls: %r" % (tid, c))
    c = counts[child_tid]
    check((c.get("child_work"), c.get("top"), c.get("mid"), c.get("leaf")) == (1, 1, 3, 6),
          "child calls: %r" % c)
    c = counts[main_tid]
    check((c.get("main"), c.get("rec"), c.get("signal_test"), c.get("on_signal"), c.get("leaf"))
          == (1, 6, 1, 1, 1), "main thread calls: %r" % c)

    check_statedump(t, parent, prog)
    check_statedump(t, child, prog)
    print("PASS: %s, %d events in %d threads, %s" % (mode, len(t.events), len(by_thread), via))


CALLERS = {"leaf": {"mid", "on_signal"}, "mid": {"top"}, "top": {"worker", "child_work"},
           "on_signal": None, "rec": {"rec", "main"}}


def replay(tid, evs, mode, child_tid):
    """Entries and exits nest; returns entries per function name."""
    stack, counts = [], {}
    for ev in evs:
        p = ev["payload"]
        if ev["name"].endswith(":func_entry"):
            name = func_of(ev, "addr")
            check(name is not None, "thread %d: function 0x%x does not resolve: %r"
                  % (tid, p["addr"], ev["resolved"]))
            counts[name] = counts.get(name, 0) + 1
            if mode == "full":
                caller = func_of(ev, "call_site")
                want = CALLERS.get(name)
                if want:
                    check(caller in want, "thread %d: %s called from %r, expected one of %r"
                          % (tid, name, caller, want))
                if name == "on_signal":
                    check([s[2] for s in stack][-1:] == ["signal_test"],
                          "signal handler not nested in signal_test: %r" % stack)
            stack.append((p["addr"], p.get("call_site"), name))
        elif ev["name"].endswith(":func_exit"):
            check(stack, "thread %d: exit with no open entry (%r)" % (tid, ev))
            addr, site, name = stack.pop()
            if mode == "full":
                check((p["addr"], p["call_site"]) == (addr, site),
                      "thread %d: exit of 0x%x/0x%x closes entry of %s 0x%x/0x%x"
                      % (tid, p["addr"], p["call_site"], name, addr, site))
            else:
                check(p == {}, "fast exit with fields %r" % p)
        else:
            fail("unexpected event %r" % ev)
    left = [s[2] for s in stack]
    # The child leaves through exit() inside child_work.
    check(left == (["child_work"] if tid == child_tid else []),
          "thread %d: entries never exited: %r" % (tid, left))
    return counts


if __name__ == "__main__":
    main()
