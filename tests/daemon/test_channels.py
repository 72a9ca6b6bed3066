#!/usr/bin/python3
"""Channels (enable-channel, disable-channel, enable-event -c, add-context
-c): two channels with different events, contexts and geometry in one trace
directory (one metadata, one stream class each, stream files NAME_<cpu>);
an event enabled in both is recorded in both; babeltrace2 reads it and the
counts are exact, per-UID and per-PID. Refusals: a channel made after the
start, --tracefile-count without a size, a second buffer
type, attributes of an existing channel. disable-channel stops a channel's
events and enable-channel brings them back."""
import os
from collections import Counter

from rtd import App, Daemon, bt_clean, check, need, registered, run_tests, tmpdir, wait_until, TAPP

N = 3000


def decode(path):
    """(channel, event name) -> count, and the context fields seen per
    channel, from the stream files' names (CHANNEL_<cpu>)."""
    import bt2
    counts, ctx_fields, discarded = Counter(), {}, 0
    for m in bt2.TraceCollectionMessageIterator(str(path)):
        if type(m) is bt2._EventMessageConst:
            ev = m.event
            chan = os.path.basename(ev.stream.name or "").rsplit("_", 1)[0]
            counts[(chan, ev.name)] += 1
            ctx = ev.common_context_field
            ctx_fields.setdefault(chan, set()).update(ctx.keys() if ctx is not None else ())
        elif type(m) is bt2._DiscardedEventsMessageConst:
            discarded += m.count or 0
    return counts, ctx_fields, discarded


def trace_dirs(out):
    return sorted(root for root, _, files in os.walk(out) if "metadata" in files)


def kv_lines(d, session, key):
    out = d.ok("list", "--kv", session).stdout
    return [dict(f.split("=", 1) for f in l.split() if "=" in f)
            for l in out.splitlines() if l.startswith(key + "=")]


def two_channels(buffers):
    d = Daemon()
    try:
        out = os.path.join(tmpdir(), "out")
        d.ok("create", "ch", "-o", out, f"--buffers-{buffers}")
        r = d.ok("enable-channel", "-u", "chana", "--subbuf-size", "64k", "--num-subbuf", "8")
        check("Channel chana enabled in session ch" in r.stdout, r.stdout)
        d.ok("enable-channel", "-u", "chanb", "--subbuf-size", "128k", "--num-subbuf", "8",
             "--switch-timer", "2ms", "--blocking-timeout", "inf")
        d.ok("enable-event", "-u", "-c", "chana", "rtd:seq")
        d.ok("enable-event", "-u", "-c", "chanb", "rtd:*")
        r = d.ok("add-context", "-u", "-c", "chanb", "-t", "ip")
        check("Context ip added to channel chanb of session ch" in r.stdout, r.stdout)
        chans = {c["channel"]: c for c in kv_lines(d, "ch", "channel")}
        check(set(chans) == {"chana", "chanb"}, f"channels {chans}")
        check(chans["chana"]["subbuf_size"] == "65536" and chans["chanb"]["subbuf_size"] == "131072"
              and chans["chanb"]["switch_timer"] == "2000"
              and chans["chanb"]["blocking_timeout"] == "inf"
              and chans["chanb"]["contexts"] == "ip,vpid,vtid,procname"
              and chans["chana"]["contexts"] == "vpid,vtid,procname", f"attributes {chans}")
        d.ok("start")
        a = App(d, "--role", "1", "--events", str(N), "--threads", "2")
        check(a.wait() == 0, f"app: {a.err}")
        d.ok("stop")
        traces = kv_lines(d, "ch", "trace")
        check(sorted(t["channel"] for t in traces) == ["chana", "chanb"], f"traces {traces}")
        check(len({t["trace"] for t in traces}) == 1, f"channels in different directories: {traces}")
        per_trace = {t["channel"]: int(t["events"]) for t in traces}
        check(per_trace == {"chana": 2 * N, "chanb": 2 * N + 1}, f"list counts {per_trace}")
        dirs = trace_dirs(out)
        check(len(dirs) == 1, f"one trace directory expected: {dirs}")
        files = sorted(os.listdir(dirs[0]))
        check(any(f.startswith("chana_") for f in files) and
              any(f.startswith("chanb_") for f in files) and
              not any(f.startswith("channel0_") for f in files), f"stream files {files}")
        counts, ctx, discarded = decode(out)
        check(discarded == 0, f"{discarded} discarded")
        check(counts == Counter({("chana", "rtd:seq"): 2 * N, ("chanb", "rtd:seq"): 2 * N,
                                 ("chanb", "rtd:first"): 1}), f"counts {counts}")
        check("ip" in ctx["chanb"] and "ip" not in ctx["chana"], f"contexts {ctx}")
        bt_clean(out)
        d.ok("destroy")
    except Exception:
        print(d.log_text()[-4000:])
        raise
    finally:
        d.cleanup()


def test_two_channels_uid():
    two_channels("uid")


def test_two_channels_pid():
    two_channels("pid")


def test_refusals():
    d = Daemon()
    try:
        out = os.path.join(tmpdir(), "out")
        d.ok("create", "rf", "-o", out)
        for args, what in ((["--tracefile-count", "4"], "--tracefile-count needs --tracefile-size"),
                           (["--subbuf-size", "3000"], "power of two")):
            r = d.cli("enable-channel", "-u", "x", *args)
            check(r.returncode == 1 and what in r.stderr + r.stdout,
                  f"{args}: exit {r.returncode} {r.stdout} {r.stderr}")
        d.ok("enable-channel", "-u", "a,b")
        r = d.cli("enable-channel", "-u", "a", "--subbuf-size", "64k")
        check(r.returncode == 1 and "already exists" in r.stderr + r.stdout, r.stderr)
        r = d.cli("enable-channel", "-u", "a")
        check(r.returncode == 1 and "already enabled" in r.stderr + r.stdout, r.stderr)
        r = d.cli("enable-channel", "-u", "c", "--buffers-pid")
        check(r.returncode == 1 and "one buffer type per session" in r.stderr + r.stdout, r.stderr)
        r = d.cli("enable-channel", "-k", "c")
        check(r.returncode == 2 and "user space only" in r.stderr, r.stderr)
        r = d.cli("disable-channel", "-u", "nope")
        check(r.returncode == 1 and "no channel named 'nope'" in r.stderr + r.stdout, r.stderr)
        r = d.cli("enable-channel", "-u", "bad/name")
        check(r.returncode == 2, r.stderr)
        r = d.cli("enable-event", "rtd:*")
        check(r.returncode == 1 and "Non-default channel exists" in r.stderr + r.stdout, r.stderr)
        d.ok("enable-event", "-c", "a", "rtd:*")
        d.ok("start")
        r = d.cli("enable-channel", "-u", "late")
        check(r.returncode == 1 and "Tracing already started" in r.stderr + r.stdout, r.stderr)
        r = d.cli("enable-event", "-c", "late2", "rtd:*")
        check(r.returncode == 1 and "cannot be added" in r.stderr + r.stdout, r.stderr)
        r = d.cli("add-context", "-c", "a", "-t", "ip")
        check(r.returncode == 1 and "before its first start" in r.stderr + r.stdout, r.stderr)
        check({c["channel"] for c in kv_lines(d, "rf", "channel")} == {"a", "b"},
              "a refused channel was made")
    finally:
        d.cleanup()


def test_disable_enable_channel():
    """A disabled channel records nothing; enabled again, it records the
    events of processes that run then, and its rules stayed."""
    d = Daemon()
    try:
        out = os.path.join(tmpdir(), "out")
        d.ok("create", "de", "-o", out)
        d.ok("enable-event", "rtd:seq")                  # channel0, made here
        d.ok("enable-event", "-c", "second", "rtd:seq")  # made too
        r = d.ok("disable-channel", "-u", "second")
        check("Channel second disabled in session de" in r.stdout, r.stdout)
        r = d.cli("disable-channel", "-u", "second")
        check(r.returncode == 1 and "already disabled" in r.stderr + r.stdout, r.stderr)
        d.ok("start")
        a = App(d, "--role", "1", "--events", str(N))
        check(a.wait() == 0, a.err)
        d.ok("enable-channel", "-u", "second")
        b = App(d, "--role", "2", "--events", str(N))
        check(b.wait() == 0, b.err)
        d.ok("stop")
        import bt2
        roles = Counter()
        for m in bt2.TraceCollectionMessageIterator(out):
            if type(m) is bt2._EventMessageConst:
                chan = os.path.basename(m.event.stream.name).rsplit("_", 1)[0]
                roles[(chan, int(m.event.payload_field["role"]))] += 1
        check(roles == Counter({("channel0", 1): N, ("channel0", 2): N, ("second", 2): N}),
              f"per channel and role: {roles}")
    finally:
        d.cleanup()


def test_loss_hint_of_the_channel():
    """The stop warning for events lost to full buffers names what the
    channel that lost them can change: its blocking timeout is set by
    enable-channel, not the session's default."""
    import signal
    d = Daemon()
    try:
        out = os.path.join(tmpdir(), "out")
        d.ok("create", "lh", "-o", out)
        d.ok("enable-channel", "-u", "tiny", "--subbuf-size", "4k", "--num-subbuf", "2",
             "--blocking-timeout", "1000")
        d.ok("enable-event", "-c", "tiny", "rtd:seq")
        d.ok("start")
        go = os.path.join(tmpdir(), "go")
        a = App(d, "--events", "3000", "--wait", go)
        wait_until(lambda: os.path.exists(go + ".ready"), "the app to reach main()")
        wait_until(lambda: f"process={a.pid} " in d.ok("list", "--kv", "lh").stdout,
                   "the app to get the channel's buffers")
        d.ok("enable-event", "-c", "tiny", "rtd:seq")  # answered once the app applied all
        d.proc.send_signal(signal.SIGSTOP)  # no consumer: the writer waits 1 ms, then drops
        try:
            open(go, "w").close()
            check(a.wait(120) == 0, a.err)
        finally:
            d.proc.send_signal(signal.SIGCONT)
        r = d.ok("stop").stdout
        check("events lost (buffer full): increase --subbuf-size/--num-subbuf or "
              "--blocking-timeout" in r, f"stop: {r}")
    finally:
        d.cleanup()


if __name__ == "__main__":
    need(TAPP)
    run_tests([test_two_channels_uid, test_two_channels_pid, test_refusals,
               test_disable_enable_channel, test_loss_hint_of_the_channel])
