"""The SVD's sparse products on a PPMI matrix in memory: by A, by A.T through the column slices that
embedkit uses (no transposed copy), and by an explicit transposed copy (what it did before).

Builds the PPMI matrix of a co-occurrence folder (restricted to ``--min-count``), then times each
product ``--repeat`` times in this process, in turn, with a random (V, k) float32 block, and prints
the seconds of each round, the time to make the transposed copy, and whether the two products by
A.T agree bit for bit (each entry is summed in row order either way).

    PYTHONPATH=. python bench/ppmi_products.py COOC_DIR --min-count 5 --repeat 6 --threads 2
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder")
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--k", type=int, default=110, help="columns of the dense block (dim + oversampling)")
    p.add_argument("--repeat", type=int, default=6)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    from embedkit import ppmi_svd
    from embedkit._compile import readonly
    from embedkit._util import balanced_chunks, numba_threads
    from embedkit.cooc import load_cooccurrences

    c = load_cooccurrences(a.folder)
    if c.params["min_count"] < a.min_count:
        c = c.restrict(a.min_count)
    m = ppmi_svd.ppmi_matrix(c.matrix)
    y = np.random.default_rng(0).standard_normal((m.shape[0], a.k)).astype(np.float32)
    print(f"PPMI matrix {m.shape[0]} x {m.shape[1]}, {m.nnz:,} non-zeros, k = {a.k}, {a.threads} threads")
    with numba_threads(a.threads) as n:
        op = ppmi_svd._Operator(m, n)
        t = time.perf_counter()
        at = m.T.tocsr()
        print(f"transposed copy made in {time.perf_counter() - t:.3f} s ({8 * at.nnz / 2**20:.0f} MB)")
        rows_t = balanced_chunks(at.indptr, 16 * n)
        for r in range(a.repeat):
            t0 = time.perf_counter()
            slices = op.tdot(y)
            t1 = time.perf_counter()
            copy = np.empty((m.shape[1], a.k), np.float32)
            ppmi_svd._csr_dense_product(at.indptr, readonly(at.indices), readonly(at.data), y, copy, rows_t)
            t2 = time.perf_counter()
            op.dot(y)
            t3 = time.perf_counter()
            print(f"round {r + 1}: A.T y by column slices {t1 - t0:.3f} s, by the transposed copy {t2 - t1:.3f} s, "
                  f"A y {t3 - t2:.3f} s; the two A.T y bit-identical: {np.array_equal(slices, copy)}")


if __name__ == "__main__":
    main()
