"""All-but-the-top against a NumPy reference, Procrustes against SciPy and on exact rotations, and
the postprocess / align commands."""

import numpy as np
import pytest
from scipy.linalg import orthogonal_procrustes

from embedkit.alignment import align, procrustes, read_dictionary
from embedkit.formats import counts_path
from embedkit.errors import EmbedkitError
from embedkit.postprocessing import default_abtt, postprocess
from embedkit.vectors import Vectors


def abtt_reference(x, d):
    """Mu & Viswanath's algorithm as written: centre, PCA by full SVD, subtract the top d projections."""
    x = np.asarray(x, np.float64)
    xc = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(xc, full_matrices=False)
    u = vt[:d]
    return xc - xc @ u.T @ u


@pytest.fixture
def vecs():
    rng = np.random.default_rng(0)
    # a few strong common directions plus a non-zero mean, as trained vectors have
    m = rng.normal(size=(300, 12)) + 2.0 + rng.normal(size=(300, 2)) @ (5 * rng.normal(size=(2, 12)))
    return Vectors([f"w{i}" for i in range(300)], m, np.arange(300, 0, -1) * 10)


@pytest.mark.parametrize("d", [1, 2, 5])
def test_abtt_equals_numpy_reference(vecs, d):
    r = postprocess(vecs, abtt=d)
    np.testing.assert_allclose(r.vectors.matrix, abtt_reference(vecs.matrix, d), atol=2e-5)
    assert r.components.shape == (d, 12) and np.all(np.diff(r.explained) <= 0) and r.explained.sum() < 1
    assert r.vectors.words == vecs.words and np.array_equal(r.vectors.counts, vecs.counts)
    # nothing is left along the removed directions, and the mean is gone
    np.testing.assert_allclose(r.vectors.matrix @ r.components.T, 0, atol=1e-4)
    np.testing.assert_allclose(r.vectors.matrix.mean(axis=0), 0, atol=1e-4)


def test_center_and_normalize(vecs):
    c = postprocess(vecs, center=True).vectors.matrix
    np.testing.assert_allclose(c, vecs.matrix - vecs.matrix.astype(np.float64).mean(axis=0), atol=1e-5)
    n = postprocess(vecs, center=True, normalize=True).vectors.matrix
    np.testing.assert_allclose(np.linalg.norm(n, axis=1), 1, atol=1e-6)
    np.testing.assert_allclose(n, c / np.linalg.norm(c, axis=1, keepdims=True), atol=1e-6)
    both = postprocess(vecs, abtt=2, normalize=True).vectors.matrix
    ref = abtt_reference(vecs.matrix, 2)
    np.testing.assert_allclose(both, ref / np.linalg.norm(ref, axis=1, keepdims=True), atol=1e-5)


def test_default_abtt_is_dim_over_100():
    assert [default_abtt(d) for d in (10, 50, 100, 160, 300, 1000)] == [1, 1, 1, 2, 3, 10]


@pytest.mark.parametrize("kw, msg", [(dict(), "nothing to do"), (dict(abtt=12), "abtt must be <= 11"),
                                     (dict(abtt=-1), "abtt must be >= 0"), (dict(abtt=1.5), "integer")])
def test_postprocess_bad_arguments(vecs, kw, msg):
    with pytest.raises(EmbedkitError, match=msg):
        postprocess(vecs, **kw)


def test_postprocess_cli(run, vecs, tmp_path):
    src = tmp_path / "v.txt"
    vecs.save(src)
    r = run("postprocess", src, "-o", tmp_path / "a.txt", "--abtt")
    assert r.exit_code == 0, r.output
    assert "1 component(s)" in r.stderr
    np.testing.assert_allclose(Vectors.load(tmp_path / "a.txt").matrix, abtt_reference(vecs.matrix, 1), atol=2e-5)
    r = run("postprocess", src, "--abtt", "3", "--normalize", "-o", tmp_path / "b.npy")
    assert r.exit_code == 0, r.output
    b = Vectors.load(tmp_path / "b.npy")
    np.testing.assert_allclose(np.linalg.norm(b.matrix, axis=1), 1, atol=1e-6)
    assert run("postprocess", src, "--center", "-o", tmp_path / "c.txt").exit_code == 0
    assert "embedkit postprocess vectors.txt" in run("postprocess", "--help").output


@pytest.mark.parametrize("args", [["--abtt", "0"], ["--abtt", "x"], ["--abtt", "12"], [], ["--center", "--format", "npy"]])
def test_postprocess_cli_bad_input(assert_one_line_error, run, vecs, tmp_path, args):
    src = tmp_path / "v.txt"
    vecs.save(src)
    assert_one_line_error(run("postprocess", src, "-o", tmp_path / "out.txt", *args))
    assert not (tmp_path / "out.txt").exists()
    assert_one_line_error(run("postprocess", tmp_path / "missing.txt", "-o", tmp_path / "out.txt", "--center"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.txt", "v.txt.vocab"]


# ---------------------------------------------------------------- align
def random_rotation(rng, d):
    q, r = np.linalg.qr(rng.normal(size=(d, d)))
    return q * np.sign(np.diag(r))


def test_procrustes_equals_scipy():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(40, 6)), rng.normal(size=(40, 6))
    r, _ = orthogonal_procrustes(x, y)
    np.testing.assert_allclose(procrustes(x, y), r, atol=1e-10)


def test_align_recovers_a_random_rotation_exactly(vecs):
    rng = np.random.default_rng(2)
    q = random_rotation(rng, vecs.dim)
    rotated = Vectors(vecs.words, vecs.matrix.astype(np.float64) @ q, vecs.counts)
    r = align(rotated, vecs)
    np.testing.assert_allclose(r.rotation, q.T, atol=1e-6)
    np.testing.assert_allclose(r.vectors.matrix, vecs.matrix, atol=1e-4)
    assert r.mean_cosine_after == pytest.approx(1, abs=1e-6) and r.mean_cosine_before < 0.9
    assert r.anchors == 300 and np.array_equal(r.vectors.counts, vecs.counts)


def test_align_with_dictionary_and_restrict_and_moved_words(vecs):
    rng = np.random.default_rng(3)
    q = random_rotation(rng, vecs.dim)
    m = vecs.matrix.astype(np.float64) @ q
    m[7] = rng.normal(size=vecs.dim) * np.linalg.norm(m[7])  # one word changed its meaning
    src = Vectors([f"s{i}" for i in range(300)], m)
    pairs = [(f"s{i}", f"w{i}") for i in range(300)] + [("s1", "unknown")]
    with pytest.warns(UserWarning, match="1 of the 301 dictionary pairs have a word outside the vectors"):
        r = align(src, vecs, dictionary=pairs, topn=3)
    assert r.anchors == 300 and r.moved[0][:2] == ("s7", "w7") and r.moved[0][2] < 0.5
    np.testing.assert_allclose(r.rotation, q.T, atol=0.05)
    with pytest.warns(UserWarning, match="251 of the 301 dictionary pairs"):
        assert align(src, vecs, dictionary=pairs, restrict=50).anchors == 50
    with pytest.warns(UserWarning, match="3 anchor pairs for 12 dimensions: the rotation is fixed only on the span"):
        assert align(src, vecs, dictionary=pairs[:3]).anchors == 3
    with pytest.raises(EmbedkitError, match="only 0 shared words"):
        align(src, vecs)
    with pytest.raises(EmbedkitError, match="same dimension"):
        align(Vectors(vecs.words, vecs.matrix[:, :5]), vecs)


def test_align_cli(assert_one_line_error, run, vecs, tmp_path):
    q = random_rotation(np.random.default_rng(4), vecs.dim)
    Vectors(vecs.words, vecs.matrix @ q, vecs.counts).save(tmp_path / "src.npy")
    vecs.save(tmp_path / "tgt.txt")
    r = run("align", tmp_path / "src.npy", tmp_path / "tgt.txt", "-o", tmp_path / "out.txt", "-n", "3")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].startswith("300 anchor words; mean cosine to the target") and lines[0].endswith("1.0000 after")
    assert len(lines) == 1 + 2 + 3
    out = Vectors.load(tmp_path / "out.txt")
    np.testing.assert_allclose(out.matrix, vecs.matrix, atol=1e-4)
    assert (tmp_path / "out.txt.vocab").read_text().splitlines()[0] == "w0 3000"  # counts travel
    (tmp_path / "dict.txt").write_text("w1 w1\nw2 w2 w3\n")
    r = run("align", tmp_path / "src.npy", tmp_path / "tgt.txt", "-o", tmp_path / "bad.txt", "--dictionary",
            tmp_path / "dict.txt")
    assert_one_line_error(r)
    assert "line 2" in r.stderr and not (tmp_path / "bad.txt").exists()
    assert_one_line_error(run("align", tmp_path / "src.npy", tmp_path / "nope.txt", "-o", tmp_path / "bad.txt"))
    assert not (tmp_path / "bad.txt").exists()
    assert "embedkit align" in run("align", "--help").output


def test_read_dictionary_errors(tmp_path):
    (tmp_path / "d.txt").write_text("# comment\n\n")
    with pytest.raises(EmbedkitError, match="holds no word pairs"):
        read_dictionary(tmp_path / "d.txt")
    assert counts_path("a/v.npy") == "a/v.vocab" and counts_path("v.txt") == "v.txt.vocab"


def test_postprocessing_too_few_vectors_is_an_error():
    """Centring one vector leaves zero; n centred vectors span at most n - 1 directions, so removing
    more would remove arbitrary ones: each is refused."""
    one = Vectors(["a"], np.ones((1, 4), np.float32))
    two = Vectors(["a", "b"], np.arange(8, dtype=np.float32).reshape(2, 4))
    with pytest.raises(EmbedkitError, match="centering needs at least 2 vectors, got 1"):
        postprocess(one, center=True)
    with pytest.raises(EmbedkitError, match="abtt must be below the number of vectors \\(2\\), got 3"):
        postprocess(two, abtt=3)
    assert postprocess(two, abtt=1).vectors.matrix.shape == (2, 4)
    assert postprocess(one, normalize=True).vectors.matrix.shape == (1, 4)
