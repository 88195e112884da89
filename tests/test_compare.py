"""Intervals in `eval` and the paired `compare` of two vector sets, on PPMI+SVD vectors of the
bundled sample (dim 20) and noisier or smaller copies of them."""

import json

import numpy as np
import pytest

from embedkit import stats
from embedkit.comparison import compare
from embedkit.eval import bundled_path, evaluate, evaluate_similarity, pair_cosines, pair_rows, read_similarity
from embedkit.vectors import Vectors


@pytest.fixture(scope="module")
def trained(sample_vectors, tmp_path_factory):
    """(Vectors, path) of the sample at dim 20 (the session's), plus a noisy copy (same words) and its path."""
    v, path = sample_vectors
    folder = tmp_path_factory.mktemp("cmp")
    rng = np.random.default_rng(0)
    scale = np.linalg.norm(v.matrix, axis=1, keepdims=True)
    noisy = Vectors(v.words, v.matrix + 0.8 * scale * rng.normal(size=v.matrix.shape) / np.sqrt(v.dim), v.counts)
    noisy.save(folder / "b.txt")
    return v, path, noisy, folder / "b.txt"


# ---------------------------------------------------------------- eval intervals
@pytest.mark.slow  # bootstraps every set
def test_eval_intervals_bracket_every_score_and_are_seeded(trained):
    v = trained[0]
    rep = evaluate(v, restrict=5000, seed=3)
    for r in rep.similarity:
        assert r.ci[0] < r.spearman < r.ci[1] and r.ci[1] - r.ci[0] < 0.5
    for r in rep.analogy:
        for s in [*r.sections, r.semantic, r.syntactic, r.total]:
            if s.answered and 0 < s.correct < s.answered:
                assert s.ci[0] <= s.accuracy <= s.ci[1], s
        assert r.total.ci[1] - r.total.ci[0] < r.semantic.ci[1] - r.semantic.ci[0]
    again = evaluate(v, restrict=5000, seed=3)
    assert [r.ci for r in again.similarity] == [r.ci for r in rep.similarity]
    assert [r.total.ci for r in again.analogy] == [r.total.ci for r in rep.analogy]
    assert evaluate(v, restrict=5000, seed=4).similarity[0].ci != rep.similarity[0].ci


def test_eval_interval_is_the_bootstrap_of_the_found_pairs(trained):
    v = trained[0]
    r = evaluate_similarity(v, "SIMLEX-999", bootstrap=500, ci=0.9, seed=7)
    rows = read_similarity(bundled_path("SIMLEX-999"))
    ia, ib = pair_rows(v, rows)
    ok = (ia >= 0) & (ib >= 0)
    human = np.array([x[2] for x in rows])[ok]
    want = stats.spearman_interval(pair_cosines(v, ia[ok], ib[ok]), human, n_resamples=500, ci=0.9,
                                   rng=stats.rng_for(7, "SIMLEX-999"))
    assert r.ci == want and r.found == ok.sum()


def test_eval_bootstrap_zero_has_no_intervals(trained):
    rep = evaluate(trained[0], restrict=2000, bootstrap=0).to_dict()
    assert all(s["ci"] is None for s in rep["similarity"])
    assert all(a["ci"] is None and a["semantic_ci"] is None for a in rep["analogy"])


@pytest.mark.slow
def test_eval_cli_table_and_json_carry_intervals(run, trained):
    path = trained[1]
    r = run("eval", path, "--restrict", "3000", "--ci", "0.9", "--seed", "2")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert "90% CI" in lines[0] and lines[1].count("[") == 1
    total = next(ln for ln in lines if ln.startswith("total"))
    assert "[" in total
    got = json.loads(run("eval", path, "--restrict", "3000", "--json").stdout)
    assert len(got["similarity"][0]["ci"]) == 2 and len(got["analogy"][0]["syntactic_ci"]) == 2
    assert all(s["ci"] is None or len(s["ci"]) == 2 for s in got["analogy"][0]["sections"])
    plain = run("eval", path, "--restrict", "3000", "--bootstrap", "0").stdout
    assert "CI" not in plain and "[" not in plain


@pytest.mark.parametrize("args", [["--ci", "1"], ["--ci", "0"], ["--bootstrap", "-1"], ["--seed", "x"]])
def test_eval_cli_bad_interval_options(assert_one_line_error, run, trained, args):
    assert_one_line_error(run("eval", trained[1], *args))


# ---------------------------------------------------------------- compare
def test_compare_identical_is_zero_and_not_significant(trained):
    v = trained[0]
    rep = compare(v, v, restrict=3000, bootstrap=200)
    assert len(rep.comparisons) == 5 + 6
    for c in rep.comparisons:
        assert c.difference == 0 and c.p == 1 and not c.significant and c.a_only == c.b_only == 0


@pytest.mark.slow
def test_compare_scores_equal_eval_when_coverage_is_equal(trained):
    v, _, noisy, _ = trained
    rep = compare(v, noisy, restrict=3000, bootstrap=300, methods=("add",))
    ev = evaluate(v, restrict=3000, bootstrap=0)
    for c, e in zip(rep.comparisons[:5], ev.similarity):
        assert c.name == e.name and c.common == e.found and c.a == pytest.approx(e.spearman, abs=1e-12)
    total = next(c for c in rep.comparisons if c.name == "google total")
    assert total.a == pytest.approx(ev.analogy[0].accuracy) and total.common == ev.analogy[0].total.answered
    # the noise costs analogy accuracy and MEN rho: differences clearly above zero
    assert total.significant and total.difference > 0 and total.ci[0] > 0
    men = next(c for c in rep.comparisons if c.name == "MEN-TR-3k")
    assert men.significant and men.ci[0] > 0 and men.p < 0.01


def test_compare_uses_the_items_both_cover(trained):
    v = trained[0]
    small = Vectors(v.words[:2000], v.matrix[:2000])
    rep = compare(v, small, restrict=3000, bootstrap=100, methods=("mul",))
    rows = read_similarity(bundled_path("MEN-TR-3k"))
    men = next(c for c in rep.comparisons if c.name == "MEN-TR-3k")
    ia, ib = pair_rows(small, rows)
    assert men.common == int(((ia >= 0) & (ib >= 0)).sum()) and men.b_only == 0 and men.a_only > 0
    assert men.a == pytest.approx(stats.spearman(*_men_scores(v, rows, ia, ib)))
    assert [c.metric for c in rep.comparisons][-1] == "3CosMul accuracy"


def _men_scores(v, rows, ia, ib):
    ok = (ia >= 0) & (ib >= 0)
    ja, jb = pair_rows(v, rows)
    return pair_cosines(v, ja[ok], jb[ok]), np.array([r[2] for r in rows])[ok]


def test_compare_cli_runs(run, trained):
    _, a, _, b = trained
    r = run("compare", a, b, "--restrict", "3000", "--method", "add", "--bootstrap", "50")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0].startswith(f"A = {a}, B = {b}")


@pytest.mark.slow
def test_compare_cli_table_json_and_errors(assert_one_line_error, run, trained, tmp_path):
    _, a, _, b = trained
    r = run("compare", a, b, "--restrict", "3000", "--method", "add", "--bootstrap", "300")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].startswith(f"A = {a}, B = {b}") and len(lines) == 2 + 5 + 3
    assert any(ln.endswith(" *") for ln in lines[2:])
    got = json.loads(run("compare", a, b, "--restrict", "3000", "--method", "mul", "--bootstrap", "100",
                         "--json").stdout)
    assert got["level"] == 0.95 and len(got["comparisons"]) == 8
    assert {"difference", "ci", "p", "significant", "coverage", "a_only"} <= set(got["comparisons"][0])
    assert_one_line_error(run("compare", a, tmp_path / "missing.txt"))
    assert_one_line_error(run("compare", a, b, "--bootstrap", "0"))
    assert_one_line_error(run("compare", a, b, "--method", "div"))
    assert_one_line_error(run("compare", a))


def test_compare_without_a_common_item_is_one_line(assert_one_line_error, run, trained, tmp_path):
    """Files that share no word of any pair or question: an error, not a table of NaN and exit 0."""
    _, a, _, _ = trained
    other = tmp_path / "other.txt"
    Vectors(["zzq1", "zzq2", "zzq3"], np.eye(3, dtype=np.float32)).save(other)
    r = run("compare", a, other, "--bootstrap", "20")
    assert_one_line_error(r, "cover no pair or question in common")
    r = run("compare", a, a, "--bootstrap", "0")
    assert_one_line_error(r, "0 is not in the range x>=1")
    assert "(0: none)" not in run("compare", "--help").stdout


def test_eval_json_has_null_for_a_score_it_cannot_give(run, tmp_path):
    """JSON has no NaN: a set with too few pairs found has ``null``, and the output parses."""
    few = tmp_path / "few.txt"
    Vectors(["king", "queen", "cup"], np.eye(3, dtype=np.float32)).save(few)
    r = run("eval", few, "--json", "--bootstrap", "0")
    assert r.exit_code == 0, r.output
    assert "NaN" not in r.stdout
    got = json.loads(r.stdout)
    assert got["similarity"][0]["spearman"] is None


@pytest.mark.parametrize("score", ["nan", "inf", "-inf"])
def test_similarity_file_with_a_non_finite_score_is_refused(assert_one_line_error, run, trained, tmp_path, score):
    _, a, _, _ = trained
    sim = tmp_path / "pairs.tsv"
    sim.write_text(f"king\tqueen\t8.5\nthe\tof\t{score}\ncup\tmug\t7\n")
    assert_one_line_error(run("eval", a, "--sim", sim), "line 2: expected 'word1 word2 score (a finite number)'")
