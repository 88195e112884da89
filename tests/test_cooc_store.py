import errno
import os

import numpy as np
import pytest

from embedkit.cooc import _store, count_cooccurrences, load_cooccurrences, parse_memory
from embedkit.cooc._store import block_tokens_for
from embedkit.errors import EmbedkitError

TINY = 3 << 20  # 3 MiB: dozens of blocks on the sample, and merges of many row ranges


def assert_same_csr(a, b):
    assert a.shape == b.shape
    np.testing.assert_array_equal(np.asarray(a.indptr), np.asarray(b.indptr))
    np.testing.assert_array_equal(np.asarray(a.indices), np.asarray(b.indices))
    np.testing.assert_array_equal(np.asarray(a.data), np.asarray(b.data))
    assert a.data.dtype == b.data.dtype == np.float32


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


@pytest.mark.parametrize("weighting", ["uniform", pytest.param("harmonic", marks=pytest.mark.slow)])
def test_tiny_bound_equals_in_memory(sample_scan, tmp_path, weighting):
    vocab, enc = sample_scan
    expected = count_cooccurrences(sample_scan, window=2, weighting=weighting).matrix
    out = tmp_path / "cooc"
    count_cooccurrences(sample_scan, output=out, memory=TINY, tmp_dir=tmp_path, window=2, weighting=weighting,
                        threads=2)
    c = load_cooccurrences(out)
    assert_same_csr(c.matrix, expected)
    assert c.words == vocab.words and (c.vocab.counts == vocab.counts).all()
    assert c.params["window"] == 2 and c.params["weighting"] == weighting and c.info["tokens"] == enc.n_tokens
    assert c.info["spilled_runs"] > 20 and c.info["spill_bytes"] > 0
    assert not c.matrix.data.flags.owndata and not c.matrix.indices.flags.owndata  # memory-mapped
    assert sorted(os.listdir(tmp_path)) == ["cooc"]  # spill folder and staging folder gone


@pytest.mark.slow  # spills the whole sample twice
def test_dynamic_window_and_sampling_match(sample_scan, tmp_path):
    kw = dict(window=3, dynamic_window=True, sample=1e-3, seed=5)
    c = count_cooccurrences(sample_scan, memory=TINY, tmp_dir=tmp_path, **kw)
    assert not c.matrix.data.flags.owndata and c.path is None  # a temporary memory-mapped matrix
    assert_same_csr(c.matrix, count_cooccurrences(sample_scan, **kw).matrix)
    folder = os.listdir(tmp_path)
    assert len(folder) == 1 and folder[0].startswith("embedkit-cooc-")
    del c
    import gc

    gc.collect()
    assert os.listdir(tmp_path) == []  # removed with the matrix


@pytest.mark.slow
def test_replaces_an_earlier_store_but_not_other_folders(sample_scan, tmp_path):
    out = tmp_path / "cooc"
    count_cooccurrences(sample_scan, output=out, memory=64 << 20, window=1)
    count_cooccurrences(sample_scan, output=out, memory=64 << 20, window=2)
    assert load_cooccurrences(out).params["window"] == 2
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with pytest.raises(EmbedkitError, match="not a co-occurrence folder"):
        count_cooccurrences(sample_scan, output=other, memory=64 << 20)
    assert os.listdir(other) == ["keep.txt"]


@pytest.mark.slow
def test_full_disk_gives_one_error_and_leaves_nothing(sample_scan, tmp_path, monkeypatch):
    def full(*args, **kw):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "x.idx"))

    monkeypatch.setattr(_store, "merge_runs", full)
    spill = tmp_path / "spill"
    spill.mkdir()
    with pytest.raises(EmbedkitError, match="no space left on .* while writing the co-occurrence folder"):
        count_cooccurrences(sample_scan, output=tmp_path / "cooc", memory=TINY, tmp_dir=spill)
    assert sorted(os.listdir(tmp_path)) == ["spill"] and os.listdir(spill) == []


def test_unwritable_tmp_dir(sample_scan, tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    with pytest.raises(EmbedkitError, match="cannot create a spill folder"):
        count_cooccurrences(sample_scan, output=tmp_path / "cooc", memory=TINY, tmp_dir=not_a_folder / "sub")
    assert not (tmp_path / "cooc").exists()


@pytest.mark.slow
def test_several_files_equal_one_folder(sample_path, tmp_path):
    import lzma

    lines = lzma.open(sample_path, "rt", encoding="utf-8").read().splitlines(keepends=True)[:120]
    parts = tmp_path / "parts"
    parts.mkdir()
    for k in range(3):
        (parts / f"p{k}.txt").write_text("".join(lines[k * 40:(k + 1) * 40]), encoding="utf-8")
    files = sorted(str(p) for p in parts.iterdir())
    count_cooccurrences(parts, output=tmp_path / "one", window=3, weighting="harmonic", memory=16 << 20)
    count_cooccurrences(files, output=tmp_path / "many", window=3, weighting="harmonic", memory=16 << 20)
    a, b = load_cooccurrences(tmp_path / "one"), load_cooccurrences(tmp_path / "many")
    assert a.words == b.words and (a.vocab.counts == b.vocab.counts).all()
    assert_same_csr(a.matrix, b.matrix)


# ---------------------------------------------------------------- CLI
@pytest.fixture(scope="module")
def cli_cooc(run, tmp_path_factory, sample_path):
    out = tmp_path_factory.mktemp("cli") / "cooc"
    r = run("cooc", str(sample_path), "-o", str(out), "--window", "5", "--memory", "4M",
                                 "--max-vocab", "3000")
    assert r.exit_code == 0, r.output
    return out


@pytest.mark.slow
def test_cli_cooc_then_ppmi_svd_equals_direct_training(run, cli_cooc, sample_path, tmp_path):
    from embedkit.vectors import Vectors

    args = ["--dim", "16", "--threads", "1", "-o"]
    r1 = run("train", "ppmi-svd", "--cooc", str(cli_cooc), *args, str(tmp_path / "a.txt"))
    r2 = run("train", "ppmi-svd", str(sample_path), "--max-vocab", "3000", "--memory", "5M",
                                  *args, str(tmp_path / "b.txt"))
    r3 = run("train", "ppmi-svd", str(sample_path), "--max-vocab", "3000", *args,
                                  str(tmp_path / "c.txt"))
    assert r1.exit_code == r2.exit_code == r3.exit_code == 0, r1.output + r2.output + r3.output
    a, b, c = (Vectors.load(tmp_path / f"{x}.txt") for x in "abc")
    assert a.words == b.words == c.words
    np.testing.assert_array_equal(a.matrix, c.matrix)
    np.testing.assert_array_equal(b.matrix, c.matrix)


@pytest.mark.parametrize("source", ["cooc", "memory"])
@pytest.mark.slow
def test_cli_glove_from_cooc_or_bounded_memory(run, cli_cooc, sample_path, tmp_path, source):
    from embedkit.vectors import Vectors

    args = (["--cooc", str(cli_cooc)] if source == "cooc"
            else [str(sample_path), "--max-vocab", "3000", "--memory", "4M", "--tmp-dir", str(tmp_path),
                  "--window", "2"])
    r = run("train", "glove", *args, "--dim", "8", "--epochs", "2", "-o", str(tmp_path / "g.txt"))
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
    (["cooc", "{sample}", "-o", "{tmp}/c", "--tmp-dir", "{tmp}/file/sub"], "--tmp-dir"),  # checked before the scan
    (["cooc", "{sample}", "-o", "{tmp}/file"], "is a file"),
    (["cooc", "{sample}", "-o", "{tmp}/c", "--weighting", "cosine"], "--weighting"),
    (["train", "glove", "--cooc", "{cooc}", "--window", "10", "-o", "{tmp}/v.txt"],
     "counted with window=5, not window=10"),
    (["train", "ppmi-svd", "--cooc", "{cooc}", "--min-count", "3", "-o", "{tmp}/v.txt"],
     "counted with min_count=5, not min_count=3"),
    (["train", "ppmi-svd", "--cooc", "{cooc}", "--max-vocab", "20", "-o", "{tmp}/v.txt"],
     "counted with max_vocab=3000, not max_vocab=20"),
    (["train", "ppmi-svd", "--cooc", "{cooc}", "--lowercase", "-o", "{tmp}/v.txt"],
     "counted with lowercase=False, not lowercase=True"),
    (["train", "ppmi-svd", "--cooc", "{cooc}", "--dynamic-window", "-o", "{tmp}/v.txt"],
     "counted with dynamic_window=False, not dynamic_window=True"),
    (["train", "ppmi-svd", "--cooc", "{cooc}", "--sample", "1e-4", "-o", "{tmp}/v.txt"],
     "counted with sample=0.0, not sample=0.0001"),
    (["train", "glove", "--cooc", "{cooc}", "--tmp-dir", "{tmp}", "-o", "{tmp}/v.txt"],
     "--tmp-dir applies with --memory"),
    (["train", "ppmi-svd", "--cooc", "{cooc}", "--dim", "5000", "-o", "{tmp}/v.txt"],
     "dim must be <= the vocabulary size (3000 words), got 5000"),
])
@pytest.mark.slow
def test_cli_bad_input(assert_one_line_error, run, sample_path, cli_cooc, tmp_path, args, message):
    (tmp_path / "file").write_text("x")
    args = [a.format(tmp=tmp_path, sample=sample_path, cooc=cli_cooc) for a in args]
    r = run(*args)
    assert_one_line_error(r)
    assert message in r.stderr
    assert not (tmp_path / "c").exists() and not (tmp_path / "v.txt").exists()
    assert sorted(os.listdir(tmp_path)) == ["file"]


def test_cli_counting_options_that_match_the_store_are_fine(run, cli_cooc, tmp_path):
    r = run("train", "ppmi-svd", "--cooc", str(cli_cooc), "--window", "5", "--min-count", "5",
                                 "--max-vocab", "3000", "--dim", "4", "-o", str(tmp_path / "v.txt"))
    assert r.exit_code == 0, r.output
    assert r.stderr.strip() == "" or "Warning" not in r.stderr


def test_cli_an_older_store_warns_that_it_cannot_check(run, cli_cooc, tmp_path):
    import json
    import shutil

    old = tmp_path / "old"
    shutil.copytree(cli_cooc, old)
    meta = json.loads((old / "meta.json").read_text())
    (old / "meta.json").write_text(json.dumps({k: meta[k] for k in ("format", "shape", "nnz", "window",
                                                                   "weighting", "tokens")}))
    (old / "MANIFEST.json").unlink()  # stores of that age had no checksums either
    r = run("train", "ppmi-svd", "--cooc", str(old), "--min-count", "3", "--dim", "4",
                                 "-o", str(tmp_path / "v.txt"))
    assert r.exit_code == 0, r.output
    assert r.stderr.count("Warning:") == 1 and "does not record min_count" in r.stderr


@pytest.mark.slow
def test_cli_cooc_records_every_option(run, sample_path, tmp_path):
    out = tmp_path / "c"
    r = run("cooc", str(sample_path), "-o", str(out), "--window", "3", "--weighting", "harmonic",
                                 "--dynamic-window", "--sample", "1e-3", "--min-count", "40", "--max-vocab", "700",
                                 "--lowercase", "--seed", "9", "--memory", "64M", "--tokenize", "words",
                                 "--keep-punctuation")
    assert r.exit_code == 0, r.output
    assert load_cooccurrences(out).params == {"window": 3, "weighting": "harmonic", "dynamic_window": True,
                                              "sample": 1e-3, "min_count": 40, "max_vocab": 700, "lowercase": True,
                                              "tokenize": "words", "keep_punctuation": True, "seed": 9}


@pytest.mark.parametrize("trainer", ["ppmi-svd", "glove"])
def test_fitting_a_folder_in_memory_lets_its_pages_go(trainer, sample_path, tmp_path, mapped_kb, monkeypatch):
    """Fitted in memory, a folder's counts are read once (into the PPMI copy, or GloVe's records):
    their pages then leave resident memory, not held through the SVD or the epochs."""
    from embedkit import glove, ppmi_svd

    count_cooccurrences(sample_path, window=5, min_count=2, output=tmp_path / "f")
    c = load_cooccurrences(tmp_path / "f")
    if mapped_kb(tmp_path / "f") is None:
        pytest.skip("needs /proc/self/smaps")
    assert c.matrix.nnz * 8 > 4 << 20  # over 4 MB of stored counts, all read by the fit
    module, name = (ppmi_svd, "_randomized_svd") if trainer == "ppmi-svd" else (glove, "fit_entries")
    seen, real = [], getattr(module, name)

    def then(*args, **kw):  # the step after the counts were read: the SVD, the epochs
        seen.append(mapped_kb(tmp_path / "f"))
        return real(*args, **kw)

    monkeypatch.setattr(module, name, then)
    if trainer == "ppmi-svd":
        ppmi_svd.fit_ppmi_svd(c, dim=4, n_iter=1)
    else:
        glove.fit_glove(c, dim=4, epochs=1)
    assert len(seen) == 1 and seen[0] < 512, seen  # KB of the folder's files still resident


def _forge(src, dst, name, change):
    """A copy of the folder ``src`` with ``name`` changed by ``change`` and signed again: damage its
    checksums cannot see."""
    import json
    import shutil

    from embedkit._integrity import write_manifest

    shutil.copytree(src, dst)
    files = list(json.loads((dst / "MANIFEST.json").read_text())["files"])
    (dst / "MANIFEST.json").unlink()
    path = dst / name
    if name == "meta.json":
        meta = json.loads(path.read_text())
        meta.update(change)
        path.write_text(json.dumps(meta))
    else:
        a = np.load(path)
        change(a)
        np.save(path, a)
    write_manifest(dst, files)
    return dst


@pytest.mark.parametrize("name,change,msg", [
    ("indices.npy", lambda a: a.__setitem__(3, 10 ** 6), "a column index outside"),
    ("indices.npy", lambda a: a.__setitem__(slice(0, 2), a[1::-1].copy()), "columns out of order within a row"),
    ("indptr.npy", lambda a: a.__setitem__(10, a[-1] + 100), "row pointers are not in order"),
    ("data.npy", lambda a: a.__setitem__(slice(None), -1), "not a finite number above 0"),
    ("data.npy", lambda a: a.__setitem__(7, np.nan), "not a finite number above 0"),
    ("meta.json", {"window": "abc"}, "meta.json is damaged: window must be an integer"),
    ("meta.json", {"window": -5}, "meta.json is damaged: window must be >= 1"),
    ("meta.json", {"weighting": "cubic"}, "meta.json is damaged: weighting must be one of"),
])
def test_a_folder_damaged_and_signed_again_is_one_error(tmp_path, name, change, msg):
    """Each of these crashed a trainer (a segfault, or glibc's double free) or passed as valid counts."""
    src = tmp_path / "c"
    count_cooccurrences("data/sample.txt.xz", window=3, min_count=50, output=src)
    load_cooccurrences(src)  # the original is fine
    bad = _forge(src, tmp_path / "bad", name, change)
    with pytest.raises(EmbedkitError, match=msg):
        load_cooccurrences(bad)


def test_structure_check_passes_on_every_row_block(tmp_path):
    """The check runs in blocks of rows (memory-mapped pages let go of): a valid folder passes at any block size."""
    src = tmp_path / "c"
    m = count_cooccurrences("data/sample.txt.xz", window=3, min_count=50, output=src).matrix
    for block in (1, 7, 1000, 1 << 20):
        _store.check_csr(m, src, block=block)
