"""fastText's binary model file (``.bin``, format version 12): read and write.

Layout (little-endian): int32 magic 793712314 and version 12; the arguments (int32 dim, ws,
epoch, minCount, neg, wordNgrams, loss, model, bucket, minn, maxn, lrUpdateRate, then a
float64 t); the dictionary (int32 size, nwords, nlabels, int64 ntokens, int64 pruneidx_size,
then per entry the word's UTF-8 bytes and a 0 byte, int64 count, int8 type, then
pruneidx_size pairs of int32); a bool byte "quantized", the input matrix (int64 rows, int64
cols, rows x cols float32); a bool byte "quantized output" and the output matrix likewise.
The input matrix has ``nwords + bucket`` rows (words, then n-gram buckets).

Only unsupervised models are read (skip-gram or CBOW, unquantized); a supervised model, a
quantized ``.ftz`` or a truncated file raises EmbedkitError.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field

import numpy as np

from . import _faults
from ._util import COMPRESSION_SNIFF_BYTES, atomic_write, check_int, sniff_compression
from .errors import EmbedkitError

MAGIC = 793712314
VERSION = 12
MODEL_CODES = {"cbow": 1, "skipgram": 2, "supervised": 3}
LOSS_CODES = {"hs": 1, "ns": 2, "softmax": 3, "ova": 4}
_ARGS = struct.Struct("<12id")
_ARG_NAMES = ("dim", "ws", "epoch", "minCount", "neg", "wordNgrams", "loss", "model", "bucket", "minn", "maxn",
              "lrUpdateRate", "t")


@dataclass
class FastTextModel:
    """A fastText model: its word vectors (which compose unseen words), output layer and arguments.

    Attributes
    ----------
    vectors : SubwordVectors
    output : float32 array (len(vectors), dim)
        The output (context) layer of negative sampling.
    args : dict
        fastText's arguments by their fastText names (``dim``, ``ws``, ``epoch``, ``minCount``,
        ``neg``, ``wordNgrams``, ``loss``, ``model``, ``bucket``, ``minn``, ``maxn``,
        ``lrUpdateRate``, ``t``), ``loss`` and ``model`` as names ("ns", "skipgram").
    n_tokens : int
        Tokens the dictionary was counted from.
    """

    vectors: object
    output: np.ndarray
    args: dict = field(default_factory=dict)
    n_tokens: int = 0


def is_fasttext_bin(path):
    """True when ``path`` starts with fastText's magic number."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError:
        return False
    return len(head) == 4 and struct.unpack("<i", head)[0] == MAGIC


class _Reader:
    """Reads fixed-size fields from a file, raising EmbedkitError when it ends too early."""

    def __init__(self, f, path):
        self.f, self.path = f, path
        self.buf, self.pos = b"", 0

    def _fill(self, need):
        if len(self.buf) - self.pos >= need:
            return
        more = self.f.read(max(need - (len(self.buf) - self.pos), 1 << 22))
        self.buf = self.buf[self.pos:] + more
        self.pos = 0
        if len(self.buf) < need:
            raise EmbedkitError(f"{self.path}: truncated fastText model (the file ends inside the dictionary)")

    def take(self, n):
        self._fill(n)
        out = self.buf[self.pos:self.pos + n]
        self.pos += n
        return out

    def unpack(self, fmt):
        s = struct.Struct(fmt)
        return s.unpack(self.take(s.size))

    def cstring(self):
        while True:
            end = self.buf.find(b"\0", self.pos)
            if end >= 0:
                out = self.buf[self.pos:end]
                self.pos = end + 1
                return out
            if len(self.buf) - self.pos > 1 << 20:
                raise EmbedkitError(f"{self.path}: corrupt fastText model (a dictionary word is over 1 MB)")
            self._fill(len(self.buf) - self.pos + 1)

    def offset(self):
        """Position in the file of the next unread byte."""
        return self.f.tell() - (len(self.buf) - self.pos)


def _read_header(r, path):
    magic, version = r.unpack("<ii")
    if magic != MAGIC:
        raise EmbedkitError(f"{path} is not a fastText model (no fastText magic number)")
    if version != VERSION:
        raise EmbedkitError(f"{path}: fastText model format version {version} is not supported "
                            f"(only {VERSION}, written by fastText >= 0.2)")
    args = dict(zip(_ARG_NAMES, r.unpack(_ARGS.format)))
    codes = {v: k for k, v in MODEL_CODES.items()}
    losses = {v: k for k, v in LOSS_CODES.items()}
    if args["model"] not in codes or args["loss"] not in losses:
        raise EmbedkitError(f"{path}: corrupt fastText model (model code {args['model']}, loss code {args['loss']})")
    args["model"], args["loss"] = codes[args["model"]], losses[args["loss"]]
    dim, bucket, minn, maxn = args["dim"], args["bucket"], args["minn"], args["maxn"]
    if dim < 1 or bucket < 0 or minn < 0 or maxn < 0 or (maxn > 0 and (minn > maxn or bucket == 0)):
        raise EmbedkitError(f"{path}: corrupt fastText model (dim {dim}, bucket {bucket}, minn {minn}, maxn {maxn})")
    return args


def _read_dictionary(r, path, limit):
    size, nwords, nlabels, ntokens, prune = r.unpack("<iiiqq")
    if size < 0 or nwords < 0 or nlabels < 0 or nwords + nlabels != size:
        raise EmbedkitError(f"{path}: corrupt fastText model (dictionary of {size} entries, {nwords} words)")
    keep = size if limit is None else min(limit, size)
    words = []
    counts = np.empty(keep, np.int64)
    for i in range(size):
        raw = r.cstring()
        count, kind = r.unpack("<qb")
        if i < keep and kind == 0:
            try:
                words.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                words.append(raw.decode("utf-8", errors="replace"))
            counts[i] = count
    if prune > 0:
        r.take(8 * prune)
    return words, counts[:len(words)], nwords, nlabels, ntokens, prune >= 0


def _matrix_shape(r, path, what, rows, dim, supervised=False):
    (quant,) = r.unpack("<B")
    if quant:
        kind = "quantized supervised" if supervised else "quantized"
        raise EmbedkitError(f"{path}: {kind} fastText models (.ftz) are not supported")
    if supervised:
        raise EmbedkitError(f"{path}: supervised fastText models are not supported")
    m, n = r.unpack("<qq")
    if (rows is not None and m != rows) or n != dim:
        raise EmbedkitError(f"{path}: corrupt fastText model ({what} matrix is {m} x {n}, expected "
                            f"{rows if rows is not None else 'V'} x {dim})")
    return m, n


def _read_matrix(f, path, what, m, n, offset, size, load):
    need = offset + 4 * m * n
    if size < need:
        raise EmbedkitError(f"{path}: truncated fastText model (the file ends inside the {what} matrix: "
                            f"{size} bytes, {need} needed)")
    f.seek(offset)
    if not load:
        f.seek(need)
        return None
    a = np.fromfile(f, dtype="<f4", count=m * n)
    if a.size != m * n:
        raise EmbedkitError(f"{path}: truncated fastText model (the file ends inside the {what} matrix)")
    return a.reshape(m, n)


def _load(path, limit, output):
    from .subword import SubwordVectors

    path = os.fspath(path)
    if limit is not None:
        limit = check_int("limit", limit, min=1)
    try:
        size = os.path.getsize(path)
        f = open(path, "rb")
    except OSError as e:
        raise EmbedkitError(f"cannot read fastText model {path}: {e.strerror or e}") from None
    with f:
        if sniff_compression(f.read(COMPRESSION_SNIFF_BYTES)) is not None:
            raise EmbedkitError(f"{path} is compressed: decompress the fastText model first")
        f.seek(0)
        r = _Reader(f, path)
        args = _read_header(r, path)
        words, counts, nwords, nlabels, ntokens, pruned = _read_dictionary(r, path, limit)
        supervised = args["model"] == "supervised" or nlabels > 0
        if pruned and not supervised:
            raise EmbedkitError(f"{path}: quantized (pruned) fastText models (.ftz) are not supported")
        dim, bucket = args["dim"], args["bucket"]
        m, n = _matrix_shape(r, path, "input", nwords + bucket, dim, supervised)
        inp = _read_matrix(f, path, "input", m, n, r.offset(), size, True)
        r = _Reader(f, path)
        try:
            mo, no = _matrix_shape(r, path, "output", None, dim)
        except EmbedkitError as e:
            if "truncated" in str(e):
                raise EmbedkitError(f"{path}: truncated fastText model (the file ends before the output matrix)") \
                    from None
            raise
        out = _read_matrix(f, path, "output", mo, no, r.offset(), size, output)
        if f.tell() != size:
            raise EmbedkitError(f"{path}: corrupt fastText model ({size - f.tell()} bytes after the output matrix)")
    if len(words) < nwords:  # --limit: the first words' rows, then every bucket row
        inp = np.concatenate([inp[:len(words)], inp[nwords:]])
        out = out[:len(words)] if out is not None else None
    if len(set(words)) != len(words):
        raise EmbedkitError(f"{path}: corrupt fastText model (a word appears twice in the dictionary)")
    vectors = SubwordVectors(words, inp, minn=args["minn"], maxn=args["maxn"], bucket=bucket, counts=counts)
    return FastTextModel(vectors, out, args, int(ntokens))


def read_fasttext_bin(path, *, limit=None):
    """The word vectors of a fastText ``.bin`` model, as ``SubwordVectors``.

    Vocabulary words get what fastText's ``get_word_vector`` returns, and so does any other
    word (composed from its n-grams).

    Parameters
    ----------
    path : str or path-like
    limit : int or None, default=None
        Keep only the first ``limit`` words (the most frequent); every n-gram row is kept.

    Returns
    -------
    SubwordVectors
    """
    return _load(path, limit, False).vectors


def load_fasttext_model(path):
    """A whole fastText ``.bin`` model: word vectors, output layer and arguments.

    Returns
    -------
    FastTextModel
    """
    return _load(path, None, True)


def check_model_path(path):
    """Refuse a path for a fastText model whose suffix means something else: a compression
    (fastText reads only plain .bin files) or another vector format (.txt, .vec, .npy)."""
    from .formats import COMPRESSIONS, SUFFIX_FORMATS

    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix in COMPRESSIONS:
        raise EmbedkitError(f"{path}: a fastText model is written uncompressed (fastText and gensim cannot "
                            f"open a {suffix} file); use a .bin path")
    if suffix in SUFFIX_FORMATS and suffix != ".bin":
        raise EmbedkitError(f"{path}: the suffix {suffix} means {SUFFIX_FORMATS[suffix]} vectors, but a fastText "
                            f"model is binary; use a .bin path")
    return path


def save_fasttext_model(path, vectors, output, *, model="skipgram", window=5, epochs=5, min_count=5, negative=5,
                        sample=1e-4, n_tokens=None, lr_update_rate=100):
    """Write ``vectors`` (SubwordVectors) and the output layer as a fastText ``.bin`` model, atomically.

    fastText's ``load_model`` and gensim's ``load_facebook_model`` open the file and give the
    same vectors as ``vectors`` for every word. The matrices are written straight from memory.

    Parameters
    ----------
    path : str or path-like
    vectors : SubwordVectors
    output : float32 array (len(vectors), dim)
        Output layer of negative sampling.
    model : {"skipgram", "cbow"}, default="skipgram"
    window, epochs, min_count, negative : int
    sample : float
        The training settings, stored as fastText's ``ws``, ``epoch``, ``minCount``, ``neg``, ``t``.
    n_tokens : int or None, default=None
        Corpus tokens; None: the sum of the counts.
    lr_update_rate : int, default=100

    Returns
    -------
    list of str
        The path written.
    """
    from .subword import SubwordVectors

    check_model_path(path)
    if not isinstance(vectors, SubwordVectors):
        raise EmbedkitError("a fastText model needs SubwordVectors (vectors trained with subwords)")
    if model not in ("skipgram", "cbow"):
        raise EmbedkitError(f"model must be one of skipgram, cbow; got {model!r}")
    out = np.ascontiguousarray(output, dtype="<f4")
    v, dim = len(vectors), vectors.dim
    if out.shape != (v, dim):
        raise EmbedkitError(f"output layer must have shape ({v}, {dim}), got {out.shape}")
    counts = vectors.counts if vectors.counts is not None else np.ones(v, np.int64)
    n_tokens = int(counts.sum()) if n_tokens is None else int(n_tokens)
    inp = vectors.input_matrix
    head = struct.pack("<ii", MAGIC, VERSION) + _ARGS.pack(
        dim, int(window), int(epochs), int(min_count), int(negative), 1, LOSS_CODES["ns"], MODEL_CODES[model],
        vectors.bucket, vectors.minn, vectors.maxn, int(lr_update_rate), float(sample))
    head += struct.pack("<iiiqq", v, v, 0, n_tokens, -1)
    path = os.fspath(path)
    size = len(head) + sum(len(w) + 10 for w in vectors.words) + 4 * inp.size + 4 * output.size + 64
    with _faults.expect_bytes(size), atomic_write(path, "wb") as f:
        f.write(head)
        entry = struct.Struct("<qb")
        for start in range(0, v, 65536):
            f.write(b"".join(w.encode("utf-8") + b"\0" + entry.pack(int(c), 0)
                             for w, c in zip(vectors.words[start:start + 65536],
                                             counts[start:start + 65536].tolist())))
        for m in (inp, out):
            f.write(struct.pack("<Bqq", 0, m.shape[0], m.shape[1]))
            f.write(memoryview(np.ascontiguousarray(m, dtype="<f4")).cast("B"))
    return [path]
