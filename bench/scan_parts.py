"""Where the parallel scan's time goes: ``scan_corpus`` with its kernels timed from inside.

    python bench/scan_parts.py CORPUS [--threads 1,2] [--repeat 3] [--parts-per-thread K] [--chunk-bytes B]

For each thread count (runs alternated, after a warm-up scan of the bundled sample, in this process): the
scan's wall and CPU seconds; the CPU seconds of the serial tokenizer (``_tokenize``), of the parallel lookups
(``_lookup_part``, summed over the threads) and of the serial step (``_settle_part``); the wall seconds of
the parallel step (``_tokenize_parallel``: lookups, their waits and the serial step); and the share of tokens
found in the table whose ids the threads do not count themselves (past ``_THREAD_COUNTED``: the serial
step counts them, with the tokens of words new in their piece). Medians
of ``--repeat`` runs. ``--parts-per-thread`` sets ``vocab._PARTS_PER_THREAD`` (4); ``--chunk-bytes`` the
size of the pieces the reader hands over (``corpus.CHUNK_BYTES``, 1 MB).
"""

from __future__ import annotations

import argparse
import collections
import functools
import os
import statistics
import time


def instrument(vocab):
    """Wrap the scan's kernels to add their thread CPU seconds (and the parallel step's wall) to ``acc``."""
    acc = collections.defaultdict(float)

    def cpu(name, fn):
        def wrapped(*args):
            t = time.thread_time()
            r = fn(*args)
            acc[name] += time.thread_time() - t
            return r
        return wrapped

    def settle(fn):
        def wrapped(*args):
            if args[3] == 0:  # a part's first call: its tokens, and the found ones past the threads' counted ids
                acc["tokens"] += int(args[2][0])
                acc["late"] += int(args[2][3])
            return fn(*args)
        return wrapped

    def wall(fn):
        def wrapped(*args):
            t = time.perf_counter()
            r = fn(*args)
            acc["parallel step wall"] += time.perf_counter() - t
            return r
        return wrapped

    vocab._tokenize = cpu("tokenize CPU", vocab._tokenize)
    vocab._lookup_part = cpu("lookups CPU", vocab._lookup_part)
    vocab._settle_part = settle(cpu("serial step CPU", vocab._settle_part))
    vocab._tokenize_parallel = wall(vocab._tokenize_parallel)
    return acc


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("corpus")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--parts-per-thread", type=int, default=None)
    p.add_argument("--chunk-bytes", type=int, default=None, help="bytes per piece the reader hands over (1 MB)")
    a = p.parse_args()
    from embedkit import vocab

    if a.parts_per_thread:
        vocab._PARTS_PER_THREAD = a.parts_per_thread
    if a.chunk_bytes:
        vocab.iter_pieces = functools.partial(vocab.iter_pieces, chunk_bytes=a.chunk_bytes)
    acc = instrument(vocab)
    sample = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "sample.txt.xz")
    ns = [int(x) for x in a.threads.split(",")]
    for n in ns:
        vocab.scan_corpus(sample, min_count=5, threads=n)  # kernels loaded
    rows = {n: collections.defaultdict(list) for n in ns}
    for _ in range(a.repeat):
        for n in ns:
            acc.clear()
            t, c = time.perf_counter(), time.process_time()
            vocab.scan_corpus(a.corpus, min_count=5, threads=n)
            rows[n]["wall"].append(time.perf_counter() - t)
            rows[n]["CPU"].append(time.process_time() - c)
            for k, v in acc.items():
                rows[n][k].append(v)
    print(f"{a.corpus}, min_count 5, medians of {a.repeat} runs, load average {os.getloadavg()[0]:.2f}, parts per "
          f"thread {vocab._PARTS_PER_THREAD}")
    for n in ns:
        r = {k: statistics.median(v) for k, v in rows[n].items()}
        late = f"; found tokens past the threads' counted ids {r['late'] / r['tokens']:.1%}" if r.get("tokens") else ""
        print(f"threads={n}: " + ", ".join(f"{k} {v:.3f} s" for k, v in r.items() if k not in ("tokens", "late"))
              + late)


if __name__ == "__main__":
    main()
