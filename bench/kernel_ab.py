"""A/B of a trainer's kernel: this tree against a git revision, alternated runs, same results?

    python bench/kernel_ab.py CORPUS [--against REV] [--trainer word2vec|fasttext] [--model skipgram|cbow]
        [--threads 1] [--rounds 3] [--max-mb 25] [--set key=value ...]

Each round trains once with this checkout's ``embedkit`` and once with REV's (``git archive``
into a temporary folder), each in its own process, 1 epoch on the first ``--max-mb`` MB of
CORPUS (cut at a line end), seed 1, sample 1e-4. It prints the training seconds (``timings["train"]``:
no scan, no compile) of every run, the medians and best times, and whether the two trees'
vectors are bit-identical (md5 of the matrix; meaningful with ``--threads 1``). Without
``--against`` it times this tree alone (a parameter sweep: one call per ``--set``). The machine's
speed drifts: only the alternated pairs of one call compare.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile


def archive_tree(rev, dest):
    """REV's ``embedkit`` package (``git archive``) extracted into the new folder ``dest``, which is returned:
    put it first on PYTHONPATH to run that revision's code (also used by first_run.py and vocab.py)."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    os.makedirs(dest)
    archive = subprocess.run(["git", "-C", root, "archive", rev, "embedkit"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", dest], input=archive, check=True)
    return dest


def child(a):
    import numpy as np

    from embedkit.vocab import scan_corpus

    extra = {}
    for kv in a.set or []:
        k, v = kv.split("=", 1)
        try:
            extra[k] = ast.literal_eval(v)
        except (ValueError, SyntaxError):
            extra[k] = v
    data = scan_corpus(a.corpus, min_count=5)
    if a.trainer == "word2vec":
        from embedkit.word2vec import train_word2vec as train

        extra.setdefault("sample", 1e-4)
    else:
        from embedkit.fasttext import train_fasttext as train
    r = train(data, model=a.model, threads=a.threads, **{"epochs": 1, "seed": 1, **extra})
    m = np.ascontiguousarray(r.vectors.matrix)
    print(json.dumps({"train_s": r.timings["train"], "md5": hashlib.md5(m.tobytes()).hexdigest()}))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("corpus")
    p.add_argument("--against", help="git revision to compare with (none: this tree alone)")
    p.add_argument("--trainer", default="word2vec", choices=["word2vec", "fasttext"])
    p.add_argument("--model", default="skipgram", choices=["skipgram", "cbow"])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--max-mb", type=float, default=25.0, help="train on the first MB of the corpus (0: all)")
    p.add_argument("--set", action="append", help="another training parameter, key=value (repeatable)")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        return child(a)
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    with tempfile.TemporaryDirectory(prefix="bench-kernel-") as tmp:
        trees = [("this tree", os.path.abspath(root))]
        if a.against:
            trees.append((a.against, archive_tree(a.against, os.path.join(tmp, "tree"))))
        corpus = a.corpus
        if a.max_mb:
            corpus = os.path.join(tmp, "cut.txt")
            with open(a.corpus, "rb") as f, open(corpus, "wb") as g:
                g.write(f.read(int(a.max_mb * 1e6)) + f.readline())
        argv = [sys.executable, os.path.abspath(__file__), corpus, "--child",
                "--trainer", a.trainer, "--model", a.model, "--threads", str(a.threads)]
        for kv in a.set or []:
            argv += ["--set", kv]
        runs = {name: [] for name, _ in trees}
        for r in range(a.rounds):
            for name, path in trees:
                env = dict(os.environ, PYTHONPATH=path)
                out = subprocess.run(argv, env=env, check=True, capture_output=True, text=True).stdout
                runs[name].append(json.loads(out.strip().splitlines()[-1]))
                print(f"round {r + 1}: {name}: {runs[name][-1]['train_s']:.2f} s", file=sys.stderr, flush=True)
    med = {k: statistics.median(x["train_s"] for x in v) for k, v in runs.items()}
    best = {k: min(x["train_s"] for x in v) for k, v in runs.items()}
    print(f"{a.trainer} {a.model}, threads {a.threads}, {a.set or 'defaults'}, first {a.max_mb:g} MB of {a.corpus}")
    print("| tree | train s (every run) | median | best |\n|---|---|---:|---:|")
    for k, v in runs.items():
        each = ", ".join(f"{x['train_s']:.2f}" for x in v)
        print(f"| {k} | {each} | {med[k]:.2f} | {best[k]:.2f} |")
    if a.against:
        print(f"this tree / {a.against}: median {med['this tree'] / med[a.against]:.3f}, "
              f"best {best['this tree'] / best[a.against]:.3f}")
    same = len({x["md5"] for v in runs.values() for x in v}) == 1
    print(f"bit-identical vectors in every run: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
