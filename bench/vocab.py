"""Benchmark: embedkit's vocabulary + encoding pass against gensim's ``Word2Vec.build_vocab``.

Usage::

    python bench/vocab.py CORPUS [--threads 2] [--min-count 5]

A compressed CORPUS (.xz/.gz/.bz2) is first decompressed once to a temporary plain-text file
(timed separately), and both tools read that same plain file, each in its own subprocess
(peak RSS from ``resource.getrusage(RUSAGE_SELF)`` in the child):

* embedkit: ``vocab.scan_corpus(path, min_count=...)`` -- counts AND encodes (writes the
  int32 id file and sentence offsets), after a Numba warm-up on a tiny corpus, timed apart.
* gensim: ``Word2Vec(min_count=..., workers=threads).build_vocab(corpus_file=path)`` -- counts
  only (its scan_vocab reads the file with LineSentence), then trims and sorts the vocabulary
  (prepare_vocab) and allocates the weights (prepare_weights); the parts are timed apart.

Throughput is MB/s of uncompressed text (10**6 bytes). The parent checks that both tools
found the same vocabulary with the same counts.

Parallel scan (issue 21 item 3)::

    python bench/vocab.py CORPUS --scan-threads 1,2 [--against main] [--repeat 3] [--tokenize words --lowercase]

times ``scan_corpus(CORPUS, min_count=..., threads=N)`` for each N (and, with ``--against REV``,
the scan of the code at git revision REV, exported to a temporary folder: "today's scan"), each
run in its own subprocess after a warm-up scan of the bundled sample (compile or cache load), the
variants alternated ``--repeat`` times. It prints the median wall time of each, the ratios, and
checks that every variant gave the same words, counts, ids and sentence offsets (a digest).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

_DECOMPRESS = {b"\xfd7zXZ\x00": "xz", b"\x1f\x8b": "gzip", b"BZh": "bzip2"}


def _finish(out, name, words, counts, info):
    ru = resource.getrusage(resource.RUSAGE_SELF)
    info.update(peak_rss_mb=ru.ru_maxrss / 1024, cpu_s=ru.ru_utime + ru.ru_stime)
    with open(os.path.join(out, f"{name}.vocab"), "w", encoding="utf-8") as f:
        for w, c in zip(words, counts):
            f.write(f"{w} {c}\n")
    with open(os.path.join(out, f"{name}.json"), "w") as f:
        json.dump(info, f)


def child_embedkit(a):
    from embedkit.vocab import scan_corpus

    with tempfile.TemporaryDirectory() as tmp:  # warm-up: compile or load the cached kernel
        tiny = os.path.join(tmp, "tiny.txt")
        with open(tiny, "w") as f:
            f.write("a b c a b a\nb c a\n" * 20)
        t = time.perf_counter()
        scan_corpus(tiny, min_count=1)
        warm = time.perf_counter() - t
    t = time.perf_counter()
    vocab, enc = scan_corpus(a.corpus, min_count=a.min_count)
    elapsed = time.perf_counter() - t
    info = {"time_s": elapsed, "warmup_s": warm, "vocab": len(vocab), "tokens_kept": enc.n_tokens,
            "sentences": enc.n_sentences}
    _finish(a.out, "embedkit", vocab.words, vocab.counts.tolist(), info)


def child_scan(a):
    if a.tree:
        sys.path.insert(0, a.tree)
    import hashlib

    from embedkit.vocab import scan_corpus

    kw = {"tokenize": a.tokenize, "lowercase": a.lowercase}
    if not a.tree:
        kw["threads"] = a.n
    sample = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "sample.txt.xz")
    t = time.perf_counter()
    scan_corpus(sample, min_count=a.min_count, **kw)  # warm-up: every kernel compiled or loaded
    warm = time.perf_counter() - t
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t = time.perf_counter()
    vocab, enc = scan_corpus(a.corpus, min_count=a.min_count, **kw)
    elapsed = time.perf_counter() - t
    ru = resource.getrusage(resource.RUSAGE_SELF)
    digest = hashlib.sha1("\n".join(vocab.words).encode())
    for arr in (vocab.counts, np.asarray(enc.ids), enc.offsets):
        digest.update(np.ascontiguousarray(arr).tobytes())
    info = {"time_s": elapsed, "warmup_s": warm, "digest": digest.hexdigest(), "vocab": len(vocab),
            "tokens": enc.n_tokens, "cpu_s": ru.ru_utime + ru.ru_stime - ru0.ru_utime - ru0.ru_stime,
            "load": os.getloadavg()[0]}
    with open(os.path.join(a.out, f"scan-{a.tag}.json"), "w") as f:
        json.dump(info, f)


def child_cores(a):
    """How many cores ``a.n`` threads get now (``bench/cores_probe.py``: an FMA loop once alone, then on each
    thread). A loop of square roots, the probe before, is latency-bound and saw about 2 cores even when the
    two vCPUs shared a physical core's vector units."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from cores_probe import scaling

    with open(os.path.join(a.out, "cores.json"), "w") as f:
        json.dump({"cores": scaling(a.n)[2]}, f)


def scan_threads(a):
    """The --scan-threads benchmark: medians of alternated runs, ratios, identity of the results."""
    import statistics

    ns = [int(x) for x in a.scan_threads.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-scan-") as out:
        variants = [(f"threads={n}", n, "") for n in ns]
        if a.against:
            from kernel_ab import archive_tree  # bench/, first on sys.path when this script runs

            variants.insert(0, (f"{a.against} (today's scan)", 1, archive_tree(a.against, os.path.join(out, "tree"))))
        env = dict(os.environ)
        env["NUMBA_NUM_THREADS"] = str(max(ns))
        runs = {name: [] for name, _, _ in variants}
        cores = []
        for r in range(a.repeat):
            subprocess.run([sys.executable, os.path.abspath(__file__), a.corpus, "--child", "cores", "--out", out,
                            "--n", str(max(ns))], env=env, check=True)
            with open(os.path.join(out, "cores.json")) as f:
                cores.append(json.load(f)["cores"])
            for k, (name, n, tree) in enumerate(variants):
                print(f"run {r + 1}/{a.repeat}: {name} ...", file=sys.stderr, flush=True)
                argv = [sys.executable, os.path.abspath(__file__), a.corpus, "--child", "scan", "--out", out,
                        "--min-count", str(a.min_count), "--n", str(n), "--tag", str(k), "--tokenize", a.tokenize]
                argv += (["--tree", tree] if tree else []) + (["--lowercase"] if a.lowercase else [])
                subprocess.run(argv, env=env, check=True)
                with open(os.path.join(out, f"scan-{k}.json")) as f:
                    runs[name].append(json.load(f))
    mb = os.path.getsize(a.corpus) / 1e6
    med = {name: statistics.median(x["time_s"] for x in rs) for name, rs in runs.items()}
    digests = {x["digest"] for rs in runs.values() for x in rs}
    ref = f"threads={ns[0]}"
    lines = [f"corpus {a.corpus} ({mb:.1f} MB), min_count {a.min_count}, tokenize {a.tokenize}"
             f"{', lowercase' if a.lowercase else ''}; median of {a.repeat} alternated runs; load average (1 min) "
             f"at the runs {min(x['load'] for rs in runs.values() for x in rs):.1f}-"
             f"{max(x['load'] for rs in runs.values() for x in rs):.1f}", "",
             "| scan | wall s (median) | every run | best | CPU s (median) | MB/s (median) | speed-up vs " + ref +
             " (median; best) |",
             "|---|---:|---|---:|---:|---:|---:|"]
    best = {name: min(x["time_s"] for x in rs) for name, rs in runs.items()}
    for name, rs in runs.items():
        each = ", ".join(f"{x['time_s']:.2f}" for x in rs)
        lines.append(f"| {name} | {med[name]:.2f} | {each} | {best[name]:.2f} | "
                     f"{statistics.median(x['cpu_s'] for x in rs):.2f} | {mb / med[name]:.0f} | "
                     f"{med[ref] / med[name]:.2f} x; {best[ref] / best[name]:.2f} x |")
    lines += ["", f"cores that {max(ns)} threads of an FMA loop on their own data got (bench/cores_probe.py), before "
              "each round (the most a scan could gain from them at that moment): "
              f"{', '.join(f'{c:.2f}' for c in cores)}",
              f"same words, counts, ids and sentence offsets in every run: {'yes' if len(digests) == 1 else 'NO'}"
              f" ({next(iter(runs.values()))[0]['vocab']:,} words, {next(iter(runs.values()))[0]['tokens']:,} "
              "tokens kept)"]
    last = f"threads={ns[-1]}"
    for name in runs:
        if name != last:
            each = ", ".join(f"{y['time_s'] / x['time_s']:.2f}" for x, y in zip(runs[last], runs[name]))
            lines.append(f"{last} is {med[name] / med[last]:.2f} x as fast as {name} (median times; best times: "
                         f"{best[name] / best[last]:.2f} x; each round's ratio: {each})")
    print("\n".join(lines))


def child_gensim(a):
    from gensim.models import Word2Vec

    model = Word2Vec(min_count=a.min_count, workers=a.threads)
    parts = {}

    def timed(name, fn):
        def wrapper(*args, **kw):
            t = time.perf_counter()
            try:
                return fn(*args, **kw)
            finally:
                parts[name] = parts.get(name, 0.0) + time.perf_counter() - t
        return wrapper

    for name in ("scan_vocab", "prepare_vocab", "prepare_weights"):
        setattr(model, name, timed(name, getattr(model, name)))
    t = time.perf_counter()
    model.build_vocab(corpus_file=a.corpus)
    elapsed = time.perf_counter() - t
    wv = model.wv
    counts = [int(wv.get_vecattr(w, "count")) for w in wv.index_to_key]
    info = {"time_s": elapsed, "parts": parts, "vocab": len(wv.index_to_key), "tokens_kept": sum(counts),
            "sentences": model.corpus_count}
    _finish(a.out, "gensim", wv.index_to_key, counts, info)


def run_child(name, a, corpus, out):
    env = dict(os.environ)
    for var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(a.threads)
    argv = [sys.executable, os.path.abspath(__file__), corpus, "--threads", str(a.threads),
            "--min-count", str(a.min_count), "--child", name, "--out", out]
    t = time.perf_counter()
    subprocess.run(argv, env=env, check=True)
    wall = time.perf_counter() - t
    with open(os.path.join(out, f"{name}.json")) as f:
        info = json.load(f)
    info["process_wall_s"] = wall
    with open(os.path.join(out, f"{name}.vocab"), encoding="utf-8") as f:
        info["counts"] = dict((w, int(c)) for w, c in (line.split() for line in f))
    return info


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("corpus")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--scan-threads", help="comma-separated thread counts: time the parallel scan instead")
    p.add_argument("--against", help="with --scan-threads: also time the scan of this git revision")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--tokenize", default="whitespace")
    p.add_argument("--lowercase", action="store_true")
    p.add_argument("--child", choices=("embedkit", "gensim", "scan", "cores"), help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, help=argparse.SUPPRESS)
    p.add_argument("--tag", help=argparse.SUPPRESS)
    p.add_argument("--tree", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        {"embedkit": child_embedkit, "gensim": child_gensim, "scan": child_scan, "cores": child_cores}[a.child](a)
        return
    if a.scan_threads:
        scan_threads(a)
        return

    with tempfile.TemporaryDirectory(prefix="bench-vocab-") as out:
        with open(a.corpus, "rb") as f:
            head = f.read(6)
        tool = next((t for m, t in _DECOMPRESS.items() if head.startswith(m)), None)
        corpus, t_dec = a.corpus, None
        if tool:
            if shutil.which(tool) is None:
                sys.exit(f"need {tool} to decompress {a.corpus}")
            corpus = os.path.join(out, "corpus.txt")
            print(f"decompressing with {tool} ...", file=sys.stderr, flush=True)
            t = time.perf_counter()
            with open(corpus, "wb") as f:
                subprocess.run([tool, "-dc", a.corpus], stdout=f, check=True)
            t_dec = time.perf_counter() - t
        mb = os.path.getsize(corpus) / 1e6
        res = {}
        for name in ("embedkit", "gensim"):
            print(f"running {name} ...", file=sys.stderr, flush=True)
            res[name] = run_child(name, a, corpus, out)

    ek, gs = res["embedkit"], res["gensim"]
    same = ek["counts"] == gs["counts"]
    parts = gs["parts"]
    lines = [
        f"threads {a.threads} (Numba / gensim workers; both passes are single-threaded); min_count {a.min_count}; "
        f"input {mb:.1f} MB of plain text" + (f", decompressed once with `{tool} -dc` in {t_dec:.1f} s "
                                              f"({mb / t_dec:.0f} MB/s), not counted below" if tool else ""),
        "",
        f"embedkit Numba warm-up (compile or cache load, not counted): {ek['warmup_s']:.2f} s",
        "",
        "| | embedkit scan_corpus (count + encode) | gensim build_vocab (count only) | ratio |",
        "|---|---:|---:|---:|",
        f"| wall time (s) | {ek['time_s']:.1f} | {gs['time_s']:.1f} "
        f"(scan_vocab {parts.get('scan_vocab', 0):.1f}, prepare_vocab {parts.get('prepare_vocab', 0):.1f}, "
        f"prepare_weights {parts.get('prepare_weights', 0):.1f}) | {gs['time_s'] / ek['time_s']:.2f} x (gensim/embedkit) |",
        f"| throughput (MB/s) | {mb / ek['time_s']:.1f} | {mb / gs['time_s']:.1f} | "
        f"{gs['time_s'] / ek['time_s']:.2f} x |",
        f"| throughput vs gensim's counting alone (scan_vocab) | {mb / ek['time_s']:.1f} | "
        f"{mb / max(parts.get('scan_vocab', 0), 1e-9):.1f} | {parts.get('scan_vocab', 0) / ek['time_s']:.2f} x |",
        f"| peak RSS (MB) | {ek['peak_rss_mb']:.0f} | {gs['peak_rss_mb']:.0f} | "
        f"{gs['peak_rss_mb'] / ek['peak_rss_mb']:.2f} x (gensim/embedkit) |",
        f"| CPU time, whole child (s) | {ek['cpu_s']:.1f} | {gs['cpu_s']:.1f} | |",
        f"| vocabulary (min_count {a.min_count}) | {ek['vocab']:,} | {gs['vocab']:,} | "
        f"{'identical words and counts' if same else 'DIFFERENT'} |",
        f"| in-vocabulary tokens | {ek['tokens_kept']:,} | {gs['tokens_kept']:,} | |",
        f"| sentences | {ek['sentences']:,} | {gs['sentences']:,} | |",
        "",
        f"target (embedkit faster than gensim build_vocab): "
        f"{'met' if ek['time_s'] < gs['time_s'] else 'MISSED'} ({gs['time_s'] / ek['time_s']:.2f} x)",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
