#!/usr/bin/python3
"""Every context add-context offers, per channel, against what the traced
program knows (tests/tracepoints/ctx_app.c puts its tid, pthread_self(),
sched_getcpu() around the call and its ids in each event's payload): one
channel with all of them, one with cpu_id and vuid only, the event enabled
in both. The CTF field names and types are LTTng-UST's (_cpu_id int32,
_pthread_id uint64, _vuid uint32, _pid_ns uint64...). Run as root, the
program changes its effective ids halfway: the contexts follow."""
import os

from rtd import BUILD, Daemon, check, need, run_tests, tmpdir

APP = os.environ.get("RT_CTXAPP") or os.path.join(BUILD, "tests", "tracepoints", "tp_ctx_app")
N = 200
ALL = ["ip", "vpid", "vtid", "procname", "pthread_id", "cpu_id", "vuid", "veuid", "vsuid",
       "vgid", "vegid", "vsgid", "cgroup_ns", "ipc_ns", "mnt_ns", "net_ns", "pid_ns", "time_ns",
       "user_ns", "uts_ns"]
NS = [c for c in ALL if c.endswith("_ns")]
# LTTng-UST's types: (signed, bits)
TYPES = dict({c: (False, 32) for c in ("vuid", "veuid", "vsuid", "vgid", "vegid", "vsgid")},
             **{c: (False, 64) for c in NS}, pthread_id=(False, 64), cpu_id=(True, 32),
             vpid=(True, 32), vtid=(True, 32), ip=(False, 64))


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
        for c in ALL:  # LTTng-UST's CTF names
            check(f" _{c};" in meta or f" _{c}[" in meta, f"no field _{c} in the metadata")
        ev = decode(out)
        check(set(ev) == {"full", "few"}, f"channels in the trace: {set(ev)}")
        check_channel(ev["full"], ALL, int(info["pid"]), info["changed"] == "1")
        check_channel(ev["few"], ["vpid", "vtid", "procname", "cpu_id", "vuid"],
                      int(info["pid"]), info["changed"] == "1")
    finally:
        d.cleanup()


if __name__ == "__main__":
    run_tests([test_all_contexts_two_channels])
