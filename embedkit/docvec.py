"""Sentence and document vectors from word vectors: mean, SIF and pairwise.

A text is split on whitespace (optionally lower-cased); tokens outside the vocabulary are
skipped, and the share of known tokens is reported. With u_w the unit vector of word w, v_w
its raw vector and K(d) the known tokens of text d (repeats counted):

* ``mean``: vec(d) = (1/|K(d)|) sum_{w in K(d)} u_w; similarity = cos(vec(d1), vec(d2)).
* ``pairwise``: the average cosine over all word pairs,
  sim(d1, d2) = (1 / (|K(d1)| |K(d2)|)) sum_{w in K(d1)} sum_{w' in K(d2)} cos(w, w'),
  which equals vec(d1) . vec(d2) with the ``mean`` vectors (so it costs no more); docvec
  writes those vectors, whose dot products are the pairwise scores.
* ``sif`` (Arora, Liang & Ma 2017, "A Simple but Tough-to-Beat Baseline for Sentence
  Embeddings"): vec(d) = (1/|K(d)|) sum_{w in K(d)} a / (a + p(w)) v_w, with p(w) the word's
  corpus frequency and a = 1e-3; then the projection on the first singular vector c of the
  matrix of the vectors of a fitting set of texts is removed: vec(d) - (c . vec(d)) c.
  Similarity = cosine.

Word frequencies for SIF come from, in order: counts given by the caller (a ``word count`` file,
as ``embedkit vocab`` writes), the counts the Vectors carry (``Vectors.load`` reads them from the
``.npy`` pair's ``.vocab`` or the ``VECTORS.vocab`` file ``Vectors.save`` writes beside a text or
binary file), the ``VECTORS.vocab`` beside ``vectors_path``, else Zipf's law on the frequency
rank (with a warning).

Vectors that compose unseen words (fastText's ``SubwordVectors``) give every token with
n-grams a vector; the reported share is still that of tokens in the vocabulary.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from ._util import atomic_write, check_choice, check_float
from .corpus import check_tokenize, tokenize_text
from .errors import EmbedkitError
from .formats import counts_path
from .vectors import Vectors

DOC_METHODS = ("mean", "sif", "pairwise")
SIF_A = 1e-3
_BATCH = 4096  # lines per block when streaming a file


# ---------------------------------------------------------------- word counts
def read_counts(path):
    """``{word: count}`` from a file of ``word count`` lines (as ``embedkit vocab`` writes)."""
    from .vocab import Vocab

    vocab = Vocab.load(path)
    if not vocab.words:
        raise EmbedkitError(f"{path} holds no word counts")
    counts = {}
    for w, c in zip(vocab.words, vocab.counts.tolist()):
        counts.setdefault(w, c)
    return counts


def word_probabilities(vectors, *, counts=None, vectors_path=None):
    """p(w) for every row of ``vectors``, float64, and where it came from.

    Parameters
    ----------
    vectors : Vectors
    counts : str, path-like, dict or None, default=None
        A ``word count`` file or a ``{word: count}`` dict (words it lacks get count 0).
    vectors_path : str or None, default=None
        The file the vectors were read from, to find embedkit's ``VECTORS.vocab`` beside it.

    Returns
    -------
    (ndarray, str)
        Probabilities and their source: "counts file", "vectors", "VECTORS.vocab path" or "zipf".
    """
    source = None
    if counts is not None:
        table = counts if isinstance(counts, dict) else read_counts(counts)
        c = np.array([table.get(w, 0) for w in vectors.words], dtype=np.float64)
        source = "counts"
    elif vectors.counts is not None:
        c, source = vectors.counts.astype(np.float64), "vectors"
    elif vectors_path is not None and os.path.isfile(counts_path(vectors_path)):
        table = read_counts(counts_path(vectors_path))
        c, source = np.array([table.get(w, 0) for w in vectors.words], dtype=np.float64), counts_path(vectors_path)
    if source is not None and c.sum() <= 0 and counts is not None:  # given, but useless: say so
        given = "the word counts given" if isinstance(counts, dict) else f"the word counts {counts}"
        raise EmbedkitError(f"{given} give no word of the vectors a count above 0: are they the counts of another "
                            "corpus?")
    if source is None or c.sum() <= 0:
        warnings.warn("no word counts for these vectors: SIF estimates word frequencies from the frequency rank "
                      "(Zipf's law); give the corpus counts (embedkit vocab CORPUS -o counts.txt; --counts)")
        c, source = 1.0 / np.arange(1, len(vectors) + 1), "zipf"
    return c / c.sum(), source


def sif_weights(probabilities, a=SIF_A):
    """a / (a + p(w)) per word, float64."""
    a = check_float("a", a, min=0, min_open=True)
    return a / (a + np.asarray(probabilities, dtype=np.float64))


# ---------------------------------------------------------------- encoding
@dataclass
class DocEncoder:
    """Turns texts into vectors with one method; ``component`` is SIF's common direction (None
    until fitted, and for the other methods). Build one with ``doc_encoder``."""

    vectors: Vectors
    method: str
    weights: np.ndarray | None = None
    lowercase: bool = False
    tokenize: str = "whitespace"
    keep_punctuation: bool = False
    component: np.ndarray | None = None
    _index: dict | None = None

    def raw(self, texts):
        """Vectors of ``texts`` before SIF's component removal: (float64 (n, dim), share of tokens
        in the vocabulary (n,)). Unseen tokens that the vectors compose (fastText) count with their
        composed vector (SIF weight 1, as a word of frequency 0)."""
        if self._index is None:
            self._index = {w: i for i, w in enumerate(self.vectors.words)}
        index, n_vocab = self._index, len(self.vectors)
        compose = getattr(self.vectors, "can_compose", None)
        extra = {}  # composed words of these texts -> their column after the vocabulary's
        indptr, rows, share = [0], [], np.zeros(len(texts))
        for k, t in enumerate(texts):
            tokens = self.tokens(t)
            known = [index[w] for w in tokens if w in index]
            share[k] = len(known) / len(tokens) if tokens else 0.0
            if compose is not None and len(known) < len(tokens):
                known = [index[w] if w in index else extra.setdefault(w, n_vocab + len(extra))
                         for w in tokens if w in index or compose(w)]
            rows += known
            indptr.append(len(rows))
        indptr, rows = np.array(indptr, dtype=np.int64), np.array(rows, dtype=np.int64)
        n_known = np.diff(indptr)
        per_line = np.repeat(1.0 / np.maximum(n_known, 1), n_known)
        sif = self.method == "sif"
        if sif:
            data, matrix = per_line * np.concatenate([self.weights, np.ones(len(extra))])[rows], self.vectors.matrix
        else:
            data, matrix = per_line, self.vectors.unit
        # float32 weights: the product never makes a float64 copy of the whole matrix
        weights = sp.csr_matrix((data.astype(np.float32), rows, indptr), shape=(len(texts), n_vocab + len(extra)))
        if not extra:
            return np.asarray(weights @ matrix, dtype=np.float64), share
        composed = np.stack([self.vectors.get_vector(w, norm=not sif) for w in extra])
        out = np.asarray(weights[:, :n_vocab] @ matrix, dtype=np.float64)
        return out + weights[:, n_vocab:] @ composed.astype(np.float64), share

    def tokens(self, text):
        """The tokens of one text, as training would split it."""
        return tokenize_text(text, tokenize=self.tokenize, lowercase=self.lowercase,
                             keep_punctuation=self.keep_punctuation)

    def finish(self, raw):
        """Remove SIF's common component (in place) from vectors made by ``raw``."""
        if self.method == "sif":
            if self.component is None:
                raise EmbedkitError("the SIF component is not fitted yet (fit_component)")
            raw -= np.outer(raw @ self.component, self.component)
        return raw

    def fit_component(self, texts):
        """Estimate SIF's common direction: the first right singular vector of the matrix of the
        raw vectors of ``texts`` (an iterable of strings, streamed in blocks)."""
        gram, n, known = np.zeros((self.vectors.dim, self.vectors.dim)), 0, 0
        with threadpool_limits(1):  # small products: BLAS threads only spin (40x slower on a busy machine)
            for block in _blocks(texts):
                m, _ = self.raw(block)
                gram += m.T @ m
                n += len(block)
                known += int(m.any(axis=1).sum())
        if n == 0:
            raise EmbedkitError("no text to fit the SIF component on")
        if known < 2:  # none: any direction would be removed; one: its own, leaving it zero
            raise EmbedkitError(f"SIF's common component needs at least 2 texts with a word in the vocabulary to "
                                f"be estimated; the fitting texts have {known} (give more lines, or --fit-corpus)")
        values, vecs = np.linalg.eigh(gram)
        c = vecs[:, -1]
        self.component = c * (-1.0 if c[np.abs(c).argmax()] < 0 else 1.0)
        return self.component

    def encode(self, texts):
        """Final vectors of a list of texts: (float64 (n, dim), known share (n,))."""
        m, share = self.raw(texts)
        return self.finish(m), share


def _blocks(texts, size=None):
    size = size or _BATCH
    block = []
    for t in texts:
        block.append(t)
        if len(block) == size:
            yield block
            block = []
    if block:
        yield block


def doc_encoder(vectors, *, method="mean", counts=None, vectors_path=None, a=SIF_A, lowercase=False,
                tokenize="whitespace", keep_punctuation=False):
    """A ``DocEncoder`` for ``method`` (SIF: word frequencies as in ``word_probabilities``)."""
    if not isinstance(vectors, Vectors):
        raise EmbedkitError(f"vectors must be Vectors, got {type(vectors).__name__}")
    check_choice("method", method, DOC_METHODS)
    check_tokenize(tokenize, keep_punctuation)
    weights = None
    if method == "sif":
        weights = sif_weights(word_probabilities(vectors, counts=counts, vectors_path=vectors_path)[0], a)
    return DocEncoder(vectors, method, weights, lowercase, tokenize, keep_punctuation)


# ---------------------------------------------------------------- similarity of two texts
@dataclass
class DocSimilarity:
    """The score of two texts under ``method`` and the share of each text's tokens known."""

    method: str
    score: float
    known1: float
    known2: float


def doc_similarity(vectors, text1, text2, *, method="mean", counts=None, vectors_path=None, fit_texts=None,
                   a=SIF_A, lowercase=False, tokenize="whitespace", keep_punctuation=False):
    """Similarity of two texts: cosine of mean unit vectors (``mean``), average word-pair
    cosine (``pairwise``) or cosine of SIF vectors (``sif``; the common component fitted on
    ``fit_texts``, an iterable of lines; when None it is not removed, with a warning, since
    the component of two texts alone would leave their cosine at +-1). Texts are split by
    ``tokenize`` (with ``lowercase`` and ``keep_punctuation``), as in training.

    Returns
    -------
    DocSimilarity

    Examples
    --------
    >>> v = Vectors(["a", "b", "c"], np.eye(3))
    >>> doc_similarity(v, "a b", "b c", method="pairwise").score
    0.25
    >>> round(doc_similarity(v, "a b", "b c").score, 6)
    0.5
    """
    enc = doc_encoder(vectors, method=method, counts=counts, vectors_path=vectors_path, a=a, lowercase=lowercase,
                      tokenize=tokenize, keep_punctuation=keep_punctuation)
    raw, share = enc.raw([text1, text2])
    for k, t in enumerate((text1, text2)):
        if not t.strip():
            raise EmbedkitError(f"text {k + 1} is empty")
        if not raw[k].any():
            why = "its words' vectors are zero" if share[k] > 0 else "no word of it is in the vocabulary"
            raise EmbedkitError(f"text {k + 1} has no vector: {why}: {t[:60]!r}")
    if method == "sif":
        if fit_texts is None:  # two texts alone would leave them (anti)parallel: cosine always +-1
            warnings.warn("SIF without a fitting corpus: the common component is not removed (from two texts "
                          "it cannot be estimated); give one (--fit-corpus) for full SIF")
        else:
            enc.fit_component(fit_texts)
            raw = enc.finish(raw)
    if method == "pairwise":
        score = float(raw[0] @ raw[1])
    else:
        n = float(np.linalg.norm(raw[0]) * np.linalg.norm(raw[1]))
        score = float(raw[0] @ raw[1]) / n if n > 0 else 0.0
    return DocSimilarity(method, score, float(share[0]), float(share[1]))


# ---------------------------------------------------------------- a file of texts -> .npy
@dataclass
class DocvecResult:
    """What ``write_doc_vectors`` wrote: ``lines`` rows of ``dim`` float32 to ``path``;
    ``empty`` lines had no known word (zero rows); ``known`` is the share of tokens known."""

    path: str
    lines: int
    dim: int
    empty: int
    known: float


def _iter_lines(path):
    try:
        with open(path, "rb") as f:
            for line in f:  # lines end at \n only, as `wc -l` counts them
                yield line.rstrip(b"\r\n").decode("utf-8", "replace")
    except OSError as e:
        raise EmbedkitError(f"cannot read {path}: {e.strerror or e}") from None


def write_doc_vectors(vectors, textfile, output, *, method="mean", counts=None, vectors_path=None, fit_corpus=None,
                      a=SIF_A, lowercase=False, tokenize="whitespace", keep_punctuation=False):
    """One vector per line of ``textfile``, written to ``output`` as a float32 ``.npy`` (rows in
    line order), streaming: memory holds one block of lines plus a dim x dim matrix.

    ``fit_corpus`` (a file of lines) fits SIF's component; by default ``textfile`` itself
    (read once more). Lines without a known word get a zero row (and a warning). The file is
    written atomically. Lines are split by ``tokenize`` (with ``lowercase`` and
    ``keep_punctuation``), as in training.

    Returns
    -------
    DocvecResult
    """
    textfile, output = os.fspath(textfile), os.fspath(output)
    if os.path.isdir(textfile) or not os.path.exists(textfile):
        raise EmbedkitError(f"cannot read {textfile}: {'is a folder' if os.path.isdir(textfile) else 'no such file'}")
    enc = doc_encoder(vectors, method=method, counts=counts, vectors_path=vectors_path, a=a, lowercase=lowercase,
                      tokenize=tokenize, keep_punctuation=keep_punctuation)
    n = sum(1 for _ in _iter_lines(textfile))
    if n == 0:
        raise EmbedkitError(f"{textfile} holds no lines")
    if method == "sif":
        enc.fit_component(_iter_lines(fit_corpus if fit_corpus is not None else textfile))
    empty, known, tokens = 0, 0.0, 0
    with atomic_write(output, "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "<f4", "fortran_order": False,
                                                 "shape": (n, vectors.dim)})
        written = 0
        for block in _blocks(_iter_lines(textfile)):
            m, share = enc.encode(block)
            sizes = np.array([len(enc.tokens(t)) for t in block])
            empty += int((~m.any(axis=1)).sum())
            known += float((share * sizes).sum())
            tokens += int(sizes.sum())
            f.write(m.astype("<f4").tobytes())
            written += len(block)
        if written != n:
            raise EmbedkitError(f"{textfile} changed while it was read")
        if tokens and not known:  # nothing written: the vectors or the tokenizer are not the text's
            raise EmbedkitError(f"no word of {textfile} is in the vocabulary of the vectors (tokenize={tokenize!r}"
                                f"{', lowercase' if lowercase else ''}): every row would be zero")
    if empty:
        warnings.warn(f"{empty} of {n} lines had no word in the vocabulary; their rows are zero")
    return DocvecResult(output, n, vectors.dim, empty, known / tokens if tokens else 0.0)
