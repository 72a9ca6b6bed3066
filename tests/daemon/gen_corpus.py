#!/usr/bin/python3
"""Writes the seed corpus of the control-protocol fuzzer (tests/daemon/corpus).

Each seed is a sequence of chunks (see fuzz_dispatch.c): op byte, u16 length,
record. Seeds cover every message type, valid and subtly invalid, and whole
conversations: a CLI creating and starting a session while an app registers,
describes events, gets buffers, acknowledges, and goes away.
"""
import os
import re
import struct
import sys

MAGIC = 0x50435452
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "protocol",
                       "messages.h")) as _f:
    VERSION = int(re.search(r"#define RT_PROTO_VERSION (\d+)u", _f.read()).group(1))
T = dict(CREATE=1, ENABLE=2, DISABLE=3, START=4, STOP=5, DESTROY=6, LIST=7, ADD_CONTEXT=8,
         ENABLE_CHANNEL=9, DISABLE_CHANNEL=10, TRACK=11, UNTRACK=12,
         SNAPSHOT=13, ROTATE=14,
         REPLY=16, FILTER=55,
         REGISTER=32, EVENTS=33, READY_REQ=34, SYNC_ACK=35, READY=48, CHANNEL=49,
         CHANNEL_DEL=50, ENABLE_APP=51, ACTIVE=52, SYNC=53, GROW=36, GROWN=54)


def msg(t, body=b"", seq=1, nfds=0, version=VERSION, magic=MAGIC, length=None):
    n = len(body) if length is None else length
    return struct.pack("<IHHIIQ", magic, version, t, n, nfds, seq) + body


def fixstr(s, n):
    b = s.encode()
    return b + b"\0" * (n - len(b))


def create(name="s", output="", buffers=0, subbuf=4096, num=4, clock=0, blocking=0,
           relayd="", hostname="", ctrl=0, data=0, live=0, flags=0):
    """CREATE (struct rt_msg_create: 4 bytes of padding before blocking_us)."""
    return msg(T["CREATE"], fixstr(name, 64) + fixstr(output, 4096) +
               struct.pack("<IIIII4xQ", buffers, subbuf, num, clock, flags, blocking) +
               fixstr(relayd, 256) + fixstr(hostname, 64) + struct.pack("<HHI", ctrl, data, live))


def rot(action, timer=0, size=0, session="", flags=0):
    """ROTATE: action 0 now, 1 enable (timer/size), 2 disable; flags 1: no-wait (now only)."""
    return msg(T["ROTATE"], fixstr(session, 64) + struct.pack("<QQII", timer, size, action, flags))


def snap(action, output="", name="", session="", max_size=0, ident=0):
    """SNAPSHOT: action 0 record, 1 add-output, 2 del-output, 3 list-output."""
    return msg(T["SNAPSHOT"], fixstr(session, 64) + fixstr(name, 64) + fixstr(output, 4096) +
               struct.pack("<QII", max_size, action, ident))


def rule(t, patterns, session="", lt=0, ll=0, flags=0, channel="", exclude=(), filt=None):
    var = b"".join(p.encode() + b"\0" for p in list(patterns) + list(exclude))
    fl = 0
    if filt is not None:
        fb = filt.encode("latin-1")
        var += fb + b"\0"
        fl = len(fb) + 1
    return msg(T[t], fixstr(session, 64) + struct.pack("<IiII", lt, ll, len(patterns), flags) +
               fixstr(channel, 64) + struct.pack("<II", len(exclude), fl) + var)


def chan(t, channel, session="", set_=0, subbuf=0, num=0, overwrite=0, timers=(0, 0, 0),
         buffers=0, blocking=0, tf_size=0, tf_count=0, reserved=0):
    """ENABLE_CHANNEL / DISABLE_CHANNEL (struct rt_msg_channel)."""
    return msg(T[t], fixstr(session, 64) + fixstr(channel, 64) +
               struct.pack("<IIIIIIIIQQII", set_, subbuf, num, overwrite, *timers, buffers,
                           blocking, tf_size, tf_count, reserved))


def track(t, attr, values=(), session="", flags=0):
    """TRACK/UNTRACK; attr 0 vpid, 1 vuid, 2 vgid; flags 1: --all."""
    return msg(T[t], fixstr(session, 64) + struct.pack("<IIII", attr, flags, len(values), 0) +
               b"".join(struct.pack("<I", v) for v in values))


def sess(t, name="", flags=0):
    return msg(T[t], fixstr(name, 64) + struct.pack("<II", flags, 0))


def addctx(contexts, name="", reserved=0, channel=""):
    """ADD_CONTEXT; contexts: RT_CTX_* bits (1 vpid, 2 vtid, 4 procname, 8 ip, ... 1 << 29 perf:thread:context-switches)."""
    return msg(T["ADD_CONTEXT"], fixstr(name, 64) + struct.pack("<II", contexts, reserved) +
               fixstr(channel, 64))


def register(vpid=4242, rseq=1, name="fuzzapp", allowed=1, bits=64):
    """APP_REGISTER; rseq is the flags word (1: rseq, 3: rseq + mm_cid)."""
    return msg(T["REGISTER"], struct.pack("<IIII", vpid, 1, rseq, bits) + fixstr(name, 16) +
               struct.pack("<II", allowed, 0))


def wstr(s):
    b = s.encode() + b"\0"
    return struct.pack("<H", len(b)) + b


def desc(name, loglevel=6, fields=(("a", 0),)):
    """An event description blob (eventdesc/desc_wire.h). Field types:
    0 = uint64 decimal, 1 = int32 hex, 2 = string, 3 = sequence of uint8."""
    prov, ev = name.split(":")
    body = struct.pack("<i", loglevel) + wstr(prov) + wstr(ev) + wstr("int x")
    body += struct.pack("<I", len(fields))
    for fname, ftype in fields:
        body += wstr(fname)
        if ftype == 0:
            body += struct.pack("<BBBBB", 1, 8, 0, 10, 0)
        elif ftype == 1:
            body += struct.pack("<BBBBB", 1, 4, 1, 16, 0)
        elif ftype == 2:
            body += struct.pack("<B", 3)
        else:
            # SEQUENCE: length type (INTEGER u32), element type (INTEGER u8 hex)
            body += struct.pack("<B", 5) + struct.pack("<BBBBB", 1, 4, 0, 10, 0) + \
                struct.pack("<BBBBB", 1, 1, 0, 16, 0)
    head = struct.pack("<IHHI", 0x31445452, 1, 0, 12 + len(body))
    return head + body


def events(first, descs):
    var = b""
    for d in descs:
        var += struct.pack("<II", len(d), 0) + d + b"\0" * (-len(d) % 8)
    return msg(T["EVENTS"], struct.pack("<II", first, len(descs)) + var)


def chunk(rec, conn=0, fd=False, drain=False, reset=False):
    op = conn | (4 if fd else 0) | (8 if drain else 0) | (16 if reset else 0)
    return struct.pack("<BH", op, len(rec)) + rec


def seeds():
    evs = [desc("prov:start", 6, (("n", 0), ("v", 1))), desc("prov:stop", 3, ()),
           desc("other:tick", 14, (("t", 0), ("s", 2), ("q", 3)))]
    cli_flow = [create(), rule("ENABLE", ["prov:*"]), rule("ENABLE", ["other:tick"], lt=1, ll=4),
                sess("START"), sess("LIST"), sess("LIST", flags=1), sess("LIST", flags=2),
                sess("LIST", flags=3), sess("STOP"), sess("DESTROY"), sess("LIST", flags=2)]
    yield "cli_flow", b"".join(chunk(m, drain=True) for m in cli_flow)
    # Contexts: added before the first start (ip, then one already there),
    # refused after it; an app gets a channel with the ip context.
    yield "context_flow", b"".join([
        chunk(create(), 0), chunk(addctx(8), 0), chunk(addctx(1 | 8, name="s"), 0),
        chunk(rule("ENABLE", ["*"]), 0), chunk(register(), 1), chunk(events(0, evs), 1),
        chunk(msg(T["READY_REQ"]), 1), chunk(sess("START"), 0, drain=True),
        chunk(addctx(2), 0), chunk(sess("LIST", flags=1), 0), chunk(sess("STOP"), 0, drain=True),
        chunk(sess("DESTROY"), 0, drain=True)])
    app = [register(), events(0, evs), msg(T["READY_REQ"])]
    # Flight recorder: a snapshot session, its output commands, records
    # (one refused: -m smaller than a sub-buffer per buffer), stop, record.
    yield "snapshot_flow", b"".join(
        [chunk(create(flags=1), 0), chunk(rule("ENABLE", ["*"]), 0)] +
        [chunk(m, 1) for m in app] +
        [chunk(sess("START"), 0), chunk(msg(T["SYNC_ACK"], seq=1), 1, drain=True),
         chunk(snap(3), 0), chunk(snap(1, output="/tmp"), 0), chunk(snap(0), 0, drain=True),
         chunk(snap(0, name="n", max_size=1), 0), chunk(snap(2, ident=1), 0),
         chunk(snap(0), 0), chunk(sess("STOP"), 0, drain=True), chunk(sess("LIST"), 0),
         chunk(sess("DESTROY"), 0, drain=True)])
    # Session rotation: on demand, a schedule set and removed, once after stop.
    yield "rotation_flow", b"".join(
        [chunk(create(), 0), chunk(rule("ENABLE", ["*"]), 0)] +
        [chunk(m, 1) for m in app] +
        [chunk(sess("START"), 0), chunk(msg(T["SYNC_ACK"], seq=1), 1, drain=True),
         chunk(rot(0), 0, drain=True), chunk(rot(1, timer=1000), 0), chunk(rot(1, size=4096), 0),
         chunk(rot(2, timer=1), 0), chunk(rot(0), 0, drain=True), chunk(rot(2, size=1), 0),
         chunk(rot(0, flags=1), 0), chunk(rot(0), 0), chunk(sess("LIST"), 0, drain=True),
         chunk(sess("STOP"), 0, drain=True), chunk(rot(0), 0, drain=True), chunk(rot(0), 0),
         chunk(sess("LIST"), 0), chunk(sess("DESTROY"), 0, drain=True)])
    conv = [chunk(create(), 0), chunk(rule("ENABLE", ["*"]), 0)]
    conv += [chunk(m, 1) for m in app]
    conv += [chunk(sess("START"), 0), chunk(msg(T["SYNC_ACK"], seq=1), 1, drain=True)]
    conv += [chunk(events(3, [desc("prov:late", 2)]), 1), chunk(rule("DISABLE", ["prov:stop"]), 0)]
    conv += [chunk(sess("STOP"), 0, drain=True), chunk(sess("LIST"), 0), chunk(sess("DESTROY"), 0, drain=True)]
    yield "conversation_uid", b"".join(conv)
    # Streamed to a relayd that is not there (port 1 refuses at once):
    # the drains find the link down, list says so.
    yield "conversation_relayd_down", b"".join(
        [chunk(create(relayd="127.0.0.1", ctrl=1, data=1, live=100000, hostname="h"), 0),
         chunk(rule("ENABLE", ["*"]), 0)] + [chunk(m, 1) for m in app] +
        [chunk(sess("START"), 0), chunk(msg(T["SYNC_ACK"], seq=1), 1, drain=True),
         chunk(sess("LIST"), 0), chunk(sess("LIST", flags=1), 0),
         chunk(sess("STOP"), 0, drain=True), chunk(sess("DESTROY"), 0, drain=True)])
    # Blocking mode: the session's timeout goes to the app in APP_CHANNEL.
    yield "conversation_blocking", b"".join(
        [chunk(create(blocking=(1 << 64) - 1), 0), chunk(rule("ENABLE", ["*"]), 0)] +
        [chunk(m, 1) for m in app] +
        [chunk(sess("START"), 0), chunk(msg(T["SYNC_ACK"], seq=1), 1, drain=True),
         chunk(sess("LIST"), 0), chunk(sess("LIST", flags=1), 0),
         chunk(sess("STOP"), 0, drain=True), chunk(sess("DESTROY"), 0, drain=True)])
    conv_pid = [chunk(create(buffers=1), 0), chunk(rule("ENABLE", ["prov:start"]), 0),
                chunk(sess("START"), 0)] + [chunk(m, 1) for m in app] + \
               [chunk(register(rseq=0, name="locked"), 2), chunk(events(0, evs[:1]), 2),
                chunk(msg(T["READY_REQ"]), 2), chunk(sess("STOP"), 0, drain=True),
                chunk(b"", 1, reset=True), chunk(sess("DESTROY"), 0, drain=True)]
    yield "conversation_pid_locked", b"".join(conv_pid)
    # Channels: two with their own rules and contexts, an event in both,
    # one disabled and enabled again, refusals (after the start, a second
    # buffer type, an attribute of an existing channel, overwrite).
    yield "channels", b"".join([
        chunk(create(), 0), chunk(chan("ENABLE_CHANNEL", "a", set_=3, subbuf=4096, num=4), 0),
        chunk(chan("ENABLE_CHANNEL", "b", set_=64 | 8, timers=(1000, 0, 0), blocking=100), 0),
        chunk(chan("ENABLE_CHANNEL", "c", set_=512, buffers=1), 0),
        chunk(chan("ENABLE_CHANNEL", "c", set_=4, overwrite=1), 0),
        chunk(chan("ENABLE_CHANNEL", "a", set_=1, subbuf=8192), 0),
        chunk(rule("ENABLE", ["prov:*"], channel="a"), 0),
        chunk(rule("ENABLE", ["prov:start", "other:*"], channel="b"), 0),
        chunk(addctx(8, channel="b"), 0), chunk(addctx(1), 0),
        chunk(register(), 1), chunk(events(0, evs), 1), chunk(msg(T["READY_REQ"]), 1),
        chunk(sess("START"), 0), chunk(msg(T["SYNC_ACK"], seq=1), 1, drain=True),
        chunk(chan("ENABLE_CHANNEL", "d"), 0), chunk(rule("ENABLE", ["*"], channel="e"), 0),
        chunk(chan("DISABLE_CHANNEL", "b"), 0), chunk(chan("DISABLE_CHANNEL", "b"), 0),
        chunk(chan("ENABLE_CHANNEL", "b"), 0), chunk(chan("DISABLE_CHANNEL", "zz"), 0),
        chunk(sess("LIST"), 0, drain=True), chunk(sess("LIST", flags=1), 0),
        chunk(sess("STOP"), 0, drain=True), chunk(sess("DESTROY"), 0, drain=True)])
    # Filters (some apply to prov:start's fields, some to none), exclusions
    # and trackers while an app is linked.
    yield "conversation_filters", b"".join(
        [chunk(create(), 0),
         chunk(rule("ENABLE", ["prov:*"], filt="n > 3 && v != 0 || $ctx.procname == \"fuzz*\""), 0),
         chunk(rule("ENABLE", ["prov:*"], filt="zz == 1"), 0),
         chunk(rule("ENABLE", ["other:*"], exclude=["other:tock"], filt="s == \"a*\" && t < 2.5"), 0),
         chunk(rule("ENABLE", ["x:*"], filt="1 +"), 0),
         chunk(rule("ENABLE", ["y:*"], exclude=["z:*"]), 0),
         chunk(track("TRACK", 0, [4242, 7]), 0), chunk(track("UNTRACK", 2, flags=1), 0)] +
        [chunk(m, 1) for m in app] +
        [chunk(sess("START"), 0), chunk(msg(T["SYNC_ACK"], seq=1), 1, drain=True),
         chunk(track("TRACK", 2, flags=1), 0), chunk(track("UNTRACK", 0, [7]), 0),
         chunk(sess("LIST"), 0), chunk(sess("LIST", flags=1), 0),
         chunk(sess("STOP"), 0, drain=True), chunk(sess("DESTROY"), 0, drain=True)])
    # Layout conflict: two apps, same name, other fields.
    yield "layout_conflict", b"".join([
        chunk(create(), 0), chunk(rule("ENABLE", ["*"]), 0), chunk(sess("START"), 0),
        chunk(register(), 1), chunk(events(0, [desc("prov:x", 6, (("a", 0),))]), 1),
        chunk(msg(T["READY_REQ"]), 1),
        chunk(register(vpid=7), 2), chunk(events(0, [desc("prov:x", 6, (("b", 1),))]), 2),
        chunk(msg(T["READY_REQ"]), 2), chunk(sess("LIST"), 0, drain=True)])
    # Caps (the fuzz daemon keeps 8 events per app, 16 KiB of metadata):
    # 12 wide events, then a second app whose events find the metadata full.
    wide = [desc(f"wide:e{i}", 6, tuple((f"f{j}", j % 2) for j in range(60))) for i in range(12)]
    yield "caps_events_metadata", b"".join([
        chunk(create(), 0), chunk(rule("ENABLE", ["*"]), 0), chunk(sess("START"), 0),
        chunk(register(), 1), chunk(events(0, wide), 1), chunk(msg(T["READY_REQ"]), 1),
        chunk(events(12, [desc("wide:late")]), 1), chunk(msg(T["READY_REQ"], seq=2), 1),
        chunk(register(vpid=7), 2), chunk(events(0, evs), 2), chunk(msg(T["READY_REQ"]), 2),
        chunk(sess("LIST"), 0, drain=True), chunk(sess("LIST", flags=1), 0),
        chunk(sess("STOP"), 0, drain=True), chunk(sess("DESTROY"), 0, drain=True)])
    # Invalid records, one per check.
    bad = {
        "short_header": msg(T["LIST"])[:10],
        "bad_magic": sess("LIST")[:0] + msg(T["LIST"], fixstr("", 64) + bytes(8), magic=0xdeadbeef),
        "bad_version": msg(T["LIST"], fixstr("", 64) + bytes(8), version=9),
        "len_mismatch": msg(T["LIST"], fixstr("", 64) + bytes(8), length=100),
        "unknown_type": msg(999, b""),
        "fd_on_cli": sess("LIST"),
        "unterminated_name": msg(T["START"], b"x" * 64 + bytes(8)),
        "garbage_after_nul": msg(T["START"], b"a\0b" + bytes(61) + bytes(8)),
        "bad_session_chars": sess("START", name="../etc"),
        "relative_output": create(output="rel/dir"),
        "reserved_set": create(flags=2),
        "snapshot_bad_action": snap(4),
        "rotate_now_with_timer": rot(0, timer=5),
        "rotate_enable_nothing": rot(1),
        "rotate_unknown_flag": rot(0, flags=2),
        "rotate_no_wait_enable": rot(1, timer=5, flags=1),
        "snapshot_relative_output": snap(0, output="rel/dir"),
        "snapshot_bad_name": snap(1, output="/tmp", name="../x"),
        "relayd_name_not_numeric": create(relayd="localhost", ctrl=1, data=2),
        "relayd_with_output": create(relayd="127.0.0.1", ctrl=1, data=2, output="/tmp/x"),
        "relayd_no_port": create(relayd="127.0.0.1", ctrl=0, data=2),
        "live_without_relayd": create(live=1000),
        "relayd_bad_hostname": create(relayd="::1", ctrl=1, data=2, hostname="../x"),
        "bad_clock": create(clock=7),
        "blocking_too_long": create(blocking=1 << 31),
        "subbuf_not_pow2": create(subbuf=3000),
        "subbuf_huge": create(subbuf=1 << 26, num=1024),
        "count_mismatch": msg(T["ENABLE"], fixstr("", 64) + struct.pack("<IiII", 0, 0, 3, 0) +
                              fixstr("", 64) + bytes(8) + b"a\0b\0"),
        "empty_pattern": msg(T["ENABLE"], fixstr("", 64) + struct.pack("<IiII", 0, 0, 2, 0) +
                             fixstr("", 64) + bytes(8) + b"a\0\0"),
        "list_unknown_flag": sess("LIST", flags=4),
        "rule_bad_channel": rule("ENABLE", ["*"], channel="../c"),
        "context_bad_channel": addctx(8, channel=".x"),
        "channel_no_name": chan("ENABLE_CHANNEL", ""),
        "channel_bad_name": chan("ENABLE_CHANNEL", "a/b"),
        "channel_unset_attr": chan("ENABLE_CHANNEL", "c", subbuf=4096),
        "channel_unknown_bit": chan("ENABLE_CHANNEL", "c", set_=1024),
        "channel_overwrite_2": chan("ENABLE_CHANNEL", "c", set_=4, overwrite=2),
        "channel_buffers_3": chan("ENABLE_CHANNEL", "c", set_=512, buffers=3),
        "channel_blocking_long": chan("ENABLE_CHANNEL", "c", set_=64, blocking=1 << 31),
        "channel_reserved": chan("ENABLE_CHANNEL", "c", reserved=1),
        "disable_channel_attr": chan("DISABLE_CHANNEL", "c", set_=1, subbuf=4096),
        "filter_len_mismatch": msg(T["ENABLE"], fixstr("", 64) + struct.pack("<IiII", 0, 0, 1, 0) +
                                   fixstr("", 64) + struct.pack("<II", 0, 9) + b"a\0x==1\0"),
        "filter_not_ascii": rule("ENABLE", ["a"], filt="x == \"\xe9\""),
        "filter_newline": rule("ENABLE", ["a"], filt="x ==\n1"),
        "filter_on_disable": rule("DISABLE", ["a"], filt="x == 1"),
        "exclusions_too_many": rule("ENABLE", ["a*"], exclude=["a"] * 65),
        "exclusion_chars": rule("ENABLE", ["a*"], exclude=["a b"]),
        "track_bad_attr": track("TRACK", 3, [1]),
        "track_all_with_values": track("TRACK", 0, [1], flags=1),
        "track_no_values": track("TRACK", 0, []),
        "track_count_mismatch": msg(T["TRACK"], fixstr("", 64) + struct.pack("<IIII", 0, 0, 2, 0) + bytes(4)),
        "filter_from_peer": msg(T["FILTER"], struct.pack("<QII", 1, 0, 0)),
        "pattern_chars": rule("ENABLE", ["a b"]),
        "loglevel_range": rule("ENABLE", ["*"], lt=1, ll=99),
        "disable_all_with_patterns": rule("DISABLE", ["x"], flags=1),
        "events_before_register": events(0, [desc("p:e")]),
        "events_gap": register() ,
        "events_len_overflow": msg(T["EVENTS"], struct.pack("<II", 0, 1) + struct.pack("<II", 0xffffffff, 0)),
        "events_bad_desc": msg(T["EVENTS"], struct.pack("<II", 0, 1) + struct.pack("<II", 8, 0) + b"\xff" * 8),
        "ack_unasked": msg(T["SYNC_ACK"], seq=77),
        "reply_from_peer": msg(T["REPLY"], struct.pack("<iIII", 0, 0, 2, 0) + b"x\0"),
        "channel_from_peer": msg(T["CHANNEL"], struct.pack("<QIIQII", 1, 0, 0, 0, 1, 0), nfds=1),
        "register_twice": register() + b"",
        "bits32": register(vpid=1, name="a", bits=32),
        "register_no_cpus": register(allowed=0),
        "register_cid_without_rseq": register(rseq=2),
        "grow_zero": register(rseq=3) + b"",
        "grow_past_bound": register(rseq=3) + b"",
        "grown_from_peer": msg(T["GROWN"], struct.pack("<QII", 1, 1, 0)),
        "context_none": addctx(0),
        "context_unknown_bit": addctx(1 << 30),
        "context_reserved": addctx(8, reserved=1),
        "context_bad_session": addctx(8, name="../x"),
    }
    for name, rec in bad.items():
        chunks = [chunk(rec, fd=(name in ("fd_on_cli", "channel_from_peer")))]
        if name == "events_gap":
            chunks.append(chunk(events(5, [desc("p:e")])))
        if name == "register_twice":
            chunks.append(chunk(register()))
        if name == "ack_unasked":
            chunks.insert(0, chunk(register()))
        if name == "grow_zero":
            chunks.append(chunk(msg(T["GROW"], struct.pack("<QII", 1, 0, 0))))
        if name == "grow_past_bound":
            chunks.append(chunk(msg(T["GROW"], struct.pack("<QII", 1, 4097, 0))))
        chunks.append(chunk(sess("LIST")))  # the daemon must still serve
        yield "bad_" + name, b"".join(chunks)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    os.makedirs(out, exist_ok=True)
    n = 0
    for name, data in seeds():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        n += 1
    print(f"wrote {n} seeds to {out}")


if __name__ == "__main__":
    main()
