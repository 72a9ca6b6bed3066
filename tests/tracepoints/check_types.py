# SPDX-License-Identifier: MIT
"""Round trip of every field type: tp_types emits edge values, babeltrace2
must decode exactly those (values, display bases, labels, loglevels,
contexts), and `babeltrace2 DIR` must print nothing on stderr."""
import math
import sys

from tptest import (Trace, babeltrace_cli, check, display_base, fail, metadata_text,
                    parse_kv, run, workdir)

prog = sys.argv[1]
out = workdir("tp-types")
r = run([prog], env={"RSEQTRACE_INPROC": out, "RSEQTRACE_EVENTS": "types:*",
                     "RSEQTRACE_CONTEXT": "vpid,vtid,procname"})
ids = parse_kv(r.stdout)
check(r.stderr == "", "tp_types wrote on stderr: %s" % r.stderr)

babeltrace_cli(out)
t = Trace(out)
check(t.total_discarded() == 0, "unexpected discarded events: %r" % t.discarded)
t.check_timestamps()


def events(name):
    return [(p, c) for _, _, n, p, c in t.events if n == name]


def expect(name, want):
    got = [p for p, _ in events(name)]
    check(len(got) == len(want), "%s: %d events, expected %d" % (name, len(got), len(want)))
    for i, (g, w) in enumerate(zip(got, want)):
        for k, v in w.items():
            check(k in g, "%s #%d: no field %s (fields %s)" % (name, i, k, sorted(g)))
            gv = g[k]
            if isinstance(v, float) and math.isnan(v):
                ok = isinstance(gv, float) and math.isnan(gv)
            elif isinstance(v, float):
                ok = gv == v and math.copysign(1, gv) == math.copysign(1, v)
            else:
                ok = gv == v
            check(ok, "%s #%d: %s = %r, expected %r" % (name, i, k, gv, v))
        check(set(g) == set(w), "%s #%d: fields %s, expected %s" % (name, i, sorted(g), sorted(w)))


I64, U64 = 2 ** 63, 2 ** 64
expect("types:ints", [
    dict(i8=-128, u8=255, i16=-32768, u16=65535, i32=-2 ** 31, u32=2 ** 32 - 1, i64=-I64,
         u64=U64 - 1, x8=255, x64=U64 - 1, xi32=-2 ** 31, flag=1),
    dict(i8=127, u8=0, i16=32767, u16=0, i32=2 ** 31 - 1, u32=0, i64=I64 - 1, u64=0, x8=0,
         x64=0, xi32=2 ** 31 - 1, flag=1),
    dict(i8=-1, u8=0xab, i16=-2, u16=0xbeef, i32=-3, u32=0xdeadbeef, i64=-4,
         u64=0x0123456789abcdef, x8=0xab, x64=0x0123456789abcdef, xi32=-3, flag=1),
])
FLT_MAX = 3.4028234663852886e+38
expect("types:reals", [
    dict(f=float("nan"), d=float("nan")),
    dict(f=float("inf"), d=float("-inf")),
    dict(f=-0.0, d=5e-324),
    dict(f=FLT_MAX, d=sys.float_info.max),
    dict(f=1.5, d=-2.25),
])
piece = "h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c \U0001f389 "
n = 3000 // len(piece.encode())
expect("types:strings", [
    dict(first="", second=piece * n),
    dict(first="(null)", second="x"),
    dict(first="h\u00e9llo", second=""),
])
check(len((piece * n).encode()) > 2900, "the long string is long")
expect("types:arrays", [dict(a4=[-32768, -1, 0, 32767], h5=[0, 1, 0x7f, 0x80, 0xff], t6="abcdef",
                             none=[0])])
v = [i * i * (-1 if i % 2 else 1) * 1000003 for i in range(1000)]
v[999] = -I64
expect("types:seqs", [
    dict(_v_length=0, v=[], _txt_length=0, txt="", _h_length=0, h=[]),
    dict(_v_length=1000, v=v, _txt_length=5, txt="text!", _h_length=3, h=[0, 0xabcd, 0xffff]),
    dict(_v_length=0, v=[], _txt_length=0, txt="", _h_length=0, h=[]),
])
Q1, Q2 = 'say "hi" \\ ok', "\u00fcnic\u00f6de \u2713"
expect("types:enums", [
    dict(sign=(-5, ["NEG"]), big=(1, ["SMALL"]), quoted=(7, [Q1])),
    dict(sign=(0, ["ZERO"]), big=(U64 - 1, ["HUGE"]), quoted=(8, [Q2])),
    dict(sign=(1, ["ONE", "POS"]), big=(42, []), quoted=(9, [])),
    dict(sign=(127, ["POS"]), big=(I64, ["HUGE"]), quoted=(7, [Q1])),
])
expect("types:blobs", [dict(_data_length=256, data=list(range(256))),
                       dict(_data_length=0, data=[]),
                       dict(_data_length=2, data=[0, 255])])
expect("types:empty", [dict()])
expect("types:align", [dict(a=0xa1, b=0xb2b2b2b2b2b2b2b2, c0=0xa1, c=0xc3c3, d0=0xa1,
                            d=0xd4d4d4d4, e0=0xa1, e=0.125, s="x", after_string=0xc3c3)])
expect("types:ten", [dict(sum=45, last="ten")])
expect("types:huge", [dict(_data_length=16, data=[0] * 16)])
check(not events("other:skipped"), "a disabled event was recorded")

# display bases, as babeltrace2 reads them and as the metadata says
for ev, f, base in [("types:ints", "x8", 16), ("types:ints", "x64", 16), ("types:ints", "xi32", 16),
                    ("types:ints", "u64", 10), ("types:arrays", "h5", 16), ("types:blobs", "data", 16),
                    ("types:seqs", "h", 16), ("types:seqs", "v", 10)]:
    b = display_base(out, ev, f)
    check(b == base, "%s.%s: display base %s, expected %d" % (ev, f, b, base))
meta = metadata_text(out)
check("base = 16; } _x64;" in meta, "metadata does not show x64 in hex")
check("base = 10; } _u64;" in meta, "metadata does not show u64 in decimal")

# loglevels, in the metadata and in babeltrace2's event classes
levels = {"types:ints": 4, "types:reals": 12, "types:strings": 5, "types:arrays": 6,
          "types:seqs": 14, "types:enums": 0, "types:blobs": 1, "types:empty": 2,
          "types:align": 13, "types:ten": 7, "types:huge": 14}
for name, lvl in levels.items():
    check(int(t.log_levels[name]) == lvl, "%s: bt2 log level %s, expected %d"
          % (name, t.log_levels[name], lvl))
    block = meta[meta.index('name = "%s";' % name):]
    block = block[:block.index("};")]
    check("loglevel = %d;" % lvl in block, "%s: metadata has no loglevel = %d" % (name, lvl))

# contexts on every event
for _, _, name, _, ctx in t.events:
    check(ctx.get("vpid") == ids["pid"] and ctx.get("vtid") == ids["tid"]
          and ctx.get("procname") == "tp_types",
          "%s: contexts %r, expected vpid %d vtid %d procname tp_types"
          % (name, ctx, ids["pid"], ids["tid"]))
check(len(t.events) == 26, "%d events in all, expected 26" % len(t.events))
print("PASS: %d events round-tripped exactly" % len(t.events))
