#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""librseqtrace-pthread-wrapper.so preloaded into mutex_prog (workers on
one mutex, a failed then successful trylock, an error-checking mutex
relocked and over-unlocked, a fork while the workers lock, a thread
started by a library constructor): exact counts, statuses, mutex
addresses, threads, processes and callers; every thread's events follow
request -> acquisition -> unlock; the output is the untraced run's.

    check_pthread.py MUTEX_PROG inproc|record"""
import errno
import os
import sys

from probetest import (Trace, babeltrace_cli, check, check_no_tracer_locks, check_statedump, fail,
                       func_of, lib, parse_oracle, quiet_env, resolve, run, run_traced, same_output,
                       workdir)

THREADS, ROUNDS = 4, 2000
P = "rseqtrace_pthread:pthread_mutex_"


def main():
    prog, via = sys.argv[1], sys.argv[2]
    w = workdir("pthread-" + via)
    home = os.path.join(w, "home")
    os.makedirs(home)
    trace_dir = os.path.join(w, "trace")
    args = [str(THREADS), str(ROUNDS)]
    ref = run([prog, os.path.join(w, "oracle.ref")] + args, quiet_env(home))
    oracle_path = os.path.join(w, "oracle")
    r = run_traced(via, [prog, oracle_path] + args, [lib("pthread-wrapper")], home, trace_dir,
                   ["rseqtrace_pthread:*", "lttng_ust_statedump:*"])
    same_output(r, ref)
    check(b"counter: %d (expected %d)" % (THREADS * ROUNDS, THREADS * ROUNDS) in r.stdout,
          "lost updates under the wrapper: %s" % r.stdout.decode())

    babeltrace_cli(trace_dir)
    t = Trace(trace_dir)
    check(t.discarded == 0, "%d events discarded" % t.discarded)
    res = resolve(trace_dir)
    orc = parse_oracle(oracle_path)
    one = lambda kind: [o for o in orc if o["kind"] == kind]
    procs = one("process")
    check(len(procs) == 2, "oracle names %d processes" % len(procs))
    parent, child = procs[0]["pid"], procs[1]["pid"]
    main_tid = procs[0]["tid"]
    workers = one("worker")
    check(len(workers) == THREADS, "oracle names %d workers" % len(workers))
    holder, tl, ec, ch, early = one("holder")[0], one("trylock")[0], one("errorcheck")[0], \
        one("child")[0], one("early")[0]
    check(early["tid"] > 0, "the constructor thread did not run")
    vpid_of = {main_tid: parent, holder["tid"]: parent, early["tid"]: parent, ch["tid"]: child}
    for wk in workers:
        vpid_of[wk["tid"]] = parent

    by_thread = {}
    for ev in res:
        if not ev["name"].startswith(P):
            continue
        tid = ev["context"]["vtid"]
        check(tid in vpid_of, "event from an unknown thread %d: %r" % (tid, ev))
        check(ev["vpid"] == vpid_of[tid], "thread %d's event in process %d" % (tid, ev["vpid"]))
        by_thread.setdefault(tid, []).append(ev)
    for tid, evs in by_thread.items():
        if tid == early["tid"]:
            # It runs while the session enables the four events one by one:
            # it may see an unlock enabled before the acquisition. Its calls
            # all succeed.
            check(all(ev["payload"].get("status", 0) == 0 for ev in evs),
                  "constructor thread: a failed call %r" % evs)
            continue
        protocol(tid, evs, {procs[1]["inherited"]} if tid == ch["tid"] else set())

    def ops(tid, mutex):
        """(operation, status, calling function) of one thread on one mutex."""
        out = []
        for ev in by_thread.get(tid, []):
            if ev["payload"]["mutex"] == mutex:
                out.append((ev["name"][len(P):], ev["payload"].get("status"), func_of(ev, "ip")))
        return out

    for wk in workers:
        got = ops(wk["tid"], wk["mutex"])
        want = [("lock_req", None, "worker_locks"), ("lock_acq", 0, "worker_locks"),
                ("unlock", 0, "worker_locks")] * ROUNDS
        check(got == want, "worker %d: %d events on the shared mutex, first differences %r"
              % (wk["tid"], len(got), [(i, g, w_) for i, (g, w_) in enumerate(zip(got, want))
                                       if g != w_][:3]))
    check(ops(holder["tid"], holder["mutex"]) ==
          [("lock_req", None, "holder_locks"), ("lock_acq", 0, "holder_locks"),
           ("unlock", 0, "holder_locks")], "holder: %r" % ops(holder["tid"], holder["mutex"]))
    check((tl["busy"], tl["ok"], tl["unlock"]) == (errno.EBUSY, 0, 0), "trylock oracle %r" % tl)
    check(ops(main_tid, tl["mutex"]) ==
          [("trylock", errno.EBUSY, "trylock_test"), ("trylock", 0, "trylock_test"),
           ("unlock", 0, "trylock_test")], "trylock: %r" % ops(main_tid, tl["mutex"]))
    check(ops(main_tid, ec["mutex"]) ==
          [("lock_req", None, "errorcheck_test"), ("lock_acq", 0, "errorcheck_test"),
           ("lock_req", None, "errorcheck_test"), ("lock_acq", errno.EDEADLK, "errorcheck_test"),
           ("unlock", 0, "errorcheck_test"), ("unlock", errno.EPERM, "errorcheck_test")],
          "errorcheck: %r" % ops(main_tid, ec["mutex"]))
    check(ops(ch["tid"], ch["mutex"]) ==
          [("lock_req", None, "child_locks"), ("lock_acq", 0, "child_locks"),
           ("unlock", 0, "child_locks")] * 10, "child: %r" % ops(ch["tid"], ch["mutex"]))
    check(by_thread.get(early["tid"]), "no event from the thread started before main")

    check_statedump(t, parent, prog)
    check_statedump(t, child, prog)
    check_no_tracer_locks(res, prog)
    print("PASS: %d events, %d threads, %s" % (len(t.events), len(by_thread), via))


def protocol(tid, evs, inherited):
    """In one thread: a request is followed by its acquisition on the same
    mutex; status-0 acquisitions (and trylocks) take a mutex this thread
    does not hold; status-0 unlocks release one it holds (a forked child
    starts holding what its parent's thread held at fork: `inherited`)."""
    held = set(inherited)
    pending = None
    for ev in evs:
        op, p = ev["name"][len(P):], ev["payload"]
        m, st = p["mutex"], p.get("status")
        if pending is not None:
            check(op == "lock_acq" and m == pending,
                  "thread %d: request on 0x%x followed by %s on 0x%x" % (tid, pending, op, m))
            pending = None
        if op == "lock_req":
            pending = m
        elif op in ("lock_acq", "trylock") and st == 0:
            check(m not in held, "thread %d: acquired 0x%x twice" % (tid, m))
            held.add(m)
        elif op == "unlock" and st == 0:
            check(m in held, "thread %d: unlocked 0x%x it did not hold" % (tid, m))
            held.discard(m)
    check(pending is None, "thread %d: a request never acquired" % tid)


if __name__ == "__main__":
    main()
