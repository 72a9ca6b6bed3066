#!/usr/bin/python3
"""The application side of the protocol (librseqtrace's listener): no
daemon means no wait; a daemon that hangs or talks garbage costs at most the
registration timeout and tracing stays off; a daemon that starts later is
found and registered with."""
import os
import socket
import struct
import subprocess
import threading
import time

from rtd import tmpdir, PROTO_VERSION, TAPP, Daemon, check, need, registered, run_tests, wait_until


def run_tapp(home, timeout_ms, *args):
    need(TAPP)
    env = dict(os.environ, RSEQTRACE_HOME=home, RSEQTRACE_REGISTER_TIMEOUT_MS=str(timeout_ms))
    t = time.time()
    p = subprocess.run([TAPP, "--events", "100", *args], env=env, capture_output=True, text=True,
                       timeout=60)
    return p, time.time() - t


def test_no_daemon_no_wait():
    tmp = tmpdir()
    for home in (os.path.join(tmp, "missing"), tmp):  # no directory; no socket in it
        p, took = run_tapp(home, 20000)
        check(p.returncode == 0 and "emitted=100" in p.stdout, p.stderr)
        check(took < 5, f"the app waited {took:.1f} s with no daemon (timeout 20 s)")
        check(p.stderr == "", "the app printed something: " + p.stderr)


class FakeDaemon:
    """Accepts registrations, then never answers (hang) or answers garbage."""

    def __init__(self, home, mode):
        os.makedirs(home, mode=0o700, exist_ok=True)
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.bind(os.path.join(home, "rseqtraced.sock"))
        self.s.listen(8)
        self.mode = mode
        self.conns = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.s.accept()
            except OSError:
                return
            self.conns.append(c)
            if self.mode == "garbage":
                try:
                    c.send(b"\x00" * 40)
                    c.send(struct.pack("<IHHIIQ", 0x50435452, PROTO_VERSION, 48, 8, 0, 1) + bytes(7))
                except OSError:
                    pass


def test_hung_or_garbage_daemon():
    for mode in ("hang", "garbage"):
        tmp = tmpdir()
        home = os.path.join(tmp, "home")
        FakeDaemon(home, mode)
        p, took = run_tapp(home, 700)
        check(p.returncode == 0 and "emitted=100" in p.stdout, f"{mode}: {p.returncode} {p.stderr}")
        check(took < 10, f"{mode}: the app waited {took:.1f} s (timeout 0.7 s)")
        if mode == "hang":
            check(took >= 0.6, f"hang: the app did not wait for the daemon ({took:.2f} s)")
            check("did not answer within 700 ms" in p.stderr, "no message: " + p.stderr)


def test_daemon_started_later():
    need(TAPP)
    tmp = tmpdir()
    home = os.path.join(tmp, "home")
    os.mkdir(home, 0o700)
    prog = os.path.join(tmp, "progress")
    env = dict(os.environ, RSEQTRACE_HOME=home)
    app = subprocess.Popen([TAPP, "--role", "1", "--forever", "--sleep-us", "500", "--progress", prog],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    d = None
    try:
        time.sleep(0.3)
        d = Daemon(home=home)
        wait_until(lambda: registered(d, app.pid), "the app to find the new daemon", 15)
        out = os.path.join(d.tmp, "out")
        d.ok("create", "late", "-o", out)
        d.ok("enable-event", "rtd:seq")
        d.ok("start")
        time.sleep(0.3)
        d.ok("stop")
        check(int(d.kv("late")["events"]) > 0, "no event from an app registered late")
    finally:
        app.kill()
        app.wait()
        if d:
            d.cleanup()


if __name__ == "__main__":
    run_tests([test_no_daemon_no_wait, test_hung_or_garbage_daemon, test_daemon_started_later])
