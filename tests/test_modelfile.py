"""Model folders (--save-model / --init): round trips, validation, continued GloVe training."""

import json
import os

import numpy as np
import pytest

from embedkit import EmbedkitError, Vectors
from embedkit.glove import train_glove
from embedkit.modelfile import VERSION, load_model, save_model


def corpus(path, lines, vocab, extra="", seed=0):
    rng = np.random.default_rng(seed)
    with open(path, "w") as f:
        for i in range(lines):
            f.write(" ".join(rng.choice(vocab, 12)) + (f" {extra}" if extra and i < 3 else "") + "\n")
    return str(path)


WORDS = [f"w{i}" for i in range(60)]


@pytest.fixture(scope="module")
def ab(tmp_path_factory):
    """Corpus A (40 words, 'rare' 3 times), corpus B (60 words, 'rare' 3 times), a GloVe model of A."""
    d = tmp_path_factory.mktemp("ab")
    a = corpus(d / "a.txt", 300, WORDS[:40], "rare", seed=0)
    b = corpus(d / "b.txt", 300, WORDS, "rare", seed=1)
    r = train_glove(a, dim=8, window=3, epochs=3, threads=1, return_model=True)
    r.model.save(d / "glove.model")
    return a, b, d / "glove.model", r


def test_round_trip_is_exact(ab, tmp_path):
    _, _, path, r = ab
    m = load_model(path)
    assert m.method == "glove" and m.words == r.model.words and m.rare_words == ["rare"]
    np.testing.assert_array_equal(m.counts, r.model.counts)
    assert m.settings == json.loads(json.dumps(r.model.settings)) and m.state["epochs_done"] == 3
    for name, a in r.model.arrays.items():
        assert m.arrays[name].dtype == a.dtype
        np.testing.assert_array_equal(m.arrays[name], a)
    save_model(m, tmp_path / "again")  # from memory-mapped arrays, over nothing
    m2 = load_model(tmp_path / "again")
    for name in m.arrays:
        np.testing.assert_array_equal(m2.arrays[name], m.arrays[name])
    v = Vectors.load(path)  # every command reads the model's word vectors
    assert v.words == r.vectors.words
    np.testing.assert_array_equal(v.matrix, r.vectors.matrix)
    np.testing.assert_array_equal(v.counts, r.vectors.counts)


def copy_model(src, dst):
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_future_version_is_refused(ab, tmp_path):
    p = copy_model(ab[2], tmp_path / "m")
    man = json.loads((p / "model.json").read_text())
    man["version"] = VERSION + 1
    (p / "model.json").write_text(json.dumps(man))
    with pytest.raises(EmbedkitError, match=f"format version {VERSION + 1}"):
        load_model(p)


@pytest.mark.parametrize("damage,msg", [
    ("flip", "corrupt"), ("truncate", "corrupt or truncated"), ("vocab", "disagree"), ("manifest", "corrupt"),
])
def test_damaged_models_are_refused(ab, tmp_path, damage, msg):
    p = copy_model(ab[2], tmp_path / "m")
    if damage == "flip":
        data = bytearray((p / "params.npy").read_bytes())
        data[-5] ^= 0xFF
        (p / "params.npy").write_bytes(bytes(data))
    elif damage == "truncate":
        os.truncate(p / "gradsq.npy", os.path.getsize(p / "gradsq.npy") - 100)
    elif damage == "vocab":  # a consistent manifest, but one word fewer than the matrices' rows
        from embedkit.modelfile import _sha256

        lines = (p / "vocab.txt").read_text().splitlines(True)[:-1]
        (p / "vocab.txt").write_text("".join(lines))
        man = json.loads((p / "model.json").read_text())
        man["vocab"].update(words=len(lines), sha256=_sha256(p / "vocab.txt"))
        (p / "model.json").write_text(json.dumps(man))
    else:
        (p / "model.json").write_text("{not json")
    with pytest.raises(EmbedkitError, match=msg):
        load_model(p)


def test_glove_continue_zero_epochs_is_bit_exact(ab):
    _, b, path, r = ab
    z = train_glove(b, init=path, epochs=0, threads=1)
    for w in r.vectors.words:
        np.testing.assert_array_equal(z.vectors[w], r.vectors[w])
    assert len(z.vectors) > len(r.vectors)


@pytest.mark.slow
def test_glove_continue_counts_and_determinism(ab):
    _, b, path, r = ab
    c1 = train_glove(b, init=path, epochs=2, threads=1, seed=3)
    c2 = train_glove(b, init=path, epochs=2, threads=1, seed=3)
    np.testing.assert_array_equal(c1.vectors.matrix, c2.vectors.matrix)
    # 'rare': 3 times in A, 3 in B: in the vocabulary at min_count 5 (summed counts)
    assert "rare" in c1.vectors and c1.vectors.counts[c1.vectors.get_index("rare")] == 6
    assert "w50" in c1.vectors  # a word of B only
    assert c1.model.state["epochs_done"] == 5 and c1.model.settings["dim"] == 8
    i = c1.vectors.get_index("w0")
    assert c1.vectors.counts[i] == r.vectors.counts[r.vectors.get_index("w0")] + sum(
        line.split().count("w0") for line in open(b))
    assert not np.array_equal(c1.vectors["w0"], r.vectors["w0"])  # trained further


def test_glove_continue_on_cooccurrences_of_both_corpora(ab, tmp_path, run, assert_one_line_error):
    """fit_glove(cooc, init=model): the model goes on fitting co-occurrences counted over its corpus
    and the new one; zero epochs give the model's vectors bit for bit; the folder must hold every
    word of the model and the model's window; the CLI's --cooc with --init does the same."""
    from embedkit.cooc import count_cooccurrences
    from embedkit.glove import fit_glove

    a, b, path, r = ab
    both = count_cooccurrences([a, b], window=3, weighting="harmonic", output=tmp_path / "both")
    z = fit_glove(both, init=path, epochs=0, threads=1)
    assert z.vectors.words == both.words and z.vectors.dim == 8
    for w in r.vectors.words:
        np.testing.assert_array_equal(z.vectors[w], r.vectors[w])
    c1 = fit_glove(both, init=path, epochs=2, threads=1, seed=3)
    c2 = fit_glove(both, init=path, epochs=2, threads=1, seed=3)
    np.testing.assert_array_equal(c1.vectors.matrix, c2.vectors.matrix)
    assert c1.model.state["epochs_done"] == 5 and "w50" in c1.vectors  # a word of B only
    assert not np.array_equal(c1.vectors["w0"], r.vectors["w0"])  # trained further
    # from the model's start, not from scratch: after 2 epochs it is nearer the model than a fresh fit is
    fresh = fit_glove(both, dim=8, epochs=2, threads=1, seed=3)
    old = r.vectors.words
    dist = lambda v: np.linalg.norm(np.stack([v[w] for w in old]) - r.vectors.matrix)  # noqa: E731
    assert dist(c1.vectors) < 0.5 * dist(fresh.vectors)
    b40 = count_cooccurrences(b, window=3, weighting="harmonic", max_vocab=40, output=tmp_path / "b40")
    lacking = len(set(r.vectors.words) - set(b40.words))
    assert lacking > 0 and len(r.vectors) == 40
    with pytest.raises(EmbedkitError, match=f"lacks {lacking} of the model's 40 words"):
        fit_glove(b40, init=path)
    with pytest.raises(EmbedkitError, match="window=3, not 5"):
        fit_glove(count_cooccurrences([a, b], window=5, weighting="harmonic"), init=path)
    with pytest.raises(EmbedkitError, match="dim=8, not 9"):
        fit_glove(both, init=path, dim=9)
    out = tmp_path / "c.txt"
    res = run("train", "glove", "--cooc", str(tmp_path / "both"), "--init", str(path), "-o", str(out),
              "--epochs", "1", "--threads", "1")
    assert res.exit_code == 0, res.output
    assert "on the co-occurrences of" in res.stderr and Vectors.load(out).words == both.words
    assert_one_line_error(run("train", "glove", "--cooc", str(tmp_path / "b40"), "--init", str(path), "-o",
                              str(tmp_path / "x.txt")), f"lacks {lacking} of the model's 40 words",
                          absent=tmp_path / "x.txt")


def test_glove_fixed_settings(ab):
    _, b, path, _ = ab
    with pytest.raises(EmbedkitError, match="dim=8, not 9"):
        train_glove(b, init=path, dim=9)
    with pytest.raises(EmbedkitError, match="window=3, not 5"):
        train_glove(b, init=path, window=5)


@pytest.mark.slow
def test_cli_glove_save_and_continue(ab, tmp_path, run):
    a, b, _, _ = ab
    m1, m2 = tmp_path / "m1", tmp_path / "m2"
    r = run("train", "glove", a, "-o", str(tmp_path / "a.txt"), "--dim", "8", "--window", "3", "--epochs",
                  "2", "--threads", "1", "--save-model", str(m1))
    assert r.exit_code == 0, r.output
    r = run("train", "glove", b, "-o", str(tmp_path / "b.txt"), "--epochs", "1", "--threads", "1",
                  "--init", str(m1), "--save-model", str(m2))
    assert r.exit_code == 0, r.output
    assert "continued" in r.stderr and "learning rate 0.05" in r.stderr
    assert "continue with --cooc DIR --init MODEL" in r.stderr  # the route that keeps the old text's counts
    assert load_model(m2).state["epochs_done"] == 3
    assert Vectors.load(tmp_path / "b.txt").words == Vectors.load(m2).words


def test_cli_bad_init(ab, tmp_path, run, assert_one_line_error):
    a, _, path, r = ab
    out = tmp_path / "out.txt"
    base = ["train", "glove", a, "-o", str(out), "--threads", "1"]
    vec = tmp_path / "v.txt"
    r.vectors.save(vec)
    assert_one_line_error(run(*base, "--init", str(vec)), "--init-vectors")
    ft = tmp_path / "model.bin"
    ft.write_bytes((793712314).to_bytes(4, "little") + b"\0" * 64)
    assert_one_line_error(run(*base, "--init", str(ft)), "model.bin is a fastText model; use train fasttext")
    other = copy_model(path, tmp_path / "sg")
    man = json.loads((other / "model.json").read_text())
    man["method"] = "skipgram"
    (other / "model.json").write_text(json.dumps(man))
    assert_one_line_error(run(*base, "--init", str(other)), "is a skipgram model; use train skipgram")
    assert_one_line_error(run(*base, "--init", str(path), "--dim", "16"), "dim=8, not 16")
    bad = copy_model(path, tmp_path / "bad")
    os.truncate(bad / "params.npy", 200)
    assert_one_line_error(run(*base, "--init", str(bad)), "truncated")
    assert not out.exists()
    headless = copy_model(path, tmp_path / "headless")
    (headless / "model.json").unlink()
    assert_one_line_error(run(*base, "--init", str(headless)), "is a folder but not a model folder (no model.json)")
    mine = tmp_path / "notes"  # a folder of the user's own files: refused before training, not after
    mine.mkdir()
    (mine / "notes.txt").write_text("mine\n")
    for method in ("glove", "skipgram"):
        r = run("train", method, a, "-o", str(out), "--save-model", str(mine), "--epochs", "1")
        assert_one_line_error(r, "the folder exists and is not a model folder", code=2)
        assert "wrote" not in r.stderr and not out.exists()
    assert os.listdir(mine) == ["notes.txt"]


# ---------------------------------------------------------------- word2vec
@pytest.fixture(scope="module")
def w2v(ab, tmp_path_factory):
    from embedkit.word2vec import train_word2vec

    a, b, _, _ = ab
    d = tmp_path_factory.mktemp("w2v")
    r = train_word2vec(a, dim=8, epochs=2, threads=1, hs=True, return_model=True)
    r.model.save(d / "sg.model")
    return a, b, d / "sg.model", r


@pytest.mark.slow
def test_word2vec_round_trip_and_zero_epochs(w2v):
    from embedkit.word2vec import train_word2vec

    a, b, path, r = w2v
    m = load_model(path)
    assert m.method == "skipgram" and set(m.arrays) == {"input", "output_neg", "output_hs", "hs_codes", "hs_points",
                                                         "hs_lens"}
    for name, arr in r.model.arrays.items():
        np.testing.assert_array_equal(m.arrays[name], arr)
    assert m.settings["hs"] is True and m.state["epochs_done"] == 2
    z = train_word2vec(b, init=path, epochs=0, threads=1)
    for w in r.vectors.words:
        np.testing.assert_array_equal(z.vectors[w], r.vectors[w])


@pytest.mark.slow
def test_word2vec_continue_is_deterministic_and_counts_sum(w2v):
    from embedkit.word2vec import train_word2vec

    a, b, path, r = w2v
    with pytest.warns(UserWarning, match="Huffman tree was rebuilt"):
        c1 = train_word2vec(b, init=path, epochs=2, threads=1, seed=4)
    with pytest.warns(UserWarning):
        c2 = train_word2vec(b, init=path, epochs=2, threads=1, seed=4)
    np.testing.assert_array_equal(c1.vectors.matrix, c2.vectors.matrix)
    assert "rare" in c1.vectors and "w55" in c1.vectors
    assert c1.model.state["epochs_done"] == 4 and "restarted from zero" in c1.model.state["note"]
    with pytest.raises(EmbedkitError, match="is a skipgram model; use train skipgram"):
        train_word2vec(b, model="cbow", init=path)
    with pytest.raises(EmbedkitError, match="hs=True, not False"):
        train_word2vec(b, init=path, hs=False)


@pytest.mark.slow
def test_word2vec_hs_layer_kept_when_the_tree_does_not_change(tmp_path):
    """Continuing on the same text doubles every count: the same Huffman tree, so the HS layer stays."""
    from embedkit.word2vec import train_word2vec

    a = corpus(tmp_path / "a.txt", 200, WORDS[:30], seed=5)
    r = train_word2vec(a, dim=8, epochs=1, threads=1, hs=True, negative=0, return_model=True)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = train_word2vec(a, init=r.model, epochs=0, threads=1)
    np.testing.assert_array_equal(c.model.arrays["output_hs"], r.model.arrays["output_hs"])
    assert "unchanged" in c.model.state["note"]
    # averaged, the kept HS layer is blended like the words: the same text again is half of the counts
    plain = train_word2vec(a, init=r.model, epochs=1, threads=1, seed=2)
    avg = train_word2vec(a, init=r.model, epochs=1, threads=1, seed=2, average_init=True)
    old, trained = r.model.arrays["output_hs"], plain.model.arrays["output_hs"]
    assert not np.allclose(trained, old)
    np.testing.assert_allclose(avg.model.arrays["output_hs"], old + 0.5 * (trained - old), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(avg.vectors.matrix, r.vectors.matrix + 0.5 * (plain.vectors.matrix - r.vectors.matrix),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_cli_word2vec_save_continue_and_bad_input(w2v, ab, tmp_path, run, assert_one_line_error):
    a, b, path, r = w2v
    out = tmp_path / "c.txt"
    res = run("train", "skipgram", b, "-o", str(out), "--init", str(path), "--epochs", "1", "--threads", "1",
                    "--save-model", str(tmp_path / "c.model"))
    assert res.exit_code == 0, res.output
    assert "learning rate restarted at 0.025, falling to 0.0001" in res.stderr
    assert load_model(tmp_path / "c.model").state["epochs_done"] == 3
    bad = tmp_path / "bad.txt"
    base = ["train", "skipgram", b, "-o", str(bad), "--threads", "1"]
    assert_one_line_error(run(*base, "--init", str(out)), "--init-vectors")
    assert_one_line_error(run(*base, "--init", str(ab[2])), "is a glove model; use train glove")
    assert_one_line_error(run(*base, "--init", str(path), "--dim", "16"), "dim=8, not 16")
    assert_one_line_error(run("train", "cbow", b, "-o", str(bad), "--init", str(path)), "use train skipgram")
    assert_one_line_error(run(*base, "--init-vectors", str(out), "--lock-init", "1.5"), "--lock-init")
    assert_one_line_error(run(*base, "--init-vectors", str(out), "--dim", "16"), "8-dimensional", "16")
    assert not bad.exists()
def start_vectors(path, **kw):
    """The input vectors a plain ``train_word2vec(path, **kw)`` run starts from (min_count 5)."""
    from embedkit.vocab import scan_corpus
    from embedkit.word2vec import _setup

    vocab, enc = scan_corpus(path, min_count=5)
    weights = _setup(enc, window=5, sample=1e-3, cbow_mean=True, cbow_update="word2vec", shared_negatives=False,
                     update="window", **kw)[1]
    return Vectors(list(vocab.words), weights.syn0.copy())


@pytest.mark.slow
def test_word2vec_lock_init_frozen_and_free(w2v):
    """lock_init=0: the rows from init_vectors keep every bit while the others train; lock_init=1:
    starting from a file that holds the plain run's own start gives the plain run, bit for bit."""
    from embedkit.word2vec import train_word2vec

    a, b, _, r = w2v
    kw = dict(dim=8, negative=5, hs=True, seed=2, model="skipgram")
    start = start_vectors(b, **kw)
    kw.update(epochs=1, threads=1)
    plain = train_word2vec(b, **kw).vectors
    np.testing.assert_array_equal(train_word2vec(b, init_vectors=start, lock_init=1.0, **kw).vectors.matrix,
                                  plain.matrix)
    assert (plain.matrix != start.matrix).any(axis=1).all()  # every row trained
    np.testing.assert_array_equal(train_word2vec(b, init_vectors=start, lock_init=0.0, **kw).vectors.matrix,
                                  start.matrix)
    part = train_word2vec(b, init_vectors=r.vectors, lock_init=0.0, **kw).vectors  # A's 40 words of B's 60
    for w in part.words:
        if w in r.vectors:
            np.testing.assert_array_equal(part[w], r.vectors[w])
        else:
            assert not np.array_equal(part[w], start[w])
    with pytest.raises(EmbedkitError, match="lock_init applies to the rows of init_vectors"):
        train_word2vec(b, lock_init=0.5, **kw)
    with pytest.raises(EmbedkitError, match="lock_init must be <= 1"):
        train_word2vec(b, init_vectors=start, lock_init=1.5, **kw)


@pytest.mark.slow
def test_cli_word2vec_lock_init(w2v, tmp_path, run):
    a, b, _, r = w2v
    init = tmp_path / "init.bin"
    r.vectors.save(init)
    base = ["train", "cbow", b, "--dim", "8", "--epochs", "1", "--threads", "1"]
    got = {}
    for lock in ("0", "0.5"):
        out = tmp_path / f"lock{lock}.bin"
        res = run(*base, "-o", str(out), "--init-vectors", str(init), "--lock-init", lock)
        assert res.exit_code == 0, res.output
        got[lock] = Vectors.load(out)
    for w in r.vectors.words:
        np.testing.assert_array_equal(got["0"][w], r.vectors[w])
        assert not np.array_equal(got["0.5"][w], r.vectors[w])


def test_cli_bad_lock_init(tmp_path, run, assert_one_line_error):
    """Refused while parsing (exit 2, one line, nothing written): before any corpus is read."""
    init = tmp_path / "init.txt"
    init.write_text("2 3\nw0 0.1 0.2 0.3\nw1 0.4 0.5 0.6\n")
    text = corpus(tmp_path / "c.txt", 20, WORDS[:10])
    bad = tmp_path / "bad.bin"
    base = ["train", "skipgram", text, "-o", str(bad), "--dim", "3"]
    for value in ("-0.1", "1.01", "nan"):
        assert_one_line_error(run(*base, "--init-vectors", str(init), "--lock-init", value), "--lock-init", code=2,
                              absent=bad)
    assert_one_line_error(run(*base, "--lock-init", "0.5"), "--init-vectors", code=2, absent=bad)


# ---------------------------------------------------------------- fastText: resume from a .bin
@pytest.mark.slow  # compiles fastText's kernels
def test_fasttext_resume_from_our_bin(ab, tmp_path):
    from embedkit.fasttext import train_fasttext
    from embedkit.fasttext_bin import save_fasttext_model

    a, b, _, _ = ab
    r = train_fasttext(a, dim=8, epochs=1, bucket=500, threads=1, min_count=5)
    path = tmp_path / "ft.bin"
    save_fasttext_model(path, r.vectors, r.context.matrix, epochs=1)
    z = train_fasttext(b, init=path, epochs=0, threads=1)
    for w in r.vectors.words:
        np.testing.assert_array_equal(z.vectors[w], r.vectors[w])
    np.testing.assert_array_equal(z.vectors.input_matrix[len(z.vectors):], r.vectors.input_matrix[len(r.vectors):])
    # a word new in B starts where the model composed it from its n-grams
    np.testing.assert_allclose(z.vectors["w55"], r.vectors["w55"], rtol=1e-5, atol=1e-7)
    c1 = train_fasttext(b, init=path, epochs=1, threads=1, seed=2)
    c2 = train_fasttext(b, init=path, epochs=1, threads=1, seed=2)
    np.testing.assert_array_equal(c1.vectors.input_matrix, c2.vectors.input_matrix)
    assert "rare" not in c1.vectors  # the .bin keeps no rare words: 3 (B) < 5
    with pytest.raises(EmbedkitError, match="bucket=500, not 1000"):
        train_fasttext(b, init=path, bucket=1000)
    with pytest.raises(EmbedkitError, match="model='skipgram', not 'cbow'"):
        train_fasttext(b, init=path, model="cbow")
    # the loaded model (as the CLI passes it) is named by its file, not printed whole with its matrices
    from embedkit.warmstart import load_fasttext_init

    with pytest.raises(EmbedkitError) as e:
        train_fasttext(b, init=load_fasttext_init(path), dim=9)
    assert str(e.value) == f"dim cannot change when continuing: {path} has dim=8, not 9"


@pytest.mark.slow  # compiles fastText's kernels
def test_fasttext_average_init(ab, tmp_path, run, assert_one_line_error):
    """average_init on fastText: the model's words (both layers) and every bucket row = start + s *
    (the plain continuation's - start), one share s of the new text; new words as trained."""
    from embedkit.fasttext import train_fasttext
    from embedkit.fasttext_bin import save_fasttext_model

    a, b, _, _ = ab
    r = train_fasttext(a, dim=8, epochs=1, bucket=500, threads=1, min_count=5)
    path = tmp_path / "ft.bin"
    save_fasttext_model(path, r.vectors, r.context.matrix, epochs=1)
    kw = dict(epochs=1, threads=1, seed=2)
    plain, avg = train_fasttext(b, init=path, **kw), train_fasttext(b, init=path, average_init=True, **kw)
    old = [avg.vectors.words.index(w) for w in r.vectors.words]
    s = 1 - r.vectors.counts.sum() / avg.vectors.counts[old].sum()
    assert 0.3 < s < 0.7
    v, v_old = len(avg.vectors), len(r.vectors)
    start, trained, got = r.vectors.input_matrix, plain.vectors.input_matrix, avg.vectors.input_matrix
    np.testing.assert_allclose(got[v:], start[v_old:] + s * (trained[v:] - start[v_old:]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[old], start[:v_old] + s * (trained[old] - start[:v_old]), rtol=1e-5, atol=1e-6)
    ctx_start = r.context.matrix
    np.testing.assert_allclose(avg.context.matrix[old], ctx_start + s * (plain.context.matrix[old] - ctx_start),
                               rtol=1e-5, atol=1e-6)
    new = np.setdiff1d(np.arange(v), old)
    assert len(new) and np.array_equal(got[new], trained[new])
    with pytest.raises(EmbedkitError, match="average_init applies to continued training"):
        train_fasttext(b, average_init=True, epochs=1, threads=1)
    res = run("train", "fasttext", b, "-o", str(tmp_path / "avg.vec"), "--init", str(path), "--average-init",
              "--epochs", "1", "--threads", "1")
    assert res.exit_code == 0, res.output
    assert f"averaged with the model (share of the new text {s:.2f})" in res.stderr
    assert_one_line_error(run("train", "fasttext", b, "-o", str(tmp_path / "x.vec"), "--average-init"),
                          "--average-init applies to continued training", code=2, absent=tmp_path / "x.vec")


@pytest.mark.slow  # compiles fastText's kernels, runs the fastText tool
def test_fasttext_resume_from_the_fasttext_tool(ab, tmp_path):
    fasttext = pytest.importorskip("fasttext")
    from embedkit.fasttext import train_fasttext

    a, b, _, _ = ab
    m = fasttext.train_unsupervised(a, model="skipgram", dim=8, minCount=5, epoch=1, bucket=300, thread=1,
                                    verbose=0)
    path = str(tmp_path / "tool.bin")
    m.save_model(path)
    z = train_fasttext(b, init=path, epochs=0, threads=1)
    for w in ("w0", "w10"):
        np.testing.assert_allclose(z.vectors[w], m.get_word_vector(w), rtol=1e-5, atol=1e-6)
    c = train_fasttext(b, init=path, epochs=1, threads=1)
    assert "w55" in c.vectors and c.vectors.bucket == 300 and c.vectors.dim == 8


def test_word2vec_average_init_weighs_each_model_by_its_text(w2v):
    """average_init: each of the model's words = its model row + s * (the plain continuation's row -
    its model row), s = the new text's share of those words' summed counts (both layers); new words
    and zero epochs as without it."""
    from embedkit.word2vec import train_word2vec

    a, b, path, r = w2v
    kw = dict(epochs=1, threads=1, seed=4, negative=5)
    with pytest.warns(UserWarning, match="Huffman tree"):
        plain = train_word2vec(b, init=path, **kw)
    with pytest.warns(UserWarning, match="Huffman tree"):
        avg = train_word2vec(b, init=path, average_init=True, **kw)
    old = load_model(path)
    rows = [avg.vectors.words.index(w) for w in old.words]
    s = 1 - old.counts.sum() / avg.vectors.counts[rows].sum()
    assert 0.3 < s < 0.7
    for w in avg.vectors.words:
        if w not in r.vectors:  # a word new in B: as trained
            np.testing.assert_array_equal(avg.vectors[w], plain.vectors[w])
            continue
        for got, start, trained in ((avg.vectors, r.vectors, plain.vectors), (avg.context, r.context, plain.context)):
            np.testing.assert_allclose(got[w], start[w] + s * (trained[w] - start[w]), rtol=1e-5, atol=1e-6)
    assert f"averaged with the model (share of the new text {s:.2f})" in avg.model.state["note"]
    with pytest.warns(UserWarning):
        z = train_word2vec(b, init=path, epochs=0, threads=1, average_init=True)
    for w in r.vectors.words:
        np.testing.assert_array_equal(z.vectors[w], r.vectors[w])
    with pytest.raises(EmbedkitError, match="average_init applies to continued training"):
        train_word2vec(b, average_init=True, epochs=1, threads=1)


def test_cli_word2vec_average_init(w2v, tmp_path, run, assert_one_line_error):
    a, b, path, r = w2v
    out = tmp_path / "avg.txt"
    res = run("train", "skipgram", b, "-o", str(out), "--init", str(path), "--average-init", "--epochs", "1",
              "--threads", "1")
    assert res.exit_code == 0, res.output
    assert "averaged with the model (share of the new text" in res.stderr
    assert_one_line_error(run("train", "skipgram", b, "-o", str(tmp_path / "x.txt"), "--average-init"),
                          "--average-init applies to continued training")
    assert not (tmp_path / "x.txt").exists()
