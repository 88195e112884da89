"""The fast tier (``pytest -m "not slow"``) must not silently drop a test module or a CLI command.

Both checks run last (conftest sorts them there) and only when the whole suite was collected;
a run of a few files or ``-k`` skips them. In a full run they look only at tests not marked slow,
so CI fails as soon as a change leaves a command to the slow tier alone. Under pytest-xdist
(``-n``) a worker sees only its share of the tests: there the controller runs the same checks
(``conftest.tier_problems``) after every worker is done, and fails the run if they find anything.
"""

import pytest

import conftest
from conftest import TESTS


@pytest.fixture
def whole(request):
    if not conftest.whole_suite(request.config):
        pytest.skip("checked only when the whole suite is collected")
    if hasattr(request.config, "workerinput"):
        pytest.skip("an xdist worker sees its share of the tests only: the controller checks (conftest)")
    return request.session


def test_every_test_module_has_fast_tests(whole):
    """A module wholly in the slow tier says so with a module-level ``pytestmark = pytest.mark.slow``."""
    problems = conftest.tier_problems(conftest.fast_commands(whole.items), conftest.fast_files(whole.items),
                                      TESTS.glob("test_*.py"))
    assert not [p for p in problems if p.startswith("test modules")], problems


def test_every_cli_command_runs_in_the_fast_tier(whole):
    """Every command runs to exit 0 (through the ``run`` fixture, not --help) in a test not marked slow."""
    problems = conftest.tier_problems(conftest.fast_commands(whole.items), conftest.fast_files(whole.items),
                                      TESTS.glob("test_*.py"))
    assert not [p for p in problems if p.startswith("CLI commands")], problems
