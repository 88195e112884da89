"""fastText's subword scheme: n-grams, hashes, the per-word row table, SubwordVectors."""

import numpy as np
import pytest
from reference import ft_hash_reference, ngram_bytes_reference

from embedkit.errors import EmbedkitError
from embedkit.subword import SubwordVectors, char_ngrams, ft_hash, subword_hashes, subword_table

WORDS = ["cat", "a", "naïve", "Straße", "où", "東京大学", "😀x", "👍🏽ok", "ab£€𝄞", "</s>", "x" * 40]


def test_hash_matches_reference_on_non_ascii_bytes():
    for s in [b"", b"<wh", "é".encode(), "東".encode(), "😀".encode(), bytes(range(256))]:
        assert ft_hash(s) == ft_hash_reference(s)
    # the sign extension matters: an unsigned widening gives another hash for any byte >= 0x80
    assert ft_hash("é") != _unsigned_fnv("é".encode())


def _unsigned_fnv(b):
    h = 2166136261
    for x in b:
        h = ((h ^ x) * 16777619) % 2**32
    return h


@pytest.mark.parametrize("minn,maxn", [(3, 6), (1, 3), (2, 5), (4, 4), (3, 0)])
def test_ngrams_and_bucket_ids_match_reference(minn, maxn):
    bucket = 1000
    for w in WORDS:
        ref = ngram_bytes_reference(w, minn, maxn) if maxn else []
        assert [g.encode() for g in (char_ngrams(w, minn, maxn) if maxn else [])] == ref
        assert subword_hashes(w, minn=minn, maxn=maxn, bucket=bucket).tolist() == \
            [ft_hash_reference(g) % bucket for g in ref]


def test_table_rows_are_word_then_ngram_buckets():
    indptr, rows = subword_table(WORDS, minn=3, maxn=6, bucket=5000)
    v = len(WORDS)
    for i, w in enumerate(WORDS):
        got = rows[indptr[i]:indptr[i + 1]].tolist()
        assert got == [i] + [v + ft_hash_reference(g) % 5000 for g in ngram_bytes_reference(w, 3, 6)]
    assert rows.dtype == np.int32 and indptr.dtype == np.int64
    assert indptr[WORDS.index("</s>") + 1] - indptr[WORDS.index("</s>")] == 1  # no n-grams for </s>
    indptr0, rows0 = subword_table(WORDS, minn=3, maxn=0, bucket=0)  # subwords off: each word alone
    assert rows0.tolist() == list(range(v)) and indptr0.tolist() == list(range(v + 1))


def test_bucket_ids_equal_fasttext_get_subwords(tmp_path):
    fasttext = pytest.importorskip("fasttext")
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat naïve\n東京大学 cats and dogs\n", encoding="utf-8")
    m = fasttext.train_unsupervised(str(corpus), model="skipgram", dim=4, epoch=1, minCount=1, minn=2, maxn=5,
                                    bucket=1000, thread=1, verbose=0)
    words = m.words
    for w in WORDS + ["cats", "the"]:
        subs, ids = m.get_subwords(w)
        mine = (len(words) + subword_hashes(w, minn=2, maxn=5, bucket=1000)).tolist()
        if w in words:
            mine = [words.index(w)] + mine
            subs = subs[1:]
        assert ids.tolist() == mine, w
        assert list(subs) == (char_ngrams(w, 2, 5) if w != "</s>" else []), w


def test_bad_subword_settings():
    with pytest.raises(EmbedkitError, match="minn must be <= maxn"):
        subword_table(["a"], minn=5, maxn=3, bucket=10)
    with pytest.raises(EmbedkitError, match="bucket must be >= 1"):
        subword_table(["a"], minn=3, maxn=6, bucket=0)


def test_subword_vectors_compose_unseen_words():
    rng = np.random.default_rng(0)
    words = ["cat", "cats", "dog"]
    inp = rng.standard_normal((3 + 50, 5)).astype(np.float32)
    v = SubwordVectors(words, inp, minn=3, maxn=4, bucket=50)
    for i, w in enumerate(words):  # in vocabulary: mean of the word's row and its n-gram rows
        rows = [i] + [3 + ft_hash_reference(g) % 50 for g in ngram_bytes_reference(w, 3, 4)]
        np.testing.assert_allclose(v[w], inp[rows].mean(axis=0), rtol=1e-6)
    rows = [3 + ft_hash_reference(g) % 50 for g in ngram_bytes_reference("catz", 3, 4)]
    np.testing.assert_allclose(v["catz"], inp[rows].mean(axis=0), rtol=1e-6)
    assert "catz" not in v and v.can_compose("catz")
    assert v.subword_rows("catz").tolist() == rows
    off = SubwordVectors(words, inp[:3], minn=3, maxn=0, bucket=0)
    assert not off.can_compose("catz")
    with pytest.raises(EmbedkitError):
        off["catz"]
    with pytest.raises(EmbedkitError, match="rows"):
        SubwordVectors(words, inp[:10], minn=3, maxn=4, bucket=50)
