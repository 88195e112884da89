import errno
import os

import numpy as np
import pytest
from click.testing import CliRunner

from embedkit import cooc_store
from embedkit.cli import cli
from embedkit.cooc import count_cooccurrences
from embedkit.cooc_store import (block_tokens_for, count_corpus, count_cooccurrences_bounded, count_to_disk,
                                 load_cooc, parse_memory)
from embedkit.errors import EmbedkitError

TINY = 3 << 20  # 3 MiB: dozens of blocks on the sample, and merges of many row ranges


def assert_same_csr(a, b):
    assert a.shape == b.shape
    np.testing.assert_array_equal(np.asarray(a.indptr), np.asarray(b.indptr))
    np.testing.assert_array_equal(np.asarray(a.indices), np.asarray(b.indices))
    np.testing.assert_array_equal(np.asarray(a.data), np.asarray(b.data))
    assert a.data.dtype == b.data.dtype == np.float32


def one_error_line(result):
    lines = result.stderr.strip().splitlines()
    return len(lines) == 1 and lines[0].startswith("Error:") and "Traceback" not in result.output


@pytest.mark.parametrize("text, value", [("512M", 512 << 20), ("2G", 2 << 30), ("1.5G", 3 << 29), ("64k", 65536),
                                         ("4096", 4096), ("1GiB", 1 << 30), (" 3 mb ", 3 << 20)])
def test_parse_memory(text, value):
    assert parse_memory(text) == value


@pytest.mark.parametrize("text", ["", "G", "1.5X", "-1G", "0", "two"])
def test_parse_memory_rejects(text):
    with pytest.raises(EmbedkitError, match="memory"):
        parse_memory(text)


def test_block_size_follows_the_bound():
    small = block_tokens_for(TINY, 13705, 5, n_threads=2)
    assert 0 < small < 40_000  # the sample (947,711 tokens) becomes dozens of blocks
    assert block_tokens_for(1 << 30, 13705, 5, n_threads=2) > 100 * small
    assert block_tokens_for(TINY, 13705, 5, n_threads=2, nnz_per_token=2.0) > 2 * small  # measured ratio
    with pytest.raises(EmbedkitError, match="too small"):
        block_tokens_for(1 << 16, 13705, 5)


@pytest.mark.parametrize("weighting", ["uniform", "harmonic"])
def test_tiny_bound_equals_in_memory(sample_scan, tmp_path, weighting):
    vocab, enc = sample_scan
    expected = count_cooccurrences(enc, window=2, weighting=weighting)
    out = tmp_path / "cooc"
    count_to_disk(enc, vocab, out, memory=TINY, tmp_dir=tmp_path, window=2, weighting=weighting, threads=2)
    c = load_cooc(out)
    assert_same_csr(c.matrix, expected)
    assert c.words == vocab.words and (c.vocab.counts == vocab.counts).all()
    assert c.meta["window"] == 2 and c.meta["weighting"] == weighting and c.meta["tokens"] == enc.n_tokens
    assert c.meta["spilled_runs"] > 20 and c.meta["spill_bytes"] > 0
    assert not c.matrix.data.flags.owndata and not c.matrix.indices.flags.owndata  # memory-mapped
    assert sorted(os.listdir(tmp_path)) == ["cooc"]  # spill folder and staging folder gone


def test_dynamic_window_and_sampling_match(sample_scan, tmp_path):
    vocab, enc = sample_scan
    kw = dict(window=3, dynamic_window=True, sample=1e-3, seed=5)
    m = count_cooccurrences_bounded(enc, memory=TINY, tmp_dir=tmp_path, **kw)
    assert_same_csr(m, count_cooccurrences(enc, **kw))


def test_replaces_an_earlier_store_but_not_other_folders(sample_scan, tmp_path):
    vocab, enc = sample_scan
    out = tmp_path / "cooc"
    count_to_disk(enc, vocab, out, memory=64 << 20, window=1)
    count_to_disk(enc, vocab, out, memory=64 << 20, window=2)
    assert load_cooc(out).meta["window"] == 2
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with pytest.raises(EmbedkitError, match="not a co-occurrence folder"):
        count_to_disk(enc, vocab, other, memory=64 << 20)
    assert os.listdir(other) == ["keep.txt"]


def test_full_disk_gives_one_error_and_leaves_nothing(sample_scan, tmp_path, monkeypatch):
    vocab, enc = sample_scan

    def full(*args, **kw):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "x.idx"))

    monkeypatch.setattr(cooc_store, "_merge_rows", full)
    spill = tmp_path / "spill"
    spill.mkdir()
    with pytest.raises(EmbedkitError, match="No space left on device"):
        count_to_disk(enc, vocab, tmp_path / "cooc", memory=TINY, tmp_dir=spill)
    assert sorted(os.listdir(tmp_path)) == ["spill"] and os.listdir(spill) == []


def test_unwritable_tmp_dir(sample_scan, tmp_path):
    vocab, enc = sample_scan
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    with pytest.raises(EmbedkitError, match="cannot create a spill folder"):
        count_to_disk(enc, vocab, tmp_path / "cooc", memory=TINY, tmp_dir=not_a_folder / "sub")
    assert not (tmp_path / "cooc").exists()


def test_several_files_equal_one_folder(sample_path, tmp_path):
    import lzma

    lines = lzma.open(sample_path, "rt", encoding="utf-8").read().splitlines(keepends=True)[:120]
    parts = tmp_path / "parts"
    parts.mkdir()
    for k in range(3):
        (parts / f"p{k}.txt").write_text("".join(lines[k * 40:(k + 1) * 40]), encoding="utf-8")
    files = sorted(str(p) for p in parts.iterdir())
    count_corpus(parts, tmp_path / "one", window=3, weighting="harmonic", memory=16 << 20)
    count_corpus(files, tmp_path / "many", window=3, weighting="harmonic", memory=16 << 20)
    a, b = load_cooc(tmp_path / "one"), load_cooc(tmp_path / "many")
    assert a.words == b.words and (a.vocab.counts == b.vocab.counts).all()
    assert_same_csr(a.matrix, b.matrix)


# ---------------------------------------------------------------- CLI
@pytest.fixture(scope="module")
def cli_cooc(tmp_path_factory, sample_path):
    out = tmp_path_factory.mktemp("cli") / "cooc"
    r = CliRunner().invoke(cli, ["cooc", str(sample_path), "-o", str(out), "--window", "5", "--memory", "4M",
                                 "--max-vocab", "3000"])
    assert r.exit_code == 0, r.output
    return out


def test_cli_cooc_then_ppmi_svd_equals_direct_training(cli_cooc, sample_path, tmp_path):
    from embedkit.vectors import Vectors

    args = ["--dim", "16", "--threads", "1", "-o"]
    r1 = CliRunner().invoke(cli, ["train", "ppmi-svd", "--cooc", str(cli_cooc), *args, str(tmp_path / "a.txt")])
    r2 = CliRunner().invoke(cli, ["train", "ppmi-svd", str(sample_path), "--max-vocab", "3000", "--memory", "5M",
                                  *args, str(tmp_path / "b.txt")])
    r3 = CliRunner().invoke(cli, ["train", "ppmi-svd", str(sample_path), "--max-vocab", "3000", *args,
                                  str(tmp_path / "c.txt")])
    assert r1.exit_code == r2.exit_code == r3.exit_code == 0, r1.output + r2.output + r3.output
    a, b, c = (Vectors.load(tmp_path / f"{x}.txt") for x in "abc")
    assert a.words == b.words == c.words
    np.testing.assert_array_equal(a.matrix, c.matrix)
    np.testing.assert_array_equal(b.matrix, c.matrix)


@pytest.mark.parametrize("source", ["cooc", "memory"])
def test_cli_glove_from_cooc_or_bounded_memory(cli_cooc, sample_path, tmp_path, source):
    from embedkit.vectors import Vectors

    args = (["--cooc", str(cli_cooc)] if source == "cooc"
            else [str(sample_path), "--max-vocab", "3000", "--memory", "4M", "--tmp-dir", str(tmp_path),
                  "--window", "2"])
    r = CliRunner().invoke(cli, ["train", "glove", *args, "--dim", "8", "--epochs", "2", "-o", str(tmp_path / "g.txt")])
    assert r.exit_code == 0, r.output
    assert len(Vectors.load(tmp_path / "g.txt")) == 3000
    if source == "cooc":  # counted with uniform weights: said once
        assert "counted with uniform weighting" in r.stderr


@pytest.mark.parametrize("args, message", [
    (["train", "ppmi-svd", "-o", "{tmp}/v.txt"], "CORPUS or --cooc"),
    (["train", "ppmi-svd", "{sample}", "--cooc", "{tmp}", "-o", "{tmp}/v.txt"], "CORPUS or --cooc"),
    (["train", "glove", "--cooc", "{tmp}", "-o", "{tmp}/v.txt"], "not a co-occurrence folder"),
    (["cooc", "{sample}", "-o", "{tmp}/c", "--memory", "lots"], "--memory"),
    (["cooc", "{sample}", "-o", "{tmp}/c", "--memory", "100k"], "too small"),
    (["cooc", "{sample}", "-o", "{tmp}/c", "--tmp-dir", "{tmp}/file/sub"], "cannot create a spill folder"),
    (["cooc", "{sample}", "-o", "{tmp}/file"], "is a file"),
])
def test_cli_bad_input(sample_path, tmp_path, args, message):
    (tmp_path / "file").write_text("x")
    args = [a.format(tmp=tmp_path, sample=sample_path) for a in args]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code != 0 and one_error_line(r), r.output
    assert message in r.stderr
    assert not (tmp_path / "c").exists() and not (tmp_path / "v.txt").exists()
    assert sorted(os.listdir(tmp_path)) == ["file"]
