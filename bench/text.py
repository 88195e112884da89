"""Raw text in: the tokenizers' scan time, vocabulary shape and the vectors they lead to.

usage: python bench/text.py scan RAW [--repeat 2]
       python bench/text.py types RAW [--min-count 5]
       python bench/text.py text8 RAW CLEAN
       python bench/text.py sgns RAW CLEAN [--threads 2] [--epochs 5] [--out DIR] [--runs words,clean,whitespace]

- ``scan``: the vocabulary scan (``build_vocab``, the pass every command makes) with
  ``tokenize="whitespace"`` and with ``tokenize="words", lowercase=True`` on the same bytes,
  alternated ``--repeat`` times; wall and CPU seconds (CPU time is the fairer figure on a
  shared machine) and their ratio (target <= 1.3x).
- ``types``: under each tokenizer, the share of vocabulary types (count >= min_count) that
  carry punctuation: that the ``words`` rule would split or strip (``(qed)``, ``physics.``,
  not ``feynman's``), and, wider, that hold any punctuation or symbol character (Unicode P* or
  S*, word-internal apostrophes, hyphens and dots included); and the tokens they cover.
- ``text8``: ``tokenize="text8"`` on RAW against the tokens of CLEAN (the text8-style
  cleaning of the same articles), line by line (an article a line): the lines that agree
  exactly, and the token agreement: tokens the two lines share (as multisets), 2 x shared /
  (tokens of both).
- ``sgns``: SGNS with the word2vec benchmark's settings (bench/word2vec.py: dim 100, window 5,
  min_count 5, sample 1e-4, 5 negatives, 5 epochs) on RAW with ``--tokenize words
  --lowercase`` and on CLEAN as it is (whitespace), one after the other; each scored on
  WS-353, SimLex-999, MEN and Google (3CosAdd, 30k) by embedkit.eval. Vectors are kept in
  --out (``NAME.npy`` + ``NAME.words``) so a table can be re-scored.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import unicodedata
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COMMON = dict(model="skipgram", dim=100, window=5, min_count=5, sample=1e-4, negative=5)


def scan(raw, repeat):
    from embedkit.vocab import build_vocab

    build_vocab(ROOT / "data" / "sample.txt.xz", min_count=1, tokenize="words", lowercase=True)  # compile
    rows = {"whitespace": [], "words --lowercase": [], "whitespace --lowercase": []}
    for _ in range(repeat):
        for name, kw in (("whitespace", {}), ("words --lowercase", dict(tokenize="words", lowercase=True)),
                         ("whitespace --lowercase", dict(lowercase=True))):
            w, c = time.perf_counter(), time.process_time()
            v = build_vocab(raw, min_count=1, **kw)
            rows[name].append((time.perf_counter() - w, time.process_time() - c, len(v), v.n_tokens))
    print("| scan | wall s (best) | CPU s (best) | types | tokens |")
    print("|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {min(x[0] for x in r):.2f} | {min(x[1] for x in r):.2f} | {r[0][2]:,} | {r[0][3]:,} |")
    ws, wd = rows["whitespace"], rows["words --lowercase"]
    print(f"\nratio words --lowercase / whitespace: wall {min(x[0] for x in wd) / min(x[0] for x in ws):.2f}x, "
          f"CPU {min(x[1] for x in wd) / min(x[1] for x in ws):.2f}x (target <= 1.3x)")


def _punct(word):
    """Any punctuation or symbol character."""
    return any(unicodedata.category(ch)[0] in "PS" for ch in word)


def _attached(word):
    """Punctuation the ``words`` rule would split off or drop."""
    from embedkit.corpus import tokenize_text

    return tokenize_text(word, tokenize="words") != [word]


def types(raw, min_count):
    from embedkit.vocab import build_vocab

    print(f"| tokenizer | types (count >= {min_count}) | types carrying punctuation | tokens they cover | "
          "types with any P*/S* character | tokens they cover |")
    print("|---|---|---|---|---|---|")
    for name, kw in (("whitespace", {}), ("whitespace --lowercase", dict(lowercase=True)),
                     ("words --lowercase", dict(tokenize="words", lowercase=True)),
                     ("words --lowercase --keep-punctuation", dict(tokenize="words", lowercase=True,
                                                                  keep_punctuation=True)),
                     ("text8", dict(tokenize="text8"))):
        v = build_vocab(raw, min_count=min_count, **kw)
        cells = []
        for test in (_attached, _punct):
            bad = [i for i, w in enumerate(v.words) if test(w)]
            cells += [f"{len(bad) / len(v):.1%}", f"{v.counts[bad].sum() / v.counts.sum():.1%}"]
        print(f"| {name} | {len(v):,} | {' | '.join(cells)} |")


def text8(raw, clean):
    from embedkit.corpus import iter_sentences

    ours = iter_sentences(raw, tokenize="text8", max_sentence_length=10**9)
    theirs = iter_sentences(clean, max_sentence_length=10**9)
    n_lines = same_lines = n_ours = n_theirs = matched = 0
    for a, b in zip(ours, theirs):
        n_lines += 1
        same_lines += a == b
        n_ours += len(a)
        n_theirs += len(b)
        matched += len(a) if a == b else sum((Counter(a) & Counter(b)).values())
    print("| lines | identical lines | tokens (text8 on raw) | tokens (clean) | shared tokens | "
          "agreement (2 x shared / both) |")
    print("|---|---|---|---|---|---|")
    print(f"| {n_lines:,} | {same_lines / n_lines:.1%} | {n_ours:,} | {n_theirs:,} | {matched:,} | "
          f"{2 * matched / (n_ours + n_theirs):.2%} |")


def sgns(raw, clean, threads, epochs, out, runs, seed=1):
    import numpy as np

    from embedkit.eval import evaluate
    from embedkit.vectors import Vectors
    from embedkit.word2vec import train_word2vec

    os.makedirs(out, exist_ok=True)
    plan = {"words": (raw, "raw17m --tokenize words --lowercase", dict(tokenize="words", lowercase=True)),
            "clean": (clean, "wiki17m (cleaned), whitespace", {}),
            "whitespace": (raw, "raw17m --tokenize whitespace --lowercase", dict(lowercase=True))}
    rows = []
    for name in runs:
        corpus, label, kw = plan[name]
        base = os.path.join(out, name if seed == 1 else f"{name}-seed{seed}")
        if not os.path.exists(base + ".npy"):
            t = time.perf_counter()
            r = train_word2vec(corpus, threads=threads, seed=seed, epochs=epochs, **COMMON, **kw)
            np.save(base + ".npy", r.vectors.matrix)
            Path(base + ".words").write_text("\n".join(r.vectors.words), encoding="utf-8")
            Path(base + ".json").write_text(json.dumps(dict(seconds=time.perf_counter() - t, timings=r.timings)))
        words = Path(base + ".words").read_text(encoding="utf-8").split("\n")
        v = Vectors(words, np.load(base + ".npy"))
        s = evaluate(v, bootstrap=0).summary()
        secs = json.loads(Path(base + ".json").read_text())["seconds"]
        punct = sum(map(_attached, words)) / len(words)
        rows.append((label, len(words), punct, s, secs, v))
        print(f"done {label}: {secs:.0f} s", file=sys.stderr, flush=True)
    common = _common_google(out, [r[5] for r in rows])
    print("| corpus and tokenizer | vocab | types carrying punctuation | WS-353 | SimLex | MEN | Google | "
          "Google coverage | Google, questions all cover | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (label, n, punct, s, secs, _), acc in zip(rows, common):
        print(f"| {label} | {n:,} | {punct:.1%} | {s['WS-353-ALL']:.3f} | {s['SIMLEX-999']:.3f} | "
              f"{s['MEN-TR-3k']:.3f} | {s['google']:.1%} | {s['google_coverage']:.1%} | {acc:.1%} | {secs:.0f} |")


def common_google_file(path, vectors, restrict=30000):
    """Write to ``path`` the Google questions that every model of ``vectors`` covers (all four words
    among its ``restrict`` most frequent); returns ``path``."""
    from embedkit.eval import bundled_path, read_analogies

    tops = [{w.lower() for w in v.words[:restrict]} for v in vectors]
    with open(path, "w", encoding="utf-8") as f:
        for section, questions in read_analogies(bundled_path("google")):
            f.write(f": {section}\n")
            for q in questions:
                if all(w.lower() in top for top in tops for w in q):
                    f.write(" ".join(q) + "\n")
    return path


def _common_google(out, vectors, restrict=30000):
    """3CosAdd accuracy of each model on the Google questions that every model covers (all four
    words among its ``restrict`` most frequent), so that coverage differences do not move it."""
    from embedkit.eval import evaluate_analogy

    path = common_google_file(os.path.join(out, "google-common.txt"), vectors, restrict)
    return [next(r for r in evaluate_analogy(v, path, restrict=restrict, bootstrap=0) if r.method == "add").accuracy
            for v in vectors]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=["scan", "types", "text8", "sgns"])
    ap.add_argument("raw")
    ap.add_argument("clean", nargs="?")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--out", default="/tmp/embedkit-bench-text")
    ap.add_argument("--runs", default="words,clean")
    ap.add_argument("--seed", type=int, default=1, help="sgns: the training seed (a second seed measures the spread)")
    a = ap.parse_args()
    if a.what in ("text8", "sgns") and not a.clean:
        ap.error(f"{a.what} needs RAW and CLEAN")
    print(f"# bench/text.py {' '.join(sys.argv[1:])}; load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
          flush=True)
    if a.what == "scan":
        scan(a.raw, a.repeat)
    elif a.what == "types":
        types(a.raw, a.min_count)
    elif a.what == "text8":
        text8(a.raw, a.clean)
    else:
        sgns(a.raw, a.clean, a.threads, a.epochs, a.out, a.runs.split(","), seed=a.seed)


if __name__ == "__main__":
    main()
