# SPDX-License-Identifier: MIT
"""The ip context in in-process sessions (RSEQTRACE_CONTEXT): tp_ip_app's
call sites, in the program and in a shared library, resolved by
babeltrace2's debug-info filter to the calling function; every context
combination decodes; ip alone is recorded but (as for LTTng traces
without vpid) not resolved; a call site built for another ABI is never
linked, a probe built for ABI 4 (before probes read the quick filter) never
registered. See ipcheck.py for what each check compares."""
import sys

from tptest import babeltrace_cli, check, fail, run, workdir

import ipcheck

app, lib = sys.argv[1], sys.argv[2]
N = 7


def record(contexts_env, extra_env=None):
    out = workdir("tp-ip")
    env = {"RSEQTRACE_INPROC": out, "RSEQTRACE_CONTEXT": contexts_env}
    env.update(extra_env or {})
    r = run([app, str(N)], env=env)
    babeltrace_cli(out)
    return out, ipcheck.parse_output(r.stdout), r.stderr


def case(what, fn):
    try:
        fn()
    except ipcheck.IpCheckError as e:
        fail("%s: %s" % (what, e))
    print("ok: " + what)


def resolved():
    out, info, err = record("vpid,ip")
    check(info["old_linked"] == 0 and info["new_linked"] == 1,
          "a call site of ABI 0 was linked (or the real one was not): %r" % info)
    check("call site built with other rseqtrace headers (ABI 0, library ABI 5)" in err,
          "no warning about the ABI 0 call site on stderr: %r" % err)
    check(info["old_probe_registered"] == 0, "a probe of ABI 4 was registered: %r" % info)
    check("a provider built for ABI 4 is ignored (library ABI 5)" in err,
          "no warning about the ABI 4 probe on stderr: %r" % err)
    ipcheck.check_metadata(out, {"vpid", "ip"})
    ev = ipcheck.read_events(out)
    ipcheck.check_events(ev, info, {"vpid", "ip"}, app, lib, pid=info["pid"])
    ipcheck.check_debug_info(out, info, app, lib, pid=info["pid"])


def all_contexts_locked():
    # Given in another order: records and metadata use record.h's order.
    out, info, _ = record("procname,ip,vtid,vpid", {"RSEQTRACE_LOCKED": "1"})
    ctx = {"ip", "vpid", "vtid", "procname"}
    ipcheck.check_metadata(out, ctx)
    ipcheck.check_events(ipcheck.read_events(out), info, ctx, app, lib, pid=info["pid"])
    ipcheck.check_debug_info(out, info, app, lib, pid=info["pid"])


def ip_alone():
    out, info, err = record("ip,bogus")
    check('unknown context "bogus"' in err, "no warning for an unknown context: %r" % err)
    ipcheck.check_metadata(out, {"ip"})
    ipcheck.check_events(ipcheck.read_events(out), info, {"ip"}, app, lib)
    ipcheck.check_no_debug_info(out)


def without_ip():
    out, info, _ = record("vpid,vtid,procname")
    ctx = {"vpid", "vtid", "procname"}
    ipcheck.check_metadata(out, ctx)
    ipcheck.check_events(ipcheck.read_events(out), info, ctx, app, lib, pid=info["pid"])
    ipcheck.check_no_debug_info(out)


case("vpid,ip: babeltrace2 --debug-info names each call site's function", resolved)
case("all four contexts, locked buffers", all_contexts_locked)
case("ip alone: recorded, not resolvable without vpid", ip_alone)
case("no ip: unchanged", without_ip)
print("PASS")
