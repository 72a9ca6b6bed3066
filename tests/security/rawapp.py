"""A hand-made application on the control socket (protocol/messages.h), for
attacks librseqtrace would never make: thousands of event descriptions, huge
ones. A thread reads what the daemon sends (closing descriptors, answering
APP_SYNC) so the daemon never finds our socket full."""
import array
import os
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "daemon"))
import gen_corpus  # noqa: E402  (desc(), events(), msg(), register())

T = gen_corpus.T
MSG_MAX = 65536


def desc(name, nfields=1):
    """A valid description of event NAME ("prov:ev") with nfields uint64s."""
    return gen_corpus.desc(name, 6, tuple((f"f{i}", 0) for i in range(nfields)))


class RawApp:
    def __init__(self, d, name="rawapp", rseq=1, hold=False):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.connect(os.path.join(d.home, "rseqtraced.sock"))
        self.readies = []          # APP_READY statuses, in order
        self.enabled = set()       # (key, index) enabled now
        self.channels = 0
        self.keys = []             # channel keys, in order
        self.grown = []            # APP_GROWN (key, count)
        self.closed = False
        self.cv = threading.Condition()
        self.reading = threading.Event()  # hold: nothing read until resume()
        if not hold:
            self.reading.set()
        self.sock.sendall(gen_corpus.register(vpid=os.getpid(), rseq=rseq, name=name))
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()
        self.next_index = 0

    def send_events(self, descs, per_record=None):
        """APP_EVENTS records as large as a record may be (or of per_record
        descriptions, as librseqtrace sends one per record), in index order."""
        batch, size = [], 24 + 8
        for dsc in descs:
            n = 8 + len(dsc) + (-len(dsc) % 8)
            if batch and (size + n > MSG_MAX or len(batch) == per_record):
                self._send_batch(batch)
                batch, size = [], 24 + 8
            batch.append(dsc)
            size += n
        if batch:
            self._send_batch(batch)

    def _send_batch(self, batch):
        self.sock.sendall(gen_corpus.events(self.next_index, batch))
        self.next_index += len(batch)

    def ready_req(self):
        self.sock.sendall(gen_corpus.msg(T["READY_REQ"]))

    def wait_ready(self, n=1, timeout=30):
        """The status of the n-th APP_READY, or None if it did not come."""
        with self.cv:
            self.cv.wait_for(lambda: len(self.readies) >= n or self.closed, timeout)
            return self.readies[n - 1] if len(self.readies) >= n else None

    def resume(self):
        self.reading.set()

    def _pump(self):
        while True:
            self.reading.wait()
            try:
                data, anc, _, _ = self.sock.recvmsg(MSG_MAX, socket.CMSG_SPACE(8 * 4))
            except OSError:
                data = b""
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds = array.array("i")
                    fds.frombytes(payload[:len(payload) - len(payload) % 4])
                    for fd in fds:
                        os.close(fd)
            if not data:
                with self.cv:
                    self.closed = True
                    self.cv.notify_all()
                return
            _, _, typ, _, _, seq = struct.unpack_from("<IHHIIQ", data)
            body = data[24:]
            with self.cv:
                if typ == T["READY"]:
                    self.readies.append(struct.unpack_from("<iI", body))
                elif typ == T["CHANNEL"]:
                    self.channels += 1
                    self.keys.append(struct.unpack_from("<Q", body)[0])
                elif typ == T["GROWN"]:
                    self.grown.append(struct.unpack_from("<QI", body))
                elif typ == T["ENABLE_APP"]:
                    key, count = struct.unpack_from("<QI", body)
                    for i in range(count):
                        index, _, on, _ = struct.unpack_from("<IIII", body, 16 + 16 * i)
                        (self.enabled.add if on else self.enabled.discard)((key, index))
                self.cv.notify_all()
            if typ == T["SYNC"]:
                try:
                    self.sock.sendall(gen_corpus.msg(T["SYNC_ACK"], seq=seq))
                except OSError:
                    pass

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.thread.join(5)
