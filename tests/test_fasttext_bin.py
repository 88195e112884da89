"""fastText .bin models: read the fastText tool's files, write files fastText and gensim read."""

import lzma
import struct

import numpy as np
import pytest

from embedkit.errors import EmbedkitError
from embedkit.fasttext_bin import is_fasttext_bin, load_fasttext_model, read_fasttext_bin, save_fasttext_model

fasttext = pytest.importorskip("fasttext")

OOV = ["unfriendliness", "accomodation", "naïveté", "東京大学", "😀", "kingdomz"]


pytestmark = pytest.mark.slow  # every test here trains or runs the fastText tool


@pytest.fixture(scope="module")
def small_text(tmp_path_factory, sample_path):
    """The first 30 lines (about 100k tokens) of the sample corpus, plus lines of non-ASCII words."""
    p = tmp_path_factory.mktemp("ft") / "small.txt"
    with lzma.open(sample_path, "rt", encoding="utf-8") as f:
        lines = [next(f) for _ in range(30)]
    p.write_text("".join(lines) + "naïve café 東京 naïve café 東京\n" * 3, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def ft_model(small_text, tmp_path_factory):
    """A skip-gram model trained by the fastText tool itself, saved as .bin."""
    m = fasttext.train_unsupervised(str(small_text), model="skipgram", dim=10, epoch=1, minCount=3, minn=3, maxn=5,
                                    bucket=20000, thread=1, verbose=0)
    path = tmp_path_factory.mktemp("ftbin") / "ft.bin"
    m.save_model(str(path))
    return m, path


def test_reads_fasttext_tool_model_with_its_vectors(ft_model):
    m, path = ft_model
    assert is_fasttext_bin(path)
    model = load_fasttext_model(path)
    v = model.vectors
    assert v.words == m.words and (v.minn, v.maxn, v.bucket, v.dim) == (3, 5, 20000, 10)
    assert model.args["model"] == "skipgram" and model.output.shape == (len(m.words), 10)
    np.testing.assert_allclose(v.matrix, np.array([m.get_word_vector(w) for w in m.words]), rtol=1e-5, atol=1e-7)
    for w in OOV:
        assert w not in v
        np.testing.assert_allclose(v[w], m.get_word_vector(w), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(model.output, m.get_output_matrix(), rtol=0, atol=0)
    assert read_fasttext_bin(path, limit=50).words == m.words[:50]
    np.testing.assert_allclose(read_fasttext_bin(path, limit=50)["unfriendliness"], m.get_word_vector("unfriendliness"),
                               rtol=1e-5, atol=1e-7)


def test_write_is_byte_identical_and_opens_in_fasttext_and_gensim(ft_model, tmp_path):
    m, path = ft_model
    model = load_fasttext_model(path)
    out = tmp_path / "again.bin"
    save_fasttext_model(out, model.vectors, model.output, window=5, epochs=1, min_count=3, negative=5,
                        n_tokens=model.n_tokens)
    assert out.read_bytes() == path.read_bytes()
    m2 = fasttext.load_model(str(out))
    for w in m.words[:20] + OOV:
        np.testing.assert_allclose(m2.get_word_vector(w), model.vectors[w], rtol=1e-5, atol=1e-7)
    gensim_ft = pytest.importorskip("gensim.models.fasttext")
    g = gensim_ft.load_facebook_model(str(out))
    for w in m.words[:20] + OOV:
        np.testing.assert_allclose(g.wv[w], model.vectors[w], rtol=1e-4, atol=1e-6)


def _err(path):
    with pytest.raises(EmbedkitError) as e:
        read_fasttext_bin(path)
    msg = str(e.value)
    assert "\n" not in msg
    return msg


def test_truncated_and_corrupt_files(ft_model, tmp_path):
    _, path = ft_model
    data = path.read_bytes()
    bad = tmp_path / "bad.bin"
    for cut in [6, 40, 80, 200, len(data) // 2, len(data) - 5]:
        bad.write_bytes(data[:cut])
        assert "truncated" in _err(bad), cut
    bad.write_bytes(data + b"xx")
    assert "corrupt" in _err(bad)
    bad.write_bytes(b"\0" * 4 + data[4:])
    assert "not a fastText model" in _err(bad)
    bad.write_bytes(data[:4] + struct.pack("<i", 11) + data[8:])
    assert "version 11" in _err(bad)


def test_quantized_and_supervised_are_refused(ft_model, tmp_path):
    _, path = ft_model
    data = bytearray(path.read_bytes())
    model = load_fasttext_model(path)
    inp_bytes = 4 * model.vectors.input_matrix.size
    # the "quantized input" flag sits just before the input matrix's 16-byte shape
    flag = len(data) - (1 + 16 + 4 * model.output.size) - inp_bytes - 16 - 1
    assert data[flag] == 0
    data[flag] = 1
    q = tmp_path / "q.bin"
    q.write_bytes(bytes(data))
    assert "quantized" in _err(q)
    sup = tmp_path / "sup.txt"
    sup.write_text("__label__a good fine nice\n__label__b bad awful poor\n" * 20)
    s = fasttext.train_supervised(str(sup), epoch=1, dim=4, wordNgrams=2, bucket=1000, verbose=0)
    s.save_model(str(tmp_path / "sup.bin"))
    assert "supervised fastText models are not supported" in _err(tmp_path / "sup.bin")
    s.quantize(input=str(sup), retrain=False, cutoff=0, dsub=1)
    s.save_model(str(tmp_path / "sup.ftz"))
    assert "quantized supervised fastText models (.ftz) are not supported" in _err(tmp_path / "sup.ftz")
