"""In-memory backend: sparse co-occurrence counts over the encoded corpus.

Counting works row by row, so no pair list is ever materialised: the (subsampled) corpus is
copied into a working sequence with a -1 after every sentence, an inverted index lists the
positions of each word, and each row i is accumulated from the neighbourhoods of word i's
positions into a dense per-chunk accumulator (a sparse accumulator with a touched list).
Rows are split into chunks of equal work and the chunks run in parallel with ``prange``.
A first kernel call counts each row's non-zeros (to size the CSR arrays), a second fills them.
Corpora larger than ``block_tokens`` are counted block by block and the blocks summed.

Before counting, :func:`estimate_nonzeros` predicts the number of non-zeros (and so the memory
counting and fitting will take) from exact counts of three spread samples of the corpus.
"""

from __future__ import annotations

import numba
import numpy as np
import scipy.sparse as sp
from numba import prange

from .._compile import readonly
from .._rng import hash_uniform
from .._util import balanced_chunks, numba_threads, page_dropper, progress_bar, search_blockwise
from ..vocab import keep_probabilities

#: tokens counted at a time by the in-memory backend (bounds its working memory)
BLOCK_TOKENS = 1 << 26
_WINDOW_SALT = 0x5DEECE66D


@numba.njit(cache=True)
def _build_sequence(ids, offsets, keep, seed, base, window, dynamic, seq, wins):
    """Copy kept ids into seq with -1 after each sentence; draw each kept token's window. Returns length."""
    w = 0
    for s in range(len(offsets) - 1):
        for p in range(offsets[s], offsets[s + 1]):
            t = ids[p]
            if keep[t] < 1.0 and hash_uniform(seed, base + p) >= keep[t]:
                continue
            seq[w] = t
            if dynamic:
                wins[w] = 1 + np.int32(hash_uniform(seed ^ _WINDOW_SALT, base + p) * window)
            w += 1
        seq[w] = -1
        w += 1
    return w


@numba.njit(cache=True)
def _index_positions(seq, n, vocab_size):
    """Inverted index: positions of word i are pos[ptr[i]:ptr[i+1]] (ascending)."""
    ptr = np.zeros(vocab_size + 1, np.int64)
    for p in range(n):
        if seq[p] >= 0:
            ptr[seq[p] + 1] += 1
    for i in range(vocab_size):
        ptr[i + 1] += ptr[i]
    fill = ptr[:-1].copy()
    pos = np.empty(ptr[vocab_size], np.int32)
    for p in range(n):
        t = seq[p]
        if t >= 0:
            pos[fill[t]] = p
            fill[t] += 1
    return ptr, pos


@numba.njit(parallel=True, cache=True)
def _count_rows(seq, n, wins, ptr, pos, window, dynamic, harmonic, chunk_rows, indptr, indices, data):
    """Per row i: non-zeros of X[i] (when ``len(indptr) == 0``, only their number is returned).

    X[i, j] += w(d) for every position p of i and every j at distance d <= window(p) in the
    same sentence, w = 1/d (harmonic) or 1. Returns nnz per row (int64).
    """
    vocab_size = len(ptr) - 1
    fill = len(indptr) > 0
    nnz = np.zeros(vocab_size, np.int64)
    for c in prange(len(chunk_rows) - 1):
        mark = np.full(vocab_size, -1, np.int32)
        acc = np.zeros(vocab_size if fill else 1, np.float64)
        touched = np.empty(vocab_size if fill else 1, np.int32)
        for i in range(chunk_rows[c], chunk_rows[c + 1]):
            k = 0
            for a in range(ptr[i], ptr[i + 1]):
                p = pos[a]
                b = wins[p] if dynamic else window
                for side in range(2):
                    for d in range(1, b + 1):
                        q = p - d if side == 0 else p + d
                        if q < 0 or q >= n:
                            break
                        j = seq[q]
                        if j < 0:
                            break
                        if mark[j] != i:
                            mark[j] = i
                            if fill:
                                touched[k] = j
                                acc[j] = 0.0
                            k += 1
                        if fill:
                            acc[j] += 1.0 / d if harmonic else 1.0
            nnz[i] = k
            if fill and k > 0:
                out = indptr[i]
                if k > vocab_size // 16:  # dense row: a scan is cheaper than a sort
                    for j in range(vocab_size):
                        if mark[j] == i:
                            indices[out] = j
                            data[out] = acc[j]
                            out += 1
                else:
                    cols = np.sort(touched[:k])
                    for t in range(k):
                        indices[out + t] = cols[t]
                        data[out + t] = acc[cols[t]]
    return nnz


def row_nonzeros(ids, offsets, keep, *, seed, base, window, dynamic, harmonic, vocab_size, n_threads,
                 dtype=np.float32):
    """The first pass over one block: ``(nnz per row, (seq, n, wins, ptr, pos, chunk_rows))``, the
    second element being what the pass that fills the rows needs. ``dtype``: the values the fill
    pass will write (the kernel is given an empty array of it, so both passes share one compile)."""
    ids = readonly(ids)  # a memory-mapped id file or a block read into memory: one kernel type, one compile
    n_alloc = int(offsets[-1] - offsets[0]) + len(offsets)
    seq = np.empty(n_alloc, np.int32)
    wins = np.empty(n_alloc if dynamic else 1, np.int32)
    n = _build_sequence(ids, offsets, keep, seed, base, window, dynamic, seq, wins)
    ptr, pos = _index_positions(seq, n, vocab_size)
    # chunks of rows with about equal work, many per thread
    chunk_rows = balanced_chunks(ptr, 32 * n_threads)
    nnz = _count_rows(seq, n, wins, ptr, pos, window, dynamic, harmonic, chunk_rows, np.zeros(0, np.int64),
                      np.zeros(0, np.int32), np.zeros(0, dtype))
    return nnz, (seq, n, wins, ptr, pos, chunk_rows)


def count_block(ids, offsets, keep, *, seed, base, window, dynamic, harmonic, vocab_size, n_threads,
                dtype=np.float32):
    """Counts of one block of sentences as a V x V CSR matrix (``dtype`` values, sorted indices)."""
    nnz, state = row_nonzeros(ids, offsets, keep, seed=seed, base=base, window=window, dynamic=dynamic,
                              harmonic=harmonic, vocab_size=vocab_size, n_threads=n_threads, dtype=dtype)
    return fill_block(nnz, state, window=window, dynamic=dynamic, harmonic=harmonic, vocab_size=vocab_size,
                      dtype=dtype)


def fill_block(nnz, state, *, window, dynamic, harmonic, vocab_size, dtype=np.float32):
    """The second pass of :func:`count_block`: the CSR matrix from ``row_nonzeros``'s result. It needs
    only the block's working sequence, not its ids, so a caller that holds the ids can free them
    first (``spill_runs`` does: 4 bytes per block token fewer at the peak)."""
    seq, n, wins, ptr, pos, chunk_rows = state
    indptr = np.zeros(vocab_size + 1, np.int64)
    np.cumsum(nnz, out=indptr[1:])
    idx_dtype = np.int32 if indptr[-1] < 2**31 else np.int64
    indices = np.empty(indptr[-1], idx_dtype)
    data = np.empty(indptr[-1], dtype)
    _count_rows(seq, n, wins, ptr, pos, window, dynamic, harmonic, chunk_rows, indptr, indices, data)
    if idx_dtype == np.int32:
        indptr = indptr.astype(np.int32)
    m = sp.csr_matrix((data, indices, indptr), shape=(vocab_size, vocab_size), copy=False)
    m.has_sorted_indices = True
    return m


def count_matrix(encoded, *, window, weighting, dynamic_window, sample, seed, threads, block_tokens=BLOCK_TOKENS,
                 progress=False):
    """The whole corpus's counts in memory: the sum of :func:`iter_blocks` (float32 CSR, sorted indices).

    Parameters are those of :func:`embedkit.cooc.count_cooccurrences`, already checked.
    """
    total = None
    for m in iter_blocks(encoded, window=window, weighting=weighting, dynamic_window=dynamic_window,
                         sample=sample, seed=seed, threads=threads, block_tokens=block_tokens, progress=progress):
        total = m if total is None else total + m
    if total is None:
        total = sp.csr_matrix((encoded.vocab_size, encoded.vocab_size), dtype=np.float32)
    total.sort_indices()
    return total


def iter_blocks(encoded, *, window, weighting, dynamic_window, sample, seed, threads, block_tokens=BLOCK_TOKENS,
                progress=False):
    """Yield the counts of consecutive blocks of about ``block_tokens`` tokens (cut at sentence ends).

    Each block is a V x V CSR matrix (float32, sorted indices) counted as the whole corpus
    would be; their sum is the whole corpus's matrix. Working memory is about 9 bytes per
    block token plus the block's matrix.
    """
    V = encoded.vocab_size
    keep = keep_probabilities(encoded.counts, sample)
    offsets = encoded.offsets
    drop_offsets = page_dropper(offsets)  # memory-mapped offsets: each block's dropped once counted
    cuts = np.unique(np.concatenate([[0], search_blockwise(offsets, np.arange(block_tokens, offsets[-1], block_tokens)),
                                     [len(offsets) - 1]]))
    with numba_threads(threads) as n_threads, \
            progress_bar(total=encoded.n_tokens, desc="counting", unit="tok", enabled=progress) as bar:
        for s0, s1 in zip(cuts[:-1], cuts[1:]):
            lo, hi = offsets[s0], offsets[s1]
            yield count_block(encoded.ids[lo:hi], offsets[s0:s1 + 1] - lo, keep, seed=seed, base=int(lo),
                              window=window, dynamic=bool(dynamic_window), harmonic=weighting == "harmonic",
                              vocab_size=V, n_threads=n_threads)
            drop_offsets(s0, s1 + 1)
            bar.update(int(hi - lo))


def compile_kernels(encoded, *, dynamic_window, spill=False, harmonic=True):
    """Compile the counting kernels (first run only; later runs load them from Numba's cache).

    The kernels run on the first sentence of ``encoded``, so they are compiled for the very
    array types of the real run (ids are read-only either way, :func:`row_nonzeros`); the
    spill-and-merge backend counts harmonic weights in float64, everything else in float32.
    """
    n = min(int(encoded.offsets[1]), 64) if encoded.n_sentences else 0
    offsets = np.array([0, n], np.int64)
    keep = np.ones(encoded.vocab_size)
    count_block(encoded.ids[:n], offsets, keep, seed=1, base=0, window=1, dynamic=bool(dynamic_window),
                harmonic=harmonic, vocab_size=encoded.vocab_size, n_threads=1,
                dtype=np.float64 if spill and harmonic else np.float32)


def count_nonzeros(ids, offsets, keep, *, seed, base, window, dynamic, vocab_size, n_threads):
    """The number of non-zeros :func:`count_block` would give for these sentences (its first pass only)."""
    nnz, _ = row_nonzeros(ids, offsets, keep, seed=seed, base=base, window=window, dynamic=dynamic, harmonic=False,
                          vocab_size=vocab_size, n_threads=n_threads)
    return int(nnz.sum())


def sample_pieces(encoded, fraction, pieces):
    """``(ids, offsets)`` of ``pieces`` runs of tokens spread evenly over the corpus, together about
    ``fraction`` of its tokens: run k starts where the k-th of ``pieces`` equal parts starts; the
    sentences it cuts are cut at its ends. Nested: a smaller fraction's runs begin the larger one's."""
    offsets = np.asarray(encoded.offsets, np.int64)
    n = int(offsets[-1])
    length = max(1, int(round(n * fraction / pieces)))
    ids, cuts, total = [], [0], 0
    for k in range(pieces):
        lo = k * n // pieces
        hi = min(n, lo + length, (k + 1) * n // pieces)
        if hi <= lo:
            continue
        inner = offsets[np.searchsorted(offsets, lo, "right"):np.searchsorted(offsets, hi, "left")]
        ids.append(np.asarray(encoded.ids[lo:hi]))
        cuts.extend((inner - lo + total).tolist())
        total += hi - lo
        cuts.append(total)
    if not ids:
        return np.zeros(0, np.int32), np.zeros(1, np.int64)
    return np.concatenate(ids), np.asarray(cuts, np.int64)


#: fractions of the corpus counted exactly by :func:`estimate_nonzeros`, and the runs each is made of
SAMPLE_FRACTIONS = (1 / 256, 1 / 64, 1 / 16)
SAMPLE_PIECES = 64
#: corpora up to this many tokens are counted exactly (the samples would be too small to extrapolate)
EXACT_TOKENS = 1 << 18


class GrowthLaw:
    """Non-zeros against the fraction of the corpus counted: log nnz a quadratic in log fraction
    through three measured points (Heaps' law with an exponent that falls as the corpus grows).

    Calling it with a fraction in (0, 1] gives the expected non-zeros of that much of the corpus.
    Guards: an upward curvature is dropped (a straight power law through the last two points);
    past the quadratic's top the count stays flat; the result is at least the largest sample's
    and at most ``cap`` (V squared, and 2 x window per token).
    """

    def __init__(self, fractions, counts, cap):
        self.fractions = tuple(float(f) for f in fractions)
        self.counts = tuple(int(c) for c in counts)
        self.cap = int(cap)
        x, y = np.log(self.fractions), np.log(np.maximum(self.counts, 1))
        if len(x) >= 3 and len(set(x)) >= 3:
            c2, c1, c0 = np.polyfit(x, y, 2)
        else:
            c2, c1, c0 = 0.0, 1.0, 0.0
        if c2 > 0 or len(set(x)) < 3:  # no upward curvature: the power law of the last two points
            if len(set(x)) >= 2:
                c1 = (y[-1] - y[-2]) / (x[-1] - x[-2])
            c2, c0 = 0.0, y[-1] - c1 * x[-1]
        self.coef = (float(c0), float(c1), float(c2))

    def __call__(self, fraction):
        if fraction >= 1.0 and self.fractions[-1] >= 1.0:
            return min(self.counts[-1], self.cap)  # counted whole
        c0, c1, c2 = self.coef
        x = float(np.log(min(max(fraction, 1e-12), 1.0)))
        if c2 < 0:
            x = min(x, -c1 / (2 * c2))  # the top of the parabola: growth stops, it does not reverse
        n = float(np.exp(c0 + c1 * x + c2 * x * x))
        if fraction >= self.fractions[-1]:
            n = max(n, self.counts[-1])
        return int(min(n, self.cap))

    def __repr__(self):
        return f"GrowthLaw(fractions={self.fractions}, counts={self.counts}, estimate={self(1.0)})"


def estimate_nonzeros(encoded, *, window, dynamic_window, sample, seed, threads, fractions=SAMPLE_FRACTIONS,
                      pieces=SAMPLE_PIECES, exact_tokens=EXACT_TOKENS):
    """The :class:`GrowthLaw` of the corpus's non-zeros: ``law(1.0)`` estimates the whole count's.

    Each fraction of the corpus is counted exactly (the non-zeros only, not their values), as
    ``pieces`` runs spread evenly over it (:func:`sample_pieces`), so that a corpus whose topics
    drift is sampled everywhere; the law through the counts is extrapolated to the whole. The
    samples hold about 8% of the tokens and the non-zero pass is about half of counting, so it
    costs a few % of counting. A corpus of at most ``exact_tokens`` tokens is counted exactly.
    Measured against the exact counts (bench/RESULTS.md): within 2% on 5M and 17M tokens of
    Wikipedia, within 9% (under) on the bundled 1M-token sample.
    """
    V = encoded.vocab_size
    n = encoded.n_tokens
    keep = keep_probabilities(encoded.counts, sample)
    cap = min(V * V, 2 * window * n)
    if n <= exact_tokens:
        fractions, pieces = (1.0,), 1
    counts = []
    with numba_threads(threads) as n_threads:
        for f in fractions:
            ids, offsets = sample_pieces(encoded, f, pieces)
            counts.append(count_nonzeros(ids, offsets, keep, seed=seed, base=0, window=window,
                                         dynamic=bool(dynamic_window), vocab_size=V, n_threads=n_threads)
                          if len(ids) else 0)
    return GrowthLaw(fractions, counts, cap)
