import inspect

import embedkit


def test_every_public_name_resolves_to_the_documented_object_of_that_name():
    import importlib.util

    import embedkit.cli  # noqa: F401  (imports submodules; none may shadow a public name)

    assert sorted(dir(embedkit)) == sorted(embedkit.__all__)
    # a public name that is also a submodule's name becomes the module once that submodule is imported
    assert not [n for n in embedkit.__all__ if importlib.util.find_spec(f"embedkit.{n}") is not None]
    for name in embedkit.__all__:
        obj = getattr(embedkit, name)
        if name == "__version__":
            assert isinstance(obj, str) and obj.count(".") == 2
            continue
        assert inspect.isclass(obj) or inspect.isfunction(obj), name
        assert obj.__name__ == name and obj.__module__.startswith("embedkit."), (name, obj)
        assert (inspect.getdoc(obj) or "").strip(), f"{name} has no docstring"


def test_unknown_attribute():
    import pytest

    with pytest.raises(AttributeError):
        embedkit.no_such_thing  # noqa: B018


def test_distribution_name_and_every_install_hint_agree():
    """`embedkit` on PyPI is another project: we publish as embedkit-toolkit (checked free on the
    registry with `pip index versions`), import `embedkit` and run `embedkit`; every install hint
    names that distribution and the checkout form."""
    import pathlib
    import re

    from embedkit._util import DISTRIBUTION, install_hint

    root = pathlib.Path(__file__).resolve().parent.parent
    pyproject = (root / "pyproject.toml").read_text()
    assert re.search(r'^name = "([^"]+)"', pyproject, re.M).group(1) == DISTRIBUTION != "embedkit"
    assert 'embedkit = "embedkit.cli:main"' in pyproject  # the command keeps its name
    assert install_hint("plot", "matplotlib").startswith(f"pip install '{DISTRIBUTION}[plot]' (in a checkout: "
                                                         f"pip install '.[plot]'")
    texts = [root / "README.md", *(root / "docs").glob("*.md"), *(root / "embedkit").rglob("*.py")]
    stale = [str(p) for p in texts if re.search(r"install [\"']?embedkit\[", p.read_text(encoding="utf-8"))]
    assert stale == []
