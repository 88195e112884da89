"""GloVe: kernel vs NumPy reference, records, shuffling, reproducibility, quality, CLI errors."""

import os

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

from embedkit import EmbedkitError
from embedkit.cooc import Cooccurrence, count_cooccurrences
from embedkit.errors import TrainingDivergedError
from embedkit.glove import (ENTRY, SHUFFLES, VECTORS, _adagrad_epoch, _shuffle_rows, cooc_entries, fit_glove,
                            init_params, records_on_disk, train_glove)
from embedkit.result import TrainResult
from embedkit.vocab import Vocab
from embedkit._rng import seed_states

from reference import glove_epoch_reference

FAST = dict(dim=8, epochs=2, threads=1)


@pytest.fixture(scope="session")
def sample_cooc(sample_scan):
    return count_cooccurrences(sample_scan, window=10, weighting="harmonic")


@pytest.fixture(scope="session")
def sample_glove(sample_cooc):
    """Trained once: dim 50, 15 epochs, learning rate 0.2 (converges in 15 epochs), with its per-epoch costs."""
    r = fit_glove(sample_cooc, dim=50, epochs=15, learning_rate=0.2, threads=2)
    return r.vectors, r.losses


def _entries(rows, cols, x, x_max=100.0, weight_power=0.75):
    m = sp.csr_matrix((np.asarray(x, np.float32), (rows, cols)), shape=(6, 6))
    return cooc_entries(m, x_max=x_max, weight_power=weight_power)


# ---------------------------------------------------------------- kernels
def test_entries_hold_log_and_weight():
    e = _entries([0, 0, 2, 5], [1, 5, 2, 0], [3.0, 250.0, 0.5, 100.0], x_max=100.0, weight_power=0.75)
    assert e.dtype == ENTRY and e.itemsize == 16
    assert e["row"].tolist() == [0, 0, 2, 5] and e["col"].tolist() == [1, 5, 2, 0]
    assert_allclose(e["logx"], np.log([3.0, 250.0, 0.5, 100.0]), rtol=1e-6)
    assert_allclose(e["weight"], [(3 / 100) ** 0.75, 1.0, (0.5 / 100) ** 0.75, 1.0], rtol=1e-5)


def test_epoch_matches_reference():
    rng = np.random.default_rng(3)
    n = 12  # a handful of entries over 6 words, so rows repeat and updates depend on earlier ones
    rows = rng.integers(0, 6, n).astype(np.int32)
    cols = rng.integers(0, 6, n).astype(np.int32)
    e = np.zeros(n, ENTRY)
    e["row"], e["col"] = rows, cols
    e["logx"] = rng.uniform(-1, 4, n)
    e["weight"] = rng.uniform(0.05, 1, n)
    params, gradsq = init_params(6, 7, seed=5)
    params *= 20  # larger than the default init, so the updates are not tiny
    ref_p, ref_g, ref_cost = glove_epoch_reference(rows, cols, e["logx"], e["weight"], params, gradsq, lr=0.05)
    cost = _adagrad_epoch(e, params, gradsq, 6, np.float32(0.05), 1)
    assert_allclose(params, ref_p, rtol=1e-5, atol=1e-7)
    assert_allclose(gradsq, ref_g, rtol=1e-5)
    assert_allclose(cost, ref_cost, rtol=1e-5)


def test_shuffle_is_a_seeded_permutation():
    def shuffled(seed, n=1000):
        e = np.zeros(n, ENTRY)
        e["row"] = np.arange(n)
        e["weight"] = np.arange(n)
        _shuffle_rows(e.view(np.uint64).reshape(-1, 2), seed_states(seed, 1))
        return e

    a, b, c = shuffled(1), shuffled(1), shuffled(2)
    assert sorted(a["row"]) == list(range(1000))
    assert (a["row"] == a["weight"]).all()  # records move whole
    assert (a == b).all() and not (a == c).all()
    assert not (a["row"] == np.arange(1000)).all()


# ---------------------------------------------------------------- training
@pytest.mark.slow
def test_threads_1_is_bit_identical(sample_cooc):
    a = fit_glove(sample_cooc, **FAST, seed=7)
    b = fit_glove(sample_cooc, **FAST, seed=7)
    c = fit_glove(sample_cooc, **FAST, seed=8)
    assert np.array_equal(a.vectors.matrix, b.vectors.matrix)
    assert not np.array_equal(a.vectors.matrix, c.vectors.matrix)


@pytest.mark.parametrize("shuffle", SHUFFLES)
@pytest.mark.slow
def test_cost_falls(sample_cooc, shuffle):
    costs = fit_glove(sample_cooc, dim=8, epochs=3, shuffle=shuffle, threads=1).losses
    assert len(costs) == 3 and costs[0] > costs[1] > costs[2] > 0


# ---------------------------------------------------------------- records on disk (memory=)
@pytest.fixture(scope="module")
def small_cooc():
    """1.09M non-zeros over 2,327 words (17 MB of records)."""
    return count_cooccurrences("data/sample.txt.xz", window=5, weighting="harmonic", min_count=50)


@pytest.mark.slow
def test_records_on_disk_are_a_shuffle_of_the_records(small_cooc, tmp_path):
    m = small_cooc.matrix
    # 256 KiB: blocks of 8,192 records, so about 130 blocks are shuffled, written and interleaved
    f = records_on_disk(m, memory=1 << 18, tmp_dir=tmp_path, x_max=100.0, seed=3)
    try:
        assert len(f) == m.nnz and os.path.getsize(f.path) == 16 * m.nnz and len(os.listdir(tmp_path)) == 1
        disk = np.fromfile(f.path, ENTRY)
    finally:
        f.close()
    assert os.listdir(tmp_path) == []
    ref = cooc_entries(m, x_max=100.0)
    key = lambda e: np.argsort(e["row"].astype(np.int64) * len(small_cooc.words) + e["col"], kind="stable")
    assert np.array_equal(disk[key(disk)], ref[key(ref)])
    # shuffled across the whole file, not just within blocks: the first block holds rows from all over
    first = disk["row"][:8192]
    assert first.min() < 20 and first.max() > len(small_cooc.words) - 20


@pytest.mark.parametrize("shuffle", SHUFFLES)
@pytest.mark.slow
def test_on_disk_costs_match_in_memory(small_cooc, tmp_path, shuffle):
    fit = dict(dim=16, epochs=3, learning_rate=0.2, threads=1, seed=5, shuffle=shuffle)
    ram = fit_glove(small_cooc, **fit).losses
    disk = fit_glove(small_cooc, **fit, memory="1M", tmp_dir=tmp_path)
    # measured: within 0.5% per epoch
    assert_allclose(disk.losses, ram, rtol=0.01)
    assert os.listdir(tmp_path) == []
    again = fit_glove(small_cooc, **fit, memory=1 << 20, tmp_dir=tmp_path)
    assert np.array_equal(disk.vectors.matrix, again.vectors.matrix)  # threads=1: bit-identical on disk too


def test_on_disk_records_removed_on_error(small_cooc, tmp_path):
    with pytest.raises(TrainingDivergedError):
        fit_glove(small_cooc, dim=8, epochs=2, learning_rate=1e30, threads=1, memory="1M", tmp_dir=tmp_path)
    assert os.listdir(tmp_path) == []


@pytest.mark.slow
def test_train_glove_on_disk(tmp_path, write_corpus):
    words = np.random.default_rng(0).integers(0, 300, 40_000).astype(str)
    path = write_corpus("\n".join(" ".join(words[i:i + 20]) for i in range(0, len(words), 20)))
    spill = tmp_path / "spill"
    spill.mkdir()
    r = train_glove(path, dim=8, epochs=2, min_count=1, threads=1, memory="256K", tmp_dir=spill)
    assert len(r.losses) == 2 and r.losses[1] < r.losses[0] and os.listdir(spill) == []


@pytest.mark.slow
def test_vectors_word_and_sum(write_corpus):
    assert VECTORS == ("sum", "word")
    path = write_corpus("the cat sat on the mat\nthe dog sat on the log\n" * 30)
    kw = {**FAST, "dim": 6}  # the corpus has 7 words
    word = train_glove(path, min_count=1, vectors="word", **kw)
    both = train_glove(path, min_count=1, vectors="sum", **kw)
    assert isinstance(word, TrainResult) and word.words_per_sec is None
    assert word.vectors.words == both.vectors.words and word.vectors.dim == both.vectors.dim == 6
    assert not np.allclose(word.vectors.matrix, both.vectors.matrix)
    np.testing.assert_allclose(both.vectors.matrix, word.vectors.matrix + word.context.matrix, rtol=1e-6)
    np.testing.assert_array_equal(word.context.matrix, both.context.matrix)
    assert word.vectors.counts is not None and word.vectors.counts[0] == 120  # "the"
    assert list(word.timings) == ["scan", "compile", "count", "entries", "train"]


@pytest.mark.slow  # 15 epochs at dim 50 on the sample
def test_quality_floor(sample_glove):
    from embedkit.eval import evaluate

    v, costs = sample_glove
    assert all(a > b for a, b in zip(costs, costs[1:]))
    s = evaluate(v).summary()
    # measured 0.275-0.293 (seeds 1-3; dim 50, 15 epochs, learning rate 0.2, 2 threads, 1M tokens). Random
    # vectors score 0.009 +- 0.066 (30 seeds, max 0.140), so 0.23 is 3.3 sd above them.
    assert s["WS-353-ALL"] > 0.23


@pytest.mark.parametrize("lr", [1e30, 1e4])
@pytest.mark.slow
def test_divergence_names_the_epoch(sample_cooc, lr):
    # 1e30: the cost is inf at once; 1e4: finite but exploded (2.4e23 before divergence was detected)
    with pytest.raises(TrainingDivergedError, match=r"diverged in epoch 1 \(cost .*\): lower learning_rate") as e:
        fit_glove(sample_cooc, dim=8, epochs=2, learning_rate=lr, threads=1)
    assert e.value.epoch == 1 and e.value.option == "learning_rate" and e.value.value == lr
    assert isinstance(e.value, EmbedkitError)


@pytest.mark.parametrize("lr", [0.05, 0.2])
@pytest.mark.slow
def test_no_false_divergence_at_usual_rates(sample_cooc, lr):
    assert len(fit_glove(sample_cooc, dim=8, epochs=3, learning_rate=lr, threads=1).losses) == 3


def test_fit_glove_checks_the_matrix():
    with pytest.raises(EmbedkitError, match="must be a Cooccurrence"):
        fit_glove(sp.eye(3, format="csr", dtype=np.float32))
    empty = Cooccurrence(sp.csr_matrix((2, 2), dtype=np.float32), Vocab(["a", "b"], [1, 1]))
    with pytest.raises(EmbedkitError, match="empty"):
        fit_glove(empty, dim=2)
    with pytest.raises(EmbedkitError, match=r"dim must be <= the vocabulary size \(2 words\), got 3"):
        fit_glove(empty, dim=3)


def test_uniform_counts_warn(sample_scan):
    c = count_cooccurrences(sample_scan, window=2)
    with pytest.warns(UserWarning, match="counted with uniform weighting; GloVe expects harmonic"):
        fit_glove(c, dim=4, epochs=1, threads=1)


def test_dim_over_max_vocab_is_refused_before_the_scan(tmp_path):
    with pytest.raises(EmbedkitError, match=r"dim must be <= the vocabulary size \(10 words\), got 50"):
        train_glove(tmp_path / "missing.txt", dim=50, max_vocab=10)


# ---------------------------------------------------------------- CLI
def test_cli_trains(run, tmp_path, write_corpus):
    path = write_corpus("the cat sat on the mat\nthe dog sat on the log\n" * 30)
    out = tmp_path / "v.txt"
    r = run("train", "glove", str(path), "-o", str(out), "--min-count", "1", "--dim", "4",
                                 "--epochs", "3", "--threads", "1", "--vectors", "word", "--shuffle", "epoch")
    assert r.exit_code == 0, r.output
    assert out.read_text().splitlines()[0] == "7 4"
    assert "cost per epoch:" in r.stderr
    assert "seconds per stage: scan " in r.stderr and ", compile " in r.stderr  # compilation is its own stage


@pytest.mark.parametrize("args", [
    ["--x-max", "0"], ["--x-max", "-1"], ["--weight-power", "0"], ["--alpha", "0.5"], ["--learning-rate", "0"], ["--learning-rate", "-0.1"],
    ["--window", "0"], ["--epochs", "0"], ["--dim", "0"], ["--shuffle", "never"], ["--vectors", "context"],
    ["--learning-rate", "1e30"],  # diverges: the error names the epoch, no file is written
    ["--dim", "8"],  # more than the 7 words
])
@pytest.mark.slow
def test_cli_bad_input(assert_one_line_error, run, tmp_path, write_corpus, args):
    path = write_corpus("the cat sat on the mat\nthe dog sat on the log\n" * 30)
    out = tmp_path / "v.txt"
    r = run("train", "glove", str(path), "-o", str(out), "--min-count", "1", "--dim", "4",
                                 "--epochs", "2", "--threads", "1", *args)
    assert_one_line_error(r, absent=out)


@pytest.mark.parametrize("lr, shown", [("10000", "cost "), ("1e30", "cost nan")])
@pytest.mark.slow
def test_cli_divergence_is_one_line_naming_the_option(assert_one_line_error, run, tmp_path, sample_path, lr, shown):
    out = tmp_path / "v.txt"
    r = run("train", "glove", str(sample_path), "-o", str(out), "--min-count", "50", "--dim", "8",
                                 "--epochs", "2", "--threads", "1", "--learning-rate", lr)
    assert_one_line_error(r, f"Error: training diverged in epoch 1 ({shown}", code=1, absent=out)
    assert r.stderr.strip().endswith(f"lower --learning-rate ({float(lr):g})")


@pytest.mark.parametrize("shuffle", SHUFFLES)
@pytest.mark.parametrize("vectors", VECTORS)
@pytest.mark.slow
def test_cli_every_choice(run, tmp_path, write_corpus, shuffle, vectors):
    path = write_corpus("the cat sat on the mat\nthe dog sat on the log\n" * 30)
    out = tmp_path / "v.txt"
    r = run("train", "glove", str(path), "-o", str(out), "--min-count", "1", "--dim", "4",
                                 "--epochs", "2", "--threads", "1", "--shuffle", shuffle, "--vectors", vectors,
                                 "--weight-power", "0.5")
    assert r.exit_code == 0, r.output
    assert out.read_text().splitlines()[0] == "7 4"


def test_records_on_disk_let_the_matrix_pages_they_read_go(tmp_path, monkeypatch, mapped_kb):
    """GloVe's records made from a memory-mapped matrix in many small blocks: its resident pages stay
    near one block's (plus what a page fault maps around itself), not the whole matrix's."""
    from embedkit import _util, glove

    V, per_row = 5_000, 400  # 2M entries: 8 MB of indices, 8 MB of values
    np.save(tmp_path / "indices.npy", np.tile(np.arange(per_row, dtype=np.int32) * 12, V))
    np.save(tmp_path / "data.npy", np.ones(V * per_row, np.float32))
    m = sp.csr_matrix((np.load(tmp_path / "data.npy", mmap_mode="r"), np.load(tmp_path / "indices.npy", mmap_mode="r"),
                       np.arange(V + 1, dtype=np.int64) * per_row), shape=(V, V), copy=False)
    if mapped_kb(tmp_path / "indices.npy") is None:
        pytest.skip("needs /proc/self/smaps")
    seen, real = [], glove._build_entries

    def sampled(*args):
        real(*args)
        seen.append(mapped_kb(tmp_path))  # both files (the records are written, not mapped)

    monkeypatch.setattr(glove, "_build_entries", sampled)
    spill = tmp_path / "spill"
    spill.mkdir()
    records = glove.records_on_disk(m, memory=(1 << 14) * glove.BUDGET_PER_RECORD, tmp_dir=spill)  # 16,384 a block
    try:
        assert len(records) == V * per_row and len(seen) > 100
        assert 0 < max(seen) <= 2 * (64 + 2 * _util.FAULT_AROUND // 1024 + 512), seen
    finally:
        records.close()
