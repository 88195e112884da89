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
