"""What the per-row lock factor (``lock_init``) costs word2vec when nothing is locked.

usage: python bench/lock_overhead.py CORPUS --base DIR [--threads 2] [--epochs 1] [--repeats 2]
                                     [--configs sgns,cbow,hs,hs-pair]

DIR is a checkout of embedkit from before the change (``git archive COMMIT | tar -x -C DIR``).
Each run is a child process training ``train_word2vec(CORPUS, seed=1, threads=N)`` without
``init_vectors`` from this checkout ("new") or from DIR ("base"), alternating base and new
``--repeats`` times per config so that both share the machine's load. Numba compilation is
warmed up first in each tree (a tiny corpus) and excluded, as is the vocabulary scan. Two
figures: embedkit's own words/s (in-vocabulary tokens x epochs / training wall seconds), and
words per CPU second of the whole call after the scan (setup and training, compilation
excluded), which a busy machine disturbs less. Prints one row per config: the median of each
tree and new / base, and for CPU the ratio of the best runs too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = {
    "sgns": dict(model="skipgram"),
    "cbow": dict(model="cbow"),
    "hs": dict(model="skipgram", hs=True, negative=0, update="window"),
    "hs-pair": dict(model="skipgram", hs=True, negative=0, update="pair"),
}
COMMON = dict(dim=100, window=5, min_count=5, sample=1e-4, seed=1)

CHILD = """
import json, sys, time
from embedkit.vocab import scan_corpus
from embedkit.word2vec import train_word2vec
kw = json.loads(sys.argv[2])
pair = scan_corpus(sys.argv[1], min_count=kw.pop("min_count"))
cpu = time.process_time()
r = train_word2vec(pair, **kw)
cpu = time.process_time() - cpu - r.timings["compile"]
print(json.dumps(dict(wps=r.words_per_sec, cpu_wps=int(pair[1].offsets[-1]) * kw["epochs"] / cpu, loss=r.losses[-1])))
"""


def run(tree, corpus, kw):
    out = subprocess.run([sys.executable, "-c", CHILD, str(corpus), json.dumps(kw)], cwd=tree, check=True,
                         capture_output=True, text=True, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--base", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--configs", default=",".join(CONFIGS))
    a = ap.parse_args()
    trees = {"base": Path(a.base).resolve(), "new": ROOT}
    corpus = Path(a.corpus).resolve()
    tiny = ROOT / "data" / "sample.txt.xz"
    for name in a.configs.split(","):
        kw = dict(COMMON, **CONFIGS[name], threads=a.threads, epochs=a.epochs)
        for tree in trees.values():  # compile (or load the cache) outside the timed runs
            run(tree, tiny, dict(kw, epochs=1, min_count=50))
        got = {t: [] for t in trees}
        cpu = {t: [] for t in trees}
        losses = {}
        for _ in range(a.repeats):
            for t, tree in trees.items():
                r = run(tree, corpus, kw)
                got[t].append(r["wps"])
                cpu[t].append(r["cpu_wps"])
                losses[t] = r["loss"]
        base, new = statistics.median(got["base"]), statistics.median(got["new"])
        cbase, cnew = statistics.median(cpu["base"]), statistics.median(cpu["new"])
        best = max(cpu["new"]) / max(cpu["base"])
        print(f"{name:8s} words/s: base {base:>10,.0f} new {new:>10,.0f} new/base {new / base:.3f} | "
              f"words per CPU s: base {cbase:>9,.0f} new {cnew:>9,.0f} new/base {cnew / cbase:.3f}, "
              f"best of each {best:.3f}  "
              f"(runs, words/s: base {[round(x) for x in got['base']]}, new {[round(x) for x in got['new']]}; "
              f"last loss base {losses['base']:.4f} new {losses['new']:.4f})", flush=True)


if __name__ == "__main__":
    main()
