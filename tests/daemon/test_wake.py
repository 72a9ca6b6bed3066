#!/usr/bin/python3
"""Writer wake-ups (ringbuf.h, invariant I5) through the real daemon.

The daemon's drain timer is held at 20 s (--drain-min-ms = --drain-max-ms =
20000), so within a run of a few seconds it never fires: only writers'
wake-ups can drain. An app emits 40 000 events (about 2 MB) into 4 x 16 KiB per CPU,
paced (usleep between events):
  - with wake-ups, in blocking mode (a writer that finds the buffer full
    waits for space instead of dropping), the run ends within seconds,
    nothing is discarded, every event is in the trace exactly once, and
    the daemon counted writer wake-ups: a lost wake-up would leave the
    writer waiting for the 20 s timer. Blocking mode makes this a liveness
    check that does not depend on how fast a loaded machine schedules the
    daemon (in discard mode a daemon kept off the CPU for the ~100 ms the
    buffer lasts would lose events, and rightly count them);
  - with --no-writer-wakeup (the control), the same run in discard mode
    loses most events: proof that the first result needs the wake-ups.
Plus: an idle daemon with a started session and no events gets no writer
wake-ups, and bytes an app sends on the wake-up socket of its own accord
cost the daemon a drain pass, nothing else.
"""
import os
import re
import time

from rtd import (App, Daemon, check, fd_count, read_trace, run_tests, settled_fd_count,
                 wait_until)

EVENTS = 40000
SLEEP_US = "20"
TIMER = ["--drain-min-ms", "20000", "--drain-max-ms", "20000"]


def session(d, out, blocking=False):
    d.ok("create", "w", "-o", out, "--subbuf-size", "16384", "--num-subbuf", "4",
         *(["--blocking-timeout", "inf"] if blocking else []))
    d.ok("enable-event", "rtd:seq")
    d.ok("start")


def exit_counts(d):
    """(wakeups, drain passes, writer wake-ups) from the daemon's last line."""
    m = re.search(r"exiting \((\d+) wakeups, (\d+) drain passes, (\d+) writer wake-ups\)",
                  d.log_text())
    check(m, "no exit line in the daemon log:\n" + d.log_text()[-2000:])
    return tuple(int(x) for x in m.groups())


def burst(wake):
    d = Daemon(args=TIMER + ([] if wake else ["--no-writer-wakeup"]))
    try:
        out = os.path.join(d.tmp, "out")
        session(d, out, blocking=wake)
        t0 = time.time()
        a = App(d, "--role", "7", "--events", str(EVENTS), "--sleep-us", SLEEP_US)
        check(a.wait() == 0, "app failed: " + a.err)
        took = time.time() - t0
        # The timer never fired during the run: only wake-ups drained.
        check(took < 19, f"the app took {took:.1f} s: the 20 s timer may have drained")
        d.ok("stop")
        kv = d.kv("w")
        events, discarded = read_trace(out)
        seqs = [e["fields"]["seq"] for e in events if e["name"] == "rtd:seq"]
        lost = sum(discarded.values())
        d.stop()
        wakeups, passes, writer_wakeups = exit_counts(d)
        check(passes == 0, f"{passes} timer drain passes: the timer drained too")
        return dict(took=took, kv=kv, seqs=seqs, lost=lost, wakeups=wakeups, passes=passes,
                    writer_wakeups=writer_wakeups)
    finally:
        d.cleanup()


def test_wakeups_drain_a_burst():
    r = burst(wake=True)
    print(f"  with wake-ups: {len(r['seqs'])} events, {r['lost']} discarded, "
          f"{r['writer_wakeups']} writer wake-ups, {r['passes']} timer passes, {r['took']:.1f} s")
    check(r["lost"] == 0 and r["kv"]["discarded"] == "0" and r["kv"]["pending_discarded"] == "0",
          f"discarded: trace {r['lost']}, list {r['kv']['discarded']} + "
          f"{r['kv']['pending_discarded']}")
    check(sorted(r["seqs"]) == list(range(EVENTS)),
          f"{len(r['seqs'])} events recorded, {len(set(r['seqs']))} distinct, of {EVENTS}")
    check(r["writer_wakeups"] > 0, "no writer wake-up reached the daemon")


def test_control_without_wakeups_loses():
    r = burst(wake=False)
    print(f"  without wake-ups: {len(r['seqs'])} events, {r['lost']} discarded")
    check(r["writer_wakeups"] == 0, f"{r['writer_wakeups']} wake-ups with --no-writer-wakeup")
    # Nothing drains before stop: at most one buffer per CPU survives.
    check(r["lost"] > EVENTS // 2, f"only {r['lost']} of {EVENTS} events lost without "
          "wake-ups: this test cannot tell wake-ups from the timer")
    check(len(r["seqs"]) + r["lost"] == EVENTS, "recorded + discarded != emitted")


def test_idle_session_no_wakeups():
    """No events, no writer wake-ups; and the wake-up sockets go with the
    session (the daemon's descriptors are back where they were)."""
    d = Daemon(args=TIMER)
    try:
        d.ok("list")
        base = settled_fd_count(d.proc.pid)
        session(d, os.path.join(d.tmp, "out"))
        a = App(d, "--role", "3", "--events", "0", "--wait", os.path.join(d.tmp, "go"))
        time.sleep(2)
        open(os.path.join(d.tmp, "go"), "w").close()
        check(a.wait() == 0, "app failed: " + a.err)
        d.ok("stop")
        d.ok("destroy")
        # The last CLI's connection closes a moment after its answer.
        wait_until(lambda: fd_count(d.proc.pid) <= base, "the daemon's descriptors to go back",
                   timeout=5)
        fds = fd_count(d.proc.pid)
        check(fds == base, f"descriptor leak: {fds} after destroy, {base} before create")
        d.stop()
        _, _, writer_wakeups = exit_counts(d)
        check(writer_wakeups == 0, f"{writer_wakeups} writer wake-ups with no events")
    finally:
        d.cleanup()


def test_app_spamming_the_wake_socket():
    """An app that makes the shared wake-up socket blocking (O_NONBLOCK is
    shared by every holder) and sends on it in a loop while another app
    traces into the same per-UID buffers: the other app's writers never
    block, the daemon never blocks reading and keeps serving, and the trace
    is consistent (each event at most once, recorded + discarded = emitted)."""
    d = Daemon()
    try:
        out = os.path.join(d.tmp, "out")
        session(d, out)
        spam = App(d, "--role", "1", "--events", "4000", "--sleep-us", "50", "--spam-wake")
        normal = App(d, "--role", "2", "--events", "4000", "--sleep-us", "50")
        t0 = time.time()
        check(normal.wait(30) == 0, "app failed: " + normal.err)
        check(spam.wait(30) == 0, "spamming app failed: " + spam.err)
        check(time.time() - t0 < 20, "the apps were held up")
        m = re.search(r"spammed=(\d+)", spam.out)
        check(m and int(m.group(1)) > 0, "the spamming app found no wake-up socket: " + spam.out)
        check(d.alive(), "daemon died")
        d.ok("list")
        d.ok("stop")
        events, discarded = read_trace(out)
        total = 0
        for role in (1, 2):
            seqs = [e["fields"]["seq"] for e in events
                    if e["name"] == "rtd:seq" and e["fields"]["role"] == role]
            check(len(seqs) == len(set(seqs)) and all(0 <= q < 4000 for q in seqs),
                  f"role {role}: duplicated or unknown events")
            total += len(seqs)
        check(total + sum(discarded.values()) == 8000,
              f"recorded {total} + discarded {sum(discarded.values())} != 8000")
        print(f"  spam: {m.group(1)} datagrams sent, {total} events recorded, "
              f"{sum(discarded.values())} discarded")
    finally:
        d.cleanup()


if __name__ == "__main__":
    run_tests([test_wakeups_drain_a_burst, test_control_without_wakeups_loses,
               test_idle_session_no_wakeups, test_app_spamming_the_wake_socket])
