"""train_fasttext: the kernel against a NumPy reference, quality on the sample, unseen words, CLI."""

import numba
import numpy as np
import pytest
from reference import fasttext_cbow_window_reference, fasttext_update_reference

import embedkit._sgd as sgd
import embedkit.fasttext as ft
import embedkit.word2vec as w2v
from embedkit.errors import EmbedkitError
from embedkit.eval import evaluate_similarity
from embedkit.subword import SubwordVectors, subword_table

WORDS = ["cat", "cats", "dog", "noise"]
SENT = [0, 1, 2, 1, 0, 2]


def _table_sigmoid(f):
    return float(sgd.sigmoid(np.float32(f)))


def _run_kernel(model, update, inp, out, indptr, rows, alpha):
    ids = np.array(SENT, np.int32)
    ids.setflags(write=False)  # the encoded corpus is a read-only memmap: the trainer's kernel type, not a second one
    noise = sgd.build_noise_table(np.array([0, 0, 0, 1]), ft.NOISE_POWER)  # every negative is word 3
    window, negative = 1, 2
    corpus = sgd.Corpus(ids, np.array([0, len(SENT)], np.int64), np.array([0, 1], np.int64))
    scratch = ft._allocate_scratch(numba.config.NUMBA_NUM_THREADS, len(SENT), inp.shape[1], window, negative)
    cfg = ft._Config(window, negative, int(model == "skipgram"), int(update == "pair"))
    return ft._train_chunks(np.zeros(1, np.int64), np.array([alpha]), corpus, ft._Weights(inp, out),
                            ft._Tables(indptr, rows, noise, np.ones(4)), scratch, ft.seed_states(3, 1), cfg)


@pytest.mark.parametrize("model,update", [("skipgram", "pair"), ("skipgram", "window"), ("cbow", "window"),
                                          ("cbow", "pair")])
def test_kernel_matches_reference(model, update):
    rng = np.random.default_rng(5)
    indptr, rows = subword_table(WORDS, minn=2, maxn=3, bucket=7)  # 7 buckets: n-grams share rows
    inp = (rng.standard_normal((4 + 7, 6)) * 0.5).astype(np.float32)
    out = (rng.standard_normal((4, 6)) * 0.5).astype(np.float32)
    ref_inp, ref_out, ref_loss = inp.astype(np.float64), out.astype(np.float64), 0.0
    alpha = 0.1
    n = len(SENT)
    if model == "cbow" and update == "window":
        bags = [rows[indptr[w]:indptr[w + 1]].tolist() for w in range(4)]
        ref_inp, ref_out, ref_loss = fasttext_cbow_window_reference(ref_inp, ref_out, bags, SENT, 1, [3, 3], alpha,
                                                                    sigmoid=_table_sigmoid)
        n = 0  # done
    for i in range(n):  # window 1: the neighbours on each side
        ctx = [j for j in (i - 1, i + 1) if 0 <= j < n]
        if model == "skipgram":
            bag = rows[indptr[SENT[i]]:indptr[SENT[i] + 1]].tolist()
            steps = [(SENT[j], [3, 3]) for j in ctx]
        else:
            bag = sum((rows[indptr[SENT[j]]:indptr[SENT[j] + 1]].tolist() for j in ctx), [])
            steps = [(SENT[i], [3, 3])]
        ref_inp, ref_out, lo = fasttext_update_reference(ref_inp, ref_out, bag, steps, alpha,
                                                         per_pair=update == "pair", sigmoid=_table_sigmoid)
        ref_loss += lo
    loss, pairs, tokens = _run_kernel(model, update, inp, out, indptr, rows, alpha)
    n = len(SENT)
    assert tokens == n and pairs == (2 * n - 2 if model == "skipgram" else n)
    np.testing.assert_allclose(inp, ref_inp, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(out, ref_out, rtol=1e-4, atol=1e-5)
    assert loss == pytest.approx(ref_loss, rel=5e-3)


@pytest.fixture(scope="module")
def sg(sample_scan):
    return ft.train_fasttext(sample_scan, dim=50, epochs=3, bucket=200_000, threads=1, seed=1)


@pytest.mark.slow  # trains at dim 50 on the sample
def test_quality_floor_and_result(sg, sample_scan):
    vocab, _ = sample_scan
    v = sg.vectors
    assert isinstance(v, SubwordVectors) and v.words == vocab.words and v.input_matrix.shape == (len(vocab) + 200_000, 50)
    assert sg.context.matrix.shape == (len(vocab), 50) and len(sg.losses) == 3
    assert list(sg.timings) == ["compile", "setup", "train", "compose"] and sg.words_per_sec > 0
    rho = evaluate_similarity(v, "WS-353-ALL").spearman
    assert rho > 0.27  # measured 0.312 (dim 50, 3 epochs, threads 1); fastText itself: 0.309 here


@pytest.mark.slow
def test_unseen_plural_finds_its_singular(sg):
    v = sg.vectors
    plurals = ["constitutions", "telephones", "parliaments", "leagues", "universes", "expansions", "plagues",
               "televisions"]
    found = []
    for p in plurals:
        assert p not in v  # none of them is in the sample's vocabulary: composed from n-grams
        if p[:-1] in [w for w, _ in v.most_similar(v[p], topn=10)]:
            found.append(p)
    # measured: constitutions, universes, televisions (3 of 8) at dim 50, 3 epochs on 1M tokens
    assert len(found) >= 2, found


@pytest.mark.slow  # trains fastText and word2vec on the sample
def test_maxn_0_is_plain_skipgram(sample_scan):
    r = ft.train_fasttext(sample_scan, dim=30, epochs=2, maxn=0, threads=1)
    assert r.vectors.input_matrix.shape == (len(r.vectors), 30) and r.vectors.bucket == 0
    np.testing.assert_array_equal(r.vectors.matrix, r.vectors.input_matrix)  # a word is its own row
    w = w2v.train_word2vec(sample_scan, dim=30, epochs=2, sample=1e-4, alpha=0.05, min_alpha=0.0, threads=1,
                           update="pair")  # fastText's skip-gram: each pair its own negatives
    a, b = (evaluate_similarity(x, "WS-353-ALL").spearman for x in (r.vectors, w.vectors))
    assert abs(a - b) < 0.05, (a, b)  # measured


@pytest.mark.slow
def test_threads_1_is_bit_identical(sample_head):
    kw = dict(dim=10, epochs=1, bucket=5000, threads=1, model="cbow")
    corpus = sample_head(300)
    a, b = ft.train_fasttext(corpus, **kw, seed=7), ft.train_fasttext(corpus, **kw, seed=7)
    np.testing.assert_array_equal(a.vectors.input_matrix, b.vectors.input_matrix)
    assert not np.array_equal(a.vectors.input_matrix, ft.train_fasttext(corpus, **kw, seed=8).vectors.input_matrix)


@pytest.mark.parametrize("kw,msg", [(dict(minn=5, maxn=3), "minn must be <= maxn"),
                                    (dict(bucket=0), "bucket must be >= 1"),
                                    (dict(model="sg"), "model must be one of"),
                                    (dict(update="batch"), "update must be one of"),
                                    (dict(min_alpha=0.1), "min_alpha must be <="),
                                    (dict(negative=0), "negative must be >= 1")])
def test_bad_parameters(kw, msg):
    with pytest.raises(EmbedkitError, match=msg):
        ft.train_fasttext("no-such-corpus.txt", **kw)


# ---------------------------------------------------------------- CLI
@pytest.fixture(scope="module")
def cli_model(run, tmp_path_factory, sample_path):
    d = tmp_path_factory.mktemp("ftcli")
    r = run("-q", "train", "fasttext", str(sample_path), "-o", str(d / "v.vec"), "--dim", "20",
                                 "--epochs", "1", "--bucket", "50000", "--min-count", "20", "--save-model",
                                 str(d / "m.bin"), "--threads", "2")
    assert r.exit_code == 0, r.output
    return d


@pytest.mark.slow  # the fastText tool opens our model
def test_cli_trains_and_saves_model_fasttext_opens(cli_model):
    from embedkit.vectors import Vectors

    fasttext = pytest.importorskip("fasttext")
    v = Vectors.load(cli_model / "m.bin")
    text = Vectors.load(cli_model / "v.vec")
    assert isinstance(v, SubwordVectors) and v.words == text.words
    np.testing.assert_allclose(v.matrix, text.matrix, rtol=1e-6)
    m = fasttext.load_model(str(cli_model / "m.bin"))
    for w in v.words[:30] + ["unfriendliness", "kingdomz"]:
        np.testing.assert_allclose(m.get_word_vector(w), v[w], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("args,msg", [(["--minn", "5", "--maxn", "3"], "--minn must be <= --maxn, got --minn=5"),
                                      (["--bucket", "0"], "--bucket must be >= 1 when subwords are on (--maxn > 0)"),
                                      (["--min-alpha", "0.5"], "--min-alpha must be <= --alpha (0.05), got 0.5")])
def test_cli_bad_subword_options(assert_one_line_error, run, tmp_path, sample_path, args, msg):
    r = run("train", "fasttext", sample_path, "-o", tmp_path / "o.vec", "--save-model", tmp_path / "m.bin", *args)
    assert_one_line_error(r, f"Error: {msg}")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name,msg", [("m.txt.gz", "written uncompressed"), ("m.bin.xz", "written uncompressed"),
                                      ("m.vec", "suffix .vec means word2vec"), ("m.npy", "suffix .npy means npy")])
def test_cli_save_model_suffix_must_mean_a_model(assert_one_line_error, run, tmp_path, sample_path, name, msg):
    r = run("train", "fasttext", sample_path, "-o", tmp_path / "o.vec", "--save-model", tmp_path / name)
    assert_one_line_error(r, msg, "use a .bin path")
    assert not list(tmp_path.iterdir())  # refused before training


@pytest.mark.slow
def test_cli_bad_bin_files(assert_one_line_error, run, tmp_path, cli_model):
    data = (cli_model / "m.bin").read_bytes()
    (tmp_path / "cut.bin").write_bytes(data[:len(data) // 3])
    for args in (["similar", str(tmp_path / "cut.bin"), "king"], ["eval", str(tmp_path / "cut.bin")]):
        r = run(*args)
        assert_one_line_error(r, "truncated")


@pytest.mark.slow
def test_eval_oov_compose_scores_every_pair(run, cli_model):
    skip = run("eval", str(cli_model / "m.bin"), "--json")
    comp = run("eval", str(cli_model / "m.bin"), "--json", "--oov", "compose")
    assert skip.exit_code == 0 and comp.exit_code == 0, skip.output + comp.output
    import json

    a = {r["name"]: r for r in json.loads(skip.stdout)["similarity"]}
    b = {r["name"]: r for r in json.loads(comp.stdout)["similarity"]}
    for name in a:
        assert a[name]["composed"] == 0 and a[name]["found"] < a[name]["pairs"]
        assert b[name]["found"] == b[name]["pairs"] and b[name]["coverage"] == 1.0
        assert b[name]["composed"] == b[name]["pairs"] - a[name]["found"]
    table = run("eval", str(cli_model / "m.bin"), "--oov", "compose").stdout
    assert "composed" in table.splitlines()[0]
    text = run("eval", str(cli_model / "v.vec"), "--json", "--oov", "compose")
    assert json.loads(text.stdout)["similarity"][0]["composed"] == 0  # plain vectors compose nothing


def test_cli_queries_answer_unseen_words(run, cli_model):
    m = str(cli_model / "m.bin")
    r = run("similar", m, "constitutions", "-n", "3", "--json")
    assert r.exit_code == 0, r.output
    import json

    assert len(json.loads(r.stdout)["constitutions"]) == 3
    r = run("analogy", m, "kingdomz", "king", "queen", "--json")
    assert r.exit_code == 0, r.output
    r = run("docsim", m, "the constitutionz fell", "the empire fell", "--json")
    assert r.exit_code == 0 and 0 < json.loads(r.stdout)["known1"] < 1, r.output
    r = run("similar", str(cli_model / "v.vec"), "constitutions")  # plain vectors: unknown
    assert r.exit_code != 0 and "not in vocabulary" in r.stderr


def _analogy_reference(v, questions, restrict):
    """Brute force of eval --oov compose on analogies: (answered, correct, composed)."""
    known = {w.lower(): i for i, w in reversed(list(enumerate(v.words)))}
    unit = v.matrix[:restrict] / np.linalg.norm(v.matrix[:restrict], axis=1, keepdims=True)
    answered = correct = composed = 0
    for qn in questions:
        qn = [w.lower() for w in qn]
        rows = [known.get(w) for w in qn]
        if any(r is not None and r >= restrict for r in rows) or rows[3] is None and not v.can_compose(qn[3]):
            continue
        if any(r is None and not v.can_compose(w) for w, r in zip(qn[:3], rows[:3])):
            continue
        answered += 1
        composed += any(r is None for r in rows)
        a, b, c = (np.asarray(v[w], np.float64) / np.linalg.norm(v[w]) for w in qn[:3])
        scores = unit @ (b - a + c)
        scores[[r for r in rows[:3] if r is not None]] = -np.inf
        correct += rows[3] is not None and int(np.argmax(scores)) == rows[3]
    return answered, correct, composed


@pytest.mark.filterwarnings("ignore:.*analogies")
@pytest.mark.slow
def test_analogy_oov_compose_matches_brute_force(tmp_path):
    from embedkit.eval import evaluate_analogy
    from embedkit.vectors import Vectors

    words = ["king", "queen", "man", "woman", "kings", "queens", "men", "women", "prince", "boy", "girl", "rare"]
    questions = [("king", "queen", "man", "woman"), ("king", "kings", "queen", "queens"),
                 ("man", "men", "woman", "womenfolk"),      # unseen answer: answered, wrong
                 ("king", "kingdoms", "man", "men"),        # unseen b: composed
                 ("boys", "boy", "girls", "girl"),          # two unseen query words
                 ("King", "Queen", "Man", "Woman"), ("man", "rare", "boy", "girl"),  # rare: beyond restrict
                 ("prince", "princes", "king", "kings")]
    path = tmp_path / "q.txt"
    path.write_text(": one\n" + "\n".join(" ".join(q) for q in questions) + "\n")
    restrict, right = 11, 0
    for seed in range(20):
        v = SubwordVectors(words, np.random.default_rng(seed).standard_normal((len(words) + 200, 8)), minn=3,
                           maxn=4, bucket=200)
        skip, = evaluate_analogy(v, str(path), restrict=restrict, methods=("add",), bootstrap=0)
        comp, = evaluate_analogy(v, str(path), restrict=restrict, methods=("add",), bootstrap=0, oov="compose")
        ref = _analogy_reference(v, questions, restrict)
        assert (comp.total.answered, comp.total.correct, comp.total.composed) == ref
        assert ref[0] == 7 and ref[2] == 4  # the rare-word question is still skipped
        assert skip.total.answered == 3 and skip.total.composed == 0
        right += ref[1]
        plain = Vectors(words, v.matrix)  # word vectors compose nothing: compose == skip
        p, = evaluate_analogy(plain, str(path), restrict=restrict, methods=("add",), bootstrap=0, oov="compose")
        assert (p.total.answered, p.total.correct, p.total.composed) == (3, skip.total.correct, 0)
    assert right > 0  # the comparison covered right answers too


@pytest.mark.slow  # every analogy question, composed
def test_eval_oov_compose_answers_analogies(run, cli_model):
    import json

    skip = json.loads(run("eval", str(cli_model / "m.bin"), "--json").stdout)["analogy"][0]
    comp = json.loads(run("eval", str(cli_model / "m.bin"), "--json", "--oov",
                                          "compose").stdout)["analogy"][0]
    assert skip["composed"] == 0 and comp["composed"] > 0
    assert comp["coverage"] > skip["coverage"]
    assert sum(s["answered"] for s in comp["sections"]) - sum(s["answered"] for s in skip["sections"]) \
        == comp["composed"]
    table = run("eval", str(cli_model / "m.bin"), "--oov", "compose", "--bootstrap", "0").stdout
    assert table.count("composed") >= 2  # the similarity table's column and the analogy table's


@pytest.mark.parametrize("model,alpha", [("skipgram", 50.0), ("cbow", 500.0)])
@pytest.mark.slow
def test_divergence_is_an_error_naming_the_epoch(sample_head, model, alpha):
    from embedkit.errors import TrainingDivergedError

    with pytest.raises(TrainingDivergedError, match=rf"diverged in epoch 1 \(loss .*\): lower alpha \({alpha:g}\)"):
        ft.train_fasttext(sample_head(200), model=model, dim=16, epochs=2, threads=1, alpha=alpha,
                          bucket=5000)


@pytest.mark.slow
def test_no_pairs_is_an_error(write_corpus):
    p = write_corpus("ab cd\n" * 100)  # every word frequent: at sample 1e-9 nothing is kept
    with pytest.raises(EmbedkitError, match="no training pairs: every sentence lost its words to subsampling"):
        ft.train_fasttext(p, dim=2, min_count=1, sample=1e-9, epochs=1, bucket=100)
    assert np.isfinite(ft.train_fasttext(p, dim=2, min_count=1, sample=0.0, epochs=1, bucket=100).losses).all()


@pytest.mark.slow
def test_cli_divergence_is_one_line_and_writes_nothing(assert_one_line_error, run, write_corpus, tmp_path):
    text = " ".join(f"w{i % 40}" for i in range(4000))
    out, model = tmp_path / "v.txt", tmp_path / "m.bin"
    r = run("train", "fasttext", str(write_corpus(text)), "-o", str(out), "--save-model",
                                 str(model), "--min-count", "1", "--dim", "8", "--alpha", "50", "--sample", "0",
                                 "--bucket", "1000")
    assert_one_line_error(r, "training diverged in epoch 1 (loss nan): lower --alpha (50)")
    assert list(tmp_path.iterdir()) == [tmp_path / "c.txt"]


@pytest.mark.parametrize("shuffle", sgd.SHUFFLES)
def test_run_epochs_rate_follows_the_training_order(shuffle):
    offsets = np.array([0, 3, 10, 12, 20, 21, 30], np.int64)  # 6 sentences, one chunk each
    chunks = np.arange(7, dtype=np.int64)
    seen = []

    def train(ks, alphas, rows):
        seen.append([(int(k), float(a)) for k, a in zip(ks, alphas)])
        return 1.0, 1, int(sum(offsets[k + 1] - offsets[k] for k in ks))

    losses, _ = sgd.run_epochs(train, offsets, chunks, epochs=2, alpha=0.1, min_alpha=0.0, threads=1, desc="t",
                               progress=False, ids=np.zeros(1, np.int32), syn0=np.zeros(2), ceiling=10.0,
                               sample=0.0, streams=(np.zeros(6, np.uint64),), shuffle=shuffle, seed=7)
    assert len(losses) == 2
    trained = [x for call in seen for x in call]
    epochs = [[k for k, _ in trained[:6]], [k for k, _ in trained[6:]]]
    assert all(sorted(e) == list(range(6)) for e in epochs)  # every chunk once per epoch
    if shuffle == "none":
        assert epochs == [list(range(6))] * 2
    elif shuffle == "once":
        assert epochs[0] != list(range(6)) and epochs[0] == epochs[1]  # one order, kept
    else:
        assert epochs[0] != list(range(6)) and epochs[0] != epochs[1]  # a new order every epoch
    # the rate falls linearly with the tokens trained before each chunk, in training order
    done, expect = 0, []
    for k, _ in trained:
        expect.append(0.1 * (1 - done / (2 * 30)))
        done += offsets[k + 1] - offsets[k]
    np.testing.assert_allclose([a for _, a in trained], expect)


@pytest.mark.parametrize("shuffle", sgd.SHUFFLES)
def test_run_epochs_carries_each_chunks_rng_state_between_calls(shuffle):
    """The packed states go to the call's rows and come back: each chunk's state after 3 epochs
    is what a stream of its own would give, whatever the order and the calls' cuts."""
    n = 150  # chunks: calls of 64 (8 per thread, 2% of 150 + 1 < 8)
    offsets = np.arange(n + 1, dtype=np.int64) * 2
    chunks = np.arange(n + 1, dtype=np.int64)
    stream = np.arange(1, n + 1, dtype=np.uint64)

    def train(ks, alphas, rows):
        assert rows.shape == (len(ks), 8) and rows.flags.c_contiguous
        assert (rows[:, 0] % np.uint64(1000) == (ks + 1) % 1000).all()  # each row holds its chunk's state
        rows[:, 0] += np.uint64(1000)
        return 1.0, 1, 2 * len(ks)

    sgd.run_epochs(train, offsets, chunks, epochs=3, alpha=0.1, min_alpha=0.0, threads=8, desc="t", progress=False,
                   ids=np.zeros(1, np.int32), syn0=np.zeros(2), ceiling=10.0, sample=0.0, streams=(stream,),
                   shuffle=shuffle, seed=3)
    np.testing.assert_array_equal(stream, np.arange(1, n + 1) + 3000)


def test_run_epochs_keeps_a_few_bytes_per_chunk():
    """The epoch loop's own memory for a corpus of many chunks (fastText's are ~1,000 tokens: a
    million at a billion tokens): the shuffled order, 4 bytes a chunk, not sizes, a float64 rate
    and several int64 temporaries per chunk, nor a cache line of RNG state."""
    import tracemalloc

    n = 400_000
    offsets = np.arange(n + 1, dtype=np.int64) * 3
    chunks = np.arange(n + 1, dtype=np.int64)
    stream = np.ones(n, np.uint64)

    def train(ks, alphas, rows):
        return 1.0, 1, 3 * len(ks)

    tracemalloc.start()
    try:
        sgd.run_epochs(train, offsets, chunks, epochs=2, alpha=0.1, min_alpha=0.0, threads=1, desc="t",
                       progress=False, ids=np.zeros(1, np.int32), syn0=np.zeros(2), ceiling=10.0, sample=0.0,
                       streams=(stream,), shuffle="epoch", seed=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 6 * n, peak / n  # bytes per chunk: 4 (the order) and the calls' small arrays


def test_cut_sentences_caps_pieces_at_fasttexts_line_size():
    offsets = np.array([0, 0, 5, 3000, 4024, 4025], np.int64)
    cut = sgd.cut_sentences(offsets, ft.MAX_LINE)
    assert cut[0] == 0 and cut[-1] == offsets[-1] and np.diff(cut).max() <= ft.MAX_LINE
    assert set(offsets.tolist()) <= set(cut.tolist())  # sentence ends stay ends
    assert cut.tolist() == [0, 0, 5, 1029, 2053, 3000, 4024, 4025]
    short = np.array([0, 3, 1027, 1030], np.int64)  # nothing to cut: the same array back
    assert sgd.cut_sentences(short, ft.MAX_LINE) is short


@pytest.mark.slow
def test_shuffle_bool_is_the_old_spelling(sample_head):
    corpus = sample_head(60)
    kw = dict(dim=8, epochs=1, threads=1, bucket=1000)
    with pytest.warns(FutureWarning, match="use shuffle='none'"):
        old = ft.train_fasttext(corpus, shuffle=False, **kw)
    np.testing.assert_array_equal(old.vectors.matrix, ft.train_fasttext(corpus, shuffle="none", **kw).vectors.matrix)
    with pytest.raises(EmbedkitError, match="shuffle must be one of none, once, epoch"):
        ft.train_fasttext(corpus, shuffle="always", **kw)


@pytest.mark.parametrize("args,code,line", [
    (["--no-shuffle"], 0, "Warning: --no-shuffle is deprecated: use --shuffle none"),
    (["--no-shuffle", "--shuffle", "once"], 2, "Error: --no-shuffle contradicts --shuffle once"),
])
@pytest.mark.slow
def test_cli_old_no_shuffle_flag_warns(run, write_corpus, tmp_path, args, code, line):
    text = " ".join(f"w{i % 40}" for i in range(2000))
    r = run("train", "fasttext", str(write_corpus(text)), "-o", str(tmp_path / "v.txt"),
            "--min-count", "1", "--dim", "4", "--epochs", "1", "--bucket", "100", *args)
    assert r.exit_code == code, r.output
    assert r.stderr.splitlines()[0] == line


@pytest.mark.parametrize("module", [ft, w2v])
@pytest.mark.slow
def test_compile_stage_compiles_what_training_runs(sample_head, monkeypatch, capsys, module):
    """The labelled compile stage calls the kernel with the argument types of training, so that
    training never compiles (on a cold cache that time would count in words/s)."""
    kernel, seen = module._train_chunks, []

    def record(*args):
        seen.append(tuple(numba.typeof(a) for a in args))
        return kernel(*args)

    monkeypatch.setattr(module, "_train_chunks", record)
    monkeypatch.setattr(module, "precompile", lambda *calls: None)  # it takes dispatchers; the kernel is wrapped
    train = ft.train_fasttext if module is ft else w2v.train_word2vec
    extra = dict(bucket=1000) if module is ft else {}
    r = train(sample_head(300), dim=8, epochs=1, threads=1, progress=True, **extra)
    assert len(seen) >= 2 and len(set(seen)) == 1  # the warm-up's types are training's
    assert "compiling kernels" in capsys.readouterr().err and list(r.timings)[:1] != ["train"]
