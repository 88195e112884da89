import os
import re
import warnings

import numpy as np
import pytest

from embedkit.errors import EmbedkitError
from embedkit.vocab import Vocab, build_vocab, scan_corpus


def test_order_count_then_word_and_min_count(write_corpus):
    p = write_corpus("b a c b a d\nc b e\n")
    v = build_vocab(p, min_count=2)
    assert v.words == ["b", "a", "c"]
    assert v.counts.tolist() == [3, 2, 2]
    assert build_vocab(p, min_count=1, max_vocab=4).words == ["b", "a", "c", "d"]


def test_encoded_corpus_drops_oov_and_keeps_sentences(write_corpus, tmp_path):
    p = write_corpus("b a x c b\n\ny y\nz\nb a d\n")
    v, enc = scan_corpus(p, min_count=2, cache_dir=tmp_path / "cache")
    assert v.words == ["b", "a", "y"]
    ids = np.asarray(enc.ids)
    sents = [ids[enc.offsets[s]:enc.offsets[s + 1]].tolist() for s in range(enc.n_sentences)]
    assert sents == [[0, 1, 0], [2, 2], [0, 1]]  # the all-OOV line "z" leaves no empty sentence
    assert enc.ids.dtype == np.int32 and not enc.ids.flags.writeable
    assert (tmp_path / "cache" / "ids.int32").stat().st_size == 4 * 7


@pytest.mark.slow
def test_sample_corpus_matches_a_plain_python_count(sample_path, sample_scan):
    import lzma
    from collections import Counter

    text = lzma.open(sample_path, "rt").read()
    counter = Counter(text.split())
    vocab, enc = sample_scan
    expected = sorted(((w, c) for w, c in counter.items() if c >= 5), key=lambda wc: (-wc[1], wc[0]))
    assert vocab.words == [w for w, _ in expected]
    assert vocab.counts.tolist() == [c for _, c in expected]
    assert enc.n_tokens == vocab.counts.sum()
    assert np.bincount(enc.ids, minlength=len(vocab)).tolist() == vocab.counts.tolist()
    assert np.diff(enc.offsets).max() <= 10_000 and np.diff(enc.offsets).min() >= 1
    # long lines are cut every 10,000 tokens of text, then out-of-vocabulary tokens dropped
    first = [w for w in text.split("\n")[0].split()[:10_000] if counter[w] >= 5]
    assert [vocab.words[i] for i in enc.ids[:enc.offsets[1]]] == first


def test_pruning_warns_and_keeps_frequent_words(write_corpus):
    words = " ".join(f"rare{i}" for i in range(300)) + " the" * 50
    p = write_corpus(words + "\n")
    with pytest.warns(UserWarning, match="pruned"):
        v = build_vocab(p, min_count=1, max_distinct=100)
    assert v.words[0] == "the" and v.counts[0] == 50
    assert len(v) < 301


def test_save_load_roundtrip(tmp_path, write_corpus):
    v = build_vocab(write_corpus("a b b c c c\n"), min_count=1)
    v.save(tmp_path / "vocab.txt")
    assert (tmp_path / "vocab.txt").read_text() == "c 3\nb 2\na 1\n"
    w = Vocab.load(tmp_path / "vocab.txt")
    assert w.words == v.words and w.counts.tolist() == v.counts.tolist()


def test_bad_vocab_file(tmp_path):
    (tmp_path / "v.txt").write_text("a 1\nb two\n")
    with pytest.raises(EmbedkitError, match="line 2"):
        Vocab.load(tmp_path / "v.txt")


@pytest.mark.parametrize("kw,msg", [({"min_count": 0}, "min_count must be >= 1"),
                                    ({"max_vocab": 0}, "max_vocab must be >= 1"),
                                    ({"min_count": 1.5}, "min_count must be an integer")])
def test_bad_parameters(write_corpus, kw, msg):
    with pytest.raises(EmbedkitError, match=msg):
        build_vocab(write_corpus("a b\n"), **kw)


def test_empty_corpus_and_empty_vocabulary(write_corpus):
    with pytest.raises(EmbedkitError, match="empty"):
        scan_corpus(write_corpus("   \n\n"))
    with pytest.raises(EmbedkitError, match="lower min_count, now 5"):
        scan_corpus(write_corpus("a b c\n"), min_count=5)


def test_empty_vocabulary_error_names_the_option_and_pickles(tmp_path):
    """The message names ``min_count`` in the library and ``--min-count`` at the command line; a corpus
    name with braces is kept as it is; a pickled error (from a worker process) comes back whole."""
    import pickle

    from embedkit.errors import EmptyVocabularyError, ParameterError

    p = tmp_path / "c{0}.txt"
    p.write_text("a b c\n")
    with pytest.raises(EmptyVocabularyError) as e:
        scan_corpus(p, min_count=3)
    assert isinstance(e.value, ParameterError)
    assert str(e.value) == f"vocabulary is empty: no word of {p} occurs 3 times or more (lower min_count, now 3)"
    assert e.value.cli_message() == str(e.value).replace("lower min_count", "lower --min-count")
    back = pickle.loads(pickle.dumps(e.value))
    assert type(back) is EmptyVocabularyError and back.cli_message() == e.value.cli_message()


@pytest.mark.slow
def test_temporary_cache_is_removed(write_corpus):
    import gc
    import os

    _, enc = scan_corpus(write_corpus("a a b\n"), min_count=1)
    folder = enc.folder
    assert os.path.isdir(folder)
    del enc
    gc.collect()
    assert not os.path.exists(folder)


def test_no_warnings_on_clean_text(sample_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        build_vocab(sample_path, min_count=50)


@pytest.mark.slow
@pytest.mark.parametrize("threads", [1, 2])
def test_remap_in_small_groups_equals_one_pass(write_corpus, tmp_path, threads):
    """The id file is rewritten a group of sentences at a time (by one thread, or split among
    threads); any group size gives the same ids."""
    from embedkit import vocab as vocab_mod

    lines = [" ".join(f"w{(i * 7 + k) % 50}" for k in range(i % 13 + 1)) for i in range(400)]
    p = write_corpus("\n".join(lines) + "\n")
    _, ref = scan_corpus(p, min_count=9, threads=1)
    original = vocab_mod.remap_id_file
    try:
        vocab_mod.remap_id_file = lambda *a, **kw: original(*a, chunk_tokens=5, **kw)
        _, small = scan_corpus(p, min_count=9, threads=threads)
    finally:
        vocab_mod.remap_id_file = original
    assert np.array_equal(np.asarray(small.ids), np.asarray(ref.ids))
    assert np.array_equal(small.offsets, ref.offsets)


@pytest.mark.parametrize("parallel", [False, True])
def test_remap_writes_the_offsets_over_the_ends_it_has_read(tmp_path, parallel):
    """out= the array whose [1:] holds the ends: the offsets overwrite them group by group, with the
    result of a fresh array (random sentences, a third of the ids pruned, groups of 7 tokens)."""
    from embedkit import vocab as vocab_mod

    rng = np.random.default_rng(3)
    lengths = rng.integers(1, 12, 300)
    n = int(lengths.sum())
    ids = rng.integers(0, 9, n).astype(np.int32)
    remap = np.array([0, 1, -1, 2, -1, 3, 4, -1, 5], np.int32)
    results = []
    for in_place in (False, True):
        path = tmp_path / f"ids{in_place}.bin"
        ids.tofile(path)
        bounds = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        w, offsets = vocab_mod.remap_id_file(str(path), n, bounds[1:], remap, chunk_tokens=7, parallel=parallel,
                                             out=bounds if in_place else None)
        results.append((w, offsets.copy(), np.fromfile(path, np.int32)[:w]))
    (w0, o0, i0), (w1, o1, i1) = results
    kept = remap[ids]
    assert w0 == w1 == int((kept >= 0).sum())
    np.testing.assert_array_equal(i0, kept[kept >= 0])
    np.testing.assert_array_equal(i1, i0)
    np.testing.assert_array_equal(o1, o0)
    assert o0[0] == 0 and o0[-1] == w0


def _mapped_kb(path):
    """Resident KB of this process's mappings of ``path`` (/proc/self/smaps)."""
    kb, inside = 0, False
    with open("/proc/self/smaps") as f:
        for line in f:
            if re.match(r"[0-9a-f]+-[0-9a-f]+ ", line):  # a mapping's first line: addresses ... file
                inside = line.rstrip().endswith(str(path))
            elif inside and line.startswith("Rss:"):
                kb += int(line.split()[1])
    return kb


def _record_mapped_kb(monkeypatch, path):
    """A list that gets ``_mapped_kb(path)`` before each group the (one-thread) remap rewrites."""
    from embedkit import vocab as vocab_mod

    seen = []
    original = vocab_mod._remap_ids

    def spy(*a):
        seen.append(_mapped_kb(path))
        return original(*a)

    monkeypatch.setattr(vocab_mod, "_remap_ids", spy)
    return seen


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps"), reason="reads /proc/self/smaps (Linux)")
@pytest.mark.parametrize("sync", [True, False])
def test_remap_releases_the_pages_it_has_read(tmp_path, monkeypatch, sync):
    """Half the tokens are pruned, so the reads run ahead of the writes: the pages between them
    are released too, and the file's resident pages stay at about a group, not the gap (which
    grows with the corpus: 4 bytes per pruned token). Without ``sync`` (a temporary file) the
    written pages are released unwritten, and the file still reads back right."""
    from embedkit import vocab as vocab_mod

    n, group = 1 << 22, 1 << 16  # a 16 MB id file, groups of 256 KB
    path = tmp_path / "ids.bin"
    np.tile(np.array([0, 1], np.int32), n // 2).tofile(path)
    remap = np.array([0, -1], np.int32)
    seen = _record_mapped_kb(monkeypatch, path)
    ends = np.append(np.arange(1000, n, 1000, dtype=np.int64), n)
    w, _ = vocab_mod.remap_id_file(str(path), n, ends, remap, chunk_tokens=group, sync=sync)
    assert w == n // 2 and len(seen) > 20
    # the gap reaches 8 MB by the end; the page cache may map 2 MB folios at once
    assert max(seen) < 3 * 1024, seen
    assert np.array_equal(np.fromfile(path, np.int32)[:w], np.zeros(w, np.int32))


def test_scan_keeps_the_offsets_in_a_file_beside_the_ids(write_corpus, tmp_path):
    """The sentence offsets are memory-mapped from ``offsets.int64`` in the cache folder (no
    per-sentence array in memory), with the values of the lines: 0, then each line's end."""
    p = write_corpus("a b c\nb\nzz\nc a\n\nb b b b\n")
    vocab, enc = scan_corpus(p, min_count=1, cache_dir=tmp_path / "c")
    path = tmp_path / "c" / "offsets.int64"
    assert isinstance(enc.offsets, np.memmap) and os.path.samefile(enc.offsets.filename, path)
    assert enc.offsets.tolist() == [0, 3, 4, 5, 7, 11] and os.path.getsize(path) == 8 * 6
    vocab2, enc2 = scan_corpus(p, min_count=2, cache_dir=tmp_path / "d")  # "zz" pruned: its sentence goes
    assert enc2.offsets.tolist() == [0, 3, 4, 6, 10] and os.path.getsize(tmp_path / "d" / "offsets.int64") == 8 * 5


def test_blockwise_search_equals_numpy():
    """The chunk bounds of large offsets are searched block by block (to keep a memory-mapped
    array out of RSS): the same answers as one ``searchsorted``, on random running totals with
    repeats, targets equal to elements, blocks of 1-7."""
    from embedkit._util import search_blockwise

    rng = np.random.default_rng(5)
    for _ in range(300):
        a = np.concatenate([[0], np.cumsum(rng.integers(0, 4, int(rng.integers(1, 60))))]).astype(np.int64)
        targets = np.sort(rng.integers(0, int(a[-1]) + 2, int(rng.integers(0, 30)))).astype(np.int64)
        block = int(rng.integers(1, 8))
        np.testing.assert_array_equal(search_blockwise(a, targets, block=block), np.searchsorted(a, targets))


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps"), reason="reads /proc/self/smaps (Linux)")
def test_memory_mapped_offsets_stay_out_of_resident_memory(tmp_path, monkeypatch):
    """4M one-to-three-token sentences (a 32 MB offsets file): the remap that writes the offsets over
    the ends, ``longest_sentence``, ``make_chunks`` and the epoch loop (in word2vec's order) each
    leave a few MB of it resident, as they go and after, not the whole file. (A file written by
    ``write()`` sits in 2 MB page-cache folios, and one read maps a whole folio.)"""
    from embedkit import _sgd
    from embedkit._util import drop_pages
    from embedkit import vocab as vocab_mod

    n_sent = 1 << 22
    lengths = np.random.default_rng(0).integers(1, 4, n_sent)
    n = int(lengths.sum())
    ids_path, off_path = tmp_path / "ids.int32", tmp_path / "offsets.int64"
    np.arange(n, dtype=np.int32).__mod__(3).astype(np.int32).tofile(ids_path)
    np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64).tofile(off_path)
    seen = _record_mapped_kb(monkeypatch, off_path)
    bounds = np.memmap(off_path, np.int64, "r+", shape=(n_sent + 1,))
    w, offsets = vocab_mod.remap_id_file(str(ids_path), n, bounds[1:], np.array([0, 1, 2], np.int32),
                                         chunk_tokens=1 << 16, out=bounds)
    assert w == n and len(offsets) == n_sent + 1 and len(seen) > 20
    assert max(seen) < 6 * 1024, seen
    del offsets, bounds
    offsets = np.asarray(np.memmap(off_path, np.int64, "r+", shape=(n_sent + 1,)))  # as word2vec holds them
    assert np.array_equal(offsets, np.concatenate([[0], np.cumsum(lengths)]))  # the remap kept every sentence
    drop_pages(offsets)
    assert _sgd.longest_sentence(offsets, block=1 << 16) == 3
    assert _mapped_kb(off_path) < 1024
    chunks = _sgd.make_chunks(offsets, chunk_tokens=2000)
    assert _mapped_kb(off_path) < 1024 and len(chunks) > 1000
    during = []

    def train_chunks(ks, alphas, rows):
        tokens = 0
        for k in ks:
            tokens += int(np.diff(offsets[chunks[k]:chunks[k + 1] + 1]).sum())
        during.append(_mapped_kb(off_path))
        return 0.5 * tokens, tokens, tokens

    ids = np.memmap(ids_path, np.int32, "r", shape=(n,))
    _sgd.run_epochs(train_chunks, offsets, chunks, epochs=2, alpha=0.025, min_alpha=0.0001, threads=1, desc="t",
                    progress=False, ids=ids, syn0=np.zeros(2, np.float32), ceiling=10.0,
                    sample=1e-3, streams=(np.zeros(len(chunks) - 1, np.uint64),))
    assert len(during) > 20 and max(during) < 6 * 1024, during
    assert _mapped_kb(off_path) < 1024


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps"), reason="reads /proc/self/smaps (Linux)")
def test_counting_keeps_memory_mapped_offsets_out_of_resident_memory(write_corpus, tmp_path):
    """Co-occurrence counting, in memory (``iter_blocks``) and spilled (``spill_runs``), block by
    block over 1.5M two-token lines (a 12 MB offsets file): a few MB of it resident at each block."""
    from embedkit.cooc._count import iter_blocks
    from embedkit.cooc._store import spill_runs

    p = write_corpus("a b\nb c\nc a\n" * 500_000)
    _, enc = scan_corpus(p, min_count=1, cache_dir=tmp_path / "c")
    path = tmp_path / "c" / "offsets.int64"
    assert os.path.getsize(path) == 8 * 1_500_001
    seen = [_mapped_kb(path) for _ in iter_blocks(enc, window=2, weighting="uniform", dynamic_window=False,
                                                 sample=0.0, seed=1, threads=1, block_tokens=1 << 17)]
    assert len(seen) > 15 and max(seen) < 6 * 1024, seen
    os.makedirs(tmp_path / "runs")
    spill_runs(enc, str(tmp_path / "runs"), memory=8 << 20, window=2, threads=1)
    assert _mapped_kb(path) < 6 * 1024


# ---------------------------------------------------------------- resolve_corpus: every kind of corpus
@pytest.mark.slow
def test_resolve_corpus_takes_a_path_a_list_and_a_scanned_pair(write_corpus, tmp_path):
    from embedkit.vocab import EncodedCorpus, resolve_corpus

    a = write_corpus("a b\nb c\n", "a.txt")
    b = write_corpus("c c d\n", "b.txt")
    va, ea = resolve_corpus(a, min_count=1)
    assert va.words == ["b", "a", "c"] and isinstance(ea, EncodedCorpus)
    vab, eab = resolve_corpus([b, a], min_count=1)  # read in the order given, not sorted
    assert vab.words == ["c", "b", "a", "d"]
    ids = np.asarray(eab.ids)
    assert [vab.words[i] for i in ids] == ["c", "c", "d", "a", "b", "b", "c"]
    assert eab.n_sentences == 3
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "x.txt").write_text("d d\n")
    vf, _ = resolve_corpus((a, folder), min_count=2)  # a tuple of paths, a folder inside
    assert vf.words == ["b", "d"]
    pair = scan_corpus(a, min_count=1)
    same = resolve_corpus(pair, min_count=99)  # a scanned pair is used as it is
    assert same[0] is pair[0] and same[1] is pair[1]


@pytest.mark.parametrize("bad, message", [
    (42, "got int"),
    (None, "got NoneType"),
    ([], "list of corpus paths is empty"),
    (["a.txt", 3], "got list holding int"),
])
def test_resolve_corpus_rejects_other_kinds(bad, message):
    from embedkit.vocab import resolve_corpus

    with pytest.raises(EmbedkitError, match=message):
        resolve_corpus(bad)


def test_resolve_corpus_rejects_a_broken_pair(write_corpus):
    from embedkit.vocab import resolve_corpus

    v, enc = scan_corpus(write_corpus("a b c a\n"), min_count=1)
    with pytest.raises(EmbedkitError, match="second item is str"):
        resolve_corpus((v, "ids"))
    with pytest.raises(EmbedkitError, match="does not match"):
        resolve_corpus((Vocab(["a"], np.array([2])), enc))


def test_missing_file_in_a_list_is_named(write_corpus, tmp_path):
    from embedkit.vocab import resolve_corpus

    with pytest.raises(EmbedkitError, match="corpus not found: .*nope.txt"):
        resolve_corpus([write_corpus("a b\n"), tmp_path / "nope.txt"])


# ---------------------------------------------------------------- the parallel scan: the serial scan's result
def _texts():
    """Edge inputs, each (text, scan options)."""
    rng = np.random.default_rng(21)
    words = [f"w{i}" for i in range(40)] + ["é", "ü_x", "a\u00a0b", "x" * 150]  # one token longer than a piece
    seps = [" ", " ", " ", "  ", "\t", "\r", "\n", "\n\n", " \n ", "\n \t\n"]
    mixed = "".join(str(rng.choice(words)) + str(rng.choice(seps)) for _ in range(600))
    one_line = " ".join(str(rng.choice(words)) for _ in range(600))  # text8-style: no newline at all
    distinct = " ".join(f"d{int(rng.zipf(1.3)) % 5000}" for _ in range(600)) + "\n"
    return {
        "mixed": (mixed, {}),
        "mixed, cut every 3 tokens": (mixed, {"max_sentence_length": 3}),
        "one line, no newline": (one_line, {}),
        "one line, cut every 7 tokens": (one_line, {"max_sentence_length": 7}),
        "blank lines only between": ("\n\n a b \n\t\n\r\n c\n\n" * 40 + "a", {}),
        "pruned while counting": (distinct, {"max_distinct": 30}),
    }


@pytest.fixture
def parallel_calls(monkeypatch):
    """Small pieces (64 bytes), every piece after the first tokenized by the threads, which count
    the first 8 ids themselves (the later ones are counted in order); the list records each
    parallel call, so that a test sees the parallel path run."""
    import functools

    import numba

    from embedkit import corpus
    from embedkit import vocab as vocab_mod

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("Numba has a single thread here")
    calls = []
    real = vocab_mod._tokenize_parallel
    monkeypatch.setattr(vocab_mod, "_MIN_PART_BYTES", 1)
    monkeypatch.setattr(vocab_mod, "_THREAD_COUNTED", 8)
    monkeypatch.setattr(vocab_mod, "iter_pieces", functools.partial(corpus.iter_pieces, chunk_bytes=64))
    monkeypatch.setattr(vocab_mod, "_tokenize_parallel", lambda *a: calls.append(a[4]) or real(*a))
    return calls


def _scan_record(path, threads, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        vocab, enc = scan_corpus(path, threads=threads, **kw)
    return vocab, enc, [str(w.message) for w in caught]


def _assert_same_scan(a, b):
    (va, ea, wa), (vb, eb, wb) = a, b
    assert va.words == vb.words
    assert va.counts.tolist() == vb.counts.tolist()
    assert np.array_equal(np.asarray(ea.ids), np.asarray(eb.ids))
    assert ea.offsets.tolist() == eb.offsets.tolist()
    assert wa == wb


@pytest.mark.parametrize("name", list(_texts()))
def test_parallel_scan_is_the_serial_scan(write_corpus, parallel_calls, name):
    """Pieces cut into parts at whitespace and tokenized by the threads give the serial scan's
    words, counts, ids, sentence offsets and warnings: blank lines, one line without a newline,
    tokens longer than a piece, sentences cut at max_sentence_length, pruning between pieces."""
    text, kw = _texts()[name]
    p = write_corpus(text)
    serial = _scan_record(p, 1, min_count=1, **kw)
    assert parallel_calls == []
    for threads in (2, 3) if name == "mixed" else (2,):
        _assert_same_scan(_scan_record(p, threads, min_count=1, **kw), serial)
    assert len(parallel_calls) > 5 and max(parallel_calls) >= 2
    assert any("pruned" in w for w in serial[2]) == ("pruned" in name)


def test_parallel_and_serial_pieces_in_turn_write_the_ids_in_order(write_corpus, parallel_calls, monkeypatch):
    """A piece's ids are written while the next piece is looked up; a short piece between two
    long ones goes through the serial kernel, which writes the pending ids first: the id file is
    still the serial scan's, in order."""
    from embedkit import vocab as vocab_mod

    text, _ = _texts()["mixed"]
    p = write_corpus(text)
    serial = _scan_record(p, 1, min_count=1)
    monkeypatch.setattr(vocab_mod, "_MIN_PART_BYTES", 58)  # pieces of 50-64 bytes: some short, some long
    pieces = []
    real = vocab_mod._tokenize
    monkeypatch.setattr(vocab_mod, "_tokenize", lambda *a: pieces.append(len(a[0])) or real(*a))
    _assert_same_scan(_scan_record(p, 2, min_count=1), serial)
    assert len(parallel_calls) > 5 and len(pieces) > 5  # both kinds of piece, many times


def test_parallel_scan_of_the_sample_is_the_serial_scan(sample_path, monkeypatch):
    """The bundled sample at the default piece size: threads=2 is threads=1, and the parallel
    path ran (every piece after the first); the id file was remapped by the threads too."""
    import numba

    from embedkit import vocab as vocab_mod

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("Numba has a single thread here")
    serial = _scan_record(sample_path, 1, min_count=5)
    calls = []
    for name in ("_tokenize_parallel", "_remap_group"):
        real = getattr(vocab_mod, name)
        monkeypatch.setattr(vocab_mod, name, lambda *a, _real=real, _name=name: calls.append(_name) or _real(*a))
    _assert_same_scan(_scan_record(sample_path, 2, min_count=5), serial)
    assert calls.count("_tokenize_parallel") >= 3 and "_remap_group" in calls
