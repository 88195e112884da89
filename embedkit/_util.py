"""Small shared helpers: parameter checks, thread count, atomic writes, progress bars."""

from __future__ import annotations

import collections
import contextlib
import queue
import threading
import numbers
import os
import re
import shutil
import stat
import tempfile

import numba
import numpy as np

from .errors import EmbedkitError, ParameterError


#: the bytes that separate tokens in a corpus and fields in every vector and vocabulary file
ASCII_WHITESPACE = " \t\n\r\x0b\x0c"
_FIELD = re.compile(r"[^ \t\n\r\x0b\x0c]+")


def split_fields(line):
    """The fields of a text line, separated by ASCII whitespace only, as word2vec C and gensim read
    vector files: a word holding a no-break space (or any other Unicode space) stays one field.

    >>> split_fields("a\\xa0b 12\\n")
    ['a\\xa0b', '12']
    """
    return _FIELD.findall(line)


# ---------------------------------------------------------------- parameter checks
def check_int(name, value, *, min=None, max=None):
    """Return ``value`` as int, or raise EmbedkitError("name must be >= min, got value")."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise EmbedkitError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if min is not None and value < min:
        raise EmbedkitError(f"{name} must be >= {min}, got {value}")
    if max is not None and value > max:
        raise EmbedkitError(f"{name} must be <= {max}, got {value}")
    return value


def check_float(name, value, *, min=None, max=None, min_open=False, max_open=False):
    """Return ``value`` as float, checking ``min <= value`` (``<`` when min_open) and max likewise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise EmbedkitError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise EmbedkitError(f"{name} must be a finite number, got {value}")
    if min is not None and (value <= min if min_open else value < min):
        raise EmbedkitError(f"{name} must be {'>' if min_open else '>='} {min}, got {value:g}")
    if max is not None and (value >= max if max_open else value > max):
        raise EmbedkitError(f"{name} must be {'<' if max_open else '<='} {max}, got {value:g}")
    return value


def check_bool(name, value):
    """Return ``value`` if it is True or False (a NumPy bool too), else raise EmbedkitError."""
    if not isinstance(value, (bool, np.bool_)):
        raise EmbedkitError(f"{name} must be True or False, got {value!r}")
    return value


def check_choice(name, value, choices):
    """Return ``value`` if it is one of ``choices``, else raise EmbedkitError listing them."""
    if value not in choices:
        raise EmbedkitError(f"{name} must be one of {', '.join(map(str, choices))}; got {value!r}")
    return value


def check_threads(threads):
    """None means every core Numba may use; otherwise an int >= 1."""
    if threads is None:
        return None
    return check_int("threads", threads, min=1)


#: the name embedkit is published under (``embedkit`` on PyPI is an unrelated project); the import
#: package and the command are ``embedkit``
DISTRIBUTION = "embedkit-toolkit"


def install_hint(extra, package):
    """How to install an optional extra, for a published install and a checkout alike."""
    return (f"pip install '{DISTRIBUTION}[{extra}]' (in a checkout: pip install '.[{extra}]'; "
            f"or just pip install {package})")


def check_seed(seed):
    return check_int("seed", seed, min=0, max=2**63 - 1)


def check_dim(dim, vocab_size, *, max_vocab=False):
    """Raise EmbedkitError if ``dim`` exceeds the vocabulary size (no trainer can fill more dimensions);
    ``max_vocab``: the size is ``max_vocab``'s, so the way to more words is a higher one."""
    if dim > vocab_size:
        more = "a higher {max_vocab}" if max_vocab else "a lower {min_count}"
        raise ParameterError(f"{{dim}} must be <= the vocabulary size ({vocab_size} words), got {dim}: lower {{dim}}, "
                             f"or keep more words with {more}", "dim", "max_vocab" if max_vocab else "min_count")


def sum_timings(first, second):
    """Stage timings of two steps in the order they ran; a stage both have (``compile``) is summed.

    Examples
    --------
    >>> sum_timings({"scan": 1.0, "compile": 0.5}, {"compile": 0.25, "train": 2.0})
    {'scan': 1.0, 'compile': 0.75, 'train': 2.0}
    """
    out = dict(first)
    for k, v in second.items():
        out[k] = out.get(k, 0.0) + v
    return out


# ---------------------------------------------------------------- outputs
#: names of a process's open files (``/dev/stdout`` links to whatever standard output is: a pipe, or
#: a file the shell opened, which a renamed file would not replace for the shell)
_OPEN_FILE_NAMES = re.compile(r"/dev/(stdout|stderr|fd/\d+)|/proc/(self|\d+)/fd/\d+")


def is_stream(path):
    """Whether ``path`` is a named pipe, a device or a socket (links followed), or names an open
    file (``/dev/stdout``, ``/dev/fd/N``): an output written in place, as it comes, never replaced
    by a renamed file. (A regular file in ``/dev/shm`` is an ordinary output.)"""
    p = os.path.abspath(os.fspath(path))
    if _OPEN_FILE_NAMES.fullmatch(p):
        return True
    try:
        mode = os.stat(p).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode) or stat.S_ISSOCK(mode)


def check_writable(path, *, folder=False):
    """Return ``path`` if it can be written, else raise EmbedkitError saying why.

    A file output: the path is not a folder, and the folder it goes in exists and is writable
    (every write goes to a temporary file there, then is renamed over ``path``). A folder output
    (``folder=True``): the path is not a file, and it or its parent folder is writable. Commands
    call this for every output before they read their input, so a bad path fails in a second,
    not after an hour of training.
    """
    p = os.fspath(path)
    if not p:
        raise EmbedkitError("output path is empty")
    if not folder and is_stream(p):
        return p  # written in place (atomic_write)
    kind = "folder" if folder else "file"
    if folder and os.path.exists(p) and not os.path.isdir(p):
        raise EmbedkitError(f"cannot write the folder {p}: a file of that name exists")
    if not folder and os.path.isdir(p):
        raise EmbedkitError(f"cannot write {p}: it is a folder (give a file name)")
    if folder and os.path.isdir(p):
        if not os.access(p, os.W_OK | os.X_OK):
            raise EmbedkitError(f"cannot write in the folder {p}: permission denied")
        return p
    # a link's target is written (atomic_write), so its folder is the one that must be writable
    parent = os.path.dirname(os.path.realpath(p) if not folder and os.path.islink(p) else os.path.abspath(p))
    if not os.path.isdir(parent):
        what = "is not a folder" if os.path.exists(parent) else "does not exist"
        raise EmbedkitError(f"cannot write the {kind} {p}: {parent} {what}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise EmbedkitError(f"cannot write the {kind} {p}: the folder {parent} is not writable")
    return p


# ---------------------------------------------------------------- threads
@contextlib.contextmanager
def numba_threads(threads):
    """Run the block with ``threads`` Numba threads (capped at the pool size); restore after."""
    old = numba.get_num_threads()
    n = old if threads is None else max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS))
    numba.set_num_threads(n)
    try:
        yield n
    finally:
        numba.set_num_threads(old)


# ---------------------------------------------------------------- work split
def balanced_chunks(cumulative, n_chunks):
    """Cut rows into at most ``n_chunks`` consecutive chunks of about equal work.

    ``cumulative`` is the running total of the work before each row and after the last
    (length n_rows + 1, starting at 0), such as a CSR ``indptr``. Chunk ``c`` is rows
    ``bounds[c]:bounds[c + 1]``; empty chunks are dropped.

    Returns
    -------
    numpy.ndarray
        int64 chunk bounds, from 0 to n_rows.

    Examples
    --------
    >>> balanced_chunks(np.array([0, 10, 11, 12, 20]), 2).tolist()
    [0, 1, 4]
    >>> balanced_chunks(np.array([0, 0]), 8).tolist()
    [0, 1]
    """
    cumulative = np.asarray(cumulative)
    n_rows = len(cumulative) - 1
    k = max(1, min(n_rows, int(n_chunks)))
    targets = np.linspace(0, cumulative[-1], k + 1)[1:-1]
    if cumulative.dtype.kind in "iu":  # integer targets: searching floats would copy ``cumulative`` as floats
        targets = np.ceil(targets).astype(cumulative.dtype)  # c >= t exactly when c >= ceil(t)
    return np.unique(np.concatenate([[0], search_blockwise(cumulative, targets), [n_rows]])).astype(np.int64)


def search_blockwise(a, targets, block=1 << 20):
    """``np.searchsorted(a, targets)`` (both sorted), ``block`` elements of ``a`` at a time, each
    block's pages dropped once searched when ``a`` is memory-mapped: binary searches all over a
    large mapped array would map nearly all of it (a fault maps a whole page-cache folio)."""
    if len(a) <= block:
        return np.searchsorted(a, targets)
    drop = page_dropper(a)
    pos = np.full(len(targets), len(a), np.int64)
    j = 0  # targets[:j] are placed: each is at most the last element of an earlier block
    for i in range(0, len(a), block):
        blk = a[i:i + block]
        m = int(np.searchsorted(targets[j:], blk[-1], side="right"))  # the targets this block places
        pos[j:j + m] = i + np.searchsorted(blk, targets[j:j + m])  # the earlier blocks' elements are all smaller
        j += m
        drop(i, i + block)
    return pos


# ---------------------------------------------------------------- atomic writes
def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


_GROUP = threading.local()


@contextlib.contextmanager
def output_group():
    """The outputs of one run land together: every :func:`atomic_write` (and model folder, see
    :func:`defer_rename`) inside the block keeps its finished temp file until the whole block has
    succeeded, and only then are they all renamed into place. A failure or a signal anywhere in
    the block (say, while the model is written after the vectors) removes every temp file and
    leaves each previous output untouched. Nested groups join the outermost one."""
    if getattr(_GROUP, "pending", None) is not None:
        yield
        return
    _GROUP.pending = []
    try:
        yield
    except BaseException:
        pending, _GROUP.pending = _GROUP.pending, None
        for _, cleanup in pending:
            with contextlib.suppress(OSError):
                cleanup()
        raise
    pending, _GROUP.pending = _GROUP.pending, None
    for i, (commit, cleanup) in enumerate(pending):  # renames only: no data is written between them
        try:
            commit()
        except BaseException:
            for _, later in pending[i:]:
                with contextlib.suppress(OSError):
                    later()
            raise


#: the outputs this command has put in place (names), for the line an interruption prints; bounded, as a
#: long-running Python process (a notebook that saves vectors over and over) never clears it
WRITTEN = collections.deque(maxlen=16)


def defer_rename(commit, cleanup, name=None):
    """Run ``commit()`` now (``cleanup()`` if it fails), or at the end of the current
    :func:`output_group` (``cleanup()`` if the group fails); once it has run, ``name`` is in
    :data:`WRITTEN`."""
    def done():
        commit()
        if name is not None:
            WRITTEN.append(os.fspath(name))

    pending = getattr(_GROUP, "pending", None)
    if pending is not None:
        pending.append((done, cleanup))
        return
    try:
        done()
    except BaseException:
        with contextlib.suppress(OSError):
            cleanup()
        raise


@contextlib.contextmanager
def atomic_write(path, mode="wb", encoding=None):
    """Open a temp file beside ``path``; rename it over ``path`` only if the block succeeds (and,
    inside an :func:`output_group`, only when the whole group has). A symbolic link's target is
    written (the link stays); a named pipe or a device (:func:`is_stream`) is written in place.

    An exception (KeyboardInterrupt included) removes the temp file, so an interrupted
    write never leaves a half-written ``path``, and concurrent writers of one ``path`` each rename a complete file (the last one wins).
    The temp file's name carries this process's mark, so one left by a killed run is removed
    by the next write of ``path``. A full disk is one ``NoSpaceError`` line; a folder made
    read-only during the write is one EmbedkitError line, its temp file removed all the same
    (see :func:`remove_temp`).
    """
    from . import _faults

    path = os.fspath(path)
    if is_stream(path):  # a pipe or a device: nothing to rename, and the reader takes what comes
        try:
            f = open(path, mode, encoding=encoding)
        except OSError as e:
            raise EmbedkitError(f"cannot write {path}: {e.strerror or e}") from None
        try:
            with f:
                yield f
            WRITTEN.append(path)
        except BrokenPipeError:
            raise  # the reader stopped (| head): the command line ends quietly, as other tools do
        except OSError as e:  # a full device (/dev/full): named as the output
            raise EmbedkitError(f"cannot write {path}: {e.strerror or e}") from None
        return
    path = check_writable(path)
    if os.path.islink(path):  # the temp file goes beside the target, and replaces it: the link stays
        path = os.path.realpath(path)
    folder = os.path.dirname(os.path.abspath(path))
    _faults.sweep_beside(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=_faults.temp_name(path), suffix=".tmp", dir=folder)
    except OSError as e:
        if _faults.is_no_space(e):
            raise _faults.no_space_error(e, path, os.path.basename(path), _faults.expected_bytes()) from None
        raise EmbedkitError(_cannot_write(e, path, folder)) from None
    try:
        with os.fdopen(fd, mode, encoding=encoding) as f:
            yield f
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual mode
    except BaseException as e:
        written = remove_temp(tmp)
        error = _write_error(e, path, folder, written)
        if error is None:
            raise
        raise error from None
    defer_rename(lambda: _rename(tmp, path, folder), lambda: remove_temp(tmp), path)  # its failure removes tmp


def _rename(tmp, path, folder):
    """The rename that completes an atomic write; a failure (the folder made read-only
    meanwhile) is one EmbedkitError line."""
    try:
        os.replace(tmp, path)
    except OSError as e:
        error = _write_error(e, path, folder, 0)
        if error is None:
            raise
        raise error from None


def _cannot_write(e, path, folder):
    if isinstance(e, PermissionError) and os.path.isdir(folder) and not os.access(folder, os.W_OK | os.X_OK):
        return f"cannot write {path}: the folder {folder} was made read-only during the run"
    return f"cannot write {path}: {e.strerror or e}"


def _write_error(e, path, folder, written):
    """The one-line error for a failed atomic write of ``path``, or None to re-raise ``e`` as it is."""
    from . import _faults

    if _faults.is_no_space(e):
        size = _faults.expected_bytes()
        return _faults.no_space_error(e, path, os.path.basename(path), size and size - written)
    if isinstance(e, FileNotFoundError) and not os.path.isdir(folder):
        return EmbedkitError(f"cannot write {path}: the folder {folder} was removed during the run")
    if isinstance(e, PermissionError):
        return EmbedkitError(_cannot_write(e, path, folder))
    return None


def remove_temp(tmp):
    """Remove the temp file (or a model's temp folder) of an atomic write; return its size. When its folder was made
    read-only meanwhile and belongs to this process's user, the folder gets the owner's write
    permission back for the removal alone, then exactly its mode again; failing that, the
    file is at least emptied (and the next write of the path sweeps it)."""
    written = 0
    with contextlib.suppress(OSError):
        written = os.path.getsize(tmp)

    def remove():
        if os.path.isdir(tmp) and not os.path.islink(tmp):  # a model's temporary folder
            shutil.rmtree(tmp)
        else:
            os.unlink(tmp)

    try:
        remove()
        return written
    except FileNotFoundError:
        return written
    except OSError:
        pass
    folder = os.path.dirname(os.path.abspath(tmp))
    with contextlib.suppress(OSError):
        st = os.stat(folder)
        if st.st_uid == os.geteuid():
            os.chmod(folder, stat.S_IMODE(st.st_mode) | stat.S_IWUSR | stat.S_IXUSR)
            try:
                remove()
            finally:
                os.chmod(folder, stat.S_IMODE(st.st_mode))
    if os.path.isfile(tmp):
        with contextlib.suppress(OSError):
            os.truncate(tmp, 0)
    return written



# ---------------------------------------------------------------- progress
class _SilentBar:
    """What :func:`progress_bar` gives when it is not enabled: a bar that shows nothing (tqdm, ~0.1 s to
    import, is then not imported at all)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n=1):
        pass

    def set_postfix(self, *args, **kw):
        pass

    def close(self):
        pass


def progress_bar(*, total=None, desc=None, unit="it", enabled=False, **kw):
    """A tqdm bar on stderr, or a silent one when ``enabled`` is false."""
    if not enabled:
        return _SilentBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, leave=False, dynamic_ncols=True, unit_scale=True, **kw)


# ---------------------------------------------------------------- background reading
class _Raised:
    def __init__(self, exc):
        self.exc = exc


def read_ahead(iterable, depth=4):
    """Iterate ``iterable`` in a background thread, ``depth`` items ahead.

    Decompression (which releases the GIL) then overlaps with the consumer's work. An
    exception in the producer is re-raised in the consumer; a consumer that stops early
    stops the producer.
    """
    q = queue.Queue(depth)
    stop = threading.Event()
    done = object()

    def put(item):
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                pass
        return False

    def run():
        try:
            for item in iterable:
                if not put(item):
                    return
            put(done)
        except BaseException as e:  # noqa: BLE001 - handed to the consumer
            put(_Raised(e))
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is done:
                return
            if isinstance(item, _Raised):
                raise item.exc
            yield item
    finally:
        stop.set()
        thread.join()


# ---------------------------------------------------------------- memory
def release_memory(collect=True):
    """Hand back resident memory that the work ahead does not need (Linux with glibc; else nothing).

    * ``collect``: a full garbage collection first (50-60 ms in a process that has imported
      Numba and SciPy: the scan, 1 s on wiki17m, skips it; the trainers collect before training);
    * ``malloc_trim(0)``: free heap pages (the scan's hash-table growth, Numba's per-thread
      arenas) that glibc would otherwise keep;
    * LLVM's machine code (the executable mappings of llvmlite's library, about 50 MB
      resident once Numba has compiled or loaded a kernel) is not run again until the next
      compilation, so its pages are dropped from this process (``MADV_DONTNEED``; unmodified
      read-only code, so they fault back in from the file if LLVM is needed again).
    """
    import ctypes
    import gc
    import mmap

    if collect:
        gc.collect()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        trim, madvise = libc.malloc_trim, libc.madvise
    except (OSError, AttributeError):
        return
    trim(0)
    try:
        with open("/proc/self/maps") as f:
            spans = [line.split() for line in f]
    except OSError:
        return
    for parts in spans:
        if len(parts) >= 6 and parts[1] == "r-xp" and os.path.basename(parts[5]).startswith("libllvmlite"):
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            madvise(ctypes.c_void_p(lo), ctypes.c_size_t(hi - lo), mmap.MADV_DONTNEED)


def _file_mapping(a):
    """The ``np.memmap`` under ``a`` when dropping ``a``'s pages loses nothing, else None: a
    shared file mapping (the pages stay in the page cache, written ones included, and fault back
    in on the next read), or a read-only view of a copy-on-write one. Linux only."""
    import mmap
    import sys

    base = a
    while base is not None and not isinstance(base, np.memmap):
        base = getattr(base, "base", None)
    if (base is None or not sys.platform.startswith("linux") or not hasattr(mmap, "MADV_DONTNEED")
            or (base.mode == "c" and a.flags.writeable)):
        return None
    return base


def page_dropper(a):
    """A function ``drop(lo, hi)`` that lets the OS take ``a[lo:hi]`` (a 1-d array) out of this
    process's resident memory when ``a`` is backed by a file mapping (:func:`drop_pages`); for
    anything else it does nothing."""
    import ctypes
    import mmap

    if _file_mapping(a) is None or a.nbytes == 0:
        return lambda lo, hi: None
    libc = ctypes.CDLL(None, use_errno=True)
    page = mmap.PAGESIZE
    start = a.ctypes.data
    low, high = start // page * page, -(-(start + a.nbytes) // page) * page  # the array's pages

    def drop(lo, hi):
        first = max(low, (start + int(lo) * a.itemsize) // page * page)
        end = min(high, -(-(start + int(hi) * a.itemsize) // page) * page)
        if end > first:
            libc.madvise(ctypes.c_void_p(first), ctypes.c_size_t(end - first), mmap.MADV_DONTNEED)
    return drop


def drop_pages(a):
    """Let the OS take the pages of ``a`` out of this process's resident memory, when ``a`` (or a
    slice of it) lies in a file mapping: a shared one (``np.memmap`` modes r, r+, w+), whose pages,
    written ones included, stay in the page cache, or a read-only view of a copy-on-write one. The
    pages fault back in on the next read, so nothing is lost. Anything else: nothing happens
    (Linux only)."""
    if a.ndim != 1:
        a = a.reshape(-1)
    page_dropper(a)(0, len(a))


def row_blocks(indptr, block):
    """Row cuts ``[0, ..., n]`` of CSR row pointers ``indptr``: consecutive blocks of rows of at most
    ``block`` non-zeros each (or one row, when a row alone has more).

    >>> row_blocks(np.array([0, 3, 4, 9, 10]), 4)
    [0, 2, 3, 4]
    """
    n = len(indptr) - 1
    cuts = [0]
    while cuts[-1] < n:
        r0 = cuts[-1]
        r1 = int(np.searchsorted(indptr, indptr[r0] + block, "right")) - 1
        cuts.append(min(n, max(r0 + 1, r1)))
    return cuts


#: bytes a page fault in a file mapping can map beside the page, read or not (:func:`drop_read_pages`)
FAULT_AROUND = 2 << 20


def drop_read_pages(a, end):
    """Let the OS take ``a[:end]`` out of resident memory (:func:`drop_pages`): for a file-mapped
    array read range by range in order, call it with the end of each range read. All of it, not
    just the last range: a page fault maps the cached pages around it too, 64 KB or the whole
    large folio (up to 2 MB) it lies in, so pages of earlier ranges come back while a range is read,
    and letting go of exact ranges leaves them resident (measured: 36.5 MB held by the streamed PPMI
    products in 4 MB blocks)."""
    drop_pages(a[:int(end)])


# ---------------------------------------------------------------- compressed files
COMPRESSION_SNIFF_BYTES = 10  # bytes ``sniff_compression`` needs


def sniff_compression(head):
    """``"gzip"``, ``"bz2"``, ``"xz"`` or None, from the first bytes of a file.

    The one test every reader (corpus, vectors, fastText model) uses: gzip's ``1f 8b 08``,
    xz's ``fd 37 7a 58 5a 00``, and bzip2's ``BZh`` plus a block size digit and the magic of
    a block (or of an empty stream), so that a text starting with ``BZh`` is not taken for one.
    """
    head = bytes(head[:COMPRESSION_SNIFF_BYTES])
    if head.startswith(b"\x1f\x8b\x08"):
        return "gzip"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head[:3] == b"BZh" and head[3:4] in (b"1", b"2", b"3", b"4", b"5", b"6", b"7", b"8", b"9") \
            and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90"):
        return "bz2"
    return None


def read_rows(path, parse, expected):
    """``[parse(line), ...]`` over the lines of the UTF-8 text file ``path`` that are neither blank
    nor '#' comments. A line ``parse`` rejects (``ValueError``), an unreadable or non-UTF-8 file and
    a file without rows are each one error naming the file (and the line, and ``expected``)."""
    rows = []
    try:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip() or line.startswith("#"):
                    continue
                try:
                    rows.append(parse(line))
                except ValueError:
                    raise EmbedkitError(f"{path}, line {n}: expected {expected!r}, "
                                        f"got {line.strip()[:60]!r}") from None
    except OSError as e:
        raise EmbedkitError(f"cannot read {path}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise EmbedkitError(f"{path} is not UTF-8 text") from None
    if not rows:
        raise EmbedkitError(f"{path} holds no word pairs")
    return rows
