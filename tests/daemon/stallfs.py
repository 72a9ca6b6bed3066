#!/usr/bin/python3
"""A pass-through FUSE file system over a backing directory, for tests of
a stalled disk: SIGSTOP this process and every operation on the mount
blocks in the kernel (a real write() that does not return) until SIGCONT.

    stallfs.py BACKING MOUNTPOINT     (foreground, single-threaded)
"""
import errno
import os
import sys

import fuse

fuse.fuse_python_api = (0, 2)


class Handle:
    def __init__(self, fd):
        self.fd = fd


class StallFS(fuse.Fuse):
    def __init__(self, root, *a, **kw):
        super().__init__(*a, **kw)
        self.root = root

    def _p(self, path):
        return self.root + path

    def getattr(self, path):
        return os.lstat(self._p(path))

    def readdir(self, path, offset):
        for e in [".", ".."] + os.listdir(self._p(path)):
            yield fuse.Direntry(e)

    def access(self, path, mode):
        if not os.access(self._p(path), mode):
            return -errno.EACCES
        return 0

    def mkdir(self, path, mode):
        os.mkdir(self._p(path), mode)

    def rmdir(self, path):
        os.rmdir(self._p(path))

    def unlink(self, path):
        os.unlink(self._p(path))

    def rename(self, old, new):
        os.rename(self._p(old), self._p(new))

    def chmod(self, path, mode):
        os.chmod(self._p(path), mode)

    def chown(self, path, uid, gid):
        os.chown(self._p(path), uid, gid)

    def utimens(self, path, ts_acc, ts_mod):
        os.utime(self._p(path), ns=(ts_acc.tv_sec * 10**9 + ts_acc.tv_nsec,
                                    ts_mod.tv_sec * 10**9 + ts_mod.tv_nsec))

    def truncate(self, path, size):
        os.truncate(self._p(path), size)

    def statfs(self):
        return os.statvfs(self.root)

    # Files: the handle holds the backing descriptor (fuse-python takes an
    # int returned by open as an error code).
    def open(self, path, flags):
        return Handle(os.open(self._p(path), flags & ~os.O_CREAT))

    def create(self, path, flags, mode):
        return Handle(os.open(self._p(path), flags | os.O_CREAT, mode))

    def read(self, path, size, offset, fh):
        return os.pread(fh.fd, size, offset)

    def write(self, path, buf, offset, fh):
        return os.pwrite(fh.fd, buf, offset)

    def ftruncate(self, path, size, fh):
        os.ftruncate(fh.fd, size)

    def fgetattr(self, path, fh):
        return os.fstat(fh.fd)

    def flush(self, path, fh):
        return 0

    def fsync(self, path, datasync, fh):
        os.fsync(fh.fd)

    def release(self, path, flags, fh):
        os.close(fh.fd)


def main():
    backing, mnt = sys.argv[1], sys.argv[2]
    fs = StallFS(os.path.abspath(backing), usage="stallfs BACKING MOUNTPOINT")
    fs.fuse_args.mountpoint = mnt
    fs.fuse_args.setmod("foreground")
    fs.multithreaded = False
    fs.main()


if __name__ == "__main__":
    main()
