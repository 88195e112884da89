"""One self-contained HTML page to look through a vocabulary: a zoomable 2-D map of the words,
labels that do not pile up, search, nearest neighbours and analogies computed in the page, and
arrows between word pairs.

Everything the page needs is inside the one file: the style, the script and the data. The
vectors travel as 8-bit codes: each unit-normalised row is scaled so that its largest component
is 127 and rounded to int8. Cosine does not depend on a row's scale, so the page needs no scale
factors: the cosine of two rows is the dot product of their codes over the product of the codes'
norms, which differs from the float32 cosine by about 1e-3. The 2-D layout travels as 16-bit
coordinates. A Content-Security-Policy in the page forbids every network request.

Only the words put in the page can be answers: with the default ``n_words`` the neighbours equal
``vectors.most_similar(word, restrict_vocab=n_words)`` up to the quantization.
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
import warnings
from importlib import resources

import numpy as np
from threadpoolctl import threadpool_limits

from ._util import atomic_write, check_choice, check_float, check_int, check_seed, progress_bar
from .export import check_spread, known_rows
from .errors import EmbedkitError

LAYOUTS = ("pca", "tsne")
DEFAULT_WORDS = 20_000
DEFAULT_MAX_MB = 64.0
MAX_CLUSTERS = 64
TSNE_FULL = 20_000  # t-SNE proper on at most this many words (openTSNE: about 4 min on 2 busy cores)
_TSNE_ITERATIONS = (250, 500)  # openTSNE's default schedule: early exaggeration, then the rest


def select_rows(vectors, *, n_words=DEFAULT_WORDS, words=None):
    """Row indices of the words to show: the ``n_words`` most frequent, or the known ``words``.

    Words of ``words`` missing from the vectors are listed in one warning and skipped;
    duplicates are shown once. An empty list, or a list with no known word, is an error.

    Returns
    -------
    ndarray of int64
    """
    if words is None:
        n_words = check_int("n_words", n_words, min=1)
        if n_words > len(vectors):
            n_words = len(vectors)  # the whole vocabulary: nothing to warn about, the default is a cap
        return np.arange(n_words, dtype=np.int64)
    words = list(words)
    if not words:
        raise EmbedkitError("the word list is empty")
    rows, seen, missing = known_rows(vectors, words)
    if not rows:
        raise EmbedkitError(f"none of the {len(seen)} words of the list is in the vectors "
                            f"(first: {missing[0]!r})")
    if missing:
        shown = ", ".join(missing[:20]) + (f" and {len(missing) - 20} more" if len(missing) > 20 else "")
        warnings.warn(f"{len(missing)} of {len(seen)} words are not in the vectors and are left out: {shown}",
                      stacklevel=2)
    return np.array(rows, dtype=np.int64)


def page_size_estimate(n_words, dim, mean_word_bytes=8.0):
    """Bytes of a page with ``n_words`` words of ``dim`` dimensions (base64 of the codes,
    coordinates and colours, the word list as JSON, and about 40 kB of script and style)."""
    binary = n_words * (dim + 4 + 1)
    return int(binary * 4 / 3 + n_words * (mean_word_bytes + 3) + 40_000)


def quantize_rows(unit):
    """int8 codes of unit rows: each row scaled so that its largest |component| becomes 127."""
    unit = np.asarray(unit, dtype=np.float32)
    peak = np.abs(unit).max(axis=1, keepdims=True)
    scale = np.where(peak > 0, 127.0 / np.where(peak > 0, peak, 1.0), 0.0).astype(np.float32)
    return np.rint(unit * scale).astype(np.int8)


def layout_2d(unit, layout="pca", *, seed=0, threads=None, progress=False):
    """2-D positions of the rows of ``unit``: PCA, or t-SNE through openTSNE (FFT-accelerated).

    Returns
    -------
    coords : ndarray of shape (n, 2), float64
    axes : list of two str, names of the axes ("PC1 (12.3% of variance)", "t-SNE 1")
    """
    check_choice("layout", layout, LAYOUTS)
    n = len(unit)
    if n < 3:
        coords = np.zeros((n, 2))
        coords[:, 0] = np.arange(n)
        return coords, ["", ""]
    x = np.asarray(unit, dtype=np.float32)
    check_spread(x, "words to map")
    if x.shape[1] < 2:  # one dimension: the map is a line
        return np.column_stack([x[:, 0], np.zeros(n)]).astype(np.float64), ["dimension 1", ""]
    if layout == "pca":
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2, random_state=seed)
        coords = pca.fit_transform(x).astype(np.float64)
        ratio = pca.explained_variance_ratio_
        return coords, [f"PC{i + 1} ({r:.1%} of variance)" for i, r in enumerate(ratio)]
    try:
        from openTSNE import TSNE
    except ImportError:
        from ._util import install_hint

        raise EmbedkitError(f"the t-SNE map needs openTSNE, an optional extra: {install_hint('tsne', 'openTSNE')}; "
                            "--map pca needs nothing more") from None
    m = min(n, TSNE_FULL)  # rows are most frequent first: t-SNE on the first m, the rest placed beside them
    perplexity = min(30.0, (m - 1) / 3.0)  # openTSNE wants 3 x perplexity < points
    total = sum(_TSNE_ITERATIONS)
    with progress_bar(total=total, desc="t-SNE", unit="it", enabled=progress) as bar:
        def tick(iteration, error, embedding):
            bar.update(10)
            return False

        # euclidean on unit rows ranks pairs as cosine does, and a zero row stays harmless
        tsne = TSNE(n_components=2, perplexity=perplexity, metric="euclidean", initialization="pca",
                    early_exaggeration_iter=_TSNE_ITERATIONS[0], n_iter=_TSNE_ITERATIONS[1],
                    negative_gradient_method="fft" if m > 2000 else "bh", n_jobs=threads or -1,
                    random_state=seed, callbacks=tick, callbacks_every_iters=10, verbose=False)
        coords = np.asarray(tsne.fit(x[:m]), dtype=np.float64)
    axes = ["t-SNE 1", "t-SNE 2"]
    if m < n:
        coords = np.concatenate([coords, place_beside(x[m:], x[:m], coords)])
        axes = [f"t-SNE 1 (t-SNE of the first {m:,} words, the others beside their 10 nearest)", "t-SNE 2"]
    return coords, axes


def place_beside(rows, anchors, anchor_coords, *, k=10, block=2048):
    """Positions for ``rows`` (unit vectors): the mean of the positions of each row's ``k`` nearest
    ``anchors`` by cosine, weighted by the cosine (clipped at 0).

    How t-SNE reaches vocabularies larger than ``TSNE_FULL`` words: the rarer words are put beside
    the frequent words they are most similar to, in one matrix product per block.
    """
    k = min(k, len(anchors))
    out = np.empty((len(rows), 2))
    anchors = np.ascontiguousarray(anchors, dtype=np.float32)
    for start in range(0, len(rows), block):
        sims = rows[start:start + block] @ anchors.T
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        w = np.clip(np.take_along_axis(sims, top, axis=1), 0, None).astype(np.float64) + 1e-6
        out[start:start + block] = (w[:, :, None] * anchor_coords[top]).sum(1) / w.sum(1, keepdims=True)
    return out


def _b64(array):
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def _json_for_script(obj):
    """JSON that can sit inside a <script> element (no '</script>', no HTML comment openers)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") \
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def default_pairs(words):
    """(country, capital) pairs of the Google analogy set whose two words are both in ``words``,
    matched case-insensitively to the most frequent spelling: the classic arrows picture."""
    spelling = {}
    for w in words:
        spelling.setdefault(w.lower(), w)
    pairs, seen = [], set()
    text = resources.files("embedkit.data").joinpath("google.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith(":"):
            if pairs or seen:
                break
            continue
        capital_a, country_a, capital_b, country_b = line.split()
        for capital, country in ((capital_a, country_a), (capital_b, country_b)):
            key = (country.lower(), capital.lower())
            if key in seen:
                continue
            seen.add(key)
            if key[0] in spelling and key[1] in spelling:
                pairs.append((spelling[key[0]], spelling[key[1]]))
    return pairs


def build_page(vectors, *, n_words=DEFAULT_WORDS, words=None, layout="pca", clusters=None, title=None,
               pairs=None, seed=0, max_mb=DEFAULT_MAX_MB, threads=None, progress=False):
    """The explorer page for ``vectors`` as one HTML string (write it with ``write_page``).

    Parameters
    ----------
    vectors : Vectors
    n_words : int, default=20000
        Show the ``n_words`` most frequent words (all of them if the vocabulary is smaller).
    words : list of str or None, default=None
        Show these words instead; those missing from the vectors are listed in a warning.
    layout : {"pca", "tsne"}, default="pca"
        The 2-D map: PCA of the unit vectors, or t-SNE (cosine, openTSNE's FFT method; needs
        the ``tsne`` extra). Past ``TSNE_FULL`` (20,000) words, t-SNE runs on the first 20,000
        (the most frequent) and each other word is placed at the cosine-weighted mean of its 10
        nearest among them (``place_beside``).
    clusters : int or None, default=None
        Colour the words by k-means (scikit-learn's MiniBatchKMeans on the unit vectors) into
        this many clusters, 2 to 64.
    title : str or None, default=None
        Page title; by default "N words".
    pairs : list of (str, str) or None, default=None
        Word pairs filled into the page's pairs box; by default the country -> capital pairs of
        the Google analogy set found among the words.
    seed : int, default=0
        Seed of PCA's solver, t-SNE and k-means.
    max_mb : float, default=64
        Refuse to build a page larger than this many megabytes (before any work).
    threads : int or None, default=None
        Threads for PCA, k-means and t-SNE (all cores by default).
    progress : bool, default=False
        Show a progress bar while t-SNE runs.

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np
    >>> from embedkit import Vectors
    >>> v = Vectors(["cat", "dog", "car", "bus"], np.eye(4, dtype=np.float32) + 0.1)
    >>> page = build_page(v, title="four words")
    >>> page.startswith("<!doctype html>") and "four words" in page
    True
    """
    check_choice("layout", layout, LAYOUTS)
    seed = check_seed(seed)
    max_mb = check_float("max_mb", max_mb, min=0, min_open=True)
    if clusters is not None:
        clusters = check_int("clusters", clusters, min=2, max=MAX_CLUSTERS)
    if title is not None and not isinstance(title, str):
        raise EmbedkitError(f"title must be a string, got {title!r}")
    rows = select_rows(vectors, n_words=n_words, words=words)
    n, dim = len(rows), vectors.dim
    mean_len = float(np.mean([len(vectors.words[i].encode("utf-8")) for i in rows[:2000].tolist()]))
    size = page_size_estimate(n, dim, mean_len)
    if size > max_mb * 1e6:
        fixed = page_size_estimate(0, dim, mean_len)  # the script and style
        per_word = (size - fixed) / n
        least = fixed + per_word  # a page of one word
        if least > max_mb * 1e6:
            raise EmbedkitError(f"the page's script and style alone take about {least / 1e6:.2f} MB, over the "
                                f"{max_mb:g} MB budget: give --max-mb {math.ceil(least / 1e4) / 100:g} or more")
        fit = max(1, int((max_mb * 1e6 - fixed) / per_word))
        raise EmbedkitError(f"a page of {n:,} words x {dim} dimensions would be about {size / 1e6:.2g} MB, over the "
                            f"{max_mb:g} MB budget: show fewer words (--words {fit:,} or less)")
    if clusters is not None and clusters > n:
        raise EmbedkitError(f"clusters must be at most the number of words ({n}), got {clusters}")

    unit = vectors.unit[rows]
    with threadpool_limits(limits=threads):  # BLAS / OpenMP of scikit-learn and openTSNE
        coords, axes = layout_2d(unit, layout, seed=seed, threads=threads, progress=progress)
        colours = _kmeans(unit, clusters, seed) if clusters is not None else None
    lo = coords.min(axis=0)
    span = float((coords.max(axis=0) - lo).max()) or 1.0
    centred = (coords - lo) / span + (1.0 - (coords.max(axis=0) - lo) / span) / 2  # same scale on both axes
    xy = np.rint(np.clip(centred, 0, 1) * 65535).astype("<u2")

    page_words = [vectors.words[i] for i in rows.tolist()]
    if pairs is None:
        pairs = default_pairs(page_words)
    pairs = [(str(a), str(b)) for a, b in pairs]
    shown = set(page_words)
    off = sum(1 for a, b in pairs if a not in shown or b not in shown)
    if off:  # the page draws an arrow only between two of its own words
        warnings.warn(f"{off} of the {len(pairs)} pairs have a word that is not on the page; they draw no arrow",
                      stacklevel=2)
    meta = {
        "title": title or f"{n:,} words",
        "words": page_words,
        "dim": dim,
        "layout": layout,
        "axes": axes,
        "clusters": clusters or 0,
        "pairs": pairs,
        "frequent": words is None,
    }
    parts = [
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; "
        "style-src 'unsafe-inline'; img-src data:\">\n",
        "<meta name=\"color-scheme\" content=\"light dark\">\n",
        f"<title>{html.escape(meta['title'])}</title>\n<link rel=\"icon\" href=\"data:,\">\n",
        "<style>\n", _asset("explore.css"), "</style>\n</head>\n<body>\n",
        _asset("explore.html").replace("{{title}}", html.escape(meta["title"])),
        '<script type="application/json" id="ek-meta">', _json_for_script(meta), "</script>\n",
        '<script type="application/octet-stream" id="ek-vectors">', _b64(quantize_rows(unit)), "</script>\n",
        '<script type="application/octet-stream" id="ek-coords">', _b64(xy), "</script>\n",
        '<script type="application/octet-stream" id="ek-clusters">', _b64(colours) if colours is not None else "",
        "</script>\n",
        "<script>\n", _asset("explore.js"), "</script>\n</body>\n</html>\n",
    ]
    return "".join(parts)


def _kmeans(unit, clusters, seed):
    from sklearn.cluster import MiniBatchKMeans

    km = MiniBatchKMeans(n_clusters=clusters, random_state=seed, n_init=3, batch_size=4096)
    return km.fit_predict(np.asarray(unit, dtype=np.float32)).astype(np.uint8)


def _asset(name):
    text = resources.files("embedkit.data").joinpath(name).read_text(encoding="utf-8")
    if re.search(r"</script", text, re.IGNORECASE) and name != "explore.html":
        raise AssertionError(f"{name} must not contain a closing script tag")  # an embedkit bug, not user input
    return text


def write_page(page, path):
    """Write the page atomically: an interrupted write leaves no partial file."""
    if not isinstance(page, str):
        raise EmbedkitError(f"page must be the string returned by build_page, got {type(page).__name__}")
    with atomic_write(path, "w", encoding="utf-8") as f:
        f.write(page)
