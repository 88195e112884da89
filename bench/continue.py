"""Continued training vs training from scratch vs gensim's build_vocab(update=True) route.

usage: python bench/continue.py CORPUS [--lines N] [--epochs 5] [--threads 2] [--methods sgns,fasttext]
                                       [--no-gensim] [--alpha-factors F1,F2] [--seed S]

The first N lines (articles) of CORPUS (all by default) are split into halves by line: A (the
first half) and B (the second). For each method: train from scratch on A+B (E epochs); train on A (E
epochs), save the model and continue on B (E epochs); and for SGNS, gensim's route
(Word2Vec on A, ``build_vocab(B, update=True)``, ``train(B)``); for each method also the continuation with
``average_init`` (the model's words pulled back toward A's vectors by A's share of their counts). Every model is scored with
embedkit.eval (WS-353, SimLex, MEN, Google). For the words that occur only in B (in both the
continued and the from-scratch vocabulary), the table gives the mean overlap of their 10
nearest neighbours with the same word's neighbours in the from-scratch model.
``--alpha-factors`` adds continued runs from a lower starting rate (the default restarts the
linear decay from the full alpha, as gensim does). Each model's scores are printed as soon as it is trained, the table at the end.
Settings: dim 100, window 5, min_count 5, 5 negatives; SGNS sample 1e-4 (fastText 1e-4). GloVe
(``--methods glove``): dim 100, min_count 5, its own defaults otherwise (window 10, x_max 100, learning
rate 0.05), ``--glove-epochs`` (25) epochs; "continued" counts B's co-occurrences alone (``train_glove``
with ``init``), "continued on A+B's co-occurrences" fits those of A and B counted together
(``fit_glove`` with ``init``), for the same epochs and a third of them (seconds: counting and fitting);
"continued on A's folder + B's counts" adds B to a folder of A's counts (``add_cooccurrences``) and
fits the sum; the min_count-1 route counts A's folder at min_count 1, fits A's model and the
continuation on it restricted to 5 (``Cooccurrence.restrict``; seconds: adding and fitting).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COMMON = dict(dim=100, window=5, min_count=5, negative=5, sample=1e-4)


def split(corpus, lines, folder):
    with open(corpus, encoding="utf-8") as f:
        text = [ln for _, ln in zip(range(lines or 10**12), f)]
    half = len(text) // 2
    paths = {}
    for name, part in (("A", text[:half]), ("B", text[half:]), ("AB", text)):
        paths[name] = os.path.join(folder, name + ".txt")
        with open(paths[name], "w", encoding="utf-8") as f:
            f.writelines(part)
    return paths, sum(len(ln.split()) for ln in text)


def scores(v):
    from embedkit.eval import evaluate

    s = evaluate(v).summary()
    return [s[k] for k in ("WS-353-ALL", "SIMLEX-999", "MEN-TR-3k", "google")]


def neighbour_overlap(v, ref, words, k=10):
    """Mean |top-k(v, w) & top-k(ref, w)| / k over ``words`` (in both vocabularies)."""
    words = [w for w in words if w in v and w in ref]
    if not words:
        return float("nan"), 0
    total = 0.0
    for w in words:
        a = {x for x, _ in v.most_similar(w, topn=k)}
        b = {x for x, _ in ref.most_similar(w, topn=k)}
        total += len(a & b) / k
    return total / len(words), len(words)


def b_only(paths):
    from embedkit.vocab import build_vocab

    a = set(build_vocab(paths["A"], min_count=1).words)
    return [w for w in build_vocab(paths["B"], min_count=5).words if w not in a]


def three_runs(train, kw, paths, model):
    """Yield (run, vectors, seconds) of ``train`` from scratch on A+B, on A alone (its model saved
    to the path ``model``) and A continued on B (seconds include training on A); return ``model``."""
    t = time.perf_counter()
    yield "scratch", train(paths["AB"], **kw).vectors, time.perf_counter() - t
    t = time.perf_counter()
    first = train(paths["A"], return_model=True, **kw)
    first.model.save(model)
    t_a = time.perf_counter() - t
    yield "A only", first.vectors, t_a
    t = time.perf_counter()
    cont = train(paths["B"], init=model, **kw)
    yield "continued", cont.vectors, t_a + time.perf_counter() - t
    return model


def run_ours(method, paths, epochs, threads, folder, factors=(), seed=1, glove_epochs=25, average=True):
    """Yield (run, vectors, seconds) as each model is trained: from scratch on A+B first (the
    reference of the neighbour overlap), then A alone, then A continued on B ("continued"
    seconds include training on A); then, for SGNS and fastText, the same continuation with
    ``average_init`` (unless ``average`` is false), for GloVe the continuations on A+B's
    co-occurrences, counted together or B's added to a folder of A's; then A continued on B from the default rate (``alpha``, GloVe's
    ``learning_rate``) times each f of ``factors`` (the same saved A model; seconds of the
    continuation alone)."""
    from embedkit.word2vec import train_word2vec

    kw = dict(model="skipgram", threads=threads, seed=seed, epochs=epochs, **COMMON)
    t = time.perf_counter()
    if method == "sgns":
        model = yield from three_runs(train_word2vec, kw, paths, os.path.join(folder, "sgns-A.model"))
        if average:
            t = time.perf_counter()
            averaged = train_word2vec(paths["B"], init=model, average_init=True, **kw)
            yield "continued, averaged (average_init)", averaged.vectors, time.perf_counter() - t
        again = lambda f: train_word2vec(paths["B"], init=model, alpha=0.025 * f, **kw)  # noqa: E731
    elif method == "glove":
        from embedkit.glove import train_glove

        gkw = dict(dim=COMMON["dim"], min_count=COMMON["min_count"], threads=threads, seed=seed, epochs=glove_epochs)
        model = yield from three_runs(train_glove, gkw, paths, os.path.join(folder, "glove-A.model"))
        from embedkit.cooc import add_cooccurrences, count_cooccurrences
        from embedkit.glove import fit_glove

        t = time.perf_counter()
        both = count_cooccurrences(paths["AB"], window=10, weighting="harmonic", min_count=COMMON["min_count"],
                                   threads=threads)
        t_count = time.perf_counter() - t
        fkw = {k: x for k, x in gkw.items() if k != "min_count"}  # the folder's min_count
        for e in sorted({glove_epochs, max(1, glove_epochs // 3)}, reverse=True):
            t = time.perf_counter()
            on_both = fit_glove(both, init=model, **{**fkw, "epochs": e}).vectors
            yield f"continued on A+B's co-occurrences, {e} epochs", on_both, t_count + time.perf_counter() - t
        del both
        # A's counts in a folder (as when A's model was fitted on it), B's counts added to them (not timed: A's)
        a_counts = count_cooccurrences(paths["A"], window=10, weighting="harmonic", min_count=COMMON["min_count"],
                                       threads=threads, output=os.path.join(folder, "A-cooc"))
        t = time.perf_counter()
        added = add_cooccurrences(a_counts, paths["B"], threads=threads, output=os.path.join(folder, "AB-added"))
        on_added = fit_glove(added, init=model, **{**fkw, "epochs": glove_epochs}).vectors
        yield (f"continued on A's folder + B's counts (add_cooccurrences), {glove_epochs} epochs", on_added,
               time.perf_counter() - t)
        del added, a_counts
        # the exact route: A counted at min_count 1, its model fitted on the words seen 5 times (restrict), B
        # added (nothing lost at min_count 1), the sum restricted again and the model continued on it
        a_all = count_cooccurrences(paths["A"], window=10, weighting="harmonic", min_count=1, threads=threads,
                                    output=os.path.join(folder, "A-cooc-1"))
        t = time.perf_counter()
        model_1 = fit_glove(a_all.restrict(COMMON["min_count"]), return_model=True, **fkw).model
        yield "A only, from A's min_count-1 folder restricted to 5", None, time.perf_counter() - t
        t = time.perf_counter()
        added_1 = add_cooccurrences(a_all, paths["B"], threads=threads, output=os.path.join(folder, "AB-added-1"))
        on_added_1 = fit_glove(added_1.restrict(COMMON["min_count"]), init=model_1, **fkw).vectors
        yield (f"continued on A's min_count-1 folder + B, restricted to 5, {glove_epochs} epochs", on_added_1,
               time.perf_counter() - t)
        again = lambda f: train_glove(paths["B"], init=model, **{**gkw, "learning_rate": 0.05 * f})  # noqa: E731
    else:
        from embedkit.fasttext import train_fasttext
        from embedkit.fasttext_bin import save_fasttext_model

        yield "scratch", train_fasttext(paths["AB"], **kw).vectors, time.perf_counter() - t
        t = time.perf_counter()
        first = train_fasttext(paths["A"], **kw)
        model = os.path.join(folder, "ft-A.bin")
        save_fasttext_model(model, first.vectors, first.context.matrix, epochs=epochs, min_count=5)
        t_a = time.perf_counter() - t
        yield "A only", first.vectors, t_a
        t = time.perf_counter()
        cont = train_fasttext(paths["B"], init=model, **kw)
        again = lambda f: train_fasttext(paths["B"], init=model, alpha=0.05 * f, **kw)  # noqa: E731
        yield "continued", cont.vectors, t_a + time.perf_counter() - t
        if average:
            t = time.perf_counter()
            averaged = train_fasttext(paths["B"], init=model, average_init=True, **kw)
            yield "continued, averaged (average_init)", averaged.vectors, time.perf_counter() - t
    for f in factors:
        t = time.perf_counter()
        yield f"continued, alpha x {f:g}", again(f).vectors, time.perf_counter() - t


def run_gensim(paths, epochs, threads):
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence

    from embedkit import Vectors

    t = time.perf_counter()
    m = Word2Vec(vector_size=COMMON["dim"], window=COMMON["window"], min_count=COMMON["min_count"],
                 negative=COMMON["negative"], sample=COMMON["sample"], sg=1, hs=0, workers=threads, seed=1)
    a = LineSentence(paths["A"])
    m.build_vocab(a)
    m.train(a, total_examples=m.corpus_count, epochs=epochs)
    b = LineSentence(paths["B"])
    m.build_vocab(b, update=True)
    m.train(b, total_examples=m.corpus_count, epochs=epochs)
    kv = m.wv
    return Vectors(list(kv.index_to_key), np.asarray(kv.vectors)), time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--lines", type=int, default=None)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--methods", default="sgns,fasttext")
    ap.add_argument("--no-gensim", action="store_true")
    ap.add_argument("--alpha-factors", type=lambda t: [float(f) for f in t.split(",")], default=[],
                    help="also continue from the default alpha times each of these (comma-separated)")
    ap.add_argument("--seed", type=int, default=1, help="seed of every embedkit run")
    ap.add_argument("--glove-epochs", type=int, default=25, help="epochs of every GloVe run (its default, 25)")
    ap.add_argument("--no-average", action="store_true", help="skip the runs with average_init")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        paths, tokens = split(a.corpus, a.lines, folder)
        only_b = b_only(paths)
        print(f"{tokens:,} tokens in {a.lines or 'all'} lines; {len(only_b)} words of B (count >= 5) never in A",
              flush=True)
        rows = []
        for method in a.methods.split(","):
            runs = run_ours(method, paths, a.epochs, a.threads, folder, a.alpha_factors, a.seed, a.glove_epochs,
                            not a.no_average)
            if method == "sgns" and not a.no_gensim:
                runs = itertools.chain(runs, (("gensim update", *run_gensim(paths, a.epochs, a.threads)) for _ in "1"))
            ref = None
            for name, v, secs in runs:
                if v is None:  # a step with no vectors to score (its time only)
                    print((method, name, secs), flush=True)
                    continue
                if name == "scratch":
                    ref = v
                ov, n = neighbour_overlap(v, ref, only_b) if name != "scratch" else (1.0, 0)
                rows.append((method, name, secs, *scores(v), ov, n, len(v)))
                print(rows[-1], flush=True)
    print()
    print("| method | run | seconds | WS-353 | SimLex | MEN | Google | B-only top-10 overlap with scratch (words) "
          "| vocabulary |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for m, name, secs, ws, sl, men, g, ov, n, size in rows:
        print(f"| {m} | {name} | {secs:.0f} | {ws:.3f} | {sl:.3f} | {men:.3f} | {g:.3f} | "
              f"{'' if name == 'scratch' else f'{ov:.3f} ({n})'} | {size} |")


if __name__ == "__main__":
    main()
