#!/usr/bin/python3
"""Hostile bytes on the control socket of a live daemon: random records,
truncated and oversized ones, stray descriptors, valid requests followed by
garbage, and the fuzz corpus replayed over real connections. The daemon
must stay up, keep serving, and leak no descriptor."""
import array
import glob
import os
import random
import socket
import struct
import time

from rtd import PROTO_VERSION, SRC, Daemon, check, fd_count, run_tests, settled_fd_count

MAGIC = 0x50435452


def connect(d):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(os.path.join(d.home, "rseqtraced.sock"))
    s.settimeout(5)
    return s


def send(s, data, fds=()):
    try:
        if fds:
            s.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
        else:
            s.send(data)
        return True
    except OSError:
        return False  # the daemon already closed it: fine


def closed_by_daemon(s):
    """True if the daemon closed the connection (after any answer)."""
    try:
        while True:
            r = s.recv(70000)
            if not r:
                return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def list_request(flags=0):
    body = bytes(64) + struct.pack("<II", flags, 0)
    return struct.pack("<IHHIIQ", MAGIC, PROTO_VERSION, 7, len(body), 0, 9) + body


def test_random_bytes():
    d = Daemon()
    try:
        d.ok("list")
        base = settled_fd_count(d.proc.pid)
        rng = random.Random(1234)
        devnull = os.open("/dev/null", os.O_RDONLY)
        for i in range(300):
            s = connect(d)
            kind = i % 6
            if kind == 0:
                data = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 200)))
            elif kind == 1:  # a plausible header with lies in it
                data = struct.pack("<IHHIIQ", MAGIC, PROTO_VERSION, rng.choice([1, 2, 7, 32, 33, 49]),
                                   rng.getrandbits(32), rng.getrandbits(2), 1)
                data += bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 300)))
            elif kind == 2:  # longer than any record may be
                data = list_request()[:24] + bytes(70000)
            elif kind == 3:  # descriptors where none belong
                data = list_request()
            elif kind == 4:  # a valid request, then garbage on the same connection
                data = list_request()
            else:  # empty record
                data = b""
            fds = [devnull] * (5 if kind == 3 and i % 2 else 1) if kind == 3 else ()
            send(s, data, fds)
            if kind == 4:
                check(len(s.recv(70000)) > 24, "no answer to a valid request")
                send(s, b"\x00garbage")
            if kind in (0, 1, 2, 3, 4) and data != b"":
                check(closed_by_daemon(s), f"daemon kept a connection open after bad record #{i}")
            s.close()
        os.close(devnull)
        check(d.alive(), "daemon died")
        d.ok("list")
        time.sleep(0.2)
        n = settled_fd_count(d.proc.pid)
        check(n == base, f"descriptor leak: {n} vs {base}")
        check("malformed message" in d.log_text(), "malformed records were not logged")
    finally:
        d.cleanup()


def test_corpus_live():
    d = Daemon(args=("--ack-timeout-ms", "200"))
    try:
        files = sorted(glob.glob(os.path.join(SRC, "tests", "daemon", "corpus", "*")))
        check(files, "empty corpus")
        devnull = os.open("/dev/null", os.O_RDONLY)
        for path in files:
            data = open(path, "rb").read()
            conns = {}
            off = 0
            while len(data) - off >= 3:
                op, n = struct.unpack_from("<BH", data, off)
                off += 3
                rec = data[off:off + n]
                off += n
                slot = op & 3
                if op & 16 and slot in conns:
                    conns.pop(slot).close()
                if slot not in conns:
                    conns[slot] = connect(d)
                if not send(conns[slot], rec, [devnull] if op & 4 else ()):
                    conns.pop(slot).close()
            time.sleep(0.05)
            for s in conns.values():
                s.close()
        os.close(devnull)
        time.sleep(0.5)
        check(d.alive(), "daemon died on the corpus")
        d.ok("list")
    finally:
        d.cleanup()


if __name__ == "__main__":
    run_tests([test_random_bytes, test_corpus_live])
