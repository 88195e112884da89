import struct

import numpy as np
import pytest

from embedkit.errors import EmbedkitError
from embedkit.export import METHODS, axis_titles, place_labels, plot, project, write_projector, write_tsv
from embedkit.vectors import Vectors


@pytest.fixture(scope="module")
def vecs():
    rng = np.random.default_rng(0)
    centers = rng.standard_normal((3, 16))
    m = np.repeat(centers, 20, axis=0) + 0.1 * rng.standard_normal((60, 16))
    return Vectors([f"w{i}" for i in range(60)], m.astype(np.float32))


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("method,k", [("pca", 2), ("pca", 3), ("tsne", 2),
                                      pytest.param("tsne", 3, marks=pytest.mark.slow)])  # t-SNE is the slow one
def test_project_every_method_and_size(vecs, method, k):
    assert {"pca", "tsne"} == set(METHODS)
    p = project(vecs, method, k, n_words=40, perplexity=10, max_iter=250)
    assert p.words == vecs.words[:40] and p.coords.shape == (40, k) and np.isfinite(p.coords).all()
    assert p.method == method and (p.explained_variance is None) == (method == "tsne")


def test_pca_is_sklearn_pca_of_unit_rows(vecs):
    from sklearn.decomposition import PCA

    p = project(vecs, "pca", 2, n_words=60)
    ref = PCA(2, random_state=0).fit_transform(vecs.unit.astype(np.float64))
    np.testing.assert_allclose(np.abs(p.coords), np.abs(ref), atol=1e-6)
    # the three clusters stay apart
    assert np.linalg.norm(p.coords[:20].mean(0) - p.coords[20:40].mean(0)) > 0.5


def test_word_selection_warnings_and_errors(vecs):
    with pytest.warns(UserWarning, match="vocabulary holds 60; using all"):
        assert len(project(vecs, "pca", 2, n_words=100).words) == 60
    with pytest.warns(UserWarning, match="skipped 1 words"):
        assert project(vecs, "pca", 2, words=["w5", "nope", "w7", "w9"]).words == ["w5", "w7", "w9"]
    for kw, msg in [(dict(words=["a", "b"]), "none of the 2 words"), (dict(n_words=0), "n_words must be >= 1"),
                    (dict(method="tsne", n_words=10), "perplexity must be below"),
                    (dict(method="umap"), "method must be one of"), (dict(n_components=4), "n_components"),
                    (dict(perplexity=0.0, method="tsne"), "perplexity must be > 0"),
                    (dict(max_iter=10), "max_iter must be >= 250")]:
        with pytest.raises(EmbedkitError, match=msg):
            project(vecs, **{"method": "pca", **kw})


@pytest.mark.slow
def test_plot_is_a_png_of_the_requested_size(vecs, tmp_path):
    for k, size in ((2, (640, 480)), (3, (300, 200))):
        out = tmp_path / f"p{k}.png"
        plot(project(vecs, "pca", k, n_words=30), out, size=size)
        assert png_size(out) == size
    import matplotlib.image

    assert matplotlib.image.imread(tmp_path / "p2.png").shape[:2] == (480, 640)


def test_tsv_and_projector_files(vecs, tmp_path):
    p = project(vecs, "pca", 3, n_words=25)
    write_tsv(p, tmp_path / "c.tsv")
    rows = (tmp_path / "c.tsv").read_text().splitlines()
    assert rows[0] == "word\tx\ty\tz" and len(rows) == 26 and rows[1].split("\t")[0] == "w0"
    write_projector(vecs, range(25), tmp_path / "proj")
    v = (tmp_path / "proj" / "vectors.tsv").read_text().splitlines()
    meta = (tmp_path / "proj" / "metadata.tsv").read_text().splitlines()
    assert len(v) == len(meta) == 25 and meta[:2] == ["w0", "w1"]
    np.testing.assert_allclose([float(x) for x in v[3].split("\t")], vecs.matrix[3], rtol=1e-5)


@pytest.mark.slow
def test_export_command_writes_everything(run, vecs, tmp_path):
    src = tmp_path / "v.txt"
    vecs.save(src)
    out, png, proj = tmp_path / "o.tsv", tmp_path / "o.png", tmp_path / "proj"
    r = run("export", src, "--tsne", "2", "--words", "30", "--perplexity", "5", "--max-iter", "250", "-o", out, "--plot", png,
            "--plot-size", "400x300", "--projector", proj)
    assert r.exit_code == 0, r.output
    assert len(out.read_text().splitlines()) == 31 and png_size(png) == (400, 300)
    assert len((proj / "vectors.tsv").read_text().splitlines()) == 30
    words = tmp_path / "words.txt"
    words.write_text("w3\nw4 12\nw5\n")
    assert r.stderr.strip().splitlines() == [  # every file written is named, as every command does
        f"wrote 30 words x 2 t-SNE coordinates to {out}", f"wrote the plot to {png}",
        f"wrote {proj / 'vectors.tsv'} and {proj / 'metadata.tsv'} for the Embedding Projector"]
    words = tmp_path / "words.txt"
    words.write_text("w3\nw4 12\nw5\n")
    r = run("export", src, "--pca", "2", "--words-from", words)  # explore's name for the same idea
    assert r.exit_code == 0 and [ln.split("\t")[0] for ln in r.stdout.splitlines()] == ["word", "w3", "w4", "w5"]
    assert r.stderr == ""  # the TSV went to stdout (not a terminal): nothing to say
    r2 = run("export", src, "--pca", "2", "--words-file", words)  # the old name: a hidden alias that warns
    assert r2.exit_code == 0 and r2.stdout == r.stdout
    assert r2.stderr.strip() == "Warning: --words-file is renamed --words-from; --words-file will keep working"
    assert "--words-file" not in run("export", "--help").stdout
    r = run("export", src, "--pca", "2", "--words", "500", "-o", out)
    assert r.exit_code == 0 and r.stderr.strip().splitlines() == [
        "Warning: asked for 500 words but the vocabulary holds 60; using all",
        f"wrote 60 words x 2 PCA coordinates to {out}"]
    assert len(out.read_text().splitlines()) == 61


def test_export_pca_3_on_trained_vectors(run, sample_vectors, tmp_path):
    v, path = sample_vectors
    out, png, proj = tmp_path / "o.tsv", tmp_path / "o.png", tmp_path / "proj"
    r = run("export", path, "--pca", "3", "--words", "60", "-o", out, "--plot", png, "--plot-size", "320x240",
            "--projector", proj)
    assert r.exit_code == 0, r.output
    rows = out.read_text().splitlines()
    assert rows[0].split("\t") == ["word", "x", "y", "z"] and [ln.split("\t")[0] for ln in rows[1:]] == v.words[:60]
    assert png_size(png) == (320, 240)
    vec_lines = (proj / "vectors.tsv").read_text().splitlines()
    assert len(vec_lines) == 60 and all(len(ln.split("\t")) == 20 for ln in vec_lines)
    assert (proj / "metadata.tsv").read_text().splitlines() == v.words[:60]


@pytest.mark.parametrize("args", [
    ["--pca", "0"], ["--pca", "4"], ["--tsne", "1"], ["--words", "0"], [], ["--pca", "2", "--tsne", "2"],
    ["--tsne", "2", "--words", "20", "--perplexity", "50"], ["--tsne", "2", "--perplexity", "-1"],
    ["--pca", "2", "--plot-size", "big"], ["--pca", "2", "--plot-size", "10x10"], ["--tsne", "4"],
    ["--pca", "2", "--words-from", "{missing}"], ["--pca", "2", "--words-from", "{nowords}"],
    ["--pca", "2", "--words-from", "{empty}"],
])
def test_export_bad_input(assert_one_line_error, run, vecs, tmp_path, args):
    src = tmp_path / "v.txt"
    vecs.save(src)
    (tmp_path / "nowords.txt").write_text("zebra\n")
    (tmp_path / "empty.txt").write_text("")
    names = {"missing": tmp_path / "missing.txt", "nowords": tmp_path / "nowords.txt", "empty": tmp_path / "empty.txt"}
    out, png = tmp_path / "o.tsv", tmp_path / "o.png"
    r = run("export", src, *[a.format(**names) for a in args], "-o", out, "--plot", png)
    assert_one_line_error(r, absent=[out, png])


@pytest.mark.parametrize("method", ["--tsne", "--pca"])
def test_vectors_all_one_direction_are_one_line_not_a_crash(assert_one_line_error, run, tmp_path, method):
    """Every word the same vector (or zero): scikit-learn's t-SNE killed the process (SIGSEGV) on it,
    and PCA wrote zeros; both are one error line, and so is the HTML map's."""
    from embedkit.vectors import Vectors

    src = tmp_path / "v.txt"
    Vectors([f"w{i}" for i in range(20)], np.full((20, 8), 0.1, np.float32)).save(src)
    out = tmp_path / "o.tsv"
    r = run("export", src, method, "2", "--words", "20", "--perplexity", "2", "--max-iter", "250", "-o", out)
    assert_one_line_error(r, "have one and the same direction", absent=out)
    r = run("explore", src, "-o", tmp_path / "p.html")
    assert_one_line_error(r, "have one and the same direction", absent=tmp_path / "p.html")


def test_export_missing_vectors_and_missing_matplotlib(assert_one_line_error, run, vecs, tmp_path, monkeypatch):
    out = tmp_path / "o.tsv"
    r = run("export", tmp_path / "nope.txt", "--pca", "2", "-o", out)
    assert_one_line_error(r, code=1, absent=out)
    src = tmp_path / "v.txt"
    vecs.save(src)
    monkeypatch.setitem(__import__("sys").modules, "matplotlib", None)
    r = run("export", src, "--pca", "2", "-o", out, "--plot", tmp_path / "p.png")
    assert_one_line_error(r, "pip install 'embedkit-toolkit[plot]'", "pip install '.[plot]'", code=1, absent=out)


def test_place_labels_never_overlap_and_stay_inside():
    rng = np.random.default_rng(0)
    pts = rng.uniform(0, 400, (500, 2))
    pts[:200] = 200 + rng.normal(0, 4, (200, 2))  # a crowded centre, as PCA of frequent words has
    sizes = [(float(rng.integers(10, 60)), 9.0) for _ in range(500)]
    placed = place_labels(pts, sizes, (0, 0, 400, 400))
    boxes = np.array([(pts[i][0] + dx, pts[i][1] + dy, sizes[i][0], sizes[i][1]) for i, dx, dy in placed])
    x, y, w, h = boxes.T
    assert (x >= 0).all() and (y >= 0).all() and (x + w <= 400).all() and (y + h <= 400).all()
    overlap = ((x[:, None] < x[None] + w[None]) & (x[None] < x[:, None] + w[:, None])
               & (y[:, None] < y[None] + h[None]) & (y[None] < y[:, None] + h[:, None]))
    np.fill_diagonal(overlap, False)
    assert not overlap.any()
    labelled = [i for i, _, _ in placed]
    assert labelled[0] == 0 and labelled == sorted(labelled)  # most frequent first
    assert sum(i < 200 for i in labelled) < 60 and len(labelled) > 150  # the crowd is thinned, the rest labelled
    for i, dx, dy in placed:  # each label touches its point's side, never covers the point
        bx, by, bw, bh = pts[i][0] + dx, pts[i][1] + dy, sizes[i][0], sizes[i][1]
        assert not (bx < pts[i][0] < bx + bw and by < pts[i][1] < by + bh)
        assert min(abs(bx - pts[i][0]), abs(bx + bw - pts[i][0]), abs(by - pts[i][1]), abs(by + bh - pts[i][1])) <= 2.5


@pytest.mark.slow
def test_axis_titles_name_components_and_variance(vecs):
    p = project(vecs, "pca", 3, n_words=60)
    titles = axis_titles(p)
    assert titles == [f"PC{i + 1} ({r:.1%} of variance)" for i, r in enumerate(p.explained_variance)]
    assert float(titles[0].split("(")[1].split("%")[0]) > float(titles[1].split("(")[1].split("%")[0])
    assert axis_titles(project(vecs, "tsne", 2, n_words=40, perplexity=10, max_iter=250)) == ["t-SNE 1", "t-SNE 2"]
