#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Streaming to an lttng-relayd: rseqtrace against LTTng 2.13, side by side,
both streaming to one lttng-relayd on loopback (issue 14).

usage: relayd_bench.py --build DIR [--out DIR] [--quick] [--only ROW,...]

  paced    the highest rate (2 writers, paced, int+string events, contexts
           vpid/vtid/procname, each tracer's default buffers) delivered to the
           relayd with 0 loss: bisection between 0 and the flat-out rate, the
           tracer's discarded count deciding, the result checked by
           babeltrace2 on the relayd's copy of the trace
  cpu      consumer CPU time (utime+stime) per delivered event, 2 writers flat
           out: rseqtraced against lttng-consumerd (lttng-sessiond apart)
  floor    the kernel floor under the cpu row: CPU per event of send() of
           1 MiB packets on a loopback TCP connection to a reader, and nothing
           else (bench/consumer/floor.c), at each tracer's bytes per delivered
           event in the cpu runs (40 B if not run)
  latency  live sessions at one live timer (LIVE_US): one event every 50 ms
           for LATENCY_S; each event's timestamp against the moment
           `babeltrace2 -i lttng-live` printed it (median, p95)

lttng-sessiond is started if none runs (stopped at the end); the relayd is
started here on free ports. Writes relayd.csv, runs.csv and summary.txt to
--out (default BUILD/bench-results/relayd).
"""
import argparse
import datetime
import os
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import harness  # noqa: E402
from harness import Lttng, Ours, count_trace, die, keyvals, run, say  # noqa: E402

harness.PROG = "relayd"
OURS, LTTNG = "rseqtrace", "lttng"
TRACERS = (OURS, LTTNG)
LIVE_US = 200000
LATENCY_S = 6


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


class Relayd:
    def __init__(self, out):
        self.ctrl, self.data, self.live = free_ports(3)
        self.out = out
        self.proc = subprocess.Popen(
            ["lttng-relayd", "-C", "tcp://127.0.0.1:%d" % self.ctrl, "-D", "tcp://127.0.0.1:%d" % self.data,
             "-L", "tcp://127.0.0.1:%d" % self.live, "-o", out],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                for p in (self.ctrl, self.data, self.live):
                    socket.create_connection(("127.0.0.1", p), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        die("lttng-relayd did not start")

    def url(self):
        return "net://127.0.0.1:%d:%d" % (self.ctrl, self.data)

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


class Bench:
    def __init__(self, args, lttng, ours, relayd):
        build = os.path.abspath(args.build)
        self.prog = {OURS: os.path.join(build, "bench/overhead/bench-overhead"),
                     LTTNG: os.path.join(build, "bench/overhead/bench-overhead-lttng")}
        self.lttng, self.ours, self.relayd = lttng, ours, relayd
        self.flat_ms = 1000 if args.quick else 2000
        self.paced_ms = 2000 if args.quick else 5000
        self.steps = 4 if args.quick else 6
        self.reps = 2 if args.quick else 3
        self.seq = 0
        self.runs = []
        self.build = build
        self.bytes_per_event = {}  # tracer: median over its cpu runs (relayd's copy / delivered)

    def session(self, tracer, live_us=0):
        """A started session streaming to the relayd: (name, directory in its output)."""
        self.seq += 1
        name = "rb%d-%d" % (os.getpid(), self.seq)
        if tracer == LTTNG:
            run(["lttng", "create", name, "--set-url=" + self.relayd.url()] +
                (["--live=%d" % live_us] if live_us else []))
            run(["lttng", "enable-channel", "-u", "-s", name, "ch0", "--discard", "--buffers-uid"])
            run(["lttng", "add-context", "-u", "-s", name, "-c", "ch0", "-t", "vpid", "-t", "vtid",
                 "-t", "procname"])
            run(["lttng", "enable-event", "-u", "-s", name, "-c", "ch0", "bench:*"])
            run(["lttng", "start", name])
            host = socket.gethostname()
        else:
            host = "rtbench"
            run(self.ours.ctl("create", name, "-U", self.relayd.url(), "--hostname", host) +
                (["--live=%d" % live_us] if live_us else []))
            run(self.ours.ctl("enable-event", "-s", name, "bench:*"))
            run(self.ours.ctl("start", name))
        return name, host

    def finish(self, tracer, name):
        if tracer == LTTNG:
            listed = self.lttng.stop(name)
            self.lttng.destroy(name)
        else:
            listed, _ = self.ours.stop(name)
            self.ours.destroy(name)
        return listed

    def delivered(self, host, name, want):
        """babeltrace2's count of the relayd's copy, once it holds want events
        (the relayd writes on its own time) or 10 s passed."""
        hd = os.path.join(self.relayd.out, host)
        dirs = [os.path.join(hd, d) for d in os.listdir(hd) if d.startswith(name + "-")] \
            if os.path.isdir(hd) else []
        deadline = time.time() + 10
        while True:
            rec = 0
            for d in dirs:
                r, _, _ = count_trace(d, discarded_from_trace=False)
                rec += r or 0
            if rec >= want or time.time() > deadline:
                return rec, dirs

    def traced(self, tracer, prog_args, label):
        name, host = self.session(tracer)
        env = Lttng.app_env() if tracer == LTTNG else self.ours.env()
        consumers = self.lttng.consumerd_pids() if tracer == LTTNG else [self.ours.daemon.pid]
        cpu0 = {p: harness.cpu_seconds(p) for p in consumers}
        r = run([self.prog[tracer]] + prog_args, env=env, check=False, timeout=900)
        listed = self.finish(tracer, name)
        cpu = sum((harness.cpu_seconds(p) or 0) - (cpu0[p] or 0) for p in consumers)
        if r.returncode != 0:
            die("%s run failed: %s" % (tracer, r.stderr.decode(errors="replace")))
        kv = keyvals(r.stdout.decode())
        emitted = int(kv["emitted"])
        res = dict(row=label, tracer=tracer, emitted=emitted, seconds=int(kv["elapsed_ns"]) / 1e9,
                   listed_discarded=listed, consumer_cpu_s=cpu, name=name, host=host)
        res["emitted_per_s"] = emitted / res["seconds"]
        self.runs.append(res)
        return res

    def check(self, res):
        rec, dirs = self.delivered(res["host"], res["name"], res["emitted"])
        res.update(delivered=rec, lost=res["emitted"] - rec,
                   stream_bytes=sum(harness.stream_bytes(d) for d in dirs))
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)
        return res

    # ---- rows ---------------------------------------------------------------------------

    def paced(self, tracer):
        def probe(rate):
            args = ["sustain", "str", str(self.paced_ms), "2"] + (["%.0f" % (rate / 2)] if rate else [])
            res = self.traced(tracer, args, "paced")
            ok = res["listed_discarded"] == 0
            say("   paced   %-9s %-20s emitted %5.2f M/s, list: %s discarded" % (
                tracer, "flat out" if not rate else "at %.2f M/s" % (rate / 1e6),
                res["emitted_per_s"] / 1e6, res["listed_discarded"]))
            return res, ok
        res, ok = probe(None)
        best, lo, hi = (res if ok else None), 0.0, res["emitted_per_s"]
        if not ok:
            self.check(res)
            for _ in range(self.steps):
                rate = (lo + hi) / 2
                res, ok = probe(rate)
                if ok:
                    lo = rate
                    if best:
                        self.check(best)
                    best = res
                else:
                    hi = rate
                    self.check(res)
        if not best:
            return dict(tracer=tracer, rate=None)
        self.check(best)
        say("   paced   %-9s highest lossless %.2f M/s; relayd's copy: %d of %d events" % (
            tracer, best["emitted_per_s"] / 1e6, best["delivered"], best["emitted"]))
        return dict(tracer=tracer, rate=best["emitted_per_s"] if best["lost"] == 0 else None,
                    checked=best["lost"] == 0)

    def cpu(self, tracer):
        per, bpe = [], []
        for _ in range(self.reps):
            res = self.check(self.traced(tracer, ["sustain", "str", str(self.flat_ms), "2"], "cpu"))
            say("   cpu     %-9s emitted %d, delivered %d (%.1f %%), consumer %.2f s CPU: %.0f ns/event" % (
                tracer, res["emitted"], res["delivered"], 100.0 * res["delivered"] / res["emitted"],
                res["consumer_cpu_s"], 1e9 * res["consumer_cpu_s"] / max(res["delivered"], 1)))
            per.append(1e9 * res["consumer_cpu_s"] / max(res["delivered"], 1))
            if res["delivered"]:
                bpe.append(res["stream_bytes"] / res["delivered"])
        if bpe:
            self.bytes_per_event[tracer] = statistics.median(bpe)
        return statistics.median(per)

    def floor(self):
        """The kernel's send() alone (floor.c): ns per byte, median of --reps x 2 runs."""
        ns, per = harness.kernel_floor(self.build, "send", reps=2 * self.reps, packet_kib=1024)
        say("   floor   send() of 512 MiB in 1 MiB packets on loopback: %s ns per 40 B"
            % " ".join("%.1f" % (40 * v) for v in per))
        return {t: ns * self.bytes_per_event.get(t, 40.0) for t in TRACERS}

    def latency(self, tracer):
        name, host = self.session(tracer, LIVE_US)
        url = "net://127.0.0.1:%d/host/%s/%s" % (self.relayd.live, host, name)
        time.sleep(1.5)  # our link is made at the first drain tick
        viewer = subprocess.Popen(["babeltrace2", "-i", "lttng-live", url, "--clock-date"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        time.sleep(2)
        env = Lttng.app_env() if tracer == LTTNG else self.ours.env()
        app = subprocess.Popen([self.prog[tracer], "sustain", "str", str(LATENCY_S * 1000), "1", "20"],
                               env=env, stdout=subprocess.DEVNULL)
        lat, buf = [], b""
        deadline = time.time() + LATENCY_S + 10
        fd = viewer.stdout.fileno()
        while time.time() < deadline:
            r, _, _ = select.select([fd], [], [], 0.2)
            if not r:
                if app.poll() is not None and len(lat) >= LATENCY_S * 20 * 0.9:
                    break
                continue
            chunk = os.read(fd, 65536)
            now = time.time()
            if not chunk:
                break
            buf += chunk
            *lines, buf = buf.split(b"\n")
            for l in lines:
                m = re.match(rb"\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.(\d{9})\]", l)
                if m and b"bench:" in l:
                    t = datetime.datetime.strptime(m.group(1).decode(), "%Y-%m-%d %H:%M:%S").timestamp()
                    lat.append(now - (t + int(m.group(2)) / 1e9))
        app.wait()
        viewer.send_signal(signal.SIGINT)
        try:
            viewer.wait(timeout=10)
        except subprocess.TimeoutExpired:
            viewer.kill()
            viewer.wait()
        self.finish(tracer, name)
        if not lat:
            say("   latency %-9s no event seen by the live viewer" % tracer)
            return None
        lat.sort()
        med, p95 = statistics.median(lat), lat[int(0.95 * (len(lat) - 1))]
        say("   latency %-9s %d events seen, median %.0f ms, p95 %.0f ms (live timer %d ms)" % (
            tracer, len(lat), med * 1e3, p95 * 1e3, LIVE_US // 1000))
        return med


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", default=None)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="paced,cpu,floor,latency")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    out = os.path.abspath(args.out or os.path.join(build, "bench-results/relayd"))
    os.makedirs(out, exist_ok=True)
    for t in ("lttng-relayd", "babeltrace2"):
        if not shutil.which(t):
            die("%s is not installed" % t)
    scratch = harness.scratch_dir(os.path.join(build, "bench-scratch"))
    lttng = Lttng()
    ours = relayd = None
    try:
        ours = Ours(build)
        relayd = Relayd(os.path.join(scratch, "relayd-out"))
        b = Bench(args, lttng, ours, relayd)
        say("rseqtrace relayd streaming benchmark, %s%s" % (time.strftime("%Y-%m-%d %H:%M:%S"),
                                                            " (--quick)" if args.quick else ""))
        say("machine: %s; load average at start: %s" % (harness.machine_line(), harness.load_average()))
        say("LTTng: %s; %s" % (run(["lttng", "--version"]).stdout.decode().strip(), lttng.describe()))
        rows = []
        only = args.only.split(",")
        for row in ("paced", "cpu", "floor", "latency"):
            if row not in only:
                continue
            say("== %s" % row)
            got = b.floor() if row == "floor" else {t: getattr(b, row)(t) for t in TRACERS}
            if row == "paced":
                o, l = got[OURS]["rate"], got[LTTNG]["rate"]
                rows.append(dict(row="paced", figure="events/s delivered to the relayd with 0 loss",
                                 ours=o, lttng=l, ratio=o / l if o and l else None, goal=">= 1.5 x"))
            elif row == "cpu":
                o, l = got[OURS], got[LTTNG]
                rows.append(dict(row="cpu", figure="consumer CPU ns per delivered event", ours=o,
                                 lttng=l, ratio=o / l if l else None, goal="<= 0.5 x"))
            elif row == "floor":
                o, l = got[OURS], got[LTTNG]
                cpu = next((r for r in rows if r["row"] == "cpu"), None)
                half = 0.5 * cpu["lttng"] if cpu and cpu["lttng"] else None
                rows.append(dict(row="floor", figure="kernel floor (write/send only), ns per event", ours=o,
                                 lttng=l, ratio=None, goal="0.5 x lttng-consumerd = %s" %
                                 ("%.3g ns" % half if half else "n/a")))
            else:
                o, l = got[OURS], got[LTTNG]
                rows.append(dict(row="latency", figure="live latency, median s (timer %d ms)" %
                                 (LIVE_US // 1000), ours=o, lttng=l,
                                 ratio=o / l if o and l else None, goal="<= 1 x"))
        say()
        say("%-8s %-45s %14s %14s %8s  %s" % ("row", "figure", "rseqtrace", "LTTng", "ratio", "goal"))
        for r in rows:
            fmt = lambda v: "n/a" if v is None else ("%.4g" % v)  # noqa: E731
            say("%-8s %-45s %14s %14s %8s  %s" % (r["row"], r["figure"], fmt(r["ours"]), fmt(r["lttng"]),
                                                 fmt(r["ratio"]), r["goal"]))
        say("load average at the end: %s" % harness.load_average())
        harness.write_csv(os.path.join(out, "relayd.csv"), rows)
        harness.write_csv(os.path.join(out, "runs.csv"), b.runs)
        harness.write_summary(out)
    finally:
        if relayd:
            relayd.close()
        if ours:
            ours.close()
        lttng.close()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
