#!/usr/bin/python3
"""rseqtrace and LTTng stream to the same unmodified lttng-relayd at the
same time (issue 14): both traces land in the relayd's output, and
babeltrace2 reads them merged, every event of each side there. Uses the
running lttng-sessiond, or starts one and stops it after (as
scripts/lttng-capture does)."""
import os
import shutil
import subprocess
import time

from relayd_util import Relayd
from rtd import BUILD, App, Daemon, Fail, bt_clean, check, read_trace, run_tests

HELLO = os.path.join(BUILD, "tests", "lttng", "hello-lttng")


def sessiond_running():
    f = "/var/run/lttng/lttng-sessiond.pid" if os.getuid() == 0 else \
        os.path.expanduser("~/.lttng/lttng-sessiond.pid")
    try:
        os.kill(int(open(f).read()), 0)
        return int(open(f).read())
    except (OSError, ValueError):
        return 0


def lttng(*args):
    p = subprocess.run(["lttng", *args], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise Fail(f"lttng {' '.join(args)}: {p.stdout} {p.stderr}")
    return p.stdout


def test_lttng_alongside():
    if not shutil.which("lttng") or not os.path.exists(HELLO):
        raise Fail("lttng-tools or the hello-lttng build is missing")
    started = 0
    if not sessiond_running():
        subprocess.run(["lttng-sessiond", "--daemonize", "--no-kernel"], check=True, timeout=30)
        started = sessiond_running()
        check(started, "lttng-sessiond did not start")
    r = Relayd()
    d = Daemon()
    lt = f"rtlt-{os.getpid()}"
    lt_made = False
    try:
        d.ok("create", "ours", "-U", r.url(), "--hostname", "rthost", "--subbuf-size", "64k",
             "--num-subbuf", "16")
        d.ok("enable-event", "rtd:*")
        d.ok("start")
        lttng("create", lt, f"--set-url={r.url()}")
        lt_made = True
        lttng("enable-event", "-u", "-s", lt, "hello:*")
        lttng("start", lt)
        n, rounds = 5000, 500
        app = App(d, "--role", "1", "--events", str(n))
        hello = subprocess.run([HELLO, str(rounds)], capture_output=True, text=True, timeout=60)
        check(hello.returncode == 0, f"hello-lttng: {hello.stderr}")
        check(app.wait() == 0, "rt_tapp")
        lttng("stop", lt)
        lttng("destroy", lt)
        lt_made = False
        d.ok("stop")
        kv = d.kv("ours")
        d.ok("destroy")
        deadline = time.time() + 20
        while True:
            events, discarded = read_trace(r.out)
            ours = [e for e in events if e["name"] == "rtd:seq"]
            theirs = [e for e in events if e["name"].startswith("hello:")]
            if (len(ours) + int(kv["discarded"]) >= n and len(theirs) >= 4 * rounds) or \
                    time.time() > deadline:
                break
            time.sleep(0.3)
        check(len(ours) + sum(discarded.values()) >= n and int(kv["discarded"]) ==
              sum(discarded.values()) and len(ours) + int(kv["discarded"]) == n,
              f"ours: {len(ours)} + {kv['discarded']} discarded != {n}")
        check(sorted(int(e["fields"]["seq"]) for e in ours) == list(range(n))
              or int(kv["discarded"]) > 0, "ours: events missing or doubled")
        check(len(theirs) == 4 * rounds, f"LTTng's: {len(theirs)} of {4 * rounds} events")
        hosts = sorted(os.listdir(r.out))
        check("rthost" in hosts and len(hosts) == 2, f"relayd output hosts: {hosts}")
        bt_clean(r.out)
    except Exception:
        print(d.log_text()[-3000:], r.log_text())
        raise
    finally:
        if lt_made:
            subprocess.run(["lttng", "destroy", lt], capture_output=True, timeout=60)
        d.cleanup()
        r.stop()
        if started:
            os.kill(started, 15)


run_tests([test_lttng_alongside])
