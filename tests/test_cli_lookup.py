"""Issue 12.4/12.5 in the CLI: lookups exact then ignoring case (and saying so), several words with
some unknown, -q before or after the command silencing status lines only, bare `embedkit`, and
eval warning about scores that rest on few pairs."""

import json

import numpy as np
import pytest

from embedkit.vectors import Vectors


@pytest.fixture
def vpath(tmp_path):
    rng = np.random.default_rng(7)
    words = ["the", "france", "France", "paris", "king", "queen", "man", "woman", "cat", "dog", "mat", "rug"]
    v = Vectors(words, rng.standard_normal((len(words), 6)).astype(np.float32))
    p = tmp_path / "v.txt"
    v.save(p)
    return v, p


def test_similar_falls_back_to_ignoring_case_and_says_so(run, vpath):
    v, p = vpath
    r = run("similar", p, "PARIS", "-n", "3", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"paris": [[w, pytest.approx(s, abs=1e-6)] for w, s in
                                              v.most_similar("paris", topn=3)]}
    assert r.stderr.strip().splitlines() == [
        "Warning: not in the vocabulary, matched ignoring case: 'PARIS' -> 'paris'"]
    r = run("similar", p, "France", "-n", "2")  # an exact match wins over a case-insensitive one
    assert r.exit_code == 0 and r.stderr == "" and r.stdout.splitlines()[0] == "France"
    r = run("similar", p, "FRANCE", "-n", "2")  # the most frequent spelling
    assert r.stdout.splitlines()[0] == "france" and "'FRANCE' -> 'france'" in r.stderr


def test_similar_answers_the_known_words_and_names_the_others(assert_one_line_error, run, vpath):
    v, p = vpath
    r = run("similar", p, "france", "xyzzyq", "king", "-n", "2", "--json")
    assert r.exit_code == 0, r.output
    assert list(json.loads(r.stdout)) == ["france", "king"]
    assert r.stderr.strip().splitlines() == ["Warning: word not in vocabulary: 'xyzzyq'"]
    r = run("similar", p, "xyzzyq", "kign")
    assert_one_line_error(r)
    assert "'xyzzyq'" in r.stderr and "'kign' (did you mean 'king'?)" in r.stderr
    assert r.stdout == ""


def test_analogy_and_docsim_ignore_case_with_a_note(run, vpath):
    v, p = vpath
    r = run("analogy", p, "King", "MAN", "woman", "--json")
    assert r.exit_code == 0, r.output
    (title, got), = json.loads(r.stdout).items()
    assert title == "king - man + woman (3CosAdd)"
    assert [w for w, _ in got] == [w for w, _ in v.analogy("king", "man", "woman")]
    assert r.stderr.strip().splitlines() == [  # said once, for every word matched ignoring case
        "Warning: not in the vocabulary, matched ignoring case: 'King' -> 'king', 'MAN' -> 'man'"]
    r = run("docsim", p, "The CAT", "the dog Xyzzy", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    cos, s1, s2 = v.doc_similarity("the cat", "the dog Xyzzy")
    assert d == {"cosine": pytest.approx(cos, abs=1e-6), "known1": 1.0, "known2": pytest.approx(s2)}
    assert r.stderr.strip().splitlines() == [
        "Warning: not in the vocabulary, matched ignoring case: 'The' -> 'the', 'CAT' -> 'cat'"]


@pytest.mark.parametrize("args", [
    ["analogy", "{v}", "King", "xyzzy", "woman"],
    ["similar", "{v}", "king", "--negative", "Xyzzy"],
    ["docsim", "{v}", "XYZZY QQQ", "king"],
])
def test_unknown_after_both_lookups_is_one_line(assert_one_line_error, run, vpath, tmp_path, args):
    _, p = vpath
    r = run(*(a.format(v=p) for a in args))
    assert_one_line_error(r)


# ---------------------------------------------------------------- -q anywhere, bare embedkit
@pytest.fixture
def corpus(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("the king and the queen sat on the mat\nthe cat and the dog lay on the rug\n" * 40)
    return p


TRAIN = {
    "ppmi-svd": ["train", "ppmi-svd", "{c}", "-o", "{o}", "--dim", "3", "--min-count", "1"],
    "skipgram": ["train", "skipgram", "{c}", "-o", "{o}", "--dim", "4", "--min-count", "1", "--epochs", "1",
                 "--threads", "1"],
    "glove": ["train", "glove", "{c}", "-o", "{o}", "--dim", "3", "--min-count", "1", "--epochs", "2",
              "--threads", "1"],
    "cooc": ["cooc", "{c}", "-o", "{o}", "--min-count", "1"],
    "convert": ["convert", "{v}", "{o}"],
    "vocab": ["vocab", "{c}", "-o", "{o}", "--min-count", "1"],
}


@pytest.mark.parametrize("cmd", list(TRAIN))
@pytest.mark.parametrize("where", ["none", "before", "after"])
@pytest.mark.slow
def test_quiet_before_or_after_the_command(run, vpath, corpus, tmp_path, cmd, where):
    _, p = vpath
    out = tmp_path / ("cooc" if cmd == "cooc" else "out.txt")
    args = [a.format(c=corpus, o=out, v=p) for a in TRAIN[cmd]]
    args = {"none": args, "before": ["-q", *args], "after": [*args, "-q"]}[where]
    r = run(*args)
    assert r.exit_code == 0, r.output
    assert out.exists()
    if where == "none":
        assert cmd == "vocab" or "wrote" in r.stderr
    else:
        assert r.stderr == ""


def test_quiet_keeps_warnings_and_errors(assert_one_line_error, run, vpath):
    _, p = vpath
    r = run("similar", p, "king", "xyzzyq", "-q")
    assert r.exit_code == 0 and r.stderr.strip() == "Warning: word not in vocabulary: 'xyzzyq'"
    r = run("-q", "similar", p, "xyzzyq")
    assert_one_line_error(r)


@pytest.mark.parametrize("args", [[], ["-q"], ["train"]])
def test_bare_command_prints_help_and_exits_0(run, args):
    r = run(*args)
    assert r.exit_code == 0 and r.exception is None, r.output
    assert r.stdout.startswith("Usage: ") and "Commands:" in r.stdout and r.stderr == ""


# ---------------------------------------------------------------- eval warns about thin evidence
def test_eval_warns_on_low_coverage_and_few_pairs(run, tmp_path):
    words = ["tiger", "cat", "book", "paper", "computer", "keyboard"]
    p = tmp_path / "v.txt"
    Vectors(words, np.random.default_rng(0).standard_normal((len(words), 5))).save(p)
    sim = tmp_path / "mine.tsv"
    sim.write_text("tiger\tcat\t7.35\nbook\tpaper\t7.46\ncomputer\tkeyboard\t7.62\n")
    r = run("eval", p, "--sim", sim, "--json")
    assert r.exit_code == 0, r.output
    warned = [ln for ln in r.stderr.splitlines() if ln.startswith("Warning: ")]
    assert len(warned) == len(r.stderr.strip().splitlines())
    assert "Warning: mine: only 3 of 3 pairs found, fewer than 10; its score says little about these vectors" in warned
    assert any(ln.startswith("Warning: WS-353-ALL: only ") for ln in warned)
    assert any(ln.startswith("Warning: google analogies: only 0 of 19544 questions") for ln in warned)
    assert json.loads(r.stdout)["similarity"][-1]["found"] == 3
    table = run("eval", p, "--bootstrap", "0").stdout.splitlines()  # nothing answered: n/a, not a score of 0
    assert any(ln.split()[:2] == ["SIMLEX-999", "n/a"] for ln in table)
    assert any(ln.split()[:2] == ["total", "n/a"] for ln in table)


def test_eval_is_silent_when_the_evidence_is_enough(tmp_path):
    from embedkit.eval import evaluate_similarity

    rows = [(f"a{i}", f"b{i}", float(i)) for i in range(12)]
    sim = tmp_path / "s.tsv"
    sim.write_text("".join(f"{a}\t{b}\t{s}\n" for a, b, s in rows) + "zz\tyy\t1\n")
    words = [w for a, b, _ in rows for w in (a, b)]
    v = Vectors(words, np.random.default_rng(1).standard_normal((len(words), 4)))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = evaluate_similarity(v, sim)  # 12 of 13 found: no warning
    assert (r.found, r.pairs) == (12, 13)
    with pytest.warns(UserWarning, match="only 9 of 13 pairs found"):
        evaluate_similarity(Vectors(words[:18], v.matrix[:18]), sim)


# ---------------------------------------------------------------- help and warnings say what happens
def test_eval_oov_compose_on_plain_vectors_says_it_does_nothing(run, vpath):
    _, p = vpath
    r = run("eval", p, "--oov", "compose", "--bootstrap", "0", "--json")
    assert r.exit_code == 0, r.output
    assert "Warning: composing unseen words has no effect here: only a fastText .bin model" in r.stderr


def test_help_says_what_the_commands_do(run):
    assert "Example:" in run("train", "--help").stdout
    docsim = " ".join(run("docsim", "--help").stdout.split())
    assert "the inputs" not in docsim and "docsim: none, and the component is kept" in docsim
    cbow = " ".join(run("train", "cbow", "--help").stdout.split())
    assert "by the number of context words" in cbow and "window size" not in cbow


def test_an_empty_neighbour_table_says_why(run, tmp_path):
    p = tmp_path / "v.txt"
    Vectors(["king", "queen", "man"], np.eye(3, dtype=np.float32)).save(p)
    r = run("similar", p, "king", "--restrict", "1")
    assert r.exit_code == 0, r.output
    assert r.stderr.strip() == ("Warning: king: no word to list besides the query (the vocabulary, or --restrict, "
                                "holds no other)")


def test_a_custom_analogy_file_gets_no_semantic_and_syntactic_rows(run, tmp_path):
    """The split is the Google set's (sections named gram* are syntactic); a file of one's own
    sections shows its sections and the total."""
    p = tmp_path / "v.txt"
    words = ["athens", "greece", "berlin", "germany", "paris", "france", "rome", "italy"]
    Vectors(words, np.random.default_rng(0).standard_normal((len(words), 5))).save(p)
    qs = tmp_path / "mine.txt"
    qs.write_text(": capitals\nathens greece berlin germany\nparis france rome italy\n")
    table = run("eval", p, "--analogy", qs, "--bootstrap", "0").stdout
    mine = table[table.index("analogy mine"):]
    names = [ln.split()[0] for ln in mine.split("\n\n")[0].splitlines()[2:]]
    assert names[:2] == ["capitals", "total"] and "semantic" not in names and "syntactic" not in names
    assert "semantic" in table[:table.index("analogy mine")]  # the Google set keeps its split
