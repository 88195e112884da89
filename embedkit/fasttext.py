"""fastText: skip-gram and CBOW over words plus their character n-grams (Bojanowski et al. 2017).

The model is fastText's: the input matrix has one row per word and one per n-gram bucket
(``embedkit.subword``); a word's input vector is the mean of its own row and its n-gram rows;
the output layer is trained by negative sampling with noise drawn from counts ** 0.5;
frequent words are subsampled with ``t`` (fastText's discard formula, which is word2vec's);
each centre word draws its window uniformly in 1..window; the learning rate falls linearly
to ``min_alpha`` (fastText: 0) over all tokens of all epochs; and the input gradient is added,
unscaled, to every row that made up the input. Skip-gram predicts each context word from the
centre word's n-grams; CBOW predicts the centre word from the mean of all rows of its context
words.

Each vocabulary word's rows are precomputed once (``subword_table``, a CSR pair), so the
kernel works on arrays only. It reuses word2vec's pieces: the SGNS update ``_sgns_pair``,
the alias noise table, the RNG, subsampling and the chunking of the encoded corpus.

``update="window"`` (the default) reads and writes each word's n-gram rows once per position
instead of once per pair: skip-gram computes the centre's input vector once per window and adds
the window's summed input gradient once (fastText recomputes and updates after every context
word, ``update="pair"``); CBOW reads a position's rows once, when it enters the widest window,
and writes its summed gradient once, when it leaves (fastText reads and writes every context
word's rows for every centre). The n-gram rows, most of the memory traffic, then move
about window times less. bench/RESULTS.md has the speed and quality of both.
"""

from __future__ import annotations

import math
import time

import numba
import numpy as np
from numba import prange

from ._compile import precompile
from ._rng import next_u64, seed_states
from ._util import (check_choice, check_dim, check_float, check_int, check_seed, check_threads, numba_threads,
                    release_memory)
from .errors import EmbedkitError
from .result import TrainResult
from .subword import _compose, check_subword_params, subword_table
from .vocab import keep_probabilities, resolve_corpus
from .word2vec import (_draw_below, _draw_noise, _page_dropper, _prefetch_row, _sgns_pair, build_noise_table,
                       make_chunks, run_epochs)

MODELS = ("skipgram", "cbow")
MAX_LINE = 1024  # fastText's MAX_LINE_SIZE: it trains a line in pieces of at most 1,024 tokens
UPDATES = ("window", "pair")
NOISE_POWER = 0.5  # fastText's negative table: counts ** 0.5


# ---------------------------------------------------------------- kernel helpers
@numba.njit(cache=True, inline="always")
def _add_rows(inp, rows, a, b, buf, slot):
    """buf[slot] += sum of inp[rows[a:b]]."""
    for p in range(a, b):
        r = rows[p]
        for c in range(inp.shape[1]):
            buf[slot, c] += inp[r, c]


@numba.njit(cache=True, inline="always")
def _push_grad(inp, rows, a, b, grad):
    """inp[rows[a:b]] += grad (fastText's unscaled update of every input row)."""
    for p in range(a, b):
        r = rows[p]
        for c in range(inp.shape[1]):
            inp[r, c] += grad[c]


@numba.njit(cache=True, inline="always")
def _scale(hidden, n):
    inv = np.float32(1.0) / np.float32(n)
    for c in range(hidden.shape[1]):
        hidden[0, c] *= inv


@numba.njit(cache=True, inline="always")
def _prefetch_rows(inp, rows, a, b):
    for p in range(a, b):
        _prefetch_row(inp, rows[p])


@numba.njit(cache=True, inline="always")
def _draw_negs(noise, states, k, negs):
    for d in range(negs.shape[0]):
        negs[d] = _draw_noise(noise, states, k)


@numba.njit(cache=True, inline="always")
def _flush(inp, rows, indptr, sen, ring_g, used, p, ring):
    """Add position p's summed gradient ring_g[p % ring] to its word's rows; returns p + 1."""
    slot = p % ring
    if used[slot]:
        x = sen[p]
        _push_grad(inp, rows, indptr[x], indptr[x + 1], ring_g[slot])
    return p + 1


# ---------------------------------------------------------------- kernel
@numba.njit(cache=True, fastmath=True)
def _fasttext_chunk(k, ids, offsets, chunks, inp, out, indptr, rows, noise, keep, states, alpha, opts):
    """Train chunk k (sentences chunks[k]:chunks[k+1]). inp: (V + bucket, dim) float32, out:
    (V, dim) float32, word w's input rows rows[indptr[w]:indptr[w+1]]. Returns (NLL sum,
    trained pairs, tokens read)."""
    window, negative, sg, per_pair, max_len = opts[0], opts[1], opts[2], opts[3], opts[4]
    dim = inp.shape[1]
    sen = np.empty(max_len, np.int32)
    hidden = np.empty((1, dim), np.float32)
    grad = np.empty(dim, np.float32)
    negs = np.empty(negative, np.int64)
    pneg = np.empty(2 * window * negative, np.int64)
    ring = 2 * window + 1
    ring_s = np.empty((ring, dim), np.float32)
    ring_g = np.empty((ring, dim), np.float32)
    used = np.zeros(ring, np.int8)
    alpha = np.float32(alpha)
    loss = 0.0
    pairs = 0
    tokens = 0
    for s in range(chunks[k], chunks[k + 1]):
        n = 0
        for p in range(offsets[s], offsets[s + 1]):  # subsample into sen
            w = ids[p]
            if keep[w] < 1.0:
                if np.float64(next_u64(states, k) >> np.uint64(11)) * (1.0 / 9007199254740992.0) >= keep[w]:
                    continue
            sen[n] = w
            n += 1
        tokens += offsets[s + 1] - offsets[s]
        entered = 0  # CBOW ring: next position to read, next position to write back
        exited = 0
        for i in range(n):
            b = _draw_below(states, k, window)  # effective window: window - b, in 1..window
            lo = max(0, i - window + b)
            hi = min(n, i + window - b + 1)
            center = sen[i]
            if (sg or per_pair) and i + 1 < n:  # the next centre's rows load while this window trains
                _prefetch_rows(inp, rows, indptr[sen[i + 1]], indptr[sen[i + 1] + 1])
            if sg:
                a0, a1 = indptr[center], indptr[center + 1]
                if not per_pair:
                    hidden[0, :] = 0.0
                    _add_rows(inp, rows, a0, a1, hidden, 0)
                    _scale(hidden, a1 - a0)
                    grad[:] = 0.0
                # every pair's negatives first, so that the next pair's output rows can be
                # prefetched while this one trains
                n_pairs = hi - lo - 1
                for q in range(n_pairs * negative):
                    pneg[q] = _draw_noise(noise, states, k)
                q = 0
                for j in range(lo, hi):
                    if j == i:
                        continue
                    if q + 1 < n_pairs:
                        jn = j + 1 if j + 1 != i else j + 2
                        _prefetch_row(out, sen[jn])
                        for d in range((q + 1) * negative, (q + 2) * negative):
                            _prefetch_row(out, pneg[d])
                    negs = pneg[q * negative:(q + 1) * negative]
                    q += 1
                    if per_pair:
                        hidden[0, :] = 0.0
                        _add_rows(inp, rows, a0, a1, hidden, 0)
                        _scale(hidden, a1 - a0)
                        grad[:] = 0.0
                    loss += _sgns_pair(hidden, 0, grad, out, sen[j], negs, alpha)
                    pairs += 1
                    if per_pair:
                        _push_grad(inp, rows, a0, a1, grad)
                if not per_pair and hi - lo > 1:
                    _push_grad(inp, rows, a0, a1, grad)
            elif per_pair:  # CBOW as fastText: the context rows are read and updated for every centre
                if hi - lo > 1:
                    _draw_negs(noise, states, k, negs)
                    hidden[0, :] = 0.0
                    m = 0
                    for j in range(lo, hi):
                        if j != i:
                            x = sen[j]
                            _add_rows(inp, rows, indptr[x], indptr[x + 1], hidden, 0)
                            m += indptr[x + 1] - indptr[x]
                    _scale(hidden, m)
                    grad[:] = 0.0
                    loss += _sgns_pair(hidden, 0, grad, out, center, negs, alpha)
                    pairs += 1
                    for j in range(lo, hi):
                        if j != i:
                            x = sen[j]
                            _push_grad(inp, rows, indptr[x], indptr[x + 1], grad)
            else:
                # CBOW, each position's rows read once, when it enters the widest window (into
                # ring_s), and its summed gradient (ring_g) written once, when it leaves it
                while entered < min(n, i + window + 1):
                    slot = entered % ring
                    x = sen[entered]
                    ring_s[slot, :] = 0.0
                    ring_g[slot, :] = 0.0
                    used[slot] = 0
                    _add_rows(inp, rows, indptr[x], indptr[x + 1], ring_s, slot)
                    entered += 1
                if entered < n:
                    x = sen[entered]
                    _prefetch_rows(inp, rows, indptr[x], indptr[x + 1])
                if hi - lo > 1:
                    _draw_negs(noise, states, k, negs)
                    hidden[0, :] = 0.0
                    m = 0
                    for j in range(lo, hi):
                        if j != i:
                            slot = j % ring
                            for c in range(dim):
                                hidden[0, c] += ring_s[slot, c]
                            m += indptr[sen[j] + 1] - indptr[sen[j]]
                    _scale(hidden, m)
                    grad[:] = 0.0
                    loss += _sgns_pair(hidden, 0, grad, out, center, negs, alpha)
                    pairs += 1
                    for j in range(lo, hi):
                        if j != i:
                            slot = j % ring
                            used[slot] = 1
                            for c in range(dim):
                                ring_g[slot, c] += grad[c]
                while exited < i + 1 - window:
                    exited = _flush(inp, rows, indptr, sen, ring_g, used, exited, ring)
        while not sg and not per_pair and exited < n:
            exited = _flush(inp, rows, indptr, sen, ring_g, used, exited, ring)
    return loss, pairs, tokens


@numba.njit(cache=True, parallel=True)
def _fasttext_chunks(c0, c1, order, alphas, ids, offsets, chunks, inp, out, indptr, rows, noise, keep, states, opts):
    """Train chunks order[c0:c1] in parallel (Hogwild), chunk k at rate alphas[k]. Returns
    (NLL sum, trained pairs, tokens read)."""
    loss = 0.0
    pairs = 0
    tokens = 0
    for p in prange(c0, c1):
        k = order[p]
        lk, pk, tk = _fasttext_chunk(k, ids, offsets, chunks, inp, out, indptr, rows, noise, keep, states,
                                     alphas[k], opts)
        loss += lk
        pairs += pk
        tokens += tk
    return loss, pairs, tokens


def _compile(ids, dim):
    """Run the kernels (training, then composing the vectors) once on a tiny corpus with the real
    argument types: Numba compiles or loads its cache here, outside the timed training and
    before the big matrices exist."""
    tiny = np.array([0, 1, 2, 1, 0], np.int32)
    if not ids.flags.writeable:
        tiny.flags.writeable = False
    offsets = np.array([0, 5], np.int64)
    indptr, rows = subword_table(["a", "b", "c"], minn=1, maxn=2, bucket=4)
    inp = np.zeros((7, dim), np.float32)
    out = np.zeros((3, dim), np.float32)
    noise = build_noise_table(np.array([2, 2, 1]), NOISE_POWER)
    opts = np.array([2, 1, 1, 0, 5], np.int64)
    calls = [(_fasttext_chunks, (0, 1, np.zeros(1, np.int64), np.array([0.01]), tiny, offsets,
                                 np.array([0, 1], np.int64), inp, out, indptr, rows, noise, np.ones(3),
                                 seed_states(0, 1), opts)),
             (_compose, (inp, indptr, rows, np.empty((3, dim), np.float32)))]  # SubwordVectors composes with it
    precompile(*calls)  # a cold cache compiles in a child process, so not in this one's peak RSS
    for kernel, args in calls:
        kernel(*args)


# ---------------------------------------------------------------- driver
def cut_sentences(offsets, max_len=MAX_LINE):
    """Sentence offsets with every sentence longer than ``max_len`` tokens cut into pieces of at
    most ``max_len`` (windows do not cross a cut, as in fastText).

    >>> cut_sentences(np.array([0, 3, 10]), 3).tolist()
    [0, 3, 6, 9, 10]
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    lengths = np.diff(offsets)
    pieces = np.maximum(1, -(-lengths // max_len))
    first = np.repeat(np.cumsum(pieces) - pieces, pieces)  # index of each piece's sentence's first piece
    starts = np.repeat(offsets[:-1], pieces) + max_len * (np.arange(int(pieces.sum())) - first)
    return np.append(starts, offsets[-1])


def _check(model, dim, window, negative, sample, alpha, min_alpha, epochs, minn, maxn, bucket, update, seed, threads):
    check_choice("model", model, MODELS)
    check_int("dim", dim, min=1)
    check_int("window", window, min=1)
    check_int("negative", negative, min=1)
    check_float("sample", sample, min=0.0)
    check_float("alpha", alpha, min=0.0, min_open=True)
    check_float("min_alpha", min_alpha, min=0.0)
    if min_alpha > alpha:
        raise EmbedkitError(f"min_alpha must be <= alpha ({alpha:g}), got {min_alpha:g}")
    check_int("epochs", epochs, min=1)
    check_subword_params(minn, maxn, bucket)
    check_choice("update", update, UPDATES)
    check_seed(seed)
    check_threads(threads)


def train_fasttext(corpus, *, model=None, dim=None, window=5, negative=5, sample=1e-4, alpha=0.05,
                   min_alpha=0.0, epochs=5, min_count=5, max_vocab=None, lowercase=False,
                   tokenize="whitespace", keep_punctuation=False, minn=None, maxn=None,
                   bucket=None, update="window", shuffle=True, threads=None, seed=1, progress=False, init=None):
    """Train fastText word vectors (words plus character n-grams) with negative sampling.

    The defaults are fastText's (``fasttext skipgram``): dim 100, window 5, 5 negatives,
    t = 1e-4, learning rate 0.05 falling to 0, 5 epochs, min count 5, n-grams of 3 to 6
    characters hashed into 2,000,000 buckets. Memory: the input matrix is
    (words + bucket) x dim float32 (800 MB at the defaults), the output layer words x dim.

    Parameters
    ----------
    corpus : str, Path, list of them, or (Vocab, EncodedCorpus)
        Text file (plain, .gz, .bz2, .xz), folder, ``"-"`` for stdin, a list of those, or the
        pair returned by ``embedkit.vocab.scan_corpus`` (then min_count, max_vocab,
        lowercase, tokenize and keep_punctuation do not apply).
    model : {"skipgram", "cbow"}, default="skipgram"
    dim : int, default=100
    window : int, default=5
        Largest context distance; each centre word draws its window uniformly in 1..window.
    negative : int, default=5
        Negative samples per pair (noise: counts ** 0.5, as fastText).
    sample : float, default=1e-4
        Subsampling threshold t (fastText's and word2vec's formula); 0 keeps every token.
    alpha : float, default=0.05
        Initial learning rate.
    min_alpha : float, default=0.0
        Learning rate at the end; it falls linearly over all tokens of all epochs.
    epochs : int, default=5
    min_count : int, default=5
    max_vocab : int or None, default=None
    lowercase : bool, default=False
    tokenize : {"whitespace", "words", "text8"}, default="whitespace"
        How text becomes tokens (see :func:`embedkit.corpus.tokenize_piece`).
    keep_punctuation : bool, default=False
        With ``tokenize="words"``, keep punctuation marks as tokens.
    minn, maxn : int, default=3, 6
        Lengths in characters of the n-grams; ``maxn=0`` turns subwords off (plain skip-gram
        or CBOW with fastText's settings).
    bucket : int, default=2_000_000
        Hash buckets for the n-grams (rows of the input matrix beyond the words).
    update : {"window", "pair"}, default="window"
        "pair" follows fastText's order: skip-gram recomputes the centre's input vector and
        updates its rows after every context word, CBOW reads and updates every context word's
        rows for every centre. "window" reads and writes each position's rows once (skip-gram:
        once per window; CBOW: read when the position enters the window, its summed gradient
        written when it leaves), which is faster.
    shuffle : bool, default=True
        Train the corpus's chunks (about 1,000 tokens each: sentences are cut at ``MAX_LINE``,
        1,024 tokens, as fastText cuts its lines) in a new random
        order every epoch (seeded by ``seed``); False trains them in corpus order. A corpus
        ordered by topic (Wikipedia, article after article) otherwise pulls the vectors towards
        the topic at hand while the learning rate is high: on wiki17m shuffling raises SimLex
        and the Google analogies (bench/RESULTS.md).
    threads : int or None, default=None
        Numba threads (None: all). With more than one, Hogwild races make runs differ slightly.
    seed : int, default=1
        With ``threads=1`` the same seed gives bit-identical vectors.
    progress : bool, default=False
        Show a progress bar with words/s, alpha and loss.
    init : str, path-like, FastTextModel or None, default=None
        Continue training a fastText ``.bin`` (written by embedkit or by the fastText tool;
        skip-gram or CBOW with negative sampling). The vocabulary grows: counts are the model's
        plus this corpus's and ``min_count`` applies to the sums (a ``.bin`` keeps no counts of
        rare words); the model's words keep their input and output rows, every n-gram bucket
        row is kept, and a new word's own row starts at the mean of its n-gram rows (so it
        starts as the model composed it). ``model``, ``dim``, ``minn``, ``maxn`` and ``bucket``
        come from the model (a different value is an error naming both); ``alpha`` restarts the
        linear decay; ``epochs=0`` returns the model's vectors plus the new words.
        (``model``, ``dim``, ``minn``, ``maxn``, ``bucket`` default to None: fastText's
        defaults, "skipgram", 100, 3, 6 and 2,000,000, or the model's.)

    Returns
    -------
    TrainResult
        ``vectors`` is a ``SubwordVectors`` (it composes unseen words), ``context`` the output
        layer, ``losses`` the mean NLL per trained pair per epoch; save a fastText ``.bin`` with
        ``embedkit.fasttext_bin.save_fasttext_model(path, r.vectors, r.context.matrix, ...)``.

    Examples
    --------
    >>> r = train_fasttext("data/sample.txt.xz", dim=20, epochs=1, min_count=50, bucket=20000, threads=1)
    >>> len(r.losses), r.vectors.dim, "kingdomz" in r.vectors, r.vectors["kingdomz"].shape
    (1, 20, False, (20,))
    """
    from .subword import SubwordVectors
    from .vectors import Vectors

    ftm = None
    if init is not None:
        from .warmstart import load_fasttext_init

        ftm = load_fasttext_init(init)
        stored = dict(model=ftm.args["model"], dim=ftm.args["dim"], minn=ftm.args["minn"], maxn=ftm.args["maxn"],
                      bucket=ftm.vectors.bucket)
        for name, value in (("model", model), ("dim", dim), ("minn", minn), ("maxn", maxn), ("bucket", bucket)):
            if value is not None and value != stored[name] and not (name == "bucket" and stored["maxn"] == 0):
                raise EmbedkitError(f"{name} cannot change when continuing: {init} has {name}={stored[name]!r}, "
                                    f"not {value!r}")
        model, dim, minn, maxn, bucket = (stored[k] for k in ("model", "dim", "minn", "maxn", "bucket"))
    model = "skipgram" if model is None else model
    dim = 100 if dim is None else dim
    minn = 3 if minn is None else minn
    maxn = 6 if maxn is None else maxn
    bucket = 2_000_000 if bucket is None else bucket
    _check(model, dim, window, negative, sample, alpha, min_alpha, max(epochs, 1) if ftm is not None else epochs,
           minn, maxn, bucket, update, seed, threads)
    if ftm is not None:
        check_int("epochs", epochs, min=0)
    if maxn == 0:
        bucket = 0  # no n-grams: no bucket rows (fastText does the same)
    timings = {}
    t = time.perf_counter()
    if ftm is None:
        vocab, enc = resolve_corpus(corpus, min_count=min_count, max_vocab=max_vocab, lowercase=lowercase,
                                    tokenize=tokenize, keep_punctuation=keep_punctuation, progress=progress)
    else:
        from .vocab import merge_vocab, scan_corpus

        if isinstance(corpus, tuple):
            raise EmbedkitError("continuing a model needs a corpus path, not a scanned (Vocab, EncodedCorpus) pair")
        vocab, enc, _ = merge_vocab(scan_corpus(corpus, min_count=1, lowercase=lowercase, tokenize=tokenize,
                                                keep_punctuation=keep_punctuation, progress=progress),
                                    min_count=min_count, max_vocab=max_vocab, base_words=ftm.vectors.words,
                                    base_counts=ftm.vectors.counts, keep=len(ftm.vectors.words))
    drop_pages = _page_dropper(enc.ids)
    ids = np.asarray(enc.ids)
    offsets = cut_sentences(enc.offsets)
    counts = np.asarray(enc.counts, dtype=np.int64)
    v = len(counts)
    lengths = np.diff(offsets)
    if len(lengths) == 0 or lengths.max() < 2:
        raise EmbedkitError("corpus too small: no sentence has 2 in-vocabulary words, so there is nothing "
                            "to train (lower min_count or use a larger corpus)")
    check_dim(dim, v)
    check_subword_params(minn, maxn, bucket, v)
    words = list(vocab.words)
    indptr, rows = subword_table(words, minn=minn, maxn=maxn, bucket=bucket)
    timings["scan"] = time.perf_counter() - t

    # compile (or load the cache) before the big matrix exists, then give LLVM's memory back: a
    # cold compile then adds nothing to the peak RSS (bench/RESULTS.md, fastText memory)
    t = time.perf_counter()
    _compile(ids, dim)
    timings["compile"] = time.perf_counter() - t
    release_memory()

    t = time.perf_counter()
    rng = np.random.default_rng(seed)
    inp = np.empty((v + bucket, dim), np.float32)  # uniform in [-1/dim, 1/dim), filled in place
    rng.random(out=inp, dtype=np.float32)
    inp *= np.float32(2.0 / dim)
    inp -= np.float32(1.0 / dim)
    out = np.zeros((v, dim), np.float32)
    if ftm is not None:
        from .warmstart import fasttext_start

        fasttext_start(ftm, vocab, indptr, rows, inp, out)
    noise = build_noise_table(counts, NOISE_POWER)
    keep = keep_probabilities(counts, sample)
    chunks = make_chunks(offsets, MAX_LINE)  # shuffled chunks of ~1,000 tokens: finer than word2vec's 10,000
    states = seed_states(seed, len(chunks) - 1)
    n_tokens = int(offsets[-1])
    opts = np.array([window, negative, int(model == "skipgram"), int(update == "pair"), int(lengths.max())],
                    np.int64)
    timings["init"] = time.perf_counter() - t

    with numba_threads(threads) as nthreads:
        losses, timings["train"] = run_epochs(
            lambda c0, c1, alphas, order: _fasttext_chunks(c0, c1, order, alphas, ids, offsets, chunks, inp, out,
                                                           indptr, rows, noise, keep, states, opts),
            offsets, chunks, epochs=epochs, alpha=alpha, min_alpha=min_alpha, threads=nthreads,
            desc=f"fasttext {model}", progress=progress, drop_pages=drop_pages, syn0=out,
            ceiling=20.0 * math.log(2.0) * (negative + 1), sample=sample, shuffle_seed=seed if shuffle else None)
    t = time.perf_counter()
    vectors = SubwordVectors(words, inp, minn=minn, maxn=maxn, bucket=bucket, counts=counts)
    timings["compose"] = time.perf_counter() - t
    context = Vectors(words, out, counts)
    return TrainResult(vectors, context, losses, timings, n_tokens * epochs / max(timings['train'], 1e-9))
