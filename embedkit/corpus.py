"""Streaming text reader: plain, .gz, .bz2, .xz, a folder, or stdin, in bounded memory.

Bytes are read in fixed-size chunks, never a whole line, so a 100 MB file without a newline
(text8's shape) streams like any other. Newlines end sentences; a sentence longer than
``max_sentence_length`` tokens is cut into pieces. ``tokenize_piece`` is the one tokenizer:
with ``tokenize="whitespace"`` (the default) tokens are what ASCII whitespace (space, tab,
newline, carriage return, vertical tab, form feed) separates; ``"words"`` splits punctuation
off words in any script; ``"text8"`` is the classic text8 cleaning.
"""

from __future__ import annotations

import bz2
import codecs
import functools
import gzip
import io
import lzma
import os
import re
import sys
import threading
import unicodedata
import warnings
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numba
import numpy as np

from ._tokens import _HIGHS, _LITTLE_ENDIAN, _ONES, _is_space, _load_u64, _store_u64
from ._util import COMPRESSION_SNIFF_BYTES, check_bool, progress_bar, sniff_compression
from .errors import EmbedkitError

CHUNK_BYTES = 1 << 20
MAX_SENTENCE_LENGTH = 10_000
#: the first bytes of each file that are checked for being text (no NUL, mostly valid UTF-8)
SNIFF_BYTES = 1 << 20
MAX_BAD_SHARE = 0.25

_OPENERS = {"gzip": lambda raw: gzip.GzipFile(fileobj=raw, mode="rb"), "bz2": bz2.BZ2File, "xz": lzma.LZMAFile}
_DECODE_ERRORS = (OSError, EOFError, lzma.LZMAError, zlib.error, ValueError)

_bad_bytes = [0]
_bad_lock = threading.Lock()  # the tokenizer may run in several threads (iter_pieces' ``threads``)


def _count_bad(err):
    with _bad_lock:
        _bad_bytes[0] += err.end - err.start
    return "\ufffd", err.end


codecs.register_error("embedkit-count", _count_bad)


def corpus_files(path):
    """The files a corpus path names: ``[path]``, or every file below a folder (sorted, recursive).

    ``"-"`` stands for standard input. A list (or tuple) of such paths names their files in
    the order given. Raises EmbedkitError for a missing or unreadable path or an empty list.
    """
    if isinstance(path, (list, tuple)):
        if not path:
            raise EmbedkitError("the list of corpus paths is empty")
        return [f for p in path for f in corpus_files(p)]
    if str(path) == "-":
        return ["-"]
    p = Path(path)
    if p.is_dir():
        files = sorted(str(f) for f in p.rglob("*") if f.is_file() and not f.name.startswith("."))
        if not files:
            raise EmbedkitError(f"corpus folder {path} has no files")
        return files
    if not p.exists():
        raise EmbedkitError(f"corpus not found: {path}")
    if not os.access(p, os.R_OK):
        raise EmbedkitError(f"cannot read corpus {path}: permission denied")
    return [str(p)]


def corpus_name(path):
    """``path`` as text for messages; a list of paths joined with ", "."""
    if isinstance(path, (list, tuple)):
        return ", ".join(str(p) for p in path)
    return str(path)


class _Prefixed(io.RawIOBase):
    """A stream that cannot seek (a pipe, stdin), with the bytes already read for sniffing put back."""

    def __init__(self, head, raw):
        self._head = head
        self._raw = raw

    def readable(self):
        return True

    def readinto(self, b):
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        return self._raw.readinto(b)


def _open_stream(name):
    """(decompressed binary stream, seekable raw file for progress or None, file to close or None).

    Compression is detected from magic bytes. Standard input, a FIFO and a process substitution
    (``<(zcat a.gz)``, a pipe under /dev/fd) cannot seek: the sniffed bytes are put back in front.
    """
    if name == "-":
        raw, owned = sys.stdin.buffer, None
    else:
        try:
            raw = owned = open(name, "rb")
        except OSError as e:
            raise EmbedkitError(f"cannot read corpus {name}: {e.strerror or e}") from None
    try:
        head = raw.read(COMPRESSION_SNIFF_BYTES)
        seekable = owned is not None and raw.seekable()
        if seekable:
            raw.seek(0)
    except OSError as e:
        if owned is not None:
            owned.close()
        raise EmbedkitError(f"cannot read corpus {name}: {e.strerror or e}") from None
    stream = raw if seekable else io.BufferedReader(_Prefixed(head, raw), CHUNK_BYTES)
    compression = sniff_compression(head)
    if compression is not None:
        stream = _OPENERS[compression](stream)
    return stream, (raw if seekable else None), owned


class _Sniffer:
    """Stops a corpus that is not text: NUL bytes anywhere, or mostly invalid UTF-8 in its first megabyte."""

    def __init__(self, name):
        self.name = "standard input" if name == "-" else name
        self.head = bytearray()

    def feed(self, data):
        if b"\x00" in data:  # anywhere: a token holding NUL could not be written to a fastText .bin
            raise EmbedkitError(f"corpus {self.name} is not text: it has NUL bytes (a binary file, or UTF-16?); "
                                "give UTF-8 text")
        if self.head is None:
            return
        part = data[:SNIFF_BYTES - len(self.head)]
        self.head += part
        if len(self.head) >= SNIFF_BYTES:
            self.finish()

    def finish(self):
        if self.head is None:
            return
        head, self.head = bytes(self.head), None
        bad = len(head) - len(head.decode("utf-8", "ignore").encode("utf-8"))
        if head and bad > MAX_BAD_SHARE * len(head):
            raise EmbedkitError(f"corpus {self.name} is not text: {bad / len(head):.0%} of its first "
                                f"{len(head):,} bytes are not valid UTF-8 (a binary file, or another "
                                "encoding?); give UTF-8 text")


_WHITESPACE = (b" ", b"\n", b"\t", b"\r", b"\x0b", b"\x0c")


def _clean(body, lowercase):
    """Valid UTF-8 bytes: invalid sequences replaced by U+FFFD (and counted); lower-cased if asked."""
    if lowercase:
        if body.isascii():
            return body.lower()
        lowered = _lower_fast(body)
        if lowered is not None:
            return lowered
        return body.decode("utf-8", "embedkit-count").lower().encode("utf-8")
    if body.isascii():  # valid as it is, and checked far faster than by decoding
        return body
    try:
        body.decode("utf-8")
        return body
    except UnicodeDecodeError:
        return body.decode("utf-8", "embedkit-count").encode("utf-8")


# ---------------------------------------------------------------- lower case without the GIL
#: the two code points whose lower case ``str.lower`` does not take from a one-to-one table: U+0130
#: (two code points) and U+03A3 (Python's Final_Sigma rule looks at the letters around it)
_LOWER_BY_CONTEXT = (0x130, 0x3A3)
#: tokens handed back to ``str.lower`` per call of :func:`_lower_utf8` (more: Python lowers the piece)
_MAX_PYTHON_TOKENS = 4096


@functools.lru_cache(maxsize=1)
def _lower_table():
    """int32 per code point: its lower case (``str.lower``) as one code point, or -1 where that is
    not one code point on its own. Planes 4-16 have no case."""
    table = np.arange(0x110000, dtype=np.int32)
    for c in range(_TABLE_END):
        low = chr(c).lower()
        if len(low) != 1:
            table[c] = -1
        elif ord(low) != c:
            table[c] = ord(low)
    table[list(_LOWER_BY_CONTEXT)] = -1
    return table


@numba.njit(cache=True, nogil=True)
def _lower_utf8(buf, table, out, python):
    """UTF-8 bytes lower-cased code point by code point (``table``, :func:`_lower_table`) into
    ``out`` (at least ``2 * len(buf)`` bytes), in a Numba kernel that lets other threads run.

    A token (ASCII whitespace around it) holding a code point that the table leaves to Python is
    not written: its (start, end) in ``buf`` and the position in ``out`` where it belongs go to a
    row of ``python`` (``str.lower`` of the token alone is its lower case in the text: ASCII
    whitespace is neither cased nor case-ignorable, so Final_Sigma's context never crosses it).
    Returns (bytes written, rows of ``python`` used), or (-1, 0) at the first byte that is not
    valid UTF-8 as Python's decoder sees it (no overlong forms, surrogates, nothing past U+10FFFF),
    or when ``python`` is full: the caller then lowers the text with Python."""
    n = len(buf)
    i = 0
    o = 0
    k = 0
    while i < n:
        if _LITTLE_ENDIAN and i + 8 <= n:  # 8 ASCII bytes at once: A-Z get 0x20
            x = _load_u64(buf, i)
            if x & _HIGHS == 0:
                upper = (x + np.uint64(0x3F) * _ONES) & ~(x + np.uint64(0x25) * _ONES) & _HIGHS  # 65 <= byte < 91
                _store_u64(out, o, x | (upper >> np.uint64(2)))
                i += 8
                o += 8
                continue
        c = np.int64(buf[i])
        if c < 0x80:
            if c >= 65 and c <= 90:
                c += 32
            out[o] = c
            o += 1
            i += 1
            continue
        if c < 0xC2 or c > 0xF4:
            return -1, 0
        w = 2 if c < 0xE0 else 3 if c < 0xF0 else 4
        if i + w > n:
            return -1, 0
        b1 = np.int64(buf[i + 1])
        lo, hi = 0x80, 0xBF  # the second byte's range (overlong forms, surrogates, past U+10FFFF excluded)
        if c == 0xE0:
            lo = 0xA0
        elif c == 0xED:
            hi = 0x9F
        elif c == 0xF0:
            lo = 0x90
        elif c == 0xF4:
            hi = 0x8F
        if b1 < lo or b1 > hi:
            return -1, 0
        if w == 2:
            cp = ((c & 0x1F) << 6) | (b1 & 0x3F)
        else:
            b2 = np.int64(buf[i + 2])
            if b2 < 0x80 or b2 > 0xBF:
                return -1, 0
            if w == 3:
                cp = ((c & 0x0F) << 12) | ((b1 & 0x3F) << 6) | (b2 & 0x3F)
            else:
                b3 = np.int64(buf[i + 3])
                if b3 < 0x80 or b3 > 0xBF:
                    return -1, 0
                cp = ((c & 0x07) << 18) | ((b1 & 0x3F) << 12) | ((b2 & 0x3F) << 6) | (b3 & 0x3F)
        m = np.int64(table[cp])
        if m < 0:  # the whole token goes to Python: back to its start (in buf and out), on to its end
            if k == len(python):
                return -1, 0
            tok_i = i
            while tok_i > 0 and not _is_space(buf[tok_i - 1]):
                tok_i -= 1
            tok_o = o  # the lower case of a code point is never ASCII whitespace: out's spaces are buf's
            while tok_o > 0 and not _is_space(out[tok_o - 1]):
                tok_o -= 1
            e = i + w
            while e < n and not _is_space(buf[e]):
                e += 1
            python[k, 0] = tok_i
            python[k, 1] = e
            python[k, 2] = tok_o
            k += 1
            o = tok_o
            i = e
            continue
        if m < 0x80:
            out[o] = m
            o += 1
        elif m < 0x800:
            out[o] = 0xC0 | (m >> 6)
            out[o + 1] = 0x80 | (m & 0x3F)
            o += 2
        elif m < 0x10000:
            out[o] = 0xE0 | (m >> 12)
            out[o + 1] = 0x80 | ((m >> 6) & 0x3F)
            out[o + 2] = 0x80 | (m & 0x3F)
            o += 3
        else:
            out[o] = 0xF0 | (m >> 18)
            out[o + 1] = 0x80 | ((m >> 12) & 0x3F)
            out[o + 2] = 0x80 | ((m >> 6) & 0x3F)
            out[o + 3] = 0x80 | (m & 0x3F)
            o += 4
        i += w
    return o, k


def _lower_fast(body):
    """``body`` lower-cased as ``body.decode().lower().encode()`` does, by :func:`_lower_utf8` (the
    scan's reader thread then lower-cases beside the tokenizer), or None when the text is not valid
    UTF-8 (Python replaces and counts the bad bytes)."""
    buf = np.frombuffer(body, np.uint8)
    out = np.empty(2 * len(buf), np.uint8)
    python = np.empty((_MAX_PYTHON_TOKENS, 3), np.int64)
    n, k = _lower_utf8(buf, _lower_table(), out, python)
    if n < 0:
        return None
    if k == 0:
        return out[:n].tobytes()
    parts, done = [], 0
    try:
        for a, b, at in python[:k].tolist():
            parts += [out[done:at].tobytes(), body[a:b].decode("utf-8").lower().encode("utf-8")]
            done = at
    except UnicodeDecodeError:  # bad bytes after the code point in its token
        return None
    parts.append(out[done:n].tobytes())
    return b"".join(parts)


# ---------------------------------------------------------------- tokenizers
#: the ``tokenize=`` modes: how a piece of text becomes tokens
TOKENIZE_MODES = ("whitespace", "words", "text8")

# character classes of the ``words`` tokenizer, one per code point
_SPACE, _NEWLINE, _OTHER, _LETTER, _DIGIT, _JOIN, _DOT, _COMMA, _PUNCT, _DROP = range(10)
#: apostrophes, hyphens (never dashes) and connectors: kept between two word characters
_JOINERS = "'\u2019-\u2010\u2011"
_TABLE_END = 0x40000  # planes 0-3; planes 4-13 are unassigned (word), 14 is looked up, 15-16 are private (word)
_PLANE14 = 0xE0000


def _char_class(ch):
    """The ``words`` class of one character (see :func:`tokenize_text`)."""
    if ch == "\n":
        return _NEWLINE
    if ch.isspace() or ch == "\u200b":
        return _SPACE
    if ch in _JOINERS:
        return _JOIN
    if ch == ".":
        return _DOT
    if ch == ",":
        return _COMMA
    cat = unicodedata.category(ch)
    if cat == "Cc":
        return _SPACE
    if cat == "Cf":
        return _DROP
    if cat == "Pc":
        return _JOIN
    if cat[0] in "PS":
        return _PUNCT
    if cat[0] == "L":
        return _LETTER
    if cat == "Nd":
        return _DIGIT
    return _OTHER  # marks, other numbers, unassigned and private-use code points: part of words


@functools.lru_cache(maxsize=1)
def _class_table():
    """The uint8 class of every code point. Planes 4-13 are unassigned and 15-16 private use: word
    characters (``_OTHER``), set without asking ``unicodedata`` one code point at a time."""
    table = np.full(0x110000, _OTHER, np.uint8)
    table[:_TABLE_END] = [_char_class(chr(c)) for c in range(_TABLE_END)]
    table[_PLANE14:_PLANE14 + 0x1000] = [_char_class(chr(c)) for c in range(_PLANE14, _PLANE14 + 0x1000)]
    return table


@numba.njit(cache=True, nogil=True, inline="always")
def _decode_at(buf, i):
    """(code point, byte length) of the valid UTF-8 sequence starting at ``buf[i]``."""
    c = np.int64(buf[i])
    if c < 0x80:
        return c, 1
    if c < 0xE0:
        return ((c & 0x1F) << 6) | (np.int64(buf[i + 1]) & 0x3F), 2
    if c < 0xF0:
        return ((c & 0x0F) << 12) | ((np.int64(buf[i + 1]) & 0x3F) << 6) | (np.int64(buf[i + 2]) & 0x3F), 3
    return (((c & 0x07) << 18) | ((np.int64(buf[i + 1]) & 0x3F) << 12) | ((np.int64(buf[i + 2]) & 0x3F) << 6)
            | (np.int64(buf[i + 3]) & 0x3F)), 4


@numba.njit(cache=True, nogil=True)
def _split_words(buf, table, keep_punct, out):
    """uint8 UTF-8 ``buf`` -> tokens in ``out`` (at least 2*len(buf)+1 bytes), one space apart,
    newlines kept. Returns the bytes written. Classes as in ``_char_class``."""
    n = len(buf)
    n_out = 0
    i = 0
    while i < n:
        cp, w = _decode_at(buf, i)
        k = table[cp]
        if k == 1:  # newline
            out[n_out] = 10
            n_out += 1
            i += w
            continue
        if k == 0 or k == 9:  # space, or a format character outside a word
            i += w
            continue
        if k == 2 or k == 3 or k == 4:  # a word: word characters, joined by joiners
            start_out = n_out
            all_single = True  # every dot-separated segment so far is one letter
            seg_len = 0
            seg_letter = True
            has_dot = False
            prev = k
            while i < n:
                cp, w = _decode_at(buf, i)
                k = table[cp]
                if k == 2 or k == 3 or k == 4:
                    for t in range(w):
                        out[n_out + t] = buf[i + t]
                    n_out += w
                    i += w
                    seg_len += 1
                    if k != 3:
                        seg_letter = False
                    prev = k
                    continue
                if k == 9:  # format characters (soft hyphen, marks of direction) vanish inside a word
                    i += w
                    continue
                if k == 5 or k == 6 or k == 7:  # a joiner: kept only with a word character after it
                    j = i + w
                    while j < n:  # skip format characters
                        cq, wq = _decode_at(buf, j)
                        if table[cq] != 9:
                            break
                        j += wq
                    nk = 0
                    if j < n:
                        cq, wq = _decode_at(buf, j)
                        nk = table[cq]
                    if k == 7:
                        ok = prev == 4 and nk == 4  # a comma only between digits: 1,000
                    else:
                        ok = nk == 2 or nk == 3 or nk == 4
                    if ok:
                        if k == 6:
                            has_dot = True
                            if seg_len != 1 or not seg_letter:
                                all_single = False
                            seg_len = 0
                            seg_letter = True
                        elif k == 5 or k == 7:
                            all_single = False
                        for t in range(w):
                            out[n_out + t] = buf[i + t]
                        n_out += w
                        i = j
                        prev = k
                        continue
                    if k == 6 and has_dot and all_single and seg_len == 1 and seg_letter:
                        out[n_out] = 46  # an abbreviation keeps its last dot: u.s.
                        n_out += 1
                        i += w
                break
            if n_out > start_out:
                out[n_out] = 32
                n_out += 1
            continue
        # punctuation or a symbol: one token per character
        if keep_punct:
            for t in range(w):
                out[n_out + t] = buf[i + t]
            out[n_out + w] = 32
            n_out += w + 1
        i += w
    return n_out


#: bytes the ``words`` tokenizer keeps as they are: in a text of only these (a cleaned corpus, text8)
#: the tokens are those the ASCII whitespace separates, and the lines the same
_PLAIN_BYTES = bytes(range(48, 58)) + bytes(range(65, 91)) + bytes(range(97, 123)) + b" \t\r\n"

_DIGIT_WORDS = [b" zero ", b" one ", b" two ", b" three ", b" four ", b" five ", b" six ", b" seven ",
                b" eight ", b" nine "]
#: text8's byte map before digits are spelled out: a-z, 0-9 and newline kept, A-Z lowered, the rest spaces
_TEXT8_BYTES = bytes(b if 97 <= b <= 122 or 48 <= b <= 57 or b == 10 else b + 32 if 65 <= b <= 90 else 32
                     for b in range(256))
_DIGITS = re.compile(rb"[0-9]")


def _text8(body):
    """text8's cleaning of bytes: lower-case a-z, digits spelled out, every other byte a space."""
    body = body.translate(_TEXT8_BYTES)
    if any(d in body for d in b"0123456789"):
        body = _DIGITS.sub(lambda m: _DIGIT_WORDS[m.group()[0] - 48], body)
    return body


def check_tokenize(tokenize, keep_punctuation=False):
    """Raise EmbedkitError unless ``tokenize`` is a known mode and ``keep_punctuation`` fits it."""
    if tokenize not in TOKENIZE_MODES:
        raise EmbedkitError(f"tokenize must be one of {', '.join(TOKENIZE_MODES)}; got {tokenize!r}")
    check_bool("keep_punctuation", keep_punctuation)
    if keep_punctuation and tokenize != "words":
        raise EmbedkitError(f"keep_punctuation applies to tokenize='words' only, not {tokenize!r}")


def tokenize_piece(piece, *, tokenize="whitespace", lowercase=False, keep_punctuation=False):
    """The tokenizer, on UTF-8 bytes: tokens come back separated by ASCII whitespace, newlines kept.

    This is the one function every command applies to text (``iter_pieces`` calls it on each
    piece; a piece must not cut a token, so cut text only at ASCII whitespace). Invalid UTF-8
    is replaced by U+FFFD.

    - ``"whitespace"``: the bytes as they are: a token is what ASCII whitespace separates.
    - ``"words"``: see :func:`tokenize_text`; tokens come back one ASCII space apart (a piece of
      only ASCII letters, digits and whitespace comes back as it is: its tokens are already those).
    - ``"text8"``: the text8 cleaning: A-Z lower-cased, every byte outside a-z a space,
      digits spelled out (``"1"`` -> ``" one "``), newlines kept.

    ``lowercase`` lower-cases the text first (Unicode-aware, ``É`` -> ``é``).

    Examples
    --------
    >>> tokenize_piece("«Feynman's QED», 3.14 u.s. électrons!\\n".encode(), tokenize="words", lowercase=True)
    b"feynman's qed 3.14 u.s. \\xc3\\xa9lectrons \\n"
    >>> tokenize_piece(b"Route 66.\\n", tokenize="text8")
    b'route  six  six  \\n'
    """
    if tokenize == "text8":
        return _text8(piece)
    piece = _clean(piece, lowercase)
    if tokenize == "whitespace" or not piece.translate(None, _PLAIN_BYTES):
        return piece
    buf = np.frombuffer(piece, np.uint8)
    out = np.empty(2 * len(buf) + 1, np.uint8)
    n = _split_words(buf, _class_table(), bool(keep_punctuation), out)
    return out[:n].tobytes()


def tokenize_text(text, *, tokenize="whitespace", lowercase=False, keep_punctuation=False):
    """The tokens of a string: :func:`tokenize_piece` on one text, as a list of str.

    ``"words"`` splits text on every Unicode space and splits punctuation and symbols
    (P* and S* characters: quotes, dashes, brackets, « », “ ”, emoji ...) off words. A word
    is a run of letters, marks and numbers of any script, joined by an apostrophe (``'``,
    ``’``), a hyphen (``-``, U+2010, U+2011), a connector (``_``) or a dot with a word
    character after it, or a comma between digits (``feynman's``, ``anti-statism``,
    ``3.14``, ``1,000``); a run of single letters with dots keeps its last dot (``u.s.``).
    Format characters (soft hyphen, direction marks, U+FEFF) vanish; controls and U+200B
    are spaces. Punctuation and symbols are dropped unless ``keep_punctuation``, then each
    is a token of its own.

    Examples
    --------
    >>> tokenize_text("“Anti-statism” (QED) in Magyarország\\u00a0— Feynman’s 3.14 U.S.",
    ...               tokenize="words", lowercase=True)
    ['anti-statism', 'qed', 'in', 'magyarország', 'feynman’s', '3.14', 'u.s.']
    >>> tokenize_text("(QED)!", tokenize="words", keep_punctuation=True)
    ['(', 'QED', ')', '!']
    """
    check_tokenize(tokenize, keep_punctuation)
    piece = tokenize_piece(text.encode("utf-8", "replace"), tokenize=tokenize, lowercase=lowercase,
                           keep_punctuation=keep_punctuation)
    return [t.decode("utf-8") for t in piece.split()]


def cut_at_whitespace(piece, n_parts):
    """Byte offsets cutting ``piece`` into at most ``n_parts`` parts of about equal length, each cut
    at an ASCII space or newline (a text8-style corpus is one line: it is cut at spaces)."""
    cuts = [0]
    for k in range(1, n_parts):
        at = len(piece) * k // n_parts
        hit = [i for i in (piece.find(w, at) for w in (b" ", b"\n")) if i >= 0]
        if hit and min(hit) > cuts[-1]:
            cuts.append(min(hit))
    cuts.append(len(piece))
    return np.array(cuts, np.int64)


#: pieces shorter than this are tokenized by one thread
_MIN_SHARED_BYTES = 1 << 16


def _tokenize_shared(piece, pool, n_parts, opts):
    """:func:`tokenize_piece` on ``n_parts`` parts of ``piece`` (cut at ASCII whitespace), one by this
    thread and the others by ``pool``'s: its kernels let other threads run. The same tokens and
    lines as on the whole piece (the context of every rule, Final_Sigma's included, ends at ASCII
    whitespace)."""
    if len(piece) < _MIN_SHARED_BYTES:
        return tokenize_piece(piece, **opts)
    cuts = cut_at_whitespace(piece, n_parts).tolist()
    spans = list(zip(cuts[:-1], cuts[1:]))
    others = [pool.submit(tokenize_piece, piece[a:b], **opts) for a, b in spans[1:]]
    first = tokenize_piece(piece[:spans[0][1]], **opts)
    return b"".join([first] + [f.result() for f in others])


def reader_threads(threads, *, tokenize="whitespace", lowercase=False):
    """(threads that tokenize the text, threads left to the work on its tokens) for a pass with
    ``threads`` threads: the ``words`` tokenizer and lower-casing take half of them (at least
    one), the plain ``whitespace`` split none beside the reader. The reader runs beside the
    consumer, so with 2 threads each side has one: on 2 cores that is the fastest split (a scan of
    raw17m with ``words`` and lower-casing, bench/RESULTS.md)."""
    if tokenize == "text8" or not (lowercase or tokenize == "words") or threads < 2:
        return 1, threads
    return threads // 2, threads - threads // 2


def iter_pieces(path, *, lowercase=False, tokenize="whitespace", keep_punctuation=False, chunk_bytes=CHUNK_BYTES,
                progress=False, threads=1):
    """Yield the corpus as UTF-8 byte pieces of about ``chunk_bytes`` that never split a token.

    Each piece is cut from the text at ASCII whitespace (the partial token at a chunk's end is
    carried into the next piece), passed through :func:`tokenize_piece` (``tokenize``,
    ``lowercase``, ``keep_punctuation``), and ends with ASCII whitespace; a file's last piece
    ends with a newline, so files never run together. Invalid UTF-8 is replaced by U+FFFD and
    reported once, as a warning. With ``threads`` > 1, the ``words`` tokenizer and lower-casing
    share each piece among that many threads (the same tokens).
    """
    check_tokenize(tokenize, keep_punctuation)
    opts = dict(tokenize=tokenize, lowercase=lowercase, keep_punctuation=keep_punctuation)
    pool = None
    if threads > 1 and tokenize != "text8" and (lowercase or tokenize == "words"):
        if tokenize == "words":  # the tables are built once, before the threads need them
            _class_table()
        if lowercase:
            _lower_table()
        pool = ThreadPoolExecutor(threads - 1, thread_name_prefix="embedkit-tokenize")
    try:
        yield from _read_pieces(path, chunk_bytes, progress, opts, pool, threads)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _read_pieces(path, chunk_bytes, progress, opts, pool, threads):
    tokenize = functools.partial(tokenize_piece, **opts) if pool is None else \
        functools.partial(_tokenize_shared, pool=pool, n_parts=threads, opts=opts)
    files = corpus_files(path)
    sizes = [os.path.getsize(f) if f != "-" else 0 for f in files]
    limit = 64 * max(chunk_bytes, 1 << 14)
    _bad_bytes[0] = 0
    with progress_bar(total=sum(sizes) or None, desc="reading", unit="B", enabled=progress) as bar:
        for name in files:
            stream, raw, owned = _open_stream(name)
            sniffer = _Sniffer(name)
            carry = b""
            last_pos = 0
            try:
                while True:
                    data = stream.read(chunk_bytes)
                    if raw is not None:
                        pos = raw.tell()
                        bar.update(pos - last_pos)
                        last_pos = pos
                    if not data:
                        break
                    sniffer.feed(data)
                    cut = max(data.rfind(w) for w in _WHITESPACE)  # the carry holds no whitespace
                    if cut < 0:  # one token so far: keep carrying, within reason
                        carry += data
                        if len(carry) > limit:
                            raise EmbedkitError(f"{name}: a single token longer than {len(carry)} bytes; "
                                                "is this a binary file?")
                        continue
                    piece = b"".join((carry, memoryview(data)[:cut + 1])) if carry else data[:cut + 1]
                    carry = data[cut + 1:]
                    yield tokenize(piece)
                sniffer.finish()
                yield tokenize(carry + b"\n")
            except _DECODE_ERRORS as e:
                raise EmbedkitError(f"cannot read corpus {name}: corrupt or unreadable data ({e})") from None
            finally:
                if stream is not sys.stdin.buffer:
                    stream.close()
                if owned is not None:
                    owned.close()
    if _bad_bytes[0]:
        warnings.warn(f"{corpus_name(path)}: {_bad_bytes[0]} bytes were not valid UTF-8 and were replaced by U+FFFD",
                      stacklevel=2)


def iter_sentences(path, *, lowercase=False, tokenize="whitespace", keep_punctuation=False,
                   max_sentence_length=MAX_SENTENCE_LENGTH, progress=False):
    """Yield each sentence of the corpus as a list of tokens (lines, cut at ``max_sentence_length``).

    Tokens are those of :func:`tokenize_piece` with ``tokenize``, ``lowercase`` and
    ``keep_punctuation``, as every command counts them.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "c.txt")
    >>> _ = open(p, "w").write("a b c\\nd e\\n")
    >>> list(iter_sentences(p))
    [['a', 'b', 'c'], ['d', 'e']]
    """
    current = []
    for piece in iter_pieces(path, lowercase=lowercase, tokenize=tokenize, keep_punctuation=keep_punctuation,
                             progress=progress):
        lines = piece.split(b"\n")
        for k, line in enumerate(lines):
            if k > 0 and current:
                yield current
                current = []
            current.extend(t.decode("utf-8") for t in line.split())
            while len(current) >= max_sentence_length:
                yield current[:max_sentence_length]
                current = current[max_sentence_length:]
    if current:
        yield current
