"""The commands that use vectors (similar, analogy, convert, docsim) end to end, on PPMI+SVD vectors
(dim 20) trained once from the bundled sample, and every bad input as one line. export has its home
in test_export.py, eval in test_eval.py."""

import json

import numpy as np
import pytest

from embedkit.vectors import FORMATS, Vectors


@pytest.mark.slow
def test_similar_tables_json_negative_restrict(run, sample_vectors):
    v, path = sample_vectors
    r = run("similar", path, "france", "king", "-n", "4")
    assert r.exit_code == 0, r.output
    tables = r.stdout.strip().split("\n\n")
    assert [t.splitlines()[0] for t in tables] == ["france", "king"]
    assert all(len(t.splitlines()) == 2 + 4 for t in tables)
    rows = [ln.split() for ln in tables[0].splitlines()[2:]]
    want = v.most_similar("france", topn=4)
    assert [w for w, _ in rows] == [w for w, _ in want]
    np.testing.assert_allclose([float(s) for _, s in rows], [s for _, s in want], atol=1e-4)

    got = json.loads(run("similar", path, "king", "--negative", "man", "--restrict", "500", "--json").stdout)
    assert list(got) == ["king - man"]
    want = v.most_similar("king", ["man"], topn=10, restrict_vocab=500)
    assert [w for w, _ in got["king - man"]] == [w for w, _ in want]
    assert all(v.index(w) < 500 for w, _ in got["king - man"])


@pytest.mark.parametrize("method", ["add", "mul"])
def test_analogy_every_method(run, sample_vectors, method):
    v, path = sample_vectors
    r = run("analogy", path, "paris", "france", "italy", "--method", method, "-n", "3", "--restrict", "5000",
            "--json")
    assert r.exit_code == 0, r.output
    (title, answers), = json.loads(r.stdout).items()
    assert title == f"paris - france + italy (3Cos{method.capitalize()})"
    want = v.analogy("paris", "france", "italy", 3, method=method, restrict_vocab=5000)
    assert [w for w, _ in answers] == [w for w, _ in want]
    assert not {"paris", "france", "italy"} & {w for w, _ in answers}
    table = run("analogy", path, "paris", "france", "italy", "--method", method, "--restrict", "5000").stdout.splitlines()
    assert len(table) == 2 + 5 and table[2].split()[0] == want[0][0]


def test_analogy_help_states_the_order(run):
    text = " ".join(run("analogy", "--help").output.split())
    assert "A - B + C" in text and "embedkit analogy vectors.txt king man woman" in text and "queen" in text


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.slow
def test_convert_every_format_and_max_words(run, sample_vectors, tmp_path, fmt):
    v, path = sample_vectors
    out = tmp_path / ("c.npy" if fmt == "npy" else "c.out")
    r = run("convert", path, out, "--to", fmt, "--max-words", "100")
    assert r.exit_code == 0 and r.stderr.startswith("wrote 100 x 20 vectors"), r.output
    back = Vectors.load(out)
    assert back.words == v.words[:100]
    np.testing.assert_array_equal(back.matrix, v.matrix[:100])
    again = tmp_path / "again.txt"  # and back to word2vec text: the same file as the original's head
    assert run("convert", out, again).exit_code == 0
    assert again.read_text().splitlines()[1:101] == path.read_text().splitlines()[1:101]


def test_docsim_text_and_json(run, sample_vectors):
    v, path = sample_vectors
    a, b = "the king and the queen", "a prince and a princess xyzzy"
    r = run("docsim", path, a, b)
    assert r.exit_code == 0, r.output
    cos, s1, s2 = v.doc_similarity(a, b)
    assert r.stdout.strip() == f"cosine {cos:.4f}  (in vocabulary: text 1 100%, text 2 {s2:.0%})"
    d = json.loads(run("docsim", path, "The King", "the queen", "--lowercase", "--json").stdout)
    assert d["known1"] == d["known2"] == 1.0 and -1 <= d["cosine"] <= 1


@pytest.mark.parametrize("args", [
    ["similar", "{v}", "kingg"],
    ["similar", "{v}", "king", "--negative", "qqqzzz"],
    ["similar", "{v}", "king", "-n", "0"],
    ["similar", "{trunc}", "king"],
    ["similar", "{dir}", "king"],
    ["analogy", "{v}", "qqqzzz", "man", "woman"],
    ["analogy", "{v}", "king", "man", "woman", "--method", "cosmul"],
    ["analogy", "{v}", "king", "man", "woman", "--restrict", "0"],
    ["analogy", "{v}", "king", "man"],
    ["docsim", "{v}", "", "king"],
    ["docsim", "{v}", "qqqzzz zzzqqq", "king"],
    ["convert", "{v}", "{out}", "--to", "fasttext"],
    ["convert", "{v}", "{out}", "--max-words", "-3"],
    ["convert", "{trunc}", "{out}"],
    ["convert", "{v}", "{nodir}"],
    ["export", "{trunc}", "--pca", "2", "-o", "{out}"],
])
def test_bad_input_is_one_line_and_writes_nothing(assert_one_line_error, run, sample_vectors, tmp_path, args):
    _, path = sample_vectors
    trunc = tmp_path / "trunc.bin"
    trunc.write_bytes(b"3 4\nking " + b"\0" * 16 + b"queen " + b"\0" * 5)
    names = {"v": path, "trunc": trunc, "dir": tmp_path, "out": tmp_path / "out.txt",
             "nodir": tmp_path / "no" / "such" / "dir" / "out.txt", "missing": tmp_path / "missing.txt"}
    r = run(*(a.format(**names) for a in args))
    assert_one_line_error(r)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trunc.bin"]
