"""Phrases: word2phrase's and gensim's collocation detection, on the encoded corpus.

The corpus is scanned once into ids, in memory (every word, lines whole; ids in order of
first appearance: phrases need no vocabulary order). Each pass counts the pairs that could
become a phrase as int64 keys ``(a * V + b) * M + m`` (``m`` encodes the connector words
between ``a`` and ``b``; ``M = 1`` without connector words) in a Numba kernel: a pair is a
candidate only if both words were seen ``min_count`` times and, for word2phrase's score, if
neither word is so frequent that the score could not pass the threshold (the pair count is at
most the rarer word's count, so the score is below ``tokens / count(word)``). Each thread's
share of a block is radix-sorted and reduced, the shares are merged into one sorted run, and
runs that outgrow ``memory`` are spilled to disk and merged by key ranges at the end, so
counts are exact at any corpus size. Pairs are scored, the table of that pass is applied to
the id stream (a flag per word, then a hash lookup), and the next pass counts the joined
stream.

A table is applied by its phrase strings, as word2phrase looks bigrams up by their joined
string: within a pass, a token followed (through connector words, if any) by a token whose
joined text is a phrase of that pass is replaced by the phrase, scanning left to right; a
phrase does not start another phrase in the same pass. ``phrases`` writes the text of exactly
this stream, and ``train --phrases`` trains on the same stream without writing it.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field

import numba
import numpy as np
from llvmlite import ir
from numba import prange, types
from numba.extending import intrinsic

from . import _faults
from ._util import (atomic_write, check_choice, check_float, check_int, check_threads, numba_threads,
                    progress_bar, read_ahead)
from ._tokens import _GOLDEN, _same_bytes, _token_key
from .errors import EmbedkitError, ParameterError

SCORINGS = ("word2phrase", "npmi")
#: the threshold of a pass when none is given
DEFAULT_THRESHOLD = {"word2phrase": 100.0, "npmi": 0.5}
#: gensim's ENGLISH_CONNECTOR_WORDS: a phrase may have them inside, never at either end
ENGLISH_CONNECTOR_WORDS = ("a", "an", "the", "for", "of", "with", "without", "at", "from", "to", "in", "on",
                           "by", "and", "or")
CONNECTOR_SETS = {"english": ENGLISH_CONNECTOR_WORDS, "none": ()}
FORMAT = "embedkit-phrases/1"
#: default memory bound for counting pairs before sorted runs are spilled to disk
DEFAULT_MEMORY = 2 << 30
#: tokens counted per block (each thread sorts its share of a block)
BLOCK_TOKENS = 1 << 24
_MAX_KEY = (1 << 63) - 1
#: a piece of text is tokenized by several threads if it is at least this long (and not the first)
_MIN_PART_BYTES = 1 << 16


# ---------------------------------------------------------------- the table
@dataclass(eq=False)
class PhraseTable:
    """The phrases found by :func:`find_phrases`, pass by pass, ready to save, load and apply.

    ``passes[p]`` is a list of ``(phrase, score, count)``, phrases of pass ``p`` joined with
    ``delimiter`` (a phrase of pass 2 may join phrases of pass 1). ``thresholds[p]`` is the
    score a phrase of pass ``p`` had to exceed.

    Examples
    --------
    >>> t = PhraseTable([[("new_york", 512.0, 40)]], delimiter="_", scoring="word2phrase", min_count=5,
    ...                 thresholds=[100.0])
    >>> len(t), t.phrases()
    (1, ['new_york'])
    """

    passes: list
    delimiter: str = "_"
    scoring: str = "word2phrase"
    min_count: int = 5
    thresholds: list = field(default_factory=list)
    connector_words: tuple = ()
    n_words: int = 0

    def __len__(self):
        return sum(len(p) for p in self.passes)

    def phrases(self):
        """Every phrase, pass by pass."""
        return [p for ps in self.passes for p, _, _ in ps]

    def save(self, path):
        """Write ``phrase<TAB>score<TAB>count`` lines, after ``#`` header lines, atomically."""
        with atomic_write(path, "w", encoding="utf-8") as f:
            self.write(f)

    def write(self, f):
        conn = " ".join(self.connector_words)
        f.write(f"# {FORMAT} delimiter={self.delimiter} scoring={self.scoring} min_count={self.min_count} "
                f"words={self.n_words} passes={len(self.passes)}\n# connector_words {conn}\n".replace(" \n", "\n"))
        for k, ps in enumerate(self.passes):  # the count lets a reader see a table cut short
            f.write(f"# pass {k + 1} threshold={self.thresholds[k]!r} phrases={len(ps)}\n")
            for phrase, score, count in ps:
                f.write(f"{phrase}\t{score!r}\t{count}\n")

    @classmethod
    def load(cls, path, *, delimiter=None):
        """Read a table written by :meth:`save`; with ``delimiter``, refuse a table joined otherwise."""
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.read().split("\n")
        except OSError as e:
            raise EmbedkitError(f"cannot read phrase table {path}: {e.strerror or e}") from None
        except UnicodeDecodeError:
            raise EmbedkitError(f"{path} is not a phrase table (not UTF-8 text)") from None
        head = lines[0].split(" ") if lines else []
        if len(head) < 3 or head[:2] != ["#", FORMAT]:
            raise EmbedkitError(f"{path} is not a phrase table (it does not start with '# {FORMAT}'); "
                                "write one with `embedkit phrases --save-table`")
        meta = dict(item.split("=", 1) for item in head[2:] if "=" in item)
        try:
            table = cls([], delimiter=meta["delimiter"], scoring=meta["scoring"], min_count=int(meta["min_count"]),
                        n_words=int(meta.get("words", 0)))
        except (KeyError, ValueError):
            raise EmbedkitError(f"{path}: the header line of the phrase table is damaged") from None
        expected = []  # phrases per pass, as the pass lines say
        for n, line in enumerate(lines[1:], 2):
            if not line:
                continue
            parts = line.split("\t")
            if len(parts) == 3:
                if not table.passes:
                    raise EmbedkitError(f"{path}, line {n}: a phrase before the first '# pass' line")
                try:
                    table.passes[-1].append((parts[0], float(parts[1]), int(parts[2])))
                except ValueError:
                    raise EmbedkitError(f"{path}, line {n}: expected 'phrase<TAB>score<TAB>count', "
                                        f"got {line[:60]!r}") from None
            elif line.startswith("# connector_words"):
                table.connector_words = tuple(line.split(" ")[2:])
            elif line.startswith("# pass "):
                items = dict(item.split("=", 1) for item in line.split(" ")[3:] if "=" in item)
                try:
                    table.thresholds.append(float(items["threshold"]))
                    expected.append(int(items["phrases"]) if "phrases" in items else None)  # older tables: no count
                except (KeyError, ValueError):
                    raise EmbedkitError(f"{path}, line {n}: damaged pass line {line[:60]!r}") from None
                table.passes.append([])
            elif not line.startswith("#"):
                raise EmbedkitError(f"{path}, line {n}: expected 'phrase<TAB>score<TAB>count', got {line[:60]!r}")
        if not table.passes:
            raise EmbedkitError(f"{path}: the phrase table has no '# pass' line")
        if "passes" in meta and meta["passes"].isdigit() and len(table.passes) != int(meta["passes"]):
            raise EmbedkitError(f"{path}: the phrase table holds {len(table.passes)} passes, its header says "
                                f"{meta['passes']}: the table is cut short or damaged")
        for k, (ps, want) in enumerate(zip(table.passes, expected)):
            if want is not None and len(ps) != want:
                raise EmbedkitError(f"{path}: pass {k + 1} of the phrase table holds {len(ps)} phrases, its header says "
                                    f"{want}: the table is cut short or damaged")
        if delimiter is not None and delimiter != table.delimiter:
            raise EmbedkitError(f"phrase table {path} joins words with {table.delimiter!r}, but the delimiter "
                                f"is {delimiter!r}")
        return table


# ---------------------------------------------------------------- keys
def _radix(n_words, n_conn, limit=_MAX_KEY):
    """(M, K): connector runs of up to K words fit below ``limit`` in keys ``(a*V+b)*M+m``."""
    vv = n_words * n_words
    if vv >= limit:
        raise EmbedkitError(f"{n_words} distinct tokens are too many to count pairs as 64-bit keys")
    if n_conn == 0:
        return 1, 0
    base, m, k = n_conn + 1, 1, 0
    while vv * m * base < limit and k < 16:
        m *= base
        k += 1
    return m, k


@numba.njit(cache=True)
def _pair_keys(ids, starts, ends, conn, elig, n_words, base, max_between, mult, keys):
    """The candidate keys of sentences ``starts[s]:ends[s]`` into ``keys`` (from 0); returns how many.

    Without connector words (``conn`` all 0) every adjacent pair is a candidate, key ``a*V+b``;
    with them, a non-connector word, up to ``max_between`` connector words and the next
    non-connector word, key ``(a*V+b)*mult + m`` where ``m`` has the connectors' ranks (1..)
    as digits in base ``base``. Only pairs of two words flagged in ``elig`` (0 or 1) are kept.
    """
    n = 0
    for s in range(len(starts)):
        start = -1
        mid = 0
        between = 0
        for p in range(starts[s], ends[s]):
            t = ids[p]
            c = conn[t]
            if c == 0:
                # written always, kept if it counts: no branch on the (unpredictable) flags
                keys[n] = (np.int64(max(start, 0)) * n_words + t) * mult + mid
                n += np.int64(start >= 0) & np.int64(between <= max_between) & np.int64(elig[max(start, 0)]) \
                    & np.int64(elig[t])
                start = t
                mid = 0
                between = 0
            elif start >= 0:
                between += 1
                if between <= max_between:
                    mid = mid * base + c
    return n


@numba.njit(cache=True)
def _reduce_sorted(keys, out_keys, out_counts):
    """Run-length counts of sorted ``keys``; returns how many distinct."""
    n = 0
    for i in range(len(keys)):
        if n > 0 and out_keys[n - 1] == keys[i]:
            out_counts[n - 1] += 1
        else:
            out_keys[n] = keys[i]
            out_counts[n] = 1
            n += 1
    return n


@numba.njit(cache=True)
def _radix_sort(a, tmp):
    """Sort the non-negative int64 ``a`` (LSD radix, digits of at most 12 bits; ``tmp`` is scratch
    of the same length); returns the array that holds the sorted keys, ``a`` or ``tmp``."""
    n = len(a)
    if n < 512:
        a.sort()
        return a
    top = a.max()
    bits = 0
    while bits < 63 and (top >> bits) > 0:
        bits += 1
    n_digits = max(1, (bits + 11) // 12)
    width = (bits + n_digits - 1) // n_digits
    size = 1 << width
    mask = size - 1
    hist = np.zeros((n_digits, size), np.int64)
    for i in range(n):
        x = a[i]
        for d in range(n_digits):
            hist[d, (x >> (d * width)) & mask] += 1
    src = a
    dst = tmp
    pos = np.empty(size, np.int64)
    for d in range(n_digits):
        shift = d * width
        total = 0
        full = False
        for k in range(size):
            if hist[d, k] == n:
                full = True
            pos[k] = total
            total += hist[d, k]
        if full:  # every key has the same digit here: nothing moves
            continue
        for i in range(n):
            x = src[i]
            k = (x >> shift) & mask
            dst[pos[k]] = x
            pos[k] += 1
        src, dst = dst, src
    return src


@numba.njit(parallel=True, cache=True)
def _count_block(ids, offsets, bounds, conn, elig, n_words, base, max_between, mult, keys, out_keys, out_counts,
                 n_out):
    """Per chunk ``c`` (sentences ``bounds[c]:bounds[c+1]``): candidate keys, sorted and reduced into
    ``out_keys``/``out_counts`` from the chunk's first token; ``n_out[c]`` = distinct keys."""
    for c in prange(len(bounds) - 1):
        s0, s1 = bounds[c], bounds[c + 1]
        lo = offsets[s0] - offsets[bounds[0]]
        seg = keys[lo:lo + offsets[s1] - offsets[s0]]
        n = _pair_keys(ids, offsets[s0:s1], offsets[s0 + 1:s1 + 1], conn, elig, n_words, base, max_between, mult,
                       seg)
        part = _radix_sort(seg[:n], out_keys[lo:lo + n])
        # the reduced run is written from the start of out_keys: never ahead of what it reads
        n_out[c] = _reduce_sorted(part, out_keys[lo:lo + n], out_counts[lo:lo + n])


@numba.njit(cache=True)
def _merge_two(ka, ca, kb, cb, ko, co):
    """Merge two sorted, reduced runs, summing equal keys; returns the merged length."""
    i = j = n = 0
    while i < len(ka) and j < len(kb):
        if ka[i] < kb[j]:
            ko[n] = ka[i]
            co[n] = ca[i]
            i += 1
        elif kb[j] < ka[i]:
            ko[n] = kb[j]
            co[n] = cb[j]
            j += 1
        else:
            ko[n] = ka[i]
            co[n] = ca[i] + cb[j]
            i += 1
            j += 1
        n += 1
    while i < len(ka):
        ko[n] = ka[i]
        co[n] = ca[i]
        i += 1
        n += 1
    while j < len(kb):
        ko[n] = kb[j]
        co[n] = cb[j]
        j += 1
        n += 1
    return n


def _merge_runs(runs):
    """One sorted, reduced run from several (pairwise, smallest first)."""
    runs = [r for r in runs if len(r[0])]
    if not runs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    while len(runs) > 1:
        runs.sort(key=lambda r: len(r[0]))
        (ka, ca), (kb, cb) = runs[0], runs[1]
        ko = np.empty(len(ka) + len(kb), np.int64)
        co = np.empty(len(ka) + len(kb), np.int64)
        n = _merge_two(ka, ca, kb, cb, ko, co)
        runs = runs[2:] + [(ko[:n].copy(), co[:n].copy())]
        del ko, co
    return runs[0]


class _Counter:
    """Sorted, reduced runs of keys: held in memory while they fit ``memory``, else spilled to a
    folder in ``tmp_dir`` (made at the first spill; :meth:`close` removes it)."""

    def __init__(self, memory, tmp_dir):
        self.memory = memory
        self.tmp_dir = tmp_dir
        self.folder = None
        self.keys = np.zeros(0, np.int64)
        self.counts = np.zeros(0, np.int64)
        self.spilled = []
        self.spill_bytes = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def add(self, runs):
        self.keys, self.counts = _merge_runs([(self.keys, self.counts), *runs])
        if 16 * len(self.keys) > self.memory // 6:  # merging holds the old and the new run
            self._spill()

    def _spill(self):
        if self.folder is None:
            self.folder = _faults.make_temp_dir("spill", self.tmp_dir)  # swept by a later run if killed
        prefix = os.path.join(self.folder, f"run{len(self.spilled)}")
        try:
            self.keys.tofile(prefix + ".keys")
            self.counts.tofile(prefix + ".counts")
        except OSError as e:
            raise EmbedkitError(f"cannot spill pair counts to {self.folder}: {e.strerror or e}") from None
        self.spilled.append((prefix, len(self.keys)))
        self.spill_bytes += 16 * len(self.keys)
        self.keys, self.counts = np.zeros(0, np.int64), np.zeros(0, np.int64)

    def frequent(self, min_count):
        """(keys, counts) of every key counted at least ``min_count`` times, sorted."""
        if not self.spilled:
            keep = self.counts >= min_count
            return self.keys[keep], self.counts[keep]
        if len(self.keys):
            self._spill()
        runs = [(np.memmap(p + ".keys", np.int64, "r", shape=(n,)), np.memmap(p + ".counts", np.int64, "r", shape=(n,)))
                for p, n in self.spilled]
        total = sum(n for _, n in self.spilled)
        n_ranges = max(1, -(-32 * total // max(self.memory, 1)))
        # key ranges by quantiles of the largest run: each range merges slices of every run
        big = max(runs, key=lambda r: len(r[0]))[0]
        cuts = [int(big[int(len(big) * q / n_ranges)]) for q in range(1, n_ranges)] if len(big) else []
        edges = [np.iinfo(np.int64).min, *sorted(set(cuts)), None]
        out_k, out_c = [], []
        for lo, hi in zip(edges[:-1], edges[1:]):
            parts = []
            for k, c in runs:
                i0 = np.searchsorted(k, lo, "left")
                i1 = len(k) if hi is None else np.searchsorted(k, hi, "left")
                parts.append((np.array(k[i0:i1]), np.array(c[i0:i1])))
            mk, mc = _merge_runs(parts)
            keep = mc >= min_count
            out_k.append(mk[keep])
            out_c.append(mc[keep])
        del runs
        return np.concatenate(out_k), np.concatenate(out_c)


# ---------------------------------------------------------------- applying a pass
@numba.njit(cache=True)
def _slot(key, shift):
    """The home slot of ``key`` in a table of ``2**(64 - shift)`` slots (Fibonacci hashing)."""
    return np.int64((np.uint64(key) * _GOLDEN) >> np.uint64(shift))


@numba.njit(cache=True)
def _lookup_table(table_keys, shift):
    """Open-addressing slots (-1: empty) holding the index of each of ``table_keys`` (distinct)."""
    slots = np.full(1 << (64 - shift), -1, np.int32)
    mask = len(slots) - 1
    for i in range(len(table_keys)):
        s = _slot(table_keys[i], shift)
        while slots[s] != -1:
            s = (s + 1) & mask
        slots[s] = i
    return slots


@numba.njit(parallel=True, cache=True)
def _apply_pass(ids, offsets, bounds, conn, n_words, base, max_between, mult_full, left, slots, shift, table_keys,
                table_ids, out, new_len):
    """Join pairs found in ``table_keys`` (``table_ids`` the phrase ids; ``slots`` their hash table,
    ``left[a]`` set if some key starts with ``a``) left to right.

    Sentence ``s`` of ``ids`` is written to ``out`` from ``offsets[s]`` on, its new length to
    ``new_len[s]``. A joined token does not start another join; connector words never start or
    end one.
    """
    mask = len(slots) - 1
    for c in prange(len(bounds) - 1):
        for s in range(bounds[c], bounds[c + 1]):
            w = offsets[s]
            start = -1  # position in out of the candidate's first token
            between = 0
            mid = 0
            for p in range(offsets[s], offsets[s + 1]):
                t = ids[p]
                cc = conn[t]
                if cc == 0:
                    if start >= 0 and between <= max_between and left[out[start]] != 0:
                        key = (np.int64(out[start]) * n_words + t) * mult_full + mid
                        h = _slot(key, shift)
                        k = slots[h]
                        while k >= 0 and table_keys[k] != key:
                            h = (h + 1) & mask
                            k = slots[h]
                        if k >= 0:
                            out[start] = table_ids[k]
                            w = start + 1
                            start = -1
                            between = 0
                            mid = 0
                            continue
                    out[w] = t
                    start = w
                    w += 1
                    between = 0
                    mid = 0
                else:
                    out[w] = t
                    w += 1
                    if start >= 0:
                        between += 1
                        if between <= max_between:
                            mid = mid * base + cc
            new_len[s] = w - offsets[s]


@numba.njit(cache=True)
def _compact(buf, offsets, new_len, new_offsets):
    """Move sentence ``s`` from ``buf[offsets[s]:]`` to ``buf[new_offsets[s]:]`` (new_offsets <= offsets)."""
    for s in range(len(new_len)):
        a = offsets[s]
        b = new_offsets[s]
        if a != b:
            for i in range(new_len[s]):
                buf[b + i] = buf[a + i]


def _splits(phrase, d, vocab, conn_set, max_between):
    """Every way to read ``phrase`` as left + d + connector words + d + right (left and right tokens of
    ``vocab`` that are not connector words): (left, [connectors], right)."""
    cuts = []
    i = phrase.find(d)
    while i >= 0:
        cuts.append(i)
        i = phrase.find(d, i + 1)
    out = []
    for x, i in enumerate(cuts):
        left = phrase[:i]
        if left not in vocab or left in conn_set:
            continue
        for j in cuts[x:] if conn_set else cuts[x:x + 1]:
            right = phrase[j + len(d):]
            if right not in vocab or right in conn_set:
                continue
            middle = phrase[i + len(d):j].split(d) if j > i else []
            if len(middle) > max_between or not all(m in conn_set for m in middle):
                continue
            out.append((left, middle, right))
    return out


def _pairs(phrase, d, vocab):
    """:func:`_splits` without connector words, faster: every (left, [], right) of ``vocab``."""
    out = []
    get = vocab.get
    i = phrase.find(d)
    while i >= 0:
        left = phrase[:i]
        if get(left) is not None:
            right = phrase[i + len(d):]
            if get(right) is not None:
                out.append((left, (), right))
        i = phrase.find(d, i + 1)
    return out


class _Stream:
    """The id stream being phrased: ids, line offsets, the text of each id and the connector index.

    ``arena[word_off[i]:word_off[i + 1]]`` are the UTF-8 bytes of the first ``len(word_off) - 1``
    words (those of the scan; the phrases added later are encoded when the text is written);
    ``counts``, if given, the count of each id in ``ids`` (dropped once the stream changes).
    """

    def __init__(self, ids, offsets, words, connector_words, threads, *, arena=None, word_off=None, counts=None):
        self.ids = ids
        self.offsets = offsets
        self.words = list(words)
        self._index = None
        if arena is None:
            encoded = [w.encode("utf-8") for w in self.words]
            word_off = np.zeros(len(encoded) + 1, np.int64)
            np.cumsum([len(e) for e in encoded], out=word_off[1:])
            arena = np.frombuffer(b"".join(encoded), np.uint8)
        self.arena = arena
        self.word_off = word_off
        self.counts = counts
        self.conn_words = tuple(connector_words)
        self.conn_rank = {w: r + 1 for r, w in enumerate(self.conn_words)}
        self.threads = threads
        self.bounds = None

    @property
    def index(self):
        """Each word's id."""
        if self._index is None:
            self._index = dict(zip(self.words, range(len(self.words))))
        return self._index

    @property
    def n_words(self):
        return len(self.words)

    def unigram_counts(self):
        if self.counts is None:
            self.counts = np.zeros(self.n_words, np.int64)
            _bincount(self.ids, self.counts)
        return self.counts

    def conn_array(self):
        conn = np.zeros(max(self.n_words, 1), np.int32)
        for w, r in self.conn_rank.items():
            if w in self.index:
                conn[self.index[w]] = r
        return conn

    def radix(self):
        return _radix(self.n_words, len(self.conn_words))

    def chunks(self, n_chunks):
        return _chunk_bounds(self.offsets, n_chunks)

    def word_bytes(self):
        """(arena, word_off): the UTF-8 bytes of every word, ``arena[word_off[i]:word_off[i + 1]]``."""
        n0 = len(self.word_off) - 1
        if n0 < self.n_words:
            extra = [w.encode("utf-8") for w in self.words[n0:]]
            lens = np.array([len(e) for e in extra], np.int64)
            self.word_off = np.concatenate([self.word_off, self.word_off[-1] + np.cumsum(lens)])
            self.arena = np.concatenate([self.arena[:self.word_off[n0]], np.frombuffer(b"".join(extra), np.uint8)])
        return self.arena, self.word_off

    def plain(self, delimiter):
        """True if no word of the stream holds ``delimiter`` (then a phrase's string has one reading)."""
        return len(self.word_off) - 1 == self.n_words and delimiter.encode("utf-8") not in self.arena.tobytes()

    def apply(self, phrases, delimiter, *, pairs=None):
        """Join this pass's ``phrases`` (strings) in the stream; returns how many were usable.

        ``pairs``, if given, are the ids (a, b) of the words each phrase joins (``phrases[i]`` is
        ``words[a[i]] + delimiter + words[b[i]]``); they are used if no word holds the delimiter
        and there are no connector words, when each phrase is that one pair of words."""
        if pairs is not None and not self.conn_words and self.plain(delimiter):
            return self._apply_pairs(phrases, *pairs)
        m, k = self.radix()
        base = len(self.conn_words) + 1 if self.conn_words else 0
        conn_set = set(self.conn_words)
        keys, targets = [], []
        nw = self.n_words
        index = self.index
        for phrase in phrases:
            ways = _splits(phrase, delimiter, index, conn_set, k) if conn_set else _pairs(phrase, delimiter, index)
            if not ways:
                continue
            pid = index.get(phrase)
            if pid is None:
                pid = index[phrase] = len(self.words)
                self.words.append(phrase)
            for left, middle, right in ways:
                a, b = index[left], index[right]
                if a >= nw or b >= nw:  # a phrase of this very pass: not a token of the stream
                    continue
                mid = 0
                for w in middle:
                    mid = mid * base + self.conn_rank[w]
                keys.append((a * nw + b) * m + mid)
                targets.append(pid)
        return self._join(np.array(keys, np.int64), np.array(targets, np.int32), nw, m, k, base)

    def _apply_pairs(self, phrases, a, b):
        """:meth:`apply` for phrases known to be the pairs of words ``(a[i], b[i])``, all new words."""
        nw = self.n_words
        if self._index is not None:
            self._index.update(zip(phrases, range(nw, nw + len(phrases))))
        self.words.extend(phrases)
        return self._join(a.astype(np.int64) * nw + b, np.arange(nw, nw + len(phrases), dtype=np.int64), nw, 1, 0, 0)

    def _join(self, keys, targets, nw, m, k, base):
        """Replace each pair of key ``keys[i]`` (``(a * nw + b) * m + mid``) by the id ``targets[i]``
        (the first target of equal keys) in the stream; returns how many targets were used."""
        if len(self.words) >= 2**31:
            raise EmbedkitError("more than 2**31 distinct tokens and phrases")
        order = np.argsort(keys, kind="stable")
        keys, targets = keys[order], targets.astype(np.int32)[order]
        keep = np.ones(len(keys), bool)
        keep[1:] = keys[1:] != keys[:-1]
        keys, targets = keys[keep], targets[keep]
        conn = self.conn_array()
        if len(keys) == 0:
            return 0
        left = np.zeros(max(nw, 1), np.uint8)
        left[keys // m // nw] = 1
        bits = max(4, int(2 * len(keys) - 1).bit_length() + 1)  # at most a quarter full
        shift = 64 - bits
        slots = _lookup_table(keys, shift)
        out = np.empty(len(self.ids), np.int32) if not isinstance(self.ids, np.ndarray) or \
            not self.ids.flags.writeable else self.ids
        new_len = np.zeros(len(self.offsets) - 1, np.int64)
        with numba_threads(self.threads) as n:
            _apply_pass(self.ids, self.offsets, self.chunks(4 * n), conn, nw, base, k, m, left, slots, shift, keys,
                        targets, out, new_len)
        new_offsets = np.zeros(len(self.offsets), np.int64)
        np.cumsum(new_len, out=new_offsets[1:])
        _compact(out, self.offsets, new_len, new_offsets)
        self.ids = out[:new_offsets[-1]]
        self.offsets = new_offsets
        self.counts = None
        return len(set(targets.tolist()))


@numba.njit(cache=True)
def _bincount(ids, counts):
    """``counts[t]`` += occurrences of ``t`` in ``ids``."""
    for i in range(len(ids)):
        counts[ids[i]] += 1


def _chunk_bounds(offsets, n_chunks):
    """Sentence bounds of ``n_chunks`` chunks of about equal tokens."""
    from ._util import balanced_chunks

    return balanced_chunks(offsets, n_chunks)


# ---------------------------------------------------------------- scoring
def _score(scoring, pab, pa, pb, n_tokens, min_count):
    """Scores of pairs counted ``pab`` times whose words were counted ``pa`` and ``pb`` times.

    word2phrase: ``(pab - min_count) / pa / pb * n_tokens`` in float32, as word2phrase computes it;
    npmi: ``log(pab*N / (pa*pb)) / -log(pab/N)`` (gensim's npmi_scorer), float64.
    """
    if scoring == "word2phrase":
        with np.errstate(divide="ignore", invalid="ignore"):
            return (pab - min_count).astype(np.float32) / pa.astype(np.float32) / pb.astype(np.float32) \
                * np.float32(n_tokens)
    n = float(n_tokens)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_ab = pab / n
        return np.log(p_ab / ((pa / n) * (pb / n))) / -np.log(p_ab)


def _check(scoring, min_count, threshold, passes, delimiter, connector_words, memory, threads):
    check_choice("scoring", scoring, SCORINGS)
    check_int("min_count", min_count, min=1)
    if passes is not None:
        check_int("passes", passes, min=1)
    thresholds = threshold if isinstance(threshold, (list, tuple)) else [threshold]
    if passes is not None and len(thresholds) not in (1, passes):
        raise EmbedkitError(f"give one threshold, or one per pass ({passes}); got {len(thresholds)}")
    n_passes = passes if passes is not None else len(thresholds)
    if len(thresholds) == 1:
        thresholds = thresholds * n_passes
    out = []
    for t in thresholds:
        if t is None:
            t = DEFAULT_THRESHOLD[scoring]
        if scoring == "word2phrase":
            t = check_float("threshold", t, min=0, min_open=True)
        else:
            t = check_float("threshold", t, min=-1, max=1, min_open=True)
        out.append(t)
    check_delimiter(delimiter)
    conn = _connector_words(connector_words)
    bad = [w for w in conn if delimiter in w]
    if bad:
        raise EmbedkitError(f"connector word {bad[0]!r} contains the delimiter {delimiter!r}")
    if memory is not None:
        check_int("memory", memory)
        if memory < 1 << 20:  # sizes as the option writes them
            raise ParameterError(f"{{memory}} must be at least 1M (1,048,576 bytes), got {memory:,} bytes", "memory")
    check_threads(threads)
    return out, conn


def check_delimiter(delimiter):
    if not isinstance(delimiter, str) or not delimiter or any(ch.isspace() for ch in delimiter):
        raise EmbedkitError(f"delimiter must be a non-empty string without whitespace, got {delimiter!r}")


def _connector_words(connector_words):
    if connector_words is None:
        return ()
    if isinstance(connector_words, str):
        if connector_words not in CONNECTOR_SETS:
            raise EmbedkitError(f"connector_words must be one of {', '.join(CONNECTOR_SETS)} or a list of words; "
                                f"got {connector_words!r}")
        return CONNECTOR_SETS[connector_words]
    words = tuple(dict.fromkeys(str(w) for w in connector_words))
    if any(not w or any(ch.isspace() for ch in w) for w in words):
        raise EmbedkitError("connector words must be non-empty and without whitespace")
    return words


# ---------------------------------------------------------------- reading the corpus (the one hook)
#: a slot's value when empty; else ``length << 32 | id``
_EMPTY = -1


@numba.njit(cache=True, nogil=True, inline="always")
def _find_word(buf, i, length, key, table, word_off, arena):
    """(slot, id) of the word ``buf[i:i+length]`` (key ``key``) in the scan's table: id -1 and the
    empty slot where it would go if it is not there.

    ``table`` holds slot ``s`` as ``table[2s]`` (the key) and ``table[2s+1]`` (``length << 32 | id``,
    -1 if empty), so a word of up to 8 bytes is found from its slot alone; a longer one is then
    compared with its bytes ``arena[word_off[id]:]``.
    """
    mask = (len(table) >> 1) - 1
    s = np.int64((key * _GOLDEN) >> np.uint64(32)) & mask
    want = np.int64(key)
    while True:
        v = table[2 * s + 1]
        if v == _EMPTY:
            return s, -1
        if table[2 * s] == want and (v >> 32) == length:
            q = v & 0xFFFFFFFF
            if length <= 8:
                return s, q
            if _same_bytes(arena, word_off[q], buf, i, length):
                return s, q
        s = (s + 1) & mask


@numba.njit(parallel=True, cache=True, nogil=True)
def _tokenize_parts(buf, cuts, table, word_off, arena, out_ids, nl_pos, unk_x, unk_start, unk_len, unk_key, sizes):
    """Split ``buf[cuts[c]:cuts[c+1]]`` (parts cut at ASCII whitespace) on ASCII whitespace, in
    parallel, as the scan's tokenizer does, and look each token up in the scan's table without
    changing it. Part ``c`` writes from index ``cuts[c]`` on (it has fewer tokens than bytes):
    ids to ``out_ids`` (-1: not in the table, then its index in the part, start, length and
    key go to the ``unk_*`` arrays), and the token indices (in the part) at which a newline
    came to ``nl_pos``, once each. ``sizes[c]`` = (tokens, newline records, unknown tokens)."""
    n = len(buf)
    for c in prange(len(cuts) - 1):
        base = cuts[c]
        i = base
        end = cuts[c + 1]
        m = 0
        nn = 0
        u = 0
        last = -1
        while i < end:
            ch = buf[i]
            if ch <= 32:
                if ch == 10:
                    if last != m:
                        nl_pos[base + nn] = m
                        nn += 1
                        last = m
                    i += 1
                    continue
                if ch == 32 or (ch >= 9 and ch <= 13):
                    i += 1
                    continue
            key, j = _token_key(buf, i, n)
            _, k = _find_word(buf, i, j - i, key, table, word_off, arena)
            if k < 0:
                unk_x[base + u] = m
                unk_start[base + u] = i
                unk_len[base + u] = j - i
                unk_key[base + u] = key
                u += 1
            out_ids[base + m] = k
            m += 1
            i = j
        sizes[c, 0] = m
        sizes[c, 1] = nn
        sizes[c, 2] = u


@numba.njit(cache=True, nogil=True)
def _add_words(buf, first, count, base, unk_x, unk_start, unk_len, unk_key, table, word_off, arena, state, out_ids):
    """Give the unknown tokens ``first:first+count`` of a part (from :func:`_tokenize_parts`) their
    ids, in order, adding each new word to the table (the next id); ``state`` = [n_ids].
    Returns how many were done: fewer when the table, ``word_off`` or ``arena`` is full (grow it)."""
    n_ids = state[0]
    used = word_off[n_ids]
    done = 0
    for x in range(base + first, base + first + count):
        i = unk_start[x]
        length = unk_len[x]
        s, k = _find_word(buf, i, length, unk_key[x], table, word_off, arena)
        if k < 0:
            if n_ids + 1 >= len(word_off) or used + length > len(arena) or 4 * (n_ids + 1) > len(table):
                break
            k = n_ids
            n_ids += 1
            table[2 * s] = np.int64(unk_key[x])
            table[2 * s + 1] = (np.int64(length) << 32) | k
            arena[used:used + length] = buf[i:i + length]
            used += length
            word_off[n_ids] = used
        out_ids[base + unk_x[x]] = k
        done += 1
    state[0] = n_ids
    return done


@numba.njit(cache=True)
def _rehash(old, table):
    """Insert every entry of the table ``old`` into the empty, larger ``table``."""
    mask = (len(table) >> 1) - 1
    for s0 in range(len(old) >> 1):
        v = old[2 * s0 + 1]
        if v != _EMPTY:
            key = np.uint64(old[2 * s0])
            s = np.int64((key * _GOLDEN) >> np.uint64(32)) & mask
            while table[2 * s + 1] != _EMPTY:
                s = (s + 1) & mask
            table[2 * s] = old[2 * s0]
            table[2 * s + 1] = v


class _WordTable:
    """The scan's growable word table: open addressing over (key, length and id) slots, at most half
    full; the words' bytes in order of id, ``arena[word_off[id]:word_off[id + 1]]``."""

    def __init__(self):
        self.table = self._empty(1 << 16)
        self.word_off = np.zeros(1 << 15, np.int64)
        self.arena = np.zeros(1 << 20, np.uint8)
        self.state = np.zeros(1, np.int64)

    @staticmethod
    def _empty(n_slots):
        table = np.empty(2 * n_slots, np.int64)
        table[1::2] = _EMPTY
        return table

    @property
    def n_ids(self):
        return int(self.state[0])

    def grow(self, need_bytes):
        n_ids = self.n_ids
        used = int(self.word_off[n_ids])
        if n_ids + 1 >= len(self.word_off):
            word_off = np.zeros(2 * len(self.word_off), np.int64)
            word_off[:n_ids + 1] = self.word_off[:n_ids + 1]
            self.word_off = word_off
        if used + need_bytes > len(self.arena):
            arena = np.zeros(max(2 * len(self.arena), used + need_bytes), np.uint8)
            arena[:used] = self.arena[:used]
            self.arena = arena
        if 4 * (n_ids + 1) > len(self.table):
            table = self._empty(len(self.table))  # twice the slots
            _rehash(self.table, table)
            self.table = table


def scan_stream(corpus, connector_words=(), threads=None, *, lowercase=False, tokenize="whitespace",
                keep_punctuation=False, progress=False):
    """The corpus as every word's id, with lines kept whole, in memory: a ``_Stream``.

    The text goes through :func:`~embedkit.corpus.iter_pieces` and the scan's tokenizer kernel
    (the tokens every command sees). Lines are not cut at the trainers' sentence length, so no
    pair is lost at a cut; blank lines are dropped, as everywhere in embedkit. Every word is
    kept (the phrased text keeps every token), with the id of its first appearance: phrases
    need no vocabulary order, so none is made.
    """
    from .corpus import corpus_files, corpus_name, cut_at_whitespace, iter_pieces, reader_threads
    from .errors import EmptyCorpusError
    from .vocab import check_unchanged, corpus_fingerprint

    before = corpus_fingerprint(corpus)
    size = sum(os.path.getsize(f) for f in corpus_files(corpus) if f != "-")
    ids = np.empty(max(size // 5, 1 << 16), np.int32)  # pages never written are never resident
    table = _WordTable()
    end_chunks = []
    n = 0
    last_end = 0
    cap = 0
    with numba_threads(threads) as n_threads:
        for piece in read_ahead(iter_pieces(corpus, lowercase=lowercase, tokenize=tokenize,
                                            keep_punctuation=keep_punctuation, progress=progress,
                                            threads=reader_threads(n_threads, tokenize=tokenize,
                                                                   lowercase=lowercase)[0])):
            buf = np.frombuffer(piece, np.uint8)
            if len(buf) > cap:  # part c writes from index cuts[c]: arrays as long as the piece
                cap = max(len(buf), 2 * cap)
                out_ids, nl_pos = np.empty(cap, np.int32), np.empty(cap, np.int64)
                unk_x, unk_start, unk_len = np.empty(cap, np.int64), np.empty(cap, np.int64), np.empty(cap, np.int64)
                unk_key = np.empty(cap, np.uint64)
            cuts = cut_at_whitespace(piece, max(2, n_threads) if table.n_ids and len(piece) >= _MIN_PART_BYTES else 1)
            sizes = np.zeros((len(cuts) - 1, 3), np.int64)
            _tokenize_parts(buf, cuts, table.table, table.word_off, table.arena, out_ids, nl_pos, unk_x, unk_start,
                            unk_len, unk_key, sizes)
            need = n + int(sizes[:, 0].sum())
            if need > len(ids):
                grown = np.empty(max(2 * len(ids), need), np.int32)
                grown[:n] = ids[:n]
                ids = grown
            for c in range(len(cuts) - 1):
                base = int(cuts[c])
                m, nn, u = (int(x) for x in sizes[c])
                first = 0
                while first < u:
                    first += _add_words(buf, first, u - first, base, unk_x, unk_start, unk_len, unk_key, table.table,
                                        table.word_off, table.arena, table.state, out_ids)
                    if first < u:
                        table.grow(int(unk_len[base + first]))
                ids[n:n + m] = out_ids[base:base + m]
                if nn:  # a line ends where a newline follows at least one token since the last end
                    at = n + nl_pos[base:base + nn]
                    keep = at > np.concatenate([[last_end], at[:-1]])
                    if keep.any():
                        end_chunks.append(at[keep])
                        last_end = int(at[keep][-1])
                n += m
            if table.n_ids >= 2**31 - 1:
                raise EmbedkitError("more than 2**31 distinct tokens")
    check_unchanged(corpus, before)
    if table.n_ids == 0:
        raise EmptyCorpusError(f"corpus {corpus_name(corpus)} is empty (no tokens)")
    if n > last_end:
        end_chunks.append(np.array([n], np.int64))
    offsets = np.concatenate([[0], *end_chunks]).astype(np.int64)
    n_ids = table.n_ids
    # ids are given in order of first appearance and never pruned: the arena holds the words in id order
    word_off = table.word_off[:n_ids + 1].copy()
    arena = table.arena[:word_off[-1]].copy()
    words = np.insert(arena, word_off[1:], 10).tobytes().decode("utf-8").split("\n")[:-1]
    del table
    return _Stream(ids[:n], offsets, words, connector_words, threads, arena=arena, word_off=word_off)


# ---------------------------------------------------------------- finding phrases
def find_phrases(corpus, *, scoring="word2phrase", min_count=5, threshold=None, passes=None, delimiter="_",
                 connector_words=None, lowercase=False, tokenize="whitespace", keep_punctuation=False, memory=None,
                 tmp_dir=None, threads=None, progress=False):
    """Find phrases in a corpus, word2vec's ``word2phrase`` or gensim's ``Phrases`` way.

    Parameters
    ----------
    corpus : str, Path or list of them
        Text (plain, .gz/.bz2/.xz, a folder, ``"-"``).
    scoring : {"word2phrase", "npmi"}, default="word2phrase"
        ``word2phrase``: ``(count(a b) - min_count) / count(a) / count(b) * total_tokens``;
        ``npmi``: gensim's normalised PMI, in (-1, 1].
    min_count : int, default=5
        Pairs (and, for word2phrase, words) seen fewer times are never joined.
    threshold : float, list of float or None, default=None
        A pair is joined when its score is above this; one value, or one per pass. None:
        100 for word2phrase, 0.5 for npmi.
    passes : int or None, default=None
        Passes over the corpus, each joining the output of the previous one (two passes make
        phrases of up to four words). None: one per threshold given.
    delimiter : str, default="_"
    connector_words : {"english", "none"}, list of str or None, default=None
        Words that may sit inside a phrase but never start or end one (gensim's
        ``ENGLISH_CONNECTOR_WORDS`` for ``"english"``: "bank_of_america").
    lowercase, tokenize, keep_punctuation
        How the text becomes tokens, as in :func:`~embedkit.vocab.scan_corpus`.
    memory : int or None, default=None
        Bytes for pair counts; beyond them sorted runs are spilled to ``tmp_dir`` and merged
        (exact counts either way). None: 2 GiB.
    tmp_dir : str or None, default=None
    threads : int or None, default=None
    progress : bool, default=False

    Returns
    -------
    PhraseTable

    Examples
    --------
    >>> t = find_phrases("data/sample.txt.xz", min_count=5, threshold=500)
    >>> len(t) > 100, "los_angeles" in t.phrases()
    (True, True)
    """
    thresholds, conn = _check(scoring, min_count, threshold, passes, delimiter, connector_words, memory, threads)
    table, _ = _find(corpus, scoring=scoring, min_count=min_count, thresholds=thresholds, delimiter=delimiter,
                     conn=conn, scan=dict(lowercase=lowercase, tokenize=tokenize, keep_punctuation=keep_punctuation),
                     memory=memory or DEFAULT_MEMORY, tmp_dir=tmp_dir, threads=threads, progress=progress)
    return table


def _find(corpus, *, scoring, min_count, thresholds, delimiter, conn, scan, memory, tmp_dir, threads, progress,
          keep_stream=False):
    """The table and, if ``keep_stream``, the phrased stream (its ids, offsets and words)."""
    if tmp_dir is not None:
        from .cooc._store import check_tmp_dir

        check_tmp_dir(tmp_dir)
    stream = scan_stream(corpus, conn, threads, progress=progress, **scan)
    table = PhraseTable([], delimiter=delimiter, scoring=scoring, min_count=min_count, thresholds=list(thresholds),
                        connector_words=tuple(conn), n_words=len(stream.ids))
    for thr in thresholds:
        found, pairs = _find_pass(stream, scoring=scoring, min_count=min_count, threshold=thr, delimiter=delimiter,
                                  memory=memory, tmp_dir=tmp_dir, progress=progress)
        table.passes.append(found)
        stream.apply([p for p, _, _ in found], delimiter, pairs=pairs)
    return table, (stream if keep_stream else None)


def _eligible(scoring, counts, n_tokens, min_count, threshold):
    """Words that may be part of a pair that scores above ``threshold`` (uint8 flags).

    A pair is counted at most as often as either of its words (each of its occurrences has
    its own first and its own last word), so a pair can reach ``min_count`` only if both words
    do; and its word2phrase score is below ``n_tokens / count(word)`` for either word: a word so
    frequent that this bound does not pass the threshold (by a wide margin over float32
    rounding) is in no phrase. The pairs left out would never be joined.
    """
    ok = counts >= min_count
    if scoring == "word2phrase":
        ok &= counts.astype(np.float64) * float(threshold) < float(n_tokens) * (1 + 1e-4)
    return ok.astype(np.uint8)


def _find_pass(stream, *, scoring, min_count, threshold, delimiter, memory, tmp_dir, progress):
    """Count the stream's candidate pairs and return the phrases scoring above ``threshold``."""
    nw = stream.n_words
    m, k = stream.radix()
    base = len(stream.conn_words) + 1 if stream.conn_words else 0
    conn = stream.conn_array()
    n_tokens = len(stream.ids)
    unigram = stream.unigram_counts()
    elig = _eligible(scoring, unigram, n_tokens, min_count, threshold)
    offsets = stream.offsets
    block = max(1 << 12, min(BLOCK_TOKENS, memory // 96))  # keys, sorted keys, counts: a third of memory
    cuts = np.unique(np.concatenate([[0], np.searchsorted(offsets, np.arange(block, n_tokens, block)),
                                     [len(offsets) - 1]]))
    with _Counter(memory, tmp_dir) as counter:
        with numba_threads(stream.threads) as n_threads, \
                progress_bar(total=n_tokens, desc="counting pairs", unit="tok", enabled=progress) as bar:
            for g0, g1 in zip(cuts[:-1], cuts[1:]):
                if g1 <= g0:
                    continue
                bounds = g0 + _chunk_bounds(offsets[g0:g1 + 1] - offsets[g0], n_threads)
                size = int(offsets[g1] - offsets[g0])
                keys = np.empty(size, np.int64)
                out_k = np.empty(size, np.int64)
                out_c = np.empty(size, np.int64)
                n_out = np.zeros(len(bounds) - 1, np.int64)
                _count_block(stream.ids, offsets, bounds, conn, elig, nw, base, k, m, keys, out_k, out_c, n_out)
                del keys
                runs = []
                for c in range(len(bounds) - 1):
                    lo = int(offsets[bounds[c]] - offsets[g0])
                    runs.append((out_k[lo:lo + n_out[c]], out_c[lo:lo + n_out[c]]))
                counter.add(runs)
                del runs, out_k, out_c
                bar.update(size)
        keys, pab = counter.frequent(min_count)
    ab = keys // m
    a, b = ab // nw, ab % nw
    pa, pb = unigram[a], unigram[b]
    score = _score(scoring, pab, pa, pb, n_tokens, min_count)
    ok = score > (np.float32(threshold) if scoring == "word2phrase" else threshold)
    if scoring == "word2phrase":
        ok &= (pa >= min_count) & (pb >= min_count)
    idx = np.flatnonzero(ok)
    words = stream.words
    conn_words = stream.conn_words
    best = {}
    for i, ai, bi, ki, s, c in zip(idx.tolist(), a[idx].tolist(), b[idx].tolist(), keys[idx].tolist(),
                                   score[idx].tolist(), pab[idx].tolist()):
        mid = ki % m
        if mid:
            middle = []
            while mid:
                middle.append(conn_words[mid % base - 1])
                mid //= base
            phrase = delimiter.join([words[ai], *reversed(middle), words[bi]])
        else:
            phrase = words[ai] + delimiter + words[bi]
        old = best.get(phrase)
        if old is None or s > old[0]:
            best[phrase] = (s, c, i)
    order = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))
    pairs = None
    if not conn_words and len(best) == len(idx):  # one pair per phrase: its (a, b), in the table's order
        pick = np.array([i for _, (_, _, i) in order], np.int64)
        pairs = (a[pick], b[pick])
    return [(p, s, c) for p, (s, c, _) in order], pairs


# ---------------------------------------------------------------- applying a table
def _phrased_stream(corpus, table, *, scan, threads, progress):
    """The corpus scanned (``scan``: the tokenizer options) and phrased pass by pass with ``table``."""
    stream = scan_stream(corpus, table.connector_words, threads, progress=progress, **scan)
    _apply_table(stream, table)
    return stream


def _apply_table(stream, table):
    """Join ``table``'s phrases in ``stream``, pass by pass."""
    for ps in table.passes:
        stream.apply([p for p, _, _ in ps], table.delimiter)


@numba.njit(parallel=True, cache=True)
def _text_sizes(ids, offsets, bounds, word_off, sizes):
    """``sizes[c]``: bytes of lines ``bounds[c]:bounds[c+1]`` as text (tokens, spaces, newlines)."""
    for c in prange(len(bounds) - 1):
        s0, s1 = bounds[c], bounds[c + 1]
        n = offsets[s1] - offsets[s0]  # a separator after each token: a space, or a newline (no line is empty)
        for p in range(offsets[s0], offsets[s1]):
            t = ids[p]
            n += word_off[t + 1] - word_off[t]
        sizes[c] = n


@intrinsic
def _store_u64(typingctx, arr, idx, val):
    """Store the uint64 ``val`` as 8 bytes at ``arr[idx:idx + 8]`` of a 1-D uint8 array (unaligned)."""

    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, args[0])
        ptr = builder.bitcast(builder.gep(ary.data, [args[1]]), ir.IntType(64).as_pointer())
        builder.store(args[2], ptr).align = 1
        return context.get_dummy_value()

    return types.void(arr, types.intp, types.uint64), codegen


@numba.njit(cache=True)
def _word_records(arena, word_off, rec):
    """``rec[2t:2t+2]``: the first 16 bytes of word ``t`` followed by a space, little-endian, zero-padded."""
    for t in range(len(word_off) - 1):
        a, b = word_off[t], word_off[t + 1]
        for k in range(min(b - a, 16)):
            rec[2 * t + (k >> 3)] |= np.uint64(arena[a + k]) << np.uint64(8 * (k & 7))
        k = b - a
        if k < 16:
            rec[2 * t + (k >> 3)] |= np.uint64(32) << np.uint64(8 * (k & 7))


@numba.njit(parallel=True, cache=True)
def _render(ids, offsets, bounds, arena, word_off, rec, starts, buf):
    """Lines ``bounds[c]:bounds[c+1]`` as UTF-8 into ``buf`` from ``starts[c]``: tokens joined by
    spaces, each line ended by a newline. A token is written as the 16 bytes of its record (word,
    space, zeros; ``rec`` from :func:`_word_records`), the next token from after its space, while
    the 16 bytes end within the chunk's share of ``buf``; byte by byte otherwise."""
    for c in prange(len(bounds) - 1):
        w = starts[c]
        end = starts[c + 1]
        for s in range(bounds[c], bounds[c + 1]):
            for p in range(offsets[s], offsets[s + 1]):
                t = ids[p]
                n = word_off[t + 1] - word_off[t]
                if n < 16 and w + 16 <= end:
                    _store_u64(buf, w, rec[2 * t])
                    _store_u64(buf, w + 8, rec[2 * t + 1])
                else:
                    a = word_off[t]
                    for q in range(n):
                        buf[w + q] = arena[a + q]
                    buf[w + n] = 32
                w += n + 1
            buf[w - 1] = 10  # lines are never empty


def _write_text(stream, output, chunk_tokens=1 << 22):
    """Write the stream as text to ``output`` (atomically) or to standard output for ``"-"``."""
    arena, word_off = stream.word_bytes()
    offsets = stream.offsets
    n_tokens = int(offsets[-1])
    cuts = np.unique(np.concatenate([[0], np.searchsorted(offsets, np.arange(chunk_tokens, n_tokens, chunk_tokens)),
                                     [len(offsets) - 1]]))

    rec = np.zeros(2 * (len(word_off) - 1), np.uint64)
    _word_records(arena, word_off, rec)

    def emit(f):
        buf = np.zeros(0, np.uint8)
        with numba_threads(stream.threads) as n_threads:
            for s0, s1 in zip(cuts[:-1].tolist(), cuts[1:].tolist()):
                if s1 <= s0:
                    continue
                bounds = s0 + _chunk_bounds(offsets[s0:s1 + 1] - offsets[s0], 2 * n_threads)
                sizes = np.zeros(len(bounds) - 1, np.int64)
                _text_sizes(stream.ids, offsets, bounds, word_off, sizes)
                starts = np.zeros(len(sizes) + 1, np.int64)
                np.cumsum(sizes, out=starts[1:])
                if len(buf) < starts[-1]:
                    buf = np.empty(int(starts[-1]), np.uint8)
                _render(stream.ids, offsets, bounds, arena, word_off, rec, starts, buf)
                f.write(buf[:starts[-1]].data)

    if output == "-":
        emit(sys.stdout.buffer)
        sys.stdout.buffer.flush()
    else:
        try:
            with atomic_write(output, "wb") as f:
                emit(f)
        except OSError as e:
            raise EmbedkitError(f"cannot write {output}: {e.strerror or e}") from None
    return n_tokens, len(offsets) - 1


def phrase_text(corpus, output, *, table=None, scoring="word2phrase", min_count=5, threshold=None, passes=None,
                delimiter="_", connector_words=None, lowercase=False, tokenize="whitespace", keep_punctuation=False,
                memory=None, tmp_dir=None, threads=None, progress=False):
    """Write ``corpus`` with its phrases joined to ``output`` (``"-"``: standard output).

    With ``table`` (a :class:`PhraseTable`) its phrases are applied without counting;
    otherwise they are found as in :func:`find_phrases` (same parameters) from the same scan.
    Lines are kept (blank ones dropped); tokens are separated by one space.

    Returns
    -------
    (PhraseTable, dict)
        The table, and figures: ``tokens_out`` and ``lines`` written.
    """
    scan = dict(lowercase=lowercase, tokenize=tokenize, keep_punctuation=keep_punctuation)
    if table is None:
        thresholds, conn = _check(scoring, min_count, threshold, passes, delimiter, connector_words, memory, threads)
        table, stream = _find(corpus, scoring=scoring, min_count=min_count, thresholds=thresholds,
                              delimiter=delimiter, conn=conn, scan=scan, memory=memory or DEFAULT_MEMORY,
                              tmp_dir=tmp_dir, threads=threads, progress=progress, keep_stream=True)
    else:
        check_threads(threads)
        stream = _phrased_stream(corpus, table, scan=scan, threads=threads, progress=progress)
    n_out, n_lines = _write_text(stream, output)
    return table, {"tokens_out": n_out, "lines": n_lines}


PHRASE_MODES = ("replace", "add")


class PhraseSpans:
    """Where the phrases of a table sit in a corpus of words (``phrase_corpus(mode="add")``).

    ``words[i]``/``counts[i]``: phrase i (count >= min_count; by count, then by string);
    ``pos``/``length``/``index``: each occurrence, in corpus order, as the position of its first
    word in the encoded corpus, its number of in-vocabulary words and its phrase; ``off``: the
    occurrences of sentence s are ``off[s]:off[s + 1]`` (one that a sentence cut divides is left out).
    """

    def __init__(self, words, counts, pos, length, index, off):
        self.words = list(words)
        self.counts = np.asarray(counts, dtype=np.int64)
        self.pos = pos
        self.length = length
        self.index = index
        self.off = off

    def __len__(self):
        return len(self.words)

    def __repr__(self):
        return f"PhraseSpans({len(self.words)} phrases, {len(self.pos)} occurrences)"


def phrase_corpus(corpus, table, *, min_count=5, max_vocab=None, lowercase=False, tokenize="whitespace",
                  keep_punctuation=False, threads=None, progress=False, mode="replace"):
    """The corpus with ``table`` applied, as the ``(Vocab, EncodedCorpus)`` pair a trainer takes.

    ``mode="replace"`` (word2phrase's): the pair equals what :func:`~embedkit.vocab.scan_corpus`
    gives for the text that :func:`phrase_text` writes: same words, counts, order, ids and sentences.

    ``mode="add"``: the pair is :func:`~embedkit.vocab.scan_corpus`'s for the corpus itself (the
    words are not joined), and ``enc.phrases`` is a :class:`PhraseSpans`: where each phrase of
    ``table`` (count >= ``min_count`` in the phrased text) occurs. word2vec then trains the words
    exactly as without phrases and each phrase a vector against the words around it; other
    trainers refuse it. The corpus is read once either way.
    """

    from .vocab import _check as check_vocab

    check_vocab(min_count, max_vocab, 1, tokenize, keep_punctuation)
    check_choice("mode", mode, PHRASE_MODES)
    stream = scan_stream(corpus, table.connector_words, threads, progress=progress, lowercase=lowercase,
                         tokenize=tokenize, keep_punctuation=keep_punctuation)
    if mode == "add":  # the words as scanned are what trains: encoded before the passes join them in place
        bad = next((w for w in stream.words if table.delimiter in w), None)
        if bad is not None:
            raise EmbedkitError(f"phrases added to the words need words without the delimiter {table.delimiter!r}: "
                                f"the corpus has {bad!r} (use another delimiter, or the replace mode)")
        plain = _encode(stream.ids, stream.offsets, stream.words, stream.unigram_counts(), min_count=min_count,
                        max_vocab=max_vocab, what="word")
        _apply_table(stream, table)
        return _add_spans(stream, plain, table.delimiter, min_count=min_count)
    _apply_table(stream, table)
    counts = np.bincount(stream.ids, minlength=stream.n_words).astype(np.int64)
    vocab, enc, _ = _encode(stream.ids, stream.offsets, stream.words, counts, min_count=min_count,
                            max_vocab=max_vocab, what="phrased token")
    return vocab, enc


def _encode(ids, offsets, words, counts, *, min_count, max_vocab, what):
    """The ``(Vocab, EncodedCorpus)`` of an id stream (``ids`` over ``words``, lines at ``offsets``,
    ``counts`` per word), as :func:`~embedkit.vocab.scan_corpus` makes it from the same tokens:
    the vocabulary rule, lines cut every ``MAX_SENTENCE_LENGTH`` tokens, out-of-vocabulary tokens
    dropped, ids in a memory-mapped file (``ids`` is read, not changed: it is remapped a block of
    lines at a time). Also returns the remap (stream id -> vocabulary id, -1 for a word left out)."""
    from .vocab import MAX_SENTENCE_LENGTH, EncodedCorpus, Vocab, _remap_ids, order_words

    order = order_words(words, counts, min_count=min_count, max_vocab=max_vocab)
    if len(order) == 0:
        from .errors import EmptyVocabularyError

        raise EmptyVocabularyError(what, min_count)
    remap = np.full(max(len(words), 1), -1, np.int32)
    remap[order] = np.arange(len(order), dtype=np.int32)
    lengths = np.diff(offsets)
    pieces = -(-lengths // MAX_SENTENCE_LENGTH)  # lines cut as the scan cuts them
    first = np.repeat(offsets[:-1], pieces)
    k = np.arange(len(first)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    ends = np.minimum(first + (k + 1) * MAX_SENTENCE_LENGTH, np.repeat(offsets[1:], pieces)).astype(np.int64)
    vocab = Vocab([words[i] for i in order.tolist()], counts[order])
    folder = _faults.make_temp_dir("corpus")  # swept by a later run if this one is killed
    path = os.path.join(folder, "ids.int32")
    # blocks of whole lines, about 1M tokens (a cut line is at most MAX_SENTENCE_LENGTH tokens)
    cuts = np.unique(np.concatenate([[0], np.searchsorted(ends, np.arange(1 << 20, len(ids), 1 << 20)), [len(ends)]]))
    n, new_ends = 0, []
    try:
        with open(path, "wb") as f:
            for e0, e1 in zip(cuts[:-1], cuts[1:]):
                lo = int(ends[e0 - 1]) if e0 else 0
                block = np.array(ids[lo:ends[e1 - 1]], np.int32)
                m, block_ends = _remap_ids(block, ends[e0:e1] - lo, 0, 0, remap)
                block[:m].tofile(f)
                new_ends.append(block_ends + n)
                n += m
    except OSError as e:
        shutil.rmtree(folder, ignore_errors=True)
        raise EmbedkitError(f"cannot write encoded corpus in {folder}: {e.strerror or e}") from None
    mm = np.memmap(path, dtype=np.int32, mode="r", shape=(n,)) if n else np.zeros(0, np.int32)
    offsets = np.concatenate([[0], *new_ends]).astype(np.int64)
    return vocab, EncodedCorpus(mm, offsets, vocab.counts, folder=folder, cleanup=True), remap


def _add_spans(stream, plain, delim, *, min_count):
    """``phrase_corpus(mode="add")``: ``plain`` (``_encode``'s result for the stream before the table
    was applied, whose words hold no ``delim``), with the phrases of ``stream`` (now phrased)
    located in its encoded corpus."""
    from .vocab import order_words

    n0 = len(stream.word_off) - 1  # the words of the scan; ids from n0 on are phrases
    vocab, enc, remap = plain
    # each stream id: how many in-vocabulary words it stands for
    inv = np.zeros(stream.n_words, np.int64)
    inv[:n0] = remap[:n0] >= 0
    index = stream.index
    for pid in range(n0, stream.n_words):
        inv[pid] = sum(inv[index[w]] for w in stream.words[pid].split(delim))
    counts = np.bincount(stream.ids, minlength=stream.n_words)[n0:].astype(np.int64)
    order = order_words(stream.words[n0:], counts, min_count=min_count)
    row = np.full(stream.n_words, -1, np.int32)
    row[n0 + order] = np.arange(len(order), dtype=np.int32)
    n_occ = int(counts[order].sum())
    pos, length, which = np.empty(n_occ, np.int64), np.empty(n_occ, np.int32), np.empty(n_occ, np.int32)
    total, n_occ = _locate_spans(stream.ids, inv, row, pos, length, which)
    if total != enc.n_tokens:
        raise EmbedkitError(f"internal error: the phrased stream holds {total} in-vocabulary words, the corpus "
                            f"{enc.n_tokens}")
    pos, length, which = pos[:n_occ], length[:n_occ], which[:n_occ]
    offsets = np.asarray(enc.offsets, dtype=np.int64)
    sent = np.searchsorted(offsets, pos, side="right") - 1
    whole = pos + length <= offsets[np.minimum(sent + 1, len(offsets) - 1)]
    pos, length, which, sent = pos[whole], length[whole], which[whole], sent[whole]
    off = np.zeros(len(offsets), np.int64)
    np.cumsum(np.bincount(sent, minlength=len(offsets) - 1), out=off[1:])
    enc.phrases = PhraseSpans([stream.words[n0 + i] for i in order.tolist()], counts[order], pos, length, which, off)
    return vocab, enc


@numba.njit(cache=True)
def _locate_spans(ids, inv, row, pos, length, which):
    """For each token of the phrased stream ``ids`` that is a kept phrase (``row[id] >= 0``): its
    position among the in-vocabulary words (``inv[id]`` of them per token), its number of them
    and its phrase. Returns (in-vocabulary words, occurrences with at least one)."""
    p = 0
    n = 0
    for t in range(len(ids)):
        i = ids[t]
        r = row[i]
        if r >= 0 and inv[i] > 0:
            pos[n] = p
            length[n] = inv[i]
            which[n] = r
            n += 1
        p += inv[i]
    return p, n
