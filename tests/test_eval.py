import json

import numpy as np
import pytest

from embedkit.errors import EmbedkitError
from embedkit.eval import (SIMILARITY_SETS, bundled_path, evaluate, evaluate_analogy, evaluate_similarity,
                           read_analogies)
from embedkit.vectors import Vectors


@pytest.fixture(scope="module")
def vectors(sample_vectors):
    """The session's PPMI+SVD vectors of the sample (dim 20)."""
    return sample_vectors[0]


@pytest.fixture(scope="module")
def keyed(vectors):
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vectors.dim)
    kv.add_vectors(vectors.words, vectors.matrix)
    return kv


def test_bundled_sets_are_shipped():
    for name in SIMILARITY_SETS:
        assert len(open(bundled_path(name)).read().splitlines()) in (353, 203, 252, 999, 3000)
    sections = read_analogies(bundled_path("google"))
    assert len(sections) == 14 and sum(len(q) for _, q in sections) == 19544


@pytest.mark.parametrize("name", SIMILARITY_SETS)
def test_similarity_equals_gensim(vectors, keyed, name):
    ours = evaluate_similarity(vectors, name)
    _, spearman, oov = keyed.evaluate_word_pairs(bundled_path(name), restrict_vocab=len(keyed))
    assert ours.spearman == pytest.approx(spearman.statistic, abs=1e-4)
    assert 100 * (1 - ours.coverage) == pytest.approx(oov, abs=1e-4)  # gensim reports OOV in percent


def test_analogy_add_equals_gensim(vectors, keyed):
    ours = evaluate_analogy(vectors, restrict=3000, methods=("add",))[0]
    score, sections = keyed.evaluate_word_analogies(bundled_path("google"), restrict_vocab=3000)
    assert ours.accuracy == pytest.approx(score, abs=1e-4)
    theirs = {s["section"]: len(s["correct"]) for s in sections}
    assert {s.name: s.correct for s in ours.sections if s.answered} == \
        {k: v for k, v in theirs.items() if k != "Total accuracy" and k in {s.name for s in ours.sections}
         and any(x.name == k and x.answered for x in ours.sections)}


def brute_force_analogy(v, questions, restrict, method):
    words = v.words[:restrict]
    unit = v.matrix[:restrict] / np.linalg.norm(v.matrix[:restrict], axis=1, keepdims=True)
    idx = {w: i for i, w in enumerate(words)}
    right = answered = 0
    for q in questions:
        if not all(w in idx for w in q):
            continue
        answered += 1
        a, b, c, d = (idx[w] for w in q)
        best, best_score = None, -np.inf
        for x in range(len(words)):
            if x in (a, b, c):
                continue
            ca, cb, cc = (float(unit[x] @ unit[k]) for k in (a, b, c))
            s = cb - ca + cc if method == "add" else ((cb + 1) / 2) * ((cc + 1) / 2) / ((ca + 1) / 2 + 1e-3)
            if s > best_score:
                best, best_score = x, s
        right += best == d
    return right, answered


@pytest.mark.parametrize("method", ["add", "mul"])
def test_analogy_matches_brute_force_on_random_vectors(tmp_path, method):
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(40)]
    v = Vectors(words, rng.standard_normal((40, 5)))
    qs = [tuple(rng.choice(words, 4, replace=False)) for _ in range(60)]
    qs += [("w1", "w2", "w3", "w1"), ("w0", "w39", "w2", "w5")]
    p = tmp_path / "q.txt"
    p.write_text(": sec\n" + "\n".join(" ".join(q) for q in qs) + "\n")
    for restrict in (40, 25):
        r = evaluate_analogy(v, p, restrict=restrict, methods=(method,))[0]
        right, answered = brute_force_analogy(v, qs, restrict, method)
        assert (r.total.correct, r.total.answered, r.total.questions) == (right, answered, len(qs))


def test_analogy_kernel_finds_the_brute_force_answers(tmp_path):
    # questions whose d is the brute-force best, so most count as right (random d almost never is)
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(50)]
    v = Vectors(words, rng.standard_normal((50, 6)))
    unit = v.matrix / np.linalg.norm(v.matrix, axis=1, keepdims=True)
    restrict = 35
    best = {}
    for a, b, c in (rng.choice(restrict, 3, replace=False) for _ in range(80)):
        ca, cb, cc = (unit[:restrict] @ unit[k] for k in (a, b, c))
        for m, s in (("add", cb - ca + cc), ("mul", (cb + 1) / 2 * ((cc + 1) / 2) / ((ca + 1) / 2 + 1e-3))):
            s[[a, b, c]] = -np.inf
            best[m, a, b, c] = int(s.argmax())
    keys = sorted({k[1:] for k in best})
    qs = [(*k, best["add" if i % 2 else "mul", *k]) for i, k in enumerate(keys)]
    p = tmp_path / "q.txt"
    p.write_text(": sec\n" + "\n".join(" ".join(words[i] for i in q) for q in qs) + "\n")
    got = {r.method: r.total.correct for r in evaluate_analogy(v, p, restrict=restrict)}
    want = {m: sum(q[3] == best[m, *q[:3]] for q in qs) for m in ("add", "mul")}
    assert got == want and min(want.values()) >= len(qs) // 2


def test_case_insensitive_by_default(tmp_path):
    v = Vectors(["Paris", "paris", "london"], np.array([[1, 0], [0, 1], [0.9, 0.1]]))
    p = tmp_path / "s.txt"
    p.write_text("PARIS london 5\nparis london 3\nparis rome 1\n")
    r = evaluate_similarity(v, p)
    assert (r.found, r.pairs) == (2, 3)  # both rows map to 'Paris', the more frequent spelling
    assert evaluate_similarity(v, p, case_sensitive=True).found == 1


@pytest.mark.slow  # a quality floor; eval's CLI runs fast in test_vectors.py
def test_report_summary_and_json(run, vectors, sample_vectors):
    report = evaluate(vectors)
    s = report.summary()
    assert set(s) >= {"WS-353-ALL", "SIMLEX-999", "MEN-TR-3k", "google", "google_mul", "google_coverage"}
    assert s["WS-353-ALL"] > 0.45  # measured 0.500 (PPMI+SVD, dim 20, sample corpus)
    path = sample_vectors[1]
    r = run("eval", str(path), "--json")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["similarity"][0]["spearman"] == pytest.approx(s["WS-353-ALL"], abs=1e-6)
    table = run("eval", str(path)).stdout
    assert "WS-353-ALL" in table and "3CosMul" in table and "syntactic" in table


@pytest.mark.parametrize("content,msg", [("a b\n", "line 1"), ("a b 3\nx y\n", "line 2")])
def test_malformed_eval_file_names_the_line(assert_one_line_error, run, tmp_path, content, msg):
    v = Vectors(["a", "b", "c"], np.eye(3))
    p = tmp_path / "bad.txt"
    p.write_text(content)
    with pytest.raises(EmbedkitError, match=msg):
        evaluate_similarity(v, p)
    vp = tmp_path / "v.txt"
    v.save(vp)
    r = run("eval", str(vp), "--sim", str(p))
    assert_one_line_error(r, msg, code=1)


def test_eval_bad_inputs(assert_one_line_error, run, tmp_path):
    bad = tmp_path / "v.txt"
    bad.write_text("2 3\na 1 2 3\n")
    for args in (["eval", str(tmp_path / "missing.txt")], ["eval", str(bad)]):
        r = run(*args)
        assert_one_line_error(r, code=1)
    assert_one_line_error(run("eval", str(bad), "--restrict", "0"), code=2)
