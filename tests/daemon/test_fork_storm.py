#!/usr/bin/python3
"""Fork storms during session changes, through the daemon: while
tests/tracepoints/tp_forkstorm forks from 3 threads (every child registers
with the daemon), starts and stops its in-process session, loads and
unloads a provider library and traces, the CLI enables and disables events
and starts and stops the daemon's session in a loop. A lock-order deadlock
in the application shows as its alarm (tp_forkstorm fails), or as a change
it never acknowledges (the daemon logs it)."""
import os
import time

from rtd import BUILD, App, Daemon, check, run_tests

APP = os.environ.get("RT_FSAPP") or os.path.join(BUILD, "tests", "tracepoints", "tp_forkstorm")
PROBES = os.environ.get("RT_LJPROBES") or os.path.join(BUILD, "tests", "tracepoints",
                                                      "libtp_dlprobes.so")
SECONDS = 8


def test_fork_storm_during_session_changes():
    d = Daemon(args=("--ack-timeout-ms", "5000"))
    try:
        out = os.path.join(d.tmp, "out")
        d.ok("create", "fs", "-o", out)
        d.ok("enable-event", "stress:*")
        d.ok("start")
        app = App(d, d.tmp, PROBES, str(SECONDS), exe=APP)
        rounds = 0
        t0 = time.time()
        while time.time() - t0 < SECONDS - 1 and app.proc.poll() is None:
            d.ok("enable-event", "dlprov:*")
            d.ok("stop")
            d.ok("disable-event", "dlprov:*")
            d.ok("start")
            rounds += 1
        rc = app.wait(60)
        d.ok("stop")
        check(rc == 0 and "PASS" in app.out.split(),
              f"tp_forkstorm exited {rc}:\n{app.out}\n{app.err[-3000:]}")
        check("did not acknowledge" not in d.log_text(),
              "the application did not acknowledge a change:\n" + d.log_text()[-3000:])
        check(rounds > 0, "no session change happened during the storm")
        print(f"{rounds} rounds of enable, stop, disable, start; {app.out.strip()}")
    finally:
        d.cleanup()


if __name__ == "__main__":
    run_tests([test_fork_storm_during_session_changes])
