"""GloVe (Pennington, Socher & Manning 2014): weighted least squares on log co-occurrences.

The cost is sum over non-zero X_ij of f(X_ij) (w_i . c_j + b_i + d_j - log X_ij)^2 with
f(x) = min(1, (x / x_max) ** alpha). The non-zeros become one array of records (row, col,
log X, f(X)), 16 bytes each, shuffled in place by a seeded Fisher-Yates pass (once per run or
once per epoch). One kernel call is one epoch: ``prange`` over contiguous chunks of the
records, Hogwild updates of the shared parameters.

AdaGrad as in the reference tool: each parameter has an accumulator that starts at 1 and
sums the squares of its steps. A vector component with gradient g (clipped to +-100) steps by
s = lr * g / sqrt(acc), then acc += (lr * g)**2; a bias steps by g / sqrt(acc), then
acc += g**2 (the reference tool does not scale the bias step by the learning rate).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import prange

from ._prefetch import prefetch as _prefetch
from ._rng import next_int, seed_states
from ._util import check_choice, check_float, check_int, check_seed, check_threads, numba_threads, progress_bar
from .errors import EmbedkitError

SHUFFLES = ("once", "epoch")
OUTPUTS = ("sum", "word")
ENTRY = np.dtype([("row", np.int32), ("col", np.int32), ("logx", np.float32), ("weight", np.float32)])
GRAD_CLIP = 100.0
#: records ahead whose parameter rows are prefetched while the current one is processed
PREFETCH_AHEAD = 4
#: records per chunk (the unit of work of one thread); fixed, so threads=1 runs are reproducible
CHUNK_ENTRIES = 1 << 16


# ---------------------------------------------------------------- kernels


@numba.njit(cache=True, inline="always")
def _prefetch_rows(params, gradsq, i, j):
    """Prefetch rows i and j of both (2V, dim+1) float32 arrays (16 floats per 64-byte line)."""
    for t in range(0, params.shape[1], 16):
        _prefetch(params, i, t)
        _prefetch(params, j, t)
        _prefetch(gradsq, i, t)
        _prefetch(gradsq, j, t)


@numba.njit(parallel=True, cache=True)
def _build_entries(indptr, indices, data, log_xmax, alpha, chunk_rows, entries):
    """Fill ``entries`` (ENTRY records, nnz) from CSR arrays: log X and f(X) = min(1, (X/x_max)^alpha)."""
    for c in prange(len(chunk_rows) - 1):
        for i in range(chunk_rows[c], chunk_rows[c + 1]):
            for a in range(indptr[i], indptr[i + 1]):
                lx = np.log(np.float64(data[a]))
                e = entries[a]
                e.row = i
                e.col = indices[a]
                e.logx = lx
                e.weight = 1.0 if lx >= log_xmax else np.exp(alpha * (lx - log_xmax))


@numba.njit(cache=True)
def _shuffle_rows(entries, state):
    """Fisher-Yates shuffle of the rows of ``entries`` (n, 2) uint64 (the 16-byte records) in place,
    drawing from ``state[0]`` (uint64 xorshift).

    The draw for position k is made PREFETCH_AHEAD * 4 steps early (the draws do not depend on
    the data) so that the record it names can be prefetched; the permutation is the plain one.
    """
    n = len(entries)
    ahead = PREFETCH_AHEAD * 4
    ring = np.empty(ahead, np.int64)
    for m in range(min(ahead, n - 1)):
        ring[m] = next_int(state, 0, n - m)
    for k in range(n - 1, 0, -1):
        slot = (n - 1 - k) % ahead
        r = ring[slot]
        if k - ahead >= 1:
            ring[slot] = next_int(state, 0, k - ahead + 1)
            _prefetch(entries, ring[slot], 0)
        a0 = entries[k, 0]
        a1 = entries[k, 1]
        entries[k, 0] = entries[r, 0]
        entries[k, 1] = entries[r, 1]
        entries[r, 0] = a0
        entries[r, 1] = a1


@numba.njit(parallel=True, fastmath=True, cache=True,
            locals={"diff": numba.float32, "fdiff": numba.float32, "g1": numba.float32, "g2": numba.float32})
def _adagrad_epoch(entries, params, gradsq, n_words, lr, n_chunks):
    """One AdaGrad pass over ``entries``; params/gradsq (2V, dim+1) float32: rows [0, V) words, [V, 2V)
    contexts, last column the bias. Returns the weighted cost sum 0.5 * f * diff^2 (float64)."""
    dim = params.shape[1] - 1
    n = len(entries)
    clip = np.float32(GRAD_CLIP)
    total = 0.0
    for c in prange(n_chunks):
        lo = n * c // n_chunks
        hi = n * (c + 1) // n_chunks
        cost = 0.0
        for k in range(lo, hi):
            if k + PREFETCH_AHEAD < hi:  # the rows needed a few records from now: hides memory latency
                f = entries[k + PREFETCH_AHEAD]
                _prefetch_rows(params, gradsq, f.row, f.col + n_words)
            e = entries[k]
            i = e.row
            j = e.col + n_words
            diff = params[i, dim] + params[j, dim] - e.logx
            for t in range(dim):
                diff += params[i, t] * params[j, t]
            fdiff = e.weight * diff
            cost += 0.5 * fdiff * diff
            for t in range(dim):
                g1 = min(max(fdiff * params[j, t], -clip), clip) * lr
                g2 = min(max(fdiff * params[i, t], -clip), clip) * lr
                params[i, t] -= g1 / np.sqrt(gradsq[i, t])
                params[j, t] -= g2 / np.sqrt(gradsq[j, t])
                gradsq[i, t] += g1 * g1
                gradsq[j, t] += g2 * g2
            params[i, dim] -= fdiff / np.sqrt(gradsq[i, dim])
            params[j, dim] -= fdiff / np.sqrt(gradsq[j, dim])
            gradsq[i, dim] += fdiff * fdiff
            gradsq[j, dim] += fdiff * fdiff
        total += cost
    return total


# ---------------------------------------------------------------- helpers
def _check(dim, x_max, alpha, learning_rate, epochs, shuffle, output, seed, threads):
    check_int("dim", dim, min=1)
    check_float("x_max", x_max, min=0.0, min_open=True)
    check_float("alpha", alpha, min=0.0, min_open=True)
    check_float("learning_rate", learning_rate, min=0.0, min_open=True)
    check_int("epochs", epochs, min=1)
    check_choice("shuffle", shuffle, SHUFFLES)
    check_choice("output", output, OUTPUTS)
    check_seed(seed)
    check_threads(threads)


def _balanced_rows(indptr, n_chunks):
    n_rows = len(indptr) - 1
    targets = np.linspace(0, indptr[-1], n_chunks + 1)[1:-1]
    return np.unique(np.concatenate([[0], np.searchsorted(indptr, targets), [n_rows]])).astype(np.int64)


def cooc_entries(cooc, *, x_max=100.0, alpha=0.75, threads=None):
    """The non-zeros of a co-occurrence matrix as ENTRY records (row, col, log X, f(X)), in CSR order."""
    import scipy.sparse as sp

    m = cooc if sp.isspmatrix_csr(cooc) or isinstance(cooc, sp.csr_array) else sp.csr_matrix(cooc)
    data = np.asarray(m.data)
    if data.dtype != np.float32:
        data = data.astype(np.float32)
    if m.nnz and not (np.isfinite(data).all() and data.min() > 0):
        raise EmbedkitError("co-occurrence counts must be positive and finite (drop explicit zeros first)")
    entries = np.empty(m.nnz, ENTRY)
    with numba_threads(threads) as n:
        _build_entries(m.indptr, m.indices, data, math.log(x_max), float(alpha),
                       _balanced_rows(m.indptr, 16 * n), entries)
    return entries


def init_params(n_words, dim, seed):
    """(2V, dim+1) float32 parameters, uniform in [-0.5/dim, 0.5/dim), and AdaGrad accumulators of 1."""
    rng = np.random.default_rng(seed)
    params = rng.random((2 * n_words, dim + 1), dtype=np.float32)
    params -= np.float32(0.5)
    params /= np.float32(dim)
    return params, np.ones_like(params)


def fit_entries(entries, n_words, *, dim=100, learning_rate=0.05, epochs=25, shuffle="once", seed=1,
                threads=None, progress=False, costs=None):
    """Train on ENTRY records (shuffled in place). Returns the (2V, dim+1) float32 parameters."""
    params, gradsq = init_params(n_words, dim, seed)
    state = seed_states(seed, 1)
    n_chunks = max(1, -(-len(entries) // CHUNK_ENTRIES))
    lr = np.float32(learning_rate)
    with numba_threads(threads), \
            progress_bar(total=epochs, desc="glove", unit="epoch", enabled=progress) as bar:
        for epoch in range(epochs):
            if epoch == 0 or shuffle == "epoch":
                _shuffle_rows(entries.view(np.uint64).reshape(-1, 2), state)
            cost = _adagrad_epoch(entries, params, gradsq, n_words, lr, n_chunks) / max(len(entries), 1)
            if not math.isfinite(cost):
                raise EmbedkitError(f"GloVe diverged in epoch {epoch + 1} (cost is {cost}); "
                                    f"try a lower learning rate (now {learning_rate:g})")
            if costs is not None:
                costs.append(cost)
            bar.update(1)
            bar.set_postfix(cost=f"{cost:.5f}")
    return params


# ---------------------------------------------------------------- public API
def fit_glove(cooc, words, counts=None, *, dim=100, x_max=100.0, alpha=0.75, learning_rate=0.05, epochs=25,
              shuffle="once", output="sum", seed=1, threads=None, progress=False, costs=None):
    """GloVe vectors from a ready co-occurrence matrix.

    Parameters
    ----------
    cooc : scipy.sparse matrix, V x V
        Co-occurrence counts (positive), rows in the order of ``words``.
    words : list of str
    counts : array of int or None, default=None
        Word counts, kept in the returned Vectors.
    dim, x_max, alpha, learning_rate, epochs, shuffle, output, seed, threads, progress, costs
        See :func:`train_glove`.

    Returns
    -------
    Vectors
    """
    _check(dim, x_max, alpha, learning_rate, epochs, shuffle, output, seed, threads)
    words = list(words)
    if cooc.shape != (len(words), len(words)):
        raise EmbedkitError(f"co-occurrence matrix is {cooc.shape[0]} x {cooc.shape[1]} but there are "
                            f"{len(words)} words")
    if cooc.nnz == 0:
        raise EmbedkitError("the co-occurrence matrix is empty: the corpus is too small for these settings")
    entries = cooc_entries(cooc, x_max=x_max, alpha=alpha, threads=threads)
    return _vectors(entries, words, counts, dim=dim, learning_rate=learning_rate, epochs=epochs,
                    shuffle=shuffle, output=output, seed=seed, threads=threads, progress=progress, costs=costs)


def _vectors(entries, words, counts, *, output, **fit):
    from .vectors import Vectors

    v = len(words)
    dim = fit["dim"]
    params = fit_entries(entries, v, **fit)
    del entries
    w = params[:v, :dim]
    if output == "sum":
        w = w + params[v:, :dim]
    return Vectors(words, np.ascontiguousarray(w), counts)


def train_glove(corpus, *, dim=100, window=10, min_count=5, max_vocab=None, lowercase=False, x_max=100.0,
                alpha=0.75, learning_rate=0.05, epochs=25, shuffle="once", output="sum", seed=1, threads=None,
                progress=False, costs=None):
    """Train GloVe vectors on a corpus: scan, count (1/d weighted symmetric window), AdaGrad.

    Parameters
    ----------
    corpus : str, Path or (Vocab, EncodedCorpus)
        Text file (plain, .gz, .bz2, .xz), folder, ``"-"`` for stdin, or the result of
        ``embedkit.vocab.scan_corpus`` (then min_count, max_vocab and lowercase are not used).
    dim : int, default=100
    window : int, default=10
        Context words on each side; a pair at distance d counts 1/d, in both orders.
    min_count : int, default=5
    max_vocab : int or None, default=None
    lowercase : bool, default=False
    x_max : float, default=100.0
        Counts at or above x_max get full weight.
    alpha : float, default=0.75
        Exponent of the weighting function f(x) = min(1, (x / x_max) ** alpha).
    learning_rate : float, default=0.05
        Initial AdaGrad learning rate.
    epochs : int, default=25
    shuffle : {"once", "epoch"}, default="once"
        Shuffle the non-zeros once per run, or before every epoch.
    output : {"sum", "word"}, default="sum"
        Return W + W~ (word plus context vectors, the reference tool's default) or W alone.
    seed : int, default=1
        With ``threads=1`` the same seed gives bit-identical vectors.
    threads : int or None, default=None
        Numba threads (None: all); with more than one, Hogwild races make runs differ slightly.
    progress : bool, default=False
        Show tqdm bars (scan, count, epochs with the cost).
    costs : list or None, default=None
        If a list, the mean weighted cost 0.5 * f(X) * diff^2 of each epoch is appended to it.

    Returns
    -------
    Vectors

    Raises
    ------
    EmbedkitError
        On a bad parameter, or when the cost becomes NaN or infinite (no vectors are returned).

    Examples
    --------
    >>> v = train_glove("data/sample.txt.xz", dim=50, epochs=10)   # doctest: +SKIP
    >>> v.most_similar("king", topn=3)                              # doctest: +SKIP
    """
    from .cooc import count_cooccurrences

    _check(dim, x_max, alpha, learning_rate, epochs, shuffle, output, seed, threads)
    check_int("window", window, min=1)
    if isinstance(corpus, tuple):
        vocab, enc = corpus
    else:
        from .vocab import scan_corpus

        vocab, enc = scan_corpus(corpus, min_count=min_count, max_vocab=max_vocab, lowercase=lowercase,
                                 progress=progress)
    cooc = count_cooccurrences(enc, window=window, weighting="harmonic", threads=threads, progress=progress)
    if cooc.nnz == 0:
        raise EmbedkitError("the co-occurrence matrix is empty: the corpus is too small for these settings")
    entries = cooc_entries(cooc, x_max=x_max, alpha=alpha, threads=threads)
    del cooc  # the records replace the matrix
    return _vectors(entries, list(vocab.words), vocab.counts, dim=dim, learning_rate=learning_rate,
                    epochs=epochs, shuffle=shuffle, output=output, seed=seed, threads=threads,
                    progress=progress, costs=costs)
