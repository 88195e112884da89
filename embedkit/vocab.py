"""Vocabulary and encoded corpus, from one streaming pass over the text.

A Numba kernel splits the text's bytes, looks every token up in an open-addressing hash
table (giving each new word a provisional id and counting it), and the provisional ids are
appended to a cache file. Once the vocabulary is fixed (``min_count``,
``max_vocab``, order by count then word), a Numba kernel rewrites the id file in place with
the final ids, dropping out-of-vocabulary tokens, and the trainers memory-map it.
"""

from __future__ import annotations

import itertools
import mmap
import os
import shutil
import warnings
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numba
import numpy as np

from . import _faults
from ._compile import precompile_scan, readonly
from ._tokens import _GOLDEN, _same_bytes, _token_key
from ._util import (atomic_write, check_int, check_threads, numba_threads, page_dropper, read_ahead, release_memory,
                    search_blockwise, split_fields)
from .corpus import (MAX_SENTENCE_LENGTH, check_tokenize, corpus_files, corpus_name, cut_at_whitespace, iter_pieces,
                     reader_threads)
from .errors import EmbedkitError, EmptyCorpusError, EmptyVocabularyError

#: distinct strings held while counting before the rarest are pruned (word2vec's reduce-vocab)
MAX_DISTINCT = 10_000_000


def write_word_lines(stream, words, counts=None):
    """Write ``word count`` lines (word2vec's -save-vocab format, what ``embedkit vocab`` prints and
    what sits beside saved vectors) to a text stream, or bare ``word`` lines when ``counts`` is None.

    The one writer of these lines: ``Vocab.write``, ``Vectors.save`` (``.vocab`` files) use it.
    """
    if counts is None:
        stream.writelines(w + "\n" for w in words)
    else:
        stream.writelines(f"{w} {c}\n" for w, c in zip(words, np.asarray(counts).tolist()))


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

    @classmethod
    def ordered(cls, words, counts):
        """A ``Vocab`` of ``words`` in vocabulary order: by count, ties by word (:func:`order_words`).

        >>> Vocab.ordered(["b", "a", "c"], [1, 2, 1]).words
        ['a', 'b', 'c']
        """
        counts = np.asarray(counts, dtype=np.int64)
        order = order_words(words, counts)
        return cls([words[k] for k in order.tolist()], counts[order])

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
        write_word_lines(stream, self.words, self.counts)

    def save(self, path):
        """Write the vocabulary to ``path`` atomically, one ``word count`` line per word."""
        with _faults.expect_bytes(sum(len(w) + 12 for w in self.words)), \
                atomic_write(path, "w", encoding="utf-8") as f:
            self.write(f)

    @classmethod
    def load(cls, path):
        """Read a ``word count`` vocabulary file (word2vec's -read-vocab format)."""
        words, counts = [], []
        try:
            with open(path, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    parts = split_fields(line)
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
    ``counts`` are the vocabulary counts (for subsampling and noise tables). ``phrases``: where
    the phrases of a table sit, for word2vec to train them beside the words
    (:class:`embedkit.phrases.PhraseSpans`, from ``phrase_corpus(mode="add")``), else None.
    """

    def __init__(self, ids, offsets, counts, folder=None, cleanup=False):
        self.ids = ids
        self.offsets = offsets
        self.counts = counts
        self.folder = folder
        self.phrases = None
        self.rare = None  # Vocab of the words left out, with their counts, when the scan was asked to keep them
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
def _remap_ids(ids, ends, start, w, remap):
    """In place, for the sentences ending at ``ends`` (the first starting at ``start``): write
    remap[ids] without the -1s from position ``w`` on. Returns (new w, new sentence ends)."""
    out_ends = np.empty(len(ends), np.int64)
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


@numba.njit(cache=True, nogil=True)
def _remap_part(ids, ends, s0, s1, p, o, remap, out, kept):
    """``_remap_ids`` for the sentences ``s0:s1`` of ``ends`` (the first starting at ``p``), one
    thread per part at once: remap[ids] without the -1s into ``out`` from ``o`` on, each
    sentence's length to ``kept``. Returns the new ``o``. ``out`` may be ``ids`` itself, with
    ``o <= p``: each id is read before it is written over."""
    for s in range(s0, s1):
        first = o
        for q in range(p, ends[s]):
            r = remap[ids[q]]
            if r >= 0:
                out[o] = r
                o += 1
        kept[s] = o - first
        p = ends[s]
    return o


def _remap_group(mm, group, start, w, remap, tmp, pool, n_parts):
    """The sentences ``group`` (the first starting at ``start``) remapped by ``n_parts`` threads:
    the first part in place in ``mm`` from ``w`` on (its writes stay behind its reads and before
    the other parts), the others into ``tmp``, then copied to ``mm`` after it, by every thread
    (every id of the group is read before any of those is written). Returns (new w, new sentence
    ends)."""
    size = int(group[-1]) - start
    bounds = np.unique(np.concatenate([[0], np.searchsorted(group, start + size * np.arange(1, n_parts) // n_parts),
                                       [len(group)]])).tolist()
    kept = np.empty(len(group), np.int64)
    firsts = [start if s0 == 0 else int(group[s0 - 1]) for s0 in bounds[:-1]]
    args = [(mm, group, s0, s1, p, p - start, remap, tmp, kept) for s0, s1, p in zip(bounds[:-1], bounds[1:], firsts)]
    args[0] = args[0][:5] + (w, remap, mm, kept)
    others = [pool.submit(_remap_part, *x) for x in args[1:]]
    w0 = w
    w = _remap_part(*args[0])
    copies = []
    for p, f in zip(firsts[1:], others):
        o = f.result()
        n = o - (p - start)
        copies.append((w, p - start, n))
        w += n
    total = sum(n for _, _, n in copies)
    if total:  # the copies, cut into n_parts equal runs
        cuts = np.linspace(0, total, n_parts + 1).astype(np.int64).tolist()
        runs, done = [[] for _ in range(n_parts)], 0
        for d, a, n in copies:
            for k in range(n_parts):
                lo, hi = max(cuts[k], done), min(cuts[k + 1], done + n)
                if lo < hi:
                    runs[k].append((d + lo - done, a + lo - done, hi - lo))
            done += n
        jobs = [pool.submit(_copy_runs, mm, tmp, r) for r in runs[1:] if r]
        _copy_runs(mm, tmp, runs[0])
        for f in jobs:
            f.result()
    cum = w0 + np.cumsum(kept)
    return w, cum[kept > 0]


def _copy_runs(dst, src, runs):
    for d, a, n in runs:
        dst[d:d + n] = src[a:a + n]


def remap_id_file(path, n_tokens, ends, remap, chunk_tokens=1 << 20, *, parallel=False, out=None, sync=True):
    """Rewrite the id file in place with final ids, a group of sentences at a time; after each group
    every page read is released, so resident memory stays bounded (a page written stays in the page
    cache, dirty, until the system writes it back). ``sync``: also write each group's pages to disk
    before going on (``msync``), for a file that is kept; a temporary one need not wait for the disk.
    ``parallel``: each group is split among ``numba.get_num_threads()`` threads (the same result).
    Returns (tokens kept, sentence offsets: 0, then the end of each sentence that kept a token),
    filled in place into ``out`` (int64, ``len(ends) + 1``; None: a new array). ``out`` may be the
    array whose ``[1:]`` is ``ends``: each offset is written after the ends it overwrites are read,
    so a corpus of many short sentences holds them once. Memory-mapped ``ends`` (and ``out``) are
    released from resident memory as they are read, like the ids."""
    mm = np.memmap(path, dtype=np.int32, mode="r+", shape=(n_tokens,))
    drop_ends = page_dropper(ends)
    raw = getattr(mm, "_mmap", None)
    page = mmap.PAGESIZE
    # searched block by block: binary searches all over memory-mapped ends would map nearly all of them
    cuts = np.unique(np.concatenate([[0], search_blockwise(ends, np.arange(chunk_tokens, n_tokens, chunk_tokens)),
                                     [len(ends)]]))
    w = 0
    offsets = np.empty(len(ends) + 1, np.int64) if out is None else out
    offsets[0] = 0  # never one of the ends, when out holds them
    n_out = 1
    last = 0
    n_parts = numba.get_num_threads() if parallel else 1
    tmp = np.empty(0, np.int32)
    pool = ThreadPoolExecutor(n_parts - 1, thread_name_prefix="embedkit-remap") if n_parts > 1 else None
    try:
        for g0, g1 in zip(cuts[:-1], cuts[1:]):
            start, last = last, int(ends[g1 - 1])  # read before this group's offsets overwrite them
            if pool is not None:
                if len(tmp) < last - start:
                    tmp = np.empty(max(last - start, chunk_tokens), np.int32)
                w, new_ends = _remap_group(mm, ends[g0:g1], start, w, remap, tmp, pool, n_parts)
            else:
                w, new_ends = _remap_ids(mm, ends[g0:g1], start, w, remap)
            offsets[n_out:n_out + len(new_ends)] = new_ends
            n_out += len(new_ends)
            # release every page read so far, not only those written: the ids of pruned words put the
            # reads ahead of the writes, and that gap (4 bytes per pruned token) grows with the corpus.
            # A page between the two comes back from the page cache when its turn to be written comes.
            done, read = (4 * w) // page * page, (4 * last) // page * page
            if raw is not None and read > 0 and hasattr(raw, "madvise"):
                if done > 0 and sync:
                    raw.flush(0, done)
                raw.madvise(mmap.MADV_DONTNEED, 0, read)
            drop_ends(0, g1)  # the offsets written over them stay in the file's page cache
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    if sync:
        mm.flush()
    del mm, raw
    return w, offsets[:n_out]


@numba.njit(cache=True, nogil=True)
def _tokenize(buf, pos, slots, hashes, starts, lengths, counts, arena, state, out_ids, out_ends, max_len):
    """Split UTF-8 bytes on ASCII whitespace and give each token its provisional id.

    Open-addressing hash table: ``slots`` (-1 = empty) holds ids; per id ``hashes`` (the key of
    ``_tokens._token_key``: a token of up to 8 bytes is its key and length), ``starts``
    and ``lengths`` (-1 = pruned) locate its bytes in ``arena``; ``counts`` counts it.
    ``state`` = [n_ids, arena_used, n_tokens, tokens in current sentence, n_out, n_ends].
    Ids go to ``out_ids``, sentence ends (token positions) to ``out_ends``. Returns the byte
    position reached: ``len(buf)``, or earlier when a table is full (the caller grows it).
    """
    n_ids, used, ntok, cur, n_out, n_ends = state[0], state[1], state[2], state[3], state[4], state[5]
    n = len(buf)
    i = pos
    while i < n:
        c = buf[i]
        if c == 10:
            if cur > 0:
                out_ends[n_ends] = ntok
                n_ends += 1
                cur = 0
            i += 1
            continue
        if c == 32 or c == 9 or c == 13 or c == 11 or c == 12:
            i += 1
            continue
        h, j = _token_key(buf, i, n)
        length = j - i
        s, k = _find_id(buf, i, length, h, slots, hashes, starts, lengths, arena)
        if k < 0:
            if n_ids >= len(hashes) or used + length > len(arena) or 2 * (n_ids + 1) > len(slots):
                break  # full: the caller grows the tables and calls again from i
            k = n_ids
            n_ids += 1
            slots[s] = k
            hashes[k] = h
            starts[k] = used
            lengths[k] = length
            arena[used:used + length] = buf[i:j]
            used += length
        counts[k] += 1
        out_ids[n_out] = k
        n_out += 1
        ntok += 1
        cur += 1
        if cur == max_len:
            out_ends[n_ends] = ntok
            n_ends += 1
            cur = 0
        i = j
    state[0], state[1], state[2], state[3], state[4], state[5] = n_ids, used, ntok, cur, n_out, n_ends
    return i


@numba.njit(cache=True)
def _rehash(slots, hashes, lengths, n_ids):
    """Insert every live id (length >= 0) into an empty ``slots`` table."""
    mask = len(slots) - 1
    for k in range(n_ids):
        if lengths[k] >= 0:
            s = _home(hashes[k], mask)
            while slots[s] != -1:
                s = (s + 1) & mask
            slots[s] = k


class _Table:
    """The growable arrays behind ``_tokenize``."""

    def __init__(self):
        self.slots = np.full(1 << 16, -1, np.int32)
        self.hashes = np.zeros(1 << 15, np.uint64)
        self.starts = np.zeros(1 << 15, np.int64)
        self.lengths = np.zeros(1 << 15, np.int32)
        self.counts = np.zeros(1 << 15, np.int64)
        self.arena = np.zeros(1 << 20, np.uint8)
        self.state = np.zeros(6, np.int64)

    @property
    def n_ids(self):
        return int(self.state[0])

    def grow(self, need_bytes):
        n_ids, used = self.n_ids, int(self.state[1])
        if n_ids >= len(self.hashes):
            new = 2 * len(self.hashes)
            for name in ("hashes", "starts", "lengths", "counts"):
                old = getattr(self, name)
                arr = np.zeros(new, old.dtype)
                arr[:n_ids] = old[:n_ids]
                setattr(self, name, arr)
        if used + need_bytes > len(self.arena):
            arena = np.zeros(max(2 * len(self.arena), used + need_bytes), np.uint8)
            arena[:used] = self.arena[:used]
            self.arena = arena
        if 2 * (n_ids + 1) > len(self.slots):
            self.slots = np.full(2 * len(self.slots), -1, np.int32)
            _rehash(self.slots, self.hashes, self.lengths, n_ids)

    def live(self):
        """Ids that were not pruned."""
        return np.flatnonzero(self.lengths[:self.n_ids] >= 0)

    def prune(self, min_reduce):
        """Forget live ids seen at most ``min_reduce`` times; compact the arena. Returns how many."""
        n_ids = self.n_ids
        drop = (self.lengths[:n_ids] >= 0) & (self.counts[:n_ids] <= min_reduce)
        self.lengths[:n_ids][drop] = -1
        self.counts[:n_ids][drop] = 0
        keep = self.live()
        pieces = [self.arena[a:a + n] for a, n in zip(self.starts[keep].tolist(), self.lengths[keep].tolist())]
        arena = np.concatenate(pieces) if pieces else np.zeros(0, np.uint8)
        self.starts[keep] = np.concatenate([[0], np.cumsum(self.lengths[keep])[:-1]]) if len(keep) else keep
        self.arena = np.concatenate([arena, np.zeros(max(len(arena), 1 << 20), np.uint8)])
        self.state[1] = len(arena)
        self.slots[:] = -1
        _rehash(self.slots, self.hashes, self.lengths, n_ids)
        return int(drop.sum())

    def word(self, k):
        a = self.starts[k]
        return self.arena[a:a + self.lengths[k]].tobytes().decode("utf-8")

    def words(self, ids):
        """The words of the live ``ids``, decoded at once (a token holds no newline)."""
        from .formats import _gather_words  # the vector readers' word decoding: the same kernel, one signature

        ids = np.asarray(ids, np.int64)
        if not len(ids):
            return []
        start = self.starts[ids]
        buf = np.empty(int(self.lengths[ids].sum()) + len(ids), np.uint8)
        used = _gather_words(readonly(self.arena), start, start + self.lengths[ids], buf)
        return buf[:used].tobytes().decode("utf-8").split("\n")


# ---------------------------------------------------------------- the parallel scan
#: a piece is tokenized by several threads when it is at least this long and the table is not empty
_MIN_PART_BYTES = 1 << 16
#: parts of a piece per thread: threads take them in turn, so a thread kept off its core does fewer
_PARTS_PER_THREAD = 4
#: ids that each thread counts on its own while looking tokens up (2 ** 15, the table's first size: 256 KB a
#: thread); ids are given in order of first appearance, so these take nearly every token, and the later ids'
#: tokens are counted in the serial step. Counts of every id per thread would take 8 bytes x ids x threads.
_THREAD_COUNTED = 1 << 15


@numba.njit(cache=True, nogil=True, inline="always")
def _home(h, mask):
    """The first slot tried for key ``h`` in a table of ``mask + 1`` slots (a power of 2 up to 2**32):
    the key's high half folded into its low half first, so that every byte of a short token moves
    the middle bits the slot is taken from."""
    return np.int64(((h ^ (h >> np.uint64(32))) * _GOLDEN) >> np.uint64(32)) & mask


@numba.njit(cache=True, nogil=True)
def _find_id(buf, i, length, h, slots, hashes, starts, lengths, arena):
    """(slot, id) of the token ``buf[i:i+length]`` (key ``h``, ``_tokens._token_key``) in the table:
    id -1 and the empty slot where it would go when it is not there (a pruned id, length -1, never
    matches)."""
    mask = len(slots) - 1
    s = _home(h, mask)
    while slots[s] != -1:
        q = slots[s]
        if hashes[q] == h and lengths[q] == length:
            if length <= 8:  # the key is the token's bytes: equal keys and lengths are the same token
                return s, q
            if _same_bytes(arena, starts[q], buf, i, length):
                return s, q
        s = (s + 1) & mask
    return s, -1


@numba.njit(cache=True, nogil=True)
def _lookup_part(buf, base, end, slots, hashes, starts, lengths, arena, out_ids, nl_pos, unk_x, unk_start, unk_len,
                 unk_hash, sizes_c, tcounts, late):
    """Split the part ``buf[base:end]`` (cut at ASCII whitespace) on ASCII whitespace as ``_tokenize``
    does, and look each token up without changing the table; one thread per part, at once.

    The part writes from index ``base`` on (it has fewer tokens than bytes): ids to ``out_ids``
    (-1 for a token not in the table; its index in the part, start, length and hash then go to
    ``unk_*``), and to ``nl_pos`` the token indices (in the part) at which a newline came, once
    each. ``sizes_c`` = (tokens, newline records, unknown tokens, late tokens). The tokens found
    are counted in ``tcounts``, this thread's counts of the first ``len(tcounts)`` ids
    (:meth:`_Parts.fold` adds them to the table's); a found id past those goes to ``late``, to
    be counted in order."""
    n = len(buf)
    i = base
    m = 0
    nn = 0
    u = 0
    nl = 0
    n_counted = len(tcounts)
    last = -1
    while i < end:
        ch = buf[i]
        if ch == 10:
            if last != m:
                nl_pos[base + nn] = m
                nn += 1
                last = m
            i += 1
            continue
        if ch == 32 or ch == 9 or ch == 13 or ch == 11 or ch == 12:
            i += 1
            continue
        h, j = _token_key(buf, i, n)
        _, k = _find_id(buf, i, j - i, h, slots, hashes, starts, lengths, arena)
        if k < 0:
            unk_x[base + u] = m
            unk_start[base + u] = i
            unk_len[base + u] = j - i
            unk_hash[base + u] = h
            u += 1
        elif k < n_counted:
            tcounts[k] += 1
        else:
            late[base + nl] = k
            nl += 1
        out_ids[base + m] = k
        m += 1
        i = j
    sizes_c[0] = m
    sizes_c[1] = nn
    sizes_c[2] = u
    sizes_c[3] = nl


@numba.njit(cache=True, nogil=True)
def _settle_part(buf, base, sizes_c, first, unk_x, unk_start, unk_len, unk_hash, nl_pos, out_ids, late, slots,
                 hashes, starts, lengths, counts, arena, state, out_ends, max_len):
    """Finish one part of :func:`_lookup_part` in order, with ``_tokenize``'s result: its unknown
    tokens from ``first`` on get their ids (a new word takes the next id) and are counted, as are
    its ``late`` ids (the lookups counted the others, in the threads' counts), then its sentence
    ends (newlines, ``max_len`` cuts) are appended to ``out_ends``.
    ``state`` is ``_tokenize``'s. Returns the unknown tokens done: fewer than ``sizes_c[2]`` when a
    table is full (the caller grows it and calls again from there)."""
    m, nn, u = sizes_c[0], sizes_c[1], sizes_c[2]
    n_ids, used, ntok, cur, n_ends = state[0], state[1], state[2], state[3], state[5]
    x = first
    while x < u:
        i = unk_start[base + x]
        length = unk_len[base + x]
        s, k = _find_id(buf, i, length, unk_hash[base + x], slots, hashes, starts, lengths, arena)
        if k < 0:
            if n_ids >= len(hashes) or used + length > len(arena) or 2 * (n_ids + 1) > len(slots):
                state[0], state[1] = n_ids, used
                return x
            k = n_ids
            n_ids += 1
            slots[s] = k
            hashes[k] = unk_hash[base + x]
            starts[k] = used
            lengths[k] = length
            arena[used:used + length] = buf[i:i + length]
            used += length
        out_ids[base + unk_x[base + x]] = k
        counts[k] += 1
        x += 1
    for y in range(base, base + sizes_c[3]):  # reached once: a call that returns early comes back from x
        counts[late[y]] += 1
    p = 0
    for r in range(nn + 1):
        q = nl_pos[base + r] if r < nn else m
        run = q - p
        while run > 0:  # tokens p..q: a sentence ends every max_len tokens
            take = min(run, max_len - cur)
            cur += take
            ntok += take
            run -= take
            if cur == max_len:
                out_ends[n_ends] = ntok
                n_ends += 1
                cur = 0
        p = q
        if r < nn and cur > 0:  # a newline ends the sentence
            out_ends[n_ends] = ntok
            n_ends += 1
            cur = 0
    state[0], state[1], state[2], state[3], state[4], state[5] = n_ids, used, ntok, cur, state[4] + m, n_ends
    return u


class _Parts:
    """The scratch arrays of :func:`_lookup_part`, as long as the longest piece so far (a part
    writes from its first byte's index on; pages never written are never resident), and the
    threads that look parts up beside the calling one.

    Python threads running a ``nogil`` kernel, not ``prange``: the scan alternates a parallel
    step of a few milliseconds with a serial one for every piece, and between parallel regions
    OpenMP's workers spin; with ``prange`` the scan took half as much CPU again (3.6 s against
    2.4 s on wiki17m) and was slower than one thread on a busy machine. A worker here sleeps
    until its next part (the remap, :func:`_remap_group`, works the same way).

    A piece's ids are written to the id file while the next piece is looked up, by the first
    thread free (``pending``: the ids' buffer and the parts' ranges in it); the ids of consecutive
    pieces alternate between two buffers."""

    def __init__(self, n_threads):
        self.cap = 0
        self.n_threads = n_threads
        self.pool = ThreadPoolExecutor(n_threads - 1, thread_name_prefix="embedkit-scan") if n_threads > 1 else None
        self.tcounts = [np.zeros(_THREAD_COUNTED, np.int64) for _ in range(n_threads)] if n_threads > 1 else []
        self.pending = None
        self.spare = None

    def write_pending(self, ids_file):
        """Write the last piece's ids, if they are not written yet."""
        if self.pending is not None:
            ids, ranges = self.pending
            self.pending = None
            for a, b in ranges:
                ids_file.write(ids[a:b])

    def fold(self, table):
        """Add the threads' counts to the table's and zero them (before pruning, and at the end)."""
        for c in self.tcounts:
            table.counts[:len(c)] += c
            c[:] = 0

    def close(self):
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def fit(self, n):
        """Arrays for a piece of ``n`` bytes; ``out_ids`` is not the buffer of the pending ids."""
        if n > self.cap:
            self.cap = cap = max(n, 2 * self.cap)
            self.out_ids, self.spare, self.nl_pos = np.empty(cap, np.int32), None, np.empty(cap, np.int64)
            self.unk_x, self.unk_start = np.empty(cap, np.int64), np.empty(cap, np.int64)
            self.unk_len, self.unk_hash = np.empty(cap, np.int64), np.empty(cap, np.uint64)
            self.late = np.empty(cap, np.int32)
        elif self.pending is not None and self.pending[0] is self.out_ids:
            if self.spare is None:
                self.spare = np.empty(self.cap, np.int32)
            self.out_ids, self.spare = self.spare, self.out_ids


def _tokenize_parallel(buf, piece, table, parts, n_threads, out_ends, max_len, ids_file):
    """``_tokenize`` on a whole piece with ``n_threads`` threads, the same ids, counts and ends:
    the lookups run in parallel against the table as it was before the piece; new words are
    added afterwards, part after part, in the order they came."""
    parts.fit(len(buf))
    cuts = cut_at_whitespace(piece, _PARTS_PER_THREAD * n_threads)
    n_parts = len(cuts) - 1
    sizes = np.zeros((n_parts, 4), np.int64)
    args = (table.slots, table.hashes, table.starts, table.lengths, table.arena, parts.out_ids, parts.nl_pos,
            parts.unk_x, parts.unk_start, parts.unk_len, parts.unk_hash)
    order = itertools.count()

    def drain(t):  # every thread takes the next part until none is left: a thread that waits for a core does less
        while (c := next(order)) < n_parts:
            _lookup_part(buf, cuts[c], cuts[c + 1], *args, sizes[c], parts.tcounts[t], parts.late)

    others = [parts.pool.submit(parts.write_pending, ids_file)] if parts.pending is not None else []
    others += [parts.pool.submit(drain, t) for t in range(1, min(n_threads, n_parts))]
    drain(0)
    for f in others:
        f.result()
    for c in range(len(cuts) - 1):
        base = int(cuts[c])
        done = 0
        while True:
            done = _settle_part(buf, base, sizes[c], done, parts.unk_x, parts.unk_start, parts.unk_len,
                                parts.unk_hash, parts.nl_pos, parts.out_ids, parts.late, table.slots, table.hashes,
                                table.starts, table.lengths, table.counts, table.arena, table.state, out_ends, max_len)
            if done >= sizes[c, 2]:
                break
            table.grow(int(parts.unk_len[base + done]))
    if ids_file is not None:
        parts.pending = (parts.out_ids, [(int(cuts[c]), int(cuts[c] + sizes[c, 0])) for c in range(n_parts)])


def _scan(path, *, lowercase, progress, ids_file, max_distinct, tokenize="whitespace", keep_punctuation=False,
          max_sentence_length=MAX_SENTENCE_LENGTH, n_threads=1, bounds_path=None):
    """One pass: provisional ids (written to ``ids_file`` if given), a table with their counts,
    sentence bounds (0, then each sentence's end as a token position; written to ``bounds_path``
    and returned memory-mapped, if given), pruning figures.

    With ``n_threads`` > 1 a piece is tokenized by that many threads (:func:`_tokenize_parallel`)
    once the table holds words; the first piece, short ones, and every piece with one thread go
    through ``_tokenize``. Both give the same ids, counts and ends, and pruning happens between
    pieces either way, so the result does not depend on the thread count. The ``words``
    tokenizer and lower-casing take half the threads in the reader (``corpus.reader_threads``):
    the table's work then has the other half."""
    precompile_scan(n_threads, tokenize=tokenize, lowercase=lowercase, keep_punctuation=keep_punctuation)
    table = _Table()
    parts = _Parts(reader_threads(n_threads, tokenize=tokenize, lowercase=lowercase)[1])
    bounds = _Bounds(bounds_path)
    try:
        return _scan_pieces(path, table, parts, lowercase=lowercase, progress=progress, ids_file=ids_file,
                            max_distinct=max_distinct, tokenize=tokenize, keep_punctuation=keep_punctuation,
                            max_sentence_length=max_sentence_length, n_threads=n_threads, bounds=bounds)
    finally:
        bounds.close()
        parts.close()


def _scan_pieces(path, table, parts, *, lowercase, progress, ids_file, max_distinct, tokenize, keep_punctuation,
                 max_sentence_length, n_threads, bounds):
    readers = reader_threads(n_threads, tokenize=tokenize, lowercase=lowercase)[0]
    pruned = 0
    min_reduce = 0
    for n_piece, piece in enumerate(read_ahead(iter_pieces(path, lowercase=lowercase, tokenize=tokenize,
                                                           keep_punctuation=keep_punctuation, progress=progress,
                                                           threads=readers))):
        if n_piece == 1:
            release_memory(collect=False)  # the kernels are loaded: LLVM's code can leave RSS before the table grows
        buf = np.frombuffer(piece, np.uint8)
        out_ends = np.empty(len(buf) // 2 + 2, np.int64)
        table.state[4:6] = 0
        if parts.n_threads > 1 and table.n_ids and len(buf) >= _MIN_PART_BYTES:
            _tokenize_parallel(buf, piece, table, parts, parts.n_threads, out_ends, max_sentence_length, ids_file)
        else:
            out_ids = np.empty(len(buf) // 2 + 1, np.int32)
            if ids_file is not None:
                parts.write_pending(ids_file)  # in order: the ids of the piece before first
            pos = 0
            while True:
                pos = _tokenize(buf, pos, table.slots, table.hashes, table.starts, table.lengths, table.counts,
                                table.arena, table.state, out_ids, out_ends, max_sentence_length)
                if pos >= len(buf):
                    break
                table.grow(len(buf) - pos)
            if ids_file is not None:
                out_ids[:table.state[4]].tofile(ids_file)
        bounds.extend(out_ends[:table.state[5]])
        # word2vec's ReduceVocab: forget the rarest (live ids are never more than the ids given)
        while table.n_ids > max_distinct and len(table.live()) > max_distinct:
            parts.fold(table)
            min_reduce += 1
            pruned += table.prune(min_reduce)
    parts.fold(table)
    if ids_file is not None:
        parts.write_pending(ids_file)
    n_tokens = int(table.state[2])
    if table.state[3]:
        bounds.extend(np.array([n_tokens], np.int64))
    return table, n_tokens, bounds.array(), pruned, min_reduce


class _Bounds:
    """The scan's sentence bounds, 0 and then every sentence end.

    In memory: one growing int64 array (``ndarray.resize`` lets the allocator move a large block
    without copying it; it grows by a quarter at a time: at most 10 bytes per sentence). With a
    ``path``: appended to that file as they come, and handed back memory-mapped (``r+``: the
    remap writes the offsets over them), so no per-sentence array is held at all."""

    def __init__(self, path=None):
        self.n = 1
        self.path = path
        if path is None:
            self.buf = np.zeros(1 << 16, np.int64)
        else:
            self.file = open(path, "wb")
            np.zeros(1, np.int64).tofile(self.file)

    def extend(self, ends):
        k = len(ends)
        if self.path is not None:
            np.asarray(ends, np.int64).tofile(self.file)
        else:
            if self.n + k > len(self.buf):
                self.buf.resize(max(len(self.buf) + len(self.buf) // 4, self.n + k), refcheck=False)
            self.buf[self.n:self.n + k] = ends
        self.n += k

    def close(self):
        if self.path is not None:
            self.file.close()

    def array(self):
        if self.path is None:
            return self.buf[:self.n]
        self.file.close()
        return np.memmap(self.path, np.int64, "r+", shape=(self.n,))


def order_words(words, counts, *, min_count=1, max_vocab=None):
    """The vocabulary rule: which words are kept, in which order.

    Words seen fewer than ``min_count`` times are dropped; the rest are ordered by count
    (descending), ties by word (code point order), and cut to the first ``max_vocab``.

    Parameters
    ----------
    words : sequence of str
    counts : sequence of int
        The count of each word.
    min_count : int, default=1
    max_vocab : int or None, default=None

    Returns
    -------
    numpy.ndarray
        int64 indices into ``words`` of the kept words, in vocabulary order.

    Examples
    --------
    >>> order_words(["b", "a", "c", "d"], [2, 5, 2, 1], min_count=2).tolist()
    [1, 0, 2]
    """
    counts = np.asarray(counts, dtype=np.int64)
    cand = np.flatnonzero(counts >= min_count)
    names = [words[k] for k in cand.tolist()]
    by_word = np.array(sorted(range(len(cand)), key=names.__getitem__), dtype=np.int64)  # stable: ties by index
    order = cand[by_word[np.argsort(-counts[cand[by_word]], kind="stable")]] if len(cand) else cand
    if max_vocab is not None:
        order = order[:max_vocab]
    return order.astype(np.int64)


def _make_vocab(table, min_count, max_vocab, pruned, min_reduce, path, keep_rare=False):
    """The final vocabulary and, for each of its words, the provisional id; with ``keep_rare``, also
    the words left out (below ``min_count`` or past ``max_vocab``) as a ``Vocab`` (else None)."""
    if table.n_ids == 0:
        raise EmptyCorpusError(f"corpus {corpus_name(path)} is empty (no tokens)")
    live = table.live()
    live = live[table.counts[live] >= min_count]  # words are decoded for the candidates only
    words = table.words(live)
    order = order_words(words, table.counts[live], max_vocab=max_vocab)
    if len(order) == 0:
        raise EmptyVocabularyError(f"word of {corpus_name(path)}", min_count)
    if pruned:
        warnings.warn(f"vocabulary pruned while counting: {pruned} rare strings (seen <= {min_reduce} times "
                      f"when forgotten) were dropped to stay under max_distinct; counts of words near that "
                      "frequency are approximate", stacklevel=3)
    pids = live[order].astype(np.int64)
    rare = None
    if keep_rare:
        left = np.setdiff1d(table.live(), pids, assume_unique=True)
        rare = Vocab.ordered(table.words(left), table.counts[left])
    return Vocab([words[k] for k in order.tolist()], table.counts[pids]), pids, rare


def _check(min_count, max_vocab, max_distinct, tokenize="whitespace", keep_punctuation=False, threads=None):
    check_tokenize(tokenize, keep_punctuation)
    check_threads(threads)
    check_int("min_count", min_count, min=1)
    if max_vocab is not None:
        check_int("max_vocab", max_vocab, min=1)
    check_int("max_distinct", max_distinct, min=1)


def build_vocab(path, *, min_count=5, max_vocab=None, lowercase=False, tokenize="whitespace",
                keep_punctuation=False, max_distinct=MAX_DISTINCT, threads=None, progress=False):
    """Count the words of a corpus (one streaming pass) and return a ``Vocab``.

    Parameters
    ----------
    path : str, Path or list of them
        Text file (plain, .gz, .bz2, .xz), folder of them, or ``"-"`` for stdin; a list of
        these is read in the order given.
    min_count : int, default=5
        Words seen fewer times are left out.
    max_vocab : int or None, default=None
        Keep at most this many of the most frequent words.
    lowercase : bool, default=False
        Lower-case the text first (Unicode-aware).
    tokenize : {"whitespace", "words", "text8"}, default="whitespace"
        How text becomes tokens (:func:`embedkit.corpus.tokenize_piece`): what ASCII
        whitespace separates (word2vec's, fastText's and GloVe's rule); words with
        punctuation split off, in any script; or the text8 cleaning.
    keep_punctuation : bool, default=False
        With ``tokenize="words"``: keep each punctuation mark as a token of its own.
    max_distinct : int, default=10_000_000
        Distinct strings held while counting; past it the rarest are forgotten, with a warning.
    threads : int or None, default=None
        Threads that tokenize, count and encode the corpus (None: every core); the vocabulary,
        counts and ids are the same at any thread count.
    progress : bool, default=False
        Show a tqdm bar.

    Returns
    -------
    Vocab
    """
    _check(min_count, max_vocab, max_distinct, tokenize, keep_punctuation, threads)
    with numba_threads(threads) as n_threads:
        table, _, _, pruned, mr = _scan(path, lowercase=lowercase, progress=progress, ids_file=None,
                                        max_distinct=max_distinct, tokenize=tokenize,
                                        keep_punctuation=keep_punctuation, n_threads=n_threads)
    return _make_vocab(table, min_count, max_vocab, pruned, mr, path)[0]


def scan_corpus(path, *, min_count=5, max_vocab=None, lowercase=False, tokenize="whitespace",
                keep_punctuation=False, cache_dir=None, max_distinct=MAX_DISTINCT,
                max_sentence_length=MAX_SENTENCE_LENGTH, threads=None, progress=False, keep_rare=False):
    """Build the vocabulary and the encoded corpus in one streaming pass.

    Parameters are those of :func:`build_vocab`, plus

    cache_dir : str or None, default=None
        Folder for the encoded id file (``ids.int32``) and the sentence offsets
        (``offsets.int64``; both memory-mapped). None uses a temporary folder that is removed
        when the returned ``EncodedCorpus`` is garbage-collected.
    max_sentence_length : int, default=10_000
        Lines longer than this many tokens are cut into sentences of this length.
    keep_rare : bool, default=False
        Also keep the words left out of the vocabulary, with their counts, as the
        ``EncodedCorpus``'s ``rare`` (a ``Vocab``; None otherwise).

    Returns
    -------
    (Vocab, EncodedCorpus)

    Examples
    --------
    >>> vocab, enc = scan_corpus("data/sample.txt.xz", min_count=5)
    >>> len(vocab), vocab.words[:3], enc.n_tokens == vocab.n_tokens
    (13705, ['the', 'of', 'and'], True)
    >>> [vocab.words[i] for i in enc.ids[enc.offsets[0]:enc.offsets[1]][:5]]
    ['anarchism', 'is', 'a', 'political', 'philosophy']
    """
    _check(min_count, max_vocab, max_distinct, tokenize, keep_punctuation, threads)
    cleanup = cache_dir is None
    before = corpus_fingerprint(path)
    if cleanup:
        folder = _faults.make_temp_dir("corpus")
    else:
        folder = os.fspath(cache_dir)
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as e:
            raise EmbedkitError(f"cannot create cache folder {cache_dir}: {e.strerror or e}") from None
    ids_path = os.path.join(folder, "ids.int32")
    offsets_path = os.path.join(folder, "offsets.int64")
    try:
        with numba_threads(threads) as n_threads:
            with open(ids_path, "wb") as f:
                table, n_tokens, bounds, pruned, mr = _scan(path, lowercase=lowercase, progress=progress,
                                                          ids_file=f, max_distinct=max_distinct, tokenize=tokenize,
                                                          keep_punctuation=keep_punctuation,
                                                          max_sentence_length=max_sentence_length,
                                                          n_threads=n_threads, bounds_path=offsets_path)
            check_unchanged(path, before)
            vocab, pids, rare = _make_vocab(table, min_count, max_vocab, pruned, mr, path, keep_rare)
            remap = np.full(max(table.n_ids, 1), -1, np.int32)
            remap[pids] = np.arange(len(pids), dtype=np.int32)
            n, offsets = remap_id_file(ids_path, n_tokens, bounds[1:], remap, parallel=n_threads > 1, out=bounds,
                                       sync=not cleanup)
            n_offsets = len(offsets)
            del bounds, offsets
        os.truncate(ids_path, 4 * n)
        os.truncate(offsets_path, 8 * n_offsets)
        ids = np.memmap(ids_path, dtype=np.int32, mode="r", shape=(n,))
        # r+, not r: a writeable array, so the kernels see the type of in-memory offsets (one specialisation)
        offsets = np.memmap(offsets_path, dtype=np.int64, mode="r+", shape=(n_offsets,))
    except OSError as e:
        written = sum(os.path.getsize(q) for q in (ids_path, offsets_path) if os.path.exists(q))
        if cleanup:
            shutil.rmtree(folder, ignore_errors=True)
        if _faults.is_no_space(e):
            # ~4 bytes per token, ~6 bytes of text per token: the id file is about 2/3 of the text (the
            # offsets, 8 bytes per line, add little unless the lines are short)
            need = max(0, int(sum(_size(p) for p in corpus_files(path)) * 0.7) - written)
            raise _faults.no_space_error(e, ids_path, "the encoded corpus (4 bytes per token, 8 per sentence)",
                                         need) from None
        raise EmbedkitError(f"cannot write encoded corpus in {folder}: {e.strerror or e}") from None
    except BaseException:
        if cleanup:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    del table, remap
    release_memory(collect=False)  # the hash table's pages go back to the system before training allocates
    enc = EncodedCorpus(ids, offsets, vocab.counts, folder=folder, cleanup=cleanup)
    enc.rare = rare
    return vocab, enc


def _size(p):
    try:
        return os.path.getsize(p)
    except OSError:
        return 0


def corpus_fingerprint(path):
    """(file, size, mtime, inode) of every file of a corpus (None for stdin): compared after a pass."""
    files = corpus_files(path)
    out = []
    for p in files:
        if p == "-":
            continue
        try:
            st = os.stat(p)
        except OSError:
            out.append((p, None))
            continue
        out.append((p, (st.st_size, st.st_mtime_ns, st.st_ino)))
    return out


def check_unchanged(path, before):
    """Raise EmbedkitError if a corpus file was changed, truncated, replaced or removed since ``before``."""
    for (p, was), (_, now) in zip(before, corpus_fingerprint(path)):
        if was != now:
            what = "removed" if now is None else "truncated" if now[0] < was[0] else \
                "replaced" if now[2] != was[2] else "changed"
            raise EmbedkitError(f"corpus file {p} was {what} while it was read; nothing was trained "
                                f"(run again once it is complete)")


def resolve_corpus(corpus, *, min_count=5, max_vocab=None, lowercase=False, tokenize="whitespace",
                   keep_punctuation=False, threads=None, progress=False, phrases_ok=False, keep_rare=False):
    """Any kind of corpus a trainer accepts, as the ``(Vocab, EncodedCorpus)`` pair.

    Parameters
    ----------
    corpus : str, Path, list of them, or (Vocab, EncodedCorpus)
        A text file, a folder or ``"-"`` (stdin); a list or tuple of those, read in the order
        given; or the pair returned by :func:`scan_corpus`, returned as it is (then
        ``min_count``, ``max_vocab``, ``lowercase``, ``tokenize`` and ``keep_punctuation`` do not apply).
    min_count, max_vocab, lowercase, tokenize, keep_punctuation, threads, progress, keep_rare
        As in :func:`scan_corpus`, for a corpus given by path.
    phrases_ok : bool, default=False
        Whether the caller trains the phrases of a pair from ``phrase_corpus(mode="add")``
        (word2vec); if not, such a pair is an error.

    Returns
    -------
    (Vocab, EncodedCorpus)

    Examples
    --------
    >>> vocab, enc = resolve_corpus("data/sample.txt.xz", min_count=50)
    >>> resolve_corpus((vocab, enc))[1] is enc
    True
    >>> resolve_corpus(42)
    Traceback (most recent call last):
    ...
    embedkit.errors.EmbedkitError: corpus must be a path, a list of paths or the (Vocab, EncodedCorpus) pair \
from scan_corpus; got int
    """
    if isinstance(corpus, tuple) and len(corpus) == 2 and isinstance(corpus[0], Vocab):
        vocab, enc = corpus
        if not isinstance(enc, EncodedCorpus):
            raise EmbedkitError(f"corpus pair must be (Vocab, EncodedCorpus) from scan_corpus; its second item "
                                f"is {type(enc).__name__}")
        if len(vocab) != enc.vocab_size:
            raise EmbedkitError(f"corpus pair does not match: the vocabulary has {len(vocab)} words, the encoded "
                                f"corpus {enc.vocab_size}")
        if getattr(enc, "phrases", None) is not None and not phrases_ok:
            raise EmbedkitError("phrases added beside the words (phrase_corpus mode='add') train with skip-gram "
                                "or CBOW only; use mode='replace'")
        return vocab, enc
    paths = corpus if isinstance(corpus, (list, tuple)) else [corpus]
    if not all(isinstance(p, (str, os.PathLike)) for p in paths):
        bad = next(p for p in paths if not isinstance(p, (str, os.PathLike)))
        what = type(corpus).__name__ if paths is not corpus else f"{type(corpus).__name__} holding {type(bad).__name__}"
        raise EmbedkitError("corpus must be a path, a list of paths or the (Vocab, EncodedCorpus) pair from "
                            f"scan_corpus; got {what}")
    if not paths:
        raise EmbedkitError("the list of corpus paths is empty")
    return scan_corpus(corpus if paths is not corpus else list(corpus), min_count=min_count, max_vocab=max_vocab,
                       lowercase=lowercase, tokenize=tokenize, keep_punctuation=keep_punctuation, threads=threads,
                       progress=progress, keep_rare=keep_rare)


def keep_probabilities(counts, sample, total=None):
    """word2vec's subsampling: P(keep w) = (sqrt(f/(s*T)) + 1) * s*T/f, capped at 1 (f = count,
    T = ``total``, by default the sum of ``counts``)."""
    counts = np.asarray(counts, dtype=np.float64)
    if sample <= 0:
        return np.ones(len(counts))
    thr = sample * (counts.sum() if total is None else total)
    with np.errstate(divide="ignore"):
        p = (np.sqrt(counts / thr) + 1.0) * thr / counts
    return np.minimum(p, 1.0)


def merge_vocab(new, *, min_count=5, max_vocab=None, base_words=(), base_counts=(), keep=0):
    """The vocabulary of a run that continues earlier training: counts summed over every corpus.

    ``new`` is the ``(Vocab, EncodedCorpus)`` of the new corpus scanned with ``min_count=1``
    (every word it holds, with its count). ``base_words``/``base_counts`` are the counts of every
    word of the earlier corpora, rare ones included (a model keeps them), the first ``keep`` of
    them being the model's vocabulary: those words always stay (their rows hold trained values).
    Any other word enters when its summed count reaches ``min_count`` (gensim applies min_count
    to the new corpus alone, so a word seen 3 + 3 times stays out at min_count 5; here it is in).
    The words are ordered by summed count (ties by word), cut to ``max_vocab`` (never below the
    kept words), and the encoded corpus is rewritten in place with the new ids.

    Returns
    -------
    vocab : Vocab
        The merged vocabulary, with summed counts.
    enc : EncodedCorpus
        The new corpus in the merged vocabulary's ids (counts: the summed ones).
    rare : Vocab
        Every other word seen so far with its summed count (what a model keeps for later runs).

    Examples
    --------
    >>> vocab, enc = scan_corpus(["data/sample.txt.xz"], min_count=1)
    >>> merged, enc2, rare = merge_vocab((vocab, enc), min_count=5)
    >>> merged.words == scan_corpus("data/sample.txt.xz", min_count=5)[0].words
    True
    """
    nv, nenc = new
    total = dict(zip(base_words, np.asarray(base_counts, dtype=np.int64).tolist()))
    for w, c in zip(nv.words, nv.counts.tolist()):
        total[w] = total.get(w, 0) + c
    words = list(total)
    counts = np.fromiter(total.values(), dtype=np.int64, count=len(words))
    kept = set(list(base_words)[:keep])
    order = order_words(words, counts)
    eligible = [k for k in order.tolist() if counts[k] >= min_count or words[k] in kept]
    if max_vocab is not None and len(eligible) > max_vocab:
        room = max(0, max_vocab - len(kept))
        extra = [k for k in eligible if words[k] not in kept][:room]
        chosen = set(extra) | {k for k in eligible if words[k] in kept}
        eligible = [k for k in eligible if k in chosen]
    if not eligible:
        raise EmptyVocabularyError("word", min_count)
    vocab = Vocab([words[k] for k in eligible], counts[eligible])
    chosen = set(eligible)
    rest = [k for k in order.tolist() if k not in chosen]
    rare = Vocab([words[k] for k in rest], counts[rest])
    remap = np.array([vocab.word_to_id.get(w, -1) for w in nv.words] or [-1], dtype=np.int32)
    ids_path = os.path.join(nenc.folder, "ids.int32")
    n_before = nenc.n_tokens
    nenc.ids = None  # the read-only map goes before the file is rewritten
    offsets_path = getattr(nenc.offsets, "filename", None)
    if offsets_path is not None and nenc.offsets.mode == "r+":  # the scan's offsets file: rewritten in place
        n, offsets = remap_id_file(ids_path, n_before, nenc.offsets[1:], remap, out=nenc.offsets)
        n_offsets = len(offsets)
        nenc.offsets = offsets = None
        os.truncate(offsets_path, 8 * n_offsets)
        offsets = np.memmap(offsets_path, dtype=np.int64, mode="r+", shape=(n_offsets,))
    else:
        n, offsets = remap_id_file(ids_path, n_before, np.asarray(nenc.offsets[1:], dtype=np.int64), remap)
    os.truncate(ids_path, 4 * n)
    ids = np.memmap(ids_path, dtype=np.int32, mode="r", shape=(n,)) if n else np.zeros(0, np.int32)
    enc = EncodedCorpus(ids, offsets, vocab.counts, folder=nenc.folder)
    enc._parent = nenc  # the scan's folder lives (and is removed) with it
    return vocab, enc, rare
