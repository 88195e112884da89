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


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def main(samples=12, n=3_000_000):
    a = [np.ones(1024, np.float32) for _ in range(2)]
    work(a[0], 10)  # compiled
    for _ in range(samples):
        one = timed(lambda: work(a[0], n))
        threads = [threading.Thread(target=work, args=(a[i], n)) for i in range(2)]

        def both():
            for th in threads:
                th.start()
            for th in threads:
                th.join()

        two = timed(both)
        print(f"{time.strftime('%H:%M:%S')} one {one:.3f} two {two:.3f} scaling {2 * one / two:.2f}", flush=True)
        time.sleep(1)


if __name__ == "__main__":
    main()
