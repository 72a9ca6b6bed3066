#!/usr/bin/python3
"""The ip context through the daemon and the CLI: `add-context -t ip`
(lttng add-context -u -t ip) on a session, `record -t ip` with per-PID
buffers, one process writing into a session with ip and one without at
once; babeltrace2's debug-info filter must name each call site's function
(tests/tracepoints/ipcheck.py compares everything with what tp_ip_app
printed). Contexts are fixed at a session's first start; bad ADD_CONTEXT
records are refused and the daemon serves on."""
import os
import socket
import struct
import subprocess
import sys

from rtd import BUILD, CLI, PROTO_VERSION, SRC, Daemon, check, need, run_tests, tmpdir

sys.path.insert(0, os.path.join(SRC, "tests", "tracepoints"))
import ipcheck  # noqa: E402

APP = os.environ.get("RT_IPAPP") or os.path.join(BUILD, "tests", "tracepoints", "tp_ip_app")
LIB = os.environ.get("RT_IPLIB") or os.path.join(BUILD, "tests", "tracepoints", "libtp_iplib.so")
N = 5
ALL = {"ip", "vpid", "vtid", "procname"}


def run_app(d):
    need(APP)
    p = subprocess.run([APP, str(N)], env=d.env, capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, f"tp_ip_app exited {p.returncode}: {p.stderr}")
    return ipcheck.parse_output(p.stdout)


def test_add_context_two_sessions():
    """One process, two started sessions: one with ip, one with the
    default contexts. Each trace has its own layout, both decode."""
    d = Daemon()
    try:
        base = tmpdir()
        with_ip, plain = os.path.join(base, "withip"), os.path.join(base, "plain")
        d.ok("create", "plain", "-o", plain)
        d.ok("enable-event", "-a")
        d.ok("create", "withip", "-o", with_ip)
        r = d.ok("add-context", "-t", "ip")
        check("Context ip added to channel channel0 of session withip" in r.stdout, r.stdout)
        r = d.ok("add-context", "-s", "withip", "-t", "vpid,ip")
        check("Context vpid is already recorded" in r.stdout and
              "Context ip is already recorded" in r.stdout, r.stdout)
        check("records: ip, vpid, vtid, procname" in r.stdout, r.stdout)
        check(d.kv("withip").get("contexts") == "ip,vpid,vtid,procname",
              f"kv contexts: {d.kv('withip')}")
        check(d.kv("plain").get("contexts") == "vpid,vtid,procname",
              f"kv contexts: {d.kv('plain')}")
        check("Contexts: ip, vpid, vtid, procname" in d.ok("list", "withip").stdout,
              d.ok("list", "withip").stdout)
        d.ok("enable-event", "-a")
        d.ok("start", "withip")
        d.ok("start", "plain")
        r = d.cli("add-context", "-s", "withip", "-t", "procname")
        check(r.returncode == 1 and "before its first start" in r.stderr + r.stdout,
              f"add-context after start: exit {r.returncode} {r.stdout} {r.stderr}")
        info = run_app(d)
        d.ok("stop", "withip")
        d.ok("stop", "plain")
        r = d.cli("add-context", "-s", "plain", "-t", "ip")
        check(r.returncode == 1, "add-context after stop must be refused too")

        ipcheck.check_metadata(with_ip, ALL)
        ipcheck.check_events(ipcheck.read_events(with_ip), info, ALL, APP, LIB, pid=info["pid"])
        ipcheck.check_debug_info(with_ip, info, APP, LIB, pid=info["pid"])

        ctx = ALL - {"ip"}
        ipcheck.check_metadata(plain, ctx)
        ipcheck.check_events(ipcheck.read_events(plain), info, ctx, APP, LIB, pid=info["pid"])
        ipcheck.check_no_debug_info(plain)
    finally:
        d.cleanup()


def test_record_per_pid():
    """rseqtrace record -t ip --buffers-pid: the one-shot path and the
    per-PID trace (created when the process registers)."""
    need(CLI)
    need(APP)
    out = os.path.join(tmpdir(), "rec")
    env = dict(os.environ)
    env.pop("RSEQTRACE_HOME", None)
    p = subprocess.run([CLI, "record", "-o", out, "-t", "ip", "--buffers-pid", "--", APP, str(N)],
                       env=env, capture_output=True, text=True, timeout=90)
    check(p.returncode == 0, f"record exited {p.returncode}: {p.stderr}")
    info = ipcheck.parse_output(p.stdout)
    check(os.path.isdir(os.path.join(out, "ust", "pid")), f"no per-PID trace in {out}")
    ipcheck.check_metadata(out, ALL)
    ipcheck.check_events(ipcheck.read_events(out), info, ALL, APP, LIB, pid=info["pid"])
    ipcheck.check_debug_info(out, info, APP, LIB, pid=info["pid"])


def test_cli_errors():
    d = Daemon()
    try:
        r = d.cli("add-context", "-t", "ip")
        check(r.returncode == 1 and "no current session" in r.stderr + r.stdout, r.stderr)
        d.ok("create", "s", "-o", os.path.join(tmpdir(), "t"))
        r = d.cli("add-context", "-s", "nope", "-t", "ip")
        check(r.returncode == 1 and "no session named 'nope'" in r.stderr + r.stdout, r.stderr)
        for bad in (["-t", "pc"], ["-t", "ip,"], [], ["ip"]):
            r = d.cli("add-context", *bad)
            check(r.returncode == 2, f"add-context {bad}: exit {r.returncode}, wanted 2")
        r = d.cli("record", "-t", "bogus", "--", "true")
        check(r.returncode == 2 and "unknown context 'bogus'" in r.stderr, r.stderr)
        check(d.kv("s").get("contexts") == "vpid,vtid,procname", "a refused add-context changed it")
    finally:
        d.cleanup()


def raw_context(contexts, reserved=0, session=b"", channel=b""):
    body = session + bytes(64 - len(session)) + struct.pack("<II", contexts, reserved) + \
        channel + bytes(64 - len(channel))
    return struct.pack("<IHHIIQ", 0x50435452, PROTO_VERSION, 8, len(body), 0, 5) + body


def test_hostile_add_context():
    """ADD_CONTEXT records the decoder must refuse (no context, unknown
    bits, reserved set, bad name): the connection is closed, nothing
    changes, the daemon serves on."""
    d = Daemon()
    try:
        d.ok("create", "h", "-o", os.path.join(tmpdir(), "t"))
        for rec in (raw_context(0), raw_context(1 << 30), raw_context(8 | 1 << 31), raw_context(8, 1),
                    raw_context(8, session=b"../x"), raw_context(8, channel=b"-c"),
                    raw_context(8)[:-4]):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.connect(os.path.join(d.home, "rseqtraced.sock"))
            s.settimeout(5)
            s.send(rec)
            closed = False
            try:
                closed = s.recv(70000) == b""
            except ConnectionResetError:
                closed = True
            s.close()
            check(closed, f"the daemon answered a bad ADD_CONTEXT {rec[-8:].hex()}")
        check(d.alive(), "the daemon died")
        check(d.kv("h").get("contexts") == "vpid,vtid,procname", "a bad record changed contexts")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.connect(os.path.join(d.home, "rseqtraced.sock"))
        s.settimeout(5)
        s.send(raw_context(8))
        rep = s.recv(70000)
        s.close()
        check(len(rep) > 40 and struct.unpack_from("<i", rep, 24)[0] == 0 and b"ip added" in rep,
              f"a good ADD_CONTEXT got {rep!r}")
        check(d.kv("h").get("contexts") == "ip,vpid,vtid,procname", "ip not added")
    finally:
        d.cleanup()


if __name__ == "__main__":
    run_tests([test_add_context_two_sessions, test_record_per_pid, test_cli_errors,
               test_hostile_add_context])
