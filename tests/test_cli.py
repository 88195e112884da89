"""The command line: one stderr line and a non-zero exit for every bad input, never a traceback."""

import gzip
import os

import pytest



def test_version_and_help(run):
    assert run("--version").output.startswith("embedkit, version")
    for cmd in (["--help"], ["train", "--help"], ["train", "ppmi-svd", "--help"], ["vocab", "--help"]):
        r = run(*cmd)
        assert r.exit_code == 0 and "Usage:" in r.output
    assert "Example:" in run("train", "ppmi-svd", "--help").output


def test_vocab_command(run, write_corpus, tmp_path):
    p = write_corpus("b a c b a d\nc b e\n")
    r = run("vocab", p, "--min-count", "2")
    assert r.exit_code == 0 and r.stdout == "b 3\na 2\nc 2\n"
    out = tmp_path / "v.txt"
    assert run("vocab", p, "--min-count", "1", "-o", out).exit_code == 0
    assert out.read_text().splitlines()[0] == "b 3"
    r = run("vocab", p, "--min-count", "2", "-o", "-")  # standard output, as phrases -o - (not a file named -)
    assert r.exit_code == 0 and r.stdout == "b 3\na 2\nc 2\n" and not os.path.exists("-")


def test_stdin_corpus(run):
    r = run("vocab", "-", "--min-count", "1", input="x y x\n")
    assert r.exit_code == 0 and r.stdout == "x 2\ny 1\n"


def test_train_ppmi_svd_writes_vectors(run, write_corpus, tmp_path):
    p = write_corpus("\n".join(["the king rules the land", "the queen rules the land"] * 20))
    out = tmp_path / "v.txt"
    r = run("-q", "train", "ppmi-svd", p, "-o", out, "--dim", "2", "--window", "2", "--min-count", "1")
    assert r.exit_code == 0, r.output
    lines = out.read_text().splitlines()
    assert lines[0] == "5 2" and len(lines) == 6
    assert [f for f in os.listdir(tmp_path) if f.startswith(".")] == []  # no temp file left


@pytest.mark.parametrize("content,words", [(b"", ["empty"]), (b"  \n\n \t\n", ["empty"]),
                                           (b"a b c\n", ["vocabulary is empty", "(lower --min-count, now 5)"])])
def test_empty_corpus_or_vocabulary(assert_one_line_error, run, write_corpus, tmp_path, content, words):
    out = tmp_path / "v.txt"
    r = run("train", "ppmi-svd", write_corpus(content), "-o", out)
    assert_one_line_error(r, *words)
    assert not out.exists()


def test_missing_and_unreadable_corpus(assert_one_line_error, run, tmp_path):
    assert_one_line_error(run("vocab", tmp_path / "nope.txt"), "not found", code=1)
    assert_one_line_error(run("train", "ppmi-svd", tmp_path / "nope.txt", "-o", tmp_path / "v.txt"), "not found")
    bad = tmp_path / "bad.gz"
    bad.write_bytes(gzip.compress(b"hello world\n" * 1000)[:40])
    assert_one_line_error(run("vocab", bad), "corrupt")


def test_non_utf8_warns_and_goes_on(run, write_corpus):
    r = run("vocab", write_corpus(b"caf\xe9 ok ok\n"), "--min-count", "1")
    assert r.exit_code == 0
    assert r.stdout.splitlines()[0] == "ok 2"
    assert "\ufffd" in r.stdout.splitlines()[1]
    warnings = r.stderr.strip().splitlines()
    assert len(warnings) == 1 and warnings[0].startswith("Warning:") and "1 bytes" in warnings[0]


@pytest.mark.slow
def test_long_file_without_newline(run, tmp_path):
    """text8's shape: one huge line streams through and is cut into 10,000-token sentences."""
    from embedkit.vocab import scan_corpus

    p = tmp_path / "oneline.txt"
    words = [b"alpha", b"beta", b"gamma", b"delta"]
    with open(p, "wb") as f:
        for k in range(200):
            f.write(b" ".join(words[(k + i) % 4] for i in range(25_000)) + b" ")
    vocab, enc = scan_corpus(p, min_count=1)
    assert enc.n_tokens == 5_000_000 and enc.n_sentences == 500
    assert sorted(vocab.words) == ["alpha", "beta", "delta", "gamma"]
    assert run("vocab", p, "--min-count", "1").exit_code == 0


@pytest.mark.parametrize("args,words,code", [  # option values are checked while parsing: exit 2, the option named
    (["--dim", "0"], ["'--dim'", "x>=1"], 2),
    (["--window", "-2"], ["'--window'"], 2),
    (["--window", "1001"], ["'--window'"], 2),
    (["--cds", "0"], ["'--cds'"], 2),
    (["--cds", "-1"], ["'--cds'"], 2),
    (["--cds", "nan"], ["'--cds'"], 2),
    (["--neg", "0"], ["'--neg'"], 2),
    (["--neg", "inf"], ["'--neg'", "not a finite number"], 2),
    (["--eig", "-1"], ["'--eig'"], 2),
    (["--sample", "-1"], ["'--sample'"], 2),
    (["--n-iter", "-1"], ["'--n-iter'"], 2),
    (["--format", "xml"], ["--format"], 2),
    (["--min-count", "0"], ["--min-count"], 2),
    (["--threads", "0"], ["--threads"], 2),
    (["--dim", "abc"], ["--dim"], 2),
    (["--format", "word2vec-binary"], ["suffix .txt"], 2),
    # known only from the data: exit 1, naming the options that help
    (["--dim", "100000"], ["--dim must be <= the vocabulary size (5 words), got 100000: lower --dim, or keep more "
                           "words with a lower --min-count"], 1),
    (["--dim", "10", "--max-vocab", "3"], ["--dim must be <= the vocabulary size (3 words), got 10: lower --dim, or "
                                           "keep more words with a higher --max-vocab"], 1),
    (["--dim", "2", "--neg", "1e9"], ["no pair's PMI is above log(--neg) = 20.7; lower --neg (1e+09)"], 1),
])
def test_nonsense_options(assert_one_line_error, run, write_corpus, tmp_path, args, words, code):
    p = write_corpus("\n".join(["the king rules the land", "the queen rules the land"] * 20))
    out = tmp_path / "v.txt"
    assert_one_line_error(run("train", "ppmi-svd", p, "-o", out, "--min-count", "1", *args)
                          if "--min-count" not in args else run("train", "ppmi-svd", p, "-o", out, *args), *words,
                          code=code)
    assert not out.exists()


@pytest.mark.parametrize("cmd,args,words", [
    ("skipgram", ["--dim", "0"], ["'--dim'"]), ("cbow", ["--epochs", "0"], ["'--epochs'"]),
    ("skipgram", ["--negative", "-1"], ["'--negative'"]), ("skipgram", ["--alpha", "0"], ["'--alpha'"]),
    ("skipgram", ["--min-alpha", "nan"], ["'--min-alpha'"]), ("glove", ["--x-max", "0"], ["'--x-max'"]),
    ("glove", ["--learning-rate", "-1"], ["'--learning-rate'"]), ("fasttext", ["--bucket", "-1"], ["'--bucket'"]),
    ("fasttext", ["--negative", "0"], ["'--negative'"]), ("fasttext", ["--minn", "-1"], ["'--minn'"]),
    ("skipgram", ["--binary"], ["suffix .txt"]), ("skipgram", ["--save-context", "{tmp}/c.txt", "--negative", "0",
                                                             "--hs"], ["--save-context"]),
    ("fasttext", ["--save-model", "{tmp}/m.txt"], ["use a .bin path"]),
])
def test_option_errors_exit_2_naming_the_option_in_every_trainer(assert_one_line_error, run, write_corpus, tmp_path, cmd, args, words):
    p = write_corpus("the king rules the land\n" * 20)
    r = run("train", cmd, p, "-o", tmp_path / "v.txt", "--min-count", "1", *[a.format(tmp=tmp_path) for a in args])
    assert_one_line_error(r, *words, code=2)
    assert os.listdir(tmp_path) == [os.path.basename(p)] or not (tmp_path / "v.txt").exists()


def test_fasttext_refuses_vectors_to_a_bin_name(assert_one_line_error, run, write_corpus, tmp_path):
    """To a fastText user .bin is the model: -o ft.bin points to --save-model instead of writing vectors there."""
    p = write_corpus("the king rules the land\n" * 20)
    r = run("train", "fasttext", p, "-o", tmp_path / "ft.bin", "--min-count", "1")
    assert_one_line_error(r, "--save-model ft.bin", "--format word2vec-binary", code=2)
    assert not (tmp_path / "ft.bin").exists()


def test_unwritable_output(assert_one_line_error, run, write_corpus, tmp_path):
    p = write_corpus("\n".join(["the king rules the land", "the queen rules the land"] * 20))
    r = run("train", "ppmi-svd", p, "-o", tmp_path / "no" / "such" / "dir" / "v.txt", "--dim", "2",
            "--min-count", "1")
    assert_one_line_error(r, "cannot write")


def test_interrupted_write_leaves_nothing(tmp_path):
    from embedkit._util import atomic_write

    target = tmp_path / "out.txt"
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(target, "w") as f:
            f.write("half")
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_atomic_write_gives_the_usual_file_mode(tmp_path):
    from embedkit._util import atomic_write

    mask = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "f.txt", "w") as f:
            f.write("x")
    finally:
        os.umask(mask)
    assert (tmp_path / "f.txt").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("args,msg", [
    (["train", "skipgram", "{c}", "-o", "{o}", "--save-context", "{o}"], "-o and --save-context name the same file"),
    (["train", "cbow", "{c}", "-o", "{c}"], "-o {c} is the corpus"),
    (["train", "ppmi-svd", "{c}", "-o", "{c}"], "-o {c} is the corpus"),
    (["train", "glove", "{c}", "-o", "{o}", "--save-model", "{o}"], "-o and --save-model name the same file"),
    (["train", "fasttext", "{c}", "-o", "{o}", "--save-context", "{o}"], "-o and --save-context name the same file"),
])
def test_outputs_that_would_overwrite_each_other_or_the_corpus(assert_one_line_error, run, write_corpus, tmp_path,
                                                                args, msg):
    """Two outputs on one file (the second write replaced the first, exit 0) or an output on the corpus
    (training replaced the text): refused before any work, the corpus untouched."""
    c = write_corpus("the cat sat on the mat\n" * 50)
    names = {"c": str(c), "o": str(tmp_path / "v.txt")}
    r = run(*(a.format(**names) for a in args), "--epochs", "1") if "ppmi-svd" not in args else \
        run(*(a.format(**names) for a in args))
    assert_one_line_error(r, msg.format(**names), code=2)
    assert c.read_text() == "the cat sat on the mat\n" * 50 and not (tmp_path / "v.txt").exists()
