# SPDX-License-Identifier: MIT
"""Checks of a trace of tp_ip_app (ip_app.c, ip_lib.c) recorded with the
`ip` context, shared by check_ip.py (in-process sessions) and
tests/daemon/test_ip.py (the daemon and CLI). Every check raises
IpCheckError with what differs.

What is checked, against what the program printed (where its functions
are) and its sources (where they begin and end):
  - the metadata: the event context fields, in the record order
    (ip, vpid, vtid, procname), ip an unsigned 64-bit hex integer;
  - every event of the program once, its ip just after the call in the
    function that traced (the same value for every event of one call
    site), vpid/vtid/procname right;
  - the state dump of librseqtrace-probes.so: the program and its library,
    position-independent, covering those functions;
  - babeltrace2's debug-info filter (bt2 graph, and `babeltrace2
    --debug-info`): bin = the binary + the ip's offset in it, func = the
    calling function + the ip's offset in it, src = its source file at a
    line of that function.
"""
import os
import re
import shutil
import subprocess

import bt2

HERE = os.path.dirname(os.path.abspath(__file__))

# call site -> (function, source file, the printed address key)
SITES = {
    "alpha": ("ip_caller_alpha", "ip_app.c", "alpha"),
    "beta": ("ip_caller_beta", "ip_app.c", "beta"),
    "lib": ("ip_lib_caller", "ip_lib.c", "lib"),
}
# event -> call site; iptest:hit has two, told apart by `which`
CONTEXT_ORDER = ["ip", "vpid", "vtid", "procname"]


class IpCheckError(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise IpCheckError(msg)


def parse_output(text):
    """alpha=0x.. beta=0x.. lib=0x.. n=N pid=P old_linked=0|1 new_linked=0|1
    old_probe_registered=0|1"""
    info = {}
    for tok in text.split():
        if "=" in tok:
            k, v = tok.split("=", 1)
            try:
                info[k] = int(v, 0)
            except ValueError:
                info[k] = v
    for k in ("alpha", "beta", "lib", "n", "pid", "old_linked", "new_linked",
              "old_probe_registered"):
        check(k in info, "the program did not print %s= (output %r)" % (k, text))
    return info


def function_lines(src, func):
    """[first, last] line of func's definition in src (its name, to the
    closing brace in column 0)."""
    with open(os.path.join(HERE, src)) as f:
        lines = f.read().splitlines()
    for i, l in enumerate(lines, 1):
        if re.search(r"\b%s\(" % func, l) and not l.rstrip().endswith(";"):
            for j in range(i, len(lines) + 1):
                if lines[j - 1] == "}":
                    return i, j
    raise IpCheckError("no definition of %s in %s" % (func, src))


def site_of(name, payload):
    if name == "iptest:hit":
        return "alpha" if payload["which"] == 1 else "beta"
    if name in ("iptest:empty", "iptest:text"):
        return "beta"
    if name == "iptest:lib":
        return "lib"
    return None


def trace_dirs(root):
    out = []
    for d, _, files in os.walk(root):
        if "metadata" in files:
            out.append(d)
    return sorted(out)


def check_metadata(root, contexts):
    """The stream's event context: exactly `contexts`, in record order."""
    dirs = trace_dirs(root)
    check(dirs, "no trace under %s" % root)
    want = [c for c in CONTEXT_ORDER if c in contexts]
    for d in dirs:
        with open(os.path.join(d, "metadata")) as f:
            meta = f.read()
        m = re.search(r"event\.context := struct \{(.*?)\};", meta, re.S)
        if not want:
            check(m is None, "%s: an event context although none was chosen" % d)
            continue
        check(m, "%s/metadata: no event.context" % d)
        names = re.findall(r"\b_(\w+)(?:\[\d+\])?;", m.group(1))
        check(names == want, "%s: event context %r, expected %r" % (d, names, want))
        if "ip" in want:
            decl = re.search(r"(integer \{[^}]*\}) _ip;", m.group(1))
            check(decl and all(s in decl.group(1) for s in
                               ("size = 64;", "signed = false;", "base = 16;")),
                  "%s: _ip is not an unsigned 64-bit hex integer: %s" % (d, m.group(1)))


def read_events(root, debug_info=False):
    """(name, payload, context) of every event, through
    flt.lttng-utils.debug-info when asked."""
    src = bt2.AutoSourceComponentSpec(root)
    flt = [bt2.ComponentSpec.from_named_plugin_and_component_class("lttng-utils", "debug-info")] \
        if debug_info else []
    out = []
    for m in bt2.TraceCollectionMessageIterator([src], flt):
        if type(m) is not bt2._EventMessageConst:
            continue
        e = m.event
        payload = {k: py(e.payload_field[k]) for k in e.payload_field}
        c = e.common_context_field
        ctx = {k: py(c[k]) for k in c} if c is not None else {}
        out.append((e.name, payload, ctx))
    return out


def py(f):
    if isinstance(f, (bt2._SignedIntegerFieldConst, bt2._UnsignedIntegerFieldConst)):
        return int(f)
    if isinstance(f, bt2._StringFieldConst):
        return str(f)
    if isinstance(f, bt2._ArrayFieldConst):
        return [py(x) for x in f]
    if isinstance(f, bt2._StructureFieldConst):
        return {k: py(f[k]) for k in f}
    return f


def statedump(events, path):
    """(baddr, memsz, is_pic) of path in the state dump, or None."""
    real = os.path.realpath(path)
    for name, p, _ in events:
        if name == "lttng_ust_statedump:bin_info" and os.path.realpath(p["path"]) == real:
            return p["baddr"], p["memsz"], p["is_pic"]
    return None


def check_events(events, info, contexts, app, lib, pid=None):
    """Every program event once, its contexts right. Returns the ip of
    each call site."""
    n = info["n"]
    counts = {}
    ips = {}
    for name, p, ctx in events:
        site = site_of(name, p)
        if site is None:
            continue
        counts[name] = counts.get(name, 0) + 1
        check(set(ctx) == set(contexts),
              "%s: context fields %s, expected %s" % (name, sorted(ctx), sorted(contexts)))
        if "vpid" in ctx and pid is not None:
            check(ctx["vpid"] == pid, "%s: vpid %d, expected %d" % (name, ctx["vpid"], pid))
        if "vtid" in ctx and pid is not None:
            check(ctx["vtid"] == pid, "%s: vtid %d, expected %d (main thread)"
                  % (name, ctx["vtid"], pid))
        if "procname" in ctx:
            check(ctx["procname"] == os.path.basename(app)[:15],
                  "%s: procname %r" % (name, ctx["procname"]))
        if "ip" not in ctx:
            continue
        ip = ctx["ip"]
        func, _, key = SITES[site]
        off = ip - info[key]
        # Just after a call inside the function: never its first byte.
        check(0 < off < 0x200, "%s (%s): ip 0x%x is not inside %s at 0x%x"
              % (name, site, ip, func, info[key]))
        ips.setdefault((name, site), set()).add(ip)
    want = {"iptest:hit": 2 * n, "iptest:empty": n, "iptest:text": n, "iptest:lib": n}
    check(counts == want, "events %r, expected %r" % (counts, want))
    for k, v in ips.items():
        check(len(v) == 1, "%s: one call site but %d ips %s" % (k, len(v), [hex(x) for x in v]))
    if "ip" in contexts:
        sites = {k: next(iter(v)) for k, v in ips.items()}
        check(len(set(sites.values())) == len(sites),
              "two call sites share an ip: %r" % {k: hex(v) for k, v in sites.items()})
    for path, key in ((app, "alpha"), (lib, "lib")):
        sd = statedump(events, path)
        check(sd is not None, "no lttng_ust_statedump:bin_info for %s" % path)
        baddr, memsz, is_pic = sd
        check(is_pic == 1, "%s: is_pic %d" % (path, is_pic))
        check(baddr <= info[key] < baddr + memsz,
              "%s: [0x%x, +0x%x) does not hold 0x%x" % (path, baddr, memsz, info[key]))
    return ips


def check_debug_info(root, info, app, lib, pid=None):
    """babeltrace2's debug-info filter names the binary, the function and
    a source line of that function for every call site."""
    events = read_events(root, debug_info=True)
    bins = {"alpha": app, "beta": app, "lib": lib}
    seen = 0
    for name, p, ctx in events:
        site = site_of(name, p)
        if site is None:
            continue
        check("debug_info" in ctx, "%s: no debug_info field (context %s)" % (name, sorted(ctx)))
        di = ctx["debug_info"]
        ip = ctx["ip"]
        func, src, key = SITES[site]
        baddr, _, is_pic = statedump(events, bins[site])
        bin_want = "%s%s0x%x" % (os.path.basename(bins[site]), "+" if is_pic else "@",
                                 ip - baddr if is_pic else ip)
        check(di["bin"] == bin_want, "%s: bin %r, expected %r" % (name, di["bin"], bin_want))
        func_want = "%s+0x%x" % (func, ip - info[key])
        check(di["func"] == func_want, "%s: func %r, expected %r" % (name, di["func"], func_want))
        m = re.fullmatch(r"(.*):(\d+)", di["src"])
        check(m and m.group(1) == src, "%s: src %r, expected %s:LINE" % (name, di["src"], src))
        first, last = function_lines(src, func)
        check(first <= int(m.group(2)) <= last, "%s: src %r is outside %s (lines %d-%d)"
              % (name, di["src"], func, first, last))
        seen += 1
    check(seen == 5 * info["n"], "debug-info: %d program events, expected %d" % (seen, 5 * info["n"]))

    bt = shutil.which("babeltrace2")
    check(bt, "babeltrace2 is not installed (apt-get install babeltrace2)")
    r = subprocess.run([bt, "--debug-info", root], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0 and r.stderr.strip() == "",
          "babeltrace2 --debug-info %s: exit %d\n%s" % (root, r.returncode, r.stderr[-3000:]))
    for func, count in (("ip_caller_alpha", info["n"]), ("ip_caller_beta", 3 * info["n"]),
                        ("ip_lib_caller", info["n"])):
        got = len(re.findall(r'func = "%s\+0x[0-9a-f]+"' % func, r.stdout))
        check(got == count, "babeltrace2 --debug-info: %d events in %s, expected %d"
              % (got, func, count))


def check_no_debug_info(root):
    """Without ip and vpid in the context the filter adds nothing (as for
    LTTng traces without them) and passes every event through."""
    plain = read_events(root)
    filtered = read_events(root, debug_info=True)
    check(len(plain) == len(filtered), "debug-info filter: %d events in, %d out"
          % (len(plain), len(filtered)))
    for _, _, ctx in filtered:
        check("debug_info" not in ctx, "debug_info added without ip and vpid")
