"""Vocabulary and encoded corpus, from one streaming pass over the text.

The pass gives every new word a provisional id, appends the provisional ids to a cache file
and counts them with ``np.bincount``. Once the vocabulary is fixed (``min_count``,
``max_vocab``, order by count then word), a Numba kernel rewrites the id file in place with
the final ids, dropping out-of-vocabulary tokens, and the trainers memory-map it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
import weakref
from dataclasses import dataclass, field

import numba
import numpy as np

from ._util import atomic_write, check_int
from .corpus import MAX_SENTENCE_LENGTH, iter_text
from .errors import EmbedkitError

#: distinct strings held while counting before the rarest are pruned (word2vec's reduce-vocab)
MAX_DISTINCT = 10_000_000


@dataclass(eq=False)
class Vocab:
    """Words, most frequent first (ties by word), with their corpus counts.

    Examples
    --------
    >>> v = Vocab(["the", "cat"], np.array([5, 2]))
    >>> v.index("cat"), len(v), "dog" in v
    (1, 2, False)
    """

    words: list
    counts: np.ndarray
    word_to_id: dict = field(init=False, repr=False)

    def __post_init__(self):
        self.counts = np.asarray(self.counts, dtype=np.int64)
        if len(self.words) != len(self.counts):
            raise EmbedkitError(f"vocabulary has {len(self.words)} words but {len(self.counts)} counts")
        self.word_to_id = {w: i for i, w in enumerate(self.words)}

    def __len__(self):
        return len(self.words)

    def __contains__(self, word):
        return word in self.word_to_id

    def index(self, word):
        """Id of ``word``; EmbedkitError if it is not in the vocabulary."""
        try:
            return self.word_to_id[word]
        except KeyError:
            raise EmbedkitError(f"word not in vocabulary: {word!r}") from None

    @property
    def n_tokens(self):
        """In-vocabulary tokens in the corpus."""
        return int(self.counts.sum())

    def write(self, stream):
        """Write ``word count`` lines (word2vec's -save-vocab format) to a text stream."""
        for w, c in zip(self.words, self.counts.tolist()):
            stream.write(f"{w} {c}\n")

    def save(self, path):
        """Write the vocabulary to ``path`` atomically, one ``word count`` line per word."""
        with atomic_write(path, "w", encoding="utf-8") as f:
            self.write(f)

    @classmethod
    def load(cls, path):
        """Read a ``word count`` vocabulary file (word2vec's -read-vocab format)."""
        words, counts = [], []
        try:
            with open(path, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    parts = line.split()
                    if not parts:
                        continue
                    if len(parts) != 2 or not parts[1].isdigit():
                        raise EmbedkitError(f"{path}, line {n}: expected 'word count', got {line.strip()[:60]!r}")
                    words.append(parts[0])
                    counts.append(int(parts[1]))
        except OSError as e:
            raise EmbedkitError(f"cannot read vocabulary {path}: {e.strerror or e}") from None
        except UnicodeDecodeError:
            raise EmbedkitError(f"{path} is not a UTF-8 vocabulary file") from None
        return cls(words, np.array(counts, dtype=np.int64))


class EncodedCorpus:
    """The corpus as in-vocabulary ids: a memory-mapped int32 array plus sentence offsets.

    ``ids[offsets[s]:offsets[s + 1]]`` is sentence ``s``; every sentence is non-empty.
    ``counts`` are the vocabulary counts (for subsampling and noise tables).
    """

    def __init__(self, ids, offsets, counts, folder=None, cleanup=False):
        self.ids = ids
        self.offsets = offsets
        self.counts = counts
        self.folder = folder
        if cleanup and folder is not None:
            self._finalizer = weakref.finalize(self, shutil.rmtree, folder, True)

    @property
    def vocab_size(self):
        return len(self.counts)

    @property
    def n_tokens(self):
        return int(self.offsets[-1])

    @property
    def n_sentences(self):
        return len(self.offsets) - 1

    def __repr__(self):
        return f"EncodedCorpus({self.n_tokens} tokens, {self.n_sentences} sentences, vocab {self.vocab_size})"


@numba.njit(cache=True)
def _remap_ids(ids, ends, remap):
    """In place: ids[:n] = remap[ids] without the -1s; returns (n, new sentence ends). ids int32, ends int64."""
    out_ends = np.empty(len(ends), np.int64)
    w = 0
    start = 0
    n_out = 0
    for s in range(len(ends)):
        first = w
        for p in range(start, ends[s]):
            r = remap[ids[p]]
            if r >= 0:
                ids[w] = r
                w += 1
        if w > first:
            out_ends[n_out] = w
            n_out += 1
        start = ends[s]
    return w, out_ends[:n_out]


def _scan(path, *, lowercase, progress, ids_file, max_distinct, max_sentence_length=MAX_SENTENCE_LENGTH):
    """One pass: provisional ids (written to ``ids_file`` if given), their counts, sentence ends."""
    table = {}
    counts = np.zeros(1 << 16, np.int64)
    end_chunks = []
    n_tokens = 0
    cur = 0  # tokens in the current sentence
    pruned = 0
    min_reduce = 1
    for piece in iter_text(path, lowercase=lowercase, progress=progress):
        toks = []
        ends = []
        for k, line in enumerate(piece.split("\n")):
            if k > 0 and cur:
                ends.append(n_tokens + len(toks))
                cur = 0
            words = line.split()
            if not words:
                continue
            toks += words
            cur += len(words)
            while cur > max_sentence_length:  # cut long lines (text8 is one line)
                cur -= max_sentence_length
                ends.append(n_tokens + len(toks) - cur)
        if not toks:
            if ends:
                end_chunks.append(np.array(ends, np.int64))
            continue
        new = set(toks).difference(table)
        if new:
            table.update(zip(new, range(len(table) + pruned, len(table) + pruned + len(new))))
        ids = np.fromiter(map(table.__getitem__, toks), dtype=np.int32, count=len(toks))
        top = len(table) + pruned
        if top > len(counts):
            counts = np.concatenate([counts, np.zeros(max(top, 2 * len(counts)) - len(counts), np.int64)])
        counts[:top] += np.bincount(ids, minlength=top)
        if ids_file is not None:
            ids.tofile(ids_file)
        n_tokens += len(toks)
        if ends:
            end_chunks.append(np.array(ends, np.int64))
        if len(table) > max_distinct:  # word2vec's ReduceVocab: forget the rarest, warn later
            while len(table) > 0.7 * max_distinct:
                drop = [w for w, i in table.items() if counts[i] <= min_reduce]
                for w in drop:
                    counts[table.pop(w)] = 0
                pruned += len(drop)
                min_reduce += 1
    if cur:
        end_chunks.append(np.array([n_tokens], np.int64))
    ends = np.concatenate(end_chunks) if end_chunks else np.zeros(0, np.int64)
    return table, counts, ends, n_tokens, pruned, min_reduce - 1


def _make_vocab(table, counts, min_count, max_vocab, pruned, min_reduce, path):
    if not table:
        raise EmbedkitError(f"corpus {path} is empty (no tokens)")
    items = [(w, i) for w, i in table.items() if counts[i] >= min_count]
    if not items:
        raise EmbedkitError(f"vocabulary is empty: no word of {path} occurs at least min_count={min_count} times")
    items.sort(key=lambda wi: (-counts[wi[1]], wi[0]))
    if max_vocab is not None:
        items = items[:max_vocab]
    if pruned:
        warnings.warn(f"vocabulary pruned while counting: {pruned} rare strings (count <= {min_reduce}) "
                      f"were forgotten to stay under {MAX_DISTINCT} distinct strings; counts of words "
                      "near that frequency are approximate", stacklevel=3)
    pids = np.array([i for _, i in items], dtype=np.int64)
    return Vocab([w for w, _ in items], counts[pids]), pids


def _check(min_count, max_vocab, max_distinct):
    check_int("min_count", min_count, min=1)
    if max_vocab is not None:
        check_int("max_vocab", max_vocab, min=1)
    check_int("max_distinct", max_distinct, min=1)


def build_vocab(path, *, min_count=5, max_vocab=None, lowercase=False, max_distinct=MAX_DISTINCT,
                progress=False):
    """Count the words of a corpus (one streaming pass) and return a ``Vocab``.

    Parameters
    ----------
    path : str or Path
        Text file (plain, .gz, .bz2, .xz), folder of them, or ``"-"`` for stdin.
    min_count : int, default=5
        Words seen fewer times are left out.
    max_vocab : int or None, default=None
        Keep at most this many of the most frequent words.
    lowercase : bool, default=False
    max_distinct : int, default=10_000_000
        Distinct strings held while counting; past it the rarest are forgotten, with a warning.
    progress : bool, default=False
        Show a tqdm bar.

    Returns
    -------
    Vocab
    """
    _check(min_count, max_vocab, max_distinct)
    table, counts, _, _, pruned, mr = _scan(path, lowercase=lowercase, progress=progress, ids_file=None,
                                            max_distinct=max_distinct)
    return _make_vocab(table, counts, min_count, max_vocab, pruned, mr, path)[0]


def scan_corpus(path, *, min_count=5, max_vocab=None, lowercase=False, cache_dir=None,
                max_distinct=MAX_DISTINCT, progress=False):
    """Build the vocabulary and the encoded corpus in one streaming pass.

    Parameters are those of :func:`build_vocab`, plus

    cache_dir : str or None, default=None
        Folder for the encoded id file (``ids.int32``). None uses a temporary folder that is
        removed when the returned ``EncodedCorpus`` is garbage-collected.

    Returns
    -------
    (Vocab, EncodedCorpus)

    Examples
    --------
    >>> vocab, enc = scan_corpus("data/sample.txt.xz", min_count=5)  # doctest: +SKIP
    >>> enc.ids[enc.offsets[0]:enc.offsets[1]]                        # doctest: +SKIP
    """
    _check(min_count, max_vocab, max_distinct)
    cleanup = cache_dir is None
    try:
        folder = tempfile.mkdtemp(prefix="embedkit-") if cleanup else os.fspath(cache_dir)
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise EmbedkitError(f"cannot create cache folder {cache_dir or tempfile.gettempdir()}: "
                            f"{e.strerror or e}") from None
    ids_path = os.path.join(folder, "ids.int32")
    try:
        with open(ids_path, "wb") as f:
            table, counts, ends, n_tokens, pruned, mr = _scan(path, lowercase=lowercase, progress=progress,
                                                             ids_file=f, max_distinct=max_distinct)
        vocab, pids = _make_vocab(table, counts, min_count, max_vocab, pruned, mr, path)
        remap = np.full(len(counts), -1, np.int32)
        remap[pids] = np.arange(len(pids), dtype=np.int32)
        mm = np.memmap(ids_path, dtype=np.int32, mode="r+", shape=(n_tokens,))
        n, new_ends = _remap_ids(mm, ends, remap)
        mm.flush()
        del mm
        os.truncate(ids_path, 4 * n)
        ids = np.memmap(ids_path, dtype=np.int32, mode="r", shape=(n,))
    except OSError as e:
        if cleanup:
            shutil.rmtree(folder, ignore_errors=True)
        raise EmbedkitError(f"cannot write encoded corpus in {folder}: {e.strerror or e}") from None
    except BaseException:
        if cleanup:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    offsets = np.concatenate([[0], new_ends]).astype(np.int64)
    return vocab, EncodedCorpus(ids, offsets, vocab.counts, folder=folder, cleanup=cleanup)
