import os

import numpy as np
import pytest
import scipy.sparse as sp

from embedkit.cooc import Cooccurrence, count_cooccurrences
from embedkit.errors import EmbedkitError
from embedkit.ppmi_svd import fit_ppmi_svd, ppmi_matrix, randomized_svd, train_ppmi_svd
from embedkit.result import TrainResult
from embedkit.vocab import Vocab
from reference import ppmi_reference


def as_cooc(x, params=None):
    n = x.shape[0]
    return Cooccurrence(sp.csr_matrix(x), Vocab([f"w{i}" for i in range(n)], np.ones(n, np.int64)), params)


def random_counts(n=15, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.poisson(0.8, size=(n, n)).astype(np.float64)
    return x + x.T


@pytest.mark.parametrize("cds,neg", [(0.75, 1.0), (1.0, 1.0), (0.5, 5.0)])
def test_ppmi_matches_reference(cds, neg):
    x = random_counts()
    got = ppmi_matrix(sp.csr_matrix(x), cds=cds, neg=neg)
    np.testing.assert_allclose(got.toarray(), ppmi_reference(x, cds, neg), rtol=1e-5, atol=1e-6)
    assert got.dtype == np.float32 and (got.data > 0).all()


def test_randomized_svd_matches_dense_svd():
    rng = np.random.default_rng(1)
    # low-rank plus noise, with a clear spectral gap, so 5 singular triplets are well defined
    a = rng.standard_normal((300, 8)) @ np.diag([50, 40, 30, 20, 10, 1, 1, 1]) @ rng.standard_normal((8, 200))
    a = sp.csr_matrix(a + 0.01 * rng.standard_normal(a.shape))
    ticks = []
    u, s, vt = randomized_svd(a, 5, n_iter=4, seed=0, callback=lambda: ticks.append(1))
    assert len(ticks) == 2 * 4 + 2  # the progress bar moves once per sparse product
    ud, sd, vtd = np.linalg.svd(a.toarray(), full_matrices=False)
    np.testing.assert_allclose(s, sd[:5], rtol=1e-4)
    for k in range(5):  # same vectors up to sign, and our signs are fixed
        assert abs(abs(u[:, k] @ ud[:, k]) - 1) < 1e-3 and abs(abs(vt[k] @ vtd[k]) - 1) < 1e-3
        assert u[np.abs(u[:, k]).argmax(), k] > 0
    np.testing.assert_allclose(u.T @ u, np.eye(5), atol=1e-4)


@pytest.mark.parametrize("threads", [1, 2])
def test_product_kernel_matches_scipy(threads):
    from embedkit._util import numba_threads
    from embedkit.ppmi_svd import _Operator

    rng = np.random.default_rng(2)
    d = rng.standard_normal((60, 45)).astype(np.float32) * (rng.random((60, 45)) < 0.2)
    d[5] = 0  # an empty row; the last rows are where the prefetch look-ahead runs out
    a = sp.csr_matrix(d)
    y, z = rng.standard_normal((45, 13)).astype(np.float32), rng.standard_normal((60, 13)).astype(np.float32)
    with numba_threads(threads) as n:
        op = _Operator(a, n)
        np.testing.assert_allclose(op.dot(y), a @ y, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(op.tdot(z), a.T @ z, rtol=1e-5, atol=1e-5)


def test_transpose_product_by_column_slices():
    """The product by A.T (in memory and streamed): each slice of columns summed by one thread, by
    binary search in each row; the same bits for any slicing (each entry summed in row order), and
    A.T @ y within float rounding."""
    from embedkit.ppmi_svd import _csr_t_dense_product

    rng = np.random.default_rng(3)
    d = rng.standard_normal((70, 50)).astype(np.float32) * (rng.random((70, 50)) < 0.15)
    d[5] = 0  # an empty row
    d[9, :40] = 0  # a row whose columns all lie in the last slices
    a = sp.csr_matrix(d)
    a.indptr = a.indptr.astype(np.int64)
    z = rng.standard_normal((70, 9)).astype(np.float32)
    outs = []
    for cuts in ([0, 50], [0, 1, 7, 8, 20, 33, 49, 50], list(range(51))):
        out = np.zeros((50, 9), np.float32)
        _csr_t_dense_product(a.indptr, a.indices, a.data, z, out, np.array(cuts, np.int64))
        outs.append(out)
    np.testing.assert_allclose(outs[0], d.T.astype(np.float64) @ z, rtol=1e-5, atol=1e-5)
    for out in outs[1:]:
        np.testing.assert_array_equal(out, outs[0])


def test_randomized_svd_of_a_rank_deficient_matrix():
    """Rank 3 but 3 + oversample columns asked: the shifted iteration falls back to QR and stays exact."""
    rng = np.random.default_rng(4)
    a = sp.csr_matrix(rng.standard_normal((80, 3)) @ np.diag([9.0, 4.0, 2.0]) @ rng.standard_normal((3, 70)))
    u, s, vt = randomized_svd(a, 3, n_iter=3, seed=0)
    np.testing.assert_allclose(s, np.linalg.svd(a.toarray(), compute_uv=False)[:3], rtol=1e-4)
    np.testing.assert_allclose((u * s) @ vt, a.toarray(), atol=1e-3)


def test_svd_is_reproducible_and_thread_independent():
    a = sp.csr_matrix(random_counts(40, 3))
    r1 = randomized_svd(a, 4, seed=5, threads=1)
    r2 = randomized_svd(a, 4, seed=5, threads=2)
    for x, y in zip(r1, r2):
        np.testing.assert_array_equal(x, y)


def test_fit_options_eig_and_add_context():
    x = sp.csr_matrix(random_counts(30, 4))
    pmi = ppmi_matrix(x)
    u, s, vt = randomized_svd(pmi, 6, n_iter=4, seed=1)  # fit_ppmi_svd's default
    r0 = fit_ppmi_svd(as_cooc(x), dim=6, eig=0.0, seed=1)
    np.testing.assert_allclose(r0.vectors.matrix, u, atol=1e-6)
    np.testing.assert_allclose(r0.context.matrix, vt.T, atol=1e-6)
    r1 = fit_ppmi_svd(as_cooc(x), dim=6, eig=1.0, add_context=True, seed=1)
    np.testing.assert_allclose(r1.vectors.matrix, u * s + vt.T * s, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(r1.context.matrix, vt.T * s, rtol=1e-4, atol=1e-5)
    assert r1.vectors.matrix.dtype == np.float32 and r1.vectors.matrix.flags.c_contiguous
    assert isinstance(r1, TrainResult) and r1.losses == [] and list(r1.timings) == ["compile", "ppmi", "svd"]


@pytest.mark.parametrize("kw,msg", [({"dim": 0}, "dim must be >= 1"), ({"cds": 0.0}, "cds must be > 0"),
                                    ({"neg": -1.0}, "neg must be > 0"), ({"eig": -0.5}, "eig must be >= 0"),
                                    ({"n_iter": -1}, "n_iter must be >= 0"),
                                    ({"add_context": "yes"}, "add_context must be True or False"),
                                    ({"dim": 500}, r"dim must be <= the vocabulary size \(20 words\), got 500")])
def test_bad_parameters(kw, msg):
    with pytest.raises(EmbedkitError, match=msg):
        fit_ppmi_svd(as_cooc(random_counts(20)), **kw)
    if "dim" not in kw:  # checked before the corpus is read
        with pytest.raises(EmbedkitError, match=msg):
            train_ppmi_svd("/nonexistent/corpus.txt", **kw)


def test_dim_over_max_vocab_is_refused_before_the_scan():
    with pytest.raises(EmbedkitError, match=r"dim must be <= the vocabulary size \(10 words\), got 50"):
        train_ppmi_svd("/nonexistent/corpus.txt", dim=50, max_vocab=10)


def test_harmonic_counts_warn_and_matrix_must_be_cooccurrence():
    with pytest.warns(UserWarning, match="counted with harmonic weighting; PPMI expects uniform"):
        fit_ppmi_svd(as_cooc(random_counts(20), {"weighting": "harmonic"}), dim=3)
    with pytest.raises(EmbedkitError, match="must be a Cooccurrence"):
        fit_ppmi_svd(sp.csr_matrix(random_counts(20)), dim=3)


@pytest.mark.slow
def test_quality_floor_on_sample(sample_scan):
    """PPMI+SVD must learn: WS-353 rho well above chance (measured 0.597 at dim 50, window 5)."""
    from embedkit.eval import evaluate

    vectors = fit_ppmi_svd(count_cooccurrences(sample_scan, window=5), dim=50, seed=1).vectors
    scores = evaluate(vectors).summary()
    assert scores["WS-353-ALL"] > 0.52
    assert scores["MEN-TR-3k"] > 0.47  # measured 0.545


def test_train_from_path_end_to_end(write_corpus):
    text = "\n".join(["the king rules the land", "the queen rules the land", "a dog eats food",
                      "a cat eats food"] * 30)
    r = train_ppmi_svd(write_corpus(text), dim=3, window=2, min_count=1)
    v = r.vectors
    assert len(v) == 10 and v.matrix.shape == (10, 3)
    assert v.words[0] == "the"
    assert list(r.timings) == ["scan", "compile", "count", "ppmi", "svd"] and r.context.dim == 3


@pytest.mark.slow
def test_memory_bound_gives_the_same_vectors(write_corpus, tmp_path):
    text = "\n".join(["the king rules the land", "the queen rules the land", "a dog eats food"] * 30)
    a = train_ppmi_svd(write_corpus(text), dim=3, window=2, min_count=1, threads=1).vectors
    b = train_ppmi_svd(write_corpus(text), dim=3, window=2, min_count=1, threads=1, memory="1M",
                       tmp_dir=tmp_path).vectors
    np.testing.assert_array_equal(a.matrix, b.matrix)


# ---------------------------------------------------------------- PPMI on disk (memory=)
def test_ppmi_on_disk_is_the_same_matrix(tmp_path):
    from embedkit.ppmi_svd import ppmi_on_disk

    x = sp.random(300, 300, density=0.2, random_state=np.random.default_rng(4), format="csr", dtype=np.float32).toarray()
    x = np.ceil(x * 20)
    x[3, :] = 0  # an empty row: a zero row sum
    x = sp.csr_matrix(x)
    ref = ppmi_matrix(x, cds=0.75, neg=2.0)
    for r in range(0, 300, 2):  # every other row's columns out of order: written in order (the product searches)
        a, b = x.indptr[r], x.indptr[r + 1]
        x.indices[a:b], x.data[a:b] = x.indices[a:b][::-1].copy(), x.data[a:b][::-1].copy()
    x.has_sorted_indices = False
    m = ppmi_on_disk(x, memory=1 << 15, tmp_dir=tmp_path, cds=0.75, neg=2.0)  # blocks of 1,365 non-zeros
    try:
        assert len(m.cuts) > 10 and len(os.listdir(tmp_path)) == 1
        got = sp.csr_matrix((np.array(m.data), np.array(m.indices), m.indptr), shape=m.shape)
        assert np.array_equal(got.indptr, ref.indptr) and np.array_equal(got.indices, ref.indices)
        np.testing.assert_allclose(got.data, ref.data, rtol=1e-5)
        y = np.random.default_rng(0).standard_normal((300, 4)).astype(np.float32)
        op = m.operator(2)
        np.testing.assert_allclose(op.dot(y), ref @ y, rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(op.tdot(y), ref.T @ y, rtol=1e-4, atol=1e-4)
    finally:
        m.close()
    assert os.listdir(tmp_path) == []


@pytest.fixture(scope="module")
def small_counts():
    return count_cooccurrences("data/sample.txt.xz", window=5, min_count=50)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.slow
def test_streamed_svd_gives_the_in_memory_vectors(tmp_path, threads, small_counts):
    c = small_counts
    ram = fit_ppmi_svd(c, dim=16, threads=threads)
    disk = fit_ppmi_svd(c, dim=16, threads=threads, memory="1M", tmp_dir=tmp_path)  # 16 B/nnz > 1 MiB: streamed
    assert os.listdir(tmp_path) == []
    # measured: identical with one thread, within 1e-6 with two (other summation order)
    np.testing.assert_allclose(disk.vectors.matrix, ram.vectors.matrix, atol=1e-5)
    np.testing.assert_allclose(disk.context.matrix, ram.context.matrix, atol=1e-5)


def test_streamed_products_let_the_pages_they_read_go(tmp_path, monkeypatch, mapped_kb):
    """Products over a PPMI matrix on disk in many small blocks (64 KB of each file): the files'
    resident pages stay near one block's (plus what a page fault maps around itself), not the
    whole matrix's."""
    from embedkit import _util, ppmi_svd
    from embedkit.ppmi_svd import StreamedCSR

    V, per_row = 5_000, 400  # 2M entries: 8 MB of indices, 8 MB of values
    folder = tmp_path / "ppmi"
    folder.mkdir()
    np.tile(np.arange(per_row, dtype=np.int32) * 12, V).tofile(folder / "indices")
    np.ones(V * per_row, np.float32).tofile(folder / "data")
    m = StreamedCSR(str(folder), np.arange(V + 1, dtype=np.int64) * per_row, (V, V), 1 << 14,
                    np.bincount(np.arange(per_row) * 12, minlength=V) * V)
    if mapped_kb(folder) is None:
        pytest.skip("needs /proc/self/smaps")
    seen = []
    for name in ("_csr_dense_product", "_csr_t_dense_product"):
        def sampled(*args, real=getattr(ppmi_svd, name)):
            real(*args)
            seen.append(mapped_kb(folder) if len(seen) % 2 == 0 else None)  # both files, every other block
        monkeypatch.setattr(ppmi_svd, name, sampled)
    op = m.operator(2)
    y = np.ones((V, 3), np.float32)
    np.testing.assert_array_equal(op.dot(y), np.full((V, 3), per_row, np.float32))
    t = op.tdot(y)
    assert t[12, 0] == V and t[13, 0] == 0
    sampled_kb = [kb for kb in seen if kb is not None]
    assert len(seen) == 2 * len(m.cuts) - 2 > 200 and len(sampled_kb) > 100
    assert 0 < max(sampled_kb) <= 2 * (64 + 2 * _util.FAULT_AROUND // 1024 + 512), sampled_kb
    m.close()


def test_fit_frees_the_ppmi_matrix_before_the_small_svd(monkeypatch):
    """fit_ppmi_svd hands the in-memory PPMI matrix over to the SVD, which lets it go after the last
    sparse product: it is gone by the time U and V are made."""
    import weakref

    from embedkit import ppmi_svd

    c = Cooccurrence(sp.csr_matrix(random_counts(60, 7)), Vocab([f"w{i}" for i in range(60)], np.arange(60, 0, -1)))
    refs, seen = [], []
    real_init, real_svd = ppmi_svd._Operator.__init__, np.linalg.svd

    def init(op, a, n_threads):  # the matrix the products run over
        real_init(op, a, n_threads)
        d = op.a.data
        refs.append(weakref.ref(d if d.base is None else d.base))  # the buffer's owner, not a view of it

    def small_svd(*args, **kw):
        seen.append(refs[0]() is None)
        return real_svd(*args, **kw)

    monkeypatch.setattr(ppmi_svd._Operator, "__init__", init)
    monkeypatch.setattr(np.linalg, "svd", small_svd)
    ppmi_svd.fit_ppmi_svd(c, dim=4, n_iter=1)
    assert seen == [True]
