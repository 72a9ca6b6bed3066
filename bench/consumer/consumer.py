#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The consumer side: rseqtrace against LTTng 2.13, side by side in one run.

usage: consumer.py --build DIR [--out DIR] [--traces DIR] [--reps N] [--quick]
                   [--only ROW,...] [--trace-discarded]

One table, each figure ours against LTTng's (issue 12), each tracer at its own
default buffers unless the row says otherwise, traces written to a real file
system (--traces, default BUILD/bench-scratch: the repository's disk):

  burst1     a burst of BURST_EVENTS int+string events from 1 writer thread:
             events lost, over --reps runs
  burst2     the same from 2 writer threads (2 CPUs; threads not pinned)
  flat       2 writers flat out for FLAT_MS, 4 x 512 KiB per CPU: events recorded per second
  paced      the highest rate (2 writers, paced) recorded with 0 loss over
             PACED_MS: bisection between 0 and the flat-out rate
  cpu        consumer CPU time (utime+stime from /proc) per recorded event, over
             the flat runs: rseqtraced against lttng-consumerd (lttng-sessiond
             shown apart)
  floor      the kernel floor under the cpu row: CPU per event of write() of
             512 KiB packets from memory to a file beside the traces, with the
             consumers' page-cache hints, and nothing else (bench/consumer/floor.c),
             at each tracer's bytes per event in the flat runs (40 B if not run);
             O_DIRECT writes (rseqtraced --direct-io) in the note
  bytes      trace stream bytes on disk per recorded event, over the burst1 runs
  blocking   blocking mode (--blocking-timeout=inf), 2 writers flat out for
             FLAT_MS: events recorded per second, and that none was lost
  writepath  ns/event of the writer (bench/overhead's sweep, int+string,
             1 thread) against the snapshot in bench/overhead/results

Events lost = emitted - recorded (babeltrace2's counter), checked against the
tracer's own discarded count (`lttng list`, `rseqtrace list`) and the number of
discarded-event messages in the trace; --trace-discarded also sums the counts
those messages carry (babeltrace2's pretty sink: slow). Contexts vpid, vtid,
procname on both tracers. lttng-sessiond is started if none runs, stopped at the
end. --quick: fewer runs (3) and shorter ones (paced probes 2 s), for trying it.

Writes to --out: consumer.csv (the table), runs.csv (every run), consumer.png
(gnuplot), table.md (the table in Markdown) and summary.txt (stdout).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "../overhead"))
import harness  # noqa: E402
from harness import Lttng, Ours, big_count, count_trace, die, keyvals, run, say  # noqa: E402
import overhead  # noqa: E402  (its sweep run is the write-path row)

harness.PROG = "consumer"

BURST_EVENTS = 2000000   # per writer thread, one burst per run
FLAT_GEOMETRY = (512 << 10, 4)  # LTTng's default per-UID channel
LTTNG = "lttng"
OURS = "rseqtrace"
TRACERS = (OURS, LTTNG)

ROWS = (
    # id, figure, goal (text)
    ("burst1", "burst, 1 writer thread, defaults: events lost", "0 in every run"),
    ("burst2", "burst, 2 writer threads on 2 CPUs, defaults: events lost", "<= LTTng + 0.5 pp"),
    ("flat", "flat out, 2 writers, 4 x 512 KiB/CPU: events recorded/s", ">= 2 x LTTng"),
    ("paced", "highest paced rate with 0 loss (2 writers, defaults)", ">= 1.5 x LTTng"),
    ("cpu", "consumer CPU time per recorded event (flat runs)", "<= 0.5 x lttng-consumerd"),
    ("floor", "kernel floor (write/send only): CPU per event", "0.5 x lttng-consumerd vs it"),
    ("bytes", "bytes per event on disk, int+string + 3 contexts", "<= LTTng"),
    ("blocking", "blocking mode, flat out, defaults: events recorded/s, 0 lost", ">= 1.5 x LTTng"),
    ("writepath", "ns/event on the write path (bench/overhead)", "unchanged within noise"),
)
ROW_IDS = [r[0] for r in ROWS]
# The runs a row's figure comes from.
NEEDS = {"burst1": "burst1", "burst2": "burst2", "flat": "flat", "paced": "paced", "cpu": "flat",
         "floor": "floor", "bytes": "burst1", "blocking": "blocking", "writepath": "writepath"}


class Bench:
    def __init__(self, args, lttng, ours, traces):
        self.build = os.path.abspath(args.build)
        self.prog = {OURS: os.path.join(self.build, "bench/overhead/bench-overhead"),
                     LTTNG: os.path.join(self.build, "bench/overhead/bench-overhead-lttng")}
        self.lttng, self.ours, self.traces = lttng, ours, traces
        self.quick = args.quick
        self.reps = args.reps or (3 if args.quick else 10)
        self.flat_ms = 1000 if args.quick else 2000
        self.paced_ms = 2000 if args.quick else 10000
        self.paced_steps = 4 if args.quick else 6
        self.trace_discarded = args.trace_discarded
        self.runs = []  # every run, for runs.csv
        self.seq = 0    # names each run's trace directory

    # ---- one traced run ----------------------------------------------------------------

    def traced(self, tracer, prog_args, geometry=(None, None), blocking=False, label="", count=True,
               keep=False):
        """Runs the bench program under a session of tracer: a dict of what it
        emitted, what was recorded and lost, the consumers' CPU time, bytes."""
        self.seq += 1
        trace = os.path.join(self.traces, "%s-%s-%d" % (label, tracer, self.seq))
        subbuf, nsubbuf = geometry
        timeout = "inf" if blocking else None
        if tracer == LTTNG:
            name = self.lttng.session(trace, subbuf, nsubbuf, contexts=True, blocking_timeout=timeout)
            env = Lttng.app_env(blocking)
            consumers, others = self.lttng.consumerd_pids(), [self.lttng.pid()]
        else:
            name = self.ours.session(trace, subbuf, nsubbuf, blocking_timeout=timeout)
            env = self.ours.env()
            consumers, others = [self.ours.daemon.pid], []
        if not consumers:
            die("%s: no consumer process found" % tracer)
        cpu0 = {p: harness.cpu_seconds(p) for p in consumers + others}
        r = run([self.prog[tracer]] + prog_args, env=env, check=False, timeout=900)
        if tracer == LTTNG:
            listed, modes = self.lttng.stop(name), None
        else:
            listed, modes = self.ours.stop(name)
        cpu = {p: (harness.cpu_seconds(p) or 0) - (cpu0[p] or 0) for p in cpu0}
        (self.lttng if tracer == LTTNG else self.ours).destroy(name)
        if r.returncode != 0:
            die("%s run %s failed (exit %d): %s" % (tracer, " ".join(prog_args), r.returncode,
                                                    r.stderr.decode(errors="replace")))
        if modes is not None and modes != ["rseq"]:
            die("rseqtrace run: the daemon's buffers were %s, not rseq" % modes)
        kv = keyvals(r.stdout.decode())
        res = dict(row=label, tracer=tracer, emitted=int(kv["emitted"]),
                   seconds=int(kv["elapsed_ns"]) / 1e9, listed_discarded=listed,
                   consumer_cpu_s=sum(cpu[p] for p in consumers),
                   sessiond_cpu_s=sum(cpu[p] for p in others) if others else "",
                   writer_cpu_ns_per_event=float(kv["cpu_ns_per_event"]),
                   stream_bytes=harness.stream_bytes(trace), trace=trace if keep else "")
        res["emitted_per_s"] = res["emitted"] / res["seconds"]
        if count:
            self.count(res, trace)
        if not keep:
            shutil.rmtree(trace, ignore_errors=True)
        self.runs.append(res)
        return res

    def count(self, res, trace):
        """Fills in recorded, lost and the checks of res from the trace."""
        listed = res["listed_discarded"]
        rec, disc, notes = count_trace(trace, expect_loss=bool(listed) and self.trace_discarded,
                                       discarded_from_trace=self.trace_discarded)
        if rec is None:
            die("babeltrace2 could not read %s: %s" % (trace, notes))
        lost = res["emitted"] - rec
        if listed is None:
            notes.append("the tracer's list shows no discarded count")
        elif listed % harness.U64 != lost and (listed - (1 << 63)) != lost:
            notes.append("the tracer's list says %s discarded" % big_count(listed))
        if disc is not None and disc != lost:
            notes.append("the trace's discarded-event messages say %d" % disc)
        if disc is None and lost == 0:
            notes.append("no loss but discarded-event messages in the trace")
        res.update(recorded=rec, lost=lost, lost_pct=100.0 * lost / res["emitted"],
                   recorded_per_s=rec / res["seconds"], trace_discarded=disc, notes="; ".join(notes),
                   bytes_per_event=res["stream_bytes"] / rec if rec else None)
        return res

    def show(self, res):
        say("   %-9s %-9s emitted %10d (%5.1f M/s), recorded %10d (%5.1f M/s), lost %9d (%5.2f %%), "
            "list: %s discarded; consumer %.2f s CPU%s" % (
                res["row"], res["tracer"], res["emitted"], res["emitted_per_s"] / 1e6, res["recorded"],
                res["recorded_per_s"] / 1e6, res["lost"], res["lost_pct"], big_count(res["listed_discarded"]),
                res["consumer_cpu_s"],
                " (+ sessiond %.2f s)" % res["sessiond_cpu_s"] if res["sessiond_cpu_s"] != "" else ""))
        if res["notes"]:
            say("             NOTE: " + res["notes"])

    def alternating(self, label, prog_args, tracers=TRACERS, **kw):
        """--reps runs per tracer, alternating which goes first: {tracer: [runs]}."""
        got = {t: [] for t in tracers}
        for rep in range(self.reps):
            for t in (tracers if rep % 2 == 0 else tracers[::-1]):
                res = self.traced(t, prog_args, label=label, **kw)
                self.show(res)
                got[t].append(res)
        return got

    # ---- the measurements -------------------------------------------------------------

    def burst(self, threads):
        say("== burst%d: %d writer thread%s emit %d int+string events each as fast as they can, "
            "defaults, %d runs per tracer" % (threads, threads, "s" if threads > 1 else "",
                                              BURST_EVENTS, self.reps))
        return self.alternating("burst%d" % threads, ["enabled", "str", str(BURST_EVENTS), str(threads)])

    def flat(self):
        say("== flat: 2 writers flat out for %.1f s, %d x %d KiB per CPU, %d runs per tracer"
            % (self.flat_ms / 1000, FLAT_GEOMETRY[1], FLAT_GEOMETRY[0] >> 10, self.reps))
        return self.alternating("flat", ["sustain", "str", str(self.flat_ms), "2"], geometry=FLAT_GEOMETRY)

    def blocking(self):
        """Both tracers, or LTTng alone (ours n/a) when this build has no blocking mode."""
        tracers = TRACERS if self.ours.create_supports("--blocking-timeout") else (LTTNG,)
        say("== blocking: 2 writers flat out for %.1f s, --blocking-timeout=inf, defaults, %d runs per tracer%s"
            % (self.flat_ms / 1000, self.reps, "" if OURS in tracers else
               "; rseqtrace: n/a (--blocking-timeout not supported by this build)"))
        return self.alternating("blocking", ["sustain", "str", str(self.flat_ms), "2"], tracers=tracers,
                                blocking=True)

    def probe(self, tracer, rate):
        """One paced run (rate = both writers together, None = flat out): the
        tracer's own discarded count decides; the trace is kept for checking."""
        args = ["sustain", "str", str(self.paced_ms), "2"] + (["%.0f" % (rate / 2)] if rate else [])
        res = self.traced(tracer, args, label="paced", count=False, keep=True)
        lossless = res["listed_discarded"] == 0
        short = rate and res["emitted_per_s"] < 0.97 * rate
        say("   paced     %-9s %-22s emitted %5.2f M/s%s, list: %s discarded -> %s" % (
            tracer, "flat out" if not rate else "at %.2f M/s" % (rate / 1e6), res["emitted_per_s"] / 1e6,
            " (the writers fell short)" if short else "", big_count(res["listed_discarded"]),
            "no loss" if lossless else "loss"))
        return res, lossless

    def paced_search(self, tracer):
        """Bisection over rates between 0 and the flat-out rate: the highest lossless run, checked."""
        best = None
        res, lossless = self.probe(tracer, None)
        lo, hi = 0.0, res["emitted_per_s"]
        if lossless:
            best = res
        else:
            shutil.rmtree(res["trace"], ignore_errors=True)
            for _ in range(self.paced_steps):
                rate = (lo + hi) / 2
                res, lossless = self.probe(tracer, rate)
                if lossless:
                    lo = rate
                    if best:
                        shutil.rmtree(best["trace"], ignore_errors=True)
                    best = res
                else:
                    hi = rate
                    shutil.rmtree(res["trace"], ignore_errors=True)
        if best is None:
            say("   paced     %-9s lost events at every rate down to %.2f M/s" % (tracer, hi / 1e6))
            return dict(tracer=tracer, rate=None, checked=False, upper=hi)
        self.count(best, best["trace"])
        shutil.rmtree(best["trace"], ignore_errors=True)
        checked = best["lost"] == 0
        say("   paced     %-9s highest lossless: %.2f M/s emitted (next probe lost at %.2f M/s); "
            "babeltrace2: %d recorded of %d emitted: %s" % (
                tracer, best["emitted_per_s"] / 1e6, hi / 1e6, best["recorded"], best["emitted"],
                "0 lost" if checked else "%d LOST (the tracer's count said 0)" % best["lost"]))
        return dict(tracer=tracer, rate=best["emitted_per_s"] if checked else None, checked=checked,
                    upper=hi, run=best)

    def paced(self):
        say("== paced: 2 writers paced, %.0f s per probe, defaults; bisection (%d steps) between 0 and "
            "the flat-out rate, the tracer's discarded count deciding, the result checked with babeltrace2"
            % (self.paced_ms / 1000, self.paced_steps))
        return {t: self.paced_search(t) for t in TRACERS}

    def floor(self):
        """The kernel's floor (floor.c): ns per byte, buffered and O_DIRECT, --reps runs each, alternating."""
        say("== floor: write() of 512 MiB in %d KiB packets from memory to a file beside the traces, "
            "with the consumers' page-cache hints, and with O_DIRECT; %d runs each"
            % (FLAT_GEOMETRY[0] >> 10, self.reps))
        got = {"write": [], "direct": []}
        for rep in range(self.reps):
            for mode in (("write", "direct") if rep % 2 == 0 else ("direct", "write")):
                got[mode] += harness.kernel_floor(self.build, mode, self.traces, reps=1,
                                                  packet_kib=FLAT_GEOMETRY[0] >> 10)[1]
        for mode, per in got.items():
            say("   floor     %-9s %s" % (mode, "%s ns per 40 B" % " ".join("%.1f" % (40 * v) for v in per)
                                             if per else "n/a (no direct I/O on this file system)"))
        return {mode: statistics.median(per) if per else None for mode, per in got.items()}

    def writepath(self, ctx):
        say("== writepath: bench/overhead's sweep run, int+string, 1 thread, 4 x 4 MiB per CPU, %d runs each"
            % self.reps)
        got = {"rseq": [], "lttng": []}
        for rep in range(self.reps):
            for cfg in (("rseq", "lttng") if rep % 2 == 0 else ("lttng", "rseq")):
                res = overhead.sweep_run(cfg, "str", 1, ctx)
                if not res["delivered"]:
                    die("writepath: %s run lost events: %r" % (cfg, res))
                got[cfg].append(res["cpu"])
        ref = reference_write_path()
        say("   rseqtrace %s ns, LTTng-UST %s ns; snapshot (bench/overhead/results): %s" % (
            " ".join("%.1f" % v for v in got["rseq"]), " ".join("%.1f" % v for v in got["lttng"]),
            "%.1f / %.1f ns = %.3f" % ref if ref else "none"))
        return dict(ours=statistics.median(got["rseq"]), lttng=statistics.median(got["lttng"]), ref=ref)


def reference_write_path():
    """(rseq ns, LTTng ns, ratio) for int+string at 1 thread in bench/overhead/results, or None."""
    import csv
    path = os.path.join(HERE, "../overhead/results/results.csv")
    try:
        with open(path) as f:
            for r in csv.DictReader(f):
                if r["event"] == "str" and r["threads"] == "1":
                    return float(r["rseq"]), float(r["lttng"]), float(r["rseq"]) / float(r["lttng"])
    except (OSError, KeyError, ValueError):
        pass
    return None


# ---- the table ---------------------------------------------------------------------------

def med(runs, key):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def loss_cell(runs):
    lossless = sum(1 for r in runs if r["lost"] == 0)
    return "%.2f %% (0 lost in %d/%d)" % (med(runs, "lost_pct"), lossless, len(runs))


def figures(got):
    """The table: one dict per row (figure, ours, lttng, ratio, goal, verdict + the numbers)."""
    rows = []

    def add(rid, ours_txt, lttng_txt, ours_v, lttng_v, ratio, verdict, note=""):
        fig, goal = next((r[1], r[2]) for r in ROWS if r[0] == rid)
        rows.append(dict(row=rid, figure=fig, rseqtrace=ours_txt, lttng=lttng_txt, rseqtrace_value=ours_v,
                         lttng_value=lttng_v, ratio="" if ratio is None else "%.2f" % ratio, goal=goal,
                         verdict=verdict, note=note))

    def ratio(a, b):
        return a / b if a is not None and b else None

    def verdict(ok):
        return "n/a" if ok is None else "met" if ok else "MISSED"

    if "burst1" in got:
        o, lt = got["burst1"][OURS], got["burst1"][LTTNG]
        ok = all(r["lost"] == 0 for r in o)
        add("burst1", loss_cell(o), loss_cell(lt), med(o, "lost_pct"), med(lt, "lost_pct"), None,
            verdict(ok), "%d runs" % len(o))
    if "burst2" in got:
        o, lt = got["burst2"][OURS], got["burst2"][LTTNG]
        mo, ml = med(o, "lost_pct"), med(lt, "lost_pct")
        add("burst2", loss_cell(o), loss_cell(lt), mo, ml, None, verdict(mo <= ml + 0.5),
            "medians; difference %+.2f pp" % (mo - ml))
    if "flat" in got:
        o, lt = got["flat"][OURS], got["flat"][LTTNG]
        mo, ml = med(o, "recorded_per_s"), med(lt, "recorded_per_s")
        add("flat", "%.2f M/s (%.1f %% lost)" % (mo / 1e6, med(o, "lost_pct")),
            "%.2f M/s (%.1f %% lost)" % (ml / 1e6, med(lt, "lost_pct")), mo, ml, ratio(mo, ml),
            verdict(mo >= 2 * ml), "medians")
    if "paced" in got:
        o, lt = got["paced"][OURS], got["paced"][LTTNG]

        def cell(p):
            if p["rate"] is None:
                return "none (lost at %.2f M/s)" % (p["upper"] / 1e6) if not p.get("run") else "unchecked"
            return "%.2f M/s" % (p["rate"] / 1e6)
        rr = ratio(o["rate"], lt["rate"])
        add("paced", cell(o), cell(lt), o["rate"], lt["rate"], rr,
            verdict(None if rr is None else rr >= 1.5), "one bisection per tracer")
    if "cpu" in got:
        o, lt = got["flat"][OURS], got["flat"][LTTNG]
        co = statistics.median(1e9 * r["consumer_cpu_s"] / r["recorded"] for r in o)
        cl = statistics.median(1e9 * r["consumer_cpu_s"] / r["recorded"] for r in lt)
        cs = statistics.median(1e9 * r["sessiond_cpu_s"] / r["recorded"] for r in lt)
        add("cpu", "%.1f ns (rseqtraced)" % co, "%.1f ns (+ %.1f sessiond)" % (cl, cs), co, cl, ratio(co, cl),
            verdict(co <= 0.5 * cl), "lttng-consumerd alone; with lttng-sessiond %.2f" % (co / (cl + cs)))
    if "floor" in got:
        f = got["floor"]
        flat = got.get("flat")
        bo = med(flat[OURS], "bytes_per_event") if flat else None
        bl = med(flat[LTTNG], "bytes_per_event") if flat else None
        bo, bl = bo or 40.0, bl or 40.0
        fo, fl = f["write"] * bo, f["write"] * bl
        note = "O_DIRECT writes: %s" % ("%.1f ns at %.1f B" % (f["direct"] * bo, bo) if f["direct"] else "n/a")
        if flat:
            co = statistics.median(1e9 * r["consumer_cpu_s"] / r["recorded"] for r in flat[OURS])
            cl = statistics.median(1e9 * r["consumer_cpu_s"] / r["recorded"] for r in flat[LTTNG])
            note += "; above the floor: rseqtraced %+.1f ns, lttng-consumerd %+.1f ns; the goal, %.1f ns, " \
                    "is %s our floor" % (co - fo, cl - fl, 0.5 * cl, "below" if 0.5 * cl < fo else "above")
        add("floor", "%.1f ns (at %.1f B/event)" % (fo, bo), "%.1f ns (at %.1f B/event)" % (fl, bl), fo, fl,
            None, "info", note)
    if "bytes" in got:
        o, lt = got["burst1"][OURS], got["burst1"][LTTNG]
        bo, bl = med(o, "bytes_per_event"), med(lt, "bytes_per_event")
        add("bytes", "%.1f B" % bo, "%.1f B" % bl, bo, bl, ratio(bo, bl), verdict(bo <= bl),
            "stream files / recorded events, burst1 runs")
    if "blocking" in got:
        b = got["blocking"]
        lt = b[LTTNG]
        ml, lost_l = med(lt, "recorded_per_s"), sum(r["lost"] for r in lt)
        lcell = "%.2f M/s, %d lost" % (ml / 1e6, lost_l)
        if OURS not in b:
            add("blocking", "n/a", lcell, None, ml, None, "n/a", "--blocking-timeout not supported by this build")
        else:
            o = b[OURS]
            mo, lost_o = med(o, "recorded_per_s"), sum(r["lost"] for r in o)
            add("blocking", "%.2f M/s, %d lost" % (mo / 1e6, lost_o), lcell, mo, ml, ratio(mo, ml),
                verdict(mo >= 1.5 * ml and lost_o == 0), "medians; lost: all runs")
    if "writepath" in got:
        w = got["writepath"]
        rr = w["ours"] / w["lttng"]
        ref = w["ref"]
        add("writepath", "%.1f ns" % w["ours"], "%.1f ns" % w["lttng"], w["ours"], w["lttng"], rr,
            verdict(None if not ref else rr <= ref[2] * 1.10),
            "snapshot ratio %.2f; met if within +10 %%" % ref[2] if ref else "no snapshot to compare")
    return rows


def print_table(rows):
    say()
    say("rseqtrace against LTTng 2.13 (ratio = rseqtrace / LTTng)")
    w = (62, 30, 30, 6, 26, 7)
    hdr = ("figure", "rseqtrace", "LTTng 2.13", "ratio", "goal", "")
    line = "  ".join("%-*s" % (n, h) for n, h in zip(w, hdr))
    say(line)
    say("-" * len(line))
    for r in rows:
        say("  ".join("%-*s" % (n, v) for n, v in zip(w, (r["figure"], r["rseqtrace"], r["lttng"], r["ratio"],
                                                            r["goal"], r["verdict"]))))
        if r["note"]:
            say("%-*s  (%s)" % (w[0], "", r["note"]))


def markdown(rows, path):
    with open(path, "w") as f:
        f.write("| figure | rseqtrace | LTTng 2.13 | ratio | goal | |\n|---|---|---|---|---|---|\n")
        for r in rows:
            f.write("| %s | %s | %s | %s | %s | %s |\n" % (r["figure"], r["rseqtrace"], r["lttng"], r["ratio"],
                                                        r["goal"], r["verdict"]))
    harness.written.append(path)


def plot(rows, out):
    """Three panels, ours beside LTTng's: events/s, loss, cost per event."""
    by = {r["row"]: r for r in rows}
    panels = (("events recorded per second (M/s)", ("flat", "paced", "blocking"), 1e-6),
              ("events lost (%, median)", ("burst1", "burst2"), 1),
              ("per event: consumer CPU and kernel floor (ns), bytes on disk, writer (ns)", ("cpu", "floor", "bytes", "writepath"), 1))
    script = ['set terminal pngcairo size 1200,450 font "sans,9" noenhanced',
              "set output '%s'" % os.path.join(out, "consumer.png"),
              "set multiplot layout 1,3 title 'rseqtrace vs LTTng 2.13: %s, %s'" % (
                  harness.machine_line(), time.strftime("%Y-%m-%d")),
              "set style data histograms", "set style histogram clustered gap 1",
              "set style fill solid 0.85 border -1", "set boxwidth 0.9", "set grid ytics",
              "set key top right", "set yrange [0:*]", "set xtics rotate by -20"]
    for i, (title, ids, scale) in enumerate(panels):
        dat = os.path.join(out, "consumer-%d.dat" % i)
        with open(dat, "w") as f:
            for rid in ids:
                r = by.get(rid)
                if r and r["rseqtrace_value"] is not None and r["lttng_value"] is not None:
                    f.write('"%s" %g %g\n' % (rid, r["rseqtrace_value"] * scale, r["lttng_value"] * scale))
        if os.path.getsize(dat) == 0:
            with open(dat, "w") as f:
                f.write('"(not run)" 0 0\n')
        script += ["set title '%s'" % title,
                   "plot '%s' using 2:xtic(1) title 'rseqtrace' lc rgb '#1b9e77', "
                   "'' using 3 title 'LTTng 2.13' lc rgb '#d95f02'" % dat]
    script.append("unset multiplot")
    r = subprocess.run(["gnuplot"], input="\n".join(script).encode(), stderr=subprocess.PIPE)
    if r.returncode != 0:
        say("gnuplot failed: " + r.stderr.decode())
        return None
    return os.path.join(out, "consumer.png")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", default=None, help="default BUILD/bench-results/consumer")
    ap.add_argument("--traces", default=None, help="where traces are written (default BUILD/bench-scratch)")
    ap.add_argument("--reps", type=int, default=None, help="runs per tracer of the repeated rows "
                    "(default 10, --quick 3)")
    ap.add_argument("--quick", action="store_true", help="3 runs, short flat (1 s) and paced (2 s) runs")
    ap.add_argument("--only", default=",".join(ROW_IDS), help="rows: " + ",".join(ROW_IDS))
    ap.add_argument("--trace-discarded", action="store_true",
                    help="also sum the discarded-event counts babeltrace2 reads in each trace (slow)")
    args = ap.parse_args()
    only = [r for r in args.only.split(",") if r]
    for r in only:
        if r not in ROW_IDS:
            die("no row '%s' (have: %s)" % (r, ",".join(ROW_IDS)))
    build = os.path.abspath(args.build)
    for p in ("bench/overhead/bench-overhead", "bench/overhead/bench-overhead-lttng",
              "bench/consumer/consumer-floor"):
        if not os.access(os.path.join(build, p), os.X_OK):
            die("%s not built in %s" % (p, build))
    out = os.path.abspath(args.out or os.path.join(build, "bench-results/consumer"))
    os.makedirs(out, exist_ok=True)
    traces = harness.scratch_dir(os.path.abspath(args.traces or os.path.join(build, "bench-scratch")))

    lttng = Lttng()
    ours = None
    t0 = time.time()
    try:
        ours = Ours(build)
        bench = Bench(args, lttng, ours, traces)
        say("rseqtrace consumer benchmark, %s%s" % (time.strftime("%Y-%m-%d %H:%M:%S"),
                                                    " (--quick)" if args.quick else ""))
        say("machine: %s; load average at start: %s" % (harness.machine_line(), harness.load_average()))
        say("LTTng: %s; %s" % (run(["lttng", "--version"]).stdout.decode().strip(), lttng.describe()))
        say("rseqtrace: %s" % ours.describe)
        say("traces: %s, %s" % (traces, harness.filesystem_of(traces)))
        say("defaults: LTTng per-UID channel 4 x 512 KiB per CPU; rseqtrace `create` defaults (%s)"
            % ours_defaults(ours))
        say()
        need = [m for m in ("burst1", "burst2", "flat", "paced", "blocking", "floor", "writepath")
                if any(NEEDS[r] == m for r in only)]
        got = {}
        for m in need:
            if m == "writepath":
                got[m] = bench.writepath(dict(build=build, lttng=lttng, ours=ours, scratch=traces))
            elif m.startswith("burst"):
                got[m] = bench.burst(int(m[-1]))
            else:
                got[m] = getattr(bench, m)()
        for r in only:
            if NEEDS[r] != r:
                got[r] = True  # derived from another row's runs
        rows = [r for r in figures(got) if r["row"] in only]
        rows.sort(key=lambda r: ROW_IDS.index(r["row"]))
        print_table(rows)
        say()
        say("load average at the end: %s" % harness.load_average())
        harness.write_csv(os.path.join(out, "consumer.csv"), rows)
        harness.write_csv(os.path.join(out, "runs.csv"), bench.runs,
                          ["row", "tracer", "emitted", "recorded", "lost", "lost_pct", "seconds",
                           "emitted_per_s", "recorded_per_s", "listed_discarded", "trace_discarded",
                           "consumer_cpu_s", "sessiond_cpu_s", "writer_cpu_ns_per_event", "stream_bytes",
                           "bytes_per_event", "notes"])
        markdown(rows, os.path.join(out, "table.md"))
        say("plot: %s" % plot(rows, out))
        say("files: %s" % ", ".join(harness.written))
        say("took %.0f s" % (time.time() - t0))
        harness.write_summary(out)
    finally:
        shutil.rmtree(traces, ignore_errors=True)
        if ours:
            ours.close()
        lttng.close()


def ours_defaults(ours):
    """rseqtrace's default geometry, as a session created with no options shows it."""
    name = "defaults-%d" % os.getpid()
    run(ours.ctl("create", name, "-o", os.path.join(ours.home, "unused")))
    kv = keyvals(run(ours.ctl("list", name, "--kv")).stdout.decode())
    run(ours.ctl("destroy", name))
    return "%s x %d KiB per CPU, per-%s" % (kv.get("num_subbuf"), int(kv.get("subbuf_size", 0)) >> 10,
                                            kv.get("buffers", "?").upper())


if __name__ == "__main__":
    main()
