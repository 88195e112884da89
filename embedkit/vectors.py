"""``Vectors``: words plus a float32 matrix, and the queries on them.

The file formats (reading, writing, detection) are in ``embedkit.formats``; ``Vectors.load`` and
``Vectors.save`` are thin wrappers over ``formats.read`` and ``formats.write``.
"""

from __future__ import annotations

import copy
import difflib
import warnings
from types import MappingProxyType

import numpy as np

from . import formats
from ._util import ASCII_WHITESPACE, check_choice, check_int, output_group
from .errors import EmbedkitError, UnknownWordError
from .formats import FORMATS  # noqa: F401  (re-exported: the formats ``save`` writes)

ANALOGY_METHODS = ("add", "mul")
LOOKUP_MISSING = ("raise", "skip", "keep")
MUL_EPSILON = 1e-3



def _named(word, hint):
    """An unknown word as errors name it: ``'teh' (did you mean 'the'?)``."""
    return f"{word!r}" + (f" (did you mean {hint!r}?)" if hint else "")

class Vectors:
    """Word vectors: ``words`` (most frequent first) and a float32 ``matrix``, one row per word.

    There are no mutators; the unit-normalised matrix is computed once, on first use. The
    queries of gensim's ``KeyedVectors`` are here with gensim's names, arguments and meanings
    (``most_similar``, ``similarity``, ``doesnt_match``, ``rank``, ``index_to_key``, ...); a
    missing word raises ``UnknownWordError``, both ``EmbedkitError`` and ``KeyError``. Every
    query gets a word's vector from ``_vector_for(word)``, the one hook a subclass overrides.

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
        bad = next((i for i, w in enumerate(words) if not isinstance(w, str) or not w or "\n" in w or "\0" in w
                    or w.strip(ASCII_WHITESPACE) != w), None)
        if bad is not None:
            raise EmbedkitError(f"invalid word at row {bad}: {words[bad]!r}")
        index = dict(zip(words, range(len(words))))
        if len(index) != len(words):
            first = {}
            for i, w in enumerate(words):
                if first.setdefault(w, i) != i:
                    raise EmbedkitError(f"duplicate word {w!r}: words {first[w] + 1} and {i + 1}")  # counted from 1
        matrix = matrix.view()  # read-only view; the caller's array stays as it was
        matrix.flags.writeable = False
        self.words = words
        self.matrix = matrix
        self.counts = counts
        self._index = index
        self._unit = None
        self._lower = None  # lower-cased word -> row of its most frequent spelling

    def with_matrix(self, matrix):
        """These words and counts with another matrix of as many rows (a model's output layer,
        say), as plain :class:`Vectors`; the word list and its index are shared, not copied."""
        matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[0] != len(self.words):
            raise EmbedkitError(f"{len(self.words)} words but a matrix of shape {matrix.shape}")
        matrix = matrix.view()
        matrix.flags.writeable = False
        new = Vectors.__new__(Vectors)
        new.words, new.matrix, new.counts, new._index = self.words, matrix, self.counts, self._index
        new._unit = new._lower = None
        return new

    # ------------------------------------------------------------ basics
    def __len__(self):
        return len(self.words)

    def __iter__(self):
        """The words, most frequent first."""
        return iter(self.words)

    def __contains__(self, word):
        return self.has_index_for(word)

    def __repr__(self):
        return f"{type(self).__name__}({len(self)} words x {self.dim})"

    @property
    def dim(self):
        return self.matrix.shape[1]

    @property
    def vector_size(self):
        """gensim's name for ``dim``."""
        return self.dim

    @property
    def vectors(self):
        """gensim's name for ``matrix`` (read-only)."""
        return self.matrix

    def get_normed_vectors(self):
        """Every row scaled to unit length (gensim's name for ``unit``; zero rows stay zero)."""
        return self.unit

    def with_counts(self, counts):
        """These vectors with corpus ``counts`` (one int per word) attached: a new object of the same
        class sharing the matrix (nothing is changed in place)."""
        counts = np.asarray(counts, dtype=np.int64)
        if counts.shape != (len(self.words),):
            raise EmbedkitError(f"{len(self.words)} words but {counts.size} counts")
        new = copy.copy(self)
        new.counts = counts
        return new

    @property
    def index_to_key(self):
        """gensim's name for ``words``: the word of each row."""
        return self.words

    @property
    def key_to_index(self):
        """``{word: row}``, read-only (gensim's dict, which nothing here may change)."""
        return MappingProxyType(self._index)

    def has_index_for(self, key):
        """True when ``key`` is a word of the vocabulary (has a row)."""
        return isinstance(key, str) and key in self._index

    def get_index(self, key, default=None):
        """Row of ``key``; ``default`` when it is missing and ``default`` is not None, else
        UnknownWordError (a KeyError) naming the closest spelling. Unlike gensim, an int is
        never taken for a row number."""
        if isinstance(key, str) and key in self._index:
            return self._index[key]
        if default is not None:
            return default
        return self.index(key)

    def __getitem__(self, word_or_words):
        """The vector of a word, or for a list of words a (len(words), dim) array of their vectors
        (as gensim); read-only."""
        if isinstance(word_or_words, (list, tuple)):
            if not word_or_words:
                return np.empty((0, self.dim), np.float32)
            return np.stack([self._vector_for(w) for w in word_or_words])
        return self.get_vector(word_or_words)

    def index(self, word):
        """Row of ``word``; UnknownWordError (both EmbedkitError and KeyError) naming it, with the
        closest spelling where one exists."""
        if isinstance(word, str) and word in self._index:
            return self._index[word]
        hint = self.closest_spelling(word)
        raise UnknownWordError(f"word not in vocabulary: {_named(word, hint)}", word, hint)

    def resolve(self, word):
        """The vocabulary's spelling of ``word``: ``word`` itself if known, else the most frequent
        word equal to it ignoring case (as ``eval`` matches); UnknownWordError otherwise.

        >>> Vectors(["paris", "Paris"], np.eye(2)).resolve("PARIS")
        'paris'
        """
        if isinstance(word, str):
            if word in self._index:
                return word
            if self._lower is None:
                lower = {}
                for i, w in enumerate(self.words):
                    lower.setdefault(w.lower(), i)
                self._lower = lower
            i = self._lower.get(word.lower())
            if i is not None:
                return self.words[i]
        self.index(word)  # raises, naming the closest spelling
        raise AssertionError("unreachable")

    def lookup(self, words, *, missing="raise"):
        """The lookup policy of every command: each of ``words`` as the vocabulary spells it.

        A word is taken exactly when it has a vector; else as the most frequent word equal to it
        ignoring case (as ``eval`` matches); else, for vectors that compose unseen words (fastText),
        as it is. One warning lists every word matched ignoring case (``'PARIS' -> 'paris'``).

        Parameters
        ----------
        words : list of str
        missing : {"raise", "skip", "keep"}, default="raise"
            What a word without a vector does: ``raise`` UnknownWordError (naming its closest
            spelling) before any warning; ``skip`` it, naming the skipped words in one warning
            (UnknownWordError, naming them all, when no word is left); or ``keep`` it unchanged
            (for texts, whose unknown tokens are left out later and counted).

        Returns
        -------
        list of str

        Examples
        --------
        >>> Vectors(["paris", "Paris", "rome"], np.eye(3)).lookup(["rome", "PARIS"])  # doctest: +SKIP
        ['rome', 'paris']   # and the warning: not in the vocabulary, matched ignoring case: 'PARIS' -> 'paris'
        """
        check_choice("missing", missing, LOOKUP_MISSING)
        if isinstance(words, str):
            raise EmbedkitError(f"words must be a list of words, not a string: {words!r}")
        found, changed, unknown = [], {}, []
        for i, w in enumerate(words):
            try:
                f = self.resolve(w)
            except UnknownWordError as e:
                if missing == "raise":
                    errors = [e] + [x for x in (self._unknown(u) for u in words[i + 1:]) if x is not None]
                    if len(errors) == 1:
                        raise
                    named = dict.fromkeys(_named(x.word, x.suggestion) for x in errors)
                    raise UnknownWordError("words not in vocabulary: " + ", ".join(named), e.word, e.suggestion) \
                        from None
                unknown.append(str(e))
                if missing == "keep":
                    found.append(w)
                continue
            if f != w:
                changed[f"{w!r} -> {f!r}"] = None
            found.append(f)
        if missing == "skip" and unknown and not found:
            raise UnknownWordError("; ".join(dict.fromkeys(unknown)), words[0] if len(words) == 1 else None)
        if changed:
            warnings.warn("not in the vocabulary, matched ignoring case: " + ", ".join(changed), stacklevel=2)
        if missing == "skip" and unknown:
            warnings.warn("; ".join(dict.fromkeys(unknown)), stacklevel=2)
        return found

    def _unknown(self, word):
        """The UnknownWordError of ``word``, or None when it resolves."""
        try:
            self.resolve(word)
        except UnknownWordError as e:
            return e
        return None

    def closest_spelling(self, word):
        """The vocabulary word spelled most like ``word`` (None if nothing is close)."""
        if not isinstance(word, str) or not word:
            return None
        lower = word.lower()
        if lower != word and lower in self._index:
            return lower
        cands = [w for w in self.words[:200_000] if abs(len(w) - len(word)) <= 2 and w[:1] == lower[:1]]
        # cutoff 0.6: a swap in a short word ("teh" for "the") scores 0.67
        close = difflib.get_close_matches(lower, cands, n=30, cutoff=0.6)
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

    # ------------------------------------------------------------ the lookup hook
    def _vector_for(self, word):
        """The raw float32 vector of ``word``: the one lookup every query goes through.

        A subclass that can make vectors for words outside the vocabulary (subword models)
        overrides this; rows of known words come from ``matrix`` either way.
        """
        return self.matrix[self.index(word)]

    def _unit_for(self, word):
        """Unit vector of ``word`` (read from ``unit`` for rows, else ``_vector_for`` normalised)."""
        i = self._index.get(word) if isinstance(word, str) else None
        if i is not None:
            return self.unit[i]
        return _normalised(np.asarray(self._vector_for(word), dtype=np.float32))

    def get_vector(self, key, norm=False):
        """The vector of ``key`` (unit length with ``norm=True``), read-only.

        Examples
        --------
        >>> v = Vectors(["a", "b"], [[3.0, 4.0], [1.0, 0.0]])
        >>> v.get_vector("a").tolist(), v.get_vector("a", norm=True).tolist()
        ([3.0, 4.0], [0.6000000238418579, 0.800000011920929])
        """
        vec = self._unit_for(key) if norm else self._vector_for(key)
        vec = vec.view()
        vec.flags.writeable = False
        return vec

    # ------------------------------------------------------------ gensim KeyedVectors queries
    def similarity(self, w1, w2):
        """Cosine similarity of two words (a Python float).

        >>> Vectors(["a", "b"], [[1.0, 0.0], [1.0, 1.0]]).similarity("a", "b")  # doctest: +ELLIPSIS
        0.7071...
        """
        return float(self._unit_for(w1).astype(np.float64) @ self._unit_for(w2).astype(np.float64))

    def distance(self, w1, w2):
        """Cosine distance, ``1 - similarity(w1, w2)``."""
        return 1.0 - self.similarity(w1, w2)

    @staticmethod
    def cosine_similarities(vector_1, vectors_all):
        """Cosine of ``vector_1`` (dim,) with each row of ``vectors_all`` (n, dim); a zero vector
        has cosine 0 with everything (gensim gives nan)."""
        v1 = np.asarray(vector_1, dtype=np.float32)
        rows = np.asarray(vectors_all, dtype=np.float32)
        norms = np.linalg.norm(rows, axis=1)
        return (rows @ _normalised(v1)) / np.where(norms > 0, norms, 1).astype(np.float32)

    def distances(self, word_or_vector, other_words=()):
        """Cosine distances from a word (or a vector of shape (dim,)) to each of ``other_words``,
        or to every word in vocabulary order when ``other_words`` is empty.

        Returns
        -------
        ndarray of float32
        """
        query = self._query_vector(word_or_vector, "word_or_vector")
        if isinstance(other_words, str):
            raise EmbedkitError("other_words must be a list of words, not a string")
        other_words = list(other_words)
        rows = self.unit if not other_words else np.stack([self._unit_for(w) for w in other_words])
        return (1 - rows @ _normalised(query)).astype(np.float32)

    def n_similarity(self, ws1, ws2):
        """Cosine of the mean vectors of two lists of words (means of the raw vectors, as gensim).

        >>> v = Vectors(["a", "b", "c"], np.eye(3))
        >>> round(v.n_similarity(["a", "b"], ["a"]), 4)
        0.7071
        """
        means = []
        for name, ws in (("ws1", ws1), ("ws2", ws2)):
            if isinstance(ws, str) or not len(ws):
                raise EmbedkitError(f"{name} must be a non-empty list of words, got {ws!r}")
            means.append(np.mean([self._vector_for(w).astype(np.float64) for w in ws], axis=0))
        return float(_normalised(means[0]) @ _normalised(means[1]))

    def doesnt_match(self, words):
        """The word of ``words`` furthest from the mean of their unit vectors.

        As gensim, words without a vector are left out, with a warning naming them; unlike
        gensim, it is an error (UnknownWordError) when fewer than two words are left then, since
        one word alone would be its own answer.

        >>> v = Vectors(["a", "b", "c"], [[1.0, 0.1], [1.0, 0.0], [0.0, 1.0]])
        >>> v.doesnt_match(["a", "b", "c"])
        'c'
        """
        if isinstance(words, str) or not len(words):
            raise EmbedkitError(f"words must be a non-empty list of words, got {words!r}")
        words, units, unknown = list(words), [], []
        for w in words:
            try:
                units.append(self._unit_for(w))
            except UnknownWordError as e:
                unknown.append(e)
        if unknown:
            words = [w for w in words if w not in {e.word for e in unknown}]
            if len(words) < 2:  # one known word would be its own answer
                raise unknown[0]
            warnings.warn("doesnt_match ignores words not in the vocabulary: " + "; ".join(str(e) for e in unknown),
                          stacklevel=2)
        units = np.stack(units)
        mean = _normalised(units.mean(axis=0))
        return min(zip((units @ mean).tolist(), words))[1]

    def most_similar(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """The ``topn`` words nearest by cosine to the mean of the ``positive`` unit vectors minus
        the ``negative`` ones (gensim's ``most_similar``); the query words are left out.

        Parameters
        ----------
        positive, negative : str, ndarray of shape (dim,), a list of them, or None
            Words (unit-normalised first) and vectors (taken as they are), as gensim. Weighted
            ``(word, weight)`` pairs are not supported.
        topn : int, default=10
            Pass it by keyword: the second positional parameter is ``negative``, as in gensim.
        restrict_vocab : int or None, default=None
            Search only the ``restrict_vocab`` most frequent words.

        Returns
        -------
        list of (str, float)
            Always a list (gensim's ``topn=None`` returning an array is not supported).

        Examples
        --------
        >>> v = Vectors(["a", "b", "c"], [[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
        >>> v.most_similar("a", topn=1)  # doctest: +ELLIPSIS
        [('b', 0.7071...)]
        >>> v.most_similar(positive=["b"], negative=["a"], topn=1)  # doctest: +ELLIPSIS
        [('c', 0.9238...)]
        """
        topn = check_int("topn", topn, min=1)
        pos, neg = self._terms(positive, "positive"), self._terms(negative, "negative")
        if not pos and not neg:
            raise EmbedkitError("most_similar needs at least one positive or negative word")
        mean = np.zeros(self.dim)
        for sign, terms in ((1.0, pos), (-1.0, neg)):
            for t in terms:
                mean += sign * (self._unit_for(t) if isinstance(t, str) else t)
        if not mean.any():  # every cosine would be 0, and the "neighbours" arbitrary
            zero = [t for t in pos + neg if isinstance(t, str) and not self._unit_for(t).any()]
            raise EmbedkitError(f"{zero[0]!r} has a zero vector: no word is nearer to it than another" if zero else
                                "the query's vectors cancel out (their sum is zero): no word is nearer than another")
        mean = _normalised(mean / (len(pos) + len(neg))).astype(np.float32)
        scores = self._rows(restrict_vocab) @ mean
        return self._top(scores, topn, self._rows_of(pos + neg))

    def most_similar_cosmul(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """Nearest words by Levy & Goldberg's multiplicative objective (gensim's
        ``most_similar_cosmul``): prod s(x, p) / (prod s(x, n) + 1e-6) with s = (cos + 1) / 2.

        Differences from gensim: vectors given as queries are normalised (gensim multiplies by
        their length), and ``restrict_vocab`` is honoured (gensim 4 ignores it). ``analogy(...,
        method="mul")`` is the same objective for three words with Levy & Goldberg's 0.001.

        Returns
        -------
        list of (str, float)
        """
        topn = check_int("topn", topn, min=1)
        pos, neg = self._terms(positive, "positive"), self._terms(negative, "negative")
        if not pos:
            raise EmbedkitError("most_similar_cosmul needs at least one positive word")
        rows = self._rows(restrict_vocab)

        def shifted(t):
            q = self._unit_for(t) if isinstance(t, str) else _normalised(t).astype(np.float32)
            return (1 + rows @ q) / 2

        scores = np.prod([shifted(t) for t in pos], axis=0) / (np.prod([shifted(t) for t in neg], axis=0) + 1e-6)
        return self._top(scores, topn, self._rows_of(pos + neg))

    def similar_by_word(self, word, topn=10, restrict_vocab=None):
        """``most_similar(positive=[word], topn=topn, restrict_vocab=restrict_vocab)``."""
        if not isinstance(word, str):
            raise EmbedkitError(f"word must be a string, got {type(word).__name__}")
        return self.most_similar([word], topn=topn, restrict_vocab=restrict_vocab)

    similar_by_key = similar_by_word

    def similar_by_vector(self, vector, topn=10, restrict_vocab=None):
        """The ``topn`` words nearest by cosine to ``vector`` (shape (dim,))."""
        return self.most_similar([self._query_vector(vector, "vector", words=False)], topn=topn,
                                 restrict_vocab=restrict_vocab)

    def closer_than(self, key1, key2):
        """Every word closer to ``key1`` than ``key2`` is (by cosine), in vocabulary order."""
        dists = self.distances(key1)
        d2 = dists[self.index(key2)]
        i1 = self._index.get(key1)
        return [self.words[i] for i in np.flatnonzero(dists < d2).tolist() if i != i1]

    words_closer_than = closer_than  # gensim 3's name, deprecated in gensim 4

    def rank(self, key1, key2):
        """Rank of ``key2`` among the neighbours of ``key1`` (1 = nearest)."""
        return len(self.closer_than(key1, key2)) + 1

    def most_similar_to_given(self, key1, keys_list):
        """The word of ``keys_list`` most similar (by cosine) to ``key1``; the first on a tie.

        >>> Vectors(["a", "b", "c"], [[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]).most_similar_to_given("a", ["c", "b"])
        'b'
        """
        if isinstance(keys_list, str) or not len(keys_list):
            raise EmbedkitError(f"keys_list must be a non-empty list of words, got {keys_list!r}")
        keys_list = list(keys_list)
        sims = [self.similarity(key1, k) for k in keys_list]
        return keys_list[int(np.argmax(sims))]

    def get_mean_vector(self, keys, weights=None, pre_normalize=True, post_normalize=False, ignore_missing=True):
        """Weighted mean of the vectors of ``keys`` (words, or vectors of shape (dim,)), as gensim:
        the sum of ``weight * vector`` over the keys found divided by the sum of ``|weight|``.

        Parameters
        ----------
        keys : list of str or ndarray
        weights : list or array of float, or None, default=None
            One per key; None weighs every key 1.
        pre_normalize : bool, default=True
            Average the words' unit vectors (vectors given as keys are taken as they are).
        post_normalize : bool, default=False
            Scale the mean to unit length.
        ignore_missing : bool, default=True
            Leave out words without a vector (with a warning naming them), or raise
            UnknownWordError.

        Returns
        -------
        ndarray of float32, shape (dim,)
            Zero when no key was found.
        """
        if isinstance(keys, (str, np.ndarray)) and not (isinstance(keys, np.ndarray) and keys.ndim == 2):
            keys = [keys]
        keys = list(keys)
        if not keys:
            raise EmbedkitError("get_mean_vector needs at least one key")
        weights = np.ones(len(keys)) if weights is None else np.asarray(weights, dtype=np.float64)
        if weights.shape != (len(keys),):
            raise EmbedkitError(f"{len(keys)} keys but weights of shape {weights.shape}")
        total, weight, unknown = np.zeros(self.dim), 0.0, []
        for key, w in zip(keys, weights.tolist()):
            if isinstance(key, str):
                try:
                    vec = self._unit_for(key) if pre_normalize else self._vector_for(key)
                except UnknownWordError as e:
                    if not ignore_missing:
                        raise
                    unknown.append(str(e))
                    continue
            else:
                vec = self._query_vector(key, "keys", words=False)
            total += w * vec
            weight += abs(w)
        if unknown:
            warnings.warn("get_mean_vector ignores words not in the vocabulary: " + "; ".join(unknown), stacklevel=2)
        mean = total / weight if weight > 0 else total
        if post_normalize:
            mean = _normalised(mean)
        return mean.astype(np.float32)

    # ------------------------------------------------------------ analogies and documents
    def analogy(self, a, b, c, topn=5, *, method="add", restrict_vocab=None):
        """Words nearest to ``a - b + c``: ``analogy("king", "man", "woman")`` -> queen first.

        ``method="add"`` is 3CosAdd, cos(x, a) - cos(x, b) + cos(x, c) (the order of
        ``most_similar(positive=[a, c], negative=[b])``); ``"mul"`` is Levy & Goldberg's 3CosMul,
        s(x, a) s(x, c) / (s(x, b) + 0.001) with s = (cos + 1) / 2. The three query words are
        left out of the answer.

        Returns
        -------
        list of (str, float)
        """
        topn = check_int("topn", topn, min=1)
        check_choice("method", method, ANALOGY_METHODS)
        queries = np.stack([self._unit_for(w) for w in (a, b, c)])
        sims = self._rows(restrict_vocab) @ queries.T
        scores = analogy_scores(sims[:, 0], sims[:, 1], sims[:, 2], method)
        return self._top(scores, topn, self._rows_of([a, b, c]))

    def _terms(self, value, name):
        """``positive``/``negative`` as a list of words and float64 vectors."""
        if value is None:
            return []
        if isinstance(value, (str, np.ndarray)):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise EmbedkitError(f"{name} must be a word, a vector or a list of them, got {value!r}"
                                + (" (pass topn= by keyword)" if name == "negative" else ""))
        return [t if isinstance(t, str) else self._query_vector(t, name, words=False) for t in value]

    def _query_vector(self, value, name, words=True):
        """A word's raw vector, or a float64 vector of shape (dim,)."""
        if isinstance(value, str) and words:
            return self._vector_for(value).astype(np.float64)
        if not isinstance(value, np.ndarray) or value.shape != (self.dim,) or not np.issubdtype(value.dtype,
                                                                                              np.number):
            what = "a word or a vector" if words else "a vector"
            raise EmbedkitError(f"{name}: expected {what} of shape ({self.dim},), got {_describe(value)}")
        return value.astype(np.float64)

    def _rows_of(self, terms):
        """Rows of the known words among ``terms`` (never an answer)."""
        return [self._index[t] for t in terms if isinstance(t, str) and t in self._index]

    def _rows(self, restrict):
        if restrict is None:
            return self.unit
        check_int("restrict_vocab", restrict, min=1)
        return self.unit[:restrict]

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

    def doc_vector(self, text, *, lowercase=False, tokenize="whitespace", keep_punctuation=False):
        """Mean of the unit vectors of the in-vocabulary tokens of ``text``, split as training splits
        text (``tokenize``, ``lowercase``, ``keep_punctuation``: see ``embedkit.corpus.tokenize_text``).

        Returns ``(vector, share)`` where ``share`` is the fraction of tokens found. A text with
        no known token raises EmbedkitError.
        """
        from .corpus import tokenize_text

        tokens = tokenize_text(text, tokenize=tokenize, lowercase=lowercase, keep_punctuation=keep_punctuation)
        rows = [self._index[t] for t in tokens if t in self._index]
        if not rows:
            raise EmbedkitError(f"no word of the text is in the vocabulary: {text[:60]!r}")
        return self.unit[rows].mean(axis=0), len(rows) / len(tokens)

    def doc_similarity(self, text1, text2, *, lowercase=False, tokenize="whitespace", keep_punctuation=False):
        """Cosine of the ``doc_vector`` of two texts, and the share of known tokens of each.

        Returns
        -------
        (float, float, float)
            cosine, share of ``text1`` in the vocabulary, share of ``text2``.
        """
        (v1, s1), (v2, s2) = (self.doc_vector(t, lowercase=lowercase, tokenize=tokenize,
                                              keep_punctuation=keep_punctuation) for t in (text1, text2))
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
        with output_group():  # the matrix and its counts file land together
            return formats.write(self, path, format)

    def save_word2vec_format(self, fname, fvocab=None, binary=False, *, write_header=True):
        """gensim's writer: word2vec binary with ``binary=True``, else word2vec text (GloVe text,
        without the ``count dim`` header, with ``write_header=False``); ``fvocab``: also write the
        ``word count`` lines there (the vectors must carry counts). Atomic, like ``save``, and the
        suffix rule applies (``binary=True`` to a ``.txt`` name is an error).

        Returns
        -------
        list of str
            The files written.
        """
        if fvocab is not None and self.counts is None:
            raise EmbedkitError("fvocab: these vectors carry no word counts")
        fmt = "word2vec-binary" if binary else "word2vec" if write_header else "glove"
        paths = formats.write(self, fname, fmt)
        if fvocab is not None and formats.counts_path(fname) != fvocab:
            paths.append(formats.write_counts(self, fvocab))
        return paths

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


def _normalised(x):
    """``x`` scaled to unit length (a zero vector stays zero), in its own dtype."""
    n = np.linalg.norm(x)
    return x / x.dtype.type(n) if n > 0 else x


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return repr(value) if len(repr(value)) <= 60 else type(value).__name__


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
