"""Checks a trace directory's index/<stream>.idx files (CTF index 1.1, as
lttng writes them) against the packet headers of their stream files
(ringbuf/packet.h): one entry per packet, in order, every field equal."""
import os
import struct

IDX_MAGIC = 0xC1F1DCC1
ENTRY = struct.Struct(">9Q")
# ringbuf/packet.h: header + context, native (little-endian) order
PACKET = struct.Struct("<I16sIQQQIIQQQQ")


def stream_packets(path):
    with open(path, "rb") as f:
        data = f.read()
    at, out = 0, []
    while at < len(data):
        if len(data) - at < PACKET.size:
            raise AssertionError(f"{path}: partial packet header at {at}")
        (magic, _uuid, sid, inst, tb, seq, _cpu, _pad, te, content, size,
         disc) = PACKET.unpack_from(data, at)
        if magic != 0xC1FC1FC1 or size == 0 or size % 8 or content > size:
            raise AssertionError(f"{path}: bad packet at {at}")
        out.append((at, size, content, tb, te, disc, sid, inst, seq))
        at += size // 8
    return out


def check_trace_index(tdir):
    """Returns the number of packets checked; raises AssertionError."""
    streams = [f for f in os.listdir(tdir)
               if os.path.isfile(os.path.join(tdir, f)) and f != "metadata"]
    idir = os.path.join(tdir, "index")
    if not streams:
        return 0
    if not os.path.isdir(idir):
        raise AssertionError(f"{tdir}: no index directory")
    extra = set(os.listdir(idir)) - {s + ".idx" for s in streams}
    if extra:
        raise AssertionError(f"{idir}: index files without a stream: {extra}")
    checked = 0
    for s in streams:
        if os.path.getsize(os.path.join(tdir, s)) == 0 and not os.path.exists(
                os.path.join(idir, s + ".idx")):
            continue  # lttng-relayd makes no index for a stream that sent nothing
        with open(os.path.join(idir, s + ".idx"), "rb") as f:
            raw = f.read()
        magic, major, minor, elen = struct.unpack_from(">4I", raw, 0)
        if (magic, major, minor, elen) != (IDX_MAGIC, 1, 1, ENTRY.size):
            raise AssertionError(f"{s}.idx: header {magic:#x} {major}.{minor} {elen}")
        body = raw[16:]
        if len(body) % ENTRY.size:
            raise AssertionError(f"{s}.idx: {len(body)} bytes of entries")
        entries = [ENTRY.unpack_from(body, i) for i in range(0, len(body), ENTRY.size)]
        packets = stream_packets(os.path.join(tdir, s))
        if len(entries) != len(packets):
            raise AssertionError(f"{s}: {len(entries)} index entries, {len(packets)} packets")
        for i, (e, p) in enumerate(zip(entries, packets)):
            if e != p:
                raise AssertionError(f"{s} packet {i}: index {e} != packet {p}")
            if p[8] != i:
                raise AssertionError(f"{s} packet {i}: packet_seq_num {p[8]}")
        checked += len(entries)
    return checked


def trace_dirs(root):
    for d, _dirs, files in os.walk(root):
        if "metadata" in files:
            yield d
