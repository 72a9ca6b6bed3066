#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""librseqtrace-libc-wrapper.so preloaded into alloc_prog (worker threads,
a thread started by a library constructor, a fork while the workers
allocate): every allocation the program made is in the trace with its
exact fields, in its thread and process; the caller addresses resolve to
the calling functions; the heap replays consistently; the output is the
untraced run's.

    check_libc.py ALLOC_PROG rseq|locked inproc|record

locked: glibc without rseq (locked-mode buffers, whose locks go through
pthread_mutex_lock) with the pthread wrapper preloaded too: the tracer's
own locks must not appear and nothing may deadlock."""
import os
import sys

from probetest import (Trace, babeltrace_cli, check, check_statedump, fail, func_of, lib,
                       parse_oracle, quiet_env, resolve, run, run_traced, same_output, workdir,
                       check_no_tracer_locks, replay_heap)

THREADS, ROUNDS = 4, 300
ALLOC_KINDS = ("malloc", "calloc", "realloc", "memalign", "posix_memalign", "aligned_alloc", "free")


def main():
    prog = sys.argv[1]
    mode, via = sys.argv[2], sys.argv[3]
    w = workdir("libc-%s-%s" % (mode, via))
    home = os.path.join(w, "home")
    os.makedirs(home)
    trace_dir = os.path.join(w, "trace")
    args = [str(THREADS), str(ROUNDS)]

    ref = run([prog, os.path.join(w, "oracle.ref")] + args, quiet_env(home))
    preload = [lib("libc-wrapper")]
    extra = {}
    if mode == "locked":
        preload.append(lib("pthread-wrapper"))
        extra = {"GLIBC_TUNABLES": "glibc.pthread.rseq=0", "RSEQTRACE_LOCKED": "1"}
    oracle_path = os.path.join(w, "oracle")
    patterns = ["rseqtrace_libc:*", "lttng_ust_statedump:*"]
    if mode == "locked":
        patterns.append("rseqtrace_pthread:*")
    r = run_traced(via, [prog, oracle_path] + args, preload, home, trace_dir, patterns, extra)
    same_output(r, ref)

    babeltrace_cli(trace_dir)
    t = Trace(trace_dir)
    check(t.discarded == 0, "%d events discarded (buffers are large enough for none)" % t.discarded)
    res = resolve(trace_dir)
    check(len(res) == len(t.events), "resolver saw %d events, bt2 %d" % (len(res), len(t.events)))

    orc = parse_oracle(oracle_path)
    procs = [o for o in orc if o["kind"] == "process"]
    check(len(procs) == 2, "oracle names %d processes" % len(procs))
    parent, child = procs[0]["pid"], procs[1]["pid"]
    vpid_of = {procs[0]["tid"]: parent, procs[1]["tid"]: child}
    workers = [o["tid"] for o in orc if o["kind"] == "thread"]
    early = [o for o in orc if o["kind"] == "early"][0]
    check(len(workers) == THREADS, "oracle names %d workers" % len(workers))
    for tid in workers + [early["tid"]]:
        vpid_of[tid] = parent
    child_tid = [o["tid"] for o in orc if o["kind"] == "child"][0]
    vpid_of[child_tid] = child

    # Contexts are right: every event of the program comes from a thread it
    # created, in the right process (none from the tracer's own threads).
    check(early["tid"] > 0, "the constructor thread did not run")
    sanitizer_threads = {}
    for e in t.events:
        if not e.name.startswith("rseqtrace_"):
            continue
        if e.vtid not in vpid_of and os.environ.get("PROBES_SANITIZED"):
            # Under ASan, its thread-start hook allocates (pthread_getattr_np)
            # in librseqtrace's drain thread too; see the allowance below.
            sanitizer_threads.setdefault(e.vtid, []).append(e)
            continue
        check(e.vtid in vpid_of, "event from an unknown thread %d: %r" % (e.vtid, e))
        check(e.vpid == vpid_of[e.vtid], "event of thread %d in process %d, expected %d"
              % (e.vtid, e.vpid, vpid_of[e.vtid]))
    for tid, evs in sanitizer_threads.items():
        check(len(evs) <= 16, "thread %d is not the program's and has %d events" % (tid, len(evs)))
    early_events = [e for e in t.events if e.vtid == early["tid"] and e.name == "rseqtrace_libc:malloc"]
    check(early_events, "no malloc event from the thread started before main")

    # Every oracle line matches an event of its thread, in order, exactly.
    per_thread = {}
    for ev in res:
        if ev["name"].startswith("rseqtrace_libc:"):
            per_thread.setdefault(ev["context"]["vtid"], []).append(ev)
    expected_func = {procs[0]["tid"]: "main_allocs", child_tid: "child_allocs"}
    for tid in workers:
        expected_func[tid] = "worker_allocs"
    cursor = {}
    matched = 0
    for o in orc:
        if o["kind"] not in ALLOC_KINDS:
            continue
        tid = o["tid"]
        want = {k: v for k, v in o.items() if k not in ("kind", "tid")}
        evs = per_thread.get(tid, [])
        i = cursor.get(tid, 0)
        while i < len(evs) and not (evs[i]["name"] == "rseqtrace_libc:" + o["kind"] and
                                    all(evs[i]["payload"].get(k) == v for k, v in want.items())):
            i += 1
        if i == len(evs):
            fail("thread %d: no event for %r (after event #%d of %d)" % (tid, o, cursor.get(tid, 0), len(evs)))
        ev = evs[i]
        check(set(ev["payload"]) >= set(want) | {"ip"}, "fields of %r" % ev)
        check(ev["vpid"] == vpid_of[tid], "process of %r" % ev)
        f = func_of(ev, "ip")
        check(f == expected_func[tid], "ip of %s in thread %d resolves to %r, expected %s (%r)"
              % (o["kind"], tid, f, expected_func[tid], ev["resolved"]))
        cursor[tid] = i + 1
        matched += 1
    check(matched == 7 + 5 + THREADS * ROUNDS * 2 + 4, "matched %d oracle lines" % matched)

    check_statedump(t, parent, prog)
    check_statedump(t, child, prog)
    replay_heap(t, early_tids={early["tid"]})
    if mode == "locked":
        check_no_tracer_locks(res, prog)
    print("PASS: %d events, %d oracle allocations matched, %s mode, %s"
          % (len(t.events), matched, mode, via))


if __name__ == "__main__":
    main()
