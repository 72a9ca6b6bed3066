#!/usr/bin/python3
"""The control socket under abuse (issue 11 items 5, 8, 9): a daemon out of
file descriptors, replies larger than the socket buffer, clients that never
read, and floods of idle connections. The daemon must keep its CPU and its
log quiet, keep answering, and close what a peer leaves hanging."""
import os
import re
import resource
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "daemon"))
from rtd import (PROTO_VERSION, App, Daemon, check, fd_count, run_tests,  # noqa: E402
                 settled_fd_count, tmpdir, wait_until)

MAGIC = 0x50435452
REPLY_MORE = 1


def sock_path(d):
    return os.path.join(d.home, "rseqtraced.sock")


def connect(path, timeout=5.0):
    """A blocking connection; a full backlog (EAGAIN) is retried until
    timeout. Raises OSError if the daemon does not take it."""
    deadline = time.time() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_NONBLOCK)
        try:
            s.connect(path)
            s.setblocking(True)
            s.settimeout(timeout)
            return s
        except BlockingIOError:
            s.close()
            if time.time() > deadline:
                raise
            time.sleep(0.001)
        except OSError:
            s.close()
            raise


def list_request(flags=0, seq=9):
    body = bytes(64) + struct.pack("<II", flags, 0)
    return struct.pack("<IHHIIQ", MAGIC, PROTO_VERSION, 7, len(body), 0, seq) + body


def read_reply(s):
    """Reads REPLY records up to the last one: (status, text)."""
    text = b""
    while True:
        r = s.recv(70000)
        check(len(r) >= 40, f"short or no answer ({len(r)} bytes)")
        _, _, typ, _, _, seq = struct.unpack_from("<IHHIIQ", r)
        status, flags, tlen, _ = struct.unpack_from("<iIII", r, 24)
        check(typ == 16, f"answer of type {typ}")
        text += r[40:40 + tlen - 1]
        if not flags & REPLY_MORE or seq == 0:
            return status, text.decode()


def at_eof(s):
    """True if the daemon closed s (after any last words), False if open."""
    s.settimeout(1)
    try:
        while s.recv(70000):
            pass
        return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raise_own_fd_limit(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, max(n, hard)))


def test_emfile_backs_off():
    """Item 5: out of descriptors, the daemon stops polling the listening
    socket for a while instead of spinning on accept, logs once per
    interval, and keeps serving the connections it has."""
    d = Daemon()
    try:
        d.ok("list")
        pid = d.proc.pid
        limit = settled_fd_count(pid) + 6
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (limit, limit))
        held = []
        for _ in range(20):  # established CLI connections, until no more fit
            try:
                s = connect(sock_path(d), timeout=2)
            except OSError:
                break
            try:
                s.send(list_request())
                status, _ = read_reply(s)
            except (OSError, Exception):  # no answer: the daemon is out of fds
                s.close()
                break
            if status != 0:
                s.close()
                break
            held.append(s)
        check(2 <= len(held) < 20, f"{len(held)} connections before EMFILE (limit {limit})")
        log_before = len(d.log_text().splitlines())
        cpu0, t0 = cpu_seconds(pid), time.time()
        tries = 0
        while time.time() - t0 < 3:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_NONBLOCK)
            try:
                s.connect(sock_path(d))
            except OSError:
                pass  # the backlog is full
            s.close()
            tries += 1
            time.sleep(0.002)
        load = (cpu_seconds(pid) - cpu0) / (time.time() - t0)
        lines = d.log_text().splitlines()[log_before:]
        check(load < 0.3, f"daemon used {load:.0%} of a CPU while out of descriptors "
                          f"({tries} connection attempts)")
        check(len(lines) <= 10, f"{len(lines)} log lines in 3 s:\n" + "\n".join(lines[:20]))
        check(d.alive(), "daemon died")
        held[0].send(list_request(seq=10))
        status, text = read_reply(held[0])
        check(status == 0 and "Registered processes" in text, "a held connection is not answered")
        for s in held:
            s.close()
        t1 = time.time()
        wait_until(lambda: d.cli("list", timeout=10).returncode == 0,
                   "a new CLI to be answered once connections closed", timeout=15)
        check(time.time() - t1 < 15, "slow to recover")
    finally:
        d.cleanup()


PATTERN = "s{}_{:04d}_" + "x" * 230


def test_large_reply_arrives():
    """Item 8: a `list` of more than 1 MB arrives whole, and a client that
    asks and never reads neither stalls the daemon nor stays forever."""
    d = Daemon()
    try:
        sessions, rules = 5, 1024
        for s in range(sessions):
            d.ok("create", f"big{s}", "-o", os.path.join(tmpdir(), "out"))
            for k in range(0, rules, 64):
                d.ok("enable-event", "-s", f"big{s}",
                     *[PATTERN.format(s, i) for i in range(k, k + 64)])
        want = {PATTERN.format(s, i) for s in range(sessions) for i in range(rules)}
        for args in (("list",), ("list", "--kv")):
            out = d.ok(*args).stdout
            check(len(out) > 1 << 20, f"{' '.join(args)}: only {len(out)} bytes")
            found = re.findall(r"s\d_\d{4}_x{230}", out)
            check(len(found) == len(want) and set(found) == want,
                  f"{' '.join(args)}: {len(set(found))} of {len(want)} rules, {len(found)} lines")
            check(args[-1] == "--kv" or "Registered processes" in out,
                  "the end of the reply is missing")
        pid = d.proc.pid
        base = settled_fd_count(pid)
        sleepers = []
        for _ in range(8):  # ask for the big list, never read it
            s = connect(sock_path(d))
            s.send(list_request())
            sleepers.append(s)
        t0 = time.time()
        p = d.cli("list", timeout=30)
        check(p.returncode == 0 and len(p.stdout) > 1 << 20, f"list beside non-readers: rc "
              f"{p.returncode}, {len(p.stdout)} bytes, {p.stderr}")
        check(time.time() - t0 < 10, f"list took {time.time() - t0:.1f} s beside non-readers")
        wait_until(lambda: fd_count(pid) <= base, "non-reading clients to be disconnected",
                   timeout=30)
        # Logged once the daemon's pass over its connections is over, which
        # may be just after the last of them is closed.
        wait_until(lambda: "did not read" in d.log_text(), "the disconnection to be logged",
                   timeout=10)
        for s in sleepers:
            s.close()
        check(d.alive(), "daemon died")
    finally:
        d.cleanup()


HOLDER = r"""
import socket, sys, time
socks = []
for _ in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_NONBLOCK)
    deadline = time.time() + 5
    while time.time() < deadline:
        try:
            s.connect(sys.argv[1])
            socks.append(s)
            break
        except BlockingIOError:  # a full backlog
            time.sleep(0.001)
print(len(socks), flush=True)
sys.stdin.read()
"""


def test_idle_connections_do_not_lock_out():
    """Item 9: thousands of connections that never say anything, from one
    process and from several, neither lock the CLI out nor stop an app
    from registering; they are closed after the first-message timeout."""
    raise_own_fd_limit(8192)
    d = Daemon()
    holders = []
    try:
        d.ok("list")
        pid = d.proc.pid
        base = settled_fd_count(pid)
        socks = []
        t0 = time.time()
        for _ in range(4200):
            try:
                socks.append(connect(sock_path(d)))
            except OSError:
                break
        check(len(socks) == 4200, f"only {len(socks)} connects went through")
        t1 = time.time()
        p = d.cli("list", timeout=30)
        check(p.returncode == 0, f"CLI locked out by {len(socks)} idle connections: {p.stderr}")
        check(time.time() - t1 < 10, "CLI answered too slowly")
        # From many processes: more than the budget for connections whose
        # role is not known yet.
        for _ in range(12):
            h = subprocess.Popen([sys.executable, "-c", HOLDER, sock_path(d), "40"],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            holders.append(h)
        got = [int(h.stdout.readline() or 0) for h in holders]
        check(sum(got) == 480, f"holders connected {got}")
        t1 = time.time()
        p = d.cli("list", timeout=30)
        check(p.returncode == 0, f"CLI locked out by held connections: {p.stderr}")
        check(time.time() - t1 < 10, "CLI answered too slowly")
        go = os.path.join(tmpdir(), "go")
        app = App(d, "--events", "10", "--wait", go)
        wait_until(lambda: f"[{app.pid}]" in d.ok("list").stdout,
                   "an honest app to register during the flood", timeout=15)
        open(go, "w").close()
        check(app.wait() == 0, f"app failed: {app.err}")
        # Connections that never sent anything are closed after the timeout.
        wait_until(lambda: fd_count(pid) <= base, "idle connections to be closed", timeout=30)
        check(time.time() - t0 < 60, "took too long")
        check(at_eof(socks[0]), "an idle connection the daemon accepted is still open")
        lines = d.log_text().splitlines()
        check(len(lines) < 60, f"{len(lines)} log lines:\n" + "\n".join(lines[:80]))
        check(d.alive(), "daemon died")
        for s in socks:
            s.close()
    finally:
        for h in holders:
            h.stdin.close()
            h.wait()
        d.cleanup()


if __name__ == "__main__":
    run_tests([test_emfile_backs_off, test_large_reply_arrives,
               test_idle_connections_do_not_lock_out])
