#!/usr/bin/python3
"""Channel timers (enable-channel --switch-timer/--read-timer, lttng's
meaning): with a switch timer of 100 ms, the one event of an app that then
sleeps reaches the trace files within 2 s while the app still runs; without
one, it is not there after 2.5 s, and is at stop. A read timer bounds the
daemon's polling period for the channel."""
import os
import time

from rtd import App, Daemon, check, read_trace, registered, run_tests, tmpdir, wait_until


def seq_events(out):
    """The rtd:seq events decodable now (a trace being written: what the
    daemon has put in the files so far)."""
    try:
        events, _ = read_trace(out)
    except Exception:  # noqa: BLE001 — no complete packet yet
        return []
    return [e for e in events if e["name"] == "rtd:seq"]


def one_event_then_sleep(timer_args):
    """(seconds until the event was in the files while the app slept, or
    None after 2.5 s; whether the stop brought it)."""
    d = Daemon()
    hold = os.path.join(tmpdir(), "hold")
    try:
        out = os.path.join(tmpdir(), "out")
        d.ok("create", "tm", "-o", out)
        d.ok("enable-channel", "-u", "c", *timer_args)
        d.ok("enable-event", "-u", "-c", "c", "rtd:seq")
        d.ok("start")
        app = App(d, "--events", "1", "--hold", hold)
        wait_until(lambda: registered(d, app.pid), "the app to register")
        t0 = time.time()
        seen = None
        while time.time() - t0 < 2.5:
            if seq_events(out):
                seen = time.time() - t0
                break
            time.sleep(0.05)
        check(app.proc.poll() is None, "the app exited before its hold file")
        d.ok("stop")
        at_stop = len(seq_events(out))
        open(hold, "w").close()
        check(app.wait() == 0, f"app: {app.err}")
        return seen, at_stop
    finally:
        if not os.path.exists(hold):
            open(hold, "w").close()
        d.cleanup()


def test_switch_timer():
    seen, at_stop = one_event_then_sleep(["--switch-timer", "100000"])
    check(seen is not None and seen < 2.0, f"with a 100 ms switch timer: seen after {seen}")
    check(at_stop == 1, f"{at_stop} rtd:seq events after stop, want 1")


def test_no_switch_timer():
    seen, at_stop = one_event_then_sleep([])
    check(seen is None, f"without a switch timer the event was in the files after {seen} s "
                        "(the open packet must wait for the stop)")
    check(at_stop == 1, f"{at_stop} rtd:seq events after stop, want 1")


def drain_passes(read_timer_args, before=None, create=None):
    """The daemon's drain passes over 2 s of a recording session (made
    with create, default -o DIR; after the session `before` made with
    its own arguments, if given, started too)."""
    import re
    d = Daemon()
    try:
        if before:
            d.ok("create", "before", *before)
            d.ok("enable-event", "-s", "before", "rtd:seq")
            d.ok("start", "before")
        d.ok("create", "rt", *(create or ["-o", os.path.join(tmpdir(), "out")]))
        d.ok("enable-channel", "-u", "c", *read_timer_args)
        d.ok("enable-event", "-u", "-c", "c", "rtd:seq")
        d.ok("start", "rt")
        time.sleep(2.0)
        d.ok("stop", "rt")
        d.stop()
        m = re.search(r"(\d+) drain passes", d.log_text())
        check(m is not None, "no drain passes in the daemon log:\n" + d.log_text()[-2000:])
        return int(m.group(1))
    finally:
        d.cleanup()


def test_read_timer_period():
    """A 5 ms read timer: the daemon polls the channel at least every 5 ms
    while the session records; without one, the adaptive timer slows down
    on an idle session."""
    fast, idle = drain_passes(["--read-timer", "5000"]), drain_passes([])
    # About behaviour, not timing: 400 passes are due in 2 s; a quarter
    # of them, and twice as many as without the timer, whatever the load.
    check(fast >= 100, f"{fast} drain passes in 2 s with a 5 ms read timer (400 due)")
    check(fast >= 2 * idle, f"{fast} drain passes in 2 s with a 5 ms read timer, "
                            f"{idle} without one")


def test_read_timer_beside_another_session():
    """The read timer holds while an older session without timers records
    too (the period was the last session's in the daemon's list: the
    timer of a newer one was ignored)."""
    fast = drain_passes(["--read-timer", "5000"], before=["-o", os.path.join(tmpdir(), "b")])
    check(fast >= 100, f"{fast} drain passes in 2 s with a 5 ms read timer beside another "
                       "session (400 due)")


def test_live_timer_period():
    """A live session (a real lttng-relayd) is polled at an eighth of its
    live timer: a stream idle for the timer is flushed within an eighth of
    it past the timer, not a whole drain_max_ms later."""
    from relayd_util import Relayd
    r = Relayd()
    try:
        fast = drain_passes([], create=["--set-url", r.url(), "--live=80000"])
        # 200 passes are due in 2 s (every 10 ms); a quarter, whatever the load.
        check(fast >= 50, f"{fast} drain passes in 2 s of an 80 ms live session (200 due)")
    finally:
        r.stop()


if __name__ == "__main__":
    run_tests([test_switch_timer, test_no_switch_timer, test_read_timer_period,
               test_read_timer_beside_another_session, test_live_timer_period])
