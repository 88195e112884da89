"""File formats: the suffix rule for writing, compression read back by content, and files that
hold no vectors named for what they look like (library and CLI)."""

import os

import numpy as np
import pytest

from embedkit import formats
from embedkit.errors import EmbedkitError
from embedkit.formats import FORMATS, detect_format, format_for_path, output_paths
from embedkit.vectors import Vectors


@pytest.fixture
def vecs():
    rng = np.random.default_rng(3)
    words = ["the", "king", "queen", "man", "woman", "café"]
    return Vectors(words, rng.standard_normal((len(words), 5)).astype(np.float32), np.arange(6, 0, -1))


@pytest.mark.parametrize("name,fmt,comp", [
    ("v.bin", "word2vec-binary", None),
    ("v.npy", "npy", None),
    ("v.txt", "word2vec", None),
    ("v.vec", "word2vec", None),
    ("v.TXT", "word2vec", None),
    ("v.out", "word2vec", None),
    ("v", "word2vec", None),
    ("v.txt.gz", "word2vec", "gzip"),
    ("v.vec.bz2", "word2vec", "bz2"),
    ("v.xz", "word2vec", "xz"),
    ("v.bin.gz", "word2vec-binary", "gzip"),
])
def test_suffix_means_format(name, fmt, comp):
    assert format_for_path(name) == (fmt, comp)


@pytest.mark.parametrize("name,fmt", [
    ("v.bin", "word2vec"), ("v.bin", "npy"), ("v.npy", "word2vec"), ("v.txt", "npy"),
    ("v.txt", "word2vec-binary"), ("v.vec.gz", "word2vec-binary"), ("v.npy.gz", None), ("v.gz", "npy"),
])
def test_suffix_contradicting_format_is_an_error(name, fmt):
    with pytest.raises(EmbedkitError, match="suffix|cannot be compressed"):
        format_for_path(name, fmt)


def test_text_suffix_allows_glove_and_other_suffixes_allow_anything():
    assert format_for_path("v.txt", "glove") == ("glove", None)
    for fmt in FORMATS:
        assert format_for_path("v.out", fmt) == (fmt, None)


@pytest.mark.parametrize("name", ["v.txt", "v.bin", "v.npy", "v.vec", "v.txt.gz", "v.txt.bz2", "v.txt.xz",
                                  "v.bin.gz", "v.gz", "v"])
def test_save_by_suffix_loads_back_by_content(vecs, tmp_path, name):
    path = tmp_path / name
    written = vecs.save(path)
    assert vecs.counts is not None and written == output_paths(path, counts=True)  # with PATH.vocab
    assert sorted(os.listdir(tmp_path)) == sorted(os.path.basename(p) for p in written)
    fmt, comp = format_for_path(name)
    if comp is not None:
        magic = {"gzip": b"\x1f\x8b", "bz2": b"BZh", "xz": b"\xfd7zXZ"}[comp]
        assert path.read_bytes().startswith(magic)
        assert formats.compression_of(str(path)) == comp
    if fmt == "word2vec-binary":
        assert detect_format(path) == "word2vec-binary"
    back = Vectors.load(path)  # the name the user gave, whatever was written
    assert back.words == vecs.words
    np.testing.assert_array_equal(back.matrix, vecs.matrix)
    np.testing.assert_array_equal(back.counts, vecs.counts)  # every format keeps the counts


def test_npy_pair_under_a_name_without_suffix(vecs, tmp_path):
    written = vecs.save(tmp_path / "v.out", format="npy")
    assert written == [str(tmp_path / "v.out.npy"), str(tmp_path / "v.out.vocab")]
    np.testing.assert_array_equal(Vectors.load(tmp_path / "v.out").counts, vecs.counts)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("comp", ["", ".gz", ".bz2", ".xz"])
def test_every_format_every_compression(vecs, tmp_path, fmt, comp):
    path = tmp_path / f"v.out{comp}"
    if fmt == "npy" and comp:
        with pytest.raises(EmbedkitError, match="cannot be compressed"):
            vecs.save(path, format=fmt)
        assert os.listdir(tmp_path) == []
        return
    vecs.save(path, format=fmt)
    for detect in (None, fmt):
        back = Vectors.load(path, format=detect, limit=4)
        assert back.words == vecs.words[:4]
        np.testing.assert_array_equal(back.matrix, vecs.matrix[:4])


# ---------------------------------------------------------------- files that hold no vectors
def _gensim_pickle(vecs, path):
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vecs.dim)
    kv.add_vectors(vecs.words, vecs.matrix)
    kv.save(str(path))


def _fasttext_bin(path):
    path.write_bytes((793712314).to_bytes(4, "little") + (12).to_bytes(4, "little") + bytes(range(256)) * 4)


@pytest.mark.parametrize("kind,make,msg", [
    ("vocab", lambda p: p.write_text("the 1061396\nof 593677\nand 416629\nkönig 12\n"), "vocabulary \\('word count'"),
    ("vocab with header-like line", lambda p: p.write_text("12 34\nthe 5\nof 4\n"), "vocabulary"),
    ("word list", lambda p: p.write_text("the\nof\nand\n"), "word list"),
    ("corpus", lambda p: p.write_text("the cat sat on the mat\nit was 3 years old\n"), "text corpus"),
    ("corpus.gz", lambda p: p.write_bytes(__import__("gzip").compress(b"a b c d e\nf g h\n")), "text corpus"),
    ("junk", lambda p: p.write_bytes(bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8))),
     "binary data"),
    ("fasttext", _fasttext_bin, "fastText model"),
])
def test_not_vectors_says_what_it_looks_like(assert_one_line_error, run, tmp_path, kind, make, msg):
    p = tmp_path / "file.txt"
    make(p)
    with pytest.raises(EmbedkitError, match=msg):
        Vectors.load(p)
    r = run("eval", p)
    assert_one_line_error(r)
    assert msg.split("\\")[0].split(" (")[0] in r.stderr


def test_gensim_pickle_is_named(assert_one_line_error, run, vecs, tmp_path):
    p = tmp_path / "model.kv"
    _gensim_pickle(vecs, p)
    with pytest.raises(EmbedkitError, match="Python pickle.*save_word2vec_format"):
        Vectors.load(p)
    r = run("similar", p, "king")
    assert_one_line_error(r)
    assert "pickle" in r.stderr


def test_npy_vocab_file_points_at_the_matrix(vecs, tmp_path):
    vecs.save(tmp_path / "v.npy")
    with pytest.raises(EmbedkitError, match="word list of the NumPy pair .*v.npy"):
        Vectors.load(tmp_path / "v.vocab")


def test_fasttext_reader_plugs_into_the_registry(vecs, tmp_path, monkeypatch):
    p = tmp_path / "model.bin"
    _fasttext_bin(p)
    assert detect_format(p) == "fasttext"
    monkeypatch.setitem(formats.READERS, "fasttext", lambda path, *, limit=None: vecs)
    assert Vectors.load(p) is vecs


# ---------------------------------------------------------------- the CLI follows the same rule
@pytest.mark.parametrize("name,fmt", [("o.bin", "word2vec-binary"), ("o.npy", "npy"), ("o.txt.gz", "word2vec"),
                                      ("o.vec", "word2vec")])
def test_convert_names_every_file_written(run, vecs, tmp_path, name, fmt):
    src = tmp_path / "src.txt"
    vecs.save(src)
    out = tmp_path / name
    r = run("convert", src, out)
    assert r.exit_code == 0, r.output
    written = output_paths(out, counts=True)  # src.txt.vocab holds the counts: convert keeps them
    assert r.stderr.strip() == f"wrote 6 x 5 vectors to {' and '.join(written)}"
    assert all(os.path.isfile(p) for p in written)
    assert formats.format_for_path(out)[0] == fmt
    back = Vectors.load(out)
    np.testing.assert_array_equal(back.matrix, vecs.matrix)
    np.testing.assert_array_equal(back.counts, vecs.counts)
    r = run("-q", "convert", src, tmp_path / "quiet.txt")
    assert r.exit_code == 0 and r.stderr == ""


@pytest.mark.parametrize("args", [
    ["convert", "{src}", "{out}.txt", "--to", "npy"],
    ["convert", "{src}", "{out}.bin", "--to", "word2vec"],
    ["convert", "{src}", "{out}.npy.gz"],
    ["train", "ppmi-svd", "{corpus}", "-o", "{out}.bin", "--format", "glove"],
    ["train", "ppmi-svd", "{corpus}", "--format", "npy", "-o", "{out}.txt"],
    ["train", "skipgram", "{corpus}", "-o", "{out}.txt", "--binary"],
])
def test_contradicting_suffix_is_one_line_and_writes_nothing(assert_one_line_error, run, vecs, tmp_path, args):
    src = tmp_path / "src.txt"
    vecs.save(src)
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the king and the queen\n" * 50)
    names = {"src": src, "out": tmp_path / "out", "corpus": corpus}
    r = run(*(a.format(**names) for a in args))
    assert_one_line_error(r)
    assert "suffix" in r.stderr or "compressed" in r.stderr
    assert sorted(os.listdir(tmp_path)) == ["corpus.txt", "src.txt", "src.txt.vocab"]


def test_vectors_from_a_pipe(vecs, tmp_path):
    """A FIFO (as bash's <(zcat v.txt.gz) gives) is read once, though detection and parsing each open it."""
    import gzip
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    data = gzip.compress(("6 5\n" + "".join(
        w + " " + " ".join("%.9g" % x for x in row) + "\n" for w, row in zip(vecs.words, vecs.matrix.tolist())
    )).encode())

    def feed():
        with open(fifo, "wb") as f:
            f.write(data)

    t = threading.Thread(target=feed)
    t.start()
    back = Vectors.load(fifo)
    t.join()
    assert back.words == vecs.words
    np.testing.assert_array_equal(back.matrix, vecs.matrix)
    assert os.listdir(tmp_path) == ["pipe"]


@pytest.mark.parametrize("fmt", ["word2vec", "glove"])
def test_text_written_in_blocks_reads_back_exactly(tmp_path, fmt):
    """Text is formatted a block of rows at a time: rows on both sides of every block boundary,
    and a last partial block, come back bit for bit and in order."""
    rng = np.random.default_rng(3)
    n = 1100  # two whole blocks of 512 rows and a part of a third
    v = Vectors([f"w{i}" for i in range(n)], rng.standard_normal((n, 7)).astype(np.float32))
    path = str(tmp_path / "v.txt")
    v.save(path, format=fmt)
    back = Vectors.load(path, format=fmt)
    assert back.words == v.words
    assert np.array_equal(back.matrix, v.matrix)


def test_a_link_keeps_pointing_at_the_written_file(vecs, tmp_path):
    """Writing through a symbolic link replaces its target atomically; the link stays a link,
    and the counts go beside the name given, where reading it looks for them."""
    target = tmp_path / "real" / "v.txt"
    target.parent.mkdir()
    target.write_text("old\n")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    vecs.save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    back = Vectors.load(link)
    assert back.words == vecs.words and np.allclose(back.matrix, vecs.matrix)
    assert back.counts.tolist() == vecs.counts.tolist()
    assert sorted(os.listdir(tmp_path)) == ["link.txt", "link.txt.vocab", "real"]
    assert os.listdir(target.parent) == ["v.txt"]  # no temp file left beside the target


def test_a_named_pipe_is_written_in_place(vecs, tmp_path):
    """A FIFO output is written as it comes (a reader takes the whole file), never replaced by a
    regular file, and gets no counts file beside it; the NumPy pair cannot go to one."""
    import threading

    fifo = tmp_path / "out.txt"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()), daemon=True)
    reader.start()
    written = formats.write(vecs, fifo)
    reader.join(10)
    assert written == [str(fifo)] and os.path.exists(fifo) and not os.path.isfile(fifo)
    assert got and got[0].decode().splitlines()[0] == "6 5" and len(got[0].decode().splitlines()) == 7
    assert os.listdir(tmp_path) == ["out.txt"]
    os.mkfifo(tmp_path / "v.npy")
    with pytest.raises(EmbedkitError, match="not a stream"):
        formats.write(vecs, tmp_path / "v.npy")
    assert output_paths("/dev/stdout", counts=True) == ["/dev/stdout"]


def test_a_pipe_that_holds_no_vectors_is_named_in_the_error(tmp_path):
    """The pipe is read through a temporary copy; the error names the pipe, not the copy."""
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    writer = threading.Thread(target=lambda: open(fifo, "wb").write(b"some plain words of text\n" * 50), daemon=True)
    writer.start()
    with pytest.raises(EmbedkitError) as e:
        Vectors.load(fifo)
    writer.join(10)
    assert str(fifo) in str(e.value) and "embedkit-vectors-" not in str(e.value)


def test_dash_writes_vectors_to_standard_output(run, vecs, tmp_path, monkeypatch):
    """``convert IN -`` writes to standard output (as ``export -o -`` does), not a file named ``-``."""
    src = tmp_path / "v.txt"
    vecs.save(src)
    monkeypatch.chdir(tmp_path)
    r = run("convert", src, "-")
    assert r.exit_code == 0, r.output
    assert not os.path.exists(tmp_path / "-")
    assert output_paths("-", counts=True) == [formats.STDOUT]


def test_truncated_npy_says_so(vecs, tmp_path):
    vecs.save(tmp_path / "v.npy")
    data = (tmp_path / "v.npy").read_bytes()
    (tmp_path / "v.npy").write_bytes(data[:len(data) - 7])
    with pytest.raises(EmbedkitError, match="shorter than its header says"):
        Vectors.load(tmp_path / "v.npy")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_device_is_named_in_the_error(vecs):
    with pytest.raises(EmbedkitError, match="^cannot write /dev/full: No space left on device$"):
        formats.write(vecs, "/dev/full")


def test_which_outputs_are_written_in_place(tmp_path):
    """Pipes, devices and the names of open files are written in place; any regular file path,
    /dev/shm's included, is written atomically."""
    from embedkit._util import is_stream

    os.mkfifo(tmp_path / "pipe")
    assert is_stream("/dev/stdout") and is_stream("/dev/fd/1") and is_stream("/proc/self/fd/1")
    assert is_stream(tmp_path / "pipe") and is_stream("/dev/null")
    assert not is_stream("/dev/shm/embedkit-vectors.txt") and not is_stream(tmp_path / "v.txt")
    assert not is_stream(tmp_path)
