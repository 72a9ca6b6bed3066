#!/usr/bin/python3
"""Filters, exclusions and trackers end to end: the real rseqtraced, the
rseqtrace CLI, an instrumented program (rt_fapp: rtf:ev with int, float
and string fields, from a file of random values) and babeltrace2's bt2.

- random filters: which rtf:ev hits each session recorded is what the
  reference evaluator (oracle.py) says, one session per filter;
- two rules on one event record the union; an unfiltered one, every hit;
- the probe's quick filter stops a hit only where no session records it;
- a hit too big to stage is lost only where a filter would record it;
- malformed and oversize filters are refused with a message, nothing added;
- exclusions (lttng's rules: with a '*' pattern only);
- trackers: an untracked process records nothing and its call sites stay
  disabled; list shows rules, filters, exclusions and trackers;
- save writes filters, exclusions and trackers; load reads them back;
- a hostile filter program on an application's socket (a fake daemon):
  the app refuses it, says so, keeps the event off and its connection.
"""
import array
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_corpus  # noqa: E402
import oracle  # noqa: E402
import test_oracle  # noqa: E402
from rtd import BUILD, Daemon, check, read_trace, run_tests, tmpdir, wait_until  # noqa: E402

FAPP = os.path.join(BUILD, "tests", "filter", "rt_fapp")


def values_file(events):
    path = os.path.join(tmpdir(), "values")
    with open(path, "w") as f:
        for v in events:
            f.write(test_oracle.values_line(v)[2:] + "\n")
    return path


def run_app(d, path, env=None):
    e = dict(d.env)
    e.update(env or {})
    p = subprocess.run([FAPP, path], env=e, capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, f"rt_fapp exited {p.returncode}: {p.stderr}")
    return p


def recorded(out_dir, name="rtf:ev"):
    events, _ = read_trace(out_dir)
    return sorted(int(e["fields"]["n"]) for e in events if e["name"] == name)


def session(d, name, rules):
    """A started session; rules: lists of enable-event arguments."""
    out = os.path.join(tmpdir(), name)
    d.ok("create", name, "-o", out)
    for r in rules:
        d.ok("enable-event", "-s", name, *r)
    d.ok("start", name)
    return out


def event_at(n, v):
    """What the oracle reads of rt_fapp's n-th rtf:ev hit, values v."""
    ev = test_oracle.event_values(v)
    ev["n"] = n
    return ev


def test_random_filters():
    """Eight sessions at a time, each with its own random filter on rtf:ev,
    over one run of the program: each records what the oracle accepts."""
    r = random.Random(int(os.environ.get("RT_ORACLE_SEED", "77")))
    d = Daemon()
    try:
        events = [test_oracle.rand_event(r) for _ in range(40)]
        path = values_file(events)
        for batch in range(4):
            exprs = []
            while len(exprs) < 8:
                text = test_oracle.typed_expr(r, 3)
                try:
                    ast = oracle.parse(text)
                except oracle.Refused:
                    continue
                if oracle.applies(ast, test_oracle.TYPES) is None and "$ctx" not in text:
                    exprs.append((text, ast))
            outs = [session(d, f"b{batch}s{k}", [["rtf:ev", "--filter", t]])
                    for k, (t, _) in enumerate(exprs)]
            run_app(d, path)
            for k, (text, ast) in enumerate(exprs):
                d.ok("stop", f"b{batch}s{k}")
                want = [n for n, v in enumerate(events) if oracle.accepts(ast, event_at(n, v))]
                got = recorded(outs[k])
                check(got == want, f"--filter {text!r}: recorded {got}, the oracle says {want}")
                d.ok("destroy", f"b{batch}s{k}")
    finally:
        d.cleanup()


def test_context_and_rules_union():
    """$ctx fields; two filtered rules on one event record the union; an
    unfiltered rule records every hit; a filter that cannot apply to an
    event (no such field) makes that rule false for it."""
    d = Daemon()
    try:
        events = [[k, k, k, k, k, 0.5 * k, 1.0, "hello" if k % 3 else "bye", "x"] for k in range(12)]
        path = values_file(events)
        o1 = session(d, "ctx", [["rtf:ev", "--filter", '$ctx.procname == "rt_fa*" && i >= 6']])
        o2 = session(d, "union", [["rtf:ev", "--filter", "i < 2"], ["rtf:ev", "--filter", "i > 9"]])
        o3 = session(d, "all", [["rtf:ev", "--filter", "i < 2"], ["rtf:*"]])
        o4 = session(d, "missing", [["rtf:*", "--filter", "n < 2"],
                                    ["rtf:*", "--filter", "s == \"bye\" || nope == 1"]])
        o5 = session(d, "vpid", [["rtf:ev", "--filter", "$ctx.vpid == 1"]])
        run_app(d, path)
        for s in ("ctx", "union", "all", "missing", "vpid"):
            d.ok("stop", s)
        check(recorded(o1) == list(range(6, 12)), f"ctx: {recorded(o1)}")
        check(recorded(o2) == [0, 1, 10, 11], f"union: {recorded(o2)}")
        check(recorded(o3) == list(range(12)), f"unfiltered rule: {recorded(o3)}")
        # A field the event lacks makes the whole filter false for it (as
        # lttng, whose filter does not link), even where || would not read it.
        check(recorded(o4) == [0, 1], f"missing field: {recorded(o4)}")
        check(recorded(o4, "rtf:keep") == [0, 1], f"rtf:keep: {recorded(o4, 'rtf:keep')}")
        check(recorded(o5) == [], f"vpid 1: {recorded(o5)}")
        kv = d.ok("list", "--kv", "union").stdout
        check("rule_filter=0 i < 2" in kv and "rule_filter=1 i > 9" in kv, kv)
        prose = d.ok("list", "union").stdout
        check("(filter: i > 9)" in prose, prose)
    finally:
        d.cleanup()


def test_quick_filters_across_sessions():
    """The probe stops a hit at the event's quick filter (a field against a
    constant) only when every channel's filter is that one: two sessions
    with the same one record what it accepts; with another quick filter, a
    filter that is not quick, or no filter beside it, each session records
    what its own accepts. A session whose channel is stopped keeps its
    filter in the event's list but records nothing."""
    d = Daemon()
    try:
        path = values_file([[k, k, k, k, k, 0.5 * k, 1.0, "a", "b"] for k in range(12)])
        runs = [{"same1": ["i < 3"], "same2": ["i < 3"]},
                {"lo": ["i < 3"], "hi": ["i > 9"], "str": ['s == "a" && i == 5'], "ne": ["i != 4"]},
                {"quick": ["i >= 8"], "all": [None], "stopped": ["i >= 8"], "stopped2": ["i < 1"]},
                {"two": ["i < 1", "i > 10"]}]
        want = {"same1": [0, 1, 2], "same2": [0, 1, 2], "lo": [0, 1, 2], "hi": [10, 11], "str": [5],
                "ne": [k for k in range(12) if k != 4], "quick": [8, 9, 10, 11], "all": list(range(12)),
                "stopped": [], "stopped2": [], "two": [0, 11]}
        for r, rules in enumerate(runs):
            outs = {name: session(d, f"q{r}{name}", [["rtf:ev"] + (["--filter", f] if f else [])
                                                     for f in fs])
                    for name, fs in rules.items()}
            for name in rules:
                if name.startswith("stopped"):
                    d.ok("stop", f"q{r}{name}")
            run_app(d, path)
            for name in rules:
                if not name.startswith("stopped"):
                    d.ok("stop", f"q{r}{name}")
                got = recorded(outs[name]) if os.path.isdir(outs[name]) else []
                check(got == want[name], f"{name} ({rules}): recorded {got}, want {want[name]}")
                d.ok("destroy", f"q{r}{name}")
    finally:
        d.cleanup()


def test_too_big_and_filters():
    """A hit too big to stage is lost only in the channels that would have
    recorded it: the filters read the arguments first, so a channel whose
    filter rejects it loses nothing; one whose filter accepts it, or with
    no filter, counts it lost (too big). The same goes with the rejecting
    channel after the others in the event's list."""
    d = Daemon()
    try:
        big = "x" * 20000
        path = values_file([[-1, 0, 0, 0, 0, 0.0, 0.0, "a", big],
                            [1, 0, 0, 0, 0, 0.0, 0.0, "a", big],
                            [2, 0, 0, 0, 0, 0.0, 0.0, "a", "small"]])
        rules = {"rej": ["--filter", "i > 5"], "acc": ["--filter", "i > 0"], "all": [],
                 "rej2": ["--filter", "t == \"small\""]}
        outs = {name: session(d, name, [["rtf:ev", *r]]) for name, r in rules.items()}
        run_app(d, path)
        want = {"rej": ([], 0), "acc": ([2], 1), "all": ([2], 2), "rej2": ([2], 0)}
        for name, (rec, lost) in want.items():
            d.ok("stop", name)
            got = (recorded(outs[name]), int(d.kv(name)["lost_big"]))
            check(got == (rec, lost), f"{name}: recorded, lost too big {got}, want {(rec, lost)}")
    finally:
        d.cleanup()


def test_id_and_namespace_contexts():
    """$ctx.vuid/veuid/vsuid/vgid/vegid/vsgid and the namespace inodes are
    the program's own, read when the filter runs (they were unknown)."""
    d = Daemon()
    try:
        path = values_file([[k, k, k, k, k, 0.5 * k, 1.0, "hello", "x"] for k in range(6)])
        uid, gid = os.getuid(), os.getgid()
        net = os.stat("/proc/self/ns/net").st_ino
        mnt = os.stat("/proc/self/ns/mnt").st_ino
        want = {
            f"$ctx.vuid == {uid} && $ctx.veuid == {uid} && $ctx.vsuid == {uid}": list(range(6)),
            f"$ctx.vgid == {gid} && $ctx.vegid == {gid} && $ctx.vsgid == {gid} && i > 3": [4, 5],
            f"$ctx.vuid != {uid} || $ctx.vsgid != {gid}": [],
            f"$ctx.net_ns == {net} && $ctx.mnt_ns == {mnt} && $ctx.uts_ns > 0 && i < 2": [0, 1],
            f"$ctx.net_ns == {net + 1}": [],
        }
        outs = [session(d, f"c{k}", [["rtf:ev", "--filter", f]]) for k, f in enumerate(want)]
        run_app(d, path)
        for k, (f, w) in enumerate(want.items()):
            d.ok("stop", f"c{k}")
            check(recorded(outs[k]) == w, f"--filter {f!r}: recorded {recorded(outs[k])}, want {w}")
    finally:
        d.cleanup()


def test_bad_filters_refused():
    d = Daemon()
    try:
        d.ok("create", "s", "-o", os.path.join(tmpdir(), "s"))
        cases = {"i ==": "invalid filter", "(i": "expected ')'", '"a" == "b"': "two string literals",
                 "s < \"a\"": "takes numbers", "$ctx.nope == 1": "unknown context field",
                 "$ctx.perf_thread_cpu_cycles > 1": "cannot filter on perf counters",
                 "$ctx.perf:thread:cpu-cycles > 1": "cannot filter on perf counters",
                 "1.5 & 2": "takes integers", "i " + "+ i " * 400: "too large",
                 "(" * 80 + "1" + ")" * 80: "nested deeper", "x == 1\u00e9": "printable ASCII"}
        for text, said in cases.items():
            p = d.cli("enable-event", "rtf:ev", "--filter", text)
            check(p.returncode != 0, f"{text[:40]!r} accepted")
            check(said in p.stderr + p.stdout, f"{text[:40]!r}: no '{said}' in {p.stderr!r}")
        p = d.cli("enable-event", "rtf:ev", "--filter", "x" * 5000)
        check(p.returncode != 0 and "characters" in p.stderr, p.stderr)
        p = d.cli("disable-event", "rtf:ev", "--filter", "1")
        check(p.returncode != 0, "disable-event took a filter")
        check("Event rules: none" in d.ok("list", "s").stdout, "a refused rule was added")
    finally:
        d.cleanup()


def test_exclusions():
    d = Daemon()
    try:
        path = values_file([[1, 1, 1, 1, 1, 1.0, 1.0, "a", "b"]] * 3)
        out = session(d, "x", [["rtf:*", "--exclude", "rtf:noisy*,rtf:debug"]])
        run_app(d, path)
        d.ok("stop", "x")
        events, _ = read_trace(out)
        names = sorted({e["name"] for e in events})
        check(names == ["rtf:ev", "rtf:keep"], f"recorded {names}")
        check("rtf:* (excluding rtf:noisy*, rtf:debug)" in d.ok("list", "x").stdout, "list")
        check("rule_exclude=0 rtf:debug" in d.ok("list", "--kv", "x").stdout, "list --kv")
        # lttng's rules: a pattern with a '*', exclusions within it.
        p = d.cli("enable-event", "-s", "x", "rtf:ev", "--exclude", "rtf:ev")
        check(p.returncode != 0 and "'*'" in p.stderr, p.stderr)
        p = d.cli("enable-event", "-s", "x", "rtf:*", "--exclude", "other:x")
        check(p.returncode != 0 and "cannot match" in p.stderr, p.stderr)
    finally:
        d.cleanup()


def test_trackers():
    d = Daemon()
    try:
        path = values_file([[1, 1, 1, 1, 1, 1.0, 1.0, "a", "b"]] * 4)
        out = session(d, "t", [["rtf:ev"]])
        d.ok("untrack", "-u", "--vpid", "--all", "-s", "t")
        p = run_app(d, path)
        check("ev_enabled=0" in p.stdout, f"untracked, yet enabled: {p.stdout}")
        d.ok("track", "-u", "--vuid", str(os.getuid()), "-s", "t")
        d.ok("track", "--vpid", "--all", "-s", "t")
        p = run_app(d, path)
        check("ev_enabled=1" in p.stdout, f"tracked, yet disabled: {p.stdout}")
        d.ok("track", "--vuid", str(os.getuid() + 1), "-s", "t")
        d.ok("untrack", "--vuid", str(os.getuid()), "-s", "t")
        p = run_app(d, path)
        check("ev_enabled=0" in p.stdout, f"another uid tracked, yet enabled: {p.stdout}")
        d.ok("stop", "t")
        check(recorded(out) == [0, 1, 2, 3], f"only the tracked run: {recorded(out)}")
        kv = d.ok("list", "--kv", "t").stdout
        check(f"tracker=vuid {os.getuid() + 1}" in kv and "tracker=vpid all" in kv, kv)
        check("vgid: all" in d.ok("list", "t").stdout, "list shows trackers")
        p = d.cli("untrack", "--vgid", "5", "-s", "t")
        check(p.returncode != 0 and "no value to untrack" in p.stderr, p.stderr)
        p = d.cli("track", "--vpid", "x1", "-s", "t")
        check(p.returncode != 0, "a bad id list was accepted")
    finally:
        d.cleanup()


def test_save_load_round_trip():
    """save writes rules' filters and exclusions and the trackers (it
    refused such sessions before); the file validates against lttng's
    session.xsd; load makes the same session; save -> load -> save gives
    the same bytes."""
    d = Daemon()
    try:
        out = tmpdir()
        d.ok("create", "sl", "-o", os.path.join(out, "sl"))
        d.ok("enable-event", "-s", "sl", "rtf:ev", "--filter", 's == "a<b&c*" && i > 1')
        d.ok("enable-event", "-s", "sl", "rtf:*", "--exclude", "rtf:noisy*,rtf:debug",
             "--filter", "$ctx.vpid != 0")
        d.ok("enable-event", "-s", "sl", "rtf:keep")
        d.ok("track", "-s", "sl", "--vpid", "7,5")
        d.ok("untrack", "-s", "sl", "--vgid", "--all")
        before = d.ok("list", "--kv", "sl").stdout
        want = [l for l in before.splitlines() if l.startswith(("rule", "tracker="))]
        check('rule_filter=0 s == "a<b&c*" && i > 1' in want and "tracker=vpid 7,5" in want,
              f"list --kv: {want}")
        d.ok("save", "sl", "-o", out)
        path = os.path.join(out, "sl.lttng")
        first = open(path, "rb").read()
        xsd = "/usr/share/xml/lttng/session.xsd"
        x = subprocess.run(["xmllint", "--noout", "--schema", xsd, path], capture_output=True,
                           text=True)
        check(x.returncode == 0, f"sl.lttng does not validate against {xsd}: {x.stderr}")
        d.ok("destroy", "sl")
        d.ok("load", "-i", path)
        after = d.ok("list", "--kv", "sl").stdout
        got = [l for l in after.splitlines() if l.startswith(("rule", "tracker="))]
        check(got == want, f"loaded:\n{got}\nsaved:\n{want}")
        d.ok("save", "sl", "-o", out, "-f")
        check(open(path, "rb").read() == first, "save -> load -> save changed the file")
        # A user or group by name (lttng takes them; its save writes ids).
        text = first.decode().replace("<vgid_process_attr_tracker>\n\t\t\t\t\t\t<process_attr_values/>",
                                      "<vgid_process_attr_tracker><process_attr_values><vgid>"
                                      "<name>root</name></vgid></process_attr_values>")
        check(text != first.decode(), f"no empty vgid tracker in:\n{first.decode()}")
        with open(path, "w") as f:
            f.write(text)
        d.ok("load", "-i", path, "-f")
        check("tracker=vgid 0" in d.ok("list", "--kv", "sl").stdout.splitlines(), "vgid by name")
    finally:
        d.cleanup()


# ---- a hostile program on an application's socket -------------------------------

def possible_cpus():
    with open("/sys/devices/system/cpu/possible") as f:
        return int(f.read().strip().split("-")[-1].split(",")[-1]) + 1


def cpu_buffer_set(nr, subbuf=4096, num=2):
    """A well-formed per-CPU buffer set (ringbuf/layout.h), sealed."""
    import fcntl
    doff = (256 + nr * 256 + 4095) & ~4095
    total = doff + nr * subbuf * num
    fd = os.memfd_create("fake-buffers", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.ftruncate(fd, total)
    hdr = struct.pack("<QIIIIIIIIQQ16sII48x", 0x72736571747263, 2, 256, 256, nr, subbuf, num,
                      1, 0, doff, total, bytes(16), 0, 0) + bytes(128)
    os.pwrite(fd, hdr, 0)
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL)
    return fd


def event_names(data):
    """Names of the descriptions in an APP_EVENTS record, with their index."""
    first, count = struct.unpack_from("<II", data, 24)
    off, out = 32, {}
    for k in range(count):
        ln, _ = struct.unpack_from("<II", data, off)
        blob = data[off + 8:off + 8 + ln]
        o = 16
        names = []
        for _ in range(2):
            n = struct.unpack_from("<H", blob, o)[0]
            names.append(blob[o + 2:o + 2 + n - 1].decode())
            o += 2 + n
        out[":".join(names)] = first + k
        off += 8 + ln + (-ln % 8)
    return out


def program(insns, consts=(), strs=b""):
    """A filter program (filter/program.h) from (op, type, a, b) tuples."""
    body = struct.pack("<IHHHHI", 0x50465452, 1, len(insns), len(consts), 0, len(strs))
    body += b"".join(struct.pack("<BBHI", *i) for i in insns)
    body += b"".join(struct.pack("<q", c) for c in consts)
    return body + strs


OP = dict(PUSH_INT=1, LOAD_FIELD=4, CMP_I=24, JF=28, RET=30)
ACCEPT_ALL = program([(OP["PUSH_INT"], 0, 0, 0), (OP["RET"], 0, 0, 0)], [1])
HOSTILE = {
    "backward jump": program([(OP["PUSH_INT"], 0, 0, 0), (OP["JF"], 0, 0, 0),
                              (OP["PUSH_INT"], 0, 0, 0), (OP["RET"], 0, 0, 0)], [1]),
    "field past the event's": program([(OP["LOAD_FIELD"], 5, 200, 0), (OP["RET"], 0, 0, 0)]),
    "field of another type": program([(OP["LOAD_FIELD"], 7, 2, 0), (OP["RET"], 0, 0, 0)]),
    "stack underflow": program([(OP["CMP_I"], 0, 0, 0), (OP["RET"], 0, 0, 0)]),
    "constant past the pool": program([(OP["PUSH_INT"], 0, 9, 0), (OP["RET"], 0, 0, 0)], [1]),
}


def filter_msg(key, index, progs):
    var = b"".join(struct.pack("<II", len(p), 0) + p + bytes(-len(p) % 8) for p in progs)
    return gen_corpus.msg(gen_corpus.T["FILTER"], struct.pack("<QII", key, index, len(progs)) + var)


def fake_daemon(home, prog, result):
    """Registers one app, gives it an active per-CPU channel, sends `prog`
    as the filter of rtf:ev, enables rtf:ev, answers READY, then checks
    the connection still answers APP_SYNC."""
    T = gen_corpus.T
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    ls.bind(os.path.join(home, "rseqtraced.sock"))
    ls.listen(1)
    ls.settimeout(30)
    try:
        c, _ = ls.accept()
        c.settimeout(30)
        index = {}
        while True:
            data = c.recv(65536)
            if not data:
                return
            typ = struct.unpack_from("<H", data, 6)[0]
            seq = struct.unpack_from("<Q", data, 16)[0]
            result.setdefault("log", []).append(typ)
            if typ == T["EVENTS"]:
                index.update(event_names(data))
            if typ == T["READY_REQ"]:
                if "rtf:ev" in index:
                    break
                # librseqtrace's own registration, before the provider's.
                c.send(gen_corpus.msg(T["READY"], struct.pack("<iI", 0, 0), seq=seq))
        nr = possible_cpus()
        mfd = cpu_buffer_set(nr)
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        c.sendmsg([gen_corpus.msg(T["CHANNEL"], struct.pack("<QIIQII", 7, 1, 0, 0, nr, 0), nfds=2)],
                  [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [mfd, b.fileno()]))])
        os.close(mfd)
        b.close()
        ev = index["rtf:ev"]
        c.send(filter_msg(7, ev, [ACCEPT_ALL, prog] if prog != ACCEPT_ALL else [prog]))
        c.send(gen_corpus.msg(T["ENABLE_APP"], struct.pack("<QII", 7, 1, 0) +
                              struct.pack("<IIII", ev, 0, 1, 0)))
        c.send(gen_corpus.msg(T["READY"], struct.pack("<iI", 0, 0), seq=seq))
        c.send(gen_corpus.msg(T["SYNC"], seq=99))
        # Until the app exits: a closed connection would turn its tracing off.
        try:
            while True:
                data = c.recv(65536)
                if not data:
                    break
                typ = struct.unpack_from("<H", data, 6)[0]
                if typ == T["READY_REQ"]:  # a provider registering after us
                    c.send(gen_corpus.msg(T["READY"], struct.pack("<iI", 0, 0),
                                          seq=struct.unpack_from("<Q", data, 16)[0]))
                if typ == T["SYNC_ACK"]:
                    result["acked"] = struct.unpack_from("<Q", data, 16)[0]
                    open(os.path.join(home, "go"), "w").close()  # the app may exit now
        except ConnectionResetError:
            pass
        finally:
            open(os.path.join(home, "go"), "w").close()
        c.close()
        a.close()
    except (OSError, KeyError) as e:
        result["error"] = repr(e)
    finally:
        ls.close()


def run_against_fake(prog):
    home = tempfile.mkdtemp(prefix="rt-fake-")  # 0700: the app trusts only a private one
    result = {}
    t = threading.Thread(target=fake_daemon, args=(home, prog, result))
    t.start()
    # The app registers at start only with a daemon listening then.
    wait_until(lambda: os.path.exists(os.path.join(home, "rseqtraced.sock")), "the fake's socket")
    time.sleep(0.1)
    env = dict(os.environ, RSEQTRACE_HOME=home, RSEQTRACE_REGISTER_TIMEOUT_MS="5000",
               RSEQTRACE_CID="0")
    path = values_file([[1, 1, 1, 1, 1, 1.0, 1.0, "a", "b"]] * 3)
    p = subprocess.run([FAPP, path, "--hold", os.path.join(home, "go")], env=env,
                       capture_output=True, text=True, timeout=60)
    t.join(30)
    shutil.rmtree(home, ignore_errors=True)
    check(not result.get("error"), f"fake daemon: {result}")
    return p, result


def test_hostile_program():
    """An app refuses each hostile program (one bad program of the set is
    enough), says why, keeps rtf:ev off and its connection (it answers
    APP_SYNC); a good program enables it, so the check can fail."""
    p, result = run_against_fake(ACCEPT_ALL)
    check(p.returncode == 0 and "ev_enabled=1" in p.stdout, f"good program: {p.stdout} {p.stderr} {result}")
    check(result.get("acked") == 99, f"good program: no APP_SYNC_ACK {result}")
    for what, prog in HOSTILE.items():
        p, result = run_against_fake(prog)
        check(p.returncode == 0, f"{what}: the app exited {p.returncode}: {p.stderr}")
        check("ev_enabled=0" in p.stdout, f"{what}: rtf:ev is on: {p.stdout}")
        check("filter for event" in p.stderr and "refused" in p.stderr,
              f"{what}: not said: {p.stderr!r}")
        check(result.get("acked") == 99, f"{what}: the app dropped its connection: {result}")


if __name__ == "__main__":
    run_tests([test_hostile_program, test_bad_filters_refused, test_exclusions, test_trackers,
               test_save_load_round_trip, test_id_and_namespace_contexts,
               test_context_and_rules_union, test_quick_filters_across_sessions,
               test_too_big_and_filters, test_random_filters])
