"""The compile helper: a cold kernel is compiled into Numba's cache by a child process."""

import os
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from embedkit._compile import is_cached, precompile, readonly, signature


@pytest.fixture
def kernel_module(tmp_path, monkeypatch):
    """A fresh module with one cached kernel (its cache in tmp_path/__pycache__)."""
    (tmp_path / "ek_tiny_kernel.py").write_text(textwrap.dedent("""
        import numba

        @numba.njit(cache=True)
        def scaled_sum(a, x):
            return a.sum() * x
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("ek_tiny_kernel", None)
    import ek_tiny_kernel
    yield ek_tiny_kernel
    sys.modules.pop("ek_tiny_kernel", None)


@pytest.mark.slow
def test_child_warms_the_cache(kernel_module, tmp_path):
    f = kernel_module.scaled_sum
    args = (np.ones(3), 2.0)
    assert not is_cached(f, signature(f, args))
    assert precompile((f, args)) == 1  # compiled in the child ...
    assert f.overloads == {}  # ... not here
    cache = Path(os.environ["NUMBA_CACHE_DIR"]) if os.environ.get("NUMBA_CACHE_DIR") else tmp_path / "__pycache__"
    assert list(cache.rglob("ek_tiny_kernel.scaled_sum-*.nbc"))
    assert is_cached(f, signature(f, args))
    assert precompile((f, args)) == 0  # warm: no child
    assert f(*args) == 6.0
    assert sum(f.stats.cache_hits.values()) == 1 and sum(f.stats.cache_misses.values()) == 0
    # another type is another signature: cold again
    assert not is_cached(f, signature(f, (np.ones(3, np.float32), 2.0)))


def test_readonly_gives_one_type():
    a = np.arange(4)
    r = readonly(a)
    assert not r.flags.writeable and a.flags.writeable and np.shares_memory(a, r)
    assert readonly(r) is r


@pytest.mark.slow
def test_scan_kernels_compile_in_a_child_on_a_cold_cache(tmp_path):
    """A first scan on an empty cache compiles nothing in the scanning process (the child does it),
    and a second process finds every scan kernel cached."""
    import subprocess

    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat\nthe dog sat\n" * 50)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"), "NUMBA_DEBUG_CACHE": "1",
           "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    env.pop("EMBEDKIT_COMPILE_CHILD", None)
    code = ("import sys; from embedkit.vocab import scan_corpus; from embedkit._compile import precompile_scan; "
            "v, e = scan_corpus(sys.argv[1], min_count=1, threads=1); print('words', len(v)); "
            "print('child again', precompile_scan(1))")
    out = subprocess.run([sys.executable, "-c", code, str(corpus)], env=env, capture_output=True, text=True,
                         timeout=900)
    assert out.returncode == 0, out.stderr
    saved = [ln for ln in (out.stdout + out.stderr).splitlines() if "data saved" in ln]
    assert saved == []  # nothing compiled in the scanning process
    assert "words 6" in out.stdout and "child again False" in out.stdout
    cached = {p.name.split("-")[0] for p in (tmp_path / "cache").rglob("*.nbc")}
    assert {"vocab._tokenize", "vocab._rehash", "vocab._remap_ids", "formats._gather_words"} <= cached


@pytest.mark.parametrize("threads,tokenize,lowercase", [(1, "whitespace", False), (2, "whitespace", False),
                                                        (2, "words", True), (1, "whitespace", True)])
def test_scan_precompile_names_the_kernels_a_scan_runs(threads, tokenize, lowercase):
    """The kernels that precompile_scan checks are the ones a scan of its generated corpus calls
    (a renamed or added kernel would otherwise compile in the training process again), and once
    they are compiled it starts no child."""
    from embedkit._compile import _scan_kernels, _scan_sample, precompile_scan

    _scan_sample(threads, tokenize, lowercase, False)
    missing = [k.py_func.__name__ for k in _scan_kernels(threads, tokenize, lowercase) if not k.overloads]
    assert missing == []
    assert precompile_scan(threads, tokenize=tokenize, lowercase=lowercase) is False


def _cached_signatures(dispatcher):
    """The signatures of ``dispatcher`` in Numba's on-disk cache (None: no cache to read)."""
    cache_file = getattr(getattr(dispatcher, "_cache", None), "_cache_file", None)
    if cache_file is None:
        return None
    try:
        return list(cache_file._load_index())
    except Exception:  # Numba internals other than the ones known here
        return None


@pytest.mark.parametrize("trainer", ["word2vec", "fasttext"])
def test_the_chunk_kernel_compiles_once(trainer):
    """The parallel driver passes its ``prange`` index to the per-chunk kernel as int64. Inside the
    parallel region Numba types the index uint64, outside int64, so without the cast the kernel
    (the bulk of the code) compiled twice, once for each (bench/RESULTS.md, "A first run compiled the
    training kernel twice": a first skip-gram run 55.5 s instead of 34.9 s)."""
    import importlib

    mod = importlib.import_module(f"embedkit.{trainer}")
    train = mod.train_word2vec if trainer == "word2vec" else mod.train_fasttext
    train("data/sample.txt.xz", min_count=50, dim=8, epochs=1, threads=2, seed=1, progress=False)
    for kernel in (mod._train_chunk, mod._train_chunks):
        sigs = _cached_signatures(kernel)
        if sigs is None:
            pytest.skip("Numba's cache cannot be read here")
        assert len(sigs) == 1, (kernel.py_func.__name__, sigs)
        assert len(kernel.overloads) <= 1
