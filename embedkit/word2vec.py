"""word2vec: skip-gram and CBOW with negative sampling and/or hierarchical softmax.

The encoded corpus (``embedkit.vocab.scan_corpus``) is cut into chunks of whole sentences
(about ``CHUNK_TOKENS`` tokens each). One Numba kernel, ``_train_chunks``, trains a range of
chunks with ``prange`` (Hogwild updates of the shared float32 matrices); each chunk owns an
RNG state, so ``threads=1`` runs are bit-identical. The Python driver allocates everything
once (weights, tables, per-thread scratch buffers), calls the kernel a few chunks at a time,
sets each chunk's learning rate (linear decay over all epochs), watches the loss for
divergence and updates the progress bar.

The kernel's arguments are a few small named tuples: ``embedkit._sgd.Corpus`` (ids, sentence
offsets, chunk starts), ``_Weights`` (syn0, syn1, syn1neg, and lockf, the factor on every
update of each input row: ``lock_init`` on rows from ``init_vectors``, else 1), ``_Tables``
(Huffman codes and points, noise alias table, keep probabilities), ``_Scratch`` (per-thread
buffers, indexed by ``numba.get_thread_id()``) and ``_Config`` (the integer options). What
fastText shares (the epoch driver, subsampling, window and noise draws, the SGNS and HS updates
``sgns_pair`` and ``hs_pair``) lives in ``embedkit._sgd``; the updates of a whole window,
``_sgns_window`` and ``_hs_window``, and of one centre word, ``_skipgram_step`` and
``_cbow_step``, live here.

Options:

* ``update="window"`` (the default) for skip-gram: every context word of a centre shares the
  centre's outputs, so they are loaded once per window and the update is a small dense
  (contexts x outputs) product, with every logit taken from the weights as they were before
  the window. With hierarchical softmax the outputs are the centre's Huffman path; with
  negative sampling (hs off) they are the centre and one draw of negatives for the whole
  window (``shared_negatives``: the minibatch SGNS of Ji et al. 2016). ``update="pair"``
  updates pair by pair with each pair's own negatives, as word2vec does. On wiki17m (5 epochs,
  2 threads) the window update of SGNS trains 2.2x faster and scores at least as well
  (bench/RESULTS.md). With hs and negative sampling together, the negatives stay per pair.
* ``cbow_update="corrected"`` divides CBOW's input gradient by the number of context words
  (İrsoy, Benton & Stratos 2021, "kōan"); with ``cbow_mean=True`` that is the true gradient of
  the averaged input. Each context row then moves ``1/cw`` as far, so it wants a much larger
  ``alpha``: its default is 0.3 (on data/sample.txt.xz, 3 epochs: WS-353 0.12 at 0.05, 0.20 at
  0.15, 0.37 at 0.3, 0.36 at 0.6; word2vec's update at 0.05: 0.19).

CBOW with hierarchical softmax has nothing to share: it already walks one path per window.
"""

from __future__ import annotations

import time
import warnings
from typing import NamedTuple

import numba
import numpy as np
from numba import prange

from ._compile import precompile, readonly
from ._rng import next_float, seed_values, state_rows
from ._sgd import (LOG_SIGMOID_TABLE, MAX_EXP, SCALE, SIGMOID_TABLE, Corpus, build_noise_table, check_rates,
                   check_trainable, compile_stage, draw_below, draw_centre_negatives, draw_noise, draw_window, hs_pair,
                   logit_step, longest_sentence, loss_ceiling, make_chunks, per_thread, prefetch_row, run_epochs,
                   sgns_pair, subsample)
from ._util import (check_bool, check_choice, check_dim, check_float, check_int, check_seed, check_threads,
                    numba_threads, release_memory)
from .errors import EmbedkitError, ParameterError, TrainingDivergedError
from ._faults import check_memory, word2vec_need
from .modelfile import Model
from .result import TrainResult
from .vocab import Vocab, keep_probabilities, resolve_corpus
from .warmstart import (average_with_model, blend, hs_rebuilt_warning, init_vectors_rows, model_rows, same_tree,
                        scan_for_model)


# ---------------------------------------------------------------- kernel arguments
class _Weights(NamedTuple):
    """The model, updated in place (Hogwild)."""

    syn0: np.ndarray     # float32 (V, dim): input vectors
    syn1: np.ndarray     # float32 (V - 1, dim) with HS, else (0, dim): Huffman inner nodes
    syn1neg: np.ndarray  # float32 (V, dim) with negative sampling, else (0, dim)
    lockf: np.ndarray    # float32 (V,): factor on every update of each input row (1 free, 0 frozen)


class _Tables(NamedTuple):
    codes: np.ndarray    # uint8 (V, L): Huffman bits, 2 pads; (V, 0) without HS
    points: np.ndarray   # int32 (V, L): inner nodes on each path
    noise: np.ndarray    # uint64 (V,): alias table (threshold << 32 | alias)
    keep: np.ndarray     # float64 (V,): subsampling keep probabilities


class _Scratch(NamedTuple):
    """Scratch buffers. The driver allocates them once with a leading thread axis; the kernel
    takes the rows of the calling thread (``_thread_scratch``)."""

    sen: np.ndarray      # int32 (max sentence length,): the subsampled sentence
    neu1: np.ndarray     # float32 (1, dim): CBOW's input
    neu1e: np.ndarray    # float32 (dim,): an input's accumulated gradient
    pneg: np.ndarray     # int64 (4 * window * negative,): every pair's negatives of two windows (this centre's, the next's)
    win: np.ndarray      # int64 (2 * window,): a window's context ids
    rows: np.ndarray     # int64 (R,): a window's output rows, R = max(negative + 1, L)
    grads: np.ndarray    # float32 (2 * window, R): (contexts x outputs) gradients
    ybuf: np.ndarray     # float32 (R, dim): the outputs' rows before the window's update
    labels: np.ndarray   # float32 (R,): the outputs' labels (1 or 0)
    posmap: np.ndarray   # int32 (max sentence length + 1,): where each token went in sen (phrases added)


class _Phrases(NamedTuple):
    """Phrases trained beside the words (``phrase_corpus(mode="add")``; all empty without): phrase i
    is input row V + i; its occurrences in sentence s are off[s]:off[s + 1] (``off`` empty: none)."""

    pos: np.ndarray      # int64: position of an occurrence's first word in the encoded corpus
    length: np.ndarray   # int32: its number of words
    index: np.ndarray    # int32: its phrase
    off: np.ndarray      # int64 (sentences + 1,) or (0,)
    keep: np.ndarray     # float64 (phrases,): subsampling keep probabilities
    states: np.ndarray   # uint64 state rows (``_rng.state_rows``) of the chunks in a call, apart from the words'


class _Config(NamedTuple):
    """The integer options (bools as 0/1); one compiled kernel serves every combination."""

    window: int
    negative: int
    hs: int
    skipgram: int
    cbow_mean: int
    corrected: int
    shared_negatives: int
    window_update: int  # update="window": skip-gram's HS path once per window


def _allocate_scratch(n_threads, max_len, dim, window, negative, path_len):
    """Every scratch buffer, once, with a leading axis of ``n_threads`` (``_sgd.per_thread``: a gap
    after each thread's)."""
    r = max(negative + 1, path_len)
    return _Scratch(per_thread(n_threads, (max_len,), np.int32), per_thread(n_threads, (1, dim), np.float32),
                    per_thread(n_threads, (dim,), np.float32), per_thread(n_threads, (4 * window * negative,), np.int64),
                    per_thread(n_threads, (2 * window,), np.int64),
                    per_thread(n_threads, (r,), np.int64), per_thread(n_threads, (2 * window, r), np.float32),
                    per_thread(n_threads, (r, dim), np.float32), per_thread(n_threads, (r,), np.float32),
                    per_thread(n_threads, (max_len + 1,), np.int32))


@numba.njit(cache=True, inline="always")
def _thread_scratch(s, t):
    """Thread t's rows of the driver's scratch buffers."""
    return _Scratch(s.sen[t], s.neu1[t], s.neu1e[t], s.pneg[t], s.win[t], s.rows[t], s.grads[t], s.ybuf[t],
                    s.labels[t], s.posmap[t])


def no_phrases():
    """The kernel's ``_Phrases`` argument when no phrases train beside the words."""
    return _Phrases(np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.int64),
                    np.zeros(0), state_rows(1))


# ---------------------------------------------------------------- window updates
@numba.njit(cache=True, inline="always")
def _apply_window(syn0, lockf, out, s, n_in, n_out):
    """Apply a window's (contexts x outputs) gradients ``s.grads``: the outputs ``out[s.rows]``
    move along the old inputs, then each input ``syn0[x]`` (x in ``s.win``) along the old outputs
    ``s.ybuf``, its gradients scaled by ``lockf[x]``. Four inputs (outputs) at a time, so that each
    row update is read and written once per four."""
    dim = syn0.shape[1]
    g = s.grads
    for b in range(n_out):
        t = s.rows[b]
        a = 0
        while a + 4 <= n_in:
            g0, g1, g2, g3 = g[a, b], g[a + 1, b], g[a + 2, b], g[a + 3, b]
            x0, x1, x2, x3 = s.win[a], s.win[a + 1], s.win[a + 2], s.win[a + 3]
            for c in range(dim):
                out[t, c] += g0 * syn0[x0, c] + g1 * syn0[x1, c] + g2 * syn0[x2, c] + g3 * syn0[x3, c]
            a += 4
        while a < n_in:
            g0, x0 = g[a, b], s.win[a]
            for c in range(dim):
                out[t, c] += g0 * syn0[x0, c]
            a += 1
    y = s.ybuf
    for a in range(n_in):
        x = s.win[a]
        lx = lockf[x]
        b = 0
        while b + 4 <= n_out:
            g0, g1, g2, g3 = g[a, b] * lx, g[a, b + 1] * lx, g[a, b + 2] * lx, g[a, b + 3] * lx
            for c in range(dim):
                syn0[x, c] += g0 * y[b, c] + g1 * y[b + 1, c] + g2 * y[b + 2, c] + g3 * y[b + 3, c]
            b += 4
        while b < n_out:
            g0 = g[a, b] * lx
            for c in range(dim):
                syn0[x, c] += g0 * y[b, c]
            b += 1


@numba.njit(cache=True, inline="always")
def _output_grad(s, a, b, f, alpha):
    """Store the gradient of input a against output b with logit f; return the pair's NLL."""
    label = s.labels[b]
    if f >= MAX_EXP:  # one range check and one table cell for both sigmoid and log-sigmoid
        sig, log_sig = np.float32(1.0), np.float32(0.0)
    elif f <= -MAX_EXP:
        sig, log_sig = np.float32(0.0), np.float32(f)
    else:
        cell = int((f + MAX_EXP) * SCALE)
        sig, log_sig = SIGMOID_TABLE[cell], LOG_SIGMOID_TABLE[cell]
    s.grads[a, b] = (label - sig) * alpha
    return -log_sig if label > 0.5 else f - log_sig  # log sigmoid(-f) = log sigmoid(f) - f


@numba.njit(cache=True, inline="always")
def _window_logits(syn0, s, n_out, sen, lo, hi, i, alpha):
    """For every context sen[j] (lo <= j < hi, j != i) and output b < n_out: the logit against
    the saved row s.ybuf[b], the gradient (s.labels[b] - sigmoid) * alpha into s.grads, the context
    id into s.win. Four outputs at a time share the loads of the context row. Returns (NLL sum,
    contexts)."""
    dim = syn0.shape[1]
    y = s.ybuf
    loss = 0.0
    n_in = 0
    for j in range(lo, hi):
        if j == i:
            continue
        x = sen[j]
        b = 0
        while b + 4 <= n_out:
            f0 = np.float32(0.0)
            f1 = np.float32(0.0)
            f2 = np.float32(0.0)
            f3 = np.float32(0.0)
            for c in range(dim):
                xc = syn0[x, c]
                f0 += xc * y[b, c]
                f1 += xc * y[b + 1, c]
                f2 += xc * y[b + 2, c]
                f3 += xc * y[b + 3, c]
            loss += _output_grad(s, n_in, b, f0, alpha)
            loss += _output_grad(s, n_in, b + 1, f1, alpha)
            loss += _output_grad(s, n_in, b + 2, f2, alpha)
            loss += _output_grad(s, n_in, b + 3, f3, alpha)
            b += 4
        while b < n_out:
            f = np.float32(0.0)
            for c in range(dim):
                f += syn0[x, c] * y[b, c]
            loss += _output_grad(s, n_in, b, f, alpha)
            b += 1
        s.win[n_in] = x
        n_in += 1
    return loss, n_in


@numba.njit(cache=True, inline="always")
def _save_output(out, s, b, t, label):
    """Output b of a window is row t of ``out``, with ``label``: remember its row as it is."""
    s.rows[b] = t
    s.labels[b] = label
    for c in range(out.shape[1]):
        s.ybuf[b, c] = out[t, c]


@numba.njit(cache=True, inline="always")
def _sgns_window(syn0, lockf, syn1neg, sen, lo, hi, i, negs, s, alpha):
    """Ji et al. minibatch SGNS for centre sen[i]: the contexts sen[lo:hi] (but i) are the
    inputs (input row x's update scaled by lockf[x]), the centre (label 1) and the shared negs
    (label 0, skipping the centre) the outputs. All logits come from the old weights. Returns
    (NLL sum, inputs)."""
    target = sen[i]
    _save_output(syn1neg, s, 0, target, np.float32(1.0))
    n_out = 1
    for d in range(negs.shape[0]):
        if negs[d] != target:
            _save_output(syn1neg, s, n_out, negs[d], np.float32(0.0))
            n_out += 1
    loss, n_in = _window_logits(syn0, s, n_out, sen, lo, hi, i, alpha)
    _apply_window(syn0, lockf, syn1neg, s, n_in, n_out)
    return loss, n_in


@numba.njit(cache=True, inline="always")
def _hs_window(syn0, lockf, syn1, codes, points, sen, lo, hi, i, s, alpha):
    """Hierarchical softmax shared across the window of centre sen[i]: every context sen[j]
    (lo <= j < hi, j != i) is an input (row x's update scaled by lockf[x]), the nodes of the
    centre's Huffman path (label 1 - bit) the outputs, loaded once. All logits come from the old
    weights. Returns (NLL sum, inputs)."""
    w = sen[i]
    n_out = 0
    for d in range(codes.shape[1]):
        bit = codes[w, d]
        if bit > 1:  # 2 pads the end of the path
            break
        _save_output(syn1, s, d, points[w, d], np.float32(1 - bit))
        n_out += 1
    loss, n_in = _window_logits(syn0, s, n_out, sen, lo, hi, i, alpha)
    _apply_window(syn0, lockf, syn1, s, n_in, n_out)
    return loss, n_in


# ---------------------------------------------------------------- one centre word
@numba.njit(cache=True, inline="always")
def _prefetch_path(syn1, codes, points, w):
    """Prefetch the rows of word w's Huffman path."""
    for d in range(codes.shape[1]):
        if codes[w, d] > 1:
            break
        prefetch_row(syn1, points[w, d])


@numba.njit(cache=True, inline="always")
def _skipgram_step(m, tb, sen, lo, hi, i, s, pneg, cfg, alpha):
    """Skip-gram for centre sen[i] and its contexts sen[lo:hi] (but i): HS (shared across the
    window or pair by pair) and/or negative sampling against ``pneg``, drawn by the caller:
    one draw shared by the window (``cfg.shared_negatives``), or each pair's own negatives in
    pair order, so that the next pair's rows can be prefetched while this one trains. Every
    update of an input row x is scaled by m.lockf[x]. Returns (NLL sum, pairs)."""
    syn0, syn1, syn1neg, lockf = m.syn0, m.syn1, m.syn1neg, m.lockf
    negative = cfg.negative
    center = sen[i]
    n_pairs = hi - lo - 1
    loss = 0.0
    if cfg.shared_negatives:
        lsum, n_in = _sgns_window(syn0, lockf, syn1neg, sen, lo, hi, i, pneg[:negative], s, alpha)
        return lsum, n_in
    pair_hs = cfg.hs and not cfg.window_update
    if cfg.hs and cfg.window_update and n_pairs > 0:
        lsum, n_in = _hs_window(syn0, lockf, syn1, tb.codes, tb.points, sen, lo, hi, i, s, alpha)
        loss += lsum
    if negative == 0 and not pair_hs:
        return loss, n_pairs
    if negative > 0:
        prefetch_row(syn1neg, center)
    neu1e = s.neu1e
    q = 0
    for j in range(lo, hi):
        if j == i:
            continue
        x = sen[j]
        if q + 1 < n_pairs:
            jn = j + 1 if j + 1 != i else j + 2
            prefetch_row(syn0, sen[jn])
            for d in range((q + 1) * negative, (q + 2) * negative):
                prefetch_row(syn1neg, pneg[d])
        neu1e[:] = 0.0
        lx = lockf[x]  # scales each output's gradient into neu1e (a multiply per output, not per dimension)
        if pair_hs:
            loss += hs_pair(syn0, x, neu1e, syn1, tb.codes, tb.points, center, alpha, lx)
        if negative > 0:
            loss += sgns_pair(syn0, x, neu1e, syn1neg, center, pneg[q * negative:(q + 1) * negative], alpha, lx)
        q += 1
        for c in range(syn0.shape[1]):
            syn0[x, c] += neu1e[c]
    return loss, n_pairs


@numba.njit(cache=True, inline="always")
def _cbow_step(m, tb, sen, lo, hi, i, negs, s, cfg, alpha):
    """One CBOW update: predict sen[i] from the sum (or mean) of sen[lo:hi] but i, with HS
    and/or SGNS against negs; every context row x gets the input's gradient (divided by the
    number of contexts with the corrected update) times m.lockf[x]. Returns the NLL."""
    syn0 = m.syn0
    dim = syn0.shape[1]
    cw = hi - lo - 1
    neu1, neu1e = s.neu1, s.neu1e
    neu1[0, :] = 0.0
    for j in range(lo, hi):
        if j != i:
            x = sen[j]
            for c in range(dim):
                neu1[0, c] += syn0[x, c]
    if cfg.cbow_mean:
        inv = np.float32(1.0) / np.float32(cw)
        for c in range(dim):
            neu1[0, c] *= inv
    neu1e[:] = 0.0
    loss = 0.0
    if cfg.hs:
        loss += hs_pair(neu1, 0, neu1e, m.syn1, tb.codes, tb.points, sen[i], alpha, np.float32(1.0))
    if cfg.negative > 0:
        loss += sgns_pair(neu1, 0, neu1e, m.syn1neg, sen[i], negs, alpha, np.float32(1.0))  # rows scaled below
    if cfg.corrected and cfg.cbow_mean:
        inv = np.float32(1.0) / np.float32(cw)
        for c in range(dim):
            neu1e[c] *= inv
    for j in range(lo, hi):
        if j != i:
            x = sen[j]
            lx = m.lockf[x]
            for c in range(dim):
                syn0[x, c] += lx * neu1e[c]
    return loss


@numba.njit(cache=True, inline="always")
def _prefetch_ahead(m, sen, i, lo, hi, pneg, off, cfg):
    """Prefetch the rows of centre sen[i]'s first update: its output row and its (first pair's)
    negatives; skip-gram's first context row, or the row entering CBOW's window."""
    if hi - lo <= 1 and not cfg.skipgram:
        return
    if cfg.negative > 0:
        prefetch_row(m.syn1neg, sen[i])
        for d in range(off, off + cfg.negative):
            prefetch_row(m.syn1neg, pneg[d])
    if cfg.skipgram:
        j0 = lo if lo != i else lo + 1
        if j0 < hi:
            prefetch_row(m.syn0, sen[j0])
    else:
        prefetch_row(m.syn0, sen[hi - 1])


@numba.njit(cache=True, inline="always")
def _phrase_step(syn0, syn1neg, r, o, label, neu1e, alpha):
    """Phrase row syn0[r] against the output row syn1neg[o] (left as it is) with ``label``: its
    gradient into neu1e."""
    _, g = logit_step(syn0, r, syn1neg, o, label, alpha)
    for c in range(syn0.shape[1]):
        neu1e[c] += g * syn1neg[o, c]


@numba.njit(cache=True, inline="always")
def _train_phrases(m, tb, ph, s, r, sn, start, n, cfg, alpha):
    """Train the phrases occurring in sentence sn (first token at ``start``; s.sen holds its n
    subsampled words, s.posmap where each token went): each kept occurrence's row predicts the
    words of a window drawn around it (label 1) and ``cfg.negative`` noise words (label 0, one
    draw per occurrence), all from the old row, which then takes the sum of the gradients. Only
    phrase rows change, so the words train exactly as without phrases; every draw comes from
    ph.states[r]."""
    syn0, syn1neg = m.syn0, m.syn1neg
    sen, posmap, neu1e = s.sen, s.posmap, s.neu1e
    base = syn0.shape[0] - ph.keep.shape[0]
    for q in range(ph.off[sn], ph.off[sn + 1]):
        i = ph.index[q]
        if ph.keep[i] < 1.0:
            if next_float(ph.states, r) >= ph.keep[i]:
                continue
        a = ph.pos[q] - start
        ia, ib = posmap[a], posmap[a + ph.length[q]]
        b = draw_below(ph.states, r, cfg.window)  # effective window: window - b
        lo, hi = max(0, ia - cfg.window + b), min(n, ib + cfg.window - b)
        if lo == ia and hi == ib:
            continue
        row = base + i
        neu1e[:] = 0.0
        for j in range(lo, hi):
            if j < ia or j >= ib:
                _phrase_step(syn0, syn1neg, row, sen[j], np.float32(1.0), neu1e, alpha)
        for d in range(cfg.negative):
            t = draw_noise(tb.noise, ph.states, r)
            for j in range(lo, hi):
                if (j < ia or j >= ib) and sen[j] == t:
                    t = -1
                    break
            if t >= 0:
                _phrase_step(syn0, syn1neg, row, t, np.float32(0.0), neu1e, alpha)
        lr = m.lockf[row]
        for c in range(syn0.shape[1]):
            syn0[row, c] += lr * neu1e[c]


# ---------------------------------------------------------------- kernel
@numba.njit(cache=True, fastmath=True)
def _train_chunk(k, r, alpha, corpus, m, tb, s, states, cfg, ph):
    """Train chunk k (sentences corpus.chunks[k]:chunks[k+1]) with this thread's scratch s and the
    chunk's RNG states in row r of ``states`` and ``ph.states``. Returns (NLL sum, trained pairs,
    tokens read)."""
    ids, offsets, keep = corpus.ids, corpus.offsets, tb.keep
    window = cfg.window
    sen = s.sen
    alpha = np.float32(alpha)
    loss = 0.0
    pairs = 0
    tokens = 0
    for sn in range(corpus.chunks[k], corpus.chunks[k + 1]):
        phrased = ph.off.shape[0] > 0 and ph.off[sn + 1] > ph.off[sn]
        n = subsample(ids, offsets[sn], offsets[sn + 1], keep, states, r, sen, s.posmap if phrased else s.posmap[:0])
        tokens += offsets[sn + 1] - offsets[sn]
        if n == 0:
            continue
        # The next centre's window and negatives are drawn before this centre trains (the order
        # of the draws is unchanged: window, then negatives, centre by centre), and the rows of
        # its first update prefetched; s.pneg holds this centre's negatives and the next's.
        half = 2 * window * cfg.negative
        nlo, nhi = draw_window(states, r, window, 0, n)
        draw_centre_negatives(tb.noise, states, r, cfg.skipgram, cfg.shared_negatives, cfg.negative, nlo, nhi,
                              s.pneg, 0)
        for i in range(n):
            lo, hi = nlo, nhi
            cur = (i & 1) * half
            if i + 1 < n:
                nlo, nhi = draw_window(states, r, window, i + 1, n)
                draw_centre_negatives(tb.noise, states, r, cfg.skipgram, cfg.shared_negatives, cfg.negative, nlo,
                                      nhi, s.pneg, half - cur)
                _prefetch_ahead(m, sen, i + 1, nlo, nhi, s.pneg, half - cur, cfg)
                if cfg.hs:  # the next centre word's Huffman path
                    _prefetch_path(m.syn1, tb.codes, tb.points, sen[i + 1])
            if cfg.skipgram:
                lsum, np_ = _skipgram_step(m, tb, sen, lo, hi, i, s, s.pneg[cur:cur + half], cfg, alpha)
                loss += lsum
                pairs += np_
            elif hi - lo > 1:
                loss += _cbow_step(m, tb, sen, lo, hi, i, s.pneg[cur:cur + cfg.negative], s, cfg, alpha)
                pairs += 1
        if phrased:
            _train_phrases(m, tb, ph, s, r, sn, offsets[sn], n, cfg, alpha)
    return loss, pairs, tokens


@numba.njit(cache=True, parallel=True)
def _train_chunks(ks, alphas, corpus, m, tb, scratch, states, cfg, ph):
    """Train chunks ks in parallel (Hogwild), chunk ks[j] at rate alphas[j] (float64) with the RNG
    states in row j of ``states`` and ``ph.states``; scratch has one row per thread. Returns (NLL
    sum float64, trained pairs, tokens read)."""
    loss = 0.0
    pairs = 0
    tokens = 0
    for p in prange(ks.shape[0]):
        s = _thread_scratch(scratch, numba.get_thread_id())
        # int64: the index is uint64 inside the parallel region, int64 when Numba types the loop first, and
        # each type is a compile of the whole chunk kernel (tests/test_compile.py)
        lk, pk, tk = _train_chunk(ks[p], np.int64(p), alphas[p], corpus, m, tb, s, states, cfg, ph)
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


# ---------------------------------------------------------------- driver
MODELS = ("skipgram", "cbow")
UPDATES = ("window", "pair")


def _check(model, dim, window, negative, hs, sample, alpha, min_alpha, epochs, seed, threads, cbow_mean,
           cbow_update, shared_negatives, update):
    check_choice("model", model, MODELS)
    check_int("dim", dim, min=1)
    check_int("window", window, min=1)
    check_int("negative", negative, min=0)
    check_bool("hs", hs)
    check_bool("cbow_mean", cbow_mean)
    if shared_negatives is not None:
        check_bool("shared_negatives", shared_negatives)
    if negative == 0 and not hs:
        raise ParameterError("{negative} must be >= 1 unless {hs} is on (no output layer otherwise)", "negative", "hs")
    check_float("sample", sample, min=0.0)
    if alpha is not None:
        check_float("alpha", alpha, min=0.0, min_open=True)
    check_float("min_alpha", min_alpha, min=0.0)
    check_int("epochs", epochs, min=1)
    check_seed(seed)
    check_threads(threads)
    check_choice("cbow_update", cbow_update, ("word2vec", "corrected"))
    check_choice("update", update, UPDATES)
    if shared_negatives and (model != "skipgram" or hs or negative == 0):
        raise ParameterError("{shared_negatives} needs skip-gram with negative sampling ({negative} >= 1) and {hs} off",
                             "shared_negatives", "negative", "hs")


def resolve_shared_negatives(shared_negatives, model, negative, hs, update):
    """``shared_negatives`` as trained: None means on for skip-gram with negative sampling, hs off
    and ``update="window"``."""
    if shared_negatives is None:
        return model == "skipgram" and negative > 0 and not hs and update == "window"
    return bool(shared_negatives)


def _default_alpha(model, cbow_update):
    return 0.025 if model == "skipgram" else 0.3 if cbow_update == "corrected" else 0.05


def _setup(enc, *, dim, window, negative, hs, sample, seed, model, cbow_mean, cbow_update, shared_negatives,
           update, start=None, lock=None, longest=None):
    """Everything the kernel reads and writes, allocated once: (Corpus, _Weights, _Tables,
    _Scratch, streams, _Config, _Phrases). ``streams``: the packed RNG states of the chunks
    (``_rng.seed_values``; ``_sgd.run_epochs`` copies a call's into state rows), the words' and,
    with phrases, the phrases' (``_Phrases.states`` is then a placeholder, replaced at each call). ``lock``: float32 (V,) factors on the input rows' updates
    (None: all 1). ``longest``: the longest sentence, when the caller knows it (else one more pass). With ``enc.phrases`` the input (and, unused, output) layers have a row per
    phrase after the V words' rows; the words' rows, tables and draws are those of the words alone."""
    ids = readonly(np.asarray(enc.ids, dtype=np.int32))  # one kernel type for a memory-mapped or in-memory corpus
    offsets = np.asarray(enc.offsets, dtype=np.int64)
    counts = np.asarray(enc.counts, dtype=np.int64)
    v = len(counts)
    spans = getattr(enc, "phrases", None)
    n_ph = len(spans) if spans is not None else 0
    # the chunks and their RNG states before the layers: their temporaries then add nothing to the peak
    chunks = make_chunks(offsets)
    streams = [seed_values(seed, len(chunks) - 1)]
    if spans is not None:  # the phrases' draws: a stream of their own, so the words' stay the same
        streams.append(seed_values(int(seed) + (1 << 64), len(chunks) - 1))
    rng = np.random.default_rng(seed)
    syn0 = (rng.random((v + n_ph, dim), dtype=np.float32) * np.float32(2.0) - np.float32(1.0)) / np.float32(dim)
    syn1 = np.zeros((v - 1 if hs else 0, dim), np.float32)
    syn1neg = np.zeros((v + n_ph if negative else 0, dim), np.float32)
    if hs:
        codes, points, _ = build_huffman(counts)
    else:
        codes, points = np.zeros((v, 0), np.uint8), np.zeros((v, 0), np.int32)
    for name, m in (("input", syn0), ("output_neg", syn1neg), ("output_hs", syn1)):
        if start is not None and name in start:  # continued training / init_vectors: rows given
            rows, values = start[name]
            m[rows] = values
    noise = build_noise_table(counts) if negative else np.zeros(1, np.uint64)
    scratch = _allocate_scratch(numba.config.NUMBA_NUM_THREADS, longest or longest_sentence(offsets), dim, window,
                                negative, codes.shape[1])
    cfg = _Config(window, negative, int(hs), int(model == "skipgram"), int(cbow_mean),
                  int(cbow_update == "corrected"), int(shared_negatives), int(update == "window"))
    lockf = np.ones(v + n_ph, np.float32)
    if lock is not None:
        lockf[:v] = lock
    if spans is not None:
        # subsampled as words would be, against the words' total; their own RNG streams
        keep = keep_probabilities(spans.counts, sample, total=int(counts.sum()))
        ph = _Phrases(np.asarray(spans.pos, np.int64), np.asarray(spans.length, np.int32),
                      np.asarray(spans.index, np.int32), np.asarray(spans.off, np.int64), keep, state_rows(1))
    else:
        ph = no_phrases()
    return (Corpus(ids, offsets, chunks), _Weights(syn0, syn1, syn1neg, lockf),
            _Tables(codes, points, noise, keep_probabilities(counts, sample)), scratch, tuple(streams), cfg, ph)


def train_word2vec(corpus, *, model="skipgram", dim=None, window=5, min_count=5, max_vocab=None, lowercase=False,
                   tokenize="whitespace", keep_punctuation=False, negative=None, hs=None, sample=1e-3, alpha=None,
                   min_alpha=0.0001, epochs=5, seed=1, threads=None, cbow_mean=True, cbow_update="word2vec",
                   shared_negatives=None, update="window", progress=False, init=None, init_vectors=None, lock_init=1.0,
                   return_model=False, shared_hs=None, average_init=False):
    """Train word2vec (skip-gram or CBOW; negative sampling and/or hierarchical softmax).

    Parameters
    ----------
    corpus : str, Path, list of them, or (Vocab, EncodedCorpus)
        Text file (plain, .gz, .bz2, .xz), folder, ``"-"`` for stdin, a list of those (read in
        order), or the pair returned by ``embedkit.vocab.scan_corpus`` (then min_count,
        max_vocab, lowercase, tokenize and keep_punctuation are not used).
    model : {"skipgram", "cbow"}, default="skipgram"
    dim : int or None, default=None
        Vector size (None: 100, or the model's with ``init``); at most the vocabulary size.
    window : int, default=5
        Largest context distance; each centre word draws its window uniformly in 1..window.
    min_count : int, default=5
    max_vocab : int or None, default=None
    lowercase : bool, default=False
    tokenize : {"whitespace", "words", "text8"}, default="whitespace"
        How text becomes tokens (see :func:`embedkit.corpus.tokenize_piece`).
    keep_punctuation : bool, default=False
        With ``tokenize="words"``, keep punctuation marks as tokens.
    negative : int or None, default=None
        Negative samples per pair (noise: unigram counts ** 0.75); 0 turns negative sampling off.
        None: 5, or the model's with ``init``.
    hs : bool or None, default=None
        Hierarchical softmax over a Huffman tree (may be combined with negative sampling).
        None: False, or the model's with ``init``.
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
    shared_negatives : bool or None, default=None
        Skip-gram + negative sampling with hs off: one draw of negatives per centre word, shared
        by its window (Ji et al. 2016), a faster minibatch update. None: on exactly when
        ``update="window"`` and it applies (skip-gram, ``negative`` > 0, hs off); False: each
        pair draws its own negatives, as word2vec does.
    update : {"window", "pair"}, default="window"
        How often the rows that all pairs of a skip-gram window share are read and written:
        "window" loads the centre's outputs (its Huffman path with ``hs``; else the centre and
        shared negatives) once per window and updates them from all its contexts at once
        (faster, same or better quality on wiki17m); "pair" updates pair by pair, as word2vec
        does. No effect with CBOW. (fastText's ``update`` means the same for its n-gram rows.)
    progress : bool, default=False
        Show tqdm bars (scan, kernel compilation, training with words/s, alpha and loss).
    init : str, path-like, Model or None, default=None
        Continue training a model of the same ``model`` (a folder from ``result.model.save``).
        The vocabulary grows: counts are the model's (its rare words included) plus this
        corpus's, ``min_count`` and the subsampling and noise tables use the sums, the model's
        words always stay and keep their input and output rows, new words start at random. With
        ``hs`` the Huffman tree is rebuilt from the summed counts: if every word keeps its path
        the HS output layer is kept, else it starts from zero (a warning says so). ``alpha``
        restarts the linear decay (to ``min_alpha``); ``dim``, ``hs`` and whether negative
        sampling is on come from the model (a different value is an error naming both);
        ``epochs=0`` returns the model's vectors (bit for bit) plus the new words.
    init_vectors : str, path-like, Vectors or None, default=None
        Start the input vectors of the words this file (any format embedkit reads) shares with
        the vocabulary from its vectors; its dimension must be ``dim``. Not with ``init``.
    lock_init : float, default=1.0
        Factor in [0, 1] on every update of the input rows started from ``init_vectors``, in
        every mode (skip-gram and CBOW, negative sampling and hierarchical softmax, either
        ``update``): 0 freezes them (bit for bit), 1 leaves them free, 0.5 halves each of their steps.
        The other input rows and the output layers always train freely. Needs ``init_vectors``.
    return_model : bool, default=False
        Also return everything needed to continue (``result.model``; always with ``init``).
    average_init : bool, default=False
        With ``init``: after training, move each of the model's words back toward its value in
        the model, ``row = old + s * (trained - old)``, ``s`` the share of the model's words'
        occurrences that come from this corpus (input vectors, the negative-sampling output
        layer, and the HS output layer when the Huffman tree kept every path; new words as
        trained). The two models are averaged, each weighted by the text it
        was trained on, which undoes most of what continuing forgets of the old text (wiki17m's
        halves: bench/RESULTS.md, "continued training, averaged"). Leave it off to adapt the old
        words fully to new text of another kind.
    shared_hs : bool or None, default=None
        Deprecated spelling of ``update`` (True: "window", False: "pair"); warns.

    Returns
    -------
    TrainResult
        ``vectors`` (syn0), ``context`` (syn1neg, None when ``negative=0``), ``losses`` (mean
        negative log-likelihood per trained pair, per centre word for CBOW, per epoch, measured
        online just before each update; see docs/parameters.md for why it can rise in later
        epochs), ``timings`` (``scan`` when the corpus was read here, ``setup``, ``compile``,
        ``train``) and ``words_per_sec`` (in-vocabulary
        corpus tokens x epochs / training seconds, before subsampling).

    Raises
    ------
    EmbedkitError
        For a bad parameter (before the corpus is read), a corpus with nothing to train, or dim
        above the vocabulary size. ``TrainingDivergedError`` (an EmbedkitError) for a run that
        diverges (the loss or a vector not finite, or the loss 20 times that of untrained
        vectors): "training diverged in epoch E (loss L): lower alpha (A)".

    Examples
    --------
    >>> r = train_word2vec("data/sample.txt.xz", dim=20, min_count=50, epochs=1, threads=1)
    >>> r.vectors.matrix.shape[1], len(r.losses), r.context is not None
    (20, 1, True)
    >>> sorted(r.timings)
    ['compile', 'scan', 'setup', 'train']
    >>> train_word2vec("data/sample.txt.xz", window=0)
    Traceback (most recent call last):
    ...
    embedkit.errors.EmbedkitError: window must be >= 1, got 0
    """
    from .modelfile import check_lock
    from .vectors import Vectors

    if shared_hs is not None:
        check_bool("shared_hs", shared_hs)
        update = "window" if shared_hs else "pair"
        warnings.warn(f"shared_hs={bool(shared_hs)} is deprecated: use update={update!r}", FutureWarning, stacklevel=2)
    base = None
    if init is not None:
        if init_vectors is not None:
            raise EmbedkitError("give init or init_vectors, not both")
        from .modelfile import check_fixed, load_init

        base = load_init(init, model)
        fixed = check_fixed(base, dim=dim, hs=hs)
        dim, hs = fixed["dim"], fixed["hs"]
        stored = int(base.settings.get("negative", 0))
        if negative is None:
            negative = stored
        elif (negative > 0) != (stored > 0):
            raise EmbedkitError(f"negative sampling cannot be turned {'on' if negative else 'off'} when continuing: "
                                f"{base.path or 'the model'} has negative={stored}, not {negative}")
    dim = 100 if dim is None else dim
    hs = False if hs is None else hs
    negative = 5 if negative is None else negative
    _check(model, dim, window, negative, hs, sample, alpha, min_alpha, max(epochs, 1) if base is not None else epochs,
           seed, threads, cbow_mean, cbow_update, shared_negatives, update)
    shared_negatives = resolve_shared_negatives(shared_negatives, model, negative, hs, update)
    if base is not None:
        check_int("epochs", epochs, min=0)
    lock_init = check_lock(lock_init)
    check_bool("average_init", average_init)
    if average_init and base is None:
        raise EmbedkitError("average_init applies to continued training: give init (a model)")
    if lock_init != 1.0 and init_vectors is None:
        raise EmbedkitError("lock_init applies to the rows of init_vectors, which is not given")
    if alpha is None:
        alpha = _default_alpha(model, cbow_update)
    check_rates(alpha, min_alpha)
    timings = {}
    t = time.perf_counter()
    scanned = not (isinstance(corpus, tuple) and len(corpus) == 2 and isinstance(corpus[0], Vocab))
    rare = None
    if base is not None or (return_model and scanned):
        vocab, enc, rare = scan_for_model(corpus, min_count=min_count, max_vocab=max_vocab, lowercase=lowercase,
                                          progress=progress, model=base, tokenize=tokenize,
                                          keep_punctuation=keep_punctuation, threads=threads)
    else:
        vocab, enc = resolve_corpus(corpus, min_count=min_count, max_vocab=max_vocab, lowercase=lowercase,
                                    tokenize=tokenize, keep_punctuation=keep_punctuation, threads=threads,
                                    progress=progress, phrases_ok=True)
    if scanned:
        timings["scan"] = time.perf_counter() - t
    spans = enc.phrases
    if spans is not None:
        if return_model:
            raise EmbedkitError("phrases added beside the words (phrase_corpus mode='add') cannot be kept in a "
                                "model file yet: train without return_model (--save-model)")
        if negative == 0:
            raise EmbedkitError("phrases added beside the words train against the negative-sampling output "
                                "layer: negative must be >= 1")
    v = enc.vocab_size
    longest = check_trainable(enc.offsets)
    check_dim(dim, v)
    if hs and v < 2:
        raise EmbedkitError("hierarchical softmax needs at least 2 words in the vocabulary")
    n_ph = len(spans) if spans is not None else 0
    check_memory(word2vec_need(v + n_ph, dim, negative=negative, hs=hs), what=f"training {model}",
                 lower="--dim or --max-vocab")

    t = time.perf_counter()
    start, lock, note = _start_rows(base, vocab, enc, dim=dim, hs=hs, negative=negative, init_vectors=init_vectors,
                                    lock_init=lock_init)
    args = _setup(enc, dim=dim, window=window, negative=negative, hs=hs, sample=sample, seed=seed, model=model,
                  cbow_mean=cbow_mean, cbow_update=cbow_update, shared_negatives=shared_negatives, update=update,
                  start=start, lock=lock, longest=longest)
    timings["setup"] = time.perf_counter() - t
    corp, weights, tables, scratch, streams, cfg, ph = args
    path_len = float(np.mean(np.sum(tables.codes < 2, axis=1))) if hs else 0.0
    with numba_threads(threads) as nthreads:
        # compiles the kernel (a cold cache: in a child process) or loads Numba's cache, for these types
        warm = (np.zeros(0, np.int64), np.zeros(0), corp, weights, tables, scratch, state_rows(1), cfg, ph)  # no chunk
        timings["compile"] = compile_stage(lambda: (precompile((_train_chunks, warm)), _train_chunks(*warm)),
                                           "word2vec: compiling kernels (first run only)", progress)
        release_memory()  # LLVM is not needed while training (bench/RESULTS.md, word2vec memory)

        def train_chunks(ks, alphas, rows, phrase_rows=ph.states):
            return _train_chunks(ks, alphas, corp, weights, tables, scratch, rows, cfg,
                                 ph._replace(states=phrase_rows))

        try:
            losses, timings["train"] = run_epochs(
                train_chunks, corp.offsets, corp.chunks, epochs=epochs, alpha=alpha, min_alpha=min_alpha,
                threads=nthreads, desc=f"word2vec {model}", progress=progress, ids=enc.ids, syn0=weights.syn0,
                ceiling=loss_ceiling(negative + 1 + path_len), sample=sample, streams=streams)
        except TrainingDivergedError as e:
            if model == "skipgram" and update == "window" and window > 20:
                # the window update moves a centre's outputs by up to 2 x window contexts' gradients at once
                raise e.with_also(("window", window)) from None
            raise
    words = list(vocab.words)
    counts = np.asarray(enc.counts, dtype=np.int64)
    if average_init:
        layers = {"input": weights.syn0}
        if negative and "output_neg" in base.arrays:
            layers["output_neg"] = weights.syn1neg
        share = average_with_model(layers, base, model_rows(base, vocab), counts)
        if "output_hs" in start:  # the Huffman tree did not change: every inner node is the model's
            blend(weights.syn1, start["output_hs"][1], share)
        note += f"; averaged with the model (share of the new text {share:.2f})"
    if spans is None:
        vec = Vectors(words, weights.syn0, counts)
        ctx = vec.with_matrix(weights.syn1neg) if negative else None
    else:  # the words, then the phrases (the words' rows are those of training without phrases)
        vec = Vectors(words + spans.words, weights.syn0, np.concatenate([counts, spans.counts]))
        ctx = Vectors(words, weights.syn1neg[:v], counts)
    kept = None
    if base is not None or return_model:
        settings = dict(dim=dim, window=window, negative=negative, hs=bool(hs), sample=sample, alpha=alpha,
                        min_alpha=min_alpha, min_count=min_count, max_vocab=max_vocab, lowercase=lowercase,
                        cbow_mean=bool(cbow_mean), cbow_update=cbow_update, shared_negatives=bool(shared_negatives),
                        update=update, seed=seed)
        done = int(base.state.get("epochs_done", 0)) if base is not None else 0
        state = dict(epochs_done=done + epochs, corpus_tokens=int(counts.sum()),
                     alpha_start=alpha if epochs else (base.state.get("alpha_start") if base is not None else None),
                     alpha_reached=min_alpha if epochs else (base.state.get("alpha_reached") if base else None),
                     note=note)
        arrays = {"input": weights.syn0}
        if negative:
            arrays["output_neg"] = weights.syn1neg
        if hs:
            arrays.update(output_hs=weights.syn1, hs_codes=tables.codes, hs_points=tables.points,
                          hs_lens=np.sum(tables.codes < 2, axis=1).astype(np.int32))
        kept = Model(model, words, counts, settings, state, arrays, "input", None,
                     list(rare.words) if rare is not None else [],
                     rare.counts if rare is not None else np.zeros(0, np.int64))
    return TrainResult(vectors=vec, context=ctx, losses=losses, timings=timings,
                       words_per_sec=int(corp.offsets[-1]) * epochs / max(timings["train"], 1e-9), model=kept)


def _start_rows(base, vocab, enc, *, dim, hs, negative, init_vectors, lock_init):
    """The rows the weights start from (``_setup``'s ``start``), the input lock factors (or None) and
    a note for the log: the model's rows (continued training) or those of ``init_vectors``."""
    start, lock, notes = {}, None, []
    if base is not None:
        pos = model_rows(base, vocab)
        start["input"] = (pos, np.asarray(base.arrays["input"]))
        if negative and "output_neg" in base.arrays:
            start["output_neg"] = (pos, np.asarray(base.arrays["output_neg"]))
        notes.append(f"{len(base.words)} words from the model, {len(vocab) - len(base.words)} new")
        if hs:
            codes, points, lens = build_huffman(np.asarray(enc.counts, dtype=np.int64))
            if same_tree(base, pos, codes, points, lens):
                start["output_hs"] = (np.arange(len(vocab) - 1), np.asarray(base.arrays["output_hs"]))
                notes.append("Huffman tree unchanged: HS output layer kept")
            else:
                hs_rebuilt_warning(base.path)
                notes.append("Huffman tree rebuilt: HS output layer restarted from zero")
    if init_vectors is not None:
        rows, values, lock, note = init_vectors_rows(vocab.words, init_vectors, dim, lock_init)
        start["input"] = (rows, values)
        notes.append(note)
    return start, lock, "; ".join(notes)
