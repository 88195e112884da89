"""Spill-and-merge and on-disk store backends: counts in bounded memory, stored as a memory-mapped CSR matrix.

The corpus is counted block by block (``_count.count_block``), with the block
size chosen from a memory bound. Each block's CSR counts are spilled as a *run* (three raw
files: row pointers, column indices, values) to a temporary folder. The runs are then merged
by ranges of rows: for each range, every run's slice of those rows is read, the rows are
summed in a Numba kernel (a dense accumulator per chunk of rows, as in counting), and the
result is appended to the output files. Partial sums are float64 (exact for uniform counts)
and rounded to float32 once, so the matrix equals the in-memory one.

An output folder holds ``indptr.npy`` (int64, V + 1), ``indices.npy`` (int32, or int64 past
2**31 non-zeros), ``data.npy`` (float32), ``vocab.txt`` (``word count`` lines) and
``meta.json`` (the format, the shape, every counting parameter and a few figures), and, when
counted from text into a folder, ``rare.txt``: the words left out of the vocabulary with their
counts, so that new text added later sums its counts with theirs. It is
written as a hidden folder beside the output and renamed at the end. Stores written before
the counting parameters were all recorded still load: the parameters they lack read as
:data:`UNKNOWN`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import struct
import tempfile
from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp
from numba import prange

from .. import _faults
from .._integrity import MANIFEST, has_manifest, verify_manifest, write_manifest
from .._util import (WRITTEN, balanced_chunks, check_bool, check_choice, check_float, check_int, check_seed,
                     drop_read_pages, numba_threads, page_dropper, progress_bar, row_blocks)
from ..errors import EmbedkitError, ParameterError
from ..vocab import Vocab, keep_probabilities
from ._count import fill_block, row_nonzeros

FORMAT = "embedkit-cooc/1"
META_FILE = "meta.json"
VOCAB_FILE = "vocab.txt"
RARE_FILE = "rare.txt"
#: bytes per block token besides the counts, an upper bound of both passes: the first holds the block's
#: ids, working sequence and position index (12), the second the sequence and index (8) beside the counts
TOKEN_BYTES = 16
#: bytes per non-zero of a block in memory: int32 column + float64 value
BLOCK_NNZ_BYTES = 12
#: bytes per input non-zero while merging: column + float64 value in, column + float32 value out
MERGE_NNZ_BYTES = 4 + 8 + 8 + 4
#: safety factor on the non-zeros per token measured on the previous block
GROWTH_MARGIN = 1.25

#: default memory bound of the spill-and-merge and store backends
DEFAULT_MEMORY = 1 << 30
#: the counting parameters, each recorded with the matrix
#: the files of a store, each checksummed in its MANIFEST.json
STORE_FILES = ("indptr.npy", "indices.npy", "data.npy", VOCAB_FILE, META_FILE)
COUNT_PARAMS = ("window", "weighting", "dynamic_window", "sample", "min_count", "max_vocab", "lowercase", "tokenize",
                "keep_punctuation", "seed")


class _Unknown:
    """The value of a counting parameter that a store does not record."""

    def __repr__(self):
        return "UNKNOWN"

    def __reduce__(self):
        return "UNKNOWN"


#: a parameter whose value is not known (an older store, or a corpus given already scanned)
UNKNOWN = _Unknown()

_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_memory(text):
    """Bytes from a size such as ``"512M"``, ``"2G"``, ``"1.5G"`` or ``"300000"`` (K/M/G/T are powers of 1024).

    Examples
    --------
    >>> parse_memory("1.5G"), parse_memory("512M"), parse_memory("4096")
    (1610612736, 536870912, 4096)
    """
    m = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([kmgt]?)(?:i?b)?\s*", str(text), re.IGNORECASE)
    if not m:
        raise EmbedkitError(f"memory must be a size like 512M, 2G or 1.5G; got {text!r}")
    value = int(float(m.group(1)) * _UNITS[m.group(2).lower()])
    if value < 1:
        raise EmbedkitError(f"memory must be at least 1 byte, got {text!r}")
    return value


def _fixed_bytes(vocab_size, n_threads):
    """Memory of a count or merge call that does not grow with the block: per-row arrays and per-thread accumulators."""
    return vocab_size * (48 + 16 * n_threads) + (1 << 16)


def block_tokens_for(memory, vocab_size, window, *, n_threads=1, nnz_per_token=None, dynamic_window=False):
    """Tokens per block so that counting one block stays within ``memory`` bytes.

    Without a measurement, every token is assumed to add ``2 * window`` non-zeros (the most it
    can); later blocks pass the ratio measured on the previous one (times a margin, at least 1).
    """
    fixed = _fixed_bytes(vocab_size, n_threads)
    if memory <= fixed:
        raise ParameterError(f"{{memory}} {_size(memory)} is too small for a vocabulary of {vocab_size} words "
                             f"(counting needs more than {_size(fixed)})", "memory")
    worst = 2 * window
    rate = worst if nnz_per_token is None else min(worst, max(1.0, GROWTH_MARGIN * nnz_per_token))
    per_token = TOKEN_BYTES + (4 if dynamic_window else 0) + BLOCK_NNZ_BYTES * rate
    return max(1, int((memory - fixed) / per_token))


def _size(n):
    for unit in ("B", "K", "M", "G"):
        if n < 1024:
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1024
    return f"{n:.1f}T"


# ---------------------------------------------------------------- runs (spilled blocks)
@dataclass(frozen=True)
class Run:
    """One spilled block: raw files ``prefix.ptr`` (int64, V + 1), ``prefix.idx`` (int32), ``prefix.val``."""

    prefix: str
    nnz: int
    value_dtype: str

    def row_nnz(self, vocab_size):
        """Non-zeros per row (int64, V)."""
        return np.diff(_read(self.prefix + ".ptr", np.int64, 0, vocab_size + 1))

    def row_ptr(self, r0, n):
        """Pointers of rows r0 .. r0 + n (int64, n + 1; positions in the run's files)."""
        return _read(self.prefix + ".ptr", np.int64, r0, n + 1)

    def read(self, r0, p, cols, vals):
        """The non-zeros of the rows ``row_ptr(r0, n)`` gave as ``p`` into ``cols``/``vals``."""
        a, cnt = int(p[0]), int(p[-1] - p[0])
        cols[:] = _read(self.prefix + ".idx", np.int32, a, cnt)
        vals[:] = _read(self.prefix + ".val", self.value_dtype, a, cnt)


@numba.njit(cache=True)
def _gather_rows(old_rows, indptr, indices, data, col_map, cols, vals):
    """Rows ``old_rows`` (-1: an empty row) of a CSR matrix, one after the other, columns renumbered
    by ``col_map``, into ``cols``/``vals``."""
    at = 0
    for i in range(len(old_rows)):
        o = old_rows[i]
        if o < 0:
            continue
        for a in range(indptr[o], indptr[o + 1]):
            cols[at] = col_map[indices[a]]
            vals[at] = data[a]
            at += 1
    return at


class StoredRows:
    """A stored co-occurrence matrix read as one more run of a merge, in a larger vocabulary.

    ``new_ids[i]`` is the row (and column) of the stored matrix's word i in the merged
    vocabulary; rows of words the store lacks are empty. The store's files are read in place
    (memory-mapped), row range by row range, and never copied; their pages leave this process's
    resident memory after each range, so the merge stays within its bound.
    """

    def __init__(self, matrix, new_ids, vocab_size):
        self.nnz = int(matrix.nnz)
        self.new_ids = np.asarray(new_ids, np.int32)
        self.old_rows = np.full(vocab_size, -1, np.int64)
        self.old_rows[self.new_ids] = np.arange(len(self.new_ids))
        indptr = np.asarray(matrix.indptr, np.int64)
        self.lengths = np.zeros(vocab_size, np.int64)
        self.lengths[self.new_ids] = np.diff(indptr)
        self.indptr = indptr
        self.indices, self.data = np.asarray(matrix.indices).view(), np.asarray(matrix.data).view()
        for a in (self.indices, self.data):
            a.flags.writeable = False  # read-only as when memory-mapped from a folder: one kernel type
        self._drop = [page_dropper(self.indices), page_dropper(self.data)]

    def row_nnz(self, vocab_size):
        return self.lengths.copy()

    def row_ptr(self, r0, n):
        p = np.zeros(n + 1, np.int64)
        np.cumsum(self.lengths[r0:r0 + n], out=p[1:])
        return p

    def read(self, r0, p, cols, vals):
        n = len(p) - 1
        _gather_rows(self.old_rows[r0:r0 + n], self.indptr, self.indices, self.data, self.new_ids, cols, vals)
        for drop, a in zip(self._drop, (self.indices, self.data)):
            drop(0, len(a))


def _os_error(what, e):
    return EmbedkitError(f"cannot {what}: {e.strerror or e}" + (f" ({e.filename})" if e.filename else ""))


def write_run(prefix, m):
    """Spill CSR block ``m`` (sorted indices) as a run; returns its ``Run``."""
    try:
        np.asarray(m.indptr, np.int64).tofile(prefix + ".ptr")
        np.asarray(m.indices, np.int32).tofile(prefix + ".idx")
        m.data.tofile(prefix + ".val")
    except OSError as e:
        if _faults.is_no_space(e):
            size = 8 * len(m.indptr) + (4 + m.data.itemsize) * m.nnz
            done = sum(os.path.getsize(prefix + x) for x in (".ptr", ".idx", ".val") if os.path.exists(prefix + x))
            raise _faults.no_space_error(e, os.path.dirname(prefix), "spill files", size - done) from None
        raise _os_error("write spill files", e) from None
    return Run(prefix, int(m.nnz), m.data.dtype.str)


def _read(path, dtype, start, count):
    dtype = np.dtype(dtype)
    with open(path, "rb") as f:
        f.seek(start * dtype.itemsize)
        a = np.fromfile(f, dtype, count)
    if len(a) != count:
        raise EmbedkitError(f"spill file {path} is truncated (expected {count} values at {start}, read {len(a)})")
    return a


def spill_runs(encoded, folder, *, memory, window=5, weighting="uniform", dynamic_window=False, sample=0.0,
               seed=0, threads=None, progress=False, prefix="run"):
    """Count ``encoded`` block by block within ``memory`` bytes, spilling each block as a run in ``folder``.

    Blocks end at sentence ends; the first is sized for the worst case, later ones from the
    non-zeros per token measured on the previous block (and at most 4 times its size).
    Values are float64 (harmonic) or float32 (uniform: whole numbers, exact). Returns the
    list of ``Run``.
    """
    V = encoded.vocab_size
    keep = keep_probabilities(encoded.counts, sample)
    offsets = encoded.offsets
    drop_offsets = page_dropper(offsets)  # memory-mapped offsets: a search maps folios all over them
    harmonic = weighting == "harmonic"
    value_dtype = np.float64 if harmonic else np.float32
    source = getattr(encoded.ids, "filename", None)  # read blocks from the id file, not through the map
    runs, ratio, s0, last = [], None, 0, None
    with numba_threads(threads) as n_threads, \
            progress_bar(total=encoded.n_tokens, desc="counting", unit="tok", enabled=progress) as bar:
        while s0 < len(offsets) - 1:
            size = block_tokens_for(memory, V, window, n_threads=n_threads, nnz_per_token=ratio,
                                    dynamic_window=dynamic_window)
            size = size if last is None else min(size, 4 * last)
            s1 = max(s0 + 1, int(np.searchsorted(offsets, offsets[s0] + size, side="right")) - 1)
            lo, hi = int(offsets[s0]), int(offsets[s1])
            ids = (_read(source, np.int32, encoded.ids.offset // 4 + lo, hi - lo) if source
                   else np.asarray(encoded.ids[lo:hi]))
            nnz, state = row_nonzeros(ids, offsets[s0:s1 + 1] - lo, keep, seed=seed, base=lo, window=window,
                                      dynamic=bool(dynamic_window), harmonic=harmonic, vocab_size=V,
                                      n_threads=n_threads, dtype=value_dtype)
            del ids  # the fill pass reads the working sequence: free the ids before the counts are allocated
            m = fill_block(nnz, state, window=window, dynamic=bool(dynamic_window), harmonic=harmonic,
                           vocab_size=V, dtype=value_dtype)
            del nnz, state
            ratio, last = m.nnz / max(hi - lo, 1), hi - lo
            if m.nnz:
                runs.append(write_run(os.path.join(folder, f"{prefix}{len(runs):05d}"), m))
            del m
            drop_offsets(0, len(offsets))
            bar.update(hi - lo)
            s0 = s1
    return runs


# ---------------------------------------------------------------- merging runs by row ranges
@numba.njit(parallel=True, cache=True)
def _merge_rows(ptrs, cols, vals, n_cols, chunk_rows, out_ptr, out_cols, out_vals):
    """Sum the rows of R runs: row i of run k is cols/vals[ptrs[k, i]:ptrs[k, i + 1]].

    ptrs int64 (R, n + 1), cols int32/int64, vals float64. With an empty ``out_ptr`` only the
    non-zeros per row are counted; otherwise row i is written sorted to out_cols/out_vals
    from out_ptr[i] (float32 values). Returns non-zeros per row (int64, n).
    """
    n = ptrs.shape[1] - 1
    fill = len(out_ptr) > 0
    nnz = np.zeros(n, np.int64)
    for c in prange(len(chunk_rows) - 1):
        mark = np.full(n_cols, -1, np.int64)
        acc = np.zeros(n_cols if fill else 1, np.float64)
        touched = np.empty(n_cols, np.int64)
        for i in range(chunk_rows[c], chunk_rows[c + 1]):
            k = 0
            for r in range(ptrs.shape[0]):
                for a in range(ptrs[r, i], ptrs[r, i + 1]):
                    j = cols[a]
                    if mark[j] != i:
                        mark[j] = i
                        touched[k] = j
                        k += 1
                        if fill:
                            acc[j] = 0.0
                    if fill:
                        acc[j] += vals[a]
            nnz[i] = k
            if fill and k > 0:
                order = np.sort(touched[:k])
                out = out_ptr[i]
                for t in range(k):
                    out_cols[out + t] = order[t]
                    out_vals[out + t] = np.float32(acc[order[t]])
    return nnz


def _npy_header(dtype, n):
    """A .npy (version 1.0) header of fixed length 128 for a 1-D array of ``n`` items of ``dtype``."""
    d = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": (int(n),)}
    body = repr(d).ljust(128 - 10 - 1) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(body)) + body.encode("latin1")


def _row_ranges(row_nnz, budget_nnz, max_rows):
    """Cut rows into consecutive ranges of at most ``budget_nnz`` input non-zeros and ``max_rows`` rows."""
    cuts, start, V = [0], 0, len(row_nnz)
    cum = np.concatenate([[0], np.cumsum(row_nnz)])
    while start < V:
        end = int(np.searchsorted(cum, cum[start] + budget_nnz, side="right")) - 1
        end = min(max(end, start + 1), start + max_rows, V)
        cuts.append(end)
        start = end
    return cuts


class _CsrFiles:
    """A CSR matrix written as ``indptr.npy``, ``indices.npy`` and ``data.npy`` in ``folder``, a
    range of rows at a time (:meth:`add`); the .npy headers, which hold the length, and
    ``indptr.npy`` are written when the ``with`` block ends without an error."""

    def __init__(self, folder, n_rows, idx_dtype, val_dtype):
        self.folder, self.dtypes = folder, (np.dtype(idx_dtype), np.dtype(val_dtype))
        self.ptr = np.zeros(n_rows + 1, np.int64)
        self.written = 0
        self._files = contextlib.ExitStack()

    def __enter__(self):
        with contextlib.ExitStack() as opened:
            self.files = [opened.enter_context(open(os.path.join(self.folder, name), "wb"))
                          for name in ("indices.npy", "data.npy")]
            for f, dtype in zip(self.files, self.dtypes):
                f.write(_npy_header(dtype, 0))
            self._files = opened.pop_all()
        return self

    def add(self, r0, local, cols, vals):
        """Rows ``r0 .. r0 + len(local) - 1``: ``local`` their pointers into ``cols``/``vals`` from 0."""
        cols.tofile(self.files[0])
        vals.tofile(self.files[1])
        self.ptr[r0 + 1:r0 + len(local)] = self.written + local[1:]
        self.written += int(local[-1])

    def __exit__(self, kind, value, tb):
        with self._files:
            if kind is None:
                for f, dtype in zip(self.files, self.dtypes):
                    f.seek(0)
                    f.write(_npy_header(dtype, self.written))
        if kind is None:
            np.save(os.path.join(self.folder, "indptr.npy"), self.ptr)
        return False


def merge_runs(runs, folder, vocab_size, *, memory, threads=None, progress=False):
    """Sum ``runs`` into ``indptr.npy``, ``indices.npy``, ``data.npy`` in ``folder``, within ``memory`` bytes.

    Each of ``runs`` is a spilled ``Run`` or a stored matrix read in place (``StoredRows``).
    Returns the number of non-zeros written.
    """
    V = vocab_size
    R = len(runs)
    row_nnz = np.zeros(V, np.int64)
    for run in runs:
        row_nnz += run.row_nnz(V)
    total = int(row_nnz.sum())
    idx_dtype = np.dtype(np.int32 if total < 2**31 else np.int64)
    with numba_threads(threads) as n_threads:
        free = max(memory - _fixed_bytes(V, n_threads), 1 << 16)
        budget = max(1, free // MERGE_NNZ_BYTES)
        max_rows = max(1, (free // 4) // (8 * max(R, 1)))
        cuts = _row_ranges(row_nnz, budget, max_rows)
        with _CsrFiles(folder, V, idx_dtype, np.float32) as out, \
                progress_bar(total=V, desc="merging", unit="row", enabled=progress) as bar:
            for r0, r1 in zip(cuts[:-1], cuts[1:]):
                n = r1 - r0
                ptrs = np.empty((R, n + 1), np.int64)
                parts = []
                base = 0
                for k, run in enumerate(runs):
                    p = run.row_ptr(r0, n)
                    a, b = int(p[0]), int(p[-1])
                    ptrs[k] = p - a + base
                    if b > a:
                        parts.append((run, p, base))
                    base += b - a
                cols = np.empty(base, idx_dtype)
                vals = np.empty(base, np.float64)
                for run, p, at in parts:
                    cnt = int(p[-1] - p[0])
                    run.read(r0, p, cols[at:at + cnt], vals[at:at + cnt])
                chunks = balanced_chunks(np.concatenate([[0], np.cumsum(row_nnz[r0:r1])]), 4 * n_threads)
                nnz = _merge_rows(ptrs, cols, vals, V, chunks, np.zeros(0, np.int64), cols[:0],
                                  np.zeros(0, np.float32))
                local = np.zeros(n + 1, np.int64)
                np.cumsum(nnz, out=local[1:])
                out_cols = np.empty(local[-1], idx_dtype)
                out_vals = np.empty(local[-1], np.float32)
                _merge_rows(ptrs, cols, vals, V, chunks, local, out_cols, out_vals)
                del cols, vals
                out.add(r0, local, out_cols, out_vals)
                bar.update(n)
    return out.written


# ---------------------------------------------------------------- some of the words (restrict), streamed
@numba.njit(parallel=True, cache=True)
def _kept_entries(rows, indptr, indices, data, col_map, chunk_rows, out_ptr, out_cols, out_vals):
    """Rows ``rows`` of a CSR matrix with their columns renumbered by ``col_map`` (-1: dropped).

    With an empty ``out_ptr`` only the entries kept per row are counted; otherwise row i is
    written to out_cols/out_vals from out_ptr[i] (in the order stored: ``col_map`` keeps the
    order of the columns it keeps). Returns the entries kept per row (int64, len(rows)).
    """
    fill = len(out_ptr) > 0
    kept = np.zeros(len(rows), np.int64)
    for c in prange(len(chunk_rows) - 1):
        for i in range(chunk_rows[c], chunk_rows[c + 1]):
            o = rows[i]
            at = out_ptr[i] if fill else 0
            k = 0
            for a in range(indptr[o], indptr[o + 1]):
                j = col_map[indices[a]]
                if j >= 0:
                    if fill:
                        out_cols[at + k] = j
                        out_vals[at + k] = data[a]
                    k += 1
            kept[i] = k
    return kept


#: bytes of the memory budget per stored entry of a range: its index and value read (pages let go
#: after the range), then the copies kept (at most as many)
KEEP_NNZ_BYTES = 16


def restrict_to(matrix, keep, folder, *, memory, threads=None, progress=False):
    """The rows and columns ``keep`` (increasing ids) of CSR ``matrix`` as ``indptr.npy``,
    ``indices.npy`` and ``data.npy`` in ``folder``, within ``memory`` bytes.

    ``matrix``'s arrays are read in place (memory-mapped ones are never copied whole), range
    of rows by range of rows, and their pages leave resident memory after each range; the
    kept entries are written as each range is done. Returns the number of entries written.
    """
    from .._compile import precompile, readonly

    V = matrix.shape[0]
    keep = np.asarray(keep, np.int64)
    n = len(keep)
    col_map = np.full(V, -1, np.int32)
    col_map[keep] = np.arange(n, dtype=np.int32)
    indptr = np.asarray(matrix.indptr, np.int64)
    indices, data = readonly(matrix.indices), readonly(matrix.data)  # one kernel type, mapped or not
    row_nnz = np.diff(indptr)[keep]
    idx_dtype = np.dtype(np.int32 if matrix.nnz < 2**31 else np.int64)
    with numba_threads(threads) as n_threads:
        free = max(memory - 12 * V - 24 * n - (1 << 16), 1 << 16)  # col_map, indptr; keep, row_nnz, out_ptr
        cuts = _row_ranges(row_nnz, max(1, free // KEEP_NNZ_BYTES), max(1, free // 64))
        with _CsrFiles(folder, n, idx_dtype, data.dtype) as out, \
                progress_bar(total=n, desc="restricting", unit="row", enabled=progress) as bar:
            count_only = (np.zeros(0, np.int64), np.zeros(0, idx_dtype), np.zeros(0, data.dtype))
            precompile((_kept_entries, (keep, indptr, indices, data, col_map, np.zeros(2, np.int64), *count_only)))
            for r0, r1 in zip(cuts[:-1], cuts[1:]):
                rows = keep[r0:r1]
                chunks = balanced_chunks(np.concatenate([[0], np.cumsum(row_nnz[r0:r1])]), 4 * n_threads)
                kept = _kept_entries(rows, indptr, indices, data, col_map, chunks, *count_only)
                local = np.zeros(r1 - r0 + 1, np.int64)
                np.cumsum(kept, out=local[1:])
                out_cols = np.empty(local[-1], idx_dtype)
                out_vals = np.empty(local[-1], data.dtype)
                _kept_entries(rows, indptr, indices, data, col_map, chunks, local, out_cols, out_vals)
                drop_read_pages(indices, indptr[rows[-1] + 1])
                drop_read_pages(data, indptr[rows[-1] + 1])
                out.add(r0, local, out_cols, out_vals)
                bar.update(r1 - r0)
    return out.written


# ---------------------------------------------------------------- folders
@contextlib.contextmanager
def spill_folder(tmp_dir=None):
    """A fresh folder for runs inside ``tmp_dir`` (default: the system's), removed on exit."""
    folder = _faults.make_temp_dir("spill", tmp_dir)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _is_store(path):
    return os.path.isdir(path) and (not os.listdir(path) or os.path.isfile(os.path.join(path, META_FILE)))


def check_output(output):
    """Raise EmbedkitError unless ``output`` can become a co-occurrence folder (checked before any work)."""
    output = os.path.abspath(os.fspath(output))
    parent = os.path.dirname(output)
    if os.path.exists(output) and not _is_store(output):
        raise EmbedkitError(f"output {output} exists and is not a co-occurrence folder; not overwriting it")
    if not os.path.isdir(parent):
        raise EmbedkitError(f"cannot write {output}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise EmbedkitError(f"cannot write {output}: folder {parent} is not writable")


def check_tmp_dir(tmp_dir):
    """Raise EmbedkitError unless ``tmp_dir`` (None: the system's) is a writable folder."""
    folder = tempfile.gettempdir() if tmp_dir is None else os.fspath(tmp_dir)
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK | os.X_OK):
        why = "is not a writable folder" if os.path.isdir(folder) else "is not a folder"
        raise EmbedkitError(f"cannot create a spill folder in {folder}: it {why}")


@contextlib.contextmanager
def staged_output(output):
    """A hidden folder beside ``output`` that replaces it only if the block succeeds (else it is removed)."""
    output = os.path.abspath(os.fspath(output))
    check_output(output)
    _faults.sweep_beside(output)
    try:
        tmp = tempfile.mkdtemp(prefix=_faults.temp_name(output), suffix=".tmp", dir=os.path.dirname(output))
    except OSError as e:
        raise EmbedkitError(f"cannot write {output}: {e.strerror or e}") from None
    try:
        yield tmp
        if os.path.exists(output):
            old = tmp + ".old"
            os.rename(output, old)
            os.rename(tmp, output)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, output)
        WRITTEN.append(output)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


LOCK_FILE = ".embedkit-lock"


@contextlib.contextmanager
def output_lock(output):
    """Hold ``output``'s lock (a file beside it holding this process's id) for the block.

    A second run counting into the same folder is refused with one line naming the holder;
    a lock whose process is gone (killed with SIGKILL) is taken over.
    """
    output = os.path.abspath(os.fspath(output))
    lock = os.path.join(os.path.dirname(output), "." + os.path.basename(output) + LOCK_FILE)
    mark = _faults.owner_mark()
    for _ in range(3):
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            try:
                with open(lock, encoding="utf-8") as f:
                    holder = f.read().strip()
            except OSError:
                continue  # released meanwhile
            if holder and _faults._owner_gone(holder):
                with contextlib.suppress(OSError):
                    os.unlink(lock)  # a dead run's lock: take it over
                continue
            pid = holder.split("-p")[-1].split("s")[0] if "-p" in holder else "?"
            raise EmbedkitError(f"{output} is being written by another run (process {pid}, lock {lock}); "
                                f"wait for it or give another folder") from None
        except OSError as e:
            raise _os_error(f"write {output}", e) from None
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(mark + "\n")
        break
    else:
        raise EmbedkitError(f"cannot take the lock {lock} of {output}")
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)


def write_store(output, runs, vocab, *, memory, params, info, threads=None, progress=False, rare=None):
    """Merge ``runs`` and write them with ``vocab`` as the co-occurrence folder ``output`` (atomically).

    ``params`` maps every name of COUNT_PARAMS to its value (UNKNOWN ones are not written);
    ``info`` holds figures such as ``tokens`` and ``spilled_runs``; ``rare`` (a ``Vocab``), the
    words left out, is written as ``rare.txt``.
    """
    try:
        with staged_output(output) as tmp:
            nnz = merge_runs(runs, tmp, len(vocab), memory=memory, threads=threads, progress=progress)
            vocab.save(os.path.join(tmp, VOCAB_FILE))
            files = STORE_FILES
            if rare is not None:
                rare.save(os.path.join(tmp, RARE_FILE))
                files += (RARE_FILE,)
                info = {**info, "rare_words": len(rare)}
            meta = {"format": FORMAT, "shape": [len(vocab), len(vocab)], "nnz": int(nnz), "checksums": MANIFEST,
                    **{k: v for k, v in params.items() if v is not UNKNOWN}, **info}
            with open(os.path.join(tmp, META_FILE), "w", encoding="utf-8") as f:
                json.dump(meta, f, indent=1)
            write_manifest(tmp, files)  # the completion marker, last
    except OSError as e:
        if _faults.is_no_space(e):
            need = 8 * (len(vocab) + 1) + 8 * sum(r.nnz for r in runs)  # an upper bound: the runs' non-zeros
            raise _faults.no_space_error(e, output, "the co-occurrence folder", need) from None
        raise _os_error(f"write {output}", e) from None
    return os.fspath(output)


def open_csr(folder, n):
    """The n x n CSR matrix of ``indptr.npy``, ``indices.npy`` and ``data.npy`` in ``folder`` (as
    :class:`_CsrFiles` writes them; marked as having its columns in order within each row), the
    last two memory-mapped read-only; None when the three do not fit together."""
    indptr = np.load(os.path.join(folder, "indptr.npy"))
    indices = np.load(os.path.join(folder, "indices.npy"), mmap_mode="r")
    data = np.load(os.path.join(folder, "data.npy"), mmap_mode="r")
    if len(indptr) != n + 1 or indptr[-1] != len(indices) or len(indices) != len(data):
        return None
    if len(indices) < 2**31 and indices.dtype == np.int32:
        indptr = indptr.astype(np.int32)
    m = sp.csr_matrix((data, indices, indptr), shape=(n, n), copy=False)
    m.has_sorted_indices = True
    return m


#: how a pair at distance d is counted: 1 ("uniform", for PPMI) or 1/d ("harmonic", for GloVe)
WEIGHTINGS = ("uniform", "harmonic")


def check_count_param(name, value):
    """Raise EmbedkitError unless ``value`` is one counting could use for the parameter ``name`` (of
    COUNT_PARAMS): the one rule for counting's arguments and for what a folder's ``meta.json`` records."""
    from ..corpus import TOKENIZE_MODES

    if name == "window":
        check_int("window", value, min=1, max=1000)
    elif name == "weighting":
        check_choice("weighting", value, WEIGHTINGS)
    elif name in ("dynamic_window", "lowercase", "keep_punctuation"):
        check_bool(name, value)
    elif name == "sample":
        check_float("sample", value, min=0.0)
    elif name == "min_count":
        check_int("min_count", value, min=1)
    elif name == "max_vocab":
        if value is not None:
            check_int("max_vocab", value, min=1)
    elif name == "tokenize":
        check_choice("tokenize", value, TOKENIZE_MODES)
    elif name == "seed":
        check_seed(value)


def _check_params(params, path):
    """Raise EmbedkitError naming the first counting parameter that ``meta.json`` records with a value
    counting could not have used (the trainers compare and use them as they are)."""
    for name in COUNT_PARAMS:
        if params[name] is not UNKNOWN:
            try:
                check_count_param(name, params[name])
            except EmbedkitError as e:
                raise EmbedkitError(f"{os.path.join(path, META_FILE)} is damaged: {e}") from None


def check_csr(m, path, block=1 << 20):
    """Raise EmbedkitError unless ``m`` (a CSR matrix read from the folder ``path``) is what
    :class:`_CsrFiles` writes: row pointers from 0 that never fall, columns inside the matrix and
    rising within each row, counts finite and above 0. A folder damaged in a way its checksums
    cannot see (rewritten, then signed again) otherwise crashed the kernels that trust it. One
    pass over rows of ``block`` non-zeros at a time, memory-mapped pages let go of as it goes."""
    indptr, indices, data, n = m.indptr, m.indices, m.data, m.shape[1]
    steps = np.diff(indptr)
    if indptr[0] != 0 or (len(steps) and steps.min() < 0):
        raise EmbedkitError(f"the matrix in {path} is damaged: its row pointers are not in order")
    cuts = row_blocks(indptr, block)
    for r0, r1 in zip(cuts[:-1], cuts[1:]):
        a, b = int(indptr[r0]), int(indptr[r1])
        if a == b:
            continue
        cols, vals = indices[a:b], data[a:b]
        if cols.min() < 0 or cols.max() >= n:
            raise EmbedkitError(f"the matrix in {path} is damaged: a column index outside 0..{n - 1} "
                                f"(rows {r0}..{r1 - 1})")
        falls = np.flatnonzero(np.diff(cols) <= 0) + 1 + a  # where a row's columns stop rising: only at a row start
        if len(falls) and not np.isin(falls, indptr[r0 + 1:r1]).all():
            raise EmbedkitError(f"the matrix in {path} is damaged: columns out of order within a row "
                                f"(rows {r0}..{r1 - 1})")
        if not ((vals > 0) & (vals < np.inf)).all():
            raise EmbedkitError(f"the matrix in {path} is damaged: a count that is not a finite number above 0 "
                                f"(rows {r0}..{r1 - 1})")
        drop_read_pages(indices, b)
        drop_read_pages(data, b)


def read_store(path):
    """Open a co-occurrence folder: ``(matrix, vocab, params, info, rare)``.

    The CSR arrays are memory-mapped (read-only), so only the parts a trainer touches are
    read. ``params`` has every name of COUNT_PARAMS (UNKNOWN where the folder does not say);
    ``info`` is the rest of ``meta.json``; ``rare`` the path of the words left out
    (``rare.txt``), or None when the folder does not keep them.
    """
    path = os.fspath(path)
    meta_path = os.path.join(path, META_FILE)
    try:
        with open(meta_path, encoding="utf-8") as f:
            meta = json.load(f)
    except (FileNotFoundError, NotADirectoryError):
        raise EmbedkitError(f"{path} is not a co-occurrence folder (no {META_FILE}; write one with `embedkit cooc`)") \
            from None
    except (OSError, ValueError) as e:
        raise EmbedkitError(f"cannot read {meta_path}: {getattr(e, 'strerror', None) or e}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise EmbedkitError(f"{path} is not an {FORMAT} co-occurrence folder")
    if has_manifest(path) or meta.get("checksums"):
        verify_manifest(path)  # every block of every file, and the completion marker
    vocab = Vocab.load(os.path.join(path, VOCAB_FILE))
    V = len(vocab)
    try:
        m = open_csr(path, V)
    except (OSError, ValueError) as e:
        raise EmbedkitError(f"cannot read the matrix in {path}: {getattr(e, 'strerror', None) or e}") from None
    if m is None:
        raise EmbedkitError(f"the matrix in {path} does not match its vocabulary ({V} words); the folder is damaged")
    check_csr(m, path)
    params = {k: meta.pop(k, UNKNOWN) for k in COUNT_PARAMS}
    _check_params(params, path)
    if params["tokenize"] is UNKNOWN and params["lowercase"] is not UNKNOWN:
        # written before tokenizers existed, from text: split on whitespace, the only tokenizer then
        params.update(tokenize="whitespace", keep_punctuation=False)
    for k in ("format", "shape", "nnz", "checksums"):
        meta.pop(k, None)
    rare_path = os.path.join(path, RARE_FILE)
    return m, vocab, params, meta, rare_path if os.path.exists(rare_path) else None


def count_to_store(encoded, vocab, output, *, memory, tmp_dir, params, threads, progress, info=None, base=None,
                   rare=None):
    """Count ``encoded`` within ``memory`` bytes (spilling runs to ``tmp_dir``) into the folder ``output``;
    with ``base`` (a ``StoredRows``), the stored counts are added to them; ``rare``: as for
    :func:`write_store`."""
    with spill_folder(tmp_dir) as spill:
        runs = spill_runs(encoded, spill, memory=memory, window=params["window"], weighting=params["weighting"],
                          dynamic_window=params["dynamic_window"], sample=params["sample"], seed=params["seed"],
                          threads=threads, progress=progress)
        info = {"tokens": encoded.n_tokens, **(info or {}), "spilled_runs": len(runs),
                "spill_bytes": spill_bytes(runs)}
        return write_store(output, runs if base is None else [base, *runs], vocab, memory=memory, params=params,
                           info=info, threads=threads, progress=progress, rare=rare)


def spill_bytes(runs):
    """Disk used by ``runs`` (spilled runs; a stored matrix read in place takes none)."""
    return sum(os.path.getsize(r.prefix + ext) for r in runs if isinstance(r, Run) for ext in (".ptr", ".idx", ".val"))


def compile_kernels():
    """Compile the merge kernels on a tiny input (first run only, in a child process when it can:
    ``_compile.precompile``; later runs load them from Numba's cache)."""
    from .._compile import precompile, readonly

    ptrs = np.array([[0, 1]], np.int64)
    cols = np.zeros(1, np.int32)
    vals = np.ones(1, np.float64)
    chunks = np.array([0, 1], np.int64)
    calls = [(_merge_rows, (ptrs, cols, vals, 1, chunks, np.zeros(0, np.int64), cols[:0], np.zeros(0, np.float32))),
             (_merge_rows, (ptrs, cols, vals, 1, chunks, np.array([0, 1], np.int64), np.empty(1, np.int32),
                            np.empty(1, np.float32))),
             (_gather_rows, (np.zeros(1, np.int64), np.array([0, 1], np.int64), readonly(np.zeros(1, np.int32)),
                             readonly(np.ones(1, np.float32)), np.zeros(1, np.int32), np.empty(1, np.int32),
                             np.empty(1, np.float64)))]  # the stored arrays read-only, as memory-mapped
    precompile(*calls)
    for kernel, args in calls:
        kernel(*args)
