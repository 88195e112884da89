"""Peak memory of the scan alone (``vocab.scan_corpus``: count, encode, remap the id file), by phase.

Samples this process's RSS every 0.05 s, split into anonymous memory and file pages (``/proc/self/status``),
and prints the highest sample of each phase: ``scan`` (reading, counting, writing provisional ids), ``remap``
(``vocab.remap_id_file``: final ids, pruned words dropped) and ``after`` (the vocabulary). Run it on corpora of
growing size (``bench/growth.py``'s ``build_corpus``) to see which phase grows (issue 21: memory flat with size).

    TMPDIR=/work/exp/gtmp python bench/scan_rss.py CORPUS --min-count 5 --threads 2
"""

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embedkit import vocab as vocab_mod  # noqa: E402

FIELDS = ("VmRSS", "RssAnon", "RssFile")


def _status():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in FIELDS:
                out[key] = int(value.split()[0]) // 1024
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("corpus")
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    sample = Path(__file__).resolve().parent.parent / "data" / "sample.txt.xz"
    vocab_mod.scan_corpus(sample, min_count=1, threads=a.threads)  # kernels loaded before sampling starts
    phase = ["scan"]
    remap = vocab_mod.remap_id_file

    def remap_phase(*args, **kw):
        phase[0] = "remap"
        try:
            return remap(*args, **kw)
        finally:
            phase[0] = "after"

    vocab_mod.remap_id_file = remap_phase
    peak, done = {}, threading.Event()

    def sampler():
        while not done.is_set():
            s, ph = _status(), phase[0]
            if s["VmRSS"] > peak.get(ph, {"VmRSS": -1})["VmRSS"]:
                peak[ph] = s
            time.sleep(0.05)

    t = time.perf_counter()
    th = threading.Thread(target=sampler, daemon=True)
    th.start()
    _, enc = vocab_mod.scan_corpus(a.corpus, min_count=a.min_count, threads=a.threads)
    done.set()
    th.join()
    print(f"{a.corpus}: {int(enc.offsets[-1]):,} tokens kept, {time.perf_counter() - t:.1f} s")
    print("| phase | peak RSS MB | anonymous MB | file pages MB |\n|---|---:|---:|---:|")
    for ph in ("scan", "remap", "after"):
        if ph in peak:
            print(f"| {ph} | {peak[ph]['VmRSS']} | {peak[ph]['RssAnon']} | {peak[ph]['RssFile']} |")


if __name__ == "__main__":
    main()
