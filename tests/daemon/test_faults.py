#!/usr/bin/python3
"""Faults with the real daemon and instrumented processes: kill -9 of an
application mid-trace, kill -9 of the daemon, a full disk, and an
application that scribbles on the shared buffers."""
import os
import signal
import subprocess
import time

from rtd import (BUILD, CLI, SCRIBBLER, App, Daemon, Fail, bt_clean, check, check_timestamps, need,
                 read_trace, registered, run_tests, wait_until)


def progress(path):
    try:
        with open(path) as f:
            return int(f.read() or 0)
    except (OSError, ValueError):
        return 0


def test_kill_app():
    """kill -9 of a writer of per-UID buffers: no stall, every event it
    committed is in the trace, the other process is unaffected."""
    d = Daemon()
    try:
        out = os.path.join(d.tmp, "out")
        d.ok("create", "k", "-o", out, "--subbuf-size", "256k", "--num-subbuf", "16")
        d.ok("enable-event", "rtd:seq")
        d.ok("start")
        prog = os.path.join(d.tmp, "progress")
        victim = App(d, "--role", "1", "--forever", "--sleep-us", "20", "--progress", prog)
        wait_until(lambda: progress(prog) >= 3000, "the victim to emit 3000 events", 20)
        victim.proc.send_signal(signal.SIGKILL)
        victim.wait()
        at_kill = progress(prog)
        other = App(d, "--role", "2", "--events", "5000")
        check(other.wait() == 0, other.err)
        t0 = time.time()
        d.ok("stop")
        check(time.time() - t0 < 10, "stop stalled after an application was killed")
        events, discarded = read_trace(out)
        check_timestamps(events)
        check(sum(discarded.values()) == 0, f"{discarded} discarded: buffers too small for this test")
        by_role = {1: [], 2: []}
        for e in events:
            by_role[int(e["fields"]["role"])].append(int(e["fields"]["seq"]))
        check(sorted(by_role[2]) == list(range(5000)), "the other process lost events")
        v = by_role[1]
        check(len(v) == len(set(v)), "duplicated events of the killed process")
        # It emitted in order from one thread: whatever it committed is a
        # prefix 0..k-1 with no hole, and at least what it reported.
        check(v == list(range(len(v))), "a hole in the killed process's events")
        check(len(v) >= at_kill, f"{len(v)} events recorded, it had reported {at_kill}")
        bt_clean(out)
    finally:
        d.cleanup()


def test_kill_daemon():
    """kill -9 of the daemon: the app keeps running at full speed with
    tracing off, never blocks, and registers with the next daemon."""
    d = Daemon()
    d2 = None
    app = None
    try:
        out = os.path.join(d.tmp, "out")
        d.ok("create", "a", "-o", out)
        d.ok("enable-event", "rtd:*")
        d.ok("start")
        prog = os.path.join(d.tmp, "progress")
        app = App(d, "--role", "1", "--forever", "--sleep-us", "200", "--progress", prog)
        wait_until(lambda: registered(d, app.pid), "the app to register")
        wait_until(lambda: progress(prog) > 500, "the app to emit")
        b0 = progress(prog)
        time.sleep(1.0)
        before = progress(prog) - b0
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait()
        p0 = progress(prog)
        time.sleep(1.0)
        after = progress(prog) - p0
        check(app.proc.poll() is None, "the app died with the daemon")
        # Same pace as while traced (a third of it, for a loaded machine).
        check(after > 0 and after * 3 >= before,
              f"the app slowed down or blocked without a daemon: {after}/s, {before}/s before")
        # A new daemon on the same directory: the app registers again.
        d2 = Daemon(home=d.home)
        wait_until(lambda: registered(d2, app.pid), "the app to register with the new daemon", 15)
        out2 = os.path.join(d.tmp, "out2")
        d2.ok("create", "b", "-o", out2)
        d2.ok("enable-event", "rtd:seq")
        d2.ok("start")
        p2 = progress(prog)
        wait_until(lambda: progress(prog) > p2 + 1000, "the app to go on emitting")
        d2.ok("stop")
        events, _ = read_trace(out2)
        check(events and all(e["vpid"] == app.pid for e in events),
              "the re-registered app's events are not in the new trace")
        seqs = [int(e["fields"]["seq"]) for e in events]
        check(seqs == sorted(set(seqs)), "duplicated or unordered events after re-registration")
        bt_clean(out2)
    finally:
        if app and app.proc.poll() is None:
            app.proc.kill()
            app.wait()
        if d2:
            d2.cleanup()
        d.cleanup()


def test_disk_full():
    """A full disk: a clear error from stop, list and the log; what was
    written stays readable; the daemon keeps serving."""
    if os.geteuid() != 0:
        raise Fail("this test mounts a small tmpfs and needs root (CI runs as root)")
    d = Daemon()
    mnt = os.path.join(d.tmp, "small")
    os.mkdir(mnt)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=384k", "tmpfs", mnt],
                       capture_output=True, text=True)
    if p.returncode != 0:
        d.cleanup()
        raise Fail("cannot mount a tmpfs for the disk-full test: " + p.stderr)
    try:
        out = os.path.join(mnt, "trace")
        d.ok("create", "full", "-o", out, "--subbuf-size", "16k", "--num-subbuf", "8")
        d.ok("enable-event", "rtd:big")
        d.ok("start")
        a = App(d, "--role", "1", "--events", "20000", "--big", "--sleep-us", "20")
        check(a.wait() == 0, a.err)
        p = d.cli("stop")
        check(p.returncode == 1, f"stop on a full disk exited {p.returncode}")
        check("No space left on device" in p.stderr, "stop: no clear error: " + p.stderr)
        lst = d.ok("list", "full").stdout
        check("No space left on device" in lst, "list shows no error:\n" + lst)
        check("No space left on device" in d.log_text(), "no error in the daemon log")
        kv = d.kv("full")
        check(int(kv["unwritten_events"]) > 0, "no unwritten events counted")
        check(int(kv["events"]) > 0, "nothing was written before the disk filled")
        events, _ = read_trace(out)
        check(len(events) == int(kv["events"]), "the trace and list disagree")
        check_timestamps(events)
        bt_clean(out)
        # The daemon goes on serving.
        out2 = os.path.join(d.tmp, "elsewhere")
        d.ok("create", "ok", "-o", out2)
        d.ok("enable-event", "-s", "ok", "rtd:seq")
        d.ok("start", "ok")
        b = App(d, "--role", "2", "--events", "100")
        check(b.wait() == 0, b.err)
        d.ok("stop", "ok")
        check(len(read_trace(out2)[0]) == 100, "the next session lost events")
        check(d.alive(), "daemon died")
    finally:
        d.stop()
        subprocess.run(["umount", "-l", mnt])
        d.cleanup()


def test_scribbled_buffers():
    """An app scribbles on the shared buffers while another traces: the
    daemon bounds-checks, never crashes, reports, and keeps serving."""
    need(SCRIBBLER)
    for mode in ("random", "consumed", "offsets", "headers"):
        d = Daemon()
        try:
            out = os.path.join(d.tmp, "out")
            d.ok("create", "s", "-o", out, "--subbuf-size", "4k", "--num-subbuf", "4")
            d.ok("enable-event", "rtd:*")
            d.ok("start")
            s = subprocess.Popen([SCRIBBLER, mode, "2"], env=d.env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            good = App(d, "--role", "1", "--events", "50000", "--sleep-us", "10")
            good.wait(60)
            sout, serr = s.communicate(timeout=30)
            check(s.returncode == 0 and "mapped" in sout, f"scribbler: {s.returncode} {serr}")
            check(d.alive(), f"{mode}: the daemon died:\n" + d.log_text()[-3000:])
            d.cli("stop")  # may report the corruption
            check(d.alive(), f"{mode}: the daemon died at stop")
            d.ok("list", "s")
            # Whatever was written is readable.
            if os.path.exists(os.path.join(out, "ust")):
                bt_clean(out)
            p = d.cli("destroy", "s")  # non-zero when it reports the corruption
            check(p.returncode in (0, 1) and "destroyed" in p.stdout + p.stderr, p.stderr)
            d.ok("create", "after", "-o", out + "2")
            check(d.alive(), f"{mode}: daemon died")
        finally:
            d.cleanup()


def test_malformed_records_counted():
    """Records the ring buffer refused for a bad length (lost_invalid, not
    something the tracepoint macros do, but any code using the buffers can)
    are counted like every other cause: in `list`, its --kv counts, and the
    trace's discarded events."""
    need(SCRIBBLER)
    d = Daemon()
    try:
        out = os.path.join(d.tmp, "out")
        d.ok("create", "m", "-o", out)
        d.ok("enable-event", "rtd:*")
        d.ok("start")
        s = subprocess.Popen([SCRIBBLER, "invalid", "1"], env=d.env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        sout, serr = s.communicate(timeout=30)
        check(s.returncode == 0 and "mapped" in sout, f"scribbler: {s.returncode} {serr}")
        n = int(sout.split("invalid=")[1].split()[0])
        check(n > 0, sout)
        good = App(d, "--role", "1", "--events", "100")
        check(good.wait() == 0, good.err)
        d.ok("stop")
        kv = d.kv("m")
        check(int(kv["lost_invalid"]) == n, f"lost_invalid={kv['lost_invalid']}, {n} counted")
        check(int(kv["discarded"]) == n, f"discarded={kv['discarded']}, {n} malformed")
        text = d.ok("list", "m").stdout
        check(f"{n} events lost (malformed" in text and f"{n} malformed" in text, text)
        events, discarded = read_trace(out)
        mine = [e for e in events if e["name"] != "rtd:first"]
        check(len(mine) == 100, f"{len(mine)} events read, 100 written")
        check(sum(discarded.values()) == n, f"the trace reports {discarded}, {n} malformed")
    finally:
        d.cleanup()


def thread_nices(pid):
    """The nice value of each thread of pid (field 19 of its stat)."""
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/stat") as f:
            out.append(int(f.read().rsplit(")", 1)[1].split()[16]))
    return out


def test_drain_threads_nice():
    """The drain threads run at nice -10 by default where allowed (root:
    the burst of as many writers as CPUs otherwise outruns them), at the
    daemon's own with --drain-nice 0; the control thread stays at 0."""
    check(os.geteuid() == 0, "needs root (to lower a nice value); CI runs as root")
    for args, want in (([], -10), (["--drain-nice", "0"], 0), (["--drain-nice", "5"], 5)):
        d = Daemon(args=["--drain-threads", "2"] + args)
        try:
            wait_until(lambda: thread_nices(d.proc.pid).count(want) >= 2 + (want == 0),
                       f"two drain threads at nice {want}: {thread_nices(d.proc.pid)}")
            with open(f"/proc/{d.proc.pid}/stat") as f:
                main = int(f.read().rsplit(")", 1)[1].split()[16])
            check(main == 0, f"the daemon's control thread at nice {main}")
        finally:
            d.cleanup()
    p = subprocess.run([os.path.join(BUILD, "consumerd", "rseqtraced"), "--drain-nice", "-21"],
                       capture_output=True, text=True, timeout=10)
    check(p.returncode == 2 and "--drain-nice" in p.stderr, p.stderr)


def held_locks_case(env=None):
    need(SCRIBBLER)
    d = Daemon(env=env)
    holders = []
    try:
        out = os.path.join(d.tmp, "out")
        d.ok("create", "h", "-o", out, "--subbuf-size", "4k", "--num-subbuf", "4")
        d.ok("enable-event", "rtd:*")
        d.ok("start")
        for _ in range(3):
            holders.append(subprocess.Popen([SCRIBBLER, "holdlocks", "30"], env=d.env,
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                            text=True))
        for h in holders:
            check(h.stdout.readline().strip() == "mapped", "a lock holder did not map its buffers")
        t0 = time.monotonic()
        stop = subprocess.Popen([CLI, "stop", "h"], env=d.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(0.2)  # stop is flushing now
        t1 = time.monotonic()
        d.ok("list", "h", timeout=30)
        listed = time.monotonic() - t1
        sout, serr = stop.communicate(timeout=60)
        stopped = time.monotonic() - t0
        check(listed < 2.0, f"list waited {listed:.1f} s behind stop's flush")
        check(stopped < 5.0, f"stop took {stopped:.1f} s")
        check(d.alive(), "the daemon died")
    finally:
        for h in holders:
            h.kill()
            h.wait()
        d.cleanup()


def test_held_locks_do_not_block_others():
    """Locked-mode apps hold their buffers' locks (like writers stopped
    inside a write) while `stop` flushes: the daemon never waits on a lock
    in shared memory, so another client's `list` is answered promptly and
    stop itself returns."""
    held_locks_case()


def test_wall_clock_does_not_bound_waits():
    """The same with the daemon's wall clock an hour ahead (as if it had
    been set back after every read): no wait of the daemon's is measured on
    the wall clock, so none of them lasts an hour more."""
    shim = os.path.join(BUILD, "tests", "daemon", "rt_wallclock_shift.so")
    need(shim)
    held_locks_case({"LD_PRELOAD": shim, "ASAN_OPTIONS": "verify_asan_link_order=0"})


if __name__ == "__main__":
    run_tests([test_kill_app, test_kill_daemon, test_disk_full, test_scribbled_buffers,
               test_malformed_records_counted, test_drain_threads_nice,
               test_held_locks_do_not_block_others, test_wall_clock_does_not_bound_waits])
