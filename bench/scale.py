"""Bounded-memory co-occurrence counting on a growing corpus (issue 7), with GloVe C's `cooccur -memory`.

    python bench/scale.py ../shared/data/wiki17m.txt.xz [--copies 10] [--points 1,5,10] [--memory 1G] [--threads 2]

Builds corpora of 1..copies concatenated copies of CORPUS (decompressed) in a temporary folder
(removed at the end; never committed). Each measurement runs in its own child process, so the
peak RSS of one (``ru_maxrss`` from ``os.wait4``) is its own:

- ``ppmi``: scan + count (window 5, uniform) within ``--memory``, spilled and merged on disk,
  at every point (time per 100M tokens shows whether it is linear);
- ``glove``: the same for GloVe counting (window 10, harmonic) on the largest corpus;
- ``ppmi-unbounded``: scan + in-memory ``count_cooccurrences`` + np.save, on the largest corpus;
- ``cooccur -memory`` (GloVe C, from ../shared/peers): vocab_count + cooccur, window 10, largest corpus.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- child: one measurement
def child(mode, corpus, work, memory, threads, min_count):
    import numpy as np

    from embedkit.cooc import _store as cooc_store
    from embedkit.cooc import count_cooccurrences
    from embedkit.vocab import scan_corpus

    window, weighting = (10, "harmonic") if mode == "glove" else (5, "uniform")
    t = {}
    t0 = time.perf_counter()
    out = os.path.join(work, "cooc")
    if mode == "ppmi-unbounded":
        vocab, enc = scan_corpus(corpus, min_count=min_count, cache_dir=os.path.join(work, "enc"))
        t["scan"] = time.perf_counter() - t0
        m = count_cooccurrences((vocab, enc), window=window, weighting=weighting, threads=threads).matrix
        t["count"] = time.perf_counter() - t0 - t["scan"]
        os.makedirs(out)
        for name in ("indptr", "indices", "data"):
            np.save(os.path.join(out, name + ".npy"), getattr(m, name))
        t["write"] = time.perf_counter() - t0 - t["scan"] - t["count"]
        nnz, spill, ids_bytes = m.nnz, 0, os.path.getsize(enc.ids.filename)
    else:
        with cooc_store.spill_folder(work) as spill_dir:
            vocab, enc = scan_corpus(corpus, min_count=min_count, cache_dir=os.path.join(spill_dir, "enc"))
            t["scan"] = time.perf_counter() - t0
            runs = cooc_store.spill_runs(enc, spill_dir, memory=memory, window=window, weighting=weighting,
                                         threads=threads)
            t["count+spill"] = time.perf_counter() - t0 - t["scan"]
            spill, ids_bytes = cooc_store.spill_bytes(runs), os.path.getsize(enc.ids.filename)
            params = {"window": window, "weighting": weighting, "dynamic_window": False, "sample": 0.0,
                      "min_count": min_count, "max_vocab": None, "lowercase": False, "seed": 1}
            cooc_store.write_store(out, runs, vocab, memory=memory, params=params, info={"tokens": enc.n_tokens},
                                   threads=threads)
            t["merge"] = time.perf_counter() - t0 - t["scan"] - t["count+spill"]
        nnz = json.load(open(os.path.join(out, "meta.json")))["nnz"]
        n_runs = len(runs)
    t["total"] = time.perf_counter() - t0
    print(json.dumps({"times": t, "tokens": int(enc.n_tokens), "vocab": len(vocab), "nnz": int(nnz),
                      "spill_bytes": int(spill), "ids_bytes": int(ids_bytes),
                      "runs": n_runs if mode != "ppmi-unbounded" else 0}))


def run_child(args, env=None, stdin=None, stdout=subprocess.PIPE, cwd=None):
    """Run a child process; returns (stdout text, wall seconds, peak RSS MB of that child alone)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(args, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, env=env, cwd=cwd)
    out = p.stdout.read() if stdout is subprocess.PIPE else b""
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        sys.exit(f"child failed: {' '.join(map(str, args))}\n{err.decode()[-2000:]}")
    return (out.decode() if out else ""), wall, usage.ru_maxrss / 1024


def build_corpora(src, folder, points):
    base = os.path.join(folder, "x1.txt")
    t0 = time.perf_counter()
    with lzma.open(src) if str(src).endswith(".xz") else open(src, "rb") as f, open(base, "wb") as out:
        shutil.copyfileobj(f, out, 1 << 24)
    paths = {}
    for k in points:
        p = os.path.join(folder, f"x{k}.txt")
        if k > 1:
            with open(p, "wb") as out:
                for _ in range(k):
                    with open(base, "rb") as f:
                        shutil.copyfileobj(f, out, 1 << 24)
        paths[k] = p
    return paths, time.perf_counter() - t0


def du(path):
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    ap.add_argument("--copies", type=int, default=10)
    ap.add_argument("--points", default="1,5,10", help="corpus sizes, in copies, for the ppmi counting series")
    ap.add_argument("--memory", default="1G")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--skip", default="", help="comma-separated of: glove, unbounded, peer")
    ap.add_argument("--tmp", default=None, help="work folder parent (default: system temp)")
    ap.add_argument("--child", nargs=2, metavar=("MODE", "CORPUS"), help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    ap.add_argument("--min-count", type=int, default=5, help="min_count of one copy (times copies for k copies)")
    a = ap.parse_args()
    from embedkit.cooc import parse_memory

    memory = parse_memory(a.memory)
    if a.child:
        return child(a.child[0], a.child[1], a.work, memory, a.threads, a.min_count)

    points = sorted({int(x) for x in a.points.split(",")} | {a.copies})
    skip = set(filter(None, a.skip.split(",")))
    env = {**os.environ, "NUMBA_NUM_THREADS": str(a.threads), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    work = tempfile.mkdtemp(prefix="embedkit-scale-", dir=a.tmp)
    rows, extra = [], []
    try:
        # warm-up: compile or load the Numba kernels on a tiny corpus, outside the measurements
        tiny = os.path.join(work, "tiny.txt")
        Path(tiny).write_text("a b c d e a b c\n" * 50)
        out, wall, _ = run_child([sys.executable, __file__, "x", "--child", "ppmi", tiny, "--work",
                                  tempfile.mkdtemp(dir=work), "--memory", a.memory], env)
        out, wall2, _ = run_child([sys.executable, __file__, "x", "--child", "glove", tiny, "--work",
                                   tempfile.mkdtemp(dir=work), "--memory", a.memory], env)
        extra.append(f"Numba warm-up (compile or cache load, tiny corpus, not in the table): {wall + wall2:.1f} s")
        corpora, build_s = build_corpora(a.corpus, work, points)
        extra.append(f"corpora built (decompress + concatenate) in {build_s:.0f} s, not counted")

        def measure(mode, k):
            w = tempfile.mkdtemp(dir=work)
            out, wall, rss = run_child([sys.executable, __file__, "x", "--child", mode, corpora[k], "--work", w,
                                        "--memory", a.memory, "--threads", str(a.threads),
                                        "--min-count", str(a.min_count * k)], env)
            r = json.loads(out.strip().splitlines()[-1])
            r.update(mode=mode, copies=k, wall=wall, rss=rss, out_bytes=du(os.path.join(w, "cooc")))
            shutil.rmtree(w, ignore_errors=True)
            print(json.dumps(r), file=sys.stderr, flush=True)
            rows.append(r)

        for k in points:
            measure("ppmi", k)
        if "glove" not in skip:
            measure("glove", a.copies)
        if "unbounded" not in skip:
            measure("ppmi-unbounded", a.copies)
        peer = None
        if "peer" not in skip:
            peer = run_peer(corpora[a.copies], work, a.memory, a.min_count * a.copies)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report(a, rows, peer, extra)


def run_peer(corpus, work, memory, min_count):
    """GloVe C: vocab_count -min-count M, then cooccur -memory M -window-size 10 (overflow files in a temp dir)."""
    try:
        bindir = subprocess.run(["bash", str(ROOT.parent / "shared" / "peers" / "build.sh")], capture_output=True,
                                text=True, check=True).stdout.strip().splitlines()[-1]
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"peers unavailable: {e}", file=sys.stderr)
        return None
    gb = f"{parse_gb(memory):g}"
    w = tempfile.mkdtemp(dir=work)
    vocab = os.path.join(w, "vocab.txt")
    with open(corpus, "rb") as fin, open(vocab, "wb") as fout:
        _, t_vocab, rss_vocab = run_child([os.path.join(bindir, "vocab_count"), "-min-count", str(min_count), "-verbose", "0"],
                                          stdin=fin, stdout=fout)
    out_path = os.path.join(w, "cooc.bin")
    with open(corpus, "rb") as fin, open(out_path, "wb") as fout:
        _, t_cooc, rss_cooc = run_child([os.path.join(bindir, "cooccur"), "-memory", gb, "-vocab-file", vocab,
                                         "-window-size", "10", "-verbose", "0"], stdin=fin, stdout=fout, cwd=w)
    r = dict(vocab_s=t_vocab, vocab_rss=rss_vocab, cooc_s=t_cooc, cooc_rss=rss_cooc,
             out_bytes=os.path.getsize(out_path), nnz=os.path.getsize(out_path) // 16, memory=gb)
    print(json.dumps(r), file=sys.stderr, flush=True)
    shutil.rmtree(w, ignore_errors=True)
    return r


def parse_gb(text):
    from embedkit.cooc import parse_memory

    return parse_memory(text) / (1 << 30)


def report(a, rows, peer, extra):
    mb = 1 << 20
    lines = [f"threads {a.threads}; --memory {a.memory}; corpus = {a.corpus} concatenated 1..{a.copies} times; "
             f"min_count {a.min_count} x copies (the same vocabulary at every size); each row one child process", ""] + [f"- {e}" for e in extra] + [""]
    lines += ["| run | copies | tokens (M) | vocab | nnz (M) | scan (s) | count+spill (s) | merge (s) | total (s) "
              "| s per 100M tok | peak RSS (MB) | runs | spill (MB) | encoded ids (MB) | output (MB) |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        t = r["times"]
        count = t.get("count+spill", t.get("count", 0))
        merge = t.get("merge", t.get("write", 0))
        lines.append(f"| {r['mode']} | {r['copies']} | {r['tokens'] / 1e6:.1f} | {r['vocab']:,} | {r['nnz'] / 1e6:.1f} "
                     f"| {t['scan']:.1f} | {count:.1f} | {merge:.1f} | {r['wall']:.1f} "
                     f"| {r['wall'] / r['tokens'] * 1e8:.1f} | {r['rss']:.0f} | {r['runs']} "
                     f"| {r['spill_bytes'] / mb:.0f} | {r['ids_bytes'] / mb:.0f} | {r['out_bytes'] / mb:.0f} |")
    series = [r for r in rows if r["mode"] == "ppmi"]
    if len(series) >= 2:
        per = [r["wall"] / r["tokens"] * 1e8 for r in series]
        lines += ["", f"time per 100M tokens, ppmi counting series: {', '.join(f'{p:.1f}' for p in per)} s; "
                      f"largest / smallest = {per[-1] / per[0]:.2f} (target: within 1.20)"]
    bounded = [r for r in rows if r["mode"] != "ppmi-unbounded"]
    if bounded:
        worst = max(r["rss"] for r in bounded)
        lines.append(f"peak RSS with --memory {a.memory}: {worst:.0f} MB (target < 1600 MB)")
    if peer:
        big = [r for r in rows if r["mode"] == "glove"]
        lines += ["", f"GloVe C on the largest corpus: vocab_count {peer['vocab_s']:.1f} s "
                      f"({peer['vocab_rss']:.0f} MB), cooccur -memory {peer['memory']} -window-size 10 "
                      f"{peer['cooc_s']:.1f} s ({peer['cooc_rss']:.0f} MB peak RSS), output {peer['out_bytes'] / mb:.0f} MB "
                      f"({peer['nnz'] / 1e6:.1f}M records; its overflow files are removed as it merges)"]
        if big:
            g = big[0]
            ours = g["wall"]
            theirs = peer["vocab_s"] + peer["cooc_s"]
            lines.append(f"embedkit glove counting (scan + count + merge) {ours:.1f} s vs GloVe C (vocab_count + "
                         f"cooccur) {theirs:.1f} s: {theirs / ours:.2f} x; peak RSS {g['rss']:.0f} vs "
                         f"{max(peer['vocab_rss'], peer['cooc_rss']):.0f} MB")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
