"""How many cores two threads get now, second by second: one thread, then two, of an FMA loop on private data.

    python bench/cores_probe.py

Each line: the time of the loop on one thread, on two at once, and the scaling (2 x one / two: 2.0 when the
two threads run on two cores of their own). On the shared 2-core VM the scaling moved between 1.16 and 2.06
from one second to the next (bench/RESULTS.md, fifteenth session), where a loop of square roots (the probe
of ``bench/vocab.py``) always saw about 2: the vector units are what two threads on one physical core share.
"""

import threading
import time

import numba
import numpy as np


@numba.njit(nogil=True, fastmath=True)
def work(a, n):
    """``n`` passes of a multiply-add over ``a`` (4 KB: the thread's own L1 data)."""
    s = np.float32(0)
    for k in range(n):
        for c in range(a.shape[0]):
            a[c] = a[c] * np.float32(0.9999) + np.float32(0.0001)
        s += a[k & 1023]
    return s


def scaling(n_threads=2, n=3_000_000):
    """(seconds on one thread, seconds on ``n_threads`` at once, cores they got: n_threads x one / many)."""
    bufs = [np.ones(1024, np.float32) for _ in range(n_threads)]
    work(bufs[0], 10)  # compiled
    t = time.perf_counter()
    work(bufs[0], n)
    one = time.perf_counter() - t
    threads = [threading.Thread(target=work, args=(b, n)) for b in bufs]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    many = time.perf_counter() - t
    return one, many, n_threads * one / many


def main(samples=12):
    for _ in range(samples):
        one, two, cores = scaling(2)
        print(f"{time.strftime('%H:%M:%S')} one {one:.3f} two {two:.3f} scaling {cores:.2f}", flush=True)
        time.sleep(1)


if __name__ == "__main__":
    main()
