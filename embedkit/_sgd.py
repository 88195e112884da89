"""What the SGD trainers (word2vec, fastText) share: tables, inline kernel helpers, the epoch driver.

Trainers import from here and never from each other. Three kinds of things live here:

* tables built once by the driver: ``build_noise_table`` (alias table), ``make_chunks`` and
  ``cut_sentences`` (the units of work), ``SIGMOID_TABLE``/``LOG_SIGMOID_TABLE``;
* inline Numba helpers that kernels call (``inline="always"``, so each kernel compiles them in
  place): ``sigmoid``, ``log_sigmoid``, ``logit_step``, ``logistic_step``, ``sgns_pair``, ``hs_pair``,
  ``draw_noise``, ``draw_centre_negatives``, ``draw_below``, ``draw_window``, ``subsample``,
  ``prefetch_row``;
* the Python side of training: ``Corpus`` (the kernel's view of the encoded corpus),
  ``check_trainable`` ("corpus too small"), ``longest_sentence``, ``compile_stage`` (the labelled,
  timed compile),
  ``loss_ceiling`` and ``run_epochs`` (the epoch loop: learning rate,
  shuffling, divergence, progress).

``sgns_pair`` and ``hs_pair`` update the output rows and only accumulate the input's gradient,
times a scalar ``lock``, in ``neu1e``; the caller adds that to its input rows. ``lock`` is
word2vec's per-row lock factor (``lock_init``) where the input is one row; a caller whose input
mixes rows (CBOW, fastText's n-grams) passes 1 and scales each row's share itself. It costs one
multiply per output, not one per dimension.

A kernel of a trainer takes ``(k, r, alpha, corpus, weights, tables, scratch, states, config)``:
named tuples of arrays (its weights, its tables, this thread's scratch rows) and of ints (its
options), chunk k's RNG state in row r of ``states`` (the rows of one call's chunks, copied
there by ``run_epochs``). Per-thread scratch is allocated by the driver with
a leading thread axis (``numba.config.NUMBA_NUM_THREADS``) and indexed with
``numba.get_thread_id()``.
"""

from __future__ import annotations

import math
import time
from typing import NamedTuple

import numba
import numpy as np

from ._prefetch import prefetch as _prefetch
from ._rng import next_float, next_u64, state_rows
from ._util import balanced_chunks, check_float, drop_pages, page_dropper, progress_bar
from .errors import EmbedkitError, ParameterError, TrainingDivergedError

#: tokens per chunk of sentences (the unit of work of one thread, and of learning-rate steps)
CHUNK_TOKENS = 10_000

MAX_EXP = 6.0  # sigmoid(x) is taken as 0 or 1 beyond +-MAX_EXP, as in word2vec
_TABLE_SIZE = 2048
SCALE = _TABLE_SIZE / (2 * MAX_EXP)
_grid = -MAX_EXP + (np.arange(_TABLE_SIZE) + 0.5) / SCALE
SIGMOID_TABLE = (1.0 / (1.0 + np.exp(-_grid))).astype(np.float32)
LOG_SIGMOID_TABLE = (-np.logaddexp(0.0, -_grid)).astype(np.float32)
_M32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)


class Corpus(NamedTuple):
    """The encoded corpus as a kernel reads it."""

    ids: np.ndarray      # int32 (tokens,), often a read-only memmap
    offsets: np.ndarray  # int64 (sentences + 1,)
    chunks: np.ndarray   # int64 (chunks + 1,): sentence index where each chunk starts, then the end


# ---------------------------------------------------------------- inline kernel helpers
@numba.njit(cache=True, inline="always")
def prefetch_row(m, r):
    """Prefetch row r of a float32 matrix (16 floats per 64-byte line)."""
    for c in range(0, m.shape[1], 16):
        _prefetch(m, r, c)


@numba.njit(cache=True, inline="always")
def sigmoid(f):
    """Table sigmoid: 0 below -MAX_EXP, 1 above, else the table cell containing f."""
    if f >= MAX_EXP:
        return np.float32(1.0)
    if f <= -MAX_EXP:
        return np.float32(0.0)
    return SIGMOID_TABLE[int((f + MAX_EXP) * SCALE)]


@numba.njit(cache=True, inline="always")
def log_sigmoid(f):
    """Table log(sigmoid(f)); f itself below -MAX_EXP, 0 above MAX_EXP."""
    if f >= MAX_EXP:
        return np.float32(0.0)
    if f <= -MAX_EXP:
        return np.float32(f)
    return LOG_SIGMOID_TABLE[int((f + MAX_EXP) * SCALE)]


@numba.njit(cache=True, inline="always")
def draw_noise(noise, state, k):
    """One word from the alias table ``noise`` (uint64: threshold << 32 | alias), O(1)."""
    u = next_u64(state, k)
    i = ((u >> _S32) * np.uint64(len(noise))) >> _S32
    t = noise[i]
    if (u & _M32) < (t >> _S32):
        return np.int64(i)
    return np.int64(t & _M32)


@numba.njit(cache=True, inline="always")
def draw_centre_negatives(noise, state, k, skipgram, shared, negative, lo, hi, out, off):
    """A centre word's negatives into out[off:], drawn from ``noise``: skip-gram, ``negative``
    per pair of its window lo <= j < hi (the centre at one of them), or ``negative`` for the
    whole window when ``shared``; CBOW, ``negative`` when the window has a context, else none.
    Kernels call it one centre ahead, so that the rows can be prefetched."""
    if skipgram:
        nd = negative if shared else (hi - lo - 1) * negative
    else:
        nd = negative if hi - lo > 1 else 0
    for q in range(nd):
        out[off + q] = draw_noise(noise, state, k)


@numba.njit(cache=True, inline="always")
def draw_below(state, k, n):
    """An int in [0, n) (n < 2**32) by multiply-shift."""
    return np.int64(((next_u64(state, k) >> _S32) * np.uint64(n)) >> _S32)


@numba.njit(cache=True, inline="always")
def draw_window(state, k, window, i, n):
    """The context of position i in a sentence of n: an effective window drawn uniformly in
    1..window, as ``(lo, hi)``, the positions lo <= j < hi (i included)."""
    b = draw_below(state, k, window)  # effective window: window - b
    return max(0, i - window + b), min(n, i + window - b + 1)


@numba.njit(cache=True, inline="always")
def subsample(ids, start, end, keep, state, k, sen, posmap):
    """Copy the tokens ids[start:end] that survive subsampling (word w kept with probability
    keep[w]; a draw only where keep[w] < 1) into sen; return how many. Unless ``posmap`` is
    empty, posmap[p - start] is where the token at p went, or would have gone (the survivors
    before it), for start <= p <= end."""
    n = 0
    mapped = posmap.shape[0] > 0
    for p in range(start, end):
        if mapped:
            posmap[p - start] = n
        w = ids[p]
        if keep[w] < 1.0:
            if next_float(state, k) >= keep[w]:
                continue
        sen[n] = w
        n += 1
    if mapped:
        posmap[end - start] = n
    return n


# Helpers index rows as m[r, c] instead of taking row views: a view costs an atomic refcount
# update on the shared matrix, which the threads would fight over.
@numba.njit(cache=True, inline="always")
def logit_step(src, r, out, t, label, alpha):
    """The logit f of input src[r] against output row out[t], and the step (label - sigmoid(f)) * alpha."""
    f = np.float32(0.0)
    for c in range(src.shape[1]):
        f += src[r, c] * out[t, c]
    return f, (label - sigmoid(f)) * alpha


@numba.njit(cache=True, inline="always")
def logistic_step(src, r, out, t, label, neu1e, alpha, lock):
    """One logistic-regression step of input src[r] against output row out[t] with label 0 or 1:
    out[t] is updated, the input's gradient times ``lock`` added to neu1e. Returns the step's NLL."""
    f, g = logit_step(src, r, out, t, label, alpha)
    gl = g * lock
    for c in range(src.shape[1]):
        y = out[t, c]
        neu1e[c] += gl * y
        out[t, c] = y + g * src[r, c]
    return -log_sigmoid(f if label > 0.5 else -f)


@numba.njit(cache=True, inline="always")
def sgns_pair(src, r, neu1e, syn1neg, target, negs, alpha, lock):
    """One SGNS update with input vector src[r]: the target row of syn1neg (label 1) and the
    negs rows (label 0, skipping the target) are updated, the input's gradient times ``lock``
    (float32: the input row's lock factor, or 1) is added to neu1e. Returns the pair's NLL."""
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
        loss += logistic_step(src, r, syn1neg, t, label, neu1e, alpha, lock)
    return loss


@numba.njit(cache=True, inline="always")
def hs_pair(src, r, neu1e, syn1, codes, points, w, alpha, lock):
    """One hierarchical-softmax update with input src[r] along word w's Huffman path
    (codes[w, d], inner-node rows points[w, d] of syn1, d < len); the input's gradient times
    ``lock`` is added to neu1e. Returns the NLL of w."""
    loss = 0.0
    for d in range(codes.shape[1]):
        bit = codes[w, d]
        if bit > 1:  # 2 pads the end of the path
            break
        loss += logistic_step(src, r, syn1, points[w, d], np.float32(1 - bit), neu1e, alpha, lock)
    return loss


# ---------------------------------------------------------------- tables
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


#: bytes between two threads' scratch buffers: two cache lines (a line written by one thread and
#: read or written by another moves between their cores at every write; some cores fetch lines in pairs)
SCRATCH_GAP = 128


def per_thread(n_threads, shape, dtype):
    """A zeroed scratch buffer of ``shape`` for each of ``n_threads`` threads: an array of
    ``(n_threads, shape[0] + pad, *shape[1:])`` whose ``[t]`` is thread t's. ``pad`` rows put
    :data:`SCRATCH_GAP` bytes after each thread's buffer, so no cache line holds two threads' data:
    the kernels write these buffers at every centre word, and without the gap the ends of
    neighbouring threads' rows shared a line. The kernels use the first ``shape[0]`` rows."""
    row = np.dtype(dtype).itemsize * int(np.prod(shape[1:], dtype=np.int64))
    pad = -(-SCRATCH_GAP // max(row, 1))
    return np.zeros((n_threads, shape[0] + pad, *shape[1:]), dtype)


def make_chunks(offsets, chunk_tokens=CHUNK_TOKENS):
    """Sentence indices where chunks start, plus the end: whole sentences cut into chunks of
    about ``chunk_tokens`` tokens (``embedkit._util.balanced_chunks`` over the token offsets).
    Memory-mapped offsets are searched block by block and leave no page resident."""
    offsets = np.asarray(offsets, dtype=np.int64)
    return balanced_chunks(offsets, -(-int(offsets[-1]) // chunk_tokens))


def longest_sentence(offsets, block=1 << 20):
    """The longest sentence's length (0 for none), ``block`` sentences at a time: no second
    per-sentence array, which for a corpus of short sentences would double the offsets' memory;
    memory-mapped offsets are dropped from resident memory block by block."""
    offsets = np.asarray(offsets)
    drop = page_dropper(offsets)
    longest = 0
    for i in range(0, len(offsets) - 1, block):
        longest = max(longest, int(np.diff(offsets[i:i + block + 1]).max()))
        drop(i, i + block + 1)
    return longest


def cut_sentences(offsets, max_len):
    """Sentence offsets with every sentence longer than ``max_len`` tokens cut into pieces of at
    most ``max_len`` (windows do not cross a cut, as in fastText).

    >>> cut_sentences(np.array([0, 3, 10]), 3).tolist()
    [0, 3, 6, 9, 10]
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    if longest_sentence(offsets) <= max_len:
        return offsets  # nothing to cut (a sentence per line): no per-sentence temporaries
    lengths = np.diff(offsets)
    pieces = np.maximum(1, -(-lengths // max_len))
    first = np.repeat(np.cumsum(pieces) - pieces, pieces)  # index of each piece's sentence's first piece
    starts = np.repeat(offsets[:-1], pieces) + max_len * (np.arange(int(pieces.sum())) - first)
    cut = np.append(starts, offsets[-1])
    drop_pages(offsets)  # memory-mapped offsets: read whole here, not again (training reads the cut)
    return cut


def check_rates(alpha, min_alpha):
    """Raise ParameterError unless the learning rate falls from ``alpha`` to ``min_alpha`` (>= 0)."""
    check_float("min_alpha", min_alpha, min=0.0)
    if min_alpha > alpha:
        raise ParameterError(f"{{min_alpha}} must be <= {{alpha}} ({alpha:g}), got {min_alpha:g}", "min_alpha", "alpha")


def check_trainable(offsets):
    """Raise EmbedkitError ("corpus too small") unless some sentence has 2 words; return the
    longest sentence's length (the size of a kernel's sentence buffer)."""
    longest = longest_sentence(offsets)
    if longest < 2:
        raise EmbedkitError("corpus too small: no sentence has 2 in-vocabulary words, so there is nothing "
                            "to train (lower min_count or use a larger corpus)")
    return longest


def loss_ceiling(outputs):
    """The divergence ceiling of ``run_epochs``: 20 times the NLL of untrained vectors (every
    logit 0) for ``outputs`` logistic outputs per pair."""
    return 20.0 * math.log(2.0) * outputs


# ---------------------------------------------------------------- driver
def compile_stage(run, desc, progress):
    """Compile a trainer's kernels (or load them from Numba's cache) by calling ``run()``, which
    runs them on no (or tiny) data with the real argument types, under a progress bar labelled
    ``desc``: kernel compilation is its own stage, outside the timed training. Returns the
    seconds it took."""
    t = time.perf_counter()
    with progress_bar(total=1, desc=desc, enabled=progress) as bar:
        run()
        bar.update(1)
    return time.perf_counter() - t


def diverged(epoch, loss, pairs, syn0, alpha, ceiling):
    """A TrainingDivergedError if the loss so far is not finite or above ``ceiling`` (20 times the
    loss of untrained vectors), or (at an epoch's end, syn0 given) a vector is not finite; else None."""
    mean = loss / max(pairs, 1)
    # a float64 sum is finite exactly when every float32 value is (it cannot overflow), and unlike
    # np.isfinite(syn0).all() it allocates no (V, dim) temporary at the run's peak
    if math.isfinite(mean) and mean <= ceiling and (syn0 is None or math.isfinite(syn0.sum(dtype=np.float64))):
        return None
    return TrainingDivergedError(epoch, "loss", mean, "alpha", alpha)


SHUFFLES = ("none", "once", "epoch")


def chunk_order(n_chunks, shuffle, seed, epoch):
    """The order in which an epoch trains the chunks: 0..n-1 (``shuffle="none"``), or a random
    order drawn from ``seed`` for each epoch (``"epoch"``) or for the first, kept after (``"once"``)."""
    order = np.arange(n_chunks, dtype=np.int32 if n_chunks < 2 ** 31 else np.int64)  # 4 bytes a chunk
    if shuffle != "none":
        np.random.default_rng([seed, epoch if shuffle == "epoch" else 0]).shuffle(order)
    return order


def run_epochs(train_chunks, offsets, chunks, *, epochs, alpha, min_alpha, threads, desc, progress,
               ids, syn0, ceiling, sample, streams, shuffle="none", seed=0):
    """The epoch loop of word2vec and fastText: ``train_chunks(ks, alphas, *rows)`` trains chunks
    ``ks`` (int64) in parallel, chunk ``ks[j]`` at rate ``alphas[j]`` with row j of each of
    ``rows``, and returns (NLL sum, pairs, tokens read). ``streams`` are packed uint64 RNG states,
    one per chunk (``_rng.seed_values``): before each call the states of its chunks are copied into
    ``rows`` (``_rng.state_rows``, a cache line each), and back after it. The learning rate falls
    linearly over all tokens of all epochs, chunk by chunk in the order they are trained (the
    order is ``chunk_order(n, shuffle, seed, epoch)``).

    Memory: a call's sizes, rates and state rows are made for its chunks only (the sizes from the
    offsets the call's kernel reads anyway); kept for the whole corpus are ``streams`` (8 bytes
    a chunk) and, when shuffled, the order (4), beside the caller's ``chunks`` (8): 16-20 bytes a
    chunk of about 10,000 tokens (word2vec) or 1,000 (fastText). Threads
    take chunks one at a time (robust to busy cores), in calls of 8 per thread (or 2% of the
    chunks, at most 64), after each of which the pages of ``ids`` and of the offsets, when they
    are memory-mapped, are dropped from RSS. The loss is checked after every call and ``syn0`` at
    every epoch's end (``diverged``); an epoch without a pair is an error. Returns (mean loss per
    epoch, training seconds)."""
    n_chunks = len(chunks) - 1
    n_tokens = int(offsets[-1])
    losses = []
    old_chunksize = numba.get_parallel_chunksize()
    numba.set_parallel_chunksize(1)
    try:
        with progress_bar(total=n_tokens * epochs, desc=desc, unit="word", enabled=progress) as bar:
            per_call = max(8 * threads, min(n_chunks // 50 + 1, 64))
            rows = [state_rows(per_call) for _ in streams]
            t = time.perf_counter()
            order = None
            for epoch in range(epochs):
                if shuffle == "epoch" or (shuffle == "once" and order is None):
                    order = None  # the last epoch's order goes before the next is made
                    order = chunk_order(n_chunks, shuffle, seed, epoch)
                e_loss = 0.0
                e_pairs = 0
                e_tokens = 0  # tokens of the chunks trained so far this epoch
                for c0 in range(0, n_chunks, per_call):
                    c1 = min(c0 + per_call, n_chunks)
                    ks = np.arange(c0, c1, dtype=np.int64) if order is None else order[c0:c1].astype(np.int64)
                    tokens_in = offsets[chunks[ks + 1]] - offsets[chunks[ks]]  # the chunks' tokens
                    before = e_tokens + np.cumsum(tokens_in) - tokens_in  # tokens trained before each
                    e_tokens += int(tokens_in.sum())
                    done = (epoch * n_tokens + before) / (epochs * n_tokens)
                    alphas = np.maximum(alpha - (alpha - min_alpha) * done, min_alpha)
                    call_rows = [r[:c1 - c0] for r in rows]
                    for r, stream in zip(call_rows, streams):
                        r[:, 0] = stream[ks]
                    loss, pairs, tokens = train_chunks(ks, alphas, *call_rows)
                    for r, stream in zip(call_rows, streams):
                        stream[ks] = r[:, 0]
                    e_loss += loss
                    e_pairs += pairs
                    err = diverged(epoch + 1, e_loss, e_pairs, None, alpha, ceiling)
                    if err is not None:
                        raise err
                    # each chunk is read once per epoch: keep the corpus out of RSS. All of it, not the
                    # chunks just read: a fault maps the whole page-cache folio (up to 2 MB) around a
                    # page, so pages of other chunks came in too, and would pile up over an epoch
                    drop_pages(ids)
                    drop_pages(offsets)
                    bar.update(tokens)
                    bar.set_postfix(epoch=epoch + 1, alpha=f"{alphas[-1]:.5f}",
                                    loss=f"{e_loss / max(e_pairs, 1):.4f}", refresh=False)
                if e_pairs == 0:
                    raise ParameterError(f"no training pairs: every sentence lost its words to subsampling "
                                         f"(lower {{sample}}, now {sample:g})", "sample")
                err = diverged(epoch + 1, e_loss, e_pairs, syn0, alpha, ceiling)
                if err is not None:
                    raise err
                losses.append(e_loss / e_pairs)
            seconds = time.perf_counter() - t
    finally:
        numba.set_parallel_chunksize(old_chunksize)
    return losses, seconds
