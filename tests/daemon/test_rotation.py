#!/usr/bin/python3
"""Session rotation (lttng rotate, enable-rotation, disable-rotation):
each rotation makes OUTPUT/archives/BEGIN-END-ID (lttng's names), a
self-contained trace babeltrace2 reads alone; tracing goes on into a new
chunk. Oracle: a pinned app emits consecutive seq numbers with no loss
(blocking mode) while the session rotates, on demand, on a timer or by
size; after stop and a last rotate, the union of the archives is every
event exactly once. Per-UID and per-PID buffers; two channels of different
events in one trace directory, rotated together."""
import os
import re
import signal
import subprocess
import time

from rtd import (TAPP, App, Daemon, bt_clean, check, need, read_trace, registered, run_tests,
                 tmpdir, wait_until)

STAMP = r"\d{8}T\d{6}[+-]\d{4}"


def archives(out):
    names = sorted(os.listdir(os.path.join(out, "archives")),
                   key=lambda n: int(n.rsplit("-", 1)[1]))
    for i, n in enumerate(names):
        check(re.fullmatch(f"{STAMP}-{STAMP}-{i}", n), f"archive name {n} (wanted id {i})")
    return [os.path.join(out, "archives", n) for n in names]


def union_exact(out, n, roles):
    """Every archive readable alone; together every (role, seq) once."""
    seen = {}
    for a in archives(out):
        bt_clean(a)
        events, discarded = read_trace(a)
        check(sum(discarded.values()) == 0, f"{a}: discarded {discarded}")
        for e in events:
            if e["name"] == "rtd:seq":
                k = (int(e["fields"]["role"]), int(e["fields"]["seq"]))
                check(k not in seen, f"{k} in {seen.get(k)} and {a}")
                seen[k] = a
    for r in roles:
        got = sorted(s for (role, s) in seen if role == r)
        check(got == list(range(n)), f"role {r}: {len(got)} of {n} events in the archives")
    return len(archives(out))


def not_busy(d, *args):
    """A command, retried for 30 s while the daemon refuses it because a
    scheduled rotation under way makes the session busy."""
    deadline = time.time() + 30
    while True:
        r = d.cli(*args)
        if "busy" not in r.stderr + r.stdout or time.time() > deadline:
            return r
        time.sleep(0.05)


def when_idle(d, *args):
    r = not_busy(d, *args)
    check(r.returncode == 0, f"rseqtrace {' '.join(args)}: {r.stderr}")
    return r


def session(d, out, *extra):
    d.ok("create", "rot", "-o", out, "--subbuf-size", "16k", "--num-subbuf", "8",
         "--blocking-timeout", "inf", *extra)
    d.ok("enable-event", "rtd:seq")
    d.ok("start")


def live_app(d, role, n, sleep_us=20):
    """A paced app on CPU 0, writing once the daemon lists it (it waits for
    that: a short run could otherwise end before the test sees it)."""
    go = os.path.join(d.tmp, f"go-{role}")
    app = App(d, "-c", "0", TAPP, "--events", str(n), "--role", str(role), "--sleep-us",
              str(sleep_us), "--wait", go, exe="/usr/bin/taskset")
    wait_until(lambda: registered(d, app.pid), "the app's registration")
    open(go, "w").close()
    return app


def rotate_while_writing(extra=()):
    d = Daemon()
    try:
        out = tmpdir() + "/out"
        session(d, out, *extra)
        n = 20000
        # a per-PID trace exists once the app registered: rotate after
        app = live_app(d, 4, n)
        paths = []
        for _ in range(4):
            time.sleep(0.05)
            r = d.ok("rotate").stdout
            m = re.search(r"now readable at (\S+)\n", r)
            check(m and os.path.isdir(m.group(1)), r)
            paths.append(m.group(1))
        check(app.wait() == 0, app.err)
        d.ok("stop")
        d.ok("rotate")
        r = d.cli("rotate")
        check(r.returncode == 1 and "already rotated once since it became inactive" in r.stderr,
              r.stderr)
        got = union_exact(out, n, [4])
        check(got == 5, f"{got} archives, 5 rotations")
        check(not os.path.exists(os.path.join(out, "ust")), "chunk 0 left in the output")
        d.ok("destroy")
    finally:
        d.cleanup()


def test_rotate_uid():
    rotate_while_writing()


def test_rotate_pid():
    rotate_while_writing(("--buffers-pid",))


def two_channels(buffers):
    """chana records rtd:seq, chanb rtd:seq and rtd:first (rtd:*): each
    archive is one trace directory per owner, one metadata, both channels'
    stream files, readable alone; together, every seq once per channel and
    rtd:first once, nothing discarded."""
    d = Daemon()
    try:
        out = tmpdir() + "/out"
        d.ok("create", "rot", "-o", out, "--blocking-timeout", "inf", f"--buffers-{buffers}")
        d.ok("enable-channel", "-u", "chana", "--subbuf-size", "16k", "--num-subbuf", "8")
        d.ok("enable-channel", "-u", "chanb", "--subbuf-size", "32k", "--num-subbuf", "4")
        d.ok("enable-event", "-u", "-c", "chana", "rtd:seq")
        d.ok("enable-event", "-u", "-c", "chanb", "rtd:*")
        d.ok("start")
        n = 8000
        app = live_app(d, 4, n)
        for _ in range(4):
            time.sleep(0.05)
            r = d.ok("rotate").stdout
            check("now readable at" in r, r)
        check(app.wait() == 0, app.err)
        d.ok("stop")
        d.ok("rotate")
        seen, firsts = {}, 0
        for a in archives(out):
            dirs = sorted(root for root, _, files in os.walk(a) if "metadata" in files)
            check(len(dirs) == 1, f"one trace directory expected in {a}: {dirs}")
            bt_clean(a)
            events, discarded = read_trace(a)
            check(sum(discarded.values()) == 0, f"{a}: discarded {discarded}")
            for e in events:
                if e["name"] == "rtd:first":
                    check(e["channel"] == "chanb", f"rtd:first in {e['channel']}")
                    firsts += 1
                    continue
                k = (e["channel"], int(e["fields"]["seq"]))
                check(k not in seen, f"{k} in {seen.get(k)} and {a}")
                seen[k] = a
        check(len(archives(out)) == 5, f"{len(archives(out))} archives, 5 rotations")
        check(firsts == 1, f"{firsts} rtd:first")
        for ch in ("chana", "chanb"):
            got = sorted(s for (c, s) in seen if c == ch)
            check(got == list(range(n)), f"{ch}: {len(got)} of {n} events in the archives")
        check(not os.path.exists(os.path.join(out, "ust")), "chunk 0 left in the output")
        d.ok("destroy")
    except Exception:
        print(d.log_text()[-4000:])
        raise
    finally:
        d.cleanup()


def test_two_channels_uid():
    two_channels("uid")


def test_two_channels_pid():
    two_channels("pid")


def test_timer():
    d = Daemon()
    try:
        out = tmpdir() + "/out"
        session(d, out)
        en = d.ok("enable-rotation", "--timer", "150000").stdout
        check(en == "Enabled periodic rotations every 150000 us on session rot\n", repr(en))
        r = d.cli("enable-rotation", "--timer", "1s")
        check(r.returncode == 1 and "A periodic rotation schedule is already set" in r.stderr,
              r.stderr)
        n = 20000
        app = live_app(d, 5, n, sleep_us=50)
        check(app.wait() == 0, app.err)
        wait_until(lambda: os.path.isdir(os.path.join(out, "archives")) and
                   len(os.listdir(os.path.join(out, "archives"))) >= 2, "two timed rotations")
        when_idle(d, "disable-rotation", "--timer")
        r = not_busy(d, "disable-rotation", "--timer")
        check(r.returncode == 1 and "No periodic rotation schedule active" in r.stderr, r.stderr)
        when_idle(d, "stop")
        d.ok("rotate")
        check(union_exact(out, n, [5]) >= 3, "archives")
        d.ok("destroy")
    finally:
        d.cleanup()


def test_size():
    d = Daemon()
    try:
        out = tmpdir() + "/out"
        session(d, out)
        d.ok("enable-rotation", "--size", "64k")
        n = 20000
        app = live_app(d, 6, n, sleep_us=10)
        check(app.wait() == 0, app.err)
        when_idle(d, "disable-rotation", "--size")
        when_idle(d, "stop")
        d.ok("rotate")
        check(union_exact(out, n, [6]) >= 3, "size rotations")
        d.ok("destroy")
    finally:
        d.cleanup()


def test_empty_chunk():
    """A chunk with no trace data (per-PID buffers, no application yet):
    no archive that no reader could open; the next one is numbered on."""
    d = Daemon()
    try:
        out = tmpdir() + "/out"
        session(d, out, "--buffers-pid")
        r = d.ok("rotate").stdout
        check("nothing was archived" in r, r)
        check(not os.path.exists(os.path.join(out, "archives")) or
              not os.listdir(os.path.join(out, "archives")), "an empty archive")
        app = live_app(d, 8, 1000, sleep_us=0)
        check(app.wait() == 0, app.err)
        d.ok("stop")
        r = d.ok("rotate").stdout
        m = re.search(r"now readable at (\S+)\n", r)
        check(m and m.group(1).endswith("-1"), r)
        bt_clean(m.group(1))
        d.ok("destroy")
    finally:
        d.cleanup()


class StalledDisk:
    """A FUSE pass-through mount (test_stall.py) whose server can be stopped:
    every operation on it then blocks until it goes on."""

    def __init__(self, d):
        from test_stall import STALLFS
        need(STALLFS)
        self.backing, self.mnt = os.path.join(d.tmp, "backing"), os.path.join(d.tmp, "mnt")
        os.makedirs(self.backing)
        os.makedirs(self.mnt)
        self.log = open(os.path.join(d.tmp, "stallfs.log"), "wb")
        self.fs = subprocess.Popen(["/usr/bin/python3", STALLFS, self.backing, self.mnt],
                                   stdout=self.log, stderr=self.log)
        self.stopped = False
        wait_until(lambda: os.path.ismount(self.mnt), "the FUSE mount", 10)

    def stall(self, on):
        self.fs.send_signal(signal.SIGSTOP if on else signal.SIGCONT)
        self.stopped = on

    def close(self):
        if self.stopped:
            self.stall(False)
        subprocess.run(["fusermount", "-u", "-z", self.mnt], capture_output=True)
        self.fs.terminate()
        try:
            self.fs.wait(10)
        except subprocess.TimeoutExpired:
            self.fs.kill()
        self.log.close()


def no_wait(stall_s):
    """rotate --no-wait returns once the rotation is started: with the
    trace's disk stalled (a FUSE server stopped) it answers at once,
    without the archive's path, while the rotation cannot end; meanwhile
    list shows it ongoing, with the archive's name, and another rotate is
    refused. Once the disk goes on (after stall_s: past the daemon's 10 s
    wait for a disk too), the archive is made under that name, and the
    archives hold every event once."""
    d = Daemon()
    disk = None
    try:
        disk = StalledDisk(d)
        out = os.path.join(disk.mnt, "out")
        session(d, out)
        n = 3000
        app = live_app(d, 9, n, sleep_us=0)
        check(app.wait() == 0, app.err)
        disk.stall(True)
        t0 = time.time()
        r = d.ok("rotate", "--no-wait")
        took = time.time() - t0
        check(r.stdout.strip() == "Rotation ongoing for session rot", r.stdout)
        check(took < 3, f"rotate --no-wait took {took:.1f} s with the disk stalled")
        kv = d.kv("rot")
        name = kv.get("rotation_ongoing")
        check(name and re.fullmatch(f"{STAMP}-{STAMP}-0", name), f"list --kv: {kv}")
        text = d.ok("list", "rot").stdout
        check(f"Rotation: ongoing, archive {out}/archives/{name} when complete" in text, text)
        archive = os.path.join(disk.backing, "out", "archives", name, "ust")
        while time.time() - t0 < stall_s:
            r = d.cli("rotate")
            check(r.returncode == 1 and "a rotation is ongoing" in r.stderr, r.stderr)
            check(d.kv("rot").get("rotation_ongoing") == name, "the rotation is no more shown")
            check(not os.path.exists(archive), "the archive was made with the disk stalled")
            time.sleep(1)
        disk.stall(False)
        wait_until(lambda: "rotation_ongoing" not in d.kv("rot"), "the rotation's end", 30)
        check(os.path.isdir(archive), f"no archive {name}")
        check("Rotation:" not in d.ok("list", "rot").stdout, "still shown ongoing")
        when_idle(d, "stop")
        d.ok("rotate")
        check(union_exact(os.path.join(disk.backing, "out"), n, [9]) == 2, "two archives")
        d.ok("destroy")
    finally:
        if disk and disk.stopped:
            disk.stall(False)
        d.cleanup()
        if disk:
            disk.close()


def test_no_wait():
    no_wait(0)


def test_no_wait_long_stall():
    no_wait(13)


def test_errors():
    d = Daemon()
    try:
        d.ok("create", "never", "-o", tmpdir() + "/o")
        r = d.cli("rotate")
        check(r.returncode == 1 and "never started" in r.stderr + r.stdout, r.stderr)
        d.ok("create", "snap", "--snapshot", "-o", tmpdir() + "/s")
        r = d.cli("rotate", "snap")
        check(r.returncode == 1 and "snapshot mode" in r.stderr + r.stdout, r.stderr)
        r = d.cli("enable-rotation")
        check(r.returncode == 2, r.stderr)
    finally:
        d.cleanup()


if __name__ == "__main__":
    run_tests([test_rotate_uid, test_rotate_pid, test_two_channels_uid, test_two_channels_pid,
               test_timer, test_size, test_empty_chunk, test_no_wait,
               test_no_wait_long_stall,
               test_errors])
