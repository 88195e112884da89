"""Sentence vectors (mean, pairwise, SIF) against direct NumPy implementations, word counts that
travel with trained vectors, and the docsim / docvec commands."""

import json
import warnings

import numpy as np
import pytest

from embedkit import docvec
from embedkit.docvec import doc_encoder, doc_similarity, read_counts, word_probabilities, write_doc_vectors
from embedkit.errors import EmbedkitError
from embedkit.formats import counts_path
from embedkit.vectors import Vectors

TEXTS = ["the cat sat on the mat", "a dog lay on the rug", "stock markets fell sharply", "", "zzz qqq",
         "the the the cat", "markets and dogs"]


@pytest.fixture
def vecs():
    words = "the on a cat sat mat dog lay rug stock markets fell sharply and dogs".split()
    rng = np.random.default_rng(0)
    return Vectors(words, rng.normal(size=(len(words), 8)) + 0.5, np.arange(len(words), 0, -1) * 100)


def sif_reference(v, texts, a=1e-3, fit=None):
    """Arora et al.'s algorithm, written directly: weighted average of raw vectors, then remove the
    projection on the first singular vector of the fitting set's matrix."""
    p = v.counts / v.counts.sum()

    def avg(t):
        ws = [w for w in t.split() if w in v]
        if not ws:
            return np.zeros(v.dim)
        return sum(a / (a + p[v.words.index(w)]) * v.matrix[v.words.index(w)].astype(np.float64) for w in ws) / len(ws)

    emb = np.array([avg(t) for t in texts])
    fit_emb = emb if fit is None else np.array([avg(t) for t in fit])
    _, _, vt = np.linalg.svd(fit_emb, full_matrices=False)
    u = vt[0]
    return emb - np.outer(emb @ u, u)


def test_sif_equals_direct_numpy(vecs, tmp_path, monkeypatch):
    monkeypatch.setattr(docvec, "_BATCH", 2)  # several blocks: streaming must not change the answer
    f = tmp_path / "t.txt"
    f.write_text("\n".join(TEXTS) + "\n")
    with pytest.warns(UserWarning, match="2 of 7 lines had no word"):
        r = write_doc_vectors(vecs, f, tmp_path / "o.npy", method="sif")
    got = np.load(tmp_path / "o.npy")
    assert got.dtype == np.float32 and got.shape == (7, 8) and r.lines == 7 and r.empty == 2
    np.testing.assert_allclose(got, sif_reference(vecs, TEXTS), atol=1e-5)
    fit = tmp_path / "fit.txt"
    fit.write_text("stock markets\nthe cat on the mat\ndogs and a rug\nsharply fell\n")
    with pytest.warns(UserWarning, match="no word in the vocabulary"):
        write_doc_vectors(vecs, f, tmp_path / "o2.npy", method="sif", fit_corpus=fit, a=1e-2)
    np.testing.assert_allclose(np.load(tmp_path / "o2.npy"),
                               sif_reference(vecs, TEXTS, a=1e-2, fit=fit.read_text().splitlines()), atol=1e-5)


def test_mean_and_pairwise_equal_their_formulas(vecs):
    t1, t2 = TEXTS[0], TEXTS[1]
    unit = vecs.matrix / np.linalg.norm(vecs.matrix, axis=1, keepdims=True)
    k1 = [vecs.index(w) for w in t1.split() if w in vecs]
    k2 = [vecs.index(w) for w in t2.split() if w in vecs]
    pairs = np.mean([[unit[i] @ unit[j] for j in k2] for i in k1])
    r = doc_similarity(vecs, t1, t2, method="pairwise")
    assert r.score == pytest.approx(pairs, abs=1e-6) and r.known1 == 1 and r.known2 == 1
    m1, m2 = unit[k1].mean(axis=0), unit[k2].mean(axis=0)
    r = doc_similarity(vecs, t1, t2, method="mean")
    assert r.score == pytest.approx(m1 @ m2 / np.linalg.norm(m1) / np.linalg.norm(m2), abs=1e-6)
    assert r.score == pytest.approx(vecs.doc_similarity(t1, t2)[0], abs=1e-6)
    with pytest.warns(UserWarning, match="not removed"):
        s = doc_similarity(vecs, t1, t2, method="sif")
    assert -1 < s.score < 1
    f = doc_similarity(vecs, t1, t2, method="sif", fit_texts=TEXTS)
    ref = sif_reference(vecs, [t1, t2], fit=TEXTS)
    assert f.score == pytest.approx(ref[0] @ ref[1] / np.linalg.norm(ref[0]) / np.linalg.norm(ref[1]), abs=1e-6)


def test_doc_similarity_errors(vecs):
    with pytest.raises(EmbedkitError, match="text 2 has no vector: no word of it is in the vocabulary"):
        doc_similarity(vecs, "cat", "zzz")
    with pytest.raises(EmbedkitError, match="text 1 is empty"):
        doc_similarity(vecs, "  ", "cat")
    zero = Vectors(vecs.words, np.vstack([np.zeros((1, vecs.dim)), vecs.matrix[1:]]), vecs.counts)
    with pytest.raises(EmbedkitError, match="text 1 has no vector: its words' vectors are zero"):
        doc_similarity(zero, "the", "cat")
    with pytest.raises(EmbedkitError, match="method must be one of mean, sif, pairwise"):
        doc_similarity(vecs, "cat", "dog", method="max")
    with pytest.raises(EmbedkitError, match="a must be > 0"):
        doc_similarity(vecs, "cat", "dog", method="sif", a=0)


def test_word_probabilities_sources(vecs, tmp_path):
    p, src = word_probabilities(vecs)
    assert src == "vectors" and p.sum() == pytest.approx(1) and p[0] > p[-1]
    bare = Vectors(vecs.words, vecs.matrix)
    (tmp_path / "c.txt").write_text("cat 500\nthe 10\n")
    p, src = word_probabilities(bare, counts=tmp_path / "c.txt")
    assert src == "counts" and p[bare.index("cat")] == pytest.approx(500 / 510) and p[bare.index("dog")] == 0
    bare.save(tmp_path / "v.txt")
    (tmp_path / "v.txt.vocab").write_text("".join(f"{w} {c}\n" for w, c in zip(vecs.words, vecs.counts)))
    p, src = word_probabilities(bare, vectors_path=tmp_path / "v.txt")
    assert src.endswith("v.txt.vocab")
    np.testing.assert_allclose(p, vecs.counts / vecs.counts.sum())
    with pytest.warns(UserWarning, match="Zipf"):
        p, src = word_probabilities(bare)
    assert src == "zipf" and p[0] == pytest.approx(2 * p[1])
    (tmp_path / "other.txt").write_text("zebra 500\nokapi 10\n")  # counts of another corpus: refused, not Zipf
    with pytest.raises(EmbedkitError, match="give no word of the vectors a count above 0"):
        word_probabilities(bare, counts=tmp_path / "other.txt")
    (tmp_path / "bad.txt").write_text("cat x\n")
    with pytest.raises(EmbedkitError, match="line 1: expected 'word count'"):
        read_counts(tmp_path / "bad.txt")


@pytest.mark.slow
def test_trained_vectors_carry_counts_for_sif(run, write_corpus, tmp_path):
    corpus = write_corpus("the king and the queen ruled the land and the sea\n" * 40)
    out = tmp_path / "v.txt"
    r = run("train", "ppmi-svd", corpus, "-o", out, "--dim", "3", "--min-count", "1")
    assert r.exit_code == 0, r.output
    assert str(counts_path(out)) in r.stderr
    counts = read_counts(counts_path(out))
    assert counts["the"] == 160 and counts["king"] == 40
    v = Vectors.load(out)
    assert v.counts is not None and v.counts[v.index("the")] == 160
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no Zipf warning: the counts were found
        doc_encoder(Vectors.load(out), method="sif")


def test_docvec_cli_every_method(run, vecs, tmp_path):
    vecs.save(tmp_path / "v.npy")
    (tmp_path / "t.txt").write_text("\n".join(TEXTS) + "\n")
    for method in ("mean", "pairwise", "sif"):
        out = tmp_path / f"{method}.npy"
        r = run("docvec", tmp_path / "v.npy", tmp_path / "t.txt", "-o", out, "--method", method)
        assert r.exit_code == 0, r.output
        assert f"wrote 7 x 8 {method} vectors" in r.stderr and "2 of 7 lines" in r.stderr
        m = np.load(out)
        assert m.shape == (7, 8) and not m[3].any() and not m[4].any()
    np.testing.assert_array_equal(np.load(tmp_path / "mean.npy"), np.load(tmp_path / "pairwise.npy"))
    enc = doc_encoder(vecs, method="mean")
    np.testing.assert_allclose(np.load(tmp_path / "mean.npy"), enc.encode(TEXTS)[0], atol=1e-6)


def test_docsim_cli_every_method(run, vecs, tmp_path):
    vecs.save(tmp_path / "v.npy")
    (tmp_path / "fit.txt").write_text("\n".join(TEXTS))
    for method, word in (("mean", "cosine"), ("pairwise", "pairwise"), ("sif", "cosine")):
        r = run("docsim", tmp_path / "v.npy", TEXTS[0], TEXTS[1], "--method", method, "--fit-corpus",
                tmp_path / "fit.txt")
        assert r.exit_code == 0, r.output
        assert r.stdout.startswith(word + " ") and "text 2 100%" in r.stdout and r.stderr == ""
    r = run("docsim", tmp_path / "v.npy", "the cat", "a dog", "--method", "sif", "--json")
    assert r.stdout.startswith('{"cosine": ') and "not removed" in r.stderr
    r = run("docsim", tmp_path / "v.npy", "the cat", "a dog", "--method", "pairwise", "--json")
    assert r.stdout.startswith('{"pairwise": ')


@pytest.mark.parametrize("args", [
    ["docvec", "{v}", "{missing}", "-o", "{out}"],
    ["docvec", "{missing}", "{t}", "-o", "{out}"],
    ["docvec", "{v}", "{t}", "-o", "{out}", "--method", "max"],
    ["docvec", "{v}", "{t}", "-o", "{out}", "--method", "sif", "--counts", "{t}"],
    ["docvec", "{v}", "{empty}", "-o", "{out}"],
    ["docvec", "{v}", "{t}"],
    ["docsim", "{v}", "zzz", "the cat"],
    ["docsim", "{v}", "the", "cat", "--sif-a", "0"],
    ["docsim", "{v}", "the", "cat", "--method", "sif", "--fit-corpus", "{missing}"],
    ["docvec", "{v}", "{oov}", "-o", "{out}"],  # no known word at all: the rows would all be zero
    ["docvec", "{v}", "{t}", "-o", "{out}", "--method", "sif"],  # one line: its own component, removed, is zero
    ["docvec", "{v}", "{t}", "-o", "{out}", "--method", "sif", "--fit-corpus", "{oov}"],  # would remove any direction
    ["docvec", "{v}", "{t}", "-o", "{txt}"],  # a .npy matrix under a .txt name
])
def test_doc_commands_bad_input(assert_one_line_error, run, vecs, tmp_path, args):
    vecs.save(tmp_path / "v.npy")
    (tmp_path / "t.txt").write_text("the cat\n")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "oov.txt").write_text("zebra quagga\nokapi\n")
    names = dict(v=tmp_path / "v.npy", t=tmp_path / "t.txt", out=tmp_path / "out.npy", empty=tmp_path / "empty.txt",
                 missing=tmp_path / "missing.txt", oov=tmp_path / "oov.txt", txt=tmp_path / "out.txt")
    assert_one_line_error(run(*(a.format(**names) for a in args)))
    assert not (tmp_path / "out.npy").exists() and not (tmp_path / "out.txt").exists()


def test_fasttext_bin_composes_unseen_words_in_docsim_and_docvec(run, tmp_path):
    """Every command answers unseen words of a fastText model: docsim and docvec too (not only similar)."""
    from embedkit.fasttext_bin import save_fasttext_model
    from embedkit.subword import SubwordVectors

    rng = np.random.default_rng(3)
    words = ["the", "friend", "friendly", "house", "houses", "dog"]
    v = SubwordVectors(words, rng.standard_normal((len(words) + 500, 8)).astype(np.float32), minn=3, maxn=5,
                       bucket=500, counts=np.arange(60, 0, -10))
    model = tmp_path / "ft.bin"
    save_fasttext_model(model, v, rng.standard_normal((len(words), 8)).astype(np.float32))
    r = run("docsim", model, "unfriendliness", "the friendly dog", "--json")
    assert r.exit_code == 0, r.output
    u = v.get_vector("unfriendliness", norm=True)
    mean = (v.unit[[0, 2, 5]]).mean(axis=0)
    expected = float(u @ mean / np.linalg.norm(mean))
    d = json.loads(r.stdout)
    assert d["cosine"] == pytest.approx(expected, abs=1e-5) and d["known1"] == 0.0 and d["known2"] == 1.0
    (tmp_path / "t.txt").write_text("unfriendliness\nthe dog\nhousez houses\n")
    for method in ("mean", "sif"):
        r = run("docvec", model, tmp_path / "t.txt", "-o", tmp_path / f"{method}.npy", "--method", method)
        assert r.exit_code == 0, r.output
        m = np.load(tmp_path / f"{method}.npy")
        assert m.shape == (3, 8) and np.abs(m).min(axis=1).max() > 0  # no zero row: unseen words composed
    np.testing.assert_allclose(np.load(tmp_path / "mean.npy")[0], u, rtol=1e-5, atol=1e-6)
