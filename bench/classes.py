"""Benchmark `embedkit classes` against word2vec C's -classes and scikit-learn's KMeans.

usage: python bench/classes.py CORPUS [--vectors VEC] [--k 500] [--threads 2]

Vectors: VEC if given, else 100-d skip-gram vectors trained here for 1 epoch on CORPUS
(min_count 5). word2vec C runs its k-means only after training, from its own random start,
so it is timed apart from training: the same word2vec command (``-read-vocab`` with our
vocabulary and counts, a one-line training file, 1 iteration, 1 thread) runs with and without
``-classes K``, and the difference is its k-means (10 passes; its cost does not depend on the
vector values). embedkit's time is the whole ``word_classes`` call (k-means++ start included,
until convergence); scikit-learn's ``KMeans(n_init=1)`` runs on the same unit vectors, and the
inertia of both is reported.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
W2V = Path("/root/.cache/embedkit-peers/word2vec")


def timed(cmd):
    """(wall seconds, CPU seconds of the child)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - t, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def ours(fn):
    """(result, wall seconds, CPU seconds of this process, every thread)."""
    t, c = time.perf_counter(), time.process_time()
    r = fn()
    return r, time.perf_counter() - t, time.process_time() - c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--vectors")
    ap.add_argument("--k", type=int, default=500)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--save-vectors", help="keep the trained vectors here (.npy) for a later --vectors")
    a = ap.parse_args()
    from embedkit import Vectors, word_classes
    from embedkit.classes import _unit_rows

    if a.vectors:
        v = Vectors.load(a.vectors)
    else:
        from embedkit.word2vec import train_word2vec

        t = time.perf_counter()
        v = train_word2vec(a.corpus, dim=100, epochs=1, min_count=5, threads=a.threads, seed=1).vectors
        print(f"trained {len(v)} x {v.dim} vectors in {time.perf_counter() - t:.1f}s")
        if a.save_vectors:
            v.save(a.save_vectors)
    # warm-up: compile (cached) on a tiny input
    t = time.perf_counter()
    word_classes(Vectors(["a", "b", "c"], np.eye(3)), 2)
    print(f"compile/load {time.perf_counter() - t:.1f}s")
    km, t_ours, c_ours = ours(lambda: word_classes(v, a.k, threads=a.threads, seed=1))
    print(f"embedkit: {t_ours:.1f}s (CPU {c_ours:.1f}s), {km.n_iter} passes, converged {km.converged}, "
          f"inertia {km.inertia:.1f}", flush=True)
    rr, t_rr, c_rr = ours(lambda: word_classes(v, a.k, threads=a.threads, init="round-robin", seed=1))
    print(f"embedkit round-robin: {t_rr:.1f}s (CPU {c_rr:.1f}s), {rr.n_iter} passes, inertia {rr.inertia:.1f}",
          flush=True)
    rr10, t_rr10, c_rr10 = ours(lambda: word_classes(v, a.k, threads=a.threads, init="round-robin", max_iter=10,
                                                     tol=0))
    print(f"embedkit round-robin, 10 passes (word2vec's work): {t_rr10:.1f}s (CPU {c_rr10:.1f}s), "
          f"inertia {rr10.inertia:.1f}", flush=True)
    ours_km = km

    with tempfile.TemporaryDirectory() as tmp:
        vocab, train = os.path.join(tmp, "vocab.txt"), os.path.join(tmp, "one.txt")
        with open(vocab, "w") as f:
            f.writelines(f"{w} {int(c)}\n" for w, c in zip(v.words, v.counts))
        with open(train, "w") as f:
            f.write(v.words[0] + "\n")
        base = [str(W2V), "-train", train, "-read-vocab", vocab, "-output", os.path.join(tmp, "out.txt"),
                "-size", str(v.dim), "-iter", "1", "-threads", "1", "-min-count", "1", "-cbow", "0"]
        t_plain, c_plain = min(timed(base) for _ in range(2))
        t_cls, c_cls = timed(base + ["-classes", str(a.k)])
    t_c, c_c = t_cls - t_plain, c_cls - c_plain
    print(f"word2vec C: {t_cls:.1f}s with -classes {a.k}, {t_plain:.1f}s without: k-means {t_c:.1f}s "
          f"(CPU {c_c:.1f}s)", flush=True)

    from sklearn.cluster import KMeans

    x, _ = _unit_rows(v.matrix)
    sk, t_sk, c_sk = ours(lambda: KMeans(a.k, n_init=1, random_state=1).fit(x))
    km = sk
    print(f"scikit-learn KMeans: {t_sk:.1f}s, {km.n_iter_} passes, inertia {km.inertia_:.1f}")
    print()
    print(f"| | embedkit (k-means++) | embedkit (round-robin) | word2vec C -classes | scikit-learn |")
    print(f"|---|---:|---:|---:|---:|")
    print(f"| wall seconds | {t_ours:.1f} | {t_rr:.1f} | {t_c:.1f} | {t_sk:.1f} |")
    print(f"| CPU seconds | {c_ours:.1f} | {c_rr:.1f} | {c_c:.1f} | {c_sk:.1f} |")
    print(f"| passes | {ours_km.n_iter} | {rr.n_iter} | 10 | {km.n_iter_} |")
    print(f"| inertia | {ours_km.inertia:.1f} | {rr.inertia:.1f} | | {km.inertia_:.1f} |")
    print(f"wall speed-up vs word2vec C: {t_c / t_ours:.1f}x (k-means++), {t_c / t_rr:.1f}x (round-robin), "
          f"{t_c / t_rr10:.1f}x (round-robin, same 10 passes); inertia / scikit-learn: "
          f"{ours_km.inertia / km.inertia_:.4f} (k-means++), {rr.inertia / km.inertia_:.4f} (round-robin)")


if __name__ == "__main__":
    main()
