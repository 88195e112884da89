"""Counting on a Dask LocalCluster gives exactly the single-machine matrix (skipped without the dask extra)."""

import lzma
import os
import time

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

from embedkit.cooc import count_cooccurrences, load_cooccurrences  # noqa: E402
from embedkit.errors import EmbedkitError  # noqa: E402

MEMORY = 12 << 20  # two or three blocks per partition


@pytest.fixture(scope="module")
def parts(tmp_path_factory, sample_path):
    """The sample cut into 5 files at line ends (every file end is a sentence end)."""
    lines = lzma.open(sample_path, "rt", encoding="utf-8").read().splitlines(keepends=True)
    folder = tmp_path_factory.mktemp("parts")
    cuts = np.linspace(0, len(lines), 6).astype(int)
    for k in range(5):
        (folder / f"part{k}.txt").write_text("".join(lines[cuts[k]:cuts[k + 1]]), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0")
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.mark.slow  # a Dask cluster
def test_dask_equals_single_machine(parts, client, tmp_path):
    # harmonic weights over several files are checked (serially, same per-file code) in test_cooc_store
    kw = dict(window=4, weighting="uniform", min_count=3, max_vocab=8000, memory=MEMORY)
    count_cooccurrences(parts, output=tmp_path / "single", **kw)
    count_cooccurrences(parts, output=tmp_path / "dask", dask=client, **kw)
    a, b = load_cooccurrences(tmp_path / "single"), load_cooccurrences(tmp_path / "dask")
    assert a.words == b.words and (a.vocab.counts == b.vocab.counts).all() and len(a.words) == 8000
    for name in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(np.asarray(getattr(a.matrix, name)), np.asarray(getattr(b.matrix, name)))
    assert b.info["partitions"] == 5 and b.info["tokens"] == a.info["tokens"]
    assert a.params == b.params
    # the words left out, kept for adding new text later: the same words and summed counts
    assert len(b.rare) > 1000 and b.rare.words == a.rare.words and (b.rare.counts == a.rare.counts).all()
    assert b.info["rare_words"] == len(a.rare)
    assert sorted(os.listdir(tmp_path)) == ["dask", "single"]


@pytest.mark.slow  # a Dask cluster
def test_dask_without_output_and_refused_options(parts, client, tmp_path):
    c = count_cooccurrences(parts, dask=client, window=2, min_count=3, tmp_dir=tmp_path)
    single = count_cooccurrences(parts, window=2, min_count=3)
    assert c.words == single.words and (c.matrix != single.matrix).nnz == 0 and c.path is None
    for kw in ({"dynamic_window": True}, {"sample": 1e-3}):
        with pytest.raises(EmbedkitError, match="does not support dynamic_window or sample"):
            count_cooccurrences(parts, dask=client, **kw)
    with pytest.raises(EmbedkitError, match="not a scanned"):
        from embedkit.vocab import scan_corpus

        count_cooccurrences(scan_corpus(parts), dask=client)


def test_unreachable_scheduler_fails_fast(parts, tmp_path, monkeypatch):
    monkeypatch.setattr("embedkit.cooc._dask.CONNECT_TIMEOUT", 1.0)
    t0 = time.perf_counter()
    with pytest.raises(EmbedkitError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9 within 1 s"):
        count_cooccurrences(parts, output=tmp_path / "c", dask="tcp://127.0.0.1:9")
    assert time.perf_counter() - t0 < 15
    assert not (tmp_path / "c").exists()


def test_cli_unreachable_scheduler_is_one_line(run, parts, tmp_path, monkeypatch):
    monkeypatch.setattr("embedkit.cooc._dask.CONNECT_TIMEOUT", 1.0)
    r = run("cooc", str(parts), "-o", str(tmp_path / "c"), "--dask", "tcp://127.0.0.1:9")
    assert r.exit_code == 1 and r.stderr.count("\n") == 1 and isinstance(r.exception, SystemExit)
    assert "cannot reach the Dask scheduler" in r.stderr and not (tmp_path / "c").exists()


@pytest.mark.slow  # kills a Dask worker
@pytest.mark.skipif(bool(os.environ.get("EMBEDKIT_SKIP_DASK_KILL_TEST")),
                    reason="EMBEDKIT_SKIP_DASK_KILL_TEST is set (the test starts worker processes, ~10-20 s)")
def test_killed_worker_is_retried_and_the_result_is_exact(parts, tmp_path):
    # The worker killed holds the global vocabulary and is counting a partition: both the
    # vocabulary and the partition must be recomputed. The active memory manager runs every
    # 50 ms here, so extra replicas are dropped at once (with a scattered vocabulary this
    # lost the only copy and cancelled every partition: "already forgotten").
    import signal
    import threading

    import dask

    with dask.config.set({"distributed.scheduler.active-memory-manager.interval": "50ms"}):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=":0")
    client = distributed.Client(cluster)
    killed = []
    try:
        pids = client.run(os.getpid)

        def kill_the_vocabulary_holder():  # as soon as it counts a partition
            while not killed:
                holders = {a for k, ws in client.who_has().items() if "_vocab_or_error" in str(k) for a in ws}
                for addr, keys in client.processing().items():
                    if addr in holders and any("partition_runs" in str(k) for k in keys):
                        os.kill(pids[addr], signal.SIGKILL)
                        killed.append(addr)
                        return
                time.sleep(0.005)

        threading.Thread(target=kill_the_vocabulary_holder, daemon=True).start()
        count_cooccurrences(parts, output=tmp_path / "dask", dask=client, window=4, memory=4 << 20)
    finally:
        killed.append(None)
        client.close()
        cluster.close()
    assert killed[0] is not None
    count_cooccurrences(parts, output=tmp_path / "single", window=4, memory=4 << 20)
    a, b = load_cooccurrences(tmp_path / "single"), load_cooccurrences(tmp_path / "dask")
    assert a.words == b.words
    for name in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(np.asarray(getattr(a.matrix, name)), np.asarray(getattr(b.matrix, name)))


@pytest.mark.slow  # a Dask cluster
def test_dask_empty_corpus_is_the_clients_error(client, tmp_path, caplog):
    from embedkit.errors import EmptyCorpusError

    for k in range(2):
        (tmp_path / f"p{k}.txt").write_text("\n \n", encoding="utf-8")
    with pytest.raises(EmptyCorpusError, match="the corpus is empty"):
        count_cooccurrences(tmp_path, output=tmp_path / "c", dask=client)
    assert "Traceback" not in caplog.text and not (tmp_path / "c").exists()


def test_partition_writes_the_offsets_over_their_memory_mapped_file(parts, tmp_path, monkeypatch):
    """A partition's remap writes the sentence offsets over the ends in the scan's memory-mapped file
    (as scan_corpus does), instead of a new array of 8 bytes per sentence, and counts the same runs."""
    from embedkit.cooc import _dask
    from embedkit.vocab import scan_corpus

    vocab, _ = scan_corpus(parts, min_count=3)
    outs = []
    real = _dask.remap_id_file
    monkeypatch.setattr(_dask, "remap_id_file", lambda *a, **kw: outs.append(kw.get("out")) or real(*a, **kw))
    runs = _dask.partition_runs(str(parts / "part1.txt"), 1, vocab, str(tmp_path), memory=MEMORY, window=4)
    assert runs and len(outs) == 1 and isinstance(outs[0], np.memmap)
    monkeypatch.setattr(_dask, "remap_id_file", lambda *a, **kw: real(*a, **{**kw, "out": None}))
    again = _dask.partition_runs(str(parts / "part1.txt"), 1, vocab, str(tmp_path), memory=MEMORY, window=4)
    assert [r.nnz for r in runs] == [r.nnz for r in again]
    for a, b in zip(runs, again):
        for ext in (".ptr", ".idx", ".val"):
            assert open(a.prefix + ext, "rb").read() == open(b.prefix + ext, "rb").read()
