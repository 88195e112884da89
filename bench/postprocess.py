"""Benchmark: effect of all-but-the-top (and of the bootstrap intervals' cost) on trained vectors.

Usage::

    python bench/postprocess.py VECTORS [VECTORS...] [--abtt 1 3] [--bootstrap 1000] [--seed 0]

For each vectors file (the reference is the file itself, scored in the same run), every
``--abtt D`` is applied (``embedkit.postprocessing.postprocess``) and the result compared with the
original on the same pairs and questions (``embedkit.comparison.compare``): score before, after,
the paired difference with its 95% bootstrap interval and p-value (paired permutation for
Spearman, McNemar for analogy accuracy). Also timed: ``evaluate`` with and without intervals.
"""

from __future__ import annotations

import argparse
import os
import resource
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("vectors", nargs="+")
    ap.add_argument("--abtt", type=int, nargs="+", default=None,
                    help="Numbers of components to remove [default: dim/100 and 3].")
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()

    from embedkit.comparison import compare
    from embedkit.eval import evaluate
    from embedkit.postprocessing import default_abtt, postprocess
    from embedkit.vectors import Vectors

    for path in a.vectors:
        t = time.perf_counter()
        v = Vectors.load(path)
        load = time.perf_counter() - t
        t = time.perf_counter()
        evaluate(v, bootstrap=0)
        plain = time.perf_counter() - t
        t = time.perf_counter()
        evaluate(v, bootstrap=a.bootstrap, seed=a.seed)
        boot = time.perf_counter() - t
        name = os.path.basename(path)
        print(f"\n## {name}: {len(v)} x {v.dim}, loaded in {load:.1f}s; evaluate {plain:.2f}s without intervals, "
              f"{boot:.2f}s with {a.bootstrap} resamples (x{boot / plain:.2f})")
        for d in a.abtt or sorted({default_abtt(v.dim), 3}):
            t = time.perf_counter()
            r = postprocess(v, abtt=d)
            took = time.perf_counter() - t
            rep = compare(r.vectors, v, bootstrap=a.bootstrap, seed=a.seed, methods=("add",),
                          names=(f"abtt {d}", "original"))
            print(f"\nABTT D={d} ({took:.2f}s; removed components hold "
                  + ", ".join(f"{x:.1%}" for x in r.explained) + " of the variance)")
            print(f"| set | original | ABTT {d} | difference [95% CI] | p |")
            print("|---|---|---|---|---|")
            for c in rep.comparisons:
                mark = " *" if c.significant else ""
                print(f"| {c.name} ({c.common}) | {c.b:.4f} | {c.a:.4f} | {c.difference:+.4f} "
                      f"[{c.ci[0]:+.4f}, {c.ci[1]:+.4f}]{mark} | {'<0.0001' if c.p < 1e-4 else f'{c.p:.4f}'} |")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
