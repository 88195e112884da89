"""Model files of word2vec and GloVe: everything needed to continue training, in one folder.

A model is a folder (written by ``--save-model DIR``) holding

- ``model.json``, the manifest: ``{"format": "embedkit-model", "version": 1, "method": ...,
  "settings": {every training setting}, "state": {epochs done, the learning rate reached, ...},
  "vocab": {"file", "words", "sha256"}, "arrays": {name: {"file", "dtype", "shape", "sha256"}},
  "input": name of the array that holds the word vectors}``;
- ``vocab.txt``: ``word count`` lines, one per row of every per-word array, most frequent first;
- one NumPy ``.npy`` file per array (memory-mapped when read): word2vec's ``input`` (syn0),
  ``output_neg`` (syn1neg), ``output_hs`` (syn1), ``hs_codes`` / ``hs_points`` / ``hs_lens``
  (the Huffman tree); GloVe's ``params`` and ``gradsq`` ((2V, dim+1) weights with the biases,
  and their AdaGrad accumulators).

Every file's SHA-256 is in the manifest and checked when the model is read, with the shapes the
vocabulary implies; a model from a later format version is refused with its version. The folder
is written beside its final place and renamed into it, so an interrupted save leaves no half
model. ``Vectors.load(DIR)`` (every command that reads vectors) reads the ``input`` array.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field

import numpy as np

from ._util import check_writable, defer_rename, remove_temp
from .errors import EmbedkitError, ParameterError

FORMAT = "embedkit-model"
VERSION = 1
MANIFEST = "model.json"
VOCAB_FILE = "vocab.txt"
RARE_FILE = "rare.txt"
METHODS = ("skipgram", "cbow", "glove")


@dataclass
class Model:
    """A model read from (or to be written to) a model folder.

    Attributes
    ----------
    method : str
        "skipgram", "cbow" or "glove".
    words : list of str
    counts : numpy.ndarray
        int64 corpus counts of the words (summed over every corpus trained on).
    settings : dict
        Every training setting (dim, window, negative, hs, ...).
    state : dict
        Where training stands: ``epochs_done``, ``alpha_reached`` (word2vec), ``corpus_tokens``, ...
    arrays : dict of str to numpy.ndarray
        The weights (memory-mapped, read-only, when read from a folder).
    input : str
        The key of ``arrays`` holding the word vectors.
    path : str or None
    rare_words, rare_counts : list of str, numpy.ndarray
        The words seen below ``min_count`` and their counts, so that a later run can sum them
        (``rare.txt``).
    """

    method: str
    words: list
    counts: np.ndarray
    settings: dict
    state: dict = field(default_factory=dict)
    arrays: dict = field(default_factory=dict)
    input: str = "input"
    path: str | None = None
    rare_words: list = field(default_factory=list)
    rare_counts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    @property
    def dim(self):
        return int(self.settings["dim"])

    def vectors(self):
        """The word vectors, as ``Vectors`` (with counts)."""
        from .vectors import Vectors

        m = self.arrays[self.input]
        return Vectors(self.words, m[: len(self.words), : self.dim], self.counts)

    def save(self, path):
        """Write the model folder ``path`` (replacing a model folder already there)."""
        return save_model(self, path)


def is_model(path):
    """True when ``path`` is a folder holding a model manifest."""
    return os.path.isdir(path) and os.path.isfile(os.path.join(path, MANIFEST))


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def check_model_folder(path):
    """Return ``path`` if a model folder can be written there, else raise EmbedkitError: a writable place
    (``check_writable``) that is not a folder of other files, which a model never replaces (an
    unreadable folder is left to the write to report)."""
    path = os.fspath(path)
    check_writable(path, folder=True)
    try:
        entries = os.listdir(path) if os.path.isdir(path) else []
    except OSError:
        entries = []
    if entries and not is_model(path):
        raise EmbedkitError(f"cannot write the model {path}: the folder exists and is not a model folder")
    return path


def save_model(model, path):
    """Write ``model`` as a model folder at ``path``, atomically (temp folder, then rename).

    Returns the path. A file (not a folder) at ``path``, or a folder there that is not a model,
    is an error: nothing is overwritten that this function did not write.
    """
    path = check_model_folder(path)
    if model.method not in METHODS:
        raise EmbedkitError(f"unknown model method {model.method!r}")
    parent = os.path.dirname(os.path.abspath(path))
    tmp = tempfile.mkdtemp(prefix="." + os.path.basename(os.path.abspath(path)) + ".", suffix=".tmp", dir=parent)
    try:
        vocab_path = os.path.join(tmp, VOCAB_FILE)
        with open(vocab_path, "w", encoding="utf-8") as f:
            f.writelines(f"{w} {int(c)}\n" for w, c in zip(model.words, np.asarray(model.counts).tolist()))
        rare_path = os.path.join(tmp, RARE_FILE)
        with open(rare_path, "w", encoding="utf-8") as f:
            f.writelines(f"{w} {int(c)}\n" for w, c in zip(model.rare_words, np.asarray(model.rare_counts).tolist()))
        arrays = {}
        for name, a in model.arrays.items():
            a = np.ascontiguousarray(a)
            fname = name + ".npy"
            np.save(os.path.join(tmp, fname), a, allow_pickle=False)
            arrays[name] = {"file": fname, "dtype": a.dtype.str, "shape": list(a.shape),
                            "sha256": _sha256(os.path.join(tmp, fname))}
        manifest = {"format": FORMAT, "version": VERSION, "method": model.method, "input": model.input,
                    "settings": model.settings, "state": model.state,
                    "vocab": {"file": VOCAB_FILE, "words": len(model.words), "sha256": _sha256(vocab_path)},
                    "rare": {"file": RARE_FILE, "words": len(model.rare_words), "sha256": _sha256(rare_path)},
                    "arrays": arrays}
        with open(os.path.join(tmp, MANIFEST), "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=1, sort_keys=True)
        os.chmod(tmp, 0o777 & ~_umask())
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise

    def commit():
        old = None
        if os.path.exists(path):
            old = tempfile.mkdtemp(prefix="." + os.path.basename(os.path.abspath(path)) + ".", suffix=".old",
                                   dir=parent)
            os.rmdir(old)
            os.rename(path, old)
        os.rename(tmp, path)
        if old:
            shutil.rmtree(old, ignore_errors=True)

    defer_rename(commit, lambda: remove_temp(tmp), path)  # with the run's other outputs
    return path


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_manifest(path):
    """The manifest of the model folder ``path``, checked for format and version."""
    path = os.fspath(path)
    mpath = os.path.join(path, MANIFEST)
    try:
        with open(mpath, encoding="utf-8") as f:
            m = json.load(f)
    except FileNotFoundError:
        raise EmbedkitError(f"{path} is not a model folder (no {MANIFEST})") from None
    except (OSError, ValueError) as e:
        raise EmbedkitError(f"{path}: the model manifest {MANIFEST} is unreadable or corrupt ({e})") from None
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise EmbedkitError(f"{path}: {MANIFEST} is not an embedkit model manifest")
    version = m.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise EmbedkitError(f"{path} is a model of format version {version}; this embedkit reads versions up to "
                            f"{VERSION} (upgrade embedkit)")
    for key in ("method", "settings", "state", "vocab", "arrays", "input"):
        if key not in m:
            raise EmbedkitError(f"{path}: {MANIFEST} lacks {key!r} (corrupt model)")
    if m["method"] not in METHODS:
        raise EmbedkitError(f"{path}: unknown model method {m['method']!r}")
    return m


def load_model(path, *, verify=True):
    """Read the model folder ``path``: vocabulary, settings, state and memory-mapped arrays.

    Parameters
    ----------
    path : str or path-like
    verify : bool, default=True
        Check every file's SHA-256 against the manifest (reads each file once).

    Raises
    ------
    EmbedkitError
        A future format version (named), a missing, truncated or corrupt file, or a vocabulary
        whose length disagrees with the arrays.
    """
    path = os.fspath(path)
    m = read_manifest(path)
    words, counts = _read_counts(path, m["vocab"], verify)
    rare_words, rare_counts = _read_counts(path, m["rare"], verify) if "rare" in m else ([], [])
    arrays = {}
    for name, info in m["arrays"].items():
        apath = os.path.join(path, info["file"])
        if not os.path.isfile(apath):
            raise EmbedkitError(f"{path}: the array file {info['file']} is missing")
        if verify and _sha256(apath) != info.get("sha256"):
            raise EmbedkitError(f"{path}: {info['file']} is corrupt or truncated (its checksum differs from the "
                                f"manifest's)")
        try:
            a = np.load(apath, mmap_mode="r", allow_pickle=False)
        except (ValueError, OSError) as e:
            raise EmbedkitError(f"{path}: {info['file']} is truncated or not a NumPy array ({e})") from None
        if list(a.shape) != list(info["shape"]) or a.dtype.str != info["dtype"]:
            raise EmbedkitError(f"{path}: {info['file']} holds {a.dtype.str} {list(a.shape)}, the manifest says "
                                f"{info['dtype']} {info['shape']}")
        arrays[name] = a
    model = Model(m["method"], words, np.asarray(counts, dtype=np.int64), m["settings"], m["state"], arrays,
                  m["input"], path, rare_words, np.asarray(rare_counts, dtype=np.int64))
    _check_shapes(model)
    return model


def _read_counts(path, info, verify):
    """(words, counts) of a ``word count`` file of the model, checked against its manifest entry."""
    fpath = os.path.join(path, info["file"])
    if not os.path.isfile(fpath):
        raise EmbedkitError(f"{path}: the vocabulary file {info['file']} is missing")
    if verify and _sha256(fpath) != info.get("sha256"):
        raise EmbedkitError(f"{path}: {info['file']} is corrupt (its checksum differs from the manifest's)")
    words, counts = [], []
    try:
        with open(fpath, encoding="utf-8", errors="strict") as f:
            for n, line in enumerate(f, 1):
                parts = line.split()
                if len(parts) != 2 or not parts[1].isdigit():
                    raise EmbedkitError(f"{path}: {info['file']} line {n} is not 'word count'")
                words.append(parts[0])
                counts.append(int(parts[1]))
    except UnicodeDecodeError:
        raise EmbedkitError(f"{path}: {info['file']} is not UTF-8 (corrupt model)") from None
    if len(words) != info.get("words"):
        raise EmbedkitError(f"{path}: {info['file']} lists {len(words)} words but the manifest says "
                            f"{info.get('words')}: the vocabulary and the matrix disagree")
    return words, counts


def _check_shapes(model):
    """The per-word arrays have one row per vocabulary word (GloVe's two per word)."""
    v, dim, p = len(model.words), model.dim, model.path
    expect = {"input": (v, dim), "output_neg": (v, dim), "output_hs": (v - 1, dim),
              "params": (2 * v, dim + 1), "gradsq": (2 * v, dim + 1)}
    if model.input not in model.arrays:
        raise EmbedkitError(f"{p}: the manifest names {model.input!r} as the word vectors, but has no such array")
    for name, shape in expect.items():
        a = model.arrays.get(name)
        if a is not None and tuple(a.shape) != shape:
            raise EmbedkitError(f"{p}: the vocabulary has {v} words (dim {dim}) but {name} has shape "
                                f"{tuple(a.shape)}, not {shape}: the vocabulary and the matrix disagree")


def _method_command(method):
    return {"skipgram": "train skipgram", "cbow": "train cbow", "glove": "train glove",
            "fasttext": "train fasttext"}[method]


def load_init(path, method):
    """The model to continue a ``method`` run from (``--init PATH``), or EmbedkitError saying what
    ``path`` is instead: a model of another method, a vectors file without an output layer (use
    ``init_vectors``), a fastText model, something unreadable."""
    from .formats import FASTTEXT_MAGIC, detect_format

    p = None if isinstance(path, Model) else os.fspath(path)
    if p is None:
        model = path
    elif is_model(p):
        model = load_model(p)
    else:
        if not os.path.exists(p):
            raise EmbedkitError(f"cannot read the model {p}: no such file or folder")
        if os.path.isdir(p):  # a model folder lacking its manifest, or another folder
            raise EmbedkitError(f"{p} is a folder but not a model folder (no {MANIFEST}); give the folder "
                                "--save-model wrote")
        if os.path.isfile(p):
            with open(p, "rb") as f:
                if f.read(4) == FASTTEXT_MAGIC:
                    raise EmbedkitError(f"{p} is a fastText model; use train fasttext")
        detect_format(p)  # raises for what is not vectors either
        raise EmbedkitError(f"{p} is a vectors file without an output layer, not a model: use --init-vectors "
                            f"{p} to start from its vectors")
    if model.method != method:
        raise EmbedkitError(f"{model.path or 'the model'} is a {model.method} model; use "
                            f"{_method_command(model.method)}")
    return model


def check_fixed(model, **given):
    """Settings that cannot change when continuing: each ``name=value`` given (not None) must equal
    the model's, else EmbedkitError naming both. Returns the model's values for every name."""
    out = {}
    for name, value in given.items():
        stored = model.settings.get(name)
        if value is not None and value != stored:
            raise EmbedkitError(f"{name} cannot change when continuing: {model.path or 'the model'} has "
                                f"{name}={stored!r}, not {value!r}")
        out[name] = stored
    return out


def check_lock(lock_init):
    """``lock_init`` as a float in [0, 1] (0 freezes the rows started from ``init_vectors``)."""
    from ._util import check_float

    return check_float("lock_init", lock_init, min=0.0, max=1.0)


def load_init_vectors(init_vectors, dim):
    """The vectors of ``init_vectors`` (a path in any format embedkit reads, or Vectors), checked to
    have ``dim`` dimensions."""
    from .vectors import Vectors

    v = init_vectors if isinstance(init_vectors, Vectors) else Vectors.load(init_vectors)
    if v.dim != dim:
        name = "init_vectors" if isinstance(init_vectors, Vectors) else os.fspath(init_vectors)
        raise ParameterError(f"{name} has {v.dim}-dimensional vectors but {{dim}} is {dim}: they must match", "dim")
    return v


def shared_rows(words, vectors):
    """(rows, values): the rows of ``words`` (a vocabulary) that ``vectors`` has, exactly spelled,
    and those words' vectors (float32, one per row)."""
    index = vectors.key_to_index
    pairs = [(i, index[w]) for i, w in enumerate(words) if w in index]
    rows = np.array([i for i, _ in pairs], dtype=np.int64)
    cols = np.array([j for _, j in pairs], dtype=np.int64)
    return rows, np.asarray(vectors.matrix, dtype=np.float32)[cols]
