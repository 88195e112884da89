"""word2vec: skip-gram and CBOW with negative sampling and/or hierarchical softmax.

The encoded corpus (``embedkit.vocab.scan_corpus``) is cut into chunks of whole sentences
(about ``CHUNK_TOKENS`` tokens each). One Numba kernel, ``_train_chunks``, trains a range of
chunks with ``prange`` (Hogwild updates of the shared float32 matrices); each chunk owns an
RNG state, so ``threads=1`` runs are bit-identical. The Python driver calls the kernel a few
chunks at a time, sets each chunk's learning rate (linear decay over all epochs) and updates
the progress bar. The SGNS and HS updates are written once, as inline helpers
(``_sgns_pair``, ``_hs_pair``), and used by both skip-gram and CBOW.

Options:

* ``shared_negatives=True`` (skip-gram with negative sampling only) is the minibatch variant of
  Ji et al. (2016): a centre word's whole window shares one draw of negatives, and the update
  becomes a small dense (contexts x outputs) product, which touches each output row once.
* ``cbow_update="corrected"`` divides CBOW's input gradient by the number of context words
  (İrsoy, Benton & Stratos 2021, "kōan"); with ``cbow_mean=True`` that is the true gradient of
  the averaged input. Each context row then moves ``1/cw`` as far, so it wants a much larger
  ``alpha``: its default is 0.3 (on data/sample.txt.xz, 3 epochs: WS-353 0.12 at 0.05, 0.20 at
  0.15, 0.37 at 0.3, 0.36 at 0.6; word2vec's update at 0.05: 0.19).
"""

from __future__ import annotations

import ctypes
import math
import mmap
import sys
import time
import warnings
from dataclasses import dataclass, field

import numba
import numpy as np
from numba import prange

from ._prefetch import prefetch as _prefetch
from ._rng import next_u64, seed_states
from ._util import (check_choice, check_float, check_int, check_seed, check_threads, numba_threads,
                    progress_bar)
from .errors import EmbedkitError
from .vocab import keep_probabilities

#: tokens per chunk of sentences (the unit of work of one thread, and of learning-rate steps)
CHUNK_TOKENS = 10_000

MAX_EXP = 6.0  # sigmoid(x) is taken as 0 or 1 beyond +-MAX_EXP, as in word2vec
_TABLE_SIZE = 2048
_SCALE = _TABLE_SIZE / (2 * MAX_EXP)
_grid = -MAX_EXP + (np.arange(_TABLE_SIZE) + 0.5) / _SCALE
SIGMOID_TABLE = (1.0 / (1.0 + np.exp(-_grid))).astype(np.float32)
LOG_SIGMOID_TABLE = (-np.logaddexp(0.0, -_grid)).astype(np.float32)
_M32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)


# ---------------------------------------------------------------- small inline helpers


@numba.njit(cache=True, inline="always")
def _prefetch_row(m, r):
    """Prefetch row r of a float32 matrix (16 floats per 64-byte line)."""
    for c in range(0, m.shape[1], 16):
        _prefetch(m, r, c)


@numba.njit(cache=True, inline="always")
def _sigmoid(f):
    """Table sigmoid: 0 below -MAX_EXP, 1 above, else the table cell containing f."""
    if f >= MAX_EXP:
        return np.float32(1.0)
    if f <= -MAX_EXP:
        return np.float32(0.0)
    return SIGMOID_TABLE[int((f + MAX_EXP) * _SCALE)]


@numba.njit(cache=True, inline="always")
def _log_sigmoid(f):
    """Table log(sigmoid(f)); f itself below -MAX_EXP, 0 above MAX_EXP."""
    if f >= MAX_EXP:
        return np.float32(0.0)
    if f <= -MAX_EXP:
        return np.float32(f)
    return LOG_SIGMOID_TABLE[int((f + MAX_EXP) * _SCALE)]


@numba.njit(cache=True, inline="always")
def _draw_noise(noise, state, k):
    """One word from the alias table ``noise`` (uint64: threshold << 32 | alias), O(1)."""
    u = next_u64(state, k)
    i = ((u >> _S32) * np.uint64(len(noise))) >> _S32
    t = noise[i]
    if (u & _M32) < (t >> _S32):
        return np.int64(i)
    return np.int64(t & _M32)


@numba.njit(cache=True, inline="always")
def _draw_below(state, k, n):
    """An int in [0, n) (n < 2**32) by multiply-shift."""
    return np.int64(((next_u64(state, k) >> _S32) * np.uint64(n)) >> _S32)


# Helpers index rows as m[r, c] instead of taking row views: a view costs an atomic refcount
# update on the shared matrix, which the threads would fight over.
@numba.njit(cache=True, inline="always")
def _logistic_step(src, r, out, t, label, neu1e, alpha):
    """One logistic-regression step of input src[r] against output row out[t] with label 0 or 1:
    out[t] is updated, the input's gradient added to neu1e. Returns the step's NLL."""
    f = np.float32(0.0)
    for c in range(src.shape[1]):
        f += src[r, c] * out[t, c]
    g = (label - _sigmoid(f)) * alpha
    for c in range(src.shape[1]):
        y = out[t, c]
        neu1e[c] += g * y
        out[t, c] = y + g * src[r, c]
    return -_log_sigmoid(f if label > 0.5 else -f)


@numba.njit(cache=True, inline="always")
def _sgns_pair(src, r, neu1e, syn1neg, target, negs, alpha):
    """One SGNS update with input vector src[r]: the target row of syn1neg (label 1) and the
    negs rows (label 0, skipping the target) are updated, the input's gradient is added to
    neu1e. Returns the pair's NLL."""
    loss = 0.0
    for d in range(negs.shape[0] + 1):
        if d == 0:
            t = target
            label = np.float32(1.0)
        else:
            t = negs[d - 1]
            if t == target:
                continue
            label = np.float32(0.0)
        loss += _logistic_step(src, r, syn1neg, t, label, neu1e, alpha)
    return loss


@numba.njit(cache=True, inline="always")
def _hs_pair(src, r, neu1e, syn1, codes, points, w, alpha):
    """One hierarchical-softmax update with input src[r] along word w's Huffman path
    (codes[w, d], inner-node rows points[w, d] of syn1, d < len). Returns the NLL of w."""
    loss = 0.0
    for d in range(codes.shape[1]):
        bit = codes[w, d]
        if bit > 1:  # 2 pads the end of the path
            break
        loss += _logistic_step(src, r, syn1, points[w, d], np.float32(1 - bit), neu1e, alpha)
    return loss


@numba.njit(cache=True, inline="always")
def _sgns_window(syn0, syn1neg, sen, lo, hi, i, negs, win_in, out_rows, grads, ybuf, alpha):
    """Ji et al. minibatch SGNS for centre sen[i]: the contexts sen[lo:hi] (but i) are the
    inputs, the centre (label 1) and the shared negs (label 0) the outputs. All logits come
    from the old weights (output rows copied to ybuf first). Returns (NLL sum, inputs)."""
    dim = syn0.shape[1]
    target = sen[i]
    n_out = 1
    out_rows[0] = target
    for d in range(negs.shape[0]):
        if negs[d] != target:
            out_rows[n_out] = negs[d]
            n_out += 1
    for b in range(n_out):
        t = out_rows[b]
        for c in range(dim):
            ybuf[b, c] = syn1neg[t, c]
    loss = 0.0
    n_in = 0
    for j in range(lo, hi):
        if j == i:
            continue
        x = sen[j]
        for b in range(n_out):
            f = np.float32(0.0)
            for c in range(dim):
                f += syn0[x, c] * ybuf[b, c]
            label = np.float32(1.0) if b == 0 else np.float32(0.0)
            grads[n_in, b] = (label - _sigmoid(f)) * alpha
            loss -= _log_sigmoid(f if b == 0 else -f)
        win_in[n_in] = x
        n_in += 1
    for b in range(n_out):  # outputs move along the old inputs
        t = out_rows[b]
        for a in range(n_in):
            g = grads[a, b]
            x = win_in[a]
            for c in range(dim):
                syn1neg[t, c] += g * syn0[x, c]
    for a in range(n_in):  # then inputs along the old outputs
        x = win_in[a]
        for b in range(n_out):
            g = grads[a, b]
            for c in range(dim):
                syn0[x, c] += g * ybuf[b, c]
    return loss, n_in


@numba.njit(cache=True, inline="always")
def _cbow_step(syn0, syn1, syn1neg, sen, lo, hi, i, codes, points, negs, neu1, neu1e, alpha, cbow_mean,
               corrected):
    """One CBOW update: predict sen[i] from sen[lo:hi] but i, with HS when codes has columns
    and SGNS with negs when negs is non-empty; neu1 is a (1, dim) buffer. Returns the NLL."""
    dim = syn0.shape[1]
    cw = hi - lo - 1
    neu1[0, :] = 0.0
    for j in range(lo, hi):
        if j != i:
            x = sen[j]
            for c in range(dim):
                neu1[0, c] += syn0[x, c]
    if cbow_mean:
        inv = np.float32(1.0) / np.float32(cw)
        for c in range(dim):
            neu1[0, c] *= inv
    neu1e[:] = 0.0
    loss = 0.0
    if codes.shape[1] > 0:
        loss += _hs_pair(neu1, 0, neu1e, syn1, codes, points, sen[i], alpha)
    if negs.shape[0] > 0:
        loss += _sgns_pair(neu1, 0, neu1e, syn1neg, sen[i], negs, alpha)
    if corrected and cbow_mean:
        inv = np.float32(1.0) / np.float32(cw)
        for c in range(dim):
            neu1e[c] *= inv
    for j in range(lo, hi):
        if j != i:
            x = sen[j]
            for c in range(dim):
                syn0[x, c] += neu1e[c]
    return loss


# ---------------------------------------------------------------- kernel
@numba.njit(cache=True, fastmath=True)
def _train_chunk(k, ids, offsets, chunks, syn0, syn1, syn1neg, codes, points, noise, keep, states, alpha, opts):
    """Train chunk k (sentences chunks[k]:chunks[k+1]). Returns (NLL sum, trained pairs, tokens)."""
    window, negative, use_hs, sg, cbow_mean, corrected, shared, max_len = (
        opts[0], opts[1], opts[2], opts[3], opts[4], opts[5], opts[6], opts[7])
    dim = syn0.shape[1]
    sen = np.empty(max_len, np.int32)
    neu1 = np.empty((1, dim), np.float32)
    neu1e = np.empty(dim, np.float32)
    negs = np.empty(negative, np.int64)
    pneg = np.empty(2 * window * negative, np.int64)
    win_in = np.empty(2 * window, np.int64)
    out_rows = np.empty(negative + 1, np.int64)
    grads = np.empty((2 * window, negative + 1), np.float32)
    ybuf = np.empty((negative + 1, dim), np.float32)
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
        for i in range(n):
            b = _draw_below(states, k, window)  # effective window: window - b, in 1..window
            lo = max(0, i - window + b)
            hi = min(n, i + window - b + 1)
            center = sen[i]
            if use_hs and i + 1 < n:  # the next centre word's Huffman path
                for d in range(codes.shape[1]):
                    if codes[sen[i + 1], d] > 1:
                        break
                    _prefetch_row(syn1, points[sen[i + 1], d])
            if sg and shared:
                for d in range(negative):
                    negs[d] = _draw_noise(noise, states, k)
                    _prefetch_row(syn1neg, negs[d])
                lsum, m = _sgns_window(syn0, syn1neg, sen, lo, hi, i, negs, win_in, out_rows, grads, ybuf, alpha)
                loss += lsum
                pairs += m
            elif sg:
                # draw every pair's negatives first (same RNG order as pair by pair), so that the
                # rows of the next pair can be prefetched while this one is trained
                n_pairs = hi - lo - 1
                for q in range(n_pairs * negative):
                    pneg[q] = _draw_noise(noise, states, k)
                if negative > 0:
                    _prefetch_row(syn1neg, center)
                q = 0
                for j in range(lo, hi):
                    if j == i:
                        continue
                    x = sen[j]
                    if q + 1 < n_pairs:
                        jn = j + 1 if j + 1 != i else j + 2
                        _prefetch_row(syn0, sen[jn])
                        for d in range((q + 1) * negative, (q + 2) * negative):
                            _prefetch_row(syn1neg, pneg[d])
                    neu1e[:] = 0.0
                    if use_hs:
                        loss += _hs_pair(syn0, x, neu1e, syn1, codes, points, center, alpha)
                    if negative > 0:
                        loss += _sgns_pair(syn0, x, neu1e, syn1neg, center, pneg[q * negative:(q + 1) * negative],
                                           alpha)
                    q += 1
                    for c in range(dim):
                        syn0[x, c] += neu1e[c]
                    pairs += 1
            elif hi - lo > 1:
                for d in range(negative):
                    negs[d] = _draw_noise(noise, states, k)
                    _prefetch_row(syn1neg, negs[d])  # fetched while the context rows are summed
                loss += _cbow_step(syn0, syn1, syn1neg, sen, lo, hi, i, codes, points, negs, neu1, neu1e, alpha,
                                   cbow_mean, corrected)
                pairs += 1
    return loss, pairs, tokens


@numba.njit(cache=True, parallel=True)
def _train_chunks(c0, c1, alphas, ids, offsets, chunks, syn0, syn1, syn1neg, codes, points, noise, keep, states,
                  opts):
    """Train chunks c0..c1-1 in parallel (Hogwild). alphas float64 per chunk; returns
    (NLL sum float64, trained pairs, tokens read)."""
    loss = 0.0
    pairs = 0
    tokens = 0
    for k in prange(c0, c1):
        lk, pk, tk = _train_chunk(k, ids, offsets, chunks, syn0, syn1, syn1neg, codes, points, noise, keep, states,
                                  alphas[k], opts)
        loss += lk
        pairs += pk
        tokens += tk
    return loss, pairs, tokens


# ---------------------------------------------------------------- tables
@numba.njit(cache=True)
def _huffman_sorted(counts):
    """Huffman tree over counts sorted descending, in O(V) with two cursors (leaves from the
    rarest up, inner nodes in creation order). Returns (parent, bit) over the 2V-1 nodes;
    node V + m is the m-th inner node, the root is 2V - 2."""
    v = len(counts)
    weight = np.empty(2 * v - 1, np.int64)
    weight[:v] = counts
    parent = np.full(2 * v - 1, -1, np.int64)
    bit = np.zeros(2 * v - 1, np.uint8)
    leaf = v - 1
    inner = v
    for m in range(v - 1):
        first = -1
        for t in range(2):  # take the lighter of the two cursors, twice
            if leaf >= 0 and (inner >= v + m or weight[leaf] <= weight[inner]):
                pick = leaf
                leaf -= 1
            else:
                pick = inner
                inner += 1
            if t == 0:
                first = pick
        weight[v + m] = weight[first] + weight[pick]
        parent[first] = v + m
        parent[pick] = v + m
        bit[pick] = 1
    return parent, bit


def build_huffman(counts):
    """Huffman codes of a vocabulary, as arrays.

    Parameters
    ----------
    counts : array of int, shape (V,), V >= 2

    Returns
    -------
    codes : uint8 array (V, L)
        codes[w, :lens[w]] are the bits of word w's path, root first; the rest of the row is 2.
    points : int32 array (V, L)
        points[w, :lens[w]] are the inner nodes (rows of the HS output matrix, 0..V-2) on it.
    lens : int32 array (V,)
    """
    counts = np.asarray(counts, dtype=np.int64)
    v = len(counts)
    if v < 2:
        raise EmbedkitError(f"hierarchical softmax needs at least 2 words in the vocabulary, got {v}")
    order = np.argsort(-counts, kind="stable")
    parent, bit = _huffman_sorted(counts[order])
    depth = np.zeros(2 * v - 1, np.int32)
    for node in range(2 * v - 3, -1, -1):  # parents have larger ids, so they come first
        depth[node] = depth[parent[node]] + 1
    lens_sorted = depth[:v]
    width = int(lens_sorted.max())
    codes = np.full((v, width), 2, np.uint8)
    points = np.zeros((v, width), np.int32)
    node = np.arange(v)
    for d in range(width):  # walk all leaves up one level at a time, filling codes from the end
        live = node != 2 * v - 2
        pos = lens_sorted - 1 - d
        rows = np.flatnonzero(live)
        codes[order[rows], pos[rows]] = bit[node[rows]]
        node[rows] = parent[node[rows]]
        points[order[rows], pos[rows]] = node[rows] - v
    lens = np.empty(v, np.int32)
    lens[order] = lens_sorted
    return codes, points, lens


def build_noise_table(counts, power=0.75):
    """Alias table for sampling word w with probability counts[w]**power / sum.

    Returns a uint64 array (V,): entry i is ``threshold << 32 | alias``; draw i uniformly, keep it
    when a 32-bit uniform is below threshold, else take alias.
    """
    p = np.asarray(counts, dtype=np.float64) ** power
    v = len(p)
    scaled = p * (v / p.sum())
    alias = np.arange(v, dtype=np.int64)
    prob = np.ones(v)
    small = [i for i in np.flatnonzero(scaled < 1.0).tolist()]
    large = [i for i in np.flatnonzero(scaled >= 1.0).tolist()]
    scaled = scaled.tolist()
    while small and large:
        s, g = small.pop(), large.pop()
        prob[s] = scaled[s]
        alias[s] = g
        scaled[g] -= 1.0 - scaled[s]
        (small if scaled[g] < 1.0 else large).append(g)
    thresh = np.minimum(np.round(prob * 2.0**32), 2.0**32 - 1).astype(np.uint64)
    thresh[prob >= 1.0] = 2**32 - 1
    alias[prob >= 1.0] = np.flatnonzero(prob >= 1.0)
    return (thresh << np.uint64(32)) | alias.astype(np.uint64)


def make_chunks(offsets, chunk_tokens=CHUNK_TOKENS):
    """Sentence indices where chunks start, plus the end: a chunk starts at the first sentence
    that begins in each new block of chunk_tokens tokens, so chunks hold about chunk_tokens."""
    offsets = np.asarray(offsets, dtype=np.int64)
    n_sent = len(offsets) - 1
    marks = offsets[:-1] // chunk_tokens
    starts = np.flatnonzero(np.diff(marks, prepend=-1) > 0) if n_sent else np.zeros(0, np.int64)
    return np.append(starts, n_sent).astype(np.int64)


# ---------------------------------------------------------------- driver
def _page_dropper(ids):
    """A function drop(n) that lets the OS take ids[:n] out of this process's resident memory,
    when ids is a read-only file-backed memmap (the pages stay in the page cache and come back
    on the next read). For anything else it does nothing."""
    if not (sys.platform.startswith("linux") and isinstance(ids, np.memmap) and not ids.flags.writeable
            and hasattr(mmap, "MADV_DONTNEED")):
        return lambda n: None
    libc = ctypes.CDLL(None, use_errno=True)
    page = mmap.PAGESIZE
    start = ids.ctypes.data
    first = -(-start // page) * page  # whole pages inside the array only

    def drop(n):
        end = (start + int(n) * ids.itemsize) // page * page
        if end > first:
            libc.madvise(ctypes.c_void_p(first), ctypes.c_size_t(end - first), mmap.MADV_DONTNEED)

    return drop


@dataclass
class Word2VecResult:
    """What ``fit_word2vec`` returns.

    Attributes
    ----------
    vectors : Vectors
        Input vectors (word2vec's syn0): the usual word vectors.
    context : Vectors or None
        Output vectors of negative sampling (syn1neg); None when ``negative=0``.
    losses : list of float
        Mean negative log-likelihood per trained pair (per centre word for CBOW), per epoch,
        measured online (each pair just before its update). It should fall over the first
        epochs; near the end, as alpha goes to 0, it can creep up by a few percent even though
        the model still improves (measured with frozen weights), because the quick in-window
        adaptation that a large alpha gives fades.
    words_per_sec : float
        In-vocabulary corpus tokens x epochs / training seconds (before subsampling).
    train_seconds : float
        Wall time of the epochs (vocabulary scan and Numba compilation excluded).
    """

    vectors: object
    context: object
    losses: list = field(default_factory=list)
    words_per_sec: float = 0.0
    train_seconds: float = 0.0


def _check(model, dim, window, negative, hs, sample, alpha, min_alpha, epochs, seed, threads, cbow_mean,
           cbow_update, shared_negatives):
    check_choice("model", model, ("skipgram", "cbow"))
    check_int("dim", dim, min=1)
    check_int("window", window, min=1)
    check_int("negative", negative, min=0)
    if negative == 0 and not hs:
        raise EmbedkitError("negative must be >= 1 unless hs is on (no output layer otherwise)")
    check_float("sample", sample, min=0.0)
    if alpha is not None:
        check_float("alpha", alpha, min=0.0, min_open=True)
    check_float("min_alpha", min_alpha, min=0.0)
    check_int("epochs", epochs, min=1)
    check_seed(seed)
    check_threads(threads)
    check_choice("cbow_update", cbow_update, ("word2vec", "corrected"))
    for name, v in (("hs", hs), ("cbow_mean", cbow_mean), ("shared_negatives", shared_negatives)):
        if not isinstance(v, (bool, np.bool_)):
            raise EmbedkitError(f"{name} must be True or False, got {v!r}")
    if shared_negatives and (model != "skipgram" or hs or negative == 0):
        raise EmbedkitError("shared_negatives needs model='skipgram' with negative sampling and hs off")


def fit_word2vec(corpus, *, model="skipgram", dim=100, window=5, min_count=5, max_vocab=None, lowercase=False,
                 negative=5, hs=False, sample=1e-3, alpha=None, min_alpha=0.0001, epochs=5, seed=1,
                 threads=None, cbow_mean=True, cbow_update="word2vec", shared_negatives=False,
                 progress=False):
    """Train word2vec and return vectors, context vectors, per-epoch losses and speed.

    Parameters
    ----------
    corpus : str, Path or (Vocab, EncodedCorpus)
        Text file (plain, .gz, .bz2, .xz), folder, ``"-"`` for stdin, or the result of
        ``embedkit.vocab.scan_corpus`` (then min_count, max_vocab and lowercase are not used).
    model : {"skipgram", "cbow"}, default="skipgram"
    dim : int, default=100
    window : int, default=5
        Largest context distance; each centre word draws its window uniformly in 1..window.
    min_count : int, default=5
    max_vocab : int or None, default=None
    lowercase : bool, default=False
    negative : int, default=5
        Negative samples per pair (noise: unigram counts ** 0.75); 0 turns negative sampling off.
    hs : bool, default=False
        Hierarchical softmax over a Huffman tree (may be combined with negative sampling).
    sample : float, default=1e-3
        Subsampling threshold (word2vec's formula); 0 keeps every token.
    alpha : float or None, default=None
        Initial learning rate; None means 0.025 for skip-gram, 0.05 for CBOW and 0.3 for CBOW
        with ``cbow_update="corrected"``.
    min_alpha : float, default=0.0001
        Learning rate at the end; it decays linearly over all epochs.
    epochs : int, default=5
    seed : int, default=1
        With ``threads=1`` the same seed gives bit-identical vectors.
    threads : int or None, default=None
        Numba threads (None: all). With more than one, Hogwild races make runs differ slightly.
    cbow_mean : bool, default=True
        CBOW averages the context vectors (False: sums them).
    cbow_update : {"word2vec", "corrected"}, default="word2vec"
        "corrected" divides each context word's update by the number of context words (kōan);
        it wants a larger alpha (default 0.3).
    shared_negatives : bool, default=False
        Skip-gram + negative sampling only: one draw of negatives per centre word, shared by
        its window (Ji et al. 2016), a faster minibatch update.
    progress : bool, default=False
        Show a tqdm bar with words/s, alpha and loss.

    Returns
    -------
    Word2VecResult

    Examples
    --------
    >>> r = fit_word2vec("data/sample.txt.xz", dim=50, epochs=1)   # doctest: +SKIP
    >>> r.losses, r.vectors.most_similar("king", topn=3)            # doctest: +SKIP
    """
    from .vectors import Vectors

    _check(model, dim, window, negative, hs, sample, alpha, min_alpha, epochs, seed, threads, cbow_mean,
           cbow_update, shared_negatives)
    if alpha is None:
        alpha = 0.025 if model == "skipgram" else 0.3 if cbow_update == "corrected" else 0.05
    if min_alpha > alpha:
        raise EmbedkitError(f"min_alpha must be <= alpha ({alpha:g}), got {min_alpha:g}")
    if isinstance(corpus, tuple):
        vocab, enc = corpus
    else:
        from .vocab import scan_corpus

        vocab, enc = scan_corpus(corpus, min_count=min_count, max_vocab=max_vocab, lowercase=lowercase,
                                 progress=progress)
    drop_pages = _page_dropper(enc.ids)
    ids = np.asarray(enc.ids)
    offsets = np.asarray(enc.offsets, dtype=np.int64)
    counts = np.asarray(enc.counts, dtype=np.int64)
    v = len(counts)
    lengths = np.diff(offsets)
    if len(lengths) == 0 or lengths.max() < 2:
        raise EmbedkitError("corpus too small: no sentence has 2 in-vocabulary words, so there is nothing "
                            "to train (lower min_count or use a larger corpus)")
    if hs and v < 2:
        raise EmbedkitError("hierarchical softmax needs at least 2 words in the vocabulary")

    rng = np.random.default_rng(seed)
    syn0 = (rng.random((v, dim), dtype=np.float32) * np.float32(2.0) - np.float32(1.0)) / np.float32(dim)
    syn1 = np.zeros((v - 1 if hs else 0, dim), np.float32)
    syn1neg = np.zeros((v if negative else 0, dim), np.float32)
    if hs:
        codes, points, _ = build_huffman(counts)
    else:
        codes, points = np.zeros((v, 0), np.uint8), np.zeros((v, 0), np.int32)
    noise = build_noise_table(counts) if negative else np.zeros(1, np.uint64)
    keep = keep_probabilities(counts, sample)
    chunks = make_chunks(offsets)
    n_chunks = len(chunks) - 1
    states = seed_states(seed, n_chunks)
    chunk_start_tokens = offsets[chunks[:-1]]
    n_tokens = int(offsets[-1])
    opts = np.array([window, negative, int(hs), int(model == "skipgram"), int(cbow_mean),
                     int(cbow_update == "corrected"), int(shared_negatives), int(lengths.max())], np.int64)

    losses = []
    old_chunksize = numba.get_parallel_chunksize()
    numba.set_parallel_chunksize(1)  # threads take chunks one at a time: robust to busy cores
    try:
        with numba_threads(threads) as nthreads, \
                progress_bar(total=n_tokens * epochs, desc=f"word2vec {model}", unit="word",
                             enabled=progress) as bar:
            per_call = max(8 * nthreads, n_chunks // 50 + 1)
            t0 = time.perf_counter()
            for epoch in range(epochs):
                done = (epoch * n_tokens + chunk_start_tokens) / (epochs * n_tokens)
                alphas = np.maximum(alpha - (alpha - min_alpha) * done, min_alpha)
                e_loss = 0.0
                e_pairs = 0
                for c0 in range(0, n_chunks, per_call):
                    c1 = min(c0 + per_call, n_chunks)
                    loss, pairs, tokens = _train_chunks(c0, c1, alphas, ids, offsets, chunks, syn0, syn1, syn1neg,
                                                        codes, points, noise, keep, states, opts)
                    e_loss += loss
                    e_pairs += pairs
                    drop_pages(offsets[chunks[c1]])  # read once per epoch: keep the corpus out of RSS
                    bar.update(tokens)
                    bar.set_postfix(epoch=epoch + 1, alpha=f"{alphas[c1 - 1]:.5f}",
                                    loss=f"{e_loss / max(e_pairs, 1):.4f}", refresh=False)
                losses.append(e_loss / e_pairs if e_pairs else float("nan"))
            seconds = time.perf_counter() - t0
    finally:
        numba.set_parallel_chunksize(old_chunksize)
    if not any(math.isfinite(x) for x in losses):
        warnings.warn("no training pairs: every sentence lost its words to subsampling (lower sample)",
                      stacklevel=2)
    words = list(vocab.words)
    vec = Vectors(words, syn0, counts)
    ctx = Vectors(words, syn1neg, counts) if negative else None
    return Word2VecResult(vec, ctx, losses, n_tokens * epochs / max(seconds, 1e-9), seconds)


def train_word2vec(corpus, **params):
    """Train word2vec and return the input vectors (``Vectors``).

    Takes the parameters of :func:`fit_word2vec` (all keyword-only); use that function for the
    context vectors, the per-epoch losses and the training speed.

    Examples
    --------
    >>> v = train_word2vec("data/sample.txt.xz", model="cbow", dim=50)   # doctest: +SKIP
    """
    return fit_word2vec(corpus, **params).vectors
