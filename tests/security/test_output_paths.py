#!/usr/bin/python3
"""Issue 11 #3: output directories and the log in shared places.

Another local user prepares a shared parent (a group-shared 0777
directory, not sticky: the kernel's protected_symlinks does not help
there) before the user traces into it:
  - a symlink at the trace directory's name, pointing at the victim's
    directory: refused with a clear error, the victim directory untouched;
  - the trace directory pre-created by the other user, with symlinks at
    the stream file and metadata names pointing at the victim's files:
    refused, the victim files untouched;
  - an output directory of the user's own that others may write (0777):
    refused;
  - the per-UID trace directory pre-created (empty, the user's own): refused,
    nothing of another run is reused;
  - rseqtraced --log at a symlink to a victim file: refused, the file untouched;
  - an honest run into the shared parent: every directory 0700, every file
    0600, nothing readable by the other user.
Needs root for the second user (useradd), as CI; fails, never skips."""
import os
import stat
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "daemon"))
from rtd import DAEMON, App, Daemon, check, read_trace, run_tests, tmpdir  # noqa: E402
from test_security import as_other, other_user  # noqa: E402

VICTIM_TEXT = "the victim's precious data\n"


def shared_parent(pw):
    base = tmpdir()
    shared = os.path.join(base, "shared")
    os.mkdir(shared)
    os.chmod(shared, 0o777)  # group-shared, not sticky
    victim = os.path.join(base, "victim")
    os.mkdir(victim, 0o700)
    vfile = os.path.join(victim, "file")
    with open(vfile, "w") as f:
        f.write(VICTIM_TEXT)
    return shared, victim, vfile


def untouched(victim, vfile):
    check(os.listdir(victim) == ["file"], f"the victim directory changed: {os.listdir(victim)}")
    with open(vfile) as f:
        check(f.read() == VICTIM_TEXT, "the victim file was overwritten")


def other_does(pw, code):
    p = as_other(pw, "/usr/bin/python3", "-c", "import os\n" + code)
    check(p.returncode == 0, "the other user's setup failed: " + p.stderr)


def refused(d, out, *words, between=None):
    """create -o out, enable, start: one of them must refuse with words in
    its message (create checks an existing directory, start every one it
    walks through or makes). between(): runs after create, before start."""
    p = d.cli("create", "s", "-o", out)
    if p.returncode == 0:
        d.ok("enable-event", "*")
        if between:
            between()
        p = d.cli("start")
    msg = p.stderr + p.stdout
    check(p.returncode != 0 and all(w in msg for w in words),
          f"rc {p.returncode}, wanted a refusal naming {words}: {msg}")
    d.cli("destroy", "s")
    return msg


def test_symlink_at_trace_dir():
    pw = other_user()
    shared, victim, vfile = shared_parent(pw)
    out = os.path.join(shared, "trace")
    other_does(pw, f"os.symlink({victim!r}, {out!r})")
    d = Daemon()
    try:
        refused(d, out, out, "symbolic link")
        a = App(d, "--events", "100")
        check(a.wait() == 0, "app failed: " + a.err)
        untouched(victim, vfile)
    finally:
        d.cleanup()


def test_symlinks_in_a_precreated_trace_dir():
    """Between create and start (or before create), the other user makes
    the trace directory, with symlinks at the stream files' and at the
    metadata's names."""
    pw = other_user()
    shared, victim, vfile = shared_parent(pw)
    d = Daemon()
    try:
        for names in (["channel0_%d" % c for c in range(os.cpu_count() or 1)], ["metadata"]):
            out = os.path.join(shared, names[0])
            leaf = os.path.join(out, "ust", "uid", str(os.getuid()), "64-bit")
            plant = (f"os.makedirs({leaf!r}, 0o777)\n"
                     f"for d, _, _ in os.walk({out!r}): os.chmod(d, 0o777)\n"
                     + "".join(f"os.symlink({vfile!r}, os.path.join({leaf!r}, {n!r}))\n"
                               for n in names))
            refused(d, out, out, f"uid {pw.pw_uid}", between=lambda: other_does(pw, plant))
            a = App(d, "--events", "2000")
            check(a.wait() == 0, "app failed: " + a.err)
            d.cli("stop")
            untouched(victim, vfile)
    finally:
        d.cleanup()


def test_open_or_reused_directories():
    pw = other_user()
    shared, victim, vfile = shared_parent(pw)
    d = Daemon()
    try:
        lax = os.path.join(shared, "lax")
        os.mkdir(lax)
        os.chmod(lax, 0o777)
        refused(d, lax, lax, "writable by other users")
        check(os.listdir(lax) == [], "something was written into a 0777 output directory")
        # Directories that appear between create and start (start makes the
        # trace): another user's are refused, and so is a trace directory
        # that exists already, even the user's own.
        late = os.path.join(shared, "late")
        other_does(pw, f"os.makedirs({late!r}, 0o777); os.chmod({late!r}, 0o777)")
        os.rmdir(late)
        theirs = os.path.join(late, "ust")
        refused(d, late, late, f"uid {pw.pw_uid}", between=lambda: other_does(
            pw, f"os.makedirs({late!r}); os.chmod({late!r}, 0o755); os.makedirs({theirs!r})"))
        old = os.path.join(shared, "old")
        leaf = os.path.join(old, "ust", "uid", str(os.getuid()), "64-bit")
        refused(d, old, leaf, "exists already", between=lambda: os.makedirs(leaf))
        check(os.listdir(leaf) == [], "a pre-existing trace directory was used")
    finally:
        d.cleanup()


def test_log_symlink():
    pw = other_user()
    shared, victim, vfile = shared_parent(pw)
    log = os.path.join(shared, "rseqtraced.log")
    other_does(pw, f"os.symlink({vfile!r}, {log!r})")
    home = os.path.join(tmpdir(), "home")
    for extra in ([], ["--daemonize"]):
        p = subprocess.run([DAEMON, "--log", log, *extra], env=dict(os.environ, RSEQTRACE_HOME=home),
                           capture_output=True, text=True, timeout=20)
        check(p.returncode == 1 and log in p.stderr and "symbolic link" in p.stderr,
              f"rseqtraced --log SYMLINK {extra}: rc {p.returncode}: {p.stderr}")
        untouched(victim, vfile)
    # A hard link (or any file) that is not the user's own is refused too.
    theirs = os.path.join(shared, "theirs.log")
    other_does(pw, f"open({theirs!r}, 'w').close(); os.chmod({theirs!r}, 0o666)")
    p = subprocess.run([DAEMON, "--log", theirs], env=dict(os.environ, RSEQTRACE_HOME=home),
                       capture_output=True, text=True, timeout=20)
    check(p.returncode == 1 and "another user" in p.stderr, f"--log THEIRS: {p.stderr}")
    check(os.path.getsize(theirs) == 0, "wrote into another user's log file")


def test_honest_run_leaks_nothing():
    pw = other_user()
    shared, victim, vfile = shared_parent(pw)
    out = os.path.join(shared, "trace")
    d = Daemon()
    try:
        d.ok("create", "s", "-o", out)
        d.ok("enable-event", "*")
        d.ok("start")
        a = App(d, "--events", "2000")
        check(a.wait() == 0, "app failed: " + a.err)
        d.ok("stop")
        events, _ = read_trace(out)
        check(len(events) >= 2000, f"only {len(events)} events in the trace")
        files = 0
        for root, dirs, names in os.walk(out):
            for n in dirs:
                mode = stat.S_IMODE(os.lstat(os.path.join(root, n)).st_mode)
                check(mode == 0o700, f"{root}/{n} has mode {mode:o}")
            for n in names:
                path = os.path.join(root, n)
                mode = stat.S_IMODE(os.lstat(path).st_mode)
                check(mode == 0o600, f"{path} has mode {mode:o}")
                p = as_other(pw, "cat", path)
                check(p.returncode != 0 and not p.stdout, f"the other user read {path}")
                files += 1
        check(files >= 2, "no trace files")
        check(stat.S_IMODE(os.stat(out).st_mode) == 0o700, "the output directory is not 0700")
    finally:
        d.cleanup()


if __name__ == "__main__":
    sys.exit(run_tests([test_symlink_at_trace_dir, test_symlinks_in_a_precreated_trace_dir,
                        test_open_or_reused_directories, test_log_symlink,
                        test_honest_run_leaks_nothing]))
