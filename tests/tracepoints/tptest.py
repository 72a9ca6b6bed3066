# SPDX-License-Identifier: MIT
"""Helpers for the tracepoint tests: run a program, read its trace with
babeltrace2 (CLI and Python bt2), check what every test checks.

Every check raises SystemExit with a FAIL message; a missing babeltrace2
or bt2 is a failure, never a skip."""
import glob
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

if shutil.which("babeltrace2") is None:
    print("FAIL: babeltrace2 is not installed (apt-get install babeltrace2)")
    sys.exit(1)


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def workdir(name):
    """A fresh directory under the build tree's test area (or /tmp)."""
    base = os.environ.get("TP_TEST_TMP") or tempfile.gettempdir()
    d = tempfile.mkdtemp(prefix=name + "-", dir=base)
    return d


def run(argv, env=None, timeout=50, expect_rc=0):
    e = dict(os.environ)
    e.update(env or {})
    r = subprocess.run(argv, env=e, capture_output=True, text=True, timeout=timeout)
    if expect_rc is not None and r.returncode != expect_rc:
        fail("%s exited with %d (expected %d)\nstdout:\n%s\nstderr:\n%s"
             % (" ".join(argv), r.returncode, expect_rc, r.stdout[-4000:], r.stderr[-4000:]))
    return r


def parse_kv(text):
    """key=value tokens printed by the test programs."""
    out = {}
    for tok in text.split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            try:
                out[k] = int(v)
            except ValueError:
                out[k] = v
    return out


def trace_dirs(root):
    return sorted(os.path.dirname(m) for m in glob.glob(os.path.join(root, "**", "metadata"),
                                                       recursive=True))


def metadata_text(root):
    dirs = trace_dirs(root)
    check(len(dirs) == 1, "expected one trace under %s, found %r" % (root, dirs))
    with open(os.path.join(dirs[0], "metadata")) as f:
        return f.read()


def babeltrace_cli(root, allow_discard_warnings=False):
    """`babeltrace2 ROOT` must exit 0; its stderr must be empty (or hold only
    the discarded-events reports when losses are expected)."""
    r = subprocess.run(["babeltrace2", root], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "babeltrace2 %s exited %d:\n%s" % (root, r.returncode, r.stderr[-4000:]))
    err = r.stderr
    if allow_discard_warnings:
        err = "\n".join(l for l in err.splitlines()
                        if not l.startswith("WARNING: Tracer discarded")
                        and not l.strip() == "")
    check(err.strip() == "", "babeltrace2 %s printed on stderr:\n%s" % (root, err[-4000:]))
    return r.stdout


class Trace:
    """Everything a test wants from one decoding of a trace."""

    def __init__(self, root):
        self.events = []          # (stream name, ts, name, payload dict, event)
        self.discarded = []       # (stream name, count)
        self.packets = {}         # stream -> list of [begin, end, nevents]
        self.log_levels = {}      # event name -> bt2 log level
        self.contexts = []
        it = bt2.TraceCollectionMessageIterator(root)
        cur = {}
        for m in it:
            t = type(m)
            if t is bt2._EventMessageConst:
                e = m.event
                s = e.packet.stream.name
                ts = m.default_clock_snapshot.value
                payload = {k: to_py(e.payload_field[k]) for k in e.payload_field}
                ctx = {k: to_py(e.common_context_field[k]) for k in e.common_context_field} \
                    if e.common_context_field is not None else {}
                self.events.append((s, ts, e.name, payload, ctx))
                self.log_levels[e.name] = e.cls.log_level
                cur[s][2] += 1
            elif t is bt2._PacketBeginningMessageConst:
                s = m.packet.stream.name
                cur[s] = [m.default_clock_snapshot.value, None, 0]
                self.packets.setdefault(s, []).append(cur[s])
            elif t is bt2._PacketEndMessageConst:
                cur[m.packet.stream.name][1] = m.default_clock_snapshot.value
            elif t is bt2._DiscardedEventsMessageConst:
                check(m.count is not None,
                      "babeltrace2 reported discarded events without a count in %s" % m.stream.name)
                self.discarded.append((m.stream.name, m.count))

    def total_discarded(self):
        return sum(c for _, c in self.discarded)

    def check_timestamps(self):
        """Per stream: event timestamps never go back and lie inside their
        packet's [begin, end]; packets never go back."""
        last = {}
        for s, ts, name, _, _ in self.events:
            check(ts >= last.get(s, 0), "stream %s goes back in time at %s (%d < %d)"
                  % (s, name, ts, last.get(s, 0)))
            last[s] = ts
        # events in packets: replay in order per stream
        for s, pkts in self.packets.items():
            prev_end = 0
            for b, e, n in pkts:
                check(e is not None and b <= e, "packet [%s, %s] in %s" % (b, e, s))
                check(b >= prev_end, "packets of %s go back in time" % s)
                prev_end = e
        idx = {s: 0 for s in self.packets}
        seen = {s: 0 for s in self.packets}
        for s, ts, name, _, _ in self.events:
            pk = self.packets[s]
            while seen[s] >= pk[idx[s]][2]:
                idx[s] += 1
                seen[s] = 0
            b, e, _ = pk[idx[s]]
            check(b <= ts <= e, "event %s at %d outside its packet [%d, %d] in %s"
                  % (name, ts, b, e, s))
            seen[s] += 1


def to_py(f):
    """A bt2 field as plain Python (ints, floats, str, lists; enums as
    (value, sorted labels))."""
    if isinstance(f, (bt2._SignedEnumerationFieldConst, bt2._UnsignedEnumerationFieldConst)):
        return (int(f), sorted(f.labels))
    if isinstance(f, (bt2._SignedIntegerFieldConst, bt2._UnsignedIntegerFieldConst)):
        return int(f)
    if isinstance(f, bt2._RealFieldConst):
        return float(f)
    if isinstance(f, bt2._StringFieldConst):
        return str(f)
    if isinstance(f, bt2._ArrayFieldConst):
        return [to_py(x) for x in f]
    if isinstance(f, bt2._StructureFieldConst):
        return {k: to_py(f[k]) for k in f}
    return f


def display_base(root, event, field):
    """The preferred display base of a payload field, from bt2's view of
    the metadata."""
    it = bt2.TraceCollectionMessageIterator(root)
    for m in it:
        if type(m) is bt2._EventMessageConst and m.event.name == event:
            fc = m.event.payload_field[field].cls
            if isinstance(fc, bt2._ArrayFieldClassConst):
                fc = fc.element_field_class
            return fc.preferred_display_base
    fail("no %s event to read the base of %s" % (event, field))
