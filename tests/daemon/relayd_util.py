"""A private lttng-relayd for the streaming tests: free loopback ports, its
own output directory, stopped (and its children reaped) at the end."""
import os
import shutil
import signal
import socket
import subprocess
import time

from rtd import Fail, read_trace, tmpdir

RELAYD = shutil.which("lttng-relayd")


def free_ports(n):
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def answers(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


class Relayd:
    def __init__(self, ports=None, out=None, bind="127.0.0.1"):
        self.bind = bind
        if not RELAYD:
            raise Fail("lttng-relayd is not installed (apt-get install lttng-tools)")
        self.ctrl, self.data, self.live = ports or free_ports(3)
        self.out = out or os.path.join(tmpdir(), "relayd-out")
        self.home = tmpdir()
        self.log = os.path.join(self.home, "relayd.log")
        self.start()

    def start(self):
        env = dict(os.environ, LTTNG_HOME=self.home)
        with open(self.log, "ab") as logf:
            self.proc = subprocess.Popen(
                [RELAYD, "-C", f"tcp://{self.bind}:{self.ctrl}", "-D", f"tcp://{self.bind}:{self.data}",
                 "-L", f"tcp://{self.bind}:{self.live}", "-o", self.out],
                env=env, stdout=logf, stderr=logf)
        deadline = time.time() + 10
        while not (answers(self.ctrl) and answers(self.data) and answers(self.live)):
            if self.proc.poll() is not None or time.time() > deadline:
                raise Fail("lttng-relayd did not start:\n" + self.log_text())
            time.sleep(0.05)

    def url(self):
        return f"net://127.0.0.1:{self.ctrl}:{self.data}"

    def live_url(self, host, session):
        return f"net://127.0.0.1:{self.live}/host/{host}/{session}"

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def kill(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.proc.wait(timeout=30)

    def stop(self):
        self.kill(signal.SIGTERM)


def relayd_events(r, want, timeout=20):
    """The relayd's trace once it holds `want` rtd:seq and rtd:first events
    (it writes what it received on its own time)."""
    deadline = time.time() + timeout
    while True:
        events, discarded = read_trace(r.out)
        n = sum(e["name"] in ("rtd:seq", "rtd:first") for e in events)
        if n + sum(discarded.values()) >= want or time.time() > deadline:
            return events, discarded
        time.sleep(0.3)
