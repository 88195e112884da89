"""Fitting a co-occurrence folder with a higher --min-count, in memory and within --memory (issue 21).

Counts CORPUS once into a folder at min count 1 (window 10, harmonic weighting, as for GloVe), then runs,
alternating, each trainer's two routes over it in child processes:

- ``train TRAINER --cooc DIR --min-count M`` (the restricted copy and the fit in memory), and
- the same with ``--memory BOUND --tmp-dir T`` (the restricted copy written to T and memory-mapped, the
  fit's records or PPMI matrix on disk),

and prints each route's median wall seconds and peak RSS (the child's ``ru_maxrss``), the ratios of the
bounded route to the in-memory one measured in the same run, and what the bound promises: the trainer's
parameters plus ``--memory``. PPMI+SVD's vectors from the two routes are compared (the same up to float
rounding); GloVe's differ by design (its records are shuffled in blocks on disk; ``bench/glove.py``
compares the quality of that route).

    PYTHONPATH=. python bench/cooc_restrict.py /work/wiki17m.txt --memory 300M --repeat 3
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def run_child(args, env):
    """Wall seconds and peak RSS (MB) of ``python -m embedkit.cli ARGS``.

    The peak is the child's own ``ru_maxrss`` (``os.wait4``). Linux counts a child's RSS at the
    fork in it, so this process stays small: the folder is counted in a child too."""
    t0 = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "embedkit.cli", "-q", *args], env=env, stderr=subprocess.PIPE,
                         text=True)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"embedkit {' '.join(args)} failed: {err.strip()}")
    return wall, usage.ru_maxrss / 1024


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("corpus")
    p.add_argument("--min-count", type=int, default=5, help="the higher min count the fits ask for")
    p.add_argument("--memory", default="300M")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--epochs", type=int, default=1, help="GloVe epochs per run")
    p.add_argument("--trainers", default="glove,ppmi-svd")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--keep", default=None, help="count into this folder (kept; reused when it exists)")
    a = p.parse_args()
    from embedkit.cooc import load_cooccurrences, parse_memory

    work = tempfile.mkdtemp(prefix="cooc-restrict-")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        folder = a.keep or os.path.join(work, "cooc")
        if not os.path.exists(os.path.join(folder, "meta.json")):
            wall, peak = run_child(["cooc", a.corpus, "-o", folder, "--window", "10", "--weighting", "harmonic",
                                    "--min-count", "1", "--memory", "1G", "--threads", str(a.threads)], env)
            print(f"counted {a.corpus} into {folder} in {wall:.1f} s, peak RSS {peak:.0f} MB")
        c = load_cooccurrences(folder)
        kept = int((c.vocab.counts >= a.min_count).sum())
        print(f"folder: {len(c)} words, {c.matrix.nnz:,} non-zeros; --min-count {a.min_count} keeps {kept} words")
        tmp = os.path.join(work, "tmp")
        os.mkdir(tmp)
        bound = parse_memory(a.memory)
        for trainer in a.trainers.split(","):
            out = {"memory": os.path.join(work, "m.npy"), "in memory": os.path.join(work, "i.npy")}
            base = ["train", trainer, "--cooc", folder, "--min-count", str(a.min_count), "--threads", str(a.threads)]
            if trainer == "glove":
                base += ["--epochs", str(a.epochs)]
            routes = {"in memory": base, "memory": base + ["--memory", a.memory, "--tmp-dir", tmp]}
            got = {name: [] for name in routes}
            for r in range(a.repeat):
                for name in (routes if r % 2 == 0 else reversed(list(routes))):
                    got[name].append(run_child(routes[name] + ["-o", out[name]], env))
                    left = os.listdir(tmp)
                    if left:
                        sys.exit(f"{trainer}: {tmp} still holds {left} after the run")
            med = {name: (statistics.median(w for w, _ in v), statistics.median(m for _, m in v))
                   for name, v in got.items()}
            for name, (wall, peak) in med.items():
                label = f"--memory {a.memory}" if name == "memory" else "in memory"
                print(f"{trainer:9s} {label:15s} wall {wall:6.2f} s  peak RSS {peak:7.0f} MB  "
                      f"(runs: {', '.join(f'{w:.2f} s / {m:.0f} MB' for w, m in got[name])})")
            print(f"{trainer:9s} bounded / in memory: wall {med['memory'][0] / med['in memory'][0]:.2f}x, "
                  f"peak RSS {med['memory'][1] / med['in memory'][1]:.2f}x")
            if trainer == "glove":
                params = 2 * (2 * kept * (100 + 1) * 4)  # W and W~ with biases, float32, and their AdaGrad sums
                print(f"{trainer:9s} parameters and AdaGrad state {params / 2**20:.0f} MB + --memory "
                      f"{bound / 2**20:.0f} MB = {(params + bound) / 2**20:.0f} MB")
            else:
                x, y = np.load(out["memory"]), np.load(out["in memory"])
                print(f"{trainer:9s} largest difference between the two routes' vectors: {np.abs(x - y).max():.2g} "
                      f"(largest value {np.abs(y).max():.2g})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
