"""Benchmark: loading a large word2vec file, embedkit ``Vectors.load`` vs gensim ``load_word2vec_format``.

Usage::

    python bench/vectors.py [--words 400000] [--dim 300] [--dir /tmp/embedkit-bench-vectors]

Generates (once, cached in --dir) a word2vec text file (``%.6f`` values, as word2vec.c and
GloVe write them) and a word2vec binary file of random float32 vectors, then loads each file
with both tools, each load in its own subprocess (peak RSS from ``getrusage(RUSAGE_SELF)`` in
the child: VmHWM, since Linux carries ru_maxrss over fork+exec). embedkit first loads a tiny file to compile (or load from cache) its Numba parser;
that warm-up is reported apart. The parent checks that both tools got identical words and
bit-identical matrices (SHA-1 of the float32 bytes).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np


def generate(a):
    os.makedirs(a.dir, exist_ok=True)
    base = os.path.join(a.dir, f"v{a.words}x{a.dim}")
    paths = {"text": base + ".txt", "binary": base + ".bin"}
    if all(os.path.exists(p) for p in paths.values()):
        return paths, None
    from embedkit.vectors import Vectors

    t = time.perf_counter()
    rng = np.random.default_rng(0)
    m = (0.1 * rng.standard_normal((a.words, a.dim))).astype(np.float32)
    words = [f"w{i}" if i % 7 else f"wörd{i}" for i in range(a.words)]
    Vectors(words, m).save(paths["binary"], format="word2vec-binary")
    row = " ".join(["%.6f"] * a.dim)
    with open(paths["text"] + ".tmp", "w", encoding="utf-8") as f:
        f.write(f"{a.words} {a.dim}\n")
        for s in range(0, a.words, 4096):
            block = m[s:s + 4096].astype(np.float64).tolist()
            f.write("".join(w + " " + row % tuple(r) + "\n" for w, r in zip(words[s:s + 4096], block)))
    os.replace(paths["text"] + ".tmp", paths["text"])
    return paths, time.perf_counter() - t


def _vm_hwm_mb(ru):
    """Peak RSS of this process. Linux keeps ru_maxrss across fork+exec (a child would report
    the parent's peak), so read VmHWM, which starts afresh at exec; ru_maxrss elsewhere."""
    try:
        with open("/proc/self/status") as f:
            return next(int(ln.split()[1]) for ln in f if ln.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return ru.ru_maxrss / 1024


def child(tool, kind, path):
    info = {}
    if tool == "embedkit":
        from embedkit.vectors import Vectors

        with tempfile.TemporaryDirectory() as tmp:  # Numba warm-up: compile or cache load
            tiny = os.path.join(tmp, "tiny.txt" if kind == "text" else "tiny.bin")
            Vectors(["a", "b"], np.eye(2)).save(tiny)  # the suffix means the format
            t = time.perf_counter()
            Vectors.load(tiny)
            info["warmup_s"] = time.perf_counter() - t
        t = time.perf_counter()
        v = Vectors.load(path)
        info["load_s"] = time.perf_counter() - t
        words, matrix = v.words, v.matrix
    else:
        from gensim.models import KeyedVectors

        t = time.perf_counter()
        kv = KeyedVectors.load_word2vec_format(path, binary=kind == "binary")
        info["load_s"] = time.perf_counter() - t
        words, matrix = kv.index_to_key, kv.vectors
    ru = resource.getrusage(resource.RUSAGE_SELF)
    info.update(peak_rss_mb=_vm_hwm_mb(ru), cpu_s=ru.ru_utime + ru.ru_stime,
                shape=list(matrix.shape),
                words_sha1=hashlib.sha1("\n".join(words).encode()).hexdigest(),
                matrix_sha1=hashlib.sha1(np.ascontiguousarray(matrix, dtype=np.float32).tobytes()).hexdigest())
    print(json.dumps(info))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=int, default=400_000)
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "embedkit-bench-vectors"))
    ap.add_argument("--child", nargs=3, metavar=("TOOL", "KIND", "PATH"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return child(*a.child)
    paths, gen_s = generate(a)
    print(f"files: {a.words} x {a.dim}; " + ", ".join(f"{k} {os.path.getsize(p) / 1e6:.0f} MB" for k, p in paths.items())
          + (f"; generated in {gen_s:.1f} s" if gen_s else " (cached)"))
    results = {}
    for kind in ("binary", "text"):
        for tool in ("embedkit", "gensim"):
            out = subprocess.run([sys.executable, __file__, "--child", tool, kind, paths[kind]],
                                 capture_output=True, text=True, check=True)
            results[kind, tool] = json.loads(out.stdout.strip().splitlines()[-1])
            print(kind, tool, results[kind, tool], flush=True)
    print()
    print("| file | embedkit load (s) | gensim load (s) | speed x (gensim/embedkit) | embedkit RSS (MB) "
          "| gensim RSS (MB) | identical |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for kind in ("binary", "text"):
        e, g = results[kind, "embedkit"], results[kind, "gensim"]
        same = e["words_sha1"] == g["words_sha1"] and e["matrix_sha1"] == g["matrix_sha1"]
        print(f"| word2vec {kind} ({os.path.getsize(paths[kind]) / 1e6:.0f} MB) | {e['load_s']:.2f} | "
              f"{g['load_s']:.2f} | {g['load_s'] / e['load_s']:.1f} | {e['peak_rss_mb']:.0f} | "
              f"{g['peak_rss_mb']:.0f} | {'yes' if same else 'NO'} |")
    print()
    print("CPU s (user+sys, whole child): " + ", ".join(f"{k} {t} {results[k, t]['cpu_s']:.1f}"
                                                      for k in ("binary", "text") for t in ("embedkit", "gensim")))
    print("embedkit Numba warm-up (not in the load times): "
          + ", ".join(f"{k} {results[k, 'embedkit']['warmup_s']:.2f} s" for k in ("binary", "text")))


if __name__ == "__main__":
    main()
