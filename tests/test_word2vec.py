import heapq

import numba
import numpy as np
import pytest

from embedkit import _sgd as sgd
from embedkit import word2vec as w2v
from embedkit._rng import seed_states
from embedkit.errors import EmbedkitError
from reference import (XorShift, cbow_update_reference, hs_update_reference, hs_window_reference,
                       sgns_update_reference, shared_negatives_reference, sigmoid_exact, sigmoid_table,
                       word2vec_chunk_reference)


def close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.fixture
def small():
    rng = np.random.default_rng(0)
    return rng.standard_normal((12, 8)).astype(np.float32) * 0.5, rng.standard_normal((12, 8)).astype(np.float32)


# ---------------------------------------------------------------- tables and helpers
def test_sigmoid_tables_are_close_to_exact():
    f = np.linspace(-7.9, 7.9, 5001)
    s = np.array([sigmoid_table(x) for x in f])
    assert np.abs(s - sigmoid_exact(f)).max() < 3.5e-3
    ls = np.array([sgd.log_sigmoid(np.float32(x)) for x in f])
    assert np.abs(ls - np.log(sigmoid_exact(f)))[np.abs(f) < sgd.MAX_EXP].max() < 5e-3


def test_sgns_pair_matches_reference(small):
    syn0, syn1neg = small
    negs = np.array([5, 7, 3, 5, 0], np.int64)  # a repeat, and the target itself (skipped)
    neu1e = np.zeros(8, np.float32)
    out = syn1neg.copy()
    loss = sgd.sgns_pair(syn0, 4, neu1e, out, 3, negs, np.float32(0.1), np.float32(0.5))
    grad, ref, ref_loss = sgns_update_reference(syn0[4], syn1neg, 3, negs, 0.1, sigmoid_table)
    close(neu1e, 0.5 * grad)  # the input's lock factor scales its gradient, not the outputs' updates
    close(out, ref)
    assert loss == pytest.approx(ref_loss, rel=1e-2)


def test_hs_pair_matches_reference(small):
    syn0, syn1 = small
    codes = np.array([[0, 2, 2, 2, 2], [1, 0, 1, 1, 2]], np.uint8)  # 2 pads a path's end
    points = np.array([[3, 0, 0, 0, 0], [10, 4, 2, 4, 0]], np.int32)
    neu1e = np.zeros(8, np.float32)
    out = syn1.copy()
    loss = sgd.hs_pair(syn0, 2, neu1e, out, codes, points, 1, np.float32(0.2), np.float32(0.25))
    grad, ref, ref_loss = hs_update_reference(syn0[2], syn1, [1, 0, 1, 1], [10, 4, 2, 4], 0.2, sigmoid_table)
    close(neu1e, 0.25 * grad)
    close(out, ref)
    assert loss == pytest.approx(ref_loss, rel=1e-2)


def scratch_for(dim, window=3, negative=5, path_len=6, max_len=16):
    """One thread's scratch buffers, as the kernel sees them."""
    s = w2v._allocate_scratch(1, max_len, dim, window, negative, path_len)
    return w2v._Scratch(*(a[0] for a in s))


def config(**kw):
    base = dict(window=3, negative=0, hs=0, skipgram=1, cbow_mean=1, corrected=0, shared_negatives=0, window_update=0)
    base.update({k: int(v) for k, v in kw.items()})
    return w2v._Config(**base)


NO_HS = np.zeros((12, 0), np.uint8), np.zeros((12, 0), np.int32)
# per-row factors on the input rows' updates (lock_init): frozen, partly locked and free rows
LOCKF = np.array([1.0, 0.5, 0.0, 0.25, 1.0, 0.75, 0.5, 1.0, 0.0, 1.0, 0.5, 1.0], np.float32)


@pytest.mark.parametrize("mean,corrected", [(True, False), (True, True), (False, False)])
def test_cbow_step_matches_reference(small, mean, corrected):
    syn0, syn1neg = small
    sen = np.array([4, 1, 9, 2, 1, 6], np.int32)  # centre sen[3] = 2; context word 1 appears twice
    negs = np.array([8, 2, 11], np.int64)
    a, b = syn0.copy(), syn1neg.copy()
    m = w2v._Weights(a, np.zeros((0, 8), np.float32), b, LOCKF)
    tb = w2v._Tables(*NO_HS, np.zeros(1, np.uint64), np.ones(12))
    w2v._cbow_step(m, tb, sen, 0, 6, 3, negs, scratch_for(8), config(negative=3, skipgram=0, cbow_mean=mean,
                                                                     corrected=corrected), np.float32(0.05))
    ref0, ref1, _ = cbow_update_reference(syn0, syn1neg, [4, 1, 9, 1, 6], 2, negs, 0.05, mean, corrected,
                                          sigmoid_table, LOCKF)
    close(a, ref0)
    close(b, ref1)


def test_shared_negatives_window_matches_reference(small):
    syn0, syn1neg = small
    sen = np.array([4, 1, 9, 2, 1, 6], np.int32)
    negs = np.array([8, 2, 8, 0], np.int64)
    a, b = syn0.copy(), syn1neg.copy()
    loss, n_in = w2v._sgns_window(a, LOCKF, b, sen, 1, 6, 3, negs, scratch_for(8, negative=4), np.float32(0.1))
    ref0, ref1, ref_loss = shared_negatives_reference(syn0, syn1neg, [1, 9, 1, 6], 2, negs, 0.1, sigmoid_table,
                                                      LOCKF)
    assert n_in == 4
    close(a, ref0)
    close(b, ref1)
    assert loss == pytest.approx(ref_loss, rel=1e-2)


def test_shared_hs_window_matches_reference(small):
    syn0, syn1 = small
    codes = np.full((12, 5), 2, np.uint8)
    points = np.zeros((12, 5), np.int32)
    codes[2, :4], points[2, :4] = [1, 0, 1, 1], [10, 4, 2, 7]  # centre 2's path
    sen = np.array([4, 1, 9, 2, 1, 6], np.int32)
    a, b = syn0.copy(), syn1.copy()
    loss, n_in = w2v._hs_window(a, LOCKF, b, codes, points, sen, 0, 5, 3, scratch_for(8, path_len=5),
                                np.float32(0.2))
    ref0, ref1, ref_loss = hs_window_reference(syn0, syn1, [4, 1, 9, 1], [1, 0, 1, 1], [10, 4, 2, 7], 0.2,
                                               sigmoid_table, LOCKF)
    assert n_in == 4
    close(a, ref0)
    close(b, ref1)
    assert loss == pytest.approx(ref_loss, rel=1e-2)


CHUNK_CASES = {
    "skipgram-ns": dict(model="skipgram", negative=3),
    "skipgram-shared-negatives": dict(model="skipgram", negative=3, shared_negatives=True),
    "skipgram-hs-pair": dict(model="skipgram", negative=0, hs=True),
    "skipgram-hs-shared": dict(model="skipgram", negative=0, hs=True, shared_hs=True),
    "skipgram-hs-ns-pair": dict(model="skipgram", negative=2, hs=True),
    "skipgram-hs-ns-shared": dict(model="skipgram", negative=2, hs=True, shared_hs=True),
    "cbow-ns-mean": dict(model="cbow", negative=3),
    "cbow-ns-sum": dict(model="cbow", negative=3, cbow_mean=False),
    "cbow-ns-corrected": dict(model="cbow", negative=3, corrected=True),
    "cbow-hs-sum": dict(model="cbow", negative=0, hs=True, cbow_mean=False),
    "cbow-hs-ns-mean": dict(model="cbow", negative=2, hs=True, shared_hs=True),  # shared_hs: no effect on CBOW
}


@pytest.mark.parametrize("case", CHUNK_CASES)
def test_kernel_chunk_matches_reference(case):
    """The whole kernel on one chunk: subsampling, dynamic windows, negatives, every branch, and
    the per-row lock factors (frozen, partly locked and free input rows)."""
    kw = dict(CHUNK_CASES[case])
    model, negative, hs = kw.pop("model"), kw.pop("negative"), kw.pop("hs", False)
    cbow_mean, corrected = kw.pop("cbow_mean", True), kw.pop("corrected", False)
    shared_negatives, shared_hs = kw.pop("shared_negatives", False), kw.pop("shared_hs", False)
    rng = np.random.default_rng(3)
    v, dim, window = 12, 8, 3
    counts = np.sort(rng.integers(1, 60, v))[::-1].astype(np.int64)
    sentences = [rng.choice(v, size=n, p=counts / counts.sum()).astype(np.int32) for n in (9, 1, 14, 5)]
    ids = np.concatenate(sentences)
    ids.setflags(write=False)  # the encoded corpus is a read-only memmap
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in sentences])]).astype(np.int64)
    syn0 = (rng.random((v, dim), dtype=np.float32) - 0.5) / dim
    syn1 = rng.standard_normal((v - 1, dim)).astype(np.float32) * 0.1 if hs else np.zeros((0, dim), np.float32)
    syn1neg = rng.standard_normal((v, dim)).astype(np.float32) * 0.1 if negative else np.zeros((0, dim), np.float32)
    codes, points, lens = w2v.build_huffman(counts) if hs else (*NO_HS, np.zeros(v, np.int32))
    noise = sgd.build_noise_table(counts)
    keep = w2v.keep_probabilities(counts, 0.02)
    assert (keep < 1).any() and (keep == 1).any()
    states = seed_states(7, 1)
    cfg = config(window=window, negative=negative, hs=hs, skipgram=model == "skipgram", cbow_mean=cbow_mean,
                 corrected=corrected, shared_negatives=shared_negatives, window_update=shared_hs)
    ref = word2vec_chunk_reference(sentences, syn0, syn1, syn1neg, codes, lens, points, noise, keep, states[0, 0],
                                   0.05, window, negative, model, hs, cbow_mean, corrected, shared_negatives,
                                   shared_hs, sigmoid_table, LOCKF)
    scratch = w2v._allocate_scratch(numba.config.NUMBA_NUM_THREADS, 14, dim, window, negative, codes.shape[1])
    before = syn0.copy()
    loss, pairs, tokens = w2v._train_chunks(np.zeros(1, np.int64), np.array([0.05]), sgd.Corpus(ids, offsets, np.array([0, 4])),
                                            w2v._Weights(syn0, syn1, syn1neg, LOCKF),
                                            w2v._Tables(codes, points, noise, keep),
                                            scratch, states, cfg, w2v.no_phrases())
    assert tokens == len(ids) and pairs == ref[4] > 10
    frozen = np.flatnonzero(LOCKF == 0)
    assert np.isin(frozen, ids).all()  # frozen rows that the chunk trains ...
    np.testing.assert_array_equal(syn0[frozen], before[frozen])  # ... keep every bit
    np.testing.assert_allclose(syn0, ref[0], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(syn1, ref[1], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(syn1neg, ref[2], rtol=1e-4, atol=1e-6)
    assert loss == pytest.approx(ref[3], rel=1e-2)


LOCK_RUNS = {
    "skipgram-ns": dict(model="skipgram", negative=3),  # the default: negatives shared by the window
    "skipgram-ns-pair": dict(model="skipgram", negative=3, update="pair"),
    "skipgram-hs-ns-window": dict(model="skipgram", negative=2, hs=True, update="window"),
    "skipgram-hs-pair": dict(model="skipgram", negative=0, hs=True, update="pair"),
    "cbow-hs-ns": dict(model="cbow", negative=2, hs=True),
}


@pytest.mark.parametrize("case", [pytest.param(c, marks=() if c == "skipgram-ns" else pytest.mark.slow)
                                  for c in LOCK_RUNS])
def test_lock_init_run_matches_reference(write_corpus, case):
    """train_word2vec(init_vectors=..., lock_init=0.5) on a one-chunk corpus with threads=1 is the
    pure-Python reference trained from the same start with lock factor 0.5 on the rows from the
    file and 1 on the others; frozen (0) rows keep every bit."""
    from embedkit.vectors import Vectors
    from embedkit.vocab import scan_corpus

    kw = LOCK_RUNS[case]
    rng = np.random.default_rng(11)
    words = [f"w{i}" for i in range(10)]
    path = write_corpus("".join(" ".join(rng.choice(words, 8)) + "\n" for _ in range(12)))
    vocab, enc = scan_corpus(path, min_count=1)
    dim, window, alpha = 6, 2, 0.05
    init = Vectors(words[:5], rng.standard_normal((5, dim)).astype(np.float32) * 0.3)
    common = dict(dim=dim, window=window, sample=0.0, epochs=1, threads=1, seed=3, alpha=alpha, **kw)
    got = w2v.train_word2vec((vocab, enc), init_vectors=init, lock_init=0.5, **common).vectors
    # the run's start, tables and chunk RNG state, from the same setup
    start, lock, _ = w2v._start_rows(None, vocab, enc, dim=dim, hs=kw.get("hs", False), negative=kw["negative"],
                                     init_vectors=init, lock_init=0.5)
    corp, m, tb, _, streams, cfg, _ = w2v._setup(
        enc, dim=dim, window=window, negative=kw["negative"], hs=kw.get("hs", False), sample=0.0, seed=3,
        model=kw["model"], cbow_mean=True, cbow_update="word2vec",
        shared_negatives=w2v.resolve_shared_negatives(None, kw["model"], kw["negative"], kw.get("hs", False),
                                                      kw.get("update", "window")),
        update=kw.get("update", "window"), start=start, lock=lock)
    assert len(corp.chunks) == 2 and sorted(set(m.lockf.tolist())) == [0.5, 1.0]
    sentences = [np.asarray(enc.ids[enc.offsets[i]:enc.offsets[i + 1]]) for i in range(len(enc.offsets) - 1)]
    ref = word2vec_chunk_reference(sentences, m.syn0, m.syn1, m.syn1neg, tb.codes, np.sum(tb.codes < 2, axis=1),
                                   tb.points, tb.noise, tb.keep, streams[0][0], alpha, window, kw["negative"],
                                   kw["model"], kw.get("hs", False), shared_negatives=bool(cfg.shared_negatives),
                                   shared_hs=bool(cfg.window_update),
                                   sigmoid=sigmoid_table, lockf=m.lockf)
    np.testing.assert_allclose(got.matrix, ref[0], rtol=1e-4, atol=1e-6)
    for w in init.words:  # the rows from the file trained, at half speed
        assert not np.array_equal(got[w], init[w])
    frozen = w2v.train_word2vec((vocab, enc), init_vectors=init, lock_init=0.0, **common).vectors
    np.testing.assert_array_equal(frozen.matrix[[vocab.word_to_id[w] for w in init.words]], init.matrix)


def huffman_cost(counts):
    heap = [int(c) for c in counts]
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        s = heapq.heappop(heap) + heapq.heappop(heap)
        cost += s
        heapq.heappush(heap, s)
    return cost


@pytest.mark.parametrize("counts", [[5, 3, 2, 1], [1, 1], [10, 10, 10, 10, 10], [3, 50, 7, 7, 1, 900, 2, 2, 40],
                                    list(range(200, 0, -1))])
def test_huffman_codes_are_optimal_and_prefix_free(counts):
    counts = np.array(counts)
    codes, points, lens = w2v.build_huffman(counts)
    words = ["".join(map(str, codes[w, :lens[w]])) for w in range(len(counts))]
    for a in words:  # prefix-free
        assert sum(b.startswith(a) for b in words) == 1
    assert (lens * counts).sum() == huffman_cost(counts)  # optimal total length
    order = np.argsort(-counts, kind="stable")
    assert (np.diff(lens[order]) >= 0).all()  # more frequent, no longer
    assert points.min() >= 0 and points.max() <= len(counts) - 2
    assert all(points[w, 0] == len(counts) - 2 for w in range(len(counts)))  # paths start at the root
    # the same inner node always carries the same row: equal prefixes give equal points
    for a in range(len(counts)):
        for b in range(len(counts)):
            k = 0
            while k < min(lens[a], lens[b]) and codes[a, k] == codes[b, k]:
                assert points[a, k] == points[b, k]
                k += 1


def test_noise_table_probabilities():
    counts = np.array([1000, 300, 300, 40, 9, 1, 1])
    table = sgd.build_noise_table(counts)
    thresh = (table >> np.uint64(32)).astype(np.float64) / 2**32
    alias = (table & np.uint64(0xFFFFFFFF)).astype(np.int64)
    p = np.zeros(len(counts))
    np.add.at(p, np.arange(len(counts)), thresh / len(counts))
    np.add.at(p, alias, (1 - thresh) / len(counts))
    want = counts**0.75 / (counts**0.75).sum()
    np.testing.assert_allclose(p, want, atol=1e-8)
    draws = np.bincount([XorShift(5 + i).noise(table) for i in range(20000)], minlength=len(counts))
    assert np.abs(draws / 20000 - want).max() < 0.015


def test_keep_probabilities_formula():
    counts = np.array([10_000, 1000, 10, 1])
    p = w2v.keep_probabilities(counts, 1e-3)
    st = 1e-3 * counts.sum()
    np.testing.assert_allclose(p, np.minimum((np.sqrt(counts / st) + 1) * st / counts, 1))
    assert p[0] < p[1] < 1 and p[3] == 1
    assert (w2v.keep_probabilities(counts, 0.0) == 1).all()


def test_chunks_cover_every_sentence():
    offsets = np.concatenate([[0], np.cumsum(np.full(50, 3000))]).astype(np.int64)
    chunks = sgd.make_chunks(offsets, 10_000)
    assert chunks[0] == 0 and chunks[-1] == 50 and (np.diff(chunks) > 0).all()
    sizes = np.diff(offsets[chunks])
    assert (sizes[:-1] > 10_000 - 3000).all() and (sizes < 10_000 + 3000).all()


# ---------------------------------------------------------------- training on the sample
FLOORS = {  # trained once per session on data/sample.txt.xz: dim 50, 3 epochs, sample 1e-3, threads 2
    "skipgram-ns": dict(model="skipgram"),
    "cbow-ns": dict(model="cbow"),
    "skipgram-hs": dict(model="skipgram", hs=True, negative=0),
}


@pytest.fixture(scope="session")
def trained(sample_scan):
    return {name: w2v.train_word2vec(sample_scan, dim=50, epochs=3, threads=2, seed=1, **kw)
            for name, kw in FLOORS.items()}


# measured (WS-353, MEN) at 3 epochs: skipgram-ns (0.182, 0.155) [0.173, 0.147 on another run],
# cbow-ns (0.198, 0.184) [0.186, 0.169], skipgram-hs pair by pair (0.451, 0.428) [0.450, 0.424], skipgram-hs
# with the shared-path update, now the default (0.442, 0.435); gensim 4.4 at the same
# settings: skipgram-ns (0.205, 0.178), skipgram-hs (0.480, 0.462). Random vectors score about 0 +- 0.07.
@pytest.mark.slow  # trains 4 models at dim 50 on the sample
@pytest.mark.parametrize("name,ws353,men", [("skipgram-ns", 0.13, 0.10), ("cbow-ns", 0.14, 0.12),
                                            ("skipgram-hs", 0.38, 0.36)])
def test_quality_floor_on_sample(trained, name, ws353, men):
    from embedkit.eval import evaluate

    result = trained[name]
    scores = evaluate(result.vectors).summary()
    assert scores["WS-353-ALL"] > ws353
    assert scores["MEN-TR-3k"] > men
    assert result.losses[-1] < result.losses[0]  # the model learns
    assert all(np.isfinite(result.losses))
    assert result.vectors.matrix.dtype == np.float32 and result.vectors.matrix.shape[1] == 50
    assert (result.context is None) == (name == "skipgram-hs")


@pytest.mark.parametrize("kw", [dict(model="skipgram"), dict(model="cbow", hs=True),
                                dict(model="skipgram", shared_negatives=True),
                                dict(model="skipgram", hs=True, negative=0),
                                dict(model="skipgram", hs=True, negative=2, update="pair")])
@pytest.mark.slow
def test_one_thread_is_bit_identical(sample_head, kw):
    corpus = sample_head()
    a = w2v.train_word2vec(corpus, dim=16, epochs=1, threads=1, seed=3, **kw)
    b = w2v.train_word2vec(corpus, dim=16, epochs=1, threads=1, seed=3, **kw)
    c = w2v.train_word2vec(corpus, dim=16, epochs=1, threads=1, seed=4, **kw)
    np.testing.assert_array_equal(a.vectors.matrix, b.vectors.matrix)
    assert a.losses == b.losses
    assert not np.array_equal(a.vectors.matrix, c.vectors.matrix)


@pytest.mark.parametrize("kw", [dict(model="cbow", cbow_update="corrected"),
                                dict(model="cbow", cbow_mean=False, alpha=0.01),
                                dict(model="skipgram", hs=True, negative=3),
                                dict(model="skipgram", hs=True, negative=3, update="pair"),
                                dict(model="skipgram", hs=True, negative=0, update="pair"),
                                dict(model="skipgram", shared_negatives=True),
                                dict(model="skipgram", sample=0.0)])
@pytest.mark.slow
def test_other_options_learn(sample_head, kw):
    r = w2v.train_word2vec(sample_head(60), dim=16, epochs=2, threads=2, **kw)
    assert r.losses[1] < r.losses[0] and np.isfinite(r.vectors.matrix).all()


@pytest.mark.slow
def test_result_has_every_field(sample_head, sample_scan):
    from embedkit.result import TrainResult

    r = w2v.train_word2vec(sample_head(60), dim=16, epochs=2, threads=1)
    assert isinstance(r, TrainResult)
    assert list(r.timings) == ["setup", "compile", "train"]  # a scanned pair: no scan here
    assert all(t >= 0 for t in r.timings.values()) and len(r.losses) == 2
    assert r.words_per_sec == pytest.approx(2 * int(sample_scan[1].offsets[60]) / r.timings["train"])
    assert r.context.matrix.shape == r.vectors.matrix.shape


@pytest.mark.slow
def test_corpus_kinds_give_the_same_vectors(write_corpus):
    """A path, a list of paths and a scanned pair are the same corpus to the trainer."""
    from embedkit.vocab import scan_corpus

    a = write_corpus("the cat sat on the mat\n" * 30, "a.txt")
    b = write_corpus("a dog ate the log\n" * 30, "b.txt")
    both = write_corpus("the cat sat on the mat\n" * 30 + "a dog ate the log\n" * 30, "ab.txt")
    kw = dict(dim=4, epochs=1, threads=1, min_count=1)
    one = w2v.train_word2vec(both, **kw)
    assert list(one.timings) == ["scan", "setup", "compile", "train"]
    for corpus in ([a, b], scan_corpus([a, b], min_count=1)):
        r = w2v.train_word2vec(corpus, **kw)
        assert r.vectors.words == one.vectors.words
        np.testing.assert_array_equal(r.vectors.matrix, one.vectors.matrix)
    with pytest.raises(EmbedkitError, match="corpus must be a path"):
        w2v.train_word2vec(3.5, **kw)


@pytest.mark.parametrize("model,alpha", [("skipgram", 50.0), ("cbow", 500.0)])
@pytest.mark.slow
def test_divergence_is_an_error_naming_the_epoch(sample_head, model, alpha):
    from embedkit.errors import TrainingDivergedError

    with pytest.raises(TrainingDivergedError, match=rf"training diverged in epoch 1 \(loss .*\): lower alpha \({alpha:g}\)"):
        w2v.train_word2vec(sample_head(200), model=model, dim=16, epochs=2, threads=1, alpha=alpha)


def test_divergence_of_a_wide_window_update_names_the_window(sample_head):
    """Skip-gram's window update moves a centre's outputs by up to 2 x window contexts' gradients at
    once: at --window 300 it diverges at the default rate, and the error names the window too."""
    from embedkit.errors import TrainingDivergedError

    with pytest.raises(TrainingDivergedError, match=r"lower alpha \(0.025\) or lower window \(300\)$") as e:
        w2v.train_word2vec(sample_head(20), model="skipgram", window=300, dim=10, epochs=1, threads=1)
    assert e.value.cli_message().endswith("lower --alpha (0.025) or lower --window (300)")


@pytest.mark.slow
def test_no_pairs_only_when_subsampling_took_every_word(write_corpus):
    # every word is frequent: at sample 1e-9 the keep probability is about 3e-4, so nothing is left
    p = write_corpus("a b\n" * 100)
    with pytest.raises(EmbedkitError, match="no training pairs: every sentence lost its words to subsampling"):
        w2v.train_word2vec(p, dim=2, min_count=1, sample=1e-9, epochs=1)
    r = w2v.train_word2vec(p, dim=2, min_count=1, sample=0.0, epochs=1)  # without subsampling it trains
    assert np.isfinite(r.losses).all()


@pytest.mark.slow
def test_dim_above_vocabulary_size_is_refused(write_corpus):
    p = write_corpus("a b c\n" * 20)
    with pytest.raises(EmbedkitError, match=r"dim must be <= the vocabulary size \(3 words\), got 4"):
        w2v.train_word2vec(p, dim=4, min_count=1)
    assert w2v.train_word2vec(p, dim=3, min_count=1, epochs=1, sample=0.0).vectors.dim == 3


@pytest.mark.parametrize("kw,msg", [
    ({"model": "sg"}, "model must be one of skipgram, cbow"),
    ({"negative": -1}, "negative must be >= 0"),
    ({"negative": 0}, "negative must be >= 1 unless hs"),
    ({"alpha": 0.0}, "alpha must be > 0"),
    ({"min_alpha": 0.5}, "min_alpha must be <= alpha"),
    ({"window": 0}, "window must be >= 1"),
    ({"sample": -1e-3}, "sample must be >= 0"),
    ({"epochs": 0}, "epochs must be >= 1"),
    ({"dim": 0}, "dim must be >= 1"),
    ({"cbow_update": "koan"}, "cbow_update must be one of word2vec, corrected"),
    ({"hs": 1}, "hs must be True or False"),
    ({"shared_negatives": True, "model": "cbow"}, "shared_negatives needs"),
    ({"shared_hs": "yes"}, "shared_hs must be True or False"),
    ({"update": "both"}, "update must be one of window, pair"),
    ({"threads": 0}, "threads must be >= 1"),
    ({"seed": -1}, "seed must be >= 0"),
])
def test_bad_parameters(sample_scan, kw, msg):
    with pytest.raises(EmbedkitError, match=msg):
        w2v.train_word2vec(sample_scan, **kw)


@pytest.mark.slow
def test_corpus_too_small(write_corpus):
    path = write_corpus("a\nb\na\nb\n")
    with pytest.raises(EmbedkitError, match="corpus too small"):
        w2v.train_word2vec(path, min_count=1)
    with pytest.raises(EmbedkitError, match="vocabulary is empty"):
        w2v.train_word2vec(write_corpus("a b c d\n"), min_count=5)


# ---------------------------------------------------------------- command line
TEXT = "\n".join(["the king rules the land and the queen rules the land",
                  "a dog and a cat sat on the mat near the king"] * 30)


@pytest.mark.parametrize("model,extra", [("skipgram", ["--hs", "--save-context", "ctx.txt"]),
                                         pytest.param("skipgram", ["--hs", "--negative", "0", "--update", "pair"],
                                                      marks=pytest.mark.slow),
                                         pytest.param("skipgram", ["--shared-negatives", "--binary"],
                                                      marks=pytest.mark.slow),
                                         pytest.param("skipgram", ["--no-shared-negatives", "--binary"],
                                                      marks=pytest.mark.slow),
                                         pytest.param("cbow", ["--cbow-sum", "--hs", "--negative", "0"],
                                                      marks=pytest.mark.slow),
                                         ("cbow", ["--cbow-update", "corrected"])])
def test_cli_trains_and_writes(run, write_corpus, tmp_path, model, extra):
    from embedkit.vectors import Vectors

    p = write_corpus(TEXT)
    out = tmp_path / "v.bin"
    extra = [str(tmp_path / e) if e.endswith(".txt") else e for e in extra]
    r = run("train", model, p, "-o", out, "--dim", "8", "--epochs", "2", "--min-count", "1", "--threads", "1",
                *extra)
    assert r.exit_code == 0, r.output
    assert "loss per epoch" in r.stderr
    assert "compile" in r.stderr and "words/s (training only)" in r.stderr
    v = Vectors.load(out)
    assert len(v) == 13 and v.dim == 8
    if "--save-context" in extra:
        assert len(Vectors.load(tmp_path / "ctx.txt")) == 13


@pytest.mark.parametrize("model,args,words", [
    ("skipgram", ["--negative", "-1"], ["'--negative'"]),  # checked while parsing: the option named
    ("skipgram", ["--negative", "0"], ["--negative must be >= 1 unless --hs is on"]),
    ("cbow", ["--alpha", "0"], ["'--alpha'"]),
    ("cbow", ["--alpha", "-0.5"], ["'--alpha'"]),
    ("skipgram", ["--window", "0"], ["'--window'"]),
    ("skipgram", ["--sample", "-1e-3"], ["'--sample'"]),
    ("cbow", ["--epochs", "0"], ["'--epochs'"]),
    ("skipgram", ["--dim", "0"], ["'--dim'"]),
    ("skipgram", ["--min-alpha", "1"], ["Error: --min-alpha must be <= --alpha (0.025), got 1"]),
    ("skipgram", ["--hs", "--negative", "0", "--shared-negatives"],
     ["Error: --shared-negatives needs skip-gram with negative sampling (--negative >= 1) and --hs off"]),
    ("cbow", ["--cbow-update", "koan"], ["--cbow-update"]),
    ("skipgram", ["--hs", "--negative", "0", "--save-context", "c.txt"], ["--save-context needs"]),
])
def test_cli_nonsense_options(assert_one_line_error, run, write_corpus, tmp_path, model, args, words):
    p = write_corpus(TEXT)
    out = tmp_path / "v.txt"
    assert_one_line_error(run("train", model, p, "-o", out, "--min-count", "1", *args), *words)
    assert not out.exists()


@pytest.mark.slow
def test_cli_corpus_too_small(assert_one_line_error, run, write_corpus, tmp_path):
    out = tmp_path / "v.txt"
    assert_one_line_error(run("train", "cbow", write_corpus("one\ntwo\n"), "-o", out, "--min-count", "1"),
                          "corpus too small")
    assert_one_line_error(run("train", "skipgram", write_corpus("a b c\n"), "-o", out), "vocabulary is empty")
    assert not out.exists()


@pytest.mark.slow
def test_cli_divergence_is_one_line_and_writes_nothing(assert_one_line_error, run, write_corpus, tmp_path):
    out = tmp_path / "v.txt"
    r = run("train", "skipgram", write_corpus(TEXT), "-o", out, "--min-count", "1", "--dim", "8", "--alpha", "50",
                "--sample", "0")
    assert_one_line_error(r, "training diverged in epoch 1 (loss nan): lower --alpha (50)")
    assert "no training pairs" not in r.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == [tmp_path / "c.txt"]


def test_one_calling_convention():
    """train_word2vec(corpus, *, ...): explicit keyword-only parameters, no **kwargs, no fit_word2vec."""
    import inspect

    import embedkit

    params = list(inspect.signature(w2v.train_word2vec).parameters.values())
    assert params[0].name == "corpus" and params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:])
    assert not hasattr(w2v, "fit_word2vec") and "fit_word2vec" not in embedkit.__all__
    assert embedkit.train_word2vec is w2v.train_word2vec
    doc = w2v.train_word2vec.__doc__
    assert all(f"    {p.name} :" in doc for p in params)  # every parameter documented


@pytest.mark.slow
def test_shared_hs_is_the_old_spelling_of_update(sample_head):
    corpus = sample_head(60)
    kw = dict(model="skipgram", hs=True, negative=0, dim=8, epochs=1, threads=1)
    with pytest.warns(FutureWarning, match="use update='pair'"):
        old = w2v.train_word2vec(corpus, shared_hs=False, **kw)
    new = w2v.train_word2vec(corpus, update="pair", **kw)
    assert not np.array_equal(new.vectors.matrix, w2v.train_word2vec(corpus, **kw).vectors.matrix)
    np.testing.assert_array_equal(old.vectors.matrix, new.vectors.matrix)


@pytest.mark.parametrize("args,code,line", [
    (["--no-shared-hs"], 0, "Warning: --no-shared-hs is deprecated: use --update pair"),
    (["--shared-hs"], 0, "Warning: --shared-hs is deprecated: use --update window"),
    (["--no-shared-hs", "--update", "window"], 2, "Error: --no-shared-hs contradicts --update window"),
])
@pytest.mark.slow
def test_cli_old_shared_hs_flag_warns(run, write_corpus, tmp_path, args, code, line):
    r = run("train", "skipgram", write_corpus(TEXT), "-o", tmp_path / "v.txt", "--dim", "4", "--epochs", "1",
                "--min-count", "1", "--threads", "1", "--hs", *args)
    assert r.exit_code == code, r.output
    assert r.stderr.splitlines()[0] == line
    assert "--shared-hs" not in run("train", "skipgram", "--help").output  # hidden


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_divergence_check_finds_one_non_finite_value(bad):
    """The end-of-epoch check (a float64 sum, no (V, dim) temporary) sees one bad value anywhere,
    and passes finite matrices whose float32 sum would overflow."""
    from embedkit._sgd import diverged

    syn0 = np.full((50, 8), 3e38, np.float32)  # finite; summed in float32 it would be inf
    assert diverged(1, 1.0, 1, syn0, 0.025, 10.0) is None
    syn0[37, 5] = bad
    assert diverged(1, 1.0, 1, syn0, 0.025, 10.0) is not None


def test_skipgram_default_shares_negatives_per_window(write_corpus):
    """Skip-gram with negative sampling updates once per window (shared negatives) by default;
    update="pair" and shared_negatives=False are word2vec's pair-by-pair update, bit for bit."""
    assert w2v.resolve_shared_negatives(None, "skipgram", 5, False, "window") is True
    for args in (("skipgram", 5, False, "pair"), ("skipgram", 5, True, "window"), ("cbow", 5, False, "window"),
                 ("skipgram", 0, True, "window")):
        assert w2v.resolve_shared_negatives(None, *args) is False
    assert w2v.resolve_shared_negatives(False, "skipgram", 5, False, "window") is False
    rng = np.random.default_rng(5)
    path = write_corpus("".join(" ".join(rng.choice([f"w{i}" for i in range(12)], 9)) + "\n" for _ in range(40)))
    kw = dict(dim=8, window=3, min_count=1, sample=0.0, epochs=1, threads=1, seed=2)
    default = w2v.train_word2vec(path, **kw)
    shared = w2v.train_word2vec(path, shared_negatives=True, **kw)
    pair = w2v.train_word2vec(path, update="pair", **kw)
    unshared = w2v.train_word2vec(path, shared_negatives=False, **kw)
    np.testing.assert_array_equal(default.vectors.matrix, shared.vectors.matrix)
    np.testing.assert_array_equal(pair.vectors.matrix, unshared.vectors.matrix)
    assert not np.array_equal(default.vectors.matrix, pair.vectors.matrix)


def test_longest_sentence_reads_the_offsets_a_block_at_a_time():
    offsets = np.concatenate([[0], np.cumsum(np.random.default_rng(5).integers(1, 50, 101))])
    for block in (1, 2, 7, 100, 101, 1 << 20):
        assert sgd.longest_sentence(offsets, block=block) == int(np.diff(offsets).max())
    assert sgd.longest_sentence(np.zeros(1, np.int64)) == 0
    with pytest.raises(EmbedkitError, match="corpus too small"):
        sgd.check_trainable(np.array([0, 1, 2]))


def test_thread_scratch_buffers_share_no_cache_line():
    """Each thread's scratch buffers (written at every centre word) end at least two cache lines
    before the next thread's begin: with the buffers side by side, the two threads' rows shared a
    line, which moved between the cores at every write (CBOW on 2 threads: 0.68x the time once apart,
    bench/RESULTS.md). The kernels see each buffer's first rows, as before."""
    from embedkit import fasttext as ft
    from embedkit import word2vec as w2v
    from embedkit._sgd import SCRATCH_GAP

    for dim, window, negative in [(100, 5, 5), (3, 1, 1), (50, 2, 15)]:
        for scratch, shapes in [
            (w2v._allocate_scratch(3, 7, dim, window, negative, 4),
             w2v._Scratch((7,), (1, dim), (dim,), (4 * window * negative,), (2 * window,), (max(negative + 1, 4),),
                          (2 * window, max(negative + 1, 4)), (max(negative + 1, 4), dim), (max(negative + 1, 4),),
                          (8,))),
            (ft._allocate_scratch(3, 7, dim, window, negative),
             ft._Scratch((7,), (1, dim), (dim,), (4 * window * negative,), (2 * window + 1, dim), (2 * window + 1, dim),
                         (2 * window + 1,)))]:
            for a, shape in zip(scratch, shapes):
                assert a.shape[0] == 3 and a.shape[2:] == shape[1:] and a.shape[1] >= shape[0]
                used = a.itemsize * int(np.prod(shape))
                gaps = [a[t + 1].ctypes.data - (a[t].ctypes.data + used) for t in range(2)]
                assert min(gaps) >= SCRATCH_GAP, (shape, gaps)
