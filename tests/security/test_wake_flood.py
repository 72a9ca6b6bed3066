#!/usr/bin/python3
"""Issue 11 #10: one program cannot wake or stall another's consumer.

The daemon's drain timer is held at 20 s, so only writers' wake-ups drain
(as in tests/daemon/test_wake.py). While a hostile app of the same user
floods every wake-up descriptor it holds (tapp --spam-wake: sends in a
loop for ~3 s, after clearing O_NONBLOCK), an honest app writes a burst into
the same per-UID buffers that only wake-ups can save (60 000 events into
4 x 64 KiB per CPU, paced: slack for a loaded machine):
  - the honest app loses nothing (as it does with no flooder, test_wake),
    every one of its events is in the trace exactly once;
  - the flood costs the daemon a bounded number of wake-ups and drain
    attempts per second (rate-limited per descriptor: at most a few hundred
    a second, where a wake-up socket shared by every app cost one drain
    pass per 64 datagrams, thousands a second, for as long as the flood
    lasted), and its CPU time over the flood stays bounded (< 60 % of one
    CPU, from /proc/PID/stat);
  - the flooder is not held up and the daemon serves the CLI throughout.
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "daemon"))
from rtd import App, Daemon, check, read_trace, run_tests, wait_until  # noqa: E402

EVENTS = 60000
TIMER = ["--drain-min-ms", "20000", "--drain-max-ms", "20000"]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_flood_does_not_stall_or_spin():
    d = Daemon(args=TIMER)
    try:
        out = os.path.join(d.tmp, "out")
        d.ok("create", "w", "-o", out, "--subbuf-size", "65536", "--num-subbuf", "4")
        d.ok("enable-event", "rtd:seq")
        d.ok("start")
        flooder = App(d, "--role", "1", "--events", "3000", "--sleep-us", "1000", "--spam-wake")
        wait_until(lambda: f"[{flooder.pid}]" in d.ok("list").stdout, "the flooder to register")
        time.sleep(0.3)  # the flood is on
        c0, t0 = cpu_seconds(d.proc.pid), time.time()
        honest = App(d, "--role", "2", "--events", str(EVENTS), "--sleep-us", "20")
        check(honest.wait(60) == 0, "honest app failed: " + honest.err)
        d.ok("list")  # the CLI is served during the flood
        check(flooder.wait(60) == 0, "flooder failed: " + flooder.err)
        c1, t1 = cpu_seconds(d.proc.pid), time.time()
        m = re.search(r"spammed=(\d+)", flooder.out)
        check(m and int(m.group(1)) > 0, "the flooder found no wake-up socket: " + flooder.out)
        share = (c1 - c0) / (t1 - t0)
        print(f"  flood: {m.group(1)} datagrams sent in {t1 - t0:.1f} s; daemon CPU {share:.0%}")
        check(t1 - t0 < 19, f"the run took {t1 - t0:.1f} s: the 20 s timer may have drained")
        d.ok("stop")
        events, discarded = read_trace(out)
        seqs = [e["fields"]["seq"] for e in events
                if e["name"] == "rtd:seq" and e["fields"]["role"] == 2]
        lost = sum(discarded.values())
        check(sorted(seqs) == list(range(EVENTS)) and lost == 0,
              f"honest app: {len(seqs)} of {EVENTS} events recorded ({len(set(seqs))} distinct), "
              f"{lost} discarded")
        check(share < 0.6, f"the daemon used {share:.0%} of a CPU during the flood")
        d.stop()
        m = re.search(r"exiting \((\d+) wakeups, (\d+) drain passes, (\d+) writer wake-ups\)",
                      d.log_text())
        check(m, "no exit line in the daemon log")
        wakeups, writer_wakeups = int(m.group(1)), int(m.group(3))
        rate = writer_wakeups / (t1 - t0)
        print(f"  daemon: {wakeups} wake-ups, {writer_wakeups} writer wake-ups ({rate:.0f}/s)")
        check(rate < 400, f"{writer_wakeups} writer wake-ups in {t1 - t0:.1f} s: the flood "
              "is not rate-limited")
    finally:
        d.cleanup()


if __name__ == "__main__":
    sys.exit(run_tests([test_flood_does_not_stall_or_spin]))
