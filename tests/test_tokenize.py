"""The tokenizers (issue 23): ``words`` and ``text8`` against pure-Python references, the
``whitespace`` mode against today's scan, and every token writable by every vector format."""

import json
import random
from collections import Counter

import numpy as np
import pytest

from embedkit.corpus import TOKENIZE_MODES, iter_sentences, tokenize_piece, tokenize_text
from embedkit.errors import EmbedkitError
from embedkit.vectors import Vectors
from embedkit.vocab import build_vocab, scan_corpus
from reference import tokenize_text8_reference, tokenize_words_reference

pytest.importorskip("regex")

SCRIPTS = {
    "ascii": "Fed raw text (QED), \"electrodynamics.\" Feynman's anti-statism: 3.14 and 1,000 in the U.S. -- ok?! "
             "e.g. a.m., Ph.D., x-ray's 'quoted' [brackets] {braces} <angle> back\\slash a/b #tag @at 50% $5 ~ ^ | `",
    "accented": "Élan VITAL à Magyarország, ÉCOLE d’été; naïve café — Ærø Øresund Ångström ŒUVRE straße SS",
    "cyrillic": "Москва́ — столица России; «Война и мир» (1869) Л. Н. Толстого. ЁЛКА-ПАЛКА",
    "greek": "ΟΔΟΣ ΟΔΟΣ. Σοφία σοφός ΣΑΣ Αθήνα «Ἰλιάς» ΑΣ-ΒΣ π≈3.14159",
    "cjk": "東京は日本の首都です。「こんにちは」、世界！ 北京（Beijing）한국어 텍스트입니다.",
    "emoji": "I ❤️ Python 🐍🐍 👩‍💻 ok👍🏽 ☃ ©2020 ® ™ °C €10 ¥ £",
    "rtl": "العربية: مرحبا بالعالم، كيف حالك؟ ‏עברית: שלום, עולם!‎ «اختبار» فارسی می‌خواهم",
    "punctuation classes": "a‐b a‑b a‒b a–b a—b a―b ‹a› «b» “c” „d“ ‘e’ ′f″ a…b a·b a•b ¡hola! ¿qué? a、b a。b "
                           "a_b a‿b a⁀b (x) [y] {z} ⟨w⟩ a§b a¶b a†b a‡b a‰b +−×÷=≠<>±",
    "spaces": "a\u00a0b\u2028c\u2029d\u0085e\u1680f\u2000g\u2003h\u200ai\u202fj\u205fk\u3000l\tm\x0bn\x0co\rp\x1cq"
              "\x1fr\u200bs\u00adt\ufeffu\u200ev",
    "numbers": "3.14 3,14 1,000,000 10.5.2 ½ ² Ⅻ ① 2nd 3rd 1990–2000 -5 +7 0.5. 12,",
}
FLAGS = [(False, False), (True, False), (False, True), (True, True)]


def _lines(text, **kw):
    out = tokenize_piece(text.encode("utf-8"), tokenize="words", **kw)
    return [[t.decode("utf-8") for t in line.split()] for line in out.split(b"\n")]


@pytest.mark.parametrize("lowercase,keep", FLAGS)
@pytest.mark.parametrize("name", list(SCRIPTS))
def test_words_matches_the_reference(name, lowercase, keep):
    text = SCRIPTS[name] + "\n" + SCRIPTS[name][::-1]
    assert _lines(text, lowercase=lowercase, keep_punctuation=keep) == \
        tokenize_words_reference(text, lowercase=lowercase, keep_punctuation=keep)


def test_words_matches_the_reference_on_random_text():
    alphabet = "".join(SCRIPTS.values()) + "..'''---,,,00112233aAbB \n\n\u200d\u200c\U000e0001\U000f0001\U00030000"
    rng = random.Random(5)
    for k in range(400):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        lowercase, keep = FLAGS[k % 4]
        assert _lines(text, lowercase=lowercase, keep_punctuation=keep) == \
            tokenize_words_reference(text, lowercase=lowercase, keep_punctuation=keep), repr(text)


def test_words_on_plain_ascii_text_is_the_reference_and_passes_through():
    """A piece of only ASCII letters, digits and whitespace (a cleaned corpus) comes back as it
    is, and its tokens and lines are still the reference's."""
    alphabet = "abcXYZ0189 \t\r\n  "
    rng = random.Random(7)
    for k in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 50)))
        lowercase = k % 2 == 1
        assert _lines(text, lowercase=lowercase) == tokenize_words_reference(text, lowercase=lowercase), repr(text)
        expected = text.lower() if lowercase else text
        assert tokenize_piece(text.encode(), tokenize="words", lowercase=lowercase) == expected.encode()
    # one byte outside the set takes the tokenizer proper
    assert tokenize_piece(b"ab  cd.\n", tokenize="words") == b"ab cd \n"


@pytest.mark.parametrize("text,tokens", [
    ('Fed raw text: "electrodynamics." (QED) Feynman\'s', ["fed", "raw", "text", "electrodynamics", "qed",
                                                          "feynman's"]),
    ("anti-statism, 3.14, U.S. and e.g.", ["anti-statism", "3.14", "u.s.", "and", "e.g."]),
    ("Magyarország\u00a0ÉCOLE\u2028Ærø", ["magyarország", "école", "ærø"]),
    ("«Война́» — “quoted”…", ["война́", "quoted"]),
    ("ΟΔΟΣ", ["οδος"]),
])
def test_the_issue_examples(text, tokens):
    assert tokenize_text(text, tokenize="words", lowercase=True) == tokens


def test_keep_punctuation_keeps_each_mark_as_a_token():
    assert tokenize_text("(QED)… «ok»!", tokenize="words", keep_punctuation=True) == \
        ["(", "QED", ")", "…", "«", "ok", "»", "!"]


def test_text8_matches_the_reference():
    rng = random.Random(3)
    alphabet = ("".join(SCRIPTS.values()) + "AZaz09").encode("utf-8")
    for _ in range(100):
        data = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 80))) + b"\n"
        out = tokenize_piece(data, tokenize="text8")
        assert [line.split() for line in out.decode("ascii").split("\n")] == tokenize_text8_reference(data)


ODD = ("a\u00a0b c\u2028d e\x85f g\x1ch \ufeffi\n\n  j\tk\r\nl\x0bm\x0cn É Ñ ΣΑΣ x\u200by "
       "électrons! (QED)\n").encode("utf-8") + b"bad \xff\xfe bytes\n"


@pytest.mark.parametrize("lowercase", [False, True])
def test_whitespace_is_todays_scan(write_corpus, lowercase):
    """Tokens are what ASCII whitespace separates (no-break spaces and U+2028 stay inside tokens),
    as the scan did before tokenizers existed: same words, counts and ids."""
    p = write_corpus(ODD * 3)
    text = ODD.decode("utf-8", "replace") * 3
    text = text.lower() if lowercase else text
    ref = [[t.decode() for t in line.split()] for line in text.encode().split(b"\n")]
    ref = [s for s in ref if s]
    with pytest.warns(UserWarning, match="not valid UTF-8"):
        assert list(iter_sentences(p, lowercase=lowercase)) == ref
    with pytest.warns(UserWarning, match="not valid UTF-8"):
        vocab, enc = scan_corpus(p, min_count=1, lowercase=lowercase, tokenize="whitespace")
    counts = Counter(t for s in ref for t in s)
    assert dict(zip(vocab.words, vocab.counts.tolist())) == counts
    assert [vocab.words[i] for i in enc.ids] == [t for s in ref for t in s]
    assert "a\u00a0b" in vocab or "a\u00a0b".lower() in vocab


@pytest.mark.slow
def test_whitespace_default_equals_explicit_on_the_sample():
    a = build_vocab("data/sample.txt.xz", min_count=1)
    b = build_vocab("data/sample.txt.xz", min_count=1, tokenize="whitespace")
    assert a.words == b.words and np.array_equal(a.counts, b.counts)


@pytest.mark.parametrize("mode", TOKENIZE_MODES)
def test_every_token_is_writable_by_every_format(tmp_path, write_corpus, mode):
    """Whatever a tokenizer makes, every vector format writes it and reads it back (and gensim
    reads our files, and we read gensim's)."""
    p = write_corpus(ODD.replace(b"\xff\xfe", b"") * 2)
    vocab = build_vocab(p, min_count=1, tokenize=mode)
    v = Vectors(vocab.words, np.random.default_rng(0).standard_normal((len(vocab), 3)), vocab.counts)
    for name in ("v.txt", "v.bin", "v.glove", "v.npy", "v.txt.gz"):
        v.save(tmp_path / name, format="glove" if name == "v.glove" else None)
        back = Vectors.load(tmp_path / name, format="glove" if name == "v.glove" else None)
        assert back.words == v.words, name
        assert np.array_equal(back.matrix, v.matrix), name
    vocab.save(tmp_path / "vocab.txt")
    assert type(vocab).load(tmp_path / "vocab.txt").words == vocab.words
    gensim = pytest.importorskip("gensim")
    for name, binary in (("v.txt", False), ("v.bin", True)):
        kv = gensim.models.KeyedVectors.load_word2vec_format(str(tmp_path / name), binary=binary)
        assert kv.index_to_key == v.words
        kv.save_word2vec_format(str(tmp_path / ("g" + name)), binary=binary)
        assert Vectors.load(tmp_path / ("g" + name)).words == v.words


def test_a_word_that_no_format_can_write_is_refused():
    for bad in ("", " a", "a\n", "a\nb", "a\0b", "a\t"):
        with pytest.raises(EmbedkitError, match="invalid word at row 0"):
            Vectors([bad], np.zeros((1, 2)))
    assert Vectors(["a\u00a0b", "\u2028", "c d"], np.zeros((3, 2))).words[1] == "\u2028"


def test_nul_anywhere_stops_the_scan(write_corpus):
    from embedkit.corpus import SNIFF_BYTES

    p = write_corpus(b"a b c\n" * (SNIFF_BYTES // 6 + 1) + b"x\0y\n")
    with pytest.raises(EmbedkitError, match="NUL bytes"):
        build_vocab(p, min_count=1)


@pytest.mark.parametrize("kw,match", [
    (dict(tokenize="word"), "tokenize must be one of whitespace, words, text8; got 'word'"),
    (dict(keep_punctuation=True), "keep_punctuation applies to tokenize='words' only"),
    (dict(tokenize="text8", keep_punctuation=True), "keep_punctuation applies to tokenize='words' only"),
])
def test_bad_tokenizer_parameters(write_corpus, kw, match):
    with pytest.raises(EmbedkitError, match=match):
        build_vocab(write_corpus("a b\n"), **kw)
    with pytest.raises(EmbedkitError, match=match):
        tokenize_text("a b", **kw)


# ---------------------------------------------------------------- command line
def _cli(run, args):
    r = run(*args)
    return r.exit_code, r.stdout, r.stderr


@pytest.mark.parametrize("mode,expected", [
    ("whitespace", {"(QED)": 2, "QED.": 1, "Feynman's": 1}),
    ("words", {"QED": 3, "Feynman's": 1}),
    ("text8", {"qed": 3, "feynman": 1, "s": 1}),
])
def test_cli_vocab_every_mode(run, write_corpus, mode, expected):
    p = write_corpus("(QED) (QED) QED. Feynman's\n")
    code, out, err = _cli(run, ["vocab", p, "--min-count", "1", "--tokenize", mode])
    assert code == 0, err
    assert dict((w, int(c)) for w, c in (line.split(" ") for line in out.splitlines())) == expected


@pytest.mark.parametrize("args,match", [
    (["--tokenize", "word"], "Invalid value for '--tokenize'"),
    (["--keep-punctuation"], "--keep-punctuation needs --tokenize words"),
    (["--keep-punctuation", "--tokenize", "text8"], "--keep-punctuation needs --tokenize words"),
    (["--tokenize", "text8", "--keep-punctuation"], "--keep-punctuation needs --tokenize words"),
])
def test_cli_bad_tokenizer_options(run, tmp_path, write_corpus, args, match):
    out = tmp_path / "v.txt"
    for cmd in (["vocab"], ["train", "skipgram"], ["cooc"]):
        code, stdout, err = _cli(run, [*cmd, write_corpus("a b\n"), "-o", str(out), *args])
        assert code == 2, (cmd, err)
        assert err.count("\n") == 1 and match in err and "Traceback" not in err
        assert not out.exists()


def test_cooc_records_the_tokenizer(run, tmp_path, write_corpus):
    corpus = write_corpus("«a» (b) c, d.\n" * 20)
    folder = tmp_path / "cooc"
    code, _, err = _cli(run, ["cooc", corpus, "-o", str(folder), "--min-count", "1", "--tokenize", "words",
                         "--window", "2"])
    assert code == 0, err
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["tokenize"] == "words" and meta["keep_punctuation"] is False
    out = tmp_path / "v.txt"
    code, _, err = _cli(run, ["train", "ppmi-svd", "--cooc", str(folder), "--dim", "2", "-o", str(out)])
    assert code == 0, err
    out.unlink()
    for args, match in ((["--tokenize", "whitespace"], "tokenize='words', not tokenize='whitespace'"),
                        (["--tokenize", "words", "--keep-punctuation"],
                         "keep_punctuation=False, not keep_punctuation=True")):
        code, _, err = _cli(run, ["train", "ppmi-svd", "--cooc", str(folder), "--dim", "2", "-o", str(out), *args])
        assert code == 1 and err.count("\n") == 1 and match in err, err
        assert not out.exists()
    # a folder written before tokenizers existed was split on whitespace
    del meta["tokenize"], meta["keep_punctuation"], meta["checksums"]  # nor checksums
    (folder / "meta.json").write_text(json.dumps(meta))
    (folder / "MANIFEST.json").unlink()
    code, _, err = _cli(run, ["train", "ppmi-svd", "--cooc", str(folder), "--dim", "2", "-o", str(out),
                         "--tokenize", "words"])
    assert code == 1 and "tokenize='whitespace', not tokenize='words'" in err, err


def test_docsim_tokenizes_like_training(run, tmp_path):
    v = Vectors(["cat", "dog", "sat"], np.eye(3))
    v.save(tmp_path / "v.txt")
    code, out, err = _cli(run, ["docsim", str(tmp_path / "v.txt"), "(Cat) sat.", "dog, sat!", "--tokenize", "words",
                           "--lowercase"])
    assert code == 0, err
    assert "text 1 100%, text 2 100%" in out
    assert v.doc_vector("«cat»!", tokenize="words")[1] == 1.0


def test_lowercase_kernel_is_str_lower():
    """``lowercase`` goes through a Numba kernel (:func:`corpus._lower_utf8`, which lets the reader thread
    run beside the tokenizer): the same bytes as ``str.lower`` on every code point of planes 0-3 and
    on text built to catch its edges: Final_Sigma (U+03A3, whose lower case depends on the letters
    around it) and U+0130 (two code points), which it hands to Python token by token; lower cases of
    another UTF-8 length (U+023A: 2 -> 3 bytes, the Kelvin sign: 3 -> 1); 8-byte ASCII runs (read as
    one word); every ASCII byte."""
    from embedkit import corpus

    def check(text, *, fast=True):
        b = text.encode("utf-8", "surrogatepass")
        assert corpus._clean(b, True) == text.lower().encode("utf-8"), repr(text[:80])
        if fast:
            assert corpus._lower_fast(b) is not None, repr(text[:80])

    table = corpus._lower_table()
    changed = np.flatnonzero(table != np.arange(len(table)))
    assert all(table[c] == -1 or not chr(table[c]).isspace() for c in changed.tolist())  # never ASCII space
    codes = [c for c in range(0x40000) if not 0xD800 <= c < 0xE000]
    for k in range(0, len(codes), 4096):
        block = [chr(c) for c in codes[k:k + 4096]]
        check(" ".join(block))  # one code point a token
        check("".join(block))  # one long token (U+03A3 between letters, or not)
    ascii_bytes = bytes(b for b in range(128) if b)
    for shift in range(9):
        check(("x" * shift + ascii_bytes.decode("ascii")) * 3)
    alphabet = ["A", "b", "Σ", "σ", "ς", "İ", "\u212a", "ß", "É", "Ǆ", "ǅ", "Ⱥ", "\U00010400", "\u0345", "'", ".",
                "\u00ad", " ", "\n", "\t", "ABCDEFGHIJ", "QRSTUVWXYZ", "0", "-", "\u200d"]
    rng = random.Random(7)
    for _ in range(3000):
        check("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))))
    check("ΣΑΣ " * (corpus._MAX_PYTHON_TOKENS + 5), fast=False)  # more such tokens than the kernel hands back
    for bad in (b"caf\xe9 ok", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"ab\xe2\x82", b"\xce\xa3\xff"):
        assert corpus._lower_fast(bad) is None
        assert corpus._clean(bad, True) == bad.decode("utf-8", "replace").lower().encode("utf-8")


@pytest.mark.parametrize("lowercase,keep", FLAGS[1:])
def test_tokenizer_shared_by_threads_is_one_thread(write_corpus, monkeypatch, lowercase, keep):
    """With ``threads`` > 1 each piece is tokenized in parts by several threads (``iter_pieces``):
    the same words, counts, ids, sentence offsets and bad-byte warning as one thread, on every
    script above, Final_Sigma included, with invalid UTF-8 in it; small pieces so that every one
    is shared."""
    from embedkit import corpus

    rng = random.Random(11)
    lines = [SCRIPTS[rng.choice(list(SCRIPTS))] for _ in range(300)]
    data = "\n".join(lines).encode("utf-8").replace(b"QED", b"Q\xffD\xe2\x82 E")
    p = write_corpus(data)
    shared = []
    real = corpus._tokenize_shared
    monkeypatch.setattr(corpus, "_MIN_SHARED_BYTES", 1)
    monkeypatch.setattr(corpus, "_tokenize_shared", lambda piece, **kw: shared.append(kw["n_parts"]) or real(piece, **kw))
    runs = []
    for threads in (1, 2, 3):
        pieces = list(corpus.iter_pieces(p, tokenize="words", lowercase=lowercase, keep_punctuation=keep,
                                         chunk_bytes=997, threads=threads))
        with pytest.warns(UserWarning, match="bytes were not valid UTF-8") as caught:
            vocab, enc = scan_corpus(p, min_count=1, tokenize="words", lowercase=lowercase, keep_punctuation=keep,
                                     threads=threads)
        runs.append((b"".join(pieces).split(), vocab.words, vocab.counts.tolist(), np.asarray(enc.ids).tolist(),
                     enc.offsets.tolist(), [str(w.message) for w in caught]))
    assert runs[1] == runs[0] and runs[2] == runs[0]
    assert len(shared) > 40 and set(shared) == {2, 3}
