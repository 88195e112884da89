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

import numba
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
        raise EmbedkitError(f"word not in vocabulary: {word!r}" + (f" (did you mean {hint!r}?)" if hint else ""))

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
    def load(cls, path, format=None, *, limit=None):
        """Read vectors, detecting the format when ``format`` is None.

        ``.npy`` files are NumPy (with the ``.vocab`` file beside them); a file whose first
        line is ``V dim`` is word2vec text or binary (told apart by its first record);
        anything else is GloVe text. ``.gz``, ``.bz2`` and ``.xz`` files are decompressed
        first. Parsing is a compiled pass over the bytes (no Python per number), and any
        line that is not ``word`` + ``dim`` numbers raises EmbedkitError naming the line.

        Parameters
        ----------
        path : str or path-like
        format : {"word2vec", "word2vec-binary", "glove", "npy"} or None, default=None
        limit : int or None, default=None
            Read only the first ``limit`` words (the most frequent, in files sorted by count).

        Returns
        -------
        Vectors
        """
        path = os.fspath(path)
        if format is not None:
            check_choice("format", format, FORMATS)
        if limit is not None:
            limit = check_int("limit", limit, min=1)
        if format == "npy" or (format is None and path.endswith(".npy")):
            return _load_npy(path, limit)
        with _open(path) as f:
            head = _read(f, path, 1 << 20)
            if not head.strip() and _rest_blank(f, path):
                raise EmbedkitError(f"{path}: empty vector file")
            nl = head.find(b"\n")
            first = head[:nl if nl >= 0 else 200]
            header = first.split()
            has_header = len(header) == 2 and header[0].isdigit() and header[1].isdigit()
            if format is None:
                if not has_header:
                    format = "glove"
                else:
                    format = "word2vec" if _looks_like_text(head[nl + 1:], int(header[1])) else "word2vec-binary"
            if format in ("word2vec", "word2vec-binary") and not has_header:
                raise EmbedkitError(f"{path}, line 1: expected a 'count dim' header, got {first[:60]!r}")
            if has_header and format != "glove":
                n_words, dim = int(header[0]), int(header[1])
                if dim < 1:
                    raise EmbedkitError(f"{path}, line 1: dimension must be >= 1, got {dim}")
                rest = head[nl + 1:] if nl >= 0 else b""
                if format == "word2vec-binary":
                    return _parse_binary(path, f, rest, n_words, dim, limit)
                return _parse_text(path, f, rest, n_words, dim, 2, limit)
            return _parse_text(path, f, head, None, None, 1, limit)


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


# ---------------------------------------------------------------- reading files
_COMPRESSED = {".gz": "gzip", ".bz2": "bz2", ".xz": "lzma"}


_BLOCK = 1 << 26  # bytes read at a time: memory stays at the matrix plus one block


def _open(path):
    ext = os.path.splitext(path)[1].lower()
    try:
        if os.path.isdir(path):
            raise EmbedkitError(f"cannot read vectors {path}: is a folder")
        if ext in _COMPRESSED:
            import importlib

            return importlib.import_module(_COMPRESSED[ext]).open(path, "rb")
        return open(path, "rb")
    except OSError as e:
        raise EmbedkitError(f"cannot read vectors {path}: {e.strerror or e}") from None


def _read(f, path, size):
    try:
        return f.read(size)
    except (OSError, EOFError, ValueError) as e:  # corrupt compressed data
        raise EmbedkitError(f"cannot read vectors {path}: {getattr(e, 'strerror', None) or e}") from None


def _rest_blank(f, path):
    """True when the rest of the file holds only whitespace."""
    while True:
        chunk = _read(f, path, _BLOCK)
        if not chunk:
            return True
        if chunk.strip():
            return False


def _looks_like_text(probe, dim):
    parts = [p for p in probe.split(b"\n", 1)[0].split(b" ") if p]
    if len(parts) < dim + 1:
        return False
    try:
        [float(p) for p in parts[-dim:]]
    except ValueError:
        return False
    return True


_P10 = np.array([10.0 ** k for k in range(23)])


@numba.njit(cache=True)
def _is_space(c):
    return c == 32 or c == 9 or c == 13 or c == 11 or c == 12


@numba.njit(cache=True, inline="always")
def _scan_digits(data, i, e, m, nd):
    """Read decimal digits from data[i:e] into mantissa m (leading zeros not counted in nd, the
    significant digits). Returns (position, m, nd, digits read); stops early once nd > 18."""
    k = 0
    while i < e and 48 <= data[i] <= 57:
        if m > 0 or data[i] != 48:
            nd += 1
            if nd > 18:
                return i, m, nd, k
            m = m * 10 + (data[i] - 48)
        i += 1
        k += 1
    return i, m, nd, k


@numba.njit(cache=True)
def _parse_number(data, i, e, p10):
    """Number in data[i:e] as float64 (exact Clinger fast path); ok False when Python must parse it."""
    neg = False
    if i < e and (data[i] == 45 or data[i] == 43):
        neg = data[i] == 45
        i += 1
    i, m, nd, n_int = _scan_digits(data, i, e, np.int64(0), 0)
    n_frac = 0
    if nd <= 18 and i < e and data[i] == 46:
        i, m, nd, n_frac = _scan_digits(data, i + 1, e, m, nd)
    if nd > 18 or n_int + n_frac == 0:
        return 0.0, False
    e10 = -n_frac
    if i < e and (data[i] == 101 or data[i] == 69):
        i += 1
        eneg = False
        if i < e and (data[i] == 45 or data[i] == 43):
            eneg = data[i] == 45
            i += 1
        if i == e:
            return 0.0, False
        x = 0
        while i < e and 48 <= data[i] <= 57:
            x = x * 10 + (data[i] - 48)
            if x > 100000:
                return 0.0, False
            i += 1
        e10 += -x if eneg else x
    if i != e:
        return 0.0, False
    if m == 0:
        return -0.0 if neg else 0.0, True
    if m > 9007199254740992:
        return 0.0, False
    v = float(m)
    if 0 <= e10 <= 22:
        v = v * p10[e10]
    elif -22 <= e10 < 0:
        v = v / p10[-e10]
    else:
        return 0.0, False
    return -v if neg else v, True


@numba.njit(cache=True)
def _parse_text_lines(data, pos, dim, max_lines, multi_word, out, word_start, word_end, line_end, slow, p10):
    """Parse up to max_lines ``word v1..vdim`` lines of uint8 ``data`` from ``pos`` into float32
    ``out`` (max_lines, dim). With ``multi_word`` a word is everything before the last dim tokens
    (GloVe's "new york"), unless its last token is a number (a line with too many numbers). Returns
    (lines read, position after them, index of a line with too few tokens or -1); lines with a
    number the fast path cannot parse get ``slow[k] = True`` for Python to parse."""
    n = data.size
    k = 0
    while pos < n and k < max_lines:
        ls = pos
        le = ls
        while le < n and data[le] != 10:
            le += 1
        e = le
        while e > ls and _is_space(data[e - 1]):
            e -= 1
        i = ls
        while i < e and _is_space(data[i]):
            i += 1
        ws = i
        ntok = 0
        j = i
        while j < e:
            ntok += 1
            while j < e and not _is_space(data[j]):
                j += 1
            while j < e and _is_space(data[j]):
                j += 1
        if ntok < dim + 1 or (ntok > dim + 1 and not multi_word):
            return k, ls, k
        ts = i
        for _ in range(ntok - dim):
            ts = i
            while i < e and not _is_space(data[i]):
                i += 1
            we = i
            while i < e and _is_space(data[i]):
                i += 1
        if ntok > dim + 1 and _parse_number(data, ts, we, p10)[1]:
            return k, ls, k
        word_start[k] = ws
        word_end[k] = we
        line_end[k] = e
        for d in range(dim):
            t = i
            while i < e and not _is_space(data[i]):
                i += 1
            v, ok = _parse_number(data, t, i, p10)
            if not ok:
                slow[k] = True
            out[k, d] = v
            while i < e and _is_space(data[i]):
                i += 1
        k += 1
        pos = le + 1
    return k, pos, -1


@numba.njit(cache=True)
def _parse_binary_records(data, pos, n_words, vec_bytes, out, word_start, word_end):
    """``word`` + space + vec_bytes bytes, n_words times (newlines before a word skipped), into
    uint8 ``out`` (n_words, vec_bytes). Returns (records read, position after them, status):
    status 0 ok, 1 truncated, 2 a word longer than 10,000 bytes (corrupt)."""
    n = data.size
    for k in range(n_words):
        while pos < n and (data[pos] == 10 or data[pos] == 13):
            pos += 1
        s = pos
        while pos < n and data[pos] != 32:
            pos += 1
            if pos - s > 10000:
                return k, s, 2
        if pos >= n or pos + 1 + vec_bytes > n:
            return k, s, 1
        word_start[k] = s
        word_end[k] = pos
        pos += 1
        out[k, :] = data[pos:pos + vec_bytes]
        pos += vec_bytes
    return n_words, pos, 0


@numba.njit(cache=True)
def _gather_words(data, word_start, word_end, buf):
    """Words joined by newlines into ``buf``; returns the length used."""
    p = 0
    for k in range(word_start.size):
        if k:
            buf[p] = 10
            p += 1
        for i in range(word_start[k], word_end[k]):
            buf[p] = data[i]
            p += 1
    return p


def _decode_words(path, data, word_start, word_end, where):
    """Decode every word at once; per word (with a warning) only when some are not UTF-8."""
    size = int((word_end - word_start).sum()) + len(word_start)
    buf = np.empty(max(size, 1), np.uint8)
    used = _gather_words(data, word_start, word_end, buf)
    raw = buf[:used].tobytes()
    try:
        words = raw.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        words = []
        for k, w in enumerate(raw.split(b"\n")):
            try:
                words.append(w.decode("utf-8"))
            except UnicodeDecodeError:
                warnings.warn(f"{path}: {where(k)}: word is not valid UTF-8; replaced undecodable bytes",
                              stacklevel=4)
                words.append(w.decode("utf-8", "replace"))
    return words if len(word_start) else []


def _parse_text(path, f, pending, n_words, dim, line0, limit):
    """word2vec text (``n_words`` known) or GloVe text (``n_words`` None), read block by block
    from ``f`` after the bytes ``pending``; line numbers in errors count from ``line0``."""
    if dim is None:  # GloVe: the first line tells the dimension
        first = pending.split(b"\n", 1)[0]
        dim = len(first.split()) - 1
        if dim < 1:
            raise EmbedkitError(f"{path}, line 1: expected 'word v1 v2 ...', got {first[:60]!r}")
    cap = n_words if limit is None else limit if n_words is None else min(n_words, limit)
    matrix = None if n_words is None else np.empty((cap, dim), np.float32)
    blocks, words, k, eof = [], [], 0, False
    while (cap is None or k < cap) and not (eof and not pending):
        more = b"" if eof else _read(f, path, _BLOCK)
        eof = not more
        buf = pending + more
        cut = len(buf) if eof else buf.rfind(b"\n") + 1
        if cut == 0:
            pending = buf
            continue
        block, pending = buf[:cut], buf[cut:]
        data = np.frombuffer(block, np.uint8)
        room = block.count(b"\n") + 1 if cap is None else min(cap - k, block.count(b"\n") + 1)
        out = np.empty((room, dim), np.float32) if matrix is None else matrix[k:k + room]
        word_start, word_end, line_end = (np.empty(room, np.int64) for _ in range(3))
        slow = np.zeros(room, np.bool_)
        nk, pos, bad = _parse_text_lines(data, 0, dim, room, n_words is None, out, word_start, word_end,
                                         line_end, slow, _P10)
        for r in np.flatnonzero(slow[:nk]).tolist():  # numbers outside the exact fast path
            try:
                out[r] = np.array([float(t) for t in block[word_end[r]:line_end[r]].split()]).astype(np.float32)
            except ValueError:
                raise EmbedkitError(f"{path}, line {k + r + line0}: expected a word and {dim} numbers, "
                                    f"got {block[word_start[r]:line_end[r]][:60]!r}") from None
        words += _decode_words(path, data, word_start[:nk], word_end[:nk], lambda r, k=k: f"line {k + r + line0}")
        if matrix is None:
            blocks.append(out[:nk])
        k += nk
        if bad >= 0:
            if block[pos:].strip() or pending.strip() or not _rest_blank(f, path):
                line = block[pos:block.find(b"\n", pos) if b"\n" in block[pos:] else len(block)]
                raise EmbedkitError(f"{path}, line {k + line0}: expected a word and {dim} numbers, "
                                    f"got {line[:60]!r}")
            break  # only blank lines are left
        pending = block[pos:] + pending  # lines beyond ``cap`` (a limit, or extra lines)
    if n_words is not None and k < cap:
        raise EmbedkitError(f"{path}: header says {n_words} words but the file is truncated "
                            f"after line {k + line0 - 1}")
    if limit is None and n_words is not None and (pending.strip() or not _rest_blank(f, path)):
        raise EmbedkitError(f"{path}, line {k + line0}: header says {n_words} words but the file has extra lines")
    if matrix is None:
        matrix = np.concatenate(blocks) if len(blocks) != 1 else blocks[0]
    return _build(path, words, matrix)


def _parse_binary(path, f, pending, n_words, dim, limit):
    """word2vec binary records, read block by block from ``f`` after the bytes ``pending``."""
    cap = n_words if limit is None else min(n_words, limit)
    vec_bytes = 4 * dim
    raw = np.empty((cap, vec_bytes), np.uint8)
    words, k, eof = [], 0, False
    while k < cap:
        more = b"" if eof else _read(f, path, _BLOCK)
        eof = not more
        buf = pending + more
        data = np.frombuffer(buf, np.uint8)
        room = min(cap - k, len(buf) // (vec_bytes + 2) + 1)
        word_start, word_end = np.empty(room, np.int64), np.empty(room, np.int64)
        nk, pos, status = _parse_binary_records(data, 0, room, vec_bytes, raw[k:k + room], word_start, word_end)
        words += _decode_words(path, data, word_start[:nk], word_end[:nk], lambda r, k=k: f"word {k + r + 1}")
        k += nk
        pending = buf[pos:]
        if status == 2:
            raise EmbedkitError(f"{path}: word {k + 1} has no space after 10,000 bytes (corrupt file?)")
        if status == 1 and eof:
            raise EmbedkitError(f"{path}: truncated at word {k + 1} of {n_words}")
    if limit is None and (pending.strip() or not _rest_blank(f, path)):
        raise EmbedkitError(f"{path}: extra bytes after {n_words} words (corrupt header?)")
    return _build(path, words, raw.view("<f4").astype(np.float32, copy=False))


def _build(path, words, matrix, counts=None):
    finite = np.isfinite(matrix.sum(axis=1, dtype=np.float64))  # float64: no overflow; NaN/inf propagate
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        raise EmbedkitError(f"{path}: the vector of {words[row]!r} (row {row + 1}) holds NaN or infinity")
    try:
        return Vectors(words, matrix, counts)
    except EmbedkitError as e:
        raise EmbedkitError(f"{path}: {e}") from None


def _load_npy(path, limit=None):
    base = path[:-4] if path.endswith(".npy") else path
    try:
        matrix = np.load(base + ".npy", allow_pickle=False, mmap_mode="r")
    except (OSError, ValueError) as e:
        raise EmbedkitError(f"cannot read vectors {base}.npy: {getattr(e, 'strerror', None) or e}") from None
    words, counts = [], []
    try:
        with open(base + ".vocab", encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if limit is not None and n > limit:
                    break
                parts = line.split()
                if len(parts) not in (1, 2) or (len(parts) == 2 and not parts[1].isdigit()):
                    raise EmbedkitError(f"{base}.vocab, line {n}: expected 'word' or 'word count'")
                words.append(parts[0])
                if len(parts) == 2:
                    counts.append(int(parts[1]))
    except OSError as e:
        raise EmbedkitError(f"cannot read the vocabulary {base}.vocab: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise EmbedkitError(f"{base}.vocab is not UTF-8 text") from None
    if matrix.ndim != 2 or (matrix.shape[0] if limit is None else min(matrix.shape[0], limit)) != len(words):
        raise EmbedkitError(f"{base}.npy holds shape {matrix.shape} but {base}.vocab lists {len(words)} words")
    if not np.issubdtype(matrix.dtype, np.number):
        raise EmbedkitError(f"{base}.npy holds {matrix.dtype} values, not numbers")
    return _build(base + ".npy", words, matrix[: len(words)], counts if len(counts) == len(words) else None)
