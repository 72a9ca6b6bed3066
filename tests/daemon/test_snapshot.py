#!/usr/bin/python3
"""Flight recorder (issue 13): `create --snapshot`, `snapshot record`, the
snapshot output commands. The buffers are in overwrite mode and nobody
drains them; each record is a complete trace that babeltrace2 reads, in
NAME-YYYYMMDD-HHMMSS-N below the output, as lttng names it.

Oracle: tapp emits rtd:seq events with consecutive seq numbers, pinned to
one CPU (taskset -c 0) so that one thread's events all go to one buffer:
every snapshot must then hold, per thread, a gap-free run of seq numbers
with no duplicate, and, once the app has exited, one that ends with its
last event. Per-UID and per-PID (mm_cid and locked-mode) buffers; snapshots
taken in a loop while the app keeps writing (never paused: nothing is
discarded); stop then record; the output commands and their errors.
Sessions with two channels of different events: each snapshot is one
trace directory per owner, one metadata, both channels' stream files."""
import glob
import os
import re
import signal
import time

from rtd import (TAPP, App, Daemon, bt_clean, bt_text, check, read_trace, run_tests, tmpdir, wait_until)

GEOM = ("--subbuf-size", "4k", "--num-subbuf", "4")


def seq_runs(events):
    """role, vtid -> sorted seq numbers; checks no duplicate and no gap."""
    runs = {}
    for e in events:
        if e["name"] != "rtd:seq":
            continue
        runs.setdefault((int(e["fields"]["role"]), int(e["vtid"])), []).append(
            int(e["fields"]["seq"]))
    for k, got in runs.items():
        check(got == sorted(got), f"{k}: events out of order")
        check(len(got) == len(set(got)), f"{k}: duplicated events")
        check(got[-1] - got[0] + 1 == len(got),
              f"{k}: a hole in {got[0]}..{got[-1]} ({len(got)} events)")
    return runs


def record(d, *args):
    out = d.ok("snapshot", "record", *args).stdout
    m = re.search(r"successfully for session \S+ in (\S+)\n", out)
    check(m, f"no snapshot directory in: {out}")
    return m.group(1), out


def count(out, what):
    m = re.search(what + r": (\d+)", out)
    check(m, f"no '{what}' in: {out}")
    return int(m.group(1))


def progress(prog):
    """The last seq number the app reported emitted (tapp --progress: every
    256th), 0 before its first report."""
    return int(open(prog).read() or 0) if os.path.exists(prog) else 0


def wait_past(prog, seq, what):
    """Waits until the app reports an event after seq emitted. A snapshot is
    newer than one before only if the app wrote in between: an app may
    emit nothing for a while (idle, or descheduled on a loaded machine;
    the buffers then hold the same events), so a test that asserts it
    waits for it rather than hoping for it."""
    wait_until(lambda: progress(prog) > seq, what, timeout=60)


def snapshot_session(d, out, *extra):
    d.ok("create", "fr", "--snapshot", "-o", out, *GEOM, *extra)
    d.ok("enable-event", "-a")
    d.ok("start")


def test_after_exit_uid():
    """An app that wrote 100 buffers' worth and exited: the snapshot is
    the newest events, ending with its last, gap-free; the older ones were
    overwritten (counted); nothing discarded."""
    d = Daemon()
    try:
        out = tmpdir() + "/out"
        snapshot_session(d, out)
        n = 60000
        app = App(d, "-c", "0", TAPP, "--events", str(n), "--role", "3", exe="/usr/bin/taskset")
        check(app.wait() == 0, f"tapp failed: {app.err}")
        # nothing on disk before a record
        check(not os.path.exists(out) or not glob.glob(out + "/*/ust"), "files before a record")
        path, text = record(d)
        check(re.fullmatch(re.escape(out) + r"/snapshot-1-\d{8}-\d{6}-0", path), path)
        check(os.path.isdir(path + "/ust/uid"), f"no ust/uid below {path}")
        bt_clean(path)
        events, discarded = read_trace(path)
        runs = seq_runs(events)
        check(list(runs) and all(k[0] == 3 for k in runs), f"roles {list(runs)}")
        got = next(iter(runs.values()))
        check(got[-1] == n - 1, f"snapshot ends at {got[-1]}, the app's last is {n - 1}")
        check(got[0] > 0, "nothing was overwritten (the app wrote far more than the buffers)")
        check(sum(discarded.values()) == 0, f"discarded {discarded}")
        check(count(text, "overwritten packets \\(the oldest, lost\\)") > 0, text)
        # a second record is the same data, in the next directory
        path2, _ = record(d)
        check(path2.endswith("-1") and path2 != path, path2)
        check(seq_runs(read_trace(path2)[0]) == runs, "a second record of still buffers differs")
        d.ok("destroy")
    finally:
        d.cleanup()


def live_loop(extra=(), env=None, snapshots=6):
    """Snapshots in a loop while a pinned app writes: each readable,
    gap-free per thread, moving forward, nothing discarded."""
    d = Daemon()
    try:
        out = tmpdir() + "/out"
        snapshot_session(d, out, *extra)
        prog = tmpdir() + "/progress"
        # Paced (~50k events/s): a writer flat out laps a per-process
        # buffer in a few ms, and a snapshot whose every copy was lapped
        # (a daemon descheduled that long: ASan, a loaded machine) is
        # rightly empty; at this pace that takes a stall of 100s of ms.
        app = App(d, "-c", "0", TAPP, "--forever", "--sleep-us", "20", "--progress", prog,
                  "--role", "5", env=env, exe="/usr/bin/taskset")
        wait_past(prog, 20000, "the app's first 20000 events")
        last_end, dirs = -1, []
        for i in range(snapshots):
            # got[-1] >= before - 1 > last_end: the record must hold an event
            # emitted after the last one the previous record held
            wait_past(prog, last_end + 1, f"an event after {last_end}")
            before = progress(prog)
            path, text = record(d)
            dirs.append(path)
            check(path.endswith(f"-{i}"), f"snapshot {i} in {path}")
            bt_clean(path)
            events, discarded = read_trace(path)
            runs = seq_runs(events)
            check(len(runs) == 1, f"one thread expected, got {list(runs)}")
            got = next(iter(runs.values()))
            check(got[-1] >= before - 1, f"snapshot ends at {got[-1]}, "
                                         f"{before} were emitted before it")
            check(got[-1] > last_end, f"a later snapshot is not newer: {got[0]}..{got[-1]}, "
                                      f"the one before ended at {last_end}")
            check(sum(discarded.values()) == 0, f"discarded {discarded} in overwrite mode")
            last_end = got[-1]
            time.sleep(0.05)
        after = progress(prog)
        check(after > last_end - 256, "the app stalled during the snapshots")
        os.killpg(app.pid, signal.SIGKILL)
        app.wait()
        d.ok("destroy")
        return dirs
    finally:
        d.cleanup()


def test_live_uid():
    live_loop()


def test_live_pid_cid():
    dirs = live_loop(extra=("--buffers-pid",))
    check(glob.glob(dirs[0] + "/ust/pid/rt_tapp-*/metadata"), f"no ust/pid trace in {dirs[0]}")


def test_live_pid_locked():
    live_loop(extra=("--buffers-pid",), env={"RSEQTRACE_LOCKED": "1"})


def test_stop_then_record():
    """lttng's advice: stop, record, start again; the trace after the
    restart is newer."""
    d = Daemon()
    try:
        out = tmpdir() + "/out"
        snapshot_session(d, out)
        app = App(d, "-c", "0", TAPP,
                  "--events", "30000", "--role", "1", exe="/usr/bin/taskset")
        check(app.wait() == 0, app.err)
        d.ok("stop")
        path, _ = record(d)
        got = next(iter(seq_runs(read_trace(path)[0]).values()))
        check(got[-1] == 29999, f"ends at {got[-1]}")
        d.ok("start")
        app = App(d, "-c", "0", TAPP,
                  "--events", "30000", "--role", "2", exe="/usr/bin/taskset")
        check(app.wait() == 0, app.err)
        path, _ = record(d)
        runs = seq_runs(read_trace(path)[0])
        check(any(k[0] == 2 and v[-1] == 29999 for k, v in runs.items()), f"{list(runs)}")
        d.ok("destroy")
    finally:
        d.cleanup()


def test_outputs():
    """list-output, add-output (one at most), del-output, record -n/-m/DIR,
    and the errors: not a snapshot session, never started (as lttng: no
    record number used), no output, max size too small."""
    d = Daemon()
    try:
        out = tmpdir() + "/out"
        d.ok("create", "plain", "-o", tmpdir() + "/plain")
        r = d.cli("snapshot", "record", "-s", "plain")
        check(r.returncode == 1 and "not in snapshot mode" in r.stdout + r.stderr, r.stderr)
        early = tmpdir() + "/early"
        d.ok("create", "early", "--snapshot", "-o", early)
        d.ok("enable-event", "-u", "-s", "early", "rtd:seq")
        r = d.cli("snapshot", "record", "-s", "early")
        check(r.returncode == 1 and "needs to be started once" in r.stdout + r.stderr,
              r.stdout + r.stderr)
        check(not glob.glob(early + "/snapshot-*"), f"{glob.glob(early + '/*')}")
        d.ok("destroy", "early")
        # --no-output (lttng's): no output until one is added or named
        for bad in (["create", "n1", "--no-output"],
                    ["create", "n1", "--snapshot", "--no-output", "-o", tmpdir()]):
            r = d.cli(*bad)
            check(r.returncode == 1 and "--no-output is for a snapshot session" in r.stderr,
                  f"{bad}: {r.stderr}")
        made = d.ok("create", "bare", "--snapshot", "--no-output").stdout
        check("Default snapshot output" not in made, made)
        check(d.ok("snapshot", "list-output", "-s", "bare").stdout.endswith("    None\n"),
              "list-output of --no-output")
        d.ok("enable-event", "-u", "-s", "bare", "rtd:seq")
        d.ok("start", "bare")
        r = d.cli("snapshot", "record", "-s", "bare")
        check(r.returncode == 1 and "no snapshot output" in r.stderr, r.stderr)
        named = tmpdir()
        path, _ = record(d, "-s", "bare", named)
        check(re.fullmatch(re.escape(named) + r"/snapshot-\d{8}-\d{6}-0", path), path)
        added = d.ok("snapshot", "add-output", "-s", "bare", tmpdir()).stdout
        check("  [1] snapshot-1: " in added, added)
        d.ok("destroy", "bare")
        snapshot_session(d, out)
        lo = d.ok("snapshot", "list-output").stdout
        check(f"[1] snapshot-1: {out}" in lo, lo)
        r = d.cli("snapshot", "add-output", tmpdir())
        check(r.returncode == 1 and "already exists" in r.stdout + r.stderr, r.stderr)
        dl = d.ok("snapshot", "del-output", "1").stdout
        check(dl == "Snapshot output id 1 successfully deleted for session fr\n", repr(dl))
        check("[1]" not in d.ok("snapshot", "list-output").stdout, "output 1 still listed")
        r = d.cli("snapshot", "record")
        check(r.returncode == 1 and "no snapshot output" in r.stdout + r.stderr, r.stderr)
        other = tmpdir()
        add = d.ok("snapshot", "add-output", "-n", "bug", "-m", "1M", "file://" + other).stdout
        check(f"\n  [2] bug: {other} (max size: 1048576 bytes)\n" in add, add)  # lttng's
        app = App(d, "-c", "0", TAPP,
                  "--events", "20000", exe="/usr/bin/taskset")
        check(app.wait() == 0, app.err)
        path, _ = record(d)
        check(re.fullmatch(re.escape(other) + r"/bug-\d{8}-\d{6}-0", path), path)
        bt_clean(path)
        # one sub-buffer per buffer at least
        r = d.cli("snapshot", "record", "-m", "1k")
        check(r.returncode == 1 and "less than a sub-buffer" in r.stdout + r.stderr, r.stderr)
        third = tmpdir()
        path, text = record(d, "-n", "small", "-m", "8k", third)
        check(re.fullmatch(re.escape(third) + r"/small-\d{8}-\d{6}-1", path), path)
        size = sum(os.path.getsize(f) for f in glob.glob(path + "/ust/uid/*/64-bit/channel0_*"))
        check(0 < size <= 8192, f"{size} bytes of streams with -m 8k")
        check(count(text, "left out for the max size") > 0, text)
        bt_clean(path)
        lst = d.ok("list", "fr").stdout
        check("[active snapshot]" in lst and "overwrite mode" in lst, lst)
        kv = d.kv("fr")
        check(kv.get("snapshot") == "1" and kv.get("snapshots") == "2", str(kv))
        check("2 snapshot(s) recorded" in d.ok("stop").stdout, "stop's summary")
        d.ok("destroy")
    finally:
        d.cleanup()


def metadata_dirs(path):
    return sorted(root for root, _, files in os.walk(path) if "metadata" in files)


def two_channels(buffers):
    """Two channels of different events and geometry (chana: rtd:seq,
    chanb: rtd:first): snapshots in a loop while a pinned app writes, and
    one after it exited (per-UID). Each is one trace directory with one
    metadata and both channels' NAME_<cpu> files, read by babeltrace2;
    per stream, chana holds a gap-free suffix of the seq numbers emitted
    before the record (ending with the last once the app exited: emitted =
    recorded + overwritten, nothing discarded), chanb every app's one
    rtd:first."""
    d = Daemon()
    try:
        out = tmpdir() + "/out"
        d.ok("create", "fr", "--snapshot", "-o", out, f"--buffers-{buffers}")
        d.ok("enable-channel", "-u", "chana", "--subbuf-size", "4k", "--num-subbuf", "4")
        d.ok("enable-channel", "-u", "chanb", "--subbuf-size", "8k", "--num-subbuf", "4")
        d.ok("enable-event", "-u", "-c", "chana", "rtd:seq")
        d.ok("enable-event", "-u", "-c", "chanb", "rtd:first")
        d.ok("start")

        def one(before, last=None, firsts=1):
            path, text = record(d)
            dirs = metadata_dirs(path)
            check(len(dirs) == 1, f"one trace directory expected in {path}: {dirs}")
            files = os.listdir(dirs[0])
            check(any(f.startswith("chana_") for f in files) and
                  any(f.startswith("chanb_") for f in files), f"stream files {files}")
            bt_clean(path)
            events, discarded = read_trace(path)
            check(sum(discarded.values()) == 0, f"discarded {discarded}")
            by = {(e["channel"], e["name"]) for e in events}
            check(by == {("chana", "rtd:seq"), ("chanb", "rtd:first")}, f"events {by}")
            check(sum(e["channel"] == "chanb" for e in events) == firsts,
                  f"chanb: {firsts} rtd:first expected (one per app)")
            runs = seq_runs(events)
            check(len(runs) == 1, f"one thread expected, got {list(runs)}")
            got = next(iter(runs.values()))
            check(got[-1] >= before - 1, f"ends at {got[-1]}, {before} emitted before")
            if last is not None:
                check(got[-1] == last and got[0] > 0 and got[0] + len(got) == last + 1,
                      f"{got[0]}..{got[-1]}: not the suffix of 0..{last}")
            check(count(text, "overwritten packets \\(the oldest, lost\\)") > 0, text)
            return got[-1]

        prog = tmpdir() + "/progress"
        # Paced as live_loop's: flat out, the app laps chana's 16 KiB
        # in microseconds and a copy descheduled that long (ASan) is
        # rightly all lapped, its stream file left out.
        app = App(d, "-c", "0", TAPP, "--forever", "--sleep-us", "20", "--progress", prog,
                  "--role", "5", exe="/usr/bin/taskset")
        wait_past(prog, 20000, "the app's first 20000 events")
        last_end = -1
        for _ in range(5):
            wait_past(prog, last_end + 1, f"an event after {last_end}")
            end = one(progress(prog))
            check(end > last_end, f"a later snapshot is not newer: ends at {end}, "
                                  f"the one before at {last_end}")
            last_end = end
            time.sleep(0.05)
        os.killpg(app.pid, signal.SIGKILL)
        app.wait()
        if buffers == "uid":
            n = 40000
            app = App(d, "-c", "0", TAPP, "--events", str(n), "--role", "5",
                      exe="/usr/bin/taskset")
            check(app.wait() == 0, app.err)
            one(n, last=n - 1, firsts=2)
        d.ok("destroy")
    except Exception:
        print(d.log_text()[-4000:])
        raise
    finally:
        d.cleanup()


def test_two_channels_uid():
    two_channels("uid")


def test_two_channels_pid():
    two_channels("pid")


def thread_affinities(pid):
    """tid -> the CPUs it may run on, for every thread of pid."""
    got = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            got[int(tid)] = os.sched_getaffinity(int(tid))
        except ProcessLookupError:
            pass
    return got


def test_shares():
    """A snapshot's buffers are written by the drain threads at once, each
    taking the next (channel, CPU) left: with 1, 2 and 3 threads, two
    channels and an app that wrote on each of two CPUs and exited, every
    CPU's buffer of each channel is in the snapshot once, each app's
    events the gap-free suffix of what it emitted; nothing discarded.
    Each share is held on a CPU of its own while it runs: once the record
    is answered, every thread may run on every CPU again."""
    cpus = sorted(os.sched_getaffinity(0))[:2]
    n = 30000
    for threads in (1, 2, 3):
        d = Daemon(args=("--drain-threads", str(threads)))
        try:
            out = tmpdir() + "/out"
            d.ok("create", "fr", "--snapshot", "-o", out)
            d.ok("enable-channel", "-u", "chana", "--subbuf-size", "4k", "--num-subbuf", "4")
            d.ok("enable-channel", "-u", "chanb", "--subbuf-size", "8k", "--num-subbuf", "4")
            d.ok("enable-event", "-u", "-c", "chana", "rtd:seq")
            d.ok("enable-event", "-u", "-c", "chanb", "rtd:first")
            d.ok("start")
            for role, cpu in enumerate(cpus):
                app = App(d, "-c", str(cpu), TAPP, "--events", str(n), "--role", str(role),
                          exe="/usr/bin/taskset")
                check(app.wait() == 0, app.err)
            path, text = record(d)
            allowed = os.sched_getaffinity(d.proc.pid)
            wait_until(lambda: all(a == allowed for a in thread_affinities(d.proc.pid).values()),
                       f"every thread allowed on {sorted(allowed)} again: "
                       f"{thread_affinities(d.proc.pid)}")
            dirs = metadata_dirs(path)
            check(len(dirs) == 1, f"one trace directory expected in {path}: {dirs}")
            check(not os.path.exists(os.path.join(dirs[0], "index")),
                  f"a snapshot has no index (as lttng's): {os.listdir(dirs[0])}")
            files = set(os.listdir(dirs[0]))
            for ch in ("chana", "chanb"):
                for cpu in cpus:
                    check(f"{ch}_{cpu}" in files, f"{threads} threads: no {ch}_{cpu} in {files}")
            bt_clean(path)
            events, discarded = read_trace(path)
            check(sum(discarded.values()) == 0, f"discarded {discarded}")
            runs = seq_runs(events)
            check(sorted(k[0] for k in runs) == list(range(len(cpus))), f"roles {list(runs)}")
            for k, got in runs.items():
                check(got[-1] == n - 1 and got[0] > 0, f"{threads} threads, {k}: "
                      f"{got[0]}..{got[-1]}, not a suffix of 0..{n - 1}")
            firsts = sum(e["name"] == "rtd:first" for e in events)
            check(firsts == len(cpus), f"{firsts} rtd:first, one per app expected")
            check(count(text, "discarded events") == 0, text)
            d.ok("destroy")
        except Exception:
            print(d.log_text()[-4000:])
            raise
        finally:
            d.cleanup()


def test_shares_one_cpu():
    """A daemon allowed one CPU (taskset) pins nothing: two drain threads
    write a snapshot of two CPUs' buffers there, and every thread is
    still allowed that CPU, and only it, afterwards."""
    cpus = sorted(os.sched_getaffinity(0))[:2]
    check(len(cpus) == 2, f"two CPUs needed, have {cpus}")
    with Daemon(args=("--drain-threads", "2"),
                prefix=("/usr/bin/taskset", "-c", str(cpus[0]))) as d:
        out = tmpdir() + "/out"
        d.ok("create", "fr", "--snapshot", "-o", out, *GEOM)
        d.ok("enable-event", "-u", "rtd:seq")
        d.ok("start")
        for role, cpu in enumerate(cpus):
            app = App(d, "-c", str(cpu), TAPP, "--events", "3000", "--role", str(role),
                      exe="/usr/bin/taskset")
            check(app.wait() == 0, app.err)
        path, text = record(d)
        check(count(text, "discarded events") == 0, text)
        runs = seq_runs(read_trace(path)[0])
        check(sorted(k[0] for k in runs) == [0, 1], f"roles {list(runs)}")
        affinities = thread_affinities(d.proc.pid)
        check(len(affinities) >= 3 and all(a == {cpus[0]} for a in affinities.values()),
              f"threads' CPUs: {affinities}")
        d.ok("destroy")


def test_overwrite_session():
    """enable-channel --overwrite (lttng's) in a normal
    session whose daemon drains slowly: the writers lap it and reuse the
    oldest packets instead of dropping new events; the trace skips those
    packets' numbers (babeltrace2 reports discarded packets), every event
    in it is intact and in order, the last one is there, nothing is
    counted as discarded or corrupt."""
    d = Daemon(args=("--no-writer-wakeup", "--drain-min-ms", "150", "--drain-max-ms", "200"))
    try:
        out = tmpdir() + "/out"
        d.ok("create", "ow", "-o", out, *GEOM)
        d.ok("enable-channel", "-u", "channel0", "--overwrite")
        d.ok("enable-event", "-a")
        d.ok("start")
        # paced (~1.5 s): drains happen while the writers lap the buffers
        n = 20000
        app = App(d, "-c", "0", TAPP, "--events", str(n), "--role", "9", "--sleep-us", "20",
                  exe="/usr/bin/taskset")
        check(app.wait() == 0, app.err)
        stop = d.ok("stop").stdout
        kv = d.kv("ow")
        check("overwrite=1" in d.ok("list", "--kv", "ow").stdout, str(kv))
        check(int(kv["overwritten_packets"]) > 0, f"nothing overwritten: {kv}")
        check(int(kv["lost_full"]) == 0 and int(kv["discarded"]) == 0, str(kv))
        check(int(kv["corrupt_events"]) == 0 and int(kv["corrupt_packets"]) == 0, str(kv))
        check("packets overwritten" in stop, stop)
        rc, _, err = bt_text(out)
        check(rc == 0 and "discarded" in err and "packet" in err, f"babeltrace2: {rc} {err[-500:]}")
        events, _ = read_trace(out)
        seqs = [int(e["fields"]["seq"]) for e in events if e["name"] == "rtd:seq"]
        check(seqs == sorted(seqs) and len(seqs) == len(set(seqs)), "order or duplicates")
        check(seqs[-1] == n - 1, f"the last event is {seqs[-1]}, not {n - 1}")
        check(len(seqs) < n, "nothing lost: the daemon drained too fast for the test")
        d.ok("destroy")
    finally:
        d.cleanup()


if __name__ == "__main__":
    run_tests([test_after_exit_uid, test_live_uid, test_live_pid_cid, test_live_pid_locked,
               test_stop_then_record, test_outputs, test_two_channels_uid, test_two_channels_pid,
               test_shares, test_shares_one_cpu, test_overwrite_session])
