"""What this machine's kernel and glibc offer the ring buffer, read the way
librseqtrace decides (ringbuf.c, rt_cid_usable), for tests that expect one
indexing or the other."""
import ctypes
import ctypes.util

AT_RSEQ_FEATURE_SIZE = 27
MM_CID_END = 28  # offsetof(struct rseq, mm_cid) + 4


def cid_expected():
    """Whether a thread here can index buffers by mm_cid: glibc registered
    rseq and the kernel fills mm_cid (its feature size, or __rseq_size)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    try:
        size = ctypes.c_uint.in_dll(libc, "__rseq_size").value
    except ValueError:
        return False
    if size == 0:
        return False
    if size in (20, 32):
        libc.getauxval.restype = ctypes.c_ulong
        libc.getauxval.argtypes = [ctypes.c_ulong]
        kernel = libc.getauxval(AT_RSEQ_FEATURE_SIZE)
        size = min(kernel, 32)
    return size >= MM_CID_END
