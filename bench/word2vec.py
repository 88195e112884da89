"""Benchmark embedkit's word2vec against gensim and word2vec C on the same corpus and settings.

usage: python bench/word2vec.py CORPUS [--threads 2] [--epochs 5] [--configs sgns,cbow,hs]
                                [--tools embedkit,gensim,c] [--extras] [--repeat 1] [--append FILE]

Every run is a separate process (peak RSS: the child's VmHWM, or /usr/bin/time for word2vec C),
back to back per config so that they share the machine's load. Throughput is word2vec C's unit: in-vocabulary corpus
tokens x epochs / training wall time, before subsampling (vocabulary scan and Numba
compilation excluded and reported separately). "end to end" is the whole call from corpus path to vectors in
memory (embedkit: scan + setup + kernel load + training; gensim: build_vocab + train; C: the whole process,
output write included), and "x gensim (e2e)" compares those. CPU s is the CPU time of that whole call.
All outputs are scored by embedkit.eval.
"""

from __future__ import annotations

import argparse
import json
import lzma
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# ../shared/peers/build.sh beside the checkout (or beside the folder holding several checkouts)
PEERS = next((p / "shared" / "peers" / "build.sh" for p in ROOT.parents if (p / "shared" / "peers" / "build.sh").exists()),
             ROOT.parent / "shared" / "peers" / "build.sh")

COMMON = dict(dim=100, window=5, min_count=5, sample=1e-4, negative=5, epochs=5)
CONFIGS = {  # name: (embedkit params, gensim params, word2vec C flags)
    "sgns": (dict(model="skipgram"), dict(sg=1, hs=0, negative=5, alpha=0.025),
             "-cbow 0 -hs 0 -negative 5 -alpha 0.025"),
    "cbow": (dict(model="cbow"), dict(sg=0, hs=0, negative=5, alpha=0.05), "-cbow 1 -hs 0 -negative 5 -alpha 0.05"),
    "hs": (dict(model="skipgram", hs=True, negative=0), dict(sg=1, hs=1, negative=0, alpha=0.025),
           "-cbow 0 -hs 1 -negative 0 -alpha 0.025"),
}
EXTRAS = {  # embedkit-only variants
    "cbow-corrected": dict(model="cbow", cbow_update="corrected"),  # its default alpha, 0.3
    "sgns-shared": dict(model="skipgram", shared_negatives=True),  # the default since issue 21 (update="window")
    "sgns-pair": dict(model="skipgram", update="pair"),  # word2vec's pair-by-pair SGNS, each pair its own negatives
    "hs-pair": dict(model="skipgram", hs=True, negative=0, update="pair"),  # word2vec's pair-by-pair HS
    "hs-shared": dict(model="skipgram", hs=True, negative=0, update="window"),  # the path updated once per window
}


def maxrss_mb():
    """Peak RSS of this process image (VmHWM; getrusage's ru_maxrss would include the RSS of the
    parent at fork, since Linux carries it across exec)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- workers (child processes)
def worker_embedkit(corpus, params, threads, epochs, out):
    import numpy as np

    from embedkit.word2vec import train_word2vec

    kw = {k: v for k, v in COMMON.items() if k != "negative"}
    kw.update(epochs=epochs, negative=COMMON["negative"])
    kw.update(params)
    t0 = time.perf_counter()
    cpu = time.process_time()
    r = train_word2vec(corpus, threads=threads, seed=1, **kw)  # end to end: scan, setup, compile, train
    total = time.perf_counter() - t0
    cpu = time.process_time() - cpu  # of the whole call (the scan's share is small)
    rss = maxrss_mb()
    np.save(out + ".npy", r.vectors.matrix)
    Path(out + ".words").write_text("\n".join(r.vectors.words))
    return dict(compile_s=r.timings["compile"], vocab_s=r.timings["scan"], train_s=r.timings["train"], cpu_s=cpu,
                total_s=total, rss_mb=rss, tokens=int(r.vectors.counts.sum()), losses=r.losses)


def worker_gensim(corpus, params, threads, epochs, out, iterable=False):
    """gensim in corpus_file mode (its fastest), or with iterable=True, LineSentence (its default
    mode, whose learning rate decays over the whole corpus; corpus_file mode decays each worker's
    alpha over its own share only, so with 2 workers alpha ends at alpha * 0.5 / epochs)."""
    import numpy as np
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence

    src = dict(corpus_iterable=LineSentence(corpus)) if iterable else dict(corpus_file=corpus)

    m = Word2Vec(vector_size=COMMON["dim"], window=COMMON["window"], min_count=COMMON["min_count"],
                 sample=COMMON["sample"], workers=threads, epochs=epochs, seed=1, min_alpha=0.0001, **params)
    t = time.perf_counter()
    cpu = time.process_time()
    m.build_vocab(**src)
    scan = time.perf_counter() - t
    t1 = time.perf_counter()
    m.train(**src, total_examples=m.corpus_count, total_words=m.corpus_total_words, epochs=epochs)
    end = time.perf_counter()
    train, total, cpu = end - t1, end - t, time.process_time() - cpu
    rss = maxrss_mb()
    np.save(out + ".npy", m.wv.vectors)
    Path(out + ".words").write_text("\n".join(m.wv.index_to_key))
    return dict(vocab_s=scan, train_s=train, cpu_s=cpu, total_s=total, rss_mb=rss)


def run_worker(kind, corpus, params, threads, epochs, out):
    cmd = [sys.executable, __file__, "--worker", kind, corpus, "--threads", str(threads), "--epochs", str(epochs),
           "--params", json.dumps(params), "--out", out]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    stdout = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        raise SystemExit(f"{kind} worker failed ({p.returncode})")
    res = json.loads(stdout.strip().splitlines()[-1])
    return res


def run_c(binary, corpus, flags, threads, epochs, out):
    cmd = [binary, "-train", corpus, "-output", out + ".txt", "-size", str(COMMON["dim"]), "-window",
           str(COMMON["window"]), "-min-count", str(COMMON["min_count"]), "-sample", str(COMMON["sample"]),
           "-threads", str(threads), "-iter", str(epochs), "-binary", "0", *flags.split()]
    if os.path.exists("/usr/bin/time"):  # its child's ru_maxrss starts from time's small image
        cmd = ["/usr/bin/time", "-f", "MAXRSS_KB %M"] + cmd
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stamps = []

    def read():
        while True:
            data = os.read(p.stdout.fileno(), 65536)
            if not data:
                break
            if b"Progress" in data:
                stamps.append(time.perf_counter())

    th = threading.Thread(target=read)
    th.start()
    _, status, ru = os.wait4(p.pid, 0)
    th.join()
    end = time.perf_counter()
    if os.waitstatus_to_exitcode(status):
        raise SystemExit("word2vec C failed")
    # CPU of training ~ all CPU minus the single-threaded vocabulary pass and output write
    cpu = ru.ru_utime + ru.ru_stime
    m = re.search(rb"MAXRSS_KB (\d+)", p.stderr.read())
    rss = int(m.group(1)) / 1024 if m else ru.ru_maxrss / 1024
    return dict(vocab_s=stamps[0] - t0, train_s=stamps[-1] - stamps[0], cpu_s=cpu, total_s=end - t0,
                rss_mb=rss, cmd=" ".join(cmd))


# ---------------------------------------------------------------- scoring and table
def score(kind, out):
    import numpy as np

    try:
        from embedkit.eval import evaluate
        from embedkit.vectors import Vectors
    except ImportError:  # scoring needs the eval slice
        return {}

    if kind == "c":
        v = Vectors.load(out + ".txt", format="word2vec")
        keep = [i for i, w in enumerate(v.words) if w != "</s>"]
        v = Vectors([v.words[i] for i in keep], np.ascontiguousarray(v.matrix[keep]))
    else:
        words = Path(out + ".words").read_text().split("\n")
        v = Vectors(words, np.load(out + ".npy"))
    s = evaluate(v).summary()
    return {k: s[k] for k in ("WS-353-ALL", "SIMLEX-999", "MEN-TR-3k", "google")}


def table(rows, tokens, epochs):
    lines = ["| config | tool | train s | words/s | x gensim | x C | end to end s | x gensim (e2e) | x C (e2e) | CPU s "
             "| x gensim (CPU) | peak RSS MB | WS-353 | SimLex | MEN | Google |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for cfg, tools in rows.items():
        base = {t: tokens * epochs / r["train_s"] for t, r in tools.items()}
        e2e = {t: r["total_s"] for t, r in tools.items()}
        cpu = {t: r["cpu_s"] for t, r in tools.items()}
        for tool, r in tools.items():
            def ratio(d, inverse=False):
                def one(peer):
                    if peer not in d or tool == peer:
                        return ""
                    return f"{(d[peer] / d[tool]) if inverse else (d[tool] / d[peer]):.2f}"
                return one
            wps = base[tool]
            sc = r.get("scores", {})
            lines.append(f"| {cfg} | {tool} | {r['train_s']:.1f} | {wps / 1e6:.2f}M | {ratio(base)('gensim')} | "
                         f"{ratio(base)('c')} | {r['total_s']:.1f} | {ratio(e2e, True)('gensim')} | "
                         f"{ratio(e2e, True)('c')} | {r['cpu_s']:.1f} | {ratio(cpu, True)('gensim')} | "
                         f"{r['rss_mb']:.0f} | {sc.get('WS-353-ALL', float('nan')):.3f} | "
                         f"{sc.get('SIMLEX-999', float('nan')):.3f} | {sc.get('MEN-TR-3k', float('nan')):.3f} | "
                         f"{100 * sc.get('google', float('nan')):.1f} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=COMMON["epochs"])
    ap.add_argument("--configs", default="sgns,cbow,hs", help="of " + ", ".join([*CONFIGS, *EXTRAS]))
    ap.add_argument("--tools", default="embedkit,gensim,c",
                    help="of embedkit, gensim (corpus_file mode), gensim-iter (LineSentence mode), c")
    ap.add_argument("--extras", action="store_true", help="also run " + ", ".join(EXTRAS))
    ap.add_argument("--append", default=None, help="append the table to this markdown file")
    ap.add_argument("--repeat", type=int, default=1,
                    help="rounds of every tool, alternated; the table gives medians (2 cores of a shared VM deliver "
                         "anything from 1.2 to 2 cores from one second to the next)")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--params", default="{}", help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        args = (a.corpus, json.loads(a.params), a.threads, a.epochs, a.out)
        if a.worker == "embedkit":
            res = worker_embedkit(*args)
        else:
            res = worker_gensim(*args, iterable=a.worker == "gensim-iter")
        print(json.dumps(res))
        return

    tmp = Path(tempfile.mkdtemp(prefix="w2vbench-"))
    try:
        plain = str(tmp / "corpus.txt")
        t = time.perf_counter()
        with (lzma.open(a.corpus, "rb") if a.corpus.endswith(".xz") else open(a.corpus, "rb")) as f, \
                open(plain, "wb") as g:
            shutil.copyfileobj(f, g, 1 << 22)
        print(f"decompressed in {time.perf_counter() - t:.1f}s", file=sys.stderr)
        tools = a.tools.split(",")
        c_bin = None
        if "c" in tools:
            c_bin = subprocess.run(["bash", str(PEERS)], capture_output=True, text=True,
                                   check=True).stdout.strip().splitlines()[-1] + "/word2vec"
        # a cold Numba compile, measured once in a fresh cache folder
        env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp / "numba"))
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "from embedkit.word2vec import train_word2vec; import sys;"
                        f"open(sys.argv[1],'w').write('a b c a b c\\n' * 20);"
                        f"train_word2vec(sys.argv[1], min_count=1, dim=2, epochs=1, sample=0, threads={a.threads})",
                        str(tmp / "tiny.txt")], env=env, check=True)
        compile_s = time.perf_counter() - t
        subprocess.run(env=dict(os.environ), check=True, args=[  # and once in the real cache, for the workers
            sys.executable, "-c", "from embedkit.word2vec import train_word2vec; import sys;"
            f"train_word2vec(sys.argv[1], min_count=1, dim=2, epochs=1, sample=0, threads={a.threads})",
            str(tmp / "tiny.txt")])
        rows = {}
        tokens = None
        plan = [(c, CONFIGS[c] if c in CONFIGS else (EXTRAS[c], None, None)) for c in a.configs.split(",")]
        if a.extras:
            plan += [(name, (p, None, None)) for name, p in EXTRAS.items()]
        rounds = {}
        for cfg, (ek, gs, cflags) in plan:
            rows[cfg] = {}
            runs = {}
            for k in range(a.repeat):  # the tools alternate, round after round: they share the machine's moods
                for tool in tools:
                    out = str(tmp / f"{cfg}-{tool}")
                    if tool == "embedkit":
                        r = run_worker("embedkit", plain, ek, a.threads, a.epochs, out)
                        tokens = r["tokens"]
                    elif tool in ("gensim", "gensim-iter") and gs is not None:
                        r = run_worker(tool, plain, gs, a.threads, a.epochs, out)
                    elif tool == "c" and cflags is not None:
                        r = run_c(c_bin, plain, cflags, a.threads, a.epochs, out)
                    else:
                        continue
                    if k == 0:  # the vectors of later rounds differ only by the threads' races
                        r["scores"] = score(tool, out)
                    runs.setdefault(tool, []).append(r)
                    print(cfg, tool, json.dumps(r), file=sys.stderr, flush=True)
            for tool, rs in runs.items():
                rows[cfg][tool] = {**rs[0], **{key: statistics.median(x[key] for x in rs)
                                               for key in ("train_s", "total_s", "cpu_s", "rss_mb", "vocab_s")}}
            rounds[cfg] = runs
        head = (f"corpus {a.corpus} ({tokens} in-vocabulary tokens, min_count 5), dim 100, window 5, sample 1e-4, "
                f"negative 5 (HS: hs on, negative 0), {a.epochs} epochs, {a.threads} threads; "
                f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared, noisy; load average "
                f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end). "
                f"Cold Numba compile (fresh cache): {compile_s:.1f}s. words/s = in-vocab tokens x epochs / train s. "
                "End to end = corpus path to trained vectors (embedkit: scan + setup + kernel load + train; gensim: "
                "build_vocab + train; C: the whole process). CPU s = CPU time of that (all threads; robust to other "
                "jobs on the shared cores); x (CPU) = the peer's CPU s / embedkit's. Compile/kernel-load s: "
                + ", ".join(f"{cfg} {t['embedkit']['compile_s']:.1f}" for cfg, t in rows.items() if "embedkit" in t)
                + ".")
        vocab_line = "vocab/scan s: " + ", ".join(
            f"{cfg}/{tool} {r['vocab_s']:.1f}" for cfg, tools_ in rows.items() for tool, r in tools_.items())
        text = head + "\n\n" + table(rows, tokens, a.epochs) + "\n\n" + vocab_line + "\n"
        if a.repeat > 1:
            text += (f"times and ratios are medians of {a.repeat} rounds (tools alternated); scores from the first "
                     "round. End to end x gensim, round by round:\n")
            for cfg, runs in rounds.items():
                if "embedkit" in runs and "gensim" in runs:
                    each = [g["total_s"] / e["total_s"] for e, g in zip(runs["embedkit"], runs["gensim"])]
                    ratios = ", ".join(f"{x:.2f}" for x in each)
                    trains = {t: ", ".join(f"{r['train_s']:.1f}" for r in runs[t]) for t in ("embedkit", "gensim")}
                    text += (f"- {cfg}: {ratios} (median {statistics.median(each):.2f}); embedkit train s "
                             f"{trains['embedkit']}; gensim train s {trains['gensim']}\n")
        losses = {cfg: [round(x, 4) for x in t["embedkit"]["losses"]] for cfg, t in rows.items() if "embedkit" in t}
        text += f"embedkit loss per epoch: {losses}\n"
        print(text)
        if a.append:
            cmd = "python bench/word2vec.py " + " ".join(sys.argv[1:])
            with open(a.append, "a") as f:
                f.write(f"\n### run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n\n`{cmd}`\n\n{text}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
