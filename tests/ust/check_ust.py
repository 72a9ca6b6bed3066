#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Compares the trace of a program built against LTTng-UST with the trace of
the same program built against rseqtrace's LTTng-UST compatibility headers.

usage: check_ust.py ROUNDS RSEQTRACE_TRACE LTTNG_TRACE [--expect N]

Event by event (LTTng-UST's own lttng_ust_statedump:* and lttng_ust_lib:*
events aside), both traces must hold the same events in the same order, with:
  - the same name and loglevel;
  - the same payload field names, in the same order;
  - the same field types: integer size, signedness, display base, enum
    mappings (labels and ranges), string, real precision, static array
    length, dynamic array (sequence) and its element type;
  - the same byte order of every field, read from each trace's metadata
    (`babeltrace2 --output-format=ctf-metadata`): the _network fields are
    big-endian in both, and no other field is;
  - the same decoded values.
Timestamps and contexts are not compared. --expect N: each trace must hold N
events (else at least one). Exit 0 if all holds, 1 with the reasons otherwise.
"""
import glob
import os
import re
import subprocess
import sys

import bt2

SKIP = ("lttng_ust_statedump:", "lttng_ust_lib:")
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def fc_desc(fc):
    """A field class as plain Python: what both tracers must agree on."""
    if isinstance(fc, (bt2._UnsignedEnumerationFieldClassConst, bt2._SignedEnumerationFieldClassConst)):
        maps = sorted((label, tuple(sorted((r.lower, r.upper) for r in m.ranges)))
                      for label, m in fc.items())
        signed = isinstance(fc, bt2._SignedEnumerationFieldClassConst)
        return ("enum", "signed" if signed else "unsigned", fc.field_value_range,
                int(fc.preferred_display_base), tuple(maps))
    if isinstance(fc, bt2._SignedIntegerFieldClassConst):
        return ("int", "signed", fc.field_value_range, int(fc.preferred_display_base))
    if isinstance(fc, bt2._UnsignedIntegerFieldClassConst):
        return ("int", "unsigned", fc.field_value_range, int(fc.preferred_display_base))
    if isinstance(fc, bt2._RealFieldClassConst):
        return ("real", 32 if "Single" in type(fc).__name__ else 64)
    if isinstance(fc, bt2._StringFieldClassConst):
        return ("string",)
    if isinstance(fc, bt2._StaticArrayFieldClassConst):
        return ("array", fc.length, fc_desc(fc.element_field_class))
    if isinstance(fc, bt2._DynamicArrayFieldClassConst):
        return ("sequence", fc_desc(fc.element_field_class))
    if isinstance(fc, bt2._StructureFieldClassConst):
        return ("struct", tuple((k, fc_desc(fc[k].field_class)) for k in fc))
    return ("other", type(fc).__name__)


def value(field):
    if isinstance(field, bt2._EnumerationFieldConst):
        return (int(field), tuple(sorted(field.labels)))
    if isinstance(field, bt2._IntegerFieldConst):
        return int(field)
    if isinstance(field, bt2._RealFieldConst):
        return repr(float(field))
    if isinstance(field, bt2._StringFieldConst):
        return str(field)
    if isinstance(field, bt2._ArrayFieldConst):
        return [value(e) for e in field]
    if isinstance(field, bt2._StructureFieldConst):
        return {k: value(field[k]) for k in field}
    return repr(field)


def events(path):
    out = []
    for msg in bt2.TraceCollectionMessageIterator(path):
        if type(msg) is bt2._DiscardedEventsMessageConst:
            fail("%s: %s discarded events" % (path, msg.count))
        if type(msg) is not bt2._EventMessageConst:
            continue
        ev = msg.event
        if ev.name.startswith(SKIP):
            continue
        payload = ev.payload_field
        fields = [] if payload is None else [
            (k, fc_desc(payload[k].cls), value(payload[k])) for k in payload]
        out.append((ev.name, ev.cls.log_level, fields))
    return out


def metadata_byte_orders(path):
    """{event name: [big-endian field names]} from every metadata under path."""
    orders = {}
    for md in glob.glob(os.path.join(path, "**", "metadata"), recursive=True):
        text = subprocess.run(["babeltrace2", "--output-format=ctf-metadata", os.path.dirname(md)],
                              stdout=subprocess.PIPE, check=True).stdout.decode(errors="replace")
        for m in re.finditer(r'event \{\s*name = "([^"]+)";(.*?)\n\};', text, re.S):
            name, body = m.group(1), m.group(2)
            if name.startswith(SKIP):
                continue
            be = []
            for line in body.splitlines():
                f = re.search(r"\b_([A-Za-z0-9_]+)(\[[^\]]*\])?;\s*$", line)
                if f and "byte_order = be" in line:
                    be.append(f.group(1))
            orders[name] = be
    return orders


def main():
    args = sys.argv[1:]
    expect = None
    if "--expect" in args:
        i = args.index("--expect")
        expect = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 3:
        print(__doc__)
        return 2
    _, ours_path, lttng_path = args
    ours, lttng = events(ours_path), events(lttng_path)
    print("rseqtrace: %d events, lttng-ust: %d events" % (len(ours), len(lttng)))
    if not ours or not lttng:
        fail("no events recorded")
    if expect is not None and (len(ours) != expect or len(lttng) != expect):
        fail("expected %d events in each trace" % expect)
    if len(ours) != len(lttng):
        fail("rseqtrace recorded %d events, lttng-ust %d" % (len(ours), len(lttng)))
    compared = 0
    for i, (a, b) in enumerate(zip(ours, lttng)):
        what = "event %d (%s)" % (i, b[0])
        if a[0] != b[0]:
            fail("%s: name %s, lttng-ust %s" % (what, a[0], b[0]))
            break
        if a[1] != b[1]:
            fail("%s: loglevel %s, lttng-ust %s" % (what, a[1], b[1]))
        if [f[0] for f in a[2]] != [f[0] for f in b[2]]:
            fail("%s: fields %s, lttng-ust %s" % (what, [f[0] for f in a[2]], [f[0] for f in b[2]]))
            continue
        for fa, fb in zip(a[2], b[2]):
            if fa[1] != fb[1]:
                fail("%s: field %s: type %s, lttng-ust %s" % (what, fa[0], fa[1], fb[1]))
            if fa[2] != fb[2]:
                fail("%s: field %s: value %r, lttng-ust %r" % (what, fa[0], fa[2], fb[2]))
        compared += 1
    names = sorted({e[0] for e in lttng})
    print("compared %d events of %d kinds: %s" % (compared, len(names), ", ".join(names)))
    bo_ours, bo_lttng = metadata_byte_orders(ours_path), metadata_byte_orders(lttng_path)
    nbe = 0
    for name in names:
        if bo_ours.get(name) != bo_lttng.get(name):
            fail("%s: big-endian fields %s, lttng-ust %s" % (name, bo_ours.get(name), bo_lttng.get(name)))
        nbe += len(bo_lttng.get(name) or [])
    print("byte order: %d big-endian fields, the same in both metadata" % nbe if not failures else "")
    if failures:
        print("%d failures" % len(failures))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
