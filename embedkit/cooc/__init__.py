"""Co-occurrence counts: one entry point, four backends, one result type.

:func:`count_cooccurrences` counts a corpus into a :class:`Cooccurrence` (the V x V CSR
matrix, its vocabulary and a record of every counting parameter). It picks the backend
from its arguments:

- in memory (the default): the corpus is counted block by block and the blocks summed;
- spill-and-merge (``memory=``): blocks sized to a memory bound are spilled to ``tmp_dir``
  as sorted runs and merged on disk into a memory-mapped matrix, removed when it is freed;
- on-disk store (``output=``): the same, into a folder that :func:`load_cooccurrences`
  opens later (``embedkit cooc`` writes one);
- Dask (``dask=``): each file is a partition counted by a worker, merged into a store.

Every backend gives the same matrix. Trainers that fit a matrix (``fit_ppmi_svd``,
``fit_glove``) take a ``Cooccurrence``.
"""

from __future__ import annotations

import contextlib
import numbers
import os
import shutil
import time
import warnings
import weakref

import numpy as np
import scipy.sparse as sp

from .. import _faults
from .._util import check_int, check_threads, numba_threads, progress_bar
from ..corpus import check_tokenize
from ..errors import EmbedkitError, ParameterError
from ..vocab import Vocab, merge_vocab, resolve_corpus, scan_corpus
from . import _count, _store
from ._store import COUNT_PARAMS, DEFAULT_MEMORY, UNKNOWN, WEIGHTINGS, parse_memory

__all__ = ["Cooccurrence", "count_cooccurrences", "add_cooccurrences", "load_cooccurrences", "parse_memory",
           "WEIGHTINGS", "COUNT_PARAMS", "UNKNOWN", "DEFAULT_MEMORY"]



class Cooccurrence:
    """A co-occurrence matrix with its vocabulary and the parameters it was counted with.

    Parameters
    ----------
    matrix : scipy.sparse matrix, V x V
        ``matrix[i, j]`` sums the weights of word j seen in the window of word i.
    vocab : Vocab
        The V words (rows and columns, in this order) with their corpus counts.
    params : dict or None, default=None
        Counting parameters by name (see ``COUNT_PARAMS``); a name left out (or None for
        the whole dict) is recorded as ``UNKNOWN``.
    info : dict or None, default=None
        Figures about the count (``tokens``, ``spilled_runs``, ``partitions``...).
    timings : dict or None, default=None
        Wall seconds per stage (``scan``, ``compile``, ``count``).
    path : str or None, default=None
        The folder the matrix is stored in, if any.
    rare : Vocab, str or None, default=None
        The words left out of the vocabulary with their counts (or the path of their file),
        for :func:`add_cooccurrences`; see the ``rare`` property.

    Examples
    --------
    >>> c = count_cooccurrences("data/sample.txt.xz", window=2, min_count=50)
    >>> c.matrix.shape == (len(c.words), len(c.words)), c.params["window"], c.params["weighting"]
    (True, 2, 'uniform')
    >>> Cooccurrence(sp.eye(2, format="csr"), Vocab(["a", "b"], [3, 1])).params["window"]
    UNKNOWN
    """

    def __init__(self, matrix, vocab, params=None, *, info=None, timings=None, path=None, rare=None):
        if not sp.issparse(matrix) or matrix.ndim != 2:
            raise EmbedkitError(f"matrix must be a scipy.sparse matrix, got {type(matrix).__name__}")
        if not isinstance(vocab, Vocab):
            raise EmbedkitError(f"vocab must be a Vocab, got {type(vocab).__name__}")
        if matrix.shape != (len(vocab), len(vocab)):
            raise EmbedkitError(f"co-occurrence matrix is {matrix.shape[0]} x {matrix.shape[1]} but there are "
                                f"{len(vocab)} words")
        params = dict(params or {})
        unknown = set(params) - set(COUNT_PARAMS)
        if unknown:
            raise EmbedkitError(f"unknown counting parameter {sorted(unknown)[0]!r}; known: {', '.join(COUNT_PARAMS)}")
        self.matrix = matrix if sp.isspmatrix_csr(matrix) else sp.csr_matrix(matrix)
        self.vocab = vocab
        self.params = {k: params.get(k, UNKNOWN) for k in COUNT_PARAMS}
        self.info = dict(info or {})
        self.timings = dict(timings or {})
        self.path = None if path is None else os.fspath(path)
        self._rare = rare

    @property
    def rare(self):
        """The words counted but left out of the vocabulary (below ``min_count``, past ``max_vocab``),
        with their counts, as a ``Vocab``; None where they were not kept (counted in memory, or a
        folder from an earlier version). Read from the folder's ``rare.txt`` when first asked for."""
        if isinstance(self._rare, (str, os.PathLike)):
            self._rare = Vocab.load(self._rare)
        return self._rare

    @property
    def words(self):
        """The V words, in row order."""
        return self.vocab.words

    def __len__(self):
        return len(self.vocab)

    def __repr__(self):
        shown = ", ".join(f"{k}={v!r}" for k, v in self.params.items() if v is not UNKNOWN)
        where = f", path={self.path!r}" if self.path else ""
        return f"Cooccurrence({len(self)} words, {self.matrix.nnz} non-zeros{', ' if shown else ''}{shown}{where})"

    def restrict(self, min_count, *, memory=None, tmp_dir=None, threads=None, progress=False):
        """The co-occurrences of the words seen at least ``min_count`` times: a higher bar than the
        counting's, for fitting a smaller vocabulary from one count (the rest join ``rare``).

        The windows stay as they were counted: they were taken over the words now left out too, so
        the result is close to, not the same as, counting the text with this ``min_count``. The
        result cannot be added to (``add_cooccurrences``): add to the full co-occurrences, then
        restrict.

        With ``memory`` (bytes, or a string such as ``"2G"``) the kept entries are written to a
        new folder in ``tmp_dir`` (default: the system's temporary folder), range of rows by range
        of rows within that bound, and memory-mapped; the folder is removed when the result's
        matrix is freed. A stored matrix is read in place, never copied whole. Without
        ``memory`` the result is a copy in memory. ``threads``: as for the trainers.

        Examples
        --------
        >>> c = count_cooccurrences("data/sample.txt.xz", window=2, min_count=5)
        >>> r = c.restrict(50)
        >>> len(c), len(r), r.params["min_count"], r.words == c.words[:len(r)]
        (13705, 2327, 50, True)
        """
        where = self.path or "the co-occurrences"
        check_int("min_count", min_count, min=1)
        have = self.params["min_count"]
        if have is not UNKNOWN and min_count < have:
            raise EmbedkitError(f"{where} {'was' if self.path else 'were'} counted with min_count={have}: it holds no "
                                f"word seen fewer times (min_count={min_count}); count the text again")
        counts = self.vocab.counts
        keep = np.flatnonzero(counts >= min_count)
        if len(keep) == 0:
            raise ParameterError(f"no word of {ParameterError.literal(where)} occurs {min_count} times or more "
                                 f"({{min_count}} {min_count})", "min_count")
        n = len(keep)
        if memory is not None:
            matrix = _restricted_on_disk(self.matrix, keep, memory=_memory_bytes(memory), tmp_dir=tmp_dir,
                                         threads=check_threads(threads), progress=progress)
        elif keep[-1] == n - 1:  # the words ordered by count, as counted: a leading block
            matrix = sp.csr_matrix(self.matrix[:n, :n])
        else:
            matrix = sp.csr_matrix(self.matrix[keep][:, keep])
        words = self.vocab.words
        vocab = Vocab([words[k] for k in keep.tolist()], counts[keep])
        rare = None
        if self.rare is not None:
            left = np.setdiff1d(np.arange(len(words)), keep)
            rare = Vocab.ordered([words[k] for k in left.tolist()] + list(self.rare.words),
                                 np.concatenate([counts[left], self.rare.counts]))
        info = {**self.info, "restricted_from_min_count": have}
        return Cooccurrence(matrix, vocab, {**self.params, "min_count": int(min_count)}, info=info, rare=rare)

    def check_params(self, **given):
        """Raise EmbedkitError if a counting parameter in ``given`` differs from the recorded one.

        A parameter this matrix does not record (``UNKNOWN``) cannot be checked: that gets a
        warning instead. Use it before fitting a stored matrix with options a user gave.

        Examples
        --------
        >>> c = Cooccurrence(sp.eye(2, format="csr"), Vocab(["a", "b"], [3, 1]), {"window": 5})
        >>> c.check_params(window=5)
        >>> c.check_params(window=10)
        Traceback (most recent call last):
        ...
        embedkit.errors.EmbedkitError: the co-occurrences were counted with window=5, not window=10
        """
        where = self.path or "the co-occurrences"
        for name, value in given.items():
            if name not in COUNT_PARAMS:
                raise EmbedkitError(f"unknown counting parameter {name!r}; known: {', '.join(COUNT_PARAMS)}")
            stored = self.params[name]
            if stored is UNKNOWN:
                warnings.warn(f"{where} does not record {name}; {name}={value!r} cannot be checked against it",
                              stacklevel=2)
            elif not _same(stored, value):
                raise EmbedkitError(f"{where} {'was' if self.path else 'were'} counted with {name}={stored!r}, "
                                    f"not {name}={value!r}")


def _same(a, b):
    if isinstance(a, numbers.Real) and isinstance(b, numbers.Real) and not isinstance(a, bool):
        return float(a) == float(b)
    return a == b


def _check(window, weighting, dynamic_window, sample, min_count, max_vocab, lowercase, tokenize, keep_punctuation,
           seed, threads, memory):
    _store.check_count_param("window", window)
    check_tokenize(tokenize, keep_punctuation)
    for name, value in (("weighting", weighting), ("dynamic_window", dynamic_window), ("lowercase", lowercase),
                        ("sample", sample), ("min_count", min_count), ("max_vocab", max_vocab), ("seed", seed)):
        _store.check_count_param(name, value)
    check_threads(threads)
    return _memory_bytes(memory)


def _memory_bytes(memory):
    """``memory`` (None, bytes, or a size such as ``"2G"``) as bytes, or None."""
    if memory is None:
        return None
    return parse_memory(memory) if isinstance(memory, str) else check_int("memory", memory, min=1)


def _compile_counting(enc, *, dynamic_window, spill, harmonic, progress):
    """Compile the counting kernels (and, with ``spill``, the merge kernels) before the count."""
    with progress_bar(total=2 if spill else 1, desc="compiling counting kernels", enabled=progress) as bar:
        _count.compile_kernels(enc, dynamic_window=dynamic_window, spill=spill, harmonic=harmonic)
        bar.update(1)
        if spill:
            _store.compile_kernels()
            bar.update(1)


def count_cooccurrences(corpus, *, window=5, weighting="uniform", dynamic_window=False, sample=0.0, min_count=5,
                        max_vocab=None, lowercase=False, tokenize="whitespace", keep_punctuation=False, seed=1,
                        threads=None, memory=None, tmp_dir=None,
                        output=None, dask=None, progress=False):
    """Count windowed co-occurrences of a corpus.

    ``X[i, j]`` sums, over every occurrence of word i and every word j at most ``window``
    tokens away in the same sentence, the weight 1 (``"uniform"``, for PPMI) or 1/distance
    (``"harmonic"``, for GloVe). Both orders are counted, so the matrix is symmetric unless
    ``dynamic_window`` is on. Every backend gives the same matrix, and the result does not
    depend on ``threads``.

    Parameters
    ----------
    corpus : str, Path, list of them, or (Vocab, EncodedCorpus)
        Text file (plain, .gz, .bz2, .xz), folder, ``"-"`` for stdin, a list of those, or
        the pair from :func:`embedkit.vocab.scan_corpus` (then ``min_count``, ``max_vocab``,
        ``lowercase``, ``tokenize`` and ``keep_punctuation`` do not apply and are recorded as
        ``UNKNOWN``).
    window : int, default=5
        Context words on each side.
    weighting : {"uniform", "harmonic"}, default="uniform"
    dynamic_window : bool, default=False
        Draw each centre word's window uniformly in 1..window (word2vec); X[i, j] then counts
        j as a context of centre i, and the matrix is no longer exactly symmetric.
    sample : float, default=0.0
        Subsample frequent words before counting (word2vec's formula; 0 keeps every token).
    min_count : int, default=5
        Words seen fewer times are left out of the vocabulary.
    max_vocab : int or None, default=None
        Keep at most this many of the most frequent words.
    lowercase : bool, default=False
        Lower-case the text before counting.
    tokenize : {"whitespace", "words", "text8"}, default="whitespace"
        How text becomes tokens (see :func:`embedkit.corpus.tokenize_piece`).
    keep_punctuation : bool, default=False
        With ``tokenize="words"``, keep punctuation marks as tokens.
    seed : int, default=1
        Seed for subsampling and window draws.
    threads : int or None, default=None
        Numba threads (None: all); with ``dask``, threads per task (None: 1).
    memory : int, str or None, default=None
        Count within this many bytes of buffers (``"512M"``, ``"2G"`` are read by
        :func:`parse_memory`): sorted runs are spilled to ``tmp_dir`` and merged into a
        memory-mapped matrix. None counts in memory (or within 1 GiB with ``output``/``dask``),
        after checking that the count fits in the available memory: its non-zeros are
        estimated before counting from exact counts of samples of the corpus (``info`` keeps
        the estimate as ``estimated_nonzeros``).
    tmp_dir : str or None, default=None
        Folder for the spilled runs and a temporary matrix (default: the system's); with a
        remote Dask scheduler it must be shared by the workers and this machine.
    output : str or None, default=None
        Also store the counts in this folder (replaced atomically if it is an earlier
        co-occurrence folder), for :func:`load_cooccurrences`.
    dask : str, distributed.Client or None, default=None
        Count on a Dask cluster: ``"local"`` (a LocalCluster, one worker per core), a
        scheduler address such as ``"tcp://host:8786"``, or a client. Each file of the corpus
        is a partition; not with ``dynamic_window``, ``sample`` or a scanned pair.
    progress : bool, default=False
        Show progress bars (scan, compile, count, merge).

    Returns
    -------
    Cooccurrence

    Raises
    ------
    EmbedkitError
        On a bad parameter, an unreadable corpus or an unwritable folder (checked before the
        corpus is read); ``EmptyCorpusError``/``EmptyVocabularyError`` when nothing is left
        to count; ``MemoryLimitError`` (``embedkit._faults``) when counting in memory would
        need more than the available memory (checked after the scan, before counting).

    Examples
    --------
    >>> c = count_cooccurrences("data/sample.txt.xz", window=2, min_count=50)
    >>> c.words[:3], c.matrix.dtype.name
    (['the', 'of', 'and'], 'float32')
    >>> bool((c.matrix != c.matrix.T).nnz == 0)
    True
    """
    memory = _check(window, weighting, dynamic_window, sample, min_count, max_vocab, lowercase, tokenize,
                    keep_punctuation, seed, threads, memory)
    params = {"window": int(window), "weighting": weighting, "dynamic_window": bool(dynamic_window),
              "sample": float(sample), "min_count": int(min_count),
              "max_vocab": None if max_vocab is None else int(max_vocab), "lowercase": bool(lowercase),
              "tokenize": tokenize, "keep_punctuation": bool(keep_punctuation), "seed": int(seed)}
    if output is not None:
        _store.check_output(output)
    if memory is not None or output is not None or dask is not None:
        _store.check_tmp_dir(tmp_dir)
    with contextlib.ExitStack() as stack:
        if output is not None:
            stack.enter_context(_store.output_lock(output))  # a second run into this folder is refused
        return _count_locked(corpus, params, memory, tmp_dir, output, dask, threads, progress, window=window,
                             weighting=weighting, dynamic_window=dynamic_window, sample=sample, seed=seed,
                             min_count=min_count, max_vocab=max_vocab, lowercase=lowercase, tokenize=tokenize,
                             keep_punctuation=keep_punctuation)


def _count_locked(corpus, params, memory, tmp_dir, output, dask, threads, progress, *, window, weighting,
                  dynamic_window, sample, seed, min_count, max_vocab, lowercase, tokenize, keep_punctuation):
    if dask is not None:
        return _count_dask(corpus, dask, params, memory, tmp_dir, output, threads, progress)
    if _is_scanned_pair(corpus):
        params.update(min_count=UNKNOWN, max_vocab=UNKNOWN, lowercase=UNKNOWN, tokenize=UNKNOWN,
                      keep_punctuation=UNKNOWN)
    timings = {}
    t0 = time.perf_counter()
    vocab, enc = resolve_corpus(corpus, min_count=min_count, max_vocab=max_vocab, lowercase=lowercase,
                                tokenize=tokenize, keep_punctuation=keep_punctuation, threads=threads,
                                progress=progress, keep_rare=output is not None)
    t1 = time.perf_counter()
    timings["scan"] = t1 - t0
    spill = memory is not None or output is not None
    _compile_counting(enc, dynamic_window=dynamic_window, spill=spill, harmonic=weighting == "harmonic",
                      progress=progress)
    t2 = time.perf_counter()
    timings["compile"] = t2 - t1
    info = {"tokens": enc.n_tokens}
    if not spill:
        info["estimated_nonzeros"] = _check_count_memory(enc, window=window, dynamic_window=dynamic_window,
                                                         sample=sample, seed=seed, threads=threads)
        m = _count.count_matrix(enc, window=window, weighting=weighting, dynamic_window=dynamic_window,
                                sample=sample, seed=seed, threads=threads, progress=progress)
        timings["count"] = time.perf_counter() - t2
        return Cooccurrence(m, vocab, params, info=info, timings=timings)
    memory = DEFAULT_MEMORY if memory is None else memory

    def count(out):
        _store.count_to_store(enc, vocab, out, memory=memory, tmp_dir=tmp_dir, params=params, threads=threads,
                              progress=progress, rare=enc.rare)

    c = _stored(count, output, tmp_dir)
    c.timings = {**timings, "count": time.perf_counter() - t2}
    return c


def _check_count_memory(enc, *, window, dynamic_window, sample, seed, threads):
    """Before counting in memory: estimate the non-zeros from spread samples of the corpus, and
    refuse (``MemoryLimitError``) if counting them, or the fit declared by
    ``_faults.fit_after_counting``, would need more memory than is available. Returns the estimate."""
    law = _count.estimate_nonzeros(enc, window=window, dynamic_window=dynamic_window, sample=sample, seed=seed,
                                   threads=threads)
    nnz = law(1.0)
    with numba_threads(threads) as n_threads:
        peak, matrix = _faults.count_need(enc.n_tokens, enc.n_sentences, enc.vocab_size, law,
                                          dynamic=bool(dynamic_window), threads=n_threads,
                                          block_tokens=_count.BLOCK_TOKENS, mapped=_faults.array_bytes(enc.ids)[1])
    what = f"counting co-occurrences in memory (about {nnz / 1e6:,.1f}M non-zeros estimated)"
    lower = "--window or --max-vocab"
    fit = _faults.planned_fit()
    if fit is not None:
        fit_need, fit_what, fit_lower = fit
        peak = max(peak, matrix + fit_need(enc.vocab_size, nnz))
        what, lower = f"{what} and {fit_what}", fit_lower
    _faults.check_memory(peak, what=what, lower=lower, advice=f"count on disk with --memory SIZE, or lower {lower}")
    return nnz


def _is_scanned_pair(corpus):
    return isinstance(corpus, tuple) and len(corpus) == 2 and isinstance(corpus[0], Vocab)


def _stored(count, output, tmp_dir):
    """Run ``count(folder)``, which writes a store, and open it: ``output``, or a temporary folder in
    ``tmp_dir`` that is removed when the matrix is garbage-collected."""
    if output is not None:
        count(output)
        return load_cooccurrences(output)
    folder = _faults.make_temp_dir("cooc", tmp_dir)
    try:
        out = os.path.join(folder, "cooc")
        count(out)
        c = load_cooccurrences(out)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    weakref.finalize(c.matrix, shutil.rmtree, folder, True)
    c.path = None
    return c


def _restricted_on_disk(matrix, keep, *, memory, tmp_dir, threads, progress):
    """``matrix``'s rows and columns ``keep`` written by :func:`_store.restrict_to` to a new folder in
    ``tmp_dir`` and memory-mapped; the folder is removed when the result is garbage-collected."""
    _store.check_tmp_dir(tmp_dir)
    folder = _faults.make_temp_dir("restrict", tmp_dir)
    try:
        _store.restrict_to(matrix, keep, folder, memory=memory, threads=threads, progress=progress)
        m = _store.open_csr(folder, len(keep))
        m.has_sorted_indices = matrix.has_sorted_indices  # the columns kept stay in their order
    except OSError as e:
        shutil.rmtree(folder, ignore_errors=True)
        if _faults.is_no_space(e):
            raise _faults.no_space_error(e, folder, "the restricted co-occurrences", 8 * matrix.nnz) from None
        raise EmbedkitError(f"cannot write the restricted co-occurrences in {folder}: {e.strerror or e}") from None
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    weakref.finalize(m, shutil.rmtree, folder, True)
    return m


def _count_dask(corpus, dask, params, memory, tmp_dir, output, threads, progress):
    from ._dask import count_on_dask

    if _is_scanned_pair(corpus):
        raise EmbedkitError("counting with Dask needs the corpus as files, not a scanned (Vocab, EncodedCorpus) pair")
    if params["dynamic_window"] or params["sample"] > 0:
        raise ParameterError("counting with {dask} does not support {dynamic_window} or {sample}", "dask",
                             "dynamic_window", "sample")
    memory = DEFAULT_MEMORY if memory is None else memory
    threads = 1 if threads is None else threads
    client = None if isinstance(dask, str) else dask
    if client is not None and not (hasattr(client, "submit") and hasattr(client, "gather")):
        raise EmbedkitError(f"dask must be 'local', a scheduler address or a distributed.Client, got "
                            f"{type(dask).__name__}")
    t0 = time.perf_counter()
    c = _stored(lambda out: count_on_dask(corpus, out, scheduler=dask, params=params, memory=memory, tmp_dir=tmp_dir,
                                          threads=threads, progress=progress, client=client), output, tmp_dir)
    c.timings = {"count": time.perf_counter() - t0}
    return c


def load_cooccurrences(path):
    """Open a co-occurrence folder written by ``count_cooccurrences(..., output=path)`` or ``embedkit cooc``.

    The CSR arrays are memory-mapped (read-only), so only the parts a trainer touches are
    read. Folders written by earlier versions load too; the counting parameters they do not
    record are ``UNKNOWN`` in ``params``.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Cooccurrence

    Examples
    --------
    >>> import tempfile, os
    >>> out = os.path.join(tempfile.mkdtemp(), "cooc")
    >>> _ = count_cooccurrences("data/sample.txt.xz", window=3, weighting="harmonic", min_count=50, output=out)
    >>> c = load_cooccurrences(out)
    >>> c.params["weighting"], c.params["min_count"], c.path == out
    ('harmonic', 50, True)
    """
    m, vocab, params, info, rare = _store.read_store(path)
    return Cooccurrence(m, vocab, params, info=info, path=path, rare=rare)


def add_cooccurrences(cooc, corpus, *, output=None, memory=None, tmp_dir=None, threads=None, progress=False):
    """Count new text as ``cooc`` was counted and add the two: the co-occurrences of old and new text.

    The old text is not read again: the stored counts are summed with the new text's, row range
    by row range within ``memory`` bytes, and written as a new folder (``output`` may be
    ``cooc``'s own folder, which is then replaced atomically). A GloVe model fitted on ``cooc``
    goes on with ``fit_glove(result, init=model)`` and keeps fitting the old text's counts.

    The new text is read with the tokenizer, lower-casing, window, weighting, subsampling and
    seed that ``cooc`` records. The vocabulary grows as a continued model's does: every word of
    ``cooc`` stays, counts are summed with the folder's (its ``rare.txt`` keeps the counts of the
    words it left out), and any other word enters when its summed count reaches ``cooc``'s
    ``min_count`` (within ``max_vocab``); words are ordered by summed count (ties by word). The
    result keeps its own rare words, for the next addition.

    Where this differs from counting old and new text together (``count_cooccurrences([old,
    new])``): a word that enters now but was rare in the old text has the new text's
    co-occurrences alone (the old text's were never counted), and the old text's windows were
    taken over its own rare words, not over the words rare in both texts. A folder without
    ``rare.txt`` (counted in memory, or by an earlier version) also loses the old counts
    of its rare words. With ``sample`` or ``dynamic_window`` the new text's random draws are not
    the ones a joint count makes (the same distribution). With ``min_count=1`` the words, counts
    and matrix are those of the joint count: uniform counts exactly, harmonic ones to float32
    rounding.

    Parameters
    ----------
    cooc : str, Path or Cooccurrence
        A folder written by :func:`count_cooccurrences` (``output=``) or ``embedkit cooc``, or a
        loaded or in-memory ``Cooccurrence`` that records every counting parameter.
    corpus : str, Path or list of them
        The new text (files, folders, ``"-"`` for stdin), as for :func:`count_cooccurrences`.
    output : str, Path or None, default=None
        Write the sum to this folder; None writes it to a temporary folder in ``tmp_dir``,
        removed when the matrix is garbage-collected.
    memory : int, str or None, default=None
        Memory bound of counting and summing (``"2G"``; None: 1 GiB).
    tmp_dir, threads, progress
        As for :func:`count_cooccurrences`.

    Returns
    -------
    Cooccurrence
        The summed counts; ``info["tokens"]`` counts the tokens of both.

    Raises
    ------
    EmbedkitError
        When ``cooc`` does not record a counting parameter (an earlier version's folder, or one
        counted from a scanned pair), on a bad parameter, an unreadable corpus or an unwritable
        folder, before anything is written.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> old = count_cooccurrences("data/sample.txt.xz", window=3, min_count=50, output=os.path.join(d, "old"))
    >>> both = add_cooccurrences(old, "data/sample.txt.xz", output=os.path.join(d, "both"))
    >>> len(old), len(both)  # the words seen 25-49 times now reach min_count 50 (25 + 25)
    (2327, 4151)
    >>> int(old.vocab.counts[old.vocab.index("anarchism")]), int(both.vocab.counts[both.vocab.index("anarchism")])
    (132, 264)
    """
    base = cooc if isinstance(cooc, Cooccurrence) else load_cooccurrences(cooc)
    where = base.path or "the co-occurrences"
    if "restricted_from_min_count" in base.info:
        raise EmbedkitError("restricted co-occurrences (Cooccurrence.restrict) cannot be added to: add the new text "
                            "to the full ones, then restrict the sum")
    unknown = [k for k in COUNT_PARAMS if base.params[k] is UNKNOWN]
    if unknown:
        raise EmbedkitError(f"{where} does not record {', '.join(unknown)}, so new text cannot be counted as it "
                            f"was; count the old and the new text together (embedkit cooc OLD NEW -o DIR)")
    if _is_scanned_pair(corpus):
        raise EmbedkitError("adding to co-occurrences needs the new text as files, not a scanned (Vocab, "
                            "EncodedCorpus) pair: every word's count is needed")
    check_threads(threads)
    memory = DEFAULT_MEMORY if memory is None else _memory_bytes(memory)
    params = dict(base.params)
    if output is not None:
        _store.check_output(output)
    _store.check_tmp_dir(tmp_dir)
    with contextlib.ExitStack() as stack:
        if output is not None:
            stack.enter_context(_store.output_lock(output))
        t0 = time.perf_counter()
        old_rare = base.rare if base.rare is not None else Vocab([], [])
        vocab, enc, rare = merge_vocab(
            scan_corpus(corpus, min_count=1, lowercase=params["lowercase"], tokenize=params["tokenize"],
                        keep_punctuation=params["keep_punctuation"], threads=threads, progress=progress),
            min_count=params["min_count"], max_vocab=params["max_vocab"], base_words=base.words + old_rare.words,
            base_counts=np.concatenate([base.vocab.counts, old_rare.counts]), keep=len(base))
        del old_rare
        if base.rare is None:  # said once the new text is read: a corpus error is then the only line
            warnings.warn(f"{where} does not keep the counts of the words it left out (it was counted in memory or by "
                          "an earlier version): their occurrences in the old text are not added",
                          stacklevel=2)
        if base is not cooc:
            base._rare = None  # loaded here: its rare words are summed into ``rare`` and not needed again
        t1 = time.perf_counter()
        _compile_counting(enc, dynamic_window=params["dynamic_window"], spill=True,
                          harmonic=params["weighting"] == "harmonic", progress=progress)
        t2 = time.perf_counter()
        stored = _store.StoredRows(base.matrix, [vocab.word_to_id[w] for w in base.words], len(vocab))
        info = {"tokens": int(base.info.get("tokens", 0)) + enc.n_tokens}

        def count(out):
            _store.count_to_store(enc, vocab, out, memory=memory, tmp_dir=tmp_dir, params=params, threads=threads,
                                  progress=progress, info=info, base=stored, rare=rare)

        c = _stored(count, output, tmp_dir)
    c.timings = {"scan": t1 - t0, "compile": t2 - t1, "count": time.perf_counter() - t2}
    return c
