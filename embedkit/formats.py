"""Vector file formats: one reader and one writer per format, detection, and the suffix rule.

Formats (reading also takes a word2vec/GloVe model folder, ``embedkit.modelfile``, as its input
vectors): word2vec text (``V dim`` header, then ``word v1 ... vdim`` lines), word2vec binary
(the same header, then ``word`` + space + dim little-endian float32 per word, an optional
newline after each), GloVe text (word2vec text without the header), NumPy (``NAME.npy``
matrix plus ``NAME.vocab`` with one ``word`` or ``word count`` line per row) and, read only,
fastText's ``.bin`` model (``embedkit.fasttext_bin``). Text and binary files may be gzip, bzip2
or xz compressed: readers detect that from the magic bytes, writers from the
``.gz``/``.bz2``/``.xz`` suffix. Every write goes to a temporary file that is renamed over the
target.

Word counts: vectors that carry them are saved with them, in every format. The NumPy pair keeps
them in its ``.vocab``; a text or binary file gets ``PATH.vocab`` beside it (``word count``
lines, see ``counts_path``), and ``read`` attaches the counts of that file when it lists every
word read, so a ``convert`` or ``postprocess`` keeps them.

The registry is two dicts, so a new format plugs in without touching ``Vectors``:

- ``READERS[name](path, *, limit=None) -> Vectors`` (any ``Vectors`` subclass);
- ``WRITERS[name](vectors, path, *, compression=None) -> list of paths written``;
- ``detect_format(path) -> name`` sniffs the content (magic bytes, then the shape of the text) and
  raises ``EmbedkitError`` saying what a file that holds no vectors looks like;
- ``format_for_path(path, format=None) -> (name, compression)`` is the suffix rule for writing.
"""

from __future__ import annotations

import contextlib
import os
import warnings

import numba
import numpy as np

from . import _faults
from ._util import (COMPRESSION_SNIFF_BYTES, atomic_write, check_choice, check_int, is_stream, sniff_compression,
                    split_fields)
from .errors import EmbedkitError
from .fasttext_bin import MAGIC as _FASTTEXT_MAGIC

FORMATS = ("word2vec", "word2vec-binary", "glove", "npy")  # the formats embedkit writes
COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz"}  # suffix -> compression
# the format a suffix means when writing; text suffixes also allow "glove"
SUFFIX_FORMATS = {".bin": "word2vec-binary", ".npy": "npy", ".txt": "word2vec", ".vec": "word2vec"}
_TEXT_FORMATS = ("word2vec", "glove")

NPY_MAGIC = b"\x93NUMPY"
FASTTEXT_MAGIC = _FASTTEXT_MAGIC.to_bytes(4, "little")  # first int32 of a fastText .bin/.ftz model
_SNIFF = 1 << 16  # bytes looked at to tell what a file is


# ---------------------------------------------------------------- reading: the public entry points
def read(path, format=None, *, limit=None):
    """Read vectors from ``path`` in ``format`` (detected from the content when None).

    Parameters
    ----------
    path : str or path-like
        For the NumPy pair, ``NAME.npy`` or the ``NAME`` it was written as.
    format : str or None, default=None
        A key of ``READERS``.
    limit : int or None, default=None
        Read only the first ``limit`` words.

    Returns
    -------
    Vectors
    """
    path = os.fspath(path)
    if limit is not None:
        limit = check_int("limit", limit, min=1)
    if format is not None:
        check_choice("format", format, tuple(READERS))
    with _seekable(path) as real:
        try:  # a pipe's errors name the pipe, not the temporary copy read in its place
            if format is None:
                format = detect_format(real)
            vectors = READERS[format](real, limit=limit)
        except EmbedkitError as e:
            if real == path:
                raise
            raise EmbedkitError(str(e).replace(real, path)) from None
    if len(vectors) == 0:
        raise EmbedkitError(f"{path} holds no vectors (0 words)")
    if vectors.counts is None and format != "npy":
        vectors = _attach_counts(vectors, path)
    return vectors


def counts_path(path):
    """Where the word counts of the vectors file ``path`` are kept: ``PATH.vocab`` (for the NumPy
    pair, its own ``NAME.vocab``, which lists the words anyway).

    >>> counts_path("v.txt"), counts_path("v.npy")
    ('v.txt.vocab', 'v.vocab')
    """
    p = os.fspath(path)
    return _npy_base(p) + ".vocab" if p.lower().endswith(".npy") else p + ".vocab"


def _attach_counts(vectors, path):
    """``vectors`` with the counts of ``PATH.vocab`` when that file lists every word (else as given;
    a counts file that cannot be read is ignored with a warning)."""
    side = counts_path(path)
    if not os.path.isfile(side):
        return vectors
    from .vocab import Vocab

    try:
        vocab = Vocab.load(side)
    except EmbedkitError as e:
        warnings.warn(f"ignoring the word counts beside the vectors: {e}")
        return vectors
    table = {}
    for w, c in zip(vocab.words, vocab.counts.tolist()):
        table.setdefault(w, c)
    if not all(w in table for w in vectors.words):
        return vectors
    return vectors.with_counts([table[w] for w in vectors.words])


@contextlib.contextmanager
def _seekable(path):
    """``path``, or for a pipe (``<(zcat v.txt.gz)``, a FIFO) a temporary copy of what it holds, since
    detection and reading each open the file."""
    try:
        pipe = os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path)
    except OSError:
        pipe = False
    if not pipe:
        yield path
        return
    import shutil
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix="embedkit-vectors-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with open(path, "rb") as f:
                    shutil.copyfileobj(f, out, 1 << 22)
            except OSError as e:
                raise EmbedkitError(f"cannot read vectors {path}: {e.strerror or e}") from None
        yield tmp
    finally:
        os.unlink(tmp)


def detect_format(path):
    """The format of the vectors file at ``path``, from its content.

    NumPy and fastText files are told by their magic bytes; a file whose first line is
    ``count dim`` is word2vec text or binary (told apart by its first record); other text whose
    lines end in numbers is GloVe text. Compressed files are looked at decompressed. A file that
    holds no vectors (a vocabulary, a Python pickle, a text corpus, other binary data) raises
    ``EmbedkitError`` with one line saying what it looks like and what to do. (A pipe is consumed
    by the look; ``read`` copies a pipe to a temporary file first.)

    Returns
    -------
    str
        A key of ``READERS``.
    """
    path = os.fspath(path)
    if not os.path.exists(path) and os.path.isfile(path + ".npy"):
        return "npy"  # the NAME a NumPy pair was written as
    if os.path.isdir(path) and os.path.isfile(os.path.join(path, "model.json")):
        return "embedkit-model"  # a word2vec/GloVe model folder (embedkit.modelfile)
    with _open(path) as f:
        head = _read(f, path, _SNIFF)
        if not head.strip() and _rest_blank(f, path):
            raise EmbedkitError(f"{path}: empty vector file")
    if head.startswith(NPY_MAGIC):
        return "npy"
    if head.startswith(FASTTEXT_MAGIC):
        return "fasttext"
    if len(head) > 1 and head[0] == 0x80 and 2 <= head[1] <= 5:
        raise EmbedkitError(f"{path} is a Python pickle (a gensim model saved with .save()?), not a vectors "
                            f"file: in gensim, save_word2vec_format(...) the vectors and use that file")
    nl = head.find(b"\n")
    first = head[:nl if nl >= 0 else 200].split()
    if len(first) == 2 and first[0].isdigit() and first[1].isdigit():
        dim = int(first[1])
        if _looks_like_text(head[nl + 1:], dim):
            return "word2vec"
        if dim != 1 and _looks_like_vocab(head[nl + 1:]):
            raise EmbedkitError(_VOCAB_MESSAGE.format(path=path))
        return "word2vec-binary"
    if b"\0" in head or _share_undecodable(head) > 0.05:
        raise EmbedkitError(f"{path} holds binary data that is not a vectors file (word2vec text or binary, "
                            f"GloVe text, NumPy .npy); check the file name")
    if path.endswith(".vocab") and os.path.isfile(path[:-6] + ".npy"):
        raise EmbedkitError(f"{path} is the word list of the NumPy pair {path[:-6]}.npy; load {path[:-6]}.npy")
    if _looks_like_vocab(head):
        raise EmbedkitError(_VOCAB_MESSAGE.format(path=path))
    if all(len(ln.split()) == 1 for ln in _complete_lines(head)):
        raise EmbedkitError(f"{path} looks like a word list (one word a line), not vectors")
    if _share_numeric(head) < 0.5:
        raise EmbedkitError(f"{path} looks like a text corpus, not vectors: train vectors from it first "
                            f"(embedkit train ppmi-svd {path} -o vectors.txt)")
    return "glove"


_VOCAB_MESSAGE = ("{path} looks like a vocabulary ('word count' lines), not vectors: train vectors "
                  "(embedkit train ppmi-svd CORPUS -o vectors.txt) and use that file")


def _complete_lines(head, n=50):
    lines = head.split(b"\n")
    if len(lines) > 1:
        lines = lines[:-1]  # the last may be cut
    return [ln for ln in lines[:n] if ln.strip()]


def _looks_like_vocab(head):
    """Every line is ``word count`` with an integer count."""
    lines = _complete_lines(head)
    return bool(lines) and all(len(p) == 2 and p[1].isdigit() for p in (ln.split() for ln in lines))


def _share_numeric(head):
    tokens = [t for ln in _complete_lines(head, 20) for t in ln.split()]
    numeric = 0
    for t in tokens:
        try:
            float(t)
            numeric += 1
        except ValueError:
            pass
    return numeric / max(len(tokens), 1)


def _share_undecodable(head):
    text = head[:-4].decode("utf-8", "replace")  # the last bytes may cut a character
    return text.count("\ufffd") / max(len(text), 1)


# ---------------------------------------------------------------- writing: the public entry points
def format_for_path(path, format=None):
    """``(format, compression)`` for writing ``path``: the suffix decides when ``format`` is None.

    ``.bin`` is word2vec binary, ``.npy`` the NumPy pair, ``.txt``/``.vec`` word2vec text (or
    GloVe text when asked), and a final ``.gz``/``.bz2``/``.xz`` compresses the file. Other
    suffixes take any format (word2vec text by default). A suffix that contradicts ``format``
    raises ``EmbedkitError``.
    """
    path = os.fspath(path)
    stem, ext = os.path.splitext(path)
    compression = COMPRESSIONS.get(ext.lower())
    if compression is not None:
        path = stem
    suffix = os.path.splitext(path)[1].lower()
    implied = SUFFIX_FORMATS.get(suffix)
    if format is None:
        format = implied or "word2vec"
    else:
        check_choice("format", format, tuple(WRITERS))
        allowed = _TEXT_FORMATS if implied == "word2vec" else (implied,)
        if implied is not None and format not in allowed:
            means = {"word2vec-binary": "word2vec-binary", "npy": "npy"}.get(implied, "word2vec or glove text")
            raise EmbedkitError(f"{path}{ext if compression else ''}: the suffix {suffix} means {means}, "
                                f"not {format}; change the suffix or the format")
    if compression is not None and format == "npy":
        raise EmbedkitError(f"{path}{ext}: the npy format cannot be compressed; drop {ext}")
    return format, compression


#: where a vectors output named "-" goes
STDOUT = "/dev/stdout"


def output_paths(path, format=None, *, counts=False):
    """Every file that ``write(vectors, path, format)`` will write (checks the suffix rule);
    ``counts``: the vectors carry counts (a text or binary file then gets ``PATH.vocab`` too)."""
    path = STDOUT if os.fspath(path) == "-" else os.fspath(path)
    format, _ = format_for_path(path, format)
    if format == "npy":
        if is_stream(path):
            raise EmbedkitError(f"cannot write {path}: the NumPy format is a pair of files (.npy and .vocab), "
                                "not a stream; choose another --format")
        base = _npy_base(path)
        return [base + ".npy", base + ".vocab"]
    return [path, counts_path(path)] if counts and not is_stream(path) else [path]


def write(vectors, path, format=None):
    """Write ``vectors`` to ``path`` atomically (format from the suffix when None), and their
    word counts, when they carry them, to ``counts_path(path)``.

    Returns
    -------
    list of str
        The files written: ``[path]`` (plus ``PATH.vocab`` with counts), or the ``.npy`` and
        ``.vocab`` of the NumPy pair.
    """
    path = STDOUT if os.fspath(path) == "-" else os.fspath(path)
    format, compression = format_for_path(path, format)
    output_paths(path, format)  # the NumPy pair cannot go to a stream
    with _faults.expect_bytes(_size_estimate(vectors, format, compression)):
        paths = WRITERS[format](vectors, path, compression=compression)
    if vectors.counts is not None and format != "npy" and not is_stream(path):  # no file beside a pipe
        paths.append(write_counts(vectors, counts_path(path)))
    return paths


def _size_estimate(vectors, format, compression):
    """About how many bytes ``write`` will put on disk (for the figure of a full-disk error)."""
    n, dim = len(vectors), vectors.dim
    words = sum(len(w) for w in vectors.words[:1000]) / max(1, min(n, 1000)) * n + n
    per_value = 4 if format in ("word2vec-binary", "npy") else 12  # text: ~12 characters per %.9g value
    size = int(words + n * dim * per_value + 128)
    return size // 3 if compression else size


def write_counts(vectors, path):
    """``word count`` lines (bare ``word`` lines without counts) for every row, atomically."""
    from .vocab import write_word_lines

    with _faults.expect_bytes(sum(len(w) + 12 for w in vectors.words)), \
            atomic_write(path, "w", encoding="utf-8") as f:
        write_word_lines(f, vectors.words, vectors.counts)
    return path


@contextlib.contextmanager
def _compressed_write(path, compression):
    """A binary file object writing ``path`` atomically, compressed when asked."""
    with atomic_write(path, "wb") as raw:
        if compression is None:
            yield raw
            return
        if compression == "gzip":
            import gzip

            f = gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0)
        elif compression == "bz2":
            import bz2

            f = bz2.BZ2File(raw, "wb")
        else:
            import lzma

            f = lzma.LZMAFile(raw, "wb")
        with f:
            yield f


def _write_text(vectors, path, *, compression=None, header=True):
    """word2vec text (``header``) or GloVe text; each float with 9 significant digits, so float32
    values read back exactly."""
    with _compressed_write(path, compression) as f:
        if header:
            f.write(f"{len(vectors)} {vectors.dim}\n".encode())
        row_fmt = " ".join(["%.9g"] * vectors.dim)
        words, matrix = vectors.words, vectors.matrix
        step = 512  # rows formatted at a time: a block's floats and lines are a few MB, never the file
        for start in range(0, len(words), step):
            block = matrix[start:start + step].astype(np.float64).tolist()
            lines = [w + " " + row_fmt % tuple(r) for w, r in zip(words[start:start + step], block)]
            f.write(("\n".join(lines) + "\n").encode("utf-8"))
    return [path]


def _write_binary(vectors, path, *, compression=None):
    with _compressed_write(path, compression) as f:
        f.write(f"{len(vectors)} {vectors.dim}\n".encode())
        le = vectors.matrix.astype("<f4", copy=False)
        for i, w in enumerate(vectors.words):
            f.write(w.encode("utf-8") + b" " + le[i].tobytes() + b"\n")
    return [path]


def _npy_base(path):
    return path[:-4] if path.lower().endswith(".npy") else path


def _write_npy(vectors, path, *, compression=None):
    if compression is not None:
        raise EmbedkitError(f"{path}: the npy format cannot be compressed")
    base = _npy_base(path)
    write_counts(vectors, base + ".vocab")
    with atomic_write(base + ".npy", "wb") as f:
        np.save(f, vectors.matrix)
    return [base + ".npy", base + ".vocab"]


def _read_word2vec(path, *, limit=None):
    return _read_text_file(path, "word2vec", limit)


def _read_word2vec_binary(path, *, limit=None):
    return _read_text_file(path, "word2vec-binary", limit)


def _read_glove(path, *, limit=None):
    return _read_text_file(path, "glove", limit)


def _read_text_file(path, format, limit):
    """word2vec text/binary or GloVe text from ``path`` (possibly compressed)."""
    with _open(path) as f:
        head = _read(f, path, 1 << 20)
        if not head.strip() and _rest_blank(f, path):
            raise EmbedkitError(f"{path}: empty vector file")
        nl = head.find(b"\n")
        first = head[:nl if nl >= 0 else 200]
        header = first.split()
        has_header = len(header) == 2 and header[0].isdigit() and header[1].isdigit()
        if format != "glove":
            if not has_header:
                raise EmbedkitError(f"{path}, line 1: expected a 'count dim' header, got {first[:60]!r}")
            n_words, dim = int(header[0]), int(header[1])
            if dim < 1:
                raise EmbedkitError(f"{path}, line 1: dimension must be >= 1, got {dim}")
            rest = head[nl + 1:] if nl >= 0 else b""
            if format == "word2vec-binary":
                return _parse_binary(path, f, rest, n_words, dim, limit)
            return _parse_text(path, f, rest, n_words, dim, 2, limit)
        return _parse_text(path, f, head, None, None, 1, limit)


# ---------------------------------------------------------------- reading: the parsers
_BLOCK = 1 << 26  # bytes read at a time: memory stays at the matrix plus one block


def compression_of(path):
    """``"gzip"``, ``"bz2"``, ``"xz"`` or None, from the first bytes of the file at ``path``."""
    with open(path, "rb") as f:
        return sniff_compression(f.read(COMPRESSION_SNIFF_BYTES))


def _open(path):
    """A binary file object over the (decompressed) content of ``path``."""
    try:
        if os.path.isdir(path):
            raise EmbedkitError(f"cannot read vectors {path}: is a folder")
        compression = compression_of(path)
        if compression == "gzip":
            import gzip

            return gzip.open(path, "rb")
        if compression == "bz2":
            import bz2

            return bz2.open(path, "rb")
        if compression == "xz":
            import lzma

            return lzma.open(path, "rb")
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
    """Decode every word at once; per word only when some are not UTF-8, with one warning for all
    of them (how many, and where the first is)."""
    size = int((word_end - word_start).sum()) + len(word_start)
    buf = np.empty(max(size, 1), np.uint8)
    used = _gather_words(data, word_start, word_end, buf)
    raw = buf[:used].tobytes()
    try:
        words = raw.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        words, bad = [], []
        for k, w in enumerate(raw.split(b"\n")):
            try:
                words.append(w.decode("utf-8"))
            except UnicodeDecodeError:
                bad.append(k)
                words.append(w.decode("utf-8", "replace"))
        many = f"{len(bad)} words are" if len(bad) > 1 else "a word is"
        warnings.warn(f"{path}: {many} not valid UTF-8 (the first at {where(bad[0])}); replaced undecodable bytes",
                      stacklevel=4)
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
                with np.errstate(over="ignore"):  # beyond float32's range: inf, which _build reports
                    out[r] = np.array([float(t) for t in block[word_end[r]:line_end[r]].split()]).astype(np.float32)
            except ValueError:
                got = block[word_start[r]:line_end[r]][:60].decode("utf-8", "replace")
                raise EmbedkitError(f"{path}, line {k + r + line0}: expected a word and {dim} numbers, "
                                    f"got {got!r}") from None
        words += _decode_words(path, data, word_start[:nk], word_end[:nk], lambda r, k=k: f"line {k + r + line0}")
        if matrix is None:
            blocks.append(out[:nk])
        k += nk
        if bad >= 0:
            if block[pos:].strip() or pending.strip() or not _rest_blank(f, path):
                ends = b"\n" in block[pos:]
                line = block[pos:block.find(b"\n", pos) if ends else len(block)]
                got = line[:60].decode("utf-8", "replace")
                if eof and not ends and not pending.strip():  # the file stops inside its last line
                    raise EmbedkitError(f"{path}, line {k + line0}: the file ends inside this line (truncated?): "
                                        f"{got!r}")
                raise EmbedkitError(f"{path}, line {k + line0}: expected a word and {dim} numbers, got "
                                    f"{max(len(line.split()) - 1, 0)}: {got!r}")
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
        raise EmbedkitError(f"{path}: the vector of {words[row]!r} (row {row + 1}) holds NaN or infinity "
                            "(or a number beyond float32's range, 3.4e38)")
    from .vectors import Vectors

    try:
        return Vectors(words, matrix, counts)
    except EmbedkitError as e:
        raise EmbedkitError(f"{path}: {e}") from None


def _read_npy(path, *, limit=None):
    """``NAME.npy`` (or ``NAME``, the name it was written as) and ``NAME.vocab`` beside it."""
    base = _npy_base(path)
    matrix_path = path if os.path.isfile(path) else base + ".npy"
    try:
        matrix = np.load(matrix_path, allow_pickle=False, mmap_mode="r")
    except (OSError, ValueError) as e:
        why = getattr(e, "strerror", None) or e
        if "mmap length is greater than file size" in str(e):
            why = "the file is shorter than its header says (truncated?)"
        raise EmbedkitError(f"cannot read vectors {matrix_path}: {why}") from None
    words, counts = [], []
    try:
        with open(base + ".vocab", encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if limit is not None and n > limit:
                    break
                parts = split_fields(line)
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
        raise EmbedkitError(f"{matrix_path} holds shape {matrix.shape} but {base}.vocab lists {len(words)} words")
    if not np.issubdtype(matrix.dtype, np.number):
        raise EmbedkitError(f"{matrix_path} holds {matrix.dtype} values, not numbers")
    return _build(matrix_path, words, matrix[: len(words)], counts if len(counts) == len(words) else None)



def _read_fasttext(path, *, limit=None):
    from .fasttext_bin import read_fasttext_bin

    return read_fasttext_bin(path, limit=limit)


def _read_model(path, *, limit=None):
    """The word vectors (input layer, with counts) of a word2vec/GloVe model folder."""
    from .modelfile import load_model

    v = load_model(path).vectors()
    if limit is not None and limit < len(v):
        from .vectors import Vectors

        v = Vectors(v.words[:limit], v.matrix[:limit], v.counts[:limit])
    return v


READERS = {"word2vec": _read_word2vec, "word2vec-binary": _read_word2vec_binary, "glove": _read_glove,
           "npy": _read_npy, "fasttext": _read_fasttext, "embedkit-model": _read_model}
WRITERS = {"word2vec": _write_text, "word2vec-binary": _write_binary,
           "glove": lambda vectors, path, *, compression=None: _write_text(vectors, path, compression=compression,
                                                                          header=False),
           "npy": _write_npy}
