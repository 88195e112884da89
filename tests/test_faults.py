"""Faults of the machine: full disks, kill signals, memory limits, damaged stores, concurrent runs.

Most cases run in this process (the CLI through CliRunner; a signal is sent by the process to
itself through the ``EMBEDKIT_FAULT_AT`` hook, so every stage is hit without timing); SIGKILL,
address-space limits and races need real processes. Each case checks: the exit status, exactly
one stderr line, the previous output byte-identical, and no temporary file left behind.
"""

from __future__ import annotations

import errno
import gc
import json
import lzma
import multiprocessing
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from embedkit import _faults
from embedkit._integrity import ChecksumWriter, IntegrityError, file_record, verify_file, write_manifest
from embedkit.cli import cli
from embedkit.cooc import _store, count_cooccurrences, load_cooccurrences
from embedkit.errors import EmbedkitError

ROOT = Path(__file__).resolve().parents[1]
LINUX = sys.platform.startswith("linux")
linux_only = pytest.mark.skipif(not LINUX, reason="Linux-only (/proc, signals, tmpfs)")

TRAIN = {  # every trainer and cooc, tiny settings; the stages each one goes through
    "skipgram": (["train", "skipgram", "--dim", "8", "--epochs", "1", "--min-count", "2"], "v.txt",
                 ["scan", "compile", "train", "write"]),
    "cbow": (["train", "cbow", "--dim", "8", "--epochs", "1", "--min-count", "2"], "v.txt",
             ["scan", "compile", "train", "write"]),
    "fasttext": (["train", "fasttext", "--dim", "8", "--epochs", "1", "--min-count", "2", "--bucket", "1000"],
                 "v.txt", ["scan", "compile", "train", "write"]),
    "glove": (["train", "glove", "--dim", "8", "--epochs", "1", "--min-count", "2", "--memory", "2M"], "v.txt",
              ["scan", "compile", "count", "spill", "merge", "train", "write"]),
    "ppmi-svd": (["train", "ppmi-svd", "--dim", "8", "--min-count", "2"], "v.txt",
                 ["scan", "compile", "count", "train", "write"]),
    "cooc": (["cooc", "--min-count", "2", "--memory", "2M"], "c", ["scan", "compile", "count", "spill", "merge",
                                                                    "write"]),
}
SIGNALS = ["SIGTERM", "SIGHUP", "SIGINT"]
CASES = [(name, stage) for name, (_, _, stages) in TRAIN.items() for stage in stages]
# every signal at every stage, spread over the trainers: case k gets SIGNALS[k % 3]
SIGNAL_CASES = [(name, stage, SIGNALS[k % len(SIGNALS)]) for k, (name, stage) in enumerate(CASES)]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """20,000 tokens of the sample, as 25-word sentences."""
    p = tmp_path_factory.mktemp("corpus") / "c.txt"
    with lzma.open(ROOT / "data" / "sample.txt.xz", "rt", encoding="utf-8") as f:
        words = f.read(200_000).split()[:20_000]
    p.write_text("".join(" ".join(words[i:i + 25]) + "\n" for i in range(0, len(words), 25)), encoding="utf-8")
    return p


@pytest.fixture
def tmpdir_env(tmp_path, monkeypatch):
    """TMPDIR (the encoded corpus, temp folders) is a folder of the test's own, checked for leftovers."""
    t = tmp_path / "tmp"
    t.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(t))
    monkeypatch.setenv("TMPDIR", str(t))
    return t


@pytest.fixture
def restore_signals():
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    # Ctrl-C as in a terminal: a pytest-xdist worker starts with SIGINT ignored, and a process that
    # ignores SIGINT (a background job) rightly goes on when it comes
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # SIGTERM and SIGHUP as a fresh process gets them: a run under nohup ignores SIGHUP, and embedkit
    # rightly leaves an ignored signal ignored
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    yield
    for s, h in saved.items():
        signal.signal(s, h)
    _faults.disarm_fault_injection()


def _invoke(args):
    r = CliRunner().invoke(cli, args)
    out = (r.exit_code, r.stderr, r.output)
    del r
    gc.collect()  # what a process does at exit: finalizers of the encoded corpus and matrices run
    return out


def _one_line(stderr):
    lines = [x for x in stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    return lines[0]


def _command(name, corpus, out_dir):
    args, out, _ = TRAIN[name]
    return args + [str(corpus), "-o", str(out_dir / out)], out_dir / out


def _previous_output(path):
    """Something at the output path before the run, to be left byte-identical."""
    if path.suffix == "":
        path.mkdir()  # a cooc folder: an earlier (empty) store
        return None
    path.write_bytes(b"2 1\nprevious 1\noutput 2\n")
    return path.read_bytes()


# ---------------------------------------------------------------- signals
@linux_only
@pytest.mark.parametrize("name,stage,sig", SIGNAL_CASES, ids=[f"{n}-{s}-{g}" for n, s, g in SIGNAL_CASES])
@pytest.mark.slow
def test_signal_at_every_stage(name, stage, sig, corpus, tmp_path, tmpdir_env, monkeypatch, restore_signals):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    args, out = _command(name, corpus, out_dir)
    before = _previous_output(out)
    monkeypatch.setenv(_faults.FAULT_ENV, f"{stage}:{sig}")
    code, stderr, _ = _invoke(args)
    line = _one_line(stderr)
    assert code == 128 + getattr(signal, sig), stderr
    assert line.startswith(f"Interrupted ({sig}) while {_faults.STAGE_WORDS[stage]}"), line
    if before is not None:
        assert out.read_bytes() == before
        assert os.listdir(out_dir) == [out.name]
    else:
        assert os.listdir(out_dir) == [out.name] and os.listdir(out) == []
    assert os.listdir(tmpdir_env) == []


COOC_CASES = [("restrict", "SIGTERM"), ("train", "SIGHUP"), ("write", "SIGINT")]


@linux_only
@pytest.mark.slow
@pytest.mark.parametrize("stage,sig", COOC_CASES, ids=[f"{s}-{g}" for s, g in COOC_CASES])
def test_signal_while_fitting_a_folder_within_memory(stage, sig, corpus, tmp_path, tmpdir_env, monkeypatch,
                                                     restore_signals):
    """`train glove --cooc DIR --min-count 3 --memory ... --tmp-dir T`: the restricted copy and the
    records in T; interrupted at any stage, one line, and nothing is left in T or beside the output."""
    folder, spill, out_dir = tmp_path / "cooc", tmp_path / "spill", tmp_path / "out"
    spill.mkdir()
    out_dir.mkdir()
    code, stderr, _ = _invoke(["cooc", str(corpus), "-o", str(folder), "--min-count", "1", "--window", "10",
                               "--weighting", "harmonic", "-q"])
    assert code == 0, stderr
    monkeypatch.setenv(_faults.FAULT_ENV, f"{stage}:{sig}")
    code, stderr, _ = _invoke(["train", "glove", "--cooc", str(folder), "--min-count", "3", "--dim", "8", "--epochs",
                               "1", "--memory", "64K", "--tmp-dir", str(spill), "-o", str(out_dir / "v.txt")])
    line = _one_line(stderr)
    assert code == 128 + getattr(signal, sig), stderr
    assert line.startswith(f"Interrupted ({sig}) while {_faults.STAGE_WORDS[stage]}"), line
    assert os.listdir(out_dir) == [] and os.listdir(spill) == [] and os.listdir(tmpdir_env) == []


def _folder_bytes(folder):
    return {n: (folder / n).read_bytes() for n in sorted(os.listdir(folder))}


ADD_CASES = [("scan", "SIGTERM"), ("compile", "SIGHUP"), ("count", "SIGINT"), ("spill", "SIGTERM"),
             ("merge", "SIGHUP"), ("write", "SIGINT")]


@linux_only
@pytest.mark.slow
@pytest.mark.parametrize("stage,sig", ADD_CASES, ids=[f"{s}-{g}" for s, g in ADD_CASES])
def test_signal_while_adding_to_a_folder_in_place(stage, sig, corpus, tmp_path, tmpdir_env, monkeypatch,
                                                  restore_signals):
    """`cooc NEW --add DIR -o DIR` replaces DIR: interrupted at any stage, DIR is left as it was."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    folder = out_dir / "c"
    count_cooccurrences(corpus, output=folder, min_count=2, memory="2M")
    before = _folder_bytes(folder)
    monkeypatch.setenv(_faults.FAULT_ENV, f"{stage}:{sig}")
    code, stderr, _ = _invoke(["cooc", str(corpus), "--add", str(folder), "-o", str(folder), "--memory", "2M"])
    line = _one_line(stderr)
    assert code == 128 + getattr(signal, sig), stderr
    assert line.startswith(f"Interrupted ({sig}) while {_faults.STAGE_WORDS[stage]}"), line
    assert os.listdir(out_dir) == ["c"] and _folder_bytes(folder) == before
    assert os.listdir(tmpdir_env) == []
    _faults.disarm_fault_injection()
    monkeypatch.delenv(_faults.FAULT_ENV)
    code, stderr, _ = _invoke(["cooc", str(corpus), "--add", str(folder), "-o", str(folder), "--memory", "2M"])
    assert code == 0, stderr
    first = json.loads(before["meta.json"])["tokens"]
    assert load_cooccurrences(folder).info["tokens"] == first + 20_000  # every word seen twice now: all kept


@linux_only
@pytest.mark.slow
@pytest.mark.parametrize("name,stage", [("skipgram", "train"), ("glove", "spill"), ("cooc", "write"),
                                        ("glove", "merge")])
def test_sigkill_leftovers_are_removed_by_the_next_run(name, stage, corpus, tmp_path, tmpdir_env):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    args, out = _command(name, corpus, out_dir)
    before = _previous_output(out)
    env = {**os.environ, _faults.FAULT_ENV: f"{stage}:SIGKILL", "TMPDIR": str(tmpdir_env),
           "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "embedkit.cli", *args, "-q"], env=env, capture_output=True)
    assert r.returncode == -signal.SIGKILL
    if before is not None:
        assert out.read_bytes() == before
    left = os.listdir(tmpdir_env) + [n for n in os.listdir(out_dir) if n != out.name]
    assert left, "a SIGKILLed run should have left something to clean"
    code, stderr, _ = _invoke(args + ["-q"])  # the next run (this process) removes what the dead one left
    assert code == 0, stderr
    assert os.listdir(tmpdir_env) == []
    assert set(os.listdir(out_dir)) <= {out.name, out.name + ".vocab"}


def test_a_live_processs_temp_folder_is_kept(tmp_path):
    mine = _faults.make_temp_dir("corpus", tmp_path)
    other = tmp_path / "embedkit-corpus-unmarked"
    other.mkdir()
    _faults.make_temp_dir("spill", tmp_path)
    assert os.path.isdir(mine) and other.is_dir()


@pytest.mark.parametrize("name,model", [("skipgram", "m"), pytest.param("glove", "m", marks=pytest.mark.slow),
                                        pytest.param("fasttext", "m.bin", marks=pytest.mark.slow)])
def test_outputs_land_together(name, model, corpus, tmp_path, tmpdir_env, monkeypatch, restore_signals):
    """Ctrl-C while the model is written, after the vectors were: the vectors, their counts file and the
    model keep their previous versions (all of a run's outputs are renamed into place together)."""
    from embedkit import fasttext_bin, modelfile

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    args, out = _command(name, corpus, out_dir)
    before = _previous_output(out)
    (out_dir / "v.txt.vocab").write_bytes(b"previous 1\noutput 2\n")
    mpath = out_dir / model
    assert _invoke(args + ["--save-model", str(mpath), "-q"])[0] == 0  # a previous model
    out.write_bytes(before)
    (out_dir / "v.txt.vocab").write_bytes(b"previous 1\noutput 2\n")
    listing = {p: (p.read_bytes() if p.is_file() else None) for p in out_dir.rglob("*")}

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    if name == "fasttext":
        monkeypatch.setattr(fasttext_bin, "save_fasttext_model", interrupted)
    else:
        monkeypatch.setattr(modelfile, "_sha256", interrupted)  # the model folder is half-written
    code, stderr, _ = _invoke(args + ["--save-model", str(mpath), "-q"])
    assert code == 130, stderr
    assert _one_line(stderr).startswith("Interrupted (SIGINT)")
    assert {p: (p.read_bytes() if p.is_file() else None) for p in out_dir.rglob("*")} == listing
    assert os.listdir(tmpdir_env) == []


# ---------------------------------------------------------------- full disks
def _small_fs(tmp_path):
    """A 64 KiB filesystem (tmpfs, when this process may mount), else None."""
    mnt = tmp_path / "small"
    mnt.mkdir()
    if not LINUX or os.geteuid() != 0 or shutil.which("mount") is None:
        return None
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mnt)], capture_output=True)
    return mnt if r.returncode == 0 else None


@pytest.fixture
def full_disk(tmp_path):
    """(folder, how): a folder whose writes fail past 64 KiB: a small tmpfs, else RLIMIT_FSIZE (EFBIG)."""
    mnt = _small_fs(tmp_path)
    if mnt is not None:
        yield mnt, "tmpfs"
        subprocess.run(["umount", str(mnt)], capture_output=True)
        return
    if not LINUX:
        pytest.skip("needs Linux for a size limit")
    old = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_sig = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (16 << 10, old[1]))
    yield tmp_path / "small", "fsize"
    resource.setrlimit(resource.RLIMIT_FSIZE, old)
    signal.signal(signal.SIGXFSZ, old_sig)


DISK_CASES = [  # (command, where the small disk is, what the message says is being written)
    ("skipgram", "output", "v.txt"),
    ("fasttext", "output", "v.txt"),
    ("glove", "output", "v.txt"),
    ("ppmi-svd", "tmpdir", "the encoded corpus"),
    ("glove", "tmp-dir", "spill files"),
    ("cooc", "output", "the co-occurrence folder"),
    ("fasttext", "model", "m.bin"),
    ("vocab", "output", "words.txt"),
]


@linux_only
@pytest.mark.parametrize("name,where,what", DISK_CASES, ids=[f"{n}-{w}" for n, w, _ in DISK_CASES])
@pytest.mark.slow
def test_full_disk_is_one_line(name, where, what, corpus, tmp_path, tmpdir_env, full_disk, monkeypatch):
    small, how = full_disk
    if how == "fsize" and where != "output":
        pytest.skip("a file size limit applies to every file, not to one folder")
    big = tmp_path / "big"
    big.mkdir()
    if name == "vocab":
        args, out = ["vocab", str(corpus), "--min-count", "1"], small / "words.txt"
        args += ["-o", str(out)]
    else:
        args, out = _command(name, corpus, small if where == "output" else big)
    if where == "tmpdir":
        monkeypatch.setattr(tempfile, "tempdir", str(small))
    if where == "tmp-dir":
        args += ["--tmp-dir", str(small)]
    if where == "model":
        args, out = args + ["--save-model", str(small / "m.bin"), "--dim", "100", "--bucket", "20000"], small / "m.bin"
    before = _previous_output(out)
    code, stderr, _ = _invoke(args + ["-q"])
    line = _one_line(stderr)
    assert code == 1
    assert ("no space left on " in line or "file size limit" in line) and f"while writing {what}" in line, line
    assert "MB more needed" in line, line
    if before is not None:
        assert out.read_bytes() == before
    assert os.listdir(out.parent) == [out.name]
    assert os.listdir(tmpdir_env) == [] and (where != "tmpdir" or os.listdir(small) == [])


def test_no_space_message_names_the_mount_and_the_need(tmp_path):
    e = OSError(errno.ENOSPC, "No space left on device")
    msg = str(_faults.no_space_error(e, tmp_path / "v.txt", "vectors", 3_500_000))
    assert msg.startswith("no space left on /") and str(tmp_path / "v.txt") in msg
    assert msg.endswith("while writing vectors (about 3.5 MB more needed)")


# ---------------------------------------------------------------- changed input, vanished output
def test_corpus_changed_during_the_scan_is_refused(corpus, tmp_path, tmpdir_env, monkeypatch):
    from embedkit import vocab as vocab_mod

    c = tmp_path / "c.txt"
    shutil.copy(corpus, c)
    real = vocab_mod._scan

    def scan_then_truncate(*a, **kw):
        r = real(*a, **kw)
        with open(c, "r+b") as f:
            f.truncate(100)
        return r

    monkeypatch.setattr(vocab_mod, "_scan", scan_then_truncate)
    code, stderr, _ = _invoke(["train", "skipgram", str(c), "-o", str(tmp_path / "v.txt"), "--dim", "8",
                               "--min-count", "1"])
    assert code == 1 and "was truncated while it was read" in _one_line(stderr)
    assert not (tmp_path / "v.txt").exists() and os.listdir(tmpdir_env) == []


def test_output_folder_removed_during_the_run(corpus, tmp_path, tmpdir_env, monkeypatch):
    from embedkit import formats

    out_dir = tmp_path / "gone"
    out_dir.mkdir()
    real = formats._write_text

    def remove_then_write(vectors, path, **kw):
        shutil.rmtree(out_dir)
        return real(vectors, path, **kw)

    monkeypatch.setattr(formats, "_write_text", remove_then_write)
    monkeypatch.setitem(formats.WRITERS, "word2vec", lambda v, p, **kw: remove_then_write(v, p, **kw))
    code, stderr, _ = _invoke(["train", "skipgram", str(corpus), "-o", str(out_dir / "v.txt"), "--dim", "8",
                               "--min-count", "2"])
    line = _one_line(stderr)
    assert code == 1 and str(out_dir) in line, line
    assert os.listdir(tmpdir_env) == []


# ---------------------------------------------------------------- permissions changed mid-run
#: runs the CLI after arranging that the output folder (argv[1]) turns read-only at a moment of the
#: write (argv[2]): once every temporary file and the model's temporary folder are made beside the
#: outputs (the renames then fail), or between the vectors file and their counts file (the counts'
#: temporary cannot be made)
_LOCK_CHILD = r"""
import os, sys
from embedkit import formats
from embedkit.cli import main

out_dir, when = sys.argv[1], sys.argv[2]
lock = lambda: os.chmod(out_dir, 0o555)
if when == "temp":
    from embedkit import modelfile
    real_save = modelfile.save_model
    def save_model(*a, **k):  # the last output's temporary folder is made: the renames then fail
        r = real_save(*a, **k)
        lock()
        return r
    modelfile.save_model = save_model
else:
    real_counts = formats.write_counts
    formats.write_counts = lambda *a, **k: (lock(), real_counts(*a, **k))[1]
sys.argv = ["embedkit"] + sys.argv[3:]
main()
"""


def _unprivileged():
    """A preexec_fn under which a read-only folder refuses writes, or None if this process is bound by
    permissions already; pytest.skip where neither holds. As root: drop the capabilities that bypass
    file permissions (DAC override, read/search, owner) from the bounding set before the child's exec,
    so the child runs as root without them, like an unprivileged user as far as files go (another
    user, such as nobody, may not reach this interpreter or write Numba's cache)."""
    if not LINUX:
        pytest.skip("Linux-only (capabilities)")
    if os.geteuid() != 0:
        return None
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)

    def drop():
        for cap in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
            if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    probe = tempfile.mkdtemp()
    try:
        os.chmod(probe, 0o555)
        r = subprocess.run([sys.executable, "-c", "import sys; open(sys.argv[1] + '/x', 'w')", probe],
                           preexec_fn=drop, capture_output=True)
    except (OSError, subprocess.SubprocessError):
        pytest.skip("cannot drop the capabilities that bypass file permissions")
    finally:
        os.chmod(probe, 0o755)
        shutil.rmtree(probe)
    if r.returncode == 0 or b"PermissionError" not in r.stderr:
        pytest.skip("a read-only folder does not refuse writes here")
    return drop


@linux_only
@pytest.mark.parametrize("when", ["temp", pytest.param("between", marks=pytest.mark.slow)])
def test_output_folder_made_read_only_during_the_write(when, corpus, tmp_path):
    """One Error line and exit 1; the previous vectors and counts byte-identical; no temporary file
    or folder left in the output folder or in TMPDIR."""
    preexec = _unprivileged()
    out_dir, tmp = tmp_path / "out", tmp_path / "tmp"
    out_dir.mkdir()
    tmp.mkdir()
    before = {"v.txt": b"2 1\nprevious 1\noutput 2\n", "v.txt.vocab": b"previous 5\noutput 3\n"}
    for name, data in before.items():
        (out_dir / name).write_bytes(data)
    try:
        model = ["--save-model", str(out_dir / "m.model")] if when == "temp" else []
        r = subprocess.run([sys.executable, "-c", _LOCK_CHILD, str(out_dir), when, "train", "skipgram", str(corpus),
                            "-o", str(out_dir / "v.txt"), "--dim", "8", "--epochs", "1", "--min-count", "2", "-q"]
                           + model,
                           env={**os.environ, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp)}, preexec_fn=preexec,
                           capture_output=True, text=True)
        after = {name: (out_dir / name).read_bytes() for name in os.listdir(out_dir)}
    finally:
        os.chmod(out_dir, 0o755)
    line = _one_line(r.stderr)
    assert r.returncode == 1 and line.startswith("Error: ") and "v.txt" in line, r.stderr
    assert after == before, sorted(after)
    assert os.listdir(tmp) == []


# ---------------------------------------------------------------- memory
@pytest.mark.parametrize("factor,ok", [(0.8, False), (1.25, True)])
@pytest.mark.slow
def test_memory_checked_before_work(factor, ok, corpus, tmp_path, tmpdir_env, monkeypatch):
    from embedkit import fasttext

    need = {}
    real = _faults.check_memory

    def measure(n, **kw):
        need["n"] = n
        return real(n, **kw)

    monkeypatch.setattr(fasttext, "check_memory", measure)
    monkeypatch.setattr(_faults, "available_memory", lambda: (None, None))
    args = ["train", "fasttext", str(corpus), "-o", str(tmp_path / "v.txt"), "--dim", "8", "--min-count", "2",
            "--epochs", "1", "--bucket", "50000"]
    assert _invoke(args)[0] == 0
    monkeypatch.setattr(_faults, "available_memory", lambda: (int(need["n"] * factor), "the test's limit"))
    code, stderr, _ = _invoke(args)
    if ok:
        assert code == 0, stderr
    else:
        line = _one_line(stderr)
        assert code == 1 and "training fastText needs about" in line and "--bucket" in line and "--force" in line
        assert _invoke(args + ["--force"])[0] == 0  # --force tries anyway
    assert os.listdir(tmpdir_env) == []


@pytest.mark.parametrize("name", ["skipgram", "fasttext", "glove", "ppmi-svd"])
def test_every_trainer_checks_memory_before_its_work(name, corpus, tmp_path, tmpdir_env, monkeypatch):
    """Each trainer, counting its own co-occurrences or not, refuses over the limit before it trains."""
    monkeypatch.setattr(_faults, "available_memory", lambda: (1 << 20, "the test's limit"))
    args, out = _command(name, corpus, tmp_path)
    code, stderr, _ = _invoke([a for a in args if a not in ("--memory", "2M")])
    line = _one_line(stderr)
    assert code == 1 and "needs about" in line and "the test's limit leaves 1 MiB" in line and "--force" in line, line
    assert not out.exists() and os.listdir(tmpdir_env) == []


def test_in_memory_counting_checked_before_counting(corpus, tmp_path, tmpdir_env, monkeypatch):
    """GloVe without --memory: counting and fitting are checked together, from the estimated
    non-zeros, before counting starts; below the estimate one line naming --memory, nothing
    counted, nothing written; --force counts anyway; just above the estimate, it trains."""
    from embedkit.cooc import _count

    needs, counted = [], []
    real_check, real_count = _faults.check_memory, _count.count_matrix

    def measure(n, **kw):
        needs.append((n, kw["what"]))
        return real_check(n, **kw)

    def count(*a, **kw):
        counted.append(True)
        return real_count(*a, **kw)

    def limit(factor):
        monkeypatch.setattr(_faults, "available_memory", lambda: (int(need * factor), "the test's limit"))
        counted.clear()
        if out.exists():
            out.unlink()

    monkeypatch.setattr(_faults, "check_memory", measure)
    monkeypatch.setattr(_count, "count_matrix", count)
    monkeypatch.setattr(_faults, "available_memory", lambda: (None, None))
    out = tmp_path / "v.txt"
    args = ["train", "glove", str(corpus), "-o", str(out), "--dim", "8", "--min-count", "2", "--epochs", "1"]
    assert _invoke(args)[0] == 0
    need, what = needs[0]  # the first check, before counting
    assert what.startswith("counting co-occurrences in memory") and "training GloVe" in what and counted
    limit(0.8)
    code, stderr, _ = _invoke(args)
    line = _one_line(stderr)
    assert code == 1 and line.startswith("Error: counting co-occurrences in memory (about 0.") and \
        "non-zeros estimated) and training GloVe needs about" in line and "--memory SIZE" in line and \
        "--force" in line, line
    assert not counted and not out.exists()  # refused before counting, nothing written
    assert _invoke(args + ["--force"])[0] == 0 and counted and out.exists()  # --force counts anyway
    limit(1.25)
    code, stderr, _ = _invoke(args)
    assert code == 0 and counted and out.exists(), stderr
    assert os.listdir(tmpdir_env) == []


@linux_only
@pytest.mark.slow
def test_address_space_limit_refuses_before_allocating(corpus, tmp_path):
    """A real RLIMIT_AS below fastText's 2M-bucket matrix: one line, before the matrix exists."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (1200 << 20, resource.RLIM_INFINITY))

    r = subprocess.run([sys.executable, "-m", "embedkit.cli", "train", "fasttext", str(corpus), "-o",
                        str(tmp_path / "v.txt"), "--min-count", "2", "--epochs", "1", "-q"],
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, preexec_fn=limit, capture_output=True, text=True)
    line = _one_line(r.stderr)
    assert r.returncode == 1 and "address-space limit" in line and "--bucket" in line, line


def test_available_memory_is_the_lowest_known():
    avail, source = _faults.available_memory()
    if LINUX:
        assert avail > 0 and source


# ---------------------------------------------------------------- damaged stores
@pytest.fixture(scope="module")
def store(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("store") / "cooc"
    count_cooccurrences(str(corpus), output=out, min_count=2, memory=1 << 20)
    return out


def _damage(folder, rng):
    names = sorted(os.listdir(folder))
    name = names[rng.randrange(len(names))]
    p = folder / name
    size = p.stat().st_size
    if rng.random() < 0.4:
        with open(p, "r+b") as f:
            f.truncate(rng.randrange(size))
        return f"truncate {name}"
    data = bytearray(p.read_bytes())
    for _ in range(rng.choice([1, 1, 2, 8])):
        data[rng.randrange(size)] ^= rng.randrange(1, 256)
    p.write_bytes(bytes(data))
    return f"flip {name}"


@pytest.mark.slow
def test_damaged_cooc_folders_never_train(store, tmp_path):
    """100 seeded truncations and bit flips: each is one error, or the data read is exactly the original."""
    good = load_cooccurrences(store)
    original = good.matrix.copy(), list(good.words)
    refused = 0
    for seed in range(100):
        rng = random.Random(seed)
        case = tmp_path / f"c{seed}"
        shutil.copytree(store, case)
        what = _damage(case, rng)
        try:
            c = load_cooccurrences(case)
        except EmbedkitError as e:
            assert "\n" not in str(e) and str(case) in str(e), (what, str(e))
            refused += 1
        else:  # a flip the manifest cannot see (JSON whitespace of the manifest itself) changes nothing
            assert (c.matrix != original[0]).nnz == 0 and list(c.words) == original[1], what
    assert refused >= 95


def test_incomplete_cooc_folder_is_refused(store, tmp_path):
    case = tmp_path / "c"
    shutil.copytree(store, case)
    (case / "MANIFEST.json").unlink()
    meta = json.loads((case / "meta.json").read_text())
    assert meta["checksums"] == "MANIFEST.json"
    with pytest.raises(IntegrityError, match="incomplete"):
        load_cooccurrences(case)
    code, stderr, _ = _invoke(["train", "glove", "--cooc", str(case), "-o", str(tmp_path / "v.txt"), "--dim", "4"])
    assert code == 1 and "incomplete" in _one_line(stderr) and not (tmp_path / "v.txt").exists()


@pytest.mark.slow
def test_truncated_fasttext_bin_is_one_error(corpus, tmp_path):
    """fastText's .bin has no room for checksums: strict size and structure checks catch every truncation."""
    from embedkit.fasttext_bin import load_fasttext_model

    m = tmp_path / "m.bin"
    assert _invoke(["train", "fasttext", str(corpus), "-o", str(tmp_path / "v.txt"), "--save-model", str(m),
                    "--dim", "8", "--min-count", "2", "--epochs", "1", "--bucket", "500"])[0] == 0
    data = m.read_bytes()
    rng = random.Random(0)
    for seed in range(100):
        cut = rng.randrange(len(data))
        p = tmp_path / f"t{seed}.bin"
        p.write_bytes(data[:cut])
        with pytest.raises(EmbedkitError) as e:
            load_fasttext_model(p)
        assert "\n" not in str(e.value)


def test_checksum_writer_matches_a_reread(tmp_path):
    p = tmp_path / "x"
    with open(p, "wb") as f:
        f.write(b"header")
        w = ChecksumWriter(f, block=1000)
        for k in range(37):
            w.write(np.arange(k * 10, dtype=np.float32))
    rec = w.record()
    assert rec == file_record(p, offset=6, block=1000)
    verify_file(p, rec, offset=6)
    with open(p, "r+b") as f:
        f.seek(2000)
        f.write(b"\xff")
    with pytest.raises(IntegrityError, match="bytes 1006-2005 do not match"):
        verify_file(p, rec, offset=6)
    os.truncate(p, 100)
    with pytest.raises(IntegrityError, match="truncated"):
        verify_file(p, rec, offset=6)
    with pytest.raises(IntegrityError, match="malformed"):
        verify_file(p, {"size": 1}, offset=6)
    write_manifest(tmp_path, ["x"])


# ---------------------------------------------------------------- concurrent runs
def _save_many(path, k, n):
    from embedkit.vectors import Vectors

    v = Vectors([f"w{i}" for i in range(2000)], np.full((2000, 10), k, np.float32))
    for _ in range(n):
        v.save(path)
    os._exit(0)


@linux_only
@pytest.mark.slow
def test_eight_writers_leave_one_complete_file(tmp_path):
    from embedkit.vectors import Vectors

    out = tmp_path / "v.txt"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_save_many, args=(str(out), k, 2)) for k in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    assert all(p.exitcode == 0 for p in procs)
    v = Vectors.load(out)
    assert v.matrix.shape == (2000, 10) and len(np.unique(v.matrix)) == 1  # one writer's whole file
    assert os.listdir(tmp_path) == ["v.txt"]


@pytest.mark.slow
def test_second_counter_into_a_folder_is_refused_and_a_dead_lock_is_taken_over(corpus, tmp_path):
    out = tmp_path / "cooc"
    with _store.output_lock(out):
        with pytest.raises(EmbedkitError, match=f"being written by another run \\(process {os.getpid()}"):
            count_cooccurrences(str(corpus), output=out, min_count=2)
    lock = tmp_path / (".cooc" + _store.LOCK_FILE)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    mark = _faults.owner_mark().split("-p")[0] + f"-p{dead.stdout.strip()}s1"
    lock.write_text(mark + "\n")
    count_cooccurrences(str(corpus), output=out, min_count=2)
    assert load_cooccurrences(out).matrix.nnz > 0 and not lock.exists()


@linux_only
@pytest.mark.slow
def test_two_counters_race_for_one_folder(corpus, tmp_path):
    out = tmp_path / "cooc"
    code = ("import sys; from embedkit.cooc import count_cooccurrences; from embedkit.errors import EmbedkitError\n"
            "try:\n    count_cooccurrences(sys.argv[1], output=sys.argv[2], min_count=2, threads=1); print('ok')\n"
            "except EmbedkitError as e:\n    print(e)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", code, str(corpus), str(out)], env=env, stdout=subprocess.PIPE,
                              text=True) for _ in range(2)]
    results = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert "ok" in results
    assert all(r == "ok" or "being written by another run" in r for r in results), results
    assert load_cooccurrences(out).matrix.nnz > 0
    assert sorted(os.listdir(tmp_path)) == ["cooc"]


@linux_only
@pytest.mark.slow
def test_full_tmp_dir_while_restricting_a_folder_is_one_line(corpus, tmp_path, tmpdir_env, full_disk):
    """A higher --min-count on a --cooc folder with --memory writes the kept rows to --tmp-dir: a full
    one ends with one line, and neither the vectors nor the partly written rows are left."""
    small, how = full_disk
    if how == "fsize":
        pytest.skip("a file size limit applies to every file, not to one folder")
    folder, out = tmp_path / "cooc", tmp_path / "v.txt"
    code, stderr, _ = _invoke(["cooc", str(corpus), "-o", str(folder), "--min-count", "1", "-q"])
    assert code == 0, stderr
    code, stderr, _ = _invoke(["train", "ppmi-svd", "--cooc", str(folder), "--min-count", "3", "--memory", "64K",
                               "--tmp-dir", str(small), "--dim", "10", "-o", str(out), "-q"])
    line = _one_line(stderr)
    assert code == 1
    assert "no space left on " in line and "while writing the restricted co-occurrences" in line, line
    assert "MB more needed" in line, line
    assert not out.exists() and os.listdir(small) == [] and os.listdir(tmpdir_env) == []


def test_an_interruption_after_an_output_is_in_place_says_it_stays(tmp_path):
    """Interrupted once an output is complete and in place (say, while the status line prints), the
    line names it instead of saying that nothing was written."""
    from embedkit import _util

    _util.WRITTEN.clear()
    try:
        assert "no output was written" in _faults.interruption_line(KeyboardInterrupt())
        with _util.output_group():
            with _util.atomic_write(tmp_path / "a.txt", "w") as f:
                f.write("x\n")
            assert "no output was written" in _faults.interruption_line(KeyboardInterrupt())  # not renamed yet
        line = _faults.interruption_line(KeyboardInterrupt())
        assert line == (f"Interrupted (SIGINT); {tmp_path / 'a.txt'} had been written in full and stays; temporary "
                        "files were removed.")
    finally:
        _util.WRITTEN.clear()


def test_a_signal_wrapped_by_c_code_is_an_interruption(run, write_corpus, monkeypatch):
    """Ctrl-C inside C code (Numba loading a cached kernel) surfaces as a SystemError around the
    KeyboardInterrupt: it is one interruption line and exit 130, not a traceback."""
    import embedkit.vocab

    def interrupted(*a, **k):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as e:
            raise SystemError("<built-in function load> returned a result with an exception set") from e

    monkeypatch.setattr(embedkit.vocab, "build_vocab", interrupted)
    r = run("vocab", write_corpus("a b c\n"))
    assert r.exit_code == 130 and r.stderr.strip().splitlines() == [
        "Interrupted (SIGINT); no output was written and temporary files were removed."], r.output


def test_a_killed_process_not_yet_reaped_counts_as_gone():
    """A process killed but not yet reaped by its parent (a zombie) holds its id: the folders it left
    are swept by the next run all the same, not one run later."""
    child = subprocess.Popen(["sleep", "30"])
    try:
        mark = f"{_faults._HOST}-p{child.pid}s{_faults._start_ticks(child.pid)}"
        assert not _faults._owner_gone(f"embedkit-corpus-{mark}-x")  # running
        child.kill()
        for _ in range(200):  # until the kernel has made it a zombie (it is not waited for yet)
            fields = _faults._proc_stat(child.pid)
            if fields and fields[0] == b"Z":
                break
            time.sleep(0.01)
        assert _faults._owner_gone(f"embedkit-corpus-{mark}-x")
    finally:
        child.kill()
        child.wait()


def test_resource_warnings_are_not_shown_to_the_user(run, write_corpus, monkeypatch):
    """The command line shows every library warning, but not Python's ResourceWarning (off by default):
    an interruption that left a file unclosed added an "unclosed file" line to its one line."""
    import warnings

    import embedkit.vocab

    real = embedkit.vocab.build_vocab

    def leaky(*a, **k):
        warnings.warn("unclosed file <_io.BufferedReader name='run00026.ptr'>", ResourceWarning)
        warnings.warn("a library warning", UserWarning)
        return real(*a, **k)

    monkeypatch.setattr(embedkit.vocab, "build_vocab", leaky)
    r = run("vocab", write_corpus("a b c\n"), "--min-count", "1")
    assert r.exit_code == 0 and r.stderr.strip().splitlines() == ["Warning: a library warning"], r.output
