"""Word classes: k-means on unit word vectors (word2vec's ``-classes``), multithreaded.

The rows are scaled to unit length, then Lloyd's algorithm runs in Euclidean space (the
centroids are plain means, as scikit-learn's ``KMeans``). A pass is one BLAS product per block of
rows (the centroid norms folded in; Python threads share the blocks) and NumPy's vectorised
argmax; summing each class's rows is a Numba kernel with ``prange`` over a fixed split of the
rows. Neither the split nor the RNG depends on the thread count, so a seed gives the same classes
at any ``threads``.
"""

from __future__ import annotations

import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np
from threadpoolctl import threadpool_limits

from ._util import atomic_write, check_choice, check_float, check_int, check_seed, check_threads, numba_threads
from .errors import EmbedkitError

INITS = ("k-means++", "round-robin")
_BLOCK_ROWS = 2048  # rows per BLAS product in an assignment pass
_SEED_PARTS = 4  # fixed row ranges of the seeding's products, shared by the threads
_WORKERS = 8  # fixed split of the rows for the class sums, so they do not depend on the thread count
#: rows the k-means++ start is drawn from (a random sample of them when there are more). Chosen on
#: wiki17m's 68,000 vectors, K = 500, tol 5e-4, seeds 1-3 (inertia / scikit-learn's): 20,000 rows
#: gave 1.0065-1.0098 (seeds 1-5), 40,000 rows 1.0047-1.0064, every row 1.0044-1.0060.
SEED_SAMPLE = 40_000


@dataclass
class WordClasses:
    """The result of :func:`word_classes`.

    Attributes
    ----------
    words : list of str
        The vocabulary, in the vectors' order.
    labels : numpy.ndarray
        int32 class of each word, 0..k-1.
    centroids : numpy.ndarray
        float32 (k, dim) class means of the unit vectors.
    inertia : float
        Sum of squared distances of the unit vectors to their class mean.
    n_iter : int
        Assignment passes run.
    converged : bool
        True when no word changed class, or the inertia fell by less than ``tol`` (relative).
    """

    words: list
    labels: np.ndarray
    centroids: np.ndarray
    inertia: float
    n_iter: int
    converged: bool

    def save(self, path, *, sort=False):
        """Write ``word class`` lines (word2vec's ``-classes`` output) atomically.

        Vocabulary order, or with ``sort=True`` by class (vocabulary order within a class).
        """
        order = np.argsort(self.labels, kind="stable") if sort else range(len(self.words))
        with atomic_write(path, "w", encoding="utf-8") as f:
            f.writelines(f"{self.words[i]} {int(self.labels[i])}\n" for i in order)
        return path


# ---------------------------------------------------------------- kernels
@numba.njit(parallel=True, cache=True)
def _class_sums(x, labels, sums, counts):
    """Row sums and sizes of the classes: x (n, dim) float32, labels (n,) int32; worker w of
    W = sums.shape[0] (prange over the W workers, a split that does not depend on the thread
    count) adds its consecutive n / W rows into sums[w] (k, dim) float64 and counts[w] (k,) int64."""
    n, dim = x.shape
    workers = sums.shape[0]
    per = (n + workers - 1) // workers
    for w in numba.prange(workers):
        sums[w] = 0.0
        counts[w] = 0
        for r in range(w * per, min(n, (w + 1) * per)):
            c = labels[r]
            counts[w, c] += 1
            for e in range(dim):
                sums[w, c, e] += x[r, e]


@numba.njit(parallel=True, cache=True)
def _class_means(x, order, starts, out):
    """Mean of the rows of each class: rows order[starts[c]:starts[c+1]] of x (n, dim) float32
    into out (k, dim) float32; summed in float64 in row order (deterministic). Empty classes: 0."""
    k, dim = out.shape
    for c in numba.prange(k):
        acc = np.zeros(dim, dtype=np.float64)
        a, b = starts[c], starts[c + 1]
        for p in range(a, b):
            r = order[p]
            for d in range(dim):
                acc[d] += x[r, d]
        inv = 1.0 / (b - a) if b > a else 0.0
        for d in range(dim):
            out[c, d] = acc[d] * inv


@numba.njit(fastmath=True, cache=True)
def _seed_step(dots, row_sq, cand_sq, closest, cum):
    """One greedy k-means++ step after the product dots (n, t) float32 of the rows with the t
    candidates: the potential (sum over rows of the squared distance to the nearest centre) with
    each candidate added; the best (lowest, first on ties) candidate's distances replace closest
    (n,) float64 and their running sum cum (n,) float64. Returns the best candidate's index."""
    n, t = dots.shape
    pots = np.zeros(t, dtype=np.float64)
    for i in range(n):
        for j in range(t):
            pots[j] += min(max(row_sq[i] + cand_sq[j] - 2.0 * dots[i, j], 0.0), closest[i])
    best = 0
    for j in range(1, t):
        if pots[j] < pots[best]:
            best = j
    total = 0.0
    for i in range(n):
        closest[i] = min(max(row_sq[i] + cand_sq[best] - 2.0 * dots[i, best], 0.0), closest[i])
        total += closest[i]
        cum[i] = total
    return best


def _seed_centres(x, row_sq, first, uniforms, centres, pool=None):
    """Greedy k-means++: centre 0 is row ``first``; each later centre is the best (lowest
    potential) of the t rows drawn with probability proportional to their squared distance to
    the nearest centre so far, using uniforms (k, t) float64 in [0, 1). x (n, dim) float32,
    row_sq (n,) float64; writes centres (k,). Per step one NumPy BLAS product (n, t) into a
    buffer allocated once (several times faster than ``np.dot`` inside Numba for this thin shape),
    cut in _SEED_PARTS fixed row ranges that the threads of ``pool`` (a ThreadPoolExecutor, or
    None: this thread) share, then one Numba pass over the rows."""
    n, dim = x.shape
    k, t = uniforms.shape
    closest = np.maximum(row_sq + row_sq[first] - 2.0 * np.dot(x, x[first]), 0.0)
    cum = np.cumsum(closest)
    dots = np.empty((n, t), dtype=np.float32)
    ct = np.empty((dim, t), dtype=np.float32)
    bounds = np.linspace(0, n, _SEED_PARTS + 1).astype(np.int64)

    def product(p):
        a, b = bounds[p], bounds[p + 1]
        np.dot(x[a:b], ct, out=dots[a:b])

    centres[0] = first
    for c in range(1, k):
        if cum[-1] > 0:
            cand = np.minimum(np.searchsorted(cum, uniforms[c] * cum[-1], side="right"), n - 1)
        else:
            cand = (uniforms[c] * n).astype(np.int64)
        ct[:] = x[cand].T
        if pool is None:
            for p in range(_SEED_PARTS):
                product(p)
        else:
            list(pool.map(product, range(_SEED_PARTS)))
        centres[c] = cand[_seed_step(dots, row_sq, row_sq[cand], closest, cum)]


# ---------------------------------------------------------------- driver
def _unit_rows(matrix):
    x = np.array(matrix, dtype=np.float32, order="C", copy=True)
    norms = np.sqrt(np.einsum("ij,ij->i", x, x, dtype=np.float64))
    nz = norms > 0
    x[nz] /= norms[nz, None].astype(np.float32)
    row_sq = np.where(nz, np.einsum("ij,ij->i", x, x, dtype=np.float64), 0.0)
    return x, row_sq


def _kmeans_plus_plus(x, row_sq, k, rng, pool=None):
    """Greedy k-means++ (2 + log k candidates per step, as scikit-learn) over a random sample of
    at most SEED_SAMPLE rows (all rows when fewer): the seeding costs k thin products with its
    rows, the Lloyd passes that follow use every row."""
    n = x.shape[0]
    trials = 2 + int(np.log(k))
    sample = np.sort(rng.choice(n, size=SEED_SAMPLE, replace=False)) if n > max(SEED_SAMPLE, k) else np.arange(n)
    xs = np.ascontiguousarray(x[sample])
    centres = np.empty(k, dtype=np.int64)
    _seed_centres(xs, np.ascontiguousarray(row_sq[sample]), int(rng.integers(len(sample))), rng.random((k, trials)),
                  centres, pool)
    return xs[centres].copy()


class _Lloyd:
    """The assignment passes of Lloyd's algorithm, with buffers allocated once.

    The rows carry an extra 1 and the centroids an extra -|c|^2 / 2, so that one BLAS product
    gives the scores x.c - |c|^2 / 2 of a block of rows, and NumPy's vectorised ``argmax`` the
    nearest centroid (the first on ties); the squared distance is |x|^2 - 2 * that score. With
    ``threads`` > 1, Python threads take the blocks in turn (worker w: blocks w, w + threads, ...),
    each product on one BLAS thread (NumPy releases the GIL): no BLAS thread spins between the
    many small products, and each row's result does not depend on which thread computed it."""

    def __init__(self, x, row_sq, k, threads=1):
        n, dim = x.shape
        self.x, self.row_sq, self.k = x, row_sq, k
        self.xa = np.empty((n, dim + 1), dtype=np.float32)
        self.xa[:, :dim] = x
        self.xa[:, dim] = 1.0
        self.ca = np.empty((dim + 1, k), dtype=np.float32)
        block = min(_BLOCK_ROWS, n)
        self.threads = max(1, min(threads, (n + block - 1) // block))
        self.scores = np.empty((self.threads, block, k), dtype=np.float32)
        self.arg = np.empty((self.threads, block), dtype=np.intp)
        self.rows = np.arange(block)
        self.changed = np.zeros(self.threads, dtype=np.int64)
        self.sums = np.empty((_WORKERS, k, dim), dtype=np.float64)
        self.counts = np.empty((_WORKERS, k), dtype=np.int64)
        self.labels = np.full(n, -1, dtype=np.int32)
        self.dist = np.zeros(n, dtype=np.float64)
        self.pool = None
        if self.threads > 1:
            self.pool = ThreadPoolExecutor(self.threads)

    def close(self):
        if self.pool is not None:
            self.pool.shutdown()

    def _blocks(self, w):
        n = self.x.shape[0]
        block = self.scores.shape[1]
        changed = 0
        for a in range(w * block, n, self.threads * block):
            b = min(n, a + block)
            scores, arg = self.scores[w, : b - a], self.arg[w, : b - a]
            np.dot(self.xa[a:b], self.ca, out=scores)
            np.argmax(scores, axis=1, out=arg)
            top = scores[self.rows[: b - a], arg]
            changed += int(np.count_nonzero(self.labels[a:b] != arg))
            self.labels[a:b] = arg
            np.maximum(self.row_sq[a:b] - 2.0 * top, 0.0, out=self.dist[a:b])
        self.changed[w] = changed

    def assign(self, centroids):
        """One pass: labels, distances and class sums for ``centroids``; returns how many labels changed."""
        dim = self.x.shape[1]
        self.ca[:dim] = centroids.T
        self.ca[dim] = -0.5 * np.einsum("ij,ij->i", centroids, centroids, dtype=np.float64)
        if self.pool is None:
            self._blocks(0)
        else:
            for f in [self.pool.submit(self._blocks, w) for w in range(self.threads)]:
                f.result()
        _class_sums(self.x, self.labels, self.sums, self.counts)
        return int(self.changed.sum())

    def means(self):
        """The class means of the last pass (summed over the workers in a fixed order); an empty
        class takes the word farthest from its centroid (the next farthest for the next one)."""
        sizes = self.counts.sum(0)
        centroids = (self.sums.sum(0) / np.maximum(sizes, 1)[:, None]).astype(np.float32)
        empty = np.flatnonzero(sizes == 0)
        if empty.size:
            far = np.argsort(-self.dist, kind="stable")[: empty.size]
            centroids[empty] = self.x[far]
        return centroids


def _round_robin_start(x, k):
    """word2vec's start: the means of the classes i mod k."""
    n = x.shape[0]
    order = np.concatenate([np.arange(j, n, k) for j in range(k)]).astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(np.bincount(np.arange(n) % k, minlength=k))]).astype(np.int64)
    centroids = np.empty((k, x.shape[1]), dtype=np.float32)
    _class_means(x, order, starts, centroids)
    return centroids


def word_classes(vectors, k, *, init="k-means++", max_iter=100, tol=5e-4, seed=1, threads=None):
    """Group the words into ``k`` classes by k-means on their unit vectors.

    Parameters
    ----------
    vectors : Vectors
        Any word vectors (rows are scaled to unit length first; a zero row stays zero).
    k : int
        Number of classes, 2 <= k <= the vocabulary size.
    init : {"k-means++", "round-robin"}, default="k-means++"
        Greedy k-means++ seeding, or word2vec's start (word i in class i mod k).
    max_iter : int, default=100
        Most assignment passes.
    tol : float, default=5e-4
        Stop when the inertia falls by less than this fraction in one pass (or nothing moves).
        On wiki17m's vectors with K = 500 the default stops after 13-15 passes within 0.7% of
        scikit-learn's inertia (1e-4: 25-28 passes, within 0.45%; 1e-3: 10-11, within 0.9%).
    seed : int, default=1
        Seed of the k-means++ draws.
    threads : int or None, default=None
        Numba threads (None: all).

    Returns
    -------
    WordClasses

    Examples
    --------
    >>> from embedkit import Vectors
    >>> v = Vectors(["a", "b", "c", "d"], [[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]])
    >>> word_classes(v, 2, threads=1).labels.tolist() in ([0, 0, 1, 1], [1, 1, 0, 0])
    True
    """
    n = len(vectors)
    k = check_int("k", k, min=2)
    if k > n:
        raise EmbedkitError(f"k must be <= the vocabulary size ({n} words), got {k}")
    check_choice("init", init, INITS)
    max_iter = check_int("max_iter", max_iter, min=1)
    tol = check_float("tol", tol, min=0)
    seed = check_seed(seed)
    threads = check_threads(threads)
    x, row_sq = _unit_rows(vectors.matrix)
    with numba_threads(threads) as nthreads, threadpool_limits(1):  # one BLAS thread per worker
        if init == "round-robin":
            centroids = _round_robin_start(x, k)
        else:
            pool = ThreadPoolExecutor(nthreads) if nthreads > 1 else None
            try:
                centroids = _kmeans_plus_plus(x, row_sq, k, np.random.default_rng(seed), pool)
            finally:
                if pool is not None:
                    pool.shutdown()
        lloyd = _Lloyd(x, row_sq, k, nthreads)
        try:
            prev = np.inf
            converged = False
            for it in range(1, max_iter + 1):
                changed = lloyd.assign(centroids)
                inertia = float(lloyd.dist.sum())
                if changed == 0 or prev - inertia <= tol * inertia:
                    converged = True
                    break
                prev = inertia
                centroids = lloyd.means()
        finally:
            lloyd.close()
    empty = k - len(np.unique(lloyd.labels))
    if empty:  # fewer distinct directions than classes (equal or zero vectors)
        warnings.warn(f"{empty} of the {k} classes {'is' if empty == 1 else 'are'} empty: the vectors have fewer "
                      "distinct directions than k", stacklevel=2)
    return WordClasses(list(vectors.words), lloyd.labels, centroids, inertia, it, converged)
