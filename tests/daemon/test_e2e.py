#!/usr/bin/python3
"""End to end with the real daemon, CLI and librseqtrace: several processes
tracing at once (one started before `start`, one after, one that forks),
per-UID and per-PID buffers, a process in locked mode; decoded with bt2:
every event present exactly once with the right vpid/vtid, per-stream
timestamps never go back, recorded + discarded == emitted. Also record
from main's first line, exit statuses, dlopen'ed providers and a layout
conflict."""
import os
import signal
import subprocess
from collections import defaultdict

from rtd import (tmpdir, CLI, TAPP, TAPP_CONFLICT, TPROV, App, Daemon, bt_clean, check,
                 check_timestamps, need, read_trace, registered, run_tests, wait_until)

N = 4000


def decode(out):
    events, discarded = read_trace(out)
    check_timestamps(events)
    return events, sum(discarded.values())


def check_oracle(events, discarded, procs, extra_first):
    """procs: role -> (expected vpid or None, events per thread, threads).
    Every (role, thread, seq) once; vpid right; recorded + discarded ==
    emitted."""
    seqs = defaultdict(list)
    per_thread = defaultdict(list)
    vpids = defaultdict(set)
    for e in events:
        if e["name"] == "rtd:seq":
            r = int(e["fields"]["role"])
            seqs[r].append(int(e["fields"]["seq"]))
            per_thread[(r, int(e["vtid"]))].append(int(e["fields"]["seq"]))
            vpids[r].add(int(e["vpid"]))
            check(int(e["vtid"]) > 0, "vtid missing")
    firsts = [e for e in events if e["name"] == "rtd:first"]
    for e in firsts:
        check(int(e["fields"]["pid"]) == int(e["vpid"]), "rtd:first vpid differs from getpid()")
    recorded = sum(len(v) for v in seqs.values()) + len(firsts)
    emitted = sum(n * t for _, n, t in procs.values()) + extra_first
    check(recorded + discarded == emitted,
          f"recorded {recorded} + discarded {discarded} != emitted {emitted}")
    check(set(seqs) <= set(procs), f"unexpected roles {set(seqs) - set(procs)}")
    for (role, tid), got in per_thread.items():
        n = procs[role][1]
        check(len(got) == len(set(got)), f"role {role} thread {tid}: duplicated events")
        check(set(got) <= set(range(n)), f"role {role}: sequence numbers out of range")
        check(got == sorted(got), f"role {role} thread {tid}: events out of order")
    for role, (vpid, n, threads) in procs.items():
        got = seqs.get(role, [])
        if discarded == 0:
            check(len(got) == n * threads, f"role {role}: {len(got)} of {n * threads} events")
            check(len([k for k in per_thread if k[0] == role]) == threads,
                  f"role {role}: events from {threads} threads expected")
        if vpid is not None and got:
            check(vpids[role] == {vpid}, f"role {role}: vpid {vpids[role]} != {vpid}")


def three_processes(buffers, locked_env=None):
    d = Daemon()
    apps = []
    try:
        out = os.path.join(d.tmp, "out")
        d.ok("create", "e2e", "-o", out, f"--buffers-{buffers}", "--subbuf-size", "256k",
             "--num-subbuf", "16")
        d.ok("enable-event", "rtd:*")
        go = os.path.join(d.tmp, "go")
        before = App(d, "--role", "1", "--events", str(N), "--wait", go)
        apps.append(before)
        wait_until(lambda: registered(d, before.pid), "the first app to register")
        d.ok("start")
        after = App(d, "--role", "2", "--events", str(N), "--threads", "2")
        forker = App(d, "--role", "3", "--events", str(N), "--fork", "--wait", go)
        apps += [after, forker]
        locked = None
        if locked_env:
            locked = App(d, "--role", "4", "--events", str(N), "--wait", go, env=locked_env)
            apps.append(locked)
            wait_until(lambda: registered(d, locked.pid), "the locked app to register")
        wait_until(lambda: registered(d, forker.pid), "the forking app to register")
        open(go, "w").close()
        for a in apps:
            check(a.wait() == 0, f"app exited {a.proc.returncode}: {a.err}")
        kv = d.kv("e2e")
        d.ok("stop")
        kv_stopped = d.kv("e2e")
        events, discarded = decode(out)
        procs = {1: (before.pid, N, 1), 2: (after.pid, N, 2), 3: (forker.pid, N, 1),
                 103: (None, N, 1)}
        if locked:
            procs[4] = (locked.pid, N, 1)
        # rtd:first: after, forker and locked ran main() while started. before
        # registered first, but its main() may still run after `start` on a
        # loaded machine: its rtd:first is then recorded too.
        before_first = any(e["name"] == "rtd:first" and int(e["vpid"]) == before.pid
                           for e in events)
        check_oracle(events, discarded, procs,
                     extra_first=2 + (1 if locked else 0) + (1 if before_first else 0))
        check(int(kv_stopped["discarded"]) == discarded,
              f"list says {kv_stopped['discarded']} discarded, the trace {discarded}")
        check(int(kv_stopped["events"]) == len(events), "list's event count differs from the trace")
        child_vpids = {int(e["vpid"]) for e in events if e["name"] == "rtd:seq"
                       and int(e["fields"]["role"]) == 103}
        check(child_vpids and forker.pid not in child_vpids, "the forked child has its parent's vpid")
        thread_tids = {int(e["vtid"]) for e in events if e["name"] == "rtd:seq"
                       and int(e["fields"]["role"]) == 2}
        check(len(thread_tids) == 2, f"two threads expected, vtids {thread_tids}")
        bt_clean(out)
        return d, kv, kv_stopped, out
    except Exception:
        print(d.log_text()[-4000:])
        for a in apps:
            if a.proc.poll() is None:
                a.proc.kill()
                a.wait()
        d.cleanup()
        raise


def test_per_uid():
    d, kv, _, out = three_processes("uid")
    try:
        traces = [l for l in d.ok("list", "--kv", "e2e").stdout.splitlines() if l.startswith("trace=")]
        check(len(traces) == 1 and "mode=rseq" in traces[0], f"per-UID traces: {traces}")
        check(os.path.isdir(os.path.join(out, "ust", "uid", str(os.getuid()), "64-bit")), "layout")
        d.ok("destroy")
    finally:
        d.cleanup()


def test_per_pid():
    d, _, _, out = three_processes("pid")
    try:
        traces = [l for l in d.ok("list", "--kv", "e2e").stdout.splitlines() if l.startswith("trace=")]
        check(len(traces) == 4, f"per-PID: one trace per process, got {traces}")
        # rseq processes index their own buffers by mm_cid where the kernel
        # fills it (6.3+; test_cid.py has the fallback).
        from ringbuf_facts import cid_expected
        want = "index=mm_cid" if cid_expected() else "index=cpu"
        check(all(want in t for t in traces), f"per-PID traces not {want}: {traces}")
        check(len(os.listdir(os.path.join(out, "ust", "pid"))) == 4, "ust/pid/ layout")
        d.ok("destroy")
    finally:
        d.cleanup()


def test_locked_process():
    for env in ({"RSEQTRACE_LOCKED": "1"}, {"GLIBC_TUNABLES": "glibc.pthread.rseq=0"}):
        d, _, _, out = three_processes("uid", locked_env=env)
        try:
            traces = [l for l in d.ok("list", "--kv", "e2e").stdout.splitlines()
                      if l.startswith("trace=")]
            modes = sorted(l.split("mode=")[1].split()[0] for l in traces)
            check(modes == ["locked", "rseq"], f"{env}: traces {traces}")
            check("locked-mode" in d.ok("list", "e2e").stdout, "list does not show locked mode")
            d.ok("destroy")
        finally:
            d.cleanup()


def test_record():
    need(CLI)
    tmp = tmpdir()
    env = dict(os.environ, HOME=tmp)
    env.pop("RSEQTRACE_HOME", None)
    out = os.path.join(tmp, "rec")
    p = subprocess.run([CLI, "record", "-o", out, "--", TAPP, "--events", "50", "--exit", "5"],
                       env=env, capture_output=True, text=True, timeout=60)
    check(p.returncode == 5, f"record exit {p.returncode}: {p.stderr}")
    for s in ("exited with status 5", "51 events recorded, 0 discarded", f"trace in {out}",
              f"babeltrace2 {out}"):
        check(s in p.stderr, f"summary lacks {s!r}:\n{p.stderr}")
    events, discarded = decode(out)
    check(events and events[0]["name"] == "rtd:first", "main()'s first event is not the first")
    check(len(events) == 51 and discarded == 0, f"{len(events)} events, {discarded} discarded")
    p = subprocess.run([CLI, "record", "-o", out + "2", "--", TAPP, "--events", "10", "--signal",
                        str(int(signal.SIGABRT))], env=env, capture_output=True, text=True, timeout=60)
    check(p.returncode == 128 + signal.SIGABRT, f"record exit {p.returncode}")
    check(len(read_trace(out + "2")[0]) == 11, "events of a process killed by a signal")
    # Default output directory and -e / --loglevel filtering.
    p = subprocess.run([CLI, "record", "-e", "rtd:first", "--", TAPP, "--events", "10"],
                       env=env, capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, p.stderr)
    top = os.path.join(tmp, "rseqtrace-traces")
    dirs = os.listdir(top)
    check(len(dirs) == 1 and dirs[0].startswith("rt_tapp-"), f"default output {dirs}")
    names = {e["name"] for e in read_trace(os.path.join(top, dirs[0]))[0]}
    check(names == {"rtd:first"}, f"-e rtd:first recorded {names}")
    out3 = os.path.join(tmp, "lvl")
    p = subprocess.run([CLI, "record", "-o", out3, "--loglevel", "INFO", "--", TAPP, "--events", "10",
                        "--big"], env=env, capture_output=True, text=True, timeout=60)
    names = {e["name"] for e in read_trace(out3)[0]}
    check(names == {"rtd:first"}, f"--loglevel INFO kept DEBUG events: {names}")


def test_dlopen_and_conflict():
    d = Daemon()
    try:
        need(TPROV)
        out = os.path.join(d.tmp, "out")
        d.ok("create", "dl", "-o", out)
        d.ok("enable-event", "*")
        d.ok("start")
        a = App(d, "--role", "7", "--events", "300", "--dlopen", TPROV)
        check(a.wait() == 0, a.err)
        c = App(d, "500", exe=TAPP_CONFLICT)
        check(c.wait() == 0, c.err)
        d.ok("stop")
        lst = d.ok("list", "dl").stdout
        check("field layout differs" in lst, "no layout warning in list:\n" + lst)
        check("another field layout" in d.log_text(), "no layout warning in the daemon log")
        events, discarded = decode(out)
        late = sorted(int(e["fields"]["seq"]) for e in events if e["name"] == "rtdlib:late")
        check(late == list(range(300)), f"dlopen'ed provider: {len(late)} of 300 events")
        seqs = [e for e in events if e["name"] == "rtd:seq"]
        check(len(seqs) == 300 and all("role" in e["fields"] for e in seqs),
              "the conflicting layout got into the trace")
        check(discarded == 0, f"{discarded} discarded")
        bt_clean(out)
    finally:
        d.cleanup()


if __name__ == "__main__":
    run_tests([test_per_uid, test_per_pid, test_locked_process, test_record,
               test_dlopen_and_conflict])
