#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Checks one babeltrace2 timeline made of an rseqtrace trace and an LTTng-UST trace.

usage: check_merged.py (--hello|--fields|--pingpong) ROUNDS RSEQTRACE_TRACE LTTNG_TRACE

Both through the babeltrace2 CLI (`babeltrace2 OURS LTTNG` exits 0, says
nothing on stderr, prints every event) and through bt2's muxer:
  - both clock classes are `monotonic`, 1 GHz, uuid = this boot's id, with
    the same origin, so the muxer may merge them;
  - the merged events are in non-decreasing time order;
  - each tracer recorded exactly what its program emitted:
      --hello N     examples/hello: N of each of its 4 events, per tracer, and
                    every field (integers, hex, floats, enums, arrays, sequences,
                    text, blobs) and loglevel decodes the same in both traces
      --fields N    tests/lttng/fieldtypes: 7 events per round per tracer, and
                    both traces decode to exactly the same values
      --pingpong N  N hops per tracer, and the merged timeline lists the
                    hops in seq order 0, 1, ..., 2N-1, alternating tracers
                    (each hop happened before the next in real time).
Exit 0 if all holds, 1 with the reasons otherwise.
"""
import collections
import subprocess
import sys

import bt2

HELLO_EVENTS = ("hello:greeting", "hello:measure", "hello:batch", "hello:tick")
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def boot_id():
    with open("/proc/sys/kernel/random/boot_id") as f:
        return f.read().strip()


def check_cli(paths, expected_events):
    r = subprocess.run(["babeltrace2"] + paths, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = r.stdout.decode(errors="replace").splitlines()
    err = r.stderr.decode(errors="replace").strip()
    print("babeltrace2 %s: exit %d, %d lines, stderr %s" % (
        " ".join(paths), r.returncode, len(lines), "empty" if not err else "NOT empty"))
    if r.returncode != 0:
        fail("babeltrace2 exited %d: %s" % (r.returncode, err[:2000]))
    elif err:
        fail("babeltrace2 wrote to stderr: %s" % err[:2000])
    if len(lines) != expected_events:
        fail("babeltrace2 printed %d events, expected %d" % (len(lines), expected_events))


def to_py(field):
    """A decoded field as plain Python: ints, floats, str, lists; enums as (value, labels)."""
    if isinstance(field, bt2._EnumerationFieldConst):
        return (int(field), tuple(sorted(field.labels)))
    if isinstance(field, bt2._IntegerFieldConst):
        return int(field)
    if isinstance(field, bt2._RealFieldConst):
        return repr(float(field))  # compares NaN too
    if isinstance(field, bt2._StringFieldConst):
        return str(field)
    if isinstance(field, bt2._ArrayFieldConst):
        return [to_py(e) for e in field]
    if isinstance(field, bt2._StructureFieldConst):
        return {k: to_py(field[k]) for k in field}
    return repr(field)


def clock_of(msg):
    cc = msg.stream.cls.default_clock_class
    return (cc.name, cc.frequency, str(cc.uuid) if cc.uuid else None, cc.origin_is_unix_epoch)


def merged_events(paths):
    """[(ns, tracer, name, payload dict)] in the muxer's order, and the clocks per tracer."""
    events = []
    clocks = {}
    for msg in bt2.TraceCollectionMessageIterator(paths):
        if type(msg) is bt2._StreamBeginningMessageConst:
            tracer = str(msg.stream.trace.environment["tracer_name"])
            clocks.setdefault(tracer, set()).add(clock_of(msg))
        elif type(msg) is bt2._EventMessageConst:
            ev = msg.event
            tracer = str(ev.stream.trace.environment["tracer_name"])
            payload = ev.payload_field
            fields = {k: to_py(payload[k]) for k in payload} if payload is not None else {}
            fields["(loglevel)"] = ev.cls.log_level
            events.append((msg.default_clock_snapshot.ns_from_origin, tracer, ev.name, fields))
        elif type(msg) is bt2._DiscardedEventsMessageConst:
            fail("discarded events reported: %s" % msg.count)
    return events, clocks


def check_clocks(clocks):
    bid = boot_id()
    if set(clocks) != {"rseqtrace", "lttng-ust"}:
        fail("tracers in the merged traces: %s, expected rseqtrace and lttng-ust" % sorted(clocks))
    for tracer, cs in sorted(clocks.items()):
        for name, freq, uuid, epoch in cs:
            print("clock of %-9s: name=%s freq=%d uuid=%s origin_is_unix_epoch=%s" % (
                tracer, name, freq, uuid, epoch))
            if name != "monotonic" or freq != 1000000000 or uuid != bid:
                fail("%s clock is not LTTng's monotonic clock (name monotonic, 1 GHz, uuid %s)" % (
                    tracer, bid))
    origins = {c[3] for cs in clocks.values() for c in cs}
    if len(origins) != 1:
        fail("clock origins differ between tracers: the muxer cannot merge them")


def check_order(events):
    backwards = sum(1 for a, b in zip(events, events[1:]) if b[0] < a[0])
    switches = sum(1 for a, b in zip(events, events[1:]) if a[1] != b[1])
    print("merged: %d events, %d time reversals, %d switches between tracers" % (
        len(events), backwards, switches))
    if backwards:
        fail("%d events go back in time in the merged timeline" % backwards)
    return switches


def check_hello(events, rounds):
    per = collections.Counter((t, n) for _, t, n, _ in events)
    for tracer in ("rseqtrace", "lttng-ust"):
        got = {n: per[(tracer, n)] for n in HELLO_EVENTS}
        print("%-9s: %s" % (tracer, got))
        for n in HELLO_EVENTS:
            if got[n] != rounds:
                fail("%s recorded %d %s, expected %d" % (tracer, got[n], n, rounds))
    extra = [k for k in per if k[1] not in HELLO_EVENTS]
    if extra:
        fail("unexpected events: %s" % extra)
    # Same program, same arguments: every field decodes to the same value in
    # both traces (the stack address in hello:measure aside), loglevels too.
    same_fields(events, ignore=("address",))


def same_fields(events, ignore=()):
    """Both tracers recorded the same events with the same decoded values, in order."""
    seqs = {t: [(n, {k: v for k, v in f.items() if k not in ignore}) for _, tt, n, f in events if tt == t]
            for t in ("rseqtrace", "lttng-ust")}
    if len(seqs["rseqtrace"]) != len(seqs["lttng-ust"]):
        fail("rseqtrace recorded %d events, lttng-ust %d" % (len(seqs["rseqtrace"]), len(seqs["lttng-ust"])))
    diff = [(a, b) for a, b in zip(seqs["rseqtrace"], seqs["lttng-ust"]) if a != b]
    if diff:
        fail("%d events decode differently; first: rseqtrace %s / lttng-ust %s" % (
            len(diff), diff[0][0], diff[0][1]))
    else:
        print("fields and loglevels: identical in both traces (%d events each)" % len(seqs["rseqtrace"]))


def check_fields(events, rounds):
    per = collections.Counter(t for _, t, _, _ in events)
    for t in ("rseqtrace", "lttng-ust"):
        print("%-9s: %d events" % (t, per[t]))
        if per[t] != 7 * rounds:
            fail("%s recorded %d events, expected %d" % (t, per[t], 7 * rounds))
    same_fields(events)


def check_pingpong(events, rounds):
    hops = [(int(f["seq"]), t, str(f["tracer"])) for _, t, n, f in events if n == "pingpong:hop"]
    if len(hops) != 2 * rounds or len(events) != 2 * rounds:
        fail("%d events, %d hops; expected %d hops" % (len(events), len(hops), 2 * rounds))
    for t in ("rseqtrace", "lttng-ust"):
        n = sum(1 for h in hops if h[1] == t)
        print("%-9s: %d hops" % (t, n))
        if n != rounds:
            fail("%s recorded %d hops, expected %d" % (t, n, rounds))
    wrong = [(i, h) for i, h in enumerate(hops) if h[0] != i]
    if wrong:
        i, h = wrong[0]
        fail("%d hops out of real-time order; first at position %d: seq %d from %s" % (
            len(wrong), i, h[0], h[1]))
    else:
        print("hops in real-time order: seq 0..%d, alternating tracers" % (len(hops) - 1))
    mislabeled = [h for h in hops if h[1] != h[2]]
    if mislabeled:
        fail("%d hops carry another tracer's name" % len(mislabeled))


def main(argv):
    if len(argv) != 5 or argv[1] not in ("--hello", "--fields", "--pingpong"):
        print(__doc__, file=sys.stderr)
        return 2
    mode, rounds, paths = argv[1], int(argv[2]), argv[3:]
    expected = {"--hello": 4, "--fields": 7, "--pingpong": 1}[mode] * rounds * 2
    check_cli(paths, expected)
    try:
        events, clocks = merged_events(paths)
    except (bt2._Error, RuntimeError) as e:
        fail("bt2's muxer could not merge the traces: %s" % str(e).strip().splitlines()[0])
        print("check_merged: %d failure(s)" % len(failures))
        return 1
    check_clocks(clocks)
    switches = check_order(events)
    if mode == "--hello":
        check_hello(events, rounds)
    elif mode == "--fields":
        check_fields(events, rounds)
    else:
        check_pingpong(events, rounds)
        if switches != 2 * rounds - 1:
            fail("the tracers alternate %d times, expected %d" % (switches, 2 * rounds - 1))
    if failures:
        print("check_merged: %d failure(s)" % len(failures))
        return 1
    print("check_merged: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
