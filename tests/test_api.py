import inspect

import embedkit


#: public names that are also the name of a submodule: once the submodule is imported (the CLI
#: imports it), ``embedkit.<name>`` is the module, not the function. Renaming the module fixes it.
SHADOWED_BY_A_MODULE = {"align", "compare", "postprocess"}


def test_every_public_name_resolves_to_the_documented_object_of_that_name():
    import importlib.util

    assert sorted(dir(embedkit)) == sorted(embedkit.__all__)
    shadowed = {n for n in embedkit.__all__ if importlib.util.find_spec(f"embedkit.{n}") is not None}
    assert shadowed == SHADOWED_BY_A_MODULE
    for name in set(embedkit.__all__) - shadowed:
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
