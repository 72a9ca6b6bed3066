#!/usr/bin/python3
"""Two hosts into one lttng-relayd (issue 14): two network namespaces,
each joined to this one by a veth pair, each running its own rseqtraced
(and the CLI) that streams over its own link to the relayd here, under
its own --hostname; the relayd's output holds both hosts' traces, every
event of each. Needs root (ip netns): where namespaces cannot be made it
fails, saying why (a test that cannot run is not a pass)."""
import os
import subprocess
import sys
import time

from relayd_util import Relayd
from rtd import App, Daemon, check, read_trace, run_tests

TAG = os.getpid() % 100000
SUBNET = 200 + os.getpid() % 50  # 10.SUBNET.{1,2}.0/30


def ip(*args, ns=None):
    cmd = ["ip", "netns", "exec", ns, "ip", *args] if ns else ["ip", *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {p.stderr.strip()}")


class Host:
    def __init__(self, k):
        self.ns = f"rtrelay{k}-{TAG}"
        self.outer, self.inner = f"rv{k}o{TAG}", f"rv{k}i{TAG}"
        self.gw, self.addr = f"10.{SUBNET}.{k}.1", f"10.{SUBNET}.{k}.2"
        ip("netns", "add", self.ns)
        try:
            ip("link", "add", self.outer, "type", "veth", "peer", "name", self.inner)
            ip("link", "set", self.inner, "netns", self.ns)
            ip("addr", "add", f"{self.gw}/30", "dev", self.outer)
            ip("link", "set", self.outer, "up")
            ip("addr", "add", f"{self.addr}/30", "dev", self.inner, ns=self.ns)
            ip("link", "set", self.inner, "up", ns=self.ns)
            ip("link", "set", "lo", "up", ns=self.ns)
        except Exception:
            self.close()
            raise

    def close(self):
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)
        subprocess.run(["ip", "link", "del", self.outer], capture_output=True)


def test_two_hosts():
    hosts = []
    try:
        for k in (1, 2):
            hosts.append(Host(k))
    except RuntimeError as e:
        for h in hosts:
            h.close()
        print(f"FAIL: cannot make network namespaces here (needs root and ip netns): {e}")
        sys.exit(1)
    r = Relayd(bind="0.0.0.0")
    daemons = []
    try:
        n = 3000
        for k, h in enumerate(hosts, 1):
            d = Daemon(prefix=["ip", "netns", "exec", h.ns])
            daemons.append(d)
            # The relayd, seen from the namespace, is at its gateway.
            d.ok("create", "two", "-U", f"net://{h.gw}:{r.ctrl}:{r.data}",
                 "--hostname", f"host{k}")
            d.ok("enable-event", "rtd:*")
            d.ok("start")
        apps = [App(d, "--role", str(k), "--events", str(n)) for k, d in enumerate(daemons, 1)]
        for a in apps:
            check(a.wait() == 0, "app")
        for d in daemons:
            d.ok("stop")
            check(d.kv("two").get("relayd") == "up", "link down")
            d.ok("destroy")
        for k in (1, 2):
            hdir = os.path.join(r.out, f"host{k}")
            deadline = time.time() + 20
            while True:
                events = read_trace(hdir)[0] if os.path.isdir(hdir) else []
                seqs = sorted(int(e["fields"]["seq"]) for e in events
                              if e["name"] == "rtd:seq" and int(e["fields"]["role"]) == k)
                if len(seqs) >= n or time.time() > deadline:
                    break
                time.sleep(0.3)
            check(seqs == list(range(n)), f"host{k}: {len(seqs)} of {n} events")
            others = [e for e in events if e["name"] == "rtd:seq" and int(e["fields"]["role"]) != k]
            check(not others, f"host{k} holds another host's events")
    except Exception:
        for d in daemons:
            print(d.log_text()[-2000:])
        print(r.log_text())
        raise
    finally:
        for d in daemons:
            d.cleanup()
        r.stop()
        for h in hosts:
            h.close()


run_tests([test_two_hosts])
