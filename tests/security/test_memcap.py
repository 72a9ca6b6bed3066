#!/usr/bin/python3
"""Issue 11 #7: a daemon-wide cap on shared buffer memory. Sessions with
large sub-buffers are refused once the cap would be passed, with an error
that names it; the daemon stays up and keeps serving the sessions it has;
a per-PID process refused buffers runs untraced there and `list` says so;
destroying sessions gives the memory back."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "daemon"))
from rtd import App, Daemon, check, read_trace, run_tests, tmpdir  # noqa: E402

# 4 MiB x 2 sub-buffers per CPU: one set is 8 MiB per CPU.
GEOMETRY = ("--subbuf-size", "4M", "--num-subbuf", "2")


def memory_line(d):
    """(used MiB, cap MiB) from `list`."""
    for line in d.ok("list").stdout.splitlines():
        if line.startswith("Buffer memory:"):
            w = line.split()
            return float(w[2]), float(w[6])
    raise AssertionError("list shows no buffer memory line:\n" + d.ok("list").stdout)


def test_buffer_memory_cap():
    ncpu = os.cpu_count()
    per_set = 8 * ncpu                  # MiB
    cap = 2 * per_set + per_set // 2    # room for two sets, not three
    d = Daemon(args=("--max-buffer-memory", f"{cap}M"))
    try:
        root = tmpdir()
        for n in ("s1", "s2", "s3"):
            d.ok("create", n, "-o", os.path.join(root, n), *GEOMETRY)
            d.ok("enable-event", "-s", n, "rtd:*")
        d.ok("start", "s1")
        d.ok("start", "s2")
        used, shown_cap = memory_line(d)
        check(shown_cap == cap, f"list shows a cap of {shown_cap} MiB, not {cap}")
        check(used >= 2 * per_set, f"list shows {used} MiB used for two sets of {per_set} MiB")
        p = d.cli("start", "s3")
        check(p.returncode != 0, "a third set over the cap was accepted")
        check(f"{cap} MiB" in p.stderr and "--max-buffer-memory" in p.stderr,
              "the error does not name the cap: " + p.stderr)
        check(d.alive(), "daemon died")
        # The sessions it has keep working.
        a = App(d, "--events", "100")
        check(a.wait(60) == 0, f"app failed: {a.err}")
        d.ok("stop", "s1")
        evs, _ = read_trace(os.path.join(root, "s1"))
        check(len([e for e in evs if e["name"] == "rtd:seq"]) == 100 or len(evs) >= 100,
              f"session s1 recorded {len(evs)} events, not 100")
        # A per-PID session: the process is refused buffers there, runs
        # untraced in it, and list counts it.
        d.ok("create", "pp", "-o", os.path.join(root, "pp"), "--buffers-pid", *GEOMETRY)
        d.ok("enable-event", "-s", "pp", "rtd:*")
        d.ok("start", "pp")  # no buffers yet: per-PID sets come with processes
        b = App(d, "--events", "10")
        check(b.wait(60) == 0, f"app failed: {b.err}")
        kv = d.kv("pp")
        check(kv.get("untraced_processes") == "1", f"list --kv pp: {kv}")
        lst = d.ok("list", "pp").stdout
        check("--max-buffer-memory" in lst, "list does not say why the process is untraced:\n" + lst)
        # Destroying gives the memory back: s3 starts now.
        d.ok("destroy", "s2")
        d.ok("start", "s3")
        for n in ("s1", "s3", "pp"):
            d.ok("destroy", n)
        used, _ = memory_line(d)
        check(used == 0, f"{used} MiB still counted after every session was destroyed")
        check(d.alive(), "daemon died")
    finally:
        d.cleanup()


def test_cap_option_and_help():
    d = Daemon(args=("--max-buffer-memory", "1G"))
    try:
        check(memory_line(d) == (0, 1024), "list does not show 0 of 1024 MiB")
        # One set larger than the whole cap is refused at create.
        p = d.cli("create", "huge", "-o", os.path.join(tmpdir(), "h"), "--subbuf-size", "64M",
                  "--num-subbuf", "16")
        check(p.returncode != 0 and "1024 MiB" in p.stderr, "a set over the cap was created: " +
              p.stdout + p.stderr)
    finally:
        d.cleanup()
    e = Daemon(env={"RSEQTRACE_MAX_BUFFER_MEMORY": "96M"})
    try:
        check(memory_line(e)[1] == 96, "the environment variable was not used")
    finally:
        e.cleanup()
    import subprocess
    from rtd import DAEMON
    h = subprocess.run([DAEMON, "--help"], capture_output=True, text=True).stdout
    check("--max-buffer-memory" in h and "--max-app-events" in h and "--max-metadata" in h,
          "rseqtraced --help does not document the caps")
    bad = subprocess.run([DAEMON, "--max-buffer-memory", "12Q"], capture_output=True, text=True)
    check(bad.returncode == 2 and "max-buffer-memory" in bad.stderr, "a bad size was accepted")


if __name__ == "__main__":
    run_tests([test_buffer_memory_cap, test_cap_option_and_help])
