"""Numba kernels compiled out of the way: in a child process, before a trainer calls them.

Compiling a kernel makes this process grow by LLVM's working memory (its IR, optimisation passes
and object code: 100-300 MB for the trainers' kernels), and that growth stays in the training
run's peak RSS. Loading the same kernel from Numba's on-disk cache costs a fraction of it.
:func:`precompile` looks up the exact argument types a kernel is about to be called with in the
cache; for those that are missing it runs ``python -m embedkit._compile`` (this module), which
compiles them into the cache and exits. The call that follows loads the cached code, so a
trainer's peak RSS is the same on a cold and a warm cache.

Only types are sent to the child (pickled Numba signatures), never data. When the child cannot
run or fails, nothing is lost: the kernel compiles in this process, as it would without the
helper.
"""

from __future__ import annotations

import importlib
import os
import pickle
import subprocess
import sys

import numpy as np

#: set in the child, so that a kernel compiled there never starts another child
_CHILD_ENV = "EMBEDKIT_COMPILE_CHILD"


def readonly(a):
    """A read-only view of array ``a``: kernels given arrays that are sometimes memory-mapped files
    (read-only) and sometimes in memory get one type, so they compile once, not twice."""
    if not a.flags.writeable:
        return a
    v = a.view(np.ndarray)
    v.flags.writeable = False
    return v


def signature(dispatcher, args):
    """The Numba signature ``dispatcher`` would compile for a call with ``args``."""
    return tuple(dispatcher.typeof_pyval(a) for a in args)


def is_cached(dispatcher, sig):
    """Whether the kernel is compiled for ``sig`` in this process or in Numba's on-disk cache (True
    also when this cannot be told, or the kernel is not cached: nothing for a child to do)."""
    if sig in dispatcher.overloads:
        return True
    cache = getattr(dispatcher, "_cache", None)
    cache_file = getattr(cache, "_cache_file", None)
    if cache_file is None or not getattr(cache, "_enabled", True):
        return True
    try:
        key = cache._index_key(sig, dispatcher.targetctx.codegen())
        return key in cache_file._load_index()
    except Exception:  # Numba internals that differ from the ones known here: compile in this process
        return True


def precompile(*calls, timeout=1800):
    """Compile in a child process every ``(dispatcher, args)`` call whose signature is not cached yet.

    Returns the number of signatures the child compiled (0 on a warm cache, or when the child
    could not do it; the kernels then compile in this process at their first call).
    """
    if os.environ.get(_CHILD_ENV):
        return 0
    missing = []
    for dispatcher, args in calls:
        sig = signature(dispatcher, args)
        if not is_cached(dispatcher, sig):
            missing.append((dispatcher.py_func.__module__, dispatcher.py_func.__qualname__, sig))
    if not missing:
        return 0
    env = {**os.environ, _CHILD_ENV: "1",
           "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    try:
        done = subprocess.run([sys.executable, "-m", "embedkit._compile"], input=pickle.dumps(missing), env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return 0
    return len(missing) if done.returncode == 0 else 0


def _main():
    """Child: compile each (module, name, signature) read from stdin into Numba's cache."""
    for module, name, sig in pickle.loads(sys.stdin.buffer.read()):
        obj = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
        obj.compile(sig)


if __name__ == "__main__":
    _main()
