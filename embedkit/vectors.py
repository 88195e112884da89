"""``Vectors``: words plus a float32 matrix, and the queries on them.

The file formats (reading, writing, detection) are in ``embedkit.formats``; ``Vectors.load`` and
``Vectors.save`` are thin wrappers over ``formats.read`` and ``formats.write``.
"""

from __future__ import annotations

import difflib

import numpy as np

from . import formats
from ._util import check_choice, check_int
from .errors import EmbedkitError, UnknownWordError
from .formats import FORMATS  # noqa: F401  (re-exported: the formats ``save`` writes)

ANALOGY_METHODS = ("add", "mul")
MUL_EPSILON = 1e-3


class Vectors:
    """Word vectors: ``words`` (most frequent first) and a float32 ``matrix``, one row per word.

    There are no mutators; the unit-normalised matrix is computed once, on first use.

    Parameters
    ----------
    words : list of str
        Distinct words.
    matrix : array, shape (len(words), dim)
        Converted to C-contiguous float32.
    counts : array of int or None, default=None
        Corpus counts of the words, if known.

    Examples
    --------
    >>> v = Vectors(["a", "b", "c"], np.eye(3))
    >>> v.most_similar("a", topn=1)
    [('b', 0.0)]
    >>> v["c"].tolist()
    [0.0, 0.0, 1.0]
    """

    def __init__(self, words, matrix, counts=None):
        words = list(words)
        matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[0] != len(words):
            raise EmbedkitError(f"{len(words)} words but a matrix of shape {matrix.shape}")
        if counts is not None:
            counts = np.asarray(counts, dtype=np.int64)
            if counts.shape != (len(words),):
                raise EmbedkitError(f"{len(words)} words but {counts.size} counts")
        bad = next((i for i, w in enumerate(words) if not isinstance(w, str) or not w or w.strip() != w), None)
        if bad is not None:
            raise EmbedkitError(f"invalid word at row {bad}: {words[bad]!r}")
        index = dict(zip(words, range(len(words))))
        if len(index) != len(words):
            first = {}
            for i, w in enumerate(words):
                if first.setdefault(w, i) != i:
                    raise EmbedkitError(f"duplicate word {w!r} at rows {first[w]} and {i}")
        matrix = matrix.view()  # read-only view; the caller's array stays as it was
        matrix.flags.writeable = False
        self.words = words
        self.matrix = matrix
        self.counts = counts
        self._index = index
        self._unit = None

    # ------------------------------------------------------------ basics
    def __len__(self):
        return len(self.words)

    def __contains__(self, word):
        return word in self._index

    def __repr__(self):
        return f"Vectors({len(self)} words x {self.dim})"

    @property
    def dim(self):
        return self.matrix.shape[1]

    def __getitem__(self, word):
        return self.matrix[self.index(word)]

    def index(self, word):
        """Row of ``word``; EmbedkitError naming it, with the closest spelling where one exists."""
        try:
            return self._index[word]
        except KeyError:
            pass
        hint = self.closest_spelling(word)
        raise UnknownWordError(f"word not in vocabulary: {word!r}" + (f" (did you mean {hint!r}?)" if hint else ""),
                               word, hint)

    def closest_spelling(self, word):
        """The vocabulary word spelled most like ``word`` (None if nothing is close)."""
        if not isinstance(word, str) or not word:
            return None
        lower = word.lower()
        if lower != word and lower in self._index:
            return lower
        cands = [w for w in self.words[:200_000] if abs(len(w) - len(word)) <= 2 and w[:1] == lower[:1]]
        close = difflib.get_close_matches(lower, cands, n=10, cutoff=0.7)
        if not close:
            return None
        # fewest edits (a swap of two letters counts as one), then the more frequent word
        return min(close, key=lambda w: (_edit_distance(lower, w.lower()), self._index[w]))

    @property
    def unit(self):
        """The rows scaled to unit length (zero rows stay zero), read-only, computed once."""
        if self._unit is None:
            norms = np.linalg.norm(self.matrix, axis=1, keepdims=True)
            unit = self.matrix / np.where(norms > 0, norms, 1.0).astype(np.float32)
            unit.flags.writeable = False
            self._unit = unit
        return self._unit

    # ------------------------------------------------------------ queries
    def _rows(self, restrict):
        if restrict is None:
            return self.unit
        check_int("restrict", restrict, min=1)
        return self.unit[:restrict]

    def most_similar(self, word_or_vector, topn=10, *, negative=(), restrict=None):
        """Nearest words by cosine to a word (or a vector), minus the ``negative`` words.

        Like gensim's ``most_similar(positive=[word], negative=negative)``: the query is the
        unit vector of the word minus the unit vectors of the negative words; the query words
        themselves are left out of the answer.

        Parameters
        ----------
        word_or_vector : str or ndarray of shape (dim,)
        topn : int, default=10
        negative : sequence of str, default=()
        restrict : int or None, default=None
            Search only the ``restrict`` most frequent words.

        Returns
        -------
        list of (str, float)
        """
        check_int("topn", topn, min=1)
        if isinstance(negative, str):
            negative = (negative,)
        negative_rows = [self.index(w) for w in negative]
        exclude = list(negative_rows)
        if isinstance(word_or_vector, str):
            i = self.index(word_or_vector)
            exclude.append(i)
            query = self.unit[i].astype(np.float64)
        else:
            query = np.asarray(word_or_vector, dtype=np.float64)
            if query.shape != (self.dim,):
                raise EmbedkitError(f"query vector must have shape ({self.dim},), got {query.shape}")
            n = np.linalg.norm(query)
            query = query / n if n > 0 else query
        for i in negative_rows:
            query = query - self.unit[i]
        n = np.linalg.norm(query)
        if n > 0:
            query = query / n
        scores = self._rows(restrict) @ query.astype(np.float32)
        return self._top(scores, topn, exclude)

    def analogy(self, a, b, c, topn=5, *, method="add", restrict=None):
        """Words nearest to ``a - b + c``: ``analogy("king", "man", "woman")`` -> queen first.

        ``method="add"`` is 3CosAdd, cos(x, a) - cos(x, b) + cos(x, c); ``"mul"`` is Levy &
        Goldberg's 3CosMul, s(x, a) s(x, c) / (s(x, b) + 0.001) with s = (cos + 1) / 2. The
        three query words are left out of the answer.

        Returns
        -------
        list of (str, float)
        """
        check_int("topn", topn, min=1)
        check_choice("method", method, ANALOGY_METHODS)
        ia, ib, ic = self.index(a), self.index(b), self.index(c)
        rows = self._rows(restrict)
        sims = rows @ self.unit[[ia, ib, ic]].T
        scores = analogy_scores(sims[:, 0], sims[:, 1], sims[:, 2], method)
        return self._top(scores, topn, [ia, ib, ic])

    def _top(self, scores, topn, exclude):
        scores = np.array(scores, dtype=np.float64)
        exclude = [i for i in exclude if i < len(scores)]
        scores[exclude] = -np.inf
        k = min(topn, len(scores) - len(set(exclude)))
        if k <= 0:
            return []
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((top, -scores[top]))]
        return [(self.words[i], float(scores[i])) for i in top]

    def doc_vector(self, text, *, lowercase=False):
        """Mean of the unit vectors of the in-vocabulary tokens of ``text`` (whitespace tokens).

        Returns ``(vector, share)`` where ``share`` is the fraction of tokens found. A text with
        no known token raises EmbedkitError.
        """
        tokens = text.lower().split() if lowercase else text.split()
        rows = [self._index[t] for t in tokens if t in self._index]
        if not rows:
            raise EmbedkitError(f"no word of the text is in the vocabulary: {text[:60]!r}")
        return self.unit[rows].mean(axis=0), len(rows) / len(tokens)

    def doc_similarity(self, text1, text2, *, lowercase=False):
        """Cosine of the ``doc_vector`` of two texts, and the share of known tokens of each.

        Returns
        -------
        (float, float, float)
            cosine, share of ``text1`` in the vocabulary, share of ``text2``.
        """
        (v1, s1), (v2, s2) = (self.doc_vector(t, lowercase=lowercase) for t in (text1, text2))
        n = float(np.linalg.norm(v1) * np.linalg.norm(v2))
        return (float(v1 @ v2) / n if n > 0 else 0.0), s1, s2

    # ------------------------------------------------------------ files
    def save(self, path, format=None):
        """Write the vectors to ``path`` atomically; returns the list of files written.

        Without ``format`` the suffix decides: ``.bin`` word2vec binary, ``.npy`` the NumPy pair
        (``NAME.npy`` + ``NAME.vocab``), ``.txt``/``.vec`` and anything else word2vec text; a final
        ``.gz``/``.bz2``/``.xz`` compresses the file. A ``format`` the suffix contradicts (``.bin``
        with ``"word2vec"``) raises EmbedkitError. Text formats write each float with 9
        significant digits, so float32 values read back exactly.

        Parameters
        ----------
        path : str or path-like
        format : {"word2vec", "word2vec-binary", "glove", "npy"} or None, default=None

        Returns
        -------
        list of str
            ``[path]``, or the ``.npy`` and ``.vocab`` files of the NumPy pair.
        """
        return formats.write(self, path, format)

    @classmethod
    def load(cls, path, format=None, *, limit=None):
        """Read vectors, detecting the format (and gzip/bzip2/xz compression) from the content.

        Parsing is a compiled pass over the bytes (no Python per number), and any line that is
        not ``word`` + ``dim`` numbers raises EmbedkitError naming the line. A file that holds no
        vectors (a vocabulary, a pickle, a corpus) raises EmbedkitError saying what it looks like.

        Parameters
        ----------
        path : str or path-like
            For the NumPy pair, ``NAME.npy`` or the ``NAME`` it was saved as.
        format : {"word2vec", "word2vec-binary", "glove", "npy"} or None, default=None
        limit : int or None, default=None
            Read only the first ``limit`` words (the most frequent, in files sorted by count).

        Returns
        -------
        Vectors
        """
        return formats.read(path, format, limit=limit)


def _edit_distance(a, b):
    """Optimal-string-alignment distance: insertions, deletions, substitutions, adjacent swaps."""
    prev2, prev = None, list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def analogy_scores(cos_a, cos_b, cos_c, method):
    """Score of every candidate for ``a - b + c`` from its cosines to a, b and c."""
    if method == "add":
        return cos_a - cos_b + cos_c
    sa, sb, sc = (cos_a + 1) / 2, (cos_b + 1) / 2, (cos_c + 1) / 2
    return sa * sc / (sb + MUL_EPSILON)
