#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The libc and pthread wrappers preloaded together into a real,
multi-threaded Debian program: GNU sort with two sorting threads
(coreutils; it allocates through malloc and synchronizes its merge with
pthread mutexes). Its output is byte for byte the untraced one; the heap
replays consistently; every thread's lock events follow request ->
acquisition; every recorded caller lies in an object of the state dump.

    check_real.py sort"""
import os
import random
import shutil
import sys

from probetest import (Trace, babeltrace_cli, check, lib, quiet_env, replay_heap, resolve, run,
                       traced_env, workdir)

P = "rseqtrace_pthread:pthread_mutex_"


def main():
    check(sys.argv[1:] == ["sort"], "usage: check_real.py sort")
    sort = shutil.which("sort")
    check(sort is not None, "sort (coreutils) is missing")
    w = workdir("real-sort")
    home = os.path.join(w, "home")
    os.makedirs(home)
    trace_dir = os.path.join(w, "trace")
    rnd = random.Random(6)
    data = "".join("%d %s\n" % (rnd.randrange(10 ** 9), "x" * rnd.randrange(20))
                   for _ in range(300000)).encode()
    argv = [sort, "-n", "--parallel=2", "-S", "20M", "-T", w]
    ref = run(argv, quiet_env(home), stdin=data)
    r = run(argv, traced_env(home, trace_dir, [lib("pthread-wrapper"), lib("libc-wrapper")]),
            stdin=data)
    check(r.stdout == ref.stdout, "sort's output changed under tracing")
    check(r.stderr == b"", "sort printed on stderr under tracing: %s" % r.stderr.decode())

    babeltrace_cli(trace_dir)
    t = Trace(trace_dir)
    check(t.discarded == 0, "%d events discarded" % t.discarded)
    vpids = {e.vpid for e in t.events}
    check(len(vpids) == 1, "events from processes %r" % vpids)
    libc = [e for e in t.events if e.name.startswith("rseqtrace_libc:")]
    check(len(libc) > 100, "only %d allocation events" % len(libc))
    replay_heap(t)

    res = resolve(trace_dir)
    by_thread = {}
    for ev in res:
        if ev["name"].startswith("rseqtrace_"):
            bin_ = (ev["resolved"].get("ip") or {}).get("bin")
            check(bin_, "caller outside every mapped object: %r" % ev)
        if ev["name"].startswith(P):
            check(ev["payload"]["status"] == 0 if "status" in ev["payload"] else True,
                  "a lock failed in sort: %r" % ev)
            by_thread.setdefault(ev["context"]["vtid"], []).append(ev)
    check(len(by_thread) >= 2, "lock events from %d thread(s); sort --parallel=2 uses two"
          % len(by_thread))
    locks = 0
    for tid, evs in by_thread.items():
        held, pending = set(), None
        for ev in evs:
            op, m = ev["name"][len(P):], ev["payload"]["mutex"]
            if pending is not None:
                check(op == "lock_acq" and m == pending,
                      "thread %d: request on 0x%x followed by %s on 0x%x" % (tid, pending, op, m))
                pending = None
            if op == "lock_req":
                pending = m
            elif op in ("lock_acq", "trylock"):
                check(m not in held, "thread %d: acquired 0x%x twice" % (tid, m))
                held.add(m)
                locks += 1
            else:
                # pthread_cond_wait re-acquires inside glibc, unseen: an
                # unlock may end a hold that began there.
                held.discard(m)
        check(pending is None, "thread %d: a request never acquired" % tid)
    print("PASS: sort, %d events, %d allocations, %d locks in %d threads"
          % (len(t.events), len(libc), locks, len(by_thread)))


if __name__ == "__main__":
    main()
