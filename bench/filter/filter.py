#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Filters, exclusions and trackers against LTTng-UST, side by side in one run.

usage: filter.py --build DIR [--out DIR] [--reps N] [--events N]

One thread emits bench:int_str (my_int = 0, 1, 2, ..., my_str = "hello";
bench/overhead's program and event) and the figure is its CPU time per event
(median of --reps runs, configurations interleaved in a rotating order):

  disabled          no session: the disabled call site (rseqtrace)
  excluded          enable-event 'bench:*' --exclude bench:int_str
  untracked         enable-event bench:int_str, untrack --vpid --all
  unfiltered        enable-event bench:int_str
  accepted          ... --filter 'my_int >= 0' (every event recorded)
  rejected          ... --filter 'my_int < 0'  (none recorded)
  lttng-disabled, lttng-unfiltered, lttng-accepted, lttng-rejected: the same
  with LTTng-UST 2.13 (a per-UID channel of 4 x 4 MiB, discard mode).

Both tracers record vpid, vtid and procname with every event. Every traced
run checks delivery: recorded + discarded = emitted (accepted, unfiltered),
recorded = 0 (rejected). Traces go to /dev/shm. Writes results.csv, runs.csv
and summary.txt to --out.
"""
import argparse
import os
import shutil
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402
from harness import (Lttng, Ours, clean_env, count_trace, die, keyvals, machine_line,  # noqa: E402
                     run, say, scratch_dir, write_csv)

harness.PROG = "filter"

EVENT = "bench:int_str"
ACCEPT = "my_int >= 0"
REJECT = "my_int < 0"
CONFIGS = ("disabled", "excluded", "untracked", "unfiltered", "accepted", "rejected",
           "lttng-disabled", "lttng-unfiltered", "lttng-accepted", "lttng-rejected")
LOOP_ITERATIONS = int(os.environ.get("FILTER_BENCH_LOOP", "20000000"))


def ours_session(ours, trace, cfg):
    ours.seq += 1
    name = "filt-%d-%d" % (os.getpid(), ours.seq)
    run(ours.ctl("create", name, "-o", trace, "--subbuf-size", str(4 << 20), "--num-subbuf", "4"))
    if cfg == "excluded":
        run(ours.ctl("enable-event", "-s", name, "bench:*", "--exclude", EVENT))
    else:
        rule = ["enable-event", "-s", name, EVENT]
        if cfg in ("accepted", "rejected"):
            rule += ["--filter", ACCEPT if cfg == "accepted" else REJECT]
        run(ours.ctl(*rule))
    if cfg == "untracked":
        run(ours.ctl("untrack", "-s", name, "--vpid", "--all"))
    run(ours.ctl("start", name))
    return name


def lttng_session(lttng, trace, cfg):
    lttng.seq += 1
    name = "filt-%d-%d" % (os.getpid(), lttng.seq)
    run(["lttng", "create", name, "--output=" + trace])
    run(["lttng", "enable-channel", "-u", "-s", name, "ch0", "--discard", "--buffers-uid",
         "--subbuf-size=%d" % (4 << 20), "--num-subbuf=4"])
    run(["lttng", "add-context", "-u", "-s", name, "-c", "ch0", "-t", "vpid", "-t", "vtid",
         "-t", "procname"])
    rule = ["lttng", "enable-event", "-u", "-s", name, "-c", "ch0", EVENT]
    if cfg in ("lttng-accepted", "lttng-rejected"):
        rule += ["--filter", ACCEPT if cfg == "lttng-accepted" else REJECT]
    run(rule)
    run(["lttng", "start", name])
    return name


def one_run(cfg, ctx):
    build, lttng, ours, scratch, n = ctx["build"], ctx["lttng"], ctx["ours"], ctx["scratch"], ctx["n"]
    prog = os.path.join(build, "bench/overhead/bench-overhead")
    trace = os.path.join(scratch, "trace")
    shutil.rmtree(trace, ignore_errors=True)
    traced = cfg not in ("disabled", "lttng-disabled")
    # Runs where the call site must stay disabled use the program's
    # `disabled` mode, which fails if the event is enabled at start.
    quiet = cfg in ("disabled", "lttng-disabled", "excluded", "untracked")
    mode, count = ("disabled", LOOP_ITERATIONS) if quiet else ("enabled", n)
    if cfg.startswith("lttng"):
        s = lttng_session(lttng, trace, cfg) if traced else None
        r = run([prog + "-lttng", mode, "str", str(count), "1"], env=clean_env(), check=False)
        if s:
            lttng.finish(s)
    else:
        s = ours_session(ours, trace, cfg) if traced else None
        env = clean_env()
        env["RSEQTRACE_HOME"] = ours.home
        r = run([prog, mode, "str", str(count), "1"], env=env, check=False)
        if s:
            ours.finish(s)
    if r.returncode != 0:
        die("%s run failed: %s" % (cfg, r.stderr.decode()))
    kv = keyvals(r.stdout.decode())
    res = {"cpu": float(kv["cpu_ns_per_event"]), "emitted": int(kv["emitted"]), "delivered": ""}
    if traced and not quiet:
        rec, disc, notes = count_trace(trace)
        want_none = cfg.endswith("rejected")
        ok = rec == 0 if want_none else rec is not None and rec + (disc or 0) == res["emitted"]
        res.update(recorded=rec, discarded=disc, delivered=ok)
        if not ok:
            die("%s: recorded %s, discarded %s of %d emitted (%s)" % (cfg, rec, disc, res["emitted"],
                                                                    "; ".join(notes)))
    shutil.rmtree(trace, ignore_errors=True)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", required=True)
    ap.add_argument("--out", default=None)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--events", type=int, default=250000)
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    for p in ("bench/overhead/bench-overhead", "bench/overhead/bench-overhead-lttng"):
        if not os.access(os.path.join(build, p), os.X_OK):
            die("%s not built in %s" % (p, build))
    out = os.path.abspath(args.out or os.path.join(build, "bench-filter-results"))
    os.makedirs(out, exist_ok=True)
    lttng = Lttng()
    ours = None
    scratch = scratch_dir()
    t0 = time.time()
    try:
        ours = Ours(build, "daemon")
        ctx = dict(build=build, lttng=lttng, ours=ours, scratch=scratch, n=args.events)
        say("rseqtrace filter benchmark, %s" % time.strftime("%Y-%m-%d %H:%M:%S"))
        say("machine: %s" % machine_line())
        say("load average at start: %s" % harness.load_average())
        say("LTTng-UST: %s; %s" % (run(["lttng", "--version"]).stdout.decode().strip(), lttng.describe()))
        say("event %s, 1 thread, %d events per traced run, %d iterations per disabled run, "
            "median of %d interleaved runs; filters: accepted '%s', rejected '%s'"
            % (EVENT, args.events, LOOP_ITERATIONS, args.reps, ACCEPT, REJECT))
        results = {c: [] for c in CONFIGS}
        runs = []
        for rep in range(args.reps):
            order = CONFIGS[rep % len(CONFIGS):] + CONFIGS[:rep % len(CONFIGS)]
            for cfg in order:
                res = one_run(cfg, ctx)
                results[cfg].append(res)
                runs.append(dict(config=cfg, rep=rep, cpu_ns_per_event=res["cpu"],
                                 emitted=res["emitted"], recorded=res.get("recorded", ""),
                                 discarded=res.get("discarded", ""), delivered=res["delivered"]))
        med = {c: statistics.median(r["cpu"] for r in results[c]) for c in CONFIGS}
        rows = [dict(config=c, median_ns=round(med[c], 2),
                     min_ns=round(min(r["cpu"] for r in results[c]), 2),
                     max_ns=round(max(r["cpu"] for r in results[c]), 2)) for c in CONFIGS]
        say()
        say("%-18s %9s %9s %9s" % ("configuration", "ns/event", "min", "max"))
        for r in rows:
            say("%-18s %9.2f %9.2f %9.2f" % (r["config"], r["median_ns"], r["min_ns"], r["max_ns"]))
        say()
        say("rejected by a filter: %.2f ns, LTTng-UST %.2f ns: %.2f x (target <= 0.25 x)"
            % (med["rejected"], med["lttng-rejected"], med["rejected"] / med["lttng-rejected"]))
        say("accepted by a filter: %.2f ns, unfiltered %.2f ns: +%.2f ns (target <= +5 ns)"
            % (med["accepted"], med["unfiltered"], med["accepted"] - med["unfiltered"]))
        say("excluded %.2f ns, untracked %.2f ns, disabled %.2f ns (target: about the disabled cost)"
            % (med["excluded"], med["untracked"], med["disabled"]))
        say("LTTng-UST: unfiltered %.2f ns, accepted %.2f ns, disabled %.2f ns"
            % (med["lttng-unfiltered"], med["lttng-accepted"], med["lttng-disabled"]))
        write_csv(os.path.join(out, "results.csv"), rows)
        write_csv(os.path.join(out, "runs.csv"), runs)
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
