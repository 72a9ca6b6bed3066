#!/usr/bin/python3
"""Index files (issue 14 part 1): every stream file has index/<stream>.idx
as lttng writes it (CTF index 1.1); each entry equals its packet's header
(index_check.py); babeltrace2 reads the trace with the indexes present and
finds every event; per-UID and per-PID, with losses (lead packets)."""
import os

from index_check import check_trace_index, trace_dirs
from rtd import App, Daemon, bt_clean, check, read_trace, run_tests


def traced(buffers, subbuf, nsub, events, threads):
    d = Daemon()
    try:
        out = os.path.join(d.tmp, "out")
        d.ok("create", "idx", "-o", out, f"--buffers-{buffers}", "--subbuf-size", subbuf,
             "--num-subbuf", str(nsub))
        d.ok("enable-event", "rtd:*")
        d.ok("start")
        apps = [App(d, "--role", str(r), "--events", str(events), "--threads", str(threads))
                for r in (1, 2)]
        for a in apps:
            check(a.wait() == 0, f"app exited {a.proc.returncode}: {a.err}")
        d.ok("stop")
        d.ok("destroy")
        dirs = list(trace_dirs(out))
        check(dirs, "no trace")
        packets = sum(check_trace_index(t) for t in dirs)
        evs, discarded = read_trace(out)
        # each app: its events, and one rtd:first (it starts after `start`)
        got = len([e for e in evs if e["name"] in ("rtd:seq", "rtd:first")])
        emitted = 2 * events * threads + 2
        check(got + sum(discarded.values()) == emitted,
              f"{got} events + {sum(discarded.values())} discarded != {emitted}")
        bt_clean(out)
        return packets, sum(discarded.values())
    except Exception:
        print(d.log_text()[-4000:])
        raise
    finally:
        d.cleanup()


def test_per_uid_many_packets():
    packets, _ = traced("uid", "4k", 8, 20000, 2)
    check(packets > 4, f"only {packets} packets: the test needs several")


def test_per_pid():
    packets, _ = traced("pid", "4k", 8, 5000, 1)
    check(packets > 4, f"only {packets} packets")


def test_losses():
    # Small buffers, many events at once: losses, so lead packets too.
    packets, discarded = traced("uid", "4k", 2, 200000, 2)
    check(packets > 0, "no packets")
    print(f"  {packets} packets, {discarded} discarded")


run_tests([test_per_uid_many_packets, test_per_pid, test_losses])
