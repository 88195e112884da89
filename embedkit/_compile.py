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


def is_cached(dispatcher, sig=None):
    """Whether the kernel is compiled for ``sig`` (None: for any signature) in this process or in
    Numba's on-disk cache (True also when this cannot be told, or the kernel is not cached:
    nothing for a child to do)."""
    overloads = getattr(dispatcher, "overloads", None)
    if overloads is None or sig in overloads or (sig is None and overloads):  # not a Numba kernel: nothing to do
        return True
    cache = getattr(dispatcher, "_cache", None)
    cache_file = getattr(cache, "_cache_file", None)
    if cache_file is None or not getattr(cache, "_enabled", True):
        return True
    try:
        index = cache_file._load_index()
        return bool(index) if sig is None else cache._index_key(sig, dispatcher.targetctx.codegen()) in index
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
    return len(missing) if _run_child([], pickle.dumps(missing), timeout) else 0


def _scan_kernels(threads, tokenize, lowercase=False):
    from . import corpus, formats, vocab

    kernels = [vocab._tokenize, vocab._rehash, formats._gather_words]
    if corpus.reader_threads(threads, tokenize=tokenize, lowercase=lowercase)[1] > 1:
        kernels += [vocab._lookup_part, vocab._settle_part]
    kernels.append(vocab._remap_part if threads > 1 else vocab._remap_ids)
    if tokenize != "whitespace":
        kernels.append(corpus._split_words)
    if lowercase and tokenize != "text8":
        kernels.append(corpus._lower_utf8)
    return kernels


def precompile_scan(threads, *, tokenize="whitespace", lowercase=False, keep_punctuation=False, timeout=1800):
    """Compile the corpus scan's kernels in a child process when the cache has none of them.

    The scan's kernels take the scanner's own arrays (no user types), so one signature each: the
    child scans a small generated corpus with the same options (:func:`_scan_sample`), which
    compiles them into Numba's cache, and the scan that follows loads them, as a trainer's kernels
    are loaded after :func:`precompile`. Without it, a first run compiled them in the training
    process and kept LLVM's memory (skip-gram on wiki17m: 266 MB peak RSS cold, 204 MB warm).
    Returns True when the child compiled them."""
    if os.environ.get(_CHILD_ENV):
        return False
    if all(is_cached(k) for k in _scan_kernels(threads, tokenize, lowercase)):
        return False
    opts = dict(threads=int(threads), tokenize=tokenize, lowercase=bool(lowercase),
                keep_punctuation=bool(keep_punctuation))
    return _run_child(["--scan", repr(opts)], b"", timeout)


def _run_child(args, data, timeout):
    env = {**os.environ, _CHILD_ENV: "1",
           "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    try:
        done = subprocess.run([sys.executable, "-m", "embedkit._compile", *args], input=data, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def _scan_sample(threads, tokenize, lowercase, keep_punctuation):
    """Child: scan a generated corpus that takes every path of the scan (two pieces, the second
    split among threads; a table that grows; the id file remapped)."""
    import tempfile

    from .corpus import CHUNK_BYTES
    from .vocab import scan_corpus

    rng = np.random.default_rng(0)
    letters = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", np.uint8)
    n = 50_000  # distinct words: more than the table's first 32,768 ids
    spelled = letters[np.array(np.unravel_index(np.arange(n), (26,) * 4)).T]
    words = [row.tobytes() for row in spelled]
    lines, size = [], 0
    while size < CHUNK_BYTES * 3 // 2:
        line = b" ".join(words[k] for k in rng.integers(0, n, 20)) + b" \xc3\x89t\xc3\xa9, (x).\n"
        lines.append(line)
        size += len(line)
    with tempfile.TemporaryDirectory(prefix="embedkit-compile-") as d:
        path = os.path.join(d, "sample.txt")
        with open(path, "wb") as f:
            f.writelines(lines)
        scan_corpus(path, min_count=1, threads=threads, tokenize=tokenize, lowercase=lowercase,
                    keep_punctuation=keep_punctuation)


def _main():
    """Child: compile each (module, name, signature) read from stdin into Numba's cache; with
    ``--scan OPTIONS``, the scan's kernels by :func:`_scan_sample`."""
    if sys.argv[1:2] == ["--scan"]:
        import ast

        _scan_sample(**ast.literal_eval(sys.argv[2]))
        return
    for module, name, sig in pickle.loads(sys.stdin.buffer.read()):
        obj = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
        obj.compile(sig)


if __name__ == "__main__":
    _main()
