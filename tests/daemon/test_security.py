#!/usr/bin/python3
"""Another user can neither talk to the daemon nor read its buffers or
traces. Needs root (to create the user with useradd and to run as it with
setpriv), as in CI: fails, never skips, when it cannot set that up."""
import os
import pwd
import shutil
import stat
import subprocess

from rtd import tmpdir, CLI, PROTO_VERSION, Daemon, Fail, check, run_tests

OTHER = "rseqtrace-other"


def other_user():
    if os.geteuid() != 0:
        raise Fail("this test needs root to create a second user (CI runs as root)")
    for tool in ("useradd", "setpriv"):
        if not shutil.which(tool):
            raise Fail(f"{tool} is missing (util-linux / passwd)")
    try:
        return pwd.getpwnam(OTHER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        OTHER], check=True)
        return pwd.getpwnam(OTHER)


def as_other(pw, *cmd, env=None):
    e = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
    if env:
        e.update(env)
    return subprocess.run(["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}",
                           "--clear-groups", "--", *cmd], env=e, capture_output=True,
                          text=True, timeout=30)


def test_other_user_cannot_connect():
    pw = other_user()
    d = Daemon()
    try:
        # The CLI must be reachable by the other user for this test to mean
        # something: the build tree may be under /root; copy the binary.
        cli = os.path.join(d.tmp, "rseqtrace")
        shutil.copy(CLI, cli)
        os.chmod(cli, 0o755)
        check(as_other(pw, cli, "--help").returncode == 0, "other user cannot run the CLI copy")
        p = as_other(pw, cli, "list", env={"RSEQTRACE_HOME": d.home})
        check(p.returncode == 1 and "belongs to uid 0" in p.stderr, "dir 0700 let them in: " + p.stderr)
        # With the directory and socket opened up, the CLI itself refuses a
        # directory that is not its user's (issue 11 #2) ...
        os.chmod(d.home, 0o711)
        os.chmod(os.path.join(d.home, "rseqtraced.sock"), 0o777)
        p = as_other(pw, cli, "list", env={"RSEQTRACE_HOME": d.home})
        check(p.returncode == 1 and "belongs to uid 0" in p.stderr,
              "the CLI talked through another user's directory: rc %d %s" % (p.returncode, p.stderr))
        # ... and, defense in depth, the daemon's SO_PEERCRED check refuses
        # a client that does not check: an application registering by hand.
        reg = ("import socket,struct,sys\n"
               "s=socket.socket(socket.AF_UNIX,socket.SOCK_SEQPACKET)\n"
               f"s.connect({os.path.join(d.home, 'rseqtraced.sock')!r})\n"
               "b=struct.pack('<IIII',1,1,1,64)+b'evil'+bytes(12)\n"
               f"try: s.send(struct.pack('<IHHIIQ',0x50435452,{PROTO_VERSION},32,len(b),0,1)+b)\n"
               "except (BrokenPipeError, ConnectionResetError): pass\n"
               "r=s.recv(65536)\n"
               "print(struct.unpack('<i',r[24:28])[0])\n")
        p = as_other(pw, "/usr/bin/python3", "-c", reg)
        check(p.returncode == 0 and p.stdout.strip() == "-13", "app registration: " + p.stdout + p.stderr)
        check(f"refused a connection from uid {pw.pw_uid}" in d.log_text(), "refusal not logged")
        # The owner's own CLI will not use the directory opened up either.
        p = d.cli("list")
        check(p.returncode == 1 and "accessible to other users (mode 711)" in p.stderr, p.stderr)
        os.chmod(d.home, 0o700)
        check(d.alive(), "daemon died")
        d.ok("list")
        check("evil" not in d.ok("list").stdout, "the other user's app got registered")
    finally:
        d.cleanup()


def test_other_user_cannot_read():
    pw = other_user()
    d = Daemon()
    try:
        base = tmpdir()
        os.chmod(base, 0o755)  # a world-readable place, as /tmp would be
        out = os.path.join(base, "trace")
        d.ok("create", "sec", "-o", out, "--subbuf-size", "4k")
        d.ok("enable-event", "*")
        d.ok("start")
        d.ok("stop")
        meta = os.path.join(out, "ust", "uid", str(os.getuid()), "64-bit", "metadata")
        check(os.path.exists(meta), "no metadata written")
        check(stat.S_IMODE(os.stat(meta).st_mode) & 0o077 == 0, "metadata readable by others")
        for cmd in (["cat", meta], ["ls", os.path.join(out, "ust")]):
            p = as_other(pw, *cmd)
            check(p.returncode != 0 and "Permission denied" in p.stderr, f"{cmd}: {p.stdout}{p.stderr}")
        if shutil.which("babeltrace2"):
            p = as_other(pw, "babeltrace2", out)
            check(p.returncode != 0, "babeltrace2 read another user's trace")
        # The buffers: memfds held by the daemon are out of reach.
        fddir = f"/proc/{d.proc.pid}/fd"
        memfds = [f for f in os.listdir(fddir) if "memfd:" in os.readlink(os.path.join(fddir, f))]
        check(memfds, "the started session holds no memfd")
        probe = ("import os,sys\n"
                 "try:\n"
                 f"    os.open({os.path.join(fddir, memfds[0])!r}, os.O_RDONLY)\n"
                 "    print('opened')\n"
                 "except PermissionError:\n"
                 "    print('denied')\n")
        p = as_other(pw, "/usr/bin/python3", "-c", probe)
        check(p.stdout.strip() == "denied", "memfd reachable by another user: " + p.stdout + p.stderr)
        p = as_other(pw, "ls", f"/proc/{d.proc.pid}/map_files")
        check(p.returncode != 0, "map_files listable by another user")
        shutil.rmtree(base, ignore_errors=True)
    finally:
        d.cleanup()


if __name__ == "__main__":
    run_tests([test_other_user_cannot_connect, test_other_user_cannot_read])
