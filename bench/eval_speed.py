"""Benchmark: the whole Google analogy set on 30,000 x 300 vectors, embedkit vs gensim.

Usage::

    python bench/eval_speed.py [--words 30000] [--dim 300] [--vectors FILE]

Without --vectors, the vocabulary is every word of the Google set (lower-cased, in file order)
followed by filler words up to --words, with random float32 vectors: the timing does not
depend on the values, and every question is answerable. embedkit's ``evaluate_analogy`` is
timed with 3CosAdd alone, with 3CosAdd + 3CosMul together, and the full ``evaluate`` (all
similarity sets too); gensim's ``KeyedVectors.evaluate_word_analogies(restrict_vocab=words)``
(3CosAdd only) on the same vectors. The parent checks that both count the same correct answers.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=int, default=30_000)
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--vectors", default=None, help="Score this file instead of random vectors.")
    a = ap.parse_args()

    from gensim.models import KeyedVectors

    from embedkit.eval import bundled_path, evaluate, evaluate_analogy, read_analogies
    from embedkit.vectors import Vectors

    if a.vectors:
        v = Vectors.load(a.vectors, limit=a.words)
    else:
        words = list(dict.fromkeys(w.lower() for _, qs in read_analogies(bundled_path("google")) for q in qs
                                   for w in q))
        words += [f"filler{i}" for i in range(a.words - len(words))]
        v = Vectors(words, np.random.default_rng(0).standard_normal((a.words, a.dim)).astype(np.float32))
    n = min(a.words, len(v))
    print(f"vectors: {len(v)} x {v.dim}; restrict {n}; BLAS/OMP threads: "
          f"{os.environ.get('OPENBLAS_NUM_THREADS', os.environ.get('OMP_NUM_THREADS', 'default'))}")
    evaluate_analogy(v, restrict=200, methods=("add",))  # warm-up: imports, unit matrix
    rows = []
    for methods in (("add",), ("add", "mul")):
        t = time.perf_counter()
        res = evaluate_analogy(v, restrict=n, methods=methods)
        rows.append((f"embedkit evaluate_analogy {'+'.join(methods)}", time.perf_counter() - t, res[0]))
    t = time.perf_counter()
    report = evaluate(v, restrict=n)
    full = time.perf_counter() - t
    kv = KeyedVectors(v.dim)
    kv.add_vectors(v.words, v.matrix)
    t = time.perf_counter()
    score, sections = kv.evaluate_word_analogies(bundled_path("google"), restrict_vocab=n)
    gensim_s = time.perf_counter() - t
    ours = rows[0][2]
    g_total = next(s for s in sections if s["section"] == "Total accuracy")
    same = ours.total.correct == len(g_total["correct"]) and ours.total.answered == \
        len(g_total["correct"]) + len(g_total["incorrect"])
    print()
    print("| run | seconds | questions answered | correct | speed x (gensim/this) |")
    print("|---|---:|---:|---:|---:|")
    for name, s, r in rows:
        print(f"| {name} | {s:.2f} | {r.total.answered} | {r.total.correct} | {gensim_s / s:.1f} |")
    print(f"| embedkit evaluate (5 similarity sets + google add+mul) | {full:.2f} | "
          f"{report.analogy[0].total.answered} | {report.analogy[0].total.correct} | |")
    print(f"| gensim evaluate_word_analogies (3CosAdd) | {gensim_s:.2f} | "
          f"{len(g_total['correct']) + len(g_total['incorrect'])} | {len(g_total['correct'])} | 1.0 |")
    print()
    print(f"same answers as gensim (3CosAdd): {'yes' if same else 'NO'}; accuracy {ours.accuracy:.4f} vs {score:.4f}")


if __name__ == "__main__":
    main()
