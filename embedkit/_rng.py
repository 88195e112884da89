"""Random numbers inside Numba kernels.

State is a ``uint64`` array owned by the caller and kept per *chunk*, not per thread, so a run
draws the same numbers at any thread count (see STYLE.md). ``seed_values`` makes it, packed;
kernels see ``state_rows``: an ``(n, 8)`` C-contiguous array whose column 0 holds a state (the
other seven pad the row to a cache line), one array type for one state or many.
"""

from __future__ import annotations

import numba
import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_MANT = 1.0 / 9007199254740992.0  # 2**-53


@numba.njit(cache=True, inline="always")
def mix64(x):
    """splitmix64 finaliser: a well-mixed uint64 from any uint64."""
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@numba.njit(cache=True, inline="always")
def hash_uniform(seed, counter):
    """A float64 in [0, 1) that depends only on (seed, counter): counter-based randomness."""
    return np.float64(mix64(np.uint64(seed) ^ mix64(np.uint64(counter))) >> np.uint64(11)) * _MANT


@numba.njit(cache=True, inline="always")
def next_u64(state, k):
    """Advance ``state[k, 0]`` (xorshift64*) and return a uint64."""
    x = state[k, 0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[k, 0] = x
    return x * np.uint64(0x2545F4914F6CDD1D)


@numba.njit(cache=True, inline="always")
def next_float(state, k):
    """A float64 in [0, 1) from ``state[k, 0]``."""
    return np.float64(next_u64(state, k) >> np.uint64(11)) * _MANT


@numba.njit(cache=True, inline="always")
def next_int(state, k, n):
    """An int64 in [0, n) from ``state[k, 0]`` (n >= 1)."""
    return np.int64(next_u64(state, k) % np.uint64(n))


_LINE = 8  # uint64 per 64-byte cache line


def seed_values(seed, n):
    """``n`` independent non-zero uint64 states derived from ``seed`` (deterministic), packed: 8
    bytes each. The epoch loop keeps a chunk's state in this form between calls and copies the
    states of the chunks it trains into :func:`state_rows` (``_sgd.run_epochs``), so a corpus's
    states take 8 bytes per chunk, not a cache line."""
    values = np.random.SeedSequence(int(seed)).generate_state(n, dtype=np.uint64)
    values[values == 0] = np.uint64(0x2545F4914F6CDD1D)
    return values


def state_rows(n):
    """``n`` zeroed states for the kernels: an ``(n, 8)`` uint64 array whose row k holds state k
    in ``[k, 0]``, alone in its 64-byte cache line. Chunks k and k + 1 usually run on two threads
    at once, and each draw writes the state, so packed states would bounce one cache line between
    the cores on every draw. The rows, not a strided view, keep the array C-contiguous for any
    ``n`` (one Numba type, so no kernel compiles twice)."""
    raw = np.zeros((n + 1) * _LINE, np.uint64)
    skip = (-raw.ctypes.data % 64) // 8  # first element on a line boundary
    return raw[skip:skip + n * _LINE].reshape(n, _LINE)


def seed_states(seed, n):
    """``n`` independent non-zero states derived from ``seed``, in :func:`state_rows` form."""
    states = state_rows(n)
    states[:, 0] = seed_values(seed, n)
    return states
