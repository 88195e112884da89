"""Bootstrap intervals and paired tests, checked against SciPy on fixed data (same method; the
tolerances are a few Monte Carlo standard errors)."""

import numpy as np
import pytest
from scipy import stats as ss

from embedkit import stats
from embedkit.errors import EmbedkitError


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    h = np.round(rng.normal(size=200), 1)  # ties, as human scores have
    x = h + rng.normal(size=200)
    y = np.round(h + 1.6 * rng.normal(size=200), 1)
    return h, x, y


def _rows_spearman(a, b, axis=-1):
    ra, rb = ss.rankdata(a, axis=-1), ss.rankdata(b, axis=-1)
    ra, rb = ra - ra.mean(axis=-1, keepdims=True), rb - rb.mean(axis=-1, keepdims=True)
    return (ra * rb).sum(axis=-1) / np.sqrt((ra * ra).sum(axis=-1) * (rb * rb).sum(axis=-1))


def test_spearman_equals_scipy_with_ties(data):
    h, x, y = data
    for a in (x, y, np.round(x), h[::-1]):
        assert stats.spearman(a, h) == pytest.approx(ss.spearmanr(a, h).statistic, abs=1e-12)


def test_row_ranks_average_ties():
    codes = np.array([[2, 0, 2, 1], [0, 0, 0, 3]])
    np.testing.assert_array_equal(stats._row_ranks(codes, 4), [[3.5, 1, 3.5, 2], [2, 2, 2, 4]])


def test_spearman_interval_matches_scipy_bootstrap(data):
    h, x, _ = data
    ours = stats.spearman_interval(x, h, n_resamples=4000, ci=0.9, rng=np.random.default_rng(1))
    theirs = ss.bootstrap((x, h), _rows_spearman, paired=True, vectorized=True, n_resamples=4000,
                          confidence_level=0.9, method="percentile", rng=np.random.default_rng(2))
    # standard error of a 5% quantile of 4000 draws here is about 0.005
    np.testing.assert_allclose(ours, tuple(theirs.confidence_interval), atol=0.02)
    rho = stats.spearman(x, h)
    assert ours[0] < rho < ours[1]


def test_accuracy_interval_matches_scipy_bootstrap():
    right = np.zeros(400)
    right[:92] = 1
    ours = stats.accuracy_interval(92, 400, n_resamples=5000, rng=np.random.default_rng(1))
    theirs = ss.bootstrap((right,), np.mean, n_resamples=5000, method="percentile", rng=np.random.default_rng(2))
    np.testing.assert_allclose(ours, tuple(theirs.confidence_interval), atol=0.006)


def test_intervals_are_seeded_and_shrink_with_n(data):
    h, x, _ = data
    one = stats.spearman_interval(x, h, rng=stats.rng_for(3, "set"))
    assert one == stats.spearman_interval(x, h, rng=stats.rng_for(3, "set"))
    assert one != stats.spearman_interval(x, h, rng=stats.rng_for(4, "set"))
    lo, hi = stats.accuracy_interval(50, 100, rng=np.random.default_rng(0))
    lo2, hi2 = stats.accuracy_interval(5000, 10000, rng=np.random.default_rng(0))
    assert hi2 - lo2 < (hi - lo) / 5
    lo, hi = stats.accuracy_interval(0, 0, rng=np.random.default_rng(0))  # no questions: undefined, not a number
    assert np.isnan(lo) and np.isnan(hi)
    lo, hi = stats.accuracy_interval(3, 4, n_resamples=0, rng=np.random.default_rng(0))  # no resamples: the same
    assert np.isnan(lo) and np.isnan(hi)


@pytest.mark.slow
def test_paired_spearman_matches_scipy(data):
    h, x, y = data
    diff, (lo, hi), p = stats.paired_spearman_test(x, y, h, n_resamples=6000, rng=np.random.default_rng(5))
    assert diff == pytest.approx(ss.spearmanr(x, h).statistic - ss.spearmanr(y, h).statistic, abs=1e-12)
    rh = ss.rankdata(h)

    def stat(a, b, axis=-1):
        return _rows_spearman(a, rh) - _rows_spearman(b, rh)

    perm = ss.permutation_test((ss.rankdata(x), ss.rankdata(y)), stat, permutation_type="samples",
                               vectorized=True, n_resamples=6000, rng=np.random.default_rng(6))
    assert perm.statistic == pytest.approx(diff, abs=1e-12)
    assert p == pytest.approx(perm.pvalue, abs=max(0.02, 0.3 * perm.pvalue))
    assert 0.001 < p < 0.2  # a real difference of about 0.2 in rho on 200 pairs

    boot = ss.bootstrap((x, y, h), lambda a, b, c, axis=-1: _rows_spearman(a, c) - _rows_spearman(b, c),
                        paired=True, vectorized=True, n_resamples=4000, method="percentile",
                        rng=np.random.default_rng(7))
    np.testing.assert_allclose((lo, hi), tuple(boot.confidence_interval), atol=0.02)


def test_paired_spearman_identical_systems_is_not_significant(data):
    h, x, _ = data
    diff, ci, p = stats.paired_spearman_test(x, x, h, rng=np.random.default_rng(0))
    assert diff == 0 and ci == (0, 0) and p == 1


def test_paired_accuracy_mcnemar_and_interval():
    rng = np.random.default_rng(0)
    a = rng.random(500) < 0.4
    b = a.copy()
    flip = rng.choice(500, 60, replace=False)
    b[flip[:45]] = True
    b[flip[45:]] = False
    diff, (lo, hi), p = stats.paired_accuracy_test(a, b, n_resamples=5000, rng=np.random.default_rng(1))
    assert diff == pytest.approx(a.mean() - b.mean())
    only_a, only_b = int((a & ~b).sum()), int((~a & b).sum())
    assert p == pytest.approx(ss.binomtest(only_a, only_a + only_b, 0.5).pvalue)
    theirs = ss.bootstrap((a.astype(float), b.astype(float)), lambda x, y, axis=-1: x.mean(axis) - y.mean(axis),
                          paired=True, vectorized=True, n_resamples=5000, method="percentile",
                          rng=np.random.default_rng(2))
    np.testing.assert_allclose((lo, hi), tuple(theirs.confidence_interval), atol=0.005)
    assert hi < 0 and p < 0.05


def test_permutation_pvalue_counts_observed_once():
    null = np.array([0.0, 1.0, 2.0, 3.0])
    assert stats.permutation_pvalue(3.0, null) == pytest.approx(2 * 2 / 5)
    assert stats.permutation_pvalue(10.0, null) == pytest.approx(2 * 1 / 5)


@pytest.mark.parametrize("kw, msg", [(dict(n_resamples=-1), "n_resamples must be >= 0"),
                                     (dict(ci=1.0), "ci must be < 1"), (dict(ci=0), "ci must be > 0"),
                                     (dict(seed=-2), "seed must be >= 0")])
def test_check_bootstrap(kw, msg):
    args = dict(n_resamples=10, ci=0.95, seed=0) | kw
    with pytest.raises(EmbedkitError, match=msg):
        stats.check_bootstrap(args["n_resamples"], args["ci"], args["seed"])


def test_paired_test_needs_items():
    with pytest.raises(EmbedkitError, match="at least 3 pairs"):
        stats.paired_spearman_test([1, 2], [1, 2], [1, 2], rng=np.random.default_rng(0))
    with pytest.raises(EmbedkitError, match="at least 1 question"):
        stats.paired_accuracy_test([], [], rng=np.random.default_rng(0))
