#!/usr/bin/python3
"""Snapshots sent to an unmodified lttng-relayd (issues 13/14), started on
free loopback ports: `snapshot record net://...` files a complete trace on
the relayd under HOSTNAME/SESSION-DATE/NAME-DATE-N/, as lttng's do, read
by babeltrace2 with exact accounting (the same events as a local record of
the same still buffers); a snapshot output added as a URL, and create
--snapshot -U; with the relayd down, a clear error and the session goes on
tracing (later records work)."""
import glob
import os
import re
import socket

from relayd_util import Relayd, free_ports
from rtd import TAPP, App, Daemon, bt_clean, check, read_trace, run_tests, tmpdir, wait_until
from test_snapshot import GEOM, count, record, seq_runs

HOST = socket.gethostname()


def relayd_trace(relayd, session, name, n, host=HOST):
    """The relayd's copy of snapshot n: its trace directory, once readable."""
    pat = f"{relayd.out}/{host}/{session}-*/{name}-*-{n}/ust/uid/*/64-bit"
    wait_until(lambda: len(glob.glob(pat + "/metadata")) == 1, f"the relayd's {pat}", timeout=20)
    path = glob.glob(pat)[0]
    return path


def app_run(d, n, role):
    app = App(d, "-c", "0", TAPP, "--events", str(n), "--role", str(role), exe="/usr/bin/taskset")
    check(app.wait() == 0, f"tapp failed: {app.err}")


def read_complete(path, events_expected):
    """The relayd closes its files after our connection: read until all in."""
    got = []

    def full():
        got[:] = [read_trace(path)]
        return len(got[0][0]) == events_expected
    wait_until(full, f"{events_expected} events in {path}", timeout=20)
    return got[0]


def test_record_to_relayd():
    relayd = Relayd()
    d = Daemon()
    try:
        out = tmpdir() + "/out"
        d.ok("create", "fr", "--snapshot", "-o", out, *GEOM)
        d.ok("enable-event", "-a")
        d.ok("start")
        n = 60000
        app_run(d, n, 3)
        text = d.ok("snapshot", "record", relayd.url()).stdout
        check("successfully" in text, text)
        check(f"/{HOST}/fr-" in text, f"the relayd's path not said: {text}")
        events = int(re.search(r"(\d+) events in", text).group(1))
        path = relayd_trace(relayd, "fr", "snapshot", 0)
        check(re.search(rf"/{re.escape(HOST)}/fr-\d{{8}}-\d{{6}}/snapshot-\d{{8}}-\d{{6}}-0/", path),
              path)
        bt_clean(path)
        evs, discarded = read_complete(path, events)
        runs = seq_runs(evs)
        check(list(runs) and all(k[0] == 3 for k in runs), f"roles {list(runs)}")
        got = next(iter(runs.values()))
        check(got[-1] == n - 1, f"the relayd's snapshot ends at {got[-1]}, not {n - 1}")
        check(got[0] > 0, "nothing overwritten")
        check(sum(discarded.values()) == 0, f"discarded {discarded}")
        check(count(text, "overwritten packets \\(the oldest, lost\\)") > 0, text)
        # the same still buffers recorded locally: the same events
        local, _ = record(d)
        check(seq_runs(read_trace(local)[0]) == runs, "the relayd's copy differs from a local one")
        # an output added as a URL: the next records go there, numbered on
        d.ok("snapshot", "del-output", "1")
        d.ok("snapshot", "add-output", "-n", "net1", relayd.url())
        check(relayd.url() in d.ok("snapshot", "list-output").stdout, "list-output")
        app_run(d, 1000, 4)
        text = d.ok("snapshot", "record").stdout
        path = relayd_trace(relayd, "fr", "net1", 2)
        runs = seq_runs(read_complete(path, int(re.search(r"(\d+) events in", text).group(1)))[0])
        check(any(k[0] == 4 and v[-1] == 999 for k, v in runs.items()), f"{list(runs)}")
        # lttng's -C/-D, the two ports given apart
        cd = ("-C", f"tcp://127.0.0.1:{relayd.ctrl}", "-D", f"tcp://127.0.0.1:{relayd.data}")
        text = d.ok("snapshot", "record", "-n", "cd", *cd).stdout
        path = relayd_trace(relayd, "fr", "cd", 3)
        runs = seq_runs(read_complete(path, int(re.search(r"(\d+) events in", text).group(1)))[0])
        check(any(k[0] == 4 and v[-1] == 999 for k, v in runs.items()), f"{list(runs)}")
        d.ok("snapshot", "del-output", "2")
        d.ok("snapshot", "add-output", "-n", "net2", *cd)
        check(relayd.url() in d.ok("snapshot", "list-output").stdout, "-C/-D list-output")
        d.ok("destroy")
    finally:
        d.cleanup()
        relayd.stop()


def two_channels_to_relayd(session_url):
    """A session of two channels (chana: rtd:seq, chanb: rtd:first) recorded
    to a relayd: one relayd session holds both channels' streams (added
    before STREAMS_SENT), one metadata; babeltrace2 reads both from the
    relayd's copy: chana the suffix of 0..n-1 (emitted = recorded +
    overwritten, nothing discarded), chanb the app's one rtd:first, the
    same events as a local record of the same still buffers. session_url:
    the relayd is the session's output (create --snapshot -U), not the
    record's."""
    relayd = Relayd()
    d = Daemon()
    try:
        dest = ("-U", relayd.url()) if session_url else ("-o", tmpdir() + "/out")
        d.ok("create", "f2", "--snapshot", *dest)
        d.ok("enable-channel", "-u", "chana", "--subbuf-size", "4k", "--num-subbuf", "4")
        d.ok("enable-channel", "-u", "chanb", "--subbuf-size", "8k", "--num-subbuf", "4")
        d.ok("enable-event", "-u", "-c", "chana", "rtd:seq")
        d.ok("enable-event", "-u", "-c", "chanb", "rtd:first")
        d.ok("start")
        n = 40000
        app_run(d, n, 7)
        text = d.ok("snapshot", "record", *(() if session_url else (relayd.url(),))).stdout
        check("successfully" in text, text)
        events = int(re.search(r"(\d+) events in", text).group(1))
        path = relayd_trace(relayd, "f2", "snapshot-1" if session_url else "snapshot", 0)
        files = os.listdir(path)
        check(any(f.startswith("chana_") for f in files) and
              any(f.startswith("chanb_") for f in files), f"stream files {files}")
        bt_clean(path)
        evs, discarded = read_complete(path, events)
        check(sum(discarded.values()) == 0, f"discarded {discarded}")
        by = {(e["channel"], e["name"]) for e in evs}
        check(by == {("chana", "rtd:seq"), ("chanb", "rtd:first")}, f"events {by}")
        check(sum(e["channel"] == "chanb" for e in evs) == 1, "chanb: one rtd:first expected")
        runs = seq_runs(evs)
        check(len(runs) == 1, f"one thread expected, got {list(runs)}")
        got = next(iter(runs.values()))
        check(got[-1] == n - 1 and got[0] > 0 and got[0] + len(got) == n,
              f"{got[0]}..{got[-1]}: not a suffix of 0..{n - 1}")
        check(count(text, "overwritten packets \\(the oldest, lost\\)") > 0, text)
        local, _ = record(d, tmpdir() + "/local")
        levs = read_trace(local)[0]
        check(seq_runs(levs) == runs and len(levs) == len(evs),
              "the relayd's copy differs from a local one")
        d.ok("destroy")
    finally:
        d.cleanup()
        relayd.stop()


def test_two_channels_to_relayd():
    two_channels_to_relayd(session_url=False)


def test_two_channels_session_url():
    two_channels_to_relayd(session_url=True)


def test_create_snapshot_url():
    """create --snapshot -U --hostname: the default snapshot output is the
    relayd, which files it under that host name."""
    relayd = Relayd()
    d = Daemon()
    try:
        d.ok("create", "fu", "--snapshot", "-U", relayd.url(), "--hostname", "snaphost", *GEOM)
        d.ok("enable-event", "-a")
        d.ok("start")
        app_run(d, 5000, 6)
        text = d.ok("snapshot", "record").stdout
        path = relayd_trace(relayd, "fu", "snapshot-1", 0, host="snaphost")
        runs = seq_runs(read_complete(path, int(re.search(r"(\d+) events in", text).group(1)))[0])
        check(any(k[0] == 6 and v[-1] == 4999 for k, v in runs.items()), f"{list(runs)}")
        d.ok("destroy")
    finally:
        d.cleanup()
        relayd.stop()


def test_relayd_down():
    """No relayd at the URL: a clear error, in bounded time; the session
    goes on tracing, and a later record (local, then to a relayd that
    came up) has the newer events."""
    d = Daemon()
    try:
        out = tmpdir() + "/out"
        d.ok("create", "fd", "--snapshot", "-o", out, *GEOM)
        d.ok("enable-event", "-a")
        d.ok("start")
        app_run(d, 2000, 1)
        c, data, live = free_ports(3)
        p = d.cli("snapshot", "record", f"net://127.0.0.1:{c}:{data}")
        check(p.returncode != 0, f"a record to no relayd succeeded: {p.stdout}")
        check("relayd 127.0.0.1:" in p.stderr and "refused" in p.stderr.lower(),
              f"unclear error: {p.stderr}")
        check("fd" in d.ok("list").stdout, "the session is gone")
        app_run(d, 2000, 2)
        path, _ = record(d)
        runs = seq_runs(read_trace(path)[0])
        check(any(k[0] == 2 and v[-1] == 1999 for k, v in runs.items()), f"{list(runs)}")
        relayd = Relayd(ports=(c, data, live))
        try:
            text = d.ok("snapshot", "record", relayd.url()).stdout
            path = relayd_trace(relayd, "fd", "snapshot", 2)
            evs = read_complete(path, int(re.search(r"(\d+) events in", text).group(1)))[0]
            check(seq_runs(evs) == runs, "the relayd's copy differs from the local one")
        finally:
            relayd.stop()
        d.ok("destroy")
    finally:
        d.cleanup()


if __name__ == "__main__":
    run_tests([test_record_to_relayd, test_two_channels_to_relayd, test_two_channels_session_url, test_create_snapshot_url, test_relayd_down])
