"""Streaming text reader: plain, .gz, .bz2, .xz, a folder, or stdin, in bounded memory.

Bytes are read in fixed-size chunks, never a whole line, so a 100 MB file without a newline
(text8's shape) streams like any other. Newlines end sentences; a sentence longer than
``max_sentence_length`` tokens is cut into pieces. Tokens are separated by ASCII whitespace
(space, tab, newline, carriage return, vertical tab, form feed).
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import os
import sys
import warnings
import zlib
from pathlib import Path

from ._util import COMPRESSION_SNIFF_BYTES, progress_bar, sniff_compression
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
    """Stops a corpus that is not text: NUL bytes, or mostly invalid UTF-8, in its first megabyte."""

    def __init__(self, name):
        self.name = "standard input" if name == "-" else name
        self.head = bytearray()

    def feed(self, data):
        if self.head is None:
            return
        part = data[:SNIFF_BYTES - len(self.head)]
        if b"\x00" in part:
            raise EmbedkitError(f"corpus {self.name} is not text: it has NUL bytes (a binary file, or UTF-16?); "
                                "give UTF-8 text")
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
        return body.decode("utf-8", "embedkit-count").lower().encode("utf-8")
    try:
        body.decode("utf-8")
        return body
    except UnicodeDecodeError:
        return body.decode("utf-8", "embedkit-count").encode("utf-8")


def iter_pieces(path, *, lowercase=False, chunk_bytes=CHUNK_BYTES, progress=False):
    """Yield the corpus as UTF-8 byte pieces of about ``chunk_bytes`` that never split a token.

    Each piece ends with an ASCII whitespace byte (the partial token at a chunk's end is
    carried into the next piece) and a file's last piece ends with a newline, so files never
    run together. Invalid UTF-8 is replaced by U+FFFD and reported once, as a warning.
    """
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
                    yield _clean(buf[:cut + 1], lowercase)
                sniffer.finish()
                yield _clean(carry, lowercase) + b"\n"
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


def iter_sentences(path, *, lowercase=False, max_sentence_length=MAX_SENTENCE_LENGTH, progress=False):
    """Yield each sentence of the corpus as a list of tokens (lines, cut at ``max_sentence_length``).

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "c.txt")
    >>> _ = open(p, "w").write("a b c\\nd e\\n")
    >>> list(iter_sentences(p))
    [['a', 'b', 'c'], ['d', 'e']]
    """
    current = []
    for piece in iter_pieces(path, lowercase=lowercase, progress=progress):
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
