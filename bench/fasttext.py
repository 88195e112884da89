"""Benchmark embedkit's fastText against the fastText tool (the `fasttext` package) and gensim's FastText.

usage: python bench/fasttext.py CORPUS [--threads 2] [--epochs 5] [--max-tokens N] [--models skipgram,cbow]
                                [--tools embedkit,fasttext,gensim] [--update window] [--append FILE]

fastText's own settings for every tool: dim 100, ws 5, neg 5, minCount 5, t 1e-4, minn 3,
maxn 6, bucket 2,000,000, lr 0.05 falling to 0. Every run is a separate process (peak RSS:
the child's VmHWM), back to back per model so that they share the machine's load. The
corpus is decompressed once (fastText reads plain text only), cut to its first --max-tokens
tokens (whole lines) when asked. Throughput is fastText's unit: corpus tokens x epochs /
training wall time (for the fastText tool, whose Python call also builds its dictionary,
that pass is inside its time; its own words/sec/thread counter is printed beside it, and the
speed ratio uses the larger of the two). On a shared machine wall time depends on the load
each run met, so words per CPU-second (training CPU time of all threads) is printed too. All
vectors (vocabulary words, as each tool composes them) are scored by embedkit.eval.
embedkit's kernels are compiled (Numba's cache filled) by a short run before the measured ones:
a first run ever compiles them, which adds about 140 MB to its peak RSS.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SETTINGS = dict(dim=100, window=5, negative=5, min_count=5, sample=1e-4, minn=3, maxn=6, bucket=2_000_000,
                alpha=0.05)


def maxrss_mb():
    """Peak RSS of this process image (VmHWM)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# ---------------------------------------------------------------- workers (child processes)
def worker_embedkit(corpus, model, threads, epochs, out, update):
    import numpy as np

    from embedkit.fasttext import train_fasttext

    from embedkit.vocab import scan_corpus

    t0 = time.perf_counter()
    scan = scan_corpus(corpus, min_count=SETTINGS["min_count"])
    scan_s = time.perf_counter() - t0
    cpu = time.process_time()
    r = train_fasttext(scan, model=model, epochs=epochs, threads=threads, seed=1, update=update, **SETTINGS)
    cpu = time.process_time() - cpu
    rss = maxrss_mb()
    np.save(out + ".npy", r.vectors.matrix)
    Path(out + ".words").write_text("\n".join(r.vectors.words))
    t = r.timings
    # CPU time includes the matrix initialisation, as the fastText tool's (whose call also reads the corpus)
    return dict(vocab_s=scan_s, compile_s=t["compile"], train_s=t["train"], cpu_s=cpu, rss_mb=rss,
                tokens=int(r.vectors.counts.sum()), losses=r.losses)


def worker_fasttext(corpus, model, threads, epochs, out, update):
    import fasttext
    import numpy as np

    s = SETTINGS
    t, cpu = time.perf_counter(), time.process_time()
    m = fasttext.train_unsupervised(corpus, model=model, dim=s["dim"], ws=s["window"], neg=s["negative"],
                                    minCount=s["min_count"], t=s["sample"], minn=s["minn"], maxn=s["maxn"],
                                    bucket=s["bucket"], lr=s["alpha"], epoch=epochs, thread=threads, verbose=2)
    train, cpu = time.perf_counter() - t, time.process_time() - cpu
    rss = maxrss_mb()
    words = [w for w in m.words if w != "</s>"]
    np.save(out + ".npy", np.array([m.get_word_vector(w) for w in words], np.float32))
    Path(out + ".words").write_text("\n".join(words))
    return dict(vocab_s=float("nan"), train_s=train, cpu_s=cpu, rss_mb=rss)


def worker_gensim(corpus, model, threads, epochs, out, update):
    import numpy as np
    from gensim.models import FastText

    s = SETTINGS
    m = FastText(vector_size=s["dim"], window=s["window"], negative=s["negative"], min_count=s["min_count"],
                 sample=s["sample"], min_n=s["minn"], max_n=s["maxn"], bucket=s["bucket"], alpha=s["alpha"],
                 min_alpha=0.0, sg=int(model == "skipgram"), workers=threads, epochs=epochs, seed=1)
    t = time.perf_counter()
    m.build_vocab(corpus_file=corpus)
    scan = time.perf_counter() - t
    t, cpu = time.perf_counter(), time.process_time()
    m.train(corpus_file=corpus, total_examples=m.corpus_count, total_words=m.corpus_total_words, epochs=epochs)
    train, cpu = time.perf_counter() - t, time.process_time() - cpu
    rss = maxrss_mb()
    np.save(out + ".npy", m.wv.vectors)
    Path(out + ".words").write_text("\n".join(m.wv.index_to_key))
    return dict(vocab_s=scan, train_s=train, cpu_s=cpu, rss_mb=rss)


WORKERS = {"embedkit": worker_embedkit, "fasttext": worker_fasttext, "gensim": worker_gensim}


def run_worker(kind, corpus, model, threads, epochs, out, update):
    cmd = [sys.executable, __file__, "--worker", kind, corpus, "--model-one", model, "--threads", str(threads),
           "--epochs", str(epochs), "--out", out, "--update", update]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, errors="replace")
    if p.returncode:
        sys.stderr.write(p.stderr[-3000:])
        raise SystemExit(f"{kind} {model} worker failed ({p.returncode})")
    res = json.loads(p.stdout.strip().splitlines()[-1])
    counters = re.findall(r"words/sec/thread:\s*(\d+)", p.stderr)
    if counters:
        res["own_wps_thread"] = int(counters[-1])
    return res


def score(out):
    import numpy as np

    from embedkit.eval import evaluate
    from embedkit.vectors import Vectors

    v = Vectors(Path(out + ".words").read_text().split("\n"), np.load(out + ".npy"))
    s = evaluate(v).summary()
    return {k: s[k] for k in ("WS-353-ALL", "SIMLEX-999", "MEN-TR-3k", "google")}


def prepare(corpus, max_tokens, folder):
    """Plain-text copy of the corpus, cut to its first max_tokens tokens (whole lines)."""
    opener = lzma.open if str(corpus).endswith(".xz") else open
    path = os.path.join(folder, "corpus.txt")
    n = 0
    with opener(corpus, "rt", encoding="utf-8", errors="replace") as f, open(path, "w", encoding="utf-8") as g:
        for line in f:
            g.write(line)
            n += len(line.split())
            if max_tokens and n >= max_tokens:
                break
    return path, n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--max-tokens", type=int, default=0, help="cut the corpus to its first N tokens (0: all)")
    ap.add_argument("--models", default="skipgram,cbow")
    ap.add_argument("--tools", default="embedkit,fasttext,gensim")
    ap.add_argument("--update", default="window", help="embedkit's skip-gram update (window or pair)")
    ap.add_argument("--append", default=None, help="append the markdown table to this file")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--model-one", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    # this file is named fasttext.py: keep its folder off the path so `import fasttext` finds the package
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    if a.worker:
        sys.path.insert(0, str(ROOT))
        res = WORKERS[a.worker](a.corpus, a.model_one, a.threads, a.epochs, a.out, a.update)
        print(json.dumps(res))
        return
    sys.path.insert(0, str(ROOT))
    tools = a.tools.split(",")
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-ft-") as tmp:
        corpus, n_words = prepare(a.corpus, a.max_tokens, tmp)
        print(f"corpus {a.corpus}: {n_words:,} tokens used, {a.epochs} epochs, {a.threads} threads", flush=True)
        if "embedkit" in tools:  # fill Numba's cache first: a cold compile is not part of the timed run
            tiny, _ = prepare(corpus, 50_000, tempfile.mkdtemp(dir=tmp))
            for model in a.models.split(","):
                run_worker("embedkit", tiny, model, a.threads, 1, os.path.join(tmp, "warm-up"), a.update)
        rows = []
        for model in a.models.split(","):
            res = {}
            for tool in tools:
                out = os.path.join(tmp, f"{tool}-{model}")
                t = time.perf_counter()
                r = run_worker(tool, corpus, model, a.threads, a.epochs, out, a.update)
                r["wall_s"] = time.perf_counter() - t
                r.update(score(out))
                r["wps_thread"] = n_words * a.epochs / r["train_s"] / a.threads
                r["wps_cpu"] = n_words * a.epochs / r["cpu_s"]
                res[tool] = r
                print(model, tool, json.dumps(r), flush=True)
            rows.append((model, res))
    lines = [f"corpus {Path(a.corpus).name} ({n_words:,} tokens{' cut' if a.max_tokens else ''}), {a.epochs} epochs, "
             f"{a.threads} threads, embedkit --update {a.update}; load average before: "
             f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
             f"{platform.processor() or platform.machine()}", "",
             "| model | tool | train s | words/s/thread | own counter | words/CPU-s | peak RSS MB | WS-353 | SimLex | MEN "
             "| Google |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for model, res in rows:
        for tool, r in res.items():
            lines.append(f"| {model} | {tool} | {r['train_s']:.1f} | {r['wps_thread']:,.0f} | "
                         f"{r.get('own_wps_thread', '')} | {r['wps_cpu']:,.0f} | {r['rss_mb']:.0f} | "
                         f"{r['WS-353-ALL']:.3f} | "
                         f"{r['SIMLEX-999']:.3f} | {r['MEN-TR-3k']:.3f} | {r['google']:.3f} |")
        if "embedkit" in res and "fasttext" in res:
            e, f = res["embedkit"], res["fasttext"]
            base = max(f["wps_thread"], f.get("own_wps_thread", 0))  # the larger of its two speeds
            lines.append(f"| {model} | **embedkit / fastText** | | **{e['wps_thread'] / base:.2f}x** | | "
                         f"**{e['wps_cpu'] / f['wps_cpu']:.2f}x** | **{e['rss_mb'] / f['rss_mb']:.2f}x** | {e['WS-353-ALL'] - f['WS-353-ALL']:+.3f} | "
                         f"{e['SIMLEX-999'] - f['SIMLEX-999']:+.3f} | {e['MEN-TR-3k'] - f['MEN-TR-3k']:+.3f} | "
                         f"{100 * (e['google'] - f['google']):+.1f} pt |")
    table = "\n".join(lines)
    print("\n" + table)
    if a.append:
        with open(a.append, "a", encoding="utf-8") as f:
            f.write("\n" + table + "\n")


if __name__ == "__main__":
    main()
