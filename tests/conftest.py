"""Shared fixtures and helpers: every test module takes them from here, never from another module.

Helpers (fixtures, so a test module imports nothing from another test module):

- ``run(*args, input=None, env=None) -> click.testing.Result``: ``embedkit ARGS...`` in-process
  through click's ``CliRunner`` (arguments are turned into strings); ``result.stdout`` and
  ``result.stderr`` are separate. Every successful invocation is recorded, so that the fast tier
  can check that it runs every CLI command (``tests/test_tiers.py``).
- ``assert_one_line_error(result, *words, code=None, absent=())``: README's promise for a user's
  mistake: a non-zero exit (``code`` if given), no exception but ``SystemExit``, no "Traceback",
  exactly one stderr line, starting "Error: " and containing every one of ``words``, and none
  of the paths in ``absent`` (a path or a list of paths: outputs that must not be written).
- ``sample_vectors``: session-scoped ``(Vectors, path)``: PPMI+SVD of the bundled sample at dim 20,
  trained once and saved as a word2vec text file, for every test that needs real vectors.
- ``sample_path``, ``sample_scan`` ((Vocab, EncodedCorpus) at min_count 5), ``shared_data``,
  ``write_corpus(text or bytes, name="c.txt") -> path``.
- ``mapped_kb(path) -> int or None``: resident KB of this process's file mappings under ``path``
  (/proc/self/smaps), to check that a streamed reader lets the pages it read go.

Tiers: ``pytest -m "not slow"`` is the fast tier (the one-minute loop); ``pytest`` runs
everything (CI). ``slow`` marks tests that train to quality floors, compile many kernels, start
browsers, Dask clusters or external tools, or fuzz. ``shared`` marks tests that need
``../shared/data``; they are skipped when it is absent.
"""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
SAMPLE = ROOT / "data" / "sample.txt.xz"
SHARED_DATA = ROOT.parent / "shared" / "data"

#: CLI command path (e.g. ("train", "glove")) -> {"fast": test ids, "slow": test ids} of the tests whose
#: invocation of it through `run` succeeded (exit 0, not --help): errors alone do not count as covering a command
INVOKED = {}
#: fixture name -> the commands its setup ran to exit 0 through `run`: a fixture set up once per module
#: (say, a model trained through the CLI) exercises its command for every test that uses it, whichever
#: test happened to set it up first
FIXTURE_INVOKED = {}
_CURRENT = {"item": None, "fixture": None}


# ---------------------------------------------------------------- collection
#: docstring examples that train a model or count a corpus (seconds each): they run in the slow tier
SLOW_DOCTESTS = {"embedkit", "embedkit.vocab.merge_vocab", "embedkit.glove.train_glove", "embedkit.glove.fit_glove",
                 "embedkit.fasttext.train_fasttext", "embedkit.word2vec.train_word2vec",
                 "embedkit.ppmi_svd.train_ppmi_svd", "embedkit.ppmi_svd.fit_ppmi_svd", "embedkit.phrases.find_phrases"}


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason=f"{SHARED_DATA} is absent")
    for item in items:
        if type(item).__name__ == "DoctestItem" and item.name in SLOW_DOCTESTS:
            item.add_marker(pytest.mark.slow)
        if "shared_data" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.shared)  # one rule: a test that reads ../shared is marked shared
        if item.get_closest_marker("shared") and not SHARED_DATA.is_dir():
            item.add_marker(skip)
    # the tier checks read what every other test did, so they run last
    items.sort(key=lambda item: item.path.name == "test_tiers.py")


def fast_commands(items):
    """The commands fast tests ran to exit 0 through ``run``, themselves or through their fixtures."""
    done = {c for c, v in INVOKED.items() if v["fast"]}
    for item in items:
        if not item.get_closest_marker("slow"):
            for name in getattr(item, "fixturenames", ()):
                done |= FIXTURE_INVOKED.get(name, set())
    return done


def tier_problems(fast_cmds, items_fast_files, test_files):
    """What the fast tier lacks: test modules with no fast test (and no module-level slow mark), and CLI
    commands that no fast test runs to exit 0 through ``run`` (``fast_cmds``: see :func:`fast_commands`);
    ``items_fast_files`` are the file names of collected tests not marked slow."""
    from embedkit.cli import cli

    problems = []
    missing = []
    for path in sorted(test_files):
        text = path.read_text(encoding="utf-8")
        if path.name not in items_fast_files and "pytestmark = pytest.mark.slow" not in text \
                and "pytestmark = [pytest.mark.slow" not in text:
            missing.append(path.name)
    if missing:
        problems.append(f"test modules with no test outside the slow tier: {missing}")
    commands = [" ".join(c) for c in leaf_commands(cli) if c not in fast_cmds]
    if commands:
        problems.append(f"CLI commands no fast test runs successfully through `run`: {commands}")
    return problems


def leaf_commands(group, prefix=()):
    """Every command path of a click group: ("train", "glove"), ("similar",), ..."""
    import click

    for name, cmd in sorted(group.commands.items()):
        if isinstance(cmd, click.Group):
            yield from leaf_commands(cmd, prefix + (name,))
        else:
            yield prefix + (name,)


def _tier_check_applies(config):
    return whole_suite(config) and (config.option.markexpr or "") in ("", "not slow")


def fast_files(items):
    return {item.path.name for item in items if not item.get_closest_marker("slow")}


# Under pytest-xdist each worker sees only its share of the tests, so the workers hand what they saw to
# the controller, which runs the tier checks once all of them are done (test_tiers.py skips in workers).
_GATHERED = {"fast_commands": set(), "fast_files": set(), "workers": 0}


def pytest_sessionfinish(session, exitstatus):
    out = getattr(session.config, "workeroutput", None)
    if out is not None:  # an xdist worker
        out["embedkit_fast_commands"] = sorted(list(c) for c in fast_commands(session.items))
        out["embedkit_fast_files"] = sorted(fast_files(session.items))
        return
    if not _GATHERED["workers"] or not _tier_check_applies(session.config) or session.shouldfail \
            or exitstatus not in (0, 1):
        return
    problems = tier_problems(_GATHERED["fast_commands"], _GATHERED["fast_files"], TESTS.glob("test_*.py"))
    if problems:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        reporter.ensure_newline()
        for line in problems:
            reporter.write_line(f"FAILED tier check: {line}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    out = getattr(node, "workeroutput", None) or {}
    if "embedkit_fast_commands" not in out:
        return
    _GATHERED["workers"] += 1
    _GATHERED["fast_files"].update(out["embedkit_fast_files"])
    _GATHERED["fast_commands"].update(tuple(c) for c in out["embedkit_fast_commands"])


def whole_suite(config):
    """True when this run collected every test module (no paths, -k, --deselect or --lf narrowing it)."""
    if config.option.keyword or config.getoption("deselect", None) or config.getoption("lf", False):
        return False
    here = Path(config.invocation_params.dir)
    paths = {(here / str(a).split("::")[0]).resolve() for a in config.args}
    return ROOT in paths or TESTS in paths


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    _CURRENT["item"] = item  # fixtures set up for this test (module-scoped ones too) count as its invocations


def pytest_runtest_teardown(item):
    _CURRENT["item"] = None


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    outer = _CURRENT["fixture"]
    _CURRENT["fixture"] = fixturedef.argname
    try:
        yield
    finally:
        _CURRENT["fixture"] = outer


# ---------------------------------------------------------------- CLI helpers
def command_path(args):
    """The command an argument list invokes: ("train", "glove"), ("similar",), or () for none."""
    import click

    from embedkit.cli import cli

    group, path = cli, []
    for a in args:
        sub = group.commands.get(a) if not a.startswith("-") else None
        if sub is None:
            if a.startswith("-"):
                continue  # a group option (-q), or --help/--version
            break
        path.append(a)
        if not isinstance(sub, click.Group):
            break
        group = sub
    return tuple(path)


def invoke(*args, input=None, env=None):
    """``embedkit ARGS...`` in-process; returns click's Result (stdout and stderr separate)."""
    from click.testing import CliRunner

    from embedkit.cli import cli

    for a in args:  # run(x for x in xs) would pass one generator: a command that fails and a test that passes
        if not isinstance(a, (str, os.PathLike, int, float)):
            raise TypeError(f"run() takes the arguments one by one (run(*args)), got {type(a).__name__}")
    args = [os.fspath(a) if isinstance(a, os.PathLike) else str(a) for a in args]
    result = CliRunner().invoke(cli, args, input=input, env=env)
    item = _CURRENT["item"]
    if item is not None and result.exit_code == 0 and not {"-h", "--help", "--version"} & set(args):
        tier = "slow" if item.get_closest_marker("slow") else "fast"
        INVOKED.setdefault(command_path(args), {"fast": set(), "slow": set()})[tier].add(item.nodeid)
    if _CURRENT["fixture"] is not None and result.exit_code == 0 and not {"-h", "--help", "--version"} & set(args):
        FIXTURE_INVOKED.setdefault(_CURRENT["fixture"], set()).add(command_path(args))
    return result


def one_line_error(result, *words, code=None, absent=()):
    """Assert README's promise for a user's mistake (see the module docstring)."""
    stderr = result.stderr
    assert result.exit_code not in (0, None), f"exit {result.exit_code}; stdout: {result.stdout!r}"
    if code is not None:
        assert result.exit_code == code, f"exit {result.exit_code}, not {code}; stderr: {stderr!r}"
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output, result.output
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"{len(lines)} stderr lines: {stderr!r}"
    assert lines[0].startswith("Error: "), stderr
    for w in words:
        assert w in lines[0], f"{w!r} not in {lines[0]!r}"
    for p in [absent] if isinstance(absent, (str, os.PathLike)) else absent:
        assert not os.path.exists(p), f"failed, but wrote {p}"


@pytest.fixture(scope="session")
def run():
    return invoke


@pytest.fixture(scope="session")
def assert_one_line_error():
    return one_line_error


def resident_mapped_kb(path):
    """Resident KB of this process's mappings of file ``path``, or of the files whose path starts
    with ``path`` (a folder, a name's prefix); None where /proc has no smaps."""
    try:
        with open("/proc/self/smaps") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    total, inside = 0, False
    for line in lines:
        head = line.split()
        if "-" in head[0] and not head[0].endswith(":"):
            inside = len(head) >= 6 and head[5].startswith(os.fspath(path))
        elif inside and head[0] == "Rss:":
            total += int(head[1])
    return total


@pytest.fixture(scope="session")
def mapped_kb():
    return resident_mapped_kb


# ---------------------------------------------------------------- data
@pytest.fixture(scope="session")
def sample_path():
    return SAMPLE


@pytest.fixture(scope="session")
def shared_data():
    """../shared/data; a test taking it is marked ``shared`` and skipped when the folder is absent."""
    return SHARED_DATA


@pytest.fixture(scope="session")
def sample_scan():
    """(Vocab, EncodedCorpus) of the bundled sample at min_count 5, scanned once per session."""
    from embedkit.vocab import scan_corpus

    return scan_corpus(SAMPLE, min_count=5)


@pytest.fixture(scope="session")
def sample_vectors(sample_scan, tmp_path_factory):
    """(Vectors, path of their word2vec text file): PPMI+SVD of the sample at dim 20, trained once."""
    from embedkit.cooc import count_cooccurrences
    from embedkit.ppmi_svd import fit_ppmi_svd
    from embedkit.vectors import Vectors

    v = fit_ppmi_svd(count_cooccurrences(sample_scan, window=5), dim=20, seed=1).vectors
    path = tmp_path_factory.mktemp("sample_vectors") / "v.txt"
    v.save(path)
    return Vectors.load(path), path


@pytest.fixture
def write_corpus(tmp_path):
    """write_corpus(text or bytes, name="c.txt") -> path of a file holding it."""

    def write(content, name="c.txt"):
        p = tmp_path / name
        p.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return p

    return write


@pytest.fixture(scope="session")
def sample_head(sample_scan):
    """sample_head(n_sentences=20) -> (Vocab, EncodedCorpus): the sample's first sentences, its whole vocabulary."""
    from embedkit.vocab import EncodedCorpus

    vocab, enc = sample_scan

    def head(n_sentences=20):
        return vocab, EncodedCorpus(enc.ids[:enc.offsets[n_sentences]], enc.offsets[:n_sentences + 1], enc.counts)

    return head
