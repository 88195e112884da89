"""Faults of the machine, turned into one line each: a full disk, a kill signal, a memory limit.

* **Signals.** :func:`install_signal_handlers` makes SIGTERM and SIGHUP raise
  :class:`Interrupted` (a ``KeyboardInterrupt``), so they unwind and clean up exactly as
  Ctrl-C does; :func:`interrupted_stage` reads which stage was running from the traceback.
* **Temporary folders** are named ``embedkit-KIND-HOST-pPIDsSTART-XXXX``: the owning process
  (its id and start time, so a reused id is not mistaken for it). A run killed with SIGKILL
  cannot clean up; :func:`make_temp_dir` removes such folders of dead processes on this host
  before it makes a new one. :func:`temp_name` gives the same mark to the hidden temporary
  files written beside an output (swept by :func:`sweep_beside`).
* **Full disks.** :func:`no_space_error` makes the one line ``no space left on MOUNT (PATH)
  while writing X (about N MB more needed)`` from an ``ENOSPC``/``EDQUOT``/``EFBIG`` error.
* **Memory.** :func:`available_memory` is the lowest of the cgroup's headroom, the
  ``RLIMIT_AS`` headroom and ``MemAvailable``; :func:`check_memory` refuses work whose
  estimated need exceeds it, before the work allocates (``allow_over_memory`` turns it off:
  the CLI's ``--force``). In-memory co-occurrence counting checks before it counts, from an
  estimate of the non-zeros (``embedkit.cooc._count.estimate_nonzeros``, :func:`count_need`),
  together with the fit a trainer declares by :func:`fit_after_counting`.
* **Fault injection (tests).** With ``EMBEDKIT_FAULT_AT=STAGE:SIGNAL`` in the environment,
  the CLI sends itself SIGNAL when the process enters STAGE (see :data:`STAGES`), so tests
  hit every stage deterministically, without timing.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import hashlib
import os
import re
import resource
import shutil
import signal
import sys
import tempfile
import threading

from .errors import EmbedkitError

# ---------------------------------------------------------------- stages
#: which function (module file, function name) starts which stage; the innermost one running names it
STAGES = {
    "scan": [("vocab.py", "_scan"), ("vocab.py", "remap_id_file")],
    "compile": [("_sgd.py", "compile_stage"), ("fasttext.py", "_compile"), ("glove.py", "compile_kernels"),
                ("ppmi_svd.py", "compile_kernels"), ("_count.py", "compile_kernels"),
                ("_store.py", "compile_kernels")],
    "count": [("_count.py", "count_matrix"), ("_store.py", "spill_runs"), ("glove.py", "cooc_entries")],
    "spill": [("_store.py", "write_run")],
    "merge": [("_store.py", "merge_runs")],
    "restrict": [("_store.py", "restrict_to")],
    "train": [("_sgd.py", "run_epochs"), ("glove.py", "fit_entries"), ("ppmi_svd.py", "ppmi_matrix"),
              ("ppmi_svd.py", "randomized_svd")],
    "write": [("formats.py", "_write_text"), ("formats.py", "_write_binary"), ("formats.py", "_write_npy"),
              ("fasttext_bin.py", "save_fasttext_model"), ("_store.py", "write_store")],
}
_STAGE_OF = {key: stage for stage, keys in STAGES.items() for key in keys}
#: how each stage is said in the interruption line
STAGE_WORDS = {"scan": "reading the corpus", "compile": "compiling", "count": "counting", "spill": "spilling",
               "merge": "merging", "restrict": "restricting the co-occurrences to the more frequent words",
               "train": "training", "write": "writing the output"}


def _frame_stage(code):
    return _STAGE_OF.get((os.path.basename(code.co_filename), code.co_name))


def interrupted_stage(exc):
    """The stage (a key of STAGES) the traceback of ``exc`` was in, innermost first; None if none."""
    stage = None
    tb = exc.__traceback__
    while tb is not None:
        stage = _frame_stage(tb.tb_frame.f_code) or stage
        tb = tb.tb_next
    return stage


# ---------------------------------------------------------------- signals
class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised in the main thread so that the run unwinds as for Ctrl-C."""

    def __init__(self, signum):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


_received = []


def _raise(signum, frame):
    if _received:  # a second signal while cleaning up: let the cleanup finish
        return
    _received.append(signum)
    raise Interrupted(signum)


def install_signal_handlers():
    """SIGTERM and SIGHUP unwind like Ctrl-C (main thread only; a no-op elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) in (signal.SIG_DFL, None):
            signal.signal(sig, _raise)


def exit_status(exc):
    """128 + the signal number: 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP."""
    return 128 + getattr(exc, "signum", signal.SIGINT)


def interruption_line(exc):
    """``Interrupted (SIGTERM) while training; nothing was written.``"""
    from ._util import WRITTEN

    name = signal.Signals(getattr(exc, "signum", signal.SIGINT)).name
    stage = interrupted_stage(exc)
    where = f" while {STAGE_WORDS[stage]}" if stage else ""
    if WRITTEN:  # interrupted after an output was in place: it is complete, and stays
        return (f"Interrupted ({name}){where}; {', '.join(WRITTEN)} had been written in full and stays; temporary "
                "files were removed.")
    return f"Interrupted ({name}){where}; no output was written and temporary files were removed."


# ---------------------------------------------------------------- fault injection (tests only)
FAULT_ENV = "EMBEDKIT_FAULT_AT"


def arm_fault_injection():
    """If ``EMBEDKIT_FAULT_AT=STAGE[:SIGNAL]`` is set, signal this process on entering STAGE (default SIGTERM).

    Meant for tests. Costs a profiling hook on every Python call, so only when asked.
    """
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    stage, _, sig = spec.partition(":")
    if stage not in STAGES:
        raise EmbedkitError(f"{FAULT_ENV}: unknown stage {stage!r}; known: {', '.join(STAGES)}")
    signum = getattr(signal, sig or "SIGTERM")
    keys = set(STAGES[stage])
    import importlib
    import pkgutil

    import embedkit

    files = {f for f, _ in keys}
    for info in pkgutil.walk_packages(embedkit.__path__, "embedkit."):  # load the stage's modules, then wrap
        if info.name.rsplit(".", 1)[-1] + ".py" in files:
            with contextlib.suppress(ImportError):
                importlib.import_module(info.name)
    fired = []
    wrapped = {}
    for mod in [m for n, m in list(sys.modules.items()) if n.startswith("embedkit") and m is not None]:
        for attr, value in list(vars(mod).items()):
            for holder, key, f in ([(mod, attr, value)] if not isinstance(value, dict) else
                                   [(value, k, v) for k, v in value.items()]):
                code = getattr(f, "__code__", None)
                if code is None or (os.path.basename(code.co_filename), code.co_name) not in keys:
                    continue
                if f not in wrapped:
                    wrapped[f] = _signalling(f, signum, fired)
                _ARMED.append((holder, key, f))
                if isinstance(holder, dict):
                    holder[key] = wrapped[f]
                else:
                    setattr(holder, key, wrapped[f])


_ARMED = []


def disarm_fault_injection():
    """Put back every function :func:`arm_fault_injection` wrapped (for tests that arm it in-process)."""
    while _ARMED:
        holder, key, f = _ARMED.pop()
        if isinstance(holder, dict):
            holder[key] = f
        else:
            setattr(holder, key, f)
    _received.clear()


def _signalling(f, signum, fired):
    """``f``, but the first call of any such wrapper sends ``signum`` to this process first. The
    wrapper's code carries ``f``'s name and file, so the traceback names ``f``'s stage."""
    import functools

    @functools.wraps(f)
    def call(*args, **kwargs):
        if not fired:
            fired.append(True)
            os.kill(os.getpid(), signum)
        return f(*args, **kwargs)

    call.__code__ = call.__code__.replace(co_name=f.__code__.co_name, co_filename=f.__code__.co_filename)
    return call


# ---------------------------------------------------------------- owned temporary files
def _proc_stat(pid):
    """The fields of ``/proc/PID/stat`` after the command name (state first), or None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    return data[data.rindex(b")") + 2:].split() if b")" in data else None


def _start_ticks(pid):
    """The start time of process ``pid`` (clock ticks since boot), None where /proc cannot say."""
    fields = _proc_stat(pid)
    try:
        return int(fields[19]) if fields else None
    except (ValueError, IndexError):
        return None


_HOST = hashlib.sha1(os.uname().nodename.encode() if hasattr(os, "uname") else b"").hexdigest()[:6]


def owner_mark():
    """``HOST-pPIDsSTART``: this process, in the names of the temporary things it makes."""
    return f"{_HOST}-p{os.getpid()}s{_start_ticks(os.getpid()) or 0}"


_MARK = re.compile(r"([0-9a-f]{6})-p(\d+)s(\d+)")


def _owner_gone(name):
    """True if ``name`` carries the mark of a process of this host that no longer runs."""
    m = _MARK.search(name)
    if m is None or m.group(1) != _HOST:
        return False
    pid, start = int(m.group(2)), int(m.group(3))
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, someone else's
    fields = _proc_stat(pid)
    if fields and fields[0] in (b"Z", b"X"):  # killed, not yet reaped by its parent: it runs no more
        return True
    now = _start_ticks(pid)
    return now is not None and start != 0 and now != start  # the id was reused by another process


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.unlink(path)


def sweep_stale(folder):
    """Remove ``embedkit-*`` temporary folders in ``folder`` left by dead processes of this host; return them."""
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        if name.startswith("embedkit-") and _owner_gone(name):
            _remove(os.path.join(folder, name))
            removed.append(name)
    return removed


def sweep_beside(path):
    """Remove hidden temporaries of ``path`` (``.NAME.MARK.*.tmp``) that dead processes left beside it."""
    folder, base = os.path.split(os.path.abspath(path))
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name.startswith("." + base + ".") and ".tmp" in name and _owner_gone(name):
            _remove(os.path.join(folder, name))


def temp_name(path):
    """The prefix of a hidden temporary beside ``path``: ``.NAME.MARK.`` (dead owners' ones get swept)."""
    return "." + os.path.basename(path) + "." + owner_mark() + "."


def make_temp_dir(kind, dir=None):
    """A new folder ``embedkit-KIND-MARK-XXXX`` in ``dir`` (default: ``TMPDIR`` or the system's), after
    removing folders there whose owner died. Raises EmbedkitError naming the folder on failure."""
    parent = tempfile.gettempdir() if dir is None else os.fspath(dir)
    sweep_stale(parent)
    try:
        return tempfile.mkdtemp(prefix=f"embedkit-{kind}-{owner_mark()}-", dir=parent)
    except OSError as e:
        if is_no_space(e):
            raise no_space_error(e, parent, f"a {kind} folder") from None
        raise EmbedkitError(f"cannot create a {kind} folder in {parent}: {e.strerror or e}") from None


# ---------------------------------------------------------------- full disks
NO_SPACE = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def is_no_space(e):
    """A write failed for lack of space: ENOSPC, EDQUOT, EFBIG, or NumPy's short write (``tofile``)."""
    if not isinstance(e, OSError):
        return False
    return e.errno in NO_SPACE or (e.errno is None and " requested and " in str(e) and "written" in str(e))


def mount_point(path):
    """The mount point holding ``path`` (or its nearest existing parent)."""
    p = os.path.abspath(os.fspath(path))
    while not os.path.exists(p) and os.path.dirname(p) != p:
        p = os.path.dirname(p)
    try:
        dev = os.stat(p).st_dev
        while os.path.dirname(p) != p and os.stat(os.path.dirname(p)).st_dev == dev:
            p = os.path.dirname(p)
    except OSError:
        pass
    return p


def _mb(n):
    if n >= 1e7:
        return f"{n / 1e6:,.0f}"
    return f"{max(n, 1e5) / 1e6:.1f}"


class NoSpaceError(EmbedkitError):
    """A write failed for lack of disk space (or a file size limit); the message says where and how much."""


def no_space_error(e, path, what, needed=None):
    """The one-line error for a full disk at ``path`` while writing ``what``.

    ``needed``: bytes still to write when it filled (an estimate is fine), or None.
    """
    path = os.fspath(path)
    mount = mount_point(path)
    if getattr(e, "errno", None) == errno.EFBIG:
        where = f"file size limit (ulimit -f) reached on {mount} ({path})"
    else:
        where = f"no space left on {mount} ({path})"
    more = f" (about {_mb(needed)} MB more needed)" if needed else ""
    return NoSpaceError(f"{where} while writing {what}{more}")


_expected = contextvars.ContextVar("embedkit_expected_bytes", default=None)


@contextlib.contextmanager
def expect_bytes(n):
    """Declare that the atomic writes inside the block will write about ``n`` bytes (for the
    'more needed' figure of a full disk)."""
    token = _expected.set(int(n))
    try:
        yield
    finally:
        _expected.reset(token)


def expected_bytes():
    return _expected.get()


# ---------------------------------------------------------------- memory
_force = contextvars.ContextVar("embedkit_force", default=False)


@contextlib.contextmanager
def allow_over_memory(flag=True):
    """Inside the block, :func:`check_memory` warns instead of refusing (the CLI's ``--force``)."""
    token = _force.set(bool(flag))
    try:
        yield
    finally:
        _force.reset(token)


def _read_int(path):
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _status_kb(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


def _cgroup_headroom():
    """(bytes, which) the memory cgroup of this process still allows, or None."""
    try:
        with open("/proc/self/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        rel = parts[2].lstrip("/")
        if parts[1] == "":  # cgroup v2
            base = os.path.join("/sys/fs/cgroup", rel)
            limit, used = _read_int(os.path.join(base, "memory.max")), _read_int(os.path.join(base, "memory.current"))
            if limit is None and rel:
                base = "/sys/fs/cgroup"
                limit, used = _read_int(os.path.join(base, "memory.max")), _read_int(os.path.join(base, "memory.current"))
        elif "memory" in parts[1].split(","):
            base = "/sys/fs/cgroup/memory"
            limit = _read_int(os.path.join(base, rel, "memory.limit_in_bytes")) or \
                _read_int(os.path.join(base, "memory.limit_in_bytes"))
            used = _read_int(os.path.join(base, rel, "memory.usage_in_bytes")) or \
                _read_int(os.path.join(base, "memory.usage_in_bytes"))
        else:
            continue
        if limit is not None and limit < 1 << 60:
            return max(0, limit - (used or 0)), "the cgroup memory limit"
    return None


def available_memory():
    """``(bytes, source)``: the most memory this process can still take, the lowest of the cgroup's
    headroom, the RLIMIT_AS headroom and MemAvailable; ``(None, None)`` where none is known."""
    found = []
    cg = _cgroup_headroom()
    if cg is not None:
        found.append(cg)
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY:
        found.append((max(0, soft - (_status_kb("VmSize") or 0)), "the address-space limit (ulimit -v)"))
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    found.append((int(line.split()[1]) * 1024, "the memory available (MemAvailable)"))
    except (OSError, ValueError):
        pass
    return min(found) if found else (None, None)


def resident_bytes():
    """This process's resident memory now (bytes), 0 where unknown."""
    return _status_kb("VmRSS") or 0


class MemoryLimitError(EmbedkitError):
    """The estimated memory need of a stage exceeds what is available."""


def _human(n):
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


#: the last estimate checked: (stage, bytes), named by a MemoryError that still happens
last_estimate = {}


def check_memory(need, *, what, lower, advice=None):
    """Refuse (MemoryLimitError) if ``need`` more bytes exceed :func:`available_memory`.

    ``what`` names the work (``"training fastText"``), ``lower`` the options that lower the
    need (``"--bucket, --dim or --max-vocab"``), or ``advice`` says what to do in words
    (``"count on disk with --memory SIZE"``). Inside :func:`allow_over_memory` it only
    records the estimate. Returns the estimate.
    """
    need = int(need)
    last_estimate.update(stage=what, bytes=need)
    if _force.get() or os.environ.get("EMBEDKIT_NO_MEMORY_CHECK"):
        return need
    avail, source = available_memory()
    if avail is not None and need > avail:
        raise MemoryLimitError(f"{what} needs about {_human(need)} more memory, but {source} leaves "
                               f"{_human(avail)}: {advice or 'lower ' + lower}, or give --force to try anyway")
    return need


def memory_error_line():
    """The line for a MemoryError that still happened: the stage and the estimate checked before it."""
    if last_estimate:
        return (f"out of memory while {last_estimate['stage']} (estimated need {_human(last_estimate['bytes'])}); "
                f"lower --dim, --max-vocab or --memory")
    return "out of memory (try a larger --min-count or --max-vocab)"


_fit_after = contextvars.ContextVar("embedkit_fit_after_counting", default=None)


@contextlib.contextmanager
def fit_after_counting(need, *, what, lower):
    """Declare that the co-occurrences counted in memory inside the block are then fitted.

    ``need(vocab_size, nnz)``: the fit's need in bytes beyond the counted matrix (held by
    then); ``what`` names the fit (``"training GloVe"``), ``lower`` the fit's options that
    lower it. In-memory counting then checks the larger of counting's and the fit's peak
    before it starts (from an estimate of the non-zeros), not only the fit's after it.
    """
    token = _fit_after.set((need, what, lower))
    try:
        yield
    finally:
        _fit_after.reset(token)


def planned_fit():
    """``(need, what, lower)`` of :func:`fit_after_counting`, or None."""
    return _fit_after.get()


# ---------------------------------------------------------------- per-trainer estimates (bytes beyond what is held now)
_SLACK = 48 << 20  # thread scratch, Python objects of the vocabulary, small tables


def word2vec_need(vocab_size, dim, *, negative, hs):
    """word2vec: syn0 (made through one temporary of its size), syn1neg, syn1, Huffman codes and points, noise.

    On wiki17m (1 epoch, 2 threads) the resulting peak is within 5% of the measured one (bench/RESULTS.md)."""
    m = vocab_size * dim * 4
    matrices = m * (1 + bool(negative) + bool(hs))
    tables = vocab_size * (16 + (40 * 5 if hs else 0))
    return max(2 * m, matrices) + tables + (24 << 20)


def fasttext_need(words, dim, *, bucket, minn, maxn):
    """fastText: the (words + bucket) x dim input matrix, the output matrix, the n-gram table, the composed vectors."""
    import numpy as np

    v = len(words)
    if maxn:
        lengths = np.fromiter((len(w) + 2 for w in words), np.int64, v)
        ngrams = int(sum(np.maximum(0, lengths - n + 1).sum() for n in range(minn, maxn + 1)))
    else:
        ngrams = 0
    return (v + bucket) * dim * 4 + 2 * v * dim * 4 + (ngrams + v) * 4 + v * 8 + _SLACK


def array_bytes(*arrays):
    """``(in_memory, mapped)``: the bytes of ``arrays`` held in memory, and those of the ones mapped
    from files (a memory-mapped store), whose pages count in resident memory once read."""
    import mmap

    import numpy as np

    held = mapped = 0
    for a in arrays:
        base = a
        while base is not None and not isinstance(base, (np.memmap, mmap.mmap)):
            base = getattr(base, "base", None)
        if base is None:
            held += a.nbytes
        else:
            mapped += a.nbytes
    return held, mapped


def glove_need(vocab_size, dim, nnz, *, memory=None, freed=0, mapped=0):
    """GloVe after counting: the records, then the parameters and AdaGrad sums, then the output.

    In memory (``memory`` None, or 16 bytes per non-zero within it) the 16-byte records are
    built while the co-occurrence matrix (already resident) is read; ``freed`` bytes (the
    matrix, when the trainer counted it itself) are released before the (2V, dim+1) float32
    parameters and AdaGrad sums are made; ``mapped`` bytes of a memory-mapped matrix become
    resident as the records are built from them, and leave with the build. On disk (records
    past ``memory``) a block of ``memory // 32`` records is made at a time, with its slice of
    the matrix and the float32 data: (16 + 8 + 4) bytes a record of the block; training reads
    the file through one 16-byte-a-record buffer of that size.
    """
    params = 2 * (2 * vocab_size * (dim + 1) * 4)
    output = 2 * vocab_size * dim * 4  # W (+ W~) and the context vectors
    if memory is None or nnz * 16 <= memory:
        build = nnz * 16 + mapped
        train = nnz * 16 - freed + params + output
    else:
        block = max(1024, int(memory) // 32)
        build = block * 28
        train = block * 16 + params + output
    return max(build, train) + _SLACK


def ppmi_need(vocab_size, dim, nnz, *, add_context=False, memory=None, mapped=0):
    """PPMI+SVD after counting: the PPMI matrix, then the SVD's dense arrays.

    Matrix, in memory (``memory`` None, or 16 bytes per non-zero within it): a float32 CSR
    copy of the counts (8 bytes per non-zero, explicit zeros dropped in place; the products by
    its transpose need no transposed copy), plus, while the copy is made, the ``mapped`` bytes
    of a memory-mapped matrix, let go once it is made. On disk: the matrix is made a block of
    rows of ``memory // 24`` non-zeros at a time (about ``memory``, before the SVD's arrays
    exist), then streamed a block at a time (its pages dropped after use).

    Dense arrays (k = dim + 10 columns, 10 being the SVD's oversampling; in units of V x k
    bytes; the bases are multiplied in their own memory): within a power iteration the float64
    basis (8), the float32 product by the transpose (4), the float32 product (4) and its
    float64 copy (8): 24; after the last one, with the matrix freed after the last product,
    the basis (8), its float32 copy for the product (4), the product (4) and that product's
    basis (8): 24; then U and V in the bases' memory (16) with their float32 dim columns
    (4 + 4 per dim), and the vectors made from those (W, C; with ``add_context`` W + C, summed
    in place) beside them (4 + 4 per dim).
    """
    k = dim + 10
    vk = vocab_size * k
    vd = vocab_size * dim
    last = max(24 * vk, 16 * vk + 8 * vd, 16 * vd)  # after the iterations: the bases, U and V, the vectors
    if memory is None or nnz * 16 <= memory:
        return max(nnz * 8 + mapped, nnz * 8 + 24 * vk, last) + _SLACK  # the matrix freed before `last`
    block = max(1024, int(memory) // 24)  # made before the dense arrays exist; then one block at a time
    made = block * 25  # a block's indices and values copied, the kept mask, its cumulative sum, the kept ones
    return max(made, block * 8 + 24 * vk, last) + _SLACK


def csr_bytes(vocab_size, nnz):
    """A V x V float32 CSR matrix of ``nnz`` non-zeros (int32 indices below 2**31 non-zeros)."""
    idx = 4 if nnz < 2**31 else 8
    return nnz * (4 + idx) + (vocab_size + 1) * idx


def count_need(n_tokens, n_sentences, vocab_size, nonzeros, *, dynamic, threads, block_tokens, mapped=0):
    """In-memory counting (``embedkit.cooc._count.count_matrix``): ``(peak, matrix)`` in bytes.

    ``nonzeros(fraction)`` gives the expected non-zeros of that fraction of the corpus (a
    ``GrowthLaw``). The corpus is counted in blocks of ``block_tokens`` tokens; counting a
    block holds the sum of the blocks before it, the block's working sequence and inverted
    index (4 + 4 bytes a token, 4 more for drawn windows), per-row tables (about 36 bytes a
    word), each thread's dense row accumulator (16 bytes a word) and the block's own matrix;
    adding the block holds the sum before, the block and the new sum; ``mapped`` bytes of a
    memory-mapped encoded corpus become resident as it is read. ``matrix`` is what is left at
    the end: the whole count.

    On wiki17m (one block, window 5, 2 threads) counting's measured peak is 0.92 of this without
    the mapped corpus and 1.09 with it; with blocks of 4M and 1M tokens, 1.04 and 0.96
    (bench/RESULTS.md).
    """
    n = max(int(n_tokens), 1)
    v = int(vocab_size)
    peak, held, done = int(mapped), 0, 0
    while done < n:
        nb = min(int(block_tokens), n - done)
        sb = n_sentences * nb / n
        work = 4 * (nb + sb) * (2 if dynamic else 1) + 4 * nb + 36 * (v + 1) + 16 * v * max(1, threads)
        block = csr_bytes(v, nonzeros(nb / n))
        total = csr_bytes(v, nonzeros((done + nb) / n))
        peak = max(peak, mapped + held + work + block, mapped + held + block + total if done else 0)
        held = total if done else block
        done += nb
    return int(peak), int(held)
