"""``Vectors``: words plus a float32 matrix, the queries on them, and every file format.

Formats: word2vec text (``V dim`` header, then ``word v1 ... vdim`` lines), word2vec binary
(the same header, then ``word`` + space + dim little-endian float32 per word, an optional
newline after each), GloVe text (word2vec text without the header) and NumPy (``NAME.npy``
matrix plus ``NAME.vocab`` with one ``word`` or ``word count`` line per row). Every write
goes to a temporary file that is renamed over the target.
"""

from __future__ import annotations

import difflib
import os
import warnings

import numpy as np

from ._util import atomic_write, check_choice, check_int
from .errors import EmbedkitError

FORMATS = ("word2vec", "word2vec-binary", "glove", "npy")
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
        index = {}
        for i, w in enumerate(words):
            if not isinstance(w, str) or not w or any(ch.isspace() for ch in w[:1] + w[-1:]):
                raise EmbedkitError(f"invalid word at row {i}: {w!r}")
            if index.setdefault(w, i) != i:
                raise EmbedkitError(f"duplicate word {w!r} at rows {index[w]} and {i}")
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
        raise EmbedkitError(f"word not in vocabulary: {word!r}" + (f" (did you mean {hint!r}?)" if hint else ""))

    def closest_spelling(self, word):
        """The vocabulary word spelled most like ``word`` (None if nothing is close)."""
        if not isinstance(word, str) or not word:
            return None
        lower = word.lower()
        if lower != word and lower in self._index:
            return lower
        cands = [w for w in self.words[:200_000] if abs(len(w) - len(word)) <= 2 and w[:1] == lower[:1]]
        close = difflib.get_close_matches(lower, cands, n=1, cutoff=0.75)
        return close[0] if close else None

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

    # ------------------------------------------------------------ files
    def save(self, path, *, format="word2vec"):
        """Write the vectors to ``path`` atomically in one of ``word2vec``, ``word2vec-binary``,
        ``glove`` (word2vec text without the header) or ``npy`` (``path`` gets the matrix,
        ``<path without .npy>.vocab`` the words and counts).

        Text formats write each float with 9 significant digits, so float32 values read back
        exactly.
        """
        check_choice("format", format, FORMATS)
        path = os.fspath(path)
        if format == "npy":
            base = path[:-4] if path.endswith(".npy") else path
            with atomic_write(base + ".vocab", "w", encoding="utf-8") as f:
                if self.counts is None:
                    f.writelines(w + "\n" for w in self.words)
                else:
                    f.writelines(f"{w} {c}\n" for w, c in zip(self.words, self.counts.tolist()))
            with atomic_write(base + ".npy", "wb") as f:
                np.save(f, self.matrix)
            return
        with atomic_write(path, "wb") as f:
            if format != "glove":
                f.write(f"{len(self)} {self.dim}\n".encode())
            if format == "word2vec-binary":
                le = self.matrix.astype("<f4", copy=False)
                for i, w in enumerate(self.words):
                    f.write(w.encode("utf-8") + b" " + le[i].tobytes() + b"\n")
                return
            row_fmt = " ".join(["%.9g"] * self.dim)
            for start in range(0, len(self), 4096):
                block = self.matrix[start:start + 4096].astype(np.float64).tolist()
                lines = [w + " " + row_fmt % tuple(r) for w, r in zip(self.words[start:start + 4096], block)]
                f.write(("\n".join(lines) + "\n").encode("utf-8"))

    @classmethod
    def load(cls, path, format=None):
        """Read vectors, detecting the format when ``format`` is None.

        ``.npy`` files are NumPy (with the ``.vocab`` file beside them); a file whose first
        line is ``V dim`` is word2vec text or binary (told apart by its first record);
        anything else is GloVe text.
        """
        path = os.fspath(path)
        if format is not None:
            check_choice("format", format, FORMATS)
        if format == "npy" or (format is None and path.endswith(".npy")):
            return _load_npy(path)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise EmbedkitError(f"cannot read vectors {path}: {e.strerror or e}") from None
        if not data.strip():
            raise EmbedkitError(f"{path}: empty vector file")
        first, _, rest = data.partition(b"\n")
        header = first.split()
        has_header = len(header) == 2 and header[0].isdigit() and header[1].isdigit()
        if format is None:
            if not has_header:
                format = "glove"
            else:
                format = "word2vec" if _looks_like_text(rest, int(header[1])) else "word2vec-binary"
        if format in ("word2vec", "word2vec-binary") and not has_header:
            raise EmbedkitError(f"{path}, line 1: expected a 'count dim' header, got {first[:60]!r}")
        if format == "word2vec-binary":
            return _parse_binary(path, rest, int(header[0]), int(header[1]))
        if format == "glove":
            return _parse_text(path, data, None, None, line0=1)
        return _parse_text(path, rest, int(header[0]), int(header[1]), line0=2)


def analogy_scores(cos_a, cos_b, cos_c, method):
    """Score of every candidate for ``a - b + c`` from its cosines to a, b and c."""
    if method == "add":
        return cos_a - cos_b + cos_c
    sa, sb, sc = (cos_a + 1) / 2, (cos_b + 1) / 2, (cos_c + 1) / 2
    return sa * sc / (sb + MUL_EPSILON)


def _looks_like_text(rest, dim):
    line = rest.split(b"\n", 1)[0]
    parts = line.split(b" ")
    parts = [p for p in parts if p]
    if len(parts) < dim + 1:
        return False
    try:
        [float(p) for p in parts[-dim:]]
    except ValueError:
        return False
    return True


def _decode_word(path, raw, where):
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        warnings.warn(f"{path}: {where}: word is not valid UTF-8; replaced undecodable bytes", stacklevel=4)
        return raw.decode("utf-8", "replace")


def _parse_text(path, data, n_words, dim, line0):
    lines = data.split(b"\n")
    if lines and not lines[-1].strip():
        lines.pop()
    lines = [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines]
    if dim is None:
        dim = len(lines[0].split()) - 1
        if dim < 1:
            raise EmbedkitError(f"{path}, line 1: expected 'word v1 v2 ...', got {lines[0][:60]!r}")
    if n_words is not None and len(lines) != n_words:
        where = "truncated" if len(lines) < n_words else "has extra lines"
        raise EmbedkitError(f"{path}: header says {n_words} words but the file {where} ({len(lines)} lines)")
    heads, tails = [], []
    for ln in lines:
        head, _, tail = ln.partition(b" ")
        heads.append(head)
        tails.append(tail)
    values = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            values = np.fromstring(b" ".join(tails), dtype=np.float32, sep=" ")
    except (ValueError, DeprecationWarning):
        values = None
    if values is None or values.size != len(lines) * dim:
        # slow path: words may hold spaces (take the last dim fields), or a line is bad
        heads, rows = [], []
        for n, ln in enumerate(lines):
            parts = ln.rsplit(None, dim)
            try:
                if len(parts) != dim + 1:
                    raise ValueError
                rows.append(np.array(parts[1:], dtype=np.float32))
            except ValueError:
                raise EmbedkitError(f"{path}, line {n + line0}: expected a word and {dim} numbers, "
                                    f"got {ln[:60]!r}") from None
            heads.append(parts[0])
        values = np.stack(rows) if rows else np.zeros((0, dim), np.float32)
    words = [_decode_word(path, h, f"line {n + line0}") for n, h in enumerate(heads)]
    return _build(path, words, values.reshape(len(lines), dim))


def _parse_binary(path, data, n_words, dim):
    words = []
    matrix = np.empty((n_words, dim), np.float32)
    pos = 0
    size = 4 * dim
    for k in range(n_words):
        while pos < len(data) and data[pos:pos + 1] in b"\n\r":
            pos += 1
        sp = data.find(b" ", pos)
        if sp < 0 or sp + 1 + size > len(data):
            raise EmbedkitError(f"{path}: truncated at word {k + 1} of {n_words}")
        words.append(_decode_word(path, data[pos:sp], f"word {k + 1}"))
        matrix[k] = np.frombuffer(data, dtype="<f4", count=dim, offset=sp + 1)
        pos = sp + 1 + size
    if data[pos:].strip():
        raise EmbedkitError(f"{path}: extra bytes after {n_words} words (corrupt header?)")
    return _build(path, words, matrix)


def _build(path, words, matrix):
    if not np.isfinite(matrix).all():
        row = int(np.flatnonzero(~np.isfinite(matrix).all(axis=1))[0])
        raise EmbedkitError(f"{path}: the vector of {words[row]!r} holds NaN or infinity")
    try:
        return Vectors(words, matrix)
    except EmbedkitError as e:
        raise EmbedkitError(f"{path}: {e}") from None


def _load_npy(path):
    base = path[:-4] if path.endswith(".npy") else path
    try:
        matrix = np.load(base + ".npy", allow_pickle=False)
    except (OSError, ValueError) as e:
        raise EmbedkitError(f"cannot read vectors {base}.npy: {e}") from None
    words, counts = [], []
    try:
        with open(base + ".vocab", encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                parts = line.split()
                if len(parts) not in (1, 2) or (len(parts) == 2 and not parts[1].isdigit()):
                    raise EmbedkitError(f"{base}.vocab, line {n}: expected 'word' or 'word count'")
                words.append(parts[0])
                if len(parts) == 2:
                    counts.append(int(parts[1]))
    except OSError as e:
        raise EmbedkitError(f"cannot read the vocabulary {base}.vocab: {e.strerror or e}") from None
    if matrix.ndim != 2 or matrix.shape[0] != len(words):
        raise EmbedkitError(f"{base}.npy holds shape {matrix.shape} but {base}.vocab lists {len(words)} words")
    return Vectors(words, matrix, counts if len(counts) == len(words) else None)
