#!/usr/bin/python3
"""Measures what draining and flushing cost (not a test: prints figures).

  RT_BUILD=build /usr/bin/python3 tests/daemon/measure_drain.py

- daemon CPU time and wakeups (voluntary context switches) while idle with
  no session, and with a started session and no events;
- daemon CPU and discarded events while one app traces at several rates;
- how long `stop` takes (flush pinned to each CPU, then drain);
- what registration adds to an instrumented program's start-up.
"""
import os
import signal
import statistics
import subprocess
import time

from rtd import TAPP, App, Daemon

CLK = os.sysconf("SC_CLK_TCK")


def sample(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    ticks = int(parts[11]) + int(parts[12])
    with open(f"/proc/{pid}/status") as f:
        vol = [int(l.split()[1]) for l in f if l.startswith("voluntary_ctxt_switches")][0]
    return ticks, vol


def watch(d, seconds):
    t0, w0 = sample(d.proc.pid)
    time.sleep(seconds)
    t1, w1 = sample(d.proc.pid)
    return (t1 - t0) / CLK / seconds * 100, (w1 - w0) / seconds


def main():
    d = Daemon()
    try:
        cpu, wk = watch(d, 5)
        print(f"idle, no session:            CPU {cpu:5.2f} %   wakeups {wk:6.1f}/s")
        out = os.path.join(d.tmp, "out")
        d.ok("create", "m", "-o", out)
        d.ok("enable-event", "rtd:*")
        d.ok("start")
        time.sleep(1.5)  # let the drain period back off to its maximum
        cpu, wk = watch(d, 5)
        print(f"started session, no events:  CPU {cpu:5.2f} %   wakeups {wk:6.1f}/s")
        for sleep_us in ("100", "10", "0"):
            prog = os.path.join(d.tmp, "p" + sleep_us)
            a = App(d, "--role", "1", "--forever", "--sleep-us", sleep_us, "--progress", prog)
            time.sleep(1)
            p0 = int(open(prog).read() or 0)
            cpu, wk = watch(d, 3)
            p1 = int(open(prog).read() or 0)
            a.proc.send_signal(signal.SIGKILL)
            a.wait()
            rate = (p1 - p0) / 3
            kv = d.kv("m")
            print(f"app at {rate / 1e3:8.0f} k events/s: daemon CPU {cpu:5.2f} %   wakeups "
                  f"{wk:6.1f}/s   discarded so far {kv['discarded']} + {kv['pending_discarded']}")
        stops = []
        for i in range(5):
            if i:
                d.ok("start")
            a = App(d, "--role", "1", "--events", "1000")
            a.wait()
            t = time.time()
            d.ok("stop")
            stops.append((time.time() - t) * 1000)
        print(f"stop (flush 2 CPUs + drain): median {statistics.median(stops):.1f} ms "
              f"(min {min(stops):.1f}, max {max(stops):.1f})")
        d.ok("destroy")
        runs = {}
        for label, env in (("no daemon", {"RSEQTRACE_HOME": "/nonexistent"}),
                           ("daemon, no session", {}),):
            ts = []
            for _ in range(20):
                e = dict(d.env, **env)
                t = time.time()
                subprocess.run([TAPP, "--events", "0"], env=e, capture_output=True)
                ts.append((time.time() - t) * 1000)
            runs[label] = statistics.median(ts)
        d.ok("create", "m2", "-o", out + "2")
        d.ok("enable-event", "*")
        d.ok("start")
        ts = []
        for _ in range(20):
            t = time.time()
            subprocess.run([TAPP, "--events", "0"], env=d.env, capture_output=True)
            ts.append((time.time() - t) * 1000)
        runs["started session"] = statistics.median(ts)
        for k, v in runs.items():
            print(f"start-up + exit of an instrumented program, {k:20s}: {v:6.2f} ms (median of 20)")
        d.stop()
        print(d.log_text().strip().splitlines()[-1])
    finally:
        d.cleanup()


if __name__ == "__main__":
    main()
