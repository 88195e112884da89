"""A trainer's first run on a machine: the whole command with an empty Numba cache, and what it compiled.

    python bench/first_run.py [CORPUS] [--against REV] [--trainers skipgram,cbow,fasttext,glove,ppmi-svd]
        [--set-args "..."]

For each trainer (and each tree: this checkout, and REV's ``embedkit`` from ``git archive`` with
``--against``), ``embedkit train TRAINER CORPUS -o OUT --threads 2`` runs in a fresh process with
``NUMBA_CACHE_DIR`` pointing at an empty folder, then once more on the cache it left. Printed: wall
seconds of both runs, the compile stage the command reports (``seconds per stage``), and the
kernels that the cache holds more than one specialisation of (``NAME.K.nbc`` files: each is one
compile of the kernel). CORPUS defaults to the bundled sample; the first run's time is compiling,
nearly all of it, whatever the corpus.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time


def run(tree, trainer, corpus, out, cache, extra):
    env = dict(os.environ, PYTHONPATH=tree, NUMBA_CACHE_DIR=cache)
    env.pop("EMBEDKIT_COMPILE_CHILD", None)
    argv = [sys.executable, "-m", "embedkit.cli", "train", trainer, corpus, "-o", out, "--threads", "2", *extra]
    t = time.perf_counter()
    # not from a checkout's root: ``python -m`` puts the working folder first on sys.path
    p = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=os.path.dirname(cache))
    wall = time.perf_counter() - t
    if p.returncode:
        raise SystemExit(f"{' '.join(argv)} failed:\n{p.stderr}")
    m = re.search(r"compile ([0-9.]+)", p.stdout + p.stderr)
    return wall, float(m.group(1)) if m else None


def specialisations(cache):
    n = collections.Counter()
    for _, _, files in os.walk(cache):
        for f in files:
            m = re.match(r"(.+)-\d+\.py\d+\.(\d+)\.nbc$", f)
            if m:
                n[m.group(1)] += 1
    return {k: v for k, v in sorted(n.items()) if v > 1}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    root = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    p.add_argument("corpus", nargs="?", default=os.path.join(root, "data", "sample.txt.xz"))
    p.add_argument("--against", help="git revision to compare with")
    p.add_argument("--trainers", default="skipgram,cbow,fasttext,glove,ppmi-svd")
    p.add_argument("--set-args", default="--epochs 1", help="more arguments for every trainer that takes them")
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-first-") as tmp:
        trees = [("this tree", root)]
        if a.against:
            from kernel_ab import archive_tree  # bench/, first on sys.path when this script runs

            trees.append((a.against, archive_tree(a.against, os.path.join(tmp, "tree"))))
        print("| trainer | tree | first run s | its compile stage s | second run s | kernels compiled more than once |")
        print("|---|---|---:|---:|---:|---|")
        for trainer in a.trainers.split(","):
            extra = [] if trainer == "ppmi-svd" else shlex.split(a.set_args)
            for name, tree in trees:
                cache = tempfile.mkdtemp(prefix="cache-", dir=tmp)
                out = os.path.join(tmp, "v.txt")
                first, compile_s = run(tree, trainer, os.path.abspath(a.corpus), out, cache, extra)
                second, _ = run(tree, trainer, os.path.abspath(a.corpus), out, cache, extra)
                multi = ", ".join(f"{k} ({v})" for k, v in specialisations(cache).items()) or "none"
                print(f"| {trainer} | {name} | {first:.1f} | {compile_s if compile_s is not None else ''} | "
                      f"{second:.1f} | {multi} |", flush=True)


if __name__ == "__main__":
    main()
