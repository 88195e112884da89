"""One embedkit fastText run with fastText's settings and some of them changed: scores, losses, peak RSS.

usage: python bench/fasttext_ablation.py CORPUS [KEY=VALUE ...]

Trains ``train_fasttext`` on CORPUS with the settings of bench/fasttext.py (dim 100, window 5,
5 negatives, t 1e-4, minn 3, maxn 6, 2,000,000 buckets, lr 0.05, 5 epochs, 2 threads, seed 1),
each KEY=VALUE replacing one keyword argument (the value read as a Python literal:
``maxn=0``, ``update='pair'``, ``shuffle='none'``, ``model='cbow'``, ``seed=2``). Prints the
training time, the mean loss per epoch, the process's peak RSS (VmHWM, before scoring) and
the scores of the vocabulary's vectors: the similarity sets, and the Google analogies with their
semantic and syntactic halves. bench/RESULTS.md (fastText section) lists the runs made with it.
"""

from __future__ import annotations

import ast
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SETTINGS = dict(dim=100, window=5, negative=5, sample=1e-4, minn=3, maxn=6, bucket=2_000_000, alpha=0.05, epochs=5,
                threads=2, seed=1)


def main():
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return
    kw = dict(SETTINGS)
    for arg in sys.argv[2:]:
        key, _, value = arg.partition("=")
        kw[key] = ast.literal_eval(value)
    from embedkit.fasttext import train_fasttext
    from embedkit.vocab import scan_corpus

    scan = scan_corpus(sys.argv[1], min_count=5)
    t = time.perf_counter()
    r = train_fasttext(scan, **kw)
    wall = time.perf_counter() - t
    with open("/proc/self/status") as f:
        hwm = next(line.split()[1] for line in f if line.startswith("VmHWM:"))
    print(f"settings {sys.argv[2:] or 'fastText defaults'}: train {r.timings['train']:.1f} s, call {wall:.1f} s "
          f"(compile {r.timings['compile']:.1f} s), peak RSS {int(hwm) / 1024:.0f} MB")
    print("loss per epoch", " ".join(f"{x:.4f}" for x in r.losses))
    from embedkit.eval import evaluate

    rep = evaluate(r.vectors, bootstrap=0)
    a = rep.analogy[0]
    print(" ".join(f"{s.name} {s.spearman:.3f}" for s in rep.similarity),
          f"| google {a.accuracy:.3f} (semantic {a.semantic.accuracy:.3f}, syntactic {a.syntactic.accuracy:.3f})")


if __name__ == "__main__":
    main()
