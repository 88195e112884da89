"""The fast tier (``pytest -m "not slow"``) must not silently drop a test module or a CLI command.

Both checks run last (conftest sorts them there) and only when the whole suite was collected;
a run of a few files or ``-k`` skips them. In a full run they look only at tests not marked slow,
so CI fails as soon as a change leaves a command to the slow tier alone.
"""

from pathlib import Path

import click
import pytest

import conftest
from embedkit.cli import cli


def leaf_commands(group=cli, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        if isinstance(cmd, click.Group):
            yield from leaf_commands(cmd, prefix + (name,))
        else:
            yield prefix + (name,)


@pytest.fixture
def whole(request):
    if not conftest.whole_suite(request.config):
        pytest.skip("checked only when the whole suite is collected")
    return request.session


def test_every_test_module_has_fast_tests(whole):
    """A module wholly in the slow tier says so with a module-level ``pytestmark = pytest.mark.slow``."""
    fast = {item.path.name for item in whole.items if not item.get_closest_marker("slow")}
    missing = []
    for path in sorted(Path(conftest.TESTS).glob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        if path.name not in fast and "pytestmark = pytest.mark.slow" not in text \
                and "pytestmark = [pytest.mark.slow" not in text:
            missing.append(path.name)
    assert not missing, f"test modules with no test outside the slow tier: {missing}"


def test_every_cli_command_runs_in_the_fast_tier(whole):
    """Every command runs to exit 0 (through the ``run`` fixture, not --help) in a test not marked slow."""
    missing = [" ".join(c) for c in leaf_commands() if not conftest.INVOKED.get(c, {}).get("fast")]
    assert not missing, f"CLI commands no fast test runs successfully through `run`: {missing}"
