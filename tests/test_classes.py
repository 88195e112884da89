"""Word classes: k-means on unit vectors (kernel vs a NumPy reference, scikit-learn, the CLI)."""

import numpy as np
import pytest

from embedkit import EmbedkitError, Vectors
from embedkit import classes
from embedkit.classes import INITS, _unit_rows, word_classes

from reference import greedy_kmeans_plus_plus, kmeans_step


def clustered(n=3000, dim=20, centres=60, seed=0):
    rng = np.random.default_rng(seed)
    c = rng.normal(size=(centres, dim))
    x = c[rng.integers(centres, size=n)] + rng.normal(size=(n, dim)) * 0.7
    return Vectors([f"w{i}" for i in range(n)], x)


@pytest.fixture(scope="module")
def vecs():
    return clustered()


def test_one_pass_matches_the_reference(vecs):
    """round-robin start, one pass: word i's class comes from the means of the i mod k groups."""
    k = 7
    r = word_classes(vecs, k, init="round-robin", max_iter=1, threads=2)
    x, _ = _unit_rows(vecs.matrix)
    start = np.array([x[np.arange(len(x)) % k == j].astype(np.float64).mean(0) for j in range(k)])
    labels, inertia, _ = kmeans_step(x, start)
    np.testing.assert_array_equal(r.labels, labels)
    np.testing.assert_allclose(r.inertia, inertia, rtol=1e-5)
    assert r.n_iter == 1 and not r.converged


@pytest.mark.parametrize("threads", [1, 3])
def test_blocked_pass_and_class_means_match_the_reference(vecs, monkeypatch, threads):
    """Blocks of 256 rows (the last one short) shared by 1 or 3 threads, and the 8-way split of
    the class sums."""
    monkeypatch.setattr(classes, "_BLOCK_ROWS", 256)
    x, row_sq = _unit_rows(vecs.matrix)
    start = x[::100][:30].copy()
    lloyd = classes._Lloyd(x, row_sq, 30, threads)
    assert lloyd.assign(start) == len(x)  # every label set from -1
    labels, inertia, means = kmeans_step(x, start)
    np.testing.assert_array_equal(lloyd.labels, labels)
    np.testing.assert_allclose(lloyd.dist.sum(), inertia, rtol=1e-5)
    np.testing.assert_allclose(lloyd.means(), means, rtol=1e-5, atol=1e-6)
    assert lloyd.assign(start) == 0
    lloyd.close()


@pytest.mark.parametrize("threads", [1, 2])
def test_seeding_matches_the_reference(vecs, threads):
    from concurrent.futures import ThreadPoolExecutor

    x, row_sq = _unit_rows(vecs.matrix[:400])
    uniforms = np.random.default_rng(3).random((12, 3))
    centres = np.empty(12, dtype=np.int64)
    with ThreadPoolExecutor(threads) as pool:
        classes._seed_centres(x, row_sq, 7, uniforms, centres, pool if threads > 1 else None)
    np.testing.assert_array_equal(centres, greedy_kmeans_plus_plus(x, 7, uniforms))


@pytest.mark.parametrize("sample", [None, 1000])
def test_start_is_greedy_kmeans_plus_plus(vecs, monkeypatch, sample):
    """The driver's start: 2 + log k candidates a step, over all rows or a sorted random sample."""
    x, row_sq = _unit_rows(vecs.matrix)
    if sample is not None:
        monkeypatch.setattr(classes, "SEED_SAMPLE", sample)
    got = classes._kmeans_plus_plus(x, row_sq, 15, np.random.default_rng(4))
    rng = np.random.default_rng(4)
    rows = np.arange(len(x)) if sample is None else np.sort(rng.choice(len(x), size=sample, replace=False))
    first = int(rng.integers(len(rows)))
    expect = greedy_kmeans_plus_plus(x[rows], first, rng.random((15, 2 + int(np.log(15)))))
    np.testing.assert_array_equal(got, x[rows][expect])


def test_converged_classes_are_a_fixed_point(vecs):
    r = word_classes(vecs, 30, seed=2)
    assert r.converged
    x, _ = _unit_rows(vecs.matrix)
    labels, inertia, _ = kmeans_step(x, r.centroids)
    np.testing.assert_array_equal(r.labels, labels)
    np.testing.assert_allclose(r.inertia, inertia, rtol=1e-5)


@pytest.mark.parametrize("init", INITS)
@pytest.mark.slow
def test_inertia_within_one_percent_of_scikit_learn(vecs, init):
    from sklearn.cluster import KMeans

    x, _ = _unit_rows(vecs.matrix)
    sk = min(KMeans(40, n_init=1, random_state=s).fit(x).inertia_ for s in range(3))
    ours = word_classes(vecs, 40, init=init, seed=1)
    # word2vec's round-robin start ends in a worse local optimum on well-separated clusters
    # (measured 2.9% above here); k-means++ (the default) is within 1%
    assert ours.inertia <= sk * (1.01 if init == "k-means++" else 1.05), (ours.inertia, sk)
    assert sorted(set(ours.labels.tolist())) == list(range(40))  # no class left empty


def test_same_classes_at_any_thread_count(vecs):
    a = word_classes(vecs, 25, seed=5, threads=1)
    b = word_classes(vecs, 25, seed=5, threads=2)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert a.inertia == b.inertia
    c = word_classes(vecs, 25, seed=6, threads=1)
    assert not np.array_equal(a.labels, c.labels)


def test_more_classes_than_distinct_vectors():
    """Fewer distinct directions than k: k-means leaves classes empty, and says how many."""
    v = Vectors(list("abcdef"), [[1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [0, 0]])
    with pytest.warns(UserWarning, match="1 of the 4 classes is empty"):
        r = word_classes(v, 4, threads=1)
    assert r.inertia == pytest.approx(0, abs=1e-9)
    assert r.labels[0] == r.labels[1] == r.labels[2] and r.labels[3] == r.labels[4]


@pytest.mark.parametrize("kw,msg", [({"k": 1}, "k must be >= 2"), ({"k": 4}, "vocabulary size (3 words)"),
                                    ({"k": 2, "init": "random"}, "init must be one of"),
                                    ({"k": 2, "max_iter": 0}, "max_iter"), ({"k": 2, "tol": -1}, "tol")])
def test_bad_parameters(kw, msg):
    v = Vectors(["a", "b", "c"], np.eye(3))
    with pytest.raises(EmbedkitError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        word_classes(v, **kw)


def test_cli_writes_word_class_lines(tmp_path, vecs, run):
    src = tmp_path / "v.txt"
    vecs.save(src)
    out, out_sorted = tmp_path / "classes.txt", tmp_path / "sorted.txt"
    r = run("classes", src, "-k", "12", "-o", out, "--threads", "1", "--seed", "3")
    assert r.exit_code == 0, r.output
    lines = [line.split() for line in out.read_text().splitlines()]
    assert [w for w, _ in lines] == vecs.words
    expect = word_classes(vecs, 12, seed=3, threads=1).labels
    assert [int(c) for _, c in lines] == expect.tolist()
    r = run("classes", src, "-k", "12", "-o", out_sorted, "--sort", "--threads", "1", "--seed", "3",
            "--init", "round-robin")
    assert r.exit_code == 0, r.output
    classes = [int(line.split()[1]) for line in out_sorted.read_text().splitlines()]
    assert classes == sorted(classes) and len(classes) == len(vecs)


@pytest.mark.parametrize("k,code,msg", [("1", 2, "-k"), ("4", 1, "vocabulary size (3 words)")])
def test_cli_bad_k_is_one_line(tmp_path, k, code, msg, run, assert_one_line_error):
    src = tmp_path / "v.txt"
    src.write_text("3 2\na 1 0\nb 0 1\nc 1 1\n")
    out = tmp_path / "c.txt"
    assert_one_line_error(run("classes", src, "-k", k, "-o", out), msg, code=code, absent=out)

