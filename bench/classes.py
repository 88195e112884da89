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
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--vectors")
    ap.add_argument("--k", type=int, default=500)
    ap.add_argument("--threads", type=int, default=2)
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
    # warm-up: compile (cached) on a tiny input
    t = time.perf_counter()
    word_classes(Vectors(["a", "b", "c"], np.eye(3)), 2)
    print(f"compile/load {time.perf_counter() - t:.1f}s")
    t = time.perf_counter()
    ours = word_classes(v, a.k, threads=a.threads, seed=1)
    t_ours = time.perf_counter() - t
    print(f"embedkit: {t_ours:.1f}s, {ours.n_iter} passes, converged {ours.converged}, inertia {ours.inertia:.1f}")
    t = time.perf_counter()
    rr = word_classes(v, a.k, threads=a.threads, init="round-robin", seed=1)
    t_rr = time.perf_counter() - t
    print(f"embedkit round-robin: {t_rr:.1f}s, {rr.n_iter} passes, inertia {rr.inertia:.1f}")
    t = time.perf_counter()
    rr10 = word_classes(v, a.k, threads=a.threads, init="round-robin", max_iter=10, tol=0)
    t_rr10 = time.perf_counter() - t
    print(f"embedkit round-robin, 10 passes (word2vec's work): {t_rr10:.1f}s, inertia {rr10.inertia:.1f}")

    with tempfile.TemporaryDirectory() as tmp:
        vocab, train = os.path.join(tmp, "vocab.txt"), os.path.join(tmp, "one.txt")
        with open(vocab, "w") as f:
            f.writelines(f"{w} {int(c)}\n" for w, c in zip(v.words, v.counts))
        with open(train, "w") as f:
            f.write(v.words[0] + "\n")
        base = [str(W2V), "-train", train, "-read-vocab", vocab, "-output", os.path.join(tmp, "out.txt"),
                "-size", str(v.dim), "-iter", "1", "-threads", "1", "-min-count", "1", "-cbow", "0"]
        t_plain = min(timed(base) for _ in range(2))
        t_cls = timed(base + ["-classes", str(a.k)])
    t_c = t_cls - t_plain
    print(f"word2vec C: {t_cls:.1f}s with -classes {a.k}, {t_plain:.1f}s without: k-means {t_c:.1f}s")

    from sklearn.cluster import KMeans

    x, _ = _unit_rows(v.matrix)
    t = time.perf_counter()
    km = KMeans(a.k, n_init=1, random_state=1).fit(x)
    t_sk = time.perf_counter() - t
    print(f"scikit-learn KMeans: {t_sk:.1f}s, {km.n_iter_} passes, inertia {km.inertia_:.1f}")
    print()
    print(f"| | embedkit (k-means++) | embedkit (round-robin) | word2vec C -classes | scikit-learn |")
    print(f"|---|---:|---:|---:|---:|")
    print(f"| seconds | {t_ours:.1f} | {t_rr:.1f} | {t_c:.1f} | {t_sk:.1f} |")
    print(f"| passes | {ours.n_iter} | {rr.n_iter} | 10 | {km.n_iter_} |")
    print(f"| inertia | {ours.inertia:.1f} | {rr.inertia:.1f} | | {km.inertia_:.1f} |")
    print(f"speed-up vs word2vec C: {t_c / t_ours:.1f}x (k-means++), {t_c / t_rr:.1f}x (round-robin), "
          f"{t_c / t_rr10:.1f}x (round-robin, same 10 passes); inertia / scikit-learn: {ours.inertia / km.inertia_:.4f}")


if __name__ == "__main__":
    main()
