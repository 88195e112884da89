"""Adding new text to stored co-occurrences (``add_cooccurrences``, ``embedkit cooc NEW --add DIR``).

The reference is counting from text: the sum must equal a joint count of old and new text where
nothing is lost (min_count 1), and, where the old folder dropped rare words, the stored counts plus
a count of the new text with the words outside the merged vocabulary taken out.
"""

import json
import lzma
import os
import shutil

import numpy as np
import pytest

from embedkit.cooc import add_cooccurrences, count_cooccurrences, load_cooccurrences
from embedkit.corpus import MAX_SENTENCE_LENGTH
from embedkit.errors import EmbedkitError

TINY = 3 << 20  # many row ranges in the merge


@pytest.fixture(scope="module")
def texts(tmp_path_factory, sample_path):
    """Old and new text: sample lines 0-59 and 60-99, each with a few made-up words (see the tests)."""
    lines = lzma.open(sample_path, "rt", encoding="utf-8").read().splitlines()
    d = tmp_path_factory.mktemp("add")
    old, new = d / "old.txt", d / "new.txt"
    old.write_text("\n".join(lines[:60] + ["zyxa zyxa zyxa zyxc"] * 1) + "\n", encoding="utf-8")
    new.write_text("\n".join(lines[60:100] + ["zyxa zyxa zyxa zyxb zyxb zyxb zyxb zyxb"]) + "\n", encoding="utf-8")
    return old, new


def as_dict(c):
    """{(word, word): value} of a Cooccurrence's non-zeros."""
    m = c.matrix.tocoo()
    w = c.words
    return {(w[i], w[j]): v for i, j, v in zip(m.row.tolist(), m.col.tolist(), m.data.tolist())}


@pytest.mark.parametrize("weighting", ["uniform", "harmonic"])
def test_adding_equals_counting_both_texts(texts, tmp_path, weighting):
    old, new = texts
    kw = dict(window=3, weighting=weighting, min_count=1)
    base = count_cooccurrences(old, output=tmp_path / "old", **kw)
    both = add_cooccurrences(tmp_path / "old", new, output=tmp_path / "both", memory=TINY, tmp_dir=tmp_path,
                             threads=2)
    joint = count_cooccurrences([old, new], **kw)
    assert both.words == joint.words  # ordered by summed count, ties by word, as a joint scan orders them
    np.testing.assert_array_equal(both.vocab.counts, joint.vocab.counts)
    assert both.info["tokens"] == joint.info["tokens"] > base.info["tokens"]
    assert both.params == {**base.params}
    np.testing.assert_array_equal(both.matrix.indptr, joint.matrix.indptr)
    np.testing.assert_array_equal(both.matrix.indices, joint.matrix.indices)
    if weighting == "uniform":
        np.testing.assert_array_equal(both.matrix.data, joint.matrix.data)
    else:  # the stored sums were rounded to float32 once before the new ones were added
        np.testing.assert_allclose(both.matrix.data, joint.matrix.data, rtol=2e-7)
    assert sorted(os.listdir(tmp_path)) == ["both", "old"]  # no spill or staging folder left


def counts_of(vocab):
    return dict(zip(vocab.words, vocab.counts.tolist()))


def test_rare_words_of_the_old_text(texts, tmp_path):
    """min_count 5: every old word stays; another word enters on its count summed with the old text's
    (the folder keeps its rare words' counts), with the new text's co-occurrences alone."""
    old, new = texts
    kw = dict(window=2, weighting="uniform", min_count=5)
    base = count_cooccurrences(old, output=tmp_path / "old", **kw)
    everything = counts_of(count_cooccurrences(old, window=2, min_count=1).vocab)
    assert {**counts_of(base.vocab), **counts_of(base.rare)} == everything  # rare.txt: every word left out
    assert len(base.rare) > 1000 and base.info["rare_words"] == len(base.rare)
    both = add_cooccurrences(base, [new], memory=TINY, output=tmp_path / "both")
    assert both.params == base.params
    new_count = counts_of(count_cooccurrences(new, window=2, min_count=1).vocab)
    summed = {w: everything.get(w, 0) + new_count.get(w, 0) for w in set(everything) | set(new_count)}
    expected = {w: c for w, c in summed.items() if w in base.vocab or c >= 5}
    assert counts_of(both.vocab) == expected
    assert counts_of(both.rare) == {w: c for w, c in summed.items() if w not in expected}  # for the next addition
    assert set(base.words) <= set(both.words)
    assert both.vocab.counts[both.vocab.index("zyxa")] == 6  # 3 + 3 occurrences, min_count 5: in (gensim: out)
    assert list(both.vocab.counts) == sorted(both.vocab.counts, reverse=True)
    # a folder that does not keep its rare words: their old counts are lost
    with pytest.warns(UserWarning, match="does not keep the counts of the words it left out"):
        no_rare = add_cooccurrences(count_cooccurrences(old, **kw), new)
    assert "zyxa" not in no_rare.words and "zyxb" in no_rare.words
    assert set(no_rare.words) < set(both.words)
    # the matrix: the stored counts plus the new text's, rare tokens taken out of the new text first
    keep = set(both.words)
    kept = tmp_path / "new-kept.txt"
    pieces = [toks[i:i + MAX_SENTENCE_LENGTH] for toks in map(str.split, new.read_text(encoding="utf-8").splitlines())
              for i in range(0, len(toks), MAX_SENTENCE_LENGTH)]  # long lines cut as the scan cuts them
    kept.write_text("".join(" ".join(t for t in piece if t in keep) + "\n" for piece in pieces), encoding="utf-8")
    expected = as_dict(base)
    for pair, v in as_dict(count_cooccurrences(kept, window=2, min_count=1)).items():
        expected[pair] = expected.get(pair, 0.0) + v
    assert as_dict(both) == expected


def test_added_in_place_and_deterministic_with_draws(texts, tmp_path):
    old, new = texts
    kw = dict(window=4, weighting="harmonic", dynamic_window=True, sample=1e-3, min_count=3, seed=7)
    count_cooccurrences(old, output=tmp_path / "a", **kw)
    count_cooccurrences(old, output=tmp_path / "b", **kw)
    first = add_cooccurrences(tmp_path / "a", new, output=tmp_path / "a2", threads=1)
    again = add_cooccurrences(str(tmp_path / "b"), new, output=tmp_path / "b", threads=2)  # replaces b itself
    assert again.path == str(tmp_path / "b") and first.words == again.words
    assert abs(first.matrix - again.matrix).sum() == 0
    assert load_cooccurrences(tmp_path / "b").info["tokens"] == first.info["tokens"]
    assert sorted(os.listdir(tmp_path)) == ["a", "a2", "b"]
    assert first.params["seed"] == 7 and first.params["dynamic_window"] is True


def test_a_folder_that_does_not_record_how_it_was_counted(texts, tmp_path):
    old, new = texts
    count_cooccurrences(old, output=tmp_path / "old", window=2)
    meta = json.loads((tmp_path / "old" / "meta.json").read_text())
    del meta["tokenize"], meta["lowercase"], meta["checksums"]
    (tmp_path / "old" / "meta.json").write_text(json.dumps(meta))
    (tmp_path / "old" / "MANIFEST.json").unlink()
    with pytest.raises(EmbedkitError, match="does not record lowercase, tokenize"):
        add_cooccurrences(tmp_path / "old", new, output=tmp_path / "out")
    from embedkit.vocab import scan_corpus

    with pytest.raises(EmbedkitError, match="not a scanned"):
        add_cooccurrences(count_cooccurrences(old, window=2), scan_corpus(new))
    assert not (tmp_path / "out").exists()


def test_cli_add_then_continue_glove(run, assert_one_line_error, texts, tmp_path):
    old, new = texts
    a, ab = tmp_path / "a", tmp_path / "ab"
    r = run("cooc", old, "-o", a, "--window", "4", "--weighting", "harmonic", "--min-count", "3")
    assert r.exit_code == 0, r.output
    r = run("train", "glove", "--cooc", a, "--dim", "8", "--epochs", "2", "-o", tmp_path / "g.txt",
            "--save-model", tmp_path / "g.model", "--threads", "1")
    assert r.exit_code == 0, r.output
    from embedkit.modelfile import load_model

    model, folder = load_model(tmp_path / "g.model"), load_cooccurrences(a)
    assert model.rare_words == folder.rare.words and len(model.rare_words) > 1000  # the folder's rare words
    # counting options given must be the folder's; --dask does not apply
    assert_one_line_error(run("cooc", new, "--add", a, "-o", ab, "--window", "5"), "window=4", "window=5",
                          absent=ab)
    assert_one_line_error(run("cooc", new, "--add", a, "-o", ab, "--lowercase"), "lowercase=False", absent=ab)
    assert_one_line_error(run("cooc", new, "--add", a, "-o", ab, "--dask", "local"), "--dask", absent=ab)
    assert_one_line_error(run("cooc", tmp_path / "nope.txt", "--add", a, "-o", ab), "nope.txt", absent=ab)
    (tmp_path / "empty.txt").write_text("")
    assert_one_line_error(run("cooc", tmp_path / "empty.txt", "--add", a, "-o", ab), "empty", absent=ab)
    assert_one_line_error(run("cooc", new, "--add", tmp_path, "-o", ab), "not a co-occurrence folder", absent=ab)
    r = run("cooc", new, "--add", a, "-o", ab, "--window", "4", "--memory", "4M")
    assert r.exit_code == 0, r.output
    assert "new words to the" in r.stderr and "wrote" in r.stderr
    both = load_cooccurrences(ab)
    assert both.params == load_cooccurrences(a).params and len(both) > len(load_cooccurrences(a))
    r = run("train", "glove", "--cooc", ab, "--init", tmp_path / "g.model", "--epochs", "1", "-o",
            tmp_path / "g2.txt", "--threads", "1")
    assert r.exit_code == 0, r.output
    from embedkit.formats import read

    assert len(read(tmp_path / "g2.txt")) == len(both)
    shutil.rmtree(ab)


def test_restrict_to_a_higher_min_count(run, texts, tmp_path):
    """Count once at a low min_count, fit the words seen more often: a leading block of the matrix."""
    old, new = texts
    full = count_cooccurrences(old, output=tmp_path / "f", window=2, min_count=2)
    r = full.restrict(5)
    n = int((full.vocab.counts >= 5).sum())
    assert r.words == full.words[:n] and r.params == {**full.params, "min_count": 5} and r.path is None
    assert abs(r.matrix - full.matrix[:n, :n]).sum() == 0 and r.matrix.nnz > 0
    assert counts_of(r.rare) == {**counts_of(full.rare), **dict(zip(full.words[n:], full.vocab.counts[n:].tolist()))}
    assert list(r.rare.counts) == sorted(r.rare.counts, reverse=True)
    with pytest.raises(EmbedkitError, match="counted with min_count=2: it holds no word seen fewer times"):
        full.restrict(1)
    with pytest.raises(EmbedkitError, match="cannot be added to"):
        add_cooccurrences(r, new)
    r = run("train", "ppmi-svd", "--cooc", tmp_path / "f", "--min-count", "5", "--dim", "4", "-o", tmp_path / "v.txt")
    assert r.exit_code == 0, r.output
    from embedkit.formats import read

    assert len(read(tmp_path / "v.txt")) == n


def test_restrict_above_every_count_names_the_option(assert_one_line_error, run, texts, tmp_path):
    """A --min-count that no word of the folder reaches: one line naming the option (and the folder,
    braces in its name included), not the library's parameter."""
    old, _ = texts
    folder = tmp_path / "c{1}"
    count_cooccurrences(old, output=folder, window=2, min_count=2)
    with pytest.raises(EmbedkitError, match="occurs 10000000 times or more .min_count 10000000."):
        load_cooccurrences(folder).restrict(10 ** 7)
    r = run("train", "ppmi-svd", "--cooc", folder, "--min-count", "10000000", "-o", tmp_path / "v.txt")
    assert_one_line_error(r, f"Error: no word of {folder} occurs 10000000 times or more (--min-count 10000000)")
    assert not (tmp_path / "v.txt").exists()


@pytest.mark.parametrize("leading", [True, False])
def test_restrict_within_memory_equals_the_copy(texts, tmp_path, leading):
    """restrict(memory=) writes the kept rows and columns to a folder in tmp_dir, range of rows by
    range of rows, and maps it: the same matrix as the copy in memory, the folder gone once freed."""
    import gc

    import scipy.sparse as sp

    from embedkit._util import _file_mapping
    from embedkit.cooc import Cooccurrence
    from embedkit.vocab import Vocab

    old, _ = texts
    full = count_cooccurrences(old, output=tmp_path / "f", window=3, min_count=1)
    if not leading:  # the kept words scattered among the others: rows and columns picked, not a block
        counts = full.vocab.counts.copy()
        counts[::3] = 1
        full = Cooccurrence(full.matrix, Vocab(full.words, counts), {**full.params}, rare=full.rare)
    spill = tmp_path / "spill"
    spill.mkdir()
    kept = full.restrict(3, memory=1 << 16, tmp_dir=spill, threads=2)  # ~4,000 entries a range
    copy = full.restrict(3)
    n = int((full.vocab.counts >= 3).sum())
    assert n > 100 and len(kept) == n and (n < len(full) - 1 if leading else n < len(full) * 2 // 3)
    assert kept.words == copy.words and counts_of(kept.rare) == counts_of(copy.rare) and kept.params == copy.params
    assert full.matrix.nnz > 40 * 4000 and kept.matrix.nnz > 4000  # many ranges
    assert kept.matrix.has_sorted_indices and sp.isspmatrix_csr(kept.matrix)
    for name in ("indptr", "indices", "data"):
        np.testing.assert_array_equal(getattr(kept.matrix, name), getattr(copy.matrix, name))
    assert kept.matrix.data.dtype == full.matrix.data.dtype == np.float32
    assert _file_mapping(kept.matrix.indices) is not None and _file_mapping(kept.matrix.data) is not None
    (folder,) = os.listdir(spill)
    assert folder.startswith("embedkit-restrict-")
    del kept
    gc.collect()
    assert os.listdir(spill) == []
    with pytest.raises(EmbedkitError, match="cannot create a spill folder in .*: it is not a folder"):
        full.restrict(3, memory=1 << 16, tmp_dir=tmp_path / "none")


def test_restrict_lets_the_pages_it_read_go(tmp_path, monkeypatch, mapped_kb):
    """A memory-mapped matrix is read range by range: its resident pages stay near one range's (plus
    what a page fault maps around itself), however many ranges are read."""
    import scipy.sparse as sp

    from embedkit import _compile, _util
    from embedkit.cooc import _store

    V, per_row = 5_000, 400  # 2M entries: 8 MB of indices, 8 MB of values
    cols = np.arange(per_row, dtype=np.int32) * 7  # half odd: left out with the odd words
    indptr = np.arange(V + 1, dtype=np.int64) * per_row
    np.save(tmp_path / "indices.npy", np.tile(cols, V))
    np.save(tmp_path / "data.npy", np.ones(V * per_row, np.float32))
    m = sp.csr_matrix((np.load(tmp_path / "data.npy", mmap_mode="r"), np.load(tmp_path / "indices.npy", mmap_mode="r"),
                       indptr), shape=(V, V), copy=False)
    if mapped_kb(tmp_path / "indices.npy") is None:
        pytest.skip("needs /proc/self/smaps")
    seen, calls, real = [], [], _store._kept_entries

    def kernel(*args):
        out = real(*args)
        calls.append(len(args[-1]))
        if len(calls) % 8 == 0:  # after every fourth range's second pass, before its pages go
            seen.append(mapped_kb(tmp_path))  # both arrays
        return out

    monkeypatch.setattr(_store, "_kept_entries", kernel)
    monkeypatch.setattr(_compile, "precompile", lambda *calls: 0)  # it takes the dispatcher, not the wrapper
    out = tmp_path / "out"
    out.mkdir()
    n = _store.restrict_to(m, np.arange(0, V, 2), out, memory=1 << 16, threads=2)  # 4,096 entries a range
    assert n == (V + 1) // 2 * int((cols % 2 == 0).sum()) and len(seen) > 50 and calls[-1] > 0
    range_kb = 4 * (1 << 16) // _store.KEEP_NNZ_BYTES // 1024
    assert 0 < max(seen) <= 2 * (range_kb + 2 * _util.FAULT_AROUND // 1024 + 512), seen


def test_cli_cooc_with_memory_bounds_the_fit(run, texts, tmp_path, monkeypatch):
    """--memory with --cooc: a higher --min-count is restricted within it in --tmp-dir and the fit
    streams from disk; PPMI+SVD gives the vectors of the in-memory route, and nothing is left."""
    from embedkit.cooc import _store
    from embedkit.formats import read

    seen, real = [], _store.restrict_to
    monkeypatch.setattr(_store, "restrict_to", lambda m, keep, folder, **kw: seen.append(
        (os.path.dirname(folder), kw["memory"])) or real(m, keep, folder, **kw))
    old, _ = texts
    count_cooccurrences(old, output=tmp_path / "f", window=3, min_count=1)
    spill = tmp_path / "spill"
    spill.mkdir()
    base = ["train", "ppmi-svd", "--cooc", tmp_path / "f", "--min-count", "3", "--dim", "8", "--threads", "1"]
    assert run(*base, "-o", tmp_path / "a.npy").exit_code == 0
    r = run(*base, "--memory", "64K", "--tmp-dir", spill, "-o", tmp_path / "b.npy")
    assert r.exit_code == 0, r.output
    a, b = read(tmp_path / "a.npy"), read(tmp_path / "b.npy")
    assert a.words == b.words and len(a) == int((load_cooccurrences(tmp_path / "f").vocab.counts >= 3).sum())
    np.testing.assert_allclose(np.abs(b.vectors), np.abs(a.vectors), atol=1e-4)
    r = run("train", "glove", "--cooc", tmp_path / "f", "--window", "3", "--min-count", "3", "--dim", "8",
            "--epochs", "2", "--memory", "64K", "--tmp-dir", spill, "-o", tmp_path / "g.txt")
    assert r.exit_code == 0, r.output
    assert len(read(tmp_path / "g.txt")) == len(a)
    assert os.listdir(spill) == [] and seen == [(str(spill), 64 << 10)] * 2
    r = run("train", "glove", "--cooc", tmp_path / "f", "--tmp-dir", spill, "-o", tmp_path / "h.txt")
    assert r.exit_code != 0 and "--tmp-dir applies with --memory" in r.output and not (tmp_path / "h.txt").exists()


def test_cli_min_count_1_folder_added_to_and_fitted_at_5(run, texts, tmp_path):
    """The route that loses nothing: count at --min-count 1, fit at 5, add, fit at 5 again from the model."""
    old, new = texts
    a1, ab1 = tmp_path / "a1", tmp_path / "ab1"
    for args in (("cooc", old, "-o", a1, "--min-count", "1", "--window", "4", "--weighting", "harmonic"),
                 ("train", "glove", "--cooc", a1, "--min-count", "5", "--dim", "6", "--epochs", "1", "-o",
                  tmp_path / "g.txt", "--save-model", tmp_path / "g.model", "--threads", "1"),
                 ("cooc", new, "--add", a1, "-o", ab1),
                 ("train", "glove", "--cooc", ab1, "--min-count", "5", "--init", tmp_path / "g.model", "--epochs",
                  "1", "-o", tmp_path / "g2.txt", "--threads", "1")):
        r = run(*args)
        assert r.exit_code == 0, r.output
    from embedkit.formats import read

    summed = load_cooccurrences(ab1)
    assert summed.params["min_count"] == 1 and "zyxa" in summed.words
    assert read(tmp_path / "g2.txt").words == summed.words[:int((summed.vocab.counts >= 5).sum())]
    assert "zyxa" in read(tmp_path / "g2.txt").words  # 3 + 3 occurrences: in at 5, with both texts' rows
