"""Growth: does the cost per token stay constant, and peak RSS flat, as the corpus grows? (issue 21)

Builds corpora of 1, 4, 16 ... copies of CORPUS (wiki17m: one article per line; each copy with its
lines in a new seeded order) in a temporary folder, deleted at the end, and runs the CLI on each:
``train glove`` (1 epoch) and ``train ppmi-svd``, both with ``--memory`` and ``--threads``, and
``--methods skipgram,cbow,fasttext`` (1 epoch, ``--threads``; the encoded corpus in TMPDIR). Each
run is a child process: wall seconds, seconds per million tokens, peak RSS (``/usr/bin/time``), and the
most disk its ``--tmp-dir`` held (sampled every 0.2 s). At the largest size, GloVe C runs the
same pipeline (vocab_count, cooccur -memory, shuffle -memory, glove -iter 1) for the speed and
RSS ratios. Writes bench/growth.json and the plot bench/growth.png. ``--sentence-tokens N`` first cuts
CORPUS's lines into lines of N tokens, for a corpus with a sentence per line instead of an article.

    python bench/growth.py /work/wiki17m.txt --copies 1,4 --memory 2G --threads 2
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEERS = Path("/root/.cache/embedkit-peers")


def build_corpus(src, copies, out, seed=0, sentence_tokens=None):
    """``copies`` concatenated copies of ``src``'s lines, each in a new seeded order; returns tokens.
    ``sentence_tokens``: each line is first cut into lines of that many tokens (a sentence per line)."""
    lines = Path(src).read_text(encoding="utf-8").splitlines()
    if sentence_tokens:
        words = [x.split() for x in lines]
        lines = [" ".join(w[i:i + sentence_tokens]) for w in words for i in range(0, len(w), sentence_tokens)]
    tokens = sum(len(x.split()) for x in lines)
    rng = random.Random(seed)
    with open(out, "w", encoding="utf-8") as f:
        for _ in range(copies):
            order = list(range(len(lines)))
            rng.shuffle(order)
            for i in order:
                f.write(lines[i])
                f.write("\n")
    return tokens * copies


def du(path):
    total = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            try:
                total += os.path.getsize(os.path.join(dirpath, name))
            except OSError:
                pass
    return total


def run(cmd, tmp_dir=None, stdin=None, stdout=None, cwd=None, log=None, env=None):
    """Run ``cmd``: (wall seconds, peak RSS MB, most bytes held in ``tmp_dir``)."""
    peak_disk = [0]
    stop = threading.Event()

    def watch():
        while not stop.wait(0.2):
            peak_disk[0] = max(peak_disk[0], du(tmp_dir))

    if tmp_dir:
        w = threading.Thread(target=watch, daemon=True)
        w.start()
    t0 = time.perf_counter()
    fi = open(stdin, "rb") if stdin else subprocess.DEVNULL
    fo = open(stdout, "wb") if stdout else subprocess.DEVNULL
    fe = open(log, "ab") if log else subprocess.DEVNULL
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    # the peak RSS comes from /usr/bin/time, not from our own wait4: a child forked from this process
    # (which holds a corpus's lines while building it) counts this process's pages in its ru_maxrss,
    # up to its exec; that inflated every small run (a word2vec run read 301 MB for 198 MB)
    rss_file = tempfile.NamedTemporaryFile(prefix="growth-rss-", delete=False)
    rss_file.close()
    timed = ["/usr/bin/time", "-f", "%M", "-o", rss_file.name, *map(str, cmd)]
    p = subprocess.Popen(timed, stdin=fi, stdout=fo, stderr=fe, cwd=cwd, env=env)
    _, status, _ = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    try:
        peak_kb = int(Path(rss_file.name).read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        peak_kb = 0
    os.unlink(rss_file.name)
    stop.set()
    for f in (fi, fo, fe):
        if hasattr(f, "close"):
            f.close()
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"failed ({status}): {' '.join(map(str, cmd))}; see {log}")
    return wall, peak_kb / 1024, peak_disk[0]


def embedkit(method, corpus, work, a, log):
    tmp = work / "tmp"
    tmp.mkdir(exist_ok=True)
    out = work / f"{method}.txt"
    cmd = [sys.executable, "-m", "embedkit.cli", "train", method, str(corpus), "-o", str(out), "--threads",
           str(a.threads), "--dim", str(a.dim)]
    if method in ("glove", "ppmi-svd"):
        cmd += ["--memory", a.memory, "--tmp-dir", str(tmp)]
    if method != "ppmi-svd":
        cmd += ["--epochs", "1"]
    if a.same_vocab:
        cmd += ["--min-count", str(5 * a.copies_now)]
    # the encoded corpus goes to $TMPDIR: its disk is counted like --tmp-dir's
    r = run(cmd, tmp_dir=tmp, log=log, env={"TMPDIR": str(tmp)})
    out.unlink()
    return r


def glove_c(corpus, work, a, log):
    """GloVe C's four steps with the same settings: (wall, peak RSS MB, most disk bytes)."""
    gb = str(max(1, round(parse_gb(a.memory))))
    min_count = str(5 * a.copies_now if a.same_vocab else 5)  # the vocabulary embedkit's run has
    steps = [("vocab_count", ["-min-count", min_count, "-verbose", "0"], corpus, work / "vocab.txt"),
             ("cooccur", ["-memory", gb, "-vocab-file", "vocab.txt", "-window-size", "10", "-verbose", "0"], corpus,
              work / "cooc.bin"),
             ("shuffle", ["-memory", gb, "-seed", "1", "-verbose", "0"], work / "cooc.bin", work / "cooc.shuf.bin")]
    wall, rss, disk = 0.0, 0.0, 0
    for name, args, fin, fout in steps:
        w, r, d = run([str(PEERS / name), *args], tmp_dir=work, stdin=fin, stdout=fout, cwd=work, log=log)
        wall, rss, disk = wall + w, max(rss, r), max(disk, d)
    (work / "cooc.bin").unlink()
    w, r, d = run([str(PEERS / "glove"), "-save-file", "vectors", "-threads", str(a.threads), "-input-file",
                   "cooc.shuf.bin", "-x-max", "100", "-iter", "1", "-vector-size", str(a.dim), "-binary", "0",
                   "-vocab-file", "vocab.txt", "-seed", "1", "-verbose", "0"], tmp_dir=work, cwd=work, log=log)
    return wall + w, max(rss, r), max(disk, d)


def parse_gb(text):
    units = {"K": 2**-20, "M": 2**-10, "G": 1.0, "T": 1024.0}
    return float(text[:-1]) * units[text[-1].upper()] if text[-1].upper() in units else float(text) / 2**30


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    for method in sorted({r["method"] for r in rows}):
        rs = [r for r in rows if r["method"] == method]
        mt = [r["tokens"] / 1e6 for r in rs]
        ax1.plot(mt, [r["s_per_mtok"] for r in rs], "o-", label=method)
        ax2.plot(mt, [r["rss_mb"] / 1024 for r in rs], "o-", label=method)
    ax1.set(xlabel="corpus, million tokens", ylabel="wall seconds per million tokens", xscale="log")
    ax2.set(xlabel="corpus, million tokens", ylabel="peak RSS, GB", xscale="log")
    ax1.legend()
    ax2.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("corpus")
    p.add_argument("--copies", default="1,4", help="corpus sizes, in copies of CORPUS (1,4,16)")
    p.add_argument("--methods", default="glove,ppmi-svd")
    p.add_argument("--memory", default="2G")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--dim", type=int, default=100)
    p.add_argument("--tmp", default=None, help="folder for the corpora and temporary files")
    p.add_argument("--no-glove-c", action="store_true")
    p.add_argument("--same-vocab", action="store_true",
                   help="min_count 5 x copies, so every size has the vocabulary of one copy at min_count 5 (at a "
                        "fixed min_count, k copies keep the words seen 5/k times in one: the vocabulary, and every "
                        "figure that depends on it, grows with k)")
    p.add_argument("--sentence-tokens", type=int, default=None,
                   help="cut CORPUS's lines into lines of this many tokens first (a sentence per line, where "
                        "wiki17m has an article per line: the per-sentence arrays grow with the sentence count)")
    p.add_argument("--out", default=str(HERE / "growth"))
    a = p.parse_args()
    copies = [int(x) for x in a.copies.split(",")]
    work_root = Path(tempfile.mkdtemp(prefix="growth-", dir=a.tmp))
    log = work_root.parent / (work_root.name + ".log")
    rows = []
    try:
        # warm Numba's cache on a tiny run first, so compilation is not part of any size's figures
        tiny = work_root / "tiny.txt"
        tiny.write_text(" ".join(f"w{i % 50}" for i in range(20000)) + "\n")
        for method in a.methods.split(","):
            embedkit(method, tiny, work_root, argparse.Namespace(**{**vars(a), "dim": 10, "copies_now": 1}), log)
        for k in copies:
            a.copies_now = k
            corpus = work_root / f"corpus{k}.txt"
            tokens = build_corpus(a.corpus, k, corpus, sentence_tokens=a.sentence_tokens)
            for method in a.methods.split(","):
                wall, rss, disk = embedkit(method, corpus, work_root, a, log)
                rows.append(dict(method=method, copies=k, tokens=tokens, wall_s=wall, s_per_mtok=wall / tokens * 1e6,
                                 rss_mb=rss, tmp_disk_mb=disk / 2**20))
                print(json.dumps(rows[-1]), flush=True)
            if k == max(copies) and not a.no_glove_c:
                cw = work_root / "glove_c"
                cw.mkdir()
                wall, rss, disk = glove_c(corpus, cw, a, log)
                rows.append(dict(method="glove C", copies=k, tokens=tokens, wall_s=wall,
                                 s_per_mtok=wall / tokens * 1e6, rss_mb=rss, tmp_disk_mb=disk / 2**20))
                print(json.dumps(rows[-1]), flush=True)
                shutil.rmtree(cw)
            corpus.unlink()
    finally:
        shutil.rmtree(work_root, ignore_errors=True)
    Path(a.out + ".json").write_text(json.dumps(dict(args=vars(a), rows=rows), indent=1))
    plot([r for r in rows if r["method"] != "glove C"], a.out + ".png")


if __name__ == "__main__":
    main()
