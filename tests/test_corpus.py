import bz2
import gzip
import io
import lzma
import sys
import warnings

import pytest

from embedkit.corpus import iter_pieces, iter_sentences
from embedkit.errors import EmbedkitError

TEXT = "the cat sat\non the mat\n\n  a  dog\tbarked  \n"
EXPECTED = [["the", "cat", "sat"], ["on", "the", "mat"], ["a", "dog", "barked"]]


@pytest.mark.parametrize("opener,name", [(None, "c.txt"), (gzip.compress, "c.txt.gz"),
                                         (bz2.compress, "c.txt.bz2"), (lzma.compress, "c.txt.xz"),
                                         (gzip.compress, "no_extension")])
def test_formats_detected_by_content(write_corpus, opener, name):
    data = TEXT.encode()
    p = write_corpus(opener(data) if opener else data, name)
    assert list(iter_sentences(p)) == EXPECTED


def test_folder_is_read_sorted_and_recursively(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("three four")  # no trailing newline: files never run together
    (tmp_path / "1.txt").write_text("one two")
    (tmp_path / ".hidden").write_text("never")
    assert list(iter_sentences(tmp_path)) == [["one", "two"], ["three", "four"]]


def test_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(TEXT.encode())))
    assert list(iter_sentences("-")) == EXPECTED


def test_lowercase(write_corpus):
    p = write_corpus("The CAT\n")
    assert list(iter_sentences(p, lowercase=True)) == [["the", "cat"]]
    assert list(iter_sentences(p)) == [["The", "CAT"]]


def test_chunk_boundaries_never_split_tokens(write_corpus):
    words = [f"w{i % 97}" for i in range(5000)]
    p = write_corpus(" ".join(words) + "\n")
    pieces = list(iter_pieces(p, chunk_bytes=7))
    assert b"".join(pieces).decode().split() == words
    assert all(piece[-1:].isspace() for piece in pieces)


def test_long_line_is_cut_into_sentences(write_corpus):
    p = write_corpus(" ".join(str(i) for i in range(25)))  # text8 shape: no newline at all
    sents = list(iter_sentences(p, max_sentence_length=10))
    assert [len(s) for s in sents] == [10, 10, 5]
    assert sum(sents, []) == [str(i) for i in range(25)]


def test_invalid_utf8_is_replaced_with_one_warning(write_corpus):
    p = write_corpus(b"good \xff\xfe bad\nmore \xc3\n")
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        sents = list(iter_sentences(p))
    assert len(w) == 1 and "3 bytes" in str(w[0].message)
    assert sents == [["good", "\ufffd\ufffd", "bad"], ["more", "\ufffd"]]


def test_utf8_split_across_chunks_is_not_an_error(write_corpus):
    p = write_corpus("é" * 1000 + " ü\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert list(iter_sentences(p)) == [["é" * 1000, "ü"]]
        assert b"".join(iter_pieces(p, chunk_bytes=3)).decode().split() == ["é" * 1000, "ü"]


def test_missing_file_and_empty_folder(tmp_path):
    with pytest.raises(EmbedkitError, match="not found"):
        list(iter_sentences(tmp_path / "nope.txt"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(EmbedkitError, match="no files"):
        list(iter_sentences(tmp_path / "empty"))


def test_corrupt_compressed_file(write_corpus):
    p = write_corpus(gzip.compress(b"hello world\n" * 100)[:30], "c.gz")
    with pytest.raises(EmbedkitError, match="corrupt"):
        list(iter_sentences(p))


def test_binary_file_without_whitespace(write_corpus):
    p = write_corpus(bytes(range(33, 127)) * 20000)
    with pytest.raises(EmbedkitError, match="single token"):
        list(iter_pieces(p, chunk_bytes=1000))


# ---------------------------------------------------------------- pipes and input that is not text
def test_fifo_reads_like_stdin(tmp_path):
    import gzip as gz
    import os
    import threading

    for data in (TEXT.encode(), gz.compress(TEXT.encode())):
        fifo = tmp_path / "pipe"
        os.mkfifo(fifo)
        writer = threading.Thread(target=fifo.write_bytes, args=(data,))
        writer.start()
        try:
            assert list(iter_sentences(fifo)) == EXPECTED
        finally:
            writer.join()
            fifo.unlink()


def test_compressed_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(gzip.compress(TEXT.encode()))))
    assert list(iter_sentences("-")) == EXPECTED


@pytest.mark.parametrize("data,match", [
    (b"text at first\n" + bytes(range(256)) * 10, "NUL bytes"),
    ("words in utf-16".encode("utf-16"), "NUL bytes"),
    (bytes(range(128, 256)) * 40 + b" a b c\n", r"not valid UTF-8"),
])
def test_binary_corpus_stops_with_a_clear_line(write_corpus, data, match):
    p = write_corpus(data)
    with pytest.raises(EmbedkitError, match=f"corpus {p} is not text: .*{match}"):
        list(iter_pieces(p, chunk_bytes=64))


def test_binary_after_the_first_megabyte_is_only_replaced(write_corpus):
    from embedkit.corpus import SNIFF_BYTES

    p = write_corpus(b"a b c\n" * (SNIFF_BYTES // 6 + 1) + bytes(range(128, 256)) * 100 + b"\n")
    with pytest.warns(UserWarning, match="12800 bytes were not valid UTF-8"):
        assert sum(len(s) for s in iter_sentences(p)) > 3 * (SNIFF_BYTES // 6)
