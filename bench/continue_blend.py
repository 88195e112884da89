"""How to weigh a continued model against its start (issue 20, ``average_init``): blends offline.

usage: python bench/continue_blend.py CORPUS [--seed 1] [--blends 1,0.75,0.5,0.35] [--per-word]
                                             [--alpha-factor 1] [--update window|pair] [--gensim]

Splits CORPUS as ``bench/continue.py`` does (halves A and B by line), trains SGNS on A and continues
it on B (its settings; ``--alpha-factor`` scales the restart rate, ``--update`` picks the update
rule), then scores blends of the old words' input rows, ``lam * continued + (1 - lam) * A`` for each
``lam`` of ``--blends`` (1 is the plain continuation); ``--per-word`` adds the blend weighted by each
word's own counts, ``c_B / (c_A + c_B)`` (and clipped to [0.25, 0.75]); ``--unit`` blends unit vectors
and keeps the continuation's norms. ``--gensim`` also runs gensim's update route and scores it and
``average_init``'s result on the words both vocabularies share.
"""

import argparse
import importlib
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
C = importlib.import_module("continue")  # bench/continue.py: split, scores, run_gensim, COMMON


def blended(a, c, lam, unit=False):
    """The continued vectors ``c`` with each word of ``a`` at ``lam * c + (1 - lam) * a`` (lam per row or one)."""
    from embedkit import Vectors

    rows_c = np.array([c._index[w] for w in a.words if w in c._index])
    rows_a = np.array([a._index[w] for w in a.words if w in c._index])
    m = np.array(c.matrix, dtype=np.float32)
    old, new = a.matrix[rows_a], m[rows_c]
    if unit:
        norms = np.linalg.norm(new, axis=1, keepdims=True)
        old = old / np.linalg.norm(old, axis=1, keepdims=True)
        m[rows_c] = (lam * new / norms + (1 - lam) * old) * norms
    else:
        m[rows_c] = lam * new + (1 - lam) * old
    return Vectors(c.words, m, c.counts), rows_a, rows_c


def on_common(v, words):
    from embedkit import Vectors

    return Vectors(words, v.matrix[[v._index[w] for w in words]])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--blends", default="1,0.75,0.5,0.35")
    ap.add_argument("--per-word", action="store_true")
    ap.add_argument("--unit", action="store_true")
    ap.add_argument("--alpha-factor", type=float, default=1.0)
    ap.add_argument("--update", default="window", choices=["window", "pair"])
    ap.add_argument("--gensim", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    from embedkit.word2vec import train_word2vec

    fmt = lambda s: " / ".join(f"{x:.3f}" for x in s)  # noqa: E731  WS-353 / SimLex / MEN / Google
    with tempfile.TemporaryDirectory() as folder:
        paths, _ = C.split(a.corpus, None, folder)
        kw = dict(model="skipgram", threads=a.threads, seed=a.seed, epochs=5, update=a.update, **C.COMMON)
        first = train_word2vec(paths["A"], return_model=True, **kw)
        model = os.path.join(folder, "A.model")
        first.model.save(model)
        cont = train_word2vec(paths["B"], init=model, alpha=0.025 * a.alpha_factor, **kw).vectors
        A = first.vectors
        for lam in (float(x) for x in a.blends.split(",")):
            print(f"blend {lam:g}{' (unit)' if a.unit else ''}: {fmt(C.scores(blended(A, cont, lam, a.unit)[0]))}",
                  flush=True)
        if a.per_word:
            _, rows_a, rows_c = blended(A, cont, 1.0)
            w = np.clip((cont.counts[rows_c] - A.counts[rows_a]) / cont.counts[rows_c], 0, 1)[:, None]
            for name, lam in (("per word", w), ("per word, clipped", np.clip(w, 0.25, 0.75))):
                print(f"blend {name}: {fmt(C.scores(blended(A, cont, lam)[0]))}", flush=True)
        if a.gensim:
            ours = train_word2vec(paths["B"], init=model, average_init=True, **kw).vectors
            gs, _ = C.run_gensim(paths, 5, a.threads)
            common = [w for w in ours.words if w in gs._index]
            for name, v in (("average_init", ours), ("gensim route", gs)):
                print(f"{name}: {fmt(C.scores(v))} ({len(v)} words); on the {len(common)} shared words: "
                      f"{fmt(C.scores(on_common(v, common)))}", flush=True)


if __name__ == "__main__":
    main()
