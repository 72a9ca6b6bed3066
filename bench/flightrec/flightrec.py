#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Flight recorder: rseqtrace against LTTng 2.13, side by side in one run (issue 13).

usage: flightrec.py --build DIR [--out DIR] [--reps N] [--quick]

  ns         ns/event of the writer (bench-overhead enabled ints, 1 thread, CPU time per
             event) in overwrite mode (a snapshot session) and in discard mode (a normal
             session), each tracer; goal: ours overwrite <= 1.05 x ours discard
  latency    `snapshot record` wall time, 2 CPUs x 4 x 1 MiB buffers filled by 2 writer
             threads (then idle) before each record, and the bytes each record wrote;
             goal: ours <= 0.5 x `lttng snapshot record` (median of 2 x reps + 1).
             Refilled: LTTng's snapshot flushes an empty packet into an idle buffer,
             which overwrites its oldest sub-buffer, so records of an idle buffer
             shrink by one sub-buffer each
  lost       events the application lost while snapshots were taken every 200 ms during
             3 s of 2 writers flat out in overwrite mode (the tracer's discarded count),
             with the packets overwritten meanwhile (ours: the records' replies; LTTng:
             `lttng list`'s lost packets); goal: 0

Run it on a quiet machine: it measures time. Writes flightrec.csv and summary.txt to --out.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import harness  # noqa: E402
from harness import Lttng, Ours, die, keyvals, run, say  # noqa: E402

harness.PROG = "flightrec"
MiB = 1 << 20


class Tracers:
    def __init__(self, build):
        self.build = os.path.abspath(build)
        self.prog = {"ours": os.path.join(self.build, "bench/overhead/bench-overhead"),
                     "lttng": os.path.join(self.build, "bench/overhead/bench-overhead-lttng")}
        for p in self.prog.values():
            if not os.access(p, os.X_OK):
                die("%s is not built" % p)
        self.lttng = Lttng()
        self.ours = Ours(self.build)
        self.tmp = tempfile.mkdtemp(prefix="flightrec-")
        self.seq = 0

    def close(self):
        self.ours.close()
        self.lttng.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def name(self):
        self.seq += 1
        return "fr-%d-%d" % (os.getpid(), self.seq)

    def session(self, tracer, snapshot, subbuf=None, nsub=None):
        """A started session (snapshot: overwrite mode, nothing written until a record)."""
        name, out = self.name(), os.path.join(self.tmp, "t%d" % self.seq)
        self.last_out = out
        if tracer == "lttng":
            run(["lttng", "create", name, "--output=" + out] + (["--snapshot"] if snapshot else []))
            ch = ["lttng", "enable-channel", "-u", "-s", name, "ch0", "--buffers-uid",
                  "--overwrite" if snapshot else "--discard"]
            if subbuf:
                ch += ["--subbuf-size=%d" % subbuf, "--num-subbuf=%d" % nsub]
            run(ch)
            run(["lttng", "enable-event", "-u", "-s", name, "-c", "ch0", "bench:*"])
            run(["lttng", "start", name])
        else:
            cmd = self.ours.ctl("create", name, "-o", out) + (["--snapshot"] if snapshot else [])
            if subbuf:
                cmd += ["--subbuf-size", str(subbuf), "--num-subbuf", str(nsub)]
            run(cmd)
            run(self.ours.ctl("enable-event", "-s", name, "bench:*"))
            run(self.ours.ctl("start", name))
        return name

    def env(self, tracer):
        return Lttng.app_env() if tracer == "lttng" else self.ours.env()

    def ctl(self, tracer, *args):
        return ["lttng"] + list(args) if tracer == "lttng" else self.ours.ctl(*args)

    def destroy(self, tracer, name):
        run(self.ctl(tracer, "destroy", name), check=False)

    def emit(self, tracer, mode, amount, threads):
        r = run([self.prog[tracer], mode, "ints", str(amount), str(threads)], env=self.env(tracer))
        return keyvals(r.stdout.decode())


def row_ns(t, reps, n):
    got = {}
    for _ in range(reps):
        for tracer in ("ours", "lttng"):
            for snap in (False, True):
                s = t.session(tracer, snap)
                kv = t.emit(tracer, "enabled", n, 1)
                t.destroy(tracer, s)
                got.setdefault((tracer, snap), []).append(float(kv["cpu_ns_per_event"]))
    return {k: statistics.median(v) for k, v in got.items()}


def timed(cmd):
    t0 = time.monotonic()
    r = run(cmd, check=False)
    dt = time.monotonic() - t0
    if r.returncode != 0:
        die("%s failed: %s" % (" ".join(cmd), (r.stdout + r.stderr).decode(errors="replace")))
    return dt, r.stdout.decode()


def newest_record_bytes(out):
    """Bytes in the newest snapshot-* directory below out."""
    recs = [os.path.join(out, d) for d in os.listdir(out) if d.startswith("snapshot-")]
    newest = max(recs, key=os.path.getmtime)
    return sum(os.path.getsize(os.path.join(r, f))
               for r, _, files in os.walk(newest) for f in files)


def row_latency(t, reps):
    got, size = {}, {}
    for tracer in ("ours", "lttng"):
        s = t.session(tracer, True, 1 * MiB, 4)
        out = t.last_out
        t.emit(tracer, "enabled", 2000000, 2)  # fills 2 x 4 MiB several times over
        timed(t.ctl(tracer, "snapshot", "record", "-s", s))  # first touches, untimed
        for _ in range(reps):
            t.emit(tracer, "enabled", 2000000, 2)
            time.sleep(0.2)
            dt, _ = timed(t.ctl(tracer, "snapshot", "record", "-s", s))
            got.setdefault(tracer, []).append(dt * 1000)
            size.setdefault(tracer, []).append(newest_record_bytes(out))
        t.destroy(tracer, s)
    return ({k: statistics.median(v) for k, v in got.items()},
            {k: statistics.median(v) for k, v in size.items()})


def row_lost(t, ms):
    got = {}
    for tracer in ("ours", "lttng"):
        s = t.session(tracer, True)
        app = subprocess.Popen([t.prog[tracer], "sustain", "ints", str(ms), "2"],
                               env=t.env(tracer), stdout=subprocess.PIPE)
        records, overwritten = 0, 0
        time.sleep(0.2)
        while app.poll() is None:
            _, text = timed(t.ctl(tracer, "snapshot", "record", "-s", s))
            m = re.search(r"overwritten packets \(the oldest, lost\): (\d+)", text)
            overwritten = max(overwritten, int(m.group(1))) if m else overwritten
            records += 1
            time.sleep(0.2)
        kv = keyvals(app.stdout.read().decode())
        run(t.ctl(tracer, "stop", s))
        listing = run(t.ctl(tracer, "list", s)).stdout.decode()
        if tracer == "lttng":
            m = re.search(r"Discarded events:\s*(\d+)", listing)
            lost = int(m.group(1)) if m else 0
            m = re.search(r"Lost packets:\s*(\d+)", listing)
            overwritten = int(m.group(1)) if m else 0
        else:
            m = re.search(r"Total: \d+ events recorded, (\d+) discarded", listing)
            lost = int(m.group(1)) if m else 0
        t.destroy(tracer, s)
        got[tracer] = dict(emitted=int(kv["emitted"]), lost=lost, records=records,
                           overwritten=overwritten)
    return got


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", default=None)
    ap.add_argument("--reps", type=int, default=0)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    out = a.out or os.path.join(HERE, "results")
    os.makedirs(out, exist_ok=True)
    reps = a.reps or (3 if a.quick else 7)
    say(harness.machine_line())
    say("load average before: %s" % harness.load_average())
    t = Tracers(a.build)
    try:
        ns = row_ns(t, reps, 1000000 if a.quick else 5000000)
        lat, lat_bytes = row_latency(t, 2 * reps + 1)  # a record takes ms: more of them
        lost = row_lost(t, 1500 if a.quick else 3000)
    finally:
        t.close()
    rows = [
        ("ns/event overwrite (ours)", "%.2f" % ns[("ours", True)], "%.2f" % ns[("lttng", True)]),
        ("ns/event discard (ours)", "%.2f" % ns[("ours", False)], "%.2f" % ns[("lttng", False)]),
        ("overwrite / discard", "%.3f" % (ns[("ours", True)] / ns[("ours", False)]),
         "%.3f" % (ns[("lttng", True)] / ns[("lttng", False)])),
        ("snapshot record, 2 CPUs x 4 x 1 MiB, ms", "%.1f" % lat["ours"], "%.1f" % lat["lttng"]),
        ("ours / LTTng snapshot latency", "%.3f" % (lat["ours"] / lat["lttng"]), ""),
        ("  bytes written per record", "%d" % lat_bytes["ours"], "%d" % lat_bytes["lttng"]),
        ("events lost by the app during snapshots", str(lost["ours"]["lost"]),
         str(lost["lttng"]["lost"])),
        ("  snapshots taken / events emitted", "%d / %d" % (lost["ours"]["records"],
                                                           lost["ours"]["emitted"]),
         "%d / %d" % (lost["lttng"]["records"], lost["lttng"]["emitted"])),
        ("  packets overwritten (lost packets)", str(lost["ours"]["overwritten"]),
         str(lost["lttng"]["overwritten"])),
    ]
    say("%-44s %14s %14s" % ("", "rseqtrace", "LTTng 2.13"))
    for r in rows:
        say("%-44s %14s %14s" % r)
    say("load average after: %s" % harness.load_average())
    harness.write_csv(os.path.join(out, "flightrec.csv"),
                      [dict(figure=r[0], rseqtrace=r[1], lttng=r[2]) for r in rows],
                      ["figure", "rseqtrace", "lttng"])
    harness.write_summary(out)


if __name__ == "__main__":
    main()
