"""Checks before work: every output and every parameter of every command is checked before the
corpus is read, and every trainer refuses more dimensions than words.

Commands are enumerated from the click group, so a new command is covered as soon as it exists.
"""

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

import embedkit.corpus
import embedkit.vectors
from embedkit.cli import OutputDir, OutputFile, cli

ROOT = Path(__file__).resolve().parents[1]


def commands(group=cli, prefix=()):
    """(argv prefix, command) for every leaf command of the CLI."""
    for name, cmd in sorted(group.commands.items()):
        if isinstance(cmd, click.Group):
            yield from commands(cmd, prefix + (name,))
        else:
            yield prefix + (name,), cmd


def reads_corpus(cmd):
    return any(p.name == "corpus" for p in cmd.params)


CORPUS_COMMANDS = [(argv, cmd) for argv, cmd in commands() if reads_corpus(cmd)]
TRAINERS = [(argv, cmd) for argv, cmd in commands() if argv[0] == "train"]


class Scanned(Exception):
    """Raised by the patched readers: the command started work."""


@pytest.fixture
def no_work(monkeypatch):
    """Reading a corpus or loading vectors raises Scanned."""

    def scanned(*args, **kw):
        raise Scanned

    monkeypatch.setattr(embedkit.corpus, "_open_stream", scanned)
    monkeypatch.setattr(embedkit.vectors.Vectors, "load", classmethod(scanned))


@pytest.fixture
def files(tmp_path):
    """A tiny corpus, a tiny vectors file, an existing folder and an existing file."""
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("the cat sat on the mat\nthe dog sat on the log\n" * 20)
    vectors = tmp_path / "v.txt"
    vectors.write_text("3 2\nthe 1 0\ncat 0 1\ndog 1 1\n")
    (tmp_path / "folder").mkdir()
    return {"corpus": corpus, "vectors": vectors, "folder": tmp_path / "folder", "file": corpus,
            "tmp": tmp_path}


def minimal_args(argv, cmd, files):
    """Arguments that make `argv` a complete command, with outputs in a fresh place."""
    args = list(argv)
    for p in cmd.params:
        if not isinstance(p, click.Argument) or not (p.required or p.name == "corpus"):
            continue
        if p.name == "corpus":
            args.append(files["corpus"])
        elif isinstance(p.type, OutputFile):
            args.append(files["tmp"] / f"out-{p.name}.txt")
        elif isinstance(p.type, click.Path):
            args.append(files["vectors"])
        else:
            args += ["the"] * (p.nargs if p.nargs > 0 else 1)
    for p in cmd.params:
        if isinstance(p, click.Option) and p.required:
            out = files["tmp"] / ("out-dir" if isinstance(p.type, OutputDir) else "out.txt")
            least = getattr(p.type, "min", None) if isinstance(p.type, click.IntRange) else None
            args += [p.opts[-1], out if isinstance(p.type, OutputFile) else str(least or 1)]
    if argv == ("export",):
        args += ["--pca", "2"]
    return args


OUTPUT_NAMES = ("output", "out", "plot", "projector", "html", "save_context", "save_model")


def output_params(cmd):
    return [p for p in cmd.params
            if p.name in OUTPUT_NAMES or p.name.startswith("save_") or isinstance(p.type, OutputFile)]


def test_every_output_is_declared_as_one():
    """A new command's outputs use OutputFile/OutputDir, so they are checked at parse time."""
    seen = 0
    for argv, cmd in commands():
        for p in output_params(cmd):
            if isinstance(p.type, click.Choice) or getattr(p, "is_flag", False):
                continue
            assert isinstance(p.type, OutputFile), f"{' '.join(argv)} {p.name}: use OutputFile or OutputDir"
            seen += 1
    assert seen >= 9  # -o of 4 trainers, vocab, cooc, convert, export (-o, --plot, --projector), --save-context


def bad_output_cases(files):
    missing = files["tmp"] / "no-such-folder" / "x"
    under_file = files["file"] / "x"
    return [(missing, "does not exist"), (under_file, "is not a folder")]


@pytest.mark.parametrize("argv,cmd", [pytest.param(a, c, id=" ".join(a)) for a, c in commands()
                                      if output_params(c)])
def test_every_output_is_checked_before_work(assert_one_line_error, run, no_work, files, argv, cmd):
    base = minimal_args(argv, cmd, files)
    for p in output_params(cmd):
        if not isinstance(p.type, OutputFile):
            continue
        cases = bad_output_cases(files)
        cases.append((files["file"], "is a file") if isinstance(p.type, OutputDir)
                     else (files["folder"], "is a directory"))
        for bad, why in cases:
            args = list(base)
            if isinstance(p, click.Argument):
                args[args.index(files["tmp"] / f"out-{p.name}.txt")] = bad
            else:
                args = args + [p.opts[-1], bad]
            r = run(*args)
            assert_one_line_error(r)
            assert why in r.stderr or (p.type.exists and "does not exist" in r.stderr), r.stderr
            assert ("--" + p.name.replace("_", "-") in r.stderr or p.opts[0] in r.stderr
                    or p.name.upper() in r.stderr), r.stderr


def numeric_options(cmd):
    return [p for p in cmd.params if isinstance(p, click.Option)
            and isinstance(p.type, (click.types.IntParamType, click.types.FloatParamType))]


def bad_values(p):
    return ["-1", "nan"] if isinstance(p.type, click.types.FloatParamType) else ["-1"]


#: values past a limit that a later stage enforces (co-occurrence counting: window <= 1000)
LIMITS = {("train", "ppmi-svd"): [["--window", "1001"]], ("train", "glove"): [["--window", "1001"]],
          ("cooc",): [["--window", "1001"]]}


@pytest.mark.parametrize("argv,cmd", [pytest.param(a, c, id=" ".join(a)) for a, c in CORPUS_COMMANDS])
def test_every_parameter_is_checked_before_the_scan(assert_one_line_error, run, no_work, files, argv, cmd):
    """A bad value fails at once: the corpus is never opened (the patched reader raises Scanned)."""
    base = minimal_args(argv, cmd, files)
    # the scan really happens when every value is good
    assert isinstance(run(*base).exception, Scanned)
    extra = list(LIMITS.get(argv, []))
    for p in numeric_options(cmd):
        extra += [[p.opts[-1], v] for v in bad_values(p)]
    with_memory = any(p.name == "memory" for p in cmd.params) and argv != ("cooc",)
    for opts in extra:
        for memory in ([], ["--memory", "64M"]) if with_memory else ([],):  # counted on disk, then fitted
            r = run(*base, *opts, *memory)
            said = " ".join([*argv, *opts, *memory])
            assert not isinstance(r.exception, Scanned), f"{said}: checked after the scan"
            assert_one_line_error(r)


@pytest.mark.parametrize("argv,cmd", [pytest.param(a, c, id=" ".join(a)) for a, c in TRAINERS])
@pytest.mark.slow
def test_every_trainer_refuses_more_dimensions_than_words(assert_one_line_error, run, files, argv, cmd):
    out = files["tmp"] / "trained.txt"
    args = [*argv, files["corpus"], "-o", out, "--min-count", "1", "--dim", "10", "--threads", "1"]
    if any(p.name == "epochs" for p in cmd.params):
        args += ["--epochs", "1"]
    r = run(*args)  # 7 words
    assert_one_line_error(r, "dim", "vocabulary", "7", "10")
    assert not out.exists()


@pytest.mark.slow
def test_process_substitution_and_fifo_corpus(tmp_path):
    """`<(zcat a.gz)` is a pipe under /dev/fd: it reads like stdin (it cannot seek)."""
    text = tmp_path / "c.txt"
    text.write_text("b a c b a d\nc b e\n")
    script = f"{sys.executable} -m embedkit.cli vocab <(gzip -c {text}) --min-count 2"
    r = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr
    assert r.stdout == "b 3\na 2\nc 2\n"


def test_binary_corpus_is_one_clear_line(assert_one_line_error, run, files):
    p = files["tmp"] / "random.bin"
    p.write_bytes(bytes(range(1, 256)) * 800)  # 200 kB, no NUL, mostly invalid UTF-8
    out = files["tmp"] / "glove.txt"
    r = run("train", "glove", p, "-o", out, "--min-count", "1", "--dim", "2", "--epochs", "1")
    assert_one_line_error(r, "is not text", "not valid UTF-8")
    assert not out.exists()


def test_every_float_option_refuses_nan_and_infinity():
    """Every float option of every command parses with FiniteFloatRange: `--tol nan` exits 2 naming --tol."""
    import conftest
    from embedkit.cli import FiniteFloatRange, cli

    loose = []
    for path in conftest.leaf_commands(cli):
        cmd = cli
        for name in path:
            cmd = cmd.commands[name]
        loose += [f"{' '.join(path)} {p.opts[-1]}" for p in cmd.params
                  if isinstance(p.type, click.types.FloatParamType) and not isinstance(p.type, FiniteFloatRange)]
    assert not loose, loose
