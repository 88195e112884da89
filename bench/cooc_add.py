"""Adding new text to a co-occurrence folder vs counting old and new text again (issue 20, GloVe).

Splits CORPUS into A and B by line (article): halves, as bench/continue.py does, or B the last
``--new-share`` of the lines (a month of new text after years of old). Counts A into a
folder, then, alternating, ``add_cooccurrences(A folder, B)`` and ``count_cooccurrences([A, B])``
into folders (both within ``--memory``), and prints the median wall seconds of each and their
ratio, measured in the same run. It then compares the two folders: words only in one, and the
co-occurrence values of the pairs of words both hold, and, by kind of word, how much of its joint row
the added folder holds.

    PYTHONPATH=. python bench/cooc_add.py /work/wiki17m.txt --repeat 3 [--new-share 0.1]
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def split(corpus, folder, new_share=0.5):
    with open(corpus, encoding="utf-8") as f:
        lines = f.readlines()
    half = len(lines) - max(1, round(new_share * len(lines)))
    paths = []
    for name, part in (("A", lines[:half]), ("B", lines[half:])):
        paths.append(os.path.join(folder, name + ".txt"))
        with open(paths[-1], "w", encoding="utf-8") as f:
            f.writelines(part)
    return paths


def row_sums(added, joint, base):
    """For the words of A's vocabulary, those rare in A (its ``rare.txt``) and those only in B: how many,
    and the median and total of their row sums in the added folder over the joint count's."""
    old, rare = set(base.words), set(base.rare.words if base.rare is not None else ())
    groups = {"in A's vocabulary": [w for w in joint.words if w in old],
              "rare in A, in the vocabulary now": [w for w in joint.words if w in rare],
              "only in B": [w for w in joint.words if w not in old and w not in rare]}
    out = {}
    for name, words in groups.items():
        if not words:
            continue
        sums = [np.asarray(c.matrix[np.array([c.vocab.word_to_id[w] for w in words])].sum(axis=1)).ravel()
                for c in (added, joint)]
        out[name] = (len(words), float(np.median(sums[0] / sums[1])), float(sums[0].sum() / sums[1].sum()))
    return out


def compare(added, joint):
    """Words only in one folder, and how the values of pairs both hold differ."""
    only_added = set(added.words) - set(joint.words)
    only_joint = set(joint.words) - set(added.words)
    shared = [w for w in joint.words if w in added.vocab.word_to_id]
    ja = np.array([joint.vocab.word_to_id[w] for w in shared])
    aa = np.array([added.vocab.word_to_id[w] for w in shared])
    x = joint.matrix[ja][:, ja].tocsr()
    y = added.matrix[aa][:, aa].tocsr()
    diff = abs(x - y)
    changed = int((diff > 1e-3 * abs(x).maximum(abs(y))).sum())
    return {"words added / joint": f"{len(added)} / {len(joint)}", "only in added": len(only_added),
            "only in joint": len(only_joint), "non-zeros added / joint": f"{added.matrix.nnz:,} / {joint.matrix.nnz:,}",
            "shared pairs whose value differs by > 0.1%": f"{changed:,} of {x.nnz:,}",
            "sum of |difference| / sum of values (shared words)": f"{diff.sum() / x.sum():.2e}"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--window", type=int, default=10)
    ap.add_argument("--weighting", default="harmonic")
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--memory", default="1G")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--new-share", type=float, default=0.5, help="B's share of the lines (default: half)")
    a = ap.parse_args()
    from embedkit.cooc import add_cooccurrences, count_cooccurrences

    kw = dict(window=a.window, weighting=a.weighting, min_count=a.min_count, threads=a.threads, memory=a.memory)
    with tempfile.TemporaryDirectory() as folder:
        A, B = split(a.corpus, folder, a.new_share)
        count_cooccurrences("data/sample.txt.xz", **{**kw, "min_count": 50})  # compile outside the timings
        t = time.perf_counter()
        count_cooccurrences(A, output=os.path.join(folder, "A"), **kw)
        print(f"A counted into a folder: {time.perf_counter() - t:.1f} s", flush=True)
        times = {"add B to A's folder": [], "count A and B": []}
        for i in range(a.repeat):
            for name in times:
                out = os.path.join(folder, name.split()[0])
                shutil.rmtree(out, ignore_errors=True)
                t = time.perf_counter()
                if name.startswith("add"):
                    added = add_cooccurrences(os.path.join(folder, "A"), B, output=out, memory=a.memory,
                                              threads=a.threads)
                else:
                    joint = count_cooccurrences([A, B], output=out, **kw)
                times[name].append(time.perf_counter() - t)
                print(f"round {i + 1}: {name} {times[name][-1]:.1f} s", flush=True)
        med = {k: statistics.median(v) for k, v in times.items()}
        print()
        print("| run | wall s (median) | every run |")
        print("|---|---:|---|")
        for k, v in times.items():
            print(f"| {k} | {med[k]:.1f} | {', '.join(f'{x:.1f}' for x in v)} |")
        print(f"\nadd / count both: {med['add B to A' + chr(39) + 's folder'] / med['count A and B']:.2f}x "
              f"(tokens: {added.info['tokens']:,} added, {joint.info['tokens']:,} joint)")
        for k, v in compare(added, joint).items():
            print(f"- {k}: {v}")
        print("\n| words | how many | row sum, added / joint: median | total |\n|---|---:|---:|---:|")
        from embedkit.cooc import load_cooccurrences

        for k, (n, med_ratio, total) in row_sums(added, joint, load_cooccurrences(os.path.join(folder, "A"))).items():
            print(f"| {k} | {n:,} | {med_ratio:.3f} | {total:.3f} |")


if __name__ == "__main__":
    main()
