"""Helpers for the daemon tests: a private rseqtraced, the rseqtrace CLI,
and a babeltrace2 (bt2) reader. Run with /usr/bin/python3 (python3-bt2).

Paths come from the environment ctest sets (see CMakeLists.txt):
RT_BUILD (the build directory) and RT_SRC (the source tree).
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping

BUILD = os.environ.get("RT_BUILD", "")
# The sanitizer build (RSEQTRACE_SANITIZE): set by tests/daemon/CMakeLists.txt.
SANITIZED = os.environ.get("RT_SANITIZED", "0") not in ("", "0", "OFF")
SRC = os.environ.get("RT_SRC", "")
DAEMON = os.path.join(BUILD, "consumerd", "rseqtraced")
CLI = os.path.join(BUILD, "cli", "rseqtrace")


def _proto_version():
    """RT_PROTO_VERSION, from the protocol header, for hand-made records."""
    import re
    with open(os.path.join(SRC, "protocol", "messages.h")) as f:
        return int(re.search(r"#define RT_PROTO_VERSION (\d+)u", f.read()).group(1))


PROTO_VERSION = _proto_version() if SRC else 0


class Fail(Exception):
    pass


_tmpdirs = []


def tmpdir():
    """A temporary directory removed when the test script exits."""
    d = tempfile.mkdtemp(prefix="rt-test-")
    os.chmod(d, 0o755)
    _tmpdirs.append(d)
    return d


def _remove_tmpdirs():
    for d in _tmpdirs:
        shutil.rmtree(d, ignore_errors=True)


import atexit  # noqa: E402
atexit.register(_remove_tmpdirs)


def check(cond, what):
    if not cond:
        raise Fail(what)


def need(path):
    if not os.path.exists(path):
        raise Fail(f"missing {path}: build it first (RT_BUILD={BUILD!r})")


class Daemon:
    """A private rseqtraced in its own socket directory."""

    def __init__(self, home=None, args=(), env=None, user=None, prefix=()):
        """prefix: a command the daemon and the CLI run under (ip netns exec NS)."""
        need(DAEMON)
        self.prefix = list(prefix)
        self.tmp = tempfile.mkdtemp(prefix="rt-test-")
        os.chmod(self.tmp, 0o755)
        self.home = home or os.path.join(self.tmp, "home")
        self.log = os.path.join(self.tmp, "daemon.log")
        self.env = dict(os.environ, RSEQTRACE_HOME=self.home)
        self.env.pop("GLIBC_TUNABLES", None)
        self.env.pop("RSEQTRACE_LOCKED", None)
        if env:
            self.env.update(env)
        r, w = os.pipe()
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen([*self.prefix, DAEMON, "--ready-fd", str(w), *args], env=self.env,
                                     stdout=logf, stderr=logf, pass_fds=(w,))
        os.close(w)
        logf.close()
        ready = b""
        deadline = time.time() + 10
        while time.time() < deadline and not ready:
            import select
            rl, _, _ = select.select([r], [], [], 0.1)
            if rl:
                ready = os.read(r, 1)
                break
            if self.proc.poll() is not None:
                break
        os.close(r)
        if not ready:
            raise Fail("daemon did not start:\n" + self.log_text())

    def log_text(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""

    def cli(self, *args, check_rc=None, env=None, timeout=60):
        need(CLI)
        e = dict(self.env)
        if env:
            e.update(env)
        p = subprocess.run([*self.prefix, CLI, *args], env=e, capture_output=True, text=True,
                           timeout=timeout)
        if check_rc is not None and p.returncode != check_rc:
            raise Fail(f"rseqtrace {' '.join(args)}: exit {p.returncode}, wanted {check_rc}\n"
                       f"stdout: {p.stdout}\nstderr: {p.stderr}\ndaemon log:\n{self.log_text()}")
        return p

    def ok(self, *args, **kw):
        return self.cli(*args, check_rc=0, **kw)

    def kv(self, session):
        """`list --kv SESSION` as a dict (repeated keys: the last one)."""
        out = self.ok("list", "--kv", session).stdout
        d = {}
        for line in out.splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                d[k] = v
        return d

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise Fail("daemon did not exit on signal %d:\n%s" % (sig, self.log_text()))
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        """`with Daemon() as d:` prints the end of its log if the block
        failed, then cleans up."""
        if kind is not None:
            print(self.log_text()[-4000:])
        self.cleanup()
        return False

    def cleanup(self):
        """Stops the daemon the clean way (so sanitizers report leaks), then
        fails if a sanitizer complained in its log. Kills first the test
        programs started against it that still run (a test that failed
        half-way leaves none behind)."""
        for app in getattr(self, "apps", []):
            app.kill()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        log = self.log_text()
        shutil.rmtree(self.tmp, ignore_errors=True)
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if marker in log:
                raise Fail("sanitizer report in the daemon log:\n" + log[-6000:])


def _native_getter(field):
    """The bt2 C API function that reads a field like this one as a Python
    int or str, or None for other types (read through bt2's objects)."""
    import bt2
    from bt2 import native_bt as nb
    if isinstance(field, bt2._SignedIntegerFieldConst):
        return nb.field_integer_signed_get_value
    if isinstance(field, bt2._UnsignedIntegerFieldConst):
        return nb.field_integer_unsigned_get_value
    if isinstance(field, bt2._StringFieldConst):
        return nb.field_string_get_value
    return None


_NOT_READ = object()


def _native_read(get, struct, member):
    """Member `member` of the structure field at `struct` (a bt2 C API
    pointer) read with get (from _native_getter), or _NOT_READ if it has
    no such reader or its text is not UTF-8: the caller takes bt2's object."""
    from bt2 import native_bt as nb
    if get is None:
        return _NOT_READ
    try:
        return get(nb.field_structure_borrow_member_field_by_name_const(struct, member))
    except UnicodeDecodeError:
        return _NOT_READ


class _Payload(Mapping):
    """An event's payload fields, read when asked for: integers and strings
    as Python values with bt2's C API, other types as bt2's field objects.
    getters (name -> reader, from _native_getter) is shared by every event
    of the class."""
    __slots__ = ("_msg", "_ep", "_getters")

    def __init__(self, msg, ep, getters):
        self._msg, self._ep, self._getters = msg, ep, getters

    def _fields(self):
        return self._msg.event.payload_field or {}

    def __getitem__(self, k):
        from bt2 import native_bt as nb
        if k not in self._getters:
            self._getters[k] = _native_getter(self._fields()[k])
        v = _native_read(self._getters[k], nb.event_borrow_payload_field_const(self._ep), k)
        return self._fields()[k] if v is _NOT_READ else v

    def __iter__(self):
        return iter(self._fields())

    def __len__(self):
        return len(self._fields())


def _context_getters(ctx):
    """(key, member, reader) for the vpid/vtid/procname members of a common
    context (ours or LTTng's underscored names)."""
    getters = []
    for k in ("vpid", "vtid", "procname"):
        for member in (k, "_" + k):
            if member in ctx:
                getters.append((k, member, _native_getter(ctx[member])))
                break
    return getters


def read_trace(path):
    """Decodes a trace directory with bt2. Returns (events, discarded) where
    events are dicts: name, fields, vpid, vtid, procname, ts, stream, cpu, channel;
    discarded maps stream key -> total discarded events reported.
    What is the same for a whole stream or event class is looked up once;
    the rest is read with bt2's C API, not its Python objects (a tenth of
    the time: the oracle tests decode hundreds of thousands of events)."""
    import bt2
    from bt2 import native_bt as nb
    events, discarded = [], {}
    streams, classes = {}, {}
    it = bt2.TraceCollectionMessageIterator(str(path))
    for m in it:
        if type(m) is bt2._EventMessageConst:
            ep = nb.message_event_borrow_event_const(m._ptr)
            sp = int(nb.event_borrow_stream_const(ep))
            st = streams.get(sp)
            if st is None:
                ev = m.event
                ctx = ev.common_context_field
                st = streams[sp] = (
                    (ev.stream.trace.uuid, ev.stream.id),
                    # the stream file's channel: NAME of NAME_<cpu>
                    os.path.basename(ev.stream.name or "").rsplit("_", 1)[0],
                    _context_getters(ctx) if ctx is not None else [])
            key, channel, getters = st
            cp = int(nb.event_borrow_class_const(ep))
            cls = classes.get(cp)
            if cls is None:
                cls = classes[cp] = (m.event.name, {})
            name, payload_getters = cls
            pkt = nb.packet_borrow_context_field_const(nb.event_borrow_packet_const(ep))
            d = {
                "name": name,
                "fields": _Payload(m, ep, payload_getters),
                "ts": nb.clock_snapshot_get_value(
                    nb.message_event_borrow_default_clock_snapshot_const(m._ptr)),
                "stream": key,
                "cpu": nb.field_integer_unsigned_get_value(
                    nb.field_structure_borrow_member_field_by_name_const(pkt, "cpu_id")),
                "channel": channel,
            }
            if getters:
                ctx = nb.event_borrow_common_context_field_const(ep)
                for k, member, get in getters:
                    v = _native_read(get, ctx, member)
                    d[k] = m.event.common_context_field[member] if v is _NOT_READ else v
            events.append(d)
        elif type(m) is bt2._DiscardedEventsMessageConst:
            key = (m.stream.trace.uuid, m.stream.id)
            discarded[key] = discarded.get(key, 0) + (m.count or 0)
    return events, discarded


def bt_text(path):
    """babeltrace2 PATH: (exit code, stdout, stderr)."""
    bt = shutil.which("babeltrace2")
    if not bt:
        raise Fail("babeltrace2 is not installed (apt-get install babeltrace2)")
    # Event content that an application scribbled may be any bytes: the
    # trace stays readable, its strings need not be UTF-8.
    p = subprocess.run([bt, str(path)], capture_output=True, text=True, errors="replace",
                       timeout=120)
    return p.returncode, p.stdout, p.stderr


def run_tests(tests):
    """Runs test functions; prints one line each; exits 1 on any failure."""
    failed = 0
    for t in tests:
        t0 = time.time()
        try:
            t()
            print(f"PASS {t.__name__} ({time.time() - t0:.1f}s)", flush=True)
        except Exception as e:  # noqa: BLE001 - report every failure
            failed += 1
            import traceback
            traceback.print_exc()
            print(f"FAIL {t.__name__}: {e}", flush=True)
    print(f"{len(tests) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


TAPP = os.path.join(BUILD, "tests", "daemon", "rt_tapp")
TAPP_CONFLICT = os.path.join(BUILD, "tests", "daemon", "rt_tapp_conflict")
TPROV = os.path.join(BUILD, "tests", "daemon", "rt_tprov.so")
SCRIBBLER = os.path.join(BUILD, "tests", "daemon", "rt_scribbler")


class App:
    """An instrumented test program (tapp.c) talking to daemon d."""

    def __init__(self, d, *args, env=None, exe=None):
        exe = exe or TAPP
        need(exe)
        e = dict(d.env)
        if env:
            e.update(env)
        # Its own process group: a hung run is killed whole, children included.
        self.proc = subprocess.Popen([exe, *args], env=e, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     start_new_session=True)
        self.pid = self.proc.pid
        # d.cleanup() kills what is left of it, whatever way the test ended.
        d.apps = getattr(d, "apps", []) + [self]

    def kill(self):
        """Kills its whole process group if it still runs; reaps it."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.communicate()

    def wait(self, timeout=60):
        """Its exit status. A run (or a forked child holding its output) still
        going after timeout seconds fails with the stacks of every process of
        its group and what it printed, instead of a bare TimeoutExpired."""
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            stacks = group_stacks(self.pid)
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            out, err = self.proc.communicate()
            self.out, self.err = out, err
            raise Fail(f"{self.proc.args[0]} (or a child) still running after {timeout}s "
                       f"(exit {self.proc.returncode}):\nstdout:\n{out[-3000:]}\n"
                       f"stderr:\n{err[-3000:]}\n{stacks}")
        self.out, self.err = out, err
        return self.proc.returncode

    def emitted(self):
        """emitted=N lines (a forked child prints its own)."""
        return [int(l.split("=")[1]) for l in self.out.splitlines() if l.startswith("emitted=")]


def group_stacks(pgid):
    """Every thread's stack of every process in process group pgid (gdb), for
    a hang's report."""
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            pids.append(int(name))
    report = []
    for pid in sorted(pids):
        try:
            g = subprocess.run(["gdb", "-q", "-batch", "-p", str(pid), "-ex",
                                "thread apply all bt 30"], capture_output=True, text=True,
                               timeout=60)
            report.append(f"--- process {pid}:\n{g.stdout[-6000:]}")
        except (OSError, subprocess.TimeoutExpired) as e:
            report.append(f"--- process {pid}: no stack ({e})")
    return "\n".join(report) if report else "(no process left in the group)"


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def settled_fd_count(pid):
    """The count once the daemon has closed the connections whose peers
    left (a CLI's answer arrives before the daemon reads its hangup)."""
    n = fd_count(pid)
    for _ in range(100):
        time.sleep(0.02)
        m = fd_count(pid)
        if m == n:
            return n
        n = m
    return n


def wait_until(cond, what, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.02)
    raise Fail("timed out waiting for " + what)


def registered(d, pid):
    return f"[{pid}]" in d.ok("list").stdout


def check_timestamps(events):
    """Within every stream, timestamps never go back."""
    last = {}
    for e in events:
        k = e["stream"]
        check(e["ts"] >= last.get(k, 0), f"timestamp goes back in stream {k}")
        last[k] = e["ts"]


def bt_clean(path):
    """babeltrace2 reads the trace with exit 0 and no warning or error."""
    rc, out, err = bt_text(path)
    check(rc == 0, f"babeltrace2 {path} exited {rc}: {err[-2000:]}")
    bad = [l for l in err.splitlines() if l.strip() and "discarded" not in l
           and "Tracer discarded" not in l]
    check(not bad, "babeltrace2 printed:\n" + "\n".join(bad[:20]))
    return out
