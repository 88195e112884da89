"""Co-occurrence counting on a Dask cluster (the ``embedkit[dask]`` extra).

The input files are the partitions. Workers count the words of each file; the client adds
the counts and applies ``scan_corpus``'s rule (``min_count``, count descending with ties by
word, ``max_vocab``), so the global vocabulary is the single-machine one. Workers then encode
their file with the global ids, count it block by block within ``memory`` bytes and spill
sorted runs into a folder that the workers and the client share (any local folder for
``"local"``). The client merges the runs into the same on-disk matrix the single-machine
path writes (:mod:`embedkit.cooc_store`). Every corpus file ends a sentence, so the sum over
files is the whole corpus's matrix. A task lost with a worker is run again by Dask; each
attempt writes into its own subfolder and only the runs of finished tasks are merged.
"""

from __future__ import annotations

import os

from ._util import check_int
from .cooc_store import (DEFAULT_MEMORY, _check, corpus_file_list, global_vocab, partition_runs, partition_vocab,
                         spill_bytes, spill_folder, write_store)
from .errors import EmbedkitError

#: seconds to wait for a scheduler before giving up
CONNECT_TIMEOUT = 10.0


def connect(scheduler, *, n_workers=None, processes=True, timeout=CONNECT_TIMEOUT):
    """``(client, cluster)``: a new LocalCluster for ``"local"`` (cluster to close), else the scheduler at that address.

    The LocalCluster has ``n_workers`` single-threaded workers (None: one per core).
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise EmbedkitError("counting with Dask needs the dask extra: pip install 'embedkit[dask]'") from None
    if scheduler == "local":
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=processes,
                               dashboard_address=":0")
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout=f"{timeout}s"), None
    except (OSError, TimeoutError, ValueError) as e:
        raise EmbedkitError(f"cannot reach the Dask scheduler at {scheduler} within {timeout:g} s "
                            f"({type(e).__name__})") from None


def count_corpus_dask(corpus, output, *, scheduler="local", window=5, weighting="uniform", min_count=5,
                      max_vocab=None, lowercase=False, memory=DEFAULT_MEMORY, tmp_dir=None, threads=1, n_workers=None,
                      processes=True, timeout=None, client=None, progress=False):
    """Count a corpus on a Dask cluster into a co-occurrence folder equal to :func:`count_corpus`'s.

    Parameters
    ----------
    corpus : str, Path or list of them
        Files or folders; each file is one partition (split a big file to spread the work).
    output : str or Path
        Folder written as by :func:`embedkit.cooc_store.count_corpus` (atomically).
    scheduler : str, default="local"
        ``"local"`` starts a LocalCluster of ``n_workers`` processes (None: one per core;
        threads when ``processes=False``); otherwise a scheduler address such as ``tcp://host:8786``,
        reached within ``timeout`` seconds (default: ``CONNECT_TIMEOUT``, 10).
    window, weighting, min_count, max_vocab, lowercase
        As in :func:`embedkit.cooc_store.count_corpus`.
    memory : int, default=1 GiB
        Bytes of counting buffers per task, and of the final merge on this machine.
    tmp_dir : str or None, default=None
        Spill folder; with a remote scheduler it must be shared by the workers and this machine.
    threads : int, default=1
        Numba threads per task.
    client : distributed.Client or None
        Use this client (``scheduler`` is then ignored).
    progress : bool, default=False
        Show the merge's progress bar.

    Returns
    -------
    str
        ``output``.
    """
    _check(memory, window, weighting)
    check_int("min_count", min_count, min=1)
    check_int("threads", threads, min=1)
    files = [os.path.abspath(f) for f in corpus_file_list(corpus)]
    if any(os.path.basename(f) == "-" for f in files):
        raise EmbedkitError("stdin ('-') cannot be counted with Dask")
    cluster = None
    if client is None:
        client, cluster = connect(scheduler, n_workers=n_workers, processes=processes,
                                  timeout=CONNECT_TIMEOUT if timeout is None else timeout)
    try:
        pieces = client.gather(client.map(partition_vocab, files, lowercase=lowercase, pure=False))
        vocab = global_vocab(pieces, min_count, max_vocab)
        words, counts = client.scatter([vocab.words, vocab.counts], broadcast=True)
        with spill_folder(tmp_dir) as spill:
            futures = [client.submit(partition_runs, f, k, words, counts, spill, memory=memory, window=window,
                                     weighting=weighting, lowercase=lowercase, threads=threads, pure=False)
                       for k, f in enumerate(files)]
            runs = [r for part in client.gather(futures) for r in part]
            missing = [r.prefix for r in runs if not os.path.exists(r.prefix + ".ptr")]
            if missing:
                raise EmbedkitError(f"spill file {missing[0]}.ptr written by a worker is not visible here: "
                                    "--tmp-dir must be a folder shared by the workers and this machine")
            return write_store(output, runs, vocab, memory=memory, window=window, weighting=weighting,
                               n_tokens=vocab.n_tokens, progress=progress, spilled_runs=len(runs), spill_bytes=spill_bytes(runs),
                               partitions=len(files))
    finally:
        if cluster is not None:
            client.close()
            cluster.close()
