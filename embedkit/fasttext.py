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
kernel works on arrays only. Its arguments are named tuples (``embedkit._sgd.Corpus``,
``_Weights``, ``_Tables``, this thread's ``_Scratch`` rows, ``_Config``), as word2vec's are, and
it shares with word2vec (``embedkit._sgd``) the SGNS update ``sgns_pair``, the alias noise
table, the RNG, subsampling, the window draw, the chunking and the epoch driver.

``update="window"`` (the default) reads and writes each word's n-gram rows once per position
instead of once per pair: skip-gram computes the centre's input vector once per window and adds
the window's summed input gradient once (fastText recomputes and updates after every context
word, ``update="pair"``); CBOW reads a position's rows once, when it enters the widest window,
and writes its summed gradient once, when it leaves (fastText reads and writes every context
word's rows for every centre). The n-gram rows, most of the memory traffic, then move
about window times less. bench/RESULTS.md has the speed and quality of both.
"""

from __future__ import annotations

import time
import warnings
from typing import NamedTuple

import numba
import numpy as np
from numba import prange

from ._compile import precompile
from ._rng import seed_states, seed_values
from ._sgd import (SHUFFLES, Corpus, build_noise_table, check_rates, check_trainable, compile_stage, cut_sentences,
                   draw_centre_negatives, draw_window, loss_ceiling, make_chunks, per_thread,
                   prefetch_row, run_epochs, sgns_pair, subsample)
from ._faults import check_memory, fasttext_need
from ._util import (check_bool, check_choice, check_dim, check_float, check_int, check_seed, check_threads,
                    numba_threads, release_memory)
from .errors import EmbedkitError
from .result import TrainResult
from .subword import _compose, check_subword_params, subword_table
from .vocab import Vocab, keep_probabilities, resolve_corpus

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
        prefetch_row(inp, rows[p])


@numba.njit(cache=True, inline="always")
def _flush(inp, rows, indptr, sen, s, p, ring):
    """Add position p's summed gradient s.ring_g[p % ring] to its word's rows; returns p + 1."""
    slot = p % ring
    if s.used[slot]:
        x = sen[p]
        _push_grad(inp, rows, indptr[x], indptr[x + 1], s.ring_g[slot])
    return p + 1


# ---------------------------------------------------------------- kernel arguments
class _Weights(NamedTuple):
    """The model, updated in place (Hogwild)."""

    inp: np.ndarray      # float32 (V + bucket, dim): word rows, then n-gram bucket rows
    out: np.ndarray      # float32 (V, dim): the negative-sampling output layer


class _Tables(NamedTuple):
    indptr: np.ndarray   # int64 (V + 1,): word w's input rows are rows[indptr[w]:indptr[w + 1]]
    rows: np.ndarray     # int64: rows of inp (``subword_table``)
    noise: np.ndarray    # uint64 (V,): alias table (threshold << 32 | alias) of counts ** 0.5
    keep: np.ndarray     # float64 (V,): subsampling keep probabilities


class _Scratch(NamedTuple):
    """Scratch buffers. The driver allocates them once with a leading thread axis; the kernel
    takes the rows of the calling thread (``_thread_scratch``)."""

    sen: np.ndarray      # int32 (max sentence length,): the subsampled sentence
    hidden: np.ndarray   # float32 (1, dim): the input vector (mean of rows)
    grad: np.ndarray     # float32 (dim,): the input's accumulated gradient
    pneg: np.ndarray     # int64 (4 * window * negative,): the negatives of two windows, this centre's and the next's
    ring_s: np.ndarray   # float32 (2 * window + 1, dim): CBOW "window": positions' summed rows
    ring_g: np.ndarray   # float32 (2 * window + 1, dim): CBOW "window": positions' summed gradients
    used: np.ndarray     # int8 (2 * window + 1,): whether a ring position got a gradient


class _Config(NamedTuple):
    """The integer options (bools as 0/1); one compiled kernel serves every combination."""

    window: int
    negative: int
    skipgram: int
    per_pair: int        # update="pair"


def _allocate_scratch(n_threads, max_len, dim, window, negative):
    """Every scratch buffer, once, with a leading axis of ``n_threads`` (``_sgd.per_thread``: a gap
    after each thread's)."""
    ring = 2 * window + 1
    return _Scratch(per_thread(n_threads, (max_len,), np.int32), per_thread(n_threads, (1, dim), np.float32),
                    per_thread(n_threads, (dim,), np.float32), per_thread(n_threads, (4 * window * negative,), np.int64),
                    per_thread(n_threads, (ring, dim), np.float32), per_thread(n_threads, (ring, dim), np.float32),
                    per_thread(n_threads, (ring,), np.int8))


@numba.njit(cache=True, inline="always")
def _thread_scratch(s, t):
    """Thread t's rows of the driver's scratch buffers."""
    return _Scratch(s.sen[t], s.hidden[t], s.grad[t], s.pneg[t], s.ring_s[t], s.ring_g[t], s.used[t])


# ---------------------------------------------------------------- one centre word
@numba.njit(cache=True, inline="always")
def _centre_input(m, tb, a0, a1, s):
    """s.hidden = mean of inp[rows[a0:a1]]; s.grad = 0."""
    s.hidden[0, :] = 0.0
    _add_rows(m.inp, tb.rows, a0, a1, s.hidden, 0)
    _scale(s.hidden, a1 - a0)
    s.grad[:] = 0.0


@numba.njit(cache=True, inline="always")
def _skipgram_step(m, tb, sen, lo, hi, i, s, pneg, cfg, alpha):
    """Skip-gram for centre sen[i] and its contexts sen[lo:hi] (but i): the centre's rows are
    the input, each context word a target with its own negatives ``pneg`` (drawn by the caller
    for the whole window, so that the next pair's output rows can be prefetched while this one trains). With
    ``cfg.per_pair`` the input is recomputed and its rows updated after every pair (fastText),
    else once per window. Returns (NLL sum, pairs)."""
    negative = cfg.negative
    out = m.out
    a0, a1 = tb.indptr[sen[i]], tb.indptr[sen[i] + 1]
    if not cfg.per_pair:
        _centre_input(m, tb, a0, a1, s)
    n_pairs = hi - lo - 1
    loss = 0.0
    q = 0
    for j in range(lo, hi):
        if j == i:
            continue
        if q + 1 < n_pairs:
            jn = j + 1 if j + 1 != i else j + 2
            prefetch_row(out, sen[jn])
            for d in range((q + 1) * negative, (q + 2) * negative):
                prefetch_row(out, pneg[d])
        negs = pneg[q * negative:(q + 1) * negative]
        q += 1
        if cfg.per_pair:
            _centre_input(m, tb, a0, a1, s)
        loss += sgns_pair(s.hidden, 0, s.grad, out, sen[j], negs, alpha, np.float32(1.0))
        if cfg.per_pair:
            _push_grad(m.inp, tb.rows, a0, a1, s.grad)
    if not cfg.per_pair and n_pairs > 0:
        _push_grad(m.inp, tb.rows, a0, a1, s.grad)
    return loss, n_pairs


@numba.njit(cache=True, inline="always")
def _cbow_pair_step(m, tb, sen, lo, hi, i, s, negs, alpha):
    """CBOW as fastText, for centre sen[i] against the negatives ``negs``: the input is the mean of
    all rows of the context words sen[lo:hi] (but i), each of which gets the input's gradient.
    Returns the NLL."""
    indptr, rows, inp = tb.indptr, tb.rows, m.inp
    s.hidden[0, :] = 0.0
    n_rows = 0
    for j in range(lo, hi):
        if j != i:
            x = sen[j]
            _add_rows(inp, rows, indptr[x], indptr[x + 1], s.hidden, 0)
            n_rows += indptr[x + 1] - indptr[x]
    _scale(s.hidden, n_rows)
    s.grad[:] = 0.0
    loss = sgns_pair(s.hidden, 0, s.grad, m.out, sen[i], negs, alpha, np.float32(1.0))
    for j in range(lo, hi):
        if j != i:
            x = sen[j]
            _push_grad(inp, rows, indptr[x], indptr[x + 1], s.grad)
    return loss


@numba.njit(cache=True, inline="always")
def _cbow_ring_step(m, tb, sen, lo, hi, i, s, negs, ring, alpha):
    """CBOW for centre sen[i] from the context positions' summed rows s.ring_s (read when each
    position entered the widest window); the input's gradient is added to their s.ring_g, which
    goes to the rows when a position leaves (``_flush``). Returns the NLL."""
    indptr = tb.indptr
    dim = m.inp.shape[1]
    s.hidden[0, :] = 0.0
    n_rows = 0
    for j in range(lo, hi):
        if j != i:
            slot = j % ring
            for c in range(dim):
                s.hidden[0, c] += s.ring_s[slot, c]
            n_rows += indptr[sen[j] + 1] - indptr[sen[j]]
    _scale(s.hidden, n_rows)
    s.grad[:] = 0.0
    loss = sgns_pair(s.hidden, 0, s.grad, m.out, sen[i], negs, alpha, np.float32(1.0))
    for j in range(lo, hi):
        if j != i:
            slot = j % ring
            s.used[slot] = 1
            for c in range(dim):
                s.ring_g[slot, c] += s.grad[c]
    return loss


@numba.njit(cache=True, inline="always")
def _ring_enter(m, tb, sen, s, p, ring):
    """Position p enters the widest window: its word's rows summed into s.ring_s; returns p + 1."""
    slot = p % ring
    x = sen[p]
    s.ring_s[slot, :] = 0.0
    s.ring_g[slot, :] = 0.0
    s.used[slot] = 0
    _add_rows(m.inp, tb.rows, tb.indptr[x], tb.indptr[x + 1], s.ring_s, slot)
    return p + 1


@numba.njit(cache=True, inline="always")
def _prefetch_ahead(out, sen, i, lo, hi, pneg, off, cfg):
    """Prefetch the output rows of centre sen[i]'s first update: skip-gram, its first context
    word and that pair's negatives; CBOW, the centre and its negatives."""
    if hi - lo <= 1:
        return
    if cfg.skipgram:
        prefetch_row(out, sen[lo if lo != i else lo + 1])
    else:
        prefetch_row(out, sen[i])
    for d in range(off, off + cfg.negative):
        prefetch_row(out, pneg[d])


# ---------------------------------------------------------------- kernel
@numba.njit(cache=True, fastmath=True)
def _train_chunk(k, r, alpha, corpus, m, tb, s, states, cfg):
    """Train chunk k (sentences corpus.chunks[k]:chunks[k+1]) with this thread's scratch s and the
    chunk's RNG state in row r of ``states``. Returns (NLL sum, trained pairs, tokens read)."""
    ids, offsets, indptr, rows = corpus.ids, corpus.offsets, tb.indptr, tb.rows
    window = cfg.window
    negative = cfg.negative
    ring = 2 * window + 1
    sen = s.sen
    alpha = np.float32(alpha)
    loss = 0.0
    pairs = 0
    tokens = 0
    for sn in range(corpus.chunks[k], corpus.chunks[k + 1]):
        n = subsample(ids, offsets[sn], offsets[sn + 1], tb.keep, states, r, sen, sen[:0])
        tokens += offsets[sn + 1] - offsets[sn]
        entered = 0  # CBOW ring: next position to read, next position to write back
        exited = 0
        if n == 0:
            continue
        # The next centre's window and negatives are drawn before this centre trains (the order
        # of the draws is unchanged: window, then negatives, centre by centre), so that its
        # output rows load while this one trains; s.pneg holds this centre's and the next's.
        half = 2 * window * negative
        nlo, nhi = draw_window(states, r, window, 0, n)
        draw_centre_negatives(tb.noise, states, r, cfg.skipgram, False, negative, nlo, nhi, s.pneg, 0)
        for i in range(n):
            lo, hi = nlo, nhi
            cur = (i & 1) * half
            if i + 1 < n:
                nlo, nhi = draw_window(states, r, window, i + 1, n)
                nxt = half - cur
                draw_centre_negatives(tb.noise, states, r, cfg.skipgram, False, negative, nlo, nhi, s.pneg, nxt)
                _prefetch_ahead(m.out, sen, i + 1, nlo, nhi, s.pneg, nxt, cfg)
                if cfg.skipgram or cfg.per_pair:  # the next centre's rows load while this window trains
                    _prefetch_rows(m.inp, rows, indptr[sen[i + 1]], indptr[sen[i + 1] + 1])
            if cfg.skipgram:
                lsum, n_pairs = _skipgram_step(m, tb, sen, lo, hi, i, s, s.pneg[cur:cur + half], cfg, alpha)
                loss += lsum
                pairs += n_pairs
            elif cfg.per_pair:  # CBOW as fastText: the context rows are read and updated for every centre
                if hi - lo > 1:
                    loss += _cbow_pair_step(m, tb, sen, lo, hi, i, s, s.pneg[cur:cur + negative], alpha)
                    pairs += 1
            else:
                # CBOW, each position's rows read once, when it enters the widest window (into
                # ring_s), and its summed gradient (ring_g) written once, when it leaves it
                while entered < min(n, i + window + 1):
                    entered = _ring_enter(m, tb, sen, s, entered, ring)
                if entered < n:
                    x = sen[entered]
                    _prefetch_rows(m.inp, rows, indptr[x], indptr[x + 1])
                if hi - lo > 1:
                    loss += _cbow_ring_step(m, tb, sen, lo, hi, i, s, s.pneg[cur:cur + negative], ring, alpha)
                    pairs += 1
                while exited < i + 1 - window:
                    exited = _flush(m.inp, rows, indptr, sen, s, exited, ring)
        while not cfg.skipgram and not cfg.per_pair and exited < n:
            exited = _flush(m.inp, rows, indptr, sen, s, exited, ring)
    return loss, pairs, tokens


@numba.njit(cache=True, parallel=True)
def _train_chunks(ks, alphas, corpus, m, tb, scratch, states, cfg):
    """Train chunks ks in parallel (Hogwild), chunk ks[j] at rate alphas[j] with the RNG state in
    row j of ``states``; scratch has one row per thread. Returns (NLL sum, trained pairs, tokens
    read)."""
    loss = 0.0
    pairs = 0
    tokens = 0
    for p in prange(ks.shape[0]):
        s = _thread_scratch(scratch, numba.get_thread_id())
        # int64: the index is uint64 inside the parallel region, int64 when Numba types the loop first, and
        # each type is a compile of the whole chunk kernel (tests/test_compile.py)
        lk, pk, tk = _train_chunk(ks[p], np.int64(p), alphas[p], corpus, m, tb, s, states, cfg)
        loss += lk
        pairs += pk
        tokens += tk
    return loss, pairs, tokens


def _compile(ids, dim, window, negative):
    """Run the kernels (training, then composing the vectors) once on a tiny corpus with the real
    argument types: Numba compiles or loads its cache here, outside the timed training and
    before the big matrices exist."""
    tiny = np.array([0, 1, 2, 1, 0], np.int32)
    if not ids.flags.writeable:
        tiny.flags.writeable = False
    corpus = Corpus(tiny, np.array([0, 5], np.int64), np.array([0, 1], np.int64))
    indptr, rows = subword_table(["a", "b", "c"], minn=1, maxn=2, bucket=4)
    m = _Weights(np.zeros((7, dim), np.float32), np.zeros((3, dim), np.float32))
    tb = _Tables(indptr, rows, build_noise_table(np.array([2, 2, 1]), NOISE_POWER), np.ones(3))
    scratch = _allocate_scratch(1, 5, dim, window, negative)
    calls = [(_train_chunks, (np.zeros(1, np.int64), np.array([0.01]), corpus, m, tb, scratch, seed_states(0, 1),
                              _Config(window, negative, 1, 0))),
             (_compose, (m.inp, indptr, rows, np.empty((3, dim), np.float32)))]  # SubwordVectors composes with it
    precompile(*calls)  # a cold cache compiles in a child process, so not in this one's peak RSS
    for kernel, args in calls:
        kernel(*args)


# ---------------------------------------------------------------- driver
def _check(model, dim, window, negative, sample, alpha, min_alpha, epochs, minn, maxn, bucket, update, shuffle, seed,
           threads):
    check_choice("model", model, MODELS)
    check_int("dim", dim, min=1)
    check_int("window", window, min=1)
    check_int("negative", negative, min=1)
    check_float("sample", sample, min=0.0)
    check_float("alpha", alpha, min=0.0, min_open=True)
    check_rates(alpha, min_alpha)
    check_int("epochs", epochs, min=1)
    check_subword_params(minn, maxn, bucket)
    check_choice("update", update, UPDATES)
    check_choice("shuffle", shuffle, SHUFFLES)
    check_seed(seed)
    check_threads(threads)


def train_fasttext(corpus, *, model=None, dim=None, window=5, negative=5, sample=1e-4, alpha=0.05,
                   min_alpha=0.0, epochs=5, min_count=5, max_vocab=None, lowercase=False,
                   tokenize="whitespace", keep_punctuation=False, minn=None, maxn=None,
                   bucket=None, update="window", shuffle="epoch", threads=None, seed=1, progress=False, init=None,
                   average_init=False):
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
    shuffle : {"epoch", "once", "none"}, default="epoch"
        The order in which the corpus's chunks are trained (about 1,000 tokens each: sentences
        are cut at ``MAX_LINE``, 1,024 tokens, as fastText cuts its lines): a new random order
        every epoch (seeded by ``seed``), one random order kept for every epoch, or corpus
        order. A corpus ordered by topic (Wikipedia, article after article) otherwise pulls
        the vectors towards the topic at hand while the learning rate is high: on wiki17m
        shuffling raises SimLex and the Google analogies (bench/RESULTS.md). ``True`` and
        ``False`` (the old spelling) still mean "epoch" and "none", with a warning.
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
    average_init : bool, default=False
        With ``init``: after training, move the model's words (input and output rows) and every
        n-gram bucket back toward their values in the model: ``row = old + s * (trained - old)``,
        ``s`` the share of the model's words' occurrences that come from the new corpus (the two
        models averaged, each weighted by its text, as ``train_word2vec``'s ``average_init``).

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

    if isinstance(shuffle, (bool, np.bool_)):
        warnings.warn(f"shuffle={shuffle} is deprecated: use shuffle={'epoch' if shuffle else 'none'!r}",
                      FutureWarning, stacklevel=2)
        shuffle = "epoch" if shuffle else "none"
    ftm = None
    if init is not None:
        from .warmstart import load_fasttext_init

        ftm = load_fasttext_init(init)
        stored = dict(model=ftm.args["model"], dim=ftm.args["dim"], minn=ftm.args["minn"], maxn=ftm.args["maxn"],
                      bucket=ftm.vectors.bucket)
        for name, value in (("model", model), ("dim", dim), ("minn", minn), ("maxn", maxn), ("bucket", bucket)):
            if value is not None and value != stored[name] and not (name == "bucket" and stored["maxn"] == 0):
                source = getattr(ftm, "path", "the model")  # load_fasttext_init names a model read from a file
                raise EmbedkitError(f"{name} cannot change when continuing: {source} has {name}={stored[name]!r}, "
                                    f"not {value!r}")
        model, dim, minn, maxn, bucket = (stored[k] for k in ("model", "dim", "minn", "maxn", "bucket"))
    model = "skipgram" if model is None else model
    dim = 100 if dim is None else dim
    minn = 3 if minn is None else minn
    maxn = 6 if maxn is None else maxn
    bucket = 2_000_000 if bucket is None else bucket
    _check(model, dim, window, negative, sample, alpha, min_alpha, max(epochs, 1) if ftm is not None else epochs,
           minn, maxn, bucket, update, shuffle, seed, threads)
    if ftm is not None:
        check_int("epochs", epochs, min=0)
    check_bool("average_init", average_init)
    if average_init and ftm is None:
        raise EmbedkitError("average_init applies to continued training: give init (a .bin model)")
    if maxn == 0:
        bucket = 0  # no n-grams: no bucket rows (fastText does the same)
    timings = {}
    t = time.perf_counter()
    scanned = not (isinstance(corpus, tuple) and len(corpus) == 2 and isinstance(corpus[0], Vocab))
    if ftm is None:
        vocab, enc = resolve_corpus(corpus, min_count=min_count, max_vocab=max_vocab, lowercase=lowercase,
                                    tokenize=tokenize, keep_punctuation=keep_punctuation, threads=threads,
                                    progress=progress)
    else:
        from .vocab import merge_vocab, scan_corpus

        if isinstance(corpus, tuple):
            raise EmbedkitError("continuing a model needs a corpus path, not a scanned (Vocab, EncodedCorpus) pair")
        vocab, enc, _ = merge_vocab(scan_corpus(corpus, min_count=1, lowercase=lowercase, tokenize=tokenize,
                                                keep_punctuation=keep_punctuation, threads=threads,
                                                progress=progress),
                                    min_count=min_count, max_vocab=max_vocab, base_words=ftm.vectors.words,
                                    base_counts=ftm.vectors.counts, keep=len(ftm.vectors.words))
    if scanned:
        timings["scan"] = time.perf_counter() - t
    ids = np.asarray(enc.ids)
    longest = check_trainable(enc.offsets)
    offsets = cut_sentences(enc.offsets, MAX_LINE) if longest > MAX_LINE else np.asarray(enc.offsets, np.int64)
    max_len = min(longest, MAX_LINE)  # the longest sentence after the cut
    counts = np.asarray(enc.counts, dtype=np.int64)
    v = len(counts)
    check_dim(dim, v)
    check_subword_params(minn, maxn, bucket, v)
    check_memory(fasttext_need(list(vocab.words), dim, bucket=bucket, minn=minn, maxn=maxn),
                 what="training fastText", lower="--bucket, --dim or --max-vocab")
    # the units of work before the big matrix exists: their temporaries then add nothing to the peak
    t = time.perf_counter()
    corpus = Corpus(ids, offsets, make_chunks(offsets, MAX_LINE))  # ~1,000-token chunks: finer than word2vec's
    streams = (seed_values(seed, len(corpus.chunks) - 1),)  # packed: run_epochs copies a call's into rows
    setup = time.perf_counter() - t

    # compile (or load the cache) before the big matrix exists, then give LLVM's memory back: a
    # cold compile then adds nothing to the peak RSS (bench/RESULTS.md, fastText memory)
    timings["compile"] = compile_stage(lambda: _compile(ids, dim, window, negative),
                                       "fasttext: compiling kernels (first run only)", progress)
    release_memory()

    t = time.perf_counter()
    words = list(vocab.words)
    indptr, rows = subword_table(words, minn=minn, maxn=maxn, bucket=bucket)
    rng = np.random.default_rng(seed)
    inp = np.empty((v + bucket, dim), np.float32)  # uniform in [-1/dim, 1/dim), filled in place
    rng.random(out=inp, dtype=np.float32)
    inp *= np.float32(2.0 / dim)
    inp -= np.float32(1.0 / dim)
    m = _Weights(inp, np.zeros((v, dim), np.float32))
    if ftm is not None:
        from .warmstart import fasttext_start

        fasttext_start(ftm, vocab, indptr, rows, inp, m.out)
    tb = _Tables(indptr, rows, build_noise_table(counts, NOISE_POWER), keep_probabilities(counts, sample))
    scratch = _allocate_scratch(numba.config.NUMBA_NUM_THREADS, max_len, dim, window, negative)
    cfg = _Config(window, negative, int(model == "skipgram"), int(update == "pair"))
    timings["setup"] = time.perf_counter() - t + setup

    with numba_threads(threads) as nthreads:
        losses, timings["train"] = run_epochs(
            lambda ks, alphas, rows: _train_chunks(ks, alphas, corpus, m, tb, scratch, rows, cfg),
            offsets, corpus.chunks, epochs=epochs, alpha=alpha, min_alpha=min_alpha, threads=nthreads,
            desc=f"fasttext {model}", progress=progress, ids=enc.ids, syn0=m.out,
            ceiling=loss_ceiling(negative + 1), sample=sample, streams=streams, shuffle=shuffle, seed=seed)
    t = time.perf_counter()
    if average_init:
        from .warmstart import fasttext_average

        fasttext_average(ftm, vocab, inp, m.out, counts)
    vectors = SubwordVectors(words, inp, minn=minn, maxn=maxn, bucket=bucket, counts=counts)
    timings["compose"] = time.perf_counter() - t
    return TrainResult(vectors=vectors, context=vectors.with_matrix(m.out), losses=losses, timings=timings,
                       words_per_sec=int(offsets[-1]) * epochs / max(timings["train"], 1e-9), model=None)
