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
import unicodedata
import warnings
import zlib
from pathlib import Path

import numba
import numpy as np

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


def _count_bad(err):
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
        return body.decode("utf-8", "embedkit-count").lower().encode("utf-8")
    try:
        body.decode("utf-8")
        return body
    except UnicodeDecodeError:
        return body.decode("utf-8", "embedkit-count").encode("utf-8")


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


@numba.njit(cache=True, inline="always")
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


@numba.njit(cache=True)
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


def iter_pieces(path, *, lowercase=False, tokenize="whitespace", keep_punctuation=False, chunk_bytes=CHUNK_BYTES,
                progress=False):
    """Yield the corpus as UTF-8 byte pieces of about ``chunk_bytes`` that never split a token.

    Each piece is cut from the text at ASCII whitespace (the partial token at a chunk's end is
    carried into the next piece), passed through :func:`tokenize_piece` (``tokenize``,
    ``lowercase``, ``keep_punctuation``), and ends with ASCII whitespace; a file's last piece
    ends with a newline, so files never run together. Invalid UTF-8 is replaced by U+FFFD and
    reported once, as a warning.
    """
    check_tokenize(tokenize, keep_punctuation)
    opts = dict(tokenize=tokenize, lowercase=lowercase, keep_punctuation=keep_punctuation)
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
                    buf = carry + data if carry else data
                    cut = max(buf.rfind(w) for w in _WHITESPACE)
                    if cut < 0:  # one token so far: keep carrying, within reason
                        if len(buf) > limit:
                            raise EmbedkitError(f"{name}: a single token longer than {len(buf)} bytes; "
                                                "is this a binary file?")
                        carry = buf
                        continue
                    carry = buf[cut + 1:]
                    yield tokenize_piece(buf[:cut + 1], **opts)
                sniffer.finish()
                yield tokenize_piece(carry + b"\n", **opts)
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
