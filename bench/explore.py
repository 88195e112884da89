"""Benchmark: the explorer page (issue 15 budgets): page size, build time (PCA and t-SNE, 20k and
100k words), and in headless Chromium the time until the page is interactive, one neighbour
query, one analogy and one frame.

Usage::

    python bench/explore.py VECTORS [--words 20000] [--synthetic 100000] [--dim 100] [--threads 1]
                            [--sklearn-tsne 2000] [--skip-tsne]

VECTORS is a real vectors file (its ``--words`` most frequent words are the 20k cases). The 100k
cases use ``--synthetic`` random vectors (a mixture of 500 Gaussians, ``--dim`` dimensions)
because a 17M-token corpus at min-count 5 has fewer than 100k words. References measured in the
same run: the TensorBoard projector's files for the same words (``export --projector``: the only
other way embedkit hands vectors to a browser) for the page size, and scikit-learn's Barnes-Hut
TSNE on ``--sklearn-tsne`` words against openTSNE on the same words for the t-SNE speed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from embedkit import explore  # noqa: E402
from embedkit.export import write_projector  # noqa: E402
from embedkit.vectors import Vectors  # noqa: E402


def synthetic(n, dim, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((500, dim))
    m = centers[rng.integers(0, 500, n)] + 0.7 * rng.standard_normal((n, dim))
    return Vectors([f"w{i:06d}" for i in range(n)], m.astype(np.float32))


def build(v, name, layout, folder, threads):
    t = time.perf_counter()
    page = explore.build_page(v, n_words=len(v), layout=layout, clusters=12, threads=threads)
    seconds = time.perf_counter() - t
    path = os.path.join(folder, f"{name}-{layout}.html")
    explore.write_page(page, path)
    return path, seconds, os.path.getsize(path)


def projector_bytes(v, folder):
    out = os.path.join(folder, "projector")
    write_projector(v, np.arange(len(v)), out)
    return sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))


def browser(paths, word_of):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    os.environ.setdefault("SE_OFFLINE", "true")
    profile = tempfile.mkdtemp(prefix="embedkit-bench-chromium-")
    o = webdriver.ChromeOptions()
    o.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,800", f"--user-data-dir={profile}"]:
        o.add_argument(flag)
    d = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=o)
    rows = {}
    try:
        for name, path in paths.items():
            d.get("about:blank")
            t = time.perf_counter()
            d.get("file://" + os.path.abspath(path))
            WebDriverWait(d, 120).until(lambda d: d.execute_script("return document.documentElement.dataset.ready === '1'"))
            wall = time.perf_counter() - t
            ready = d.execute_script("return embedkitExplorer.readyMs")
            w = word_of(name)
            timed = "const t = performance.now(); {}; return performance.now() - t;"
            first = d.execute_script(timed.format(f"embedkitExplorer.neighbours({w!r}, 10)"))
            more = [d.execute_script(timed.format(f"embedkitExplorer.neighbours({w!r}, 10)")) for _ in range(7)]
            analogy = statistics.median(d.execute_script(timed.format(f"embedkitExplorer.analogy({w!r}, {w!r}, {w!r}, 10)"))
                                        for _ in range(5))
            frame_all = statistics.median(d.execute_script("return embedkitExplorer.drawMs()") for _ in range(5))
            d.execute_script("embedkitExplorer.zoom(16)")
            frame_zoom = statistics.median(d.execute_script("return embedkitExplorer.drawMs()") for _ in range(5))
            heap = d.execute_script("return performance.memory ? performance.memory.usedJSHeapSize / 1e6 : null")
            rows[name] = dict(wall=wall, ready=ready, first=first, median=statistics.median(more), analogy=analogy,
                              frame_all=frame_all, frame_zoom=frame_zoom, heap=heap)
    finally:
        d.quit()
        shutil.rmtree(profile, ignore_errors=True)
    return rows


def tsne_reference(v, n, threads):
    from openTSNE import TSNE as OpenTSNE
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    x = np.asarray(v.unit[:n], dtype=np.float32)
    with threadpool_limits(limits=threads):
        t = time.perf_counter()
        OpenTSNE(n_components=2, perplexity=30, metric="cosine", n_jobs=threads, random_state=0).fit(x)
        ours = time.perf_counter() - t
        t = time.perf_counter()
        TSNE(n_components=2, perplexity=30, metric="cosine", init="pca", learning_rate="auto", max_iter=750,
             random_state=0, n_jobs=threads).fit_transform(x)
        return ours, time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("vectors")
    ap.add_argument("--words", type=int, default=20000)
    ap.add_argument("--synthetic", type=int, default=100000)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--sklearn-tsne", type=int, default=2000, help="words for the scikit-learn t-SNE reference (0: skip)")
    ap.add_argument("--skip-tsne", action="store_true", help="PCA pages only")
    a = ap.parse_args()
    warnings.simplefilter("ignore")
    folder = tempfile.mkdtemp(prefix="embedkit-bench-explore-")
    print(f"load: {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f}; threads {a.threads}")
    real = Vectors.load(a.vectors, limit=a.words)
    synth = synthetic(a.synthetic, a.dim)
    sets = {f"real {len(real) // 1000}k x {real.dim}": real, f"synthetic {a.synthetic // 1000}k x {a.dim}": synth}
    # warm up: imports, scikit-learn and openTSNE on a tiny input
    explore.build_page(synthetic(300, 8), layout="pca")
    if not a.skip_tsne:
        explore.build_page(synthetic(300, 8), layout="tsne", threads=a.threads)
    results, pages = [], {}
    for name, v in sets.items():
        for layout in ["pca"] + ([] if a.skip_tsne else ["tsne"]):
            path, seconds, size = build(v, name.split()[0] + str(len(v)), layout, folder, a.threads)
            pages[f"{name} {layout}"] = path
            results.append((name, layout, seconds, size))
            print(f"built {name} {layout}: {seconds:.1f} s, {size / 1e6:.2f} MB", flush=True)
    proj = {name: projector_bytes(v, os.path.join(folder, name.split()[0])) for name, v in sets.items()}
    ref = tsne_reference(real, a.sklearn_tsne, a.threads) if a.sklearn_tsne and not a.skip_tsne else None
    word = {n: ("france" if "real" in n and "france" in real else (real.words[500] if "real" in n else "w000500"))
            for n in pages}
    shown = {n: p for n, p in pages.items() if n.endswith("pca")}
    timing = browser(shown, word.get)

    print("\n| page | layout | build (s) | page size (MB) | projector TSVs (MB) | page / projector |")
    print("|---|---|---:|---:|---:|---:|")
    for name, layout, seconds, size in results:
        print(f"| {name} | {layout} | {seconds:.1f} | {size / 1e6:.2f} | {proj[name] / 1e6:.2f} | {size / proj[name]:.2f} x |")
    print("\n| page (PCA) | load to interactive (ms, in page) | wall to ready (s) | neighbours: first query (ms) "
          "| neighbours: median of 7 (ms) | analogy (ms) | frame, all points (ms) | frame, zoomed 16x (ms) | JS heap (MB) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in timing.items():
        heap = f"{r['heap']:.0f}" if r["heap"] else "n/a"
        print(f"| {name} | {r['ready']:.0f} | {r['wall']:.2f} | {r['first']:.1f} | {r['median']:.1f} | {r['analogy']:.1f} "
              f"| {r['frame_all']:.1f} | {r['frame_zoom']:.1f} | {heap} |")
    if ref:
        ours, theirs = ref
        print(f"\nt-SNE on the {a.sklearn_tsne:,} most frequent real words, {a.threads} threads: openTSNE (FFT) {ours:.1f} s, "
              f"scikit-learn Barnes-Hut {theirs:.1f} s: {theirs / ours:.2f} x faster")
    print(f"load after: {os.getloadavg()[0]:.1f}")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
