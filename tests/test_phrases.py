"""Phrases: against a plain reference, word2phrase (C) and gensim; tables; train --phrases; the CLI."""

import lzma
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from embedkit.errors import EmbedkitError
from embedkit.phrases import PhraseTable, find_phrases, phrase_corpus, phrase_text
from embedkit.vocab import scan_corpus

from conftest import ROOT, SAMPLE
from reference import phrases_reference

PEERS_SRC = ROOT.parent / "shared" / "peers" / "src" / "word2vec" / "word2phrase.c"


def _random_corpus(seed, n_lines=300, vocab=40, conn=("of", "the", "and")):
    """Zipf-ish lines with planted collocations, long enough to have pairs over any threshold."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(vocab)] + list(conn)
    p = 1.0 / np.arange(1, len(words) + 1)
    lines = []
    for _ in range(n_lines):
        toks = list(rng.choice(words, size=rng.integers(1, 30), p=p / p.sum()))
        if rng.random() < 0.5:
            k = int(rng.integers(0, len(toks)))
            toks[k:k] = ["new", "york"] if rng.random() < 0.6 else ["bank", "of", "america"]
        lines.append(toks)
    return lines


def _write(tmp_path, lines, name="c.txt"):
    p = tmp_path / name
    p.write_text("".join(" ".join(t) + "\n" for t in lines), encoding="utf-8")
    return p


@pytest.mark.parametrize("scoring,thresholds,connectors", [
    ("word2phrase", [5.0], None), ("word2phrase", [8.0, 4.0], "english"), ("npmi", [0.2], None),
    ("npmi", [0.3, 0.1], "english")])
@pytest.mark.slow
def test_matches_reference(tmp_path, scoring, thresholds, connectors):
    lines = _random_corpus(len(thresholds) + (connectors is not None))
    path = _write(tmp_path, lines)
    conn = ("a", "an", "the", "for", "of", "with", "without", "at", "from", "to", "in", "on", "by", "and", "or")
    found, phrased = phrases_reference(lines, min_count=3, thresholds=thresholds, scoring=scoring,
                                       connectors=conn if connectors else ())
    out = tmp_path / "out.txt"
    table, info = phrase_text(path, out, min_count=3, threshold=thresholds, scoring=scoring,
                              connector_words=connectors)
    assert [set(p for p, _, _ in ps) for ps in table.passes] == found
    assert any(found)
    assert out.read_text().splitlines() == [" ".join(t) for t in phrased]
    assert info["tokens_out"] == sum(map(len, phrased))


@pytest.mark.slow
def test_spilled_counts_are_exact(tmp_path):
    """A 1 MiB bound spills many runs; the table is the one counted in memory."""
    rng = np.random.default_rng(3)
    lines = [[f"w{int(x)}" for x in rng.zipf(1.3, size=50) % 3000] for _ in range(4000)]
    path = _write(tmp_path, lines)
    small = find_phrases(path, min_count=2, threshold=1.0, memory=1 << 20, tmp_dir=str(tmp_path))
    big = find_phrases(path, min_count=2, threshold=1.0)
    assert small.passes == big.passes and len(big) > 100
    assert [p.name for p in tmp_path.iterdir()] == ["c.txt"]  # spilled runs removed


def test_table_round_trip_and_apply(tmp_path):
    path = _write(tmp_path, _random_corpus(7))
    direct = tmp_path / "direct.txt"
    table, _ = phrase_text(path, direct, min_count=3, threshold=[6.0, 3.0], connector_words="english")
    table.save(tmp_path / "t.tsv")
    loaded = PhraseTable.load(tmp_path / "t.tsv", delimiter="_")
    assert loaded.passes == table.passes and loaded.connector_words == table.connector_words
    assert loaded.thresholds == [6.0, 3.0]
    again = tmp_path / "again.txt"
    phrase_text(path, again, table=loaded)
    assert again.read_bytes() == direct.read_bytes()
    with pytest.raises(EmbedkitError, match="joins words with '_'"):
        PhraseTable.load(tmp_path / "t.tsv", delimiter="-")
    # cut at a line boundary: the header's and the pass lines' counts show it (older tables, without them, load)
    lines = (tmp_path / "t.tsv").read_text().splitlines(keepends=True)
    for keep in range(2, len(lines)):
        (tmp_path / "cut.tsv").write_text("".join(lines[:keep]))
        with pytest.raises(EmbedkitError, match="the table is cut short or damaged|has no '# pass' line"):
            PhraseTable.load(tmp_path / "cut.tsv")
    old = "".join(ln.split(" phrases=")[0] + "\n" if ln.startswith("# pass ") else ln.replace(" passes=2", "")
                  for ln in lines)
    (tmp_path / "old.tsv").write_text(old)
    assert PhraseTable.load(tmp_path / "old.tsv").thresholds == [6.0, 3.0]


@pytest.mark.slow
def test_phrase_corpus_equals_scanning_the_phrased_text(tmp_path):
    """train --phrases trains on the tokens `phrases` writes: same vocabulary, ids and sentences,
    lines longer than the trainers' 10,000-token sentences included."""
    lines = _random_corpus(11, n_lines=200)
    lines.append([w for _ in range(2600) for w in ("new", "york", "w1", "w2", "w3")])  # 13,000 tokens
    path = _write(tmp_path, lines)
    table, _ = phrase_text(path, tmp_path / "p.txt", min_count=3, threshold=[5.0, 2.0])
    vocab, enc = phrase_corpus(path, table, min_count=3)
    v2, e2 = scan_corpus(tmp_path / "p.txt", min_count=3)
    assert vocab.words == v2.words and vocab.counts.tolist() == v2.counts.tolist()
    assert np.array_equal(np.asarray(enc.ids), np.asarray(e2.ids))
    assert enc.offsets.tolist() == e2.offsets.tolist()
    assert "new_york" in vocab.words


def _word2phrase(tmp_path):
    found = shutil.which("word2phrase") or "/root/.cache/embedkit-peers/word2phrase"
    if os.access(found, os.X_OK):
        return found
    if not PEERS_SRC.exists() or shutil.which("gcc") is None:
        pytest.skip("word2phrase is not built and cannot be compiled here")
    exe = tmp_path / "word2phrase"
    subprocess.run(["gcc", str(PEERS_SRC), "-o", str(exe), "-O2", "-lm", "-lpthread"], check=True)
    return str(exe)


@pytest.mark.slow
@pytest.mark.shared
def test_same_text_as_word2phrase(tmp_path):
    """Default settings on the 6 MB sample: word2phrase's output, less the space it puts before
    every line's first word."""
    exe = _word2phrase(tmp_path)
    short = Path(tempfile.mkdtemp(dir="/tmp" if os.path.isdir("/tmp") else None))  # word2phrase: paths < 60 bytes
    try:
        text = short / "s.txt"
        text.write_bytes(lzma.decompress(SAMPLE.read_bytes()))
        subprocess.run([exe, "-train", str(text), "-output", str(short / "c.txt"), "-debug", "0"], check=True,
                       stdout=subprocess.DEVNULL)
        table, _ = phrase_text(text, tmp_path / "ek.txt")
        want = [line.lstrip(" ") for line in (short / "c.txt").read_text().split("\n")]
    finally:
        shutil.rmtree(short, ignore_errors=True)
    assert (tmp_path / "ek.txt").read_text().split("\n") == want
    assert len(table) > 1000


@pytest.mark.parametrize("connectors", [None, "english"])
@pytest.mark.slow
def test_npmi_same_phrases_as_gensim(tmp_path, connectors):
    gensim_phrases = pytest.importorskip("gensim.models.phrases")
    with lzma.open(SAMPLE, "rt", encoding="utf-8") as f:
        text = f.read(600_000)
    text = text[:text.rfind("\n") + 1]
    lines = [line.split() for line in text.splitlines() if line.split()]
    path = _write(tmp_path, lines)
    kw = {} if connectors is None else {"connector_words": gensim_phrases.ENGLISH_CONNECTOR_WORDS}
    g = gensim_phrases.Phrases(lines, min_count=5, threshold=0.4, scoring="npmi", delimiter="_", **kw)
    want = g.export_phrases()
    table = find_phrases(path, scoring="npmi", min_count=5, threshold=0.4, connector_words=connectors)
    got = {p: s for p, s, _ in table.passes[0]}
    tie = 1e-9
    assert {p for p, s in want.items() if s > 0.4 + tie} <= set(got) <= set(want)
    assert all(abs(got[p] - want[p]) < 1e-9 for p in got)
    assert len(got) > 50
    if connectors:
        assert any(p.count("_") >= 2 for p in got)


# ---------------------------------------------------------------- CLI
@pytest.mark.parametrize("args,status", [
    (["--threshold", "0"], 1), (["--threshold", "-3"], 1), (["--scoring", "npmi", "--threshold", "1.5"], 1),
    (["--scoring", "npmi", "--threshold", "-1"], 1), (["--passes", "0"], 2), (["--threshold", "x"], 2),
    (["--passes", "2", "--threshold", "1,2,3"], 1), (["--delimiter", " "], 1), (["--table", "NOTTABLE"], 1),
    (["--table", "TABLE", "--delimiter", "-"], 1), (["--table", "TABLE", "--min-count", "3"], 2)])
def test_cli_bad_input(run, assert_one_line_error, tmp_path, args, status):
    corpus = _write(tmp_path, _random_corpus(1))
    PhraseTable([[("new_york", 9.0, 5)]], thresholds=[1.0]).save(tmp_path / "t.tsv")
    args = [str(corpus) if a == "NOTTABLE" else str(tmp_path / "t.tsv") if a == "TABLE" else a for a in args]
    out = tmp_path / "out.txt"
    r = run("phrases", str(corpus), "-o", str(out), *args)
    assert_one_line_error(r, code=status, absent=[out])


@pytest.mark.slow
def test_cli_phrases_table_and_train(run, tmp_path):
    corpus = _write(tmp_path, _random_corpus(5))
    r = run("phrases", str(corpus), "-o", str(tmp_path / "p.txt"), "--min-count", "3",
            "--threshold", "6,3", "--connector-words", "english", "--save-table", str(tmp_path / "t.tsv"))
    assert r.exit_code == 0, r.stderr
    assert "phrases" in r.stderr
    assert (tmp_path / "t.tsv").read_text().startswith("# embedkit-phrases/1 delimiter=_")
    r = run("phrases", str(corpus), "-o", "-", "--table", str(tmp_path / "t.tsv"))
    assert r.exit_code == 0 and r.stdout == (tmp_path / "p.txt").read_text()
    r = run("train", "skipgram", str(corpus), "-o", str(tmp_path / "v.txt"), "--phrases",
            str(tmp_path / "t.tsv"), "--min-count", "3", "--dim", "8", "--epochs", "1", "--threads", "1")
    assert r.exit_code == 0, r.stderr
    words = [line.split()[0] for line in (tmp_path / "v.txt").read_text().splitlines()[1:]]
    assert "new_york" in words and "bank_of_america" in words
    r = run("train", "glove", "--cooc", str(tmp_path), "-o", str(tmp_path / "g.txt"), "--phrases",
            str(tmp_path / "t.tsv"))
    assert r.exit_code != 0


def test_cli_no_phrase_writes_text_unchanged(run, tmp_path):
    corpus = _write(tmp_path, [["a", "b", "c"], ["d", "a"]])
    r = run("phrases", str(corpus), "-o", str(tmp_path / "p.txt"))
    assert r.exit_code == 0 and "0 phrases" in r.stderr
    assert (tmp_path / "p.txt").read_text() == corpus.read_text()


def test_eval_phrase_analogies(tmp_path):
    """word2vec's questions-phrases format: joined items, matched case-insensitively, coverage reported."""
    from embedkit.eval import evaluate_analogy
    from embedkit.vectors import Vectors

    rng = np.random.default_rng(0)
    cities = ["boston", "chicago", "baltimore", "denver"]
    offset = rng.normal(size=16)
    rows = {c: rng.normal(size=16) for c in cities}
    papers = {"boston": "boston_globe", "chicago": "chicago_sun-times", "baltimore": "baltimore_sun"}
    words = cities + list(papers.values()) + [f"w{i}" for i in range(20)]
    mat = np.array([rows[w] if w in rows else rows[[c for c, p in papers.items() if p == w][0]] + offset
                    if w in papers.values() else rng.normal(size=16) for w in words], dtype=np.float32)
    q = tmp_path / "q.txt"
    q.write_text(": newspapers\nBoston Boston_Globe Chicago Chicago_Sun-Times\n"
                 "Chicago Chicago_Sun-Times Baltimore Baltimore_Sun\nBoston Boston_Globe Denver Denver_Post\n")
    with pytest.warns(UserWarning):
        r = evaluate_analogy(Vectors(words, mat), str(q), methods=("add",), bootstrap=0)[0]
    assert (r.total.questions, r.total.answered, r.total.correct) == (3, 2, 2)
    assert r.coverage == pytest.approx(2 / 3)


@pytest.mark.slow
def test_tokenizer_options_reach_phrases_and_train(tmp_path):
    """--tokenize words splits punctuation off before pairs are counted, in `phrases` and `train --phrases`."""
    corpus = _write(tmp_path, [["New", "York,", "again."]] * 30 + [["a", "b"]])
    table, _ = phrase_text(corpus, tmp_path / "p.txt", min_count=3, threshold=1.0, tokenize="words",
                           lowercase=True)
    assert "new_york" in table.phrases()
    vocab, _ = phrase_corpus(corpus, table, min_count=3, tokenize="words", lowercase=True)
    assert "new_york" in vocab.words and "york," not in vocab.words


def test_parallel_scan_is_the_serial_scan(tmp_path, monkeypatch):
    """Pieces tokenized by several threads, cut anywhere at whitespace (blank lines, tabs, CR, lines
    across cuts): the same lines of tokens, ids in order of first appearance."""
    import embedkit.phrases as ph

    monkeypatch.setattr(ph, "_MIN_PART_BYTES", 1)
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(300)] + ["é", "ü_x", "a\u00a0b"]
    seps = [" ", " ", " ", "  ", "\t", "\r", "\n", "\n\n", " \n "]
    first = tmp_path / "a.txt"
    first.write_bytes("w0 w1\n".encode())
    text = "".join(str(rng.choice(words)) + str(rng.choice(seps)) for _ in range(4000))
    second = tmp_path / "b.txt"
    second.write_bytes(text.encode())
    raw = first.read_bytes() + second.read_bytes() + b"\n"
    lines = [line.split() for line in raw.split(b"\n") if line.split()]
    stream = ph.scan_stream([str(first), str(second)], (), 2)
    got = [[stream.words[i].encode() for i in stream.ids[a:b]] for a, b in zip(stream.offsets[:-1], stream.offsets[1:])]
    assert got == lines
    assert stream.words == [w.decode() for w in dict.fromkeys(t for line in lines for t in line)]
    assert stream.unigram_counts().sum() == len(stream.ids)


def test_a_phrase_made_in_the_same_pass_is_not_a_token(tmp_path):
    """"x_y_z" read as "x" + "y_z", where "y_z" is itself a phrase of this pass, cannot match: no
    token of the pass's input is "y_z" (its id must not alias another pair's key: "w q" stays)."""
    corpus = tmp_path / "c.txt"
    corpus.write_text("q x w y z\nw q\nq q q x x x w y\n")  # ids 0-4 by count and by first appearance
    table = PhraseTable([[("y_z", 9.0, 5), ("x_y_z", 9.0, 5)]], thresholds=[1.0])
    phrase_text(corpus, tmp_path / "p.txt", table=table)
    assert (tmp_path / "p.txt").read_text() == "q x w y_z\nw q\nq q q x x x w y\n"


def test_scan_tells_apart_near_tokens_across_table_growth(tmp_path):
    """Prefixes of one another, tokens of 7 and 8 bytes, control and multi-byte characters, and
    enough words to grow the scan's table: each token keeps its own id, in order of first appearance."""
    import embedkit.phrases as ph

    rng = np.random.default_rng(11)
    base = ["a", "ab", "abcdef", "abcdefg", "abcdefh", "abcdefgh", "abcdefgi", "bcdefga", "\x01", "\x01\x01", "é", "éé",
            "ééé", "éééa", "\x7f\x7f\x7f\x7f\x7f\x7f\x7f", "\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f"]
    # longer tokens, read 8 bytes at a time: lengths around 8, 16 and 24, differing in one byte anywhere,
    # control bytes after the first 8
    long = "abcdefghijklmnopqrstuvwxyz"
    base += [long[:n] for n in (9, 15, 16, 17, 23, 24, 25)] + [long[:k] + "Z" + long[k + 1:17] for k in (0, 7, 8, 15, 16)]
    base += ["abcdefghi\x01", "abcdefghi\x02", "abcdefgh\x1fjkl", "é" * 9, "é" * 8 + "e"]
    many = [f"{i:x}" for i in range(40000)]  # past the table's first 32768 ids and 65536 slots
    toks = base * 3 + many + [str(rng.choice(base + many[:50])) for _ in range(3000)]
    path = tmp_path / "t.txt"
    path.write_bytes(" ".join(toks).encode() + b"\n")
    stream = ph.scan_stream(str(path), (), 2)
    assert [stream.words[i] for i in stream.ids] == toks
    assert stream.words == list(dict.fromkeys(toks))


def test_phrases_memory_below_its_floor_is_named_as_the_option(assert_one_line_error, run, tmp_path):
    path = _write(tmp_path, _random_corpus(3, n_lines=20))
    r = run("phrases", path, "-o", tmp_path / "p.txt", "--memory", "1K")
    assert_one_line_error(r, "--memory must be at least 1M (1,048,576 bytes), got 1,024 bytes", absent=tmp_path / "p.txt")
