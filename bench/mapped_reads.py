"""How much of a memory-mapped file a few random reads bring into resident memory, and what
letting go of it after every batch costs: the measurements behind keeping the epoch loop's
per-chunk tables in memory (bench/RESULTS.md, seventeenth session).

    python bench/mapped_reads.py [--folder DIR] [--mb 16] [--reads 64] [--batches 2000]

A file of ``--mb`` MB is made two ways in ``--folder`` (a file with no name): written with
``write()``, and written through its own memory mapping. For each: the resident KB of the mapping
after ``--reads`` random 8-byte reads, then after the same number of writes; then the seconds of
``--batches`` batches of that many random reads and writes, each batch followed by
``madvise(MADV_DONTNEED)`` over the whole mapping, against the same batches on an array in
memory. Linux only (``/proc/self/smaps``).
"""

import argparse
import ctypes
import mmap
import os
import tempfile
import time

import numpy as np


def resident_kb(a):
    """Rss of the mapping that holds ``a``'s first byte, from /proc/self/smaps."""
    at, inside = a.ctypes.data, False
    with open("/proc/self/smaps") as f:
        for line in f:
            head = line.split()
            if "-" in head[0] and not head[0].endswith(":"):
                lo, hi = (int(x, 16) for x in head[0].split("-"))
                inside = lo <= at < hi
            elif inside and head[0] == "Rss:":
                return int(head[1])
    return 0


def mapped(n, folder, how):
    f = tempfile.TemporaryFile(dir=folder)
    if how == "write":
        np.arange(n, dtype=np.int64).tofile(f)
        f.flush()
        m = np.memmap(f, np.int64, "r+", shape=(n,))
    else:
        os.ftruncate(f.fileno(), 8 * n)
        m = np.memmap(f, np.int64, "r+", shape=(n,))
        m[:] = np.arange(n, dtype=np.int64)
    f.close()
    return m


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--folder", default=None)
    p.add_argument("--mb", type=int, default=16)
    p.add_argument("--reads", type=int, default=64)
    p.add_argument("--batches", type=int, default=2000)
    a = p.parse_args()
    libc = ctypes.CDLL(None, use_errno=True)
    n = a.mb * (1 << 20) // 8
    rng = np.random.default_rng(0)
    print(f"{a.mb} MB file in {a.folder or tempfile.gettempdir()}, {a.reads} random entries a batch")

    def drop(m):
        libc.madvise(ctypes.c_void_p(m.ctypes.data), ctypes.c_size_t(m.nbytes), mmap.MADV_DONTNEED)

    def batches(m, dropping):
        t = time.perf_counter()
        for _ in range(a.batches):
            k = rng.integers(0, n, a.reads)
            m[k] = m[k] + 1
            if dropping:
                drop(m)
        return time.perf_counter() - t

    in_memory = batches(np.arange(n, dtype=np.int64), False)
    for how in ("write", "mapping"):
        m = mapped(n, a.folder, how)
        drop(m)
        k = rng.integers(0, n, a.reads)
        _ = int(m[k].sum())
        after_reads = resident_kb(m)
        m[k] = 1
        after_writes = resident_kb(m)
        drop(m)
        seconds = batches(m, True)
        print(f"written by {how:<7}: {after_reads:>6} KB resident after the reads, {after_writes:>6} after the writes; "
              f"{a.batches} batches with a drop after each {seconds:.2f} s (in memory {in_memory:.2f} s)")


if __name__ == "__main__":
    main()
