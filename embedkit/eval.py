"""Word-similarity and analogy evaluation, on the bundled sets or the user's own.

Conventions (those people report): similarity is Spearman's rho between cosine and the human
score over the pairs whose two words are both in the vocabulary, with the coverage beside
it. Analogy questions ``a b c d`` ask for d = b - a + c; the search is restricted to the
``restrict`` most frequent words, questions with a word outside them are skipped (and
counted in the coverage), the three question words are never an answer, and matching is
case-insensitive unless asked otherwise. Both 3CosAdd and 3CosMul are scored from one
matrix product per chunk of questions (the distinct question words against every candidate)
and one compiled pass over the candidates per question.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import asdict, dataclass, field
from importlib import resources

import numba
import numpy as np
from scipy.stats import spearmanr

from . import stats
from ._util import check_choice, check_int, read_rows
from .errors import EmbedkitError
from .vectors import ANALOGY_METHODS, MUL_EPSILON

SIMILARITY_SETS = ("WS-353-ALL", "WS-353-SIM", "WS-353-REL", "SIMLEX-999", "MEN-TR-3k")
ANALOGY_SETS = ("google",)
_TABLE_FLOATS = 1 << 26  # cosine table of one chunk of questions: at most 256 MB


def bundled_path(name):
    """Path of a bundled set: one of SIMILARITY_SETS or ``"google"``."""
    fname = name + (".txt" if name in ANALOGY_SETS else ".tsv")
    return str(resources.files("embedkit.data") / fname)


_NO_CI = (float("nan"), float("nan"))


@dataclass
class SimilarityResult:
    """Spearman rho on the pairs found (``nan`` if fewer than 2), how many were found, and the
    bootstrap interval ``ci`` of rho (``(nan, nan)`` when not computed)."""

    name: str
    spearman: float
    pairs: int
    found: int
    ci: tuple = _NO_CI
    composed: int = 0  # of the pairs found, those with a word composed from subwords (oov="compose")

    @property
    def coverage(self):
        return self.found / self.pairs if self.pairs else 0.0


@dataclass
class SectionResult:
    """One analogy section: counts, accuracy over the answered questions, its interval ``ci``."""

    name: str
    questions: int
    answered: int
    correct: int
    ci: tuple = _NO_CI
    composed: int = 0  # of the answered questions, those with a word composed from subwords (oov="compose")

    @property
    def accuracy(self):
        return self.correct / self.answered if self.answered else 0.0


@dataclass
class AnalogyResult:
    """Accuracy per section and overall, for one method; accuracy counts answered questions."""

    name: str
    method: str
    restrict: int
    sections: list = field(default_factory=list)
    totals_ci: dict = field(default_factory=dict)  # "semantic", "syntactic", "total" -> interval

    def _total(self, key, keep):
        s = [x for x in self.sections if keep(x.name)]
        q, a, c, m = (sum(getattr(x, k) for x in s) for k in ("questions", "answered", "correct", "composed"))
        return SectionResult(key, q, a, c, self.totals_ci.get(key, _NO_CI), m)

    @property
    def total(self):
        return self._total("total", lambda n: True)

    @property
    def semantic(self):
        return self._total("semantic", lambda n: not n.startswith("gram"))

    @property
    def syntactic(self):
        return self._total("syntactic", lambda n: n.startswith("gram"))

    @property
    def accuracy(self):
        return self.total.accuracy

    @property
    def coverage(self):
        t = self.total
        return t.answered / t.questions if t.questions else 0.0


@dataclass
class EvalReport:
    similarity: list
    analogy: list

    def summary(self):
        """Flat ``{name: value}``: rho per similarity set, ``NAME`` (3CosAdd accuracy),
        ``NAME_mul``, ``NAME_coverage`` per analogy set."""
        out = {r.name: r.spearman for r in self.similarity}
        for r in self.analogy:
            out[r.name if r.method == "add" else f"{r.name}_{r.method}"] = r.accuracy
            out[f"{r.name}_coverage"] = r.coverage
        return out

    def to_dict(self):
        """JSON-ready dict; an interval is ``[low, high]`` (``null`` when not computed)."""
        sim = [dict(asdict(r), coverage=r.coverage, ci=_json_ci(r.ci)) for r in self.similarity]
        ana = []
        for r in self.analogy:
            d = {"name": r.name, "method": r.method, "restrict": r.restrict, "accuracy": r.accuracy,
                 "ci": _json_ci(r.total.ci), "coverage": r.coverage, "composed": r.total.composed,
                 "semantic": r.semantic.accuracy, "semantic_ci": _json_ci(r.semantic.ci),
                 "syntactic": r.syntactic.accuracy, "syntactic_ci": _json_ci(r.syntactic.ci),
                 "sections": [dict(asdict(s), accuracy=s.accuracy, ci=_json_ci(s.ci)) for s in r.sections]}
            ana.append(d)
        return _json_safe({"similarity": sim, "analogy": ana})


def _json_safe(x):
    """``x`` with every NaN or infinite float (a score over too few items) as None: JSON has no NaN."""
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _json_ci(ci):
    return None if any(x != x for x in ci) else [float(x) for x in ci]


def _lookup(vectors, case_sensitive, restrict=None):
    """word -> row; case-insensitive maps each lower-cased word to its most frequent spelling."""
    words = vectors.words if restrict is None else vectors.words[:restrict]
    if case_sensitive:
        return {w: i for i, w in enumerate(words)}
    table = {}
    for i, w in enumerate(words):
        table.setdefault(w.lower(), i)
    return table


def read_similarity(path):
    """``[(w1, w2, score)]`` from a tab- or space-separated file; '#' lines are comments."""

    def parse(line):
        parts = [p.strip() for p in (line.split("\t") if "\t" in line else line.split())]
        if len(parts) != 3:
            raise ValueError
        score = float(parts[2])
        if not math.isfinite(score):  # a rank correlation over NaN scores is NaN, or quietly wrong
            raise ValueError
        return parts[0], parts[1], score

    return read_rows(path, parse, "word1 word2 score (a finite number)")


def read_analogies(path):
    """``[(section, [(a, b, c, d), ...]), ...]`` from the Google ``: section`` format."""
    sections = []
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                if line.startswith(":"):
                    sections.append((line[1:].strip(), []))
                    continue
                parts = line.split()
                if len(parts) != 4:
                    raise EmbedkitError(f"{path}, line {n}: expected 4 words, got {line.strip()[:60]!r}")
                if not sections:
                    sections.append(("questions", []))
                sections[-1][1].append(tuple(parts))
    except OSError as e:
        raise EmbedkitError(f"cannot read {path}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise EmbedkitError(f"{path} is not UTF-8 text") from None
    if not any(q for _, q in sections):
        raise EmbedkitError(f"{path} holds no analogy questions")
    return sections


def _name(path_or_name, known):
    if path_or_name in known:
        return path_or_name, bundled_path(path_or_name)
    base = os.path.basename(os.fspath(path_or_name))
    return base.rsplit(".", 1)[0] if "." in base else base, os.fspath(path_or_name)


def pair_rows(vectors, rows, case_sensitive=False):
    """Rows of the two words of each ``(w1, w2, score)``: two int64 arrays, -1 where unknown."""
    table = _lookup(vectors, case_sensitive)
    key = (lambda w: w) if case_sensitive else str.lower
    ia = np.array([table.get(key(a), -1) for a, _, _ in rows], dtype=np.int64)
    ib = np.array([table.get(key(b), -1) for _, b, _ in rows], dtype=np.int64)
    return ia, ib


def pair_cosines(vectors, ia, ib):
    """float64 cosines of rows ``ia[k]`` and ``ib[k]``."""
    return np.einsum("ij,ij->i", vectors.unit[ia].astype(np.float64), vectors.unit[ib].astype(np.float64))


OOV_MODES = ("skip", "compose")


def evaluate_similarity(vectors, path_or_name="WS-353-ALL", *, case_sensitive=False, bootstrap=1000, ci=0.95,
                        seed=0, oov="skip"):
    """Spearman rho of cosine similarity against human scores, with a bootstrap interval.

    Parameters
    ----------
    vectors : Vectors
    path_or_name : str, default="WS-353-ALL"
        A bundled set (one of ``SIMILARITY_SETS``) or a file of ``word1 word2 score`` lines.
    case_sensitive : bool, default=False
    bootstrap : int, default=1000
        Resamples of the found pairs for the percentile interval ``ci`` of rho (0: none).
    ci : float, default=0.95
        Confidence level of the interval.
    seed : int, default=0
        Seed of the resampling (combined with the set's name).
    oov : {"skip", "compose"}, default="skip"
        "skip" scores the pairs whose two words are in the vocabulary (comparable with other
        tools); "compose" also scores pairs with an unseen word when the vectors compose
        unseen words from subwords (fastText's ``SubwordVectors``), counted in ``composed``.

    Returns
    -------
    SimilarityResult
    """
    bootstrap, ci, seed = stats.check_bootstrap(bootstrap, ci, seed)
    check_choice("oov", oov, OOV_MODES)
    name, path = _name(path_or_name, SIMILARITY_SETS)
    rows = read_similarity(path)
    ia, ib = pair_rows(vectors, rows, case_sensitive)
    found = (ia >= 0) & (ib >= 0)
    cos = pair_cosines(vectors, ia[found], ib[found])
    human = np.array([s for s, f in zip((r[2] for r in rows), found) if f], dtype=np.float64)
    composed = 0
    can_compose = getattr(vectors, "can_compose", None) if oov == "compose" else None
    if can_compose is not None:
        key = (lambda w: w) if case_sensitive else str.lower
        extra = [(key(a), key(b), s) for (a, b, s), f in zip(rows, found)
                 if not f and can_compose(key(a)) and can_compose(key(b))]
        if extra:
            ua = np.array([_unit_vector(vectors, a) for a, _, _ in extra])
            ub = np.array([_unit_vector(vectors, b) for _, b, _ in extra])
            cos = np.concatenate([cos, np.einsum("ij,ij->i", ua, ub)])
            human = np.concatenate([human, [s for _, _, s in extra]])
            composed = len(extra)
    n_found = len(cos)
    rho, interval = float("nan"), _NO_CI
    if n_found >= 2:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # constant input: rho is nan, which is the answer
            rho = float(spearmanr(cos, human).statistic)
        if bootstrap:
            interval = stats.spearman_interval(cos, human, n_resamples=bootstrap, ci=ci, rng=stats.rng_for(seed, name))
    _warn_coverage(name, n_found, len(rows), "pairs found")
    return SimilarityResult(name, rho, len(rows), n_found, interval, composed)


def _unit_vector(vectors, word):
    """float64 unit vector of ``word`` (a vocabulary row, or composed by a SubwordVectors)."""
    v = np.asarray(vectors[word], dtype=np.float64)
    n = np.linalg.norm(v)
    return v / n if n > 0 else v


MIN_COVERAGE = 0.5  # below this share of a set found, a figure gets a warning
MIN_FOUND = 10  # and with fewer pairs (or questions) found


def _warn_coverage(name, found, total, what):
    """A warning when a score rests on few items: under MIN_FOUND found, or under MIN_COVERAGE of the set."""
    if found < MIN_FOUND:  # however large a share of the set: too few to say much
        warnings.warn(f"{name}: only {found} of {total} {what}, fewer than {MIN_FOUND}; its score says little about "
                      "these vectors", stacklevel=3)
    elif found < MIN_COVERAGE * total:
        warnings.warn(f"{name}: only {found} of {total} {what} ({found / total if total else 0:.1%}); "
                      f"its score says little about these vectors", stacklevel=3)


def question_rows(vectors, questions, restrict, case_sensitive=False):
    """Rows of the four words of each question among the ``restrict`` most frequent words:
    int64 (n, 4), -1 where a word is outside them."""
    table = _lookup(vectors, case_sensitive, restrict)
    key = (lambda w: w) if case_sensitive else str.lower
    return np.array([[table.get(key(w), -1) for w in qn] for qn in questions], dtype=np.int64).reshape(-1, 4)


def compose_questions(vectors, questions, restrict, case_sensitive=False, known=None):
    """``question_rows`` for ``oov="compose"``: a word absent from the vocabulary gets a vector
    composed from its subwords (when ``vectors.can_compose`` it). Returns (q, extra, composed):
    q int64 (n, 4), where a/b/c rows past the candidates (the first ``restrict`` rows) index
    ``extra`` (float32 unit vectors of the composed words: row min(restrict, words) + k is
    extra[k]) and an unseen answer d is -2 (never a candidate: the question counts as wrong);
    composed: bool (n,), the questions that needed one. A word in the vocabulary but outside
    the ``restrict`` most frequent words still leaves its question unanswered (-1), as without
    composition. ``known``: the whole vocabulary's ``_lookup`` table, when already built."""
    q = question_rows(vectors, questions, restrict, case_sensitive)
    can_compose = getattr(vectors, "can_compose", None)
    composed = np.zeros(len(q), dtype=bool)
    if can_compose is None:
        return q, np.zeros((0, vectors.dim), np.float32), composed
    known = _lookup(vectors, case_sensitive) if known is None else known
    key = (lambda w: w) if case_sensitive else str.lower
    base = min(restrict, len(vectors.words))  # the candidates' rows come first
    extra = {}
    for i, qn in enumerate(questions):
        for j, w in enumerate(qn):
            if q[i, j] >= 0 or key(w) in known or not can_compose(key(w)):
                continue
            if j == 3:
                q[i, 3] = -2
            else:
                q[i, j] = base + extra.setdefault(key(w), len(extra))
            composed[i] = True
    vecs = np.zeros((len(extra), vectors.dim), np.float32)
    for w, k in extra.items():
        vecs[k] = _unit_vector(vectors, w)
    return q, vecs, composed


def answer_questions(vectors, q, restrict, methods, extra=None):
    """0/1 correctness of each question of ``q`` (int64 (n, 4) rows, all known, or composed
    rows min(restrict, words) + k of ``extra`` as ``compose_questions`` gives them): {method: bool (n,)}."""
    unit = vectors.unit[:restrict]
    queries = unit if extra is None or not len(extra) else np.vstack([unit, extra])
    right = {m: np.zeros(len(q), dtype=bool) for m in methods}
    # one cosine table per section when it fits, else chunks of questions
    fits = np.unique(q[:, :3]).size * unit.shape[0] <= _TABLE_FLOATS
    step = max(len(q), 1) if fits else max(1, _TABLE_FLOATS // (3 * unit.shape[0]))
    for start in range(0, len(q), step):
        qb = q[start:start + step]
        # cosines of each distinct question word with every candidate: (n distinct, restrict)
        uniq, pos = np.unique(qb[:, :3], return_inverse=True)
        cos = queries[uniq] @ unit.T
        best_add, best_mul = _best_answers(cos, pos.reshape(-1, 3).astype(np.int64), qb[:, :3].copy(),
                                           "add" in methods, "mul" in methods)
        for m, best in (("add", best_add), ("mul", best_mul)):
            if m in methods:
                right[m][start:start + step] = best == qb[:, 3]
    return right


def evaluate_analogy(vectors, path_or_name="google", *, restrict=30000, methods=ANALOGY_METHODS,
                     case_sensitive=False, bootstrap=1000, ci=0.95, seed=0, oov="skip"):
    """Analogy accuracy (3CosAdd and/or 3CosMul) per section, semantic, syntactic and total.

    A question ``a b c d`` is right when d is the best word for ``b - a + c`` among the
    ``restrict`` most frequent words, a, b and c excluded; a question with a word outside
    them is skipped. Sections whose name starts with ``gram`` are syntactic. Every accuracy
    gets a percentile bootstrap interval over its answered questions (``bootstrap``
    resamples, level ``ci``, seeded by ``seed`` and the section's name; 0 resamples: none).

    ``oov="compose"`` (vectors that compose unseen words from subwords, fastText's
    ``SubwordVectors``) also answers the questions with a word absent from the vocabulary: an
    unseen a, b or c gets its composed vector, an unseen d cannot be among the candidates, so
    that question counts as wrong (every question with vectors for its words is scored);
    each section's ``composed`` counts the questions that needed a composed word.

    Returns
    -------
    list of AnalogyResult, one per method
    """
    restrict = check_int("restrict", restrict, min=1)
    bootstrap, ci, seed = stats.check_bootstrap(bootstrap, ci, seed)
    check_choice("oov", oov, OOV_MODES)
    for m in methods:
        if m not in ANALOGY_METHODS:
            raise EmbedkitError(f"method must be one of {', '.join(ANALOGY_METHODS)}; got {m!r}")
    name, path = _name(path_or_name, ANALOGY_SETS)
    sections = read_analogies(path)
    results = {m: AnalogyResult(name, m, restrict) for m in methods}
    known = _lookup(vectors, case_sensitive) if oov == "compose" else None  # one table for every section
    for sec, questions in sections:
        if oov == "compose":
            q, extra, composed = compose_questions(vectors, questions, restrict, case_sensitive, known)
        else:
            q, extra = question_rows(vectors, questions, restrict, case_sensitive), None
            composed = np.zeros(len(q), dtype=bool)
        answered = (q[:, :3] >= 0).all(axis=1) & (q[:, 3] != -1)
        q, n_composed = q[answered], int(composed[answered].sum())
        right = answer_questions(vectors, q, restrict, methods, extra)
        for m in methods:
            c = int(right[m].sum())
            interval = stats.accuracy_interval(c, len(q), n_resamples=bootstrap, ci=ci,
                                               rng=stats.rng_for(seed, f"{name}/{m}/{sec}"))
            results[m].sections.append(SectionResult(sec, len(questions), len(q), c, interval, n_composed))
    for m, r in results.items():
        for key in ("semantic", "syntactic", "total"):
            t = getattr(r, key)
            r.totals_ci[key] = stats.accuracy_interval(t.correct, t.answered, n_resamples=bootstrap, ci=ci,
                                                       rng=stats.rng_for(seed, f"{name}/{m}/{key}"))
    total = next(iter(results.values())).total
    _warn_coverage(f"{name} analogies", total.answered, total.questions,
                   f"questions answerable in the top {restrict} words")
    return [results[m] for m in methods]


@numba.njit(parallel=True, cache=True)
def _best_answers(cos, pos, exclude, do_add, do_mul):
    """Best candidate per question for 3CosAdd and 3CosMul, d = b - a + c.

    cos float32 (n distinct words, restrict); pos int64 (n, 3): rows of cos for a, b, c;
    exclude int64 (n, 3): candidate ids never answered. Float32 arithmetic in numpy's order
    (``analogy_scores``), first maximum on ties, as ``argmax``. Returns two int64 (n,) arrays.
    """
    n, r = pos.shape[0], cos.shape[1]
    best_add = np.zeros(n, np.int64)
    best_mul = np.zeros(n, np.int64)
    one, half, eps = np.float32(1), np.float32(0.5), np.float32(MUL_EPSILON)  # x * 0.5 == x / 2 exactly
    for i in numba.prange(n):
        ca, cb, cc = cos[pos[i, 0]], cos[pos[i, 1]], cos[pos[i, 2]]
        e0, e1, e2 = exclude[i, 0], exclude[i, 1], exclude[i, 2]
        top_add = top_mul = -np.inf
        for j in range(r):
            if j == e0 or j == e1 or j == e2:
                continue
            if do_add:
                s = cb[j] - ca[j] + cc[j]
                if s > top_add:
                    top_add, best_add[i] = s, j
            if do_mul:
                s = ((cb[j] + one) * half) * ((cc[j] + one) * half) / ((ca[j] + one) * half + eps)
                if s > top_mul:
                    top_mul, best_mul[i] = s, j
    return best_add, best_mul


def evaluate(vectors, *, sim=None, analogy=None, restrict=30000, case_sensitive=False, bootstrap=1000, ci=0.95,
             seed=0, oov="skip"):
    """Every bundled set plus the user's own: one ``EvalReport``, every score with a bootstrap interval.

    Parameters
    ----------
    vectors : Vectors
    sim : list of paths or None
        Extra similarity files (``word1 word2 score``), scored after the bundled sets.
    analogy : list of paths or None
        Extra analogy files (Google ``: section`` format).
    restrict : int, default=30000
    case_sensitive : bool, default=False
    bootstrap : int, default=1000
        Bootstrap resamples for the intervals (0: no intervals).
    ci : float, default=0.95
        Confidence level of the intervals.
    seed : int, default=0
        Seed of the resampling; each set and section draws from its own stream.
    oov : {"skip", "compose"}, default="skip"
        Pairs and questions with an unseen word: skipped, or scored with vectors composed from
        subwords (fastText vectors); see :func:`evaluate_similarity` and :func:`evaluate_analogy`.

    Returns
    -------
    EvalReport
    """
    boot = dict(bootstrap=bootstrap, ci=ci, seed=seed)
    if oov == "compose" and not hasattr(vectors, "can_compose"):
        warnings.warn("composing unseen words has no effect here: only a fastText .bin model composes them, not these "
                      "vectors; pairs and questions with unseen words are skipped")
    for path in sim or []:  # the user's files first: a bad one fails before any score (or warning)
        read_similarity(_name(path, SIMILARITY_SETS)[1])
    for path in analogy or []:
        read_analogies(_name(path, ANALOGY_SETS)[1])
    sims = [evaluate_similarity(vectors, s, case_sensitive=case_sensitive, oov=oov, **boot)
            for s in [*SIMILARITY_SETS, *(sim or [])]]
    anas = [r for a in [*ANALOGY_SETS, *(analogy or [])]
            for r in evaluate_analogy(vectors, a, restrict=restrict, case_sensitive=case_sensitive, oov=oov, **boot)]
    return EvalReport(sims, anas)
