"""Benchmark embedkit's GloVe against Stanford's GloVe C tools on the same corpus and settings.

usage: python bench/glove.py CORPUS [--threads 2] [--epochs 15] [--append bench/RESULTS.md]

Both read the same decompressed plain-text file (decompression timed apart, not counted).
embedkit runs in a child process that warms Numba up on a tiny corpus first (reported apart),
then times each stage: vocabulary scan + encoding, co-occurrence counting, building the
(row, col, log X, f(X)) records, the shuffle, training, saving the text vectors. GloVe C runs
vocab_count, cooccur, shuffle and glove as four processes (README settings, seeded). Peak RSS:
os.wait4 of each child (GloVe C: the largest of its four). Both outputs are scored by
embedkit.eval.evaluate.
"""

from __future__ import annotations

import argparse
import functools
import json
import lzma
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# ../shared beside the checkout (or beside the folder of worktrees holding it)
PEERS = next((p / "shared" / "peers" / "build.sh" for p in HERE.parents[1:3]
              if (p / "shared" / "peers" / "build.sh").exists()), HERE.parent.parent / "shared" / "peers" / "build.sh")
S = dict(min_count=5, window=10, dim=100, x_max=100.0, weight_power=0.75, learning_rate=0.05, seed=1)
KEYS = ("WS-353-ALL", "SIMLEX-999", "MEN-TR-3k", "google", "google_coverage")


def worker(corpus, threads, epochs, out):
    """The embedkit pipeline, stage by stage (the steps of train_glove / fit_entries), in this process."""
    import numpy as np

    from embedkit import glove as g
    from embedkit._util import numba_threads
    from embedkit.cooc import count_cooccurrences
    from embedkit.vectors import Vectors
    from embedkit.vocab import scan_corpus

    t = time.perf_counter()
    tiny = out + ".tiny.txt"
    Path(tiny).write_text("the cat sat on the mat\nthe dog sat on the log\n" * 20)
    g.train_glove(tiny, min_count=1, dim=4, epochs=1, threads=threads)  # compile (or cache load)
    times = {"warmup": time.perf_counter() - t}

    def stage(name, fn):
        t0 = time.perf_counter()
        r = fn()
        times[name] = time.perf_counter() - t0
        return r

    vocab, enc = stage("vocab", lambda: scan_corpus(corpus, min_count=S["min_count"]))
    cooc = stage("count", lambda: count_cooccurrences((vocab, enc), window=S["window"], weighting="harmonic",
                                                      threads=threads).matrix)
    nnz = cooc.nnz
    entries = stage("records", functools.partial(g.cooc_entries, cooc, x_max=S["x_max"],
                                                 weight_power=S["weight_power"], threads=threads))
    del cooc
    v = len(vocab)
    costs = []
    with numba_threads(threads):
        state = g.seed_states(S["seed"], 1)
        stage("shuffle", lambda: g._shuffle_rows(entries.view(np.uint64).reshape(-1, 2), state))
        t0 = time.perf_counter()
        params, gradsq = g.init_params(v, S["dim"], S["seed"])
        n_chunks = max(1, -(-len(entries) // g.CHUNK_ENTRIES))
        for _ in range(epochs):
            costs.append(g._adagrad_epoch(entries, params, gradsq, v, np.float32(S["learning_rate"]), n_chunks)
                         / len(entries))
        times["train"] = time.perf_counter() - t0
    vec = Vectors(vocab.words, params[:v, :S["dim"]] + params[v:, :S["dim"]], vocab.counts)
    stage("save", lambda: vec.save(out + ".txt", format="word2vec"))
    return dict(times=times, costs=costs, nnz=nnz, vocab=v, tokens=int(enc.n_tokens))


def run_embedkit(corpus, threads, epochs, out):
    cmd = [sys.executable, __file__, corpus, "--worker", out, "--threads", str(threads), "--epochs", str(epochs)]
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    stdout = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit("embedkit worker failed")
    r = json.loads(stdout.strip().splitlines()[-1])
    r["wall_child"] = time.perf_counter() - t0
    r["rss_mb"] = ru.ru_maxrss / 1024
    r["cpu_s"] = ru.ru_utime + ru.ru_stime
    return r


def run_c(bindir, plain, threads, epochs, tmp):
    def step(name, args, stdin, stdout):
        t0 = time.perf_counter()
        with open(stdin, "rb") as fi, open(stdout, "wb") as fo, open(tmp / f"{name}.log", "wb") as fe:
            p = subprocess.Popen([str(bindir / name), *args], stdin=fi, stdout=fo, stderr=fe, cwd=tmp)
            _, status, ru = os.wait4(p.pid, 0)
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"GloVe C {name} failed: {(tmp / f'{name}.log').read_text()[-500:]}")
        return time.perf_counter() - t0, ru.ru_maxrss / 1024, ru.ru_utime + ru.ru_stime

    res = {}
    res["vocab"] = step("vocab_count", ["-min-count", str(S["min_count"]), "-verbose", "0"], plain, tmp / "vocab.txt")
    res["count"] = step("cooccur", ["-memory", "4", "-vocab-file", "vocab.txt", "-window-size", str(S["window"]),
                                    "-verbose", "0"], plain, tmp / "cooc.bin")
    res["shuffle"] = step("shuffle", ["-memory", "4", "-seed", "1", "-verbose", "0"], tmp / "cooc.bin",
                          tmp / "cooc.shuf.bin")
    (tmp / "cooc.bin").unlink()
    res["train"] = step("glove", ["-save-file", "vectors", "-threads", str(threads), "-input-file", "cooc.shuf.bin",
                                  "-x-max", str(int(S["x_max"])), "-alpha", str(S["weight_power"]), "-eta",
                                  str(S["learning_rate"]), "-iter", str(epochs), "-vector-size", str(S["dim"]),
                                  "-binary", "0", "-write-header", "1", "-vocab-file", "vocab.txt", "-seed", "1",
                                  "-verbose", "2"], os.devnull, os.devnull)
    costs = [float(x.split("cost:")[1]) for x in (tmp / "glove.log").read_text().splitlines() if "cost:" in x]
    return res, costs


def score(path):
    import numpy as np

    from embedkit.eval import evaluate
    from embedkit.vectors import Vectors

    # GloVe C's header does not count its <unk> row, so parse by hand (and drop that row)
    words, rows = [], []
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            parts = line.rstrip("\n").split(" ")
            if parts[0] != "<unk>":
                words.append(parts[0])
                rows.append(np.array(parts[1:], dtype=np.float32))
    v = Vectors(words, np.vstack(rows))
    s = evaluate(v).summary()
    return {k: s[k] for k in KEYS}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--append", default=None, help="append the table to this markdown file")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(worker(a.corpus, a.threads, a.epochs, a.worker)))
        return

    tmp = Path(tempfile.mkdtemp(prefix="glovebench-"))
    try:
        plain = str(tmp / "corpus.txt")
        t = time.perf_counter()
        with (lzma.open(a.corpus, "rb") if a.corpus.endswith(".xz") else open(a.corpus, "rb")) as f, \
                open(plain, "wb") as g:
            shutil.copyfileobj(f, g, 1 << 22)
        print(f"decompressed in {time.perf_counter() - t:.1f}s", file=sys.stderr)
        bindir = Path(subprocess.run(["bash", str(PEERS)], capture_output=True, text=True,
                                     check=True).stdout.strip().splitlines()[-1])
        # a cold Numba compile, once, in a fresh cache folder
        env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp / "numba"))
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import sys; from embedkit.glove import train_glove;"
                        "open(sys.argv[1],'w').write('a b c a b c\\n' * 20);"
                        f"train_glove(sys.argv[1], min_count=1, dim=2, epochs=1, threads={a.threads})",
                        str(tmp / "tiny.txt")], env=env, check=True)
        compile_s = time.perf_counter() - t
        load0 = os.getloadavg()[0]
        ek = run_embedkit(plain, a.threads, a.epochs, str(tmp / "ek"))
        print("embedkit", json.dumps(ek), file=sys.stderr, flush=True)
        load1 = os.getloadavg()[0]
        cdir = tmp / "c"
        cdir.mkdir()
        c, c_costs = run_c(bindir, plain, a.threads, a.epochs, cdir)
        print("glove C", json.dumps(c), file=sys.stderr, flush=True)
        load2 = os.getloadavg()[0]
        sc_ek = score(str(tmp / "ek.txt"))
        sc_c = score(str(cdir / "vectors.txt"))

        et = ek["times"]
        ek_stages = {"vocab": et["vocab"], "count": et["count"], "shuffle": et["records"] + et["shuffle"],
                     "train": et["train"] + et["save"]}
        c_stages = {k: v[0] for k, v in c.items()}
        ek_total, c_total = sum(ek_stages.values()), sum(c_stages.values())
        c_rss = max(v[1] for v in c.values())
        rows = ["| stage | embedkit s | GloVe C s | time ratio (embedkit / C) |", "|---|---:|---:|---:|"]
        names = {"vocab": "vocabulary (scan+encode / vocab_count)", "count": "co-occurrence counting",
                 "shuffle": "records + shuffle / shuffle", "train": f"training, {a.epochs} epochs (+ save text)"}
        for k in ("vocab", "count", "shuffle", "train"):
            rows.append(f"| {names[k]} | {ek_stages[k]:.1f} | {c_stages[k]:.1f} | {ek_stages[k] / c_stages[k]:.2f} |")
        rows.append(f"| **end to end** | **{ek_total:.1f}** | **{c_total:.1f}** | **{ek_total / c_total:.2f}** "
                    f"(target <= 0.70) |")
        rows.append(f"| CPU s (user+sys) | {ek['cpu_s']:.1f} | {sum(v[2] for v in c.values()):.1f} | |")
        rows.append(f"| peak RSS MB | {ek['rss_mb']:.0f} | {c_rss:.0f} (per stage: "
                    + ", ".join(f"{k} {v[1]:.0f}" for k, v in c.items()) + f") | {ek['rss_mb'] / c_rss:.2f} "
                    "(target <= 1) |")
        for k in KEYS:
            d = sc_ek[k] - sc_c[k]
            if k == "google":
                tgt = "target >= -1.5 pt: " + ("met" if 100 * d >= -1.5 else "MISSED")
                rows.append(f"| {k} (%) | {100 * sc_ek[k]:.2f} | {100 * sc_c[k]:.2f} | {100 * d:+.2f} pt ({tgt}) |")
            elif k == "google_coverage":
                rows.append(f"| {k} | {sc_ek[k]:.3f} | {sc_c[k]:.3f} | |")
            else:
                tgt = "target >= -0.02: " + ("met" if d >= -0.02 else "MISSED")
                rows.append(f"| {k} rho | {sc_ek[k]:.4f} | {sc_c[k]:.4f} | {d:+.4f} ({tgt}) |")
        head = (f"corpus {a.corpus} ({ek['tokens']:,} in-vocabulary tokens, vocab {ek['vocab']:,}, "
                f"{ek['nnz']:,} non-zeros), min_count 5, window 10 (1/d, symmetric), dim 100, x_max 100, "
                f"alpha 0.75, lr 0.05, {a.epochs} epochs, {a.threads} threads, W + W~; "
                f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared; load average "
                f"{load0:.1f} / {load1:.1f} / {load2:.1f} at start / after embedkit / after GloVe C). "
                f"Cold Numba compile (fresh cache): {compile_s:.1f}s; warm-up in the child (cache load, not "
                f"counted): {et['warmup']:.1f}s; decompression not counted (both read the same plain file).")
        text = head + "\n\n" + "\n".join(rows) + "\n\n"
        text += ("embedkit stage detail s: " + ", ".join(f"{k} {v:.1f}" for k, v in et.items()) + "\n\n")
        text += "embedkit cost per epoch: " + " ".join(f"{x:.5f}" for x in ek["costs"]) + "\n\n"
        text += "GloVe C cost per epoch: " + " ".join(f"{x:.5f}" for x in c_costs) + "\n"
        print(text)
        if a.append:
            cmd = "python bench/glove.py " + " ".join(sys.argv[1:])
            with open(a.append, "a") as f:
                f.write(f"\n### run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n\n`{cmd}`\n\n{text}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
