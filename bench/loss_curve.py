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
    trained = [0]  # tokens trained so far, over all epochs

    def train_chunks(ks, alphas, corpus, *rest):
        out = kernel(ks, alphas, corpus, *rest)
        if len(corpus.ids) <= 1000:  # the warm-up's tiny corpus
            return out
        trained[0] += int(out[2])
        if len(ks) and trained[0] % int(corpus.offsets[-1]) == 0:  # an epoch's last call
            ends = corpus.offsets[corpus.chunks[1:]]
            m = max(1, int(np.searchsorted(ends, 300_000)))
            states = seed_states(12345, m)  # row j: chunk j's, the same every epoch
            # rest: weights, tables, scratch, state rows, config[, phrases]; rate 0: nothing moves
            loss, pairs, _ = kernel(np.arange(m, dtype=np.int64), np.zeros(m), corpus, *rest[:3], states, *rest[4:])
            frozen.append(loss / pairs)
        return out

    module._train_chunks = train_chunks
    module.precompile = lambda *calls: None  # it takes Numba dispatchers, and the kernel is wrapped
    train = w2v.train_word2vec if module is w2v else ft.train_fasttext
    r = train(scan_corpus(sys.argv[1], min_count=5), **kw)
    print(f"{sys.argv[2]} {' '.join(sys.argv[3:]) or 'defaults'} ({kw})")
    print("epoch  online   frozen")
    for e, (a, b) in enumerate(zip(r.losses, frozen), 1):
        print(f"{e:>5}  {a:.4f}   {b:.4f}")


if __name__ == "__main__":
    main()
