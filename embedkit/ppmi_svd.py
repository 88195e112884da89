"""PPMI + truncated SVD (Levy, Goldberg & Dagan 2015), on sparse matrices only.

PPMI(w, c) = max(log(X_wc * sum_c' P(c')) - log(sum_c X_wc) - log(P_cds(c)) - log(neg), 0) with the
context distribution smoothed, P_cds(c) = count(c)^cds / sum count^cds. The SVD is Halko et
al.'s randomized range finder with power iterations, whose sparse products run in a
Numba kernel over row chunks of equal work (scipy's sparse product is single-threaded).
No dense V x V matrix is ever built.
"""

from __future__ import annotations

import os
import shutil
import time
import warnings
import weakref

import numba
import numpy as np
import scipy.linalg
import scipy.sparse as sp
from numba import prange
from threadpoolctl import threadpool_limits

from ._compile import precompile, readonly
from ._prefetch import prefetch as _prefetch
from ._faults import array_bytes, check_memory, fit_after_counting, make_temp_dir, ppmi_need
from ._util import (balanced_chunks, check_bool, check_dim, check_float, check_int, check_seed, check_threads,
                    drop_pages, drop_read_pages, numba_threads, progress_bar, row_blocks, sum_timings)
from .errors import EmbedkitError, ParameterError
from .result import TrainResult

_PREFETCH = 8


@numba.njit(parallel=True, cache=True)
def _ppmi_rows(indptr, indices, data, log_row, log_ctx, shift, chunk_rows):
    """In place: data = max(log(data) - log_row[i] - log_ctx[j] - shift, 0). float32 data, float64 logs."""
    for c in prange(len(chunk_rows) - 1):
        for i in range(chunk_rows[c], chunk_rows[c + 1]):
            for a in range(indptr[i], indptr[i + 1]):
                v = np.log(np.float64(data[a])) - log_row[i] - log_ctx[indices[a]] - shift
                data[a] = v if v > 0.0 else 0.0


@numba.njit(parallel=True, fastmath=True, cache=True)
def _csr_dense_product(indptr, indices, data, y, out, chunk_rows):
    """out = A @ y for CSR A (float32 data) and C-contiguous float32 y (n, k); rows in chunks of equal nnz.

    The rows of y are random reads: each is prefetched ``_PREFETCH`` non-zeros ahead (1.5x fewer
    CPU seconds on the wiki17m PPMI matrix), and each output row is summed in a local buffer.
    """
    k = y.shape[1]
    nnz = len(indices)
    for c in prange(len(chunk_rows) - 1):
        acc = np.empty(k, np.float32)
        for i in range(chunk_rows[c], chunk_rows[c + 1]):
            acc[:] = 0.0
            for a in range(indptr[i], indptr[i + 1]):
                if a + _PREFETCH < nnz:
                    ahead = indices[a + _PREFETCH]
                    for t in range(0, k, 16):  # one hint per 64-byte line
                        _prefetch(y, ahead, t)
                v = data[a]
                row = y[indices[a]]
                for t in range(k):
                    acc[t] += v * row[t]
            for t in range(k):
                out[i, t] = acc[t]


@numba.njit(parallel=True, fastmath=True, cache=True)
def _csr_t_dense_product(indptr, indices, data, y, out, col_cuts):
    """out += A.T @ y for CSR A (float32 data, columns sorted within each row), y (n, k) and out (m, k)
    float32: slice s of the columns, [col_cuts[s], col_cuts[s + 1]), is summed by one thread, which
    finds its part of each row by binary search. No thread writes another's rows of ``out``, so no
    partial sums per thread are needed, and each entry is summed in row order whatever the threads."""
    k = y.shape[1]
    n = len(indptr) - 1
    for s in prange(len(col_cuts) - 1):
        c0, c1 = col_cuts[s], col_cuts[s + 1]
        for i in range(n):
            lo, hi = indptr[i], indptr[i + 1]
            if lo == hi or indices[lo] >= c1 or indices[hi - 1] < c0:
                continue
            first = lo + np.searchsorted(indices[lo:hi], c0)
            end = lo + np.searchsorted(indices[lo:hi], c1)
            row = y[i]
            for a in range(first, end):
                if a + _PREFETCH < end:  # the output rows are random writes: each one hinted ahead
                    ahead = indices[a + _PREFETCH]
                    for t in range(0, k, 16):
                        _prefetch(out, ahead, t)
                v = data[a]
                dst = out[indices[a]]
                for t in range(k):
                    dst[t] += v * row[t]


def _column_slices(col_nnz, n_threads):
    """Cuts of the columns into slices of about equal non-zeros, a few per thread, for
    :func:`_csr_t_dense_product`."""
    return balanced_chunks(np.concatenate([[0], np.cumsum(col_nnz)]), 4 * max(1, n_threads))


class _Operator:
    """A CSR matrix with fast parallel products by A and by A.T (no transposed copy: the columns
    of A in slices of about equal non-zeros, one thread each, :func:`_csr_t_dense_product`)."""

    def __init__(self, a, n_threads):
        self.a = a if a.has_sorted_indices else a.sorted_indices()
        self.rows = balanced_chunks(self.a.indptr, 16 * n_threads)
        self.col_cuts = _column_slices(np.bincount(self.a.indices, minlength=a.shape[1]), n_threads)

    def dot(self, y):
        y = np.ascontiguousarray(y, dtype=np.float32)
        out = np.empty((self.a.shape[0], y.shape[1]), np.float32)
        _csr_dense_product(self.a.indptr, readonly(self.a.indices), readonly(self.a.data), y, out, self.rows)
        return out

    def tdot(self, y):
        y = np.ascontiguousarray(y, dtype=np.float32)
        out = np.zeros((self.a.shape[1], y.shape[1]), np.float32)
        _csr_t_dense_product(self.a.indptr, readonly(self.a.indices), readonly(self.a.data), y, out, self.col_cuts)
        return out


def ppmi_matrix(cooc, *, cds=0.75, neg=1.0, threads=None):
    """Shifted positive PMI of a co-occurrence matrix, with context-distribution smoothing.

    Parameters
    ----------
    cooc : scipy.sparse matrix, V x V
        Co-occurrence counts (rows: words, columns: contexts).
    cds : float, default=0.75
        Exponent applied to context counts before normalising (1 = no smoothing).
    neg : float, default=1.0
        Shift: PMI - log(neg) (neg = 1 gives plain PPMI).
    threads : int or None, default=None

    Returns
    -------
    scipy.sparse.csr_matrix
        float32, explicit zeros removed.
    """
    check_float("cds", cds, min=0.0, max=1.0, min_open=True)  # smoothing: 1 is none
    check_float("neg", neg, min=0.0, min_open=True)
    check_threads(threads)
    m = sp.csr_matrix(cooc, dtype=np.float32, copy=True)
    m.sort_indices()
    row = np.asarray(m.sum(axis=1), dtype=np.float64).ravel()
    ctx = np.asarray(m.sum(axis=0), dtype=np.float64).ravel()
    ctx_cds = ctx ** cds
    with np.errstate(divide="ignore"):
        log_row = np.log(row)
        log_ctx = np.log(ctx_cds / ctx_cds.sum())
    with numba_threads(threads) as n:
        _ppmi_rows(m.indptr, m.indices, m.data, log_row, log_ctx, float(np.log(neg)),
                   balanced_chunks(m.indptr, 16 * n))
    m.eliminate_zeros()
    return m


def _sorted_rows(indptr, indices, data):
    """``indices`` and ``data`` with each row's columns in increasing order (unchanged when they
    already are, as in every matrix embedkit counts): the transpose product searches them."""
    down = np.diff(indices) < 0
    ends = indptr[1:-1] - 1  # the last entry of a row, followed by the next row's first: may go down
    down[ends[(ends >= 0) & (ends < len(down))]] = False
    if not down.any():
        return indices, data
    order = np.lexsort((indices, np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))))
    return indices[order], data[order]


class StreamedCSR:
    """A CSR matrix whose ``indices``/``data`` are files in ``folder`` (memory-mapped read-only) and
    whose products stream over blocks of rows of at most ``block`` non-zeros, each block's pages
    dropped after use: resident memory is one block plus the dense factors. :meth:`close` (or
    garbage collection) removes the folder."""

    def __init__(self, folder, indptr, shape, block, col_nnz):
        self.folder, self.indptr, self.shape, self.col_nnz = folder, indptr, shape, col_nnz
        nnz = int(indptr[-1])
        self.nnz = nnz
        self.indices = np.memmap(os.path.join(folder, "indices"), np.int32, "r", shape=(nnz,)) if nnz else \
            readonly(np.zeros(0, np.int32))
        self.data = np.memmap(os.path.join(folder, "data"), np.float32, "r", shape=(nnz,)) if nnz else \
            readonly(np.zeros(0, np.float32))
        self.cuts = row_blocks(indptr, block)
        self._closer = weakref.finalize(self, shutil.rmtree, folder, True)

    def close(self):
        self.indices = self.data = None
        self._closer()

    def _blocks(self):
        for r0, r1 in zip(self.cuts[:-1], self.cuts[1:]):
            a0, a1 = int(self.indptr[r0]), int(self.indptr[r1])
            yield r0, r1, (self.indptr[r0:r1 + 1] - a0).astype(self.indptr.dtype), a0, a1

    def operator(self, n_threads):
        return _StreamedOperator(self, n_threads)


class _StreamedOperator:
    """Products by a :class:`StreamedCSR` and by its transpose, a block of rows at a time."""

    def __init__(self, a, n_threads):
        self.a, self.n_chunks = a, 16 * n_threads
        self.col_cuts = _column_slices(a.col_nnz, n_threads)

    def dot(self, y):
        a = self.a
        y = np.ascontiguousarray(y, dtype=np.float32)
        out = np.empty((a.shape[0], y.shape[1]), np.float32)
        for r0, r1, local, a0, a1 in a._blocks():
            ind, dat = a.indices[a0:a1], a.data[a0:a1]
            _csr_dense_product(local, readonly(ind), readonly(dat), y, out[r0:r1],
                               balanced_chunks(local, self.n_chunks))
            drop_read_pages(a.indices, a1)
            drop_read_pages(a.data, a1)
        return out

    def tdot(self, y):
        a = self.a
        y = np.ascontiguousarray(y, dtype=np.float32)
        out = np.zeros((a.shape[1], y.shape[1]), np.float32)
        for r0, r1, local, a0, a1 in a._blocks():
            ind, dat = a.indices[a0:a1], a.data[a0:a1]
            _csr_t_dense_product(local, readonly(ind), readonly(dat), y[r0:r1], out, self.col_cuts)
            drop_read_pages(a.indices, a1)
            drop_read_pages(a.data, a1)
        return out


#: bytes of the memory budget per non-zero of a block (indices and data, then their PPMI copies)
PPMI_BUDGET_PER_NNZ = 24


def ppmi_on_disk(cooc, *, memory, tmp_dir=None, cds=0.75, neg=1.0, threads=None):
    """:func:`ppmi_matrix` of CSR ``cooc`` written to files in a new folder in ``tmp_dir``, a block of
    rows at a time within ``memory`` bytes (two passes: the sums, then the PPMI values).
    Returns a :class:`StreamedCSR` (the same matrix as :func:`ppmi_matrix`)."""
    V, M = cooc.shape
    block = max(1024, int(memory) // PPMI_BUDGET_PER_NNZ)
    indptr, indices, data = cooc.indptr, cooc.indices, cooc.data
    folder = make_temp_dir("ppmi", tmp_dir)  # named after this process, so a killed run's folder is swept later
    try:
        cuts = row_blocks(indptr, block)
        row = np.zeros(V, np.float64)
        ctx = np.zeros(M, np.float64)
        for r0, r1 in zip(cuts[:-1], cuts[1:]):  # pass 1: row and column sums
            a0, a1 = int(indptr[r0]), int(indptr[r1])
            d = np.asarray(data[a0:a1], np.float64)
            ind = indices[a0:a1]
            c = np.concatenate(([0.0], np.cumsum(d)))
            row[r0:r1] = c[indptr[r0 + 1:r1 + 1] - a0] - c[indptr[r0:r1] - a0]
            ctx += np.bincount(ind, weights=d, minlength=M)
            drop_read_pages(indices, a1)
            drop_read_pages(data, a1)
            del d, c
        ctx_cds = ctx ** cds
        with np.errstate(divide="ignore"):
            log_row = np.log(row)
            log_ctx = np.log(ctx_cds / ctx_cds.sum())
        new_ptr = np.zeros(V + 1, np.int64)
        col_nnz = np.zeros(M, np.int64)
        with open(os.path.join(folder, "indices"), "wb") as fi, open(os.path.join(folder, "data"), "wb") as fd, \
                numba_threads(threads) as n:
            for r0, r1 in zip(cuts[:-1], cuts[1:]):  # pass 2: the PPMI values, explicit zeros dropped
                a0, a1 = int(indptr[r0]), int(indptr[r1])
                local = (indptr[r0:r1 + 1] - indptr[r0]).astype(indptr.dtype)
                ind = np.array(indices[a0:a1], np.int32)
                d = np.array(data[a0:a1], np.float32)
                drop_read_pages(indices, a1)
                drop_read_pages(data, a1)
                ind, d = _sorted_rows(local, ind, d)
                _ppmi_rows(local, ind, d, np.ascontiguousarray(log_row[r0:r1]), log_ctx, float(np.log(neg)),
                           balanced_chunks(local, 16 * n))
                keep = d > 0
                kept = np.concatenate(([0], np.cumsum(keep, dtype=np.int64)))
                new_ptr[r0 + 1:r1 + 1] = new_ptr[r0] + kept[local[1:]]
                ind = ind[keep]
                col_nnz += np.bincount(ind, minlength=M)
                ind.tofile(fi)
                d[keep].tofile(fd)
                del ind, d, keep, kept
        if new_ptr[-1] < 2**31:
            new_ptr = new_ptr.astype(indptr.dtype if indptr.dtype == np.int32 else np.int64)
        return StreamedCSR(folder, new_ptr, (V, M), block, col_nnz)
    except OSError as e:
        shutil.rmtree(folder, ignore_errors=True)
        raise EmbedkitError(f"cannot write the PPMI matrix in {folder}: {e.strerror or e}") from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


#: rows of a tall factor changed at a time in place (:func:`_times_in_place`, the shift)
TIMES_ROWS = 1 << 14


def _times_in_place(y, m):
    """y = y @ m for a tall (n, k) float64 y and a (k, k) m, in y's own memory: a block of rows at a
    time (each row of the product needs only the same row of y), so no second n x k array is made."""
    for r in range(0, len(y), TIMES_ROWS):
        y[r:r + TIMES_ROWS] = y[r:r + TIMES_ROWS] @ m
    return y


def _orthonormalize(y, passes=2):
    """A basis of y's columns by Cholesky QR (orthonormal after 2 passes; QR as the fallback).

    One pass is enough between power iterations, which only need a well-conditioned basis.
    A float64 ``y`` is overwritten (the callers no longer need it); float32 is copied first.
    """
    y = y.astype(np.float64, copy=False)
    for _ in range(passes):
        try:
            chol = np.linalg.cholesky(y.T @ y)
        except np.linalg.LinAlgError:
            return np.linalg.qr(y)[0]
        _times_in_place(y, scipy.linalg.solve_triangular(chol, np.eye(len(chol)), lower=True).T)
    return y


def _shifted_basis(y):
    """Orthonormal basis of y's columns and their singular values (ascending), from the eigenvectors of y^T y.

    Returns ``(basis, None)`` through a QR when y is (nearly) rank-deficient. A float64 ``y`` is
    overwritten with the basis.
    """
    y = y.astype(np.float64, copy=False)
    d, v = np.linalg.eigh(y.T @ y)
    if not d[0] > d[-1] * 1e-10:
        return np.linalg.qr(y)[0], None
    s = np.sqrt(d)
    return _times_in_place(y, v / s), s


#: columns of the randomized SVD's basis beyond the dimension asked for
OVERSAMPLE = 10


def randomized_svd(a, dim, *, n_iter=4, oversample=OVERSAMPLE, seed=0, threads=None, callback=None):
    """Top ``dim`` singular triplets of sparse ``a`` (Halko, Martinsson & Tropp 2011), signs fixed.

    Each power iteration multiplies the basis by A A^T - alpha I, with alpha raised towards the
    smallest squared singular value estimated so far (the dynamic shifts of Feng et al.'s
    dashSVD, 2018): the top directions then separate faster, and on the wiki17m PPMI matrix
    4 shifted iterations score as well as 5 plain ones.
    Returns ``(u, s, vt)`` with u (n, dim) float32, s (dim,) float64, vt (dim, m) float32; the
    sign of each pair is chosen so that the largest-magnitude entry of u's column is positive.
    ``callback``, if given, is called with no argument after each of the ``2 * n_iter + 2``
    sparse products (for a progress bar). ``a`` may be a :class:`StreamedCSR` (products streamed
    over blocks of rows from disk).
    """
    return _randomized_svd([a], dim, n_iter=n_iter, oversample=oversample, seed=seed, threads=threads,
                           callback=callback)


def _randomized_svd(held, dim, *, n_iter, oversample, seed, threads, callback):
    """:func:`randomized_svd` of the matrix in the one-item list ``held``, which it empties: when no
    other reference is left (``fit_ppmi_svd`` keeps none), an in-memory matrix is freed after the
    last product, before the small SVD and U and V are made."""
    a = held.pop()
    check_int("n_iter", n_iter, min=0, max=100)
    check_int("oversample", oversample, min=0)
    streamed = isinstance(a, StreamedCSR)
    if not streamed:
        a = sp.csr_matrix(a, dtype=np.float32)
    n, m = a.shape
    if dim > min(n, m):
        raise EmbedkitError(f"dim must be <= the vocabulary size ({min(n, m)}), got {dim}")
    k = min(dim + oversample, min(n, m))
    rng = np.random.default_rng(seed)
    # BLAS threads left spinning after each small dense step would steal the cores from the
    # Numba products (measured: 3.6x slower SVD on 2 cores), so dense work runs on one thread.
    tick = callback or (lambda: None)
    with numba_threads(threads) as n_threads, threadpool_limits(1):
        op = a.operator(n_threads) if streamed else _Operator(a, n_threads)
        q = _orthonormalize(op.dot(rng.standard_normal((m, k), dtype=np.float32)), 1)
        tick()
        alpha = 0.0
        for _ in range(n_iter):
            z = op.tdot(q)
            tick()
            y = op.dot(z).astype(np.float64)
            z = None  # the dense factors are V x k each: q and y alone here (the new basis is made in y)
            tick()
            if alpha:
                for r in range(0, n, TIMES_ROWS):  # y -= alpha * q, without a temporary the size of q
                    y[r:r + TIMES_ROWS] -= alpha * q[r:r + TIMES_ROWS]
            q = None
            q, sv = _shifted_basis(y)  # sv estimates sigma^2 - alpha over the basis
            y = None
            if sv is not None and sv[0] > alpha:
                alpha = (alpha + sv[0]) / 2
        q = _orthonormalize(q)
        bt = op.tdot(q)  # (m, k) = (Q^T A)^T
        tick()
        op = a = None  # the matrix, no longer needed (freed if the caller handed it over)
    # SVD of the small k x m matrix B = bt.T through bt = Qb R: B = R.T Qb.T = (Ur S Vr.T) Qb.T
    qb = _orthonormalize(bt)
    r = qb.T @ bt
    bt = None  # each V x k factor is let go once used
    ur, s, vrt = np.linalg.svd(r.T, full_matrices=False)
    u = _times_in_place(q, ur)[:, :dim]  # U = Q Ur, V = Qb Vr, in the bases' own memory
    s = s[:dim]
    vt = _times_in_place(qb, vrt.T)[:, :dim].T
    signs = np.sign(u[np.abs(u).argmax(axis=0), np.arange(dim)])
    signs[signs == 0] = 1.0
    u *= signs
    vt *= signs[:, None]
    return u.astype(np.float32), s, vt.astype(np.float32)


def _check(dim, cds, neg, eig, add_context, n_iter, seed, threads):
    check_int("dim", dim, min=1)
    check_float("cds", cds, min=0.0, max=1.0, min_open=True)  # smoothing: 1 is none
    check_float("neg", neg, min=0.0, min_open=True)
    check_float("eig", eig, min=0.0)
    check_bool("add_context", add_context)
    check_int("n_iter", n_iter, min=0, max=100)
    check_seed(seed)
    check_threads(threads)


def compile_kernels(m):
    """Compile the PPMI and product kernels for the array types of CSR ``m`` (no work is done)."""
    none = np.zeros(2, np.int64)  # one empty chunk: the kernels are typed and compiled, nothing runs
    logs = np.zeros(m.shape[0], np.float64)
    y = np.zeros((m.shape[1], 1), np.float32)
    calls = [(_ppmi_rows, (m.indptr, m.indices, m.data, logs, logs, 0.0, none)),
             (_csr_dense_product, (m.indptr, readonly(m.indices), readonly(m.data), y,
                                   np.zeros((m.shape[0], 1), np.float32), none)),
             (_csr_t_dense_product, (m.indptr, readonly(m.indices), readonly(m.data), y,
                                     np.zeros((m.shape[1], 1), np.float32), none))]
    precompile(*calls)  # a cold cache compiles in a child process, so not in this one's peak RSS
    for kernel, args in calls:
        kernel(*args)


def fit_ppmi_svd(cooc, *, dim=100, cds=0.75, neg=1.0, eig=0.5, add_context=False, n_iter=4, seed=1, threads=None,
                 memory=None, tmp_dir=None, progress=False):
    """Vectors from co-occurrence counts: PPMI, randomized SVD, then U * S^eig (+ V * S^eig).

    Parameters
    ----------
    cooc : Cooccurrence
        From :func:`embedkit.cooc.count_cooccurrences` or :func:`embedkit.cooc.load_cooccurrences`
        (uniform weighting expected: harmonic counts get a warning).
    dim, cds, neg, eig, add_context, n_iter, seed, threads, progress
        See :func:`train_ppmi_svd`.
    memory : int, str or None, default=None
        When the PPMI matrix and the counts it is made from (16 bytes per non-zero) need more
        than this many bytes, the matrix is built a block of rows at a time into files in
        ``tmp_dir``, and the SVD's products stream over it (same vectors to float tolerance; resident
        memory: the budget plus the dense factors). None: in memory.
    tmp_dir : str or None, default=None
        Folder for the matrix files (default: the system's temporary folder); removed at the end.

    Returns
    -------
    TrainResult
        ``vectors`` (U * S^eig, plus V * S^eig with ``add_context``), ``context`` (V * S^eig),
        ``timings`` (``compile``, ``ppmi``, ``svd``); no ``losses``.

    Examples
    --------
    >>> from embedkit.cooc import count_cooccurrences
    >>> c = count_cooccurrences("data/sample.txt.xz", window=5, min_count=20)
    >>> r = fit_ppmi_svd(c, dim=20)
    >>> r.vectors.matrix.shape == (len(c.words), 20), r.context.dim, list(r.timings)
    (True, 20, ['compile', 'ppmi', 'svd'])
    """
    from .cooc import Cooccurrence

    _check(dim, cds, neg, eig, add_context, n_iter, seed, threads)
    if not isinstance(cooc, Cooccurrence):
        raise EmbedkitError(f"cooc must be a Cooccurrence (from count_cooccurrences or load_cooccurrences), "
                            f"got {type(cooc).__name__}")
    check_dim(dim, len(cooc.words))
    if cooc.params["weighting"] == "harmonic":
        warnings.warn(f"{cooc.path or 'the matrix'} was counted with harmonic weighting; PPMI expects uniform "
                      "counts (embedkit cooc --weighting uniform)", stacklevel=2)
    return _fit(cooc, {}, dim=dim, cds=cds, neg=neg, eig=eig, add_context=add_context, n_iter=n_iter, seed=seed,
                threads=threads, memory=memory, tmp_dir=tmp_dir, progress=progress)


def _fit(cooc, before, *, dim, cds, neg, eig, add_context, n_iter, seed, threads, memory, tmp_dir, progress):
    """PPMI+SVD of a checked ``cooc``; ``before`` are the timings of the stages before (counting)."""
    from .vectors import Vectors

    if memory is not None:
        from .cooc import parse_memory

        memory = parse_memory(memory) if isinstance(memory, str) else check_int("memory", memory, min=1)
    m = cooc.matrix
    mapped = array_bytes(m.indptr, m.indices, m.data)[1]
    need = ppmi_need(len(cooc.words), dim, m.nnz, add_context=add_context, memory=memory, mapped=mapped)
    check_memory(need, what="PPMI+SVD", lower="--dim, --max-vocab or --memory")
    timings = {}
    t0 = time.perf_counter()
    with progress_bar(total=1, desc="compiling PPMI+SVD kernels", enabled=progress) as bar:
        compile_kernels(sp.csr_matrix(([], [], np.zeros(2, np.int32)), shape=(1, 1), dtype=np.float32))
        bar.update(1)
    t1 = time.perf_counter()
    timings["compile"] = t1 - t0
    with progress_bar(total=1, desc="ppmi", enabled=progress) as bar:
        if memory is not None and 16 * cooc.matrix.nnz > memory:
            pmi = ppmi_on_disk(cooc.matrix, memory=memory, tmp_dir=tmp_dir, cds=cds, neg=neg, threads=threads)
        else:
            pmi = ppmi_matrix(cooc.matrix, cds=cds, neg=neg, threads=threads)
            for a in (cooc.matrix.indices, cooc.matrix.data):
                drop_pages(a)  # a folder's counts, read once by the copy: out of resident memory during the SVD
        bar.update(1)
    try:
        t2 = time.perf_counter()
        timings["ppmi"] = t2 - t1
        if pmi.nnz == 0:
            if neg > 1:  # shifted PPMI keeps only PMI above log(neg)
                raise ParameterError(f"the PPMI matrix is all zeros: no pair's PMI is above log({{neg}}) = "
                                     f"{np.log(neg):.3g}; lower {{neg}} ({neg:g})", "neg")
            raise EmbedkitError("the PPMI matrix is all zeros: the corpus is too small for these settings")
        held = [pmi]  # handed over: an in-memory PPMI matrix is freed inside, after the last product
        if not isinstance(pmi, StreamedCSR):
            pmi = None
        with progress_bar(total=2 * n_iter + 2, desc="svd", unit="product", enabled=progress) as bar:
            u, s, vt = _randomized_svd(held, dim, n_iter=n_iter, oversample=OVERSAMPLE, seed=seed, threads=threads,
                                       callback=lambda: bar.update(1))
        timings["svd"] = time.perf_counter() - t2
    finally:
        if isinstance(pmi, StreamedCSR):
            pmi.close()
    with np.errstate(over="ignore"):
        scale = (s ** eig).astype(np.float32)
    if not np.isfinite(scale).all():
        raise ParameterError(f"the vectors overflow (singular values up to {s.max():.3g} to the power "
                             f"{{eig}}={eig:g}): lower {{eig}}", "eig")
    c = vt.T * scale
    w = u * scale
    if add_context:
        w += c
    words, counts = list(cooc.words), cooc.vocab.counts
    return TrainResult(vectors=Vectors(words, np.ascontiguousarray(w, dtype=np.float32), counts),
                       context=Vectors(words, np.ascontiguousarray(c, dtype=np.float32), counts),
                       losses=[], timings=sum_timings(before, timings), words_per_sec=None, model=None)


def train_ppmi_svd(corpus, *, dim=100, window=5, min_count=5, max_vocab=None, lowercase=False,
                   tokenize="whitespace", keep_punctuation=False, cds=0.75,
                   neg=1.0, eig=0.5, dynamic_window=False, sample=0.0, add_context=False, n_iter=4, seed=1,
                   threads=None, memory=None, tmp_dir=None, progress=False):
    """Train PPMI+SVD vectors on a corpus: scan, count (uniform window), PPMI, SVD.

    Parameters
    ----------
    corpus : str, Path, list of them, or (Vocab, EncodedCorpus)
        Text file (plain, .gz, .bz2, .xz), folder, ``"-"`` for stdin, a list of those, or the
        pair from ``embedkit.vocab.scan_corpus`` (then min_count, max_vocab, lowercase,
        tokenize and keep_punctuation do not apply).
    dim : int, default=100
        Vector size; at most the vocabulary size.
    window : int, default=5
        Context words on each side (uniform weighting).
    min_count : int, default=5
    max_vocab : int or None, default=None
    lowercase : bool, default=False
    tokenize : {"whitespace", "words", "text8"}, default="whitespace"
        How text becomes tokens (see :func:`embedkit.corpus.tokenize_piece`).
    keep_punctuation : bool, default=False
        With ``tokenize="words"``, keep punctuation marks as tokens.
    cds : float, default=0.75
        Context-distribution smoothing exponent.
    neg : float, default=1.0
        Shifted PPMI: subtract log(neg).
    eig : float, default=0.5
        Eigenvalue weighting: vectors are U * S**eig.
    dynamic_window : bool, default=False
    sample : float, default=0.0
        Subsample frequent words before counting.
    add_context : bool, default=False
        Return W + C (U S^eig + V S^eig).
    n_iter : int, default=4
        Power iterations of the randomized SVD.
    seed : int, default=1
        Seed of the counting draws (dynamic window, subsampling) and of the SVD.
    threads : int or None, default=None
    memory : int, str or None, default=None
        Count co-occurrences within this many bytes of buffers, spilling sorted runs to
        ``tmp_dir`` and merging them into a memory-mapped matrix (same result); then, when
        the PPMI matrix needs more, build it on disk and stream the SVD's products over it
        (see :func:`fit_ppmi_svd`). None does both in memory, after checking, before
        counting, that counting and the fit fit in the available memory (from the non-zeros
        estimated on samples of the corpus; ``MemoryLimitError`` if not).
    tmp_dir : str or None, default=None
        Folder for the spilled runs and the PPMI matrix (default: the system's temporary
        folder); both are removed at the end.
    progress : bool, default=False

    Returns
    -------
    TrainResult
        ``vectors``, ``context`` (V * S^eig), ``timings`` (``scan``, ``compile``, ``count``,
        ``ppmi``, ``svd``).

    Examples
    --------
    >>> r = train_ppmi_svd("data/sample.txt.xz", dim=20, min_count=20)
    >>> r.vectors.dim, r.vectors.words[0]
    (20, 'the')
    """
    from .cooc import count_cooccurrences

    _check(dim, cds, neg, eig, add_context, n_iter, seed, threads)
    if max_vocab is not None and isinstance(max_vocab, int):
        check_dim(dim, max_vocab, max_vocab=True)
    with fit_after_counting(lambda v, nnz: ppmi_need(v, dim, nnz, add_context=add_context),
                            what="PPMI+SVD", lower="--window, --dim or --max-vocab"):
        cooc = count_cooccurrences(corpus, window=window, weighting="uniform", dynamic_window=dynamic_window,
                                   sample=sample, min_count=min_count, max_vocab=max_vocab, lowercase=lowercase,
                                   tokenize=tokenize, keep_punctuation=keep_punctuation, seed=seed,
                                   threads=threads, memory=memory, tmp_dir=tmp_dir, progress=progress)
    check_dim(dim, len(cooc.words))
    return _fit(cooc, cooc.timings, dim=dim, cds=cds, neg=neg, eig=eig, add_context=add_context, n_iter=n_iter,
                seed=seed, threads=threads, memory=memory, tmp_dir=tmp_dir, progress=progress)

