"""fastText's subword scheme, and ``SubwordVectors``: word vectors that answer unseen words.

A word is wrapped as ``<word>`` and cut into every character n-gram with ``minn <= n <= maxn``
(characters are UTF-8 code points, as fastText counts them: a byte ``10xxxxxx`` continues the
character before it). The one-character n-grams ``<`` and ``>`` are left out. Each n-gram is
hashed with fastText's 32-bit FNV-1a over its UTF-8 bytes, where each byte is widened as a
*signed* char (a byte >= 0x80 XORs in ``0xFFFFFFxx``), and taken modulo ``bucket``. The word
``</s>`` (fastText's end of line) has no n-grams.

The rows of a fastText input matrix are the words (``0..V-1``) and then the buckets
(``V..V+bucket-1``); a word's vector is the mean of its own row and its n-gram rows, an
unseen word's the mean of its n-gram rows. ``subword_table`` lists those rows for a whole
vocabulary as a CSR pair ``(indptr, rows)``, so the training kernels work on arrays only.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange

from .errors import EmbedkitError, ParameterError
from .vectors import Vectors

EOS = "</s>"
_FNV_OFFSET = 2166136261
_FNV_PRIME = 16777619
_M32 = np.uint64(0xFFFFFFFF)


# ---------------------------------------------------------------- n-grams and hashes
def char_ngrams(word, minn, maxn):
    """The character n-grams fastText takes from ``word``, in fastText's order.

    Examples
    --------
    >>> char_ngrams("où", 2, 3)
    ['<o', '<où', 'où', 'où>', 'ù>']
    """
    if word == EOS:
        return []
    w = "<" + word + ">"
    out = []
    for i in range(len(w)):
        for n in range(max(minn, 1), maxn + 1):
            if i + n > len(w):
                break
            if n == 1 and (i == 0 or i + 1 == len(w)):
                continue
            out.append(w[i:i + n])
    return out


@numba.njit(cache=True, inline="always")
def _fnv1a(data, start, end):
    """fastText's hash of data[start:end] (uint8): 32-bit FNV-1a, bytes sign-extended."""
    h = np.uint64(_FNV_OFFSET)
    for p in range(start, end):
        b = np.uint64(data[p])
        if b >= 128:
            b |= np.uint64(0xFFFFFF00)
        h = ((h ^ b) * np.uint64(_FNV_PRIME)) & _M32
    return h


def ft_hash(data):
    """fastText's 32-bit hash of a ``str`` (UTF-8 encoded) or ``bytes``.

    Examples
    --------
    >>> ft_hash("<wh"), ft_hash("é")
    (1048167652, 1023043777)
    """
    b = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return int(_fnv1a(np.frombuffer(b, np.uint8), 0, len(b)))


@numba.njit(cache=True)
def _word_subwords(data, start, end, minn, maxn, bucket, base, out, fill):
    """The bucket rows (base + hash % bucket) of the n-grams of the wrapped word data[start:end];
    written to out from index 0 when fill, else only counted. Returns the count."""
    k = 0
    for i in range(start, end):
        if (data[i] & 0xC0) == 0x80:  # a continuation byte: not a character start
            continue
        j = i
        for n in range(1, maxn + 1):
            if j >= end:
                break
            j += 1
            while j < end and (data[j] & 0xC0) == 0x80:
                j += 1
            if n >= minn and not (n == 1 and (i == start or j == end)):
                if fill:
                    out[k] = base + np.int64(_fnv1a(data, i, j) % np.uint64(bucket))
                k += 1
    return k


@numba.njit(cache=True, parallel=True)
def _table(data, starts, skip, minn, maxn, bucket, nwords, indptr, rows, fill):
    """Count (fill=False: into indptr[w+1]) or write (fill=True) each word's rows: the word's
    own row w first, then its n-gram rows nwords + hash % bucket."""
    for w in prange(len(starts) - 1):
        if fill:
            p = indptr[w]
            rows[p] = w
            if not skip[w] and maxn > 0:
                _word_subwords(data, starts[w], starts[w + 1], minn, maxn, bucket, nwords, rows[p + 1:], True)
        else:
            n = 1
            if not skip[w] and maxn > 0:
                n += _word_subwords(data, starts[w], starts[w + 1], minn, maxn, bucket, nwords, rows, False)
            indptr[w + 1] = n


def _wrapped_bytes(words):
    """The UTF-8 bytes of every ``<word>`` end to end, and where each starts (int64, V + 1)."""
    enc = [("<" + w + ">").encode("utf-8") for w in words]
    starts = np.zeros(len(enc) + 1, np.int64)
    np.cumsum([len(b) for b in enc], out=starts[1:])
    return np.frombuffer(b"".join(enc), np.uint8) if enc else np.zeros(0, np.uint8), starts


def check_subword_params(minn, maxn, bucket, nwords=0):
    """Raise EmbedkitError unless fastText's minn/maxn/bucket make sense together."""
    from ._util import check_int

    check_int("minn", minn, min=0)
    check_int("maxn", maxn, min=0)
    check_int("bucket", bucket, min=0)
    if maxn > 0 and minn > maxn:
        raise ParameterError(f"{{minn}} must be <= {{maxn}}, got {{minn}}={minn} and {{maxn}}={maxn}", "minn", "maxn")
    if maxn > 0 and bucket == 0:
        raise ParameterError("{bucket} must be >= 1 when subwords are on ({maxn} > 0); use {maxn} 0 to turn them off",
                             "bucket", "maxn")
    if nwords + bucket > 2**31 - 1:
        raise EmbedkitError(f"words + bucket must fit in 32 bits, got {nwords} + {bucket}")


def subword_table(words, *, minn=3, maxn=6, bucket=2_000_000):
    """Rows of the fastText input matrix that make up each word, as a CSR pair.

    ``rows[indptr[w]:indptr[w + 1]]`` is word w's own row ``w`` followed by the rows
    ``len(words) + hash(ngram) % bucket`` of its n-grams (none for ``</s>``, none when
    ``maxn == 0``). Repeated n-grams are listed as often as they occur, as in fastText.

    Returns
    -------
    indptr : int64 array (V + 1,)
    rows : int32 array (indptr[-1],)

    Examples
    --------
    >>> indptr, rows = subword_table(["ab", "c"], minn=3, maxn=3, bucket=10)
    >>> indptr.tolist(), rows.tolist()
    ([0, 3, 5], [0, 10, 8, 1, 2])
    """
    words = list(words)
    check_subword_params(minn, maxn, bucket, len(words))
    data, starts = _wrapped_bytes(words)
    skip = np.array([w == EOS for w in words], np.bool_)
    indptr = np.zeros(len(words) + 1, np.int64)
    scratch = np.zeros(0, np.int32)
    _table(data, starts, skip, minn, maxn, max(bucket, 1), len(words), indptr, scratch, False)
    np.cumsum(indptr, out=indptr)
    rows = np.empty(int(indptr[-1]), np.int32)
    _table(data, starts, skip, minn, maxn, max(bucket, 1), len(words), indptr, rows, True)
    return indptr, rows


def subword_hashes(word, *, minn=3, maxn=6, bucket=2_000_000):
    """Bucket ids (``hash % bucket``, int64) of the n-grams of ``word``, in fastText's order.

    Examples
    --------
    >>> subword_hashes("où", minn=2, maxn=3, bucket=1000).tolist()
    [36, 388, 890, 676, 693]
    """
    check_subword_params(minn, maxn, bucket)
    if word == EOS or maxn == 0:
        return np.zeros(0, np.int64)
    data = np.frombuffer(("<" + word + ">").encode("utf-8"), np.uint8)
    n = _word_subwords(data, 0, len(data), minn, maxn, bucket, 0, np.zeros(0, np.int64), False)
    out = np.empty(n, np.int64)
    _word_subwords(data, 0, len(data), minn, maxn, bucket, 0, out, True)
    return out


@numba.njit(cache=True, parallel=True)
def _compose(inp, indptr, rows, out):
    """out[w] = mean of inp[rows[indptr[w]:indptr[w+1]]] (float32 sums, as fastText)."""
    dim = inp.shape[1]
    for w in prange(len(indptr) - 1):
        a, b = indptr[w], indptr[w + 1]
        for c in range(dim):
            out[w, c] = 0.0
        for p in range(a, b):
            r = rows[p]
            for c in range(dim):
                out[w, c] += inp[r, c]
        if b > a:
            inv = np.float32(1.0) / np.float32(b - a)
            for c in range(dim):
                out[w, c] *= inv


# ---------------------------------------------------------------- vectors
class SubwordVectors(Vectors):
    """Word vectors of a fastText model: they also answer words never seen in training.

    ``matrix`` holds the vocabulary's vectors (each the mean of the word's own input row and
    its n-gram rows, what fastText's ``get_word_vector`` returns); an unseen word's vector
    is the mean of its n-gram rows. Every query (``[]``, ``most_similar``, ``analogy``,
    ``doc_vector``...) composes unseen words; ``word in vectors`` still means "in the
    vocabulary", and ``can_compose(word)`` says whether an unseen word gets a vector.

    Parameters
    ----------
    words : list of str
    input_matrix : float32 array, shape (len(words) + bucket, dim)
        fastText's input matrix: word rows, then bucket rows. Kept as given (no copy when it
        is already C-contiguous float32).
    minn, maxn, bucket : int
        fastText's n-gram lengths and bucket count (``maxn=0``: no subwords, ``bucket`` 0).
    counts : array of int or None, default=None

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> v = SubwordVectors(["cat", "cats"], rng.random((2 + 100, 4)), minn=3, maxn=4, bucket=100)
    >>> "kitten" in v, v.can_compose("kitten"), v["kitten"].shape
    (False, True, (4,))
    """

    def __init__(self, words, input_matrix, *, minn, maxn, bucket, counts=None):
        words = list(words)
        inp = np.ascontiguousarray(input_matrix, dtype=np.float32)
        check_subword_params(minn, maxn, bucket, len(words))
        if inp.ndim != 2 or inp.shape[0] != len(words) + bucket:
            raise EmbedkitError(f"input matrix must have {len(words)} + {bucket} rows, got shape {inp.shape}")
        indptr, rows = subword_table(words, minn=minn, maxn=maxn, bucket=bucket)
        composed = np.empty((len(words), inp.shape[1]), np.float32)
        _compose(inp, indptr, rows, composed)
        super().__init__(words, composed, counts)
        inp = inp.view()
        inp.flags.writeable = False
        self.input_matrix = inp
        self.minn, self.maxn, self.bucket = int(minn), int(maxn), int(bucket)

    def __repr__(self):
        return (f"SubwordVectors({len(self)} words x {self.dim}, n-grams {self.minn}-{self.maxn}, "
                f"{self.bucket} buckets)")

    def subwords(self, word):
        """The character n-grams that make up ``word`` in this model."""
        return char_ngrams(word, self.minn, self.maxn) if self.maxn > 0 else []

    def subword_rows(self, word):
        """Rows of ``input_matrix`` averaged into ``word``'s vector (int64 array)."""
        rows = len(self.words) + subword_hashes(word, minn=self.minn, maxn=self.maxn, bucket=self.bucket)
        i = self._index.get(word)
        return rows if i is None else np.concatenate([[i], rows]).astype(np.int64)

    def can_compose(self, word):
        """True when ``word`` has a vector: it is in the vocabulary or has at least one n-gram."""
        return word in self._index or (isinstance(word, str) and bool(word) and self.maxn > 0 and word != EOS)

    def _vector_for(self, word):
        i = self._index.get(word)
        if i is not None:
            return self.matrix[i]
        if not self.can_compose(word):
            self.index(word)  # raises the vocabulary's unknown-word error
        rows = self.subword_rows(word)
        v = self.input_matrix[rows].mean(axis=0, dtype=np.float32)
        v.flags.writeable = False
        return v

    def __getitem__(self, word):
        return self._vector_for(word)

    def resolve(self, word):
        """The vocabulary's spelling of ``word`` (exact, else ignoring case), or ``word`` itself
        when it is not in the vocabulary but can be composed from its n-grams."""
        try:
            return super().resolve(word)
        except EmbedkitError:
            if self.can_compose(word):
                return word
            raise

    def doc_vector(self, text, *, lowercase=False, tokenize="whitespace", keep_punctuation=False):
        """Mean of the unit vectors of the tokens of ``text``, unseen ones composed from n-grams
        (tokens split as in training: see ``embedkit.corpus.tokenize_text``).

        Returns ``(vector, share)``, ``share`` being the fraction of tokens in the vocabulary.
        """
        from .corpus import tokenize_text

        tokens = tokenize_text(text, tokenize=tokenize, lowercase=lowercase, keep_punctuation=keep_punctuation)
        usable = [t for t in tokens if self.can_compose(t)]
        if not usable:
            raise EmbedkitError(f"no word of the text has a vector: {text[:60]!r}")
        vec = np.mean([self._unit_for(t) for t in usable], axis=0)
        return vec, sum(t in self._index for t in tokens) / len(tokens)
