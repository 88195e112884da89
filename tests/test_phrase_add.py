"""Phrases trained beside the words (``phrase_corpus(mode="add")``, ``train --phrase-mode add``)."""

import numpy as np
import pytest

from embedkit import word2vec as w2v
from embedkit.errors import EmbedkitError
from embedkit.phrases import find_phrases, phrase_corpus
from embedkit.vocab import scan_corpus
from reference import sigmoid_table, word2vec_chunk_reference


def corpus_text(seed=0, lines=60):
    """Lines of filler words with the pairs "new york" and "los angeles" (and a three-word
    "bank of america") planted often enough to become phrases."""
    rng = np.random.default_rng(seed)
    filler = [f"w{i}" for i in range(25)]
    planted = [["new", "york"], ["los", "angeles"], ["bank", "of", "america"]]
    out = []
    for _ in range(lines):
        words = list(rng.choice(filler, 10))
        for _ in range(2):
            k = int(rng.integers(len(words) + 1))
            words[k:k] = planted[int(rng.integers(3))]
        if rng.random() < 0.3:
            words += ["new", "w3"]  # "new" also alone
        out.append(" ".join(words))
    return "\n".join(out) + "\n"


@pytest.fixture
def planted(write_corpus):
    path = write_corpus(corpus_text())
    table = find_phrases(path, min_count=3, threshold=[5.0, 5.0], connector_words="english")
    assert {"new_york", "los_angeles", "bank_of_america"} <= set(table.phrases())
    return path, table


def test_add_mode_keeps_the_words_and_locates_every_phrase(planted):
    path, table = planted
    vocab, enc = phrase_corpus(path, table, min_count=3, mode="add")
    pv, pe = scan_corpus(path, min_count=3)
    assert vocab.words == pv.words and np.array_equal(enc.counts, pe.counts)
    assert np.array_equal(np.asarray(enc.ids), np.asarray(pe.ids)) and np.array_equal(enc.offsets, pe.offsets)
    spans = enc.phrases
    # each occurrence covers exactly its phrase's words, inside one sentence
    for p, n, i in zip(spans.pos, spans.length, spans.index):
        assert "_".join(vocab.words[t] for t in enc.ids[p:p + n]) == spans.words[i]
        s = np.searchsorted(enc.offsets, p, side="right") - 1
        assert spans.off[s] <= np.flatnonzero(spans.pos == p)[0] < spans.off[s + 1]
    # as many occurrences as the replace mode has tokens of each phrase
    rv, renc = phrase_corpus(path, table, min_count=3)
    for w, c in zip(spans.words, spans.counts):
        assert c == rv.counts[rv.word_to_id[w]] == np.sum(np.asarray(spans.words)[spans.index] == w)
    assert set(spans.words) == {w for w in rv.words if "_" in w}
    assert spans.counts.tolist() == sorted(spans.counts.tolist(), reverse=True)


def test_add_mode_kernel_matches_reference(planted):
    """One chunk, threads=1: the words and the phrases as the pure-Python reference trains them
    (words subsampled, phrase occurrences subsampled, CBOW and skip-gram)."""
    path, table = planted
    pair = phrase_corpus(path, table, min_count=3, mode="add")
    vocab, enc = pair
    spans = enc.phrases
    v = len(vocab)
    for model in ("skipgram", "cbow"):
        common = dict(model=model, dim=8, window=3, negative=3, sample=0.01, alpha=0.05, seed=5)
        got = w2v.train_word2vec(pair, epochs=1, threads=1, min_alpha=0.05, **common)
        corp, m, tb, _, streams, cfg, ph = w2v._setup(
            enc, dim=8, window=3, negative=3, hs=False, sample=0.01, seed=5, model=model, cbow_mean=True,
            cbow_update="word2vec", shared_negatives=model == "skipgram", update="window")
        assert len(corp.chunks) == 2 and (ph.keep < 1).any() and (tb.keep < 1).any()
        sentences = [np.asarray(enc.ids[enc.offsets[i]:enc.offsets[i + 1]]) for i in range(enc.n_sentences)]
        occ = [[(int(spans.pos[q] - enc.offsets[s]), int(spans.length[q]), v + int(spans.index[q]),
                 float(ph.keep[spans.index[q]])) for q in range(spans.off[s], spans.off[s + 1])]
               for s in range(enc.n_sentences)]
        ref = word2vec_chunk_reference(sentences, m.syn0, m.syn1, m.syn1neg, tb.codes, np.zeros(v, np.int32),
                                       tb.points, tb.noise, tb.keep, streams[0][0], 0.05, 3, 3, model,
                                       shared_negatives=model == "skipgram", sigmoid=sigmoid_table,
                                       phrases=occ, phrase_state=streams[1][0])
        assert got.vectors.words == vocab.words + spans.words
        np.testing.assert_allclose(got.vectors.matrix, ref[0], rtol=1e-4, atol=1e-6)
        assert not np.allclose(got.vectors.matrix[v:], m.syn0[v:])  # the phrases trained
        np.testing.assert_allclose(got.context.matrix, ref[2][:v], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("model", ["skipgram", "cbow"])
def test_add_mode_words_bit_identical_to_training_without_phrases(planted, model):
    path, table = planted
    kw = dict(model=model, dim=10, min_count=3, epochs=2, threads=1, seed=4, sample=1e-3)
    plain = w2v.train_word2vec(path, **kw)
    added = w2v.train_word2vec(phrase_corpus(path, table, min_count=3, mode="add"), **kw)
    v = len(plain.vectors)
    assert added.vectors.words[:v] == plain.vectors.words
    np.testing.assert_array_equal(added.vectors.matrix[:v], plain.vectors.matrix)
    np.testing.assert_array_equal(added.context.matrix, plain.context.matrix)
    assert plain.losses == added.losses
    assert {"new_york", "los_angeles", "bank_of_america"} <= set(added.vectors.words[v:])
    assert added.vectors.counts[v:].min() >= 3


def test_add_mode_is_refused_where_it_cannot_apply(planted, write_corpus):
    from embedkit.fasttext import train_fasttext
    from embedkit.glove import train_glove

    path, table = planted
    pair = phrase_corpus(path, table, min_count=3, mode="add")
    for train in (train_fasttext, train_glove):
        with pytest.raises(EmbedkitError, match="skip-gram or CBOW only"):
            train(pair, dim=5, epochs=1, threads=1)
    with pytest.raises(EmbedkitError, match="negative must be >= 1"):
        w2v.train_word2vec(pair, dim=5, negative=0, hs=True, epochs=1, threads=1)
    with pytest.raises(EmbedkitError, match="model file"):
        w2v.train_word2vec(pair, dim=5, epochs=1, threads=1, return_model=True)
    with pytest.raises(EmbedkitError, match="mode must be one of"):
        phrase_corpus(path, table, mode="both")
    under = write_corpus("new_york new york w1\n" * 5, name="u.txt")
    joins = find_phrases(under, min_count=1, threshold=[0.1])
    assert "new_york" in joins.phrases()
    with pytest.raises(EmbedkitError, match="without the delimiter"):
        phrase_corpus(under, joins, min_count=1, mode="add")


def test_cli_phrase_mode_add(planted, tmp_path):
    from click.testing import CliRunner

    from embedkit.cli import cli
    from embedkit.formats import read as read_vectors

    path, table = planted
    tsv = tmp_path / "t.tsv"
    table.save(tsv)
    out = tmp_path / "v.txt"
    args = ["--quiet", "train", "skipgram", str(path), "-o", str(out), "--dim", "8", "--min-count", "3",
            "--epochs", "1", "--threads", "1", "--phrases", str(tsv)]
    r = CliRunner().invoke(cli, args + ["--phrase-mode", "add"])
    assert r.exit_code == 0, r.output
    vec = read_vectors(out)
    plain = scan_corpus(path, min_count=3)[0]
    assert vec.words[:len(plain)] == plain.words and "new_york" in vec.words[len(plain):]
    r = CliRunner().invoke(cli, args + ["--phrase-mode", "add", "--save-model", str(tmp_path / "m")])
    assert r.exit_code == 2 and "--save-model" in r.output
    r = CliRunner().invoke(cli, args[:-2] + ["--phrase-mode", "add"])
    assert r.exit_code == 2 and "--phrase-mode applies with --phrases" in r.output
