import base64
import json
import re
import warnings

import numpy as np
import pytest

from embedkit import explore
from embedkit.errors import EmbedkitError
from embedkit.explore import (LAYOUTS, build_page, default_pairs, layout_2d, page_size_estimate, quantize_rows,
                              select_rows, write_page)
from embedkit.vectors import Vectors


@pytest.fixture(scope="module")
def vecs():
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((6, 24))
    m = np.repeat(centers, 50, axis=0) + 0.3 * rng.standard_normal((300, 24))
    words = ["france", "paris", "germany", "berlin", "greece", "athens"] + [f"w{i}" for i in range(294)]
    return Vectors(words, m.astype(np.float32))


def blobs(page):
    """meta, int8 codes, uint16 coords and uint8 clusters read back from a page."""
    def script(name):
        return re.search(rf'<script type="[^"]+" id="ek-{name}">(.*?)</script>', page, re.S).group(1)

    meta = json.loads(script("meta"))
    codes = np.frombuffer(base64.b64decode(script("vectors")), dtype=np.int8).reshape(len(meta["words"]), meta["dim"])
    coords = np.frombuffer(base64.b64decode(script("coords")), dtype="<u2").reshape(-1, 2)
    clusters = np.frombuffer(base64.b64decode(script("clusters")), dtype=np.uint8)
    return meta, codes, coords, clusters


def test_quantized_cosines_match_float_cosines():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((200, 100)).astype(np.float32)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    q = quantize_rows(unit)
    assert q.dtype == np.int8 and (np.abs(q).max(axis=1) == 127).all()
    qf = q.astype(np.float64)
    qn = qf / np.linalg.norm(qf, axis=1, keepdims=True)
    err = np.abs(qn @ qn.T - unit.astype(np.float64) @ unit.T.astype(np.float64)).max()
    assert err < 6e-3  # measured 4.2e-3 (the largest of 40,000 pairs) on this input
    assert (quantize_rows(np.zeros((2, 5))) == 0).all()  # a zero row stays zero, no NaN


def test_page_holds_the_words_codes_and_layout(vecs):
    page = build_page(vecs, n_words=120, clusters=4, title="t <b>&", seed=3)
    assert page.startswith("<!doctype html>") and page.count("</script>") == 5
    assert "<title>t &lt;b&gt;&amp;</title>" in page and "<b>" not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # nothing fetched from anywhere
    meta, codes, coords, clusters = blobs(page)
    assert meta["words"] == vecs.words[:120] and meta["dim"] == 24 and meta["layout"] == "pca"
    assert meta["frequent"] is True and meta["title"] == "t <b>&"
    np.testing.assert_array_equal(codes, quantize_rows(vecs.unit[:120]))
    assert coords.shape == (120, 2) and coords.min() == 0 and coords.max() == 65535
    assert clusters.shape == (120,) and set(clusters.tolist()) == {0, 1, 2, 3}
    assert meta["axes"][0].startswith("PC1 (") and "% of variance" in meta["axes"][1]
    # the country -> capital pairs of the Google set that are among the words, as the default pairs
    assert meta["pairs"] == [["greece", "athens"], ["germany", "berlin"], ["france", "paris"]]


def test_words_list_and_warnings(vecs):
    with pytest.warns(UserWarning, match=r"2 of 4 words are not in the vectors and are left out: nope, zzz"):
        rows = select_rows(vecs, words=["w3", "nope", "w1", "zzz", "w3", "w1"])
    assert rows.tolist() == [vecs.index("w3"), vecs.index("w1")]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(select_rows(vecs, n_words=10_000)) == 300  # the default is a cap, not a demand
    meta = blobs(build_page(vecs, words=["w5", "w9", "w7", "paris"], pairs=[("w5", "w9")]))[0]
    assert meta["words"] == ["w5", "w9", "w7", "paris"] and meta["frequent"] is False
    assert meta["pairs"] == [["w5", "w9"]]


@pytest.mark.parametrize("kw, msg", [
    (dict(words=[]), "the word list is empty"),
    (dict(words=["nope", "zzz"]), "none of the 2 words"),
    (dict(n_words=0), "n_words must be >= 1"),
    (dict(layout="umap"), "layout must be one of pca, tsne"),
    (dict(clusters=1), "clusters must be >= 2"),
    (dict(clusters=65), "clusters must be <= 64"),
    (dict(n_words=3, clusters=5), "clusters must be at most the number of words"),
    (dict(max_mb=0.045), r"over the 0.045 MB budget: show fewer words \(--words \d+ or less\)"),
    (dict(max_mb=0.01), r"script and style alone take about 0.04 MB, over the 0.01 MB budget: give --max-mb 0.05"),
    (dict(max_mb=0), "max_mb must be > 0"),
])
def test_bad_input_is_one_clear_error(vecs, kw, msg):
    with pytest.raises(EmbedkitError, match=msg):
        build_page(vecs, **kw)


def test_page_size_estimate_is_close(vecs):
    page = build_page(vecs, n_words=300)
    est = page_size_estimate(300, vecs.dim, np.mean([len(w) for w in vecs.words]))
    assert abs(est - len(page.encode())) < 0.25 * len(page.encode())


@pytest.mark.parametrize("layout, full", [("pca", None), ("tsne", None), ("tsne", 60)])
@pytest.mark.slow
def test_every_layout(vecs, layout, full, monkeypatch):
    assert layout in LAYOUTS
    if full:  # t-SNE on the first 60 words, the other 90 placed beside their nearest
        monkeypatch.setattr(explore, "TSNE_FULL", full)
    order = np.random.default_rng(2).permutation(150)  # every cluster among the first 60 rows
    coords, axes = layout_2d(vecs.unit[order], layout, seed=0, threads=1)
    assert ("the others beside their 10 nearest" in axes[0]) == bool(full)
    assert coords.shape == (150, 2) and np.isfinite(coords).all() and len(axes) == 2
    # the six clusters of the fixture stay apart on both maps: each word's nearest point on the map
    # belongs to its own cluster for most words
    d = ((coords[:, None, :] - coords[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    same = (order // 50) == (order[d.argmin(1)] // 50)
    assert same.mean() > 0.9


def test_tsne_without_opentsne_says_how_to_install(vecs, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "openTSNE", None)
    with pytest.raises(EmbedkitError, match=r"pip install 'embedkit-toolkit\[tsne\]'.*pip install '\.\[tsne\]'"):
        build_page(vecs, n_words=50, layout="tsne")


def test_default_pairs_match_case_insensitively():
    assert default_pairs(["Paris", "paris", "France", "Japan", "tokyo"]) == [("France", "Paris"), ("Japan", "tokyo")]


def test_write_page_is_atomic(tmp_path):
    out = tmp_path / "p.html"
    write_page("<!doctype html>x", out)
    assert out.read_text() == "<!doctype html>x"
    with pytest.raises(EmbedkitError):
        write_page(b"bytes", out)
    assert [p.name for p in tmp_path.iterdir()] == ["p.html"]


# ---------------------------------------------------------------- CLI
@pytest.fixture
def vec_file(vecs, tmp_path):
    p = tmp_path / "v.txt"
    vecs.save(p)
    return p


def test_cli_writes_the_page(run, vec_file, tmp_path):
    out = tmp_path / "page.html"
    r = run("explore", vec_file, "-o", out, "--words", "200", "--clusters", "3", "--title", "mine")
    assert r.exit_code == 0, r.output
    meta = blobs(out.read_text())[0]
    assert len(meta["words"]) == 200 and meta["clusters"] == 3 and meta["title"] == "mine"
    words = tmp_path / "w.txt"
    words.write_text("w1\nmissing\nw2 123\n")
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("w1 w2\n\nlonely\n")
    r = run("explore", vec_file, "-o", out, "--words-from", words, "--pairs", pairs, "--map", "tsne")
    assert r.exit_code == 0, r.output
    assert r.stderr.splitlines()[:2] == [f"Warning: {pairs}: 1 line holds one word, not a pair; left out",
                                         "Warning: 1 of 3 words are not in the vectors and are left out: missing"]
    meta = blobs(out.read_text())[0]
    assert meta["words"] == ["w1", "w2"] and meta["pairs"] == [["w1", "w2"]] and meta["layout"] == "tsne"


@pytest.mark.parametrize("args, msg", [
    (["--words", "0"], "Invalid value for '--words'"),
    (["--words-from", "{empty}"], "the word list {empty} is empty"),
    (["--words-from", "{unknown}"], "none of the 2 words"),
    (["--max-mb", "0.045"], "show fewer words (--words"),
    (["--max-mb", "0.01"], "give --max-mb 0.05 or more"),
    (["--map", "umap"], "Invalid value for '--map'"),
    (["--clusters", "1"], "Invalid value for '--clusters'"),
    (["--words-from", "{missing}"], "cannot read"),
])
def test_cli_bad_input_one_line_no_page(assert_one_line_error, run, vec_file, tmp_path, args, msg):
    names = {"empty": tmp_path / "empty.txt", "unknown": tmp_path / "unknown.txt", "missing": tmp_path / "nope.txt"}
    names["empty"].write_text("\n\n")
    names["unknown"].write_text("abc\ndef\n")
    out = tmp_path / "page.html"
    r = run("explore", vec_file, "-o", out, *[a.format(**names) for a in args])
    assert_one_line_error(r, msg.format(**names), absent=out)
    assert not list(tmp_path.glob(".page.html*"))


def test_cli_missing_vectors(assert_one_line_error, run, tmp_path):
    r = run("explore", tmp_path / "none.txt", "-o", tmp_path / "p.html")
    assert_one_line_error(r, code=1, absent=tmp_path / "p.html")


def test_pairs_off_the_page_are_counted_in_a_warning(vecs):
    """The page draws an arrow only between two of its words: the pairs it cannot draw are counted."""
    words = vecs.words[:50]
    with pytest.warns(UserWarning, match="1 of the 2 pairs have a word that is not on the page"):
        build_page(vecs, n_words=50, pairs=[(words[0], words[1]), (words[0], "zzzz-not-a-word")])
