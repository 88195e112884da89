"""GloVe (Pennington, Socher & Manning 2014): weighted least squares on log co-occurrences.

The cost is sum over non-zero X_ij of f(X_ij) (w_i . c_j + b_i + d_j - log X_ij)^2 with
f(x) = min(1, (x / x_max) ** weight_power). The non-zeros become one array of records (row, col,
log X, f(X)), 16 bytes each, shuffled in place by a seeded Fisher-Yates pass (once per run or
once per epoch). One kernel call is one epoch: ``prange`` over contiguous chunks of the
records, Hogwild updates of the shared parameters.

Beyond memory (``memory`` set and the records larger than it): the records live in a file,
shuffled on disk in two passes as the reference tool's ``shuffle`` does: rows of the matrix are
turned into records a memory-sized block at a time, each block shuffled and written; then
every output block takes an equal share of each written block, is shuffled again and written
to the final file. Every epoch streams that file a block at a time through one buffer (with
``shuffle="epoch"``: blocks in a new random order, each shuffled again in memory).

AdaGrad as in the reference tool: each parameter has an accumulator that starts at 1 and
sums the squares of its steps. A vector component with gradient g (clipped to +-100) steps by
s = lr * g / sqrt(acc), then acc += (lr * g)**2; a bias steps by g / sqrt(acc), then
acc += g**2 (the reference tool does not scale the bias step by the learning rate).
"""

from __future__ import annotations

import math
import os
import shutil
import time
import warnings
import weakref

import numba
import numpy as np
from numba import prange

from ._compile import precompile, readonly
from ._prefetch import prefetch as _prefetch
from ._rng import next_int, seed_states
from ._faults import array_bytes, check_memory, csr_bytes, fit_after_counting, glove_need, make_temp_dir
from ._util import (balanced_chunks, check_choice, check_dim, check_float, check_int, check_seed, check_threads,
                    drop_pages, drop_read_pages, numba_threads, progress_bar, row_blocks, sum_timings)
from .errors import EmbedkitError, TrainingDivergedError
from .result import TrainResult

SHUFFLES = ("once", "epoch")
#: which vectors a run returns: W + W~ ("sum") or W alone ("word")
VECTORS = ("sum", "word")
ENTRY = np.dtype([("row", np.int32), ("col", np.int32), ("logx", np.float32), ("weight", np.float32)])
GRAD_CLIP = 100.0
#: records ahead whose parameter rows are prefetched while the current one is processed
PREFETCH_AHEAD = 4
#: records per chunk (the unit of work of one thread); fixed, so threads=1 runs are reproducible
CHUNK_ENTRIES = 1 << 16
#: an epoch whose mean cost exceeds this many times the cost of all-zero parameters has diverged
EXPLODED = 100.0


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
    """Fill ``entries`` (ENTRY records, nnz) from CSR arrays: log X and f(X) = min(1, (X/x_max)^alpha),
    alpha being the weight power."""
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
    drawing from ``state[0, 0]`` (uint64 xorshift).

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
def _check(dim, x_max, weight_power, learning_rate, epochs, shuffle, vectors, seed, threads, continuing=False):
    check_int("dim", dim, min=1)
    check_float("x_max", x_max, min=0.0, min_open=True)
    check_float("weight_power", weight_power, min=0.0, min_open=True)
    check_float("learning_rate", learning_rate, min=0.0, min_open=True)
    check_int("epochs", epochs, min=0 if continuing else 1)  # 0 epochs: the model as it was, vocabulary grown
    check_choice("shuffle", shuffle, SHUFFLES)
    check_choice("vectors", vectors, VECTORS)
    check_seed(seed)
    check_threads(threads)


def cooc_entries(matrix, *, x_max=100.0, weight_power=0.75, threads=None):
    """The non-zeros of a co-occurrence matrix as ENTRY records (row, col, log X, f(X)), in CSR order."""
    import scipy.sparse as sp

    m = matrix if sp.isspmatrix_csr(matrix) or isinstance(matrix, sp.csr_array) else sp.csr_matrix(matrix)
    data = np.asarray(m.data)
    if data.dtype != np.float32:
        data = data.astype(np.float32)
    if m.nnz and not (np.isfinite(data).all() and data.min() > 0):
        raise EmbedkitError("co-occurrence counts must be positive and finite (drop explicit zeros first)")
    entries = np.empty(m.nnz, ENTRY)
    with numba_threads(threads) as n:
        _build_entries(m.indptr, readonly(m.indices), readonly(data), math.log(x_max), float(weight_power),
                       balanced_chunks(m.indptr, 16 * n), entries)
    return entries


def init_params(n_words, dim, seed):
    """(2V, dim+1) float32 parameters, uniform in [-0.5/dim, 0.5/dim), and AdaGrad accumulators of 1."""
    rng = np.random.default_rng(seed)
    params = rng.random((2 * n_words, dim + 1), dtype=np.float32)
    params -= np.float32(0.5)
    params /= np.float32(dim)
    return params, np.ones_like(params)


def compile_kernels(matrix):
    """Compile the GloVe kernels for the array types of CSR ``matrix`` (no work is done)."""
    import scipy.sparse as sp

    m = matrix if sp.isspmatrix_csr(matrix) else sp.csr_matrix(matrix)
    data = m.data if m.data.dtype == np.float32 else m.data[:0].astype(np.float32)
    entries = np.empty(0, ENTRY)
    params, gradsq = init_params(1, 1, 1)
    calls = [(_build_entries, (m.indptr, readonly(m.indices), readonly(data), 0.0, 0.75, np.zeros(2, np.int64),
                               entries)),
             (_shuffle_rows, (entries.view(np.uint64).reshape(-1, 2), seed_states(1, 1))),
             (_adagrad_epoch, (entries, params, gradsq, 1, np.float32(0.05), 0))]
    precompile(*calls)  # a cold cache compiles in a child process, so not in this one's peak RSS
    for kernel, args in calls:
        kernel(*args)


def fit_entries(entries, n_words, *, dim=100, learning_rate=0.05, epochs=25, shuffle="once", seed=1,
                threads=None, progress=False, init=None):
    """Train on ENTRY records (shuffled in place), or on a :class:`RecordFile` (streamed). Returns the
    (2V, dim+1) float32 parameters, their AdaGrad accumulators and the mean cost of each epoch; with
    ``init = (params, gradsq)`` training starts from those arrays (changed in place), not at random.

    Raises TrainingDivergedError when an epoch's cost is NaN, infinite, or more than EXPLODED
    times the cost of all-zero parameters (0.5 * mean f(X) log(X)^2).
    """
    params, gradsq = init_params(n_words, dim, seed) if init is None else init
    return _fit(entries, params, gradsq, n_words, learning_rate=learning_rate, epochs=epochs, shuffle=shuffle,
                seed=seed, threads=threads, progress=progress)


def _fit(entries, params, gradsq, n_words, *, learning_rate, epochs, shuffle, seed, threads, progress):
    state = seed_states(seed, 1)
    n_chunks = max(1, -(-len(entries) // CHUNK_ENTRIES))
    lr = np.float32(learning_rate)
    on_disk = isinstance(entries, RecordFile)
    if on_disk:
        zero = entries.zero_cost
    else:  # in slices: whole-array float64 temporaries would cost 24 bytes per record, more than the records
        zero = _zero_cost_sum(entries) / len(entries) if len(entries) else 0.0
    limit = EXPLODED * max(zero, 1e-3)
    costs = []
    with numba_threads(threads), \
            progress_bar(total=epochs, desc="glove", unit="epoch", enabled=progress) as bar:
        for epoch in range(epochs):
            if on_disk:  # shuffled on disk once; with shuffle="epoch", again block by block
                cost = entries.epoch(params, gradsq, n_words, lr, state, shuffle == "epoch") / max(len(entries), 1)
            else:
                if epoch == 0 or shuffle == "epoch":
                    _shuffle_rows(entries.view(np.uint64).reshape(-1, 2), state)
                cost = _adagrad_epoch(entries, params, gradsq, n_words, lr, n_chunks) / max(len(entries), 1)
            if not math.isfinite(cost) or cost > limit or not np.isfinite(params).all():
                raise TrainingDivergedError(epoch + 1, "cost", cost, "learning_rate", learning_rate)
            costs.append(cost)
            bar.update(1)
            bar.set_postfix(cost=f"{cost:.5f}")
    return params, gradsq, costs


# ---------------------------------------------------------------- records on disk
#: bytes of the memory budget per record of a block: the record (16) plus the matrix slice it is
#: made from (8) and the margin of the cost sums
BUDGET_PER_RECORD = 32
#: records per block at least, whatever the budget
MIN_BLOCK = 1024


def _read_records(f, out, path):
    """Fill ``out`` (ENTRY records) from file ``f`` at its position."""
    want = out.nbytes
    got = f.readinto(out.view(np.uint8)) if want else 0
    if got != want:
        raise EmbedkitError(f"record file {path} is truncated (read {got} of {want} bytes)")


def _zero_cost_sum(entries):
    """Sum of 0.5 f(X) log(X)^2 over ``entries`` (float64): the cost of all-zero parameters."""
    total = 0.0
    for lo in range(0, len(entries), 1 << 20):
        part = entries[lo:lo + (1 << 20)]
        logx = part["logx"].astype(np.float64)
        total += float(np.dot(part["weight"] * logx, logx))
    return 0.5 * total


class RecordFile:
    """GloVe's records shuffled on disk in ``folder`` (removed by :meth:`close`), streamed a block
    at a time through one buffer; ``len()`` is the number of records."""

    def __init__(self, folder, path, n, block, zero_cost, seed):
        self.folder, self.path, self.n, self.block, self.zero_cost = folder, path, n, block, zero_cost
        self._rng = np.random.default_rng(seed)
        self._buffer = None
        self._closer = weakref.finalize(self, shutil.rmtree, folder, True)

    def __len__(self):
        return self.n

    def epoch(self, params, gradsq, n_words, lr, state, reshuffle):
        """One AdaGrad pass over the file (see :func:`_adagrad_epoch`); with ``reshuffle``, the blocks
        are read in a new random order and each is shuffled in memory. Returns the cost sum."""
        if self._buffer is None:
            self._buffer = np.empty(min(self.block, self.n), ENTRY)
        starts = np.arange(0, self.n, self.block)
        if reshuffle:
            starts = self._rng.permutation(starts)
        total = 0.0
        try:
            with open(self.path, "rb") as f:
                for lo in starts:
                    buf = self._buffer[:min(self.block, self.n - int(lo))]
                    f.seek(int(lo) * ENTRY.itemsize)
                    _read_records(f, buf, self.path)
                    if reshuffle:
                        _shuffle_rows(buf.view(np.uint64).reshape(-1, 2), state)
                    total += _adagrad_epoch(buf, params, gradsq, n_words, lr, max(1, -(-len(buf) // CHUNK_ENTRIES)))
        except OSError as e:
            raise EmbedkitError(f"cannot read {self.path}: {e.strerror or e}") from None
        return total

    def close(self):
        """Remove the records' folder (also done when the object is garbage-collected)."""
        self._buffer = None
        self._closer()


def records_on_disk(matrix, *, memory, tmp_dir=None, x_max=100.0, weight_power=0.75, seed=1, threads=None):
    """The non-zeros of CSR ``matrix`` as ENTRY records in a file in a new folder in ``tmp_dir``,
    shuffled in two passes within ``memory`` bytes (module docstring). Returns a :class:`RecordFile`."""
    block = max(MIN_BLOCK, int(memory) // BUDGET_PER_RECORD)
    state = seed_states(seed, 2)[1:]  # a stream of its own: fit_entries draws from seed_states(seed, 1)
    folder = make_temp_dir("glove", tmp_dir)  # named after this process, so a killed run's folder is swept later
    try:
        first = os.path.join(folder, "blocks.bin")
        spans, zero, n = [], 0.0, 0
        indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
        log_xmax = math.log(x_max)
        with open(first, "wb") as f, numba_threads(threads) as n_threads:
            cuts = row_blocks(indptr, block)
            for r0, r1 in zip(cuts[:-1], cuts[1:]):
                a0, a1 = int(indptr[r0]), int(indptr[r1])
                if a1 > a0:
                    local = (indptr[r0:r1 + 1] - indptr[r0]).astype(indptr.dtype)
                    d = data[a0:a1] if data.dtype == np.float32 else data[a0:a1].astype(np.float32)
                    if not (np.isfinite(d).all() and d.min() > 0):
                        raise EmbedkitError("co-occurrence counts must be positive and finite (drop explicit zeros "
                                            "first)")
                    e = np.empty(a1 - a0, ENTRY)
                    _build_entries(local, readonly(indices[a0:a1]), readonly(d), log_xmax, float(weight_power),
                                   balanced_chunks(local, 16 * n_threads), e)
                    drop_read_pages(indices, a1)
                    drop_read_pages(data, a1)
                    del d
                    e["row"] += r0
                    zero += _zero_cost_sum(e)
                    _shuffle_rows(e.view(np.uint64).reshape(-1, 2), state)
                    e.tofile(f)
                    spans.append((n, a1 - a0))
                    n += a1 - a0
                    del e
        path = first
        if len(spans) > 1:  # interleave: every output block takes an equal share of each written block
            path = os.path.join(folder, "records.bin")
            rounds = -(-n // block)
            buf = np.empty(block + len(spans), ENTRY)
            with open(first, "rb") as fi, open(path, "wb") as fo:
                for r in range(rounds):
                    k = 0
                    for start, count in spans:
                        lo, hi = count * r // rounds, count * (r + 1) // rounds
                        fi.seek((start + lo) * ENTRY.itemsize)
                        _read_records(fi, buf[k:k + hi - lo], first)
                        k += hi - lo
                    _shuffle_rows(buf[:k].view(np.uint64).reshape(-1, 2), state)
                    buf[:k].tofile(fo)
            del buf
            os.remove(first)
    except OSError as e:
        shutil.rmtree(folder, ignore_errors=True)
        raise EmbedkitError(f"cannot write GloVe's records in {folder}: {e.strerror or e}") from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return RecordFile(folder, path, n, block, zero / max(n, 1), seed)


# ---------------------------------------------------------------- public API
def fit_glove(cooc, *, dim=None, x_max=100.0, weight_power=0.75, learning_rate=0.05, epochs=25, shuffle="once",
              vectors="sum", seed=1, threads=None, memory=None, tmp_dir=None, progress=False, return_model=False,
              init=None):
    """GloVe vectors from co-occurrence counts.

    Parameters
    ----------
    cooc : Cooccurrence
        From :func:`embedkit.cooc.count_cooccurrences` or :func:`embedkit.cooc.load_cooccurrences`
        (harmonic weighting expected: uniform counts get a warning). Its matrix is read,
        never changed.
    dim, x_max, weight_power, learning_rate, epochs, shuffle, vectors, seed, threads, progress, return_model
        See :func:`train_glove` (the model holds the folder's rare words, ``cooc.rare``, if it keeps them).
    init : str, path-like, Model or None, default=None
        Continue training a GloVe model on these co-occurrences: count them over the model's
        corpus and the new text together (``embedkit cooc OLD NEW -o DIR --window W --weighting
        harmonic``, W the model's window), or add the new text to the folder the model was fitted
        on (:func:`embedkit.cooc.add_cooccurrences`, ``embedkit cooc NEW --add OLD_DIR -o DIR``), so that the model
        goes on fitting the counts of both rather than the new text's alone (as
        :func:`train_glove` with ``init`` does). The vocabulary is the folder's and must hold
        every word of the model (else EmbedkitError); the model's words keep their weights,
        biases and AdaGrad accumulators, new words start at random. ``dim`` (None: 100, or the
        model's), the folder's window and weighting must be the model's (a different value is an
        error naming both); ``epochs=0`` returns the model's vectors. ``result.model`` is always
        returned.
    memory : int, str or None, default=None
        When the records (16 bytes per non-zero) need more than this many bytes, they are
        shuffled on disk in ``tmp_dir`` and streamed every epoch (module docstring); None
        keeps them in memory.
    tmp_dir : str or None, default=None
        Folder for the record file (default: the system's temporary folder); removed at the end.

    Returns
    -------
    TrainResult
        ``vectors``, ``context`` (the context vectors W~), ``losses`` (the mean weighted cost
        of each epoch), ``timings`` (``compile``, ``entries``, ``train``).

    Raises
    ------
    TrainingDivergedError
        When the cost becomes NaN, infinite or explodes (no vectors are returned).

    Examples
    --------
    >>> from embedkit.cooc import count_cooccurrences
    >>> c = count_cooccurrences("data/sample.txt.xz", window=5, weighting="harmonic", min_count=50)
    >>> r = fit_glove(c, dim=10, epochs=3, threads=1)
    >>> len(r.losses), r.losses[0] > r.losses[-1], r.vectors.dim
    (3, True, 10)
    """
    from .cooc import Cooccurrence

    if not isinstance(cooc, Cooccurrence):
        raise EmbedkitError(f"cooc must be a Cooccurrence (from count_cooccurrences or load_cooccurrences), "
                            f"got {type(cooc).__name__}")
    model = None
    if init is not None:
        from .modelfile import check_fixed, load_init

        model = load_init(init, "glove")
        dim = check_fixed(model, dim=dim, window=cooc.params["window"], weighting=cooc.params["weighting"])["dim"]
        _missing_model_words(model, cooc)
    dim = 100 if dim is None else dim
    _check(dim, x_max, weight_power, learning_rate, epochs, shuffle, vectors, seed, threads,
           continuing=model is not None)
    check_dim(dim, len(cooc.words))
    if cooc.params["weighting"] == "uniform":
        warnings.warn(f"{cooc.path or 'the matrix'} was counted with uniform weighting; GloVe expects harmonic "
                      "counts (embedkit cooc --weighting harmonic)", stacklevel=2)
    memory = _check_memory(memory)
    _check_need(cooc, dim, memory, owned=False)
    entries, timings = _entries(cooc, x_max=x_max, weight_power=weight_power, threads=threads, progress=progress,
                                memory=memory, tmp_dir=tmp_dir, seed=seed)
    info = None
    if return_model or model is not None:
        from .vocab import Vocab

        settings = dict(dim=dim, window=cooc.params["window"], weighting=cooc.params["weighting"],
                        min_count=cooc.params.get("min_count"), max_vocab=cooc.params.get("max_vocab"),
                        lowercase=cooc.params.get("lowercase", False), x_max=x_max, weight_power=weight_power,
                        learning_rate=learning_rate, shuffle=shuffle, vectors=vectors, seed=seed)
        done = 0 if model is None else int(model.state.get("epochs_done", 0))
        info = (settings, {"epochs_done": done, "corpus_tokens": int(cooc.vocab.counts.sum())},
                cooc.rare if cooc.rare is not None else Vocab([], np.zeros(0, np.int64)))
    start = None if model is None else _continue_params(model, cooc.vocab, dim, seed)
    try:
        return _train(entries, cooc.vocab, timings, dim=dim, learning_rate=learning_rate, epochs=epochs,
                      shuffle=shuffle, vectors=vectors, seed=seed, threads=threads, progress=progress,
                      init=start, model_info=info)
    finally:
        _close(entries)


def _check_memory(memory):
    if memory is None:
        return None
    from .cooc import parse_memory

    if isinstance(memory, str):
        memory = parse_memory(memory)
    check_int("memory", memory, min=1)
    return memory


def _check_need(cooc, dim, memory, *, owned):
    """Refuse before the records are made if GloVe's estimated need exceeds the available memory;
    ``owned``: the matrix is the trainer's own, released before training (a memory-mapped one's
    pages are let go after the records are built either way)."""
    m = cooc.matrix
    held, mapped = array_bytes(m.indptr, m.indices, m.data)
    check_memory(glove_need(len(cooc.words), dim, m.nnz, memory=memory, freed=held if owned else 0,
                            mapped=mapped), what="training GloVe", lower="--dim, --max-vocab or --memory")


def _close(entries):
    if isinstance(entries, RecordFile):
        entries.close()


def _entries(cooc, *, x_max, weight_power, threads, progress, memory=None, tmp_dir=None, seed=1):
    """The records of ``cooc``'s non-zeros, kernels compiled first: ``(entries, timings)``; a
    :class:`RecordFile` when they need more than ``memory`` bytes."""
    if cooc.matrix.nnz == 0:
        raise EmbedkitError("the co-occurrence matrix is empty: the corpus is too small for these settings")
    t0 = time.perf_counter()
    with progress_bar(total=1, desc="compiling GloVe kernels", enabled=progress) as bar:
        compile_kernels(cooc.matrix)
        bar.update(1)
    t1 = time.perf_counter()
    if memory is not None and cooc.matrix.nnz * ENTRY.itemsize > memory:
        entries = records_on_disk(cooc.matrix, memory=memory, tmp_dir=tmp_dir, x_max=x_max,
                                  weight_power=weight_power, seed=seed, threads=threads)
    else:
        entries = cooc_entries(cooc.matrix, x_max=x_max, weight_power=weight_power, threads=threads)
        for a in (cooc.matrix.indices, cooc.matrix.data):
            drop_pages(a)  # a folder's counts, read once into the records: out of resident memory while training
    return entries, {"compile": t1 - t0, "entries": time.perf_counter() - t1}


def _train(entries, vocab, timings, *, vectors, init=None, model_info=None, **fit):
    """Train on ``entries`` and return the TrainResult; ``timings`` are the stages before, to which
    ``train`` is added; ``model_info`` (settings, state, rare Vocab) asks for ``result.model``."""
    from .modelfile import Model
    from .vectors import Vectors

    v, dim = len(vocab), fit["dim"]
    t0 = time.perf_counter()
    params, gradsq, costs = fit_entries(entries, v, init=init, **fit)
    timings = sum_timings(timings, {"train": time.perf_counter() - t0})
    del entries
    words = list(vocab.words)
    w = params[:v, :dim]
    c = np.ascontiguousarray(params[v:, :dim])
    if vectors == "sum":
        w = w + c
    vec = Vectors(words, np.ascontiguousarray(w), vocab.counts)
    model = None
    if model_info is not None:
        settings, state, rare = model_info
        state = {**state, "epochs_done": state.get("epochs_done", 0) + fit["epochs"]}
        model = Model("glove", words, vocab.counts, settings, state,
                      {"input": vec.matrix, "params": params, "gradsq": gradsq}, "input", None,
                      list(rare.words), rare.counts)
    return TrainResult(vectors=vec, context=vec.with_matrix(c), losses=costs, timings=timings,
                       words_per_sec=None, model=model)


def _missing_model_words(model, cooc):
    """EmbedkitError unless every word of ``model`` is in the co-occurrence folder's vocabulary."""
    have = cooc.vocab.word_to_id
    missing = [w for w in model.words if w not in have]
    if missing:
        raise EmbedkitError(f"{cooc.path or 'the co-occurrences'} lacks {len(missing):,} of the model's "
                            f"{len(model.words):,} words (e.g. {missing[0]!r}): count them over the model's corpus "
                            f"and the new text together (embedkit cooc OLD NEW -o DIR), with the model's --min-count "
                            f"or a lower one, or add the new text to the model's folder (embedkit cooc NEW --add "
                            f"OLD_DIR -o DIR)")


def _continue_params(model, vocab, dim, seed):
    """(params, gradsq) of the merged vocabulary: the model's rows (word and context halves, AdaGrad
    state) where its words are, the usual random start and accumulators of 1 for new words."""
    from .warmstart import model_rows

    n = len(vocab)
    params, gradsq = init_params(n, dim, seed)
    old_v = len(model.words)
    pos = model_rows(model, vocab)
    for half in (0, 1):
        params[half * n + pos] = model.arrays["params"][half * old_v: (half + 1) * old_v]
        gradsq[half * n + pos] = model.arrays["gradsq"][half * old_v: (half + 1) * old_v]
    return params, gradsq


def train_glove(corpus, *, dim=None, window=None, min_count=5, max_vocab=None, lowercase=False,
                tokenize="whitespace", keep_punctuation=False, x_max=100.0,
                weight_power=0.75, learning_rate=0.05, epochs=25, shuffle="once", vectors="sum", seed=1, threads=None,
                memory=None, tmp_dir=None, progress=False, init=None, return_model=False):
    """Train GloVe vectors on a corpus: scan, count (1/d weighted symmetric window), AdaGrad.

    Parameters
    ----------
    corpus : str, Path, list of them, or (Vocab, EncodedCorpus)
        Text file (plain, .gz, .bz2, .xz), folder, ``"-"`` for stdin, a list of those, or the
        pair from ``embedkit.vocab.scan_corpus`` (then min_count, max_vocab, lowercase,
        tokenize and keep_punctuation do not apply).
    dim : int or None, default=None
        Vector size (None: 100, or the model's with ``init``); at most the vocabulary size.
    window : int or None, default=None
        Context words on each side (None: 10, or the model's with ``init``); a pair at distance
        d counts 1/d, in both orders.
    min_count : int, default=5
    max_vocab : int or None, default=None
    lowercase : bool, default=False
    tokenize : {"whitespace", "words", "text8"}, default="whitespace"
        How text becomes tokens (see :func:`embedkit.corpus.tokenize_piece`).
    keep_punctuation : bool, default=False
        With ``tokenize="words"``, keep punctuation marks as tokens.
    x_max : float, default=100.0
        Counts at or above x_max get full weight.
    weight_power : float, default=0.75
        Exponent of the weighting function f(x) = min(1, (x / x_max) ** weight_power).
    learning_rate : float, default=0.05
        Initial AdaGrad learning rate.
    epochs : int, default=25
    shuffle : {"once", "epoch"}, default="once"
        Train the non-zeros in one random order (drawn from ``seed``) for every epoch, or in a
        new one every epoch (as fastText's ``shuffle`` for its chunks; there is no "none":
        in the matrix's row order the cost does not fall steadily).
    vectors : {"sum", "word"}, default="sum"
        Return W + W~ (word plus context vectors, the reference tool's default) or W alone.
    seed : int, default=1
        With ``threads=1`` the same seed gives bit-identical vectors.
    threads : int or None, default=None
        Numba threads (None: all); with more than one, Hogwild races make runs differ slightly.
    memory : int, str or None, default=None
        Count co-occurrences within this many bytes of buffers, spilling sorted runs to
        ``tmp_dir`` and merging them into a memory-mapped matrix (same result); then, when
        the records (16 bytes per non-zero) need more than this, shuffle them on disk and
        stream them every epoch (see :func:`fit_glove`). None does both in memory, after
        checking, before counting, that counting and training fit in the available memory (from
        the non-zeros estimated on samples of the corpus; ``MemoryLimitError`` if not).
    tmp_dir : str or None, default=None
        Folder for the spilled runs and the record file (default: the system's temporary
        folder); both are removed at the end.
    progress : bool, default=False
        Show progress bars (scan, compile, count, epochs with the cost).
    init : str, path-like, Model or None, default=None
        Continue training a GloVe model (a folder from ``result.model.save``): the vocabulary
        grows (counts summed with the model's, rare words included, ``min_count`` applied to
        the sums; the model's words always stay), new words start at random, the model's words
        keep their weights, biases and AdaGrad accumulators. The co-occurrences are counted
        from the new corpus alone (the model keeps no counts) and ``learning_rate`` is the
        AdaGrad rate, as in a fresh run. ``dim`` and ``window`` come from the model (a
        different value is an error naming both); ``epochs=0`` returns the model's vectors.
        Fitting the new text's counts alone forgets part of the old text; where the old text is
        still at hand, count both together and continue with :func:`fit_glove`'s ``init``.
    return_model : bool, default=False
        Also return everything needed to continue (``result.model``; always with ``init``).

    Returns
    -------
    TrainResult
        ``vectors``, ``context`` (W~), ``losses`` (mean weighted cost 0.5 * f(X) * diff^2 of
        each epoch), ``timings`` (``scan``, ``compile``, ``count``, ``entries``, ``train``),
        ``model`` (with ``return_model`` or ``init``).

    Raises
    ------
    EmbedkitError
        On a bad parameter (checked before the corpus is read).
    TrainingDivergedError
        When the cost becomes NaN, infinite or explodes (no vectors are returned).

    Examples
    --------
    >>> r = train_glove("data/sample.txt.xz", dim=10, epochs=2, min_count=50, threads=1)
    >>> r.vectors.dim, len(r.losses), r.context is not None
    (10, 2, True)
    """
    from .cooc import count_cooccurrences
    from .modelfile import check_fixed, load_init

    model = None
    if init is not None:
        model = load_init(init, "glove")
        fixed = check_fixed(model, dim=dim, window=window, weighting="harmonic")
        dim, window = fixed["dim"], fixed["window"]
    dim = 100 if dim is None else dim
    window = 10 if window is None else window
    _check(dim, x_max, weight_power, learning_rate, epochs, shuffle, vectors, seed, threads, continuing=model is not None)
    check_int("window", window, min=1)
    if max_vocab is not None and isinstance(max_vocab, int):
        check_dim(dim, max_vocab, max_vocab=True)
    memory = _check_memory(memory)
    rare = None
    if model is not None or return_model:
        from .warmstart import scan_for_model

        t0 = time.perf_counter()
        vocab, enc, rare = scan_for_model(corpus, min_count=min_count, max_vocab=max_vocab, lowercase=lowercase,
                                          progress=progress, model=model, tokenize=tokenize,
                                          keep_punctuation=keep_punctuation, threads=threads)
        scanned = {"scan": time.perf_counter() - t0}
        corpus = (vocab, enc)
    with fit_after_counting(lambda v, nnz: glove_need(v, dim, nnz, freed=csr_bytes(v, nnz)),
                            what="training GloVe", lower="--window, --dim or --max-vocab"):
        cooc = count_cooccurrences(corpus, window=window, weighting="harmonic", min_count=min_count,
                                   max_vocab=max_vocab, lowercase=lowercase, tokenize=tokenize,
                                   keep_punctuation=keep_punctuation, seed=seed, threads=threads, memory=memory,
                                   tmp_dir=tmp_dir, progress=progress)
    check_dim(dim, len(cooc.words))
    _check_need(cooc, dim, memory, owned=True)
    entries, timings = _entries(cooc, x_max=x_max, weight_power=weight_power, threads=threads, progress=progress,
                                memory=memory, tmp_dir=tmp_dir, seed=seed)
    vocab, counted = cooc.vocab, cooc.timings
    if rare is not None:
        counted = sum_timings(scanned, counted)
    del cooc  # the records replace the matrix (and its temporary folder, if counted on disk)
    start = None if model is None else _continue_params(model, vocab, dim, seed)
    info = None
    if rare is not None:
        settings = dict(dim=dim, window=window, weighting="harmonic", min_count=min_count, max_vocab=max_vocab,
                        lowercase=lowercase, x_max=x_max, weight_power=weight_power, learning_rate=learning_rate,
                        shuffle=shuffle, vectors=vectors, seed=seed)
        state = {"epochs_done": 0 if model is None else int(model.state.get("epochs_done", 0)),
                 "corpus_tokens": int(vocab.counts.sum())}
        info = (settings, state, rare)
    try:
        return _train(entries, vocab, sum_timings(counted, timings), dim=dim, learning_rate=learning_rate,
                      epochs=epochs, shuffle=shuffle, vectors=vectors, seed=seed, threads=threads, progress=progress,
                      init=start, model_info=info)
    finally:
        _close(entries)
