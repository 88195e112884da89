"""Why the printed loss per epoch can rise: the online loss next to the loss of the frozen model.

usage: python bench/loss_curve.py CORPUS {word2vec,fasttext} [KEY=VALUE ...]

Trains ``train_word2vec`` or ``train_fasttext`` on CORPUS (threads 1, seed 1; each KEY=VALUE,
read as a Python literal, replaces a keyword argument: ``min_alpha=0.025`` for a constant rate,
``sample=0.0``, ``epochs=5``, ``dim=50``). At the end of every epoch it also scores the model as
it is, frozen (learning rate 0, so nothing moves), on one fixed set of pairs: the corpus's first
chunks up to 300,000 tokens, with the same subsampling, windows and negatives every time (their
own RNG states, a copy per epoch, so training's draws are untouched). Prints, per epoch, the
online loss that the trainers report (each pair scored just before its own update, at that
moment's learning rate) and that frozen loss. bench/RESULTS.md, "Loss per epoch", has the runs.
"""

from __future__ import annotations

import ast
import sys

import numpy as np


def main():
    if len(sys.argv) < 3 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return
    import embedkit.fasttext as ft
    import embedkit.word2vec as w2v
    from embedkit._rng import seed_states
    from embedkit.vocab import scan_corpus

    module = {"word2vec": w2v, "fasttext": ft}[sys.argv[2]]
    kw = dict(dim=50, epochs=5, threads=1, seed=1)
    if module is ft:
        kw["bucket"] = 200_000
    for arg in sys.argv[3:]:
        key, _, value = arg.partition("=")
        kw[key] = ast.literal_eval(value)
    kernel = module._train_chunks
    frozen = []

    def train_chunks(c0, c1, order, alphas, corpus, *rest):
        out = kernel(c0, c1, order, alphas, corpus, *rest)
        n = len(corpus.chunks) - 1
        if c1 == n and len(corpus.ids) > 1000:  # an epoch's last call (not the warm-up): score the frozen model
            ends = corpus.offsets[corpus.chunks[1:]]
            m = max(1, int(np.searchsorted(ends, 300_000)))
            states = seed_states(12345, n)
            loss, pairs, _ = kernel(0, m, np.arange(n, dtype=np.int64), np.zeros(n), corpus, *rest[:-2], states,
                                    rest[-1])
            frozen.append(loss / pairs)
        return out

    module._train_chunks = train_chunks
    train = w2v.train_word2vec if module is w2v else ft.train_fasttext
    r = train(scan_corpus(sys.argv[1], min_count=5), **kw)
    print(f"{sys.argv[2]} {' '.join(sys.argv[3:]) or 'defaults'} ({kw})")
    print("epoch  online   frozen")
    for e, (a, b) in enumerate(zip(r.losses, frozen), 1):
        print(f"{e:>5}  {a:.4f}   {b:.4f}")


if __name__ == "__main__":
    main()
