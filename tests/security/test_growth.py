#!/usr/bin/python3
"""Issue 11 #6: one client cannot make the daemon grow or stall without
bound. An application describing 65,536 events is capped (the rest refused,
the application told, the daemon logging once) and does not delay another
application's registration; metadata stays under its cap; per-PID traces of
exited processes keep a compact record only."""
import errno
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "daemon"))
from rtd import SANITIZED, App, Daemon, check, read_trace, run_tests, tmpdir, wait_until  # noqa: E402
from rawapp import RawApp, desc  # noqa: E402

CAP = 16384  # the daemon's default --max-app-events


def test_many_events_capped_and_fast():
    d = Daemon()
    a = None
    try:
        out = os.path.join(tmpdir(), "t")
        d.ok("create", "big", "-o", out)
        d.ok("enable-event", "*")
        d.ok("start")
        a = RawApp(d, "hog")
        a.send_events([desc(f"hog:e{i}") for i in range(65536)])
        a.ready_req()
        t0 = time.time()
        # Another application registers while the daemon works on the first.
        b = App(d, "--events", "10", env={"RSEQTRACE_REGISTER_TIMEOUT_MS": "30000"})
        check(b.wait(60) == 0, f"second app failed: {b.err}")
        took = time.time() - t0
        check(took < 3.0, f"a second application took {took:.1f} s to register and run")
        st = a.wait_ready(timeout=60)
        check(st is not None, "the first application got no APP_READY")
        check(st == (-errno.E2BIG, CAP),
              f"the application was not told that events past {CAP} are refused: {st}")
        wait_until(lambda: len(a.enabled) == CAP, f"{CAP} events enabled", 30)
        check(max(i for _, i in a.enabled) == CAP - 1, "an event past the cap was enabled")
        lst = d.ok("list").stdout
        check(f"{CAP} events described, {65536 - CAP} refused" in lst,
              "list does not show the refused events:\n" + lst[-2000:])
        log = d.log_text()
        check(log.count("refused") == 1, "the daemon did not log the refusal exactly once:\n" +
              log[-3000:])
        d.ok("stop")
        check(d.alive(), "daemon died")
    finally:
        if a:
            a.close()
        d.cleanup()


def test_slow_listener_gets_every_enable():
    # 16,384 enables are more than a socket buffer holds: the daemon queues
    # what the socket does not take while the app's listener does not read
    # (here 1.5 s, less than --peer-timeout-ms) instead of dropping the app.
    d = Daemon()
    a = None
    try:
        d.ok("create", "slow", "-o", os.path.join(tmpdir(), "t"))
        d.ok("enable-event", "*")
        d.ok("start")
        a = RawApp(d, "slow", hold=True)
        a.send_events([desc(f"slow:e{i}") for i in range(CAP)])
        a.ready_req()
        time.sleep(1.5)
        a.resume()
        st = a.wait_ready(timeout=30)
        check(st is not None and st[0] == 0, f"APP_READY status {st}, not 0")
        wait_until(lambda: len(a.enabled) == CAP or a.closed, f"{CAP} events enabled", 30)
        check(not a.closed, "the daemon dropped an app that read slowly:\n" + d.log_text()[-2000:])
        check(len(a.enabled) == CAP, f"{len(a.enabled)} events enabled, not {CAP}")
        check("dropping the application" not in d.log_text(), "the daemon logged a drop")
        d.ok("stop")
    finally:
        if a:
            a.close()
        d.cleanup()


def test_events_after_ready_one_by_one():
    """Like a dlopen of a library with many tracepoints: once registered,
    librseqtrace sends each new event in its own record."""
    d = Daemon()
    a = None
    try:
        out = os.path.join(tmpdir(), "t")
        d.ok("create", "late", "-o", out)
        d.ok("enable-event", "*")
        d.ok("start")
        a = RawApp(d, "late")
        a.send_events([desc("late:e0")])
        a.ready_req()
        check(a.wait_ready(timeout=30) == (0, 0), "registration failed")
        n = CAP
        a.send_events([desc(f"late:e{i}") for i in range(1, n)], per_record=1)
        a.ready_req()
        t0 = time.time()
        b = App(d, "--events", "10", env={"RSEQTRACE_REGISTER_TIMEOUT_MS": "30000"})
        check(b.wait(60) == 0, f"second app failed: {b.err}")
        took = time.time() - t0
        check(took < 3.0, f"a second application took {took:.1f} s to register and run")
        check(a.wait_ready(2, timeout=60) == (0, 0), "no second APP_READY")
        wait_until(lambda: len(a.enabled) == n, f"{n} events enabled", 30)
    finally:
        if a:
            a.close()
        d.cleanup()


def test_library_told():
    """librseqtrace past the cap: it says so once and traces the events kept."""
    d = Daemon(args=("--max-app-events", "1"))
    try:
        out = os.path.join(tmpdir(), "t")
        d.ok("create", "lib", "-o", out)
        d.ok("enable-event", "rtd:*")
        d.ok("start")
        a = App(d, "--events", "10")
        check(a.wait(60) == 0, f"app failed: {a.err}")
        check(a.err.count("event descriptions per process") == 1,
              "the application did not say once that events are refused: " + a.err)
        d.ok("stop")
        blocks = sum(open(f).read().count("event {") for f in metadata_files(out))
        check(blocks == 1, f"{blocks} event classes declared, wanted the one kept")
        evs, _ = read_trace(out)
        check(len({e["name"] for e in evs}) <= 1, "events past the cap were recorded")
    finally:
        d.cleanup()


def metadata_files(root):
    for dirpath, _, files in os.walk(root):
        for f in files:
            if f == "metadata":
                yield os.path.join(dirpath, f)


def test_metadata_cap():
    cap = 1 << 20
    d = Daemon(args=("--max-metadata", "1M"))
    a = None
    try:
        out = os.path.join(tmpdir(), "t")
        d.ok("create", "meta", "-o", out)
        d.ok("enable-event", "*")
        d.ok("start")
        # An honest application first: its events are declared.
        b = App(d, "--events", "50")
        check(b.wait(60) == 0, f"app failed: {b.err}")
        # Then one whose 2,000 descriptions of 60 fields need ~8 MiB of metadata.
        a = RawApp(d, "fat")
        a.send_events([desc(f"fat:e{i}", 60) for i in range(2000)])
        a.ready_req()
        check(a.wait_ready(timeout=60) == (0, 0), "the application was refused altogether")
        c = App(d, "--events", "50", "--role", "2")
        check(c.wait(60) == 0, f"app after the cap failed: {c.err}")
        d.ok("stop")
        files = list(metadata_files(out))
        check(files, "no metadata written")
        for f in files:
            size = os.path.getsize(f)
            check(size <= cap, f"{f} is {size} bytes, over the {cap}-byte cap")
        lst = d.ok("list", "meta").stdout
        check("metadata" in lst and "1 MiB" in lst, "list does not explain the refused events:\n" + lst)
        log = d.log_text()
        check(log.count("metadata cap") == 1, "the cap was not logged exactly once:\n" + log[-3000:])
        # The honest applications' events are in a readable trace.
        evs, _ = read_trace(out)
        names = {e["name"] for e in evs}
        check(any(n.startswith("rtd:") for n in names), f"no honest event recorded: {names}")
        check(d.alive(), "daemon died")
    finally:
        if a:
            a.close()
        d.cleanup()


def vm_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def churn(d, n, parallel=4):
    running = []
    for i in range(n):
        running.append(App(d, "--events", "20", "--role", str(i % 1000)))
        if len(running) >= parallel:
            check(running.pop(0).wait(60) == 0, "app failed")
    for p in running:
        check(p.wait(60) == 0, "app failed")


def test_per_pid_churn():
    # Under AddressSanitizer (the sanitizer build), freed memory is held in
    # quarantine: without it, RSS measures what the daemon keeps there too.
    asan = os.environ.get("ASAN_OPTIONS", "")
    d = Daemon(env={"ASAN_OPTIONS": (asan + ":" if asan else "") + "quarantine_size_mb=0"})
    try:
        out = os.path.join(tmpdir(), "t")
        d.ok("create", "churn", "-o", out, "--buffers-pid", "--subbuf-size", "4k",
             "--num-subbuf", "4")
        d.ok("enable-event", "rtd:*")
        d.ok("start")
        churn(d, 60)  # warm up: allocator arenas, the daemon's own tables
        base = vm_rss_kb(d.proc.pid)
        n = 400
        churn(d, n)
        time.sleep(0.5)
        grown = (vm_rss_kb(d.proc.pid) - base) * 1024
        per = grown / n
        print(f"daemon RSS grew {grown} bytes over {n} exited processes: {per:.0f} B each")
        if SANITIZED:
            # ASan's allocator keeps a chunk freed by one thread in that
            # thread's cache: the drain threads free what the control thread
            # allocated, so RSS here measures those caches filling (5-13 KB
            # a process, falling as they fill), not the daemon. The bound is
            # the normal build's; LeakSanitizer checks this one at exit.
            print("sanitizer build: RSS bound checked in the normal build only")
        else:
            check(per < 1024, f"daemon keeps {per:.0f} bytes per exited process (limit 1024)")
        kv = d.ok("list", "--kv", "churn").stdout
        traces = [l for l in kv.splitlines() if l.startswith("trace=")]
        check(len(traces) == n + 60, f"{len(traces)} traces listed, not {n + 60}")
        check(int(d.kv("churn")["events"]) == (n + 60) * 21,
              "the counts of exited processes were lost")
        d.ok("stop")
    finally:
        d.cleanup()


if __name__ == "__main__":
    run_tests([test_many_events_capped_and_fast, test_slow_listener_gets_every_enable,
               test_events_after_ready_one_by_one,
               test_library_told, test_metadata_cap, test_per_pid_churn])
