import os
import warnings

import numpy as np
import pytest

from embedkit.errors import EmbedkitError
from embedkit.vectors import FORMATS, Vectors


@pytest.fixture
def vecs():
    rng = np.random.default_rng(0)
    words = ["the", "king", "queen", "man", "woman", "café", "x-y", "A"]
    return Vectors(words, rng.standard_normal((len(words), 7)).astype(np.float32), np.arange(8, 0, -1))


def saved(v, tmp_path, fmt):
    p = tmp_path / ("v.npy" if fmt == "npy" else f"v.{fmt}")
    v.save(p, format=fmt)
    return p


@pytest.mark.parametrize("fmt", FORMATS)
def test_roundtrip_every_format_is_exact(vecs, tmp_path, fmt):
    p = saved(vecs, tmp_path, fmt)
    for detect in (None, fmt):
        w = Vectors.load(p, format=detect)
        assert w.words == vecs.words
        np.testing.assert_array_equal(w.matrix, vecs.matrix)
    assert sorted(f for f in os.listdir(tmp_path) if f.startswith(".")) == []


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_ours_and_we_read_gensims(vecs, tmp_path, binary):
    from gensim.models import KeyedVectors

    ours = saved(vecs, tmp_path, "word2vec-binary" if binary else "word2vec")
    kv = KeyedVectors.load_word2vec_format(str(ours), binary=binary)
    assert kv.index_to_key == vecs.words
    np.testing.assert_array_equal(kv.vectors, vecs.matrix)
    theirs = tmp_path / "gensim.out"
    kv.save_word2vec_format(str(theirs), binary=binary)
    back = Vectors.load(theirs)
    assert back.words == vecs.words
    np.testing.assert_array_equal(back.matrix, kv.vectors)


def test_glove_text_without_header_and_words_with_spaces(tmp_path):
    p = tmp_path / "g.txt"
    p.write_text("the 0.5 1.5\nnew york 1 2\n")
    v = Vectors.load(p)
    assert v.words == ["the", "new york"] and v.dim == 2
    np.testing.assert_array_equal(v["new york"], [1, 2])


@pytest.mark.parametrize("content,msg", [
    (b"3 2\na 1 2\nb 1 2\n", "truncated"),
    (b"2 2\na 1 2\nb 1 zz\n", "line 3"),
    (b"a 1 2\nb 1\n", "line 2"),
    (b"2 2\na 1 2\na 3 4\n", "duplicate word"),
    (b"1 2\na nan 2\n", "NaN"),
    (b"", "empty"),
    (b"2 3\na \x00\x00\x80?\x00\x00", "truncated"),
])
def test_corrupt_files_name_the_problem(tmp_path, content, msg):
    p = tmp_path / "bad.txt"
    p.write_bytes(content)
    with pytest.raises(EmbedkitError, match=msg):
        Vectors.load(p)


def test_missing_file_and_unknown_format(tmp_path, vecs):
    with pytest.raises(EmbedkitError, match="cannot read"):
        Vectors.load(tmp_path / "nope.txt")
    with pytest.raises(EmbedkitError, match="format must be one of"):
        vecs.save(tmp_path / "v", format="xml")


def test_no_mutation_and_read_only_rows(vecs):
    with pytest.raises(ValueError):
        vecs["king"][0] = 1.0
    with pytest.raises(ValueError):
        vecs.unit[0, 0] = 1.0
    m = np.ones((2, 3))
    Vectors(["a", "b"], m)
    m[0, 0] = 5  # the caller's array stays writable


def test_oov_hint(vecs):
    with pytest.raises(EmbedkitError, match="'kign'.*did you mean 'king'"):
        vecs.index("kign")
    with pytest.raises(EmbedkitError, match="did you mean 'queen'"):
        vecs.most_similar("Queen")


# ---------------------------------------------------------------- queries vs brute force
def brute_cos(v, a, b):
    x, y = v.matrix[v.index(a)].astype(np.float64), v.matrix[v.index(b)].astype(np.float64)
    return x @ y / np.linalg.norm(x) / np.linalg.norm(y)


@pytest.mark.parametrize("restrict", [None, 5])
def test_most_similar_matches_brute_force(vecs, restrict):
    got = vecs.most_similar("king", topn=3, restrict=restrict)
    pool = vecs.words[:restrict] if restrict else vecs.words
    ref = sorted(((w, brute_cos(vecs, "king", w)) for w in pool if w != "king"), key=lambda t: -t[1])[:3]
    assert [w for w, _ in got] == [w for w, _ in ref]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in ref], rtol=1e-5)


def test_most_similar_with_negative_and_vector(vecs):
    u = {w: vecs.matrix[i] / np.linalg.norm(vecs.matrix[i]) for i, w in enumerate(vecs.words)}
    q = u["king"] - u["man"]
    q /= np.linalg.norm(q)
    ref = sorted(((w, float(u[w] @ q)) for w in vecs.words if w not in ("king", "man")), key=lambda t: -t[1])
    got = vecs.most_similar("king", topn=2, negative=["man"])
    assert [w for w, _ in got] == [w for w, _ in ref[:2]]
    by_vector = vecs.most_similar(vecs["king"], topn=1)
    assert by_vector[0][0] == "king" and by_vector[0][1] == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("method", ["add", "mul"])
@pytest.mark.parametrize("restrict", [None, 6])
def test_analogy_matches_brute_force(vecs, method, restrict):
    pool = vecs.words[:restrict] if restrict else vecs.words
    ref = {}
    for w in pool:
        if w in ("king", "man", "woman"):
            continue
        ca, cb, cc = (brute_cos(vecs, w, q) for q in ("king", "man", "woman"))
        ref[w] = ca - cb + cc if method == "add" else ((ca + 1) / 2) * ((cc + 1) / 2) / ((cb + 1) / 2 + 1e-3)
    best = sorted(ref.items(), key=lambda t: -t[1])[:3]
    got = vecs.analogy("king", "man", "woman", topn=3, method=method, restrict=restrict)
    assert [w for w, _ in got] == [w for w, _ in best]
    np.testing.assert_allclose([s for _, s in got], [s for _, s in best], rtol=1e-5)


def test_analogy_bad_method(vecs):
    with pytest.raises(EmbedkitError, match="method must be one of"):
        vecs.analogy("king", "man", "woman", method="sub")


def test_doc_vector(vecs):
    vec, share = vecs.doc_vector("king queen zebra")
    assert share == pytest.approx(2 / 3)
    np.testing.assert_allclose(vec, (vecs.unit[1] + vecs.unit[2]) / 2, rtol=1e-6)
    with pytest.raises(EmbedkitError, match="no word"):
        vecs.doc_vector("zebra giraffe")


def test_invalid_construction():
    with pytest.raises(EmbedkitError, match="2 words but a matrix"):
        Vectors(["a", "b"], np.zeros((3, 2)))
    with pytest.raises(EmbedkitError, match="duplicate"):
        Vectors(["a", "a"], np.zeros((2, 2)))


def test_non_utf8_word_warns(tmp_path):
    p = tmp_path / "v.txt"
    p.write_bytes(b"1 2\ncaf\xe9 1 2\n")
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        v = Vectors.load(p)
    assert len(w) == 1 and v.words == ["caf\ufffd"]
