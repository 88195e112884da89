"""Benchmark: how each trainer scales with threads, beside word2vec C, GloVe C and gensim.

Usage::

    python bench/scaling.py CORPUS [--threads 1,2,4,8,16] [--tools ppmi-svd,glove,skipgram,cbow,...]
                            [--max-mb 0] [--epochs 1] [--glove-epochs 5] [--append bench/RESULTS.md]

Every (tool, thread count) runs in its own process, one after another, on the same plain-text
corpus (decompressed once; ``--max-mb N`` keeps only its first N MB, cut at a line end). The
time measured is the multi-threaded work each tool does after its vocabulary:

* embedkit (``ppmi-svd``, ``glove``, ``skipgram``, ``cbow``, and ``fasttext`` when
  ``embedkit.fasttext`` exists): the trainer called on the scanned ``(Vocab, EncodedCorpus)``
  pair; seconds = the sum of its ``TrainResult.timings`` less ``scan`` and ``compile`` (Numba
  is warmed up on a tiny corpus first). For PPMI+SVD that is counting + PPMI + SVD, for GloVe
  counting + records + shuffle + training.
* ``w2v-c-sgns`` / ``w2v-c-cbow``: word2vec C, from its first to its last progress line.
* ``glove-c``: GloVe C's ``glove`` step (the only threaded one; vocab_count, cooccur and
  shuffle run once, untimed).
* ``gensim-sgns`` / ``gensim-cbow``: ``Word2Vec.train`` in corpus_file mode (its fastest).

Printed per tool: seconds and CPU seconds at each thread count, speed-up over 1 thread,
efficiency (speed-up / threads), and for the word2vec-style trainers the words/s per thread
beside word2vec C's at the same count (skip-gram and fastText against ``w2v-c-sgns``, CBOW
against ``w2v-c-cbow``). Settings as bench/word2vec.py: dim 100, window 5, min_count 5,
sample 1e-4, 5 negatives.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import lzma
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # import this checkout's embedkit, installed or not
PEERS = next((d / "shared" / "peers" / "build.sh" for d in (ROOT.parent, ROOT.parent.parent)
              if (d / "shared" / "peers" / "build.sh").exists()), ROOT.parent / "shared" / "peers" / "build.sh")
COMMON = dict(dim=100, window=5, min_count=5, sample=1e-4, negative=5)
EMBEDKIT = ("ppmi-svd", "glove", "skipgram", "cbow", "fasttext")
C_TOOLS = {"w2v-c-sgns": "-cbow 0 -hs 0 -negative 5 -alpha 0.025", "w2v-c-cbow": "-cbow 1 -hs 0 -negative 5 -alpha 0.05"}
GENSIM = {"gensim-sgns": dict(sg=1, hs=0, negative=5, alpha=0.025), "gensim-cbow": dict(sg=0, hs=0, negative=5,
                                                                                        alpha=0.05)}
PEER_OF = {"skipgram": "w2v-c-sgns", "fasttext": "w2v-c-sgns", "cbow": "w2v-c-cbow", "gensim-sgns": "w2v-c-sgns",
           "gensim-cbow": "w2v-c-cbow"}
STREAMING = ("skipgram", "cbow", "fasttext", "w2v-c-sgns", "w2v-c-cbow", "gensim-sgns", "gensim-cbow")


def _cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


# ---------------------------------------------------------------- children
def _embedkit_call(tool, corpus, threads, epochs, glove_epochs, tiny=False):
    kw = dict(threads=threads, seed=1)
    small = dict(dim=8, min_count=1) if tiny else dict(dim=COMMON["dim"])
    if tool == "ppmi-svd":
        from embedkit.ppmi_svd import train_ppmi_svd
        return train_ppmi_svd(corpus, window=COMMON["window"], **small, **kw)
    if tool == "glove":
        from embedkit.glove import train_glove
        return train_glove(corpus, epochs=1 if tiny else glove_epochs, **small, **kw)
    sg = dict(window=COMMON["window"], sample=COMMON["sample"], negative=COMMON["negative"], epochs=epochs)
    if tool == "fasttext":
        from embedkit.fasttext import train_fasttext
        return train_fasttext(corpus, model="skipgram", **sg, **small, **kw)
    from embedkit.word2vec import train_word2vec
    return train_word2vec(corpus, model=tool, **sg, **small, **kw)


def child_embedkit(a):
    from embedkit.vocab import scan_corpus

    tiny = Path(a.out) / f"tiny-{os.getpid()}.txt"
    import random
    rnd = random.Random(0)
    words = [f"w{i}" for i in range(60)]
    tiny.write_text("".join(" ".join(rnd.choice(words) for _ in range(30)) + "\n" for _ in range(100)))
    _embedkit_call(a.child, str(tiny), a.threads, 1, 1, tiny=True)  # compile or load the cached kernels
    vocab, enc = scan_corpus(a.corpus, min_count=COMMON["min_count"])
    cpu = _cpu()
    r = _embedkit_call(a.child, (vocab, enc), a.threads, a.epochs, a.glove_epochs)
    cpu = _cpu() - cpu
    work = {k: v for k, v in r.timings.items() if k not in ("scan", "compile")}
    return dict(seconds=sum(work.values()), cpu_s=cpu, stages=work, tokens=int(enc.n_tokens))


def child_gensim(a):
    from gensim.models import Word2Vec

    m = Word2Vec(vector_size=COMMON["dim"], window=COMMON["window"], min_count=COMMON["min_count"],
                 sample=COMMON["sample"], workers=a.threads, epochs=a.epochs, seed=1, **GENSIM[a.child])
    m.build_vocab(corpus_file=a.corpus)
    t, cpu = time.perf_counter(), _cpu()
    m.train(corpus_file=a.corpus, total_examples=m.corpus_count, total_words=m.corpus_total_words, epochs=a.epochs)
    return dict(seconds=time.perf_counter() - t, cpu_s=_cpu() - cpu)


def run_child(tool, a, threads):
    env = dict(os.environ)
    for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    cmd = [sys.executable, os.path.abspath(__file__), a.plain, "--child", tool, "--threads", str(threads),
           "--epochs", str(a.epochs), "--glove-epochs", str(a.glove_epochs), "--out", a.tmp]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode:
        raise SystemExit(f"{tool} at {threads} threads failed:\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- reference tools
def run_w2v_c(binary, tool, a, threads):
    cmd = [binary, "-train", a.plain, "-output", os.path.join(a.tmp, "c.txt"), "-size", str(COMMON["dim"]),
           "-window", str(COMMON["window"]), "-min-count", str(COMMON["min_count"]), "-sample",
           str(COMMON["sample"]), "-threads", str(threads), "-iter", str(a.epochs), "-binary", "0",
           *C_TOOLS[tool].split()]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    stamps = []

    def read():  # word2vec prints "\rAlpha ... Progress ..." while it trains
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
    if os.waitstatus_to_exitcode(status) or len(stamps) < 2:
        raise SystemExit(f"word2vec C failed: {' '.join(cmd)}")
    return dict(seconds=stamps[-1] - stamps[0], cpu_s=ru.ru_utime + ru.ru_stime)


def prepare_glove_c(bindir, a):
    """vocab_count, cooccur and shuffle once (single-threaded; not timed): the shuffled records."""
    def step(name, args, fin, fout):
        with open(fin, "rb") as fi, open(fout, "wb") as fo:
            subprocess.run([str(bindir / name), *args], stdin=fi, stdout=fo, stderr=subprocess.DEVNULL,
                           cwd=a.tmp, check=True)

    tmp = Path(a.tmp)
    step("vocab_count", ["-min-count", str(COMMON["min_count"]), "-verbose", "0"], a.plain, tmp / "vocab.txt")
    step("cooccur", ["-memory", "2", "-vocab-file", "vocab.txt", "-window-size", "10", "-verbose", "0"],
         a.plain, tmp / "cooc.bin")
    step("shuffle", ["-memory", "2", "-seed", "1", "-verbose", "0"], tmp / "cooc.bin", tmp / "cooc.shuf.bin")


def run_glove_c(bindir, a, threads):
    cmd = [str(bindir / "glove"), "-save-file", "gvec", "-threads", str(threads), "-input-file", "cooc.shuf.bin",
           "-x-max", "100", "-iter", str(a.glove_epochs), "-vector-size", str(COMMON["dim"]), "-binary", "0",
           "-vocab-file", "vocab.txt", "-verbose", "0", "-seed", "1"]
    t = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=a.tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"GloVe C failed: {' '.join(cmd)}")
    return dict(seconds=time.perf_counter() - t, cpu_s=ru.ru_utime + ru.ru_stime)


# ---------------------------------------------------------------- parent
def cut_corpus(src, dst, max_mb):
    limit = max_mb * 10**6 if max_mb else None
    opener = lzma.open if src.endswith(".xz") else open
    done = 0
    with opener(src, "rb") as f, open(dst, "wb") as g:
        for line in f:
            if limit is not None and done + len(line) > limit:
                break
            g.write(line)
            done += len(line)
    return done


def table(res, counts, tokens, a):
    lines = ["| tool | " + " | ".join(f"{n} thr s (CPU s)" for n in counts) + " | "
             + " | ".join(f"speed-up {n}" for n in counts[1:]) + " | "
             + " | ".join(f"efficiency {n}" for n in counts[1:]) + " | words/s per thread "
             + " / ".join(str(n) for n in counts) + " | x word2vec C per thread |",
             "|---|" + "---:|" * (len(counts) + 2 * (len(counts) - 1) + 2)]
    for tool, by in res.items():
        base = by[counts[0]]["seconds"] if counts[0] in by else None
        sp = [base / by[n]["seconds"] if base and n in by else None for n in counts[1:]]
        cells = [f"{by[n]['seconds']:.1f} ({by[n]['cpu_s']:.1f})" if n in by else "" for n in counts]
        cells += [f"{x:.2f}" if x else "" for x in sp]
        cells += [f"{x / n:.2f}" if x else "" for x, n in zip(sp, counts[1:])]
        if tool in STREAMING and tokens:
            per = {n: tokens * a.epochs / by[n]["seconds"] / n for n in counts if n in by}
            cells.append(" / ".join(f"{per[n] / 1e3:.0f}k" for n in counts if n in per))
            peer = res.get(PEER_OF.get(tool, ""), {})
            ratio = [f"{per[n] / (tokens * a.epochs / peer[n]['seconds'] / n):.2f}" for n in counts
                     if n in per and n in peer]
            cells.append(" / ".join(ratio))
        else:
            cells += ["", ""]
        lines.append(f"| {tool} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("corpus")
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts, the first is the base")
    p.add_argument("--tools", default=None, help="comma-separated, of: " + ", ".join(
        [*EMBEDKIT, *C_TOOLS, "glove-c", *GENSIM]) + " (default: every one available)")
    p.add_argument("--max-mb", type=float, default=0, help="use only the first N MB of the text (0: all)")
    p.add_argument("--epochs", type=int, default=1, help="word2vec / fastText epochs")
    p.add_argument("--glove-epochs", type=int, default=5)
    p.add_argument("--append", default=None, help="append the table to this markdown file")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--out", default=None, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        a.threads = int(a.threads)
        res = child_gensim(a) if a.child in GENSIM else child_embedkit(a)
        print(json.dumps(res))
        return

    counts = [int(x) for x in a.threads.split(",")]
    have_ft = importlib.util.find_spec("embedkit.fasttext") is not None
    have_gensim = importlib.util.find_spec("gensim") is not None
    tools = a.tools.split(",") if a.tools else [
        *[t for t in EMBEDKIT if t != "fasttext" or have_ft], *C_TOOLS, "glove-c", *(GENSIM if have_gensim else ())]
    bindir = None
    if any(t in C_TOOLS or t == "glove-c" for t in tools):
        try:
            bindir = Path(subprocess.run(["bash", str(PEERS), str(Path(tempfile.gettempdir()) / "embedkit-peers")],
                                         capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
        except (OSError, subprocess.CalledProcessError) as e:
            print(f"reference tools unavailable ({e}); skipping them", file=sys.stderr)
            tools = [t for t in tools if t not in C_TOOLS and t != "glove-c"]
    with tempfile.TemporaryDirectory(prefix="bench-scaling-") as tmp:
        a.tmp = tmp
        a.plain = os.path.join(tmp, "corpus.txt")
        size = cut_corpus(a.corpus, a.plain, a.max_mb)
        if "glove-c" in tools:
            prepare_glove_c(bindir, a)
        res, tokens = {}, None
        for tool in tools:
            res[tool] = {}
            for n in counts:
                if tool in C_TOOLS:
                    r = run_w2v_c(str(bindir / "word2vec"), tool, a, n)
                elif tool == "glove-c":
                    r = run_glove_c(bindir, a, n)
                else:
                    r = run_child(tool, a, n)
                    tokens = r.get("tokens", tokens)
                res[tool][n] = r
                print(f"{tool} threads={n}: {r['seconds']:.2f} s, CPU {r['cpu_s']:.2f} s", file=sys.stderr,
                      flush=True)
    load = os.getloadavg()
    head = (f"corpus {a.corpus}" + (f", first {size / 1e6:.1f} MB" if a.max_mb else "") +
            f" ({tokens:,} in-vocabulary tokens), dim 100, window 5 (GloVe 10), min_count 5, sample 1e-4, "
            f"negative 5; word2vec/fastText {a.epochs} epoch(s), GloVe {a.glove_epochs}; threads {a.threads}; "
            f"{os.cpu_count()} cores; load average after the run {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")
    text = head + "\n\n" + table(res, counts, tokens, a) + "\n"
    print(text)
    if a.append:
        with open(a.append, "a") as f:
            f.write(f"\n```\npython bench/scaling.py {' '.join(sys.argv[1:])}\n```\n\n{text}")


if __name__ == "__main__":
    main()
