"""Post-processing of word vectors: centring, all-but-the-top, unit length.

All-but-the-top (Mu & Viswanath 2018, "All-but-the-Top: Simple and Effective Postprocessing for
Word Representations"): subtract the mean vector, then remove the projections on the top D
principal components of the centred vectors, v' = v~ - sum_i (u_i . v~) u_i with v~ = v - mean.
The paper's rule of thumb is D = dim / 100. The components come from the dim x dim covariance
accumulated over blocks of rows in float64, so a 400k x 300 matrix needs no float64 copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from ._util import check_int
from .errors import EmbedkitError
from .vectors import Vectors

_ROWS = 65536  # rows per block


def default_abtt(dim):
    """The paper's number of components: dim / 100 rounded, at least 1 (at most dim - 1)."""
    return max(1, min(int(round(dim / 100)), dim - 1))


@dataclass
class PostprocessResult:
    """The new vectors, and what ABTT removed: the mean's norm, the components (D, dim) and the
    share of the centred vectors' variance each component held."""

    vectors: Vectors
    mean_norm: float
    components: np.ndarray
    explained: np.ndarray


def _mean(m):
    total = np.zeros(m.shape[1])
    for s in range(0, m.shape[0], _ROWS):
        total += m[s:s + _ROWS].sum(axis=0, dtype=np.float64)
    return total / m.shape[0]


def top_components(matrix, d, mean):
    """Top ``d`` principal directions of ``matrix - mean``: (components (d, dim), variance shares (d,))."""
    dim = matrix.shape[1]
    cov = np.zeros((dim, dim))
    for s in range(0, matrix.shape[0], _ROWS):
        block = matrix[s:s + _ROWS].astype(np.float64) - mean
        cov += block.T @ block
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1][:d]
    comps = vectors[:, order].T
    comps *= np.where(comps[np.arange(d), np.abs(comps).argmax(axis=1)] < 0, -1.0, 1.0)[:, None]  # fixed signs
    total = values.sum()
    return comps, (values[order] / total if total > 0 else np.zeros(d))


def postprocess(vectors, *, center=False, abtt=None, normalize=False):
    """Centre, apply all-but-the-top and/or scale to unit length, in that order.

    Parameters
    ----------
    vectors : Vectors
    center : bool, default=False
        Subtract the mean vector (ABTT does this anyway).
    abtt : int or None, default=None
        Remove the mean and the top ``abtt`` principal components (``default_abtt(dim)`` is
        the paper's choice); None or 0 leaves them.
    normalize : bool, default=False
        Scale every row to unit length last (zero rows stay zero).

    Returns
    -------
    PostprocessResult
        ``vectors`` keeps the words and counts of the input.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> v = Vectors([f"w{i}" for i in range(50)], rng.normal(size=(50, 8)) + 3)
    >>> r = postprocess(v, abtt=1, normalize=True)
    >>> r.components.shape, bool(np.allclose(np.linalg.norm(r.vectors.matrix, axis=1), 1, atol=1e-6))
    ((1, 8), True)
    """
    if not isinstance(vectors, Vectors):
        raise EmbedkitError(f"vectors must be Vectors, got {type(vectors).__name__}")
    abtt = 0 if abtt is None else check_int("abtt", abtt, min=0, max=max(vectors.dim - 1, 0))
    if not (center or abtt or normalize):
        raise EmbedkitError("nothing to do: ask for center, abtt and/or normalize")
    if (center or abtt) and len(vectors) < 2:  # one vector minus the mean of one is zero
        what = "all-but-the-top" if abtt else "centering"
        raise EmbedkitError(f"{what} needs at least 2 vectors, got {len(vectors)}")
    if abtt >= len(vectors):  # n centred vectors span at most n - 1 directions: the rest would be arbitrary
        raise EmbedkitError(f"abtt must be below the number of vectors ({len(vectors)}), got {abtt}")
    with threadpool_limits(1):  # blocks of (65536, dim) x (dim, dim): one BLAS thread is 5x faster on a busy machine
        return _postprocess(vectors, center, abtt, normalize)


def _postprocess(vectors, center, abtt, normalize):
    m = vectors.matrix
    mean = _mean(m) if (center or abtt) else np.zeros(vectors.dim)
    comps, explained = np.zeros((0, vectors.dim)), np.zeros(0)
    if abtt:
        comps, explained = top_components(m, abtt, mean)
    out = np.empty_like(m)
    for s in range(0, m.shape[0], _ROWS):
        block = m[s:s + _ROWS].astype(np.float64) - mean
        if abtt:
            block -= (block @ comps.T) @ comps
        if normalize:
            norms = np.linalg.norm(block, axis=1, keepdims=True)
            block /= np.where(norms > 0, norms, 1.0)
        out[s:s + _ROWS] = block
    return PostprocessResult(Vectors(vectors.words, out, vectors.counts), float(np.linalg.norm(mean)), comps,
                             explained)
