#!/usr/bin/python3
"""Every context add-context offers, per channel, against what the traced
program knows (tests/tracepoints/ctx_app.c puts its tid, pthread_self(),
sched_getcpu() around the call and its ids in each event's payload): one
channel with all of them, one with cpu_id and vuid only, the event enabled
in both. The CTF field names and types are LTTng-UST's (_cpu_id int32,
_pthread_id uint64, _vuid uint32, _pid_ns uint64...). Run as root, the
program changes its effective ids halfway: the contexts follow."""
import ctypes
import os
import struct

from rtd import BUILD, Daemon, check, need, run_tests, tmpdir

APP = os.environ.get("RT_CTXAPP") or os.path.join(BUILD, "tests", "tracepoints", "tp_ctx_app")
N = 200
ALL = ["ip", "vpid", "vtid", "procname", "pthread_id", "cpu_id", "vuid", "veuid", "vsuid",
       "vgid", "vegid", "vsgid", "cgroup_ns", "ipc_ns", "mnt_ns", "net_ns", "pid_ns", "time_ns",
       "user_ns", "uts_ns"]
NS = [c for c in ALL if c.endswith("_ns")]
PERF_SW = ["perf:thread:task-clock", "perf:thread:page-fault", "perf:thread:context-switches"]


def field(ctx):
    """LTTng-UST's CTF field name of a context (without CTF's leading _)."""
    return ctx.replace(":", "_").replace("-", "_")


# LTTng-UST's types: (signed, bits)
TYPES = dict({c: (False, 32) for c in ("vuid", "veuid", "vsuid", "vgid", "vegid", "vsgid")},
             **{c: (False, 64) for c in NS}, pthread_id=(False, 64), cpu_id=(True, 32),
             vpid=(True, 32), vtid=(True, 32), ip=(False, 64),
             **{field(c): (False, 64) for c in PERF_SW})


def perf_opens(typ, config):
    """Whether perf_event_open gives this process a user-space counter."""
    attr = bytearray(128)
    struct.pack_into("<IIQ", attr, 0, typ, 128, config)
    struct.pack_into("<Q", attr, 40, (1 << 5) | (1 << 6))  # exclude_kernel, exclude_hv
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.syscall(298, ctypes.create_string_buffer(bytes(attr)), 0, -1, -1, 0)
    if fd >= 0:
        os.close(fd)
    return fd >= 0


def decode(path):
    """channel -> list of (event name, payload, context, context field classes)."""
    import bt2
    out = {}
    for m in bt2.TraceCollectionMessageIterator(str(path)):
        if type(m) is not bt2._EventMessageConst:
            continue
        e = m.event
        chan = os.path.basename(e.stream.name or "").rsplit("_", 1)[0]
        c = e.common_context_field
        ctx = {k: str(c[k]) if isinstance(c[k], bt2._StringFieldConst) else int(c[k])
               for k in c} if c is not None else {}
        classes = {k: c[k].cls for k in c} if c is not None else {}
        out.setdefault(chan, []).append((e.name, {k: int(e.payload_field[k]) for k in
                                                  e.payload_field}, ctx, classes))
    return out


def check_types(classes):
    import bt2
    for name, (signed, bits) in TYPES.items():
        cls = classes.get(name)
        if cls is None:
            continue
        want = bt2._SignedIntegerFieldClassConst if signed else \
            bt2._UnsignedIntegerFieldClassConst
        check(isinstance(cls, want) and cls.field_value_range == bits,
              f"{name}: {type(cls).__name__} of {cls.field_value_range} bits, "
              f"want {'signed' if signed else 'unsigned'} {bits}")


def check_channel(events, names, pid, changed):
    hits = [e for e in events if e[0] == "ctxtest:hit"]
    after = {e[1]["seq"]: e[1]["cpu_after"] for e in events if e[0] == "ctxtest:after"}
    check(len(hits) == 2 * N, f"{len(hits)} ctxtest:hit events, want {2 * N}")
    want_keys = set(names)  # babeltrace2 drops CTF 1.8's leading _
    ns = {n: os.stat(f"/proc/self/ns/{n[:-3]}").st_ino for n in NS
          if os.path.exists(f"/proc/self/ns/{n[:-3]}")}
    euids = set()
    for _, p, ctx, classes in hits:
        check(set(ctx) == want_keys, f"context fields {sorted(ctx)}, want {sorted(want_keys)}")
        check_types(classes)
        seq = p["seq"]
        if "cpu_id" in names:
            check(ctx["cpu_id"] in (p["cpu_before"], after.get(seq)),
                  f"seq {seq}: cpu_id {ctx['cpu_id']}, sched_getcpu() gave {p['cpu_before']} "
                  f"before and {after.get(seq)} after")
        if "pthread_id" in names:
            check(ctx["pthread_id"] == p["pthread"], f"seq {seq}: pthread_id {ctx['pthread_id']}"
                  f" != pthread_self() {p['pthread']}")
        if "vtid" in names:
            check(ctx["vtid"] == p["tid"], f"seq {seq}: vtid {ctx['vtid']} != {p['tid']}")
        if "vpid" in names:
            check(ctx["vpid"] == pid, f"seq {seq}: vpid {ctx['vpid']} != {pid}")
        for c in ("vuid", "veuid", "vsuid", "vgid", "vegid", "vsgid"):
            if c in names:
                check(ctx[c] == p[c[1:]], f"seq {seq}: {c} {ctx[c]} != {p[c[1:]]}")
        if "veuid" in names:
            euids.add(ctx["veuid"])
        for n in NS:
            if n in names and n in ns:
                check(ctx[n] == ns[n], f"seq {seq}: {n} {ctx[n]} != {ns[n]}")
    if changed and "veuid" in names:
        check(euids == {0, 65534}, f"veuid values {euids}: the change of ids was not followed")
    tids = {p["tid"] for _, p, _, _ in hits}
    check(len(tids) == 2, f"threads {tids}")


PERF_HW = []


def check_perf(events, names):
    """Every counter of each thread never goes back; task-clock moves."""
    last, first = {}, {}
    hits = [e for e in events if e[0] == "ctxtest:hit"]
    check(len(hits) == 2 * N, f"perf channel: {len(hits)} events, want {2 * N}")
    for _, p, ctx, classes in hits:
        check_types(classes)
        check(set(ctx) == {"vpid", "vtid", "procname"} | {field(n) for n in names},
              f"perf channel fields {sorted(ctx)}")
        for n in names:
            k, v = (p["tid"], n), ctx[field(n)]
            check(v >= last.get(k, 0), f"{n} of thread {p['tid']} went back: {last.get(k)} -> {v}")
            last[k] = v
            first.setdefault(k, v)
    for (tid, n), v in last.items():
        if n in ("perf:thread:task-clock", "perf:thread:cpu-cycles"):
            check(v > first[(tid, n)] > 0, f"{n} of thread {tid}: {first[(tid, n)]} .. {v}")


def test_all_contexts_two_channels():
    need(APP)
    d = Daemon()
    try:
        out = os.path.join(tmpdir(), "out")
        d.ok("create", "ctx", "-o", out)
        d.ok("enable-channel", "-u", "full")
        d.ok("enable-channel", "-u", "few")
        d.ok("enable-event", "-u", "-c", "full", "ctxtest:*")
        d.ok("enable-event", "-u", "-c", "few", "ctxtest:*")
        r = d.ok("add-context", "-u", "-c", "full", *sum((["-t", c] for c in ALL), []))
        check("Context pthread_id added to channel full" in r.stdout, r.stdout)
        d.ok("add-context", "-u", "-c", "few", "-t", "cpu_id,vuid")
        d.ok("enable-channel", "-u", "perf")
        d.ok("enable-event", "-u", "-c", "perf", "ctxtest:*")
        d.ok("add-context", "-u", "-c", "perf", "-t", ",".join(PERF_SW))
        # A counter the kernel refuses here is refused by name at
        # add-context; one it gives is recorded (both asserted).
        r = d.cli("add-context", "-u", "-c", "perf", "-t", "perf:thread:cpu-cycles")
        hw = perf_opens(0, 0)
        if hw:
            check(r.returncode == 0, f"perf:thread:cpu-cycles opens here but: {r.stderr}")
            PERF_HW[:] = ["perf:thread:cpu-cycles"]
        else:
            check(r.returncode != 0 and "perf:thread:cpu-cycles" in r.stderr and
                  "perf_event_open" in r.stderr, f"cpu-cycles: exit {r.returncode} {r.stderr}")
        check(d.cli("add-context", "-u", "-t", "nonsense").returncode != 0,
              "an unknown context must be refused")
        d.ok("start")
        p = __import__("subprocess").run([APP, str(N)], env=d.env, capture_output=True,
                                         text=True, timeout=60)
        check(p.returncode == 0, f"tp_ctx_app exited {p.returncode}: {p.stderr}")
        info = dict(f.split("=") for f in p.stdout.split())
        d.ok("stop")
        meta = "".join(open(os.path.join(r, "metadata"), errors="replace").read()
                       for r, _, f in os.walk(out) if "metadata" in f)
        for c in ALL + PERF_SW:  # LTTng-UST's CTF names
            c = field(c)
            check(f" _{c};" in meta or f" _{c}[" in meta, f"no field _{c} in the metadata")
        ev = decode(out)
        check(set(ev) == {"full", "few", "perf"}, f"channels in the trace: {set(ev)}")
        check_perf(ev["perf"], PERF_SW + PERF_HW)
        check_channel(ev["full"], ALL, int(info["pid"]), info["changed"] == "1")
        check_channel(ev["few"], ["vpid", "vtid", "procname", "cpu_id", "vuid"],
                      int(info["pid"]), info["changed"] == "1")
    finally:
        d.cleanup()


def test_save_load():
    """save writes lttng's context elements (<type>VUID</type>, <perf> with
    type, config and name for a counter); load reads them back; the file
    is byte-stable through save -> load -> save."""
    d = Daemon()
    try:
        base = tmpdir()
        d.ok("create", "sv", "-o", os.path.join(base, "out"))
        d.ok("enable-channel", "-u", "c")
        d.ok("add-context", "-u", "-c", "c", "-t", "vuid,pid_ns,cpu_id,perf:thread:task-clock")
        before = d.kv("sv").get("contexts")
        d.ok("save", "sv", "-o", base)
        text = open(os.path.join(base, "sv.lttng")).read()
        check("<type>VUID</type>" in text and "<type>PID_NS</type>" in text, text)
        check("<perf><type>1</type><config>1</config><name>perf_thread_task_clock</name></perf>"
              in text.replace("\n", "").replace("\t", "").replace(" ", ""), text)
        d.ok("destroy", "sv")
        d.ok("load", "-i", os.path.join(base, "sv.lttng"))
        check(d.kv("sv").get("contexts") == before, f"{d.kv('sv').get('contexts')} != {before}")
        os.makedirs(os.path.join(base, "again"))
        d.ok("save", "sv", "-o", os.path.join(base, "again"))
        check(open(os.path.join(base, "again", "sv.lttng")).read() == text, "not byte-stable")
    finally:
        d.cleanup()


if __name__ == "__main__":
    run_tests([test_all_contexts_two_channels, test_save_load])
