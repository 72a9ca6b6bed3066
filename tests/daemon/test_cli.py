#!/usr/bin/python3
"""CLI and daemon behaviour without instrumented applications: errors are
clear, exit non-zero and leave nothing half-created; record propagates exit
statuses and signals; the daemon guards its directory, refuses a second
instance, shuts down cleanly and uses no CPU when idle."""
import os
import signal
import socket
import stat
import subprocess
import tempfile
import time

from rtd import tmpdir, BUILD, CLI, DAEMON, Daemon, check, need, run_tests


def test_missing_daemon():
    need(CLI)
    tmp = tmpdir()
    env = dict(os.environ, RSEQTRACE_HOME=os.path.join(tmp, "nothing"))
    p = subprocess.run([CLI, "list"], env=env, capture_output=True, text=True)
    check(p.returncode == 1, f"list without daemon exited {p.returncode}")
    check("no rseqtrace daemon is running" in p.stderr and "rseqtraced --daemonize" in p.stderr,
          "unclear message: " + p.stderr)
    # A socket file nobody listens on (a daemon killed with -9).
    home = os.path.join(tmp, "stale")
    os.mkdir(home, 0o700)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.bind(os.path.join(home, "rseqtraced.sock"))
    s.close()
    env["RSEQTRACE_HOME"] = home
    p = subprocess.run([CLI, "create", "x"], env=env, capture_output=True, text=True)
    check(p.returncode == 1 and "stale socket" in p.stderr, "stale socket: " + p.stderr)


def sessions(d):
    return [l.split("=", 1)[1] for l in d.ok("list", "--kv").stdout.splitlines()
            if l.startswith("session=")]


def test_errors_leave_nothing():
    d = Daemon()
    try:
        out = os.path.join(d.tmp, "out")
        cases = [
            # Geometry: the daemon checks it (ringbuf's one check) and answers.
            (["create", "a", "--subbuf-size", "3000"], 1, "not a power of two"),
            (["create", "a", "--subbuf-size", "128M"], 1, "must be between"),
            (["create", "a", "--subbuf-size", "12q"], 2, "not a size"),
            (["create", "a", "--num-subbuf", "3"], 1, "power of two"),
            (["create", "a", "--subbuf-size", "64M", "--num-subbuf", "1024"], 1, "--max-buffer-memory"),
            (["create", "a", "--clock", "sundial"], 2, "monotonic or tsc"),
            (["create", "bad/name"], 2, "bad session name"),
            (["create", "a", "-o", "/etc/passwd/x"], 1, "not a directory"),
            (["start", "nosuch"], 1, "no session named 'nosuch'"),
            (["stop"], 1, "no current session"),
            (["enable-event", "-s", "nosuch", "p:*"], 1, "no session named"),
            (["enable-event", "p:* x"], 2, "bad event pattern"),
            (["enable-event"], 2, "at least one event pattern"),
            (["enable-event", "x", "--loglevel", "LOUD"], 2, "unknown loglevel"),
            (["list", "nosuch"], 1, "no session named"),
            (["frobnicate"], 2, "unknown command"),
        ]
        for args, rc, msg in cases:
            p = d.cli(*args)
            check(p.returncode == rc, f"{args}: exit {p.returncode}, wanted {rc}: {p.stderr}")
            check(msg in p.stderr, f"{args}: message {p.stderr!r} lacks {msg!r}")
            check(p.stderr.startswith("rseqtrace: error: "), f"{args}: format {p.stderr!r}")
        check(sessions(d) == [], "a failed command left a session behind")
        check(not os.path.exists(out), "a failed command created the output")

        d.ok("create", "s1", "-o", out, "--subbuf-size", "4k", "--num-subbuf", "2")
        p = d.cli("create", "s1", "-o", out + "2")
        check(p.returncode == 1 and "already exists" in p.stderr, p.stderr)
        p = d.cli("create", "s2", "-o", out)
        check(p.returncode == 1 and "already writes" in p.stderr, p.stderr)
        check(sessions(d) == ["s1"], f"sessions {sessions(d)}")
        # A bad pattern among good ones changes nothing.
        p = d.cli("enable-event", "-s", "s1", "good:*", "bad pattern")
        check(p.returncode == 2, p.stderr)
        check("rule=" not in d.ok("list", "--kv", "s1").stdout, "half-applied enable-event")
        # start that cannot create the output leaves no directory behind.
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w") as f:
            f.write("in the way")
        p = d.cli("start", "s1")
        check(p.returncode == 1 and "cannot start session 's1'" in p.stderr, p.stderr)
        check(os.path.isfile(out), "start removed a file it did not create")
        check(d.kv("s1")["state"] == "created", "failed start changed the state")
        os.unlink(out)
        d.ok("start", "s1")
        check(os.path.isdir(os.path.join(out, "ust", "uid", str(os.getuid()), "64-bit")),
              "per-UID trace directory missing")
        mode = stat.S_IMODE(os.stat(os.path.join(out, "ust")).st_mode)
        check(mode == 0o700, f"trace directory mode {mode:o}, wanted 700")
        p = d.cli("start", "s1")
        check(p.returncode == 1 and "already started" in p.stderr, p.stderr)
        d.ok("stop", "s1")
        d.ok("destroy", "s1")
        check(sessions(d) == [], "destroy left the session")
        check(d.alive(), "daemon died")
    finally:
        d.cleanup()


def test_rules_and_list():
    d = Daemon()
    try:
        out = os.path.join(d.tmp, "out")
        p = d.ok("create", "r", "-o", out)
        check("Session r created" in p.stdout and out in p.stdout, p.stdout)
        d.ok("enable-event", "app:*", "--loglevel", "TRACE_WARNING")
        d.ok("enable-event", "-s", "r", "other:tick", "--loglevel-only", "debug")
        d.ok("disable-event", "app:noisy")
        lst = d.ok("list", "r").stdout
        for s in ("Session r [created, not started] (current)", out, "per-UID",
                  "app:* (loglevel <= TRACE_WARNING)", "other:tick (loglevel == TRACE_DEBUG)",
                  "disable app:noisy"):
            check(s in lst, f"list lacks {s!r}:\n{lst}")
        d.ok("disable-event", "-a")
        check("rule=" not in d.ok("list", "--kv", "r").stdout, "disable-event -a kept rules")
        d.ok("create", "q", "-o", out + "q", "--buffers-pid", "--clock", "tsc")
        kv = d.kv("q")
        check(kv["buffers"] == "pid" and kv["clock"] == "tsc", str(kv))
        d.ok("destroy")  # the current one: q
        check(sessions(d) == ["r"], f"{sessions(d)}")
        p = d.cli("start")
        check(p.returncode == 1 and "no current session" in p.stderr, p.stderr)
    finally:
        d.cleanup()


def test_durations():
    """Durations as lttng takes them: microseconds or a number with us,
    ms, s, m or h, in every option that takes one (the channel timers and
    --blocking-timeout, enable-rotation --timer, create --live, also as
    `--live 2s`); anything else refused with a usage error."""
    with Daemon() as d:
        d.ok("create", "t", "-o", os.path.join(d.tmp, "out"))
        d.ok("enable-channel", "-u", "ch1", "--switch-timer", "1s", "--read-timer", "200ms",
             "--monitor-timer", "2m", "--blocking-timeout", "5ms")
        d.ok("enable-rotation", "--timer", "1h")
        kv = d.ok("list", "--kv", "t").stdout
        for want in ("switch_timer=1000000 ", "read_timer=200000 ", "monitor_timer=120000000 ",
                     "blocking_timeout=5000 ", "rotation_timer=3600000000\n"):
            check(want in kv, f"{want!r} not in:\n{kv}")
        for bad in (["enable-channel", "-u", "ch2", "--switch-timer", "1x"],
                    ["enable-channel", "-u", "ch2", "--read-timer", "5000h"],
                    ["enable-channel", "-u", "ch2", "--blocking-timeout", "-1ms"],
                    ["enable-rotation", "--timer", "s"]):
            p = d.cli(*bad)
            check(p.returncode == 2 and "us, ms, s, m, h" in p.stderr, f"{bad}: {p.stderr}")
        # Parsed as the live timer, not as a second session name: it fails
        # only for want of a relayd on a port nobody listens to.
        p = d.cli("create", "live", "--live", "2s", "-U", "net://127.0.0.1:1:2")
        check(p.returncode != 0 and "relayd" in p.stderr and "session name" not in p.stderr,
              p.stderr)


def test_help():
    need(CLI)
    for args in (["--help"], ["create", "--help"], ["enable-event", "--help"],
                 ["disable-event", "--help"], ["start", "--help"], ["stop", "--help"],
                 ["destroy", "--help"], ["list", "--help"], ["record", "--help"]):
        p = subprocess.run([CLI, *args], capture_output=True, text=True)
        check(p.returncode == 0 and "Usage: rseqtrace" in p.stdout and "lttng" in p.stdout,
              f"{args}: {p.returncode} {p.stdout[:200]}")
    p = subprocess.run([DAEMON, "--help"], capture_output=True, text=True)
    check(p.returncode == 0 and "lttng-sessiond" in p.stdout, "rseqtraced --help")


def test_libxml2_on_demand():
    """The session verbs do not load libxml2 (and ICU, libstdc++... with it:
    milliseconds of every snapshot record); save, load and --mi xml do."""
    d = Daemon()
    try:
        d.ok("create", "s", "--snapshot")
        for args in (["create", "t"], ["enable-event", "-s", "s", "x:*"], ["start", "s"],
                     ["list"], ["snapshot", "record", "-s", "s"], ["status"]):
            p = d.cli(*args, env=dict(LD_DEBUG="libs"))
            check(p.returncode in (0, 1), f"{args}: exit {p.returncode}: {p.stderr}")
            check("libxml2" not in p.stderr, f"rseqtrace {' '.join(args)} loaded libxml2")
        p = d.ok("--mi", "xml", "list", env=dict(LD_DEBUG="libs"))
        check("libxml2" in p.stderr and "<sessions>" in p.stdout, "--mi xml did not load libxml2")
        # Without the library: those fail clearly, the others work.
        shim = os.path.join(BUILD, "tests", "daemon", "rt_no_libxml2.so")
        need(shim)
        noxml = {"LD_PRELOAD": shim, "ASAN_OPTIONS": "verify_asan_link_order=0"}
        out = os.path.join(d.tmp, "saved")
        os.mkdir(out)
        for args in (["save", "-o", out, "s"], ["load", "-i", out], ["--mi", "xml", "list"]):
            p = d.cli(*args, env=noxml)
            check(p.returncode == 1 and "needs libxml2" in p.stderr and not p.stdout,
                  f"{args} without libxml2: exit {p.returncode}: {p.stdout} {p.stderr}")
        check(not os.listdir(out), "save without libxml2 wrote a file")
        p = d.cli("list", "--kv", env=noxml)
        check(p.returncode == 0 and "session=s\n" in p.stdout, f"list without libxml2: {p.stderr}")
    finally:
        d.cleanup()


def test_record_status():
    need(CLI)
    tmp = tmpdir()
    env = dict(os.environ, HOME=tmp)
    env.pop("RSEQTRACE_HOME", None)
    for cmd, rc in ((["true"], 0), (["sh", "-c", "exit 7"], 7),
                    (["sh", "-c", "kill -SEGV $$"], 128 + signal.SIGSEGV),
                    (["sh", "-c", "kill -TERM $$"], 128 + signal.SIGTERM),
                    (["/nonexistent/cmd"], 127)):
        p = subprocess.run([CLI, "record", "-o", os.path.join(tmp, "t%d" % rc), "--", *cmd],
                           env=env, capture_output=True, text=True, timeout=60)
        check(p.returncode == rc, f"record {cmd}: exit {p.returncode}, wanted {rc}\n{p.stderr}")
    check("killed by signal 11" in subprocess.run(
        [CLI, "record", "-o", os.path.join(tmp, "seg"), "--", "sh", "-c", "kill -SEGV $$"],
        env=env, capture_output=True, text=True).stderr, "summary lacks the signal")
    # Failing setup: the command must not run.
    marker = os.path.join(tmp, "ran")
    p = subprocess.run([CLI, "record", "--subbuf-size", "64M", "--num-subbuf", "1024", "--",
                        "touch", marker], env=env, capture_output=True, text=True)
    check(p.returncode == 1 and not os.path.exists(marker), "record ran CMD after a setup error")
    p = subprocess.run([CLI, "record"], env=env, capture_output=True, text=True)
    check(p.returncode == 2 and "needs a command" in p.stderr, p.stderr)
    # Default output: ~/rseqtrace-traces/NAME-YYYYMMDD-HHMMSS
    p = subprocess.run([CLI, "record", "--", "true"], env=env, capture_output=True, text=True)
    top = os.path.join(tmp, "rseqtrace-traces")
    check(p.returncode == 0, p.stderr)
    # Left private directories behind? (record cleans up after itself)
    leftovers = [n for n in os.listdir(tempfile.gettempdir()) if n.startswith("rseqtrace-record-")]
    check(not any(os.path.exists(os.path.join(tempfile.gettempdir(), n, "rseqtraced.sock"))
                  for n in leftovers), f"record left a socket behind: {leftovers}")
    del top


def test_daemon_guards():
    d = Daemon()
    try:
        # A second daemon on the same directory refuses.
        p = subprocess.run([DAEMON], env=d.env, capture_output=True, text=True, timeout=10)
        check(p.returncode == 1 and "already serves" in p.stderr, p.stderr)
        check(d.alive(), "first daemon died")
        d.ok("list")
    finally:
        d.cleanup()
    tmp = tmpdir()
    lax = os.path.join(tmp, "lax")
    os.mkdir(lax)
    os.chmod(lax, 0o755)
    p = subprocess.run([DAEMON, "--home", lax], capture_output=True, text=True, timeout=10)
    check(p.returncode == 1 and "accessible to other users" in p.stderr, p.stderr)
    check(not os.path.exists(os.path.join(lax, "rseqtraced.sock")), "socket created in lax dir")
    # --daemonize returns once listening, and the default dir is 0700.
    home = os.path.join(tmp, "fresh")
    env = dict(os.environ, RSEQTRACE_HOME=home)
    p = subprocess.run([DAEMON, "--daemonize"], env=env, capture_output=True, text=True, timeout=10)
    check(p.returncode == 0, p.stderr)
    check(stat.S_IMODE(os.stat(home).st_mode) == 0o700, "socket dir not 0700")
    pid = int(open(os.path.join(home, "rseqtraced.lock")).read())
    p = subprocess.run([CLI, "list"], env=env, capture_output=True, text=True)
    check(p.returncode == 0, p.stderr)
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        if not os.path.exists(f"/proc/{pid}"):
            break
        time.sleep(0.05)
    check(not os.path.exists(os.path.join(home, "rseqtraced.sock")), "socket left after SIGTERM")


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return int(parts[11]) + int(parts[12])  # utime + stime


def test_idle_and_shutdown():
    d = Daemon()
    try:
        out = os.path.join(d.tmp, "out")
        d.ok("create", "idle", "-o", out)
        time.sleep(0.3)
        t0 = cpu_ticks(d.proc.pid)
        time.sleep(2)
        t1 = cpu_ticks(d.proc.pid)
        check(t1 - t0 <= 1, f"idle daemon used {t1 - t0} ticks in 2 s")
        d.ok("start", "idle")
        rc = d.stop(signal.SIGINT)
        check(rc == 0, f"daemon exit status {rc} after SIGINT")
        check(not os.path.exists(os.path.join(d.home, "rseqtraced.sock")), "socket left behind")
        check("stopping sessions and shutting down" in d.log_text(), "no shutdown in the log")
        check(os.path.exists(os.path.join(out, "ust", "uid", str(os.getuid()), "64-bit", "metadata")),
              "no metadata after shutdown")
    finally:
        d.cleanup()


if __name__ == "__main__":
    run_tests([test_missing_daemon, test_errors_leave_nothing, test_rules_and_list,
               test_durations, test_help,
               test_libxml2_on_demand, test_record_status, test_daemon_guards,
               test_idle_and_shutdown])
