#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Runs a program traced by the in-process session and checks its events.

usage: check_run.py MODE PROGRAM [ARGS...]

MODE names the expected events (name, loglevel, payload, big-endian fields):
  hello        tests/ust/doc/hello (LTTng-UST's hello world, tracef, tracelog)
  dyn-preload  tests/ust/doc/dyn-app with the provider preloaded (LD_PRELOAD=$UST_PROVIDER)
  dyn-dlopen   tests/ust/doc/dyn-app opening the provider itself after 3 ticks
  dyn-none     tests/ust/doc/dyn-app without the provider: runs, records nothing
  core         tests/ust/core_app (rseqtrace's event classes and network fields)
  gentp        a program whose provider came from rseqtrace-gen-tp
"""
import os
import re
import subprocess
import sys
import tempfile

import bt2

W, N, I, D13, E, DL, NO, ER, DB = 4, 5, 6, 13, 0, 13, 5, 3, 14


def expected(mode, prog):
    hello = "hello_world:my_first_tracepoint"
    if mode == "hello":
        return [
            (hello, DL, {"my_string_field": "hi there!", "my_integer_field": 23}),
            (hello, DL, {"my_string_field": prog, "my_integer_field": 0}),
            (hello, DL, {"my_string_field": "arg1", "my_integer_field": 1}),
            ("lttng_ust_tracef:event", DB, {"_msg_length": 26, "msg": "my message: 23 (hi there!)"}),
            ("lttng_ust_tracelog:LTTNG_UST_TRACEPOINT_LOGLEVEL_WARNING", W,
             {"line": None, "file": None, "func": "main", "_msg_length": 28,
              "msg": "my message: 24 (still there)"}),
            ("lttng_ust_tracelog:LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_LINE", DL,
             {"line": None, "file": None, "func": "main", "_msg_length": 5, "msg": "x = 2"}),
            (hello, DL, {"my_string_field": "x^2", "my_integer_field": 4}),
        ], {}
    if mode.startswith("dyn"):
        before = [("dyn_prov:tick", I, {"n": i, "where": "before dlopen"}) for i in range(3)]
        after = [("dyn_prov:tick", I, {"n": 3 + i, "where": "after dlopen"}) for i in range(3)]
        return {"dyn-preload": before, "dyn-dlopen": after, "dyn-none": []}[mode], {}
    if mode == "core":
        return [
            ("core_ust:read", DB, {"fd": 3, "len": 4096}),
            ("core_ust:write", NO, {"fd": 4, "len": 1}),
            ("core_ust:net", I, {"first": 0x1234, "a": [0x1234, 7], "ah": [0x1234, 7], "_s_length": 2,
                                 "s": [0x1234, 7], "_sh_length": 2, "sh": [0x1234, 7]}),
            ("core_ust:nothing", ER, {}),
        ], {"core_ust:read": ["len"], "core_ust:write": ["len"],
            "core_ust:net": ["first", "a", "ah", "s", "sh"], "core_ust:nothing": []}
    if mode == "gentp":
        return [("sample_tp:message", NO, {"message": "from a template", "n": i}) for i in range(3)], {}
    sys.exit("unknown mode " + mode)


def value(f):
    if isinstance(f, bt2._IntegerFieldConst):
        return int(f)
    if isinstance(f, bt2._StringFieldConst):
        return str(f)
    if isinstance(f, bt2._ArrayFieldConst):
        return [value(x) for x in f]
    return repr(f)


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    mode, prog, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    want, be = expected(mode, prog)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "trace")
        env = dict(os.environ, RSEQTRACE_INPROC=out, RSEQTRACE_EVENTS="*", RSEQTRACE_DAEMON="0")
        if mode == "dyn-preload":
            env["LD_PRELOAD"] = os.environ["UST_PROVIDER"]
        r = subprocess.run([prog] + args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if r.returncode != 0:
            print("FAIL: %s exited %d: %s" % (prog, r.returncode, r.stderr.decode(errors="replace")))
            return 1
        got = []
        if os.path.isdir(out):
            for msg in bt2.TraceCollectionMessageIterator(out):
                if type(msg) is bt2._EventMessageConst:
                    ev = msg.event
                    p = ev.payload_field
                    fields = {} if p is None else {k: p[k] for k in p}
                    got.append((ev.name, ev.cls.log_level, fields))
        bad = []
        if len(got) != len(want):
            bad.append("%d events, expected %d: %s" % (len(got), len(want), [g[0] for g in got]))
        for (gn, gl, gf), (wn, wl, wf) in zip(got, want):
            if gn != wn or gl != wl:
                bad.append("event %s loglevel %s, expected %s loglevel %s" % (gn, gl, wn, wl))
                continue
            if list(gf) != list(wf):
                bad.append("%s: fields %s, expected %s" % (gn, list(gf), list(wf)))
                continue
            for k, v in wf.items():
                g = value(gf[k])
                if v is not None and g != v:
                    bad.append("%s: %s = %r, expected %r" % (gn, k, g, v))
        if be:
            md = subprocess.run(["babeltrace2", "--output-format=ctf-metadata",
                                 os.path.dirname(next(os.path.join(d, f) for d, _, fs in os.walk(out)
                                                      for f in fs if f == "metadata"))],
                                stdout=subprocess.PIPE, check=True).stdout.decode()
            for m in re.finditer(r'event \{\s*name = "([^"]+)";(.*?)\n\};', md, re.S):
                fields = [re.search(r"_([A-Za-z0-9_]+)(\[[^\]]*\])?;\s*$", l).group(1)
                          for l in m.group(2).splitlines() if "byte_order = be" in l]
                if m.group(1) in be and fields != be[m.group(1)]:
                    bad.append("%s: big-endian fields %s, expected %s" % (m.group(1), fields, be[m.group(1)]))
        for b in bad:
            print("FAIL: " + b)
        if bad:
            return 1
        print("PASS: %s: %d events as expected" % (mode, len(got)))
        return 0


if __name__ == "__main__":
    sys.exit(main())
