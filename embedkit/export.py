"""Looking at vectors: PCA / t-SNE projections (scikit-learn), TSV, a PNG scatter plot, and the
TensorBoard Embedding Projector's two TSV files.

Projections are computed on the unit-normalised rows, so distances in the picture follow
cosine similarity, the measure every query uses. The plot needs matplotlib (the ``plot``
extra: ``pip install 'embedkit-toolkit[plot]'``, in a checkout ``pip install '.[plot]'``);
everything else needs only the base install.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import numpy as np

from ._util import atomic_write, check_choice, check_float, check_int, check_seed
from .errors import EmbedkitError

METHODS = ("pca", "tsne")


@dataclass
class Projection:
    """``coords[i]`` is the position of ``words[i]``; ``method`` is ``"pca"`` or ``"tsne"``.

    ``explained_variance`` is PCA's share of variance per component (None for t-SNE).
    """

    words: list
    coords: np.ndarray
    method: str
    explained_variance: np.ndarray | None = None


def known_rows(vectors, words):
    """(rows of the known words in first-seen order, the distinct words, the unknown words in order)."""
    rows, seen, missing = [], set(), []
    for w in words:
        if w in seen:
            continue
        seen.add(w)
        if w in vectors:
            rows.append(vectors.index(w))
        else:
            missing.append(w)
    return rows, seen, missing


def select_words(vectors, *, n_words=1000, words=None):
    """Rows to project: the ``n_words`` most frequent, or the given ``words`` in vocabulary.

    Asking for more words than the vocabulary holds warns and uses them all; words of
    ``words`` outside the vocabulary are skipped with one warning, and none known is an error.

    Returns
    -------
    ndarray of int64, row indices into ``vectors``
    """
    if words is None:
        n_words = check_int("n_words", n_words, min=1)
        if n_words > len(vectors):
            warnings.warn(f"asked for {n_words} words but the vocabulary holds {len(vectors)}; using all",
                          stacklevel=2)
            n_words = len(vectors)
        return np.arange(n_words, dtype=np.int64)
    rows, seen, missing = known_rows(vectors, words)
    if not rows:
        raise EmbedkitError(f"none of the {len(seen)} words is in the vocabulary (first: {next(iter(words), '')!r})")
    if missing:
        warnings.warn(f"skipped {len(missing)} words not in the vocabulary (first: {missing[0]!r})", stacklevel=2)
    return np.array(rows, dtype=np.int64)


def check_spread(x, what="words"):
    """Raise EmbedkitError when the rows of ``x`` (unit vectors) are all one point: PCA would give
    zeros and no variance to show, and scikit-learn's t-SNE crashes the process on it."""
    if len(x) > 1 and float(np.ptp(x, axis=0).max()) <= 1e-6:
        raise EmbedkitError(f"the {len(x)} {what} have one and the same direction (their vectors are equal, or "
                            "zero): there is nothing to project")


def project(vectors, method="pca", n_components=2, *, n_words=1000, words=None, perplexity=30.0, max_iter=1000,
            seed=0):
    """Project words of ``vectors`` to 2 or 3 dimensions with PCA or t-SNE.

    Parameters
    ----------
    vectors : Vectors
    method : {"pca", "tsne"}, default="pca"
    n_components : {2, 3}, default=2
    n_words : int, default=1000
        Project the ``n_words`` most frequent words (all of them, with a warning, if fewer).
    words : list of str or None, default=None
        Project these words instead (unknown ones skipped with a warning).
    perplexity : float, default=30.0
        t-SNE only; must be below the number of words.
    max_iter : int, default=1000
        t-SNE only: optimisation steps (scikit-learn's minimum is 250).
    seed : int, default=0
        ``random_state`` of PCA's solver and of t-SNE.

    Returns
    -------
    Projection

    Examples
    --------
    >>> p = project(vectors, "pca", 2, n_words=300)          # doctest: +SKIP
    >>> write_tsv(p, "pca.tsv"); plot(p, "pca.png")           # doctest: +SKIP
    """
    check_choice("method", method, METHODS)
    check_int("n_components", n_components, min=2, max=3)
    seed = check_seed(seed)
    perplexity = check_float("perplexity", perplexity, min=0, min_open=True)
    max_iter = check_int("max_iter", max_iter, min=250)
    rows = select_words(vectors, n_words=n_words, words=words)
    n = len(rows)
    if n_components > min(n, vectors.dim):
        raise EmbedkitError(f"cannot project {n} words of dimension {vectors.dim} to {n_components} dimensions")
    if method == "tsne" and perplexity >= n:
        raise EmbedkitError(f"perplexity must be below the number of words ({n}), got {perplexity:g}")
    x = vectors.unit[rows].astype(np.float64)
    check_spread(x, "words to project")
    if method == "pca":
        from sklearn.decomposition import PCA

        pca = PCA(n_components=n_components, random_state=seed)
        coords = pca.fit_transform(x)
        ratio = pca.explained_variance_ratio_
    else:
        from sklearn.manifold import TSNE

        coords = TSNE(n_components=n_components, perplexity=perplexity, init="pca", learning_rate="auto",
                      max_iter=max_iter, random_state=seed).fit_transform(x)
        ratio = None
    return Projection([vectors.words[i] for i in rows], np.ascontiguousarray(coords), method, ratio)


def write_tsv(projection, path_or_file):
    """``word<TAB>x<TAB>y[<TAB>z]`` per word after a header line; a path is written atomically."""
    axes = ["x", "y", "z"][: projection.coords.shape[1]]
    lines = ["\t".join(["word", *axes])]
    lines += [w + "\t" + "\t".join(f"{v:.6g}" for v in row) for w, row in zip(projection.words,
                                                                           projection.coords.tolist())]
    text = "\n".join(lines) + "\n"
    if hasattr(path_or_file, "write"):
        path_or_file.write(text)
        return
    with atomic_write(path_or_file, "w", encoding="utf-8") as f:
        f.write(text)


def check_plotting():
    """Raise EmbedkitError with the install command when matplotlib is missing."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        from ._util import install_hint

        raise EmbedkitError(f"plotting needs matplotlib, an optional extra: {install_hint('plot', 'matplotlib')}") \
            from None


def axis_titles(projection):
    """Names of the axes: the PCA components with their share of variance, or t-SNE 1/2/3."""
    ratio = projection.explained_variance
    if projection.method == "pca" and ratio is not None:
        return [f"PC{i + 1} ({r:.1%} of variance)" for i, r in enumerate(ratio)]
    return [f"t-SNE {i + 1}" for i in range(projection.coords.shape[1])]


def place_labels(points, sizes, bounds, *, gap=2.0, cell=3.0):
    """Greedy label placement without overlaps, in pixel space.

    Each point in order (most frequent first) takes the first of four spots beside it (right, left,
    above, below) whose box stays inside ``bounds`` and overlaps no label placed before it; a
    point with no free spot gets no label. Occupancy is kept on a grid of ``cell`` pixels, so the
    pass is linear in the number of labels.

    Parameters
    ----------
    points : ndarray of shape (n, 2), pixel positions (x to the right, y up)
    sizes : sequence of (width, height) in pixels, one per point
    bounds : (x0, y0, x1, y1), the area labels must stay in

    Returns
    -------
    list of (index, dx, dy): the lower-left corner of the label of point ``index`` is at
    ``points[index] + (dx, dy)``
    """
    x0, y0, x1, y1 = bounds
    nx, ny = int((x1 - x0) // cell) + 2, int((y1 - y0) // cell) + 2
    taken = np.zeros((ny, nx), dtype=bool)
    placed = []
    for i, ((px, py), (w, h)) in enumerate(zip(np.asarray(points, dtype=np.float64).tolist(), sizes)):
        for dx, dy in ((gap, -h / 2), (-gap - w, -h / 2), (-w / 2, gap), (-w / 2, -gap - h)):
            lx, ly = px + dx, py + dy
            if lx < x0 or ly < y0 or lx + w > x1 or ly + h > y1:
                continue
            c0, c1 = int((lx - x0) // cell), int((lx + w - x0) // cell) + 1
            r0, r1 = int((ly - y0) // cell), int((ly + h - y0) // cell) + 1
            if taken[r0:r1, c0:c1].any():
                continue
            taken[r0:r1, c0:c1] = True
            placed.append((i, dx, dy))
            break
    return placed


def plot(projection, path, *, size=(1200, 900), dpi=100, title=None):
    """A labelled scatter plot of ``projection`` as a PNG of exactly ``size`` pixels (width, height).

    Every point is drawn; labels go to the most frequent words first, each beside its point where
    it overlaps no other label (``place_labels``), so a crowded centre shows fewer labels instead
    of a pile. The axes are named after the components and, for PCA, their share of variance.
    A 3-D projection labels its 60 first words. Needs matplotlib; raises EmbedkitError with the
    install command when it is missing.
    """
    width, height = (check_int(n, v, min=50, max=20000) for n, v in zip(("width", "height"), size))
    check_plotting()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    FigureCanvasAgg(fig)
    c = projection.coords
    words = projection.words
    font = 8 if len(c) <= 300 else 7
    axes = axis_titles(projection)
    if c.shape[1] == 3:
        ax = fig.add_subplot(projection="3d")
        ax.scatter(c[:, 0], c[:, 1], c[:, 2], s=4, alpha=0.6)
        n_labels = min(60, len(c))
        for w, (x, y, z) in zip(words[:n_labels], c[:n_labels]):
            ax.text(x, y, z, w, fontsize=font)
        ax.set_zlabel(axes[2], fontsize=8)
    else:
        ax = fig.add_subplot()
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.08, top=0.94)
        ax.scatter(c[:, 0], c[:, 1], s=7, alpha=0.6, linewidths=0)
        ax.margins(0.04)
        ax.set_xlim(ax.get_xlim())  # freeze the limits: pixel positions are final from here
        ax.set_ylim(ax.get_ylim())
        renderer = fig.canvas.get_renderer()
        prop = FontProperties(size=font)
        sizes = [renderer.get_text_width_height_descent(w, prop, ismath=False)[:2] for w in words]
        placed = place_labels(ax.transData.transform(c), sizes, ax.bbox.extents)
        for i, dx, dy in placed:
            ax.annotate(words[i], c[i], xytext=(dx, dy), textcoords="offset pixels", fontsize=font,
                        ha="left", va="bottom", alpha=0.85)
        n_labels = len(placed)
    ax.set_xlabel(axes[0], fontsize=8)
    ax.set_ylabel(axes[1], fontsize=8)
    ax.tick_params(labelsize=7)
    ax.set_title(title or f"{projection.method.upper() if projection.method == 'pca' else 't-SNE'} of {len(c)} words "
                 f"({n_labels} labelled)", fontsize=10)
    with atomic_write(path, "wb") as f:
        fig.savefig(f, format="png", dpi=dpi)


def write_projector(vectors, rows, folder):
    """``vectors.tsv`` (the full vectors) and ``metadata.tsv`` (one word per line, no header, as
    the projector expects for a single column) in ``folder``, for projector.tensorflow.org."""
    folder = os.fspath(folder)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise EmbedkitError(f"cannot create {folder}: {e.strerror or e}") from None
    rows = np.asarray(rows, dtype=np.int64)
    with atomic_write(os.path.join(folder, "vectors.tsv"), "w", encoding="utf-8") as f:
        fmt = "\t".join(["%.6g"] * vectors.dim) + "\n"
        block = 4096
        for start in range(0, len(rows), block):
            m = vectors.matrix[rows[start:start + block]].astype(np.float64).tolist()
            f.write("".join(fmt % tuple(r) for r in m))
    with atomic_write(os.path.join(folder, "metadata.tsv"), "w", encoding="utf-8") as f:
        f.writelines(vectors.words[i] + "\n" for i in rows.tolist())
