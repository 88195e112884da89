"""Vectors answers gensim's KeyedVectors queries as gensim does: each method compared with
gensim's on the same file; a missing word is a KeyError; a subclass's lookup hook reaches every query."""

import numpy as np
import pytest

from embedkit.errors import EmbedkitError, UnknownWordError
from embedkit.vectors import Vectors

gensim_models = pytest.importorskip("gensim.models")
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")

WORDS = ["the", "king", "queen", "man", "woman", "paris", "france", "berlin", "germany", "Apple", "apple",
         "café", "x-y"] + [f"w{i}" for i in range(187)]


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(ours, gensim's) loaded from the same word2vec text file: 200 words x 16 dims."""
    rng = np.random.default_rng(42)
    m = rng.standard_normal((len(WORDS), 16)).astype(np.float32)
    m[:, 0] += 1.0  # a shared direction, so cosines are not all near zero
    path = tmp_path_factory.mktemp("kv") / "v.txt"
    Vectors(WORDS, m).save(path)
    return Vectors.load(path), gensim_models.KeyedVectors.load_word2vec_format(str(path))


def same_pairs(ours, theirs, atol=1e-5):
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=atol)
    assert all(type(s) is float for _, s in ours)


def test_attributes_iteration_and_membership(pair):
    v, kv = pair
    assert v.vector_size == kv.vector_size == 16
    assert v.index_to_key == kv.index_to_key
    assert dict(v.key_to_index) == kv.key_to_index
    with pytest.raises(TypeError):
        v.key_to_index["new"] = 0  # read-only: nothing may change a Vectors
    assert list(v) == kv.index_to_key and len(v) == len(kv)
    for w in ["king", "Apple", "nosuch", "KING"]:
        assert (w in v) == (w in kv) and v.has_index_for(w) == kv.has_index_for(w)
        assert v.get_index(w, -1) == kv.get_index(w, -1)
    assert v.get_index("queen") == kv.get_index("queen") == 2


@pytest.mark.parametrize("norm", [False, True])
def test_get_vector(pair, norm):
    v, kv = pair
    for w in ["king", "café", "w100"]:
        ours = v.get_vector(w, norm=norm)
        np.testing.assert_allclose(ours, kv.get_vector(w, norm=norm), rtol=1e-6, atol=1e-7)
        assert ours.dtype == np.float32 and not ours.flags.writeable
    np.testing.assert_array_equal(v["king"], kv["king"])


def test_similarity_distance_n_similarity(pair):
    v, kv = pair
    for a, b in [("king", "queen"), ("paris", "france"), ("Apple", "apple"), ("the", "the")]:
        assert v.similarity(a, b) == pytest.approx(float(kv.similarity(a, b)), abs=1e-6)
        assert v.distance(a, b) == pytest.approx(float(kv.distance(a, b)), abs=1e-6)
        assert type(v.similarity(a, b)) is float
    for ws1, ws2 in [(["king", "man"], ["queen", "woman"]), (["paris"], ["france", "berlin", "w3"])]:
        assert v.n_similarity(ws1, ws2) == pytest.approx(float(kv.n_similarity(ws1, ws2)), abs=1e-6)


def test_distances_and_cosine_similarities(pair):
    v, kv = pair
    np.testing.assert_allclose(v.distances("king"), kv.distances("king"), atol=1e-6)
    others = ["queen", "man", "w7"]
    np.testing.assert_allclose(v.distances("king", others), kv.distances("king", others), atol=1e-6)
    vec = np.linspace(-1, 1, 16).astype(np.float32)
    np.testing.assert_allclose(v.distances(vec), kv.distances(vec), atol=1e-6)
    np.testing.assert_allclose(v.cosine_similarities(vec, v.matrix[:5]), kv.cosine_similarities(vec, kv.vectors[:5]),
                               atol=1e-6)


def test_doesnt_match(pair):
    v, kv = pair
    for words in (["king", "queen", "man", "w5"], ["paris", "france", "berlin", "germany", "apple"], WORDS[20:40]):
        assert v.doesnt_match(words) == kv.doesnt_match(words)


def test_doesnt_match_ignores_unknown_words_with_a_warning_as_gensim(pair):
    v, kv = pair
    words = ["king", "queen", "man", "kign", "w5"]
    with pytest.warns(UserWarning, match="ignores words not in the vocabulary: word not in vocabulary: 'kign'"):
        assert v.doesnt_match(words) == kv.doesnt_match(words)


def test_gensim_names_vectors_normed_mean_given_closer(pair):
    v, kv = pair
    np.testing.assert_array_equal(v.vectors, kv.vectors)
    assert not v.vectors.flags.writeable
    np.testing.assert_allclose(v.get_normed_vectors(), kv.get_normed_vectors(), rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(v[["france", "king"]], kv[["france", "king"]])  # two rows, as gensim
    assert v[["france", "king"]].shape == (2, 16)
    with pytest.raises(UnknownWordError):
        v[["france", "kign"]]
    vec = np.linspace(-1, 1, 16).astype(np.float32)
    for kwargs in (dict(), dict(pre_normalize=False), dict(post_normalize=True), dict(weights=[2.0, -1.0, 0.5])):
        keys = ["king", "queen", vec]
        np.testing.assert_allclose(v.get_mean_vector(keys, **kwargs), kv.get_mean_vector(keys, **kwargs),
                                   rtol=1e-5, atol=1e-6)
    with pytest.warns(UserWarning, match="'kign'"):
        np.testing.assert_allclose(v.get_mean_vector(["king", "kign"]), kv.get_mean_vector(["king", "kign"]),
                                   rtol=1e-6)
    with pytest.raises(UnknownWordError):
        v.get_mean_vector(["king", "kign"], ignore_missing=False)
    for key, keys in [("king", ["queen", "man", "w3", "paris"]), ("france", ["germany", "paris", "apple"])]:
        assert v.most_similar_to_given(key, keys) == kv.most_similar_to_given(key, keys)
    assert v.words_closer_than("king", "w10") == kv.closer_than("king", "w10")


def test_save_word2vec_format_reads_in_gensim(pair, tmp_path):
    v, kv = pair
    for name, kwargs in [("a.txt", {}), ("a.bin", dict(binary=True)), ("g.txt", dict(write_header=False))]:
        assert v.save_word2vec_format(tmp_path / name, **kwargs) == [str(tmp_path / name)]
        back = gensim_models.KeyedVectors.load_word2vec_format(str(tmp_path / name), binary=kwargs.get("binary", False),
                                                              no_header=not kwargs.get("write_header", True))
        assert back.index_to_key == v.words
        np.testing.assert_array_equal(back.vectors, v.matrix)
    counted = v.with_counts(np.arange(len(v), 0, -1))
    written = counted.save_word2vec_format(tmp_path / "c.txt", str(tmp_path / "counts.txt"))
    assert written == [str(tmp_path / "c.txt"), str(tmp_path / "c.txt.vocab"), str(tmp_path / "counts.txt")]
    assert (tmp_path / "counts.txt").read_text().splitlines()[0] == f"the {len(v)}"
    with pytest.raises(EmbedkitError, match="no word counts"):
        v.save_word2vec_format(tmp_path / "d.txt", str(tmp_path / "counts2.txt"))


@pytest.mark.parametrize("kwargs", [
    dict(positive="king"),
    dict(positive=["king"], topn=3),
    dict(positive=["king", "woman"], negative=["man"], topn=5),
    dict(positive=["paris"], negative="france", topn=4),
    dict(negative=["king"], topn=3),
    dict(positive=["king", "queen"], restrict_vocab=50, topn=7),
    dict(positive=[np.linspace(-1, 1, 16).astype(np.float32)], topn=4),
    dict(positive=["king", np.linspace(-1, 1, 16).astype(np.float32)], negative=["w9"], topn=4),
])
def test_most_similar(pair, kwargs):
    v, kv = pair
    same_pairs(v.most_similar(**kwargs), kv.most_similar(**kwargs))


@pytest.mark.parametrize("kwargs", [
    dict(positive="king", topn=5),
    dict(positive=["king", "woman"], negative=["man"], topn=5),
    dict(positive=["paris", "germany"], negative=["france"]),
    dict(positive=["w1", "w2", "w3"], negative=["w4", "w5"], topn=3),
])
def test_most_similar_cosmul(pair, kwargs):
    v, kv = pair
    same_pairs(v.most_similar_cosmul(**kwargs), kv.most_similar_cosmul(**kwargs))


def test_most_similar_cosmul_unit_vector_and_restrict(pair):
    v, kv = pair
    vec = v.get_vector("king", norm=True).copy()  # gensim takes a vector's length as is; a unit vector agrees
    same_pairs(v.most_similar_cosmul(positive=[vec], topn=4), kv.most_similar_cosmul(positive=[vec], topn=4))
    # gensim 4 ignores restrict_vocab here; embedkit honours it
    assert all(v.get_index(w) < 30 for w, _ in v.most_similar_cosmul("king", topn=5, restrict_vocab=30))


def test_similar_by_word_key_vector(pair):
    v, kv = pair
    same_pairs(v.similar_by_word("queen", topn=6), kv.similar_by_word("queen", topn=6))
    same_pairs(v.similar_by_key("queen", topn=6, restrict_vocab=40), kv.similar_by_key("queen", topn=6,
                                                                                          restrict_vocab=40))
    vec = v["paris"] - v["france"] + v["germany"]
    same_pairs(v.similar_by_vector(vec, topn=5), kv.similar_by_vector(vec, topn=5))


def test_rank_and_closer_than(pair):
    v, kv = pair
    for a, b in [("king", "queen"), ("paris", "w150"), ("apple", "Apple")]:
        assert v.closer_than(a, b) == kv.closer_than(a, b)
        assert v.rank(a, b) == kv.rank(a, b)
    assert v.rank("king", v.most_similar("king", topn=1)[0][0]) == 1


def test_analogy_add_is_most_similar_order(pair):
    v, _ = pair
    got = v.analogy("king", "man", "woman", topn=3)
    assert [w for w, _ in got] == [w for w, _ in v.most_similar(["king", "woman"], ["man"], topn=3)]


# ---------------------------------------------------------------- missing words
@pytest.mark.parametrize("call", [
    lambda v: v["kign"],
    lambda v: v.get_vector("kign"),
    lambda v: v.get_index("kign"),
    lambda v: v.index("kign"),
    lambda v: v.similarity("king", "kign"),
    lambda v: v.distance("kign", "king"),
    lambda v: v.distances("kign"),
    lambda v: v.distances("king", ["queen", "kign"]),
    lambda v: v.n_similarity(["king"], ["kign"]),
    lambda v: v.most_similar("kign"),
    lambda v: v.most_similar("king", ["kign"]),
    lambda v: v.most_similar_cosmul("kign"),
    lambda v: v.similar_by_word("kign"),
    lambda v: v.closer_than("king", "kign"),
    lambda v: v.rank("kign", "king"),
    lambda v: v.doesnt_match(["king", "kign"]),  # one known word left: no answer
    lambda v: v.analogy("king", "kign", "woman"),
    lambda v: v.resolve("kign"),
])
def test_missing_word_is_keyerror_and_embedkiterror(pair, call):
    v, _ = pair
    with pytest.raises(KeyError) as info:
        call(v)
    e = info.value
    assert isinstance(e, UnknownWordError) and isinstance(e, EmbedkitError)
    assert str(e) == "word not in vocabulary: 'kign' (did you mean 'king'?)"  # no KeyError quotes
    assert (e.word, e.suggestion) == ("kign", "king")


def test_one_kind_of_value_per_parameter(pair):
    v, _ = pair
    with pytest.raises(EmbedkitError, match="pass topn= by keyword"):
        v.most_similar("king", 5)  # gensim's 2nd positional is negative
    with pytest.raises(EmbedkitError, match="topn must be >= 1"):
        v.most_similar("king", topn=0)
    with pytest.raises(EmbedkitError, match="topn must be an integer"):
        v.most_similar("king", topn=None)  # no ndarray mode
    with pytest.raises(EmbedkitError, match=r"shape \(16,\)"):
        v.similar_by_vector(np.ones(3))
    with pytest.raises(EmbedkitError, match="non-empty list"):
        v.n_similarity("king", ["queen"])
    with pytest.raises(EmbedkitError, match="at least one"):
        v.most_similar()
    assert v.get_index(3, default=-1) == -1  # an int is not a row number here
    with pytest.raises(KeyError):
        v.get_index(3)


def test_resolve_exact_then_ignoring_case(pair):
    v, _ = pair
    assert v.resolve("Apple") == "Apple" and v.resolve("apple") == "apple"
    assert v.resolve("APPLE") == "Apple"  # the more frequent spelling (earlier row)
    assert v.resolve("KING") == "king" and v.resolve("Café") == "café"


# ---------------------------------------------------------------- the subclass hook
class Composed(Vectors):
    """Words outside the vocabulary get the sum of the vectors of their known letters."""

    def _vector_for(self, word):
        if word in self.key_to_index:
            return super()._vector_for(word)
        rows = [self.index(c) for c in word if c in self.key_to_index]
        if not rows:
            return super()._vector_for(word)
        return self.matrix[rows].sum(axis=0)


@pytest.mark.parametrize("call", [
    lambda v: v.get_vector("ab"),
    lambda v: v.get_vector("ab", norm=True),
    lambda v: v.similarity("ab", "a"),
    lambda v: v.distance("a", "ab"),
    lambda v: v.distances("ab"),
    lambda v: v.distances("a", ["ab"]),
    lambda v: v.n_similarity(["ab"], ["c"]),
    lambda v: v.doesnt_match(["ab", "a", "b"]),
    lambda v: v.most_similar("ab", topn=2),
    lambda v: v.most_similar(["a"], ["ab"], topn=2),
    lambda v: v.most_similar_cosmul("ab", topn=2),
    lambda v: v.similar_by_word("ab", topn=2),
    lambda v: v.closer_than("ab", "a"),
    lambda v: v.rank("ab", "c"),
    lambda v: v.analogy("ab", "b", "c", topn=2),
])
def test_every_query_goes_through_the_lookup_hook(call):
    v = Composed(["a", "b", "c", "d"], np.eye(4))
    call(v)  # would raise UnknownWordError if a query bypassed _vector_for
    assert v.similarity("ab", "a") == pytest.approx(2 ** -0.5)
    assert [w for w, _ in v.most_similar("ab", topn=2)] == ["a", "b"]  # composed words are not excluded rows
    with pytest.raises(UnknownWordError):
        v.similarity("zz", "a")
