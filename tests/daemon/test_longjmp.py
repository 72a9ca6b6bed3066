#!/usr/bin/python3
"""The case issue 10 reported, with the real daemon and CLI: an application
whose main thread jumps out of probes with siglongjmp (a timer signal every
300 us whose handler traces and jumps, 1,400 times, and one jump certainly
out of a probe: tests/tracepoints/tp_longjmp.c). `rseqtrace stop` must be
acknowledged by the application (the daemon waits 5 s here, and logs it
when an application did not answer), then the application's dlclose() and
fork() must return (tp_longjmp fails past 10 s), and the trace must hold
what the thread traced."""
import os
import time

from rtd import BUILD, App, Daemon, check, read_trace, run_tests, wait_until

APP = os.environ.get("RT_LJAPP") or os.path.join(BUILD, "tests", "tracepoints", "tp_longjmp")
PROBES = os.environ.get("RT_LJPROBES") or os.path.join(BUILD, "tests", "tracepoints",
                                                      "libtp_dlprobes.so")


def test_stop_fork_dlclose_after_jumps():
    d = Daemon(args=("--ack-timeout-ms", "5000"))
    try:
        out = os.path.join(d.tmp, "out")
        d.ok("create", "lj", "-o", out, "--subbuf-size", "256k", "--num-subbuf", "8")
        d.ok("enable-event", "lj:*")
        d.ok("enable-event", "dlprov:*")
        d.ok("start")
        ready, go = os.path.join(d.tmp, "ready"), os.path.join(d.tmp, "go")
        app = App(d, d.tmp, PROBES, "daemon", ready, go, exe=APP)
        wait_until(lambda: os.path.exists(ready), "the application's jumps", 60)
        t0 = time.time()
        d.ok("stop")
        took = time.time() - t0
        open(go, "w").close()
        rc = app.wait(60)
        check(rc == 0 and "PASS" in app.out.split(),
              f"tp_longjmp exited {rc}:\n{app.out}\n{app.err}")
        check("did not acknowledge" not in d.log_text(),
              f"stop waited {took:.1f} s: the application did not acknowledge it:\n"
              f"{d.log_text()[-3000:]}")
        events, _ = read_trace(out)
        storm = sum(1 for e in events if e["name"] == "lj:ev" and int(e["fields"]["kind"]) == 0)
        check(storm > 0, "none of the events traced during the jumps was recorded")
        print(f"stop took {took:.2f} s; {storm} events of the jumping thread recorded")
    finally:
        d.cleanup()


if __name__ == "__main__":
    run_tests([test_stop_fork_dlclose_after_jumps])
