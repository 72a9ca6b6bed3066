#!/usr/bin/python3
"""Per-PID buffers indexed by the threads' rseq mm_cid (issue 17, part 3),
with the real daemon, CLI and librseqtrace, decoded with bt2:

- threads > CPUs hopping between CPUs: every event once, recorded +
  discarded == emitted, the set indexed by mm_cid (list --kv: index=mm_cid)
  with at most one buffer per CPU;
- a process started under `taskset -c 0` maps one buffer, not one per CPU
  (its /proc/PID/smaps);
- growth: a process that registers with one allowed CPU, then widens its
  affinity and starts threads: events after the widening are recorded, the
  set grows to more buffers, and whatever found no buffer meanwhile is
  counted as lost_nobuf, exactly;
- the fallback: RSEQTRACE_CID=0 indexes by CPU (index=cpu), same oracle;
- hostile growth requests (out of range, a channel not its own) close the
  connection with a clear message, and the daemon serves on.
"""
import array
import fcntl
import os
import shutil
import socket
import tempfile
import threading
import struct
import subprocess
import sys
import time

from rtd import (App, Daemon, check, registered, run_tests, wait_until)
from ringbuf_facts import cid_expected
from test_e2e import check_oracle, decode

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "security"))
import rawapp  # noqa: E402
import gen_corpus  # noqa: E402

N = 20000
NCPU = os.cpu_count()
# A kernel before 6.3 (or a glibc that does not register rseq) has no mm_cid:
# every per-PID set is then indexed by CPU, which the tests below check.
CID = cid_expected()
INDEX = "mm_cid" if CID else "cpu"


def session(d, extra=()):
    out = os.path.join(d.tmp, "out")
    d.ok("create", "c", "-o", out, "--buffers-pid", "--subbuf-size", "256k", "--num-subbuf", "32",
         *extra)
    d.ok("enable-event", "rtd:*")
    d.ok("start")
    return out


def traces(d):
    return [dict(kv.split("=", 1) for kv in l.split())
            for l in d.ok("list", "--kv", "c").stdout.splitlines() if l.startswith("trace=")]


def index_streams(out):
    """The channel0_<index> stream files of every per-PID trace under out
    (not their index/channel0_<index>.idx files)."""
    names = []
    for root, _, files in os.walk(out):
        if os.path.basename(root) != "index":
            names += [f for f in files if f.startswith("channel0_")]
    return sorted(names)


def run_oracle(env=None, taskset=None, threads=4, extra_args=(), sleep_us=0):
    """One per-PID process of `threads` threads emitting N events each.
    Returns (d, out, kv after stop, trace lines, events, discarded)."""
    d = Daemon(env=env)
    out = session(d)
    args = ["--role", "1", "--events", str(N), "--threads", str(threads), *extra_args]
    if sleep_us:
        args += ["--sleep-us", str(sleep_us)]
    if taskset:
        exe = shutil.which("taskset")
        check(exe, "taskset is not installed (util-linux)")
        p = subprocess.Popen([exe, "-c", taskset, rtd_tapp(), *args], env=d.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        o, e = p.communicate(timeout=120)
        check(p.returncode == 0, f"tapp exited {p.returncode}: {e}")
    else:
        app = App(d, *args)
        check(app.wait(120) == 0, f"tapp exited {app.proc.returncode}: {app.err}")
    wait_until(lambda: all(t.get("owner_pid") for t in traces(d)), "the trace")
    d.ok("stop")
    kv = d.kv("c")
    tr = traces(d)
    events, discarded = decode(out)
    check_oracle(events, discarded, {1: (None, N, threads)}, extra_first=1)
    check(int(kv["discarded"]) == discarded,
          f"list says {kv['discarded']} discarded, the trace {discarded}")
    return d, out, kv, tr, events, discarded


def rtd_tapp():
    from rtd import TAPP
    return TAPP


def env_index(trace_dir):
    """The trace's env rseqtrace_buffer_index, from its metadata."""
    with open(os.path.join(trace_dir, "metadata")) as f:
        for line in f:
            if "rseqtrace_buffer_index" in line:
                return line.split('"')[1]
    return None


def test_threads_hop_cpus():
    """4 threads on 2 CPUs, migrating freely: indexed by mm_cid, exact."""
    d, out, kv, tr, events, discarded = run_oracle()
    try:
        check(len(tr) == 1 and tr[0]["index"] == INDEX, f"traces: {tr}")
        check(env_index(tr[0]["trace"]) == INDEX, "env rseqtrace_buffer_index")
        n = int(tr[0]["buffers"])
        check(1 <= n <= NCPU, f"{n} buffers for {NCPU} CPUs")
        streams = index_streams(out)
        check(len(streams) <= n, f"streams {streams} for {n} buffers")
        check(int(kv["lost_nobuf"]) == 0, f"lost_nobuf {kv['lost_nobuf']} with every CPU allowed")
        check({e["cpu"] for e in events} <= set(range(n)), "packet cpu_id is not a buffer index")
        print(f"mm_cid: {len(events)} events, {discarded} discarded, buffers {n}, streams {streams}")
        d.ok("destroy")
    finally:
        d.cleanup()


def test_fallback_cpu_index():
    """RSEQTRACE_CID=0: indexed by CPU as before, same oracle."""
    d, out, kv, tr, events, discarded = run_oracle(env={"RSEQTRACE_CID": "0"})
    try:
        check(len(tr) == 1 and tr[0]["index"] == "cpu" and int(tr[0]["buffers"]) == NCPU,
              f"traces: {tr}")
        check(env_index(tr[0]["trace"]) == "cpu", "env rseqtrace_buffer_index")
        print(f"cpu: {len(events)} events, {discarded} discarded")
        d.ok("destroy")
    finally:
        d.cleanup()


def shared_buffer_bytes(pid):
    """Bytes of rseqtrace-buffers memfd mappings in pid's address space."""
    total, cur = 0, None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split()
            if "-" in head[0] and len(head) >= 5 and ":" in head[3]:
                cur = "rseqtrace-buffers" in line and head[1][3] == "s"
                if cur:
                    a, b = (int(x, 16) for x in head[0].split("-"))
                    total += b - a
    return total


def test_taskset_maps_one_buffer():
    """Started under taskset -c 0 with 2 threads: one buffer mapped."""
    exe = shutil.which("taskset")
    check(exe, "taskset is not installed (util-linux)")
    d = Daemon()
    p = None
    try:
        session(d)
        go = os.path.join(d.tmp, "go")
        p = subprocess.Popen([exe, "-c", "0", rtd_tapp(), "--role", "1", "--events", "1000",
                              "--threads", "2", "--wait", go],
                             env=d.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_until(lambda: os.path.exists(go + ".ready"), "the app to register")
        wait_until(lambda: registered(d, p.pid), "the app to register")
        tr = traces(d)
        check(len(tr) == 1 and tr[0]["index"] == INDEX, f"traces: {tr}")
        if not CID:
            print("no mm_cid here: indexed by CPU, every CPU's buffer mapped")
            open(go, "w").close()
            p.communicate(timeout=60)
            return
        check(tr[0]["buffers"] == "1", f"traces: {tr}")
        mapped = shared_buffer_bytes(p.pid)
        one = 4096 + 32 * 262144  # header and control lines (a page here), one buffer
        check(0 < mapped <= one + 4096 * ((NCPU * 256 + 4095) // 4096),
              f"{mapped} bytes of buffers mapped, one buffer is {one}")
        open(go, "w").close()
        o, e = p.communicate(timeout=60)
        check(p.returncode == 0, f"tapp exited {p.returncode}: {e}")
        print(f"taskset -c 0: {mapped} bytes mapped ({NCPU} CPUs would be "
              f"{4096 + NCPU * 32 * 262144})")
        d.ok("stop")
        kv = d.kv("c")
        check(int(kv["events"]) == 2 * 1000 + 1 and int(kv["discarded"]) == 0, f"kv {kv}")
        d.ok("destroy")
    finally:
        if p and p.poll() is None:
            p.kill()
            p.wait()
        d.cleanup()


def test_growth():
    """One allowed CPU at registration, then every CPU and 6 threads: the
    set grows, the events after the growth are recorded, the ones that
    found no buffer are counted (lost_nobuf) and nothing else is lost."""
    if NCPU < 2:
        print("one CPU: mm_cid cannot pass 0, nothing to grow")
        return
    for attempt in range(3):
        d, out, kv, tr, events, discarded = run_oracle(taskset="0", threads=6,
                                                       extra_args=("--widen",), sleep_us=20)
        try:
            n = int(tr[0]["buffers"])
            print(f"growth: {len(events)} events, {discarded} discarded "
                  f"(lost_nobuf {kv['lost_nobuf']}), buffers {n}, streams {index_streams(out)}")
            check(tr[0]["index"] == INDEX, f"traces: {tr}")
            check(discarded == int(kv["lost_nobuf"]) + int(kv["lost_full"]),
                  f"discarded {discarded} not explained by cause: {kv}")
            check(int(kv["lost_full"]) == 0, f"buffer full: {kv['lost_full']}")
            if n == 1:
                check(int(kv["lost_nobuf"]) == 0, "lost_nobuf without a growth")
                continue  # the kernel kept every thread on mm_cid 0: try again
            check(2 <= n <= NCPU, f"{n} buffers")
            late = [e for e in events if e["cpu"] >= 1]
            check(late, "no event in the buffers added by the growth")
            d.ok("destroy")
            return
        finally:
            d.cleanup()
    check(False, "the kernel never gave a second mm_cid to 6 busy threads on every CPU")


def test_hostile_grow():
    """APP_GROW with an out-of-range count, or for a channel not its own:
    the connection is closed with a clear message; the daemon serves on."""
    d = Daemon()
    try:
        session(d)
        cases = [
            ("count past the set", lambda key: d.nr_cpus + 1,
             "asked for %d buffers, its set has" % (NCPU + 1)),
            ("another channel", None, "not an mm_cid channel of its own"),
            ("zero", lambda key: 0, "malformed message"),
            ("past the wire bound", lambda key: 4097, "malformed message"),
        ]
        d.nr_cpus = NCPU
        for what, count, said in cases:
            a = rawapp.RawApp(d, name="grower", rseq=3)
            a.ready_req()
            check(a.wait_ready() is not None, f"{what}: no APP_READY")
            wait_until(lambda: a.keys, f"{what}: no channel")
            key = a.keys[0]
            value = count(key) if count else 1
            if count is None:
                key += 1000  # a key no channel of this app has
            a.sock.sendall(gen_corpus.msg(gen_corpus.T["GROW"], struct.pack("<QII", key, value, 0)))
            with a.cv:
                a.cv.wait_for(lambda: a.closed, 10)
            check(a.closed, f"{what}: the daemon kept the connection")
            a.close()
            wait_until(lambda: said in d.log_text(), f"{what}: '{said}' in the daemon log")
            check(d.alive(), f"{what}: the daemon died")
        # An honest request is answered with the count.
        a = rawapp.RawApp(d, name="grower", rseq=3)
        a.ready_req()
        check(a.wait_ready() is not None, "no APP_READY")
        wait_until(lambda: a.keys, "no channel")
        a.sock.sendall(gen_corpus.msg(gen_corpus.T["GROW"], struct.pack("<QII", a.keys[0], NCPU, 0)))
        wait_until(lambda: a.grown, "no APP_GROWN")
        check(a.grown[-1] == (a.keys[0], NCPU), f"APP_GROWN {a.grown}")
        a.close()
    finally:
        d.cleanup()


def buffer_set(nr, subbuf=4096, num=2):
    """A well-formed mm_cid-indexed buffer set of nr buffers (layout.h),
    sealed like rt_bufset_create's: the memfd."""
    doff = (256 + nr * 256 + 4095) & ~4095
    total = doff + nr * subbuf * num
    fd = os.memfd_create("fake-buffers", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.ftruncate(fd, total)
    hdr = struct.pack("<QIIIIIIIIQQ16sII48x", 0x72736571747263, 2, 256, 256, nr, subbuf, num,
                      1, 0, doff, total, bytes(16), 0, 1) + bytes(128)
    os.pwrite(fd, hdr, 0)
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL)
    return fd


def fake_daemon_growth(home, nr_max, nr_ready, grown, result):
    """A daemon that registers one app, gives it an mm_cid channel of
    nr_ready of nr_max buffers, then answers APP_GROWN with `grown`
    (key, count) unasked. result["closed"]: the app hung up on it."""
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    ls.bind(os.path.join(home, "rseqtraced.sock"))
    ls.listen(1)
    ls.settimeout(30)
    try:
        c, _ = ls.accept()
        c.settimeout(30)
        T = gen_corpus.T
        while True:
            data = c.recv(65536)
            if not data:
                return
            typ, seq = struct.unpack_from("<HIIQ", data, 6)[0], struct.unpack_from("<Q", data, 16)[0]
            if typ == T["REGISTER"]:
                result["flags"] = struct.unpack_from("<I", data, 24 + 8)[0]
            if typ == T["READY_REQ"]:
                break
        mfd = buffer_set(nr_max)
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        body = struct.pack("<QIIQII", 7, 3, 0, 0, nr_ready, 0)
        c.sendmsg([gen_corpus.msg(T["CHANNEL"], body, nfds=2)],
                  [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [mfd, b.fileno()]))])
        os.close(mfd)
        b.close()
        c.send(gen_corpus.msg(T["READY"], struct.pack("<iI", 0, 0), seq=seq))
        time.sleep(0.2)
        c.send(gen_corpus.msg(T["GROWN"], struct.pack("<QII", grown[0], grown[1], 0)))
        while c.recv(65536):
            pass
        result["closed"] = True
        a.close()
    except OSError as e:
        result["error"] = str(e)
    finally:
        ls.close()


def test_hostile_grown():
    """The app side: APP_GROWN that shrinks the set, passes its header's
    count or names another channel turns tracing off with a clear message
    (and the app runs on)."""
    if not CID:
        print("no mm_cid here: the app never registers for mm_cid buffers")
        return
    cases = [((7, 3), 1, "buffers are ready, we have 1 of at most 2"),
             ((7, 1), 2, "buffers are ready, we have 2 of at most 2"),
             ((8, 2), 1, "not an mm_cid channel of ours")]
    for grown, ready, said in cases:
        home = tempfile.mkdtemp(prefix="rt-fake-")
        try:
            result = {}
            t = threading.Thread(target=fake_daemon_growth, args=(home, 2, ready, grown, result))
            t.start()
            time.sleep(0.1)
            go = os.path.join(home, "go")
            env = dict(os.environ, RSEQTRACE_HOME=home, RSEQTRACE_REGISTER_TIMEOUT_MS="5000")
            env.pop("RSEQTRACE_CID", None)
            p = subprocess.Popen([rtd_tapp(), "--events", "10", "--wait", go], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            t.join(30)
            open(go, "w").close()
            o, e = p.communicate(timeout=30)
            check(result.get("flags", 0) & 2, f"{grown}: the app did not register for mm_cid")
            check(result.get("closed"), f"{grown}: the app kept the connection: {result}")
            check(p.returncode == 0, f"{grown}: tapp exited {p.returncode}: {e}")
            check(said in e, f"{grown}: no '{said}' in its stderr: {e!r}")
        finally:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    run_tests([test_threads_hop_cpus, test_fallback_cpu_index, test_taskset_maps_one_buffer,
               test_growth, test_hostile_grow, test_hostile_grown])
