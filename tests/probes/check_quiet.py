#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Every wrapper preloaded with no session and no daemon to find changes
nothing: the program's output is byte for byte the untraced one; nothing
is printed on stderr; no file appears in its home, runtime or working
directory. With RSEQTRACE_DAEMON=0 that includes the program's count of
threads and open descriptors at start; without it, librseqtrace keeps one
listener thread (and its inotify descriptor, once that thread has run)
waiting for a daemon to appear, like LTTng-UST's listener threads, and
that is the only difference allowed. (Times are printed for information,
never asserted.)

    check_quiet.py ALLOC_PROG MUTEX_PROG CYG_PROG"""
import os
import re
import shutil
import statistics
import sys
import time

from probetest import check, lib, quiet_env, run, workdir


def listing(d):
    out = []
    for root, dirs, files in os.walk(d):
        out += [os.path.join(root, f) for f in dirs + files]
    return sorted(out)


START = re.compile(rb"^start: threads=(\d+) fds=(\d+)$", re.M)


def same_but_listener(name, pre, ref):
    """Identical, but for librseqtrace's listener: +1 thread, +0 or +1 fd."""
    mp, mr = START.search(pre), START.search(ref)
    if mr is None:
        check(pre == ref, "%s: output changed by the preload with no daemon" % name)
        return
    check(mp is not None, "%s: no start line under the preload" % name)
    check(START.sub(b"", pre) == START.sub(b"", ref),
          "%s: output changed by the preload with no daemon:\n%s\nvs\n%s"
          % (name, pre.decode(errors="replace")[:2000], ref.decode(errors="replace")[:2000]))
    dt = int(mp.group(1)) - int(mr.group(1))
    df = int(mp.group(2)) - int(mr.group(2))
    check(dt == 1 and df in (0, 1), "%s: with no daemon the preload added %d threads and %d "
          "descriptors (expected librseqtrace's listener: 1 and 0 or 1)" % (name, dt, df))


def main():
    alloc, mutex, cyg = sys.argv[1:4]
    w = workdir("quiet")
    home = os.path.join(w, "home")
    cwd = os.path.join(w, "cwd")
    os.makedirs(home)
    os.makedirs(cwd)
    sort = shutil.which("sort")
    data = "".join("%d\n" % ((i * 7919) % 100003) for i in range(100000)).encode()
    cases = [
        ("alloc_prog + libc", [alloc, "ORACLE", "4", "300"], ["libc-wrapper"], None),
        ("alloc_prog + all", [alloc, "ORACLE", "4", "300"],
         ["libc-wrapper", "pthread-wrapper", "cyg-profile"], None),
        ("mutex_prog + pthread", [mutex, "ORACLE", "4", "2000"], ["pthread-wrapper"], None),
        ("cyg_prog + cyg-profile", [cyg, "ORACLE", "4", "300"], ["cyg-profile"], None),
        ("cyg_prog + cyg-profile-fast", [cyg, "ORACLE", "4", "300"], ["cyg-profile-fast"], None),
        ("sort + libc + pthread", [sort, "-n", "--parallel=2"], ["libc-wrapper", "pthread-wrapper"],
         data),
    ]
    for name, argv, libs, stdin in cases:
        base = quiet_env(home)
        pre = dict(base)
        pre["LD_PRELOAD"] = ":".join(lib(l) for l in libs)
        nodaemon = dict(pre)
        nodaemon["RSEQTRACE_DAEMON"] = "0"
        before = listing(home) + listing(cwd)
        times = {"untraced": [], "preloaded": [], "nodaemon": []}
        outs = {}
        for rnd in range(3):
            for kind, env in (("untraced", base), ("preloaded", pre), ("nodaemon", nodaemon)):
                a = [x if x != "ORACLE" else os.path.join(w, "oracle-%s-%d" % (kind, rnd))
                     for x in argv]
                t0 = time.monotonic()
                r = run(a, env, stdin=stdin)
                times[kind].append(time.monotonic() - t0)
                check(r.stderr == b"", "%s (%s) printed on stderr:\n%s"
                      % (name, kind, r.stderr.decode(errors="replace")))
                outs.setdefault(kind, []).append(r.stdout)
        for kind in ("untraced", "nodaemon"):
            check(all(o == outs[kind][0] for o in outs[kind]),
                  "%s (%s): output differs between runs:\n%s" % (name, kind, outs[kind]))
        check(outs["nodaemon"][0] == outs["untraced"][0],
              "%s: output changed by the preload (RSEQTRACE_DAEMON=0):\n%s\nvs\n%s"
              % (name, outs["nodaemon"][0].decode(errors="replace")[:2000],
                 outs["untraced"][0].decode(errors="replace")[:2000]))
        for o in outs["preloaded"]:
            same_but_listener(name, o, outs["untraced"][0])
        after = listing(home) + listing(cwd)
        check(after == before, "%s: files appeared: %r" % (name, sorted(set(after) - set(before))))
        print("%-30s same output; median ms: untraced %.1f, preloaded %.1f, "
              "preloaded with RSEQTRACE_DAEMON=0 %.1f (not asserted)"
              % (name, 1000 * statistics.median(times["untraced"]),
                 1000 * statistics.median(times["preloaded"]),
                 1000 * statistics.median(times["nodaemon"])))
    print("PASS: no session, no change")


if __name__ == "__main__":
    main()
