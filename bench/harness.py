# SPDX-License-Identifier: MIT
"""What the benchmarks that run both tracers share (bench/overhead,
bench/consumer): running programs, an lttng-sessiond and a private rseqtraced
with their sessions, counting a trace with babeltrace2, the consumers' CPU time,
CSV files and a line describing the machine.

Import it with bench/ on sys.path; set PROG to the benchmark's name (die()
prefixes its messages with it) and use say() for the lines of the summary.
"""
import csv
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

PROG = "bench"
U64 = 1 << 64

out_lines = []   # every line say() printed: the summary file
written = []     # every file write_csv() wrote


def say(line=""):
    print(line, flush=True)
    out_lines.append(line)


def die(msg):
    print("%s: %s" % (PROG, msg), file=sys.stderr, flush=True)
    sys.exit(1)


def run(cmd, env=None, check=True, timeout=600, **kw):
    r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout, **kw)
    if check and r.returncode != 0:
        die("%s exited %d:\n%s%s" % (" ".join(cmd), r.returncode, r.stdout.decode(errors="replace"),
                                      r.stderr.decode(errors="replace")))
    return r


def keyvals(text):
    return dict(kv.split("=", 1) for kv in text.split() if "=" in kv)


def clean_env():
    e = dict(os.environ)
    for k in list(e):
        if k.startswith("RSEQTRACE_") or k == "LTTNG_UST_ALLOW_BLOCKING":
            del e[k]
    return e


def cpu_seconds(pid):
    """utime + stime of a live process (its exited children not included), or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # after "pid (comm)": state is fields[0], utime and stime are fields 11 and 12
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def processes_named(comm, ppid=None):
    """pids whose /proc/PID/comm is comm (and whose parent is ppid, if given)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/comm" % d) as f:
                if f.read().strip() != comm:
                    continue
            with open("/proc/%s/stat" % d) as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if ppid is None or parent == ppid:
            pids.append(int(d))
    return pids


# ---- lttng-sessiond ---------------------------------------------------------------

class Lttng:
    """The running lttng-sessiond, or one started here and stopped in close()."""

    def __init__(self):
        for tool in ("lttng", "lttng-sessiond", "babeltrace2"):
            if not shutil.which(tool):
                die("'%s' is not installed (run scripts/deps)" % tool)
        self.pidfile = ("/var/run/lttng/lttng-sessiond.pid" if os.getuid() == 0
                        else os.path.expanduser("~/.lttng/lttng-sessiond.pid"))
        self.started = None
        if not self.running():
            run(["lttng-sessiond", "--daemonize", "--no-kernel"])
            if not self.running():
                die("lttng-sessiond started but %s names no live process" % self.pidfile)
            self.started = int(open(self.pidfile).read())
        self.seq = 0

    def running(self):
        try:
            os.kill(self.pid(), 0)
            return True
        except (OSError, ValueError):
            return False

    def pid(self):
        return int(open(self.pidfile).read())

    def describe(self):
        return "lttng-sessiond %s" % ("started by this run (pid %d)" % self.started
                                     if self.started else "already running (left running)")

    def consumerd_pids(self):
        """The consumer daemons the session daemon runs (lttng-consumerd, one per ABI)."""
        return processes_named("lttng-consumerd", ppid=self.pid())

    def session(self, out, subbuf=None, nsubbuf=None, buffers="uid", contexts=False,
                blocking_timeout=None):
        """A started session writing to out. subbuf/nsubbuf None: LTTng's own
        defaults; blocking_timeout (microseconds or "inf"): blocking mode, for
        applications run with app_env(blocking=True)."""
        self.seq += 1
        name = "bench-%d-%d" % (os.getpid(), self.seq)
        run(["lttng", "create", name, "--output=" + out])
        channel = ["lttng", "enable-channel", "-u", "-s", name, "ch0", "--discard", "--buffers-" + buffers]
        if subbuf:
            channel += ["--subbuf-size=%d" % subbuf]
        if nsubbuf:
            channel += ["--num-subbuf=%d" % nsubbuf]
        if blocking_timeout is not None:
            channel += ["--blocking-timeout=%s" % blocking_timeout]
        run(channel)
        if contexts:
            run(["lttng", "add-context", "-u", "-s", name, "-c", "ch0",
                 "-t", "vpid", "-t", "vtid", "-t", "procname"])
        run(["lttng", "enable-event", "-u", "-s", name, "-c", "ch0", "bench:*"])
        run(["lttng", "start", name])
        return name

    @staticmethod
    def app_env(blocking=False):
        e = clean_env()
        if blocking:
            e["LTTNG_UST_ALLOW_BLOCKING"] = "1"  # LTTng-UST blocks only when the application allows it
        return e

    def stop(self, name):
        """Stops a session (its trace complete on return): the discarded count `lttng list` reports."""
        run(["lttng", "stop", name])
        listing = run(["lttng", "list", name]).stdout.decode()
        m = re.search(r"Discarded events:\s*(\d+)", listing)
        return int(m.group(1)) if m else None

    def destroy(self, name):
        run(["lttng", "destroy", name])

    def finish(self, name):
        discarded = self.stop(name)
        self.destroy(name)
        return discarded

    def close(self):
        if self.started:
            try:
                os.kill(self.started, signal.SIGTERM)
                for _ in range(100):
                    os.kill(self.started, 0)
                    time.sleep(0.05)
            except OSError:
                pass


# ---- rseqtrace ----------------------------------------------------------------------

class Ours:
    """How rseqtrace records: its daemon (rseqtraced, a private one started
    here, per-UID buffers unless told otherwise) or the in-process session."""

    def __init__(self, build, how="daemon"):
        self.how = how
        self.seq = 0
        self.per_uid = how == "daemon"
        if how == "inproc":
            self.describe = "in-process session (RSEQTRACE_INPROC): per-process buffers, no contexts"
            return
        self.cli = os.path.join(build, "cli/rseqtrace")
        daemon = os.path.join(build, "consumerd/rseqtraced")
        for p in (self.cli, daemon):
            if not os.access(p, os.X_OK):
                die("%s is not built (or use --ours inproc)" % p)
        self.home = tempfile.mkdtemp(prefix="rseqtrace-home-")
        self.log = os.path.join(self.home, "rseqtraced.log")
        self.daemon = subprocess.Popen([daemon, "--home", self.home, "--log", self.log, "--quiet"],
                                       stdin=subprocess.DEVNULL)
        for _ in range(200):
            if run(self.ctl("list"), check=False).returncode == 0:
                break
            if self.daemon.poll() is not None:
                die("rseqtraced exited %d; log: %s" % (self.daemon.returncode, self.log))
            time.sleep(0.05)
        else:
            die("rseqtraced did not answer within 10 s; log: %s" % self.log)
        self.describe = ("its daemon (a private rseqtraced, pid %d): per-UID buffers shared by all "
                         "processes, contexts vpid+vtid+procname on every event (both tracers)"
                         % self.daemon.pid)

    def ctl(self, *args):
        return [self.cli, "--home", self.home] + list(args)

    def contexts(self):
        return self.how == "daemon"

    def create_supports(self, option):
        """Whether this build's `rseqtrace create` has option (from its --help)."""
        return self.how == "daemon" and option in run(self.ctl("create", "--help")).stdout.decode()

    def env(self, out=None, subbuf=None, nsubbuf=None, clock="monotonic", locked=False):
        """The environment of a traced run; in daemon mode, session() comes first."""
        e = clean_env()
        if self.how == "daemon":
            e["RSEQTRACE_HOME"] = self.home
        else:
            e.update(RSEQTRACE_INPROC=out, RSEQTRACE_EVENTS="bench:*", RSEQTRACE_CLOCK=clock)
            if subbuf:
                e["RSEQTRACE_SUBBUF_SIZE"] = str(subbuf)
            if nsubbuf:
                e["RSEQTRACE_NUM_SUBBUF"] = str(nsubbuf)
        if locked:
            e["RSEQTRACE_LOCKED"] = "1"  # registers without rseq: locked (per-PID) buffers
        return e

    def session(self, out, subbuf=None, nsubbuf=None, clock="monotonic", buffers="uid",
                blocking_timeout=None):
        """Daemon mode: a started session writing to out (None in-process).
        subbuf/nsubbuf None: rseqtrace's defaults; blocking_timeout: see
        create_supports("--blocking-timeout")."""
        if self.how != "daemon":
            return None
        self.seq += 1
        name = "bench-%d-%d" % (os.getpid(), self.seq)
        cmd = self.ctl("create", name, "-o", out, "--buffers-" + buffers, "--clock", clock)
        if subbuf:
            cmd += ["--subbuf-size", str(subbuf)]
        if nsubbuf:
            cmd += ["--num-subbuf", str(nsubbuf)]
        if blocking_timeout is not None:
            cmd += ["--blocking-timeout=%s" % blocking_timeout]
        run(cmd)
        run(self.ctl("enable-event", "-s", name, "bench:*"))
        run(self.ctl("start", name))
        return name

    def stop(self, name):
        """Stops a daemon session (its trace complete on return): (discarded as
        `list` reports it, buffer modes)."""
        if name is None:
            return None, None
        run(self.ctl("stop", name))
        listing = run(self.ctl("list", name)).stdout.decode()
        m = re.search(r"Total: \d+ events recorded, (\d+) discarded", listing)
        modes = sorted(set(re.findall(r"^\s*Trace .*: (rseq|locked)\b", listing, re.M)))
        return (int(m.group(1)) if m else None), modes

    def destroy(self, name):
        if name is not None:
            run(self.ctl("destroy", name))

    def finish(self, name):
        """Stops and destroys a daemon session: (discarded as `list` reports it, buffer modes)."""
        got = self.stop(name)
        self.destroy(name)
        return got

    def close(self):
        if self.how == "daemon" and self.daemon.poll() is None:
            self.daemon.terminate()
            try:
                self.daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()
        if self.how == "daemon":
            shutil.rmtree(self.home, ignore_errors=True)


# ---- delivery ------------------------------------------------------------------------

def count_trace(path, expect_loss=False, discarded_from_trace=True):
    """(recorded, discarded, notes) as babeltrace2 reads the trace at path.

    Events: sink.utils.counter. Discarded events: the counter only counts the
    messages, so their counts come from the warnings the pretty sink prints
    (run alongside the counter when losses are expected, else only if needed).
    The pretty sink is slow (formats every event): with discarded_from_trace
    False it is not run and discarded is None when the trace reports losses.
    """
    pretty = None
    if expect_loss and discarded_from_trace:
        pretty = subprocess.Popen(["babeltrace2", path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    r = run(["babeltrace2", path, "-c", "sink.utils.counter", "-p", "step=+0"], check=False, timeout=3600)
    if r.returncode != 0:
        if pretty:
            pretty.kill()
            pretty.wait()
        return None, None, ["babeltrace2 exit %d: %s" % (r.returncode, r.stderr.decode()[-500:])]
    text = r.stdout.decode()
    recorded = int(re.search(r"(\d+) Event messages", text).group(1))
    disc_msgs = int(re.search(r"(\d+) Discarded event messages?", text).group(1))
    notes = []
    discarded = 0
    if disc_msgs and not discarded_from_trace:
        return recorded, None, notes
    if disc_msgs and not pretty:
        pretty = subprocess.Popen(["babeltrace2", path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if pretty:
        _, err = pretty.communicate()
        p = subprocess.CompletedProcess(pretty.args, pretty.returncode, None, err)
    if disc_msgs:
        counts = [int(c) for c in re.findall(rb"Tracer discarded (\d+) events?\b", p.stderr)]
        if len(counts) != disc_msgs:
            notes.append("%d discarded-event warnings for %d messages" % (len(counts), disc_msgs))
        odd = [c for c in counts if c >= 1 << 63]
        if odd:
            notes.append("%d discarded-event reports with a count >= 2^63 (events_discarded went "
                         "backwards between packets; total taken modulo 2^64)" % len(odd))
        discarded = sum(counts) % U64
    return recorded, discarded, notes


def kernel_floor(build, mode, directory=None, reps=3, packet_kib=1024, mib=512):
    """The kernel's own cost for a consumer's bytes (bench/consumer/floor.c):
    CPU ns per byte of write() to a file in directory with the consumers'
    page-cache hints (mode "write"), of O_DIRECT writes ("direct") or of
    send() on loopback TCP ("send"), in packet_kib packets: the median of reps
    runs, and every run's figure; (None, []) if directory's file system
    has no direct I/O (tmpfs: floor.c asks as rseqtraced does)."""
    prog = os.path.join(build, "bench/consumer/consumer-floor")
    per = []
    for _ in range(reps):
        cmd = [prog, mode] + ([directory] if mode != "send" else []) + [str(mib), str(packet_kib)]
        r = run(cmd, check=mode != "direct")
        if r.returncode != 0:
            return None, []
        kv = keyvals(r.stdout.decode())
        per.append(int(kv["cpu_ns"]) / int(kv["bytes"]))
    return statistics.median(per), per


def big_count(n):
    """A count as text; LTTng-UST 2.13's `lttng list` sometimes reports 2^63 + n."""
    if n is not None and n >= 1 << 63:
        return "%d (= 2^63 + %d)" % (n, n - (1 << 63))
    return str(n)


def stream_bytes(trace):
    """Bytes of the data stream files under trace (every file but metadata and the index)."""
    total = 0
    for d, dirs, files in os.walk(trace):
        dirs[:] = [x for x in dirs if x != "index"]
        total += sum(os.path.getsize(os.path.join(d, f)) for f in files if f != "metadata")
    return total


def scratch_dir(base=None):
    """A fresh directory for traces: under base (created if needed), else in /dev/shm if writable."""
    if base:
        os.makedirs(base, exist_ok=True)
    elif os.access("/dev/shm", os.W_OK):
        base = "/dev/shm"
    return tempfile.mkdtemp(prefix="rseqtrace-bench-", dir=base)


def filesystem_of(path):
    """The file system type path is on (from /proc/self/mounts, longest mount point)."""
    best, kind = "", "?"
    path = os.path.realpath(path)
    with open("/proc/self/mounts") as f:
        for line in f:
            dev, mnt, fstype = line.split()[:3]
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) > len(best):
                best, kind = mnt, "%s (%s on %s)" % (fstype, dev, mnt)
    return kind


# ---- output ---------------------------------------------------------------------------------

def write_csv(path, rows, fields=None):
    if not rows:
        return
    written.append(path)
    fields = fields or list(rows[0].keys())
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow(r)


def write_summary(out):
    with open(os.path.join(out, "summary.txt"), "w") as f:
        f.write("\n".join(out_lines) + "\n")


def machine_line():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return "%d CPUs (%s), kernel %s" % (os.cpu_count(), model, os.uname().release)


def load_average():
    return " ".join(open("/proc/loadavg").read().split(" ")[0:3])
