"""Benchmark `embedkit phrases` against word2vec's word2phrase (C) and gensim's Phrases + FrozenPhrases.

usage: python bench/phrases.py CORPUS [--threads 2] [--tools embedkit,c,gensim] [--tmp DIR] [--append FILE]

Each tool runs as its own process under /usr/bin/time -v (wall time, peak RSS), end to end from the text
file to the phrased text file, on word2phrase's default settings (min_count 5, threshold 100, one pass).
gensim uses its own default scorer (which multiplies by the vocabulary size, not the token count) with
the same min_count and threshold, counts with Phrases and applies with FrozenPhrases. embedkit's Numba
kernels are compiled (cached) on a tiny input first, and that run writes embedkit's Python bytecode
(``__pycache__``, even where PYTHONDONTWRITEBYTECODE is set), as installing a package does: gensim's
and every other installed package's bytecode is there already; that time is reported separately. The outputs of
embedkit and word2phrase are compared line by line (word2phrase starts every line with a space).
"""

from __future__ import annotations

import argparse
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
PEERS = next((p / "shared" / "peers" / "build.sh" for p in ROOT.parents
              if (p / "shared" / "peers" / "build.sh").exists()), ROOT.parent / "shared" / "peers" / "build.sh")
MIN_COUNT, THRESHOLD = 5, 100.0


def timed(cmd, env=None):
    """(wall seconds, CPU seconds, peak RSS MB, stderr) of ``cmd`` run under /usr/bin/time -v."""
    t = time.perf_counter()
    r = subprocess.run(["/usr/bin/time", "-v", *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       env=env)
    wall = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed:\n{r.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", r.stderr).group(1)) / 1024
    cpu = sum(float(re.search(rf"{k} time \(seconds\): ([\d.]+)", r.stderr).group(1)) for k in ("User", "System"))
    return wall, cpu, rss, r.stderr


def word2phrase_binary():
    exe = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "embedkit-peers" / "word2phrase"
    if not exe.exists():
        subprocess.run(["bash", str(PEERS)], check=True, stdout=subprocess.DEVNULL)
    return str(exe)


def gensim_worker(corpus, out):
    from gensim.models.phrases import FrozenPhrases, Phrases

    def lines():
        with open(corpus, encoding="utf-8") as f:
            for line in f:
                toks = line.split()
                if toks:
                    yield toks

    counted = Phrases(lines(), min_count=MIN_COUNT, threshold=THRESHOLD, delimiter="_")
    frozen = FrozenPhrases(counted)
    with open(out, "w", encoding="utf-8") as f:
        for toks in lines():
            f.write(" ".join(frozen[toks]) + "\n")
    print(f"phrases {len(frozen.phrasegrams)}", file=sys.stderr)


def same_text(ours, theirs):
    """How the two outputs differ: (lines that differ, of those the lines holding a token over 58 bytes,
    which word2phrase truncates)."""
    diff = long = 0
    with open(ours, encoding="utf-8", errors="replace") as a, open(theirs, encoding="utf-8", errors="replace") as b:
        for x, y in zip(a, b):
            if x != y.lstrip(" "):
                diff += 1
                long += any(len(t.encode("utf-8")) > 58 for t in x.split())
    return diff, long


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus", nargs="?")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tools", default="embedkit,c,gensim")
    ap.add_argument("--tmp", default=None, help="Folder for the outputs (short: word2phrase takes paths < 60 bytes).")
    ap.add_argument("--append", default=None, help="Append the table to this file.")
    ap.add_argument("--worker", nargs=2, metavar=("CORPUS", "OUT"))
    a = ap.parse_args()
    if a.worker:
        return gensim_worker(*a.worker)
    corpus = os.path.abspath(a.corpus)
    tmp = a.tmp or tempfile.mkdtemp(prefix="phr", dir="/tmp")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    tools = a.tools.split(",")
    rows = {}
    if "embedkit" in tools:
        tiny = os.path.join(tmp, "tiny.txt")
        with open(tiny, "w") as f:
            f.write("new york is big\nnew york is old\n" * 10)
        t = time.perf_counter()
        warm_env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
        subprocess.run([sys.executable, "-m", "embedkit.cli", "-q", "phrases", tiny, "-o", tiny + ".out"], check=True,
                       env=warm_env)
        warm = time.perf_counter() - t
        wall, cpu, rss, err = timed([sys.executable, "-m", "embedkit.cli", "phrases", corpus, "-o",
                                os.path.join(tmp, "ek.txt"), "--threads", str(a.threads)], env=env)
        n = int(re.search(r"([\d,]+) phrases", err).group(1).replace(",", ""))
        rows["embedkit"] = (wall, cpu, rss, n)
        print(f"embedkit: {wall:.1f}s, {cpu:.1f} CPU s, {rss:.0f} MB, {n} phrases (warm-up/compile run {warm:.1f}s)", flush=True)
    if "c" in tools:
        exe = word2phrase_binary()
        out = os.path.join(tmp, "c.txt")
        wall, cpu, rss, _ = timed([exe, "-train", corpus, "-output", out, "-min-count", str(MIN_COUNT), "-threshold",
                              str(THRESHOLD), "-debug", "0"])
        n = None
        if "embedkit" in tools:
            diff, long = same_text(os.path.join(tmp, "ek.txt"), out)
            print(f"lines that differ from word2phrase's: {diff}, of which {long} hold a word over 58 bytes "
                  "(word2phrase truncates them)", flush=True)
        rows["word2phrase"] = (wall, cpu, rss, n)
        print(f"word2phrase: {wall:.1f}s, {cpu:.1f} CPU s, {rss:.0f} MB", flush=True)
    if "gensim" in tools:
        wall, cpu, rss, err = timed([sys.executable, __file__, "--worker", corpus, os.path.join(tmp, "gensim.txt")])
        n = int(re.search(r"phrases (\d+)", err).group(1))
        rows["gensim"] = (wall, cpu, rss, n)
        print(f"gensim: {wall:.1f}s, {cpu:.1f} CPU s, {rss:.0f} MB, {n} phrases", flush=True)
    ek = rows.get("embedkit")
    lines = [f"`{' '.join(sys.argv)}`; {platform.node()}, {a.threads} threads, "
             f"load before: {os.getloadavg()[0]:.1f}", "",
             "| tool | wall s | CPU s | peak RSS MB | phrases | embedkit speed-up (wall) | (CPU) | embedkit RSS / tool's |",
             "|---|---|---|---|---|---|---|---|"]
    for name, (wall, cpu, rss, n) in rows.items():
        sp = f"{wall / ek[0]:.1f}x" if ek else ""
        sc = f"{cpu / ek[1]:.1f}x" if ek else ""
        rr = f"{ek[2] / rss:.2f}" if ek else ""
        lines.append(f"| {name} | {wall:.1f} | {cpu:.1f} | {rss:.0f} | {n if n is not None else ''} | {sp} | {sc} | {rr} |")
    text = "\n".join(lines)
    print(text)
    if a.append:
        with open(a.append, "a") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
