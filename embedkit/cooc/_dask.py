"""Dask backend: co-occurrence counting on a Dask cluster (the ``dask`` extra of the embedkit-toolkit distribution).

The input files are the partitions. Workers count the words of each file; the client adds
the counts and applies the vocabulary rule (:func:`embedkit.vocab.order_words`), so the
global vocabulary is the single-machine one. Workers then encode their file with the global
ids, count it block by block within ``memory`` bytes and spill sorted runs into a folder that
the workers and the client share (any local folder for ``"local"``). The client merges the
runs into the same on-disk matrix the single-machine path writes. Every corpus file ends a
sentence, so the sum over files is the whole corpus's matrix. A task lost with a worker is
run again by Dask; each attempt writes into its own subfolder and only the runs of finished
tasks are merged. The global vocabulary is itself a task (not scattered data): Dask's
active memory manager keeps one replica of a key, and a scattered key lost with its worker
cannot be recomputed, which cancels every task that needs it; a task's result can.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import numpy as np

from ..corpus import corpus_files
from ..errors import EmbedkitError, EmptyCorpusError, EmptyVocabularyError
from ..vocab import EncodedCorpus, Vocab, build_vocab, order_words, remap_id_file, scan_corpus
from ._store import spill_bytes, spill_folder, spill_runs, write_store

#: seconds to wait for a scheduler before giving up
CONNECT_TIMEOUT = 10.0


def connect(scheduler, *, n_workers=None, processes=True, timeout=None):
    """``(client, cluster)``: a new LocalCluster for ``"local"`` (cluster to close), else the scheduler at that address.

    The LocalCluster has ``n_workers`` single-threaded workers (None: one per core).
    """
    timeout = CONNECT_TIMEOUT if timeout is None else timeout
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        from .._util import install_hint

        raise EmbedkitError(f"counting with Dask needs the dask extra: {install_hint('dask', 'dask distributed')}") \
            from None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=processes,
                               dashboard_address=":0")
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout=f"{timeout}s"), None
    except (OSError, TimeoutError, ValueError) as e:
        raise EmbedkitError(f"cannot reach the Dask scheduler at {scheduler} within {timeout:g} s "
                            f"({type(e).__name__})") from None


def partition_vocab(path, lowercase=False, tokenize="whitespace", keep_punctuation=False):
    """Every word of one file with its count (the per-partition step of a multi-file count)."""
    try:
        v = build_vocab(path, min_count=1, lowercase=lowercase, tokenize=tokenize, keep_punctuation=keep_punctuation)
    except EmptyCorpusError:
        return [], np.zeros(0, np.int64)
    return v.words, v.counts


def global_vocab(pieces, min_count=5, max_vocab=None, keep_rare=False):
    """The vocabulary of summed ``(words, counts)`` pieces, by the single-machine rule; with
    ``keep_rare``, ``(vocab, rare)``: also the words left out, with their summed counts."""
    total = {}
    for words, counts in pieces:
        for w, c in zip(words, counts.tolist()):
            total[w] = total.get(w, 0) + c
    if not total:
        raise EmptyCorpusError("the corpus is empty (no tokens)")
    words = list(total)
    counts = np.array([total[w] for w in words], dtype=np.int64)
    order = order_words(words, counts, min_count=min_count, max_vocab=max_vocab)
    if len(order) == 0:
        raise EmptyVocabularyError("word", min_count)
    vocab = Vocab([words[k] for k in order.tolist()], counts[order])
    if not keep_rare:
        return vocab
    left = np.setdiff1d(np.arange(len(words)), order, assume_unique=True)
    return vocab, Vocab.ordered([words[k] for k in left.tolist()], counts[left])


def _vocab_or_error(pieces, min_count, max_vocab):
    """``global_vocab(keep_rare=True)`` as a task: an EmbedkitError (an empty corpus or vocabulary)
    is returned, not raised, so that the client raises it as its own one-line error and no worker
    logs it."""
    try:
        return global_vocab(pieces, min_count, max_vocab, keep_rare=True)
    except EmbedkitError as e:
        return e


def _first(pair):
    """The vocabulary of ``_vocab_or_error``'s result, for the tasks that count (None after an error)."""
    return pair[0] if isinstance(pair, tuple) else None


def partition_runs(path, k, vocab, folder, *, memory, window=5, weighting="uniform", lowercase=False,
                   tokenize="whitespace", keep_punctuation=False, threads=None):
    """Encode one file with the global ``vocab`` and spill its counts as runs in ``folder``.

    Each call writes into a fresh subfolder, so a task that is run again (after a lost
    worker) never mixes its files with an earlier attempt's. Returns the list of ``Run``.
    """
    sub = tempfile.mkdtemp(prefix=f"part{k:05d}-", dir=folder)
    try:
        local, enc = scan_corpus(path, min_count=1, lowercase=lowercase, tokenize=tokenize,
                                 keep_punctuation=keep_punctuation, cache_dir=os.path.join(sub, "enc"))
    except EmptyCorpusError:
        return []
    word_to_id = {w: i for i, w in enumerate(vocab.words)}
    remap = np.array([word_to_id.get(w, -1) for w in local.words], dtype=np.int32)
    # the offsets are written over the sentence ends in their memory-mapped file, as scan_corpus does
    n, offsets = remap_id_file(enc.ids.filename, enc.n_tokens, enc.offsets[1:], remap, out=enc.offsets)
    del enc
    if n == 0:
        return []
    ids = np.memmap(os.path.join(sub, "enc", "ids.int32"), np.int32, "r", shape=(n,))
    runs = spill_runs(EncodedCorpus(ids, offsets, np.asarray(vocab.counts, np.int64)), sub, memory=memory,
                      window=window, weighting=weighting, threads=threads)
    del ids
    shutil.rmtree(os.path.join(sub, "enc"), ignore_errors=True)
    return runs


def count_on_dask(corpus, output, *, scheduler, params, memory, tmp_dir, threads, progress, client=None,
                  n_workers=None, processes=True, timeout=None):
    """Count the files of ``corpus`` on a Dask cluster into the co-occurrence folder ``output``.

    ``params`` are the checked counting parameters (no dynamic window or subsampling); each
    task counts within ``memory`` bytes with ``threads`` Numba threads.
    """
    paths = [corpus] if isinstance(corpus, (str, os.PathLike)) else list(corpus)
    files = [os.path.abspath(f) for f in corpus_files(paths)]
    if any(os.path.basename(f) == "-" for f in files):
        raise EmbedkitError("stdin ('-') cannot be counted with Dask")
    cluster = None
    if client is None:
        client, cluster = connect(scheduler, n_workers=n_workers, processes=processes, timeout=timeout)
    try:
        tokens = {k: params[k] for k in ("lowercase", "tokenize", "keep_punctuation")}
        pieces = client.map(partition_vocab, files, **tokens, pure=False)
        both = client.submit(_vocab_or_error, pieces, params["min_count"], params["max_vocab"], pure=False)
        result = both.result()
        if isinstance(result, Exception):
            raise result
        vocab, rare = result
        vocab_task = client.submit(_first, both, pure=False)  # the workers take the vocabulary alone
        with spill_folder(tmp_dir) as spill:
            futures = [client.submit(partition_runs, f, k, vocab_task, spill, memory=memory,
                                     window=params["window"], weighting=params["weighting"],
                                     **tokens, threads=threads, pure=False)
                       for k, f in enumerate(files)]
            runs = [r for part in client.gather(futures) for r in part]
            missing = [r.prefix for r in runs if not os.path.exists(r.prefix + ".ptr")]
            if missing:
                raise EmbedkitError(f"spill file {missing[0]}.ptr written by a worker is not visible here: "
                                    "tmp_dir must be a folder shared by the workers and this machine")
            info = {"tokens": vocab.n_tokens, "spilled_runs": len(runs), "spill_bytes": spill_bytes(runs),
                    "partitions": len(files)}
            return write_store(output, runs, vocab, memory=memory, params=params, info=info, progress=progress,
                               rare=rare)
    finally:
        if cluster is not None:
            client.close()
            cluster.close()
