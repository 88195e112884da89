"""Orthogonal Procrustes alignment of one embedding onto another.

Two embeddings trained separately (other corpora, other years, other seeds) live in spaces that
differ by an arbitrary rotation. The orthogonal matrix W minimising ||X W - Y||_F over the
anchor words (rows of X from the source, of Y from the target) is W = U V^T, where
U S V^T is the SVD of X^T Y (Schönemann 1966). The anchors are the words both share (or the
pairs of a dictionary); rows are scaled to unit length before the fit, so frequent words with
long vectors do not dominate, and W is applied to the source's raw rows. After alignment, the
shared words with the lowest cosine to their own target vector are the ones whose use moved
most (the semantic-change readout of Hamilton et al. 2016).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from ._util import check_int, read_rows
from .errors import EmbedkitError
from .vectors import Vectors


@dataclass
class AlignResult:
    """``vectors``: the source rotated into the target's space (all source words, counts kept);
    ``rotation`` the orthogonal (dim, dim) matrix; ``anchors`` the number of word pairs fitted;
    the mean cosine of the anchor pairs before and after; ``moved``: the anchors with the lowest
    cosine after alignment, ``[(source word, target word, cosine), ...]``, lowest first."""

    vectors: Vectors
    rotation: np.ndarray
    anchors: int
    mean_cosine_before: float
    mean_cosine_after: float
    moved: list


def procrustes(x, y):
    """The orthogonal W minimising ||x W - y||_F: ``U @ Vt`` from the SVD of ``x.T @ y``."""
    u, _, vt = np.linalg.svd(np.asarray(x, np.float64).T @ np.asarray(y, np.float64))
    return u @ vt


def read_dictionary(path):
    """``[(source word, target word), ...]`` from a file of ``source target`` lines ('#' comments)."""

    def parse(line):
        parts = line.split()
        if len(parts) != 2:
            raise ValueError
        return parts[0], parts[1]

    return read_rows(path, parse, "source_word target_word")


def _unit(m):
    m = np.asarray(m, np.float64)
    n = np.linalg.norm(m, axis=1, keepdims=True)
    return m / np.where(n > 0, n, 1.0)


def align(source, target, *, dictionary=None, restrict=None, topn=20):
    """Rotate ``source`` into ``target``'s space by orthogonal Procrustes.

    Parameters
    ----------
    source, target : Vectors
        Of the same dimension.
    dictionary : list of (str, str) or None, default=None
        Anchor pairs (source word, target word); None uses every word both share.
    restrict : int or None, default=None
        Use only anchors among the ``restrict`` most frequent words of each side.
    topn : int, default=20
        How many of the most moved anchors to report.

    Returns
    -------
    AlignResult

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> target = Vectors([f"w{i}" for i in range(30)], rng.normal(size=(30, 5)))
    >>> q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    >>> r = align(Vectors(target.words, target.matrix @ q), target)
    >>> round(r.mean_cosine_after, 6), bool(np.allclose(r.vectors.matrix, target.matrix, atol=1e-5))
    (1.0, True)
    """
    for name, v in (("source", source), ("target", target)):
        if not isinstance(v, Vectors):
            raise EmbedkitError(f"{name} must be Vectors, got {type(v).__name__}")
    if source.dim != target.dim:
        raise EmbedkitError(f"source has dimension {source.dim} but target {target.dim}; "
                            "Procrustes needs the same dimension")
    topn = check_int("topn", topn, min=0)
    ns = len(source) if restrict is None else check_int("restrict", restrict, min=1)
    nt = len(target) if restrict is None else restrict
    src_index = {w: i for i, w in enumerate(source.words[:ns])}
    tgt_index = {w: i for i, w in enumerate(target.words[:nt])}
    if dictionary is None:
        pairs = [(w, w) for w in source.words[:ns] if w in tgt_index]
    else:
        pairs = [(s, t) for s, t in dictionary if s in src_index and t in tgt_index]
        if len(pairs) < len(dictionary):
            warnings.warn(f"{len(dictionary) - len(pairs)} of the {len(dictionary)} dictionary pairs have a word "
                          "outside the vectors (or past restrict) and are left out", stacklevel=2)
    if len(pairs) < 2:
        what = "dictionary pairs with both words known" if dictionary is not None else "shared words"
        raise EmbedkitError(f"only {len(pairs)} {what}; Procrustes needs at least 2")
    if len(pairs) < source.dim:  # fewer anchors than dimensions: the rotation is fixed only on their span
        warnings.warn(f"{len(pairs)} anchor pairs for {source.dim} dimensions: the rotation is fixed only on the "
                      "span of the anchors; give more pairs for a stable alignment", stacklevel=2)
    rs = np.array([src_index[s] for s, _ in pairs])
    rt = np.array([tgt_index[t] for _, t in pairs])
    with threadpool_limits(1):  # (V, dim) x (dim, dim) products: BLAS threads only spin on a busy machine
        x, y = _unit(source.matrix[rs]), _unit(target.matrix[rt])
        w = procrustes(x, y)
        before = np.einsum("ij,ij->i", x, y)
        after = np.einsum("ij,ij->i", x @ w, y)
        rotated = (source.matrix.astype(np.float64) @ w).astype(np.float32)
    order = np.argsort(after, kind="stable")[:topn]
    moved = [(pairs[i][0], pairs[i][1], float(after[i])) for i in order]
    return AlignResult(Vectors(source.words, rotated, source.counts), w, len(pairs), float(before.mean()),
                       float(after.mean()), moved)
