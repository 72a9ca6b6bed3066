#!/usr/bin/python3
"""A stand-in for rseqtraced that only listens and counts: binds a
SOCK_SEQPACKET socket at argv[1], prints "ready", accepts every connection
and counts the bytes clients send, until its stdin closes; then prints
"connections=N received=M". It never answers."""
import os
import select
import signal
import socket
import sys

path = sys.argv[1]
ls = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
if os.path.exists(path):
    os.unlink(path)
ls.bind(path)
os.chmod(path, 0o777)
ls.listen(16)
print("ready", flush=True)
signal.alarm(60)  # never outlives a failed test by long
conns, received, accepted = [], 0, 0
while True:
    r, _, _ = select.select([ls, sys.stdin] + conns, [], [])
    if sys.stdin in r and not sys.stdin.readline():
        break
    if ls in r:
        c, _ = ls.accept()
        conns.append(c)
        accepted += 1
    for c in [c for c in conns if c in r]:
        try:
            data = c.recv(65536)
        except OSError:
            data = b""
        received += len(data)
        if not data:
            conns.remove(c)
            c.close()
print(f"connections={accepted} received={received}", flush=True)
