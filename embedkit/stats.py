"""Bootstrap intervals and paired tests for evaluation scores, vectorised in NumPy.

Spearman's rho on a resample is computed without sorting: each variable is first coded as
its dense rank (0..m-1), and the average ranks inside a resample follow from a per-row count
of the codes (``_row_ranks``), so B resamples of n pairs cost O(B (n + m)) array operations.
An accuracy (the mean of a 0/1 vector) resampled with replacement is exactly
Binomial(n, k/n) / n, and a paired difference of two accuracies is a multinomial draw of the
four cells (both right, only A, only B, neither), so those bootstraps are exact and cheap.

Intervals are percentile intervals (``scipy.stats.bootstrap(..., method="percentile")``);
p-values of paired permutation tests follow ``scipy.stats.permutation_test`` (two-sided:
twice the smaller one-sided p, with the observed statistic counted once).
"""

from __future__ import annotations

import zlib

import numpy as np
from scipy.stats import binomtest

from ._util import check_float, check_int, check_seed
from .errors import EmbedkitError

_BLOCK = 1 << 21  # array elements per block of resamples: memory stays a few tens of MB


def check_bootstrap(n_resamples, ci, seed):
    """Validate the three bootstrap parameters once; returns them."""
    return (check_int("n_resamples", n_resamples, min=0), check_float("ci", ci, min=0, max=1, min_open=True,
                                                                      max_open=True), check_seed(seed))


def rng_for(seed, name):
    """A generator seeded by ``seed`` and a name, so one set's draws do not depend on the others."""
    return np.random.default_rng([seed, zlib.crc32(str(name).encode("utf-8"))])


def dense_codes(x):
    """Dense rank codes of ``x`` (equal values share a code): (int64 codes, number of codes)."""
    uniq, codes = np.unique(np.asarray(x), return_inverse=True)
    return codes.reshape(-1).astype(np.int64), uniq.size


def _row_ranks(codes, m):
    """Average ranks (1-based, ties averaged) within each row of int ``codes`` (B, n) < m."""
    b, n = codes.shape
    flat = (codes + (np.arange(b, dtype=np.int64) * m)[:, None]).ravel()
    counts = np.bincount(flat, minlength=b * m).reshape(b, m).astype(np.float64)
    before = np.cumsum(counts, axis=1) - counts
    avg = before + (counts + 1) / 2
    return np.take_along_axis(avg, codes, axis=1)


def _row_pearson(x, y):
    """Pearson correlation of each row of x with the same row of y (nan where one is constant)."""
    x = x - x.mean(axis=1, keepdims=True)
    y = y - y.mean(axis=1, keepdims=True)
    den = np.sqrt((x * x).sum(axis=1) * (y * y).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (x * y).sum(axis=1) / np.where(den > 0, den, 1), np.nan)


def spearman(x, y):
    """Spearman's rho with average ranks for ties (equals ``scipy.stats.spearmanr``)."""
    (cx, mx), (cy, my) = dense_codes(x), dense_codes(y)
    return float(_row_pearson(_row_ranks(cx[None], mx), _row_ranks(cy[None], my))[0])


def _blocks(n_resamples, n):
    step = max(1, _BLOCK // max(n, 1))
    for start in range(0, n_resamples, step):
        yield min(step, n_resamples - start)


def _percentile(theta, ci):
    theta = theta[np.isfinite(theta)]
    if theta.size == 0:
        return float("nan"), float("nan")
    alpha = (1 - ci) / 2
    lo, hi = np.percentile(theta, [100 * alpha, 100 * (1 - alpha)])
    return float(lo), float(hi)


def spearman_bootstrap(x, y, *, n_resamples=1000, ci=0.95, rng):
    """Bootstrap distribution of Spearman's rho over resampled (x, y) pairs: float64 (n_resamples,)."""
    (cx, mx), (cy, my) = dense_codes(x), dense_codes(y)
    n, out = cx.size, []
    for b in _blocks(n_resamples, n):
        idx = rng.integers(0, n, size=(b, n))
        out.append(_row_pearson(_row_ranks(cx[idx], mx), _row_ranks(cy[idx], my)))
    return np.concatenate(out) if out else np.empty(0)


def spearman_interval(x, y, *, n_resamples=1000, ci=0.95, rng):
    """Percentile bootstrap interval of Spearman's rho between paired samples x and y."""
    if len(x) < 2 or n_resamples == 0:
        return float("nan"), float("nan")
    return _percentile(spearman_bootstrap(x, y, n_resamples=n_resamples, rng=rng), ci)


def accuracy_interval(correct, total, *, n_resamples=1000, ci=0.95, rng):
    """Percentile bootstrap interval of the accuracy correct/total over resampled questions.

    A resample of ``total`` 0/1 outcomes with replacement has Binomial(total, correct/total)
    right answers, so the bootstrap distribution is drawn directly.
    """
    if total == 0 or n_resamples == 0:
        return float("nan"), float("nan")
    return _percentile(rng.binomial(total, correct / total, size=n_resamples) / total, ci)


# ---------------------------------------------------------------- paired comparisons
def paired_spearman_test(a, b, human, *, n_resamples=1000, ci=0.95, rng):
    """Compare rho(a, human) with rho(b, human) on the same pairs.

    Returns ``(difference, (low, high), p)``: the difference of the two Spearman rhos, its
    paired percentile bootstrap interval (the same resampled pairs for both), and the two-sided
    p-value of a paired permutation test that swaps, pair by pair, A's and B's rank of the
    pair (each system's scores are first turned into ranks, so the two scales are comparable).
    """
    a, b, human = (np.asarray(v, dtype=np.float64) for v in (a, b, human))
    n = a.size
    if n < 3:
        raise EmbedkitError(f"a paired comparison needs at least 3 pairs, got {n}")
    (ca, ma), (cb, mb), (ch, mh) = dense_codes(a), dense_codes(b), dense_codes(human)
    diff = spearman(a, human) - spearman(b, human)
    boot = []
    for k in _blocks(n_resamples, 3 * n):
        idx = rng.integers(0, n, size=(k, n))
        rh = _row_ranks(ch[idx], mh)
        boot.append(_row_pearson(_row_ranks(ca[idx], ma), rh) - _row_pearson(_row_ranks(cb[idx], mb), rh))
    interval = _percentile(np.concatenate(boot), ci) if boot else (float("nan"), float("nan"))
    # permutation: codes of twice the within-system ranks are integers in 2..2n
    ra = (2 * _row_ranks(ca[None], ma)[0]).astype(np.int64)
    rb = (2 * _row_ranks(cb[None], mb)[0]).astype(np.int64)
    rh = _row_ranks(ch[None], mh)
    stat = _row_pearson(_row_ranks(ra[None], 2 * n + 1), rh)[0] - _row_pearson(_row_ranks(rb[None], 2 * n + 1), rh)[0]
    null = []
    for k in _blocks(n_resamples, 2 * n):
        swap = rng.random((k, n)) < 0.5
        pa, pb = np.where(swap, rb, ra), np.where(swap, ra, rb)
        null.append(_row_pearson(_row_ranks(pa, 2 * n + 1), rh) - _row_pearson(_row_ranks(pb, 2 * n + 1), rh))
    p = permutation_pvalue(stat, np.concatenate(null) if null else np.empty(0))
    return float(diff), interval, p


def permutation_pvalue(observed, null):
    """Two-sided p-value of ``observed`` against a Monte Carlo null, as scipy's permutation_test."""
    null = null[np.isfinite(null)]
    if null.size == 0 or not np.isfinite(observed):
        return float("nan")
    eps = 1e-14 * max(1.0, abs(observed))  # scipy's tolerance for ties with the observed value
    greater = ((null >= observed - eps).sum() + 1) / (null.size + 1)
    less = ((null <= observed + eps).sum() + 1) / (null.size + 1)
    return float(min(1.0, 2 * min(greater, less)))


def paired_accuracy_test(a_right, b_right, *, n_resamples=1000, ci=0.95, rng):
    """Compare two 0/1 correctness vectors on the same questions.

    Returns ``(difference, (low, high), p)``: accuracy(a) - accuracy(b), its paired percentile
    bootstrap interval (a multinomial draw of the four cells), and McNemar's exact two-sided
    p-value (a binomial test on the questions exactly one system got right).
    """
    a_right, b_right = np.asarray(a_right, dtype=bool), np.asarray(b_right, dtype=bool)
    n = a_right.size
    if n == 0:
        raise EmbedkitError("a paired comparison needs at least 1 question")
    only_a = int((a_right & ~b_right).sum())
    only_b = int((~a_right & b_right).sum())
    diff = (only_a - only_b) / n
    interval = (float("nan"), float("nan"))
    if n_resamples:
        cells = rng.multinomial(n, [only_a / n, only_b / n, max(0.0, 1 - (only_a + only_b) / n)],
                                size=n_resamples)
        interval = _percentile((cells[:, 0] - cells[:, 1]) / n, ci)
    p = 1.0 if only_a + only_b == 0 else float(binomtest(only_a, only_a + only_b, 0.5).pvalue)
    return float(diff), interval, p
