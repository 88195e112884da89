"""Paired comparison of two sets of vectors on the same word pairs and analogy questions.

Each similarity set is scored on the pairs whose words both vector sets know, each analogy
set on the questions whose four words are among the ``restrict`` most frequent words of both,
so the two scores are computed on identical items. For each set the difference A - B gets a
paired percentile bootstrap interval (the same resampled items for A and B) and a two-sided
p-value: a paired permutation test for Spearman's rho (A's and B's rank of each pair swapped
at random), McNemar's exact test for analogy accuracy. A difference is marked significant
when p < 1 - ci. No correction for testing several sets is applied.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from . import stats
from ._util import check_int
from .errors import EmbedkitError
from .eval import (ANALOGY_SETS, SIMILARITY_SETS, _json_ci, _json_safe, _name, answer_questions, pair_cosines,
                   pair_rows, question_rows, read_analogies, read_similarity)
from .vectors import ANALOGY_METHODS


@dataclass
class Comparison:
    """One set (or analogy total) scored for A and B on the items both cover.

    ``items`` is the size of the set, ``common`` the items both cover (and were scored),
    ``a_only``/``b_only`` the items only one of them covers. ``difference = a - b``, ``ci`` its
    paired bootstrap interval, ``p`` the two-sided p-value of ``test``.
    """

    name: str
    kind: str  # "similarity" or "analogy"
    metric: str  # "spearman", "3CosAdd accuracy", ...
    items: int
    common: int
    a_only: int
    b_only: int
    a: float
    b: float
    difference: float
    ci: tuple
    p: float
    test: str
    significant: bool

    @property
    def coverage(self):
        return self.common / self.items if self.items else 0.0


@dataclass
class CompareReport:
    """Every comparison, similarity sets first; ``level`` is the confidence level used."""

    a_name: str
    b_name: str
    level: float
    comparisons: list = field(default_factory=list)

    def to_dict(self):
        """JSON-ready dict (``ci`` as ``[low, high]``, ``null`` where undefined)."""
        rows = []
        for c in self.comparisons:
            d = asdict(c)
            d["ci"] = _json_ci(c.ci)
            d["coverage"] = c.coverage
            rows.append(_json_safe(d))
        return {"a": self.a_name, "b": self.b_name, "level": self.level, "comparisons": rows}


def compare(a, b, *, sim=None, analogy=None, restrict=30000, methods=ANALOGY_METHODS, case_sensitive=False,
            bootstrap=1000, ci=0.95, seed=0, names=("A", "B")):
    """Score two sets of vectors on the same items and test each difference.

    Parameters
    ----------
    a, b : Vectors
    sim : list of paths or None
        Extra similarity files, compared after the bundled sets.
    analogy : list of paths or None
        Extra analogy files, compared after the Google set.
    restrict : int, default=30000
        Analogy answers are searched among each side's ``restrict`` most frequent words.
    methods : sequence of {"add", "mul"}, default=("add", "mul")
    case_sensitive : bool, default=False
    bootstrap : int, default=1000
        Resamples for the intervals and permutations for the similarity p-values (>= 1).
    ci : float, default=0.95
        Confidence level; a difference is significant when p < 1 - ci.
    seed : int, default=0
    names : (str, str), default=("A", "B")
        Labels of the two sides in the report.

    Returns
    -------
    CompareReport

    Examples
    --------
    >>> from embedkit import Vectors
    >>> rng = np.random.default_rng(0)
    >>> words = sorted({w for s in SIMILARITY_SETS for r in read_similarity(_name(s, SIMILARITY_SETS)[1])
    ...                 for w in r[:2]})
    >>> a = Vectors(words, rng.normal(size=(len(words), 10)))
    >>> r = compare(a, a, bootstrap=200, methods=("add",))
    >>> [(c.name, c.difference, c.p) for c in r.comparisons][:2]
    [('WS-353-ALL', 0.0, 1.0), ('WS-353-SIM', 0.0, 1.0)]
    """
    restrict = check_int("restrict", restrict, min=1)
    bootstrap, ci, seed = stats.check_bootstrap(bootstrap, ci, seed)
    if bootstrap < 1:
        raise EmbedkitError("bootstrap must be >= 1 for a comparison, got 0")
    for m in methods:
        if m not in ANALOGY_METHODS:
            raise EmbedkitError(f"method must be one of {', '.join(ANALOGY_METHODS)}; got {m!r}")
    if not methods:
        raise EmbedkitError("methods must name at least one of add, mul")
    report = CompareReport(names[0], names[1], ci)
    boot = dict(n_resamples=bootstrap, ci=ci)
    for s in [*SIMILARITY_SETS, *(sim or [])]:
        name, path = _name(s, SIMILARITY_SETS)
        rows = read_similarity(path)
        (ia, ib), (ja, jb) = pair_rows(a, rows, case_sensitive), pair_rows(b, rows, case_sensitive)
        in_a, in_b = (ia >= 0) & (ib >= 0), (ja >= 0) & (jb >= 0)
        both = in_a & in_b
        human = np.array([r[2] for r in rows])[both]
        ca, cb = pair_cosines(a, ia[both], ib[both]), pair_cosines(b, ja[both], jb[both])
        if both.sum() >= 3:
            sa, sb = stats.spearman(ca, human), stats.spearman(cb, human)
            diff, interval, p = stats.paired_spearman_test(ca, cb, human, rng=stats.rng_for(seed, name), **boot)
        else:
            sa = sb = diff = p = float("nan")
            interval = (float("nan"), float("nan"))
        report.comparisons.append(Comparison(
            name, "similarity", "spearman", len(rows), int(both.sum()), int((in_a & ~in_b).sum()),
            int((in_b & ~in_a).sum()), sa, sb, diff, interval, p, "paired permutation", bool(p < 1 - ci)))
    for s in [*ANALOGY_SETS, *(analogy or [])]:
        name, path = _name(s, ANALOGY_SETS)
        sections = read_analogies(path)
        questions = [q for _, qs in sections for q in qs]
        syntactic = np.array([sec.startswith("gram") for sec, qs in sections for _ in qs], dtype=bool)
        qa = question_rows(a, questions, restrict, case_sensitive)
        qb = question_rows(b, questions, restrict, case_sensitive)
        in_a, in_b = (qa >= 0).all(axis=1), (qb >= 0).all(axis=1)
        both = in_a & in_b
        right_a = answer_questions(a, qa[both], restrict, methods)
        right_b = answer_questions(b, qb[both], restrict, methods)
        for m in methods:
            label = f"3Cos{m.capitalize()} accuracy"
            for part, keep in (("semantic", ~syntactic[both]), ("syntactic", syntactic[both]),
                               ("total", np.ones(int(both.sum()), dtype=bool))):
                sel = syntactic if part == "syntactic" else ~syntactic if part == "semantic" else np.ones_like(both)
                ra, rb = right_a[m][keep], right_b[m][keep]
                if ra.size:
                    diff, interval, p = stats.paired_accuracy_test(
                        ra, rb, rng=stats.rng_for(seed, f"{name}/{m}/{part}"), **boot)
                    acc_a, acc_b = float(ra.mean()), float(rb.mean())
                else:
                    acc_a = acc_b = diff = p = float("nan")
                    interval = (float("nan"), float("nan"))
                report.comparisons.append(Comparison(
                    f"{name} {part}", "analogy", label, int(sel.sum()), int(ra.size),
                    int((in_a & ~in_b & sel).sum()), int((in_b & ~in_a & sel).sum()), acc_a, acc_b, diff,
                    interval, p, "McNemar exact", bool(p < 1 - ci)))
    if not any(c.common for c in report.comparisons):
        raise EmbedkitError(f"{names[0]} and {names[1]} cover no pair or question in common (each item needs all its "
                            "words in both): nothing to compare")
    return report
