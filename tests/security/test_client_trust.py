#!/usr/bin/python3
"""Issue 11 #2: clients check whom they talk to. Whoever wins the socket
path under the runtime directory must get nothing: not a CLI request, not
an application's APP_REGISTER (nor, then, its events).

  - a socket directory open to others (0777, a listener of our own uid in
    it): the CLI refuses with a message naming the directory and its mode;
    an instrumented program sends nothing and runs on untraced, silently
    (one line on stderr only with RSEQTRACE_DEBUG=1);
  - a private directory (ours, 0700) whose socket is served by another
    user's process: the CLI refuses naming the socket and that uid; the
    program sends nothing.
The listener is a fake daemon (fake_daemon.py) that counts received bytes.
Needs root for the second user (useradd), as CI; fails, never skips."""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "daemon"))
from rtd import CLI, TAPP, Fail, check, need, run_tests, tmpdir  # noqa: E402
from test_security import other_user  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def fake_script():
    """fake_daemon.py where another user can read it: the checkout may sit
    in a directory only we can enter (mktemp -d, a home directory)."""
    path = os.path.join(tmpdir(), "fake_daemon.py")
    shutil.copyfile(os.path.join(HERE, "fake_daemon.py"), path)
    os.chmod(path, 0o644)
    return path


class Fake:
    """fake_daemon.py at sock, run as `prefix` (e.g. setpriv as another user)."""

    def __init__(self, sock, prefix=()):
        self.p = subprocess.Popen([*prefix, "/usr/bin/python3", fake_script(), sock], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env={"PATH": "/usr/bin:/bin"})
        line = self.p.stdout.readline()
        if line.strip() != "ready":
            raise Fail("fake daemon did not start: " + line + self.p.stderr.read())

    def result(self):
        out, err = self.p.communicate("", timeout=30)
        import re
        m = re.search(r"connections=(\d+) received=(\d+)", out)
        check(m, "fake daemon: " + out + err)
        return int(m.group(1)), int(m.group(2))


def cli(home, *args):
    need(CLI)
    env = dict(os.environ, RSEQTRACE_HOME=home)
    return subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=30)


def app(home, debug):
    need(TAPP)
    env = dict(os.environ, RSEQTRACE_HOME=home, RSEQTRACE_REGISTER_TIMEOUT_MS="1000")
    env.pop("RSEQTRACE_DEBUG", None)
    if debug:
        env["RSEQTRACE_DEBUG"] = "1"
    t0 = time.time()
    p = subprocess.run([TAPP, "--events", "100"], env=env, capture_output=True, text=True,
                       timeout=30)
    check(p.returncode == 0 and "emitted=100" in p.stdout, f"app failed: {p.stdout}{p.stderr}")
    check(time.time() - t0 < 10, "the app was held up")
    return p.stderr


def check_app_sends_nothing(home, fake_factory, reason):
    for debug in (False, True):
        fake = fake_factory()
        err = app(home, debug)
        conns, received = fake.result()
        check(received == 0, f"the app sent {received} bytes to an untrusted listener "
              f"({conns} connections; debug={debug})")
        lines = [l for l in err.splitlines() if "rseqtrace" in l]
        if debug:
            check(len(lines) == 1 and home in lines[0] and reason in lines[0],
                  "RSEQTRACE_DEBUG=1: wanted one line naming the directory and why: " + err)
        else:
            check(not lines, "the library is not quiet by default: " + err)


def test_open_socket_directory():
    home = os.path.join(tmpdir(), "run")
    os.mkdir(home)
    os.chmod(home, 0o777)
    sock = os.path.join(home, "rseqtraced.sock")
    fake = Fake(sock)
    p = cli(home, "list")
    conns, received = fake.result()
    check(p.returncode == 1 and home in p.stderr and "accessible to other users" in p.stderr
          and "777" in p.stderr, f"CLI: rc {p.returncode}: {p.stderr}")
    check(received == 0, f"the CLI sent {received} bytes into a 0777 directory")
    check_app_sends_nothing(home, lambda: Fake(sock), "accessible to other users")


def test_socket_of_another_user():
    pw = other_user()
    base = tmpdir()
    home = os.path.join(base, "run")
    os.mkdir(home, 0o700)  # ours and private: only the listener is wrong
    theirs = os.path.join(base, "theirs")
    os.mkdir(theirs)
    os.chown(theirs, pw.pw_uid, pw.pw_gid)
    sock = os.path.join(home, "rseqtraced.sock")
    prefix = ("setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups", "--")

    def planted():
        # The other user binds in its own directory; the socket then
        # appears at our path (as if it had won a race for it).
        if os.path.exists(sock):
            os.unlink(sock)
        f = Fake(os.path.join(theirs, "s"), prefix)
        os.rename(os.path.join(theirs, "s"), sock)
        return f

    fake = planted()
    p = cli(home, "list")
    conns, received = fake.result()
    check(p.returncode == 1 and sock in p.stderr and f"uid {pw.pw_uid}" in p.stderr,
          f"CLI: rc {p.returncode}: {p.stderr}")
    check(received == 0, f"the CLI sent {received} bytes to another user's listener")
    check_app_sends_nothing(home, planted, f"uid {pw.pw_uid}")


if __name__ == "__main__":
    sys.exit(run_tests([test_open_socket_directory, test_socket_of_another_user]))
