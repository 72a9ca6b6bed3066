#!/usr/bin/python3
"""Situations (issue 17 part 2), with real cgroups, CPU hotplug and
namespaces, as root: a daemon in a cpuset (taskset and a cgroup v1 cpuset)
without the CPU its applications write on, and an application in a cpuset
the daemon is not in; CPU 1 taken offline while an application writes on it
and between its writes and stop; applications in PID namespaces (and a
user + PID namespace), two of them with the same vpid at once; an
application in a time namespace whose CLOCK_MONOTONIC is not the daemon's;
an application whose rseq a seccomp filter denies (per-UID, per-PID and
in-process sessions).
Every run counts exactly: emitted = recorded + lost, lost = 0, every event
once, and babeltrace2 reads the trace cleanly. Nothing here is skipped: a
machine that refuses a cgroup, a hotplug or a namespace fails the test."""
import contextlib
import os
import shutil
import subprocess
import time
from collections import defaultdict

from rtd import (BUILD, TAPP, App, Daemon, Fail, bt_clean, check, check_timestamps,
                 read_trace, registered, run_tests, tmpdir, wait_until)

N = 20000
CPUSET = "/sys/fs/cgroup/cpuset"
CPU1_ONLINE = "/sys/devices/system/cpu/cpu1/online"
UNSHARE = shutil.which("unshare") or "/usr/bin/unshare"
TASKSET = shutil.which("taskset") or "/usr/bin/taskset"
# The cpuset and hotplug cases are about CPUs' buffers: their per-PID sets
# are indexed by CPU (RSEQTRACE_CID=0), as a kernel before 6.3 does. A set
# indexed by mm_cid has no buffer of a CPU (daemon_cid tests it).
BY_CPU = {"RSEQTRACE_CID": "0"}


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def read(path):
    with open(path) as f:
        return f.read().strip()


def allowed_cpus(pid):
    for line in read(f"/proc/{pid}/status").splitlines():
        if line.startswith("Cpus_allowed_list:"):
            return line.split()[1]
    raise Fail(f"no Cpus_allowed_list for {pid}")


@contextlib.contextmanager
def cpuset(cpus):
    """A real cgroup v1 cpuset with cpuset.cpus = cpus; its tasks go back
    to the root cpuset and the group is removed afterwards."""
    check(os.path.isfile(os.path.join(CPUSET, "cpuset.cpus")),
          f"no cgroup v1 cpuset at {CPUSET}: this test needs one (and root)")
    path = os.path.join(CPUSET, f"rt-test-{os.getpid()}-{cpus}")
    os.mkdir(path)
    try:
        write(os.path.join(path, "cpuset.cpus"), cpus)
        write(os.path.join(path, "cpuset.mems"), read(os.path.join(CPUSET, "cpuset.mems")))
        yield path
    finally:
        for _ in range(100):
            try:
                pids = read(os.path.join(path, "cgroup.procs")).split()
            except OSError:
                break
            for p in pids:
                with contextlib.suppress(OSError):
                    write(os.path.join(CPUSET, "cgroup.procs"), p)
            try:
                os.rmdir(path)
                break
            except OSError:
                time.sleep(0.05)


def join_cpuset(path, pid):
    write(os.path.join(path, "cgroup.procs"), str(pid))
    check(str(pid) in read(os.path.join(path, "cgroup.procs")).split(),
          f"pid {pid} not in {path}")


def set_cpu1_online(on):
    """Fails loudly if the kernel refuses: this test must run as root on a
    machine whose CPU 1 can go offline (CI is one)."""
    try:
        write(CPU1_ONLINE, "1" if on else "0")
    except OSError as e:
        raise Fail(f"cannot write {'1' if on else '0'} to {CPU1_ONLINE}: {e} "
                   "(this test needs root and a hotpluggable CPU 1)") from e
    check(read(CPU1_ONLINE) == ("1" if on else "0"), f"{CPU1_ONLINE} did not change")


def seq_events(events):
    """rtd:seq events by (role, vpid, vtid) -> list of seq, in trace order."""
    got = defaultdict(list)
    for e in events:
        if e["name"] == "rtd:seq":
            got[(int(e["fields"]["role"]), int(e["vpid"]), int(e["vtid"]))].append(
                int(e["fields"]["seq"]))
    return got


def check_exact(out, kv, emitted, what):
    """emitted == recorded, nothing lost by any cause, no event twice, each
    thread's events in order; babeltrace2 reads it cleanly. Returns the
    events."""
    events, discarded = read_trace(out)
    check_timestamps(events)
    total_discarded = sum(discarded.values())
    check(total_discarded == 0, f"{what}: {total_discarded} events discarded")
    for k in ("discarded", "pending_discarded", "lost_full", "lost_big", "lost_abort",
              "corrupt_events", "corrupt_packets", "late_events", "unwritten_events",
              "counter_resets"):
        check(int(kv[k]) == 0, f"{what}: list says {k}={kv[k]}")
    check(len(events) == emitted,
          f"{what}: recorded {len(events)} + lost 0 != emitted {emitted}")
    check(int(kv["events"]) == emitted, f"{what}: list says {kv['events']} events, emitted {emitted}")
    for key, seqs in seq_events(events).items():
        check(seqs == sorted(set(seqs)), f"{what}: {key}: events duplicated or out of order")
    bt_clean(out)
    return events


def session(d, name, buffers, subbuf="4k", nsub="8"):
    out = os.path.join(d.tmp, name)
    d.ok("create", name, "-o", out, f"--buffers-{buffers}", "--subbuf-size", subbuf,
         "--num-subbuf", nsub, "--blocking-timeout", "inf")
    d.ok("enable-event", "-s", name, "rtd:*")
    d.ok("start", name)
    return out


def kill_all(apps):
    for a in apps:
        if a.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(a.pid, 9)
            a.proc.wait()


def app_on_cpu1(d, *args):
    """tapp pinned to CPU 1 by taskset (exec'd: its pid is the app's)."""
    return App(d, "-c", "1", TAPP, *args, exe=TASKSET)


# ---- 1. the daemon in a cpuset without the application's CPU -------------------------

def restrict_daemon(d, how, stack):
    if how == "taskset":
        subprocess.run([TASKSET, "-a", "-p", "-c", "0", str(d.proc.pid)], check=True,
                       capture_output=True)
    else:
        join_cpuset(stack.enter_context(cpuset("0")), d.proc.pid)
    check(allowed_cpus(d.proc.pid) == "0",
          f"daemon restricted by {how}: allowed CPUs {allowed_cpus(d.proc.pid)}")


def daemon_without_cpu1(how, buffers):
    what = f"daemon on CPU 0 by {how}, {buffers} buffers"
    with contextlib.ExitStack() as stack:
        d = Daemon(env=BY_CPU)
        apps = []
        try:
            restrict_daemon(d, how, stack)
            out = session(d, "cs", buffers)
            a = app_on_cpu1(d, "--events", str(N))
            apps.append(a)
            check(a.wait() == 0, f"app exited {a.proc.returncode}: {a.err}")
            emitted = sum(a.emitted()) + 1  # rtd:first
            # While the session is active: closed packets of CPU 1 are
            # drained by the timer; a per-PID app that exited is flushed whole.
            want = emitted if buffers == "pid" else emitted * 3 // 4
            wait_until(lambda: int(d.kv("cs")["events"]) >= want,
                       f"{what}: CPU 1's events drained before stop (want {want}, "
                       f"have {d.kv('cs')['events']})")
            if buffers == "uid":  # (a closed per-PID trace keeps no per-CPU counts)
                cpu1 = [l for l in d.ok("list", "--kv", "cs").stdout.splitlines()
                        if l.startswith("cpu=1 ")]
                check(len(cpu1) == 1 and " packets=0 " not in cpu1[0],
                      f"{what}: no packet of CPU 1 before stop: {cpu1}")
            d.ok("stop", "cs")
            events = check_exact(out, d.kv("cs"), emitted, what)
            check({e["cpu"] for e in events} == {1}, f"{what}: events not all on CPU 1")
            check(allowed_cpus(d.proc.pid) == "0", f"{what}: the daemon left its cpuset")
            check(d.alive(), f"{what}: the daemon died")
        except Exception:
            print(d.log_text()[-4000:])
            raise
        finally:
            kill_all(apps)
            d.cleanup()


def test_daemon_taskset_uid():
    daemon_without_cpu1("taskset", "uid")


def test_daemon_taskset_pid():
    daemon_without_cpu1("taskset", "pid")


def test_daemon_cpuset_uid():
    daemon_without_cpu1("cgroup", "uid")


def test_daemon_cpuset_pid():
    daemon_without_cpu1("cgroup", "pid")


def test_app_in_cpuset():
    """The application in a cpuset of CPU 1 (joined before exec), the
    daemon anywhere."""
    for buffers in ("uid", "pid"):
        what = f"app in a CPU 1 cpuset, {buffers} buffers"
        with cpuset("1") as cs:
            d = Daemon(env=BY_CPU)
            apps = []
            try:
                out = session(d, "ac", buffers)
                a = App(d, "-c", f"echo $$ > {cs}/cgroup.procs && exec {TAPP} --events {N}",
                        exe="/bin/sh")
                apps.append(a)
                check(a.wait() == 0, f"app exited {a.proc.returncode}: {a.err}")
                emitted = sum(a.emitted()) + 1
                d.ok("stop", "ac")
                events = check_exact(out, d.kv("ac"), emitted, what)
                check({e["cpu"] for e in events} == {1}, f"{what}: events not all on CPU 1")
            except Exception:
                print(d.log_text()[-4000:])
                raise
            finally:
                kill_all(apps)
                d.cleanup()


# ---- 2. CPU hotplug -----------------------------------------------------------------

@contextlib.contextmanager
def cpu1_restored():
    """Whatever happens inside, CPU 1 is online again afterwards."""
    check(read(CPU1_ONLINE) == "1", f"CPU 1 is not online ({CPU1_ONLINE})")
    try:
        yield
    finally:
        for _ in range(50):
            with contextlib.suppress(OSError):
                write(CPU1_ONLINE, "1")
            if read(CPU1_ONLINE) == "1":
                break
            time.sleep(0.1)


def test_hotplug_while_writing():
    """CPU 1 goes offline under an app pinned to it in the middle of its
    writes (the kernel moves it to CPU 0), then comes back."""
    for buffers in ("uid", "pid"):
        what = f"CPU 1 offline while writing, {buffers} buffers"
        with cpu1_restored():
            d = Daemon(env=BY_CPU)
            apps = []
            try:
                out = session(d, "hp", buffers)
                go = os.path.join(d.tmp, "go")
                a = app_on_cpu1(d, "--events", str(N), "--sleep-us", "20", "--wait", go)
                apps.append(a)
                wait_until(lambda: os.path.exists(go + ".ready"), "the app to register")
                open(go, "w").close()
                time.sleep(0.2)
                set_cpu1_online(False)
                time.sleep(0.3)
                check(a.proc.poll() is None, f"{what}: the app ended before CPU 1 came back")
                set_cpu1_online(True)
                check(a.wait() == 0, f"{what}: app exited {a.proc.returncode}: {a.err}")
                emitted = sum(a.emitted()) + 1
                d.ok("stop", "hp")
                events = check_exact(out, d.kv("hp"), emitted, what)
                check({e["cpu"] for e in events} == {0, 1},
                      f"{what}: events on CPUs {sorted({e['cpu'] for e in events})}, not 0 and 1")
                check(d.alive(), f"{what}: the daemon died")
            except Exception:
                print(d.log_text()[-4000:])
                raise
            finally:
                kill_all(apps)
                d.cleanup()


def test_hotplug_before_stop():
    """An app writes on CPU 1 and stays alive; CPU 1 goes offline; stop
    (per-UID), or the per-PID app's exit, flushes CPU 1's buffer while it
    is offline; then CPU 1 comes back and a second run uses it again."""
    for buffers in ("uid", "pid"):
        what = f"CPU 1 offline between writes and {'stop' if buffers == 'uid' else 'exit'}"
        with cpu1_restored():
            d = Daemon(env=BY_CPU)
            apps = []
            try:
                out = session(d, "hs", buffers)
                hold = os.path.join(d.tmp, "hold")
                a = app_on_cpu1(d, "--events", str(N - 7), "--hold", hold, "--done", hold + ".done")
                apps.append(a)
                wait_until(lambda: os.path.exists(hold + ".done"), f"{what}: the app's writes")
                set_cpu1_online(False)
                if buffers == "uid":
                    d.ok("stop", "hs")
                    set_cpu1_online(True)
                    open(hold, "w").close()
                    check(a.wait() == 0, f"{what}: app exited {a.proc.returncode}: {a.err}")
                else:
                    open(hold, "w").close()
                    check(a.wait() == 0, f"{what}: app exited {a.proc.returncode}: {a.err}")
                    wait_until(lambda: int(d.kv("hs")["events"]) >= N - 6,
                               f"{what}: the exited app's trace flushed with CPU 1 offline")
                    set_cpu1_online(True)
                    d.ok("stop", "hs")
                emitted = sum(a.emitted()) + 1
                events = check_exact(out, d.kv("hs"), emitted, what)
                check({e["cpu"] for e in events} == {1}, f"{what}: events not all on CPU 1")
                # CPU 1 back: the same daemon traces on it again.
                out2 = session(d, "again", buffers)
                b = app_on_cpu1(d, "--events", "1000")
                apps.append(b)
                check(b.wait() == 0, f"app exited {b.proc.returncode}: {b.err}")
                d.ok("stop", "again")
                events = check_exact(out2, d.kv("again"), 1001, what + ", then online again")
                check({e["cpu"] for e in events} == {1}, f"{what}: second run not on CPU 1")
                check(d.alive(), f"{what}: the daemon died")
            except Exception:
                print(d.log_text()[-4000:])
                raise
            finally:
                kill_all(apps)
                d.cleanup()


# ---- 3. PID namespaces ----------------------------------------------------------------

NS_N = 5000  # events per thread: bt2 decodes about 20,000 a second


def ns_child(a):
    """The tapp that unshare -f forked (its pid in our namespace)."""
    def child():
        with contextlib.suppress(OSError):
            kids = read(f"/proc/{a.pid}/task/{a.pid}/children").split()
            return int(kids[0]) if kids else None
    wait_until(lambda: child() is not None, "unshare's child")
    return child()


def two_apps_in_pid_namespaces(buffers, userns):
    """Two apps, each pid 1 of a namespace of its own, alive at once."""
    what = f"two apps in {'user+' if userns else ''}PID namespaces, {buffers} buffers"
    ns = ["-U", "-r"] if userns else []
    d = Daemon()
    apps = []
    try:
        out = session(d, "ns", buffers, subbuf="64k")
        go, hold = os.path.join(d.tmp, "go"), os.path.join(d.tmp, "hold")
        for role in (1, 2):
            apps.append(App(d, *ns, "-p", "-f", "--mount-proc", TAPP, "--role", str(role),
                            "--events", str(NS_N), "--threads", "2", "--wait", go, "--hold", hold,
                            "--done", f"{hold}.{role}", exe=UNSHARE))
        hosts = [ns_child(a) for a in apps]
        for h in hosts:
            wait_until(lambda: registered(d, h), f"{what}: app {h} to register")
        open(go, "w").close()
        for role in (1, 2):
            wait_until(lambda: os.path.exists(f"{hold}.{role}"), f"{what}: app {role} to write")
        # Both alive: the daemon knows them by their pids in its namespace.
        procs = sorted(int(l.split()[0].split("=")[1]) for l in
                       d.ok("list", "--kv", "ns").stdout.splitlines() if l.startswith("process="))
        check(procs == sorted(set(hosts)) and len(procs) == 2,
              f"{what}: list shows processes {procs}, the apps are {hosts}")
        open(hold, "w").close()
        for a in apps:
            check(a.wait() == 0, f"{what}: app exited {a.proc.returncode}: {a.err}")
        emitted = sum(sum(a.emitted()) + 1 for a in apps)
        d.ok("stop", "ns")
        events = check_exact(out, d.kv("ns"), emitted, what)
        firsts = [e for e in events if e["name"] == "rtd:first"]
        check(len(firsts) == 2 and all(int(e["fields"]["pid"]) == 1 == int(e["vpid"])
                                       and int(e["vtid"]) == 1 for e in firsts),
              f"{what}: rtd:first vpid/vtid not the namespace's (1): {firsts}")
        by_key = seq_events(events)
        for role in (1, 2):
            keys = [k for k in by_key if k[0] == role]
            check(len(keys) == 2 and all(k[1] == 1 for k in keys) and
                  any(k[2] == 1 for k in keys) and all(1 <= k[2] < 100 for k in keys),
                  f"{what}: role {role}: (role, vpid, vtid) {keys}: not the namespace's ids")
            check(all(by_key[k] == list(range(NS_N)) for k in keys),
                  f"{what}: role {role}: a thread's events are missing, mixed or twice")
        if buffers == "pid":
            dirs = sorted(os.listdir(os.path.join(out, "ust", "pid")))
            check(len(dirs) == 2, f"{what}: per-PID trace directories {dirs}")
            for role_dir in dirs:
                evs, _ = read_trace(os.path.join(out, "ust", "pid", role_dir))
                roles = {int(e["fields"]["role"]) for e in evs if e["name"] == "rtd:seq"}
                check(len(roles) == 1, f"{what}: {role_dir} holds roles {roles}")
                host = int(role_dir.split("-")[1])
                check(host in hosts, f"{what}: {role_dir} is not named by a daemon-side pid {hosts}")
                with open(os.path.join(out, "ust", "pid", role_dir, "metadata")) as f:
                    meta = f.read()
                check("vpid = 1;" in meta, f"{what}: {role_dir}'s metadata env vpid is not the "
                      "namespace's pid 1")
    except Exception:
        print(d.log_text()[-4000:])
        raise
    finally:
        kill_all(apps)
        d.cleanup()


def test_pid_namespaces_uid():
    two_apps_in_pid_namespaces("uid", userns=False)


def test_pid_namespaces_pid():
    two_apps_in_pid_namespaces("pid", userns=False)


def test_user_pid_namespaces_pid():
    two_apps_in_pid_namespaces("pid", userns=True)


# ---- 4. time namespaces -------------------------------------------------------------

def in_time_ns(d, offset_s, *args):
    """tapp in a new time namespace whose CLOCK_MONOTONIC is offset_s
    seconds off ours."""
    return App(d, "-T", "--monotonic", str(offset_s), "-f", TAPP, *args, exe=UNSHARE)


def test_time_namespace_monotonic_refused():
    """With the monotonic clock, an app whose CLOCK_MONOTONIC is not the
    daemon's would put its events at the wrong time (or, ahead of it, have
    them cut as corrupt and take the shared buffer's honest events with
    them). It is refused, with a warning in list naming the namespace, and
    runs untraced; the honest apps beside it lose nothing."""
    for buffers, offset in (("uid", 1000), ("pid", -5), ("uid", -5)):
        what = f"app in a time namespace ({offset:+d} s), {buffers} buffers, monotonic clock"
        d = Daemon()
        apps = []
        try:
            out = session(d, "tn", buffers, subbuf="64k")
            go = os.path.join(d.tmp, "go")
            honest = App(d, "--role", "2", "--events", str(N), "--wait", go)
            skewed = in_time_ns(d, offset, "--role", "1", "--events", str(N), "--wait", go)
            apps += [honest, skewed]
            for f in (go + ".ready",):
                wait_until(lambda: os.path.exists(f), "the apps to register")
            wait_until(lambda: len([l for l in d.ok("list", "--kv", "tn").stdout.splitlines()
                                    if l.startswith("process=")]) +
                       int(d.kv("tn")["untraced_processes"]) >= 2, f"{what}: both apps known")
            open(go, "w").close()
            for a in apps:
                check(a.wait() == 0, f"{what}: app exited {a.proc.returncode}: {a.err}")
            d.ok("stop", "tn")
            kv = d.kv("tn")
            check(int(kv["untraced_processes"]) == 1, f"{what}: untraced_processes="
                  f"{kv['untraced_processes']}, want the skewed app")
            text = d.ok("list", "tn").stdout
            check("time namespace" in text and "CLOCK_MONOTONIC" in text,
                  f"{what}: list does not say why the app is not traced:\n{text}")
            events = check_exact(out, kv, sum(honest.emitted()) + 1, what)
            check({int(e["fields"]["role"]) for e in events if e["name"] == "rtd:seq"} == {2},
                  f"{what}: the skewed app's events are in the trace")
        except Exception:
            print(d.log_text()[-4000:])
            raise
        finally:
            kill_all(apps)
            d.cleanup()


def test_time_namespace_tsc_traced():
    """The TSC is not namespaced: with --clock tsc the same app is traced,
    on the same timeline as the others (one run before it, one after)."""
    d = Daemon()
    apps = []
    try:
        out = os.path.join(d.tmp, "tsc")
        d.ok("create", "tsc", "-o", out, "--clock", "tsc", "--subbuf-size", "64k",
             "--blocking-timeout", "inf")
        d.ok("enable-event", "-s", "tsc", "rtd:*")
        d.ok("start", "tsc")
        for role, ns in ((1, False), (2, True), (3, False)):
            a = (in_time_ns(d, 1000, "--role", str(role), "--events", "1000") if ns else
                 App(d, "--role", str(role), "--events", "1000"))
            apps.append(a)
            check(a.wait() == 0, f"app exited {a.proc.returncode}: {a.err}")
        d.ok("stop", "tsc")
        kv = d.kv("tsc")
        check(int(kv["untraced_processes"]) == 0, "an app was refused with the TSC clock")
        events = check_exact(out, kv, 3 * 1001, "time namespace, TSC clock")
        roles = [int(e["fields"]["role"]) for e in sorted(events, key=lambda e: e["ts"])
                 if e["name"] == "rtd:seq"]
        check(roles == [1] * 1000 + [2] * 1000 + [3] * 1000,
              "time namespace, TSC clock: the runs are not in the order they ran")
    except Exception:
        print(d.log_text()[-4000:])
        raise
    finally:
        kill_all(apps)
        d.cleanup()


# ---- 5. seccomp: rseq denied --------------------------------------------------------

SECCOMP_EXEC = os.path.join(BUILD, "tests", "daemon", "rt_seccomp_exec")
SC_N = 5000  # events per thread


def under_seccomp(err, *args):
    """tapp's command line with rseq denied (err: ENOSYS or EPERM) by a
    seccomp filter; rt_seccomp_exec execs it, so its pid is the app's."""
    return [SECCOMP_EXEC, err, TAPP, *args]


def session_processes(d, name):
    """pid -> "rseq" or "locked", for each process list shows in the session."""
    procs = {}
    for line in d.ok("list", "--kv", name).stdout.splitlines():
        if line.startswith("process="):
            pid, _, mode = line.split("=", 1)[1].split()
            procs[int(pid)] = mode
    return procs


def session_traces(d, name):
    """(mode, owner_pid, events) of each trace list shows in the session."""
    traces = []
    for line in d.ok("list", "--kv", name).stdout.splitlines():
        if line.startswith("trace="):
            kv = dict(f.split("=", 1) for f in line.split()[1:])
            traces.append((kv["mode"], int(kv["owner_pid"]), int(kv["events"])))
    return sorted(traces)


def check_threads(events, role, vpid, what):
    """role's two threads, of process vpid, each wrote 0..SC_N-1 once, in order."""
    by_key = seq_events(events)
    keys = [k for k in by_key if k[0] == role]
    check(len(keys) == 2 and all(k[1] == vpid for k in keys),
          f"{what}: role {role}: (role, vpid, vtid) {keys}, want two threads of {vpid}")
    check(all(by_key[k] == list(range(SC_N)) for k in keys),
          f"{what}: role {role}: a thread's events are missing, mixed or twice")


def seccomp_denied(buffers):
    """An app whose rseq a seccomp filter denies (glibc could not register
    it) registers without rseq and writes a locked-mode per-PID set of its
    own; an app beside it, without the filter, writes rseq. Each with two
    threads; every event recorded once, nothing lost."""
    for err in ("ENOSYS", "EPERM"):
        what = f"rseq denied ({err}) by seccomp, {buffers} buffers"
        d = Daemon()
        apps = []
        try:
            out = session(d, "sc", buffers, subbuf="64k")
            go = os.path.join(d.tmp, "go")
            args = ("--events", str(SC_N), "--threads", "2", "--wait", go)
            plain = App(d, "--role", "1", *args)
            apps.append(plain)
            exe, *denied_args = under_seccomp(err, "--role", "2", *args)
            denied = App(d, *denied_args, exe=exe)
            apps.append(denied)
            wait_until(lambda: len(session_processes(d, "sc")) == 2, f"{what}: both apps")
            procs = session_processes(d, "sc")
            check(procs == {plain.pid: "rseq", denied.pid: "locked"},
                  f"{what}: list shows processes {procs}; want {plain.pid} rseq, "
                  f"{denied.pid} locked")
            # Per-UID: the shared rseq set and the denied app's own locked
            # set; per-PID: a set per app, of its mode.
            rseq_owner = 0 if buffers == "uid" else plain.pid
            traces = [(m, o) for m, o, _ in session_traces(d, "sc")]
            check(traces == [("locked", denied.pid), ("rseq", rseq_owner)],
                  f"{what}: traces (mode, owner) {traces}; want the denied app's locked set "
                  f"and an rseq set of {rseq_owner}")
            registered_line = (f"application rt_tapp[{denied.pid}] registered "
                               "(no rseq: locked-mode per-PID buffers)")
            check(registered_line in d.log_text(), f"{what}: the log lacks {registered_line!r}")
            open(go, "w").close()
            for a in apps:
                check(a.wait() == 0, f"{what}: app exited {a.proc.returncode}: {a.err}")
            emitted = sum(sum(a.emitted()) + 1 for a in apps)  # + rtd:first
            d.ok("stop", "sc")
            events = check_exact(out, d.kv("sc"), emitted, what)
            each = sum(plain.emitted()) + 1
            traces = session_traces(d, "sc")
            check(traces == [("locked", denied.pid, each), ("rseq", rseq_owner, each)],
                  f"{what}: (mode, owner, events) per trace {traces}, want {each} events in each")
            check_threads(events, 1, plain.pid, what)
            check_threads(events, 2, denied.pid, what)
            check(d.alive(), f"{what}: the daemon died")
        except Exception:
            print(d.log_text()[-4000:])
            raise
        finally:
            kill_all(apps)
            d.cleanup()


def test_seccomp_rseq_denied_uid():
    seccomp_denied("uid")


def test_seccomp_rseq_denied_pid():
    seccomp_denied("pid")


def test_seccomp_rseq_denied_inproc():
    """In-process sessions (RSEQTRACE_INPROC, no daemon): under the filter
    the session's buffers are locked mode, without it rseq; every event of
    both threads recorded, nothing lost."""
    for err in ("ENOSYS", "EPERM", None):
        what = f"in-process session, rseq {'denied (' + err + ')' if err else 'allowed'}"
        out = tmpdir()
        env = dict(os.environ, RSEQTRACE_INPROC=out, RSEQTRACE_DAEMON="0",
                   RSEQTRACE_EVENTS="rtd:*", RSEQTRACE_CONTEXT="vpid,vtid")
        for k in ("GLIBC_TUNABLES", "RSEQTRACE_LOCKED"):
            env.pop(k, None)
        args = ("--events", str(SC_N), "--threads", "2")
        cmd = under_seccomp(err, *args) if err else [TAPP, *args]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        check(p.returncode == 0, f"{what}: exit {p.returncode}: {p.stderr}")
        lines = p.stdout.splitlines()
        want = "session_mode=" + ("locked" if err else "rseq")
        check(want in lines, f"{what}: the app printed {lines}, want {want}")
        emitted = sum(int(l.split("=")[1]) for l in lines if l.startswith("emitted=")) + 1
        events, discarded = read_trace(out)
        check_timestamps(events)
        check(sum(discarded.values()) == 0, f"{what}: {discarded} events discarded")
        check(len(events) == emitted, f"{what}: recorded {len(events)} != emitted {emitted}")
        firsts = [e for e in events if e["name"] == "rtd:first"]
        check(len(firsts) == 1, f"{what}: {len(firsts)} rtd:first events")
        check_threads(events, 0, int(firsts[0]["fields"]["pid"]), what)
        bt_clean(out)


if __name__ == "__main__":
    check(os.geteuid() == 0, "these tests need root (cgroups, hotplug, namespaces)")
    run_tests([test_daemon_taskset_uid, test_daemon_taskset_pid, test_daemon_cpuset_uid,
               test_daemon_cpuset_pid, test_app_in_cpuset, test_hotplug_while_writing,
               test_hotplug_before_stop, test_pid_namespaces_uid, test_pid_namespaces_pid,
               test_user_pid_namespaces_pid, test_time_namespace_monotonic_refused,
               test_time_namespace_tsc_traced, test_seccomp_rseq_denied_uid,
               test_seccomp_rseq_denied_pid, test_seccomp_rseq_denied_inproc])
