"""Benchmark: embedkit PPMI+SVD against a plain NumPy/SciPy version of the same recipe.

Usage::

    python bench/ppmi_svd.py CORPUS [--threads 2] [--dim 100 --window 5 --min-count 5
                                      --cds 0.75 --eig 0.5 --n-iter 4 --seed 1]

Each pipeline runs in its own subprocess (so each peak RSS is its own, read with
``resource.getrusage(RUSAGE_SELF)`` in the child) with ``threads`` Numba and BLAS threads:

* embedkit, stage by stage: ``vocab.scan_corpus`` (vocab + encode, one pass),
  ``cooc.count_cooccurrences`` (uniform window), ``ppmi_svd.ppmi_matrix``,
  ``ppmi_svd.randomized_svd``, then U * S**eig. Numba is warmed up first on a tiny corpus
  (compile or cache load), timed separately and left out of the end-to-end time.
* reference: read the whole text, ``str.split``, ``collections.Counter``, min_count filter,
  ids, co-occurrences summed with ``scipy.sparse.coo_matrix`` per window offset (±1..window,
  both orders, uniform weights, within lines, out-of-vocabulary tokens dropped first as
  embedkit does), PPMI on the non-zeros (cds), ``sklearn.utils.extmath.randomized_svd``
  (n_components=dim, random_state=0, its default n_iter), U * S**eig.

The parent process scores both sets of vectors with the same code (``embedkit.eval`` when it
exists, else the small scorer below) and prints a markdown table with ratios and targets.
"""

from __future__ import annotations

import argparse
import collections
import json
import lzma
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # import this checkout's embedkit, installed or not
EVAL_DIR = ROOT.parent / "shared" / "data" / "eval"
SIM_SETS = ("WS-353-ALL", "SIMLEX-999", "MEN-TR-3k")


# ------------------------------------------------------------------ children
def _self_usage():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {"peak_rss_mb": ru.ru_maxrss / 1024, "cpu_s": ru.ru_utime + ru.ru_stime}


def _save(out, name, words, vectors, info):
    np.save(os.path.join(out, f"{name}.npy"), np.ascontiguousarray(vectors, dtype=np.float32))
    with open(os.path.join(out, f"{name}.words"), "w", encoding="utf-8") as f:
        f.write("\n".join(words) + "\n")
    info.update(_self_usage())
    with open(os.path.join(out, f"{name}.json"), "w") as f:
        json.dump(info, f)


def child_embedkit(a):
    from embedkit.cooc import count_cooccurrences
    from embedkit.ppmi_svd import ppmi_matrix, randomized_svd
    from embedkit.vocab import scan_corpus

    def pipeline(corpus, dim, min_count, times):
        t = time.perf_counter()
        vocab, enc = scan_corpus(corpus, min_count=min_count)
        times["vocab+encode"] = time.perf_counter() - t
        t = time.perf_counter()
        cooc = count_cooccurrences((vocab, enc), window=a.window, weighting="uniform", threads=a.threads).matrix
        times["count"] = time.perf_counter() - t
        t = time.perf_counter()
        pmi = ppmi_matrix(cooc, cds=a.cds, threads=a.threads)
        times["ppmi"] = time.perf_counter() - t
        t = time.perf_counter()
        u, s, _ = randomized_svd(pmi, dim, n_iter=a.n_iter, seed=a.seed, threads=a.threads)
        times["svd"] = time.perf_counter() - t
        t = time.perf_counter()
        w = np.ascontiguousarray(u * (s ** a.eig).astype(np.float32), dtype=np.float32)
        times["vectors"] = time.perf_counter() - t
        sizes = {"vocab": len(vocab), "tokens": enc.n_tokens, "cooc_nnz": cooc.nnz, "ppmi_nnz": pmi.nnz}
        return vocab.words, w, sizes

    # warm-up: a tiny corpus through every kernel (compiles, or loads Numba's on-disk cache)
    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.default_rng(0)
        tiny = os.path.join(tmp, "tiny.txt")
        words = [f"w{i}" for i in range(40)]
        with open(tiny, "w") as f:
            for _ in range(50):
                f.write(" ".join(rng.choice(words, 30)) + "\n")
        t = time.perf_counter()
        pipeline(tiny, 5, 1, {})
        warm = time.perf_counter() - t
    times = {}
    t = time.perf_counter()
    words, w, sizes = pipeline(a.corpus, a.dim, a.min_count, times)
    times["total"] = time.perf_counter() - t
    _save(a.out, "embedkit", words, w, {"times": times, "warmup_s": warm, **sizes})


def child_reference(a):
    import scipy.sparse as sp
    from sklearn.utils.extmath import randomized_svd

    times = {}
    t0 = t = time.perf_counter()
    opener = lzma.open if a.corpus.endswith(".xz") else open
    with opener(a.corpus, "rt", encoding="utf-8") as f:
        text = f.read()
    times["read"] = time.perf_counter() - t

    t = time.perf_counter()
    counts = collections.Counter(text.split())
    kept = sorted((w for w, c in counts.items() if c >= a.min_count), key=lambda w: (-counts[w], w))
    w2i = {w: i for i, w in enumerate(kept)}
    V = len(kept)
    times["vocab"] = time.perf_counter() - t

    t = time.perf_counter()
    ids, sid = [], []
    for n, line in enumerate(text.split("\n")):
        row = [w2i[w] for w in line.split() if w in w2i]
        ids.append(np.array(row, dtype=np.int32))
        sid.append(np.full(len(row), n, dtype=np.int32))
    del text
    ids, sid = np.concatenate(ids), np.concatenate(sid)
    times["encode"] = time.perf_counter() - t

    t = time.perf_counter()
    X = sp.csr_matrix((V, V), dtype=np.float32)
    for d in range(1, a.window + 1):
        same = sid[:-d] == sid[d:]
        r, c = ids[:-d][same], ids[d:][same]
        X = X + sp.coo_matrix((np.ones(len(r), np.float32), (r, c)), shape=(V, V)).tocsr()
    X = X + X.T  # both orders
    X = X.tocsr()
    times["count"] = time.perf_counter() - t
    n_tokens = len(ids)
    del ids, sid

    t = time.perf_counter()
    C = X.tocoo()
    row = np.asarray(X.sum(axis=1)).ravel().astype(np.float64)
    ctx = np.asarray(X.sum(axis=0)).ravel().astype(np.float64) ** a.cds
    pmi = np.log(C.data) - np.log(row[C.row]) - np.log(ctx[C.col] / ctx.sum())
    pos = pmi > 0
    M = sp.csr_matrix((pmi[pos].astype(np.float32), (C.row[pos], C.col[pos])), shape=(V, V))
    cooc_nnz = X.nnz
    del C, X, pmi, pos
    times["ppmi"] = time.perf_counter() - t

    t = time.perf_counter()
    u, s, _ = randomized_svd(M, n_components=a.dim, random_state=0)
    times["svd"] = time.perf_counter() - t
    t = time.perf_counter()
    w = (u * s ** a.eig).astype(np.float32)
    times["vectors"] = time.perf_counter() - t
    times["total"] = time.perf_counter() - t0
    _save(a.out, "reference", kept, w, {"times": times, "vocab": V, "tokens": n_tokens, "cooc_nnz": cooc_nnz,
                                        "ppmi_nnz": M.nnz})


# ------------------------------------------------------------------ scoring
def score_local(words, matrix, restrict=30000):
    """Spearman on the similarity sets (covered pairs), Google 3CosAdd in the top ``restrict`` words."""
    from scipy.stats import spearmanr

    m = matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
    w2i = {}
    for i, w in enumerate(words):
        w2i.setdefault(w.lower(), i)
    out = {}
    for name in SIM_SETS:
        gold, pred, total = [], [], 0
        for line in open(EVAL_DIR / "sim" / f"{name}.tsv", encoding="utf-8"):
            p = line.split()
            if len(p) != 3:
                continue
            total += 1
            a, b = w2i.get(p[0].lower()), w2i.get(p[1].lower())
            if a is not None and b is not None:
                gold.append(float(p[2]))
                pred.append(float(m[a] @ m[b]))
        out[name] = float(spearmanr(gold, pred)[0]) if len(gold) > 1 else float("nan")
        out[name + "_coverage"] = len(gold) / total
    top = {w.lower(): i for i, w in reversed(list(enumerate(words[:restrict])))}
    qs, total = [], 0
    for line in open(EVAL_DIR / "analogy" / "google.txt", encoding="utf-8"):
        p = line.lower().split()
        if len(p) != 4 or line.startswith(":"):
            continue
        total += 1
        if all(x in top for x in p):
            qs.append([top[x] for x in p])
    qs = np.array(qs, dtype=np.int64).reshape(-1, 4)
    mt = m[:restrict]
    correct = 0
    for s in range(0, len(qs), 2000):
        q = qs[s:s + 2000]
        sims = (mt[q[:, 1]] - mt[q[:, 0]] + mt[q[:, 2]]) @ mt.T
        r = np.arange(len(q))
        for k in range(3):
            sims[r, q[:, k]] = -np.inf
        correct += int((sims.argmax(axis=1) == q[:, 3]).sum())
    out["google"] = correct / max(len(qs), 1)
    out["google_coverage"] = len(qs) / total
    return out


def score(words, matrix):
    """(scores, scorer name): embedkit.eval when it is importable and works, else score_local."""
    try:
        from embedkit.eval import evaluate
        from embedkit.vectors import Vectors
    except ImportError:
        return score_local(words, matrix), "local scorer (bench/ppmi_svd.py; embedkit.eval absent)"
    try:
        summ = evaluate(Vectors(list(words), np.ascontiguousarray(matrix, dtype=np.float32))).summary()
        return {k: float(v) for k, v in summ.items() if isinstance(v, (int, float))}, "embedkit.eval.evaluate"
    except Exception as e:  # a half-finished eval module must not lose a finished benchmark
        print(f"warning: embedkit.eval failed ({type(e).__name__}: {e}); using the local scorer", file=sys.stderr)
        return score_local(words, matrix), "local scorer (embedkit.eval failed)"


# ------------------------------------------------------------------ parent
def run_child(name, a, out):
    env = dict(os.environ)
    for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(a.threads)
    argv = [sys.executable, os.path.abspath(__file__), a.corpus, "--threads", str(a.threads), "--dim", str(a.dim),
            "--window", str(a.window), "--min-count", str(a.min_count), "--cds", str(a.cds), "--eig", str(a.eig),
            "--n-iter", str(a.n_iter), "--seed", str(a.seed), "--child", name, "--out", out]
    t = time.perf_counter()
    subprocess.run(argv, env=env, check=True)
    wall = time.perf_counter() - t
    with open(os.path.join(out, f"{name}.json")) as f:
        info = json.load(f)
    info["process_wall_s"] = wall
    words = open(os.path.join(out, f"{name}.words"), encoding="utf-8").read().split("\n")[:-1]
    return info, words, np.load(os.path.join(out, f"{name}.npy"))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("corpus")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--cds", type=float, default=0.75)
    p.add_argument("--eig", type=float, default=0.5)
    p.add_argument("--n-iter", type=int, default=4, help="embedkit's power iterations (sklearn keeps its default)")
    p.add_argument("--seed", type=int, default=1, help="embedkit's SVD seed (sklearn: random_state=0)")
    p.add_argument("--child", choices=("embedkit", "reference"), help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        (child_embedkit if a.child == "embedkit" else child_reference)(a)
        return

    with tempfile.TemporaryDirectory(prefix="bench-ppmi-") as out:
        res = {}
        for name in ("embedkit", "reference"):
            print(f"running {name} ...", file=sys.stderr, flush=True)
            res[name] = run_child(name, a, out)
        scores, scorer = {}, None
        for name, (_, words, mat) in res.items():
            t = time.perf_counter()
            scores[name], scorer = score(words, mat)
            print(f"scored {name} in {time.perf_counter() - t:.1f} s", file=sys.stderr)

    ek, ref = res["embedkit"][0], res["reference"][0]
    et, rt = ek["times"], ref["times"]
    f = lambda x: f"{x:.1f}"  # noqa: E731
    lines = [
        f"threads {a.threads}; dim {a.dim}, window {a.window}, min_count {a.min_count}, cds {a.cds}, "
        f"eig {a.eig}; embedkit n_iter {a.n_iter} seed {a.seed}; sklearn randomized_svd defaults, random_state=0",
        "",
        f"embedkit Numba warm-up (compile or cache load, tiny corpus, not in totals): {ek['warmup_s']:.1f} s",
        "",
        "| stage | embedkit (s) | reference (s) | speed x (ref/embedkit) |",
        "|---|---:|---:|---:|",
        f"| read text | (streamed in vocab+encode) | {f(rt['read'])} | |",
        f"| vocab + encode | {f(et['vocab+encode'])} | {f(rt['vocab'] + rt['encode'])} "
        f"(vocab {f(rt['vocab'])}, encode {f(rt['encode'])}) | "
        f"{(rt['read'] + rt['vocab'] + rt['encode']) / et['vocab+encode']:.2f} (ref incl. read) |",
    ]
    for st in ("count", "ppmi", "svd", "vectors"):
        lines.append(f"| {st} | {et[st]:.2f} | {rt[st]:.2f} | {rt[st] / max(et[st], 1e-9):.2f} |")
    lines += [
        f"| **total (end to end)** | **{f(et['total'])}** | **{f(rt['total'])}** | "
        f"**{rt['total'] / et['total']:.2f}** (target >= 3) |",
        f"| CPU time, whole child (s) | {f(ek['cpu_s'])} | {f(ref['cpu_s'])} | |",
        f"| child wall incl. imports{' + warm-up' } (s) | {f(ek['process_wall_s'])} | {f(ref['process_wall_s'])} | |",
        "",
        "| | embedkit | reference | ratio / difference | target |",
        "|---|---:|---:|---:|---|",
        f"| peak RSS (MB) | {ek['peak_rss_mb']:.0f} | {ref['peak_rss_mb']:.0f} | "
        f"{ref['peak_rss_mb'] / ek['peak_rss_mb']:.2f} x (ref/embedkit) | lower: "
        f"{'met' if ek['peak_rss_mb'] < ref['peak_rss_mb'] else 'MISSED'} |",
    ]
    for k in (*SIM_SETS, "google"):
        d = scores["embedkit"][k] - scores["reference"][k]
        lines.append(f"| {k} | {scores['embedkit'][k]:.3f} | {scores['reference'][k]:.3f} | {d:+.3f} | "
                     f">= -0.01: {'met' if d >= -0.01 else 'MISSED'} |")
    for k in ("google_coverage",):
        lines.append(f"| {k} | {scores['embedkit'][k]:.3f} | {scores['reference'][k]:.3f} | | |")
    for k in ("vocab", "tokens", "cooc_nnz", "ppmi_nnz"):
        lines.append(f"| {k} | {ek[k]:,} | {ref[k]:,} | | |")
    speed = rt["total"] / et["total"]
    lines += ["", f"scores: {scorer}; speed target (>= 3x): {'met' if speed >= 3 else 'MISSED'} ({speed:.2f}x)"]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
