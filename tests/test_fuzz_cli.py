"""A fuzzed command line: generated invocations of every command, each checked for the promises
of README's Errors section.

Every command is enumerated from the click group (new commands are covered as soon as they
exist) and invoked in-process with click's CliRunner, with random options and values (valid,
out of range, junk), and random files: good, empty, binary, truncated, of the wrong kind,
missing, and outputs in missing or wrong places. For each invocation:

- no exception escapes (under CliRunner a traceback would not show in the output, so the test
  looks at ``result.exception``: only SystemExit is allowed);
- an error is at most 3 lines on stderr, one of them ``Error: ...``, and writes no output;
- exit 0 means every output written loads back (vectors: finite, at least one word);
- no temporary file is left behind, beside the outputs or in the temporary folder.

Seeded: a failure prints the seed, the invocation's number and its argv. Reproduce one with
``EMBEDKIT_FUZZ_SEED=S EMBEDKIT_FUZZ_ONLY=I pytest tests/test_fuzz_cli.py`` (``I`` may be a
comma-separated list, when an invocation depends on an earlier one); run more with
``EMBEDKIT_FUZZ_N``.
"""

import gc
import gzip
import os
import pickle
import random
import shlex
import tempfile
import time
import traceback
from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner

from embedkit.cli import OutputDir, OutputFile, cli
from embedkit.cooc import load_cooccurrences
from embedkit.formats import output_paths

pytestmark = pytest.mark.slow  # 1,000 invocations

SEED = int(os.environ.get("EMBEDKIT_FUZZ_SEED", "20261201"))
N = int(os.environ.get("EMBEDKIT_FUZZ_N", "1000"))
ONLY = os.environ.get("EMBEDKIT_FUZZ_ONLY")
PROFILE = os.environ.get("EMBEDKIT_FUZZ_PROFILE")  # print time spent per command

WORDS = ("the of and in to a is was for on as by with king queen man woman paris france rome italy "
         "berlin germany city country river sea cat dog good bad big small old new red blue").split()


def commands(group=cli, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        if isinstance(cmd, click.Group):
            yield from commands(cmd, prefix + (name,))
        else:
            yield prefix + (name,), cmd


#: relative frequency of each command in the mix: cheap commands more often
WEIGHTS = {"similar": 3, "analogy": 3, "docsim": 3, "convert": 3, "vocab": 3, "export": 1.5, "eval": 1,
           "compare": 1, "explore": 1}
#: cheap values given unless the fuzzer picked the option itself
CHEAP = {"dim": "4", "epochs": "1", "threads": "1", "bucket": "1000", "n_iter": "1", "bootstrap": "10",
         "max_iter": "250", "n_words": "40", "min_count": "2"}
#: per-option pools: (values that should work, values that should not); strings as typed
POOLS = {
    "dim": (["2", "4", "8"], ["-1", "0", "1000", "x"]),
    "epochs": (["1", "2", "3"], ["-1", "0"]),
    "window": (["1", "2", "5"], ["-1", "0", "1001"]),
    "negative": (["0", "1", "3"], ["-1", "50"]),
    "min_count": (["1", "2", "5"], ["-1", "0", "1000000"]),
    "max_vocab": (["3", "10", "1000"], ["-1", "0", "1"]),
    "threads": (["1", "2"], ["-1", "0", "64"]),
    "seed": (["0", "1", "7"], ["-1", str(2 ** 70)]),
    "bucket": (["10", "1000"], ["-1", "0", "1"]),
    "minn": (["2", "3"], ["-1", "0", "6", "50"]),
    "maxn": (["3", "5"], ["-1", "0", "2", "50"]),
    "n_iter": (["0", "1", "2"], ["-1"]),
    "max_iter": (["250", "300"], ["-1", "100"]),
    "bootstrap": (["0", "10"], ["-1", "1"]),
    "n_words": (["5", "20", "40"], ["-1", "0", "1", "100000"]),
    "topn": (["1", "3", "10"], ["-1", "0", "100000"]),
    "restrict": (["3", "30", "1000"], ["-1", "0", "1"]),
    "clusters": (["0", "2", "3"], ["-1", "1", "1000"]),
    "perplexity": (["2", "5"], ["-1", "0", "30", "nan"]),
    "pca": (["2", "3"], ["-1", "1", "4"]),
    "tsne": (["2"], ["1", "3"]),
    "max_words": (["5", "20"], ["-1", "0", "1"]),
    "memory": (["1M", "64M"], ["lots", "0", "100k", "-5M"]),
    "plot_size": (["320x240", "400x300"], ["0x0", "abc", "100000x5"]),
    "ci": (["0.5", "0.95"], ["-1", "0", "1", "nan"]),
    "max_mb": (["1", "50"], ["-1", "0", "0.001", "nan"]),
    "title": (["t", "caf\u00e9", "<script>alert(1)</script>"], [""]),
    "sample": (["0", "1e-3", "1e-5"], ["-1", "nan", "2"]),
    "alpha": (["0.025", "0.05"], ["-1", "0", "50", "nan"]),
    "min_alpha": (["0", "1e-4"], ["-1", "1", "nan"]),
    "learning_rate": (["0.05", "0.1"], ["-1", "0", "1e30", "nan"]),
}
INTS = (["1", "2", "3", "5"], ["-1", "0", "x", "1.5", ""])
FLOATS = (["0.01", "0.5", "1", "2"], ["-1", "0", "1e30", "nan", "inf", "x"])
WORD_ARGS = (["king", "queen", "man", "woman", "paris", "france", "the", "King", "PARIS", "a b"],
             ["xyzzy", "", "naïve", "x" * 300, "-", "1", "--", "caf\u00e9"])
SKIP_OPTIONS = {"dask"}  # a cluster (or a connection timeout) per invocation is not cheap
SUFFIXES = [".txt", ".txt", ".vec", ".bin", ".npy", ".txt.gz", ".bz2", ".xz", ".tsv", ".png", ".html", ""]


# ---------------------------------------------------------------- the files
def _write_vectors(path, words, dim, rng, fmt):
    from embedkit.vectors import Vectors

    m = rng.standard_normal((len(words), dim)).astype(np.float32)
    Vectors(list(words), m, np.arange(len(words), 0, -1) * 10).save(path, format=fmt)


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    base = tmp_path_factory.mktemp("fuzz")
    rng = np.random.default_rng(0)
    prng = random.Random(0)
    d = base / "in"
    d.mkdir()
    sentences = [" ".join(prng.choices(WORDS, weights=[1 / (k + 1) for k in range(len(WORDS))],
                                       k=prng.randint(4, 12))) for _ in range(300)]
    text = "\n".join(sentences) + "\n"
    (d / "corpus.txt").write_text(text)
    (d / "corpus.gz").write_bytes(gzip.compress(text.encode()))
    (d / "truncated.gz").write_bytes(gzip.compress(text.encode())[:200])
    (d / "empty.txt").write_bytes(b"")
    (d / "blank.txt").write_text(" \n\n\t \n")
    (d / "random.bin").write_bytes(prng.randbytes(20000))
    (d / "nul.txt").write_bytes(text[:500].encode() + b"\x00\x00" + text[500:1000].encode())
    (d / "latin1.txt").write_bytes(text.replace("paris", "p\xe2ris").encode("latin-1"))
    (d / "oneline.txt").write_text(" ".join(text.split()) * 3)
    (d / "two").mkdir()
    (d / "two" / "a.txt").write_text(text[: len(text) // 2])
    (d / "two" / "b.txt").write_text(text[len(text) // 2:])
    (d / "emptydir").mkdir()
    (d / "afile").write_text("not a folder\n")
    vocab_words = WORDS
    _write_vectors(d / "v.txt", vocab_words, 6, rng, "word2vec")
    _write_vectors(d / "v.bin", vocab_words, 6, rng, "word2vec-binary")
    _write_vectors(d / "g.txt", vocab_words, 6, rng, "glove")
    _write_vectors(d / "v.npy", vocab_words, 6, rng, "npy")
    _write_vectors(d / "small.txt", vocab_words[:3], 2, rng, "word2vec")
    (d / "v.txt.gz").write_bytes(gzip.compress((d / "v.txt").read_bytes()))
    good = (d / "v.txt").read_text().splitlines()
    (d / "truncated.txt").write_text("\n".join(good[:5]) + "\n")
    (d / "truncated.bin").write_bytes((d / "v.bin").read_bytes()[:300])
    (d / "badrow.txt").write_text("\n".join(good[:3] + ["queen 1 2 x 4 5 6"] + good[4:]) + "\n")
    (d / "nan.txt").write_text("2 3\nking nan 1 2\nqueen 1 inf 3\n")
    (d / "dup.txt").write_text("2 2\nking 1 2\nking 3 4\n")
    (d / "header_only.txt").write_text("0 5\n")
    (d / "vocab.txt").write_text("".join(f"{w} {100 - i}\n" for i, w in enumerate(vocab_words)))
    (d / "model.pkl").write_bytes(pickle.dumps({"king": [1.0, 2.0]}))
    (d / "sim.tsv").write_text("king queen 8.5\nman woman 8.0\nparis france 7\ncat xyzzy 1\n")
    (d / "bad_sim.tsv").write_text("king queen\nman woman lots\n")
    (d / "analogy.txt").write_text(": capital\nparis france rome italy\nberlin germany paris france\n")
    (d / "bad_analogy.txt").write_text("paris france rome\n")
    (d / "words.txt").write_text("king\nqueen\nparis\nxyzzy\n")
    (d / "pairs.txt").write_text("king queen\nman woman\n")
    files = {  # (good, bad) for each kind of input
        "corpus": ([d / "corpus.txt", d / "corpus.gz", d / "two", d / "oneline.txt", d / "latin1.txt", "-"],
                   [d / "truncated.gz", d / "empty.txt", d / "blank.txt", d / "random.bin", d / "nul.txt",
                    d / "emptydir", d / "missing.txt", d / "v.bin", d / "afile" / "x"]),
        "vectors": ([d / "v.txt", d / "v.bin", d / "g.txt", d / "v.npy", d / "v.txt.gz", d / "small.txt"],
                    [d / "truncated.txt", d / "truncated.bin", d / "badrow.txt", d / "nan.txt", d / "dup.txt",
                     d / "header_only.txt", d / "vocab.txt", d / "model.pkl", d / "corpus.txt", d / "empty.txt",
                     d / "random.bin", d / "missing.txt", d / "emptydir", d / "v.vocab"]),
        "sim": ([d / "sim.tsv"], [d / "bad_sim.tsv", d / "empty.txt", d / "random.bin", d / "missing.txt",
                                  d / "analogy.txt"]),
        "analogy": ([d / "analogy.txt"], [d / "bad_analogy.txt", d / "empty.txt", d / "random.bin",
                                          d / "missing.txt", d / "sim.tsv"]),
        "words": ([d / "words.txt"], [d / "empty.txt", d / "random.bin", d / "missing.txt", d / "emptydir"]),
        "counts": ([d / "vocab.txt"], [d / "v.txt", d / "empty.txt", d / "random.bin", d / "missing.txt"]),
        "pairs": ([d / "pairs.txt"], [d / "empty.txt", d / "random.bin", d / "missing.txt"]),
        "dir": ([base / "scratch"], [d / "afile", d / "missing-dir"]),
    }
    (base / "scratch").mkdir()
    runner = CliRunner()
    coocs = ([], [d / "emptydir", d / "afile", d / "missing-dir", d / "v.txt"])
    if "cooc" in cli.commands:
        for name, weighting in (("cooc_u", "uniform"), ("cooc_h", "harmonic")):
            r = runner.invoke(cli, ["cooc", str(d / "corpus.txt"), "-o", str(d / name), "--min-count", "2",
                                    "--weighting", weighting])
            assert r.exit_code == 0, r.output
            coocs[0].append(d / name)
    files["cooc"] = coocs
    return base, files


# ---------------------------------------------------------------- generating an invocation
class Invocation:
    def __init__(self, command, argv, outputs, stdin):
        self.command = command
        self.argv = [str(a) for a in argv]
        self.outputs = outputs  # [(param, path)] of fresh outputs in a writable place
        self.stdin = stdin


def _input_kind(p):
    name = p.name
    if name in ("corpus", "textfile", "fit_corpus"):
        return "corpus"
    if name == "counts":
        return "counts"
    if name == "cooc":
        return "cooc"
    if name in ("sim",):
        return "sim"
    if name in ("analogy",) and isinstance(p.type, click.Path):
        return "analogy"
    if name.startswith("words"):
        return "words"
    if name.startswith("pairs") or name == "dictionary":
        return "pairs"
    if name.endswith("dir"):
        return "dir"
    return "vectors"


def _output_value(p, rng, out_dir, files, outputs):
    r = rng.random()
    afile = files["dir"][1][0]
    if r < 0.05:
        return out_dir / "no-such-folder" / "x.txt"
    if r < 0.08:
        return afile if isinstance(p.type, OutputDir) else out_dir
    if r < 0.1:
        return afile / "under-a-file"
    if r < 0.13:  # a folder without write permission (root may still write there)
        path = files["readonly"] / f"x{rng.randrange(10 ** 9)}.txt"
        if os.access(files["readonly"], os.W_OK):
            outputs.append((p, path))
        return path
    if r < 0.2 and p.type.allow_dash:
        return "-"
    stem = f"o{len(os.listdir(out_dir))}-{rng.randrange(10 ** 9)}"
    path = out_dir / (stem if isinstance(p.type, OutputDir) else stem + rng.choice(SUFFIXES))
    outputs.append((p, path))
    return path


def _value(p, rng, out_dir, files, outputs, bad):
    """One value for parameter ``p``: one that should work, or (``bad``) one that should not."""
    if isinstance(p.type, OutputFile) and not p.type.exists:
        return _output_value(p, rng, out_dir, files, outputs)
    if isinstance(p.type, click.Path):
        pool = files[_input_kind(p)]
    elif isinstance(p.type, click.Choice):
        pool = (list(p.type.choices), ["bogus", ""])
    elif p.name in POOLS:
        pool = POOLS[p.name]
    elif isinstance(p.type, (click.types.FloatParamType, click.types.FloatRange)):
        pool = FLOATS
    elif isinstance(p.type, (click.types.IntParamType, click.types.IntRange)):
        pool = INTS
    else:
        pool = WORD_ARGS
    return rng.choice(pool[1] if bad and pool[1] else pool[0] or pool[1])


def make_invocation(rng, cmds, out_dir, files):
    """A random invocation: mostly values that should work with one mutation, sometimes chaos."""
    argv_prefix, cmd = rng.choices(cmds, weights=[WEIGHTS.get(a[-1], 1.0) for a, _ in cmds])[0]
    chaos = rng.random() < 0.2
    params = [p for p in cmd.params if p.name not in SKIP_OPTIONS and not getattr(p, "hidden", False)]
    use_cooc = any(p.name == "cooc" for p in params) and rng.random() < 0.3  # --cooc DIR instead of CORPUS
    taken = [p for p in params if isinstance(p, click.Argument) or p.required or
             (use_cooc if p.name == "cooc" else rng.random() < {"pca": 0.6, "tsne": 0.08}.get(p.name, 0.3))]
    mutated = rng.choice(taken) if taken and not chaos and rng.random() < 0.6 else None
    outputs, args, opts = [], [], []  # opts: a list of units, [flag] or [flag, value]
    for p in taken:
        bad = rng.random() < 0.4 if chaos else p is mutated
        if isinstance(p, click.Argument):
            if p.name == "corpus" and use_cooc != (rng.random() < 0.05):
                continue  # --cooc instead (and now and then neither, or both)
            if bad and rng.random() < 0.1:
                continue  # a missing argument
            n = rng.randint(1, 3) if p.nargs == -1 else p.nargs
            args += [_value(p, rng, out_dir, files, outputs, bad) for _ in range(n)]
            continue
        if p.required and bad and rng.random() < 0.1:
            continue  # a missing required option
        flag = rng.choice(p.opts)
        if p.is_flag:
            opts.append([flag if not p.secondary_opts or rng.random() < 0.5 else p.secondary_opts[0]])
        else:
            for _ in range(2 if p.multiple and rng.random() < 0.3 else 1):
                opts.append([flag, _value(p, rng, out_dir, files, outputs, bad)])
    names = {p.name: p for p in cmd.params if isinstance(p, click.Option)}
    for name, value in CHEAP.items():
        if name in names and names[name] not in taken:
            opts.append([names[name].opts[-1], value])
    if chaos and rng.random() < 0.1:
        opts.append(["--no-such-option"])
    if rng.random() < 0.3:
        opts.append(["-q"])
    if chaos and rng.random() < 0.3:  # options between and before the arguments (kept in their order)
        units = [[a] for a in args] + opts
        slots = sorted(rng.sample(range(len(units)), len(args)))
        rest = iter(opts)
        arg_iter = iter(args)
        tail = [x for k in range(len(units)) for x in ([next(arg_iter)] if k in slots else next(rest))]
    else:
        tail = args + [x for unit in opts for x in unit]
    stdin = None
    if "-" in [str(a) for a in args]:
        stdin = rng.choice([b"", b"king queen man woman\n" * 50, bytes(range(256)) * 10,
                            gzip.compress(b"the cat sat on the mat\n" * 40)])
    return Invocation(argv_prefix, [*argv_prefix, *tail], outputs, stdin)


# ---------------------------------------------------------------- checking a result
def _load_vectors(path, fmt=None):
    from embedkit.vectors import Vectors

    v = Vectors.load(path)
    m = np.asarray(v.matrix)
    assert len(v) >= 1 and m.ndim == 2 and m.shape[1] >= 1, f"{path}: {m.shape}"
    assert np.isfinite(m).all(), f"{path}: vectors that are not finite"


def _vector_paths(inv, path):
    """The files a vectors output writes (the .npy pair from the suffix rule)."""
    argv = inv.argv
    fmt = None
    for flag in ("--format", "--to"):
        if flag in argv and argv.index(flag) + 1 < len(argv):
            fmt = argv[argv.index(flag) + 1]
    if "--binary" in argv:
        fmt = "word2vec-binary"
    return output_paths(path, fmt)


def check_output(inv, p, path):
    """Exit 0: the output ``path`` of parameter ``p`` loads back."""
    command = inv.command[0]
    if p.name == "output" and command == "vocab":
        from embedkit.vocab import Vocab

        assert len(Vocab.load(path)) >= 1
    elif p.name == "output" and command == "cooc":
        c = load_cooccurrences(path)
        n = len(c.words)
        assert n >= 1 and c.matrix.shape == (n, n) and np.isfinite(c.matrix.data).all(), f"{path}: {c.matrix.shape}"
    elif command == "phrases" and p.name == "output":  # phrased text: it scans as a corpus
        from embedkit.vocab import build_vocab

        assert len(build_vocab(path, min_count=1)) >= 1
    elif command == "phrases" and p.name == "save_table":
        from embedkit.phrases import PhraseTable

        assert PhraseTable.load(path).passes
    elif command == "classes" and p.name == "output":  # word2vec's -classes format: 'word class' lines
        rows = [line.split(" ") for line in Path(path).read_text(encoding="utf-8").splitlines()]
        assert rows and {len(r) for r in rows} == {2} and all(int(r[1]) >= 0 for r in rows), path
    elif command == "export" and p.name == "output":
        header, *rows = [line.split("\t") for line in Path(path).read_text(encoding="utf-8").splitlines()]
        assert header[0] == "word" and rows and {len(r) for r in rows} == {len(header)}
        [float(x) for r in rows for x in r[1:]]
    elif p.name == "plot":
        assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    elif p.name == "projector":
        vecs = Path(path, "vectors.tsv").read_text(encoding="utf-8").splitlines()
        meta = Path(path, "metadata.tsv").read_text(encoding="utf-8").splitlines()
        assert vecs and len(vecs) == len(meta)
    elif command == "docvec":  # a float32 matrix, one row per line of text
        m = np.load(path)
        assert m.ndim == 2 and m.shape[0] >= 1 and np.isfinite(m).all(), m.shape
    elif command == "explore":
        page = Path(path).read_text(encoding="utf-8")
        assert "<html" in page.lower() and page.rstrip().lower().endswith("</html>")
    elif isinstance(p.type, OutputDir):
        assert os.listdir(path), f"{path} is empty"
    elif p.name == "save_model":  # a model file (fastText's .bin), whatever its name
        _load_vectors(path)
    else:  # vectors: -o of trainers and convert, --save-context, new vector writers
        _load_vectors(_vector_paths(inv, path)[0])


def leftovers(*folders):
    """Temporary files or folders left in ``folders`` (atomic writes stage '.NAME.XXXX.tmp')."""
    found = []
    for folder in folders:
        for root, dirs, names in os.walk(folder):
            found += [os.path.join(root, n) for n in dirs + names if n.startswith(".") or n.endswith(".tmp")]
    return found


def check(inv, r, out_dir, readonly):
    """The list of broken promises for one invocation (empty: all kept)."""
    problems = []
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        tb = "".join(traceback.format_exception(type(r.exception), r.exception, r.exception.__traceback__))
        return [f"exception escaped:\n{tb}"]
    err = [line for line in r.stderr.splitlines() if line.strip()]
    if r.exit_code != 0:
        if not any(line.startswith("Error: ") for line in err):
            problems.append("an error without an 'Error: ' line")
        if len(err) > 3:
            problems.append(f"an error of {len(err)} lines on stderr")
        for _, path in inv.outputs:
            if os.path.exists(path):
                problems.append(f"failed, but wrote {path}")
    else:
        for p, path in inv.outputs:
            if not os.path.exists(path) and not any(os.path.exists(f) for f in _vector_paths(inv, path)):
                if p.required or p.name in ("plot", "projector", "save_context", "save_model") or \
                        isinstance(p, click.Argument):
                    problems.append(f"exit 0 but {p.name} {path} was not written")
                continue
            try:
                check_output(inv, p, path)
            except Exception as e:  # noqa: BLE001 - reported with the invocation
                problems.append(f"exit 0 but {p.name} {path} does not load back: {type(e).__name__}: {e}")
    left = leftovers(out_dir, readonly)
    if left:
        problems.append(f"temporary files left: {left}")
    return problems


def snapshot(folder):
    """(size, mtime) of every file below ``folder``: the inputs must never change."""
    return {os.path.join(r, n): (os.stat(os.path.join(r, n)).st_size, os.stat(os.path.join(r, n)).st_mtime_ns)
            for r, _, names in os.walk(folder) for n in names}


def check_temporary(tmp_dir, base):
    """Temporary files left in the temporary folder (once collected) or among the inputs."""
    if os.listdir(tmp_dir):
        gc.collect()  # an encoded corpus is removed when collected (at the latest when a process exits)
    left = leftovers(base) + [os.path.join(tmp_dir, n) for n in os.listdir(tmp_dir)]
    return [f"temporary files left: {left}"] if left else []


def _clean(folder):
    import shutil

    for n in os.listdir(folder):
        p = os.path.join(folder, n)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p, ignore_errors=True)
        else:
            os.unlink(p)


def test_fuzzed_cli(pool, tmp_path, monkeypatch):
    base, files = pool
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    tmp_dir = tmp_path / "tmp"
    tmp_dir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_dir))
    monkeypatch.chdir(out_dir)  # a relative name lands among the outputs
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    readonly.chmod(0o555)
    files = {**files, "readonly": readonly}
    inputs = snapshot(base)
    monkeypatch.setenv("TMPDIR", str(tmp_dir))
    cmds = list(commands())
    runner = CliRunner()
    seen, failures, spent = set(), [], {}
    indices = range(N) if ONLY is None else [int(i) for i in ONLY.split(",")]
    for i in indices:
        rng = random.Random(f"{SEED}-{i}")
        inv = make_invocation(rng, cmds, out_dir, files)
        seen.add(inv.command)
        t0 = time.perf_counter()
        r = runner.invoke(cli, inv.argv, input=inv.stdin)
        spent.setdefault(inv.command, []).append((time.perf_counter() - t0, r.exit_code))
        if PROFILE == "2" and r.exit_code:
            print("#", " ".join(inv.command), r.stderr.strip().splitlines()[-1][:130] if r.stderr.strip() else "")
        problems = check(inv, r, out_dir, readonly)
        said = f"exit {r.exit_code}; stderr: {r.stderr.strip()[-600:]!r}"
        del r  # the exception's frames hold the encoded corpus; a real process frees them at exit
        problems += check_temporary(tmp_dir, base)
        if snapshot(base) != inputs:
            changed = sorted(set(snapshot(base).items()) ^ set(inputs.items()))
            problems.append(f"an input changed: {changed[:4]}")
            failures.append(f"EMBEDKIT_FUZZ_SEED={SEED} EMBEDKIT_FUZZ_ONLY={i}: embedkit "
                            f"{shlex.join(inv.argv)}\n  {said}\n  " + "\n  ".join(problems))
            break  # later invocations would read the changed inputs
        if problems:
            failures.append(f"EMBEDKIT_FUZZ_SEED={SEED} EMBEDKIT_FUZZ_ONLY={i}: embedkit "
                            f"{shlex.join(inv.argv)}\n  {said}\n  " + "\n  ".join(problems))
            if len(failures) >= 10:
                break
        for folder in (out_dir, tmp_dir, readonly):
            _clean(folder)
    for c, ts in sorted(spent.items()) if PROFILE else ():
        print(" ".join(c), len(ts), "runs %.2fs" % sum(t for t, _ in ts), "ok", sum(e == 0 for _, e in ts),
              "max %.2f" % max(t for t, _ in ts))
    assert not failures, "\n\n".join(failures)
    if ONLY is None:
        missing = {a for a, _ in cmds} - seen
        assert not missing, f"commands never invoked: {missing}"
