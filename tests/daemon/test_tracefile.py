#!/usr/bin/python3
"""enable-channel --tracefile-size / --tracefile-count (lttng's): stream files channel0_CPU_N of at most SIZE
bytes, each beginning with a whole packet, so each is read on its own; N
counts modulo COUNT and the oldest file is removed when its number comes
round. Oracle: a pinned app emits consecutive seq numbers with no loss
(blocking mode); without a count the files hold every event exactly once;
with one, a gap-free run ending with the last event, and no file larger
than SIZE."""
import glob
import os
import re
import shutil

from rtd import (TAPP, App, Daemon, bt_clean, check, read_trace, run_tests, tmpdir)

N = 20000
TF = 64 * 1024


def run(count=None):
    d = Daemon()
    try:
        out = tmpdir() + "/out"
        d.ok("create", "tf", "-o", out)
        args = ["enable-channel", "-u", "channel0", "--subbuf-size", "16k", "--num-subbuf", "8",
                "--blocking-timeout", "inf", "--tracefile-size", str(TF)]
        if count:
            args += ["--tracefile-count", str(count)]
        d.ok(*args)
        d.ok("enable-event", "rtd:seq")
        d.ok("start")
        app = App(d, "-c", "0", TAPP, "--events", str(N), "--role", "7", exe="/usr/bin/taskset")
        check(app.wait() == 0, app.err)
        d.ok("stop")
        tdir = glob.glob(out + "/ust/uid/*/64-bit")[0]
        files = sorted(f for f in os.listdir(tdir) if f.startswith("channel0_"))
        check(files and all(re.fullmatch(r"channel0_\d+_\d+", f) for f in files), str(files))
        for f in files:
            size = os.path.getsize(os.path.join(tdir, f))
            check(0 < size <= TF, f"{f}: {size} bytes, the limit is {TF}")
        if count:
            per_cpu = {}
            for f in files:
                cpu, n = map(int, f.split("_")[1:])
                per_cpu.setdefault(cpu, []).append(n)
            check(all(max(v) < count and len(v) <= count for v in per_cpu.values()),
                  f"more than {count} files, or numbers past it: {files}")
        # each file alone (with the metadata) is a readable trace
        alone_total = 0
        for f in files:
            one = tmpdir()
            shutil.copy(os.path.join(tdir, "metadata"), one)
            shutil.copy(os.path.join(tdir, f), one)
            bt_clean(one)
            alone_total += len(read_trace(one)[0])
        events, discarded = read_trace(out)
        check(alone_total == len(events), f"files alone hold {alone_total} events, "
                                          f"together {len(events)}")
        seqs = [int(e["fields"]["seq"]) for e in events if e["name"] == "rtd:seq"]
        check(seqs == sorted(seqs) and len(seqs) == len(set(seqs)), "order or duplicates")
        check(sum(discarded.values()) == 0, f"discarded {discarded} in blocking mode")
        if count:
            check(seqs[-1] == N - 1 and seqs[-1] - seqs[0] + 1 == len(seqs),
                  f"not a gap-free run ending at {N - 1}: {seqs[0]}..{seqs[-1]}, {len(seqs)}")
            check(seqs[0] > 0, "nothing was removed: the test wrote too little")
        else:
            check(seqs == list(range(N)), f"{len(seqs)} of {N} events")
            check(len(files) > 3, f"only {len(files)} files")
        d.ok("destroy")
    finally:
        d.cleanup()


def test_unbounded():
    run()


def test_count_3():
    run(3)


def test_count_without_size():
    d = Daemon()
    try:
        d.ok("create", "x", "-o", tmpdir() + "/o")
        r = d.cli("enable-channel", "-u", "channel0", "--tracefile-count", "2")
        check(r.returncode == 1 and "needs --tracefile-size" in r.stderr + r.stdout, r.stderr)
    finally:
        d.cleanup()


if __name__ == "__main__":
    run_tests([test_unbounded, test_count_3, test_count_without_size])
