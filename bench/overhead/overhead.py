#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""rseqtrace against LTTng-UST on this machine, side by side in one run.

usage: overhead.py --build DIR [--out DIR] [--reps N] [--quick] [--only PART,...]

Parts (all by default, in this order):
  sweep     ns/event for the int+string and the four-integer event at 1, 2
            and 8 threads: baseline loop, disabled tracepoint (both tracers),
            rseqtrace rseq mode (monotonic and TSC clock), rseqtrace locked
            mode, LTTng-UST with a real per-UID session (4 x 4 MiB, discard),
            and the same events from an LTTng-UST-style provider traced by
            rseqtrace through its LTTng-UST compatibility headers (ust,
            bench-overhead-ust, rseq mode, monotonic clock).
            Runs alternate between configurations (A/B/C... in a rotating
            order), each figure is the median of --reps runs (>= 5).
  sustain   2 writer threads flat out for a few seconds into 4 x 512 KiB per
            CPU (LTTng's default per-UID channel) in both tracers: events/s
            and loss.
  memory    shared-memory bytes mapped (and resident) by 10 concurrent traced
            processes of 2 threads each, per-UID and per-PID buffers, both
            tracers; per-PID also with every process under `taskset -c 0`
            (rseqtrace indexes per-PID buffers by mm_cid: one buffer then).
Every traced run checks delivery: events recorded in the trace + discarded
events the trace reports = events the program emitted.

Writes to --out: results.csv (one row per configuration), runs.csv (every
run), sustain.csv, memory.csv, overhead.png (gnuplot) and summary.txt (the
table printed on stdout). lttng-sessiond is started if none runs and stopped
at the end; traces go to a scratch directory in /dev/shm (tmpfs), so the disk
is not what is measured.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402
from harness import (Lttng, Ours, big_count, clean_env, count_trace, die, keyvals,  # noqa: E402
                     machine_line, run, say, scratch_dir, write_csv)

harness.PROG = "overhead"

THREADS = (1, 2, 8)
EVENTS = (("str", "int+string"), ("ints", "four integers"))
# All threads together. A run fits in one CPU's 4 x 4 MiB even with contexts
# (56-byte int+string records), so no run depends on how fast a consumer is.
SWEEP_EVENTS_PER_RUN = 250000
LOOP_ITERATIONS = 100000000       # baseline and disabled runs (all threads together)
SUSTAIN_MS = 1500
MEMORY_PROCS = 10
MEMORY_THREADS = 2                # per process, emitting at once

CONFIGS = (
    # name, label, tracer
    ("baseline", "baseline loop", None),
    ("disabled", "disabled (rseqtrace)", None),
    ("disabled-lttng", "disabled (LTTng-UST)", None),
    ("rseq", "rseqtrace rseq", "rseqtrace"),
    ("rseq-tsc", "rseqtrace rseq tsc", "rseqtrace"),
    ("locked", "rseqtrace locked", "rseqtrace"),
    ("lttng", "LTTng-UST", "lttng-ust"),
    ("ust", "rseqtrace via LTTng-UST API", "rseqtrace"),
)

# ---- the sweep -------------------------------------------------------------------------

def sweep_run(cfg, ev, threads, ctx):
    """One run of one configuration: a dict of figures."""
    build, lttng, ours, scratch = ctx["build"], ctx["lttng"], ctx["ours"], ctx["scratch"]
    prog = os.path.join(build, "bench/overhead/bench-overhead")
    prog_lttng = prog + "-lttng"
    if cfg == "ust":
        prog = prog + "-ust"
    n_loop = str(LOOP_ITERATIONS // threads)
    n_ev = str(SWEEP_EVENTS_PER_RUN // threads)
    trace = os.path.join(scratch, "trace")
    shutil.rmtree(trace, ignore_errors=True)
    tracer_discarded = None
    if cfg == "baseline":
        r = run([prog, "loop", ev, n_loop, str(threads)], env=clean_env())
    elif cfg == "disabled":
        r = run([prog, "disabled", ev, n_loop, str(threads)], env=clean_env())
    elif cfg == "disabled-lttng":
        r = run([prog_lttng, "disabled", ev, n_loop, str(threads)], env=clean_env())
    elif cfg == "lttng":
        s = lttng.session(trace, 4 << 20, 4, contexts=ours.contexts())
        r = run([prog_lttng, "enabled", ev, n_ev, str(threads)], env=clean_env(), check=False)
        tracer_discarded = lttng.finish(s)
        if r.returncode != 0:
            die("LTTng run failed: " + r.stderr.decode())
    else:
        clock = "tsc" if cfg == "rseq-tsc" else "monotonic"
        s = ours.session(trace, 4 << 20, 4, clock=clock)
        env = ours.env(trace, 4 << 20, 4, clock=clock, locked=cfg == "locked")
        r = run([prog, "enabled", ev, n_ev, str(threads)], env=env, check=False)
        tracer_discarded, modes = ours.finish(s)
        if r.returncode != 0:
            die("rseqtrace run failed: " + r.stderr.decode())
    kv = keyvals(r.stdout.decode())
    res = {"cpu": float(kv["cpu_ns_per_event"]), "wall": float(kv["wall_ns_per_event_per_thread"]),
           "emitted": int(kv["emitted"])}
    if cfg in ("rseq", "rseq-tsc", "locked", "ust"):
        want = "locked" if cfg == "locked" else "rseq"
        if "inproc_mode" in kv:
            if kv["inproc_mode"] != want:
                die("%s run used buffer mode %s" % (cfg, kv["inproc_mode"]))
            tracer_discarded = int(kv["inproc_discarded"]) + int(kv["inproc_unreported"])
        elif want not in modes or (want == "rseq" and modes != ["rseq"]):
            die("%s run: the daemon's buffers were %s" % (cfg, modes))
    if CONFIG_TRACER[cfg]:
        rec, disc, notes = count_trace(trace)
        res.update(recorded=rec, discarded=disc, notes=notes, tracer_discarded=tracer_discarded,
                   delivered=rec is not None and rec + disc == res["emitted"])
    shutil.rmtree(trace, ignore_errors=True)
    return res


CONFIG_TRACER = {c[0]: c[2] for c in CONFIGS}
CONFIG_LABEL = {c[0]: c[1] for c in CONFIGS}


def clock_floor(ctx, reps):
    """ns of one clock_gettime(CLOCK_MONOTONIC) and one rdtsc here (medians)."""
    prog = os.path.join(ctx["build"], "bench/overhead/bench-overhead")
    got = {}
    for mode in ("clock", "tsc"):
        v = [float(keyvals(run([prog, mode, "str", "10000000", "1"], env=clean_env()).stdout.decode())
                   ["cpu_ns_per_event"]) for _ in range(reps)]
        got[mode] = statistics.median(v)
    say("clock reads (the floor of a timestamped event): clock_gettime(CLOCK_MONOTONIC) %.1f ns, "
        "rdtsc %.1f ns" % (got["clock"], got["tsc"]))
    return got


def sweep(ctx, reps):
    rows = []
    runs_csv = []
    names = [c[0] for c in CONFIGS]
    ctx["floor"] = clock_floor(ctx, reps)
    say("== sweep: ns/event = threads' CPU time / events (median of %d alternating runs)" % reps)
    say("   traced runs: %d events per run in total, baseline/disabled: %d iterations"
        % (SWEEP_EVENTS_PER_RUN, LOOP_ITERATIONS))
    for ev, ev_label in EVENTS:
        for threads in THREADS:
            results = {n: [] for n in names}
            for rep in range(reps):
                order = names[rep % len(names):] + names[:rep % len(names)]
                for cfg in order:
                    res = sweep_run(cfg, ev, threads, ctx)
                    results[cfg].append(res)
                    runs_csv.append(dict(event=ev, threads=threads, config=cfg, rep=rep,
                                         cpu_ns_per_event=res["cpu"],
                                         wall_ns_per_event_per_thread=res["wall"],
                                         emitted=res["emitted"], recorded=res.get("recorded", ""),
                                         discarded=res.get("discarded", ""),
                                         tracer_discarded=res.get("tracer_discarded", ""),
                                         delivered=res.get("delivered", ""),
                                         notes="; ".join(res.get("notes", []))))
            row = {"event": ev, "event_label": ev_label, "threads": threads}
            for cfg in names:
                cpu = [r["cpu"] for r in results[cfg]]
                row[cfg] = statistics.median(cpu)
                row[cfg + "_min"] = min(cpu)
                row[cfg + "_max"] = max(cpu)
                row[cfg + "_wall"] = statistics.median(r["wall"] for r in results[cfg])
                if CONFIG_TRACER[cfg]:
                    rs = results[cfg]
                    row[cfg + "_delivered"] = "%d/%d" % (sum(1 for r in rs if r["delivered"]), len(rs))
                    row[cfg + "_emitted"] = sum(r["emitted"] for r in rs)
                    row[cfg + "_recorded"] = sum(r["recorded"] or 0 for r in rs)
                    row[cfg + "_discarded"] = sum(r["discarded"] or 0 for r in rs)
                    notes = sorted({n for r in rs for n in r["notes"]})
                    row[cfg + "_notes"] = "; ".join(notes)
            rows.append(row)
            say("   %-13s %d thread%s: rseq %.1f  tsc %.1f  locked %.1f  LTTng %.1f ns  (x%.2f)"
                "  LTTng-UST API via rseqtrace %.1f ns" % (
                    ev_label, threads, "s" if threads > 1 else " ", row["rseq"], row["rseq-tsc"],
                    row["locked"], row["lttng"], row["rseq"] / row["lttng"], row["ust"]))
    return rows, runs_csv


# ---- sustained rate ----------------------------------------------------------------------

def sustain(ctx):
    build, lttng, ours, scratch = ctx["build"], ctx["lttng"], ctx["ours"], ctx["scratch"]
    prog = os.path.join(build, "bench/overhead/bench-overhead")
    say("== sustain: 2 writer threads for %.1f s, int+string event, 4 x 512 KiB per CPU, discard mode"
        % (SUSTAIN_MS / 1000))
    rows = []

    def one(tracer, rate=None):
        trace = os.path.join(scratch, "sustain-" + tracer)
        shutil.rmtree(trace, ignore_errors=True)
        args = ["sustain", "str", str(SUSTAIN_MS), "2"] + (["%.0f" % rate] if rate else [])
        if tracer == "lttng-ust":
            s = lttng.session(trace, 512 << 10, 4, contexts=ours.contexts())
            r = run([prog + "-lttng"] + args, env=clean_env())
            tracer_disc = lttng.finish(s)
        else:
            s = ours.session(trace, 512 << 10, 4)
            r = run([prog] + args, env=ours.env(trace, 512 << 10, 4))
            tracer_disc, _ = ours.finish(s)
        kv = keyvals(r.stdout.decode())
        if "inproc_discarded" in kv:
            tracer_disc = int(kv["inproc_discarded"]) + int(kv["inproc_unreported"])
        emitted = int(kv["emitted"])
        secs = int(kv["elapsed_ns"]) / 1e9
        rec, disc, notes = count_trace(trace, expect_loss=True)
        shutil.rmtree(trace, ignore_errors=True)
        pace = "flat out" if not rate else "paced to %.1f M/s" % (2 * rate / 1e6)
        row = dict(tracer=tracer, writers=pace, seconds=secs, emitted=emitted,
                   emitted_per_s=emitted / secs, recorded=rec, recorded_per_s=(rec or 0) / secs,
                   discarded=disc, loss_pct=100.0 * (disc or 0) / emitted, tracer_discarded=tracer_disc,
                   delivered=rec is not None and rec + disc == emitted,
                   cpu_ns_per_event=float(kv["cpu_ns_per_event"]), notes="; ".join(notes))
        rows.append(row)
        say("   %-9s %-18s emitted %6.1f M/s, recorded %6.1f M/s (%d events), discarded %d (%.1f %%)" % (
            tracer, pace, emitted / secs / 1e6, (rec or 0) / secs / 1e6, rec or 0, disc or 0,
            row["loss_pct"]))
        say("             recorded + discarded = emitted (%d): %s; the tracer's own discarded count: %s%s" % (
            emitted, "yes" if row["delivered"] else "NO (%+d)" % ((rec or 0) + (disc or 0) - emitted),
            big_count(tracer_disc), ("; " + row["notes"]) if notes else ""))
        return row

    one("rseqtrace")
    lt = one("lttng-ust")
    # The same offered load as LTTng-UST's writers managed: does the consumer keep up?
    one("rseqtrace", rate=lt["emitted_per_s"] / 2)
    return rows


# ---- memory -----------------------------------------------------------------------------

SMAPS_HEAD = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ (\S+) (\d+)\s*(.*)$")


def shared_mappings(pid):
    """{(dev, inode, path): (size, rss)} of the shared mappings of pid."""
    maps = {}
    key = None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            m = SMAPS_HEAD.match(line)
            if m:
                start, end, perms, dev, inode, path = m.groups()
                key = None
                if perms[3] == "s":
                    key = (dev, int(inode), path.replace(" (deleted)", ""))
                    size = int(end, 16) - int(start, 16)
                    old = maps.get(key, (0, 0))
                    maps[key] = (old[0] + size, old[1])
            elif key and line.startswith("Rss:"):
                old = maps[key]
                maps[key] = (old[0], old[1] + int(line.split()[1]) * 1024)
    return maps


def memory(ctx):
    build, lttng, ours, scratch = ctx["build"], ctx["lttng"], ctx["ours"], ctx["scratch"]
    prog = os.path.join(build, "bench/overhead/bench-overhead")
    say("== memory: shared memory mapped by %d concurrent traced processes of %d threads, "
        "4 x 512 KiB per buffer, %d CPUs" % (MEMORY_PROCS, MEMORY_THREADS, os.cpu_count()))
    rows = []
    taskset = shutil.which("taskset")
    cases = [("lttng-ust", "uid", None), ("lttng-ust", "pid", None), ("lttng-ust", "pid", "0"),
             ("rseqtrace", "uid", None), ("rseqtrace", "pid", None), ("rseqtrace", "pid", "0")]
    for tracer, buffers, cpus in cases:
        if cpus and not taskset:
            say("   %-9s per-%s, taskset -c %s: not measured (no taskset)" % (tracer, buffers.upper(), cpus))
            continue
        if tracer == "rseqtrace" and buffers == "uid" and not ours.per_uid:
            rows.append(dict(tracer=tracer, buffers=buffers, cpus="all", processes=MEMORY_PROCS,
                             objects="", bytes="", rss="",
                             note="needs the daemon (per-UID buffers); not measured"))
            say("   %-9s per-%s: not measured (the in-process session has per-process buffers only)"
                % (tracer, buffers.upper()))
            continue
        trace = os.path.join(scratch, "mem")
        shutil.rmtree(trace, ignore_errors=True)
        session = None
        if tracer == "lttng-ust":
            session = lttng.session(trace, 512 << 10, 4, buffers=buffers, contexts=ours.contexts())
            cmd, env = [prog + "-lttng", "hold", "str", "1000", str(MEMORY_THREADS)], clean_env()
        else:
            session = ours.session(trace, 512 << 10, 4, buffers=buffers)
            cmd, env = ([prog, "hold", "str", "1000", str(MEMORY_THREADS)],
                        ours.env(trace, 512 << 10, 4))
        if cpus:
            cmd = [taskset, "-c", cpus] + cmd
        procs = [subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                 for _ in range(MEMORY_PROCS)]
        for p in procs:
            line = p.stdout.readline().decode()
            if not line.startswith("ready"):
                die("memory: a traced process did not start: %r" % line)
        unique = {}
        for p in procs:
            for k, (size, rss) in shared_mappings(p.pid).items():
                old = unique.get(k, (0, 0))
                unique[k] = (max(old[0], size), max(old[1], rss))
        for p in procs:
            p.stdin.close()
        for p in procs:
            p.wait(timeout=60)
        if session and tracer == "lttng-ust":
            lttng.finish(session)
        elif session:
            ours.finish(session)
        shutil.rmtree(trace, ignore_errors=True)
        total = sum(v[0] for v in unique.values())
        rss = sum(v[1] for v in unique.values())
        kinds = sorted({re.sub(r"[-0-9]+$", "", os.path.basename(k[2])) or "(anonymous)" for k in unique})
        where = "taskset -c " + cpus if cpus else "all CPUs"
        rows.append(dict(tracer=tracer, buffers=buffers, cpus=cpus or "all", processes=MEMORY_PROCS,
                         objects=len(unique), bytes=total, rss=rss, note=" ".join(kinds)))
        say("   %-9s per-%s, %-13s %3d shared objects, %7.1f MiB mapped, %7.1f MiB resident  (%s)" % (
            tracer, buffers.upper(), where + ":", len(unique), total / 2**20, rss / 2**20,
            " ".join(kinds)))
    for buffers, cpus in (("uid", "all"), ("pid", "all"), ("pid", "0")):
        pick = [(r["tracer"], r) for r in rows if r["buffers"] == buffers and r["cpus"] == cpus]
        o = [r for t, r in pick if t == "rseqtrace" and r["bytes"] != ""]
        l = [r for t, r in pick if t == "lttng-ust" and r["bytes"]]
        if o and l:
            say("   per-%s%s: rseqtrace / LTTng-UST = %.2f mapped, %.2f resident" % (
                buffers.upper(), ", taskset -c " + cpus if cpus != "all" else "",
                o[0]["bytes"] / l[0]["bytes"], o[0]["rss"] / l[0]["rss"] if l[0]["rss"] else 0))
    return rows


# ---- output ---------------------------------------------------------------------------------

def table(rows):
    say()
    say("ns/event (CPU time per event, median); ratio = rseqtrace / LTTng-UST")
    hdr = ("%-14s %3s %8s %8s %8s %8s %8s %8s %8s  %7s %7s %7s" % (
        "event", "thr", "baseline", "disabled", "dis.LTTng", "rseq", "rseq-tsc", "locked", "LTTng",
        "rseq/L", "tsc/L", "lock/L"))
    say(hdr)
    say("-" * len(hdr))
    for r in rows:
        say("%-14s %3d %8.2f %8.2f %8.2f %8.1f %8.1f %8.1f %8.1f  %7.3f %7.3f %7.3f" % (
            r["event_label"], r["threads"], r["baseline"], r["disabled"], r["disabled-lttng"],
            r["rseq"], r["rseq-tsc"], r["locked"], r["lttng"], r["rseq"] / r["lttng"],
            r["rseq-tsc"] / r["lttng"], r["locked"] / r["lttng"]))
    say()
    say("An LTTng-UST-style provider traced by rseqtrace (compat/lttng-ust) beside the same events "
        "in rseqtrace's macros and in LTTng-UST:")
    hdr = "%-14s %3s %10s %10s %10s  %8s %8s" % ("event", "thr", "ust-compat", "rseq", "LTTng",
                                                  "ust/rseq", "ust/L")
    say(hdr)
    say("-" * len(hdr))
    for r in rows:
        say("%-14s %3d %10.1f %10.1f %10.1f  %8.3f %8.3f" % (
            r["event_label"], r["threads"], r["ust"], r["rseq"], r["lttng"], r["ust"] / r["rseq"],
            r["ust"] / r["lttng"]))
    say()
    say("delivery (recorded + discarded = emitted, runs exact / runs; events recorded, discarded):")
    for r in rows:
        parts = []
        for cfg in ("rseq", "rseq-tsc", "locked", "lttng", "ust"):
            parts.append("%s %s (%d, %d)" % (cfg, r[cfg + "_delivered"], r[cfg + "_recorded"],
                                             r[cfg + "_discarded"]))
        say("   %-13s %d thr: %s" % (r["event_label"], r["threads"], "  ".join(parts)))
        for cfg in ("rseq", "rseq-tsc", "locked", "lttng", "ust"):
            if r[cfg + "_notes"]:
                say("      %s: %s" % (cfg, r[cfg + "_notes"]))


def beyond_clock(rows, floor):
    say()
    say("beyond the clock read (event ns minus clock_gettime %.1f ns / rdtsc %.1f ns):" % (
        floor["clock"], floor["tsc"]))
    for r in rows:
        ours_m = r["rseq"] - floor["clock"]
        ours_t = r["rseq-tsc"] - floor["tsc"]
        lt = r["lttng"] - floor["clock"]
        say("   %-13s %d thr: rseqtrace %5.1f ns (tsc %5.1f), LTTng-UST %5.1f ns -> x%.2f (tsc x%.2f)" % (
            r["event_label"], r["threads"], ours_m, ours_t, lt, ours_m / lt, ours_t / lt))


def targets(rows, sus):
    say()
    say("targets (reported, not tested):")
    for r in rows:
        say("   %-13s %d thr: rseq %.3fx LTTng (target <= 0.25) %s; tsc %.3fx (<= 0.15) %s" % (
            r["event_label"], r["threads"], r["rseq"] / r["lttng"],
            "met" if r["rseq"] / r["lttng"] <= 0.25 else "MISSED", r["rseq-tsc"] / r["lttng"],
            "met" if r["rseq-tsc"] / r["lttng"] <= 0.15 else "MISSED"))
    by = {(r["event"], r["threads"]): r for r in rows}
    for ev, label in EVENTS:
        if (ev, 1) in by and (ev, 2) in by:
            for cfg in ("rseq", "lttng"):
                q = by[(ev, 2)][cfg] / by[(ev, 1)][cfg]
                say("   %-13s %-5s per-thread cost 2 threads / 1 thread = %.2f (target <= 1.1) %s" % (
                    label, cfg, q, "met" if q <= 1.1 else "MISSED"))
    if sus:
        lt = next(s for s in sus if s["tracer"] == "lttng-ust")
        for us in (s for s in sus if s["tracer"] == "rseqtrace"):
            say("   sustained, rseqtrace %s: lost %.1f %%, LTTng-UST flat out %.1f %% (target: zero where "
                "LTTng loses) %s" % (us["writers"], us["loss_pct"], lt["loss_pct"],
                                     "n/a" if not lt["discarded"] else
                                     "met" if not us["discarded"] else "MISSED"))


def plot(rows, out, floor):
    dat = os.path.join(out, "overhead.dat")
    with open(dat, "w") as f:
        f.write("# config rseq rseq-tsc locked lttng (ns/event)\n")
        for r in rows:
            f.write('"%s\\n%d thr" %.3f %.3f %.3f %.3f\n' % (
                "int+str" if r["event"] == "str" else "4 ints", r["threads"], r["rseq"],
                r["rseq-tsc"], r["locked"], r["lttng"]))
    png = os.path.join(out, "overhead.png")
    dis = rows[0]
    script = """
set terminal pngcairo size 1000,600 font "sans,10" noenhanced
set output '%s'
set bmargin 4
set title "ns per event (CPU time, median of runs): rseqtrace vs LTTng-UST 2.13.5, %s\\nclock_gettime %.1f ns, rdtsc %.1f ns; disabled tracepoint %.2f ns (rseqtrace), %.2f ns (LTTng-UST), empty loop %.2f ns"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set ylabel "ns / event"
set yrange [0:%.0f]
set grid ytics
set key top left
plot '%s' using 2:xtic(1) title 'rseqtrace rseq (monotonic)' lc rgb '#1b9e77', \\
     '' using 3 title 'rseqtrace rseq (tsc)' lc rgb '#66c2a5', \\
     '' using 4 title 'rseqtrace locked' lc rgb '#7570b3', \\
     '' using 5 title 'LTTng-UST per-UID' lc rgb '#d95f02', \
     %.3f with lines dt 2 lc rgb '#555555' title 'clock_gettime alone', \
     %.3f with lines dt 3 lc rgb '#555555' title 'rdtsc alone'
""" % (png, machine_line(), floor["clock"], floor["tsc"], dis["disabled"], dis["disabled-lttng"],
       dis["baseline"], 1.45 * max(max(r["lttng"], r["locked"], r["rseq"]) for r in rows), dat,
       floor["clock"], floor["tsc"])
    r = subprocess.run(["gnuplot"], input=script.encode(), stderr=subprocess.PIPE)
    if r.returncode != 0:
        say("gnuplot failed: " + r.stderr.decode())
        return None
    return png


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", default=None)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--only", default="sweep,sustain,memory")
    ap.add_argument("--ours", choices=("daemon", "inproc"), default="daemon",
                    help="rseqtrace through its daemon (default) or the in-process session")
    args = ap.parse_args()
    parts = set(args.only.split(","))
    build = os.path.abspath(args.build)
    for p in ("bench/overhead/bench-overhead", "bench/overhead/bench-overhead-lttng",
              "bench/overhead/bench-overhead-ust"):
        if not os.access(os.path.join(build, p), os.X_OK):
            die("%s not built in %s" % (p, build))
    out = os.path.abspath(args.out or os.path.join(build, "bench-overhead-results"))
    os.makedirs(out, exist_ok=True)

    lttng = Lttng()
    ours = None
    scratch = scratch_dir()
    t0 = time.time()
    try:
        ours = Ours(build, args.ours)
        ctx = dict(build=build, lttng=lttng, ours=ours, scratch=scratch)
        say("rseqtrace overhead benchmark, %s" % time.strftime("%Y-%m-%d %H:%M:%S"))
        say("machine: %s, %s" % (machine_line(), os.popen("ldd --version").readline().strip()))
        say("load average at start: %s" % harness.load_average())
        say("LTTng-UST: %s; %s" % (run(["lttng", "--version"]).stdout.decode().strip(), lttng.describe()))
        say("rseqtrace: %s" % ours.describe)
        say("scratch (traces): %s" % scratch)
        say()
        rows, sus, mem = [], [], []
        if "sweep" in parts:
            rows, runs = sweep(ctx, max(args.reps, 1))
            write_csv(os.path.join(out, "runs.csv"), runs)
        if "sustain" in parts:
            sus = sustain(ctx)
            write_csv(os.path.join(out, "sustain.csv"), sus)
        if "memory" in parts:
            mem = memory(ctx)
            write_csv(os.path.join(out, "memory.csv"), mem)
        if rows:
            table(rows)
            fields = ["event", "threads"]
            for cfg in (c[0] for c in CONFIGS):
                fields += [cfg, cfg + "_min", cfg + "_max", cfg + "_wall"]
                if CONFIG_TRACER[cfg]:
                    fields += [cfg + "_delivered", cfg + "_emitted", cfg + "_recorded", cfg + "_discarded"]
            for r in rows:
                r["rseq_over_lttng"] = r["rseq"] / r["lttng"]
                r["tsc_over_lttng"] = r["rseq-tsc"] / r["lttng"]
                r["locked_over_lttng"] = r["locked"] / r["lttng"]
                r["ust_over_rseq"] = r["ust"] / r["rseq"]
                r["clock_gettime_ns"] = ctx["floor"]["clock"]
                r["rdtsc_ns"] = ctx["floor"]["tsc"]
            fields += ["rseq_over_lttng", "tsc_over_lttng", "locked_over_lttng", "ust_over_rseq",
                       "clock_gettime_ns", "rdtsc_ns"]
            write_csv(os.path.join(out, "results.csv"), rows, fields)
        if rows:
            beyond_clock(rows, ctx["floor"])
        if rows or sus:
            targets(rows, sus)
        say()
        if rows:
            png = plot(rows, out, ctx["floor"])
            say("plot: %s" % png)
        say("csv:  %s" % ", ".join(harness.written))
        say("took %.0f s" % (time.time() - t0))
        harness.write_summary(out)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        if ours:
            ours.close()
        lttng.close()


if __name__ == "__main__":
    main()
