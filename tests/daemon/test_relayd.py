#!/usr/bin/python3
"""Streaming to an unmodified lttng-relayd (issue 14), with the real relayd
started on free loopback ports: create's error when none answers; a
session streamed to it, the relayd's trace read afterwards by babeltrace2
(an oracle with exact accounting, the relayd's index files checked);
a live session read by `babeltrace2 -i lttng-live` while the application
runs; the relayd killed mid-session and restarted (the daemon survives,
list says the output is down, the next start streams again)."""
import os
import subprocess
import time
from collections import defaultdict

from index_check import check_trace_index, trace_dirs
from relayd_util import Relayd, free_ports, relayd_events
from rtd import TPROV, App, Daemon, bt_clean, check, read_trace, run_tests, wait_until

HOST = "rthost"


def seqs_by_role(events):
    out = defaultdict(list)
    for e in events:
        if e["name"] == "rtd:seq":
            out[int(e["fields"]["role"])].append(int(e["fields"]["seq"]))
    return out


def test_no_relayd():
    d = Daemon()
    try:
        c, _data = free_ports(2)
        p = d.cli("create", "s", "-U", f"net://127.0.0.1:{c}:{_data}")
        check(p.returncode != 0, "create succeeded with no relayd")
        check("no lttng-relayd answers" in p.stderr, f"unclear error: {p.stderr}")
        check("s" not in d.ok("list").stdout.split(), "the session was created anyway")
        for bad in ("net://", "tcp://h", "net://h:0", "net://h:1:2:3", "file:///x"):
            p = d.cli("create", "s", "-U", bad)
            check(p.returncode == 2 and "bad URL" in p.stderr, f"{bad}: {p.returncode} {p.stderr}")
        p = d.cli("create", "s", "-U", "net://127.0.0.1", "-o", "/tmp/x")
        check(p.returncode != 0 and "exclude" in p.stderr, f"-o with -U: {p.stderr}")
    finally:
        d.cleanup()


def test_stream_then_read():
    stream_then_read("uid")


def test_stream_then_read_per_pid():
    stream_then_read("pid")


def test_stream_then_read_2_11():
    """The fallback path: protocol 2.13 announced, the 2.11 layouts, a trace chunk."""
    stream_then_read("uid", env={"RSEQTRACE_RELAYD_PROTOCOL": "2.11"})


def stream_then_read(buffers, env=None):
    r = Relayd()
    d = Daemon(env=env)
    try:
        d.ok("create", "net", "-U", r.url(), "--hostname", HOST, "--subbuf-size", "16k",
             "--num-subbuf", "64", f"--buffers-{buffers}")
        d.ok("enable-event", "rtd:*")
        d.ok("start")
        n, threads = 20000, 2
        apps = [App(d, "--role", str(role), "--events", str(n), "--threads", str(threads))
                for role in (1, 2)]
        for a in apps:
            check(a.wait() == 0, f"app exited {a.proc.returncode}: {a.err}")
        d.ok("stop")
        kv = d.kv("net")
        check(kv.get("relayd") == "up", f"relayd link: {kv.get('relayd')} {kv.get('relayd_error')}")
        d.ok("destroy")
        emitted = 2 * n * threads + 2  # and each app's rtd:first
        events, discarded = relayd_events(r, emitted)
        seqs = seqs_by_role(events)
        recorded = sum(len(v) for v in seqs.values()) + sum(
            e["name"] == "rtd:first" for e in events)
        lost = sum(discarded.values())
        check(recorded + lost == emitted, f"recorded {recorded} + discarded {lost} != {emitted}")
        check(int(kv["discarded"]) == lost, f"list says {kv['discarded']} discarded, trace {lost}")
        per_thread = defaultdict(list)
        for e in events:
            if e["name"] == "rtd:seq":
                per_thread[(int(e["fields"]["role"]), int(e["vtid"]))].append(
                    int(e["fields"]["seq"]))
        for key, got in per_thread.items():
            check(len(got) == len(set(got)), f"{key}: duplicated events")
            check(got == sorted(got), f"{key}: events out of order")
        if lost == 0:
            for role in (1, 2):
                check(sorted(seqs[role]) == sorted(list(range(n)) * threads),
                      f"role {role}: events missing")
        dirs = [t for t in trace_dirs(r.out)]
        check(len(dirs) == (1 if buffers == "uid" else 2) and
              all(f"/{HOST}/net-" in t and f"/ust/{buffers}/" in t for t in dirs),
              f"relayd trace dirs {dirs}")
        check(sum(check_trace_index(t) for t in dirs) > 4, "too few packets indexed by the relayd")
        bt_clean(r.out)
        want = "protocol 2.13" if env else "protocol 2.10"
        check(want in d.log_text(), f"the daemon did not log {want}")
    except Exception:
        print(d.log_text()[-3000:], r.log_text())
        raise
    finally:
        d.cleanup()
        r.stop()


def test_two_channels():
    """Two channels, one trace directory on the relayd: one metadata stream,
    each channel's streams; every event recorded in both."""
    r = Relayd()
    d = Daemon()
    try:
        d.ok("create", "ch", "-U", r.url(), "--hostname", HOST)
        d.ok("enable-channel", "-u", "hot", "--subbuf-size", "64k")
        d.ok("enable-event", "-c", "hot", "rtd:*")
        d.ok("enable-event", "-c", "channel0", "rtd:*")
        d.ok("start")
        n = 3000
        app = App(d, "--role", "1", "--events", str(n))
        check(app.wait() == 0, "app")
        d.ok("stop")
        d.ok("destroy")
        events, discarded = relayd_events(r, 2 * (n + 1))
        check(not sum(discarded.values()), f"discarded {discarded}")
        seqs = sorted(int(e["fields"]["seq"]) for e in events if e["name"] == "rtd:seq")
        check(seqs == sorted(list(range(n)) * 2), f"{len(seqs)} of {2 * n} events (both channels)")
        dirs = list(trace_dirs(r.out))
        check(len(dirs) == 1, f"relayd trace dirs {dirs}")
        files = set(os.listdir(dirs[0]))
        check(any(f.startswith("hot_") for f in files) and any(f.startswith("channel0_") for f in files),
              f"stream files {sorted(files)}")
        check(check_trace_index(dirs[0]) > 0, "no index")
        bt_clean(r.out)
    except Exception:
        print(d.log_text()[-3000:], r.log_text())
        raise
    finally:
        d.cleanup()
        r.stop()


def bt_live(url):
    return subprocess.Popen(["babeltrace2", "-i", "lttng-live", url], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, errors="replace")


def read_lines_until(proc, enough, timeout):
    """Lines proc printed, read from its pipe as they come (raw reads: a
    buffered reader would keep lines that select does not see), until
    enough(lines), its end, or timeout seconds."""
    import select
    fd = proc.stdout.fileno()
    buf, lines = b"", []
    deadline = time.time() + timeout
    while time.time() < deadline and not enough(lines):
        rl, _, _ = select.select([fd], [], [], 0.5)
        if not rl:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buf += chunk
        *done, buf = buf.split(b"\n")
        lines += [l.decode(errors="replace") for l in done]
    return lines


def live_burst(buffers):
    """A live session's first packets come before an application that
    writes its events in one burst right after registering: every event
    arrives (the empty first packet was stamped with the clock, later than
    the records still in the buffer, and the whole burst was cut as
    corrupt)."""
    r = Relayd()
    d = Daemon()
    try:
        d.ok("create", "lb", "-U", r.url(), "--hostname", HOST, "--live=500000",
             f"--buffers-{buffers}")
        d.ok("enable-event", "rtd:*")
        d.ok("start")
        n = 300
        for role in (1, 2):
            app = App(d, "--role", str(role), "--events", str(n))
            check(app.wait() == 0, f"app exited {app.proc.returncode}: {app.err}")
        d.ok("stop")
        kv = d.kv("lb")
        check(int(kv["discarded"]) == 0 and int(kv["corrupt_events"]) == 0,
              f"discarded {kv['discarded']}, corrupt {kv['corrupt_events']}")
        events, discarded = relayd_events(r, 2 * (n + 1))
        got = seqs_by_role(events)
        check(all(sorted(got.get(role, [])) == list(range(n)) for role in (1, 2)) and
              sum(discarded.values()) == 0,
              f"at the relayd: {[len(got.get(x, [])) for x in (1, 2)]} of {n} per app, "
              f"{sum(discarded.values())} discarded")
    finally:
        d.cleanup()
        r.stop()


def test_live_burst_uid():
    live_burst("uid")


def test_live_burst_pid():
    live_burst("pid")


def test_live():
    r = Relayd()
    d = Daemon()
    viewer = None
    try:
        d.ok("create", "lv", "-U", r.url(), "--hostname", HOST, "--live=100000")
        d.ok("enable-event", "rtd:*", "rtdlib:*")
        d.ok("start")
        wait_until(lambda: d.kv("lv").get("relayd") == "up", "the relayd link", timeout=10)
        viewer = bt_live(r.live_url(HOST, "lv"))
        time.sleep(2)  # attached (it shows what comes after it attached)
        if viewer.poll() is not None:
            check(False, f"viewer exited: {viewer.stderr.read()}")
        n = 400
        app = App(d, "--role", "5", "--events", str(n), "--sleep-us", "5000")
        check(app.wait() == 0, f"app exited {app.proc.returncode}: {app.err}")
        # Seen while the session is still running: the viewer gets them
        # within a few live timer periods.
        out = read_lines_until(viewer, lambda lines: sum("role = 5" in l for l in lines) >= n, 20)
        kv = d.kv("lv")
        seqs = [int(l.split("seq = ")[1].split()[0].rstrip("}").rstrip(","))
                for l in out if "rtd:seq" in l and "role = 5" in l]
        lost = int(kv["discarded"])
        check(lost == 0, f"{lost} discarded in a slow live run")
        check(seqs == list(range(n)), f"live viewer saw {len(seqs)} of {n} events "
              f"(first {seqs[:3]}, last {seqs[-3:]})")
        # The metadata grows while the viewer reads: a provider loaded now.
        m = 50
        app = App(d, "--role", "6", "--events", str(m), "--sleep-us", "2000", "--dlopen", TPROV)
        check(app.wait() == 0, f"app exited {app.proc.returncode}: {app.err}")
        more = read_lines_until(viewer, lambda ls: sum("rtdlib:late" in l for l in ls) >= m and
                                sum("role = 6" in l for l in ls) >= m, 20)
        late = sum("rtdlib:late" in l for l in more)
        check(late == m and sum("role = 6" in l for l in more) == m,
              f"after the metadata grew the viewer saw {late} of {m} new events")
        check(int(d.kv("lv")["discarded"]) == 0, "discarded events")
        d.ok("stop")
        d.ok("destroy")
    except Exception:
        print(d.log_text()[-3000:], r.log_text())
        if viewer:
            viewer.kill()
            print("viewer stderr:", viewer.stderr.read()[-3000:])
        raise
    finally:
        if viewer and viewer.poll() is None:
            viewer.kill()
            viewer.wait()
        d.cleanup()
        r.stop()


def test_relayd_killed():
    r = Relayd()
    d = Daemon()
    try:
        d.ok("create", "k", "-U", r.url(), "--hostname", HOST, "--subbuf-size", "4k",
             "--num-subbuf", "8")
        d.ok("enable-event", "rtd:*")
        d.ok("start")
        a = App(d, "--role", "1", "--events", "2000", "--sleep-us", "200")
        check(a.wait() == 0, "app 1")
        wait_until(lambda: d.kv("k").get("relayd") == "up", "the relayd link", timeout=10)
        r.kill()
        # Packets keep closing: the next send finds the relayd gone.
        a = App(d, "--role", "2", "--events", "5000")
        check(a.wait() == 0, "app 2")
        wait_until(lambda: d.kv("k").get("relayd") == "down", "list to say the relayd is down",
                   timeout=15)
        check(d.alive(), "the daemon died with the relayd")
        listed = d.ok("list", "k").stdout
        check("Relayd:   down" in listed, f"list: {listed}")
        d.ok("stop")
        r2 = Relayd(ports=[r.ctrl, r.data, r.live])
        try:
            d.ok("start")
            a = App(d, "--role", "3", "--events", "3000", "--sleep-us", "100")
            check(a.wait() == 0, "app 3")
            d.ok("stop")
            check(d.kv("k").get("relayd") == "up", "not reconnected at start")
            d.ok("destroy")
            events, _ = relayd_events(r2, 3000)
            got = seqs_by_role(events)
            check(sorted(got.get(3, [])) == list(range(3000)),
                  f"after the restart: {len(got.get(3, []))} of 3000 events of the new run")
        finally:
            r2.stop()
    except Exception:
        print(d.log_text()[-3000:], r.log_text())
        raise
    finally:
        d.cleanup()
        if r.proc.poll() is None:
            r.stop()


import sys  # noqa: E402
_all = [test_no_relayd, test_stream_then_read, test_stream_then_read_per_pid,
        test_stream_then_read_2_11, test_two_channels, test_live_burst_uid,
        test_live_burst_pid, test_live,
        test_relayd_killed]
run_tests([t for t in _all if len(sys.argv) < 2 or t.__name__ in sys.argv[1:]])
