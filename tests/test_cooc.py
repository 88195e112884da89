import numpy as np
import pytest

from embedkit._rng import hash_uniform
from embedkit.cooc import _WINDOW_SALT, WEIGHTINGS, count_cooccurrences, keep_probabilities
from embedkit.errors import EmbedkitError
from embedkit.vocab import EncodedCorpus
from reference import cooc_reference


def make_corpus(seed=0, n_sent=40, vocab=12):
    rng = np.random.default_rng(seed)
    sents = [rng.zipf(1.6, size=rng.integers(1, 30)) % vocab for _ in range(n_sent)]
    ids = np.concatenate(sents).astype(np.int32)
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in sents])]).astype(np.int64)
    counts = np.bincount(ids, minlength=vocab).astype(np.int64)
    return EncodedCorpus(ids, offsets, counts), [s.tolist() for s in sents]


@pytest.mark.parametrize("weighting", WEIGHTINGS)
@pytest.mark.parametrize("window", [1, 3, 7])
def test_matches_reference(weighting, window):
    enc, sents = make_corpus()
    x = count_cooccurrences(enc, window=window, weighting=weighting)
    ref = cooc_reference(sents, enc.vocab_size, window, weighting)
    np.testing.assert_allclose(x.toarray(), ref, rtol=1e-6)
    assert x.dtype == np.float32 and x.has_sorted_indices
    assert (x != x.T).nnz == 0


@pytest.mark.parametrize("weighting", WEIGHTINGS)
def test_dynamic_window_matches_reference(weighting):
    enc, sents = make_corpus(1)
    seed, window = 7, 5
    x = count_cooccurrences(enc, window=window, weighting=weighting, dynamic_window=True, seed=seed)
    windows, p = [], 0
    for s in sents:
        windows.append([1 + int(hash_uniform(seed ^ _WINDOW_SALT, p + k) * window) for k in range(len(s))])
        p += len(s)
    ref = cooc_reference(sents, enc.vocab_size, window, weighting, windows)
    np.testing.assert_allclose(x.toarray(), ref, rtol=1e-6)
    assert {b for w in windows for b in w} == set(range(1, window + 1))


def test_subsampling_matches_reference():
    enc, sents = make_corpus(2, n_sent=60, vocab=30)
    seed, sample = 3, 1e-2
    keep = keep_probabilities(enc.counts, sample)
    assert keep.min() < 0.5 and keep.max() == 1.0
    x = count_cooccurrences(enc, window=2, sample=sample, seed=seed)
    kept, p = [], 0
    for s in sents:
        kept.append([t for k, t in enumerate(s) if not (keep[t] < 1 and hash_uniform(seed, p + k) >= keep[t])])
        p += len(s)
    np.testing.assert_allclose(x.toarray(), cooc_reference(kept, enc.vocab_size, 2), rtol=1e-6)


def test_blocks_and_threads_give_the_same_matrix(sample_scan):
    _, enc = sample_scan
    a = count_cooccurrences(enc, window=3, weighting="harmonic", threads=1)
    b = count_cooccurrences(enc, window=3, weighting="harmonic", threads=2)
    assert (a != b).nnz == 0  # thread count never changes a bit
    c = count_cooccurrences(enc, window=3, weighting="harmonic", block_tokens=100_000)
    # blocks: the same cells, sums rounded in another order
    assert np.array_equal(c.indptr, a.indptr) and np.array_equal(c.indices, a.indices)
    np.testing.assert_allclose(c.data, a.data, rtol=1e-6)


def test_sample_total_weight(sample_scan):
    # every ordered pair of positions at distance <= 2 inside a sentence, counted once
    _, enc = sample_scan
    x = count_cooccurrences(enc, window=2)
    lengths = np.diff(enc.offsets)
    expected = sum(2 * max(0, n - d) for n in lengths for d in (1, 2))
    assert x.sum(dtype=np.float64) == expected


@pytest.mark.parametrize("kw,msg", [({"window": 0}, "window must be >= 1"),
                                    ({"weighting": "cosine"}, "weighting must be one of"),
                                    ({"sample": -1.0}, "sample must be >= 0"),
                                    ({"threads": 0}, "threads must be >= 1"),
                                    ({"dynamic_window": "yes"}, "dynamic_window")])
def test_bad_parameters(kw, msg):
    enc, _ = make_corpus()
    with pytest.raises(EmbedkitError, match=msg):
        count_cooccurrences(enc, **kw)
