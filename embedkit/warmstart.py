"""Where a trainer starts: from scratch, from a model (continued training) or from a vectors file.

Shared by word2vec and fastText (GloVe's own start is in ``glove``): the vocabulary of a run that
continues a model (``vocab.merge_vocab``: counts summed, ``min_count`` on the sums) and the first
values of the weights (the model's rows where its words are, the usual random start elsewhere;
the rows of an ``init_vectors`` file for the words it shares with the vocabulary).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import numpy as np

from .errors import EmbedkitError
from .vocab import Vocab, merge_vocab, scan_corpus


@dataclass
class Start:
    """The vocabulary and first weights of a run.

    Attributes
    ----------
    vocab, enc : Vocab, EncodedCorpus
        The corpus in the run's vocabulary (counts summed with the model's when continuing).
    rare : Vocab or None
        The words seen below min_count with their (summed) counts, for the model written later.
    rows : dict of str to (numpy.ndarray, numpy.ndarray)
        For each weight array ("input", "output_neg", "output_hs"), the rows to set and their
        values; the other rows start as in a fresh run.
    lock : numpy.ndarray or None
        float32 (V,) factor on each input row's updates (``lock_init`` on rows from
        ``init_vectors``, 1 elsewhere); None when every factor is 1.
    note : str
        What was done, for the log (new words, kept rows, the HS tree, the learning rate).
    """

    vocab: Vocab
    enc: object
    rare: Vocab | None = None
    rows: dict = None
    lock: np.ndarray | None = None
    note: str = ""
    model: object = None


def scan_for_model(corpus, *, min_count, max_vocab, lowercase, progress, model=None, tokenize="whitespace",
                   keep_punctuation=False, threads=None):
    """Scan ``corpus`` keeping every word's count and build the run's vocabulary: the model's words
    (always kept) plus any word whose count summed over the model's corpora and this one reaches
    ``min_count``. Returns (vocab, enc, rare)."""
    if isinstance(corpus, tuple):
        raise EmbedkitError("continuing a model or keeping one (init, return_model) needs a corpus path, not a "
                            "scanned (Vocab, EncodedCorpus) pair: the rare words' counts are needed")
    base_words, base_counts, keep = [], [], 0
    if model is not None:
        base_words = list(model.words) + list(model.rare_words)
        base_counts = np.concatenate([model.counts, model.rare_counts]).astype(np.int64)
        keep = len(model.words)
    return merge_vocab(scan_corpus(corpus, min_count=1, lowercase=lowercase, tokenize=tokenize,
                                   keep_punctuation=keep_punctuation, threads=threads, progress=progress),
                       min_count=min_count, max_vocab=max_vocab, base_words=base_words, base_counts=base_counts,
                       keep=keep)


def model_rows(model, vocab):
    """Positions in ``vocab`` of the model's words (``model.words``: a word2vec model, or a fastText
    model's vectors; all of them are in it), int64."""
    return np.array([vocab.word_to_id[w] for w in model.words], dtype=np.int64)


def new_text_share(model_counts, summed_counts):
    """The share of the model's words' occurrences that come from the new text: 1 - (their counts
    in the model) / (their summed counts). The weight of the continued run in :func:`blend`."""
    before, after = float(np.sum(model_counts, dtype=np.float64)), float(np.sum(summed_counts, dtype=np.float64))
    return (after - before) / after if after > 0 else 0.0


def blend(run, start, share, *, block=1 << 16):
    """``run = start + share * (run - start)`` in place, ``block`` rows at a time (no second copy of
    a large matrix); a row that did not move stays bit for bit."""
    share = np.float32(share)
    for r0 in range(0, len(run), block):
        first = np.asarray(start[r0:r0 + block], np.float32)
        run[r0:r0 + block] = first + share * (run[r0:r0 + block] - first)


def blend_rows(run, pos, start, share):
    """:func:`blend` on the rows ``pos`` of ``run`` (the model's words in the run) from ``start``."""
    moved = run[pos]
    blend(moved, start, share)
    run[pos] = moved


def average_with_model(layers, model, pos, summed_counts):
    """Average a continued run with the model it started from, in place: each of the model's words
    (row ``pos`` in the run) becomes ``old + s * (trained - old)``, ``s`` the share of those words'
    occurrences that come from the new text (:func:`new_text_share`). New words stay as trained.

    The two models are weighed by the text each was trained on (weight-space averaging of a start
    and its fine-tuned copy, as in Wortsman et al. 2022, "Robust fine-tuning of zero-shot models"):
    what continuing on the new text forgot of the old text comes back in proportion. One share for
    every word: per-word shares (each word's own counts) scored lower on wiki17m's halves
    (bench/RESULTS.md). ``layers`` maps a model array name to the run's array (the input layer,
    and the negative-sampling output layer, whose rows are words too). Returns ``s``."""
    share = new_text_share(model.counts, np.asarray(summed_counts)[pos])
    for name, run in layers.items():
        blend_rows(run, pos, model.arrays[name], share)
    return share


def same_tree(model, pos, codes, points, lens):
    """True when the Huffman tree over the new vocabulary gives every word of the model the same
    path (codes and inner nodes) it had, so the model's HS output layer still applies."""
    if "hs_codes" not in model.arrays or len(codes) != len(model.words):
        return False
    old_codes, old_points, old_lens = (np.asarray(model.arrays[k]) for k in ("hs_codes", "hs_points", "hs_lens"))
    return (old_codes.shape == codes.shape and np.array_equal(old_lens, lens[pos])
            and np.array_equal(old_codes, codes[pos]) and np.array_equal(old_points, points[pos]))


def hs_rebuilt_warning(path):
    warnings.warn(f"the Huffman tree was rebuilt from the summed counts and changed, so the hierarchical-softmax "
                  f"output layer of {path or 'the model'} no longer matches it: it starts from zero (the input vectors "
                  f"and the negative-sampling layer are kept)", stacklevel=3)


def init_vectors_rows(words, init_vectors, dim, lock_init):
    """(rows, values, lock) for ``init_vectors``: the vocabulary rows of the words it has (exact
    spelling), their vectors, and the per-row lock factors (``lock_init`` there, 1 elsewhere; None
    when ``lock_init`` is 1)."""
    from .modelfile import load_init_vectors, shared_rows

    v = load_init_vectors(init_vectors, dim)
    rows, values = shared_rows(words, v)
    lock = None
    if lock_init != 1.0:
        lock = np.ones(len(words), np.float32)
        lock[rows] = np.float32(lock_init)
    name = "init_vectors" if not isinstance(init_vectors, (str, os.PathLike)) else os.fspath(init_vectors)
    note = f"{len(rows)} of {len(words)} words start from {name} (lock {lock_init:g})"
    return rows, values, lock, note


def load_fasttext_init(path):
    """The fastText model to continue (``init`` of ``train_fasttext``): a ``.bin`` written by
    embedkit or by the fastText tool (negative sampling, skip-gram or CBOW), or EmbedkitError
    saying what ``path`` is instead."""
    from .fasttext_bin import FastTextModel, is_fasttext_bin, load_fasttext_model
    from .formats import detect_format
    from .modelfile import is_model, read_manifest

    if isinstance(path, FastTextModel):
        return path
    p = os.fspath(path)
    if is_model(p):
        method = read_manifest(p)["method"]
        raise EmbedkitError(f"{p} is a {method} model; use train {method}")
    if not os.path.exists(p):
        raise EmbedkitError(f"cannot read the model {p}: no such file or folder")
    if not is_fasttext_bin(p):
        detect_format(p)  # raises for what is not vectors either
        raise EmbedkitError(f"{p} is a vectors file without an output layer, not a model: use --init-vectors "
                            f"{p} to start from its vectors")
    ftm = load_fasttext_model(p)
    if ftm.args.get("model") not in ("skipgram", "cbow") or ftm.args.get("loss") != "ns":
        raise EmbedkitError(f"{p} is a fastText {ftm.args.get('model')} model with {ftm.args.get('loss')} loss; "
                            f"only skip-gram or CBOW models with negative sampling can be continued")
    if ftm.args.get("wordNgrams", 1) != 1:
        raise EmbedkitError(f"{p} uses word n-grams (wordNgrams={ftm.args['wordNgrams']}); embedkit trains single words")
    ftm.path = p  # its name in later errors (a setting that cannot change)
    return ftm


def fasttext_average(ftm, vocab, inp, out, counts):
    """:func:`average_with_model` for a continued fastText run, in place, after training: the
    model's words (input and output rows) and every n-gram bucket row, with the one share of the
    new text (the buckets are shared by old and new words alike). ``counts`` are the summed
    counts. Returns the share."""
    old = ftm.vectors
    v_old, v = len(old.words), len(vocab)
    src = np.asarray(old.input_matrix)
    pos = model_rows(old, vocab)
    share = new_text_share(old.counts, np.asarray(counts)[pos])
    blend_rows(inp, pos, src[:v_old], share)
    blend_rows(out, pos, np.asarray(ftm.output), share)
    blend(inp[v:], src[v_old:], share)
    return share


def fasttext_start(ftm, vocab, indptr, rows, inp, out):
    """Fill the first weights of a continued fastText run in place: the model's words keep their
    own input row and output row, every n-gram bucket row is the model's, and a new word's own
    row starts at the mean of its n-gram rows (its vector is then what the model composed for it;
    a word without n-grams keeps its random row). ``indptr``/``rows`` are ``subword_table`` over
    ``vocab.words``. Returns (model words, new words)."""
    old = ftm.vectors
    v_old, v = len(old.words), len(vocab)
    src = np.asarray(old.input_matrix)
    pos = model_rows(old, vocab)
    inp[pos] = src[:v_old]
    inp[v:] = src[v_old:]
    out[pos] = np.asarray(ftm.output)
    new = np.setdiff1d(np.arange(v), pos)
    for i in new.tolist():
        grams = rows[indptr[i]:indptr[i + 1]]
        grams = grams[grams >= v]
        if len(grams):
            inp[i] = inp[grams].mean(axis=0)
    return len(pos), len(new)
