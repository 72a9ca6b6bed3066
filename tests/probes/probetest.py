# SPDX-License-Identifier: MIT
"""Helpers for the probe tests: run a program with a wrapper preloaded,
decode its trace with babeltrace2's bt2, resolve addresses with
probes/rseqtrace-resolve, and fail loudly.

A missing bt2 module, babeltrace2 or addr2line is a failure, never a skip."""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import bt2
except ImportError as e:  # pragma: no cover
    print("FAIL: the Python bt2 module is missing (apt-get install python3-bt2): %s" % e)
    sys.exit(1)

for tool, pkg in (("babeltrace2", "babeltrace2"), ("addr2line", "binutils")):
    if shutil.which(tool) is None:
        print("FAIL: %s is not installed (apt-get install %s)" % (tool, pkg))
        sys.exit(1)

PROBES = os.environ.get("PROBES_DIR", "")
RESOLVE = os.environ.get("PROBES_RESOLVE", "")
CLI = os.environ.get("PROBES_CLI", "")


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def lib(name):
    """Path of a built probe library, e.g. lib('libc-wrapper')."""
    p = os.path.join(PROBES, "librseqtrace-%s.so" % name)
    check(os.path.exists(p), "probe library %s was not built" % p)
    return p


def workdir(name):
    base = os.environ.get("PROBES_TEST_TMP") or tempfile.gettempdir()
    os.makedirs(base, exist_ok=True)
    return tempfile.mkdtemp(prefix=name + "-", dir=base)


def quiet_env(home):
    """An environment with no session and no daemon to find: nothing of the
    caller's tracing setup leaks in."""
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("RSEQTRACE_") and k not in ("LD_PRELOAD", "GLIBC_TUNABLES")}
    e["HOME"] = home
    e["XDG_RUNTIME_DIR"] = home
    return e


def run(argv, env, timeout=50, expect_rc=0, stdin=None):
    try:
        r = subprocess.run(argv, env=env, capture_output=True, timeout=timeout, input=stdin)
    except subprocess.TimeoutExpired:
        fail("%s did not finish in %d s (deadlock?)" % (" ".join(argv), timeout))
    if expect_rc is not None and r.returncode != expect_rc:
        fail("%s exited with %d (expected %d)\nstdout:\n%s\nstderr:\n%s"
             % (" ".join(argv), r.returncode, expect_rc, r.stdout[-3000:].decode(errors="replace"),
                r.stderr[-3000:].decode(errors="replace")))
    return r


def traced_env(home, trace_dir, preload, extra=None):
    e = quiet_env(home)
    e["LD_PRELOAD"] = ":".join(preload)
    e["RSEQTRACE_INPROC"] = trace_dir
    e["RSEQTRACE_CONTEXT"] = "vpid,vtid"
    # Room for the tests' bursts: their checks want every event (8 MiB per CPU).
    e["RSEQTRACE_SUBBUF_SIZE"] = "1M"
    e["RSEQTRACE_NUM_SUBBUF"] = "8"
    e.update(extra or {})
    return e


def run_traced(via, argv, preload, home, trace_dir, patterns, extra=None):
    """Runs argv with the wrappers preloaded, traced either in-process
    (via="inproc": RSEQTRACE_INPROC) or through the daemon (via="record":
    `rseqtrace record -e PATTERN... -- env LD_PRELOAD=... argv`, which
    starts a private rseqtraced). Both record vpid and vtid contexts."""
    if via == "inproc":
        e = traced_env(home, trace_dir, preload, extra)
        e["RSEQTRACE_EVENTS"] = ",".join(patterns)
        return run(argv, e)
    check(via == "record", "unknown way to trace: %s" % via)
    check(os.path.exists(CLI), "the rseqtrace CLI %s was not built" % CLI)
    cmd = [CLI, "record", "-o", trace_dir, "--subbuf-size", "1M", "--num-subbuf", "8"]
    for p in patterns:
        cmd += ["-e", p]
    cmd += ["--", "env", "LD_PRELOAD=" + ":".join(preload)]
    cmd += ["%s=%s" % kv for kv in sorted((extra or {}).items())]
    return run(cmd + argv, quiet_env(home))


def babeltrace_cli(root):
    """`babeltrace2 ROOT` exits 0 and prints nothing on stderr."""
    r = subprocess.run(["babeltrace2", root], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "babeltrace2 %s exited %d:\n%s" % (root, r.returncode, r.stderr[-3000:]))
    check(r.stderr.strip() == "", "babeltrace2 %s printed on stderr:\n%s" % (root, r.stderr[-3000:]))
    return r.stdout


def plain(f):
    if isinstance(f, (bt2._SignedIntegerFieldConst, bt2._UnsignedIntegerFieldConst)):
        return int(f)
    if isinstance(f, bt2._StringFieldConst):
        return str(f)
    if isinstance(f, bt2._ArrayFieldConst):
        return [plain(x) for x in f]
    if isinstance(f, bt2._RealFieldConst):
        return float(f)
    return str(f)


class Ev:
    __slots__ = ("ts", "name", "p", "vpid", "vtid", "stream")

    def __repr__(self):
        return "%s@%d[%s/%s]%r" % (self.name, self.ts, self.vpid, self.vtid, self.p)


class Trace:
    def __init__(self, root):
        dirs = sorted(os.path.dirname(m) for m in
                      glob.glob(os.path.join(root, "**", "metadata"), recursive=True))
        check(len(dirs) >= 1, "no trace under %s" % root)
        self.root = root
        self.events = []
        self.discarded = 0
        self.hex_fields = {}
        for m in bt2.TraceCollectionMessageIterator(root):
            t = type(m)
            if t is bt2._EventMessageConst:
                e = m.event
                ev = Ev()
                ev.ts = m.default_clock_snapshot.value
                ev.name = e.name
                ev.p = {k: plain(e.payload_field[k]) for k in e.payload_field}
                ctx = e.common_context_field
                ev.vpid = int(ctx["vpid"]) if ctx is not None and "vpid" in ctx else None
                ev.vtid = int(ctx["vtid"]) if ctx is not None and "vtid" in ctx else None
                ev.stream = e.packet.stream.name
                if e.name not in self.hex_fields:
                    self.hex_fields[e.name] = {
                        k for k in e.payload_field
                        if getattr(e.payload_field[k].cls, "preferred_display_base", 10) == 16}
                self.events.append(ev)
            elif t is bt2._DiscardedEventsMessageConst:
                check(m.count is not None, "discarded events without a count")
                self.discarded += m.count

    def named(self, name):
        return [e for e in self.events if e.name == name]

    def by_thread(self, prefix=""):
        out = {}
        for e in self.events:
            if e.name.startswith(prefix):
                out.setdefault((e.vpid, e.vtid), []).append(e)
        return out


def resolve(trace_dir):
    """rseqtrace-resolve --json: a list of {ts, name, vpid, payload, resolved}."""
    check(os.path.exists(RESOLVE), "resolver %s missing" % RESOLVE)
    r = subprocess.run([sys.executable, RESOLVE, "--json", trace_dir], capture_output=True,
                       text=True, timeout=300)
    check(r.returncode == 0, "rseqtrace-resolve failed:\n%s" % r.stderr[-3000:])
    return [json.loads(l) for l in r.stdout.splitlines()]


def func_of(resolved_event, field):
    """'main_allocs' from 'main_allocs+0x2a', or None."""
    r = resolved_event["resolved"].get(field)
    if not r or not r["func"]:
        return None
    return r["func"].split("+")[0]


def parse_oracle(path):
    """Lines of `kind key=value ...` written by the test programs; values are
    ints (decimal or 0x hex) where they parse."""
    out = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            d = {"kind": parts[0]}
            for tok in parts[1:]:
                k, v = tok.split("=", 1)
                try:
                    d[k] = int(v, 0)
                except ValueError:
                    d[k] = v
            out.append(d)
    return out


def check_statedump(trace, vpid, exe):
    """The process has at least one state dump (one per enabling of the
    state dump events: a forked child that the daemon re-attaches may
    dump twice); each is complete (start, bin_info..., end) and names the
    executable and libc, with absolute paths."""
    sd = [e for e in trace.events if e.name.startswith("lttng_ust_statedump:") and e.vpid == vpid]
    dumps, cur = [], None
    for e in sd:
        kind = e.name.split(":")[1]
        if kind == "start":
            check(cur is None, "process %d: a state dump starts inside another" % vpid)
            cur = []
        elif kind == "end":
            check(cur is not None, "process %d: a state dump ends without a start" % vpid)
            dumps.append(cur)
            cur = None
        else:
            check(cur is not None, "process %d: %s outside a state dump" % (vpid, e.name))
            cur.append(e)
    check(cur is None, "process %d: a state dump never ended" % vpid)
    check(dumps, "process %d: no state dump" % vpid)
    real_exe = os.path.realpath(exe)
    first = None
    for d in dumps:
        objs = sorted((e.p["baddr"], e.p["memsz"], e.p["path"]) for e in d
                      if e.name == "lttng_ust_statedump:bin_info")
        paths = [o[2] for o in objs]
        check(real_exe in paths, "process %d: state dump lacks %s: %r" % (vpid, real_exe, paths))
        check(any("/libc.so" in p for p in paths), "process %d: state dump lacks libc: %r"
              % (vpid, paths))
        for baddr, memsz, path in objs:
            check(memsz > 0 and baddr > 0 and path.startswith("/"),
                  "process %d: bad bin_info %x %d %s" % (vpid, baddr, memsz, path))
        check(first is None or objs == first, "process %d: state dumps disagree" % vpid)
        first = objs


def same_output(traced, untraced):
    """The program's output with a session equals the untraced output, but
    for the `start:` line (thread and descriptor counts), which an
    in-process session changes by design: its drain thread and trace files
    live in the process. check_quiet.py compares that line without a
    session."""
    def body(out):
        return [l for l in out.decode(errors="replace").splitlines() if not l.startswith("start:")]
    check(body(traced.stdout) == body(untraced.stdout), "output changed by tracing:\n%s\nvs untraced:\n%s"
          % (traced.stdout.decode(errors="replace"), untraced.stdout.decode(errors="replace")))
    # `rseqtrace record` prints its summary on stderr; the program nothing.
    err = [l for l in traced.stderr.decode(errors="replace").splitlines()
           if not l.startswith("rseqtrace: ")]
    check(not err, "traced run printed on stderr:\n%s" % traced.stderr.decode(errors="replace"))


def check_no_tracer_locks(res, prog):
    """With the pthread wrapper: every traced lock was taken by the program
    (its executable or the constructor-thread library), none by librseqtrace."""
    n = 0
    for ev in res:
        if not ev["name"].startswith("rseqtrace_pthread:"):
            continue
        b = (ev["resolved"].get("ip") or {}).get("bin") or ""
        check(b.startswith(os.path.basename(prog) + "+") or b.startswith("libprobes_early.so+"),
              "lock taken from %s: %r" % (b, ev))
        n += 1
    check(n > 0, "no pthread event in locked mode")


def replay_heap(t, early_tids=()):
    """Per process, in time order: an address is never handed out while it
    is live, and never freed twice. A block freed but never seen allocated
    was allocated before tracing started (or in the parent, for the child);
    a thread that runs while the session enables its events one by one
    (early_tids) may see free enabled before malloc: its unknown frees are
    not counted."""
    by_proc = {}
    for e in t.events:
        if e.name.startswith("rseqtrace_libc:"):
            by_proc.setdefault(e.vpid, []).append(e)
    for vpid, evs in by_proc.items():
        evs.sort(key=lambda e: e.ts)
        live, dead = set(), set()
        pending_in = {}  # in_ptr of realloc events not replayed yet
        for e in evs:
            if e.name == "rseqtrace_libc:realloc" and e.p["in_ptr"]:
                pending_in[e.p["in_ptr"]] = pending_in.get(e.p["in_ptr"], 0) + 1
        unknown_frees = 0

        def alloc(a, e):
            if not a:
                return
            if a in live and not pending_in.get(a):
                fail("process %d: %s returned 0x%x, which is still allocated" % (vpid, e.name, a))
            live.add(a)
            dead.discard(a)

        def release(a, e):
            nonlocal unknown_frees
            if not a:
                return
            if a in live:
                live.discard(a)
                dead.add(a)
            elif a in dead:
                fail("process %d: 0x%x freed twice (%r)" % (vpid, a, e))
            elif e.vtid not in early_tids:
                unknown_frees += 1

        for e in evs:
            n, p = e.name.split(":")[1], e.p
            if n == "free":
                release(p["ptr"], e)
            elif n == "realloc":
                if p["in_ptr"]:
                    pending_in[p["in_ptr"]] -= 1
                if p["in_ptr"] and (p["ptr"] or p["size"] == 0):
                    release(p["in_ptr"], e)
                alloc(p["ptr"], e)
            elif n == "posix_memalign":
                alloc(p["out_ptr"], e)
            else:
                alloc(p["ptr"], e)
        check(unknown_frees <= 64, "process %d: %d frees of blocks never seen allocated"
              % (vpid, unknown_frees))
