"""Benchmark `embedkit classes` against word2vec C's -classes and scikit-learn's KMeans.

usage: python bench/classes.py CORPUS [--vectors VEC] [--k 500] [--threads 2] [--repeat 2] [--round-robin]
                                      [--sklearn-inertia I]

Vectors: VEC if given, else 100-d skip-gram vectors trained here for 1 epoch on CORPUS
(min_count 5). word2vec C runs its k-means only after training, from its own random start,
so it is timed apart from training: the same word2vec command (``-read-vocab`` with our
vocabulary and counts, a one-line training file, 1 iteration, 1 thread, ``-binary 1``) runs with
and without ``-classes K``, and the difference is its k-means (10 passes; its cost does not
depend on the vector values). ``-binary 1`` because the run without ``-classes`` writes the
vectors, which the run with it does not: with text vectors that run took 2.2-2.9 CPU seconds,
with binary ones 0.5-0.6 (the same day, same machine), so a text baseline would take ~2 s of
writing off the k-means (the classes file is text either way). embedkit's time is the whole ``word_classes`` call (k-means++ start included,
until convergence). The timed runs of embedkit and of word2vec C alternate, ``--repeat`` times
each, and the fastest of each is compared (the machine may be shared). scikit-learn's
``KMeans(n_init=1, random_state=1)`` runs on the same unit vectors and the inertia of both is
reported; ``--sklearn-inertia`` skips that (slow) run and takes its inertia from an earlier run on
the same vectors file. ``--round-robin`` adds embedkit from word2vec's start (to convergence, and
10 passes). ``--tol-sweep`` (with ``--sklearn-inertia``) only runs embedkit at seeds 1-3 and
each tol of TOLS: passes, inertia / scikit-learn's and seconds (the measurement behind the
default tol).
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
TOLS = (1e-3, 5e-4, 2e-4, 1e-4)


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
    ap.add_argument("--repeat", type=int, default=2, help="timed runs of embedkit and of word2vec C (fastest kept)")
    ap.add_argument("--round-robin", action="store_true", help="also time embedkit from word2vec's start")
    ap.add_argument("--sklearn-inertia", type=float, help="skip scikit-learn: its inertia from an earlier run")
    ap.add_argument("--tol-sweep", action="store_true",
                    help="only: passes and inertia / scikit-learn's at tol 1e-3 .. 1e-4, seeds 1-3 (needs --sklearn-inertia)")
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
    if a.tol_sweep:
        print("| seed | " + " | ".join(f"tol {tol:g}" for tol in TOLS) + " |")
        print("|---|" + "---:|" * len(TOLS))
        for seed in (1, 2, 3):
            cells = []
            for tol in TOLS:
                km, t, _ = ours(lambda: word_classes(v, a.k, threads=a.threads, seed=seed, tol=tol))
                cells.append(f"{km.n_iter} passes, {km.inertia / a.sklearn_inertia:.4f}, {t:.1f}s")
            print(f"| {seed} | " + " | ".join(cells) + " |", flush=True)
        return
    with tempfile.TemporaryDirectory() as tmp:
        vocab, train = os.path.join(tmp, "vocab.txt"), os.path.join(tmp, "one.txt")
        with open(vocab, "w") as f:
            f.writelines(f"{w} {int(c)}\n" for w, c in zip(v.words, v.counts))
        with open(train, "w") as f:
            f.write(v.words[0] + "\n")
        base = [str(W2V), "-train", train, "-read-vocab", vocab, "-output", os.path.join(tmp, "out.txt"),
                "-size", str(v.dim), "-iter", "1", "-threads", "1", "-min-count", "1", "-cbow", "0", "-binary", "1"]
        t_plain, c_plain = min(timed(base) for _ in range(2))
        mine, theirs = [], []
        for rep in range(a.repeat):
            mine.append(ours(lambda: word_classes(v, a.k, threads=a.threads, seed=1)))
            km, t, c = mine[-1]
            print(f"embedkit: {t:.1f}s (CPU {c:.1f}s), {km.n_iter} passes, converged {km.converged}, "
                  f"inertia {km.inertia:.1f}", flush=True)
            theirs.append(timed(base + ["-classes", str(a.k)]))
            print(f"word2vec C: {theirs[-1][0]:.1f}s with -classes {a.k} (CPU {theirs[-1][1]:.1f}s), "
                  f"{t_plain:.1f}s without", flush=True)
    km, t_ours, c_ours = min(mine, key=lambda r: r[1])
    t_cls, c_cls = min(theirs)
    t_c, c_c = t_cls - t_plain, c_cls - c_plain
    print(f"word2vec C k-means (fastest run, less the same command without -classes): {t_c:.1f}s (CPU {c_c:.1f}s)")
    ours_km = km
    rr = rr10 = None
    if a.round_robin:
        rr, t_rr, c_rr = ours(lambda: word_classes(v, a.k, threads=a.threads, init="round-robin", seed=1))
        print(f"embedkit round-robin: {t_rr:.1f}s (CPU {c_rr:.1f}s), {rr.n_iter} passes, inertia {rr.inertia:.1f}",
              flush=True)
        rr10, t_rr10, c_rr10 = ours(lambda: word_classes(v, a.k, threads=a.threads, init="round-robin",
                                                         max_iter=10, tol=0))
        print(f"embedkit round-robin, 10 passes (word2vec's work): {t_rr10:.1f}s (CPU {c_rr10:.1f}s), "
              f"inertia {rr10.inertia:.1f}", flush=True)

    if a.sklearn_inertia:
        sk_inertia, sk_iter, t_sk, c_sk = a.sklearn_inertia, "", float("nan"), float("nan")
        print(f"scikit-learn KMeans: not run, inertia {sk_inertia:.1f} from an earlier run on the same vectors")
    else:
        from sklearn.cluster import KMeans

        x, _ = _unit_rows(v.matrix)
        sk, t_sk, c_sk = ours(lambda: KMeans(a.k, n_init=1, random_state=1).fit(x))
        sk_inertia, sk_iter = sk.inertia_, sk.n_iter_
        print(f"scikit-learn KMeans: {t_sk:.1f}s, {sk_iter} passes, inertia {sk_inertia:.1f}")
    print()
    print("| | embedkit (k-means++) | word2vec C -classes | scikit-learn |")
    print("|---|---:|---:|---:|")
    print(f"| wall seconds | {t_ours:.1f} | {t_c:.1f} | {t_sk:.1f} |")
    print(f"| CPU seconds | {c_ours:.1f} | {c_c:.1f} | {c_sk:.1f} |")
    print(f"| passes | {ours_km.n_iter} | 10 | {sk_iter} |")
    print(f"| inertia | {ours_km.inertia:.1f} | | {sk_inertia:.1f} |")
    print(f"wall speed-up vs word2vec C: {t_c / t_ours:.1f}x (k-means++, fastest of {a.repeat} each); "
          f"inertia / scikit-learn: {ours_km.inertia / sk_inertia:.4f}")
    if rr is not None:
        print(f"round-robin: {t_c / t_rr:.1f}x ({rr.n_iter} passes, inertia / scikit-learn "
              f"{rr.inertia / sk_inertia:.4f}); the same 10 passes as word2vec: {t_c / t_rr10:.1f}x")


if __name__ == "__main__":
    main()
