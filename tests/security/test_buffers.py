#!/usr/bin/python3
"""Issue 11, items 1 and 4: nothing an application writes in the shared
buffers is trusted by the daemon: not a lock, not a packet header, not a
position, not a counter.

  words        the issue's attack: a per-UID session, an honest app, and a
               same-user app writing random words over the shared mapping
               for 2 s. The trace stays readable, the honest app's events
               reach it, discarded stays sane, and the CPU buffers are not
               abandoned: a second honest app afterwards is fully recorded.
  headers      an app overwrites only packet header fields (magic, stream
               id, sizes, ...): no event is lost, silently or otherwise.
  counters     absurd lost-event counters: discarded stays sane and counted.
  prefix       garbage left at the writers' offset in an open sub-buffer,
               with the offset moved past it (on the 8-byte grid or off
               it): the records before it are kept, the rest of that
               packet (which no header length delimits any more) is
               counted as corrupt, and the stream goes on with the next
               packet; list and trace agree.
  restart      records committed while stopped are skipped, so the
               reading resumes inside a packet it never decoded the start
               of: every timestamp is still exact (compact headers count
               from the packet's begin, ringbuf/packet.h).
  sigstop      an app stopped by SIGSTOP during `stop`: stop returns in
               bounded time; what it writes once continued is not added to
               the stopped trace, and list and the trace agree.
"""
import os
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "daemon"))
from rtd import (SCRIBBLER, TAPP, App, Daemon, bt_clean, check, check_timestamps, need,  # noqa: E402
                 read_trace, registered, run_tests, wait_until)


def bt_readable(path):
    """babeltrace2 reads the whole trace with exit 0. A record an attacker
    changed inside (a string's bytes) may still decode: such text is not
    UTF-8, so it is not decoded here."""
    p = subprocess.run([shutil.which("babeltrace2") or "babeltrace2", str(path)],
                       capture_output=True, timeout=120)
    err = p.stderr.decode(errors="replace")
    check(p.returncode == 0, f"babeltrace2 {path} exited {p.returncode}: {err[-2000:]}")
    bad = [l for l in err.splitlines() if l.strip() and "discarded" not in l]
    check(not bad, "babeltrace2 printed:\n" + "\n".join(bad[:20]))

SANE = 10**9  # far more than any test here emits; 1.7e18 was the bug


def role_events(events, role):
    return [e for e in events if e["name"] == "rtd:seq" and e["fields"].get("role") == role]


def missing_ranges(events, n):
    """The seq numbers in [0, n) absent from events, as ranges."""
    have = {e["fields"]["seq"] for e in events}
    out, start = [], None
    for i in range(n + 1):
        if i < n and i not in have:
            start = i if start is None else start
        elif start is not None:
            out.append(f"{start}-{i - 1}")
            start = None
    return ", ".join(out) or "none"


def start_session(d, out, subbuf="4k"):
    d.ok("create", "s", "-o", out, "--subbuf-size", subbuf, "--num-subbuf", "4")
    d.ok("enable-event", "rtd:*")
    d.ok("start")


def scribbled_session(mode, honest_events, sleep_us, subbuf="4k"):
    """Runs an honest app (role 1) next to the scribbler, then another
    honest app (role 2) once the scribbler is gone. Returns (d, out, kv,
    events, discarded-by-stream)."""
    need(SCRIBBLER)
    d = Daemon()
    out = os.path.join(d.tmp, "out")
    start_session(d, out, subbuf)
    s = subprocess.Popen([SCRIBBLER, mode, "2"], env=d.env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    good = App(d, "--role", "1", "--events", str(honest_events), "--sleep-us", str(sleep_us))
    check(good.wait(120) == 0, good.err)
    sout, serr = s.communicate(timeout=60)
    check(s.returncode == 0 and "mapped" in sout, f"scribbler: {s.returncode} {serr}")
    check(d.alive(), f"{mode}: the daemon died:\n" + d.log_text()[-3000:])
    kv0 = d.kv("s")
    lost_before = int(kv0["discarded"]) + int(kv0["pending_discarded"])
    after = App(d, "--role", "2", "--events", "2000", "--sleep-us", "50")
    check(after.wait(60) == 0, after.err)
    t0 = time.time()
    p = d.cli("stop", timeout=60)
    check(time.time() - t0 < 10, f"stop took {time.time() - t0:.1f} s")
    check(p.returncode == 0, f"stop failed: {p.stdout} {p.stderr}")
    check(d.alive(), f"{mode}: the daemon died at stop")
    kv = d.kv("s")
    bt_readable(out)
    events, discarded = read_trace(out)
    kv["lost_after"] = int(kv["discarded"]) - lost_before
    return d, out, kv, p.stdout + p.stderr, events, discarded


def test_random_words():
    d, out, kv, stop_text, events, discarded = scribbled_session("words", 30000, 20)
    try:
        check_timestamps(events)
        honest = role_events(events, 1)
        check(len(honest) > 0, "none of the honest app's events reached the trace")
        check(len(honest) <= 30000, f"{len(honest)} events of 30000 recorded")
        recorded, disc = int(kv["events"]), int(kv["discarded"])
        check(recorded == len(events), f"list says {recorded} events, the trace has {len(events)}")
        check(disc < SANE, f"discarded {disc}")
        check(sum(discarded.values()) == disc,
              f"the trace reports {sum(discarded.values())} discarded, list {disc}")
        check(int(kv.get("pending_discarded", "0")) == 0, "losses left unreported after stop")
        # Not abandoned: the buffers are read after the attack as before it.
        # The attack may leave garbage in a CPU's open packet, before the
        # writers' offset: the second app's first records on that CPU then
        # follow it in the packet, where records cannot be delimited
        # (ringbuf/packet.h, no length): lost, counted as one (the cut),
        # as garbage_before_honest_records shows. Uncounted, at most the
        # rest of one 4 KiB packet per CPU (records of at least 32 bytes).
        later = role_events(events, 2)
        uncounted = 2000 - len(later) - kv["lost_after"]
        packet_room = os.cpu_count() * 4096 // 32
        check(len(later) >= 1000 and uncounted <= packet_room,
              f"after the attack {len(later)} of 2000 events recorded, {kv['lost_after']} "
              f"discarded, missing seq {missing_ranges(later, 2000)}: {kv}\n"
              f"{d.ok('list', 's').stdout}\n{d.log_text()[-3000:]}")
        print(f"words: {len(honest)} of 30000 honest events recorded, {len(later)} of 2000 "
              f"after, {disc} discarded, corrupt {kv.get('corrupt_events')} events "
              f"{kv.get('corrupt_packets')} packets, counter resets {kv.get('counter_resets')}")
    finally:
        d.cleanup()


def test_headers_only():
    d, out, kv, stop_text, events, discarded = scribbled_session("headers", 30000, 20)
    try:
        check_timestamps(events)
        honest = role_events(events, 1)
        later = role_events(events, 2)
        recorded, disc = int(kv["events"]), int(kv["discarded"])
        check(recorded == len(events), f"list says {recorded} events, the trace has {len(events)}")
        # Headers carry nothing the daemon uses but a bounded size: every
        # record is intact, so nothing may be missing without being counted.
        check(len(honest) + disc >= 30000 and len(later) + disc >= 2000,
              f"{len(honest)} + {len(later)} recorded, {disc} discarded, of 30000 + 2000")
        check(disc < SANE, f"discarded {disc}")
        print(f"headers: {len(honest)} of 30000 and {len(later)} of 2000 recorded, "
              f"{disc} discarded, {kv.get('corrupt_packets')} packets with impossible sizes")
    finally:
        d.cleanup()


def test_counters():
    # Buffers the honest app does not fill: its losses would be counted by
    # the very counters the scribbler overwrites (a reset takes no delta),
    # and the check is that no event goes missing uncounted.
    d, out, kv, stop_text, events, discarded = scribbled_session("counters", 20000, 20, "1M")
    try:
        disc = int(kv["discarded"])
        check(disc < SANE, f"discarded {disc}: the counters' jumps were taken")
        check(int(kv["counter_resets"]) > 0, "the scribbled counters were not noticed")
        check(len(role_events(events, 1)) + disc >= 20000, "events lost silently")
        print(f"counters: discarded {disc}, {kv['counter_resets']} counter resets")
    finally:
        d.cleanup()


def garbage_before_honest_records(mode):
    need(SCRIBBLER)
    taskset = shutil.which("taskset")
    check(taskset is not None, "taskset (util-linux) is needed to keep the apps on CPU 0")
    d = Daemon()
    try:
        out = os.path.join(d.tmp, "out")
        start_session(d, out)
        # A few records open a packet on CPU 0 and leave it open.
        a = App(d, "-c", "0", TAPP, "--role", "1",
                "--events", "5", exe=taskset)
        check(a.wait(60) == 0, a.err)
        s = subprocess.run([taskset, "-c", "0", SCRIBBLER, mode, "0"], env=d.env,
                           capture_output=True, text=True, timeout=60)
        check(s.returncode == 0 and "prefixed=0" in s.stdout.split(),
              f"the scribbler found no open packet on CPU 0: {s.stdout} {s.stderr}")
        b = App(d, "-c", "0", TAPP, "--role", "2",
                "--events", "20", exe=taskset)
        check(b.wait(60) == 0, b.err)
        # Enough to fill that packet and several after it.
        c = App(d, "-c", "0", TAPP, "--role", "3",
                "--events", "400", "--sleep-us", "500", exe=taskset)
        check(c.wait(60) == 0, c.err)
        p = d.cli("stop", timeout=60)
        check(p.returncode == 0, f"stop failed: {p.stdout} {p.stderr}")
        kv = d.kv("s")
        bt_readable(out)
        events, discarded = read_trace(out)
        first, second, third = (role_events(events, r) for r in (1, 2, 3))
        check(len(first) == 5, f"recorded {len(first)} of 5 before the garbage: {kv}")
        # Records carry no length (ringbuf/packet.h): what follows the
        # garbage in its packet cannot be delimited and is lost, counted;
        # the packets after it are recorded whole.
        seqs = sorted(e["fields"]["seq"] for e in third)
        check(seqs and seqs == list(range(seqs[0], 400)) and seqs[0] < 400 - 100,
              f"role 3 after the cut packet: {missing_ranges(third, 400)} missing, "
              f"{len(second)} of role 2 recorded: {kv}")
        check(int(kv["corrupt_events"]) >= 1 and int(kv["corrupt_packets"]) >= 1 and
              int(kv["discarded"]) == sum(discarded.values()),
              f"the garbage was not counted, or list and trace disagree: {kv} {discarded}")
        print(f"{mode}: 5 before the garbage kept, {len(second)} of 20 and {len(third)} of 400 "
              f"after it, {kv['corrupt_events']} counted corrupt")
    finally:
        d.cleanup()


def test_garbage_before_honest_records():
    garbage_before_honest_records("prefix")


def test_garbage_and_unaligned_offset():
    """The offset left off the 8-byte grid: the writer's records follow it
    at that phase and close the packet at an unaligned end."""
    garbage_before_honest_records("prefix-odd")


TP_GAPS = os.path.join(os.path.dirname(SCRIBBLER), "..", "tracepoints", "tp_gaps")


def test_exact_timestamps_across_restart():
    need(TP_GAPS)
    taskset = shutil.which("taskset")
    check(taskset is not None, "taskset (util-linux) is needed to keep the app on CPU 0")
    d = Daemon()
    try:
        out = os.path.join(d.tmp, "out")
        # Sub-buffers that what is written while stopped crosses without
        # filling the buffer: reading resumes inside a packet.
        d.ok("create", "s", "-o", out, "--subbuf-size", "64k", "--num-subbuf", "8")
        d.ok("enable-event", "gaps:*")
        d.ok("start")
        app = App(d, "-c", "0", TP_GAPS, "paced", "2000", "300", exe=taskset)
        wait_until(lambda: registered(d, app.pid), "registration")
        time.sleep(0.5)
        d.ok("stop")
        time.sleep(0.6)  # > 2^27 ns of records skipped as late, over several packets
        d.ok("start")
        check(app.wait(60) == 0, app.err)
        d.ok("stop")
        bt_readable(out)
        events = sorted((e for e in read_trace(out)[0] if e["name"].startswith("gaps:")),
                        key=lambda e: e["fields"]["before"])
        check(len(events) > 10, f"{len(events)} events recorded")
        # before <= ts <= the clock read after the event; the next event
        # recorded carries one read at or after that.
        for a, b in zip(events, events[1:]):
            lo, hi = a["fields"]["before"], b["fields"]["prev_after"]
            check(lo <= a["ts"] <= hi, f"{a['name']} decoded at {a['ts']}, emitted in "
                  f"[{lo}, {hi}] (off by {a['ts'] - (hi if a['ts'] > hi else lo)} ns)")
        gaps = [b["fields"]["before"] - a["fields"]["before"] for a, b in zip(events, events[1:])]
        check(max(gaps) > 2 ** 27, f"no gap over 2^27 ns in the recorded events (max {max(gaps)})")
        print(f"restart: {len(events)} events exact to the ns, a {max(gaps) / 1e6:.0f} ms gap "
              f"of late records")
    finally:
        d.cleanup()


def test_sigstop_during_stop():
    d = Daemon(args=("--ack-timeout-ms", "1000"))
    try:
        out = os.path.join(d.tmp, "out")
        start_session(d, out)
        app = App(d, "--role", "1", "--events", "100000000", "--sleep-us", "100")
        wait_until(lambda: registered(d, app.pid), "registration")
        time.sleep(0.5)
        os.kill(app.pid, signal.SIGSTOP)
        t0 = time.time()
        p = d.cli("stop", timeout=60)
        took = time.time() - t0
        check(p.returncode == 0, f"stop failed: {p.stdout} {p.stderr}")
        check(took < 10, f"stop took {took:.1f} s with a stopped app")
        kv = d.kv("s")
        n_stop = len(read_trace(out)[0])
        check(int(kv["events"]) == n_stop, f"list {kv['events']}, trace {n_stop} at stop")
        os.kill(app.pid, signal.SIGCONT)
        time.sleep(1.0)  # it writes until it sees the session inactive
        kv2 = d.kv("s")
        n_later = len(read_trace(out)[0])
        check(n_later == n_stop, f"{n_later - n_stop} events were added to the stopped trace")
        check(kv2["events"] == kv["events"] and kv2["discarded"] == kv["discarded"],
              f"list changed after stop: {kv['events']}/{kv['discarded']} -> "
              f"{kv2['events']}/{kv2['discarded']}")
        app.proc.kill()
        app.wait(30)
        p = d.cli("destroy", "s")
        check(p.returncode == 0, p.stderr)
        n_end = len(read_trace(out)[0])
        check(n_end == n_stop, f"{n_end - n_stop} events were added at destroy")
        bt_clean(out)
        print(f"sigstop: stop took {took:.1f} s, {n_stop} events, final")
    finally:
        d.cleanup()


def test_late_counted_at_restart():
    """What an app commits while the session is stopped is not recorded at
    the next start either: it is counted as discarded."""
    d = Daemon(args=("--ack-timeout-ms", "500"))
    try:
        out = os.path.join(d.tmp, "out")
        start_session(d, out)
        app = App(d, "--role", "1", "--events", "100000000", "--sleep-us", "50")
        wait_until(lambda: registered(d, app.pid), "registration")
        time.sleep(0.3)
        os.kill(app.pid, signal.SIGSTOP)
        d.ok("stop")
        stopped = int(d.kv("s")["events"])
        os.kill(app.pid, signal.SIGCONT)
        time.sleep(0.5)
        d.ok("start")
        time.sleep(0.3)
        app.proc.kill()
        app.wait(30)
        d.ok("stop")
        kv = d.kv("s")
        events, _ = read_trace(out)
        check(int(kv["events"]) == len(events), "list and trace disagree")
        check_timestamps(events)
        bt_clean(out)
        print(f"late: {stopped} before the first stop, {len(events)} in all, "
              f"{kv['late_events']} late")
    finally:
        d.cleanup()


if __name__ == "__main__":
    run_tests([test_exact_timestamps_across_restart, test_garbage_before_honest_records,
               test_garbage_and_unaligned_offset, test_random_words, test_headers_only, test_counters, test_sigstop_during_stop,
               test_late_counted_at_restart])
