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
    (b"2 2\na 1 2\na 3 4\n", "duplicate word .a.: words 1 and 2$"),  # counted from 1, as lines are
    (b"1 2\na nan 2\n", "NaN"),
    (b"1 2\na 1e39 2\n", "beyond float32's range"),  # one line: no NumPy overflow warning before it
    (b"2 3\na 1 2 3\nb 1 2 3 4\n", "line 3: expected a word and 3 numbers, got 4: 'b 1 2 3 4'"),
    (b"2 3\na 1 2 3\nb 1 2", r"line 3: the file ends inside this line \(truncated\?\): 'b 1 2'"),
    (b"", "empty"),
    (b"2 3\na \x00\x00\x80?\x00\x00", "truncated"),
])
def test_corrupt_files_name_the_problem(tmp_path, content, msg):
    p = tmp_path / "bad.txt"
    p.write_bytes(content)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
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
    short = Vectors(["the", "of", "th", "cat", "car", "can", "cap"], np.eye(7, dtype=np.float32))
    assert short.closest_spelling("teh") == "the"  # a swap is one edit, and "the" is more frequent than "th"
    assert short.closest_spelling("cta") == "cat"


# ---------------------------------------------------------------- queries vs brute force
def brute_cos(v, a, b):
    x, y = v.matrix[v.index(a)].astype(np.float64), v.matrix[v.index(b)].astype(np.float64)
    return x @ y / np.linalg.norm(x) / np.linalg.norm(y)


@pytest.mark.parametrize("restrict", [None, 5])
def test_most_similar_matches_brute_force(vecs, restrict):
    got = vecs.most_similar("king", topn=3, restrict_vocab=restrict)
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
    got = vecs.analogy("king", "man", "woman", topn=3, method=method, restrict_vocab=restrict)
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


# ---------------------------------------------------------------- fast parser: exact, strict, limits
@pytest.mark.parametrize("fmt", ["%.6f", "%.9g", "%e", "%.17g", "%g"])
def test_text_parser_equals_python_float(tmp_path, fmt):
    rng = np.random.default_rng(1)
    m = (rng.standard_normal((60, 9)) * np.exp(rng.uniform(-30, 30, (60, 1)))).astype(np.float32)
    lines = [f"w{i} " + " ".join(fmt % x for x in row) + " " for i, row in enumerate(m.astype(np.float64).tolist())]
    lines[3] = "w3 " + " ".join(["-0", "+1.5", ".25", "1.", "1E3", "0.000", "00012", "-1e-45", "3.4e38"])
    p = tmp_path / "v.txt"
    p.write_text("60 9\n" + "\n".join(lines) + "\r\n")
    ref = np.array([[float(x) for x in ln.split()[1:]] for ln in lines]).astype(np.float32)
    np.testing.assert_array_equal(Vectors.load(p).matrix, ref)


@pytest.mark.parametrize("content,msg", [
    (b"2 2\na 1 2 3\nb 1 2\n", "line 2"),      # too many numbers in word2vec text
    (b"a 1 2\nb 1 2 3\n", "line 2"),            # GloVe: a number where the word ends
    (b"a 1 2\n\nb 1 2\n", "line 2"),            # blank line inside the file
    (b"2 2\na 1 2\n", "truncated"),
    (b"1 2\na 1 2\nb 3 4\n", "extra lines"),
    (b"2 0\n", "dimension"),
    (b"2 2\n" + b"x" * 20000, "corrupt"),
])
def test_more_corrupt_files(tmp_path, content, msg):
    p = tmp_path / "bad.txt"
    p.write_bytes(content)
    with pytest.raises(EmbedkitError, match=msg):
        Vectors.load(p)


def test_compressed_limit_and_npy_counts(vecs, tmp_path):
    import gzip

    p = saved(vecs, tmp_path, "word2vec")
    gz = tmp_path / "v.txt.gz"
    gz.write_bytes(gzip.compress(p.read_bytes()))
    np.testing.assert_array_equal(Vectors.load(gz).matrix, vecs.matrix)
    for fmt in FORMATS:
        w = Vectors.load(saved(vecs, tmp_path, fmt), limit=3)
        assert w.words == vecs.words[:3]
        np.testing.assert_array_equal(w.matrix, vecs.matrix[:3])
    npy = Vectors.load(saved(vecs, tmp_path, "npy"))
    np.testing.assert_array_equal(npy.counts, vecs.counts)


def test_spelling_hint_prefers_fewest_edits():
    v = Vectors(["france", "furnaces", "paris"], np.eye(3))
    with pytest.raises(EmbedkitError, match="did you mean 'france'"):
        v.index("frnace")


def test_doc_similarity(vecs):
    cos, s1, s2 = vecs.doc_similarity("king queen", "queen king zebra")
    assert cos == pytest.approx(1.0, abs=1e-6) and (s1, s2) == (1.0, pytest.approx(2 / 3))


# ---------------------------------------------------------------- CLI: similar, analogy, convert, docsim
@pytest.fixture(params=["embedkit", "gensim-text", "gensim-binary"])
def any_file(request, vecs, tmp_path):
    """The same vectors as written by embedkit and by gensim (text and binary)."""
    if request.param == "embedkit":
        return saved(vecs, tmp_path, "word2vec")
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vecs.dim)
    kv.add_vectors(vecs.words, vecs.matrix)
    p = tmp_path / "g.bin"
    kv.save_word2vec_format(str(p), binary=request.param == "gensim-binary")
    return p


def test_commands_on_files_from_embedkit_and_gensim(run, vecs, any_file, tmp_path):
    import json

    r = run("similar", any_file, "king", "queen", "-n", "3", "--json")
    assert r.exit_code == 0
    assert json.loads(r.stdout)["king"] == [[w, pytest.approx(s, abs=1e-6)] for w, s in vecs.most_similar("king", topn=3)]
    r = run("similar", any_file, "king", "--negative", "man")
    assert r.exit_code == 0 and r.stdout.startswith("king - man\n")
    for method in ("add", "mul"):
        r = run("analogy", any_file, "king", "man", "woman", "--method", method, "--json")
        want = vecs.analogy("king", "man", "woman", method=method)
        assert [w for w, _ in next(iter(json.loads(r.stdout).values()))] == [w for w, _ in want]
    r = run("docsim", any_file, "king queen", "man woman zebra", "--json")
    d = json.loads(r.stdout)
    assert d["cosine"] == pytest.approx(vecs.doc_similarity("king queen", "man woman zebra")[0], abs=1e-6)
    assert d["known2"] == pytest.approx(2 / 3)
    out = tmp_path / "e.tsv"
    assert run("export", any_file, "--pca", "2", "-o", out).exit_code == 0
    assert len(out.read_text().splitlines()) == len(vecs) + 1
    assert run("eval", any_file).exit_code == 0


def test_similar_table_and_oov_error(assert_one_line_error, run, vecs, tmp_path):
    p = saved(vecs, tmp_path, "word2vec")
    r = run("similar", p, "king", "-n", "2")
    assert r.exit_code == 0 and r.stdout.splitlines()[0] == "king" and r.stdout.splitlines()[1].split() == ["word", "cosine"]
    assert len(r.stdout.splitlines()) == 4
    r = run("similar", p, "kign")
    assert_one_line_error(r)
    assert "'kign'" in r.stderr and "did you mean 'king'" in r.stderr
    assert "A is to B as ANSWER is to C" in run("analogy", "--help").output


@pytest.mark.parametrize("args", [
    ["similar", "{missing}", "king"],
    ["similar", "{bad}", "king"],
    ["similar", "{good}", "zebra"],
    ["similar", "{good}", "king", "--negative", "zebra"],
    ["similar", "{good}", "king", "-n", "0"],
    ["analogy", "{good}", "king", "man", "zebra"],
    ["analogy", "{good}", "king", "man", "woman", "--method", "sub"],
    ["analogy", "{bad}", "king", "man", "woman"],
    ["docsim", "{good}", "zebra giraffe", "king"],
    ["docsim", "{missing}", "king", "queen"],
    ["convert", "{bad}", "{out}"],
    ["convert", "{missing}", "{out}"],
    ["convert", "{good}", "{out}", "--to", "xml"],
    ["convert", "{good}", "{out}", "--max-words", "0"],
])
def test_bad_input_is_one_line(assert_one_line_error, run, vecs, tmp_path, args):
    good = saved(vecs, tmp_path, "word2vec")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"3 7\nking 1 2 3\n")
    names = {"good": good, "bad": bad, "missing": tmp_path / "missing.txt", "out": tmp_path / "out.txt"}
    r = run(*(a.format(**names) for a in args))
    assert_one_line_error(r)
    assert not (tmp_path / "out.txt").exists()
    assert sorted(os.listdir(tmp_path)) == ["bad.txt", "v.word2vec", "v.word2vec.vocab"]  # the counts beside it


@pytest.mark.parametrize("block", [7, 64, 1000])
def test_block_by_block_reading(tmp_path, monkeypatch, block):
    """Files are read in blocks: records and lines cut at any byte parse the same."""
    import embedkit.formats as mod

    rng = np.random.default_rng(5)
    v = Vectors([f"w{i}é" for i in range(40)], rng.standard_normal((40, 6)).astype(np.float32))
    monkeypatch.setattr(mod, "_BLOCK", block)
    for fmt in ("word2vec", "word2vec-binary", "glove"):
        p = saved(v, tmp_path, fmt)
        for limit in (None, 1, 17):
            w = Vectors.load(p, limit=limit)
            assert w.words == v.words[:limit]
            np.testing.assert_array_equal(w.matrix, v.matrix[:limit])
    lines = saved(v, tmp_path, "word2vec").read_bytes().split(b"\n")
    lines[30] = lines[30].replace(b" ", b" x", 1)
    p = tmp_path / "bad.txt"
    p.write_bytes(b"\n".join(lines))
    with pytest.raises(EmbedkitError, match="line 31:"):
        Vectors.load(p)
    p.write_bytes(b"\n".join(lines[:20]) + b"\n\n\n")
    with pytest.raises(EmbedkitError, match="truncated after line 20"):
        Vectors.load(p)
    p.write_bytes(saved(v, tmp_path, "glove").read_bytes() + b"\n \n\n")
    assert len(Vectors.load(p)) == 40


def test_with_matrix_shares_the_words_and_checks_the_shape():
    v = Vectors(["a", "b", "c"], np.eye(3), counts=[5, 3, 1])
    c = v.with_matrix(np.arange(6, dtype=np.float64).reshape(3, 2))
    assert type(c) is Vectors and c.words is v.words and c.counts is v.counts and c._index is v._index
    assert c.matrix.dtype == np.float32 and not c.matrix.flags.writeable and c["b"].tolist() == [2.0, 3.0]
    assert v["b"].tolist() == [0.0, 1.0, 0.0]  # the original keeps its own matrix
    with pytest.raises(EmbedkitError, match=r"3 words but a matrix of shape \(2, 2\)"):
        v.with_matrix(np.zeros((2, 2)))


def test_words_not_valid_utf8_give_one_warning_for_all(tmp_path):
    """A file with many words that are not UTF-8: one warning that counts them and names the first, not one each."""
    lines = [b"60 2"] + [b"w%d\xe9 1 2" % i for i in range(50)] + [b"ok%d 1 2" % i for i in range(10)]
    p = tmp_path / "v.txt"
    p.write_bytes(b"\n".join(lines) + b"\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        v = Vectors.load(p)
    assert len(v) == 60 and v.words[0] == "w0\ufffd"
    assert [str(w.message) for w in caught] == [f"{p}: 50 words are not valid UTF-8 (the first at line 2); "
                                                "replaced undecodable bytes"]


def test_most_similar_to_a_zero_vector_is_an_error():
    """A word with a zero vector, or query words that cancel out: every cosine would be 0 and the
    neighbours arbitrary, so it is an error naming which."""
    v = Vectors(["a", "b", "c", "z"], np.array([[1, 0], [0, 1], [1, 1], [0, 0]], np.float32))
    with pytest.raises(EmbedkitError, match="'z' has a zero vector"):
        v.most_similar("z")
    with pytest.raises(EmbedkitError, match="cancel out"):
        v.most_similar(positive=["a"], negative=["a"])
    assert v.most_similar("a", topn=1)[0][0] == "c"


def test_lookup_names_every_unknown_word():
    """An analogy with several unknown words names them all in its one error, not the first alone."""
    v = Vectors(["king", "man", "woman"], np.eye(3, dtype=np.float32))
    with pytest.raises(EmbedkitError) as e:
        v.lookup(["kign", "qqqxx", "woman", "zzzyy"])
    msg = str(e.value)
    assert msg == "words not in vocabulary: 'kign' (did you mean 'king'?), 'qqqxx', 'zzzyy'"
    with pytest.raises(EmbedkitError, match="^word not in vocabulary: 'qqqxx'$"):
        v.lookup(["king", "qqqxx"])
